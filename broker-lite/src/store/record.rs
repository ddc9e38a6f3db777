//! Commit-log records as the store writes and checks them.
//!
//! The record itself is the SDK's [`StoredMessage`] encoding (Java `MessageExtEncoder`), see
//! `rocketmq::protocol::message` for the field table. The store adds two things, both as Java
//! writes them:
//!
//! * **End-of-segment filler** (Java `CommitLog.DefaultAppendMessageCallback`): when a record
//!   plus 8 bytes does not fit in the rest of a segment, the store writes 8 bytes at the
//!   current position, `total size = bytes left in the segment` (i32, big-endian) then
//!   [`BLANK_MAGIC_CODE`] (i32), leaves the rest of the segment zero, and puts the record at
//!   the start of the next segment.
//! * **Whole-record CRC** (Java 5.x `enabledAppendPropCRC`, on by default here): a last
//!   property `__CRC32#` `\u{1}` ten ASCII digits `\u{2}` (20 bytes, [`CRC_PROPERTY_LEN`]);
//!   the digits are the decimal value of the CRC-32 (top bit cleared, [`body_crc`]) of
//!   every record byte before those 20, written least significant digit first and padded
//!   with `'0'`. It lets recovery tell a complete record from one torn inside its topic or
//!   properties, which the body CRC cannot. It is internal: [`client_bytes`] and
//!   [`put_client_view`] cut it from every record the store hands out, so clients see the
//!   properties they sent.
//!
//! Every record is also checked structurally when recovering (Java
//! `checkMessageAndReturnSize`): the lengths of its fields must add up to its total size,
//! its topic must be non-empty printable text and its properties must hold no NUL byte
//! (the zeros of a torn tail). Without the record CRC this is what catches a torn record,
//! as in Java with its default settings; only a tail overwritten with non-zero garbage
//! inside the properties can then pass.

use bytes::{Bytes, BytesMut};
use rocketmq::protocol::message::{
    BLANK_MAGIC_CODE, DecodeOptions, NAME_VALUE_SEPARATOR, PROPERTY_SEPARATOR, RecordVersion,
    StoredMessage, SysFlag, body_crc, property,
};

use crate::error::{Error, Result};

/// Length of the 8-byte end-of-segment filler header (Java `END_FILE_MIN_BLANK_LENGTH`).
pub(crate) const BLANK_LEN: usize = 8;
/// Length of the `__CRC32#` property with its separators (Java `CRC32_RESERVED_LEN`).
pub(crate) const CRC_PROPERTY_LEN: usize = property::CRC32.len() + 1 + 10 + 1;
/// Offset of the physical (commit-log) offset field in a record.
const PHYS_OFFSET_POS: usize = 4 + 4 + 4 + 4 + 4 + 8;

/// The 8-byte filler written where a record does not fit.
pub(crate) fn blank(bytes_left: u64) -> [u8; BLANK_LEN] {
    let mut out = [0; BLANK_LEN];
    let left = i32::try_from(bytes_left).unwrap_or(i32::MAX);
    out[..4].copy_from_slice(&left.to_be_bytes());
    out[4..].copy_from_slice(&BLANK_MAGIC_CODE.to_be_bytes());
    out
}

/// Appends an empty `__CRC32#` property to an encoded record (fixing the properties length
/// and the total size); [`seal`] fills in the digits.
#[cfg(test)]
pub(crate) fn reserve_crc_property(record: &mut Vec<u8>) -> Result<()> {
    reserve_crc_property_at(record, 0)
}

/// [`reserve_crc_property`] for the record that starts at `start` and fills the rest of
/// `buf` (e.g. just encoded at the end of a buffer of records). On an error `buf` is
/// unchanged.
pub(crate) fn reserve_crc_property_at(buf: &mut Vec<u8>, start: usize) -> Result<()> {
    let record = buf.get(start..).unwrap_or_default();
    let props_pos = start + properties_length_pos(record)?;
    let old = i16::from_be_bytes([buf[props_pos], buf[props_pos + 1]]);
    let old = usize::try_from(old).unwrap_or(0);
    let separator = old > 0 && buf.last() != Some(&(PROPERTY_SEPARATOR as u8));
    let extra = usize::from(separator) + CRC_PROPERTY_LEN;
    let new = old + extra;
    let new_len = i16::try_from(new).map_err(|_| rocketmq::Error::TooLarge {
        what: "message properties",
        len: new,
        max: i16::MAX as usize,
    })?;
    let total = props_pos + 2 + old + extra - start;
    let total = i32::try_from(total).map_err(|_| Error::MessageTooLarge {
        len: total,
        max: i32::MAX as usize,
    })?;
    // Drop a negative-length marker's (empty) properties: `old` is 0 then.
    buf.truncate(props_pos + 2 + old);
    buf[props_pos..props_pos + 2].copy_from_slice(&new_len.to_be_bytes());
    if separator {
        buf.push(PROPERTY_SEPARATOR as u8);
    }
    buf.extend_from_slice(property::CRC32.as_bytes());
    buf.push(NAME_VALUE_SEPARATOR as u8);
    buf.extend_from_slice(b"0000000000");
    buf.push(PROPERTY_SEPARATOR as u8);
    buf[start..start + 4].copy_from_slice(&total.to_be_bytes());
    Ok(())
}

