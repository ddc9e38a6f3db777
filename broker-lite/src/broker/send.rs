//! Sending: SEND_MESSAGE, SEND_MESSAGE_V2 and SEND_BATCH_MESSAGE (Java
//! `SendMessageProcessor` and `AbstractSendMessageProcessor`, 4.9.8 and 5.3.3).
//!
//! Per request, in Java's order: parse the header (V1 long names for SEND_MESSAGE, V2
//! single letters otherwise); check the topic name and refuse the system topics clients may
//! not write; find the topic or create it from the request's default topic (`TBW102`,
//! inheriting its queues and permission) when auto-creation allows; check the queue id
//! (a negative one picks a random write queue); then store: a `%RETRY%` topic past the
//! group's maximum reconsume times goes to `%DLQ%`, a transactional half message goes to
//! `RMQ_SYS_TRANS_HALF_TOPIC` queue 0 with its real topic and queue in properties, and a
//! batch body is split into messages stored with consecutive offsets.
//!
//! Where 4.9.8 and 5.x brokers differ, the client's announced version picks the
//! behaviour ([`ProtocolFlavour`]): response codes of invalid topics and queue ids
//! (SYSTEM_ERROR vs INVALID_PARAMETER), the stored properties (4.9.8 drops `WAIT` and writes
//! no separator after the last property; 5.x keeps `WAIT`, ends with a separator, adds
//! `UNIQ_KEY` when missing and `__transactionId__` on half messages), the response's
//! `transactionId` (5.x), the DLQ threshold (`>=` vs `>`), batches to retry topics
//! (refused by 5.x) and a batch message's properties (4.9.8 appends the batch header's
//! properties and `CLUSTER`; 5.5.0 stores the message's own, as sent).
//!
//! Permissions as Java checks them on a send: a broker without write permission refuses
//! sends to ordered topics only (NO_PERMISSION); a topic's own permission is not checked
//! (clients keep away from unwritable queues through their routes; a send aimed at one is
//! stored, as by Java 4.9.8 and 5.x).

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::{Arc, LazyLock};

use bytes::Bytes;
use rocketmq::protocol::body::{TopicConfig, TopicFilterType};
use rocketmq::protocol::header::{
    SendMessageRequestHeader, SendMessageRequestHeaderV2, SendMessageResponseHeader,
};
use rocketmq::protocol::message::{
    Message, Properties, StoredMessage, SysFlag, UniqIdGenerator, decode_batch, property,
};
use rocketmq::protocol::{ExtFields, ProtocolFlavour, RemotingCommand, RequestCode, ResponseCode};
use rocketmq::remoting::{Prepared, RemotingServerBuilder, RequestContext};

use super::consumers::{RETRY_PREFIX, dlq_topic};
use super::put::{PutJob, PutOutcome};
use super::schedule::timer::rewrite_timer;
use super::topics::{AUTO_CREATE_TOPIC, PERM_INHERIT, PERM_READ, PERM_WRITE};
use super::{Reply, State};
use crate::config::BrokerConfig;

mod props;
mod run;

use props::{append_properties, batch_properties, stored_properties};
use run::{Answer, ReadySend};

/// The half-message topic of transactions.
pub(crate) const TRANS_HALF_TOPIC: &str = "RMQ_SYS_TRANS_HALF_TOPIC";
/// The op-record topic of transactions.
pub(crate) const TRANS_OP_HALF_TOPIC: &str = "RMQ_SYS_TRANS_OP_HALF_TOPIC";
/// Java `MixAll`'s default region, sent back in every send response.
pub(crate) const DEFAULT_REGION: &str = "DefaultRegion";
/// Topics clients may not send to (Java `TopicValidator.NOT_ALLOWED_SEND_TOPIC_SET`).
const NOT_ALLOWED_SEND: [&str; 6] = [
    "SCHEDULE_TOPIC_XXXX",
    TRANS_HALF_TOPIC,
    TRANS_OP_HALF_TOPIC,
    "TRANS_CHECK_MAX_TIME_TOPIC",
    "SELF_TEST_TOPIC",
    "OFFSET_MOVED_EVENT",
];
/// Longest topic name (Java `TopicValidator.TOPIC_MAX_LENGTH`).
const TOPIC_MAX_LEN: usize = 127;
/// Queues of a DLQ topic (Java `DLQ_NUMS_PER_GROUP`).
const DLQ_QUEUES: i32 = 1;
/// Java `TopicSysFlag` bits.
const TOPIC_FLAG_UNIT: i32 = 0x1;
const TOPIC_FLAG_UNIT_SUB: i32 = 0x2;

