//! The Python lab: real CPython (Pyodide, CPython 3.14 on WebAssembly) runs the user's
//! program in a Web Worker, and the page draws what asyncio did. The only lab that is not
//! an analogue: what it prints is what CPython prints.

pub mod config;
pub mod model;
pub mod programs;
pub mod state;
#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests;
#[cfg(target_arch = "wasm32")]
pub mod view;

use super::{LabMeta, Preset};
use crate::core::models::PythonModel;

macro_rules! preset {
    ($id:literal, $index:literal) => {
        Preset {
            id: $id,
            title: programs::ALL[$index].title,
            blurb: programs::ALL[$index].blurb,
            query: concat!("preset=", $id),
        }
    };
}

pub static META: LabMeta = LabMeta {
    id: "python",
    title: "Python lab",
    model: PythonModel::Asyncio,
    summary: "Your own asyncio code, run by real CPython in the page (Pyodide), with a timeline of every task: \
              gather, TaskGroup, a semaphore, queues, a blocked loop, process pools on several interpreters, and threads switched as CPython switches them.",
    presets: &[
        preset!("gather-pitfall", 0),
        preset!("taskgroup-vs-gather", 1),
        preset!("semaphore-2", 2),
        preset!("queue-pipeline", 3),
        preset!("blocking-call", 4),
        preset!("to-thread", 5),
        preset!("cpu-seq", 6),
        preset!("process-pool", 7),
        preset!("process-pool-small", 8),
        preset!("pickling-cost", 9),
        preset!("bank-race", 10),
        preset!("bank-lock", 11),
        preset!("two-cpu-threads", 12),
        preset!("sleeper-beside-busy", 13),
        preset!("counter-threads", 14),
    ],
};
