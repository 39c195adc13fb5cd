//! The threads lab's kernels; the files are in src/labs/threads/ (see lib.rs).

#[path = "../src/labs/threads/gil.rs"]
pub mod gil;
#[path = "../src/labs/threads/model.rs"]
pub mod model;
#[path = "../src/labs/threads/real_gil.rs"]
pub mod real_gil;
