//! Small pieces shared by the labs' pages.

use crate::core::lab::{Share, ShareAction};
use crate::core::link::LinkError;
use crate::glue;
use wasm_bindgen::JsCast;
use yew::prelude::*;

/// The current text of the form control an event came from: an input, a textarea or a
/// select.
pub fn field_text(e: &Event) -> String {
    let Some(target) = e.target() else { return String::new() };
    if let Some(input) = target.dyn_ref::<web_sys::HtmlInputElement>() {
        input.value()
    } else if let Some(area) = target.dyn_ref::<web_sys::HtmlTextAreaElement>() {
        area.value()
    } else if let Some(select) = target.dyn_ref::<web_sys::HtmlSelectElement>() {
        select.value()
    } else {
        String::new()
    }
}

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
            <strong>{ "Some of this link could not be used; the rest of it applies:" }</strong>
            <ul>
                { for props.errors.iter().map(|e| html! {
                    <li><code>{ crate::core::link::quote(&e.key) }</code>{ " " }{ &e.message }</li>
                }) }
            </ul>
            <button class="link-button" onclick={dismiss}>{ "Dismiss" }</button>
        </div>
    }
}

/// A labelled text input of a lab's form: what it shows, and what it says of itself.
pub struct TextField {
    pub label: &'static str,
    /// Shown on hover; the label says what the field is.
    pub hint: &'static str,
    pub testid: &'static str,
    /// `numeric`, `decimal` or `text`: the keyboard a phone shows.
    pub inputmode: &'static str,
    pub value: String,
    pub disabled: bool,
    /// The text is not a valid value (the form's error list says why).
    pub invalid: bool,
}

/// A form's text input, the same in every lab.
pub fn text_field(field: TextField, oninput: Callback<InputEvent>) -> Html {
    html! {
        <label title={field.hint}>{ field.label }
            <input class="num-input" type="text" inputmode={field.inputmode} data-testid={field.testid}
                disabled={field.disabled} aria-invalid={field.invalid.then_some("true")} value={field.value} oninput={oninput} />
        </label>
    }
}

#[derive(Properties, PartialEq)]
pub struct PresetBarProps {
    /// The lab whose presets to show.
    pub lab: &'static str,
    /// The preset currently loaded, if any, to highlight.
    #[prop_or_default]
    pub selected: Option<&'static str>,
    #[prop_or_default]
    pub disabled: bool,
    pub on_pick: Callback<&'static str>,
}

/// A lab's presets as buttons; picking one loads its configuration.
#[function_component(PresetBar)]
pub fn preset_bar(props: &PresetBarProps) -> Html {
    let Some(lab) = crate::labs::find(props.lab) else { return html! {} };
    html! {
        <section class="presets" aria-label="Presets">
            { for lab.presets.iter().map(|p| {
                let id = p.id;
                let pick = props.on_pick.reform(move |_: MouseEvent| id);
                html! {
                    <button class={classes!("preset", (props.selected == Some(id)).then_some("selected"))}
                        data-testid={format!("preset-{id}")} title={p.blurb} disabled={props.disabled} onclick={pick}>
                        <strong>{ p.title }</strong>
                        <span class="small muted">{ p.blurb }</span>
                    </button>
                }
            }) }
        </section>
    }
}

#[derive(Properties, PartialEq)]
pub struct ShareBarProps {
    /// The lab's route, e.g. `/cpu`.
    pub path: &'static str,
    /// The experiment's query string, without `run`.
    pub query: String,
    /// The results document that Export JSON saves, and the file name it saves it as.
    pub document: AttrValue,
    pub export_name: &'static str,
}

/// Copy link (optionally with `run=1`), the link itself, and Export JSON. Both buttons
/// report a failure here, under themselves.
#[function_component(ShareBar)]
pub fn share_bar(props: &ShareBarProps) -> Html {
    // The bar's state and its transitions are `core::lab::Share`; this only wires them.
    let share = use_reducer(ShareReducer::default);
    let url = glue::absolute_link(props.path, &share.0.query(&props.query));
    let copy = {
        let (url, share) = (url.clone(), share.clone());
        Callback::from(move |_: MouseEvent| {
            let (url, share) = (url.clone(), share.clone());
            wasm_bindgen_futures::spawn_local(async move {
                share.dispatch(ShareAction::Copied(glue::copy_text(&url).await));
            });
        })
    };
    let copy_embed = {
        let (url, share, path) = (url.clone(), share.clone(), props.path);
        Callback::from(move |_: MouseEvent| {
            let title = crate::labs::find(path.trim_start_matches('/')).map_or("Concurrency Playground", |l| l.title);
            let snippet = crate::core::embed::iframe(&url, &format!("Concurrency Playground: {title}"));
            let share = share.clone();
            wasm_bindgen_futures::spawn_local(async move {
                share.dispatch(ShareAction::EmbedCopied(glue::copy_text(&snippet).await));
            });
        })
    };
    let toggle = {
        let share = share.clone();
        Callback::from(move |_: Event| share.dispatch(ShareAction::ToggleRunOnOpen))
    };
    let export = {
        let (document, name, share) = (props.document.clone(), props.export_name, share.clone());
        Callback::from(move |_: MouseEvent| {
            if let Err(e) = glue::download_text(name, "application/json", &document) {
                share.dispatch(ShareAction::ExportFailed(e));
            }
        })
    };
    html! {
        <div class="share">
            <div class="actions">
                <button data-testid="copy-link" onclick={copy}>{ "Copy link" }</button>
                <button data-testid="copy-embed" title="An <iframe> for a course page: this experiment without the site around it" onclick={copy_embed}>{ "Copy embed code" }</button>
                <label class="small check"><input type="checkbox" checked={share.0.run_on_open} data-testid="run-in-link" onchange={toggle} />{ " run when opened" }</label>
                <button data-testid="export-json" onclick={export}>{ "Export JSON" }</button>
            </div>
            // Always in the page, so that a screen reader announces the message it gets.
            <div role="status" class="share-status">
                { match &share.0.message {
                    Some((ok, m)) => html! { <p class={classes!("small", if *ok { "ok" } else { "warn" })} data-testid="copy-status">{ m }</p> },
                    None => html! {},
                } }
            </div>
            <input class="share-url" readonly=true value={url} aria-label="Link to this experiment" data-testid="share-url"
                onfocus={Callback::from(|e: FocusEvent| e.target_unchecked_into::<web_sys::HtmlInputElement>().select())} />
        </div>
    }
}

/// `Share` as a Yew reducer.
#[derive(Default, PartialEq)]
struct ShareReducer(Share);

impl Reducible for ShareReducer {
    type Action = ShareAction;

    fn reduce(self: std::rc::Rc<Self>, action: ShareAction) -> std::rc::Rc<Self> {
        let mut next = self.0.clone();
        next.update(action);
        std::rc::Rc::new(ShareReducer(next))
    }
}

/// The machine-readable results every lab shows (and tests read), folded away.
pub fn results_json(doc: impl Into<AttrValue>) -> Html {
    let doc: AttrValue = doc.into();
    html! {
        <details class="json">
            <summary>{ "Results as JSON" }</summary>
            <pre data-testid="results-json">{ doc }</pre>
        </details>
    }
}
