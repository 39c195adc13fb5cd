use super::config::{strategy_key, AioConfig, Experiment, Network};
use super::model::virtual_time::{block_on, block_on_cancelled_at, Clock, SimEnv};
use super::model::*;
use super::META;
use proptest::prelude::{prop, prop_assert, prop_assert_eq, proptest};
use super::model::Strategy;
use std::rc::Rc;

fn sim(latencies: &[f64], fails: &[usize]) -> (Rc<Clock>, Rc<dyn Env>, Rec) {
    let clock = Rc::new(Clock::default());
    let plan: Vec<Planned> = latencies
        .iter()
        .enumerate()
        .map(|(i, &l)| Planned { id: i as u32, latency_ms: l, fails: fails.contains(&i) })
        .collect();
    let ids: Vec<u32> = plan.iter().map(|p| p.id).collect();
    let env: Rc<dyn Env> = Rc::new(SimEnv { clock: Rc::clone(&clock), plan, workers: true });
    let rec = Recorder::new(&ids, 0.0);
    (clock, env, rec)
}

fn spec(strategy: Strategy, limit: Option<usize>) -> RunSpec {
    RunSpec { strategy, limit, timeout_ms: None, deadline_ms: None, block_ms: 0.0, offload: false }
}

fn go(latencies: &[f64], fails: &[usize], s: RunSpec) -> (Rc<Clock>, Rec) {
    let (clock, env, rec) = sim(latencies, fails);
    assert!(block_on(&clock, run(env, Rc::clone(&rec), s)));
    (clock, rec)
}

fn phases(rec: &Rec) -> Vec<Phase> {
    rec.borrow().requests.iter().map(|r| r.phase).collect()
}

#[test]
fn sequential_gather_and_semaphore_take_the_ideal_times() {
    let lat = [200.0; 15];
    assert_eq!(go(&lat, &[], spec(Strategy::Sequential, None)).0.now(), 3000.0);
    assert_eq!(go(&lat, &[], spec(Strategy::Gather, None)).0.now(), 200.0);
    assert_eq!(go(&lat, &[], spec(Strategy::Gather, Some(5))).0.now(), 600.0);
    let (_, rec) = go(&lat, &[], spec(Strategy::Gather, Some(5)));
    let r = rec.borrow();
    assert_eq!(r.finished_at, Some(600.0));
    assert_eq!(r.in_flight.iter().map(|x| x.1).max(), Some(5));
    assert!((r.sum_of_latencies() - 3000.0).abs() < 1e-6);
}

#[test]
fn semaphore_of_two_logs_like_python() {
    // Python's demo prints this order: both timers are due in one pass of the loop, so
    // both tasks finish and release before the waiting two acquire.
    for strategy in [Strategy::TaskGroup, Strategy::Gather] {
        let (_, rec) = go(&[1000.0; 4], &[], spec(strategy, Some(2)));
        assert_eq!(
            rec.borrow().semaphore_log(),
            PYTHON_SEMAPHORE_DEMO_LOG,
            "{strategy:?}"
        );
    }
    let (_, rec) = go(&[1000.0; 4], &[], spec(Strategy::Gather, Some(2)));
    let r = rec.borrow();
    let log: Vec<String> = r.events.iter().map(|e| format!("{:.0} {} {}", e.t, e.index, e.text)).collect();
    // Everyone waits, two acquire at 0, the third acquires only when one releases at 1000.
    assert!(log.contains(&"0 2 waiting for semaphore".to_string()), "{log:#?}");
    let third = r.events.iter().find(|e| e.index == 2 && e.text == "acquired").unwrap();
    assert_eq!(third.t, 1000.0);
    let first_release = r.events.iter().position(|e| e.text == "released").unwrap();
    let third_acquire = r.events.iter().position(|e| e.index == 2 && e.text == "acquired").unwrap();
    assert!(first_release < third_acquire);
    assert_eq!(r.finished_at, Some(2000.0));
    assert!(r.in_flight.iter().all(|x| x.1 <= 2));
}

