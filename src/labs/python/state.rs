//! The Python lab's page state as a pure state machine: the interpreter's life (loading,
//! ready, failed, replaced), a run's (running, stopping, finished), the program in the
//! editor and its link, and the results document. The page sends actions (user events and
//! the worker's messages) and performs the effects (start or end the worker, post to it,
//! arm the stop deadline, write the address bar, update the editor).

use super::config::{self, Decoded};
use super::model::{self, PyException, RunRecord, Stream, WorkerEvent, MAX_OUTPUT_CHARS};
use super::programs;
use crate::core::lab::{absolute_link, results_document, whole_ms, DocCache};
use crate::core::link::LinkError;
use crate::core::round_to_micros;
use serde::Serialize;
use std::rc::Rc;
use crate::core::lab::PoolStatus;
use crate::labs::host::{LabState, Opening};
use crate::labs::LabMeta;

/// How long Stop waits for Python to stop before it replaces the interpreter.
pub const STOP_DEADLINE_MS: u32 = 500;

/// The interpreter as the page knows it.
#[derive(Clone, Debug, PartialEq)]
pub enum Interp {
    Loading { loaded: u64, total: u64 },
    Ready { python: String, interrupts: bool, stack_switching: bool },
    Failed { message: String },
}

/// A run's status as the results JSON spells it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PyStatus {
    Idle,
    Loading,
    Running,
    Done,
    Error,
    Stopped,
}

impl PyStatus {
    /// A finished run's status, from runtime.py's word for it.
    fn of(record: &RunRecord) -> PyStatus {
        match record.status.as_str() {
            "done" => PyStatus::Done,
            "stopped" => PyStatus::Stopped,
            _ => PyStatus::Error,
        }
    }
}

/// The timeline's width in SVG units (it scales to the page).
pub const TIMELINE_WIDTH: f64 = 900.0;

/// stdout and stderr as printed, in order, up to [`MAX_OUTPUT_CHARS`].
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Output {
    pub chunks: Vec<(Stream, String)>,
    chars: usize,
    pub dropped: usize,
}

impl Output {
    pub fn push(&mut self, stream: Stream, text: &str) {
        let room = MAX_OUTPUT_CHARS.saturating_sub(self.chars);
        let count = text.chars().count();
        let kept: String = if count <= room { text.to_string() } else { text.chars().take(room).collect() };
        self.dropped += count - kept.chars().count();
        self.chars += kept.chars().count();
        if kept.is_empty() {
            return;
        }
        match self.chunks.last_mut() {
            Some((s, t)) if *s == stream => t.push_str(&kept),
            _ => self.chunks.push((stream, kept)),
        }
    }

    pub fn text(&self, stream: Stream) -> String {
        self.chunks.iter().filter(|(s, _)| *s == stream).map(|(_, t)| t.as_str()).collect()
    }

    pub fn is_empty(&self) -> bool {
        self.chunks.is_empty()
    }
}

/// A finished run.
#[derive(Clone, Debug, PartialEq)]
pub struct Finished {
    pub record: RunRecord,
    /// Laid out once: a record can hold 200,000 steps, and the page redraws on every
    /// keystroke in the editor.
    pub timeline: model::PyTimeline,
    pub pool_timeline: Option<model::PoolTimeline>,
    pub thread_timeline: Option<model::ThreadTimeline>,
    /// The program that ran (the editor may have changed since).
    pub code: String,
    /// Its pools ran on one interpreter because Run on one interpreter asked for it.
    pub on_one: bool,
}

/// The last pool run and the last one-interpreter run of the same program, for the speedup.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PoolComparison {
    pub code: String,
    /// (wall ms, workers, whether children had to start).
    pub parallel: Option<(f64, usize, bool)>,
    pub one: Option<f64>,
}

impl PoolComparison {
    /// One interpreter's wall time over the pool's, once both ran.
    pub fn speedup(&self) -> Option<f64> {
        match (self.parallel, self.one) {
            (Some((pool, _, _)), Some(one)) if pool > 0.0 => Some(one / pool),
            _ => None,
        }
    }
}

