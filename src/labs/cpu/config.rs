//! The CPU lab's experiment configuration and its share-link form.
//!
//! | key     | value                                    | default        |
//! |---------|------------------------------------------|----------------|
//! | `mode`  | `main`, `worker` or `parallel`           | `parallel`     |
//! | `k`     | workers for `parallel`: 1..=64 or `all`  | `all`          |
//! | `iters` | inner iterations per task, 0..=10^9      | 2000000        |
//! | `tasks` | `START-END` items, `,`-separated; `*N` repeats an item | the classic 20 |
//! | `run`   | `1` runs the experiment when the page opens | off          |

use super::model::{task_problem, Task, Workload, MAX_ITERATIONS, MAX_TASKS};
use crate::core::link::{self, quote, LinkError, Query};
use serde::Serialize;

pub const MAX_WORKERS: usize = 64;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Sequential on the page's own thread: the page freezes while it runs.
    Main,
    /// Sequential in one Web Worker.
    Worker,
    /// k Web Workers at once.
    Parallel,
}

impl Mode {
    pub const ALL: [(&'static str, Mode); 3] =
        [("main", Mode::Main), ("worker", Mode::Worker), ("parallel", Mode::Parallel)];

    pub fn key(self) -> &'static str {
        match self {
            Mode::Main => "main",
            Mode::Worker => "worker",
            Mode::Parallel => "parallel",
        }
    }

    pub fn is_sequential(self) -> bool {
        !matches!(self, Mode::Parallel)
    }
}

/// How many workers a parallel run asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Workers {
    /// One per logical core of whatever machine opens the link.
    AllCores,
    Exactly(usize),
}

