//! Durability: a process killed with SIGKILL in the middle of deliveries
//! loses no accepted notification and, once restarted, sends none twice
//! that its destination had acknowledged; a torn outbox tail is survived.
//!
//! The child process is this test binary itself, re-run with
//! `--exact notify_crash::crash_child` and an environment variable that
//! switches the `crash_child` test into child mode.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use parking_lot::Mutex;

use isrwatch::model::NotifyReason;
use isrwatch::notify::{
    system_clock, Destination, Dispatcher, NotifierConfig, NotifierKind, Outbox, WebhookNotifier,
};

use crate::support::notify::{sample, wait_until};

const CHILD_ENV: &str = "ISRWATCH_NOTIFY_CRASH_CHILD";
const TOTAL: usize = 30;
/// The receiver holds this request (1-based) without answering; the parent
/// kills the child while it is in flight.
const GATE: usize = 8;

fn webhook_dispatcher(url: &str, dir: &std::path::Path) -> Arc<Dispatcher> {
    let mut cfg = NotifierConfig::new("hook", NotifierKind::Webhook, Some(url));
    cfg.backoff_initial = isrwatch::config::Dur::millis(20);
    cfg.backoff_max = isrwatch::config::Dur::millis(100);
    let notifier = WebhookNotifier::new(
        "hook",
        url,
        b"s".to_vec(),
        Duration::from_secs(30),
        system_clock(),
    )
    .expect("notifier");
    let outbox = Outbox::open(dir).expect("outbox");
    Arc::new(
        Dispatcher::new(
            vec![Destination::new(cfg, Arc::new(notifier))],
            outbox,
            &prometheus::Registry::new(),
        )
        .expect("dispatcher"),
    )
}

/// Child mode: accept TOTAL notifications, say so, keep delivering until killed.
#[test]
fn crash_child() {
    let _group = crate::support::group(module_path!());
    let Ok(spec) = std::env::var(CHILD_ENV) else {
        return; // Only meaningful when started by the parent test below.
    };
    let (dir, url) = spec.split_once('|').expect("dir|url");
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(async {
        let d = webhook_dispatcher(url, std::path::Path::new(dir));
        let _h = d.clone().start(std::future::pending());
        for i in 0..TOTAL {
            d.accept(sample(&format!("crash-{i:02}"), NotifyReason::Firing))
                .await
                .expect("accepted");
        }
        println!("ACCEPTED {TOTAL}");
        tokio::time::sleep(Duration::from_secs(60)).await;
        panic!("the parent should have killed this child");
    });
}

#[derive(Clone, Default)]
struct Slow {
    /// Ids answered with 200, in order.
    acked: Arc<Mutex<Vec<String>>>,
    requests: Arc<AtomicUsize>,
    gate_hit: Arc<tokio::sync::Notify>,
}

async fn slow_handler(State(s): State<Slow>, headers: HeaderMap, _body: Bytes) -> StatusCode {
    let nth = s.requests.fetch_add(1, Ordering::SeqCst) + 1;
    let id = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    if nth == GATE {
        // Never answered: the sender is killed while waiting for us.
        s.gate_hit.notify_one();
        tokio::time::sleep(Duration::from_secs(120)).await;
        return StatusCode::SERVICE_UNAVAILABLE;
    }
    tokio::time::sleep(Duration::from_millis(15)).await;
    s.acked.lock().push(id);
    StatusCode::OK
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_mid_delivery_loses_nothing_and_sends_nothing_twice() {
    let _group = crate::support::group(module_path!());
    let slow = Slow::default();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}/in", listener.local_addr().expect("addr"));
    let app = axum::Router::new()
        .fallback(slow_handler)
        .with_state(slow.clone());
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    let dir = tempfile::tempdir().expect("tmp");

    let mut child = Command::new(std::env::current_exe().expect("test binary"))
        .arg(crate::support::test_name(module_path!(), "crash_child"))
        .args(["--exact", "--nocapture", "--test-threads", "1"])
        .env(CHILD_ENV, format!("{}|{url}", dir.path().display()))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn child");
    let stdout = child.stdout.take().expect("stdout");
    let accepted = tokio::task::spawn_blocking(move || {
        BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
            .any(|l| l.contains("ACCEPTED"))
    });
    let accepted = tokio::time::timeout(Duration::from_secs(60), accepted)
        .await
        .expect("child accepted in time")
        .expect("reader");
    assert!(accepted, "child never reported its accepts");
    tokio::time::timeout(Duration::from_secs(60), slow.gate_hit.notified())
        .await
        .expect("child reached the gated request");

    // SIGKILL while a request is in flight.
    child.kill().expect("kill -9");
    let status = child.wait().expect("wait");
    assert!(!status.success());
    let before_restart = slow.acked.lock().clone();
    assert_eq!(before_restart.len(), GATE - 1);

    // Restart: reopen the outbox and finish.
    let d = webhook_dispatcher(&url, dir.path());
    assert_eq!(
        d.outbox_depth(),
        TOTAL - (GATE - 1),
        "only unacknowledged items are pending"
    );
    let _h = d.clone().start(std::future::pending());
    wait_until("all delivered", Duration::from_secs(30), || {
        d.outbox_depth() == 0
    })
    .await;

    let acked = slow.acked.lock().clone();
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for id in &acked {
        *counts.entry(id.as_str()).or_default() += 1;
    }
    let want: Vec<String> = (0..TOTAL).map(|i| format!("crash-{i:02}")).collect();
    assert_eq!(
        counts.keys().map(|s| s.to_string()).collect::<Vec<_>>(),
        want,
        "none lost"
    );
    assert!(counts.values().all(|&c| c == 1), "exactly once: {counts:?}");
    assert_eq!(acked, want, "delivered in acceptance order");
}

