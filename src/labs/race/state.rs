//! The race lab's page state as a pure state machine: the scenario in the editor, the
//! schedule and the stepper's position, the exhaustive count and the repeated runs. The
//! page sends actions and performs the effects (write the address bar, start a count on a
//! worker); a count that finishes after the scenario changed is dropped here.

use super::config::{Decoded, Mode, Prediction, RaceConfig, MAX_RUNS};
use super::explore::{explore, Exhaustive};
use super::lang::{self, ParseError, Program};
use super::lang::OpKind;
use super::machine::{enabled, is_done, outcome, replay, Outcome, State, Trace};
use super::sched::{self, Scheduler};
use super::SCENARIOS;
use crate::core::lab::{absolute_link, results_document, PoolStatus, Status, RunOnOpen};
use crate::core::link::{group, quote, LinkError};
use crate::core::round_to_micros;
use serde::Serialize;
use crate::labs::host::pool_lab_state;
use std::collections::BTreeMap;
use std::rc::Rc;

/// The exhaustive count as shown, with how long it took.
#[derive(Clone, Debug)]
pub struct Counted {
    pub result: Result<Exhaustive, String>,
    pub ms: f64,
    pub on_worker: bool,
}

/// Counts every interleaving of `program`: the job the page runs on a worker (or inline).
/// `now` is the page's clock, for the time it took.
pub fn count(program: &Program, on_worker: bool, now: impl Fn() -> f64) -> Counted {
    let t0 = now();
    let result = explore(program, true).map_err(|e| e.to_string());
    Counted { result, ms: now() - t0, on_worker }
}

/// Outcomes of N runs of one scheduler, most frequent first.
#[derive(Clone, Debug)]
pub struct ManyRuns {
    pub scheduler: Scheduler,
    pub first_seed: u64,
    pub counts: Vec<(Outcome, u32)>,
    pub n: u32,
}