#[test]
fn taskgroup_cancels_siblings_on_first_failure() {
    // Request 3 fails at 100 ms; the others would take 500 ms.
    let mut lat = [500.0; 6];
    lat[3] = 100.0;
    let (clock, rec) = go(&lat, &[3], spec(Strategy::TaskGroup, None));
    assert_eq!(clock.now(), 100.0);
    let p = phases(&rec);
    assert_eq!(p[3], Phase::Failed);
    assert!(p.iter().enumerate().all(|(i, ph)| i == 3 || *ph == Phase::Cancelled), "{p:?}");
    assert!(rec.borrow().requests.iter().all(|r| r.end_ms == Some(100.0)));
}

#[test]
fn gather_with_errors_lets_the_rest_complete() {
    let mut lat = [500.0; 6];
    lat[3] = 100.0;
    let (clock, rec) = go(&lat, &[3], spec(Strategy::Gather, None));
    assert_eq!(clock.now(), 500.0);
    let p = phases(&rec);
    assert_eq!(p.iter().filter(|x| **x == Phase::Done).count(), 5);
    assert_eq!(p[3], Phase::Failed);
}

#[test]
fn timeouts_and_deadline() {
    let mut s = spec(Strategy::Gather, None);
    s.timeout_ms = Some(300.0);
    let (clock, rec) = go(&[100.0, 400.0, 250.0, 900.0], &[], s);
    assert_eq!(phases(&rec), vec![Phase::Done, Phase::TimedOut, Phase::Done, Phase::TimedOut]);
    assert_eq!(clock.now(), 300.0);

    let mut s = spec(Strategy::Sequential, None);
    s.deadline_ms = Some(450.0);
    let (clock, rec) = go(&[200.0, 200.0, 200.0], &[], s);
    assert_eq!(clock.now(), 450.0);
    assert_eq!(phases(&rec), vec![Phase::Done, Phase::Done, Phase::Cancelled]);
    // A request that had not started when the deadline passed is cancelled too.
    let mut s = spec(Strategy::Sequential, None);
    s.deadline_ms = Some(250.0);
    let (_, rec) = go(&[200.0, 200.0, 200.0, 200.0], &[], s);
    assert_eq!(phases(&rec), vec![Phase::Done, Phase::Cancelled, Phase::Cancelled, Phase::Cancelled]);
    assert!(rec.borrow().note.as_deref().unwrap().contains("deadline"));
}

#[test]
fn cancelling_a_sequential_run_cancels_the_unstarted_ones() {
    let (clock, env, rec) = sim(&[100.0; 5], &[]);
    assert!(block_on_cancelled_at(&clock, run(env, Rc::clone(&rec), spec(Strategy::Sequential, None)), 250.0));
    assert_eq!(phases(&rec), vec![Phase::Done, Phase::Done, Phase::Cancelled, Phase::Cancelled, Phase::Cancelled]);
    assert_eq!(rec.borrow().in_flight_now, 0);
    // A cancelled run has a wall time too: until the cancel.
    assert_eq!(rec.borrow().finished_at, Some(250.0));
}

#[test]
fn a_cancelled_pipeline_has_a_wall_time() {
    let clock = Rc::new(Clock::default());
    let env: Rc<dyn Env> = Rc::new(SimEnv { clock: Rc::clone(&clock), plan: vec![], workers: true });
    let (rec, fut) = pipeline(env, PipelineSpec::default());
    assert!(block_on_cancelled_at(&clock, fut, 400.0));
    let r = rec.borrow();
    assert_eq!(r.finished_at, Some(400.0));
    assert!(r.output.len() < 7, "{:?}", r.output);
}

#[test]
fn cancelled_requests_are_not_latencies() {
    let mut lat = [500.0; 4];
    lat[0] = 100.0;
    let (_, rec) = go(&lat, &[0], spec(Strategy::TaskGroup, None));
    assert_eq!(rec.borrow().sum_of_latencies(), 100.0);
}

