//! The threads lab's page state as a pure state machine: the workload editor, the
//! settings, a run (the experiment and the same tasks run sequentially), the comparison of
//! four ways to run them, the preset's CPython check, and the time window the lanes show.
//! The page performs the effects: write the address bar, run a batch of simulations (on a
//! worker when there is one) and report it back.

use super::batch::{simulate_real, BatchKind, BatchResult, Job};
use super::choices::{parse_interp, parse_start, start_key, ExecKind, Interp};
use super::config::{decimal, number_text, Decoded, ThreadsConfig, MAX_CORES, MAX_SLOWDOWN_PCT, MAX_SWITCH_MS, MAX_WORKERS, MIN_SWITCH_MS};
use super::display;
use super::lanes::{Window, ZoomAction};
use super::model::{Outcome, Workload};
use super::presets::{self, Headline};
use super::real_gil::RealReport;
use crate::core::lab::{Drafts, PoolStatus, RunOnOpen, Status};
use crate::core::link::{group, parse_uint, quote, LinkError};
use crate::labs::host::pool_lab_state;
use crate::labs::race::lang::ParseError;

/// An input or a `<select>`, in the form's order; each takes the raw text it gives, and
/// what does not parse is refused with a message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Field {
    Workers,
    /// The process pool's start method: a key of `choices::STARTS`.
    Start,
    /// The interpreter: a key of `Interp::ALL`; choosing one resets the slowdown to its figure.
    Interp,
    Slowdown,
    Switch,
    Cores,
    Seed,
}

impl Field {
    pub fn id(self) -> &'static str {
        match self {
            Field::Workers => "threads-workers",
            Field::Start => "threads-start",
            Field::Interp => "threads-interp",
            Field::Slowdown => "threads-slowdown",
            Field::Switch => "threads-switch",
            Field::Cores => "threads-cores",
            Field::Seed => "threads-seed",
        }
    }
}

