//! serde bridge tests: typed values to fastjson bytes and back.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::*;
use crate::Error;
use crate::protocol::MessageQueue;

#[derive(Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Bean {
    zeta: i32,
    alpha: Option<String>,
    #[serde(rename = "clientID")]
    client_id: String,
    kind: Kind,
    ratio: f64,
    #[serde(default)]
    table: BTreeMap<MessageQueue, i64>,
    #[serde(default)]
    ids: BTreeMap<i64, String>,
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
#[allow(clippy::upper_case_acronyms)]
enum Kind {
    #[serde(rename = "CLUSTERING")]
    Clustering,
}

fn mq(topic: &str, broker: &str, id: i32) -> MessageQueue {
    MessageQueue {
        topic: topic.into(),
        broker_name: broker.into(),
        queue_id: id,
    }
}

#[test]
fn bean_fields_sorted_nulls_left_out_keys_typed() {
    let bean = Bean {
        zeta: 1,
        alpha: None,
        client_id: "c".into(),
        kind: Kind::Clustering,
        ratio: 2.0,
        table: [(mq("t", "b", 1), 5), (mq("t", "b", 0), 7)].into(),
        ids: [(10, "x".into()), (2, "y".into())].into(),
    };
    let bytes = to_vec(&bean).unwrap();
    assert_eq!(
        String::from_utf8(bytes.clone()).unwrap(),
        concat!(
            r#"{"clientID":"c","ids":{2:"y",10:"x"},"kind":"CLUSTERING","ratio":2.0,"#,
            r#""table":{{"brokerName":"b","queueId":0,"topic":"t"}:7,"#,
            r#"{"brokerName":"b","queueId":1,"topic":"t"}:5},"zeta":1}"#
        )
    );
    let back: Bean = from_slice(&bytes).unwrap();
    assert_eq!(back, bean);
}

#[test]
fn lenient_scalars() {
    // Quoted longs (BrowserCompatible), string keys for numbers, 0/1 booleans.
    let bean: Bean = from_slice(
        br#"{"zeta":"3","clientID":12,"kind":"CLUSTERING","ratio":"1.5","ids":{"7":"s"},"alpha":null}"#,
    )
    .unwrap();
    assert_eq!(bean.zeta, 3);
    assert_eq!(bean.client_id, "12");
    assert_eq!(bean.ratio, 1.5);
    assert_eq!(bean.ids[&7], "s");
    assert_eq!(bean.alpha, None);
    let flag: BTreeMap<String, bool> = from_slice(br#"{"a":1,"b":"false"}"#).unwrap();
    assert!(flag["a"]);
    assert!(!flag["b"]);
}

#[test]
fn type_errors_are_json_errors() {
    let cases: &[&[u8]] = &[
        br#"{"zeta":"x","clientID":"c","kind":"CLUSTERING","ratio":1}"#,
        br#"{"zeta":99999999999,"clientID":"c","kind":"CLUSTERING","ratio":1}"#,
        br#"{"zeta":1,"clientID":"c","kind":"NOPE","ratio":1}"#,
        br#"{"zeta":1,"clientID":[],"kind":"CLUSTERING","ratio":1}"#,
        br#"{"zeta":1,"clientID":"c","kind":"CLUSTERING","ratio":1e999}"#,
        br#"{"zeta":1,"clientID":"c","kind":"CLUSTERING"}"#,
        br#"{"zeta":1,"clientID":"c","kind":"CLUSTERING","ratio":1,"table":{"x":1}}"#,
        br#"[1]"#,
        br#"{"zeta":123456789012345678901234567890}"#,
    ];
    for input in cases {
        let r: Result<Bean> = from_slice(input);
        assert!(
            matches!(r, Err(Error::Json(_))),
            "{}",
            String::from_utf8_lossy(input)
        );
    }
}

#[test]
fn json_value_passes_through_serde() {
    let doc = br#"{"a":[1,2.5,"s",true],0:{"x":1},{"topic":"t"}:"mq"}"#;
    let v = parse(doc).unwrap();
    let via: JsonValue = from_value(v.clone()).unwrap();
    assert_eq!(via, v);
    assert_eq!(to_value(&v).unwrap(), v);
    assert_eq!(write(&v, WriteOptions::FASTJSON), doc);
}

#[test]
fn non_finite_doubles_drop_out_like_nulls() {
    #[derive(Serialize)]
    struct S {
        a: f64,
        b: f64,
    }
    let bytes = to_vec(&S {
        a: f64::NAN,
        b: 0.25,
    })
    .unwrap();
    assert_eq!(bytes, br#"{"b":0.25}"#);
}

mod properties {
    use proptest::prelude::*;

    use super::super::*;

    fn key() -> impl Strategy<Value = JsonValue> {
        prop_oneof![
            any::<String>().prop_map(JsonValue::String),
            any::<i64>().prop_map(JsonValue::from),
            (any::<String>(), any::<i32>()).prop_map(|(topic, id)| JsonValue::Object(vec![
                ("queueId".into(), id.into()),
                ("topic".into(), topic.into()),
            ])),
        ]
    }

    fn value() -> impl Strategy<Value = JsonValue> {
        let leaf = prop_oneof![
            Just(JsonValue::Null),
            any::<bool>().prop_map(JsonValue::Bool),
            any::<i64>().prop_map(JsonValue::from),
            any::<u64>().prop_map(|v| JsonValue::Number(match i64::try_from(v) {
                Ok(v) => Number::Int(v),
                Err(_) => Number::UInt(v),
            })),
            any::<f64>()
                .prop_filter("finite", |f| f.is_finite())
                .prop_map(JsonValue::from),
            any::<String>().prop_map(JsonValue::String),
        ];
        leaf.prop_recursive(4, 64, 8, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..8).prop_map(JsonValue::Array),
                prop::collection::vec((key(), inner), 0..8).prop_map(JsonValue::Object),
            ]
        })
    }

    proptest! {
        #[test]
        fn write_then_parse_is_identity(v in value()) {
            let bytes = write(&v, WriteOptions::FASTJSON);
            prop_assert_eq!(parse(&bytes).unwrap(), v.clone());
            // Standard output is plain JSON that serde_json accepts.
            let std_bytes = write(&v, WriteOptions::STANDARD);
            prop_assert!(serde_json::from_slice::<serde_json::Value>(&std_bytes).is_ok());
        }

        #[test]
        fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
            let _ = parse(&bytes);
        }

        #[test]
        fn mutated_documents_never_panic(
            cut in 0usize..200,
            flip in 0usize..200,
            byte in any::<u8>(),
        ) {
            let mut doc = br#"{"offsetTable":{{"brokerName":"b","queueId":0,"topic":"t"}:{"brokerOffset":1,"consumerOffset":0,"lastTimestamp":2}},"consumeTps":1.5,"x":["\u00e9",'s',0:1]}"#.to_vec();
            if flip < doc.len() {
                doc[flip] = byte;
            }
            doc.truncate(cut.max(1));
            if let Ok(v) = parse(&doc) {
                let _ = from_value::<crate::protocol::body::ConsumeStats>(v);
            }
        }
    }
}
