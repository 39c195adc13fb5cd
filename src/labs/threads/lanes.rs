//! Geometry of the threads lab's lanes: which stretches of each thread's life fall in the
//! visible window and where they go in pixels, the GIL lane, drop-request marks, core usage
//! and a time axis that reads at every zoom. Pure; the view copies these numbers into SVG.

use super::model::{GilInterval, StateInterval, ThreadState};
use crate::core::chart::{nice_step, tick_label};

/// The visible stretch of the lanes, in nanoseconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Window {
    pub start_ns: u64,
    pub end_ns: u64,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ZoomAction {
    In,
    Out,
    Left,
    Right,
    Reset,
    /// A wheel turn at `at` (0 = left edge, 1 = right edge of the lanes).
    Wheel { at: f64, zoom_in: bool },
}

impl ZoomAction {
    /// The action a key gives on the focused lanes: + and - zoom, the arrows pan, 0 and
    /// Home show the whole run.
    pub fn from_key(key: &str) -> Option<ZoomAction> {
        Some(match key {
            "+" | "=" => ZoomAction::In,
            "-" | "_" => ZoomAction::Out,
            "ArrowLeft" => ZoomAction::Left,
            "ArrowRight" => ZoomAction::Right,
            "0" | "Home" => ZoomAction::Reset,
            _ => return None,
        })
    }
}

/// The narrowest window: a fraction of one 5 ms handoff stays readable.
pub const MIN_WINDOW_NS: u64 = 200_000;

impl Window {
    pub fn all(wall_ns: u64) -> Window {
        Window { start_ns: 0, end_ns: wall_ns.max(1) }
    }

    fn width(self) -> u64 {
        self.end_ns.saturating_sub(self.start_ns).max(1)
    }

