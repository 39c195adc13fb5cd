//! The threads lab's experiment and its link form. A link names a preset as its base and
//! gives only what differs from it, so preset links stay short and every edit is kept.
//!
//! | key        | value                                             | default (the preset's) |
//! |------------|---------------------------------------------------|------------------------|
//! | `preset`   | a preset id                                       | `cpu-threads`          |
//! | `src`      | the workload in the scenario language             | the preset's           |
//! | `exec`     | `seq`, `threads`, `pool`, `procs`                 | the preset's           |
//! | `workers`  | 1..=256, or `default` (`min(32, cores + 4)` threads, `cores` processes) | `default` |
//! | `start`    | `fork`, `forkserver`, `spawn` (process pools)     | `fork`                 |
//! | `interp`   | `gil`, `3.13t`, `3.14t`                           | the preset's           |
//! | `slowdown` | free-threaded single-thread slowdown, % (0..=1000) | 40 (3.13t), 7.5 (3.14t) |
//! | `switch`   | `sys.setswitchinterval`, ms (0.001..=10000)       | 5                      |
//! | `cores`    | 1..=64                                            | the machine's          |
//! | `seed`     | 0..=4294967295                                    | 1                      |
//! | `run`      | `1` simulates when the page opens                 | off                    |

use super::choices::{start_key, ExecKind, Interp, STARTS};
use super::gil::{simulate, MAX_PROCESS_POOL_WORKERS, MAX_THREAD_POOL_WORKERS};
use super::model::{Executor, Interpreter, Outcome, Segment, Settings, SimError, StartMethod, Task, Workload};
use super::presets;
use crate::core::link::{self, quote, LinkError, Query};
use crate::labs::race::lang::{self, ParseError, SegmentKind, WorkThread};

pub const MAX_CORES: u32 = 64;
pub const MAX_WORKERS: u32 = 256;
pub const MIN_SWITCH_MS: f64 = 0.001;
pub const MAX_SWITCH_MS: f64 = 10_000.0;
pub const MAX_SLOWDOWN_PCT: f64 = 1_000.0;
pub const DEFAULT_PRESET: &str = "cpu-threads";

#[derive(Clone, Debug, PartialEq)]
pub struct ThreadsConfig {
    /// The preset this experiment starts from; the link carries only what differs.
    pub base: &'static str,
    pub source: String,
    /// `source` parsed: one entry per thread (or submitted task).
    pub threads: Vec<WorkThread>,
    pub exec: ExecKind,
    /// `None`: the executor's default for the core count.
    pub workers: Option<u32>,
    pub start: StartMethod,
    pub interp: Interp,
    /// `None`: the interpreter's published figure.
    pub slowdown_pct: Option<f64>,
    pub switch_ms: f64,
    /// `None`: the machine's own.
    pub cores: Option<u32>,
    pub seed: u64,
}

/// A decoded link: the experiment, whether to run at once, and what was wrong.
#[derive(Debug)]
pub struct Decoded {
    pub config: ThreadsConfig,
    pub run: bool,
    pub errors: Vec<LinkError>,
}

/// A preset's experiment as the page opens it (from its row in `presets::TABLE`).
pub fn preset_config(id: &str) -> Option<ThreadsConfig> {
    let row = presets::find(id)?;
    let p = &row.page;
    let source = p.source.text();
    let threads = lang::parse_workload(&source).ok()?;
    Some(ThreadsConfig {
        base: row.id,
        source,
        threads,
        exec: p.exec,
        workers: p.workers,
        start: p.start,
        interp: p.interp,
        slowdown_pct: None,
        switch_ms: p.switch_ms,
        cores: None,
        seed: 1,
    })
}

fn ms_to_ns(ms: f64) -> u64 {
    let ns = (ms * 1e6).round();
    if ns.is_finite() && ns > 0.0 {
        ns.min(u64::MAX as f64) as u64
    } else {
        0
    }
}

impl ThreadsConfig {
    pub fn default_config() -> ThreadsConfig {
        preset_config(DEFAULT_PRESET).unwrap_or_else(|| ThreadsConfig {
            base: DEFAULT_PRESET,
            source: String::new(),
            threads: Vec::new(),
            exec: ExecKind::Threads,
            workers: None,
            start: StartMethod::Fork,
            interp: Interp::Gil,
            slowdown_pct: None,
            switch_ms: 5.0,
            cores: None,
            seed: 1,
        })
    }

