//! The status page: `GET /`, server-rendered HTML for people.
//!
//! Per cluster: brokers, partition states with the worst partitions,
//! consumer groups by lag status, incidents with their summaries, findings
//! and timelines, anomaly scores, small SVG charts of the recent past
//! ([`crate::state::ChartHistory`]) and the monitor's own poll health; and
//! the silences, with forms to add and expire them.
//!
//! It reads [`crate::state`] like the API does; the only writes are the
//! silence forms, which go through the same [`SilenceApi`] as
//! `POST /api/v1/silences`. Every name that comes from a cluster is
//! untrusted: the templates are `maud`'s, which escapes every spliced
//! value, and no value is ever spliced unescaped. The page has no inline
//! script or style (the Content-Security-Policy [`CSP`] forbids them): the
//! stylesheet and the live-refresh script are embedded files served under
//! `/assets/`. The script fetches `/live` (the `<main id="live">` part) at
//! the poll interval and swaps it in.
//!
//! What is shown is bounded whatever the cluster's size: counts, the
//! [`WORST_PARTITIONS`] worst partitions, the [`GROUP_ROWS`] most lagging
//! groups, so a 100,000-partition cluster renders in milliseconds
//! (`isrwatch bench scale`, docs/benchmarks.md).

use std::collections::{BTreeMap, VecDeque};
use std::fmt::Write as _;
use std::time::Duration;

use maud::{html, Markup, DOCTYPE};
use serde_json::Value;

use crate::evaluate::LagStatus;
use crate::finding::{Finding, Severity};
use crate::http::api::{cluster_status, SilenceApi};
use crate::model::{Incident, IncidentState};
use crate::snapshot::{BrokerId, ClusterSnapshot, Time};
use crate::state::{ClusterView, SharedState};

/// The page's stylesheet (`/assets/style.css`).
pub const STYLE_CSS: &str = include_str!("assets/style.css");
/// The live-refresh script (`/assets/app.js`).
pub const APP_JS: &str = include_str!("assets/app.js");

/// The Content-Security-Policy of every page: scripts, styles, fetches and
/// form posts only from this origin, nothing inline, no frames.
pub const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
    img-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'; \
    frame-ancestors 'none'";

/// Partitions listed under "worst partitions" (the counts cover all).
pub const WORST_PARTITIONS: usize = 25;
/// Consumer groups listed (lagging first, then the most lag).
pub const GROUP_ROWS: usize = 50;
/// Anomaly scores listed (highest first).
pub const ANOMALY_ROWS: usize = 20;
/// Findings listed per incident (its counts cover all).
pub const FINDING_ROWS: usize = 8;
/// Timeline events listed per incident (the newest).
pub const TIMELINE_ROWS: usize = 20;
/// Resolved incidents listed per cluster (the newest).
pub const RESOLVED_ROWS: usize = 10;
/// Points drawn per chart line (the history is thinned to this).
const CHART_DRAWN_POINTS: usize = 180;

/// What the page needs besides the shared state.
pub struct PageInput<'a> {
    pub state: &'a SharedState,
    pub silences: Option<&'a dyn SilenceApi>,
    /// How often the page refreshes itself.
    pub refresh: Duration,
    /// Whether an API token is configured (writes are refused without one).
    pub token_configured: bool,
    /// A message about the last form sent, shown above the silences.
    pub notice: Option<&'static str>,
    /// Show only this cluster (`/?cluster=NAME`); every cluster when `None`.
    pub only: Option<&'a str>,
    pub now: Time,
}

/// The whole page.
pub fn render_page(input: &PageInput<'_>) -> String {
    let markup = html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { "isrwatch status" }
                link rel="stylesheet" href="/assets/style.css";
                script src="/assets/app.js" defer {}
            }
            body {
                header.top {
                    h1 { "isrwatch" }
                    nav aria-label="clusters" {
                        ul {
                            @for name in input.state.cluster_names() {
                                @if input.only.is_none() {
                                    li { a href={ "#cluster-" (name) } { (name) } }
                                } @else {
                                    li { a href={ "/?cluster=" (url_component(&name)) } { (name) } }
                                }
                            }
                            @if input.only.is_some() { li { a href="/" { "all clusters" } } }
                            li { a href="#silences" { "silences" } }
                        }
                    }
                    p id="refresh-status" role="status" aria-live="polite" {
                        "updated " (clock(input.now)) " UTC"
                    }
                }
                (live(input))
                (silences_section(input))
                footer {
                    p {
                        "JSON: " a href="/api/v1/status" { "/api/v1/status" }
                        " · " a href="/api/v1/openapi.json" { "OpenAPI" }
                        " · " a href="/metrics" { "/metrics" }
                    }
                }
            }
        }
    };
    markup.into_string()
}

/// The part the page refreshes: `<main id="live">`.
pub fn render_live(input: &PageInput<'_>) -> String {
    live(input).into_string()
}

fn live(input: &PageInput<'_>) -> Markup {
    let incidents = input.state.incidents();
    let mut views = input.state.clusters();
    if let Some(only) = input.only {
        views.retain(|v| v.name == only);
    }
    html! {
        main id="live" data-refresh-ms=(input.refresh.as_millis().max(1000)) data-rendered-at=(input.now.to_rfc3339()) {
            @for v in &views {
                (cluster_section(v, &incidents, input.now))
            }
        }
    }
}

