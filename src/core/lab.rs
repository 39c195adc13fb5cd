//! What every lab's state machine shares: the run status, the worker pool as the page
//! knows it, typed-input drafts, the share bar's state, and the results-JSON envelope.
//! Pure data and transitions; the Yew components only wire them to the browser.

use serde::Serialize;
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

/// Where a lab's run is in its life. Every lab's results JSON has it as `status`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Idle,
    Running,
    Done,
    Cancelled,
    Error,
}

/// Whether CPU work can go to Web Workers on this page.
#[derive(Clone, Debug, PartialEq)]
pub enum PoolStatus {
    Starting,
    Ready { threads: usize },
    /// No workers: everything runs on the page's thread. The reason is shown to the user.
    SingleThread { reason: String },
}

impl PoolStatus {
    pub fn threads(&self) -> usize {
        match self {
            PoolStatus::Ready { threads } => *threads,
            _ => 1,
        }
    }

    pub fn is_ready(&self) -> bool {
        matches!(self, PoolStatus::Ready { .. })
    }

    /// Whether the page knows yet if it has workers: a `run=1` link waits for this.
    pub fn is_known(&self) -> bool {
        !matches!(self, PoolStatus::Starting)
    }
}

/// A `run=1` link's request to run when the page opens. It waits until the page knows
/// whether it has workers, and is honoured once.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RunOnOpen(bool);

impl RunOnOpen {
    pub fn new(asked: bool) -> RunOnOpen {
        RunOnOpen(asked)
    }

    pub fn pending(self, pool: &PoolStatus) -> bool {
        self.0 && pool.is_known()
    }

    /// True once, when the run should start now.
    pub fn take(&mut self, pool: &PoolStatus) -> bool {
        let now = self.pending(pool);
        if now {
            self.0 = false;
        }
        now
    }
}

/// An absolute link to `path?query` (`path` below the site's root) on the site whose root
/// URL, without its last slash, is `site_root`.
pub fn absolute_link(site_root: &str, path: &str, query: &str) -> String {
    if query.is_empty() {
        format!("{site_root}{path}")
    } else {
        format!("{site_root}{path}?{query}")
    }
}

/// `path` (an address bar's path) below the site root `root` (a path without its last
/// slash, empty at an origin's root), starting with `/`: `/cpu` for `/course/cpu` under
/// `/course`. A path outside the root is returned as it is.
pub fn path_below(root: &str, path: &str) -> String {
    match path.strip_prefix(root) {
        Some(rest) if rest.is_empty() => "/".into(),
        Some(rest) if rest.starts_with('/') => rest.into(),
        _ => path.into(),
    }
}

/// A lab's results document: `lab`, `status` and `link` first, then the lab's own fields
/// (`body` must serialise as a map). Pretty-printed, as the page shows it.
pub fn results_document<S: Serialize>(lab: &'static str, status: S, link: &str, body: &impl Serialize) -> String {
    #[derive(Serialize)]
    struct Envelope<'a, S: Serialize, B: Serialize> {
        lab: &'static str,
        status: S,
        link: &'a str,
        #[serde(flatten)]
        body: &'a B,
    }
    serde_json::to_string_pretty(&Envelope { lab, status, link, body })
        .unwrap_or_else(|e| format!("{{\"lab\":\"{lab}\",\"error\":\"{e}\"}}"))
}

/// A lab's serialised results document, kept until what it shows changes: a finished run
/// can hold megabytes (exact products, event logs), too much to serialise again on every
/// redraw. `K` is what the document is made from; `()` for a lab that forgets the
/// document itself when its state changes.
#[derive(Debug)]
pub struct DocCache<K = ()>(RefCell<Option<(K, Rc<str>)>>);

impl<K> Default for DocCache<K> {
    fn default() -> Self {
        DocCache(RefCell::new(None))
    }
}

impl<K: PartialEq> DocCache<K> {
    /// The document made for `key`: the kept one if it was made for the same key.
    pub fn get(&self, key: K, make: impl FnOnce() -> String) -> Rc<str> {
        if let Some((kept_for, doc)) = self.0.borrow().as_ref() {
            if *kept_for == key {
                return Rc::clone(doc);
            }
        }
        let doc: Rc<str> = Rc::from(make());
        *self.0.borrow_mut() = Some((key, Rc::clone(&doc)));
        doc
    }

    pub fn forget(&self) {
        self.0.replace(None);
    }
}

/// A time as whole milliseconds, the way every page prints one: from the same
/// micro-rounded figure the results JSON carries, with halves rounded up. That is what
/// JavaScript's `Math.round` gives for the JSON's number, so a reader (or a test) who
/// rounds the JSON gets the page's figure; Rust's `{:.0}` would round 804.5 to 804.
pub fn whole_ms(ms: f64) -> String {
    let micros = super::round_to_micros(ms);
    if !micros.is_finite() {
        return "\u{2014}".to_string();
    }
    format!("{}", micros.round() + 0.0)
}

