//! Request codes (`RequestCode.java` of Java 4.9.8 and 5.3.3).

use std::fmt;

use super::{ProtocolFlavour, Since, lookup};

/// A request code. Unknown codes are kept as they are, so a server can answer
/// "not supported" to codes it does not know.
///
/// The associated constants cover every code of Java 4.9.8 and 5.3.3; the few that exist
/// in only one of them say so.
///
/// ```
/// # use rocketmq::protocol::{ProtocolFlavour, RequestCode};
/// assert_eq!(RequestCode::SEND_MESSAGE_V2.name(), Some("SEND_MESSAGE_V2"));
/// assert_eq!(RequestCode::POP_MESSAGE.name_for(ProtocolFlavour::V4), None);
/// assert_eq!(RequestCode(10).to_string(), "10 (SEND_MESSAGE)");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RequestCode(pub i32);

impl RequestCode {
    /// `SEND_MESSAGE` (10).
    pub const SEND_MESSAGE: Self = Self(10);
    /// `PULL_MESSAGE` (11).
    pub const PULL_MESSAGE: Self = Self(11);
    /// `QUERY_MESSAGE` (12).
    pub const QUERY_MESSAGE: Self = Self(12);
    /// `QUERY_BROKER_OFFSET` (13).
    pub const QUERY_BROKER_OFFSET: Self = Self(13);
    /// `QUERY_CONSUMER_OFFSET` (14).
    pub const QUERY_CONSUMER_OFFSET: Self = Self(14);
    /// `UPDATE_CONSUMER_OFFSET` (15).
    pub const UPDATE_CONSUMER_OFFSET: Self = Self(15);
    /// `UPDATE_AND_CREATE_TOPIC` (17).
    pub const UPDATE_AND_CREATE_TOPIC: Self = Self(17);
    /// `UPDATE_AND_CREATE_TOPIC_LIST` (18). Java 5.x only.
    pub const UPDATE_AND_CREATE_TOPIC_LIST: Self = Self(18);
    /// `GET_ALL_TOPIC_CONFIG` (21).
    pub const GET_ALL_TOPIC_CONFIG: Self = Self(21);
    /// `GET_TOPIC_CONFIG_LIST` (22).
    pub const GET_TOPIC_CONFIG_LIST: Self = Self(22);
    /// `GET_TOPIC_NAME_LIST` (23).
    pub const GET_TOPIC_NAME_LIST: Self = Self(23);
    /// `UPDATE_BROKER_CONFIG` (25).
    pub const UPDATE_BROKER_CONFIG: Self = Self(25);
    /// `GET_BROKER_CONFIG` (26).
    pub const GET_BROKER_CONFIG: Self = Self(26);
    /// `TRIGGER_DELETE_FILES` (27).
    pub const TRIGGER_DELETE_FILES: Self = Self(27);
    /// `GET_BROKER_RUNTIME_INFO` (28).
    pub const GET_BROKER_RUNTIME_INFO: Self = Self(28);
    /// `SEARCH_OFFSET_BY_TIMESTAMP` (29).
    pub const SEARCH_OFFSET_BY_TIMESTAMP: Self = Self(29);
    /// `GET_MAX_OFFSET` (30).
    pub const GET_MAX_OFFSET: Self = Self(30);
    /// `GET_MIN_OFFSET` (31).
    pub const GET_MIN_OFFSET: Self = Self(31);
    /// `GET_EARLIEST_MSG_STORETIME` (32).
    pub const GET_EARLIEST_MSG_STORETIME: Self = Self(32);
    /// `VIEW_MESSAGE_BY_ID` (33).
    pub const VIEW_MESSAGE_BY_ID: Self = Self(33);
    /// `HEART_BEAT` (34).
    pub const HEART_BEAT: Self = Self(34);
    /// `UNREGISTER_CLIENT` (35).
    pub const UNREGISTER_CLIENT: Self = Self(35);
    /// `CONSUMER_SEND_MSG_BACK` (36).
    pub const CONSUMER_SEND_MSG_BACK: Self = Self(36);
    /// `END_TRANSACTION` (37).
    pub const END_TRANSACTION: Self = Self(37);
    /// `GET_CONSUMER_LIST_BY_GROUP` (38).
    pub const GET_CONSUMER_LIST_BY_GROUP: Self = Self(38);
    /// `CHECK_TRANSACTION_STATE` (39).
    pub const CHECK_TRANSACTION_STATE: Self = Self(39);
    /// `NOTIFY_CONSUMER_IDS_CHANGED` (40).
    pub const NOTIFY_CONSUMER_IDS_CHANGED: Self = Self(40);
    /// `LOCK_BATCH_MQ` (41).
    pub const LOCK_BATCH_MQ: Self = Self(41);
    /// `UNLOCK_BATCH_MQ` (42).
    pub const UNLOCK_BATCH_MQ: Self = Self(42);
    /// `GET_ALL_CONSUMER_OFFSET` (43).
    pub const GET_ALL_CONSUMER_OFFSET: Self = Self(43);
    /// `GET_ALL_DELAY_OFFSET` (45).
    pub const GET_ALL_DELAY_OFFSET: Self = Self(45);
    /// `CHECK_CLIENT_CONFIG` (46).
    pub const CHECK_CLIENT_CONFIG: Self = Self(46);
    /// `GET_CLIENT_CONFIG` (47). Java 5.x only.
    pub const GET_CLIENT_CONFIG: Self = Self(47);
    /// `UPDATE_AND_CREATE_ACL_CONFIG` (50). Java 4.x only.
    pub const UPDATE_AND_CREATE_ACL_CONFIG: Self = Self(50);
    /// `DELETE_ACL_CONFIG` (51). Java 4.x only.
    pub const DELETE_ACL_CONFIG: Self = Self(51);
    /// `GET_BROKER_CLUSTER_ACL_INFO` (52). Java 4.x only.
    pub const GET_BROKER_CLUSTER_ACL_INFO: Self = Self(52);
    /// `UPDATE_GLOBAL_WHITE_ADDRS_CONFIG` (53). Java 4.x only.
    pub const UPDATE_GLOBAL_WHITE_ADDRS_CONFIG: Self = Self(53);
    /// `GET_TIMER_CHECK_POINT` (60). Java 5.x only.
    pub const GET_TIMER_CHECK_POINT: Self = Self(60);
    /// `GET_TIMER_METRICS` (61). Java 5.x only.
    pub const GET_TIMER_METRICS: Self = Self(61);
    /// `PUT_KV_CONFIG` (100).
    pub const PUT_KV_CONFIG: Self = Self(100);
    /// `GET_KV_CONFIG` (101).
    pub const GET_KV_CONFIG: Self = Self(101);
    /// `DELETE_KV_CONFIG` (102).
    pub const DELETE_KV_CONFIG: Self = Self(102);
    /// `REGISTER_BROKER` (103).
    pub const REGISTER_BROKER: Self = Self(103);
    /// `UNREGISTER_BROKER` (104).
    pub const UNREGISTER_BROKER: Self = Self(104);
    /// `GET_ROUTEINFO_BY_TOPIC` (105).
    pub const GET_ROUTEINFO_BY_TOPIC: Self = Self(105);
    /// `GET_BROKER_CLUSTER_INFO` (106).
    pub const GET_BROKER_CLUSTER_INFO: Self = Self(106);
    /// `UPDATE_AND_CREATE_SUBSCRIPTIONGROUP` (200).
    pub const UPDATE_AND_CREATE_SUBSCRIPTIONGROUP: Self = Self(200);
    /// `GET_ALL_SUBSCRIPTIONGROUP_CONFIG` (201).
    pub const GET_ALL_SUBSCRIPTIONGROUP_CONFIG: Self = Self(201);
    /// `GET_TOPIC_STATS_INFO` (202).
    pub const GET_TOPIC_STATS_INFO: Self = Self(202);
    /// `GET_CONSUMER_CONNECTION_LIST` (203).
    pub const GET_CONSUMER_CONNECTION_LIST: Self = Self(203);
    /// `GET_PRODUCER_CONNECTION_LIST` (204).
    pub const GET_PRODUCER_CONNECTION_LIST: Self = Self(204);
    /// `WIPE_WRITE_PERM_OF_BROKER` (205).
    pub const WIPE_WRITE_PERM_OF_BROKER: Self = Self(205);
    /// `GET_ALL_TOPIC_LIST_FROM_NAMESERVER` (206).
    pub const GET_ALL_TOPIC_LIST_FROM_NAMESERVER: Self = Self(206);
    /// `DELETE_SUBSCRIPTIONGROUP` (207).
    pub const DELETE_SUBSCRIPTIONGROUP: Self = Self(207);
    /// `GET_CONSUME_STATS` (208).
    pub const GET_CONSUME_STATS: Self = Self(208);
    /// `SUSPEND_CONSUMER` (209).
    pub const SUSPEND_CONSUMER: Self = Self(209);
    /// `RESUME_CONSUMER` (210).
    pub const RESUME_CONSUMER: Self = Self(210);
    /// `RESET_CONSUMER_OFFSET_IN_CONSUMER` (211).
    pub const RESET_CONSUMER_OFFSET_IN_CONSUMER: Self = Self(211);
    /// `RESET_CONSUMER_OFFSET_IN_BROKER` (212).
    pub const RESET_CONSUMER_OFFSET_IN_BROKER: Self = Self(212);
    /// `ADJUST_CONSUMER_THREAD_POOL` (213).
    pub const ADJUST_CONSUMER_THREAD_POOL: Self = Self(213);
    /// `WHO_CONSUME_THE_MESSAGE` (214).
    pub const WHO_CONSUME_THE_MESSAGE: Self = Self(214);
    /// `DELETE_TOPIC_IN_BROKER` (215).
    pub const DELETE_TOPIC_IN_BROKER: Self = Self(215);
    /// `DELETE_TOPIC_IN_NAMESRV` (216).
    pub const DELETE_TOPIC_IN_NAMESRV: Self = Self(216);
    /// `REGISTER_TOPIC_IN_NAMESRV` (217). Java 5.x only.
    pub const REGISTER_TOPIC_IN_NAMESRV: Self = Self(217);
    /// `GET_KVLIST_BY_NAMESPACE` (219).
    pub const GET_KVLIST_BY_NAMESPACE: Self = Self(219);
    /// `RESET_CONSUMER_CLIENT_OFFSET` (220).
    pub const RESET_CONSUMER_CLIENT_OFFSET: Self = Self(220);
    /// `GET_CONSUMER_STATUS_FROM_CLIENT` (221).
    pub const GET_CONSUMER_STATUS_FROM_CLIENT: Self = Self(221);
    /// `INVOKE_BROKER_TO_RESET_OFFSET` (222).
    pub const INVOKE_BROKER_TO_RESET_OFFSET: Self = Self(222);
    /// `INVOKE_BROKER_TO_GET_CONSUMER_STATUS` (223).
    pub const INVOKE_BROKER_TO_GET_CONSUMER_STATUS: Self = Self(223);
    /// `GET_TOPICS_BY_CLUSTER` (224).
    pub const GET_TOPICS_BY_CLUSTER: Self = Self(224);
    /// `UPDATE_AND_CREATE_SUBSCRIPTIONGROUP_LIST` (225). Java 5.x only.
    pub const UPDATE_AND_CREATE_SUBSCRIPTIONGROUP_LIST: Self = Self(225);
    /// `QUERY_TOPIC_CONSUME_BY_WHO` (300).
    pub const QUERY_TOPIC_CONSUME_BY_WHO: Self = Self(300);
    /// `REGISTER_FILTER_SERVER` (301).
    pub const REGISTER_FILTER_SERVER: Self = Self(301);
    /// `REGISTER_MESSAGE_FILTER_CLASS` (302).
    pub const REGISTER_MESSAGE_FILTER_CLASS: Self = Self(302);
    /// `QUERY_CONSUME_TIME_SPAN` (303).
    pub const QUERY_CONSUME_TIME_SPAN: Self = Self(303);
    /// `GET_SYSTEM_TOPIC_LIST_FROM_NS` (304).
    pub const GET_SYSTEM_TOPIC_LIST_FROM_NS: Self = Self(304);
    /// `GET_SYSTEM_TOPIC_LIST_FROM_BROKER` (305).
    pub const GET_SYSTEM_TOPIC_LIST_FROM_BROKER: Self = Self(305);
    /// `CLEAN_EXPIRED_CONSUMEQUEUE` (306).
    pub const CLEAN_EXPIRED_CONSUMEQUEUE: Self = Self(306);
    /// `GET_CONSUMER_RUNNING_INFO` (307).
    pub const GET_CONSUMER_RUNNING_INFO: Self = Self(307);
    /// `QUERY_CORRECTION_OFFSET` (308).
    pub const QUERY_CORRECTION_OFFSET: Self = Self(308);
    /// `CONSUME_MESSAGE_DIRECTLY` (309).
    pub const CONSUME_MESSAGE_DIRECTLY: Self = Self(309);
    /// `SEND_MESSAGE_V2` (310).
    pub const SEND_MESSAGE_V2: Self = Self(310);
    /// `GET_UNIT_TOPIC_LIST` (311).
    pub const GET_UNIT_TOPIC_LIST: Self = Self(311);
    /// `GET_HAS_UNIT_SUB_TOPIC_LIST` (312).
    pub const GET_HAS_UNIT_SUB_TOPIC_LIST: Self = Self(312);
    /// `GET_HAS_UNIT_SUB_UNUNIT_TOPIC_LIST` (313).
    pub const GET_HAS_UNIT_SUB_UNUNIT_TOPIC_LIST: Self = Self(313);
    /// `CLONE_GROUP_OFFSET` (314).
    pub const CLONE_GROUP_OFFSET: Self = Self(314);
    /// `VIEW_BROKER_STATS_DATA` (315).
    pub const VIEW_BROKER_STATS_DATA: Self = Self(315);
    /// `CLEAN_UNUSED_TOPIC` (316).
    pub const CLEAN_UNUSED_TOPIC: Self = Self(316);
    /// `GET_BROKER_CONSUME_STATS` (317).
    pub const GET_BROKER_CONSUME_STATS: Self = Self(317);
    /// `UPDATE_NAMESRV_CONFIG` (318).
    pub const UPDATE_NAMESRV_CONFIG: Self = Self(318);
    /// `GET_NAMESRV_CONFIG` (319).
    pub const GET_NAMESRV_CONFIG: Self = Self(319);
    /// `SEND_BATCH_MESSAGE` (320).
    pub const SEND_BATCH_MESSAGE: Self = Self(320);
    /// `QUERY_CONSUME_QUEUE` (321).
    pub const QUERY_CONSUME_QUEUE: Self = Self(321);
    /// `QUERY_DATA_VERSION` (322).
    pub const QUERY_DATA_VERSION: Self = Self(322);
    /// `RESUME_CHECK_HALF_MESSAGE` (323).
    pub const RESUME_CHECK_HALF_MESSAGE: Self = Self(323);
    /// `SEND_REPLY_MESSAGE` (324).
    pub const SEND_REPLY_MESSAGE: Self = Self(324);
    /// `SEND_REPLY_MESSAGE_V2` (325).
    pub const SEND_REPLY_MESSAGE_V2: Self = Self(325);
    /// `PUSH_REPLY_MESSAGE_TO_CLIENT` (326).
    pub const PUSH_REPLY_MESSAGE_TO_CLIENT: Self = Self(326);
    /// `ADD_WRITE_PERM_OF_BROKER` (327).
    pub const ADD_WRITE_PERM_OF_BROKER: Self = Self(327);
    /// `GET_ALL_PRODUCER_INFO` (328).
    pub const GET_ALL_PRODUCER_INFO: Self = Self(328);
    /// `DELETE_EXPIRED_COMMITLOG` (329).
    pub const DELETE_EXPIRED_COMMITLOG: Self = Self(329);
    /// `QUERY_TOPICS_BY_CONSUMER` (343). Java 5.x only.
    pub const QUERY_TOPICS_BY_CONSUMER: Self = Self(343);
    /// `QUERY_SUBSCRIPTION_BY_CONSUMER` (345). Java 5.x only.
    pub const QUERY_SUBSCRIPTION_BY_CONSUMER: Self = Self(345);
    /// `GET_TOPIC_CONFIG` (351). Java 5.x only.
    pub const GET_TOPIC_CONFIG: Self = Self(351);
    /// `GET_SUBSCRIPTIONGROUP_CONFIG` (352). Java 5.x only.
    pub const GET_SUBSCRIPTIONGROUP_CONFIG: Self = Self(352);
    /// `UPDATE_AND_GET_GROUP_FORBIDDEN` (353). Java 5.x only.
    pub const UPDATE_AND_GET_GROUP_FORBIDDEN: Self = Self(353);
    /// `CHECK_ROCKSDB_CQ_WRITE_PROGRESS` (354). Java 5.x only.
    pub const CHECK_ROCKSDB_CQ_WRITE_PROGRESS: Self = Self(354);
    /// `EXPORT_ROCKSDB_CONFIG_TO_JSON` (355). Java 5.x only.
    pub const EXPORT_ROCKSDB_CONFIG_TO_JSON: Self = Self(355);
    /// `LITE_PULL_MESSAGE` (361). Java 5.x only.
    pub const LITE_PULL_MESSAGE: Self = Self(361);
    /// `RECALL_MESSAGE` (370). Java 5.x only.
    pub const RECALL_MESSAGE: Self = Self(370);
    /// `QUERY_ASSIGNMENT` (400). Java 5.x only.
    pub const QUERY_ASSIGNMENT: Self = Self(400);
    /// `SET_MESSAGE_REQUEST_MODE` (401). Java 5.x only.
    pub const SET_MESSAGE_REQUEST_MODE: Self = Self(401);
    /// `GET_ALL_MESSAGE_REQUEST_MODE` (402). Java 5.x only.
    pub const GET_ALL_MESSAGE_REQUEST_MODE: Self = Self(402);
    /// `UPDATE_AND_CREATE_STATIC_TOPIC` (513). Java 5.x only.
    pub const UPDATE_AND_CREATE_STATIC_TOPIC: Self = Self(513);
    /// `GET_BROKER_MEMBER_GROUP` (901). Java 5.x only.
    pub const GET_BROKER_MEMBER_GROUP: Self = Self(901);
    /// `ADD_BROKER` (902). Java 5.x only.
    pub const ADD_BROKER: Self = Self(902);
    /// `REMOVE_BROKER` (903). Java 5.x only.
    pub const REMOVE_BROKER: Self = Self(903);
    /// `BROKER_HEARTBEAT` (904). Java 5.x only.
    pub const BROKER_HEARTBEAT: Self = Self(904);
    /// `NOTIFY_MIN_BROKER_ID_CHANGE` (905). Java 5.x only.
    pub const NOTIFY_MIN_BROKER_ID_CHANGE: Self = Self(905);
    /// `EXCHANGE_BROKER_HA_INFO` (906). Java 5.x only.
    pub const EXCHANGE_BROKER_HA_INFO: Self = Self(906);
    /// `GET_BROKER_HA_STATUS` (907). Java 5.x only.
    pub const GET_BROKER_HA_STATUS: Self = Self(907);
    /// `RESET_MASTER_FLUSH_OFFSET` (908). Java 5.x only.
    pub const RESET_MASTER_FLUSH_OFFSET: Self = Self(908);
    /// `CONTROLLER_ALTER_SYNC_STATE_SET` (1001). Java 5.x only.
    pub const CONTROLLER_ALTER_SYNC_STATE_SET: Self = Self(1001);
    /// `CONTROLLER_ELECT_MASTER` (1002). Java 5.x only.
    pub const CONTROLLER_ELECT_MASTER: Self = Self(1002);
    /// `CONTROLLER_REGISTER_BROKER` (1003). Java 5.x only.
    pub const CONTROLLER_REGISTER_BROKER: Self = Self(1003);
    /// `CONTROLLER_GET_REPLICA_INFO` (1004). Java 5.x only.
    pub const CONTROLLER_GET_REPLICA_INFO: Self = Self(1004);
    /// `CONTROLLER_GET_METADATA_INFO` (1005). Java 5.x only.
    pub const CONTROLLER_GET_METADATA_INFO: Self = Self(1005);
    /// `CONTROLLER_GET_SYNC_STATE_DATA` (1006). Java 5.x only.
    pub const CONTROLLER_GET_SYNC_STATE_DATA: Self = Self(1006);
    /// `GET_BROKER_EPOCH_CACHE` (1007). Java 5.x only.
    pub const GET_BROKER_EPOCH_CACHE: Self = Self(1007);
    /// `NOTIFY_BROKER_ROLE_CHANGED` (1008). Java 5.x only.
    pub const NOTIFY_BROKER_ROLE_CHANGED: Self = Self(1008);
    /// `UPDATE_CONTROLLER_CONFIG` (1009). Java 5.x only.
    pub const UPDATE_CONTROLLER_CONFIG: Self = Self(1009);
    /// `GET_CONTROLLER_CONFIG` (1010). Java 5.x only.
    pub const GET_CONTROLLER_CONFIG: Self = Self(1010);
    /// `CLEAN_BROKER_DATA` (1011). Java 5.x only.
    pub const CLEAN_BROKER_DATA: Self = Self(1011);
    /// `CONTROLLER_GET_NEXT_BROKER_ID` (1012). Java 5.x only.
    pub const CONTROLLER_GET_NEXT_BROKER_ID: Self = Self(1012);
    /// `CONTROLLER_APPLY_BROKER_ID` (1013). Java 5.x only.
    pub const CONTROLLER_APPLY_BROKER_ID: Self = Self(1013);
    /// `UPDATE_COLD_DATA_FLOW_CTR_CONFIG` (2001). Java 5.x only.
    pub const UPDATE_COLD_DATA_FLOW_CTR_CONFIG: Self = Self(2001);
    /// `REMOVE_COLD_DATA_FLOW_CTR_CONFIG` (2002). Java 5.x only.
    pub const REMOVE_COLD_DATA_FLOW_CTR_CONFIG: Self = Self(2002);
    /// `GET_COLD_DATA_FLOW_CTR_INFO` (2003). Java 5.x only.
    pub const GET_COLD_DATA_FLOW_CTR_INFO: Self = Self(2003);
    /// `SET_COMMITLOG_READ_MODE` (2004). Java 5.x only.
    pub const SET_COMMITLOG_READ_MODE: Self = Self(2004);
    /// `AUTH_CREATE_USER` (3001). Java 5.x only.
    pub const AUTH_CREATE_USER: Self = Self(3001);
    /// `AUTH_UPDATE_USER` (3002). Java 5.x only.
    pub const AUTH_UPDATE_USER: Self = Self(3002);
    /// `AUTH_DELETE_USER` (3003). Java 5.x only.
    pub const AUTH_DELETE_USER: Self = Self(3003);
    /// `AUTH_GET_USER` (3004). Java 5.x only.
    pub const AUTH_GET_USER: Self = Self(3004);
    /// `AUTH_LIST_USER` (3005). Java 5.x only.
    pub const AUTH_LIST_USER: Self = Self(3005);
    /// `AUTH_CREATE_ACL` (3006). Java 5.x only.
    pub const AUTH_CREATE_ACL: Self = Self(3006);
    /// `AUTH_UPDATE_ACL` (3007). Java 5.x only.
    pub const AUTH_UPDATE_ACL: Self = Self(3007);
    /// `AUTH_DELETE_ACL` (3008). Java 5.x only.
    pub const AUTH_DELETE_ACL: Self = Self(3008);
    /// `AUTH_GET_ACL` (3009). Java 5.x only.
    pub const AUTH_GET_ACL: Self = Self(3009);
    /// `AUTH_LIST_ACL` (3010). Java 5.x only.
    pub const AUTH_LIST_ACL: Self = Self(3010);
    /// `POP_MESSAGE` (200050). Java 5.x only.
    pub const POP_MESSAGE: Self = Self(200050);
    /// `ACK_MESSAGE` (200051). Java 5.x only.
    pub const ACK_MESSAGE: Self = Self(200051);
    /// `PEEK_MESSAGE` (200052). Java 5.x only.
    pub const PEEK_MESSAGE: Self = Self(200052);
    /// `CHANGE_MESSAGE_INVISIBLETIME` (200053). Java 5.x only.
    pub const CHANGE_MESSAGE_INVISIBLETIME: Self = Self(200053);
    /// `NOTIFICATION` (200054). Java 5.x only.
    pub const NOTIFICATION: Self = Self(200054);
    /// `POLLING_INFO` (200055). Java 5.x only.
    pub const POLLING_INFO: Self = Self(200055);
    /// `POP_ROLLBACK` (200056). Java 5.x only.
    pub const POP_ROLLBACK: Self = Self(200056);
    /// `BATCH_ACK_MESSAGE` (200151). Java 5.x only.
    pub const BATCH_ACK_MESSAGE: Self = Self(200151);
}

