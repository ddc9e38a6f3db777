//! Response codes (`ResponseCode.java` and `RemotingSysResponseCode.java` of Java 4.9.8
//! and 5.3.3).

use std::fmt;

use super::{ProtocolFlavour, Since, lookup};

/// A response code. Unknown codes are kept as they are.
///
/// The associated constants cover every code of Java 4.9.8 and 5.3.3. Three values mean
/// different things in the two generations: 209, 210 and 211 are ACL errors in 4.x
/// (`UPDATE_AND_CREATE_ACL_CONFIG_FAILED`, `DELETE_ACL_CONFIG_FAILED`,
/// `UPDATE_GLOBAL_WHITE_ADDRS_CONFIG_FAILED`) but pop results in 5.x (`POLLING_FULL`,
/// `POLLING_TIMEOUT`, `BROKER_NOT_EXIST`); use [`ResponseCode::name_for`] to name them.
///
/// ```
/// # use rocketmq::protocol::{ProtocolFlavour, ResponseCode};
/// assert_eq!(ResponseCode(209).name_for(ProtocolFlavour::V5), Some("POLLING_FULL"));
/// assert_eq!(ResponseCode(209).name_for(ProtocolFlavour::V4), Some("UPDATE_AND_CREATE_ACL_CONFIG_FAILED"));
/// assert_eq!(ResponseCode::TOPIC_NOT_EXIST.to_string(), "17 (TOPIC_NOT_EXIST)");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ResponseCode(pub i32);

