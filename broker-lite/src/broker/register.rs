//! Registration with the name servers: REGISTER_BROKER every `register_interval` (and at
//! once when topics change), UNREGISTER_BROKER on shutdown (Java `BrokerController
//! .registerBrokerAll`, `BrokerOuterAPI.registerBrokerAll` / `unregisterBrokerAll`).
//!
//! The registration carries the topic table as JSON (`RegisterBrokerBody`, uncompressed:
//! Java compresses only with `compressedRegister`, off by default) with its CRC-32 in the
//! header, and goes to every address in `namesrv_addrs` at once. When the broker is not
//! both readable and writable, each topic's permission is masked with the broker's (as 5.x
//! does). A name server that keeps ordered-topic configs answers them in the body; topics
//! listed there are marked ordered and the others not (Java
//! `updateOrderTopicConfig`).
//!
//! "At once when topics change": the loop looks at the topic table's data version (and the
//! broker permission) every [`CHECK_EVERY`] and registers when either moved, so any code
//! that changes a topic through `TopicTable` triggers a registration without calling
//! anything here.

use std::sync::Arc;
use std::time::Duration;

use rocketmq::protocol::body::{KvTable, RegisterBrokerBody, TopicConfigTable};
use rocketmq::protocol::header::{RegisterBrokerRequestHeader, UnRegisterBrokerRequestHeader};
use rocketmq::protocol::json::JsonBody;
use rocketmq::protocol::{RemotingCommand, RequestCode, ResponseCode};
use rocketmq::remoting::RemotingClient;
use tokio::task::JoinSet;
use tokio::time::Instant;
use tracing::{debug, warn};

use super::State;
use super::topics::{PERM_READ, PERM_WRITE};

/// How often the topic table's version is compared with the last registered one.
pub(crate) const CHECK_EVERY: Duration = Duration::from_millis(200);
/// Timeout of one registration (Java `registerBrokerTimeoutMills`, 4.9.8's 6 s).
const REGISTER_TIMEOUT: Duration = Duration::from_secs(6);
/// Timeout of an unregistration on shutdown.
const UNREGISTER_TIMEOUT: Duration = Duration::from_secs(3);

/// Starts the registration loop: at once, then every `register_interval` and whenever
/// the topics or the broker permission change.
pub(super) fn spawn(state: &Arc<State>, tasks: &mut JoinSet<()>) {
    let state = Arc::clone(state);
    tasks.spawn(async move {
        let client = RemotingClient::builder()
            .request_timeout(REGISTER_TIMEOUT)
            .build();
        let mut registered = None;
        let mut next = Instant::now();
        loop {
            let seen = (
                state.topics.data_version(),
                state.config().broker_permission,
            );
            let now = Instant::now();
            if now >= next || registered.as_ref() != Some(&seen) {
                register_all(&state, &client).await;
                registered = Some(seen);
                next = Instant::now() + state.config().register_interval;
            }
            tokio::time::sleep(CHECK_EVERY).await;
        }
    });
}

/// The body Java's broker registers: the topic table (with permissions masked by a
/// read-only or write-only broker) and no filter servers.
pub(crate) fn register_body(state: &State) -> RegisterBrokerBody {
    let mut table: TopicConfigTable = state.topics.snapshot();
    let broker_perm = state.config().broker_permission;
    if broker_perm & (PERM_READ | PERM_WRITE) != PERM_READ | PERM_WRITE {
        for (_, t) in table.topic_config_table.iter_mut() {
            t.perm &= broker_perm;
        }
    }
    RegisterBrokerBody {
        topic_config: table,
        filter_servers: Vec::new(),
    }
}

