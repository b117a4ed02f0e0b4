//! Notifiers and the dispatcher against local HTTP receivers: the Slack
//! payload, the signed webhook body (forged and replayed requests
//! rejected), retries after 500, Retry-After on 429, a destination that
//! stays down, and no retry on 400.

use std::sync::Arc;
use std::time::Duration;

use isrwatch::config::Dur;
use isrwatch::model::NotifyReason;
use isrwatch::notify::webhook::{SIGNATURE_HEADER, TIMESTAMP_HEADER};
use isrwatch::notify::{
    system_clock, verify_signature, DeliveryError, Destination, Dispatcher, Notifier,
    NotifierConfig, NotifierKind, Outbox, SlackNotifier, VerifyError, WebhookNotifier,
};

use crate::support::notify::{sample, wait_until, Receiver};

const SECRET: &[u8] = b"test-secret";

fn header(s: &crate::support::notify::Seen, name: &str) -> String {
    s.headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string()
}

/// A dispatcher with one webhook destination to `url`, fast backoff.
fn dispatcher(
    url: &str,
    dir: &std::path::Path,
    tweak: impl FnOnce(&mut NotifierConfig),
) -> Arc<Dispatcher> {
    let mut cfg = NotifierConfig::new("hook", NotifierKind::Webhook, Some(url));
    cfg.backoff_initial = Dur::millis(20);
    cfg.backoff_max = Dur::millis(100);
    cfg.timeout = Dur::secs(5);
    tweak(&mut cfg);
    let notifier =
        WebhookNotifier::new("hook", url, SECRET.to_vec(), cfg.timeout.0, system_clock())
            .expect("notifier");
    let outbox = Outbox::open(dir).expect("outbox");
    let registry = prometheus::Registry::new();
    Arc::new(
        Dispatcher::new(
            vec![Destination::new(cfg, Arc::new(notifier))],
            outbox,
            &registry,
        )
        .expect("dispatcher"),
    )
}

#[tokio::test]
async fn slack_payload_firing_and_resolve() {
    let rx = Receiver::start(vec![], None).await;
    let slack = SlackNotifier::new(
        "slack",
        &rx.url("/services/T0/B0/X"),
        Duration::from_secs(5),
    )
    .expect("slack")
    .with_links(
        Some("http://isrwatch.local:8080".into()),
        Some("http://grafana.local/d/isrwatch".into()),
    );
    slack
        .send(&sample("n-1", NotifyReason::Firing))
        .await
        .expect("firing sent");
    slack
        .send(&sample("n-2", NotifyReason::Resolved))
        .await
        .expect("resolve sent");
    let seen = rx.seen();
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[0].path, "/services/T0/B0/X");
    assert_eq!(header(&seen[0], "content-type"), "application/json");
    let v: serde_json::Value = serde_json::from_slice(&seen[0].body).expect("json");
    assert!(v["text"]
        .as_str()
        .expect("fallback text")
        .contains("Broker 2 down"));
    let blocks = v["blocks"].as_array().expect("blocks");
    assert_eq!(blocks[0]["type"], "header");
    assert_eq!(blocks[0]["text"]["type"], "plain_text");
    assert!(blocks[0]["text"]["text"]
        .as_str()
        .expect("header")
        .starts_with(":red_circle: [CRITICAL] Broker 2 is down"));
    let fields: Vec<String> = blocks
        .iter()
        .filter_map(|b| b["fields"].as_array())
        .flatten()
        .map(|f| f["text"].as_str().unwrap_or_default().to_string())
        .collect();
    for want in [
        "*Cluster*",
        "*Severity*",
        "*State*",
        "*Brokers*",
        "*Topics*",
        "*Consumer groups*",
        "*Started*",
    ] {
        assert!(
            fields.iter().any(|f| f.starts_with(want)),
            "missing field {want}: {fields:?}"
        );
    }
    let body = v.to_string();
    for want in [
        "*What happened*",
        "*Impact*",
        "*Likely cause*",
        "*Next steps*",
    ] {
        assert!(body.contains(want), "missing section {want}");
    }
    let ctx = blocks.last().expect("context");
    assert_eq!(ctx["type"], "context");
    let ctx_text = ctx["elements"][0]["text"].as_str().expect("context text");
    assert!(ctx_text
        .contains("<http://isrwatch.local:8080/api/v1/clusters/prod-eu/incidents|Incidents API>"));
    assert!(ctx_text.contains("<http://grafana.local/d/isrwatch|Dashboard>"));
    assert!(
        ctx_text.contains("n-1"),
        "notification id as idempotency key"
    );

    let r: serde_json::Value = serde_json::from_slice(&seen[1].body).expect("json");
    assert!(r["blocks"][0]["text"]["text"]
        .as_str()
        .expect("header")
        .starts_with(":white_check_mark: Resolved:"));
    assert!(r["text"].as_str().expect("text").starts_with("RESOLVED"));
}

