//! The race lab's configuration and its share-link form.
//!
//! | key       | value                                              | default        |
//! |-----------|----------------------------------------------------|----------------|
//! | `preset`  | a preset scenario id                               | `bank`         |
//! | `src`     | the scenario text itself (instead of `preset`)     |                |
//! | `sched`   | `manual`, `rr`, `random`, `cpython`                | `cpython`      |
//! | `seed`    | 0..=4294967295                                     | `1`            |
//! | `steps`   | steps chosen by hand, one digit (thread number from 0) each; `sched` chooses the rest | from `sched` |
//! | `at`      | how many steps of the schedule have been taken     | `0`            |
//! | `mode`    | `step`, `exhaustive`, `runs`                       | `step`         |
//! | `runs`    | runs for `mode=runs`, 1..=10000                    | `1000`         |
//! | `predict` | the expected final value of the first shared variable (within ±10^12), or `deadlock` | none |
//! | `run`     | `1`: run to the end / count / run N times on open  | off            |

use super::lang::{self, Program};
use super::machine::Outcome;
use super::sched::{self, Scheduler};
use super::{scenario, SCENARIOS};
use crate::core::link::{self, quote, LinkError, Query};
use serde::Serialize;

pub const MAX_RUNS: u64 = 10_000;
pub const MAX_SCHEDULE: usize = 1024;
const DEFAULT_RUNS: u32 = 1000;
/// Predictions are whole numbers within ±10^12 (the page's field and the link agree).
pub const MAX_PREDICT: i64 = 1_000_000_000_000;

/// What the user expects before running: the first shared variable's final value, or
/// that the run deadlocks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Prediction {
    Value(i64),
    Deadlock,
}

impl Prediction {
    /// Parses what the user typed or the link gave: a whole number or `deadlock`.
    pub fn parse(raw: &str) -> Result<Prediction, String> {
        let t = raw.trim();
        if t.eq_ignore_ascii_case("deadlock") {
            return Ok(Prediction::Deadlock);
        }
        let digits = t.strip_prefix(['-', '+']).unwrap_or(t);
        let integer_like = !digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit());
        // Compared as i64 without `abs()`, which overflows on i64::MIN.
        match t.parse::<i64>() {
            Ok(n) if (-MAX_PREDICT..=MAX_PREDICT).contains(&n) => Ok(Prediction::Value(n)),
            _ if integer_like => Err(format!("{} is out of range: predictions are from -10^12 to 10^12", quote(t))),
            _ => Err(format!("{} is not a whole number or the word deadlock", quote(t))),
        }
    }

    /// The link form, which [`Prediction::parse`] reads back.
    pub fn key(self) -> String {
        match self {
            Prediction::Value(n) => n.to_string(),
            Prediction::Deadlock => "deadlock".into(),
        }
    }

    /// Whether a run that ended in `o` bears the prediction out. A value is about a run
    /// that finished: a deadlocked run has no final value to compare.
    pub fn matches(self, o: &Outcome) -> bool {
        match self {
            Prediction::Deadlock => o.deadlock,
            Prediction::Value(n) => !o.deadlock && o.values.first() == Some(&n),
        }
    }
}

/// In the results JSON: the number, or the string "deadlock".
impl Serialize for Prediction {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Prediction::Value(n) => s.serialize_i64(*n),
            Prediction::Deadlock => s.serialize_str("deadlock"),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    Step,
    Exhaustive,
    Runs,
}

