//! Alertmanager v2: `POST {url}/api/v2/alerts` with postable alerts.
//!
//! Labels are built only from fields that stay fixed for an incident's
//! life (the kind it is keyed by, cluster, severity, fingerprint, root
//! entity), never from text, so a firing alert and its resolve are the
//! same Alertmanager alert, and two isrwatch instances watching the same
//! cluster send identical labels that Alertmanager deduplicates. What
//! changes while it is open (its current kind, the topics it touches) goes
//! into annotations: an under-replicated incident whose partitions go
//! offline stays `IsrwatchUnderReplicated`, escalated to critical, instead
//! of becoming a second alert while the first one expires as "resolved".

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Serialize;

use super::{http, incidents_link, Clock, DeliveryError, Notifier};
use crate::finding::{FindingKind, Severity, Subject};
use crate::model::{Notification, NotifyReason};
use crate::snapshot::Time;

/// One element of the `POST /api/v2/alerts` array.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PostableAlert {
    pub labels: BTreeMap<String, String>,
    pub annotations: BTreeMap<String, String>,
    #[serde(rename = "startsAt")]
    pub starts_at: Time,
    #[serde(rename = "endsAt")]
    pub ends_at: Time,
    #[serde(rename = "generatorURL", skip_serializing_if = "Option::is_none")]
    pub generator_url: Option<String>,
}

/// Sends incidents to Alertmanager.
pub struct AlertmanagerNotifier {
    name: String,
    endpoint: String,
    client: reqwest::Client,
    resolve_timeout: Duration,
    clock: Clock,
    api_base: Option<String>,
    dashboard_url: Option<String>,
}

/// `IsrwatchBrokerDown` for `broker_down`.
pub fn alertname(kind: FindingKind) -> String {
    let mut out = String::from("Isrwatch");
    for word in kind.as_str().split('_') {
        let mut c = word.chars();
        if let Some(first) = c.next() {
            out.extend(first.to_uppercase());
            out.push_str(c.as_str());
        }
    }
    out
}

/// Turns an arbitrary key into a valid Prometheus label name.
fn label_name(k: &str) -> Option<String> {
    let mut s: String = k
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if s.is_empty() {
        return None;
    }
    if s.starts_with(|c: char| c.is_ascii_digit()) {
        s.insert(0, '_');
    }
    // Names starting with `__` are reserved.
    if s.starts_with("__") {
        s = s.trim_start_matches('_').to_string();
        if s.is_empty() {
            return None;
        }
    }
    Some(s)
}

/// The labels of the alert for `n` at a given severity. The incident's
/// routing labels are copied but for `topic` and `kind`, which may change
/// while it is open: `topic` comes only from the root, `kind` is the kind
/// the incident is keyed by ([`crate::incident::key_kind_of`], or
/// `keyed_by` once it escalated into its broker's outage).
pub fn labels(n: &Notification, severity: Severity) -> BTreeMap<String, String> {
    let inc = &n.incident;
    let key = inc
        .keyed_by
        .unwrap_or_else(|| crate::incident::key_kind_of(inc.kind));
    let mut l = BTreeMap::new();
    for (k, v) in &inc.labels {
        if k == "topic" {
            continue;
        }
        if let Some(k) = label_name(k) {
            if !v.is_empty() {
                l.insert(k, v.clone());
            }
        }
    }
    match &inc.root {
        Subject::Broker { id } => {
            l.insert("broker".into(), id.to_string());
        }
        Subject::Topic { topic } => {
            l.insert("topic".into(), topic.clone());
        }
        Subject::Partition { topic, partition } => {
            l.insert("topic".into(), topic.clone());
            l.insert("partition".into(), partition.to_string());
        }
        Subject::Group { group } => {
            l.insert("group".into(), group.clone());
        }
        Subject::Series { series } => {
            l.insert("series".into(), series.clone());
        }
        Subject::Cluster => {}
    }
    l.retain(|_, v| !v.is_empty());
    l.insert("alertname".into(), alertname(key));
    l.insert("kind".into(), key.as_str().into());
    l.insert("cluster".into(), inc.cluster.clone());
    l.insert("severity".into(), severity.as_str().into());
    l.insert("fingerprint".into(), inc.fingerprint.clone());
    l
}

