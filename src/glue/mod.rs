//! Browser glue: the only module (with the views) that touches web-sys and js-sys.
//! Thread pool start-up, clocks, the address bar, clipboard, downloads, animation frames.

pub mod aio;
pub mod python;

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

fn global_get(name: &str) -> JsValue {
    js_sys::Reflect::get(&js_sys::global(), &JsValue::from_str(name)).unwrap_or(JsValue::UNDEFINED)
}

thread_local! {
    static PERFORMANCE: web_sys::Performance = global_get("performance").unchecked_into();
}

/// Milliseconds since the Unix epoch with sub-millisecond precision. The page and every
/// worker have their own `performance.now()` origin; adding `timeOrigin` puts them on one
/// clock, so task times measured in workers line up with the page's.
pub fn now_ms() -> f64 {
    PERFORMANCE.with(|p| p.time_origin() + p.now())
}

pub fn is_cross_origin_isolated() -> bool {
    global_get("crossOriginIsolated").as_bool().unwrap_or(false)
}

/// Whether this page has `SharedArrayBuffer`. Isolation does not imply it: WebKitGTK 2.50
/// withholds it from isolated pages unless its environment says otherwise.
pub fn has_shared_memory() -> bool {
    global_get("SharedArrayBuffer").is_function()
}

/// What WebKitGTK does; one wording for the pool's notice and the Python lab's.
macro_rules! withholds_shared_memory {
    () => {
        "withholds SharedArrayBuffer although the page is cross-origin isolated"
    };
}

/// Why this page cannot share memory with workers, or None when it can.
pub fn shared_memory_missing() -> Option<&'static str> {
    if !is_cross_origin_isolated() {
        Some("this page is not cross-origin isolated")
    } else if !has_shared_memory() {
        Some(concat!("this browser ", withholds_shared_memory!()))
    } else {
        None
    }
}

/// Logical cores as the browser reports them (at least 1).
pub fn logical_cores() -> usize {
    web_sys::window()
        .map(|w| w.navigator().hardware_concurrency() as usize)
        .unwrap_or(1)
        .max(1)
}

pub use crate::core::lab::PoolStatus;

thread_local! {
    static POOL_STARTED: Cell<bool> = const { Cell::new(false) };
}

/// Starts the rayon pool once per page, with one worker per logical core.
pub async fn start_pool() -> PoolStatus {
    if is_cross_origin_isolated() && !has_shared_memory() {
        let reason = concat!("This browser ", withholds_shared_memory!(), ", so every lab runs on one thread.");
        return PoolStatus::SingleThread { reason: reason.into() };
    }
    start_pool_if(is_cross_origin_isolated()).await
}

/// [`start_pool`] with the isolation check given, so the fallback can be tested on an
/// isolated test page.
pub async fn start_pool_if(isolated: bool) -> PoolStatus {
    if !isolated && in_frame() {
        return PoolStatus::SingleThread {
            reason: "This frame is not cross-origin isolated: the page around it would have to be isolated \
                     too, and allow it (allow=\"cross-origin-isolated\"), so the experiment runs on one thread."
                .into(),
        };
    }
    if !isolated {
        return PoolStatus::SingleThread {
            reason: "This page is not cross-origin isolated, so the browser withholds \
                     SharedArrayBuffer and every lab runs on one thread; serve it with the headers \
                     Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: \
                     require-corp to compute on Web Workers."
                .into(),
        };
    }
    if POOL_STARTED.with(|s| s.replace(true)) {
        return PoolStatus::SingleThread { reason: "the worker pool was already started".into() };
    }
    let threads = logical_cores();
    match JsFuture::from(wasm_bindgen_rayon::init_thread_pool(threads)).await {
        Ok(_) => PoolStatus::Ready { threads },
        Err(e) => PoolStatus::SingleThread {
            reason: format!(
                "The Web Workers failed to start ({}), so every lab runs on one thread.",
                js_error_text(&e)
            ),
        },
    }
}

pub fn js_error_text(e: &JsValue) -> String {
    if let Some(err) = e.dyn_ref::<js_sys::Error>() {
        return String::from(err.message());
    }
    e.as_string().unwrap_or_else(|| format!("{e:?}"))
}

fn raw_query() -> String {
    web_sys::window().and_then(|w| w.location().search().ok()).unwrap_or_default()
}

/// The address bar's query string, without `?` and without the shell's `embed` flag, which
/// no lab sees.
pub fn current_query() -> String {
    crate::core::embed::split(&raw_query()).1
}

