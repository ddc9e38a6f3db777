//! Request, response and language codes, and the version ordinal.

mod language;
mod request;
mod response;
mod version;
mod version_names;

pub use language::LanguageCode;
pub use request::RequestCode;
pub use response::ResponseCode;
pub use version::{ProtocolFlavour, Version};

/// Which Java generations define a code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Since {
    /// Both 4.9.8 and 5.3.3.
    All,
    /// 4.9.8 only (removed by 5.3.3).
    V4Only,
    /// 5.3.3 only.
    V5,
}

impl Since {
    fn includes(self, flavour: ProtocolFlavour) -> bool {
        matches!(
            (self, flavour),
            (Since::All, _)
                | (Since::V4Only, ProtocolFlavour::V4)
                | (Since::V5, ProtocolFlavour::V5)
        )
    }
}

/// Looks `code` up in a table sorted by value.
fn lookup(
    table: &[(i32, &'static str, Since)],
    code: i32,
    flavour: ProtocolFlavour,
) -> Option<&'static str> {
    let start = table.partition_point(|r| r.0 < code);
    table[start..]
        .iter()
        .take_while(|r| r.0 == code)
        .find(|r| r.2.includes(flavour))
        .map(|r| r.1)
}
