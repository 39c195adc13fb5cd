//! The async lab's window on the browser: real timers, real fetches, real CPU work on
//! the page's thread or on a worker. The orchestration itself lives in the pure core.

use super::now_ms;
use crate::labs::aio::config::Network;
use crate::labs::aio::model::{Env, Planned};
use futures::future::LocalBoxFuture;
use gloo_timers::future::TimeoutFuture;

const ANILIST: &str = "https://graphql.anilist.co";
const ANILIST_QUERY: &str = "query ($id: Int) { Media(id: $id, type: ANIME) { id title { romaji english native } } }";

pub struct BrowserEnv {
    pub network: Network,
    pub plan: Vec<Planned>,
    /// Live mode with a URL template; `None` queries AniList.
    pub url: Option<String>,
    pub workers: bool,
}

fn sleep_ms(ms: f64) -> TimeoutFuture {
    TimeoutFuture::new(ms.clamp(0.0, f64::from(u32::MAX)).round() as u32)
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

fn network_error(e: gloo_net::Error) -> String {
    match e {
        gloo_net::Error::JsError(js) => format!("network error ({}): offline, refused, or blocked by CORS", js.message),
        gloo_net::Error::SerdeError(e) => format!("bad JSON: {e}"),
        gloo_net::Error::GlooError(e) => format!("request failed: {e}"),
    }
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
                .map_err(network_error)?;
            let response = request.send().await.map_err(network_error)?;
            if !response.ok() {
                return Err(format!("HTTP {}", response.status()));
            }
            let value: serde_json::Value = response.json().await.map_err(network_error)?;
            if let Some(errors) = value.get("errors") {
                return Err(format!("GraphQL error: {}", crate::core::link::quote(&errors.to_string())));
            }
            let title = &value["data"]["Media"]["title"];
            let name = ["english", "romaji", "native"].iter().find_map(|k| title[*k].as_str()).unwrap_or("(no title)");
            Ok(name.to_string())
        }
        Some(template) => {
            let url = template.replace("{id}", &id.to_string());
            let response = gloo_net::http::Request::get(&url).abort_signal(signal.as_ref()).send().await.map_err(network_error)?;
            if !response.ok() {
                return Err(format!("HTTP {}", response.status()));
            }
            let text = response.text().await.map_err(network_error)?;
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
    }

    fn offload(&self, ms: f64) -> LocalBoxFuture<'static, ()> {
        if !self.workers {
            // No workers on this page: the work has nowhere else to go.
            spin(ms);
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
}