/// What the user has typed into each input of a form, and why a text is not a valid
/// value. Inputs show the draft rather than the config, so a redraw never undoes typing
/// in progress; `K`'s order is the form's, so errors list in that order.
#[derive(Clone, Debug)]
pub struct Drafts<K: Ord + Copy> {
    typed: BTreeMap<K, String>,
    errors: BTreeMap<K, String>,
}

impl<K: Ord + Copy> Default for Drafts<K> {
    fn default() -> Self {
        Drafts { typed: BTreeMap::new(), errors: BTreeMap::new() }
    }
}

impl<K: Ord + Copy> Drafts<K> {
    /// Keeps `text` as typed into `input` and returns the value `read` makes of it, or
    /// keeps the message it gives.
    pub fn take<T>(&mut self, input: K, text: String, read: impl FnOnce(&str) -> Result<T, String>) -> Option<T> {
        let value = match read(&text) {
            Ok(v) => {
                self.errors.remove(&input);
                Some(v)
            }
            Err(message) => {
                self.errors.insert(input, message);
                None
            }
        };
        self.typed.insert(input, text);
        value
    }

    /// The text an input shows: the user's draft if any, else `configured`.
    pub fn shown(&self, input: K, configured: impl FnOnce() -> String) -> String {
        self.typed.get(&input).cloned().unwrap_or_else(configured)
    }

    /// The messages of inputs that do not hold a valid value, in the form's order.
    pub fn errors(&self) -> impl Iterator<Item = &String> {
        self.errors.values()
    }

    pub fn has_errors(&self) -> bool {
        !self.errors.is_empty()
    }

    /// Whether `input` holds text that is not a valid value (for `aria-invalid`).
    pub fn is_invalid(&self, input: K) -> bool {
        self.errors.contains_key(&input)
    }

    /// Forgets every draft and its error: the config was replaced under them.
    pub fn clear(&mut self) {
        self.typed.clear();
        self.errors.clear();
    }
}

/// The share bar under each lab's controls: whether the copied link runs the experiment
/// when opened, and what the last copy or export said.
#[derive(Clone, Debug, PartialEq)]
pub struct Share {
    pub run_on_open: bool,
    /// The last message and whether it reports success.
    pub message: Option<(bool, String)>,
}

