//! The generic webhook: a versioned JSON body signed with HMAC-SHA256.
//!
//! The body and the signature scheme are documented in `docs/webhook.md`;
//! [`verify_signature`] is what a receiver (written in Rust) calls.

use std::collections::BTreeMap;
use std::time::Duration;

use hmac::{Hmac, Mac};
use serde::Serialize;
use sha2::Sha256;

use super::{http, Clock, DeliveryError, Notifier};
use crate::finding::Subject;
use crate::model::{Affected, Notification, Summary, TimelineEvent};
use crate::snapshot::Time;

/// Header carrying the unix time (seconds) the request was signed at.
pub const TIMESTAMP_HEADER: &str = "X-Isrwatch-Timestamp";
/// Header carrying `v1=<hex hmac-sha256(secret, "<timestamp>.<body>")>`.
pub const SIGNATURE_HEADER: &str = "X-Isrwatch-Signature";
/// Header carrying the notification id (also in the body), for receivers
/// that deduplicate before parsing.
pub const IDEMPOTENCY_HEADER: &str = "Idempotency-Key";
/// The body version this code writes.
pub const BODY_VERSION: &str = "1";

type HmacSha256 = Hmac<Sha256>;

/// The webhook body, version 1 (see `docs/webhook.md`). Fields are only
/// ever added within a version.
#[derive(Debug, Serialize)]
pub struct WebhookBodyV1<'a> {
    pub version: &'static str,
    /// Notification id: unique per message; use it as an idempotency key.
    pub id: &'a str,
    /// `firing`, `escalated`, `de_escalated`, `reminder` or `resolved`.
    pub reason: &'static str,
    /// True for a follow-up carrying a better summary for an alert already sent.
    pub is_update: bool,
    pub created_at: Time,
    pub incident: WebhookIncidentV1<'a>,
    pub summary: &'a Summary,
}

/// The incident part of [`WebhookBodyV1`].
#[derive(Debug, Serialize)]
pub struct WebhookIncidentV1<'a> {
    pub id: &'a str,
    pub fingerprint: &'a str,
    pub cluster: &'a str,
    pub kind: &'static str,
    pub root: &'a Subject,
    pub title: &'a str,
    pub state: &'static str,
    pub severity: &'static str,
    pub started_at: Time,
    pub firing_since: Option<Time>,
    pub resolved_at: Option<Time>,
    pub updated_at: Time,
    pub affected: &'a Affected,
    pub counts: BTreeMap<&'static str, usize>,
    pub labels: &'a BTreeMap<String, String>,
    pub timeline: &'a [TimelineEvent],
}

/// Serializes the version-1 body of `n`.
pub fn body_v1(n: &Notification) -> Result<Vec<u8>, serde_json::Error> {
    let inc = &n.incident;
    let body = WebhookBodyV1 {
        version: BODY_VERSION,
        id: &n.id,
        reason: n.reason.as_str(),
        is_update: n.is_update,
        created_at: n.created_at,
        incident: WebhookIncidentV1 {
            id: &inc.id,
            fingerprint: &inc.fingerprint,
            cluster: &inc.cluster,
            kind: inc.kind.as_str(),
            root: &inc.root,
            title: &inc.title,
            state: inc.state.as_str(),
            severity: inc.severity.as_str(),
            started_at: inc.started_at,
            firing_since: inc.firing_since,
            resolved_at: inc.resolved_at,
            updated_at: inc.updated_at,
            affected: &inc.affected,
            counts: inc.counts.iter().map(|(k, v)| (k.as_str(), *v)).collect(),
            labels: &inc.labels,
            timeline: &inc.timeline,
        },
        summary: &n.summary,
    };
    serde_json::to_vec(&body)
}

/// The `X-Isrwatch-Signature` value for a body sent at `timestamp` (unix seconds).
pub fn sign(secret: &[u8], timestamp: i64, body: &[u8]) -> String {
    format!(
        "v1={}",
        hex::encode(mac(secret, timestamp, body).finalize().into_bytes())
    )
}

fn mac(secret: &[u8], timestamp: i64, body: &[u8]) -> HmacSha256 {
    // HMAC accepts keys of any length; `new_from_slice` cannot fail for it.
    let mut m = <HmacSha256 as Mac>::new_from_slice(secret).unwrap_or_else(|_| unreachable!());
    m.update(timestamp.to_string().as_bytes());
    m.update(b".");
    m.update(body);
    m
}

/// Why a webhook request failed verification.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    #[error("timestamp header is not unix seconds: {0:?}")]
    BadTimestamp(String),
    #[error(
        "timestamp is {skew_secs}s away from now, outside the tolerance (replay or clock skew)"
    )]
    OutsideTolerance { skew_secs: i64 },
    #[error("signature header has no v1= signature")]
    MalformedSignature,
    #[error("signature does not match (wrong secret or altered body)")]
    Mismatch,
}

