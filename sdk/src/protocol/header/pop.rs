//! 5.x pop consumption headers: `POP_MESSAGE`, `ACK_MESSAGE`, `CHANGE_MESSAGE_INVISIBLETIME`.
//! 4.9.x has none of these.

command_header! {
    /// `PopMessageRequestHeader` (`POP_MESSAGE`).
    pub struct PopMessageRequestHeader {
        /// Consumer group (`consumerGroup`).
        pub consumer_group: String => "consumerGroup",
        /// Topic (`topic`).
        pub topic: String => "topic",
        /// Queue id; -1 for any (`queueId`).
        pub queue_id: i32 => "queueId",
        /// Maximum number of messages (`maxMsgNums`).
        pub max_msg_nums: i32 => "maxMsgNums",
        /// How long popped messages stay invisible, milliseconds (`invisibleTime`).
        pub invisible_time: i64 => "invisibleTime",
        /// Long-polling time, milliseconds (`pollTime`).
        pub poll_time: i64 => "pollTime",
        /// Request time, milliseconds since the epoch (`bornTime`).
        pub born_time: i64 => "bornTime",
        /// Where to start without a stored offset: 0 last, 1 first (`initMode`).
        pub init_mode: i32 => "initMode",
        /// Expression type (`expType`).
        pub exp_type: Option<String> => "expType",
        /// Expression (`exp`).
        pub exp: Option<String> => "exp",
        /// Ordered pop (`order`; Java initialises it to false, so always sent).
        pub order: bool => "order" = false,
        /// Attempt id, for retried pops (`attemptId`).
        pub attempt_id: Option<String> => "attemptId",
    }
    + rpc
}

command_header! {
    /// `PopMessageResponseHeader`; the messages are the body.
    pub struct PopMessageResponseHeader {
        /// Pop time (`popTime`).
        pub pop_time: i64 => "popTime",
        /// Invisible time (`invisibleTime`).
        pub invisible_time: i64 => "invisibleTime",
        /// Revive queue id (`reviveQid`).
        pub revive_qid: i32 => "reviveQid",
        /// Messages left (`restNum`).
        pub rest_num: i64 => "restNum",
        /// Start offsets per queue, encoded (`startOffsetInfo`).
        pub start_offset_info: Option<String> => "startOffsetInfo",
        /// Message offsets per queue, encoded (`msgOffsetInfo`).
        pub msg_offset_info: Option<String> => "msgOffsetInfo",
        /// Order counts per queue, encoded (`orderCountInfo`).
        pub order_count_info: Option<String> => "orderCountInfo",
    }
}

command_header! {
    /// `AckMessageRequestHeader` (`ACK_MESSAGE`).
    pub struct AckMessageRequestHeader {
        /// Consumer group (`consumerGroup`).
        pub consumer_group: String => "consumerGroup",
        /// Topic (`topic`).
        pub topic: String => "topic",
        /// Queue id (`queueId`).
        pub queue_id: i32 => "queueId",
        /// The message's pop receipt info (`extraInfo`).
        pub extra_info: String => "extraInfo",
        /// Queue offset of the message (`offset`).
        pub offset: i64 => "offset",
    }
    + rpc
}

command_header! {
    /// `ChangeInvisibleTimeRequestHeader` (`CHANGE_MESSAGE_INVISIBLETIME`).
    pub struct ChangeInvisibleTimeRequestHeader {
        /// Consumer group (`consumerGroup`).
        pub consumer_group: String => "consumerGroup",
        /// Topic (`topic`).
        pub topic: String => "topic",
        /// Queue id (`queueId`).
        pub queue_id: i32 => "queueId",
        /// The message's pop receipt info (`extraInfo`).
        pub extra_info: String => "extraInfo",
        /// Queue offset of the message (`offset`).
        pub offset: i64 => "offset",
        /// New invisible time, milliseconds (`invisibleTime`).
        pub invisible_time: i64 => "invisibleTime",
    }
    + rpc
}

command_header! {
    /// `ChangeInvisibleTimeResponseHeader`.
    pub struct ChangeInvisibleTimeResponseHeader {
        /// New pop time (`popTime`).
        pub pop_time: i64 => "popTime",
        /// Invisible time (`invisibleTime`).
        pub invisible_time: i64 => "invisibleTime",
        /// Revive queue id (`reviveQid`).
        pub revive_qid: i32 => "reviveQid",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::header::test_util::{assert_required, keys, round_trip};

    #[test]
    fn pop_request() {
        let h = PopMessageRequestHeader {
            consumer_group: "g".into(),
            topic: "t".into(),
            queue_id: -1,
            max_msg_nums: 32,
            invisible_time: 60_000,
            poll_time: 20_000,
            born_time: 1_700_000_000_000,
            init_mode: 0,
            exp_type: Some("TAG".into()),
            exp: Some("*".into()),
            ..Default::default()
        };
        let ext = round_trip(&h);
        assert_eq!(
            keys(&ext),
            [
                "bornTime",
                "consumerGroup",
                "exp",
                "expType",
                "initMode",
                "invisibleTime",
                "maxMsgNums",
                "order",
                "pollTime",
                "queueId",
                "topic"
            ]
        );
        assert_required(
            &h,
            &[
                "consumerGroup",
                "topic",
                "queueId",
                "maxMsgNums",
                "invisibleTime",
                "pollTime",
                "bornTime",
                "initMode",
            ],
        );
        let r = PopMessageResponseHeader {
            pop_time: 1,
            invisible_time: 2,
            revive_qid: 3,
            rest_num: 4,
            start_offset_info: Some("s".into()),
            msg_offset_info: None,
            order_count_info: None,
        };
        assert_required(&r, &["popTime", "invisibleTime", "reviveQid", "restNum"]);
    }

    #[test]
    fn ack_and_change_invisible() {
        let a = AckMessageRequestHeader {
            consumer_group: "g".into(),
            topic: "t".into(),
            queue_id: 1,
            extra_info: "0 1 2".into(),
            offset: 9,
            rpc: Default::default(),
        };
        assert_required(
            &a,
            &["consumerGroup", "topic", "queueId", "extraInfo", "offset"],
        );
        let c = ChangeInvisibleTimeRequestHeader {
            consumer_group: "g".into(),
            topic: "t".into(),
            queue_id: 1,
            extra_info: "x".into(),
            offset: 9,
            invisible_time: 5,
            rpc: Default::default(),
        };
        assert_eq!(round_trip(&c).get("invisibleTime"), Some("5"));
        let r = ChangeInvisibleTimeResponseHeader {
            pop_time: 1,
            invisible_time: 2,
            revive_qid: 0,
        };
        assert_required(&r, &["popTime", "invisibleTime", "reviveQid"]);
    }
}
