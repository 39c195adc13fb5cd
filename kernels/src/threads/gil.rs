//! The engine: an exact event-driven simulation of CPython threads under the GIL.
//!
//! Rules (read from Python/ceval_gil.c of 3.12 and 3.13; 3.11 has the same shape):
//! - `take_gil`: if the GIL is free it is taken at once. Otherwise the thread loops: it saves
//!   `switch_number`, does a timed wait of `interval` on `gil->cond`, and if the wait timed out,
//!   the GIL is still locked and no switch happened meanwhile, it sets the drop request. Every
//!   turn of the loop is a fresh interval. On taking: if `last_holder` is another thread, it
//!   becomes `last_holder` and `switch_number` grows; `switch_cond` is signalled; a pending drop
//!   request is reset.
//! - The holder sees the request only at eval-breaker check points (3.10+: back-edges, function
//!   entry, after calls): every `checkpoint_ns` of a Python segment and at its end; a GIL-holding
//!   C call only when it returns.
//! - `drop_gil`: releases, signals one waiter on `gil->cond`, then (FORCE_SWITCHING) if a drop
//!   request is set and `last_holder` is still this thread, resets the request and waits once on
//!   `switch_cond` until another thread has taken the GIL.
//!   What about a thread that releases for blocking I/O while a request is pending? In 3.12,
//!   `PyEval_SaveThread` calls `drop_gil(ceval, tstate)` with a non-NULL tstate, and the forced
//!   wait is skipped only for a NULL tstate (thread exit, gh-104341). In 3.13 `drop_gil` takes
//!   `final_release` and skips the wait only when it is true, which `_PyThreadState_Detach`
//!   (the `Py_BEGIN_ALLOW_THREADS` path) never passes. So in both, releasing for I/O with a
//!   request pending also waits until another thread has the GIL, and only then does the I/O.
//!   A thread that exits releases for the last time without that wait. That is what we do.
//! - Blocking I/O and `Py_BEGIN_ALLOW_THREADS` code release with no request; at the end the
//!   thread calls `take_gil` again (`PyEval_RestoreThread`), hence the convoy effect.
//! - `COND_SIGNAL` wakes one waiter, which one is the OS's choice: a seeded ChaCha8 draw. The
//!   woken thread runs `wake_latency_ns` later; a thread whose wait times out in that window,
//!   or that arrives then, finds the GIL free and takes it (barging); the woken one then finds
//!   it locked and waits a fresh interval.
//!
//! Cores are shared by processor sharing: with `n` threads needing a core (running Python or a
//! C call, in GIL-free C code, or a pool process) on `k` cores, each progresses at `min(n,k)/n`
//! of a core, and at `1/(1 + parallel_slowdown)` of that while two or more cores are busy.
//! Waiting threads and I/O use no core.
//!
//! Cost: one heap event per handoff, timeout, wake, segment end or task step; a Python segment
//! is jumped over in one event, and the drop point after a request is computed by arithmetic.

use super::model::*;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};

pub const MAX_CORES: u32 = 64;
pub const MAX_TASKS: usize = 10_000;
pub const MAX_SEGMENTS_PER_TASK: usize = 100_000;
pub const MAX_TOTAL_SEGMENTS: usize = 1_000_000;
/// One segment at most one hour.
pub const MAX_SEGMENT_NS: u64 = 3_600_000_000_000;
/// All segments together at most 100 hours of work.
pub const MAX_TOTAL_WORK_NS: u64 = 360_000_000_000_000;
/// CPython clamps the interval to at least 1 us (take_gil: `interval < 1` becomes 1).
pub const MIN_SWITCH_INTERVAL_NS: u64 = 1_000;
pub const MAX_SWITCH_INTERVAL_NS: u64 = 10_000_000_000;
pub const MIN_CHECKPOINT_NS: u64 = 1;
pub const MAX_CHECKPOINT_NS: u64 = 10_000_000;
pub const MAX_THREAD_POOL_WORKERS: u32 = 256;
pub const MAX_PROCESS_POOL_WORKERS: u32 = 64;
pub const MAX_EVENTS: u64 = 200_000_000;
pub const MAX_FREE_THREADED_SLOWDOWN: f64 = 10.0;
/// Any single calibrated cost at most 10 s.
pub const MAX_COST_NS: u64 = 10_000_000_000;
pub const MAX_PARALLEL_SLOWDOWN_PPM: u64 = 10_000_000;
pub const MAX_PICKLE_BYTES: u64 = 1 << 40;
pub const MAX_NAME_LEN: usize = 200;
/// Drawing caps; the statistics are kept exactly whatever the caps.
pub const MAX_LANE_INTERVALS: usize = 20_000;
pub const MAX_GIL_INTERVALS: usize = 50_000;
pub const MAX_DROP_MARKS: usize = 10_000;

const PPM: u128 = 1_000_000;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Python,
    CHold,
    Io,
    CRelease,
}