    /// The window after `action`, kept inside `0..=wall_ns`.
    pub fn apply(self, action: ZoomAction, wall_ns: u64) -> Window {
        let wall = wall_ns.max(1);
        let w = self.width() as f64;
        let (center, width) = match action {
            ZoomAction::Reset => return Window::all(wall),
            ZoomAction::In => (self.start_ns as f64 + w / 2.0, w / 2.0),
            ZoomAction::Out => (self.start_ns as f64 + w / 2.0, w * 2.0),
            ZoomAction::Left => (self.start_ns as f64 + w / 2.0 - w / 4.0, w),
            ZoomAction::Right => (self.start_ns as f64 + w / 2.0 + w / 4.0, w),
            ZoomAction::Wheel { at, zoom_in } => {
                // Keep the time under the pointer where it is.
                let at = if at.is_finite() { at.clamp(0.0, 1.0) } else { 0.5 };
                let t = self.start_ns as f64 + at * w;
                let new_w = if zoom_in { w / 1.5 } else { w * 1.5 };
                (t - at * new_w + new_w / 2.0, new_w)
            }
        };
        let width = width.clamp(MIN_WINDOW_NS.min(wall) as f64, wall as f64);
        let start = (center - width / 2.0).clamp(0.0, wall as f64 - width);
        let start_ns = start.round() as u64;
        Window { start_ns, end_ns: (start_ns + width.round() as u64).min(wall) }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct LaneBar<K> {
    pub x: f64,
    pub width: f64,
    pub kind: K,
    pub start_ns: u64,
    pub end_ns: u64,
}

/// Maps time in the window to pixels between `x0` and `x1`.
#[derive(Clone, Copy, Debug)]
pub struct TimeScale {
    pub window: Window,
    pub x0: f64,
    pub x1: f64,
}

impl TimeScale {
    pub fn x(&self, ns: u64) -> f64 {
        let w = self.window.end_ns.saturating_sub(self.window.start_ns).max(1) as f64;
        let t = ns.clamp(self.window.start_ns, self.window.end_ns) - self.window.start_ns;
        self.x0 + t as f64 / w * (self.x1 - self.x0)
    }
}

/// Bars for the stretches of `intervals` inside the window. When there are more stretches
/// than pixels, each pixel shows what filled most of its time (a thread that runs 5 ms and
/// waits a few microseconds reads as running), so the whole run reads at a glance and
/// zooming in shows every stretch.
pub fn bars<K: Copy + PartialEq>(intervals: impl Iterator<Item = (u64, u64, K)>, scale: &TimeScale) -> Vec<LaneBar<K>> {
    let w = scale.window;
    let visible: Vec<(u64, u64, K)> = intervals
        .filter(|(s, e, _)| *e > w.start_ns && *s < w.end_ns && e > s)
        .map(|(s, e, k)| (s.max(w.start_ns), e.min(w.end_ns), k))
        .collect();
    let pixels = (scale.x1 - scale.x0).max(1.0) as usize;
    if visible.len() * 2 <= pixels {
        let mut out: Vec<LaneBar<K>> = Vec::new();
        for (start, end, kind) in visible {
            let (x, x_end) = (scale.x(start), scale.x(end));
            match out.last_mut() {
                Some(last) if last.kind == kind && last.end_ns == start => {
                    last.width = x_end - last.x;
                    last.end_ns = end;
                }
                _ => out.push(LaneBar { x, width: (x_end - x).max(0.5), kind, start_ns: start, end_ns: end }),
            }
        }
        return out;
    }
    dominant(&visible, scale, pixels)
}

/// One bar per run of pixels with the same dominant kind.
fn dominant<K: Copy + PartialEq>(visible: &[(u64, u64, K)], scale: &TimeScale, pixels: usize) -> Vec<LaneBar<K>> {
    let w = scale.window;
    let span = w.end_ns.saturating_sub(w.start_ns).max(1) as f64;
    let ns_per_px = span / pixels as f64;
    let bucket_of = |t: u64| (((t - w.start_ns) as f64 / ns_per_px) as usize).min(pixels - 1);
    let mut buckets: Vec<Vec<(K, f64)>> = vec![Vec::new(); pixels];
    let mut add = |b: usize, k: K, ns: f64| {
        let slot = &mut buckets[b];
        match slot.iter_mut().find(|(kk, _)| *kk == k) {
            Some(e) => e.1 += ns,
            None => slot.push((k, ns)),
        }
    };
    for &(s, e, k) in visible {
        let (b0, b1) = (bucket_of(s), bucket_of(e.saturating_sub(1).max(s)));
        if b0 == b1 {
            add(b0, k, (e - s) as f64);
            continue;
        }
        let edge = |b: usize| w.start_ns as f64 + b as f64 * ns_per_px;
        add(b0, k, edge(b0 + 1) - s as f64);
        for b in b0 + 1..b1 {
            add(b, k, ns_per_px);
        }
        add(b1, k, e as f64 - edge(b1));
    }
    let mut out: Vec<LaneBar<K>> = Vec::new();
    for (b, slot) in buckets.iter().enumerate() {
        let Some(&(kind, _)) = slot.iter().max_by(|a, b| a.1.total_cmp(&b.1)) else { continue };
        let start_ns = w.start_ns + (b as f64 * ns_per_px) as u64;
        let end_ns = (w.start_ns + ((b + 1) as f64 * ns_per_px) as u64).min(w.end_ns);
        match out.last_mut() {
            Some(last) if last.kind == kind && last.end_ns == start_ns => {
                last.end_ns = end_ns;
                last.width = scale.x(end_ns) - last.x;
            }
            _ => out.push(LaneBar { x: scale.x(start_ns), width: (scale.x(end_ns) - scale.x(start_ns)).max(0.5), kind, start_ns, end_ns }),
        }
    }
    out
}

/// A thread's states worth drawing (not before it starts, not after it is done).
pub fn thread_bars(lane: &[StateInterval], scale: &TimeScale) -> Vec<LaneBar<ThreadState>> {
    bars(
        lane.iter().filter(|i| !matches!(i.state, ThreadState::NotStarted | ThreadState::Done)).map(|i| (i.start_ns, i.end_ns, i.state)),
        scale,
    )
}

/// Who holds a GIL, by thread index.
pub fn gil_bars(intervals: &[GilInterval], scale: &TimeScale) -> Vec<LaneBar<usize>> {
    bars(intervals.iter().map(|i| (i.start_ns, i.end_ns, i.holder)), scale)
}

/// How many threads use a core at each moment of the window, as steps `(ns, count)`.
pub fn core_usage(lanes: &[&[StateInterval]], window: Window) -> Vec<(u64, u32)> {
    let mut edges: Vec<(u64, i32)> = Vec::new();
    for lane in lanes {
        for i in lane.iter().filter(|i| matches!(i.state, ThreadState::RunningPython | ThreadState::CHold | ThreadState::CRelease)) {
            if i.end_ns <= window.start_ns || i.start_ns >= window.end_ns {
                continue;
            }
            edges.push((i.start_ns.max(window.start_ns), 1));
            edges.push((i.end_ns.min(window.end_ns), -1));
        }
    }
    edges.sort_unstable();
    let mut out = vec![(window.start_ns, 0u32)];
    let mut n: i32 = 0;
    for (t, d) in edges {
        n += d;
        let count = n.max(0) as u32;
        match out.last_mut() {
            Some(last) if last.0 == t => last.1 = count,
            _ => out.push((t, count)),
        }
    }
    out
}

/// The steps of `usage` (from [`core_usage`] over the whole run) that fall in `window`,
/// starting with the count in force at its start.
pub fn clip_steps(usage: &[(u64, u32)], window: Window) -> Vec<(u64, u32)> {
    let at_start = usage.iter().take_while(|(t, _)| *t <= window.start_ns).last().map_or(0, |s| s.1);
    let mut out = vec![(window.start_ns, at_start)];
    out.extend(usage.iter().copied().filter(|(t, _)| *t > window.start_ns && *t < window.end_ns));
    out
}

/// An SVG path filling the area under the core-usage steps, in a lane whose bottom is at
/// `y0`, `height` high, scaled so `cores` (or the peak, if higher) fills it.
pub fn usage_path(steps: &[(u64, u32)], scale: &TimeScale, y0: f64, height: f64, cores: u32) -> String {
    let max = f64::from(cores.max(1)).max(steps.iter().map(|s| f64::from(s.1)).fold(1.0, f64::max));
    let mut d = format!("M{:.1},{y0:.1}", scale.x(scale.window.start_ns));
    let mut last_y = y0;
    for (t, n) in steps {
        let x = scale.x(*t);
        let y = y0 - f64::from(*n) / max * height;
        d.push_str(&format!(" L{x:.1},{last_y:.1} L{x:.1},{y:.1}"));
        last_y = y;
    }
    let x_end = scale.x(scale.window.end_ns);
    d.push_str(&format!(" L{x_end:.1},{last_y:.1} L{x_end:.1},{y0:.1} Z"));
    d
}

/// Round ticks across the window, labelled in ms (or µs when the window is under 1 ms).
pub fn ticks(window: Window, target: usize) -> Vec<(u64, String)> {
    let width = window.end_ns.saturating_sub(window.start_ns).max(1) as f64;
    let step = nice_step(width, target).max(1.0);
    let micro = width < 1e6;
    let first = (window.start_ns as f64 / step).ceil() * step;
    let mut out = Vec::new();
    let mut t = first;
    while t <= window.end_ns as f64 && out.len() < 50 {
        let label = if micro { format!("{} \u{b5}s", tick_label(t / 1e3)) } else { format!("{} ms", tick_label(t / 1e6)) };
        out.push((t as u64, label));
        t += step;
    }
    out
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;

    fn iv(start_ns: u64, end_ns: u64, state: ThreadState) -> StateInterval {
        StateInterval { start_ns, end_ns, state }
    }

    #[test]
    fn zoom_stays_inside_the_run_and_down_to_a_handoff() {
        let wall = 1_000_000_000;
        let mut w = Window::all(wall);
        for _ in 0..30 {
            w = w.apply(ZoomAction::In, wall);
        }
        assert_eq!(w.end_ns - w.start_ns, MIN_WINDOW_NS);
        w = w.apply(ZoomAction::Reset, wall);
        assert_eq!(w, Window::all(wall));
        let z = w.apply(ZoomAction::Wheel { at: 0.0, zoom_in: true }, wall);
        assert_eq!(z.start_ns, 0, "the time under the pointer stays put");
        let mut p = z;
        for _ in 0..20 {
            p = p.apply(ZoomAction::Right, wall);
        }
        assert_eq!(p.end_ns, wall);
        assert_eq!(p.apply(ZoomAction::Out, wall).apply(ZoomAction::Out, wall), Window::all(wall));
        assert_eq!(Window::all(0).apply(ZoomAction::In, 0), Window { start_ns: 0, end_ns: 1 });
        let nan = w.apply(ZoomAction::Wheel { at: f64::NAN, zoom_in: false }, wall);
        assert_eq!(nan, Window::all(wall));
        let keys: Vec<Option<ZoomAction>> = ["+", "=", "-", "_", "ArrowLeft", "ArrowRight", "0", "Home", "a", ""].iter().map(|k| ZoomAction::from_key(k)).collect();
        use ZoomAction::*;
        assert_eq!(keys, [Some(In), Some(In), Some(Out), Some(Out), Some(Left), Some(Right), Some(Reset), Some(Reset), None, None]);
    }

    #[test]
    fn bars_clip_to_the_window_and_show_the_dominant_state_when_dense() {
        let lane = [iv(0, 10, ThreadState::RunningPython), iv(10, 20, ThreadState::WaitingForGil), iv(20, 1000, ThreadState::Io), iv(1000, 1000, ThreadState::Done)];
        let scale = TimeScale { window: Window { start_ns: 0, end_ns: 1000 }, x0: 0.0, x1: 100.0 };
        let b = thread_bars(&lane, &scale);
        assert_eq!(b.len(), 3);
        assert_eq!((b[0].x, b[0].width), (0.0, 1.0));
        assert_eq!(b[2].kind, ThreadState::Io);
        // 1,000 ns of running with a 1 ns wait every 10 ns, on 10 pixels: all "running".
        let many: Vec<StateInterval> = (0..100)
            .flat_map(|i| [iv(i * 10, i * 10 + 9, ThreadState::RunningPython), iv(i * 10 + 9, i * 10 + 10, ThreadState::ForcedSwitchWait)])
            .collect();
        let wide = TimeScale { window: Window { start_ns: 0, end_ns: 1000 }, x0: 0.0, x1: 10.0 };
        let d = thread_bars(&many, &wide);
        assert_eq!(d.len(), 1, "{d:?}");
        assert_eq!((d[0].kind, d[0].start_ns, d[0].end_ns), (ThreadState::RunningPython, 0, 1000));
        // Zoomed in, every stretch is its own bar.
        let zoomed = TimeScale { window: Window { start_ns: 100, end_ns: 120 }, x0: 0.0, x1: 100.0 };
        let z = thread_bars(&many, &zoomed);
        assert_eq!(z.len(), 4);
        assert_eq!(z[1].kind, ThreadState::ForcedSwitchWait);
        assert!((z[1].x - 45.0).abs() < 1e-9 && (z[1].width - 5.0).abs() < 1e-9, "{z:?}");
    }

    #[test]
    fn core_usage_counts_threads_on_a_core() {
        let a = [iv(0, 10, ThreadState::RunningPython), iv(10, 20, ThreadState::Io)];
        let b = [iv(5, 15, ThreadState::CRelease)];
        let u = core_usage(&[&a, &b], Window { start_ns: 0, end_ns: 20 });
        assert_eq!(u, vec![(0, 1), (5, 2), (10, 1), (15, 0)]);
    }

    #[test]
    fn usage_is_computed_once_and_clipped_to_the_window() {
        let a = [iv(0, 10, ThreadState::RunningPython), iv(10, 20, ThreadState::Io)];
        let b = [iv(5, 15, ThreadState::CRelease)];
        let whole = core_usage(&[&a, &b], Window { start_ns: 0, end_ns: 20 });
        for (s, e) in [(0, 20), (7, 12), (12, 20), (15, 16)] {
            let w = Window { start_ns: s, end_ns: e };
            // Computing in the window adds a step where intervals are cut at its end.
            let mut direct = core_usage(&[&a, &b], w);
            direct.retain(|st| st.0 < e);
            assert_eq!(clip_steps(&whole, w), direct, "window {s}..{e}");
        }
        let scale = TimeScale { window: Window { start_ns: 0, end_ns: 20 }, x0: 0.0, x1: 20.0 };
        assert_eq!(usage_path(&whole, &scale, 10.0, 10.0, 2), "M0.0,10.0 L0.0,10.0 L0.0,5.0 L5.0,5.0 L5.0,0.0 L10.0,0.0 L10.0,5.0 L15.0,5.0 L15.0,10.0 L20.0,10.0 L20.0,10.0 Z");
    }

    #[test]
    fn ticks_read_at_every_zoom() {
        let t = ticks(Window { start_ns: 0, end_ns: 1_000_000_000 }, 5);
        assert_eq!(t.first().map(|x| x.1.as_str()), Some("0 ms"));
        assert_eq!(t.get(1).map(|x| x.1.as_str()), Some("200 ms"));
        let t = ticks(Window { start_ns: 5_000_000, end_ns: 5_400_000 }, 4);
        assert_eq!(t.first().map(|x| x.1.as_str()), Some("5000 \u{b5}s"));
        let t = ticks(Window { start_ns: 12_345_678, end_ns: 22_345_678 }, 5);
        assert_eq!(t.first().map(|x| x.1.as_str()), Some("14 ms"));
        assert!(t.len() <= 50);
    }
}
