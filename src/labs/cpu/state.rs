//! The CPU lab's run lifecycle as a pure state machine. The page sends it actions (a
//! setting typed, Run, Sweep, Cancel, progress and the end of a run from the workers) and
//! performs the effects it returns (write the address bar, start or cancel a run). Which
//! run is the speedup's baseline, the sweep's order, what a cancel keeps and the results
//! document are all decided here, and tested natively.

use super::config::{CpuConfig, Decoded, Mode, Workers, MAX_WORKERS};
use super::model::{self, Task, TaskRecord, Workload, MAX_MAIN_THREAD_WORK};
use crate::core::lab::{absolute_link, results_document, whole_ms, DocCache, Drafts, PoolStatus, Status, RunOnOpen};
use crate::core::link::{group, quote, LinkError};
use crate::core::round_to_micros;
use crate::labs::host::pool_lab_state;
use serde::Serialize;
use std::rc::Rc;

/// Where a run's tasks execute.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Executor {
    /// rayon's pool of Web Workers.
    Workers,
    /// The page's thread in one go (the freeze demo).
    MainThread,
    /// The page's thread in slices of a few milliseconds: the fallback without workers.
    MainThreadSliced,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SweepPoint {
    pub workers: usize,
    pub wall_ms: f64,
    pub speedup: f64,
}

/// A numeric input of the form, in the order the form shows them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Input {
    Iterations,
    Task { index: usize, end: bool },
}

impl Input {
    fn not_a_number(self, typed: &str) -> String {
        match self {
            Input::Iterations => format!("iterations: \u{201c}{}\u{201d} is not a whole number", quote(typed)),
            Input::Task { index, end } => {
                format!("task {}: {} must be a whole number", index + 1, if end { "end" } else { "start" })
            }
        }
    }
}

/// Reads a whole number typed into an input. Digits too large for u64 become u64::MAX so
/// that the range check reports them instead of a parse error.
fn parse_input(raw: &str) -> Option<u64> {
    let t = raw.trim();
    if !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()) {
        Some(t.parse().unwrap_or(u64::MAX))
    } else {
        None
    }
}

/// A run the page must start: build a `model::Run` of this workload on `workers`.
#[derive(Clone, Debug, PartialEq)]
pub struct RunOrder {
    pub id: u64,
    pub workload: Workload,
    pub workers: usize,
    pub executor: Executor,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Effect {
    /// Replace the address bar's query.
    WriteQuery(String),
    Start(RunOrder),
    /// Ask run `id` to stop; the page reports its end with `Action::Finished`.
    Cancel { id: u64, executor: Executor },
}

#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    Pool(PoolStatus),
    SetMode(Mode),
    SetWorkers(String),
    SetIterations(String),
    SetTask { index: usize, end: bool, value: String },
    AddTask,
    RemoveTask(usize),
    LoadPreset(&'static str),
    DismissLinkErrors,
    Run,
    /// The run a `run=1` link asked for, once the page knows whether it has workers.
    RunFromLink,
    Sweep,
    Cancel,
    /// Tasks finished so far by run `id`, and how long it has been going.
    Progress { id: u64, records: Vec<TaskRecord>, elapsed_ms: f64 },
    /// Run `id` has stopped: all tasks done, or cancelled part-way.
    Finished { id: u64, records: Vec<TaskRecord>, wall_ms: f64 },
}

/// The run in progress.
#[derive(Clone, Debug)]
pub struct Active {
    pub id: u64,
    /// The query of the configuration being run, so the results link to this run.
    pub query: String,
    pub mode: Mode,
    pub executor: Executor,
    pub workers: usize,
    pub workload: Workload,
    pub records: Vec<TaskRecord>,
    pub elapsed_ms: f64,
    pub cancel_requested: bool,
}

/// A finished or cancelled run as shown on the page.
#[derive(Clone, Debug)]
pub struct Outcome {
    pub query: String,
    pub mode: Mode,
    pub executor: Executor,
    pub workers: usize,
    pub workload: Workload,
    pub records: Vec<TaskRecord>,
    pub wall_ms: f64,
    pub summary: model::Summary,
    pub cancelled: bool,
}

impl Outcome {
    /// Where the run's tasks ran, as the figures say it.
    pub fn ran_on(&self) -> String {
        match self.executor {
            Executor::MainThread => "the page's thread".to_string(),
            Executor::MainThreadSliced => "the page's thread (no workers available)".to_string(),
            Executor::Workers if self.mode.is_sequential() => "one worker".to_string(),
            Executor::Workers => format!("{} worker{}", self.workers, if self.workers == 1 { "" } else { "s" }),
        }
    }

