//! The async lab's page: markup and wiring. Every decision is in `state` (a pure state
//! machine); this component turns events into its actions, runs the experiment's future on
//! the browser's event loop when the state asks for it, and draws the state.

use super::config::{AioConfig, Experiment, Network};
use super::model::{Phase, Recorder, Strategy, py_list};
use super::state::{self, Action, AioState, Effect, Field, Last};
use crate::app::host::{act, LabPage, Then, View};
use crate::app::widgets::{field_text, results_json, text_field, TextField, Heartbeat, LinkErrors, PresetBar, ShareBar};
use crate::core::chart::{self, nice_ticks, tick_label, Scale};
use crate::core::lab::{whole_ms, Status};
use crate::glue::aio::BrowserEnv;
use futures::future::{AbortHandle, Abortable};
use gloo_timers::callback::Interval;
use std::rc::Rc;
use yew::prelude::*;

/// The page of the async lab, for its bundle.
pub fn render() -> Html {
    crate::app::host::render::<AsyncPage>()
}

/// Rows drawn in the timeline and table; larger runs are summarised.
const SHOWN_ROWS: usize = 300;
const SHOWN_EVENTS: usize = 400;

pub struct AsyncPage;

pub enum PageEvent {
    /// Redraw while a run fills in its record.
    Tick,
    /// The experiment's future has ended (or was aborted).
    Ended(u64),
}

/// The future in flight: its abort handle and the redraw timer.
struct Running {
    id: u64,
    abort: AbortHandle,
    _tick: Interval,
}

#[derive(Default)]
pub struct Runtime {
    running: Option<Running>,
}

impl LabPage for AsyncPage {
    type State = AioState;
    type Runtime = Runtime;
    type Event = PageEvent;

    fn perform(_state: &AioState, rt: &mut Runtime, effect: Effect, then: &mut Then<Self>) {
        match effect {
            Effect::WriteQuery(_) => {}
            Effect::Start { id, config, workers } => {
                let env = BrowserEnv { network: config.network, plan: state::planned(&config), url: config.url.clone(), workers };
                let (last, fut) = state::launch(&config, Rc::new(env));
                then.dispatch(Action::Started { id, last });
                let (abort, registration) = AbortHandle::new_pair();
                let host = then.host().clone();
                wasm_bindgen_futures::spawn_local(async move {
                    let _ = Abortable::new(fut, registration).await;
                    host.event(PageEvent::Ended(id));
                });
                let host = then.host().clone();
                let tick = Interval::new(100, move || host.event(PageEvent::Tick));
                rt.running = Some(Running { id, abort, _tick: tick });
            }
            Effect::Abort { id } => {
                if let Some(r) = rt.running.as_ref().filter(|r| r.id == id) {
                    r.abort.abort();
                }
            }
        }
    }

    fn on_event(_state: &AioState, rt: &mut Runtime, event: PageEvent, then: &mut Then<Self>) -> bool {
        match event {
            PageEvent::Tick => true,
            PageEvent::Ended(id) => {
                if rt.running.as_ref().is_some_and(|r| r.id == id) {
                    rt.running = None;
                }
                then.dispatch(Action::Finished { id });
                true
            }
        }
    }

    fn destroy(rt: &mut Runtime) {
        if let Some(r) = rt.running.take() {
            r.abort.abort();
        }
    }

    fn view(page: &View<'_, Self>) -> Html {
        page.page()
    }
}

