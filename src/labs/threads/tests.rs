//! Native tests: one scenario per GIL rule with exact expected times, the executors, the
//! presets' headline figures, limits and fuzzing.

use super::presets::*;
use super::gil::*;
use super::model::*;

const MS: u64 = 1_000_000;
const US: u64 = 1_000;

fn py(ns: u64) -> Segment {
    Segment::Python { ns }
}
fn io(ns: u64) -> Segment {
    Segment::Io { ns }
}
fn chold(ns: u64) -> Segment {
    Segment::CHold { ns }
}
fn crel(ns: u64) -> Segment {
    Segment::CRelease { ns }
}

fn threads(tasks: Vec<(&str, Vec<Segment>)>) -> Workload {
    Workload {
        tasks: tasks.into_iter().map(|(n, s)| Task::new(n, s)).collect(),
        executor: Executor::Threads,
    }
}

fn run(w: &Workload, s: &Settings) -> Outcome {
    match simulate(w, s) {
        Ok(o) => o,
        Err(e) => panic!("simulation failed: {e}"),
    }
}

/// GIL holder intervals of interpreter 0 as (start, end, holder).
fn gil_lane(o: &Outcome) -> Vec<(u64, u64, usize)> {
    o.gil_lanes[0]
        .intervals
        .iter()
        .map(|i| (i.start_ns, i.end_ns, i.holder))
        .collect()
}

fn states(o: &Outcome, t: usize) -> Vec<(u64, u64, ThreadState)> {
    o.threads[t]
        .lane
        .iter()
        .map(|i| (i.start_ns, i.end_ns, i.state))
        .collect()
}

// ---------- the GIL rules, exact ----------

/// Two CPU threads of 20 ms, 5 ms interval, 5 us check points, no machine costs.
/// T1's wait times out at 5 ms and sets the request; T0 drops at the next check point after
/// 5 ms (5.005 ms) and waits on switch_cond; T1 takes it; T0's wait starts at 5.005 ms and times
/// out at 10.005 ms; T1 (5 ms into its segment, on the grid) drops at 10.010 ms; and so on: each
/// slice is 5.005 ms. T0 ends at 35.015 ms (its last 4.985 ms beat T1's timeout at 35.030 ms),
/// T1 then runs its last 4.985 ms: wall 40 ms exactly, no time lost.
#[test]
fn two_cpu_threads_exact_handoffs() {
    let w = threads(vec![("T0", vec![py(20 * MS)]), ("T1", vec![py(20 * MS)])]);
    let s = Settings::ideal(2);
    let o = run(&w, &s);
    let expected = vec![
        (0, 5_005_000, 0),
        (5_005_000, 10_010_000, 1),
        (10_010_000, 15_015_000, 0),
        (15_015_000, 20_020_000, 1),
        (20_020_000, 25_025_000, 0),
        (25_025_000, 30_030_000, 1),
        (30_030_000, 35_015_000, 0),
        (35_015_000, 40_000_000, 1),
    ];
    assert_eq!(gil_lane(&o), expected);
    assert_eq!(o.wall_ns, 40 * MS);
    assert_eq!(o.gil_switches, 7);
    assert_eq!(o.drop_requests, 6);
    assert_eq!(
        o.drop_marks[0],
        DropMark {
            time_ns: 5 * MS,
            thread: 1
        }
    );
    assert_eq!(
        o.drop_marks[1],
        DropMark {
            time_ns: 10_005_000,
            thread: 0
        }
    );
    assert_eq!(o.threads[0].finished_ns, Some(35_015_000));
    // T1 waited 5.005, 5.005, 5.005 and 4.985 ms; T0 5.005 ms three times. The forced
    // switch waits last 0 ns here: the other thread takes the GIL at the very drop.
    assert!((o.threads[1].gil_wait_ms - 20.0).abs() < 1e-9);
    assert!((o.threads[0].gil_wait_ms - 15.015).abs() < 1e-9);
    assert!((o.cpu_ms - 40.0).abs() < 1e-9);
}