    /// Whether this is exactly its base preset, unchanged.
    pub fn is_preset(&self) -> bool {
        preset_config(self.base).is_some_and(|p| p == *self)
    }

    pub fn cores_for(&self, machine_cores: usize) -> u32 {
        self.cores.unwrap_or(machine_cores.clamp(1, MAX_CORES as usize) as u32)
    }

    /// The worker count the executor uses: CPython's defaults are `min(32, cpu_count + 4)`
    /// threads for a ThreadPoolExecutor and `cpu_count` processes for a ProcessPoolExecutor.
    pub fn workers_for(&self, cores: u32) -> u32 {
        match self.exec {
            ExecKind::ThreadPool => self.pool_workers(cores),
            ExecKind::ProcessPool => self.process_workers(cores),
            ExecKind::Threads => self.threads.len() as u32,
            ExecKind::Sequential => 1,
        }
    }

    pub fn slowdown(&self) -> f64 {
        self.slowdown_pct.unwrap_or_else(|| self.interp.default_slowdown_pct())
    }

    pub fn tasks(&self) -> Vec<Task> {
        self.threads
            .iter()
            .map(|t| {
                let segments = t
                    .segments
                    .iter()
                    .map(|&(kind, ms)| {
                        let ns = ms_to_ns(ms);
                        match kind {
                            SegmentKind::Compute => Segment::Python { ns },
                            SegmentKind::Io => Segment::Io { ns },
                            SegmentKind::Native => Segment::CHold { ns },
                            SegmentKind::Release => Segment::CRelease { ns },
                        }
                    })
                    .collect();
                Task::new(t.name.clone(), segments)
            })
            .collect()
    }

    pub fn executor(&self, kind: ExecKind, cores: u32) -> Executor {
        match kind {
            ExecKind::Sequential => Executor::Sequential,
            ExecKind::Threads => Executor::Threads,
            ExecKind::ThreadPool => Executor::ThreadPool { max_workers: Some(self.pool_workers(cores)) },
            ExecKind::ProcessPool => Executor::ProcessPool { workers: self.process_workers(cores), start: self.start },
        }
    }

    fn pool_workers(&self, cores: u32) -> u32 {
        match (self.exec, self.workers) {
            (ExecKind::ThreadPool, Some(n)) => n.clamp(1, MAX_THREAD_POOL_WORKERS),
            _ => super::gil::default_thread_pool_workers(cores),
        }
    }

    fn process_workers(&self, cores: u32) -> u32 {
        match (self.exec, self.workers) {
            (ExecKind::ProcessPool, Some(n)) => n.clamp(1, MAX_PROCESS_POOL_WORKERS),
            _ => cores.clamp(1, MAX_PROCESS_POOL_WORKERS),
        }
    }

    pub fn settings(&self, interp: Interp, cores: u32) -> Settings {
        let mut s = Settings::new(cores);
        s.seed = self.seed;
        s.switch_interval_ns = ms_to_ns(self.switch_ms);
        s.interpreter = match interp {
            Interp::Gil => Interpreter::Gil,
            _ => Interpreter::FreeThreaded {
                slowdown: if interp == self.interp { self.slowdown() } else { interp.default_slowdown_pct() } / 100.0,
            },
        };
        s
    }

    /// The experiment as configured: its workload and settings on `cores` cores.
    pub fn job(&self, cores: u32) -> (Workload, Settings) {
        (Workload { tasks: self.tasks(), executor: self.executor(self.exec, cores) }, self.settings(self.interp, cores))
    }

