//! The status page (`GET /`) in a real browser: headless Chromium (Debian's
//! `chromium`, installed by test.sh) against the daemon polling the
//! simulator during a fault, driven over the DevTools protocol; the page's
//! forms and token handling over plain HTTP; and `isrwatch demo` printing
//! the page's address first, its page loaded by `chromium --dump-dom`.
//!
//! Screenshots are written to `target/status-page/*.png`.

use std::io::{BufRead as _, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::{SinkExt as _, StreamExt as _};
use isrwatch::sim::{Action, Scenario, SimOptions, Simulator};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::Message;

use crate::support::{eventually, free_port};

/// A consumer group id that is also an HTML tag with an event handler.
const HOSTILE_GROUP: &str = "<img src=x onerror=alert(1)>";
const CHROMIUM: &str = "/usr/bin/chromium";
/// Generous: two cores shared with other builds.
const WAIT: Duration = Duration::from_secs(180);

fn chromium_path() -> &'static str {
    assert!(
        std::path::Path::new(CHROMIUM).exists(),
        "{CHROMIUM} is missing: run ./test.sh (it installs Debian's chromium) or apt-get install -y chromium"
    );
    CHROMIUM
}

/// `target/status-page`, where screenshots go.
fn artifacts() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .expect("target dir")
        .join("status-page");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

async fn get_json(url: &str, token: Option<&str>) -> Value {
    let mut r = reqwest::Client::new()
        .get(url)
        .timeout(Duration::from_secs(20));
    if let Some(t) = token {
        r = r.bearer_auth(t);
    }
    match r.send().await {
        Ok(resp) => resp.json().await.unwrap_or(Value::Null),
        Err(_) => Value::Null,
    }
}

/// Headless Chromium with its DevTools endpoint; killed on drop.
struct Browser {
    child: Child,
    port: u16,
    _profile: tempfile::TempDir,
}

