//! The Python lab's state machine and record handling, natively.

use super::config;
use super::model::{self, RunRecord, Stream, ToWorker, WorkerEvent};
use super::programs;
use super::state::{Action, Effect, Interp, PyState, PyStatus};

fn ready() -> WorkerEvent {
    WorkerEvent::Ready { python: "3.14.2".into(), interrupts: true, stack_switching: true, start: Some("plain".into()), load_ms: Some(2100.4) }
}

fn record(status: &str, exception: &str) -> String {
    format!(
        r#"{{"status":"{status}","exception":{exception},"wallMs":250.5,"tasks":[{{"name":"Task-1","segments":[[0.5,1.0],[240.0,250.0]]}},{{"name":"Task-2","segments":[[1.0,40.0]]}}],"ticks":[[1.0,0,"stdout"],[39.0,1,"stderr"],[5.0,7,"stdout"]],"cut":false}}"#
    )
}

fn open(query: &str) -> (PyState, Vec<Effect>) {
    PyState::open(config::decode(query), None, "http://x")
}

#[test]
fn presets_match_the_registry() {
    assert_eq!(super::META.presets.len(), programs::ALL.len());
    for (preset, program) in super::META.presets.iter().zip(programs::ALL) {
        assert_eq!(preset.id, program.id);
        assert_eq!(config::decode(preset.query).preset, Some(program.id));
    }
}

#[test]
fn a_run_link_waits_for_the_interpreter_then_runs_once() {
    let (mut s, fx) = open("preset=queue-pipeline&run=1");
    assert_eq!(fx, vec![Effect::StartWorker]);
    assert_eq!(s.status(), PyStatus::Loading);
    assert!(s
        .update(Action::Worker(WorkerEvent::Progress {
            loaded: 5,
            total: 10,
            file: "x".into()
        }))
        .is_empty());
    assert_eq!(
        s.interp,
        Interp::Loading {
            loaded: 5,
            total: 10
        }
    );
    let fx = s.update(Action::Worker(ready()));
    assert_eq!(
        fx,
        vec![Effect::PostRun {
            run: 1,
            code: programs::find("queue-pipeline").unwrap().source.into(),
            on_one: false
        }]
    );
    assert_eq!(s.status(), PyStatus::Running);
    s.update(Action::Worker(WorkerEvent::Output {
        run: 1,
        stream: Stream::Stdout,
        text: "[0.4]\n".into(),
    }));
    s.update(Action::Worker(WorkerEvent::Finished {
        run: 1,
        result: record("done", "null"),
    }));
    assert_eq!(s.status(), PyStatus::Done);
    assert_eq!(s.output.text(Stream::Stdout), "[0.4]\n");
    // Ready again (after a reset) does not run again.
    s.update(Action::Reset);
    assert!(s.update(Action::Worker(ready())).is_empty());
}

#[test]
fn an_error_marks_its_line_until_the_code_changes() {
    let (mut s, _) = open("");
    s.update(Action::Worker(ready()));
    s.update(Action::Run);
    let exc = r#"{"type":"NameError","message":"name 'x' is not defined","line":3,"traceback":"..."}"#;
    let fx = s.update(Action::Worker(WorkerEvent::Finished { run: 1, result: record("error", exc) }));
    assert_eq!(s.status(), PyStatus::Error);
    assert_eq!(fx, vec![Effect::MarkLine(Some(3))]);
    assert_eq!(s.error_line(), Some(3));
    let fx = s.update(Action::Edit(s.code.clone() + "\n"));
    assert!(fx.contains(&Effect::MarkLine(None)), "{fx:?}");
    assert_eq!(s.error_line(), None);
    let doc = s.results_doc();
    assert!(doc.contains("\"status\": \"error\""), "{doc}");
    assert!(doc.contains("\"type\": \"NameError\""), "{doc}");
    assert!(doc.contains("\"line\": 3"), "{doc}");
}