impl ResponseCode {
    /// `RPC_TIME_OUT` (-1006). Java 5.x only.
    pub const RPC_TIME_OUT: Self = Self(-1006);
    /// `RPC_SEND_TO_CHANNEL_FAILED` (-1004). Java 5.x only.
    pub const RPC_SEND_TO_CHANNEL_FAILED: Self = Self(-1004);
    /// `RPC_ADDR_IS_NULL` (-1002). Java 5.x only.
    pub const RPC_ADDR_IS_NULL: Self = Self(-1002);
    /// `RPC_UNKNOWN` (-1000). Java 5.x only.
    pub const RPC_UNKNOWN: Self = Self(-1000);
    /// `SUCCESS` (0).
    pub const SUCCESS: Self = Self(0);
    /// `SYSTEM_ERROR` (1).
    pub const SYSTEM_ERROR: Self = Self(1);
    /// `SYSTEM_BUSY` (2).
    pub const SYSTEM_BUSY: Self = Self(2);
    /// `REQUEST_CODE_NOT_SUPPORTED` (3).
    pub const REQUEST_CODE_NOT_SUPPORTED: Self = Self(3);
    /// `TRANSACTION_FAILED` (4).
    pub const TRANSACTION_FAILED: Self = Self(4);
    /// `FLUSH_DISK_TIMEOUT` (10).
    pub const FLUSH_DISK_TIMEOUT: Self = Self(10);
    /// `SLAVE_NOT_AVAILABLE` (11).
    pub const SLAVE_NOT_AVAILABLE: Self = Self(11);
    /// `FLUSH_SLAVE_TIMEOUT` (12).
    pub const FLUSH_SLAVE_TIMEOUT: Self = Self(12);
    /// `MESSAGE_ILLEGAL` (13).
    pub const MESSAGE_ILLEGAL: Self = Self(13);
    /// `SERVICE_NOT_AVAILABLE` (14).
    pub const SERVICE_NOT_AVAILABLE: Self = Self(14);
    /// `VERSION_NOT_SUPPORTED` (15).
    pub const VERSION_NOT_SUPPORTED: Self = Self(15);
    /// `NO_PERMISSION` (16).
    pub const NO_PERMISSION: Self = Self(16);
    /// `TOPIC_NOT_EXIST` (17).
    pub const TOPIC_NOT_EXIST: Self = Self(17);
    /// `TOPIC_EXIST_ALREADY` (18).
    pub const TOPIC_EXIST_ALREADY: Self = Self(18);
    /// `PULL_NOT_FOUND` (19).
    pub const PULL_NOT_FOUND: Self = Self(19);
    /// `PULL_RETRY_IMMEDIATELY` (20).
    pub const PULL_RETRY_IMMEDIATELY: Self = Self(20);
    /// `PULL_OFFSET_MOVED` (21).
    pub const PULL_OFFSET_MOVED: Self = Self(21);
    /// `QUERY_NOT_FOUND` (22).
    pub const QUERY_NOT_FOUND: Self = Self(22);
    /// `SUBSCRIPTION_PARSE_FAILED` (23).
    pub const SUBSCRIPTION_PARSE_FAILED: Self = Self(23);
    /// `SUBSCRIPTION_NOT_EXIST` (24).
    pub const SUBSCRIPTION_NOT_EXIST: Self = Self(24);
    /// `SUBSCRIPTION_NOT_LATEST` (25).
    pub const SUBSCRIPTION_NOT_LATEST: Self = Self(25);
    /// `SUBSCRIPTION_GROUP_NOT_EXIST` (26).
    pub const SUBSCRIPTION_GROUP_NOT_EXIST: Self = Self(26);
    /// `FILTER_DATA_NOT_EXIST` (27).
    pub const FILTER_DATA_NOT_EXIST: Self = Self(27);
    /// `FILTER_DATA_NOT_LATEST` (28).
    pub const FILTER_DATA_NOT_LATEST: Self = Self(28);
    /// `INVALID_PARAMETER` (29). Java 5.x only.
    pub const INVALID_PARAMETER: Self = Self(29);
    /// `TRANSACTION_SHOULD_COMMIT` (200).
    pub const TRANSACTION_SHOULD_COMMIT: Self = Self(200);
    /// `TRANSACTION_SHOULD_ROLLBACK` (201).
    pub const TRANSACTION_SHOULD_ROLLBACK: Self = Self(201);
    /// `TRANSACTION_STATE_UNKNOW` (202).
    pub const TRANSACTION_STATE_UNKNOW: Self = Self(202);
    /// `TRANSACTION_STATE_GROUP_WRONG` (203).
    pub const TRANSACTION_STATE_GROUP_WRONG: Self = Self(203);
    /// `NO_BUYER_ID` (204).
    pub const NO_BUYER_ID: Self = Self(204);
    /// `NOT_IN_CURRENT_UNIT` (205).
    pub const NOT_IN_CURRENT_UNIT: Self = Self(205);
    /// `CONSUMER_NOT_ONLINE` (206).
    pub const CONSUMER_NOT_ONLINE: Self = Self(206);
    /// `CONSUME_MSG_TIMEOUT` (207).
    pub const CONSUME_MSG_TIMEOUT: Self = Self(207);
    /// `NO_MESSAGE` (208).
    pub const NO_MESSAGE: Self = Self(208);
    /// `POLLING_FULL` (209). Java 5.x only.
    pub const POLLING_FULL: Self = Self(209);
    /// `UPDATE_AND_CREATE_ACL_CONFIG_FAILED` (209). Java 4.x only.
    pub const UPDATE_AND_CREATE_ACL_CONFIG_FAILED: Self = Self(209);
    /// `DELETE_ACL_CONFIG_FAILED` (210). Java 4.x only.
    pub const DELETE_ACL_CONFIG_FAILED: Self = Self(210);
    /// `POLLING_TIMEOUT` (210). Java 5.x only.
    pub const POLLING_TIMEOUT: Self = Self(210);
    /// `BROKER_NOT_EXIST` (211). Java 5.x only.
    pub const BROKER_NOT_EXIST: Self = Self(211);
    /// `UPDATE_GLOBAL_WHITE_ADDRS_CONFIG_FAILED` (211). Java 4.x only.
    pub const UPDATE_GLOBAL_WHITE_ADDRS_CONFIG_FAILED: Self = Self(211);
    /// `BROKER_DISPATCH_NOT_COMPLETE` (212). Java 5.x only.
    pub const BROKER_DISPATCH_NOT_COMPLETE: Self = Self(212);
    /// `BROADCAST_CONSUMPTION` (213). Java 5.x only.
    pub const BROADCAST_CONSUMPTION: Self = Self(213);
    /// `FLOW_CONTROL` (215).
    pub const FLOW_CONTROL: Self = Self(215);
    /// `NOT_LEADER_FOR_QUEUE` (501). Java 5.x only.
    pub const NOT_LEADER_FOR_QUEUE: Self = Self(501);
    /// `ILLEGAL_OPERATION` (604). Java 5.x only.
    pub const ILLEGAL_OPERATION: Self = Self(604);
    /// `GO_AWAY` (1500). Java 5.x only.
    pub const GO_AWAY: Self = Self(1500);
    /// `CONTROLLER_FENCED_MASTER_EPOCH` (2000). Java 5.x only.
    pub const CONTROLLER_FENCED_MASTER_EPOCH: Self = Self(2000);
    /// `CONTROLLER_FENCED_SYNC_STATE_SET_EPOCH` (2001). Java 5.x only.
    pub const CONTROLLER_FENCED_SYNC_STATE_SET_EPOCH: Self = Self(2001);
    /// `CONTROLLER_INVALID_MASTER` (2002). Java 5.x only.
    pub const CONTROLLER_INVALID_MASTER: Self = Self(2002);
    /// `CONTROLLER_INVALID_REPLICAS` (2003). Java 5.x only.
    pub const CONTROLLER_INVALID_REPLICAS: Self = Self(2003);
    /// `CONTROLLER_MASTER_NOT_AVAILABLE` (2004). Java 5.x only.
    pub const CONTROLLER_MASTER_NOT_AVAILABLE: Self = Self(2004);
    /// `CONTROLLER_INVALID_REQUEST` (2005). Java 5.x only.
    pub const CONTROLLER_INVALID_REQUEST: Self = Self(2005);
    /// `CONTROLLER_BROKER_NOT_ALIVE` (2006). Java 5.x only.
    pub const CONTROLLER_BROKER_NOT_ALIVE: Self = Self(2006);
    /// `CONTROLLER_NOT_LEADER` (2007). Java 5.x only.
    pub const CONTROLLER_NOT_LEADER: Self = Self(2007);
    /// `CONTROLLER_BROKER_METADATA_NOT_EXIST` (2008). Java 5.x only.
    pub const CONTROLLER_BROKER_METADATA_NOT_EXIST: Self = Self(2008);
    /// `CONTROLLER_INVALID_CLEAN_BROKER_METADATA` (2009). Java 5.x only.
    pub const CONTROLLER_INVALID_CLEAN_BROKER_METADATA: Self = Self(2009);
    /// `CONTROLLER_BROKER_NEED_TO_BE_REGISTERED` (2010). Java 5.x only.
    pub const CONTROLLER_BROKER_NEED_TO_BE_REGISTERED: Self = Self(2010);
    /// `CONTROLLER_MASTER_STILL_EXIST` (2011). Java 5.x only.
    pub const CONTROLLER_MASTER_STILL_EXIST: Self = Self(2011);
    /// `CONTROLLER_ELECT_MASTER_FAILED` (2012). Java 5.x only.
    pub const CONTROLLER_ELECT_MASTER_FAILED: Self = Self(2012);
    /// `CONTROLLER_ALTER_SYNC_STATE_SET_FAILED` (2013). Java 5.x only.
    pub const CONTROLLER_ALTER_SYNC_STATE_SET_FAILED: Self = Self(2013);
    /// `CONTROLLER_BROKER_ID_INVALID` (2014). Java 5.x only.
    pub const CONTROLLER_BROKER_ID_INVALID: Self = Self(2014);
    /// `CONTROLLER_JRAFT_INTERNAL_ERROR` (2015). Java 5.x only.
    pub const CONTROLLER_JRAFT_INTERNAL_ERROR: Self = Self(2015);
    /// `CONTROLLER_BROKER_LIVE_INFO_NOT_EXISTS` (2016). Java 5.x only.
    pub const CONTROLLER_BROKER_LIVE_INFO_NOT_EXISTS: Self = Self(2016);
    /// `USER_NOT_EXIST` (3001). Java 5.x only.
    pub const USER_NOT_EXIST: Self = Self(3001);
    /// `POLICY_NOT_EXIST` (3002). Java 5.x only.
    pub const POLICY_NOT_EXIST: Self = Self(3002);
}