impl Browser {
    fn start() -> Browser {
        let profile = tempfile::tempdir().unwrap();
        let mut child = Command::new(chromium_path())
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--no-first-run",
                "--hide-scrollbars",
                "--remote-debugging-port=0",
                "--remote-debugging-address=127.0.0.1",
                "--window-size=1280,2000",
            ])
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .arg("about:blank")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start chromium");
        // "DevTools listening on ws://127.0.0.1:PORT/devtools/browser/ID";
        // the rest of stderr is drained so that Chromium never blocks on it.
        let stderr = child.stderr.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut tx = Some(tx);
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(rest) = line.split("DevTools listening on ws://").nth(1) {
                    if let Some(tx) = tx.take() {
                        let _ = tx.send(rest.to_string());
                    }
                }
            }
        });
        let addr = rx
            .recv_timeout(Duration::from_secs(120))
            .expect("chromium did not say where DevTools listens");
        let port = addr
            .split('/')
            .next()
            .and_then(|hp| hp.rsplit(':').next())
            .and_then(|p| p.parse().ok())
            .expect("DevTools port");
        Browser {
            child,
            port,
            _profile: profile,
        }
    }

    /// A DevTools session on the browser's first page.
    async fn page(&self) -> Page {
        let mut ws_url = None;
        for _ in 0..240 {
            let v = get_json(&format!("http://127.0.0.1:{}/json/list", self.port), None).await;
            ws_url = v.as_array().and_then(|targets| {
                targets
                    .iter()
                    .find(|t| t["type"] == "page")
                    .and_then(|t| t["webSocketDebuggerUrl"].as_str().map(str::to_string))
            });
            if ws_url.is_some() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        let url = ws_url.expect("a page target");
        let (ws, _) = tokio_tungstenite::connect_async(url.as_str())
            .await
            .expect("connect to the page's DevTools socket");
        Page {
            ws,
            next_id: 0,
            events: Vec::new(),
        }
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One page driven over the DevTools protocol.
struct Page {
    ws: tokio_tungstenite::WebSocketStream<
        tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>,
    >,
    next_id: u64,
    /// Every event received (method, params).
    events: Vec<(String, Value)>,
}

impl Page {
    async fn call(&mut self, method: &str, params: Value) -> Value {
        let v = self.call_raw(method, params).await;
        assert!(v["error"].is_null(), "{method}: {}", v["error"]);
        v["result"].clone()
    }

    /// Sends a command; its whole answer, error or result.
    async fn call_raw(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        let msg = json!({"id": id, "method": method, "params": params}).to_string();
        self.ws.send(Message::text(msg)).await.unwrap();
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let frame = tokio::time::timeout(left, self.ws.next())
                .await
                .unwrap_or_else(|_| panic!("no answer to {method}"))
                .expect("DevTools socket closed")
                .unwrap();
            let Message::Text(text) = frame else {
                continue;
            };
            let v: Value = serde_json::from_str(&text).unwrap();
            if v["id"] == id {
                return v;
            }
            if let Some(m) = v["method"].as_str() {
                self.events.push((m.to_string(), v["params"].clone()));
            }
        }
    }

    /// Evaluates a JavaScript expression in the page; its JSON value (null
    /// when it threw, or while a navigation replaces the document).
    async fn eval(&mut self, expr: &str) -> Value {
        let r = self
            .call_raw(
                "Runtime.evaluate",
                json!({"expression": expr, "returnByValue": true}),
            )
            .await;
        r["result"]["result"]["value"].clone()
    }

    async fn wait_for(&mut self, what: &str, expr: &str) {
        let start = Instant::now();
        while start.elapsed() < WAIT {
            if self.eval(expr).await == Value::Bool(true) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
        let text = self
            .eval("document.body ? document.body.innerText.slice(0, 3000) : ''")
            .await;
        panic!("timed out after {WAIT:?} waiting for {what}; the page says:\n{text}");
    }

    async fn screenshot(&mut self, name: &str) -> PathBuf {
        let r = self
            .call(
                "Page.captureScreenshot",
                json!({"format": "png", "captureBeyondViewport": true}),
            )
            .await;
        use base64::Engine as _;
        let png = base64::engine::general_purpose::STANDARD
            .decode(r["data"].as_str().unwrap())
            .unwrap();
        assert!(png.starts_with(b"\x89PNG"), "a PNG");
        let path = artifacts().join(name);
        std::fs::write(&path, png).unwrap();
        path
    }
}

const BROKER_3_DOWN: &str = r#"(() => {
  const row = document.querySelector('tr[data-broker="3"]');
  const inc = [...document.querySelectorAll('details.incident')]
    .find(d => d.dataset.kind === 'broker_down' && d.dataset.state === 'firing');
  return !!row && row.dataset.state === 'down' && row.innerText.includes('DOWN')
    && !!inc && inc.innerText.includes('Broker 3')
    && !!inc.querySelector('.summary .headline')
    && inc.querySelector('.summary .headline').innerText.length > 0
    && !!inc.querySelector('ol.timeline li');
})()"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_page_shows_a_down_broker_and_its_incident_and_refreshes_live_when_it_returns() {
    let _group = crate::support::group(module_path!());
    // The demo cluster with a group named like an HTML tag, the clock
    // nearly frozen: only the test's actions change it.
    let mut scenario = Scenario::demo();
    let mut hostile = scenario.cluster.groups[0].clone();
    hostile.name = HOSTILE_GROUP.into();
    scenario.cluster.groups.push(hostile);
    let sim = Simulator::start(
        scenario,
        SimOptions {
            speed: 1e-6,
            ports: None,
        },
    )
    .await
    .unwrap();
    // Reads protected too: the browser sends the token as a bearer header.
    let (running, base, _state_dir) =
        crate::support::sim::protected_demo_daemon(&sim.bootstrap()).await;
    let tok = Some("tok");

    eventually("the first poll", WAIT, || async {
        get_json(&format!("{base}/readyz"), None).await["status"] == "ready"
    })
    .await;
    // The hostile group is polled.
    eventually("the hostile group in the API", WAIT, || async {
        let v = get_json(&format!("{base}/api/v1/clusters/demo/groups"), tok).await;
        v["items"]
            .as_array()
            .is_some_and(|a| a.iter().any(|g| g["name"] == HOSTILE_GROUP))
    })
    .await;

    // The page's headers, without a browser.
    let resp = reqwest::get(format!("{base}/")).await.unwrap();
    assert_eq!(resp.status(), 401, "the token protects the page too");
    let resp = reqwest::Client::new()
        .get(format!("{base}/"))
        .bearer_auth("tok")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let csp = resp.headers()["content-security-policy"].to_str().unwrap();
    assert!(
        csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"),
        "{csp}"
    );

    // Broker 3 goes down; the daemon raises its incident and summary.
    sim.apply(Action::BrokerDown { broker: 3 });
    eventually(
        "a firing broker_down incident with a summary",
        WAIT,
        || async {
            let v = get_json(
                &format!("{base}/api/v1/clusters/demo/incidents?state=active"),
                tok,
            )
            .await;
            v["items"].as_array().is_some_and(|a| {
                a.iter().any(|i| {
                    i["kind"] == "broker_down" && i["state"] == "firing" && i["summary"].is_object()
                })
            })
        },
    )
    .await;

    let browser = Browser::start();
    let mut page = browser.page().await;
    page.call("Page.enable", json!({})).await;
    // Every Content-Security-Policy violation is recorded in the page.
    page.call(
        "Page.addScriptToEvaluateOnNewDocument",
        json!({"source": "document.addEventListener('securitypolicyviolation', e => { (window.__csp = window.__csp || []).push(e.violatedDirective); });"}),
    )
    .await;
    page.call("Network.enable", json!({})).await;
    page.call(
        "Network.setExtraHTTPHeaders",
        json!({"headers": {"Authorization": "Bearer tok"}}),
    )
    .await;
    // One cluster's page: live refresh keeps its query.
    page.call(
        "Page.navigate",
        json!({"url": format!("{base}/?cluster=demo")}),
    )
    .await;
    page.wait_for("broker 3 down and its incident on the page", BROKER_3_DOWN)
        .await;

    // The hostile group id is text, in the table, and nothing it names exists.
    let hostile = page
        .eval(&format!(
            r#"(() => {{
  const row = [...document.querySelectorAll('tr[data-group]')].find(r => r.dataset.group === {g});
  return !!row && row.querySelector('td.name').textContent === {g}
    && document.querySelectorAll('img').length === 0
    && document.body.innerText.includes({g});
}})()"#,
            g = serde_json::to_string(HOSTILE_GROUP).unwrap()
        ))
        .await;
    assert_eq!(
        hostile,
        Value::Bool(true),
        "the hostile group id is shown as text"
    );
    // The charts are drawn.
    page.wait_for(
        "the charts",
        "document.querySelectorAll('figure.chart svg polyline').length >= 2",
    )
    .await;
    let shot = page.screenshot("broker-down.png").await;
    eprintln!("screenshot: {}", shot.display());

    // A marker that a reload would wipe: the next change must come by live refresh.
    page.eval("window.__notReloaded = true; true").await;
    sim.apply(Action::BrokerUp { broker: 3 });
    page.wait_for(
        "broker 3 back on the page by live refresh",
        r#"(() => {
  const row = document.querySelector('tr[data-broker="3"]');
  const live = document.getElementById('live');
  return window.__notReloaded === true && !!row && row.dataset.state === 'up'
    && live.hasAttribute('data-refreshes');
})()"#,
    )
    .await;
    page.screenshot("broker-back.png").await;

    // Phone width: nothing wider than the screen.
    page.call(
        "Emulation.setDeviceMetricsOverride",
        json!({"width": 390, "height": 844, "deviceScaleFactor": 1, "mobile": true}),
    )
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let overflow = page
        .eval("document.documentElement.scrollWidth - window.innerWidth")
        .await;
    assert!(
        overflow.as_i64().is_some_and(|o| o <= 1),
        "the page is wider than a phone: {overflow}"
    );
    page.screenshot("phone.png").await;

    // No dialog opened (the hostile id ran nothing) and the page itself
    // never hit its CSP; an inline image it forbids does.
    assert!(
        !page
            .events
            .iter()
            .any(|(m, _)| m == "Page.javascriptDialogOpening"),
        "a dialog opened"
    );
    assert_eq!(
        page.eval("window.__csp === undefined").await,
        Value::Bool(true),
        "CSP violations: {}",
        page.eval("window.__csp").await
    );
    page.eval("document.body.insertAdjacentHTML('beforeend', '<img alt=probe src=\"data:image/gif;base64,R0lGODlhAQABAAAAACw=\">'); true").await;
    page.wait_for(
        "the CSP to refuse an inline image",
        "Array.isArray(window.__csp) && window.__csp.some(d => d.startsWith('img-src'))",
    )
    .await;

    drop(page);
    drop(browser);
    running.stop().await;
    sim.shutdown().await;
}

