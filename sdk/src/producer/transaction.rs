//! Transactions (Java `TransactionMQProducer`): a half message, the local transaction,
//! then `END_TRANSACTION` with the outcome; the broker asks a [`TransactionChecker`]
//! about half messages left undecided.

use std::fmt;
use std::future::Future;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use super::builder::{ProducerBuilder, Transactional};
use super::result::SendResult;
use super::send::Producer;
use crate::client::{BoxFuture, CheckTransaction, Client, TransactionCheck};
use crate::protocol::header::{EndTransactionRequestHeader, RpcFields};
use crate::protocol::message::{Message, OffsetMsgId, StoredMessage, TransactionType, property};
use crate::protocol::request::{EndTransaction, SendStatus};
use crate::protocol::{Rpc, SerializeType};
use crate::{Error, Result};

/// What the application decided about a transaction (Java `LocalTransactionState`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LocalTransactionState {
    /// Deliver the message.
    Commit,
    /// Discard the message.
    Rollback,
    /// Not decided yet: the broker asks the [`TransactionChecker`] later.
    Unknown,
}

impl LocalTransactionState {
    /// The `commitOrRollback` value of `END_TRANSACTION` (Java `MessageSysFlag`
    /// transaction types; unknown is "not a transaction type", 0).
    pub fn commit_or_rollback(self) -> i32 {
        match self {
            LocalTransactionState::Commit => TransactionType::Commit.bits(),
            LocalTransactionState::Rollback => TransactionType::Rollback.bits(),
            LocalTransactionState::Unknown => TransactionType::NotTransaction.bits(),
        }
    }
}

/// Answers the broker's questions about undecided transactions (Java
/// `TransactionListener.checkLocalTransaction`).
///
/// The broker sends `CHECK_TRANSACTION_STATE` for half messages that stayed undecided
/// (by default after 6 s in Java brokers, every 60 s, up to 15 times); the checker gets the
/// half message as stored (its [`unique_key`](Message::unique_key) is the id the send
/// reported, its topic the real one) and returns the decision, which goes back to the
/// broker as `END_TRANSACTION` on the same connection.
///
/// Closures `Fn(StoredMessage) -> impl Future<Output = LocalTransactionState>` are
/// checkers.
pub trait TransactionChecker: Send + Sync + 'static {
    /// The state of the transaction of `message`.
    fn check(&self, message: StoredMessage) -> impl Future<Output = LocalTransactionState> + Send;
}

impl<F, Fut> TransactionChecker for F
where
    F: Fn(StoredMessage) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = LocalTransactionState> + Send + 'static,
{
    fn check(&self, message: StoredMessage) -> impl Future<Output = LocalTransactionState> + Send {
        self(message)
    }
}

/// A type-erased [`TransactionChecker`].
pub(crate) type SharedChecker =
    Arc<dyn Fn(StoredMessage) -> BoxFuture<LocalTransactionState> + Send + Sync>;

fn share(checker: impl TransactionChecker) -> SharedChecker {
    let checker = Arc::new(checker);
    Arc::new(move |message| {
        let checker = Arc::clone(&checker);
        Box::pin(async move { checker.check(message).await })
    })
}

/// The result of a transactional send (Java `TransactionSendResult`).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct TransactionSendResult {
    /// How the half message was stored.
    pub send: SendResult,
    /// What the local transaction decided (rollback when the half message was not stored
    /// cleanly).
    pub local_state: LocalTransactionState,
}

/// A producer of transactional messages (Java `TransactionMQProducer`).
///
/// [`send`](Self::send) stores a half message (properties `TRAN_MSG=true` and
/// `PGROUP=<group>`, any delay level removed), runs the local transaction and sends
/// `END_TRANSACTION` (oneway) with its outcome; `Unknown` leaves the decision to the
/// broker's later check, answered by the [`TransactionChecker`] given to
/// [`builder`](Self::builder).
///
/// ```no_run
/// # async fn demo() -> rocketmq::Result<()> {
/// use rocketmq::producer::{LocalTransactionState, TransactionProducer};
/// use rocketmq::protocol::message::{Message, StoredMessage};
///
/// let producer = TransactionProducer::builder(|_half: StoredMessage| async {
///     // Look the transaction up in the application's database.
///     LocalTransactionState::Commit
/// })
/// .namesrv_addr("127.0.0.1:9876")
/// .group("payment_tx")
/// .build()
/// .await?;
/// let result = producer
///     .send(Message::new("payments", "debit 10"), |_msg: &Message| async {
///         LocalTransactionState::Commit
///     })
///     .await?;
/// println!("{:?}: {}", result.local_state, result.send.msg_id);
/// producer.close().await;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct TransactionProducer {
    producer: Producer,
}

impl TransactionProducer {
    /// A builder whose producer answers transaction checks with `checker`; every other
    /// setting is a [`Producer`] setting.
    pub fn builder(checker: impl TransactionChecker) -> ProducerBuilder<Transactional> {
        Producer::builder().transactional(share(checker))
    }

    pub(crate) fn new(producer: Producer) -> Self {
        TransactionProducer { producer }
    }

    /// The underlying producer, for ordinary sends.
    pub fn producer(&self) -> &Producer {
        &self.producer
    }

