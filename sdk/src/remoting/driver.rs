//! The task behind a [`Connection`]: it owns the socket, writes whole frames from the
//! queue, reads frames, completes waiting requests and runs handlers for requests the
//! peer sends (Java's `NettyRemotingAbstract.processMessageReceived`).

use std::future::Future;
use std::task::{Context, Poll};
use std::time::Duration;

use futures_util::{Sink, SinkExt, Stream, StreamExt};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::mpsc;
use tokio::task::JoinSet;
use tokio_util::codec::{FramedRead, FramedWrite};
use tokio_util::sync::CancellationToken;
use tracing::{debug, warn};

use super::connection::{Connection, Outgoing};
use super::handler::{self, RequestContext};
use super::wire;
use crate::codec::RemotingCodec;
use crate::protocol::{RemotingCommand, ResponseCode};
use crate::{Error, Result};

/// Most frames written before the writer flushes the socket.
const MAX_BATCH: usize = 64;
/// Most frames read and dispatched before the writer gets a turn.
const MAX_FRAMES_PER_TURN: usize = 32;

/// Runs the connection over a byte stream until the peer closes it, it fails, or it is
/// asked to close. In-flight handlers then get up to `grace` to finish and have their
/// responses written.
pub(crate) async fn run<S>(
    connection: Connection,
    rx: mpsc::Receiver<Outgoing>,
    stream: S,
    grace: Duration,
) where
    S: AsyncRead + AsyncWrite + Send + 'static,
{
    let codec = RemotingCodec::with_max_frame_len(connection.endpoint().config.max_frame);
    let (read, write) = tokio::io::split(stream);
    let reader = FramedRead::new(read, codec.clone());
    let writer = FramedWrite::new(write, codec);
    run_framed(connection, rx, reader, writer, grace).await;
}

/// [`run`] over already framed halves.
pub(crate) async fn run_framed<R, W>(
    connection: Connection,
    rx: mpsc::Receiver<Outgoing>,
    mut reader: R,
    writer: W,
    grace: Duration,
) where
    R: Stream<Item = Result<RemotingCommand>> + Unpin,
    W: Sink<RemotingCommand, Error = Error> + Unpin,
{
    let _closed = ClosedGuard(connection.clone());
    let finish = CancellationToken::new();
    let mut writer = std::pin::pin!(write_frames(&connection, writer, rx, finish.clone()));
    let mut writer_done = false;
    let mut handlers = JoinSet::new();
    let close = connection.close_requested().clone();
    let mut close_requested = std::pin::pin!(close.cancelled());

    // One turn: read and dispatch what has arrived (handlers that finish at once queue
    // their responses), then let the writer send everything queued with one flush, then
    // reap finished handler tasks. Reading first is what batches the responses.
    let cause = std::future::poll_fn(|cx| {
        if close_requested.as_mut().poll(cx).is_ready() {
            return Poll::Ready("connection closed locally".to_owned());
        }
        let mut frames = 0;
        loop {
            match reader.poll_next_unpin(cx) {
                Poll::Ready(Some(Ok(command))) => {
                    on_frame(&connection, command, &mut handlers, cx);
                    frames += 1;
                    if frames == MAX_FRAMES_PER_TURN {
                        // Let the writer and other tasks run; come back at once.
                        cx.waker().wake_by_ref();
                        break;
                    }
                }
                Poll::Ready(Some(Err(err))) => {
                    // A peer that sends what is not a frame is worth an operator's
                    // attention (Java logs its decode failures at ERROR); a reset or
                    // an ordinary close is not.
                    if matches!(
                        err,
                        Error::Decode { .. }
                            | Error::TooLarge { .. }
                            | Error::MissingField { .. }
                            | Error::InvalidField { .. }
                    ) {
                        warn!(
                            peer = connection.peer_addr(),
                            "malformed frame, closing the connection: {err}"
                        );
                    }
                    return Poll::Ready(err.to_string());
                }
                Poll::Ready(None) => return Poll::Ready("closed by peer".to_owned()),
                Poll::Pending => break,
            }
        }
        if let Poll::Ready(written) = writer.as_mut().poll(cx) {
            writer_done = true;
            return Poll::Ready(match written {
                Ok(()) => "connection closed locally".to_owned(),
                Err(err) => format!("write failed: {err}"),
            });
        }
        while let Poll::Ready(Some(joined)) = handlers.poll_join_next(cx) {
            log_join(joined);
        }
        Poll::Pending
    })
    .await;
    drop(reader);
    debug!(peer = connection.peer_addr(), %cause, "connection closing");
    // Nothing more will be read: every request still waiting fails now, with the cause.
    connection.pending().close(cause);

    // Let running handlers finish and their responses, and anything already queued, be
    // written; all of it bounded by the grace period.
    let drain = async {
        loop {
            tokio::select! {
                joined = handlers.join_next() => match joined {
                    Some(joined) => log_join(joined),
                    None => break,
                },
                _ = &mut writer, if !writer_done => writer_done = true,
            }
        }
        finish.cancel();
        if !writer_done {
            let _ = (&mut writer).await;
        }
    };
    if tokio::time::timeout(grace, drain).await.is_err() {
        debug!(
            peer = connection.peer_addr(),
            "grace period over, aborting handlers"
        );
    }
    handlers.shutdown().await;
}

/// Marks the connection closed when the task ends, also when it is aborted.
struct ClosedGuard(Connection);

