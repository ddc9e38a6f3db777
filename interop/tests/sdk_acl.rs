//! ACL signing of the SDK against the real Java brokers (4.9.8 and the newest 5.x in the
//! cache), each started with ACL enforced from one `plain_acl.yml` (4.9.8: `aclEnable`;
//! 5.x: ACL 2.0 with the file migrated into users and policies, see `interop::JavaAcl`).
//!
//! - The signature our `Credentials` put on a request equals what Java's own
//!   `AclClientRPCHook` puts on the same request (our program `AclSignature`, run with the
//!   release's jars), for several requests including non-ASCII keys and binary bodies.
//! - An admin account creates the topic through the SDK transport; unsigned, the broker
//!   refuses it.
//! - A query by unique key, signed as Java signs it, is refused by 4.9.8 (its broker leaves
//!   `_UNIQUE_KEY_QUERY` out of the checked content) and answered by 5.x.
//! - A producer with the right credentials sends, and so does a transaction producer whose
//!   unknown transaction the broker checks (a broker-initiated request) and the producer
//!   commits; a push consumer with credentials receives every message with the same id,
//!   body, tags, keys and property (one send uses ROCKETMQ binary headers).
//! - A wrong secret, an unknown access key, no credentials at all, and an account without
//!   permission on the topic each fail with `Error::Broker` keeping the broker's code and a
//!   readable remark, and `Error::is_access_denied` is true (the codes are printed; run with
//!   `--nocapture` to see them).
//!
//! Fails (never skips) when Java RocketMQ is not in the cache or does not start.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{Context, bail, ensure};
use interop::sdk_ops::{create_topic, wait_for_route};
use interop::{AclAccount, JavaAcl, JavaCluster, JavaVersion};
use rocketmq::Error;
use rocketmq::acl::{Credentials, SigningHook};
use rocketmq::consumer::{ConsumeFrom, ConsumeStatus, PushConsumer};
use rocketmq::producer::{LocalTransactionState, Producer, SendStatus, TransactionProducer};
use rocketmq::protocol::header::{QueryMessageRequestHeader, SendMessageRequestHeaderV2};
use rocketmq::protocol::message::{Message, StoredMessage};
use rocketmq::protocol::request::QueryMessage;
use rocketmq::protocol::{RemotingCommand, RequestCode, ResponseCode, SerializeType};
use rocketmq::remoting::RemotingClient;

const ADMIN: (&str, &str) = ("acl_admin", "admin-secret-1");
const USER: (&str, &str) = ("acl_user", "user-secret-2");
const NO_PERM: (&str, &str) = ("acl_noperm", "noperm-secret-3");
const MESSAGES: usize = 3;

/// Topics only as created; transactions checked every second once 3 s old (5.x writes the
/// op records of ended transactions every 200 ms instead of 3 s).
const BROKER_CONF: &[(&str, &str)] = &[
    ("autoCreateTopicEnable", "false"),
    ("transactionCheckInterval", "1000"),
    ("transactionTimeOut", "3000"),
    ("transactionOpBatchInterval", "200"),
];

/// One Java cluster at a time: each starts two JVMs, and the machine may have two cores.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acl_against_java_4_9_8() -> anyhow::Result<()> {
    run(JavaVersion::V4_9_8).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acl_against_java_5() -> anyhow::Result<()> {
    run(JavaVersion::V5).await
}

