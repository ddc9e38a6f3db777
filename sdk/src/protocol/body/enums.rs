//! Java enums that bodies carry by name (fastjson's `WriteEnumUsingName`).
//!
//! Each keeps names it does not know in an `Unknown` variant, so a body from a newer Java
//! peer still reads, and writes the name back unchanged.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

macro_rules! java_enum {
    (
        $(#[$meta:meta])*
        $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $java:literal, )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )*
            /// A name this crate does not know (a newer Java may add values); written back as is.
            Unknown(String),
        }

        impl $name {
            /// The Java name.
            pub fn as_str(&self) -> &str {
                match self {
                    $( Self::$variant => $java, )*
                    Self::Unknown(name) => name,
                }
            }

            /// The value for a Java name; unknown names are kept in [`Self::Unknown`].
            pub fn from_name(name: &str) -> Self {
                match name {
                    $( $java => Self::$variant, )*
                    other => Self::Unknown(other.to_owned()),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let name = String::deserialize(d)?;
                Ok(Self::from_name(&name))
            }
        }
    };
}

java_enum! {
    /// How a consumer gets messages (Java `ConsumeType`).
    ConsumeType {
        /// `CONSUME_ACTIVELY`: pull consumer.
        Pull = "CONSUME_ACTIVELY",
        /// `CONSUME_PASSIVELY`: push consumer.
        Push = "CONSUME_PASSIVELY",
        /// `CONSUME_POP`: pop consumer (5.x).
        Pop = "CONSUME_POP",
    }
}

java_enum! {
    /// Whether a group shares or each member receives every message (Java `MessageModel`).
    MessageModel {
        /// `BROADCASTING`: every consumer gets every message.
        Broadcasting = "BROADCASTING",
        /// `CLUSTERING`: the group shares the queues.
        Clustering = "CLUSTERING",
    }
}

java_enum! {
    /// Where a new consumer group starts (Java `ConsumeFromWhere`).
    ConsumeFromWhere {
        /// `CONSUME_FROM_LAST_OFFSET`.
        LastOffset = "CONSUME_FROM_LAST_OFFSET",
        /// `CONSUME_FROM_LAST_OFFSET_AND_FROM_MIN_WHEN_BOOT_FIRST` (deprecated in Java).
        LastOffsetAndFromMinWhenBootFirst = "CONSUME_FROM_LAST_OFFSET_AND_FROM_MIN_WHEN_BOOT_FIRST",
        /// `CONSUME_FROM_MIN_OFFSET` (deprecated in Java).
        MinOffset = "CONSUME_FROM_MIN_OFFSET",
        /// `CONSUME_FROM_MAX_OFFSET` (deprecated in Java).
        MaxOffset = "CONSUME_FROM_MAX_OFFSET",
        /// `CONSUME_FROM_FIRST_OFFSET`.
        FirstOffset = "CONSUME_FROM_FIRST_OFFSET",
        /// `CONSUME_FROM_TIMESTAMP`.
        Timestamp = "CONSUME_FROM_TIMESTAMP",
    }
}

java_enum! {
    /// The language of a subscription expression (Java `ExpressionType` string constants).
    ExpressionType {
        /// `TAG`: `tagA || tagB` or `*`.
        Tag = "TAG",
        /// `SQL92`: an SQL-92 filter on properties.
        Sql92 = "SQL92",
    }
}

impl Default for ExpressionType {
    /// `TAG`, Java's default.
    fn default() -> Self {
        ExpressionType::Tag
    }
}

java_enum! {
    /// Java `TopicFilterType`.
    TopicFilterType {
        /// `SINGLE_TAG` (the default).
        SingleTag = "SINGLE_TAG",
        /// `MULTI_TAG`.
        MultiTag = "MULTI_TAG",
    }
}

impl Default for TopicFilterType {
    /// `SINGLE_TAG`, Java's default.
    fn default() -> Self {
        TopicFilterType::SingleTag
    }
}

java_enum! {
    /// Java `GroupRetryPolicyType` (5.x).
    GroupRetryPolicyType {
        /// `EXPONENTIAL`.
        Exponential = "EXPONENTIAL",
        /// `CUSTOMIZED` (the default).
        Customized = "CUSTOMIZED",
    }
}

impl Default for GroupRetryPolicyType {
    /// `CUSTOMIZED`, Java's default.
    fn default() -> Self {
        GroupRetryPolicyType::Customized
    }
}

/// serde helpers for [`crate::protocol::LanguageCode`] by Java name.
pub(crate) mod language {
    use serde::{Deserialize, Deserializer, Serializer};

    use crate::protocol::LanguageCode;

    /// Writes the Java name; a code without a name writes `null` (the field is left out).
    pub(crate) fn serialize<S: Serializer>(
        code: &Option<LanguageCode>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        match code.and_then(LanguageCode::name) {
            Some(name) => s.serialize_str(name),
            None => s.serialize_none(),
        }
    }

    /// Reads a Java name; a name this crate does not know reads as `None`.
    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<LanguageCode>, D::Error> {
        let name = Option::<String>::deserialize(d)?;
        Ok(name.as_deref().and_then(LanguageCode::from_name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::json::{from_slice, to_vec};

    #[test]
    fn names_round_trip_and_unknown_is_kept() {
        let v: Vec<ConsumeType> = from_slice(
            br#"["CONSUME_ACTIVELY","CONSUME_PASSIVELY","CONSUME_POP","CONSUME_LATER"]"#,
        )
        .unwrap();
        assert_eq!(
            v,
            [
                ConsumeType::Pull,
                ConsumeType::Push,
                ConsumeType::Pop,
                ConsumeType::Unknown("CONSUME_LATER".into())
            ]
        );
        assert_eq!(
            to_vec(&v).unwrap(),
            br#"["CONSUME_ACTIVELY","CONSUME_PASSIVELY","CONSUME_POP","CONSUME_LATER"]"#
        );
        assert_eq!(ExpressionType::from_name("SQL92"), ExpressionType::Sql92);
        assert_eq!(ExpressionType::default().as_str(), "TAG");
        assert_eq!(
            ConsumeFromWhere::Timestamp.to_string(),
            "CONSUME_FROM_TIMESTAMP"
        );
        assert!(from_slice::<MessageModel>(b"1").is_ok()); // a number reads as its text
        assert!(from_slice::<MessageModel>(b"[]").is_err());
    }
}
