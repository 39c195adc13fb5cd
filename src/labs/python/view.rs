//! The Python lab's page: markup and wiring. Decisions are in `state` (a pure state
//! machine); this component turns events into its actions, performs its effects on the
//! worker and the editor (glue::python), and draws the state.

use super::config;
use super::model::{self, Assets, Stream};
use super::programs;
use super::state::{Action, Effect, Interp, PyState, PyStatus, STOP_DEADLINE_MS};
use crate::app::host::{self, act, Host, LabPage, Then, View};
use crate::app::widgets::{results_json, LinkErrors, PresetBar, ShareBar};
use crate::core::lab::whole_ms;
use crate::glue::{self, python::{Editor, EditorOptions, PyWorker}};
use gloo_timers::callback::Timeout;
use yew::prelude::*;

/// The page of the Python lab, for its bundle.
pub fn render() -> Html {
    host::render::<PythonPage>()
}

pub struct PythonPage;

/// The id of the sentence that says how to leave the editor and run from it.
const EDITOR_KEYS_ID: &str = "py-editor-keys";

pub enum PageEvent {
    EditorReady(Result<Editor, String>),
}

/// The worker running CPython, the editor, and the timer that gives up on a Stop.
pub struct Runtime {
    assets: Result<Assets, String>,
    worker: Option<PyWorker>,
    editor: Option<Editor>,
    editor_problem: Option<String>,
    editor_host: NodeRef,
    stop_timer: Option<Timeout>,
}

impl Default for Runtime {
    fn default() -> Runtime {
        Runtime {
            assets: glue::python::assets(),
            worker: None,
            editor: None,
            editor_problem: None,
            editor_host: NodeRef::default(),
            stop_timer: None,
        }
    }
}

impl Runtime {
    fn start_worker(&mut self, then: &mut Then<PythonPage>) {
        let assets = match &self.assets {
            Ok(a) => a,
            Err(problem) => {
                then.dispatch(Action::WorkerFailed(problem.clone()));
                return;
            }
        };
        let (events, failures) = (then.host().clone(), then.host().clone());
        match PyWorker::start(assets, move |e| events.send(Action::Worker(e)), move |m| failures.send(Action::WorkerFailed(m))) {
            Ok(w) => self.worker = Some(w),
            Err(m) => then.dispatch(Action::WorkerFailed(m)),
        }
    }
}

impl LabPage for PythonPage {
    type State = PyState;
    type Runtime = Runtime;
    type Event = PageEvent;

    fn perform(_state: &PyState, rt: &mut Runtime, effect: Effect, then: &mut Then<Self>) {
        match effect {
            Effect::StartWorker => rt.start_worker(then),
            Effect::TerminateWorker => {
                rt.worker = None;
                rt.stop_timer = None;
            }
            Effect::PostRun { run, code, on_one } => {
                if let Some(w) = &rt.worker {
                    w.run(run, &code, on_one);
                }
            }
            Effect::PostStop { run } => {
                if let Some(w) = &rt.worker {
                    w.stop(run);
                }
                let host = then.host().clone();
                rt.stop_timer = Some(Timeout::new(STOP_DEADLINE_MS, move || host.send(Action::StopDeadline { run })));
            }
            Effect::WriteQuery(_) => {}
            Effect::SetEditor(text) => {
                if let Some(e) = &rt.editor {
                    e.set_doc(&text);
                }
            }
            Effect::MarkLine(line) => {
                if let Some(e) = &rt.editor {
                    e.mark_line(line);
                }
            }
        }
    }

