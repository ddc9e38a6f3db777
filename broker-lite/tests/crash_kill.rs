//! Crash safety of the `broker-lite` binary (name server + broker, SYNC_FLUSH):
//!
//! - SIGKILL at a random moment of a multi-task SEND_MESSAGE_V2 load, restart on the same
//!   store, and every acknowledged message (of every round so far) is pulled back at its
//!   acknowledged queue offset with an identical body; repeated over many rounds.
//! - A torn tail on a copied store (file cut short, zeroed, or overwritten with garbage
//!   inside a record near the end): the store recovers to the last whole record, queues
//!   hold exactly the records before the cut, and new sends continue from there.
//! - Consumer offsets committed with UPDATE_CONSUMER_OFFSET survive a SIGKILL (once
//!   persisted) and a clean stop (SIGINT, always).
//!
//! Random choices come from a seed printed at the start; `LITE_TEST_SEED=<n>` repeats a run.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point

mod lite_process;

use std::collections::HashMap;
use std::fs;
use std::path::Path;
use std::str::FromStr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, ensure};
use bytes::Bytes;
use lite_process::{
    Acked, LiteProcess, Rng, ScratchDir, pull_all, pull_all_as, send, send_request,
};
use rocketmq::protocol::header::{
    QueryConsumerOffsetRequestHeader, UpdateConsumerOffsetRequestHeader,
};
use rocketmq::protocol::message::OffsetMsgId;
use rocketmq::protocol::request::{ConsumerOffset, QueryConsumerOffset, UpdateConsumerOffset};
use rocketmq::remoting::RemotingClient;

const QUEUES: i32 = 4;
const SEGMENT: u64 = 65536;

/// A body that names its origin, padded to a random length (so records cross segments).
fn body(rng: &mut Rng, tag: &str) -> Bytes {
    let mut b = format!("{tag}/").into_bytes();
    let pad = rng.below(16..3000) as usize;
    b.extend((0..pad).map(|i| b'a' + ((i as u64 + rng.next_u64()) % 26) as u8));
    Bytes::from(b)
}

/// Pulls every queue of `topic` and checks each acknowledged message sits at its queue
/// offset with the same body. Returns the number of records found.
async fn verify_acked(broker: &str, topic: &str, acked: &[Acked]) -> anyhow::Result<usize> {
    if acked.is_empty() {
        return Ok(0); // the topic may not exist yet
    }
    let client = RemotingClient::builder().build();
    let mut stored: HashMap<(i32, i64), Bytes> = HashMap::new();
    for q in 0..QUEUES {
        for m in pull_all(&client, broker, topic, q).await? {
            stored.insert((q, m.queue_offset), m.message.body().clone());
        }
    }
    for a in acked {
        let found = stored.get(&(a.queue_id, a.queue_offset));
        ensure!(
            found == Some(&a.body),
            "acknowledged message {} at {}/{} is {}",
            a.msg_id,
            a.queue_id,
            a.queue_offset,
            match found {
                None => "missing".to_owned(),
                Some(b) => format!("a different body ({} bytes)", b.len()),
            }
        );
    }
    client.close().await;
    Ok(stored.len())
}

