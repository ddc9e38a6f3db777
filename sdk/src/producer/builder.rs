//! [`ProducerBuilder`]: Java's `DefaultMQProducer` settings, as a builder.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use super::accumulate::BatchLimits;
use super::fault::{FaultTolerance, LatencyTable};
use super::hook::SendHook;
use super::send::Producer;
use super::settings::Settings;
use super::transaction::{SharedChecker, TransactionProducer, checker_for};
use super::validate::check_group;
use crate::client::{Client, ClientBuilder};
use crate::protocol::SerializeType;
use crate::protocol::message::CompressionType;
use crate::remoting::RpcHook;
use crate::{Error, Result};

/// Builder mode of a plain [`Producer`] (the default).
#[derive(Clone, Copy, Debug, Default)]
pub struct Plain;

/// Builder mode of a [`TransactionProducer`]: carries its transaction checker.
pub struct Transactional {
    pub(crate) checker: SharedChecker,
}

impl fmt::Debug for Transactional {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Transactional")
    }
}

/// Builds a [`Producer`] (or, from [`TransactionProducer::builder`], a
/// [`TransactionProducer`]). Every setter documents its default, which is Java's.
///
/// The producer builds its own [`Client`] from the client settings here
/// ([`namesrv_addr`](Self::namesrv_addr), [`namespace`](Self::namespace), ...) unless one
/// is given with [`client`](Self::client); giving both is an [`Error::Config`].
#[must_use]
pub struct ProducerBuilder<M = Plain> {
    client: Option<Client>,
    client_builder: ClientBuilder,
    client_settings: bool,
    group: String,
    settings: Settings,
    latency: Option<LatencyTable>,
    hooks: Vec<Arc<dyn SendHook>>,
    mode: M,
}

impl ProducerBuilder<Plain> {
    pub(crate) fn new() -> Self {
        let settings = Settings::default();
        ProducerBuilder {
            client: None,
            client_builder: Client::builder(),
            client_settings: false,
            group: settings.group.clone(),
            settings,
            latency: None,
            hooks: Vec::new(),
            mode: Plain,
        }
    }

    /// Builds the producer: resolves the client settings (or takes the given client),
    /// registers the group on the client. No broker is contacted until the first send.
    /// Fails with [`Error::Config`] (no name server, group registered twice on the client,
    /// client given together with client settings) or [`Error::InvalidField`] (a group
    /// name Java refuses).
    pub async fn build(self) -> Result<Producer> {
        self.build_with(None)
    }

    /// Turns this into the builder of a [`TransactionProducer`] whose half messages the
    /// broker checks through `checker`.
    pub(crate) fn transactional(self, checker: SharedChecker) -> ProducerBuilder<Transactional> {
        ProducerBuilder {
            client: self.client,
            client_builder: self.client_builder,
            client_settings: self.client_settings,
            group: self.group,
            settings: self.settings,
            latency: self.latency,
            hooks: self.hooks,
            mode: Transactional { checker },
        }
    }
}

impl ProducerBuilder<Transactional> {
    /// Builds the transaction producer (see [`ProducerBuilder::<Plain>::build`]).
    pub async fn build(self) -> Result<TransactionProducer> {
        let checker = Arc::clone(&self.mode.checker);
        let producer = self.build_with(Some(checker))?;
        Ok(TransactionProducer::new(producer))
    }
}

impl<M> ProducerBuilder<M> {
    fn build_with(self, checker: Option<SharedChecker>) -> Result<Producer> {
        check_group(&self.group)?;
        if let Some(limits) = &self.settings.auto_batch {
            limits.validate()?;
        }
        let (client, owns_client) = match self.client {
            Some(_) if self.client_settings => {
                return Err(Error::Config(
                    "a producer given a client takes its settings from it; set name server, \
                     namespace and the other client settings on the client"
                        .to_owned(),
                ));
            }
            Some(client) => (client, false),
            None => (self.client_builder.build()?, true),
        };
        let mut settings = self.settings;
        settings.group = client.with_namespace(&self.group);
        let check = checker.map(|user| checker_for(&client, &settings.group, user));
        let registration = match client.register_producer_with(&settings.group, check) {
            Ok(registration) => registration,
            Err(err) => {
                if owns_client {
                    // Nothing else holds it; dropping it stops its task.
                    drop(client);
                }
                return Err(err);
            }
        };
        Ok(Producer::from_parts(
            client,
            owns_client,
            settings,
            FaultTolerance::new(self.latency),
            self.hooks,
            registration,
        ))
    }

