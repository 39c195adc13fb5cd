//! Input and output types of the simulator: workloads, settings, calibrated costs, outcome.

use serde::{Deserialize, Serialize};

/// One piece of a task's work, in nanoseconds of wall time on an idle core.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum Segment {
    /// Python bytecode: holds the GIL, with an eval-breaker check point every `checkpoint_ns`.
    Python { ns: u64 },
    /// A C call that holds the GIL and never returns to the eval loop until it is done
    /// (`sum(range(10**9))`, a big-int multiplication, `re` on a long string): no check points.
    CHold { ns: u64 },
    /// Blocking I/O or `time.sleep`: the GIL is released and no core is used.
    Io { ns: u64 },
    /// C code inside `Py_BEGIN_ALLOW_THREADS` (hashlib on big buffers, zlib, numpy): the GIL is
    /// released but a core is used.
    CRelease { ns: u64 },
}

impl Segment {
    pub fn ns(&self) -> u64 {
        match *self {
            Segment::Python { ns }
            | Segment::CHold { ns }
            | Segment::Io { ns }
            | Segment::CRelease { ns } => ns,
        }
    }
}

/// A unit of work: what one `threading.Thread` target or one submitted callable does.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Task {
    pub name: String,
    pub segments: Vec<Segment>,
    /// Pickled size of the argument, for process pools (bytes).
    #[serde(default)]
    pub arg_bytes: u64,
    /// Pickled size of the result, for process pools (bytes).
    #[serde(default)]
    pub result_bytes: u64,
}

impl Task {
    pub fn new(name: impl Into<String>, segments: Vec<Segment>) -> Self {
        Task {
            name: name.into(),
            segments,
            arg_bytes: 0,
            result_bytes: 0,
        }
    }
}

/// `multiprocessing` start methods.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum StartMethod {
    Fork,
    Forkserver,
    Spawn,
}

/// How the tasks are run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum Executor {
    /// All tasks one after another on the main thread.
    Sequential,
    /// One `threading.Thread` per task, all calling `take_gil` at t = 0 in task order.
    Threads,
    /// `concurrent.futures.ThreadPoolExecutor(max_workers)`; `None` means the default
    /// `min(32, cores + 4)` (Lib/concurrent/futures/thread.py, 3.8+).
    ThreadPool { max_workers: Option<u32> },
    /// `concurrent.futures.ProcessPoolExecutor(workers)` with a start method.
    ProcessPool { workers: u32, start: StartMethod },
}

/// A list of tasks and the way they are run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Workload {
    pub tasks: Vec<Task>,
    pub executor: Executor,
}

/// Which interpreter runs the threads.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum Interpreter {
    /// CPython with the GIL, rules of Python/ceval_gil.c in 3.11-3.13.
    Gil,
    /// Free-threaded CPython (3.13t, 3.14t): no GIL; Python and GIL-holding C segments are
    /// stretched by `1 + slowdown` (the single-thread cost of the free-threaded build).
    FreeThreaded { slowdown: f64 },
}

impl Interpreter {
    /// 3.13t: about 40% single-thread slowdown (free-threading HOWTO, 3.13 docs).
    pub const FT_313_SLOWDOWN: f64 = 0.40;
    /// 3.14t: 5-10% (What's New in Python 3.14); the middle of that range.
    pub const FT_314_SLOWDOWN: f64 = 0.075;
    pub fn free_threaded_313() -> Self {
        Interpreter::FreeThreaded {
            slowdown: Self::FT_313_SLOWDOWN,
        }
    }
    pub fn free_threaded_314() -> Self {
        Interpreter::FreeThreaded {
            slowdown: Self::FT_314_SLOWDOWN,
        }
    }
}

