//! Browser tier: run by `wasm-pack test --headless --chrome`. The test runner serves the
//! page cross-origin isolated, so the rayon pool of Web Workers really starts here.
#![cfg(target_arch = "wasm32")]

use concurrency_playground::glue::{self, PoolStatus};
use concurrency_playground::labs::cpu::model::{classic_tasks, Run, Workload};
use gloo_timers::future::TimeoutFuture;
use std::sync::{Arc, Mutex};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

/// One pool per page: every test that needs it goes through here.
async fn pool() -> usize {
    thread_local! {
        static STATUS: std::cell::RefCell<Option<PoolStatus>> = const { std::cell::RefCell::new(None) };
    }
    if let Some(PoolStatus::Ready { threads }) = STATUS.with(|s| s.borrow().clone()) {
        return threads;
    }
    let status = glue::start_pool().await;
    STATUS.with(|s| *s.borrow_mut() = Some(status.clone()));
    match status {
        PoolStatus::Ready { threads } => threads,
        other => panic!("pool did not start: {other:?}"),
    }
}

async fn run_to_end(run: &Arc<Run>) {
    for _ in 0..2_000 {
        if run.is_over() {
            return;
        }
        TimeoutFuture::new(10).await;
    }
    panic!("run did not finish in 20 s");
}

fn results(run: &Run) -> Vec<String> {
    run.records().into_iter().map(|r| r.result).collect()
}

#[wasm_bindgen_test]
async fn the_pool_starts_with_a_worker_per_core() {
    assert!(glue::is_cross_origin_isolated(), "the test page should be isolated");
    let threads = pool().await;
    assert_eq!(threads, glue::logical_cores());
}

#[wasm_bindgen_test]
async fn parallel_results_equal_sequential_ones_and_cpython() {
    let threads = pool().await;
    let workload = Workload { tasks: classic_tasks(), iterations: 1000 };
    let seq = Run::new(workload.clone(), 1, glue::now_ms);
    seq.spawn_on_pool();
    run_to_end(&seq).await;
    let par = Run::new(workload, threads, glue::now_ms);
    par.spawn_on_pool();
    run_to_end(&par).await;
    assert_eq!(results(&seq).len(), 20);
    assert_eq!(results(&seq), results(&par));
    assert_eq!(&results(&par)[..4], ["1187892022", "233359746", "1591852310", "1865639156"]);
    let used: std::collections::BTreeSet<usize> = par.records().iter().map(|r| r.worker).collect();
    assert!(used.iter().all(|w| *w < threads));
}

#[wasm_bindgen_test]
async fn classic_task_in_a_worker_equals_cpython() {
    pool().await;
    let workload = Workload { tasks: classic_tasks()[..2].to_vec(), iterations: 2_000_000 };
    let run = Run::new(workload, 2, glue::now_ms);
    run.spawn_on_pool();
    run_to_end(&run).await;
    assert_eq!(results(&run), ["1481646940", "580377468"]);
}

#[wasm_bindgen_test]
async fn worker_clock_agrees_with_the_page_clock() {
    pool().await;
    let seen = Arc::new(Mutex::new(None));
    let before = glue::now_ms();
    let slot = Arc::clone(&seen);
    rayon::spawn(move || *slot.lock().unwrap() = Some(glue::now_ms()));
    let mut in_worker = None;
    for _ in 0..500 {
        in_worker = *seen.lock().unwrap();
        if in_worker.is_some() {
            break;
        }
        TimeoutFuture::new(5).await;
    }
    let after = glue::now_ms();
    let t = in_worker.expect("worker never ran");
    // Origins are rounded by the browser; allow a millisecond either side.
    assert!(t >= before - 1.0 && t <= after + 1.0, "{before} <= {t} <= {after}");
}

#[wasm_bindgen_test]
async fn cancel_stops_workers_and_keeps_finished_tasks() {
    let threads = pool().await;
    let workload = Workload { tasks: vec![classic_tasks()[0]; 40], iterations: 50_000_000 };
    let run = Run::new(workload, threads, glue::now_ms);
    run.spawn_on_pool();
    while run.finished() == 0 {
        TimeoutFuture::new(5).await;
    }
    let asked = glue::now_ms();
    run.cancel();
    run_to_end(&run).await;
    let stopped_after = glue::now_ms() - asked;
    assert!(run.records().len() < 40);
    assert!(run.records().iter().all(|r| !r.result.is_empty()));
    // Checked every 65,536 iterations: well under a second even in a debug build.
    assert!(stopped_after < 1000.0, "took {stopped_after} ms to stop");
}