/// The check point grid: with 1 ms between check points the holder runs on to the next
/// multiple of 1 ms of its segment after the request (5 ms request -> drop at 6 ms).
#[test]
fn drop_waits_for_next_check_point() {
    let w = threads(vec![("T0", vec![py(20 * MS)]), ("T1", vec![py(MS)])]);
    let mut s = Settings::ideal(2);
    s.checkpoint_ns = MS;
    let o = run(&w, &s);
    assert_eq!(gil_lane(&o)[0], (0, 6 * MS, 0));
    // T1 runs 1 ms, finishes and releases for good; T0 goes on.
    assert_eq!(gil_lane(&o)[1], (6 * MS, 7 * MS, 1));
    assert_eq!(o.wall_ns, 21 * MS);
}

/// The convoy: an I/O thread coming back to a GIL held by a CPU thread waits exactly one
/// interval plus the time to the holder's next check point.
#[test]
fn convoy_waits_interval_plus_check_point() {
    let w = threads(vec![
        ("io", vec![py(3 * US), io(170 * US), py(2 * US)]),
        ("cpu", vec![py(100 * MS)]),
    ]);
    let s = Settings::ideal(2);
    let o = run(&w, &s);
    // io takes the GIL at 0, runs 3 us, releases for the I/O (no request): cpu takes it at 3 us.
    // The I/O ends at 173 us; io waits until 5.173 ms, sets the request; cpu's segment started
    // at 3 us, so its grid is 3 us + k*5 us: next check point after 5.173 ms is 5.178 ms.
    assert_eq!(o.io_latencies_ns, vec![170 * US + 5 * MS + 5 * US]);
    assert_eq!(o.threads[0].finished_ns, Some(5_178_000 + 2 * US));
    assert_eq!(
        states(&o, 0),
        vec![
            (0, 3 * US, ThreadState::RunningPython),
            (3 * US, 173 * US, ThreadState::Io),
            (173 * US, 5_178_000, ThreadState::WaitingForGil),
            (5_178_000, 5_180_000, ThreadState::RunningPython),
            (5_180_000, o.wall_ns, ThreadState::Done),
        ]
    );
}

/// A GIL-holding C call has no check point: the I/O thread waits for its whole length, and
/// the holder drops right when it returns.
#[test]
fn c_call_holds_starves_io_thread() {
    let w = threads(vec![
        ("io", vec![py(US), io(100 * US), py(US)]),
        ("c", vec![chold(50 * MS), py(10 * MS)]),
    ]);
    let s = Settings::ideal(2);
    let o = run(&w, &s);
    // io releases at 1 us; c holds from 1 us to 50.001 ms; io's timeouts (5.101, 10.101, ...)
    // set requests but nothing happens until the call returns at 50.001 ms.
    assert_eq!(o.io_latencies_ns, vec![50_001_000 - US]);
    assert_eq!(gil_lane(&o)[1], (US, 50_001_000, 1));
    assert!(o.drop_requests >= 9);
}

/// FORCE_SWITCHING: the dropper cannot take the GIL back before another thread has; with a
/// wake-up latency the GIL stays free in between, and the dropper still waits.
#[test]
fn forced_switch_dropper_cannot_retake_first() {
    let w = threads(vec![("A", vec![py(10 * MS)]), ("B", vec![py(10 * MS)])]);
    let mut s = Settings::ideal(2);
    s.costs.wake_latency_ns = 50 * US;
    let o = run(&w, &s);
    let lane = gil_lane(&o);
    // A drops at 5.005 ms; B, signalled, runs 50 us later: the GIL is free in between and A
    // is in its forced wait meanwhile, not taking it.
    assert_eq!(lane[0], (0, 5_005_000, 0));
    assert_eq!(lane[1].0, 5_055_000);
    assert_eq!(lane[1].2, 1);
    let a = states(&o, 0);
    assert_eq!(a[1], (5_005_000, 5_105_000, ThreadState::ForcedSwitchWait));
    // B took it at 5.055 and signalled switch_cond; A wakes 50 us later and queues again.
    assert_eq!(a[2].0, 5_105_000);
    assert_eq!(a[2].2, ThreadState::WaitingForGil);
}

