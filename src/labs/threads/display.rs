//! What the threads page says about its state: the words and figures it shows (times,
//! speedups, a run's description, lane labels and hover texts, the check's cells, the
//! comparison's axis). Pure, so each is tested natively; the view only places them.

use super::choices::Interp;
use super::model::{Outcome, ThreadState, ThreadStats};
use super::presets::{CounterMeasurement, Headline};
use super::lanes::Window;
use super::state::RunView;
use crate::core::chart::{nice_ticks, tick_label};
use crate::core::link::group;

/// A time in milliseconds, with fewer decimals the longer it is.
pub fn ms(v: f64) -> String {
    if v >= 100.0 {
        format!("{v:.0} ms")
    } else if v >= 1.0 {
        format!("{v:.2} ms")
    } else {
        format!("{v:.3} ms")
    }
}

/// A time in nanoseconds, as [`ms`] gives it.
pub fn ns_ms(ns: u64) -> String {
    ms(ns as f64 / 1e6)
}

/// A time in milliseconds, or a dash when there is none.
pub fn ms_or_dash(v: Option<f64>) -> String {
    v.map_or("\u{2014}".into(), ms)
}

/// A speedup as `0.95×`, or a dash when there is none.
pub fn speedup(v: Option<f64>) -> String {
    v.map_or("\u{2014}".into(), |s| format!("{s:.2}\u{d7}"))
}

/// What a thread is doing, in words.
pub fn state_name(s: ThreadState) -> &'static str {
    match s {
        ThreadState::RunningPython => "running Python",
        ThreadState::CHold => "in a C call holding the GIL",
        ThreadState::WaitingForGil => "waiting for the GIL",
        ThreadState::ForcedSwitchWait => "dropped on request, waiting for another thread to take it",
        ThreadState::Io => "in I/O or sleep (GIL released)",
        ThreadState::CRelease => "in C code that released the GIL",
        ThreadState::Blocked => "blocked on a queue or a result",
        ThreadState::NotStarted => "not started",
        ThreadState::Done => "done",
    }
}

/// A thread's name cut to fit a lane's label.
pub fn short_name(name: &str) -> String {
    if name.chars().count() <= 14 {
        name.to_string()
    } else {
        format!("{}\u{2026}", name.chars().take(13).collect::<String>())
    }
}

/// A thread's name in the table, with its process when it runs in a worker process.
pub fn thread_label(t: &ThreadStats) -> String {
    if t.interpreter > 0 {
        format!("{} (process {})", t.name, t.interpreter)
    } else {
        t.name.clone()
    }
}

/// The line under a run's figures: what ran it, on what, and how much was simulated.
pub fn run_summary(r: &RunView) -> String {
    format!(
        "{} on {} core{}, {} worker{}, switch interval {} ms; {} events simulated.",
        match r.interp {
            Interp::Gil => "CPython with the GIL",
            Interp::Ft313 => "free-threaded 3.13t",
            Interp::Ft314 => "free-threaded 3.14t",
        },
        r.cores,
        if r.cores == 1 { "" } else { "s" },
        r.workers,
        if r.workers == 1 { "" } else { "s" },
        tick_label(r.switch_ms),
        r.outcome.events
    )
}

/// The I/O latency figure, `p50 / p99`, when the run had I/O.
pub fn io_latency(o: &Outcome) -> Option<String> {
    match (o.io_latency_p50_ms(), o.io_latency_p99_ms()) {
        (Some(p50), Some(p99)) => Some(format!("{} / {}", ms(p50), ms(p99))),
        _ => None,
    }
}

/// The lanes' visible stretch, `start – end`.
pub fn window_text(w: Window) -> String {
    format!("{} \u{2013} {}", ns_ms(w.start_ns), ns_ms(w.end_ns))
}

/// The lanes' accessible name.
pub fn lanes_label(o: &Outcome) -> String {
    format!("{} threads over {}", o.threads.len(), ms(o.wall_ms))
}

/// The note under the lanes when some threads have no lane ("" when all do).
pub fn lanes_note(threads: usize, shown: usize) -> String {
    if threads > shown {
        format!("Showing {shown} of {threads} threads; all are in the table and the JSON.")
    } else {
        String::new()
    }
}

/// A GIL lane's label: plain "GIL" when there is one, else whose interpreter it is.
pub fn gil_lane_label(lanes: usize, interpreter: usize) -> String {
    if lanes == 1 {
        "GIL".to_string()
    } else if interpreter == 0 {
        "GIL (main)".to_string()
    } else {
        format!("GIL (proc {interpreter})")
    }
}

/// A thread bar's hover text.
pub fn state_bar_title(thread: &str, s: ThreadState, start_ns: u64, end_ns: u64) -> String {
    format!("{thread}: {} from {} to {}", state_name(s), ns_ms(start_ns), ns_ms(end_ns))
}

/// A GIL bar's hover text.
pub fn gil_bar_title(holder: &str, start_ns: u64, end_ns: u64) -> String {
    format!("{holder} holds the GIL, {} to {}", ns_ms(start_ns), ns_ms(end_ns))
}