#[derive(Clone, Copy, Debug)]
enum Step {
    /// Take the GIL (thread bootstrap, or the main thread coming back from waiting).
    Acquire,
    Seg(Kind, u64),
    /// Put task j on the pool's work queue (then `_adjust_thread_count` for thread pools).
    Submit(usize),
    /// A new thread-pool worker comes alive.
    SpawnWorker,
    /// Pool worker: `work_queue.get(block=True)`.
    Pull,
    TaskDone(usize),
    /// Main thread: wait for all results (GIL released).
    WaitAll,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum St {
    NotStarted,
    /// Holds the GIL (or free-threaded) and runs a Python or GIL-holding C segment.
    Running,
    /// In I/O or GIL-free C code.
    OffGil,
    /// In take_gil's timed wait.
    Waiting,
    /// Signalled on gil->cond, not yet running.
    Waking,
    /// In drop_gil's wait on switch_cond.
    Forced,
    /// Idle pool worker or main waiting for results.
    Blocked,
    Done,
}

struct Th {
    name: String,
    interp: usize,
    worker: bool,
    steps: Vec<Step>,
    idx: usize,
    holds: bool,
    st: St,
    kind: Kind,
    in_refill: bool,
    refill: u64,
    released_for_block: bool,
    seg_total: u64,
    seg_done: u64,
    /// Progress of a segment interrupted at a check point, taken up again on resuming.
    saved_done: Option<u64>,
    last_update: u64,
    on_core: bool,
    saved_switch: u64,
    epoch: u64,
    pending_io: Option<u64>,
    vis: ThreadState,
    vis_since: u64,
    acc: [u64; 9],
    cpu: u64,
    lane: Vec<StateInterval>,
    dropped: u64,
    finished: Option<u64>,
}

struct Gil {
    locked: Option<usize>,
    last_holder: Option<usize>,
    switch_number: u64,
    drop_request: bool,
    waiters: Vec<usize>,
    forced: Vec<usize>,
    held_since: u64,
    lane: Vec<GilInterval>,
    dropped: u64,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum PoolKind {
    None,
    Threads,
    Processes,
}

struct Pool {
    kind: PoolKind,
    queue: VecDeque<usize>,
    idle: Vec<usize>,
    idle_sem: u64,
    nthreads: u32,
    spawned: u32,
    max: u32,
    done: usize,
    main: Option<usize>,
}

struct Sim<'a> {
    w: &'a Workload,
    s: &'a Settings,
    free: bool,
    stretch_ppm: u128,
    now: u64,
    seq: u64,
    heap: BinaryHeap<Reverse<(u64, u64, usize, u64)>>,
    th: Vec<Th>,
    gils: Vec<Gil>,
    users: Vec<usize>,
    pool: Pool,
    rng: ChaCha8Rng,
    drop_requests: u64,
    drop_marks: Vec<DropMark>,
    io_lat: Vec<u64>,
    task_done: Vec<u64>,
    events: u64,
}

fn invalid<T>(msg: String) -> Result<T, SimError> {
    Err(SimError::InvalidInput(msg))
}

/// Checks a workload and settings against the limits without running anything.
pub fn validate(w: &Workload, s: &Settings) -> Result<(), SimError> {
    if s.cores == 0 || s.cores > MAX_CORES {
        return invalid(format!("cores must be 1..={MAX_CORES}, got {}", s.cores));
    }
    if !(MIN_SWITCH_INTERVAL_NS..=MAX_SWITCH_INTERVAL_NS).contains(&s.switch_interval_ns) {
        return invalid(format!(
            "switch interval must be {MIN_SWITCH_INTERVAL_NS}..={MAX_SWITCH_INTERVAL_NS} ns, got {}",
            s.switch_interval_ns
        ));
    }
    if !(MIN_CHECKPOINT_NS..=MAX_CHECKPOINT_NS).contains(&s.checkpoint_ns) {
        return invalid(format!(
            "check point distance must be {MIN_CHECKPOINT_NS}..={MAX_CHECKPOINT_NS} ns, got {}",
            s.checkpoint_ns
        ));
    }
    if s.max_events == 0 || s.max_events > MAX_EVENTS {
        return invalid(format!(
            "max_events must be 1..={MAX_EVENTS}, got {}",
            s.max_events
        ));
    }
    if let Interpreter::FreeThreaded { slowdown } = s.interpreter {
        if !slowdown.is_finite() || !(0.0..=MAX_FREE_THREADED_SLOWDOWN).contains(&slowdown) {
            return invalid(format!(
                "free-threaded slowdown must be a number in 0..={MAX_FREE_THREADED_SLOWDOWN}, got {slowdown}"
            ));
        }
    }
    let c = &s.costs;
    let costs = [
        ("wake_latency_ns", c.wake_latency_ns),
        ("timer_overshoot_ns", c.timer_overshoot_ns),
        ("switch_refill_ns", c.switch_refill_ns),
        ("tpe_submit_ns", c.tpe_submit_ns),
        ("tpe_item_ns", c.tpe_item_ns),
        ("thread_start_ns", c.thread_start_ns),
        ("ppe_parent_task_ns", c.ppe_parent_task_ns),
        ("ppe_worker_task_ns", c.ppe_worker_task_ns),
        ("start_fork_ns", c.start_fork_ns),
        ("start_forkserver_ns", c.start_forkserver_ns),
        ("start_spawn_ns", c.start_spawn_ns),
    ];
    for (name, v) in costs {
        if v > MAX_COST_NS {
            return invalid(format!(
                "cost {name} must be at most {MAX_COST_NS} ns, got {v}"
            ));
        }
    }
    if c.parallel_slowdown_ppm > MAX_PARALLEL_SLOWDOWN_PPM {
        return invalid(format!(
            "parallel slowdown must be at most {MAX_PARALLEL_SLOWDOWN_PPM} ppm, got {}",
            c.parallel_slowdown_ppm
        ));
    }
    if w.tasks.is_empty() {
        return invalid("the workload has no task".into());
    }
    if w.tasks.len() > MAX_TASKS {
        return invalid(format!(
            "too many tasks: {} (at most {MAX_TASKS})",
            w.tasks.len()
        ));
    }
    match w.executor {
        Executor::ThreadPool {
            max_workers: Some(m),
        } if m == 0 || m > MAX_THREAD_POOL_WORKERS => {
            return invalid(format!(
                "max_workers must be 1..={MAX_THREAD_POOL_WORKERS}, got {m}"
            ));
        }
        Executor::ProcessPool { workers, .. }
            if workers == 0 || workers > MAX_PROCESS_POOL_WORKERS =>
        {
            return invalid(format!(
                "process pool workers must be 1..={MAX_PROCESS_POOL_WORKERS}, got {workers}"
            ));
        }
        _ => {}
    }
    let mut nseg: usize = 0;
    let mut work: u64 = 0;
    for (i, t) in w.tasks.iter().enumerate() {
        if t.name.chars().count() > MAX_NAME_LEN {
            return invalid(format!(
                "task {i}: name longer than {MAX_NAME_LEN} characters"
            ));
        }
        if t.segments.len() > MAX_SEGMENTS_PER_TASK {
            return invalid(format!(
                "task {i} ({}): {} segments (at most {MAX_SEGMENTS_PER_TASK})",
                t.name,
                t.segments.len()
            ));
        }
        if t.arg_bytes > MAX_PICKLE_BYTES || t.result_bytes > MAX_PICKLE_BYTES {
            return invalid(format!(
                "task {i} ({}): pickled sizes must be at most {MAX_PICKLE_BYTES} bytes",
                t.name
            ));
        }
        nseg = nseg.saturating_add(t.segments.len());
        for seg in &t.segments {
            let ns = seg.ns();
            if ns > MAX_SEGMENT_NS {
                return invalid(format!(
                    "task {i} ({}): a segment of {ns} ns is longer than one hour",
                    t.name
                ));
            }
            work = work.saturating_add(ns);
        }
    }
    if nseg > MAX_TOTAL_SEGMENTS {
        return invalid(format!(
            "too many segments in all: {nseg} (at most {MAX_TOTAL_SEGMENTS})"
        ));
    }
    if work > MAX_TOTAL_WORK_NS {
        return invalid(format!("total work of {work} ns is more than 100 hours"));
    }
    Ok(())
}

/// Default `max_workers` of ThreadPoolExecutor: `min(32, os.cpu_count() + 4)` (3.8+).
pub fn default_thread_pool_workers(cores: u32) -> u32 {
    cores.saturating_add(4).min(32)
}

/// Runs one simulation. A pure function of its inputs; never panics.
pub fn simulate(w: &Workload, s: &Settings) -> Result<Outcome, SimError> {
    validate(w, s)?;
    let mut sim = Sim::new(w, s);
    sim.build();
    sim.run()?;
    Ok(sim.outcome())
}

fn vis_index(v: ThreadState) -> usize {
    match v {
        ThreadState::NotStarted => 0,
        ThreadState::RunningPython => 1,
        ThreadState::CHold => 2,
        ThreadState::WaitingForGil => 3,
        ThreadState::ForcedSwitchWait => 4,
        ThreadState::Io => 5,
        ThreadState::CRelease => 6,
        ThreadState::Blocked => 7,
        ThreadState::Done => 8,
    }
}

fn mul_div_ceil(a: u64, num: u128, den: u128) -> u64 {
    if den == 0 {
        return u64::MAX;
    }
    let v = (a as u128).saturating_mul(num).div_ceil(den);
    u64::try_from(v).unwrap_or(u64::MAX)
}

fn mul_div_floor(a: u64, num: u128, den: u128) -> u64 {
    if den == 0 {
        return u64::MAX;
    }
    let v = (a as u128).saturating_mul(num) / den;
    u64::try_from(v).unwrap_or(u64::MAX)
}

impl<'a> Sim<'a> {
    fn new(w: &'a Workload, s: &'a Settings) -> Self {
        let (free, stretch_ppm) = match s.interpreter {
            Interpreter::Gil => (false, PPM),
            Interpreter::FreeThreaded { slowdown } => {
                (true, PPM + (slowdown * 1e6).round().max(0.0) as u128)
            }
        };
        Sim {
            w,
            s,
            free,
            stretch_ppm,
            now: 0,
            seq: 0,
            heap: BinaryHeap::new(),
            th: Vec::new(),
            gils: Vec::new(),
            users: Vec::new(),
            pool: Pool {
                kind: PoolKind::None,
                queue: VecDeque::new(),
                idle: Vec::new(),
                idle_sem: 0,
                nthreads: 0,
                spawned: 0,
                max: 0,
                done: 0,
                main: None,
            },
            rng: ChaCha8Rng::seed_from_u64(s.seed),
            drop_requests: 0,
            drop_marks: Vec::new(),
            io_lat: Vec::new(),
            task_done: vec![0; w.tasks.len()],
            events: 0,
        }
    }