#[derive(Clone, Debug)]
pub enum Action {
    Pool(PoolStatus),
    EditSource(String),
    ApplySource,
    LoadPreset(&'static str),
    SetScheduler(String),
    SetSeed(String),
    SetRuns(String),
    SetPredict(String),
    Forward,
    Back,
    Reset,
    ToEnd,
    StepThread(usize),
    JumpTo(usize),
    Count,
    /// A count started for scenario `generation` has finished.
    Counted { generation: u64, counted: Counted },
    RunMany,
    LoadWitness(usize),
    DismissLinkErrors,
    /// What a `run=1` link asked for, once the page knows whether it has workers.
    RunFromLink,
}

/// The stepper's keys: what a key press (outside any text field, without modifiers) does.
pub fn key_action(key: &str) -> Option<Action> {
    Some(match key {
        "ArrowRight" => Action::Forward,
        "ArrowLeft" => Action::Back,
        "Home" => Action::Reset,
        "End" => Action::ToEnd,
        k => match k.parse::<usize>() {
            Ok(n) if (1..=8).contains(&n) => Action::StepThread(n - 1),
            _ => return None,
        },
    })
}

#[derive(Clone, Debug)]
pub enum Effect {
    WriteQuery(String),
    /// Count every interleaving of `program` (on a worker when `on_worker`), then report
    /// `Action::Counted` with this generation.
    StartCount { generation: u64, program: Program, on_worker: bool },
    /// Move the keyboard focus to the stepper: a witness was loaded there, and its keys
    /// (End, arrows) act where the focus is.
    FocusStepper,
}

/// One thread's lane in the stepper.
#[derive(Clone, Debug, PartialEq)]
pub struct Lane {
    pub done: bool,
    /// The source line it runs next.
    pub next_line: Option<usize>,
    /// Whether it can take a step now (not finished, not waiting for a lock).
    pub can_step: bool,
    /// "ready", "waiting for LOCK", "finished" or "failed".
    pub status: String,
}

pub struct RaceState {
    pub config: RaceConfig,
    pub link_errors: Vec<LinkError>,
    /// The editor's text, applied or not.
    pub draft: String,
    pub parse_error: Option<ParseError>,
    pub trace: Trace,
    pub pool: PoolStatus,
    site_root: String,
    run_on_open: RunOnOpen,
    pub counted: Option<Counted>,
    /// The scenario generation a count in progress belongs to.
    counting: Option<u64>,
    /// Bumped whenever the scenario changes, so a count of an older scenario that is
    /// still running on a worker is dropped instead of shown against the new one.
    generation: u64,
    pub many: Option<ManyRuns>,
    pub status: Status,
    pub predict_draft: String,
    pub predict_error: Option<String>,
    pub seed_draft: String,
    pub runs_draft: String,
    pub field_error: Option<String>,
    /// The status line's sentence (see `status_line`).
    said: Option<String>,
}

impl RaceState {
    pub fn new(decoded: Decoded, pool: PoolStatus, site_root: &str) -> RaceState {
        let trace = replay(&decoded.config.program, &decoded.config.steps);
        RaceState {
            draft: decoded.config.source.clone(),
            predict_draft: decoded.config.predict.map(|p| p.key()).unwrap_or_default(),
            predict_error: None,
            generation: 0,
            seed_draft: decoded.config.seed.to_string(),
            runs_draft: decoded.config.runs.to_string(),
            config: decoded.config,
            link_errors: decoded.errors,
            parse_error: None,
            trace,
            pool,
            site_root: site_root.to_string(),
            run_on_open: RunOnOpen::new(decoded.run),
            counted: None,
            counting: None,
            many: None,
            status: Status::Idle,
            field_error: None,
            said: None,
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

    pub fn is_counting(&self) -> bool {
        self.counting.is_some()
    }

    /// The editor holds text that has not been applied.
    pub fn is_dirty(&self) -> bool {
        self.draft != self.config.source
    }

    fn retrace(&mut self) {
        self.trace = replay(&self.config.program, &self.config.steps);
        if let Some(i) = self.trace.invalid_at {
            self.config.steps.truncate(i);
        }
        self.config.at = self.config.at.min(self.config.steps.len());
        self.config.given = self.config.given.min(self.config.steps.len());
    }

    /// New schedule from the current scheduler and seed; back to the start.
    fn reschedule(&mut self) {
        self.config.steps = sched::complete(&self.config.program, self.config.scheduler, self.config.seed, &[]);
        self.config.given = 0;
        self.config.at = 0;
        self.retrace();
    }

    fn set_program(&mut self, source: String, program: Program) {
        self.config.source = source.clone();
        self.config.program = program;
        self.draft = source;
        self.parse_error = None;
        self.counted = None;
        self.many = None;
        // A count still running belongs to the old scenario: forget it (its result will
        // arrive with an old generation and be dropped) and let a new count start.
        self.generation += 1;
        if self.counting.take().is_some() {
            self.status = Status::Idle;
        }
        self.reschedule();
    }

    /// The machine state at the stepper's position.
    pub fn state_at(&self) -> &State {
        let i = self.config.at.min(self.trace.states.len().saturating_sub(1));
        &self.trace.states[i]
    }

    /// No thread can take another step at the stepper's position.
    pub fn at_end(&self) -> bool {
        let p = &self.config.program;
        (0..p.threads.len()).all(|t| !enabled(p, self.state_at(), t))
    }

    /// Thread `t` at the current step, as its lane shows it.
    pub fn lane(&self, t: usize) -> Lane {
        let p = &self.config.program;
        let state = self.state_at();
        let done = is_done(p, state, t);
        let failed = state.failed & (1 << t) != 0;
        let op = p.threads[t].ops.get(usize::from(state.pcs[t]));
        let waiting_for = match op.map(|o| &o.kind) {
            Some(OpKind::Acquire { lock }) if !enabled(p, state, t) => Some(p.locks[*lock].clone()),
            _ => None,
        };
        let status = if failed {
            "failed".to_string()
        } else if done {
            "finished".to_string()
        } else if let Some(l) = &waiting_for {
            format!("waiting for {l}")
        } else {
            "ready".to_string()
        };
        Lane { done, next_line: if done { None } else { op.map(|o| o.line) }, can_step: !done && waiting_for.is_none(), status }
    }

    /// Lock `l` at the current step: "free" or "held by NAME", and who waits for it.
    pub fn lock_line(&self, l: usize) -> String {
        let p = &self.config.program;
        let state = self.state_at();
        let holder = state.holders[l].map(|h| p.threads[usize::from(h)].name.clone());
        let waiters: Vec<String> = (0..p.threads.len())
            .filter(|&t| {
                matches!(p.threads[t].ops.get(usize::from(state.pcs[t])).map(|o| &o.kind), Some(OpKind::Acquire { lock }) if *lock == l)
                    && !enabled(p, state, t)
            })
            .map(|t| p.threads[t].name.clone())
            .collect();
        let mut line = holder.map(|h| format!("held by {h}")).unwrap_or_else(|| "free".into());
        if !waiters.is_empty() {
            line.push_str(&format!("; waiting: {}", waiters.join(", ")));
        }
        line
    }

    /// The values shared variable `v` has been given so far: (step index, thread, value).
    pub fn writes_of(&self, v: usize) -> Vec<(usize, usize, i64)> {
        self.trace
            .steps
            .iter()
            .take(self.config.at)
            .enumerate()
            .filter_map(|(i, s)| s.wrote.filter(|(var, _)| *var == v).map(|(_, val)| (i, s.thread, val)))
            .collect()
    }

    /// The steps taken so far in words, for the timeline's list: "Thread-1, line 4:
    /// tmp = balance", with a lost update said where it happened.
    pub fn steps_in_words(&self) -> Vec<String> {
        let p = &self.config.program;
        self.trace
            .steps
            .iter()
            .take(self.config.at)
            .map(|s| {
                let lost = s.lost_update.as_ref().map(|m| format!(" \u{2014} {m}")).unwrap_or_default();
                format!("{}, line {}: {}{lost}", p.threads[s.thread].name, s.line, s.text)
            })
            .collect()
    }

    /// Whether the seed field holds text that is not a seed (for `aria-invalid`).
    pub fn seed_invalid(&self) -> bool {
        self.seed_draft.trim().parse::<u32>().is_err()
    }

    /// Whether the runs field holds text that is not a number of runs.
    pub fn runs_invalid(&self) -> bool {
        !self.runs_draft.trim().parse::<u64>().is_ok_and(|n| (1..=MAX_RUNS).contains(&n))
    }

    /// Updates lost in the steps taken so far.
    pub fn lost_updates(&self) -> usize {
        self.trace.steps.iter().take(self.config.at).filter(|s| s.lost_update.is_some()).count()
    }

    /// What the page says of the user's prediction at the end of a run: whether it was
    /// right, and the sentence. `None` without a prediction.
    pub fn verdict(&self) -> Option<(bool, String)> {
        let want = self.config.predict?;
        let o = outcome(&self.config.program, self.state_at());
        let right = want.matches(&o);
        let var = self.first_var().unwrap_or("the first shared variable");
        let guess = match want {
            Prediction::Value(v) => format!("{var} = {v}"),
            Prediction::Deadlock => "a deadlock".into(),
        };
        let ending = if o.deadlock {
            "this run deadlocked".to_string()
        } else {
            match o.values.first() {
                Some(got) => format!("this run ended with {var} = {got}"),
                None => "this run finished".to_string(),
            }
        };
        let sentence = if right { format!("You predicted {guess}: right for this run.") } else { format!("You predicted {guess}; {ending}.") };
        Some((right, sentence))
    }

    pub fn first_var(&self) -> Option<&str> {
        self.config.program.shared.first().map(|(n, _)| n.as_str())
    }

    pub fn update(&mut self, action: Action) -> Vec<Effect> {
        let ran_many = matches!(action, Action::RunMany);
        let was_counting = self.is_counting();
        let was_at_end = self.at_end() && self.config.at > 0;
        let effects = self.apply(action);
        if self.is_counting() {
            self.said = Some("Counting every interleaving\u{2026}".to_string());
        } else if was_counting {
            self.said = self.count_sentence();
        } else if ran_many && self.many.is_some() {
            self.said = self.many_sentence();
        } else if !was_at_end && self.at_end() && self.config.at > 0 {
            self.said = Some(self.final_sentence());
        }
        effects
    }

    /// What the page's status line says: the result of the latest count, batch of runs
    /// or run to the end, in one sentence.
    pub fn status_line(&self) -> Option<String> {
        self.said.clone()
    }

    fn count_sentence(&self) -> Option<String> {
        let counted = self.counted.as_ref()?;
        let p = &self.config.program;
        Some(match &counted.result {
            Ok(ex) => {
                let top = ex.outcomes.first().map(|o| format!(", most often {} ({})", o.outcome.label(p), o.count)).unwrap_or_default();
                format!("Counted {} interleavings: {} outcome{}{top}.", ex.total, ex.outcomes.len(), if ex.outcomes.len() == 1 { "" } else { "s" })
            }
            Err(e) => format!("Could not count every interleaving: {e}."),
        })
    }

    fn many_sentence(&self) -> Option<String> {
        let m = self.many.as_ref()?;
        let p = &self.config.program;
        let top = m.counts.first().map(|(o, n)| format!(", most often {} ({} runs)", o.label(p), group(u64::from(*n)))).unwrap_or_default();
        Some(format!("Ran {} times: {} outcome{}{top}.", group(u64::from(m.n)), m.counts.len(), if m.counts.len() == 1 { "" } else { "s" }))
    }

    fn final_sentence(&self) -> String {
        let o = outcome(&self.config.program, self.state_at());
        let lost = self.lost_updates();
        let lost = match lost {
            0 => String::new(),
            1 => ", with 1 lost update".to_string(),
            n => format!(", with {n} lost updates"),
        };
        format!("Final: {}{lost}.", o.label(&self.config.program))
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
            Action::ApplySource => match lang::parse(&self.draft) {
                Ok(program) => {
                    let source = self.draft.clone();
                    self.set_program(source, program);
                    vec![self.write_query()]
                }
                // The last good scenario stays in place; only the message changes.
                Err(e) => {
                    self.parse_error = Some(e);
                    vec![]
                }
            },
            Action::LoadPreset(id) => {
                let Some(s) = SCENARIOS.iter().find(|s| s.id == id) else { return vec![] };
                let Ok(program) = lang::parse(s.source) else { return vec![] };
                self.set_program(s.source.to_string(), program);
                self.link_errors.clear();
                vec![self.write_query()]
            }
            Action::SetScheduler(key) => {
                let Some((_, s)) = Scheduler::ALL.iter().find(|(k, _)| *k == key) else { return vec![] };
                self.config.scheduler = *s;
                self.reschedule();
                vec![self.write_query()]
            }
            Action::SetSeed(v) => {
                self.seed_draft = v.clone();
                match v.trim().parse::<u32>() {
                    Ok(seed) => {
                        self.config.seed = u64::from(seed);
                        self.field_error = None;
                        self.reschedule();
                        vec![self.write_query()]
                    }
                    Err(_) => {
                        self.field_error = Some(format!(
                            "seed: \u{201c}{}\u{201d} is not a whole number from 0 to {}",
                            quote(&v),
                            u32::MAX
                        ));
                        vec![]
                    }
                }
            }
            Action::SetRuns(v) => {
                self.runs_draft = v.clone();
                match v.trim().parse::<u64>() {
                    Ok(n) if (1..=MAX_RUNS).contains(&n) => {
                        self.config.runs = n as u32;
                        self.field_error = None;
                        vec![self.write_query()]
                    }
                    _ => {
                        self.field_error = Some(format!("runs: give a whole number from 1 to {}", group(MAX_RUNS)));
                        vec![]
                    }
                }
            }
            Action::SetPredict(v) => {
                // Same rule as the link's `predict`; a bad entry is said, and no
                // prediction is kept (nor put in the link) until it is fixed.
                let (predict, error) = if v.trim().is_empty() {
                    (None, None)
                } else {
                    match Prediction::parse(&v) {
                        Ok(p) => (Some(p), None),
                        Err(m) => (None, Some(m)),
                    }
                };
                self.predict_draft = v;
                self.config.predict = predict;
                self.predict_error = error;
                vec![self.write_query()]
            }
            Action::Forward => {
                if self.config.at >= self.config.steps.len() {
                    return vec![];
                }
                self.config.at += 1;
                self.status = Status::Done;
                vec![self.write_query()]
            }
            Action::Back => {
                if self.config.at == 0 {
                    return vec![];
                }
                self.config.at -= 1;
                vec![self.write_query()]
            }
            Action::Reset => {
                self.config.at = 0;
                vec![self.write_query()]
            }
            Action::ToEnd => {
                self.config.mode = Mode::Step;
                if self.config.scheduler == Scheduler::Manual {
                    // Play the hand-made (or witness) schedule to its end, then finish it
                    // with seeded random choices if it stops before the threads do. The
                    // scheduler then says so: those steps were not chosen by hand.
                    let chosen = self.config.steps.clone();
                    let full = sched::complete(&self.config.program, Scheduler::Random, self.config.seed, &chosen);
                    if full.len() > chosen.len() {
                        self.config.scheduler = Scheduler::Random;
                        self.config.given = chosen.len();
                        self.config.steps = full;
                        self.retrace();
                    }
                }
                self.config.at = self.config.steps.len();
                self.status = Status::Done;
                vec![self.write_query()]
            }
            Action::StepThread(t) => {
                let p = &self.config.program;
                if t >= p.threads.len() || !enabled(p, self.state_at(), t) {
                    return vec![];
                }
                let at = self.config.at;
                self.config.steps.truncate(at);
                self.config.steps.push(t as u8);
                self.config.given = self.config.steps.len();
                self.config.at = at + 1;
                self.config.scheduler = Scheduler::Manual;
                self.retrace();
                self.status = Status::Done;
                vec![self.write_query()]
            }
            Action::JumpTo(i) => {
                self.config.at = i.min(self.config.steps.len());
                vec![self.write_query()]
            }
            Action::Count => {
                if self.counting.is_some() {
                    return vec![];
                }
                self.config.mode = Mode::Exhaustive;
                self.counting = Some(self.generation);
                self.status = Status::Running;
                vec![
                    self.write_query(),
                    Effect::StartCount {
                        generation: self.generation,
                        program: self.config.program.clone(),
                        on_worker: self.pool.is_ready(),
                    },
                ]
            }
            Action::Counted { generation, counted } => {
                if self.counting != Some(generation) || generation != self.generation {
                    return vec![];
                }
                self.status = if counted.result.is_ok() { Status::Done } else { Status::Error };
                self.counted = Some(counted);
                self.counting = None;
                vec![]
            }
            Action::RunMany => {
                self.run_many();
                vec![self.write_query()]
            }
            Action::LoadWitness(i) => {
                let witness = self
                    .counted
                    .as_ref()
                    .and_then(|c| c.result.as_ref().ok())
                    .and_then(|ex| ex.outcomes.get(i))
                    .map(|o| o.witness.clone());
                let Some(w) = witness else { return vec![] };
                self.config.scheduler = Scheduler::Manual;
                self.config.given = w.len();
                self.config.steps = w;
                self.config.at = 0;
                self.retrace();
                vec![self.write_query(), Effect::FocusStepper]
            }
            Action::DismissLinkErrors => {
                self.link_errors.clear();
                vec![]
            }
            Action::RunFromLink => {
                if !self.run_on_open.take(&self.pool) {
                    return vec![];
                }
                let action = match self.config.mode {
                    Mode::Step => Action::ToEnd,
                    Mode::Exhaustive => Action::Count,
                    Mode::Runs => Action::RunMany,
                };
                self.update(action)
            }
        }
    }

    fn run_many(&mut self) {
        self.config.mode = Mode::Runs;
        let p = &self.config.program;
        let scheduler = match self.config.scheduler {
            Scheduler::Manual | Scheduler::RoundRobin => Scheduler::Random,
            s => s,
        };
        let mut counts: BTreeMap<Outcome, u32> = BTreeMap::new();
        for i in 0..self.config.runs {
            let seed = self.config.seed.wrapping_add(u64::from(i));
            let schedule = sched::complete(p, scheduler, seed, &[]);
            let trace = replay(p, &schedule);
            if let Some(last) = trace.states.last() {
                *counts.entry(outcome(p, last)).or_default() += 1;
            }
        }
        let mut counts: Vec<(Outcome, u32)> = counts.into_iter().collect();
        counts.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        self.many = Some(ManyRuns { scheduler, first_seed: self.config.seed, counts, n: self.config.runs });
        self.status = Status::Done;
    }

    pub fn results_doc(&self) -> Rc<str> {
        #[derive(Serialize)]
        #[serde(rename_all = "camelCase")]
        struct OutcomeDoc {
            outcome: String,
            values: BTreeMap<String, i64>,
            deadlock: bool,
            count: String,
            share: f64,
            #[serde(skip_serializing_if = "Option::is_none")]
            witness: Option<Vec<u8>>,
        }
        #[derive(Serialize)]
        #[serde(rename_all = "camelCase")]
        struct Body<'a> {
            scenario: &'a str,
            mode: Mode,
            scheduler: Scheduler,
            seed: u64,
            schedule: &'a [u8],
            /// Leading steps chosen by hand or given in the link.
            steps_given: usize,
            /// Who chose the steps after those (null when there are none).
            finished_by: Option<Scheduler>,
            at: usize,
            #[serde(rename = "finalState")]
            final_state: BTreeMap<String, i64>,
            outcome: Option<String>,
            lost_updates: Vec<usize>,
            exhaustive: Option<serde_json::Value>,
            runs: Option<serde_json::Value>,
            prediction: Option<Prediction>,
            error: Option<String>,
        }
        let p = &self.config.program;
        let values = |o: &Outcome| p.shared.iter().zip(&o.values).map(|((n, _), v)| (n.clone(), *v)).collect::<BTreeMap<_, _>>();
        let end = self.trace.states.last().map(|s| outcome(p, s));
        let finished = self.trace.states.last().is_some_and(|s| (0..p.threads.len()).all(|t| !enabled(p, s, t)));
        let exhaustive = self.counted.as_ref().and_then(|c| c.result.as_ref().ok().map(|ex| (c, ex))).map(|(c, ex)| {
            let outcomes: Vec<OutcomeDoc> = ex
                .outcomes
                .iter()
                .map(|o| OutcomeDoc {
                    outcome: o.outcome.label(p),
                    values: values(&o.outcome),
                    deadlock: o.outcome.deadlock,
                    count: o.count.to_string(),
                    share: o.count as f64 / ex.total.max(1) as f64,
                    witness: Some(o.witness.clone()),
                })
                .collect();
            serde_json::json!({ "total": ex.total.to_string(), "states": ex.states, "ms": round_to_micros(c.ms), "outcomes": outcomes })
        });
        let runs = self.many.as_ref().map(|m| {
            let outcomes: Vec<OutcomeDoc> = m
                .counts
                .iter()
                .map(|(o, n)| OutcomeDoc {
                    outcome: o.label(p),
                    values: values(o),
                    deadlock: o.deadlock,
                    count: n.to_string(),
                    share: f64::from(*n) / f64::from(m.n.max(1)),
                    witness: None,
                })
                .collect();
            serde_json::json!({ "n": m.n, "scheduler": m.scheduler, "firstSeed": m.first_seed, "outcomes": outcomes })
        });
        let error = match &self.counted {
            Some(Counted { result: Err(e), .. }) => Some(e.clone()),
            _ => None,
        };
        let body = Body {
            scenario: self.config.preset_id().unwrap_or("custom"),
            mode: self.config.mode,
            scheduler: self.config.scheduler,
            seed: self.config.seed,
            schedule: &self.config.steps,
            steps_given: self.config.given,
            finished_by: self.config.finished_by(),
            at: self.config.at,
            final_state: end.as_ref().map(values).unwrap_or_default(),
            outcome: end.filter(|_| finished).map(|o| o.label(p)),
            lost_updates: self.trace.steps.iter().enumerate().filter(|(_, s)| s.lost_update.is_some()).map(|(i, _)| i).collect(),
            exhaustive,
            runs,
            prediction: self.config.predict,
            error,
        };
        results_document("race", self.status, &absolute_link(&self.site_root, "/race", &self.query()), &body).into()
    }
}

pool_lab_state!(RaceState, RaceConfig, |decoded, opening| RaceState::new(decoded, opening.pool, opening.site_root));

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;

