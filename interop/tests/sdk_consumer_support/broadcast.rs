//! Broadcasting: every member of the group gets every message.

use std::collections::BTreeSet;
use std::time::Duration;

use anyhow::{Context, ensure};
use interop::ConsumeSpec;
use rocketmq::consumer::MessageModel;

use super::{Got, Record, Target, members, push, unique};

/// Two SDK members (and a Java member when the target has the Java client) of one
/// broadcasting group each get every message; the SDK members keep their offsets in a
/// file each, under the directory they share.
pub(crate) async fn broadcasting(t: &Target) -> anyhow::Result<()> {
    let env = &t.env;
    let topic = env.topic("h7_bcast", 4).await?;
    let group = unique("h7_bcast_cg");
    let java = match t.java() {
        Some(java) => {
            let mut spec = ConsumeSpec::new(&topic, &group);
            spec.broadcast = true;
            let jc = java.consume(&spec)?;
            jc.wait_ready(env.limit).await?;
            Some(jc)
        }
        None => None,
    };
    let dir = std::env::temp_dir().join(unique("h7-offsets"));
    let record = Record::new();
    let members = members(&["b1", "b2"], &record, || {
        push(env, &group, &topic)
            .message_model(MessageModel::Broadcasting)
            .offset_store_dir(&dir)
    })
    .await?;
    // Broadcasting consumers do not allocate (so Java reports nothing); all start from
    // the first offset, so messages sent before they pull are still theirs.
    let deadline = std::time::Instant::now() + env.limit;
    while members.iter().any(|m| m.assigned_queues().len() < 4) {
        ensure!(std::time::Instant::now() < deadline, "queues not assigned");
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    let sent = t.send(&topic, 20).await?;
    let got = record.wait_count(40, env.limit).await?;
    for name in ["b1", "b2"] {
        let mine: Vec<Got> = got.iter().filter(|g| g.consumer == name).cloned().collect();
        sent.each_once(&mine).with_context(|| name.to_owned())?;
    }
    if let Some(jc) = java {
        jc.wait_deliveries(20, env.limit).await?;
        let run = jc.stop().await?;
        let java_ids: BTreeSet<String> = run
            .deliveries
            .iter()
            .map(|d| d.message.msg_id.clone())
            .collect();
        ensure!(
            sent.ids().iter().all(|id| java_ids.contains(id)),
            "Java missed messages"
        );
    }
    for m in members {
        m.close().await;
    }
    let files: Vec<_> = std::fs::read_dir(&dir)?.collect();
    ensure!(
        files.len() == 2,
        "one offsets directory per member: {files:?}"
    );
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