#[derive(Clone, Debug)]
pub enum Action {
    Edit(String),
    LoadPreset(&'static str),
    SetLive(bool),
    Run,
    /// Run with every process pool running its tasks one after another in the lab's own
    /// interpreter: the baseline for the pool's speedup.
    RunOnOne,
    Stop,
    /// Stop's half second is up for run `run`.
    StopDeadline { run: u64 },
    Reset,
    Worker(WorkerEvent),
    /// The worker itself failed (its script did not load, or it died).
    WorkerFailed(String),
    DismissLinkErrors,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Effect {
    /// Create the worker and load Pyodide in it.
    StartWorker,
    TerminateWorker,
    /// `on_one`: pools run their tasks in the lab's interpreter (Run on one interpreter).
    PostRun {
        run: u64,
        code: String,
        on_one: bool,
    },
    /// Interrupt run `run` (KeyboardInterrupt through the interrupt buffer, and a message
    /// that cancels its tasks if it is waiting), then report `StopDeadline` after
    /// [`STOP_DEADLINE_MS`].
    PostStop {
        run: u64,
    },
    WriteQuery(String),
    /// Put this text into the editor (a preset or the live switch changed it).
    SetEditor(String),
    /// Mark the line an error points at, or clear the mark.
    MarkLine(Option<u32>),
}

pub struct SemaphoreComparison {
    pub lines: Vec<model::LogLine>,
    pub most_held: usize,
}

impl SemaphoreComparison {
    /// What the comparison says, in one or two sentences.
    pub fn verdict(&self) -> String {
        match self.lines.iter().filter(|l| !l.same()).count() {
            0 => format!(
                "Line for line the same as CPython 3.11 printed for this program on a 2-core machine of this kind. \
                 At most {} held the semaphore at once.",
                self.most_held
            ),
            differing => format!(
                "{differing} {}. Which request completes first follows the latencies: with live requests, \
                 or edited delays, the completions come in another order. What must hold is the limit: at most {} \
                 held the semaphore at once here.",
                if differing == 1 { "line differs" } else { "lines differ" },
                self.most_held
            ),
        }
    }
}

pub struct PyState {
    pub code: String,
    pub link_errors: Vec<LinkError>,
    pub interp: Interp,
    pub output: Output,
    pub last: Option<Finished>,
    /// Why the last run ended without a record: the worker failed, or Stop replaced it.
    pub failure: Option<String>,
    /// Said once Stop or Reset replaced the interpreter.
    pub replaced: Option<String>,
    /// Why Stop cannot interrupt running Python here (no memory shared with the worker),
    /// or None when it can.
    pub no_shared_memory: Option<&'static str>,
    status: PyStatus,
    running: Option<u64>,
    stopping: bool,
    /// A run asked for before the interpreter was ready (Run pressed, or `run=1`).
    wants_run: bool,
    runs: u64,
    /// The program the current run was given, and whether on one interpreter.
    ran: String,
    ran_on_one: bool,
    pub pool_comparison: PoolComparison,
    /// How the current interpreter started, once it is ready.
    pub interp_start: Option<InterpStart>,
    site_root: String,
    doc_cache: DocCache,
}

/// How CPython started: restored from a memory snapshot, or plainly (the first visit,
/// or a snapshot missing or damaged), and in how long.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct InterpStart {
    pub kind: String,
    pub load_ms: Option<f64>,
}

impl InterpStart {
    /// The interpreter line's words for it.
    pub fn words(&self) -> String {
        let took = self.load_ms.map(|ms| format!(" in {} ms", crate::core::lab::whole_ms(ms))).unwrap_or_default();
        if self.kind == "snapshot" {
            format!("restored from a snapshot{took}")
        } else {
            format!("started{took}")
        }
    }
}

impl PyState {
    /// The page opened with `decoded`; the worker starts at once (this lab is the only
    /// page that loads Pyodide).
    pub fn open(decoded: Decoded, no_shared_memory: Option<&'static str>, site_root: &str) -> (PyState, Vec<Effect>) {
        let state = PyState {
            code: decoded.code,
            link_errors: decoded.errors,
            interp: Interp::Loading { loaded: 0, total: 0 },
            output: Output::default(),
            last: None,
            failure: None,
            replaced: None,
            no_shared_memory,
            status: if decoded.run { PyStatus::Loading } else { PyStatus::Idle },
            running: None,
            stopping: false,
            wants_run: decoded.run,
            runs: 0,
            ran: String::new(),
            ran_on_one: false,
            pool_comparison: PoolComparison::default(),
            site_root: site_root.to_string(),
            interp_start: None,
            doc_cache: DocCache::default(),
        };
        (state, vec![Effect::StartWorker])
    }