async fn run(version: JavaVersion) -> anyhow::Result<()> {
    let _one = ONE_AT_A_TIME.lock().await;
    let topic = unique("acl_topic");
    let group = unique("acl_group");
    let producer_group = unique("acl_producer");
    let acl = JavaAcl::new(vec![
        AclAccount::admin(ADMIN.0, ADMIN.1),
        AclAccount::user(
            USER.0,
            USER.1,
            // A commit answering a broker check names the half topic (the check request
            // does, and Java's client copies it), which 5.x authorises as a send to it.
            &[&format!("{topic}=PUB|SUB"), "RMQ_SYS_TRANS_HALF_TOPIC=PUB"],
            &[
                &format!("{group}=SUB"),
                &format!("{producer_group}=PUB|SUB"),
            ],
        ),
        AclAccount::user(NO_PERM.0, NO_PERM.1, &[], &[]),
    ]);
    let cluster = JavaCluster::start_with_acl(version, BROKER_CONF, &acl).await?;
    let label = cluster.version_label().to_owned();

    java_signs_like_us(&cluster)
        .await
        .context("signatures against Java's AclClientRPCHook")?;

    // The topic, created by the admin account over the SDK transport; unsigned, refused.
    let unsigned = RemotingClient::builder().build();
    let refused = create_topic(&unsigned, &cluster.broker_addr(), &topic, 2).await;
    let refused = broker_refusal(refused, "unsigned UPDATE_AND_CREATE_TOPIC")?;
    println!("[{label}] unsigned topic creation: {refused}");
    let admin = RemotingClient::builder()
        .hook(SigningHook::new(Credentials::new(ADMIN.0, ADMIN.1)))
        .build();
    create_topic(&admin, &cluster.broker_addr(), &topic, 2)
        .await
        .context("topic creation by the admin account")?;
    wait_for_route(&admin, &cluster.namesrv_addr(), &topic).await?;

    unique_key_query(version, &label, &admin, &cluster.broker_addr(), &topic)
        .await
        .context("QUERY_MESSAGE by unique key")?;

    let sent = send_and_receive(&cluster, &topic, &group, &producer_group)
        .await
        .context("send and receive with the right credentials")?;
    ensure!(sent == MESSAGES + 1);

    // Each refusal, with what its remark names (either word, case-insensitive): 4.9.8
    // says "Check signature failed for accessKey=..", "No acl config for ..", "No accessKey
    // is configured", "No default permission for topic:..."; 5.x "check signature failed.",
    // "User:.. is not found.", "username cannot be null.", "User:.. has no permission to
    // access Topic:..".
    let topic_cause = topic.to_lowercase();
    let cases: [(&str, Option<Credentials>, [&str; 2]); 4] = [
        (
            "wrong secret key",
            Some(Credentials::new(USER.0, "not-the-secret")),
            ["signature", "signature"],
        ),
        (
            "unknown access key",
            Some(Credentials::new("nobody", USER.1)),
            ["nobody", "nobody"],
        ),
        ("no credentials", None, ["accesskey", "username"]),
        (
            "no permission on the topic",
            Some(Credentials::new(NO_PERM.0, NO_PERM.1)),
            [topic_cause.as_str(), topic_cause.as_str()],
        ),
    ];
    for (what, creds, causes) in cases {
        let err = refused_send(&cluster, &topic, creds).await.context(what)?;
        println!("[{label}] {what}: {err}");
        check_refusal(version, what, &err, &causes)?;
    }
    cluster.stop().await
}

/// A query by unique key carries `_UNIQUE_KEY_QUERY`, which Java's client hook signs like
/// every other field (and so do we). The 4.9.8 broker leaves that field out when it checks
/// the signature, so the signed query is refused there (the Java 4.9.8 client's too); 5.x
/// checks it as signed (for clients newer than 4.9.3) and answers the query.
async fn unique_key_query(
    version: JavaVersion,
    label: &str,
    admin: &RemotingClient,
    broker: &str,
    topic: &str,
) -> anyhow::Result<()> {
    let query = QueryMessage(QueryMessageRequestHeader {
        topic: topic.to_owned(),
        key: "0A0000010000000000000000000000AA".to_owned(),
        max_num: 32,
        begin_timestamp: 0,
        end_timestamp: i64::MAX,
        unique_key_query: Some(true),
        rpc: Default::default(),
    });
    let outcome = admin.call(broker, &query).await;
    println!("[{label}] signed query by unique key: {outcome:?}");
    match (version, outcome) {
        (JavaVersion::V4_9_8, Err(err)) if err.is_access_denied() => {
            ensure!(err.to_string().contains("Check signature failed"), "{err}");
        }
        (JavaVersion::V5, Err(Error::Broker { code, .. }))
            if code == ResponseCode::QUERY_NOT_FOUND => {}
        (_, other) => bail!("unexpected answer: {other:?}"),
    }
    Ok(())
}

