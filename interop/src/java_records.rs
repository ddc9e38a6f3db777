//! What our Java client programs (`interop/java/tools`: `Produce`, `PushConsume`, `QueryMsg`)
//! print, one JSON object a line, and the checks tests make on it.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::{Deserialize, Deserializer};

/// One message the Java producer (`Produce`) handed to the broker.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SentMessage {
    /// Index of the message in the run (also its `idx` user property).
    pub index: usize,
    /// `SendStatus` name (`SEND_OK`, ...) or `ONEWAY` for a one-way send.
    pub status: String,
    /// The client's unique id (`UNIQ_KEY`).
    pub msg_id: String,
    /// The broker's offset message id (none for one-way sends).
    pub offset_msg_id: Option<String>,
    /// The broker that took it (none for one-way sends).
    pub broker_name: Option<String>,
    /// Queue it went to (-1 for one-way sends).
    pub queue_id: i32,
    /// Its offset in that queue (-1 for one-way sends).
    pub queue_offset: i64,
    /// Topic.
    pub topic: String,
    /// Client clock just before the send, ms since the epoch.
    pub sent_at: i64,
    /// The body bytes.
    #[serde(deserialize_with = "hex_bytes")]
    pub body: Vec<u8>,
    /// Tags, if set.
    pub tags: Option<String>,
    /// Keys, if set (space-separated).
    pub keys: Option<String>,
    /// Delay level set on the message (0: none).
    pub delay_level: i32,
    /// The user properties set on the message (including `idx`).
    pub user_properties: BTreeMap<String, String>,
    /// The ordering key (orderly mode).
    #[serde(default)]
    pub order_key: Option<String>,
    /// This message's part of the batch `SendResult` msg id (batch mode).
    #[serde(default)]
    pub batch_msg_id: Option<String>,
    /// This message's part of the batch `SendResult` offset msg id (batch mode).
    #[serde(default)]
    pub batch_offset_msg_id: Option<String>,
}

/// A message as the Java client received it (`MessageExt`), from a delivery or a query.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReceivedMessage {
    /// `getMsgId()`: the unique id when the message has one.
    pub msg_id: String,
    /// The broker's offset message id.
    pub offset_msg_id: Option<String>,
    /// Topic (the client puts the original topic back on retried messages).
    pub topic: String,
    /// Queue id in the topic it was read from.
    pub queue_id: i32,
    /// Offset in that queue.
    pub queue_offset: i64,
    /// Commit log offset.
    pub commit_log_offset: i64,
    /// Times it was handed back for re-consumption.
    pub reconsume_times: i32,
    /// System flags as the client saw them.
    pub sys_flag: i32,
    /// Body CRC the broker stored.
    pub body_crc: i32,
    /// Body bytes (after the client decompressed them).
    #[serde(deserialize_with = "hex_bytes")]
    pub body: Vec<u8>,
    /// Tags.
    pub tags: Option<String>,
    /// Keys.
    pub keys: Option<String>,
    /// Store time, ms.
    pub store_timestamp: i64,
    /// Born time (client clock at send), ms.
    pub born_timestamp: i64,
    /// Born host as the client saw it.
    pub born_host: String,
    /// Store host (`/ip:port`).
    pub store_host: Option<String>,
    /// The `DELAY` property as a level (0 if none).
    pub delay_level: i32,
    /// Every property.
    pub properties: BTreeMap<String, String>,
}

/// One message handed to the push consumer's listener.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Delivery {
    /// The consumer instance name.
    pub instance: String,
    /// Consumer clock when the listener ran, ms.
    pub arrived_at: i64,
    /// What the listener returned (`CONSUME_SUCCESS`, `RECONSUME_LATER`, `SUCCESS`, ...).
    pub status: String,
    /// Topic of the queue it was pulled from (`%RETRY%<group>` for retries).
    pub mq_topic: String,
    /// Broker of that queue.
    pub mq_broker: String,
    /// Queue id of that queue.
    pub mq_queue_id: i32,
    /// The message.
    pub message: ReceivedMessage,
    /// The consume thread.
    pub thread: String,
}