/// Builds a daemon-less API context with a silence store and a token.
fn serve_ctx(
    token: Option<&str>,
) -> (
    Arc<isrwatch::http::api::ApiContext>,
    isrwatch::incident::Silences,
) {
    let state = isrwatch::state::SharedState::new(["prod".to_string()]);
    let mut ctx = isrwatch::http::api::ApiContext::new(state, prometheus::Registry::new());
    let silences = isrwatch::incident::Silences::new();
    ctx.silences = Some(Arc::new(silences.clone()));
    ctx.token = token.map(str::to_string);
    (Arc::new(ctx), silences)
}

async fn serve(
    ctx: Arc<isrwatch::http::api::ApiContext>,
) -> (String, tokio::sync::oneshot::Sender<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(isrwatch::http::serve(listener, ctx, async {
        let _ = rx.await;
    }));
    (format!("http://{addr}"), tx)
}

fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(20))
        .build()
        .unwrap()
}

#[tokio::test]
async fn login_and_silence_forms_use_the_api_token_and_say_what_is_wrong() {
    let _group = crate::support::group(module_path!());
    let (ctx, silences) = serve_ctx(Some("s3cret"));
    let (base, stop) = serve(ctx).await;
    let c = no_redirects();
    let now = chrono::Utc::now();

    // Reads need the token: a login form, then a session cookie.
    let r = c.get(format!("{base}/")).send().await.unwrap();
    assert_eq!(r.status(), 401);
    assert!(r.text().await.unwrap().contains("action=\"/login\""));
    assert_eq!(
        c.get(format!("{base}/live")).send().await.unwrap().status(),
        401
    );
    let r = c
        .post(format!("{base}/login"))
        .form(&[("token", "wrong")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let r = c
        .post(format!("{base}/login"))
        .form(&[("token", "s3cret")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let cookie = r.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"));
    assert!(
        !cookie.contains("s3cret"),
        "the cookie does not hold the token"
    );
    let session = cookie.split(';').next().unwrap().to_string();
    let r = c
        .get(format!("{base}/"))
        .header("cookie", &session)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let html = r.text().await.unwrap();
    assert!(html.contains("Cluster prod"), "{html}");
    let r = c
        .get(format!("{base}/live"))
        .header("cookie", &session)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().starts_with("<main id=\"live\""));
    // One cluster's page; an unknown cluster or a bad query says so.
    for (path, code, text) in [
        ("/?cluster=prod", 200, "Cluster prod"),
        ("/live?cluster=prod", 200, "Cluster prod"),
        (
            "/?cluster=%3Cb%3Enope",
            404,
            "no cluster named &quot;&lt;b&gt;nope&quot;",
        ),
        ("/live?cluster=nope", 404, "no cluster named"),
        ("/?cluster=a&cluster=b", 400, "not understood"),
    ] {
        let r = c
            .get(format!("{base}{path}"))
            .header("cookie", &session)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), code, "{path}");
        let body = r.text().await.unwrap();
        assert!(body.contains(text), "{path}: {body}");
    }
    // The assets need nothing and carry their types.
    let r = c.get(format!("{base}/assets/app.js")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/javascript"));
    let r = c
        .get(format!("{base}/assets/style.css"))
        .send()
        .await
        .unwrap();
    assert!(r.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/css"));

    // Writes: the token as a form field, the API's own checks and messages.
    let form = |token: &str, value: &str, duration: &str| {
        vec![
            ("token".to_string(), token.to_string()),
            ("label".to_string(), "group".to_string()),
            ("value".to_string(), value.to_string()),
            ("label2".to_string(), "kind".to_string()),
            ("value2".to_string(), String::new()),
            ("duration".to_string(), duration.to_string()),
            ("comment".to_string(), "deploy <b>now</b>".to_string()),
        ]
    };
    let post =
        |path: &str, f: Vec<(String, String)>| c.post(format!("{base}{path}")).form(&f).send();
    let r = post("/silences", form("", "billing", "2h")).await.unwrap();
    assert_eq!(r.status(), 401);
    assert!(r.text().await.unwrap().contains("enter the API token"));
    let r = post("/silences", form("nope", "billing", "2h"))
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let r = post("/silences", form("s3cret", "", "2h")).await.unwrap();
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("at least one matcher"));
    let r = post("/silences", form("s3cret", "billing", "soon"))
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("duration"));
    // Not even a form: a clear refusal, not a crash.
    let r = c
        .post(format!("{base}/silences"))
        .body(vec![0xff, 0x00, b'%', b'z'])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert!(silences.list(now).is_empty());

    let r = post("/silences", form("s3cret", HOSTILE_GROUP, "2h"))
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/?silence=created#silences");
    let listed = silences.list(now);
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].matchers[0].label, "group");
    assert_eq!(listed[0].matchers[0].value, HOSTILE_GROUP);
    // The page lists it, escaped, with its expire form.
    let html = c
        .get(format!("{base}/?silence=created"))
        .bearer_auth("s3cret")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("Silence added."));
    assert!(
        !html.contains("<img") && !html.contains("<b>now"),
        "escaped"
    );
    assert!(html.contains("&lt;img src=x onerror=alert(1)&gt;"));
    let id = listed[0].id.clone();
    assert!(html.contains(&format!("/silences/{id}/expire")));

    let r = post(&format!("/silences/{id}/expire"), form("nope", "", ""))
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let r = post(&format!("/silences/{id}/expire"), form("s3cret", "", ""))
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert!(silences.list(now).is_empty());
    let r = post(&format!("/silences/{id}/expire"), form("s3cret", "", ""))
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let _ = stop.send(());
}

