//! Property keys of Java's `MessageConst`, with Java's exact strings.
//!
//! The union of 4.9.8 and 5.3.3 is listed; keys that only 5.x knows are marked.

/// Message keys, several separated by [`KEY_SEPARATOR`] (`PROPERTY_KEYS`).
pub const KEYS: &str = "KEYS";
/// Message tag (`PROPERTY_TAGS`).
pub const TAGS: &str = "TAGS";
/// Whether the broker answers only after the message is stored (`PROPERTY_WAIT_STORE_MSG_OK`).
pub const WAIT: &str = "WAIT";
/// Delay level, 1-based index into the broker's `messageDelayLevel` (`PROPERTY_DELAY_TIME_LEVEL`).
pub const DELAY: &str = "DELAY";
/// Original topic of a message on a retry topic (`PROPERTY_RETRY_TOPIC`).
pub const RETRY_TOPIC: &str = "RETRY_TOPIC";
/// Real topic of a delayed/half message (`PROPERTY_REAL_TOPIC`).
pub const REAL_TOPIC: &str = "REAL_TOPIC";
/// Real queue id of a delayed/half message (`PROPERTY_REAL_QUEUE_ID`).
pub const REAL_QID: &str = "REAL_QID";
/// `"true"` on a transactional half message (`PROPERTY_TRANSACTION_PREPARED`).
pub const TRAN_MSG: &str = "TRAN_MSG";
/// Producer group of a transactional message (`PROPERTY_PRODUCER_GROUP`).
pub const PGROUP: &str = "PGROUP";
/// Queue min offset, added by the broker to pulled messages (`PROPERTY_MIN_OFFSET`).
pub const MIN_OFFSET: &str = "MIN_OFFSET";
/// Queue max offset, added by the broker to pulled messages (`PROPERTY_MAX_OFFSET`).
pub const MAX_OFFSET: &str = "MAX_OFFSET";
/// Buyer id (`PROPERTY_BUYER_ID`).
pub const BUYER_ID: &str = "BUYER_ID";
/// Message id of the original message of a retry (`PROPERTY_ORIGIN_MESSAGE_ID`).
pub const ORIGIN_MESSAGE_ID: &str = "ORIGIN_MESSAGE_ID";
/// `PROPERTY_TRANSFER_FLAG`.
pub const TRANSFER_FLAG: &str = "TRANSFER_FLAG";
/// `PROPERTY_CORRECTION_FLAG`.
pub const CORRECTION_FLAG: &str = "CORRECTION_FLAG";
/// `PROPERTY_MQ2_FLAG`.
pub const MQ2_FLAG: &str = "MQ2_FLAG";
/// Number of times the message was consumed again (`PROPERTY_RECONSUME_TIME`).
pub const RECONSUME_TIME: &str = "RECONSUME_TIME";
/// Region the message was sent in (`PROPERTY_MSG_REGION`).
pub const MSG_REGION: &str = "MSG_REGION";
/// Whether message tracing is on (`PROPERTY_TRACE_SWITCH`).
pub const TRACE_ON: &str = "TRACE_ON";
/// Unique client message id (`PROPERTY_UNIQ_CLIENT_MESSAGE_ID_KEYIDX`).
pub const UNIQ_KEY: &str = "UNIQ_KEY";
/// `PROPERTY_EXTEND_UNIQ_INFO` (5.x).
pub const EXTEND_UNIQ_INFO: &str = "EXTEND_UNIQ_INFO";
/// Maximum reconsume times before the dead-letter queue (`PROPERTY_MAX_RECONSUME_TIMES`).
pub const MAX_RECONSUME_TIMES: &str = "MAX_RECONSUME_TIMES";
/// When the client started consuming the message, epoch millis (`PROPERTY_CONSUME_START_TIMESTAMP`).
pub const CONSUME_START_TIME: &str = "CONSUME_START_TIME";
/// `PROPERTY_INNER_NUM` (5.x).
pub const INNER_NUM: &str = "INNER_NUM";
/// `PROPERTY_INNER_BASE` (5.x).
pub const INNER_BASE: &str = "INNER_BASE";
/// `DUP_INFO` (5.x).
pub const DUP_INFO: &str = "DUP_INFO";
/// Seconds before the first transaction check (`PROPERTY_CHECK_IMMUNITY_TIME_IN_SECONDS`).
pub const CHECK_IMMUNITY_TIME_IN_SECONDS: &str = "CHECK_IMMUNITY_TIME_IN_SECONDS";
/// `PROPERTY_TRANSACTION_PREPARED_QUEUE_OFFSET`.
pub const TRAN_PREPARED_QUEUE_OFFSET: &str = "TRAN_PREPARED_QUEUE_OFFSET";
/// Transaction id (`PROPERTY_TRANSACTION_ID`, 5.x).
pub const TRANSACTION_ID: &str = "__transactionId__";
/// Number of transaction checks so far (`PROPERTY_TRANSACTION_CHECK_TIMES`).
pub const TRANSACTION_CHECK_TIMES: &str = "TRANSACTION_CHECK_TIMES";
/// `PROPERTY_INSTANCE_ID`.
pub const INSTANCE_ID: &str = "INSTANCE_ID";
/// Request-reply correlation id (`PROPERTY_CORRELATION_ID`).
pub const CORRELATION_ID: &str = "CORRELATION_ID";
/// Client id a reply goes to (`PROPERTY_MESSAGE_REPLY_TO_CLIENT`).
pub const REPLY_TO_CLIENT: &str = "REPLY_TO_CLIENT";
/// Request time-to-live in millis (`PROPERTY_MESSAGE_TTL`).
pub const TTL: &str = "TTL";
/// `PROPERTY_REPLY_MESSAGE_ARRIVE_TIME`.
pub const ARRIVE_TIME: &str = "ARRIVE_TIME";
/// `PROPERTY_PUSH_REPLY_TIME`.
pub const PUSH_REPLY_TIME: &str = "PUSH_REPLY_TIME";
/// Cluster name of a request (`PROPERTY_CLUSTER`).
pub const CLUSTER: &str = "CLUSTER";
/// Message type, e.g. `"reply"` (`PROPERTY_MESSAGE_TYPE`).
pub const MSG_TYPE: &str = "MSG_TYPE";
/// Pop checkpoint (`PROPERTY_POP_CK`, 5.x).
pub const POP_CK: &str = "POP_CK";
/// `PROPERTY_POP_CK_OFFSET` (5.x).
pub const POP_CK_OFFSET: &str = "POP_CK_OFFSET";
/// `PROPERTY_FIRST_POP_TIME` (5.x).
pub const FIRST_POP_TIME: &str = "1ST_POP_TIME";
/// `PROPERTY_SHARDING_KEY` (5.x).
pub const SHARDING_KEY: &str = "__SHARDINGKEY";
/// `PROPERTY_FORWARD_QUEUE_ID` (5.x).
pub const FORWARD_QUEUE_ID: &str = "PROPERTY_FORWARD_QUEUE_ID";
/// `PROPERTY_REDIRECT` (5.x).
pub const REDIRECT: &str = "REDIRECT";
/// Light message queues a message is dispatched to (`PROPERTY_INNER_MULTI_DISPATCH`).
pub const INNER_MULTI_DISPATCH: &str = "INNER_MULTI_DISPATCH";
/// `PROPERTY_INNER_MULTI_QUEUE_OFFSET`.
pub const INNER_MULTI_QUEUE_OFFSET: &str = "INNER_MULTI_QUEUE_OFFSET";
/// `PROPERTY_TRACE_CONTEXT` (5.x).
pub const TRACE_CONTEXT: &str = "TRACE_CONTEXT";
/// Delay in seconds for the 5.x timer (`PROPERTY_TIMER_DELAY_SEC`).
pub const TIMER_DELAY_SEC: &str = "TIMER_DELAY_SEC";
/// Delivery time, epoch millis, for the 5.x timer (`PROPERTY_TIMER_DELIVER_MS`).
pub const TIMER_DELIVER_MS: &str = "TIMER_DELIVER_MS";
/// `PROPERTY_BORN_HOST` (5.x).
pub const BORN_HOST: &str = "__BORNHOST";
/// `PROPERTY_BORN_TIMESTAMP` (5.x).
pub const BORN_TIMESTAMP: &str = "BORN_TIMESTAMP";
/// Prefix of transient properties the broker does not store (`PROPERTY_TRANSIENT_PREFIX`, 5.x).
pub const TRANSIENT_PREFIX: &str = "__RMQ.TRANSIENT.";
/// `PROPERTY_TRANSIENT_TOPIC_CONFIG` (5.x).
pub const TRANSIENT_TOPIC_CONFIG: &str = "__RMQ.TRANSIENT.TOPIC_SYS_FLAG";
/// `PROPERTY_TRANSIENT_GROUP_CONFIG` (5.x).
pub const TRANSIENT_GROUP_CONFIG: &str = "__RMQ.TRANSIENT.GROUP_SYS_FLAG";
/// `PROPERTY_TIMER_ENQUEUE_MS` (5.x).
pub const TIMER_ENQUEUE_MS: &str = "TIMER_ENQUEUE_MS";
/// `PROPERTY_TIMER_DEQUEUE_MS` (5.x).
pub const TIMER_DEQUEUE_MS: &str = "TIMER_DEQUEUE_MS";
/// `PROPERTY_TIMER_ROLL_TIMES` (5.x).
pub const TIMER_ROLL_TIMES: &str = "TIMER_ROLL_TIMES";
/// `PROPERTY_TIMER_OUT_MS` (5.x).
pub const TIMER_OUT_MS: &str = "TIMER_OUT_MS";
/// `PROPERTY_TIMER_DEL_UNIQKEY` (5.x).
pub const TIMER_DEL_UNIQKEY: &str = "TIMER_DEL_UNIQKEY";
/// `PROPERTY_TIMER_DELAY_LEVEL` (5.x).
pub const TIMER_DELAY_LEVEL: &str = "TIMER_DELAY_LEVEL";
/// Delay in millis for the 5.x timer (`PROPERTY_TIMER_DELAY_MS`).
pub const TIMER_DELAY_MS: &str = "TIMER_DELAY_MS";
/// Commit-log CRC property appended by 5.x brokers with `enabledAppendPropCRC` (`PROPERTY_CRC32`).
pub const CRC32: &str = "__CRC32#";
/// `PROPERTY_DLQ_ORIGIN_TOPIC` (5.x).
pub const DLQ_ORIGIN_TOPIC: &str = "DLQ_ORIGIN_TOPIC";
/// `PROPERTY_DLQ_ORIGIN_MESSAGE_ID` (5.x).
pub const DLQ_ORIGIN_MESSAGE_ID: &str = "DLQ_ORIGIN_MESSAGE_ID";