/// Releasing for I/O while a drop request is pending also waits for the switch (3.12 and 3.13
/// drop_gil), and only then starts the I/O.
#[test]
fn io_release_with_pending_request_is_forced() {
    let w = threads(vec![
        ("A", vec![chold(6 * MS), io(MS), py(US)]),
        ("B", vec![py(MS)]),
    ]);
    let mut s = Settings::ideal(2);
    s.costs.wake_latency_ns = 10 * US;
    let o = run(&w, &s);
    let a = states(&o, 0);
    // A's C call returns at 6 ms with B's request (5 ms) pending: drop_gil, B signalled, A waits
    // until B has the GIL (6.010 ms), then does its I/O (A's own wake-up: 6.020 ms).
    assert_eq!(a[0], (0, 6 * MS, ThreadState::CHold));
    assert_eq!(a[1], (6 * MS, 6_020_000, ThreadState::ForcedSwitchWait));
    assert_eq!(a[2], (6_020_000, 7_020_000, ThreadState::Io));
}

/// GIL-releasing C code runs in parallel on 2 cores, serialised on 1.
#[test]
fn c_release_runs_in_parallel() {
    let w = threads(vec![
        ("h1", vec![py(US), crel(40 * MS), py(US)]),
        ("h2", vec![py(US), crel(40 * MS), py(US)]),
    ]);
    let o2 = run(&w, &Settings::ideal(2));
    assert_eq!(o2.wall_ns, 40 * MS + 3 * US);
    let o1 = run(&w, &Settings::ideal(1));
    // On one core: h2's 1 us of Python shares the core with h1's C code (2 us), both C pieces
    // then share it; h1 ends at 80.001 ms, its last 1 us of Python takes 2 us beside h2's last
    // C microsecond, then h2 takes the GIL for its 1 us: 80.004 ms.
    assert_eq!(o1.wall_ns, 80 * MS + 4 * US);
}

/// Free-threaded: Python runs in parallel, each segment stretched by 1 + slowdown.
#[test]
fn free_threaded_parallel_with_slowdown() {
    let w = threads(vec![("a", vec![py(100 * MS)]), ("b", vec![py(100 * MS)])]);
    let mut s = Settings::ideal(2);
    s.interpreter = Interpreter::FreeThreaded { slowdown: 0.4 };
    let o = run(&w, &s);
    assert_eq!(o.wall_ns, 140 * MS);
    assert_eq!(o.gil_switches, 0);
    assert_eq!(o.drop_requests, 0);
    s.cores = 1;
    let o1 = run(&w, &s);
    assert_eq!(o1.wall_ns, 280 * MS);
}

/// One core serialises everything that needs a core, GIL or not.
#[test]
fn one_core_serialises() {
    let w = threads(vec![
        ("a", vec![crel(30 * MS)]),
        ("b", vec![crel(10 * MS)]),
        ("c", vec![io(50 * MS)]),
    ]);
    let o = run(&w, &Settings::ideal(1));
    // a and b share the core: b ends at 20 ms, a at 40 ms; c's I/O needs no core (50 ms).
    assert_eq!(o.threads[1].finished_ns, Some(20 * MS));
    assert_eq!(o.threads[0].finished_ns, Some(40 * MS));
    assert_eq!(o.wall_ns, 50 * MS);
}

/// The seeded choice among waiters: same seed, same run; some other seed picks another winner.
#[test]
fn seeded_choice_of_waiter() {
    let w = threads(vec![
        ("holder", vec![py(US), io(20 * MS)]),
        ("w1", vec![py(MS)]),
        ("w2", vec![py(MS)]),
        ("w3", vec![py(MS)]),
    ]);
    // holder has the GIL at 0; w1..w3 queue at 0; holder releases at 1 us: one is signalled.
    let winner = |seed: u64| {
        let mut s = Settings::ideal(2);
        s.seed = seed;
        s.costs.wake_latency_ns = 10 * US;
        let o = run(&w, &s);
        assert_eq!(o, run(&w, &s), "same seed, same outcome");
        gil_lane(&o)[1].2
    };
    let first = winner(1);
    let mut seen = std::collections::BTreeSet::new();
    for seed in 0..32 {
        seen.insert(winner(seed));
    }
    assert!(seen.len() >= 2, "winners seen: {seen:?}");
    assert!(seen.iter().all(|&t| (1..=3).contains(&t)));
    assert!((1..=3).contains(&first));
}

