//! Slack incoming webhook: a Block Kit message per notification.
//!
//! Every text that comes from the cluster or the summarizer is escaped for
//! Slack's mrkdwn (`&`, `<`, `>`), so a topic named `<!channel>` cannot
//! mention anyone and no link can be injected.

use std::time::Duration;

use serde_json::{json, Value};

use super::{http, incidents_link, system_clock, Clock, DeliveryError, Notifier};
use crate::finding::Severity;
use crate::model::{Notification, NotifyReason};

/// Slack limits: header text 150 chars, section text 3000, field 2000.
const HEADER_MAX: usize = 150;
const SECTION_MAX: usize = 2900;
const FIELD_MAX: usize = 1900;
/// At most this many names are listed per entity kind.
const LIST_MAX: usize = 10;

/// Posts Block Kit messages to a Slack incoming-webhook URL.
pub struct SlackNotifier {
    name: String,
    url: String,
    client: reqwest::Client,
    api_base: Option<String>,
    dashboard_url: Option<String>,
    clock: Clock,
}

impl SlackNotifier {
    /// `url` is the incoming-webhook URL (a secret: never logged).
    pub fn new(name: &str, url: &str, timeout: Duration) -> Result<Self, String> {
        reqwest::Url::parse(url).map_err(|e| format!("notifier {name:?}: bad url: {e}"))?;
        Ok(SlackNotifier {
            name: name.to_string(),
            url: url.to_string(),
            client: http::client(timeout)?,
            api_base: None,
            dashboard_url: None,
            clock: system_clock(),
        })
    }

    /// Reads the time (for `Retry-After` dates) from `clock`.
    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    /// Adds links to isrwatch's API and to a dashboard in the context line.
    pub fn with_links(mut self, api_base: Option<String>, dashboard_url: Option<String>) -> Self {
        self.api_base = api_base;
        self.dashboard_url = dashboard_url;
        self
    }

    /// The JSON message for `n` (public for tests and previews).
    pub fn message(&self, n: &Notification) -> Value {
        message(n, self.api_base.as_deref(), self.dashboard_url.as_deref())
    }
}

/// Escapes text for Slack mrkdwn and plain_text.
pub fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn cap(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
        out.push('…');
        out
    }
}

fn severity_emoji(s: Severity) -> &'static str {
    match s {
        Severity::Critical => ":red_circle:",
        Severity::Warning => ":warning:",
        Severity::Info => ":information_source:",
    }
}

fn list<T: ToString>(items: &[T], total: usize) -> String {
    if items.is_empty() {
        return "—".to_string();
    }
    let mut s = items
        .iter()
        .take(LIST_MAX)
        .map(|i| format!("`{}`", escape(&i.to_string()).replace('`', "'")))
        .collect::<Vec<_>>()
        .join(", ");
    let total = total.max(items.len());
    if total > LIST_MAX.min(items.len()) {
        s.push_str(&format!(" and {} more", total - LIST_MAX.min(items.len())));
    }
    s
}

fn field(title: &str, value: String) -> Value {
    json!({"type": "mrkdwn", "text": cap(&format!("*{title}*\n{value}"), FIELD_MAX)})
}

fn section(title: &str, text: &str) -> Value {
    json!({"type": "section", "text": {"type": "mrkdwn", "text": cap(&format!("*{title}*\n{text}"), SECTION_MAX)}})
}

