//! Firing and recently resolved incidents: summary, findings with their
//! evidence, next steps, timeline.

use maud::{html, Markup};

use super::format::*;
use super::limits::*;
use crate::finding::{Finding, Severity};
use crate::model::{Incident, IncidentState};
use crate::snapshot::Time;

pub(super) fn severity_class(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "crit",
        Severity::Warning => "warn",
        Severity::Info => "info",
    }
}

pub(super) fn incidents_block(cluster: &str, mine: &[&Incident], now: Time) -> Markup {
    let mut active: Vec<&Incident> = mine
        .iter()
        .copied()
        .filter(|i| i.state != IncidentState::Resolved)
        .collect();
    active.sort_by(|a, b| {
        (b.state == IncidentState::Firing)
            .cmp(&(a.state == IncidentState::Firing))
            .then(b.severity.cmp(&a.severity))
            .then(b.started_at.cmp(&a.started_at))
    });
    let mut resolved: Vec<&Incident> = mine
        .iter()
        .copied()
        .filter(|i| i.state == IncidentState::Resolved)
        .collect();
    resolved.sort_by_key(|i| std::cmp::Reverse(i.resolved_at));
    resolved.truncate(RESOLVED_ROWS);
    html! {
        section.panel.wide id={ "incidents-" (cluster) } {
            h3 { "Incidents" }
            @if active.is_empty() {
                p.ok { "No firing or pending incident." }
            }
            @for i in &active { (incident(i, now, true)) }
            @if !resolved.is_empty() {
                h4 { "Recently resolved" }
                @for i in &resolved { (incident(i, now, false)) }
            }
        }
    }
}

pub(super) fn incident(i: &Incident, now: Time, open: bool) -> Markup {
    html! {
        details.incident id={ "incident-" (i.id) } data-kind=(i.kind.as_str()) data-state=(i.state.as_str()) open[open] {
            summary {
                span class={ "badge " (severity_class(i.severity)) } { (i.severity.as_str()) }
                " "
                span class={ "badge state-" (i.state.as_str()) } { (i.state.as_str()) }
                " " strong.title { (i.title) }
                " " span.muted { "since " (clock(i.started_at)) " (" (ago(now, i.started_at)) ")" }
                @if i.flapping { " " span.tag { "flapping" } }
                @if let Some(s) = &i.silenced_by { " " span.tag { "silenced by " (s) } }
            }
            @if let Some(s) = &i.summary {
                div.summary {
                    p.headline { (s.headline) }
                    p { strong { "What happened: " } (s.what_happened) }
                    p { strong { "Impact: " } (s.impact) }
                    p { strong { "Likely cause: " } (s.likely_cause) }
                    @if !s.next_steps.is_empty() {
                        h5 { "Next steps" }
                        ol.steps { @for step in &s.next_steps { li { (step) } } }
                    }
                    p.muted { "written by " @match &s.source { crate::model::SummarySource::Template => "the template", crate::model::SummarySource::Llm { provider, model } => { (provider) " " (model) } }
                        @if let Some(r) = &s.fallback_reason { " (" (r) ")" } }
                }
            } @else {
                p.muted { "No summary yet." }
            }
            @if !i.affected.brokers.is_empty() || i.affected.partition_count > 0 || !i.affected.groups.is_empty() {
                p.affected {
                    strong { "Affected: " }
                    @if !i.affected.brokers.is_empty() { "brokers " (ids(&i.affected.brokers)) "; " }
                    @if i.affected.partition_count > 0 { (i.affected.partition_count) " partitions in " (i.affected.topics.len()) " topics; " }
                    @if !i.affected.groups.is_empty() { "groups " (i.affected.groups.join(", ")) }
                }
            }
            h5 { "Findings" }
            p.muted {
                @for (n, (kind, count)) in i.counts.iter().enumerate() {
                    @if n > 0 { ", " } (count) " " (kind.as_str())
                }
            }
            ul.findings {
                @for f in i.findings.iter().take(FINDING_ROWS) {
                    li {
                        span class=(severity_class(f.severity)) { (f.kind.as_str()) } " · " (f.subject.to_string())
                        " · since " (clock(f.since))
                        (evidence(f))
                    }
                }
            }
            @if i.findings.len() > FINDING_ROWS { p.muted { (i.findings.len() - FINDING_ROWS) " more findings" } }
            h5 { "Timeline" }
            ol.timeline {
                @let skip = i.timeline.len().saturating_sub(TIMELINE_ROWS);
                @for e in i.timeline.iter().skip(skip) {
                    li { time datetime=(e.at.to_rfc3339()) { (clock(e.at)) } " " strong { (e.event) } " " (e.detail) }
                }
            }
        }
    }
}

/// A finding's evidence: what it implicates and the numbers and facts
/// behind it. The one place that knows how a finding carries evidence.
pub fn evidence(f: &Finding) -> Markup {
    html! {
        @if !f.brokers.is_empty() || !f.metrics.is_empty() || !f.labels.is_empty() || f.anomaly.is_some() {
            dl.evidence {
                @if !f.brokers.is_empty() { div { dt { "brokers" } dd { (ids(&f.brokers)) } } }
                @for (k, v) in &f.metrics { div { dt { (k) } dd { (number(*v)) } } }
                @for (k, v) in &f.labels { div { dt { (k) } dd { (v) } } }
                @if let Some(a) = &f.anomaly { div { dt { "anomaly" } dd { (a.explanation) } } }
            }
        }
    }
}
