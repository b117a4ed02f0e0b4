//! Partition counts by state and the worst partitions.

use maud::{html, Markup};

use super::format::*;
use super::limits::*;
use crate::snapshot::ClusterSnapshot;
use crate::state::ClusterView;

pub(super) fn partitions_block(v: &ClusterView, s: &ClusterSnapshot) -> Markup {
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

pub(super) fn partition_state_words(st: &crate::snapshot::PartitionState) -> String {
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