#[tokio::test]
async fn slack_errors_are_classified() {
    let rx = Receiver::start(
        vec![
            (400, vec![], "invalid_payload".into()),
            (404, vec![], "no_service".into()),
            (
                429,
                vec![("retry-after", "3".into())],
                "rate_limited".into(),
            ),
        ],
        None,
    )
    .await;
    let slack =
        SlackNotifier::new("slack", &rx.url("/hook"), Duration::from_secs(5)).expect("slack");
    let n = sample("n-1", NotifyReason::Firing);
    assert_eq!(
        slack.send(&n).await,
        Err(DeliveryError::Permanent {
            status: Some(400),
            body: "invalid_payload".into()
        })
    );
    assert!(matches!(
        slack.send(&n).await,
        Err(DeliveryError::Permanent {
            status: Some(404),
            ..
        })
    ));
    assert!(matches!(
        slack.send(&n).await,
        Err(DeliveryError::Retryable { retry_after: Some(d), .. }) if d == Duration::from_secs(3)
    ));
}

#[tokio::test]
async fn webhook_body_and_signature_forgery_and_replay() {
    let rx = Receiver::start(vec![], None).await;
    let hook = WebhookNotifier::new(
        "hook",
        &rx.url("/in"),
        SECRET.to_vec(),
        Duration::from_secs(5),
        system_clock(),
    )
    .expect("hook");
    let n = sample("n-42", NotifyReason::Firing);
    hook.send(&n).await.expect("sent");
    let seen = rx.seen();
    let req = &seen[0];
    let v: serde_json::Value = serde_json::from_slice(&req.body).expect("json");
    assert_eq!(v["version"], "1");
    assert_eq!(v["id"], "n-42");
    assert_eq!(v["reason"], "firing");
    assert_eq!(v["incident"]["cluster"], "prod-eu");
    assert_eq!(v["incident"]["kind"], "broker_down");
    assert_eq!(v["incident"]["fingerprint"], "fp-test");
    assert_eq!(v["summary"]["headline"], n.summary.headline.as_str());
    assert_eq!(header(req, "idempotency-key"), "n-42");

    let ts = header(req, TIMESTAMP_HEADER);
    let sig = header(req, SIGNATURE_HEADER);
    assert!(sig.starts_with("v1="));
    let tol = Duration::from_secs(300);
    let now = chrono::Utc::now();
    assert_eq!(
        verify_signature(SECRET, &ts, &sig, &req.body, now, tol),
        Ok(())
    );
    // Forgery: altered body, or signed with another secret.
    let mut forged = req.body.to_vec();
    let pos = forged
        .windows(8)
        .position(|w| w == b"critical")
        .expect("severity in body");
    forged[pos..pos + 8].copy_from_slice(b"warning_");
    assert_eq!(
        verify_signature(SECRET, &ts, &sig, &forged, now, tol),
        Err(VerifyError::Mismatch)
    );
    let other = isrwatch::notify::webhook::sign(b"attacker", ts.parse().expect("ts"), &req.body);
    assert_eq!(
        verify_signature(SECRET, &ts, &other, &req.body, now, tol),
        Err(VerifyError::Mismatch)
    );
    // Replay: the same request presented 10 minutes later.
    let later = now + chrono::Duration::minutes(10);
    assert!(matches!(
        verify_signature(SECRET, &ts, &sig, &req.body, later, tol),
        Err(VerifyError::OutsideTolerance { .. })
    ));
    // Replay with a fresh timestamp header but the old signature.
    let fresh = later.timestamp().to_string();
    assert_eq!(
        verify_signature(SECRET, &fresh, &sig, &req.body, later, tol),
        Err(VerifyError::Mismatch)
    );
}

#[tokio::test]
async fn retries_after_500_then_200() {
    let rx = Receiver::start(
        vec![
            (500, vec![], "boom".into()),
            (502, vec![], "bad gateway".into()),
        ],
        None,
    )
    .await;
    let dir = tempfile::tempdir().expect("tmp");
    let d = dispatcher(&rx.url("/in"), dir.path(), |_| {});
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let h = d.clone().start(async move {
        let _ = stopped.await;
    });
    d.accept(sample("r-1", NotifyReason::Firing))
        .await
        .expect("accepted");
    wait_until("delivery", Duration::from_secs(10), || {
        d.outbox_depth() == 0
    })
    .await;
    let seen = rx.seen();
    assert_eq!(seen.len(), 3);
    // Every attempt carries the same notification id.
    for s in &seen {
        assert_eq!(header(s, "idempotency-key"), "r-1");
    }
    let m = d.metrics();
    assert_eq!(m.retried.with_label_values(&["hook"]).get(), 2);
    assert_eq!(m.sent.with_label_values(&["hook"]).get(), 1);
    assert_eq!(m.outbox_depth.get(), 0);
    assert_eq!(
        m.delivery_seconds
            .with_label_values(&["hook"])
            .get_sample_count(),
        1
    );
    let _ = stop.send(());
    h.await.expect("stopped");
    assert!(matches!(
        d.accept(sample("late", NotifyReason::Firing)).await,
        Err(isrwatch::notify::OutboxError::ShuttingDown)
    ));
}

