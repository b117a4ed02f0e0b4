//! Consumer groups by lag status, in messages and seconds.

use std::collections::BTreeMap;

use maud::{html, Markup};

use super::format::*;
use super::limits::*;
use crate::evaluate::LagStatus;
use crate::snapshot::ClusterSnapshot;
use crate::state::ClusterView;

pub(super) fn lag_class(s: LagStatus) -> &'static str {
    match s {
        LagStatus::Ok => "ok",
        LagStatus::Warn | LagStatus::Rewind => "warn",
        LagStatus::Err | LagStatus::Stop | LagStatus::Stall => "crit",
    }
}

pub(super) fn groups_block(v: &ClusterView, s: &ClusterSnapshot) -> Markup {
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

pub(super) fn lag_word(all_ok: bool) -> &'static str {
    if all_ok {
        "OK"
    } else {
        "with less lag"
    }
}
