//! Clients: HEART_BEAT, UNREGISTER_CLIENT, GET_CONSUMER_LIST_BY_GROUP, CHECK_CLIENT_CONFIG,
//! and NOTIFY_CONSUMER_IDS_CHANGED sent to a group's consumers when its membership
//! changes (Java `ClientManageProcessor`, `ConsumerManager`, `ConsumerGroupInfo`,
//! `ProducerManager`, `DefaultConsumerIdsChangeListener`).
//!
//! The [`ClientTable`] keys every registration by the connection it arrived on, as Java
//! keys by channel: a client is dropped when its connection closes (each registering
//! connection is watched) or after `client_expiry` without a heartbeat (a scan closes the
//! connection, as Java does). Clustering groups whose membership or subscriptions change
//! get a oneway NOTIFY_CONSUMER_IDS_CHANGED on each member's connection, unless the
//! group's `notifyConsumerIdsChangedEnable` is off.
//!
//! What other processors read from [`ClientTable`] (`state.clients`): a group's snapshot
//! ([`consumer_group`](ClientTable::consumer_group): members, subscriptions, consume
//! type/model/from-where), its client ids, one subscription, one member by client id
//! (to forward GET_CONSUMER_RUNNING_INFO and the like on its connection), the groups
//! subscribed to a topic, the admin bodies GET_CONSUMER_CONNECTION_LIST /
//! GET_PRODUCER_CONNECTION_LIST answer with ([`consumer_connection`](
//! ClientTable::consumer_connection), [`producer_connection`](
//! ClientTable::producer_connection)), and a producer group's connection for
//! CHECK_TRANSACTION_STATE ([`producer_channel`](ClientTable::producer_channel)).
//!
//! Differences from Java: an UNREGISTER_CLIENT that removes nothing notifies nobody; the
//! group's `notifyConsumerIdsChangedEnable` also governs notices for closed and expired
//! members (Java checks it only on register/unregister); a
//! 5.x heartbeat without subscriptions for a group the broker has no fingerprint of
//! (e.g. after a restart) answers `IS_SUB_CHANGE=true` so the client resends them.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use rocketmq::protocol::body::{
    ConsumeFromWhere, ConsumeType, ConsumerConnection, ConsumerData, ConsumerList, Heartbeat,
    LinkedMap, MessageModel, ProducerConnection, SubscriptionData,
};
use rocketmq::protocol::header::{
    GetConsumerListByGroupRequestHeader, NotifyConsumerIdsChangedRequestHeader,
    UnregisterClientRequestHeader,
};
use rocketmq::protocol::json::JsonBody;
use rocketmq::protocol::{LanguageCode, RemotingCommand, RequestCode, ResponseCode};
use rocketmq::remoting::{Connection, RemotingServerBuilder, RequestContext};
use tokio::task::JoinSet;
use tracing::{debug, info};

use super::filter::{FilterError, MessageFilter};
use super::{Reply, State, lock, now_ms, on};
use crate::config::BrokerConfig;

/// Prefix of a group's retry topic (Java `MixAll.RETRY_GROUP_TOPIC_PREFIX`).
pub(crate) const RETRY_PREFIX: &str = "%RETRY%";
/// Prefix of a group's dead-letter topic (Java `MixAll.DLQ_GROUP_TOPIC_PREFIX`).
pub(crate) const DLQ_PREFIX: &str = "%DLQ%";
/// Response extField: the broker understands 5.x heartbeats without subscriptions.
const IS_SUPPORT_HEART_BEAT_V2: &str = "IS_SUPPORT_HEART_BEAT_V2";
/// Response extField: the client must send its subscriptions again.
const IS_SUB_CHANGE: &str = "IS_SUB_CHANGE";
/// How long a NOTIFY_CONSUMER_IDS_CHANGED may wait for room in a client's write queue.
const NOTIFY_TIMEOUT: Duration = Duration::from_millis(100);

/// `%RETRY%<group>`.
pub(crate) fn retry_topic(group: &str) -> String {
    format!("{RETRY_PREFIX}{group}")
}

/// `%DLQ%<group>`.
pub(crate) fn dlq_topic(group: &str) -> String {
    format!("{DLQ_PREFIX}{group}")
}

