//! The Prometheus text format, written straight into a buffer: label
//! escaping, one sample line at a time, and the chunks a scrape streams.

use std::fmt::Write as _;

/// Writes a label value escaped as the text format requires.
pub(super) fn esc(out: &mut String, v: &str) {
    for c in v.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
}

/// Where rendered text goes: a buffer handed to `sink` whenever it holds
/// `chunk` bytes or more ([`super::render_chunks`]), so that a scrape of a
/// 100,000-partition cluster never holds its 100+ MiB of text at once.
pub(super) struct Out<'s> {
    buf: String,
    chunk: usize,
    sink: &'s mut dyn FnMut(String),
}

impl<'s> Out<'s> {
    /// A buffer of `capacity` bytes, handed to `sink` whenever it holds
    /// `chunk` bytes or more.
    pub(super) fn new(capacity: usize, chunk: usize, sink: &'s mut dyn FnMut(String)) -> Self {
        Out {
            buf: String::with_capacity(capacity),
            chunk,
            sink,
        }
    }

    /// Hands what is left to the sink.
    pub(super) fn finish(mut self) {
        if !self.buf.is_empty() {
            (self.sink)(std::mem::take(&mut self.buf));
        }
    }

    /// Called after each complete line: passes the buffer on when full.
    fn line_done(&mut self) {
        if self.buf.len() >= self.chunk {
            let full = std::mem::replace(&mut self.buf, String::with_capacity(self.chunk + 1024));
            (self.sink)(full);
        }
    }
}

impl std::ops::Deref for Out<'_> {
    type Target = String;
    fn deref(&self) -> &String {
        &self.buf
    }
}

impl std::ops::DerefMut for Out<'_> {
    fn deref_mut(&mut self) -> &mut String {
        &mut self.buf
    }
}

/// A small writer for one sample line: `name{l="v",...} value`.
pub(super) struct Line<'a, 's> {
    out: &'a mut Out<'s>,
    first: bool,
}

impl<'a, 's> Line<'a, 's> {
    pub(super) fn start(out: &'a mut Out<'s>, name: &str, cluster: &str) -> Self {
        out.push_str(name);
        out.push_str("{cluster=\"");
        esc(out, cluster);
        out.push('"');
        Line { out, first: false }
    }
    pub(super) fn l(self, k: &str, v: &str) -> Self {
        self.out.push(if self.first { '{' } else { ',' });
        self.out.push_str(k);
        self.out.push_str("=\"");
        esc(self.out, v);
        self.out.push('"');
        self
    }
    pub(super) fn li(self, k: &str, v: i64) -> Self {
        self.out.push(',');
        self.out.push_str(k);
        self.out.push_str("=\"");
        let mut b = itoa::Buffer::new();
        self.out.push_str(b.format(v));
        self.out.push('"');
        self
    }
    pub(super) fn v(self, v: f64) {
        self.out.push_str("} ");
        if v.is_finite() && v.fract() == 0.0 && v.abs() < 1e15 {
            let mut b = itoa::Buffer::new();
            self.out.push_str(b.format(v as i64));
        } else if v.is_nan() {
            self.out.push_str("NaN");
        } else if v.is_infinite() {
            self.out.push_str(if v > 0.0 { "+Inf" } else { "-Inf" });
        } else {
            let _ = write!(self.out.buf, "{v}");
        }
        self.out.push('\n');
        self.out.line_done();
    }
}

pub(super) fn header(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
}
