//! The frame codec: [`RemotingCodec`] turns a byte stream into [`RemotingCommand`]s and
//! back (tokio-util `Decoder`/`Encoder`), mirroring Java's `NettyDecoder`/`NettyEncoder`.
//!
//! Every frame is a 4-byte big-endian length followed by that many bytes. A length over
//! the configured maximum (Java's default is 16 MiB) is refused with
//! [`Error::TooLarge`] as soon as the length word arrives, before any of the frame is
//! buffered.

use bytes::{Buf, BytesMut};
use tokio_util::codec::{Decoder, Encoder};

pub use crate::protocol::DEFAULT_MAX_FRAME_LEN;
use crate::protocol::RemotingCommand;
use crate::{Error, Result};

/// Decodes and encodes remoting command frames.
///
/// ```
/// use bytes::BytesMut;
/// use rocketmq::codec::RemotingCodec;
/// use rocketmq::protocol::{RemotingCommand, RequestCode};
/// use tokio_util::codec::{Decoder, Encoder};
///
/// let mut codec = RemotingCodec::new();
/// let mut buf = BytesMut::new();
/// let cmd = RemotingCommand::request(RequestCode::HEART_BEAT).with_opaque(1);
/// codec.encode(&cmd, &mut buf)?;
/// assert_eq!(codec.decode(&mut buf)?, Some(cmd));
/// # Ok::<(), rocketmq::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct RemotingCodec {
    max_frame_len: usize,
}

impl Default for RemotingCodec {
    fn default() -> Self {
        Self::new()
    }
}

impl RemotingCodec {
    /// A codec with the default limit, [`DEFAULT_MAX_FRAME_LEN`] (16 MiB).
    pub fn new() -> Self {
        Self::with_max_frame_len(DEFAULT_MAX_FRAME_LEN)
    }

    /// A codec refusing frames whose length (the value of the length prefix, which does
    /// not count itself) exceeds `max_frame_len`, in both directions.
    pub fn with_max_frame_len(max_frame_len: usize) -> Self {
        RemotingCodec { max_frame_len }
    }

    /// The configured limit.
    pub fn max_frame_len(&self) -> usize {
        self.max_frame_len
    }
}

/// Least spare room the read buffer is grown to when it runs low.
///
/// Each decoded frame is split off and frozen, and the messages decoded from it keep that
/// allocation alive, so growing the buffer cannot reuse it: it allocates anew and copies the
/// start of the next frame. Growing by at least this much lets many frames share one
/// allocation and be read with few, large reads.
const READ_RESERVE: usize = 64 * 1024;

/// Spare room below which the read buffer is grown before the next read.
const READ_LOW_WATER: usize = 4 * 1024;

/// Makes room for at least `needed` more bytes, and for at least [`READ_RESERVE`] whenever
/// the spare room is short of `needed` or below [`READ_LOW_WATER`]. `needed` is bounded by
/// the frame limit, checked by the caller.
fn reserve_read_room(src: &mut BytesMut, needed: usize) {
    let spare = src.capacity() - src.len();
    if spare < needed.max(READ_LOW_WATER) {
        src.reserve(needed.max(READ_RESERVE));
    }
}

impl Decoder for RemotingCodec {
    type Item = RemotingCommand;
    type Error = Error;

    fn decode(&mut self, src: &mut BytesMut) -> Result<Option<RemotingCommand>> {
        let Some(prefix) = src.first_chunk::<4>() else {
            reserve_read_room(src, 4 - src.len());
            return Ok(None);
        };
        // Java reads the length as a signed int; a negative one is as bad as a huge one.
        let len = u32::from_be_bytes(*prefix) as usize;
        if len > self.max_frame_len || len > i32::MAX as usize {
            return Err(Error::TooLarge {
                what: "frame",
                len,
                max: self.max_frame_len.min(i32::MAX as usize),
            });
        }
        if src.len() < 4 + len {
            // The length is within the limit, so reserving for the rest is safe.
            reserve_read_room(src, 4 + len - src.len());
            return Ok(None);
        }
        src.advance(4);
        let frame = src.split_to(len).freeze();
        RemotingCommand::decode_frame(frame).map(Some)
    }

    /// At end of stream, leftover bytes are a frame the peer cut short.
    fn decode_eof(&mut self, src: &mut BytesMut) -> Result<Option<RemotingCommand>> {
        match self.decode(src)? {
            Some(command) => Ok(Some(command)),
            None if src.is_empty() => Ok(None),
            None => Err(Error::decode(
                "remoting command frame",
                format!(
                    "stream ended inside a frame ({} bytes of it received)",
                    src.len()
                ),
            )),
        }
    }
}

impl Encoder<&RemotingCommand> for RemotingCodec {
    type Error = Error;

