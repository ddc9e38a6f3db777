//! Subscription expressions (Java `MessageSelector`, `FilterAPI`, `SubscriptionData`).

use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::protocol::body::{ExpressionType, SubscriptionData};

/// What a consumer wants from a topic: a tag expression or an SQL-92 filter on message
/// properties (Java `MessageSelector.byTag` / `bySql`).
///
/// Tag expressions are `*` (everything) or tags joined by `||`; the broker filters by the
/// tags' hash codes and the client checks the tags again, as Java does. SQL-92 filters are
/// evaluated by the broker only (it needs `enablePropertyFilter=true`).
///
/// A plain string is a tag expression:
///
/// ```
/// use rocketmq::consumer::Expression;
///
/// assert_eq!(Expression::from("TagA || TagB"), Expression::tag("TagA || TagB"));
/// assert_eq!(Expression::sql("price > 10").as_str(), "price > 10");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Expression {
    /// `*` or `tagA || tagB`.
    Tag(String),
    /// An SQL-92 condition on the message's properties.
    Sql92(String),
}

impl Expression {
    /// Every message (`*`).
    pub fn all() -> Self {
        Expression::Tag("*".to_owned())
    }

    /// A tag expression; empty means every message.
    pub fn tag(expression: impl Into<String>) -> Self {
        Expression::Tag(expression.into())
    }

    /// An SQL-92 filter.
    pub fn sql(expression: impl Into<String>) -> Self {
        Expression::Sql92(expression.into())
    }

    /// The expression text.
    pub fn as_str(&self) -> &str {
        match self {
            Expression::Tag(s) | Expression::Sql92(s) => s,
        }
    }

    /// Java's name of the expression language (`TAG`, `SQL92`).
    pub fn kind(&self) -> ExpressionType {
        match self {
            Expression::Tag(_) => ExpressionType::Tag,
            Expression::Sql92(_) => ExpressionType::Sql92,
        }
    }

    /// The subscription Java builds for `topic` (`FilterAPI.build`): tags split and hashed
    /// for a tag expression, the SQL text as is otherwise; `sub_version` is the creation
    /// time in milliseconds, as Java sets it.
    pub fn subscription(&self, topic: &str) -> SubscriptionData {
        let version = now_millis();
        match self {
            Expression::Tag(expr) => SubscriptionData::tags(topic, expr, version),
            Expression::Sql92(expr) => SubscriptionData {
                topic: topic.to_owned(),
                sub_string: expr.clone(),
                sub_version: version,
                expression_type: ExpressionType::Sql92,
                ..SubscriptionData::default()
            },
        }
    }
}

impl Default for Expression {
    fn default() -> Self {
        Expression::all()
    }
}

impl From<&str> for Expression {
    fn from(expression: &str) -> Self {
        Expression::tag(expression)
    }
}

impl From<String> for Expression {
    fn from(expression: String) -> Self {
        Expression::Tag(expression)
    }
}

impl fmt::Display for Expression {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.kind(), self.as_str())
    }
}

/// Whether a message with `tags` passes the client-side check of `sub` (Java
/// `PullAPIWrapper.processPullResult`): subscriptions with a tag set keep only messages
/// whose tags are in it.
pub(crate) fn tags_match(sub: &SubscriptionData, tags: Option<&str>) -> bool {
    if sub.tags_set.is_empty() || sub.class_filter_mode {
        return true;
    }
    tags.is_some_and(|t| sub.tags_set.iter().any(|s| s == t))
}

/// Milliseconds since the epoch.
pub(crate) fn now_millis() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tag_and_sql_subscriptions() {
        let tag = Expression::from("TagA || TagB").subscription("t");
        assert_eq!(tag.tags_set, ["TagA", "TagB"]);
        assert_eq!(tag.expression_type, ExpressionType::Tag);
        assert!(tag.sub_version > 0);
        assert!(tags_match(&tag, Some("TagB")));
        assert!(!tags_match(&tag, Some("TagC")));
        assert!(!tags_match(&tag, None));
        let all = Expression::all().subscription("t");
        assert_eq!(all.sub_string, "*");
        assert!(tags_match(&all, None));
        let sql = Expression::sql("a > 1 AND b = 'x'").subscription("t");
        assert_eq!(sql.sub_string, "a > 1 AND b = 'x'");
        assert_eq!(sql.expression_type, ExpressionType::Sql92);
        assert!(sql.tags_set.is_empty() && sql.code_set.is_empty());
        // The broker filters SQL; the client lets everything through.
        assert!(tags_match(&sql, Some("any")));
        assert_eq!(Expression::sql("a").to_string(), "SQL92 a");
    }
}
