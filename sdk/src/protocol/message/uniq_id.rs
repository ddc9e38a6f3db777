//! Unique client message ids (Java `MessageClientIDSetter`), the `UNIQ_KEY` property that
//! applications see as the message id.
//!
//! Layout (same in 4.9.8 and 5.3.3), in upper-case hex, 32 characters for an IPv4 host and
//! 56 for IPv6:
//!
//! | bytes | content | host-specific? |
//! |-------|---------|----------------|
//! | 4 or 16 | producer IP | yes: Java's `UtilAll.getIP()` picks the first public address, else a private one (5.x prefers non-loopback) |
//! | 2 | process id, low 16 bits | yes |
//! | 4 | Java: hash code of the class loader, an arbitrary per-JVM number; here a random per-generator salt | yes |
//! | 4 | milliseconds (not seconds) since the start of the current month, as an unsigned 32-bit value | clock and time zone |
//! | 2 | counter, low 16 bits, incremented per id | no |
//!
//! Java computes the month start in the JVM's default time zone; this implementation uses UTC
//! (there is no portable time-zone database in std). Ids stay unique either way; only the
//! time read back by [`UniqId::approximate_time`] is relative to a UTC month.
//! Java clamps a small negative difference (clock stepped back less than 1000 s) to 0; so
//! does this. Past day 24 of a month the millisecond count passes `i32::MAX`; Java writes the
//! wrapped int's bits, which read back as the unsigned value, and so do we.

use std::fmt;
use std::hash::BuildHasher;
use std::net::IpAddr;
use std::str::FromStr;
use std::sync::atomic::{AtomicI64, AtomicU32, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::msg_id::{parse_host_id, push_hex};
use crate::{Error, Result};

/// Creates unique client message ids; cheap and safe to share between threads.
///
/// ```
/// use rocketmq::protocol::message::{UniqId, UniqIdGenerator};
///
/// let ids = UniqIdGenerator::new("10.1.2.3".parse().unwrap(), 4242, 7);
/// let id = ids.next_id();
/// assert_eq!(id.len(), 32);
/// let parsed: UniqId = id.parse()?;
/// assert_eq!(parsed.pid(), 4242);
/// # Ok::<(), rocketmq::Error>(())
/// ```
#[derive(Debug)]
pub struct UniqIdGenerator {
    prefix: String,
    counter: AtomicU32,
    month_start_ms: AtomicI64,
    next_month_start_ms: AtomicI64,
}

impl UniqIdGenerator {
    /// A generator for a producer at `ip` in process `pid` (low 16 bits used), with `salt`
    /// in the place of Java's class-loader hash code.
    pub fn new(ip: IpAddr, pid: u32, salt: i32) -> Self {
        let mut raw = Vec::with_capacity(22);
        match ip {
            IpAddr::V4(v4) => raw.extend_from_slice(&v4.octets()),
            IpAddr::V6(v6) => raw.extend_from_slice(&v6.octets()),
        }
        raw.extend_from_slice(&(pid as u16).to_be_bytes());
        raw.extend_from_slice(&salt.to_be_bytes());
        let mut prefix = String::with_capacity(raw.len() * 2 + 12);
        push_hex(&mut prefix, &raw);
        UniqIdGenerator {
            prefix,
            counter: AtomicU32::new(0),
            month_start_ms: AtomicI64::new(i64::MAX),
            next_month_start_ms: AtomicI64::new(i64::MIN),
        }
    }

    /// A generator for this process: its pid and a random salt.
    pub fn for_this_process(ip: IpAddr) -> Self {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_nanos();
        let salt =
            std::collections::hash_map::RandomState::new().hash_one((std::process::id(), nanos));
        Self::new(ip, std::process::id(), salt as i32)
    }

    /// The next id.
    pub fn next_id(&self) -> String {
        self.next_id_at(SystemTime::now())
    }

    /// The next id, as if the clock read `now`.
    pub fn next_id_at(&self, now: SystemTime) -> String {
        let now_ms = epoch_millis(now);
        if now_ms >= self.next_month_start_ms.load(Ordering::Acquire)
            || now_ms < self.month_start_ms.load(Ordering::Acquire) - 1_000_000
        {
            let (start, next) = month_bounds(now_ms);
            self.month_start_ms.store(start, Ordering::Release);
            self.next_month_start_ms.store(next, Ordering::Release);
        }
        let start = self.month_start_ms.load(Ordering::Acquire);
        let mut diff = now_ms.wrapping_sub(start) as i32;
        if diff < 0 && diff > -1_000_000 {
            diff = 0;
        }
        let counter = self.counter.fetch_add(1, Ordering::Relaxed) as u16;
        let mut id = String::with_capacity(self.prefix.len() + 12);
        id.push_str(&self.prefix);
        push_hex(&mut id, &diff.to_be_bytes());
        push_hex(&mut id, &counter.to_be_bytes());
        id
    }
}

/// A parsed unique client message id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct UniqId {
    ip: IpAddr,
    pid: u16,
    salt: i32,
    millis_in_month: u32,
    counter: u16,
}