/// Generates `UNIQ_KEY`s for 5.x sends that arrive without one.
static UNIQ_IDS: LazyLock<UniqIdGenerator> =
    LazyLock::new(|| UniqIdGenerator::for_this_process(IpAddr::V4(Ipv4Addr::LOCALHOST)));

/// A new `UNIQ_KEY` (Java `MessageClientIDSetter.createUniqID`), for messages the broker
/// makes itself.
pub(crate) fn next_unique_id() -> String {
    UNIQ_IDS.next_id()
}

/// Adds the send processors: one run handler for the three codes, so the sends one read
/// of a connection yields are stored with one append (see `run`).
pub(super) fn register(
    builder: RemotingServerBuilder,
    state: &Arc<State>,
) -> RemotingServerBuilder {
    builder.run_handler(
        &[
            RequestCode::SEND_MESSAGE,
            RequestCode::SEND_MESSAGE_V2,
            RequestCode::SEND_BATCH_MESSAGE,
        ],
        run::Sender::new(state),
    )
}

/// A send response carrying Java's region and trace ext fields.
///
/// The map is made once with room for these and a success header's fields (message id,
/// queue id and offset, 5.x transaction id): no key or value is copied into a `String`
/// of its own, and the map does not grow.
fn response(code: ResponseCode, remark: Option<String>) -> RemotingCommand {
    let mut r = RemotingCommand::response(code);
    let ext = r.ext_fields.insert(ExtFields::with_capacity(
        RESPONSE_FIELDS,
        RESPONSE_FIELD_BYTES,
    ));
    ext.insert(property::MSG_REGION, DEFAULT_REGION);
    ext.insert(property::TRACE_ON, "true");
    r.remark = remark;
    r
}

/// Entries of a send response's ext fields: region, trace switch and up to six header
/// fields.
const RESPONSE_FIELDS: usize = 8;
/// Bytes of their keys and values, with room for a recall handle.
const RESPONSE_FIELD_BYTES: usize = 256;

fn refuse(code: ResponseCode, remark: impl Into<String>) -> Reply {
    Ok(Some(response(code, Some(remark.into()))))
}

/// Java's `FAQUrl.suggestTodo` suffix for its FAQ page (the URL moved in 5.x).
pub(crate) fn faq(flavour: ProtocolFlavour) -> String {
    let url = match flavour {
        ProtocolFlavour::V4 => "http://rocketmq.apache.org/docs/faq/",
        _ => "https://rocketmq.apache.org/docs/bestPractice/06FAQ",
    };
    format!("\nSee {url} for further details.")
}

/// A small random number below `n` (0 when `n <= 0`), for queue selection.
pub(crate) fn random_below(n: i32) -> i32 {
    use std::hash::{BuildHasher, Hasher};
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    if n <= 0 {
        return 0;
    }
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    i32::try_from(h.finish() % u64::from(n.unsigned_abs())).unwrap_or(0)
}

/// Java `PermName.perm2String`.
pub(crate) fn perm_text(perm: i32) -> String {
    let bit = |b: i32, c: char| if perm & b == b { c } else { '-' };
    [
        bit(PERM_READ, 'R'),
        bit(PERM_WRITE, 'W'),
        bit(PERM_INHERIT, 'X'),
    ]
    .iter()
    .collect()
}