/// One registered client connection (Java `ClientChannelInfo`).
#[derive(Clone, Debug)]
pub(crate) struct Client {
    /// The client id from the heartbeat (`clientID`).
    pub(crate) client_id: String,
    /// The connection it registered on; send broker-initiated requests here.
    pub(crate) connection: Connection,
    /// The language of its heartbeat request.
    pub(crate) language: LanguageCode,
    /// The version of its heartbeat request (`MQVersion` ordinal).
    pub(crate) version: i32,
    /// Its last heartbeat, epoch ms.
    pub(crate) last_heartbeat: i64,
}

impl Client {
    /// The client as a JSON `Connection` entry (admin connection lists).
    pub(crate) fn to_body(&self) -> rocketmq::protocol::body::Connection {
        rocketmq::protocol::body::Connection {
            client_id: self.client_id.clone(),
            client_addr: self.connection.peer_addr().to_owned(),
            language: Some(self.language),
            version: self.version,
        }
    }
}

/// What a pull takes of its group's registered subscription.
#[derive(Debug)]
pub(crate) struct PullSubscription {
    /// The subscription's version (its creation time, ms).
    pub(crate) sub_version: i64,
    /// Its filter, or why it cannot be used.
    pub(crate) filter: Result<MessageFilter, FilterError>,
}

/// A consumer group's live members and subscriptions (Java `ConsumerGroupInfo`).
#[derive(Clone, Debug)]
pub(crate) struct ConsumerGroup {
    /// Members by connection id (registration order).
    pub(crate) clients: BTreeMap<u64, Client>,
    /// Subscription per topic.
    pub(crate) subscriptions: LinkedMap<String, SubscriptionData>,
    /// Each subscription compiled (as if SQL92 filtering were enabled), kept in step
    /// with `subscriptions`, so a pull does not parse its group's expression again (Java
    /// `ConsumerFilterManager` keeps compiled filters alike).
    filters: HashMap<String, Result<MessageFilter, FilterError>>,
    /// Pull, push or pop (from the latest heartbeat).
    pub(crate) consume_type: Option<ConsumeType>,
    /// Clustering or broadcasting.
    pub(crate) message_model: Option<MessageModel>,
    /// Where a new consumer starts.
    pub(crate) consume_from_where: Option<ConsumeFromWhere>,
    /// Last registration, epoch ms.
    pub(crate) last_update: i64,
    /// Whether members are notified of changes (the group config's flag at the last
    /// registration).
    notify: bool,
}

impl ConsumerGroup {
    /// A group without members or subscriptions yet.
    fn new(last_update: i64, notify: bool) -> Self {
        ConsumerGroup {
            clients: BTreeMap::new(),
            subscriptions: LinkedMap::new(),
            filters: HashMap::new(),
            consume_type: None,
            message_model: None,
            consume_from_where: None,
            last_update,
            notify,
        }
    }

    fn broadcasting(&self) -> bool {
        self.message_model == Some(MessageModel::Broadcasting)
    }

    /// Members' client ids.
    pub(crate) fn client_ids(&self) -> Vec<String> {
        self.clients.values().map(|c| c.client_id.clone()).collect()
    }

    /// The connection of the member with this client id.
    pub(crate) fn find(&self, client_id: &str) -> Option<&Client> {
        self.clients.values().find(|c| c.client_id == client_id)
    }

    /// Members' connections, to notify when this group changes; none for a broadcasting
    /// group or one with notifications off.
    fn notice(&self, group: &str) -> Option<Notice> {
        (self.notify && !self.broadcasting() && !self.clients.is_empty()).then(|| Notice {
            group: group.to_owned(),
            connections: self
                .clients
                .values()
                .map(|c| c.connection.clone())
                .collect(),
        })
    }

    /// Adds or refreshes a member (Java `updateChannel`); true when it is new.
    fn update_client(&mut self, client: Client, data: &ConsumerData) -> bool {
        self.consume_type.clone_from(&data.consume_type);
        self.message_model.clone_from(&data.message_model);
        self.consume_from_where.clone_from(&data.consume_from_where);
        self.last_update = client.last_heartbeat;
        let id = client.connection.id();
        match self.clients.get_mut(&id) {
            Some(old) => {
                // Java keeps the old entry unless the client id changed.
                if old.client_id == client.client_id {
                    old.last_heartbeat = client.last_heartbeat;
                } else {
                    *old = client;
                }
                false
            }
            None => {
                self.clients.insert(id, client);
                true
            }
        }
    }

