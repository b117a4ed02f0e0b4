//! The `[llm]` configuration section and its environment-variable form.

use serde::Deserialize;

use crate::config::base::{Dur, Problems, Secret};

/// Which wire format the LLM endpoint speaks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Provider {
    /// OpenAI-compatible chat completions (OpenAI, Azure OpenAI, vLLM,
    /// llama.cpp server, LM Studio, Ollama's `/v1`).
    #[default]
    OpenAi,
    /// Anthropic Messages API.
    Anthropic,
    /// Ollama's native `/api/chat`.
    Ollama,
}

impl Provider {
    /// The name used in configuration, metrics and `SummarySource::Llm`.
    pub fn as_str(self) -> &'static str {
        match self {
            Provider::OpenAi => "openai",
            Provider::Anthropic => "anthropic",
            Provider::Ollama => "ollama",
        }
    }

    /// Parses `openai`, `anthropic` or `ollama` (case-insensitive).
    pub fn parse(s: &str) -> Result<Provider, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "openai" => Ok(Provider::OpenAi),
            "anthropic" => Ok(Provider::Anthropic),
            "ollama" => Ok(Provider::Ollama),
            other => Err(format!(
                "expected one of \"openai\", \"anthropic\", \"ollama\", found {other:?}"
            )),
        }
    }

    /// The base URL used when none is configured.
    pub fn default_base_url(self) -> &'static str {
        match self {
            Provider::OpenAi => "https://api.openai.com/v1",
            Provider::Anthropic => "https://api.anthropic.com",
            Provider::Ollama => "http://127.0.0.1:11434",
        }
    }

    /// The model used when none is configured.
    pub fn default_model(self) -> &'static str {
        match self {
            Provider::OpenAi => "gpt-4o-mini",
            Provider::Anthropic => "claude-3-5-haiku-latest",
            Provider::Ollama => "llama3.2",
        }
    }
}

/// `[llm]` settings. Without this section (and without the
/// `ISRWATCH_LLM_*` variables) isrwatch uses the template summarizer only.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct LlmConfig {
    /// `openai` (default), `anthropic` or `ollama`.
    pub provider: Provider,
    /// Endpoint root; empty means the provider's default
    /// (`https://api.openai.com/v1`, `https://api.anthropic.com`,
    /// `http://127.0.0.1:11434`).
    pub base_url: String,
    /// Model name; empty means the provider's default.
    pub model: String,
    /// API key: a string, `{ env = "VAR" }` or `{ file = "/path" }`.
    /// Required for `anthropic`; optional for local OpenAI-compatible servers.
    pub api_key: Option<Secret>,
    /// Timeout of one HTTP request to the LLM.
    pub timeout: Dur,
    /// How long a notification may wait for the LLM; past it the template
    /// text goes out and the LLM answer, if any, arrives as a late update.
    pub deadline: Dur,
    /// Requests to the LLM in flight at once.
    pub max_concurrency: usize,
    /// Token budget per hour (input + output); when spent, the template is used.
    pub tokens_per_hour: u64,
    /// Replace topic, group and other names by placeholders before they
    /// leave the process; the answer gets the real names back.
    pub anonymize: bool,
    /// Cap on the characters of each prose field of the answer.
    pub max_output_chars: usize,
    /// Send a late LLM answer as a follow-up notification (`is_update`).
    pub follow_up: bool,
    /// Price per 1,000 input tokens, for `isrwatch_llm_cost_estimate_total`.
    pub price_in_per_1k: f64,
    /// Price per 1,000 output tokens.
    pub price_out_per_1k: f64,
    /// How many answers the cache keeps.
    pub cache_size: usize,
    /// Maximum output tokens requested from the model.
    pub max_tokens: u32,
}

