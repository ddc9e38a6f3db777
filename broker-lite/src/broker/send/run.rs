//! The send processor as a run handler: the sends one read of a connection yields (the
//! Java benchmark Producer's 16 threads share one connection, so often several) are
//! checked one by one as they are read, then stored with one store append, then
//! answered, each in its place.
//!
//! Nothing is answered before the append that stores it has returned (under SYNC_FLUSH:
//! before the fsync covering it), so an acknowledged message survives a process kill as
//! with one append per send. Each send keeps its own outcome: a refused check, a message
//! the store refuses (too large, disk full) or a failed batch fails only its request.

use std::future::Future;
use std::sync::Arc;

use rocketmq::protocol::{RemotingCommand, ResponseCode};
use rocketmq::remoting::{Prepared, RequestContext, RunHandler};

use super::super::put::{self, PutJob, PutOutcome};
use super::super::{Reply, State};
use super::{illegal_remark, prepare_send, refuse, response, store_failure, success_header};

/// A send checked and ready to store, with what its response needs.
pub(super) struct ReadySend {
    pub(super) job: PutJob,
    pub(super) answer: Answer,
}

/// What a send's response needs besides where the message was stored.
pub(super) enum Answer {
    /// A single message.
    One {
        /// The queue the producer chose (answered even when a DLQ took the message).
        queue_id: i32,
        /// 5.x: the message's `UNIQ_KEY`.
        transaction_id: Option<String>,
        /// 5.x: the recall handle of a timer message.
        recall: Option<String>,
    },
    /// The messages of a batch.
    Batch {
        /// The queue the producer chose.
        queue_id: i32,
    },
}

/// The handler of SEND_MESSAGE, SEND_MESSAGE_V2 and SEND_BATCH_MESSAGE.
pub(super) struct Sender {
    state: Arc<State>,
}

impl Sender {
    pub(super) fn new(state: &Arc<State>) -> Self {
        Sender {
            state: Arc::clone(state),
        }
    }
}

impl RunHandler for Sender {
    type Prepared = ReadySend;

    fn prepare(
        &self,
        ctx: &RequestContext,
        request: RemotingCommand,
    ) -> rocketmq::Result<Prepared<ReadySend>> {
        prepare_send(&self.state, ctx, &request)
    }

    fn handle_run(
        &self,
        _ctx: RequestContext,
        run: Vec<ReadySend>,
    ) -> impl Future<Output = Vec<Reply>> + Send {
        let (jobs, answers): (Vec<PutJob>, Vec<Answer>) =
            run.into_iter().map(|r| (r.job, r.answer)).unzip();
        let putting = put::start_put_all(&self.state, jobs);
        let state = Arc::clone(&self.state);
        async move {
            match putting.outcome().await {
                Ok(stored) => answers
                    .into_iter()
                    .zip(stored)
                    .map(|(answer, stored)| respond(&state, answer, stored))
                    .collect(),
                Err(e) => answers
                    .iter()
                    .map(|_| Ok(Some(store_failure(&state, &e))))
                    .collect(),
            }
        }
    }
}

/// The response to one send, given what the store did with it.
fn respond(state: &State, answer: Answer, stored: crate::Result<Vec<PutOutcome>>) -> Reply {
    let outcomes = match stored {
        Ok(outcomes) => outcomes,
        Err(e) => return Ok(Some(store_failure(state, &e))),
    };
    let Some(first) = outcomes.first() else {
        return refuse(
            ResponseCode::MESSAGE_ILLEGAL,
            illegal_remark(state.config().store.max_message_size),
        );
    };
    let header = match answer {
        Answer::One {
            queue_id,
            transaction_id,
            recall,
        } => {
            let mut header = success_header(first, queue_id, first.offset_msg_id());
            header.transaction_id = transaction_id;
            header.recall_handle = recall;
            header
        }
        Answer::Batch { queue_id } => {
            let ids: Vec<String> = outcomes.iter().map(PutOutcome::offset_msg_id).collect();
            success_header(first, queue_id, ids.join(","))
        }
    };
    Ok(Some(
        response(ResponseCode::SUCCESS, None).with_header(&header),
    ))
}
