//! `LanguageCode`: which client implementation sent a command.

use std::fmt;

/// The language code carried in every command header: the enum name in JSON headers, one
/// byte in ROCKETMQ binary headers (`LanguageCode.java`).
///
/// Codes this crate has no name for are kept as they are (binary headers can carry any
/// byte); a JSON header omits the `language` key for them, as Java does for a `null`
/// language.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LanguageCode(pub u8);

/// Every named language, in code order (Java 5.3.3 knows all of them; 4.9.8 stops at RUST).
const NAMES: [&str; 14] = [
    "JAVA", "CPP", "DOTNET", "PYTHON", "DELPHI", "ERLANG", "RUBY", "OTHER", "HTTP", "GO", "PHP",
    "OMS", "RUST", "NODE_JS",
];

impl LanguageCode {
    /// JAVA (0): Java clients and servers.
    pub const JAVA: Self = Self(0);
    /// CPP (1).
    pub const CPP: Self = Self(1);
    /// DOTNET (2).
    pub const DOTNET: Self = Self(2);
    /// PYTHON (3).
    pub const PYTHON: Self = Self(3);
    /// DELPHI (4).
    pub const DELPHI: Self = Self(4);
    /// ERLANG (5).
    pub const ERLANG: Self = Self(5);
    /// RUBY (6).
    pub const RUBY: Self = Self(6);
    /// OTHER (7).
    pub const OTHER: Self = Self(7);
    /// HTTP (8).
    pub const HTTP: Self = Self(8);
    /// GO (9).
    pub const GO: Self = Self(9);
    /// PHP (10).
    pub const PHP: Self = Self(10);
    /// OMS (11).
    pub const OMS: Self = Self(11);
    /// RUST (12): what this SDK sends.
    pub const RUST: Self = Self(12);
    /// NODE_JS (13); Java 5.x only (4.9.x decodes it as an unknown language).
    pub const NODE_JS: Self = Self(13);

    /// The Java enum name, or `None` for a code without one.
    ///
    /// ```
    /// # use rocketmq::protocol::LanguageCode;
    /// assert_eq!(LanguageCode::RUST.name(), Some("RUST"));
    /// assert_eq!(LanguageCode(200).name(), None);
    /// ```
    pub fn name(self) -> Option<&'static str> {
        NAMES.get(usize::from(self.0)).copied()
    }

    /// The code for a Java enum name (exact, case-sensitive, like Java's `valueOf`).
    ///
    /// ```
    /// # use rocketmq::protocol::LanguageCode;
    /// assert_eq!(LanguageCode::from_name("GO"), Some(LanguageCode::GO));
    /// assert_eq!(LanguageCode::from_name("go"), None);
    /// ```
    pub fn from_name(name: &str) -> Option<Self> {
        let pos = NAMES.iter().position(|n| *n == name)?;
        u8::try_from(pos).ok().map(Self)
    }
}

impl fmt::Display for LanguageCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => f.write_str(name),
            None => write!(f, "UNKNOWN({})", self.0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_codes_round_trip() {
        for code in 0..=13u8 {
            let lang = LanguageCode(code);
            let name = lang.name().unwrap();
            assert_eq!(LanguageCode::from_name(name), Some(lang));
        }
        assert_eq!(LanguageCode::JAVA.name(), Some("JAVA"));
        assert_eq!(LanguageCode::RUST.0, 12);
        assert_eq!(LanguageCode::NODE_JS.name(), Some("NODE_JS"));
    }

    #[test]
    fn unknown_is_kept_without_panic() {
        assert_eq!(LanguageCode(14).name(), None);
        assert_eq!(LanguageCode(255).to_string(), "UNKNOWN(255)");
        assert_eq!(LanguageCode::from_name(""), None);
        assert_eq!(LanguageCode::from_name("JAVA "), None);
        assert_eq!(LanguageCode::GO.to_string(), "GO");
    }
}