    fn rendered(state: &PyState, rt: &mut Runtime, host: &Host<Self>, first: bool) {
        if !first {
            return;
        }
        let (Ok(assets), Some(parent)) = (&rt.assets, rt.editor_host.cast::<web_sys::Element>()) else {
            return;
        };
        let (bundle, doc, host) = (assets.editor.clone(), state.code.clone(), host.clone());
        let on_change = {
            let host = host.clone();
            move |text: String| host.send(Action::Edit(text))
        };
        let on_run = {
            let host = host.clone();
            move || host.send(Action::Run)
        };
        wasm_bindgen_futures::spawn_local(async move {
            let opts = EditorOptions { doc: &doc, label: "Python program", described_by: EDITOR_KEYS_ID };
            let editor = Editor::create(&bundle, &parent, opts, on_change, on_run).await;
            host.event(PageEvent::EditorReady(editor));
        });
    }

    fn on_event(state: &PyState, rt: &mut Runtime, event: PageEvent, _then: &mut Then<Self>) -> bool {
        match event {
            PageEvent::EditorReady(Ok(editor)) => {
                // Typing in the plain text area before the editor came wins.
                editor.set_doc(&state.code);
                editor.mark_line(state.error_line());
                rt.editor = Some(editor);
            }
            PageEvent::EditorReady(Err(problem)) => rt.editor_problem = Some(problem),
        }
        true
    }

    fn view(page: &View<'_, Self>) -> Html {
        page.page()
    }
}

/// The page's markup, drawn from the state.
impl View<'_, PythonPage> {
    fn page(&self) -> Html {
        let link = self.link;
        let s = &self.state;
        let doc: AttrValue = s.results_doc().into();
        html! {
            <div class="lab python-lab">
                <section class="lab-intro">
                    <h1>{ "Python lab: " }<span class="muted">{ "real CPython in the page" }</span></h1>
                    <p>{ "Write asyncio, threading or process-pool code and run it: CPython itself (Pyodide, CPython compiled to \
                          WebAssembly) runs it in a Web Worker, and the timelines show when each task's coroutine ran, \
                          when each thread held the interpreter and what each pool worker did. What it prints is what CPython prints." }</p>
                    <p class="analogue"><strong>{ "Unlike Python on your machine: " }</strong>
                        { "this interpreter has no threads of its own, so threading.Thread is emulated (one stack at a \
                           time, switched by the lab where CPython would switch), and asyncio.to_thread uses those threads; \
                           ProcessPoolExecutor and multiprocessing.Pool run on other CPythons in other Web Workers, which \
                           share no objects, as processes share none; and the event loop is the browser's." }</p>
                </section>
                <LinkErrors errors={s.link_errors.clone()} on_dismiss={act(link, |_| Action::DismissLinkErrors)} />
                <PresetBar lab="python" selected={s.preset().map(|p| p.id)} disabled={s.is_running()} on_pick={act(link, Action::LoadPreset)} />
                { self.status() }
                { self.view_interpreter() }
                <div class="py-grid">
                    { self.view_editor() }
                    { self.view_output() }
                </div>
                { self.view_result() }
                { self.view_threads() }
                { self.view_timeline() }
                { self.view_pool() }
                <section class="card">
                    { match s.query() {
                        Some(q) => html! { <ShareBar path="/python" query={q} document={doc.clone()} export_name="python-lab-results.json" /> },
                        None => html! { <p class="small warn" data-testid="py-too-long">{ format!(
                            "This program is longer than {} bytes, too long for a link.", crate::core::link::group(config::MAX_PROGRAM_BYTES as u64)) }</p> },
                    } }
                    { results_json(doc) }
                </section>
            </div>
        }
    }
}

fn megabytes(bytes: u64) -> String {
    format!("{:.1} MB", bytes as f64 / 1e6)
}

