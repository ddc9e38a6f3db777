//! Typed request -> response pairs.
//!
//! Each request type implements [`Rpc`](super::Rpc): its request code, how it becomes a
//! [`RemotingCommand`] (header via [`RemotingCommand::with_header`], body if any), and its
//! response type, which implements [`FromResponse`]. A reply whose code the response type
//! does not treat as a result becomes [`Error::Broker`] with the peer's code and remark,
//! as Java's `MQClientAPIImpl` throws `MQBrokerException` for it.
//!
//! Requests that carry only a header are newtypes over it (`GetMaxOffset(header)`), built
//! from the header with `From`. Response headers implement [`FromResponse`] directly:
//! success reads the header, anything else is an error.
//!
//! ```
//! use rocketmq::protocol::header::GetMaxOffsetRequestHeader;
//! use rocketmq::protocol::request::GetMaxOffset;
//! use rocketmq::protocol::{RequestCode, Rpc};
//!
//! let request = GetMaxOffset(GetMaxOffsetRequestHeader {
//!     topic: "TopicTest".into(),
//!     queue_id: 0,
//!     ..Default::default()
//! });
//! let command = request.to_command();
//! assert_eq!(command.code, RequestCode::GET_MAX_OFFSET.0);
//! assert_eq!(command.ext_field("topic"), Some("TopicTest"));
//! ```

use bytes::Bytes;

use super::{FromResponse, RemotingCommand, ResponseCode};
use crate::{Error, Result};

/// Declares a request that is a newtype over its header and implements `Rpc` for it.
macro_rules! header_rpc {
    (
        $(#[$meta:meta])*
        $name:ident($header:ty) => $code:ident -> $response:ty
    ) => {
        $(#[$meta])*
        #[derive(Clone, Debug, Default, PartialEq, Eq)]
        pub struct $name(pub $header);

        impl From<$header> for $name {
            fn from(header: $header) -> Self {
                Self(header)
            }
        }

        impl $crate::protocol::Rpc for $name {
            const CODE: $crate::protocol::RequestCode = $crate::protocol::RequestCode::$code;
            type Response = $response;

            fn to_command(&self) -> $crate::protocol::RemotingCommand {
                $crate::protocol::RemotingCommand::request(Self::CODE).with_header(&self.0)
            }
        }
    };
}

/// Implements `FromResponse` for response headers: success reads the header.
macro_rules! header_response {
    ($($header:ty),* $(,)?) => {
        $(
            impl $crate::protocol::FromResponse for $header {
                fn from_response(reply: $crate::protocol::RemotingCommand) -> $crate::Result<Self> {
                    $crate::protocol::request::ensure_success(&reply)?;
                    reply.read_header()
                }
            }
        )*
    };
}

mod admin;
mod json;
mod namesrv;
mod offset;
mod pop;
mod pull;
mod send;

pub use admin::*;
pub use json::*;
pub use namesrv::*;
pub use offset::*;
pub use pop::*;
pub use pull::*;
pub use send::*;

/// The error for a reply that is not a result: its code and remark, untouched.
pub(crate) fn broker_error(reply: &RemotingCommand) -> Error {
    Error::Broker {
        code: reply.response_code(),
        remark: reply.remark.clone(),
    }
}

/// Succeeds on `SUCCESS`, else [`Error::Broker`].
pub(crate) fn ensure_success(reply: &RemotingCommand) -> Result<()> {
    if reply.response_code() == ResponseCode::SUCCESS {
        Ok(())
    } else {
        Err(broker_error(reply))
    }
}

/// Replies that carry nothing but their code.
impl FromResponse for () {
    fn from_response(reply: RemotingCommand) -> Result<Self> {
        ensure_success(&reply)
    }
}

/// Replies whose result is the raw body (for example one stored message record).
impl FromResponse for Bytes {
    fn from_response(reply: RemotingCommand) -> Result<Self> {
        ensure_success(&reply)?;
        Ok(reply.body)
    }
}

#[cfg(test)]
pub(crate) mod test_util {
    use crate::protocol::{CommandHeader, RemotingCommand, ResponseCode};

    /// A reply with `code`, `remark` and `header` written into it.
    pub(crate) fn reply<H: CommandHeader>(code: ResponseCode, header: &H) -> RemotingCommand {
        RemotingCommand::response(code).with_header(header)
    }

    /// Asserts `result` is `Error::Broker` with `code` and `remark`.
    pub(crate) fn assert_broker_error<T: std::fmt::Debug>(
        result: crate::Result<T>,
        code: ResponseCode,
        remark: &str,
    ) {
        assert!(
            matches!(&result, Err(crate::Error::Broker { code: c, remark: Some(r) })
                if *c == code && r == remark),
            "expected broker error {code} {remark:?}, got {result:?}"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unit_and_bytes_responses() {
        assert!(<()>::from_response(RemotingCommand::response(ResponseCode::SUCCESS)).is_ok());
        test_util::assert_broker_error(
            <()>::from_response(RemotingCommand::error_response(
                ResponseCode::SYSTEM_ERROR,
                "boom",
            )),
            ResponseCode::SYSTEM_ERROR,
            "boom",
        );
        let body = Bytes::from_static(b"record");
        let reply = RemotingCommand::response(ResponseCode::SUCCESS).with_body(body.clone());
        assert_eq!(Bytes::from_response(reply).ok(), Some(body));
        let missing = RemotingCommand::error_response(ResponseCode::QUERY_NOT_FOUND, "gone");
        test_util::assert_broker_error(
            Bytes::from_response(missing),
            ResponseCode::QUERY_NOT_FOUND,
            "gone",
        );
    }
}