/// A thread whose wait times out while the GIL is free (between a release and the signalled
/// thread waking up) takes it: barging.
#[test]
fn timeout_in_wake_window_barges() {
    let w = threads(vec![
        ("A", vec![chold(7 * MS), io(20 * MS)]),
        ("B", vec![py(MS)]),
        ("C", vec![py(MS)]),
    ]);
    let mut s = Settings::ideal(2);
    s.costs.wake_latency_ns = 4 * MS;
    let o = run(&w, &s);
    // B and C time out at 5 ms (two requests) and wait again until 10 ms. A's call returns at
    // 7 ms: forced drop, one of B and C is signalled and would run at 11 ms; the other times
    // out at 10 ms, finds the GIL free and takes it first.
    assert_eq!(o.drop_requests, 2);
    let lane = gil_lane(&o);
    assert_eq!(lane[0], (0, 7 * MS, 0));
    assert_eq!(lane[1].0, 10 * MS);
    assert_eq!(lane[1].1, 11 * MS);
    // The signalled one wakes at 11 ms, in the same instant as the barger's final release but
    // before it: it finds the GIL held, waits again, is signalled by that release and runs
    // one wake-up later.
    assert_eq!(lane[2], (15 * MS, 16 * MS, 3 - lane[1].2));
}

// ---------- executors ----------

#[test]
fn sequential_runs_tasks_back_to_back() {
    let w = Workload {
        tasks: vec![
            Task::new("a", vec![py(MS), io(2 * MS)]),
            Task::new("b", vec![py(3 * MS)]),
        ],
        executor: Executor::Sequential,
    };
    let o = run(&w, &Settings::ideal(2));
    assert_eq!(o.threads.len(), 1);
    assert_eq!(o.task_done_ns, vec![3 * MS, 6 * MS]);
    assert_eq!(o.wall_ns, 6 * MS);
    assert_eq!(o.gil_switches, 0);
}

/// ThreadPoolExecutor creates a thread per submit only while no worker is idle, up to
/// max_workers, and takes tasks FIFO.
#[test]
fn thread_pool_lazy_creation_and_fifo() {
    let tasks: Vec<Task> = (0..6)
        .map(|i| Task::new(format!("t{i}"), vec![io(10 * MS)]))
        .collect();
    let w = Workload {
        tasks,
        executor: Executor::ThreadPool {
            max_workers: Some(4),
        },
    };
    let mut s = Settings::ideal(2);
    s.costs.tpe_submit_ns = 10 * US;
    s.costs.thread_start_ns = 100 * US;
    let o = run(&w, &s);
    // 4 workers for 6 quick submits (none idle yet), then no more.
    let workers: Vec<&str> = o.threads.iter().skip(1).map(|t| t.name.as_str()).collect();
    assert_eq!(
        workers,
        vec![
            "ThreadPoolExecutor-0_0",
            "ThreadPoolExecutor-0_1",
            "ThreadPoolExecutor-0_2",
            "ThreadPoolExecutor-0_3"
        ]
    );
    // The first four run together (the workers queue for the GIL while main submits, and
    // get it when main blocks at 460 us); t4 and t5 wait for a free worker.
    let d = &o.task_done_ns;
    assert_eq!(&d[..4], &[10_460_000; 4]);
    assert_eq!(&d[4..], &[20_460_000; 2]);

    // FIFO: one worker takes the tasks in submit order.
    let tasks: Vec<Task> = (0..4)
        .map(|i| Task::new(format!("f{i}"), vec![py(MS * (4 - i))]))
        .collect();
    let w1 = Workload {
        tasks,
        executor: Executor::ThreadPool {
            max_workers: Some(1),
        },
    };
    let o = run(&w1, &Settings::ideal(2));
    let d = &o.task_done_ns;
    assert!(d[0] < d[1] && d[1] < d[2] && d[2] < d[3], "{d:?}");
    assert_eq!(d[3] - d[0], 6 * MS);

    // With an idle worker (tasks spaced apart by a long submit), only one thread is made.
    let tasks: Vec<Task> = (0..3)
        .map(|i| Task::new(format!("q{i}"), vec![py(US)]))
        .collect();
    let w = Workload {
        tasks,
        executor: Executor::ThreadPool {
            max_workers: Some(4),
        },
    };
    let mut s = Settings::ideal(2);
    s.costs.tpe_submit_ns = 20 * MS; // main releases at 5 ms requests, the worker runs
    let o = run(&w, &s);
    assert_eq!(
        o.threads.len(),
        2,
        "one worker reused: {:?}",
        o.threads.iter().map(|t| &t.name).collect::<Vec<_>>()
    );
    assert_eq!(default_thread_pool_workers(2), 6);
    assert_eq!(default_thread_pool_workers(64), 32);
}

