//! The compact ROCKETMQ binary command header (`RocketMQSerializable.java`, identical in
//! 4.9.8 and 5.3.3). All integers big-endian:
//!
//! | field     | bytes                                                         |
//! |-----------|---------------------------------------------------------------|
//! | code      | 2 (Java writes the low 16 bits, reads them back sign-extended) |
//! | language  | 1                                                             |
//! | version   | 2 (like code)                                                 |
//! | opaque    | 4                                                             |
//! | flag      | 4                                                             |
//! | remark    | 4-byte length + UTF-8 (length 0: no remark)                   |
//! | extFields | 4-byte total length, then per entry: 2-byte key length + key, 4-byte value length + value |
//!
//! Entries come in Java `HashMap` iteration order by default (see [`ExtFieldsOrder`]). Java reads a zero-length string as
//! `null`; this decoder keeps an empty key or value as an empty string.

use bytes::{Buf, BytesMut};

use super::{ExtFieldsOrder, RemotingCommand, SerializeType};
use crate::protocol::code::Version;
use crate::protocol::{ExtFields, LanguageCode};
use crate::{Error, Result};

const WHAT: &str = "ROCKETMQ remoting command header";

/// Fixed part: code, language, version, opaque, flag.
const FIXED_LEN: usize = 2 + 1 + 2 + 4 + 4;

/// Appends the binary header of `cmd` to `out`, writing `extFields` in `order`.
///
/// Fails if a key is longer than Java's 2-byte (signed) key length can carry, or a length
/// does not fit 4 bytes.
pub(super) fn encode_header(
    cmd: &RemotingCommand,
    order: ExtFieldsOrder,
    out: &mut BytesMut,
) -> Result<()> {
    let remark = cmd.remark.as_deref().unwrap_or("");
    let remark_len = len_i32("remark", remark.len())?;
    // Lengths are checked and summed first, so the header is written into a buffer of
    // its exact size with fixed-size copies rather than growing `out` field by field.
    let mut map_len = 0usize;
    if let Some(ext) = &cmd.ext_fields {
        for (k, v) in ext.iter() {
            i16::try_from(k.len()).map_err(|_| Error::TooLarge {
                what: "extFields key",
                len: k.len(),
                max: i16::MAX as usize,
            })?;
            len_i32("extFields value", v.len())?;
            map_len += 2 + k.len() + 4 + v.len();
        }
    }
    let map_len_i32 = len_i32("extFields", map_len)?;
    let start = out.len();
    out.resize(start + FIXED_LEN + 4 + remark.len() + 4 + map_len, 0);
    let mut w = Writer {
        buf: &mut out[start..],
        at: 0,
    };
    // Truncation to 16 bits is Java's behaviour (`writeShort`).
    w.put(&(cmd.code as i16).to_be_bytes());
    w.put(&[cmd.language.0]);
    w.put(&(cmd.version.0 as i16).to_be_bytes());
    w.put(&cmd.opaque.to_be_bytes());
    w.put(&cmd.flag.to_be_bytes());
    w.put(&remark_len.to_be_bytes());
    w.put(remark.as_bytes());
    w.put(&map_len_i32.to_be_bytes());
    if let Some(ext) = &cmd.ext_fields {
        order.for_each::<Error>(ext, |k, v| {
            // Both lengths were checked above.
            w.put(&(k.len() as i16).to_be_bytes());
            w.put(k.as_bytes());
            w.put(&(v.len() as i32).to_be_bytes());
            w.put(v.as_bytes());
            Ok(())
        })?;
    }
    Ok(())
}

/// Writes consecutive fields into a buffer sized for them.
struct Writer<'a> {
    buf: &'a mut [u8],
    at: usize,
}

impl Writer<'_> {
    fn put(&mut self, bytes: &[u8]) {
        let end = self.at + bytes.len();
        self.buf[self.at..end].copy_from_slice(bytes);
        self.at = end;
    }
}

fn len_i32(what: &'static str, len: usize) -> Result<i32> {
    i32::try_from(len).map_err(|_| Error::TooLarge {
        what,
        len,
        max: i32::MAX as usize,
    })
}

/// Parses a binary header that spans all of `buf`.
pub(super) fn decode_header(mut buf: &[u8]) -> Result<RemotingCommand> {
    if buf.len() < FIXED_LEN + 4 + 4 {
        return Err(Error::decode(
            WHAT,
            format!("{} bytes is shorter than the fixed part", buf.len()),
        ));
    }
    let code = i32::from(buf.get_i16());
    let language = LanguageCode(buf.get_u8());
    let version = Version(i32::from(buf.get_i16()));
    let opaque = buf.get_i32();
    let flag = buf.get_i32();
    let remark_len = read_len(&mut buf, 4, "remark")?;
    let remark = match remark_len {
        0 => None,
        n => Some(read_str(&mut buf, n, "remark")?.to_owned()),
    };
    let map_len = read_len(&mut buf, 4, "extFields")?;
    let ext_fields = if map_len > 0 {
        if map_len > buf.len() {
            return Err(Error::decode(
                WHAT,
                format!(
                    "extFields length {map_len} exceeds the {} bytes left",
                    buf.len()
                ),
            ));
        }
        let (mut map, rest) = buf.split_at(map_len);
        buf = rest;
        // Every entry takes at least 6 length bytes; the text is at most the map's size.
        let mut ext = ExtFields::with_capacity((map_len / 6).min(16), map_len);
        while map.has_remaining() {
            let key_len = read_len(&mut map, 2, "extFields key")?;
            let key = read_str(&mut map, key_len, "extFields key")?;
            let value_len = read_len(&mut map, 4, "extFields value")?;
            let value = read_str(&mut map, value_len, "extFields value")?;
            ext.insert(key, value);
        }
        Some(ext)
    } else {
        None
    };
    if !buf.is_empty() {
        return Err(Error::decode(
            WHAT,
            format!("{} trailing bytes after extFields", buf.len()),
        ));
    }
    Ok(RemotingCommand {
        code,
        language,
        version,
        opaque,
        flag,
        remark,
        ext_fields,
        serialize_type: SerializeType::RocketMq,
        body: bytes::Bytes::new(),
    })
}