thread_local! {
    static EMBEDDED: bool = crate::core::embed::split(&raw_query()).0;
}

/// The address bar's path below the site root, e.g. `/cpu` on a site served from
/// `/course/playground/` at `/course/playground/cpu`.
pub fn current_path() -> String {
    let path = web_sys::window().and_then(|w| w.location().pathname().ok()).unwrap_or_else(|| "/".into());
    crate::core::lab::path_below(&site_root_path(), &path)
}

/// Names the page in the tab, the history and a screen reader's window list.
pub fn set_title(title: &str) {
    if let Some(document) = web_sys::window().and_then(|w| w.document()) {
        document.set_title(title);
    }
}

/// The element that has the keyboard focus, unless that is nowhere (`<body>`).
pub fn focused_element() -> Option<web_sys::Element> {
    let document = web_sys::window().and_then(|w| w.document())?;
    let el = document.active_element()?;
    if document.body().is_some_and(|body| body.is_same_node(Some(&el))) {
        None
    } else {
        Some(el)
    }
}

/// Whether `element` can no longer hold the focus: it left the page or was disabled (the
/// browser then moves the focus to `<body>`, at its next rendering).
pub fn lost_focus(element: &web_sys::Element) -> bool {
    !element.is_connected() || element.matches(":disabled").unwrap_or(false) || focused_element().is_none()
}

/// Moves the keyboard focus to the first element `selector` finds, if any.
pub fn focus_selector(selector: &str) {
    let found = web_sys::window().and_then(|w| w.document()).and_then(|d| d.query_selector(selector).ok().flatten());
    if let Some(el) = found.and_then(|el| el.dyn_into::<web_sys::HtmlElement>().ok()) {
        focus(&el);
    }
}

/// Moves the keyboard focus to `element` without scrolling the page for it when it is in
/// view already.
pub fn focus(element: &web_sys::HtmlElement) {
    let _ = element.focus();
}

/// The whole address, as the address bar shows it.
pub fn current_href() -> String {
    web_sys::window().and_then(|w| w.location().href().ok()).unwrap_or_else(|| "/".into())
}

/// Loads the address bar's page from the server, for a page another bundle renders. Once
/// per address in a tab: if the same bundle comes back (which would be a bug), or the tab
/// keeps no session storage, the page shows its link instead of reloading in a loop.
pub fn load_this_address_once() {
    const KEY: &str = "playground-bundle-reload";
    let Some(window) = web_sys::window() else { return };
    let Some(storage) = window.session_storage().ok().flatten() else { return };
    let href = current_href();
    if storage.get_item(KEY).ok().flatten().as_deref() == Some(href.as_str()) || storage.set_item(KEY, &href).is_err() {
        return;
    }
    let _ = window.location().reload();
}

/// Whether the page was opened in embed form (`embed=1`); fixed for the page's life.
pub fn is_embedded() -> bool {
    EMBEDDED.with(|e| *e)
}

/// Whether the page is inside a frame of another page.
pub fn in_frame() -> bool {
    let Some(window) = web_sys::window() else { return false };
    match window.top() {
        Ok(Some(top)) => !js_sys::Object::is(&top, &window),
        _ => true,
    }
}

/// The event `replace_query` sends on `window`, for parts of the shell that show the link.
pub const QUERY_CHANGED: &str = "playground-query";

/// Rewrites the query in place (no new history entry), so the address bar always holds
/// the experiment on screen. An embedded page keeps its flag.
pub fn replace_query(query: &str) {
    let Some(window) = web_sys::window() else { return };
    let path = window.location().pathname().unwrap_or_else(|_| "/".into());
    let query = crate::core::embed::join(query, is_embedded());
    let url = if query.is_empty() { path } else { format!("{path}?{query}") };
    if let Ok(history) = window.history() {
        let _ = history.replace_state_with_url(&JsValue::NULL, "", Some(&url));
    }
    if let Ok(event) = web_sys::Event::new(QUERY_CHANGED) {
        let _ = window.dispatch_event(&event);
    }
}

/// Runs `job` on a worker of the pool when `on_worker` (else right here, on the page's
/// thread); its result arrives through the receiver. The page awaits it on its event loop
/// and never blocks: the worker's send wakes the page's task (wasm-bindgen-futures'
/// executor is woken across threads with `Atomics.notify`).
pub fn off_page<T: Send + 'static>(
    on_worker: bool,
    job: impl FnOnce() -> T + Send + 'static,
) -> futures_channel::oneshot::Receiver<T> {
    let (sender, receiver) = futures_channel::oneshot::channel();
    let run = move || {
        // The page may have dropped the receiver (a newer job replaced this one).
        let _ = sender.send(job());
    };
    if on_worker {
        rayon::spawn(run);
    } else {
        run();
    }
    receiver
}

