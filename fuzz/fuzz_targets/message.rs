//! Feeds arbitrary bytes to every message decoder (records, batches, ids, compressed
//! bodies): typed errors only, never a panic or an unbounded allocation.
#![no_main]

use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use rocketmq::protocol::message::{
    CompressionType, DecodeOptions, OffsetMsgId, StoredMessage, UniqId, decode_batch,
};

fuzz_target!(|data: &[u8]| {
    let bytes = Bytes::copy_from_slice(data);
    let opts = DecodeOptions {
        verify_body_crc: true,
        max_decompressed_body: 1 << 20,
        ..DecodeOptions::default()
    };
    if let Ok(records) = StoredMessage::decode_all(bytes.clone(), &opts) {
        for record in records {
            let _ = record.to_bytes();
        }
    }
    let _ = decode_batch(&bytes, "FuzzTopic");
    for ty in [CompressionType::Zlib, CompressionType::Lz4, CompressionType::Zstd] {
        let _ = ty.decompress(data, 1 << 20);
    }
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = text.parse::<OffsetMsgId>();
        let _ = text.parse::<UniqId>();
    }
});
