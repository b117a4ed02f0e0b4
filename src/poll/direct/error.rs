//! Kafka error codes in librdkafka's words, so the direct path and
//! librdkafka's admin calls report the same messages, and which errors
//! send a group to its coordinator again.

use kafka_protocol::error::ResponseError;

/// The name of a Kafka error as librdkafka reports it
/// (`NotLeaderOrFollower` is `NOT_LEADER_FOR_PARTITION`), so both paths
/// produce the same messages; `kafka-protocol`'s name for errors librdkafka
/// does not know. A response's error code becomes a [`ResponseError`]
/// through `kafka_protocol::error::ParseResponseErrorCode::err` (`None`
/// when there is no error).
pub fn error_name(e: ResponseError) -> String {
    if let Some((name, _)) = super::super::admin::kafka_error_desc(e.code()) {
        return name;
    }
    match e {
        ResponseError::Unknown(c) => format!("UNKNOWN_ERROR_CODE_{c}"),
        e => {
            let camel = format!("{e:?}");
            let mut out = String::with_capacity(camel.len() + 8);
            for (i, ch) in camel.chars().enumerate() {
                if ch.is_ascii_uppercase() && i > 0 {
                    out.push('_');
                }
                out.push(ch.to_ascii_uppercase());
            }
            out
        }
    }
}

/// `NAME: description`, librdkafka's per-group error text
/// (`NOT_COORDINATOR: Broker: Not coordinator`).
pub(crate) fn error_text(e: ResponseError) -> String {
    if let Some((name, desc)) = super::super::admin::kafka_error_desc(e.code()) {
        return format!("{name}: {desc}");
    }
    format!("{}: {e}", error_name(e))
}

/// Whether `e` says to ask the group's coordinator again (it moved, is
/// not elected yet, or is still loading the group).
pub(crate) fn is_coordinator_error(e: ResponseError) -> bool {
    matches!(
        e,
        ResponseError::NotCoordinator
            | ResponseError::CoordinatorNotAvailable
            | ResponseError::CoordinatorLoadInProgress
    )
}

#[cfg(test)]
mod tests {
    use kafka_protocol::error::ParseResponseErrorCode;

    use super::*;
    use ResponseError::*;

    #[test]
    fn error_names_match_librdkafkas() {
        assert_eq!(error_name(NotLeaderOrFollower), "NOT_LEADER_FOR_PARTITION");
        assert_eq!(error_name(UnknownTopicOrPartition), "UNKNOWN_TOPIC_OR_PART");
        assert_eq!(error_name(NotCoordinator), "NOT_COORDINATOR");
        assert_eq!(error_name(Unknown(-9999)), "UNKNOWN_ERROR_CODE_-9999");
        assert_eq!(
            error_text(NotCoordinator),
            "NOT_COORDINATOR: Broker: Not coordinator"
        );
        // No error on the wire is no error at all.
        assert_eq!(0i16.err(), None);
    }

    #[test]
    fn coordinator_errors_are_the_three_that_send_a_group_elsewhere() {
        for (e, again) in [
            (CoordinatorLoadInProgress, true),
            (CoordinatorNotAvailable, true),
            (NotCoordinator, true),
            (NotLeaderOrFollower, false),
            (GroupAuthorizationFailed, false),
            (UnknownServerError, false),
        ] {
            assert_eq!(is_coordinator_error(e), again, "{e:?}");
        }
    }
}
