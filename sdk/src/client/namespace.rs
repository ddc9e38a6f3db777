//! Namespaces: topics and groups wrapped as `<namespace>%<resource>` (Java
//! `NamespaceUtil`), with the retry and dead-letter prefixes kept in front
//! (`%RETRY%<namespace>%<group>`). System topics and system consumer groups are never
//! wrapped.

/// Separates a namespace from the resource it wraps.
pub const NAMESPACE_SEPARATOR: char = '%';
/// Prefix of a consumer group's retry topic (`MixAll.RETRY_GROUP_TOPIC_PREFIX`).
pub const RETRY_PREFIX: &str = "%RETRY%";
/// Prefix of a consumer group's dead-letter topic (`MixAll.DLQ_GROUP_TOPIC_PREFIX`).
pub const DLQ_PREFIX: &str = "%DLQ%";
/// Prefix of system consumer groups (`MixAll.CID_RMQ_SYS_PREFIX`).
pub const SYSTEM_GROUP_PREFIX: &str = "CID_RMQ_SYS_";
/// Prefix of system topics (`TopicValidator.SYSTEM_TOPIC_PREFIX`).
pub const SYSTEM_TOPIC_PREFIX: &str = "rmq_sys_";

/// The topics Java treats as system topics (`TopicValidator.SYSTEM_TOPIC_SET`, 4.9.8 and
/// 5.3.3 together).
pub const SYSTEM_TOPICS: &[&str] = &[
    "TBW102",
    "SCHEDULE_TOPIC_XXXX",
    "BenchmarkTest",
    "RMQ_SYS_TRANS_HALF_TOPIC",
    "RMQ_SYS_TRACE_TOPIC",
    "RMQ_SYS_TRANS_OP_HALF_TOPIC",
    "TRANS_CHECK_MAX_TIME_TOPIC",
    "SELF_TEST_TOPIC",
    "OFFSET_MOVED_EVENT",
    "CHECKPOINT_TOPIC",
];

/// Topics producers may not send to (`TopicValidator.NOT_ALLOWED_SEND_TOPIC_SET`).
pub const NOT_ALLOWED_SEND_TOPICS: &[&str] = &[
    "SCHEDULE_TOPIC_XXXX",
    "RMQ_SYS_TRANS_HALF_TOPIC",
    "RMQ_SYS_TRANS_OP_HALF_TOPIC",
    "TRANS_CHECK_MAX_TIME_TOPIC",
    "SELF_TEST_TOPIC",
    "OFFSET_MOVED_EVENT",
];

/// Whether `topic` is a system topic (a fixed name, or the `rmq_sys_` prefix).
pub fn is_system_topic(topic: &str) -> bool {
    SYSTEM_TOPICS.contains(&topic) || topic.starts_with(SYSTEM_TOPIC_PREFIX)
}

/// Whether `resource` is a system topic or a system consumer group, which are never
/// wrapped.
fn is_system_resource(resource: &str) -> bool {
    !resource.is_empty() && (is_system_topic(resource) || resource.starts_with(SYSTEM_GROUP_PREFIX))
}

/// `resource` without its retry or dead-letter prefix, and that prefix.
fn split_prefix(resource: &str) -> (&'static str, &str) {
    if let Some(rest) = resource.strip_prefix(RETRY_PREFIX) {
        (RETRY_PREFIX, rest)
    } else if let Some(rest) = resource.strip_prefix(DLQ_PREFIX) {
        (DLQ_PREFIX, rest)
    } else {
        ("", resource)
    }
}

/// Wraps `resource` in `namespace` (Java `wrapNamespace`).
///
/// Unchanged when the namespace or resource is empty, for system resources, and when the
/// resource already carries this namespace.
///
/// ```
/// use rocketmq::client::namespace::{unwrap, wrap};
///
/// assert_eq!(wrap("ns", "orders"), "ns%orders");
/// assert_eq!(wrap("ns", "%RETRY%group"), "%RETRY%ns%group");
/// assert_eq!(wrap("ns", "ns%orders"), "ns%orders");
/// assert_eq!(wrap("ns", "TBW102"), "TBW102");
/// assert_eq!(unwrap("ns", "%RETRY%ns%group"), "%RETRY%group");
/// ```
pub fn wrap(namespace: &str, resource: &str) -> String {
    if namespace.is_empty()
        || resource.is_empty()
        || is_system_resource(resource)
        || has_namespace(namespace, resource)
    {
        return resource.to_owned();
    }
    let (prefix, rest) = split_prefix(resource);
    let mut out = String::with_capacity(resource.len() + namespace.len() + 1);
    out.push_str(prefix);
    out.push_str(namespace);
    out.push(NAMESPACE_SEPARATOR);
    out.push_str(rest);
    out
}

