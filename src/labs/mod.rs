//! The registry: every lab and its presets, in one list. A lab is listed here only when it
//! works; the navigation, the home page and the router all read this list.

pub mod aio;
pub mod cpu;
pub mod python;
pub mod race;
pub mod threads;

use crate::core::models::PythonModel;

/// A named experiment: a link into a lab with its whole configuration.
#[derive(Debug)]
pub struct Preset {
    pub id: &'static str,
    pub title: &'static str,
    /// One or two sentences on what the preset shows.
    pub blurb: &'static str,
    /// The lab's query string, without `?` and without `run`.
    pub query: &'static str,
}

#[derive(Debug)]
pub struct LabMeta {
    /// Also the route: `/{id}`.
    pub id: &'static str,
    pub title: &'static str,
    pub model: PythonModel,
    pub summary: &'static str,
    pub presets: &'static [Preset],
}

impl LabMeta {
    pub fn preset(&self, id: &str) -> Option<&'static Preset> {
        self.presets.iter().find(|p| p.id == id)
    }

    /// The first preset whose query `is_current` accepts: the one whose settings are on
    /// screen, for the preset bar to mark.
    pub fn preset_matching(&self, is_current: impl Fn(&str) -> bool) -> Option<&'static str> {
        self.presets.iter().find(|p| is_current(p.query)).map(|p| p.id)
    }
}

pub struct Lab {
    pub meta: &'static LabMeta,
    /// Renders the lab's page (browser builds only).
    #[cfg(target_arch = "wasm32")]
    pub view: fn() -> yew::Html,
}

pub static LABS: &[Lab] = &[
    Lab {
        meta: &race::META,
        #[cfg(target_arch = "wasm32")]
        view: race::view::render,
    },
    Lab {
        meta: &threads::META,
        #[cfg(target_arch = "wasm32")]
        view: threads::view::render,
    },
    Lab {
        meta: &cpu::META,
        #[cfg(target_arch = "wasm32")]
        view: cpu::view::render,
    },
    Lab {
        meta: &aio::META,
        #[cfg(target_arch = "wasm32")]
        view: aio::view::render,
    },
    Lab {
        meta: &python::META,
        #[cfg(target_arch = "wasm32")]
        view: python::view::render,
    },
];

pub fn find(id: &str) -> Option<&'static Lab> {
    LABS.iter().find(|lab| lab.meta.id == id)
}

/// The labs that teach a given Python model.
pub fn for_model(model: PythonModel) -> impl Iterator<Item = &'static LabMeta> {
    LABS.iter().map(|lab| lab.meta).filter(move |meta| meta.model == model)
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_route_safe() {
        let mut ids: Vec<&str> = LABS.iter().map(|l| l.meta.id).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), LABS.len());
        for lab in LABS {
            assert!(lab.meta.id.bytes().all(|b| b.is_ascii_lowercase() || b == b'-'));
            let mut preset_ids: Vec<&str> = lab.meta.presets.iter().map(|p| p.id).collect();
            preset_ids.sort();
            preset_ids.dedup();
            assert_eq!(preset_ids.len(), lab.meta.presets.len(), "{}", lab.meta.id);
        }
    }
}