/// Registers with every configured name server, in parallel; failures are logged.
pub(crate) async fn register_all(state: &Arc<State>, client: &RemotingClient) {
    let config = state.config();
    if config.namesrv_addrs.is_empty() {
        return;
    }
    let body = register_body(state).to_json();
    let header = RegisterBrokerRequestHeader {
        broker_name: config.broker_name.clone(),
        broker_addr: state.addr_text(),
        cluster_name: config.cluster_name.clone(),
        ha_server_addr: format!(
            "{}:{}",
            state.addr.ip(),
            state.addr.port().saturating_add(1)
        ),
        broker_id: config.broker_id,
        compressed: false,
        body_crc32: rocketmq::protocol::message::body_crc(&body),
        heartbeat_timeout_millis: None,
        enable_acting_master: None,
    };
    let request = RemotingCommand::request(RequestCode::REGISTER_BROKER)
        .with_header(&header)
        .with_body(body);
    let mut calls = JoinSet::new();
    for addr in config.namesrv_addrs.iter().cloned() {
        let client = client.clone();
        let request = request.clone();
        calls.spawn(async move {
            let result = client.invoke(&addr, request, REGISTER_TIMEOUT).await;
            (addr, result)
        });
    }
    while let Some(done) = calls.join_next().await {
        match done {
            Ok((addr, Ok(r))) if r.code == ResponseCode::SUCCESS.0 => {
                debug!(namesrv = %addr, "registered with name server");
                if !r.body.is_empty() {
                    match KvTable::from_json(&r.body) {
                        Ok(kv) => update_order_topics(state, &kv),
                        Err(e) => warn!(namesrv = %addr, "bad ordered-topic table: {e}"),
                    }
                }
            }
            Ok((addr, Ok(r))) => warn!(
                namesrv = %addr, code = r.code, remark = r.remark.as_deref().unwrap_or(""),
                "name server refused the registration"
            ),
            Ok((addr, Err(e))) => warn!(namesrv = %addr, "cannot register with name server: {e}"),
            Err(e) => warn!("registration task failed: {e}"),
        }
    }
}

/// Java `TopicConfigManager.updateOrderTopicConfig`: topics the name server lists are
/// ordered, the others not.
fn update_order_topics(state: &State, kv: &KvTable) {
    for name in state.topics.names() {
        let Some(mut t) = state.topics.get(&name) else {
            continue;
        };
        let ordered = kv.table.contains_key(&name);
        if t.order != ordered {
            t.order = ordered;
            state.topics.put(t);
        }
    }
}

/// Unregisters from every name server (best effort, in parallel).
pub(super) async fn unregister_all(state: &State) {
    let config = state.config();
    if config.namesrv_addrs.is_empty() {
        return;
    }
    let client = RemotingClient::builder()
        .request_timeout(UNREGISTER_TIMEOUT)
        .connect_timeout(UNREGISTER_TIMEOUT)
        .build();
    let header = UnRegisterBrokerRequestHeader {
        broker_name: config.broker_name.clone(),
        broker_addr: state.addr_text(),
        cluster_name: config.cluster_name.clone(),
        broker_id: config.broker_id,
    };
    let request = RemotingCommand::request(RequestCode::UNREGISTER_BROKER).with_header(&header);
    let mut calls = JoinSet::new();
    for addr in config.namesrv_addrs.iter().cloned() {
        let client = client.clone();
        let request = request.clone();
        calls.spawn(async move {
            let result = client.invoke(&addr, request, UNREGISTER_TIMEOUT).await;
            (addr, result)
        });
    }
    while let Some(done) = calls.join_next().await {
        match done {
            Ok((addr, Ok(r))) if r.code == ResponseCode::SUCCESS.0 => {
                debug!(namesrv = %addr, "unregistered from name server");
            }
            Ok((addr, Ok(r))) => warn!(namesrv = %addr, code = r.code, "unregister refused"),
            Ok((addr, Err(e))) => warn!(namesrv = %addr, "cannot unregister: {e}"),
            Err(e) => warn!("unregistration task failed: {e}"),
        }
    }
    client.close().await;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::broker::put::test_support::{test_state, test_state_with};

    #[test]
    fn body_masks_permissions_of_a_read_only_broker() {
        let (state, _dir) = test_state_with("register-body", |c| c.broker_permission = 4);
        let body = register_body(&state);
        let tbw = body.topic_config.topic_config_table.get("TBW102").unwrap();
        assert_eq!(tbw.perm, 4);
        assert!(body.topic_config.data_version.is_some());
        let (state, _dir) = test_state("register-body-rw");
        let tbw = register_body(&state)
            .topic_config
            .topic_config_table
            .get("TBW102")
            .cloned()
            .unwrap();
        assert_eq!(tbw.perm, 7);
    }

    #[test]
    fn order_flags_follow_the_name_server() {
        let (state, _dir) = test_state("register-order");
        let mut kv = KvTable::default();
        kv.table.insert("TBW102".into(), "broker-a:8".into());
        let v0 = state.topics.data_version();
        update_order_topics(&state, &kv);
        assert!(state.topics.get("TBW102").unwrap().order);
        assert_ne!(state.topics.data_version(), v0);
        update_order_topics(&state, &KvTable::default());
        assert!(!state.topics.get("TBW102").unwrap().order);
    }
}
