//! Property tests for the message layer: encode -> decode round trips of records, batches,
//! properties and ids, and "arbitrary bytes never panic" for every decoder.

#![allow(clippy::expect_used, clippy::unwrap_used)] // test helpers: a failure is a test failure

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use bytes::Bytes;
use proptest::prelude::*;
use rocketmq::protocol::message::{
    CompressionType, DecodeOptions, Message, OffsetMsgId, Properties, RecordVersion, Records,
    StoredMessage, SysFlag, UniqId, decode_batch, encode_batch,
};

fn host() -> impl Strategy<Value = SocketAddr> {
    prop_oneof![
        (any::<[u8; 4]>(), any::<u16>())
            .prop_map(|(ip, port)| SocketAddr::new(IpAddr::V4(Ipv4Addr::from(ip)), port)),
        (any::<[u8; 16]>(), any::<u16>())
            .prop_map(|(ip, port)| SocketAddr::new(IpAddr::V6(Ipv6Addr::from(ip)), port)),
    ]
}

/// Properties that survive the wire: non-empty keys without separators, non-empty values
/// without the property separator (they may hold `\u{1}`).
fn properties() -> impl Strategy<Value = Properties> {
    (
        proptest::collection::vec(("[A-Za-z0-9_#.]{1,12}", "[^\u{2}]{1,16}"), 0..8),
        any::<bool>(),
    )
        .prop_map(|(entries, trailing)| {
            let mut p: Properties = entries.into_iter().collect();
            p.set_trailing_separator(trailing);
            p
        })
}

fn message(max_topic: usize) -> impl Strategy<Value = Message> {
    (
        proptest::string::string_regex(&format!("[A-Za-z0-9_%|-]{{0,{max_topic}}}"))
            .expect("regex"),
        any::<i32>(),
        properties(),
        proptest::collection::vec(any::<u8>(), 0..300),
    )
        .prop_map(|(topic, flag, props, body)| Message::from_parts(topic, flag, props, body))
}

fn stored() -> impl Strategy<Value = StoredMessage> {
    (
        prop_oneof![message(127), message(300)],
        (any::<i32>(), any::<i64>(), any::<i64>(), any::<i32>()),
        (any::<i64>(), host(), any::<i64>(), host()),
        (any::<i32>(), any::<i32>(), any::<i64>()),
    )
        .prop_map(
            |(message, (queue_id, queue_offset, commit_log_offset, sys_flag), hosts, rest)| {
                let (born_timestamp, born_host, store_timestamp, store_host) = hosts;
                let (body_crc, reconsume_times, prepared_transaction_offset) = rest;
                let version = RecordVersion::for_topic(message.topic());
                StoredMessage {
                    message,
                    queue_id,
                    store_size: 0,
                    queue_offset,
                    commit_log_offset,
                    sys_flag: SysFlag::from_bits(sys_flag),
                    born_timestamp,
                    born_host,
                    store_timestamp,
                    store_host,
                    body_crc,
                    reconsume_times,
                    prepared_transaction_offset,
                    version,
                }
            },
        )
}

fn raw() -> DecodeOptions {
    DecodeOptions {
        decompress_body: false,
        ..DecodeOptions::default()
    }
}

