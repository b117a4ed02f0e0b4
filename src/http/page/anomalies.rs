//! Anomaly scores with the expected range.

use maud::{html, Markup};

use super::format::*;
use super::limits::*;
use crate::state::ClusterView;

pub(super) fn anomalies_block(v: &ClusterView) -> Markup {
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
