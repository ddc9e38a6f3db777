//! Response codes (`ResponseCode.java`, `RemotingSysResponseCode.java`).

use std::fmt;

/// A response code. Unknown codes are kept as they are.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ResponseCode(pub i32);

impl ResponseCode {
    /// SUCCESS.
    pub const SUCCESS: Self = Self(0);
    /// SYSTEM_ERROR.
    pub const SYSTEM_ERROR: Self = Self(1);
}

impl fmt::Display for ResponseCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}
