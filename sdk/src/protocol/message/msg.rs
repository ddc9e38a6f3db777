//! [`Message`]: topic, flag, properties and body (Java `Message`).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;

use super::properties::Properties;
use super::property;
use crate::{Error, Result};

/// A message as a producer sends it and a consumer receives it.
///
/// System properties have typed accessors; other keys are user properties
/// ([`put_user_property`](Self::put_user_property)). [`properties`](Self::properties) gives raw
/// access for code that must set system keys (brokers, tools).
///
/// ```
/// use rocketmq::protocol::message::Message;
///
/// let mut msg = Message::new("orders", &b"hello"[..]);
/// msg.set_tags("created");
/// msg.set_keys(["order-1", "user-7"]);
/// msg.put_user_property("region", "eu")?;
/// assert_eq!(msg.keys().collect::<Vec<_>>(), ["order-1", "user-7"]);
/// # Ok::<(), rocketmq::Error>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Message {
    topic: String,
    flag: i32,
    properties: Properties,
    body: Bytes,
}

impl Message {
    /// A message for `topic` carrying `body`. Unlike Java's constructor it does not add
    /// `WAIT=true`: an absent `WAIT` means the same.
    pub fn new(topic: impl Into<String>, body: impl Into<Bytes>) -> Self {
        Message {
            topic: topic.into(),
            flag: 0,
            properties: Properties::new(),
            body: body.into(),
        }
    }

    /// Assembles a message from its parts.
    pub fn from_parts(
        topic: impl Into<String>,
        flag: i32,
        properties: Properties,
        body: impl Into<Bytes>,
    ) -> Self {
        Message {
            topic: topic.into(),
            flag,
            properties,
            body: body.into(),
        }
    }

    /// The topic.
    pub fn topic(&self) -> &str {
        &self.topic
    }

    /// Sets the topic.
    pub fn set_topic(&mut self, topic: impl Into<String>) {
        self.topic = topic.into();
    }

    /// The application-defined flag word (not the system flag).
    pub fn flag(&self) -> i32 {
        self.flag
    }

    /// Sets the application flag word.
    pub fn set_flag(&mut self, flag: i32) {
        self.flag = flag;
    }

    /// The body.
    pub fn body(&self) -> &Bytes {
        &self.body
    }

    /// Replaces the body.
    pub fn set_body(&mut self, body: impl Into<Bytes>) {
        self.body = body.into();
    }

    /// All properties, system and user.
    pub fn properties(&self) -> &Properties {
        &self.properties
    }

    /// Mutable access to all properties, including system keys.
    pub fn properties_mut(&mut self) -> &mut Properties {
        &mut self.properties
    }

    /// The value of any property.
    pub fn property(&self, key: &str) -> Option<&str> {
        self.properties.get(key)
    }

    /// Sets a user property. Like Java's `putUserProperty`, refuses system keys
    /// ([`property::SYSTEM_KEYS`]) and blank names or values; also refuses the wire separators
    /// `\u{1}`/`\u{2}`, which Java would let through and then lose.
    pub fn put_user_property(
        &mut self,
        key: impl Into<String>,
        value: impl Into<String>,
    ) -> Result<()> {
        let key = key.into();
        let value = value.into();
        if property::is_system_key(&key) {
            return Err(Error::InvalidField {
                field: "user property name (reserved by the system)",
                value: key,
            });
        }
        let bad = |s: &str, seps: &[char]| s.trim().is_empty() || s.contains(seps);
        if bad(&key, &['\u{1}', '\u{2}']) {
            return Err(Error::InvalidField {
                field: "user property name",
                value: key,
            });
        }
        if bad(&value, &['\u{2}']) {
            return Err(Error::InvalidField {
                field: "user property value",
                value,
            });
        }
        self.properties.insert(key, value);
        Ok(())
    }

    /// A user property (any key, as Java's `getUserProperty`).
    pub fn user_property(&self, key: &str) -> Option<&str> {
        self.properties.get(key)
    }

    /// The tag (`TAGS`).
    pub fn tags(&self) -> Option<&str> {
        self.property(property::TAGS)
    }

    /// Sets the tag.
    pub fn set_tags(&mut self, tags: impl Into<String>) {
        self.properties.insert(property::TAGS, tags);
    }

