//! `command_header!`: declares a typed header and its `extFields` mapping.

/// Declares a header struct and implements [`CommandHeader`](crate::protocol::CommandHeader)
/// for it.
///
/// ```text
/// command_header! {
///     /// Docs.
///     pub struct GetMaxOffsetRequestHeader {
///         /// A required field: missing on read -> `Error::MissingField`.
///         pub topic: String => "topic",
///         /// An optional field: written only when `Some`.
///         pub broker_name: Option<String> => "bname",
///         /// A field with a Java default (a primitive, or an initialised field): always
///         /// written, and the default is used when the key is missing on read.
///         pub committed: bool => "committed" = true,
///     }
///     // Optional: also carry the 5.x RPC fields (ns, nsd, bname, oway, lo) in `rpc`.
///     + rpc
/// }
/// ```
///
/// Field types are `String`, `i32`, `i64`, `bool`, [`BoundaryType`](super::BoundaryType)
/// or an `Option` of one of them. Keys are Java's field names, byte for byte. Keys in the
/// map that the header does not know are ignored, as Java ignores them.
macro_rules! command_header {
    (
        $(#[$meta:meta])*
        pub struct $name:ident {
            $(
                $(#[$fmeta:meta])*
                pub $field:ident : $ty:ty => $key:literal $(= $default:expr)?
            ),* $(,)?
        }
        $(+ $rpc:ident)?
    ) => {
        $(#[$meta])*
        #[derive(Clone, Debug, PartialEq, Eq)]
        pub struct $name {
            $(
                $(#[$fmeta])*
                pub $field: $ty,
            )*
            $(
                /// The RPC routing fields 5.x puts on this header (`ns`, `nsd`, `bname`,
                /// `oway`, `lo`); all optional, 4.x peers only know `bname`.
                pub $rpc: $crate::protocol::header::RpcFields,
            )?
        }

        impl Default for $name {
            fn default() -> Self {
                Self {
                    $( $field: command_header!(@default $($default)?), )*
                    $( $rpc: Default::default(), )?
                }
            }
        }

        impl $crate::protocol::CommandHeader for $name {
            fn write_to(&self, ext: &mut $crate::protocol::ExtFields) {
                $(
                    $crate::protocol::header::value::HeaderField::write(&self.$field, ext, $key);
                )*
                $( $crate::protocol::CommandHeader::write_to(&self.$rpc, ext); )?
            }

            fn read_from(ext: &$crate::protocol::ExtFields) -> $crate::Result<Self> {
                // Fields are read in declaration order, which is usually the order they
                // were written in: each search resumes where the last one ended.
                #[allow(unused_mut, unused_variables)]
                let mut found = ext.finder();
                Ok(Self {
                    $(
                        $field: <$ty as $crate::protocol::header::value::HeaderField>::read(
                            &mut found,
                            stringify!($name),
                            $key,
                            command_header!(@java_default $($default)?),
                        )?,
                    )*
                    $( $rpc: $crate::protocol::CommandHeader::read_from(ext)?, )?
                })
            }
        }
    };
    (@default) => { Default::default() };
    (@default $default:expr) => { $default };
    (@java_default) => { None };
    (@java_default $default:expr) => { Some($default) };
}