    /// What the page says instead of a speedup, when the run has none.
    pub fn no_speedup_note(&self) -> Option<&'static str> {
        match (self.summary.speedup, self.mode.is_sequential()) {
            (Some(_), _) => None,
            (None, true) if !self.cancelled => Some("Sequential baseline saved: now run it on k workers for a speedup."),
            (None, _) => Some("No speedup yet: run the same tasks in one worker first, to have a baseline."),
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
struct DocKey {
    runs_started: u64,
    status: Status,
    live: usize,
    sweep: usize,
    error: Option<String>,
}

pub struct CpuState {
    pub config: CpuConfig,
    pub link_errors: Vec<LinkError>,
    pub drafts: Drafts<Input>,
    pub pool: PoolStatus,
    /// The site's root URL, for the absolute link in the results document.
    site_root: String,
    run_on_open: RunOnOpen,
    pub active: Option<Active>,
    pub last: Option<Outcome>,
    pub status: Status,
    pub error: Option<String>,
    /// Latest sequential wall time and the workload it was for.
    baseline: Option<(Workload, f64)>,
    pub sweep: Vec<SweepPoint>,
    sweep_pending: Vec<usize>,
    sweeping: bool,
    /// Counts runs started; also each run's id.
    runs_started: u64,
    /// The serialised results document and what it was made from: a finished run can hold
    /// megabytes of exact products, too much to serialise again on every keystroke.
    doc_cache: DocCache<DocKey>,
}

impl CpuState {
    pub fn new(decoded: Decoded, pool: PoolStatus, site_root: &str) -> CpuState {
        CpuState {
            config: decoded.config,
            link_errors: decoded.errors,
            drafts: Drafts::default(),
            pool,
            site_root: site_root.to_string(),
            run_on_open: RunOnOpen::new(decoded.run),
            active: None,
            last: None,
            status: Status::Idle,
            error: None,
            baseline: None,
            sweep: Vec::new(),
            sweep_pending: Vec::new(),
            sweeping: false,
            runs_started: 0,
            doc_cache: DocCache::default(),
        }
    }

    /// The effects to perform when the page opens: the address bar shows the decoded link.
    pub fn opened(&self) -> Vec<Effect> {
        vec![self.write_query()]
    }

    pub fn query(&self) -> String {
        self.config.to_query(false)
    }

    fn write_query(&self) -> Effect {
        Effect::WriteQuery(self.query())
    }

    pub fn cores(&self) -> usize {
        self.pool.threads()
    }

    pub fn is_running(&self) -> bool {
        self.active.is_some()
    }

    /// A `run=1` link is waiting for the page to know whether it has workers.
    pub fn run_pending(&self) -> bool {
        self.run_on_open.pending(&self.pool)
    }

    /// The status line: the run under way, or what the last one came to.
    pub fn status_line(&self) -> Option<String> {
        if let Some(a) = &self.active {
            let on = if a.executor == Executor::Workers && !a.mode.is_sequential() {
                format!("{} workers", a.workers)
            } else if a.executor == Executor::Workers {
                "one worker".to_string()
            } else {
                "the page's thread".to_string()
            };
            return Some(format!("Running {} tasks on {on}\u{2026}", a.workload.tasks.len()));
        }
        if let Some(e) = &self.error {
            return Some(format!("Could not run: {e}"));
        }
        let o = self.last.as_ref()?;
        if o.cancelled {
            return Some(format!("Cancelled: {} of {} tasks had finished.", o.records.len(), o.workload.tasks.len()));
        }
        let speedup = o.summary.speedup.map(|s| format!(", {s:.2}\u{d7} the speed of the latest sequential run")).unwrap_or_default();
        Some(format!("Done: {} tasks in {} ms on {}{speedup}.", o.records.len(), whole_ms(o.wall_ms), o.ran_on()))
    }

    /// The preset whose settings are on screen, for the preset bar to mark.
    pub fn preset(&self) -> Option<&'static str> {
        super::META.preset_matching(|q| CpuConfig::from_query(q).config == self.config)
    }

    /// Cancel cannot stop a run that holds the page's thread in one go.
    pub fn can_cancel(&self) -> bool {
        self.active.as_ref().is_some_and(|a| a.executor != Executor::MainThread)
    }

    /// The worker count a parallel run would use here.
    pub fn planned_workers(&self) -> usize {
        match self.config.mode {
            Mode::Parallel => self.config.workers.resolve(self.cores()),
            _ => 1,
        }
    }

    /// Every reason the current settings cannot run.
    pub fn problems(&self) -> Vec<String> {
        let mut out: Vec<String> = self.drafts.errors().cloned().collect();
        out.extend(self.config.workload.problems());
        if self.config.mode == Mode::Main && self.config.workload.total_work() > MAX_MAIN_THREAD_WORK {
            out.push(format!(
                "on the page's thread at most {} iterations in total are allowed (tasks \u{d7} \
                 iterations), or the page would freeze for many seconds; use a worker mode",
                group(MAX_MAIN_THREAD_WORK)
            ));
        }
        out
    }

    /// The text a numeric input shows.
    pub fn shown(&self, input: Input) -> String {
        self.drafts.shown(input, || match input {
            Input::Iterations => self.config.workload.iterations.to_string(),
            Input::Task { index, end } => self
                .config
                .workload
                .tasks
                .get(index)
                .map(|t| if end { t.end } else { t.start }.to_string())
                .unwrap_or_default(),
        })
    }

    fn take_typed(&mut self, input: Input, text: String) -> Option<u64> {
        self.drafts.take(input, text, |t| parse_input(t).ok_or_else(|| input.not_a_number(t)))
    }

    pub fn update(&mut self, action: Action) -> Vec<Effect> {
        match action {
            Action::Pool(p) => {
                self.pool = p;
                vec![]
            }
            Action::SetMode(m) => {
                self.config.mode = m;
                vec![self.write_query()]
            }
            Action::SetWorkers(v) => {
                self.config.workers = match v.as_str() {
                    "all" => Workers::AllCores,
                    n => Workers::Exactly(n.parse().unwrap_or(1).clamp(1, MAX_WORKERS)),
                };
                vec![self.write_query()]
            }
            Action::SetIterations(v) => match self.take_typed(Input::Iterations, v) {
                Some(n) => {
                    self.config.workload.iterations = n;
                    vec![self.write_query()]
                }
                None => vec![],
            },
            Action::SetTask { index, end, value } => {
                if index >= self.config.workload.tasks.len() {
                    return vec![];
                }
                match self.take_typed(Input::Task { index, end }, value) {
                    Some(n) => {
                        if let Some(task) = self.config.workload.tasks.get_mut(index) {
                            if end {
                                task.end = n
                            } else {
                                task.start = n
                            }
                        }
                        vec![self.write_query()]
                    }
                    None => vec![],
                }
            }
            Action::AddTask => {
                let next = self.config.workload.tasks.last().copied().unwrap_or(Task::new(2, 38));
                self.config.workload.tasks.push(next);
                vec![self.write_query()]
            }
            Action::RemoveTask(i) => {
                if i >= self.config.workload.tasks.len() {
                    return vec![];
                }
                self.config.workload.tasks.remove(i);
                // Drafts are keyed by row, and the rows below have moved up.
                self.drafts.clear();
                vec![self.write_query()]
            }
            Action::LoadPreset(id) => match super::META.preset(id) {
                Some(p) => {
                    self.config = CpuConfig::from_query(p.query).config;
                    self.drafts.clear();
                    self.link_errors.clear();
                    vec![self.write_query()]
                }
                None => vec![],
            },
            Action::DismissLinkErrors => {
                self.link_errors.clear();
                vec![]
            }
            Action::RunFromLink => {
                if !self.run_on_open.take(&self.pool) {
                    return vec![];
                }
                self.update(Action::Run)
            }
            Action::Run => {
                if self.is_running() || self.refuse_if_invalid() {
                    return vec![];
                }
                self.sweep.clear();
                self.sweep_pending.clear();
                self.sweeping = false;
                let workers = self.planned_workers();
                vec![self.start(self.config.mode, workers)]
            }
            Action::Sweep => {
                if self.is_running() || self.refuse_if_invalid() || !self.pool.is_ready() {
                    return vec![];
                }
                self.sweep.clear();
                self.sweep_pending = (2..=self.cores()).collect();
                self.sweeping = true;
                vec![self.start(Mode::Parallel, 1)]
            }
            Action::Cancel => {
                self.sweep_pending.clear();
                match &mut self.active {
                    Some(a) if a.executor != Executor::MainThread => {
                        a.cancel_requested = true;
                        vec![Effect::Cancel { id: a.id, executor: a.executor }]
                    }
                    _ => vec![],
                }
            }
            Action::Progress { id, records, elapsed_ms } => {
                if let Some(a) = self.active.as_mut().filter(|a| a.id == id) {
                    a.records = records;
                    a.elapsed_ms = elapsed_ms;
                }
                vec![]
            }
            Action::Finished { id, records, wall_ms } => self.finish(id, records, wall_ms),
        }
    }

    /// A run asked for with settings that cannot run (typed, or from a `run=1` link) ends
    /// as an error that says why, so nobody waits for a run that never starts.
    fn refuse_if_invalid(&mut self) -> bool {
        let problems = self.problems();
        if problems.is_empty() {
            return false;
        }
        self.status = Status::Error;
        self.error = Some(format!("Not run: {}.", problems.join("; ")));
        true
    }

    fn start(&mut self, mode: Mode, workers: usize) -> Effect {
        let executor = match (mode, self.pool.is_ready()) {
            (Mode::Main, _) => Executor::MainThread,
            (_, true) => Executor::Workers,
            (_, false) => Executor::MainThreadSliced,
        };
        let workers = if executor == Executor::Workers { workers.clamp(1, self.cores()) } else { 1 };
        self.runs_started += 1;
        let id = self.runs_started;
        let workload = self.config.workload.clone();
        self.active = Some(Active {
            id,
            query: self.query(),
            mode,
            executor,
            workers,
            workload: workload.clone(),
            records: Vec::new(),
            elapsed_ms: 0.0,
            cancel_requested: false,
        });
        self.status = Status::Running;
        self.error = None;
        Effect::Start(RunOrder { id, workload, workers, executor })
    }

    fn finish(&mut self, id: u64, records: Vec<TaskRecord>, wall_ms: f64) -> Vec<Effect> {
        let Some(active) = self.active.take_if(|a| a.id == id) else { return vec![] };
        let cancelled = active.cancel_requested && records.len() < active.workload.tasks.len();
        // The one-thread fallback shares the page with rendering, so its time is not a
        // fair baseline for workers.
        let sequential = active.mode.is_sequential() && active.executor != Executor::MainThreadSliced;
        if sequential && !cancelled {
            self.baseline = Some((active.workload.clone(), wall_ms));
        }
        let baseline = match &self.baseline {
            Some((w, ms)) if !active.mode.is_sequential() && *w == active.workload => Some(*ms),
            _ => None,
        };
        let summary = model::summarize(&records, wall_ms, baseline);
        self.status = if cancelled { Status::Cancelled } else { Status::Done };
        let workers = active.workers;
        self.last = Some(Outcome {
            query: active.query,
            mode: active.mode,
            executor: active.executor,
            workers,
            workload: active.workload,
            records,
            wall_ms,
            summary,
            cancelled,
        });
        if cancelled {
            self.sweep_pending.clear();
            self.sweeping = false;
            return vec![];
        }
        if !self.sweeping {
            return vec![];
        }
        // A sweep runs k = 1..=cores one after another; speedups are against its own k = 1.
        let base = self.sweep.first().map(|p| p.wall_ms).unwrap_or(wall_ms);
        let speedup = if wall_ms > 0.0 { base / wall_ms } else { 0.0 };
        self.sweep.push(SweepPoint { workers, wall_ms, speedup });
        if self.sweep_pending.is_empty() {
            self.sweeping = false;
            return vec![];
        }
        let next = self.sweep_pending.remove(0);
        vec![self.start(Mode::Parallel, next)]
    }

    /// The tasks to draw: the live ones while running, else the last run's.
    pub fn shown_records(&self) -> &[TaskRecord] {
        match (&self.active, &self.last) {
            (Some(a), _) => &a.records,
            (None, Some(o)) => &o.records,
            (None, None) => &[],
        }
    }

    /// The results document, serialised again only when what it shows has changed.
    pub fn results_doc(&self) -> Rc<str> {
        if self.active.is_none() && self.last.is_none() {
            // Nothing has run: the document follows the settings, and is small.
            return Rc::from(self.build_results_doc());
        }
        let key = DocKey {
            runs_started: self.runs_started,
            status: self.status,
            live: self.active.as_ref().map_or(0, |a| a.records.len()),
            sweep: self.sweep.len(),
            error: self.error.clone(),
        };
        self.doc_cache.get(key, || self.build_results_doc())
    }

    fn build_results_doc(&self) -> String {
        #[derive(Serialize)]
        #[serde(rename_all = "camelCase")]
        struct Body<'a> {
            mode: Mode,
            executor: Option<Executor>,
            workers: usize,
            iterations: u64,
            wall_ms: Option<f64>,
            sum_task_ms: Option<f64>,
            speedup: Option<f64>,
            main_thread_blocked_ms: Option<f64>,
            done: usize,
            total: usize,
            tasks: &'a [TaskRecord],
            sweep: &'a [SweepPoint],
            error: Option<&'a str>,
        }
        let config_query = self.query();
        let (body, query) = match (&self.active, &self.last) {
            (Some(a), _) => (
                Body {
                    mode: a.mode,
                    executor: Some(a.executor),
                    workers: a.workers,
                    iterations: a.workload.iterations,
                    wall_ms: None,
                    sum_task_ms: None,
                    speedup: None,
                    main_thread_blocked_ms: None,
                    done: a.records.len(),
                    total: a.workload.tasks.len(),
                    tasks: &a.records,
                    sweep: &self.sweep,
                    error: self.error.as_deref(),
                },
                a.query.as_str(),
            ),
            (None, Some(o)) => (
                Body {
                    mode: o.mode,
                    executor: Some(o.executor),
                    workers: o.workers,
                    iterations: o.workload.iterations,
                    wall_ms: Some(round_to_micros(o.wall_ms)),
                    sum_task_ms: Some(round_to_micros(o.summary.sum_task_ms)),
                    speedup: o.summary.speedup.map(round_to_micros),
                    main_thread_blocked_ms: (o.executor == Executor::MainThread).then_some(round_to_micros(o.wall_ms)),
                    done: o.records.len(),
                    total: o.workload.tasks.len(),
                    tasks: &o.records,
                    sweep: &self.sweep,
                    error: self.error.as_deref(),
                },
                o.query.as_str(),
            ),
            (None, None) => (
                Body {
                    mode: self.config.mode,
                    executor: None,
                    workers: self.planned_workers(),
                    iterations: self.config.workload.iterations,
                    wall_ms: None,
                    sum_task_ms: None,
                    speedup: None,
                    main_thread_blocked_ms: None,
                    done: 0,
                    total: self.config.workload.tasks.len(),
                    tasks: &[],
                    sweep: &self.sweep,
                    error: self.error.as_deref(),
                },
                config_query.as_str(),
            ),
        };
        results_document("cpu", self.status, &absolute_link(&self.site_root, "/cpu", query), &body)
    }
}

pool_lab_state!(CpuState, CpuConfig, |decoded, opening| CpuState::new(decoded, opening.pool, opening.site_root));

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;

