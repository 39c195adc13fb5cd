//! The threads lab's presets, one row each in [`TABLE`]: the id, the one title, the
//! registry's blurb, the experiment the page opens on, the calibrated runs and the
//! headline figures they are checked by, with the CPython figure each should match and
//! where that figure comes from. The registry's list ([`REGISTRY`]) and every lookup by
//! id are derived from the table; each preset is written once, in its own section below.
//!
//! Figures "measured here" are CPython 3.11 and 3.13 (from pyenv) on the
//! 2-core Intel Xeon VM this project runs on) or from the scripts in measure/ re-run on the same
//! machine; they vary by machine, the ratios hold better than the absolute times.

use super::choices::{ExecKind, Interp};
use super::gil::simulate;
use super::model::*;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

/// One preset, written once.
pub struct PresetRow {
    pub id: &'static str,
    /// The one title: the preset bar and the home page show it.
    pub title: &'static str,
    /// One or two sentences on what the preset shows (the registry's text).
    pub blurb: &'static str,
    /// The link's query, `preset=ID` (written by [`row!`] from the id).
    pub query: &'static str,
    /// The experiment the page opens on.
    pub page: Page,
    /// What the calibrated runs check against CPython.
    pub check: Check,
    /// The calibrated runs, on the base settings (2 cores, the seed) they are given.
    pub runs: fn(Settings) -> Vec<PresetRun>,
    /// The headline figures from the runs' outcomes (in run order), each with its CPython range.
    pub headlines: fn(&Outcomes) -> Vec<Headline>,
}

/// A preset's experiment as the page opens it; `config::preset_config` makes it a
/// `ThreadsConfig` (slowdown: the build's figure, cores: the machine's, seed 1).
pub struct Page {
    pub source: PageSource,
    pub exec: ExecKind,
    /// `None`: the executor's default for the core count.
    pub workers: Option<u32>,
    pub start: StartMethod,
    pub interp: Interp,
    pub switch_ms: f64,
    /// The calibrated run (index into `runs`) this experiment is on a 2-core machine.
    pub run: usize,
}

/// The workload text the page opens with.
pub enum PageSource {
    Text(&'static str),
    /// Written from the preset's own figures (the seeded latencies).
    Built(fn() -> String),
}

impl PageSource {
    pub fn text(&self) -> String {
        match self {
            PageSource::Text(t) => (*t).to_string(),
            PageSource::Built(f) => f(),
        }
    }
}

/// What a preset's calibrated runs check against CPython.
pub struct Check {
    pub summary: &'static str,
    /// What the headline figure is.
    pub headline: &'static str,
    /// The CPython figure it should match.
    pub cpython_figure: &'static str,
    /// Where that figure comes from.
    pub source: &'static str,
}

/// The outcomes of a preset's runs, each with its run's label.
pub type Outcomes = [(String, Outcome)];

/// Threads on the GIL build, 5 ms interval, fork: most presets' page, bar the source.
const THREADS_PAGE: Page = Page {
    source: PageSource::Text(""),
    exec: ExecKind::Threads,
    workers: None,
    start: StartMethod::Fork,
    interp: Interp::Gil,
    switch_ms: 5.0,
    run: 1,
};

/// A row with its link written from its id.
macro_rules! row {
    (id: $id:literal, $($field:ident: $value:expr),* $(,)?) => {
        PresetRow { id: $id, query: concat!("preset=", $id), $($field: $value),* }
    };
}

const ROWS: [PresetRow; 10] = [
    seed_io_pool::ROW,
    cpu_threads::ROW,
    cpu_processes::ROW,
    cpu_free_threaded::ROW,
    tiny_tasks::ROW,
    convoy::ROW,
    switch_interval::ROW,
    native_release::ROW,
    c_call_holds::ROW,
    counter::ROW,
];

/// Every preset, in the preset bar's order.
pub static TABLE: [PresetRow; 10] = ROWS;

/// The registry's view of the table (`META.presets`).
pub static REGISTRY: [crate::labs::Preset; 10] = registry(&ROWS);

const fn registry<const N: usize>(rows: &[PresetRow; N]) -> [crate::labs::Preset; N] {
    const EMPTY: crate::labs::Preset = crate::labs::Preset { id: "", title: "", blurb: "", query: "" };
    let mut out = [EMPTY; N];
    let mut i = 0;
    while i < N {
        let r = &rows[i];
        out[i] = crate::labs::Preset { id: r.id, title: r.title, blurb: r.blurb, query: r.query };
        i += 1;
    }
    out
}

/// The preset called `id`.
pub fn find(id: &str) -> Option<&'static PresetRow> {
    TABLE.iter().find(|r| r.id == id)
}

/// Every preset's id, in the table's order.
pub fn ids() -> impl Iterator<Item = &'static str> {
    TABLE.iter().map(|r| r.id)
}

impl PresetRow {
    /// The calibrated runs on 2 cores with `seed`.
    pub fn runs(&self, seed: u64) -> Vec<PresetRun> {
        (self.runs)(base(seed))
    }
}

/// The calibrated runs of the preset called `id`, with seed 1.
pub fn preset_runs(id: &str) -> Option<Vec<PresetRun>> {
    find(id).map(|r| r.runs(1))
}