    fn new_gil(&mut self) -> usize {
        self.gils.push(Gil {
            locked: None,
            last_holder: None,
            switch_number: 0,
            drop_request: false,
            waiters: Vec::new(),
            forced: Vec::new(),
            held_since: 0,
            lane: Vec::new(),
            dropped: 0,
        });
        self.gils.len() - 1
    }

    fn add_thread(&mut self, name: String, interp: usize, worker: bool, steps: Vec<Step>) -> usize {
        self.th.push(Th {
            name,
            interp,
            worker,
            steps,
            idx: 0,
            holds: false,
            st: St::NotStarted,
            kind: Kind::Python,
            in_refill: false,
            refill: 0,
            released_for_block: false,
            seg_total: 0,
            seg_done: 0,
            saved_done: None,
            last_update: self.now,
            on_core: false,
            saved_switch: 0,
            epoch: 0,
            pending_io: None,
            vis: ThreadState::NotStarted,
            vis_since: self.now,
            acc: [0; 9],
            cpu: 0,
            lane: Vec::new(),
            dropped: 0,
            finished: None,
        });
        let id = self.th.len() - 1;
        self.push_event(id, self.now);
        id
    }

    /// Python and GIL-holding C work is stretched on free-threaded builds.
    fn seg_step(&self, seg: &Segment) -> Step {
        match *seg {
            Segment::Python { ns } => Step::Seg(Kind::Python, self.stretch(ns)),
            Segment::CHold { ns } => Step::Seg(Kind::CHold, self.stretch(ns)),
            Segment::Io { ns } => Step::Seg(Kind::Io, ns),
            Segment::CRelease { ns } => Step::Seg(Kind::CRelease, ns),
        }
    }

    fn stretch(&self, ns: u64) -> u64 {
        mul_div_floor(ns, self.stretch_ppm, PPM)
    }

    fn task_steps(&self, j: usize) -> Vec<Step> {
        match self.w.tasks.get(j) {
            Some(t) => t.segments.iter().map(|s| self.seg_step(s)).collect(),
            None => Vec::new(),
        }
    }

