//! The durable outbox: an append-only log of notifications to deliver.
//!
//! File `outbox.log` in the state directory holds framed records:
//!
//! ```text
//! [u32 LE payload length][u32 LE CRC-32 of payload][payload: one JSON Record]
//! ```
//!
//! * `accepted`: a notification and the destinations it must reach. It is
//!   written and fsynced before [`Outbox::accept`] returns: a notification
//!   counts as accepted only once it is durable.
//! * `delivered`: one destination acknowledged one notification. Written and
//!   fsynced right after the acknowledgement, before the next delivery to
//!   that destination starts.
//! * `failed`: one destination rejected it for good (a 4xx) or stayed down
//!   past the retry budget; it will not be retried.
//!
//! On open the log is replayed. A torn or corrupt tail (a crash in the
//! middle of an append) is reported, cut off and ignored; every record
//! before it is kept. When finished records dominate the file, it is
//! compacted: the pending records are written to `outbox.log.tmp`, fsynced,
//! renamed over the log, and the directory is fsynced.
//!
//! Delivery is exactly-once after acknowledgement: on restart only
//! (notification, destination) pairs without a `delivered`/`failed`
//! record are sent again. A kill between a destination's acknowledgement
//! and the fsync of its `delivered` record (a window of one fsync) makes
//! that one notification go out again: receivers deduplicate on the
//! notification id, which every payload carries.
//!
//! A lock file (`outbox.lock`, `flock`) keeps two processes from sharing
//! one outbox.

use std::collections::{BTreeMap, HashMap};
use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::model::Notification;
use crate::snapshot::Time;

const LOG_FILE: &str = "outbox.log";
const TMP_FILE: &str = "outbox.log.tmp";
const LOCK_FILE: &str = "outbox.lock";
/// Frame header: length + CRC.
const HEADER: usize = 8;
/// A record larger than this is treated as corruption.
const MAX_RECORD: usize = 64 * 1024 * 1024;

/// What can go wrong with the outbox.
#[derive(Debug, thiserror::Error)]
pub enum OutboxError {
    #[error("outbox {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("outbox {0} is locked by another process")]
    Locked(PathBuf),
    #[error("cannot serialize an outbox record: {0}")]
    Serialize(#[from] serde_json::Error),
    #[error("the dispatcher is shutting down and takes no new notifications")]
    ShuttingDown,
    #[error("outbox task failed: {0}")]
    Task(String),
}

/// One log record.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Record {
    Accepted {
        accepted_at: Time,
        destinations: Vec<String>,
        notification: Box<Notification>,
    },
    Delivered {
        id: String,
        destination: String,
    },
    Failed {
        id: String,
        destination: String,
        reason: String,
    },
}

/// A notification still owed to some destinations.
#[derive(Debug, Clone)]
struct Entry {
    notification: Arc<Notification>,
    accepted_at: Time,
    /// Destinations that have not acknowledged yet, in configuration order.
    remaining: Vec<String>,
}

/// One (notification, destination) pair still to deliver.
#[derive(Debug, Clone)]
pub struct PendingItem {
    pub notification: Arc<Notification>,
    pub destination: String,
    /// When the outbox accepted it (for delivery latency).
    pub accepted_at: Time,
}

/// What replaying the log found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Recovery {
    /// Good records read.
    pub records: usize,
    /// Pending (notification, destination) pairs after replay.
    pub pending: usize,
    /// A torn or corrupt tail that was cut off: its offset, size and why.
    pub torn_tail: Option<TornTail>,
}

/// A damaged end of the log, ignored on open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TornTail {
    /// Byte offset of the first bad record (the log is cut back to it).
    pub offset: u64,
    /// Bytes ignored.
    pub bytes: u64,
    pub reason: String,
}