/// Rounds of: start, verify everything acknowledged so far, put load on with several
/// tasks, SIGKILL at a random point.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_under_sync_flush_load_keeps_every_acknowledged_message() -> anyhow::Result<()> {
    const ROUNDS: usize = 24;
    const SENDERS: usize = 4;
    let started = Instant::now();
    let mut rng = Rng::from_env_or_time("sigkill_under_sync_flush_load");
    let scratch = ScratchDir::new("lite-crash-kill")?;
    let store = scratch.path().join("store");
    let topic = "CrashKillTopic";
    let mut acked: Vec<Acked> = Vec::new();
    let mut kills_with_acks = 0;
    for round in 0..ROUNDS {
        let mut process = LiteProcess::start(&store, "")?;
        let broker = process.broker.to_string();
        let verify_started = Instant::now();
        let stored = verify_acked(&broker, topic, &acked)
            .await
            .with_context(|| format!("round {round}, after restart:\n{}", process.log_tail()))?;
        ensure!(stored >= acked.len());
        let verify_time = verify_started.elapsed();

        let round_acks = Arc::new(Mutex::new(Vec::new()));
        let mut tasks = tokio::task::JoinSet::new();
        for task in 0..SENDERS {
            let mut task_rng = Rng::from_seed(rng.next_u64());
            let broker = broker.clone();
            let round_acks = Arc::clone(&round_acks);
            tasks.spawn(async move {
                let client = RemotingClient::builder().build();
                for seq in 0u32.. {
                    let queue = ((task as u32 + seq) % QUEUES as u32) as i32;
                    let b = body(&mut task_rng, &format!("{round}/{task}/{seq}"));
                    let key = format!("k{round}-{task}-{seq}");
                    let req = send_request(topic, queue, &key, b.clone());
                    match send(&client, &broker, &req).await {
                        Ok(Some(h)) => round_acks.lock().unwrap().push(Acked {
                            queue_id: h.queue_id,
                            queue_offset: h.queue_offset,
                            msg_id: h.msg_id,
                            body: b,
                        }),
                        Ok(None) => {}
                        Err(_) => break, // the broker is gone
                    }
                }
            });
        }
        // The kill point: a random moment of the load (first round: after some traffic,
        // so the topic exists before the first crash).
        let delay = if round == 0 { 150 } else { rng.below(0..250) };
        tokio::time::sleep(Duration::from_millis(delay)).await;
        let pid = process.pid();
        process.kill()?;
        let killed = Instant::now();
        tokio::time::timeout(Duration::from_secs(30), async {
            while tasks.join_next().await.is_some() {}
        })
        .await
        .context("senders did not notice the dead broker")?;
        let new: Vec<Acked> = std::mem::take(&mut *round_acks.lock().unwrap());
        if !new.is_empty() {
            kills_with_acks += 1;
        }
        eprintln!(
            "round {round}: start {:?}, verify {verify_time:?}, pid {pid:?} killed after \
             {delay} ms, senders stopped {:?} later, {} acknowledged (total {})",
            process.start_time,
            killed.elapsed(),
            new.len(),
            acked.len() + new.len()
        );
        acked.extend(new);
    }
    // A last start checks the last round, then a clean stop.
    let mut process = LiteProcess::start(&store, "")?;
    let stored = verify_acked(&process.broker.to_string(), topic, &acked).await?;
    let status = process.interrupt()?;
    ensure!(status.success(), "clean stop failed: {status}");
    ensure!(
        acked.len() >= 200 && kills_with_acks >= ROUNDS / 2,
        "too little load to mean anything: {} acknowledged, {kills_with_acks} rounds with acks",
        acked.len()
    );
    eprintln!(
        "{ROUNDS} kills: {} acknowledged messages all present ({stored} stored) in {:?}",
        acked.len(),
        started.elapsed()
    );
    Ok(())
}

/// How the tail of the commit log is damaged.
#[derive(Clone, Copy, Debug)]
enum Damage {
    /// The segment file is cut short at the point; later segments are removed.
    Truncate,
    /// Zeros from the point to the end of its segment; later segments are removed.
    Zeros,
    /// Random bytes over the rest of the record from the point; later records are kept
    /// on disk but must be dropped (recovery stops at the first bad record).
    Garbage,
}

fn copy_dir(from: &Path, to: &Path) -> anyhow::Result<()> {
    fs::create_dir_all(to)?;
    for entry in fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            fs::copy(entry.path(), &target)?;
        }
    }
    Ok(())
}

fn segment_path(store: &Path, start: u64) -> std::path::PathBuf {
    store.join("commitlog").join(format!("{start:020}"))
}

/// The record size stored at commit-log offset `phys` (its first 4 bytes).
fn record_size(store: &Path, phys: u64) -> anyhow::Result<u64> {
    use std::os::unix::fs::FileExt;
    let seg = phys / SEGMENT * SEGMENT;
    let file = fs::File::open(segment_path(store, seg))?;
    let mut len = [0u8; 4];
    file.read_exact_at(&mut len, phys - seg)?;
    Ok(u64::from(u32::from_be_bytes(len)))
}

