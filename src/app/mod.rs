//! The app shell: header, navigation, routes and the thread-pool context. Labs plug in
//! through the registry in `crate::labs`.

mod home;
pub mod widgets;

use crate::glue::{self, PoolStatus};
use crate::labs;
use yew::prelude::*;
use yew_router::prelude::*;

#[derive(Clone, Routable, PartialEq)]
pub enum Route {
    #[at("/")]
    Home,
    #[at("/:lab")]
    Lab { lab: String },
    #[not_found]
    #[at("/404")]
    NotFound,
}

fn switch(route: Route) -> Html {
    match route {
        Route::Home => html! { <home::Home /> },
        Route::Lab { lab } => match labs::find(&lab) {
            Some(entry) => (entry.view)(),
            None => not_found(&lab),
        },
        Route::NotFound => not_found(""),
    }
}

fn not_found(what: &str) -> Html {
    html! {
        <section class="card" data-testid="not-found">
            <h1>{ "Nothing here" }</h1>
            <p>{ format!("There is no lab called \u{201c}{}\u{201d}. ", crate::core::link::quote(what)) }
               <Link<Route> to={Route::Home}>{ "Back to the start page" }</Link<Route>></p>
        </section>
    }
}

#[function_component(App)]
pub fn app() -> Html {
    let pool = use_state(|| PoolStatus::Starting);
    {
        let pool = pool.clone();
        use_effect_with((), move |_| {
            wasm_bindgen_futures::spawn_local(async move {
                pool.set(glue::start_pool().await);
            });
        });
    }
    if glue::is_embedded() {
        // Embed form: the experiment alone, with a way out to the full site.
        return html! {
            <BrowserRouter>
                <ContextProvider<PoolStatus> context={(*pool).clone()}>
                    <EmbedBar />
                    <main class="embed" data-embed="1" data-pool={pool_name(&pool)}>
                        <PoolNotice />
                        <Switch<Route> render={switch} />
                    </main>
                </ContextProvider<PoolStatus>>
            </BrowserRouter>
        };
    }
    html! {
        <BrowserRouter>
            <ContextProvider<PoolStatus> context={(*pool).clone()}>
                <Header />
                <main data-pool={pool_name(&pool)}>
                    <PoolNotice />
                    <Switch<Route> render={switch} />
                </main>
                <footer>
                    { "Concurrency Playground: Python's concurrency models, run as browser analogues and, in the Python lab, in CPython itself. " }
                    { "Timings come from your machine and browser; Python's own figures differ by machine too." }
                </footer>
            </ContextProvider<PoolStatus>>
        </BrowserRouter>
    }
}

fn pool_name(pool: &PoolStatus) -> &'static str {
    match pool {
        PoolStatus::Starting => "starting",
        PoolStatus::Ready { .. } => "ready",
        PoolStatus::SingleThread { .. } => "single",
    }
}

/// The embed form's one line: what this is, and a link that opens the same experiment on
/// the full site (it follows the address bar as the experiment changes).
#[function_component(EmbedBar)]
fn embed_bar() -> Html {
    let route = use_route::<Route>();
    let link = use_state(|| glue::absolute_link(&glue::current_path(), &glue::current_query()));
    {
        let link = link.clone();
        use_effect_with((), move |_| {
            let listener = web_sys::window().map(|w| {
                gloo_events::EventListener::new(&w, glue::QUERY_CHANGED, move |_| {
                    link.set(glue::absolute_link(&glue::current_path(), &glue::current_query()));
                })
            });
            move || drop(listener)
        });
    }
    let title = match &route {
        Some(Route::Lab { lab }) => labs::find(lab).map(|l| l.meta.title).unwrap_or("Concurrency Playground"),
        _ => "Concurrency Playground",
    };
    html! {
        <header class="embed-bar">
            <span class="brand-mark" aria-hidden="true">{ "\u{2225}" }</span>
            <strong>{ title }</strong>
            <a href={(*link).clone()} target="_blank" rel="noopener" data-testid="embed-open">{ "Open in Concurrency Playground \u{2197}" }</a>
        </header>
    }
}

#[function_component(Header)]
fn header() -> Html {
    let route = use_route::<Route>();
    let current = |id: &str| matches!(&route, Some(Route::Lab { lab }) if lab == id);
    html! {
        <header class="site-header">
            <Link<Route> to={Route::Home} classes="brand">
                <span class="brand-mark" aria-hidden="true">{ "\u{2225}" }</span>
                { "Concurrency Playground" }
            </Link<Route>>
            <nav aria-label="Labs">
                { for labs::LABS.iter().map(|lab| {
                    let id = lab.meta.id;
                    html! {
                        <Link<Route>
                            to={Route::Lab { lab: id.to_string() }}
                            classes={classes!("nav-link", current(id).then_some("active"))}
                        >
                            <span data-testid={format!("nav-{id}")}>{ lab.meta.title }</span>
                        </Link<Route>>
                    }
                }) }
            </nav>
        </header>
    }
}

/// The one visible sentence about running without workers.
#[function_component(PoolNotice)]
fn pool_notice() -> Html {
    match use_context::<PoolStatus>() {
        Some(PoolStatus::SingleThread { reason }) => html! {
            <p class="notice warn" data-testid="coi-notice" role="status">{ reason }</p>
        },
        _ => html! {},
    }
}
