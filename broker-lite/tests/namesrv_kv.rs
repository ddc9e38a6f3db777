//! The name server's KV config survives a restart when `kv_config_path` is set, in Java's
//! `kvConfig.json` form; without it, it lives in memory only.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point

use std::time::Duration;

use broker_lite::config::NamesrvConfig;
use broker_lite::namesrv::NameServer;
use rocketmq::protocol::header::{
    DeleteKVConfigRequestHeader, GetKVConfigRequestHeader, GetKVConfigResponseHeader,
    PutKVConfigRequestHeader,
};
use rocketmq::protocol::{RemotingCommand, RequestCode, ResponseCode};
use rocketmq::remoting::RemotingClient;

mod temp_dir;
use temp_dir::TempDir;

const TIMEOUT: Duration = Duration::from_secs(10);

async fn start(config: NamesrvConfig) -> (NameServer, String) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let server = NameServer::start(listener, config).unwrap();
    let addr = server.local_addr().to_string();
    (server, addr)
}

fn put(ns: &str, k: &str, v: &str) -> RemotingCommand {
    RemotingCommand::request(RequestCode::PUT_KV_CONFIG).with_header(&PutKVConfigRequestHeader {
        namespace: ns.into(),
        key: k.into(),
        value: v.into(),
    })
}

fn delete(ns: &str, k: &str) -> RemotingCommand {
    RemotingCommand::request(RequestCode::DELETE_KV_CONFIG).with_header(
        &DeleteKVConfigRequestHeader {
            namespace: ns.into(),
            key: k.into(),
        },
    )
}

async fn get(client: &RemotingClient, addr: &str, ns: &str, k: &str) -> Option<String> {
    let r = client
        .invoke(
            addr,
            RemotingCommand::request(RequestCode::GET_KV_CONFIG).with_header(
                &GetKVConfigRequestHeader {
                    namespace: ns.into(),
                    key: k.into(),
                },
            ),
            TIMEOUT,
        )
        .await
        .unwrap();
    if r.code == ResponseCode::QUERY_NOT_FOUND.0 {
        return None;
    }
    assert_eq!(r.code, ResponseCode::SUCCESS.0, "{:?}", r.remark);
    r.read_header::<GetKVConfigResponseHeader>().unwrap().value
}

#[tokio::test]
async fn kv_config_survives_restart_only_with_a_path() {
    let dir = TempDir::new("namesrv-kv");
    let path = dir.0.join("namesrv").join("kvConfig.json");
    let config = NamesrvConfig {
        kv_config_path: Some(path.clone()),
        ..NamesrvConfig::default()
    };
    let client = RemotingClient::builder().build();

    let (server, addr) = start(config.clone()).await;
    for cmd in [
        put("ORDER_TOPIC_CONFIG", "TopicA", "broker-a:4"),
        put("ns", "k", "v"),
        put("ns", "gone", "x"),
        delete("ns", "gone"),
    ] {
        let r = client.invoke(&addr, cmd, TIMEOUT).await.unwrap();
        assert_eq!(r.code, ResponseCode::SUCCESS.0);
    }
    server.shutdown().await;
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.starts_with(r#"{"configTable":{"#), "{text}");

    let (server, addr) = start(config).await;
    assert_eq!(
        get(&client, &addr, "ORDER_TOPIC_CONFIG", "TopicA")
            .await
            .as_deref(),
        Some("broker-a:4")
    );
    assert_eq!(get(&client, &addr, "ns", "k").await.as_deref(), Some("v"));
    assert_eq!(get(&client, &addr, "ns", "gone").await, None);
    server.shutdown().await;

    // Without a path nothing is written and nothing is read.
    let (server, addr) = start(NamesrvConfig::default()).await;
    assert_eq!(get(&client, &addr, "ns", "k").await, None);
    server.shutdown().await;

    // A file that is not a KV table stops the start with a clear error.
    std::fs::write(&path, "not json").unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let err = NameServer::start(
        listener,
        NamesrvConfig {
            kv_config_path: Some(path.clone()),
            ..NamesrvConfig::default()
        },
    )
    .unwrap_err();
    assert!(err.to_string().contains("kvConfig.json"), "{err}");
}