impl ResponseCode {
    /// The Java name of this code in the given protocol generation.
    pub fn name_for(self, flavour: ProtocolFlavour) -> Option<&'static str> {
        lookup(TABLE, self.0, flavour)
    }

    /// The Java name of this code: its 5.x name, or its 4.x name for a code 5.x dropped.
    /// For 209, 210 and 211 this is the 5.x name; prefer [`ResponseCode::name_for`] when
    /// the peer's generation is known.
    pub fn name(self) -> Option<&'static str> {
        self.name_for(ProtocolFlavour::V5)
            .or_else(|| self.name_for(ProtocolFlavour::V4))
    }

    /// A `Display` of the number and the name the code has in `flavour`.
    pub fn display_for(self, flavour: ProtocolFlavour) -> impl fmt::Display {
        struct D(ResponseCode, ProtocolFlavour);
        impl fmt::Display for D {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                match self.0.name_for(self.1) {
                    Some(name) => write!(f, "{} ({name})", self.0.0),
                    None => write!(f, "{}", self.0.0),
                }
            }
        }
        D(self, flavour)
    }

    /// Whether this is `SUCCESS` (0).
    pub fn is_success(self) -> bool {
        self == Self::SUCCESS
    }
}

/// The number and name; a code named differently by 4.x and 5.x shows both.
impl fmt::Display for ResponseCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let v5 = self.name_for(ProtocolFlavour::V5);
        let v4 = self.name_for(ProtocolFlavour::V4);
        match (v5, v4) {
            (Some(a), Some(b)) if a != b => write!(f, "{} ({a} in 5.x, {b} in 4.x)", self.0),
            (Some(name), _) | (None, Some(name)) => write!(f, "{} ({name})", self.0),
            (None, None) => write!(f, "{}", self.0),
        }
    }
}

