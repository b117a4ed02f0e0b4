//! The silences: listed, with forms to add and expire them, and a form's
//! fields as the API's request body.

use maud::{html, Markup};

use serde_json::Value;

use super::input::PageInput;

pub(super) fn silences_section(input: &PageInput<'_>) -> Markup {
    let listed = input.silences.map(|s| s.list(input.now));
    let items: Vec<&Value> = listed
        .as_ref()
        .and_then(|v| v["items"].as_array())
        .map(|a| a.iter().collect())
        .unwrap_or_default();
    let names = input.state.cluster_names();
    html! {
        section id="silences" aria-labelledby="silences-h" {
            h2 id="silences-h" { "Silences" }
            @if let Some(n) = input.notice { p.notice role="status" { (n) } }
            @if input.silences.is_none() {
                p.muted { "Silences are not available in this process." }
            } @else {
                @if !input.token_configured {
                    p.warn { "Adding or expiring a silence needs an API token: set [http] token or ISRWATCH_API_TOKEN." }
                }
                @if items.is_empty() {
                    p.muted { "No active or pending silence." }
                } @else {
                    div.scroll {
                        table {
                            thead { tr { th scope="col" { "matchers" } th scope="col" { "from" } th scope="col" { "until" } th scope="col" { "comment" } th scope="col" { "expire" } } }
                            tbody {
                                @for s in &items {
                                    @let id = s["id"].as_str().unwrap_or_default();
                                    tr data-silence=(id) {
                                        td { (matchers_text(&s["matchers"])) }
                                        td { (time_text(&s["starts_at"])) }
                                        td { (time_text(&s["ends_at"])) }
                                        td { (s["comment"].as_str().unwrap_or_default())
                                            @if let Some(by) = s["created_by"].as_str().filter(|b| !b.is_empty()) { " — " (by) } }
                                        td {
                                            form.inline method="post" action={ "/silences/" (id) "/expire" } {
                                                label { span.visually-hidden { "API token" } input type="password" name="token" required autocomplete="current-password" placeholder="API token"; }
                                                button type="submit" { "Expire" }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
                form.silence method="post" action="/silences" {
                    fieldset {
                        legend { "New silence" }
                        p.muted { "Mutes notifications of incidents whose labels match both matchers (leave the second empty to use one)." }
                        div.row {
                            label { "label" select name="label" {
                                @for l in ["cluster", "kind", "broker", "topic", "group", "severity"] { option value=(l) { (l) } }
                            } }
                            label { "value" input name="value" required list="cluster-names"; }
                            label.check { input type="checkbox" name="regex" value="1"; " regex" }
                        }
                        div.row {
                            label { "label" select name="label2" {
                                @for l in ["kind", "cluster", "broker", "topic", "group", "severity"] { option value=(l) { (l) } }
                            } }
                            label { "value" input name="value2"; }
                        }
                        datalist id="cluster-names" { @for n in &names { option value=(n) {} } }
                        div.row {
                            label { "duration" input name="duration" value="2h" required; }
                            label { "by" input name="created_by" autocomplete="name"; }
                            label.grow { "comment" input name="comment"; }
                        }
                        div.row {
                            label { "API token" input type="password" name="token" required autocomplete="current-password"; }
                            button type="submit" { "Add silence" }
                        }
                    }
                }
            }
        }
    }
}

pub(super) fn matchers_text(v: &Value) -> String {
    v.as_array()
        .map(|ms| {
            ms.iter()
                .map(|m| {
                    let op = match (
                        m["is_regex"].as_bool().unwrap_or(false),
                        m["is_equal"].as_bool().unwrap_or(true),
                    ) {
                        (false, true) => "=",
                        (false, false) => "!=",
                        (true, true) => "=~",
                        (true, false) => "!~",
                    };
                    format!(
                        "{}{op}{:?}",
                        m["label"].as_str().unwrap_or_default(),
                        m["value"].as_str().unwrap_or_default()
                    )
                })
                .collect::<Vec<_>>()
                .join(", ")
        })
        .unwrap_or_default()
}

pub(super) fn time_text(v: &Value) -> String {
    v.as_str()
        .and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok())
        .map(|t| {
            t.with_timezone(&chrono::Utc)
                .format("%Y-%m-%d %H:%M UTC")
                .to_string()
        })
        .unwrap_or_default()
}

/// A silence form's fields as the body `POST /api/v1/silences` takes, or
/// a message saying what is wrong with them.
pub fn silence_body_from_form(fields: &[(String, String)]) -> Result<Value, String> {
    let get = |k: &str| {
        fields
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.trim())
            .filter(|v| !v.is_empty())
    };
    let mut matchers = Vec::new();
    let regex = get("regex").is_some();
    for (label, value, is_regex) in [("label", "value", regex), ("label2", "value2", false)] {
        match (get(label), get(value)) {
            (Some(l), Some(v)) => {
                matchers.push(serde_json::json!({"label": l, "value": v, "is_regex": is_regex}))
            }
            (None, Some(_)) => return Err(format!("{value}: a value needs a label")),
            _ => {}
        }
    }
    if matchers.is_empty() {
        return Err(
            "value: give at least one matcher value (a silence matching everything is refused)"
                .into(),
        );
    }
    let duration = get("duration").ok_or("duration: required, e.g. \"2h\"")?;
    Ok(serde_json::json!({
        "matchers": matchers,
        "duration": duration,
        "comment": get("comment").unwrap_or_default(),
        "created_by": get("created_by").unwrap_or_default(),
    }))
}
