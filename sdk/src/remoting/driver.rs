//! The task behind a [`Connection`]: it owns the socket, writes whole frames from the
//! queue, reads frames, completes waiting requests and runs handlers for requests the
//! peer sends (Java's `NettyRemotingAbstract.processMessageReceived`).

use std::future::Future;
use std::task::{Context, Poll};
use std::time::Duration;

use futures_util::{FutureExt, Sink, SinkExt, Stream, StreamExt};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::mpsc;
use tokio::task::JoinSet;
use tokio_util::codec::{FramedRead, FramedWrite};
use tokio_util::sync::CancellationToken;
use tracing::{debug, warn};

use super::connection::{Connection, Outgoing};
use super::handler::{self, Answers, Dispatch, RequestContext, Run};
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
    // reap finished handler tasks. Reading first is what batches the responses. Requests
    // for a run handler are collected into a run, handled when the run ends: at another
    // request, or at the end of the turn.
    let mut run: Option<Run> = None;
    let cause = std::future::poll_fn(|cx| {
        if close_requested.as_mut().poll(cx).is_ready() {
            return Poll::Ready("connection closed locally".to_owned());
        }
        let mut frames = 0;
        let ended = loop {
            match reader.poll_next_unpin(cx) {
                Poll::Ready(Some(Ok(command))) => {
                    on_frame(&connection, command, &mut run, &mut handlers, cx);
                    frames += 1;
                    if frames == MAX_FRAMES_PER_TURN {
                        // Let the writer and other tasks run; come back at once.
                        cx.waker().wake_by_ref();
                        break None;
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
                    break Some(err.to_string());
                }
                Poll::Ready(None) => break Some("closed by peer".to_owned()),
                Poll::Pending => break None,
            }
        };
        // The requests read are handled (and answered while the connection drains)
        // whatever ended the turn.
        end_run(&connection, &mut run, &mut handlers, cx);
        if let Some(cause) = ended {
            return Poll::Ready(cause);
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

/// Routes one frame: a response to its waiting request, a request to its handler or
/// into the current run.
///
/// A handler is first polled here, on the connection's task: most finish at once (their
/// work needs no waiting) and their response is queued without a task of their own. One
/// that has to wait continues in a task of its own, so it never delays the connection.
/// A request for a run handler joins the current run when it is for the same handler;
/// any other request ends the run first, so responses keep the requests' order.
fn on_frame(
    connection: &Connection,
    command: RemotingCommand,
    run: &mut Option<Run>,
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
    let route = match endpoint.config.router.route(command.code) {
        Some(Dispatch::Run(route)) => {
            match run {
                Some(current) if current.takes(&route) => current.add(command),
                _ => {
                    end_run(connection, run, handlers, cx);
                    run.insert(Run::new(route, connection)).add(command);
                }
            }
            return;
        }
        Some(Dispatch::One(route)) => {
            end_run(connection, run, handlers, cx);
            route
        }
        None => {
            end_run(connection, run, handlers, cx);
            warn!(
                peer = connection.peer_addr(),
                code = command.code,
                "request code not supported"
            );
            if !oneway {
                reply_now(connection, handler::not_supported(&command));
            }
            return;
        }
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

/// Ends the current run, if any: polls its handler once here, like a single handler,
/// and queues the responses in the requests' order; a run that has to wait goes on in a
/// task of its own, which sends them once it is done.
fn end_run(
    connection: &Connection,
    run: &mut Option<Run>,
    handlers: &mut JoinSet<()>,
    cx: &mut Context<'_>,
) {
    let Some(run) = run.take() else {
        return;
    };
    let (handling, mut answers) = run.finish();
    let results = match handling {
        None => Some(Vec::new()),
        Some(mut handling) => {
            let polled = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                handling.as_mut().poll(cx)
            }));
            match polled {
                Err(_panic) => {
                    warn!(peer = connection.peer_addr(), "run handler panicked");
                    None
                }
                Ok(Poll::Ready(results)) => Some(results),
                Ok(Poll::Pending) => {
                    let connection = connection.clone();
                    handlers.spawn(async move {
                        let results = std::panic::AssertUnwindSafe(handling).catch_unwind().await;
                        if results.is_err() {
                            warn!(peer = connection.peer_addr(), "run handler panicked");
                        }
                        for response in answers.responses(results.ok()) {
                            send_response(&connection, response).await;
                        }
                    });
                    return;
                }
            }
        }
    };
    let responses = answers.responses(results);
    queue_in_order(connection, responses, answers, handlers);
}

/// Queues `responses` in order without waiting; when the queue fills, the rest waits for
/// room in a task that keeps the run's handler permits (in `answers`).
fn queue_in_order(
    connection: &Connection,
    responses: Vec<RemotingCommand>,
    answers: Answers,
    handlers: &mut JoinSet<()>,
) {
    let mut responses = responses.into_iter();
    while let Some(response) = responses.next() {
        if let Err(response) = connection.try_queue_response(response) {
            let connection = connection.clone();
            handlers.spawn(async move {
                let _answers = answers;
                send_response(&connection, response).await;
                for response in responses {
                    send_response(&connection, response).await;
                }
            });
            return;
        }
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

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use futures_util::stream;
    use tokio_util::sync::CancellationToken;

    use super::*;
    use crate::protocol::RequestCode;
    use crate::remoting::endpoint::EndpointConfig;
    use crate::remoting::handler::{Prepared, RunHandler};
    use crate::remoting::hook::RpcHook;

    const SEND: RequestCode = RequestCode::SEND_MESSAGE_V2;
    const OTHER_SEND: RequestCode = RequestCode::SEND_MESSAGE;

    /// Records every run (the opaques that joined it); its behaviour per request is
    /// chosen by the request's remark.
    #[derive(Default)]
    struct Recorder {
        runs: Arc<Mutex<Vec<Vec<i32>>>>,
        /// Wait once before answering (the run goes on in a task).
        wait: bool,
    }

    impl RunHandler for Recorder {
        type Prepared = i32;

        fn prepare(
            &self,
            _ctx: &RequestContext,
            request: RemotingCommand,
        ) -> Result<Prepared<i32>> {
            match request.remark.as_deref() {
                Some("refuse") => Ok(Prepared::Answered(Some(
                    RemotingCommand::response(ResponseCode::NO_PERMISSION).with_remark("refused"),
                ))),
                Some("silent") => Ok(Prepared::Answered(None)),
                Some("error") => Err(Error::Broker {
                    code: ResponseCode::TOPIC_NOT_EXIST,
                    remark: Some("no topic".into()),
                }),
                Some("panic") => panic!("prepare panics"),
                _ => Ok(Prepared::Joined(request.opaque)),
            }
        }

        async fn handle_run(
            &self,
            _ctx: RequestContext,
            run: Vec<i32>,
        ) -> Vec<Result<Option<RemotingCommand>>> {
            if self.wait {
                tokio::task::yield_now().await;
            }
            self.runs.lock().unwrap().push(run.clone());
            assert!(!run.contains(&666), "handle_run panics");
            let n = run.len();
            // Opaque 99 makes the handler forget the last result.
            let answered = if run.contains(&99) { n - 1 } else { n };
            run.iter()
                .take(answered)
                .map(|_| {
                    Ok(Some(
                        RemotingCommand::response(ResponseCode::SUCCESS)
                            .with_remark(format!("run of {n}")),
                    ))
                })
                .collect()
        }
    }

    fn request(code: RequestCode, opaque: i32, remark: Option<&str>) -> RemotingCommand {
        let mut r = RemotingCommand::request(code).with_opaque(opaque);
        r.remark = remark.map(str::to_owned);
        r
    }

    fn send(opaque: i32) -> RemotingCommand {
        request(SEND, opaque, None)
    }

    /// Serves `frames`, all readable at once, then end of stream; returns what was
    /// written, in order.
    async fn serve(config: EndpointConfig, frames: Vec<RemotingCommand>) -> Vec<RemotingCommand> {
        let (connection, rx) =
            Connection::new("peer:1".into(), config.build(), CancellationToken::new());
        let written = Arc::new(Mutex::new(Vec::new()));
        let sink = {
            let written = Arc::clone(&written);
            Box::pin(futures_util::sink::unfold((), move |(), frame| {
                written.lock().unwrap().push(frame);
                async { Ok::<_, Error>(()) }
            }))
        };
        let reader = stream::iter(frames.into_iter().map(Ok));
        run_framed(connection, rx, reader, sink, Duration::from_secs(5)).await;
        std::mem::take(&mut *written.lock().unwrap())
    }

    fn config_with(recorder: Recorder, max_handlers: usize) -> EndpointConfig {
        let mut config = EndpointConfig::new(max_handlers);
        config.router.insert_run(&[SEND, OTHER_SEND], recorder);
        config.handler(
            RequestCode::HEART_BEAT,
            |_ctx: RequestContext, _req: RemotingCommand| async {
                Ok(Some(
                    RemotingCommand::response(ResponseCode::SUCCESS).with_remark("single"),
                ))
            },
        );
        config
    }

    fn summary(written: &[RemotingCommand]) -> Vec<(i32, i32, String)> {
        written
            .iter()
            .map(|w| {
                assert!(w.is_response());
                (w.opaque, w.code, w.remark.clone().unwrap_or_default())
            })
            .collect()
    }

    /// The responses are `expected`, in that order; when runs wait, only the order within
    /// each run (the responses between two answers not made by the run handler) is kept:
    /// a waiting run's responses go out once it is done, after later ones.
    fn assert_in_order(written: &[RemotingCommand], expected: &[(i32, i32, String)], wait: bool) {
        let got = summary(written);
        if !wait {
            assert_eq!(got, expected);
            return;
        }
        let mut sorted_got = got.clone();
        sorted_got.sort();
        let mut sorted_expected = expected.to_vec();
        sorted_expected.sort();
        assert_eq!(sorted_got, sorted_expected, "same responses");
        let single = |(_, code, remark): &(i32, i32, String)| {
            remark == "single" || *code == ResponseCode::REQUEST_CODE_NOT_SUPPORTED.0
        };
        for run in expected.split(single) {
            let order: Vec<&(i32, i32, String)> = got.iter().filter(|g| run.contains(g)).collect();
            assert_eq!(order, run.iter().collect::<Vec<_>>(), "order within a run");
        }
    }

    #[tokio::test]
    async fn consecutive_requests_form_runs_answered_in_order() {
        for wait in [false, true] {
            let runs = Arc::new(Mutex::new(Vec::new()));
            let recorder = Recorder {
                runs: Arc::clone(&runs),
                wait,
            };
            let mut oneway = send(6);
            oneway.mark_oneway();
            let frames = vec![
                send(1),
                request(OTHER_SEND, 2, None),
                request(SEND, 3, Some("refuse")),
                send(4),
                request(SEND, 5, Some("silent")),
                request(RequestCode::HEART_BEAT, 10, None),
                oneway,
                send(7),
                request(RequestCode(9999), 11, None),
                send(8),
            ];
            let written = serve(config_with(recorder, 100), frames).await;
            assert_eq!(
                *runs.lock().unwrap(),
                [vec![1, 2, 4], vec![6, 7], vec![8]],
                "wait {wait}"
            );
            let ok = ResponseCode::SUCCESS.0;
            assert_in_order(
                &written,
                &[
                    (1, ok, "run of 3".to_owned()),
                    (2, ok, "run of 3".to_owned()),
                    (3, ResponseCode::NO_PERMISSION.0, "refused".to_owned()),
                    (4, ok, "run of 3".to_owned()),
                    (10, ok, "single".to_owned()),
                    (7, ok, "run of 2".to_owned()),
                    (
                        11,
                        ResponseCode::REQUEST_CODE_NOT_SUPPORTED.0,
                        " request type 9999 not supported".to_owned(),
                    ),
                    (8, ok, "run of 1".to_owned()),
                ],
                wait,
            );
        }
    }

    #[tokio::test]
    async fn a_turn_ends_a_run() {
        let runs = Arc::new(Mutex::new(Vec::new()));
        let recorder = Recorder {
            runs: Arc::clone(&runs),
            wait: false,
        };
        let frames = (0..40).map(send).collect();
        let written = serve(config_with(recorder, 100), frames).await;
        let sizes: Vec<usize> = runs.lock().unwrap().iter().map(Vec::len).collect();
        assert_eq!(sizes, [MAX_FRAMES_PER_TURN, 40 - MAX_FRAMES_PER_TURN]);
        let opaques: Vec<i32> = written.iter().map(|w| w.opaque).collect();
        assert_eq!(opaques, (0..40).collect::<Vec<_>>());
    }

    #[tokio::test]
    async fn failures_stay_with_their_requests() {
        for wait in [false, true] {
            let runs = Arc::new(Mutex::new(Vec::new()));
            let recorder = Recorder {
                runs: Arc::clone(&runs),
                wait,
            };
            let frames = vec![
                send(1),
                request(SEND, 2, Some("panic")),
                request(SEND, 3, Some("error")),
                send(99),
                request(RequestCode::HEART_BEAT, 10, None),
                send(666),
                request(SEND, 5, Some("refuse")),
                send(6),
                request(RequestCode::HEART_BEAT, 12, None),
                send(7),
            ];
            let written = serve(config_with(recorder, 100), frames).await;
            assert_eq!(*runs.lock().unwrap(), [vec![1, 99], vec![666, 6], vec![7]]);
            let ok = ResponseCode::SUCCESS.0;
            assert_in_order(
                &written,
                &[
                    (1, ok, "run of 2".to_owned()),
                    // 2 panicked in prepare: no answer, as for a panicking handler.
                    (3, ResponseCode::TOPIC_NOT_EXIST.0, "no topic".to_owned()),
                    (
                        99,
                        ResponseCode::SYSTEM_ERROR.0,
                        "request handler returned no result".to_owned(),
                    ),
                    (10, ok, "single".to_owned()),
                    // The run of 666 and 6 panicked: only the refusal made before goes out.
                    (5, ResponseCode::NO_PERMISSION.0, "refused".to_owned()),
                    (12, ok, "single".to_owned()),
                    (7, ok, "run of 1".to_owned()),
                ],
                wait,
            );
        }
    }

    #[tokio::test]
    async fn each_request_of_a_run_takes_a_permit() {
        let recorder = Recorder::default();
        let frames = (1..=3).map(send).collect();
        let written = serve(config_with(recorder, 2), frames).await;
        let codes: Vec<(i32, i32)> = written.iter().map(|w| (w.opaque, w.code)).collect();
        assert_eq!(
            codes,
            [
                (1, ResponseCode::SUCCESS.0),
                (2, ResponseCode::SUCCESS.0),
                (3, ResponseCode::SYSTEM_BUSY.0)
            ]
        );
    }

    /// Refuses requests whose remark is "deny"; records what `after_response` saw.
    struct Gate(Arc<Mutex<Vec<(i32, i32)>>>);

    impl RpcHook for Gate {
        fn before_request(&self, _addr: &str, request: &mut RemotingCommand) -> Result<()> {
            if request.remark.as_deref() == Some("deny") {
                return Err(Error::Broker {
                    code: ResponseCode::NO_PERMISSION,
                    remark: Some("denied".into()),
                });
            }
            request.remark = Some("seen".into());
            Ok(())
        }

        fn after_response(
            &self,
            _addr: &str,
            request: &RemotingCommand,
            response: &RemotingCommand,
        ) {
            assert!(request.opaque == response.opaque);
            self.0.lock().unwrap().push((request.opaque, response.code));
        }
    }

    #[tokio::test]
    async fn hooks_see_each_request_of_a_run() {
        let runs = Arc::new(Mutex::new(Vec::new()));
        let recorder = Recorder {
            runs: Arc::clone(&runs),
            wait: false,
        };
        let seen = Arc::new(Mutex::new(Vec::new()));
        let mut config = config_with(recorder, 100);
        config.hook(Gate(Arc::clone(&seen)));
        let frames = vec![send(1), request(SEND, 2, Some("deny")), send(3)];
        let written = serve(config, frames).await;
        assert_eq!(*runs.lock().unwrap(), [vec![1, 3]]);
        let codes: Vec<(i32, i32)> = written.iter().map(|w| (w.opaque, w.code)).collect();
        let expected = [
            (1, ResponseCode::SUCCESS.0),
            (2, ResponseCode::NO_PERMISSION.0),
            (3, ResponseCode::SUCCESS.0),
        ];
        assert_eq!(codes, expected);
        assert_eq!(*seen.lock().unwrap(), expected);
    }
}
