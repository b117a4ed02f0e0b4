//! Small SVG charts of the recent past ([`crate::state::ChartHistory`]).

use std::collections::VecDeque;
use std::fmt::Write as _;

use maud::{html, Markup};

use super::format::*;
use super::limits::*;
use crate::snapshot::Time;
use crate::state::ClusterView;

pub(super) fn charts_block(v: &ClusterView, now: Time) -> Markup {
    let h = &v.charts;
    let urp: [(&str, &VecDeque<(Time, f64)>); 1] = [("under-replicated", &h.under_replicated)];
    let groups: Vec<(&str, &VecDeque<(Time, f64)>)> =
        h.group_lag.iter().map(|(k, b)| (k.as_str(), b)).collect();
    let scores: Vec<(&str, &VecDeque<(Time, f64)>)> = h
        .anomaly_scores
        .iter()
        .map(|(k, b)| (k.as_str(), b))
        .collect();
    html! {
        section.panel.wide {
            h3 { "Recent history" }
            div.charts {
                (chart("Under-replicated partitions", &urp, now, None))
                (chart("Consumer lag (messages)", &groups, now, None))
                (chart("Anomaly scores", &scores, now, Some(1.0)))
            }
        }
    }
}

const CHART_W: f64 = 320.0;
const CHART_H: f64 = 120.0;
const CHART_LEFT: f64 = 44.0;
const CHART_BOTTOM: f64 = 16.0;

/// A line chart as inline SVG: one polyline per series over the span of
/// the history, y from 0 to the largest value (or `y_max`).
pub(super) fn chart(
    title: &str,
    series: &[(&str, &VecDeque<(Time, f64)>)],
    now: Time,
    y_max: Option<f64>,
) -> Markup {
    let first = series
        .iter()
        .filter_map(|(_, b)| b.front())
        .map(|p| p.0)
        .min();
    let last = series
        .iter()
        .filter_map(|(_, b)| b.back())
        .map(|p| p.0)
        .max();
    let top = y_max.unwrap_or_else(|| {
        series
            .iter()
            .flat_map(|(_, b)| b.iter().map(|p| p.1))
            .fold(0.0f64, f64::max)
            .max(1.0)
    });
    let (Some(first), Some(last)) = (first, last) else {
        return html! { figure.chart { figcaption { (title) } p.muted { "No data yet." } } };
    };
    let span = ((last - first).num_milliseconds() as f64).max(1.0);
    let plot_w = CHART_W - CHART_LEFT - 4.0;
    let plot_h = CHART_H - CHART_BOTTOM - 6.0;
    let points = |b: &VecDeque<(Time, f64)>| {
        let step = b.len().div_ceil(CHART_DRAWN_POINTS).max(1);
        let mut out = String::new();
        for (i, (at, val)) in b.iter().enumerate() {
            if i % step != 0 && i + 1 != b.len() {
                continue;
            }
            let x = CHART_LEFT + plot_w * ((*at - first).num_milliseconds() as f64 / span);
            let y = 6.0 + plot_h * (1.0 - (val / top).clamp(0.0, 1.0));
            let _ = write!(out, "{x:.1},{y:.1} ");
        }
        out
    };
    let label = format!(
        "{title}: {} series from {} to {} UTC, at most {}",
        series.len(),
        clock(first),
        clock(last),
        number(top)
    );
    html! {
        figure.chart {
            figcaption { (title) " " span.muted { "(" (ago(now, first)) " to " (ago(now, last)) ")" } }
            svg viewBox={ "0 0 " (CHART_W) " " (CHART_H) } role="img" aria-label=(label) xmlns="http://www.w3.org/2000/svg" {
                title { (label) }
                line.axis x1=(CHART_LEFT) y1=(6) x2=(CHART_LEFT) y2=(CHART_H - CHART_BOTTOM) {}
                line.axis x1=(CHART_LEFT) y1=(CHART_H - CHART_BOTTOM) x2=(CHART_W - 4.0) y2=(CHART_H - CHART_BOTTOM) {}
                text.tick x=(CHART_LEFT - 4.0) y=(12) text-anchor="end" { (number(top)) }
                text.tick x=(CHART_LEFT - 4.0) y=(CHART_H - CHART_BOTTOM) text-anchor="end" { "0" }
                text.tick x=(CHART_LEFT) y=(CHART_H - 3.0) { (clock(first)) }
                text.tick x=(CHART_W - 4.0) y=(CHART_H - 3.0) text-anchor="end" { (clock(last)) }
                @for (i, (_, b)) in series.iter().enumerate() {
                    polyline class={ "line c" (i % 12) } points=(points(b)) {}
                }
            }
            @if series.len() > 1 || series.first().is_some_and(|s| s.0 != "under-replicated") {
                ul.legend {
                    @for (i, (name, b)) in series.iter().enumerate() {
                        li { span class={ "swatch c" (i % 12) } aria-hidden="true" {} (name) ": " (b.back().map(|p| number(p.1)).unwrap_or_default()) }
                    }
                }
            }
        }
    }
}
