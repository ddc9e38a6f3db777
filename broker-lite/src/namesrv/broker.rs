//! Requests brokers send: REGISTER_BROKER (103), UNREGISTER_BROKER (104),
//! QUERY_DATA_VERSION (322) and the 5.x BROKER_HEARTBEAT (904).
//! Java: `DefaultRequestProcessor.registerBroker*`, `unregisterBroker`,
//! `queryBrokerTopicConfig`, `brokerHeartbeat`.

use std::time::{Duration, Instant};

use rocketmq::Result;
use rocketmq::protocol::body::{DataVersion, RegisterBrokerBody};
use rocketmq::protocol::header::{
    BrokerHeartbeatRequestHeader, QueryDataVersionRequestHeader, QueryDataVersionResponseHeader,
    RegisterBrokerRequestHeader, RegisterBrokerResponseHeader, UnRegisterBrokerRequestHeader,
};
use rocketmq::protocol::json::JsonBody;
use rocketmq::protocol::{RemotingCommand, ResponseCode};
use rocketmq::remoting::RequestContext;
use tracing::info;

use super::Shared;
use super::kv::ORDER_TOPIC_CONFIG;
use super::routes::{BrokerKey, Registration};

/// The extFields key a 5.x broker puts its zone in (Java `MixAll.ZONE_NAME`).
const ZONE_NAME: &str = "__ZONE_NAME";

/// Java `UtilAll.crc32`: CRC-32 with the sign bit cleared.
pub(crate) fn java_crc32(bytes: &[u8]) -> i32 {
    (crc32fast::hash(bytes) & 0x7FFF_FFFF) as i32
}

pub(super) fn register(
    shared: &Shared,
    ctx: &RequestContext,
    request: &RemotingCommand,
) -> Result<RemotingCommand> {
    let header: RegisterBrokerRequestHeader = request.read_header()?;
    if header.body_crc32 != 0 && java_crc32(&request.body) != header.body_crc32 {
        tracing::warn!(peer = ctx.peer_addr(), "register broker: crc32 not match");
        return Ok(RemotingCommand::error_response(
            ResponseCode::SYSTEM_ERROR,
            "crc32 not match",
        ));
    }
    let body = if request.body.is_empty() {
        // Java: no body means an empty table with data version 0/0.
        RegisterBrokerBody {
            topic_config: rocketmq::protocol::body::TopicConfigTable {
                data_version: Some(DataVersion::default()),
                ..Default::default()
            },
            filter_servers: Vec::new(),
        }
    } else {
        RegisterBrokerBody::decode(&request.body, header.compressed)?
    };
    let registration = Registration {
        cluster: header.cluster_name.clone(),
        addr: header.broker_addr.clone(),
        name: header.broker_name.clone(),
        id: header.broker_id,
        ha_server_addr: header.ha_server_addr.clone(),
        zone_name: request.ext_field(ZONE_NAME).map(str::to_owned),
        timeout: header
            .heartbeat_timeout_millis
            .and_then(|ms| u64::try_from(ms).ok())
            .map(Duration::from_millis),
        enable_acting_master: header.enable_acting_master,
        topics: body.topic_config,
        filter_servers: Some(body.filter_servers),
        connection: Some(ctx.connection_id()),
    };
    let result = shared.routes().register(registration, Instant::now());
    shared.watch_connection(ctx);
    info!(cluster = %header.cluster_name, broker = %header.broker_name, id = header.broker_id,
        addr = %header.broker_addr, "broker registered");
    let mut response = RemotingCommand::response(ResponseCode::SUCCESS).with_header(
        &RegisterBrokerResponseHeader {
            ha_server_addr: result.ha_server_addr,
            master_addr: result.master_addr,
        },
    );
    if let Some(table) = shared.kv().list(ORDER_TOPIC_CONFIG) {
        response = response.with_body(table.to_json());
    }
    Ok(response)
}

pub(super) fn unregister(
    shared: &Shared,
    _ctx: &RequestContext,
    request: &RemotingCommand,
) -> Result<RemotingCommand> {
    let h: UnRegisterBrokerRequestHeader = request.read_header()?;
    shared
        .routes()
        .unregister(&h.cluster_name, &h.broker_addr, &h.broker_name, h.broker_id);
    info!(cluster = %h.cluster_name, broker = %h.broker_name, addr = %h.broker_addr,
        "broker unregistered");
    Ok(RemotingCommand::response(ResponseCode::SUCCESS))
}

pub(super) fn heartbeat(
    shared: &Shared,
    _ctx: &RequestContext,
    request: &RemotingCommand,
) -> Result<RemotingCommand> {
    let h: BrokerHeartbeatRequestHeader = request.read_header()?;
    let key = BrokerKey {
        cluster: h.cluster_name,
        addr: h.broker_addr,
    };
    shared.routes().touch(&key, Instant::now());
    Ok(RemotingCommand::response(ResponseCode::SUCCESS))
}

/// The broker sends its data version; the answer says whether the name server's copy
/// differs (and carries that copy). An unchanged version counts as a heartbeat.
pub(super) fn query_data_version(
    shared: &Shared,
    _ctx: &RequestContext,
    request: &RemotingCommand,
) -> Result<RemotingCommand> {
    let h: QueryDataVersionRequestHeader = request.read_header()?;
    let version = DataVersion::from_json(&request.body)?;
    let key = BrokerKey {
        cluster: h.cluster_name,
        addr: h.broker_addr,
    };
    let mut routes = shared.routes();
    let changed = routes.data_version_changed(&key, &version);
    if !changed {
        routes.touch(&key, Instant::now());
    }
    let ours = routes.data_version(&key);
    drop(routes);
    let mut response = RemotingCommand::response(ResponseCode::SUCCESS)
        .with_header(&QueryDataVersionResponseHeader { changed });
    if let Some(ours) = ours {
        response = response.with_body(ours.to_json());
    }
    Ok(response)
}

#[cfg(test)]
mod tests {
    #[test]
    fn crc_matches_java() {
        // java.util.zip.CRC32 of "123456789" is 0xCBF43926; Java clears the sign bit.
        assert_eq!(super::java_crc32(b"123456789"), 0x4BF4_3926);
    }
}
