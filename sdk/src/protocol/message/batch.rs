//! The body of a SEND_BATCH_MESSAGE request (Java `MessageDecoder.encodeMessages` /
//! `decodeMessages`, used by `MessageBatch.encode`).
//!
//! Each message is written as, big-endian:
//!
//! | field | size |
//! |-------|------|
//! | total size of this entry | 4 |
//! | magic code, always 0 | 4 |
//! | body CRC, always 0 | 4 |
//! | flag | 4 |
//! | body length + body | 4 + n |
//! | properties length + properties | 2 + n |
//!
//! The topic is not in the body: all messages of a batch share the request header's topic.
//! Java 5.x writes a properties length over 32767 truncated to 16 bits (4.9.8 throws); here
//! encoding fails with [`Error::TooLarge`].

use bytes::Bytes;

use super::msg::Message;
use super::properties::Properties;
use super::reader::Reader;
use crate::{Error, Result};

/// Appends the batch encoding of `messages` to `out`.
pub fn encode_batch<'a>(
    messages: impl IntoIterator<Item = &'a Message>,
    out: &mut Vec<u8>,
) -> Result<()> {
    for msg in messages {
        let props = msg.properties().encode();
        if props.len() > i16::MAX as usize {
            return Err(Error::TooLarge {
                what: "message properties",
                len: props.len(),
                max: i16::MAX as usize,
            });
        }
        let body = msg.body();
        let total = 4 + 4 + 4 + 4 + 4 + body.len() + 2 + props.len();
        let total = i32::try_from(total).map_err(|_| Error::TooLarge {
            what: "batch entry",
            len: total,
            max: i32::MAX as usize,
        })?;
        out.extend_from_slice(&total.to_be_bytes());
        out.extend_from_slice(&0i32.to_be_bytes());
        out.extend_from_slice(&0i32.to_be_bytes());
        out.extend_from_slice(&msg.flag().to_be_bytes());
        out.extend_from_slice(&(body.len() as i32).to_be_bytes());
        out.extend_from_slice(body);
        out.extend_from_slice(&(props.len() as i16).to_be_bytes());
        out.extend_from_slice(props.as_bytes());
    }
    Ok(())
}

/// Decodes a batch body into messages, each given `topic`.
///
/// Like Java, each entry is read field by field; unlike Java, its total size must match the
/// fields it holds, negative lengths are errors, and nothing is read past the input.
pub fn decode_batch(body: &Bytes, topic: &str) -> Result<Vec<Message>> {
    const WHAT: &str = "batch message";
    let mut messages = Vec::new();
    let mut r = Reader::new(WHAT, body, 0, body.len());
    while r.remaining() > 0 {
        let start = r.position();
        let total = r.len_i32("total size")?;
        let _magic = r.i32("magic code")?;
        let _crc = r.i32("body crc")?;
        let flag = r.i32("flag")?;
        let body_len = r.len_i32("body length")?;
        let msg_body = r.bytes("body", body_len)?;
        let props_len = r.i16("properties length")?;
        let props_len = usize::try_from(props_len)
            .map_err(|_| Error::decode(WHAT, format!("negative properties length {props_len}")))?;
        let props = Properties::decode_shared(r.bytes("properties", props_len)?);
        let read = r.position() - start;
        if total != read {
            return Err(Error::decode(
                WHAT,
                format!("total size {total} but fields take {read}"),
            ));
        }
        messages.push(Message::from_parts(topic, flag, props, msg_body));
    }
    Ok(messages)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(body: &'static [u8], tag: &str) -> Message {
        let mut m = Message::new("T", body);
        m.set_tags(tag);
        m.set_flag(7);
        m
    }

    #[test]
    fn layout() -> Result<()> {
        let mut out = Vec::new();
        encode_batch(&[msg(b"ab", "x")], &mut out)?;
        let props = b"TAGS\x01x\x02";
        let mut want = Vec::new();
        want.extend_from_slice(&(22 + 2 + props.len() as i32).to_be_bytes());
        want.extend_from_slice(&[0; 8]);
        want.extend_from_slice(&7i32.to_be_bytes());
        want.extend_from_slice(&2i32.to_be_bytes());
        want.extend_from_slice(b"ab");
        want.extend_from_slice(&(props.len() as i16).to_be_bytes());
        want.extend_from_slice(props);
        assert_eq!(out, want);
        Ok(())
    }

    #[test]
    fn round_trip() -> Result<()> {
        let msgs = [
            msg(b"one", "a"),
            msg(b"", "b"),
            Message::new("T", &b"3"[..]),
        ];
        let mut out = Vec::new();
        encode_batch(&msgs, &mut out)?;
        let back = decode_batch(&Bytes::from(out), "T")?;
        assert_eq!(back, msgs);
        Ok(())
    }

    #[test]
    fn malformed_entries_fail() -> Result<()> {
        let mut out = Vec::new();
        encode_batch(&[msg(b"one", "a")], &mut out)?;
        for cut in 1..out.len() {
            assert!(
                decode_batch(&Bytes::copy_from_slice(&out[..cut]), "T").is_err(),
                "{cut}"
            );
        }
        let mut bad = out.clone();
        bad[3] += 1;
        assert!(decode_batch(&Bytes::from(bad), "T").is_err());
        let mut bad = out;
        bad[16..20].copy_from_slice(&(-1i32).to_be_bytes());
        assert!(decode_batch(&Bytes::from(bad), "T").is_err());
        Ok(())
    }

    #[test]
    fn oversized_properties_fail() {
        let mut m = Message::new("T", Bytes::new());
        m.properties_mut().insert("k", "v".repeat(40_000));
        assert!(matches!(
            encode_batch(&[m], &mut Vec::new()),
            Err(Error::TooLarge { .. })
        ));
    }
}
