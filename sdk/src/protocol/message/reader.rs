//! A bounds-checked big-endian reader over [`Bytes`]: every read checks the remaining input
//! first, and byte runs are zero-copy slices, so hostile lengths never allocate.

use bytes::Bytes;

use crate::{Error, Result};

pub(crate) struct Reader<'a> {
    buf: &'a Bytes,
    pos: usize,
    end: usize,
    what: &'static str,
}

impl<'a> Reader<'a> {
    /// Reads `buf[start..end]`; the caller guarantees `start <= end <= buf.len()`.
    pub(crate) fn new(what: &'static str, buf: &'a Bytes, start: usize, end: usize) -> Self {
        Reader {
            buf,
            pos: start,
            end,
            what,
        }
    }

    pub(crate) fn position(&self) -> usize {
        self.pos
    }

    pub(crate) fn remaining(&self) -> usize {
        self.end - self.pos
    }

    fn array<const N: usize>(&mut self, field: &str) -> Result<[u8; N]> {
        if self.remaining() < N {
            return Err(Error::decode(
                self.what,
                format!(
                    "truncated at {field}: need {N} bytes, {} left",
                    self.remaining()
                ),
            ));
        }
        let mut out = [0u8; N];
        out.copy_from_slice(&self.buf[self.pos..self.pos + N]);
        self.pos += N;
        Ok(out)
    }

    pub(crate) fn u8(&mut self, field: &str) -> Result<u8> {
        Ok(self.array::<1>(field)?[0])
    }

    pub(crate) fn i16(&mut self, field: &str) -> Result<i16> {
        self.array(field).map(i16::from_be_bytes)
    }

    pub(crate) fn i32(&mut self, field: &str) -> Result<i32> {
        self.array(field).map(i32::from_be_bytes)
    }

    pub(crate) fn i64(&mut self, field: &str) -> Result<i64> {
        self.array(field).map(i64::from_be_bytes)
    }

    /// The next `len` bytes; `len` is checked against the remaining input first.
    pub(crate) fn bytes(&mut self, field: &str, len: usize) -> Result<Bytes> {
        if self.remaining() < len {
            return Err(Error::decode(
                self.what,
                format!(
                    "{field} length {len} exceeds the {} bytes left",
                    self.remaining()
                ),
            ));
        }
        let out = self.buf.slice(self.pos..self.pos + len);
        self.pos += len;
        Ok(out)
    }

    /// A length field that must not be negative.
    pub(crate) fn len_i32(&mut self, field: &str) -> Result<usize> {
        let n = self.i32(field)?;
        usize::try_from(n).map_err(|_| Error::decode(self.what, format!("negative {field} {n}")))
    }
}