    /// The subscription to `topic` as a pull needs it (see [`ClientTable::pull_view`]).
    fn pull_subscription(&self, topic: &str, property_filter: bool) -> Option<PullSubscription> {
        let s = self.subscriptions.get(topic)?;
        let filter = match self.filters.get(topic) {
            Some(compiled) if property_filter => compiled.clone(),
            // Without SQL92 filtering the build refuses SQL92 before parsing anything.
            _ => MessageFilter::build(s, property_filter),
        };
        Some(PullSubscription {
            sub_version: s.sub_version,
            filter,
        })
    }

    /// Replaces the subscriptions (Java `updateSubscription`): true when a topic was added
    /// or removed; a newer version of a topic's subscription replaces the old one.
    fn update_subscriptions(&mut self, subs: &[SubscriptionData]) -> bool {
        let mut changed = false;
        for sub in subs {
            let replace = match self.subscriptions.get(&sub.topic) {
                None => {
                    changed = true;
                    true
                }
                Some(old) => sub.sub_version > old.sub_version,
            };
            if replace {
                self.subscriptions.insert(sub.topic.clone(), sub.clone());
                self.filters
                    .insert(sub.topic.clone(), MessageFilter::build(sub, true));
            }
        }
        let gone: Vec<String> = self
            .subscriptions
            .keys()
            .filter(|t| !subs.iter().any(|s| &s.topic == *t))
            .cloned()
            .collect();
        for topic in gone {
            self.subscriptions.remove(&topic);
            self.filters.remove(&topic);
            changed = true;
        }
        changed
    }
}

/// Connections to send NOTIFY_CONSUMER_IDS_CHANGED to for one group.
#[derive(Debug)]
pub(crate) struct Notice {
    group: String,
    connections: Vec<Connection>,
}

/// A consumer group's registration from one heartbeat.
pub(crate) struct Registration<'a> {
    /// The group's settings and subscriptions.
    pub(crate) data: &'a ConsumerData,
    /// Keep the stored subscriptions (a 5.x heartbeat without them).
    pub(crate) without_sub: bool,
    /// The group config's `notifyConsumerIdsChangedEnable`.
    pub(crate) notify: bool,
}

/// Connected consumers and producers by group.
#[derive(Debug)]
pub(crate) struct ClientTable {
    inner: Mutex<Inner>,
    /// Tasks waiting for a registered connection to close.
    watchers: Mutex<JoinSet<()>>,
}

#[derive(Debug, Default)]
struct Inner {
    consumers: HashMap<String, ConsumerGroup>,
    producers: HashMap<String, BTreeMap<u64, Client>>,
    /// Heartbeat fingerprint per consumer group (5.x heartbeat v2).
    fingerprints: HashMap<String, i32>,
    /// Connections with a close watcher.
    watched: HashSet<u64>,
}

impl ClientTable {
    pub(crate) fn new(_config: &BrokerConfig) -> Self {
        ClientTable {
            inner: Mutex::new(Inner::default()),
            watchers: Mutex::new(JoinSet::new()),
        }
    }

    /// Registers (or refreshes) a consumer of `group`; returns whether membership or
    /// subscriptions changed and whom to notify.
    pub(crate) fn register_consumer(
        &self,
        group: &str,
        client: Client,
        reg: &Registration<'_>,
    ) -> (bool, Option<Notice>) {
        let mut inner = lock(&self.inner);
        let info = inner
            .consumers
            .entry(group.to_owned())
            .or_insert_with(|| ConsumerGroup::new(client.last_heartbeat, reg.notify));
        info.notify = reg.notify;
        let joined = info.update_client(client, reg.data);
        let resubscribed =
            !reg.without_sub && info.update_subscriptions(&reg.data.subscription_data_set);
        let changed = joined || resubscribed;
        let notice = if changed { info.notice(group) } else { None };
        (changed, notice)
    }

    /// Records a group's 5.x heartbeat fingerprint; returns whether the client must send
    /// its subscriptions again (the fingerprint changed, or it sent none and the broker
    /// knows no fingerprint for the group).
    pub(crate) fn fingerprint(&self, group: &str, fingerprint: i32, without_sub: bool) -> bool {
        let mut inner = lock(&self.inner);
        let changed = match inner.fingerprints.get(group) {
            Some(old) => *old != fingerprint,
            None => without_sub,
        };
        inner.fingerprints.insert(group.to_owned(), fingerprint);
        changed
    }