impl Workers {
    /// The count to use on a machine with `cores` pool threads.
    pub fn resolve(self, cores: usize) -> usize {
        match self {
            Workers::AllCores => cores.max(1),
            Workers::Exactly(n) => n.clamp(1, cores.max(1)),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CpuConfig {
    pub mode: Mode,
    pub workers: Workers,
    pub workload: Workload,
}

impl Default for CpuConfig {
    fn default() -> Self {
        CpuConfig { mode: Mode::Parallel, workers: Workers::AllCores, workload: Workload::classic() }
    }
}

/// A decoded link: the configuration, whether to run at once, and what was wrong.
#[derive(Debug)]
pub struct Decoded {
    pub config: CpuConfig,
    pub run: bool,
    pub errors: Vec<LinkError>,
}

impl CpuConfig {
    pub fn from_query(raw: &str) -> Decoded {
        let mut q = Query::parse(raw);
        let defaults = CpuConfig::default();
        let mode = q.choice("mode", &Mode::ALL, defaults.mode);
        let workers = match q.take("k") {
            None => defaults.workers,
            Some(v) if v == "all" => Workers::AllCores,
            Some(v) => match q.check_uint("k", &v, 1, MAX_WORKERS as u64, "all cores") {
                Some(n) => Workers::Exactly(n as usize),
                None => defaults.workers,
            },
        };
        let iterations = q.uint("iters", 0, MAX_ITERATIONS, defaults.workload.iterations);
        let tasks = match q.take("tasks") {
            None => defaults.workload.tasks,
            Some(raw) => match parse_tasks(&raw) {
                Ok(tasks) => tasks,
                Err(message) => {
                    q.error("tasks", format!("{message}; using the classic 20 tasks"));
                    defaults.workload.tasks
                }
            },
        };
        let run = q.flag("run");
        let errors = q.finish();
        Decoded {
            config: CpuConfig { mode, workers, workload: Workload { tasks, iterations } },
            run,
            errors,
        }
    }

    /// The query string (without `?`) that reproduces this configuration.
    pub fn to_query(&self, run: bool) -> String {
        let mut pairs = vec![("mode", self.mode.key().to_string())];
        if self.mode == Mode::Parallel {
            let k = match self.workers {
                Workers::AllCores => "all".to_string(),
                Workers::Exactly(n) => n.to_string(),
            };
            pairs.push(("k", k));
        }
        pairs.push(("iters", self.workload.iterations.to_string()));
        pairs.push(("tasks", format_tasks(&self.workload.tasks)));
        if run {
            pairs.push(("run", "1".into()));
        }
        link::encode(&pairs)
    }
}

/// `2-38,5-50` or `1-2*500`: a comma list of ranges, each optionally repeated.
pub fn parse_tasks(raw: &str) -> Result<Vec<Task>, String> {
    let mut tasks = Vec::new();
    for (i, item) in raw.split(',').enumerate() {
        let item = item.trim();
        let bad = || {
            format!("item {} ({}) is not START-END or START-END*COUNT", i + 1, quote(item))
        };
        let (range, count) = match item.split_once('*') {
            Some((range, count)) => (range, whole_number(count).ok_or_else(bad)?),
            None => (item, 1),
        };
        let (start, end) = range.split_once('-').ok_or_else(bad)?;
        let start = whole_number(start).ok_or_else(bad)?;
        let end = whole_number(end).ok_or_else(bad)?;
        let task = Task::new(start, end);
        if let Some(problem) = task_problem(task) {
            return Err(format!("item {}: {problem}", i + 1));
        }
        if count == 0 {
            return Err(format!("item {} repeats 0 times", i + 1));
        }
        // Checked before expanding, so `1-2*99999999999` costs nothing.
        if count > (MAX_TASKS - tasks.len().min(MAX_TASKS)) as u64 {
            return Err(format!("more than {MAX_TASKS} tasks"));
        }
        tasks.extend(std::iter::repeat_n(task, count as usize));
    }
    Ok(tasks)
}

/// Digits as a number; too many digits for u64 give u64::MAX, so that the limits below
/// report the number as too large rather than as not a number.
fn whole_number(raw: &str) -> Option<u64> {
    link::parse_uint(raw).or_else(|| {
        let digits = raw.trim().replace('_', "");
        (!digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())).then_some(u64::MAX)
    })
}

/// The inverse of [`parse_tasks`], folding runs of equal tasks into `*N`.
pub fn format_tasks(tasks: &[Task]) -> String {
    let mut items: Vec<String> = Vec::new();
    let mut i = 0;
    while i < tasks.len() {
        let task = tasks[i];
        let run = tasks[i..].iter().take_while(|t| **t == task).count();
        items.push(if run > 1 {
            format!("{}-{}*{}", task.start, task.end, run)
        } else {
            format!("{}-{}", task.start, task.end)
        });
        i += run;
    }
    items.join(",")
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use crate::labs::cpu::model::{MAX_SPAN, MAX_VALUE};
    use proptest::prelude::*;

    #[test]
    fn empty_link_gives_defaults() {
        let d = CpuConfig::from_query("");
        assert_eq!(d.config, CpuConfig::default());
        assert!(!d.run && d.errors.is_empty());
    }

    #[test]
    fn full_link_decodes() {
        let d = CpuConfig::from_query("?mode=parallel&k=2&iters=1000&tasks=2-38,5-50*3&run=1");
        assert!(d.errors.is_empty(), "{:?}", d.errors);
        assert!(d.run);
        assert_eq!(d.config.workers, Workers::Exactly(2));
        assert_eq!(d.config.workload.iterations, 1000);
        assert_eq!(d.config.workload.tasks.len(), 4);
        assert_eq!(d.config.workload.tasks[3], Task::new(5, 50));
    }

    #[test]
    fn hostile_link_names_every_bad_parameter() {
        let d = CpuConfig::from_query(
            "k=99999999999999999999&iters=-5&tasks=%3Cscript%3Ealert(1)%3C/script%3E&mode=warp&bogus=1",
        );
        let mut keys: Vec<&str> = d.errors.iter().map(|e| e.key.as_str()).collect();
        keys.sort();
        assert_eq!(keys, ["bogus", "iters", "k", "mode", "tasks"]);
        assert_eq!(d.config.mode, Mode::Parallel);
        assert_eq!(d.config.workload, Workload::classic());
        assert_eq!(d.config.workers, Workers::AllCores);
        assert!(d.errors.iter().any(|e| e.key == "k" && e.message.contains("all cores")));
    }

    #[test]
    fn task_list_errors() {
        assert!(parse_tasks("5-2").unwrap_err().contains("below start"));
        assert!(parse_tasks("1-2*0").is_err());
        assert!(parse_tasks("1-2*99999999999999").unwrap_err().contains("more than"));
        assert!(parse_tasks("1-2*600,1-2*401").is_err());
        assert_eq!(parse_tasks("1-2*600,1-2*400").unwrap().len(), 1000);
        assert!(parse_tasks(&format!("1-{}", MAX_SPAN + 5)).is_err());
        assert!(parse_tasks(&format!("{}-{}", MAX_VALUE + 1, MAX_VALUE + 2)).is_err());
        assert!(parse_tasks("").is_err());
        // A number too large for any integer is out of range, not "not a number".
        assert!(parse_tasks("1-99999999999999999999999").unwrap_err().contains("above the limit"));
        assert!(parse_tasks("1-2*99999999999999999999999").unwrap_err().contains("more than"));
        assert!(parse_tasks("1-x").unwrap_err().contains("is not START-END"));
        assert!(parse_tasks("1-").is_err());
        assert!(parse_tasks("-1-2").is_err());
    }

    #[test]
    fn workers_resolve_to_the_machine() {
        assert_eq!(Workers::AllCores.resolve(4), 4);
        assert_eq!(Workers::Exactly(8).resolve(2), 2);
        assert_eq!(Workers::Exactly(0).resolve(2), 1);
    }

    fn arb_config() -> impl Strategy<Value = CpuConfig> {
        let task = (0u64..2000, 0u64..999).prop_map(|(s, span)| Task::new(s, s + span));
        (
            prop::sample::select(vec![Mode::Main, Mode::Worker, Mode::Parallel]),
            prop_oneof![Just(Workers::AllCores), (1usize..=MAX_WORKERS).prop_map(Workers::Exactly)],
            prop::collection::vec(task, 1..40),
            0u64..=MAX_ITERATIONS,
        )
            .prop_map(|(mode, workers, tasks, iterations)| CpuConfig {
                mode,
                workers: if mode == Mode::Parallel { workers } else { Workers::AllCores },
                workload: Workload { tasks, iterations },
            })
    }

    proptest! {
        #[test]
        fn round_trip(config in arb_config(), run in any::<bool>()) {
            let d = CpuConfig::from_query(&config.to_query(run));
            prop_assert!(d.errors.is_empty(), "{:?}", d.errors);
            prop_assert_eq!(d.config, config);
            prop_assert_eq!(d.run, run);
        }

        #[test]
        fn garbage_never_panics(raw in ".{0,200}") {
            let d = CpuConfig::from_query(&raw);
            prop_assert!(d.config.workload.problems().is_empty());
        }

        #[test]
        fn near_miss_task_lists_never_panic(raw in "[0-9*,\\- ]{0,60}") {
            if let Ok(tasks) = parse_tasks(&raw) {
                prop_assert!(!tasks.is_empty() && tasks.len() <= MAX_TASKS);
            }
        }
    }
}
