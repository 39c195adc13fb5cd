//! What the Python lab knows about a run: the messages its worker sends (parsed here, so
//! the page never handles raw JSON), the run's record, and what the page derives from it:
//! the event loop's blocked stretches, a hint when a program reaches for threads or
//! processes, and the semaphore log's comparison with CPython's.

use serde::{Deserialize, Serialize};

/// A coroutine step longer than this held the event loop: nothing else could run.
pub const BLOCKED_MS: f64 = 10.0;
/// The page keeps at most this much of stdout and stderr together; the rest is dropped
/// with a note (the results JSON says so too).
pub const MAX_OUTPUT_CHARS: usize = 1_000_000;

/// A message from the page to the lab's worker, besides `init` (which carries shared
/// memory, so glue::python builds it field by field).
#[derive(Debug, Serialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum ToWorker<'a> {
    Run {
        run: u64,
        code: &'a str,
        /// "one": the program's pools run their tasks in the lab's interpreter.
        #[serde(skip_serializing_if = "Option::is_none")]
        pool: Option<&'static str>,
    },
    Stop {
        run: u64,
    },
}

/// A message from the lab's worker.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum WorkerEvent {
    Progress { loaded: u64, total: u64, file: String },
    /// `start`: how CPython started, "snapshot" or "plain"; `load_ms`: how long it took.
    #[serde(rename_all = "camelCase")]
    Ready {
        python: String,
        interrupts: bool,
        stack_switching: bool,
        #[serde(default)]
        start: Option<String>,
        #[serde(default)]
        load_ms: Option<f64>,
    },
    LoadFailed { message: String },
    Output { run: u64, stream: Stream, text: String },
    /// `result` is runtime.py's JSON document of the run.
    Finished { run: u64, result: String },
    Crashed { run: u64, message: String },
    /// The worker received a message it does not understand (web/python/protocol.json).
    ProtocolError { message: String },
}

impl WorkerEvent {
    /// Parses a message; anything unexpected becomes `None` (and is ignored) rather than
    /// an error the user cannot act on. The messages are those of web/python/protocol.json
    /// (a test checks both sides name the same).
    pub fn parse(json: &str) -> Option<WorkerEvent> {
        serde_json::from_str(json).ok()
    }
}

#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Stream {
    Stdout,
    Stderr,
}

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
pub struct PyException {
    #[serde(rename = "type")]
    pub kind: String,
    pub message: String,
    /// The line of main.py the error points at.
    pub line: Option<u32>,
    #[serde(skip_serializing)]
    #[serde(default)]
    pub traceback: String,
}

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
pub struct TaskRecord {
    pub name: String,
    /// `[startMs, endMs]` from the run's start: when the task's coroutine was running.
    pub segments: Vec<(f64, f64)>,
}

impl TaskRecord {
    /// The task in words, for the timeline's table: how often its coroutine ran, for how
    /// long in all, when it first ran and when it last stopped.
    pub fn summary(&self) -> TaskSummary {
        let ran_ms = self.segments.iter().map(|(a, b)| (b - a).max(0.0)).sum();
        let blocked = self.segments.iter().filter(|(a, b)| b - a > BLOCKED_MS).count();
        TaskSummary {
            steps: self.segments.len(),
            ran_ms,
            blocked,
            first_ms: self.segments.first().map(|s| s.0),
            last_ms: self.segments.last().map(|s| s.1),
        }
    }
}

/// One row of the timeline's table (see `TaskRecord::summary`).
#[derive(Clone, Debug, PartialEq)]
pub struct TaskSummary {
    pub steps: usize,
    pub ran_ms: f64,
    /// Steps long enough to have held the event loop.
    pub blocked: usize,
    pub first_ms: Option<f64>,
    pub last_ms: Option<f64>,
}

