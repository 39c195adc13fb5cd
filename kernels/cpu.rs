//! The cpu lab's kernels; the files are in src/labs/cpu/ (see lib.rs).

#[path = "../src/labs/cpu/model.rs"]
pub mod model;
