//! The stored/pulled message record (Java `MessageDecoder.decode`/`encode` and the broker's
//! `MessageExtEncoder`): one record per message in the commit log and in pull responses.
//!
//! Layout, big-endian:
//!
//! | field | size |
//! |-------|------|
//! | total size (this whole record) | 4 |
//! | magic code ([`RecordVersion`]) | 4 |
//! | body CRC ([`body_crc`]) | 4 |
//! | queue id | 4 |
//! | flag | 4 |
//! | queue offset | 8 |
//! | commit-log (physical) offset | 8 |
//! | sysFlag ([`SysFlag`]) | 4 |
//! | born timestamp (epoch ms) | 8 |
//! | born host: IP (4, or 16 with `BORN_HOST_V6`) + port (4) | 8 / 20 |
//! | store timestamp (epoch ms) | 8 |
//! | store host: IP (4, or 16 with `STORE_HOST_V6`) + port (4) | 8 / 20 |
//! | reconsume times | 4 |
//! | prepared transaction offset | 8 |
//! | body length + body | 4 + n |
//! | topic length + topic: 1 byte in V1, 2 bytes in V2 (5.x, topics over 127) | 1 / 2 + n |
//! | properties length + properties ([`Properties`](super::Properties)) | 2 + n |
//!
//! Differences from Java's decoder, all on malformed input only: Java ignores the total size
//! (4.9.8 also ignores the magic code) and reads field after field; here the fields must fit in
//! the total size, and bytes left between the last field and the total size are skipped as
//! padding. Java treats a negative body length as "no body"; here it is an error. Like Java, a
//! negative properties length means "no properties". Java stops a multi-record decode at the
//! first bad record and silently returns what it had; [`Records`] yields the error.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;

use super::msg::Message;
use super::msg_id::{OffsetMsgId, put_socket_addr, socket_addr};
use super::properties::Properties;
use super::reader::Reader;
use super::sys_flag::SysFlag;
use crate::{Error, Result};

/// Magic code of a V1 record (`MESSAGE_MAGIC_CODE`, `0xDAA320A7`).
pub const MAGIC_CODE_V1: i32 = -626_843_481;
/// Magic code of a V2 record (`MESSAGE_MAGIC_CODE_V2`, 5.x: 2-byte topic length).
pub const MAGIC_CODE_V2: i32 = -626_843_477;
/// Magic code of the blank filler at the end of a commit-log file (`BLANK_MAGIC_CODE`).
pub const BLANK_MAGIC_CODE: i32 = -875_286_124;

/// The record format version, given by the magic code.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum RecordVersion {
    /// 1-byte topic length; the only version 4.9.x knows and the one clients write.
    #[default]
    V1,
    /// 2-byte topic length; 5.x brokers store topics longer than 127 characters this way
    /// (`autoMessageVersionOnTopicLen`).
    V2,
}

impl RecordVersion {
    /// The magic code written in the record.
    pub const fn magic_code(self) -> i32 {
        match self {
            RecordVersion::V1 => MAGIC_CODE_V1,
            RecordVersion::V2 => MAGIC_CODE_V2,
        }
    }

    /// The version of a magic code, if it is one.
    pub const fn from_magic_code(code: i32) -> Option<Self> {
        match code {
            MAGIC_CODE_V1 => Some(RecordVersion::V1),
            MAGIC_CODE_V2 => Some(RecordVersion::V2),
            _ => None,
        }
    }

    /// The version a 5.x broker picks for `topic`: V2 when it is longer than 127. (Java counts
    /// UTF-16 units; topics are ASCII by validation, and counting bytes keeps V1 encodable.)
    pub fn for_topic(topic: &str) -> Self {
        if topic.len() > 127 {
            RecordVersion::V2
        } else {
            RecordVersion::V1
        }
    }

    const fn topic_len_size(self) -> usize {
        match self {
            RecordVersion::V1 => 1,
            RecordVersion::V2 => 2,
        }
    }
}