impl AlertmanagerNotifier {
    /// `url` is Alertmanager's base URL (`http://host:9093`); firing alerts
    /// get `endsAt = now + resolve_timeout`.
    pub fn new(
        name: &str,
        url: &str,
        timeout: Duration,
        resolve_timeout: Duration,
        clock: Clock,
    ) -> Result<Self, String> {
        reqwest::Url::parse(url).map_err(|e| format!("notifier {name:?}: bad url: {e}"))?;
        Ok(AlertmanagerNotifier {
            name: name.to_string(),
            endpoint: format!("{}/api/v2/alerts", url.trim_end_matches('/')),
            client: http::client(timeout)?,
            resolve_timeout,
            clock,
            api_base: None,
            dashboard_url: None,
        })
    }

    /// Sets the `generatorURL` sources: the incidents API, else a dashboard.
    pub fn with_links(mut self, api_base: Option<String>, dashboard_url: Option<String>) -> Self {
        self.api_base = api_base;
        self.dashboard_url = dashboard_url;
        self
    }

    /// The alerts posted for `n` at `now`. A resolve, an escalation or a
    /// de-escalation also resolves the same incident's alerts at the other
    /// severities (the severity label is part of the identity), so exactly
    /// one alert per incident stays active.
    pub fn alerts(&self, n: &Notification, now: Time) -> Vec<PostableAlert> {
        let inc = &n.incident;
        let s = &n.summary;
        let resolved = n.reason == NotifyReason::Resolved;
        let mut ann = BTreeMap::new();
        ann.insert("summary".to_string(), s.headline.clone());
        ann.insert("title".to_string(), inc.title.clone());
        let mut desc = s.what_happened.clone();
        if !s.impact.is_empty() {
            desc.push_str("\nImpact: ");
            desc.push_str(&s.impact);
        }
        ann.insert("description".to_string(), desc);
        if !s.likely_cause.is_empty() {
            ann.insert("likely_cause".to_string(), s.likely_cause.clone());
        }
        if !s.next_steps.is_empty() {
            ann.insert("next_steps".to_string(), s.next_steps.join("\n"));
        }
        ann.insert("current_kind".to_string(), inc.kind.as_str().to_string());
        if !inc.affected.topics.is_empty() {
            ann.insert("topics".to_string(), inc.affected.topics.join(", "));
        }
        ann.insert("incident_id".to_string(), inc.id.clone());
        ann.insert("notification_id".to_string(), n.id.clone());
        if let Some(d) = &self.dashboard_url {
            ann.insert("dashboard".to_string(), d.clone());
        }
        let generator_url = incidents_link(self.api_base.as_deref(), &inc.cluster)
            .or_else(|| self.dashboard_url.clone());
        let starts_at = inc.firing_since.unwrap_or(inc.started_at);
        let ends_at = if resolved {
            inc.resolved_at.unwrap_or(now).min(now).max(starts_at)
        } else {
            now + chrono::Duration::from_std(self.resolve_timeout)
                .unwrap_or_else(|_| chrono::Duration::minutes(5))
        };
        let main = PostableAlert {
            labels: labels(n, inc.severity),
            annotations: ann.clone(),
            starts_at,
            ends_at,
            generator_url: generator_url.clone(),
        };
        let mut out = vec![main];
        if matches!(
            n.reason,
            NotifyReason::Resolved | NotifyReason::Escalated | NotifyReason::DeEscalated
        ) {
            for other in [Severity::Info, Severity::Warning, Severity::Critical] {
                if other != inc.severity {
                    out.push(PostableAlert {
                        labels: labels(n, other),
                        annotations: ann.clone(),
                        starts_at,
                        ends_at: now.max(starts_at),
                        generator_url: generator_url.clone(),
                    });
                }
            }
        }
        out
    }
}

#[async_trait::async_trait]
impl Notifier for AlertmanagerNotifier {
    fn name(&self) -> &str {
        &self.name
    }

