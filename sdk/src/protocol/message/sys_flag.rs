//! The `sysFlag` word of a message (Java `MessageSysFlag`).

use super::compression::CompressionType;

/// The transaction state bits (2-3) of a [`SysFlag`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TransactionType {
    /// Not a transactional message (`TRANSACTION_NOT_TYPE`, 0).
    NotTransaction,
    /// Half message waiting for commit or rollback (`TRANSACTION_PREPARED_TYPE`, `0x4`).
    Prepared,
    /// Committed (`TRANSACTION_COMMIT_TYPE`, `0x8`).
    Commit,
    /// Rolled back (`TRANSACTION_ROLLBACK_TYPE`, `0xC`).
    Rollback,
}

impl TransactionType {
    /// The bits this state occupies in the flag word; also the `commitOrRollback` header value.
    pub const fn bits(self) -> i32 {
        match self {
            TransactionType::NotTransaction => 0,
            TransactionType::Prepared => SysFlag::TRANSACTION_PREPARED.0,
            TransactionType::Commit => SysFlag::TRANSACTION_COMMIT.0,
            TransactionType::Rollback => SysFlag::TRANSACTION_ROLLBACK.0,
        }
    }
}

/// The 32-bit `sysFlag` of a stored or sent message.
///
/// | bits | meaning |
/// |------|---------|
/// | 0 | body compressed |
/// | 1 | multiple tags |
/// | 2-3 | [`TransactionType`] |
/// | 4 | born host is IPv6 |
/// | 5 | store host is IPv6 |
/// | 6 | batch needs unwrapping (5.x) |
/// | 7 | inner batch (5.x) |
/// | 8-10 | [`CompressionType`]: 1 LZ4, 2 ZSTD, 3 ZLIB, 0 means ZLIB (old clients) |
///
/// Unknown bits are kept as they are.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct SysFlag(i32);

impl SysFlag {
    /// No bits set.
    pub const EMPTY: SysFlag = SysFlag(0);
    /// The body is compressed (`COMPRESSED_FLAG`).
    pub const COMPRESSED: SysFlag = SysFlag(0x1);
    /// The tags hold several tags (`MULTI_TAGS_FLAG`).
    pub const MULTI_TAGS: SysFlag = SysFlag(0x1 << 1);
    /// `TRANSACTION_PREPARED_TYPE`.
    pub const TRANSACTION_PREPARED: SysFlag = SysFlag(0x1 << 2);
    /// `TRANSACTION_COMMIT_TYPE`.
    pub const TRANSACTION_COMMIT: SysFlag = SysFlag(0x2 << 2);
    /// `TRANSACTION_ROLLBACK_TYPE`, also the mask of the transaction bits.
    pub const TRANSACTION_ROLLBACK: SysFlag = SysFlag(0x3 << 2);
    /// The born host is an IPv6 address (`BORNHOST_V6_FLAG`).
    pub const BORN_HOST_V6: SysFlag = SysFlag(0x1 << 4);
    /// The store host is an IPv6 address (`STOREHOSTADDRESS_V6_FLAG`).
    pub const STORE_HOST_V6: SysFlag = SysFlag(0x1 << 5);
    /// The batch must be unwrapped (`NEED_UNWRAP_FLAG`, 5.x).
    pub const NEED_UNWRAP: SysFlag = SysFlag(0x1 << 6);
    /// The record is an inner batch (`INNER_BATCH_FLAG`, 5.x).
    pub const INNER_BATCH: SysFlag = SysFlag(0x1 << 7);
    /// `COMPRESSION_LZ4_TYPE`.
    pub const COMPRESSION_LZ4: SysFlag = SysFlag(0x1 << 8);
    /// `COMPRESSION_ZSTD_TYPE`.
    pub const COMPRESSION_ZSTD: SysFlag = SysFlag(0x2 << 8);
    /// `COMPRESSION_ZLIB_TYPE`.
    pub const COMPRESSION_ZLIB: SysFlag = SysFlag(0x3 << 8);
    /// Mask of the compression type bits (`COMPRESSION_TYPE_COMPARATOR`).
    pub const COMPRESSION_MASK: SysFlag = SysFlag(0x7 << 8);

    /// Wraps a raw flag word.
    pub const fn from_bits(bits: i32) -> Self {
        SysFlag(bits)
    }

    /// The raw flag word.
    pub const fn bits(self) -> i32 {
        self.0
    }

    /// Whether every bit of `other` is set.
    pub const fn contains(self, other: SysFlag) -> bool {
        self.0 & other.0 == other.0
    }

    /// Whether any bit of `other` is set (Java `MessageSysFlag.check`).
    pub const fn intersects(self, other: SysFlag) -> bool {
        self.0 & other.0 != 0
    }

    /// `self` with the bits of `other` set.
    #[must_use]
    pub const fn with(self, other: SysFlag) -> Self {
        SysFlag(self.0 | other.0)
    }