/// The durable outbox. Not thread-safe by itself: the dispatcher wraps it
/// in a mutex and calls it from blocking tasks (appends fsync).
#[derive(Debug)]
pub struct Outbox {
    dir: PathBuf,
    file: File,
    _lock: File,
    file_len: u64,
    /// Records in the file now.
    file_records: usize,
    /// Pending notifications by acceptance sequence.
    pending: BTreeMap<u64, Entry>,
    by_id: HashMap<String, u64>,
    next_seq: u64,
    depth: usize,
    compact_min_records: usize,
    recovery: Recovery,
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> OutboxError + '_ {
    move |source| OutboxError::Io {
        path: path.to_path_buf(),
        source,
    }
}

fn frame(rec: &Record) -> Result<Vec<u8>, OutboxError> {
    let payload = serde_json::to_vec(rec)?;
    let mut out = Vec::with_capacity(HEADER + payload.len());
    out.extend_from_slice(&(payload.len() as u32).to_le_bytes());
    out.extend_from_slice(&crc32fast::hash(&payload).to_le_bytes());
    out.extend_from_slice(&payload);
    Ok(out)
}

/// Splits a log into records; stops at the first damaged one.
fn parse_log(data: &[u8]) -> (Vec<Record>, usize, Option<String>) {
    let mut recs = Vec::new();
    let mut off = 0usize;
    while off < data.len() {
        let rest = &data[off..];
        if rest.len() < HEADER {
            return (recs, off, Some("truncated record header".into()));
        }
        let len = u32::from_le_bytes([rest[0], rest[1], rest[2], rest[3]]) as usize;
        let crc = u32::from_le_bytes([rest[4], rest[5], rest[6], rest[7]]);
        if len > MAX_RECORD {
            return (
                recs,
                off,
                Some(format!("record length {len} is implausible")),
            );
        }
        if rest.len() < HEADER + len {
            return (
                recs,
                off,
                Some(format!(
                    "truncated record: {} of {len} bytes",
                    rest.len() - HEADER
                )),
            );
        }
        let payload = &rest[HEADER..HEADER + len];
        if crc32fast::hash(payload) != crc {
            return (recs, off, Some("checksum mismatch".into()));
        }
        match serde_json::from_slice::<Record>(payload) {
            Ok(r) => recs.push(r),
            Err(e) => return (recs, off, Some(format!("unreadable record: {e}"))),
        }
        off += HEADER + len;
    }
    (recs, off, None)
}

fn lock(file: &File, path: &Path) -> Result<(), OutboxError> {
    use std::os::unix::io::AsRawFd;
    // SAFETY: flock on a valid, owned file descriptor has no memory effects.
    let rc = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
    if rc == 0 {
        Ok(())
    } else {
        let err = std::io::Error::last_os_error();
        if err.kind() == std::io::ErrorKind::WouldBlock {
            Err(OutboxError::Locked(path.to_path_buf()))
        } else {
            Err(OutboxError::Io {
                path: path.to_path_buf(),
                source: err,
            })
        }
    }
}

fn sync_dir(dir: &Path) -> Result<(), OutboxError> {
    File::open(dir).and_then(|d| d.sync_all()).map_err(io(dir))
}