/// Runs every run of a preset and computes its headline figures; `None` for an unknown id.
pub fn run_preset(id: &str, seed: u64) -> Option<Result<PresetResult, SimError>> {
    let row = find(id)?;
    let runs = row.runs(seed);
    let mut outcomes = Vec::with_capacity(runs.len());
    for r in &runs {
        match simulate(&r.workload, &r.settings) {
            Ok(o) => outcomes.push((r.label.clone(), o)),
            Err(e) => return Some(Err(e)),
        }
    }
    let headlines = (row.headlines)(&outcomes);
    Some(Ok(PresetResult { id: row.id, outcomes, headlines }))
}

const MS: u64 = 1_000_000;
const US: u64 = 1_000;

/// One run of a preset: a workload under some settings.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PresetRun {
    pub label: String,
    pub workload: Workload,
    pub settings: Settings,
}

/// A simulated figure beside the CPython range it should fall in.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Headline {
    pub label: String,
    pub simulated: f64,
    pub expected_lo: f64,
    pub expected_hi: f64,
    pub unit: &'static str,
    pub cpython: String,
}

impl Headline {
    pub fn within(&self) -> bool {
        self.simulated.is_finite()
            && self.simulated >= self.expected_lo
            && self.simulated <= self.expected_hi
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PresetResult {
    pub id: &'static str,
    pub outcomes: Vec<(String, Outcome)>,
    pub headlines: Vec<Headline>,
}

fn base(seed: u64) -> Settings {
    Settings {
        seed,
        ..Settings::new(2)
    }
}

fn run(label: &str, workload: Workload, settings: Settings) -> PresetRun {
    PresetRun {
        label: label.into(),
        workload,
        settings,
    }
}

fn tasks(n: usize, prefix: &str, segs: &[Segment]) -> Vec<Task> {
    (0..n)
        .map(|i| Task::new(format!("{prefix}-{}", i + 1), segs.to_vec()))
        .collect()
}

fn wl(tasks: Vec<Task>, executor: Executor) -> Workload {
    Workload { tasks, executor }
}

// ----- seed-io-pool -----

/// Seed of the default latency draw; the host passes its own latencies when it has them.
pub const DEFAULT_SEED_IO_SEED: u64 = 7;
/// The tutorial's 15 requests take about 10.3 s one after another: 0.687 s each on average.
pub const SEED_IO_MEAN_NS: u64 = 686_666_667;
/// Python per request: building it (requests' session, headers, JSON body) and parsing the
/// reply; ~1.5 ms in all for small JSON (an estimate; it is 0.2% of the wall time).
pub const SEED_IO_PYTHON_BEFORE_NS: u64 = MS;
pub const SEED_IO_PYTHON_AFTER_NS: u64 = 500 * US;

/// A seeded lognormal draw of 15 request latencies (sigma 0.45), scaled so that their mean
/// is exactly `SEED_IO_MEAN_NS`. Not the async lab's draw (690 ms, uniform within 150 ms):
/// that has no long tail, so a pool of 5 over it finishes in 2.2 s against 10.0 s, where
/// the tutorial's real network gave 3.0 s against 10.3 s; real latencies have a tail.
pub fn seed_io_latencies_ns(seed: u64) -> Vec<u64> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let sigma = 0.45f64;
    let raw: Vec<f64> = (0..15)
        .map(|_| {
            // Box-Muller from two uniforms in (0, 1].
            let u1: f64 = 1.0 - rng.random::<f64>();
            let u2: f64 = rng.random::<f64>();
            let z = (-2.0 * u1.ln()).sqrt() * (2.0 * core::f64::consts::PI * u2).cos();
            (sigma * z).exp()
        })
        .collect();
    let sum: f64 = raw.iter().sum();
    let target = SEED_IO_MEAN_NS as f64 * 15.0;
    raw.iter()
        .map(|r| {
            let v = r / sum * target;
            if v.is_finite() && v > 0.0 {
                v.round() as u64
            } else {
                SEED_IO_MEAN_NS
            }
        })
        .collect()
}

/// The 15 requests as tasks (AniList ids of the tutorial), sequential and on a pool of 5.
/// The tutorial's AniList ids, in its order.
pub const SEED_IO_IDS: [u32; 15] = [
    100, 200, 300, 400, 700, 628, 524, 377, 826, 451, 280, 395, 399, 124, 626,
];

pub fn seed_io_pool_workloads(latencies_ns: &[u64]) -> (Workload, Workload) {
    const IDS: [u32; 15] = SEED_IO_IDS;
    let tasks: Vec<Task> = latencies_ns
        .iter()
        .take(super::gil::MAX_TASKS)
        .enumerate()
        .map(|(i, &lat)| {
            let id = IDS.get(i).copied().unwrap_or(0);
            Task::new(
                format!("anime {id}"),
                vec![
                    Segment::Python {
                        ns: SEED_IO_PYTHON_BEFORE_NS,
                    },
                    Segment::Io {
                        ns: lat.min(super::gil::MAX_SEGMENT_NS),
                    },
                    Segment::Python {
                        ns: SEED_IO_PYTHON_AFTER_NS,
                    },
                ],
            )
        })
        .collect();
    (
        wl(tasks.clone(), Executor::Sequential),
        wl(
            tasks,
            Executor::ThreadPool {
                max_workers: Some(5),
            },
        ),
    )
}

// ----- convoy -----

/// One `time.sleep(0.0001)` with its loop: 0.17 ms alone on this machine (200 of them take
/// 34 ms: the sleep, Linux's 50 us timer slack, the wake-up and the GIL round trip).
pub const CONVOY_IO_NS: u64 = 169 * US;
pub const CONVOY_LOOP_NS: u64 = US;
pub const CONVOY_OPS: usize = 200;

fn convoy_io_task() -> Task {
    let mut segs = Vec::with_capacity(2 * CONVOY_OPS);
    for _ in 0..CONVOY_OPS {
        segs.push(Segment::Python { ns: CONVOY_LOOP_NS });
        segs.push(Segment::Io { ns: CONVOY_IO_NS });
    }
    Task::new("io", segs)
}

/// The I/O thread first (it starts the loop holding the GIL), then one CPU-bound thread that
/// outlasts it.
fn convoy_workload(interval_ns: u64, with_cpu: bool) -> Workload {
    let mut t = vec![convoy_io_task()];
    if with_cpu {
        let per_op = interval_ns.saturating_add(MS);
        let ns = per_op
            .saturating_mul(CONVOY_OPS as u64)
            .saturating_add(500 * MS);
        t.push(Task::new("cpu", vec![Segment::Python { ns }]));
    }
    wl(t, Executor::Threads)
}

fn with_interval(mut s: Settings, iv: u64) -> Settings {
    s.switch_interval_ns = iv;
    s
}

fn ratio(a: f64, b: f64) -> f64 {
    if b > 0.0 {
        a / b
    } else {
        f64::NAN
    }
}

fn h(label: &str, simulated: f64, lo: f64, hi: f64, unit: &'static str, cpython: &str) -> Headline {
    Headline {
        label: label.into(),
        simulated,
        expected_lo: lo,
        expected_hi: hi,
        unit,
        cpython: cpython.into(),
    }
}

fn io_thread_ms(o: &Outcome, name: &str) -> f64 {
    o.thread(name)
        .and_then(|t| t.finished_ns)
        .map_or(f64::NAN, ns_to_ms)
}

fn max_io_ms(o: &Outcome) -> f64 {
    o.io_latencies_ns
        .iter()
        .copied()
        .max()
        .map_or(f64::NAN, ns_to_ms)
}


fn outcome(o: &Outcomes, i: usize) -> Option<&Outcome> {
    o.get(i).map(|x| &x.1)
}

fn wall(o: &Outcomes, i: usize) -> f64 {
    outcome(o, i).map_or(f64::NAN, |x| x.wall_ms)
}

fn p50(o: &Outcomes, i: usize) -> f64 {
    outcome(o, i).and_then(|x| x.io_latency_p50_ms()).unwrap_or(f64::NAN)
}

/// Nanoseconds as the shortest decimal milliseconds that read back exactly.
pub fn ms_text(ns: u64) -> String {
    let whole = ns / 1_000_000;
    let frac = ns % 1_000_000;
    if frac == 0 {
        return whole.to_string();
    }
    let digits = format!("{frac:06}");
    format!("{whole}.{}", digits.trim_end_matches('0'))
}

// ===== the presets, one section each =====

mod seed_io_pool {
    use super::*;