/// One rebalance result of a push consumer.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Allocation {
    /// Consumer clock, ms.
    pub at: i64,
    /// The consumer instance name.
    pub instance: String,
    /// The topic rebalanced (none if it had no queues).
    pub topic: Option<String>,
    /// This consumer's client id.
    #[serde(rename = "self")]
    pub self_id: String,
    /// Every client id of the group the broker listed.
    pub cids: Vec<String>,
    /// Number of queues of the topic.
    pub all: usize,
    /// The queues given to this consumer, `broker:queueId`.
    pub mine: Vec<String>,
}

/// One line of `PushConsume` output.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(tag = "event", rename_all = "lowercase")]
pub enum ConsumerEvent {
    /// The consumer started.
    Ready {
        /// Instance name.
        instance: String,
        /// Client id (`ip@instance`).
        #[serde(rename = "clientId")]
        client_id: String,
    },
    /// A rebalance.
    Allocate(Allocation),
    /// A delivery.
    Msg(Box<Delivery>),
    /// The last line.
    Done {
        /// Instance name.
        instance: String,
        /// Deliveries seen.
        deliveries: usize,
        /// Whether the expected count was reached (or stop was asked).
        reached: bool,
    },
}

/// Every difference between what was sent and what a consumer received for it: body,
/// keys, tags and each user property must be identical. Empty when they match.
pub fn message_mismatches(sent: &SentMessage, got: &ReceivedMessage) -> Vec<String> {
    let mut out = Vec::new();
    if sent.body != got.body {
        out.push(format!(
            "body: sent {} bytes {}, got {} bytes {}",
            sent.body.len(),
            hex_prefix(&sent.body),
            got.body.len(),
            hex_prefix(&got.body)
        ));
    }
    if sent.keys != got.keys {
        out.push(format!("keys: sent {:?}, got {:?}", sent.keys, got.keys));
    }
    if sent.tags != got.tags {
        out.push(format!("tags: sent {:?}, got {:?}", sent.tags, got.tags));
    }
    for (k, v) in &sent.user_properties {
        if got.properties.get(k) != Some(v) {
            out.push(format!(
                "property {k}: sent {v:?}, got {:?}",
                got.properties.get(k)
            ));
        }
    }
    if got.properties.get("UNIQ_KEY") != Some(&sent.msg_id) {
        out.push(format!(
            "UNIQ_KEY: sent {:?}, got {:?}",
            sent.msg_id,
            got.properties.get("UNIQ_KEY")
        ));
    }
    out
}

/// Checks that every sent message was delivered exactly once (by unique id, among
/// deliveries that were not retries) with identical content; returns a report of every
/// problem, or `Ok` when there is none.
pub fn check_each_once(sent: &[SentMessage], got: &[Delivery]) -> Result<(), String> {
    let mut report = String::new();
    let mut by_id: BTreeMap<&str, Vec<&Delivery>> = BTreeMap::new();
    for d in got {
        by_id.entry(d.message.msg_id.as_str()).or_default().push(d);
    }
    for s in sent {
        match by_id.remove(s.msg_id.as_str()) {
            None => {
                let _ = writeln!(report, "message {} ({}) never delivered", s.index, s.msg_id);
            }
            Some(ds) => {
                if ds.len() > 1 {
                    let _ = writeln!(
                        report,
                        "message {} ({}) delivered {} times",
                        s.index,
                        s.msg_id,
                        ds.len()
                    );
                }
                for m in message_mismatches(s, &ds[0].message) {
                    let _ = writeln!(report, "message {} ({}): {m}", s.index, s.msg_id);
                }
            }
        }
    }
    for id in by_id.keys() {
        let _ = writeln!(report, "delivered {id}, which was not sent");
    }
    if report.is_empty() {
        Ok(())
    } else {
        Err(report)
    }
}

