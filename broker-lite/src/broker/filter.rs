//! Subscription filters for pulls (Java `ExpressionMessageFilter`, `FilterAPI`,
//! `ConsumerFilterManager`) and CHECK_CLIENT_CONFIG (Java
//! `ClientManageProcessor.checkClientConfig`).
//!
//! A [`MessageFilter`] is built from a subscription — the pull header's
//! `subscription`/`expressionType` or the subscription the group registered by heartbeat —
//! and then decides in two steps, as Java's store does:
//! * [`MessageFilter::matches_tag_hash`] per consume-queue entry: a TAG subscription keeps
//!   the entries whose tag hash is one of its tags' hashes (`*` keeps all);
//! * [`MessageFilter::matches_properties`] per message read from the commit log: an SQL92
//!   subscription evaluates its selector over the message's properties (see [`sql`]).
//!
//! How a failure to build answers a pull (Java `PullMessageProcessor`): from the pull
//! header, SUBSCRIPTION_PARSE_FAILED "parse the consumer's subscription failed"; from the
//! registered subscription, FILTER_DATA_NOT_EXIST; SQL92 while `enable_property_filter` is
//! off, SYSTEM_ERROR "The broker does not support consumer to filter message by SQL92".
//! [`FilterError::pull_response`] builds these.

mod sql;

use std::sync::Arc;

use rocketmq::protocol::body::{ExpressionType, SubscriptionData};
use rocketmq::protocol::json::JsonBody;
use rocketmq::protocol::message::Properties;
use rocketmq::protocol::{RemotingCommand, ResponseCode};
use rocketmq::remoting::RequestContext;
use serde::{Deserialize, Serialize};

pub(crate) use sql::Selector;

use super::{Reply, State};

/// A compiled subscription.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum MessageFilter {
    /// Everything matches (`*`, an empty expression, class-filter mode).
    All,
    /// A TAG expression: the Java hash codes of its tags.
    Tags(Arc<[i32]>),
    /// An SQL92 selector over message properties.
    Sql(Arc<Selector>),
}

/// Why a subscription cannot be used.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum FilterError {
    /// The SQL92 expression (or an unknown expression type) does not compile.
    Parse(String),
    /// SQL92 while the broker's `enable_property_filter` is off.
    Disabled(String),
}

impl FilterError {
    /// The response Java's pull processor gives: `from_header` when the subscription came
    /// with the pull request, otherwise it was the group's registered one.
    pub(crate) fn pull_response(&self, from_header: bool) -> RemotingCommand {
        match self {
            FilterError::Disabled(kind) => RemotingCommand::error_response(
                ResponseCode::SYSTEM_ERROR,
                format!("The broker does not support consumer to filter message by {kind}"),
            ),
            FilterError::Parse(_) if from_header => RemotingCommand::error_response(
                ResponseCode::SUBSCRIPTION_PARSE_FAILED,
                "parse the consumer's subscription failed",
            ),
            FilterError::Parse(_) => RemotingCommand::error_response(
                ResponseCode::FILTER_DATA_NOT_EXIST,
                "The broker's consumer filter data is not exist!Your expression may be wrong!",
            ),
        }
    }
}

impl MessageFilter {
    /// Builds the filter of a subscription (registered by heartbeat, or from a pull via
    /// [`subscription_of_pull`]). `property_filter` is the broker's
    /// `enable_property_filter`.
    pub(crate) fn build(
        sub: &SubscriptionData,
        property_filter: bool,
    ) -> Result<MessageFilter, FilterError> {
        if sub.class_filter_mode {
            return Ok(MessageFilter::All);
        }
        match &sub.expression_type {
            ExpressionType::Tag => {
                if sub.sub_string.is_empty() || sub.sub_string == "*" {
                    Ok(MessageFilter::All)
                } else {
                    Ok(MessageFilter::Tags(sub.code_set.as_slice().into()))
                }
            }
            ExpressionType::Sql92 => {
                if !property_filter {
                    return Err(FilterError::Disabled("SQL92".into()));
                }
                let selector = Selector::parse(&sub.sub_string)
                    .map_err(|e| FilterError::Parse(e.to_string()))?;
                Ok(MessageFilter::Sql(Arc::new(selector)))
            }
            other => Err(FilterError::Parse(format!(
                "unknown expression type {}",
                other.as_str()
            ))),
        }
    }

    /// Whether a consume-queue entry with this tag hash may match (Java
    /// `isMatchedByConsumeQueue`; SQL92 is decided on the message).
    pub(crate) fn matches_tag_hash(&self, tag_hash: i64) -> bool {
        match self {
            MessageFilter::All | MessageFilter::Sql(_) => true,
            // Java compares the int value of the stored long.
            #[allow(clippy::cast_possible_truncation)]
            MessageFilter::Tags(codes) => codes.contains(&(tag_hash as i32)),
        }
    }