/// A drop-request mark's hover text.
pub fn drop_title(thread: &str, time_ns: u64) -> String {
    format!("{thread} asks for the GIL at {}", ns_ms(time_ns))
}

/// Whether a GIL bar `width` pixels wide has room for its holder's name.
pub fn name_fits(width: f64, name: &str) -> bool {
    width > 8.0 * name.chars().count() as f64 + 6.0
}

/// A headline's simulated figure, to 3 decimals, with its unit.
pub fn headline_simulated(h: &Headline) -> String {
    format!("{} {}", tick_label((h.simulated * 1000.0).round() / 1000.0), h.unit)
}

/// A headline's CPython range, `lo–hi unit`.
pub fn headline_range(h: &Headline) -> String {
    format!("{}\u{2013}{} {}", tick_label(h.expected_lo), tick_label(h.expected_hi), h.unit)
}

/// The counter table's "runs that lost updates" cell.
pub fn runs_with_loss(m: &CounterMeasurement) -> String {
    format!("{} of {}", m.runs_with_loss, m.runs)
}

/// The counter table's "updates lost per run" cell.
pub fn lost_per_run(m: &CounterMeasurement) -> String {
    if m.runs_with_loss == 0 {
        "0".to_string()
    } else {
        format!("{} to {}", group(u64::from(m.lost_min)), group(u64::from(m.lost_max)))
    }
}

/// The comparison chart's axis: its ticks (ms) and the wall time its right end stands for.
pub fn compare_axis(bars: &[(String, Result<f64, String>)]) -> (Vec<f64>, f64) {
    let max = bars.iter().filter_map(|b| b.1.as_ref().ok().copied()).fold(1e-9, f64::max);
    let ticks = nice_ticks(max, 4);
    let axis_max = ticks.last().copied().unwrap_or(max);
    (ticks, axis_max)
}

/// A comparison bar that has no wall time: why.
pub fn not_simulated(error: &str) -> String {
    format!("not simulated: {error}")
}

/// The real-run table's lock cell.
pub fn lock_word(use_lock: bool) -> &'static str {
    if use_lock {
        "with"
    } else {
        "without"
    }
}

/// The caption under a real run's lanes: what its bars are.
pub fn real_caption(use_lock: bool) -> &'static str {
    if use_lock {
        "Measured (top): each bar is a stretch a worker held the lock; they never overlap, and change hands about every switch interval. Simulated (below): the same workers under the GIL."
    } else {
        "Measured (top): without the lock each bar is a slice of work, and the workers compute side by side. Simulated (below): the same workers with no GIL."
    }
}

/// A lane's height in the drawing's units (820 wide): tall enough to read at a glance
/// when a run has few threads, shrinking as they add up so that the picture stays on one
/// screen.
pub fn lane_height(lanes: usize) -> f64 {
    match lanes {
        0..=4 => 34.0,
        5..=8 => 26.0,
        9..=14 => 20.0,
        _ => 16.0,
    }
}

