//! The race lab's kernels; the files are in src/labs/race/ (see lib.rs).

#[path = "../src/labs/race/explore.rs"]
pub mod explore;
#[path = "../src/labs/race/lang.rs"]
pub mod lang;
#[path = "../src/labs/race/machine.rs"]
pub mod machine;
#[path = "../src/labs/race/sched.rs"]
pub mod sched;