impl RequestCode {
    /// The Java name of this code in the given protocol generation.
    pub fn name_for(self, flavour: ProtocolFlavour) -> Option<&'static str> {
        lookup(TABLE, self.0, flavour)
    }

    /// The Java name of this code: its 5.x name, or its 4.x name for a code 5.x dropped.
    pub fn name(self) -> Option<&'static str> {
        self.name_for(ProtocolFlavour::V5)
            .or_else(|| self.name_for(ProtocolFlavour::V4))
    }
}

impl fmt::Display for RequestCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => write!(f, "{} ({name})", self.0),
            None => write!(f, "{}", self.0),
        }
    }
}

/// Every code: (value, Java name, which generations define it), sorted by value.
const TABLE: &[(i32, &str, Since)] = &[
    (10, "SEND_MESSAGE", Since::All),
    (11, "PULL_MESSAGE", Since::All),
    (12, "QUERY_MESSAGE", Since::All),
    (13, "QUERY_BROKER_OFFSET", Since::All),
    (14, "QUERY_CONSUMER_OFFSET", Since::All),
    (15, "UPDATE_CONSUMER_OFFSET", Since::All),
    (17, "UPDATE_AND_CREATE_TOPIC", Since::All),
    (18, "UPDATE_AND_CREATE_TOPIC_LIST", Since::V5),
    (21, "GET_ALL_TOPIC_CONFIG", Since::All),
    (22, "GET_TOPIC_CONFIG_LIST", Since::All),
    (23, "GET_TOPIC_NAME_LIST", Since::All),
    (25, "UPDATE_BROKER_CONFIG", Since::All),
    (26, "GET_BROKER_CONFIG", Since::All),
    (27, "TRIGGER_DELETE_FILES", Since::All),
    (28, "GET_BROKER_RUNTIME_INFO", Since::All),
    (29, "SEARCH_OFFSET_BY_TIMESTAMP", Since::All),
    (30, "GET_MAX_OFFSET", Since::All),
    (31, "GET_MIN_OFFSET", Since::All),
    (32, "GET_EARLIEST_MSG_STORETIME", Since::All),
    (33, "VIEW_MESSAGE_BY_ID", Since::All),
    (34, "HEART_BEAT", Since::All),
    (35, "UNREGISTER_CLIENT", Since::All),
    (36, "CONSUMER_SEND_MSG_BACK", Since::All),
    (37, "END_TRANSACTION", Since::All),
    (38, "GET_CONSUMER_LIST_BY_GROUP", Since::All),
    (39, "CHECK_TRANSACTION_STATE", Since::All),
    (40, "NOTIFY_CONSUMER_IDS_CHANGED", Since::All),
    (41, "LOCK_BATCH_MQ", Since::All),
    (42, "UNLOCK_BATCH_MQ", Since::All),
    (43, "GET_ALL_CONSUMER_OFFSET", Since::All),
    (45, "GET_ALL_DELAY_OFFSET", Since::All),
    (46, "CHECK_CLIENT_CONFIG", Since::All),
    (47, "GET_CLIENT_CONFIG", Since::V5),
    (50, "UPDATE_AND_CREATE_ACL_CONFIG", Since::V4Only),
    (51, "DELETE_ACL_CONFIG", Since::V4Only),
    (52, "GET_BROKER_CLUSTER_ACL_INFO", Since::V4Only),
    (53, "UPDATE_GLOBAL_WHITE_ADDRS_CONFIG", Since::V4Only),
    (60, "GET_TIMER_CHECK_POINT", Since::V5),
    (61, "GET_TIMER_METRICS", Since::V5),
    (100, "PUT_KV_CONFIG", Since::All),
    (101, "GET_KV_CONFIG", Since::All),
    (102, "DELETE_KV_CONFIG", Since::All),
    (103, "REGISTER_BROKER", Since::All),
    (104, "UNREGISTER_BROKER", Since::All),
    (105, "GET_ROUTEINFO_BY_TOPIC", Since::All),
    (106, "GET_BROKER_CLUSTER_INFO", Since::All),
    (200, "UPDATE_AND_CREATE_SUBSCRIPTIONGROUP", Since::All),
    (201, "GET_ALL_SUBSCRIPTIONGROUP_CONFIG", Since::All),
    (202, "GET_TOPIC_STATS_INFO", Since::All),
    (203, "GET_CONSUMER_CONNECTION_LIST", Since::All),
    (204, "GET_PRODUCER_CONNECTION_LIST", Since::All),
    (205, "WIPE_WRITE_PERM_OF_BROKER", Since::All),
    (206, "GET_ALL_TOPIC_LIST_FROM_NAMESERVER", Since::All),
    (207, "DELETE_SUBSCRIPTIONGROUP", Since::All),
    (208, "GET_CONSUME_STATS", Since::All),
    (209, "SUSPEND_CONSUMER", Since::All),
    (210, "RESUME_CONSUMER", Since::All),
    (211, "RESET_CONSUMER_OFFSET_IN_CONSUMER", Since::All),
    (212, "RESET_CONSUMER_OFFSET_IN_BROKER", Since::All),
    (213, "ADJUST_CONSUMER_THREAD_POOL", Since::All),
    (214, "WHO_CONSUME_THE_MESSAGE", Since::All),
    (215, "DELETE_TOPIC_IN_BROKER", Since::All),
    (216, "DELETE_TOPIC_IN_NAMESRV", Since::All),
    (217, "REGISTER_TOPIC_IN_NAMESRV", Since::V5),
    (219, "GET_KVLIST_BY_NAMESPACE", Since::All),
    (220, "RESET_CONSUMER_CLIENT_OFFSET", Since::All),
    (221, "GET_CONSUMER_STATUS_FROM_CLIENT", Since::All),
    (222, "INVOKE_BROKER_TO_RESET_OFFSET", Since::All),
    (223, "INVOKE_BROKER_TO_GET_CONSUMER_STATUS", Since::All),
    (224, "GET_TOPICS_BY_CLUSTER", Since::All),
    (225, "UPDATE_AND_CREATE_SUBSCRIPTIONGROUP_LIST", Since::V5),
    (300, "QUERY_TOPIC_CONSUME_BY_WHO", Since::All),
    (301, "REGISTER_FILTER_SERVER", Since::All),
    (302, "REGISTER_MESSAGE_FILTER_CLASS", Since::All),
    (303, "QUERY_CONSUME_TIME_SPAN", Since::All),
    (304, "GET_SYSTEM_TOPIC_LIST_FROM_NS", Since::All),
    (305, "GET_SYSTEM_TOPIC_LIST_FROM_BROKER", Since::All),
    (306, "CLEAN_EXPIRED_CONSUMEQUEUE", Since::All),
    (307, "GET_CONSUMER_RUNNING_INFO", Since::All),
    (308, "QUERY_CORRECTION_OFFSET", Since::All),
    (309, "CONSUME_MESSAGE_DIRECTLY", Since::All),
    (310, "SEND_MESSAGE_V2", Since::All),
    (311, "GET_UNIT_TOPIC_LIST", Since::All),
    (312, "GET_HAS_UNIT_SUB_TOPIC_LIST", Since::All),
    (313, "GET_HAS_UNIT_SUB_UNUNIT_TOPIC_LIST", Since::All),
    (314, "CLONE_GROUP_OFFSET", Since::All),
    (315, "VIEW_BROKER_STATS_DATA", Since::All),
    (316, "CLEAN_UNUSED_TOPIC", Since::All),
    (317, "GET_BROKER_CONSUME_STATS", Since::All),
    (318, "UPDATE_NAMESRV_CONFIG", Since::All),
    (319, "GET_NAMESRV_CONFIG", Since::All),
    (320, "SEND_BATCH_MESSAGE", Since::All),
    (321, "QUERY_CONSUME_QUEUE", Since::All),
    (322, "QUERY_DATA_VERSION", Since::All),
    (323, "RESUME_CHECK_HALF_MESSAGE", Since::All),
    (324, "SEND_REPLY_MESSAGE", Since::All),
    (325, "SEND_REPLY_MESSAGE_V2", Since::All),
    (326, "PUSH_REPLY_MESSAGE_TO_CLIENT", Since::All),
    (327, "ADD_WRITE_PERM_OF_BROKER", Since::All),
    (328, "GET_ALL_PRODUCER_INFO", Since::All),
    (329, "DELETE_EXPIRED_COMMITLOG", Since::All),
    (343, "QUERY_TOPICS_BY_CONSUMER", Since::V5),
    (345, "QUERY_SUBSCRIPTION_BY_CONSUMER", Since::V5),
    (351, "GET_TOPIC_CONFIG", Since::V5),
    (352, "GET_SUBSCRIPTIONGROUP_CONFIG", Since::V5),
    (353, "UPDATE_AND_GET_GROUP_FORBIDDEN", Since::V5),
    (354, "CHECK_ROCKSDB_CQ_WRITE_PROGRESS", Since::V5),
    (355, "EXPORT_ROCKSDB_CONFIG_TO_JSON", Since::V5),
    (361, "LITE_PULL_MESSAGE", Since::V5),
    (370, "RECALL_MESSAGE", Since::V5),
    (400, "QUERY_ASSIGNMENT", Since::V5),
    (401, "SET_MESSAGE_REQUEST_MODE", Since::V5),
    (402, "GET_ALL_MESSAGE_REQUEST_MODE", Since::V5),
    (513, "UPDATE_AND_CREATE_STATIC_TOPIC", Since::V5),
    (901, "GET_BROKER_MEMBER_GROUP", Since::V5),
    (902, "ADD_BROKER", Since::V5),
    (903, "REMOVE_BROKER", Since::V5),
    (904, "BROKER_HEARTBEAT", Since::V5),
    (905, "NOTIFY_MIN_BROKER_ID_CHANGE", Since::V5),
    (906, "EXCHANGE_BROKER_HA_INFO", Since::V5),
    (907, "GET_BROKER_HA_STATUS", Since::V5),
    (908, "RESET_MASTER_FLUSH_OFFSET", Since::V5),
    (1001, "CONTROLLER_ALTER_SYNC_STATE_SET", Since::V5),
    (1002, "CONTROLLER_ELECT_MASTER", Since::V5),
    (1003, "CONTROLLER_REGISTER_BROKER", Since::V5),
    (1004, "CONTROLLER_GET_REPLICA_INFO", Since::V5),
    (1005, "CONTROLLER_GET_METADATA_INFO", Since::V5),
    (1006, "CONTROLLER_GET_SYNC_STATE_DATA", Since::V5),
    (1007, "GET_BROKER_EPOCH_CACHE", Since::V5),
    (1008, "NOTIFY_BROKER_ROLE_CHANGED", Since::V5),
    (1009, "UPDATE_CONTROLLER_CONFIG", Since::V5),
    (1010, "GET_CONTROLLER_CONFIG", Since::V5),
    (1011, "CLEAN_BROKER_DATA", Since::V5),
    (1012, "CONTROLLER_GET_NEXT_BROKER_ID", Since::V5),
    (1013, "CONTROLLER_APPLY_BROKER_ID", Since::V5),
    (2001, "UPDATE_COLD_DATA_FLOW_CTR_CONFIG", Since::V5),
    (2002, "REMOVE_COLD_DATA_FLOW_CTR_CONFIG", Since::V5),
    (2003, "GET_COLD_DATA_FLOW_CTR_INFO", Since::V5),
    (2004, "SET_COMMITLOG_READ_MODE", Since::V5),
    (3001, "AUTH_CREATE_USER", Since::V5),
    (3002, "AUTH_UPDATE_USER", Since::V5),
    (3003, "AUTH_DELETE_USER", Since::V5),
    (3004, "AUTH_GET_USER", Since::V5),
    (3005, "AUTH_LIST_USER", Since::V5),
    (3006, "AUTH_CREATE_ACL", Since::V5),
    (3007, "AUTH_UPDATE_ACL", Since::V5),
    (3008, "AUTH_DELETE_ACL", Since::V5),
    (3009, "AUTH_GET_ACL", Since::V5),
    (3010, "AUTH_LIST_ACL", Since::V5),
    (200050, "POP_MESSAGE", Since::V5),
    (200051, "ACK_MESSAGE", Since::V5),
    (200052, "PEEK_MESSAGE", Since::V5),
    (200053, "CHANGE_MESSAGE_INVISIBLETIME", Since::V5),
    (200054, "NOTIFICATION", Since::V5),
    (200055, "POLLING_INFO", Since::V5),
    (200056, "POP_ROLLBACK", Since::V5),
    (200151, "BATCH_ACK_MESSAGE", Since::V5),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_sorted_and_unique_per_flavour() {
        assert!(TABLE.windows(2).all(|w| w[0].0 <= w[1].0));
        for f in [ProtocolFlavour::V4, ProtocolFlavour::V5] {
            let codes: Vec<i32> = TABLE
                .iter()
                .filter(|r| r.2.includes(f))
                .map(|r| r.0)
                .collect();
            assert!(codes.windows(2).all(|w| w[0] < w[1]));
        }
        assert_eq!(
            TABLE
                .iter()
                .filter(|r| r.2.includes(ProtocolFlavour::V4))
                .count(),
            95
        );
        assert_eq!(
            TABLE
                .iter()
                .filter(|r| r.2.includes(ProtocolFlavour::V5))
                .count(),
            153
        );
    }

    #[test]
    fn names_by_flavour() {
        assert_eq!(
            RequestCode::UPDATE_AND_CREATE_ACL_CONFIG.name_for(ProtocolFlavour::V5),
            None
        );
        assert_eq!(RequestCode(50).name(), Some("UPDATE_AND_CREATE_ACL_CONFIG"));
        assert_eq!(RequestCode(200_050).name(), Some("POP_MESSAGE"));
        assert_eq!(
            RequestCode(105).name_for(ProtocolFlavour::V4),
            Some("GET_ROUTEINFO_BY_TOPIC")
        );
        assert_eq!(RequestCode(-7).name(), None);
        assert_eq!(RequestCode(-7).to_string(), "-7");
    }
}