#[test]
fn cancelling_midway_keeps_finished_results() {
    let (clock, env, rec) = sim(&[100.0, 200.0, 300.0, 400.0], &[]);
    assert!(block_on_cancelled_at(&clock, run(env, Rc::clone(&rec), spec(Strategy::Gather, None)), 250.0));
    assert_eq!(phases(&rec), vec![Phase::Done, Phase::Done, Phase::Cancelled, Phase::Cancelled]);
    assert_eq!(rec.borrow().requests[2].end_ms, Some(250.0));
}

#[test]
fn blocking_the_loop_stalls_everyone_and_to_thread_does_not() {
    let mut s = spec(Strategy::Gather, None);
    s.block_ms = 1500.0;
    let (clock, rec) = go(&[200.0; 5], &[], s.clone());
    // Nothing else could even start while request 0 computed.
    assert!(rec.borrow().requests[1..].iter().all(|r| r.start_ms == Some(1500.0)), "{:?}", rec.borrow().requests);
    assert_eq!(clock.now(), 1700.0);
    assert_eq!(rec.borrow().blocked, Some((0.0, 1500.0)));
    s.offload = true;
    let (clock, rec) = go(&[200.0; 5], &[], s.clone());
    assert!(rec.borrow().requests[1..].iter().all(|r| r.end_ms == Some(200.0)));
    assert_eq!(clock.now(), 1700.0);
    assert_eq!(rec.borrow().blocked, None);
    assert!(rec.borrow().events[0].text.contains("on a worker"));
}

#[test]
fn to_thread_without_workers_blocks_the_loop_and_says_so() {
    let clock = Rc::new(Clock::default());
    let plan: Vec<Planned> = (0..5).map(|i| Planned { id: i, latency_ms: 200.0, fails: false }).collect();
    let ids: Vec<u32> = (0..5).collect();
    let env: Rc<dyn Env> = Rc::new(SimEnv { clock: Rc::clone(&clock), plan, workers: false });
    let rec = Recorder::new(&ids, 0.0);
    let mut s = spec(Strategy::Gather, None);
    s.block_ms = 1500.0;
    s.offload = true;
    assert!(block_on(&clock, run(env, Rc::clone(&rec), s)));
    let r = rec.borrow();
    assert!(r.requests[1..].iter().all(|q| q.start_ms == Some(1500.0)), "{:?}", r.requests);
    assert_eq!(r.blocked, Some((0.0, 1500.0)));
    let first = &r.events[0].text;
    assert!(first.contains("no worker") && first.contains("blocks the event loop") && !first.contains("on a worker"), "{first}");
}

#[test]
fn creating_coroutines_runs_nothing() {
    let (clock, env, rec) = sim(&[200.0; 3], &[]);
    let fut = run(env, Rc::clone(&rec), spec(Strategy::Gather, None));
    // Created but not awaited: no request has started, like calling a coroutine function.
    assert!(rec.borrow().events.is_empty());
    assert_eq!(rec.borrow().creation_ms, Some(0.0));
    assert!(block_on(&clock, fut));
    assert_eq!(rec.borrow().finished_at, Some(200.0));
}

#[test]
fn pipeline_keeps_order_and_python_floats() {
    let clock = Rc::new(Clock::default());
    let env: Rc<dyn Env> = Rc::new(SimEnv { clock: Rc::clone(&clock), plan: vec![], workers: true });
    let (rec, fut) = pipeline(env, PipelineSpec::default());
    assert!(block_on(&clock, fut));
    let r = rec.borrow();
    assert_eq!(py_list(&r.output), "[0.4, 0.8, 1.2000000000000002, 0.6000000000000001, 1.0, 1.4000000000000001, 1.8]");
    assert!(r.events.last().unwrap().text.starts_with("writes [0.4"));
}