    async fn send(&self, n: &Notification) -> Result<(), DeliveryError> {
        let now = self.clock.now();
        let body =
            serde_json::to_vec(&self.alerts(n, now)).map_err(|e| DeliveryError::Permanent {
                status: None,
                body: format!("cannot serialize alerts: {e}"),
            })?;
        http::post_json(&self.client, &self.endpoint, &[], body, now).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::notify::testutil::{sample, t};
    use std::sync::Arc;

    fn am() -> AlertmanagerNotifier {
        AlertmanagerNotifier::new(
            "am",
            "http://127.0.0.1:9093/",
            Duration::from_secs(5),
            Duration::from_secs(300),
            Arc::new(|| t(100)),
        )
        .expect("notifier")
        .with_links(Some("http://isrwatch:8080".into()), None)
    }

    #[test]
    fn alertname_is_camel_case() {
        assert_eq!(alertname(FindingKind::BrokerDown), "IsrwatchBrokerDown");
        assert_eq!(alertname(FindingKind::UnderMinIsr), "IsrwatchUnderMinIsr");
    }

    #[test]
    fn firing_and_resolve_share_labels() {
        let a = am();
        let f = a.alerts(&sample(NotifyReason::Firing), t(100));
        let r = a.alerts(&sample(NotifyReason::Resolved), t(700));
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].labels, r[0].labels);
        let l = &f[0].labels;
        assert_eq!(l["alertname"], "IsrwatchBrokerDown");
        assert_eq!(l["cluster"], "prod-eu");
        assert_eq!(l["severity"], "critical");
        assert_eq!(l["fingerprint"], "fp123");
        assert_eq!(l["broker"], "2");
        assert_eq!(l["team"], "data");
        assert!(!l.contains_key("incident_id"));
        assert_eq!(f[0].starts_at, t(30));
        assert_eq!(f[0].ends_at, t(400), "now + resolve timeout");
        assert_eq!(r[0].ends_at, t(600), "resolved_at");
        assert_eq!(
            f[0].generator_url.as_deref(),
            Some("http://isrwatch:8080/api/v1/clusters/prod-eu/incidents")
        );
        // The resolve also closes the other severities' variants.
        assert_eq!(r.len(), 3);
        assert!(r.iter().all(|x| x.ends_at <= t(700)));
        let json = serde_json::to_value(&f).expect("json");
        assert!(json[0]["startsAt"].is_string() && json[0]["generatorURL"].is_string());
    }

    #[test]
    fn an_incident_that_gets_worse_stays_one_alert() {
        // An under-replicated incident on one topic whose partitions go
        // offline and which then spreads to a second topic: its kind and
        // its routing labels change, its Alertmanager identity must not.
        let a = am();
        let mut first = sample(NotifyReason::Firing);
        let inc = &mut first.incident;
        inc.kind = FindingKind::UnderReplicated;
        inc.root = Subject::Broker { id: 3 };
        inc.severity = Severity::Warning;
        inc.affected.topics = vec!["orders".into()];
        inc.labels.insert("kind".into(), "under_replicated".into());
        inc.labels.insert("topic".into(), "orders".into());
        let mut worse = first.clone();
        worse.reason = NotifyReason::Escalated;
        let inc = &mut worse.incident;
        inc.kind = FindingKind::PartitionOffline;
        inc.severity = Severity::Critical;
        inc.affected.topics = vec!["orders".into(), "payments".into()];
        inc.labels.insert("kind".into(), "partition_offline".into());
        inc.labels.remove("topic");

        let before = a.alerts(&first, t(100));
        let after = a.alerts(&worse, t(200));
        let l = &before[0].labels;
        assert_eq!(l["alertname"], "IsrwatchUnderReplicated");
        assert_eq!(l["kind"], "under_replicated");
        assert!(!l.contains_key("topic"), "{l:?}");
        assert_eq!(before[0].annotations["current_kind"], "under_replicated");
        assert_eq!(after[0].labels["alertname"], "IsrwatchUnderReplicated");
        assert_eq!(after[0].labels["severity"], "critical");
        assert_eq!(after[0].annotations["current_kind"], "partition_offline");
        assert_eq!(after[0].annotations["topics"], "orders, payments");
        // The escalation ends the warning alert posted before: same labels
        // but for the severity, ended now.
        let mut warning = before[0].labels.clone();
        warning.insert("severity".into(), "warning".into());
        let ended = after
            .iter()
            .find(|x| x.labels == warning)
            .expect("the warning alert is ended");
        assert_eq!(ended.ends_at, t(200));

        // The broker then goes down: the incident escalates into its
        // outage (kind broker_down) and is still the same alert.
        let mut down = worse.clone();
        down.incident.kind = FindingKind::BrokerDown;
        down.incident.keyed_by = Some(FindingKind::UnderReplicated);
        down.incident
            .labels
            .insert("kind".into(), "broker_down".into());
        let alerts = a.alerts(&down, t(300));
        assert_eq!(alerts[0].labels, after[0].labels);
        assert_eq!(alerts[0].annotations["current_kind"], "broker_down");
    }

    #[test]
    fn label_names_are_sanitized() {
        assert_eq!(label_name("team-name").as_deref(), Some("team_name"));
        assert_eq!(label_name("1x").as_deref(), Some("_1x"));
        assert_eq!(label_name("__x").as_deref(), Some("x"));
        assert_eq!(label_name(""), None);
    }
}
