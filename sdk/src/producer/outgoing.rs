//! A message made ready to send: validated, namespaced, given its unique id, compressed
//! or batch-encoded, with the header fields that do not depend on the queue (the work of
//! Java's `sendDefaultImpl`/`sendKernelImpl` before the network).

use std::time::{SystemTime, UNIX_EPOCH};

use bytes::Bytes;

use super::batch::check_batch;
use super::result::SendResult;
use super::settings::Settings;
use super::validate::check_message;
use crate::Result;
use crate::client::Client;
use crate::client::namespace::RETRY_PREFIX;
use crate::protocol::header::SendMessageRequestHeaderV2Ref;
use crate::protocol::message::{Message, SysFlag, encode_batch, property};
use crate::protocol::request::{SendBatchMessage, SendMessageV2};
use crate::protocol::{MessageQueue, RemotingCommand, Rpc};

/// One message (or batch) ready for the wire.
#[derive(Debug)]
pub(crate) struct Outgoing {
    /// The message as sent: namespaced topic, unique id set, the body as given (for
    /// selectors and hooks). For a batch: the batch's topic and properties, the encoded
    /// batch as body.
    pub(crate) message: Message,
    /// The topic as the application named it.
    pub(crate) user_topic: String,
    /// The body on the wire (compressed when it was compressed).
    pub(crate) body: Bytes,
    /// The encoded properties.
    pub(crate) properties: String,
    pub(crate) sys_flag: SysFlag,
    pub(crate) batch: bool,
    /// The ids of a batch's messages, comma separated (empty for a single message, whose
    /// id is its `UNIQ_KEY`): see [`Outgoing::msg_id`].
    pub(crate) batch_ids: String,
    pub(crate) reconsume_times: i32,
    pub(crate) max_reconsume_times: Option<i32>,
    /// When it was made ready, ms since the epoch: the first attempt's born timestamp
    /// (read once with the unique id's clock reading).
    pub(crate) born_millis: i64,
}

