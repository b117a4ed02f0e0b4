//! A structural check of request bodies before the `kafka-protocol` crate
//! decodes them.
//!
//! The crate's array decoder calls `Vec::with_capacity(n)` with `n` read from
//! the wire; a garbage length of two billion would make the allocation fail,
//! which aborts the process (not a catchable panic). This walker reads the
//! same layout without allocating and rejects any array or string whose
//! announced length exceeds the bytes left in the frame. Only the request
//! types and versions the simulator supports are described here.

use kafka_protocol::messages::ApiKey;

struct Walker<'a> {
    buf: &'a [u8],
    pos: usize,
    flex: bool,
}

type R = Result<(), ()>;

impl Walker<'_> {
    fn left(&self) -> usize {
        self.buf.len().saturating_sub(self.pos)
    }
    fn skip(&mut self, n: usize) -> R {
        if self.left() < n {
            return Err(());
        }
        self.pos += n;
        Ok(())
    }
    fn i16(&mut self) -> Result<i16, ()> {
        let b = self.buf.get(self.pos..self.pos + 2).ok_or(())?;
        self.pos += 2;
        Ok(i16::from_be_bytes([b[0], b[1]]))
    }
    fn i32(&mut self) -> Result<i32, ()> {
        let b = self.buf.get(self.pos..self.pos + 4).ok_or(())?;
        self.pos += 4;
        Ok(i32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }
    fn varint(&mut self) -> Result<u64, ()> {
        let mut v: u64 = 0;
        for shift in (0..35).step_by(7) {
            let b = *self.buf.get(self.pos).ok_or(())?;
            self.pos += 1;
            v |= ((b & 0x7f) as u64) << shift;
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err(())
    }
    fn string(&mut self) -> R {
        let n: i64 = if self.flex {
            self.varint()? as i64 - 1
        } else {
            self.i16()? as i64
        };
        if n > 0 {
            self.skip(n as usize)?;
        }
        Ok(())
    }
    fn array(&mut self, mut each: impl FnMut(&mut Self) -> R) -> R {
        let n: i64 = if self.flex {
            self.varint()? as i64 - 1
        } else {
            self.i32()? as i64
        };
        if n < 0 {
            return Ok(());
        }
        if n as usize > self.left() {
            return Err(());
        }
        for _ in 0..n {
            each(self)?;
        }
        Ok(())
    }
    fn tags(&mut self) -> R {
        if !self.flex {
            return Ok(());
        }
        let n = self.varint()?;
        if n as usize > self.left() {
            return Err(());
        }
        for _ in 0..n {
            self.varint()?;
            let size = self.varint()?;
            self.skip(size as usize)?;
        }
        Ok(())
    }
}

/// Checks that a request body of `key` at `version` is well formed enough to
/// decode safely. `false` means: close the connection.
pub(crate) fn body_is_sane(key: ApiKey, version: i16, body: &[u8]) -> bool {
    let v = version;
    let flex_from = match key {
        ApiKey::ApiVersions => 3,
        ApiKey::Metadata => 9,
        ApiKey::ListOffsets => 6,
        ApiKey::FindCoordinator => 3,
        ApiKey::OffsetFetch => 6,
        ApiKey::ListGroups => 3,
        ApiKey::DescribeGroups => 5,
        ApiKey::DescribeConfigs => 4,
        ApiKey::DescribeCluster => 0,
        ApiKey::DescribeLogDirs => 2,
        _ => return false,
    };
    let mut w = Walker {
        buf: body,
        pos: 0,
        flex: v >= flex_from,
    };
    let res: R = (|| {
        match key {
            ApiKey::ApiVersions => {
                if v >= 3 {
                    w.string()?;
                    w.string()?;
                }
            }
            ApiKey::Metadata => {
                w.array(|w| {
                    if v >= 10 {
                        w.skip(16)?;
                    }
                    w.string()?;
                    w.tags()
                })?;
                if v >= 4 {
                    w.skip(1)?;
                }
                if (8..=10).contains(&v) {
                    w.skip(1)?;
                }
                if v >= 8 {
                    w.skip(1)?;
                }
            }
            ApiKey::ListOffsets => {
                w.skip(4)?;
                if v >= 2 {
                    w.skip(1)?;
                }
                w.array(|w| {
                    w.string()?;
                    w.array(|w| {
                        w.skip(if v >= 4 { 16 } else { 12 })?;
                        w.tags()
                    })?;
                    w.tags()
                })?;
                if v >= 10 {
                    w.skip(4)?;
                }
            }
            ApiKey::FindCoordinator => {
                if v <= 3 {
                    w.string()?;
                }
                if v >= 1 {
                    w.skip(1)?;
                }
                if v >= 4 {
                    w.array(|w| w.string())?;
                }
            }
            ApiKey::OffsetFetch => {
                let topic = |w: &mut Walker| -> R {
                    w.string()?;
                    w.array(|w| w.skip(4))?;
                    w.tags()
                };
                if v <= 7 {
                    w.string()?;
                    w.array(topic)?;
                } else {
                    w.array(|w| {
                        w.string()?;
                        w.array(topic)?;
                        w.tags()
                    })?;
                }
                if v >= 7 {
                    w.skip(1)?;
                }
            }
            ApiKey::ListGroups => {
                if v >= 4 {
                    w.array(|w| w.string())?;
                }
            }
            ApiKey::DescribeGroups => {
                w.array(|w| w.string())?;
                if v >= 3 {
                    w.skip(1)?;
                }
            }
            ApiKey::DescribeConfigs => {
                w.array(|w| {
                    w.skip(1)?;
                    w.string()?;
                    w.array(|w| w.string())?;
                    w.tags()
                })?;
                w.skip(1)?;
                if v >= 3 {
                    w.skip(1)?;
                }
            }
            ApiKey::DescribeCluster => {
                w.skip(1)?;
                if v >= 1 {
                    w.skip(1)?;
                }
            }
            ApiKey::DescribeLogDirs => {
                w.array(|w| {
                    w.string()?;
                    w.array(|w| w.skip(4))?;
                    w.tags()
                })?;
            }
            _ => return Err(()),
        }
        w.tags()
    })();
    res.is_ok()
}
