//! Brokers: up, reachable, leaderships against preferred ones, controller.

use std::collections::BTreeMap;

use maud::{html, Markup};

use super::format::*;
use crate::snapshot::{BrokerId, ClusterSnapshot};

pub(super) fn brokers_block(s: &ClusterSnapshot) -> Markup {
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