/// The page's markup, drawn from the state.
impl View<'_, AsyncPage> {
    fn page(&self) -> Html {
        let doc: AttrValue = self.state.results_doc().into();
        let link = self.link;
        let exp = self.state.config.experiment;
        html! {
            <div class="lab async-lab">
                <section class="lab-intro">
                    <h1>{ "Async lab: " }<span class="muted">{ "asyncio" }</span></h1>
                    <p>{ "asyncio runs coroutines on one thread: a coroutine runs until it awaits, and then the event \
                          loop runs another that is ready. Waiting on many requests at once costs almost nothing; computing \
                          inside a coroutine stops everything." }</p>
                    <p class="analogue"><strong>{ "Unlike Python: " }</strong>
                        { "the event loop here is the browser's own, Rust futures play the coroutines, and the browser \
                           limits live connections per host (about six over HTTP/1.1), so live requests beyond that queue \
                           inside the browser even without a semaphore." }</p>
                </section>
                <LinkErrors errors={self.state.link_errors.clone()} on_dismiss={act(link, |_| Action::DismissLinkErrors)} />
                <PresetBar lab="async" selected={self.state.preset()} disabled={self.state.is_running()} on_pick={act(link, Action::LoadPreset)} />
                <div class="lab-grid">
                    { self.view_controls(&doc) }
                    <div class="race-main">
                        { self.status() }
                        { match exp { Experiment::Requests => self.view_requests(), Experiment::Pipeline => self.view_pipeline() } }
                        <section class="card">
                            { results_json(doc) }
                        </section>
                    </div>
                </div>
            </div>
        }
    }
}

