//! The producer and consumer groups living on a client, what heartbeats say about them,
//! and the dispatch of requests brokers send to the client (Java `MQClientInstance`'s
//! producer/consumer tables and `ClientRemotingProcessor`).

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock};

use crate::protocol::body::{ConsumerData, Heartbeat, ProducerData};
use crate::protocol::header::CheckTransactionStateRequestHeader;
use crate::protocol::message::{DecodeOptions, StoredMessage};
use crate::protocol::{RemotingCommand, RequestCode, ResponseCode};
use crate::remoting::{Connection, RequestContext, RequestHandler};
use crate::{Error, Result};

/// A boxed, sendable future.
pub(crate) type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;

/// A consumer group's part in the shared client: what the heartbeat says about it.
///
/// A consumer registers itself with
/// [`Client::register_consumer`](super::Client::register_consumer); the client then
/// includes [`consumer_data`](Self::consumer_data) in every heartbeat (sent to every
/// broker, masters and slaves, as Java does once a client has consumers). Requests the
/// brokers send to consumers (`NOTIFY_CONSUMER_IDS_CHANGED`, `GET_CONSUMER_RUNNING_INFO`,
/// `CONSUME_MESSAGE_DIRECTLY`, `RESET_CONSUMER_CLIENT_OFFSET`, ...) reach the handlers
/// set with [`Client::set_request_handler`](super::Client::set_request_handler).
pub trait ConsumerGroup: Send + Sync + 'static {
    /// The group's name, settings and subscriptions, as of now.
    fn consumer_data(&self) -> ConsumerData;

    /// Asks the group to rebalance soon. The client calls it after a broker took a
    /// heartbeat on a new connection (Java's `rebalanceImmediately` then), e.g. once a
    /// restarted broker is back. Default: nothing.
    fn rebalance_soon(&self) {}

    /// Answers a request a broker sent to this group (one naming the group in its
    /// `consumerGroup` or `group` field, such as `GET_CONSUMER_RUNNING_INFO`), so several
    /// consumers can share a client (Java's `ClientRemotingProcessor` looks the group up
    /// in the consumer table). `None` leaves the request to the handler set for its code
    /// with [`Client::set_request_handler`](super::Client::set_request_handler). Default:
    /// `None`.
    #[allow(clippy::type_complexity)] // spelled out so implementors see the whole contract
    fn handle_request(
        &self,
        ctx: RequestContext,
        request: RemotingCommand,
    ) -> Option<Pin<Box<dyn Future<Output = Result<Option<RemotingCommand>>> + Send + 'static>>>
    {
        let _ = (ctx, request);
        None
    }
}

/// A broker's `CHECK_TRANSACTION_STATE` request, decoded, with the connection it came on
/// (the answer, an `END_TRANSACTION`, goes back on that connection).
pub(crate) struct TransactionCheck {
    pub(crate) connection: Connection,
    pub(crate) header: CheckTransactionStateRequestHeader,
    pub(crate) message: StoredMessage,
}

/// Answers transaction checks for one producer group.
pub(crate) trait CheckTransaction: Send + Sync + 'static {
    fn check(&self, check: TransactionCheck) -> BoxFuture<()>;
}

/// A handler for broker-initiated requests, type-erased.
type ErasedHandler = Arc<
    dyn Fn(RequestContext, RemotingCommand) -> BoxFuture<Result<Option<RemotingCommand>>>
        + Send
        + Sync,
>;

/// The groups registered on one client and the handlers of broker-initiated requests.
#[derive(Default)]
pub(crate) struct Groups {
    producers: Mutex<HashMap<String, Option<Arc<dyn CheckTransaction>>>>,
    consumers: Mutex<HashMap<String, Arc<dyn ConsumerGroup>>>,
    handlers: RwLock<HashMap<i32, ErasedHandler>>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // Sections under these locks only insert/remove/clone; a poisoned lock is consistent.
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Which table a registration is in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum GroupKind {
    Producer,
    Consumer,
}

impl Groups {
    pub(crate) fn add_producer(
        &self,
        group: &str,
        checker: Option<Arc<dyn CheckTransaction>>,
    ) -> Result<()> {
        let mut producers = lock(&self.producers);
        if producers.contains_key(group) {
            return Err(Error::Config(format!(
                "producer group {group} is already registered on this client"
            )));
        }
        producers.insert(group.to_owned(), checker);
        Ok(())
    }