/// Java `TopicConfig.toString` (4.9.8 form; 5.x adds `attributes`).
pub(crate) fn topic_text(t: &TopicConfig, flavour: ProtocolFlavour) -> String {
    let mut s = format!(
        "TopicConfig [topicName={}, readQueueNums={}, writeQueueNums={}, perm={}, topicFilterType={}, topicSysFlag={}, order={}",
        t.topic_name,
        t.read_queue_nums,
        t.write_queue_nums,
        perm_text(t.perm),
        t.topic_filter_type,
        t.topic_sys_flag,
        t.order
    );
    if flavour == ProtocolFlavour::V5 {
        let attrs: Vec<String> = t
            .attributes
            .iter()
            .flat_map(|m| m.iter().map(|(k, v)| format!("{k}={v}")))
            .collect();
        s.push_str(&format!(", attributes={{{}}}", attrs.join(", ")));
    }
    s.push(']');
    s
}

/// Java `TopicValidator.validateTopic`: `None` when valid, else the remark.
pub(crate) fn topic_problem(topic: &str) -> Option<&'static str> {
    if topic.trim().is_empty() {
        Some("The specified topic is blank.")
    } else if !super::groups::valid_name(topic) {
        Some("The specified topic contains illegal characters, allowing only ^[%|a-zA-Z0-9_-]+$")
    } else if topic.len() > TOPIC_MAX_LEN {
        Some("The specified topic is longer than topic max length.")
    } else {
        None
    }
}

/// Java `TopicConfigManager.createTopicInSendMessageMethod`: the topic, created from
/// `default_topic` when it inherits (`PERM_INHERIT`), or `None`.
pub(crate) fn create_topic_in_send(
    state: &State,
    topic: &str,
    default_topic: &str,
    client_queue_nums: i32,
    topic_sys_flag: i32,
) -> Option<TopicConfig> {
    if let Some(t) = state.topics.get(topic) {
        return Some(t);
    }
    let Some(template) = state.topics.get(default_topic) else {
        tracing::warn!(
            topic,
            default_topic,
            "cannot create topic: default topic missing"
        );
        return None;
    };
    let mut perm = template.perm;
    if default_topic == AUTO_CREATE_TOPIC && !state.config().auto_create_topic_enable {
        perm = PERM_READ | PERM_WRITE;
    }
    if perm & PERM_INHERIT == 0 {
        tracing::warn!(
            topic,
            default_topic,
            perm,
            "cannot create topic: default topic does not inherit"
        );
        return None;
    }
    let queues = client_queue_nums.min(template.write_queue_nums).max(0);
    let (config, created) = state.topics.get_or_create(topic, || TopicConfig {
        topic_name: topic.to_owned(),
        read_queue_nums: queues,
        write_queue_nums: queues,
        perm: perm & !PERM_INHERIT,
        topic_sys_flag,
        topic_filter_type: template.topic_filter_type.clone(),
        ..TopicConfig::default()
    });
    if created {
        tracing::info!(topic, default_topic, queues, "topic auto-created on send");
    }
    Some(config)
}

/// Java `TopicConfigManager.createTopicInSendMessageBackMethod`: the topic, created with
/// the given queues and permission when absent.
pub(crate) fn create_topic_in_send_back(
    state: &State,
    topic: &str,
    queues: i32,
    perm: i32,
    topic_sys_flag: i32,
) -> TopicConfig {
    state
        .topics
        .get_or_create(topic, || TopicConfig {
            topic_name: topic.to_owned(),
            read_queue_nums: queues,
            write_queue_nums: queues,
            perm,
            topic_sys_flag,
            ..TopicConfig::default()
        })
        .0
}

