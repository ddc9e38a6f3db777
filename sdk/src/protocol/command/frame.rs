//! Whole frames: length word, header word, header, body (`RemotingCommand.encode/decode`).

use bytes::{BufMut, Bytes, BytesMut};

use super::{ExtFields, ExtFieldsOrder, RemotingCommand, SerializeType, binary, json};
use crate::{Error, Result};

/// Java's default maximum frame length (`com.rocketmq.remoting.frameMaxLength`): 16 MiB.
pub const DEFAULT_MAX_FRAME_LEN: usize = 16 * 1024 * 1024;

/// The header length lives in the low 3 bytes of the header word.
const MAX_HEADER_LEN: usize = 0xFF_FFFF;

const WHAT: &str = "remoting command frame";

impl RemotingCommand {
    /// Decodes one frame: the bytes after the 4-byte length prefix. The body is a
    /// zero-copy slice of `frame`.
    ///
    /// Fails with [`Error::Decode`] on an unknown serialize type, a header length beyond
    /// the frame, or a malformed header. The frame length itself is checked by the codec.
    pub fn decode_frame(frame: Bytes) -> Result<Self> {
        let Some(word) = frame.first_chunk::<4>() else {
            return Err(Error::decode(
                WHAT,
                format!("{} bytes is too short for the header word", frame.len()),
            ));
        };
        let word = u32::from_be_bytes(*word);
        let header_len = (word & MAX_HEADER_LEN as u32) as usize;
        let type_code = (word >> 24) as u8;
        let serialize_type = SerializeType::from_code(type_code)
            .ok_or_else(|| Error::decode(WHAT, format!("unknown serialize type {type_code}")))?;
        let body_start = 4 + header_len;
        if body_start > frame.len() {
            return Err(Error::decode(
                WHAT,
                format!(
                    "header length {header_len} exceeds the {} bytes after the header word",
                    frame.len() - 4
                ),
            ));
        }
        let header = &frame[4..body_start];
        let mut cmd = match serialize_type {
            SerializeType::Json => json::decode_header(header)?,
            SerializeType::RocketMq => binary::decode_header(header)?,
        };
        cmd.serialize_type = serialize_type;
        cmd.body = frame.slice(body_start..);
        Ok(cmd)
    }

    /// Appends the whole frame, length prefix included, to `dst`.
    ///
    /// The header is serialized as [`RemotingCommand::serialize_type`] says, byte for byte
    /// as Java would for the same command: `extFields` keys come in the iteration order of
    /// a Java `HashMap` created with the default capacity (16), which is how Java builds
    /// the map for typed headers and for headers it parsed (see [`ExtFieldsOrder`]).
    ///
    /// Fails with [`Error::TooLarge`] if the header exceeds the 16 MiB - 1 that its 3-byte
    /// length can carry, the frame exceeds `i32::MAX`, or an `extFields` key is longer than
    /// the binary header allows; `dst` is then left as it was.
    pub fn encode(&self, dst: &mut BytesMut) -> Result<()> {
        self.encode_with(dst, ExtFieldsOrder::default())
    }

    /// [`RemotingCommand::encode`] with the `extFields` written in `order`.
    pub fn encode_with(&self, dst: &mut BytesMut, order: ExtFieldsOrder) -> Result<()> {
        let start = dst.len();
        // Room for the frame as the header usually comes out, so that it is written in
        // place (its lengths filled in afterwards) without growing `dst` on the way.
        let fields: usize = self
            .ext_fields
            .iter()
            .flat_map(ExtFields::iter)
            .map(|(k, v)| k.len() + v.len() + 8)
            .sum();
        let remark = self.remark.as_ref().map_or(0, String::len);
        let header_hint = 128 + fields + remark;
        dst.reserve(8 + header_hint + self.body.len());
        dst.put_u64(0);
        let header_start = dst.len();
        let encoded = match self.serialize_type {
            SerializeType::Json => {
                json::encode_header(self, order, dst, header_hint);
                Ok(())
            }
            SerializeType::RocketMq => binary::encode_header(self, order, dst),
        };
        let header_len = dst.len() - header_start;
        let checked = encoded.and_then(|()| {
            if header_len > MAX_HEADER_LEN {
                return Err(Error::TooLarge {
                    what: "remoting command header",
                    len: header_len,
                    max: MAX_HEADER_LEN,
                });
            }
            let len = 4 + header_len + self.body.len();
            i32::try_from(len).map_err(|_| Error::TooLarge {
                what: WHAT,
                len,
                max: i32::MAX as usize,
            })
        });
        let total = match checked {
            Ok(total) => total,
            Err(err) => {
                dst.truncate(start);
                return Err(err);
            }
        };
        dst[start..start + 4].copy_from_slice(&total.to_be_bytes());
        let word = (u32::from(self.serialize_type.code()) << 24) | header_len as u32;
        dst[start + 4..start + 8].copy_from_slice(&word.to_be_bytes());
        dst.put_slice(&self.body);
        Ok(())
    }

