//! The threads lab: CPython's GIL made visible. An event-driven simulator of CPython
//! threads under the GIL (the rules of Python/ceval_gil.c in 3.11-3.13), of free-threaded
//! CPython, and of thread and process pools; and a real GIL-style lock on Web Workers.

pub mod batch;
pub mod config;
pub mod lanes;
pub mod presets;
pub mod results;
pub mod state;
// In the kernels crate (kernels/src/), compiled for speed in a size-optimized build.
pub use concurrency_kernels::threads::{gil, model, real_gil};
#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests;
#[cfg(target_arch = "wasm32")]
pub mod view;

use super::{LabMeta, Preset};
use crate::core::models::PythonModel;

/// Figures "measured here" are CPython 3.11 and 3.13 on a 2-core machine (the one the
/// simulator's costs are calibrated on); `presets.rs` checks each against the simulation.
pub static META: LabMeta = LabMeta {
    id: "threads",
    title: "Threads lab",
    model: PythonModel::Threading,
    summary: "CPython's GIL, simulated exactly: CPU-bound threads take turns every 5 ms, I/O-bound \
              threads overlap, a process pool or free-threaded CPython runs on every core.",
    presets: &[
        Preset {
            id: "seed-io-pool",
            title: "15 requests, a pool of 5 threads",
            blurb: "The tutorial's demo: waiting releases the GIL, so ThreadPoolExecutor(5) overlaps the waits. \
                    Tutorial: 10.3 s one after another, 3.0 s with 5 workers.",
            query: "preset=seed-io-pool",
        },
        Preset {
            id: "cpu-threads",
            title: "CPU-bound Python on 2 threads",
            blurb: "No speedup: the threads take turns holding the GIL every 5 ms. Measured on a 2-core machine: \
                    0.92x to 0.99x of sequential.",
            query: "preset=cpu-threads",
        },
        Preset {
            id: "cpu-processes",
            title: "The same on ProcessPoolExecutor(2)",
            blurb: "Each process has its own GIL, so both cores compute. Measured on a 2-core machine: 1.77x to 1.81x; \
                    a pool of 2 starts in about 5 ms (fork), 20 ms (forkserver), 55 ms (spawn).",
            query: "preset=cpu-processes",
        },
        Preset {
            id: "cpu-free-threaded",
            title: "The same threads, free-threaded",
            blurb: "CPython 3.14t has no GIL: the threads run in parallel, each slower by the build's single-thread \
                    cost (5-10% for 3.14t, about 40% for 3.13t, as CPython's docs give them).",
            query: "preset=cpu-free-threaded",
        },
        Preset {
            id: "tiny-tasks",
            title: "1,000 trivial tasks",
            blurb: "The pool's overhead is the whole cost. Measured on a 2-core machine: a plain loop 0.06 ms, \
                    ThreadPoolExecutor(2) 7 ms, ProcessPoolExecutor(2) 110-120 ms.",
            query: "preset=tiny-tasks",
        },
        Preset {
            id: "convoy",
            title: "The convoy effect",
            blurb: "200 sleeps of 0.1 ms beside a CPU-bound thread: each waits a switch interval for the GIL. \
                    Measured: 34 ms alone; 5.3 ms each (p50) and 1.07 s in all beside it, 31x slower.",
            query: "preset=convoy",
        },
        Preset {
            id: "switch-interval",
            title: "A shorter switch interval",
            blurb: "The convoy with sys.setswitchinterval(0.001): about 1.3 ms per sleep, 7.4x slower than alone \
                    (measured); the preset's check also runs 0.5, 5 and 50 ms.",
            query: "preset=switch-interval",
        },
        Preset {
            id: "native-release",
            title: "C code that releases the GIL",
            blurb: "hashlib on big buffers runs outside the GIL, so two threads use both cores. Measured on a 2-core \
                    machine: 1.84x (3.11), 2.00x (3.13).",
            query: "preset=native-release",
        },
        Preset {
            id: "c-call-holds",
            title: "One long C call holds the GIL",
            blurb: "A C call that never returns to the eval loop never sees a drop request: a heartbeat thread \
                    starves for the whole 500 ms call.",
            query: "preset=c-call-holds",
        },
        Preset {
            id: "counter",
            title: "counter += 1 on 3 threads",
            blurb: "Under the GIL of 3.10+ no update is lost: no check point falls between the load and the store. \
                    Measured: lost updates on 3.9 in every run, on 3.10-3.13 in none.",
            query: "preset=counter",
        },
    ],
};