    fn encode(&mut self, cmd: &RemotingCommand, dst: &mut BytesMut) -> Result<()> {
        let start = dst.len();
        cmd.encode(dst)?;
        let len = dst.len() - start - 4;
        if len > self.max_frame_len {
            dst.truncate(start);
            return Err(Error::TooLarge {
                what: "frame",
                len,
                max: self.max_frame_len,
            });
        }
        Ok(())
    }
}

impl Encoder<RemotingCommand> for RemotingCodec {
    type Error = Error;

    fn encode(&mut self, cmd: RemotingCommand, dst: &mut BytesMut) -> Result<()> {
        Encoder::<&RemotingCommand>::encode(self, &cmd, dst)
    }
}

#[cfg(test)]
mod tests {
    use bytes::BufMut;

    use super::*;
    use crate::protocol::{RequestCode, SerializeType};

    fn cmd(opaque: i32) -> RemotingCommand {
        RemotingCommand::request(RequestCode::SEND_MESSAGE)
            .with_opaque(opaque)
            .with_ext_field("k", "v")
            .with_body(vec![7u8; 100])
    }

    #[test]
    fn a_frame_cut_by_end_of_stream_is_a_decode_error() {
        let mut codec = RemotingCodec::default();
        let mut buf = BytesMut::from(&[0u8, 0, 0, 10, 1, 2][..]);
        let err = codec.decode_eof(&mut buf).unwrap_err();
        assert!(
            err.to_string().contains("stream ended inside a frame"),
            "{err}"
        );
        assert!(codec.decode_eof(&mut BytesMut::new()).unwrap().is_none());
    }

    #[test]
    fn decodes_byte_by_byte_and_back_to_back() {
        let mut codec = RemotingCodec::new();
        let mut wire = BytesMut::new();
        codec.encode(cmd(1), &mut wire).unwrap();
        codec
            .encode(
                &cmd(2).with_serialize_type(SerializeType::RocketMq),
                &mut wire,
            )
            .unwrap();
        let mut src = BytesMut::new();
        let mut out = Vec::new();
        for b in wire {
            src.put_u8(b);
            while let Some(c) = codec.decode(&mut src).unwrap() {
                out.push(c);
            }
        }
        assert_eq!(out.len(), 2);
        assert_eq!(out[0], cmd(1));
        assert_eq!(out[1].opaque, 2);
        assert_eq!(out[1].serialize_type, SerializeType::RocketMq);
        assert!(src.is_empty());
    }

    #[test]
    fn grows_the_read_buffer_by_at_least_read_reserve() {
        let mut codec = RemotingCodec::new();
        let mut wire = BytesMut::new();
        codec.encode(cmd(1), &mut wire).unwrap();
        let first = wire.len();
        codec.encode(cmd(2), &mut wire).unwrap();
        // One frame and part of the next, with no spare room, as after a full read.
        let mut src = BytesMut::with_capacity(first + 10);
        src.extend_from_slice(&wire[..first + 10]);
        let frame = codec.decode(&mut src).unwrap().unwrap();
        assert!(codec.decode(&mut src).unwrap().is_none());
        assert!(src.capacity() - src.len() >= READ_RESERVE);
        // With room to spare, waiting for more input leaves the buffer as it is.
        let (ptr, cap) = (src.as_ptr(), src.capacity());
        assert!(codec.decode(&mut src).unwrap().is_none());
        assert_eq!((src.as_ptr(), src.capacity()), (ptr, cap));
        src.extend_from_slice(&wire[first + 10..]);
        assert_eq!(codec.decode(&mut src).unwrap().unwrap().opaque, 2);
        assert_eq!(frame, cmd(1));
    }

    #[test]
    fn refuses_oversized_frame_before_buffering() {
        let mut codec = RemotingCodec::with_max_frame_len(1024);
        let mut src = BytesMut::new();
        src.put_u32(1025);
        let err = codec.decode(&mut src).unwrap_err();
        assert!(matches!(
            err,
            Error::TooLarge {
                len: 1025,
                max: 1024,
                ..
            }
        ));
        let mut src = BytesMut::new();
        src.put_u32(u32::MAX);
        assert!(matches!(
            RemotingCodec::new().decode(&mut src),
            Err(Error::TooLarge { .. })
        ));
    }

    #[test]
    fn refuses_oversized_encode() {
        let mut codec = RemotingCodec::with_max_frame_len(64);
        let mut dst = BytesMut::new();
        assert!(matches!(
            codec.encode(cmd(1), &mut dst),
            Err(Error::TooLarge { .. })
        ));
        assert!(dst.is_empty());
    }

    #[test]
    fn bad_frame_is_a_decode_error() {
        let mut codec = RemotingCodec::new();
        let mut src = BytesMut::new();
        src.put_u32(6);
        src.put_u32(100); // header length 100 in a 6-byte frame
        src.put_u16(0);
        assert!(matches!(codec.decode(&mut src), Err(Error::Decode { .. })));
    }
}