    pub(super) const ROW: PresetRow = row! {
        id: "seed-io-pool",
        title: "15 requests, a pool of 5 threads",
        blurb: "The tutorial's demo: waiting releases the GIL, so ThreadPoolExecutor(5) overlaps the waits. \
                Tutorial: 10.3 s one after another, 3.0 s with 5 workers.",
        page: Page { source: PageSource::Built(source), exec: ExecKind::ThreadPool, workers: Some(5), ..THREADS_PAGE },
        check: Check {
            summary: "Each request is mostly waiting on the network, and waiting releases the \
                      GIL, so five threads overlap their waits.",
            headline: "wall time sequential vs ThreadPoolExecutor(max_workers=5)",
            cpython_figure: "about 10.3 s sequential, 3.0 s with 5 workers",
            source: "the tutorial's AniList demo: 15 requests, sequential and on a pool of 5",
        },
        runs: runs,
        headlines: headlines,
    };

    fn runs(s: Settings) -> Vec<PresetRun> {
        let (seq, pool) = seed_io_pool_workloads(&seed_io_latencies_ns(DEFAULT_SEED_IO_SEED));
        vec![run("sequential", seq, s), run("pool of 5", pool, s)]
    }

    fn headlines(o: &Outcomes) -> Vec<Headline> {
        vec![
            h("sequential", wall(o, 0) / 1e3, 10.0, 10.6, "s", "10.3 s"),
            h("pool of 5", wall(o, 1) / 1e3, 2.8, 3.2, "s", "3.0 s"),
        ]
    }

    /// The tutorial's 15 requests: a little Python, the wait for the reply, parsing it.
    fn source() -> String {
        let latencies = seed_io_latencies_ns(DEFAULT_SEED_IO_SEED);
        let mut s = String::from(
            "# The tutorial's 15 AniList requests (stand-in latencies, seeded):\n\
             # build the query, wait for the reply (GIL released), parse it.\n",
        );
        for (id, ns) in SEED_IO_IDS.iter().zip(latencies) {
            s.push_str(&format!("thread anime_{id}:\n    compute(1)\n    io({})\n    compute(0.5)\n", ms_text(ns)));
        }
        s
    }
}

mod cpu_threads {
    use super::*;

