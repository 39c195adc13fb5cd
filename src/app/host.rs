//! The one component that hosts a lab (the pure half is `labs::host`). It opens the lab's
//! state from the address, subscribes to the worker pool, writes the address bar, starts
//! a `run=1` link's run, and runs off-page jobs with a callback. A lab's page supplies
//! only what is its own: the effects it performs, the events of what it runs, and markup.

use crate::core::lab::PoolStatus;
use crate::glue;
use crate::labs::host::{LabState, Opening};
use std::collections::VecDeque;
use std::marker::PhantomData;
use yew::html::Scope;
use yew::prelude::*;

/// A lab's action, by its page.
pub type ActionOf<P> = <<P as LabPage>::State as LabState>::Action;
/// A lab's effect, by its page.
pub type EffectOf<P> = <<P as LabPage>::State as LabState>::Effect;

/// What a lab's page adds to its state: the things it runs in the browser and its markup.
pub trait LabPage: Sized + 'static {
    type State: LabState;
    /// What the page holds besides the state: runs in progress, timers, workers, editors.
    type Runtime: Default;
    /// Messages from what the page runs (a timer's tick, an editor that is ready).
    type Event: 'static;

    /// Performs one effect (the address bar's are the host's). Actions it reports go
    /// through `then`, which the host dispatches in order after it.
    fn perform(state: &Self::State, runtime: &mut Self::Runtime, effect: EffectOf<Self>, then: &mut Then<Self>);

    fn on_event(_state: &Self::State, _runtime: &mut Self::Runtime, _event: Self::Event, _then: &mut Then<Self>) -> bool {
        false
    }

    fn rendered(_state: &Self::State, _runtime: &mut Self::Runtime, _host: &Host<Self>, _first: bool) {}

    fn destroy(_runtime: &mut Self::Runtime) {}

    fn view(page: &View<'_, Self>) -> Html;
}

/// What a lab's markup is drawn from. Each lab's view.rs adds its drawing methods to
/// its own `View<'_, Page>`.
pub struct View<'a, P: LabPage> {
    pub state: &'a P::State,
    pub rt: &'a P::Runtime,
    pub link: &'a Host<P>,
    status: &'a NodeRef,
}

impl<P: LabPage> View<'_, P> {
    /// The lab's status line, where its markup puts it: what the latest run came to, in
    /// one sentence, announced by screen readers (`role="status"`: the only live region
    /// of a lab, so a run's large results are not read out). Focus comes here when the
    /// control that had it is disabled by the run it started or ended.
    pub fn status(&self) -> Html {
        html! {
            <p class="run-status" role="status" data-testid="run-status" tabindex="-1" ref={self.status.clone()}>
                { self.state.status_line().unwrap_or_default() }
            </p>
        }
    }
}

/// A handle on the hosting component: send actions and events, make callbacks.
pub struct Host<P: LabPage> {
    scope: Scope<LabHost<P>>,
}

impl<P: LabPage> Clone for Host<P> {
    fn clone(&self) -> Self {
        Host { scope: self.scope.clone() }
    }
}

impl<P: LabPage> Host<P> {
    pub fn send(&self, action: ActionOf<P>) {
        self.scope.send_message(HostMsg::Do(action));
    }

    pub fn event(&self, event: P::Event) {
        self.scope.send_message(HostMsg::Event(event));
    }

    /// A callback that turns a DOM event into the lab's action.
    pub fn callback<IN: 'static>(&self, f: impl Fn(IN) -> ActionOf<P> + 'static) -> Callback<IN> {
        self.scope.callback(move |e| HostMsg::Do(f(e)))
    }

    /// A callback that turns a DOM event into the lab's action, or into nothing.
    pub fn batch_callback<IN: 'static>(&self, f: impl Fn(IN) -> Option<ActionOf<P>> + 'static) -> Callback<IN> {
        self.scope.batch_callback(move |e| f(e).map(HostMsg::Do))
    }

    /// Runs `job` on a worker of the pool when `on_worker` (else right here) and sends
    /// the action `done` makes of its result when it is back on the page's thread.
    pub fn off_page<T: Send + 'static>(
        &self,
        on_worker: bool,
        job: impl FnOnce() -> T + Send + 'static,
        done: impl FnOnce(T) -> ActionOf<P> + 'static,
    ) {
        let result = glue::off_page(on_worker, job);
        let host = self.clone();
        wasm_bindgen_futures::spawn_local(async move {
            // A dropped sender (a panicking job) sends nothing: the lab stays as it was.
            if let Ok(value) = result.await {
                host.send(done(value));
            }
        });
    }
}

/// `act(link, |e| Action::…)`: a callback that turns an event into the lab's action.
pub fn act<P: LabPage, IN: 'static>(host: &Host<P>, f: impl Fn(IN) -> ActionOf<P> + 'static) -> Callback<IN> {
    host.callback(f)
}