/// Java's body CRC: CRC-32 (IEEE) of the body as stored (compressed if compressed), with the
/// top bit cleared (`UtilAll.crc32`).
pub fn body_crc(body: &[u8]) -> i32 {
    (crc32fast::hash(body) & 0x7FFF_FFFF) as i32
}

/// Options for decoding records.
#[derive(Clone, Debug)]
pub struct DecodeOptions {
    /// Keep the body (default `true`); when `false` the body is skipped and left empty.
    pub read_body: bool,
    /// Decompress compressed bodies and clear `COMPRESSED` in the sysFlag, as Java 5.x does
    /// (default `true`).
    pub decompress_body: bool,
    /// Check the body against the stored CRC (default `false`, as Java's client).
    pub verify_body_crc: bool,
    /// Largest body decompression may produce (default 64 MiB).
    pub max_decompressed_body: usize,
}

impl Default for DecodeOptions {
    fn default() -> Self {
        DecodeOptions {
            read_body: true,
            decompress_body: true,
            verify_body_crc: false,
            max_decompressed_body: 64 << 20,
        }
    }
}

/// One stored or pulled message record: the message plus what the broker recorded about it
/// (Java `MessageExt`). Timestamps are epoch milliseconds as on the wire; see
/// [`born_time`](Self::born_time) and [`store_time`](Self::store_time) for `SystemTime`s.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredMessage {
    /// Topic, flag, properties and body.
    pub message: Message,
    /// Queue id.
    pub queue_id: i32,
    /// The record's total size as read; on encode, a larger value pads the record with zeros
    /// (as Java's `encode` does), a smaller one is ignored.
    pub store_size: i32,
    /// Offset in the consume queue.
    pub queue_offset: i64,
    /// Physical offset in the commit log.
    pub commit_log_offset: i64,
    /// System flag. The IPv6 bits are derived from the host addresses when encoding.
    pub sys_flag: SysFlag,
    /// When the producer made the message, epoch ms.
    pub born_timestamp: i64,
    /// The producer's address.
    pub born_host: SocketAddr,
    /// When the broker stored the message, epoch ms.
    pub store_timestamp: i64,
    /// The storing broker's address.
    pub store_host: SocketAddr,
    /// [`body_crc`] of the stored body.
    pub body_crc: i32,
    /// How many times the message was consumed again.
    pub reconsume_times: i32,
    /// Commit-log offset of the half message of a transaction.
    pub prepared_transaction_offset: i64,
    /// Record format version.
    pub version: RecordVersion,
}

impl Default for StoredMessage {
    fn default() -> Self {
        let unspecified = SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), 0);
        StoredMessage {
            message: Message::default(),
            queue_id: 0,
            store_size: 0,
            queue_offset: 0,
            commit_log_offset: 0,
            sys_flag: SysFlag::EMPTY,
            born_timestamp: 0,
            born_host: unspecified,
            store_timestamp: 0,
            store_host: unspecified,
            body_crc: 0,
            reconsume_times: 0,
            prepared_transaction_offset: 0,
            version: RecordVersion::V1,
        }
    }
}

fn host_len(addr: &SocketAddr) -> usize {
    if addr.is_ipv4() { 8 } else { 20 }
}

fn millis_to_time(ms: i64) -> SystemTime {
    if ms >= 0 {
        UNIX_EPOCH + Duration::from_millis(ms.unsigned_abs())
    } else {
        UNIX_EPOCH - Duration::from_millis(ms.unsigned_abs())
    }
}

impl StoredMessage {
    /// The broker-assigned id (store host + commit-log offset), Java's `msgId` of a decoded
    /// `MessageExt` (`offsetMsgId` on the client).
    pub fn offset_msg_id(&self) -> OffsetMsgId {
        OffsetMsgId::new(self.store_host, self.commit_log_offset)
    }