    /// The status line: loading, running, or how the last run ended and how long it took.
    pub fn status_line(&self) -> Option<String> {
        match self.status {
            PyStatus::Idle => self.failure.clone(),
            PyStatus::Loading => Some("Loading CPython\u{2026}".to_string()),
            PyStatus::Running if self.stopping => Some("Stopping\u{2026}".to_string()),
            PyStatus::Running => Some("Running\u{2026}".to_string()),
            PyStatus::Error if self.last.is_none() => self.failure.clone(),
            PyStatus::Done | PyStatus::Error | PyStatus::Stopped => {
                let f = self.last.as_ref()?;
                let took = whole_ms(f.record.wall_ms);
                Some(match (&f.record.exception, self.status) {
                    (_, PyStatus::Stopped) => format!("Stopped after {took} ms."),
                    (Some(e), _) => match e.line {
                        Some(line) => format!("Ended with {} on line {line}, after {took} ms.", e.kind),
                        None => format!("Ended with {}, after {took} ms.", e.kind),
                    },
                    (None, _) => format!("Finished in {took} ms."),
                })
            }
        }
    }

    pub fn status(&self) -> PyStatus {
        self.status
    }

    pub fn is_running(&self) -> bool {
        self.running.is_some()
    }

    pub fn is_stopping(&self) -> bool {
        self.stopping
    }

    pub fn is_ready(&self) -> bool {
        matches!(self.interp, Interp::Ready { .. })
    }

    pub fn waits_to_run(&self) -> bool {
        self.wants_run
    }

    pub fn python(&self) -> Option<&str> {
        match &self.interp {
            Interp::Ready { python, .. } => Some(python),
            _ => None,
        }
    }

    pub fn interrupts(&self) -> bool {
        matches!(self.interp, Interp::Ready { interrupts: true, .. })
    }

    /// The preset in the editor, with its live switch either way (the link still tells
    /// them apart: a live preset travels as `code`).
    pub fn preset(&self) -> Option<&'static programs::Program> {
        config::preset_of(&model::set_live(&self.code, false))
    }

    /// The link's query; `None` when the program is too long for a link.
    pub fn query(&self) -> Option<String> {
        config::query(&self.code)
    }

    pub fn live(&self) -> Option<bool> {
        model::live_switch(&self.code)
    }

    /// The line to mark: the last run's error, while the editor holds the program that ran.
    pub fn error_line(&self) -> Option<u32> {
        let last = self.last.as_ref()?;
        if last.code != self.code {
            return None;
        }
        last.record.exception.as_ref()?.line
    }