    /// Registers (or refreshes) a producer of `group`.
    pub(crate) fn register_producer(&self, group: &str, client: Client) {
        let mut inner = lock(&self.inner);
        let members = inner.producers.entry(group.to_owned()).or_default();
        match members.get_mut(&client.connection.id()) {
            Some(old) => old.last_heartbeat = client.last_heartbeat,
            None => {
                members.insert(client.connection.id(), client);
            }
        }
    }

    /// Removes the consumer on `connection` from `group`; whom to notify if it was there.
    pub(crate) fn unregister_consumer(&self, group: &str, connection: u64) -> Option<Notice> {
        let mut inner = lock(&self.inner);
        let info = inner.consumers.get_mut(group)?;
        info.clients.remove(&connection)?;
        let notice = info.notice(group);
        let empty = info.clients.is_empty();
        if empty {
            inner.consumers.remove(group);
            inner.fingerprints.remove(group);
            info!(group, "consumer group has no member left");
        }
        notice
    }

    /// Removes the producer on `connection` from `group`.
    pub(crate) fn unregister_producer(&self, group: &str, connection: u64) {
        let mut inner = lock(&self.inner);
        if let Some(members) = inner.producers.get_mut(group) {
            members.remove(&connection);
            if members.is_empty() {
                inner.producers.remove(group);
            }
        }
    }

    /// Drops every registration of a closed connection; whom to notify.
    fn connection_closed(&self, connection: u64) -> Vec<Notice> {
        let mut inner = lock(&self.inner);
        inner.watched.remove(&connection);
        inner.remove_where(|id, _| id == connection).0
    }

    /// Drops clients silent for longer than `expiry`; returns whom to notify and the
    /// connections to close.
    fn expire(&self, now: i64, expiry: Duration) -> (Vec<Notice>, Vec<Connection>) {
        let limit = i64::try_from(expiry.as_millis()).unwrap_or(i64::MAX);
        let mut inner = lock(&self.inner);
        inner.remove_where(|_, c| now.saturating_sub(c.last_heartbeat) > limit)
    }

    /// Starts a close watcher for a registering connection (once per connection).
    fn watch(&self, state: &Arc<State>, connection: &Connection) {
        if !lock(&self.inner).watched.insert(connection.id()) {
            return;
        }
        let connection = connection.clone();
        let weak: Weak<State> = Arc::downgrade(state);
        let mut watchers = lock(&self.watchers);
        while watchers.try_join_next().is_some() {}
        watchers.spawn(async move {
            connection.closed().await;
            if let Some(state) = weak.upgrade() {
                let notices = state.clients.connection_closed(connection.id());
                debug!(peer = connection.peer_addr(), "client connection closed");
                send_notices(notices).await;
            }
        });
    }

    // ---- readers for the other processors ----

    /// A snapshot of a consumer group (None when it has no live member).
    pub(crate) fn consumer_group(&self, group: &str) -> Option<ConsumerGroup> {
        lock(&self.inner).consumers.get(group).cloned()
    }

    /// Client ids of a consumer group, in registration order.
    pub(crate) fn consumer_ids(&self, group: &str) -> Vec<String> {
        lock(&self.inner)
            .consumers
            .get(group)
            .map(ConsumerGroup::client_ids)
            .unwrap_or_default()
    }

    /// What a pull relying on the registered subscription needs: whether the group
    /// consumes by broadcasting, and its subscription to `topic` with its filter
    /// (`property_filter`: the broker's `enable_property_filter`); `None` when the group
    /// has no registration. The subscription is read in place, and the filter comes
    /// compiled from the registration.
    pub(crate) fn pull_view(
        &self,
        group: &str,
        topic: &str,
        property_filter: bool,
    ) -> Option<(bool, Option<PullSubscription>)> {
        let inner = lock(&self.inner);
        let g = inner.consumers.get(group)?;
        Some((
            g.broadcasting(),
            g.pull_subscription(topic, property_filter),
        ))
    }

    /// The subscription `group` registered for `topic` (Java `findSubscriptionData`).
    pub(crate) fn subscription(&self, group: &str, topic: &str) -> Option<SubscriptionData> {
        lock(&self.inner)
            .consumers
            .get(group)
            .and_then(|g| g.subscriptions.get(topic).cloned())
    }