    /// The id applications see: `UNIQ_KEY` when present, else the offset id (Java
    /// `MessageClientExt.getMsgId`).
    pub fn msg_id(&self) -> String {
        match self.message.unique_key() {
            Some(id) => id.to_owned(),
            None => self.offset_msg_id().to_string(),
        }
    }

    /// [`born_timestamp`](Self::born_timestamp) as a time.
    pub fn born_time(&self) -> SystemTime {
        millis_to_time(self.born_timestamp)
    }

    /// [`store_timestamp`](Self::store_timestamp) as a time.
    pub fn store_time(&self) -> SystemTime {
        millis_to_time(self.store_timestamp)
    }

    /// The sysFlag as it is encoded: with the IPv6 bits matching the host addresses.
    pub fn effective_sys_flag(&self) -> SysFlag {
        self.sys_flag
            .set(SysFlag::BORN_HOST_V6, self.born_host.is_ipv6())
            .set(SysFlag::STORE_HOST_V6, self.store_host.is_ipv6())
    }

    /// Length of the encoded record without padding (Java `calMsgLength`).
    pub fn encoded_len(&self) -> usize {
        self.encoded_len_with(self.message.properties().encoded_len())
    }

    /// [`encoded_len`](Self::encoded_len) given the length of the encoded properties.
    fn encoded_len_with(&self, props: usize) -> usize {
        let topic = self.message.topic().len();
        // total, magic, CRC, queue id, flag, queue offset, physical offset, sysFlag, born
        // timestamp, store timestamp, reconsume times, prepared transaction offset.
        4 + 4
            + 4
            + 4
            + 4
            + 8
            + 8
            + 4
            + 8
            + 8
            + 4
            + 8
            + host_len(&self.born_host)
            + host_len(&self.store_host)
            + 4
            + self.message.body().len()
            + self.version.topic_len_size()
            + topic
            + 2
            + props
    }

    /// Appends the record to `out`. Fails when the topic, properties or body are too long
    /// for their length fields (Java would write a truncated length and a corrupt record).
    pub fn encode(&self, out: &mut Vec<u8>) -> Result<()> {
        let topic = self.message.topic().as_bytes();
        let props = self.message.properties();
        let props_len = props.encoded_len();
        let body = self.message.body();
        let topic_max = match self.version {
            RecordVersion::V1 => 127,
            RecordVersion::V2 => i16::MAX as usize,
        };
        check_len("topic", topic.len(), topic_max)?;
        check_len("message properties", props_len, i16::MAX as usize)?;
        let len = self.encoded_len_with(props_len);
        let total = len.max(usize::try_from(self.store_size).unwrap_or(0));
        check_len("message record", total, i32::MAX as usize)?;

        out.reserve(total);
        let start = out.len();
        out.extend_from_slice(&(total as i32).to_be_bytes());
        out.extend_from_slice(&self.version.magic_code().to_be_bytes());
        out.extend_from_slice(&self.body_crc.to_be_bytes());
        out.extend_from_slice(&self.queue_id.to_be_bytes());
        out.extend_from_slice(&self.message.flag().to_be_bytes());
        out.extend_from_slice(&self.queue_offset.to_be_bytes());
        out.extend_from_slice(&self.commit_log_offset.to_be_bytes());
        out.extend_from_slice(&self.effective_sys_flag().bits().to_be_bytes());
        out.extend_from_slice(&self.born_timestamp.to_be_bytes());
        put_socket_addr(out, &self.born_host);
        out.extend_from_slice(&self.store_timestamp.to_be_bytes());
        put_socket_addr(out, &self.store_host);
        out.extend_from_slice(&self.reconsume_times.to_be_bytes());
        out.extend_from_slice(&self.prepared_transaction_offset.to_be_bytes());
        out.extend_from_slice(&(body.len() as i32).to_be_bytes());
        out.extend_from_slice(body);
        match self.version {
            RecordVersion::V1 => out.push(topic.len() as u8),
            RecordVersion::V2 => out.extend_from_slice(&(topic.len() as i16).to_be_bytes()),
        }
        out.extend_from_slice(topic);
        out.extend_from_slice(&(props_len as i16).to_be_bytes());
        props.encode_into(out);
        out.resize(start + total, 0);
        Ok(())
    }

