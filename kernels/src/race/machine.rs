//! Executing a compiled scenario one atomic step at a time.
//!
//! A *step* of a thread is one shared-memory operation (read, write, acquire, release)
//! followed by the thread-private operations after it, up to the next shared one. For
//! asyncio tasks a step runs from one `await` to the next: nothing else can run between.

use super::lang::{eval, OpKind, Program};

/// Everything that decides what can happen next. Two equal states have equal futures.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct State {
    /// Next op per thread; `ops.len()` means finished.
    pub pcs: Vec<u16>,
    pub locals: Vec<Vec<i64>>,
    pub shared: Vec<i64>,
    /// Holder of each lock.
    pub holders: Vec<Option<u8>>,
    /// Threads that stopped with an error (bit per thread).
    pub failed: u16,
}

/// A finished run: the shared variables' final values, and whether some threads could
/// never finish (a deadlock) or stopped with an error.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Outcome {
    pub values: Vec<i64>,
    pub deadlock: bool,
    pub failed: u16,
}

impl Outcome {
    pub fn label(&self, program: &Program) -> String {
        let values: Vec<String> =
            program.shared.iter().zip(&self.values).map(|((name, _), v)| format!("{name} = {v}")).collect();
        let mut label = values.join(", ");
        if self.deadlock {
            label = if label.is_empty() { "deadlock".into() } else { format!("deadlock ({label})") };
        }
        if self.failed != 0 {
            let names: Vec<&str> = program
                .threads
                .iter()
                .enumerate()
                .filter(|(i, _)| self.failed & (1 << i) != 0)
                .map(|(_, t)| t.name.as_str())
                .collect();
            label.push_str(&format!(" [error in {}]", names.join(", ")));
        }
        if label.is_empty() {
            "finished".into()
        } else {
            label
        }
    }
}

/// What one step did, for timelines and the timing model.
#[derive(Clone, Debug, PartialEq)]
pub struct StepInfo {
    pub thread: usize,
    /// Indices of the ops executed, in order.
    pub ops: Vec<usize>,
    /// Milliseconds of `sleep` the thread went into after its shared op.
    pub slept_ms: f64,
    /// Locks released during the step (waiters can now try again).
    pub released: Vec<usize>,
    /// Why the thread stopped with an error, if it did.
    pub failure: Option<String>,
}

pub fn initial(program: &Program) -> (State, Vec<f64>) {
    let n = program.threads.len();
    let mut state = State {
        pcs: vec![0; n],
        locals: program.threads.iter().map(|t| vec![0; t.locals.len()]).collect(),
        shared: program.shared.iter().map(|(_, v)| *v).collect(),
        holders: vec![None; program.locks.len()],
        failed: 0,
    };
    let mut sleeps = vec![0.0; n];
    if !program.is_async {
        for (t, sleep) in sleeps.iter_mut().enumerate() {
            let mut info = StepInfo { thread: t, ops: vec![], slept_ms: 0.0, released: vec![], failure: None };
            run_private(program, &mut state, t, &mut info);
            *sleep = info.slept_ms;
        }
    }
    (state, sleeps)
}

pub fn is_done(program: &Program, state: &State, t: usize) -> bool {
    usize::from(state.pcs[t]) >= program.threads[t].ops.len()
}

/// Whether thread `t` can take a step now: not finished, and not waiting for a lock.
pub fn enabled(program: &Program, state: &State, t: usize) -> bool {
    let Some(op) = program.threads.get(t).and_then(|th| th.ops.get(usize::from(state.pcs[t]))) else {
        return false;
    };
    match op.kind {
        OpKind::Acquire { lock } => state.holders.get(lock).is_some_and(|h| h.is_none()),
        _ => true,
    }
}

pub fn enabled_threads(program: &Program, state: &State) -> Vec<usize> {
    (0..program.threads.len()).filter(|&t| enabled(program, state, t)).collect()
}

pub fn outcome(program: &Program, state: &State) -> Outcome {
    let deadlock = (0..program.threads.len()).any(|t| !is_done(program, state, t));
    Outcome { values: state.shared.clone(), deadlock, failed: state.failed }
}

fn fail(program: &Program, state: &mut State, t: usize, info: &mut StepInfo, why: String) {
    state.failed |= 1 << t;
    state.pcs[t] = program.threads[t].ops.len() as u16;
    info.failure = Some(why);
}

