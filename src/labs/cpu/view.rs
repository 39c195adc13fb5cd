//! The CPU lab's page. State lives here; everything it computes comes from `model`,
//! `config` and `core::chart`, and everything it asks of the browser goes through `glue`.

use super::config::{CpuConfig, Mode, Workers, MAX_WORKERS};
use super::model::{self, Run, Task, TaskRecord, Workload, MAX_MAIN_THREAD_WORK};
use crate::app::widgets::{field_text, results_json, subscribe_pool, Heartbeat, LinkErrors, PresetBar, ShareBar};
use crate::core::round_to_micros;
use crate::core::chart::{self, TimelineLayout};
use crate::core::link::{group, LinkError};
use crate::glue::{self, PoolStatus};
use gloo_timers::callback::{Interval, Timeout};
use serde::Serialize;
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;
use std::sync::Arc;
use yew::prelude::*;

/// How often the page looks at the workers' progress. Each look redraws the lab, and on
/// a 2-core machine every millisecond the page spends is taken from a worker.
const TICK_MS: u32 = 100;

/// How long a worker run waits before starting, so the page paints "running" first: on 2
/// cores, a page that renders while both workers compute takes a core from one of them.
const PAINT_GRACE_MS: u32 = 40;

/// How long the one-thread fallback computes before letting the page breathe.
const FALLBACK_SLICE_MS: f64 = 8.0;
/// Inner iterations between two looks at the clock in the fallback: about 0.2 ms of work,
/// so a slice overshoots its 8 ms by little even inside one long task.
const FALLBACK_CHUNK: u64 = 1 << 16;

pub fn render() -> Html {
    html! { <CpuLab /> }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Idle,
    Running,
    Done,
    Cancelled,
    Error,
}

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

/// The document shown in `results-json` and exported.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ResultsDoc<'a> {
    lab: &'static str,
    status: Status,
    mode: Mode,
    executor: Option<Executor>,
    workers: usize,
    iterations: u64,
    link: String,
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

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SweepPoint {
    pub workers: usize,
    pub wall_ms: f64,
    pub speedup: f64,
}

/// A finished or cancelled run as shown on the page.
struct Outcome {
    /// The query of the configuration that was run, so the results document links to
    /// the run it describes even after the settings change.
    query: String,
    mode: Mode,
    executor: Executor,
    workers: usize,
    workload: Workload,
    records: Vec<TaskRecord>,
    wall_ms: f64,
    summary: model::Summary,
    cancelled: bool,
}

struct Active {
    run: Arc<Run>,
    query: String,
    mode: Mode,
    executor: Executor,
    /// The fallback's task that is partway through (unused with workers).
    in_progress: Option<model::TaskInProgress>,
    _ticker: Option<Interval>,
    _timeout: Option<Timeout>,
}

pub enum Msg {
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
    RunMainThreadNow,
    StartWorkers,
    FallbackStep,
    Tick,
    Cancel,
    Sweep,
}

pub struct CpuLab {
    config: CpuConfig,
    link_errors: Vec<LinkError>,
    /// Inputs that do not hold a number at all, by input.
    field_errors: BTreeMap<Input, String>,
    /// What the user has typed into each numeric input. The inputs show
    /// this rather than the config, so a redraw never undoes typing in progress.
    drafts: BTreeMap<Input, String>,
    pool: PoolStatus,
    _pool_listener: Option<ContextHandle<PoolStatus>>,
    run_on_open: bool,
    active: Option<Active>,
    live_records: Vec<TaskRecord>,
    last: Option<Outcome>,
    status: Status,
    error: Option<String>,
    /// Latest sequential wall time and the workload it was for.
    baseline: Option<(Workload, f64)>,
    sweep: Vec<SweepPoint>,
    sweep_pending: Vec<usize>,
    sweeping: bool,
    /// Counts runs started; with the status and counts it identifies the results document.
    runs_started: u64,
    /// The serialised results document and what it was made from: a finished run can hold
    /// megabytes of exact products, too much to serialise again on every keystroke.
    doc_cache: RefCell<Option<(DocKey, Rc<str>)>>,
}

/// A numeric input of the form; ordered as the form shows them, so errors list that way.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Input {
    Iterations,
    Task { index: usize, end: bool },
}

impl Input {
    fn not_a_number(self, typed: &str) -> String {
        match self {
            Input::Iterations => format!("iterations: \u{201c}{}\u{201d} is not a whole number", crate::core::link::quote(typed)),
            Input::Task { index, end } => {
                format!("task {}: {} must be a whole number", index + 1, if end { "end" } else { "start" })
            }
        }
    }
}