#[wasm_bindgen_test]
async fn without_isolation_the_app_falls_back_to_one_thread() {
    let status = glue::start_pool_if(false).await;
    match &status {
        PoolStatus::SingleThread { reason } => {
            assert!(reason.contains("Cross-Origin-Opener-Policy"), "{reason}");
            assert!(reason.contains("Cross-Origin-Embedder-Policy"), "{reason}");
        }
        other => panic!("expected the fallback, got {other:?}"),
    }
    assert_eq!(status.threads(), 1);
    // The fallback runs tasks on the page's thread, one per step, as the CPU lab does.
    let run = Run::new(Workload { tasks: classic_tasks()[..3].to_vec(), iterations: 1000 }, 1, glue::now_ms);
    while run.work_one(0) {}
    run.retire();
    assert!(run.is_over());
    assert_eq!(results(&run), ["1187892022", "233359746", "1591852310"]);
}

#[wasm_bindgen_test]
async fn race_counts_are_exact_in_wasm_on_a_worker() {
    use concurrency_playground::labs::race::{explore::explore, lang::parse, BANK};
    pool().await;
    let program = parse(&BANK.replace("withdraw * 4", "withdraw * 6")).unwrap();
    let slot = Arc::new(Mutex::new(None));
    let out = Arc::clone(&slot);
    rayon::spawn(move || *out.lock().unwrap() = Some(explore(&program, true).map(|e| (e.total, e.outcomes.len()))));
    for _ in 0..1000 {
        if slot.lock().unwrap().is_some() {
            break;
        }
        TimeoutFuture::new(5).await;
    }
    let result = slot.lock().unwrap().take().expect("the worker finished");
    // 12! / 2^6 interleavings, final balances 700..=950 in steps of 50.
    assert_eq!(result, Ok((7_484_400, 6)));
}

#[wasm_bindgen_test]
fn race_timing_model_is_deterministic_in_wasm() {
    use concurrency_playground::labs::race::{lang::parse, sched, BANK};
    let program = parse(BANK).unwrap();
    let a: Vec<_> = (0..50).map(|seed| sched::complete(&program, sched::Scheduler::CPython, seed, &[])).collect();
    let b: Vec<_> = (0..50).map(|seed| sched::complete(&program, sched::Scheduler::CPython, seed, &[])).collect();
    assert_eq!(a, b);
}

#[wasm_bindgen_test]
fn race_hostile_scenarios_fail_cleanly_in_wasm() {
    // wasm's stack is small and a panic kills the app: a long expression chain and
    // nested loops of `pass` must end in parse errors, not a stack overflow or a hang.
    use concurrency_playground::labs::race::lang::parse;
    let chain = vec!["1"; 3_900].join("+");
    assert!(parse(&format!("shared c = 0\nthread t:\n    c = {chain}\n")).unwrap_err().message.contains("too long"));
    let mut src = String::from("shared c = 0\nthread t:\n");
    for depth in 0..8 {
        src.push_str(&format!("{}for _ in range(64):\n", "    ".repeat(depth + 1)));
    }
    src.push_str(&format!("{}pass\n", "    ".repeat(9)));
    assert!(parse(&src).unwrap_err().message.contains("unrolls"));
}

mod async_lab {
    use super::*;
    use concurrency_playground::glue::aio::BrowserEnv;
    use concurrency_playground::labs::aio::config::Network;
    use concurrency_playground::labs::aio::model::{self, ids_for, plan, Env, Phase, Recorder, RunSpec, Strategy};
    use std::rc::Rc;

    fn spec(strategy: Strategy, limit: Option<usize>) -> RunSpec {
        RunSpec { strategy, limit, timeout_ms: None, deadline_ms: None, block_ms: 0.0, offload: false }
    }

    async fn run_with(env: BrowserEnv, n: usize, s: RunSpec) -> model::Rec {
        let env: Rc<dyn Env> = Rc::new(env);
        let rec = Recorder::new(&ids_for(n), env.now());
        model::run(env, Rc::clone(&rec), s).await;
        rec
    }

    #[wasm_bindgen_test]
    async fn real_timers_give_gather_and_semaphore_their_shape() {
        let sim = |n| BrowserEnv { network: Network::Sim, plan: plan(&ids_for(n), 200.0, 0.0, 0.0, 1), url: None, workers: false };
        let rec = run_with(sim(15), 15, spec(Strategy::Gather, Some(5))).await;
        let r = rec.borrow();
        assert!(r.requests.iter().all(|q| q.phase == Phase::Done));
        assert_eq!(r.in_flight.iter().map(|x| x.1).max(), Some(5));
        let wall = r.finished_at.unwrap();
        // Three waves of 200 ms; timers are never early, so at least 600 ms.
        assert!(wall >= 599.0, "{wall}");
    }