/// Executes the op at thread `t`'s pc. Returns false if it could not (blocked or done).
fn exec(program: &Program, state: &mut State, t: usize, info: &mut StepInfo) -> bool {
    let thread = &program.threads[t];
    let pc = usize::from(state.pcs[t]);
    let Some(op) = thread.ops.get(pc) else { return false };
    let mut next = pc + 1;
    match &op.kind {
        OpKind::Read { local, var } => {
            let v = state.shared[*var];
            state.locals[t][*local] = v;
        }
        OpKind::Write { var, expr } => match eval(expr, &state.locals[t]) {
            Some(v) => state.shared[*var] = v,
            None => {
                info.ops.push(pc);
                fail(program, state, t, info, format!("line {}: arithmetic error (division by zero or a value too large)", op.line));
                return true;
            }
        },
        OpKind::Compute { local, expr } => match eval(expr, &state.locals[t]) {
            Some(v) => state.locals[t][*local] = v,
            None => {
                info.ops.push(pc);
                fail(program, state, t, info, format!("line {}: arithmetic error (division by zero or a value too large)", op.line));
                return true;
            }
        },
        OpKind::Branch { cond, target } => match eval(cond, &state.locals[t]) {
            Some(0) => next = *target,
            Some(_) => {}
            None => {
                info.ops.push(pc);
                fail(program, state, t, info, format!("line {}: arithmetic error in the condition", op.line));
                return true;
            }
        },
        OpKind::Jump { target } => next = *target,
        OpKind::Sleep { ms } | OpKind::Await { ms } => info.slept_ms += ms,
        OpKind::Acquire { lock } => {
            if state.holders[*lock].is_some() {
                return false;
            }
            state.holders[*lock] = Some(t as u8);
        }
        OpKind::Release { lock } => {
            if state.holders[*lock] != Some(t as u8) {
                info.ops.push(pc);
                let name = &program.locks[*lock];
                fail(program, state, t, info, format!("line {}: RuntimeError: release of `{name}`, which this thread does not hold", op.line));
                return true;
            }
            state.holders[*lock] = None;
            info.released.push(*lock);
        }
    }
    info.ops.push(pc);
    state.pcs[t] = next.min(thread.ops.len()) as u16;
    true
}

/// Runs thread-private ops (threads only) until the next shared op or the end.
fn run_private(program: &Program, state: &mut State, t: usize, info: &mut StepInfo) {
    // Branches can only jump forward (loops are unrolled), so this terminates.
    while let Some(op) = program.threads[t].ops.get(usize::from(state.pcs[t])) {
        if op.kind.is_shared() {
            break;
        }
        if !exec(program, state, t, info) {
            break;
        }
    }
}

/// Takes one step of thread `t`. The caller checks [`enabled`] first; a step of a thread
/// that is not enabled does nothing.
pub fn step(program: &Program, state: &mut State, t: usize) -> StepInfo {
    let mut info = StepInfo { thread: t, ops: vec![], slept_ms: 0.0, released: vec![], failure: None };
    if t >= program.threads.len() || !enabled(program, state, t) {
        return info;
    }
    if program.is_async {
        // From here to the next await (inclusive), or until a lock is busy.
        let mut first = true;
        while let Some(op) = program.threads[t].ops.get(usize::from(state.pcs[t])) {
            let is_await = matches!(op.kind, OpKind::Await { .. });
            if !first && matches!(op.kind, OpKind::Acquire { .. }) && !enabled(program, state, t) {
                break;
            }
            if !exec(program, state, t, &mut info) || info.failure.is_some() {
                break;
            }
            first = false;
            if is_await {
                break;
            }
        }
    } else {
        exec(program, state, t, &mut info);
        if info.failure.is_none() {
            run_private(program, state, t, &mut info);
        }
    }
    info
}

// ---------------------------------------------------------------------------------------
// Replay with explanations, for the step-through view

/// One executed step, explained.
#[derive(Clone, Debug, PartialEq)]
pub struct TraceStep {
    pub thread: usize,
    /// Source line of the step's first op.
    pub line: usize,
    pub text: String,
    /// Set when this step overwrote a shared variable using a value that was stale.
    pub lost_update: Option<String>,
    pub failure: Option<String>,
    /// Shared variable written, with its new value.
    pub wrote: Option<(usize, i64)>,
}