    /// The encoded record.
    pub fn to_bytes(&self) -> Result<Vec<u8>> {
        let mut out = Vec::with_capacity(self.encoded_len());
        self.encode(&mut out)?;
        Ok(out)
    }

    /// Decodes the record at the front of `buf` and advances `buf` past it.
    /// On error `buf` is left unchanged.
    pub fn decode(buf: &mut Bytes, opts: &DecodeOptions) -> Result<StoredMessage> {
        const WHAT: &str = "message record";
        if buf.len() < 4 {
            return Err(Error::decode(
                WHAT,
                format!("{} bytes, no total size", buf.len()),
            ));
        }
        let total = i32::from_be_bytes([buf[0], buf[1], buf[2], buf[3]]);
        let total = usize::try_from(total)
            .ok()
            .filter(|n| (4..=buf.len()).contains(n))
            .ok_or_else(|| {
                Error::decode(
                    WHAT,
                    format!("total size {total} with {} bytes left", buf.len()),
                )
            })?;
        let msg = decode_fields(WHAT, buf, total, opts)?;
        *buf = buf.slice(total..);
        Ok(msg)
    }

    /// Decodes every record of `buf` (a pull response body).
    pub fn decode_all(buf: Bytes, opts: &DecodeOptions) -> Result<Vec<StoredMessage>> {
        Records::new(buf, opts.clone()).collect()
    }
}

fn check_len(what: &'static str, len: usize, max: usize) -> Result<()> {
    if len > max {
        return Err(Error::TooLarge { what, len, max });
    }
    Ok(())
}

fn decode_fields(
    what: &'static str,
    buf: &Bytes,
    total: usize,
    opts: &DecodeOptions,
) -> Result<StoredMessage> {
    let mut r = Reader::new(what, buf, 4, total);
    let magic = r.i32("magic code")?;
    let version = RecordVersion::from_magic_code(magic)
        .ok_or_else(|| Error::decode(what, format!("unknown magic code {magic:#010x}")))?;
    let body_crc_stored = r.i32("body crc")?;
    let queue_id = r.i32("queue id")?;
    let flag = r.i32("flag")?;
    let queue_offset = r.i64("queue offset")?;
    let commit_log_offset = r.i64("commit log offset")?;
    let mut sys_flag = SysFlag::from_bits(r.i32("sys flag")?);
    let born_timestamp = r.i64("born timestamp")?;
    let born_ip_len = if sys_flag.contains(SysFlag::BORN_HOST_V6) {
        16
    } else {
        4
    };
    let ip = r.bytes("born host", born_ip_len)?;
    let born_host = socket_addr(what, &ip, r.i32("born port")?)?;
    let store_timestamp = r.i64("store timestamp")?;
    let store_ip_len = if sys_flag.contains(SysFlag::STORE_HOST_V6) {
        16
    } else {
        4
    };
    let ip = r.bytes("store host", store_ip_len)?;
    let store_host = socket_addr(what, &ip, r.i32("store port")?)?;
    let reconsume_times = r.i32("reconsume times")?;
    let prepared_transaction_offset = r.i64("prepared transaction offset")?;

    let body_len = r.len_i32("body length")?;
    let raw_body = r.bytes("body", body_len)?;
    let mut body = Bytes::new();
    if opts.read_body && body_len > 0 {
        if opts.verify_body_crc && body_crc(&raw_body) != body_crc_stored {
            return Err(Error::decode(what, "body CRC mismatch"));
        }
        body = raw_body;
        if opts.decompress_body && sys_flag.is_compressed() {
            let kind = sys_flag.compression_type().ok_or_else(|| {
                Error::decode(
                    what,
                    format!(
                        "unknown compression type in sys flag {:#x}",
                        sys_flag.bits()
                    ),
                )
            })?;
            body = Bytes::from(kind.decompress(&body, opts.max_decompressed_body)?);
            sys_flag = sys_flag.without(SysFlag::COMPRESSED);
        }
    }

    let topic_len = match version {
        RecordVersion::V1 => i32::from(r.u8("topic length")? as i8),
        RecordVersion::V2 => i32::from(r.i16("topic length")?),
    };
    let topic_len = usize::try_from(topic_len)
        .map_err(|_| Error::decode(what, format!("negative topic length {topic_len}")))?;
    let topic = r.bytes("topic", topic_len)?;
    let props_len = r.i16("properties length")?;
    let properties = match usize::try_from(props_len) {
        Ok(n) if n > 0 => Properties::decode_shared(r.bytes("properties", n)?),
        _ => Properties::new(),
    };

    Ok(StoredMessage {
        message: Message::from_parts(String::from_utf8_lossy(&topic), flag, properties, body),
        queue_id,
        store_size: total as i32,
        queue_offset,
        commit_log_offset,
        sys_flag,
        born_timestamp,
        born_host,
        store_timestamp,
        store_host,
        body_crc: body_crc_stored,
        reconsume_times,
        prepared_transaction_offset,
        version,
    })
}

