//! The monitor's own poll health.

use maud::{html, Markup};

use super::format::*;
use crate::snapshot::Time;
use crate::state::ClusterView;

pub(super) fn poll_health_block(v: &ClusterView, now: Time) -> Markup {
    let snap = v.snapshot.as_deref();
    html! {
        section.panel {
            h3 { "Monitor health" }
            dl.facts {
                div { dt { "polls" } dd { (v.polls) } }
                div { dt { "polls that failed to reach the cluster" } dd { (v.poll_errors) } }
                div { dt { "last successful poll" } dd { @if let Some(t) = v.last_success { (clock(t)) " (" (ago(now, t)) ")" } @else { "never" } } }
                @if let Some(s) = snap { div { dt { "last poll took" } dd { (format!("{:.0} ms", s.poll_duration.as_secs_f64() * 1000.0)) } } }
                @if let Some(e) = &v.last_error { div { dt { "last error" } dd.crit { (e) } } }
            }
            @if !v.failing_steps.is_empty() {
                h4 { "Failing poll steps" }
                ul { @for (step, msg) in &v.failing_steps { li { strong { (step) } ": " (msg) } } }
            }
            @if !v.step_errors.is_empty() {
                p.muted { "Polls with a failed step since start: "
                    @for (n, (step, count)) in v.step_errors.iter().enumerate() { @if n > 0 { ", " } (step) " " (count) } }
            }
        }
    }
}
