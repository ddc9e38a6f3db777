//! Feeds arbitrary bytes to the fastjson-compatible JSON reader and the typed bodies built
//! on it: typed errors only, never a panic, bounded depth.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rocketmq::protocol::body::{ClusterInfo, ConsumeStats, ConsumerRunningInfo, Heartbeat, TopicRoute};
use rocketmq::protocol::json::{JsonBody, parse};

fuzz_target!(|data: &[u8]| {
    let _ = parse(data);
    let _ = TopicRoute::from_json(data);
    let _ = ClusterInfo::from_json(data);
    let _ = Heartbeat::from_json(data);
    let _ = ConsumerRunningInfo::from_json(data);
    let _ = ConsumeStats::from_json(data);
});