    fn client_setting(mut self, set: impl FnOnce(ClientBuilder) -> ClientBuilder) -> Self {
        self.client_builder = set(self.client_builder);
        self.client_settings = true;
        self
    }

    /// Uses `client` (shared with other producers and consumers) instead of building one.
    /// Default: the producer builds its own from the client settings of this builder.
    pub fn client(mut self, client: Client) -> Self {
        self.client = Some(client);
        self
    }

    /// Name server addresses, `;`-separated. Default: `NAMESRV_ADDR`, then
    /// `rocketmq.namesrv.addr` from the environment (see [`ClientBuilder`]).
    pub fn namesrv_addr(self, addrs: impl Into<String>) -> Self {
        self.client_setting(|b| b.namesrv_addr(addrs))
    }

    /// The namespace topics and the group are wrapped in. Default: none.
    pub fn namespace(self, namespace: impl Into<String>) -> Self {
        self.client_setting(|b| b.namespace(namespace))
    }

    /// The client's instance name. Default: `DEFAULT` (`<pid>#<nanos>`).
    pub fn instance_name(self, name: impl Into<String>) -> Self {
        self.client_setting(|b| b.instance_name(name))
    }

    /// The client IP reported to brokers. Default: the host's routing address.
    pub fn client_ip(self, ip: impl Into<String>) -> Self {
        self.client_setting(|b| b.client_ip(ip))
    }

    /// Sends to the brokers' VIP port (port - 2). Default: off.
    pub fn vip_channel(self, on: bool) -> Self {
        self.client_setting(|b| b.vip_channel(on))
    }

    /// Adds an RPC hook (e.g. ACL signing) to the producer's client. Default: none.
    pub fn rpc_hook(self, hook: impl RpcHook) -> Self {
        self.client_setting(|b| b.rpc_hook(hook))
    }

    /// Signs every request of the producer's client with `credentials`, for brokers with
    /// ACL enabled (see [`crate::acl`]). Default: none; never read from files or the
    /// environment.
    pub fn credentials(self, credentials: crate::acl::Credentials) -> Self {
        self.client_setting(|b| b.credentials(credentials))
    }

    /// How request headers are serialized. Default: `ROCKETMQ_SERIALIZE_TYPE`, else JSON.
    pub fn serialize_type(self, kind: SerializeType) -> Self {
        self.client_setting(|b| b.serialize_type(kind))
    }

    /// The producer group. Default: `DEFAULT_PRODUCER`.
    pub fn group(mut self, group: impl Into<String>) -> Self {
        self.group = group.into();
        self
    }

    /// Time a send may take, all retries included. Default: 3 s.
    pub fn send_timeout(mut self, timeout: Duration) -> Self {
        self.settings.send_timeout = timeout;
        self
    }

    /// Retries of a failed synchronous send, each on another broker when there is one.
    /// Default: 2 (Java `retryTimesWhenSendFailed`).
    pub fn retries(mut self, retries: u32) -> Self {
        self.settings.retries = retries;
        self
    }

    /// Retries of an asynchronous send whose request did not reach a broker. Default: 2
    /// (Java `retryTimesWhenSendAsyncFailed`).
    pub fn async_retries(mut self, retries: u32) -> Self {
        self.settings.async_retries = retries;
        self
    }

    /// Also retry, on another broker, a synchronous send the broker stored but answered
    /// with a flush or slave timeout. Default: off (Java
    /// `retryAnotherBrokerWhenNotStoreOK`).
    pub fn retry_another_broker_when_not_store_ok(mut self, on: bool) -> Self {
        self.settings.retry_another_broker_when_not_store_ok = on;
        self
    }

    /// Largest message body (and encoded batch) in bytes. Default: 4 MiB.
    pub fn max_message_size(mut self, bytes: usize) -> Self {
        self.settings.max_message_size = bytes;
        self
    }

    /// Bodies of at least this many bytes are compressed. Default: 4096 (Java
    /// `compressMsgBodyOverHowmuch`).
    pub fn compress_threshold(mut self, bytes: usize) -> Self {
        self.settings.compress_threshold = bytes;
        self
    }

    /// The compression algorithm. Default: ZLIB (Java's `rocketmq.message.compressType`
    /// default); LZ4 and ZSTD need 4.9.4+ consumers.
    pub fn compression(mut self, kind: CompressionType) -> Self {
        self.settings.compression = kind;
        self
    }

    /// The compression level. Default: 5 (Java `rocketmq.message.compressLevel`).
    pub fn compress_level(mut self, level: i32) -> Self {
        self.settings.compress_level = level;
        self
    }

