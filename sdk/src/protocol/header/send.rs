//! Producer headers: `SEND_MESSAGE`, `SEND_MESSAGE_V2`, `SEND_BATCH_MESSAGE`, `SEND_REPLY_MESSAGE`,
//! `CONSUMER_SEND_MSG_BACK` and 5.x `RECALL_MESSAGE`.

use super::value::HeaderValue;
use crate::protocol::ExtFields;

command_header! {
    /// `SendMessageRequestHeader`: the long-named send header (`SEND_MESSAGE`, and the
    /// broker's internal form of V2).
    ///
    /// 4.9.x declares `unitMode`/`batch` as primitives (always sent); 5.x as nullable
    /// `Boolean`s. We always send them, which both accept.
    pub struct SendMessageRequestHeader {
        /// Producer group (`producerGroup`).
        pub producer_group: String => "producerGroup",
        /// Topic (`topic`).
        pub topic: String => "topic",
        /// Template topic for auto-creation, usually `TBW102` (`defaultTopic`).
        pub default_topic: String => "defaultTopic",
        /// Queue count for an auto-created topic (`defaultTopicQueueNums`).
        pub default_topic_queue_nums: i32 => "defaultTopicQueueNums",
        /// Target queue id (`queueId`).
        pub queue_id: i32 => "queueId",
        /// Message system flags (`sysFlag`).
        pub sys_flag: i32 => "sysFlag",
        /// Born time in milliseconds since the epoch (`bornTimestamp`).
        pub born_timestamp: i64 => "bornTimestamp",
        /// User flag (`flag`).
        pub flag: i32 => "flag",
        /// Encoded message properties (`properties`).
        pub properties: Option<String> => "properties",
        /// Times the message has been reconsumed; set on retries (`reconsumeTimes`).
        pub reconsume_times: Option<i32> => "reconsumeTimes",
        /// Unit mode (`unitMode`).
        pub unit_mode: bool => "unitMode" = false,
        /// Whether the body is a batch (`batch`).
        pub batch: bool => "batch" = false,
        /// Maximum reconsume times for retries (`maxReconsumeTimes`).
        pub max_reconsume_times: Option<i32> => "maxReconsumeTimes",
    }
    + rpc
}

command_header! {
    /// `SendMessageRequestHeaderV2`: the same fields as [`SendMessageRequestHeader`] under
    /// single-letter keys `a`..`n` (`SEND_MESSAGE_V2`, `SEND_BATCH_MESSAGE`), which is what
    /// Java producers send. Convert with `From` in either direction.
    ///
    /// Java's V2 inherits the RPC fields too, but its fast decoder only reads `a`..`n`, so
    /// they are not carried here; the broker name travels as `n`.
    pub struct SendMessageRequestHeaderV2 {
        /// Producer group (`a`).
        pub producer_group: String => "a",
        /// Topic (`b`).
        pub topic: String => "b",
        /// Template topic for auto-creation (`c`).
        pub default_topic: String => "c",
        /// Queue count for an auto-created topic (`d`).
        pub default_topic_queue_nums: i32 => "d",
        /// Target queue id (`e`).
        pub queue_id: i32 => "e",
        /// Message system flags (`f`).
        pub sys_flag: i32 => "f",
        /// Born time in milliseconds since the epoch (`g`).
        pub born_timestamp: i64 => "g",
        /// User flag (`h`).
        pub flag: i32 => "h",
        /// Encoded message properties (`i`).
        pub properties: Option<String> => "i",
        /// Reconsume times (`j`).
        pub reconsume_times: Option<i32> => "j",
        /// Unit mode (`k`).
        pub unit_mode: bool => "k" = false,
        /// Maximum reconsume times (`l`).
        pub max_reconsume_times: Option<i32> => "l",
        /// Whether the body is a batch (`m`).
        pub batch: bool => "m" = false,
        /// Target broker name (`n`; `bname` in the long form).
        pub broker_name: Option<String> => "n",
    }
}

/// The fields of a [`SendMessageRequestHeaderV2`] borrowed from where they already live:
/// the producer writes its send requests from this, without copying group, topic,
/// properties and broker name into an owned header first. Writes exactly what the owned
/// header writes, in the same order.
#[derive(Clone, Copy, Debug)]
pub(crate) struct SendMessageRequestHeaderV2Ref<'a> {
    pub(crate) producer_group: &'a str,
    pub(crate) topic: &'a str,
    pub(crate) default_topic: &'a str,
    pub(crate) default_topic_queue_nums: i32,
    pub(crate) queue_id: i32,
    pub(crate) sys_flag: i32,
    pub(crate) born_timestamp: i64,
    pub(crate) flag: i32,
    pub(crate) properties: Option<&'a str>,
    pub(crate) reconsume_times: Option<i32>,
    pub(crate) unit_mode: bool,
    pub(crate) max_reconsume_times: Option<i32>,
    pub(crate) batch: bool,
    pub(crate) broker_name: Option<&'a str>,
}