    fn pickle_half_ns(&self, j: usize) -> u64 {
        let rate = self.s.costs.pickle_bytes_per_s;
        match self.w.tasks.get(j) {
            Some(t) if rate > 0 => {
                let bytes = t.arg_bytes.saturating_add(t.result_bytes);
                // dumps on one side, loads on the other: half of the round trip each.
                mul_div_ceil(bytes, 1_000_000_000, 2 * rate as u128)
            }
            _ => 0,
        }
    }

    fn build(&mut self) {
        let c = self.s.costs;
        let n = self.w.tasks.len();
        match self.w.executor {
            Executor::Sequential => {
                let g = self.new_gil();
                let mut steps = vec![Step::Acquire];
                for j in 0..n {
                    steps.extend(self.task_steps(j));
                    steps.push(Step::TaskDone(j));
                }
                self.add_thread("MainThread".into(), g, false, steps);
            }
            Executor::Threads => {
                let g = self.new_gil();
                for j in 0..n {
                    let mut steps = vec![Step::Acquire];
                    steps.extend(self.task_steps(j));
                    steps.push(Step::TaskDone(j));
                    let name = self
                        .w
                        .tasks
                        .get(j)
                        .map(|t| t.name.clone())
                        .unwrap_or_default();
                    self.add_thread(name, g, false, steps);
                }
            }
            Executor::ThreadPool { max_workers } => {
                let g = self.new_gil();
                self.pool.kind = PoolKind::Threads;
                self.pool.max =
                    max_workers.unwrap_or_else(|| default_thread_pool_workers(self.s.cores));
                let mut steps = vec![Step::Acquire];
                for j in 0..n {
                    steps.push(Step::Seg(Kind::Python, self.stretch(c.tpe_submit_ns)));
                    steps.push(Step::Submit(j));
                }
                steps.push(Step::WaitAll);
                steps.push(Step::Acquire);
                let m = self.add_thread("MainThread".into(), g, false, steps);
                self.pool.main = Some(m);
            }
            Executor::ProcessPool { workers, start } => {
                let g = self.new_gil();
                self.pool.kind = PoolKind::Processes;
                let mut steps = vec![Step::Acquire];
                for j in 0..n {
                    let cost = c.ppe_parent_task_ns.saturating_add(self.pickle_half_ns(j));
                    steps.push(Step::Seg(Kind::Python, self.stretch(cost)));
                    steps.push(Step::Submit(j));
                }
                steps.push(Step::WaitAll);
                steps.push(Step::Acquire);
                let m = self.add_thread("MainThread".into(), g, false, steps);
                self.pool.main = Some(m);
                // Lib/concurrent/futures/process.py (3.9+): with fork all workers start with the
                // pool; otherwise they are spawned on submit while none is idle, so at most one
                // per task.
                let count = match start {
                    StartMethod::Fork => workers,
                    _ => workers.min(u32::try_from(n).unwrap_or(u32::MAX)),
                };
                let (prefix, startup) = match start {
                    StartMethod::Fork => ("ForkProcess", c.start_fork_ns),
                    StartMethod::Forkserver => ("ForkServerProcess", c.start_forkserver_ns),
                    StartMethod::Spawn => ("SpawnProcess", c.start_spawn_ns),
                };
                for k in 0..count {
                    let gk = self.new_gil();
                    let steps = vec![Step::Acquire, Step::Seg(Kind::Python, startup), Step::Pull];
                    self.add_thread(format!("{prefix}-{}", k + 1), gk, true, steps);
                }
                self.pool.nthreads = count;
                self.pool.max = count;
            }
        }
    }

    // ----- events -----

    fn push_event(&mut self, tid: usize, t: u64) {
        if let Some(th) = self.th.get_mut(tid) {
            th.epoch = th.epoch.wrapping_add(1);
            self.seq = self.seq.wrapping_add(1);
            self.heap.push(Reverse((t, self.seq, tid, th.epoch)));
        }
    }

    fn cancel_event(&mut self, tid: usize) {
        if let Some(th) = self.th.get_mut(tid) {
            th.epoch = th.epoch.wrapping_add(1);
        }
    }

    fn run(&mut self) -> Result<(), SimError> {
        let mut pops: u64 = 0;
        while let Some(Reverse((t, _, tid, epoch))) = self.heap.pop() {
            pops = pops.saturating_add(1);
            if pops > self.s.max_events {
                return Err(SimError::EventBudgetExceeded {
                    budget: self.s.max_events,
                    simulated_ns: self.now,
                });
            }
            let valid = self.th.get(tid).is_some_and(|th| th.epoch == epoch);
            if !valid {
                continue;
            }
            self.now = t.max(self.now);
            self.events = self.events.saturating_add(1);
            self.handle(tid);
        }
        let stuck = self.th.iter().any(|th| !th.worker && th.st != St::Done);
        if stuck {
            return Err(SimError::Stalled {
                simulated_ns: self.now,
            });
        }
        Ok(())
    }

    fn handle(&mut self, tid: usize) {
        let Some(st) = self.th.get(tid).map(|t| t.st) else {
            return;
        };
        match st {
            St::NotStarted | St::Forced | St::Blocked => self.proceed(tid),
            St::Running => self.on_running_event(tid),
            St::OffGil => self.on_offgil_end(tid),
            St::Waiting => self.on_wait_timeout(tid),
            St::Waking => self.on_woken(tid),
            St::Done => {}
        }
    }

    // ----- cores -----

    /// (numerator, denominator) of the speed of each core user when `n` share the cores.
    fn rate_for(&self, n: usize) -> (u128, u128) {
        if n == 0 {
            return (1, 1);
        }
        let k = self.s.cores as u128;
        let n = n as u128;
        let busy = n.min(k);
        let ps = if busy >= 2 {
            self.s.costs.parallel_slowdown_ppm as u128
        } else {
            0
        };
        (busy * PPM, n * (PPM + ps))
    }

    fn rate(&self) -> (u128, u128) {
        self.rate_for(self.users.len())
    }