impl View<'_, PythonPage> {
    fn view_interpreter(&self) -> Html {
        let s = &self.state;
        let total = self.rt.assets.as_ref().map(|a| a.total_bytes()).unwrap_or(0);
        let label = self.rt.assets.as_ref().map(|a| format!("CPython {} (Pyodide {})", a.python, a.pyodide_version)).unwrap_or_else(|_| "CPython".into());
        let body = match &s.interp {
            Interp::Loading { loaded, total: reported } => {
                let total = if *reported > 0 { *reported } else { total };
                html! {
                    <div data-testid="py-loading" role="status">
                        <p><strong>{ format!("Loading {label}: ") }</strong>
                            <span data-testid="py-loaded">{ format!("{} of {}", megabytes(*loaded), megabytes(total)) }</span></p>
                        <progress max={total.max(1).to_string()} value={loaded.to_string()} aria-label="Download of CPython"></progress>
                        <p class="small muted">{ "The interpreter and its whole standard library, compiled to WebAssembly, \
                            are about 15 MB: the browser downloads them once, from this site, and keeps them for the next visit. \
                            Only this lab loads them." }</p>
                    </div>
                }
            }
            Interp::Ready { python, interrupts, stack_switching } => html! {
                <p data-testid="py-ready" class="small" data-stack-switching={stack_switching.to_string()}>
                    <strong>{ format!("CPython {python} ready") }</strong>
                    { s.interp_start.as_ref().map(|st| format!(" \u{b7} {}", st.words())).unwrap_or_default() }
                    { if *interrupts { " \u{b7} Stop interrupts running code with KeyboardInterrupt" } else { "" } }
                    { if *stack_switching { "" } else { " \u{b7} this browser lacks WebAssembly stack switching: a top-level asyncio.run(main()) \
                        runs as an await of main(), and asyncio.run() inside a function cannot wait" } }
                </p>
            },
            Interp::Failed { message } => html! {
                <p class="notice error" data-testid="py-load-failed" role="alert">
                    { format!("{label} could not start: {message}. Press Run to try again.") }
                </p>
            },
        };
        html! {
            <section class="card py-interp" aria-label="Interpreter">
                { body }
                { match s.no_shared_memory { Some(why) => html! {
                    <p class="small warn" data-testid="py-no-interrupts">{ format!("Stop cannot interrupt Python while it computes \
                        ({why}): it replaces the interpreter instead (a program waiting in the event loop is still cancelled).") }</p>
                }, None => html! {} } }
                { match &s.replaced { Some(m) => html! { <p class="small warn" data-testid="py-replaced" role="status">{ m }</p> }, None => html! {} } }
            </section>
        }
    }

    fn view_editor(&self) -> Html {
        let link = self.link;
        let s = &self.state;
        let running = s.is_running();
        let status = match s.status() {
            PyStatus::Idle => "",
            PyStatus::Loading => "waiting for CPython to load\u{2026}",
            PyStatus::Running if s.is_stopping() => "stopping\u{2026}",
            PyStatus::Running => "running\u{2026}",
            PyStatus::Done => "finished",
            PyStatus::Error => "ended with an error",
            PyStatus::Stopped => "stopped",
        };
        html! {
            <section class="card py-editor" aria-label="Program">
                <div class="actions">
                    <button class="primary" data-testid="py-run" disabled={running || s.waits_to_run()} onclick={act(link, |_| Action::Run)}>{ "Run" }</button>
                    <button data-testid="py-stop" disabled={!(running || s.waits_to_run()) || s.is_stopping()} onclick={act(link, |_| Action::Stop)}>{ "Stop" }</button>
                    <button data-testid="py-reset" title="Start a fresh interpreter" onclick={act(link, |_| Action::Reset)}>{ "Reset interpreter" }</button>
                    { match s.live() {
                        Some(on) => html! {
                            <label class="check small" title="Sets LIVE in the program: real HTTP requests to the AniList API">
                                <input type="checkbox" data-testid="py-live" checked={on} disabled={running}
                                    onchange={act(link, move |_| Action::SetLive(!on))} />{ " live requests (needs the network)" }
                            </label>
                        },
                        None => html! {},
                    } }
                    <span class="small muted" data-testid="py-status" data-status={format!("{:?}", s.status()).to_lowercase()}>{ status }</span>
                </div>
                <div class="code-editor" ref={self.rt.editor_host.clone()} data-testid="py-editor"></div>
                <p class="small muted" id={EDITOR_KEYS_ID} data-testid="py-editor-keys">
                    { "In the editor, Tab indents: press Esc, then Tab, to move on. Ctrl+Enter (\u{2318}+Enter on a Mac) runs the program." }</p>
                { if self.rt.editor.is_none() { html! {
                    <textarea class="code-fallback" data-testid="py-code-fallback" spellcheck="false" aria-label="Python program"
                        value={s.code.clone()} oninput={act(link, |e: InputEvent| Action::Edit(crate::app::widgets::field_text(&e)))} />
                } } else { html! {} } }
                { match &self.rt.editor_problem {
                    Some(p) => html! { <p class="small warn">{ format!("The code editor did not load ({p}); this plain text box works instead.") }</p> },
                    None => html! {},
                } }
            </section>
        }
    }

    fn view_output(&self) -> Html {
        let s = &self.state;
        html! {
            <section class="card py-output" aria-label="Output">
                <h2>{ "Output" }</h2>
                <pre class="console" data-testid="py-output" tabindex="0" aria-label="Output">
                    { for s.output.chunks.iter().map(|(stream, text)| html! {
                        <span class={if *stream == Stream::Stderr { "stderr" } else { "stdout" }}>{ text }</span>
                    }) }
                    { if s.output.is_empty() && s.status() == PyStatus::Idle { html! { <span class="muted">{ "Press Run: what the program prints appears here as it prints it." }</span> } } else { html! {} } }
                </pre>
                { if s.output.dropped > 0 { html! {
                    <p class="small warn">{ format!("{} more characters of output were not kept.", crate::core::link::group(s.output.dropped as u64)) }</p>
                } } else { html! {} } }
            </section>
        }
    }

    fn view_result(&self) -> Html {
        let s = &self.state;
        let failure = s.failure.as_ref().map(|f| html! { <p class="notice error" data-testid="py-failure" role="alert">{ f }</p> });
        let Some(last) = &s.last else { return failure.unwrap_or_default() };
        let r = &last.record;
        let exception = r.exception.as_ref().map(|e| {
            let hint = model::hint_for(e);
            html! {
                <div class={classes!("notice", if s.status() == PyStatus::Stopped { "warn" } else { "error" })} data-testid="py-exception">
                    <strong>{ format!("{}{}", e.kind, if e.message.is_empty() { String::new() } else { format!(": {}", e.message) }) }</strong>
                    { match e.line { Some(n) => html! { <span data-testid="py-exception-line">{ format!(" (main.py, line {n})") }</span> }, None => html! {} } }
                    { match hint { Some(h) => html! {
                        <p data-testid="py-hint">{ h.sentence }{ " " }<a href={h.href}>{ h.lab_text }</a>{ "." }</p>
                    }, None => html! {} } }
                </div>
            }
        });
        let program = s.ran_program();
        html! {
            <section class="card py-result" aria-label="Result">
                <p data-testid="py-wall"><strong>{ format!("Wall time {} ms", whole_ms(r.wall_ms)) }</strong>
                    { r.counts() }</p>
                { failure.unwrap_or_default() }
                { exception.unwrap_or_default() }
                { match program.and_then(|p| p.note) { Some(n) => html! { <p class="small" data-testid="py-note">{ n }</p> }, None => html! {} } }
                { match program { Some(p) if !p.see_also.is_empty() => html! {
                    <p class="small">{ "Compare: " }
                        { for p.see_also.iter().enumerate().map(|(i, l)| html! { <>{ if i > 0 { " \u{b7} " } else { "" } }<a href={l.href}>{ l.text }</a></> }) }
                    </p>
                }, _ => html! {} } }
                { self.view_semaphore() }
            </section>
        }
    }

    fn view_semaphore(&self) -> Html {
        let Some(cmp) = self.state.semaphore_comparison() else { return html! {} };
        html! {
            <div class="py-compare" data-testid="py-semaphore-compare">
                <h3>{ "This run's log beside CPython 3.11's" }</h3>
                <p class="small" data-testid="py-semaphore-verdict">{ cmp.verdict() }</p>
                <table class="compare small">
                    <thead><tr><th>{ "#" }</th><th>{ "CPython 3.11" }</th><th>{ "this run" }</th></tr></thead>
                    <tbody>
                        { for cmp.lines.iter().enumerate().map(|(i, l)| html! {
                            <tr class={classes!((!l.same()).then_some("differs"))}>
                                <td>{ i + 1 }</td><td>{ l.expected.clone().unwrap_or_default() }</td><td>{ l.got.clone().unwrap_or_default() }</td>
                            </tr>
                        }) }
                    </tbody>
                </table>
            </div>
        }
    }

    fn view_pool(&self) -> Html {
        let s = &self.state;
        let Some(last) = &s.last else { return html! {} };
        let Some(pool) = &last.record.pool else {
            return html! {};
        };
        let f = pool.figures(last.record.wall_ms);
        let speedup = s.pool_speedup();
        let chart = last.pool_timeline.as_ref().map(|t| {
            let c = &t.chart;
            let mut labels = t.labels.iter();
            html! {
                <div class="chart-scroll" tabindex="0" role="region" aria-label="Pool timeline">
                    <svg class="py-timeline py-pool-timeline" data-testid="py-pool-timeline" viewBox={format!("0 0 {} {}", c.width, c.height)} role="img"
                        aria-label="What each pool worker did">
                        <defs>
                            <pattern id="py-hatch-startup" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">
                                <rect class="py-pat-bg" width="6" height="6" /><rect class="py-pat" width="3" height="6" />
                            </pattern>
                        </defs>
                        { lanes(c, &t.names) }
                        { for c.bars.iter().map(|b| {
                            let (class, testid, inset) = match b.item {
                                model::POOL_STARTUP => ("startup", "py-pool-startup", 4.0),
                                model::POOL_FLIGHT => ("alive", "py-pool-flight", 8.0),
                                model::POOL_PICKLING => ("pickling", "py-pool-pickling", 3.0),
                                model::POOL_FAILED => ("blocked", "py-pool-task", 3.0),
                                _ => ("ran", "py-pool-task", 3.0),
                            };
                            let title = matches!(b.item, model::POOL_TASK | model::POOL_FAILED).then(|| labels.next().cloned()).flatten();
                            html! {
                                <rect class={class} data-testid={testid}
                                    x={format!("{:.2}", b.x)} y={format!("{:.2}", b.y + inset)} width={format!("{:.2}", b.width)}
                                    height={format!("{:.2}", b.height - 2.0 * inset)}>
                                    { match title { Some(t) => html! { <title>{ t }</title> }, None => html! {} } }
                                </rect>
                            }
                        }) }
                        { time_axis(c) }
                    </svg>
                </div>
            }
        });
        html! {
            <section class="card" aria-label="Process pool" data-testid="py-pool">
                <h2>{ "Process pool" }</h2>
                { if pool.parallel { html! {
                    <p class="small muted">{ "One lane per worker interpreter (a Web Worker with its own CPython and GIL). Grey is its start-up: \
                        a cold start loads CPython, a warm one only imports the program as __mp_main__. A bar is a task running, with its \
                        pickling in amber at both ends; the thin line runs from handing over the call to the answer's arrival." }</p>
                } } else { html! {
                    <p class="small warn" data-testid="py-pool-sequential">{ pool.reason.clone().unwrap_or_default() }</p>
                } } }
                { chart.unwrap_or_default() }
                <p data-testid="py-pool-figures">
                    <strong>{ format!("Wall time {} ms", whole_ms(f.wall_ms)) }</strong>
                    { format!(" \u{b7} {} task{} on {} worker{}", f.tasks, if f.tasks == 1 { "" } else { "s" }, f.workers, if f.workers == 1 { "" } else { "s" }) }
                    { format!(" \u{b7} tasks' own time summed {} ms", whole_ms(f.task_ms)) }
                    { format!(" \u{b7} pickling {} ms", whole_ms(f.pickling_ms)) }
                    { if f.startup_ms > 0.0 { format!(" \u{b7} start-up {} ms{}", whole_ms(f.startup_ms), if f.cold_starts > 0 { " (cold)" } else { " (warm)" }) } else { String::new() } }
                    { if f.failed > 0 { format!(" \u{b7} {} raised", f.failed) } else { String::new() } }
                </p>
                { if pool.asked > f.workers && pool.parallel { html! {
                    <p class="small muted">{ format!("The program asked for {} workers; the page starts at most {} interpreters, so tasks queue for them.", pool.asked, f.workers) }</p>
                } } else { html! {} } }
                { match speedup {
                    Some((x, c)) => html! {
                        <p data-testid="py-pool-speedup">{ format!("Speedup {x:.2}x: {} ms on one interpreter against {} ms on the pool's {} worker{}{}.",
                            whole_ms(c.one.unwrap_or_default()), whole_ms(c.parallel.map_or(0.0, |p| p.0)), c.parallel.map_or(0, |p| p.1),
                            if c.parallel.is_some_and(|p| p.1 == 1) { "" } else { "s" },
                            if c.parallel.is_some_and(|p| p.2) { ", including their cold start: run it again to see them warm" } else { "" }) }</p>
                    },
                    None => html! {},
                } }
                { if pool.parallel && !s.is_running() { html! {
                    <p class="small">
                        <button data-testid="py-run-on-one" onclick={act(self.link, |_| Action::RunOnOne)}>{ "Run on one interpreter" }</button>
                        { " runs the same program with its pools' tasks one after another here: the speedup compares the two." }
                    </p>
                } } else { html! {} } }
            </section>
        }
    }

    fn view_threads(&self) -> Html {
        let Some(last) = &self.state.last else { return html! {} };
        let (Some(threads), Some(t)) = (&last.record.threads, &last.thread_timeline) else { return html! {} };
        let c = &t.chart;
        html! {
            <section class="card" aria-label="Threads" data-testid="py-threads">
                <h2>{ "Threads" }</h2>
                <p class="small" data-testid="py-threads-emulated">
                    { last.record.threads_started_words() }
                    { programs::THREADS_NOTE }
                    { if threads.preemptive { String::new() } else { format!(" {}", programs::NOT_PREEMPTIVE) } }
                </p>
                <p class="small muted">{ "One lane per thread, named as threading names it. Solid: the thread holds the interpreter \
                    and runs Python; only one does at a time." }</p>
                <p class="small muted" aria-hidden="true">
                    { for model::Stretch::ALL.iter().map(|&k| html! { <><span class={classes!("key-box", stretch_class(k))}></span>{ format!(" {} ", k.words()) }</> }) }
                </p>
                { crate::labs::threads::view::state_patterns() }
                <div class="chart-scroll" tabindex="0" role="region" aria-label="Thread timeline">
                    <svg class="py-timeline" data-testid="py-thread-timeline" viewBox={format!("0 0 {} {}", c.width, c.height)} role="img"
                        aria-label="When each thread ran, waited for the interpreter, slept or blocked">
                        { lanes(c, &t.names) }
                        { for c.bars.iter().map(|b| {
                            let kind = model::Stretch::from_index(b.item);
                            let inset = if kind == model::Stretch::Run { 2.0 } else { 5.0 };
                            html! {
                                <rect class={stretch_class(kind)} data-testid="py-thread-stretch" data-kind={stretch_class(kind)}
                                    x={format!("{:.2}", b.x)} y={format!("{:.2}", b.y + inset)} width={format!("{:.2}", b.width.max(0.5))}
                                    height={format!("{:.2}", b.height - 2.0 * inset)} />
                            }
                        }) }
                        { time_axis(c) }
                    </svg>
                </div>
                { hidden_lanes_note(t.hidden_lanes, "threads") }
                <p data-testid="py-thread-figures">
                    { threads.figures() }{ " " }<a href={programs::THREADS_LAB_LINK.href}>{ programs::THREADS_LAB_LINK.text }</a>{ "." }
                </p>
                { table_details("py-thread-table", "The threads as a table", "Threads' time",
                    &["thread", "turns", "running", "waiting for the GIL", "sleeping", "blocked"],
                    html! { <>{ for threads.threads.iter().take(200).map(|thread| {
                        let sum = thread.summary();
                        html! { <tr>
                            <td>{ &thread.name }</td><td class="num">{ sum.turns }</td><td class="num">{ format!("{:.1} ms", sum.ran_ms) }</td>
                            <td class="num">{ format!("{:.1} ms", sum.waited_ms) }</td><td class="num">{ format!("{:.1} ms", sum.slept_ms) }</td>
                            <td class="num">{ format!("{:.1} ms", sum.blocked_ms) }</td>
                        </tr> }
                    }) }</> }) }
                { if threads.cut { html! { <p class="small warn">{ "The threads switched more often than the record keeps; later stretches are missing." }</p> } } else { html! {} } }
            </section>
        }
    }

    fn view_timeline(&self) -> Html {
        let Some(last) = &self.state.last else { return html! {} };
        let r = &last.record;
        if r.tasks.is_empty() && r.threads.is_some() {
            return html! {};
        }
        if r.tasks.is_empty() {
            return html! {
                <section class="card" aria-label="Timeline">
                    <h2>{ "Timeline" }</h2>
                    <p class="small muted" data-testid="py-no-tasks">{ format!(
                        "No asyncio task ran: the program ran top to bottom in {} ms, with nothing to interleave.", whole_ms(r.wall_ms)) }</p>
                </section>
            };
        }
        let t = &last.timeline;
        let c = &t.chart;
        html! {
            <section class="card" aria-label="Timeline">
                <h2>{ "Timeline" }</h2>
                <p class="small muted">{ format!("One lane per asyncio task. A bar is its coroutine running; the thin line between \
                    is the task waiting at an await. Red marks a step longer than {} ms: the event loop could run nothing else. Ticks are printed lines.",
                    model::BLOCKED_MS) }</p>
                <div class="chart-scroll" tabindex="0" role="region" aria-label="Task timeline">
                    <svg class="py-timeline" data-testid="py-timeline" viewBox={format!("0 0 {} {}", c.width, c.height)} role="img"
                        aria-label="When each task's coroutine ran">
                        { lanes(c, &t.names) }
                        { for c.bars.iter().map(|b| {
                            // item 0: a step that ran; 1: a step that blocked the loop; 2: the task's life.
                            let (class, testid, inset) = match b.item { 1 => ("blocked", "py-blocked", 0.0), 2 => ("alive", "py-alive", 8.0), _ => ("ran", "py-bar", 3.0) };
                            html! {
                                <rect class={class} data-testid={testid}
                                    x={format!("{:.2}", b.x)} y={format!("{:.2}", b.y + inset)} width={format!("{:.2}", b.width)}
                                    height={format!("{:.2}", b.height - 2.0 * inset)} />
                            }
                        }) }
                        { for t.prints.iter().map(|&(x, lane, stream)| html! {
                            <line class={if stream == Stream::Stderr { "print stderr" } else { "print" }} x1={format!("{x:.2}")} x2={format!("{x:.2}")}
                                y1={format!("{:.2}", lane_y(c, lane) - 2.0)} y2={format!("{:.2}", lane_y(c, lane) + 5.0)} />
                        }) }
                        { time_axis(c) }
                    </svg>
                </div>
                { hidden_lanes_note(t.hidden_lanes, "tasks") }
                { table_details("py-timeline-table", "The timeline as a table", "Tasks' running time",
                    &["task", "times it ran", "running in all", "held the loop", "first ran", "last stopped"],
                    html! { <>{ for r.tasks.iter().take(200).map(|task| {
                        let sum = task.summary();
                        let at = |v: Option<f64>| v.map_or("\u{2014}".to_string(), |ms| format!("{} ms", whole_ms(ms)));
                        html! { <tr>
                            <td>{ &task.name }</td><td class="num">{ sum.steps }</td><td class="num">{ format!("{:.1} ms", sum.ran_ms) }</td>
                            <td class="num">{ sum.blocked }</td><td class="num">{ at(sum.first_ms) }</td><td class="num">{ at(sum.last_ms) }</td>
                        </tr> }
                    }) }</> }) }
                { if r.cut { html! { <p class="small warn">{ "The run made more steps or printed more lines than the record keeps; later ones are missing." }</p> } } else { html! {} } }
            </section>
        }
    }
}