/// Where `perform` and `on_event` leave the actions they report, and how they reach the
/// page's later messages.
pub struct Then<P: LabPage> {
    queue: VecDeque<ActionOf<P>>,
    host: Host<P>,
}

impl<P: LabPage> Then<P> {
    /// Dispatches `action` right after the current effect or event.
    pub fn dispatch(&mut self, action: ActionOf<P>) {
        self.queue.push_back(action);
    }

    pub fn host(&self) -> &Host<P> {
        &self.host
    }
}

pub enum HostMsg<P: LabPage> {
    Do(ActionOf<P>),
    Event(P::Event),
}

pub struct LabHost<P: LabPage> {
    state: P::State,
    runtime: P::Runtime,
    status: NodeRef,
    /// The control that had the focus when the last message came: if the redraw disabled
    /// it (Run, while its run goes on) or removed it, the focus goes to the status line
    /// rather than to nowhere.
    focused: Option<web_sys::Element>,
    _pool_listener: Option<ContextHandle<PoolStatus>>,
    _page: PhantomData<P>,
}

impl<P: LabPage> LabHost<P> {
    fn host(ctx: &Context<Self>) -> Host<P> {
        Host { scope: ctx.link().clone() }
    }

    /// Performs `effects`, then every action they report and the effects of those.
    fn run(&mut self, effects: Vec<EffectOf<P>>, mut then: Then<P>) {
        self.perform_all(effects, &mut then);
        while let Some(action) = then.queue.pop_front() {
            let effects = self.state.update(action);
            self.perform_all(effects, &mut then);
        }
    }

    fn perform_all(&mut self, effects: Vec<EffectOf<P>>, then: &mut Then<P>) {
        for effect in effects {
            match P::State::written_query(&effect) {
                Some(query) => glue::replace_query(query),
                None => P::perform(&self.state, &mut self.runtime, effect, then),
            }
        }
    }
}

impl<P: LabPage> Component for LabHost<P> {
    type Message = HostMsg<P>;
    type Properties = ();

    fn create(ctx: &Context<Self>) -> Self {
        // A lab that has no action for the pool's status does not listen to it.
        let listens = P::State::pool_changed(PoolStatus::Starting).is_some();
        let on_change = ctx.link().batch_callback(|p: PoolStatus| P::State::pool_changed(p).map(HostMsg::Do));
        let (pool, listener) = match listens.then(|| ctx.link().context::<PoolStatus>(on_change)).flatten() {
            Some((status, handle)) => (status, Some(handle)),
            None => (PoolStatus::Starting, None),
        };
        let query = glue::current_query();
        let site_root = glue::site_root();
        let opening = Opening {
            query: &query,
            pool,
            site_root: &site_root,
            shared_memory_missing: glue::shared_memory_missing(),
            machine_cores: glue::logical_cores(),
        };
        let (state, effects) = P::State::open(opening);
        let runtime = P::Runtime::default();
        glue::set_title(&format!("{} \u{2014} Concurrency Playground", P::State::meta().title));
        let mut lab = LabHost { state, runtime, status: NodeRef::default(), focused: None, _pool_listener: listener, _page: PhantomData };
        let then = Then { queue: VecDeque::new(), host: Self::host(ctx) };
        lab.run(effects, then);
        lab
    }

    fn rendered(&mut self, ctx: &Context<Self>, first: bool) {
        if let Some(control) = self.focused.take() {
            if glue::lost_focus(&control) {
                if let Some(status) = self.status.cast::<web_sys::HtmlElement>() {
                    glue::focus(&status);
                }
            }
        }
        P::rendered(&self.state, &mut self.runtime, &Self::host(ctx), first);
        if let Some(action) = self.state.link_run() {
            ctx.link().send_message(HostMsg::Do(action));
        }
    }

    fn destroy(&mut self, _ctx: &Context<Self>) {
        P::destroy(&mut self.runtime);
    }

    fn update(&mut self, ctx: &Context<Self>, msg: HostMsg<P>) -> bool {
        if self.focused.is_none() {
            self.focused = glue::focused_element();
        }
        let mut then = Then { queue: VecDeque::new(), host: Self::host(ctx) };
        match msg {
            HostMsg::Do(action) => {
                let effects = self.state.update(action);
                self.run(effects, then);
                true
            }
            HostMsg::Event(event) => {
                let redraw = P::on_event(&self.state, &mut self.runtime, event, &mut then);
                let acted = !then.queue.is_empty();
                self.run(Vec::new(), then);
                redraw || acted
            }
        }
    }

    fn view(&self, ctx: &Context<Self>) -> Html {
        P::view(&View { state: &self.state, rt: &self.runtime, link: &Self::host(ctx), status: &self.status })
    }
}

/// The page of lab `P`, for its bundle's `main`.
pub fn render<P: LabPage>() -> Html {
    html! { <LabHost<P> /> }
}