/// runtime.py's record of one run.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct RunRecord {
    pub status: String,
    pub exception: Option<PyException>,
    pub wall_ms: f64,
    pub tasks: Vec<TaskRecord>,
    /// `[ms, task index or null, stream]`: a finished line of output.
    pub ticks: Vec<(f64, Option<usize>, Stream)>,
    /// The record hit its size limits and lost later events.
    #[serde(default)]
    pub cut: bool,
    /// What the program's process pools did, when it used one.
    #[serde(default)]
    pub pool: Option<PoolRecord>,
    /// threading.Threads the run started (emulated: see web/python/threads.py).
    #[serde(default)]
    pub threads_started: usize,
    /// What each thread did when, if the run started any.
    #[serde(default)]
    pub threads: Option<ThreadsRecord>,
}

/// threads.py's record of a run's threads. Times are ms from the run's start.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ThreadsRecord {
    /// Busy threads were switched out every switch interval (the page had a ticker).
    pub preemptive: bool,
    /// `sys.getswitchinterval()` at the run's end.
    pub switch_interval_ms: f64,
    /// Times the interpreter passed from one thread to another.
    pub switches: usize,
    /// Of those, a busy thread made to give way.
    pub forced_switches: usize,
    pub threads: Vec<ThreadLane>,
    /// The record hit its limit and lost later stretches.
    #[serde(default)]
    pub cut: bool,
}

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
pub struct ThreadLane {
    /// As threading names it: MainThread, Thread-1 (worker), ...
    pub name: String,
    pub ident: u64,
    /// `[kind, startMs, endMs]`, in time order.
    pub stretches: Vec<(Stretch, f64, f64)>,
}

/// What a thread was doing, in the threads lab's words.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Stretch {
    /// Holding the interpreter: running Python.
    Run,
    /// Woken (its sleep ended, its lock was released), waiting for the interpreter.
    Wait,
    /// Switched out while busy, waiting to get the interpreter back.
    Forced,
    /// In time.sleep.
    Sleep,
    /// Blocked on a lock, join, Event, Condition or queue.
    Block,
}

impl Stretch {
    pub const ALL: [Stretch; 5] = [Stretch::Run, Stretch::Wait, Stretch::Forced, Stretch::Sleep, Stretch::Block];

    pub fn index(self) -> usize {
        Stretch::ALL.iter().position(|&k| k == self).unwrap_or(0)
    }

    pub fn from_index(i: usize) -> Stretch {
        Stretch::ALL.get(i).copied().unwrap_or(Stretch::Run)
    }

    /// The legend's words, the same as the threads lab's.
    pub fn words(self) -> &'static str {
        match self {
            Stretch::Run => "running Python (holds the GIL)",
            Stretch::Wait => "waiting for the GIL",
            Stretch::Forced => "forced-switch wait",
            Stretch::Sleep => "sleeping",
            Stretch::Block => "blocked on a lock, join or queue",
        }
    }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

impl ThreadsRecord {
    /// The sentence under the lanes: switches, forced ones, and the interval.
    pub fn figures(&self) -> String {
        let interval = self.switch_interval_ms;
        let interval = if interval.fract() == 0.0 { format!("{interval:.0}") } else { format!("{interval}") };
        format!(
            "{} of the interpreter, {} of them a busy thread made to give way after the switch interval ({interval} ms).",
            plural(self.switches, "switch", "switches"),
            self.forced_switches
        )
    }
}

impl RunRecord {
    /// What the result line says after the wall time: threads and switches for a run that
    /// started threads, else asyncio tasks and the time the loop was blocked.
    pub fn counts(&self) -> String {
        match &self.threads {
            Some(t) => format!(
                " \u{b7} {} besides the main one \u{b7} {}",
                plural(self.threads_started, "thread", "threads"),
                plural(t.switches, "switch", "switches")
            ),
            None => format!(
                " \u{b7} {} \u{b7} event loop blocked {} ms",
                plural(self.tasks.len(), "asyncio task", "asyncio tasks"),
                crate::core::lab::whole_ms(self.loop_blocked_ms())
            ),
        }
    }

    /// "3 threads started. " before the emulation note.
    pub fn threads_started_words(&self) -> String {
        format!("{} started. ", plural(self.threads_started, "thread", "threads"))
    }
}