    pub(super) const ROW: PresetRow = row! {
        id: "cpu-threads",
        title: "CPU-bound Python on 2 threads",
        blurb: "No speedup: the threads take turns holding the GIL every 5 ms. Measured on a 2-core machine: \
                0.92x to 0.99x of sequential.",
        page: Page { source: PageSource::Text(SOURCE), ..THREADS_PAGE },
        check: Check {
            summary: "Only the GIL holder runs bytecode; the threads take turns every 5 ms \
                      and each handoff costs a little.",
            headline: "speedup over sequential with 2 and with 4 threads",
            cpython_figure: "0.92x to 0.99x of sequential (3.11, 3.13)",
            source: "CPython 3.11 and 3.13 measured on a 2-core machine",
        },
        runs: runs,
        headlines: headlines,
    };

    /// Also the free-threaded preset's page.
    pub(super) const SOURCE: &str = "\
# CPU-bound pure Python, split over two threads:
# only the thread that holds the GIL runs bytecode.
thread Thread * 2:
    compute(500)        # 0.5 s of bytecode each
";

    fn runs(s: Settings) -> Vec<PresetRun> {
        let py = |ns| [Segment::Python { ns }];
        vec![
            run("sequential", wl(tasks(2, "part", &py(500 * MS)), Executor::Sequential), s),
            run("2 threads", wl(tasks(2, "Thread", &py(500 * MS)), Executor::Threads), s),
            run("4 threads", wl(tasks(4, "Thread", &py(250 * MS)), Executor::Threads), s),
        ]
    }

    fn headlines(o: &Outcomes) -> Vec<Headline> {
        let c = "0.92-0.99x";
        vec![
            h("2 threads", ratio(wall(o, 0), wall(o, 1)), 0.92, 0.99, "x", c),
            h("4 threads", ratio(wall(o, 0), wall(o, 2)), 0.92, 0.99, "x", c),
        ]
    }
}

mod cpu_processes {
    use super::*;

    pub(super) const ROW: PresetRow = row! {
        id: "cpu-processes",
        title: "The same on ProcessPoolExecutor(2)",
        blurb: "Each process has its own GIL, so both cores compute. Measured on a 2-core machine: 1.77x to 1.81x; \
                a pool of 2 starts in about 5 ms (fork), 20 ms (forkserver), 55 ms (spawn).",
        page: Page { source: PageSource::Text(SOURCE), exec: ExecKind::ProcessPool, workers: Some(2), ..THREADS_PAGE },
        check: Check {
            summary: "Each worker process has its own interpreter and GIL: the two halves run \
                      on both cores, minus start-up and pickling.",
            headline: "speedup over sequential; pool of 2 to its first result per start method",
            cpython_figure: "1.77x to 1.81x on 2 cores; first result: fork ~5 ms, forkserver \
                             ~20 ms, spawn ~55 ms",
            source: "CPython 3.11 and 3.13 measured on a 2-core machine",
        },
        runs: runs,
        headlines: headlines,
    };

    const SOURCE: &str = "\
# The same CPU-bound work as two tasks for a pool.
thread part * 2:
    compute(500)
";

    fn runs(s: Settings) -> Vec<PresetRun> {
        let py = [Segment::Python { ns: 500 * MS }];
        let trivial = [Segment::Python { ns: 60 }];
        let pool = |start| Executor::ProcessPool { workers: 2, start };
        vec![
            run("sequential", wl(tasks(2, "part", &py), Executor::Sequential), s),
            run("pool of 2 (fork)", wl(tasks(2, "part", &py), pool(StartMethod::Fork)), s),
            run("first result, fork", wl(tasks(1, "f", &trivial), pool(StartMethod::Fork)), s),
            run("first result, forkserver", wl(tasks(1, "f", &trivial), pool(StartMethod::Forkserver)), s),
            run("first result, spawn", wl(tasks(1, "f", &trivial), pool(StartMethod::Spawn)), s),
        ]
    }

    fn headlines(o: &Outcomes) -> Vec<Headline> {
        let fr = |i: usize| outcome(o, i).and_then(|x| x.first_result_ms()).unwrap_or(f64::NAN);
        vec![
            h("pool of 2", ratio(wall(o, 0), wall(o, 1)), 1.77, 1.81, "x", "1.77-1.81x"),
            h("first result, fork", fr(2), 4.5, 5.5, "ms", "~5 ms"),
            h("first result, forkserver", fr(3), 18.0, 22.0, "ms", "~20 ms"),
            h("first result, spawn", fr(4), 50.0, 60.0, "ms", "~55 ms"),
        ]
    }
}

mod cpu_free_threaded {
    use super::*;