impl Outbox {
    /// Opens (creating if needed) the outbox in `dir`, replays it and
    /// compacts it if worthwhile. See [`Outbox::recovery`] for what was found.
    pub fn open(dir: &Path) -> Result<Outbox, OutboxError> {
        std::fs::create_dir_all(dir).map_err(io(dir))?;
        let lock_path = dir.join(LOCK_FILE);
        let lock_file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(io(&lock_path))?;
        lock(&lock_file, &lock_path)?;
        // A temp file is a compaction that never reached its rename: the log
        // is still authoritative.
        let tmp = dir.join(TMP_FILE);
        if tmp.exists() {
            std::fs::remove_file(&tmp).map_err(io(&tmp))?;
        }
        let path = dir.join(LOG_FILE);
        let mut file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .read(true)
            .append(true)
            .open(&path)
            .map_err(io(&path))?;
        let mut data = Vec::new();
        file.read_to_end(&mut data).map_err(io(&path))?;
        let (records, good_len, damage) = parse_log(&data);
        let mut torn_tail = None;
        if let Some(reason) = damage {
            tracing::warn!(
                path = %path.display(),
                offset = good_len,
                ignored_bytes = data.len() - good_len,
                %reason,
                "outbox has a torn or corrupt tail; it is ignored (records before it are kept)"
            );
            file.set_len(good_len as u64).map_err(io(&path))?;
            file.sync_all().map_err(io(&path))?;
            torn_tail = Some(TornTail {
                offset: good_len as u64,
                bytes: (data.len() - good_len) as u64,
                reason,
            });
        }
        let mut ob = Outbox {
            dir: dir.to_path_buf(),
            file,
            _lock: lock_file,
            file_len: good_len as u64,
            file_records: records.len(),
            pending: BTreeMap::new(),
            by_id: HashMap::new(),
            next_seq: 0,
            depth: 0,
            compact_min_records: 256,
            recovery: Recovery::default(),
        };
        let n_records = records.len();
        for r in records {
            ob.apply(r);
        }
        ob.recovery = Recovery {
            records: n_records,
            pending: ob.depth,
            torn_tail,
        };
        ob.maybe_compact()?;
        Ok(ob)
    }

    /// What the last open found in the log.
    pub fn recovery(&self) -> &Recovery {
        &self.recovery
    }

    /// The directory holding the outbox.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Compaction starts only when the file has at least this many records
    /// (default 256) and finished records are at least 3/4 of them.
    pub fn set_compact_min_records(&mut self, n: usize) {
        self.compact_min_records = n.max(1);
    }

    fn apply(&mut self, r: Record) {
        match r {
            Record::Accepted {
                accepted_at,
                destinations,
                notification,
            } => {
                if self.by_id.contains_key(&notification.id) || destinations.is_empty() {
                    return;
                }
                let seq = self.next_seq;
                self.next_seq += 1;
                self.depth += destinations.len();
                self.by_id.insert(notification.id.clone(), seq);
                self.pending.insert(
                    seq,
                    Entry {
                        notification: Arc::from(notification),
                        accepted_at,
                        remaining: destinations,
                    },
                );
            }
            Record::Delivered { id, destination }
            | Record::Failed {
                id, destination, ..
            } => {
                let Some(&seq) = self.by_id.get(&id) else {
                    return;
                };
                let Some(e) = self.pending.get_mut(&seq) else {
                    return;
                };
                let before = e.remaining.len();
                e.remaining.retain(|d| *d != destination);
                self.depth -= before - e.remaining.len();
                if e.remaining.is_empty() {
                    self.pending.remove(&seq);
                    self.by_id.remove(&id);
                }
            }
        }
    }

    fn append(&mut self, rec: &Record) -> Result<(), OutboxError> {
        let bytes = frame(rec)?;
        let path = self.dir.join(LOG_FILE);
        let res = self
            .file
            .write_all(&bytes)
            .and_then(|_| self.file.sync_data());
        if let Err(e) = res {
            // Do not leave a half record in front of the next append.
            let _ = self.file.set_len(self.file_len);
            return Err(OutboxError::Io { path, source: e });
        }
        self.file_len += bytes.len() as u64;
        self.file_records += 1;
        Ok(())
    }

    /// Durably records that `n` must reach `destinations`. Returns once the
    /// record is fsynced. A notification id already pending is ignored
    /// (returns `false`), as is an empty destination list.
    pub fn accept(
        &mut self,
        n: &Notification,
        destinations: &[String],
        now: Time,
    ) -> Result<bool, OutboxError> {
        if destinations.is_empty() || self.by_id.contains_key(&n.id) {
            return Ok(false);
        }
        let rec = Record::Accepted {
            accepted_at: now,
            destinations: destinations.to_vec(),
            notification: Box::new(n.clone()),
        };
        self.append(&rec)?;
        self.apply(rec);
        Ok(true)
    }

    /// Durably records that `destination` acknowledged notification `id`.
    pub fn mark_delivered(&mut self, id: &str, destination: &str) -> Result<(), OutboxError> {
        self.finish(Record::Delivered {
            id: id.to_string(),
            destination: destination.to_string(),
        })
    }