    /// The consumer of `group` with `client_id` (to forward GET_CONSUMER_RUNNING_INFO and
    /// similar requests on its connection).
    pub(crate) fn find_consumer(&self, group: &str, client_id: &str) -> Option<Client> {
        lock(&self.inner)
            .consumers
            .get(group)
            .and_then(|g| g.find(client_id).cloned())
    }

    /// Consumer groups subscribed to `topic` (Java `queryTopicConsumeByWho`).
    pub(crate) fn groups_of_topic(&self, topic: &str) -> Vec<String> {
        let mut names: Vec<String> = lock(&self.inner)
            .consumers
            .iter()
            .filter(|(_, g)| g.subscriptions.contains_key(topic))
            .map(|(name, _)| name.clone())
            .collect();
        names.sort_unstable();
        names
    }

    /// GET_CONSUMER_CONNECTION_LIST's body for a group; None when it has no live member.
    pub(crate) fn consumer_connection(&self, group: &str) -> Option<ConsumerConnection> {
        let inner = lock(&self.inner);
        let g = inner.consumers.get(group)?;
        Some(ConsumerConnection {
            connection_set: g.clients.values().map(Client::to_body).collect(),
            subscription_table: g.subscriptions.clone(),
            consume_type: g.consume_type.clone(),
            message_model: g.message_model.clone(),
            consume_from_where: g.consume_from_where.clone(),
        })
    }

    /// GET_PRODUCER_CONNECTION_LIST's body for a group; None when it has no live member.
    pub(crate) fn producer_connection(&self, group: &str) -> Option<ProducerConnection> {
        let inner = lock(&self.inner);
        let members = inner.producers.get(group)?;
        Some(ProducerConnection {
            connection_set: members.values().map(Client::to_body).collect(),
        })
    }

    /// An open connection of a producer of `group`, rotating between members (Java
    /// `getAvailableChannel`, for CHECK_TRANSACTION_STATE).
    pub(crate) fn producer_channel(&self, group: &str, turn: usize) -> Option<Connection> {
        let inner = lock(&self.inner);
        let members: Vec<&Client> = inner
            .producers
            .get(group)?
            .values()
            .filter(|c| !c.connection.is_closed())
            .collect();
        let n = members.len();
        (n > 0).then(|| members[turn % n].connection.clone())
    }
}

impl Inner {
    /// Removes every client `gone(connection id, client)` selects, from consumer and
    /// producer groups alike; returns the notices for the consumer groups that changed and
    /// the removed clients' connections.
    fn remove_where(
        &mut self,
        mut gone: impl FnMut(u64, &Client) -> bool,
    ) -> (Vec<Notice>, Vec<Connection>) {
        let mut notices = Vec::new();
        let mut removed: Vec<Connection> = Vec::new();
        let mut empty = Vec::new();
        for (name, info) in &mut self.consumers {
            let before = info.clients.len();
            info.clients.retain(|id, c| {
                let drop = gone(*id, c);
                if drop {
                    removed.push(c.connection.clone());
                }
                !drop
            });
            if info.clients.len() != before {
                info!(group = %name, left = before - info.clients.len(), "consumers removed");
                notices.extend(info.notice(name));
                if info.clients.is_empty() {
                    empty.push(name.clone());
                }
            }
        }
        for name in empty {
            self.consumers.remove(&name);
            self.fingerprints.remove(&name);
        }
        self.producers.retain(|_, members| {
            members.retain(|id, c| {
                let drop = gone(*id, c);
                if drop {
                    removed.push(c.connection.clone());
                }
                !drop
            });
            !members.is_empty()
        });
        removed.sort_by_key(Connection::id);
        removed.dedup_by_key(|c| c.id());
        (notices, removed)
    }
}

/// Sends NOTIFY_CONSUMER_IDS_CHANGED (oneway) to every connection of each notice; a
/// failure only affects that client (it rebalances on its own schedule).
pub(crate) async fn send_notices(notices: impl IntoIterator<Item = Notice>) {
    for notice in notices {
        let request = RemotingCommand::request(RequestCode::NOTIFY_CONSUMER_IDS_CHANGED)
            .with_header(&NotifyConsumerIdsChangedRequestHeader {
                consumer_group: notice.group.clone(),
                rpc: Default::default(),
            });
        for connection in notice.connections {
            if let Err(e) = connection
                .invoke_oneway(request.clone(), NOTIFY_TIMEOUT)
                .await
            {
                debug!(group = %notice.group, peer = connection.peer_addr(),
                    "consumer ids change not sent: {e}");
            }
        }
    }
}