impl UniqId {
    /// The producer's IP.
    pub fn ip(&self) -> IpAddr {
        self.ip
    }

    /// The producer's process id, low 16 bits (Java `getPidFromID`).
    pub fn pid(&self) -> u16 {
        self.pid
    }

    /// Java's class-loader hash code (or our salt).
    pub fn salt(&self) -> i32 {
        self.salt
    }

    /// Time since the start of the month the id was made in.
    pub fn offset_in_month(&self) -> Duration {
        Duration::from_millis(u64::from(self.millis_in_month))
    }

    /// The counter value.
    pub fn counter(&self) -> u16 {
        self.counter
    }

    /// When the id was made, assuming it is less than a month old at `now` (Java
    /// `getNearlyTimeFromID`, with UTC months).
    pub fn approximate_time(&self, now: SystemTime) -> SystemTime {
        let now_ms = epoch_millis(now);
        let span = i64::from(self.millis_in_month);
        let (mut start, _) = month_bounds(now_ms);
        if start + span >= now_ms {
            start = month_bounds(start - 1).0;
        }
        let at = start + span;
        if at >= 0 {
            UNIX_EPOCH + Duration::from_millis(at.unsigned_abs())
        } else {
            UNIX_EPOCH - Duration::from_millis(at.unsigned_abs())
        }
    }
}

impl FromStr for UniqId {
    type Err = Error;

    /// Parses 32 (IPv4) or 56 (IPv6) hex characters.
    fn from_str(s: &str) -> Result<Self> {
        let (ip, rest) = parse_host_id("unique message id", s)?;
        Ok(UniqId {
            ip,
            pid: u16::from_be_bytes([rest[0], rest[1]]),
            salt: i32::from_be_bytes([rest[2], rest[3], rest[4], rest[5]]),
            millis_in_month: u32::from_be_bytes([rest[6], rest[7], rest[8], rest[9]]),
            counter: u16::from_be_bytes([rest[10], rest[11]]),
        })
    }
}

impl fmt::Display for UniqId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut raw = Vec::with_capacity(28);
        match self.ip {
            IpAddr::V4(v4) => raw.extend_from_slice(&v4.octets()),
            IpAddr::V6(v6) => raw.extend_from_slice(&v6.octets()),
        }
        raw.extend_from_slice(&self.pid.to_be_bytes());
        raw.extend_from_slice(&self.salt.to_be_bytes());
        raw.extend_from_slice(&self.millis_in_month.to_be_bytes());
        raw.extend_from_slice(&self.counter.to_be_bytes());
        let mut s = String::with_capacity(56);
        push_hex(&mut s, &raw);
        f.write_str(&s)
    }
}

fn epoch_millis(t: SystemTime) -> i64 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_millis()).unwrap_or(i64::MAX),
        Err(e) => -i64::try_from(e.duration().as_millis()).unwrap_or(i64::MAX),
    }
}

const DAY_MS: i64 = 86_400_000;

