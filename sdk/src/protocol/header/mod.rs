//! Typed request and response headers with Java's exact `extFields` names.
//!
//! Each struct mirrors one Java `CommandCustomHeader` class. Java turns a header into
//! `extFields` by reflection (`makeCustomHeaderToNet`: every non-null field, written with
//! `toString()`) and back (`decodeCommandCustomHeader`); a few hot headers (send, pull and
//! their responses) have hand-written `FastCodesHeader` codecs with the same keys. The Rust
//! field names are descriptive; the keys on the wire are Java's field names, byte for byte
//! (for example [`SendMessageRequestHeaderV2`] uses the single letters `a`..`n`).
//!
//! Field kinds follow Java's types:
//! * a `@CFNotNull` field is a bare value: always written, and reading fails with
//!   [`Error::MissingField`](crate::Error::MissingField) when it is absent;
//! * a nullable field (`Integer`, `String`, ...) is an `Option`, written only when set;
//! * a primitive or initialised Java field (`boolean unitMode = false`) is a bare value with
//!   that default: always written, and the default is used when the key is absent.
//!
//! Where 4.9.x and 5.x differ, the union is declared and the fields only one version knows
//! are optional or defaulted, so both interoperate (each side ignores keys it does not know).
//! 5.x adds the RPC routing fields of `RpcRequestHeader`/`TopicRequestHeader` (`ns`, `nsd`,
//! `bname`, `oway`, `lo`) to most broker requests; they live in [`RpcFields`] (4.9.x's
//! `RpcRequestHeader` only has `bname`).

#[macro_use]
mod macros;
mod value;
pub(crate) use value::decimal;

mod admin;
mod broker_heartbeat;
mod client;
mod namesrv;
mod offset;
mod pop;
mod pull;
mod query;
mod send;
mod transaction;

pub use admin::*;
pub use broker_heartbeat::*;
pub use client::*;
pub use namesrv::*;
pub use offset::*;
pub use pop::*;
pub use pull::*;
pub use query::*;
pub use send::*;
pub use transaction::*;
pub use value::BoundaryType;

command_header! {
    /// The routing fields of Java 5.x `RpcRequestHeader` and `TopicRequestHeader`, carried
    /// by most broker request headers. All are optional and omitted when unset, which is how
    /// Java clients send them unless they go through the 5.x proxy/RPC client.
    pub struct RpcFields {
        /// Namespace (`ns`).
        pub namespace: Option<String> => "ns",
        /// Whether names in the header are already namespaced (`nsd`).
        pub namespaced: Option<bool> => "nsd",
        /// The broker the request is meant for (`bname`; the only one 4.9.x knows).
        pub broker_name: Option<String> => "bname",
        /// Whether the request is oneway (`oway`).
        pub oneway: Option<bool> => "oway",
        /// Whether the topic is a logical (static) topic (`lo`; topic requests only).
        pub logical: Option<bool> => "lo",
    }
}

#[cfg(test)]
pub(crate) mod test_util;