/// The lanes' story in words, for those who cannot see them: who held the GIL when, in
/// the order of the handoffs inside the window, at most `max` lines, and how many more.
pub fn handoffs(o: &Outcome, w: Window, max: usize) -> (Vec<String>, usize) {
    let mut all: Vec<(u64, usize, String)> = Vec::new();
    for lane in &o.gil_lanes {
        for iv in lane.intervals.iter().filter(|iv| iv.end_ns > w.start_ns && iv.start_ns < w.end_ns) {
            let holder = o.threads.get(iv.holder).map_or("?", |t| t.name.as_str());
            let place = if o.gil_lanes.len() > 1 { format!(" (interpreter {})", lane.interpreter + 1) } else { String::new() };
            all.push((iv.start_ns, lane.interpreter, format!("{} to {}: {holder} holds the GIL{place}", ns_ms(iv.start_ns), ns_ms(iv.end_ns))));
        }
    }
    all.sort_by_key(|(start, lane, _)| (*start, *lane));
    let more = all.len().saturating_sub(max);
    (all.into_iter().take(max).map(|(_, _, line)| line).collect(), more)
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;

    #[test]
    fn times_read_with_fewer_decimals_the_longer_they_are() {
        assert_eq!(ms(1234.6), "1235 ms");
        assert_eq!(ms(5.256), "5.26 ms");
        assert_eq!(ms(0.06), "0.060 ms");
        assert_eq!(ns_ms(5_000_000), "5.00 ms");
        assert_eq!(ms_or_dash(None), "\u{2014}");
        assert_eq!(speedup(Some(0.956)), "0.96\u{d7}");
        assert_eq!(window_text(Window { start_ns: 0, end_ns: 1_000_000_000 }), "0.000 ms \u{2013} 1000 ms");
    }

    #[test]
    fn labels_and_notes() {
        assert_eq!(short_name("anime 100"), "anime 100");
        assert_eq!(short_name("sum(range(10**8))"), "sum(range(10*\u{2026}");
        assert_eq!(gil_lane_label(1, 0), "GIL");
        assert_eq!(gil_lane_label(3, 0), "GIL (main)");
        assert_eq!(gil_lane_label(3, 2), "GIL (proc 2)");
        assert_eq!(lanes_note(24, 24), "");
        assert_eq!(lanes_note(1000, 24), "Showing 24 of 1000 threads; all are in the table and the JSON.");
        assert_eq!(state_bar_title("io", ThreadState::Io, 0, 169_000), "io: in I/O or sleep (GIL released) from 0.000 ms to 0.169 ms");
        assert_eq!(gil_bar_title("cpu", 5_000_000, 10_000_000), "cpu holds the GIL, 5.00 ms to 10.00 ms");
        assert_eq!(drop_title("io", 200_000_000), "io asks for the GIL at 200 ms");
        assert!(name_fits(39.0, "cpu") && !name_fits(30.0, "cpu"));
        assert_eq!((lock_word(true), lock_word(false)), ("with", "without"));
        assert!(real_caption(true).contains("held the lock") && real_caption(false).contains("no GIL"));
    }

    #[test]
    fn a_runs_description_and_figures() {
        use crate::labs::threads::batch::run_batch;
        use crate::labs::threads::config::ThreadsConfig;
        use crate::labs::threads::state::{Action, Effect, ThreadsState};
        use crate::core::lab::PoolStatus;
        let mut s = ThreadsState::new(ThreadsConfig::from_query("preset=convoy"), PoolStatus::Ready { threads: 2 }, 2, "");
        for e in s.update(Action::Run) {
            if let Effect::Simulate { id, jobs, check } = e {
                s.update(Action::Simulated { id, result: run_batch(&jobs, check, || 0.0) });
            }
        }
        let r = s.run.as_ref().expect("ran");
        let summary = run_summary(r);
        assert!(summary.starts_with("CPython with the GIL on 2 cores, 2 workers, switch interval 5 ms; "), "{summary}");
        assert!(summary.ends_with(" events simulated."), "{summary}");
        let io = io_latency(&r.outcome).expect("the convoy has I/O");
        assert!(io.contains(" ms / ") && io.ends_with(" ms"), "{io}");
        assert_eq!(lanes_label(&r.outcome), format!("2 threads over {}", ms(r.outcome.wall_ms)));
        let t = &r.outcome.threads[0];
        assert_eq!(thread_label(t), "io");
        let h = &r.check.as_ref().expect("a preset run is checked").as_ref().expect("ok")[0];
        assert!(headline_simulated(h).ends_with(" ms"), "{}", headline_simulated(h));
        assert_eq!(headline_range(h), "32\u{2013}36 ms");
    }

    #[test]
    fn the_counter_table_and_the_comparison_axis() {
        let m = CounterMeasurement { version: "3.9.18", runs: 5, runs_with_loss: 5, lost_min: 984_515, lost_max: 1_715_827 };
        assert_eq!((runs_with_loss(&m), lost_per_run(&m)), ("5 of 5".to_string(), "984,515 to 1,715,827".to_string()));
        let none = CounterMeasurement { runs_with_loss: 0, lost_min: 0, lost_max: 0, ..m };
        assert_eq!(lost_per_run(&none), "0");
        let bars = vec![("a".to_string(), Ok(950.0)), ("b".to_string(), Err("no".to_string()))];
        let (ticks, axis_max) = compare_axis(&bars);
        assert!(axis_max >= 950.0 && ticks.last() == Some(&axis_max), "{ticks:?}");
        assert_eq!(compare_axis(&[]).1, ticks_end(1e-9));
        assert_eq!(not_simulated("the event budget ran out"), "not simulated: the event budget ran out");
    }

    fn ticks_end(max: f64) -> f64 {
        nice_ticks(max, 4).last().copied().unwrap_or(max)
    }

    #[test]
    fn lanes_are_tall_when_few_and_the_handoffs_are_told_in_order() {
        assert!(lane_height(4) >= 30.0 && lane_height(40) < lane_height(4));
        let w = crate::labs::threads::presets::preset_runs("cpu-threads").expect("preset");
        let run = &w[1];
        let o = crate::labs::threads::gil::simulate(&run.workload, &run.settings).expect("simulates");
        let (lines, more) = handoffs(&o, Window::all(o.wall_ns), 5);
        assert_eq!(lines.len(), 5);
        assert!(more > 0, "two CPU-bound threads hand the GIL over many times");
        assert!(lines[0].starts_with("0 ms to ") || lines[0].starts_with("0.000 ms to "), "{}", lines[0]);
        assert!(lines.iter().all(|l| l.contains(" holds the GIL")), "{lines:?}");
        // Both threads hold it in turn.
        assert!(lines.iter().any(|l| l.contains("Thread-1")) && lines.iter().any(|l| l.contains("Thread-2")), "{lines:?}");
    }
}
