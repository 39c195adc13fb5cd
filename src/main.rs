fn main() {
    #[cfg(target_arch = "wasm32")]
    yew::Renderer::<concurrency_playground::app::App>::new().render();
}
