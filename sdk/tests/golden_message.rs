//! Golden vectors of kinds "message", "messages", "batch", "msg_id", "uniq_id" and
//! "compressed", written by Java's `MessageDecoder`, `MessageBatch`, `MessageClientIDSetter`
//! and compressors (4.9.8 and 5.x): decoded and checked field by field against the manifest's
//! `meta`, then re-encoded byte for byte where the vector is deterministic.
//!
//! The manifests live in `tests/golden/<java-version>/manifest.json`; this test fails when
//! either the 4.9.8 one or a 5.x one is missing, or when a version has no vector of a kind.

#![allow(clippy::expect_used, clippy::unwrap_used)] // test helpers: a failure is a test failure

use std::collections::BTreeMap;
use std::fs;
use std::net::SocketAddr;
use std::time::{Duration, UNIX_EPOCH};

use bytes::Bytes;
use rocketmq::protocol::message::{
    CompressionType, DecodeOptions, OffsetMsgId, StoredMessage, SysFlag, UniqId, body_crc,
    decode_batch, encode_batch,
};
use serde_json::Value;

mod golden_util;
use golden_util::{base64, golden_root, manifest, versions};

const KINDS: [&str; 6] = [
    "message",
    "messages",
    "batch",
    "msg_id",
    "uniq_id",
    "compressed",
];

fn str_of<'a>(meta: &'a Value, key: &str) -> &'a str {
    meta[key]
        .as_str()
        .unwrap_or_else(|| panic!("meta.{key} is not a string: {meta}"))
}

fn int_of(meta: &Value, key: &str) -> i64 {
    meta[key]
        .as_i64()
        .unwrap_or_else(|| panic!("meta.{key} is not an integer: {meta}"))
}

fn addr_of(meta: &Value, key: &str) -> SocketAddr {
    str_of(meta, key)
        .parse()
        .unwrap_or_else(|e| panic!("meta.{key}: {e}"))
}

fn props_of(meta: &Value) -> BTreeMap<String, String> {
    meta["properties"]
        .as_object()
        .unwrap_or_else(|| panic!("meta.properties missing: {meta}"))
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned()))
        .collect()
}

/// Compares every meta field of a stored record (decoded without decompression).
fn check_record(name: &str, msg: &StoredMessage, meta: &Value) {
    let m = &msg.message;
    assert_eq!(m.topic(), str_of(meta, "topic"), "{name} topic");
    assert_eq!(
        i64::from(msg.queue_id),
        int_of(meta, "queueId"),
        "{name} queueId"
    );
    assert_eq!(i64::from(m.flag()), int_of(meta, "flag"), "{name} flag");
    assert_eq!(
        msg.queue_offset,
        int_of(meta, "queueOffset"),
        "{name} queueOffset"
    );
    assert_eq!(
        msg.commit_log_offset,
        int_of(meta, "commitLogOffset"),
        "{name} commitLogOffset"
    );
    assert_eq!(
        i64::from(msg.sys_flag.bits()),
        int_of(meta, "sysFlag"),
        "{name} sysFlag"
    );
    assert_eq!(
        msg.born_timestamp,
        int_of(meta, "bornTimestamp"),
        "{name} bornTimestamp"
    );
    assert_eq!(msg.born_host, addr_of(meta, "bornHost"), "{name} bornHost");
    assert_eq!(
        msg.store_timestamp,
        int_of(meta, "storeTimestamp"),
        "{name} storeTimestamp"
    );
    assert_eq!(
        msg.store_host,
        addr_of(meta, "storeHost"),
        "{name} storeHost"
    );
    assert_eq!(
        i64::from(msg.reconsume_times),
        int_of(meta, "reconsumeTimes"),
        "{name} reconsume"
    );
    assert_eq!(
        msg.prepared_transaction_offset,
        int_of(meta, "preparedTransactionOffset"),
        "{name} preparedTransactionOffset"
    );
    assert_eq!(
        i64::from(msg.body_crc),
        int_of(meta, "bodyCRC"),
        "{name} bodyCRC"
    );
    assert_eq!(body_crc(m.body()), msg.body_crc, "{name} CRC of the body");
    let props: BTreeMap<String, String> = m
        .properties()
        .iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    assert_eq!(props, props_of(meta), "{name} properties");
    assert_eq!(
        m.properties().encode(),
        str_of(meta, "propertiesString"),
        "{name} properties string, order and trailing separator"
    );
    assert_eq!(
        m.body().as_ref(),
        base64(str_of(meta, "body")),
        "{name} body"
    );
    assert_eq!(
        msg.offset_msg_id().to_string(),
        str_of(meta, "msgId"),
        "{name} msgId"
    );
    assert_eq!(
        m.unique_key(),
        props_of(meta).get("UNIQ_KEY").map(String::as_str)
    );
    let keys: Vec<&str> = m.keys().collect();
    let want_keys: Vec<String> = props_of(meta)
        .get("KEYS")
        .map(|k| k.split(' ').map(str::to_owned).collect())
        .unwrap_or_default();
    assert_eq!(keys, want_keys, "{name} keys");
}