    /// The keys (`KEYS`, space separated), empty entries skipped.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.property(property::KEYS)
            .unwrap_or("")
            .split(property::KEY_SEPARATOR)
            .filter(|k| !k.is_empty())
    }

    /// Sets the keys, joined with a space (Java `setKeys(Collection)`).
    pub fn set_keys<I, S>(&mut self, keys: I)
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut joined = String::new();
        for (i, key) in keys.into_iter().enumerate() {
            if i > 0 {
                joined.push_str(property::KEY_SEPARATOR);
            }
            joined.push_str(key.as_ref());
        }
        self.properties.insert(property::KEYS, joined);
    }

    /// The delay level (`DELAY`); `None` when absent.
    pub fn delay_level(&self) -> Result<Option<i32>> {
        self.parsed(property::DELAY)
    }

    /// Sets the delay level (1-based index into the broker's `messageDelayLevel`).
    pub fn set_delay_level(&mut self, level: i32) {
        self.properties.insert(property::DELAY, level.to_string());
    }

    /// Whether the broker should answer only once the message is stored (`WAIT`); `true`
    /// when absent. Like Java's `Boolean.parseBoolean`, only `true` (any case) is true.
    pub fn wait_store_msg_ok(&self) -> bool {
        self.property(property::WAIT)
            .is_none_or(|v| v.eq_ignore_ascii_case("true"))
    }

    /// Sets `WAIT`.
    pub fn set_wait_store_msg_ok(&mut self, wait: bool) {
        self.properties.insert(property::WAIT, bool_str(wait));
    }

    /// The unique client message id (`UNIQ_KEY`), the id applications see.
    pub fn unique_key(&self) -> Option<&str> {
        self.property(property::UNIQ_KEY)
    }

    /// Sets `UNIQ_KEY`.
    pub fn set_unique_key(&mut self, id: impl Into<String>) {
        self.properties.insert(property::UNIQ_KEY, id);
    }

    /// Whether this is a transactional half message (`TRAN_MSG` is `true`).
    pub fn is_transaction_prepared(&self) -> bool {
        self.property(property::TRAN_MSG)
            .is_some_and(|v| v.eq_ignore_ascii_case("true"))
    }

    /// Sets or clears `TRAN_MSG`.
    pub fn set_transaction_prepared(&mut self, prepared: bool) {
        if prepared {
            self.properties.insert(property::TRAN_MSG, "true");
        } else {
            self.properties.remove(property::TRAN_MSG);
        }
    }

    /// The producer group (`PGROUP`).
    pub fn producer_group(&self) -> Option<&str> {
        self.property(property::PGROUP)
    }

    /// Sets `PGROUP`.
    pub fn set_producer_group(&mut self, group: impl Into<String>) {
        self.properties.insert(property::PGROUP, group);
    }

    /// The transaction id (`__transactionId__`, 5.x).
    pub fn transaction_id(&self) -> Option<&str> {
        self.property(property::TRANSACTION_ID)
    }

    /// How many times the message was consumed again (`RECONSUME_TIME`).
    pub fn reconsume_time(&self) -> Result<Option<i32>> {
        self.parsed(property::RECONSUME_TIME)
    }

    /// The retry limit the consumer group set (`MAX_RECONSUME_TIMES`).
    pub fn max_reconsume_times(&self) -> Result<Option<i32>> {
        self.parsed(property::MAX_RECONSUME_TIMES)
    }

    /// The message id of the original message of a retry (`ORIGIN_MESSAGE_ID`).
    pub fn origin_message_id(&self) -> Option<&str> {
        self.property(property::ORIGIN_MESSAGE_ID)
    }

    /// The original topic of a retried message (`RETRY_TOPIC`).
    pub fn retry_topic(&self) -> Option<&str> {
        self.property(property::RETRY_TOPIC)
    }

    /// The real topic of a delayed or half message (`REAL_TOPIC`).
    pub fn real_topic(&self) -> Option<&str> {
        self.property(property::REAL_TOPIC)
    }

    /// The real queue id of a delayed or half message (`REAL_QID`).
    pub fn real_queue_id(&self) -> Result<Option<i32>> {
        self.parsed(property::REAL_QID)
    }

    /// Queue min offset the broker added to a pulled message (`MIN_OFFSET`).
    pub fn min_offset(&self) -> Result<Option<i64>> {
        self.parsed(property::MIN_OFFSET)
    }

    /// Queue max offset the broker added to a pulled message (`MAX_OFFSET`).
    pub fn max_offset(&self) -> Result<Option<i64>> {
        self.parsed(property::MAX_OFFSET)
    }

    /// Delay for the 5.x timer (`TIMER_DELAY_MS`, else `TIMER_DELAY_SEC`).
    pub fn timer_delay(&self) -> Result<Option<Duration>> {
        if let Some(ms) = self.parsed::<u64>(property::TIMER_DELAY_MS)? {
            return Ok(Some(Duration::from_millis(ms)));
        }
        Ok(self
            .parsed::<u64>(property::TIMER_DELAY_SEC)?
            .map(Duration::from_secs))
    }

    /// Sets a delay for the 5.x timer: `TIMER_DELAY_SEC` when it is whole seconds (as Java's
    /// `setDelayTimeSec`), else `TIMER_DELAY_MS`.
    pub fn set_timer_delay(&mut self, delay: Duration) {
        if delay.subsec_millis() == 0 {
            self.properties
                .insert(property::TIMER_DELAY_SEC, delay.as_secs().to_string());
        } else {
            self.properties
                .insert(property::TIMER_DELAY_MS, delay.as_millis().to_string());
        }
    }

    /// Delivery time for the 5.x timer (`TIMER_DELIVER_MS`).
    pub fn deliver_time(&self) -> Result<Option<SystemTime>> {
        Ok(self
            .parsed::<u64>(property::TIMER_DELIVER_MS)?
            .map(|ms| UNIX_EPOCH + Duration::from_millis(ms)))
    }

    /// Sets the delivery time (`TIMER_DELIVER_MS`, epoch millis; earlier than 1970 is 0).
    pub fn set_deliver_time(&mut self, at: SystemTime) {
        let ms = at
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_millis();
        self.properties
            .insert(property::TIMER_DELIVER_MS, ms.to_string());
    }

    /// Request-reply correlation id (`CORRELATION_ID`).
    pub fn correlation_id(&self) -> Option<&str> {
        self.property(property::CORRELATION_ID)
    }

    /// Client id a reply goes to (`REPLY_TO_CLIENT`).
    pub fn reply_to_client(&self) -> Option<&str> {
        self.property(property::REPLY_TO_CLIENT)
    }

    /// Request time-to-live (`TTL`, millis).
    pub fn request_ttl(&self) -> Result<Option<Duration>> {
        Ok(self
            .parsed::<u64>(property::TTL)?
            .map(Duration::from_millis))
    }

    /// Message type (`MSG_TYPE`, e.g. `reply`).
    pub fn message_type(&self) -> Option<&str> {
        self.property(property::MSG_TYPE)
    }

    /// Cluster of a request (`CLUSTER`).
    pub fn cluster(&self) -> Option<&str> {
        self.property(property::CLUSTER)
    }

    /// When the consumer started on this message (`CONSUME_START_TIME`, epoch millis).
    pub fn consume_start_time(&self) -> Result<Option<SystemTime>> {
        Ok(self
            .parsed::<u64>(property::CONSUME_START_TIME)?
            .map(|ms| UNIX_EPOCH + Duration::from_millis(ms)))
    }

    /// Instance id (`INSTANCE_ID`).
    pub fn instance_id(&self) -> Option<&str> {
        self.property(property::INSTANCE_ID)
    }

    /// Buyer id (`BUYER_ID`).
    pub fn buyer_id(&self) -> Option<&str> {
        self.property(property::BUYER_ID)
    }

    fn parsed<T: std::str::FromStr>(&self, key: &'static str) -> Result<Option<T>> {
        match self.property(key) {
            None => Ok(None),
            Some(v) => v.parse().map(Some).map_err(|_| Error::InvalidField {
                field: key,
                value: v.to_owned(),
            }),
        }
    }
}

