//! Golden vectors of kind "command": whole frames written by Java's `RemotingCommand`
//! (4.9.8 and 5.x), decoded and checked field by field against the manifest's `meta`, then
//! re-encoded byte for byte where the vector is deterministic.
//!
//! The manifests live in `tests/golden/<java-version>/manifest.json`; this test fails when
//! either the 4.9.8 one or a 5.x one is missing.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point

use std::fs;

use bytes::BytesMut;
use rocketmq::codec::RemotingCodec;
use rocketmq::protocol::{ExtFieldsOrder, LanguageCode, RemotingCommand, SerializeType};
use serde_json::Value;
use tokio_util::codec::Decoder;

mod golden_util;
use golden_util::{base64, golden_root, manifest, versions};

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn as_i64(v: &Value, what: &str) -> i64 {
    v.as_i64()
        .unwrap_or_else(|| panic!("{what}: expected a number, got {v}"))
}

/// Checks every field of `meta` against the decoded command; returns how many it checked.
fn check_meta(
    name: &str,
    frame: &[u8],
    cmd: &RemotingCommand,
    meta: &serde_json::Map<String, Value>,
) -> usize {
    let mut checked = 0;
    for (key, want) in meta {
        let ctx = format!("{name}: {key}");
        match key.as_str() {
            "code" => assert_eq!(i64::from(cmd.code), as_i64(want, &ctx), "{ctx}"),
            "version" => assert_eq!(i64::from(cmd.version.0), as_i64(want, &ctx), "{ctx}"),
            "opaque" => assert_eq!(i64::from(cmd.opaque), as_i64(want, &ctx), "{ctx}"),
            "flag" => assert_eq!(i64::from(cmd.flag), as_i64(want, &ctx), "{ctx}"),
            "language" => match want {
                Value::String(s) => {
                    assert_eq!(Some(cmd.language), LanguageCode::from_name(s), "{ctx}")
                }
                Value::Number(_) => {
                    assert_eq!(i64::from(cmd.language.0), as_i64(want, &ctx), "{ctx}")
                }
                other => panic!("{ctx}: unexpected {other}"),
            },
            "remark" => assert_eq!(cmd.remark.as_deref(), want.as_str(), "{ctx}"),
            "extFields" => match want {
                Value::Null => assert!(
                    cmd.ext_fields.as_ref().is_none_or(|e| e.is_empty()),
                    "{ctx}: expected none, got {:?}",
                    cmd.ext_fields
                ),
                Value::Object(map) => {
                    let empty = Default::default();
                    let ext = cmd.ext_fields.as_ref().unwrap_or(&empty);
                    assert_eq!(ext.len(), map.len(), "{ctx}: {ext:?} vs {map:?}");
                    for (k, v) in map {
                        assert_eq!(ext.get(k), v.as_str(), "{ctx}.{k}");
                    }
                }
                other => panic!("{ctx}: unexpected {other}"),
            },
            "extFieldsPresent" => {
                assert_eq!(Some(cmd.ext_fields.is_some()), want.as_bool(), "{ctx}")
            }
            "serializeByte" => assert_eq!(
                i64::from(cmd.serialize_type.code()),
                as_i64(want, &ctx),
                "{ctx}"
            ),
            "extFieldsOrder" | "extFieldsKeys" => {
                let keys: Vec<&str> = cmd
                    .ext_fields
                    .iter()
                    .flat_map(|e| e.iter().map(|(k, _)| k))
                    .collect();
                let want: Vec<&str> = want
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|k| k.as_str().unwrap())
                    .collect();
                assert_eq!(keys, want, "{ctx}");
            }
            "serializeType" | "serializeTypeCurrentRPC" => {
                assert_eq!(
                    Some(cmd.serialize_type),
                    want.as_str().and_then(SerializeType::from_name),
                    "{ctx}"
                )
            }
            "isResponse" | "response" | "responseType" => {
                assert_eq!(Some(cmd.is_response()), want.as_bool(), "{ctx}")
            }
            "isOneway" | "oneway" | "onewayRPC" => {
                assert_eq!(Some(cmd.is_oneway()), want.as_bool(), "{ctx}")
            }
            "body" | "bodyBase64" => {
                let want = match want {
                    Value::Null => Vec::new(),
                    Value::String(s) => base64(s),
                    other => panic!("{ctx}: unexpected {other}"),
                };
                assert_eq!(&cmd.body[..], &want[..], "{ctx}");
            }
            "bodyHex" => assert_eq!(&cmd.body[..], &hex(want.as_str().unwrap())[..], "{ctx}"),
            "bodyText" | "bodyUtf8" => {
                assert_eq!(std::str::from_utf8(&cmd.body).ok(), want.as_str(), "{ctx}")
            }
            "bodyLength" | "bodyLen" => {
                assert_eq!(cmd.body.len() as i64, as_i64(want, &ctx), "{ctx}")
            }
            "headerLength" => assert_eq!(
                i64::from(u32::from_be_bytes(frame[4..8].try_into().unwrap()) & 0xFF_FFFF),
                as_i64(want, &ctx),
                "{ctx}"
            ),
            "totalLength" => assert_eq!(
                i64::from(u32::from_be_bytes(frame[..4].try_into().unwrap())),
                as_i64(want, &ctx),
                "{ctx}"
            ),
            "note" | "description" => continue,
            other => panic!("{name}: meta field {other:?} is not checked by this test; teach it"),
        }
        checked += 1;
    }
    checked
}

