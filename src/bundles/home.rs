//! The home bundle: the shell with the start page, and "Nothing here" for unknown paths.
fn main() {
    #[cfg(target_arch = "wasm32")]
    {
        use concurrency_playground::app::{self, Bundle, HomePage};
        app::start(Bundle::Home(HomePage(app::home_page)));
    }
}