impl Drop for ClosedGuard {
    fn drop(&mut self) {
        self.0.pending().close("connection task stopped".to_owned());
        self.0.mark_closed();
    }
}

fn log_join(joined: std::result::Result<(), tokio::task::JoinError>) {
    if let Err(err) = joined
        && err.is_panic()
    {
        warn!("request handler panicked: {err}");
    }
}

/// Routes one frame: a response to its waiting request, a request to its handler.
///
/// The handler is first polled here, on the connection's task: most finish at once (their
/// work needs no waiting) and their response is queued without a task of their own. One
/// that has to wait continues in a task of its own, so it never delays the connection.
fn on_frame(
    connection: &Connection,
    command: RemotingCommand,
    handlers: &mut JoinSet<()>,
    cx: &mut Context<'_>,
) {
    if command.is_response() {
        if let Err(late) = connection.pending().complete(command) {
            debug!(
                peer = connection.peer_addr(),
                opaque = late.opaque,
                "response for a request no longer waiting"
            );
        }
        return;
    }
    let oneway = command.is_oneway();
    let endpoint = connection.endpoint();
    let Some(route) = endpoint.config.router.route(command.code) else {
        warn!(
            peer = connection.peer_addr(),
            code = command.code,
            "request code not supported"
        );
        if !oneway {
            reply_now(connection, handler::not_supported(&command));
        }
        return;
    };
    let Ok(permit) = std::sync::Arc::clone(&endpoint.handler_permits).try_acquire_owned() else {
        if !oneway {
            reply_now(connection, handler::busy(&command));
        }
        return;
    };
    let ctx = RequestContext::new(connection.clone());
    let mut handling = Box::pin(route.run(std::sync::Arc::clone(endpoint), ctx, command));
    // A panicking handler fails only its request, as it would in a task of its own.
    let polled =
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| handling.as_mut().poll(cx)));
    let response = match polled {
        Err(_panic) => {
            warn!(peer = connection.peer_addr(), "request handler panicked");
            return;
        }
        Ok(Poll::Ready(response)) => response,
        Ok(Poll::Pending) => {
            let connection = connection.clone();
            handlers.spawn(async move {
                let _permit = permit;
                if let Some(response) = handling.await {
                    send_response(&connection, response).await;
                }
            });
            return;
        }
    };
    let Some(response) = response else {
        return;
    };
    if let Err(response) = connection.try_queue_response(response) {
        // The queue is full (the peer reads slowly): wait for room in a task that keeps
        // the handler permit, so waiting responses stay bounded.
        let connection = connection.clone();
        handlers.spawn(async move {
            let _permit = permit;
            send_response(&connection, response).await;
        });
    }
}

async fn send_response(connection: &Connection, response: RemotingCommand) {
    if let Err(err) = connection.send_response(response).await {
        debug!("response not sent: {err}");
    }
}

/// Answers from the read loop without waiting: if the queue is full the answer is
/// dropped (the peer times out) rather than stalling every other reply.
fn reply_now(connection: &Connection, response: RemotingCommand) {
    if !connection.try_send_response(response) {
        warn!(
            peer = connection.peer_addr(),
            "outgoing queue full, dropping a refusal"
        );
    }
}

/// Writes queued frames until the queue closes, `finish` is cancelled (then what is
/// already queued is written first) or the socket fails. Frames are written whole.
async fn write_frames<W>(
    connection: &Connection,
    mut sink: W,
    mut rx: mpsc::Receiver<Outgoing>,
    finish: CancellationToken,
) -> Result<()>
where
    W: Sink<RemotingCommand, Error = Error> + Unpin,
{
    loop {
        let next = tokio::select! {
            biased;
            next = rx.recv() => next,
            () = finish.cancelled() => {
                rx.close();
                rx.recv().await
            }
        };
        let Some(first) = next else {
            return sink.close().await;
        };
        write_one(connection, &mut sink, first).await?;
        for _ in 1..MAX_BATCH {
            let Ok(next) = rx.try_recv() else {
                break;
            };
            write_one(connection, &mut sink, next).await?;
        }
        sink.flush().await?;
    }
}

/// Writes one frame. A frame that cannot be encoded (too large) fails only itself: a
/// request's caller gets the error, a response is replaced by a `SYSTEM_ERROR` response
/// saying why. Only an I/O error is fatal to the connection.
async fn write_one<W>(connection: &Connection, sink: &mut W, frame: Outgoing) -> Result<()>
where
    W: Sink<RemotingCommand, Error = Error> + Unpin,
{
    let Outgoing { command, permit } = frame;
    let reply_to = wire::ReplyTo::of(&command);
    let kind = (command.is_response(), command.is_oneway());
    let result = sink.feed(command).await;
    drop(permit);
    let err = match result {
        Ok(()) => return Ok(()),
        Err(err @ Error::Io(_)) => return Err(err),
        Err(err) => err,
    };
    warn!(
        peer = connection.peer_addr(),
        "frame not sent, cannot encode it: {err}"
    );
    match kind {
        (true, _) => {
            let refusal = reply_to.response(ResponseCode::SYSTEM_ERROR, Some(err.to_string()));
            match sink.feed(refusal).await {
                Err(err @ Error::Io(_)) => Err(err),
                _ => Ok(()),
            }
        }
        (false, false) => {
            connection.pending().fail(reply_to.opaque(), err);
            Ok(())
        }
        (false, true) => Ok(()),
    }
}
