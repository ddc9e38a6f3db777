//! Transaction headers: `END_TRANSACTION` (producer -> broker) and
//! `CHECK_TRANSACTION_STATE` (broker -> producer).

/// `commitOrRollback` / transaction state values (`MessageSysFlag.TRANSACTION_*_TYPE`).
pub mod transaction_state {
    /// Not a transaction message, or state unknown.
    pub const NOT_TYPE: i32 = 0;
    /// Half (prepared) message.
    pub const PREPARED: i32 = 0x1 << 2;
    /// Commit.
    pub const COMMIT: i32 = 0x2 << 2;
    /// Rollback.
    pub const ROLLBACK: i32 = 0x3 << 2;
}

command_header! {
    /// `EndTransactionRequestHeader` (`END_TRANSACTION`): commit or roll back a half message.
    pub struct EndTransactionRequestHeader {
        /// Producer group (`producerGroup`).
        pub producer_group: String => "producerGroup",
        /// Queue offset of the half message (`tranStateTableOffset`).
        pub tran_state_table_offset: i64 => "tranStateTableOffset",
        /// Commit log offset of the half message (`commitLogOffset`).
        pub commit_log_offset: i64 => "commitLogOffset",
        /// One of [`transaction_state`] (`commitOrRollback`).
        pub commit_or_rollback: i32 => "commitOrRollback",
        /// Whether this answers a broker check (`fromTransactionCheck`).
        pub from_transaction_check: bool => "fromTransactionCheck" = false,
        /// Message id (`msgId`).
        pub msg_id: String => "msgId",
        /// Transaction id (`transactionId`).
        pub transaction_id: Option<String> => "transactionId",
        /// Topic (`topic`; 5.x).
        pub topic: Option<String> => "topic",
    }
    + rpc
}

command_header! {
    /// `CheckTransactionStateRequestHeader` (`CHECK_TRANSACTION_STATE`, broker -> producer,
    /// oneway); the half message is the body.
    pub struct CheckTransactionStateRequestHeader {
        /// Queue offset of the half message (`tranStateTableOffset`).
        pub tran_state_table_offset: i64 => "tranStateTableOffset",
        /// Commit log offset of the half message (`commitLogOffset`).
        pub commit_log_offset: i64 => "commitLogOffset",
        /// Message id (`msgId`).
        pub msg_id: Option<String> => "msgId",
        /// Transaction id (`transactionId`).
        pub transaction_id: Option<String> => "transactionId",
        /// Offset message id (`offsetMsgId`).
        pub offset_msg_id: Option<String> => "offsetMsgId",
        /// Topic (`topic`; 5.x).
        pub topic: Option<String> => "topic",
    }
    + rpc
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::header::test_util::{assert_required, keys, round_trip};

    #[test]
    fn end_transaction_round_trip() {
        let h = EndTransactionRequestHeader {
            producer_group: "pg".into(),
            tran_state_table_offset: 5,
            commit_log_offset: 600,
            commit_or_rollback: transaction_state::COMMIT,
            from_transaction_check: true,
            msg_id: "m".into(),
            transaction_id: Some("tx".into()),
            topic: None,
            rpc: Default::default(),
        };
        let ext = round_trip(&h);
        assert_eq!(ext.get("commitOrRollback"), Some("8"));
        assert_eq!(ext.get("fromTransactionCheck"), Some("true"));
        assert_eq!(
            keys(&ext),
            [
                "commitLogOffset",
                "commitOrRollback",
                "fromTransactionCheck",
                "msgId",
                "producerGroup",
                "tranStateTableOffset",
                "transactionId"
            ]
        );
        assert_required(
            &h,
            &[
                "producerGroup",
                "tranStateTableOffset",
                "commitLogOffset",
                "commitOrRollback",
                "msgId",
            ],
        );
        assert_eq!(transaction_state::ROLLBACK, 12);
        assert_eq!(transaction_state::PREPARED, 4);
    }

    #[test]
    fn check_transaction_round_trip() {
        let h = CheckTransactionStateRequestHeader {
            tran_state_table_offset: 1,
            commit_log_offset: 2,
            msg_id: Some("m".into()),
            transaction_id: Some("t".into()),
            offset_msg_id: Some("o".into()),
            topic: Some("topic".into()),
            rpc: Default::default(),
        };
        round_trip(&h);
        assert_required(&h, &["tranStateTableOffset", "commitLogOffset"]);
    }
}