    pub(super) const ROW: PresetRow = row! {
        id: "cpu-free-threaded",
        title: "The same threads, free-threaded",
        blurb: "CPython 3.14t has no GIL: the threads run in parallel, each slower by the build's single-thread \
                cost (5-10% for 3.14t, about 40% for 3.13t, as CPython's docs give them).",
        page: Page { source: PageSource::Text(cpu_threads::SOURCE), interp: Interp::Ft314, run: 3, ..THREADS_PAGE },
        check: Check {
            summary: "No GIL: the threads run on both cores at once, each slower by the \
                      free-threaded build's single-thread cost.",
            headline: "speedup over the GIL build's sequential run, 3.13t and 3.14t",
            cpython_figure: "2 / (1 + slowdown) x the 2-core efficiency: slowdown ~40% (3.13t), \
                                 5-10% (3.14t); efficiency 0.895 (1.79x / 2 from cpu-processes)",
            source: "free-threading HOWTO (3.13), What's New in Python 3.14; efficiency \
                     measured on a 2-core machine",
        },
        runs: runs,
        headlines: headlines,
    };

    fn runs(s: Settings) -> Vec<PresetRun> {
        let py = [Segment::Python { ns: 500 * MS }];
        let ft = |interp| Settings { interpreter: interp, ..s };
        vec![
            run("sequential (GIL)", wl(tasks(2, "part", &py), Executor::Sequential), s),
            run("2 threads (GIL)", wl(tasks(2, "Thread", &py), Executor::Threads), s),
            run("2 threads (3.13t)", wl(tasks(2, "Thread", &py), Executor::Threads), ft(Interpreter::free_threaded_313())),
            run("2 threads (3.14t)", wl(tasks(2, "Thread", &py), Executor::Threads), ft(Interpreter::free_threaded_314())),
        ]
    }

    fn headlines(o: &Outcomes) -> Vec<Headline> {
        let eff = 1.79 / 2.0;
        let e313 = 2.0 / 1.40 * eff;
        let e314 = 2.0 / 1.075 * eff;
        vec![
            h("2 threads (GIL)", ratio(wall(o, 0), wall(o, 1)), 0.92, 0.99, "x", "0.92-0.99x"),
            h("2 threads (3.13t)", ratio(wall(o, 0), wall(o, 2)), e313 * 0.97, e313 * 1.03, "x", "2/1.40 x 0.895 = 1.28x"),
            h("2 threads (3.14t)", ratio(wall(o, 0), wall(o, 3)), e314 * 0.97, e314 * 1.03, "x", "2/1.075 x 0.895 = 1.67x"),
        ]
    }
}

mod tiny_tasks {
    use super::*;

    pub(super) const ROW: PresetRow = row! {
        id: "tiny-tasks",
        title: "1,000 trivial tasks",
        blurb: "The pool's overhead is the whole cost. Measured on a 2-core machine: a plain loop 0.06 ms, \
                ThreadPoolExecutor(2) 7 ms, ProcessPoolExecutor(2) 110-120 ms.",
        page: Page { source: PageSource::Text(SOURCE), exec: ExecKind::ThreadPool, workers: Some(2), ..THREADS_PAGE },
        check: Check {
            summary: "When a task is tiny the pool's own overhead is the whole cost: a \
                      thread pool pays for futures and queues, a process pool for pickling \
                      and pipes.",
            headline: "wall time: plain loop, ThreadPoolExecutor(2), ProcessPoolExecutor(2)",
            cpython_figure: "0.06 ms, 7 ms, 110-120 ms",
            source: "CPython 3.11 and 3.13 measured on a 2-core machine",
        },
        runs: runs,
        headlines: headlines,
    };

    const SOURCE: &str = "\
# 1,000 calls of a function that does almost nothing (about 60 ns).
thread f * 1000:
    compute(0.00006)
";

    fn runs(s: Settings) -> Vec<PresetRun> {
        // `f(x): return x`: ~60 ns per call in a plain loop (1,000 calls in 0.06 ms).
        let t = [Segment::Python { ns: 60 }];
        vec![
            run("plain loop", wl(tasks(1000, "f", &t), Executor::Sequential), s),
            run("ThreadPoolExecutor(2)", wl(tasks(1000, "f", &t), Executor::ThreadPool { max_workers: Some(2) }), s),
            run(
                "ProcessPoolExecutor(2)",
                wl(tasks(1000, "f", &t), Executor::ProcessPool { workers: 2, start: StartMethod::Fork }),
                s,
            ),
        ]
    }

    fn headlines(o: &Outcomes) -> Vec<Headline> {
        vec![
            h("plain loop", wall(o, 0), 0.05, 0.07, "ms", "0.06 ms"),
            h("ThreadPoolExecutor(2)", wall(o, 1), 6.0, 8.0, "ms", "7 ms"),
            h("ProcessPoolExecutor(2)", wall(o, 2), 110.0, 120.0, "ms", "110-120 ms"),
        ]
    }
}

mod convoy {
    use super::*;

    pub(super) const ROW: PresetRow = row! {
        id: "convoy",
        title: "The convoy effect",
        blurb: "200 sleeps of 0.1 ms beside a CPU-bound thread: each waits a switch interval for the GIL. \
                Measured: 34 ms alone; 5.3 ms each (p50) and 1.07 s in all beside it, 31x slower.",
        page: Page { source: PageSource::Text(SOURCE), ..THREADS_PAGE },
        check: Check {
            summary: "Each time the I/O thread comes back it must take the GIL from a CPU-bound \
                      holder, which gives it up only after a full switch interval.",
            headline: "200 sleeps of 0.1 ms: total alone and beside a CPU thread, p50 per op at \
                       5 ms and 1 ms",
            cpython_figure: "34 ms alone; 5.3 ms each (p50), 1.07 s in all, 31x, beside the CPU \
                             thread; 1.3 ms each at a 1 ms interval (7.4x)",
            source: "CPython 3.11 and 3.13 measured on a 2-core machine (re-measured with \
                     measure/convoy.py: 5.26-5.31 ms and 1.27-1.30 ms p50)",
        },
        runs: runs,
        headlines: headlines,
    };

