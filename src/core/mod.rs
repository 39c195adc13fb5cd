//! The pure core: no yew, web-sys, js-sys or gloo. Native builds do not even have those
//! crates (they are wasm-only dependencies), so a stray import fails `cargo test`.

pub mod chart;
pub mod link;
pub mod models;