/// Builds the Block Kit message: header, fields, the summary sections and
/// a context line with links; a shorter message for a resolve.
pub fn message(n: &Notification, api_base: Option<&str>, dashboard_url: Option<&str>) -> Value {
    let inc = &n.incident;
    let s = &n.summary;
    let resolved = n.reason == NotifyReason::Resolved;
    let prefix = match n.reason {
        NotifyReason::Resolved => ":white_check_mark: Resolved:".to_string(),
        NotifyReason::Escalated => format!("{} Escalated:", severity_emoji(inc.severity)),
        NotifyReason::DeEscalated => format!("{} De-escalated:", severity_emoji(inc.severity)),
        NotifyReason::Reminder => format!("{} Still firing:", severity_emoji(inc.severity)),
        NotifyReason::Flapping => format!("{} Flapping:", severity_emoji(inc.severity)),
        NotifyReason::Firing => severity_emoji(inc.severity).to_string(),
    };
    let update = if n.is_update {
        " (updated summary)"
    } else {
        ""
    };
    let header = cap(
        &format!(
            "{prefix} [{}] {}{update}",
            inc.severity.as_str().to_uppercase(),
            // plain_text is not parsed for mentions; angle brackets are
            // swapped for look-alikes anyway so no client renders markup.
            inc.title.replace('<', "‹").replace('>', "›")
        ),
        HEADER_MAX,
    );
    let a = &inc.affected;
    let mut fields = vec![
        field("Cluster", format!("`{}`", escape(&inc.cluster))),
        field("Severity", inc.severity.as_str().to_string()),
        field("State", inc.state.as_str().to_string()),
        field(
            "Started",
            format!("{} UTC", inc.started_at.format("%Y-%m-%d %H:%M:%S")),
        ),
    ];
    if !a.brokers.is_empty() {
        fields.push(field("Brokers", list(&a.brokers, a.brokers.len())));
    }
    if !a.topics.is_empty() {
        let mut v = list(&a.topics, a.topics.len());
        if a.partition_count > 0 {
            v.push_str(&format!(" ({} partitions)", a.partition_count));
        }
        fields.push(field("Topics", v));
    }
    if !a.groups.is_empty() {
        fields.push(field("Consumer groups", list(&a.groups, a.groups.len())));
    }
    if let Some(r) = inc.resolved_at {
        fields.push(field(
            "Resolved",
            format!("{} UTC", r.format("%Y-%m-%d %H:%M:%S")),
        ));
    }
    fields.truncate(10);

    let mut blocks = vec![
        json!({"type": "header", "text": {"type": "plain_text", "text": header, "emoji": true}}),
        json!({"type": "section", "text": {"type": "mrkdwn", "text": cap(&format!("*{}*", escape(&s.headline)), SECTION_MAX)}}),
        json!({"type": "section", "fields": fields}),
        section("What happened", &escape(&s.what_happened)),
    ];
    if !resolved {
        blocks.push(section("Impact", &escape(&s.impact)));
        blocks.push(section("Likely cause", &escape(&s.likely_cause)));
        if !s.next_steps.is_empty() {
            let steps = s
                .next_steps
                .iter()
                .map(|st| format!("• {}", escape(st)))
                .collect::<Vec<_>>()
                .join("\n");
            blocks.push(section("Next steps", &steps));
        }
    }
    let mut ctx = Vec::new();
    if let Some(link) = incidents_link(api_base, &inc.cluster) {
        ctx.push(format!("<{}|Incidents API>", escape(&link)));
    }
    if let Some(d) = dashboard_url {
        ctx.push(format!("<{}|Dashboard>", escape(d)));
    }
    ctx.push(format!("incident `{}`", escape(&inc.id)));
    ctx.push(format!("notification `{}`", escape(&n.id)));
    blocks.push(
        json!({"type": "context", "elements": [{"type": "mrkdwn", "text": ctx.join(" · ")}]}),
    );

    let text = cap(
        &format!(
            "{} [{}] {}: {}",
            if resolved { "RESOLVED" } else { "FIRING" },
            inc.severity.as_str(),
            escape(&inc.cluster),
            escape(&s.headline)
        ),
        SECTION_MAX,
    );
    json!({"text": text, "blocks": blocks})
}

#[async_trait::async_trait]
impl Notifier for SlackNotifier {
    fn name(&self) -> &str {
        &self.name
    }

    async fn send(&self, n: &Notification) -> Result<(), DeliveryError> {
        let body = serde_json::to_vec(&self.message(n)).map_err(|e| DeliveryError::Permanent {
            status: None,
            body: format!("cannot serialize message: {e}"),
        })?;
        // Slack answers 200 "ok"; errors are 400 invalid_payload, 403, 404
        // no_service, 410 channel_is_archived (permanent), 429 with
        // Retry-After and 5xx (retryable): the generic mapping fits.
        http::post_json(&self.client, &self.url, &[], body, self.clock.now()).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::notify::testutil::sample;

    #[test]
    fn firing_message_has_header_fields_sections_and_links() {
        let n = sample(NotifyReason::Firing);
        let m = message(&n, Some("http://isrwatch:8080"), Some("http://grafana/d/x"));
        let blocks = m["blocks"].as_array().expect("blocks");
        assert_eq!(blocks[0]["type"], "header");
        let header = blocks[0]["text"]["text"].as_str().expect("header");
        assert!(
            header.starts_with(":red_circle: [CRITICAL] Broker 2 is down"),
            "{header}"
        );
        assert!(!header.contains("<!channel>"));
        let all = m.to_string();
        assert!(all.contains("*Cluster*\\n`prod-eu`"));
        assert!(all.contains("What happened") && all.contains("Next steps"));
        assert!(
            all.contains("<http://isrwatch:8080/api/v1/clusters/prod-eu/incidents|Incidents API>")
        );
        assert!(all.contains("<http://grafana/d/x|Dashboard>"));
        assert!(m["text"]
            .as_str()
            .expect("text")
            .starts_with("FIRING [critical] prod-eu"));
        assert!(!all.contains("<!channel>"), "mentions are escaped");
    }

    #[test]
    fn resolve_message_is_distinct() {
        let n = sample(NotifyReason::Resolved);
        let m = message(&n, None, None);
        let header = m["blocks"][0]["text"]["text"].as_str().expect("header");
        assert!(
            header.starts_with(":white_check_mark: Resolved:"),
            "{header}"
        );
        let all = m.to_string();
        assert!(!all.contains("Next steps"));
        assert!(all.contains("*Resolved*"));
        assert!(m["text"].as_str().expect("text").starts_with("RESOLVED"));
    }

    #[test]
    fn long_lists_are_capped() {
        let names: Vec<String> = (0..25).map(|i| format!("t{i}")).collect();
        let s = list(&names, 25);
        assert!(s.ends_with("and 15 more"), "{s}");
    }
}
