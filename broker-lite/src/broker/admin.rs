//! Admin requests (Java `AdminBrokerProcessor`, `Broker2Client`): what `mqadmin` and
//! Java's admin client ask a broker.
//!
//! * [`topics`]: UPDATE_AND_CREATE_TOPIC, DELETE_TOPIC_IN_BROKER, GET_ALL_TOPIC_CONFIG,
//!   GET_TOPIC_STATS_INFO, QUERY_TOPIC_CONSUME_BY_WHO;
//! * [`groups`]: UPDATE_AND_CREATE_SUBSCRIPTIONGROUP, GET_ALL_SUBSCRIPTIONGROUP_CONFIG,
//!   DELETE_SUBSCRIPTIONGROUP, GET_CONSUME_STATS, GET_ALL_CONSUMER_OFFSET;
//! * [`runtime`]: GET_BROKER_RUNTIME_INFO, GET_BROKER_CONFIG, UPDATE_BROKER_CONFIG,
//!   VIEW_BROKER_STATS_DATA;
//! * [`clients`]: GET_CONSUMER_CONNECTION_LIST, GET_PRODUCER_CONNECTION_LIST,
//!   GET_CONSUMER_RUNNING_INFO and CONSUME_MESSAGE_DIRECTLY (passed to the consumer's
//!   connection), INVOKE_BROKER_TO_RESET_OFFSET, INVOKE_BROKER_TO_GET_CONSUMER_STATUS.
//!
//! Bodies are the SDK's JSON bodies in fastjson form; the few the SDK lacks are in
//! [`bodies`].

mod bodies;
mod broker_config;
mod clients;
mod groups;
mod runtime;
mod topics;

use std::sync::Arc;

use bytes::Bytes;
use rocketmq::protocol::{MessageQueue, ProtocolFlavour, RemotingCommand, ResponseCode};
use rocketmq::remoting::RemotingServerBuilder;

use super::{Reply, State};
use crate::store::Store;

/// Adds the admin processors.
pub(super) fn register(
    builder: RemotingServerBuilder,
    state: &Arc<State>,
) -> RemotingServerBuilder {
    let b = topics::register(builder, state);
    let b = groups::register(b, state);
    let b = runtime::register(b, state);
    clients::register(b, state)
}

/// Runs a blocking store call off the async workers; store errors become SYSTEM_ERROR
/// with the error text, as a Java processor's exception does.
pub(super) async fn blocking<T: Send + 'static>(
    state: &State,
    f: impl FnOnce(&Store) -> crate::Result<T> + Send + 'static,
) -> rocketmq::Result<T> {
    let store = state.store.clone();
    match tokio::task::spawn_blocking(move || f(&store)).await {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(rocketmq::Error::Broker {
            code: ResponseCode::SYSTEM_ERROR,
            remark: Some(e.to_string()),
        }),
        Err(e) => Err(rocketmq::Error::Broker {
            code: ResponseCode::SYSTEM_ERROR,
            remark: Some(format!("store task failed: {e}")),
        }),
    }
}

/// A refusal with Java's code and remark.
fn refuse(code: ResponseCode, remark: impl Into<String>) -> Reply {
    Ok(Some(RemotingCommand::error_response(code, remark)))
}

/// SUCCESS, no body.
fn success() -> Reply {
    Ok(Some(RemotingCommand::response(ResponseCode::SUCCESS)))
}

/// SUCCESS with a body.
fn success_with(body: impl Into<Bytes>) -> Reply {
    Ok(Some(
        RemotingCommand::response(ResponseCode::SUCCESS).with_body(body),
    ))
}

/// One of this broker's queues.
fn queue(state: &State, topic: &str, queue_id: i32) -> MessageQueue {
    MessageQueue {
        topic: topic.to_owned(),
        broker_name: state.config().broker_name.clone(),
        queue_id,
    }
}

/// Whether the request comes from a 5.x client (5.x bodies carry extra fields).
fn is_v5(request: &RemotingCommand) -> bool {
    request.version.flavour() == ProtocolFlavour::V5
}

fn u64_to_i64(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}