#[test]
fn bounded_queue_holds_the_producer_back() {
    let run_with = |q: usize| {
        let clock = Rc::new(Clock::default());
        let env: Rc<dyn Env> = Rc::new(SimEnv { clock: Rc::clone(&clock), plan: vec![], workers: true });
        let spec = PipelineSpec { items: vec![1.0; 20], q1: q, q2: q, produce_ms: 10.0, transform_ms: 10.0, save_ms: 100.0 };
        let (rec, fut) = pipeline(env, spec);
        assert!(block_on(&clock, fut));
        let r = rec.borrow();
        let max1 = r.depths.iter().map(|d| d.1).max().unwrap_or(0);
        let max2 = r.depths.iter().map(|d| d.2).max().unwrap_or(0);
        (max1, max2, r.producer_blocked.len(), r.output.len())
    };
    let (m1, m2, blocked, out) = run_with(2);
    assert!(m1 <= 2 && m2 <= 2, "{m1} {m2}");
    assert!(blocked > 5, "the producer should wait on a full queue: {blocked}");
    assert_eq!(out, 20);
    let (_, m2, blocked, out) = run_with(0);
    assert!(m2 > 10, "an unbounded queue grows: {m2}");
    assert_eq!(blocked, 0, "an unbounded queue never makes the producer wait");
    assert_eq!(out, 20);
}

#[test]
fn py_float_matches_python_repr() {
    // Each printed by python3 -c 'print(repr(x))'.
    let cases = [
        (1.0, "1.0"), (0.1 + 0.2, "0.30000000000000004"), (-2.0, "-2.0"), (6.0 * 0.2, "1.2000000000000002"),
        (2e-5, "2e-05"), (1e16, "1e+16"), (1.5e-7, "1.5e-07"), (1.2345e20, "1.2345e+20"), (1e15, "1000000000000000.0"),
        (1234567890123456.0, "1234567890123456.0"), (9999999999999998.0, "9999999999999998.0"), (0.0001, "0.0001"),
        (0.00012, "0.00012"), (1e-5, "1e-05"), (0.0, "0.0"), (-0.0, "-0.0"), (0.5, "0.5"), (100.0, "100.0"),
        (12345.678, "12345.678"), (123456789012345678.0, "1.2345678901234568e+17"), (2.5e-10, "2.5e-10"),
        (-1e100, "-1e+100"), (1e-100, "1e-100"), (5e-324, "5e-324"), (f64::MAX, "1.7976931348623157e+308"),
        (1e22, "1e+22"), (f64::INFINITY, "inf"), (f64::NEG_INFINITY, "-inf"), (f64::NAN, "nan"),
    ];
    for (x, want) in cases {
        assert_eq!(py_float(x), want, "{x:e}");
    }
}

#[test]
fn py_float_agrees_with_cpython_on_a_generated_list() {
    // py_float_cases.txt: bits and repr() of ~350 floats, written by CPython 3.11.
    let mut checked = 0;
    for line in include_str!("py_float_cases.txt").lines().filter(|l| !l.starts_with('#') && !l.is_empty()) {
        let (bits, want) = line.split_once(' ').unwrap();
        let x = f64::from_bits(u64::from_str_radix(bits, 16).unwrap());
        assert_eq!(py_float(x), want, "bits {bits}");
        checked += 1;
    }
    assert!(checked > 300, "{checked}");
}

#[test]
fn plan_is_seeded_and_bounded() {
    let a = plan(&ids_for(15), 690.0, 150.0, 0.25, 7);
    assert_eq!(a, plan(&ids_for(15), 690.0, 150.0, 0.25, 7));
    assert_ne!(a, plan(&ids_for(15), 690.0, 150.0, 0.25, 8));
    assert!(a.iter().all(|p| (540.0..=840.0).contains(&p.latency_ms)));
    assert_eq!(a[0].id, 100);
}

