//! Key paths like `clusters[1].properties."sasl.password"`: building them,
//! reading them back, and finding their line in the original text.

use std::ops::Range;

use toml_edit::{Document, Item, TableLike, Value};

/// One step of a key path.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Seg {
    /// A table key.
    Key(String),
    /// An array index (0-based).
    Index(usize),
}

/// Formats a path: bare keys joined with `.`, indices as `[n]`, keys that
/// are not bare TOML keys quoted.
pub(crate) fn format(path: &[Seg]) -> String {
    let mut out = String::new();
    for seg in path {
        match seg {
            Seg::Key(k) => {
                if !out.is_empty() {
                    out.push('.');
                }
                if is_bare(k) {
                    out.push_str(k);
                } else {
                    out.push_str(&format!("{k:?}"));
                }
            }
            Seg::Index(i) => out.push_str(&format!("[{i}]")),
        }
    }
    out
}

fn is_bare(k: &str) -> bool {
    !k.is_empty()
        && k.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// Reads back a path written by [`format`]. Anything unexpected ends the
/// parse; the segments read so far are returned (good enough to find a line).
pub(crate) fn parse(s: &str) -> Vec<Seg> {
    let mut out = Vec::new();
    let mut chars = s.chars().peekable();
    while let Some(&c) = chars.peek() {
        match c {
            '.' => {
                chars.next();
            }
            '[' => {
                chars.next();
                let mut n = String::new();
                for d in chars.by_ref() {
                    if d == ']' {
                        break;
                    }
                    n.push(d);
                }
                match n.parse() {
                    Ok(i) => out.push(Seg::Index(i)),
                    Err(_) => return out,
                }
            }
            '"' => {
                chars.next();
                let mut k = String::new();
                while let Some(d) = chars.next() {
                    match d {
                        '\\' => {
                            if let Some(e) = chars.next() {
                                k.push(e);
                            }
                        }
                        '"' => break,
                        _ => k.push(d),
                    }
                }
                out.push(Seg::Key(k));
            }
            _ => {
                let mut k = String::new();
                while let Some(&d) = chars.peek() {
                    if d == '.' || d == '[' {
                        break;
                    }
                    k.push(d);
                    chars.next();
                }
                out.push(Seg::Key(k));
            }
        }
    }
    out
}

/// The 1-based line of byte `offset` in `text`.
pub(crate) fn line_of_offset(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    // Byte slicing could split a character; count newlines on bytes.
    text.as_bytes()[..end]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

enum Node<'a> {
    Table(&'a dyn TableLike),
    Value(&'a Value),
    Tables(&'a toml_edit::ArrayOfTables),
    End,
}

fn node_of_item(item: &Item) -> Node<'_> {
    match item {
        Item::Table(t) => Node::Table(t),
        Item::Value(Value::InlineTable(t)) => Node::Table(t),
        Item::Value(v) => Node::Value(v),
        Item::ArrayOfTables(a) => Node::Tables(a),
        Item::None => Node::End,
    }
}

fn node_of_value(v: &Value) -> Node<'_> {
    match v {
        Value::InlineTable(t) => Node::Table(t),
        other => Node::Value(other),
    }
}

/// The line where `path` is written in the document, or the line of its
/// deepest ancestor that is written there (a missing key is reported at its
/// table). `None` when nothing of the path can be found.
pub(crate) fn line_of_path(doc: &Document<&str>, text: &str, path: &[Seg]) -> Option<usize> {
    let mut best: Option<Range<usize>> = None;
    let mut node = node_of_item(doc.as_item());
    for seg in path {
        let (span, next) = match (seg, node) {
            (Seg::Key(k), Node::Table(t)) => match t.get_key_value(k) {
                Some((key, item)) => (key.span().or_else(|| item.span()), node_of_item(item)),
                None => break,
            },
            (Seg::Index(i), Node::Tables(a)) => match a.get(*i) {
                Some(t) => (t.span(), Node::Table(t)),
                None => break,
            },
            (Seg::Index(i), Node::Value(Value::Array(arr))) => match arr.get(*i) {
                Some(v) => (v.span(), node_of_value(v)),
                None => break,
            },
            _ => break,
        };
        if span.is_some() {
            best = span;
        }
        node = next;
    }
    best.map(|r| line_of_offset(text, r.start))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_and_parse_round_trip() {
        let p = vec![
            Seg::Key("clusters".into()),
            Seg::Index(1),
            Seg::Key("properties".into()),
            Seg::Key("sasl.password".into()),
        ];
        let s = format(&p);
        assert_eq!(s, r#"clusters[1].properties."sasl.password""#);
        assert_eq!(parse(&s), p);
    }

    #[test]
    fn finds_lines_of_keys_tables_and_array_elements() {
        let text = "\n[[clusters]]\nname = \"a\"\n\n[[clusters]]\nname = \"b\"\nbootstrap = [\n  \"x:1\",\n  \"y\",\n]\n";
        let doc = Document::parse(text).unwrap();
        let line = |s: &str| line_of_path(&doc, text, &parse(s));
        assert_eq!(line("clusters[0].name"), Some(3));
        assert_eq!(line("clusters[1].name"), Some(6));
        assert_eq!(line("clusters[1].bootstrap[1]"), Some(9));
        // A missing key is reported where its table starts.
        assert_eq!(line("clusters[1].poll_interval"), Some(5));
        assert_eq!(line("nothing"), None);
    }
}