impl SendMessageRequestHeaderV2Ref<'_> {
    /// The `extFields` of the header, sized for it up front.
    pub(crate) fn to_ext_fields(self) -> ExtFields {
        let strings = self.producer_group.len()
            + self.topic.len()
            + self.default_topic.len()
            + self.properties.map_or(0, str::len)
            + self.broker_name.map_or(0, str::len);
        // 14 one-letter keys, and at most 20 digits or 5 letters for each other value.
        let mut ext = ExtFields::with_capacity(14, strings + 14 + 9 * 20);
        // The keys are distinct and the map is empty: no need to look for them.
        self.write(&mut ext, true);
        ext
    }

    /// Writes the fields as [`SendMessageRequestHeaderV2`]'s `write_to` does (into a map
    /// that may hold entries already).
    #[cfg(test)]
    pub(crate) fn write_to(&self, ext: &mut ExtFields) {
        self.write(ext, false);
    }

    /// Writes every present field in the order of the owned header's fields, appending
    /// when `fresh` (an empty map) and inserting otherwise.
    fn write(&self, ext: &mut ExtFields, fresh: bool) {
        use Field::{Bool, Int, Str};
        let fields = [
            ("a", Some(Str(self.producer_group))),
            ("b", Some(Str(self.topic))),
            ("c", Some(Str(self.default_topic))),
            ("d", Some(Int(self.default_topic_queue_nums.into()))),
            ("e", Some(Int(self.queue_id.into()))),
            ("f", Some(Int(self.sys_flag.into()))),
            ("g", Some(Int(self.born_timestamp))),
            ("h", Some(Int(self.flag.into()))),
            ("i", self.properties.map(Str)),
            ("j", self.reconsume_times.map(|n| Int(n.into()))),
            ("k", Some(Bool(self.unit_mode))),
            ("l", self.max_reconsume_times.map(|n| Int(n.into()))),
            ("m", Some(Bool(self.batch))),
            ("n", self.broker_name.map(Str)),
        ];
        for (key, field) in fields {
            let Some(field) = field else { continue };
            ext.put_with(key, fresh, |out: &mut String| field.write(out));
        }
    }
}

/// One value of a borrowed header, written as the owned header's field type writes it.
#[derive(Clone, Copy)]
enum Field<'a> {
    Str(&'a str),
    Int(i64),
    Bool(bool),
}

impl Field<'_> {
    fn write(self, out: &mut String) {
        match self {
            Field::Str(s) => out.push_str(s),
            // Java's `String.valueOf` of an int and of a long are the same digits.
            Field::Int(n) => n.write_field(out),
            Field::Bool(b) => b.write_field(out),
        }
    }
}

impl<'a> From<&'a SendMessageRequestHeaderV2> for SendMessageRequestHeaderV2Ref<'a> {
    fn from(h: &'a SendMessageRequestHeaderV2) -> Self {
        SendMessageRequestHeaderV2Ref {
            producer_group: &h.producer_group,
            topic: &h.topic,
            default_topic: &h.default_topic,
            default_topic_queue_nums: h.default_topic_queue_nums,
            queue_id: h.queue_id,
            sys_flag: h.sys_flag,
            born_timestamp: h.born_timestamp,
            flag: h.flag,
            properties: h.properties.as_deref(),
            reconsume_times: h.reconsume_times,
            unit_mode: h.unit_mode,
            max_reconsume_times: h.max_reconsume_times,
            batch: h.batch,
            broker_name: h.broker_name.as_deref(),
        }
    }
}

impl From<SendMessageRequestHeaderV2> for SendMessageRequestHeader {
    fn from(v2: SendMessageRequestHeaderV2) -> Self {
        SendMessageRequestHeader {
            producer_group: v2.producer_group,
            topic: v2.topic,
            default_topic: v2.default_topic,
            default_topic_queue_nums: v2.default_topic_queue_nums,
            queue_id: v2.queue_id,
            sys_flag: v2.sys_flag,
            born_timestamp: v2.born_timestamp,
            flag: v2.flag,
            properties: v2.properties,
            reconsume_times: v2.reconsume_times,
            unit_mode: v2.unit_mode,
            batch: v2.batch,
            max_reconsume_times: v2.max_reconsume_times,
            rpc: super::RpcFields {
                broker_name: v2.broker_name,
                ..Default::default()
            },
        }
    }
}