fn raw_opts() -> DecodeOptions {
    DecodeOptions {
        decompress_body: false,
        verify_body_crc: true,
        ..DecodeOptions::default()
    }
}

fn check_message(name: &str, data: &[u8], meta: &Value, deterministic: bool) {
    let mut buf = Bytes::copy_from_slice(data);
    let msg =
        StoredMessage::decode(&mut buf, &raw_opts()).unwrap_or_else(|e| panic!("{name}: {e}"));
    assert!(buf.is_empty(), "{name}: bytes left after the record");
    assert_eq!(msg.store_size as usize, data.len(), "{name} store size");
    check_record(name, &msg, meta);
    if deterministic {
        assert_eq!(msg.to_bytes().expect("encode"), data, "{name} re-encoded");
    }
    if let Some(plain) = meta.get("plainBody").and_then(Value::as_str) {
        let kind = CompressionType::from_name(str_of(meta, "compression")).expect("type");
        assert_eq!(
            msg.sys_flag.compression_type(),
            Some(kind),
            "{name} compression bits"
        );
        let mut buf = Bytes::copy_from_slice(data);
        let full = StoredMessage::decode(&mut buf, &DecodeOptions::default()).expect("decompress");
        assert_eq!(
            full.message.body().as_ref(),
            base64(plain),
            "{name} decompressed"
        );
        assert!(
            !full.sys_flag.is_compressed(),
            "{name}: COMPRESSED cleared as in 5.x"
        );
        let limited = DecodeOptions {
            max_decompressed_body: base64(plain).len() - 1,
            ..DecodeOptions::default()
        };
        assert!(StoredMessage::decode(&mut Bytes::copy_from_slice(data), &limited).is_err());
    }
}

fn check_messages(name: &str, data: &[u8], meta: &Value, deterministic: bool) {
    let metas = meta["messages"].as_array().expect("meta.messages");
    let all = StoredMessage::decode_all(Bytes::copy_from_slice(data), &raw_opts())
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    assert_eq!(all.len(), metas.len(), "{name} count");
    let mut again = Vec::new();
    for (i, (msg, meta)) in all.iter().zip(metas).enumerate() {
        check_record(&format!("{name}[{i}]"), msg, meta);
        msg.encode(&mut again).expect("encode");
    }
    if deterministic {
        assert_eq!(again, data, "{name} re-encoded");
    }
}

fn check_batch(name: &str, data: &[u8], meta: &Value, deterministic: bool) {
    let metas = meta["messages"].as_array().expect("meta.messages");
    let topic = str_of(&metas[0], "topic");
    let msgs = decode_batch(&Bytes::copy_from_slice(data), topic)
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    assert_eq!(msgs.len(), metas.len(), "{name} count");
    for (i, (m, meta)) in msgs.iter().zip(metas).enumerate() {
        assert_eq!(m.topic(), str_of(meta, "topic"));
        assert_eq!(
            i64::from(m.flag()),
            int_of(meta, "flag"),
            "{name}[{i}] flag"
        );
        let props: BTreeMap<String, String> = m
            .properties()
            .iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        assert_eq!(props, props_of(meta), "{name}[{i}] properties");
        assert_eq!(
            m.properties().encode(),
            str_of(meta, "propertiesString"),
            "{name}[{i}]"
        );
        assert_eq!(
            m.body().as_ref(),
            base64(str_of(meta, "body")),
            "{name}[{i}] body"
        );
        assert_eq!(
            m.tags(),
            Some("TagB").filter(|_| props.contains_key("TAGS"))
        );
        assert!(m.wait_store_msg_ok());
    }
    if deterministic {
        let mut out = Vec::new();
        encode_batch(&msgs, &mut out).expect("encode");
        assert_eq!(out, data, "{name} re-encoded");
    }
}