#[test]
fn stale_messages_are_ignored() {
    let (mut s, _) = open("");
    s.update(Action::Worker(ready()));
    s.update(Action::Run);
    s.update(Action::Worker(WorkerEvent::Output { run: 7, stream: Stream::Stdout, text: "old".into() }));
    s.update(Action::Worker(WorkerEvent::Finished { run: 7, result: record("done", "null") }));
    assert!(s.is_running());
    assert!(s.output.is_empty());
}

#[test]
fn stop_interrupts_then_replaces_the_interpreter_after_the_deadline() {
    let (mut s, _) = open("");
    s.update(Action::Worker(ready()));
    s.update(Action::Run);
    assert_eq!(s.update(Action::Stop), vec![Effect::PostStop { run: 1 }]);
    assert!(s.update(Action::Stop).is_empty(), "a second press sends nothing more");
    // Python stopped in time: the deadline finds nothing to do.
    s.update(Action::Worker(WorkerEvent::Finished { run: 1, result: record("stopped", "null") }));
    assert_eq!(s.status(), PyStatus::Stopped);
    assert!(s.update(Action::StopDeadline { run: 1 }).is_empty());
    // Python did not stop: the worker is replaced and the page says so.
    s.update(Action::Run);
    s.update(Action::Stop);
    let fx = s.update(Action::StopDeadline { run: 2 });
    assert_eq!(fx, vec![Effect::TerminateWorker, Effect::StartWorker]);
    assert_eq!(s.status(), PyStatus::Stopped);
    assert!(s.replaced.as_deref().unwrap().contains("replaced"));
    assert!(!s.is_ready());
    // Its late messages change nothing.
    s.update(Action::Worker(WorkerEvent::Finished { run: 2, result: record("done", "null") }));
    assert_eq!(s.status(), PyStatus::Stopped);
}

#[test]
fn a_failed_load_is_reported_and_run_retries_it() {
    let (mut s, _) = open("run=1");
    s.update(Action::Worker(WorkerEvent::LoadFailed { message: "404".into() }));
    assert_eq!(s.status(), PyStatus::Error);
    assert!(s.failure.as_deref().unwrap().contains("404"));
    let fx = s.update(Action::Run);
    assert_eq!(fx, vec![Effect::TerminateWorker, Effect::StartWorker]);
    assert_eq!(s.status(), PyStatus::Loading);
}

#[test]
fn presets_and_the_live_switch_rewrite_the_editor_and_the_link() {
    let (mut s, _) = open("");
    let fx = s.update(Action::LoadPreset("semaphore-2"));
    assert_eq!(fx[0], Effect::SetEditor(programs::find("semaphore-2").unwrap().source.into()));
    assert_eq!(fx[1], Effect::WriteQuery("preset=semaphore-2".into()));
    assert_eq!(s.live(), Some(false));
    let fx = s.update(Action::SetLive(true));
    assert_eq!(s.live(), Some(true));
    assert!(s.code.contains("LIVE = True  # True: real requests"));
    assert!(matches!(&fx[1], Effect::WriteQuery(q) if q.starts_with("code=")));
    assert_eq!(s.preset().map(|p| p.id), Some("semaphore-2"), "a live preset is still that preset");
    s.update(Action::SetLive(false));
    assert_eq!(s.preset().map(|p| p.id), Some("semaphore-2"));
    // No switch in the program: nothing to do.
    s.update(Action::LoadPreset("queue-pipeline"));
    assert!(s.update(Action::SetLive(true)).is_empty());
}

