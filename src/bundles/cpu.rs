//! The /cpu bundle: the shell with this one lab.
fn main() {
    #[cfg(target_arch = "wasm32")]
    {
        use concurrency_playground::app::{self, Bundle};
        use concurrency_playground::labs::{cpu, Lab};
        app::start(Bundle::Lab(Lab { meta: &cpu::META, view: cpu::view::render }));
    }
}