    /// The preset the last run's program was (with its live switch either way).
    pub fn ran_program(&self) -> Option<&'static programs::Program> {
        let last = self.last.as_ref()?;
        config::preset_of(&model::set_live(&last.code, false))
    }

    /// After a run of the semaphore preset: its log beside CPython's, line by line.
    pub fn semaphore_comparison(&self) -> Option<SemaphoreComparison> {
        if self.ran_program()?.id != "semaphore-2" {
            return None;
        }
        let got = self.output.text(Stream::Stdout);
        Some(SemaphoreComparison {
            lines: model::compare_lines(programs::SEMAPHORE_EXPECTED, &got),
            most_held: model::most_held(&got),
        })
    }

    pub fn update(&mut self, action: Action) -> Vec<Effect> {
        self.doc_cache.forget();
        let mut fx = Vec::new();
        match action {
            Action::Edit(code) => {
                if code != self.code {
                    let line_before = self.error_line();
                    self.code = code;
                    self.write_query(&mut fx);
                    if line_before.is_some() && self.error_line().is_none() {
                        fx.push(Effect::MarkLine(None));
                    }
                }
            }
            Action::LoadPreset(id) => {
                if let Some(p) = programs::find(id) {
                    self.replace_code(p.source.to_string(), &mut fx);
                }
            }
            Action::SetLive(on) => {
                if self.live().is_some() {
                    let code = model::set_live(&self.code, on);
                    self.replace_code(code, &mut fx);
                }
            }
            Action::DismissLinkErrors => self.link_errors.clear(),
            Action::RunOnOne => {
                if self.running.is_none() && self.is_ready() {
                    self.begin_with(true, &mut fx);
                }
            }
            Action::Run => {
                if self.running.is_none() {
                    if self.is_ready() {
                        self.begin(&mut fx);
                    } else if let Interp::Failed { .. } = self.interp {
                        // A failed load is retried by running again.
                        self.interp = Interp::Loading { loaded: 0, total: 0 };
                        self.wants_run = true;
                        self.status = PyStatus::Loading;
                        fx.push(Effect::TerminateWorker);
                        fx.push(Effect::StartWorker);
                    } else {
                        self.wants_run = true;
                        self.status = PyStatus::Loading;
                    }
                }
            }
            Action::Stop => {
                if let Some(run) = self.running {
                    if !self.stopping {
                        self.stopping = true;
                        fx.push(Effect::PostStop { run });
                    }
                } else if self.wants_run {
                    self.wants_run = false;
                    self.status = self.settled_status();
                }
            }
            Action::StopDeadline { run } => {
                if self.running == Some(run) && self.stopping {
                    self.running = None;
                    self.stopping = false;
                    self.status = PyStatus::Stopped;
                    self.failure = None;
                    self.replaced = Some(format!(
                        "Python did not stop within {STOP_DEADLINE_MS} ms{}, so the interpreter was replaced with a fresh \
                         one: the program's variables and imports are gone.",
                        match (self.interrupts(), self.no_shared_memory) {
                            (true, _) => " (it was inside a long call into C, or it caught KeyboardInterrupt)".to_string(),
                            (false, Some(why)) => format!(" ({why}, so running Python cannot be interrupted)"),
                            (false, None) => " (running Python cannot be interrupted here)".to_string(),
                        }
                    ));
                    self.restart(&mut fx);
                }
            }
            Action::Reset => {
                if self.running.take().is_some() {
                    self.status = PyStatus::Stopped;
                }
                self.stopping = false;
                self.replaced = Some("The interpreter was reset: a fresh CPython, with nothing imported or defined.".into());
                self.restart(&mut fx);
            }
            Action::Worker(event) => self.on_worker(event, &mut fx),
            Action::WorkerFailed(message) => {
                let was_running = self.running.take().is_some();
                self.stopping = false;
                if was_running || self.wants_run || !self.is_ready() {
                    self.wants_run = false;
                    self.status = PyStatus::Error;
                    self.failure = Some(format!("The Python worker failed: {message}"));
                }
                self.interp = Interp::Failed { message };
            }
        }
        fx
    }

    fn on_worker(&mut self, event: WorkerEvent, fx: &mut Vec<Effect>) {
        match event {
            WorkerEvent::Progress { loaded, total, .. } => {
                if let Interp::Loading { .. } = self.interp {
                    self.interp = Interp::Loading { loaded: loaded.min(total), total };
                }
            }
            WorkerEvent::Ready { python, interrupts, stack_switching, start, load_ms } => {
                self.interp = Interp::Ready { python, interrupts, stack_switching };
                self.interp_start = Some(InterpStart { kind: start.unwrap_or_else(|| "plain".into()), load_ms: load_ms.filter(|ms| ms.is_finite() && *ms >= 0.0) });
                if self.wants_run {
                    self.begin(fx);
                }
            }
            WorkerEvent::LoadFailed { message } => {
                if self.wants_run {
                    self.wants_run = false;
                    self.status = PyStatus::Error;
                    self.failure = Some(format!("CPython did not load: {message}"));
                }
                self.interp = Interp::Failed { message };
            }
            WorkerEvent::Output { run, stream, text } => {
                if self.running == Some(run) {
                    self.output.push(stream, &text);
                }
            }
            WorkerEvent::Finished { run, result } => {
                if self.running != Some(run) {
                    return;
                }
                self.running = None;
                self.stopping = false;
                match RunRecord::parse(&result) {
                    Ok(record) => {
                        self.status = PyStatus::of(&record);
                        let line = record.exception.as_ref().and_then(|e| e.line);
                        let timeline = model::timeline(&record, TIMELINE_WIDTH);
                        let pool_timeline = model::pool_timeline(&record, TIMELINE_WIDTH);
                        let thread_timeline = model::thread_timeline(&record, TIMELINE_WIDTH);
                        self.note_pool_run(&record);
                        self.last = Some(Finished {
                            record,
                            timeline,
                            pool_timeline,
                            thread_timeline,
                            code: self.ran.clone(),
                            on_one: self.ran_on_one,
                        });
                        if self.error_line().is_some() {
                            fx.push(Effect::MarkLine(line));
                        }
                    }
                    Err(e) => {
                        self.status = PyStatus::Error;
                        self.failure = Some(e);
                    }
                }
            }
            WorkerEvent::Crashed { run, message } => {
                if self.running == Some(run) {
                    self.running = None;
                    self.stopping = false;
                    self.status = PyStatus::Error;
                    self.failure = Some(format!("The run failed outside the program: {message}"));
                }
            }
            // A bug of this site, not of the program: said, and the page goes on.
            WorkerEvent::ProtocolError { message } => {
                self.failure = Some(format!("The Python worker did not understand the page: {message}"));
            }
        }
    }

    fn begin(&mut self, fx: &mut Vec<Effect>) {
        self.begin_with(false, fx);
    }

    /// A finished run that used a pool, kept for the speedup: a run of another program
    /// starts the comparison again; a run that failed or was stopped is no figure.
    fn note_pool_run(&mut self, record: &RunRecord) {
        let Some(pool) = &record.pool else { return };
        if record.status != "done" || pool.tasks.is_empty() {
            return;
        }
        if self.pool_comparison.code != self.ran {
            self.pool_comparison = PoolComparison {
                code: self.ran.clone(),
                ..PoolComparison::default()
            };
        }
        if self.ran_on_one {
            self.pool_comparison.one = Some(record.wall_ms);
        } else if pool.parallel {
            let cold = pool.startups.iter().any(|s| s.cold);
            self.pool_comparison.parallel = Some((record.wall_ms, pool.lanes(), cold));
        }
    }

    /// The speedup of the program in the editor, once it ran both ways.
    pub fn pool_speedup(&self) -> Option<(f64, &PoolComparison)> {
        let c = &self.pool_comparison;
        if c.code != self.code {
            return None;
        }
        c.speedup().map(|x| (x, c))
    }

    fn begin_with(&mut self, on_one: bool, fx: &mut Vec<Effect>) {
        self.ran_on_one = on_one;
        self.wants_run = false;
        self.runs += 1;
        self.running = Some(self.runs);
        self.stopping = false;
        self.status = PyStatus::Running;
        self.output = Output::default();
        self.failure = None;
        self.replaced = None;
        if self.error_line().is_some() {
            fx.push(Effect::MarkLine(None));
        }
        self.last = None;
        self.ran = self.code.clone();
        fx.push(Effect::PostRun {
            run: self.runs,
            code: self.code.clone(),
            on_one,
        });
    }

    fn restart(&mut self, fx: &mut Vec<Effect>) {
        self.interp = Interp::Loading {
            loaded: 0,
            total: 0,
        };
        fx.push(Effect::TerminateWorker);
        fx.push(Effect::StartWorker);
    }

    fn settled_status(&self) -> PyStatus {
        match &self.last {
            Some(f) => PyStatus::of(&f.record),
            None => PyStatus::Idle,
        }
    }

    fn replace_code(&mut self, code: String, fx: &mut Vec<Effect>) {
        if code == self.code {
            return;
        }
        let marked = self.error_line().is_some();
        self.code = code.clone();
        fx.push(Effect::SetEditor(code));
        if marked && self.error_line().is_none() {
            fx.push(Effect::MarkLine(None));
        }
        self.write_query(fx);
    }

    fn write_query(&self, fx: &mut Vec<Effect>) {
        if let Some(q) = self.query() {
            fx.push(Effect::WriteQuery(q));
        }
    }

    pub fn link(&self) -> String {
        absolute_link(&self.site_root, "/python", &self.query().unwrap_or_default())
    }

    /// The results document, as the page shows it and Export JSON saves it.
    pub fn results_doc(&self) -> Rc<str> {
        self.doc_cache.get((), || self.build_results_doc())
    }

    fn build_results_doc(&self) -> String {
        #[derive(Serialize)]
        #[serde(rename_all = "camelCase")]
        struct Task<'a> {
            name: &'a str,
            segments: Vec<[f64; 2]>,
        }
        #[derive(Serialize)]
        #[serde(rename_all = "camelCase")]
        struct Body<'a> {
            python: Option<&'a str>,
            preset: Option<&'static str>,
            stdout: String,
            stderr: String,
            exception: Option<&'a PyException>,
            wall_ms: Option<f64>,
            tasks: Vec<Task<'a>>,
            loop_blocked_ms: Option<f64>,
            output_dropped_chars: usize,
            record_cut: bool,
            failure: Option<&'a str>,
            #[serde(skip_serializing_if = "Option::is_none")]
            pool: Option<Pool<'a>>,
            threads_started: usize,
            /// Each thread's stretches (run, wait, forced, sleep, block) and the switches.
            threads: Option<&'a model::ThreadsRecord>,
            /// How CPython started: `kind` "snapshot" or "plain", and `loadMs`.
            interpreter_start: Option<&'a InterpStart>,
        }
        #[derive(Serialize)]
        #[serde(rename_all = "camelCase")]
        struct Pool<'a> {
            parallel: bool,
            on_one_interpreter: bool,
            reason: Option<&'a str>,
            asked_workers: usize,
            figures: model::PoolFigures,
            /// One interpreter's wall time over the pool's, for this program, once both ran.
            speedup: Option<f64>,
            startups: &'a [model::ChildStartup],
            tasks: &'a [model::PoolTask],
        }
        let record = self.last.as_ref().map(|f| &f.record);
        let body = Body {
            python: self.python(),
            preset: self.ran_program().map(|p| p.id),
            stdout: self.output.text(Stream::Stdout),
            stderr: self.output.text(Stream::Stderr),
            exception: record.and_then(|r| r.exception.as_ref()),
            wall_ms: record.map(|r| round_to_micros(r.wall_ms)),
            tasks: record
                .map(|r| {
                    r.tasks
                        .iter()
                        .map(|t| Task {
                            name: &t.name,
                            segments: t.segments.iter().map(|&(a, b)| [round_to_micros(a), round_to_micros(b)]).collect(),
                        })
                        .collect()
                })
                .unwrap_or_default(),
            loop_blocked_ms: record.map(|r| round_to_micros(r.loop_blocked_ms())),
            output_dropped_chars: self.output.dropped,
            record_cut: record.is_some_and(|r| r.cut),
            failure: self.failure.as_deref(),
            threads_started: record.map_or(0, |r| r.threads_started),
            threads: record.and_then(|r| r.threads.as_ref()),
            interpreter_start: self.interp_start.as_ref(),
            pool: self.last.as_ref().and_then(|f| {
                let p = f.record.pool.as_ref()?;
                let mut figures = p.figures(f.record.wall_ms);
                figures.wall_ms = round_to_micros(figures.wall_ms);
                figures.task_ms = round_to_micros(figures.task_ms);
                figures.pickling_ms = round_to_micros(figures.pickling_ms);
                figures.startup_ms = round_to_micros(figures.startup_ms);
                Some(Pool {
                    parallel: p.parallel,
                    on_one_interpreter: f.on_one,
                    reason: p.reason.as_deref(),
                    asked_workers: p.asked,
                    figures,
                    speedup: (self.pool_comparison.code == f.code)
                        .then(|| self.pool_comparison.speedup())
                        .flatten()
                        .map(round_to_micros),
                    startups: &p.startups,
                    tasks: &p.tasks,
                })
            }),
        };
        results_document("python", self.status, &self.link(), &body)
    }
}

