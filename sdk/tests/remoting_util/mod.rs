//! Shared pieces of the remoting tests: test request codes, servers, hooks and a raw
//! framed TCP peer.
#![allow(dead_code, unreachable_pub)]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::{BufMut, BytesMut};
use futures_util::{SinkExt, StreamExt};
use rocketmq::codec::RemotingCodec;
use rocketmq::protocol::{FromResponse, RemotingCommand, RequestCode, ResponseCode, Rpc};
use rocketmq::remoting::{RemotingServer, RequestContext, RequestHandler, RpcHook};
use rocketmq::{Error, Result};
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_util::codec::Framed;

/// Answers with the request's body and ext fields.
pub const ECHO: RequestCode = RequestCode(20_001);
/// Never answers (see [`Hang`]).
pub const SLOW: RequestCode = RequestCode(20_002);
/// Answers nothing (used oneway).
pub const NOTE: RequestCode = RequestCode(20_003);
/// Makes the server ask the client something first.
pub const ASK: RequestCode = RequestCode(20_004);

/// A timeout no passing test comes near.
pub const LONG: Duration = Duration::from_secs(20);
/// A timeout meant to elapse.
pub const SHORT: Duration = Duration::from_millis(200);

pub async fn listener() -> TcpListener {
    TcpListener::bind("127.0.0.1:0").await.unwrap()
}

pub async fn echo(
    _ctx: RequestContext,
    request: RemotingCommand,
) -> Result<Option<RemotingCommand>> {
    let mut response = RemotingCommand::response(ResponseCode::SUCCESS).with_body(request.body);
    response.ext_fields = request.ext_fields;
    Ok(Some(response))
}

pub async fn ignore(
    _ctx: RequestContext,
    _request: RemotingCommand,
) -> Result<Option<RemotingCommand>> {
    Ok(None)
}

pub async fn echo_server() -> RemotingServer {
    RemotingServer::builder()
        .handler(ECHO, echo)
        .handler(NOTE, ignore)
        .serve(listener().await)
        .unwrap()
}

pub async fn ping(client: &rocketmq::remoting::RemotingClient, addr: &str) {
    let response = client
        .invoke(addr, RemotingCommand::request(ECHO), LONG)
        .await
        .unwrap();
    assert_eq!(response.response_code(), ResponseCode::SUCCESS);
}

/// A typed request to [`ECHO`].
pub struct Ping;

/// The typed answer to [`Ping`].
#[derive(Debug)]
pub struct Pong;

impl Rpc for Ping {
    const CODE: RequestCode = ECHO;
    type Response = Pong;
    fn to_command(&self) -> RemotingCommand {
        RemotingCommand::request(Self::CODE)
    }
}

impl FromResponse for Pong {
    fn from_response(reply: RemotingCommand) -> Result<Self> {
        if reply.response_code() == ResponseCode::SUCCESS {
            Ok(Pong)
        } else {
            Err(Error::Broker {
                code: reply.response_code(),
                remark: reply.remark,
            })
        }
    }
}

/// A handler that reports each request it starts and then never finishes.
#[derive(Clone)]
pub struct Hang {
    tx: mpsc::Sender<()>,
    pub started: Started,
}

/// Receives one `()` per request a [`Hang`] handler started.
#[derive(Clone)]
pub struct Started(Arc<tokio::sync::Mutex<mpsc::Receiver<()>>>);

impl Started {
    pub async fn recv_one(&self) {
        self.0.lock().await.recv().await.unwrap();
    }
}

impl Default for Hang {
    fn default() -> Self {
        let (tx, rx) = mpsc::channel(1024);
        Self {
            tx,
            started: Started(Arc::new(tokio::sync::Mutex::new(rx))),
        }
    }
}

impl Hang {
    pub fn handler(&self) -> impl RequestHandler {
        let tx = self.tx.clone();
        move |_ctx: RequestContext, _request: RemotingCommand| {
            let tx = tx.clone();
            async move {
                tx.send(()).await.unwrap();
                std::future::pending::<()>().await;
                Ok(None)
            }
        }
    }
}

/// A server whose [`SLOW`] requests hang and whose [`ECHO`] requests are echoed.
pub async fn hang_server(hang: &Hang) -> RemotingServer {
    RemotingServer::builder()
        .handler(SLOW, hang.handler())
        .handler(ECHO, echo)
        .grace_period(Duration::ZERO)
        .serve(listener().await)
        .unwrap()
}

/// What a [`RecordingHook`] saw.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Call {
    Before {
        addr: String,
        code: i32,
    },
    After {
        addr: String,
        code: i32,
        response_code: i32,
        /// Whether the request passed to `after_response` carried the hook's field.
        signed: bool,
    },
}

/// Adds the ext field `key = "1"` to every request and records every call.
#[derive(Clone)]
pub struct RecordingHook {
    key: &'static str,
    calls: Arc<Mutex<Vec<Call>>>,
}

impl RecordingHook {
    pub fn new(key: &'static str) -> Self {
        Self {
            key,
            calls: Arc::default(),
        }
    }

    pub fn calls(&self) -> Vec<Call> {
        self.calls.lock().unwrap().clone()
    }
}

impl RpcHook for RecordingHook {
    fn before_request(&self, addr: &str, request: &mut RemotingCommand) -> Result<()> {
        request.ext_fields_mut().insert(self.key, "1");
        self.calls.lock().unwrap().push(Call::Before {
            addr: addr.to_owned(),
            code: request.code,
        });
        Ok(())
    }

    fn after_response(&self, addr: &str, request: &RemotingCommand, response: &RemotingCommand) {
        self.calls.lock().unwrap().push(Call::After {
            addr: addr.to_owned(),
            code: request.code,
            response_code: response.code,
            signed: request.ext_field(self.key) == Some("1"),
        });
    }
}

/// Refuses every request with code 16 (`NO_PERMISSION`).
pub struct RefuseAll;

impl RpcHook for RefuseAll {
    fn before_request(&self, _addr: &str, _request: &mut RemotingCommand) -> Result<()> {
        Err(Error::Broker {
            code: ResponseCode(16),
            remark: Some("no access".into()),
        })
    }
}

/// A framed TCP peer that speaks the codec directly (or writes raw bytes).
pub struct RawPeer {
    framed: Framed<TcpStream, RemotingCodec>,
}

impl RawPeer {
    pub async fn connect(addr: SocketAddr) -> Self {
        Self::from_stream(TcpStream::connect(addr).await.unwrap())
    }

    pub fn from_stream(stream: TcpStream) -> Self {
        Self {
            framed: Framed::new(stream, RemotingCodec::new()),
        }
    }

    pub async fn send(&mut self, command: RemotingCommand) {
        self.framed.send(command).await.unwrap();
    }

    pub async fn send_bytes(&mut self, bytes: &[u8]) {
        self.framed.get_mut().write_all(bytes).await.unwrap();
    }

    pub async fn recv(&mut self) -> Option<Result<RemotingCommand>> {
        self.framed.next().await
    }
}

/// A length prefix far over any frame limit.
pub fn oversized_frame() -> Vec<u8> {
    let mut frame = BytesMut::new();
    frame.put_u32(0x7fff_fff0);
    frame.put_slice(&[0; 16]);
    frame.to_vec()
}

/// A 6-byte frame claiming a 100-byte JSON header.
pub fn malformed_frame() -> Vec<u8> {
    let mut frame = BytesMut::new();
    frame.put_u32(6);
    frame.put_u32(100);
    frame.put_u16(0);
    frame.to_vec()
}
