//! The threads lab's page: markup and wiring. Every decision is in `state` (a pure state
//! machine), every coordinate in `lanes` and every word and figure in `display`; this
//! component turns events into actions, runs the simulations the state asks for (on a
//! worker when there is one) and draws.

use super::batch;
use super::choices::{ExecKind, Interp, STARTS};
use super::display::{self, ms, ms_or_dash, short_name};
use super::lanes::{self, TimeScale, ZoomAction};
use super::model::{Outcome, ThreadState};
use super::presets;
use super::real_gil;
use super::state::{self, Action, Effect, Field, ThreadsState};
use crate::app::host::{self, act, LabPage, Then, View};
use crate::app::widgets::{field_text, results_json, text_field, TextField, LinkErrors, PresetBar, ShareBar};
use crate::core::chart::{nice_ticks, tick_label, Scale};
use crate::glue;
use gloo_timers::callback::Interval;
use yew::prelude::*;

/// The page of the threads lab, for its bundle.
pub fn render() -> Html {
    host::render::<ThreadsPage>()
}

/// Lanes drawn; the rest are in the table and the JSON.
const SHOWN_LANES: usize = 24;
/// Handoffs listed under the lanes (the rest: zoom in).
const SHOWN_HANDOFFS: usize = 60;
const LEFT: f64 = 96.0;
const WIDTH: f64 = 820.0;

pub struct ThreadsPage;

pub enum PageEvent {
    /// Look at the real run on the workers.
    PollReal,
}

/// A real run on the Web Workers, and the timer that looks at it.
#[derive(Default)]
pub struct Runtime {
    real: Option<(u64, real_gil::RealRun, Interval)>,
}

impl LabPage for ThreadsPage {
    type State = ThreadsState;
    type Runtime = Runtime;
    type Event = PageEvent;

    fn perform(state: &ThreadsState, rt: &mut Runtime, effect: Effect, then: &mut Then<Self>) {
        match effect {
            Effect::WriteQuery(_) => {}
            Effect::Simulate { id, jobs, check } => {
                // A long simulation on the page's thread would freeze it; a worker keeps
                // the page live. The state drops a stale batch's answer by its id.
                then.host().off_page(
                    state.pool.is_ready(),
                    move || batch::run_batch(&jobs, check, glue::now_ms),
                    move |result| Action::Simulated { id, result },
                );
            }
            Effect::StartReal { id, k, slices, lock, interval_ms } => {
                let work = || {
                    real_gil::cpu_slice(state::REAL_SLICE_STEPS);
                };
                match real_gil::run_cpu_threads(k, slices, work, lock, interval_ms, glue::now_ms, |job| rayon::spawn(job)) {
                    Ok(run) => {
                        let host = then.host().clone();
                        rt.real = Some((id, run, Interval::new(50, move || host.event(PageEvent::PollReal))));
                    }
                    Err(e) => then.dispatch(Action::RealFailed { id, message: format!("{e:?}") }),
                }
            }
        }
    }

    fn on_event(_state: &ThreadsState, rt: &mut Runtime, event: PageEvent, then: &mut Then<Self>) -> bool {
        match event {
            PageEvent::PollReal => {
                let Some((id, run, _)) = &rt.real else { return false };
                let Some(report) = run.is_done().then(|| run.report()).flatten() else { return false };
                let id = *id;
                rt.real = None;
                then.dispatch(Action::RealFinished { id, report });
                true
            }
        }
    }

    fn destroy(rt: &mut Runtime) {
        if let Some((_, run, _)) = rt.real.take() {
            run.cancel();
        }
    }

    fn view(page: &View<'_, Self>) -> Html {
        page.page()
    }
}

/// The page's markup, drawn from the state.
impl View<'_, ThreadsPage> {
    fn page(&self) -> Html {
        let st = &self.state;
        let link = self.link;
        let doc: AttrValue = st.results_doc().into();
        html! {
            <div class="lab threads-lab">
                { state_patterns() }
                <section class="lab-intro">
                    <h1>{ "Threads lab: " }<span class="muted">{ "threading and the GIL" }</span></h1>
                    <p>{ "CPython runs one thread's bytecode at a time. A thread that wants the GIL waits one switch \
                          interval (5 ms), then asks the holder to let go; the holder notices at its next check point \
                          and must wait until another thread has taken it. Waiting on I/O, sleeping, and C code that \
                          releases the GIL let the others run. So threads overlap waits, not computation." }</p>
                    <p class="analogue"><strong>{ "Simulated: " }</strong>
                        { "no Python runs here. Threads follow the rules of CPython's Python/ceval_gil.c, with machine \
                           costs measured on a 2-core machine; real figures vary by machine. Shared variables and \
                           races are in the " }<a href="race">{ "race lab" }</a>{ "." }</p>
                </section>
                <LinkErrors errors={st.link_errors.clone()} on_dismiss={act(link, |_| Action::DismissLinkErrors)} />
                <PresetBar lab="threads" selected={st.config.is_preset().then_some(st.config.base)} disabled={st.is_running()} on_pick={act(link, Action::LoadPreset)} />
                <div class="lab-grid">
                    { self.view_controls(&doc) }
                    <div class="race-main">
                        { self.status() }
                        { self.view_results() }
                        { self.view_counter() }
                        { self.view_real() }
                        { self.view_compare() }
                        { self.view_check() }
                        <section class="card">{ results_json(doc) }</section>
                    </div>
                </div>
            </div>
        }
    }
}