    /// Durably records that `destination` will never get notification `id`.
    pub fn mark_failed(
        &mut self,
        id: &str,
        destination: &str,
        reason: &str,
    ) -> Result<(), OutboxError> {
        self.finish(Record::Failed {
            id: id.to_string(),
            destination: destination.to_string(),
            reason: reason.chars().take(512).collect(),
        })
    }

    fn finish(&mut self, rec: Record) -> Result<(), OutboxError> {
        let (Record::Delivered {
            id, destination, ..
        }
        | Record::Failed {
            id, destination, ..
        }) = &rec
        else {
            return Ok(());
        };
        let known = self
            .by_id
            .get(id)
            .and_then(|s| self.pending.get(s))
            .is_some_and(|e| e.remaining.contains(destination));
        if !known {
            return Ok(());
        }
        self.append(&rec)?;
        self.apply(rec);
        self.maybe_compact()
    }

    /// The oldest notification still owed to `destination`.
    pub fn next_for(&self, destination: &str) -> Option<PendingItem> {
        self.pending.values().find_map(|e| {
            e.remaining
                .iter()
                .any(|d| d == destination)
                .then(|| PendingItem {
                    notification: e.notification.clone(),
                    destination: destination.to_string(),
                    accepted_at: e.accepted_at,
                })
        })
    }

    /// Every pending (notification, destination) pair, oldest first.
    pub fn pending(&self) -> Vec<PendingItem> {
        self.pending
            .values()
            .flat_map(|e| {
                e.remaining.iter().map(|d| PendingItem {
                    notification: e.notification.clone(),
                    destination: d.clone(),
                    accepted_at: e.accepted_at,
                })
            })
            .collect()
    }

    /// Number of pending (notification, destination) pairs.
    pub fn depth(&self) -> usize {
        self.depth
    }

    /// Records currently in the log file (for tests and diagnostics).
    pub fn file_records(&self) -> usize {
        self.file_records
    }

    fn maybe_compact(&mut self) -> Result<(), OutboxError> {
        let live = self.pending.len();
        if self.file_records >= self.compact_min_records && self.file_records >= 4 * live.max(1) {
            self.compact()?;
        }
        Ok(())
    }