fn bool_str(b: bool) -> &'static str {
    if b { "true" } else { "false" }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_accessors() -> Result<()> {
        let mut m = Message::new("T", &b"x"[..]);
        assert!(m.wait_store_msg_ok());
        m.set_wait_store_msg_ok(false);
        assert_eq!(m.property("WAIT"), Some("false"));
        assert!(!m.wait_store_msg_ok());
        m.set_delay_level(3);
        assert_eq!(m.delay_level()?, Some(3));
        m.set_keys(["a", "b"]);
        assert_eq!(m.property("KEYS"), Some("a b"));
        m.properties_mut().insert("KEYS", " a  b ");
        assert_eq!(m.keys().collect::<Vec<_>>(), ["a", "b"]);
        m.set_timer_delay(Duration::from_secs(10));
        assert_eq!(m.property("TIMER_DELAY_SEC"), Some("10"));
        assert_eq!(m.timer_delay()?, Some(Duration::from_secs(10)));
        m.set_timer_delay(Duration::from_millis(1500));
        assert_eq!(m.timer_delay()?, Some(Duration::from_millis(1500)));
        m.set_deliver_time(UNIX_EPOCH + Duration::from_millis(1_700_000_000_123));
        assert_eq!(m.property("TIMER_DELIVER_MS"), Some("1700000000123"));
        m.set_transaction_prepared(true);
        assert!(m.is_transaction_prepared());
        m.properties_mut().insert("RECONSUME_TIME", "x");
        assert!(matches!(
            m.reconsume_time(),
            Err(Error::InvalidField { .. })
        ));
        Ok(())
    }

    #[test]
    fn user_properties_are_checked() {
        let mut m = Message::new("T", Bytes::new());
        assert!(m.put_user_property("TAGS", "x").is_err());
        assert!(m.put_user_property("__CRC32#", "x").is_err());
        assert!(m.put_user_property(" ", "x").is_err());
        assert!(m.put_user_property("k", " ").is_err());
        assert!(m.put_user_property("k\u{1}", "v").is_err());
        assert!(m.put_user_property("k", "v\u{2}").is_err());
        assert!(m.put_user_property("k", "v\u{1}w").is_ok());
        assert_eq!(m.user_property("k"), Some("v\u{1}w"));
    }
}
