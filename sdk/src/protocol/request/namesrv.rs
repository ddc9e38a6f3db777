//! Name server requests that need no JSON body type: broker (un)registration, KV config,
//! write permissions, topic deletion.

use bytes::Bytes;

use crate::Result;
use crate::protocol::header::{
    AddWritePermOfBrokerRequestHeader, AddWritePermOfBrokerResponseHeader,
    DeleteKVConfigRequestHeader, DeleteTopicFromNamesrvRequestHeader, GetKVConfigRequestHeader,
    GetKVConfigResponseHeader, PutKVConfigRequestHeader, RegisterBrokerRequestHeader,
    RegisterBrokerResponseHeader, UnRegisterBrokerRequestHeader,
    WipeWritePermOfBrokerRequestHeader, WipeWritePermOfBrokerResponseHeader,
};
use crate::protocol::request::ensure_success;
use crate::protocol::{FromResponse, RemotingCommand, RequestCode, Rpc};

/// `REGISTER_BROKER` (103). The body is the encoded `RegisterBrokerBody` (topic configs and
/// filter servers; JSON, or Java's compressed form when `header.compressed`), passed as is.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RegisterBroker {
    /// The header; `body_crc32` must match the body.
    pub header: RegisterBrokerRequestHeader,
    /// The encoded body.
    pub body: Bytes,
}

/// The reply to [`RegisterBroker`]: the master's addresses, and the name server's
/// ordered-topic KV table as raw JSON (`KVTable`), empty if none.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegisterBrokerResponse {
    /// The reply header.
    pub header: RegisterBrokerResponseHeader,
    /// The raw body.
    pub body: Bytes,
}

impl FromResponse for RegisterBrokerResponse {
    fn from_response(reply: RemotingCommand) -> Result<Self> {
        ensure_success(&reply)?;
        Ok(RegisterBrokerResponse {
            header: reply.read_header()?,
            body: reply.body,
        })
    }
}

impl Rpc for RegisterBroker {
    const CODE: RequestCode = RequestCode::REGISTER_BROKER;
    type Response = RegisterBrokerResponse;

    fn to_command(&self) -> RemotingCommand {
        RemotingCommand::request(Self::CODE)
            .with_header(&self.header)
            .with_body(self.body.clone())
    }
}

header_rpc! {
    /// `UNREGISTER_BROKER` (104).
    UnRegisterBroker(UnRegisterBrokerRequestHeader) => UNREGISTER_BROKER -> ()
}

header_rpc! {
    /// `GET_KV_CONFIG` (101); a missing key is `QUERY_NOT_FOUND` (an error, as in Java).
    GetKVConfig(GetKVConfigRequestHeader) => GET_KV_CONFIG -> GetKVConfigResponseHeader
}

header_rpc! {
    /// `PUT_KV_CONFIG` (100).
    PutKVConfig(PutKVConfigRequestHeader) => PUT_KV_CONFIG -> ()
}

header_rpc! {
    /// `DELETE_KV_CONFIG` (102).
    DeleteKVConfig(DeleteKVConfigRequestHeader) => DELETE_KV_CONFIG -> ()
}

header_rpc! {
    /// `WIPE_WRITE_PERM_OF_BROKER` (205).
    WipeWritePermOfBroker(WipeWritePermOfBrokerRequestHeader) => WIPE_WRITE_PERM_OF_BROKER
        -> WipeWritePermOfBrokerResponseHeader
}

header_rpc! {
    /// `ADD_WRITE_PERM_OF_BROKER` (327).
    AddWritePermOfBroker(AddWritePermOfBrokerRequestHeader) => ADD_WRITE_PERM_OF_BROKER
        -> AddWritePermOfBrokerResponseHeader
}

header_rpc! {
    /// `DELETE_TOPIC_IN_NAMESRV` (216).
    DeleteTopicFromNamesrv(DeleteTopicFromNamesrvRequestHeader) => DELETE_TOPIC_IN_NAMESRV -> ()
}

header_response!(
    GetKVConfigResponseHeader,
    WipeWritePermOfBrokerResponseHeader,
    AddWritePermOfBrokerResponseHeader,
);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::ResponseCode;
    use crate::protocol::request::test_util::{assert_broker_error, reply};

    #[test]
    fn register_broker() {
        let req = RegisterBroker {
            header: RegisterBrokerRequestHeader {
                broker_name: "b".into(),
                body_crc32: 7,
                ..Default::default()
            },
            body: Bytes::from_static(b"{}"),
        };
        let cmd = req.to_command();
        assert_eq!(cmd.code, 103);
        assert_eq!(cmd.ext_field("bodyCrc32"), Some("7"));
        assert_eq!(&cmd.body[..], b"{}");
        let h = RegisterBrokerResponseHeader {
            ha_server_addr: Some("h".into()),
            master_addr: Some("m".into()),
        };
        let r = RegisterBrokerResponse::from_response(reply(ResponseCode::SUCCESS, &h));
        assert_eq!(r.ok().map(|r| r.header), Some(h));
    }

    #[test]
    fn kv_and_perm() {
        assert_eq!(PutKVConfig::default().to_command().code, 100);
        assert_eq!(GetKVConfig::default().to_command().code, 101);
        assert_eq!(DeleteKVConfig::default().to_command().code, 102);
        assert_eq!(UnRegisterBroker::default().to_command().code, 104);
        assert_eq!(WipeWritePermOfBroker::default().to_command().code, 205);
        assert_eq!(AddWritePermOfBroker::default().to_command().code, 327);
        assert_eq!(DeleteTopicFromNamesrv::default().to_command().code, 216);
        let v = GetKVConfigResponseHeader::from_response(reply(
            ResponseCode::SUCCESS,
            &GetKVConfigResponseHeader {
                value: Some("v".into()),
            },
        ));
        assert_eq!(v.ok().and_then(|h| h.value), Some("v".to_owned()));
        assert_broker_error(
            GetKVConfigResponseHeader::from_response(RemotingCommand::error_response(
                ResponseCode::QUERY_NOT_FOUND,
                "No config item",
            )),
            ResponseCode::QUERY_NOT_FOUND,
            "No config item",
        );
        let w = WipeWritePermOfBrokerResponseHeader::from_response(reply(
            ResponseCode::SUCCESS,
            &WipeWritePermOfBrokerResponseHeader {
                wipe_topic_count: 4,
            },
        ));
        assert_eq!(w.ok().map(|h| h.wipe_topic_count), Some(4));
    }
}