/// Adds the client processors.
pub(super) fn register(
    builder: RemotingServerBuilder,
    state: &Arc<State>,
) -> RemotingServerBuilder {
    let builder = on(builder, RequestCode::HEART_BEAT, state, heartbeat);
    let builder = on(builder, RequestCode::UNREGISTER_CLIENT, state, unregister);
    let builder = on(
        builder,
        RequestCode::GET_CONSUMER_LIST_BY_GROUP,
        state,
        consumer_list,
    );
    on(
        builder,
        RequestCode::CHECK_CLIENT_CONFIG,
        state,
        super::filter::check_client_config,
    )
}

/// Starts the scan that drops silent clients.
pub(super) fn spawn(state: &Arc<State>, tasks: &mut JoinSet<()>) {
    let state = Arc::clone(state);
    tasks.spawn(async move {
        loop {
            let expiry = state.config().client_expiry;
            let every = (expiry / 4).clamp(Duration::from_millis(100), Duration::from_secs(10));
            tokio::time::sleep(every).await;
            let (notices, closed) = state.clients.expire(now_ms(), expiry);
            for c in &closed {
                info!(
                    peer = c.peer_addr(),
                    "client expired: no heartbeat within {expiry:?}"
                );
                c.close();
            }
            send_notices(notices).await;
        }
    });
}

/// HEART_BEAT: registers the client's consumer and producer groups.
async fn heartbeat(state: Arc<State>, ctx: RequestContext, request: RemotingCommand) -> Reply {
    let hb = Heartbeat::from_json(&request.body)?;
    let now = now_ms();
    let client = Client {
        client_id: hb.client_id.clone(),
        connection: ctx.connection().clone(),
        language: request.language,
        version: request.version.0,
        last_heartbeat: now,
    };
    let fingerprint = hb.heartbeat_fingerprint.unwrap_or(0);
    let without_sub = fingerprint != 0 && hb.without_sub == Some(true);
    // 4.x and 5.x v1 heartbeats always carry subscriptions: the client need not resend.
    let mut sub_change = fingerprint == 0;
    let mut notices = Vec::new();
    for data in &hb.consumer_data_set {
        if state
            .clients
            .fingerprint(&data.group_name, fingerprint, without_sub)
        {
            sub_change = true;
        }
        let Some(group) = state.groups.find(&data.group_name) else {
            continue;
        };
        let ordered = data
            .subscription_data_set
            .iter()
            .any(|s| state.topics.get(&s.topic).is_some_and(|t| t.order));
        ensure_retry_topic(
            &state,
            &data.group_name,
            group.retry_queue_nums,
            ordered,
            data.unit_mode,
        );
        let reg = Registration {
            data,
            without_sub,
            notify: group.notify_consumer_ids_changed_enable,
        };
        let (changed, notice) =
            state
                .clients
                .register_consumer(&data.group_name, client.clone(), &reg);
        if changed {
            info!(group = %data.group_name, client = %hb.client_id, peer = ctx.peer_addr(),
                "consumer registration changed");
        }
        notices.extend(notice);
    }
    for data in &hb.producer_data_set {
        state
            .clients
            .register_producer(&data.group_name, client.clone());
    }
    state.clients.watch(&state, ctx.connection());
    send_notices(notices).await;
    Ok(Some(
        RemotingCommand::response(ResponseCode::SUCCESS)
            .with_ext_field(IS_SUPPORT_HEART_BEAT_V2, "true")
            .with_ext_field(IS_SUB_CHANGE, sub_change.to_string()),
    ))
}