#[derive(Clone, PartialEq)]
struct DocKey {
    runs_started: u64,
    status: Status,
    live: usize,
    sweep: usize,
    error: Option<String>,
}

impl CpuLab {
    fn cores(&self) -> usize {
        self.pool.threads()
    }

    fn problems(&self) -> Vec<String> {
        let mut out: Vec<String> = self.field_errors.values().cloned().collect();
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

    fn sync_url(&self) {
        glue::replace_query(&self.config.to_query(false));
    }

    /// Keeps what was typed into `input` and returns it as a number, or records why it
    /// is not one.
    fn take_typed(&mut self, input: Input, text: String) -> Option<u64> {
        let number = parse_input(&text);
        match number {
            Some(_) => self.field_errors.remove(&input),
            None => self.field_errors.insert(input, input.not_a_number(&text)),
        };
        self.drafts.insert(input, text);
        number
    }

    /// The text an input shows: the user's draft if any, else the configured value.
    fn shown(&self, input: Input, value: u64) -> String {
        self.drafts.get(&input).cloned().unwrap_or_else(|| value.to_string())
    }

    /// Forgets drafts and their errors when the config is replaced under them.
    fn reset_inputs(&mut self) {
        self.drafts.clear();
        self.field_errors.clear();
    }

    fn is_running(&self) -> bool {
        self.active.is_some()
    }

    fn start(&mut self, ctx: &Context<Self>, mode: Mode, workers: usize) {
        let workload = self.config.workload.clone();
        let executor = match (mode, self.pool.is_ready()) {
            (Mode::Main, _) => Executor::MainThread,
            (_, true) => Executor::Workers,
            (_, false) => Executor::MainThreadSliced,
        };
        let workers = if executor == Executor::Workers { workers.clamp(1, self.cores()) } else { 1 };
        let run = Run::new(workload, workers, glue::now_ms);
        let link = ctx.link().clone();
        let (ticker, timeout) = match executor {
            Executor::Workers => (None, Some(Timeout::new(PAINT_GRACE_MS, move || link.send_message(Msg::StartWorkers)))),
            // Give the browser time to paint "running" before the thread is taken.
            Executor::MainThread => (None, Some(Timeout::new(60, move || link.send_message(Msg::RunMainThreadNow)))),
            Executor::MainThreadSliced => (None, Some(Timeout::new(0, move || link.send_message(Msg::FallbackStep)))),
        };
        let query = self.config.to_query(false);
        self.active = Some(Active { run, query, mode, executor, in_progress: None, _ticker: ticker, _timeout: timeout });
        self.runs_started += 1;
        self.live_records.clear();
        self.status = Status::Running;
        self.error = None;
    }

    fn finish(&mut self, ctx: &Context<Self>) {
        let Some(active) = self.active.take() else { return };
        let run = active.run;
        let records = run.records();
        let wall_ms = run.wall_ms();
        let cancelled = run.is_cancelled() && records.len() < run.workload.tasks.len();
        let sequential = active.mode.is_sequential() && active.executor != Executor::MainThreadSliced;
        if sequential && !cancelled {
            self.baseline = Some((run.workload.clone(), wall_ms));
        }
        let baseline = match &self.baseline {
            Some((w, ms)) if !active.mode.is_sequential() && *w == run.workload => Some(*ms),
            _ => None,
        };
        let summary = model::summarize(&records, wall_ms, baseline);
        self.status = if cancelled { Status::Cancelled } else { Status::Done };
        self.live_records.clear();
        self.last = Some(Outcome {
            query: active.query,
            mode: active.mode,
            executor: active.executor,
            workers: run.workers,
            workload: run.workload.clone(),
            records,
            wall_ms,
            summary,
            cancelled,
        });
        if cancelled {
            self.sweep_pending.clear();
            self.sweeping = false;
            return;
        }
        // A sweep runs k = 1..=cores one after another; speedups are against its own k = 1.
        if self.sweeping {
            let k = run.workers;
            let base = self.sweep.first().map(|p| p.wall_ms).unwrap_or(wall_ms);
            self.sweep.push(SweepPoint { workers: k, wall_ms, speedup: if wall_ms > 0.0 { base / wall_ms } else { 0.0 } });
            if let Some(next) = self.sweep_pending.first().copied() {
                self.sweep_pending.remove(0);
                self.start(ctx, Mode::Parallel, next);
            } else {
                self.sweeping = false;
            }
        }
    }

    /// The results document, serialised again only when what it shows has changed.
    fn results_doc(&self) -> Rc<str> {
        if self.active.is_none() && self.last.is_none() {
            // Nothing has run: the document follows the settings, and is small.
            return Rc::from(self.build_results_doc());
        }
        let key = DocKey {
            runs_started: self.runs_started,
            status: self.status,
            live: self.live_records.len(),
            sweep: self.sweep.len(),
            error: self.error.clone(),
        };
        let mut cache = self.doc_cache.borrow_mut();
        if let Some((cached_key, doc)) = cache.as_ref() {
            if *cached_key == key {
                return Rc::clone(doc);
            }
        }
        let doc: Rc<str> = Rc::from(self.build_results_doc());
        *cache = Some((key, Rc::clone(&doc)));
        doc
    }

    fn build_results_doc(&self) -> String {
        let (records, wall, sum, speedup, blocked, workers, executor, mode, iterations): (
            &[TaskRecord], Option<f64>, Option<f64>, Option<f64>, Option<f64>, usize, Option<Executor>, Mode, u64,
        ) = match (&self.active, &self.last) {
            (Some(a), _) => (&self.live_records, None, None, None, None, a.run.workers, Some(a.executor), a.mode, a.run.workload.iterations),
            (None, Some(o)) => (
                &o.records,
                Some(round_to_micros(o.wall_ms)),
                Some(round_to_micros(o.summary.sum_task_ms)),
                o.summary.speedup.map(round_to_micros),
                (o.executor == Executor::MainThread).then_some(round_to_micros(o.wall_ms)),
                o.workers,
                Some(o.executor),
                o.mode,
                o.workload.iterations,
            ),
            (None, None) => {
                let workers = match self.config.mode {
                    Mode::Parallel => self.config.workers.resolve(self.cores()),
                    _ => 1,
                };
                (&[], None, None, None, None, workers, None, self.config.mode, self.config.workload.iterations)
            }
        };
        let total = match (&self.active, &self.last) {
            (Some(a), _) => a.run.workload.tasks.len(),
            (None, Some(o)) => o.workload.tasks.len(),
            _ => self.config.workload.tasks.len(),
        };
        let config_query = self.config.to_query(false);
        let doc = ResultsDoc {
            lab: "cpu",
            status: self.status,
            mode,
            executor,
            workers,
            iterations,
            link: glue::absolute_link(
                "/cpu",
                match (&self.active, &self.last) {
                    (Some(a), _) => &a.query,
                    (None, Some(o)) => &o.query,
                    (None, None) => &config_query,
                },
            ),
            wall_ms: wall,
            sum_task_ms: sum,
            speedup,
            main_thread_blocked_ms: blocked,
            done: records.len(),
            total,
            tasks: records,
            sweep: &self.sweep,
            error: self.error.as_deref(),
        };
        serde_json::to_string_pretty(&doc).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
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

impl Component for CpuLab {
    type Message = Msg;
    type Properties = ();

    fn create(ctx: &Context<Self>) -> Self {
        let decoded = CpuConfig::from_query(&glue::current_query());
        let (pool, listener) = subscribe_pool(ctx, Msg::Pool);
        let lab = CpuLab {
            config: decoded.config,
            link_errors: decoded.errors,
            field_errors: BTreeMap::new(),
            drafts: BTreeMap::new(),
            pool,
            _pool_listener: listener,
            run_on_open: decoded.run,
            active: None,
            live_records: Vec::new(),
            last: None,
            status: Status::Idle,
            error: None,
            baseline: None,
            sweep: Vec::new(),
            sweep_pending: Vec::new(),
            sweeping: false,
            runs_started: 0,
            doc_cache: RefCell::new(None),
        };
        lab.sync_url();
        lab
    }

    fn rendered(&mut self, ctx: &Context<Self>, _first: bool) {
        // `run=1` waits until we know whether workers exist.
        if self.run_on_open && self.pool != PoolStatus::Starting {
            self.run_on_open = false;
            ctx.link().send_message(Msg::Run);
        }
    }

    fn update(&mut self, ctx: &Context<Self>, msg: Msg) -> bool {
        match msg {
            Msg::Pool(p) => self.pool = p,
            Msg::SetMode(m) => {
                self.config.mode = m;
                self.sync_url();
            }
            Msg::SetWorkers(v) => {
                self.config.workers = match v.as_str() {
                    "all" => Workers::AllCores,
                    n => Workers::Exactly(n.parse().unwrap_or(1).clamp(1, MAX_WORKERS)),
                };
                self.sync_url();
            }
            Msg::SetIterations(v) => {
                if let Some(n) = self.take_typed(Input::Iterations, v) {
                    self.config.workload.iterations = n;
                    self.sync_url();
                }
            }
            Msg::SetTask { index, end, value } => {
                if index >= self.config.workload.tasks.len() {
                    return false;
                }
                if let Some(n) = self.take_typed(Input::Task { index, end }, value) {
                    let task = &mut self.config.workload.tasks[index];
                    if end { task.end = n } else { task.start = n }
                    self.sync_url();
                }
            }
            Msg::AddTask => {
                let next = self.config.workload.tasks.last().copied().unwrap_or(Task::new(2, 38));
                self.config.workload.tasks.push(next);
                self.sync_url();
            }
            Msg::RemoveTask(i) => {
                if i < self.config.workload.tasks.len() {
                    self.config.workload.tasks.remove(i);
                    self.reset_inputs();
                    self.sync_url();
                }
            }
            Msg::LoadPreset(id) => {
                if let Some(p) = super::META.preset(id) {
                    self.config = CpuConfig::from_query(p.query).config;
                    self.reset_inputs();
                    self.link_errors.clear();
                    self.sync_url();
                }
            }
            Msg::DismissLinkErrors => self.link_errors.clear(),
            Msg::Run => {
                if self.is_running() || self.refuse_if_invalid() {
                    return true;
                }
                self.sweep.clear();
                self.sweep_pending.clear();
                let workers = match self.config.mode {
                    Mode::Parallel => self.config.workers.resolve(self.cores()),
                    _ => 1,
                };
                self.start(ctx, self.config.mode, workers);
            }
            Msg::Sweep => {
                if self.is_running() || self.refuse_if_invalid() {
                    return true;
                }
                self.sweep.clear();
                self.sweep_pending = (2..=self.cores()).collect();
                self.sweeping = true;
                self.start(ctx, Mode::Parallel, 1);
            }
            Msg::RunMainThreadNow => {
                if let Some(a) = &self.active {
                    // Deliberately blocks the page: this is the demonstration.
                    a.run.work(0);
                }
                self.finish(ctx);
            }
            Msg::StartWorkers => {
                let Some(a) = &mut self.active else { return false };
                // Spawned even if cancelled meanwhile: the workers then stop at once, and
                // the run ends the usual way.
                a.run.spawn_on_pool();
                let link = ctx.link().clone();
                a._ticker = Some(Interval::new(TICK_MS, move || link.send_message(Msg::Tick)));
                return false;
            }
            Msg::FallbackStep => {
                let Some(a) = &mut self.active else { return false };
                // Work for a frame's worth of time, then yield so the page can paint and
                // take clicks (Cancel) before the next slice. A task may span many slices.
                let slice_start = glue::now_ms();
                let mut more = true;
                while glue::now_ms() - slice_start < FALLBACK_SLICE_MS {
                    if a.in_progress.is_none() {
                        a.in_progress = a.run.take();
                    }
                    let Some(task) = a.in_progress.as_mut() else {
                        more = false;
                        break;
                    };
                    if a.run.advance(task, 0, FALLBACK_CHUNK) {
                        a.in_progress = None;
                    }
                }
                let finished = a.run.finished();
                if finished != self.live_records.len() {
                    self.live_records = a.run.records();
                }
                let Some(a) = &self.active else { return false };
                if !more {
                    a.run.retire();
                }
                if more {
                    let link = ctx.link().clone();
                    if let Some(a) = &mut self.active {
                        a._timeout = Some(Timeout::new(0, move || link.send_message(Msg::FallbackStep)));
                    }
                } else {
                    self.finish(ctx);
                }
            }
            Msg::Tick => {
                let Some(a) = &self.active else { return false };
                if a.run.is_over() {
                    self.finish(ctx);
                } else if a.run.finished() != self.live_records.len() {
                    self.live_records = a.run.records();
                } else {
                    return false;
                }
            }
            Msg::Cancel => {
                self.sweep_pending.clear();
                if let Some(a) = &self.active {
                    a.run.cancel();
                    if a.executor == Executor::MainThreadSliced {
                        a.run.retire();
                        self.finish(ctx);
                    }
                }
            }
        }
        true
    }

    fn view(&self, ctx: &Context<Self>) -> Html {
        let link = ctx.link();
        let problems = self.problems();
        let running = self.is_running();
        let doc: AttrValue = self.results_doc().into();
        html! {
            <div class="lab cpu-lab">
                <section class="lab-intro">
                    <h1>{ "CPU lab: " }<span class="muted">{ "multiprocessing" }</span></h1>
                    <p>{ "CPU-bound Python code gets no faster with threads, because the GIL lets one thread \
                          compute at a time. A process pool gives every core its own interpreter. Here the \
                          same tasks run on the page's own thread, in one Web Worker, or spread over k workers." }</p>
                    <p class="analogue"><strong>{ "Unlike Python: " }</strong>
                        { "these Web Workers share the page's WebAssembly memory, so nothing is pickled or \
                           copied; Python's processes copy every argument and result between them." }</p>
                </section>
                <LinkErrors errors={self.link_errors.clone()} on_dismiss={link.callback(|_| Msg::DismissLinkErrors)} />
                <PresetBar lab="cpu" selected={super::META.preset_matching(|q| CpuConfig::from_query(q).config == self.config)} disabled={running} on_pick={link.callback(Msg::LoadPreset)} />
                <div class="lab-grid">
                    { self.view_controls(ctx, &problems, running, &doc) }
                    { self.view_results(doc) }
                </div>
            </div>
        }
    }
}

impl CpuLab {
    fn view_controls(&self, ctx: &Context<Self>, problems: &[String], running: bool, doc: &AttrValue) -> Html {
        let link = ctx.link();
        let cores = self.cores();
        let mode_radio = |mode: Mode, label: &'static str, hint: &'static str| {
            html! {
                <label class={classes!("mode", (self.config.mode == mode).then_some("selected"))}>
                    <input type="radio" name="cpu-mode" data-testid={format!("cpu-mode-{}", mode.key())}
                        checked={self.config.mode == mode} disabled={running}
                        onchange={link.callback(move |_| Msg::SetMode(mode))} />
                    <span><strong>{ label }</strong><span class="small muted">{ hint }</span></span>
                </label>
            }
        };
        let workers_value = match self.config.workers {
            Workers::AllCores => "all".to_string(),
            Workers::Exactly(n) => n.to_string(),
        };
        let tasks = &self.config.workload.tasks;
        html! {
            <section class="card controls" aria-label="Experiment">
                <h2>{ "Experiment" }</h2>
                <fieldset class="modes" disabled={running}>
                    <legend>{ "Where the tasks run" }</legend>
                    { mode_radio(Mode::Main, "Page thread", "Sequential; the page freezes until done") }
                    { mode_radio(Mode::Worker, "One worker", "Sequential, off the page's thread") }
                    { mode_radio(Mode::Parallel, "k workers", "Like ProcessPoolExecutor(k)") }
                </fieldset>
                <div class="field-row">
                    <label>{ "Workers (k)" }
                        <select data-testid="cpu-workers" disabled={running || self.config.mode != Mode::Parallel}
                            onchange={link.callback(move |e: Event| Msg::SetWorkers(field_text(&e)))}>
                            <option value="all" selected={workers_value == "all"}>{ format!("all cores ({cores})") }</option>
                            { for (1..=cores.max(match self.config.workers { Workers::Exactly(n) => n, _ => 1 })).map(|k| html! {
                                <option value={k.to_string()} selected={workers_value == k.to_string()}>{ k }</option>
                            }) }
                        </select>
                    </label>
                    <label>{ "Iterations per task" }
                        <input type="text" inputmode="numeric" autocomplete="off" class="num-input"
                            data-testid="cpu-iterations" disabled={running}
                            value={self.shown(Input::Iterations, self.config.workload.iterations)}
                            oninput={link.callback(move |e: InputEvent| Msg::SetIterations(field_text(&e)))} />
                    </label>
                </div>
                { match self.config.workers {
                    Workers::Exactly(n) if n > cores && self.config.mode == Mode::Parallel => html! {
                        <p class="notice small">{ format!("This machine has {cores} worker thread(s); the run will use {cores}.") }</p>
                    },
                    _ => html! {},
                } }
                <details class="tasks" open={tasks.len() <= 24}>
                    <summary>{ format!("Tasks ({}): each computes the product of start..=end, then reduces it", tasks.len()) }</summary>
                    <p class="small muted"><code>{ "for _ in range(iterations): result = (result % 1000000007) * 2" }</code></p>
                    <div class="task-table-wrap">
                    <table class="task-table">
                        <thead><tr><th>{ "#" }</th><th>{ "start" }</th><th>{ "end" }</th><th></th></tr></thead>
                        <tbody>
                        { for tasks.iter().enumerate().take(200).map(|(i, t)| html! {
                            <tr>
                                <td>{ i + 1 }</td>
                                <td><input type="text" inputmode="numeric" autocomplete="off" class="num-input"
                                    data-testid={format!("cpu-task-start-{i}")} disabled={running}
                                    aria-label={format!("task {} start", i + 1)} value={self.shown(Input::Task { index: i, end: false }, t.start)}
                                    oninput={link.callback(move |e: InputEvent| Msg::SetTask { index: i, end: false, value: field_text(&e) })} /></td>
                                <td><input type="text" inputmode="numeric" autocomplete="off" class="num-input"
                                    data-testid={format!("cpu-task-end-{i}")} disabled={running}
                                    aria-label={format!("task {} end", i + 1)} value={self.shown(Input::Task { index: i, end: true }, t.end)}
                                    oninput={link.callback(move |e: InputEvent| Msg::SetTask { index: i, end: true, value: field_text(&e) })} /></td>
                                <td><button class="icon" data-testid={format!("cpu-task-remove-{i}")} disabled={running}
                                    aria-label={format!("remove task {}", i + 1)}
                                    onclick={link.callback(move |_| Msg::RemoveTask(i))}>{ "\u{2715}" }</button></td>
                            </tr>
                        }) }
                        </tbody>
                    </table>
                    </div>
                    { if tasks.len() > 200 { html! { <p class="small muted">{ format!("{} more tasks are not shown; they are in the link.", tasks.len() - 200) }</p> } } else { html! {} } }
                    <button data-testid="cpu-task-add" disabled={running || tasks.len() >= model::MAX_TASKS}
                        onclick={link.callback(|_| Msg::AddTask)}>{ "Add task" }</button>
                </details>
                { if problems.is_empty() { html! {} } else { html! {
                    <div class="notice error" data-testid="validation-errors" role="alert">
                        <strong>{ "Fix these to run:" }</strong>
                        <ul>{ for problems.iter().map(|p| html! { <li>{ p }</li> }) }</ul>
                    </div>
                } } }
                <div class="actions">
                    <button class="primary" data-testid="run" disabled={running || !problems.is_empty()}
                        onclick={link.callback(|_| Msg::Run)}>{ "Run" }</button>
                    <button data-testid="sweep" disabled={running || !problems.is_empty() || !self.pool.is_ready()}
                        title="Run with k = 1, 2, … up to every core and plot the speedup"
                        onclick={link.callback(|_| Msg::Sweep)}>{ format!("Sweep k = 1..{cores}") }</button>
                    <button data-testid="cancel" disabled={!running || self.active.as_ref().is_some_and(|a| a.executor == Executor::MainThread)}
                        onclick={link.callback(|_| Msg::Cancel)}>{ "Cancel" }</button>
                    <Heartbeat />
                </div>
                <ShareBar path="/cpu" query={self.config.to_query(false)} document={doc.clone()} export_name="cpu-lab-results.json" />
            </section>
        }
    }

    fn view_results(&self, doc: AttrValue) -> Html {
        let (records, workers, total, wall): (&[TaskRecord], usize, usize, Option<f64>) = match (&self.active, &self.last) {
            (Some(a), _) => (&self.live_records, a.run.workers, a.run.workload.tasks.len(), None),
            (None, Some(o)) => (&o.records, o.workers, o.workload.tasks.len(), Some(o.wall_ms)),
            _ => (&[], 0, 0, None),
        };
        html! {
            <section class="card results" aria-label="Results" aria-live="polite">
                <h2>{ "Results" }</h2>
                { match &self.active {
                    Some(a) => html! {
                        <div class="progress-row">
                            <progress data-testid="progress" max={total.to_string()} value={records.len().to_string()}></progress>
                            <span>{ format!("{} / {} tasks", records.len(), total) }</span>
                            { if a.executor == Executor::MainThread { html! { <span class="warn small">{ "Running on the page's thread: the page is frozen until it ends." }</span> } } else { html! {} } }
                            { if a.run.is_cancelled() { html! { <span class="small muted">{ "cancelling\u{2026}" }</span> } } else { html! {} } }
                        </div>
                    },
                    None => html! {},
                } }
                { match &self.error {
                    Some(e) => html! { <p class="notice error" data-testid="run-error" role="alert">{ e }</p> },
                    None => html! {},
                } }
                { self.view_figures() }
                { if workers > 0 { self.view_timeline(records, workers, wall) } else { html! {
                    <p class="muted">{ "Run the experiment to see each worker's tasks on a timeline." }</p>
                } } }
                { self.view_sweep() }
                { if records.is_empty() { html! {} } else { view_table(records) } }
                { results_json(doc) }
            </section>
        }
    }

    fn view_figures(&self) -> Html {
        let Some(o) = self.last.as_ref().filter(|_| self.active.is_none()) else { return html! {} };
        let where_ = match o.executor {
            Executor::MainThread => "the page's thread".to_string(),
            Executor::MainThreadSliced => "the page's thread (no workers available)".to_string(),
            Executor::Workers if o.mode.is_sequential() => "one worker".to_string(),
            Executor::Workers => format!("{} worker{}", o.workers, if o.workers == 1 { "" } else { "s" }),
        };
        let speedup = match (o.summary.speedup, o.mode.is_sequential()) {
            (Some(s), _) => html! { <><strong data-testid="speedup">{ format!("{s:.2}\u{d7}") }</strong>{ " speedup against the latest sequential run" }</> },
            (None, true) if !o.cancelled => html! { <span class="muted">{ "Sequential baseline saved: now run it on k workers for a speedup." }</span> },
            (None, _) => html! { <span class="muted">{ "No speedup yet: run the same tasks in one worker first, to have a baseline." }</span> },
        };
        html! {
            <div class={classes!("figures", o.cancelled.then_some("cancelled"))}>
                { if o.cancelled { html! { <p class="warn" data-testid="cancelled-note">{ format!("Cancelled: {} of {} tasks had finished; they are kept below.", o.records.len(), o.workload.tasks.len()) }</p> } } else { html! {} } }
                <dl>
                    <div><dt>{ "Wall time" }</dt><dd data-testid="wall-ms">{ format!("{:.1} ms", o.wall_ms) }</dd></div>
                    <div><dt>{ "Sum of task times" }</dt><dd>{ format!("{:.1} ms", o.summary.sum_task_ms) }</dd></div>
                    <div><dt>{ "Ran on" }</dt><dd>{ where_ }</dd></div>
                </dl>
                <p>{ speedup }</p>
                { if o.executor == Executor::MainThread { html! {
                    <p class="small">{ format!("The page's thread was blocked for {:.0} ms: no clicks, no animation, no repaint. \
                        Python has no page to freeze, but the same holds for a GUI or an event loop that runs CPU work inline.", o.wall_ms) }</p>
                } } else { html! {} } }
            </div>
        }
    }

    fn view_timeline(&self, records: &[TaskRecord], workers: usize, wall: Option<f64>) -> Html {
        let spans: Vec<(usize, usize, f64, f64)> = records.iter().map(|r| (r.worker, r.index, r.start_ms, r.end_ms)).collect();
        let elapsed = wall.unwrap_or_else(|| self.active.as_ref().map(|a| a.run.elapsed_ms()).unwrap_or(0.0));
        let t = chart::timeline(&spans, workers, elapsed, &TimelineLayout::default());
        let main = self.last.as_ref().is_some_and(|o| o.executor != Executor::Workers) && self.active.is_none();
        html! {
            <figure class="timeline">
                <svg data-testid="cpu-timeline" viewBox={format!("0 0 {} {}", t.width, t.height)} role="img"
                    aria-label={format!("Timeline of {} tasks over {} lane(s)", records.len(), workers)}>
                    { for (0..workers).map(|lane| html! {
                        <g>
                            <rect class="lane" x={t.left.to_string()} y={(lane as f64 * (t.lane_height + 6.0)).to_string()}
                                width={(t.width - t.left - 8.0).to_string()} height={t.lane_height.to_string()} />
                            <text class="lane-label" x="4" y={(lane as f64 * (t.lane_height + 6.0) + t.lane_height * 0.68).to_string()}>
                                { if main { "page thread".to_string() } else { format!("worker {}", lane + 1) } }
                            </text>
                        </g>
                    }) }
                    { for t.bars.iter().zip(records).map(|(b, r)| html! {
                        <rect class={classes!("bar", format!("lane-{}", b.lane % 8), (r.index % 2 == 1).then_some("alt"))}
                            x={format!("{:.2}", b.x)} y={b.y.to_string()} width={format!("{:.2}", b.width)} height={b.height.to_string()} rx="3">
                            <title>{ format!("task {}: {}..={} \u{2192} {} ({:.2} ms)", r.index + 1, r.start, r.end, short(&r.result), r.end_ms - r.start_ms) }</title>
                        </rect>
                    }) }
                    <line class="axis" x1={t.left.to_string()} x2={(t.width - 8.0).to_string()} y1={t.axis_y.to_string()} y2={t.axis_y.to_string()} />
                    { for t.ticks.iter().map(|(x, label)| html! {
                        <g>
                            <line class="tick" x1={x.to_string()} x2={x.to_string()} y1={t.axis_y.to_string()} y2={(t.axis_y + 4.0).to_string()} />
                            <text class={classes!("tick-label", (*x > t.width - 30.0).then_some("end"))} x={x.to_string()} y={(t.axis_y + 16.0).to_string()}>{ format!("{label} ms") }</text>
                        </g>
                    }) }
                </svg>
                <figcaption class="small muted">{ "Each bar is one task, from when a worker took it to when it finished." }</figcaption>
            </figure>
        }
    }

    fn view_sweep(&self) -> Html {
        if self.sweep.is_empty() {
            return html! {};
        }
        let measured: Vec<(f64, f64)> = self.sweep.iter().map(|p| (p.workers as f64, p.speedup)).collect();
        let cores = self.cores().max(self.sweep.len());
        let ideal: Vec<(f64, f64)> = (1..=cores).map(|k| (k as f64, k as f64)).collect();
        let c = chart::line_chart(&[ideal, measured], 420.0, 240.0);
        html! {
            <figure class="sweep">
                <svg data-testid="cpu-speedup-chart" viewBox={format!("0 0 {} {}", c.width, c.height)} role="img" aria-label="Speedup against number of workers">
                    { for c.y_ticks.iter().map(|(y, l)| html! { <g>
                        <line class="grid" x1={c.left.to_string()} x2={(c.width - 12.0).to_string()} y1={y.to_string()} y2={y.to_string()} />
                        <text class="tick-label end" x={(c.left - 6.0).to_string()} y={(y + 4.0).to_string()}>{ format!("{l}\u{d7}") }</text>
                    </g> }) }
                    { for c.x_ticks.iter().skip(1).map(|(x, l)| html! {
                        <text class="tick-label" x={x.to_string()} y={(c.bottom + 16.0).to_string()}>{ l }</text>
                    }) }
                    <text class="axis-title" x={(c.width / 2.0).to_string()} y={(c.height - 2.0).to_string()}>{ "workers (k)" }</text>
                    <path class="ideal" d={c.paths[0].clone()} />
                    <path class="measured" d={c.paths[1].clone()} />
                    { for c.points[1].iter().map(|(x, y)| html! { <circle class="measured" cx={x.to_string()} cy={y.to_string()} r="4" /> }) }
                </svg>
                <figcaption class="small">
                    <span class="key ideal">{ "ideal (k\u{d7})" }</span>{ " " }<span class="key measured">{ "measured" }</span>
                    { for self.sweep.iter().map(|p| html! { <span class="muted">{ format!(" \u{b7} k={}: {:.1} ms, {:.2}\u{d7}", p.workers, p.wall_ms, p.speedup) }</span> }) }
                </figcaption>
            </figure>
        }
    }
}


/// Long exact products are shortened for the table; the JSON keeps every digit.
fn short(s: &str) -> String {
    if s.len() <= 24 {
        s.to_string()
    } else {
        format!("{}\u{2026}{} ({} digits)", &s[..8], &s[s.len() - 6..], s.len())
    }
}

fn view_table(records: &[TaskRecord]) -> Html {
    html! {
        <details class="task-results" open={records.len() <= 30}>
            <summary>{ format!("Task results ({})", records.len()) }</summary>
            <div class="task-table-wrap">
            <table data-testid="cpu-results-table">
                <thead><tr><th>{ "#" }</th><th>{ "range" }</th><th>{ "result" }</th><th>{ "worker" }</th><th>{ "time" }</th></tr></thead>
                <tbody>
                    { for records.iter().take(500).map(|r| html! {
                        <tr>
                            <td>{ r.index + 1 }</td>
                            <td>{ format!("{}..={}", r.start, r.end) }</td>
                            <td class="num" title={r.result.clone()}>{ short(&r.result) }</td>
                            <td>{ r.worker + 1 }</td>
                            <td class="num">{ format!("{:.2} ms", r.end_ms - r.start_ms) }</td>
                        </tr>
                    }) }
                </tbody>
            </table>
            </div>
        </details>
    }
}