    /// `self` with the bits of `other` cleared.
    #[must_use]
    pub const fn without(self, other: SysFlag) -> Self {
        SysFlag(self.0 & !other.0)
    }

    /// `self` with `other`'s bits set or cleared.
    #[must_use]
    pub const fn set(self, other: SysFlag, on: bool) -> Self {
        if on {
            self.with(other)
        } else {
            self.without(other)
        }
    }

    /// Whether the body is compressed.
    pub const fn is_compressed(self) -> bool {
        self.contains(Self::COMPRESSED)
    }

    /// The compression type bits, as Java reads them (`0` means ZLIB); `None` for the
    /// unassigned values 4-7.
    pub const fn compression_type(self) -> Option<CompressionType> {
        CompressionType::from_value((self.0 & Self::COMPRESSION_MASK.0) >> 8)
    }

    /// Marks the body compressed with `kind` (sets bit 0 and the type bits).
    #[must_use]
    pub const fn with_compression(self, kind: CompressionType) -> Self {
        SysFlag((self.0 & !Self::COMPRESSION_MASK.0) | Self::COMPRESSED.0 | kind.flag_bits())
    }

    /// The transaction state.
    pub const fn transaction_type(self) -> TransactionType {
        match self.0 & Self::TRANSACTION_ROLLBACK.0 {
            0 => TransactionType::NotTransaction,
            0x4 => TransactionType::Prepared,
            0x8 => TransactionType::Commit,
            _ => TransactionType::Rollback,
        }
    }

    /// `self` with the transaction state replaced (Java `resetTransactionValue`).
    #[must_use]
    pub const fn with_transaction_type(self, kind: TransactionType) -> Self {
        SysFlag((self.0 & !Self::TRANSACTION_ROLLBACK.0) | kind.bits())
    }
}

impl std::ops::BitOr for SysFlag {
    type Output = SysFlag;
    fn bitor(self, rhs: SysFlag) -> SysFlag {
        self.with(rhs)
    }
}

impl std::ops::BitOrAssign for SysFlag {
    fn bitor_assign(&mut self, rhs: SysFlag) {
        *self = self.with(rhs);
    }
}

impl From<i32> for SysFlag {
    fn from(bits: i32) -> Self {
        SysFlag(bits)
    }
}

impl From<SysFlag> for i32 {
    fn from(flag: SysFlag) -> i32 {
        flag.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn java_bit_values() {
        assert_eq!(SysFlag::COMPRESSED.bits(), 1);
        assert_eq!(SysFlag::MULTI_TAGS.bits(), 2);
        assert_eq!(SysFlag::TRANSACTION_PREPARED.bits(), 4);
        assert_eq!(SysFlag::TRANSACTION_COMMIT.bits(), 8);
        assert_eq!(SysFlag::TRANSACTION_ROLLBACK.bits(), 12);
        assert_eq!(SysFlag::BORN_HOST_V6.bits(), 16);
        assert_eq!(SysFlag::STORE_HOST_V6.bits(), 32);
        assert_eq!(SysFlag::NEED_UNWRAP.bits(), 64);
        assert_eq!(SysFlag::INNER_BATCH.bits(), 128);
        assert_eq!(SysFlag::COMPRESSION_LZ4.bits(), 0x100);
        assert_eq!(SysFlag::COMPRESSION_ZSTD.bits(), 0x200);
        assert_eq!(SysFlag::COMPRESSION_ZLIB.bits(), 0x300);
    }

    #[test]
    fn compression_bits() {
        assert_eq!(
            SysFlag::EMPTY.compression_type(),
            Some(CompressionType::Zlib)
        );
        let f = SysFlag::MULTI_TAGS.with_compression(CompressionType::Zstd);
        assert_eq!(f.bits(), 0x203);
        assert!(f.is_compressed());
        assert_eq!(f.compression_type(), Some(CompressionType::Zstd));
        let f = f.with_compression(CompressionType::Lz4);
        assert_eq!(f.bits(), 0x103);
        assert_eq!(SysFlag::from_bits(0x401).compression_type(), None);
    }

    #[test]
    fn transaction_bits() {
        let f = SysFlag::BORN_HOST_V6.with_transaction_type(TransactionType::Prepared);
        assert_eq!(f.bits(), 0x14);
        assert_eq!(f.transaction_type(), TransactionType::Prepared);
        let f = f.with_transaction_type(TransactionType::Rollback);
        assert_eq!(f.bits(), 0x1C);
        assert_eq!(f.transaction_type(), TransactionType::Rollback);
        assert_eq!(
            f.with_transaction_type(TransactionType::NotTransaction)
                .bits(),
            0x10
        );
        assert!(f.intersects(SysFlag::TRANSACTION_COMMIT));
        assert_eq!((SysFlag::COMPRESSED | SysFlag::MULTI_TAGS).bits(), 3);
        assert!(
            !SysFlag::COMPRESSED
                .set(SysFlag::COMPRESSED, false)
                .is_compressed()
        );
    }
}
