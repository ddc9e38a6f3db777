//! Consumer builders refuse what Java's `checkConfig` refuses, before any network use.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

use std::time::Duration;

use rocketmq::Error;
use rocketmq::client::Client;
use rocketmq::consumer::{
    ConsumeStatus, LitePullConsumer, PullConsumer, PushConsumer, PushConsumerBuilder,
};

fn push() -> PushConsumerBuilder {
    PushConsumer::builder()
        .namesrv_addr("127.0.0.1:1")
        .group("g")
        .subscribe("t", "*")
        .listener_fn(|_msgs| async { ConsumeStatus::Success })
}

fn is_config<T: std::fmt::Debug>(r: rocketmq::Result<T>, what: &str) {
    assert!(matches!(r, Err(Error::Config(_))), "{what}: {r:?}");
}

#[tokio::test]
async fn push_consumer_checks_its_settings() {
    is_config(
        PushConsumer::builder()
            .namesrv_addr("127.0.0.1:1")
            .subscribe("t", "*")
            .listener_fn(|_m| async { ConsumeStatus::Success })
            .build()
            .await,
        "default group",
    );
    is_config(
        PushConsumer::builder()
            .namesrv_addr("127.0.0.1:1")
            .group("g")
            .build()
            .await,
        "no listener",
    );
    is_config(push().consume_threads(0).build().await, "threads");
    is_config(push().pull_batch_size(2000).build().await, "pull batch");
    is_config(push().consume_batch_size(0).build().await, "consume batch");
    is_config(
        push().pull_threshold_for_queue(70_000).build().await,
        "queue limit",
    );
    is_config(
        push().pull_threshold_size_for_queue(2048).build().await,
        "size limit",
    );
    is_config(push().max_span(0).build().await, "span");
    is_config(
        push().pull_interval(Duration::from_secs(70)).build().await,
        "pull interval",
    );
    assert!(matches!(
        push().subscribe("bad topic!", "*").build().await,
        Err(Error::InvalidField { .. })
    ));
    let client = Client::builder()
        .namesrv_addr("127.0.0.1:1")
        .build()
        .unwrap();
    is_config(
        push().client(client.clone()).build().await,
        "client and client settings",
    );
    client.close().await;
}

#[tokio::test]
async fn pull_consumers_check_their_settings() {
    is_config(
        PullConsumer::builder()
            .namesrv_addr("127.0.0.1:1")
            .broker_suspend(Duration::from_secs(40))
            .build()
            .await,
        "suspend timeout under the broker suspend",
    );
    is_config(
        LitePullConsumer::builder()
            .namesrv_addr("127.0.0.1:1")
            .build()
            .await,
        "lite default group",
    );
    is_config(
        LitePullConsumer::builder()
            .namesrv_addr("127.0.0.1:1")
            .group("g")
            .pull_batch_size(0)
            .build()
            .await,
        "lite pull batch",
    );
    // A group can be registered once per client.
    let client = Client::builder()
        .namesrv_addr("127.0.0.1:1")
        .build()
        .unwrap();
    let first = PullConsumer::builder()
        .client(client.clone())
        .group("same")
        .build()
        .await
        .unwrap();
    is_config(
        PullConsumer::builder()
            .client(client.clone())
            .group("same")
            .build()
            .await,
        "group twice on one client",
    );
    first.close().await;
    // Assign and subscribe exclude each other; closed consumers refuse calls.
    let lite = LitePullConsumer::builder()
        .client(client.clone())
        .group("lite")
        .build()
        .await
        .unwrap();
    lite.close().await;
    assert!(matches!(lite.poll().await, Err(Error::Shutdown)));
    client.close().await;
}
