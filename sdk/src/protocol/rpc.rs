//! Typed headers and the typed request/response pairing.

use super::{ExtFields, RemotingCommand, RequestCode};
use crate::Result;

/// A typed command header that maps to and from `extFields` with Java's field names
/// (Java's `CommandCustomHeader` and `makeCustomHeaderToNet`/`decodeCommandCustomHeader`).
pub trait CommandHeader: Sized {
    /// Writes every present field into `ext` as Java's `String.valueOf` would.
    fn write_to(&self, ext: &mut ExtFields);
    /// Reads the header from `ext`, failing on a missing required field or a bad value.
    fn read_from(ext: &ExtFields) -> Result<Self>;
}

/// A typed request: its code, how it becomes a command, and what it answers with.
pub trait Rpc {
    /// The request code.
    const CODE: RequestCode;
    /// The typed response.
    type Response: FromResponse;
    /// Builds the request command.
    fn to_command(&self) -> RemotingCommand;
}

/// A typed response built from the reply command (non-success codes become
/// [`crate::Error::Broker`] unless the response type treats them as results).
pub trait FromResponse: Sized {
    /// Interprets the reply.
    fn from_response(reply: RemotingCommand) -> Result<Self>;
}