/// Reads a signed length of `width` (2 or 4) bytes, refusing negative values.
fn read_len(buf: &mut &[u8], width: usize, what: &str) -> Result<usize> {
    if buf.len() < width {
        return Err(Error::decode(WHAT, format!("truncated {what} length")));
    }
    let len = if width == 2 {
        i32::from(buf.get_i16())
    } else {
        buf.get_i32()
    };
    usize::try_from(len).map_err(|_| Error::decode(WHAT, format!("negative {what} length {len}")))
}

/// Reads `len` bytes of UTF-8, checking they are there.
fn read_str<'a>(buf: &mut &'a [u8], len: usize, what: &str) -> Result<&'a str> {
    if len > buf.len() {
        return Err(Error::decode(
            WHAT,
            format!("{what} of {len} bytes exceeds the {} bytes left", buf.len()),
        ));
    }
    let (s, rest) = buf.split_at(len);
    *buf = rest;
    std::str::from_utf8(s).map_err(|_| Error::decode(WHAT, format!("{what} is not UTF-8")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::BufMut;

    fn sample() -> RemotingCommand {
        let mut ext = ExtFields::new();
        ext.insert("topic", "T");
        ext.insert("queueId", "3");
        RemotingCommand {
            code: 310,
            language: LanguageCode::RUST,
            version: Version(479),
            opaque: 42,
            flag: 2,
            remark: Some("héllo".into()),
            ext_fields: Some(ext),
            serialize_type: SerializeType::RocketMq,
            body: bytes::Bytes::new(),
        }
    }

    #[test]
    fn layout_is_java_layout() {
        let mut out = BytesMut::new();
        encode_header(&sample(), ExtFieldsOrder::default(), &mut out).unwrap();
        let mut expected = vec![
            0x01, 0x36, 12, 0x01, 0xDF, 0, 0, 0, 42, 0, 0, 0, 2, 0, 0, 0, 6,
        ];
        expected.extend_from_slice("héllo".as_bytes());
        let order = super::super::java_order::iteration_order(["topic", "queueId"].into_iter(), 16);
        let mut map = Vec::new();
        for i in order {
            let (k, v) = [("topic", "T"), ("queueId", "3")][i];
            map.extend_from_slice(&(k.len() as u16).to_be_bytes());
            map.extend_from_slice(k.as_bytes());
            map.extend_from_slice(&(v.len() as u32).to_be_bytes());
            map.extend_from_slice(v.as_bytes());
        }
        expected.extend_from_slice(&(map.len() as u32).to_be_bytes());
        expected.extend_from_slice(&map);
        assert_eq!(out, expected);
    }

    #[test]
    fn round_trips() {
        let cmd = sample();
        let mut out = BytesMut::new();
        encode_header(&cmd, ExtFieldsOrder::default(), &mut out).unwrap();
        let back = decode_header(&out).unwrap();
        assert_eq!(back.code, cmd.code);
        assert_eq!(back.remark, cmd.remark);
        assert_eq!(back.ext_fields.unwrap().get("queueId"), Some("3"));
    }

    #[test]
    fn code_and_version_are_sign_extended_shorts() {
        let mut cmd = sample();
        cmd.code = 200_050; // POP_MESSAGE does not fit 16 bits: Java truncates it too.
        cmd.version = Version(-2);
        let mut out = BytesMut::new();
        encode_header(&cmd, ExtFieldsOrder::default(), &mut out).unwrap();
        let back = decode_header(&out).unwrap();
        assert_eq!(back.code, i32::from(200_050i32 as i16));
        assert_eq!(back.version, Version(-2));
    }

    #[test]
    fn empty_remark_and_map_are_absent() {
        let mut cmd = sample();
        cmd.remark = Some(String::new());
        cmd.ext_fields = Some(ExtFields::new());
        let mut out = BytesMut::new();
        encode_header(&cmd, ExtFieldsOrder::default(), &mut out).unwrap();
        assert_eq!(out.len(), FIXED_LEN + 8);
        let back = decode_header(&out).unwrap();
        assert_eq!(back.remark, None);
        assert_eq!(back.ext_fields, None);
    }

    #[test]
    fn rejects_hostile_lengths() {
        let mut out = BytesMut::new();
        encode_header(&sample(), ExtFieldsOrder::default(), &mut out).unwrap();
        for cut in 0..out.len() {
            assert!(decode_header(&out[..cut]).is_err(), "cut at {cut}");
        }
        let mut huge = out.clone();
        huge[13..17].copy_from_slice(&i32::MAX.to_be_bytes());
        assert!(decode_header(&huge).is_err());
        let mut negative = out.clone();
        negative[13..17].copy_from_slice(&(-1i32).to_be_bytes());
        assert!(decode_header(&negative).is_err());
        let mut trailing = out;
        trailing.put_u8(0);
        assert!(decode_header(&trailing).is_err());
    }

    #[test]
    fn refuses_overlong_key() {
        let mut cmd = sample();
        cmd.ext_fields = Some([("k".repeat(40_000), "v")].into_iter().collect());
        assert!(matches!(
            encode_header(&cmd, ExtFieldsOrder::default(), &mut BytesMut::new()),
            Err(Error::TooLarge { .. })
        ));
    }
}
