//! Name filters: `topics` and `groups` of a cluster. [`NameFilter`] is the
//! TOML form; [`NameMatcher`] is the one compiled form (validation, the
//! poller and tests all use it).

use regex::Regex;
use serde::Deserialize;

/// Include/exclude name patterns (regular expressions, anchored).
/// An empty `include` means everything.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct NameFilter {
    /// Names must match one of these (all names when empty).
    pub include: Vec<String>,
    /// Names matching one of these are dropped, even when included.
    pub exclude: Vec<String>,
}

impl NameFilter {
    /// Compiles the patterns; see [`NameMatcher`].
    pub fn compile(&self) -> Result<NameMatcher, String> {
        NameMatcher::new(self)
    }
}

/// A [`NameFilter`] with its patterns compiled (anchored at both ends,
/// `^(?:pattern)$`), ready to test names.
#[derive(Debug, Clone, Default)]
pub struct NameMatcher {
    include: Vec<Regex>,
    exclude: Vec<Regex>,
    /// Include patterns that are plain names (no regex syntax).
    literals: Vec<String>,
}

impl NameMatcher {
    /// Compiles every pattern. Validation already checked them, so the
    /// error (`include[0]: invalid regular expression ...`) only shows for
    /// unvalidated input.
    pub fn new(f: &NameFilter) -> Result<Self, String> {
        let compile = |key: &str, v: &[String]| {
            v.iter()
                .enumerate()
                .map(|(i, p)| anchored(p).map_err(|e| format!("{key}[{i}]: {e}")))
                .collect::<Result<Vec<_>, _>>()
        };
        Ok(NameMatcher {
            include: compile("include", &f.include)?,
            exclude: compile("exclude", &f.exclude)?,
            literals: f
                .include
                .iter()
                .filter(|p| !p.is_empty() && regex::escape(p) == **p)
                .cloned()
                .collect(),
        })
    }

    /// True when `name` is included (or no include is given) and not excluded.
    pub fn matches(&self, name: &str) -> bool {
        (self.include.is_empty() || self.include.iter().any(|r| r.is_match(name)))
            && !self.exclude.iter().any(|r| r.is_match(name))
    }

    /// Include patterns that are exact names: for groups, these are polled
    /// even when ListConsumerGroups fails or is unsupported.
    pub fn literal_names(&self) -> &[String] {
        &self.literals
    }
}

/// Compiles a pattern anchored at both ends (`^(?:...)$`).
pub(crate) fn anchored(pattern: &str) -> Result<Regex, String> {
    Regex::new(&format!("^(?:{pattern})$")).map_err(|e| {
        // The regex crate's message spans several lines; keep the last,
        // which says what is wrong.
        let why = e
            .to_string()
            .lines()
            .rev()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("invalid")
            .trim()
            .trim_start_matches("error: ")
            .to_string();
        format!("invalid regular expression {pattern:?}: {why}")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn anchored_excludes_win_and_literals_are_listed() {
        let m = NameFilter {
            include: vec!["orders.*".into(), "payments".into()],
            exclude: vec![".*-dlq".into(), "orders-tmp".into()],
        }
        .compile()
        .unwrap();
        assert!(m.matches("orders-v1"));
        assert!(m.matches("payments"));
        assert!(!m.matches("x-payments"));
        assert!(!m.matches("my-orders"));
        assert!(!m.matches("orders-dlq"));
        assert!(!m.matches("orders-tmp"));
        assert_eq!(m.literal_names(), &["payments".to_string()]);
        assert!(NameFilter::default().compile().unwrap().matches("anything"));
    }

    #[test]
    fn a_bad_pattern_is_an_error_naming_it() {
        let e = NameFilter {
            include: vec![],
            exclude: vec!["ok".into(), "(".into()],
        }
        .compile()
        .unwrap_err();
        assert!(
            e.starts_with("exclude[1]: invalid regular expression \"(\""),
            "{e}"
        );
    }
}