    fn open(query: &str, pool: PoolStatus) -> CpuState {
        CpuState::new(CpuConfig::from_query(query), pool, "http://test")
    }

    fn ready(threads: usize) -> PoolStatus {
        PoolStatus::Ready { threads }
    }

    fn started(effects: &[Effect]) -> RunOrder {
        effects
            .iter()
            .find_map(|e| match e {
                Effect::Start(o) => Some(o.clone()),
                _ => None,
            })
            .unwrap_or_else(|| panic!("no Start among {effects:?}"))
    }

    /// Records for the first `n` tasks of a run, as the workers would report them.
    fn records(order: &RunOrder, n: usize) -> Vec<TaskRecord> {
        order
            .workload
            .tasks
            .iter()
            .take(n)
            .enumerate()
            .map(|(index, t)| TaskRecord {
                index,
                start: t.start,
                end: t.end,
                result: "1".into(),
                worker: index % order.workers,
                start_ms: index as f64,
                end_ms: index as f64 + 1.0,
            })
            .collect()
    }

    fn finish_all(s: &mut CpuState, order: &RunOrder, wall_ms: f64) -> Vec<Effect> {
        let n = order.workload.tasks.len();
        s.update(Action::Finished { id: order.id, records: records(order, n), wall_ms })
    }