fn cluster_section(v: &ClusterView, incidents: &[Incident], now: Time) -> Markup {
    let mine: Vec<&Incident> = incidents.iter().filter(|i| i.cluster == v.name).collect();
    let firing = mine
        .iter()
        .filter(|i| i.state == IncidentState::Firing)
        .count();
    let status = cluster_status(v, firing);
    let snap = v.snapshot.as_deref();
    html! {
        section.cluster id={ "cluster-" (v.name) } aria-labelledby={ "h-" (v.name) } {
            h2 id={ "h-" (v.name) } {
                "Cluster " (v.name) " "
                span class={ "badge " (status.status) } data-status=(status.status) { (status.status) }
                " " a.small href={ "/?cluster=" (url_component(&v.name)) } { "this cluster only" }
            }
            @if firing > 0 {
                p.crit { (firing) " firing incident" @if firing > 1 { "s" } }
            }
            @if !status.reasons.is_empty() {
                ul.reasons {
                    @for r in &status.reasons { li { (r) } }
                }
            }
            div.grid {
                (incidents_block(&v.name, &mine, now))
                @match snap {
                    Some(s) if s.reachable => {
                        (brokers_block(s))
                        (partitions_block(v, s))
                        (groups_block(v, s))
                    }
                    _ => {}
                }
                (charts_block(v, now))
                (anomalies_block(v))
                (poll_health_block(v, now))
            }
        }
    }
}

// ---------------------------------------------------------------- brokers

