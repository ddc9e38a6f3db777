//! Offsets and what the broker learns from a running consumer: close and reopen resuming
//! from the committed offsets, an offset reset moving the running consumer back, its
//! running info and status asked for through the broker (and printed by Java's mqadmin).

use std::time::Duration;

use anyhow::{Context, ensure};
use interop::JavaVersion;
use rocketmq::protocol::header::{GetConsumerStatusRequestHeader, ResetOffsetRequestHeader};
use rocketmq::protocol::request::InvokeBrokerToResetOffset;
use rocketmq::protocol::{MessageQueue, RemotingCommand, RequestCode, ResponseCode};

use super::{
    Env, Recorder, Target, bodies, exactly_once, now_millis, push, recording, send_bodies, unique,
};

/// Close persists offsets; a new consumer of the group starts where the old one stopped.
pub(crate) async fn restart_resumes(env: &Env) -> anyhow::Result<()> {
    let topic = env.topic("h7_restart", 4).await?;
    let group = unique("h7_restart_cg");
    env.produce(&topic, 20, "T").await?;
    let builder = push(env, &group, &topic).persist_interval(Duration::from_secs(3600));
    let (consumer, record) = recording(builder, "before").await?;
    record.wait_count(20, env.limit).await?;
    consumer.close().await;
    let producer = env.producer().await?;
    send_bodies(&producer, &topic, 20..40).await?;
    producer.close().await;
    let consumer = push(env, &group, &topic)
        .listener(Recorder::new("after", &record))
        .build()
        .await?;
    let got = record.wait_count(40, env.limit).await?;
    tokio::time::sleep(Duration::from_secs(1)).await;
    exactly_once(&record.all(), &bodies(0..40))?;
    ensure!(
        got.iter()
            .filter(|g| g.consumer == "after")
            .all(|g| g.body_text()["body-".len()..].parse::<usize>().unwrap_or(0) >= 20),
        "the reopened consumer got old messages"
    );
    consumer.close().await;
    Ok(())
}

/// An offset reset to before the first message moves the running consumer back: every
/// message comes again once. With the Java client it is `mqadmin resetOffsetByTime`,
/// else the broker's own reset request (what mqadmin sends), whose answer lists the new
/// offsets. Then GET_CONSUMER_RUNNING_INFO through the broker shows the consumer's state.
pub(crate) async fn reset_and_running_info(t: &Target) -> anyhow::Result<()> {
    let env = &t.env;
    let topic = env.topic("h7_reset", 2).await?;
    let group = unique("h7_reset_cg");
    let before = now_millis() - 1000;
    env.produce(&topic, 10, "T").await?;
    let (consumer, record) = recording(push(env, &group, &topic), "c").await?;
    record.wait_count(10, env.limit).await?;
    // Offsets of both queues on the broker (4.9.8 refuses a reset without them).
    tokio::time::sleep(Duration::from_secs(2)).await;
    let how = match t.java() {
        Some(java) => {
            let args = ["resetOffsetByTime", "-g", &group, "-t", &topic, "-s"];
            let out = java
                .admin(&[&args[..], &[&before.to_string()]].concat())
                .await?;
            format!("after mqadmin resetOffsetByTime:\n{out}")
        }
        None => {
            let reset = InvokeBrokerToResetOffset(ResetOffsetRequestHeader {
                topic: topic.clone(),
                group: group.clone(),
                timestamp: 0,
                is_force: true,
                ..Default::default()
            });
            let table = env.remoting.call(&env.broker, &reset).await?;
            ensure!(table.offset_table.values().all(|o| *o == 0), "{table:?}");
            "after the broker's reset".to_owned()
        }
    };
    let got = record
        .wait_count(20, env.limit)
        .await
        .with_context(|| format!("redelivery {how}"))?;
    exactly_once(&got[10..], &bodies(0..10))?;

    let info = env
        .running_info(&group, consumer.client().client_id(), false)
        .await?;
    ensure!(
        info.properties.get("PROP_CONSUME_TYPE").map(String::as_str) == Some("CONSUME_PASSIVELY"),
        "{info:?}"
    );
    ensure!(
        info.properties
            .get("PROP_CONSUMEORDERLY")
            .map(String::as_str)
            == Some("false")
    );
    let mine: Vec<&MessageQueue> = info.mq_table.keys().filter(|q| q.topic == topic).collect();
    ensure!(
        mine.len() == 2,
        "queues in running info: {:?}",
        info.mq_table.keys()
    );
    ensure!(info.subscription_set.iter().any(|s| s.topic == topic));
    ensure!(info.status_table.contains_key(&topic));
    consumer.close().await;
    Ok(())
}

