//! The registry: every lab and its presets, in one list. A lab is listed here only when it
//! works; the navigation, the home page and the router all read this list.

pub mod aio;
pub mod host;
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

/// Every lab, in navigation order.
pub static LABS: &[&LabMeta] = &[&race::META, &threads::META, &cpu::META, &aio::META, &python::META];

/// A lab with its page, as one bundle carries it (browser builds only). Only a bundle's
/// `main` (src/bundles/) names a lab's `view`, so each bundle's wasm keeps its own lab's
/// code and none of the others'; [`LABS`] above is what every bundle knows of the rest.
#[cfg(target_arch = "wasm32")]
#[derive(Clone, Copy)]
pub struct Lab {
    pub meta: &'static LabMeta,
    pub view: fn() -> yew::Html,
}

/// A lab is known by its id (ids are unique; see the test below).
#[cfg(target_arch = "wasm32")]
impl PartialEq for Lab {
    fn eq(&self, other: &Self) -> bool {
        self.meta.id == other.meta.id
    }
}

pub fn find(id: &str) -> Option<&'static LabMeta> {
    LABS.iter().copied().find(|meta| meta.id == id)
}

/// The labs that teach a given Python model.
pub fn for_model(model: PythonModel) -> impl Iterator<Item = &'static LabMeta> {
    LABS.iter().copied().filter(move |meta| meta.model == model)
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_route_safe() {
        let mut ids: Vec<&str> = LABS.iter().map(|l| l.id).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), LABS.len());
        for lab in LABS {
            assert!(lab.id.bytes().all(|b| b.is_ascii_lowercase() || b == b'-'));
            let mut preset_ids: Vec<&str> = lab.presets.iter().map(|p| p.id).collect();
            preset_ids.sort();
            preset_ids.dedup();
            assert_eq!(preset_ids.len(), lab.presets.len(), "{}", lab.id);
        }
    }

    /// Each lab is a bundle of its own: a `main` in src/bundles/, a `[[bin]]` in Cargo.toml
    /// and a link in index.html, all named `bundle-ID` (web/build.mjs serves `/ID` with it).
    #[test]
    fn every_lab_and_the_home_page_have_a_bundle() {
        let root = env!("CARGO_MANIFEST_DIR");
        let read = |file: &str| std::fs::read_to_string(format!("{root}/{file}")).unwrap();
        let (index, manifest) = (read("index.html"), read("Cargo.toml"));
        let ids: Vec<&str> = std::iter::once("home").chain(LABS.iter().map(|l| l.id)).collect();
        for id in &ids {
            assert!(index.contains(&format!("data-bin=\"bundle-{id}\"")), "index.html builds no bundle-{id}");
            assert!(manifest.contains(&format!("name = \"bundle-{id}\"\npath = \"src/bundles/{id}.rs\"")), "Cargo.toml");
            let main = read(&format!("src/bundles/{id}.rs"));
            if find(id).is_some() {
                // It mounts one lab: that module's META with that module's view. (Which
                // module goes with which route, the e2e tests of each lab check.)
                let module = main.split("::META").next().unwrap().rsplit('&').next().unwrap();
                assert_eq!(main.matches("::META").count(), 1, "src/bundles/{id}.rs");
                assert!(main.contains(&format!("{module}::view::render")), "src/bundles/{id}.rs");
            } else {
                assert!(main.contains("Bundle::Home(") && !main.contains("::META"), "the home bundle mounts no lab");
            }
        }
        assert_eq!(index.matches("data-bin=\"bundle-").count(), ids.len(), "index.html has a bundle no lab owns");
    }
}