/// Process pool: start-up per worker, pickling at the set rate, no GIL contention between
/// workers, cores shared.
#[test]
fn process_pool_costs() {
    let mut s = Settings::ideal(2);
    s.costs.start_spawn_ns = 50 * MS;
    s.costs.pickle_bytes_per_s = 100_000_000;
    let mut t = Task::new("big", vec![py(10 * MS)]);
    t.arg_bytes = 1_000_000; // 10 ms round trip at 100 MB/s: 5 ms parent, 5 ms worker
    let w = Workload {
        tasks: vec![t.clone(), t],
        executor: Executor::ProcessPool {
            workers: 2,
            start: StartMethod::Spawn,
        },
    };
    let o = run(&w, &s);
    // Parent: 5 ms of pickling per task while both workers start (50 ms of CPU each): three on
    // two cores run at 2/3 speed, so the parent's 10 ms take 15 ms, by which the workers have
    // done 10 ms of start-up; the other 40 ms at full speed: ready at 55 ms; then 5 ms of
    // unpickling and 10 ms of work each, in parallel: 70 ms.
    assert_eq!(o.wall_ns, 70 * MS);
    assert_eq!(o.gil_switches, 0);
    assert_eq!(o.gil_lanes.len(), 3);
}

// ---------- presets ----------

#[test]
fn all_presets_exist_and_match_cpython() {
    for id in ids() {
        assert!(preset_runs(id).is_some_and(|runs| !runs.is_empty()), "preset {id} has no runs");
        let r = match run_preset(id, 1) {
            Some(Ok(r)) => r,
            Some(Err(e)) => panic!("{id}: {e}"),
            None => panic!("{id}: no runs"),
        };
        for h in &r.headlines {
            assert!(
                h.within(),
                "{id}: {} = {:.4} {} outside {:.4}..={:.4} ({})",
                h.label,
                h.simulated,
                h.unit,
                h.expected_lo,
                h.expected_hi,
                h.cpython
            );
        }
        assert!(!r.headlines.is_empty(), "{id} has no headline");
    }
    assert!(preset_runs("nope").is_none() && run_preset("nope", 1).is_none());
}

#[test]
fn counter_explanation() {
    assert!(lost_update_possible(PythonVersion::new(3, 9), false));
    assert!(!lost_update_possible(PythonVersion::new(3, 10), false));
    assert!(!lost_update_possible(PythonVersion::new(3, 13), false));
    assert!(lost_update_possible(PythonVersion::new(3, 13), true));
    assert!(COUNTER_MEASURED
        .iter()
        .any(|m| m.version == "3.9.18" && m.runs_with_loss == m.runs));
    assert!(COUNTER_MEASURED
        .iter()
        .filter(|m| m.version != "3.9.18")
        .all(|m| m.runs_with_loss == 0));
    assert!(!counter_explanation_text().is_empty());
}

