//! The CPU-bound workload of the multiprocessing demo, and the scheduler that spreads it
//! over k workers. Pure Rust: the same code runs natively (tests, benchmark) and in Web
//! Workers, with only the clock supplied from outside.

use crate::units::round_to_micros;
use num_bigint::BigUint;
use serde::Serialize;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

pub const MODULUS: u64 = 1_000_000_007;
pub const MAX_TASKS: usize = 1_000;
pub const MAX_ITERATIONS: u64 = 1_000_000_000;
pub const MAX_VALUE: u64 = 1_000_000_000;
/// At most this many numbers in one task's range, so the exact product stays printable.
pub const MAX_SPAN: u64 = 1_000;
/// How often (in iterations) a running task looks at the cancel flag: about 0.2 ms of work.
const CANCEL_CHECK_EVERY: u64 = 1 << 16;
/// Main-thread runs freeze the page; refuse ones that would freeze it for many seconds.
pub const MAX_MAIN_THREAD_WORK: u64 = 400_000_000;

/// The classic demo's tasks, as (start, end) pairs.
pub const CLASSIC_TASKS: [(u64, u64); 20] = [
    (2, 38), (5, 50), (68, 83), (14, 57), (3, 38), (6, 50), (69, 83), (15, 57), (4, 38), (7, 50),
    (70, 83), (16, 57), (5, 38), (8, 50), (25, 83), (17, 57), (6, 38), (9, 50), (26, 83), (18, 57),
];
pub const CLASSIC_ITERATIONS: u64 = 2_000_000;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Task {
    pub start: u64,
    pub end: u64,
}

impl Task {
    pub const fn new(start: u64, end: u64) -> Task {
        Task { start, end }
    }
}

pub fn classic_tasks() -> Vec<Task> {
    CLASSIC_TASKS.iter().map(|&(s, e)| Task::new(s, e)).collect()
}

/// What the user asked to compute.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Workload {
    pub tasks: Vec<Task>,
    pub iterations: u64,
}

impl Workload {
    pub fn classic() -> Workload {
        Workload { tasks: classic_tasks(), iterations: CLASSIC_ITERATIONS }
    }

    /// Every reason this workload cannot run, in words a user can act on. Task numbers are
    /// 1-based, as in the table on the page.
    pub fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        if self.tasks.is_empty() {
            out.push("there are no tasks: add at least one".to_string());
        }
        if self.tasks.len() > MAX_TASKS {
            out.push(format!("{} tasks is more than the {} allowed", self.tasks.len(), MAX_TASKS));
        }
        if self.iterations > MAX_ITERATIONS {
            out.push(format!(
                "{} iterations is more than the {} allowed",
                crate::units::group(self.iterations),
                crate::units::group(MAX_ITERATIONS)
            ));
        }
        for (i, t) in self.tasks.iter().enumerate().take(MAX_TASKS) {
            if let Some(p) = task_problem(*t) {
                out.push(format!("task {}: {}", i + 1, p));
            }
        }
        out
    }

    /// Total inner-loop iterations, the unit of work used to bound main-thread runs.
    pub fn total_work(&self) -> u64 {
        (self.tasks.len() as u64).saturating_mul(self.iterations.max(1))
    }
}

/// Why a single task is invalid, if it is.
pub fn task_problem(t: Task) -> Option<String> {
    if t.end < t.start {
        Some(format!("end {} is below start {}", t.end, t.start))
    } else if t.end > MAX_VALUE {
        Some(format!("end {} is above the limit of {}", t.end, crate::units::group(MAX_VALUE)))
    } else if t.end - t.start >= MAX_SPAN {
        Some(format!("the range {}..={} has more than {} numbers", t.start, t.end, MAX_SPAN))
    } else {
        None
    }
}

/// The task body, with CPython's exact semantics:
///
/// ```python
/// result = math.prod(range(start, end + 1))
/// for _ in range(iterations):
///     result = (result % 1000000007) * 2
/// return result
/// ```
///
/// Returns `None` when cancelled midway.
pub fn kernel(task: Task, iterations: u64, cancelled: &AtomicBool) -> Option<String> {
    let mut state = KernelState::new(task, iterations);
    while !state.advance(CANCEL_CHECK_EVERY) {
        if cancelled.load(Ordering::Relaxed) {
            return None;
        }
    }
    Some(state.result())
}