impl View<'_, AsyncPage> {
    fn input(&self, f: Field, label: &'static str, value: String, hint: &'static str) -> Html {
        let field = TextField {
            label,
            hint,
            testid: f.id(),
            inputmode: if f == Field::Url || f == Field::Items { "text" } else { "numeric" },
            value: self.state.shown(f, || value),
            disabled: self.state.is_running(),
            invalid: self.state.drafts.is_invalid(f),
        };
        text_field(field, act(self.link, move |e: InputEvent| Action::Set(f, field_text(&e))))
    }

    fn view_controls(&self, doc: &AttrValue) -> Html {
        let link = self.link;
        let c = &self.state.config;
        let running = self.state.is_running();
        let problems = self.state.problems();
        let radio = |name: &'static str, id: String, checked: bool, label: &'static str, msg: Action| {
            html! {
                <label class={classes!("mode", checked.then_some("selected"))}>
                    <input type="radio" name={name} data-testid={id} checked={checked} disabled={running}
                        onchange={act(link, move |_| msg.clone())} />
                    <span><strong>{ label }</strong></span>
                </label>
            }
        };
        html! {
            <section class="card controls" aria-label="Experiment">
                <h2>{ "Experiment" }</h2>
                <div class="segmented">
                    { radio("aio-exp", "aio-exp-requests".into(), c.experiment == Experiment::Requests, "Requests", Action::SetExperiment(Experiment::Requests)) }
                    { radio("aio-exp", "aio-exp-pipeline".into(), c.experiment == Experiment::Pipeline, "Queue pipeline", Action::SetExperiment(Experiment::Pipeline)) }
                </div>
                { if c.experiment == Experiment::Requests { html! {
                    <>
                        <fieldset class="modes" disabled={running}>
                            <legend>{ "How the requests are awaited" }</legend>
                            { radio("aio-mode", "aio-mode-seq".into(), c.strategy == Strategy::Sequential, "one after another (for + await)", Action::SetStrategy(Strategy::Sequential)) }
                            { radio("aio-mode", "aio-mode-gather".into(), c.strategy == Strategy::Gather, "gather(..., return_exceptions=True)", Action::SetStrategy(Strategy::Gather)) }
                            { radio("aio-mode", "aio-mode-taskgroup".into(), c.strategy == Strategy::TaskGroup, "TaskGroup", Action::SetStrategy(Strategy::TaskGroup)) }
                        </fieldset>
                        <div class="field-row">
                            { self.input(Field::N, "Requests", c.n.to_string(), "How many requests") }
                            { self.input(Field::Limit, "Semaphore (0 = none)", c.limit.to_string(), "At most this many in flight") }
                            { self.input(Field::Timeout, "wait_for timeout, ms (0 = none)", c.timeout_ms.to_string(), "Per request") }
                            { self.input(Field::Deadline, "Deadline, ms (0 = none)", c.deadline_ms.to_string(), "asyncio.timeout around everything") }
                        </div>
                        <div class="segmented">
                            { radio("aio-net", "aio-net-sim".into(), c.network == Network::Sim, "Simulated network", Action::SetNetwork(Network::Sim)) }
                            { radio("aio-net", "aio-net-live".into(), c.network == Network::Live, "Live HTTP", Action::SetNetwork(Network::Live)) }
                        </div>
                        { if c.network == Network::Sim { html! {
                            <div class="field-row">
                                { self.input(Field::Latency, "Latency, ms", c.latency_ms.to_string(), "Mean latency") }
                                { self.input(Field::Jitter, "\u{b1} jitter, ms", c.jitter_ms.to_string(), "Uniform spread around the mean") }
                                { self.input(Field::Fail, "Failure rate, %", c.fail_pct.to_string(), "Chance each request fails") }
                                { self.input(Field::Seed, "Seed", c.seed.to_string(), "Same seed, same latencies") }
                            </div>
                        } } else { html! {
                            <div class="field-row one">
                                { self.input(Field::Url, "URL with {id} (empty: AniList GraphQL)", c.url.clone().unwrap_or_default(), "GET this URL for each id") }
                            </div>
                        } } }
                        <div class="field-row">
                            { self.input(Field::Block, "CPU work in coroutine 1, ms", c.block_ms.to_string(), "Synchronous work before its request") }
                            <label class="check"><input type="checkbox" data-testid="aio-offload" checked={c.offload} disabled={running}
                                onchange={act(link, |_| Action::ToggleOffload)} />{ " run it with asyncio.to_thread" }</label>
                        </div>
                        { if self.state.offload_blocks() { html! {
                            <p class="small warn">{ "No workers on this page, so to_thread has nowhere to run the work: it blocks the loop as well." }</p>
                        } } else { html! {} } }
                    </>
                } } else { html! {
                    <>
                        <div class="field-row one">
                            { self.input(Field::Items, "Items the producer puts", c.pipeline.items.iter().map(|v| format!("{v}")).collect::<Vec<_>>().join(","), "Numbers, comma-separated") }
                        </div>
                        <div class="field-row">
                            { self.input(Field::Q1, "Queue 1 size (0 = unbounded)", c.pipeline.q1.to_string(), "asyncio.Queue(maxsize)") }
                            { self.input(Field::Q2, "Queue 2 size (0 = unbounded)", c.pipeline.q2.to_string(), "asyncio.Queue(maxsize)") }
                            { self.input(Field::Pms, "Producer, ms per item", (c.pipeline.produce_ms as u64).to_string(), "") }
                            { self.input(Field::Tms, "Transformer, ms per item", (c.pipeline.transform_ms as u64).to_string(), "") }
                            { self.input(Field::Sms, "Saver, ms per item", (c.pipeline.save_ms as u64).to_string(), "") }
                        </div>
                    </>
                } } }
                { if problems.is_empty() { html! {} } else { html! {
                    <div class="notice error" data-testid="validation-errors" role="alert">
                        <strong>{ "Fix these to run:" }</strong>
                        <ul>{ for problems.iter().map(|p| html! { <li>{ p }</li> }) }</ul>
                    </div>
                } } }
                <div class="actions">
                    <button class="primary" data-testid="run" disabled={running || !problems.is_empty()} onclick={act(link, |_| Action::Run)}>{ "Run" }</button>
                    <button data-testid="cancel" disabled={!running} onclick={act(link, |_| Action::Cancel)}>{ "Cancel" }</button>
                    <Heartbeat />
                </div>
                <ShareBar path="/async" query={self.state.config.to_query(false)} document={doc.clone()} export_name="async-lab-results.json" />
            </section>
        }
    }

    fn view_requests(&self) -> Html {
        let Some(Last::Requests { rec, config }) = &self.state.last else {
            return html! { <section class="card"><h2>{ "Results" }</h2><p class="muted">{ "Run the experiment to see every request on a timeline." }</p></section> };
        };
        let r = rec.borrow();
        let running = self.state.status == Status::Running;
        let n = r.requests.len();
        let done = r.finished();
        let sum = r.sum_of_latencies();
        html! {
            <>
            <section class="card results" aria-label="Results">
                <h2>{ "Results" }</h2>
                { if running { html! {
                    <div class="progress-row">
                        <progress data-testid="progress" max={n.to_string()} value={done.to_string()}></progress>
                        <span>{ format!("{done} / {n} finished") }</span>
                    </div>
                } } else { html! {} } }
                { match (r.finished_at, running) {
                    (Some(wall), false) => html! {
                        <div class="figures">
                            <dl>
                                <div><dt>{ "Wall time" }</dt><dd data-testid="wall-ms">{ format!("{} ms", whole_ms(wall)) }</dd></div>
                                <div><dt>{ "Sum of latencies" }</dt><dd>{ format!("{} ms", whole_ms(sum)) }</dd></div>
                                <div><dt>{ "Speedup (sum of latencies \u{f7} wall time)" }</dt><dd>{ r.speedup().map_or("\u{2014}".into(), |s| format!("{s:.2}\u{d7}")) }</dd></div>
                                <div><dt>{ "Most in flight" }</dt><dd>{ r.max_in_flight() }</dd></div>
                            </dl>
                            <p class="small" data-testid="aio-pitfall">
                                { self.state.creation_sentence().unwrap_or_default() }
                                { "A timing decorator that wraps the async function without awaiting it measures only the first figure, which is how a tutorial came to report 3.1e-06 s for 15 requests." }
                            </p>
                            { match &r.note { Some(m) => html! { <p class="warn" data-testid="aio-note">{ m }</p> }, None => html! {} } }
                            { phase_counts(&r) }
                        </div>
                    },
                    _ => html! {},
                } }
                { request_timeline(&r, config) }
                { concurrency_chart(&r) }
            </section>
            <section class="card">
                <h2>{ "Event log" }</h2>
                <div class="event-log-wrap" tabindex="0" role="region" aria-label="Event log">
                <ol class="event-log" data-testid="aio-events">
                    { for r.events.iter().rev().take(SHOWN_EVENTS).collect::<Vec<_>>().into_iter().rev().map(|e| html! {
                        <li><span class="t">{ format!("{:>8.1} ms", e.t) }</span>{ format!(" request {} (id {}): {}", e.index + 1, r.requests.get(e.index).map(|q| q.id).unwrap_or(0), e.text) }</li>
                    }) }
                </ol>
                </div>
                { if r.events.len() > SHOWN_EVENTS { html! { <p class="small muted">{ format!("Showing the last {SHOWN_EVENTS} of {} events; all are in the JSON.", r.events.len()) }</p> } } else { html! {} } }
                <details open={n <= 20}>
                    <summary>{ format!("Requests ({n})") }</summary>
                    <div class="task-table-wrap" tabindex="0" role="region" aria-label="Requests">
                        <table data-testid="aio-table">
                            <thead><tr><th>{ "#" }</th><th>{ "id" }</th><th>{ "outcome" }</th><th>{ "start" }</th><th>{ "end" }</th><th>{ "result" }</th></tr></thead>
                            <tbody>{ for r.requests.iter().take(SHOWN_ROWS).map(|q| html! {
                                <tr class={format!("phase-{}", phase_key(q.phase))}>
                                    <td>{ q.index + 1 }</td><td>{ q.id }</td><td>{ phase_key(q.phase) }</td>
                                    <td class="num">{ q.start_ms.map(|t| format!("{t:.0}")).unwrap_or_default() }</td>
                                    <td class="num">{ q.end_ms.map(|t| format!("{t:.0}")).unwrap_or_default() }</td>
                                    <td>{ q.detail.clone().unwrap_or_default() }</td>
                                </tr>
                            }) }</tbody>
                        </table>
                    </div>
                </details>
            </section>
            </>
        }
    }

    fn view_pipeline(&self) -> Html {
        let Some(Last::Pipeline { rec, config }) = &self.state.last else {
            return html! { <section class="card"><h2>{ "Pipeline" }</h2>
                <p class="muted">{ "producer \u{2192} queue 1 \u{2192} transformer (\u{d7} 0.2) \u{2192} queue 2 \u{2192} saver; a None sentinel tells each stage to stop. Run it to see the queues fill and drain." }</p></section> };
        };
        let r = rec.borrow();
        let blocked: f64 = r.producer_blocked.iter().map(|(a, b)| b - a).sum();
        let end = r.finished_at.unwrap_or_else(|| r.depths.last().map(|d| d.0).unwrap_or(0.0)).max(1.0);
        let q1: Vec<(f64, f64)> = r.depths.iter().map(|d| (d.0, d.1 as f64)).collect();
        let q2: Vec<(f64, f64)> = r.depths.iter().map(|d| (d.0, d.2 as f64)).collect();
        html! {
            <section class="card results" aria-label="Pipeline">
                <h2>{ "Pipeline" }</h2>
                <p>{ format!("Queues: maxsize {} and {}. ", config.pipeline.q1, config.pipeline.q2) }
                   { if blocked > 0.0 { format!("The producer waited {} ms in total on a full queue: backpressure.", whole_ms(blocked)) }
                     else { "The producer never waited: nothing held it back.".to_string() } }</p>
                { step_chart(&[("queue 1", q1), ("queue 2", q2)], end, "queue depth", "aio-depth-chart") }
                <p data-testid="aio-output"><strong>{ "Saved: " }</strong><code>{ py_list(&r.output) }</code></p>
                <div class="event-log-wrap" tabindex="0" role="region" aria-label="Pipeline events"><ol class="event-log">{ for r.events.iter().map(|e| html! {
                    <li><span class="t">{ format!("{:>8.1} ms", e.t) }</span>{ format!(" {}: {}", ["producer", "transformer", "saver"].get(e.index).copied().unwrap_or("?"), e.text) }</li>
                }) }</ol></div>
                <p class="small muted">{ format!("Python prints the same list: {}", py_list(&config.pipeline.items.iter().map(|v| v * 0.2).collect::<Vec<_>>())) }{ " (each value times 0.2, in order)." }</p>
            </section>
        }
    }
}