fn state_class(s: ThreadState) -> &'static str {
    match s {
        ThreadState::RunningPython => "st-python",
        ThreadState::CHold => "st-chold",
        ThreadState::WaitingForGil => "st-wait",
        ThreadState::ForcedSwitchWait => "st-forced",
        ThreadState::Io => "st-io",
        ThreadState::CRelease => "st-release",
        ThreadState::Blocked => "st-blocked",
        ThreadState::NotStarted | ThreadState::Done => "st-none",
    }
}

impl View<'_, ThreadsPage> {
    fn input(&self, f: Field, label: &'static str, hint: &'static str, disabled: bool) -> Html {
        let field = TextField {
            label,
            hint,
            testid: f.id(),
            inputmode: "decimal",
            value: self.state.shown(f),
            disabled: disabled || self.state.is_running(),
            invalid: self.state.drafts.is_invalid(f),
        };
        text_field(field, act(self.link, move |e: InputEvent| Action::Set(f, field_text(&e))))
    }

    fn view_controls(&self, doc: &AttrValue) -> Html {
        let st = &self.state;
        let c = &st.config;
        let link = self.link;
        let running = st.is_running();
        let problems = st.problems();
        let exec_radio = |kind: ExecKind, label: &'static str, hint: &'static str| html! {
            <label class={classes!("mode", (c.exec == kind).then_some("selected"))}>
                <input type="radio" name="threads-exec" data-testid={format!("threads-exec-{}", kind.key())} checked={c.exec == kind}
                    disabled={running} onchange={act(link, move |_| Action::SetExec(kind))} />
                <span><strong>{ label }</strong><span class="small muted">{ hint }</span></span>
            </label>
        };
        let pool = matches!(c.exec, ExecKind::ThreadPool | ExecKind::ProcessPool);
        html! {
            <section class="card controls" aria-label="Experiment">
                <h2>{ "Workload" }</h2>
                <textarea data-testid="threads-source" spellcheck="false" rows="12" wrap="off" aria-label="Workload text"
                    value={st.draft.clone()} oninput={act(link, |e: InputEvent| Action::EditSource(field_text(&e)))} />
                <div class="actions">
                    <button class={classes!(st.is_dirty().then_some("primary"))} data-testid="threads-apply" disabled={running}
                        onclick={act(link, |_| Action::ApplySource)}>{ "Apply workload" }</button>
                    { if st.edited_not_applied() { html! { <span class="small muted">{ "edited, not applied yet" }</span> } } else { html! {} } }
                </div>
                { match &st.parse_error {
                    Some(e) => html! {
                        <div class="notice error" data-testid="threads-parse-error" role="alert">
                            <strong>{ format!("Line {}, column {}: ", e.line, e.column) }</strong>{ &e.message }
                            <div class="small">{ "The last workload that worked is still loaded." }</div>
                        </div>
                    },
                    None => html! {},
                } }
                <details class="small">
                    <summary>{ "What a workload can say" }</summary>
                    <ul class="syntax">
                        <li><code>{ "thread name * 4:" }</code>{ " four threads (or, with a pool, four submitted tasks)" }</li>
                        <li><code>{ "compute(5)" }</code>{ " 5 ms of Python bytecode, holding the GIL, with check points" }</li>
                        <li><code>{ "io(0.17)" }</code>{ ", " }<code>{ "time.sleep(0.001)" }</code>{ " blocking I/O: the GIL is released" }</li>
                        <li><code>{ "native(10)" }</code>{ " one C call that holds the GIL throughout (" }<code>{ "sum(range(10**8))" }</code>{ ")" }</li>
                        <li><code>{ "release(10)" }</code>{ " C code that releases the GIL (hashlib, zlib, numpy)" }</li>
                        <li><code>{ "for _ in range(200):" }</code>{ " repeats its block" }</li>
                    </ul>
                    <p>{ "Times are in milliseconds, except time.sleep, which takes seconds as in Python. The race lab reads the same language." }</p>
                </details>
                <fieldset class="modes" disabled={running}>
                    <legend>{ "How the tasks run" }</legend>
                    { exec_radio(ExecKind::Sequential, "One after another", "in the main thread") }
                    { exec_radio(ExecKind::Threads, "threading.Thread", "one thread per block") }
                    { exec_radio(ExecKind::ThreadPool, "ThreadPoolExecutor", "max_workers threads take tasks in order") }
                    { exec_radio(ExecKind::ProcessPool, "ProcessPoolExecutor", "each worker its own interpreter and GIL") }
                </fieldset>
                <div class="field-row">
                    { self.input(Field::Workers, "max_workers (empty: default)", "ThreadPoolExecutor: min(32, cores + 4); ProcessPoolExecutor: cores", !pool) }
                    <label>{ "Start method" }
                        <select data-testid="threads-start" disabled={running || c.exec != ExecKind::ProcessPool}
                            onchange={act(link, |e: Event| Action::Set(Field::Start, field_text(&e)))}>
                            { for STARTS.iter().map(|(k, m)| html! { <option value={*k} selected={c.start == *m}>{ *k }</option> }) }
                        </select>
                    </label>
                </div>
                <div class="field-row">
                    <label>{ "Interpreter" }
                        <select data-testid="threads-interp" disabled={running}
                            onchange={act(link, |e: Event| Action::Set(Field::Interp, field_text(&e)))}>
                            <option value="gil" selected={c.interp == Interp::Gil}>{ "CPython 3.11-3.13 (GIL)" }</option>
                            <option value="3.13t" selected={c.interp == Interp::Ft313}>{ "3.13t free-threaded" }</option>
                            <option value="3.14t" selected={c.interp == Interp::Ft314}>{ "3.14t free-threaded" }</option>
                        </select>
                    </label>
                    { self.input(Field::Slowdown, "Single-thread slowdown, %", "Published: about 40% for 3.13t, 5-10% for 3.14t", !c.interp.is_free_threaded()) }
                </div>
                <div class="field-row">
                    { self.input(Field::Switch, "Switch interval, ms", "sys.setswitchinterval; CPython's default is 5 ms", c.interp.is_free_threaded()) }
                    { self.input(Field::Cores, "Cores", "Defaults to this machine's", false) }
                    { self.input(Field::Seed, "Seed", "Which waiter wins a release is the OS's choice: seeded here", false) }
                </div>
                { if problems.is_empty() { html! {} } else { html! {
                    <div class="notice error" data-testid="validation-errors" role="alert">
                        <strong>{ "Fix these to run:" }</strong>
                        <ul>{ for problems.iter().map(|p| html! { <li>{ p }</li> }) }</ul>
                    </div>
                } } }
                <div class="actions">
                    <button class="primary" data-testid="run" disabled={running || !problems.is_empty()} onclick={act(link, |_| Action::Run)}>{ "Simulate" }</button>
                    <button data-testid="threads-compare" disabled={running || !problems.is_empty()} onclick={act(link, |_| Action::Compare)}
                        title="The same tasks one after another, on threads under the GIL, on free-threaded threads and on a process pool">
                        { "Compare 4 ways" }</button>
                    { if running { html! { <span class="small muted">{ "simulating\u{2026}" }</span> } } else { html! {} } }
                </div>
                <ShareBar path="/threads" query={st.query()} document={doc.clone()} export_name="threads-lab-results.json" />
            </section>
        }
    }

    fn view_results(&self) -> Html {
        let st = &self.state;
        let error = match &st.error {
            Some(e) => html! { <p class="notice error" data-testid="run-error" role="alert">{ e }</p> },
            None => html! {},
        };
        let Some(r) = &st.run else {
            return html! { <section class="card results" aria-label="Results"><h2>{ "Results" }</h2>{ error }
                <p class="muted">{ "Simulate the workload to see each thread's life: running, waiting for the GIL, in I/O." }</p></section> };
        };
        let o = &r.outcome;
        html! {
            <section class="card results" aria-label="Results">
                <h2>{ "Results" }</h2>
                { error }
                <div class="figures">
                    <dl>
                        <div><dt>{ "Wall time" }</dt><dd data-testid="wall-ms">{ ms(o.wall_ms) }</dd></div>
                        <div><dt>{ "One after another" }</dt><dd>{ ms_or_dash(r.sequential.as_ref().map(|s| s.wall_ms)) }</dd></div>
                        <div><dt>{ "Speedup" }</dt><dd data-testid="speedup">{ display::speedup(r.speedup()) }</dd></div>
                        <div><dt>{ "CPU time" }</dt><dd>{ ms(o.cpu_ms) }</dd></div>
                        <div><dt>{ "GIL switches" }</dt><dd data-testid="gil-switches">{ o.gil_switches }</dd></div>
                        <div><dt>{ "Drop requests" }</dt><dd>{ o.drop_requests }</dd></div>
                        { match display::io_latency(o) {
                            Some(latency) => html! { <div><dt>{ "I/O latency p50 / p99" }</dt><dd data-testid="io-latency">{ latency }</dd></div> },
                            None => html! {},
                        } }
                    </dl>
                    <p class="small muted">{ display::run_summary(r) }</p>
                </div>
                { self.view_lanes(o) }
                { thread_table(o) }
            </section>
        }
    }

    fn view_lanes(&self, o: &Outcome) -> Html {
        let link = self.link;
        let w = self.state.window;
        let scale = TimeScale { window: w, x0: LEFT, x1: WIDTH - 8.0 };
        let shown: Vec<_> = o.threads.iter().take(SHOWN_LANES).collect();
        let gil_rows = o.gil_lanes.len();
        let rows = shown.len() + gil_rows + 1;
        let lane_h = display::lane_height(rows);
        let axis_y = rows as f64 * (lane_h + 4.0) + 4.0;
        let height = axis_y + 22.0;
        let row_y = |i: usize| i as f64 * (lane_h + 4.0);
        let text_y = |i: usize| row_y(i) + lane_h * 0.5 + 4.0;
        let usage_row = shown.len() + gil_rows;
        let cores = self.state.run.as_ref().map_or(1, |r| r.cores).max(1);
        let whole_usage = self.state.run.as_ref().map_or(&[][..], |r| r.core_usage.as_slice());
        let usage_path = lanes::usage_path(&lanes::clip_steps(whole_usage, w), &scale, row_y(usage_row) + lane_h, lane_h, cores);
        let (handoffs, more_handoffs) = display::handoffs(o, w, SHOWN_HANDOFFS);
        let onwheel = link.callback(|e: WheelEvent| {
            e.prevent_default();
            let target: Option<web_sys::Element> = e.target().and_then(|t| wasm_bindgen::JsCast::dyn_into::<web_sys::Element>(t).ok());
            let svg = target.and_then(|t| t.closest("svg").ok().flatten());
            let at = svg.map(|s| {
                let rect = s.get_bounding_client_rect();
                let x = (f64::from(e.client_x()) - rect.left()) / rect.width().max(1.0) * WIDTH;
                (x - LEFT) / (WIDTH - 8.0 - LEFT)
            });
            Action::Zoom(ZoomAction::Wheel { at: at.unwrap_or(0.5), zoom_in: e.delta_y() < 0.0 })
        });
        let onkeydown = link.batch_callback(|e: KeyboardEvent| {
            let z = ZoomAction::from_key(&e.key())?;
            e.prevent_default();
            Some(Action::Zoom(z))
        });
        let zoom_button = |z: ZoomAction, id: &'static str, label: &'static str, name: &'static str, title: &'static str| html! {
            <button class="small" data-testid={id} title={title} aria-label={name} onclick={act(link, move |_| Action::Zoom(z))}>{ label }</button>
        };
        html! {
            <figure class="timeline threads-lanes" tabindex="0" aria-label="Thread lanes: + and - zoom, arrows pan, 0 resets" onkeydown={onkeydown}>
                <div class="actions zoom-bar">
                    { zoom_button(ZoomAction::In, "threads-zoom-in", "+", "Zoom in", "Zoom in (+ key, or the wheel)") }
                    { zoom_button(ZoomAction::Out, "threads-zoom-out", "\u{2212}", "Zoom out", "Zoom out (- key)") }
                    { zoom_button(ZoomAction::Left, "threads-zoom-left", "\u{25c0}", "Earlier", "Earlier (\u{2190})") }
                    { zoom_button(ZoomAction::Right, "threads-zoom-right", "\u{25b6}", "Later", "Later (\u{2192})") }
                    { zoom_button(ZoomAction::Reset, "threads-zoom-reset", "whole run", "The whole run", "The whole run (0)") }
                    <span class="small muted" data-testid="threads-window" data-start-ns={w.start_ns.to_string()} data-end-ns={w.end_ns.to_string()}>
                        { display::window_text(w) }</span>
                </div>
                <svg data-testid="threads-lanes" viewBox={format!("0 0 {WIDTH} {height:.1}")} role="img" onwheel={onwheel}
                    aria-label={display::lanes_label(o)}>
                    { for shown.iter().enumerate().map(|(i, t)| {
                        let y = row_y(i);
                        html! { <g>
                            <text class="lane-label" x="4" y={format!("{:.1}", text_y(i))}>{ short_name(&t.name) }</text>
                            <rect class="lane" x={LEFT.to_string()} y={format!("{y:.1}")} width={(WIDTH - 8.0 - LEFT).to_string()} height={lane_h.to_string()} />
                            { for lanes::thread_bars(&t.lane, &scale).into_iter().map(|b| html! {
                                <rect class={classes!("st", state_class(b.kind))} x={format!("{:.2}", b.x)} y={format!("{y:.1}")} width={format!("{:.2}", b.width)} height={lane_h.to_string()}>
                                    <title>{ display::state_bar_title(&t.name, b.kind, b.start_ns, b.end_ns) }</title>
                                </rect>
                            }) }
                        </g> }
                    }) }
                    { for o.gil_lanes.iter().enumerate().map(|(g, lane)| {
                        let y = row_y(shown.len() + g);
                        let label = display::gil_lane_label(gil_rows, lane.interpreter);
                        html! { <g data-testid="threads-gil-lane">
                            <text class="lane-label strong" x="4" y={format!("{:.1}", text_y(shown.len() + g))}>{ label }</text>
                            <rect class="lane" x={LEFT.to_string()} y={format!("{y:.1}")} width={(WIDTH - 8.0 - LEFT).to_string()} height={lane_h.to_string()} />
                            { for lanes::gil_bars(&lane.intervals, &scale).into_iter().enumerate().map(|(n, b)| {
                                let holder = o.threads.get(b.kind).map_or("?", |t| t.name.as_str());
                                // Alternating shades show each handoff; the holder is named when it fits.
                                html! { <g>
                                    <rect class={classes!("gil-holder", (n % 2 == 1).then_some("alt"))} x={format!("{:.2}", b.x)} y={format!("{y:.1}")} width={format!("{:.2}", b.width)} height={lane_h.to_string()}>
                                        <title>{ display::gil_bar_title(holder, b.start_ns, b.end_ns) }</title>
                                    </rect>
                                    { if display::name_fits(b.width, holder) { html! {
                                        <text class="gil-name" x={format!("{:.1}", b.x + 3.0)} y={format!("{:.1}", y + lane_h * 0.5 + 4.0)}>{ holder }</text>
                                    } } else { html! {} } }
                                </g> }
                            }) }
                        </g> }
                    }) }
                    { for o.drop_marks.iter().filter(|d| d.time_ns >= w.start_ns && d.time_ns <= w.end_ns).take(600).map(|d| {
                        let x = scale.x(d.time_ns);
                        let y = row_y(shown.len());
                        html! { <path class="drop-mark" d={format!("M{x:.1},{:.1} l-3,-5 h6 z", y)}>
                            <title>{ display::drop_title(o.threads.get(d.thread).map_or("?", |t| t.name.as_str()), d.time_ns) }</title>
                        </path> }
                    }) }
                    <g>
                        <text class="lane-label" x="4" y={format!("{:.1}", text_y(usage_row))}>{ format!("cores ({cores})") }</text>
                        <rect class="lane" x={LEFT.to_string()} y={format!("{:.1}", row_y(usage_row))} width={(WIDTH - 8.0 - LEFT).to_string()} height={lane_h.to_string()} />
                        <path class="core-usage" d={usage_path} />
                    </g>
                    <line class="axis" x1={LEFT.to_string()} x2={(WIDTH - 8.0).to_string()} y1={format!("{axis_y:.1}")} y2={format!("{axis_y:.1}")} />
                    { for lanes::ticks(w, 6).into_iter().map(|(t, label)| {
                        let x = scale.x(t);
                        html! { <g>
                            <line class="tick" x1={format!("{x:.1}")} x2={format!("{x:.1}")} y1={format!("{axis_y:.1}")} y2={format!("{:.1}", axis_y + 4.0)} />
                            <text class={classes!("tick-label", (x > WIDTH - 40.0).then_some("end"))} x={format!("{x:.1}")} y={format!("{:.1}", axis_y + 16.0)}>{ label }</text>
                        </g> }
                    }) }
                </svg>
                <figcaption class="small muted">
                    <span class="key-box st-python"></span>{ " Python " }<span class="key-box st-chold"></span>{ " C call holding the GIL " }
                    <span class="key-box st-wait"></span>{ " waiting for the GIL " }<span class="key-box st-forced"></span>{ " forced-switch wait " }
                    <span class="key-box st-io"></span>{ " I/O or sleep " }<span class="key-box st-release"></span>{ " GIL-free C code " }
                    <span class="key-box st-blocked"></span>{ " blocked on a queue " }{ "\u{25bc} drop request. The GIL lane names its holder; its shade changes at each handoff. " }
                    { display::lanes_note(o.threads.len(), SHOWN_LANES) }
                </figcaption>
                <details class="handoffs" data-testid="threads-handoffs">
                    <summary>{ "The GIL's holders in order (the lanes in words)" }</summary>
                    <ol class="small">{ for handoffs.iter().map(|line| html! { <li>{ line }</li> }) }</ol>
                    { if more_handoffs > 0 { html! { <p class="small muted">{ format!("{} more in this window: zoom in to list them.", crate::core::link::group(more_handoffs as u64)) }</p> } } else { html! {} } }
                </details>
            </figure>
        }
    }

    fn view_real(&self) -> Html {
        let st = &self.state;
        let link = self.link;
        let ready = st.pool.is_ready();
        let k = st.pool.threads();
        let last = st.real.last();
        html! {
            <section class="card" aria-label="Run for real">
                <h2>{ "Run it for real" }</h2>
                <p class="small">{ format!("{k} real Web Workers each compute {} equal slices of CPU work (about 2 ms each on a 2-core machine). With the lock, \
                    each slice needs one real lock built on the same rules: a timed wait of the switch interval, then a drop request, then a forced switch.",
                    state::REAL_SLICES) }</p>
                <p class="analogue small"><strong>{ "Unlike Python: " }</strong>{ "these workers share the page's memory and the lock is ours, not CPython's: it shows the rule, not the interpreter." }</p>
                <div class="actions">
                    <button data-testid="threads-real-lock" disabled={!ready || st.real_running()} onclick={act(link, move |_| Action::RunReal { lock: true, k })}>{ "With the lock" }</button>
                    <button data-testid="threads-real-nolock" disabled={!ready || st.real_running()} onclick={act(link, move |_| Action::RunReal { lock: false, k })}>{ "Without it" }</button>
                    <button data-testid="threads-real-one" disabled={!ready || st.real_running()} title="The same slices on one worker: the sequential time"
                        onclick={act(link, |_| Action::RunReal { lock: true, k: 1 })}>{ "On one worker" }</button>
                    { if st.real_running() { html! { <span class="small muted">{ "running on the workers\u{2026}" }</span> } } else { html! {} } }
                </div>
                { if !ready { html! { <p class="small warn">{ "This page has no Web Workers (the notice at the top says why), so nothing can run for real here." }</p> } } else { html! {} } }
                { if st.real.is_empty() { html! {} } else { html! { <>
                    // Seven columns do not fit a phone's card: the table scrolls inside it.
                    <div class="table-scroll" tabindex="0" role="region" aria-label="Real runs">
                    <table data-testid="threads-real-table">
                        <thead><tr><th>{ "lock" }</th><th>{ "workers" }</th><th>{ "wall time" }</th><th>{ "simulated" }</th><th>{ "switches" }</th><th>{ "drop requests" }</th><th>{ "two inside at once" }</th></tr></thead>
                        <tbody>{ for st.real.iter().map(|r| html! {
                            <tr>
                                <td>{ display::lock_word(r.report.use_lock) }</td>
                                <td class="num">{ r.report.k }</td>
                                <td class="num">{ ms(r.report.wall_ms) }</td>
                                <td class="num">{ ms_or_dash(r.simulated_wall_ms()) }</td>
                                <td class="num">{ r.report.lock.switches }</td>
                                <td class="num">{ r.report.lock.drop_requests }</td>
                                <td class="num">{ r.report.lock.violations }</td>
                            </tr>
                        }) }</tbody>
                    </table>
                    </div>
                    <p class="small muted">{ "Simulated: the simulator's wall time for the same workers, slices (their measured mean length) and interval; under the GIL with the lock, and free-threaded with no single-thread slowdown without it." }</p>
                </> } } }
                { match last { Some(r) => real_lanes(&r.report, r.simulated.as_ref()), None => html! {} } }
            </section>
        }
    }

    /// Where the check points fall in `counter += 1`, for the counter preset.
    fn view_counter(&self) -> Html {
        if !self.state.shows_counter() {
            return html! {};
        }
        html! {
            <section class="card" aria-label="Where the check points fall" data-testid="threads-counter">
                <h2>{ "Where the check points fall" }</h2>
                <p>{ presets::COUNTER_SUMMARY }</p>
                <div class="histo-pair">
                    <div><h3>{ "CPython 3.9" }</h3><pre class="code small">{ presets::COUNTER_BYTECODE_39 }</pre></div>
                    <div><h3>{ "CPython 3.12" }</h3><pre class="code small">{ presets::COUNTER_BYTECODE_312 }</pre></div>
                </div>
                <div class="task-table-wrap" tabindex="0" role="region" aria-label="Lost updates per CPython"><table>
                    <thead><tr><th>{ "CPython" }</th><th>{ "runs that lost updates" }</th><th>{ "updates lost per run" }</th></tr></thead>
                    <tbody>{ for presets::COUNTER_MEASURED.iter().map(|m| html! {
                        <tr><td>{ m.version }</td><td class="num">{ display::runs_with_loss(m) }</td>
                            <td class="num">{ display::lost_per_run(m) }</td></tr>
                    }) }</tbody>
                </table></div>
                <p class="small muted">{ "3 threads \u{d7} 1,000,000 increments, measured on a 2-core machine. The race lab shows the load and the store as separate steps, " }
                    <a href="race?preset=counter">{ "as free-threaded CPython or 3.9 can split them" }</a>{ "." }</p>
            </section>
        }
    }

    fn view_compare(&self) -> Html {
        let bars = self.state.compare_bars();
        if bars.is_empty() {
            return html! {};
        }
        let (ticks, axis_max) = display::compare_axis(&bars);
        let x = Scale::new((0.0, axis_max), (180.0, 600.0));
        let chart_w = 700;
        html! {
            <section class="card" aria-label="Comparison">
                <h2>{ "Four ways to run the same tasks" }</h2>
                <svg data-testid="threads-compare-chart" viewBox={format!("0 0 {chart_w} {}", bars.len() * 30 + 26)} role="img" aria-label="Wall time of each way">
                    { for bars.iter().enumerate().map(|(i, (label, v))| {
                        let y = i as f64 * 30.0;
                        html! { <g>
                            <text class="lane-label" x="4" y={format!("{:.1}", y + 17.0)}>{ label }</text>
                            { match v {
                                Ok(ms_v) => html! { <>
                                    <rect class={format!("lane-{}", i % 8)} x="180" y={format!("{y:.1}")} width={format!("{:.1}", (x.map(*ms_v) - 180.0).max(1.0))} height="22" rx="3" />
                                    <text class="tick-label" x={format!("{:.1}", x.map(*ms_v) + 4.0)} y={format!("{:.1}", y + 16.0)} text-anchor="start">{ ms(*ms_v) }</text>
                                </> },
                                Err(e) => html! { <text class="warn" x="184" y={format!("{:.1}", y + 16.0)}>{ display::not_simulated(e) }</text> },
                            } }
                        </g> }
                    }) }
                    { for ticks.iter().map(|t| html! {
                        <text class="tick-label" x={format!("{:.1}", x.map(*t))} y={format!("{}", bars.len() * 30 + 18)}>{ format!("{} ms", tick_label(*t)) }</text>
                    }) }
                </svg>
                <p class="small muted">{ "Processes and free-threaded threads use every core; threads under the GIL only overlap what releases it." }</p>
            </section>
        }
    }

    fn view_check(&self) -> Html {
        let Some(r) = &self.state.run else { return html! {} };
        let Some(check) = &r.check else { return html! {} };
        html! {
            <section class="card" aria-label="CPython check" data-testid="threads-check">
                <h2>{ "This preset against CPython" }</h2>
                { match check {
                    Err(e) => html! { <p class="notice error">{ e }</p> },
                    Ok(rows) => html! {
                        <>
                        <div class="task-table-wrap" tabindex="0" role="region" aria-label="CPython check">
                        <table>
                            <thead><tr><th>{ "figure" }</th><th>{ "simulated" }</th><th>{ "CPython range" }</th><th>{ "measured" }</th></tr></thead>
                            <tbody>{ for rows.iter().map(|h| html! {
                                <tr class={if h.within() { "ok" } else { "warn" }}>
                                    <td>{ &h.label }</td>
                                    <td class="num">{ display::headline_simulated(h) }</td>
                                    <td class="num">{ display::headline_range(h) }</td>
                                    <td class="small">{ &h.cpython }</td>
                                </tr>
                            }) }</tbody>
                        </table>
                        </div>
                        <p class="small muted">{ "The preset's own runs on the 2-core machine its figures were measured on, whatever this page's settings. " }
                            { r.check_source() }</p>
                        </>
                    },
                } }
            </section>
        }
    }
}