/// A thread's time by what it did, for the table under the lanes.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ThreadSummary {
    pub ran_ms: f64,
    /// Waiting for the interpreter, woken or switched out.
    pub waited_ms: f64,
    pub slept_ms: f64,
    pub blocked_ms: f64,
    /// Times it got the interpreter.
    pub turns: usize,
}

impl ThreadLane {
    pub fn summary(&self) -> ThreadSummary {
        let mut sum = ThreadSummary::default();
        for &(kind, a, b) in &self.stretches {
            let ms = (b - a).max(0.0);
            match kind {
                Stretch::Run => {
                    sum.ran_ms += ms;
                    sum.turns += 1;
                }
                Stretch::Wait | Stretch::Forced => sum.waited_ms += ms,
                Stretch::Sleep => sum.slept_ms += ms,
                Stretch::Block => sum.blocked_ms += ms,
            }
        }
        sum
    }
}

/// pool.py's record of a run's process pools. Times are ms from the run's start.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct PoolRecord {
    /// Tasks ran on child interpreters; false when they ran one after another here.
    pub parallel: bool,
    /// Why they did not run in parallel.
    pub reason: Option<String>,
    /// The most workers a pool asked for.
    pub asked: usize,
    pub startups: Vec<ChildStartup>,
    pub tasks: Vec<PoolTask>,
}

/// A child interpreter made ready for the run: started (cold) or only given the program.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
pub struct ChildStartup {
    pub child: usize,
    pub start: f64,
    pub end: f64,
    pub cold: bool,
}

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct PoolTask {
    pub child: usize,
    /// The call, shortened: `calculate_factorial(2, 38)`.
    pub label: String,
    /// Given to the child.
    pub dispatch: f64,
    /// Pickling the call, here, at submit.
    pub arg_pickle_ms: f64,
    /// The child's work, from taking the call to its pickled answer.
    pub start: f64,
    pub end: f64,
    pub child_unpickle_ms: f64,
    pub result_pickle_ms: f64,
    /// The answer back here.
    pub received: f64,
    pub result_unpickle_ms: f64,
    pub ok: bool,
}

impl PoolTask {
    /// The function's own time, without the child's pickling.
    pub fn run_ms(&self) -> f64 {
        (self.end - self.start - self.child_unpickle_ms - self.result_pickle_ms).max(0.0)
    }

    /// Pickling both ways, on both sides.
    pub fn pickling_ms(&self) -> f64 {
        self.arg_pickle_ms
            + self.child_unpickle_ms
            + self.result_pickle_ms
            + self.result_unpickle_ms
    }
}

/// The most child lanes a record may name: pool.py starts at most 8 children; anything
/// beyond a small bound is not a record from it.
pub const MAX_CHILD_LANES: usize = 64;

impl PoolRecord {
    fn sanitize(&mut self) {
        let ok = |x: f64| x.is_finite() && x >= 0.0;
        self.startups
            .retain(|s| s.child < MAX_CHILD_LANES && ok(s.start) && ok(s.end) && s.end >= s.start);
        self.tasks.retain(|t| {
            t.child < MAX_CHILD_LANES
                && [
                    t.dispatch,
                    t.arg_pickle_ms,
                    t.start,
                    t.end,
                    t.child_unpickle_ms,
                    t.result_pickle_ms,
                    t.received,
                    t.result_unpickle_ms,
                ]
                .into_iter()
                .all(ok)
                && t.end >= t.start
        });
    }

    /// Lanes: one per child that started or ran a task (one, this interpreter, when the
    /// tasks ran here).
    pub fn lanes(&self) -> usize {
        let most = self
            .startups
            .iter()
            .map(|s| s.child)
            .chain(self.tasks.iter().map(|t| t.child))
            .max();
        most.map_or(0, |m| m + 1)
    }