/// A timeline's lanes in words: a closed `<details>` with a scrollable table (at most 200 rows).
fn table_details(testid: &'static str, summary: &'static str, label: &'static str, headers: &[&'static str], rows: Html) -> Html {
    html! {
        <details class="small" data-testid={testid}>
            <summary>{ summary }</summary>
            <div class="task-table-wrap" tabindex="0" role="region" aria-label={label}>
            <table>
                <thead><tr>{ for headers.iter().map(|h| html! { <th>{ *h }</th> }) }</tr></thead>
                <tbody>{ rows }</tbody>
            </table>
            </div>
        </details>
    }
}

/// Said under a timeline that draws fewer lanes than the record holds.
fn hidden_lanes_note(hidden: usize, what: &str) -> Html {
    if hidden == 0 {
        return html! {};
    }
    html! { <p class="small muted">{ format!("{hidden} more {what} are in the results JSON but not drawn.") }</p> }
}

/// A stretch's look: the threads lab's classes for the same states.
fn stretch_class(kind: model::Stretch) -> &'static str {
    match kind {
        model::Stretch::Run => "st-python",
        model::Stretch::Wait => "st-wait",
        model::Stretch::Forced => "st-forced",
        model::Stretch::Sleep => "st-io",
        model::Stretch::Block => "st-blocked",
    }
}