    /// Whether the message must be decoded to decide ([`matches_properties`] always says
    /// yes otherwise).
    ///
    /// [`matches_properties`]: Self::matches_properties
    pub(crate) fn needs_properties(&self) -> bool {
        matches!(self, MessageFilter::Sql(_))
    }

    /// Whether a message with these properties matches (Java `isMatchedByCommitLog`).
    pub(crate) fn matches_properties(&self, properties: &Properties) -> bool {
        match self {
            MessageFilter::Sql(selector) => selector.matches(|name| properties.get(name)),
            _ => true,
        }
    }
}

/// The subscription a pull carries in its header (Java `FilterAPI.build`): TAG when the
/// type is absent.
pub(crate) fn subscription_of_pull(
    topic: &str,
    expression: &str,
    expression_type: Option<&str>,
    sub_version: i64,
) -> SubscriptionData {
    match expression_type.map(ExpressionType::from_name) {
        None | Some(ExpressionType::Tag) => SubscriptionData::tags(topic, expression, sub_version),
        Some(kind) => SubscriptionData {
            topic: topic.to_owned(),
            sub_string: expression.to_owned(),
            sub_version,
            expression_type: kind,
            ..SubscriptionData::default()
        },
    }
}

/// Java `CheckClientRequestBody`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct CheckClientRequest {
    client_id: String,
    group: String,
    subscription_data: Option<SubscriptionData>,
}

impl JsonBody for CheckClientRequest {}

/// CHECK_CLIENT_CONFIG: a consumer asks whether its subscription expression compiles here.
pub(super) async fn check_client_config(
    state: std::sync::Arc<State>,
    _ctx: RequestContext,
    request: RemotingCommand,
) -> Reply {
    let body = CheckClientRequest::from_json(&request.body)?;
    let Some(sub) = body.subscription_data else {
        return Ok(Some(RemotingCommand::response(ResponseCode::SUCCESS)));
    };
    let response = match MessageFilter::build(&sub, state.config().enable_property_filter) {
        Ok(_) => RemotingCommand::response(ResponseCode::SUCCESS),
        Err(FilterError::Disabled(kind)) => RemotingCommand::error_response(
            ResponseCode::SYSTEM_ERROR,
            format!("The broker does not support consumer to filter message by {kind}"),
        ),
        Err(FilterError::Parse(reason)) => {
            tracing::warn!(client = %body.client_id, group = %body.group, sub = %sub.sub_string,
                "subscription expression does not compile: {reason}");
            RemotingCommand::error_response(ResponseCode::SUBSCRIPTION_PARSE_FAILED, reason)
        }
    };
    Ok(Some(response))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tag_hash(s: &str) -> i64 {
        crate::store::tag_hash(s)
    }

    #[test]
    fn tag_filters() {
        let all = MessageFilter::build(&subscription_of_pull("t", "*", None, 1), false).unwrap();
        assert_eq!(all, MessageFilter::All);
        assert!(all.matches_tag_hash(12345));
        let ab = MessageFilter::build(&subscription_of_pull("t", "a || b", Some("TAG"), 1), false)
            .unwrap();
        assert!(ab.matches_tag_hash(tag_hash("a")));
        assert!(ab.matches_tag_hash(tag_hash("b")));
        assert!(!ab.matches_tag_hash(tag_hash("c")));
        assert!(!ab.matches_tag_hash(0), "a message without tags");
        assert!(!ab.needs_properties());
        assert!(ab.matches_properties(&Properties::new()));
    }

    #[test]
    fn sql_filters_and_errors() {
        let sub = subscription_of_pull("t", "a > 1 AND TAGS = 'x'", Some("SQL92"), 1);
        let f = MessageFilter::build(&sub, true).unwrap();
        assert!(f.needs_properties());
        assert!(f.matches_tag_hash(99));
        let mut p = Properties::new();
        p.insert("a", "2");
        p.insert("TAGS", "x");
        assert!(f.matches_properties(&p));
        p.insert("a", "1");
        assert!(!f.matches_properties(&p));

        assert_eq!(
            MessageFilter::build(&sub, false),
            Err(FilterError::Disabled("SQL92".into()))
        );
        let bad = subscription_of_pull("t", "a >", Some("SQL92"), 1);
        let err = MessageFilter::build(&bad, true).unwrap_err();
        assert_eq!(
            err.pull_response(true).code,
            ResponseCode::SUBSCRIPTION_PARSE_FAILED.0
        );
        assert_eq!(
            err.pull_response(false).code,
            ResponseCode::FILTER_DATA_NOT_EXIST.0
        );
        let odd = subscription_of_pull("t", "x", Some("GROOVY"), 1);
        assert!(matches!(
            MessageFilter::build(&odd, true),
            Err(FilterError::Parse(_))
        ));
    }
}
