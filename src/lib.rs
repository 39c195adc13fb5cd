//! Concurrency Playground: browser analogues of Python's concurrency models.

pub mod core;
pub mod labs;

#[cfg(target_arch = "wasm32")]
pub mod app;
#[cfg(target_arch = "wasm32")]
pub mod glue;
