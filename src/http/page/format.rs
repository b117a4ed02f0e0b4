//! Small text formatters every section uses.

use crate::snapshot::{BrokerId, Time};

pub(super) fn clock(t: Time) -> String {
    t.format("%H:%M:%S").to_string()
}

pub(super) fn ago(now: Time, t: Time) -> String {
    let s = (now - t).num_seconds();
    if s < 0 {
        return "just now".into();
    }
    match s {
        0..=59 => format!("{s}s ago"),
        60..=3599 => format!("{}m ago", s / 60),
        3600..=86_399 => format!("{}h{:02}m ago", s / 3600, s % 3600 / 60),
        _ => format!("{}d ago", s / 86_400),
    }
}

pub(super) fn seconds(s: f64) -> String {
    if s < 60.0 {
        format!("{s:.1} s")
    } else if s < 3600.0 {
        format!("{:.1} min", s / 60.0)
    } else {
        format!("{:.1} h", s / 3600.0)
    }
}

/// At most `max` characters of `s`, with an ellipsis when cut.
pub(super) fn shorten(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}

pub(super) fn pct(x: f64) -> String {
    format!("{:.0}%", x * 100.0)
}

/// A number without noise: integers as integers, others with 3 significant
/// decimals at most.
pub(super) fn number(v: f64) -> String {
    if !v.is_finite() {
        return v.to_string();
    }
    if v.fract() == 0.0 && v.abs() < 1e15 {
        return format!("{}", v as i64);
    }
    if v.abs() >= 100.0 {
        format!("{v:.0}")
    } else if v.abs() >= 1.0 {
        format!("{v:.2}")
    } else {
        format!("{v:.3}")
    }
}

pub(super) fn ids(list: &[BrokerId]) -> String {
    if list.is_empty() {
        return "—".into();
    }
    list.iter()
        .map(|b| b.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// `s` percent-encoded for a query value.
pub(super) fn url_component(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}