#[tokio::test]
async fn torn_tail_is_ignored_and_the_rest_delivered() {
    let _group = crate::support::group(module_path!());
    let rx = crate::support::notify::Receiver::start(vec![], None).await;
    let dir = tempfile::tempdir().expect("tmp");
    {
        let mut ob = Outbox::open(dir.path()).expect("open");
        for i in 0..5 {
            ob.accept(
                &sample(&format!("torn-{i}"), NotifyReason::Firing),
                &["hook".to_string()],
                chrono::Utc::now(),
            )
            .expect("accept");
        }
    }
    // A crash in the middle of the 5th append: cut its last 20 bytes.
    let log = dir.path().join("outbox.log");
    let len = std::fs::metadata(&log).expect("meta").len();
    let f = std::fs::OpenOptions::new()
        .write(true)
        .open(&log)
        .expect("open log");
    f.set_len(len - 20).expect("truncate");
    drop(f);

    let ob = Outbox::open(dir.path()).expect("reopen survives the torn tail");
    let torn = ob.recovery().torn_tail.clone().expect("reported");
    assert!(torn.reason.contains("truncated"), "{torn:?}");
    assert_eq!(ob.depth(), 4);
    drop(ob);

    let d = webhook_dispatcher(&rx.url("/in"), dir.path());
    let _h = d.clone().start(std::future::pending());
    wait_until("delivery", Duration::from_secs(10), || {
        d.outbox_depth() == 0
    })
    .await;
    let ids: Vec<String> = rx
        .seen()
        .iter()
        .map(|s| {
            s.headers
                .get("idempotency-key")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_string()
        })
        .collect();
    assert_eq!(ids, vec!["torn-0", "torn-1", "torn-2", "torn-3"]);
}

#[tokio::test]
async fn shutdown_leaves_undelivered_items_in_the_outbox() {
    let _group = crate::support::group(module_path!());
    // Destination down: the item is retrying when shutdown comes.
    let rx =
        crate::support::notify::Receiver::start(vec![], Some((503, vec![], "down".into()))).await;
    let dir = tempfile::tempdir().expect("tmp");
    {
        let d = webhook_dispatcher(&rx.url("/in"), dir.path());
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let h = d.clone().start(async move {
            let _ = stopped.await;
        });
        d.accept(sample("keep-me", NotifyReason::Firing))
            .await
            .expect("accepted");
        wait_until("an attempt", Duration::from_secs(10), || {
            !rx.seen().is_empty()
        })
        .await;
        let _ = stop.send(());
        tokio::time::timeout(Duration::from_secs(10), h)
            .await
            .expect("stops within the grace period")
            .expect("join");
        assert_eq!(d.outbox_depth(), 1);
    }
    let ob = Outbox::open(dir.path()).expect("reopen");
    assert_eq!(ob.depth(), 1);
    assert_eq!(ob.pending()[0].notification.id, "keep-me");
}

#[tokio::test]
async fn items_for_a_removed_destination_are_closed_on_start() {
    let _group = crate::support::group(module_path!());
    let rx = crate::support::notify::Receiver::start(vec![], None).await;
    let dir = tempfile::tempdir().expect("tmp");
    {
        let mut ob = Outbox::open(dir.path()).expect("open");
        let n = sample("gone-1", NotifyReason::Firing);
        ob.accept(
            &n,
            &["old-dest".to_string(), "hook".to_string()],
            chrono::Utc::now(),
        )
        .expect("accept");
    }
    let d = webhook_dispatcher(&rx.url("/in"), dir.path());
    assert_eq!(
        d.outbox_depth(),
        1,
        "only the configured destination remains"
    );
    let _h = d.clone().start(std::future::pending());
    wait_until("delivery", Duration::from_secs(10), || {
        d.outbox_depth() == 0
    })
    .await;
    assert_eq!(rx.seen().len(), 1);
}