fn phase_key(p: Phase) -> &'static str {
    match p {
        Phase::Pending => "pending",
        Phase::Waiting => "waiting",
        Phase::InFlight => "in flight",
        Phase::Done => "done",
        Phase::Failed => "failed",
        Phase::Cancelled => "cancelled",
        Phase::TimedOut => "timed out",
    }
}

fn phase_counts(r: &Recorder) -> Html {
    let phases = [Phase::Done, Phase::Failed, Phase::TimedOut, Phase::Cancelled];
    html! {
        <p class="phase-counts">{ for phases.iter().map(|p| {
            let n = r.count(*p);
            html! { <span class={format!("chip phase-{}", phase_key(*p).replace(' ', "-"))}>{ format!("{} {}", n, phase_key(*p)) }</span> }
        }) }</p>
    }
}

fn request_timeline(r: &Recorder, config: &AioConfig) -> Html {
    let rows = r.requests.len().min(SHOWN_ROWS);
    if rows == 0 {
        return html! {};
    }
    let end = r.finished_at.unwrap_or_else(|| r.requests.iter().filter_map(|q| q.end_ms.or(q.start_ms)).fold(0.0, f64::max)).max(1.0);
    let ticks = nice_ticks(end, 6);
    let axis_end = ticks.last().copied().unwrap_or(end);
    let (left, width, row_h) = (70.0, 800.0, if rows > 60 { 4.0 } else { 14.0 });
    let x = Scale::new((0.0, axis_end), (left, width - 8.0));
    let height = rows as f64 * (row_h + 2.0) + 26.0;
    let axis_y = rows as f64 * (row_h + 2.0) + 4.0;
    let _ = config;
    html! {
        <figure class="timeline" tabindex="0" aria-label="Request timeline">
            <svg data-testid="aio-timeline" viewBox={format!("0 0 {width} {height:.1}")} role="img" aria-label="Request timeline">
                { for r.requests.iter().take(rows).map(|q| {
                    let y = q.index as f64 * (row_h + 2.0);
                    let wait = match (q.wait_ms, q.start_ms.or(q.end_ms)) {
                        (Some(a), Some(b)) if b > a => html! { <rect class="wait" x={format!("{:.1}", x.map(a))} y={format!("{y:.1}")} width={format!("{:.1}", (x.map(b) - x.map(a)).max(0.5))} height={row_h.to_string()} /> },
                        (Some(a), None) => html! { <rect class="wait" x={format!("{:.1}", x.map(a))} y={format!("{y:.1}")} width={format!("{:.1}", (x.map(end) - x.map(a)).max(0.5))} height={row_h.to_string()} /> },
                        _ => html! {},
                    };
                    let flight = match q.start_ms {
                        Some(s) => {
                            let e = q.end_ms.unwrap_or(end);
                            html! { <rect class={format!("flight phase-{}", phase_key(q.phase).replace(' ', "-"))} x={format!("{:.1}", x.map(s))} y={format!("{y:.1}")}
                                width={format!("{:.1}", (x.map(e) - x.map(s)).max(1.0))} height={row_h.to_string()} rx="2">
                                <title>{ format!("request {} (id {}): {} {:.0}\u{2013}{:.0} ms{}", q.index + 1, q.id, phase_key(q.phase), s, e,
                                    q.detail.as_ref().map(|d| format!(" \u{2014} {d}")).unwrap_or_default()) }</title>
                            </rect> }
                        }
                        None => html! {},
                    };
                    html! { <g>
                        { if row_h >= 10.0 { html! { <text class="lane-label" x="4" y={format!("{:.1}", y + row_h - 3.0)}>{ format!("#{} {}", q.index + 1, q.id) }</text> } } else { html! {} } }
                        { wait }{ flight }
                    </g> }
                }) }
                { match blocked_interval(r) {
                    Some((a, b)) => html! { <g class="blocked-band">
                        <rect x={format!("{:.1}", x.map(a))} y="0" width={format!("{:.1}", (x.map(b) - x.map(a)).max(1.0))} height={format!("{axis_y:.1}")} />
                        <text x={format!("{:.1}", (x.map(a) + x.map(b)) / 2.0)} y={format!("{:.1}", axis_y / 2.0)}>{ "event loop blocked" }</text>
                    </g> },
                    None => html! {},
                } }
                <line class="axis" x1={left.to_string()} x2={(width - 8.0).to_string()} y1={format!("{axis_y:.1}")} y2={format!("{axis_y:.1}")} />
                { for ticks.iter().map(|t| html! {
                    <text class="tick-label" x={format!("{:.1}", x.map(*t))} y={format!("{:.1}", axis_y + 16.0)}>{ format!("{} ms", tick_label(*t)) }</text>
                }) }
            </svg>
            <figcaption class="small muted">
                <span class="key-box wait"></span>{ " waiting for a permit " }
                <span class="key-box phase-done"></span>{ " done " }<span class="key-box phase-failed"></span>{ " failed " }
                <span class="key-box phase-timed-out"></span>{ " timed out " }<span class="key-box phase-cancelled"></span>{ " cancelled" }
                { if r.requests.len() > rows { format!(" \u{b7} showing the first {rows} of {} requests", r.requests.len()) } else { String::new() } }
            </figcaption>
        </figure>
    }
}

