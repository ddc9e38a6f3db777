//! `LanguageCode`: which client implementation sent a command.

/// The language code carried in every command header (JSON: the name; binary: one byte).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct LanguageCode(pub u8);

impl LanguageCode {
    /// JAVA.
    pub const JAVA: Self = Self(0);
    /// RUST: what this SDK sends.
    pub const RUST: Self = Self(12);
}
