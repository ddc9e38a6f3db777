//! The SDK's producer and push consumer across SIGKILLs of the `broker-lite` binary
//! (name server + broker in one process, SYNC_FLUSH, on a scratch store): the issue's
//! "killing the broker mid-stream and restarting it loses nothing acknowledged".
//!
//! One [`Producer`] sends a stream of messages (random bodies, a key and a tag each) and
//! records every send the broker acknowledged (SEND_OK) with its queue and offset; one
//! clustering [`PushConsumer`] of its own group records every delivery. At random points
//! of the stream the process is killed by PID and started again on the same store and
//! the same ports; producer and consumer are the same objects throughout (no rebuild, as
//! with a Java client). At the end:
//!
//! - every acknowledged message was delivered at its acknowledged queue offset, with the
//!   body, keys and tags it was sent with (and every delivery is byte-identical to
//!   something that was sent);
//! - redelivery is bounded by the committed offsets: a queue offset delivered twice lies
//!   at or above the consumer offset the broker had on disk when it was killed (what a
//!   restarted broker knows), and nothing is delivered twice before the first kill.
//!
//! The number of redeliveries is printed. Random choices come from a seed printed at the
//! start; `LITE_TEST_SEED=<n>` repeats a run.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point

mod lite_process;

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, bail, ensure};
use bytes::Bytes;
use lite_process::{LiteProcess, Rng, ScratchDir};
use rocketmq::consumer::{ConsumeFrom, ConsumeStatus, PushConsumer};
use rocketmq::producer::{Producer, SendStatus};
use rocketmq::protocol::ResponseCode;
use rocketmq::protocol::header::CreateTopicRequestHeader;
use rocketmq::protocol::message::Message;
use rocketmq::protocol::request::{CreateTopic, GetRouteInfo};
use rocketmq::remoting::RemotingClient;

const QUEUES: i32 = 4;
const KILLS: usize = 4;
const TOPIC: &str = "ConsumerKillTopic";
const GROUP: &str = "consumer_kill_group";
/// The broker writes consumer offsets to disk this often (Java's default is 5 s; shorter
/// here so the redelivery bound is tight enough to mean something).
const BROKER_EXTRA: &str = "persist_interval = \"500ms\"";
/// How long the producer may take to get a send through after a restart, and the
/// consumer to catch up at the end, before the test fails.
const RECOVERY_LIMIT: Duration = Duration::from_secs(30);
/// How long the consumer may take to consume again after a restart: well above its 3 s
/// retry delay after a failed pull, below the 30 s heartbeat interval (a consumer that
/// waits for its next periodic heartbeat before the broker knows it again fails here).
const RESUME_LIMIT: Duration = Duration::from_secs(15);

/// What was sent (every attempt, acknowledged or not), by key.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Sent {
    body: Bytes,
    tags: String,
}

/// An acknowledged send.
#[derive(Clone, Debug)]
struct Acked {
    key: String,
    queue_id: i32,
    queue_offset: i64,
}

/// One delivery to the listener.
#[derive(Clone, Debug)]
struct Delivery {
    key: Option<String>,
    keys: Vec<String>,
    tags: Option<String>,
    body: Bytes,
    queue_id: i32,
    queue_offset: i64,
    /// Kills before this delivery.
    epoch: usize,
    at: Instant,
}

#[derive(Default)]
struct Shared {
    sent: Mutex<HashMap<String, Sent>>,
    acked: Mutex<Vec<Acked>>,
    deliveries: Mutex<Vec<Delivery>>,
    failed_sends: AtomicUsize,
    epoch: AtomicUsize,
    stop: AtomicBool,
}

impl Shared {
    fn acked_len(&self) -> usize {
        self.acked.lock().unwrap().len()
    }

    fn delivered_len(&self) -> usize {
        self.deliveries.lock().unwrap().len()
    }

    /// When the first delivery after `kills` kills came, if it did.
    fn first_in_epoch(&self, kills: usize) -> Option<Instant> {
        self.deliveries
            .lock()
            .unwrap()
            .iter()
            .find(|d| d.epoch == kills)
            .map(|d| d.at)
    }
}

fn random_body(rng: &mut Rng, seq: u64) -> Bytes {
    let mut b = format!("m{seq}/").into_bytes();
    let pad = rng.below(8..600) as usize;
    b.extend(rng.bytes(pad));
    Bytes::from(b)
}