    fn doc(s: &CpuState) -> serde_json::Value {
        serde_json::from_str(&s.results_doc()).expect("results document is JSON")
    }

    #[test]
    fn speedup_uses_only_a_sequential_run_of_the_same_tasks() {
        let mut s = open("mode=worker&tasks=2-10*4&iters=10", ready(2));
        let seq = started(&s.update(Action::Run));
        assert_eq!((seq.workers, seq.executor), (1, Executor::Workers));
        finish_all(&mut s, &seq, 100.0);
        assert_eq!(s.last.as_ref().and_then(|o| o.summary.speedup), None);

        s.update(Action::SetMode(Mode::Parallel));
        let par = started(&s.update(Action::Run));
        assert_eq!(par.workers, 2);
        finish_all(&mut s, &par, 50.0);
        assert_eq!(s.last.as_ref().and_then(|o| o.summary.speedup), Some(2.0));
        assert_eq!(doc(&s)["speedup"], 2.0);

        // Other iterations: a different workload, so the old baseline does not apply.
        s.update(Action::SetIterations("11".into()));
        let other = started(&s.update(Action::Run));
        finish_all(&mut s, &other, 50.0);
        assert_eq!(s.last.as_ref().and_then(|o| o.summary.speedup), None);
        assert_eq!(doc(&s)["speedup"], serde_json::Value::Null);
    }

