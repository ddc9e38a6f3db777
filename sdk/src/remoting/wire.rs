//! Small helpers over `RemotingCommand`'s flags and the responses this layer builds.

use crate::protocol::{RemotingCommand, ResponseCode, SerializeType};

/// Flag bits 0 (response) and 1 (oneway).
const RESPONSE_AND_ONEWAY: i32 = 0b11;

/// Makes `cmd` a request, oneway or not (clears the response flag).
pub(crate) fn set_oneway(cmd: &mut RemotingCommand, oneway: bool) {
    cmd.flag &= !RESPONSE_AND_ONEWAY;
    if oneway {
        cmd.mark_oneway();
    }
}

/// Builds the response `code` to `request`.
pub(crate) fn response_to(
    request: &RemotingCommand,
    code: ResponseCode,
    remark: Option<String>,
) -> RemotingCommand {
    ReplyTo::of(request).response(code, remark)
}

/// What a response needs to know about its request.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ReplyTo {
    opaque: i32,
    serialize_type: SerializeType,
}

impl ReplyTo {
    pub(crate) fn of(request: &RemotingCommand) -> Self {
        Self {
            opaque: request.opaque,
            serialize_type: request.serialize_type,
        }
    }

    /// The request's opaque.
    pub(crate) fn opaque(self) -> i32 {
        self.opaque
    }

    /// Makes `response` answer the request: same opaque, response flag set, oneway clear;
    /// with `in_request_type`, also the request's serialize type (what a Java 4.9.x server
    /// does with a processor's response).
    pub(crate) fn mark(self, response: &mut RemotingCommand, in_request_type: bool) {
        response.opaque = self.opaque;
        response.flag &= !RESPONSE_AND_ONEWAY;
        response.mark_response();
        if in_request_type {
            response.serialize_type = self.serialize_type;
        }
    }

    /// A fresh response with `code` and `remark`, no headers and no body, in JSON: the
    /// type Java servers (4.9.x and 5.x) build their own refusals in, whatever the
    /// request's type.
    pub(crate) fn response(self, code: ResponseCode, remark: Option<String>) -> RemotingCommand {
        let mut response = RemotingCommand::response(code).with_opaque(self.opaque);
        response.remark = remark;
        response
    }
}

#[cfg(test)]
impl ReplyTo {
    pub(crate) fn for_test(opaque: i32) -> Self {
        Self {
            opaque,
            serialize_type: SerializeType::Json,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::RequestCode;

    #[test]
    fn responses_answer_their_request() {
        let request = RemotingCommand::request(RequestCode::SEND_MESSAGE)
            .with_opaque(42)
            .with_serialize_type(SerializeType::RocketMq)
            .oneway();
        let response = response_to(&request, ResponseCode(3), Some("no".into()));
        assert!(response.is_response() && !response.is_oneway());
        assert_eq!(response.opaque, 42);
        assert_eq!(response.code, 3);
        assert_eq!(response.remark.as_deref(), Some("no"));
        assert_eq!(
            response.serialize_type,
            SerializeType::Json,
            "refusals are JSON"
        );

        let mut handler_answer = RemotingCommand::request(RequestCode(0)).oneway();
        ReplyTo::of(&request).mark(&mut handler_answer, false);
        assert_eq!(handler_answer.flag, 1);
        assert_eq!(handler_answer.opaque, 42);
        assert_eq!(handler_answer.serialize_type, SerializeType::Json);
        ReplyTo::of(&request).mark(&mut handler_answer, true);
        assert_eq!(handler_answer.serialize_type, SerializeType::RocketMq);
    }

    #[test]
    fn set_oneway_clears_other_flag_bits() {
        let mut cmd = RemotingCommand::response(ResponseCode::SUCCESS);
        set_oneway(&mut cmd, true);
        assert_eq!(cmd.flag, 2);
        set_oneway(&mut cmd, false);
        assert_eq!(cmd.flag, 0);
    }
}