/// The patterns that tell the lanes' states apart besides their colours, so that no two
/// look alike in greyscale: Python is solid; waiting hatched, I/O dotted, blocked lined,
/// the forced-switch wait striped, GIL-free C code cross-hatched, a C call holding the
/// GIL banded. Defined once for every drawing on the page.
pub(crate) fn state_patterns() -> Html {
    html! {
        <svg class="visually-hidden" aria-hidden="true" focusable="false" width="0" height="0">
            <defs>
                <pattern id="st-hatch-wait" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">
                    <rect class="pat-bg" width="6" height="6" /><rect class="pat-wait" width="3.5" height="6" />
                </pattern>
                <pattern id="st-dots-io" width="5" height="5" patternUnits="userSpaceOnUse">
                    <rect class="pat-bg" width="5" height="5" /><circle class="pat-io" cx="2.5" cy="2.5" r="1.9" />
                </pattern>
                <pattern id="st-cross-blocked" width="5" height="5" patternUnits="userSpaceOnUse">
                    <rect class="pat-bg" width="5" height="5" /><path class="pat-blocked" d="M0,2.5 H5" />
                </pattern>
                <pattern id="st-stripes-forced" width="5" height="5" patternUnits="userSpaceOnUse">
                    <rect class="pat-bg" width="5" height="5" /><rect class="pat-forced" width="3" height="5" />
                </pattern>
                <pattern id="st-hatch-release" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(-45)">
                    <rect class="pat-release" width="6" height="6" /><rect class="pat-bg" width="1.5" height="6" />
                </pattern>
                <pattern id="st-bands-chold" width="6" height="6" patternUnits="userSpaceOnUse">
                    <rect class="pat-chold" width="6" height="6" /><rect class="pat-bg" y="2.5" width="6" height="1.2" />
                </pattern>
            </defs>
        </svg>
    }
}