fn check_msg_id(name: &str, data: &[u8], meta: &Value) {
    let text = std::str::from_utf8(data).expect("ascii");
    assert_eq!(text, str_of(meta, "text"));
    let id: OffsetMsgId = text.parse().unwrap_or_else(|e| panic!("{name}: {e}"));
    let host: std::net::IpAddr = str_of(meta, "host").parse().expect("host");
    assert_eq!(id.store_host().ip(), host, "{name} host");
    assert_eq!(
        i64::from(id.store_host().port()),
        int_of(meta, "port"),
        "{name} port"
    );
    assert_eq!(
        id.commit_log_offset(),
        int_of(meta, "offset"),
        "{name} offset"
    );
    assert_eq!(id.to_string(), text, "{name} re-created");
}

fn check_uniq_id(name: &str, data: &[u8], meta: &Value) {
    let text = std::str::from_utf8(data).expect("ascii");
    assert_eq!(text, str_of(meta, "text"));
    let id: UniqId = text.parse().unwrap_or_else(|e| panic!("{name}: {e}"));
    let ip_bytes: Vec<u8> = meta["ipBytes"]
        .as_array()
        .expect("ipBytes")
        .iter()
        .map(|b| b.as_u64().expect("byte") as u8)
        .collect();
    let ours = match id.ip() {
        std::net::IpAddr::V4(v4) => v4.octets().to_vec(),
        std::net::IpAddr::V6(v6) => v6.octets().to_vec(),
    };
    assert_eq!(ours, ip_bytes, "{name} ip");
    assert_eq!(i64::from(id.pid()), int_of(meta, "pid"), "{name} pid");
    assert_eq!(id.to_string(), text, "{name} re-formatted");
    // Java resolves the time against the month start in the JVM's zone; the generator ran
    // in UTC, which is what we use.
    let nearly = UNIX_EPOCH + Duration::from_millis(int_of(meta, "nearlyTimeMillis") as u64);
    assert_eq!(
        id.approximate_time(nearly + Duration::from_secs(1)),
        nearly,
        "{name} time"
    );
}

fn check_compressed(name: &str, data: &[u8], meta: &Value) {
    let kind = CompressionType::from_name(str_of(meta, "type")).expect("type");
    let plain = str_of(meta, "plain").as_bytes();
    let out = kind
        .decompress(data, plain.len())
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    assert_eq!(out, plain, "{name}");
    assert!(
        kind.decompress(data, plain.len() - 1).is_err(),
        "{name} limit"
    );
    // Our stream decodes back, and shares Java's framing (first bytes of the format).
    let level = int_of(meta, "level") as i32;
    let ours = kind.compress(plain, level).expect("compress");
    assert_eq!(kind.decompress(&ours, plain.len()).expect("ours"), plain);
    let header = match kind {
        CompressionType::Zlib => 1,
        CompressionType::Lz4 => 5,
        CompressionType::Zstd => 4,
    };
    assert_eq!(ours[..header], data[..header], "{name} stream header");
}

#[test]
fn golden_messages_decode_and_reencode() {
    for version in versions() {
        let manifest = manifest(&version);
        let vectors = manifest["vectors"].as_array().expect("vectors");
        let mut seen = BTreeMap::new();
        for v in vectors {
            let kind = v["kind"].as_str().expect("kind");
            if !KINDS.contains(&kind) {
                continue;
            }
            let name = format!("{version}/{}", v["name"].as_str().expect("name"));
            let file = golden_root()
                .join(&version)
                .join(v["file"].as_str().expect("file"));
            let data = fs::read(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
            let meta = &v["meta"];
            let deterministic = v["deterministic"].as_bool().expect("deterministic");
            match kind {
                "message" => check_message(&name, &data, meta, deterministic),
                "messages" => check_messages(&name, &data, meta, deterministic),
                "batch" => check_batch(&name, &data, meta, deterministic),
                "msg_id" => check_msg_id(&name, &data, meta),
                "uniq_id" => check_uniq_id(&name, &data, meta),
                _ => check_compressed(&name, &data, meta),
            }
            *seen.entry(kind).or_insert(0) += 1;
        }
        for kind in KINDS {
            assert!(
                seen.contains_key(kind),
                "{version}: no golden vector of kind {kind}"
            );
        }
        eprintln!("golden {version}: {seen:?}");
    }
}

#[test]
fn sys_flag_of_golden_legacy_zlib_means_zlib() {
    // A 4.9.3-era producer sets only COMPRESSED; the type bits 0 mean ZLIB.
    assert_eq!(
        SysFlag::COMPRESSED.compression_type(),
        Some(CompressionType::Zlib)
    );
}