    fn open(query: &str) -> RaceState {
        RaceState::new(RaceConfig::from_query(query), PoolStatus::Ready { threads: 2 }, "http://test")
    }

    fn doc(s: &RaceState) -> serde_json::Value {
        serde_json::from_str(&s.results_doc()).expect("results document is JSON")
    }

    fn start_count(s: &mut RaceState) -> (u64, Program) {
        s.update(Action::Count)
            .into_iter()
            .find_map(|e| match e {
                Effect::StartCount { generation, program, on_worker } => {
                    assert!(on_worker, "the pool is ready: the count goes to a worker");
                    Some((generation, program))
                }
                _ => None,
            })
            .expect("Count starts a count")
    }

    #[test]
    fn a_count_that_finishes_after_the_scenario_changed_is_dropped() {
        let mut s = open("preset=bank");
        let (generation, program) = start_count(&mut s);
        assert_eq!(s.status, Status::Running);
        assert!(s.update(Action::Count).is_empty(), "one count at a time");
        s.update(Action::LoadPreset("bank-lock"));
        assert_eq!(s.status, Status::Idle);
        let stale = count(&program, true, || 0.0);
        s.update(Action::Counted { generation, counted: stale });
        assert!(s.counted.is_none(), "the old scenario's count must not be shown");
        assert_eq!(doc(&s)["exhaustive"], serde_json::Value::Null);

        let (generation, program) = start_count(&mut s);
        s.update(Action::Counted { generation, counted: count(&program, true, || 0.0) });
        let d = doc(&s);
        assert_eq!(d["status"], "done");
        assert_eq!(d["scenario"], "bank-lock");
        assert_eq!(d["exhaustive"]["total"], "24");
        assert_eq!(d["exhaustive"]["outcomes"][0]["outcome"], "balance = 800");
    }