    pub fn figures(&self, wall_ms: f64) -> PoolFigures {
        let startup_ms = self
            .startups
            .iter()
            .map(|s| s.end - s.start)
            .fold(0.0, f64::max);
        PoolFigures {
            workers: self.lanes(),
            tasks: self.tasks.len(),
            failed: self.tasks.iter().filter(|t| !t.ok).count(),
            wall_ms,
            task_ms: self.tasks.iter().map(PoolTask::run_ms).sum(),
            pickling_ms: self.tasks.iter().map(PoolTask::pickling_ms).sum(),
            startup_ms,
            cold_starts: self.startups.iter().filter(|s| s.cold).count(),
        }
    }
}

/// What the page says under a pool's lanes.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PoolFigures {
    pub workers: usize,
    pub tasks: usize,
    pub failed: usize,
    pub wall_ms: f64,
    /// The tasks' own time, summed: about what one interpreter would take for them.
    pub task_ms: f64,
    pub pickling_ms: f64,
    /// The slowest child's start-up (they start side by side).
    pub startup_ms: f64,
    pub cold_starts: usize,
}

impl RunRecord {
    pub fn parse(json: &str) -> Result<RunRecord, String> {
        let mut record: RunRecord = serde_json::from_str(json)
            .map_err(|e| format!("the run's record did not parse: {e}"))?;
        // Bad numbers would bend the timeline; they cannot come from runtime.py, but a
        // record is input like any other.
        record.wall_ms = finite(record.wall_ms);
        for task in &mut record.tasks {
            task.segments
                .retain(|(a, b)| a.is_finite() && b.is_finite() && b >= a);
        }
        record
            .ticks
            .retain(|(t, task, _)| t.is_finite() && task.is_none_or(|i| i < record.tasks.len()));
        if let Some(pool) = &mut record.pool {
            pool.sanitize();
        }
        if let Some(threads) = &mut record.threads {
            threads.switch_interval_ms = finite(threads.switch_interval_ms);
            for lane in &mut threads.threads {
                lane.stretches.retain(|&(_, a, b)| a.is_finite() && b.is_finite() && a >= 0.0 && b >= a);
            }
        }
        Ok(record)
    }

    /// Stretches where one task ran longer than [`BLOCKED_MS`] without awaiting, in time
    /// order: `(task index, start, end)`.
    pub fn blocked(&self) -> Vec<(usize, f64, f64)> {
        let mut out: Vec<(usize, f64, f64)> = self
            .tasks
            .iter()
            .enumerate()
            .flat_map(|(i, t)| t.segments.iter().filter(|(a, b)| b - a > BLOCKED_MS).map(move |&(a, b)| (i, a, b)))
            .collect();
        out.sort_by(|x, y| x.1.total_cmp(&y.1));
        out
    }

    /// How long the event loop was held by steps longer than [`BLOCKED_MS`].
    pub fn loop_blocked_ms(&self) -> f64 {
        self.blocked().iter().map(|(_, a, b)| b - a).sum()
    }
}

fn finite(x: f64) -> f64 {
    if x.is_finite() && x >= 0.0 {
        x
    } else {
        0.0
    }
}

/// Where an error shows a model this interpreter does not have.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hint {
    pub sentence: &'static str,
    pub lab_text: &'static str,
    pub href: &'static str,
}

/// The sentence for a program that tried to start a thread or a process, which this
/// interpreter cannot do (Pyodide runs CPython in one Web Worker, with no threads and no
/// processes).
pub fn hint_for(e: &PyException) -> Option<Hint> {
    let text = format!("{}: {}\n{}", e.kind, e.message, e.traceback);
    // Threads are emulated where the browser has stack switching; this error is left
    // only where it has not.
    let threads = text.contains("can't start new thread");
    // The pools work here; what is left of multiprocessing does not. (The spawn
    // bootstrapping error is CPython's own and means the same there.)
    let processes = (text.contains("multiprocessing") && !text.contains("bootstrapping phase"))
        || (e.kind == "OSError" && text.contains("fork"));
    if threads {
        Some(Hint {
            sentence: "This CPython runs inside one Web Worker and cannot start threads: WebAssembly gives it none, and \
                       this browser cannot suspend WebAssembly (JSPI), which the lab's emulated threads need. They work \
                       in CPython on your machine.",
            lab_text: "Run the tutorial's bank race in the race lab",
            href: "race?preset=bank&mode=exhaustive",
        })
    } else if processes {
        Some(Hint {
            sentence: "This CPython runs inside one Web Worker and cannot start processes itself: ProcessPoolExecutor \
                       and multiprocessing.Pool run on child interpreters here, but multiprocessing.Process, Queue and \
                       Manager do not.",
            lab_text: "See work spread over cores in the CPU lab",
            href: "cpu",
        })
    } else {
        None
    }
}