/// Sends `MESSAGES` messages with the user's credentials and receives them with a push
/// consumer holding the same credentials; returns how many arrived intact.
async fn send_and_receive(
    cluster: &JavaCluster,
    topic: &str,
    group: &str,
    producer_group: &str,
) -> anyhow::Result<usize> {
    let creds = Credentials::new(USER.0, USER.1);
    let producer = Producer::builder()
        .namesrv_addr(cluster.namesrv_addr())
        .group(producer_group)
        .credentials(creds.clone())
        .build()
        .await?;
    // The last plain message goes with ROCKETMQ (binary) headers: the broker decodes the
    // same ext fields from them and checks the same signature.
    let binary = Producer::builder()
        .namesrv_addr(cluster.namesrv_addr())
        .group(format!("{producer_group}_bin"))
        .serialize_type(SerializeType::RocketMq)
        .credentials(creds.clone())
        .build()
        .await?;
    let mut expected = BTreeMap::new();
    for i in 0..MESSAGES {
        let sender = if i + 1 == MESSAGES {
            &binary
        } else {
            &producer
        };
        let result = sender.send(message(topic, i)?).await?;
        ensure!(result.status == SendStatus::SendOk, "{result:?}");
        expected.insert(result.msg_id.clone(), i);
    }
    producer.close().await;
    binary.close().await;

    // One more through a transaction left unknown: the broker's CHECK_TRANSACTION_STATE
    // reaches the producer (the signing hook also sees that incoming request) and the
    // commit goes back as a signed END_TRANSACTION.
    let checks = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&checks);
    let tx_producer = TransactionProducer::builder(move |_half: StoredMessage| {
        counted.fetch_add(1, Ordering::SeqCst);
        async { LocalTransactionState::Commit }
    })
    .namesrv_addr(cluster.namesrv_addr())
    .group(format!("{producer_group}_tx"))
    .credentials(creds.clone())
    .build()
    .await?;
    let half = tx_producer
        .send(message(topic, MESSAGES)?, |_: &Message| async {
            LocalTransactionState::Unknown
        })
        .await?;
    ensure!(half.send.status == SendStatus::SendOk, "{half:?}");
    expected.insert(half.send.msg_id.clone(), MESSAGES);
    let total = MESSAGES + 1;

    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let consumer = PushConsumer::builder()
        .namesrv_addr(cluster.namesrv_addr())
        .credentials(creds)
        .group(group)
        .subscribe(topic, "*")
        .consume_from(ConsumeFrom::FirstOffset)
        .rebalance_interval(Duration::from_secs(2))
        .listener_fn(move |msgs| {
            let tx = tx.clone();
            async move {
                for m in &msgs {
                    let got = (
                        m.msg_id(),
                        m.body().to_vec(),
                        m.tags().map(str::to_owned),
                        m.keys().map(str::to_owned).collect::<Vec<_>>(),
                        m.property("index").map(str::to_owned),
                    );
                    let _ = tx.send(got);
                }
                ConsumeStatus::Success
            }
        })
        .build()
        .await?;
    let mut seen = 0;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(90);
    while seen < total {
        let Ok(Some((id, body, tags, keys, index))) =
            tokio::time::timeout_at(deadline, rx.recv()).await
        else {
            bail!(
                "received {seen} of {total} messages in time ({} transaction checks)",
                checks.load(Ordering::SeqCst)
            );
        };
        let Some(i) = expected.remove(&id) else {
            bail!("unexpected or repeated message {id}");
        };
        ensure!(
            body == format!("acl body {i} \u{00e9}\u{4e2d}").as_bytes(),
            "body of {id}"
        );
        ensure!(tags.as_deref() == Some("TagAcl"), "tags of {id}: {tags:?}");
        ensure!(keys == [format!("acl-key-{i}")], "keys of {id}: {keys:?}");
        ensure!(index == Some(i.to_string()), "property of {id}: {index:?}");
        seen += 1;
    }
    consumer.close().await;
    tx_producer.close().await;
    ensure!(checks.load(Ordering::SeqCst) >= 1, "no transaction check");
    Ok(seen)
}

/// Message `i` of the test: non-ASCII body, tags, a key and a user property.
fn message(topic: &str, i: usize) -> anyhow::Result<Message> {
    let mut msg = Message::new(topic, format!("acl body {i} \u{00e9}\u{4e2d}"));
    msg.set_tags("TagAcl");
    msg.set_keys([format!("acl-key-{i}")]);
    msg.put_user_property("index", i.to_string())?;
    Ok(msg)
}

/// A send with `creds` (or none) that the broker must refuse; returns its error.
async fn refused_send(
    cluster: &JavaCluster,
    topic: &str,
    creds: Option<Credentials>,
) -> anyhow::Result<Error> {
    let mut builder = Producer::builder()
        .namesrv_addr(cluster.namesrv_addr())
        .group(unique("acl_refused"))
        .retries(0);
    if let Some(creds) = creds {
        builder = builder.credentials(creds);
    }
    let producer = builder.build().await?;
    let outcome = producer.send(Message::new(topic, "must be refused")).await;
    producer.close().await;
    match outcome {
        Ok(sent) => bail!("the broker accepted the send: {sent:?}"),
        Err(err) => Ok(err),
    }
}

/// The typed error of a refused call (anyhow around `rocketmq::Error::Broker`).
fn broker_refusal<T: std::fmt::Debug>(
    outcome: anyhow::Result<T>,
    what: &str,
) -> anyhow::Result<String> {
    match outcome {
        Ok(value) => bail!("{what} was accepted: {value:?}"),
        Err(err) => match err.downcast_ref::<Error>() {
            Some(e @ Error::Broker { .. }) if e.is_access_denied() => Ok(e.to_string()),
            _ => bail!("{what}: not a typed ACL refusal: {err:#}"),
        },
    }
}