    #[test]
    fn the_results_document_idle_running_done_and_error() {
        let mut s = open("preset=bank&sched=rr");
        let idle = doc(&s);
        assert_eq!((idle["lab"].as_str(), idle["status"].as_str()), (Some("race"), Some("idle")));
        assert_eq!(idle["link"], format!("http://test/race?{}", s.query()));
        assert_eq!(idle["outcome"], "balance = 950");
        assert_eq!(idle["at"], 0);

        s.update(Action::ToEnd);
        let done = doc(&s);
        assert_eq!(done["status"], "done");
        assert_eq!(done["at"], done["schedule"].as_array().map(Vec::len).unwrap_or(0));

        start_count(&mut s);
        assert_eq!(doc(&s)["status"], "running");

        // A scenario too large to count ends as an error with the reason.
        let big = "shared x = 0\nthread t * 8:\n    for _ in range(8):\n        x += 1\n";
        s.update(Action::EditSource(big.into()));
        s.update(Action::ApplySource);
        let (generation, program) = start_count(&mut s);
        let counted = Counted { result: Err("too many states".into()), ms: 1.0, on_worker: true };
        let _ = program;
        s.update(Action::Counted { generation, counted });
        let err = doc(&s);
        assert_eq!(err["status"], "error");
        assert_eq!(err["error"], "too many states");
        assert_eq!(err["scenario"], "custom");
    }