/// Where the variable parts of an encoded record sit.
struct Layout {
    /// The topic bytes.
    topic: std::ops::Range<usize>,
    /// The 2-byte properties length.
    props_pos: usize,
}

/// Position of the 2-byte properties length in an encoded record, found by walking the
/// fixed layout (all lengths checked against the record).
fn properties_length_pos(record: &[u8]) -> Result<usize> {
    Ok(layout(record)?.props_pos)
}

/// Walks the fixed layout of an encoded record (all lengths checked against it).
fn layout(record: &[u8]) -> Result<Layout> {
    let bad = |reason: &str| {
        Error::Rocketmq(rocketmq::Error::Decode {
            what: "message record",
            reason: reason.into(),
        })
    };
    let i32_at = |pos: usize| -> Result<i32> {
        record
            .get(pos..pos + 4)
            .map(|b| i32::from_be_bytes([b[0], b[1], b[2], b[3]]))
            .ok_or_else(|| bad("truncated"))
    };
    let magic = i32_at(4)?;
    let sys_flag = SysFlag::from_bits(i32_at(36)?);
    let host = |flag| if sys_flag.contains(flag) { 20 } else { 8 };
    let body_len_pos = 48 + host(SysFlag::BORN_HOST_V6) + 8 + host(SysFlag::STORE_HOST_V6) + 12;
    let body_len = usize::try_from(i32_at(body_len_pos)?).map_err(|_| bad("negative body"))?;
    let topic_len_pos = body_len_pos + 4 + body_len;
    let (topic_len, width) = match RecordVersion::from_magic_code(magic) {
        Some(RecordVersion::V1) => (
            usize::from(*record.get(topic_len_pos).ok_or_else(|| bad("truncated"))?),
            1,
        ),
        Some(RecordVersion::V2) => {
            let b = record
                .get(topic_len_pos..topic_len_pos + 2)
                .ok_or_else(|| bad("truncated"))?;
            (usize::from(u16::from_be_bytes([b[0], b[1]])), 2)
        }
        None => return Err(bad("unknown magic code")),
    };
    let topic_start = topic_len_pos + width;
    let pos = topic_start + topic_len;
    if pos + 2 > record.len() {
        return Err(bad("truncated"));
    }
    Ok(Layout {
        topic: topic_start..pos,
        props_pos: pos,
    })
}

/// Sets the physical offset of a record and, when it carries a reserved CRC property,
/// computes the CRC digits.
pub(crate) fn seal(record: &mut [u8], phys_offset: u64, with_crc: bool) {
    let phys = i64::try_from(phys_offset).unwrap_or(i64::MAX);
    if let Some(field) = record.get_mut(PHYS_OFFSET_POS..PHYS_OFFSET_POS + 8) {
        field.copy_from_slice(&phys.to_be_bytes());
    }
    if with_crc && record.len() >= CRC_PROPERTY_LEN {
        let split = record.len() - CRC_PROPERTY_LEN;
        let crc = body_crc(&record[..split]);
        let digits_at = record.len() - 11;
        record[digits_at..digits_at + 10].copy_from_slice(&crc_digits(crc));
    }
}

/// Java's digit order: least significant first, padded with '0'.
fn crc_digits(crc: i32) -> [u8; 10] {
    let mut out = [b'0'; 10];
    let mut v = crc;
    for d in &mut out {
        if v > 0 {
            *d += (v % 10) as u8;
            v /= 10;
        }
    }
    out
}

/// What a read at a commit-log position found.
#[derive(Debug)]
pub(crate) enum Found {
    /// A complete, checked record of this many bytes; the flag says whether it carries
    /// the whole-record CRC.
    Record(Box<StoredMessage>, usize, bool),
    /// The end-of-segment filler: continue at the next segment.
    Blank,
    /// Not a record: the end of the data (zeros, garbage, a torn or corrupt record).
    End,
}

/// Whether `record` ends with a `__CRC32#` property of the reserved shape.
pub(crate) fn has_crc_property(record: &[u8]) -> bool {
    let size = record.len();
    size >= CRC_PROPERTY_LEN && {
        let tail = &record[size - CRC_PROPERTY_LEN..];
        tail.starts_with(property::CRC32.as_bytes())
            && tail[8] == NAME_VALUE_SEPARATOR as u8
            && tail[19] == PROPERTY_SEPARATOR as u8
    }
}