/// Sends until told to stop, one message at a time, recording what was acknowledged.
/// Errors (the broker is down) are counted and the next message tried after a pause.
async fn produce(producer: Producer, shared: Arc<Shared>, seed: u64) {
    let mut rng = Rng::from_seed(seed);
    for seq in 0u64.. {
        if shared.stop.load(Ordering::Acquire) {
            break;
        }
        let key = format!("k{seq}");
        let tags = format!("t{}", seq % 5);
        let body = random_body(&mut rng, seq);
        let mut msg = Message::new(TOPIC, body.clone());
        msg.set_keys([key.clone()]);
        msg.set_tags(tags.as_str());
        shared
            .sent
            .lock()
            .unwrap()
            .insert(key.clone(), Sent { body, tags });
        match producer.send(msg).await {
            Ok(r) if r.status == SendStatus::SendOk => shared.acked.lock().unwrap().push(Acked {
                key,
                queue_id: r.queue.queue_id,
                queue_offset: r.queue_offset,
            }),
            Ok(_) => {
                shared.failed_sends.fetch_add(1, Ordering::Relaxed);
            }
            Err(_) => {
                shared.failed_sends.fetch_add(1, Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
    }
}

/// Creates the topic with `QUEUES` queues and waits until the name server routes it.
async fn create_topic(process: &LiteProcess) -> anyhow::Result<()> {
    let client = RemotingClient::builder().build();
    let create = CreateTopic(CreateTopicRequestHeader {
        topic: TOPIC.to_owned(),
        default_topic: "TBW102".to_owned(),
        read_queue_nums: QUEUES,
        write_queue_nums: QUEUES,
        perm: 6,
        topic_filter_type: "SINGLE_TAG".to_owned(),
        ..Default::default()
    });
    client.call(&process.broker.to_string(), &create).await?;
    let deadline = Instant::now() + RECOVERY_LIMIT;
    let namesrv = process.namesrv.to_string();
    loop {
        match client.call(&namesrv, &GetRouteInfo::new(TOPIC)).await {
            Ok(_) => break,
            Err(rocketmq::Error::Broker { code, .. })
                if code == ResponseCode::TOPIC_NOT_EXIST && Instant::now() < deadline =>
            {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            Err(e) => return Err(e.into()),
        }
    }
    client.close().await;
    Ok(())
}

/// The consumer offsets of `topic@group` in the broker's `config/consumerOffset.json`
/// (fastjson's form, integer queue ids as bare keys: `"t@g":{0:5,1:7}`). Empty if the
/// file or the entry does not exist yet.
fn offsets_on_disk(store: &Path, topic: &str, group: &str) -> anyhow::Result<BTreeMap<i32, i64>> {
    let path = store.join("config").join("consumerOffset.json");
    let Ok(text) = std::fs::read_to_string(&path) else {
        return Ok(BTreeMap::new());
    };
    let needle = format!("\"{topic}@{group}\":{{");
    let Some(at) = text.find(&needle) else {
        return Ok(BTreeMap::new());
    };
    let rest = &text[at + needle.len()..];
    let end = rest
        .find('}')
        .with_context(|| format!("unterminated entry in {}: {text}", path.display()))?;
    let mut out = BTreeMap::new();
    for pair in rest[..end].split(',').filter(|p| !p.trim().is_empty()) {
        let (q, o) = pair
            .split_once(':')
            .with_context(|| format!("bad pair {pair:?} in {}", path.display()))?;
        out.insert(
            q.trim().trim_matches('"').parse()?,
            o.trim()
                .parse()
                .with_context(|| format!("bad offset {o:?}"))?,
        );
    }
    Ok(out)
}

/// Waits (polling the shared records) until `done` holds, failing after `limit`.
async fn wait_until(
    what: &str,
    limit: Duration,
    mut done: impl FnMut() -> bool,
) -> anyhow::Result<Duration> {
    let started = Instant::now();
    while !done() {
        if started.elapsed() > limit {
            bail!("{what}: not within {limit:?}");
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    Ok(started.elapsed())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broker_sigkill_mid_stream_loses_nothing_acknowledged() -> anyhow::Result<()> {
    let started = Instant::now();
    let mut rng = Rng::from_env_or_time("broker_sigkill_mid_stream");
    let scratch = ScratchDir::new("lite-consumer-kill")?;
    let store = scratch.path().join("store");
    let mut process = LiteProcess::start(&store, BROKER_EXTRA)?;
    let mut restarted = Instant::now();
    let (namesrv, broker) = (process.namesrv, process.broker);
    create_topic(&process).await?;

    let shared = Arc::new(Shared::default());
    let recorder = Arc::clone(&shared);
    let consumer = PushConsumer::builder()
        .namesrv_addr(namesrv.to_string())
        .group(GROUP)
        .subscribe(TOPIC, "*")
        .consume_from(ConsumeFrom::FirstOffset)
        .listener_fn(move |msgs| {
            let recorder = Arc::clone(&recorder);
            async move {
                let epoch = recorder.epoch.load(Ordering::Acquire);
                let mut deliveries = recorder.deliveries.lock().unwrap();
                for m in &msgs {
                    let keys: Vec<String> = m.keys().map(str::to_owned).collect();
                    deliveries.push(Delivery {
                        key: keys.first().cloned(),
                        keys,
                        tags: m.tags().map(str::to_owned),
                        body: m.body().clone(),
                        queue_id: m.queue_id(),
                        queue_offset: m.queue_offset(),
                        epoch,
                        at: Instant::now(),
                    });
                }
                ConsumeStatus::Success
            }
        })
        .build()
        .await?;
    let producer = Producer::builder()
        .namesrv_addr(namesrv.to_string())
        .group("consumer_kill_producer")
        .build()
        .await?;
    let sender = tokio::spawn(produce(
        producer.clone(),
        Arc::clone(&shared),
        rng.next_u64(),
    ));

    // Offsets on disk at each kill: the floor of any redelivery after it.
    let mut floors: Vec<BTreeMap<i32, i64>> = Vec::new();
    for kill in 0..KILLS {
        // A random point of the stream: some more acknowledged sends (and, the first
        // time, the consumer under way).
        let more = rng.below(40..400) as usize;
        let target = shared.acked_len() + more;
        let recovered = wait_until(
            &format!("kill {kill}: the producer getting {more} more sends acknowledged"),
            RECOVERY_LIMIT,
            || shared.acked_len() >= target,
        )
        .await
        .map_err(|e| e.context(process.log_tail()))?;
        // The consumer under way (after a restart: consuming again, within RESUME_LIMIT
        // of the restart).
        let limit = if kill == 0 {
            RECOVERY_LIMIT
        } else {
            RESUME_LIMIT.saturating_sub(restarted.elapsed())
        };
        wait_until(
            &format!("kill {kill}: the consumer consuming after the last (re)start"),
            limit,
            || shared.first_in_epoch(kill).is_some(),
        )
        .await
        .map_err(|e| e.context(process.log_tail()))?;
        let resumed = shared
            .first_in_epoch(kill)
            .map(|at| at.saturating_duration_since(restarted));
        let (acked, delivered) = (shared.acked_len(), shared.delivered_len());
        let pid = process.pid();
        process.kill()?;
        shared.epoch.fetch_add(1, Ordering::AcqRel);
        floors.push(offsets_on_disk(&store, TOPIC, GROUP)?);
        let down = Duration::from_millis(rng.below(0..300));
        tokio::time::sleep(down).await;
        process = LiteProcess::start_at(&store, BROKER_EXTRA, namesrv, broker)?;
        restarted = Instant::now();
        eprintln!(
            "kill {kill}: pid {pid:?} after {acked} acknowledged / {delivered} delivered \
             (then: {recovered:?} for the sends, consumer consuming {resumed:?} after the \
             (re)start); offsets on disk {:?}; down {down:?}, restarted in {:?}",
            floors[kill], process.start_time
        );
    }
    // The producer gets through again, then stops; the consumer catches up.
    let target = shared.acked_len() + 100;
    let resumed = wait_until(
        "the producer after the last restart",
        RECOVERY_LIMIT,
        || shared.acked_len() >= target,
    )
    .await
    .map_err(|e| e.context(process.log_tail()))?;
    shared.stop.store(true, Ordering::Release);
    sender.await?;
    let acked: Vec<Acked> = shared.acked.lock().unwrap().clone();
    let want: HashMap<(i32, i64), &Acked> = acked
        .iter()
        .map(|a| ((a.queue_id, a.queue_offset), a))
        .collect();
    ensure!(
        want.len() == acked.len(),
        "two acknowledged sends share a queue offset"
    );
    let caught_up = wait_until(
        "the consumer receiving every acknowledged message",
        RECOVERY_LIMIT,
        || {
            let deliveries = shared.deliveries.lock().unwrap();
            let got: std::collections::HashSet<(i32, i64)> = deliveries
                .iter()
                .map(|d| (d.queue_id, d.queue_offset))
                .collect();
            want.keys().all(|k| got.contains(k))
        },
    )
    .await;
    let deliveries: Vec<Delivery> = shared.deliveries.lock().unwrap().clone();
    let sent = shared.sent.lock().unwrap().clone();
    if let Err(e) = caught_up {
        let got: std::collections::HashSet<(i32, i64)> = deliveries
            .iter()
            .map(|d| (d.queue_id, d.queue_offset))
            .collect();
        let mut missing: Vec<&Acked> = acked
            .iter()
            .filter(|a| !got.contains(&(a.queue_id, a.queue_offset)))
            .collect();
        missing.sort_by_key(|a| (a.queue_id, a.queue_offset));
        bail!(
            "{e}: {} of {} acknowledged messages never delivered, e.g. {:?}\n{}",
            missing.len(),
            acked.len(),
            &missing[..missing.len().min(10)],
            process.log_tail()
        );
    }
    consumer.close().await;
    producer.close().await;

    // Every delivery is something sent, byte for byte; every acknowledged message came
    // at its offset as sent.
    let mut by_offset: BTreeMap<(i32, i64), Vec<&Delivery>> = BTreeMap::new();
    for d in &deliveries {
        let key = d.key.as_deref().context("a delivery without keys")?;
        let s = sent
            .get(key)
            .with_context(|| format!("delivered {key}, never sent"))?;
        ensure!(
            d.keys == [key] && d.tags.as_deref() == Some(s.tags.as_str()) && d.body == s.body,
            "{key} at {}/{} differs from what was sent: keys {:?}, tags {:?}, {} body bytes \
             (sent tags {}, {} bytes)",
            d.queue_id,
            d.queue_offset,
            d.keys,
            d.tags,
            d.body.len(),
            s.tags,
            s.body.len()
        );
        by_offset
            .entry((d.queue_id, d.queue_offset))
            .or_default()
            .push(d);
    }
    for a in &acked {
        let at = by_offset
            .get(&(a.queue_id, a.queue_offset))
            .context("checked above")?;
        ensure!(
            at.iter().all(|d| d.key.as_deref() == Some(a.key.as_str())),
            "acknowledged {} at {}/{} but another message was delivered there",
            a.key,
            a.queue_id,
            a.queue_offset
        );
    }
    // Redelivery: only after a kill, and never below the offset the broker had on disk.
    let mut redelivered = 0;
    for (&(queue, offset), ds) in &by_offset {
        for d in &ds[1..] {
            redelivered += 1;
            ensure!(
                d.epoch > 0,
                "{queue}/{offset} delivered twice before any kill"
            );
            let floor = floors[d.epoch - 1].get(&queue).copied().unwrap_or(0);
            ensure!(
                offset >= floor,
                "{queue}/{offset} delivered again after kill {} though the broker had \
                 offset {floor} on disk",
                d.epoch - 1
            );
        }
    }
    let stored_twice = {
        let mut keys: HashMap<&str, usize> = HashMap::new();
        for ds in by_offset.values() {
            if let Some(k) = ds[0].key.as_deref() {
                *keys.entry(k).or_default() += 1;
            }
        }
        keys.values().filter(|n| **n > 1).count()
    };
    eprintln!(
        "{KILLS} kills in {:?}: {} acknowledged ({} sends failed while the broker was down), \
         {} deliveries of {} distinct queue offsets: {redelivered} redelivered (at or above \
         the offsets on disk), {stored_twice} messages stored twice by a retried send; \
         producer resumed {resumed:?} after the last restart",
        started.elapsed(),
        acked.len(),
        shared.failed_sends.load(Ordering::Relaxed),
        deliveries.len(),
        by_offset.len(),
    );
    let status = process.interrupt()?;
    ensure!(status.success(), "clean stop failed: {status}");
    Ok(())
}
