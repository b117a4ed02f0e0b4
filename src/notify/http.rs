//! One HTTP POST and the classification of its outcome into
//! retryable / permanent, shared by the HTTP notifiers.

use std::time::Duration;

use super::DeliveryError;
use crate::snapshot::Time;

/// How much of an error response body is kept for logs.
pub(crate) const MAX_ERROR_BODY: usize = 512;

/// An HTTP client for one destination: no redirects (a POST must not turn
/// into a GET), a per-attempt timeout.
pub(crate) fn client(timeout: Duration) -> Result<reqwest::Client, String> {
    reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("isrwatch/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| format!("cannot build HTTP client: {e}"))
}

/// Sends `body` as JSON with extra headers; maps the answer to a
/// [`DeliveryError`] or the (status, body) of a success.
pub(crate) async fn post_json(
    client: &reqwest::Client,
    url: &str,
    headers: &[(&str, String)],
    body: Vec<u8>,
    now: Time,
) -> Result<(u16, String), DeliveryError> {
    let mut req = client
        .post(url)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .body(body);
    for (k, v) in headers {
        req = req.header(*k, v);
    }
    let resp = req.send().await.map_err(request_error)?;
    let status = resp.status().as_u16();
    let retry_after = resp
        .headers()
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| parse_retry_after(v, now));
    let text = match resp.text().await {
        Ok(t) => t,
        Err(e) if (200..300).contains(&status) => {
            // The destination accepted it; a broken body does not undo that.
            tracing::debug!(error = %e, "could not read a success response body");
            String::new()
        }
        Err(e) => return Err(request_error(e)),
    };
    classify(status, retry_after, text)
}

/// Maps a status code to success, retryable or permanent.
pub(crate) fn classify(
    status: u16,
    retry_after: Option<Duration>,
    body: String,
) -> Result<(u16, String), DeliveryError> {
    match status {
        200..=299 => Ok((status, body)),
        429 | 408 | 500..=599 => Err(DeliveryError::Retryable {
            reason: format!("HTTP {status}: {}", truncate(&body, MAX_ERROR_BODY)),
            retry_after,
        }),
        _ => Err(DeliveryError::Permanent {
            status: Some(status),
            body: truncate(&body, MAX_ERROR_BODY),
        }),
    }
}

fn request_error(e: reqwest::Error) -> DeliveryError {
    // The URL can be a secret (Slack webhook URLs are): keep it out of
    // error texts, which end up in logs and the outbox.
    let e = e.without_url();
    if e.is_builder() {
        DeliveryError::Permanent {
            status: None,
            body: format!("invalid request: {e}"),
        }
    } else if e.is_timeout() {
        DeliveryError::Retryable {
            reason: format!("timeout: {e}"),
            retry_after: None,
        }
    } else {
        // Connection refused/reset, DNS, TLS handshake, body errors: all
        // may be transient.
        DeliveryError::Retryable {
            reason: format!("connection error: {}", error_chain(&e)),
            retry_after: None,
        }
    }
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        s.push_str(": ");
        s.push_str(&c.to_string());
        cur = c.source();
    }
    s
}

/// Parses `Retry-After`: delay seconds or an HTTP date (relative to `now`).
pub(crate) fn parse_retry_after(v: &str, now: Time) -> Option<Duration> {
    let v = v.trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = httpdate::parse_http_date(v).ok()?;
    let now = std::time::SystemTime::from(now);
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

/// Cuts `s` to at most `max` bytes on a character boundary, marking the cut.
pub(crate) fn truncate(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_string();
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &s[..end])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::notify::testutil::t;

    #[test]
    fn retry_after_seconds_and_http_date() {
        assert_eq!(parse_retry_after("7", t(0)), Some(Duration::from_secs(7)));
        let date = httpdate::fmt_http_date(std::time::SystemTime::from(t(30)));
        assert_eq!(
            parse_retry_after(&date, t(0)),
            Some(Duration::from_secs(30))
        );
        assert_eq!(parse_retry_after(&date, t(100)), Some(Duration::ZERO));
        assert_eq!(parse_retry_after("soon", t(0)), None);
    }

    #[test]
    fn classification() {
        assert!(classify(200, None, "ok".into()).is_ok());
        assert!(matches!(
            classify(503, None, String::new()),
            Err(DeliveryError::Retryable { .. })
        ));
        assert!(matches!(
            classify(429, Some(Duration::from_secs(3)), String::new()),
            Err(DeliveryError::Retryable { retry_after: Some(d), .. }) if d == Duration::from_secs(3)
        ));
        assert!(matches!(
            classify(400, None, "invalid_payload".into()),
            Err(DeliveryError::Permanent { status: Some(400), body }) if body == "invalid_payload"
        ));
        assert!(matches!(
            classify(302, None, String::new()),
            Err(DeliveryError::Permanent { .. })
        ));
        let long = "é".repeat(1000);
        assert!(truncate(&long, 11).len() <= 11 + "…".len());
    }
}
