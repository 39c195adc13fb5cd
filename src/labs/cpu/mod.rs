//! The CPU lab: multiprocessing's analogue, CPU-bound tasks spread over Web Workers.

pub mod config;
pub mod state;
// In the kernels crate (kernels/src/), compiled for speed in a size-optimized build.
pub use concurrency_kernels::cpu::model;
#[cfg(target_arch = "wasm32")]
pub mod view;

use super::{LabMeta, Preset};
use crate::core::models::PythonModel;

/// The classic 20 tasks in link form; a macro so `concat!` can splice it into presets.
macro_rules! classic_tasks {
    () => {
        "2-38,5-50,68-83,14-57,3-38,6-50,69-83,15-57,4-38,7-50,70-83,16-57,5-38,8-50,25-83,17-57,6-38,9-50,26-83,18-57"
    };
}

pub static META: LabMeta = LabMeta {
    id: "cpu",
    title: "CPU lab",
    model: PythonModel::Multiprocessing,
    summary: "CPU-bound tasks on the page's thread, in one worker, or spread across k Web Workers: \
              the browser's stand-in for a process pool.",
    presets: &[
        Preset {
            id: "classic-parallel",
            title: "20 tasks on every core",
            blurb: "The classic ProcessPoolExecutor demo: 20 products reduced 2,000,000 times, one worker per core.",
            query: concat!("mode=parallel&k=all&iters=2000000&tasks=", classic_tasks!()),
        },
        Preset {
            id: "classic-sequential",
            title: "20 tasks, one after another",
            blurb: "The same 20 tasks in a single worker: the baseline the parallel run is measured against.",
            query: concat!("mode=worker&iters=2000000&tasks=", classic_tasks!()),
        },
        Preset {
            id: "main-thread-freeze",
            title: "Work on the page's own thread",
            blurb: "Heavier tasks run on the main thread: the animation stops and the page ignores clicks until they finish.",
            query: concat!("mode=main&iters=10000000&tasks=", classic_tasks!()),
        },
        Preset {
            id: "tiny-tasks",
            title: "1,000 tiny tasks",
            blurb: "Each task is a few microseconds of work, so handing tasks out costs about as much as doing them: \
                    more workers do not help (about 1\u{d7} here). Python's pools, which pickle every task, are often slower than a plain loop.",
            query: "mode=parallel&k=all&iters=100&tasks=1-2*1000",
        },
    ],
};

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::config::{format_tasks, CpuConfig, Mode};
    use super::model::{Workload, MAX_MAIN_THREAD_WORK};
    use super::*;

    #[test]
    fn classic_string_matches_the_task_table() {
        assert_eq!(classic_tasks!(), format_tasks(&Workload::classic().tasks));
    }

    #[test]
    fn presets_decode_cleanly_and_can_run() {
        for preset in META.presets {
            let d = CpuConfig::from_query(preset.query);
            assert!(d.errors.is_empty(), "{}: {:?}", preset.id, d.errors);
            assert!(d.config.workload.problems().is_empty(), "{}", preset.id);
            assert!(!d.run, "{}: presets must not carry run", preset.id);
            if d.config.mode == Mode::Main {
                assert!(d.config.workload.total_work() <= MAX_MAIN_THREAD_WORK, "{}", preset.id);
            }
        }
    }
}
