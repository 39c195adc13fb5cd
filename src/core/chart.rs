//! Chart geometry: scales, tick marks, timeline bars and line paths in SVG user units.
//! Views only copy these numbers into SVG attributes.

/// Maps a data interval onto a pixel interval.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Scale {
    pub domain: (f64, f64),
    pub range: (f64, f64),
}

impl Scale {
    pub fn new(domain: (f64, f64), range: (f64, f64)) -> Scale {
        Scale { domain, range }
    }

    pub fn map(&self, v: f64) -> f64 {
        let (d0, d1) = self.domain;
        let (r0, r1) = self.range;
        if (d1 - d0).abs() < f64::EPSILON || !v.is_finite() {
            return r0;
        }
        r0 + (v - d0) / (d1 - d0) * (r1 - r0)
    }
}

/// The round step (1, 2 or 5 times a power of ten) that cuts `span` into about `target`
/// pieces.
pub fn nice_step(span: f64, target: usize) -> f64 {
    let span = if span.is_finite() && span > 0.0 { span } else { 1.0 };
    let raw_step = span / target.max(1) as f64;
    let magnitude = 10f64.powf(raw_step.log10().floor());
    [1.0, 2.0, 5.0, 10.0].into_iter().map(|m| m * magnitude).find(|s| *s >= raw_step).unwrap_or(10.0 * magnitude)
}

/// Round tick values (1, 2 or 5 times a power of ten) covering `0..=max`, about `target`
/// of them. Always includes 0 and at least one value >= `max`.
pub fn nice_ticks(max: f64, target: usize) -> Vec<f64> {
    let max = if max.is_finite() && max > 0.0 { max } else { 1.0 };
    let step = nice_step(max, target);
    let count = (max / step).ceil() as usize;
    (0..=count.min(1000)).map(|i| i as f64 * step).collect()
}

/// Formats a tick label without float noise: 0.30000000000000004 -> "0.3".
pub fn tick_label(v: f64) -> String {
    let rounded = (v * 1e6).round() / 1e6;
    if rounded.fract() == 0.0 {
        format!("{}", rounded as i64)
    } else {
        format!("{rounded}")
    }
}

/// One bar of a lane timeline.
#[derive(Clone, Debug, PartialEq)]
pub struct Bar {
    pub lane: usize,
    /// Index of the item the bar stands for, for colours and tooltips.
    pub item: usize,
    pub x: f64,
    pub y: f64,
    pub width: f64,
    pub height: f64,
}

/// A timeline: one lane per worker (or thread, or request), time along x.
#[derive(Clone, Debug, PartialEq)]
pub struct Timeline {
    pub width: f64,
    pub height: f64,
    /// Where the plotting area starts (room for lane labels on the left).
    pub left: f64,
    pub lane_height: f64,
    pub bars: Vec<Bar>,
    /// (x, label) of the time axis ticks, in ms.
    pub ticks: Vec<(f64, String)>,
    pub axis_y: f64,
    /// Time to x: for marks a view draws over the bars.
    pub x: Scale,
}

pub struct TimelineLayout {
    pub width: f64,
    pub left: f64,
    pub lane_height: f64,
    pub gap: f64,
    pub axis_height: f64,
}

impl Default for TimelineLayout {
    fn default() -> Self {
        TimelineLayout { width: 800.0, left: 80.0, lane_height: 26.0, gap: 6.0, axis_height: 24.0 }
    }
}

/// Lays out `spans` = (lane, item, start, end) over `lanes` lanes. The time axis spans
/// `0..=max(total, latest end)`, so bars of a running experiment do not jump around.
pub fn timeline(spans: &[(usize, usize, f64, f64)], lanes: usize, total: f64, layout: &TimelineLayout) -> Timeline {
    let latest = spans.iter().map(|s| s.2.max(s.3)).fold(0.0, f64::max);
    let end = if total.is_finite() { total.max(latest) } else { latest };
    let ticks_values = nice_ticks(end, 6);
    let x = time_scale(end, layout);
    let lanes = lanes.max(1);
    let lane_step = layout.lane_height + layout.gap;
    let bars = spans
        .iter()
        .filter(|s| s.0 < lanes)
        .map(|&(lane, item, start, stop)| {
            let x0 = x.map(start.max(0.0));
            let x1 = x.map(stop.max(start));
            Bar {
                lane,
                item,
                x: x0,
                y: lane as f64 * lane_step,
                // Keep instantaneous tasks visible.
                width: (x1 - x0).max(1.0),
                height: layout.lane_height,
            }
        })
        .collect();
    let axis_y = lanes as f64 * lane_step;
    Timeline {
        width: layout.width,
        height: axis_y + layout.axis_height,
        left: layout.left,
        lane_height: layout.lane_height,
        bars,
        ticks: ticks_values.iter().map(|&t| (x.map(t), tick_label(t))).collect(),
        axis_y,
        x,
    }
}

/// The x scale [`timeline`] uses for a time axis that must reach `end`: from 0 to the
/// round tick at or after it.
pub fn time_scale(end: f64, layout: &TimelineLayout) -> Scale {
    let axis_end = nice_ticks(end, 6).last().copied().unwrap_or(1.0).max(f64::MIN_POSITIVE);
    Scale::new((0.0, axis_end), (layout.left, layout.width - 8.0))
}