fn brokers_block(s: &ClusterSnapshot) -> Markup {
    // Leaders and preferred leaderships (first replica) in one pass.
    let mut leads: BTreeMap<BrokerId, usize> = BTreeMap::new();
    let mut preferred: BTreeMap<BrokerId, usize> = BTreeMap::new();
    for (_, p) in s.partitions() {
        if let Some(l) = p.leader {
            *leads.entry(l).or_default() += 1;
        }
        if let Some(&first) = p.replicas.first() {
            *preferred.entry(first).or_default() += 1;
        }
    }
    let total_preferred: usize = preferred.values().sum();
    let total_leads: usize = leads.values().sum();
    let mut rows: Vec<(BrokerId, Option<&crate::snapshot::BrokerInfo>)> =
        s.brokers.iter().map(|b| (b.id, Some(b))).collect();
    rows.extend(s.missing_brokers.iter().map(|&id| (id, None)));
    rows.sort_by_key(|r| r.0);
    html! {
        section.panel {
            h3 { "Brokers" }
            p.muted {
                (s.brokers.len()) " up of " (s.brokers.len() + s.missing_brokers.len())
                @if let Some(c) = s.controller { " · controller " (c) } @else { " · no active controller" }
            }
            div.scroll {
                table {
                    thead { tr {
                        th scope="col" { "broker" } th scope="col" { "address" } th scope="col" { "state" }
                        th scope="col" { "reachable" } th scope="col" class="num" { "leaders" }
                        th scope="col" class="num" title="leaderships it holds / its preferred leaderships (first replica)" { "preferred share" }
                    } }
                    tbody {
                        @for (id, info) in &rows {
                            @let up = info.is_some();
                            @let reachable = if !up { Some(false) } else if s.brokers_probed { Some(s.unreachable_brokers.binary_search(id).is_err()) } else { None };
                            @let l = leads.get(id).copied().unwrap_or(0);
                            @let pr = preferred.get(id).copied().unwrap_or(0);
                            tr data-broker=(id) data-state=(if up { "up" } else { "down" }) class=(if up { "" } else { "bad-row" }) {
                                th scope="row" {
                                    (id)
                                    @if s.controller == Some(*id) { " " span.tag { "controller" } }
                                }
                                td { @if let Some(b) = info { (b.host) ":" (b.port) @if let Some(r) = &b.rack { " (rack " (r) ")" } } @else { "—" } }
                                td { @if up { span.ok { "up" } } @else { span.crit { "DOWN" } } }
                                td { @match reachable { Some(true) => span.ok { "yes" }, Some(false) => span.crit { "no" }, None => span.muted { "not probed" } } }
                                td.num { (l) }
                                td.num {
                                    (l) " / " (pr)
                                    @if total_preferred > 0 && total_leads > 0 {
                                        " (" (pct(l as f64 / total_leads as f64)) " of leaders vs " (pct(pr as f64 / total_preferred as f64)) ")"
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

// ------------------------------------------------------------- partitions

fn partitions_block(v: &ClusterView, s: &ClusterSnapshot) -> Markup {
    let c = v.counts.unwrap_or_else(|| s.counts());
    // The worst flagged partitions: offline, under min ISR, under-replicated,
    // at min ISR, reassigning, off their preferred leader; most replicas
    // missing first.
    let rank = |p: &crate::snapshot::PartitionInfo| {
        let st = &p.state;
        let r = if st.offline {
            5
        } else if st.under_min_isr {
            4
        } else if st.under_replicated {
            3
        } else if st.at_min_isr {
            2
        } else if st.reassigning {
            1
        } else {
            0
        };
        (r, p.replicas.len().saturating_sub(p.isr.len()))
    };
    let mut flagged: Vec<_> = v
        .flagged
        .iter()
        .filter_map(|&(ti, pi)| {
            let t = s.topics.get(ti as usize)?;
            let p = t.partitions.get(pi as usize)?;
            Some((rank(p), t, p))
        })
        .collect();
    let shown = WORST_PARTITIONS.min(flagged.len());
    if shown > 0 && flagged.len() > shown {
        flagged.select_nth_unstable_by(shown - 1, |a, b| b.0.cmp(&a.0));
    }
    flagged.truncate(shown);
    flagged.sort_by(|a, b| {
        b.0.cmp(&a.0)
            .then_with(|| a.1.name.cmp(&b.1.name))
            .then(a.2.partition.cmp(&b.2.partition))
    });
    let counts = [
        ("offline", c.offline, "crit"),
        ("under min ISR", c.under_min_isr, "crit"),
        ("under-replicated", c.under_replicated, "warn"),
        ("at min ISR", c.at_min_isr, "warn"),
        ("reassigning", c.reassigning, "info"),
        ("leader not preferred", c.leader_not_preferred, "info"),
    ];
    html! {
        section.panel.wide {
            h3 { "Partitions" }
            p.muted { (c.total) " partitions in " (s.topics.len()) " topics" }
            dl.counts {
                @for (name, n, class) in counts {
                    div class=(if n > 0 { class } else { "zero" }) data-count=(name) {
                        dt { (name) } dd { (n) }
                    }
                }
            }
            @if flagged.is_empty() {
                p.ok { "Every partition is fully replicated on its preferred leader." }
            } @else {
                h4 { "Worst partitions" @if v.flagged.len() > shown { " (" (shown) " of " (v.flagged.len()) ")" } }
                div.scroll {
                    table {
                        thead { tr {
                            th scope="col" { "topic" } th scope="col" class="num" { "partition" } th scope="col" { "state" }
                            th scope="col" { "leader" } th scope="col" { "replicas" } th scope="col" { "ISR" }
                            th scope="col" { "missing from ISR" }
                        } }
                        tbody {
                            @for (_, t, p) in &flagged {
                                tr {
                                    td.name { (t.name) }
                                    td.num { (p.partition) }
                                    td { (partition_state_words(&p.state)) }
                                    td { @if let Some(l) = p.leader { (l) } @else { span.crit { "none" } } }
                                    td { (ids(&p.replicas)) }
                                    td { (ids(&p.isr)) }
                                    td { span.crit { (ids(&p.missing_from_isr())) } }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn partition_state_words(st: &crate::snapshot::PartitionState) -> String {
    let mut w = Vec::new();
    for (on, word) in [
        (st.offline, "offline"),
        (st.under_min_isr, "under min ISR"),
        (st.under_replicated, "under-replicated"),
        (st.at_min_isr, "at min ISR"),
        (st.reassigning, "reassigning"),
        (st.leader_not_preferred, "leader not preferred"),
    ] {
        if on {
            w.push(word);
        }
    }
    w.join(", ")
}

fn ids(list: &[BrokerId]) -> String {
    if list.is_empty() {
        return "—".into();
    }
    list.iter()
        .map(|b| b.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

// ----------------------------------------------------------------- groups

fn lag_class(s: LagStatus) -> &'static str {
    match s {
        LagStatus::Ok => "ok",
        LagStatus::Warn | LagStatus::Rewind => "warn",
        LagStatus::Err | LagStatus::Stop | LagStatus::Stall => "crit",
    }
}

fn groups_block(v: &ClusterView, s: &ClusterSnapshot) -> Markup {
    let groups = &v.evaluation.groups;
    let mut by_status: BTreeMap<LagStatus, usize> = BTreeMap::new();
    for g in groups {
        *by_status.entry(g.status).or_default() += 1;
    }
    let mut order: Vec<&crate::evaluate::GroupLagStatus> = groups.iter().collect();
    order.sort_by(|a, b| {
        (b.status != LagStatus::Ok)
            .cmp(&(a.status != LagStatus::Ok))
            .then(b.total_lag.cmp(&a.total_lag))
            .then_with(|| a.group.cmp(&b.group))
    });
    let shown = order.len().min(GROUP_ROWS);
    html! {
        section.panel.wide {
            h3 { "Consumer groups" }
            @if groups.is_empty() {
                p.muted { "No consumer groups watched." }
            } @else {
                dl.counts {
                    @for (st, n) in &by_status {
                        div class=(lag_class(*st)) data-count=(st.as_str()) { dt { (st.as_str()) } dd { (n) } }
                    }
                }
                div.scroll {
                    table {
                        thead { tr {
                            th scope="col" { "group" } th scope="col" { "status" } th scope="col" { "members" }
                            th scope="col" class="num" { "lag (messages)" } th scope="col" class="num" { "lag (time)" }
                            th scope="col" { "why" }
                        } }
                        tbody {
                            @for g in order.iter().take(shown) {
                                tr data-group=(g.group) {
                                    td.name { (g.group) }
                                    td { span class=(lag_class(g.status)) { (g.status.as_str()) } }
                                    td { @if let Some(info) = s.group(&g.group) { (info.members) " (" (info.state) ")" } }
                                    td.num { (g.total_lag) }
                                    td.num { @if let Some(secs) = g.max_lag_seconds { (seconds(secs)) } @else { "—" } }
                                    td title=(g.reason) { (shorten(&g.reason, 160)) }
                                }
                            }
                        }
                    }
                }
                @if order.len() > shown {
                    p.muted { (order.len() - shown) " more groups, all " (lag_word(order[shown..].iter().all(|g| g.status == LagStatus::Ok))) " — see " a href={ "/api/v1/clusters/" (v.name) "/groups" } { "the API" } }
                }
            }
        }
    }
}

fn lag_word(all_ok: bool) -> &'static str {
    if all_ok {
        "OK"
    } else {
        "with less lag"
    }
}

// -------------------------------------------------------------- incidents

fn severity_class(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "crit",
        Severity::Warning => "warn",
        Severity::Info => "info",
    }
}

fn incidents_block(cluster: &str, mine: &[&Incident], now: Time) -> Markup {
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

fn incident(i: &Incident, now: Time, open: bool) -> Markup {
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

// ---------------------------------------------------------------- charts

fn charts_block(v: &ClusterView, now: Time) -> Markup {
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
fn chart(
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

// -------------------------------------------------------------- anomalies

fn anomalies_block(v: &ClusterView) -> Markup {
    let mut scores: Vec<&crate::finding::AnomalyScore> = v.evaluation.anomalies.iter().collect();
    scores.sort_by(|a, b| b.score.total_cmp(&a.score));
    let shown = scores.len().min(ANOMALY_ROWS);
    html! {
        section.panel {
            h3 { "Anomaly scores" }
            @if scores.is_empty() {
                p.muted { "No series scored yet." }
            } @else {
                div.scroll {
                    table {
                        thead { tr {
                            th scope="col" { "series" } th scope="col" class="num" { "score" }
                            th scope="col" class="num" { "observed" } th scope="col" { "expected" }
                        } }
                        tbody {
                            @for a in scores.iter().take(shown) {
                                tr {
                                    td.name { (a.series) }
                                    td.num { span class=(if a.score >= 0.5 { "crit" } else { "" }) { (format!("{:.2}", a.score)) } }
                                    td.num { (number(a.observed)) }
                                    td { (number(a.expected_low)) " … " (number(a.expected_high)) }
                                }
                            }
                        }
                    }
                }
                @if scores.len() > shown { p.muted { (scores.len() - shown) " more series, lower scores" } }
            }
        }
    }
}

// ------------------------------------------------------------ poll health

fn poll_health_block(v: &ClusterView, now: Time) -> Markup {
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

// --------------------------------------------------------------- silences

fn silences_section(input: &PageInput<'_>) -> Markup {
    let listed = input.silences.map(|s| s.list(input.now));
    let items: Vec<&Value> = listed
        .as_ref()
        .and_then(|v| v["items"].as_array())
        .map(|a| a.iter().collect())
        .unwrap_or_default();
    let names = input.state.cluster_names();
    html! {
        section id="silences" aria-labelledby="silences-h" {
            h2 id="silences-h" { "Silences" }
            @if let Some(n) = input.notice { p.notice role="status" { (n) } }
            @if input.silences.is_none() {
                p.muted { "Silences are not available in this process." }
            } @else {
                @if !input.token_configured {
                    p.warn { "Adding or expiring a silence needs an API token: set [http] token or ISRWATCH_API_TOKEN." }
                }
                @if items.is_empty() {
                    p.muted { "No active or pending silence." }
                } @else {
                    div.scroll {
                        table {
                            thead { tr { th scope="col" { "matchers" } th scope="col" { "from" } th scope="col" { "until" } th scope="col" { "comment" } th scope="col" { "expire" } } }
                            tbody {
                                @for s in &items {
                                    @let id = s["id"].as_str().unwrap_or_default();
                                    tr data-silence=(id) {
                                        td { (matchers_text(&s["matchers"])) }
                                        td { (time_text(&s["starts_at"])) }
                                        td { (time_text(&s["ends_at"])) }
                                        td { (s["comment"].as_str().unwrap_or_default())
                                            @if let Some(by) = s["created_by"].as_str().filter(|b| !b.is_empty()) { " — " (by) } }
                                        td {
                                            form.inline method="post" action={ "/silences/" (id) "/expire" } {
                                                label { span.visually-hidden { "API token" } input type="password" name="token" required autocomplete="current-password" placeholder="API token"; }
                                                button type="submit" { "Expire" }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
                form.silence method="post" action="/silences" {
                    fieldset {
                        legend { "New silence" }
                        p.muted { "Mutes notifications of incidents whose labels match both matchers (leave the second empty to use one)." }
                        div.row {
                            label { "label" select name="label" {
                                @for l in ["cluster", "kind", "broker", "topic", "group", "severity"] { option value=(l) { (l) } }
                            } }
                            label { "value" input name="value" required list="cluster-names"; }
                            label.check { input type="checkbox" name="regex" value="1"; " regex" }
                        }
                        div.row {
                            label { "label" select name="label2" {
                                @for l in ["kind", "cluster", "broker", "topic", "group", "severity"] { option value=(l) { (l) } }
                            } }
                            label { "value" input name="value2"; }
                        }
                        datalist id="cluster-names" { @for n in &names { option value=(n) {} } }
                        div.row {
                            label { "duration" input name="duration" value="2h" required; }
                            label { "by" input name="created_by" autocomplete="name"; }
                            label.grow { "comment" input name="comment"; }
                        }
                        div.row {
                            label { "API token" input type="password" name="token" required autocomplete="current-password"; }
                            button type="submit" { "Add silence" }
                        }
                    }
                }
            }
        }
    }
}

fn matchers_text(v: &Value) -> String {
    v.as_array()
        .map(|ms| {
            ms.iter()
                .map(|m| {
                    let op = match (
                        m["is_regex"].as_bool().unwrap_or(false),
                        m["is_equal"].as_bool().unwrap_or(true),
                    ) {
                        (false, true) => "=",
                        (false, false) => "!=",
                        (true, true) => "=~",
                        (true, false) => "!~",
                    };
                    format!(
                        "{}{op}{:?}",
                        m["label"].as_str().unwrap_or_default(),
                        m["value"].as_str().unwrap_or_default()
                    )
                })
                .collect::<Vec<_>>()
                .join(", ")
        })
        .unwrap_or_default()
}

fn time_text(v: &Value) -> String {
    v.as_str()
        .and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok())
        .map(|t| {
            t.with_timezone(&chrono::Utc)
                .format("%Y-%m-%d %H:%M UTC")
                .to_string()
        })
        .unwrap_or_default()
}

/// A silence form's fields as the body `POST /api/v1/silences` takes, or
/// a message saying what is wrong with them.
pub fn silence_body_from_form(fields: &[(String, String)]) -> Result<Value, String> {
    let get = |k: &str| {
        fields
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.trim())
            .filter(|v| !v.is_empty())
    };
    let mut matchers = Vec::new();
    let regex = get("regex").is_some();
    for (label, value, is_regex) in [("label", "value", regex), ("label2", "value2", false)] {
        match (get(label), get(value)) {
            (Some(l), Some(v)) => {
                matchers.push(serde_json::json!({"label": l, "value": v, "is_regex": is_regex}))
            }
            (None, Some(_)) => return Err(format!("{value}: a value needs a label")),
            _ => {}
        }
    }
    if matchers.is_empty() {
        return Err(
            "value: give at least one matcher value (a silence matching everything is refused)"
                .into(),
        );
    }
    let duration = get("duration").ok_or("duration: required, e.g. \"2h\"")?;
    Ok(serde_json::json!({
        "matchers": matchers,
        "duration": duration,
        "comment": get("comment").unwrap_or_default(),
        "created_by": get("created_by").unwrap_or_default(),
    }))
}

/// A small page with one message, for errors and the login form.
pub fn message_page(title: &str, message: &str, login_form: bool) -> String {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { "isrwatch: " (title) }
                link rel="stylesheet" href="/assets/style.css";
            }
            body {
                main.message {
                    h1 { (title) }
                    p { (message) }
                    @if login_form {
                        form method="post" action="/login" {
                            label { "API token " input type="password" name="token" required autocomplete="current-password"; }
                            " " button type="submit" { "Open the status page" }
                        }
                    } @else {
                        p { a href="/" { "Back to the status page" } }
                    }
                }
            }
        }
    }
    .into_string()
}

// ---------------------------------------------------------------- helpers

fn clock(t: Time) -> String {
    t.format("%H:%M:%S").to_string()
}

fn ago(now: Time, t: Time) -> String {
    let s = (now - t).num_seconds();
    if s < 0 {
        return "just now".into();
    }
    match s {
        0..=59 => format!("{s}s ago"),
        60..=3599 => format!("{}m ago", s / 60),
        3600..=86_399 => format!("{}h{:02}m ago", s / 3600, s % 3600 / 60),
        _ => format!("{}d ago", s / 86_400),
    }
}

fn seconds(s: f64) -> String {
    if s < 60.0 {
        format!("{s:.1} s")
    } else if s < 3600.0 {
        format!("{:.1} min", s / 60.0)
    } else {
        format!("{:.1} h", s / 3600.0)
    }
}

/// At most `max` characters of `s`, with an ellipsis when cut.
fn shorten(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}

fn pct(x: f64) -> String {
    format!("{:.0}%", x * 100.0)
}

/// A number without noise: integers as integers, others with 3 significant
/// decimals at most.
fn number(v: f64) -> String {
    if !v.is_finite() {
        return v.to_string();
    }
    if v.fract() == 0.0 && v.abs() < 1e15 {
        return format!("{}", v as i64);
    }
    if v.abs() >= 100.0 {
        format!("{v:.0}")
    } else if v.abs() >= 1.0 {
        format!("{v:.2}")
    } else {
        format!("{v:.3}")
    }
}

// ----------------------------------------------------------------- routes

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;

use crate::http::api::{constant_time_eq, ApiContext};

/// The page's routes (HTML and its assets), outside `/api/v1`.
pub const PAGE_ROUTES: &[(&str, &str)] = &[
    ("get", "/"),
    ("get", "/live"),
    ("get", "/login"),
    ("post", "/login"),
    ("post", "/silences"),
    ("post", "/silences/{id}/expire"),
    ("get", "/assets/app.js"),
    ("get", "/assets/style.css"),
];

/// Name of the cookie `POST /login` sets when an API token is configured.
pub const SESSION_COOKIE: &str = "isrwatch_session";

/// The page's routes, with their security headers.
pub fn router() -> Router<Arc<ApiContext>> {
    Router::new()
        .route("/", get(index))
        .route("/live", get(live_fragment))
        .route("/login", get(login_form).post(login))
        .route("/silences", post(add_silence))
        .route("/silences/{id}/expire", post(expire_silence))
        .route("/assets/app.js", get(app_js))
        .route("/assets/style.css", get(style_css))
        .layer(axum::middleware::map_response(security_headers))
}

async fn security_headers(mut r: Response) -> Response {
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.entry(header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("no-store"));
    r
}

fn html_response(status: StatusCode, body: String) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        body,
    )
        .into_response()
}

fn message(status: StatusCode, title: &str, text: &str) -> Response {
    html_response(status, message_page(title, text, false))
}

/// The session cookie's value for `token`: an HMAC of a fixed text under
/// the token, so the cookie never holds the token itself.
pub fn session_value(token: &str) -> String {
    use hmac::Mac as _;
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(token.as_bytes())
        .expect("HMAC takes a key of any length");
    mac.update(b"isrwatch status page session v1");
    hex::encode(mac.finalize().into_bytes())
}

/// Whether the request may read the page: no token configured, or the
/// token as a bearer header (as for `/api/v1`), or the session cookie.
fn may_read(ctx: &ApiContext, headers: &HeaderMap) -> bool {
    let Some(token) = &ctx.token else {
        return true;
    };
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    if bearer.is_some_and(|g| constant_time_eq(token.as_bytes(), g.as_bytes())) {
        return true;
    }
    let want = session_value(token);
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .any(|(k, v)| k == SESSION_COOKIE && constant_time_eq(want.as_bytes(), v.as_bytes()))
}

fn login_needed() -> Response {
    html_response(
        StatusCode::UNAUTHORIZED,
        message_page(
            "API token needed",
            "This isrwatch protects its status with an API token ([http] token or ISRWATCH_API_TOKEN). Enter it to open the page; it is kept as a session cookie.",
            true,
        ),
    )
}

fn input<'a>(
    ctx: &'a ApiContext,
    notice: Option<&'static str>,
    only: Option<&'a str>,
) -> PageInput<'a> {
    PageInput {
        state: &ctx.state,
        silences: ctx.silences.as_deref(),
        refresh: ctx.page_refresh,
        token_configured: ctx.token.is_some(),
        notice,
        only,
        now: chrono::Utc::now(),
    }
}

#[derive(Debug, Default, serde::Deserialize)]
struct IndexQuery {
    silence: Option<String>,
    cluster: Option<String>,
}

/// The query, or a clear error: an unknown cluster is a 404.
fn page_query(
    ctx: &ApiContext,
    query: Result<Query<IndexQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<IndexQuery, PageError> {
    let q = query.map(|q| q.0).map_err(|e| {
        PageError(
            StatusCode::BAD_REQUEST,
            "Bad query",
            format!("the query string is not understood: {e}"),
        )
    })?;
    if let Some(c) = &q.cluster {
        if ctx.state.cluster(c).is_none() {
            return Err(PageError(
                StatusCode::NOT_FOUND,
                "No such cluster",
                format!("no cluster named {c:?} in the configuration"),
            ));
        }
    }
    Ok(q)
}

/// `s` percent-encoded for a query value.
fn url_component(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

async fn index(
    State(ctx): State<Arc<ApiContext>>,
    headers: HeaderMap,
    query: Result<Query<IndexQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    if !may_read(&ctx, &headers) {
        return login_needed();
    }
    let q = match page_query(&ctx, query) {
        Ok(q) => q,
        Err(e) => return e.into_response(),
    };
    // Only fixed texts are shown: a link cannot make the page say anything.
    let notice = match q.silence.as_deref() {
        Some("created") => Some("Silence added."),
        Some("expired") => Some("Silence expired."),
        _ => None,
    };
    html_response(
        StatusCode::OK,
        render_page(&input(&ctx, notice, q.cluster.as_deref())),
    )
}

async fn live_fragment(
    State(ctx): State<Arc<ApiContext>>,
    headers: HeaderMap,
    query: Result<Query<IndexQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    if !may_read(&ctx, &headers) {
        return (
            StatusCode::UNAUTHORIZED,
            "API token needed: reload the page and log in",
        )
            .into_response();
    }
    match page_query(&ctx, query) {
        Ok(q) => html_response(
            StatusCode::OK,
            render_live(&input(&ctx, None, q.cluster.as_deref())),
        ),
        Err(e) => e.into_response(),
    }
}

async fn login_form(State(ctx): State<Arc<ApiContext>>) -> Response {
    if ctx.token.is_none() {
        return message(
            StatusCode::OK,
            "No login needed",
            "No API token is configured: the status page is open.",
        );
    }
    html_response(
        StatusCode::OK,
        message_page(
            "Log in",
            "Enter the API token ([http] token or ISRWATCH_API_TOKEN).",
            true,
        ),
    )
}

fn form_fields(body: &[u8]) -> Vec<(String, String)> {
    form_urlencoded::parse(body).into_owned().collect()
}

fn field<'a>(fields: &'a [(String, String)], name: &str) -> Option<&'a str> {
    fields
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

fn see_other(location: &str) -> Response {
    (StatusCode::SEE_OTHER, [(header::LOCATION, location)]).into_response()
}

async fn login(State(ctx): State<Arc<ApiContext>>, body: axum::body::Bytes) -> Response {
    let Some(token) = &ctx.token else {
        return see_other("/");
    };
    let fields = form_fields(&body);
    match field(&fields, "token") {
        Some(given) if constant_time_eq(token.as_bytes(), given.as_bytes()) => {
            let cookie = format!(
                "{SESSION_COOKIE}={}; Path=/; HttpOnly; SameSite=Strict",
                session_value(token)
            );
            let mut r = see_other("/");
            if let Ok(v) = HeaderValue::from_str(&cookie) {
                r.headers_mut().insert(header::SET_COOKIE, v);
            }
            r
        }
        _ => html_response(
            StatusCode::UNAUTHORIZED,
            message_page("Wrong API token", "That is not the API token.", true),
        ),
    }
}

/// The write check of the forms: the API's rule (writes always need the
/// token) with the token sent as a form field.
/// An error page: status, title and the message saying what was wrong.
struct PageError(StatusCode, &'static str, String);

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        message(self.0, self.1, &self.2)
    }
}

fn check_write_token(ctx: &ApiContext, fields: &[(String, String)]) -> Result<(), PageError> {
    let Some(token) = &ctx.token else {
        return Err(PageError(
            StatusCode::FORBIDDEN,
            "Writes need an API token",
            "writes need an API token: set [http] token or ISRWATCH_API_TOKEN".into(),
        ));
    };
    match field(fields, "token").filter(|t| !t.is_empty()) {
        None => Err(PageError(
            StatusCode::UNAUTHORIZED,
            "API token needed",
            "token: enter the API token to change silences".into(),
        )),
        Some(t) if constant_time_eq(token.as_bytes(), t.as_bytes()) => Ok(()),
        Some(_) => Err(PageError(
            StatusCode::UNAUTHORIZED,
            "Wrong API token",
            "token: that is not the API token".into(),
        )),
    }
}

fn store(ctx: &ApiContext) -> Result<&Arc<dyn SilenceApi>, PageError> {
    ctx.silences.as_ref().ok_or_else(|| {
        PageError(
            StatusCode::SERVICE_UNAVAILABLE,
            "Silences unavailable",
            "silences are not available in this process".into(),
        )
    })
}

/// The silence store, once the form's token allows writing to it.
fn writable_store<'a>(
    ctx: &'a ApiContext,
    fields: &[(String, String)],
) -> Result<&'a Arc<dyn SilenceApi>, PageError> {
    check_write_token(ctx, fields)?;
    store(ctx)
}

async fn add_silence(State(ctx): State<Arc<ApiContext>>, body: axum::body::Bytes) -> Response {
    let fields = form_fields(&body);
    let store = match writable_store(&ctx, &fields) {
        Ok(s) => s,
        Err(e) => return e.into_response(),
    };
    let body = match silence_body_from_form(&fields) {
        Ok(b) => b,
        Err(e) => return message(StatusCode::BAD_REQUEST, "Silence not added", &e),
    };
    match store.add(body, chrono::Utc::now()) {
        Ok(_) => see_other("/?silence=created#silences"),
        Err(e) => message(StatusCode::BAD_REQUEST, "Silence not added", &e),
    }
}

async fn expire_silence(
    State(ctx): State<Arc<ApiContext>>,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Response {
    let fields = form_fields(&body);
    let store = match writable_store(&ctx, &fields) {
        Ok(s) => s,
        Err(e) => return e.into_response(),
    };
    if store.remove(&id) {
        see_other("/?silence=expired#silences")
    } else {
        message(
            StatusCode::NOT_FOUND,
            "No such silence",
            &format!("no silence with id {id:?} (it may have expired already)"),
        )
    }
}

async fn app_js() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "max-age=300"),
        ],
        APP_JS,
    )
        .into_response()
}

async fn style_css() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "max-age=300"),
        ],
        STYLE_CSS,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evaluate::{Evaluation, GroupLagStatus};
    use crate::finding::{AnomalyScore, FindingKind, Subject};
    use crate::model::{Affected, Summary, SummarySource, TimelineEvent};
    use crate::snapshot::{BrokerInfo, GroupInfo, PartitionInfo, TopicInfo};

    const EVIL: &str = "<img src=x onerror=alert(1)>";

    fn t(s: i64) -> Time {
        chrono::DateTime::from_timestamp(1_700_000_000 + s, 0).unwrap()
    }

    /// A cluster of 3 brokers, broker 3 down, with hostile names wherever a
    /// cluster or a person can put text.
    fn hostile_state() -> std::sync::Arc<SharedState> {
        let state = SharedState::new(["prod".to_string()]);
        let live = [1, 2];
        let partitions = (0..4)
            .map(|p| {
                let mut pi = PartitionInfo {
                    partition: p,
                    leader: Some(1 + p % 2),
                    replicas: vec![1 + p % 2, 3],
                    isr: vec![1 + p % 2],
                    ..Default::default()
                };
                pi.derive(2, &live);
                pi
            })
            .collect();
        let snap = ClusterSnapshot {
            cluster: "prod".into(),
            taken_at: t(0),
            reachable: true,
            controller: Some(1),
            brokers: live
                .iter()
                .map(|&id| BrokerInfo {
                    id,
                    host: format!("{EVIL}.example"),
                    port: 9092,
                    rack: Some(EVIL.into()),
                })
                .collect(),
            missing_brokers: vec![3],
            topics: vec![TopicInfo {
                name: format!("t{EVIL}"),
                min_insync_replicas: 2,
                partitions,
                ..Default::default()
            }],
            groups: vec![GroupInfo {
                name: EVIL.into(),
                state: EVIL.into(),
                members: 1,
                ..Default::default()
            }],
            ..Default::default()
        };
        let eval = Evaluation {
            findings: Vec::new(),
            anomalies: vec![AnomalyScore {
                series: format!("group_lag{{group=\"{EVIL}\"}}"),
                score: 0.9,
                observed: 412.0,
                expected_low: 0.0,
                expected_high: 3.0,
                since: None,
                explanation: EVIL.into(),
            }],
            groups: vec![GroupLagStatus {
                group: EVIL.into(),
                status: LagStatus::Stall,
                reason: format!("group {EVIL:?} stalled"),
                total_lag: 1234,
                max_lag_seconds: Some(95.0),
                partitions: Vec::new(),
            }],
        };
        state.publish_poll(std::sync::Arc::new(snap), std::sync::Arc::new(eval));
        let finding = Finding::new(
            "prod",
            FindingKind::ConsumerLag,
            Severity::Critical,
            Subject::Group { group: EVIL.into() },
            t(0),
        )
        .with_metric(crate::finding::Metric::TotalLag, 1234.0)
        .with_label(crate::finding::Label::LagStatus, "STALL");
        state.publish_incidents(vec![Incident {
            id: format!("id-{EVIL}"),
            fingerprint: "f".into(),
            cluster: "prod".into(),
            kind: FindingKind::ConsumerLag,
            root: Subject::Group { group: EVIL.into() },
            title: format!("Consumer group {EVIL:?} is lagging"),
            state: IncidentState::Firing,
            severity: Severity::Critical,
            started_at: t(-60),
            firing_since: Some(t(-60)),
            resolved_at: None,
            updated_at: t(0),
            affected: Affected {
                groups: vec![EVIL.into()],
                ..Default::default()
            },
            counts: [(FindingKind::ConsumerLag, 1)].into_iter().collect(),
            findings: vec![finding],
            timeline: vec![TimelineEvent {
                at: t(-60),
                event: "opened".into(),
                detail: EVIL.into(),
            }],
            flapping: false,
            silenced_by: None,
            summary: Some(Summary {
                headline: format!("<script>alert(1)</script>{EVIL}"),
                what_happened: EVIL.into(),
                impact: EVIL.into(),
                likely_cause: EVIL.into(),
                next_steps: vec![format!("kafka-consumer-groups.sh --group '{EVIL}'")],
                source: SummarySource::Template,
                fallback_reason: None,
            }),
            labels: Default::default(),
        }]);
        state
    }

    fn input(state: &SharedState) -> PageInput<'_> {
        PageInput {
            state,
            silences: None,
            refresh: Duration::from_secs(5),
            token_configured: true,
            notice: None,
            only: None,
            now: t(10),
        }
    }

    #[test]
    fn every_untrusted_name_is_escaped() {
        let state = hostile_state();
        let page = render_page(&input(&state));
        assert!(!page.contains("<img"), "raw tag in the page");
        assert!(!page.contains("<script>alert"), "raw script in the page");
        assert!(page.contains("&lt;img src=x onerror=alert(1)&gt;"));
        // The page's own script is a file, never inline.
        assert_eq!(page.matches("<script").count(), 1);
        assert!(page.contains("<script src=\"/assets/app.js\" defer></script>"));
        assert!(!page.contains(" style="), "no inline style (CSP)");
        // No tag carries an event handler: text has its '<' escaped, so
        // every '<' starts a real tag; an `on...=` outside its quoted
        // attribute values would be a handler.
        let handler = regex::Regex::new(r#"<[a-zA-Z][^>"]*(?:"[^"]*"[^>"]*)*\son[a-z]+="#).unwrap();
        assert!(
            handler.is_match("<a href=\"x\" onclick=\"y\">"),
            "the check works"
        );
        assert!(
            !handler.is_match(&page),
            "an inline event handler: {:?}",
            handler.find(&page).map(|m| &page[m.start()..m.end() + 40])
        );
        let live = render_live(&input(&state));
        assert!(live.starts_with("<main id=\"live\""));
        assert!(!live.contains("<img"));
    }

    #[test]
    fn the_page_shows_the_down_broker_the_incident_and_the_lagging_group() {
        let state = hostile_state();
        let page = render_page(&input(&state));
        assert!(page.contains("data-broker=\"3\" data-state=\"down\""));
        assert!(page.contains("data-kind=\"consumer_lag\" data-state=\"firing\""));
        assert!(page.contains("Next steps"));
        assert!(
            page.contains("95.0 s") || page.contains("1.6 min"),
            "lag in time"
        );
        assert!(page.contains("1234"), "lag in messages");
        assert!(page.contains("data-count=\"under-replicated\""));
        // The worst partitions name the broker missing from their ISR.
        assert!(page.contains("missing from ISR"));
        // Anomaly scores with their expected range.
        assert!(page.contains("0 … 3"));
        assert!(page.contains("<svg"));
    }

    #[test]
    fn a_cluster_never_polled_or_unreachable_still_renders() {
        let state = SharedState::new(["a".to_string(), "b".to_string()]);
        let down = ClusterSnapshot::unreachable(
            "b",
            t(0),
            Duration::from_millis(5),
            crate::snapshot::PollError {
                step: "metadata".into(),
                broker: None,
                message: format!("connection refused {EVIL}"),
            },
        );
        state.publish_poll(std::sync::Arc::new(down), Default::default());
        let page = render_page(&input(&state));
        assert!(page.contains("no poll has completed yet"));
        assert!(page.contains("cluster unreachable"));
        assert!(page.contains("No data yet"));
        assert!(!page.contains("<img"));
        assert!(page.contains("data-status=\"critical\""));
    }

    #[test]
    fn evidence_lists_brokers_numbers_and_facts() {
        let f = Finding::new(
            "c",
            FindingKind::UnderReplicated,
            Severity::Warning,
            Subject::Cluster,
            t(0),
        )
        .with_brokers([3, 1])
        .with_metric(crate::finding::Metric::Isr, 1.0)
        .with_metric(crate::finding::Metric::Replicas, 0.12345)
        .with_label(crate::finding::Label::Topic, "orders");
        let html = evidence(&f).into_string();
        assert!(html.contains("<dt>brokers</dt><dd>1, 3</dd>"), "{html}");
        assert!(html.contains("<dt>isr</dt><dd>1</dd>"), "{html}");
        assert!(html.contains("<dt>replicas</dt><dd>0.123</dd>"), "{html}");
        assert!(html.contains("<dt>topic</dt><dd>orders</dd>"), "{html}");
        let empty = Finding::new(
            "c",
            FindingKind::NoController,
            Severity::Critical,
            Subject::Cluster,
            t(0),
        );
        assert_eq!(evidence(&empty).into_string(), "");
    }

    #[test]
    fn silence_forms_become_the_api_body_or_a_clear_error() {
        let f = |pairs: &[(&str, &str)]| {
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect::<Vec<_>>()
        };
        let body = silence_body_from_form(&f(&[
            ("label", "group"),
            ("value", " billing "),
            ("regex", "1"),
            ("label2", "kind"),
            ("value2", "consumer_lag"),
            ("duration", "2h"),
            ("comment", "deploy"),
        ]))
        .unwrap();
        assert_eq!(body["matchers"][0]["value"], "billing");
        assert_eq!(body["matchers"][0]["is_regex"], true);
        assert_eq!(body["matchers"][1]["label"], "kind");
        assert_eq!(body["duration"], "2h");
        let err =
            silence_body_from_form(&f(&[("label", "group"), ("duration", "2h")])).unwrap_err();
        assert!(err.contains("at least one matcher"), "{err}");
        let err = silence_body_from_form(&f(&[("value", "x"), ("duration", "2h")])).unwrap_err();
        assert!(err.contains("needs a label"), "{err}");
        let err = silence_body_from_form(&f(&[("label", "group"), ("value", "x")])).unwrap_err();
        assert!(err.contains("duration"), "{err}");
    }

    #[test]
    fn charts_say_when_there_is_no_data_and_draw_one_line_per_series() {
        let empty: VecDeque<(Time, f64)> = VecDeque::new();
        let html = chart("x", &[("a", &empty)], t(0), None).into_string();
        assert!(html.contains("No data yet"));
        let a: VecDeque<(Time, f64)> = (0..1000).map(|i| (t(i), i as f64)).collect();
        let b: VecDeque<(Time, f64)> = (0..10).map(|i| (t(i), 1.0)).collect();
        let html = chart("x", &[("a", &a), ("b", &b)], t(1000), None).into_string();
        assert_eq!(html.matches("<polyline").count(), 2);
        // Thinned to at most CHART_DRAWN_POINTS (+ the last) per line.
        let first_line = html.split("<polyline").nth(1).unwrap();
        let pts = first_line
            .split("points=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap();
        assert!(pts.split_whitespace().count() <= CHART_DRAWN_POINTS + 1);
        assert!(html.contains(">999<"), "the top of the axis");
    }

    #[test]
    fn session_cookie_depends_on_the_token_and_hides_it() {
        let a = session_value("token-a");
        assert_ne!(a, session_value("token-b"));
        assert_eq!(a, session_value("token-a"));
        assert!(!a.contains("token-a"));
        assert_eq!(a.len(), 64);
    }

    #[test]
    fn small_formatters() {
        assert_eq!(number(3.0), "3");
        assert_eq!(number(0.5), "0.500");
        assert_eq!(number(12.345), "12.35");
        assert_eq!(number(1234.5), "1234");
        assert_eq!(ago(t(100), t(40)), "1m ago");
        assert_eq!(ago(t(0), t(10)), "just now");
        assert_eq!(shorten("abcdef", 3), "abc…");
        assert_eq!(shorten("ab", 3), "ab");
        assert_eq!(shorten("ééé", 2), "éé…");
        assert_eq!(seconds(90.0), "1.5 min");
    }
}