/// Where this site's files are, without the last slash: `http://127.0.0.1:8080` or
/// `https://example.org/course/playground`. The loader puts the site's root into the page's
/// `<base>` (web/build.mjs), so a build works unchanged under any path; without one (the
/// wasm-pack tests' page) it is the origin.
pub fn site_root() -> String {
    match base_url() {
        Some(url) => format!("{}{}", url.origin(), site_root_path_of(&url)),
        None => web_sys::window().and_then(|w| w.location().origin().ok()).unwrap_or_default(),
    }
}

/// The page's `<base>`, resolved against the address.
fn base_url() -> Option<web_sys::Url> {
    web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.query_selector("base[href]").ok().flatten())
        .and_then(|b| b.get_attribute("href"))
        .and_then(|href| web_sys::Url::new_with_base(&href, &current_href()).ok())
}

fn site_root_path_of(url: &web_sys::Url) -> String {
    url.pathname().trim_end_matches('/').to_string()
}

/// The path part of [`site_root`], e.g. `/course/playground` (empty at the origin's root).
fn site_root_path() -> String {
    base_url().map(|url| site_root_path_of(&url)).unwrap_or_default()
}

/// An absolute link to `path?query` on this site (`path` below the site root).
pub fn absolute_link(path: &str, query: &str) -> String {
    crate::core::lab::absolute_link(&site_root(), path, query)
}

pub async fn copy_text(text: &str) -> Result<(), String> {
    let window = web_sys::window().ok_or("no window")?;
    let clipboard = window.navigator().clipboard();
    JsFuture::from(clipboard.write_text(text)).await.map(|_| ()).map_err(|e| js_error_text(&e))
}

/// Saves `text` as a file through a temporary object URL.
pub fn download_text(filename: &str, mime: &str, text: &str) -> Result<(), String> {
    let parts = js_sys::Array::of1(&JsValue::from_str(text));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type(mime);
    let blob = web_sys::Blob::new_with_str_sequence_and_options(&parts, &options)
        .map_err(|e| js_error_text(&e))?;
    let url = web_sys::Url::create_object_url_with_blob(&blob).map_err(|e| js_error_text(&e))?;
    let document = web_sys::window().and_then(|w| w.document()).ok_or("no document")?;
    let anchor: web_sys::HtmlAnchorElement =
        document.create_element("a").map_err(|e| js_error_text(&e))?.unchecked_into();
    anchor.set_href(&url);
    anchor.set_download(filename);
    anchor.click();
    // Some browsers read the URL after click() returns; free it a little later.
    gloo_timers::callback::Timeout::new(10_000, move || {
        let _ = web_sys::Url::revoke_object_url(&url);
    })
    .forget();
    Ok(())
}

/// Calls `frame(n)` on every animation frame until the returned handle is dropped.
pub struct FrameLoop {
    alive: Rc<Cell<bool>>,
}

impl Drop for FrameLoop {
    fn drop(&mut self) {
        self.alive.set(false);
    }
}

pub fn frame_loop(mut frame: impl FnMut(u64) + 'static) -> FrameLoop {
    let alive = Rc::new(Cell::new(true));
    let slot: Rc<RefCell<Option<Closure<dyn FnMut(f64)>>>> = Rc::new(RefCell::new(None));
    let slot_inner = Rc::clone(&slot);
    let alive_inner = Rc::clone(&alive);
    let mut count = 0u64;
    *slot.borrow_mut() = Some(Closure::new(move |_t: f64| {
        if !alive_inner.get() {
            // Break the Rc cycle so the closure is freed.
            slot_inner.borrow_mut().take();
            return;
        }
        count += 1;
        frame(count);
        if let (Some(window), Some(cb)) = (web_sys::window(), slot_inner.borrow().as_ref()) {
            let _ = window.request_animation_frame(cb.as_ref().unchecked_ref());
        }
    }));
    if let (Some(window), Some(cb)) = (web_sys::window(), slot.borrow().as_ref()) {
        let _ = window.request_animation_frame(cb.as_ref().unchecked_ref());
    }
    FrameLoop { alive }
}
