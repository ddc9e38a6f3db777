//! Body compression: Java's `CompressionType` and the Zlib/LZ4/Zstd compressors.
//!
//! Streams are the ones Java writes and reads:
//! * ZLIB: a zlib stream (2-byte header, deflate data, Adler-32), as `java.util.zip.Deflater`
//!   writes and `InflaterInputStream` reads.
//! * LZ4: the LZ4 *frame* format (magic `04 22 4D 18`) with independent blocks and no checksums
//!   besides the header's, as `net.jpountz.lz4.LZ4FrameOutputStream` writes it. Java's
//!   `LZ4FrameInputStream` refuses linked blocks, so we never write them.
//! * ZSTD: a standard zstd frame, as `com.github.luben.zstd.ZstdOutputStream` writes.
//!
//! Decompression is bounded: it stops and fails with [`Error::TooLarge`] as soon as the output
//! passes the caller's limit, so a small "bomb" cannot exhaust memory. Java has no such limit.

use std::io::{Read, Write};

use crate::{Error, Result};

/// A body compression algorithm, as numbered in the `sysFlag` bits 8-10.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CompressionType {
    /// LZ4 frame format (value 1). Java 4.9.4+.
    Lz4,
    /// Zstandard (value 2). Java 4.9.4+.
    Zstd,
    /// zlib/deflate (value 3, and 0 for clients older than 4.9.4).
    Zlib,
}

impl CompressionType {
    /// Java's default compression level (`rocketmq.message.compressLevel`).
    pub const DEFAULT_LEVEL: i32 = 5;

    /// The type for a value of the `sysFlag` bits 8-10 (Java `findByValue`): `0` means ZLIB,
    /// 4-7 are unassigned.
    pub const fn from_value(value: i32) -> Option<Self> {
        match value {
            1 => Some(CompressionType::Lz4),
            2 => Some(CompressionType::Zstd),
            0 | 3 => Some(CompressionType::Zlib),
            _ => None,
        }
    }

    /// The value Java assigns (1, 2 or 3).
    pub const fn value(self) -> i32 {
        match self {
            CompressionType::Lz4 => 1,
            CompressionType::Zstd => 2,
            CompressionType::Zlib => 3,
        }
    }

    /// The bits this type sets in a `sysFlag` (`value() << 8`).
    pub const fn flag_bits(self) -> i32 {
        self.value() << 8
    }

    /// Parses Java's names (`rocketmq.message.compressType`): `LZ4`, `ZSTD`, `ZLIB`, any case,
    /// surrounding blanks ignored.
    pub fn from_name(name: &str) -> Option<Self> {
        match name.trim().to_ascii_uppercase().as_str() {
            "LZ4" => Some(CompressionType::Lz4),
            "ZSTD" => Some(CompressionType::Zstd),
            "ZLIB" => Some(CompressionType::Zlib),
            _ => None,
        }
    }

    /// Java's name of the type.
    pub const fn name(self) -> &'static str {
        match self {
            CompressionType::Lz4 => "LZ4",
            CompressionType::Zstd => "ZSTD",
            CompressionType::Zlib => "ZLIB",
        }
    }

    /// Compresses `data`.
    ///
    /// `level`: ZLIB takes -1 (default, 6) or 0-9 like `Deflater`; ZSTD takes zstd's levels
    /// (Java passes it through unchanged); LZ4 ignores it, as Java does.
    pub fn compress(self, data: &[u8], level: i32) -> Result<Vec<u8>> {
        match self {
            CompressionType::Zlib => {
                let level = match level {
                    -1 => 6,
                    0..=9 => level.unsigned_abs(),
                    _ => {
                        return Err(Error::Compression(format!(
                            "zlib level {level} is outside -1..=9"
                        )));
                    }
                };
                let mut enc = flate2::write::ZlibEncoder::new(
                    Vec::with_capacity(data.len() / 2 + 16),
                    flate2::Compression::new(level),
                );
                enc.write_all(data).map_err(compression_error)?;
                enc.finish().map_err(compression_error)
            }
            CompressionType::Lz4 => {
                use lz4_flex::frame::{BlockMode, BlockSize, FrameEncoder, FrameInfo};
                // Java writes 4 MiB blocks; any standard block size reads back in Java, and a
                // smaller one keeps the encoder's buffers proportional to the input.
                let block_size = match data.len() {
                    0..=0x1_0000 => BlockSize::Max64KB,
                    0x1_0001..=0x4_0000 => BlockSize::Max256KB,
                    0x4_0001..=0x10_0000 => BlockSize::Max1MB,
                    _ => BlockSize::Max4MB,
                };
                let info = FrameInfo::new()
                    .block_size(block_size)
                    .block_mode(BlockMode::Independent);
                let mut enc =
                    FrameEncoder::with_frame_info(info, Vec::with_capacity(data.len() / 2 + 32));
                enc.write_all(data).map_err(compression_error)?;
                enc.finish()
                    .map_err(|e| Error::Compression(format!("lz4: {e}")))
            }
            CompressionType::Zstd => {
                zstd::stream::encode_all(data, level).map_err(compression_error)
            }
        }
    }

    /// Decompresses `data`, refusing output longer than `max_len` bytes with
    /// [`Error::TooLarge`]. Corrupt or truncated input is [`Error::Compression`].
    pub fn decompress(self, data: &[u8], max_len: usize) -> Result<Vec<u8>> {
        match self {
            CompressionType::Zlib => read_bounded(flate2::read::ZlibDecoder::new(data), max_len),
            CompressionType::Lz4 => read_bounded(lz4_flex::frame::FrameDecoder::new(data), max_len),
            CompressionType::Zstd => {
                let dec =
                    zstd::stream::read::Decoder::with_buffer(data).map_err(compression_error)?;
                read_bounded(dec, max_len)
            }
        }
    }
}