/// Costs of the machine and of the library code around the tasks. `Costs::calibrated()` holds
/// the figures fitted on a 2-core machine (see measure/README.md); `Costs::ideal()`
/// sets all of them to zero, which the rule tests use to get hand-computable times.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Costs {
    /// Time from `COND_SIGNAL` to the signalled thread running (GIL idle meanwhile).
    pub wake_latency_ns: u64,
    /// How late a timed wait on `gil->cond` returns after its deadline.
    pub timer_overshoot_ns: u64,
    /// Extra Python work for a thread that takes the GIL from another thread (cold caches).
    pub switch_refill_ns: u64,
    /// Each running core is this much slower while two or more cores are busy (ppm).
    pub parallel_slowdown_ppm: u64,
    /// ThreadPoolExecutor: main thread's Python per `submit` (Future, work item, queue put).
    pub tpe_submit_ns: u64,
    /// ThreadPoolExecutor: worker's Python per work item (queue get, run, set_result).
    pub tpe_item_ns: u64,
    /// ThreadPoolExecutor: main thread's Python to create and start one worker thread.
    pub thread_start_ns: u64,
    /// ProcessPoolExecutor: parent's serial Python per task (submit, management thread, call
    /// queue, result pipe, future completion).
    pub ppe_parent_task_ns: u64,
    /// ProcessPoolExecutor: worker's Python per task (receive, send).
    pub ppe_worker_task_ns: u64,
    /// Pickle round trip (dumps + loads) throughput, bytes per second.
    pub pickle_bytes_per_s: u64,
    /// Start-up CPU of one worker process before it can take a task, per start method.
    pub start_fork_ns: u64,
    pub start_forkserver_ns: u64,
    pub start_spawn_ns: u64,
}

impl Costs {
    /// All costs zero, pickling infinitely fast: only the GIL rules remain.
    pub fn ideal() -> Self {
        Costs {
            wake_latency_ns: 0,
            timer_overshoot_ns: 0,
            switch_refill_ns: 0,
            parallel_slowdown_ppm: 0,
            tpe_submit_ns: 0,
            tpe_item_ns: 0,
            thread_start_ns: 0,
            ppe_parent_task_ns: 0,
            ppe_worker_task_ns: 0,
            pickle_bytes_per_s: 0,
            start_fork_ns: 0,
            start_forkserver_ns: 0,
            start_spawn_ns: 0,
        }
    }

    /// The figures of the 2-core machine (Intel Xeon VM, 2 vCPUs, 1 thread per core),
    /// see each field's note in src/gil.rs's module comment and the crate README.
    pub fn calibrated() -> Self {
        Costs {
            // measure/wake.c on this machine: pthread_cond_signal to the waiter running,
            // p50 26 us (p90 35 us).
            wake_latency_ns: 26_000,
            // measure/wake.c: pthread_cond_timedwait(1 ms) returns p50 102 us late (Linux's
            // default 50 us timer slack plus the wake-up). It is also what the convoy shows:
            // 5.30 ms per 0.17 ms sleep at a 5 ms interval, 1.30 ms at 1 ms.
            timer_overshoot_ns: 100_000,
            // Fitted, not measured on its own: makes 2 CPU threads 0.97x of sequential, the
            // middle of the 0.92-0.99x measured with 3.11/3.13 (measured on the 2-core machine). It stands
            // for the new holder's cache misses on the objects the other core just wrote.
            switch_refill_ns: 130_000,
            // Fitted: 2 CPU-bound processes on 2 cores give 1.77-1.81x, not 2x (measured on the 2-core machine);
            // 11% per core while both are busy gives 1.79x. A re-measurement (measure/par.py)
            // on the shared VM was too noisy (1.3-1.8x) to fit better.
            parallel_slowdown_ppm: 110_000,
            // 1,000 trivial tasks on ThreadPoolExecutor(2) take 7 ms (3.11, measured on the 2-core machine):
            // about 7 us per task, split between submit and the worker.
            tpe_submit_ns: 3_500,
            tpe_item_ns: 3_000,
            // threading.Thread.start(): clone() plus the bootstrap handshake, ~100 us.
            thread_start_ns: 100_000,
            // 1,000 trivial tasks on ProcessPoolExecutor(2, fork) take 110-120 ms; the parent
            // is the bottleneck (measure/tiny.py, 3.11: parent CPU 78 ms, children 30 ms).
            ppe_parent_task_ns: 110_000,
            ppe_worker_task_ns: 30_000,
            // Pickling a list of 1,000,000 ints and back: ~110 MB/s (measured on the 2-core machine).
            pickle_bytes_per_s: 110_000_000,
            // Pool of 2 to its first result: fork ~5 ms, forkserver ~20 ms, spawn ~55 ms
            // (measured on the 2-core machine); minus the ~0.2 ms a trivial task costs.
            start_fork_ns: 4_800_000,
            start_forkserver_ns: 19_800_000,
            start_spawn_ns: 54_800_000,
        }
    }
}