impl Default for Share {
    fn default() -> Self {
        Share { run_on_open: true, message: None }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum ShareAction {
    ToggleRunOnOpen,
    Copied(Result<(), String>),
    EmbedCopied(Result<(), String>),
    ExportFailed(String),
}

impl Share {
    pub fn update(&mut self, action: ShareAction) {
        match action {
            ShareAction::ToggleRunOnOpen => self.run_on_open = !self.run_on_open,
            ShareAction::Copied(Ok(())) => self.message = Some((true, "Link copied.".to_string())),
            ShareAction::Copied(Err(e)) => {
                self.message = Some((false, format!("Could not copy ({e}); copy the link from the box below.")))
            }
            ShareAction::EmbedCopied(Ok(())) => {
                self.message = Some((true, "Embed code copied: paste it into your page's HTML.".to_string()))
            }
            ShareAction::EmbedCopied(Err(e)) => {
                self.message = Some((false, format!("Could not copy the embed code ({e}).")))
            }
            ShareAction::ExportFailed(e) => {
                self.message = Some((
                    false,
                    format!("Could not export the results ({e}); copy them from \u{201c}Results as JSON\u{201d}."),
                ))
            }
        }
    }

    /// The query the shared link carries: the experiment's, plus `run=1` when asked for.
    pub fn query(&self, experiment: &str) -> String {
        match (self.run_on_open, experiment.is_empty()) {
            (false, _) => experiment.to_string(),
            (true, true) => "run=1".to_string(),
            (true, false) => format!("{experiment}&run=1"),
        }
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;

    #[test]
    fn whole_ms_rounds_halves_up_from_the_json_figure() {
        assert_eq!(whole_ms(804.5), "805");
        assert_eq!(whole_ms(803.5), "804");
        assert_eq!(whole_ms(804.4996), "805"); // 804.500 in the JSON
        assert_eq!(whole_ms(804.4994), "804"); // 804.499 in the JSON
        assert_eq!(whole_ms(0.0), "0");
        assert_eq!(whole_ms(-0.0), "0");
        assert_eq!(whole_ms(f64::NAN), "\u{2014}");
        // Rust's own formatting rounds the tie to even: the reason this function exists.
        assert_eq!(format!("{:.0}", 804.5), "804");
    }

    #[test]
    fn envelope_puts_the_shared_fields_first_and_flattens_the_lab_fields() {
        #[derive(Serialize)]
        #[serde(rename_all = "camelCase")]
        struct Body {
            wall_ms: Option<f64>,
        }
        let doc = results_document("cpu", Status::Done, "http://x/cpu?a=1", &Body { wall_ms: Some(1.5) });
        let v: serde_json::Value = serde_json::from_str(&doc).expect("valid JSON");
        assert_eq!(v["lab"], "cpu");
        assert_eq!(v["status"], "done");
        assert_eq!(v["link"], "http://x/cpu?a=1");
        assert_eq!(v["wallMs"], 1.5);
        assert!(doc.find("\"lab\"") < doc.find("\"wallMs\""));
        let json_body = serde_json::json!({ "experiment": "requests" });
        let doc = results_document("async", Status::Idle, "l", &json_body);
        let v: serde_json::Value = serde_json::from_str(&doc).expect("valid JSON");
        assert_eq!(v["experiment"], "requests");
        assert_eq!(v["status"], "idle");
    }

    #[test]
    fn drafts_keep_typing_and_errors_in_form_order() {
        let mut d: Drafts<u8> = Drafts::default();
        let read = |t: &str| t.parse::<u32>().map_err(|_| format!("{t} is not a number"));
        assert_eq!(d.take(2, "x".into(), read), None);
        assert_eq!(d.take(1, "y".into(), read), None);
        assert_eq!(d.errors().cloned().collect::<Vec<_>>(), ["y is not a number", "x is not a number"]);
        assert_eq!(d.take(2, "7".into(), read), Some(7));
        assert_eq!(d.shown(2, || "0".into()), "7");
        assert_eq!(d.shown(3, || "0".into()), "0");
        assert!(d.has_errors());
        d.clear();
        assert!(!d.has_errors());
        assert_eq!(d.shown(1, || "5".into()), "5");
    }

    #[test]
    fn a_run_link_waits_for_the_pool_and_runs_once() {
        let mut r = RunOnOpen::new(true);
        assert!(!r.take(&PoolStatus::Starting));
        assert!(r.pending(&PoolStatus::SingleThread { reason: String::new() }));
        assert!(r.take(&PoolStatus::Ready { threads: 2 }));
        assert!(!r.take(&PoolStatus::Ready { threads: 2 }));
        assert!(!RunOnOpen::new(false).pending(&PoolStatus::Ready { threads: 2 }));
    }

    #[test]
    fn share_link_and_messages() {
        let mut s = Share::default();
        assert_eq!(s.query("a=1"), "a=1&run=1");
        assert_eq!(s.query(""), "run=1");
        s.update(ShareAction::ToggleRunOnOpen);
        assert_eq!(s.query("a=1"), "a=1");
        s.update(ShareAction::Copied(Err("denied".into())));
        assert_eq!(s.message, Some((false, "Could not copy (denied); copy the link from the box below.".into())));
        s.update(ShareAction::Copied(Ok(())));
        assert_eq!(s.message, Some((true, "Link copied.".into())));
        s.update(ShareAction::EmbedCopied(Err("denied".into())));
        assert_eq!(s.message, Some((false, "Could not copy the embed code (denied).".into())));
        s.update(ShareAction::EmbedCopied(Ok(())));
        assert!(s.message.as_ref().is_some_and(|(ok, m)| *ok && m.starts_with("Embed code copied")));
        assert_eq!(absolute_link("http://h", "/race", ""), "http://h/race");
        assert_eq!(absolute_link("http://h", "/race", "x=1"), "http://h/race?x=1");
        assert_eq!(absolute_link("http://h/course/pg", "/race", "x=1"), "http://h/course/pg/race?x=1");
    }

    #[test]
    fn paths_below_the_site_root() {
        assert_eq!(path_below("", "/cpu"), "/cpu");
        assert_eq!(path_below("", "/"), "/");
        assert_eq!(path_below("/course/pg", "/course/pg/cpu"), "/cpu");
        assert_eq!(path_below("/course/pg", "/course/pg/cpu/"), "/cpu/");
        assert_eq!(path_below("/course/pg", "/course/pg/"), "/");
        assert_eq!(path_below("/course/pg", "/course/pg"), "/");
        // Not below the root (or only by a prefix of a segment): left as it is.
        assert_eq!(path_below("/course/pg", "/course/pgx/cpu"), "/course/pgx/cpu");
        assert_eq!(path_below("/course/pg", "/other"), "/other");
    }

    #[test]
    fn a_kept_document_is_made_again_only_for_a_new_key_or_after_forget() {
        let cache: DocCache<u32> = DocCache::default();
        let made = std::cell::Cell::new(0);
        let make = |text: &str| {
            made.set(made.get() + 1);
            text.to_string()
        };
        assert_eq!(&*cache.get(1, || make("a")), "a");
        assert_eq!(&*cache.get(1, || make("b")), "a");
        assert_eq!(&*cache.get(2, || make("c")), "c");
        cache.forget();
        assert_eq!(&*cache.get(2, || make("d")), "d");
        assert_eq!(made.get(), 3);
    }
}