/// Separator between several keys in [`KEYS`] (`KEY_SEPARATOR`).
pub const KEY_SEPARATOR: &str = " ";

/// Keys Java reserves for the system (`MessageConst.STRING_HASH_SET`, 5.3.3, a superset of
/// 4.9.8's): `putUserProperty` refuses them.
pub const SYSTEM_KEYS: &[&str] = &[
    TRACE_ON,
    MSG_REGION,
    KEYS,
    TAGS,
    WAIT,
    DELAY,
    RETRY_TOPIC,
    REAL_TOPIC,
    REAL_QID,
    TRAN_MSG,
    PGROUP,
    MIN_OFFSET,
    MAX_OFFSET,
    BUYER_ID,
    ORIGIN_MESSAGE_ID,
    TRANSFER_FLAG,
    CORRECTION_FLAG,
    MQ2_FLAG,
    RECONSUME_TIME,
    UNIQ_KEY,
    MAX_RECONSUME_TIMES,
    CONSUME_START_TIME,
    POP_CK,
    POP_CK_OFFSET,
    FIRST_POP_TIME,
    TRAN_PREPARED_QUEUE_OFFSET,
    DUP_INFO,
    EXTEND_UNIQ_INFO,
    INSTANCE_ID,
    CORRELATION_ID,
    REPLY_TO_CLIENT,
    TTL,
    ARRIVE_TIME,
    PUSH_REPLY_TIME,
    CLUSTER,
    MSG_TYPE,
    INNER_MULTI_QUEUE_OFFSET,
    TIMER_DELAY_MS,
    TIMER_DELAY_SEC,
    TIMER_DELIVER_MS,
    TIMER_ENQUEUE_MS,
    TIMER_DEQUEUE_MS,
    TIMER_ROLL_TIMES,
    TIMER_OUT_MS,
    TIMER_DEL_UNIQKEY,
    TIMER_DELAY_LEVEL,
    BORN_HOST,
    BORN_TIMESTAMP,
    DLQ_ORIGIN_TOPIC,
    DLQ_ORIGIN_MESSAGE_ID,
    CRC32,
];

/// Whether `key` is reserved for the system (see [`SYSTEM_KEYS`]).
pub fn is_system_key(key: &str) -> bool {
    SYSTEM_KEYS.contains(&key)
}