#[test]
fn ids_are_the_classic_fifteen_then_the_unused_positive_integers() {
    assert_eq!(ids_for(3), [100, 200, 300]);
    assert_eq!(ids_for(15), CLASSIC_IDS);
    let many = ids_for(10_000);
    assert_eq!(many.len(), 10_000);
    assert_eq!(many[..15], CLASSIC_IDS);
    assert_eq!(many[15..20], [1, 2, 3, 4, 5]);
    // 1..=99 fill places 15..=113; 100 is already a classic id, so 101 comes next.
    assert_eq!(many[113], 99);
    assert_eq!(many[114], 101);
    let mut unique = many.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(unique.len(), 10_000, "an id is asked for twice");
    assert_eq!(ids_for(0), Vec::<u32>::new());
}

#[test]
fn ten_thousand_requests_finish_in_virtual_time() {
    let clock = Rc::new(Clock::default());
    let p = plan(&ids_for(10_000), 200.0, 50.0, 0.0, 1);
    let env: Rc<dyn Env> = Rc::new(SimEnv { clock: Rc::clone(&clock), plan: p, workers: true });
    let rec = Recorder::new(&ids_for(10_000), 0.0);
    assert!(block_on(&clock, run(env, Rc::clone(&rec), spec(Strategy::Gather, None))));
    assert!(rec.borrow().requests.iter().all(|r| r.phase == Phase::Done));
    assert!(clock.now() <= 250.0);
}

/// Runs a simulated preset in virtual time.
fn run_preset(id: &str) -> Rec {
    let p = META.presets.iter().find(|p| p.id == id).unwrap();
    let c = AioConfig::from_query(p.query).config;
    let clock = Rc::new(Clock::default());
    let ids = ids_for(c.n);
    let pl = plan(&ids, c.latency_ms as f64, c.jitter_ms as f64, c.fail_pct as f64 / 100.0, c.seed);
    let env: Rc<dyn Env> = Rc::new(SimEnv { clock: Rc::clone(&clock), plan: pl, workers: true });
    let rec = Recorder::new(&ids, 0.0);
    assert!(block_on(&clock, run(env, Rc::clone(&rec), c.run_spec())));
    rec
}

#[test]
fn preset_blurbs_match_what_the_simulation_does() {
    let wall = |id: &str| run_preset(id).borrow().finished_at.unwrap();
    // "about 10 s"; "about 2 s"; "under 1 s".
    assert!((9_500.0..10_500.0).contains(&wall("sequential")), "{}", wall("sequential"));
    assert!((1_900.0..2_500.0).contains(&wall("pool-of-5")), "{}", wall("pool-of-5"));
    assert!(wall("gather") < 1_000.0, "{}", wall("gather"));
    // The first failure cancels siblings that were still running.
    let tg = run_preset("taskgroup");
    let count = |rec: &Rec, ph: Phase| rec.borrow().requests.iter().filter(|q| q.phase == ph).count();
    assert_eq!(count(&tg, Phase::Failed), 1);
    assert!(count(&tg, Phase::Cancelled) > 5);
    // The same failures under gather: collected, and the rest complete.
    let ga = run_preset("gather-errors");
    assert!(count(&ga, Phase::Failed) > 0);
    assert_eq!(count(&ga, Phase::Failed) + count(&ga, Phase::Done), 15);
    // to_thread: nobody else waits for the work.
    let tt = run_preset("to-thread");
    assert!(tt.borrow().requests[1..].iter().all(|q| q.end_ms.unwrap() < 1_000.0));
    let to_thread = AioConfig::from_query(META.presets.iter().find(|p| p.id == "to-thread").unwrap().query).config;
    assert_eq!(to_thread.strategy, Strategy::TaskGroup);
    // Live presets give each request a timeout, so a hung server ends in "timed out".
    for p in META.presets.iter().filter(|p| p.id.starts_with("live-")) {
        let c = AioConfig::from_query(p.query).config;
        assert_eq!(c.network, Network::Live, "{}", p.id);
        assert_eq!(c.timeout_ms, 10_000, "{}", p.id);
    }
}

