//! The request signature Java's ACL hook computes (`AclClientRPCHook` with `AclUtils` and
//! `AclSigner`), and the broker recomputes to check it.
//!
//! The signed content is the values of every ext field except `Signature`, taken in the
//! order of their keys as Java's `TreeMap<String, String>` sorts them (UTF-16 code units),
//! concatenated without separators as UTF-8, followed by the raw body. The signature is
//! HMAC-SHA1 of that content keyed with the UTF-8 secret key, in standard Base64 with
//! padding and no line breaks.

use hmac::{Hmac, Mac};
use sha1::Sha1;

use crate::protocol::ExtFields;

/// The ext field carrying the signature, left out of the signed content.
pub(crate) const SIGNATURE: &str = "Signature";

/// Java's `String.compareTo`: lexicographic over UTF-16 code units. It differs from Rust's
/// `str` order only between characters above U+FFFF and those in U+E000..=U+FFFF.
fn java_order(a: &str, b: &str) -> std::cmp::Ordering {
    a.encode_utf16().cmp(b.encode_utf16())
}

/// The values of `fields` (without `Signature`) in Java's key order.
fn signed_values(fields: &ExtFields) -> Vec<&str> {
    let mut entries: Vec<(&str, &str)> = fields.iter().filter(|(k, _)| *k != SIGNATURE).collect();
    entries.sort_by(|(a, _), (b, _)| java_order(a, b));
    entries.into_iter().map(|(_, v)| v).collect()
}

/// The exact bytes the signature covers (Java `AclUtils.combineRequestContent`).
#[cfg(test)]
pub(crate) fn signed_content(fields: &ExtFields, body: &[u8]) -> Vec<u8> {
    let values = signed_values(fields);
    let mut content =
        Vec::with_capacity(values.iter().map(|v| v.len()).sum::<usize>() + body.len());
    for value in values {
        content.extend_from_slice(value.as_bytes());
    }
    content.extend_from_slice(body);
    content
}

/// HMAC-SHA1 of `data` keyed with `key`.
pub(crate) fn hmac_sha1(key: &[u8], data: &[&[u8]]) -> [u8; 20] {
    // HMAC takes keys of any length (longer ones are hashed first), so this never fails.
    let Ok(mut mac) = Hmac::<Sha1>::new_from_slice(key) else {
        unreachable!("HMAC accepts keys of every length")
    };
    for part in data {
        mac.update(part);
    }
    mac.finalize().into_bytes().into()
}

/// The signature of a request with these ext fields and body (Java
/// `AclUtils.calSignature(combineRequestContent(...), secretKey)`), computed without
/// copying the content into one buffer.
pub(crate) fn sign(secret_key: &str, fields: &ExtFields, body: &[u8]) -> String {
    let mut parts: Vec<&[u8]> = signed_values(fields)
        .into_iter()
        .map(str::as_bytes)
        .collect();
    parts.push(body);
    base64(&hmac_sha1(secret_key.as_bytes(), &parts))
}

/// Standard Base64 (RFC 4648 section 4) with `=` padding, as commons-codec writes it.
pub(crate) fn base64(data: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        let symbols = chunk.len() + 1;
        for i in 0..4 {
            if i < symbols {
                let index = (n >> (18 - 6 * i)) & 0x3f;
                out.push(char::from(ALPHABET[index as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    #[test]
    fn hmac_sha1_rfc2202_vectors() {
        let cases: [(Vec<u8>, Vec<u8>, &str); 7] = [
            (
                vec![0x0b; 20],
                b"Hi There".to_vec(),
                "b617318655057264e28bc0b6fb378c8ef146be00",
            ),
            (
                b"Jefe".to_vec(),
                b"what do ya want for nothing?".to_vec(),
                "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79",
            ),
            (
                vec![0xaa; 20],
                vec![0xdd; 50],
                "125d7342b9ac11cd91a39af48aa17b4f63f175d3",
            ),
            (
                (1..=25).collect(),
                vec![0xcd; 50],
                "4c9007f4026250c6bc8414f9bf50c86c2d7235da",
            ),
            (
                vec![0x0c; 20],
                b"Test With Truncation".to_vec(),
                "4c1a03424b55e07fe7f27be1d58bb9324a9a5a04",
            ),
            (
                vec![0xaa; 80],
                b"Test Using Larger Than Block-Size Key - Hash Key First".to_vec(),
                "aa4ae5e15272d00e95705637ce8a3b55ed402112",
            ),
            (
                vec![0xaa; 80],
                b"Test Using Larger Than Block-Size Key and Larger Than One Block-Size Data"
                    .to_vec(),
                "e8e99d0f45237d786d6bbaa7965c7808bbff1a91",
            ),
        ];
        for (key, data, expected) in cases {
            assert_eq!(hex(&hmac_sha1(&key, &[&data])), expected);
            // Split input gives the same MAC as one piece.
            let (a, b) = data.split_at(data.len() / 2);
            assert_eq!(hex(&hmac_sha1(&key, &[a, b])), expected);
        }
    }

    #[test]
    fn base64_rfc4648_vectors() {
        for (plain, encoded) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(plain.as_bytes()), encoded);
        }
        assert_eq!(base64(&[0xfb, 0xff, 0xbf]), "+/+/");
    }

    #[test]
    fn content_is_sorted_values_then_body_without_signature() {
        let fields: ExtFields = [
            ("topic", "T"),
            ("AccessKey", "ak"),
            ("Signature", "old"),
            ("a", "1"),
            ("SecurityToken", "tok"),
            ("B", "2"),
        ]
        .into_iter()
        .collect();
        // Keys sorted: AccessKey, B, SecurityToken, a, topic (upper case before lower).
        assert_eq!(signed_content(&fields, b"body"), b"ak2tok1Tbody");
        assert_eq!(signed_content(&fields, b""), b"ak2tok1T");
        let expected = base64(&hmac_sha1(b"secret", &[b"ak2tok1Tbody"]));
        assert_eq!(sign("secret", &fields, b"body"), expected);
    }

    #[test]
    fn keys_sort_in_utf16_order_like_java() {
        // U+FF21 sorts after U+1F600 in UTF-8 (and Rust's str order) but before it in
        // UTF-16, where U+1F600 is the surrogate pair D83D DE00.
        let fields: ExtFields = [("\u{FF21}", "x"), ("\u{1F600}", "y")]
            .into_iter()
            .collect();
        assert!("\u{FF21}" < "\u{1F600}");
        assert_eq!(signed_content(&fields, b""), b"yx");
    }

    #[test]
    fn hand_checked_signature() {
        // HMAC-SHA1("12345678", "rocketmq2TopicTest") checked with
        // `printf %s rocketmq2TopicTest | openssl dgst -sha1 -hmac 12345678 -binary | base64`.
        let fields: ExtFields = [("topic", "TopicTest"), ("AccessKey", "rocketmq2")]
            .into_iter()
            .collect();
        assert_eq!(sign("12345678", &fields, b""), HAND_CHECKED);
    }

    const HAND_CHECKED: &str = "GeeGoP9mRvDhoVp4PD5omX0prgE=";
}
