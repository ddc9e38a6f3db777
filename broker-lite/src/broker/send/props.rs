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

use rocketmq::protocol::ProtocolFlavour;
use rocketmq::protocol::message::{PROPERTY_SEPARATOR, Properties, property};

/// The stored properties of a single send.
pub(super) fn stored_properties(
    raw: Option<&str>,
    flavour: ProtocolFlavour,
    cluster: &str,
) -> Properties {
    let decoded = Properties::decode(raw.unwrap_or(""));
    let mut props = Properties::new();
    for (k, v) in decoded.iter() {
        let dropped = match flavour {
            ProtocolFlavour::V4 => k == property::WAIT,
            _ => k == property::POP_CK,
        };
        if !dropped {
            props.insert(k, v);
        }
    }
    if flavour != ProtocolFlavour::V4 {
        // 5.x `buildMsgContext` adds the broker's region and trace switch to the header
        // properties before the message is built, so every single send stores both.
        props.insert(property::MSG_REGION, super::DEFAULT_REGION);
        props.insert(property::TRACE_ON, "true");
    }
    props.insert(property::CLUSTER, cluster);
    props.set_trailing_separator(flavour != ProtocolFlavour::V4);
    props
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
        let v4 = stored_properties(Some(raw), ProtocolFlavour::V4, "C");
        assert_eq!(v4.get("WAIT"), None);
        assert_eq!(v4.get("CLUSTER"), Some("C"));
        assert_eq!(v4.get("POP_CK"), Some("x"));
        assert!(!v4.encode().ends_with('\u{2}'));
        let v5 = stored_properties(Some(raw), ProtocolFlavour::V5, "C");
        assert_eq!(v5.get("WAIT"), Some("true"));
        assert_eq!(v5.get("POP_CK"), None);
        assert!(v5.encode().ends_with('\u{2}'));
        assert_eq!(v5.get("MSG_REGION"), Some("DefaultRegion"));
        assert_eq!(v5.get("TRACE_ON"), Some("true"));
        assert_eq!(v4.get("MSG_REGION"), None);
        let none = stored_properties(None, ProtocolFlavour::V5, "C");
        assert_eq!(none.len(), 3);
        assert_eq!(none.get("CLUSTER"), Some("C"));
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