    pub(crate) fn add_consumer(&self, group: &str, member: Arc<dyn ConsumerGroup>) -> Result<()> {
        let mut consumers = lock(&self.consumers);
        if consumers.contains_key(group) {
            return Err(Error::Config(format!(
                "consumer group {group} is already registered on this client"
            )));
        }
        consumers.insert(group.to_owned(), member);
        Ok(())
    }

    pub(crate) fn remove(&self, kind: GroupKind, group: &str) -> bool {
        match kind {
            GroupKind::Producer => lock(&self.producers).remove(group).is_some(),
            GroupKind::Consumer => lock(&self.consumers).remove(group).is_some(),
        }
    }

    /// Asks every consumer to rebalance soon.
    pub(crate) fn rebalance_consumers(&self) {
        let members: Vec<Arc<dyn ConsumerGroup>> =
            lock(&self.consumers).values().cloned().collect();
        for member in members {
            member.rebalance_soon();
        }
    }

    pub(crate) fn has_consumers(&self) -> bool {
        !lock(&self.consumers).is_empty()
    }

    /// The heartbeat for `client_id`, or `None` when there is no group to report (Java
    /// sends none then).
    pub(crate) fn heartbeat(&self, client_id: &str) -> Option<Heartbeat> {
        let mut producer_data_set: Vec<ProducerData> = lock(&self.producers)
            .keys()
            .map(|group| ProducerData {
                group_name: group.clone(),
            })
            .collect();
        producer_data_set.sort_by(|a, b| a.group_name.cmp(&b.group_name));
        let members: Vec<Arc<dyn ConsumerGroup>> =
            lock(&self.consumers).values().cloned().collect();
        let mut consumer_data_set: Vec<ConsumerData> =
            members.iter().map(|m| m.consumer_data()).collect();
        consumer_data_set.sort_by(|a, b| a.group_name.cmp(&b.group_name));
        if producer_data_set.is_empty() && consumer_data_set.is_empty() {
            return None;
        }
        Some(Heartbeat {
            client_id: client_id.to_owned(),
            producer_data_set,
            consumer_data_set,
            heartbeat_fingerprint: None,
            without_sub: None,
        })
    }

    pub(crate) fn set_handler(&self, code: RequestCode, handler: impl RequestHandler) {
        let handler = Arc::new(handler);
        let erased: ErasedHandler = Arc::new(move |ctx, request| {
            let handler = Arc::clone(&handler);
            Box::pin(async move { handler.handle(ctx, request).await })
        });
        self.handlers
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(code.0, erased);
    }

    fn handler(&self, code: i32) -> Option<ErasedHandler> {
        self.handlers
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&code)
            .cloned()
    }

    fn checker(&self, group: &str) -> Option<Arc<dyn CheckTransaction>> {
        lock(&self.producers).get(group).cloned().flatten()
    }

    /// Answers a request the broker sent: `CHECK_TRANSACTION_STATE` goes to the producer
    /// group named in the half message, anything else to the handler set for its code.
    pub(crate) async fn dispatch(
        self: Arc<Self>,
        ctx: RequestContext,
        request: RemotingCommand,
    ) -> Result<Option<RemotingCommand>> {
        if request.code == RequestCode::CHECK_TRANSACTION_STATE.0 {
            self.check_transaction(ctx, request).await;
            return Ok(None);
        }
        if let Some(answer) = self.to_consumer(&ctx, &request) {
            return answer.await;
        }
        match self.handler(request.code) {
            Some(handler) => handler(ctx, request).await,
            None => Ok(Some(RemotingCommand::error_response(
                ResponseCode::REQUEST_CODE_NOT_SUPPORTED,
                format!(" request type {} not supported", request.code),
            ))),
        }
    }