fn hex_prefix(bytes: &[u8]) -> String {
    let mut s = String::new();
    for b in bytes.iter().take(24) {
        let _ = write!(s, "{b:02x}");
    }
    if bytes.len() > 24 {
        s.push_str("..");
    }
    s
}

pub(crate) fn hex_bytes<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
    let text: Option<String> = Option::deserialize(d)?;
    let text = text.unwrap_or_default();
    decode_hex(&text).ok_or_else(|| serde::de::Error::custom(format!("bad hex {text:?}")))
}

fn decode_hex(text: &str) -> Option<Vec<u8>> {
    let digits = text.as_bytes();
    if !digits.len().is_multiple_of(2) {
        return None;
    }
    digits
        .chunks(2)
        .map(|pair| {
            let hi = char::from(pair[0]).to_digit(16)?;
            let lo = char::from(pair[1]).to_digit(16)?;
            u8::try_from(hi * 16 + lo).ok()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trip_and_rejects() {
        assert_eq!(decode_hex("00ff7f80"), Some(vec![0, 255, 127, 128]));
        assert_eq!(decode_hex(""), Some(vec![]));
        assert_eq!(decode_hex("0"), None);
        assert_eq!(decode_hex("zz"), None);
    }

    #[test]
    fn parses_consumer_events() {
        let line = r#"{"event":"msg","instance":"i","arrivedAt":5,"status":"CONSUME_SUCCESS","mqTopic":"T","mqBroker":"b","mqQueueId":1,"message":{"msgId":"A","offsetMsgId":"B","topic":"T","queueId":1,"queueOffset":2,"commitLogOffset":3,"reconsumeTimes":0,"sysFlag":0,"bodyCrc":7,"body":"6869","tags":"t","keys":null,"storeTimestamp":1,"bornTimestamp":1,"bornHost":"127.0.0.1","storeHost":"/127.0.0.1:1","delayLevel":0,"properties":{"UNIQ_KEY":"A","x":"y"}},"thread":"t1"}"#;
        let ev: ConsumerEvent = serde_json::from_str(line).unwrap();
        let ConsumerEvent::Msg(d) = ev else {
            panic!("not a delivery: {ev:?}")
        };
        assert_eq!(d.message.body, b"hi");
        assert_eq!(d.message.keys, None);
        let done: ConsumerEvent = serde_json::from_str(
            r#"{"event":"done","instance":"i","deliveries":3,"reached":true}"#,
        )
        .unwrap();
        assert!(matches!(done, ConsumerEvent::Done { deliveries: 3, .. }));
    }

    #[test]
    fn mismatches_name_each_difference() {
        let sent = SentMessage {
            index: 0,
            status: "SEND_OK".into(),
            msg_id: "A".into(),
            offset_msg_id: None,
            broker_name: None,
            queue_id: 0,
            queue_offset: 0,
            topic: "T".into(),
            sent_at: 0,
            body: b"hi".to_vec(),
            tags: Some("t".into()),
            keys: Some("k".into()),
            delay_level: 0,
            user_properties: BTreeMap::from([("x".into(), "y".into())]),
            order_key: None,
            batch_msg_id: None,
            batch_offset_msg_id: None,
        };
        let mut got = ReceivedMessage {
            msg_id: "A".into(),
            offset_msg_id: None,
            topic: "T".into(),
            queue_id: 0,
            queue_offset: 0,
            commit_log_offset: 0,
            reconsume_times: 0,
            sys_flag: 0,
            body_crc: 0,
            body: b"hi".to_vec(),
            tags: Some("t".into()),
            keys: Some("k".into()),
            store_timestamp: 0,
            born_timestamp: 0,
            born_host: String::new(),
            store_host: None,
            delay_level: 0,
            properties: BTreeMap::from([("x".into(), "y".into()), ("UNIQ_KEY".into(), "A".into())]),
        };
        assert!(message_mismatches(&sent, &got).is_empty());
        got.body = b"ho".to_vec();
        got.properties.remove("x");
        let m = message_mismatches(&sent, &got);
        assert_eq!(m.len(), 2, "{m:?}");
    }
}