fn epoch_millis(now: SystemTime) -> i64 {
    now.duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

impl Outgoing {
    /// Prepares one message (Java: `checkMessage`, `setUniqID`, namespace, compression,
    /// transaction flag, retry-topic header fields).
    pub(crate) fn single(
        client: &Client,
        settings: &Settings,
        mut message: Message,
    ) -> Result<Self> {
        check_message(&message, settings.max_message_size)?;
        let user_topic = message.topic().to_owned();
        let now = SystemTime::now();
        if message.unique_key().is_none() {
            message.set_unique_key(client.next_unique_id_at(now));
        }
        if let Some(ns) = client.config().namespace() {
            message.set_topic(client.with_namespace(&user_topic));
            message.properties_mut().insert(property::INSTANCE_ID, ns);
        }
        let mut sys_flag = SysFlag::EMPTY;
        let mut body = message.body().clone();
        if body.len() >= settings.compress_threshold {
            match settings
                .compression
                .compress(&body, settings.compress_level)
            {
                Ok(compressed) => {
                    body = Bytes::from(compressed);
                    sys_flag = sys_flag
                        .with(SysFlag::COMPRESSED)
                        .with(SysFlag::from_bits(settings.compression.flag_bits()));
                }
                // Java logs and sends the body as it is.
                Err(err) => tracing::warn!(%err, "compression failed; sending uncompressed"),
            }
        }
        if message.is_transaction_prepared() {
            sys_flag = sys_flag.with(SysFlag::TRANSACTION_PREPARED);
        }
        let (mut reconsume_times, mut max_reconsume_times) = (0, None);
        if message.topic().starts_with(RETRY_PREFIX) {
            let props = message.properties_mut();
            if let Some(n) = props.remove(property::RECONSUME_TIME) {
                reconsume_times = n.parse().unwrap_or(0);
            }
            if let Some(n) = props.remove(property::MAX_RECONSUME_TIMES) {
                max_reconsume_times = n.parse().ok();
            }
        }
        Ok(Outgoing {
            properties: message.properties().encode(),
            user_topic,
            body,
            sys_flag,
            batch: false,
            batch_ids: String::new(),
            reconsume_times,
            max_reconsume_times,
            born_millis: epoch_millis(now),
            message,
        })
    }

    /// Prepares a batch (Java `DefaultMQProducer.batch`): Java's batch rules, each message
    /// checked and given its unique id, the encoded batch within the size limit. Batches
    /// are never compressed.
    pub(crate) fn batch(
        client: &Client,
        settings: &Settings,
        mut messages: Vec<Message>,
    ) -> Result<Self> {
        check_batch(&messages)?;
        let now = SystemTime::now();
        let mut ids = Vec::with_capacity(messages.len());
        for message in &mut messages {
            check_message(message, settings.max_message_size)?;
            let id = match message.unique_key() {
                Some(id) => id.to_owned(),
                None => {
                    let id = client.next_unique_id_at(now);
                    message.set_unique_key(id.clone());
                    id
                }
            };
            ids.push(id);
        }
        let user_topic = messages
            .first()
            .map(|m| m.topic().to_owned())
            .unwrap_or_default();
        let wait = messages.first().is_none_or(Message::wait_store_msg_ok);
        let mut encoded = Vec::with_capacity(messages.iter().map(super::batch_entry_len).sum());
        encode_batch(&messages, &mut encoded)?;
        if encoded.len() > settings.max_message_size {
            return Err(crate::Error::TooLarge {
                what: "message batch",
                len: encoded.len(),
                max: settings.max_message_size,
            });
        }
        let body = Bytes::from(encoded);
        // The batch's own properties carry only `WAIT`, as Java 4.9.x writes them. Brokers
        // (4.9.x and 5.x) append the batch properties to every message's, and a later key
        // wins on decode: a batch-level `UNIQ_KEY` (Java 5.x sets one) would replace each
        // message's own id.
        let mut message = Message::new(client.with_namespace(&user_topic), body.clone());
        message.set_wait_store_msg_ok(wait);
        Ok(Outgoing {
            properties: message.properties().encode(),
            user_topic,
            body,
            sys_flag: SysFlag::EMPTY,
            batch: true,
            batch_ids: ids.join(","),
            reconsume_times: 0,
            max_reconsume_times: None,
            born_millis: epoch_millis(now),
            message,
        })
    }

    /// The id(s) the send result reports: the message's `UNIQ_KEY`, or for a batch its
    /// messages' ids, comma separated.
    pub(crate) fn msg_id(&self) -> &str {
        if self.batch {
            &self.batch_ids
        } else {
            self.message.unique_key().unwrap_or_default()
        }
    }

    /// Moves into `sent` what the result reports of the message itself, once the send is
    /// over: [`msg_id`](Self::msg_id) and the application's topic. Moved, not copied: they
    /// are the result's largest strings.
    pub(crate) fn complete(&mut self, sent: &mut SendResult) {
        sent.msg_id = if self.batch {
            std::mem::take(&mut self.batch_ids)
        } else {
            self.message
                .properties_mut()
                .remove(property::UNIQ_KEY)
                .unwrap_or_default()
        };
        sent.queue.topic = std::mem::take(&mut self.user_topic);
    }

    /// The namespaced topic.
    pub(crate) fn topic(&self) -> &str {
        self.message.topic()
    }

    /// The send request for `queue` (SEND_MESSAGE_V2, or SEND_BATCH_MESSAGE): what
    /// `SendMessageV2`/`SendBatchMessage` build from an owned header, written from the
    /// fields where they already live.
    pub(crate) fn command(
        &self,
        settings: &Settings,
        queue: &MessageQueue,
        born: i64,
    ) -> RemotingCommand {
        let header = SendMessageRequestHeaderV2Ref {
            producer_group: &settings.group,
            topic: self.topic(),
            default_topic: &settings.create_topic_key,
            default_topic_queue_nums: settings.default_topic_queue_nums,
            queue_id: queue.queue_id,
            sys_flag: self.sys_flag.bits(),
            born_timestamp: born,
            flag: self.message.flag(),
            properties: Some(&self.properties),
            reconsume_times: Some(self.reconsume_times),
            unit_mode: false,
            max_reconsume_times: self.max_reconsume_times,
            batch: self.batch,
            broker_name: Some(&queue.broker_name),
        };
        let code = if self.batch {
            SendBatchMessage::CODE
        } else {
            SendMessageV2::CODE
        };
        let mut command = RemotingCommand::request(code).with_body(self.body.clone());
        command.ext_fields = Some(header.to_ext_fields());
        command
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::header::SendMessageRequestHeaderV2;
    use crate::protocol::message::Properties;

    fn outgoing(batch: bool, max_reconsume_times: Option<i32>) -> Outgoing {
        let mut message = Message::new("%RETRY%ns%g", "body");
        message.set_unique_key("7F0000010001".to_owned());
        message.set_tags("tag\u{1}x");
        Outgoing {
            properties: message.properties().encode(),
            user_topic: "g".to_owned(),
            body: message.body().clone(),
            sys_flag: SysFlag::EMPTY.with(SysFlag::COMPRESSED),
            batch,
            batch_ids: if batch {
                "7F0000010001".to_owned()
            } else {
                String::new()
            },
            reconsume_times: 3,
            max_reconsume_times,
            born_millis: 0,
            message,
        }
    }

    #[test]
    fn command_is_what_the_owned_header_builds() {
        let settings = Settings {
            group: "ns%group".to_owned(),
            default_topic_queue_nums: 8,
            ..Settings::default()
        };
        let queue = MessageQueue {
            topic: "%RETRY%ns%g".to_owned(),
            broker_name: "broker-é".to_owned(),
            queue_id: 5,
        };
        for (batch, max) in [(false, None), (true, Some(16))] {
            let out = outgoing(batch, max);
            let header = SendMessageRequestHeaderV2 {
                producer_group: settings.group.clone(),
                topic: out.topic().to_owned(),
                default_topic: settings.create_topic_key.clone(),
                default_topic_queue_nums: 8,
                queue_id: 5,
                sys_flag: out.sys_flag.bits(),
                born_timestamp: -1_700_000_000_123,
                flag: out.message.flag(),
                properties: Some(out.properties.clone()),
                reconsume_times: Some(3),
                unit_mode: false,
                max_reconsume_times: max,
                batch,
                broker_name: Some(queue.broker_name.clone()),
            };
            let body = out.body.clone();
            let expected = if batch {
                SendBatchMessage { header, body }.to_command()
            } else {
                SendMessageV2 { header, body }.to_command()
            };
            let command = out.command(&settings, &queue, -1_700_000_000_123);
            assert_eq!(command, expected);
            assert_eq!(out.msg_id(), "7F0000010001");
            let mut out = out;
            let mut sent = SendResult {
                status: crate::protocol::request::SendStatus::SendOk,
                msg_id: String::new(),
                offset_msg_id: "offset".to_owned(),
                queue: MessageQueue {
                    topic: String::new(),
                    ..queue.clone()
                },
                queue_offset: 9,
                transaction_id: None,
                region_id: "DefaultRegion".to_owned(),
                trace_on: true,
                recall_handle: None,
            };
            out.complete(&mut sent);
            assert_eq!(sent.msg_id, "7F0000010001");
            assert_eq!(sent.queue.topic, "g");
            assert_eq!(
                Properties::decode(&out.properties).get(property::TAGS),
                Some("tag\u{1}x")
            );
        }
    }
}