impl Default for LlmConfig {
    fn default() -> Self {
        LlmConfig {
            provider: Provider::OpenAi,
            base_url: String::new(),
            model: String::new(),
            api_key: None,
            timeout: Dur::secs(10),
            deadline: Dur::secs(4),
            max_concurrency: 2,
            tokens_per_hour: 200_000,
            anonymize: false,
            max_output_chars: 600,
            follow_up: false,
            price_in_per_1k: 0.0,
            price_out_per_1k: 0.0,
            cache_size: 512,
            max_tokens: 800,
        }
    }
}

/// Names of the environment variables read by [`LlmConfig::from_env`].
pub const ENV_PROVIDER: &str = "ISRWATCH_LLM_PROVIDER";
/// See [`ENV_PROVIDER`].
pub const ENV_BASE_URL: &str = "ISRWATCH_LLM_BASE_URL";
/// See [`ENV_PROVIDER`].
pub const ENV_MODEL: &str = "ISRWATCH_LLM_MODEL";
/// See [`ENV_PROVIDER`]. The key is read when the summarizer is built and
/// never copied into the configuration.
pub const ENV_API_KEY: &str = "ISRWATCH_LLM_API_KEY";

impl LlmConfig {
    /// Configuration from `ISRWATCH_LLM_PROVIDER`, `ISRWATCH_LLM_BASE_URL`,
    /// `ISRWATCH_LLM_MODEL` and `ISRWATCH_LLM_API_KEY`. `None` when
    /// `ISRWATCH_LLM_PROVIDER` is unset, or invalid (a warning is logged).
    pub fn from_env() -> Option<LlmConfig> {
        match Self::from_vars(|k| std::env::var(k).ok()) {
            Ok(c) => c,
            Err(e) => {
                tracing::warn!("ignoring LLM environment variables: {e}");
                None
            }
        }
    }

    /// Like [`LlmConfig::from_env`], with the variables read through `get`
    /// and an invalid provider reported as an error.
    pub fn from_vars(get: impl Fn(&str) -> Option<String>) -> Result<Option<LlmConfig>, String> {
        let Some(p) = get(ENV_PROVIDER).filter(|v| !v.trim().is_empty()) else {
            return Ok(None);
        };
        let provider = Provider::parse(&p).map_err(|e| format!("{ENV_PROVIDER}: {e}"))?;
        let mut cfg = LlmConfig {
            provider,
            ..LlmConfig::default()
        };
        if let Some(u) = get(ENV_BASE_URL).filter(|v| !v.trim().is_empty()) {
            cfg.base_url = u.trim().to_string();
        }
        if let Some(m) = get(ENV_MODEL).filter(|v| !v.trim().is_empty()) {
            cfg.model = m.trim().to_string();
        }
        if get(ENV_API_KEY).is_some() {
            cfg.api_key = Some(Secret::Env {
                env: ENV_API_KEY.to_string(),
            });
        }
        Ok(Some(cfg))
    }

    /// The base URL in use, without a trailing slash.
    pub fn effective_base_url(&self) -> String {
        let u = if self.base_url.trim().is_empty() {
            self.provider.default_base_url()
        } else {
            self.base_url.trim()
        };
        u.trim_end_matches('/').to_string()
    }

    /// The model in use.
    pub fn effective_model(&self) -> String {
        if self.model.trim().is_empty() {
            self.provider.default_model().to_string()
        } else {
            self.model.trim().to_string()
        }
    }