impl Default for Costs {
    fn default() -> Self {
        Costs::calibrated()
    }
}

/// Settings of one run.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Settings {
    pub interpreter: Interpreter,
    /// `sys.setswitchinterval`, in ns (CPython's default 5 ms).
    pub switch_interval_ns: u64,
    pub cores: u32,
    pub seed: u64,
    /// Distance between eval-breaker check points inside a Python segment.
    pub checkpoint_ns: u64,
    /// Stop with an error past this many events (at most `MAX_EVENTS`).
    pub max_events: u64,
    pub costs: Costs,
}

impl Settings {
    /// CPython's default interval: DEFAULT_INTERVAL 5000 us in Python/ceval_gil.c.
    pub const DEFAULT_SWITCH_INTERVAL_NS: u64 = 5_000_000;
    /// Check points every 5 us. A tight loop's back-edge comes every ~40-60 ns on this machine
    /// (12e6 iterations of `x += i` in 0.5-0.7 s, 3.11), but the builtin calls between check
    /// points in ordinary code take up to microseconds; 5 us is a coarse upper bound that keeps
    /// the drop delay visible on the lanes while it moves a 5 ms slice by at most 0.1%.
    pub const DEFAULT_CHECKPOINT_NS: u64 = 5_000;
    pub const DEFAULT_MAX_EVENTS: u64 = 20_000_000;

    /// Defaults: GIL, 5 ms, 2 cores (this machine), seed 1, calibrated costs.
    pub fn new(cores: u32) -> Self {
        Settings {
            interpreter: Interpreter::Gil,
            switch_interval_ns: Self::DEFAULT_SWITCH_INTERVAL_NS,
            cores,
            seed: 1,
            checkpoint_ns: Self::DEFAULT_CHECKPOINT_NS,
            max_events: Self::DEFAULT_MAX_EVENTS,
            costs: Costs::calibrated(),
        }
    }

    /// Only the GIL rules: every machine and library cost zero.
    pub fn ideal(cores: u32) -> Self {
        Settings {
            costs: Costs::ideal(),
            ..Settings::new(cores)
        }
    }
}

impl Default for Settings {
    fn default() -> Self {
        Settings::new(2)
    }
}

/// What a thread is doing, for the lanes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ThreadState {
    NotStarted,
    RunningPython,
    CHold,
    WaitingForGil,
    ForcedSwitchWait,
    Io,
    CRelease,
    /// A pool worker blocked on the empty work queue, or the main thread waiting for results.
    Blocked,
    Done,
}

/// `[start_ns, end_ns)` in one state.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StateInterval {
    pub start_ns: u64,
    pub end_ns: u64,
    pub state: ThreadState,
}

/// `[start_ns, end_ns)` with `holder` (an index into `Outcome::threads`) holding a GIL.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GilInterval {
    pub start_ns: u64,
    pub end_ns: u64,
    pub holder: usize,
}

/// Holder intervals of one interpreter's GIL (0 = the main process).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GilLane {
    pub interpreter: usize,
    pub intervals: Vec<GilInterval>,
    /// Intervals left out past the drawing cap (statistics stay exact).
    pub dropped_intervals: u64,
}

/// A drop request set by `thread` at `time_ns`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DropMark {
    pub time_ns: u64,
    pub thread: usize,
}

/// Exact per-thread totals plus the (capped) lane for drawing.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ThreadStats {
    pub name: String,
    /// Interpreter (process) index: 0 is the main process, 1.. are pool workers.
    pub interpreter: usize,
    pub running_ms: f64,
    pub python_ms: f64,
    pub c_hold_ms: f64,
    pub gil_wait_ms: f64,
    pub forced_switch_wait_ms: f64,
    pub io_ms: f64,
    pub c_release_ms: f64,
    pub blocked_ms: f64,
    pub cpu_ms: f64,
    pub finished_ns: Option<u64>,
    pub lane: Vec<StateInterval>,
    pub dropped_intervals: u64,
}

