//! `BROKER_HEARTBEAT` (Java 5.x `BrokerHeartbeatRequestHeader`): a broker's liveness ping
//! to the name server (sent when slave acting master is enabled) or to the controller.

command_header! {
    /// `BrokerHeartbeatRequestHeader` (`BROKER_HEARTBEAT`, 5.x).
    pub struct BrokerHeartbeatRequestHeader {
        /// Cluster name (`clusterName`).
        pub cluster_name: String => "clusterName",
        /// Broker address (`brokerAddr`).
        pub broker_addr: String => "brokerAddr",
        /// Broker name (`brokerName`).
        pub broker_name: String => "brokerName",
        /// Broker id (`brokerId`).
        pub broker_id: Option<i64> => "brokerId",
        /// Controller epoch (`epoch`).
        pub epoch: Option<i32> => "epoch",
        /// Max commit log offset (`maxOffset`).
        pub max_offset: Option<i64> => "maxOffset",
        /// Confirmed offset (`confirmOffset`).
        pub confirm_offset: Option<i64> => "confirmOffset",
        /// Heartbeat timeout in milliseconds (`heartbeatTimeoutMills`, Java's spelling).
        pub heartbeat_timeout_millis: Option<i64> => "heartbeatTimeoutMills",
        /// Election priority (`electionPriority`).
        pub election_priority: Option<i32> => "electionPriority",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::header::test_util::{assert_required, keys, round_trip};

    #[test]
    fn broker_heartbeat() {
        let h = BrokerHeartbeatRequestHeader {
            cluster_name: "c".into(),
            broker_addr: "127.0.0.1:10911".into(),
            broker_name: "b".into(),
            heartbeat_timeout_millis: Some(10_000),
            ..Default::default()
        };
        assert_eq!(
            keys(&round_trip(&h)),
            [
                "brokerAddr",
                "brokerName",
                "clusterName",
                "heartbeatTimeoutMills"
            ]
        );
        assert_required(&h, &["clusterName", "brokerAddr", "brokerName"]);
    }
}