/// Creates `%RETRY%<group>` (read-write, the group's retry queue count) if absent, and
/// keeps its order flag in line with the group's subscriptions (Java
/// `createTopicInSendMessageBackMethod`).
fn ensure_retry_topic(state: &State, group: &str, queues: i32, ordered: bool, unit_mode: bool) {
    let name = retry_topic(group);
    let (mut topic, created) = state.topics.get_or_create(&name, || {
        rocketmq::protocol::body::TopicConfig {
            read_queue_nums: queues,
            write_queue_nums: queues,
            perm: super::topics::PERM_READ | super::topics::PERM_WRITE,
            // Java `TopicSysFlag.buildSysFlag(false, true)` for unit-mode consumers.
            topic_sys_flag: if unit_mode { 2 } else { 0 },
            order: ordered,
            ..Default::default()
        }
    });
    if created {
        info!(topic = %name, "retry topic created");
    } else if topic.order != ordered {
        topic.order = ordered;
        state.topics.put(topic);
    }
}

/// UNREGISTER_CLIENT: the client leaves a producer and/or consumer group.
async fn unregister(state: Arc<State>, ctx: RequestContext, request: RemotingCommand) -> Reply {
    let h: UnregisterClientRequestHeader = request.read_header()?;
    let id = ctx.connection_id();
    if let Some(group) = &h.producer_group {
        state.clients.unregister_producer(group, id);
    }
    if let Some(group) = &h.consumer_group {
        let notice = state.clients.unregister_consumer(group, id);
        info!(group, client = %h.client_id, "consumer unregistered");
        send_notices(notice).await;
    }
    Ok(Some(RemotingCommand::response(ResponseCode::SUCCESS)))
}

/// GET_CONSUMER_LIST_BY_GROUP: the group's client ids, SYSTEM_ERROR when none.
async fn consumer_list(state: Arc<State>, _ctx: RequestContext, request: RemotingCommand) -> Reply {
    let h: GetConsumerListByGroupRequestHeader = request.read_header()?;
    let ids = state.clients.consumer_ids(&h.consumer_group);
    if ids.is_empty() {
        return Ok(Some(RemotingCommand::error_response(
            ResponseCode::SYSTEM_ERROR,
            format!("no consumer for this group, {}", h.consumer_group),
        )));
    }
    let body = ConsumerList {
        consumer_id_list: ids,
    };
    Ok(Some(
        RemotingCommand::response(ResponseCode::SUCCESS).with_body(body.to_json()),
    ))
}

#[cfg(test)]
mod tests {
    use rocketmq::protocol::body::ExpressionType;

    use super::*;

    fn sub(topic: &str, expression: &str, version: i64) -> SubscriptionData {
        SubscriptionData {
            topic: topic.into(),
            sub_string: expression.into(),
            sub_version: version,
            expression_type: ExpressionType::Sql92,
            ..SubscriptionData::default()
        }
    }

    fn group() -> ConsumerGroup {
        ConsumerGroup::new(0, true)
    }

    #[test]
    fn pulls_get_the_filter_compiled_at_registration() {
        let mut g = group();
        assert!(g.update_subscriptions(&[sub("t", "a > 1", 1), sub("bad", "a >", 1)]));
        let view = g.pull_subscription("t", true).unwrap();
        assert_eq!(view.sub_version, 1);
        assert!(matches!(view.filter, Ok(MessageFilter::Sql(_))));
        assert!(matches!(
            g.pull_subscription("bad", true).unwrap().filter,
            Err(FilterError::Parse(_))
        ));
        // With SQL92 filtering off, both are refused as disabled, parsed or not.
        for topic in ["t", "bad"] {
            assert!(matches!(
                g.pull_subscription(topic, false).unwrap().filter,
                Err(FilterError::Disabled(_))
            ));
        }
        assert!(g.pull_subscription("other", true).is_none());

        // A newer version replaces the compiled filter; an older one is ignored.
        let fixed = SubscriptionData {
            expression_type: ExpressionType::Tag,
            ..sub("bad", "*", 2)
        };
        g.update_subscriptions(&[sub("t", "a > 1", 1), fixed]);
        let view = g.pull_subscription("bad", true).unwrap();
        assert_eq!(view.sub_version, 2);
        assert_eq!(view.filter, Ok(MessageFilter::All));
        g.update_subscriptions(&[sub("t", "a > 1", 1), sub("bad", "a >", 1)]);
        assert_eq!(g.pull_subscription("bad", true).unwrap().sub_version, 2);

        // A topic no longer subscribed takes its filter with it.
        assert!(g.update_subscriptions(&[sub("t", "a > 1", 1)]));
        assert!(g.pull_subscription("bad", true).is_none());
        assert!(!g.filters.contains_key("bad"));
    }
}
