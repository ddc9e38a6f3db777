//! Client-side checks before a send (Java `Validators`).

use crate::client::namespace::NOT_ALLOWED_SEND_TOPICS;
use crate::protocol::message::{Message, property};
use crate::{Error, Result};

/// Longest topic name (`TOPIC_MAX_LENGTH`).
pub const TOPIC_MAX_LEN: usize = 127;
/// Longest group name (`CHARACTER_MAX_LENGTH`).
pub const GROUP_MAX_LEN: usize = 255;

/// Whether every character is one of `%|a-zA-Z0-9_-` (Java `isTopicOrGroupIllegal`).
fn legal_chars(name: &str) -> bool {
    name.bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'%' | b'|' | b'_' | b'-'))
}

/// Checks a topic name: not blank, at most 127 characters, only `%|a-zA-Z0-9_-`, and not
/// a topic producers may not send to.
pub fn check_topic(topic: &str) -> Result<()> {
    let invalid = |field| {
        Err(Error::InvalidField {
            field,
            value: topic.to_owned(),
        })
    };
    if topic.trim().is_empty() {
        return invalid("topic (blank)");
    }
    if topic.len() > TOPIC_MAX_LEN {
        return invalid("topic (longer than 127 characters)");
    }
    if !legal_chars(topic) {
        return invalid("topic (allowed characters: %|a-zA-Z0-9_-)");
    }
    if NOT_ALLOWED_SEND_TOPICS.contains(&topic) {
        return invalid("topic (sending to this system topic is forbidden)");
    }
    Ok(())
}

/// Checks a group name: not blank, at most 255 characters, only `%|a-zA-Z0-9_-`.
pub fn check_group(group: &str) -> Result<()> {
    let invalid = |field| {
        Err(Error::InvalidField {
            field,
            value: group.to_owned(),
        })
    };
    if group.trim().is_empty() {
        return invalid("group (blank)");
    }
    if group.len() > GROUP_MAX_LEN {
        return invalid("group (longer than 255 characters)");
    }
    if !legal_chars(group) {
        return invalid("group (allowed characters: %|a-zA-Z0-9_-)");
    }
    Ok(())
}

/// Checks a message before sending (Java `Validators.checkMessage`): its topic, a body
/// that is not empty and at most `max_body` bytes ([`Error::TooLarge`] otherwise), and no
/// `/` in the light-queue dispatch property.
pub fn check_message(message: &Message, max_body: usize) -> Result<()> {
    check_topic(message.topic())?;
    let len = message.body().len();
    if len == 0 {
        return Err(Error::InvalidField {
            field: "message body (empty)",
            value: String::new(),
        });
    }
    if len > max_body {
        return Err(Error::TooLarge {
            what: "message body",
            len,
            max: max_body,
        });
    }
    if let Some(lmq) = message.property(property::INNER_MULTI_DISPATCH)
        && lmq.contains('/')
    {
        return Err(Error::InvalidField {
            field: property::INNER_MULTI_DISPATCH,
            value: lmq.to_owned(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topics_and_groups() {
        assert!(check_topic("Orders_1-a%b|c").is_ok());
        assert!(check_topic(" ").is_err());
        assert!(check_topic("a.b").is_err());
        assert!(check_topic(&"t".repeat(128)).is_err());
        assert!(check_topic(&"t".repeat(127)).is_ok());
        assert!(check_topic("SCHEDULE_TOPIC_XXXX").is_err());
        assert!(check_topic("TBW102").is_ok());
        assert!(check_group("pg").is_ok());
        assert!(check_group("").is_err());
        assert!(check_group("p g").is_err());
        assert!(check_group(&"g".repeat(256)).is_err());
    }

    #[test]
    fn messages() {
        let ok = Message::new("t", &b"x"[..]);
        assert!(check_message(&ok, 1).is_ok());
        assert!(matches!(
            check_message(&Message::new("t", &b"xy"[..]), 1),
            Err(Error::TooLarge { len: 2, max: 1, .. })
        ));
        assert!(check_message(&Message::new("t", &b""[..]), 10).is_err());
        let mut lmq = ok.clone();
        lmq.properties_mut()
            .insert(property::INNER_MULTI_DISPATCH, "a/b");
        assert!(check_message(&lmq, 10).is_err());
    }
}