#[test]
fn sequential_runs_use_no_semaphore() {
    let c = AioConfig::from_query("mode=seq&k=5").config;
    assert_eq!(c.limit, 5, "k stays in the link");
    assert_eq!(c.run_spec().limit, None, "but nothing limits a run that awaits one at a time");
    assert_eq!(AioConfig::from_query("mode=gather&k=5").config.run_spec().limit, Some(5));
    assert_eq!(AioConfig::from_query("mode=gather&k=0").config.run_spec().limit, None);
}

#[test]
fn strategy_keys_are_the_link_values() {
    for (key, s) in [("seq", Strategy::Sequential), ("gather", Strategy::Gather), ("taskgroup", Strategy::TaskGroup)] {
        assert_eq!(strategy_key(s), key);
        assert_eq!(AioConfig::from_query(&format!("mode={key}")).config.strategy, s);
    }
}

#[test]
fn presets_decode_cleanly() {
    for p in META.presets {
        let d = AioConfig::from_query(p.query);
        assert!(d.errors.is_empty(), "{}: {:?}", p.id, d.errors);
        assert!(d.config.problems().is_empty(), "{}", p.id);
    }
    let d = AioConfig::from_query("exp=pipeline");
    assert_eq!(d.config.experiment, Experiment::Pipeline);
}

#[test]
fn hostile_links_are_reported() {
    let d = AioConfig::from_query("n=999999&url=javascript:alert(1)&mode=warp&fail=150&items=1,x&zzz=1&k=-1");
    let mut keys: Vec<&str> = d.errors.iter().map(|e| e.key.as_str()).collect();
    keys.sort();
    assert_eq!(keys, ["fail", "items", "k", "mode", "n", "url", "zzz"]);
    assert!(d.config.problems().is_empty());
    assert_eq!(d.config.url, None);
    let d = AioConfig::from_query("net=live&n=5000");
    assert_eq!(d.config.n, 15);
    assert_eq!(d.config.network, Network::Live);
    let d = AioConfig::from_query("url=https://example.test/a");
    assert!(d.errors[0].message.contains("{id}"));
}

proptest! {
    #[test]
    fn py_float_reads_back_as_the_same_number(bits in proptest::num::u64::ANY) {
        let x = f64::from_bits(bits);
        let s = py_float(x);
        if x.is_nan() {
            prop_assert_eq!(s, "nan");
        } else {
            // Python's float() reads these forms exactly as Rust's parse does.
            let back: f64 = s.parse().unwrap();
            prop_assert_eq!(back.to_bits(), x.to_bits(), "{}", s);
            prop_assert!(s.contains('.') || s.contains('e') || s.ends_with("inf"), "{}", s);
            prop_assert!(!s.contains(".0e"), "{}", s);
        }
    }

    #[test]
    fn links_never_panic_and_round_trip(raw in ".{0,200}") {
        let d = AioConfig::from_query(&raw);
        let again = AioConfig::from_query(&d.config.to_query(false));
        prop_assert!(again.errors.is_empty(), "{:?}", again.errors);
        prop_assert_eq!(again.config, d.config);
    }

    #[test]
    fn any_mix_of_limits_finishes_every_request(
        lat in prop::collection::vec(0.0f64..500.0, 1..12),
        fail_mask in 0u32..4096,
        limit in prop::option::of(1usize..4),
        timeout in prop::option::of(1.0f64..400.0),
        group in prop::sample::select(vec![Strategy::Sequential, Strategy::Gather, Strategy::TaskGroup]),
    ) {
        let fails: Vec<usize> = (0..lat.len()).filter(|i| fail_mask & (1 << i) != 0).collect();
        let mut s = spec(group, limit);
        s.timeout_ms = timeout;
        let (_, rec) = go(&lat, &fails, s);
        let r = rec.borrow();
        prop_assert!(r.requests.iter().all(|q| q.phase.is_final()), "{:?}", r.requests);
        if let Some(k) = limit {
            if group != Strategy::Sequential {
                prop_assert!(r.in_flight.iter().all(|x| x.1 <= k));
            }
        }
        if group == Strategy::Sequential {
            prop_assert!(r.in_flight.iter().all(|x| x.1 <= 1));
        }
    }
}