/// A schedule replayed from the start, with every intermediate state.
#[derive(Clone, Debug)]
pub struct Trace {
    /// `states[i]` is the state after `i` steps.
    pub states: Vec<State>,
    pub steps: Vec<TraceStep>,
    /// Set when the schedule named a thread that could not step; the trace stops there.
    pub invalid_at: Option<usize>,
}

/// Versions of one shared variable (by number) whose changes a value includes: a value
/// written from a read of version r includes r's changes and its own.
#[derive(Clone, Debug, Default)]
struct Changes(Vec<u64>);

impl Changes {
    fn insert(&mut self, k: usize) {
        if self.0.len() <= k / 64 {
            self.0.resize(k / 64 + 1, 0);
        }
        self.0[k / 64] |= 1 << (k % 64);
    }
    fn has(&self, k: usize) -> bool {
        self.0.get(k / 64).is_some_and(|w| w >> (k % 64) & 1 == 1)
    }
    fn union(&mut self, other: &Changes) {
        if self.0.len() < other.0.len() {
            self.0.resize(other.0.len(), 0);
        }
        for (a, b) in self.0.iter_mut().zip(&other.0) {
            *a |= b;
        }
    }
}

/// One version of a shared variable, for telling lost updates apart.
#[derive(Clone, Debug)]
struct Version {
    /// The thread that wrote it (none for the initial value).
    writer: Option<usize>,
    includes: Changes,
}

/// Where a local's value came from: reads of shared variables at given versions.
type Origin = Vec<(usize, u32)>;