    /// Rewrites the log with only the pending notifications: temp file,
    /// fsync, rename over the log, fsync the directory.
    pub fn compact(&mut self) -> Result<(), OutboxError> {
        let tmp = self.dir.join(TMP_FILE);
        let path = self.dir.join(LOG_FILE);
        let mut buf = Vec::new();
        for e in self.pending.values() {
            buf.extend_from_slice(&frame(&Record::Accepted {
                accepted_at: e.accepted_at,
                destinations: e.remaining.clone(),
                notification: Box::new((*e.notification).clone()),
            })?);
        }
        {
            let mut f = File::create(&tmp).map_err(io(&tmp))?;
            f.write_all(&buf).map_err(io(&tmp))?;
            f.sync_all().map_err(io(&tmp))?;
        }
        std::fs::rename(&tmp, &path).map_err(io(&path))?;
        sync_dir(&self.dir)?;
        self.file = OpenOptions::new()
            .read(true)
            .append(true)
            .open(&path)
            .map_err(io(&path))?;
        let before = self.file_records;
        self.file_len = buf.len() as u64;
        self.file_records = self.pending.len();
        tracing::debug!(
            records_before = before,
            records_after = self.file_records,
            "outbox compacted"
        );
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::NotifyReason;
    use crate::notify::testutil::{sample, t};

    fn n(i: usize) -> Notification {
        let mut n = sample(NotifyReason::Firing);
        n.id = format!("id-{i}");
        n
    }

    fn dests() -> Vec<String> {
        vec!["a".into(), "b".into()]
    }

    #[test]
    fn accept_deliver_and_replay() {
        let dir = tempfile::tempdir().expect("tmp");
        {
            let mut ob = Outbox::open(dir.path()).expect("open");
            for i in 0..3 {
                assert!(ob.accept(&n(i), &dests(), t(0)).expect("accept"));
            }
            assert!(!ob.accept(&n(0), &dests(), t(0)).expect("dup"));
            assert_eq!(ob.depth(), 6);
            ob.mark_delivered("id-0", "a").expect("d");
            ob.mark_delivered("id-0", "b").expect("d");
            ob.mark_failed("id-1", "a", "HTTP 400").expect("f");
            // Unknown pairs are ignored.
            ob.mark_delivered("id-9", "a").expect("d");
            assert_eq!(ob.depth(), 3);
            assert_eq!(ob.next_for("a").expect("a").notification.id, "id-2");
            assert_eq!(ob.next_for("b").expect("b").notification.id, "id-1");
        }
        let ob = Outbox::open(dir.path()).expect("reopen");
        assert_eq!(ob.recovery().torn_tail, None);
        assert_eq!(ob.depth(), 3);
        let p: Vec<_> = ob
            .pending()
            .iter()
            .map(|p| format!("{}/{}", p.notification.id, p.destination))
            .collect();
        assert_eq!(p, vec!["id-1/b", "id-2/a", "id-2/b"]);
    }

    #[test]
    fn a_second_process_cannot_open_it() {
        let dir = tempfile::tempdir().expect("tmp");
        let _a = Outbox::open(dir.path()).expect("open");
        assert!(matches!(
            Outbox::open(dir.path()),
            Err(OutboxError::Locked(_))
        ));
    }

    #[test]
    fn torn_and_corrupt_tails_are_cut_off() {
        for damage in 0..3 {
            let dir = tempfile::tempdir().expect("tmp");
            {
                let mut ob = Outbox::open(dir.path()).expect("open");
                for i in 0..3 {
                    ob.accept(&n(i), &dests(), t(0)).expect("accept");
                }
            }
            let path = dir.path().join(LOG_FILE);
            let mut data = std::fs::read(&path).expect("read");
            match damage {
                0 => data.truncate(data.len() - 10), // torn last record
                1 => {
                    let l = data.len();
                    data[l - 3] ^= 0xff; // flipped bits in the last record
                }
                _ => data.extend_from_slice(&[1, 2, 3]), // torn header
            }
            std::fs::write(&path, &data).expect("write");
            let mut ob = Outbox::open(dir.path()).expect("reopen");
            let tail = ob.recovery().torn_tail.clone().expect("torn tail reported");
            let want = if damage == 2 { 3 } else { 2 };
            assert_eq!(ob.pending().len() / 2, want, "damage {damage}: {tail:?}");
            // New appends land after the good prefix and survive a reopen.
            ob.accept(&n(7), &dests(), t(0)).expect("accept");
            drop(ob);
            let ob = Outbox::open(dir.path()).expect("reopen 2");
            assert_eq!(ob.recovery().torn_tail, None);
            assert_eq!(ob.pending().len() / 2, want + 1);
        }
    }

    #[test]
    fn compaction_keeps_only_pending() {
        let dir = tempfile::tempdir().expect("tmp");
        {
            let mut ob = Outbox::open(dir.path()).expect("open");
            ob.set_compact_min_records(20);
            for i in 0..30 {
                ob.accept(&n(i), &dests(), t(0)).expect("accept");
                if i != 7 {
                    ob.mark_delivered(&format!("id-{i}"), "a").expect("d");
                    ob.mark_delivered(&format!("id-{i}"), "b").expect("d");
                }
            }
            assert!(ob.file_records() < 20, "compacted: {}", ob.file_records());
            assert_eq!(ob.depth(), 2);
        }
        let ob = Outbox::open(dir.path()).expect("reopen");
        assert_eq!(ob.depth(), 2);
        assert_eq!(ob.next_for("a").expect("a").notification.id, "id-7");
        assert!(!dir.path().join(TMP_FILE).exists());
    }
}