/// Checks the record at the front of `buf` (Java `checkMessageAndReturnSize` with CRC
/// checking on): body CRC, field lengths adding up to the total, a sane topic, no NUL in
/// the properties, and the whole-record CRC when present. `require_crc`: a record
/// without it is refused.
pub(crate) fn check(buf: &[u8], require_crc: bool) -> Found {
    if buf.len() >= BLANK_LEN
        && i32::from_be_bytes([buf[4], buf[5], buf[6], buf[7]]) == BLANK_MAGIC_CODE
    {
        return Found::Blank;
    }
    let mut bytes = Bytes::copy_from_slice(buf);
    let opts = DecodeOptions {
        verify_body_crc: true,
        decompress_body: false,
        ..DecodeOptions::default()
    };
    let Ok(msg) = StoredMessage::decode(&mut bytes, &opts) else {
        return Found::End;
    };
    let size = usize::try_from(msg.store_size).unwrap_or(0);
    let Some(record) = buf.get(..size) else {
        return Found::End;
    };
    if !well_formed(record) {
        return Found::End;
    }
    let has_crc = has_crc_property(record);
    if has_crc {
        let crc = body_crc(&record[..size - CRC_PROPERTY_LEN]);
        if record[size - 11..size - 1] != crc_digits(crc) {
            return Found::End;
        }
    } else if require_crc {
        return Found::End;
    }
    Found::Record(Box::new(msg), size, has_crc)
}

/// The structural checks of [`check`]: exact length, topic, properties.
fn well_formed(record: &[u8]) -> bool {
    let Ok(Layout { topic, props_pos }) = layout(record) else {
        return false;
    };
    let props_len = i16::from_be_bytes([record[props_pos], record[props_pos + 1]]);
    let props_len = usize::try_from(props_len).unwrap_or(0);
    if props_pos + 2 + props_len != record.len() || record[props_pos + 2..].contains(&0) {
        return false;
    }
    !topic.is_empty()
        && std::str::from_utf8(&record[topic]).is_ok_and(|t| !t.chars().any(char::is_control))
}

/// Where a stored record's trailing whole-record CRC property is cut off: the position of
/// its properties length and that length without the property. `None` for a record
/// without it (or whose layout does not end with it), which clients see as stored.
fn crc_cut(record: &[u8]) -> Option<(usize, i16)> {
    if !has_crc_property(record) {
        return None;
    }
    let props_pos = properties_length_pos(record).ok()?;
    let props_len = i16::from_be_bytes([record[props_pos], record[props_pos + 1]]);
    let new_props = usize::try_from(props_len)
        .ok()?
        .checked_sub(CRC_PROPERTY_LEN)?;
    (props_pos + 2 + new_props + CRC_PROPERTY_LEN == record.len())
        .then(|| (props_pos, i16::try_from(new_props).unwrap_or(0)))
}

/// A stored record as clients see it: itself when it has no whole-record CRC property,
/// else a copy without it, its total size and properties length fixed.
pub(crate) fn client_bytes(record: Bytes) -> Bytes {
    if crc_cut(&record).is_none() {
        return record;
    }
    let mut out = BytesMut::with_capacity(record.len());
    put_client_view(&mut out, &record);
    out.freeze()
}

/// The length of a stored record as clients see it (without the whole-record CRC
/// property).
pub(crate) fn client_len(record: &[u8]) -> usize {
    match crc_cut(record) {
        Some(_) => record.len() - CRC_PROPERTY_LEN,
        None => record.len(),
    }
}