/// One task's computation, resumable: the page's thread (when there are no workers)
/// computes it a slice at a time so that a single long task cannot freeze the page.
///
/// After one iteration the value is below 2^31, so only the product needs big integers,
/// and only when `iterations == 0` (otherwise the product is reduced modulo p as it grows,
/// which gives the same remainder).
#[derive(Clone, Debug)]
pub struct KernelState {
    value: u64,
    left: u64,
    exact_product: Option<String>,
}

impl KernelState {
    pub fn new(task: Task, iterations: u64) -> KernelState {
        if iterations == 0 {
            let product = (task.start..=task.end).fold(BigUint::from(1u32), |acc, n| acc * n);
            return KernelState { value: 0, left: 0, exact_product: Some(product.to_string()) };
        }
        let mut value: u64 = 1;
        for n in task.start..=task.end {
            value = ((value as u128 * (n % MODULUS) as u128) % MODULUS as u128) as u64;
        }
        KernelState { value, left: iterations, exact_product: None }
    }

    /// Runs up to `iterations` more inner iterations; true once the task is finished.
    pub fn advance(&mut self, iterations: u64) -> bool {
        let chunk = self.left.min(iterations);
        let mut value = self.value;
        for _ in 0..chunk {
            value = (value % MODULUS) * 2;
        }
        self.value = value;
        self.left -= chunk;
        self.left == 0
    }

    /// The task's result as CPython prints it (meaningful once `advance` returned true).
    pub fn result(&self) -> String {
        match &self.exact_product {
            Some(p) => p.clone(),
            None => self.value.to_string(),
        }
    }
}

/// A task taken from the queue and not yet finished.
pub struct TaskInProgress {
    pub index: usize,
    task: Task,
    started_at: f64,
    state: KernelState,
}

/// One finished task as the run recorded it.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TaskRecord {
    pub index: usize,
    pub start: u64,
    pub end: u64,
    pub result: String,
    pub worker: usize,
    /// Milliseconds since the run started.
    pub start_ms: f64,
    pub end_ms: f64,
}

/// State shared between the page and the workers of one run. Workers pull the next task
/// index from `next`, like a process pool's task queue.
pub struct Run {
    pub workload: Workload,
    pub workers: usize,
    /// When the run began, as f64 bits: reset when workers are spawned, so time spent
    /// before that (painting the page) is not counted.
    started_at: AtomicU64,
    now: fn() -> f64,
    next: AtomicUsize,
    cancelled: AtomicBool,
    finished_tasks: AtomicUsize,
    exited_workers: AtomicUsize,
    records: Mutex<Vec<TaskRecord>>,
    last_exit_at: Mutex<f64>,
}

impl Run {
    /// `now` is a clock in milliseconds that all threads agree on.
    pub fn new(workload: Workload, workers: usize, now: fn() -> f64) -> Arc<Run> {
        Arc::new(Run {
            workers: workers.max(1),
            started_at: AtomicU64::new(now().to_bits()),
            now,
            next: AtomicUsize::new(0),
            cancelled: AtomicBool::new(false),
            finished_tasks: AtomicUsize::new(0),
            exited_workers: AtomicUsize::new(0),
            records: Mutex::new(Vec::with_capacity(workload.tasks.len())),
            last_exit_at: Mutex::new(0.0),
            workload,
        })
    }

    /// The body of worker `id`: take tasks until none are left or the run is cancelled.
    pub fn work(&self, id: usize) {
        while self.work_one(id) {}
        self.retire();
    }

    /// Takes and computes one task. False when there was nothing (more) to do.
    pub fn work_one(&self, id: usize) -> bool {
        let Some(mut task) = self.take() else { return false };
        loop {
            if self.advance(&mut task, id, CANCEL_CHECK_EVERY) {
                return true;
            }
            if self.is_cancelled() {
                return false;
            }
        }
    }