    #[test]
    fn a_cancelled_or_page_thread_fallback_run_is_no_baseline() {
        // Without workers, "one worker" runs sliced on the page's thread: not a baseline.
        let mut s = open("mode=worker&tasks=2-10*2&iters=10", PoolStatus::SingleThread { reason: "no".into() });
        let seq = started(&s.update(Action::Run));
        assert_eq!(seq.executor, Executor::MainThreadSliced);
        finish_all(&mut s, &seq, 10.0);
        s.update(Action::Pool(ready(2)));
        s.update(Action::SetMode(Mode::Parallel));
        let par = started(&s.update(Action::Run));
        finish_all(&mut s, &par, 5.0);
        assert_eq!(s.last.as_ref().and_then(|o| o.summary.speedup), None);

        // A cancelled sequential run is no baseline either.
        s.update(Action::SetMode(Mode::Worker));
        let seq = started(&s.update(Action::Run));
        assert_eq!(s.update(Action::Cancel), vec![Effect::Cancel { id: seq.id, executor: Executor::Workers }]);
        s.update(Action::Finished { id: seq.id, records: records(&seq, 1), wall_ms: 3.0 });
        assert_eq!(s.status, Status::Cancelled);
        s.update(Action::SetMode(Mode::Parallel));
        let par = started(&s.update(Action::Run));
        finish_all(&mut s, &par, 5.0);
        assert_eq!(s.last.as_ref().and_then(|o| o.summary.speedup), None);
    }

