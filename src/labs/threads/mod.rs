//! The threads lab's core: an event-driven simulator of CPython threads under the GIL
//! (the rules of Python/ceval_gil.c in 3.11-3.13), of free-threaded CPython, and of thread
//! and process pools, with the lab's presets. Pure and deterministic given the seed; the
//! page that draws it is not in the registry yet, so the lab is not in the navigation.

pub mod gil;
pub mod model;
pub mod presets;
pub mod real_gil;
#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests;