/// The send header of any of the three codes, in the long form.
fn parse_header(request: &RemotingCommand) -> rocketmq::Result<SendMessageRequestHeader> {
    if request.request_code() == RequestCode::SEND_MESSAGE {
        request.read_header::<SendMessageRequestHeader>()
    } else {
        Ok(request.read_header::<SendMessageRequestHeaderV2>()?.into())
    }
}

fn peer(ctx: &RequestContext) -> SocketAddr {
    ctx.peer_addr()
        .parse()
        .unwrap_or(SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), 0))
}

/// Checks a send request and makes it ready to store (Java's processor up to the put):
/// refusals are answered at once.
fn prepare_send(
    state: &Arc<State>,
    ctx: &RequestContext,
    request: &RemotingCommand,
) -> rocketmq::Result<Prepared<ReadySend>> {
    let header = parse_header(request)?;
    let flavour = request.version.flavour();
    let (config, cluster) = state.config_and_cluster();
    let topic_config = match check(state, &config, ctx, &header, flavour) {
        Ok(t) => t,
        Err(refusal) => return Ok(Prepared::Answered(Some(refusal))),
    };
    let queue_id = if header.queue_id < 0 {
        random_below(topic_config.write_queue_nums)
    } else {
        header.queue_id
    };
    let mut sys_flag = SysFlag::from_bits(header.sys_flag);
    if topic_config.multi_tag {
        sys_flag = sys_flag.with(SysFlag::MULTI_TAGS);
    }
    let ctx = SendContext {
        header,
        flavour,
        queue_id,
        sys_flag,
        born_host: peer(ctx),
        body: request.body.clone(),
        request_version: request.version,
        config,
        cluster,
    };
    let ready = if ctx.header.batch {
        prepare_batch(&ctx).map_err(|refusal| refusal.map(Prepared::Answered))
    } else {
        prepare_one(state, ctx).map_err(|refusal| Ok(Prepared::Answered(Some(refusal))))
    };
    match ready {
        Ok(ready) => Ok(Prepared::Joined(ready)),
        Err(answered) => answered,
    }
}

/// What a send needs after the checks.
struct SendContext {
    header: SendMessageRequestHeader,
    flavour: ProtocolFlavour,
    queue_id: i32,
    sys_flag: SysFlag,
    born_host: SocketAddr,
    body: Bytes,
    request_version: rocketmq::protocol::Version,
    config: Arc<BrokerConfig>,
    /// `config`'s cluster name, shared.
    cluster: Arc<str>,
}

/// What a send needs of its topic's config, copied out of the table (the config itself
/// is not: its name and attributes would cost allocations on every send).
#[derive(Clone, Copy, Debug)]
struct SendTopic {
    read_queue_nums: i32,
    write_queue_nums: i32,
    /// The topic filter type is `MULTI_TAG` (the message gets the multi-tags flag).
    multi_tag: bool,
}

impl SendTopic {
    fn of(t: &TopicConfig) -> Self {
        SendTopic {
            read_queue_nums: t.read_queue_nums,
            write_queue_nums: t.write_queue_nums,
            multi_tag: t.topic_filter_type == TopicFilterType::MultiTag,
        }
    }
}

