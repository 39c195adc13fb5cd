//! The async lab's window on the browser: real timers, real fetches, real CPU work on
//! the page's thread or on a worker. The orchestration itself lives in the pure core.

use super::now_ms;
use crate::labs::aio::config::Network;
use crate::labs::aio::model::{Env, Planned};
use futures::future::LocalBoxFuture;
use gloo_timers::future::TimeoutFuture;
use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

const ANILIST: &str = "https://graphql.anilist.co";
const ANILIST_QUERY: &str = "query ($id: Int) { Media(id: $id, type: ANIME) { id title { romaji english native } } }";

pub struct BrowserEnv {
    pub network: Network,
    pub plan: Vec<Planned>,
    /// Live mode with a URL template; `None` queries AniList.
    pub url: Option<String>,
    pub workers: bool,
}

thread_local! {
    /// Sleeps not yet over: (deadline in µs, sequence) -> who to wake.
    static SLEEPING: RefCell<BTreeMap<(u64, u64), Waker>> = const { RefCell::new(BTreeMap::new()) };
    static NEXT_SLEEP: Cell<u64> = const { Cell::new(0) };
    /// The loop's time in this pass (see `loop_time_ms`), until the pass ends.
    static PASS_TIME: Cell<Option<f64>> = const { Cell::new(None) };
}

/// The event loop's time for sleeps started now: the time this pass of the loop (one poll
/// of the run) began. Coroutines that one pass starts start together, as in asyncio,
/// where the pass takes microseconds. Here a page's first pass can take several
/// milliseconds of the browser compiling code the run meets for the first time, and two
/// requests started in it would otherwise fall due that far apart. Only the lab's own
/// simulated work (`block`) moves the loop's time on within a pass.
fn loop_time_ms() -> f64 {
    if let Some(t) = PASS_TIME.with(Cell::get) {
        return t;
    }
    let t = now_ms();
    PASS_TIME.with(|p| p.set(Some(t)));
    // Runs once this pass has ended: the executor takes it after the task now polled.
    wasm_bindgen_futures::spawn_local(async { PASS_TIME.with(|p| p.set(None)) });
    t
}

/// `asyncio.sleep` on the page's clock. When one sleep's timer fires, every other sleep
/// due within the next millisecond (setTimeout's resolution) wakes with it, as asyncio's
/// loop runs all the timers due in one pass. The browser runs each setTimeout as its own
/// task, so without this, a coroutine woken by the first of two timers due together could
/// run before the second's coroutine resumed: a log order Python would not print.
struct Sleep {
    deadline_ms: f64,
    key: (u64, u64),
    registered: bool,
    timer: TimeoutFuture,
}

fn sleep_ms(ms: f64) -> Sleep {
    let ms = ms.clamp(0.0, f64::from(u32::MAX));
    let deadline_ms = loop_time_ms() + ms;
    let ms = (deadline_ms - now_ms()).max(0.0);
    let seq = NEXT_SLEEP.with(|n| {
        n.set(n.get() + 1);
        n.get()
    });
    // Rounded up: a timer must not fire before its deadline.
    Sleep { deadline_ms, key: (micros(deadline_ms), seq), registered: false, timer: TimeoutFuture::new(ms.ceil() as u32) }
}

fn micros(ms: f64) -> u64 {
    (ms * 1000.0).max(0.0) as u64
}

impl Future for Sleep {
    type Output = ();
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        // Woken with an earlier timer, which took this sleep out of the map. It wakes no
        // others itself: the batch is anchored to a timer that really fired, so wake-ups
        // cannot chain ever further ahead of the clock.
        if this.registered && SLEEPING.with(|s| !s.borrow().contains_key(&this.key)) {
            this.registered = false;
            return Poll::Ready(());
        }
        let now = now_ms();
        if now >= this.deadline_ms || Pin::new(&mut this.timer).poll(cx).is_ready() {
            this.registered = false;
            let horizon = micros(now.max(this.deadline_ms) + 1.0);
            let due: Vec<Waker> = SLEEPING.with(|s| {
                let mut s = s.borrow_mut();
                s.remove(&this.key);
                let later = s.split_off(&(horizon.saturating_add(1), 0));
                std::mem::replace(&mut *s, later).into_values().collect()
            });
            due.into_iter().for_each(Waker::wake);
            return Poll::Ready(());
        }
        SLEEPING.with(|s| s.borrow_mut().insert(this.key, cx.waker().clone()));
        this.registered = true;
        Poll::Pending
    }
}

impl Drop for Sleep {
    fn drop(&mut self) {
        if self.registered {
            let _ = SLEEPING.try_with(|s| s.borrow_mut().remove(&self.key));
        }
    }
}

/// Spins for `ms` on the calling thread: the stand-in for CPU-bound Python code.
fn spin(ms: f64) {
    let end = now_ms() + ms;
    while now_ms() < end {
        std::hint::spin_loop();
    }
}

/// Aborts the fetch if the request future is dropped (cancelled, timed out).
struct AbortOnDrop(Option<web_sys::AbortController>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        if let Some(c) = self.0.take() {
            c.abort();
        }
    }
}

