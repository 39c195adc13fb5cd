//! The async lab's page state as a pure state machine: the form, the run's lifecycle
//! (idle, running, done, cancelled) and the results document. The page sends actions and
//! performs the effects: write the address bar, start the experiment's future on the
//! browser's event loop (built by [`launch`], which the native tests run in virtual time),
//! abort it.

use super::config::{
    parse_items, strategy_key, url_problem, AioConfig, Decoded, Experiment, Network, MAX_BLOCK_MS, MAX_LATENCY_MS,
    MAX_QUEUE, MAX_SIMULATED, MAX_STAGE_MS, MAX_TIMEOUT_MS,
};
use super::model::{self, ids_for, plan, py_list, Env, Phase, PipelineRecord, Planned, Rec, Recorder, RequestRecord, Strategy};
use crate::core::lab::{absolute_link, results_document, whole_ms, DocCache, Drafts, PoolStatus, Status, RunOnOpen};
use crate::core::link::{group, LinkError};
use crate::core::round_to_micros;
use futures::future::LocalBoxFuture;
use std::cell::RefCell;
use std::rc::Rc;
use crate::labs::host::pool_lab_state;

/// A typed input; declared in the form's order, which is the order its errors list in.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
pub enum Field {
    N, Latency, Jitter, Fail, Seed, Limit, Timeout, Deadline, Block, Url, Items, Q1, Q2, Pms, Tms, Sms,
}

impl Field {
    /// The input's `data-testid`.
    pub fn id(self) -> &'static str {
        match self {
            Field::N => "aio-n", Field::Latency => "aio-latency", Field::Jitter => "aio-jitter", Field::Fail => "aio-fail",
            Field::Seed => "aio-seed", Field::Limit => "aio-limit", Field::Timeout => "aio-timeout", Field::Deadline => "aio-deadline",
            Field::Block => "aio-block", Field::Url => "aio-url", Field::Items => "aio-items", Field::Q1 => "aio-q1", Field::Q2 => "aio-q2",
            Field::Pms => "aio-pms", Field::Tms => "aio-tms", Field::Sms => "aio-sms",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Field::N => "requests", Field::Latency => "latency", Field::Jitter => "jitter", Field::Fail => "failure rate",
            Field::Seed => "seed", Field::Limit => "semaphore", Field::Timeout => "timeout", Field::Deadline => "deadline",
            Field::Block => "blocking work", Field::Url => "URL", Field::Items => "items", Field::Q1 => "queue 1 size",
            Field::Q2 => "queue 2 size", Field::Pms => "producer delay", Field::Tms => "transformer delay", Field::Sms => "saver delay",
        }
    }
}

fn whole(raw: &str, max: u64) -> Result<u64, String> {
    let t = raw.trim();
    match t.parse::<u64>() {
        Ok(v) if v <= max => Ok(v),
        _ if !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()) => Err(format!("at most {}", group(max))),
        _ => Err("not a whole number".into()),
    }
}

/// The run's record, shared with its future while it runs.
#[derive(Clone, Debug)]
pub enum Last {
    Requests { rec: Rec, config: AioConfig },
    Pipeline { rec: Rc<RefCell<PipelineRecord>>, config: AioConfig },
}

/// The seeded latencies and failures of a simulated run of `config`.
pub fn planned(config: &AioConfig) -> Vec<Planned> {
    let ids = ids_for(config.n);
    plan(&ids, config.latency_ms as f64, config.jitter_ms as f64, config.fail_pct as f64 / 100.0, config.seed)
}

/// Builds `config`'s experiment on `env`: the record the page draws, and the future that
/// fills it in.
pub fn launch(config: &AioConfig, env: Rc<dyn Env>) -> (Last, LocalBoxFuture<'static, ()>) {
    match config.experiment {
        Experiment::Requests => {
            let rec = Recorder::new(&ids_for(config.n), env.now());
            let fut = model::run(Rc::clone(&env), Rc::clone(&rec), config.run_spec());
            (Last::Requests { rec, config: config.clone() }, fut)
        }
        Experiment::Pipeline => {
            let (rec, fut) = model::pipeline(env, config.pipeline.clone());
            (Last::Pipeline { rec, config: config.clone() }, fut)
        }
    }
}

