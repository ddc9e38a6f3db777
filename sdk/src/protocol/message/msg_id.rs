//! Offset message ids (Java `MessageDecoder.createMessageId` / `decodeMessageId`) and the hex
//! helpers both id kinds use (Java `UtilAll.bytes2string` / `string2bytes`).
//!
//! An offset id is the store host (4 or 16 address bytes, then the port as a 4-byte
//! big-endian int) followed by the 8-byte commit-log offset, in upper-case hex: 32 characters
//! for IPv4, 56 for IPv6.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::str::FromStr;

use crate::{Error, Result};

const HEX: &[u8; 16] = b"0123456789ABCDEF";

/// Appends `bytes` as upper-case hex.
pub(crate) fn push_hex(out: &mut String, bytes: &[u8]) {
    for b in bytes {
        out.push(char::from(HEX[usize::from(b >> 4)]));
        out.push(char::from(HEX[usize::from(b & 0x0F)]));
    }
}

/// Parses hex (either case) of an even length into bytes.
pub(crate) fn parse_hex(what: &'static str, s: &str) -> Result<Vec<u8>> {
    fn nibble(c: u8) -> Option<u8> {
        match c {
            b'0'..=b'9' => Some(c - b'0'),
            b'a'..=b'f' => Some(c - b'a' + 10),
            b'A'..=b'F' => Some(c - b'A' + 10),
            _ => None,
        }
    }
    let raw = s.as_bytes();
    if !raw.len().is_multiple_of(2) {
        return Err(Error::decode(what, format!("odd hex length {}", raw.len())));
    }
    raw.chunks_exact(2)
        .map(|pair| match (nibble(pair[0]), nibble(pair[1])) {
            (Some(hi), Some(lo)) => Ok(hi << 4 | lo),
            _ => Err(Error::decode(what, format!("not hex: {s:?}"))),
        })
        .collect()
}

/// Writes an address as Java does in records and ids: the IP bytes, then the port as an i32.
pub(crate) fn put_socket_addr(out: &mut Vec<u8>, addr: &SocketAddr) {
    let (bytes, len) = socket_addr_bytes(addr);
    out.extend_from_slice(&bytes[..len]);
}

/// What [`put_socket_addr`] appends, in a stack buffer: the buffer and how many of its
/// bytes are used (8 for IPv4, 20 for IPv6).
fn socket_addr_bytes(addr: &SocketAddr) -> ([u8; 20], usize) {
    let mut out = [0u8; 20];
    let ip_len = match addr.ip() {
        IpAddr::V4(ip) => {
            out[..4].copy_from_slice(&ip.octets());
            4
        }
        IpAddr::V6(ip) => {
            out[..16].copy_from_slice(&ip.octets());
            16
        }
    };
    out[ip_len..ip_len + 4].copy_from_slice(&i32::from(addr.port()).to_be_bytes());
    (out, ip_len + 4)
}

/// Builds a socket address from IP bytes (4 or 16) and a Java int port (0..=65535).
pub(crate) fn socket_addr(what: &'static str, ip: &[u8], port: i32) -> Result<SocketAddr> {
    let port = u16::try_from(port)
        .map_err(|_| Error::decode(what, format!("port {port} out of range")))?;
    Ok(SocketAddr::new(ip_addr(what, ip)?, port))
}

/// An IPv4 (4 bytes) or IPv6 (16 bytes) address from raw bytes.
fn ip_addr(what: &'static str, ip: &[u8]) -> Result<IpAddr> {
    match ip.len() {
        4 => {
            let mut o = [0u8; 4];
            o.copy_from_slice(ip);
            Ok(IpAddr::V4(Ipv4Addr::from(o)))
        }
        16 => {
            let mut o = [0u8; 16];
            o.copy_from_slice(ip);
            Ok(IpAddr::V6(Ipv6Addr::from(o)))
        }
        n => Err(Error::decode(what, format!("{n} address bytes"))),
    }
}