/// Checks the refusal is typed, keeps the broker's code and a readable remark naming the
/// cause, and is recognised as an access refusal.
fn check_refusal(
    version: JavaVersion,
    what: &str,
    err: &Error,
    causes: &[&str],
) -> anyhow::Result<()> {
    let Error::Broker { code, remark } = err else {
        bail!("{what}: not Error::Broker: {err:?}");
    };
    ensure!(
        err.is_access_denied(),
        "{what}: not recognised as an ACL refusal: {err}"
    );
    let remark = remark.as_deref().unwrap_or_default();
    let lower = remark.to_lowercase();
    ensure!(
        causes.iter().any(|c| lower.contains(c)),
        "{what}: the remark names none of {causes:?}: {remark}"
    );
    let expected_code = match version {
        JavaVersion::V4_9_8 => ResponseCode::SYSTEM_ERROR,
        JavaVersion::V5 => ResponseCode::NO_PERMISSION,
    };
    ensure!(
        *code == expected_code,
        "{what}: code {code}, expected {expected_code}: {remark}"
    );
    Ok(())
}

/// Signs a few requests with our `Credentials` and with Java's `AclClientRPCHook` (our
/// `AclSignature` program on the cluster's release) and compares every ext field.
async fn java_signs_like_us(cluster: &JavaCluster) -> anyhow::Result<()> {
    let header = SendMessageRequestHeaderV2 {
        producer_group: "pg".to_owned(),
        topic: "TopicTest".to_owned(),
        default_topic: "TBW102".to_owned(),
        default_topic_queue_nums: 4,
        queue_id: 1,
        sys_flag: 0,
        born_timestamp: 1_700_000_000_123,
        flag: 0,
        properties: Some("KEYS\u{1}k1 k2\u{2}TAGS\u{1}TagA\u{2}WAIT\u{1}true\u{2}".to_owned()),
        reconsume_times: Some(0),
        unit_mode: false,
        max_reconsume_times: None,
        batch: false,
        broker_name: Some("broker-a".to_owned()),
    };
    let cases = [
        (
            Credentials::new("rocketmq2", "12345678"),
            RemotingCommand::request(RequestCode::GET_ROUTEINFO_BY_TOPIC)
                .with_ext_field("topic", "TopicTest"),
        ),
        (
            Credentials::new(USER.0, USER.1).with_security_token("sts-token"),
            RemotingCommand::request(RequestCode::SEND_MESSAGE_V2)
                .with_header(&header)
                .with_body((0u8..=255).collect::<Vec<u8>>()),
        ),
        (
            Credentials::new("cl\u{e9}", "s\u{e9}cret \u{4e2d}"),
            RemotingCommand::request(RequestCode::HEART_BEAT)
                .with_ext_field("\u{ff21}", "full-width A")
                .with_ext_field("\u{1f600}", "emoji \u{1f600}")
                .with_ext_field("Z", "")
                .with_body(&b"{\"clientID\":\"x\"}"[..]),
        ),
    ];
    for (creds, mut request) in cases {
        let mut args = vec![
            request.code.to_string(),
            hex(creds.access_key().as_bytes()),
            hex(SECRETS
                .iter()
                .find(|(ak, _)| *ak == creds.access_key())
                .map(|(_, sk)| *sk)
                .context("secret of the case")?
                .as_bytes()),
            creds
                .security_token()
                .map_or_else(|| "-".to_owned(), |t| hex(t.as_bytes())),
            if request.body.is_empty() {
                "-".to_owned()
            } else {
                hex(&request.body)
            },
        ];
        for (k, v) in request.ext_fields.iter().flat_map(|f| f.iter()) {
            args.push(format!("{}={}", hex(k.as_bytes()), hex(v.as_bytes())));
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = cluster
            .run_java("rocketmqrs.tools.AclSignature", &args)
            .await?;
        let java: BTreeMap<String, String> = out
            .lines()
            .filter_map(|line| line.split_once('='))
            .filter(|(k, v)| is_hex(k) && !k.is_empty() && is_hex(v))
            .map(|(k, v)| (unhex(k), unhex(v)))
            .collect();
        creds.sign(&mut request);
        let ours: BTreeMap<String, String> = request
            .ext_fields
            .iter()
            .flat_map(|f| f.iter())
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        ensure!(
            java.contains_key("Signature"),
            "no signature from Java:\n{out}"
        );
        ensure!(
            ours == java,
            "ext fields after signing differ (code {}):\nours: {ours:?}\njava: {java:?}",
            request.code
        );
    }
    Ok(())
}

/// The secret keys of the signature cases (`Credentials` never hands its secret out).
const SECRETS: &[(&str, &str)] = &[
    ("rocketmq2", "12345678"),
    (USER.0, USER.1),
    ("cl\u{e9}", "s\u{e9}cret \u{4e2d}"),
];

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn is_hex(s: &str) -> bool {
    s.len().is_multiple_of(2)
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

fn unhex(s: &str) -> String {
    let bytes: Vec<u8> = (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect();
    String::from_utf8(bytes).unwrap()
}

fn unique(prefix: &str) -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    format!("{prefix}_{}_{nanos:x}", std::process::id())
}