/// When the first coroutine held the loop with synchronous work (also with to_thread
/// when the page has no worker to send it to).
fn blocked_interval(r: &Recorder) -> Option<(f64, f64)> {
    r.blocked.filter(|(from, to)| to > from)
}

fn concurrency_chart(r: &Recorder) -> Html {
    let end = r.finished_at.unwrap_or_else(|| r.in_flight.last().map(|x| x.0).unwrap_or(0.0)).max(1.0);
    let points: Vec<(f64, f64)> = r.in_flight.iter().map(|&(t, n)| (t, n as f64)).collect();
    html! { <>
        { step_chart(&[("in flight", points)], end, "requests in flight", "aio-concurrency-chart") }
        // The chart in words: each change of the count, as a table.
        <details class="small" data-testid="aio-in-flight-table">
            <summary>{ "Requests in flight, as a table" }</summary>
            <div class="task-table-wrap" tabindex="0" role="region" aria-label="Requests in flight over time">
            <table>
                <thead><tr><th>{ "at" }</th><th>{ "in flight" }</th></tr></thead>
                <tbody>{ for r.in_flight.iter().take(SHOWN_EVENTS).map(|&(t, n)| html! {
                    <tr><td class="num">{ format!("{t:.1} ms") }</td><td class="num">{ n }</td></tr>
                }) }</tbody>
            </table>
            </div>
            { if r.in_flight.len() > SHOWN_EVENTS { html! { <p class="muted">{ format!("The first {SHOWN_EVENTS} of {} changes; all are in the results JSON's events.", r.in_flight.len()) }</p> } } else { html! {} } }
        </details>
    </> }
}