    const SOURCE: &str = "\
# An I/O thread: 200 times, a little Python and a 0.1 ms sleep
# (0.17 ms with the timer's slack) ...
thread io:
    for _ in range(200):
        compute(0.001)
        io(0.169)
# ... beside one CPU-bound thread that outlasts it.
thread cpu:
    compute(1700)
";

    fn runs(s: Settings) -> Vec<PresetRun> {
        vec![
            run("alone", convoy_workload(5 * MS, false), s),
            run("beside a CPU thread", convoy_workload(5 * MS, true), s),
            run("beside a CPU thread, 1 ms interval", convoy_workload(MS, true), with_interval(s, MS)),
        ]
    }

    fn headlines(o: &Outcomes) -> Vec<Headline> {
        let alone = outcome(o, 0).map_or(f64::NAN, |x| io_thread_ms(x, "io"));
        let beside = outcome(o, 1).map_or(f64::NAN, |x| io_thread_ms(x, "io"));
        vec![
            h("alone, total", alone, 32.0, 36.0, "ms", "34 ms"),
            h("beside, p50 per op", p50(o, 1), 5.0, 5.6, "ms", "5.3 ms"),
            h("beside, total", beside / 1e3, 1.0, 1.14, "s", "1.07 s"),
            h("beside, slower by", ratio(beside, alone), 28.0, 34.0, "x", "31x"),
            h("1 ms interval, p50 per op", p50(o, 2), 1.2, 1.4, "ms", "1.3 ms"),
            h("1 ms interval, slower by (p50)", ratio(p50(o, 2), p50(o, 0)), 6.7, 8.1, "x", "7.4x"),
        ]
    }
}

mod switch_interval {
    use super::*;

    pub(super) const ROW: PresetRow = row! {
        id: "switch-interval",
        title: "A shorter switch interval",
        blurb: "The convoy with sys.setswitchinterval(0.001): about 1.3 ms per sleep, 7.4x slower than alone \
                (measured); the preset's check also runs 0.5, 5 and 50 ms.",
        page: Page { source: PageSource::Text(SOURCE), switch_ms: 1.0, ..THREADS_PAGE },
        check: Check {
            summary: "The returning I/O thread waits about one interval each time: a shorter \
                      interval helps it, at the price of more handoffs.",
            headline: "p50 latency of one 0.1 ms sleep beside a CPU thread, per interval",
            cpython_figure: "about the interval + 0.3 ms: 0.78 ms, 1.3 ms, 5.3 ms, 50.4 ms",
            source: "CPython 3.11 and 3.13 on a 2-core machine; 0.5 and 50 ms measured with \
                     measure/convoy.py and measure/extra.py (3.11, 3.13)",
        },
        runs: runs,
        headlines: headlines,
    };

    const SOURCE: &str = "\
# The convoy with sys.setswitchinterval(0.001): the I/O thread ...
thread io:
    for _ in range(200):
        compute(0.001)
        io(0.169)
# ... and the CPU-bound thread, long enough to outlast it.
thread cpu:
    compute(900)
";

    fn runs(s: Settings) -> Vec<PresetRun> {
        [500 * US, MS, 5 * MS, 50 * MS]
            .iter()
            .map(|&iv| run(&format!("{} ms", iv as f64 / 1e6), convoy_workload(iv, true), with_interval(s, iv)))
            .collect()
    }

    fn headlines(o: &Outcomes) -> Vec<Headline> {
        let exp = [(0.78, "0.78 ms"), (1.3, "1.3 ms"), (5.3, "5.3 ms"), (50.4, "50.4 ms")];
        exp.iter()
            .enumerate()
            .map(|(i, (e, c))| {
                let label = o.get(i).map_or(String::new(), |x| x.0.clone());
                h(&format!("p50 at {label}"), p50(o, i), e * 0.92, e * 1.08, "ms", c)
            })
            .collect()
    }
}

mod native_release {
    use super::*;

    pub(super) const ROW: PresetRow = row! {
        id: "native-release",
        title: "C code that releases the GIL",
        blurb: "hashlib on big buffers runs outside the GIL, so two threads use both cores. Measured on a 2-core \
                machine: 1.84x (3.11), 2.00x (3.13).",
        page: Page { source: PageSource::Text(SOURCE), ..THREADS_PAGE },
        check: Check {
            summary: "C code inside Py_BEGIN_ALLOW_THREADS (hashlib, zlib, numpy) runs \
                      without the GIL, so threads do run it on both cores.",
            headline: "speedup of 2 hashing threads over sequential",
            cpython_figure: "1.84x (3.11) and 2.00x (3.13): sha256 of 8 x 64 MiB on 2 threads",
            source: "measured here with measure/extra.py; hashlib docs (the GIL is \
                     released for data over 2047 bytes)",
        },
        runs: runs,
        headlines: headlines,
    };