impl LabState for PyState {
    type Action = Action;
    type Effect = Effect;

    fn meta() -> &'static LabMeta {
        &super::META
    }

    fn open(opening: Opening<'_>) -> (PyState, Vec<Effect>) {
        let (state, mut effects) = PyState::open(config::decode(opening.query), opening.shared_memory_missing, opening.site_root);
        // The address bar shows the decoded link, as in every lab (`run` leaves it).
        let mut written = Vec::new();
        state.write_query(&mut written);
        written.append(&mut effects);
        (state, written)
    }

    fn update(&mut self, action: Action) -> Vec<Effect> {
        PyState::update(self, action)
    }

    /// This lab runs no Rust on workers; a `run=1` link runs once CPython is ready.
    fn pool_changed(_pool: PoolStatus) -> Option<Action> {
        None
    }

    fn link_run(&self) -> Option<Action> {
        None
    }

    /// Empty for a program too long for a link (the page says so).
    fn query(&self) -> String {
        PyState::query(self).unwrap_or_default()
    }

    fn results_doc(&self) -> Rc<str> {
        PyState::results_doc(self)
    }

    fn status_line(&self) -> Option<String> {
        PyState::status_line(self)
    }

    fn written_query(effect: &Effect) -> Option<&str> {
        match effect {
            Effect::WriteQuery(q) => Some(q),
            _ => None,
        }
    }
}
