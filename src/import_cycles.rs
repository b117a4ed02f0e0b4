//! The import-circle check (issue 19): no two source files of the library
//! may import each other, directly or through other files.
//!
//! A file is its module (`src/a/b.rs` and `src/a/b/mod.rs` are `a::b`). An
//! edge `a → b` is any path in `a` that names an item of `b`: `use` trees
//! (braces expanded), and paths in code (`crate::x::f()`, `super::T`,
//! `child::f()`). `mod child;` alone is no edge: a parent that only declares
//! and re-exports nothing of a child does not depend on it. Comments and
//! string literals are skipped, and so are inline `mod tests {}` (unit
//! tests may use the whole crate). A path is charged to the longest module prefix that
//! is a file, so `crate::sim::server::Shared` is an edge to `sim::server`.
//!
//! Run: `cargo test --lib import_cycles`. The failure lists each circle as
//! its files.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Module path (`["sim", "server"]`) → file, for every file under `src/`
/// that belongs to the library.
fn modules(src: &Path) -> BTreeMap<Vec<String>, PathBuf> {
    fn walk(dir: &Path, prefix: &[String], out: &mut BTreeMap<Vec<String>, PathBuf>) {
        let mut entries: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        entries.sort();
        for p in entries {
            let name = p.file_name().unwrap().to_string_lossy().to_string();
            if p.is_dir() {
                let mut m = prefix.to_vec();
                m.push(name);
                walk(&p, &m, out);
            } else if let Some(stem) = name.strip_suffix(".rs") {
                let mut m = prefix.to_vec();
                match stem {
                    "mod" | "lib" => {}
                    "main" if prefix.is_empty() => continue,
                    s => m.push(s.to_string()),
                }
                out.insert(m, p);
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(src, &[], &mut out);
    out
}

/// The source with comments removed and string and char literals emptied;
/// byte offsets are not kept, only the structure matters.
fn strip(src: &str) -> String {
    let b: Vec<char> = src.chars().collect();
    let mut out = String::with_capacity(src.len());
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        let next = b.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            while i < b.len() && b[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            let mut depth = 0;
            while i < b.len() {
                if b[i] == '/' && b.get(i + 1) == Some(&'*') {
                    depth += 1;
                    i += 2;
                } else if b[i] == '*' && b.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
            out.push(' ');
        } else if (c == 'r' || (c == 'b' && next == Some('r')))
            && !prev_is_ident(&b, i)
            && raw_string_start(&b, i + if c == 'b' { 2 } else { 1 }).is_some()
        {
            let start = i + if c == 'b' { 2 } else { 1 };
            let hashes = raw_string_start(&b, start).unwrap();
            i = start + hashes + 1;
            loop {
                if i >= b.len() {
                    break;
                }
                if b[i] == '"' && (0..hashes).all(|k| b.get(i + 1 + k) == Some(&'#')) {
                    i += 1 + hashes;
                    break;
                }
                i += 1;
            }
            out.push_str("\"\"");
        } else if c == '"' {
            i += 1;
            while i < b.len() && b[i] != '"' {
                if b[i] == '\\' {
                    i += 1;
                }
                i += 1;
            }
            i += 1;
            out.push_str("\"\"");
        } else if c == '\'' {
            // A char literal ('x', '\n', '\u{..}'), or a lifetime ('a).
            if next == Some('\\') {
                i += 2;
                while i < b.len() && b[i] != '\'' {
                    i += 1;
                }
                i += 1;
                out.push_str("' '");
            } else if b.get(i + 2) == Some(&'\'') {
                i += 3;
                out.push_str("' '");
            } else {
                out.push(c);
                i += 1;
            }
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

fn prev_is_ident(b: &[char], i: usize) -> bool {
    i > 0 && (b[i - 1].is_alphanumeric() || b[i - 1] == '_')
}

/// The number of `#` of a raw string opening at `i` (`#*"`), if one does.
fn raw_string_start(b: &[char], i: usize) -> Option<usize> {
    let mut k = i;
    while b.get(k) == Some(&'#') {
        k += 1;
    }
    (b.get(k) == Some(&'"')).then_some(k - i)
}

/// Inline `mod name { ... }` blocks: (name, byte range of the body).
fn inline_mods(code: &str) -> Vec<(String, std::ops::Range<usize>)> {
    let re = regex::Regex::new(r"\bmod\s+([A-Za-z_][A-Za-z0-9_]*)\s*\{").unwrap();
    let bytes = code.as_bytes();
    re.captures_iter(code)
        .map(|c| {
            let open = c.get(0).unwrap().end() - 1;
            let mut depth = 0;
            let mut end = bytes.len();
            for (k, &ch) in bytes.iter().enumerate().skip(open) {
                match ch {
                    b'{' => depth += 1,
                    b'}' => {
                        depth -= 1;
                        if depth == 0 {
                            end = k;
                            break;
                        }
                    }
                    _ => {}
                }
            }
            (c[1].to_string(), open..end)
        })
        .collect()
}

/// One path a `use` tree brings in, and the name it is known by locally
/// (`None` for a glob).
struct Use {
    path: Vec<String>,
    name: Option<String>,
}

/// Expands a `use` tree (`a::{b::{c, d as e}, self}`) to its paths.
fn expand_use(tree: &str) -> Vec<Use> {
    fn go(s: &str, prefix: &[String], out: &mut Vec<Use>) {
        let s = s.trim();
        if s.is_empty() {
            return;
        }
        if let Some(open) = s.find('{') {
            let head = s[..open].trim().trim_end_matches("::");
            let mut p = prefix.to_vec();
            p.extend(segments(head));
            let inner = &s[open + 1..s.rfind('}').unwrap_or(s.len())];
            let mut depth = 0;
            let mut start = 0;
            for (k, ch) in inner.char_indices() {
                match ch {
                    '{' => depth += 1,
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        go(&inner[start..k], &p, out);
                        start = k + 1;
                    }
                    _ => {}
                }
            }
            go(&inner[start..], &p, out);
        } else {
            let mut parts = s.split(" as ");
            let target = parts.next().unwrap_or(s).trim();
            let alias = parts.next().map(|a| a.trim().to_string());
            let mut p = prefix.to_vec();
            p.extend(segments(target));
            if p.last().map(String::as_str) == Some("self") {
                p.pop();
            }
            let name = if target.ends_with('*') {
                None
            } else {
                alias.or_else(|| p.last().cloned())
            };
            out.push(Use { path: p, name });
        }
    }
    let mut out = Vec::new();
    go(tree, &[], &mut out);
    out
}

fn segments(s: &str) -> Vec<String> {
    s.split("::")
        .map(|x| x.trim().to_string())
        .filter(|x| !x.is_empty() && x != "*")
        .collect()
}

/// What the resolver knows of the crate: every file module, every inline
/// module, and what each file module's `use` declarations name (so a path
/// through a re-export is charged to the file that defines the item).
struct Crate {
    files: BTreeMap<Vec<String>, PathBuf>,
    inline: BTreeSet<Vec<String>>,
    uses: BTreeMap<Vec<String>, BTreeMap<String, Vec<String>>>,
}

impl Crate {
    fn known(&self, m: &Vec<String>) -> bool {
        self.files.contains_key(m) || self.inline.contains(m)
    }

    /// The file module a path written in module `at` names, if any.
    fn resolve(&self, at: &[String], path: &[String], depth: usize) -> Option<Vec<String>> {
        let mut cur: Vec<String>;
        let mut rest = path;
        match path.first().map(String::as_str)? {
            "crate" => {
                cur = Vec::new();
                rest = &path[1..];
            }
            "self" => {
                cur = at.to_vec();
                rest = &path[1..];
            }
            "super" => {
                cur = at.to_vec();
                while rest.first().map(String::as_str) == Some("super") {
                    cur.pop()?;
                    rest = &rest[1..];
                }
            }
            first => {
                // A relative path: a child of the current module, or
                // nothing of ours (std, a dependency, a local).
                let mut m = at.to_vec();
                m.push(first.to_string());
                if !self.known(&m) {
                    return None;
                }
                cur = at.to_vec();
            }
        }
        let mut next = None;
        for seg in rest {
            let mut m = cur.clone();
            m.push(seg.clone());
            if self.known(&m) {
                cur = m;
            } else {
                next = Some(seg);
                break;
            }
        }
        // Inline modules belong to their file.
        while !self.files.contains_key(&cur) {
            cur.pop()?;
        }
        // An item the file only imports (a re-export): its own file.
        if let (Some(name), true) = (next, depth < 8) {
            if let Some(target) = self.uses.get(&cur).and_then(|u| u.get(name)) {
                if let Some(to) = self.resolve(&cur, target, depth + 1) {
                    return Some(to);
                }
            }
        }
        Some(cur)
    }
}

/// Every file module's imports of other file modules.
fn edges(src: &Path) -> BTreeMap<Vec<String>, BTreeSet<Vec<String>>> {
    let files = modules(src);
    let path_re = regex::Regex::new(
        r"(?:^|[^A-Za-z0-9_:])((?:[A-Za-z_][A-Za-z0-9_]*::)+[A-Za-z_][A-Za-z0-9_]*)",
    )
    .unwrap();
    let use_re = regex::Regex::new(r"\buse\s+([^;]*);").unwrap();
    type Parsed = (String, Vec<(String, std::ops::Range<usize>)>);
    let mut code_of: BTreeMap<Vec<String>, Parsed> = BTreeMap::new();
    let mut inline = BTreeSet::new();
    for (m, f) in &files {
        let code = strip(&std::fs::read_to_string(f).unwrap());
        let mods = inline_mods(&code);
        for (name, range) in &mods {
            // Nesting: the enclosing inline modules' names come first.
            let mut path = m.clone();
            path.extend(
                mods.iter()
                    .filter(|(_, r)| r.start < range.start && range.end <= r.end)
                    .map(|(n, _)| n.clone()),
            );
            path.push(name.clone());
            inline.insert(path);
        }
        code_of.insert(m.clone(), (code, mods));
    }
    let in_inline = |mods: &[(String, std::ops::Range<usize>)], pos: usize| {
        mods.iter().any(|(_, r)| r.contains(&pos))
    };
    // File-level `use` declarations (not those of inline test modules).
    let mut uses: BTreeMap<Vec<String>, BTreeMap<String, Vec<String>>> = BTreeMap::new();
    for (m, (code, mods)) in &code_of {
        let map = uses.entry(m.clone()).or_default();
        for c in use_re.captures_iter(code) {
            let g = c.get(1).unwrap();
            if in_inline(mods, g.start()) {
                continue;
            }
            for u in expand_use(g.as_str()) {
                if let Some(name) = u.name {
                    map.insert(name, u.path);
                }
            }
        }
    }
    let krate = Crate {
        files,
        inline,
        uses,
    };
    let mut out: BTreeMap<Vec<String>, BTreeSet<Vec<String>>> = BTreeMap::new();
    for (m, (code, mods)) in &code_of {
        let at = |pos: usize| {
            let mut p = m.clone();
            p.extend(
                mods.iter()
                    .filter(|(_, r)| r.contains(&pos))
                    .map(|(n, _)| n.clone()),
            );
            p
        };
        let mut paths: Vec<(usize, Vec<String>)> = Vec::new();
        let mut use_spans = Vec::new();
        for c in use_re.captures_iter(code) {
            let g = c.get(1).unwrap();
            use_spans.push(g.range());
            for u in expand_use(g.as_str()) {
                paths.push((g.start(), u.path));
            }
        }
        for c in path_re.captures_iter(code) {
            let g = c.get(1).unwrap();
            // Paths in `use` trees were expanded above (`a::{b, c}`).
            if !use_spans.iter().any(|r| r.contains(&g.start())) {
                paths.push((g.start(), segments(g.as_str())));
            }
        }
        let deps = out.entry(m.clone()).or_default();
        for (pos, p) in paths {
            // Unit tests may use the whole crate: not part of the layout.
            if mods.iter().any(|(n, r)| n == "tests" && r.contains(&pos)) {
                continue;
            }
            if let Some(to) = krate.resolve(&at(pos), &p, 0) {
                if &to != m {
                    deps.insert(to);
                }
            }
        }
    }
    out
}

/// The strongly connected components of more than one file (Tarjan).
fn cycles(g: &BTreeMap<Vec<String>, BTreeSet<Vec<String>>>) -> Vec<Vec<Vec<String>>> {
    struct T<'a> {
        g: &'a BTreeMap<Vec<String>, BTreeSet<Vec<String>>>,
        index: BTreeMap<&'a Vec<String>, usize>,
        low: BTreeMap<&'a Vec<String>, usize>,
        stack: Vec<&'a Vec<String>>,
        on: BTreeSet<&'a Vec<String>>,
        out: Vec<Vec<Vec<String>>>,
    }
    fn visit<'a>(t: &mut T<'a>, v: &'a Vec<String>) {
        let i = t.index.len();
        t.index.insert(v, i);
        t.low.insert(v, i);
        t.stack.push(v);
        t.on.insert(v);
        if let Some(ws) = t.g.get(v) {
            for w in ws {
                if !t.index.contains_key(w) {
                    visit(t, w);
                    let lw = t.low[w];
                    let lv = t.low.get_mut(v).unwrap();
                    *lv = (*lv).min(lw);
                } else if t.on.contains(w) {
                    let iw = t.index[w];
                    let lv = t.low.get_mut(v).unwrap();
                    *lv = (*lv).min(iw);
                }
            }
        }
        if t.low[v] == t.index[v] {
            let mut comp = Vec::new();
            loop {
                let w = t.stack.pop().unwrap();
                t.on.remove(w);
                comp.push(w.clone());
                if w == v {
                    break;
                }
            }
            if comp.len() > 1 {
                comp.sort();
                t.out.push(comp);
            }
        }
    }
    let mut t = T {
        g,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on: BTreeSet::new(),
        out: Vec::new(),
    };
    for v in g.keys() {
        if !t.index.contains_key(v) {
            visit(&mut t, v);
        }
    }
    t.out.sort();
    t.out
}

fn name(m: &[String]) -> String {
    if m.is_empty() {
        "crate".into()
    } else {
        m.join("::")
    }
}

/// Circles still there, each as the edge that closes it: a child that uses
/// an item its parent defines (a trait, a shared type, a helper) while the
/// parent uses the child. Break one by moving the item to a leaf file the
/// parent re-exports, then delete its line here; the check fails on a line
/// whose edge is gone, so this list only shrinks.
const KNOWN: &[(&str, &str)] = &[];

#[test]
fn no_import_circle_between_files() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut g = edges(&src);
    let mut stale = Vec::new();
    for (a, b) in KNOWN {
        let seg = |m: &str| segments(m);
        let removed = g.get_mut(&seg(a)).is_some_and(|d| d.remove(&seg(b)));
        if !removed {
            stale.push(format!("  (\"{a}\", \"{b}\")"));
        }
    }
    let found = cycles(&g);
    let report: Vec<String> = found
        .iter()
        .map(|comp| {
            let members: BTreeSet<&Vec<String>> = comp.iter().collect();
            let links: Vec<String> = comp
                .iter()
                .flat_map(|a| {
                    g[a].iter()
                        .filter(|b| members.contains(b))
                        .map(move |b| format!("{} → {}", name(a), name(b)))
                })
                .collect();
            format!("  {}", links.join(", "))
        })
        .collect();
    assert!(
        found.is_empty(),
        "import circles between files (move the shared item to a leaf file):\n{}",
        report.join("\n")
    );
    assert!(
        stale.is_empty(),
        "these circles are gone: delete them from KNOWN in src/import_cycles.rs:\n{}",
        stale.join("\n")
    );
}

#[test]
fn the_check_sees_what_it_should() {
    let code = strip("use a::{b::{c, d as e}, self}; // use x::y;\nlet s = \"crate::q\"; let c = '\"'; fn f<'a>() {}");
    assert!(!code.contains("x::y") && !code.contains("crate::q"));
    assert!(code.contains("fn f<'a>"));
    let uses: Vec<(String, Option<String>)> = expand_use("a::{b::{c, d as e}, self, f::*}")
        .into_iter()
        .map(|u| (u.path.join("::"), u.name))
        .collect();
    let some = |s: &str| Some(s.to_string());
    assert_eq!(
        uses,
        [
            ("a::b::c".to_string(), some("c")),
            ("a::b::d".to_string(), some("e")),
            ("a".to_string(), some("a")),
            ("a::f".to_string(), None),
        ]
    );
    let mods = inline_mods("mod tests { fn x() { } } fn y() {}");
    assert_eq!(mods.len(), 1);
    assert_eq!(mods[0].0, "tests");
}