    const SOURCE: &str = "\
# hashlib.sha256 on big buffers: the C code releases the GIL.
thread hash * 2:
    for _ in range(4):
        compute(0.1)     # a little Python around each call
        release(25)      # hashing 64 MiB, GIL released
";

    fn runs(s: Settings) -> Vec<PresetRun> {
        // hashlib releases the GIL while hashing more than 2047 bytes; 4 buffers per
        // thread, a little Python around each.
        let mut segs = Vec::new();
        for _ in 0..4 {
            segs.push(Segment::Python { ns: 100 * US });
            segs.push(Segment::CRelease { ns: 25 * MS });
        }
        vec![
            run("sequential", wl(tasks(2, "hash", &segs), Executor::Sequential), s),
            run("2 threads", wl(tasks(2, "hash", &segs), Executor::Threads), s),
        ]
    }

    fn headlines(o: &Outcomes) -> Vec<Headline> {
        vec![h("2 threads", ratio(wall(o, 0), wall(o, 1)), 1.7, 2.0, "x", "1.84-2.00x")]
    }
}

mod c_call_holds {
    use super::*;

    pub(super) const ROW: PresetRow = row! {
        id: "c-call-holds",
        title: "One long C call holds the GIL",
        blurb: "A C call that never returns to the eval loop never sees a drop request: a heartbeat thread \
                starves for the whole 500 ms call.",
        page: Page { source: PageSource::Text(SOURCE), ..THREADS_PAGE },
        check: Check {
            summary: "A C function that never returns to the eval loop has no check point: \
                      the drop request waits until it returns, and the heartbeat thread \
                      starves for the whole call.",
            headline: "worst heartbeat (sleep 10 ms) latency alone and beside a 500 ms C call",
            cpython_figure: "about 10 ms alone; the call's length plus up to one sleep \
                             beside it (sum(range(10**8)): 1697 ms call, 1707 ms worst \
                             heartbeat on 3.11; 2331 and 2341 ms on 3.13)",
            source: "Python/ceval_gil.c (the request is seen only at eval-breaker check \
                     points); measured here with measure/extra.py",
        },
        runs: runs,
        headlines: headlines,
    };

    const SOURCE: &str = "\
# A heartbeat that sleeps 10 ms, 60 times ...
thread heartbeat:
    for _ in range(60):
        compute(0.005)
        io(10)
# ... beside sum(range(10**8)): one C call that never
# returns to the eval loop, so it never sees a drop request.
thread summer:
    compute(20)
    native(500)
    compute(1)
";

    fn runs(s: Settings) -> Vec<PresetRun> {
        let mut hb = Vec::new();
        for _ in 0..60 {
            hb.push(Segment::Python { ns: 5 * US });
            hb.push(Segment::Io { ns: 10 * MS });
        }
        let heartbeat = Task::new("heartbeat", hb);
        let call = Task::new(
            "sum(range(10**8))",
            vec![Segment::Python { ns: 20 * MS }, Segment::CHold { ns: 500 * MS }, Segment::Python { ns: MS }],
        );
        vec![
            run("heartbeat alone", wl(vec![heartbeat.clone()], Executor::Threads), s),
            run("beside the C call", wl(vec![heartbeat, call], Executor::Threads), s),
        ]
    }

    fn headlines(o: &Outcomes) -> Vec<Headline> {
        let m = |i: usize| outcome(o, i).map_or(f64::NAN, max_io_ms);
        vec![
            h("worst heartbeat, alone", m(0), 9.9, 10.5, "ms", "~10 ms"),
            h("worst heartbeat, beside", m(1), 490.0, 520.0, "ms", "~500 ms"),
        ]
    }
}

mod counter {
    use super::*;

    pub(super) const ROW: PresetRow = row! {
        id: "counter",
        title: "counter += 1 on 3 threads",
        blurb: "Under the GIL of 3.10+ no update is lost: no check point falls between the load and the store. \
                Measured: lost updates on 3.9 in every run, on 3.10-3.13 in none.",
        page: Page { source: PageSource::Text(SOURCE), run: 0, ..THREADS_PAGE },
        check: Check {
            summary: COUNTER_SUMMARY,
            headline: "updates lost by 3 x 1,000,000 increments, per interpreter",
            cpython_figure: "3.9: lost in 10 of 10 runs; 3.10, 3.11, 3.13: 0 of 10; \
                             free-threaded: lost",
            source: "measured with measure/counter.py on 3.9.18 to 3.13.0, 2-core machine",
        },
        runs: runs,
        headlines: headlines,
    };

    const SOURCE: &str = "\
# counter += 1 in a loop, on 3 threads (about 40 ms of bytecode each).
thread Thread * 3:
    compute(40)
";

    fn runs(s: Settings) -> Vec<PresetRun> {
        vec![run(
            "3 threads (3.10+ GIL)",
            // 1,000,000 iterations of ~40 ns each per thread.
            wl(tasks(3, "Thread", &[Segment::Python { ns: 40 * MS }]), Executor::Threads),
            s,
        )]
    }