    pub fn from_query(raw: &str) -> Decoded {
        let mut q = Query::parse(raw);
        let mut c = match q.take("preset") {
            None => ThreadsConfig::default_config(),
            Some(id) => match preset_config(&id) {
                Some(p) => p,
                None => {
                    let ids: Vec<&str> = presets::ids().collect();
                    q.error("preset", format!("{} is not one of {}; using {DEFAULT_PRESET}", quote(&id), ids.join(", ")));
                    ThreadsConfig::default_config()
                }
            },
        };
        if let Some(text) = q.take("src") {
            match lang::parse_workload(&text) {
                Ok(threads) => {
                    c.source = text;
                    c.threads = threads;
                }
                Err(e) => q.error("src", format!("the workload does not parse ({e}); using the {} preset's", c.base)),
            }
        }
        c.exec = q.choice("exec", &ExecKind::ALL, c.exec);
        if let Some(raw) = q.take("workers") {
            if raw == "default" {
                c.workers = None;
            } else if let Some(n) = q.check_uint("workers", &raw, 1, u64::from(MAX_WORKERS), "the default") {
                c.workers = Some(n as u32);
            }
        }
        c.start = q.choice("start", &STARTS, c.start);
        c.interp = q.choice("interp", &Interp::ALL, c.interp);
        if let Some(raw) = q.take("slowdown") {
            match decimal(&raw, 0.0, MAX_SLOWDOWN_PCT) {
                Ok(v) => c.slowdown_pct = Some(v),
                Err(m) => q.error("slowdown", format!("{m}; using the build's published figure")),
            }
        }
        if let Some(raw) = q.take("switch") {
            match decimal(&raw, MIN_SWITCH_MS, MAX_SWITCH_MS) {
                Ok(v) => c.switch_ms = v,
                Err(m) => q.error("switch", format!("{m}; using {} ms", c.switch_ms)),
            }
        }
        if let Some(raw) = q.take("cores") {
            if let Some(n) = q.check_uint("cores", &raw, 1, u64::from(MAX_CORES), "this machine's") {
                c.cores = Some(n as u32);
            }
        }
        c.seed = q.uint("seed", 0, u64::from(u32::MAX), c.seed);
        let run = q.flag("run");
        Decoded { config: c, run, errors: q.finish() }
    }

    /// The query string (without `?`): the base preset and what differs from it.
    pub fn to_query(&self, run: bool) -> String {
        let base = preset_config(self.base).unwrap_or_else(ThreadsConfig::default_config);
        let mut pairs: Vec<(&str, String)> = vec![("preset", self.base.to_string())];
        if self.source != base.source {
            pairs.push(("src", self.source.clone()));
        }
        if self.exec != base.exec {
            pairs.push(("exec", self.exec.key().into()));
        }
        if self.workers != base.workers {
            pairs.push(("workers", self.workers.map_or("default".into(), |n| n.to_string())));
        }
        if self.start != base.start {
            pairs.push(("start", start_key(self.start).into()));
        }
        if self.interp != base.interp {
            pairs.push(("interp", self.interp.key().into()));
        }
        if let Some(s) = self.slowdown_pct {
            pairs.push(("slowdown", number_text(s)));
        }
        if self.switch_ms != base.switch_ms {
            pairs.push(("switch", number_text(self.switch_ms)));
        }
        if let Some(n) = self.cores {
            pairs.push(("cores", n.to_string()));
        }
        if self.seed != base.seed {
            pairs.push(("seed", self.seed.to_string()));
        }
        if run {
            pairs.push(("run", "1".into()));
        }
        link::encode(&pairs)
    }
}

/// A decimal number as a link or an input gives it, within `min..=max`.
pub fn decimal(raw: &str, min: f64, max: f64) -> Result<f64, String> {
    let t = raw.trim();
    let plain = !t.is_empty() && t.chars().all(|c| c.is_ascii_digit() || c == '.') && t.matches('.').count() <= 1;
    match t.parse::<f64>() {
        Ok(v) if plain && v.is_finite() && (min..=max).contains(&v) => Ok(v),
        Ok(_) if plain => Err(format!("{} is out of range: from {} to {}", quote(t), number_text(min), number_text(max))),
        _ => Err(format!("{} is not a number; give one from {} to {}", quote(t), number_text(min), number_text(max))),
    }
}

/// A number without float noise: 0.5, 5, 7.5.
pub fn number_text(v: f64) -> String {
    crate::core::chart::tick_label(v)
}

/// Simulates the configured experiment (and returns the error that says why not).
pub fn run_job(workload: &Workload, settings: &Settings) -> Result<Outcome, String> {
    simulate(workload, settings).map_err(|e: SimError| e.to_string())
}