/// Java `msgCheck`: what the send needs of the topic's config, or the refusal to send
/// back.
fn check(
    state: &State,
    config: &BrokerConfig,
    ctx: &RequestContext,
    header: &SendMessageRequestHeader,
    flavour: ProtocolFlavour,
) -> Result<SendTopic, RemotingCommand> {
    let topic = header.topic.as_str();
    let refusal = |code, remark: String| response(code, Some(remark));
    if config.broker_permission & PERM_WRITE == 0
        && state.topics.get(topic).is_some_and(|t| t.order)
    {
        return Err(refusal(
            ResponseCode::NO_PERMISSION,
            format!(
                "the broker[{}] sending message is forbidden",
                state.addr.ip()
            ),
        ));
    }
    if let Some(problem) = topic_problem(topic) {
        let code = match flavour {
            ProtocolFlavour::V4 => ResponseCode::SYSTEM_ERROR,
            _ => ResponseCode::INVALID_PARAMETER,
        };
        return Err(refusal(code, problem.to_owned()));
    }
    if NOT_ALLOWED_SEND.contains(&topic) {
        return Err(refusal(
            ResponseCode::NO_PERMISSION,
            format!("Sending message to topic[{topic}] is forbidden."),
        ));
    }
    let topic_config = match state.topics.with(topic, SendTopic::of) {
        Some(t) => t,
        None => {
            let sys_flag = match (header.unit_mode, topic.starts_with(RETRY_PREFIX)) {
                (false, _) => 0,
                (true, true) => TOPIC_FLAG_UNIT_SUB,
                (true, false) => TOPIC_FLAG_UNIT,
            };
            let created = create_topic_in_send(
                state,
                topic,
                &header.default_topic,
                header.default_topic_queue_nums,
                sys_flag,
            )
            .or_else(|| {
                topic.starts_with(RETRY_PREFIX).then(|| {
                    create_topic_in_send_back(state, topic, 1, PERM_READ | PERM_WRITE, sys_flag)
                })
            });
            match created {
                Some(t) => SendTopic::of(&t),
                None => {
                    return Err(refusal(
                        ResponseCode::TOPIC_NOT_EXIST,
                        format!(
                            "topic[{topic}] not exist, apply first please!{}",
                            faq(flavour)
                        ),
                    ));
                }
            }
        }
    };
    let valid = topic_config
        .write_queue_nums
        .max(topic_config.read_queue_nums);
    if header.queue_id >= valid {
        let code = match flavour {
            ProtocolFlavour::V4 => ResponseCode::SYSTEM_ERROR,
            _ => ResponseCode::INVALID_PARAMETER,
        };
        return Err(refusal(
            code,
            format!(
                "request queueId[{}] is illegal, {} Producer: {}",
                header.queue_id,
                // The whole config, read again on this rare path only.
                state
                    .topics
                    .with(topic, |t| topic_text(t, flavour))
                    .unwrap_or_default(),
                ctx.peer_addr()
            ),
        ));
    }
    Ok(topic_config)
}

/// Java `handleRetryAndDLQ`: for a `%RETRY%` topic, the DLQ topic and queue when the
/// message is past its group's maximum reconsume times. `Err` is the refusal.
fn retry_or_dlq(
    state: &State,
    ctx: &SendContext,
) -> Result<Option<(String, i32)>, RemotingCommand> {
    let Some(group) = ctx.header.topic.strip_prefix(RETRY_PREFIX) else {
        return Ok(None);
    };
    let Some(group_config) = state.groups.find(group) else {
        return Err(response(
            ResponseCode::SUBSCRIPTION_GROUP_NOT_EXIST,
            Some(format!(
                "subscription group not exist, {group} {}",
                faq(ctx.flavour)
            )),
        ));
    };
    // Java reads maxReconsumeTimes from clients newer than 3.4.9 (ordinal 149).
    let max = match ctx.header.max_reconsume_times {
        Some(m) if ctx.request_version.0 >= 149 => m,
        _ => group_config.retry_max_times,
    };
    let times = ctx.header.reconsume_times.unwrap_or(0);
    // 5.x also sends an orderly group's retries (it holds queue locks) straight to the DLQ.
    let to_dlq = match ctx.flavour {
        ProtocolFlavour::V4 => times >= max,
        _ => times > max || state.locks.any_live(group, super::now_ms()),
    };
    if !to_dlq {
        return Ok(None);
    }
    let dlq = dlq_topic(group);
    create_topic_in_send_back(state, &dlq, DLQ_QUEUES, PERM_READ | PERM_WRITE, 0);
    Ok(Some((dlq, random_below(DLQ_QUEUES))))
}

