//! The start page: the three models in a few sentences and the comparison table.

use crate::core::models::{PythonModel, ASPECTS};
use crate::labs;
use yew::prelude::*;

/// The labs that show a model, each with its presets folded away so rows stay short.
fn lab_links(model: PythonModel) -> Html {
    let labs: Vec<_> = labs::for_model(model).collect();
    if labs.is_empty() {
        return html! { <div class="small muted">{ "No lab for this model yet" }</div> };
    }
    html! {
        <div class="try-links">
            { for labs.into_iter().map(|lab| html! {
                <div>
                    <a href={lab.id}>
                        <span data-testid={format!("home-lab-{}", lab.id)}>{ format!("{} \u{2192}", lab.title) }</span>
                    </a>
                    <details class="small">
                        <summary>{ format!("{} presets", lab.presets.len()) }</summary>
                        <ul>
                            { for lab.presets.iter().map(|p| html! {
                                <li><a href={format!("{}?{}", lab.id, p.query)} title={p.blurb}
                                       data-testid={format!("home-preset-{}", p.id)}>{ p.title }</a></li>
                            }) }
                        </ul>
                    </details>
                </div>
            }) }
        </div>
    }
}

#[function_component(Home)]
pub fn home() -> Html {
    use_effect_with((), |_| crate::glue::set_title("Concurrency Playground: how Python runs things at the same time"));
    html! {
        <>
            <section class="hero">
                <h1>{ "How Python runs things at the same time" }</h1>
                <p class="lede">
                    { "Python offers three ways to do several things at once. Four labs here run a \
                       live browser analogue of one of them, and the Python lab runs your own asyncio \
                       code in real CPython, so you can watch where the time goes, change the numbers, \
                       and share the exact experiment as a link." }
                </p>
            </section>
            <section class="model-cards">
                { for PythonModel::ALL.iter().map(|&m| html! {
                    <article class="card model-card" data-model={m.name()}>
                        <h2>{ m.name() }</h2>
                        <p class="modules"><code>{ m.modules() }</code></p>
                        <p>{ m.explanation() }</p>
                    </article>
                }) }
            </section>
            <section class="card">
                <h2>{ "The three models side by side" }</h2>
                <p class="muted">{ "Rule of thumb: blocking I/O with modest concurrency, use threads; \
                    CPU-bound work, use processes; very many concurrent I/O operations with async \
                    libraries, use asyncio." }</p>
                <div class="table-scroll" tabindex="0" role="region" aria-label="Comparison of the three models">
                    <table class="comparison" data-testid="comparison-table">
                        <thead>
                            <tr>
                                <th scope="col">{ "Model" }</th>
                                { for ASPECTS.iter().map(|a| html! { <th scope="col">{ a.name }</th> }) }
                            </tr>
                        </thead>
                        <tbody>
                            { for PythonModel::ALL.iter().map(|&m| html! {
                                <tr data-testid={format!("comparison-{}", m.name().to_lowercase())}>
                                    <th scope="row"><div class="model-name">{ m.name() }</div>{ lab_links(m) }</th>
                                    { for ASPECTS.iter().map(|a| html! {
                                        <td data-label={a.name}>{ a.for_model(m) }</td>
                                    }) }
                                </tr>
                            }) }
                        </tbody>
                    </table>
                </div>
            </section>
        </>
    }
}
