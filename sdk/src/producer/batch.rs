//! Batches: Java's rules for what may share one `SEND_BATCH_MESSAGE` (`MessageBatch`) and
//! a helper that splits a long list into batches under a size limit.

use crate::client::namespace::RETRY_PREFIX;
use crate::protocol::message::{Message, property};
use crate::{Error, Result};

/// Bytes a batch entry takes besides body and properties: total size, magic code, body
/// CRC, flag, body length (4 each) and properties length (2).
const ENTRY_OVERHEAD: usize = 4 * 5 + 2;
/// Bytes the unique id the producer adds takes in the properties when a message has none
/// (`UNIQ_KEY`, separators, and the id's hex for an IPv6 host, the longer form).
const UNIQ_KEY_OVERHEAD: usize = property::UNIQ_KEY.len() + 2 + 56;

/// Checks Java's batch rules: at least one message; one topic; no delay level; not a
/// retry topic; one `WAIT` setting.
pub(crate) fn check_batch(messages: &[Message]) -> Result<()> {
    let Some(first) = messages.first() else {
        return Err(Error::InvalidField {
            field: "message batch (empty)",
            value: String::new(),
        });
    };
    for message in messages {
        let refuse = |field| {
            Err(Error::InvalidField {
                field,
                value: message.topic().to_owned(),
            })
        };
        if message
            .delay_level()
            .ok()
            .flatten()
            .is_some_and(|level| level > 0)
        {
            return refuse("message batch (delay levels are not supported for batching)");
        }
        if message.topic().starts_with(RETRY_PREFIX) {
            return refuse("message batch (retry topics are not supported for batching)");
        }
        if message.topic() != first.topic() {
            return refuse("message batch (every message must have the batch's topic)");
        }
        if message.wait_store_msg_ok() != first.wait_store_msg_ok() {
            return refuse("message batch (every message must have the same WAIT setting)");
        }
    }
    Ok(())
}

/// The bytes `message` adds to an encoded batch once the producer has given it a unique
/// id (an upper bound when it has none yet).
pub fn batch_entry_len(message: &Message) -> usize {
    let uniq = if message.unique_key().is_some() {
        0
    } else {
        UNIQ_KEY_OVERHEAD
    };
    ENTRY_OVERHEAD + message.body().len() + message.properties().encoded_len() + uniq
}

/// Splits `messages` into consecutive batches whose encoded size stays within `max_bytes`
/// (Java's `ListSplitter` example, with exact entry sizes). A message larger than
/// `max_bytes` on its own gets a batch of its own, which the send then refuses with
/// [`Error::TooLarge`].
///
/// ```
/// use rocketmq::producer::split_batch;
/// use rocketmq::protocol::message::Message;
///
/// let messages: Vec<Message> = (0..100).map(|_| Message::new("t", vec![0u8; 1000])).collect();
/// let batches = split_batch(messages, 10_000);
/// assert!(batches.len() > 1);
/// assert_eq!(batches.iter().map(Vec::len).sum::<usize>(), 100);
/// ```
pub fn split_batch(messages: Vec<Message>, max_bytes: usize) -> Vec<Vec<Message>> {
    let mut batches = Vec::new();
    let mut current = Vec::new();
    let mut size = 0;
    for message in messages {
        let len = batch_entry_len(&message);
        if !current.is_empty() && size + len > max_bytes {
            batches.push(std::mem::take(&mut current));
            size = 0;
        }
        size += len;
        current.push(message);
    }
    if !current.is_empty() {
        batches.push(current);
    }
    batches
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::message::encode_batch;

    #[test]
    fn java_rules() {
        let m = |topic: &str| Message::new(topic, &b"x"[..]);
        assert!(check_batch(&[]).is_err());
        assert!(check_batch(&[m("a"), m("a")]).is_ok());
        assert!(check_batch(&[m("a"), m("b")]).is_err());
        assert!(check_batch(&[m("%RETRY%g")]).is_err());
        let mut delayed = m("a");
        delayed.set_delay_level(3);
        assert!(check_batch(&[m("a"), delayed]).is_err());
        let mut no_wait = m("a");
        no_wait.set_wait_store_msg_ok(false);
        assert!(check_batch(&[m("a"), no_wait]).is_err());
    }

    #[test]
    fn entry_len_is_exact_with_an_id() {
        let mut m = Message::new("t", vec![7u8; 33]);
        m.set_tags("tag");
        m.set_unique_key("7F0000010001000000000000000000AB");
        let mut out = Vec::new();
        encode_batch([&m], &mut out).unwrap();
        assert_eq!(batch_entry_len(&m), out.len());
        let fresh = Message::new("t", vec![7u8; 33]);
        assert!(batch_entry_len(&fresh) > 33 + ENTRY_OVERHEAD);
    }

    #[test]
    fn split_respects_limit_and_order() {
        let messages: Vec<Message> = (0..50u8)
            .map(|i| Message::new("t", vec![i; 100 + usize::from(i)]))
            .collect();
        let batches = split_batch(messages.clone(), 1_000);
        assert!(batches.len() > 5);
        for batch in &batches {
            let total: usize = batch.iter().map(batch_entry_len).sum();
            assert!(total <= 1_000 || batch.len() == 1);
        }
        let flat: Vec<Message> = batches.into_iter().flatten().collect();
        assert_eq!(flat, messages);
        let huge = split_batch(vec![Message::new("t", vec![0u8; 5_000])], 1_000);
        assert_eq!(huge.len(), 1);
        assert!(split_batch(Vec::new(), 10).is_empty());
    }
}
