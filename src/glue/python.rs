//! The Python lab's worker and code editor: creating, messaging and ending the module
//! worker that runs Pyodide, and loading the CodeMirror bundle. Only the Python lab (and
//! pages with an editor) call this, so nothing of either loads anywhere else.

use crate::labs::python::model::{Assets, ToWorker, WorkerEvent};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

#[wasm_bindgen(inline_js = "export function import_module(url) { return import(url); }")]
extern "C" {
    /// A dynamic `import()`: the bundle is fetched only when this is called.
    fn import_module(url: &str) -> js_sys::Promise;
}

/// The build's asset table from `<meta name="playground-assets">`, or why it is missing.
pub fn assets() -> Result<Assets, String> {
    let document = web_sys::window().and_then(|w| w.document()).ok_or("no document")?;
    let meta = document
        .query_selector("meta[name=\"playground-assets\"]")
        .ok()
        .flatten()
        .ok_or("this build has no Python files (index.html lacks the playground-assets tag: build with trunk, which runs web/build.mjs)")?;
    let content = meta.get_attribute("content").unwrap_or_default();
    Assets::parse(&content).ok_or_else(|| "the playground-assets tag does not parse".to_string())
}

fn site_url(path: &str) -> String {
    format!("{}/{}", super::site_root(), path.trim_start_matches('/'))
}

/// The lab's worker: Pyodide inside a module Web Worker.
pub struct PyWorker {
    worker: web_sys::Worker,
    interrupt: Option<js_sys::Int32Array>,
    _on_message: Closure<dyn FnMut(web_sys::MessageEvent)>,
    _on_error: Closure<dyn FnMut(web_sys::Event)>,
}

impl PyWorker {
    /// Starts the worker and has it load CPython. Its messages go to `on_event`; a worker
    /// that fails to start, or dies, goes to `on_failure`.
    pub fn start(assets: &Assets, on_event: impl Fn(WorkerEvent) + 'static, on_failure: impl Fn(String) + 'static) -> Result<PyWorker, String> {
        let options = web_sys::WorkerOptions::new();
        options.set_type(web_sys::WorkerType::Module);
        options.set_name("python");
        let worker = web_sys::Worker::new_with_options(&site_url(&assets.worker), &options).map_err(|e| super::js_error_text(&e))?;
        let on_message = Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |event: web_sys::MessageEvent| {
            let text = js_sys::JSON::stringify(&event.data()).ok().and_then(|s| s.as_string()).unwrap_or_default();
            if let Some(event) = WorkerEvent::parse(&text) {
                on_event(event);
            }
        });
        let on_error = Closure::<dyn FnMut(web_sys::Event)>::new(move |event: web_sys::Event| {
            let message = event
                .dyn_ref::<web_sys::ErrorEvent>()
                .map(|e| e.message())
                .filter(|m| !m.is_empty())
                .unwrap_or_else(|| "its script did not load or it stopped".into());
            on_failure(message);
        });
        worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        // KeyboardInterrupt from outside needs memory both sides see: a SharedArrayBuffer,
        // which only a cross-origin isolated page has.
        let interrupt = super::shared_memory_missing().is_none().then(|| js_sys::Int32Array::new(&js_sys::SharedArrayBuffer::new(4)));
        let init = js_sys::Object::new();
        let set = |k: &str, v: &JsValue| {
            let _ = js_sys::Reflect::set(&init, &JsValue::from_str(k), v);
        };
        set("type", &JsValue::from_str("init"));
        set("indexURL", &JsValue::from_str(&site_url(&assets.pyodide)));
        let files = serde_json::to_string(&assets.files).unwrap_or_else(|_| "[]".into());
        set("files", &js_sys::JSON::parse(&files).unwrap_or(JsValue::NULL));
        if let Some(array) = &interrupt {
            set("interrupt", &array.buffer());
        }
        worker.post_message(&init).map_err(|e| super::js_error_text(&e))?;
        Ok(PyWorker { worker, interrupt, _on_message: on_message, _on_error: on_error })
    }

    fn post(&self, message: &ToWorker) {
        if let Ok(text) = serde_json::to_string(message) {
            if let Ok(value) = js_sys::JSON::parse(&text) {
                let _ = self.worker.post_message(&value);
            }
        }
    }

    pub fn run(&self, run: u64, code: &str, on_one: bool) {
        self.post(&ToWorker::Run {
            run,
            code,
            pool: on_one.then_some("one"),
        });
    }

    /// Raises KeyboardInterrupt in running Python (2 is SIGINT for Pyodide's interrupt
    /// buffer) and asks the worker to cancel the program's tasks if it is waiting.
    pub fn stop(&self, run: u64) {
        if let Some(array) = &self.interrupt {
            let _ = js_sys::Atomics::store(array, 0, 2);
        }
        self.post(&ToWorker::Stop { run });
    }
}