    #[test]
    fn a_sweep_runs_k_from_1_to_every_core_and_stops_on_cancel() {
        let mut s = open("mode=parallel&tasks=2-10*8&iters=10", ready(4));
        let mut order = started(&s.update(Action::Sweep));
        let mut seen = vec![order.workers];
        for wall in [80.0, 40.0, 30.0] {
            order = started(&finish_all(&mut s, &order, wall));
            seen.push(order.workers);
        }
        assert_eq!(seen, [1, 2, 3, 4]);
        assert!(finish_all(&mut s, &order, 20.0).is_empty(), "the sweep ends after k = cores");
        let speedups: Vec<f64> = s.sweep.iter().map(|p| p.speedup).collect();
        assert_eq!(speedups, [1.0, 2.0, 80.0 / 30.0, 4.0]);
        assert_eq!(doc(&s)["sweep"].as_array().map(Vec::len), Some(4));

        // Cancel during k = 2: the sweep stops there, and keeps k = 1.
        let first = started(&s.update(Action::Sweep));
        let second = started(&finish_all(&mut s, &first, 80.0));
        s.update(Action::Cancel);
        let after = s.update(Action::Finished { id: second.id, records: records(&second, 3), wall_ms: 10.0 });
        assert!(after.is_empty(), "no next k after a cancel: {after:?}");
        assert_eq!(s.status, Status::Cancelled);
        assert_eq!(s.sweep.len(), 1);
        assert!(!s.is_running());
    }