fn damage(store: &Path, cut: u64, size: u64, how: Damage, rng: &mut Rng) -> anyhow::Result<()> {
    use std::os::unix::fs::FileExt;
    let seg = cut / SEGMENT * SEGMENT;
    let path = segment_path(store, seg);
    let file = fs::OpenOptions::new().write(true).open(&path)?;
    let at = cut - seg;
    match how {
        Damage::Truncate => file.set_len(at)?,
        Damage::Zeros => file.write_all_at(&vec![0u8; (SEGMENT - at) as usize], at)?,
        Damage::Garbage => {
            let n = size.max(8).min(SEGMENT - at) as usize;
            file.write_all_at(&rng.bytes(n), at)?;
        }
    }
    file.sync_all()?;
    if !matches!(how, Damage::Garbage) {
        for entry in fs::read_dir(store.join("commitlog"))? {
            let entry = entry?;
            let start: Option<u64> = entry.file_name().to_str().and_then(|n| n.parse().ok());
            if start.is_some_and(|s| s > seg) {
                fs::remove_file(entry.path())?;
            }
        }
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn torn_tail_on_copied_store_recovers_to_last_whole_record() -> anyhow::Result<()> {
    const MESSAGES: usize = 160;
    let mut rng = Rng::from_env_or_time("torn_tail");
    let scratch = ScratchDir::new("lite-torn-tail")?;
    let original = scratch.path().join("original");
    let topic = "TornTailTopic";

    // One sender, so commit-log order is send order and every record is acknowledged.
    let mut process = LiteProcess::start(&original, "")?;
    let broker = process.broker.to_string();
    let client = RemotingClient::builder().build();
    let mut acked = Vec::new();
    for i in 0..MESSAGES {
        let b = body(&mut rng, &format!("torn/{i}"));
        let req = send_request(topic, i as i32 % QUEUES, &format!("t{i}"), b.clone());
        let h = send(&client, &broker, &req)
            .await?
            .with_context(|| format!("message {i} not acknowledged"))?;
        let phys = OffsetMsgId::from_str(&h.msg_id)?.commit_log_offset() as u64;
        acked.push((phys, h.queue_id, h.queue_offset, b));
    }
    client.close().await;
    process.kill()?; // a crash: the abort file stays

    for (round, how) in [
        Damage::Truncate,
        Damage::Zeros,
        Damage::Garbage,
        Damage::Truncate,
        Damage::Zeros,
        Damage::Garbage,
    ]
    .into_iter()
    .enumerate()
    {
        let k = rng.below((MESSAGES as u64 - 30)..MESSAGES as u64) as usize;
        let (phys, ..) = acked[k];
        let size = record_size(&original, phys)?;
        let cut = phys + rng.below(0..size);
        let copy = scratch.path().join(format!("copy{round}"));
        copy_dir(&original, &copy)?;
        damage(&copy, cut, size, how, &mut rng)?;

        let mut process = LiteProcess::start(&copy, "")
            .with_context(|| format!("{how:?} at {cut} (record {k})"))?;
        let broker = process.broker.to_string();
        let client = RemotingClient::builder().build();
        for q in 0..QUEUES {
            let want: Vec<&Bytes> = acked[..k]
                .iter()
                .filter(|a| a.1 == q)
                .map(|a| &a.3)
                .collect();
            let got = pull_all(&client, &broker, topic, q)
                .await
                .with_context(|| format!("{how:?} at {cut}:\n{}", process.log_tail()))?;
            let got: Vec<&Bytes> = got.iter().map(|m| m.message.body()).collect();
            ensure!(
                got == want,
                "{how:?} cut at {cut} inside record {k}: queue {q} holds {} records, expected {}",
                got.len(),
                want.len()
            );
            // New sends continue right after the survivors, and can be read back.
            let b = Bytes::from(format!("after-{round}-{q}"));
            let h = send(
                &client,
                &broker,
                &send_request(topic, q, "after", b.clone()),
            )
            .await?
            .context("send after recovery not acknowledged")?;
            ensure!(
                h.queue_offset == want.len() as i64,
                "{how:?}: queue {q} continued at {}, expected {}",
                h.queue_offset,
                want.len()
            );
            let all = pull_all(&client, &broker, topic, q).await?;
            ensure!(all.last().map(|m| m.message.body()) == Some(&b));
        }
        client.close().await;
        process.kill()?;
        eprintln!("torn tail {round}: {how:?} inside record {k} at {cut}: recovered {k} records");
        fs::remove_dir_all(&copy)?;
    }
    Ok(())
}

async fn query_offset(
    client: &RemotingClient,
    broker: &str,
    group: &str,
    topic: &str,
    queue_id: i32,
) -> anyhow::Result<Option<i64>> {
    let q = QueryConsumerOffset(QueryConsumerOffsetRequestHeader {
        consumer_group: group.to_owned(),
        topic: topic.to_owned(),
        queue_id,
        set_zero_if_not_found: Some(false),
        ..Default::default()
    });
    let ConsumerOffset(offset) = client.call(broker, &q).await?;
    Ok(offset)
}

async fn commit_offsets(
    client: &RemotingClient,
    broker: &str,
    group: &str,
    topic: &str,
    base: i64,
) -> anyhow::Result<()> {
    for q in 0..QUEUES {
        let u = UpdateConsumerOffset(UpdateConsumerOffsetRequestHeader {
            consumer_group: group.to_owned(),
            topic: topic.to_owned(),
            queue_id: q,
            commit_offset: base + i64::from(q),
            ..Default::default()
        });
        client.call(broker, &u).await?;
    }
    Ok(())
}

async fn expect_offsets(
    broker: &str,
    group: &str,
    topic: &str,
    base: i64,
    when: &str,
) -> anyhow::Result<()> {
    let client = RemotingClient::builder().build();
    for q in 0..QUEUES {
        let got = query_offset(&client, broker, group, topic, q).await?;
        ensure!(
            got == Some(base + i64::from(q)),
            "{when}: {group} {topic}/{q} offset {got:?}, expected {}",
            base + i64::from(q)
        );
    }
    client.close().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn consumer_offsets_survive_kill_and_clean_restart() -> anyhow::Result<()> {
    let scratch = ScratchDir::new("lite-offsets")?;
    let store = scratch.path().join("store");
    let topic = "OffsetKeepTopic";
    let group = "OffsetKeepGroup";
    let persist = "persist_interval = \"100ms\"";

    let mut process = LiteProcess::start(&store, persist)?;
    let broker = process.broker.to_string();
    let client = RemotingClient::builder().build();
    for i in 0..(QUEUES * 10) {
        let req = send_request(topic, i % QUEUES, "k", Bytes::from(format!("m{i}")));
        send(&client, &broker, &req).await?.context("send")?;
    }
    // Consuming creates the group (UPDATE_CONSUMER_OFFSET needs it, as in Java 5.x).
    ensure!(pull_all_as(&client, &broker, group, topic, 0).await?.len() == 10);
    commit_offsets(&client, &broker, group, topic, 3).await?;
    expect_offsets(&broker, group, topic, 3, "before the kill").await?;
    // Offsets reach disk every persist_interval (Java's flushConsumerOffsetInterval): wait
    // until the file holds the group, then crash.
    let file = store.join("config").join("consumerOffset.json");
    let deadline = Instant::now() + Duration::from_secs(10);
    while !fs::read_to_string(&file).is_ok_and(|t| t.contains(&format!("{topic}@{group}"))) {
        ensure!(
            Instant::now() < deadline,
            "{} never written",
            file.display()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    client.close().await;
    process.kill()?;

    let mut process = LiteProcess::start(&store, persist)?;
    let broker = process.broker.to_string();
    expect_offsets(&broker, group, topic, 3, "after SIGKILL").await?;

    // A clean stop writes offsets committed just before it.
    let client = RemotingClient::builder().build();
    commit_offsets(&client, &broker, group, topic, 7).await?;
    client.close().await;
    let status = process.interrupt()?;
    ensure!(
        status.success(),
        "clean stop failed ({status}):\n{}",
        process.log_tail()
    );
    ensure!(
        !store.join("abort").exists(),
        "the abort file is still there after a clean stop"
    );
    let process = LiteProcess::start(&store, persist)?;
    expect_offsets(
        &process.broker.to_string(),
        group,
        topic,
        7,
        "after a clean stop",
    )
    .await?;
    Ok(())
}