    #[test]
    fn a_bad_scenario_keeps_the_last_good_one() {
        let mut s = open("preset=bank");
        let before = s.config.source.clone();
        s.update(Action::EditSource("thread t:\n    x = ".into()));
        assert!(s.is_dirty());
        assert!(s.update(Action::ApplySource).is_empty());
        assert!(s.parse_error.is_some());
        assert_eq!(s.config.source, before);
    }

    #[test]
    fn stepping_by_hand_switches_to_manual_and_run_to_end_finishes_with_random() {
        let mut s = open("preset=bank");
        s.update(Action::StepThread(1));
        s.update(Action::StepThread(1));
        assert_eq!(s.config.scheduler, Scheduler::Manual);
        assert_eq!((s.config.at, s.config.given), (2, 2));
        assert!(s.update(Action::StepThread(9)).is_empty(), "no thread 10");
        s.update(Action::ToEnd);
        assert_eq!(s.config.scheduler, Scheduler::Random);
        assert_eq!(s.config.given, 2);
        assert!(s.at_end());
        assert_eq!(doc(&s)["stepsGiven"], 2);
        s.update(Action::Back);
        assert!(!s.at_end());
        s.update(Action::Reset);
        assert_eq!(s.config.at, 0);
    }

    #[test]
    fn a_run_link_does_what_its_mode_says_once_the_pool_is_known() {
        let mut s = RaceState::new(RaceConfig::from_query("preset=bank&mode=runs&runs=50&run=1"), PoolStatus::Starting, "");
        assert!(!s.run_pending());
        s.update(Action::Pool(PoolStatus::SingleThread { reason: "none".into() }));
        assert!(s.run_pending());
        s.update(Action::RunFromLink);
        let runs = doc(&s)["runs"].clone();
        assert_eq!(runs["n"], 50);
        let total: u64 = runs["outcomes"].as_array().into_iter().flatten().filter_map(|o| o["count"].as_str()?.parse::<u64>().ok()).sum();
        assert_eq!(total, 50);
        assert!(s.update(Action::RunFromLink).is_empty());

        let mut s = RaceState::new(RaceConfig::from_query("preset=bank&mode=exhaustive&run=1"), PoolStatus::SingleThread { reason: "none".into() }, "");
        let effects = s.update(Action::RunFromLink);
        assert!(effects.iter().any(|e| matches!(e, Effect::StartCount { on_worker: false, .. })), "{effects:?}");
    }