    #[test]
    fn a_sweep_needs_workers() {
        let mut s = open("", PoolStatus::SingleThread { reason: "no".into() });
        assert!(s.update(Action::Sweep).is_empty());
        assert_eq!(s.status, Status::Idle);
    }

    #[test]
    fn news_of_a_run_that_is_not_current_is_ignored() {
        let mut s = open("tasks=2-10*2&iters=10", ready(2));
        let order = started(&s.update(Action::Run));
        s.update(Action::Progress { id: order.id + 7, records: records(&order, 1), elapsed_ms: 1.0 });
        assert!(s.shown_records().is_empty());
        s.update(Action::Finished { id: order.id + 7, records: vec![], wall_ms: 1.0 });
        assert!(s.is_running());
        s.update(Action::Progress { id: order.id, records: records(&order, 1), elapsed_ms: 1.0 });
        assert_eq!(s.shown_records().len(), 1);
        // Run is refused while one is running.
        assert!(s.update(Action::Run).is_empty());
    }

    #[test]
    fn invalid_settings_end_as_an_error_that_says_why() {
        let mut s = open("mode=main&iters=1000000000&run=1", ready(2));
        assert!(s.run_pending());
        assert!(s.update(Action::RunFromLink).is_empty());
        assert!(!s.run_pending());
        assert_eq!(s.status, Status::Error);
        let d = doc(&s);
        assert_eq!(d["status"], "error");
        assert!(d["error"].as_str().is_some_and(|e| e.starts_with("Not run: on the page's thread at most")), "{d}");

        s.update(Action::SetIterations("12x".into()));
        assert!(s.problems().iter().any(|p| p.contains("12x")));
        assert_eq!(s.shown(Input::Iterations), "12x");
    }

    #[test]
    fn a_run_link_waits_for_the_pool() {
        let mut s = open("tasks=2-10&run=1", PoolStatus::Starting);
        assert!(!s.run_pending());
        s.update(Action::Pool(ready(2)));
        assert!(s.run_pending());
        let order = started(&s.update(Action::RunFromLink));
        assert_eq!(order.executor, Executor::Workers);
        assert!(s.update(Action::RunFromLink).is_empty(), "runs once");
    }

