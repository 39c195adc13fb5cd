//! The app shell: header, navigation, routes and the thread-pool context. Labs plug in
//! through the registry in `crate::labs`.

mod home;
pub mod host;
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

/// What a bundle (src/bundles/) carries besides the shell: the start page or one lab.
/// Each page's view is named only in its own bundle's `main`, so the linker leaves every
/// other page's code out of that bundle.
#[derive(Clone, Copy, PartialEq)]
pub enum Bundle {
    Home(HomePage),
    Lab(labs::Lab),
}

/// The start page's view, for the home bundle.
#[derive(Clone, Copy)]
pub struct HomePage(pub fn() -> Html);

impl PartialEq for HomePage {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

/// The start page, for the home bundle's `main` to name.
pub fn home_page() -> Html {
    html! { <home::Home /> }
}

/// Renders one bundle's app.
pub fn start(bundle: Bundle) {
    yew::Renderer::<App>::with_props(AppProps { bundle }).render();
}

#[derive(Properties, PartialEq)]
pub struct AppProps {
    pub bundle: Bundle,
}

fn switch(route: Route, bundle: Bundle) -> Html {
    match (route, bundle) {
        (Route::Home, Bundle::Home(HomePage(view))) => view(),
        (Route::Home, Bundle::Lab(_)) => html! { <OtherBundle title="the start page" /> },
        (Route::Lab { lab }, bundle) => match (labs::find(&lab), bundle) {
            (Some(meta), Bundle::Lab(carried)) if carried.meta.id == meta.id => (carried.view)(),
            (Some(meta), _) => html! { <OtherBundle title={meta.title} /> },
            (None, _) => not_found(&lab),
        },
        (Route::NotFound, _) => not_found(glue::current_path().trim_start_matches('/')),
    }
}

#[derive(Properties, PartialEq)]
struct OtherBundleProps {
    title: AttrValue,
}

/// A page that another bundle renders: the address changed without a page load (history
/// navigation), so load the page once; a link stays in case that does not happen.
#[function_component(OtherBundle)]
fn other_bundle(props: &OtherBundleProps) -> Html {
    use_effect_with((), |_| glue::load_this_address_once());
    html! {
        <section class="card" data-testid="other-bundle">
            <p>{ format!("Loading {}\u{2026} ", props.title) }
               <a href={glue::current_href()}>{ "Open it" }</a></p>
        </section>
    }
}

fn not_found(what: &str) -> Html {
    glue::set_title("Nothing here \u{2014} Concurrency Playground");
    html! {
        <section class="card" data-testid="not-found">
            <h1>{ "Nothing here" }</h1>
            <p>{ format!("There is no lab called \u{201c}{}\u{201d}. ", crate::core::link::quote(what)) }
               <a href="./">{ "Back to the start page" }</a></p>
        </section>
    }
}

#[function_component(App)]
pub fn app(props: &AppProps) -> Html {
    let pool = use_state(|| PoolStatus::Starting);
    {
        let pool = pool.clone();
        use_effect_with((), move |_| {
            wasm_bindgen_futures::spawn_local(async move {
                pool.set(glue::start_pool().await);
            });
        });
    }
    let bundle = props.bundle;
    let render = Callback::from(move |route| switch(route, bundle));
    if glue::is_embedded() {
        // Embed form: the experiment alone, with a way out to the full site.
        return html! {
            <BrowserRouter>
                <ContextProvider<PoolStatus> context={(*pool).clone()}>
                    <EmbedBar />
                    <main class="embed" data-embed="1" data-pool={pool_name(&pool)}>
                        <PoolNotice />
                        <Switch<Route> {render} />
                    </main>
                </ContextProvider<PoolStatus>>
            </BrowserRouter>
        };
    }
    html! {
        <BrowserRouter>
            <ContextProvider<PoolStatus> context={(*pool).clone()}>
                <SkipLink />
                <Header />
                <main id="main" tabindex="-1" data-pool={pool_name(&pool)}>
                    <PoolNotice />
                    <Switch<Route> {render} />
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
        Some(Route::Lab { lab }) => labs::find(lab).map_or("Concurrency Playground", |l| l.title),
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

/// The first stop of the Tab key: past the header and its navigation, to the page. A
/// fragment link would follow `<base>` to the site's root, so it focuses `<main>` itself.
#[function_component(SkipLink)]
fn skip_link() -> Html {
    let onclick = Callback::from(|e: MouseEvent| {
        e.prevent_default();
        if let Some(main) = web_sys::window().and_then(|w| w.document()).and_then(|d| d.get_element_by_id("main")) {
            if let Ok(main) = wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlElement>(main) {
                glue::focus(&main);
            }
        }
    });
    html! { <a class="skip-link" href="#main" data-testid="skip-link" {onclick}>{ "Skip to the page" }</a> }
}

#[function_component(Header)]
fn header() -> Html {
    let route = use_route::<Route>();
    let current = |id: &str| matches!(&route, Some(Route::Lab { lab }) if lab == id);
    html! {
        <header class="site-header">
            // Plain links: each lab is its own bundle, so moving between pages loads one.
            <a href="./" class="brand">
                <span class="brand-mark" aria-hidden="true">{ "\u{2225}" }</span>
                { "Concurrency Playground" }
            </a>
            <nav aria-label="Labs">
                { for labs::LABS.iter().map(|lab| {
                    let id = lab.id;
                    html! {
                        <a href={id} class={classes!("nav-link", current(id).then_some("active"))}
                           aria-current={current(id).then_some("page")}>
                            <span data-testid={format!("nav-{id}")}>{ lab.title }</span>
                        </a>
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