#[derive(Clone, Debug)]
pub enum Action {
    Pool(PoolStatus),
    EditSource(String),
    ApplySource,
    LoadPreset(&'static str),
    SetExec(ExecKind),
    Set(Field, String),
    Run,
    RunFromLink,
    Compare,
    /// Batch `id` has been simulated.
    Simulated { id: u64, result: BatchResult },
    Zoom(ZoomAction),
    DismissLinkErrors,
    /// Run the CPU-bound threads for real on the page's Web Workers, with or without one
    /// real GIL-style lock.
    RunReal { lock: bool, k: usize },
    /// Real run `id` has ended.
    RealFinished { id: u64, report: RealReport },
    /// Real run `id` could not start.
    RealFailed { id: u64, message: String },
}

#[derive(Clone, Debug, PartialEq)]
pub enum Effect {
    WriteQuery(String),
    /// Simulate `jobs` (and the preset's check), then report `Action::Simulated`.
    Simulate { id: u64, jobs: Vec<Job>, check: Option<(&'static str, u64)> },
    /// Start `k` real threads of `slices` slices each (`real_gil::run_cpu_threads`), then
    /// report `Action::RealFinished`.
    StartReal { id: u64, k: usize, slices: u64, lock: bool, interval_ms: f64 },
}

/// Slices per thread of a real run, and steps of `real_gil::cpu_slice` per slice: about
/// 0.6 s of work per thread on a 2-core machine.
pub const REAL_SLICES: u64 = 300;
pub const REAL_SLICE_STEPS: u64 = 1_000_000;

/// A finished real run as the page shows it.
#[derive(Clone, Debug)]
pub struct RealView {
    pub report: RealReport,
    /// The simulation of the same threads, slices and interval: under the GIL for a run
    /// with the lock, free-threaded with no slowdown for one without.
    pub simulated: Option<Outcome>,
}

impl RealView {
    pub fn simulated_wall_ms(&self) -> Option<f64> {
        self.simulated.as_ref().map(|o| o.wall_ms)
    }
}

/// The experiment's run, with its baseline.
#[derive(Clone, Debug)]
pub struct RunView {
    /// The query of what was run, so the results describe it after the settings change.
    pub query: String,
    pub preset: Option<&'static str>,
    pub exec: ExecKind,
    pub interp: Interp,
    pub workers: u32,
    pub cores: u32,
    pub switch_ms: f64,
    pub outcome: Outcome,
    pub sequential: Option<Outcome>,
    pub check: Option<Result<Vec<Headline>, String>>,
    pub simulated_ms: f64,
    /// Threads on a core over the whole run, computed once: every zoom clips it.
    pub core_usage: Vec<(u64, u32)>,
}

impl RunView {
    pub fn speedup(&self) -> Option<f64> {
        let seq = self.sequential.as_ref()?;
        (self.outcome.wall_ms > 0.0).then(|| seq.wall_ms / self.outcome.wall_ms)
    }

    /// The sentence under the CPython check saying where its figures come from ("" when
    /// the run was not a preset).
    pub fn check_source(&self) -> String {
        self.preset.and_then(presets::find).map(|p| format!("Source: {}.", p.check.source)).unwrap_or_default()
    }
}

pub struct ThreadsState {
    pub config: ThreadsConfig,
    pub link_errors: Vec<LinkError>,
    pub draft: String,
    pub parse_error: Option<ParseError>,
    pub drafts: Drafts<Field>,
    pub pool: PoolStatus,
    /// Logical cores of this machine, the default of `cores`.
    pub machine_cores: usize,
    pub(super) site_root: String,
    run_on_open: RunOnOpen,
    pub status: Status,
    pub error: Option<String>,
    batches: u64,
    /// The batch in flight and what it is for.
    pending: Option<(u64, BatchKind, ThreadsConfig, Vec<String>)>,
    pub run: Option<RunView>,
    pub compare: Option<Vec<(String, Result<Outcome, String>)>>,
    pub window: Window,
    /// Real runs so far, newest last (at most a few are kept).
    pub real: Vec<RealView>,
    /// The status line tells of the last real run rather than the simulation.
    real_said: bool,
    real_pending: Option<u64>,
}

impl ThreadsState {
    pub fn new(decoded: Decoded, pool: PoolStatus, machine_cores: usize, site_root: &str) -> ThreadsState {
        ThreadsState {
            draft: decoded.config.source.clone(),
            config: decoded.config,
            link_errors: decoded.errors,
            parse_error: None,
            drafts: Drafts::default(),
            pool,
            machine_cores: machine_cores.max(1),
            site_root: site_root.to_string(),
            run_on_open: RunOnOpen::new(decoded.run),
            status: Status::Idle,
            error: None,
            batches: 0,
            pending: None,
            run: None,
            compare: None,
            window: Window::all(1),
            real: Vec::new(),
            real_said: false,
            real_pending: None,
        }
    }

    pub fn opened(&self) -> Vec<Effect> {
        vec![self.write_query()]
    }

    pub fn query(&self) -> String {
        self.config.to_query(false)
    }

    fn write_query(&self) -> Effect {
        Effect::WriteQuery(self.query())
    }

    pub fn run_pending(&self) -> bool {
        self.run_on_open.pending(&self.pool)
    }

    pub fn is_running(&self) -> bool {
        self.pending.is_some()
    }

    pub fn is_dirty(&self) -> bool {
        self.draft != self.config.source
    }

    /// Whether to say the workload text is edited but not applied (not when it failed to parse:
    /// the error says more).
    pub fn edited_not_applied(&self) -> bool {
        self.is_dirty() && self.parse_error.is_none()
    }

    /// Whether the page explains where the check points of `counter += 1` fall.
    pub fn shows_counter(&self) -> bool {
        self.config.base == "counter"
    }

    pub fn cores(&self) -> u32 {
        self.config.cores_for(self.machine_cores)
    }

    /// The text an input shows.
    pub fn shown(&self, f: Field) -> String {
        self.drafts.shown(f, || match f {
            Field::Workers => self.config.workers.map_or_else(String::new, |n| n.to_string()),
            Field::Start => start_key(self.config.start).to_string(),
            Field::Interp => self.config.interp.key().to_string(),
            Field::Slowdown => number_text(self.config.slowdown()),
            Field::Switch => number_text(self.config.switch_ms),
            Field::Cores => self.cores().to_string(),
            Field::Seed => self.config.seed.to_string(),
        })
    }

    pub fn problems(&self) -> Vec<String> {
        let mut out: Vec<String> = self.drafts.errors().cloned().collect();
        if self.config.threads.is_empty() {
            out.push("the workload has no threads".into());
        }
        out
    }

    fn edited(&mut self) -> Vec<Effect> {
        vec![self.write_query()]
    }

    fn set(&mut self, f: Field, raw: String) -> Vec<Effect> {
        let c = &mut self.config;
        let ok = self.drafts.take(f, raw, |t| {
            let t = t.trim();
            match f {
                Field::Workers if t.is_empty() => {
                    c.workers = None;
                    Ok(())
                }
                Field::Workers => match parse_uint(t) {
                    Some(n) if (1..=u64::from(MAX_WORKERS)).contains(&n) => {
                        c.workers = Some(n as u32);
                        Ok(())
                    }
                    _ => Err(format!("workers: {} is not a whole number from 1 to {MAX_WORKERS} (empty: the default)", quote(t))),
                },
                Field::Cores => match parse_uint(t) {
                    Some(n) if (1..=u64::from(MAX_CORES)).contains(&n) => {
                        c.cores = Some(n as u32);
                        Ok(())
                    }
                    _ => Err(format!("cores: {} is not a whole number from 1 to {MAX_CORES}", quote(t))),
                },
                Field::Seed => match parse_uint(t) {
                    Some(n) if n <= u64::from(u32::MAX) => {
                        c.seed = n;
                        Ok(())
                    }
                    _ => Err(format!("seed: {} is not a whole number from 0 to {}", quote(t), group(u64::from(u32::MAX)))),
                },
                Field::Start => parse_start(t).map(|m| c.start = m),
                Field::Interp => parse_interp(t).map(|i| {
                    c.interp = i;
                    // The slowdown field follows the build unless typed in for this one.
                    c.slowdown_pct = None;
                }),
                Field::Switch => decimal(t, MIN_SWITCH_MS, MAX_SWITCH_MS).map(|v| c.switch_ms = v).map_err(|m| format!("switch interval: {m} (ms)")),
                Field::Slowdown => decimal(t, 0.0, MAX_SLOWDOWN_PCT).map(|v| c.slowdown_pct = Some(v)).map_err(|m| format!("slowdown: {m} (%)")),
            }
        });
        match ok {
            Some(()) => {
                if f == Field::Interp {
                    // The slowdown shown is the new build's; a draft of it would hide that.
                    self.drafts.clear();
                }
                self.edited()
            }
            None => vec![],
        }
    }

    pub fn update(&mut self, action: Action) -> Vec<Effect> {
        match &action {
            Action::RealFinished { .. } | Action::RealFailed { .. } => self.real_said = true,
            Action::Run | Action::RunFromLink | Action::Compare => self.real_said = false,
            _ => {}
        }
        self.apply(action)
    }

    /// The status line: the simulation or real run under way, or what the latest one
    /// came to, in one sentence.
    pub fn status_line(&self) -> Option<String> {
        if self.real_running() {
            return Some("Running on the Web Workers\u{2026}".to_string());
        }
        if self.status == Status::Running {
            return Some("Simulating\u{2026}".to_string());
        }
        if let Some(e) = &self.error {
            return Some(format!("Could not simulate: {e}"));
        }
        if self.real_said {
            let r = self.real.last()?;
            let lock = if r.report.use_lock { "with the lock" } else { "without the lock" };
            let sim = r.simulated_wall_ms().map(|s| format!(" (simulated: {})", display::ms(s))).unwrap_or_default();
            return Some(format!("Ran for real on {} workers {lock}: {}{sim}.", r.report.k, display::ms(r.report.wall_ms)));
        }
        let run = self.run.as_ref()?;
        let o = &run.outcome;
        let speedup = run.speedup().map(|s| format!(", {s:.2}\u{d7} the speed of one after another")).unwrap_or_default();
        Some(format!("Simulated {} threads: {} of wall time{speedup}.", o.threads.len(), display::ms(o.wall_ms)))
    }

    fn apply(&mut self, action: Action) -> Vec<Effect> {
        match action {
            Action::Pool(p) => {
                self.pool = p;
                vec![]
            }
            Action::EditSource(s) => {
                self.draft = s;
                vec![]
            }
            Action::ApplySource => match super::config::parse_source(&self.draft) {
                Ok(threads) => {
                    self.config.source = self.draft.clone();
                    self.config.threads = threads;
                    self.parse_error = None;
                    self.edited()
                }
                Err(e) => {
                    self.parse_error = Some(e);
                    vec![]
                }
            },
            Action::LoadPreset(id) => match super::config::preset_config(id) {
                Some(c) => {
                    self.draft = c.source.clone();
                    self.config = c;
                    self.parse_error = None;
                    self.drafts.clear();
                    self.link_errors.clear();
                    self.edited()
                }
                None => vec![],
            },
            Action::SetExec(e) => {
                self.config.exec = e;
                self.edited()
            }
            Action::Set(f, raw) => self.set(f, raw),
            Action::RunFromLink => {
                if !self.run_on_open.take(&self.pool) {
                    return vec![];
                }
                self.update(Action::Run)
            }
            Action::Run => self.start(BatchKind::Run),
            Action::Compare => self.start(BatchKind::Compare),
            Action::Simulated { id, result } => self.finish(id, result),
            Action::Zoom(z) => {
                if let Some(r) = &self.run {
                    self.window = self.window.apply(z, r.outcome.wall_ns);
                }
                vec![]
            }
            Action::DismissLinkErrors => {
                self.link_errors.clear();
                vec![]
            }
            Action::RunReal { lock, k } => {
                if self.real_pending.is_some() || !self.pool.is_ready() {
                    return vec![];
                }
                self.batches += 1;
                let id = self.batches;
                self.real_pending = Some(id);
                let k = k.clamp(1, self.pool.threads());
                vec![Effect::StartReal { id, k, slices: REAL_SLICES, lock, interval_ms: self.config.switch_ms }]
            }
            Action::RealFailed { id, message } => {
                if self.real_pending == Some(id) {
                    self.real_pending = None;
                    self.error = Some(format!("The real run did not start: {message}."));
                }
                vec![]
            }
            Action::RealFinished { id, report } => {
                if self.real_pending != Some(id) {
                    return vec![];
                }
                self.real_pending = None;
                let simulated = simulate_real(&report, self.pool.threads() as u32);
                self.real.push(RealView { report, simulated });
                if self.real.len() > 4 {
                    self.real.remove(0);
                }
                vec![]
            }
        }
    }

    pub fn real_running(&self) -> bool {
        self.real_pending.is_some()
    }

    fn start(&mut self, kind: BatchKind) -> Vec<Effect> {
        if self.pending.is_some() {
            return vec![];
        }
        let problems = self.problems();
        if !problems.is_empty() {
            self.status = Status::Error;
            self.error = Some(format!("Not run: {}.", problems.join("; ")));
            return vec![];
        }
        let cores = self.cores();
        let c = &self.config;
        let tasks = c.tasks();
        let job = |label: &str, exec: ExecKind, interp: Interp| Job {
            label: label.to_string(),
            workload: Workload { tasks: tasks.clone(), executor: c.executor(exec, cores) },
            settings: c.settings(interp, cores),
        };
        let threads_exec = if c.exec == ExecKind::ThreadPool { ExecKind::ThreadPool } else { ExecKind::Threads };
        let threads_label = if threads_exec == ExecKind::ThreadPool { "ThreadPoolExecutor" } else { "threads" };
        let ft = if c.interp.is_free_threaded() { c.interp } else { Interp::Ft314 };
        let (jobs, check) = match kind {
            BatchKind::Run => {
                let (workload, settings) = c.job(cores);
                let main = Job { label: "as configured".into(), workload, settings };
                let seq = job("sequential", ExecKind::Sequential, c.interp);
                let check = c.is_preset().then_some((c.base, c.seed));
                (vec![main, seq], check)
            }
            BatchKind::Compare => (
                vec![
                    job("sequential (GIL)", ExecKind::Sequential, Interp::Gil),
                    job(&format!("{threads_label} (GIL)"), threads_exec, Interp::Gil),
                    job(&format!("{threads_label} ({})", ft.key()), threads_exec, ft),
                    job("ProcessPoolExecutor", ExecKind::ProcessPool, Interp::Gil),
                ],
                None,
            ),
        };
        self.batches += 1;
        let id = self.batches;
        self.pending = Some((id, kind, self.config.clone(), jobs.iter().map(|j| j.label.clone()).collect()));
        self.status = Status::Running;
        self.error = None;
        vec![Effect::Simulate { id, jobs, check }]
    }

    fn finish(&mut self, id: u64, result: BatchResult) -> Vec<Effect> {
        let Some((pending_id, kind, config, labels)) = self.pending.take() else { return vec![] };
        if pending_id != id {
            self.pending = Some((pending_id, kind, config, labels));
            return vec![];
        }
        let mut outcomes = result.outcomes.into_iter();
        match kind {
            BatchKind::Run => match outcomes.next() {
                Some(Ok(outcome)) => {
                    let cores = config.cores_for(self.machine_cores);
                    self.window = Window::all(outcome.wall_ns);
                    let lanes: Vec<&[super::model::StateInterval]> = outcome.threads.iter().map(|t| t.lane.as_slice()).collect();
                    let core_usage = super::lanes::core_usage(&lanes, self.window);
                    self.run = Some(RunView {
                        query: config.to_query(false),
                        preset: config.is_preset().then_some(config.base),
                        exec: config.exec,
                        interp: config.interp,
                        workers: config.workers_for(cores),
                        cores,
                        switch_ms: config.switch_ms,
                        outcome,
                        sequential: outcomes.next().and_then(Result::ok),
                        check: result.check,
                        simulated_ms: result.elapsed_ms,
                        core_usage,
                    });
                    self.status = Status::Done;
                }
                // Earlier results stay on screen; the message says why this run has none.
                Some(Err(e)) => {
                    self.status = Status::Error;
                    self.error = Some(format!("The simulation stopped: {e}."));
                }
                None => {
                    self.status = Status::Error;
                    self.error = Some("The simulation returned nothing.".into());
                }
            },
            BatchKind::Compare => {
                let rows: Vec<(String, Result<Outcome, String>)> = labels.into_iter().zip(outcomes).collect();
                self.compare = Some(rows);
                self.status = Status::Done;
            }
        }
        vec![]
    }

    /// The compare chart's bars: label, wall time (ms) or the error.
    pub fn compare_bars(&self) -> Vec<(String, Result<f64, String>)> {
        self.compare
            .iter()
            .flatten()
            .map(|(l, o)| (l.clone(), o.as_ref().map(|o| o.wall_ms).map_err(Clone::clone)))
            .collect()
    }
}

pool_lab_state!(ThreadsState, ThreadsConfig, |decoded, opening| ThreadsState::new(decoded, opening.pool, opening.machine_cores, opening.site_root));

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use crate::labs::threads::batch::run_batch;
    use crate::labs::threads::config::ThreadsConfig;

    fn open(query: &str) -> ThreadsState {
        ThreadsState::new(ThreadsConfig::from_query(query), PoolStatus::Ready { threads: 2 }, 2, "http://test")
    }

    /// Performs a Simulate effect as the page does.
    fn perform(s: &mut ThreadsState, effects: Vec<Effect>) {
        for e in effects {
            if let Effect::Simulate { id, jobs, check } = e {
                let result = run_batch(&jobs, check, || 0.0);
                s.update(Action::Simulated { id, result });
            }
        }
    }

    fn doc(s: &ThreadsState) -> serde_json::Value {
        serde_json::from_str(&s.results_doc()).expect("results document is JSON")
    }

    #[test]
    fn a_preset_run_gives_its_figures_and_its_cpython_check() {
        let mut s = open("preset=cpu-threads&cores=2");
        let idle = doc(&s);
        assert_eq!((idle["status"].as_str(), idle["preset"].as_str()), (Some("idle"), None), "cores=2 is not the preset's own link");
        let mut s2 = open("preset=cpu-threads");
        assert_eq!(doc(&s2)["preset"], "cpu-threads");
        let effects = s2.update(Action::Run);
        assert!(matches!(effects.as_slice(), [Effect::Simulate { check: Some(("cpu-threads", 1)), .. }]), "{effects:?}");
        perform(&mut s2, effects);
        let d = doc(&s2);
        assert_eq!(d["status"], "done");
        assert_eq!(d["interpreter"], "gil");
        assert_eq!(d["executor"], "threads");
        assert_eq!(d["workers"], 2);
        let speedup = d["speedup"].as_f64().expect("speedup");
        assert!((0.92..=0.99).contains(&speedup), "{speedup}");
        assert!(d["gilSwitches"].as_u64().is_some_and(|n| n > 100), "{d}");
        assert_eq!(d["threads"].as_array().map(Vec::len), Some(2));
        assert!(d["headlines"].as_array().is_some_and(|h| !h.is_empty()));
        assert_eq!(d["ioLatencyMs"], serde_json::Value::Null);
        let run = s2.run.as_ref().expect("run");
        assert_eq!(run.check_source(), "Source: CPython 3.11 and 3.13 measured on a 2-core machine.");

        perform(&mut s, vec![]);
        let effects = s.update(Action::Run);
        assert!(matches!(effects.as_slice(), [Effect::Simulate { check: None, .. }]));
    }

    #[test]
    fn the_convoy_reports_io_latency() {
        let mut s = open("preset=convoy");
        let effects = s.update(Action::Run);
        perform(&mut s, effects);
        let d = doc(&s);
        let p50 = d["ioLatencyMs"]["p50"].as_f64().expect("p50");
        assert!((5.0..5.6).contains(&p50), "{p50}");
        assert_eq!(d["ioLatencyMs"]["count"], 200);
    }

    #[test]
    fn compare_runs_four_ways_and_keeps_the_run() {
        let mut s = open("preset=cpu-threads");
        let effects = s.update(Action::Run);
        perform(&mut s, effects);
        let effects = s.update(Action::Compare);
        let Some(Effect::Simulate { jobs, .. }) = effects.first() else { panic!("{effects:?}") };
        let labels: Vec<&str> = jobs.iter().map(|j| j.label.as_str()).collect();
        assert_eq!(labels, ["sequential (GIL)", "threads (GIL)", "threads (3.14t)", "ProcessPoolExecutor"]);
        perform(&mut s, effects);
        let bars = s.compare_bars();
        let wall = |i: usize| bars[i].1.clone().expect("ran");
        assert!(wall(2) < wall(1) && wall(3) < wall(1), "{bars:?}");
        let d = doc(&s);
        assert_eq!(d["compare"].as_array().map(Vec::len), Some(4));
        assert!(d["wallMs"].as_f64().is_some(), "the run is kept beside the comparison");
    }

    #[test]
    fn a_failed_simulation_keeps_earlier_results_and_says_why() {
        let mut s = open("preset=cpu-threads");
        let effects = s.update(Action::Run);
        perform(&mut s, effects);
        let before = doc(&s)["wallMs"].clone();
        let effects = s.update(Action::Run);
        let Some(Effect::Simulate { id, .. }) = effects.first() else { panic!() };
        s.update(Action::Simulated { id: *id, result: BatchResult { outcomes: vec![Err("the event budget ran out".into())], check: None, elapsed_ms: 0.0 } });
        let d = doc(&s);
        assert_eq!(d["status"], "error");
        assert!(d["error"].as_str().is_some_and(|e| e.contains("event budget")));
        assert_eq!(d["wallMs"], before);
    }

    #[test]
    fn bad_input_is_refused_with_a_message_and_stale_batches_dropped() {
        let mut s = open("");
        s.update(Action::Set(Field::Switch, "0".into()));
        s.update(Action::Set(Field::Cores, "65".into()));
        assert_eq!(s.problems().len(), 2, "{:?}", s.problems());
        assert!(s.update(Action::Run).is_empty());
        assert_eq!(doc(&s)["status"], "error");
        s.update(Action::Set(Field::Switch, "1".into()));
        s.update(Action::Set(Field::Cores, "4".into()));
        let effects = s.update(Action::Run);
        assert!(s.update(Action::Run).is_empty(), "one batch at a time");
        s.update(Action::Simulated { id: 99, result: BatchResult { outcomes: vec![], check: None, elapsed_ms: 0.0 } });
        assert!(s.is_running());
        perform(&mut s, effects);
        assert_eq!(doc(&s)["cores"], 4);
        assert_eq!(doc(&s)["switchIntervalMs"], 1.0);

        s.update(Action::EditSource("thread t:\n    io(".into()));
        assert!(s.update(Action::ApplySource).is_empty());
        assert!(s.parse_error.is_some());
        s.update(Action::EditSource("thread t * 3:\n    release(5)\n".into()));
        let q = s.update(Action::ApplySource);
        assert!(matches!(q.as_slice(), [Effect::WriteQuery(q)] if q.contains("src=")));
        assert_eq!(s.config.threads.len(), 3);
    }

    #[test]
    fn the_selects_are_parsed_here_and_an_unknown_value_is_refused() {
        use crate::labs::threads::model::StartMethod;
        let mut s = open("preset=cpu-processes");
        let q = s.update(Action::Set(Field::Start, "spawn".into()));
        assert!(matches!(q.as_slice(), [Effect::WriteQuery(q)] if q.ends_with("&start=spawn")), "{q:?}");
        assert_eq!(s.config.start, StartMethod::Spawn);
        // Not silently fork: the value is refused and named, and nothing runs until it is fixed.
        assert!(s.update(Action::Set(Field::Start, "vfork".into())).is_empty());
        assert_eq!(s.config.start, StartMethod::Spawn);
        assert_eq!(s.problems(), ["start method: vfork is not one of fork, forkserver, spawn"]);
        assert!(s.update(Action::Run).is_empty());
        s.update(Action::Set(Field::Start, "forkserver".into()));
        assert!(s.problems().is_empty(), "{:?}", s.problems());
        assert_eq!((s.config.start, s.shown(Field::Start)), (StartMethod::Forkserver, "forkserver".to_string()));

        s.update(Action::Set(Field::Slowdown, "12".into()));
        assert_eq!(s.config.slowdown_pct, Some(12.0));
        let q = s.update(Action::Set(Field::Interp, "3.13t".into()));
        assert!(matches!(q.as_slice(), [Effect::WriteQuery(q)] if q.contains("interp=3.13t") && !q.contains("slowdown")), "{q:?}");
        assert_eq!((s.config.interp, s.config.slowdown_pct), (Interp::Ft313, None));
        assert_eq!(s.shown(Field::Slowdown), "40", "the new build's figure, not the old draft");
        assert!(s.update(Action::Set(Field::Interp, "nogil".into())).is_empty());
        assert_eq!(s.config.interp, Interp::Ft313);
        assert_eq!(s.problems(), ["interpreter: nogil is not one of gil, 3.13t, 3.14t"]);
        s.update(Action::Set(Field::Interp, "gil".into()));
        assert!(s.problems().is_empty() && s.config.interp == Interp::Gil);
    }

    #[test]
    fn a_real_run_needs_workers_and_reports_what_the_lock_did() {
        use crate::labs::threads::real_gil::run_cpu_threads;
        let mut none = ThreadsState::new(ThreadsConfig::from_query(""), PoolStatus::SingleThread { reason: "no".into() }, 2, "");
        assert!(none.update(Action::RunReal { lock: true, k: 2 }).is_empty());
        let mut s = open("");
        let effects = s.update(Action::RunReal { lock: true, k: 9 });
        let [Effect::StartReal { id, k, lock, interval_ms, .. }] = effects.as_slice() else { panic!("{effects:?}") };
        assert_eq!((*k, *lock, *interval_ms), (2, true, 5.0));
        assert!(s.update(Action::RunReal { lock: false, k: 2 }).is_empty(), "one real run at a time");
        // Perform it on OS threads, as the page does on Web Workers.
        fn clock() -> f64 {
            static START: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();
            START.get_or_init(std::time::Instant::now).elapsed().as_secs_f64() * 1000.0
        }
        let mut handles = Vec::new();
        let run = run_cpu_threads(*k, 20, || {
            crate::labs::threads::real_gil::cpu_slice(20_000);
        }, *lock, 0.5, clock, |job| handles.push(std::thread::spawn(job))).expect("starts");
        for h in handles {
            let _ = h.join();
        }
        let report = run.report().expect("done");
        s.update(Action::RealFinished { id: *id, report });
        let d = doc(&s);
        assert_eq!(d["real"][0]["lock"], true);
        assert_eq!(d["real"][0]["violations"], 0);
        assert_eq!(d["real"][0]["k"], 2);
        let sim = d["real"][0]["simulatedWallMs"].as_f64().expect("simulated beside it");
        let measured = d["real"][0]["wallMs"].as_f64().unwrap_or(0.0);
        assert!(sim > 0.0 && measured > 0.0, "{d}");
        assert!(!s.real_running());
    }
}