pub fn replay(program: &Program, schedule: &[u8]) -> Trace {
    let (mut state, _) = initial(program);
    let n = program.threads.len();
    let mut versions = vec![0u32; program.shared.len()];
    // history[var][k]: version k of var (0 is the initial value).
    let mut history: Vec<Vec<Version>> = vec![vec![Version { writer: None, includes: Changes::default() }]; program.shared.len()];
    let mut origins: Vec<Vec<Origin>> = program.threads.iter().map(|t| vec![Vec::new(); t.locals.len()]).collect();
    // Checks a thread has passed: (var, version, line of the `if`).
    let mut guards: Vec<Vec<(usize, u32, usize)>> = vec![Vec::new(); n];
    let mut trace = Trace { states: vec![state.clone()], steps: Vec::new(), invalid_at: None };

    for (i, &t) in schedule.iter().enumerate() {
        let t = usize::from(t);
        if t >= n || !enabled(program, &state, t) {
            trace.invalid_at = Some(i);
            break;
        }
        let before = state.clone();
        let info = step(program, &mut state, t);
        let mut step = TraceStep { thread: t, line: 0, text: String::new(), lost_update: None, failure: info.failure.clone(), wrote: None };
        let mut texts = Vec::new();
        let mut scratch = before.locals[t].clone();
        let mut current = before.shared.clone();
        for &pc in &info.ops {
            let op = &program.threads[t].ops[pc];
            if step.line == 0 {
                step.line = op.line;
            }
            match &op.kind {
                OpKind::Read { local, var } => {
                    let v = current[*var];
                    scratch[*local] = v;
                    origins[t][*local] = vec![(*var, versions[*var])];
                    texts.push(format!("reads {} = {}", program.shared[*var].0, v));
                }
                OpKind::Compute { local, expr } => {
                    let mut o: Origin = Vec::new();
                    for l in expr_locals(expr) {
                        for e in &origins[t][l] {
                            if !o.contains(e) {
                                o.push(*e);
                            }
                        }
                    }
                    origins[t][*local] = o;
                    if let Some(v) = eval(expr, &scratch) {
                        scratch[*local] = v;
                    }
                }
                OpKind::Branch { cond, .. } => {
                    for l in expr_locals(cond) {
                        for &(var, ver) in &origins[t][l] {
                            guards[t].push((var, ver, op.line));
                        }
                    }
                }
                OpKind::Write { var, expr } => {
                    // A write that failed (division by zero…) changed nothing.
                    if info.failure.is_some() && info.ops.last() == Some(&pc) {
                        continue;
                    }
                    let value = eval(expr, &scratch).unwrap_or(state.shared[*var]);
                    current[*var] = value;
                    let name = &program.shared[*var].0;
                    texts.push(format!("writes {name} = {value}"));
                    step.wrote = Some((*var, value));
                    let me = &program.threads[t].name;
                    let hist = &mut history[*var];
                    let cur = hist.len() - 1;
                    let new = hist.len();
                    // Versions of this variable the written value was computed from.
                    let mut reads: Vec<usize> = Vec::new();
                    for l in expr_locals(expr) {
                        for &(v, ver) in &origins[t][l] {
                            if v == *var && !reads.contains(&(ver as usize)) {
                                reads.push(ver as usize);
                            }
                        }
                    }
                    let mut includes = Changes::default();
                    includes.insert(new);
                    for &r in &reads {
                        includes.union(&hist[r].includes);
                    }
                    // Only a read-modify-write can lose an update (a plain `x = 5` just
                    // replaces the value), and only another thread's change counts: a
                    // thread replacing its own earlier write is its program running.
                    let by_other = |k: usize| hist[k].writer.is_some_and(|w| w != t);
                    let first_read = reads.iter().copied().min();
                    let last_read = reads.iter().copied().max().unwrap_or(cur);
                    // Changes the overwritten value had and this one does not: lost now.
                    let lost_now: Vec<usize> =
                        (1..=cur).filter(|&k| by_other(k) && hist[cur].includes.has(k) && !includes.has(k)).collect();
                    // Changes made after the read that this value lacks, lost or not.
                    let missed = first_read.and_then(|r| (r + 1..=cur).rev().find(|&k| by_other(k) && !includes.has(k)));
                    let writer_name = |k: usize| hist[k].writer.map_or("another thread", |w| program.threads[w].name.as_str());
                    if first_read.is_some() {
                        if let Some(&k) = lost_now.iter().rev().find(|&&k| k > last_read).or(lost_now.last()) {
                            let who = writer_name(k);
                            step.lost_update = Some(if k > last_read {
                                format!(
                                    "Lost update: {me} wrote {name} = {value} from a value it read before {who} changed {name}, \
                                     so {who}'s change is overwritten and lost."
                                )
                            } else {
                                format!("Lost update: {me} wrote {name} = {value} from a value without {who}'s change, so that change is lost.")
                            });
                        } else if let Some(k) = missed {
                            // Nothing new is lost, but the value is still stale: say so
                            // without blaming this thread for its own earlier write.
                            let who = writer_name(k);
                            step.lost_update = Some(format!(
                                "Stale write: {me} wrote {name} = {value} from a value it read before {who} changed {name}; \
                                 {who}'s change had already been overwritten."
                            ));
                        }
                    }
                    if step.lost_update.is_none() {
                        // The last other thread to change the variable since a check on it.
                        let other_since = |ver: u32| (ver as usize + 1..=cur).rev().find(|&k| by_other(k));
                        if let Some((k, line)) = guards[t].iter().filter(|(v, _, _)| *v == *var).find_map(|&(_, ver, line)| other_since(ver).map(|k| (k, line))) {
                            let who = writer_name(k);
                            step.lost_update = Some(format!("Stale check: {me} acted on the check at line {line}, but {who} changed {name} after that check."));
                        }
                    }
                    hist.push(Version { writer: Some(t), includes });
                    versions[*var] = new as u32;
                }
                OpKind::Acquire { lock } => texts.push(format!("acquires {}", program.locks[*lock])),
                OpKind::Release { lock } => texts.push(format!("releases {}", program.locks[*lock])),
                OpKind::Sleep { ms } => texts.push(format!("sleeps {ms} ms")),
                OpKind::Await { ms } => texts.push(format!("awaits sleep({ms})")),
                OpKind::Jump { .. } => {}
            }
        }
        if let Some(f) = &info.failure {
            texts.push(format!("fails: {f}"));
        }
        step.text = if texts.is_empty() { "computes".into() } else { texts.join(", ") };
        trace.steps.push(step);
        trace.states.push(state.clone());
    }
    trace
}

fn expr_locals(e: &super::lang::Expr) -> Vec<usize> {
    use super::lang::Expr;
    let mut out = Vec::new();
    let mut stack = vec![e];
    while let Some(e) = stack.pop() {
        match e {
            Expr::Local(i) => out.push(*i),
            Expr::Const(_) => {}
            Expr::Neg(a) | Expr::Not(a) => stack.push(a),
            Expr::Bin(_, a, b) => {
                stack.push(a);
                stack.push(b);
            }
        }
    }
    out
}