    #[wasm_bindgen_test]
    async fn real_fetches_report_status_and_errors() {
        let origin = web_sys::window().unwrap().location().origin().unwrap();
        let ok = BrowserEnv { network: Network::Live, plan: plan(&ids_for(3), 0.0, 0.0, 0.0, 1), url: Some(format!("{origin}/?id={{id}}")), workers: false };
        let rec = run_with(ok, 3, spec(Strategy::Gather, None)).await;
        for q in rec.borrow().requests.iter() {
            assert_eq!(q.phase, Phase::Done, "{q:?}");
            assert!(q.detail.as_deref().unwrap().starts_with("HTTP 200"), "{q:?}");
        }
        let missing = BrowserEnv { network: Network::Live, plan: plan(&ids_for(2), 0.0, 0.0, 0.0, 1), url: Some(format!("{origin}/no-such-file-{{id}}.json")), workers: false };
        let rec = run_with(missing, 2, spec(Strategy::Gather, None)).await;
        for q in rec.borrow().requests.iter() {
            assert_eq!(q.phase, Phase::Failed, "{q:?}");
            assert!(q.detail.as_deref().unwrap().contains("404"), "{q:?}");
        }
        let refused = BrowserEnv { network: Network::Live, plan: plan(&ids_for(1), 0.0, 0.0, 0.0, 1), url: Some("http://127.0.0.1:9/{id}".into()), workers: false };
        let rec = run_with(refused, 1, spec(Strategy::Gather, None)).await;
        let q = rec.borrow().requests[0].clone();
        assert_eq!(q.phase, Phase::Failed);
        // The test page is online and not https, so it is the generic network error.
        assert!(q.detail.unwrap().starts_with("network error: the server refused"));
    }

    #[wasm_bindgen_test]
    async fn timers_due_together_wake_together_as_in_python() {
        // Semaphore(2) over 4 requests of 300 ms: the two first timers are due together,
        // so both requests finish and release before the waiting two acquire, as Python
        // logs it, although the browser runs each setTimeout as its own task.
        let env = BrowserEnv { network: Network::Sim, plan: plan(&ids_for(4), 300.0, 0.0, 0.0, 1), url: None, workers: false };
        let rec = run_with(env, 4, spec(Strategy::Gather, Some(2))).await;
        assert_eq!(rec.borrow().semaphore_log(), model::PYTHON_SEMAPHORE_DEMO_LOG);
        // Waking together is not waking early: the second wave starts after 300 ms.
        assert!(rec.borrow().requests[2].start_ms.unwrap() >= 299.0, "{:?}", rec.borrow().requests);
    }

    #[wasm_bindgen_test]
    async fn to_thread_runs_on_a_worker_while_timers_fire() {
        pool().await;
        let env = BrowserEnv { network: Network::Sim, plan: plan(&ids_for(4), 100.0, 0.0, 0.0, 1), url: None, workers: true };
        let mut s = spec(Strategy::Gather, None);
        s.block_ms = 600.0;
        s.offload = true;
        let rec = run_with(env, 4, s).await;
        let r = rec.borrow();
        // The others were not held up by request 0's work: they were done before it was.
        let work_done = r.requests[0].start_ms.unwrap();
        assert!(work_done >= 590.0, "{:?}", r.requests);
        assert!(r.requests[1..].iter().all(|q| q.end_ms.unwrap() < work_done), "{:?}", r.requests);
    }
}

#[wasm_bindgen_test]
async fn the_real_gil_on_workers_admits_one_thread_at_a_time_and_hands_over() {
    use concurrency_playground::labs::threads::real_gil::{cpu_slice, run_cpu_threads};
    let threads = pool().await;
    assert!(threads >= 2, "this test needs two workers, the page has {threads}");
    // 40 slices of about 1 ms each per worker against a 1 ms interval: handoffs must happen.
    let run = run_cpu_threads(2, 40, || {
        cpu_slice(1_000_000);
    }, true, 1.0, glue::now_ms, |job| rayon::spawn(job))
    .expect("starts");
    let mut report = None;
    for _ in 0..3_000 {
        if run.is_done() {
            report = run.report();
            break;
        }
        TimeoutFuture::new(10).await;
    }
    let report = report.expect("the real run finished within 30 s");
    assert_eq!(report.lock.violations, 0, "two workers were inside the lock at once: {report:?}");
    assert_eq!(report.total_slices(), 80);
    assert!(report.lock.drop_requests > 0, "no drop request: {:?}", report.lock);
    assert!(report.lock.switches > 0, "the lock never changed hands: {:?}", report.lock);
    // Holds never overlap. Each worker stamps its holds on its own clock (its own time
    // origin, coarsened by the browser, and `timeOrigin + now()` rounds to 1/4096 ms), so
    // stamps from two workers may disagree by a few microseconds; a real overlap is a slice
    // (about 1 ms) long and is also counted in `violations` above.
    const CLOCK_SLACK_MS: f64 = 0.1;
    let mut holds = report.intervals.clone();
    holds.sort_by(|a, b| a.start_ms.total_cmp(&b.start_ms));
    for w in holds.windows(2) {
        assert!(w[1].start_ms >= w[0].end_ms - CLOCK_SLACK_MS, "holds overlap: {:?} and {:?}", w[0], w[1]);
    }
}
