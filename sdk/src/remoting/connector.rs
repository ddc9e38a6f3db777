//! How a client opens the byte stream to a peer: plain TCP by default, anything else
//! (TLS, a proxy, an in-memory pipe) through [`Connect`].

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;

use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;

/// A byte stream a connection can run over.
pub(crate) trait Io: AsyncRead + AsyncWrite + Unpin + Send + 'static {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send + 'static> Io for T {}

/// Opens byte streams to peers by address.
///
/// The client calls it whenever it needs a new connection, under its connect timeout.
/// The default is [`TcpConnector`]; a TLS connector wraps the TCP stream in its session:
///
/// ```
/// use rocketmq::remoting::Connect;
/// use tokio::net::TcpStream;
///
/// /// Connects over TCP and logs each new connection.
/// struct Logged;
///
/// impl Connect for Logged {
///     type Stream = TcpStream;
///
///     async fn connect(&self, addr: &str) -> std::io::Result<TcpStream> {
///         let stream = TcpStream::connect(addr).await?;
///         stream.set_nodelay(true)?;
///         eprintln!("connected to {addr}");
///         Ok(stream)
///     }
/// }
/// ```
pub trait Connect: Send + Sync + 'static {
    /// The stream this connector produces.
    type Stream: AsyncRead + AsyncWrite + Unpin + Send + 'static;

    /// Opens a stream to `addr` (`host:port`).
    fn connect(&self, addr: &str) -> impl Future<Output = io::Result<Self::Stream>> + Send;
}

/// Plain TCP with `TCP_NODELAY` set, as Java's client does.
#[derive(Clone, Copy, Debug, Default)]
pub struct TcpConnector;

impl Connect for TcpConnector {
    type Stream = TcpStream;

    async fn connect(&self, addr: &str) -> io::Result<TcpStream> {
        let stream = TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        Ok(stream)
    }
}

type BoxedConnect<'a> = Pin<Box<dyn Future<Output = io::Result<Box<dyn Io>>> + Send + 'a>>;

/// The object-safe form of [`Connect`], so the client need not be generic over it.
pub(crate) trait DynConnect: Send + Sync + 'static {
    fn connect_boxed<'a>(&'a self, addr: &'a str) -> BoxedConnect<'a>;
}

impl<C: Connect> DynConnect for C {
    fn connect_boxed<'a>(&'a self, addr: &'a str) -> BoxedConnect<'a> {
        Box::pin(async move {
            let stream = self.connect(addr).await?;
            Ok(Box::new(stream) as Box<dyn Io>)
        })
    }
}

/// The connector a client is built with.
pub(crate) type SharedConnector = Arc<dyn DynConnect>;
