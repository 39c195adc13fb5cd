//! The pure core: no yew, web-sys, js-sys or gloo. Native builds do not even have those
//! crates (they are wasm-only dependencies), so a stray import fails `cargo test`.

// The kernels crate owns it, as they use it too.
pub use concurrency_kernels::units::round_to_micros;

pub mod chart;
pub mod embed;
pub mod lab;
pub mod link;
pub mod models;