/// One line of the semaphore comparison.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogLine {
    pub expected: Option<String>,
    pub got: Option<String>,
}

impl LogLine {
    pub fn same(&self) -> bool {
        self.expected == self.got
    }
}

/// The run's lines beside CPython's, line by line.
pub fn compare_lines(expected: &str, got: &str) -> Vec<LogLine> {
    let e: Vec<&str> = expected.lines().collect();
    let g: Vec<&str> = got.lines().collect();
    (0..e.len().max(g.len()))
        .map(|i| LogLine { expected: e.get(i).map(|s| s.to_string()), got: g.get(i).map(|s| s.to_string()) })
        .collect()
}

/// The most requests a semaphore log shows holding it at once: lines "...: acquired ..."
/// add one, "...: released ..." take one away.
pub fn most_held(log: &str) -> usize {
    let (mut held, mut most) = (0usize, 0usize);
    for line in log.lines() {
        if line.contains(": acquired") {
            held += 1;
            most = most.max(held);
        } else if line.contains(": released") {
            held = held.saturating_sub(1);
        }
    }
    most
}

/// The program's `LIVE = True/False` switch, if it has one at the start of a line.
pub fn live_switch(code: &str) -> Option<bool> {
    code.lines().find_map(|line| {
        let rest = line.strip_prefix("LIVE = ")?;
        if rest.starts_with("True") {
            Some(true)
        } else if rest.starts_with("False") {
            Some(false)
        } else {
            None
        }
    })
}

/// `code` with its first `LIVE = ...` line set to `on`; the rest of the line (a comment)
/// stays.
pub fn set_live(code: &str, on: bool) -> String {
    let (from, to) = if on { ("LIVE = False", "LIVE = True") } else { ("LIVE = True", "LIVE = False") };
    let mut done = false;
    let mut out = String::with_capacity(code.len() + 1);
    for piece in code.split_inclusive('\n') {
        match piece.strip_prefix(from) {
            Some(rest) if !done => {
                out.push_str(to);
                out.push_str(rest);
                done = true;
            }
            _ => out.push_str(piece),
        }
    }
    out
}

/// Lanes drawn in the timeline; a run with more tasks says how many are not drawn.
pub const SHOWN_LANES: usize = 60;

/// The run's timeline in SVG units: one lane per task (in the order the tasks first ran),
/// bars where its coroutine ran, the blocked stretches over them, and a tick for each
/// printed line on the lane of the task that printed it.
#[derive(Clone, Debug, PartialEq)]
pub struct PyTimeline {
    pub chart: crate::core::chart::Timeline,
    pub names: Vec<String>,
    /// `(x, lane, stream)`.
    pub prints: Vec<(f64, usize, Stream)>,
    pub hidden_lanes: usize,
}