/// Result of one run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Outcome {
    pub wall_ns: u64,
    pub wall_ms: f64,
    pub cpu_ns: u64,
    pub cpu_ms: f64,
    /// How many times a GIL's holder changed from one thread to another (CPython's
    /// `switch_number` minus the first take), summed over interpreters.
    pub gil_switches: u64,
    /// Number of `SET_GIL_DROP_REQUEST`s.
    pub drop_requests: u64,
    /// The first `MAX_DROP_MARKS` of them, for drawing.
    pub drop_marks: Vec<DropMark>,
    pub threads: Vec<ThreadStats>,
    pub gil_lanes: Vec<GilLane>,
    /// Per I/O operation: from the start of the I/O to the thread holding the GIL again.
    pub io_latencies_ns: Vec<u64>,
    /// Completion time of each task, in task order.
    pub task_done_ns: Vec<u64>,
    pub events: u64,
}

impl Outcome {
    /// Nearest-rank percentile of the I/O latencies (q in 0..=100), in ms.
    pub fn io_latency_percentile_ms(&self, q: f64) -> Option<f64> {
        percentile_ns(&self.io_latencies_ns, q).map(ns_to_ms)
    }
    pub fn io_latency_p50_ms(&self) -> Option<f64> {
        self.io_latency_percentile_ms(50.0)
    }
    pub fn io_latency_p99_ms(&self) -> Option<f64> {
        self.io_latency_percentile_ms(99.0)
    }
    /// Time of the first completed task (ms).
    pub fn first_result_ms(&self) -> Option<f64> {
        self.task_done_ns.iter().copied().min().map(ns_to_ms)
    }
    /// Index of the thread called `name`.
    pub fn thread(&self, name: &str) -> Option<&ThreadStats> {
        self.threads.iter().find(|t| t.name == name)
    }
}

/// Nearest-rank percentile; `None` for an empty list or a q outside 0..=100.
pub fn percentile_ns(values: &[u64], q: f64) -> Option<u64> {
    if values.is_empty() || !q.is_finite() || !(0.0..=100.0).contains(&q) {
        return None;
    }
    let mut v = values.to_vec();
    v.sort_unstable();
    let n = v.len();
    let rank = ((q / 100.0) * n as f64).ceil() as usize;
    let idx = rank.clamp(1, n) - 1;
    v.get(idx).copied()
}

pub fn ns_to_ms(ns: u64) -> f64 {
    ns as f64 / 1e6
}

/// Milliseconds (f64) to integer nanoseconds, saturating; negative or NaN give 0.
pub fn ms(ms: f64) -> u64 {
    if ms.is_finite() && ms > 0.0 {
        let v = ms * 1e6;
        if v >= u64::MAX as f64 {
            u64::MAX
        } else {
            v.round() as u64
        }
    } else {
        0
    }
}

/// Why a run could not be simulated.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum SimError {
    /// The input is outside the limits; the text says which and why.
    InvalidInput(String),
    /// More events than `Settings::max_events`.
    EventBudgetExceeded { budget: u64, simulated_ns: u64 },
    /// No event left while some thread is not done (should not happen; reported, not panicked).
    Stalled { simulated_ns: u64 },
}

impl core::fmt::Display for SimError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            SimError::InvalidInput(s) => write!(f, "invalid input: {s}"),
            SimError::EventBudgetExceeded {
                budget,
                simulated_ns,
            } => write!(
                f,
                "event budget of {budget} exceeded after {:.3} ms of simulated time; \
                 use fewer threads, longer segments or a longer switch interval",
                ns_to_ms(*simulated_ns)
            ),
            SimError::Stalled { simulated_ns } => write!(
                f,
                "simulation stalled at {:.3} ms with threads not done",
                ns_to_ms(*simulated_ns)
            ),
        }
    }
}

impl std::error::Error for SimError {}