    /// Brings a thread's progress in its segment up to `now`.
    fn advance(&mut self, tid: usize) {
        let (num, den) = self.rate();
        let n = self.users.len().max(1) as u128;
        let k = self.s.cores as u128;
        let now = self.now;
        let Some(th) = self.th.get_mut(tid) else {
            return;
        };
        let dt = now.saturating_sub(th.last_update);
        th.last_update = now;
        if dt == 0 {
            return;
        }
        let done = if th.on_core {
            th.cpu = th.cpu.saturating_add(mul_div_floor(dt, n.min(k), n));
            mul_div_floor(dt, num, den)
        } else if th.st == St::OffGil {
            dt
        } else {
            0
        };
        th.seg_done = th.seg_done.saturating_add(done).min(th.seg_total);
    }

    fn set_on_core(&mut self, tid: usize, on: bool) {
        let Some(cur) = self.th.get(tid).map(|t| t.on_core) else {
            return;
        };
        if cur == on {
            return;
        }
        let before = self.rate();
        let after_len = if on {
            self.users.len().saturating_add(1)
        } else {
            self.users.len().saturating_sub(1)
        };
        let after = self.rate_for(after_len);
        let changed = before.0 * after.1 != after.0 * before.1;
        if changed {
            let users = self.users.clone();
            for u in users {
                self.advance(u);
            }
        } else if !on {
            self.advance(tid);
        }
        if on {
            self.users.push(tid);
        } else {
            self.users.retain(|&u| u != tid);
        }
        if let Some(th) = self.th.get_mut(tid) {
            th.on_core = on;
            th.last_update = self.now;
        }
        if changed {
            let users = self.users.clone();
            for u in users {
                if u != tid {
                    self.schedule_progress(u);
                }
            }
        }
    }

    /// Event for a thread whose segment progresses: its end, or for a holder with a pending
    /// drop request inside a Python segment, the next check point strictly after `now`.
    fn schedule_progress(&mut self, tid: usize) {
        let (num, den) = self.rate();
        let Some(th) = self.th.get(tid) else {
            return;
        };
        let remaining = th.seg_total.saturating_sub(th.seg_done);
        let t = match th.st {
            St::Running => {
                let mut work = remaining;
                let req = !self.free
                    && th.kind == Kind::Python
                    && self.gils.get(th.interp).is_some_and(|g| g.drop_request);
                if req {
                    let c = self.s.checkpoint_ns.max(1);
                    let next_cp = (th.seg_done / c).saturating_add(1).saturating_mul(c);
                    let to_cp = next_cp.saturating_sub(th.seg_done);
                    work = work.min(to_cp);
                }
                self.now.saturating_add(mul_div_ceil(work, den, num))
            }
            St::OffGil if th.kind == Kind::CRelease => {
                self.now.saturating_add(mul_div_ceil(remaining, den, num))
            }
            St::OffGil => self.now.saturating_add(remaining),
            _ => return,
        };
        self.push_event(tid, t);
    }

    // ----- lanes and statistics -----

    fn set_vis(&mut self, tid: usize, v: ThreadState) {
        let now = self.now;
        let Some(th) = self.th.get_mut(tid) else {
            return;
        };
        if th.vis == v {
            return;
        }
        close_vis(th, now);
        th.vis = v;
        th.vis_since = now;
        let on = matches!(
            v,
            ThreadState::RunningPython | ThreadState::CHold | ThreadState::CRelease
        );
        self.set_on_core(tid, on);
    }

    // ----- the GIL -----

    /// take_gil: true if the GIL was taken at once.
    fn take_gil(&mut self, tid: usize) -> bool {
        if self.free {
            if let Some(th) = self.th.get_mut(tid) {
                th.holds = true;
                th.released_for_block = false;
                if let Some(start) = th.pending_io.take() {
                    self.io_lat.push(self.now.saturating_sub(start));
                }
            }
            return true;
        }
        let Some(g) = self.th.get(tid).map(|t| t.interp) else {
            return false;
        };
        let locked = self.gils.get(g).is_some_and(|gil| gil.locked.is_some());
        if !locked {
            self.acquire(tid);
            return true;
        }
        self.start_wait(tid);
        false
    }

    /// One turn of take_gil's loop: save switch_number, timed wait of one interval.
    fn start_wait(&mut self, tid: usize) {
        let Some(g) = self.th.get(tid).map(|t| t.interp) else {
            return;
        };
        let switch_number = self.gils.get(g).map_or(0, |gil| gil.switch_number);
        let deadline = self
            .now
            .saturating_add(self.s.switch_interval_ns)
            .saturating_add(self.s.costs.timer_overshoot_ns);
        if let Some(th) = self.th.get_mut(tid) {
            th.st = St::Waiting;
            th.saved_switch = switch_number;
        }
        if let Some(gil) = self.gils.get_mut(g) {
            if !gil.waiters.contains(&tid) {
                gil.waiters.push(tid);
            }
        }
        self.set_vis(tid, ThreadState::WaitingForGil);
        self.push_event(tid, deadline);
    }

    /// take_gil's `_ready:` part.
    fn acquire(&mut self, tid: usize) {
        let now = self.now;
        let refill = self.s.costs.switch_refill_ns;
        let wake = self.s.costs.wake_latency_ns;
        let Some(g) = self.th.get(tid).map(|t| t.interp) else {
            return;
        };
        let mut woken = Vec::new();
        let mut switched_from_other = false;
        if let Some(gil) = self.gils.get_mut(g) {
            gil.waiters.retain(|&w| w != tid);
            gil.locked = Some(tid);
            gil.held_since = now;
            if gil.last_holder != Some(tid) {
                switched_from_other = gil.last_holder.is_some();
                gil.last_holder = Some(tid);
                gil.switch_number = gil.switch_number.saturating_add(1);
            }
            // COND_SIGNAL(switch_cond): the thread in drop_gil's forced wait may go on.
            woken = std::mem::take(&mut gil.forced);
            // The new holder resets a pending drop request.
            gil.drop_request = false;
        }
        for f in woken {
            self.push_event(f, now.saturating_add(wake));
        }
        if let Some(th) = self.th.get_mut(tid) {
            th.holds = true;
            th.released_for_block = false;
            if switched_from_other {
                th.refill = th.refill.saturating_add(refill);
            }
            if let Some(start) = th.pending_io.take() {
                self.io_lat.push(now.saturating_sub(start));
            }
        }
    }