    /// The whole frame as bytes (see [`RemotingCommand::encode`]).
    pub fn to_frame(&self) -> Result<Bytes> {
        let mut buf = BytesMut::new();
        self.encode(&mut buf)?;
        Ok(buf.freeze())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::{ExtFields, LanguageCode, RequestCode, ResponseCode, Version};

    fn sample(st: SerializeType) -> RemotingCommand {
        RemotingCommand::request(RequestCode::SEND_MESSAGE_V2)
            .with_opaque(12)
            .with_ext_field("a", "b")
            .with_ext_field("中", "\"\n")
            .with_body(&b"hello"[..])
            .with_serialize_type(st)
    }

    #[test]
    fn round_trip_both_types() {
        for st in [SerializeType::Json, SerializeType::RocketMq] {
            let cmd = sample(st);
            let frame = cmd.to_frame().unwrap();
            let len = u32::from_be_bytes(frame[..4].try_into().unwrap()) as usize;
            assert_eq!(len, frame.len() - 4);
            assert_eq!(frame[4], st.code());
            let back = RemotingCommand::decode_frame(frame.slice(4..)).unwrap();
            assert_eq!(back, cmd);
        }
    }

    #[test]
    fn body_is_zero_copy() {
        let frame = sample(SerializeType::Json).to_frame().unwrap().slice(4..);
        let back = RemotingCommand::decode_frame(frame.clone()).unwrap();
        let end = frame.as_ptr() as usize + frame.len();
        assert_eq!(back.body.as_ptr() as usize + back.body.len(), end);
    }

    #[test]
    fn json_frame_bytes() {
        let cmd = RemotingCommand::response(ResponseCode::SUCCESS)
            .with_language(LanguageCode::JAVA)
            .with_version(Version(0))
            .with_opaque(3);
        let frame = cmd.to_frame().unwrap();
        let header = br#"{"code":0,"flag":1,"language":"JAVA","opaque":3,"serializeTypeCurrentRPC":"JSON","version":0}"#;
        let mut expected = ((4 + header.len()) as u32).to_be_bytes().to_vec();
        expected.extend_from_slice(&(header.len() as u32).to_be_bytes());
        expected.extend_from_slice(header);
        assert_eq!(&frame[..], &expected[..]);
    }

    #[test]
    fn rejects_bad_frames() {
        assert!(RemotingCommand::decode_frame(Bytes::from_static(b"\0\0\0")).is_err());
        // Header length beyond the frame.
        assert!(
            RemotingCommand::decode_frame(Bytes::from_static(&[0, 0, 0, 9, b'{', b'}'])).is_err()
        );
        // Unknown serialize type.
        assert!(
            RemotingCommand::decode_frame(Bytes::from_static(&[2, 0, 0, 2, b'{', b'}'])).is_err()
        );
        // Minimal valid JSON frame.
        let cmd = RemotingCommand::decode_frame(Bytes::from_static(&[0, 0, 0, 2, b'{', b'}', 1]))
            .unwrap();
        assert_eq!(&cmd.body[..], &[1]);
    }

    #[test]
    fn frames_append_after_what_dst_holds() {
        for st in [SerializeType::Json, SerializeType::RocketMq] {
            let cmd = sample(st).with_remark("r");
            let alone = cmd.to_frame().unwrap();
            let mut dst = BytesMut::from(&b"prefix"[..]);
            cmd.encode(&mut dst).unwrap();
            cmd.encode(&mut dst).unwrap();
            let mut expected = b"prefix".to_vec();
            expected.extend_from_slice(&alone);
            expected.extend_from_slice(&alone);
            assert_eq!(&dst[..], &expected[..]);
            // The header written in place is the one the header encoders give alone.
            let mut header = BytesMut::new();
            match st {
                SerializeType::Json => {
                    json::encode_header(&cmd, ExtFieldsOrder::default(), &mut header, 0)
                }
                SerializeType::RocketMq => {
                    binary::encode_header(&cmd, ExtFieldsOrder::default(), &mut header).unwrap()
                }
            }
            assert_eq!(&alone[8..8 + header.len()], &header[..]);
            assert_eq!(&alone[8 + header.len()..], b"hello");
        }
    }

    #[test]
    fn refused_binary_header_leaves_dst_untouched() {
        let cmd = sample(SerializeType::RocketMq).with_ext_field("k".repeat(40_000), "v");
        let mut dst = BytesMut::from(&b"keep"[..]);
        assert!(matches!(cmd.encode(&mut dst), Err(Error::TooLarge { .. })));
        assert_eq!(&dst[..], b"keep");
    }

    #[test]
    fn oversized_header_is_refused_and_dst_untouched() {
        let mut ext = ExtFields::new();
        ext.insert("big", "x".repeat(MAX_HEADER_LEN));
        let cmd = RemotingCommand::request(RequestCode::SEND_MESSAGE);
        let cmd = RemotingCommand {
            ext_fields: Some(ext),
            ..cmd
        };
        let mut dst = BytesMut::from(&b"keep"[..]);
        assert!(matches!(cmd.encode(&mut dst), Err(Error::TooLarge { .. })));
        assert_eq!(&dst[..], b"keep");
    }
}