    /// The topic whose route is borrowed for topics the name server does not know yet,
    /// so the broker creates them on the first message. Default: `TBW102`.
    pub fn create_topic_key(mut self, topic: impl Into<String>) -> Self {
        self.settings.create_topic_key = topic.into();
        self
    }

    /// Queues per broker of a topic created that way. Default: 4.
    pub fn default_topic_queue_nums(mut self, queues: i32) -> Self {
        self.settings.default_topic_queue_nums = queues;
        self
    }

    /// Most asynchronous sends in flight at once. Default: 1024 (Java 5.x
    /// `backPressureForAsyncSendNum`).
    pub fn max_async_in_flight(mut self, sends: usize) -> Self {
        self.settings.max_async_in_flight = sends;
        self
    }

    /// Turns automatic batching on or off (Java 5.x `setAutoBatch`). When on, messages
    /// given to [`send`](Producer::send), [`send_to_queue`](Producer::send_to_queue),
    /// [`send_async`](Producer::send_async) and their `_with` forms for round-robin or a
    /// given queue wait briefly to go out together with other messages of the same topic,
    /// queue, tag and `WAIT` setting in one batch request; each caller still gets its own
    /// message's result. A message leaves as soon as no batch of its group is on its way,
    /// when its batch reaches [`batch_max_bytes`](Self::batch_max_bytes), or after
    /// [`batch_max_delay`](Self::batch_max_delay). Delayed and timed messages, retry
    /// topics, transaction messages and bodies the producer compresses are sent on their
    /// own. A batch of one is sent as a plain send; a batch goes to one queue. A held
    /// message is sent even if its caller stops waiting; [`close`](Producer::close) sends
    /// what is held and waits for the answers. Default: off.
    pub fn auto_batch(mut self, on: bool) -> Self {
        self.settings.auto_batch = on.then(|| self.settings.auto_batch.unwrap_or_default());
        self
    }

    fn batch_limits(mut self, set: impl FnOnce(&mut BatchLimits)) -> Self {
        let mut limits = self.settings.auto_batch.unwrap_or_default();
        set(&mut limits);
        self.settings.auto_batch = Some(limits);
        self
    }

    /// Longest a message waits for its batch to leave, 1 ms to 30 s; turns automatic
    /// batching on. Default: 10 ms (Java `batchMaxDelayMs`).
    pub fn batch_max_delay(self, delay: Duration) -> Self {
        self.batch_limits(|l| l.max_delay = delay)
    }

    /// Size at which a batch leaves at once, 1 byte to 2 MiB, counted as its messages'
    /// encoded size (Java counts bodies only) and never above half of
    /// [`max_message_size`](Self::max_message_size); a message larger than this is sent
    /// on its own. Turns automatic batching on. Default: 32 KiB (Java `batchMaxBytes`).
    pub fn batch_max_bytes(self, bytes: usize) -> Self {
        self.batch_limits(|l| l.max_bytes = bytes)
    }

    /// Bytes (encoded, as for [`batch_max_bytes`](Self::batch_max_bytes)) all waiting and
    /// outgoing batches may hold; past it, messages are sent on their own. Turns automatic batching on. Default: 32 MiB (Java
    /// `totalBatchMaxBytes`).
    pub fn total_batch_max_bytes(self, bytes: usize) -> Self {
        self.batch_limits(|l| l.total_max_bytes = bytes)
    }

    /// Turns latency fault tolerance on with Java 5.x's table: brokers that answered
    /// slowly or failed are avoided for a while. Default: off (Java
    /// `sendLatencyFaultEnable`).
    pub fn latency_fault_tolerance(mut self, on: bool) -> Self {
        self.latency = on.then(LatencyTable::default);
        self
    }

    /// Turns latency fault tolerance on with a given table. Default: off.
    pub fn latency_table(mut self, table: LatencyTable) -> Self {
        self.latency = Some(table);
        self
    }

    /// Adds a send hook; hooks run in the order added. Default: none.
    pub fn send_hook(mut self, hook: impl SendHook) -> Self {
        self.hooks.push(Arc::new(hook));
        self
    }
}

impl<M: fmt::Debug> fmt::Debug for ProducerBuilder<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProducerBuilder")
            .field("group", &self.group)
            .field("client", &self.client)
            .field("client_builder", &self.client_builder)
            .field("settings", &self.settings)
            .field("latency", &self.latency)
            .field("hooks", &self.hooks.len())
            .field("mode", &self.mode)
            .finish()
    }
}