    /// drop_gil. Returns true if the thread now waits on switch_cond (FORCE_SWITCHING).
    fn release(&mut self, tid: usize, final_release: bool) -> bool {
        if let Some(th) = self.th.get_mut(tid) {
            if !th.holds {
                return false;
            }
            th.holds = false;
        }
        if self.free {
            return false;
        }
        let now = self.now;
        let Some(g) = self.th.get(tid).map(|t| t.interp) else {
            return false;
        };
        let mut signalled = None;
        let mut forced = false;
        let nwaiters = self.gils.get(g).map_or(0, |gil| gil.waiters.len());
        let pick = if nwaiters > 1 {
            self.rng.random_range(0..nwaiters)
        } else {
            0
        };
        if let Some(gil) = self.gils.get_mut(g) {
            if gil.held_since == now {
                // A zero-length hold (take and release in one instant) is not drawn.
            } else if gil.lane.len() < MAX_GIL_INTERVALS {
                gil.lane.push(GilInterval {
                    start_ns: gil.held_since,
                    end_ns: now,
                    holder: tid,
                });
            } else {
                gil.dropped = gil.dropped.saturating_add(1);
            }
            gil.locked = None;
            gil.last_holder = Some(tid);
            // COND_SIGNAL(gil->cond): one waiter, the OS's choice.
            if pick < gil.waiters.len() {
                signalled = Some(gil.waiters.remove(pick));
            }
            if !final_release && gil.drop_request && gil.last_holder == Some(tid) {
                gil.drop_request = false;
                gil.forced.push(tid);
                forced = true;
            }
        }
        if let Some(w) = signalled {
            if let Some(th) = self.th.get_mut(w) {
                th.st = St::Waking;
            }
            self.push_event(w, now.saturating_add(self.s.costs.wake_latency_ns));
        }
        if forced {
            if let Some(th) = self.th.get_mut(tid) {
                th.st = St::Forced;
            }
            self.cancel_event(tid);
            self.set_vis(tid, ThreadState::ForcedSwitchWait);
        }
        forced
    }

    fn set_drop_request(&mut self, g: usize, requester: usize) {
        self.drop_requests = self.drop_requests.saturating_add(1);
        if self.drop_marks.len() < MAX_DROP_MARKS {
            self.drop_marks.push(DropMark {
                time_ns: self.now,
                thread: requester,
            });
        }
        let Some(gil) = self.gils.get_mut(g) else {
            return;
        };
        let was = gil.drop_request;
        gil.drop_request = true;
        if was {
            return;
        }
        // The holder will now stop at its next check point: recompute its event.
        if let Some(h) = gil.locked {
            if self.th.get(h).is_some_and(|t| t.st == St::Running) {
                self.advance(h);
                self.schedule_progress(h);
            }
        }
    }

    // ----- handlers -----

    fn on_wait_timeout(&mut self, tid: usize) {
        let Some(g) = self.th.get(tid).map(|t| t.interp) else {
            return;
        };
        let (locked, sn) = self
            .gils
            .get(g)
            .map_or((false, 0), |gil| (gil.locked.is_some(), gil.switch_number));
        if !locked {
            // Timed out in the window between a release and the signalled thread running:
            // the loop sees the GIL free and takes it.
            self.acquire(tid);
            self.proceed(tid);
            return;
        }
        let saved = self.th.get(tid).map_or(0, |t| t.saved_switch);
        if sn == saved {
            self.set_drop_request(g, tid);
        }
        self.start_wait(tid);
    }

    fn on_woken(&mut self, tid: usize) {
        let Some(g) = self.th.get(tid).map(|t| t.interp) else {
            return;
        };
        let locked = self.gils.get(g).is_some_and(|gil| gil.locked.is_some());
        if locked {
            // Someone barged in; the wait was not a timeout, so no request: wait again.
            self.start_wait(tid);
        } else {
            self.acquire(tid);
            self.proceed(tid);
        }
    }

    fn on_running_event(&mut self, tid: usize) {
        self.advance(tid);
        let Some((done, total, interp)) = self
            .th
            .get(tid)
            .map(|t| (t.seg_done, t.seg_total, t.interp))
        else {
            return;
        };
        let request = !self.free && self.gils.get(interp).is_some_and(|g| g.drop_request);
        if done >= total {
            // End of the segment: for Python a check point, for a C call the return to the
            // loop, where the eval breaker is looked at.
            if let Some(th) = self.th.get_mut(tid) {
                if th.in_refill {
                    th.in_refill = false;
                    th.refill = 0;
                } else {
                    th.idx = th.idx.saturating_add(1);
                }
            }
            if request && self.release(tid, false) {
                return;
            }
            self.proceed(tid);
        } else if request {
            // A check point inside the Python segment with the request set: drop, forced.
            if let Some(th) = self.th.get_mut(tid) {
                if !th.in_refill {
                    th.saved_done = Some(done);
                } else {
                    th.refill = total.saturating_sub(done);
                    th.in_refill = false;
                }
            }
            if !self.release(tid, false) {
                self.proceed(tid);
            }
        } else {
            self.schedule_progress(tid);
        }
    }

    fn on_offgil_end(&mut self, tid: usize) {
        self.advance(tid);
        if let Some(th) = self.th.get_mut(tid) {
            th.idx = th.idx.saturating_add(1);
        }
        // Py_END_ALLOW_THREADS / PyEval_RestoreThread: take the GIL back before anything else.
        if self.take_gil(tid) {
            self.proceed(tid);
        }
    }

