//! Series families: what kind of quantity each series the daemon scores
//! measures, and what that means for the detector.
//!
//! Every series isrwatch scores is a count, a rate or a share, with a
//! natural zero and units an operator reads (messages, messages per
//! second, partitions). Two of the detector's settings follow from that:
//! a minimum effect in those units ([`Family::min_effect`]), and a novelty
//! margin relative to the largest value seen (`[anomaly] relative_margin`).

/// What kind of quantity a series measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Family {
    ProduceRate,
    GroupLag,
    GroupLagGrowth,
    LeaderShare,
    PartitionCount,
    Other,
}

impl Family {
    /// The smallest departure that means something in this family's units
    /// (the detector's `min_effect`). A series can sit at exactly 0 for
    /// hours (the lag of a consumer that keeps up, the under-replicated
    /// count); against that, any movement is infinitely many noise scales,
    /// yet 100 messages of lag or one message per second are not news.
    pub fn min_effect(self) -> f64 {
        match self {
            // Messages behind: a few seconds of a busy topic.
            Family::GroupLag => 500.0,
            // Messages per second the lag grows by: that lag over 10 s.
            Family::GroupLagGrowth => 50.0,
            // Messages per second produced.
            Family::ProduceRate => 1.0,
            // Share of all leaders: one leader in twenty.
            Family::LeaderShare => 0.05,
            // Partitions.
            Family::PartitionCount => 1.0,
            // Poll seconds, ISR shrinks per poll.
            Family::Other => 0.5,
        }
    }

    /// Whether this family's typical fault is a fall to zero, which is
    /// news from the first minutes (the detector's `early_falls`): a
    /// topic's producers stopping. Lag and partition counts fail upwards,
    /// and their rises are what the rules already name.
    pub fn fault_is_a_fall(self) -> bool {
        self == Family::ProduceRate
    }

    /// The family of one of the daemon's series.
    pub fn of_series(series: &crate::evaluate::Series) -> Family {
        use crate::evaluate::Series;
        match series {
            Series::ProduceRate(_) => Family::ProduceRate,
            Series::GroupLag(_) => Family::GroupLag,
            Series::GroupLagGrowth(_) => Family::GroupLagGrowth,
            Series::LeaderShare(_) => Family::LeaderShare,
            Series::UnderReplicated
            | Series::UnderMinIsr
            | Series::Offline
            | Series::IsrShrinks => Family::PartitionCount,
            Series::PollDuration => Family::Other,
        }
    }

    /// The family of a series name (`group_lag{group="x"}`) or of a file
    /// name made from one (`group_lag-group-x.csv`).
    pub fn of(file: &str) -> Family {
        if let Some(series) = crate::evaluate::Series::parse(file) {
            return Family::of_series(&series);
        }
        if file.starts_with("produce_rate") {
            Family::ProduceRate
        } else if file.starts_with("group_lag_growth") {
            Family::GroupLagGrowth
        } else if file.starts_with("group_lag") {
            Family::GroupLag
        } else if file.starts_with("leader_share") {
            Family::LeaderShare
        } else if file.starts_with("under_")
            || file.starts_with("offline_")
            || file.starts_with("isr_shrinks")
        {
            Family::PartitionCount
        } else {
            Family::Other
        }
    }
}

/// How long the rarity memory of the daemon's series keeps half of a
/// point's weight: one day, the cycle the detector already assumes (the
/// daily profile, `novelty_after`). Kafka traffic has jobs that run every
/// few hours (a batch load every 8 hours); the z value the last one
/// reached is still remembered when the next one comes, so it is not a
/// record. With NAB's memory (2,000 points: 5.8 hours at 15 s) every
/// 8-hourly burst was a record again.
pub const HISTORY_HALF_LIFE_SECS: f64 = 86_400.0;

/// `base` with the minimum effect of `series`' family and the relative
/// novelty margin `relative_margin`: what the daemon's scorer runs for that
/// series. Every series isrwatch scores is a count, a rate or a share, with
/// a natural zero, so "half again the largest value seen" means the same
/// on a topic of 10 messages/s and one of 10,000. Falls of a family that
/// fails by falling are judged from the warm-up on; a z record is scored
/// by how far it passes the records remembered (one bin halves its
/// chance) instead of as certain, against a noise scale that is a plain
/// average while the series is young (docs/detector.md, rules 4 to 6).
pub fn for_series(
    base: &super::core::Params,
    relative_margin: f64,
    series: &str,
) -> super::core::Params {
    super::core::Params {
        min_effect: Family::of(series).min_effect(),
        novelty_rel: relative_margin,
        early_falls: Family::of(series).fault_is_a_fall(),
        tail_halving: 1.0,
        young_average: true,
        history_half_life_secs: HISTORY_HALF_LIFE_SECS,
        shape_memory: false,
        ..*base
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_series_the_daemon_scores_has_its_family() {
        use crate::evaluate::Series;
        let all = [
            (Series::GroupLag("g".into()), Family::GroupLag),
            (Series::GroupLagGrowth("g".into()), Family::GroupLagGrowth),
            (Series::ProduceRate("t".into()), Family::ProduceRate),
            (Series::LeaderShare(1), Family::LeaderShare),
            (Series::UnderReplicated, Family::PartitionCount),
            (Series::UnderMinIsr, Family::PartitionCount),
            (Series::Offline, Family::PartitionCount),
            (Series::IsrShrinks, Family::PartitionCount),
            (Series::PollDuration, Family::Other),
        ];
        for (series, family) in all {
            let name = series.name();
            // By name, as the scorer gets it, and by the file name the
            // labelled set gives it.
            assert_eq!(Family::of(&name), family, "{name}");
            assert_eq!(
                Family::of(&crate::detect::kafka_set::file_name(&name)),
                family,
                "{name}"
            );
        }
    }
}