/// Checks a received webhook: the timestamp is within `tolerance` of `now`
/// (rejects replays of old requests) and one of the `v1=` signatures in
/// `signature_header` (comma-separated, to allow secret rotation) is the
/// HMAC-SHA256 of `"<timestamp>.<body>"` under `secret`. Comparison is
/// constant-time. Receivers should also remember recently seen
/// notification ids (for at least `tolerance`) to drop exact replays
/// within the window and at-least-once redeliveries.
pub fn verify_signature(
    secret: &[u8],
    timestamp_header: &str,
    signature_header: &str,
    body: &[u8],
    now: Time,
    tolerance: Duration,
) -> Result<(), VerifyError> {
    let ts: i64 = timestamp_header
        .trim()
        .parse()
        .map_err(|_| VerifyError::BadTimestamp(timestamp_header.chars().take(40).collect()))?;
    let skew = now.timestamp().saturating_sub(ts);
    if skew.unsigned_abs() > tolerance.as_secs() {
        return Err(VerifyError::OutsideTolerance { skew_secs: skew });
    }
    let mut any = false;
    for part in signature_header.split(',') {
        let Some(hex_sig) = part.trim().strip_prefix("v1=") else {
            continue;
        };
        let Ok(sig) = hex::decode(hex_sig) else {
            continue;
        };
        any = true;
        if mac(secret, ts, body).verify_slice(&sig).is_ok() {
            return Ok(());
        }
    }
    if any {
        Err(VerifyError::Mismatch)
    } else {
        Err(VerifyError::MalformedSignature)
    }
}

/// Posts the signed version-1 body to a URL.
pub struct WebhookNotifier {
    name: String,
    url: String,
    secret: Vec<u8>,
    client: reqwest::Client,
    clock: Clock,
}

impl WebhookNotifier {
    /// `secret` signs every request; `timeout` bounds one attempt.
    pub fn new(
        name: &str,
        url: &str,
        secret: Vec<u8>,
        timeout: Duration,
        clock: Clock,
    ) -> Result<Self, String> {
        reqwest::Url::parse(url).map_err(|e| format!("notifier {name:?}: bad url: {e}"))?;
        Ok(WebhookNotifier {
            name: name.to_string(),
            url: url.to_string(),
            secret,
            client: http::client(timeout)?,
            clock,
        })
    }
}

#[async_trait::async_trait]
impl Notifier for WebhookNotifier {
    fn name(&self) -> &str {
        &self.name
    }

    async fn send(&self, n: &Notification) -> Result<(), DeliveryError> {
        let body = body_v1(n).map_err(|e| DeliveryError::Permanent {
            status: None,
            body: format!("cannot serialize body: {e}"),
        })?;
        let now = self.clock.now();
        let ts = now.timestamp();
        let headers = [
            (TIMESTAMP_HEADER, ts.to_string()),
            (SIGNATURE_HEADER, sign(&self.secret, ts, &body)),
            (IDEMPOTENCY_HEADER, n.id.clone()),
        ];
        http::post_json(&self.client, &self.url, &headers, body, now).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::NotifyReason;
    use crate::notify::testutil::{sample, t};

    #[test]
    fn body_is_versioned_and_carries_the_id() {
        let n = sample(NotifyReason::Firing);
        let v: serde_json::Value =
            serde_json::from_slice(&body_v1(&n).expect("body")).expect("json");
        assert_eq!(v["version"], "1");
        assert_eq!(v["id"], n.id.as_str());
        assert_eq!(v["reason"], "firing");
        assert_eq!(v["incident"]["kind"], "broker_down");
        assert_eq!(v["incident"]["severity"], "critical");
        assert_eq!(v["incident"]["root"]["type"], "broker");
        assert_eq!(v["incident"]["affected"]["brokers"][0], 2);
        assert_eq!(v["summary"]["headline"], n.summary.headline.as_str());
    }

    #[test]
    fn signature_round_trip_forgery_and_replay() {
        let body = b"{\"version\":\"1\"}";
        let ts = t(0).timestamp();
        let sig = sign(b"s3cret", ts, body);
        let tol = Duration::from_secs(300);
        let tss = ts.to_string();
        assert_eq!(
            verify_signature(b"s3cret", &tss, &sig, body, t(10), tol),
            Ok(())
        );
        // Rotation: several signatures, one valid.
        let two = format!("v1=00ff,{sig}");
        assert_eq!(
            verify_signature(b"s3cret", &tss, &two, body, t(10), tol),
            Ok(())
        );
        assert_eq!(
            verify_signature(b"other", &tss, &sig, body, t(10), tol),
            Err(VerifyError::Mismatch)
        );
        assert_eq!(
            verify_signature(b"s3cret", &tss, &sig, b"{\"version\":\"2\"}", t(10), tol),
            Err(VerifyError::Mismatch)
        );
        // Same signature, shifted timestamp: fails (timestamp is signed).
        let later = (ts + 5).to_string();
        assert_eq!(
            verify_signature(b"s3cret", &later, &sig, body, t(10), tol),
            Err(VerifyError::Mismatch)
        );
        assert_eq!(
            verify_signature(b"s3cret", &tss, &sig, body, t(1000), tol),
            Err(VerifyError::OutsideTolerance { skew_secs: 1000 })
        );
        assert_eq!(
            verify_signature(b"s3cret", "yesterday", &sig, body, t(0), tol),
            Err(VerifyError::BadTimestamp("yesterday".into()))
        );
        assert_eq!(
            verify_signature(b"s3cret", &tss, "sha256=abc", body, t(0), tol),
            Err(VerifyError::MalformedSignature)
        );
    }
}