    fn start_seg(&mut self, tid: usize, kind: Kind, ns: u64, refill: bool) {
        let now = self.now;
        let is_io = kind == Kind::Io;
        if let Some(th) = self.th.get_mut(tid) {
            th.kind = kind;
            th.seg_total = ns;
            th.seg_done = if refill {
                0
            } else {
                th.saved_done.take().unwrap_or(0).min(ns)
            };
            th.last_update = now;
            th.in_refill = refill;
            th.st = match kind {
                Kind::Python | Kind::CHold => St::Running,
                Kind::Io | Kind::CRelease => St::OffGil,
            };
            if is_io {
                th.pending_io = Some(now);
            }
        }
        let v = match kind {
            Kind::Python => ThreadState::RunningPython,
            Kind::CHold => ThreadState::CHold,
            Kind::Io => ThreadState::Io,
            Kind::CRelease => ThreadState::CRelease,
        };
        self.set_vis(tid, v);
        self.schedule_progress(tid);
    }

    fn block(&mut self, tid: usize) {
        if let Some(th) = self.th.get_mut(tid) {
            th.st = St::Blocked;
        }
        self.cancel_event(tid);
        self.set_vis(tid, ThreadState::Blocked);
    }

    fn finish(&mut self, tid: usize) {
        // Thread exit: the last release skips the forced-switch wait (tstate NULL in 3.12,
        // final_release in 3.13).
        self.release(tid, true);
        if let Some(th) = self.th.get_mut(tid) {
            th.st = St::Done;
            th.finished = Some(self.now);
        }
        self.cancel_event(tid);
        self.set_vis(tid, ThreadState::Done);
    }

    fn wake_blocked(&mut self, tid: usize) {
        if let Some(th) = self.th.get_mut(tid) {
            th.released_for_block = false;
        }
        let t = self.now.saturating_add(self.s.costs.wake_latency_ns);
        self.push_event(tid, t);
    }

    /// Runs the thread's program from its current step until it has to wait for something.
    fn proceed(&mut self, tid: usize) {
        // Every turn either consumes a step or returns; the bound is a safety net only.
        let mut guard: usize = 0;
        loop {
            guard = guard.saturating_add(1);
            if guard > 4 * MAX_TOTAL_SEGMENTS + 1_000 {
                self.finish(tid);
                return;
            }
            let Some(th) = self.th.get(tid) else {
                return;
            };
            let holds = th.holds;
            let refill = th.refill;
            if holds && refill > 0 && !th.in_refill {
                self.start_seg(tid, Kind::Python, refill, true);
                return;
            }
            let Some(step) = th.steps.get(th.idx).copied() else {
                self.finish(tid);
                return;
            };
            match step {
                Step::Acquire => {
                    if holds || self.take_gil(tid) {
                        self.bump(tid);
                        continue;
                    }
                    return;
                }
                Step::Seg(_, 0) => self.bump(tid),
                Step::Seg(kind @ (Kind::Python | Kind::CHold), ns) => {
                    if holds || self.take_gil(tid) {
                        if self.th.get(tid).is_some_and(|t| t.refill > 0) {
                            continue;
                        }
                        self.start_seg(tid, kind, ns, false);
                    }
                    return;
                }
                Step::Seg(kind, ns) => {
                    if holds && self.release(tid, false) {
                        return;
                    }
                    self.start_seg(tid, kind, ns, false);
                    return;
                }
                Step::Submit(j) => {
                    if !(holds || self.take_gil(tid)) {
                        return;
                    }
                    self.submit(tid, j);
                    self.bump(tid);
                }
                Step::SpawnWorker => {
                    self.bump(tid);
                    let g = self.th.get(tid).map_or(0, |t| t.interp);
                    let k = self.pool.spawned;
                    self.pool.spawned = k.saturating_add(1);
                    self.add_thread(
                        format!("ThreadPoolExecutor-0_{k}"),
                        g,
                        true,
                        vec![Step::Acquire, Step::Pull],
                    );
                }
                Step::Pull => {
                    let released = th.released_for_block;
                    if !holds {
                        if released && self.pool.queue.is_empty() {
                            self.pool.idle.push(tid);
                            self.block(tid);
                            return;
                        }
                        if !self.take_gil(tid) {
                            return;
                        }
                        continue;
                    }
                    if let Some(j) = self.pool.queue.pop_front() {
                        let overhead = match self.pool.kind {
                            PoolKind::Processes => self
                                .s
                                .costs
                                .ppe_worker_task_ns
                                .saturating_add(self.pickle_half_ns(j)),
                            _ => self.s.costs.tpe_item_ns,
                        };
                        let mut steps = vec![Step::Seg(Kind::Python, self.stretch(overhead))];
                        steps.extend(self.task_steps(j));
                        steps.push(Step::TaskDone(j));
                        steps.push(Step::Pull);
                        if let Some(t) = self.th.get_mut(tid) {
                            t.steps = steps;
                            t.idx = 0;
                        }
                        continue;
                    }
                    // Empty queue: the blocking get releases the GIL (forced if requested).
                    if let Some(t) = self.th.get_mut(tid) {
                        t.released_for_block = true;
                    }
                    if self.release(tid, false) {
                        return;
                    }
                }
                Step::TaskDone(j) => {
                    self.bump(tid);
                    if let Some(d) = self.task_done.get_mut(j) {
                        *d = self.now;
                    }
                    self.pool.done = self.pool.done.saturating_add(1);
                    if self.pool.kind == PoolKind::Threads {
                        // The worker releases _idle_semaphore after each work item.
                        self.pool.idle_sem = self.pool.idle_sem.saturating_add(1);
                    }
                    if self.pool.done >= self.w.tasks.len() {
                        if let Some(m) = self.pool.main {
                            if self.th.get(m).is_some_and(|t| t.st == St::Blocked) {
                                self.wake_blocked(m);
                            }
                        }
                    }
                }
                Step::WaitAll => {
                    if self.pool.done >= self.w.tasks.len() {
                        self.bump(tid);
                        continue;
                    }
                    if holds && self.release(tid, false) {
                        return;
                    }
                    self.block(tid);
                    return;
                }
            }
        }
    }

    fn bump(&mut self, tid: usize) {
        if let Some(th) = self.th.get_mut(tid) {
            th.idx = th.idx.saturating_add(1);
        }
    }

