//! The CPU lab's page: markup and wiring. Every decision is in `state` (a pure state
//! machine); this component turns events into its actions, performs the effects it returns
//! with `glue` and `model::Run`, and draws the state.

use super::config::{Mode, Workers};
use super::model::{self, Run, TaskRecord};
use super::state::{Action, CpuState, Effect, Executor, Input, RunOrder};
use crate::app::host::{self, act, Host, LabPage, Then, View};
use crate::app::widgets::{field_text, results_json, Heartbeat, LinkErrors, PresetBar, ShareBar};
use crate::core::chart::{self, TimelineLayout};
use crate::core::lab::whole_ms;
use crate::glue;
use gloo_timers::callback::{Interval, Timeout};
use std::sync::Arc;
use yew::prelude::*;

/// How often the page looks at the workers' progress. Each look redraws the lab, and on
/// a 2-core machine every millisecond the page spends is taken from a worker.
const TICK_MS: u32 = 100;

/// How long a worker run waits before starting, so the page paints "running" first: on 2
/// cores, a page that renders while both workers compute takes a core from one of them.
const PAINT_GRACE_MS: u32 = 40;

/// How long the one-thread fallback computes before letting the page breathe.
const FALLBACK_SLICE_MS: f64 = 8.0;
/// Inner iterations between two looks at the clock in the fallback: about 0.2 ms of work,
/// so a slice overshoots its 8 ms by little even inside one long task.
const FALLBACK_CHUNK: u64 = 1 << 16;

/// The page of the CPU lab, for its bundle.
pub fn render() -> Html {
    host::render::<CpuPage>()
}

pub struct CpuPage;

pub enum PageEvent {
    StartWorkers,
    RunMainThreadNow,
    FallbackStep,
    Tick,
}

/// The run the page is executing for the state machine.
struct Runner {
    id: u64,
    run: Arc<Run>,
    /// The fallback's task that is partway through (unused with workers).
    in_progress: Option<model::TaskInProgress>,
    reported: usize,
    _ticker: Option<Interval>,
    _timeout: Option<Timeout>,
}

#[derive(Default)]
pub struct Runtime {
    runner: Option<Runner>,
}

impl Runtime {
    /// Tells the state machine that the current run has stopped.
    fn report_end(&mut self, then: &mut Then<CpuPage>) {
        let Some(r) = self.runner.take() else { return };
        then.dispatch(Action::Finished { id: r.id, records: r.run.records(), wall_ms: r.run.wall_ms() });
    }

    /// Tells the state machine about newly finished tasks; false when there are none.
    fn report_progress(&mut self, then: &mut Then<CpuPage>) -> bool {
        let Some(r) = self.runner.as_mut() else { return false };
        let finished = r.run.finished();
        if finished == r.reported {
            return false;
        }
        r.reported = finished;
        then.dispatch(Action::Progress { id: r.id, records: r.run.records(), elapsed_ms: r.run.elapsed_ms() });
        true
    }

    fn start(&mut self, order: RunOrder, host: &Host<CpuPage>) {
        let RunOrder { id, workload, workers, executor } = order;
        let run = Run::new(workload, workers, glue::now_ms);
        let host = host.clone();
        let timeout = match executor {
            Executor::Workers => Timeout::new(PAINT_GRACE_MS, move || host.event(PageEvent::StartWorkers)),
            // Give the browser time to paint "running" before the thread is taken.
            Executor::MainThread => Timeout::new(60, move || host.event(PageEvent::RunMainThreadNow)),
            Executor::MainThreadSliced => Timeout::new(0, move || host.event(PageEvent::FallbackStep)),
        };
        self.runner = Some(Runner { id, run, in_progress: None, reported: 0, _ticker: None, _timeout: Some(timeout) });
    }
}

impl LabPage for CpuPage {
    type State = CpuState;
    type Runtime = Runtime;
    type Event = PageEvent;