/// Start of the UTC month holding `ms` and of the next one, in epoch millis.
fn month_bounds(ms: i64) -> (i64, i64) {
    let (y, m, _) = civil_from_days(ms.div_euclid(DAY_MS));
    let (ny, nm) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
    (
        days_from_civil(y, m, 1) * DAY_MS,
        days_from_civil(ny, nm, 1) * DAY_MS,
    )
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date of a day count since 1970-01-01.
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (
        if m <= 2 {
            yoe + era * 400 + 1
        } else {
            yoe + era * 400
        },
        m,
        d,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    fn at(ms: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_millis(ms)
    }

    #[test]
    fn calendar() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(civil_from_days(19_782), (2024, 2, 29));
        assert_eq!(days_from_civil(2024, 3, 1), 19_783);
        // 2024-02-29T12:00:00Z
        let (start, next) = month_bounds(1_709_208_000_000);
        assert_eq!(start, 1_706_745_600_000); // 2024-02-01
        assert_eq!(next, 1_709_251_200_000); // 2024-03-01
        assert_eq!(month_bounds(1_733_011_200_000 + 5).1, 1_735_689_600_000); // Dec -> Jan
    }

    #[test]
    fn layout_and_parse() -> Result<()> {
        let g = UniqIdGenerator::new(IpAddr::V4(Ipv4Addr::new(127, 0, 0, 1)), 0x1_2345, -1);
        // 2024-02-01T00:00:01.5Z
        let first = g.next_id_at(at(1_706_745_601_500));
        assert_eq!(first, "7F0000012345FFFFFFFF000005DC0000");
        let second = g.next_id_at(at(1_706_745_601_500));
        assert!(second.ends_with("0001"));
        let id: UniqId = first.parse()?;
        assert_eq!(id.ip(), IpAddr::V4(Ipv4Addr::new(127, 0, 0, 1)));
        assert_eq!(id.pid(), 0x2345);
        assert_eq!(id.salt(), -1);
        assert_eq!(id.offset_in_month(), Duration::from_millis(1500));
        assert_eq!(id.counter(), 0);
        assert_eq!(id.to_string(), first);
        assert_eq!(
            id.approximate_time(at(1_706_745_700_000)),
            at(1_706_745_601_500)
        );
        // Read in the next month, it still resolves to February.
        assert_eq!(
            id.approximate_time(at(1_709_251_200_000 + 1000)),
            at(1_706_745_601_500)
        );
        Ok(())
    }

    #[test]
    fn late_in_month_wraps_like_java() -> Result<()> {
        let g = UniqIdGenerator::new("::1".parse().map_err(|_| Error::decode("t", ""))?, 1, 0);
        // 2024-01-31T00:00:00Z: 30 days = 2_592_000_000 ms > i32::MAX.
        let id = g.next_id_at(at(1_706_659_200_000));
        assert_eq!(id.len(), 56);
        let parsed: UniqId = id.parse()?;
        assert_eq!(
            parsed.offset_in_month(),
            Duration::from_millis(2_592_000_000)
        );
        assert_eq!(&id[44..52], "9A7EC800");
        Ok(())
    }

    #[test]
    fn month_rollover_and_counter_wrap() -> Result<()> {
        let g = UniqIdGenerator::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 1, 0);
        let _ = g.next_id_at(at(1_709_251_199_999)); // last ms of February
        let id: UniqId = g.next_id_at(at(1_709_251_200_007)).parse()?;
        assert_eq!(id.offset_in_month(), Duration::from_millis(7));
        g.counter.store(u32::from(u16::MAX), Ordering::Relaxed);
        let a: UniqId = g.next_id().parse()?;
        let b: UniqId = g.next_id().parse()?;
        assert_eq!((a.counter(), b.counter()), (u16::MAX, 0));
        Ok(())
    }

    #[test]
    fn bad_ids() {
        assert!("".parse::<UniqId>().is_err());
        assert!(
            "XX0000012345FFFFFFFF000005DC0000"
                .parse::<UniqId>()
                .is_err()
        );
        assert!("7F0000012345FFFFFFFF000005DC00".parse::<UniqId>().is_err());
    }
}
