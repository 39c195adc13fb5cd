//! The pure core: no yew, web-sys, js-sys or gloo. Native builds do not even have those
//! crates (they are wasm-only dependencies), so a stray import fails `cargo test`.

/// Milliseconds rounded to the microsecond: browsers' clocks give no finer truth, and
/// results documents stay readable. `+ 0.0` turns a `-0.0` (an empty sum) into `0`.
pub fn round_to_micros(ms: f64) -> f64 {
    (ms * 1000.0).round() / 1000.0 + 0.0
}

pub mod chart;
pub mod embed;
pub mod lab;
pub mod link;
pub mod models;