/// The broker asks the consumer for its offsets (INVOKE_BROKER_TO_GET_CONSUMER_STATUS);
/// `mqadmin queryMsgById -g -d` has it consume one message directly; `mqadmin
/// consumerStatus` prints its running info (properties, subscriptions, queues with
/// offsets) and judges the group's subscriptions the same.
pub(crate) async fn consumer_status(t: &Target) -> anyhow::Result<()> {
    let (env, java) = (&t.env, t.java_client()?);
    let topic = env.topic("h7_jstatus", 2).await?;
    let group = unique("h7_jstatus_cg");
    let sent = env.produce(&topic, 4, "T").await?;
    let (consumer, record) = recording(push(env, &group, &topic), "c").await?;
    record.wait_count(4, env.limit).await?;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let client_id = consumer.client().client_id().to_owned();
    let status = env
        .remoting
        .invoke(
            &env.broker,
            RemotingCommand::request(RequestCode::INVOKE_BROKER_TO_GET_CONSUMER_STATUS)
                .with_header(&GetConsumerStatusRequestHeader {
                    topic: topic.clone(),
                    group: group.clone(),
                    client_addr: None,
                    rpc: Default::default(),
                }),
            Duration::from_secs(10),
        )
        .await?;
    let body = String::from_utf8_lossy(&status.body);
    ensure!(
        status.response_code() == ResponseCode::SUCCESS
            && body.contains(&client_id)
            && body.contains(&topic),
        "consumer status through the broker: {:?} {body}",
        status.remark
    );
    let mut args = vec![
        "queryMsgById",
        "-i",
        &sent[0].offset_msg_id,
        "-g",
        &group,
        "-d",
        &client_id,
    ];
    if java.version() == JavaVersion::V5 {
        args.extend(["-t", &topic]);
    }
    let direct = java.admin(&args).await?;
    ensure!(direct.contains("CR_SUCCESS"), "consume directly:\n{direct}");
    record
        .wait_count(5, env.limit)
        .await
        .context("the direct consumption")?;
    let out = java
        .admin(&["consumerStatus", "-g", &group, "-i", &client_id])
        .await?;
    for needle in [
        "#Consumer Properties#",
        "PROP_CONSUME_TYPE",
        "CONSUME_PASSIVELY",
        "PROP_CONSUMER_START_TIMESTAMP",
        "#Consumer Subscription#",
        topic.as_str(),
        "#Consumer Offset#",
        "#Consumer MQ Detail#",
        "#Consumer RT&TPS#",
    ] {
        ensure!(
            out.contains(needle),
            "consumerStatus lacks {needle:?}:\n{out}"
        );
    }
    let offsets = out
        .lines()
        .filter(|l| l.starts_with(topic.as_str()) && l.split_whitespace().count() == 4)
        .count();
    ensure!(offsets >= 2, "no offset lines for both queues:\n{out}");
    let all = java.admin(&["consumerStatus", "-g", &group]).await?;
    ensure!(
        all.contains("Same subscription in the same group of consumer")
            && all.contains("Rebalance OK"),
        "consumerStatus of the group:\n{all}"
    );
    consumer.close().await;
    Ok(())
}