impl From<SendMessageRequestHeader> for SendMessageRequestHeaderV2 {
    /// The RPC fields other than `bname` have no V2 key and are dropped, as in Java.
    fn from(v1: SendMessageRequestHeader) -> Self {
        SendMessageRequestHeaderV2 {
            producer_group: v1.producer_group,
            topic: v1.topic,
            default_topic: v1.default_topic,
            default_topic_queue_nums: v1.default_topic_queue_nums,
            queue_id: v1.queue_id,
            sys_flag: v1.sys_flag,
            born_timestamp: v1.born_timestamp,
            flag: v1.flag,
            properties: v1.properties,
            reconsume_times: v1.reconsume_times,
            unit_mode: v1.unit_mode,
            max_reconsume_times: v1.max_reconsume_times,
            batch: v1.batch,
            broker_name: v1.rpc.broker_name,
        }
    }
}

command_header! {
    /// `SendMessageResponseHeader`: where a sent message was stored.
    pub struct SendMessageResponseHeader {
        /// Offset message id of the stored message (`msgId`).
        pub msg_id: String => "msgId",
        /// Queue the message went to (`queueId`).
        pub queue_id: i32 => "queueId",
        /// Logical offset in that queue (`queueOffset`).
        pub queue_offset: i64 => "queueOffset",
        /// Transaction id, for half messages (`transactionId`).
        pub transaction_id: Option<String> => "transactionId",
        /// Unique ids of a batch, comma separated (`batchUniqId`; 5.x).
        pub batch_uniq_id: Option<String> => "batchUniqId",
        /// Handle to recall a timer message (`recallHandle`; 5.3).
        pub recall_handle: Option<String> => "recallHandle",
    }
}

command_header! {
    /// `ReplyMessageRequestHeader` (`SEND_REPLY_MESSAGE`, `SEND_REPLY_MESSAGE_V2`).
    pub struct ReplyMessageRequestHeader {
        /// Producer group (`producerGroup`).
        pub producer_group: String => "producerGroup",
        /// Topic (`topic`).
        pub topic: String => "topic",
        /// Template topic (`defaultTopic`).
        pub default_topic: String => "defaultTopic",
        /// Queue count for an auto-created topic (`defaultTopicQueueNums`).
        pub default_topic_queue_nums: i32 => "defaultTopicQueueNums",
        /// Queue id (`queueId`).
        pub queue_id: i32 => "queueId",
        /// Message system flags (`sysFlag`).
        pub sys_flag: i32 => "sysFlag",
        /// Born time, milliseconds (`bornTimestamp`).
        pub born_timestamp: i64 => "bornTimestamp",
        /// User flag (`flag`).
        pub flag: i32 => "flag",
        /// Encoded properties (`properties`).
        pub properties: Option<String> => "properties",
        /// Reconsume times (`reconsumeTimes`).
        pub reconsume_times: Option<i32> => "reconsumeTimes",
        /// Unit mode (`unitMode`).
        pub unit_mode: bool => "unitMode" = false,
        /// Born host, `ip:port` (`bornHost`).
        pub born_host: String => "bornHost",
        /// Store host, `ip:port` (`storeHost`).
        pub store_host: String => "storeHost",
        /// Store time, milliseconds (`storeTimestamp`).
        pub store_timestamp: i64 => "storeTimestamp",
    }
    + rpc
}

command_header! {
    /// `ConsumerSendMsgBackRequestHeader` (`CONSUMER_SEND_MSG_BACK`): return a message for
    /// redelivery through the retry topic.
    pub struct ConsumerSendMsgBackRequestHeader {
        /// Commit log offset of the message (`offset`).
        pub offset: i64 => "offset",
        /// Consumer group (`group`).
        pub group: String => "group",
        /// Delay level; 0 lets the broker choose, -1 sends to the DLQ (`delayLevel`).
        pub delay_level: i32 => "delayLevel",
        /// Original message id (`originMsgId`).
        pub origin_msg_id: Option<String> => "originMsgId",
        /// Original topic (`originTopic`).
        pub origin_topic: Option<String> => "originTopic",
        /// Unit mode (`unitMode`).
        pub unit_mode: bool => "unitMode" = false,
        /// Maximum reconsume times (`maxReconsumeTimes`).
        pub max_reconsume_times: Option<i32> => "maxReconsumeTimes",
    }
    + rpc
}

