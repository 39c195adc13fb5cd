use super::config::{AioConfig, Experiment, Network};
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
    let env: Rc<dyn Env> = Rc::new(SimEnv { clock: Rc::clone(&clock), plan });
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
    s.offload = true;
    let (clock, rec) = go(&[200.0; 5], &[], s);
    assert!(rec.borrow().requests[1..].iter().all(|r| r.end_ms == Some(200.0)));
    assert_eq!(clock.now(), 1700.0);
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
    let env: Rc<dyn Env> = Rc::new(SimEnv { clock: Rc::clone(&clock), plan: vec![] });
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
        let env: Rc<dyn Env> = Rc::new(SimEnv { clock: Rc::clone(&clock), plan: vec![] });
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
    assert_eq!(py_float(1.0), "1.0");
    assert_eq!(py_float(0.1 + 0.2), "0.30000000000000004");
    assert_eq!(py_float(-2.0), "-2.0");
    assert_eq!(py_float(6.0 * 0.2), "1.2000000000000002");
}

#[test]
fn plan_is_seeded_and_bounded() {
    let a = plan(&ids_for(15), 690.0, 150.0, 0.25, 7);
    assert_eq!(a, plan(&ids_for(15), 690.0, 150.0, 0.25, 7));
    assert_ne!(a, plan(&ids_for(15), 690.0, 150.0, 0.25, 8));
    assert!(a.iter().all(|p| (540.0..=840.0).contains(&p.latency_ms)));
    assert_eq!(a[0].id, 100);
    assert_eq!(ids_for(20)[19], 20);
}

#[test]
fn ten_thousand_requests_finish_in_virtual_time() {
    let clock = Rc::new(Clock::default());
    let p = plan(&ids_for(10_000), 200.0, 50.0, 0.0, 1);
    let env: Rc<dyn Env> = Rc::new(SimEnv { clock: Rc::clone(&clock), plan: p });
    let rec = Recorder::new(&ids_for(10_000), 0.0);
    assert!(block_on(&clock, run(env, Rc::clone(&rec), spec(Strategy::Gather, None))));
    assert!(rec.borrow().requests.iter().all(|r| r.phase == Phase::Done));
    assert!(clock.now() <= 250.0);
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