/// The measured holds (or slices) of the last real run, one lane per worker, above the
/// simulation of the same settings on the same time axis.
fn real_lanes(report: &real_gil::RealReport, simulated: Option<&Outcome>) -> Html {
    let sim_rows = simulated.map_or(0, |o| o.threads.len());
    let end = report.wall_ms.max(simulated.map_or(0.0, |o| o.wall_ms)).max(1e-3);
    let scale = Scale::new((0.0, end), (LEFT, WIDTH - 8.0));
    let rows = report.k + sim_rows;
    let lane_h = display::lane_height(rows);
    let height = rows as f64 * (lane_h + 4.0) + 26.0;
    let axis_y = rows as f64 * (lane_h + 4.0) + 4.0;
    let row_y = |i: usize| i as f64 * (lane_h + 4.0);
    let lane_bg = |i: usize, label: String| html! { <g>
        <text class="lane-label" x="4" y={format!("{:.1}", row_y(i) + lane_h * 0.5 + 4.0)}>{ label }</text>
        <rect class="lane" x={LEFT.to_string()} y={format!("{:.1}", row_y(i))} width={(WIDTH - 8.0 - LEFT).to_string()} height={lane_h.to_string()} />
    </g> };
    let sim_scale = simulated.map(|o| TimeScale {
        window: lanes::Window { start_ns: 0, end_ns: ((end * 1e6) as u64).max(o.wall_ns) },
        x0: LEFT,
        x1: WIDTH - 8.0,
    });
    html! {
        <figure class="timeline" tabindex="0" aria-label="Real run lanes">
            <svg data-testid="threads-real-lanes" viewBox={format!("0 0 {WIDTH} {height:.1}")} role="img" aria-label="Measured lock holds per worker, and the simulation of the same run">
                { for (0..report.k).map(|lane| lane_bg(lane, format!("worker {}", lane + 1))) }
                { for report.intervals.iter().filter(|i| i.thread < report.k).map(|i| html! {
                    <rect class={if report.use_lock { "st-python" } else { "st-release" }} x={format!("{:.2}", scale.map(i.start_ms))} y={format!("{:.1}", row_y(i.thread))}
                        width={format!("{:.2}", (scale.map(i.end_ms) - scale.map(i.start_ms)).max(0.5))} height={lane_h.to_string()} />
                }) }
                { match (simulated, sim_scale) {
                    (Some(o), Some(sc)) => html! { <>
                        { for o.threads.iter().enumerate().map(|(i, t)| html! { <>
                            { lane_bg(report.k + i, format!("sim. {}", i + 1)) }
                            { for lanes::thread_bars(&t.lane, &sc).into_iter().map(|b| html! {
                                <rect class={classes!("st", state_class(b.kind))} x={format!("{:.2}", b.x)} y={format!("{:.1}", row_y(report.k + i))}
                                    width={format!("{:.2}", b.width)} height={lane_h.to_string()} />
                            }) }
                        </> }) }
                    </> },
                    _ => html! {},
                } }
                <line class="axis" x1={LEFT.to_string()} x2={(WIDTH - 8.0).to_string()} y1={format!("{axis_y:.1}")} y2={format!("{axis_y:.1}")} />
                { for nice_ticks(end, 5).into_iter().filter(|t| *t <= end).map(|t| html! {
                    <text class="tick-label" x={format!("{:.1}", scale.map(t))} y={format!("{:.1}", axis_y + 16.0)}>{ format!("{} ms", tick_label(t)) }</text>
                }) }
            </svg>
            <figcaption class="small muted">{ display::real_caption(report.use_lock) }</figcaption>
        </figure>
    }
}

fn thread_table(o: &Outcome) -> Html {
    html! {
        <details class="task-results" open={o.threads.len() <= 16}>
            <summary>{ format!("Threads ({})", o.threads.len()) }</summary>
            <div class="task-table-wrap" tabindex="0" role="region" aria-label="Threads">
            <table data-testid="threads-table">
                <thead><tr><th>{ "thread" }</th><th>{ "running" }</th><th>{ "waiting for the GIL" }</th><th>{ "forced wait" }</th><th>{ "I/O" }</th><th>{ "GIL-free C" }</th></tr></thead>
                <tbody>{ for o.threads.iter().take(500).map(|t| html! {
                    <tr>
                        <td>{ display::thread_label(t) }</td>
                        <td class="num">{ ms(t.running_ms) }</td>
                        <td class="num">{ ms(t.gil_wait_ms) }</td>
                        <td class="num">{ ms(t.forced_switch_wait_ms) }</td>
                        <td class="num">{ ms(t.io_ms) }</td>
                        <td class="num">{ ms(t.c_release_ms) }</td>
                    </tr>
                }) }</tbody>
            </table>
            </div>
        </details>
    }
}