    fn perform(_state: &CpuState, rt: &mut Runtime, effect: Effect, then: &mut Then<Self>) {
        match effect {
            Effect::WriteQuery(_) => {}
            Effect::Start(order) => rt.start(order, then.host()),
            Effect::Cancel { id, executor } => {
                let Some(r) = rt.runner.as_ref().filter(|r| r.id == id) else { return };
                r.run.cancel();
                // The fallback computes only between slices, so it stops right here.
                if executor == Executor::MainThreadSliced {
                    r.run.retire();
                    rt.report_end(then);
                }
            }
        }
    }

    fn on_event(_state: &CpuState, rt: &mut Runtime, event: PageEvent, then: &mut Then<Self>) -> bool {
        match event {
            PageEvent::RunMainThreadNow => {
                if let Some(r) = &rt.runner {
                    // Deliberately blocks the page: this is the demonstration.
                    r.run.work(0);
                }
                rt.report_end(then);
            }
            PageEvent::StartWorkers => {
                let Some(r) = &mut rt.runner else { return false };
                // Spawned even if cancelled meanwhile: the workers then stop at once, and
                // the run ends the usual way.
                r.run.spawn_on_pool();
                let host = then.host().clone();
                r._ticker = Some(Interval::new(TICK_MS, move || host.event(PageEvent::Tick)));
            }
            PageEvent::FallbackStep => {
                let Some(r) = &mut rt.runner else { return false };
                // A frame's worth of work, then the page paints and takes clicks (Cancel).
                if r.run.work_for(&mut r.in_progress, FALLBACK_SLICE_MS, FALLBACK_CHUNK) {
                    let host = then.host().clone();
                    r._timeout = Some(Timeout::new(0, move || host.event(PageEvent::FallbackStep)));
                    rt.report_progress(then);
                } else {
                    r.run.retire();
                    rt.report_end(then);
                }
            }
            PageEvent::Tick => {
                let Some(r) = &rt.runner else { return false };
                if r.run.is_over() {
                    rt.report_end(then);
                } else {
                    rt.report_progress(then);
                }
            }
        }
        false
    }

    fn view(page: &View<'_, Self>) -> Html {
        page.page()
    }
}

/// The page's markup, drawn from the state.
impl View<'_, CpuPage> {
    fn page(&self) -> Html {
        let link = self.link;
        let st = self.state;
        let problems = st.problems();
        let running = st.is_running();
        let doc: AttrValue = st.results_doc().into();
        html! {
            <div class="lab cpu-lab">
                <section class="lab-intro">
                    <h1>{ "CPU lab: " }<span class="muted">{ "multiprocessing" }</span></h1>
                    <p>{ "CPU-bound Python code gets no faster with threads, because the GIL lets one thread \
                          compute at a time. A process pool gives every core its own interpreter. Here the \
                          same tasks run on the page's own thread, in one Web Worker, or spread over k workers." }</p>
                    <p class="analogue"><strong>{ "Unlike Python: " }</strong>
                        { "these Web Workers share the page's WebAssembly memory, so nothing is pickled or \
                           copied; Python's processes copy every argument and result between them." }</p>
                </section>
                <LinkErrors errors={st.link_errors.clone()} on_dismiss={act(link, |_| Action::DismissLinkErrors)} />
                <PresetBar lab="cpu" selected={st.preset()} disabled={running} on_pick={act(link, Action::LoadPreset)} />
                <div class="lab-grid">
                    { self.view_controls(&problems, running, &doc) }
                    { self.view_results(doc) }
                </div>
            </div>
        }
    }
}