#[derive(Clone, Debug)]
pub enum Action {
    Pool(PoolStatus),
    Set(Field, String),
    SetStrategy(Strategy),
    SetNetwork(Network),
    SetExperiment(Experiment),
    ToggleOffload,
    LoadPreset(&'static str),
    DismissLinkErrors,
    Run,
    /// The run a `run=1` link asked for, once the page knows whether it has workers.
    RunFromLink,
    /// The page built run `id`'s future; `last` is the record it fills in.
    Started { id: u64, last: Last },
    /// Run `id`'s future has ended (finished, or aborted after a cancel).
    Finished { id: u64 },
    Cancel,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Effect {
    WriteQuery(String),
    /// Build `config`'s experiment with [`launch`], report `Action::Started`, spawn it,
    /// and report `Action::Finished` when it ends.
    Start { id: u64, config: AioConfig, workers: bool },
    Abort { id: u64 },
}

pub struct AioState {
    pub config: AioConfig,
    pub link_errors: Vec<LinkError>,
    pub drafts: Drafts<Field>,
    pub pool: PoolStatus,
    site_root: String,
    run_on_open: RunOnOpen,
    /// The id of the run in progress.
    running: Option<u64>,
    runs_started: u64,
    pub last: Option<Last>,
    pub status: Status,
    /// The results document, computed once per finished run (it can be large).
    doc_cache: DocCache,
}

impl AioState {
    pub fn new(decoded: Decoded, pool: PoolStatus, site_root: &str) -> AioState {
        AioState {
            config: decoded.config,
            link_errors: decoded.errors,
            drafts: Drafts::default(),
            pool,
            site_root: site_root.to_string(),
            run_on_open: RunOnOpen::new(decoded.run),
            running: None,
            runs_started: 0,
            last: None,
            status: Status::Idle,
            doc_cache: DocCache::default(),
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

    pub fn is_running(&self) -> bool {
        self.running.is_some()
    }

    pub fn run_pending(&self) -> bool {
        self.run_on_open.pending(&self.pool)
    }

    /// The text an input shows.
    pub fn shown(&self, f: Field, configured: impl FnOnce() -> String) -> String {
        self.drafts.shown(f, configured)
    }

    pub fn problems(&self) -> Vec<String> {
        let mut out: Vec<String> = self.drafts.errors().cloned().collect();
        out.extend(self.config.problems());
        out
    }

    /// to_thread was asked for, but there is no worker to run it on.
    pub fn offload_blocks(&self) -> bool {
        self.config.offload && !self.pool.is_ready()
    }

    fn set(&mut self, f: Field, raw: String) -> Vec<Effect> {
        let c = &mut self.config;
        let read = |raw: &str| -> Result<(), String> {
            match f {
                Field::N => whole(raw, MAX_SIMULATED).and_then(|v| if v == 0 { Err("at least 1".into()) } else { c.n = v as usize; Ok(()) }),
                Field::Latency => whole(raw, MAX_LATENCY_MS).map(|v| c.latency_ms = v),
                Field::Jitter => whole(raw, MAX_LATENCY_MS).map(|v| c.jitter_ms = v),
                Field::Fail => whole(raw, 100).map(|v| c.fail_pct = v),
                Field::Seed => whole(raw, u64::from(u32::MAX)).map(|v| c.seed = v),
                Field::Limit => whole(raw, MAX_SIMULATED).map(|v| c.limit = v as usize),
                Field::Timeout => whole(raw, MAX_TIMEOUT_MS).map(|v| c.timeout_ms = v),
                Field::Deadline => whole(raw, MAX_TIMEOUT_MS).map(|v| c.deadline_ms = v),
                Field::Block => whole(raw, MAX_BLOCK_MS).map(|v| c.block_ms = v),
                Field::Url => {
                    let t = raw.trim();
                    if t.is_empty() {
                        c.url = None;
                        Ok(())
                    } else {
                        match url_problem(t) {
                            None => {
                                c.url = Some(t.to_string());
                                Ok(())
                            }
                            Some(p) => Err(p),
                        }
                    }
                }
                Field::Items => parse_items(raw).map(|v| c.pipeline.items = v),
                Field::Q1 => whole(raw, MAX_QUEUE).map(|v| c.pipeline.q1 = v as usize),
                Field::Q2 => whole(raw, MAX_QUEUE).map(|v| c.pipeline.q2 = v as usize),
                Field::Pms => whole(raw, MAX_STAGE_MS).map(|v| c.pipeline.produce_ms = v as f64),
                Field::Tms => whole(raw, MAX_STAGE_MS).map(|v| c.pipeline.transform_ms = v as f64),
                Field::Sms => whole(raw, MAX_STAGE_MS).map(|v| c.pipeline.save_ms = v as f64),
            }
            .map_err(|m| format!("{}: {m}", f.label()))
        };
        match self.drafts.take(f, raw, read) {
            Some(()) => vec![self.write_query()],
            None => vec![],
        }
    }

    pub fn update(&mut self, action: Action) -> Vec<Effect> {
        match action {
            Action::Pool(p) => {
                self.pool = p;
                vec![]
            }
            Action::Set(f, v) => self.set(f, v),
            Action::SetStrategy(s) => {
                self.config.strategy = s;
                vec![self.write_query()]
            }
            Action::SetNetwork(n) => {
                self.config.network = n;
                vec![self.write_query()]
            }
            Action::SetExperiment(e) => {
                self.config.experiment = e;
                vec![self.write_query()]
            }
            Action::ToggleOffload => {
                self.config.offload = !self.config.offload;
                vec![self.write_query()]
            }
            Action::LoadPreset(id) => {
                let Some(p) = super::META.preset(id) else { return vec![] };
                self.config = AioConfig::from_query(p.query).config;
                self.drafts.clear();
                self.link_errors.clear();
                vec![self.write_query()]
            }
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
                if self.running.is_some() || !self.problems().is_empty() {
                    return vec![];
                }
                self.runs_started += 1;
                let id = self.runs_started;
                self.running = Some(id);
                self.status = Status::Running;
                self.doc_cache.forget();
                vec![Effect::Start { id, config: self.config.clone(), workers: self.pool.is_ready() }]
            }
            Action::Started { id, last } => {
                if self.running == Some(id) {
                    self.last = Some(last);
                }
                vec![]
            }
            Action::Finished { id } => {
                if self.running != Some(id) {
                    return vec![];
                }
                self.running = None;
                if self.status == Status::Running {
                    self.status = Status::Done;
                }
                // The record is final now: it is serialised once, when next shown.
                self.doc_cache.forget();
                vec![]
            }
            Action::Cancel => match self.running {
                Some(id) => {
                    self.status = Status::Cancelled;
                    vec![Effect::Abort { id }]
                }
                None => vec![],
            },
        }
    }

    /// The preset whose settings are on screen, for the preset bar to mark.
    pub fn preset(&self) -> Option<&'static str> {
        super::META.preset_matching(|q| AioConfig::from_query(q).config == self.config)
    }

    /// The status line: the run under way, or what the last one came to. Made afresh at
    /// each redraw, as the running experiment's record fills in.
    pub fn status_line(&self) -> Option<String> {
        let last = self.last.as_ref()?;
        let running = self.status == Status::Running;
        Some(match last {
            Last::Requests { rec, .. } => {
                let r = rec.borrow();
                let n = r.requests.len();
                match (running, r.finished_at) {
                    (true, _) | (false, None) => format!("Running {n} requests\u{2026}"),
                    (false, Some(wall)) => {
                        let how = if self.status == Status::Cancelled { "Cancelled after" } else { "Done:" };
                        format!(
                            "{how} {n} requests in {} ms: {} done, {} failed, {} timed out, {} cancelled.",
                            whole_ms(wall),
                            r.count(Phase::Done),
                            r.count(Phase::Failed),
                            r.count(Phase::TimedOut),
                            r.count(Phase::Cancelled)
                        )
                    }
                }
            }
            Last::Pipeline { rec, .. } => {
                let r = rec.borrow();
                match (running, r.finished_at) {
                    (true, _) | (false, None) => "Running the pipeline\u{2026}".to_string(),
                    (false, Some(wall)) => format!("Done: the pipeline saved {} items in {} ms.", r.output.len(), whole_ms(wall)),
                }
            }
        })
    }

    /// The sentence under a finished request run's figures: what creating the coroutines
    /// took beside running them (the tutorial's timing pitfall).
    pub fn creation_sentence(&self) -> Option<String> {
        let Some(Last::Requests { rec, .. }) = &self.last else { return None };
        let r = rec.borrow();
        let wall = r.finished_at?;
        let n = r.requests.len();
        let ran = if self.status == Status::Cancelled { "running them until the cancel took" } else { "running them took" };
        Some(match r.creation_ms.unwrap_or(0.0) {
            c if c < 0.01 => format!("Creating the {n} coroutines took under 0.01 ms (below this clock's resolution); {ran} {} ms. ", whole_ms(wall)),
            c => format!("Creating the {n} coroutines took {c:.3} ms; {ran} {} ms. ", whole_ms(wall)),
        })
    }

    pub fn results_doc(&self) -> Rc<str> {
        // A running experiment's record changes under the state (its futures write it), and
        // before any run the document follows the settings: both are serialised afresh.
        // A finished run's is kept until the next run.
        if self.running.is_some() || self.last.is_none() {
            return Rc::from(self.build_results_doc());
        }
        self.doc_cache.get((), || self.build_results_doc())
    }

    fn build_results_doc(&self) -> String {
        let query = match &self.last {
            Some(Last::Requests { config, .. } | Last::Pipeline { config, .. }) => config.to_query(false),
            None => self.query(),
        };
        let body = match &self.last {
            None => serde_json::json!({ "experiment": self.config.experiment }),
            Some(Last::Requests { rec, config }) => {
                let r = rec.borrow();
                let running = self.status == Status::Running;
                let count = |p: Phase| r.count(p);
                let sum = r.sum_of_latencies();
                let wall = r.finished_at;
                let mut doc = serde_json::json!({
                    "experiment": "requests",
                    "network": config.network,
                    "mode": strategy_key(config.strategy),
                    // null when no semaphore is used: k = 0, or one request at a time anyway.
                    "limit": config.run_spec().limit,
                    "timeoutMs": (config.timeout_ms > 0).then_some(config.timeout_ms),
                    "deadlineMs": (config.deadline_ms > 0).then_some(config.deadline_ms),
                    "blockMs": config.block_ms,
                    "offload": config.offload,
                    "total": r.requests.len(),
                    "done": count(Phase::Done),
                    "failed": count(Phase::Failed),
                    "cancelled": count(Phase::Cancelled),
                    "timedOut": count(Phase::TimedOut),
                    "wallMs": wall.map(round_to_micros),
                    "sumOfLatenciesMs": round_to_micros(sum),
                    "speedup": r.speedup().map(round_to_micros),
                    "creationMs": r.creation_ms.map(|c| (c * 1e6).round() / 1e6),
                    "maxInFlight": r.max_in_flight(),
                    "note": r.note,
                });
                if !running {
                    doc["requests"] = serde_json::to_value(r.requests.iter().map(|q| RequestRecord {
                        start_ms: q.start_ms.map(round_to_micros), end_ms: q.end_ms.map(round_to_micros), wait_ms: q.wait_ms.map(round_to_micros), ..q.clone()
                    }).collect::<Vec<_>>()).unwrap_or_default();
                    doc["events"] = serde_json::to_value(r.events.iter().take(2000).map(|e| serde_json::json!({"t": round_to_micros(e.t), "index": e.index, "text": e.text})).collect::<Vec<_>>()).unwrap_or_default();
                }
                doc
            }
            Some(Last::Pipeline { rec, config }) => {
                let r = rec.borrow();
                let blocked: f64 = r.producer_blocked.iter().map(|(a, b)| b - a).sum();
                serde_json::json!({
                    "experiment": "pipeline",
                    "q1": config.pipeline.q1, "q2": config.pipeline.q2,
                    "output": r.output,
                    "outputRepr": py_list(&r.output),
                    "wallMs": r.finished_at.map(round_to_micros),
                    "producerBlockedMs": round_to_micros(blocked),
                    "maxDepth": [r.depths.iter().map(|d| d.1).max().unwrap_or(0), r.depths.iter().map(|d| d.2).max().unwrap_or(0)],
                    "events": r.events.iter().map(|e| serde_json::json!({"t": round_to_micros(e.t), "stage": e.index, "text": e.text})).collect::<Vec<_>>(),
                })
            }
        };
        results_document("async", self.status, &absolute_link(&self.site_root, "/async", &query), &body)
    }
}

pool_lab_state!(AioState, AioConfig, |decoded, opening| AioState::new(decoded, opening.pool, opening.site_root));

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use crate::labs::aio::model::virtual_time::{block_on, block_on_cancelled_at, Clock, SimEnv};

    fn open(query: &str) -> AioState {
        AioState::new(AioConfig::from_query(query), PoolStatus::Ready { threads: 2 }, "http://test")
    }

    fn doc(s: &AioState) -> serde_json::Value {
        serde_json::from_str(&s.results_doc()).expect("results document is JSON")
    }

    /// Performs a Start effect as the page does, in virtual time; `cancel_at` cancels the
    /// run at that simulated time.
    fn perform_start(s: &mut AioState, effects: Vec<Effect>, cancel_at: Option<f64>) {
        let Some(Effect::Start { id, config, workers }) = effects.into_iter().find(|e| matches!(e, Effect::Start { .. })) else {
            panic!("no Start effect")
        };
        let clock = Rc::new(Clock::default());
        let env: Rc<dyn Env> = Rc::new(SimEnv { clock: Rc::clone(&clock), plan: planned(&config), workers });
        let (last, fut) = launch(&config, env);
        s.update(Action::Started { id, last });
        assert_eq!(doc(s)["status"], "running");
        match cancel_at {
            None => assert!(block_on(&clock, fut)),
            Some(at) => {
                assert!(block_on_cancelled_at(&clock, fut, at));
                assert_eq!(s.update(Action::Cancel), vec![Effect::Abort { id }]);
            }
        }
        s.update(Action::Finished { id });
    }

    #[test]
    fn idle_document_follows_the_settings() {
        let mut s = open("exp=pipeline");
        let d = doc(&s);
        assert_eq!((d["lab"].as_str(), d["status"].as_str(), d["experiment"].as_str()), (Some("async"), Some("idle"), Some("pipeline")));
        s.update(Action::SetExperiment(Experiment::Requests));
        assert_eq!(doc(&s)["experiment"], "requests");
        assert_eq!(doc(&s)["link"], format!("http://test/async?{}", s.query()));
    }

    #[test]
    fn a_run_goes_from_running_to_done_and_its_document_is_kept() {
        let mut s = open("net=sim&n=4&lat=1000&jitter=0&seed=1&mode=gather&k=2");
        let effects = s.update(Action::Run);
        assert!(s.update(Action::Run).is_empty(), "one run at a time");
        perform_start(&mut s, effects, None);
        let d = doc(&s);
        assert_eq!(d["status"], "done");
        assert_eq!(d["wallMs"], 2000.0);
        assert_eq!(d["limit"], 2);
        assert_eq!(d["maxInFlight"], 2);
        assert_eq!(d["requests"].as_array().map(Vec::len), Some(4));
        // Settings changed after the run: the document still describes (and links to) it.
        s.update(Action::Set(Field::N, "9".into()));
        let after = doc(&s);
        assert_eq!(after["total"], 4);
        assert!(after["link"].as_str().is_some_and(|l| l.contains("n=4")), "{}", after["link"]);
    }

    #[test]
    fn a_cancel_keeps_what_had_finished_and_the_wall_time() {
        let mut s = open("net=sim&n=15&lat=200&jitter=0&seed=1&mode=seq&k=0");
        let effects = s.update(Action::Run);
        perform_start(&mut s, effects, Some(450.0));
        let d = doc(&s);
        assert_eq!(d["status"], "cancelled");
        assert_eq!(d["done"], 2);
        assert!(d["cancelled"].as_u64().is_some_and(|n| n >= 1), "{d}");
        assert!(!s.is_running());
        assert!(s.update(Action::Cancel).is_empty(), "nothing to cancel");
    }

    #[test]
    fn news_of_an_older_run_is_ignored() {
        let mut s = open("net=sim&n=2&lat=10&jitter=0&mode=gather&k=0");
        s.update(Action::Run);
        s.update(Action::Finished { id: 99 });
        assert!(s.is_running());
        assert_eq!(s.status, Status::Running);
    }

    #[test]
    fn fields_report_errors_and_a_bad_form_does_not_run() {
        let mut s = open("");
        assert!(s.update(Action::Set(Field::N, "0".into())).is_empty());
        assert!(s.update(Action::Set(Field::Latency, "99999999".into())).is_empty());
        assert_eq!(s.problems(), ["requests: at least 1", "latency: at most 60,000"]);
        assert_eq!(s.shown(Field::N, || "15".into()), "0");
        assert!(s.update(Action::Run).is_empty());
        assert_eq!(s.status, Status::Idle);
        s.update(Action::LoadPreset("gather"));
        assert!(s.problems().is_empty(), "a preset replaces the drafts");
    }

    #[test]
    fn the_pipeline_prints_pythons_list() {
        let mut s = open("exp=pipeline");
        let effects = s.update(Action::Run);
        perform_start(&mut s, effects, None);
        let d = doc(&s);
        assert_eq!(d["outputRepr"], "[0.4, 0.8, 1.2000000000000002, 0.6000000000000001, 1.0, 1.4000000000000001, 1.8]");
        assert_eq!(d["status"], "done");
    }

    #[test]
    fn a_run_link_runs_once_the_pool_is_known() {
        let mut s = AioState::new(AioConfig::from_query("n=3&run=1"), PoolStatus::Starting, "");
        assert!(s.update(Action::RunFromLink).is_empty());
        s.update(Action::Pool(PoolStatus::Ready { threads: 2 }));
        assert!(matches!(s.update(Action::RunFromLink).as_slice(), [Effect::Start { workers: true, .. }]));
        assert!(s.update(Action::RunFromLink).is_empty());
    }
}