#[test]
fn seed_io_latencies_are_seeded() {
    let a = seed_io_latencies_ns(DEFAULT_SEED_IO_SEED);
    assert_eq!(a.len(), 15);
    assert_eq!(a, seed_io_latencies_ns(DEFAULT_SEED_IO_SEED));
    assert_ne!(a, seed_io_latencies_ns(DEFAULT_SEED_IO_SEED + 1));
    let (seq, pool) = seed_io_pool_workloads(&a);
    let s = Settings::new(2);
    let (os, op) = (run(&seq, &s), run(&pool, &s));
    assert!(os.wall_ms > op.wall_ms * 3.0);
}

// ---------- cost and limits ----------

/// 32 CPU threads for 60 simulated seconds at 5 ms: events grow with handoffs, not time.
#[test]
fn event_count_grows_with_handoffs() {
    let s = Settings::new(2);
    let o = bench_run(32, 60, &s).unwrap_or_else(|e| panic!("{e}"));
    assert!(
        (o.wall_ms - 60_000.0).abs() / 60_000.0 < 0.05,
        "wall {}",
        o.wall_ms
    );
    // About 31 waiters time out every ~5.1 ms, plus the handoffs.
    let slices = o.gil_switches;
    assert!(slices > 10_000 && slices < 13_000, "switches {slices}");
    assert!(o.events < 600_000, "events {}", o.events);
    // Ten times the simulated time with one thread: still a handful of events.
    let one = bench_run(1, 600, &s).unwrap_or_else(|e| panic!("{e}"));
    assert!(one.events < 10, "events {}", one.events);
}

#[test]
fn bad_input_is_an_error() {
    let w = threads(vec![("a", vec![py(MS)])]);
    let mut s = Settings::new(2);
    s.cores = 0;
    assert!(matches!(simulate(&w, &s), Err(SimError::InvalidInput(_))));
    s.cores = 65;
    assert!(simulate(&w, &s).is_err());
    let s = Settings::new(2);
    let empty = Workload {
        tasks: vec![],
        executor: Executor::Threads,
    };
    assert!(simulate(&empty, &s).is_err());
    let huge = threads(vec![("a", vec![py(u64::MAX)])]);
    assert!(simulate(&huge, &s).is_err());
    let many = Workload {
        tasks: (0..MAX_TASKS + 1).map(|_| Task::new("x", vec![])).collect(),
        executor: Executor::Threads,
    };
    assert!(simulate(&many, &s).is_err());
    let mut s2 = Settings::new(2);
    s2.interpreter = Interpreter::FreeThreaded { slowdown: f64::NAN };
    assert!(simulate(&w, &s2).is_err());
    let mut s3 = Settings::new(2);
    s3.max_events = 10;
    let busy = threads(vec![("a", vec![py(100 * MS)]), ("b", vec![py(100 * MS)])]);
    assert!(matches!(
        simulate(&busy, &s3),
        Err(SimError::EventBudgetExceeded { .. })
    ));
    let msg = simulate(&busy, &s3)
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(msg.contains("event budget"));
}

#[test]
fn switch_intervals_work() {
    for iv in [500 * US, MS, 5 * MS, 50 * MS] {
        let w = threads(vec![("a", vec![py(200 * MS)]), ("b", vec![py(200 * MS)])]);
        let mut s = Settings::ideal(2);
        s.switch_interval_ns = iv;
        let o = run(&w, &s);
        assert_eq!(o.wall_ns, 400 * MS, "interval {iv}");
        let expect = 400 * MS / (iv + 5 * US);
        assert!(
            o.gil_switches.abs_diff(expect) <= 2,
            "interval {iv}: {}",
            o.gil_switches
        );
    }
}

mod fuzz {
    use super::*;
    use proptest::prelude::*;