    #[test]
    fn fields_say_what_is_wrong_and_keep_the_setting() {
        let mut s = open("preset=bank&seed=5");
        s.update(Action::SetSeed("-1".into()));
        assert!(s.field_error.as_deref().is_some_and(|m| m.starts_with("seed:")));
        assert_eq!(s.config.seed, 5);
        s.update(Action::SetRuns("0".into()));
        assert!(s.field_error.as_deref().is_some_and(|m| m.starts_with("runs:")));
        assert!(s.runs_invalid());
        s.update(Action::SetPredict("12abc".into()));
        assert!(s.predict_error.is_some());
        assert_eq!(s.config.predict, None);
        s.update(Action::SetPredict("deadlock".into()));
        assert_eq!(s.config.predict, Some(Prediction::Deadlock));
    }

    #[test]
    fn keys_map_to_stepper_actions() {
        assert!(matches!(key_action("ArrowRight"), Some(Action::Forward)));
        assert!(matches!(key_action("End"), Some(Action::ToEnd)));
        assert!(matches!(key_action("3"), Some(Action::StepThread(2))));
        assert!(key_action("9").is_none());
        assert!(key_action("0").is_none());
        assert!(key_action("a").is_none());
    }

    #[test]
    fn the_stepper_says_who_waits_what_was_written_and_whether_the_prediction_held() {
        // Two threads, one lock: once the first holds it, the second waits for it.
        let src = "shared x = 0\nlock m\nthread t * 2:\n    with m:\n        x += 1\n";
        let q = crate::core::link::encode(&[("src", src.to_string()), ("predict", "2".to_string())]);
        let mut s = open(&q);
        assert_eq!(s.lane(0).status, "ready");
        assert_eq!(s.lock_line(0), "free");
        s.update(Action::StepThread(0));
        let waiting = s.lane(1);
        assert_eq!((waiting.status.as_str(), waiting.can_step), ("waiting for m", false));
        assert_eq!(s.lock_line(0), "held by t-1; waiting: t-2");
        s.update(Action::ToEnd);
        assert_eq!(s.writes_of(0).iter().map(|w| w.2).collect::<Vec<_>>(), [1, 2]);
        let words = s.steps_in_words();
        assert_eq!(words.len(), s.config.at);
        assert!(words[0].starts_with("t-1, line "), "{words:?}");
        assert_eq!(s.lost_updates(), 0);
        assert!(s.lane(0).done && s.lane(0).status == "finished");
        assert_eq!(s.verdict(), Some((true, "You predicted x = 2: right for this run.".to_string())));
    }
}