/// Iterator over the records of a buffer, decoding lazily. Yields an error once and then
/// stops when a record is malformed.
#[derive(Debug)]
pub struct Records {
    buf: Bytes,
    opts: DecodeOptions,
    failed: bool,
}

impl Records {
    /// Iterates over the records in `buf`.
    pub fn new(buf: Bytes, opts: DecodeOptions) -> Self {
        Records {
            buf,
            opts,
            failed: false,
        }
    }
}

impl Iterator for Records {
    type Item = Result<StoredMessage>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed || self.buf.is_empty() {
            return None;
        }
        let item = StoredMessage::decode(&mut self.buf, &self.opts);
        self.failed = item.is_err();
        Some(item)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::message::CompressionType;

    fn sample() -> StoredMessage {
        let mut message = Message::new("TopicTest", &b"Hello RocketMQ"[..]);
        message.set_tags("TagA");
        message.set_unique_key("7F0000012345FFFFFFFF000005DC0000");
        StoredMessage {
            message,
            queue_id: 3,
            queue_offset: 42,
            commit_log_offset: 4096,
            born_timestamp: 1_700_000_000_000,
            born_host: SocketAddr::from(([10, 0, 0, 1], 51234)),
            store_timestamp: 1_700_000_000_005,
            store_host: SocketAddr::from(([127, 0, 0, 1], 10911)),
            body_crc: body_crc(b"Hello RocketMQ"),
            reconsume_times: 1,
            prepared_transaction_offset: 0,
            ..StoredMessage::default()
        }
    }

    fn decode_one(bytes: &[u8], opts: &DecodeOptions) -> Result<StoredMessage> {
        let mut buf = Bytes::copy_from_slice(bytes);
        let msg = StoredMessage::decode(&mut buf, opts)?;
        assert!(buf.is_empty());
        Ok(msg)
    }

    #[test]
    fn crc_matches_java() {
        // java.util.zip.CRC32 of "123456789" is 0xCBF43926; Java masks the top bit.
        assert_eq!(body_crc(b"123456789"), 0x4BF4_3926);
        assert_eq!(body_crc(b""), 0);
    }