    /// Takes the next task off the queue without computing it, unless the run is over.
    pub fn take(&self) -> Option<TaskInProgress> {
        if self.is_cancelled() {
            return None;
        }
        let index = self.next.fetch_add(1, Ordering::Relaxed);
        let &task = self.workload.tasks.get(index)?;
        let started_at = (self.now)();
        Some(TaskInProgress { index, task, started_at, state: KernelState::new(task, self.workload.iterations) })
    }

    /// Computes up to `iterations` more of a taken task; once it is finished, records it
    /// for `worker` and returns true.
    pub fn advance(&self, in_progress: &mut TaskInProgress, worker: usize, iterations: u64) -> bool {
        if !in_progress.state.advance(iterations) {
            return false;
        }
        let t1 = (self.now)();
        let record = TaskRecord {
            index: in_progress.index,
            start: in_progress.task.start,
            end: in_progress.task.end,
            result: in_progress.state.result(),
            worker,
            start_ms: round_to_micros(in_progress.started_at - self.started_at()),
            end_ms: round_to_micros(t1 - self.started_at()),
        };
        lock(&self.records).push(record);
        self.finished_tasks.fetch_add(1, Ordering::Release);
        true
    }

    /// The page's own thread as the run's one worker, when there are no workers: computes
    /// for about `budget_ms` (looking at the clock every `chunk` iterations, so a slice
    /// overshoots by little even inside one long task), keeping a task that is partway
    /// through in `in_progress`. False once nothing is left to do.
    pub fn work_for(&self, in_progress: &mut Option<TaskInProgress>, budget_ms: f64, chunk: u64) -> bool {
        let slice_start = (self.now)();
        while (self.now)() - slice_start < budget_ms {
            if in_progress.is_none() {
                *in_progress = self.take();
            }
            let Some(task) = in_progress.as_mut() else { return false };
            if self.advance(task, 0, chunk.max(1)) {
                *in_progress = None;
            }
        }
        true
    }

    /// Marks one worker as stopped; the run is over when all have.
    pub fn retire(&self) {
        let exit = (self.now)() - self.started_at();
        {
            let mut last = lock(&self.last_exit_at);
            if exit > *last {
                *last = exit;
            }
        }
        self.exited_workers.fetch_add(1, Ordering::Release);
    }

    /// Starts `workers` jobs on rayon's global pool. Each job occupies one pool thread for
    /// the whole run, so with k <= pool size exactly k tasks run at once.
    pub fn spawn_on_pool(self: &Arc<Self>) {
        self.started_at.store((self.now)().to_bits(), Ordering::Relaxed);
        for id in 0..self.workers {
            let run = Arc::clone(self);
            rayon::spawn(move || run.work(id));
        }
    }

    fn started_at(&self) -> f64 {
        f64::from_bits(self.started_at.load(Ordering::Relaxed))
    }

    pub fn cancel(&self) {
        self.cancelled.store(true, Ordering::Relaxed);
    }

    pub fn is_cancelled(&self) -> bool {
        self.cancelled.load(Ordering::Relaxed)
    }

    pub fn finished(&self) -> usize {
        self.finished_tasks.load(Ordering::Acquire)
    }

    /// True once every worker has stopped (all tasks done, or cancelled).
    pub fn is_over(&self) -> bool {
        self.exited_workers.load(Ordering::Acquire) >= self.workers
    }

    /// Snapshot of the tasks finished so far, in task order.
    pub fn records(&self) -> Vec<TaskRecord> {
        let mut records = lock(&self.records).clone();
        records.sort_by_key(|r| r.index);
        records
    }

    /// Milliseconds from the start of the run to the last worker's exit.
    pub fn wall_ms(&self) -> f64 {
        round_to_micros(*lock(&self.last_exit_at))
    }

    pub fn elapsed_ms(&self) -> f64 {
        (self.now)() - self.started_at()
    }
}


/// A poisoned lock only means another worker panicked mid-push; the data is still usable.
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Figures derived from a finished (or cancelled) run.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Summary {
    pub wall_ms: f64,
    pub sum_task_ms: f64,
    /// Sequential wall time over this run's wall time, when a sequential run is known.
    pub speedup: Option<f64>,
}

