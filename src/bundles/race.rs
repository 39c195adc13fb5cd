//! The /race bundle: the shell with this one lab.
fn main() {
    #[cfg(target_arch = "wasm32")]
    {
        use concurrency_playground::app::{self, Bundle};
        use concurrency_playground::labs::{race, Lab};
        app::start(Bundle::Lab(Lab { meta: &race::META, view: race::view::render }));
    }
}