impl Drop for PyWorker {
    fn drop(&mut self) {
        self.worker.set_onmessage(None);
        self.worker.set_onerror(None);
        self.worker.terminate();
    }
}

/// A CodeMirror editor made by web/editor/editor.js.
pub struct Editor {
    handle: JsValue,
    _on_change: Closure<dyn FnMut(String)>,
    _on_run: Closure<dyn FnMut()>,
}

/// What an editor is made with, besides where.
pub struct EditorOptions<'a> {
    pub doc: &'a str,
    /// Its accessible name.
    pub label: &'a str,
    /// The id of the text that says how to leave it (Esc, then Tab) and run (Ctrl+Enter).
    pub described_by: &'a str,
}

fn call(target: &JsValue, method: &str, args: &[JsValue]) -> Result<JsValue, JsValue> {
    let f: js_sys::Function = js_sys::Reflect::get(target, &JsValue::from_str(method))?.dyn_into()?;
    f.apply(target, &args.iter().collect::<js_sys::Array>())
}

impl Editor {
    /// Loads the editor bundle (once per page; the browser keeps the module) and builds
    /// an editor in `parent`.
    pub async fn create(
        assets_editor: &str,
        parent: &web_sys::Element,
        opts: EditorOptions<'_>,
        on_change: impl Fn(String) + 'static,
        on_run: impl Fn() + 'static,
    ) -> Result<Editor, String> {
        let module = wasm_bindgen_futures::JsFuture::from(import_module(&site_url(assets_editor)))
            .await
            .map_err(|e| super::js_error_text(&e))?;
        let on_change = Closure::<dyn FnMut(String)>::new(on_change);
        let on_run = Closure::<dyn FnMut()>::new(on_run);
        let options = js_sys::Object::new();
        let _ = js_sys::Reflect::set(&options, &"doc".into(), &JsValue::from_str(opts.doc));
        let _ = js_sys::Reflect::set(&options, &"label".into(), &JsValue::from_str(opts.label));
        let _ = js_sys::Reflect::set(&options, &"describedBy".into(), &JsValue::from_str(opts.described_by));
        let _ = js_sys::Reflect::set(&options, &"onChange".into(), on_change.as_ref());
        let _ = js_sys::Reflect::set(&options, &"onRun".into(), on_run.as_ref());
        let handle = call(&module, "createEditor", &[parent.into(), options.into()]).map_err(|e| super::js_error_text(&e))?;
        Ok(Editor { handle, _on_change: on_change, _on_run: on_run })
    }

    pub fn set_doc(&self, text: &str) {
        let _ = call(&self.handle, "setDoc", &[JsValue::from_str(text)]);
    }

    pub fn mark_line(&self, line: Option<u32>) {
        let _ = call(&self.handle, "markLine", &[line.map_or(JsValue::NULL, |n| JsValue::from_f64(n as f64))]);
    }
}

impl Drop for Editor {
    fn drop(&mut self) {
        let _ = call(&self.handle, "destroy", &[]);
    }
}
