//! The page around the sections: head, cluster navigation, one section
//! per cluster, the live part the script swaps in, and the message page.

use maud::{html, Markup, DOCTYPE};

use super::anomalies::anomalies_block;
use super::brokers::brokers_block;
use super::charts::charts_block;
use super::format::{clock, url_component};
use super::groups::groups_block;
use super::incidents::incidents_block;
use super::input::PageInput;
use super::partitions::partitions_block;
use super::poll_health::poll_health_block;
use super::silences::silences_section;
use crate::http::api::cluster_status;
use crate::model::{Incident, IncidentState};
use crate::snapshot::Time;
use crate::state::ClusterView;

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

pub(super) fn live(input: &PageInput<'_>) -> Markup {
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

pub(super) fn cluster_section(v: &ClusterView, incidents: &[Incident], now: Time) -> Markup {
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
