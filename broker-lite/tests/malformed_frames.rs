//! Malformed frames against the running `broker-lite` binary (name server + broker): each
//! bad frame arrives on its own connection, which the server must close, logging why
//! (with the peer address); the process stays up, and a client that was connected all
//! along, as well as a new one, can still send, pull and read routes.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point

mod lite_process;

use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use anyhow::{Context, bail, ensure};
use bytes::Bytes;
use lite_process::{LiteProcess, Rng, ScratchDir, pull_all, send, send_request};
use rocketmq::protocol::request::GetRouteInfo;
use rocketmq::remoting::RemotingClient;

/// One kind of bad input and the bytes that carry it.
struct Case {
    name: &'static str,
    bytes: Vec<u8>,
    /// Half-close after writing (the frame is cut short by the peer).
    half_close: bool,
}

fn frame(header_len_field: u32, header: &[u8], body: &[u8]) -> Vec<u8> {
    let total = 4 + header.len() + body.len();
    let mut f = Vec::with_capacity(4 + total);
    f.extend_from_slice(&(total as u32).to_be_bytes());
    f.extend_from_slice(&header_len_field.to_be_bytes());
    f.extend_from_slice(header);
    f.extend_from_slice(body);
    f
}

fn cases(rng: &mut Rng) -> Vec<Case> {
    let garbage = rng.bytes(200);
    let valid_json = br#"{"code":105,"flag":0,"language":"JAVA","opaque":1,"serializeTypeCurrentRPC":"JSON","version":409}"#;
    let mut truncated = frame(valid_json.len() as u32, valid_json, b"");
    truncated.truncate(truncated.len() - 20);
    vec![
        Case {
            name: "random bytes in a whole frame",
            bytes: {
                let mut f = 196u32.to_be_bytes().to_vec();
                f.extend_from_slice(&garbage[..196]);
                f
            },
            half_close: false,
        },
        Case {
            name: "header that is not JSON",
            bytes: frame(50, &garbage[..50], b""),
            half_close: false,
        },
        Case {
            name: "oversize length prefix (2 GiB - 16)",
            bytes: {
                let mut f = 0x7fff_fff0u32.to_be_bytes().to_vec();
                f.extend_from_slice(&garbage[..64]);
                f
            },
            half_close: false,
        },
        Case {
            name: "negative length prefix",
            bytes: {
                let mut f = 0xffff_ff00u32.to_be_bytes().to_vec();
                f.extend_from_slice(&garbage[..16]);
                f
            },
            half_close: false,
        },
        Case {
            name: "header length beyond the frame",
            bytes: frame(100_000, &valid_json[..20], b""),
            half_close: false,
        },
        Case {
            name: "unknown serialize type",
            bytes: frame((7 << 24) | valid_json.len() as u32, valid_json, b""),
            half_close: false,
        },
        Case {
            name: "truncated frame, then the peer half-closes",
            bytes: truncated,
            half_close: true,
        },
    ]
}

/// Writes the case on a fresh connection and waits (bounded) for the server to close it.
/// Returns the local address, which the server's log line must name.
fn send_case(addr: SocketAddr, case: &Case) -> anyhow::Result<SocketAddr> {
    let mut s = TcpStream::connect(addr)?;
    let local = s.local_addr()?;
    s.set_read_timeout(Some(Duration::from_secs(10)))?;
    // The server may close before reading everything: a failed write is fine.
    let _ = s.write_all(&case.bytes);
    if case.half_close {
        s.shutdown(Shutdown::Write)?;
    }
    let mut buf = [0u8; 4096];
    loop {
        match s.read(&mut buf) {
            Ok(0) => return Ok(local),
            // A reply to something that parsed (never expected here) is read past; the
            // connection must still be closed afterwards.
            Ok(_) => continue,
            Err(e) if matches!(e.kind(), ErrorKind::ConnectionReset | ErrorKind::BrokenPipe) => {
                return Ok(local);
            }
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                bail!("{}: the connection was still open after 10 s", case.name)
            }
            Err(e) => return Err(e.into()),
        }
    }
}

/// Waits (bounded) until the log names `peer`: the reason is logged after the close.
fn wait_logged(process: &LiteProcess, peer: SocketAddr, case: &str) -> anyhow::Result<String> {
    let deadline = Instant::now() + Duration::from_secs(5);
    let needle = peer.to_string();
    loop {
        let log = process.log_text();
        if let Some(line) = log.lines().find(|l| l.contains(&needle)) {
            return Ok(line.to_owned());
        }
        if Instant::now() > deadline {
            bail!(
                "{case}: no log line names the peer {needle}:\n{}",
                process.log_tail()
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

async fn send_and_pull(
    client: &RemotingClient,
    broker: &str,
    topic: &str,
    text: &str,
) -> anyhow::Result<()> {
    let body = Bytes::from(text.to_owned());
    let ack = send(client, broker, &send_request(topic, 0, "k", body.clone()))
        .await?
        .context("send not acknowledged")?;
    let all = pull_all(client, broker, topic, 0).await?;
    ensure!(
        all.get(ack.queue_offset as usize).map(|m| m.message.body()) == Some(&body),
        "message {text} not pulled back"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_frames_close_only_their_connection() -> anyhow::Result<()> {
    let mut rng = Rng::from_env_or_time("malformed_frames");
    let scratch = ScratchDir::new("lite-malformed")?;
    let mut process = LiteProcess::start(&scratch.path().join("store"), "")?;
    let broker = process.broker.to_string();
    let namesrv = process.namesrv.to_string();
    let topic = "MalformedFramesTopic";

    // A client connected before, during and after the bad input.
    let steady = RemotingClient::builder().build();
    send_and_pull(&steady, &broker, topic, "before").await?;

    for (target, addr) in [("broker", process.broker), ("name server", process.namesrv)] {
        for case in cases(&mut rng) {
            let what = format!("{target}: {}", case.name);
            let peer =
                tokio::task::spawn_blocking(move || send_case(addr, &case).map(|p| (p, case.name)))
                    .await??;
            let line = wait_logged(&process, peer.0, &what)?;
            eprintln!("{what}: closed; logged: {line}");
            ensure!(
                process.is_running(),
                "{what}: broker-lite exited:\n{}",
                process.log_tail()
            );
        }
    }

    // The steady client is unaffected, and a new one works too; routes still resolve.
    send_and_pull(&steady, &broker, topic, "after, old client").await?;
    let fresh = RemotingClient::builder().build();
    send_and_pull(&fresh, &broker, topic, "after, new client").await?;
    // The auto-created topic reaches the name server's routes (bounded wait).
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match fresh.call(&namesrv, &GetRouteInfo::new(topic)).await {
            Ok(_) => break,
            Err(e) if Instant::now() > deadline => bail!("route lookup after bad frames: {e}"),
            Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    }
    steady.close().await;
    fresh.close().await;
    ensure!(
        process.is_running(),
        "broker-lite exited:\n{}",
        process.log_tail()
    );
    let status = process.interrupt()?;
    ensure!(status.success(), "clean stop failed: {status}");
    Ok(())
}
