//! Property tests: any command survives encode -> decode in both header serializations,
//! and no input bytes make the decoders panic.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point

use bytes::{BufMut, Bytes, BytesMut};
use proptest::prelude::*;
use rocketmq::codec::RemotingCodec;
use rocketmq::protocol::{ExtFields, LanguageCode, RemotingCommand, SerializeType, Version};
use tokio_util::codec::{Decoder, Encoder};

/// Strings with the characters that exercise escaping: controls, quotes, backslashes,
/// U+007F..U+00A0, U+2028/9, non-BMP.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-zA-Z0-9_.%-]{0,24}",
        "\\PC{0,16}",
        prop::collection::vec(
            prop_oneof![
                any::<char>(),
                prop::sample::select(vec![
                    '"', '\\', '/', '\n', '\r', '\t', '\u{0}', '\u{b}', '\u{1f}', '\u{7f}',
                    '\u{9f}', '\u{a0}', '\u{2028}', '\u{2029}', '😀'
                ]),
            ],
            0..16
        )
        .prop_map(|v| v.into_iter().collect()),
    ]
}

fn ext_fields(non_empty_strings: bool) -> impl Strategy<Value = Option<ExtFields>> {
    let s = if non_empty_strings {
        text().prop_filter("non-empty", |s| !s.is_empty()).boxed()
    } else {
        text().boxed()
    };
    let min = usize::from(non_empty_strings);
    prop::option::of(
        prop::collection::vec((s.clone(), s), min..20)
            .prop_map(|entries| entries.into_iter().collect()),
    )
}

/// A command as the JSON header can carry it: any ints, named languages.
fn json_command() -> impl Strategy<Value = RemotingCommand> {
    (
        any::<i32>(),
        0u8..=13,
        any::<i32>(),
        any::<i32>(),
        any::<i32>(),
        prop::option::of(text()),
        ext_fields(false),
        prop::collection::vec(any::<u8>(), 0..64),
    )
        .prop_map(
            |(code, lang, version, opaque, flag, remark, ext, body)| RemotingCommand {
                code,
                language: LanguageCode(lang),
                version: Version(version),
                opaque,
                flag,
                remark,
                ext_fields: ext,
                serialize_type: SerializeType::Json,
                body: Bytes::from(body),
            },
        )
}

/// A command as the binary header can carry it: 16-bit code and version, any language
/// byte, no empty remark, no empty map (Java reads both back as null).
fn binary_command() -> impl Strategy<Value = RemotingCommand> {
    (
        any::<i16>(),
        any::<u8>(),
        any::<i16>(),
        any::<i32>(),
        any::<i32>(),
        prop::option::of(text().prop_filter("non-empty", |s| !s.is_empty())),
        ext_fields(true),
        prop::collection::vec(any::<u8>(), 0..64),
    )
        .prop_map(
            |(code, lang, version, opaque, flag, remark, ext, body)| RemotingCommand {
                code: i32::from(code),
                language: LanguageCode(lang),
                version: Version(i32::from(version)),
                opaque,
                flag,
                remark,
                ext_fields: ext,
                serialize_type: SerializeType::RocketMq,
                body: Bytes::from(body),
            },
        )
}

/// `extFields` come back in Java `HashMap` order, not insertion order: compare sorted.
fn normalized(mut cmd: RemotingCommand) -> RemotingCommand {
    if let Some(ext) = cmd.ext_fields.take() {
        let mut entries: Vec<(String, String)> = ext
            .iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        entries.sort();
        cmd.ext_fields = Some(entries.into_iter().collect());
    }
    cmd
}

fn round_trip(cmd: &RemotingCommand) {
    let mut codec = RemotingCodec::new();
    let mut buf = BytesMut::new();
    codec.encode(cmd, &mut buf).unwrap();
    let first = buf.clone().freeze();
    let back = codec.decode(&mut buf).unwrap().unwrap();
    assert!(buf.is_empty());
    assert_eq!(normalized(back.clone()), normalized(cmd.clone()));
    // Re-encoding what we decoded gives the same bytes: the key order depends only on the keys.
    assert_eq!(back.to_frame().unwrap(), first);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn json_round_trip(cmd in json_command()) {
        round_trip(&cmd);
    }

    #[test]
    fn binary_round_trip(cmd in binary_command()) {
        round_trip(&cmd);
    }

    #[test]
    fn arbitrary_frames_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
        let _ = RemotingCommand::decode_frame(Bytes::from(bytes.clone()));
        let mut codec = RemotingCodec::with_max_frame_len(1024);
        let mut src = BytesMut::from(&bytes[..]);
        while let Ok(Some(_)) = codec.decode(&mut src) {}
    }

    /// Valid header word and length, arbitrary header bytes of either type.
    #[test]
    fn arbitrary_headers_never_panic(
        binary in any::<bool>(),
        header in prop::collection::vec(any::<u8>(), 0..128),
        body in prop::collection::vec(any::<u8>(), 0..8),
    ) {
        let mut frame = BytesMut::new();
        frame.put_u32((u32::from(binary) << 24) | header.len() as u32);
        frame.put_slice(&header);
        frame.put_slice(&body);
        if let Ok(cmd) = RemotingCommand::decode_frame(frame.freeze()) {
            prop_assert_eq!(&cmd.body[..], &body[..]);
        }
    }

    /// A damaged valid frame (one byte changed or the header cut) never panics.
    #[test]
    fn mutated_frames_never_panic(cmd in prop_oneof![json_command(), binary_command()], pos in any::<prop::sample::Index>(), byte in any::<u8>()) {
        let frame = cmd.to_frame().unwrap();
        let mut bytes = frame[4..].to_vec();
        if !bytes.is_empty() {
            let i = pos.index(bytes.len());
            bytes[i] = byte;
            let _ = RemotingCommand::decode_frame(Bytes::from(bytes.clone()));
            let _ = RemotingCommand::decode_frame(Bytes::from(bytes[..i].to_vec()));
        }
    }
}