#[tokio::test]
async fn without_a_token_the_page_is_open_and_writes_are_refused() {
    let _group = crate::support::group(module_path!());
    let (ctx, silences) = serve_ctx(None);
    let (base, stop) = serve(ctx).await;
    let c = no_redirects();
    let r = c.get(format!("{base}/")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains("needs an API token"));
    let r = c
        .post(format!("{base}/silences"))
        .form(&[("token", "x"), ("value", "billing"), ("duration", "1h")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert!(silences.list(chrono::Utc::now()).is_empty());
    let _ = stop.send(());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_prints_the_page_first_and_chromium_renders_it() {
    let _group = crate::support::group(module_path!());
    let port = free_port();
    let mut demo = tokio::process::Command::new(env!("CARGO_BIN_EXE_isrwatch"))
        .args(["demo", "--speed", "10", "--listen"])
        .arg(format!("127.0.0.1:{port}"))
        .env("ISRWATCH_API_TOKEN", "")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines =
        tokio::io::AsyncBufReadExt::lines(tokio::io::BufReader::new(demo.stderr.take().unwrap()));
    let first = tokio::time::timeout(WAIT, lines.next_line())
        .await
        .expect("the demo printed nothing")
        .unwrap()
        .unwrap_or_default();
    let url = format!("http://127.0.0.1:{port}/");
    assert!(
        first.contains("status page") && first.trim_end().ends_with(&url),
        "the first line names the page: {first:?}"
    );
    // Keep reading its output so it never blocks.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    eventually("the demo's first poll", WAIT, || async {
        get_json(&format!("http://127.0.0.1:{port}/readyz"), None).await["status"] == "ready"
    })
    .await;

    let profile = tempfile::tempdir().unwrap();
    let shot = artifacts().join("demo.png");
    let run = |extra: Vec<String>| {
        let profile = profile.path().to_path_buf();
        let url = url.clone();
        tokio::task::spawn_blocking(move || {
            Command::new(chromium_path())
                .args([
                    "--headless",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-dev-shm-usage",
                    "--hide-scrollbars",
                ])
                .arg(format!("--user-data-dir={}", profile.display()))
                .arg("--virtual-time-budget=5000")
                .args(extra)
                .arg(&url)
                .stdin(Stdio::null())
                .stderr(Stdio::null())
                .output()
                .expect("run chromium")
        })
    };
    let out = run(vec!["--dump-dom".into()]).await.unwrap();
    assert!(out.status.success(), "chromium --dump-dom failed");
    let dom = String::from_utf8_lossy(&out.stdout);
    assert!(dom.contains("Cluster demo"), "{dom}");
    assert!(dom.contains("data-broker=\"1\""), "brokers listed");
    assert!(dom.contains("Consumer groups") && dom.contains("billing"));
    assert!(dom.contains("<svg"), "charts drawn");
    let out = run(vec![
        "--window-size=1280,2400".into(),
        format!("--screenshot={}", shot.display()),
    ])
    .await
    .unwrap();
    assert!(out.status.success(), "chromium --screenshot failed");
    assert!(std::fs::read(&shot).unwrap().starts_with(b"\x89PNG"));
    // Ctrl-C, so that the demo removes its state directory.
    if let Some(pid) = demo.id() {
        unsafe { libc::kill(pid as i32, libc::SIGINT) };
    }
    if tokio::time::timeout(Duration::from_secs(60), demo.wait())
        .await
        .is_err()
    {
        let _ = demo.start_kill();
        let _ = demo.wait().await;
    }
}

#[test]
fn every_page_route_is_registered() {
    let _group = crate::support::group(module_path!());
    let src = include_str!("../../src/http/page.rs");
    for (_, p) in isrwatch::http::page::PAGE_ROUTES {
        assert!(
            src.contains(&format!(".route(\"{p}\"")),
            "page route {p} not registered in the router"
        );
    }
}