    /// The answer of the consumer group the request names, if it handles the request.
    fn to_consumer(
        &self,
        ctx: &RequestContext,
        request: &RemotingCommand,
    ) -> Option<BoxFuture<Result<Option<RemotingCommand>>>> {
        let group = request
            .ext_field("consumerGroup")
            .or_else(|| request.ext_field("group"))?;
        let member = lock(&self.consumers).get(group).cloned()?;
        member.handle_request(ctx.clone(), request.clone())
    }

    /// Java's `ClientRemotingProcessor.checkTransactionState`: decode the half message and
    /// hand it to the producer of its group; undecodable requests and unknown groups are
    /// logged and dropped (the broker checks again later).
    async fn check_transaction(&self, ctx: RequestContext, request: RemotingCommand) {
        let header = match request.read_header::<CheckTransactionStateRequestHeader>() {
            Ok(header) => header,
            Err(err) => {
                tracing::warn!(peer = ctx.peer_addr(), %err, "bad CHECK_TRANSACTION_STATE header");
                return;
            }
        };
        let mut body = request.body.clone();
        let message = match StoredMessage::decode(&mut body, &DecodeOptions::default()) {
            Ok(message) => message,
            Err(err) => {
                tracing::warn!(peer = ctx.peer_addr(), %err, "cannot decode checked half message");
                return;
            }
        };
        let Some(group) = message.message.producer_group().map(str::to_owned) else {
            tracing::warn!(
                peer = ctx.peer_addr(),
                "checked half message names no producer group"
            );
            return;
        };
        match self.checker(&group) {
            Some(checker) => {
                checker
                    .check(TransactionCheck {
                        connection: ctx.connection().clone(),
                        header,
                        message,
                    })
                    .await;
            }
            None => tracing::debug!(group, "transaction check for a group not on this client"),
        }
    }
}

impl fmt::Debug for Groups {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut producers: Vec<String> = lock(&self.producers).keys().cloned().collect();
        producers.sort();
        let mut consumers: Vec<String> = lock(&self.consumers).keys().cloned().collect();
        consumers.sort();
        f.debug_struct("Groups")
            .field("producers", &producers)
            .field("consumers", &consumers)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Fixed(&'static str);

    impl ConsumerGroup for Fixed {
        fn consumer_data(&self) -> ConsumerData {
            ConsumerData {
                group_name: self.0.to_owned(),
                ..Default::default()
            }
        }
    }

    #[test]
    fn heartbeat_lists_groups() {
        let groups = Groups::default();
        assert!(groups.heartbeat("c").is_none());
        groups.add_producer("pb", None).unwrap();
        groups.add_producer("pa", None).unwrap();
        assert!(matches!(
            groups.add_producer("pa", None),
            Err(Error::Config(_))
        ));
        let hb = groups.heartbeat("c").unwrap();
        assert_eq!(hb.client_id, "c");
        let names: Vec<&str> = hb
            .producer_data_set
            .iter()
            .map(|p| p.group_name.as_str())
            .collect();
        assert_eq!(names, ["pa", "pb"]);
        assert!(!groups.has_consumers());
        groups.add_consumer("cg", Arc::new(Fixed("cg"))).unwrap();
        assert!(groups.has_consumers());
        let hb = groups.heartbeat("c").unwrap();
        assert_eq!(hb.consumer_data_set[0].group_name, "cg");
        assert!(groups.remove(GroupKind::Consumer, "cg"));
        assert!(!groups.remove(GroupKind::Consumer, "cg"));
        assert!(groups.remove(GroupKind::Producer, "pa"));
        assert!(groups.remove(GroupKind::Producer, "pb"));
        assert!(groups.heartbeat("c").is_none());
    }
}
