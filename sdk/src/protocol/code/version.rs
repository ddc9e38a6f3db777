//! The `version` header field: the ordinal of Java's `MQVersion.Version` enum.

use std::fmt;

use super::version_names::NAMES;

/// The version a peer announces in every command header: the ordinal of Java's
/// `MQVersion.Version` enum (e.g. 409 for `V4_9_8`, 479 for `V5_3_3`).
///
/// Java clients send `MQVersion.CURRENT_VERSION` of their release; this SDK sends
/// [`Version::CURRENT`], the 5.3.3 ordinal.
///
/// ```
/// # use rocketmq::protocol::Version;
/// assert_eq!(Version::V5_3_3.0, 479);
/// assert_eq!(Version(409).to_string(), "V4_9_8");
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Version(pub i32);

impl Version {
    /// `V4_9_8`: what Java 4.9.8 sends.
    pub const V4_9_8: Self = Self(409);
    /// `V5_0_0`: the first 5.x release.
    pub const V5_0_0: Self = Self(413);
    /// `V5_3_3`: what Java 5.3.3 sends (`MQVersion.CURRENT_VERSION`).
    pub const V5_3_3: Self = Self(479);
    /// `V5_5_0`.
    pub const V5_5_0: Self = Self(513);
    /// `HIGHER_VERSION`: the last entry of the Java enum.
    pub const HIGHER_VERSION: Self = Self(NAMES.len() as i32 - 1);
    /// The version this SDK sends by default: [`Version::V5_3_3`].
    pub const CURRENT: Self = Self::V5_3_3;

    /// The Java enum name for this ordinal. Like Java's `MQVersion.getVersionDesc`, an
    /// ordinal past the end names the last entry (`HIGHER_VERSION`); a negative one (which
    /// Java cannot decode) gives `None`.
    pub fn name(self) -> Option<&'static str> {
        let idx = usize::try_from(self.0).ok()?;
        NAMES.get(idx.min(NAMES.len() - 1)).copied()
    }

    /// The ordinal for a Java enum name such as `"V4_9_8"`.
    pub fn from_name(name: &str) -> Option<Self> {
        let pos = NAMES.iter().position(|n| *n == name)?;
        i32::try_from(pos).ok().map(Self)
    }

    /// Which protocol generation a peer announcing this version speaks.
    pub fn flavour(self) -> ProtocolFlavour {
        if self >= Self::V5_0_0 {
            ProtocolFlavour::V5
        } else {
            ProtocolFlavour::V4
        }
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => f.write_str(name),
            None => write!(f, "UNKNOWN({})", self.0),
        }
    }
}

/// The Java protocol generation, for the few codes whose meaning changed between them
/// (response codes 209, 210 and 211, for instance).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ProtocolFlavour {
    /// Java 4.x (4.9.8).
    V4,
    /// Java 5.x (5.3.3); the default.
    #[default]
    V5,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinals_match_java() {
        assert_eq!(Version::V4_9_8.name(), Some("V4_9_8"));
        assert_eq!(Version::V5_0_0.name(), Some("V5_0_0"));
        assert_eq!(Version::V5_3_3.name(), Some("V5_3_3"));
        assert_eq!(Version::V5_5_0.name(), Some("V5_5_0"));
        assert_eq!(Version(0).name(), Some("V3_0_0_SNAPSHOT"));
        assert_eq!(Version::HIGHER_VERSION, Version(612));
        assert_eq!(Version::from_name("V4_9_8"), Some(Version::V4_9_8));
        assert_eq!(Version::from_name("V9"), None);
    }

    #[test]
    fn out_of_range_ordinals() {
        assert_eq!(Version(10_000).name(), Some("HIGHER_VERSION"));
        assert_eq!(Version(-1).name(), None);
        assert_eq!(Version(-1).to_string(), "UNKNOWN(-1)");
    }

    #[test]
    fn flavour_follows_version() {
        assert_eq!(Version::V4_9_8.flavour(), ProtocolFlavour::V4);
        assert_eq!(Version::V5_3_3.flavour(), ProtocolFlavour::V5);
        assert_eq!(Version(0).flavour(), ProtocolFlavour::V4);
    }
}