    #[test]
    fn v4_layout_and_round_trip() -> Result<()> {
        let msg = sample();
        let bytes = msg.to_bytes()?;
        assert_eq!(bytes.len(), msg.encoded_len());
        assert_eq!(&bytes[0..4], &(bytes.len() as i32).to_be_bytes());
        assert_eq!(&bytes[4..8], &[0xDA, 0xA3, 0x20, 0xA7]);
        assert_eq!(&bytes[48..52], &[10, 0, 0, 1]);
        assert_eq!(&bytes[64..68], &[127, 0, 0, 1]);
        let back = decode_one(&bytes, &DecodeOptions::default())?;
        assert_eq!(back.store_size as usize, bytes.len());
        assert_eq!(
            back,
            StoredMessage {
                store_size: bytes.len() as i32,
                ..msg
            }
        );
        assert_eq!(
            back.offset_msg_id().to_string(),
            "7F00000100002A9F0000000000001000"
        );
        assert_eq!(back.msg_id(), "7F0000012345FFFFFFFF000005DC0000");
        assert_eq!(back.to_bytes()?, bytes);
        Ok(())
    }

    #[test]
    fn fixed_part_matches_java_cal_msg_length() -> Result<()> {
        let empty = StoredMessage::default();
        // Java calMsgLength(sysFlag 0, body 0, topic 0, properties 0) = 91.
        assert_eq!(empty.encoded_len(), 91);
        assert_eq!(empty.to_bytes()?.len(), 91);
        let mut v6 = empty;
        v6.born_host = "[::1]:1".parse().map_err(|_| Error::decode("t", ""))?;
        assert_eq!(v6.encoded_len(), 103);
        Ok(())
    }

    #[test]
    fn v6_hosts_set_flags() -> Result<()> {
        let mut msg = sample();
        msg.born_host = "[::1]:1".parse().map_err(|_| Error::decode("t", ""))?;
        msg.store_host = "[fe80::2]:10911"
            .parse()
            .map_err(|_| Error::decode("t", ""))?;
        let bytes = msg.to_bytes()?;
        assert_eq!(bytes.len(), sample().encoded_len() + 24);
        let back = decode_one(&bytes, &DecodeOptions::default())?;
        assert_eq!(
            back.sys_flag,
            SysFlag::BORN_HOST_V6 | SysFlag::STORE_HOST_V6
        );
        assert_eq!(back.born_host, msg.born_host);
        assert_eq!(back.store_host, msg.store_host);
        assert_eq!(back.offset_msg_id().to_string().len(), 56);
        Ok(())
    }

    #[test]
    fn v2_topic_length() -> Result<()> {
        let mut msg = sample();
        let long = "t".repeat(200);
        msg.message.set_topic(long.clone());
        assert!(msg.to_bytes().is_err(), "V1 cannot hold 200");
        msg.version = RecordVersion::for_topic(&long);
        assert_eq!(msg.version, RecordVersion::V2);
        let bytes = msg.to_bytes()?;
        let back = decode_one(&bytes, &DecodeOptions::default())?;
        assert_eq!(back.message.topic(), long);
        assert_eq!(back.version, RecordVersion::V2);
        Ok(())
    }

    #[test]
    fn compressed_bodies_and_crc() -> Result<()> {
        let plain = b"compress me ".repeat(100);
        for kind in [
            CompressionType::Zlib,
            CompressionType::Lz4,
            CompressionType::Zstd,
        ] {
            let mut msg = sample();
            let packed = kind.compress(&plain, 5)?;
            msg.body_crc = body_crc(&packed);
            msg.message.set_body(packed.clone());
            msg.sys_flag = SysFlag::EMPTY.with_compression(kind);
            let bytes = msg.to_bytes()?;
            let opts = DecodeOptions {
                verify_body_crc: true,
                ..DecodeOptions::default()
            };
            let back = decode_one(&bytes, &opts)?;
            assert_eq!(back.message.body().as_ref(), plain.as_slice());
            assert!(!back.sys_flag.is_compressed());
            assert_eq!(back.sys_flag.compression_type(), Some(kind));
            let raw = decode_one(
                &bytes,
                &DecodeOptions {
                    decompress_body: false,
                    ..opts.clone()
                },
            )?;
            assert_eq!(raw.message.body().as_ref(), packed.as_slice());
            assert_eq!(raw.to_bytes()?, bytes);
            let small = DecodeOptions {
                max_decompressed_body: 100,
                ..opts
            };
            assert!(matches!(
                decode_one(&bytes, &small),
                Err(Error::TooLarge { .. })
            ));
        }
        let mut msg = sample();
        msg.body_crc ^= 1;
        let bytes = msg.to_bytes()?;
        let strict = DecodeOptions {
            verify_body_crc: true,
            ..DecodeOptions::default()
        };
        assert!(decode_one(&bytes, &strict).is_err());
        assert!(decode_one(&bytes, &DecodeOptions::default()).is_ok());
        Ok(())
    }