/// Every code: (value, Java name, which generations define it), sorted by value.
const TABLE: &[(i32, &str, Since)] = &[
    (-1006, "RPC_TIME_OUT", Since::V5),
    (-1004, "RPC_SEND_TO_CHANNEL_FAILED", Since::V5),
    (-1002, "RPC_ADDR_IS_NULL", Since::V5),
    (-1000, "RPC_UNKNOWN", Since::V5),
    (0, "SUCCESS", Since::All),
    (1, "SYSTEM_ERROR", Since::All),
    (2, "SYSTEM_BUSY", Since::All),
    (3, "REQUEST_CODE_NOT_SUPPORTED", Since::All),
    (4, "TRANSACTION_FAILED", Since::All),
    (10, "FLUSH_DISK_TIMEOUT", Since::All),
    (11, "SLAVE_NOT_AVAILABLE", Since::All),
    (12, "FLUSH_SLAVE_TIMEOUT", Since::All),
    (13, "MESSAGE_ILLEGAL", Since::All),
    (14, "SERVICE_NOT_AVAILABLE", Since::All),
    (15, "VERSION_NOT_SUPPORTED", Since::All),
    (16, "NO_PERMISSION", Since::All),
    (17, "TOPIC_NOT_EXIST", Since::All),
    (18, "TOPIC_EXIST_ALREADY", Since::All),
    (19, "PULL_NOT_FOUND", Since::All),
    (20, "PULL_RETRY_IMMEDIATELY", Since::All),
    (21, "PULL_OFFSET_MOVED", Since::All),
    (22, "QUERY_NOT_FOUND", Since::All),
    (23, "SUBSCRIPTION_PARSE_FAILED", Since::All),
    (24, "SUBSCRIPTION_NOT_EXIST", Since::All),
    (25, "SUBSCRIPTION_NOT_LATEST", Since::All),
    (26, "SUBSCRIPTION_GROUP_NOT_EXIST", Since::All),
    (27, "FILTER_DATA_NOT_EXIST", Since::All),
    (28, "FILTER_DATA_NOT_LATEST", Since::All),
    (29, "INVALID_PARAMETER", Since::V5),
    (200, "TRANSACTION_SHOULD_COMMIT", Since::All),
    (201, "TRANSACTION_SHOULD_ROLLBACK", Since::All),
    (202, "TRANSACTION_STATE_UNKNOW", Since::All),
    (203, "TRANSACTION_STATE_GROUP_WRONG", Since::All),
    (204, "NO_BUYER_ID", Since::All),
    (205, "NOT_IN_CURRENT_UNIT", Since::All),
    (206, "CONSUMER_NOT_ONLINE", Since::All),
    (207, "CONSUME_MSG_TIMEOUT", Since::All),
    (208, "NO_MESSAGE", Since::All),
    (209, "POLLING_FULL", Since::V5),
    (209, "UPDATE_AND_CREATE_ACL_CONFIG_FAILED", Since::V4Only),
    (210, "DELETE_ACL_CONFIG_FAILED", Since::V4Only),
    (210, "POLLING_TIMEOUT", Since::V5),
    (211, "BROKER_NOT_EXIST", Since::V5),
    (
        211,
        "UPDATE_GLOBAL_WHITE_ADDRS_CONFIG_FAILED",
        Since::V4Only,
    ),
    (212, "BROKER_DISPATCH_NOT_COMPLETE", Since::V5),
    (213, "BROADCAST_CONSUMPTION", Since::V5),
    (215, "FLOW_CONTROL", Since::All),
    (501, "NOT_LEADER_FOR_QUEUE", Since::V5),
    (604, "ILLEGAL_OPERATION", Since::V5),
    (1500, "GO_AWAY", Since::V5),
    (2000, "CONTROLLER_FENCED_MASTER_EPOCH", Since::V5),
    (2001, "CONTROLLER_FENCED_SYNC_STATE_SET_EPOCH", Since::V5),
    (2002, "CONTROLLER_INVALID_MASTER", Since::V5),
    (2003, "CONTROLLER_INVALID_REPLICAS", Since::V5),
    (2004, "CONTROLLER_MASTER_NOT_AVAILABLE", Since::V5),
    (2005, "CONTROLLER_INVALID_REQUEST", Since::V5),
    (2006, "CONTROLLER_BROKER_NOT_ALIVE", Since::V5),
    (2007, "CONTROLLER_NOT_LEADER", Since::V5),
    (2008, "CONTROLLER_BROKER_METADATA_NOT_EXIST", Since::V5),
    (2009, "CONTROLLER_INVALID_CLEAN_BROKER_METADATA", Since::V5),
    (2010, "CONTROLLER_BROKER_NEED_TO_BE_REGISTERED", Since::V5),
    (2011, "CONTROLLER_MASTER_STILL_EXIST", Since::V5),
    (2012, "CONTROLLER_ELECT_MASTER_FAILED", Since::V5),
    (2013, "CONTROLLER_ALTER_SYNC_STATE_SET_FAILED", Since::V5),
    (2014, "CONTROLLER_BROKER_ID_INVALID", Since::V5),
    (2015, "CONTROLLER_JRAFT_INTERNAL_ERROR", Since::V5),
    (2016, "CONTROLLER_BROKER_LIVE_INFO_NOT_EXISTS", Since::V5),
    (3001, "USER_NOT_EXIST", Since::V5),
    (3002, "POLICY_NOT_EXIST", Since::V5),
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
            37
        );
        assert_eq!(
            TABLE
                .iter()
                .filter(|r| r.2.includes(ProtocolFlavour::V5))
                .count(),
            66
        );
    }

    #[test]
    fn ambiguous_codes() {
        let v4 = ProtocolFlavour::V4;
        let v5 = ProtocolFlavour::V5;
        assert_eq!(
            ResponseCode(210).name_for(v4),
            Some("DELETE_ACL_CONFIG_FAILED")
        );
        assert_eq!(ResponseCode(210).name_for(v5), Some("POLLING_TIMEOUT"));
        assert_eq!(
            ResponseCode(211).name_for(v4),
            Some("UPDATE_GLOBAL_WHITE_ADDRS_CONFIG_FAILED")
        );
        assert_eq!(ResponseCode(211).name_for(v5), Some("BROKER_NOT_EXIST"));
        assert_eq!(
            ResponseCode::POLLING_FULL,
            ResponseCode::UPDATE_AND_CREATE_ACL_CONFIG_FAILED
        );
        assert_eq!(
            ResponseCode(209).to_string(),
            "209 (POLLING_FULL in 5.x, UPDATE_AND_CREATE_ACL_CONFIG_FAILED in 4.x)"
        );
        assert_eq!(
            ResponseCode(209).display_for(v4).to_string(),
            "209 (UPDATE_AND_CREATE_ACL_CONFIG_FAILED)"
        );
    }

    #[test]
    fn system_and_unknown_codes() {
        assert_eq!(ResponseCode(0).name(), Some("SUCCESS"));
        assert_eq!(
            ResponseCode(1).name_for(ProtocolFlavour::V4),
            Some("SYSTEM_ERROR")
        );
        assert_eq!(ResponseCode(29).name_for(ProtocolFlavour::V4), None);
        assert_eq!(ResponseCode(29).name(), Some("INVALID_PARAMETER"));
        assert_eq!(ResponseCode(123_456).to_string(), "123456");
        assert!(ResponseCode::SUCCESS.is_success());
    }
}
