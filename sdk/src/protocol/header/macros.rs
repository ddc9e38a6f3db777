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

        impl $name {
            /// How many fields the header has (the 5 RPC fields included), and the bytes
            /// of their keys (the RPC keys' counted as 8 each).
            const FIELDS: usize = 0 $( + command_header!(@one $key) )* $( + command_header!(@rpc $rpc) )?;
            const KEY_BYTES: usize = 0 $( + $key.len() )* $( + 8 * command_header!(@rpc $rpc) )?;

            /// Writes the fields; `fresh`: none of the keys is in `ext` yet, so each is
            /// appended without searching the map for it.
            #[allow(unused_variables)] // `fresh`, in a header without fields
            pub(crate) fn write_fields(&self, ext: &mut $crate::protocol::ExtFields, fresh: bool) {
                $(
                    $crate::protocol::header::value::HeaderField::write(&self.$field, ext, $key, fresh);
                )*
                // Searched for: a header may have a field of its own under one of the
                // RPC keys (`GetTopicConfigRequestHeader`'s `lo`).
                $( self.$rpc.write_fields(ext, false); )?
            }
        }

        impl $crate::protocol::CommandHeader for $name {
            fn write_to(&self, ext: &mut $crate::protocol::ExtFields) {
                // Into an empty map (a new command's), with room made for every field at
                // once: about 20 bytes per value, more than most numbers take.
                let fresh = ext.is_empty();
                if fresh {
                    ext.reserve(Self::FIELDS, Self::KEY_BYTES + 20 * Self::FIELDS);
                }
                self.write_fields(ext, fresh);
            }

            fn read_from(ext: &$crate::protocol::ExtFields) -> $crate::Result<Self> {
                // One pass over the entries, each matched against the header's keys: Java
                // writes them in its `HashMap`'s order, not in the fields' order.
                #[derive(Default)]
                struct Found<'a> {
                    $( $field: Option<&'a str>, )*
                    /// Keeps `'a` in use in a header without fields.
                    _none: Option<&'a str>,
                }
                #[allow(unused_mut, unused_variables)] // in a header without fields
                let mut found = Found::default();
                #[allow(unused_variables)]
                for (key, value) in ext.iter() {
                    #[allow(clippy::match_single_binding)]
                    match key {
                        $( $key => found.$field = Some(value), )*
                        _ => {}
                    }
                }
                Ok(Self {
                    $(
                        $field: <$ty as $crate::protocol::header::value::HeaderField>::read(
                            found.$field,
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
    (@one $key:literal) => { 1 };
    (@rpc $rpc:ident) => { 5 };
    (@default) => { Default::default() };
    (@default $default:expr) => { $default };
    (@java_default) => { None };
    (@java_default $default:expr) => { Some($default) };
}