    /// Checks the section without I/O; `path` is its key path (`llm`).
    pub fn validate(&self, path: &str, problems: &mut Problems) {
        let base = self.effective_base_url();
        match reqwest::Url::parse(&base) {
            Ok(u) if u.scheme() == "http" || u.scheme() == "https" => {}
            Ok(u) => problems.push(
                format!("{path}.base_url"),
                format!(
                    "expected an http or https URL, found scheme {:?}",
                    u.scheme()
                ),
            ),
            Err(e) => problems.push(
                format!("{path}.base_url"),
                format!("expected a URL like \"http://127.0.0.1:11434\", found {base:?} ({e})"),
            ),
        }
        match &self.api_key {
            None if self.provider == Provider::Anthropic => problems.push(
                format!("{path}.api_key"),
                "the anthropic provider needs an API key (inline, { env = \"VAR\" } or { file = \"PATH\" })",
            ),
            Some(Secret::Env { env }) if env.trim().is_empty() => {
                problems.push(format!("{path}.api_key.env"), "empty variable name")
            }
            Some(Secret::File { file }) if file.trim().is_empty() => {
                problems.push(format!("{path}.api_key.file"), "empty file path")
            }
            _ => {}
        }
        if self.timeout.0.is_zero() {
            problems.push(format!("{path}.timeout"), "must be greater than 0");
        }
        if self.deadline.0.is_zero() {
            problems.push(format!("{path}.deadline"), "must be greater than 0");
        }
        if self.max_concurrency == 0 {
            problems.push(format!("{path}.max_concurrency"), "must be at least 1");
        }
        if self.max_output_chars < 100 {
            problems.push(
                format!("{path}.max_output_chars"),
                format!("must be at least 100, found {}", self.max_output_chars),
            );
        }
        if self.max_tokens < 100 {
            problems.push(
                format!("{path}.max_tokens"),
                format!("must be at least 100, found {}", self.max_tokens),
            );
        }
        if self.cache_size == 0 {
            problems.push(format!("{path}.cache_size"), "must be at least 1");
        }
        for (k, v) in [
            ("price_in_per_1k", self.price_in_per_1k),
            ("price_out_per_1k", self.price_out_per_1k),
        ] {
            if !v.is_finite() || v < 0.0 {
                problems.push(
                    format!("{path}.{k}"),
                    format!("must be a non-negative number, found {v}"),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn env_configures_without_a_file() {
        let vars: HashMap<&str, &str> = [
            (ENV_PROVIDER, "Anthropic"),
            (ENV_BASE_URL, "http://127.0.0.1:9/"),
            (ENV_API_KEY, "sk-secret"),
        ]
        .into_iter()
        .collect();
        let cfg = LlmConfig::from_vars(|k| vars.get(k).map(|v| v.to_string()))
            .unwrap()
            .unwrap();
        assert_eq!(cfg.provider, Provider::Anthropic);
        assert_eq!(cfg.effective_base_url(), "http://127.0.0.1:9");
        assert_eq!(cfg.effective_model(), "claude-3-5-haiku-latest");
        // The key stays in the environment, never in the config or its Debug.
        assert!(!format!("{cfg:?}").contains("sk-secret"));
        let mut p = Problems::default();
        cfg.validate("llm", &mut p);
        assert!(p.is_empty(), "{p}");
    }

    #[test]
    fn env_absent_or_invalid() {
        assert_eq!(LlmConfig::from_vars(|_| None).unwrap(), None);
        let err = LlmConfig::from_vars(|k| (k == ENV_PROVIDER).then(|| "gpt".to_string()));
        assert!(err.unwrap_err().contains("ISRWATCH_LLM_PROVIDER"));
    }

    #[test]
    fn validation_lists_every_problem() {
        let cfg: LlmConfig = toml::from_str(
            r#"
provider = "anthropic"
base_url = "ftp://x"
deadline = "0s"
max_concurrency = 0
price_in_per_1k = -1.0
"#,
        )
        .unwrap();
        let mut p = Problems::default();
        cfg.validate("llm", &mut p);
        let paths: Vec<_> = p.0.iter().map(|p| p.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "llm.base_url",
                "llm.api_key",
                "llm.deadline",
                "llm.max_concurrency",
                "llm.price_in_per_1k"
            ]
        );
    }

    #[test]
    fn inline_key_is_redacted_and_unknown_keys_rejected() {
        let cfg: LlmConfig = toml::from_str("api_key = \"sk-abc\"\nmodel = \"m\"").unwrap();
        assert!(!format!("{cfg:?}").contains("sk-abc"));
        assert!(toml::from_str::<LlmConfig>("modle = \"m\"").is_err());
    }
}