impl std::fmt::Display for CompressionType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

fn compression_error(e: std::io::Error) -> Error {
    Error::Compression(e.to_string())
}

fn read_bounded(reader: impl Read, max_len: usize) -> Result<Vec<u8>> {
    let limit = u64::try_from(max_len).unwrap_or(u64::MAX).saturating_add(1);
    let mut out = Vec::new();
    reader
        .take(limit)
        .read_to_end(&mut out)
        .map_err(compression_error)?;
    if out.len() > max_len {
        return Err(Error::TooLarge {
            what: "decompressed message body",
            len: out.len(),
            max: max_len,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: [CompressionType; 3] = [
        CompressionType::Zlib,
        CompressionType::Lz4,
        CompressionType::Zstd,
    ];

    fn sample() -> Vec<u8> {
        (0..50_000u32)
            .flat_map(|i| (i % 251).to_le_bytes())
            .collect()
    }

    #[test]
    fn round_trip_all_types() -> Result<()> {
        for kind in ALL {
            for data in [Vec::new(), b"hello".to_vec(), sample()] {
                let packed = kind.compress(&data, CompressionType::DEFAULT_LEVEL)?;
                assert_eq!(kind.decompress(&packed, data.len())?, data, "{kind}");
            }
        }
        Ok(())
    }

    #[test]
    fn stream_headers_match_java() -> Result<()> {
        let z = CompressionType::Zlib.compress(b"abc", 5)?;
        assert_eq!(z[0], 0x78, "zlib CMF");
        assert_eq!(
            (u16::from(z[0]) << 8 | u16::from(z[1])) % 31,
            0,
            "zlib FCHECK"
        );
        let l = CompressionType::Lz4.compress(b"abc", 5)?;
        assert_eq!(&l[..4], &[0x04, 0x22, 0x4D, 0x18]);
        // FLG: version 01, block independence set, no block/content checksum, no size.
        assert_eq!(l[4], 0b0110_0000);
        let s = CompressionType::Zstd.compress(b"abc", 5)?;
        assert_eq!(&s[..4], &[0x28, 0xB5, 0x2F, 0xFD]);
        Ok(())
    }

    #[test]
    fn bombs_are_refused() -> Result<()> {
        let zeros = vec![0u8; 1 << 20];
        for kind in ALL {
            let packed = kind.compress(&zeros, 5)?;
            assert!(packed.len() < 64 << 10);
            match kind.decompress(&packed, 4096) {
                Err(Error::TooLarge { max: 4096, .. }) => {}
                other => panic!("{kind}: {other:?}"),
            }
            assert_eq!(kind.decompress(&packed, zeros.len())?.len(), zeros.len());
        }
        Ok(())
    }

    #[test]
    fn corrupt_and_truncated_input_fails() -> Result<()> {
        let data = sample();
        for kind in ALL {
            let packed = kind.compress(&data, 5)?;
            let cut = &packed[..packed.len() / 2];
            assert!(
                kind.decompress(cut, usize::MAX).is_err(),
                "{kind} truncated"
            );
            assert!(
                kind.decompress(b"\x01\x02garbage!", usize::MAX).is_err(),
                "{kind}"
            );
        }
        Ok(())
    }

    #[test]
    fn names_and_values() {
        assert_eq!(
            CompressionType::from_name(" zstd "),
            Some(CompressionType::Zstd)
        );
        assert_eq!(CompressionType::from_name("gzip"), None);
        assert_eq!(CompressionType::from_value(0), Some(CompressionType::Zlib));
        assert_eq!(CompressionType::from_value(7), None);
        for kind in ALL {
            assert_eq!(CompressionType::from_value(kind.value()), Some(kind));
            assert_eq!(CompressionType::from_name(kind.name()), Some(kind));
        }
        assert_eq!(CompressionType::Zlib.flag_bits(), 0x300);
    }

    #[test]
    fn zlib_level_range() {
        assert!(CompressionType::Zlib.compress(b"x", 10).is_err());
        assert!(CompressionType::Zlib.compress(b"x", -1).is_ok());
    }
}