/// Where lane `lane` starts: the chart's lane height plus the layout's gap of 6.
fn lane_y(c: &crate::core::chart::Timeline, lane: usize) -> f64 {
    lane as f64 * (c.lane_height + 6.0)
}

/// Both timelines' lane backgrounds, with each lane's name on its left.
fn lanes(c: &crate::core::chart::Timeline, names: &[String]) -> Html {
    html! {
        { for names.iter().enumerate().map(|(i, name)| html! {
            <>
                <rect class="lane-bg" x={c.left.to_string()} y={lane_y(c, i).to_string()} width={(c.width - c.left - 8.0).to_string()} height={c.lane_height.to_string()} />
                <text class="lane-label" x={(c.left - 6.0).to_string()} y={(lane_y(c, i) + c.lane_height * 0.7).to_string()} text-anchor="end">{ name }</text>
            </>
        }) }
    }
}

/// Both timelines' time axis, in ms.
fn time_axis(c: &crate::core::chart::Timeline) -> Html {
    html! {
        <>
            <line class="axis" x1={c.left.to_string()} x2={(c.width - 8.0).to_string()} y1={c.axis_y.to_string()} y2={c.axis_y.to_string()} />
            { for c.ticks.iter().map(|(x, label)| html! {
                <text class={tick_class(*x, c.width)} x={format!("{x:.2}")} y={(c.axis_y + 16.0).to_string()}>{ format!("{label} ms") }</text>
            }) }
        </>
    }
}

/// The last tick label sits at the chart's right edge: anchored at its end, it stays inside.
fn tick_class(x: f64, width: f64) -> &'static str {
    if x > width - 40.0 {
        "tick-label end"
    } else {
        "tick-label"
    }
}
