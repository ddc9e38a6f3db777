//! Request codes (`RequestCode.java`).

/// A request code. Unknown codes are kept as they are, so a server can answer
/// "not supported" to codes it does not know.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RequestCode(pub i32);

impl RequestCode {
    /// SEND_MESSAGE.
    pub const SEND_MESSAGE: Self = Self(10);
    /// PULL_MESSAGE.
    pub const PULL_MESSAGE: Self = Self(11);
    /// SEND_MESSAGE_V2 (single-letter header fields).
    pub const SEND_MESSAGE_V2: Self = Self(310);
}