    fn seg() -> impl Strategy<Value = Segment> {
        prop_oneof![
            (0u64..20_000_000).prop_map(|ns| Segment::Python { ns }),
            (0u64..20_000_000).prop_map(|ns| Segment::CHold { ns }),
            (0u64..20_000_000).prop_map(|ns| Segment::Io { ns }),
            (0u64..20_000_000).prop_map(|ns| Segment::CRelease { ns }),
            any::<u64>().prop_map(|ns| Segment::Python { ns }),
        ]
    }

    fn executor() -> impl Strategy<Value = Executor> {
        prop_oneof![
            Just(Executor::Sequential),
            Just(Executor::Threads),
            proptest::option::of(0u32..40).prop_map(|m| Executor::ThreadPool { max_workers: m }),
            (0u32..6, 0u8..3).prop_map(|(w, k)| Executor::ProcessPool {
                workers: w,
                start: match k {
                    0 => StartMethod::Fork,
                    1 => StartMethod::Forkserver,
                    _ => StartMethod::Spawn,
                }
            }),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]
        #[test]
        fn never_panics_and_is_deterministic(
            tasks in proptest::collection::vec(proptest::collection::vec(seg(), 0..6), 0..8),
            ex in executor(),
            cores in 0u32..70,
            interval in prop_oneof![Just(0u64), 500u64..60_000_000, any::<u64>()],
            cp in prop_oneof![Just(0u64), 1u64..20_000, any::<u64>()],
            seed in any::<u64>(),
            ft in proptest::option::of(-1.0f64..12.0),
            ideal in any::<bool>(),
            bytes in 0u64..10_000_000,
        ) {
            let w = Workload {
                tasks: tasks.into_iter().enumerate().map(|(i, s)| {
                    let mut t = Task::new(format!("t{i}"), s);
                    t.arg_bytes = bytes;
                    t
                }).collect(),
                executor: ex,
            };
            let mut s = if ideal { Settings::ideal(cores) } else { Settings::new(cores) };
            s.switch_interval_ns = interval;
            s.checkpoint_ns = cp;
            s.seed = seed;
            s.max_events = 200_000;
            if let Some(x) = ft { s.interpreter = Interpreter::FreeThreaded { slowdown: x }; }
            let a = simulate(&w, &s);
            let b = simulate(&w, &s);
            prop_assert_eq!(&a, &b);
            if let Ok(o) = a {
                // Work is conserved: every thread's running time covers its Python work.
                let total: u64 = w.tasks.iter().flat_map(|t| t.segments.iter()).map(|s| s.ns()).sum();
                // A process pool also pickles every argument (about 110 MB/s for the round
                // trip), and a free-threaded build stretches the parent's Python by its slowdown.
                let pickling = bytes as f64 * w.tasks.len() as f64 * 2.0 / 110e6 * 1e9;
                let stretch = 1.0 + ft.unwrap_or(0.0).max(0.0);
                let bound = ((total as f64 + pickling) * stretch * 4.0 + 2e9).min(u64::MAX as f64) as u64;
                prop_assert!(o.wall_ns <= bound, "wall {} ns over the bound {} ns", o.wall_ns, bound);
                prop_assert!(matches!(o.threads.iter().filter(|t| t.finished_ns.is_none() && t.interpreter == 0 && !t.name.starts_with("ThreadPool")).count(), 0));
            }
        }
    }
}

/// `cargo test print_headlines -- --nocapture` prints every preset's figures.
#[test]
fn print_headlines() {
    for id in ids() {
        if let Some(Ok(r)) = run_preset(id, 1) {
            for h in &r.headlines {
                println!(
                    "{id}: {} = {:.4} {} [{:.3}, {:.3}] {}",
                    h.label,
                    h.simulated,
                    h.unit,
                    h.expected_lo,
                    h.expected_hi,
                    if h.within() { "ok" } else { "OUT" }
                );
            }
            for (l, o) in &r.outcomes {
                println!(
                    "   {l}: wall {:.3} ms, switches {}, drop requests {}, events {}",
                    o.wall_ms, o.gil_switches, o.drop_requests, o.events
                );
            }
        }
    }
}

