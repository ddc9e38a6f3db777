//! The properties a send stores, as Java's broker writes them.
//!
//! Java parses the header's properties into a `HashMap`, adds `CLUSTER` (and, depending on
//! the path, `UNIQ_KEY`, `DELAY`, `REAL_TOPIC`, and on 5.x `MSG_REGION` and `TRACE_ON`, ...) and writes the map back with
//! `messageProperties2String`, so a single message's stored properties come out in Java
//! hash order: a fresh [`Properties`] (built by inserting) reproduces it. 4.9.8's broker
//! drops `WAIT` before writing and writes no separator after the last entry; 5.x keeps
//! `WAIT`, ends every entry with a separator and removes a client's `POP_CK`.
//!
//! A batch message keeps its own properties bytes as sent, followed by the batch header's
//! properties plus `CLUSTER` (Java's batch encoder appends them, with a separator between
//! when the message's own properties do not end with one).

use std::sync::Arc;

use rocketmq::protocol::ProtocolFlavour;
use rocketmq::protocol::message::{PROPERTY_SEPARATOR, Properties, property};

/// The stored properties of a single send: the decoded header properties (the header's
/// own text, not copied), switched to Java hash order in place (what re-inserting them
/// into a fresh map gives, without a copy of every key and value). With them, the value
/// of the property the flavour drops (4.9.8 `WAIT`, 5.x `POP_CK`), if it was there.
pub(super) fn stored_properties(
    raw: Option<String>,
    flavour: ProtocolFlavour,
    cluster: Arc<str>,
) -> (Properties, Option<String>) {
    let mut props = Properties::decode_string(raw.unwrap_or_default()).into_java_order();
    let dropped = match flavour {
        ProtocolFlavour::V4 => property::WAIT,
        _ => property::POP_CK,
    };
    let dropped = props.remove(dropped);
    if flavour != ProtocolFlavour::V4 {
        // 5.x `buildMsgContext` adds the broker's region and trace switch to the header
        // properties before the message is built, so every single send stores both.
        props.insert_static(property::MSG_REGION, super::DEFAULT_REGION);
        props.insert_static(property::TRACE_ON, "true");
    }
    props.insert_shared(property::CLUSTER, cluster);
    props.set_trailing_separator(flavour != ProtocolFlavour::V4);
    (props, dropped)
}

/// The string Java appends to every message of a batch: the batch header's properties
/// plus `CLUSTER`, in Java hash order.
pub(super) fn batch_properties(
    header: &Properties,
    flavour: ProtocolFlavour,
    cluster: &str,
) -> String {
    let mut props = Properties::new();
    for (k, v) in header.iter() {
        props.insert(k, v);
    }
    props.insert(property::CLUSTER, cluster);
    props.set_trailing_separator(flavour != ProtocolFlavour::V4);
    props.encode()
}

/// A batch message's own properties followed by `extra`.
pub(super) fn append_properties(own: &Properties, extra: &str) -> Properties {
    let mut raw = own.encode();
    if !raw.is_empty() && !extra.is_empty() && !raw.ends_with(PROPERTY_SEPARATOR) {
        raw.push(PROPERTY_SEPARATOR);
    }
    raw.push_str(extra);
    Properties::decode(&raw)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_send_properties_per_flavour() {
        let raw = "UNIQ_KEY\u{1}ABC\u{2}WAIT\u{1}true\u{2}TAGS\u{1}t\u{2}POP_CK\u{1}x";
        let (v4, wait) = stored_properties(Some(raw.into()), ProtocolFlavour::V4, "C".into());
        assert_eq!(wait.as_deref(), Some("true"));
        assert_eq!(v4.get("WAIT"), None);
        assert_eq!(v4.get("CLUSTER"), Some("C"));
        assert_eq!(v4.get("POP_CK"), Some("x"));
        assert!(!v4.encode().ends_with('\u{2}'));
        let (v5, pop_ck) = stored_properties(Some(raw.into()), ProtocolFlavour::V5, "C".into());
        assert_eq!(pop_ck.as_deref(), Some("x"));
        assert_eq!(v5.get("WAIT"), Some("true"));
        assert_eq!(v5.get("POP_CK"), None);
        assert!(v5.encode().ends_with('\u{2}'));
        assert_eq!(v5.get("MSG_REGION"), Some("DefaultRegion"));
        assert_eq!(v5.get("TRACE_ON"), Some("true"));
        assert_eq!(v4.get("MSG_REGION"), None);
        let (none, dropped) = stored_properties(None, ProtocolFlavour::V5, "C".into());
        assert_eq!(dropped, None);
        assert_eq!(none.len(), 3);
        assert_eq!(none.get("CLUSTER"), Some("C"));
    }

    /// The way this module built them before: every decoded entry re-inserted into a
    /// fresh map.
    fn by_reinsertion(raw: &str, flavour: ProtocolFlavour, cluster: &str) -> Properties {
        let mut props = Properties::new();
        for (k, v) in Properties::decode(raw).iter() {
            let dropped = match flavour {
                ProtocolFlavour::V4 => k == property::WAIT,
                _ => k == property::POP_CK,
            };
            if !dropped {
                props.insert(k, v);
            }
        }
        if flavour != ProtocolFlavour::V4 {
            props.insert(property::MSG_REGION, super::super::DEFAULT_REGION);
            props.insert(property::TRACE_ON, "true");
        }
        props.insert(property::CLUSTER, cluster);
        props.set_trailing_separator(flavour != ProtocolFlavour::V4);
        props
    }

    #[test]
    fn single_send_properties_equal_reinsertion() {
        for raw in [
            "",
            "UNIQ_KEY\u{1}ABC\u{2}WAIT\u{1}true\u{2}TAGS\u{1}t\u{2}POP_CK\u{1}x",
            "WAIT\u{1}true\u{2}KEYS\u{1}k\u{2}UNIQ_KEY\u{1}7F00\u{2}CLUSTER\u{1}old\u{2}TRACE_ON\u{1}false\u{2}",
            "Aa\u{1}1\u{2}BB\u{1}2\u{2}MSG_REGION\u{1}r\u{2}k1\u{1}a\u{2}k2\u{1}b\u{2}k3\u{1}c\u{2}k4\u{1}d\u{2}k5\u{1}e\u{2}k6\u{1}f\u{2}k7\u{1}g\u{2}k8\u{1}h\u{2}k9\u{1}i",
        ] {
            for flavour in [ProtocolFlavour::V4, ProtocolFlavour::V5] {
                let (now, _) = stored_properties(Some(raw.into()), flavour, "C".into());
                let before = by_reinsertion(raw, flavour, "C");
                assert_eq!(now.encode(), before.encode(), "{raw:?} {flavour:?}");
            }
        }
    }

    #[test]
    fn batch_properties_are_appended() {
        let header = Properties::decode("WAIT\u{1}true");
        let extra = batch_properties(&header, ProtocolFlavour::V4, "C");
        assert!(extra.contains("WAIT\u{1}true") && extra.contains("CLUSTER\u{1}C"));
        let own = Properties::decode("UNIQ_KEY\u{1}A\u{2}TAGS\u{1}t");
        let all = append_properties(&own, &extra);
        assert_eq!(all.len(), 4);
        let enc = all.encode();
        assert!(
            enc.starts_with("UNIQ_KEY\u{1}A\u{2}TAGS\u{1}t\u{2}"),
            "{enc:?}"
        );
        let empty = append_properties(&Properties::new(), &extra);
        assert_eq!(empty.len(), 2);
    }
}
