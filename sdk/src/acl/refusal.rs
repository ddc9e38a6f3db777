//! Telling an ACL refusal apart from other broker errors.

use crate::Error;
use crate::protocol::ResponseCode;

impl Error {
    /// Whether the broker refused the request for lack of access: a bad signature, an
    /// unknown access key, or an account without permission on the topic or group.
    ///
    /// Java 5.x brokers (ACL 2.0) answer these with `NO_PERMISSION` (16), which 4.x brokers
    /// also send for a topic whose permission forbids the operation. Java 4.x brokers
    /// answer an ACL check that fails with `SYSTEM_ERROR` (1) and the validator's
    /// `AclException` in the remark, which is how it is recognised here. The error itself
    /// is always [`Error::Broker`] with the broker's code and remark.
    ///
    /// ```
    /// use rocketmq::Error;
    /// use rocketmq::protocol::ResponseCode;
    ///
    /// let refused = Error::Broker {
    ///     code: ResponseCode::NO_PERMISSION,
    ///     remark: Some("User:rocketmq2 is not exist.".into()),
    /// };
    /// assert!(refused.is_access_denied());
    /// ```
    pub fn is_access_denied(&self) -> bool {
        match self {
            Error::Broker { code, .. } if *code == ResponseCode::NO_PERMISSION => true,
            Error::Broker {
                code,
                remark: Some(remark),
            } if *code == ResponseCode::SYSTEM_ERROR => remark.contains("AclException"),
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn broker(code: ResponseCode, remark: &str) -> Error {
        Error::Broker {
            code,
            remark: Some(remark.to_owned()),
        }
    }

    #[test]
    fn recognises_both_generations() {
        assert!(broker(ResponseCode::NO_PERMISSION, "denied").is_access_denied());
        assert!(
            broker(
                ResponseCode::SYSTEM_ERROR,
                "org.apache.rocketmq.acl.common.AclException: Check signature failed"
            )
            .is_access_denied()
        );
        assert!(!broker(ResponseCode::SYSTEM_ERROR, "store error").is_access_denied());
        assert!(!broker(ResponseCode::TOPIC_NOT_EXIST, "no topic").is_access_denied());
        assert!(!Error::Shutdown.is_access_denied());
    }
}