/// A small x/y line chart, e.g. speedup against worker count.
#[derive(Clone, Debug, PartialEq)]
pub struct LineChart {
    pub width: f64,
    pub height: f64,
    pub left: f64,
    pub bottom: f64,
    /// SVG path data for each series, in the order given.
    pub paths: Vec<String>,
    /// Marker positions for each series.
    pub points: Vec<Vec<(f64, f64)>>,
    pub x_ticks: Vec<(f64, String)>,
    pub y_ticks: Vec<(f64, String)>,
}

pub fn line_chart(series: &[Vec<(f64, f64)>], width: f64, height: f64) -> LineChart {
    let (left, right, top, bottom_pad) = (44.0, 12.0, 10.0, 30.0);
    let all = series.iter().flatten();
    let max_x = all.clone().map(|p| p.0).fold(1.0, f64::max);
    let max_y = all.map(|p| p.1).filter(|v| v.is_finite()).fold(1.0, f64::max);
    let y_ticks = nice_ticks(max_y, 5);
    let y_top = y_ticks.last().copied().unwrap_or(1.0);
    let bottom = height - bottom_pad;
    let xs = Scale::new((0.0, max_x), (left, width - right));
    let ys = Scale::new((0.0, y_top), (bottom, top));
    let points: Vec<Vec<(f64, f64)>> = series
        .iter()
        .map(|s| s.iter().filter(|p| p.0.is_finite() && p.1.is_finite()).map(|&(a, b)| (xs.map(a), ys.map(b))).collect())
        .collect();
    let paths = points
        .iter()
        .map(|pts| {
            pts.iter()
                .enumerate()
                .map(|(i, (x, y))| format!("{}{:.1},{:.1}", if i == 0 { "M" } else { "L" }, x, y))
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect();
    let x_count = max_x.ceil() as usize;
    let x_ticks = (0..=x_count.min(64)).map(|i| (xs.map(i as f64), i.to_string())).collect();
    LineChart {
        width,
        height,
        left,
        bottom,
        paths,
        points,
        x_ticks,
        y_ticks: y_ticks.iter().map(|&v| (ys.map(v), tick_label(v))).collect(),
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn scale_maps_ends_and_survives_empty_domain() {
        let s = Scale::new((0.0, 10.0), (100.0, 200.0));
        assert_eq!(s.map(0.0), 100.0);
        assert_eq!(s.map(10.0), 200.0);
        assert_eq!(Scale::new((3.0, 3.0), (5.0, 9.0)).map(3.0), 5.0);
    }

    #[test]
    fn ticks_are_round_and_cover_max() {
        assert_eq!(nice_ticks(137.0, 6), vec![0.0, 50.0, 100.0, 150.0]);
        assert_eq!(nice_ticks(1.0, 5), vec![0.0, 0.2, 0.4, 0.6000000000000001, 0.8, 1.0]);
        assert_eq!(nice_ticks(0.0, 5).last(), Some(&1.0));
        assert_eq!(tick_label(0.6000000000000001), "0.6");
        assert_eq!(tick_label(50.0), "50");
    }

    #[test]
    fn timeline_puts_bars_in_lanes_in_order() {
        let spans = [(0, 0, 0.0, 50.0), (1, 1, 0.0, 100.0), (0, 2, 50.0, 100.0)];
        let t = timeline(&spans, 2, 100.0, &TimelineLayout::default());
        assert_eq!(t.bars.len(), 3);
        assert_eq!(t.bars[0].x, 80.0);
        assert!(t.bars[1].y > t.bars[0].y);
        assert!((t.bars[2].x - (t.bars[0].x + t.bars[0].width)).abs() < 1e-9);
        assert_eq!(t.ticks.first().unwrap().1, "0");
        assert!(t.bars.iter().all(|b| b.x + b.width <= t.width));
    }

    #[test]
    fn line_chart_scales_into_the_box() {
        let c = line_chart(&[vec![(1.0, 1.0), (2.0, 1.9)], vec![(1.0, 1.0), (2.0, 2.0)]], 300.0, 200.0);
        assert_eq!(c.paths.len(), 2);
        assert!(c.paths[0].starts_with('M'));
        for (x, y) in c.points.iter().flatten() {
            assert!(*x >= c.left && *x <= 300.0 && *y >= 0.0 && *y <= c.bottom);
        }
    }

    proptest! {
        #[test]
        fn timeline_never_leaves_its_box(spans in prop::collection::vec((0usize..4, 0usize..100, -10.0f64..1e6, 0.0f64..1e6), 0..50), total in 0.0f64..1e6) {
            let t = timeline(&spans, 4, total, &TimelineLayout::default());
            for b in &t.bars {
                prop_assert!(b.x >= t.left - 1e-6 && b.x + b.width <= t.width + 1.0);
            }
        }

        #[test]
        fn ticks_never_explode(max in prop::num::f64::ANY, target in 0usize..50) {
            let ticks = nice_ticks(max, target);
            prop_assert!(!ticks.is_empty() && ticks.len() <= 1001);
        }
    }
}