impl View<'_, CpuPage> {
    fn view_controls(&self, problems: &[String], running: bool, doc: &AttrValue) -> Html {
        let link = self.link;
        let cores = self.state.cores();
        let mode_radio = |mode: Mode, label: &'static str, hint: &'static str| {
            html! {
                <label class={classes!("mode", (self.state.config.mode == mode).then_some("selected"))}>
                    <input type="radio" name="cpu-mode" data-testid={format!("cpu-mode-{}", mode.key())}
                        checked={self.state.config.mode == mode} disabled={running}
                        onchange={act(link, move |_| Action::SetMode(mode))} />
                    <span><strong>{ label }</strong><span class="small muted">{ hint }</span></span>
                </label>
            }
        };
        let workers_value = match self.state.config.workers {
            Workers::AllCores => "all".to_string(),
            Workers::Exactly(n) => n.to_string(),
        };
        let tasks = &self.state.config.workload.tasks;
        html! {
            <section class="card controls" aria-label="Experiment">
                <h2>{ "Experiment" }</h2>
                <fieldset class="modes" disabled={running}>
                    <legend>{ "Where the tasks run" }</legend>
                    { mode_radio(Mode::Main, "Page thread", "Sequential; the page freezes until done") }
                    { mode_radio(Mode::Worker, "One worker", "Sequential, off the page's thread") }
                    { mode_radio(Mode::Parallel, "k workers", "Like ProcessPoolExecutor(k)") }
                </fieldset>
                <div class="field-row">
                    <label>{ "Workers (k)" }
                        <select data-testid="cpu-workers" disabled={running || self.state.config.mode != Mode::Parallel}
                            onchange={act(link, move |e: Event| Action::SetWorkers(field_text(&e)))}>
                            <option value="all" selected={workers_value == "all"}>{ format!("all cores ({cores})") }</option>
                            { for (1..=cores.max(match self.state.config.workers { Workers::Exactly(n) => n, _ => 1 })).map(|k| html! {
                                <option value={k.to_string()} selected={workers_value == k.to_string()}>{ k }</option>
                            }) }
                        </select>
                    </label>
                    <label>{ "Iterations per task" }
                        <input type="text" inputmode="numeric" autocomplete="off" class="num-input"
                            data-testid="cpu-iterations" disabled={running}
                            value={self.state.shown(Input::Iterations)} aria-invalid={self.state.drafts.is_invalid(Input::Iterations).then_some("true")}
                            oninput={act(link, move |e: InputEvent| Action::SetIterations(field_text(&e)))} />
                    </label>
                </div>
                { match self.state.config.workers {
                    Workers::Exactly(n) if n > cores && self.state.config.mode == Mode::Parallel => html! {
                        <p class="notice small">{ format!("This machine has {cores} worker thread(s); the run will use {cores}.") }</p>
                    },
                    _ => html! {},
                } }
                <details class="tasks" open={tasks.len() <= 24}>
                    <summary>{ format!("Tasks ({}): each computes the product of start..=end, then reduces it", tasks.len()) }</summary>
                    <p class="small muted"><code>{ "for _ in range(iterations): result = (result % 1000000007) * 2" }</code></p>
                    <div class="task-table-wrap" tabindex="0" role="region" aria-label="Tasks">
                    <table class="task-table">
                        <thead><tr><th>{ "#" }</th><th>{ "start" }</th><th>{ "end" }</th><th><span class="visually-hidden">{ "remove" }</span></th></tr></thead>
                        <tbody>
                        { for tasks.iter().enumerate().take(200).map(|(i, _)| html! {
                            <tr>
                                <td>{ i + 1 }</td>
                                <td><input type="text" inputmode="numeric" autocomplete="off" class="num-input"
                                    data-testid={format!("cpu-task-start-{i}")} disabled={running}
                                    aria-label={format!("task {} start", i + 1)} value={self.state.shown(Input::Task { index: i, end: false })}
                                    aria-invalid={self.state.drafts.is_invalid(Input::Task { index: i, end: false }).then_some("true")}
                                    oninput={act(link, move |e: InputEvent| Action::SetTask { index: i, end: false, value: field_text(&e) })} /></td>
                                <td><input type="text" inputmode="numeric" autocomplete="off" class="num-input"
                                    data-testid={format!("cpu-task-end-{i}")} disabled={running}
                                    aria-label={format!("task {} end", i + 1)} value={self.state.shown(Input::Task { index: i, end: true })}
                                    aria-invalid={self.state.drafts.is_invalid(Input::Task { index: i, end: true }).then_some("true")}
                                    oninput={act(link, move |e: InputEvent| Action::SetTask { index: i, end: true, value: field_text(&e) })} /></td>
                                <td><button class="icon" data-testid={format!("cpu-task-remove-{i}")} disabled={running}
                                    aria-label={format!("remove task {}", i + 1)}
                                    onclick={act(link, move |_| Action::RemoveTask(i))}>{ "\u{2715}" }</button></td>
                            </tr>
                        }) }
                        </tbody>
                    </table>
                    </div>
                    { if tasks.len() > 200 { html! { <p class="small muted">{ format!("{} more tasks are not shown; they are in the link.", tasks.len() - 200) }</p> } } else { html! {} } }
                    <button data-testid="cpu-task-add" disabled={running || tasks.len() >= model::MAX_TASKS}
                        onclick={act(link, |_| Action::AddTask)}>{ "Add task" }</button>
                </details>
                { if problems.is_empty() { html! {} } else { html! {
                    <div class="notice error" data-testid="validation-errors" role="alert">
                        <strong>{ "Fix these to run:" }</strong>
                        <ul>{ for problems.iter().map(|p| html! { <li>{ p }</li> }) }</ul>
                    </div>
                } } }
                <div class="actions">
                    <button class="primary" data-testid="run" disabled={running || !problems.is_empty()}
                        onclick={act(link, |_| Action::Run)}>{ "Run" }</button>
                    <button data-testid="sweep" disabled={running || !problems.is_empty() || !self.state.pool.is_ready()}
                        title="Run with k = 1, 2, … up to every core and plot the speedup"
                        onclick={act(link, |_| Action::Sweep)}>{ format!("Sweep k = 1..{cores}") }</button>
                    <button data-testid="cancel" disabled={!running || !self.state.can_cancel()}
                        onclick={act(link, |_| Action::Cancel)}>{ "Cancel" }</button>
                    <Heartbeat />
                </div>
                <ShareBar path="/cpu" query={self.state.config.to_query(false)} document={doc.clone()} export_name="cpu-lab-results.json" />
            </section>
        }
    }

    fn view_results(&self, doc: AttrValue) -> Html {
        let (records, workers, total, wall): (&[TaskRecord], usize, usize, Option<f64>) = match (&self.state.active, &self.state.last) {
            (Some(a), _) => (&a.records, a.workers, a.workload.tasks.len(), None),
            (None, Some(o)) => (&o.records, o.workers, o.workload.tasks.len(), Some(o.wall_ms)),
            _ => (&[], 0, 0, None),
        };
        html! {
            <section class="card results" aria-label="Results">
                <h2>{ "Results" }</h2>
                { self.status() }
                { match &self.state.active {
                    Some(a) => html! {
                        <div class="progress-row">
                            <progress data-testid="progress" max={total.to_string()} value={records.len().to_string()}></progress>
                            <span>{ format!("{} / {} tasks", records.len(), total) }</span>
                            { if a.executor == Executor::MainThread { html! { <span class="warn small">{ "Running on the page's thread: the page is frozen until it ends." }</span> } } else { html! {} } }
                            { if a.cancel_requested { html! { <span class="small muted">{ "cancelling\u{2026}" }</span> } } else { html! {} } }
                        </div>
                    },
                    None => html! {},
                } }
                { match &self.state.error {
                    Some(e) => html! { <p class="notice error" data-testid="run-error" role="alert">{ e }</p> },
                    None => html! {},
                } }
                { self.view_figures() }
                { if workers > 0 { self.view_timeline(records, workers, wall) } else { html! {
                    <p class="muted">{ "Run the experiment to see each worker's tasks on a timeline." }</p>
                } } }
                { self.view_sweep() }
                { if records.is_empty() { html! {} } else { view_table(records) } }
                { results_json(doc) }
            </section>
        }
    }

    fn view_figures(&self) -> Html {
        let Some(o) = self.state.last.as_ref().filter(|_| self.state.active.is_none()) else { return html! {} };
        let where_ = o.ran_on();
        let speedup = match (o.summary.speedup, o.no_speedup_note()) {
            (Some(s), _) => html! { <><strong data-testid="speedup">{ format!("{s:.2}\u{d7}") }</strong>{ " speedup against the latest sequential run" }</> },
            (None, note) => html! { <span class="muted">{ note.unwrap_or_default() }</span> },
        };
        html! {
            <div class={classes!("figures", o.cancelled.then_some("cancelled"))}>
                { if o.cancelled { html! { <p class="warn" data-testid="cancelled-note">{ format!("Cancelled: {} of {} tasks had finished; they are kept below.", o.records.len(), o.workload.tasks.len()) }</p> } } else { html! {} } }
                <dl>
                    <div><dt>{ "Wall time" }</dt><dd data-testid="wall-ms">{ format!("{:.1} ms", o.wall_ms) }</dd></div>
                    <div><dt>{ "Sum of task times" }</dt><dd>{ format!("{:.1} ms", o.summary.sum_task_ms) }</dd></div>
                    <div><dt>{ "Ran on" }</dt><dd>{ where_ }</dd></div>
                </dl>
                <p>{ speedup }</p>
                { if o.executor == Executor::MainThread { html! {
                    <p class="small">{ format!("The page's thread was blocked for {} ms: no clicks, no animation, no repaint. \
                        Python has no page to freeze, but the same holds for a GUI or an event loop that runs CPU work inline.", whole_ms(o.wall_ms)) }</p>
                } } else { html! {} } }
            </div>
        }
    }

    fn view_timeline(&self, records: &[TaskRecord], workers: usize, wall: Option<f64>) -> Html {
        let spans: Vec<(usize, usize, f64, f64)> = records.iter().map(|r| (r.worker, r.index, r.start_ms, r.end_ms)).collect();
        let elapsed = wall.unwrap_or_else(|| self.state.active.as_ref().map(|a| a.elapsed_ms).unwrap_or(0.0));
        let t = chart::timeline(&spans, workers, elapsed, &TimelineLayout::default());
        let main = self.state.last.as_ref().is_some_and(|o| o.executor != Executor::Workers) && self.state.active.is_none();
        html! {
            <figure class="timeline" tabindex="0" aria-label="Task timeline">
                <svg data-testid="cpu-timeline" viewBox={format!("0 0 {} {}", t.width, t.height)} role="img"
                    aria-label={format!("Timeline of {} tasks over {} lane(s)", records.len(), workers)}>
                    { for (0..workers).map(|lane| html! {
                        <g>
                            <rect class="lane" x={t.left.to_string()} y={(lane as f64 * (t.lane_height + 6.0)).to_string()}
                                width={(t.width - t.left - 8.0).to_string()} height={t.lane_height.to_string()} />
                            <text class="lane-label" x="4" y={(lane as f64 * (t.lane_height + 6.0) + t.lane_height * 0.68).to_string()}>
                                { if main { "page thread".to_string() } else { format!("worker {}", lane + 1) } }
                            </text>
                        </g>
                    }) }
                    { for t.bars.iter().zip(records).map(|(b, r)| html! {
                        <rect class={classes!("bar", format!("lane-{}", b.lane % 8), (r.index % 2 == 1).then_some("alt"))}
                            x={format!("{:.2}", b.x)} y={b.y.to_string()} width={format!("{:.2}", b.width)} height={b.height.to_string()} rx="3">
                            <title>{ format!("task {}: {}..={} \u{2192} {} ({:.2} ms)", r.index + 1, r.start, r.end, short(&r.result), r.end_ms - r.start_ms) }</title>
                        </rect>
                    }) }
                    <line class="axis" x1={t.left.to_string()} x2={(t.width - 8.0).to_string()} y1={t.axis_y.to_string()} y2={t.axis_y.to_string()} />
                    { for t.ticks.iter().map(|(x, label)| html! {
                        <g>
                            <line class="tick" x1={x.to_string()} x2={x.to_string()} y1={t.axis_y.to_string()} y2={(t.axis_y + 4.0).to_string()} />
                            <text class={classes!("tick-label", (*x > t.width - 30.0).then_some("end"))} x={x.to_string()} y={(t.axis_y + 16.0).to_string()}>{ format!("{label} ms") }</text>
                        </g>
                    }) }
                </svg>
                <figcaption class="small muted">{ "Each bar is one task, from when a worker took it to when it finished." }</figcaption>
            </figure>
        }
    }

    fn view_sweep(&self) -> Html {
        if self.state.sweep.is_empty() {
            return html! {};
        }
        let measured: Vec<(f64, f64)> = self.state.sweep.iter().map(|p| (p.workers as f64, p.speedup)).collect();
        let cores = self.state.cores().max(self.state.sweep.len());
        let ideal: Vec<(f64, f64)> = (1..=cores).map(|k| (k as f64, k as f64)).collect();
        let c = chart::line_chart(&[ideal, measured], 420.0, 240.0);
        html! {
            <figure class="sweep">
                <svg data-testid="cpu-speedup-chart" viewBox={format!("0 0 {} {}", c.width, c.height)} role="img" aria-label="Speedup against number of workers">
                    { for c.y_ticks.iter().map(|(y, l)| html! { <g>
                        <line class="grid" x1={c.left.to_string()} x2={(c.width - 12.0).to_string()} y1={y.to_string()} y2={y.to_string()} />
                        <text class="tick-label end" x={(c.left - 6.0).to_string()} y={(y + 4.0).to_string()}>{ format!("{l}\u{d7}") }</text>
                    </g> }) }
                    { for c.x_ticks.iter().skip(1).map(|(x, l)| html! {
                        <text class="tick-label" x={x.to_string()} y={(c.bottom + 16.0).to_string()}>{ l }</text>
                    }) }
                    <text class="axis-title" x={(c.width / 2.0).to_string()} y={(c.height - 2.0).to_string()}>{ "workers (k)" }</text>
                    <path class="ideal" d={c.paths[0].clone()} />
                    <path class="measured" d={c.paths[1].clone()} />
                    { for c.points[1].iter().map(|(x, y)| html! { <circle class="measured" cx={x.to_string()} cy={y.to_string()} r="4" /> }) }
                </svg>
                <figcaption class="small">
                    <span class="key ideal">{ "ideal (k\u{d7})" }</span>{ " " }<span class="key measured">{ "measured" }</span>
                    { for self.state.sweep.iter().map(|p| html! { <span class="muted">{ format!(" \u{b7} k={}: {:.1} ms, {:.2}\u{d7}", p.workers, p.wall_ms, p.speedup) }</span> }) }
                </figcaption>
            </figure>
        }
    }
}


