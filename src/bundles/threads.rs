//! The /threads bundle: the shell with this one lab.
fn main() {
    #[cfg(target_arch = "wasm32")]
    {
        use concurrency_playground::app::{self, Bundle};
        use concurrency_playground::labs::{threads, Lab};
        app::start(Bundle::Lab(Lab { meta: &threads::META, view: threads::view::render }));
    }
}