pub fn timeline(record: &RunRecord, width: f64) -> PyTimeline {
    use crate::core::chart::{time_scale, timeline as lay_out, TimelineLayout};
    let lanes = record.tasks.len().min(SHOWN_LANES);
    let layout = TimelineLayout { width, left: 96.0, lane_height: 20.0, gap: 6.0, axis_height: 24.0 };
    // Bars closer than half a unit merge, so a run of 100,000 steps draws a few hundred.
    // (runtime.py takes the wall time last, so no segment ends after it: this is the chart's scale.)
    let scale = time_scale(record.wall_ms, &layout);
    let px_per_ms = (scale.range.1 - scale.range.0) / scale.domain.1;
    let merge_ms = 0.5 / px_per_ms.max(f64::MIN_POSITIVE);
    let mut spans: Vec<(usize, usize, f64, f64)> = Vec::new();
    // Item 2: the task's life from its first step to its last, drawn under its steps so
    // the gaps read as waiting.
    for (lane, task) in record.tasks.iter().take(lanes).enumerate() {
        if let (Some(first), Some(last)) = (task.segments.first(), task.segments.last()) {
            spans.push((lane, 2, first.0, last.1));
        }
    }
    for (lane, task) in record.tasks.iter().take(lanes).enumerate() {
        let mut open: Option<(f64, f64)> = None;
        for &(a, b) in &task.segments {
            match open {
                Some((s, e)) if a - e <= merge_ms => open = Some((s, e.max(b))),
                Some((s, e)) => {
                    spans.push((lane, 0, s, e));
                    open = Some((a, b));
                }
                None => open = Some((a, b)),
            }
        }
        if let Some((s, e)) = open {
            spans.push((lane, 0, s, e));
        }
    }
    for (lane, a, b) in record.blocked() {
        if lane < lanes {
            spans.push((lane, 1, a, b));
        }
    }
    let chart = lay_out(&spans, lanes, record.wall_ms, &layout);
    let x = chart.x;
    let mut prints: Vec<(f64, usize, Stream)> = Vec::new();
    for &(t, task, stream) in &record.ticks {
        let Some(lane) = task.filter(|&l| l < lanes) else { continue };
        let px = x.map(t);
        // One tick per unit and lane is all the eye can tell apart.
        if prints.last().is_some_and(|&(last, l, s)| l == lane && s == stream && (px - last).abs() < 1.0) {
            continue;
        }
        prints.push((px, lane, stream));
    }
    PyTimeline {
        chart,
        names: record.tasks.iter().take(lanes).map(|t| t.name.clone()).collect(),
        prints,
        hidden_lanes: record.tasks.len() - lanes,
    }
}

/// The threads' lanes: one per thread in the order they started, a bar per stretch
/// coloured by what the thread did (`Bar::item` is `Stretch::index`).
#[derive(Clone, Debug, PartialEq)]
pub struct ThreadTimeline {
    pub chart: crate::core::chart::Timeline,
    pub names: Vec<String>,
    pub hidden_lanes: usize,
}

/// The longest thread name a lane label shows whole.
const MAX_LABEL_CHARS: usize = 27;

pub fn thread_timeline(record: &RunRecord, width: f64) -> Option<ThreadTimeline> {
    use crate::core::chart::{time_scale, timeline as lay_out, TimelineLayout};
    let threads = record.threads.as_ref()?;
    let lanes = threads.threads.len().min(SHOWN_LANES);
    // threading's names run long ("Thread-1 (timed_count)"): the labels get room for the
    // longest, up to a limit (at about 6.5 units a character).
    let longest = threads.threads.iter().take(lanes).map(|t| t.name.chars().count()).max().unwrap_or(0);
    let left = (12.0 + 6.5 * longest.min(MAX_LABEL_CHARS) as f64).clamp(96.0, 190.0);
    let layout = TimelineLayout { width, left, lane_height: 20.0, gap: 6.0, axis_height: 24.0 };
    let scale = time_scale(record.wall_ms, &layout);
    let px_per_ms = (scale.range.1 - scale.range.0) / scale.domain.1;
    // Stretches of one kind closer than half a unit merge: 5 ms turns over a minute are
    // 12,000 stretches a lane, which no screen shows apart.
    let merge_ms = 0.5 / px_per_ms.max(f64::MIN_POSITIVE);
    let mut spans: Vec<(usize, usize, f64, f64)> = Vec::new();
    for (lane, thread) in threads.threads.iter().take(lanes).enumerate() {
        let mut open: Option<(Stretch, f64, f64)> = None;
        for &(kind, a, b) in &thread.stretches {
            match open {
                Some((k, s, e)) if k == kind && a - e <= merge_ms => open = Some((k, s, e.max(b))),
                Some((k, s, e)) => {
                    spans.push((lane, k.index(), s, e));
                    open = Some((kind, a, b));
                }
                None => open = Some((kind, a, b)),
            }
        }
        if let Some((k, s, e)) = open {
            spans.push((lane, k.index(), s, e));
        }
    }
    Some(ThreadTimeline {
        chart: lay_out(&spans, lanes, record.wall_ms, &layout),
        // A name longer than the room is cut (the table under the lanes has it whole).
        names: threads
            .threads
            .iter()
            .take(lanes)
            .map(|t| match t.name.char_indices().nth(MAX_LABEL_CHARS) {
                Some((cut, _)) => format!("{}\u{2026}", &t.name[..t.name.char_indices().nth(MAX_LABEL_CHARS - 1).map_or(cut, |c| c.0)]),
                None => t.name.clone(),
            })
            .collect(),
        hidden_lanes: threads.threads.len() - lanes,
    })
}

