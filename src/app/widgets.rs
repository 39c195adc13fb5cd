//! Small pieces shared by the labs' pages.

use crate::core::link::LinkError;
use crate::glue;
use yew::prelude::*;

/// A dot that moves on every animation frame, driven from the main thread, so it stops
/// exactly when the main thread is busy (a CSS animation would keep running on the
/// compositor and hide the freeze). `data-frames` counts frames for tests.
/// Track width minus dot width, in CSS pixels (see `.heartbeat-track` in style.css).
const HEARTBEAT_TRAVEL_PX: f64 = 60.0;

#[function_component(Heartbeat)]
pub fn heartbeat() -> Html {
    let node = use_node_ref();
    {
        let node = node.clone();
        use_effect_with((), move |_| {
            let handle = glue::frame_loop(move |n| {
                let Some(track) = node.cast::<web_sys::Element>() else { return };
                let _ = track.set_attribute("data-frames", &n.to_string());
                // A transform moves the dot without layout or repaint: the page thread
                // must stay as idle as possible while workers compute beside it.
                if let Some(dot) = track.first_element_child() {
                    let phase = (n % 120) as f64 / 120.0;
                    let x = ((phase * std::f64::consts::TAU).sin() * 0.5 + 0.5) * HEARTBEAT_TRAVEL_PX;
                    let _ = dot.set_attribute("style", &format!("transform: translateX({x:.1}px)"));
                }
            });
            move || drop(handle)
        });
    }
    html! {
        <div class="heartbeat" title="Moves on every frame the page's thread paints">
            <div class="heartbeat-track" ref={node} data-testid="heartbeat" data-frames="0">
                <span class="heartbeat-dot"></span>
            </div>
            <span class="muted small">{ "page thread" }</span>
        </div>
    }
}

#[derive(Properties, PartialEq)]
pub struct LinkErrorsProps {
    pub errors: Vec<LinkError>,
    pub on_dismiss: Callback<()>,
}

/// Lists what was wrong with the link the page was opened from.
#[function_component(LinkErrors)]
pub fn link_errors(props: &LinkErrorsProps) -> Html {
    if props.errors.is_empty() {
        return html! {};
    }
    let dismiss = props.on_dismiss.reform(|_: MouseEvent| ());
    html! {
        <div class="notice error" data-testid="link-errors" role="alert">
            <strong>{ "Some of this link could not be used; those settings were reset to their defaults:" }</strong>
            <ul>
                { for props.errors.iter().map(|e| html! {
                    <li><code>{ crate::core::link::quote(&e.key) }</code>{ " " }{ &e.message }</li>
                }) }
            </ul>
            <button class="link-button" onclick={dismiss}>{ "Dismiss" }</button>
        </div>
    }
}