/// A single send made ready to store, or the refusal.
fn prepare_one(state: &Arc<State>, mut ctx: SendContext) -> Result<ReadySend, RemotingCommand> {
    let dlq = retry_or_dlq(state, &ctx)?;
    let (mut props, dropped) = stored_properties(
        ctx.header.properties.take(),
        ctx.flavour,
        Arc::clone(&ctx.cluster),
    );
    if ctx.flavour == ProtocolFlavour::V5 {
        if props.get(property::UNIQ_KEY).is_none_or(str::is_empty) {
            props.insert(property::UNIQ_KEY, UNIQ_IDS.next_id());
        }
        if dlq.is_some() {
            props.insert(property::DELAY, "-1");
        }
    }
    let (topic, queue_id) =
        dlq.unwrap_or_else(|| (std::mem::take(&mut ctx.header.topic), ctx.queue_id));
    let reconsume_times = ctx.header.reconsume_times.unwrap_or(0);
    let prepared = props
        .get(property::TRAN_MSG)
        .is_some_and(|v| v.eq_ignore_ascii_case("true"));
    let delay = props
        .get(property::DELAY)
        .and_then(|d| d.parse::<i32>().ok())
        .unwrap_or(0);
    let half = prepared && !(reconsume_times > 0 && delay > 0);
    if ctx.flavour == ProtocolFlavour::V4 && delay > 0 && !prepared {
        // 4.9.8 drops WAIT from the properties string but keeps it in the map, and the
        // delay rewrite re-writes the string from the map: a delayed message keeps WAIT.
        if let Some(wait) = dropped {
            props.insert(property::WAIT, wait);
        }
    }
    let uniq = props.get(property::UNIQ_KEY).map(str::to_owned);
    let mut msg = StoredMessage {
        message: Message::from_parts(topic, ctx.header.flag, props, ctx.body.clone()),
        queue_id,
        sys_flag: ctx.sys_flag,
        born_timestamp: ctx.header.born_timestamp,
        born_host: ctx.born_host,
        reconsume_times,
        ..StoredMessage::default()
    };
    if half {
        to_half(&mut msg, ctx.flavour);
        // Java's transaction service creates the half topic on first use.
        create_topic_in_send_back(state, TRANS_HALF_TOPIC, 1, PERM_READ | PERM_WRITE, 0);
    } else if let Err(refusal) = rewrite_timer(&mut msg, super::now_ms()) {
        let r = refusal.response();
        return Err(response(r.response_code(), r.remark));
    }
    let recall = match ctx.flavour {
        ProtocolFlavour::V4 => None,
        _ => recall_handle(&msg, &ctx.config.broker_name),
    };
    let transaction_id = match ctx.flavour {
        ProtocolFlavour::V4 => None,
        _ => uniq,
    };
    Ok(ReadySend {
        job: PutJob::one(msg),
        answer: Answer::One {
            queue_id: ctx.queue_id,
            transaction_id,
            recall,
        },
    })
}

/// Java 5.3 `attachRecallHandle`: for a timer message not bound for a retry topic, the
/// handle a producer may recall it with: URL-safe base64 of
/// `v1 <topic> <broker> <timer out + 1> <unique key>`.
fn recall_handle(msg: &StoredMessage, broker_name: &str) -> Option<String> {
    let timer_out: i64 = msg.message.property(property::TIMER_OUT_MS)?.parse().ok()?;
    let topic = msg.message.real_topic()?;
    if topic.starts_with(RETRY_PREFIX) {
        return None;
    }
    let uniq = msg.message.unique_key().unwrap_or("null");
    let raw = format!("v1 {topic} {broker_name} {} {uniq}", timer_out + 1);
    Some(base64_url(raw.as_bytes()))
}

