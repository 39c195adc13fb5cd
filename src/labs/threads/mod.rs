//! The threads lab: CPython's GIL made visible. An event-driven simulator of CPython
//! threads under the GIL (the rules of Python/ceval_gil.c in 3.11-3.13), of free-threaded
//! CPython, and of thread and process pools; and a real GIL-style lock on Web Workers.

pub mod batch;
pub mod choices;
pub mod config;
pub mod display;
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

use super::LabMeta;
use crate::core::models::PythonModel;

/// The presets are the rows of `presets::TABLE`, where each one's title, blurb and link are
/// written; figures "measured here" are CPython 3.11 and 3.13 on a 2-core machine (the one
/// the simulator's costs are calibrated on), and `presets.rs` checks each against the
/// simulation.
pub static META: LabMeta = LabMeta {
    id: "threads",
    title: "Threads lab",
    model: PythonModel::Threading,
    summary: "CPython's GIL, simulated exactly: CPU-bound threads take turns every 5 ms, I/O-bound \
              threads overlap, a process pool or free-threaded CPython runs on every core.",
    presets: &presets::REGISTRY,
};