/// Why the source cannot be used, located.
pub fn parse_source(text: &str) -> Result<Vec<WorkThread>, ParseError> {
    lang::parse_workload(text)
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn segments(w: &Workload) -> Vec<Vec<Segment>> {
        w.tasks.iter().map(|t| t.segments.clone()).collect()
    }

    #[test]
    fn each_preset_page_runs_the_presets_own_calibrated_run() {
        for row in &presets::TABLE {
            let id = row.id;
            let c = preset_config(id).unwrap_or_else(|| panic!("{id}: the page's workload does not parse"));
            assert_eq!(c.base, id);
            let runs = row.runs(1);
            let run = runs.get(row.page.run).unwrap_or_else(|| panic!("{id}: no run {}", row.page.run));
            let (w, s) = c.job(2);
            assert_eq!(segments(&w), segments(&run.workload), "{id}: workload");
            assert_eq!(w.executor, run.workload.executor, "{id}: executor");
            assert_eq!(s, run.settings, "{id}: settings");
            assert!(c.is_preset(), "{id}");
            assert_eq!(c.to_query(false), format!("preset={id}"));
        }
    }

    /// The registry's presets are the table's rows, field for field, and each link opens its
    /// preset unchanged.
    #[test]
    fn the_registry_is_derived_from_the_table_and_each_link_opens_it() {
        let registry = crate::labs::threads::META.presets;
        assert_eq!(registry.len(), presets::TABLE.len());
        for (p, row) in registry.iter().zip(&presets::TABLE) {
            assert_eq!((p.id, p.title, p.blurb, p.query), (row.id, row.title, row.blurb, row.query));
            assert_eq!(p.query, format!("preset={}", p.id));
            let d = ThreadsConfig::from_query(p.query);
            assert!(d.errors.is_empty(), "{}: {:?}", p.id, d.errors);
            assert!(d.config.is_preset() && d.config.base == p.id, "{}", p.id);
        }
        let ids: Vec<&str> = presets::ids().collect();
        let mut unique = ids.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), ids.len(), "ids are unique: {ids:?}");
        let mut titles: Vec<&str> = presets::TABLE.iter().map(|r| r.title).collect();
        titles.sort_unstable();
        titles.dedup();
        assert_eq!(titles.len(), ids.len(), "one title per preset, none shared");
        assert!(presets::find("nope").is_none() && preset_config("nope").is_none());
        let d = ThreadsConfig::from_query("preset=nope");
        assert_eq!(d.errors[0].message, format!("nope is not one of {}; using {DEFAULT_PRESET}", ids.join(", ")));
    }

    #[test]
    fn links_carry_what_differs_from_the_preset_and_round_trip() {
        let mut c = preset_config("convoy").unwrap();
        c.switch_ms = 0.5;
        c.cores = Some(4);
        c.interp = Interp::Ft313;
        c.slowdown_pct = Some(12.5);
        c.exec = ExecKind::ProcessPool;
        c.workers = Some(3);
        c.start = StartMethod::Spawn;
        c.seed = 9;
        c.source = "thread a * 2:\n    io(1)\n".into();
        c.threads = lang::parse_workload(&c.source).unwrap();
        let q = c.to_query(true);
        assert!(q.starts_with("preset=convoy&src="), "{q}");
        let d = ThreadsConfig::from_query(&q);
        assert!(d.errors.is_empty(), "{:?}", d.errors);
        assert!(d.run);
        assert_eq!(d.config, c);
        assert!(!d.config.is_preset());
    }

    #[test]
    fn bad_parameters_are_named_and_fall_back() {
        let d = ThreadsConfig::from_query("preset=nope&exec=fibers&switch=0&cores=65&workers=x&src=thread%20t%3A%0A%20%20%20%20x%20%3D%201&slowdown=-3&what=1");
        let keys: Vec<&str> = d.errors.iter().map(|e| e.key.as_str()).collect();
        assert_eq!(keys, ["preset", "src", "exec", "workers", "slowdown", "switch", "cores", "what"]);
        assert_eq!(d.config, ThreadsConfig::default_config());
        assert!(d.errors[5].message.contains("out of range"), "{:?}", d.errors[5]);
    }

    #[test]
    fn workers_default_as_cpython_does() {
        let mut c = preset_config("tiny-tasks").unwrap();
        c.workers = None;
        assert_eq!(c.workers_for(2), 6);
        assert_eq!(c.workers_for(64), 32);
        c.exec = ExecKind::ProcessPool;
        assert_eq!(c.workers_for(8), 8);
        assert_eq!(presets::ms_text(696_438_062), "696.438062");
        assert_eq!(presets::ms_text(5_000_000), "5");
        assert_eq!(presets::ms_text(60), "0.00006");
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]
        #[test]
        fn decoding_never_panics(raw in "(preset|src|exec|workers|start|interp|slowdown|switch|cores|seed|run|=|&|%|[0-9a-z.]{0,6}){0,12}") {
            let d = ThreadsConfig::from_query(&raw);
            let again = ThreadsConfig::from_query(&d.config.to_query(false));
            prop_assert!(again.errors.is_empty(), "{:?}", again.errors);
            prop_assert_eq!(again.config, d.config);
        }
    }
}