/// Appends a stored record to `out` as clients see it (what [`client_bytes`] gives),
/// without a copy of its own first.
pub(crate) fn put_client_view(out: &mut BytesMut, record: &[u8]) {
    let Some((props_pos, new_props)) = crc_cut(record) else {
        out.extend_from_slice(record);
        return;
    };
    let start = out.len();
    let len = record.len() - CRC_PROPERTY_LEN;
    out.extend_from_slice(&record[..len]);
    let total = i32::try_from(len).unwrap_or(i32::MAX);
    out[start..start + 4].copy_from_slice(&total.to_be_bytes());
    out[start + props_pos..start + props_pos + 2].copy_from_slice(&new_props.to_be_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;
    use rocketmq::protocol::message::Message;

    fn record(props: bool) -> Vec<u8> {
        let mut message = Message::new("T", &b"body"[..]);
        if props {
            message.set_tags("a");
        }
        let msg = StoredMessage {
            body_crc: body_crc(b"body"),
            message,
            ..StoredMessage::default()
        };
        msg.to_bytes().unwrap_or_default()
    }

    #[test]
    fn java_crc_digit_order() {
        assert_eq!(&crc_digits(1234), b"4321000000");
        assert_eq!(&crc_digits(0), b"0000000000");
        assert_eq!(&crc_digits(i32::MAX), b"7463847412");
    }

    #[test]
    fn crc_property_round_trip() -> Result<()> {
        for props in [false, true] {
            let mut rec = record(props);
            reserve_crc_property(&mut rec)?;
            seal(&mut rec, 4096, true);
            let Found::Record(msg, size, true) = check(&rec, true) else {
                panic!("sealed record refused");
            };
            assert_eq!(size, rec.len());
            assert_eq!(msg.commit_log_offset, 4096);
            assert_eq!(msg.message.tags(), props.then_some("a"));
            assert_eq!(
                msg.message.property(property::CRC32).map(str::len),
                Some(10)
            );
            for i in 0..rec.len() {
                let mut bad = rec.clone();
                bad[i] ^= 0x40;
                assert!(
                    !matches!(check(&bad, true), Found::Record(..)),
                    "flip at {i}"
                );
            }
        }
        // Reserved at the end of a buffer of records: the same bytes.
        for props in [false, true] {
            let mut alone = record(props);
            reserve_crc_property(&mut alone)?;
            let mut buf = record(true);
            let start = buf.len();
            buf.extend_from_slice(&record(props));
            reserve_crc_property_at(&mut buf, start)?;
            assert_eq!(&buf[start..], &alone[..]);
            assert_eq!(&buf[..start], &record(true)[..]);
        }
        let plain = record(true);
        assert!(matches!(check(&plain, false), Found::Record(_, _, false)));
        assert!(matches!(check(&plain, true), Found::End));
        Ok(())
    }

    #[test]
    fn stripping_gives_back_the_record_as_sent() -> Result<()> {
        for props in [false, true] {
            let plain = record(props);
            let mut rec = plain.clone();
            reserve_crc_property(&mut rec)?;
            seal(&mut rec, 0, true);
            let stripped = client_bytes(Bytes::from(rec));
            assert_eq!(&stripped[..], &plain[..], "props: {props}");
            assert_eq!(client_bytes(stripped), &plain[..], "nothing more to strip");
        }
        Ok(())
    }

    #[test]
    fn client_view_appended_equals_the_stripped_record() -> Result<()> {
        for props in [false, true] {
            let plain = record(props);
            let mut sealed = plain.clone();
            reserve_crc_property(&mut sealed)?;
            seal(&mut sealed, 0, true);
            for stored in [&sealed, &plain] {
                // After other bytes already in the buffer, as in a pull's answer.
                let mut out = BytesMut::from(&b"prefix"[..]);
                put_client_view(&mut out, stored);
                assert_eq!(&out[..6], b"prefix");
                assert_eq!(&out[6..], &plain[..], "props: {props}");
                assert_eq!(client_len(stored), plain.len());
            }
        }
        // A record too short to be one is appended as it is.
        let mut out = BytesMut::new();
        put_client_view(&mut out, b"abc");
        assert_eq!(&out[..], b"abc");
        assert_eq!(client_len(b"abc"), 3);
        Ok(())
    }

    /// Without the record CRC, a record whose tail is lost (zeros, as after a process or
    /// OS crash) is refused at every cut point.
    #[test]
    fn torn_tails_refused_without_record_crc() {
        let mut message = Message::new("TopicTest", &b"hello body"[..]);
        message.set_tags("TagA");
        message.set_keys(["k1", "k2"]);
        message.set_unique_key("AC1100010000000000000000000000");
        let msg = StoredMessage {
            body_crc: body_crc(b"hello body"),
            message,
            ..StoredMessage::default()
        };
        let rec = msg.to_bytes().unwrap_or_default();
        assert!(matches!(check(&rec, false), Found::Record(..)));
        for cut in 0..rec.len() {
            let mut torn = rec.clone();
            torn[cut..].fill(0);
            if torn == rec {
                continue;
            }
            assert!(
                !matches!(check(&torn, false), Found::Record(..)),
                "cut at {cut} of {}",
                rec.len()
            );
        }
        // A record with trailing bytes after its declared size is checked on its own.
        let mut longer = rec.clone();
        longer.extend_from_slice(&[1, 2, 3]);
        assert!(matches!(check(&longer, false), Found::Record(_, n, _) if n == rec.len()));
    }

    #[test]
    fn blank_and_zeros() {
        assert!(matches!(check(&blank(100), true), Found::Blank));
        assert!(matches!(check(&[0; 64], false), Found::End));
    }
}