/// Why a request to `url` failed. The browser reports offline, refused, unreachable,
/// CORS and mixed content all as one bare TypeError, so the page's own state is what
/// tells some of them apart.
fn network_error(url: &str, e: gloo_net::Error) -> String {
    match e {
        gloo_net::Error::JsError(_) => {
            let window = web_sys::window();
            let offline = window.as_ref().is_some_and(|w| !w.navigator().on_line());
            let https_page = window.and_then(|w| w.location().protocol().ok()).is_some_and(|p| p == "https:");
            if offline {
                "network error: the browser is offline".into()
            } else if https_page && plain_http_off_machine(url) {
                "network error: an https page may not fetch http:// addresses, so the browser blocked it (mixed content)".into()
            } else {
                "network error: the server refused, is unreachable, or did not allow this origin (CORS)".into()
            }
        }
        gloo_net::Error::SerdeError(e) => format!("bad JSON: {e}"),
        gloo_net::Error::GlooError(e) => format!("request failed: {e}"),
    }
}

/// An http:// URL whose host is not this machine: browsers let an https page reach
/// http://localhost and 127.x, and block every other http:// fetch as mixed content.
fn plain_http_off_machine(url: &str) -> bool {
    let Some(rest) = url.strip_prefix("http://") else { return false };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host_port = authority.rsplit('@').next().unwrap_or("");
    let host = if host_port.starts_with('[') {
        host_port.split(']').next().map(|h| format!("{h}]")).unwrap_or_default()
    } else {
        host_port.split(':').next().unwrap_or("").to_ascii_lowercase()
    };
    !(host == "localhost" || host.ends_with(".localhost") || host.starts_with("127.") || host == "[::1]")
}

async fn live_fetch(url: Option<String>, id: u32) -> Result<String, String> {
    let controller = web_sys::AbortController::new().ok();
    let signal = controller.as_ref().map(|c| c.signal());
    let _abort = AbortOnDrop(controller);
    match url {
        None => {
            let body = serde_json::json!({ "query": ANILIST_QUERY, "variables": { "id": id } });
            let request = gloo_net::http::Request::post(ANILIST)
                .header("Accept", "application/json")
                .abort_signal(signal.as_ref())
                .json(&body)
                .map_err(|e| network_error(ANILIST, e))?;
            let response = request.send().await.map_err(|e| network_error(ANILIST, e))?;
            if !response.ok() {
                return Err(format!("HTTP {}", response.status()));
            }
            let value: serde_json::Value = response.json().await.map_err(|e| network_error(ANILIST, e))?;
            if let Some(errors) = value.get("errors") {
                return Err(format!("GraphQL error: {}", crate::core::link::quote(&errors.to_string())));
            }
            let title = &value["data"]["Media"]["title"];
            let name = ["english", "romaji", "native"].iter().find_map(|k| title[*k].as_str()).unwrap_or("(no title)");
            Ok(name.to_string())
        }
        Some(template) => {
            let url = template.replace("{id}", &id.to_string());
            let response = gloo_net::http::Request::get(&url).abort_signal(signal.as_ref()).send().await.map_err(|e| network_error(&url, e))?;
            if !response.ok() {
                return Err(format!("HTTP {}", response.status()));
            }
            let text = response.text().await.map_err(|e| network_error(&url, e))?;
            Ok(format!("HTTP {}, {} bytes", response.status(), text.len()))
        }
    }
}

impl Env for BrowserEnv {
    fn now(&self) -> f64 {
        now_ms()
    }

    fn sleep(&self, ms: f64) -> LocalBoxFuture<'static, ()> {
        Box::pin(sleep_ms(ms))
    }

    fn fetch(&self, index: usize) -> LocalBoxFuture<'static, Result<String, String>> {
        let planned = self.plan.get(index).cloned();
        match (self.network, planned) {
            (_, None) => Box::pin(async { Err("no such request".to_string()) }),
            (Network::Sim, Some(p)) => Box::pin(async move {
                sleep_ms(p.latency_ms).await;
                if p.fails { Err("simulated failure (HTTP 500)".into()) } else { Ok("ok".into()) }
            }),
            (Network::Live, Some(p)) => Box::pin(live_fetch(self.url.clone(), p.id)),
        }
    }

    fn block(&self, ms: f64) {
        spin(ms);
        // The loop's time moved on with the work, as CPython's clock would.
        PASS_TIME.with(|p| p.set(None));
    }

    fn offload(&self, ms: f64) -> LocalBoxFuture<'static, ()> {
        if !self.workers {
            // The model asks `has_workers` first; should it not, the work still gets done.
            self.block(ms);
            return Box::pin(async {});
        }
        let (tx, rx) = futures_channel::oneshot::channel::<()>();
        rayon::spawn(move || {
            spin(ms);
            let _ = tx.send(());
        });
        Box::pin(async move {
            let _ = rx.await;
        })
    }

    fn has_workers(&self) -> bool {
        self.workers
    }
}