#[test]
fn records_are_checked_and_blocked_stretches_found() {
    let r = RunRecord::parse(&record("done", "null")).unwrap();
    assert_eq!(r.ticks.len(), 2, "a tick on a task that does not exist is dropped");
    assert_eq!(r.blocked(), vec![(1, 1.0, 40.0)]);
    assert_eq!(r.loop_blocked_ms(), 39.0);
    assert!(RunRecord::parse("{").is_err());
    assert!(RunRecord::parse(r#"{"status":"done"}"#).is_err());
    let t = model::timeline(&r, 600.0);
    assert_eq!(t.names, ["Task-1", "Task-2"]);
    assert_eq!(t.prints.len(), 2);
    // Two lifetimes, Task-1's two segments, Task-2's one, and the blocked mark over it.
    assert_eq!(t.chart.bars.len(), 6);
    assert_eq!(t.chart.bars.iter().filter(|b| b.item == 2).count(), 2);
    assert!(t.chart.bars.iter().all(|b| b.x >= 96.0 && b.x + b.width <= 600.0));
}

#[test]
fn many_steps_merge_into_few_bars() {
    let segments: Vec<String> = (0..100_000).map(|i| format!("[{}.0,{}.5]", i, i)).collect();
    let json = format!(
        r#"{{"status":"done","exception":null,"wallMs":100000,"tasks":[{{"name":"T","segments":[{}]}}],"ticks":[],"cut":false}}"#,
        segments.join(",")
    );
    let r = RunRecord::parse(&json).unwrap();
    let t = model::timeline(&r, 800.0);
    assert!(
        t.chart.bars.iter().filter(|b| b.item == 0).count() < 10,
        "{}",
        t.chart.bars.len()
    );
}

#[test]
fn threads_and_processes_get_a_hint() {
    let e = |kind: &str, message: &str| model::PyException {
        kind: kind.into(),
        message: message.into(),
        line: Some(1),
        traceback: String::new(),
    };
    assert_eq!(
        model::hint_for(&e("RuntimeError", "can't start new thread"))
            .unwrap()
            .href,
        "race?preset=bank&mode=exhaustive"
    );
    assert_eq!(
        model::hint_for(&e(
            "NotImplementedError",
            "This Python build lacks multiprocessing.synchronize"
        ))
        .unwrap()
        .href,
        "cpu"
    );
    assert!(model::hint_for(&e("ValueError", "bad")).is_none());
}

#[test]
fn the_semaphore_log_is_compared_line_by_line() {
    let expected = programs::SEMAPHORE_EXPECTED;
    assert_eq!(model::most_held(expected), 2);
    let lines = model::compare_lines(expected, expected);
    assert!(lines.iter().all(|l| l.same()));
    let mut swapped: Vec<&str> = expected.lines().collect();
    swapped.swap(6, 9);
    let lines = model::compare_lines(expected, &swapped.join("\n"));
    assert_eq!(lines.iter().filter(|l| !l.same()).count(), 2);
    let verdict = super::state::SemaphoreComparison { lines, most_held: 2 }.verdict();
    assert!(verdict.starts_with("2 lines differ."), "{verdict}");
}

#[test]
fn output_is_capped() {
    let mut o = super::state::Output::default();
    o.push(Stream::Stdout, &"x".repeat(model::MAX_OUTPUT_CHARS - 2));
    o.push(Stream::Stderr, "abcd");
    assert_eq!(o.dropped, 2);
    assert_eq!(o.text(Stream::Stderr), "ab");
    o.push(Stream::Stdout, "more");
    assert_eq!(o.dropped, 6);
}

#[test]
fn worker_messages_parse() {
    let e = WorkerEvent::parse(r#"{"type":"ready","python":"3.14.2","interrupts":false,"stackSwitching":true}"#);
    assert_eq!(e, Some(WorkerEvent::Ready { python: "3.14.2".into(), interrupts: false, stack_switching: true, start: None, load_ms: None }));
    // A worker of this build says how CPython started.
    let e = WorkerEvent::parse(r#"{"type":"ready","python":"3.14.2","interrupts":true,"stackSwitching":true,"start":"snapshot","loadMs":330}"#);
    assert!(matches!(e, Some(WorkerEvent::Ready { start: Some(ref k), load_ms: Some(ms), .. }) if k == "snapshot" && ms == 330.0));
    assert!(WorkerEvent::parse(r#"{"type":"nonsense"}"#).is_none());
    let e = WorkerEvent::parse(r#"{"type":"output","run":3,"stream":"stderr","text":"x"}"#);
    assert_eq!(e, Some(WorkerEvent::Output { run: 3, stream: Stream::Stderr, text: "x".into() }));
}

/// The page and the worker speak the protocol written in web/python/protocol.json: every
/// message the worker may send parses here, every event here is one the worker may send,
/// and what the page sends has the fields the worker checks for.
#[test]
fn both_sides_speak_the_written_protocol() {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/web/python/protocol.json")).expect("protocol.json");
    let protocol: serde_json::Value = serde_json::from_str(&text).expect("protocol.json is JSON");
    let sample = |kind: &str, fields: &serde_json::Map<String, serde_json::Value>| {
        let mut m = serde_json::Map::new();
        m.insert("type".into(), kind.into());
        for (name, ty) in fields {
            let name = name.trim_end_matches('?');
            let value = match (name, ty.as_str()) {
                ("stream", _) => "stdout".into(),
                (_, Some("number")) => 1.into(),
                (_, Some("boolean")) => true.into(),
                (_, Some("string")) => "x".into(),
                other => panic!("no sample for {other:?}"),
            };
            m.insert(name.into(), value);
        }
        serde_json::Value::Object(m).to_string()
    };
    let mut named = Vec::new();
    for (kind, fields) in protocol["workerToPage"].as_object().expect("workerToPage") {
        let event = WorkerEvent::parse(&sample(kind, fields.as_object().unwrap()))
            .unwrap_or_else(|| panic!("the page does not understand the worker's {kind:?}"));
        // Exhaustive: a new event must be named here, and so in the protocol.
        named.push(match event {
            WorkerEvent::Progress { .. } => "progress",
            WorkerEvent::Ready { .. } => "ready",
            WorkerEvent::LoadFailed { .. } => "load-failed",
            WorkerEvent::Output { .. } => "output",
            WorkerEvent::Finished { .. } => "finished",
            WorkerEvent::Crashed { .. } => "crashed",
            WorkerEvent::ProtocolError { .. } => "protocol-error",
        });
        assert_eq!(named.last().copied(), Some(kind.as_str()));
    }
    assert_eq!(named.len(), 7, "every event of the page is in the protocol");

    let to_worker = protocol["pageToWorker"].as_object().expect("pageToWorker");
    for message in [ToWorker::Run { run: 1, code: "x", pool: Some("one") }, ToWorker::Run { run: 1, code: "x", pool: None }, ToWorker::Stop { run: 1 }] {
        let sent: serde_json::Value = serde_json::to_value(&message).unwrap();
        let kind = sent["type"].as_str().unwrap();
        let fields = to_worker[kind].as_object().unwrap_or_else(|| panic!("{kind} is not in the protocol"));
        for (name, _) in sent.as_object().unwrap().iter().filter(|(n, _)| *n != "type") {
            assert!(fields.contains_key(name) || fields.contains_key(&format!("{name}?")), "{kind}.{name}");
        }
        for name in fields.keys().filter(|n| !n.ends_with('?')) {
            assert!(sent.get(name).is_some(), "{kind} lacks {name}");
        }
    }
    // `init` is built field by field in glue::python.
    let glue = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/src/glue/python.rs")).unwrap();
    for name in to_worker["init"].as_object().unwrap().keys() {
        let name = name.trim_end_matches('?');
        assert!(glue.contains(&format!("set(\"{name}\"")), "glue::python sends no init.{name}");
    }
}

fn pool_record(wall: f64, parallel: bool, cold: bool) -> String {
    let startups = if parallel {
        format!(
            r#"[{{"child":0,"start":1.0,"end":900.0,"cold":{cold}}},{{"child":1,"start":1.0,"end":950.0,"cold":{cold}}}]"#
        )
    } else {
        "[]".into()
    };
    let task = |child: usize, start: f64, ok: bool| {
        format!(
            r#"{{"child":{child},"label":"f(1)","dispatch":{d},"argPickleMs":0.5,"start":{start},"end":{e},"childUnpickleMs":1.0,"resultPickleMs":2.0,"received":{r},"resultUnpickleMs":0.5,"ok":{ok}}}"#,
            d = start - 1.0,
            e = start + 100.0,
            r = start + 101.0
        )
    };
    let second_lane = if parallel { 1 } else { 0 };
    format!(
        r#"{{"status":"done","exception":null,"wallMs":{wall},"tasks":[],"ticks":[],"cut":false,"pool":{{"parallel":{parallel},"reason":{reason},"asked":2,"startups":{startups},"tasks":[{a},{b},{bad}]}}}}"#,
        reason = if parallel {
            "null".to_string()
        } else {
            r#""not isolated""#.to_string()
        },
        a = task(0, 1000.0, true),
        b = task(second_lane, 1000.0, false),
        bad = r#"{"child":999,"label":"x","dispatch":1,"argPickleMs":0,"start":5,"end":4,"childUnpickleMs":0,"resultPickleMs":0,"received":0,"resultUnpickleMs":0,"ok":true}"#,
    )
}

#[test]
fn pool_records_are_checked_and_summed() {
    let r = RunRecord::parse(&pool_record(1200.0, true, true)).unwrap();
    let pool = r.pool.as_ref().unwrap();
    assert_eq!(
        pool.tasks.len(),
        2,
        "a task on lane 999 ending before it starts is dropped"
    );
    assert_eq!(pool.lanes(), 2);
    let f = pool.figures(r.wall_ms);
    assert_eq!((f.workers, f.tasks, f.failed, f.cold_starts), (2, 2, 1, 2));
    assert_eq!(
        f.task_ms,
        2.0 * 97.0,
        "the child's own pickling is not the task's time"
    );
    assert_eq!(f.pickling_ms, 2.0 * 4.0);
    assert_eq!(f.startup_ms, 949.0);
    let t = model::pool_timeline(&r, 900.0).unwrap();
    assert_eq!(t.names, vec!["process 1", "process 2"]);
    assert_eq!(t.labels.len(), 2);
    let kinds = |k: usize| t.chart.bars.iter().filter(|b| b.item == k).count();
    assert_eq!(
        (
            kinds(model::POOL_STARTUP),
            kinds(model::POOL_TASK),
            kinds(model::POOL_FAILED),
            kinds(model::POOL_PICKLING)
        ),
        (2, 1, 1, 4)
    );
    // Run without a pool: no lanes.
    assert!(
        model::pool_timeline(&RunRecord::parse(&record("done", "null")).unwrap(), 900.0).is_none()
    );
    let seq = RunRecord::parse(&pool_record(2000.0, false, false)).unwrap();
    assert_eq!(
        model::pool_timeline(&seq, 900.0).unwrap().names,
        vec!["one interpreter"]
    );
}

#[test]
fn a_pool_run_and_a_run_on_one_interpreter_give_the_speedup() {
    let (mut s, _) = open("preset=process-pool-small");
    s.update(Action::Worker(ready()));
    let fx = s.update(Action::Run);
    assert!(matches!(
        fx.last(),
        Some(Effect::PostRun { on_one: false, .. })
    ));
    s.update(Action::Worker(WorkerEvent::Finished {
        run: 1,
        result: pool_record(1500.0, true, true),
    }));
    assert!(s.pool_speedup().is_none(), "one side only");
    let fx = s.update(Action::RunOnOne);
    assert!(matches!(
        fx.last(),
        Some(Effect::PostRun {
            run: 2,
            on_one: true,
            ..
        })
    ));
    s.update(Action::Worker(WorkerEvent::Finished {
        run: 2,
        result: pool_record(2000.0, false, false),
    }));
    assert!(s.last.as_ref().unwrap().on_one);
    let (x, c) = s.pool_speedup().unwrap();
    assert_eq!(x, 2000.0 / 1500.0);
    assert_eq!(c.parallel, Some((1500.0, 2, true)));
    // Warm again: the newest pool run counts.
    s.update(Action::Run);
    s.update(Action::Worker(WorkerEvent::Finished {
        run: 3,
        result: pool_record(1000.0, true, false),
    }));
    assert_eq!(s.pool_speedup().unwrap().0, 2.0);
    let doc: serde_json::Value = serde_json::from_str(&s.results_doc()).unwrap();
    assert_eq!(doc["pool"]["speedup"], 2.0);
    assert_eq!(doc["pool"]["figures"]["workers"], 2);
    assert_eq!(doc["pool"]["onOneInterpreter"], false);
    // Another program: no speedup until it runs both ways.
    s.update(Action::Edit(s.code.clone() + "\n# changed\n"));
    assert!(s.pool_speedup().is_none());
    // A failed run is no figure.
    s.update(Action::Run);
    s.update(Action::Worker(WorkerEvent::Finished {
        run: 4,
        result: pool_record(10.0, true, false).replace(r#""status":"done""#, r#""status":"error""#),
    }));
    assert_eq!(s.pool_comparison.parallel, Some((1000.0, 2, false)));
}

#[test]
fn the_record_counts_emulated_threads() {
    let (mut s, _) = open("preset=bank-race");
    s.update(Action::Worker(ready()));
    s.update(Action::Run);
    let result =
        record("done", "null").replace(r#""cut":false"#, r#""cut":false,"threadsStarted":4"#);
    s.update(Action::Worker(WorkerEvent::Finished { run: 1, result }));
    assert_eq!(s.last.as_ref().unwrap().record.threads_started, 4);
    let doc: serde_json::Value = serde_json::from_str(&s.results_doc()).unwrap();
    assert_eq!(doc["threadsStarted"], 4);
    assert_eq!(doc["preset"], "bank-race");
    // An older record without the field reads as none.
    assert_eq!(
        RunRecord::parse(&record("done", "null"))
            .unwrap()
            .threads_started,
        0
    );
}

/// Links between labs are relative to the site's root (the page's `<base>`), so that a site
/// served from a subpath keeps them inside it; each names a lab.
#[test]
fn links_to_other_labs_are_relative_to_the_site_root() {
    let e = |kind: &str, message: &str| model::PyException { kind: kind.into(), message: message.into(), line: Some(1), traceback: String::new() };
    let hints = [
        model::hint_for(&e("RuntimeError", "can't start new thread")),
        model::hint_for(&e("NotImplementedError", "This Python build lacks multiprocessing.synchronize")),
    ];
    let hrefs = programs::ALL
        .iter()
        .flat_map(|p| p.see_also.iter().map(|l| l.href))
        .chain([programs::THREADS_LAB_LINK.href])
        .chain(hints.iter().flatten().map(|h| h.href));
    for href in hrefs {
        assert!(!href.starts_with('/') && !href.contains("://"), "{href} is not relative to the site root");
        let lab = href.split(['?', '/']).next().unwrap_or_default();
        assert!(crate::labs::find(lab).is_some(), "{href} names no lab");
    }
}

#[test]
fn a_task_is_summed_up_for_the_timeline_table() {
    let t = model::TaskRecord { name: "Task-2".into(), segments: vec![(1.0, 2.5), (10.0, 30.0), (40.0, 40.5)] };
    let s = t.summary();
    assert_eq!((s.steps, s.blocked), (3, 1));
    assert!((s.ran_ms - 22.0).abs() < 1e-9);
    assert_eq!((s.first_ms, s.last_ms), (Some(1.0), Some(40.5)));
    let none = model::TaskRecord { name: "Task-3".into(), segments: vec![] }.summary();
    assert_eq!((none.steps, none.first_ms), (0, None));
}

fn threads_record(wall: f64) -> String {
    record("done", "null").replace(r#""wallMs":250.5,"tasks":[{"name":"Task-1","segments":[[0.5,1.0],[240.0,250.0]]},{"name":"Task-2","segments":[[1.0,40.0]]}],"ticks":[[1.0,0,"stdout"],[39.0,1,"stderr"],[5.0,7,"stdout"]]"#,
        &format!(r#""wallMs":{wall},"tasks":[],"ticks":[],"threadsStarted":2"#))
        .replace(r#""cut":false}"#, r#""cut":false,"threads":{"preemptive":true,"switchIntervalMs":5.0,"switches":3,"forcedSwitches":2,"cut":false,"threads":[
            {"name":"MainThread","ident":1,"stretches":[["run",0.0,1.0],["block",1.0,20.0],["wait",20.0,20.5],["run",20.5,21.0]]},
            {"name":"Thread-1 (count)","ident":2,"stretches":[["wait",0.2,1.0],["run",1.0,6.0],["forced",6.0,11.0],["run",11.0,16.0],["sleep",16.0,18.0],["wait",18.0,19.0],["run",19.0,19.5],["run",19.5,20.0],["sleep",30.0,2.0]]},
            {"name":"Thread-2","ident":3,"stretches":[["wait",0.4,6.0],["run",6.0,11.0],["forced",11.0,16.0],["run",16.0,18.0]]}]}}"#)
}

#[test]
fn the_threads_record_is_read_checked_and_summed() {
    let r = RunRecord::parse(&threads_record(21.0)).unwrap();
    let t = r.threads.as_ref().expect("a threads record");
    assert!(t.preemptive);
    assert_eq!((t.switches, t.forced_switches, t.threads.len()), (3, 2, 3));
    // The stretch that ends before it starts is dropped; the rest stay in order.
    assert_eq!(t.threads[1].stretches.len(), 8);
    let worker = t.threads[1].summary();
    assert_eq!(worker.turns, 4);
    assert!((worker.ran_ms - 11.0).abs() < 1e-9, "{worker:?}");
    assert!((worker.waited_ms - 6.8).abs() < 1e-9, "{worker:?}");
    assert!((worker.slept_ms - 2.0).abs() < 1e-9);
    assert!((t.threads[0].summary().blocked_ms - 19.0).abs() < 1e-9);
    // An unknown kind is not a record from threads.py.
    assert!(RunRecord::parse(&threads_record(21.0).replace(r#"["sleep",16.0"#, r#"["nap",16.0"#)).is_err());
    // A record from before threads were recorded reads as none.
    assert!(RunRecord::parse(&record("done", "null")).unwrap().threads.is_none());
}

#[test]
fn thread_lanes_are_named_coloured_by_stretch_and_merged() {
    let r = RunRecord::parse(&threads_record(21.0)).unwrap();
    let t = model::thread_timeline(&r, 800.0).expect("lanes");
    assert_eq!(t.names, ["MainThread", "Thread-1 (count)", "Thread-2"]);
    assert_eq!(t.hidden_lanes, 0);
    let kinds = |lane: usize| -> Vec<model::Stretch> {
        t.chart.bars.iter().filter(|b| b.lane == lane).map(|b| model::Stretch::from_index(b.item)).collect()
    };
    use model::Stretch::*;
    // The two touching runs at 19 and 19.5 ms are one bar.
    assert_eq!(kinds(1), [Wait, Run, Forced, Run, Sleep, Wait, Run]);
    assert_eq!(kinds(2), [Wait, Run, Forced, Run]);
    // Bars never run past the axis: the wall time is the scale.
    assert!(t.chart.bars.iter().all(|b| b.x + b.width <= t.chart.width));
    // Only one thread holds the interpreter at a time in this record: run bars never overlap.
    let mut runs: Vec<(f64, f64)> = t.chart.bars.iter().filter(|b| b.item == Run.index()).map(|b| (b.x, b.x + b.width)).collect();
    runs.sort_by(|a, b| a.0.total_cmp(&b.0));
    assert!(runs.windows(2).all(|w| w[1].0 >= w[0].1 - 1e-9), "{runs:?}");
    // No threads, no lanes.
    assert!(model::thread_timeline(&RunRecord::parse(&record("done", "null")).unwrap(), 800.0).is_none());
}

#[test]
fn a_run_with_threads_puts_them_in_the_results_document() {
    let (mut s, _) = open("preset=two-cpu-threads");
    s.update(Action::Worker(ready()));
    s.update(Action::Run);
    s.update(Action::Worker(WorkerEvent::Finished { run: 1, result: threads_record(21.0) }));
    assert!(s.last.as_ref().unwrap().thread_timeline.is_some());
    let doc: serde_json::Value = serde_json::from_str(&s.results_doc()).unwrap();
    assert_eq!(doc["preset"], "two-cpu-threads");
    assert_eq!(doc["threads"]["switches"], 3);
    assert_eq!(doc["threads"]["forcedSwitches"], 2);
    assert_eq!(doc["threads"]["threads"][1]["name"], "Thread-1 (count)");
    assert_eq!(doc["threads"]["threads"][1]["stretches"][1], serde_json::json!(["run", 1.0, 6.0]));
}

#[test]
fn every_stretch_kind_has_words_and_an_index() {
    for (i, k) in model::Stretch::ALL.iter().enumerate() {
        assert_eq!(k.index(), i);
        assert_eq!(model::Stretch::from_index(i), *k);
        assert!(!k.words().is_empty());
    }
}

#[test]
fn long_thread_names_get_room_and_are_cut_beyond_it() {
    let long = "a-thread-with-a-name-much-longer-than-any-lane-label-ever-is-\u{e9}\u{e9}";
    let r = RunRecord::parse(&threads_record(21.0).replace("Thread-2", long)).unwrap();
    let t = model::thread_timeline(&r, 800.0).unwrap();
    assert!(t.chart.left > 96.0 && t.chart.left <= 190.0, "{}", t.chart.left);
    assert_eq!(t.names[2].chars().count(), 27);
    assert!(t.names[2].ends_with('\u{2026}'));
    assert_eq!(t.names[0], "MainThread");
}

#[test]
fn the_results_say_how_the_interpreter_started() {
    let (mut s, _) = open("preset=queue-pipeline");
    let doc = |s: &PyState| -> serde_json::Value { serde_json::from_str(&s.results_doc()).unwrap() };
    assert!(doc(&s)["interpreterStart"].is_null());
    s.update(Action::Worker(WorkerEvent::Ready { python: "3.14.2".into(), interrupts: true, stack_switching: true, start: Some("snapshot".into()), load_ms: Some(329.6) }));
    assert_eq!(doc(&s)["interpreterStart"], serde_json::json!({ "kind": "snapshot", "loadMs": 329.6 }));
    assert_eq!(s.interp_start.as_ref().unwrap().words(), "restored from a snapshot in 330 ms");
    // A worker that does not say is a plain start; a bad figure is left out.
    s.update(Action::Worker(WorkerEvent::Ready { python: "3.14.2".into(), interrupts: true, stack_switching: true, start: None, load_ms: Some(f64::NAN) }));
    assert_eq!(s.interp_start.as_ref().unwrap().words(), "started");
}

#[test]
fn the_result_line_and_the_lanes_say_their_figures_in_words() {
    let r = RunRecord::parse(&threads_record(21.0)).unwrap();
    assert_eq!(r.counts(), " \u{b7} 2 threads besides the main one \u{b7} 3 switches");
    assert_eq!(r.threads_started_words(), "2 threads started. ");
    let t = r.threads.as_ref().unwrap();
    assert_eq!(t.figures(), "3 switches of the interpreter, 2 of them a busy thread made to give way after the switch interval (5 ms).");
    let mut one = t.clone();
    one.switches = 1;
    one.switch_interval_ms = 0.5;
    assert_eq!(one.figures(), "1 switch of the interpreter, 2 of them a busy thread made to give way after the switch interval (0.5 ms).");
    let tasks = RunRecord::parse(&record("done", "null")).unwrap();
    assert_eq!(tasks.counts(), " \u{b7} 2 asyncio tasks \u{b7} event loop blocked 39 ms");
}