pub fn summarize(records: &[TaskRecord], wall_ms: f64, sequential_ms: Option<f64>) -> Summary {
    let sum_task_ms = records.iter().map(|r| r.end_ms - r.start_ms).sum();
    let speedup = match sequential_ms {
        Some(seq) if wall_ms > 0.0 && seq > 0.0 => Some(seq / wall_ms),
        _ => None,
    };
    Summary { wall_ms, sum_task_ms, speedup }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use std::time::Instant;

    fn never() -> AtomicBool {
        AtomicBool::new(false)
    }

    // Values printed by CPython 3.11 for the same (start, end, iterations).
    const CPYTHON_CLASSIC: [&str; 20] = [
        "1481646940", "580377468", "1601276774", "1844541556", "740823470", "1316075502",
        "1641195258", "417467256", "913607828", "1219345924", "893350662", "827831156",
        "1228401964", "1031335138", "1507810384", "1301739456", "1845680404", "378916894",
        "1580312426", "1135396446",
    ];

    #[test]
    fn classic_results_equal_cpython() {
        for (task, expected) in classic_tasks().into_iter().zip(CPYTHON_CLASSIC) {
            assert_eq!(kernel(task, CLASSIC_ITERATIONS, &never()).unwrap(), expected, "{task:?}");
        }
    }

    #[test]
    fn small_iteration_counts_equal_cpython() {
        let expected = ["1187892022", "233359746", "1591852310", "1865639156"];
        for (task, want) in classic_tasks().into_iter().zip(expected) {
            assert_eq!(kernel(task, 1000, &never()).unwrap(), want);
        }
        assert_eq!(kernel(Task::new(7, 7), 1, &never()).unwrap(), "14");
        assert_eq!(kernel(Task::new(0, 5), 3, &never()).unwrap(), "0");
    }

    #[test]
    fn zero_iterations_return_the_exact_product() {
        assert_eq!(
            kernel(Task::new(2, 38), 0, &never()).unwrap(),
            "523022617466601111760007224100074291200000000"
        );
        assert_eq!(kernel(Task::new(1, 1), 0, &never()).unwrap(), "1");
    }

    #[test]
    fn cancelled_kernel_stops() {
        let flag = AtomicBool::new(true);
        assert_eq!(kernel(Task::new(2, 38), CANCEL_CHECK_EVERY * 4, &flag), None);
        // A task shorter than one check still completes.
        assert!(kernel(Task::new(2, 38), 10, &flag).is_some());
    }

    #[test]
    fn the_page_thread_works_in_slices_until_done_and_keeps_a_task_across_slices() {
        use std::sync::atomic::{AtomicU64, Ordering};
        // A clock that moves 1 ms each time it is read: every slice of 3 ms ends after a
        // few chunks, whatever the machine's speed.
        static CLOCK: AtomicU64 = AtomicU64::new(0);
        fn tick() -> f64 {
            CLOCK.fetch_add(1, Ordering::Relaxed) as f64
        }
        let workload = Workload { tasks: classic_tasks()[..3].to_vec(), iterations: 10_000 };
        let run = Run::new(workload, 1, tick);
        let mut in_progress = None;
        let mut slices = 0;
        while run.work_for(&mut in_progress, 3.0, 1_000) {
            slices += 1;
            assert!(slices < 1_000, "never ends");
        }
        assert!(slices > 3, "a task spans slices ({slices})");
        let expected: Vec<String> = classic_tasks()[..3].iter().map(|&t| kernel(t, 10_000, &never()).unwrap()).collect();
        let got: Vec<String> = run.records().into_iter().map(|r| r.result).collect();
        assert_eq!(got, expected);
        // Cancelled: nothing more is taken.
        let run = Run::new(Workload { tasks: classic_tasks(), iterations: 10 }, 1, tick);
        run.cancel();
        assert!(!run.work_for(&mut None, 3.0, 1_000));
        assert!(run.records().is_empty());
    }

    #[test]
    fn slices_of_any_size_give_the_same_result() {
        for (task, iterations) in [(Task::new(2, 38), 1_000_000), (Task::new(5, 50), 7), (Task::new(2, 38), 0)] {
            let whole = kernel(task, iterations, &never()).unwrap();
            for slice in [1, 3, 1000, 65_536, u64::MAX] {
                let mut state = KernelState::new(task, iterations);
                let mut calls = 0u64;
                while !state.advance(slice) {
                    calls += 1;
                }
                assert_eq!(state.result(), whole, "{task:?} x{iterations} in slices of {slice}");
                assert_eq!(calls, iterations.div_ceil(slice).saturating_sub(1), "slices of {slice}");
            }
        }
    }

    #[test]
    fn a_run_computed_in_slices_records_every_task() {
        let run = Run::new(Workload { tasks: classic_tasks(), iterations: 5_000 }, 1, native_clock);
        let mut current = None;
        let mut slices = 0;
        loop {
            if current.is_none() {
                current = run.take();
            }
            let Some(task) = current.as_mut() else { break };
            slices += 1;
            if run.advance(task, 0, 1_000) {
                current = None;
            }
        }
        run.retire();
        assert!(run.is_over());
        assert_eq!(slices, 20 * 5);
        let expected: Vec<String> = classic_tasks().into_iter().map(|t| kernel(t, 5_000, &never()).unwrap()).collect();
        assert_eq!(run.records().into_iter().map(|r| r.result).collect::<Vec<_>>(), expected);
    }

    #[test]
    fn problems_are_named_per_task() {
        let w = Workload { tasks: vec![Task::new(2, 38), Task::new(5, 1)], iterations: 5 };
        assert_eq!(w.problems(), vec!["task 2: end 1 is below start 5".to_string()]);
        let w = Workload { tasks: vec![], iterations: MAX_ITERATIONS + 1 };
        assert_eq!(w.problems().len(), 2);
        let w = Workload { tasks: vec![Task::new(1, 1); MAX_TASKS + 1], iterations: 1 };
        assert_eq!(w.problems().len(), 1);
        let w = Workload { tasks: vec![Task::new(1, MAX_SPAN + 1), Task::new(1, MAX_VALUE + 1)], iterations: 1 };
        assert_eq!(w.problems().len(), 2);
        assert!(Workload::classic().problems().is_empty());
    }

    fn native_clock() -> f64 {
        use std::sync::OnceLock;
        static START: OnceLock<Instant> = OnceLock::new();
        START.get_or_init(Instant::now).elapsed().as_secs_f64() * 1000.0
    }

    fn run_to_end(workers: usize, iterations: u64) -> Arc<Run> {
        let run = Run::new(Workload { tasks: classic_tasks(), iterations }, workers, native_clock);
        run.spawn_on_pool();
        while !run.is_over() {
            std::thread::yield_now();
        }
        run
    }

    #[test]
    fn parallel_results_equal_sequential_ones() {
        let seq = run_to_end(1, 20_000);
        let par = run_to_end(2, 20_000);
        let results = |r: &Run| r.records().into_iter().map(|r| r.result).collect::<Vec<_>>();
        assert_eq!(results(&seq).len(), 20);
        assert_eq!(results(&seq), results(&par));
        assert!(seq.records().iter().all(|r| r.worker == 0));
        assert!(par.records().iter().all(|r| r.worker < 2 && r.start_ms <= r.end_ms));
        assert!(par.wall_ms() >= par.records().iter().map(|r| r.end_ms).fold(0.0, f64::max));
    }

    #[test]
    fn cancel_keeps_finished_tasks() {
        let tasks = vec![Task::new(2, 38); 50];
        let run = Run::new(Workload { tasks, iterations: 2_000_000 }, 2, native_clock);
        run.spawn_on_pool();
        while run.finished() < 2 {
            std::thread::yield_now();
        }
        run.cancel();
        while !run.is_over() {
            std::thread::yield_now();
        }
        let records = run.records();
        assert!(records.len() >= 2 && records.len() < 50, "{}", records.len());
        assert!(records.iter().all(|r| r.result == "1481646940"));
    }

    #[test]
    fn summary_speedup() {
        let rec = |s, e| TaskRecord { index: 0, start: 1, end: 1, result: "1".into(), worker: 0, start_ms: s, end_ms: e };
        let s = summarize(&[rec(0.0, 10.0), rec(0.0, 10.0)], 10.0, Some(20.0));
        assert_eq!(s.sum_task_ms, 20.0);
        assert_eq!(s.speedup, Some(2.0));
        assert_eq!(summarize(&[], 0.0, Some(5.0)).speedup, None);
    }
}
