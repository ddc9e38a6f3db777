//! A scripted name server and brokers on loopback, built from the SDK's `RemotingServer`,
//! for producer tests that need no Java and no broker-lite: they record every request and
//! answer as told.
#![allow(dead_code)]
// Test scaffolding: a failed lock or bind should fail the test loudly.
#![allow(clippy::unwrap_used)]

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rocketmq::protocol::body::{BrokerData, QueueData, TopicRoute};
use rocketmq::protocol::header::{
    GetRouteInfoRequestHeader, SendMessageRequestHeaderV2, SendMessageResponseHeader,
};
use rocketmq::protocol::json::JsonBody;
use rocketmq::protocol::message::OffsetMsgId;
use rocketmq::protocol::{RemotingCommand, RequestCode, ResponseCode};
use rocketmq::remoting::{Connection, RemotingServer, RequestContext};
use tokio::sync::{Notify, Semaphore};

/// What a mock broker saw and how it answers.
#[derive(Default)]
pub(crate) struct BrokerState {
    pub requests: Mutex<Vec<RemotingCommand>>,
    /// Answer sends with this code and remark instead of storing.
    pub refuse: Mutex<Option<(ResponseCode, String)>>,
    /// When set, each send waits for a permit before it is answered.
    pub gate: Mutex<Option<Arc<Semaphore>>>,
    /// The connection of the last heartbeat (to send checks back).
    pub client: Mutex<Option<Connection>>,
    pub offset: AtomicI64,
    pub changed: Notify,
}

impl BrokerState {
    /// Requests with `code` seen so far.
    pub(crate) fn seen(&self, code: RequestCode) -> Vec<RemotingCommand> {
        self.requests
            .lock()
            .unwrap()
            .iter()
            .filter(|r| r.code == code.0)
            .cloned()
            .collect()
    }

    /// Waits (at most 10 s) until `count` requests with `code` have arrived.
    pub(crate) async fn wait_for(&self, code: RequestCode, count: usize) -> Vec<RemotingCommand> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            let notified = self.changed.notified();
            let seen = self.seen(code);
            if seen.len() >= count {
                return seen;
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                panic!(
                    "waited for {count} requests with code {}, saw {}",
                    code.0,
                    seen.len()
                );
            }
        }
    }
}

pub(crate) struct MockBroker {
    pub name: String,
    pub addr: String,
    pub state: Arc<BrokerState>,
    server: Option<RemotingServer>,
}

impl MockBroker {
    pub(crate) async fn start(name: &str) -> MockBroker {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        Self::serve(name, listener)
    }

    /// A broker and its VIP twin on the port 2 below (Java's fast channel), both serving
    /// `name`: `(broker, vip)`.
    pub(crate) async fn start_with_vip(name: &str) -> (MockBroker, MockBroker) {
        for _ in 0..100 {
            let vip = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let port = vip.local_addr().unwrap().port();
            let Some(main_port) = port.checked_add(2) else {
                continue;
            };
            if let Ok(main) = tokio::net::TcpListener::bind(("127.0.0.1", main_port)).await {
                return (Self::serve(name, main), Self::serve(name, vip));
            }
        }
        panic!("no free port pair for a VIP channel");
    }

    fn serve(name: &str, listener: tokio::net::TcpListener) -> MockBroker {
        let state = Arc::new(BrokerState::default());
        let local: SocketAddr = listener.local_addr().unwrap();
        let s = Arc::clone(&state);
        let server = RemotingServer::builder()
            .fallback_handler(move |ctx: RequestContext, request: RemotingCommand| {
                let state = Arc::clone(&s);
                async move { Ok(answer(&state, local, ctx, request).await) }
            })
            .serve(listener)
            .unwrap();
        MockBroker {
            name: name.to_owned(),
            addr: local.to_string(),
            state,
            server: Some(server),
        }
    }

    /// Stops the broker: its port refuses connections from now on.
    pub(crate) async fn stop(&mut self) {
        if let Some(server) = self.server.take() {
            server.shutdown().await;
        }
    }
}