command_header! {
    /// `RecallMessageRequestHeader` (`RECALL_MESSAGE`, 5.3+): cancel a timer message.
    pub struct RecallMessageRequestHeader {
        /// Producer group (`producerGroup`).
        pub producer_group: Option<String> => "producerGroup",
        /// Topic (`topic`).
        pub topic: String => "topic",
        /// Handle returned when the message was sent (`recallHandle`).
        pub recall_handle: String => "recallHandle",
    }
    + rpc
}

command_header! {
    /// `RecallMessageResponseHeader`.
    pub struct RecallMessageResponseHeader {
        /// Id of the recalled message (`msgId`).
        pub msg_id: String => "msgId",
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::protocol::header::test_util::{assert_required, keys, round_trip};
    use crate::protocol::{CommandHeader, ExtFields, RemotingCommand, RequestCode, SerializeType};

    fn v2_sample() -> SendMessageRequestHeaderV2 {
        SendMessageRequestHeaderV2 {
            producer_group: "pg".into(),
            topic: "t".into(),
            default_topic: "TBW102".into(),
            default_topic_queue_nums: 4,
            queue_id: 3,
            sys_flag: 0,
            born_timestamp: 1_700_000_000_123,
            flag: 0,
            properties: Some("TAGS\u{1}a\u{2}".into()),
            reconsume_times: Some(0),
            unit_mode: false,
            max_reconsume_times: None,
            batch: true,
            broker_name: Some("broker-a".into()),
        }
    }

    #[test]
    fn v2_uses_single_letter_keys() {
        let ext = round_trip(&v2_sample());
        assert_eq!(
            keys(&ext),
            [
                "a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "m", "n"
            ]
        );
        assert_eq!(ext.get("g"), Some("1700000000123"));
        assert_eq!(ext.get("k"), Some("false"));
        assert_eq!(ext.get("m"), Some("true"));
        assert_eq!(ext.get("n"), Some("broker-a"));
        assert_required(&v2_sample(), &["a", "b", "c", "d", "e", "f", "g", "h"]);
    }

    #[test]
    fn v1_keys_and_conversion() {
        let v1 = SendMessageRequestHeader::from(v2_sample());
        let ext = round_trip(&v1);
        assert_eq!(
            keys(&ext),
            [
                "batch",
                "bname",
                "bornTimestamp",
                "defaultTopic",
                "defaultTopicQueueNums",
                "flag",
                "producerGroup",
                "properties",
                "queueId",
                "reconsumeTimes",
                "sysFlag",
                "topic",
                "unitMode"
            ]
        );
        assert_eq!(SendMessageRequestHeaderV2::from(v1), v2_sample());
    }

    #[test]
    fn v2_bad_values_are_refused() {
        let mut ext = ExtFields::new();
        v2_sample().write_to(&mut ext);
        ext.insert("e", "three");
        assert!(matches!(
            SendMessageRequestHeaderV2::read_from(&ext),
            Err(crate::Error::InvalidField { field: "e", .. })
        ));
        // Java's Boolean.parseBoolean never fails: anything but "true" is false.
        ext.insert("e", "3");
        ext.insert("m", "TRUE");
        ext.insert("k", "yes");
        let h = SendMessageRequestHeaderV2::read_from(&ext).ok();
        assert_eq!(
            h.as_ref().map(|h| (h.batch, h.unit_mode)),
            Some((true, false))
        );
    }

    #[test]
    fn missing_primitive_booleans_default_to_false() {
        let mut ext = ExtFields::new();
        v2_sample().write_to(&mut ext);
        ext.remove("k");
        ext.remove("m");
        let h = SendMessageRequestHeaderV2::read_from(&ext).ok();
        assert_eq!(h.map(|h| (h.unit_mode, h.batch)), Some((false, false)));
    }

    #[test]
    fn send_response_round_trip() {
        let h = SendMessageResponseHeader {
            msg_id: "0A00000100002A9F0000000000000000".into(),
            queue_id: 1,
            queue_offset: 99,
            transaction_id: None,
            batch_uniq_id: Some("x,y".into()),
            recall_handle: None,
        };
        let ext = round_trip(&h);
        assert_eq!(
            keys(&ext),
            ["batchUniqId", "msgId", "queueId", "queueOffset"]
        );
        assert_required(&h, &["msgId", "queueId", "queueOffset"]);
    }

    #[test]
    fn other_send_headers_round_trip() {
        let reply = ReplyMessageRequestHeader {
            producer_group: "pg".into(),
            topic: "t".into(),
            born_host: "127.0.0.1:1".into(),
            store_host: "127.0.0.1:2".into(),
            store_timestamp: 5,
            ..Default::default()
        };
        round_trip(&reply);
        assert_required(
            &reply,
            &[
                "producerGroup",
                "topic",
                "defaultTopic",
                "defaultTopicQueueNums",
                "queueId",
                "sysFlag",
                "bornTimestamp",
                "flag",
                "bornHost",
                "storeHost",
                "storeTimestamp",
            ],
        );
        let back = ConsumerSendMsgBackRequestHeader {
            offset: 1234,
            group: "g".into(),
            delay_level: 0,
            origin_msg_id: Some("id".into()),
            origin_topic: Some("t".into()),
            unit_mode: false,
            max_reconsume_times: Some(16),
            rpc: crate::protocol::header::RpcFields {
                broker_name: Some("b".into()),
                ..Default::default()
            },
        };
        let ext = round_trip(&back);
        assert_eq!(
            keys(&ext),
            [
                "bname",
                "delayLevel",
                "group",
                "maxReconsumeTimes",
                "offset",
                "originMsgId",
                "originTopic",
                "unitMode"
            ]
        );
        assert_required(&back, &["offset", "group", "delayLevel"]);
        let recall = RecallMessageRequestHeader {
            producer_group: None,
            topic: "t".into(),
            recall_handle: "h".into(),
            rpc: Default::default(),
        };
        assert_eq!(keys(&round_trip(&recall)), ["recallHandle", "topic"]);
        round_trip(&RecallMessageResponseHeader { msg_id: "m".into() });
    }

    prop_compose! {
        fn arb_v2()(
            producer_group in ".*", topic in ".*", default_topic in ".*",
            default_topic_queue_nums in any::<i32>(), queue_id in any::<i32>(),
            sys_flag in any::<i32>(), born_timestamp in any::<i64>(), flag in any::<i32>(),
            properties in proptest::option::of(".*"),
            reconsume_times in proptest::option::of(any::<i32>()),
            unit_mode in any::<bool>(),
            max_reconsume_times in proptest::option::of(any::<i32>()),
            batch in any::<bool>(), broker_name in proptest::option::of(".*"),
        ) -> SendMessageRequestHeaderV2 {
            SendMessageRequestHeaderV2 {
                producer_group, topic, default_topic, default_topic_queue_nums, queue_id,
                sys_flag, born_timestamp, flag, properties, reconsume_times, unit_mode,
                max_reconsume_times, batch, broker_name,
            }
        }
    }

    proptest! {
        #[test]
        fn v2_round_trips_and_converts(h in arb_v2()) {
            let mut ext = ExtFields::new();
            h.write_to(&mut ext);
            prop_assert_eq!(SendMessageRequestHeaderV2::read_from(&ext).ok(), Some(h.clone()));
            let v1 = SendMessageRequestHeader::from(h.clone());
            let mut ext1 = ExtFields::new();
            v1.write_to(&mut ext1);
            let back = SendMessageRequestHeader::read_from(&ext1).ok();
            prop_assert_eq!(back.map(SendMessageRequestHeaderV2::from), Some(h));
        }

        #[test]
        fn borrowed_v2_writes_what_the_owned_one_writes(h in arb_v2()) {
            let mut owned = ExtFields::new();
            h.write_to(&mut owned);
            let borrowed = SendMessageRequestHeaderV2Ref::from(&h);
            // Same entries in the same order, into an empty map and over an existing one.
            prop_assert_eq!(&borrowed.to_ext_fields(), &owned);
            let mut over = owned.clone();
            borrowed.write_to(&mut over);
            prop_assert_eq!(&over, &owned);
            for st in [SerializeType::Json, SerializeType::RocketMq] {
                let frame = |ext: ExtFields| {
                    let mut cmd = RemotingCommand::request(RequestCode::SEND_MESSAGE_V2)
                        .with_serialize_type(st);
                    cmd.ext_fields = Some(ext);
                    cmd.to_frame().ok()
                };
                prop_assert_eq!(frame(borrowed.to_ext_fields()), frame(owned.clone()));
            }
        }

        #[test]
        fn arbitrary_maps_read_without_panicking(
            entries in proptest::collection::vec(
                (prop_oneof![Just("a".to_owned()), Just("d".to_owned()), Just("g".to_owned()),
                             Just("k".to_owned()), "[a-n]"], ".*"), 0..20)
        ) {
            // Whatever parses must re-encode to something that parses to the same value.
            let ext: ExtFields = entries.into_iter().collect();
            if let Ok(h) = SendMessageRequestHeaderV2::read_from(&ext) {
                let mut again = ExtFields::new();
                h.write_to(&mut again);
                prop_assert_eq!(SendMessageRequestHeaderV2::read_from(&again).ok(), Some(h));
            }
        }
    }
}