fn assert_reencodes(name: &str, cmd: &RemotingCommand, order: ExtFieldsOrder, java: &[u8]) {
    let mut out = BytesMut::new();
    cmd.encode_with(&mut out, order)
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    assert!(
        out[..] == java[..],
        "{name}: re-encoding with {order:?} differs:\n ours: {:?}\njava: {:?}",
        String::from_utf8_lossy(&out),
        String::from_utf8_lossy(java)
    );
}

#[test]
fn golden_commands_decode_and_reencode() {
    let mut total = 0;
    for version in versions() {
        let manifest = manifest(&version);
        let vectors = manifest["vectors"].as_array().expect("vectors array");
        let mut seen = 0;
        let mut reencoded = 0;
        let mut hash_ordered = std::collections::BTreeMap::<usize, usize>::new();
        for v in vectors.iter().filter(|v| v["kind"] == "command") {
            let name = format!("{version}/{}", v["name"].as_str().unwrap_or("?"));
            let file = golden_root()
                .join(&version)
                .join(v["file"].as_str().expect("file"));
            let bytes = fs::read(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));

            // Through the codec, exactly as a connection would read it.
            let mut src = BytesMut::from(&bytes[..]);
            let cmd = RemotingCodec::new()
                .decode(&mut src)
                .unwrap_or_else(|e| panic!("{name}: {e}"))
                .unwrap_or_else(|| panic!("{name}: incomplete frame"));
            assert!(
                src.is_empty(),
                "{name}: {} bytes after the frame",
                src.len()
            );
            assert_eq!(
                cmd.serialize_type.code(),
                bytes[4],
                "{name}: serialize type"
            );

            let meta = v["meta"]
                .as_object()
                .unwrap_or_else(|| panic!("{name}: no meta"));
            let checked = check_meta(&name, &bytes, &cmd, meta);
            assert!(checked > 0, "{name}: meta checked nothing");

            if v["deterministic"] == Value::Bool(true) {
                // Decoding keeps the wire order, so re-encoding it as is gives Java's bytes.
                assert_reencodes(&name, &cmd, ExtFieldsOrder::Insertion, &bytes);
                // Java's `fastEncodeHeader` writes fast-coded headers in field order; every
                // other vector must come out of our Java `HashMap` ordering unaided.
                let fast_coded = v["meta"]["note"]
                    .as_str()
                    .is_some_and(|n| n.contains("fastEncodeHeader"));
                if !fast_coded {
                    // The map's initial capacity is 16 (`new HashMap<>()`), except in Java
                    // 5.x when the first entry came from `addExtField`, which creates the
                    // map with capacity 256 (the broker adds MSG_REGION and TRACE_ON to
                    // send responses that way). 4.9.8 always uses 16.
                    let capacities: &[usize] = if version.starts_with("4.") {
                        &[16]
                    } else {
                        &[16, 256]
                    };
                    let hit = capacities.iter().find(|&&c| {
                        let mut out = BytesMut::new();
                        let order = ExtFieldsOrder::JavaHashMap {
                            initial_capacity: c,
                        };
                        cmd.encode_with(&mut out, order).is_ok() && out[..] == bytes[..]
                    });
                    match hit {
                        Some(&c) => *hash_ordered.entry(c).or_insert(0) += 1,
                        None => assert_reencodes(&name, &cmd, ExtFieldsOrder::default(), &bytes),
                    }
                }
                reencoded += 1;
            }
            seen += 1;
        }
        assert!(seen > 0, "{version}: no command vectors in the manifest");
        println!(
            "{version}: {seen} command vectors decoded, {reencoded} re-encoded byte for byte, \
             from Java HashMap key order (by initial capacity: {hash_ordered:?})"
        );
        total += seen;
    }
    assert!(total > 0);
}