/// A step chart of one or more series over time, thinned to at most ~800 points.
fn step_chart(series: &[(&str, Vec<(f64, f64)>)], end: f64, what: &str, testid: &'static str) -> Html {
    let thinned: Vec<Vec<(f64, f64)>> = series
        .iter()
        .map(|(_, pts)| {
            let stride = (pts.len() / 800).max(1);
            let mut out: Vec<(f64, f64)> = vec![(0.0, 0.0)];
            for (i, p) in pts.iter().enumerate() {
                if i % stride == 0 || i + 1 == pts.len() {
                    if let Some(last) = out.last().copied() {
                        out.push((p.0, last.1));
                    }
                    out.push(*p);
                }
            }
            out.push((end, out.last().map(|p| p.1).unwrap_or(0.0)));
            out
        })
        .collect();
    let c = chart::line_chart(&thinned, 800.0, 200.0);
    let x_ticks = nice_ticks(end, 6);
    let sx = Scale::new((0.0, thinned.iter().flatten().map(|p| p.0).fold(1.0, f64::max)), (c.left, c.width - 12.0));
    html! {
        <figure class="step-chart">
            <svg data-testid={testid} viewBox={format!("0 0 {} {}", c.width, c.height)} role="img" aria-label={what.to_string()}>
                { for c.y_ticks.iter().map(|(y, l)| html! { <g>
                    <line class="grid" x1={c.left.to_string()} x2={(c.width - 12.0).to_string()} y1={y.to_string()} y2={y.to_string()} />
                    <text class="tick-label end" x={(c.left - 6.0).to_string()} y={(y + 4.0).to_string()}>{ l }</text>
                </g> }) }
                { for x_ticks.iter().filter(|t| **t <= sx.domain.1).map(|t| html! {
                    <text class="tick-label" x={format!("{:.1}", sx.map(*t))} y={(c.bottom + 16.0).to_string()}>{ format!("{} ms", tick_label(*t)) }</text>
                }) }
                { for c.paths.iter().enumerate().map(|(i, d)| html! { <path class={format!("series series-{i}")} d={d.clone()} /> }) }
            </svg>
            <figcaption class="small muted">{ for series.iter().enumerate().map(|(i, (name, _))| html! {
                <span><span class={format!("key-line series-{i}")}></span>{ format!(" {name} ") }</span>
            }) }{ format!("\u{b7} {what} over time") }</figcaption>
        </figure>
    }
}