/// Base64 with the URL-safe alphabet and `=` padding (Java `Base64.getUrlEncoder()`).
fn base64_url(input: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::with_capacity(input.len().div_ceil(3) * 4);
    for chunk in input.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for (i, shift) in [18u32, 12, 6, 0].into_iter().enumerate() {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> shift) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Java `TransactionalMessageBridge.parseHalfMessageInner`.
fn to_half(msg: &mut StoredMessage, flavour: ProtocolFlavour) {
    let real_topic = msg.message.topic().to_owned();
    let real_qid = msg.queue_id.to_string();
    let props = msg.message.properties_mut();
    if flavour == ProtocolFlavour::V5
        && let Some(uniq) = props.get(property::UNIQ_KEY).filter(|u| !u.is_empty())
    {
        let uniq = uniq.to_owned();
        props.insert(property::TRANSACTION_ID, uniq);
    }
    props.insert(property::REAL_TOPIC, real_topic);
    props.insert(property::REAL_QID, real_qid);
    msg.sys_flag = msg.sys_flag.without(SysFlag::TRANSACTION_ROLLBACK);
    msg.message.set_topic(TRANS_HALF_TOPIC);
    msg.queue_id = 0;
}

/// A batch send made ready to store, or the refusal.
fn prepare_batch(ctx: &SendContext) -> Result<ReadySend, Reply> {
    let topic = ctx.header.topic.as_str();
    if ctx.flavour == ProtocolFlavour::V5 && topic.starts_with(RETRY_PREFIX) {
        return Err(refuse(
            ResponseCode::MESSAGE_ILLEGAL,
            format!("batch request does not support retry group {topic}"),
        ));
    }
    let illegal = || {
        Err(refuse(
            ResponseCode::MESSAGE_ILLEGAL,
            illegal_remark(ctx.config.store.max_message_size),
        ))
    };
    // Java's putMessages refuses transactional and delayed batches.
    let batch_props = Properties::decode(ctx.header.properties.as_deref().unwrap_or(""));
    let delayed = batch_props
        .get(property::DELAY)
        .and_then(|d| d.parse::<i32>().ok())
        .is_some_and(|d| d > 0);
    if delayed || ctx.sys_flag.bits() & SysFlag::TRANSACTION_ROLLBACK.bits() != 0 {
        return illegal();
    }
    let Ok(messages) = decode_batch(&ctx.body, topic) else {
        return illegal();
    };
    if messages.is_empty() {
        return illegal();
    }
    // 4.9.8 appends the batch's properties and CLUSTER to every message; 5.x (since the
    // fix of apache/rocketmq#9416, in the 5.5.0 under test) stores each message's own.
    let extra = match ctx.flavour {
        ProtocolFlavour::V4 => {
            batch_properties(&batch_props, ctx.flavour, &ctx.config.cluster_name)
        }
        _ => String::new(),
    };
    let reconsume_times = ctx.header.reconsume_times.unwrap_or(0);
    let msgs = messages
        .into_iter()
        .map(|m| {
            let props = append_properties(m.properties(), &extra);
            StoredMessage {
                message: Message::from_parts(topic, m.flag(), props, m.body().clone()),
                queue_id: ctx.queue_id,
                sys_flag: ctx.sys_flag,
                born_timestamp: ctx.header.born_timestamp,
                born_host: ctx.born_host,
                reconsume_times,
                ..StoredMessage::default()
            }
        })
        .collect();
    Ok(ReadySend {
        job: PutJob::batch(msgs),
        answer: Answer::Batch {
            queue_id: ctx.queue_id,
        },
    })
}

fn success_header(
    outcome: &PutOutcome,
    queue_id: i32,
    msg_id: String,
) -> SendMessageResponseHeader {
    SendMessageResponseHeader {
        msg_id,
        queue_id,
        queue_offset: i64::try_from(outcome.queue_offset).unwrap_or(i64::MAX),
        transaction_id: None,
        batch_uniq_id: None,
        recall_handle: None,
    }
}

/// Java's remark for MESSAGE_ILLEGAL / PROPERTIES_SIZE_EXCEEDED.
fn illegal_remark(max_message_size: usize) -> String {
    format!(
        "the message is illegal, maybe msg body or properties length not matched. msg body length limit {max_message_size}B, msg properties length limit 32KB."
    )
}

/// The response Java gives for a failed store put.
fn store_failure(state: &State, e: &crate::Error) -> RemotingCommand {
    use crate::Error;
    let max = state.config().store.max_message_size;
    match e {
        Error::MessageTooLarge { .. } | Error::Rocketmq(rocketmq::Error::TooLarge { .. }) => {
            response(ResponseCode::MESSAGE_ILLEGAL, Some(illegal_remark(max)))
        }
        Error::DiskFull { used_ratio } => response(
            ResponseCode::SERVICE_NOT_AVAILABLE,
            Some(not_available_remark(*used_ratio)),
        ),
        Error::Shutdown => response(
            ResponseCode::SERVICE_NOT_AVAILABLE,
            Some(not_available_remark(0.0)),
        ),
        other => {
            tracing::warn!("put failed: {other}");
            response(ResponseCode::SYSTEM_ERROR, Some("UNKNOWN_ERROR".into()))
        }
    }
}

/// Java's SERVICE_NOT_AVAILABLE remark, with the disk use ratio where Java prints the
/// commit log's, consume queue's and index's.
pub(crate) fn not_available_remark(ratio: f64) -> String {
    format!(
        "service not available now. It may be caused by one of the following reasons: the broker's disk is full [CL: {ratio:5.2} CQ: {ratio:5.2} INDEX: {ratio:5.2}], messages are put to the slave, message store has been shut down, etc."
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts() {
        assert_eq!(perm_text(6), "RW-");
        assert_eq!(perm_text(7), "RWX");
        assert_eq!(perm_text(4), "R--");
        let t = TopicConfig {
            topic_name: "T".into(),
            read_queue_nums: 4,
            write_queue_nums: 4,
            ..TopicConfig::default()
        };
        assert_eq!(
            topic_text(&t, ProtocolFlavour::V4),
            "TopicConfig [topicName=T, readQueueNums=4, writeQueueNums=4, perm=RW-, topicFilterType=SINGLE_TAG, topicSysFlag=0, order=false]"
        );
        assert!(topic_text(&t, ProtocolFlavour::V5).ends_with(", attributes={}]"));
        assert!(not_available_remark(0.951).contains("[CL:  0.95 CQ:  0.95 INDEX:  0.95]"));
    }

    #[test]
    fn topic_validation() {
        assert!(topic_problem("ok_Topic-1|%").is_none());
        assert_eq!(topic_problem(" "), Some("The specified topic is blank."));
        assert!(topic_problem("a b").unwrap().contains("illegal characters"));
        assert!(
            topic_problem(&"a".repeat(128))
                .unwrap()
                .contains("max length")
        );
        assert!(topic_problem(&"a".repeat(127)).is_none());
    }

    #[test]
    fn recall_handles() {
        assert_eq!(base64_url(b"f"), "Zg==");
        assert_eq!(base64_url(b"fo"), "Zm8=");
        assert_eq!(base64_url(b"foo"), "Zm9v");
        assert_eq!(base64_url(&[0xfb, 0xff]), "-_8=");
        let mut props = Properties::new();
        props.insert("TIMER_OUT_MS", "1000");
        props.insert("REAL_TOPIC", "T");
        props.insert("UNIQ_KEY", "U");
        let msg = StoredMessage {
            message: Message::from_parts("rmq_sys_wheel_timer", 0, props, Bytes::new()),
            ..StoredMessage::default()
        };
        assert_eq!(
            recall_handle(&msg, "b").as_deref(),
            Some(base64_url(b"v1 T b 1001 U").as_str())
        );
    }

    #[test]
    fn random_queue_in_range() {
        for _ in 0..100 {
            assert!((0..3).contains(&random_below(3)));
        }
        assert_eq!(random_below(0), 0);
    }
}
