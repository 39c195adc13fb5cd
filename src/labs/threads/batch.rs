//! Batches of simulations: the pure work the threads page hands to a worker (the jobs of a
//! run or a comparison, and the preset's CPython check), and the simulation of what a real
//! run on the Web Workers did.

use super::config::run_job;
use super::model::{Executor, Interpreter, Outcome, Segment, Settings, Task, Workload};
use super::presets::{self, Headline};
use super::real_gil::RealReport;

/// One simulation the page must run.
#[derive(Clone, Debug, PartialEq)]
pub struct Job {
    pub label: String,
    pub workload: Workload,
    pub settings: Settings,
}

/// What a batch asks for and what the state machine does with its answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BatchKind {
    /// The experiment, then its tasks run sequentially (the speedup's baseline).
    Run,
    /// Sequential, threads under the GIL, free-threaded threads, processes.
    Compare,
}

/// A batch's answers, in job order, and the preset's CPython check when one was asked for.
#[derive(Clone, Debug)]
pub struct BatchResult {
    pub outcomes: Vec<Result<Outcome, String>>,
    pub check: Option<Result<Vec<Headline>, String>>,
    /// How long simulating the jobs took on the page's clock.
    pub elapsed_ms: f64,
}

/// Runs a batch: the pure work the page hands to a worker. `now` is the page's clock.
pub fn run_batch(jobs: &[Job], check: Option<(&'static str, u64)>, now: fn() -> f64) -> BatchResult {
    let t0 = now();
    let outcomes = jobs.iter().map(|j| run_job(&j.workload, &j.settings)).collect();
    let elapsed_ms = now() - t0;
    let check = check.map(|(id, seed)| match presets::run_preset(id, seed) {
        Some(Ok(r)) => Ok(r.headlines),
        Some(Err(e)) => Err(e.to_string()),
        None => Err(format!("no preset called {id}")),
    });
    BatchResult { outcomes, check, elapsed_ms }
}

/// Simulates what a real run did, from its measured mean slice length.
pub fn simulate_real(report: &RealReport, cores: u32) -> Option<Outcome> {
    let busy: f64 = report.intervals.iter().map(|i| (i.end_ms - i.start_ms).max(0.0)).sum();
    let slices = report.intervals.len();
    if slices == 0 || report.k == 0 || report.cancelled {
        return None;
    }
    // A kept interval is one hold of several slices with the lock, and a thread's whole
    // run without it: either way the busy time over the slices done is one slice's.
    let slice_ms = busy / report.total_slices().max(1) as f64;
    let ns = (slice_ms * report.slices_per_thread as f64 * 1e6).round().max(1.0) as u64;
    let tasks = (0..report.k).map(|i| Task::new(format!("worker {}", i + 1), vec![Segment::Python { ns }])).collect();
    let mut settings = Settings::new(cores.max(1));
    settings.switch_interval_ns = (report.interval_ms * 1e6).round().max(1000.0) as u64;
    if !report.use_lock {
        settings.interpreter = Interpreter::FreeThreaded { slowdown: 0.0 };
    }
    run_job(&Workload { tasks, executor: Executor::Threads }, &settings).ok()
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;

    /// Without the lock each worker records one interval for its whole run. Reading that
    /// as one slice made the simulation slices_per_thread times too long (a 479 ms run
    /// was shown beside "simulated 158,471 ms").
    #[test]
    fn a_real_run_without_the_lock_is_simulated_at_its_own_length() {
        use crate::labs::threads::real_gil::{HoldInterval, LockStats, ThreadReport};
        let thread = |i: usize, end_ms: f64| ThreadReport { thread: i, started: true, slices_done: 100, end_ms, ..Default::default() };
        let interval = |i: usize, end_ms: f64| HoldInterval { thread: i, start_ms: 0.0, end_ms };
        let mut report = RealReport {
            use_lock: false,
            k: 2,
            slices_per_thread: 100,
            interval_ms: 5.0,
            wall_ms: 479.0,
            cancelled: false,
            threads: vec![thread(0, 479.0), thread(1, 470.0)],
            intervals: vec![interval(0, 479.0), interval(1, 470.0)],
            intervals_dropped: 0,
            lock: LockStats::default(),
        };
        // Two threads of about 4.745 ms x 100 slices in parallel on two cores, each core 11%
        // slower while both are busy (the model's parallel_slowdown_ppm): about 527 ms.
        let free = simulate_real(&report, 2).expect("simulated").wall_ms;
        assert!((free - 474.5 * 1.11).abs() < 5.0, "simulated {free} ms for a 479 ms run");
        // With the lock the same intervals are holds of 50 slices each (200 in all): one
        // thread at a time, so the two runs one after the other.
        report.use_lock = true;
        let locked = simulate_real(&report, 2).expect("simulated").wall_ms;
        assert!(locked > 900.0 && locked < 1100.0, "simulated {locked} ms with the lock");
    }
}
