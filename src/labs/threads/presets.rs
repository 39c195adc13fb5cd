//! The threads lab's presets (ids fixed), each with its headline figures, the CPython figure
//! it should match and where that figure comes from.
//!
//! Figures "measured here" are CPython 3.11 and 3.13 (from pyenv) on the
//! 2-core Intel Xeon VM this project runs on) or from the scripts in measure/ re-run on the same
//! machine; they vary by machine, the ratios hold better than the absolute times.

use super::model::*;
use super::gil::simulate;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

pub const PRESET_IDS: &[&str] = &[
    "seed-io-pool",
    "cpu-threads",
    "cpu-processes",
    "cpu-free-threaded",
    "tiny-tasks",
    "convoy",
    "switch-interval",
    "native-release",
    "c-call-holds",
    "counter",
];

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

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Preset {
    pub id: &'static str,
    pub title: &'static str,
    pub summary: &'static str,
    /// What the headline figure is.
    pub headline: &'static str,
    /// The CPython figure it should match.
    pub cpython_figure: &'static str,
    /// Where that figure comes from.
    pub source: &'static str,
    pub runs: Vec<PresetRun>,
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

/// The preset's runs, or `None` for an unknown id.
pub fn preset(id: &str) -> Option<Preset> {
    preset_seeded(id, 1)
}

/// The main workload of a preset (its first run).
pub fn preset_workload(id: &str) -> Option<Workload> {
    preset(id).and_then(|p| p.runs.into_iter().next().map(|r| r.workload))
}

pub fn preset_seeded(id: &str, seed: u64) -> Option<Preset> {
    let s = base(seed);
    let p = match id {
        "seed-io-pool" => {
            let (seq, pool) = seed_io_pool_workloads(&seed_io_latencies_ns(DEFAULT_SEED_IO_SEED));
            Preset {
                id: "seed-io-pool",
                title: "15 requests: one after another vs a pool of 5 threads",
                summary: "Each request is mostly waiting on the network, and waiting releases the \
                          GIL, so five threads overlap their waits.",
                headline: "wall time sequential vs ThreadPoolExecutor(max_workers=5)",
                cpython_figure: "about 10.3 s sequential, 3.0 s with 5 workers",
                source: "the tutorial's AniList demo: 15 requests, sequential and on a pool of 5",
                runs: vec![run("sequential", seq, s), run("pool of 5", pool, s)],
            }
        }
        "cpu-threads" => {
            let py = |ns| [Segment::Python { ns }];
            Preset {
                id: "cpu-threads",
                title: "CPU-bound Python on 2 and 4 threads",
                summary: "Only the GIL holder runs bytecode; the threads take turns every 5 ms \
                          and each handoff costs a little.",
                headline: "speedup over sequential with 2 and with 4 threads",
                cpython_figure: "0.92x to 0.99x of sequential (3.11, 3.13)",
                source: "CPython 3.11 and 3.13 measured on a 2-core machine",
                runs: vec![
                    run(
                        "sequential",
                        wl(tasks(2, "part", &py(500 * MS)), Executor::Sequential),
                        s,
                    ),
                    run(
                        "2 threads",
                        wl(tasks(2, "Thread", &py(500 * MS)), Executor::Threads),
                        s,
                    ),
                    run(
                        "4 threads",
                        wl(tasks(4, "Thread", &py(250 * MS)), Executor::Threads),
                        s,
                    ),
                ],
            }
        }
        "cpu-processes" => {
            let py = [Segment::Python { ns: 500 * MS }];
            let trivial = [Segment::Python { ns: 60 }];
            let pool = |start| Executor::ProcessPool { workers: 2, start };
            Preset {
                id: "cpu-processes",
                title: "The same CPU work on ProcessPoolExecutor(2)",
                summary: "Each worker process has its own interpreter and GIL: the two halves run \
                          on both cores, minus start-up and pickling.",
                headline: "speedup over sequential; pool of 2 to its first result per start method",
                cpython_figure: "1.77x to 1.81x on 2 cores; first result: fork ~5 ms, forkserver \
                                 ~20 ms, spawn ~55 ms",
                source: "CPython 3.11 and 3.13 measured on a 2-core machine",
                runs: vec![
                    run(
                        "sequential",
                        wl(tasks(2, "part", &py), Executor::Sequential),
                        s,
                    ),
                    run(
                        "pool of 2 (fork)",
                        wl(tasks(2, "part", &py), pool(StartMethod::Fork)),
                        s,
                    ),
                    run(
                        "first result, fork",
                        wl(tasks(1, "f", &trivial), pool(StartMethod::Fork)),
                        s,
                    ),
                    run(
                        "first result, forkserver",
                        wl(tasks(1, "f", &trivial), pool(StartMethod::Forkserver)),
                        s,
                    ),
                    run(
                        "first result, spawn",
                        wl(tasks(1, "f", &trivial), pool(StartMethod::Spawn)),
                        s,
                    ),
                ],
            }
        }
        "cpu-free-threaded" => {
            let py = [Segment::Python { ns: 500 * MS }];
            let ft = |interp| Settings {
                interpreter: interp,
                ..s
            };
            Preset {
                id: "cpu-free-threaded",
                title: "The same threads on free-threaded CPython",
                summary: "No GIL: the threads run on both cores at once, each slower by the \
                          free-threaded build's single-thread cost.",
                headline: "speedup over the GIL build's sequential run, 3.13t and 3.14t",
                cpython_figure:
                    "2 / (1 + slowdown) x the 2-core efficiency: slowdown ~40% (3.13t), \
                                 5-10% (3.14t); efficiency 0.895 (1.79x / 2 from cpu-processes)",
                source: "free-threading HOWTO (3.13), What's New in Python 3.14; efficiency \
                         measured on a 2-core machine",
                runs: vec![
                    run(
                        "sequential (GIL)",
                        wl(tasks(2, "part", &py), Executor::Sequential),
                        s,
                    ),
                    run(
                        "2 threads (GIL)",
                        wl(tasks(2, "Thread", &py), Executor::Threads),
                        s,
                    ),
                    run(
                        "2 threads (3.13t)",
                        wl(tasks(2, "Thread", &py), Executor::Threads),
                        ft(Interpreter::free_threaded_313()),
                    ),
                    run(
                        "2 threads (3.14t)",
                        wl(tasks(2, "Thread", &py), Executor::Threads),
                        ft(Interpreter::free_threaded_314()),
                    ),
                ],
            }
        }
        "tiny-tasks" => {
            // `f(x): return x`: ~60 ns per call in a plain loop (1,000 calls in 0.06 ms).
            let t = [Segment::Python { ns: 60 }];
            Preset {
                id: "tiny-tasks",
                title: "1,000 trivial tasks",
                summary: "When a task is tiny the pool's own overhead is the whole cost: a \
                          thread pool pays for futures and queues, a process pool for pickling \
                          and pipes.",
                headline: "wall time: plain loop, ThreadPoolExecutor(2), ProcessPoolExecutor(2)",
                cpython_figure: "0.06 ms, 7 ms, 110-120 ms",
                source: "CPython 3.11 and 3.13 measured on a 2-core machine",
                runs: vec![
                    run(
                        "plain loop",
                        wl(tasks(1000, "f", &t), Executor::Sequential),
                        s,
                    ),
                    run(
                        "ThreadPoolExecutor(2)",
                        wl(
                            tasks(1000, "f", &t),
                            Executor::ThreadPool {
                                max_workers: Some(2),
                            },
                        ),
                        s,
                    ),
                    run(
                        "ProcessPoolExecutor(2)",
                        wl(
                            tasks(1000, "f", &t),
                            Executor::ProcessPool {
                                workers: 2,
                                start: StartMethod::Fork,
                            },
                        ),
                        s,
                    ),
                ],
            }
        }
        "convoy" => Preset {
            id: "convoy",
            title: "The convoy effect: I/O beside a CPU-bound thread",
            summary: "Each time the I/O thread comes back it must take the GIL from a CPU-bound \
                      holder, which gives it up only after a full switch interval.",
            headline: "200 sleeps of 0.1 ms: total alone and beside a CPU thread, p50 per op at \
                       5 ms and 1 ms",
            cpython_figure: "34 ms alone; 5.3 ms each (p50), 1.07 s in all, 31x, beside the CPU \
                             thread; 1.3 ms each at a 1 ms interval (7.4x)",
            source: "CPython 3.11 and 3.13 measured on a 2-core machine (re-measured with \
                     measure/convoy.py: 5.26-5.31 ms and 1.27-1.30 ms p50)",
            runs: vec![
                run("alone", convoy_workload(5 * MS, false), s),
                run("beside a CPU thread", convoy_workload(5 * MS, true), s),
                run(
                    "beside a CPU thread, 1 ms interval",
                    convoy_workload(MS, true),
                    with_interval(s, MS),
                ),
            ],
        },
        "switch-interval" => Preset {
            id: "switch-interval",
            title: "The convoy at 0.5, 1, 5 and 50 ms",
            summary: "The returning I/O thread waits about one interval each time: a shorter \
                      interval helps it, at the price of more handoffs.",
            headline: "p50 latency of one 0.1 ms sleep beside a CPU thread, per interval",
            cpython_figure: "about the interval + 0.3 ms: 0.78 ms, 1.3 ms, 5.3 ms, 50.4 ms",
            source: "CPython 3.11 and 3.13 on a 2-core machine; 0.5 and 50 ms measured with \
                     measure/convoy.py and measure/extra.py (3.11, 3.13)",
            runs: [500 * US, MS, 5 * MS, 50 * MS]
                .iter()
                .map(|&iv| {
                    run(
                        &format!("{} ms", iv as f64 / 1e6),
                        convoy_workload(iv, true),
                        with_interval(s, iv),
                    )
                })
                .collect(),
        },
        "native-release" => {
            // hashlib releases the GIL while hashing more than 2047 bytes; 4 buffers per
            // thread, a little Python around each.
            let mut segs = Vec::new();
            for _ in 0..4 {
                segs.push(Segment::Python { ns: 100 * US });
                segs.push(Segment::CRelease { ns: 25 * MS });
            }
            Preset {
                id: "native-release",
                title: "GIL-releasing C code on 2 threads",
                summary: "C code inside Py_BEGIN_ALLOW_THREADS (hashlib, zlib, numpy) runs \
                          without the GIL, so threads do run it on both cores.",
                headline: "speedup of 2 hashing threads over sequential",
                cpython_figure: "1.84x (3.11) and 2.00x (3.13): sha256 of 8 x 64 MiB on 2 threads",
                source: "measured here with measure/extra.py; hashlib docs (the GIL is \
                         released for data over 2047 bytes)",
                runs: vec![
                    run(
                        "sequential",
                        wl(tasks(2, "hash", &segs), Executor::Sequential),
                        s,
                    ),
                    run(
                        "2 threads",
                        wl(tasks(2, "hash", &segs), Executor::Threads),
                        s,
                    ),
                ],
            }
        }
        "c-call-holds" => {
            let mut hb = Vec::new();
            for _ in 0..60 {
                hb.push(Segment::Python { ns: 5 * US });
                hb.push(Segment::Io { ns: 10 * MS });
            }
            let heartbeat = Task::new("heartbeat", hb);
            let call = Task::new(
                "sum(range(10**8))",
                vec![
                    Segment::Python { ns: 20 * MS },
                    Segment::CHold { ns: 500 * MS },
                    Segment::Python { ns: MS },
                ],
            );
            Preset {
                id: "c-call-holds",
                title: "One long C call holds the GIL",
                summary: "A C function that never returns to the eval loop has no check point: \
                          the drop request waits until it returns, and the heartbeat thread \
                          starves for the whole call.",
                headline: "worst heartbeat (sleep 10 ms) latency alone and beside a 500 ms C call",
                cpython_figure: "about 10 ms alone; the call's length plus up to one sleep \
                                 beside it (sum(range(10**8)): 1697 ms call, 1707 ms worst \
                                 heartbeat on 3.11; 2331 and 2341 ms on 3.13)",
                source: "Python/ceval_gil.c (the request is seen only at eval-breaker check \
                         points); measured here with measure/extra.py",
                runs: vec![
                    run(
                        "heartbeat alone",
                        wl(vec![heartbeat.clone()], Executor::Threads),
                        s,
                    ),
                    run(
                        "beside the C call",
                        wl(vec![heartbeat, call], Executor::Threads),
                        s,
                    ),
                ],
            }
        }
        "counter" => Preset {
            id: "counter",
            title: "counter += 1 on 3 threads",
            summary: COUNTER_SUMMARY,
            headline: "updates lost by 3 x 1,000,000 increments, per interpreter",
            cpython_figure: "3.9: lost in 10 of 10 runs; 3.10, 3.11, 3.13: 0 of 10; \
                             free-threaded: lost",
            source: "measured with measure/counter.py on 3.9.18 to 3.13.0, 2-core machine",
            runs: vec![run(
                "3 threads (3.10+ GIL)",
                // 1,000,000 iterations of ~40 ns each per thread.
                wl(
                    tasks(3, "Thread", &[Segment::Python { ns: 40 * MS }]),
                    Executor::Threads,
                ),
                s,
            )],
        },
        _ => return None,
    };
    Some(p)
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

/// Runs every run of a preset and computes its headline figures; `None` for an unknown id.
pub fn run_preset(id: &str, seed: u64) -> Option<Result<PresetResult, SimError>> {
    let p = preset_seeded(id, seed)?;
    let mut outcomes = Vec::with_capacity(p.runs.len());
    for r in &p.runs {
        match simulate(&r.workload, &r.settings) {
            Ok(o) => outcomes.push((r.label.clone(), o)),
            Err(e) => return Some(Err(e)),
        }
    }
    let o = |i: usize| outcomes.get(i).map(|x| &x.1);
    let wall = |i: usize| o(i).map_or(f64::NAN, |x| x.wall_ms);
    let p50 = |i: usize| o(i).and_then(|x| x.io_latency_p50_ms()).unwrap_or(f64::NAN);
    let mut hs = Vec::new();
    match p.id {
        "seed-io-pool" => {
            hs.push(h("sequential", wall(0) / 1e3, 10.0, 10.6, "s", "10.3 s"));
            hs.push(h("pool of 5", wall(1) / 1e3, 2.8, 3.2, "s", "3.0 s"));
        }
        "cpu-threads" => {
            let c = "0.92-0.99x";
            hs.push(h("2 threads", ratio(wall(0), wall(1)), 0.92, 0.99, "x", c));
            hs.push(h("4 threads", ratio(wall(0), wall(2)), 0.92, 0.99, "x", c));
        }
        "cpu-processes" => {
            hs.push(h(
                "pool of 2",
                ratio(wall(0), wall(1)),
                1.77,
                1.81,
                "x",
                "1.77-1.81x",
            ));
            let fr = |i: usize| o(i).and_then(|x| x.first_result_ms()).unwrap_or(f64::NAN);
            hs.push(h("first result, fork", fr(2), 4.5, 5.5, "ms", "~5 ms"));
            hs.push(h(
                "first result, forkserver",
                fr(3),
                18.0,
                22.0,
                "ms",
                "~20 ms",
            ));
            hs.push(h("first result, spawn", fr(4), 50.0, 60.0, "ms", "~55 ms"));
        }
        "cpu-free-threaded" => {
            let eff = 1.79 / 2.0;
            let e313 = 2.0 / 1.40 * eff;
            let e314 = 2.0 / 1.075 * eff;
            hs.push(h(
                "2 threads (GIL)",
                ratio(wall(0), wall(1)),
                0.92,
                0.99,
                "x",
                "0.92-0.99x",
            ));
            hs.push(h(
                "2 threads (3.13t)",
                ratio(wall(0), wall(2)),
                e313 * 0.97,
                e313 * 1.03,
                "x",
                "2/1.40 x 0.895 = 1.28x",
            ));
            hs.push(h(
                "2 threads (3.14t)",
                ratio(wall(0), wall(3)),
                e314 * 0.97,
                e314 * 1.03,
                "x",
                "2/1.075 x 0.895 = 1.67x",
            ));
        }
        "tiny-tasks" => {
            hs.push(h("plain loop", wall(0), 0.05, 0.07, "ms", "0.06 ms"));
            hs.push(h("ThreadPoolExecutor(2)", wall(1), 6.0, 8.0, "ms", "7 ms"));
            hs.push(h(
                "ProcessPoolExecutor(2)",
                wall(2),
                110.0,
                120.0,
                "ms",
                "110-120 ms",
            ));
        }
        "convoy" => {
            let alone = o(0).map_or(f64::NAN, |x| io_thread_ms(x, "io"));
            let beside = o(1).map_or(f64::NAN, |x| io_thread_ms(x, "io"));
            hs.push(h("alone, total", alone, 32.0, 36.0, "ms", "34 ms"));
            hs.push(h("beside, p50 per op", p50(1), 5.0, 5.6, "ms", "5.3 ms"));
            hs.push(h("beside, total", beside / 1e3, 1.0, 1.14, "s", "1.07 s"));
            hs.push(h(
                "beside, slower by",
                ratio(beside, alone),
                28.0,
                34.0,
                "x",
                "31x",
            ));
            hs.push(h(
                "1 ms interval, p50 per op",
                p50(2),
                1.2,
                1.4,
                "ms",
                "1.3 ms",
            ));
            hs.push(h(
                "1 ms interval, slower by (p50)",
                ratio(p50(2), p50(0)),
                6.7,
                8.1,
                "x",
                "7.4x",
            ));
        }
        "switch-interval" => {
            let exp = [
                (0.78, "0.78 ms"),
                (1.3, "1.3 ms"),
                (5.3, "5.3 ms"),
                (50.4, "50.4 ms"),
            ];
            for (i, (e, c)) in exp.iter().enumerate() {
                let label = outcomes.get(i).map_or(String::new(), |x| x.0.clone());
                hs.push(h(
                    &format!("p50 at {label}"),
                    p50(i),
                    e * 0.92,
                    e * 1.08,
                    "ms",
                    c,
                ));
            }
        }
        "native-release" => {
            hs.push(h(
                "2 threads",
                ratio(wall(0), wall(1)),
                1.7,
                2.0,
                "x",
                "1.84-2.00x",
            ));
        }
        "c-call-holds" => {
            let m = |i: usize| o(i).map_or(f64::NAN, max_io_ms);
            hs.push(h("worst heartbeat, alone", m(0), 9.9, 10.5, "ms", "~10 ms"));
            hs.push(h(
                "worst heartbeat, beside",
                m(1),
                490.0,
                520.0,
                "ms",
                "~500 ms",
            ));
        }
        "counter" => {
            let lost = |v: PythonVersion, ft: bool| {
                if lost_update_possible(v, ft) {
                    1.0
                } else {
                    0.0
                }
            };
            hs.push(h(
                "3.9 GIL: updates can be lost",
                lost(PythonVersion::new(3, 9), false),
                1.0,
                1.0,
                "bool",
                "10 of 10 runs lost updates",
            ));
            hs.push(h(
                "3.10+ GIL: updates can be lost",
                lost(PythonVersion::new(3, 13), false),
                0.0,
                0.0,
                "bool",
                "0 of 10 runs",
            ));
            hs.push(h(
                "free-threaded: updates can be lost",
                lost(PythonVersion::new(3, 13), true),
                1.0,
                1.0,
                "bool",
                "lost (no GIL)",
            ));
        }
        _ => {}
    }
    Some(Ok(PresetResult {
        id: p.id,
        outcomes,
        headlines: hs,
    }))
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