    #[test]
    fn skip_body() -> Result<()> {
        let bytes = sample().to_bytes()?;
        let opts = DecodeOptions {
            read_body: false,
            ..DecodeOptions::default()
        };
        let back = decode_one(&bytes, &opts)?;
        assert!(back.message.body().is_empty());
        assert_eq!(back.message.tags(), Some("TagA"));
        Ok(())
    }

    #[test]
    fn several_records_and_padding() -> Result<()> {
        let a = sample();
        let mut b = sample();
        b.queue_offset = 43;
        b.store_size = b.encoded_len() as i32 + 5;
        let mut buf = a.to_bytes()?;
        b.encode(&mut buf)?;
        assert_eq!(buf.len(), a.encoded_len() + b.encoded_len() + 5);
        let all = StoredMessage::decode_all(Bytes::from(buf.clone()), &DecodeOptions::default())?;
        assert_eq!(all.len(), 2);
        assert_eq!(all[1].queue_offset, 43);
        assert_eq!(all[1].store_size, b.store_size);
        buf.truncate(buf.len() - 1);
        let mut it = Records::new(Bytes::from(buf), DecodeOptions::default());
        assert!(it.next().is_some_and(|r| r.is_ok()));
        assert!(it.next().is_some_and(|r| r.is_err()));
        assert!(it.next().is_none());
        Ok(())
    }

    #[test]
    fn truncations_and_corruptions_fail_cleanly() -> Result<()> {
        let bytes = sample().to_bytes()?;
        for cut in 0..bytes.len() {
            let mut buf = Bytes::copy_from_slice(&bytes[..cut]);
            assert!(StoredMessage::decode(&mut buf, &DecodeOptions::default()).is_err());
            assert_eq!(buf.len(), cut, "input untouched on error");
        }
        let mut bad = bytes.clone();
        bad[4] = 0;
        assert!(
            decode_one(&bad, &DecodeOptions::default()).is_err(),
            "magic"
        );
        let mut bad = bytes.clone();
        bad[0..4].copy_from_slice(&(-1i32).to_be_bytes());
        assert!(decode_one(&bad, &DecodeOptions::default()).is_err(), "size");
        let mut bad = bytes.clone();
        bad[84..88].copy_from_slice(&i32::MAX.to_be_bytes());
        assert!(
            decode_one(&bad, &DecodeOptions::default()).is_err(),
            "body len"
        );
        let mut bad = bytes;
        bad[52..56].copy_from_slice(&70_000i32.to_be_bytes());
        assert!(decode_one(&bad, &DecodeOptions::default()).is_err(), "port");
        Ok(())
    }

    #[test]
    fn negative_properties_length_means_none() -> Result<()> {
        let mut msg = sample();
        msg.message = Message::new("T", &b"x"[..]);
        let mut bytes = msg.to_bytes()?;
        let n = bytes.len();
        bytes[n - 2..].copy_from_slice(&(-5i16).to_be_bytes());
        let back = decode_one(&bytes, &DecodeOptions::default())?;
        assert!(back.message.properties().is_empty());
        Ok(())
    }
}