#[tokio::test]
async fn retry_after_on_429_is_honoured() {
    let rx = Receiver::start(
        vec![(429, vec![("retry-after", "1".into())], "slow down".into())],
        None,
    )
    .await;
    let dir = tempfile::tempdir().expect("tmp");
    let d = dispatcher(&rx.url("/in"), dir.path(), |_| {});
    let _h = d.clone().start(std::future::pending());
    d.accept(sample("r-429", NotifyReason::Firing))
        .await
        .expect("accepted");
    wait_until("delivery", Duration::from_secs(10), || {
        d.outbox_depth() == 0
    })
    .await;
    let seen = rx.seen();
    assert_eq!(seen.len(), 2);
    let gap = seen[1].at - seen[0].at;
    // The backoff alone would be 10..20 ms.
    assert!(gap >= Duration::from_millis(950), "retried after {gap:?}");
    assert_eq!(d.metrics().retried.with_label_values(&["hook"]).get(), 1);
}

#[tokio::test]
async fn destination_that_stays_down_is_given_up_and_counted() {
    let rx = Receiver::start(vec![], Some((503, vec![], "down".into()))).await;
    let dir = tempfile::tempdir().expect("tmp");
    let d = dispatcher(&rx.url("/in"), dir.path(), |c| {
        c.max_retry_time = Dur::millis(600);
    });
    let _h = d.clone().start(std::future::pending());
    d.accept(sample("down-1", NotifyReason::Firing))
        .await
        .expect("accepted");
    let m = d.metrics().clone();
    wait_until("give up", Duration::from_secs(10), || {
        m.failed.with_label_values(&["hook", "gave_up"]).get() == 1
    })
    .await;
    let attempts = rx.seen().len();
    assert!(attempts >= 3, "retried several times, got {attempts}");
    assert_eq!(
        m.retried.with_label_values(&["hook"]).get() as usize,
        attempts - 1
    );
    assert_eq!(m.sent.with_label_values(&["hook"]).get(), 0);
    // Recorded as failed: nothing pending, nothing resent after a restart.
    wait_until("marked failed", Duration::from_secs(5), || {
        d.outbox_depth() == 0
    })
    .await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(rx.seen().len(), attempts, "no attempts after giving up");
}

#[tokio::test]
async fn max_retries_bounds_the_attempts() {
    let rx = Receiver::start(vec![], Some((500, vec![], "err".into()))).await;
    let dir = tempfile::tempdir().expect("tmp");
    let d = dispatcher(&rx.url("/in"), dir.path(), |c| c.max_retries = 2);
    let _h = d.clone().start(std::future::pending());
    d.accept(sample("mr-1", NotifyReason::Firing))
        .await
        .expect("accepted");
    let m = d.metrics().clone();
    wait_until("give up", Duration::from_secs(10), || {
        m.failed.with_label_values(&["hook", "gave_up"]).get() == 1
    })
    .await;
    assert_eq!(rx.seen().len(), 3, "first attempt + 2 retries");
}

#[tokio::test]
async fn no_retry_on_400_and_the_queue_moves_on() {
    let rx = Receiver::start(vec![(400, vec![], "bad request: field x".into())], None).await;
    let dir = tempfile::tempdir().expect("tmp");
    let d = dispatcher(&rx.url("/in"), dir.path(), |_| {});
    let _h = d.clone().start(std::future::pending());
    d.accept(sample("bad-1", NotifyReason::Firing))
        .await
        .expect("accepted");
    d.accept(sample("good-2", NotifyReason::Firing))
        .await
        .expect("accepted");
    wait_until("both handled", Duration::from_secs(10), || {
        d.outbox_depth() == 0
    })
    .await;
    let seen = rx.seen();
    let ids: Vec<String> = seen.iter().map(|s| header(s, "idempotency-key")).collect();
    assert_eq!(
        ids,
        vec!["bad-1", "good-2"],
        "in order, the 400 not retried"
    );
    let m = d.metrics();
    assert_eq!(m.failed.with_label_values(&["hook", "rejected"]).get(), 1);
    assert_eq!(m.retried.with_label_values(&["hook"]).get(), 0);
    assert_eq!(m.sent.with_label_values(&["hook"]).get(), 1);
}