proptest! {
    #[test]
    fn records_round_trip(msgs in proptest::collection::vec(stored(), 1..4)) {
        let mut buf = Vec::new();
        for m in &msgs {
            m.encode(&mut buf).expect("encode");
        }
        let back = StoredMessage::decode_all(Bytes::from(buf.clone()), &raw()).expect("decode");
        prop_assert_eq!(back.len(), msgs.len());
        let mut again = Vec::new();
        for (got, want) in back.iter().zip(&msgs) {
            let expected = StoredMessage {
                store_size: want.encoded_len() as i32,
                sys_flag: want.effective_sys_flag(),
                ..want.clone()
            };
            prop_assert_eq!(got, &expected);
            prop_assert_eq!(got.message.properties().encode(), want.message.properties().encode());
            got.encode(&mut again).expect("re-encode");
        }
        prop_assert_eq!(again, buf);
    }

    #[test]
    fn properties_round_trip(p in properties()) {
        let s = p.encode();
        let back = Properties::decode(&s);
        prop_assert_eq!(&back, &p);
        prop_assert_eq!(back.encode(), s);
    }

    #[test]
    fn arbitrary_property_strings_are_stable(s in "[a-c\u{1}\u{2}é]{0,40}") {
        let once = Properties::decode(&s);
        let twice = Properties::decode(&once.encode());
        prop_assert_eq!(&twice, &once);
        for (k, v) in once.iter() {
            prop_assert!(!k.is_empty() && !v.is_empty());
            let clean = !k.contains(['\u{1}', '\u{2}']) && !v.contains('\u{2}');
            prop_assert!(clean, "separator inside {:?}={:?}", k, v);
        }
    }

    #[test]
    fn batches_round_trip(msgs in proptest::collection::vec(message(0), 0..5)) {
        let msgs: Vec<Message> = msgs
            .into_iter()
            .map(|mut m| { m.set_topic("T"); m })
            .collect();
        let mut buf = Vec::new();
        encode_batch(&msgs, &mut buf).expect("encode");
        let back = decode_batch(&Bytes::from(buf.clone()), "T").expect("decode");
        prop_assert_eq!(&back, &msgs);
        let mut again = Vec::new();
        encode_batch(&back, &mut again).expect("re-encode");
        prop_assert_eq!(again, buf);
    }

    #[test]
    fn offset_ids_round_trip(h in host(), offset in any::<i64>()) {
        let id = OffsetMsgId::new(h, offset);
        let text = id.to_string();
        prop_assert_eq!(text.len(), if h.is_ipv4() { 32 } else { 56 });
        prop_assert_eq!(text.parse::<OffsetMsgId>().expect("parse"), id);
    }

    #[test]
    fn compression_round_trips(data in proptest::collection::vec(any::<u8>(), 0..2000), level in 1i32..9) {
        for kind in [CompressionType::Zlib, CompressionType::Lz4, CompressionType::Zstd] {
            let packed = kind.compress(&data, level).expect("compress");
            prop_assert_eq!(kind.decompress(&packed, data.len()).expect("decompress"), data.clone());
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic(data in proptest::collection::vec(any::<u8>(), 0..400)) {
        let opts = DecodeOptions { verify_body_crc: true, ..DecodeOptions::default() };
        for r in Records::new(Bytes::from(data.clone()), opts) {
            let _ = r;
        }
        let _ = decode_batch(&Bytes::from(data.clone()), "T");
        let _ = Properties::decode_bytes(&data);
        for kind in [CompressionType::Zlib, CompressionType::Lz4, CompressionType::Zstd] {
            let _ = kind.decompress(&data, 1 << 16);
        }
        let text = String::from_utf8_lossy(&data);
        let _ = text.parse::<OffsetMsgId>();
        let _ = text.parse::<UniqId>();
    }

    #[test]
    fn corrupted_records_never_panic(
        m in stored(),
        flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..6),
        compressed in any::<bool>(),
    ) {
        let mut m = m;
        if compressed {
            m.sys_flag = m.sys_flag.with_compression(CompressionType::Zstd);
        }
        let mut buf = m.to_bytes().expect("encode");
        for (i, b) in flips {
            let at = i.index(buf.len());
            buf[at] = b;
        }
        for r in Records::new(Bytes::from(buf), DecodeOptions::default()) {
            let _ = r;
        }
    }

    #[test]
    fn hex_ids_parse_without_panic(s in "[0-9A-Fa-f]{32}|[0-9A-Fa-f]{56}") {
        let id: UniqId = s.parse().expect("uniq id");
        prop_assert_eq!(id.to_string(), s.to_uppercase());
        let _ = s.parse::<OffsetMsgId>();
    }
}