impl Mode {
    pub const ALL: [(&'static str, Mode); 3] = [("step", Mode::Step), ("exhaustive", Mode::Exhaustive), ("runs", Mode::Runs)];
    pub fn key(self) -> &'static str {
        match self {
            Mode::Step => "step",
            Mode::Exhaustive => "exhaustive",
            Mode::Runs => "runs",
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct RaceConfig {
    pub source: String,
    pub program: Program,
    pub scheduler: Scheduler,
    pub seed: u64,
    /// The schedule being stepped through (for manual: the steps chosen so far).
    pub steps: Vec<u8>,
    /// How many leading steps were chosen by hand (or given in the link) rather than by
    /// the scheduler; [`sched::finisher`] chose the rest. Always all of them for manual.
    pub given: usize,
    pub at: usize,
    pub mode: Mode,
    pub runs: u32,
    pub predict: Option<Prediction>,
}

pub struct Decoded {
    pub config: RaceConfig,
    pub run: bool,
    pub errors: Vec<LinkError>,
}

impl RaceConfig {
    /// A config for `source` (which must parse) with a fresh schedule from `scheduler`.
    pub fn new(source: &str, program: Program, scheduler: Scheduler, seed: u64) -> RaceConfig {
        let steps = sched::complete(&program, scheduler, seed, &[]);
        RaceConfig { source: source.to_string(), program, scheduler, seed, steps, given: 0, at: 0, mode: Mode::Step, runs: DEFAULT_RUNS, predict: None }
    }

    /// Who chose the steps after the given ones, if there are any.
    pub fn finished_by(&self) -> Option<Scheduler> {
        (self.given < self.steps.len()).then(|| sched::finisher(self.scheduler, self.given))
    }

    pub fn default_config() -> RaceConfig {
        let program = lang::parse(super::BANK).unwrap_or_else(|_| empty_program());
        RaceConfig::new(super::BANK, program, Scheduler::CPython, 1)
    }

    pub fn preset_id(&self) -> Option<&'static str> {
        SCENARIOS.iter().find(|s| s.source == self.source).map(|s| s.id)
    }

    pub fn from_query(raw: &str) -> Decoded {
        let mut q = Query::parse(raw);
        let defaults = RaceConfig::default_config();
        let preset = q.take("preset");
        let src = q.take("src");
        let mut source = super::BANK.to_string();
        if let Some(id) = &preset {
            match scenario(id) {
                Some(s) => source = s.to_string(),
                None => {
                    let ids: Vec<&str> = SCENARIOS.iter().map(|s| s.id).collect();
                    q.error("preset", format!("{} is not one of {}; using bank", quote(id), ids.join(", ")));
                }
            }
        }
        let mut program = None;
        if let Some(text) = src {
            if preset.is_some() {
                q.error("src", "a link gives either `preset` or `src`; the scenario text was used");
            }
            match lang::parse(&text) {
                Ok(p) => {
                    source = text;
                    program = Some(p);
                }
                Err(e) => q.error("src", format!("the scenario does not parse ({e}); using the {} preset", preset.as_deref().unwrap_or("bank"))),
            }
        }
        let program = match program {
            Some(p) => p,
            None => match lang::parse(&source) {
                Ok(p) => p,
                Err(_) => defaults.program.clone(),
            },
        };
        let scheduler = q.choice("sched", &Scheduler::ALL, defaults.scheduler);
        let seed = q.uint("seed", 0, u64::from(u32::MAX), defaults.seed);
        let mode = q.choice("mode", &Mode::ALL, defaults.mode);
        let runs = q.uint("runs", 1, MAX_RUNS, u64::from(defaults.runs)) as u32;
        let predict = match q.take("predict") {
            None => None,
            Some(v) => match Prediction::parse(&v) {
                Ok(p) => Some(p),
                Err(m) => {
                    q.error("predict", format!("{m}; no prediction"));
                    None
                }
            },
        };
        let mut steps = sched::complete(&program, scheduler, seed, &[]);
        let mut given = 0;
        if let Some(raw) = q.take("steps") {
            match parse_steps(&raw, program.threads.len()) {
                Ok(wanted) => {
                    let valid = sched::complete(&program, Scheduler::Manual, 0, &wanted);
                    if valid.len() < wanted.len() {
                        q.error(
                            "steps",
                            format!(
                                "step {} names thread {}, which cannot move at that point; the schedule was cut there",
                                valid.len() + 1,
                                wanted[valid.len()]
                            ),
                        );
                    }
                    given = valid.len();
                    steps = if scheduler == Scheduler::Manual { valid } else { sched::complete(&program, scheduler, seed, &valid) };
                }
                Err(m) => q.error("steps", format!("{m}; using the scheduler's own schedule")),
            }
        } else if scheduler == Scheduler::Manual {
            steps = Vec::new();
        }
        let at = match q.take("at") {
            None => 0,
            Some(raw) => match q.check_uint("at", &raw, 0, steps.len() as u64, "0") {
                Some(n) => n as usize,
                None => 0,
            },
        };
        let run = q.flag("run");
        Decoded {
            config: RaceConfig { source, program, scheduler, seed, steps, given, at, mode, runs, predict },
            run,
            errors: q.finish(),
        }
    }

    pub fn to_query(&self, run: bool) -> String {
        let mut pairs: Vec<(&str, String)> = Vec::new();
        match self.preset_id() {
            Some(id) => pairs.push(("preset", id.to_string())),
            None => pairs.push(("src", self.source.clone())),
        }
        pairs.push(("mode", self.mode.key().into()));
        pairs.push(("sched", self.scheduler.key().into()));
        pairs.push(("seed", self.seed.to_string()));
        // Only the given steps travel: the scheduler's part is recomputed from (scenario,
        // scheduler, seed, given steps), and a manual schedule is all given.
        let given = if self.scheduler == Scheduler::Manual { self.steps.len() } else { self.given.min(self.steps.len()) };
        if self.scheduler == Scheduler::Manual || given > 0 {
            pairs.push(("steps", self.steps[..given].iter().map(|t| char::from(b'0' + t)).collect()));
        }
        if self.at > 0 {
            pairs.push(("at", self.at.to_string()));
        }
        // Also outside mode=runs when changed, so the field's value is not lost.
        if self.mode == Mode::Runs || self.runs != DEFAULT_RUNS {
            pairs.push(("runs", self.runs.to_string()));
        }
        if let Some(p) = self.predict {
            pairs.push(("predict", p.key()));
        }
        if run {
            pairs.push(("run", "1".into()));
        }
        link::encode(&pairs)
    }
}

fn parse_steps(raw: &str, threads: usize) -> Result<Vec<u8>, String> {
    if raw.len() > MAX_SCHEDULE {
        return Err(format!("more than {MAX_SCHEDULE} steps"));
    }
    raw.chars()
        .enumerate()
        .map(|(i, c)| match c.to_digit(10) {
            Some(d) if (d as usize) < threads => Ok(d as u8),
            _ => Err(format!("step {} is {}, not a thread number from 0 to {}", i + 1, quote(&c.to_string()), threads.saturating_sub(1))),
        })
        .collect()
}

fn empty_program() -> Program {
    Program { shared: vec![], locks: vec![], threads: vec![], is_async: false }
}