    /// Sends `message` as a half message, runs `local` with it (carrying its unique id
    /// and the transaction id) when the broker stored it, and ends the transaction with
    /// `local`'s decision. A half message the broker stored with a flush or slave timeout
    /// is rolled back without running `local`, as Java does. A failure to deliver
    /// `END_TRANSACTION` is logged, not returned: the broker checks the transaction later.
    pub async fn send<F, Fut>(
        &self,
        mut message: Message,
        local: F,
    ) -> Result<TransactionSendResult>
    where
        F: FnOnce(&Message) -> Fut,
        Fut: Future<Output = LocalTransactionState>,
    {
        let inner = &self.producer.inner;
        message.properties_mut().remove(property::DELAY);
        message.set_transaction_prepared(true);
        message.set_producer_group(inner.settings.group.clone());
        if message.unique_key().is_none() {
            message.set_unique_key(inner.client.next_unique_id());
        }
        let send = self.producer.send(message.clone()).await?;
        let local_state = match send.status {
            SendStatus::SendOk => {
                if let Some(id) = &send.transaction_id {
                    message
                        .properties_mut()
                        .insert(property::TRANSACTION_ID, id.clone());
                }
                local(&message).await
            }
            _ => LocalTransactionState::Rollback,
        };
        if let Err(err) = self.end(&message, &send, local_state).await {
            tracing::warn!(msg_id = %send.msg_id, state = ?local_state, %err,
                "local transaction decided, but END_TRANSACTION failed; the broker will check");
        }
        Ok(TransactionSendResult { send, local_state })
    }

    /// Java `endTransaction`: oneway `END_TRANSACTION` to the master that stored the half
    /// message.
    async fn end(
        &self,
        message: &Message,
        send: &SendResult,
        state: LocalTransactionState,
    ) -> Result<()> {
        let inner = &self.producer.inner;
        let client = &inner.client;
        let id = OffsetMsgId::from_str(&send.offset_msg_id)?;
        let broker = &send.queue.broker_name;
        let addr = client.master_addr(broker).ok_or_else(|| Error::NoRoute {
            topic: message.topic().to_owned(),
        })?;
        let header = EndTransactionRequestHeader {
            producer_group: inner.settings.group.clone(),
            tran_state_table_offset: send.queue_offset,
            commit_log_offset: id.commit_log_offset(),
            commit_or_rollback: state.commit_or_rollback(),
            from_transaction_check: false,
            msg_id: send.msg_id.clone(),
            transaction_id: send.transaction_id.clone(),
            topic: Some(client.with_namespace(message.topic())),
            rpc: RpcFields {
                broker_name: Some(broker.clone()),
                ..Default::default()
            },
        };
        let command = EndTransaction(header)
            .to_command()
            .with_serialize_type(client.config().serialize_type());
        client
            .remoting()
            .invoke_oneway(&addr, command, inner.settings.send_timeout)
            .await
    }

    /// Waits for sends in flight, unregisters the group and closes an owned client (see
    /// [`Producer::close`]).
    pub async fn close(&self) {
        self.producer.close().await;
    }
}

impl fmt::Debug for TransactionProducer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TransactionProducer")
            .field("producer", &self.producer)
            .finish()
    }
}

/// Answers one producer group's transaction checks (Java
/// `DefaultMQProducerImpl.checkTransactionState`).
struct GroupChecker {
    group: String,
    namespace: Option<String>,
    serialize_type: SerializeType,
    user: SharedChecker,
}

/// Time allowed to queue the answer to a check (Java uses 3 s).
const CHECK_ANSWER_TIMEOUT: Duration = Duration::from_secs(3);

pub(crate) fn checker_for(
    client: &Client,
    group: &str,
    user: SharedChecker,
) -> Arc<dyn CheckTransaction> {
    Arc::new(GroupChecker {
        group: group.to_owned(),
        namespace: client.config().namespace().map(str::to_owned),
        serialize_type: client.config().serialize_type(),
        user,
    })
}

impl CheckTransaction for GroupChecker {
    fn check(&self, check: TransactionCheck) -> BoxFuture<()> {
        let TransactionCheck {
            connection,
            header,
            mut message,
        } = check;
        let group = self.group.clone();
        let namespace = self.namespace.clone();
        let serialize_type = self.serialize_type;
        let user = Arc::clone(&self.user);
        Box::pin(async move {
            let msg_id = message
                .message
                .unique_key()
                .map_or_else(|| message.offset_msg_id().to_string(), str::to_owned);
            if let Some(ns) = namespace.as_deref() {
                let topic = crate::client::namespace::unwrap(ns, message.message.topic());
                message.message.set_topic(topic);
            }
            let state = user(message).await;
            let end = EndTransactionRequestHeader {
                producer_group: group,
                tran_state_table_offset: header.tran_state_table_offset,
                commit_log_offset: header.commit_log_offset,
                commit_or_rollback: state.commit_or_rollback(),
                from_transaction_check: true,
                msg_id,
                transaction_id: header.transaction_id.clone(),
                topic: header.topic.clone(),
                rpc: RpcFields {
                    broker_name: header.rpc.broker_name.clone(),
                    ..Default::default()
                },
            };
            let command = EndTransaction(end)
                .to_command()
                .with_serialize_type(serialize_type);
            if let Err(err) = connection
                .invoke_oneway(command, CHECK_ANSWER_TIMEOUT)
                .await
            {
                tracing::warn!(peer = connection.peer_addr(), %err, "cannot answer a transaction check");
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_map_to_java_flags() {
        assert_eq!(LocalTransactionState::Commit.commit_or_rollback(), 8);
        assert_eq!(LocalTransactionState::Rollback.commit_or_rollback(), 12);
        assert_eq!(LocalTransactionState::Unknown.commit_or_rollback(), 0);
    }
}