/// Long exact products are shortened for the table; the JSON keeps every digit.
fn short(s: &str) -> String {
    if s.len() <= 24 {
        s.to_string()
    } else {
        format!("{}\u{2026}{} ({} digits)", &s[..8], &s[s.len() - 6..], s.len())
    }
}

fn view_table(records: &[TaskRecord]) -> Html {
    html! {
        <details class="task-results" open={records.len() <= 30}>
            <summary>{ format!("Task results ({})", records.len()) }</summary>
            <div class="task-table-wrap" tabindex="0" role="region" aria-label="Task results">
            <table data-testid="cpu-results-table">
                <thead><tr><th>{ "#" }</th><th>{ "range" }</th><th>{ "result" }</th><th>{ "worker" }</th><th>{ "time" }</th></tr></thead>
                <tbody>
                    { for records.iter().take(500).map(|r| html! {
                        <tr>
                            <td>{ r.index + 1 }</td>
                            <td>{ format!("{}..={}", r.start, r.end) }</td>
                            <td class="num" title={r.result.clone()}>{ short(&r.result) }</td>
                            <td>{ r.worker + 1 }</td>
                            <td class="num">{ format!("{:.2} ms", r.end_ms - r.start_ms) }</td>
                        </tr>
                    }) }
                </tbody>
            </table>
            </div>
        </details>
    }
}