/// The process pool's lanes: one per child interpreter, its start-up, each task from the
/// moment it took the call to its answer, with the child's pickling at both ends, and a
/// thin line from dispatch to the answer's arrival here.
#[derive(Clone, Debug, PartialEq)]
pub struct PoolTimeline {
    pub chart: crate::core::chart::Timeline,
    pub names: Vec<String>,
    /// For each task bar (chart bars of kind [`POOL_TASK`]), its label, in bar order.
    pub labels: Vec<String>,
}

pub const POOL_TASK: usize = 0;
pub const POOL_FAILED: usize = 1;
pub const POOL_FLIGHT: usize = 2;
pub const POOL_STARTUP: usize = 3;
pub const POOL_PICKLING: usize = 4;

pub fn pool_timeline(record: &RunRecord, width: f64) -> Option<PoolTimeline> {
    use crate::core::chart::{timeline as lay_out, TimelineLayout};
    let pool = record.pool.as_ref()?;
    let lanes = pool.lanes();
    if lanes == 0 {
        return None;
    }
    let layout = TimelineLayout {
        width,
        left: 96.0,
        lane_height: 20.0,
        gap: 6.0,
        axis_height: 24.0,
    };
    let mut spans: Vec<(usize, usize, f64, f64)> = Vec::new();
    for s in &pool.startups {
        spans.push((s.child, POOL_STARTUP, s.start, s.end));
    }
    for t in &pool.tasks {
        spans.push((
            t.child,
            POOL_FLIGHT,
            t.dispatch.min(t.start),
            t.received.max(t.end),
        ));
    }
    let mut labels = Vec::new();
    for t in &pool.tasks {
        spans.push((
            t.child,
            if t.ok { POOL_TASK } else { POOL_FAILED },
            t.start,
            t.end,
        ));
        labels.push(t.label.clone());
    }
    for t in &pool.tasks {
        if t.child_unpickle_ms > 0.0 {
            spans.push((
                t.child,
                POOL_PICKLING,
                t.start,
                (t.start + t.child_unpickle_ms).min(t.end),
            ));
        }
        if t.result_pickle_ms > 0.0 {
            spans.push((
                t.child,
                POOL_PICKLING,
                (t.end - t.result_pickle_ms).max(t.start),
                t.end,
            ));
        }
    }
    let chart = lay_out(&spans, lanes, record.wall_ms, &layout);
    let names = (0..lanes)
        .map(|i| {
            if pool.parallel {
                format!("process {}", i + 1)
            } else {
                "one interpreter".to_string()
            }
        })
        .collect();
    Some(PoolTimeline {
        chart,
        names,
        labels,
    })
}

/// Where the build put the lab's files (web/build.mjs writes this into index.html).
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Assets {
    pub editor: String,
    pub worker: String,
    pub pyodide: String,
    pub pyodide_version: String,
    pub python: String,
    pub files: Vec<AssetFile>,
}

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
pub struct AssetFile {
    pub name: String,
    pub size: u64,
}

impl Assets {
    pub fn parse(json: &str) -> Option<Assets> {
        serde_json::from_str(json).ok()
    }

    /// Bytes the interpreter downloads on a first visit.
    pub fn total_bytes(&self) -> u64 {
        self.files.iter().map(|f| f.size).sum()
    }
}