/// Whether `resource` already carries `namespace` (Java `isAlreadyWithNamespace`).
pub fn has_namespace(namespace: &str, resource: &str) -> bool {
    if namespace.is_empty() || resource.is_empty() || is_system_resource(resource) {
        return false;
    }
    let (_, rest) = split_prefix(resource);
    rest.strip_prefix(namespace)
        .is_some_and(|r| r.starts_with(NAMESPACE_SEPARATOR))
}

/// Removes `namespace` from `resource` when it carries exactly that namespace (Java
/// `withoutNamespace(resource, namespace)`); anything else is returned unchanged.
pub fn unwrap(namespace: &str, resource: &str) -> String {
    if namespace.is_empty() || !has_namespace(namespace, resource) {
        return resource.to_owned();
    }
    let (prefix, rest) = split_prefix(resource);
    let without = &rest[namespace.len() + NAMESPACE_SEPARATOR.len_utf8()..];
    format!("{prefix}{without}")
}

/// The namespace `resource` carries, if any (Java `getNamespaceFromResource`): the part
/// before the first `%` after any retry or dead-letter prefix.
pub fn namespace_of(resource: &str) -> Option<&str> {
    if resource.is_empty() || is_system_resource(resource) {
        return None;
    }
    let (_, rest) = split_prefix(resource);
    match rest.find(NAMESPACE_SEPARATOR) {
        Some(index) if index > 0 => Some(&rest[..index]),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrap_follows_java() {
        assert_eq!(wrap("", "t"), "t");
        assert_eq!(wrap("ns", ""), "");
        assert_eq!(wrap("ns", "t"), "ns%t");
        assert_eq!(wrap("ns", "%DLQ%g"), "%DLQ%ns%g");
        assert_eq!(wrap("ns", "%RETRY%ns%g"), "%RETRY%ns%g");
        assert_eq!(wrap("ns", "rmq_sys_x"), "rmq_sys_x");
        assert_eq!(wrap("ns", "CID_RMQ_SYS_g"), "CID_RMQ_SYS_g");
        assert_eq!(
            wrap("ns", "RMQ_SYS_TRANS_HALF_TOPIC"),
            "RMQ_SYS_TRANS_HALF_TOPIC"
        );
        // Another namespace is wrapped again, as Java does.
        assert_eq!(wrap("ns", "other%t"), "ns%other%t");
        // A namespace that is only a prefix of another is not the same namespace.
        assert_eq!(wrap("ns", "nsx%t"), "ns%nsx%t");
    }

    #[test]
    fn unwrap_follows_java() {
        assert_eq!(unwrap("ns", "ns%t"), "t");
        assert_eq!(unwrap("ns", "%RETRY%ns%g"), "%RETRY%g");
        assert_eq!(unwrap("ns", "%DLQ%ns%g"), "%DLQ%g");
        assert_eq!(unwrap("ns", "other%t"), "other%t");
        assert_eq!(unwrap("", "ns%t"), "ns%t");
        assert_eq!(unwrap("ns", "t"), "t");
        // Only the first namespace is removed.
        assert_eq!(unwrap("ns", "ns%a%b"), "a%b");
    }

    #[test]
    fn round_trip_and_namespace_of() {
        for resource in ["t", "%RETRY%g", "%DLQ%g", "a_b-c"] {
            assert_eq!(unwrap("ns", &wrap("ns", resource)), resource);
        }
        assert_eq!(namespace_of("ns%t"), Some("ns"));
        assert_eq!(namespace_of("%RETRY%ns%g"), Some("ns"));
        assert_eq!(namespace_of("%t"), None);
        assert_eq!(namespace_of("t"), None);
        assert_eq!(namespace_of("TBW102"), None);
        assert!(is_system_topic("rmq_sys_anything"));
        assert!(!is_system_topic("orders"));
    }
}