#[tokio::test]
async fn connection_refused_is_retryable() {
    // Bind then drop to get a port nobody listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port();
    let hook = WebhookNotifier::new(
        "hook",
        &format!("http://127.0.0.1:{port}/services/T0/B0/SECRETTOKEN"),
        SECRET.to_vec(),
        Duration::from_secs(2),
        system_clock(),
    )
    .expect("hook");
    match hook.send(&sample("x", NotifyReason::Firing)).await {
        Err(DeliveryError::Retryable { reason, .. }) => {
            assert!(!reason.contains("SECRETTOKEN"), "URL leaked: {reason}")
        }
        other => panic!("expected a retryable error, got {other:?}"),
    }
}

#[tokio::test]
async fn routing_and_rate_limit() {
    let rx = Receiver::start(vec![], None).await;
    let dir = tempfile::tempdir().expect("tmp");
    let d = dispatcher(&rx.url("/in"), dir.path(), |c| {
        c.clusters = vec!["prod-.*".into()];
        c.rate_limit = Some(120); // 2 per second, burst 120
    });
    let _h = d.clone().start(std::future::pending());
    let mut other = sample("other-cluster", NotifyReason::Firing);
    other.incident.cluster = "staging".into();
    d.accept(other).await.expect("accepted (routed nowhere)");
    d.accept(sample("prod-1", NotifyReason::Firing))
        .await
        .expect("accepted");
    wait_until("delivery", Duration::from_secs(10), || {
        d.outbox_depth() == 0
    })
    .await;
    let ids: Vec<String> = rx
        .seen()
        .iter()
        .map(|s| header(s, "idempotency-key"))
        .collect();
    assert_eq!(ids, vec!["prod-1"]);
}

#[tokio::test]
async fn from_config_builds_every_kind_and_refresh_reaches_alertmanager() {
    let hook = Receiver::start(vec![], None).await;
    let slack = Receiver::start(vec![], None).await;
    let am = Receiver::start(vec![], None).await;
    #[derive(serde::Deserialize)]
    struct File {
        notifiers: Vec<NotifierConfig>,
    }
    let toml = format!(
        r#"
        [[notifiers]]
        name = "hook"
        type = "webhook"
        url = "{}"
        secret = "s3cret"

        [[notifiers]]
        name = "slack"
        type = "slack"
        url = "{}"
        min_severity = "critical"
        api_base_url = "http://isrwatch.local:8080"

        [[notifiers]]
        name = "am"
        type = "alertmanager"
        url = "{}"
        send_resolved = true
        resolve_timeout = "2m"

        [[notifiers]]
        name = "log"
        type = "log"
        kinds = ["consumer_lag"]
        "#,
        hook.url("/in"),
        slack.url("/slack"),
        am.url(""),
    );
    let file: File = toml::from_str(&toml).expect("parses");
    let mut problems = isrwatch::config::Problems::default();
    NotifierConfig::validate_all(&file.notifiers, &mut problems);
    assert!(problems.is_empty(), "{problems}");
    let dir = tempfile::tempdir().expect("tmp");
    let registry = prometheus::Registry::new();
    let d = Arc::new(
        Dispatcher::from_config(&file.notifiers, dir.path(), &registry, system_clock())
            .expect("dispatcher"),
    );
    let _h = d.clone().start(std::future::pending());
    let n = sample("cfg-1", NotifyReason::Firing);
    d.accept(n.clone()).await.expect("accepted");
    wait_until("delivery", Duration::from_secs(10), || {
        d.outbox_depth() == 0
    })
    .await;
    assert_eq!(hook.seen().len(), 1);
    assert_eq!(slack.seen().len(), 1);
    assert_eq!(am.seen().len(), 1);
    assert_eq!(am.seen()[0].path, "/api/v2/alerts");
    // The log notifier's kinds filter excluded it: nothing pending, nothing sent.
    assert_eq!(d.metrics().sent.with_label_values(&["log"]).get(), 0);

    // Keep-alive for Alertmanager: only the alertmanager destination.
    d.refresh(std::slice::from_ref(&n.incident)).await;
    assert_eq!(am.seen().len(), 2);
    assert_eq!(hook.seen().len(), 1);
    let v: serde_json::Value = serde_json::from_slice(&am.seen()[1].body).expect("json");
    assert_eq!(v[0]["labels"]["alertname"], "IsrwatchBrokerDown");

    // The metrics are in the registry under their documented names.
    let names: Vec<String> = registry
        .gather()
        .iter()
        .map(|m| m.name().to_string())
        .collect();
    for want in [
        "isrwatch_notifications_sent_total",
        "isrwatch_outbox_depth",
        "isrwatch_notification_delivery_seconds",
    ] {
        assert!(
            names.iter().any(|n| n == want),
            "{want} missing from {names:?}"
        );
    }
}