/// Parses the hex form shared by offset and unique message ids: an IP address (4 or 16
/// bytes, told apart by the text length, 32 or 56 characters) followed by 12 more bytes,
/// which are returned as they are.
pub(crate) fn parse_host_id(what: &'static str, s: &str) -> Result<(IpAddr, [u8; 12])> {
    let ip_len = match s.len() {
        32 => 4,
        56 => 16,
        n => {
            return Err(Error::decode(
                what,
                format!("length {n}, expected 32 or 56"),
            ));
        }
    };
    let raw = parse_hex(what, s)?;
    let (ip, rest) = raw.split_at(ip_len);
    let mut tail = [0u8; 12];
    tail.copy_from_slice(rest);
    Ok((ip_addr(what, ip)?, tail))
}

/// The broker-assigned message id: store host plus commit-log offset.
///
/// ```
/// use rocketmq::protocol::message::OffsetMsgId;
///
/// let id = OffsetMsgId::new("127.0.0.1:10911".parse().unwrap(), 0x1234);
/// assert_eq!(id.to_string(), "7F00000100002A9F0000000000001234");
/// assert_eq!(id.to_string().parse::<OffsetMsgId>()?, id);
/// # Ok::<(), rocketmq::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct OffsetMsgId {
    store_host: SocketAddr,
    commit_log_offset: i64,
}

impl OffsetMsgId {
    /// The id of the record at `commit_log_offset` stored by `store_host`.
    pub fn new(store_host: SocketAddr, commit_log_offset: i64) -> Self {
        OffsetMsgId {
            store_host,
            commit_log_offset,
        }
    }

    /// The broker address that stored the message.
    pub fn store_host(&self) -> SocketAddr {
        self.store_host
    }

    /// The record's physical offset in the commit log.
    pub fn commit_log_offset(&self) -> i64 {
        self.commit_log_offset
    }
}

impl fmt::Display for OffsetMsgId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Built on the stack (a broker writes one id per stored message): the address as
        // records store it and the offset, then their hex digits.
        let (host, host_len) = socket_addr_bytes(&self.store_host);
        let mut raw = [0u8; 28];
        let len = host_len + 8;
        raw[..host_len].copy_from_slice(&host[..host_len]);
        raw[host_len..len].copy_from_slice(&self.commit_log_offset.to_be_bytes());
        let mut hex = [0u8; 56];
        for (pair, b) in hex.chunks_exact_mut(2).zip(&raw[..len]) {
            pair[0] = HEX[usize::from(b >> 4)];
            pair[1] = HEX[usize::from(b & 0x0F)];
        }
        // Hex digits are ASCII: the conversion cannot fail.
        f.write_str(std::str::from_utf8(&hex[..2 * len]).unwrap_or_default())
    }
}

impl FromStr for OffsetMsgId {
    type Err = Error;

    /// Parses 32 (IPv4) or 56 (IPv6) hex characters. Java picks IPv6 for any length but 32
    /// and reads garbage from bad input; this refuses both.
    fn from_str(s: &str) -> Result<Self> {
        let (ip, rest) = parse_host_id("offset message id", s)?;
        let port = i32::from_be_bytes([rest[0], rest[1], rest[2], rest[3]]);
        let mut off = [0u8; 8];
        off.copy_from_slice(&rest[4..]);
        Ok(OffsetMsgId {
            store_host: SocketAddr::new(
                ip,
                u16::try_from(port).map_err(|_| {
                    Error::decode("offset message id", format!("port {port} out of range"))
                })?,
            ),
            commit_log_offset: i64::from_be_bytes(off),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn v6_round_trip() -> Result<()> {
        let host: SocketAddr = "[2001:db8::1]:10911"
            .parse()
            .map_err(|_| Error::decode("t", ""))?;
        let id = OffsetMsgId::new(host, -2);
        let s = id.to_string();
        assert_eq!(s.len(), 56);
        assert_eq!(&s[..8], "20010DB8");
        assert!(s.ends_with("00002A9FFFFFFFFFFFFFFFFE"));
        assert_eq!(s.to_lowercase().parse::<OffsetMsgId>()?, id);
        Ok(())
    }

    #[test]
    fn bad_ids_are_refused() {
        for bad in [
            "",
            "7F00000100002A9F000000000000123",
            "7F00000100002A9F00000000000012345",
            "7G00000100002A9F0000000000001234",
            "7F000001FFFFFFFF0000000000001234",
            "7F00000100012A9F0000000000001234",
        ] {
            assert!(bad.parse::<OffsetMsgId>().is_err(), "{bad}");
        }
    }
}