    fn headlines(_: &Outcomes) -> Vec<Headline> {
        let lost = |v: PythonVersion, ft: bool| if lost_update_possible(v, ft) { 1.0 } else { 0.0 };
        vec![
            h("3.9 GIL: updates can be lost", lost(PythonVersion::new(3, 9), false), 1.0, 1.0, "bool", "10 of 10 runs lost updates"),
            h("3.10+ GIL: updates can be lost", lost(PythonVersion::new(3, 13), false), 0.0, 0.0, "bool", "0 of 10 runs"),
            h("free-threaded: updates can be lost", lost(PythonVersion::new(3, 13), true), 1.0, 1.0, "bool", "lost (no GIL)"),
        ]
    }
}

// ----- counter: where the check points fall -----

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct PythonVersion {
    pub major: u32,
    pub minor: u32,
}

impl PythonVersion {
    pub const fn new(major: u32, minor: u32) -> Self {
        PythonVersion { major, minor }
    }
}

/// Can `counter += 1` on a global, run by several threads, lose updates?
///
/// Free-threaded builds: yes, the threads really run at once. With the GIL, a thread can be
/// switched out only where the eval breaker is checked. Up to 3.9 the main loop checked it
/// before every instruction except those reached by `FAST_DISPATCH` (what follows LOAD_FAST,
/// LOAD_CONST, STORE_FAST and a few stack shuffles), so a switch could land after
/// `LOAD_GLOBAL` or after `INPLACE_ADD`, with the old value already read: the other thread's
/// increments are then overwritten. Since 3.10 it is checked only at loop back-edges,
/// function entry and after calls, and the loop body has none inside the load-add-store.
pub fn lost_update_possible(v: PythonVersion, free_threaded: bool) -> bool {
    if free_threaded {
        return true;
    }
    v < PythonVersion::new(3, 10)
}

pub const COUNTER_SUMMARY: &str = "Under the GIL of 3.10 and later a thread is switched only \
    at a check point: loop back-edges, function entry, after calls. The four instructions of \
    counter += 1 have none between them, so an increment is never cut in half. On 3.9 the \
    check came before most instructions, and a switch between the add and the store lost \
    updates. Without a GIL (3.13t, 3.14t) the threads really overlap and updates are lost. \
    None of this is a promise of the language: use a Lock.";

/// `dis` of `for _ in range(n): counter += 1`, with the check points marked.
/// On 3.9 a check comes before each instruction that follows one ending in `DISPATCH()`.
pub const COUNTER_BYTECODE_39: &str = "  8 FOR_ITER         12 (to 22)     <- check point
 10 STORE_FAST        1 (_)         <- check point
 12 LOAD_GLOBAL       1 (counter)
 14 LOAD_CONST        1 (1)         <- check point: counter is read, a switch here loses updates
 16 INPLACE_ADD
 18 STORE_GLOBAL      1 (counter)   <- check point: the sum is not stored yet, a switch here too
 20 JUMP_ABSOLUTE     8             <- check point";

pub const COUNTER_BYTECODE_312: &str = "  0 RESUME            0             <- check point (function entry)
 24 FOR_ITER         11 (to 50)
 28 STORE_FAST        1 (_)
 30 LOAD_GLOBAL       2 (counter)
 40 LOAD_CONST        1 (1)
 42 BINARY_OP        13 (+=)
 46 STORE_GLOBAL      1 (counter)
 48 JUMP_BACKWARD    13 (to 24)     <- check point (loop back-edge)";

/// The page's explanation of the counter preset.
pub fn counter_explanation_text() -> String {
    format!(
        "{COUNTER_SUMMARY}\n\nCPython 3.9:\n{COUNTER_BYTECODE_39}\n\nCPython 3.12 (3.10 and 3.11 \
         have the same load-add-store body; 3.10's back-edge is JUMP_ABSOLUTE, 3.11's \
         JUMP_BACKWARD, and both check there):\n\
         {COUNTER_BYTECODE_312}"
    )
}

/// Lost updates measured on this machine: 3 threads x 1,000,000 `counter += 1`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct CounterMeasurement {
    pub version: &'static str,
    pub runs: u32,
    pub runs_with_loss: u32,
    /// Updates lost per run, smallest and largest.
    pub lost_min: u32,
    pub lost_max: u32,
}

/// Re-measured with measure/counter.py (5 runs each, pyenv builds, 2-core VM).
pub const COUNTER_MEASURED: &[CounterMeasurement] = &[
    CounterMeasurement {
        version: "3.9.18",
        runs: 5,
        runs_with_loss: 5,
        lost_min: 984_515,
        lost_max: 1_715_827,
    },
    CounterMeasurement {
        version: "3.10.13",
        runs: 5,
        runs_with_loss: 0,
        lost_min: 0,
        lost_max: 0,
    },
    CounterMeasurement {
        version: "3.11.7",
        runs: 5,
        runs_with_loss: 0,
        lost_min: 0,
        lost_max: 0,
    },
    CounterMeasurement {
        version: "3.12.1",
        runs: 5,
        runs_with_loss: 0,
        lost_min: 0,
        lost_max: 0,
    },
    CounterMeasurement {
        version: "3.13.0",
        runs: 5,
        runs_with_loss: 0,
        lost_min: 0,
        lost_max: 0,
    },
];