async fn answer(
    state: &BrokerState,
    local: SocketAddr,
    ctx: RequestContext,
    request: RemotingCommand,
) -> Option<RemotingCommand> {
    state.requests.lock().unwrap().push(request.clone());
    state.changed.notify_waiters();
    let code = RequestCode(request.code);
    if code == RequestCode::HEART_BEAT {
        *state.client.lock().unwrap() = Some(ctx.connection().clone());
    }
    if code != RequestCode::SEND_MESSAGE_V2 && code != RequestCode::SEND_BATCH_MESSAGE {
        return Some(RemotingCommand::response(ResponseCode::SUCCESS));
    }
    let gate = state.gate.lock().unwrap().clone();
    if let Some(gate) = gate {
        gate.acquire().await.unwrap().forget();
    }
    if let Some((code, remark)) = state.refuse.lock().unwrap().clone() {
        return Some(RemotingCommand::error_response(code, remark));
    }
    let header: SendMessageRequestHeaderV2 = request.read_header().unwrap();
    let offset = state.offset.fetch_add(1, Ordering::SeqCst);
    let reply = SendMessageResponseHeader {
        msg_id: OffsetMsgId::new(local, 1000 + offset).to_string(),
        queue_id: header.queue_id,
        queue_offset: offset,
        transaction_id: (header.sys_flag & 0x4 != 0).then(|| format!("tx-{offset}")),
        batch_uniq_id: None,
        recall_handle: None,
    };
    Some(RemotingCommand::response(ResponseCode::SUCCESS).with_header(&reply))
}

/// A name server answering GET_ROUTEINFO_BY_TOPIC from a table.
pub(crate) struct MockNamesrv {
    pub addr: String,
    pub routes: Arc<Mutex<HashMap<String, TopicRoute>>>,
    pub lookups: Arc<Mutex<Vec<String>>>,
    _server: RemotingServer,
}

impl MockNamesrv {
    pub(crate) async fn start() -> MockNamesrv {
        let routes: Arc<Mutex<HashMap<String, TopicRoute>>> = Arc::default();
        let lookups: Arc<Mutex<Vec<String>>> = Arc::default();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        let (r, l) = (Arc::clone(&routes), Arc::clone(&lookups));
        let server = RemotingServer::builder()
            .handler(
                RequestCode::GET_ROUTEINFO_BY_TOPIC,
                move |_ctx: RequestContext, request: RemotingCommand| {
                    let (routes, lookups) = (Arc::clone(&r), Arc::clone(&l));
                    async move {
                        let header: GetRouteInfoRequestHeader = request.read_header()?;
                        lookups.lock().unwrap().push(header.topic.clone());
                        let route = routes.lock().unwrap().get(&header.topic).cloned();
                        Ok(Some(match route {
                            Some(route) => RemotingCommand::response(ResponseCode::SUCCESS)
                                .with_body(route.to_json()),
                            None => RemotingCommand::error_response(
                                ResponseCode::TOPIC_NOT_EXIST,
                                format!(
                                    "No topic route info in name server for the topic: {}",
                                    header.topic
                                ),
                            ),
                        }))
                    }
                },
            )
            .serve(listener)
            .unwrap();
        MockNamesrv {
            addr,
            routes,
            lookups,
            _server: server,
        }
    }

    /// Publishes `topic` on `brokers` with `queues` queues each and permission `perm`.
    pub(crate) fn route(&self, topic: &str, brokers: &[&MockBroker], queues: i32, perm: i32) {
        let route = TopicRoute {
            queues: brokers
                .iter()
                .map(|b| QueueData {
                    broker_name: b.name.clone(),
                    read_queue_nums: queues,
                    write_queue_nums: queues,
                    perm,
                    topic_sys_flag: 0,
                })
                .collect(),
            brokers: brokers
                .iter()
                .map(|b| BrokerData {
                    cluster: "MockCluster".into(),
                    broker_name: b.name.clone(),
                    broker_addrs: [(0, b.addr.clone())].into(),
                    zone_name: None,
                    enable_acting_master: None,
                })
                .collect(),
            ..Default::default()
        };
        self.routes.lock().unwrap().insert(topic.to_owned(), route);
    }
}
