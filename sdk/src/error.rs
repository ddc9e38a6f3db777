//! The crate's error type.

use crate::protocol::ResponseCode;

/// Result alias used throughout the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in the SDK.
///
/// Decoding errors never panic: hostile or truncated input from the network or disk is
/// reported here with what was being decoded and why it was refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Input bytes could not be decoded (`what` names the structure, `reason` the defect).
    #[error("cannot decode {what}: {reason}")]
    Decode {
        /// The structure being decoded, e.g. "remoting command header".
        what: &'static str,
        /// Why the input was refused.
        reason: String,
    },
    /// A length read from the input, or a value to encode, is over the configured limit.
    #[error("{what} of {len} bytes exceeds the limit of {max} bytes")]
    TooLarge {
        /// What was too large, e.g. "frame".
        what: &'static str,
        /// The length found.
        len: usize,
        /// The limit in force.
        max: usize,
    },
    /// A typed header lacks a field that Java marks as required.
    #[error("header {header} is missing required field {field}")]
    MissingField {
        /// The header type.
        header: &'static str,
        /// The extFields key.
        field: &'static str,
    },
    /// A header or body field has a value that cannot be parsed into its type.
    #[error("field {field} has invalid value {value:?}")]
    InvalidField {
        /// The field or key name.
        field: &'static str,
        /// The offending value.
        value: String,
    },
    /// A JSON body could not be parsed or mapped to its type.
    #[error("invalid JSON body: {0}")]
    Json(String),
    /// Compressing or decompressing a message body failed.
    #[error("{0}")]
    Compression(String),
    /// The broker or name server answered with a non-success response code.
    #[error("broker answered {code}: {}", remark.as_deref().unwrap_or(""))]
    Broker {
        /// The response code the peer sent.
        code: ResponseCode,
        /// The peer's remark, if any.
        remark: Option<String>,
    },
    /// No reply arrived within the request's timeout.
    #[error("request to {addr} timed out after {timeout:?}")]
    Timeout {
        /// The peer address.
        addr: String,
        /// The timeout that elapsed.
        timeout: std::time::Duration,
    },
    /// The connection closed or failed; every request pending on it fails with this.
    #[error("connection to {addr} closed: {cause}")]
    ConnectionClosed {
        /// The peer address.
        addr: String,
        /// What closed it.
        cause: String,
    },
    /// Too many requests are in flight on the client (async/oneway permits exhausted).
    #[error("too many requests in flight ({limit})")]
    TooManyRequests {
        /// The configured limit.
        limit: usize,
    },
    /// The client or server has been shut down.
    #[error("shut down")]
    Shutdown,
    /// An I/O error.
    #[error(transparent)]
    Io(#[from] std::io::Error),
    /// A connection to the peer could not be opened.
    #[error("cannot connect to {addr}: {source}")]
    Connect {
        /// The peer address.
        addr: String,
        /// Why the connection failed.
        source: std::io::Error,
    },
    /// No route leads to a queue that can take the message: the name server has no
    /// writable queue on a master broker for the topic (Java's "No route info of this
    /// topic"). A topic the name server does not know at all is reported as
    /// [`Error::Broker`] with `TOPIC_NOT_EXIST`, the name server's own answer.
    #[error("no route to a writable queue of topic {topic}")]
    NoRoute {
        /// The topic (with its namespace, as sent).
        topic: String,
    },
    /// A client, producer or consumer was configured or used in a way that cannot work,
    /// such as no name server address or one producer group registered twice on a client.
    #[error("invalid client configuration: {0}")]
    Config(String),
}

impl Error {
    /// Builds a [`Error::Decode`].
    pub(crate) fn decode(what: &'static str, reason: impl Into<String>) -> Self {
        Error::Decode {
            what,
            reason: reason.into(),
        }
    }

    /// The same error again, for one failure that answers several callers (a batch
    /// sent for many senders). I/O errors keep their kind and message.
    pub(crate) fn duplicate(&self) -> Self {
        let io = |e: &std::io::Error| std::io::Error::new(e.kind(), e.to_string());
        match self {
            Error::Decode { what, reason } => Error::Decode {
                what,
                reason: reason.clone(),
            },
            Error::TooLarge { what, len, max } => Error::TooLarge {
                what,
                len: *len,
                max: *max,
            },
            Error::MissingField { header, field } => Error::MissingField { header, field },
            Error::InvalidField { field, value } => Error::InvalidField {
                field,
                value: value.clone(),
            },
            Error::Json(s) => Error::Json(s.clone()),
            Error::Compression(s) => Error::Compression(s.clone()),
            Error::Broker { code, remark } => Error::Broker {
                code: *code,
                remark: remark.clone(),
            },
            Error::Timeout { addr, timeout } => Error::Timeout {
                addr: addr.clone(),
                timeout: *timeout,
            },
            Error::ConnectionClosed { addr, cause } => Error::ConnectionClosed {
                addr: addr.clone(),
                cause: cause.clone(),
            },
            Error::TooManyRequests { limit } => Error::TooManyRequests { limit: *limit },
            Error::Shutdown => Error::Shutdown,
            Error::Io(e) => Error::Io(io(e)),
            Error::Connect { addr, source } => Error::Connect {
                addr: addr.clone(),
                source: io(source),
            },
            Error::NoRoute { topic } => Error::NoRoute {
                topic: topic.clone(),
            },
            Error::Config(s) => Error::Config(s.clone()),
        }
    }
}