    fn submit(&mut self, tid: usize, j: usize) {
        self.pool.queue.push_back(j);
        if !self.pool.idle.is_empty() {
            let n = self.pool.idle.len();
            let pick = if n > 1 {
                self.rng.random_range(0..n)
            } else {
                0
            };
            if pick < n {
                let w = self.pool.idle.remove(pick);
                self.wake_blocked(w);
            }
        }
        if self.pool.kind == PoolKind::Threads {
            // _adjust_thread_count: an idle thread (a released semaphore) means no new thread.
            if self.pool.idle_sem > 0 {
                self.pool.idle_sem -= 1;
            } else if self.pool.nthreads < self.pool.max {
                let cost = self.stretch(self.s.costs.thread_start_ns);
                if let Some(th) = self.th.get_mut(tid) {
                    let at = th.idx.saturating_add(1).min(th.steps.len());
                    th.steps.insert(at, Step::SpawnWorker);
                    th.steps.insert(at, Step::Seg(Kind::Python, cost));
                }
                // Counted now, as CPython does: the thread is started inside this submit.
                self.pool.nthreads = self.pool.nthreads.saturating_add(1);
            }
        }
    }

    fn outcome(mut self) -> Outcome {
        let wall = self
            .th
            .iter()
            .filter(|t| !t.worker)
            .filter_map(|t| t.finished)
            .max()
            .unwrap_or(self.now);
        self.now = wall.max(self.now);
        let end = self.now;
        for i in 0..self.th.len() {
            self.advance(i);
            if let Some(th) = self.th.get_mut(i) {
                close_vis(th, end);
                th.vis_since = end;
            }
        }
        let mut cpu: u64 = 0;
        let threads = self
            .th
            .iter()
            .map(|t| {
                cpu = cpu.saturating_add(t.cpu);
                let a = |v: ThreadState| t.acc.get(vis_index(v)).copied().unwrap_or(0);
                let py = a(ThreadState::RunningPython);
                let ch = a(ThreadState::CHold);
                ThreadStats {
                    name: t.name.clone(),
                    interpreter: t.interp,
                    running_ms: ns_to_ms(py.saturating_add(ch)),
                    python_ms: ns_to_ms(py),
                    c_hold_ms: ns_to_ms(ch),
                    gil_wait_ms: ns_to_ms(a(ThreadState::WaitingForGil)),
                    forced_switch_wait_ms: ns_to_ms(a(ThreadState::ForcedSwitchWait)),
                    io_ms: ns_to_ms(a(ThreadState::Io)),
                    c_release_ms: ns_to_ms(a(ThreadState::CRelease)),
                    blocked_ms: ns_to_ms(a(ThreadState::Blocked)),
                    cpu_ms: ns_to_ms(t.cpu),
                    finished_ns: t.finished,
                    lane: t.lane.clone(),
                    dropped_intervals: t.dropped,
                }
            })
            .collect();
        let gil_switches = self
            .gils
            .iter()
            .map(|g| g.switch_number.saturating_sub(1))
            .fold(0u64, |a, b| a.saturating_add(b));
        let gil_lanes = self
            .gils
            .iter()
            .enumerate()
            .map(|(i, g)| {
                let mut intervals = g.lane.clone();
                let mut dropped = g.dropped;
                if let Some(h) = g.locked {
                    if intervals.len() < MAX_GIL_INTERVALS {
                        intervals.push(GilInterval {
                            start_ns: g.held_since,
                            end_ns: end,
                            holder: h,
                        });
                    } else {
                        dropped = dropped.saturating_add(1);
                    }
                }
                GilLane {
                    interpreter: i,
                    intervals,
                    dropped_intervals: dropped,
                }
            })
            .collect();
        Outcome {
            wall_ns: wall,
            wall_ms: ns_to_ms(wall),
            cpu_ns: cpu,
            cpu_ms: ns_to_ms(cpu),
            gil_switches,
            drop_requests: self.drop_requests,
            drop_marks: self.drop_marks,
            threads,
            gil_lanes,
            io_latencies_ns: self.io_lat,
            task_done_ns: self.task_done,
            events: self.events,
        }
    }
}

/// Adds `[vis_since, now)` to the thread's totals and lane (merged with an equal neighbour).
fn close_vis(th: &mut Th, now: u64) {
    let d = now.saturating_sub(th.vis_since);
    if d == 0 {
        return;
    }
    if let Some(a) = th.acc.get_mut(vis_index(th.vis)) {
        *a = a.saturating_add(d);
    }
    if let Some(last) = th.lane.last_mut() {
        if last.state == th.vis && last.end_ns == th.vis_since {
            last.end_ns = now;
            return;
        }
    }
    if th.lane.len() < MAX_LANE_INTERVALS {
        th.lane.push(StateInterval {
            start_ns: th.vis_since,
            end_ns: now,
            state: th.vis,
        });
    } else {
        th.dropped = th.dropped.saturating_add(1);
    }
}

/// A workload for the host's benchmark: `threads` CPU-bound threads sharing `simulated_s`
/// seconds of wall time (each runs `simulated_s / threads` s of Python) under the GIL.
pub fn bench_workload(threads: usize, simulated_s: u64) -> Workload {
    let threads = threads.clamp(1, MAX_TASKS);
    let each = simulated_s
        .saturating_mul(1_000_000_000)
        .min(MAX_TOTAL_WORK_NS)
        / threads as u64;
    Workload {
        tasks: (0..threads)
            .map(|i| {
                Task::new(
                    format!("Thread-{}", i + 1),
                    vec![Segment::Python {
                        ns: each.min(MAX_SEGMENT_NS),
                    }],
                )
            })
            .collect(),
        executor: Executor::Threads,
    }
}

/// Runs the benchmark workload (32 threads, 60 s at 5 ms by default) and returns the outcome;
/// the host divides `events` by its own wall-clock measurement.
pub fn bench_run(
    threads: usize,
    simulated_s: u64,
    settings: &Settings,
) -> Result<Outcome, SimError> {
    simulate(&bench_workload(threads, simulated_s), settings)
}
