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

    /// Makes `response` answer the request: same opaque, response flag set, oneway clear.
    pub(crate) fn mark(self, response: &mut RemotingCommand) {
        response.opaque = self.opaque;
        response.flag &= !RESPONSE_AND_ONEWAY;
        response.mark_response();
    }

    /// A fresh response with `code` and `remark`, no headers and no body.
    pub(crate) fn response(self, code: ResponseCode, remark: Option<String>) -> RemotingCommand {
        let mut response = RemotingCommand::response(code)
            .with_opaque(self.opaque)
            .with_serialize_type(self.serialize_type);
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
        assert_eq!(response.serialize_type, SerializeType::RocketMq);

        let mut handler_answer = RemotingCommand::request(RequestCode(0)).oneway();
        ReplyTo::of(&request).mark(&mut handler_answer);
        assert_eq!(handler_answer.flag, 1);
        assert_eq!(handler_answer.opaque, 42);
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