    #[test]
    fn the_results_document_through_a_run_lifecycle() {
        let mut s = open("mode=parallel&k=2&tasks=2-10*3&iters=10", ready(2));
        let idle = doc(&s);
        assert_eq!(idle["lab"], "cpu");
        assert_eq!(idle["status"], "idle");
        assert_eq!(idle["executor"], serde_json::Value::Null);
        assert_eq!((idle["workers"].as_u64(), idle["total"].as_u64(), idle["done"].as_u64()), (Some(2), Some(3), Some(0)));
        assert_eq!(idle["link"], "http://test/cpu?mode=parallel&k=2&iters=10&tasks=2-10*3");

        let order = started(&s.update(Action::Run));
        s.update(Action::Progress { id: order.id, records: records(&order, 1), elapsed_ms: 2.0 });
        let running = doc(&s);
        assert_eq!(running["status"], "running");
        assert_eq!(running["executor"], "workers");
        assert_eq!(running["done"], 1);
        assert_eq!(running["wallMs"], serde_json::Value::Null);

        // Settings changed during the run: the document still links to what ran.
        s.update(Action::SetIterations("99".into()));
        finish_all(&mut s, &order, 12.3456789);
        let done = doc(&s);
        assert_eq!(done["status"], "done");
        assert_eq!(done["wallMs"], 12.346);
        assert_eq!(done["done"], 3);
        assert_eq!(done["sumTaskMs"], 3.0);
        assert_eq!(done["mainThreadBlockedMs"], serde_json::Value::Null);
        assert_eq!(done["link"], "http://test/cpu?mode=parallel&k=2&iters=10&tasks=2-10*3");

        let order = started(&s.update(Action::Run));
        s.update(Action::Cancel);
        s.update(Action::Finished { id: order.id, records: records(&order, 2), wall_ms: 4.0 });
        let cancelled = doc(&s);
        assert_eq!(cancelled["status"], "cancelled");
        assert_eq!((cancelled["done"].as_u64(), cancelled["total"].as_u64()), (Some(2), Some(3)));
        assert_eq!(cancelled["wallMs"], 4.0);

        // A cancel that comes after the last task finished changes nothing: it is done.
        let order = started(&s.update(Action::Run));
        s.update(Action::Cancel);
        finish_all(&mut s, &order, 4.0);
        assert_eq!(doc(&s)["status"], "done");
    }

    #[test]
    fn the_page_thread_run_reports_the_freeze_and_cannot_be_cancelled() {
        let mut s = open("mode=main&tasks=2-10&iters=10", ready(2));
        let order = started(&s.update(Action::Run));
        assert_eq!(order.executor, Executor::MainThread);
        assert!(!s.can_cancel());
        assert!(s.update(Action::Cancel).is_empty());
        finish_all(&mut s, &order, 7.0);
        assert_eq!(doc(&s)["mainThreadBlockedMs"], 7.0);
    }

    #[test]
    fn removing_a_row_forgets_drafts_and_bad_indices_do_nothing() {
        let mut s = open("tasks=2-10,3-11", ready(2));
        s.update(Action::SetTask { index: 1, end: true, value: "zz".into() });
        assert_eq!(s.problems().len(), 1);
        assert!(s.update(Action::SetTask { index: 9, end: true, value: "1".into() }).is_empty());
        assert!(s.update(Action::RemoveTask(9)).is_empty());
        assert_eq!(s.update(Action::RemoveTask(0)), vec![Effect::WriteQuery("mode=parallel&k=all&iters=2000000&tasks=3-11".into())]);
        assert!(s.problems().is_empty());
    }

    #[test]
    fn the_figures_say_where_a_run_ran_and_why_it_has_no_speedup() {
        let mut s = open("mode=worker&iters=10&tasks=2-38,5-50", ready(2));
        let order = started(&s.update(Action::Run));
        finish_all(&mut s, &order, 10.0);
        let o = s.last.as_ref().expect("an outcome");
        assert_eq!(o.ran_on(), "one worker");
        assert_eq!(o.no_speedup_note(), Some("Sequential baseline saved: now run it on k workers for a speedup."));
        s.update(Action::SetMode(Mode::Parallel));
        let order = started(&s.update(Action::Run));
        finish_all(&mut s, &order, 5.0);
        let o = s.last.as_ref().expect("an outcome");
        assert_eq!(o.ran_on(), "2 workers");
        assert_eq!(o.no_speedup_note(), None, "the sequential run is the baseline");
        let mut fresh = open("mode=parallel&k=1&iters=10&tasks=2-38", ready(2));
        let order = started(&fresh.update(Action::Run));
        finish_all(&mut fresh, &order, 5.0);
        let o = fresh.last.as_ref().expect("an outcome");
        assert_eq!((o.ran_on().as_str(), o.no_speedup_note().is_some()), ("1 worker", true));
    }
}
