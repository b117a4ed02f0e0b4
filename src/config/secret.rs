//! Secrets in the configuration: the [`Secret`] type (inline, env or
//! file), which keys are secret, and how their values are kept out of
//! messages. Loading, validation and the poller all ask here.

use serde::Deserialize;

/// A secret value: inline, from an environment variable, or from a file.
/// Its `Debug` never shows the value.
#[derive(Clone, Deserialize, PartialEq, Eq)]
#[serde(untagged)]
pub enum Secret {
    /// `{ env = "VAR" }`: read from an environment variable at start-up.
    Env { env: String },
    /// `{ file = "/run/secrets/x" }`: read from a file at start-up (one
    /// trailing newline is dropped).
    File { file: String },
    /// `"value"` written in the file itself (accepted, but `config validate`
    /// warns: prefer env or file).
    Inline(String),
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Secret::Env { env } => write!(f, "Secret(env {env})"),
            Secret::File { file } => write!(f, "Secret(file {file})"),
            Secret::Inline(_) => write!(f, "Secret(inline, redacted)"),
        }
    }
}

impl Secret {
    /// Reads the value (environment or file I/O happens here, at start-up,
    /// after validation).
    pub fn resolve(&self) -> Result<String, String> {
        match self {
            Secret::Inline(v) => Ok(v.clone()),
            Secret::Env { env } => {
                std::env::var(env).map_err(|_| format!("environment variable {env} is not set"))
            }
            Secret::File { file } => std::fs::read_to_string(file)
                .map(|s| s.trim_end_matches(['\n', '\r']).to_string())
                .map_err(|e| format!("cannot read secret file {file}: {e}")),
        }
    }
}

/// Whether a key's name says it holds a secret (`password`, `token`, ...):
/// the loader redacts quoted values in messages about such keys.
pub(crate) fn looks_secret(key: &str) -> bool {
    let k = key.to_ascii_lowercase();
    ["password", "secret", "token", "key", "credential"]
        .iter()
        .any(|w| k.contains(w))
}

/// Replaces every double-quoted or backquoted literal with a placeholder.
pub(crate) fn redact_quoted(msg: &str) -> String {
    let mut out = String::with_capacity(msg.len());
    let mut in_quote: Option<char> = None;
    for c in msg.chars() {
        match in_quote {
            Some(q) if c == q => {
                out.push_str("(redacted)");
                out.push(c);
                in_quote = None;
            }
            Some(_) => {}
            None => {
                out.push(c);
                if c == '"' || c == '`' {
                    in_quote = Some(c);
                }
            }
        }
    }
    out
}

/// True for librdkafka properties whose value is a secret (`sasl.password`,
/// `ssl.key.password`, `*.client.secret`, ...); `ssl.key.location` and
/// other `*.location` / `*.path` keys name files, not secrets.
pub fn is_secret_property(k: &str) -> bool {
    looks_secret(k) && !(k.ends_with(".location") || k.ends_with(".path"))
}
