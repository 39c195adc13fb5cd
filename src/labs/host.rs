//! What every lab's state machine gives the page that hosts it. The host (a component in
//! `app::host`, written once) opens the state from the address, writes the address bar,
//! honours `run=1`, forwards the worker pool's status and shows the results document; a
//! lab supplies its state, actions, effects and markup. This half is pure, so the shared
//! behaviour is tested natively for every lab at once (below).

use super::LabMeta;
use crate::core::lab::PoolStatus;
use std::rc::Rc;

/// What the page knows when a lab opens.
#[derive(Clone, Debug)]
pub struct Opening<'a> {
    /// The address bar's query, without `?`.
    pub query: &'a str,
    /// The worker pool as the page knows it so far.
    pub pool: PoolStatus,
    /// The site's root URL without its last slash, for absolute links.
    pub site_root: &'a str,
    /// Why this page cannot share memory with workers, if it cannot.
    pub shared_memory_missing: Option<&'static str>,
    /// The machine's logical cores (`navigator.hardwareConcurrency`).
    pub machine_cores: usize,
}

/// A lab's state machine as its host drives it.
pub trait LabState: Sized + 'static {
    type Action: 'static;
    type Effect: 'static;

    /// The lab's entry in the registry.
    fn meta() -> &'static LabMeta;

    /// The state a link opens, and the effects to perform at once (the address bar shows
    /// the decoded link).
    fn open(opening: Opening<'_>) -> (Self, Vec<Self::Effect>);

    fn update(&mut self, action: Self::Action) -> Vec<Self::Effect>;

    /// The action a change of the worker pool's status becomes; `None` for a lab that
    /// does not use the pool.
    fn pool_changed(pool: PoolStatus) -> Option<Self::Action>;

    /// The action that starts the run a `run=1` link asked for, once it should start.
    fn link_run(&self) -> Option<Self::Action>;

    /// The experiment as a query string, without `run`: what a link to it carries.
    fn query(&self) -> String;

    /// The results document, as the page shows and exports it.
    fn results_doc(&self) -> Rc<str>;

    /// The page's status line: what the latest run came to (or that one is under way), in
    /// one sentence, for the `role="status"` line that screen readers announce.
    fn status_line(&self) -> Option<String>;

    /// The query an effect writes into the address bar, when it is that effect: the host
    /// performs it.
    fn written_query(effect: &Self::Effect) -> Option<&str>;
}

/// `LabState` for a lab that runs on the worker pool: its state has `opened`, `update`,
/// `run_pending`, `query` and `results_doc`, its actions `Pool` and `RunFromLink`, and its
/// effects `WriteQuery`; `|decoded, opening| new` makes the state from the decoded link.
macro_rules! pool_lab_state {
    ($state:ident, $config:ident, |$decoded:ident, $opening:ident| $new:expr) => {
        impl $crate::labs::host::LabState for $state {
            type Action = Action;
            type Effect = Effect;

            fn meta() -> &'static $crate::labs::LabMeta {
                &super::META
            }

            fn open($opening: $crate::labs::host::Opening<'_>) -> ($state, Vec<Effect>) {
                let $decoded = $config::from_query($opening.query);
                let state: $state = $new;
                let effects = state.opened();
                (state, effects)
            }

            fn update(&mut self, action: Action) -> Vec<Effect> {
                $state::update(self, action)
            }

            fn pool_changed(pool: $crate::core::lab::PoolStatus) -> Option<Action> {
                Some(Action::Pool(pool))
            }

            fn link_run(&self) -> Option<Action> {
                self.run_pending().then_some(Action::RunFromLink)
            }

            fn query(&self) -> String {
                $state::query(self)
            }

            fn results_doc(&self) -> std::rc::Rc<str> {
                $state::results_doc(self)
            }

            fn status_line(&self) -> Option<String> {
                $state::status_line(self)
            }

            fn written_query(effect: &Effect) -> Option<&str> {
                match effect {
                    Effect::WriteQuery(q) => Some(q),
                    _ => None,
                }
            }
        }
    };
}
pub(crate) use pool_lab_state;

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use crate::labs::{aio, cpu, python, race, threads, LABS};

    fn opening(query: &str, pool: PoolStatus) -> Opening<'_> {
        Opening { query, pool, site_root: "https://example.org/course", shared_memory_missing: None, machine_cores: 4 }
    }

    /// The behaviour every lab shares, whatever its own: a link's experiment survives the
    /// round trip through the address bar, `run=1` is honoured once and only when the
    /// page knows its workers, and the results document has its envelope.
    fn shares_the_host_behaviour<L: LabState>() {
        let meta = L::meta();
        for preset in meta.presets {
            let ready = PoolStatus::Ready { threads: 2 };
            let (state, effects) = L::open(opening(preset.query, ready.clone()));
            let written: Vec<&str> = effects.iter().filter_map(L::written_query).collect();
            assert_eq!(written, [state.query().as_str()], "{}: the address bar shows the decoded link", preset.id);
            // The link round trip: opening the written query gives the same experiment.
            let (again, _) = L::open(opening(&state.query(), ready.clone()));
            assert_eq!(again.query(), state.query(), "{}", preset.id);
            assert!(state.link_run().is_none(), "{}: no run without run=1", preset.id);

            let doc: serde_json::Value = serde_json::from_str(&state.results_doc()).expect("the document is JSON");
            let text = state.results_doc();
            let first: Vec<&str> = text.lines().skip(1).take(3).map(|l| l.split(':').next().unwrap_or("")).collect();
            assert_eq!(first, ["  \"lab\"", "  \"status\"", "  \"link\""], "{}: the envelope comes first", preset.id);
            assert_eq!(doc["lab"], meta.id);
            let link = doc["link"].as_str().unwrap();
            assert!(link.starts_with(&format!("https://example.org/course/{}", meta.id)), "{link}");

            // run=1: pending only once the page knows whether it has workers (a lab
            // without the pool decides for itself), and taken once.
            let asked = format!("{}&run=1", preset.query);
            let (mut state, effects) = L::open(opening(&asked, PoolStatus::Starting));
            let written: Vec<&str> = effects.iter().filter_map(L::written_query).collect();
            assert!(written.iter().all(|q| !q.contains("run=1")), "{}: run=1 leaves the address bar", preset.id);
            if let Some(known) = L::pool_changed(ready.clone()) {
                assert!(state.link_run().is_none(), "{}: waits for the pool", preset.id);
                state.update(known);
                let run = state.link_run().unwrap_or_else(|| panic!("{}: runs once the pool is known", preset.id));
                state.update(run);
                assert!(state.link_run().is_none(), "{}: runs once", preset.id);
            }
        }
    }

    #[test]
    fn every_lab_shares_the_host_behaviour() {
        shares_the_host_behaviour::<race::state::RaceState>();
        shares_the_host_behaviour::<threads::state::ThreadsState>();
        shares_the_host_behaviour::<cpu::state::CpuState>();
        shares_the_host_behaviour::<aio::state::AioState>();
        shares_the_host_behaviour::<python::state::PyState>();
        // Every lab of the registry is checked above.
        let checked = [
            race::state::RaceState::meta().id,
            threads::state::ThreadsState::meta().id,
            cpu::state::CpuState::meta().id,
            aio::state::AioState::meta().id,
            python::state::PyState::meta().id,
        ];
        let listed: Vec<&str> = LABS.iter().map(|l| l.id).collect();
        assert_eq!(checked.to_vec(), listed);
    }
}
