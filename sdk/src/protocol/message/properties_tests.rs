//! Tests of `properties.rs`: parsing, writing, Java hash order.

use super::*;

/// `entries` written as a property text, with or without the last separator.
fn property_text<K: AsRef<str>, V: AsRef<str>>(entries: &[(K, V)], trailing: bool) -> String {
    let mut text = String::new();
    for (k, v) in entries {
        text.push_str(k.as_ref());
        text.push(NAME_VALUE_SEPARATOR);
        text.push_str(v.as_ref());
        text.push(PROPERTY_SEPARATOR);
    }
    if !trailing {
        text.pop();
    }
    text
}

#[test]
fn fresh_properties_follow_java_hash_order() {
    // Order printed by OpenJDK 17 for a HashMap filled in this insertion order.
    let mut p = Properties::new();
    for (k, v) in [
        ("TAGS", "TagA"),
        ("KEYS", "k1 k2"),
        ("WAIT", "true"),
        ("UNIQ_KEY", "7F0000010001"),
        ("DELAY", "3"),
        ("a", "1"),
        ("zz", "2"),
    ] {
        p.insert(k, v);
    }
    let keys: Vec<&str> = p.iter().map(|(k, _)| k).collect();
    assert_eq!(
        keys,
        ["zz", "a", "KEYS", "UNIQ_KEY", "WAIT", "DELAY", "TAGS"]
    );

    // 20 keys force a resize to 32 buckets.
    let p: Properties = (0..20).map(|i| (format!("key{i}"), "v")).collect();
    let keys: Vec<&str> = p.iter().map(|(k, _)| k).collect();
    let java = "key1,key2,key0,key5,key6,key3,key4,key9,key7,key8,key11,key10,key15,key14,\
                key13,key12,key19,key18,key17,key16";
    assert_eq!(keys.join(","), java);

    // Colliding hashes ("Aa" and "BB") keep insertion order; non-ASCII hashes UTF-16.
    let p: Properties = [("BB", "2"), ("中文", "3"), ("Aa", "1")]
        .into_iter()
        .collect();
    let keys: Vec<&str> = p.iter().map(|(k, _)| k).collect();
    assert_eq!(keys, ["BB", "Aa", "中文"]);
}

#[test]
fn decoded_properties_switch_to_java_order() {
    let decoded = Properties::decode(
        "TAGS\u{1}TagA\u{2}KEYS\u{1}k1 k2\u{2}WAIT\u{1}true\u{2}UNIQ_KEY\u{1}7F0000010001\u{2}\
         DELAY\u{1}3\u{2}a\u{1}1\u{2}zz\u{1}2\u{2}",
    );
    let keys: Vec<&str> = decoded.iter().map(|(k, _)| k).collect();
    assert_eq!(keys[0], "TAGS", "decoded order until switched");
    let mut java = decoded.into_java_order();
    let keys: Vec<&str> = java.iter().map(|(k, _)| k).collect();
    // The order OpenJDK 17 prints (see fresh_properties_follow_java_hash_order).
    assert_eq!(
        keys,
        ["zz", "a", "KEYS", "UNIQ_KEY", "WAIT", "DELAY", "TAGS"]
    );
    assert!(java.trailing_separator());
    assert_eq!(java.remove("WAIT").as_deref(), Some("true"));
    java.insert("CLUSTER", "c");
    assert_eq!(java.encoded_len(), java.encode().len());
    assert!(java.encode().ends_with('\u{2}'));
    let no_trailing = Properties::decode("b\u{1}1\u{2}a\u{1}2").into_java_order();
    assert_eq!(no_trailing.encode(), "a\u{1}2\u{2}b\u{1}1");
}

proptest::proptest! {
    /// Switching a decoded map to Java order equals re-inserting its entries into a
    /// fresh map, also after the removals and insertions a broker makes; keys are
    /// drawn from a small set (repeats, shared buckets, "Aa"/"BB" hash collisions,
    /// non-ASCII), so many share a bucket, and from 0 to 30 entries (table resizes).
    #[test]
    fn java_order_in_place_equals_reinsertion(
        entries in proptest::collection::vec(
            (proptest::sample::select(vec![
                "Aa", "BB", "TAGS", "KEYS", "WAIT", "UNIQ_KEY", "a", "b", "zz", "中文",
                "k0", "k1", "k2", "k3", "k4", "k5", "k6", "k7", "k8", "k9", "k10", "k11",
                "k12", "k13", "k14", "k15", "k16", "k17", "k18", "k19", "k20", "k21",
            ]), "[a-z0-9]{1,3}"),
            0..40,
        ),
        trailing in proptest::bool::ANY,
        removed in proptest::sample::select(vec!["WAIT", "POP_CK", "k3", "Aa"]),
        added in proptest::collection::vec(
            (proptest::sample::select(vec!["CLUSTER", "MSG_REGION", "TRACE_ON", "BB", "k5"]), "[a-z]{1,2}"),
            0..4,
        ),
    ) {
        let text = property_text(&entries, trailing);
        let decoded = Properties::decode(&text);
        let mut fresh = Properties::new();
        for (k, v) in decoded.iter() {
            fresh.insert(k, v);
        }
        fresh.set_trailing_separator(trailing);
        let mut in_place = decoded.into_java_order();
        proptest::prop_assert_eq!(in_place.trailing_separator(), trailing || text.is_empty());
        in_place.set_trailing_separator(trailing);
        let seq = |p: &Properties| -> Vec<(String, String)> {
            p.iter().map(|(k, v)| (k.to_owned(), v.to_owned())).collect()
        };
        proptest::prop_assert_eq!(seq(&in_place), seq(&fresh));
        proptest::prop_assert_eq!(in_place.encode(), fresh.encode());
        proptest::prop_assert_eq!(in_place.remove(removed), fresh.remove(removed));
        for (k, v) in &added {
            proptest::prop_assert_eq!(in_place.insert(*k, v.as_str()), fresh.insert(*k, v.as_str()));
        }
        proptest::prop_assert_eq!(seq(&in_place), seq(&fresh));
        proptest::prop_assert_eq!(in_place.encode(), fresh.encode());
        proptest::prop_assert_eq!(in_place.encoded_len(), fresh.encode().len());
    }
}

#[test]
fn java_hash_codes() {
    assert_eq!(java_string_hash(""), 0);
    assert_eq!(java_string_hash("Aa"), java_string_hash("BB"));
    assert_eq!(java_string_hash("TAGS"), 2_567_193);
    // Overflows wrap like Java's int arithmetic ("polygenelubricants".hashCode()).
    assert_eq!(java_string_hash("polygenelubricants"), i32::MIN);
}

#[test]
fn encode_forms() {
    let mut p = Properties::decode("A\u{1}1\u{2}B\u{1}2\u{2}");
    assert!(p.trailing_separator());
    assert_eq!(p.encode(), "A\u{1}1\u{2}B\u{1}2\u{2}");
    p.set_trailing_separator(false);
    assert_eq!(p.encode(), "A\u{1}1\u{2}B\u{1}2");
    assert_eq!(p.encoded_len(), p.encode().len());

    let p = Properties::decode("B\u{1}2\u{2}A\u{1}1");
    assert!(!p.trailing_separator());
    assert_eq!(p.encode(), "B\u{1}2\u{2}A\u{1}1");
    assert_eq!(Properties::new().encode(), "");
    let mut empty = Properties::new();
    empty.set_trailing_separator(false);
    assert_eq!(empty.encode(), "");
    assert_eq!(empty.encoded_len(), 0);
}

#[test]
fn decode_skips_what_java_skips() {
    let p = Properties::decode(
        "\u{1}v\u{2}k\u{1}\u{2}noSep\u{2}\u{2}ok\u{1}a\u{1}b\u{2}ok\u{1}last\u{2}x\u{1}y",
    );
    let got: Vec<(&str, &str)> = p.iter().collect();
    assert_eq!(got, [("ok", "last"), ("x", "y")]);
    assert!(Properties::decode("").is_empty());
    assert!(Properties::decode("\u{2}\u{2}\u{1}").is_empty());
    // The first \u{1} splits: the value keeps the rest.
    assert_eq!(
        Properties::decode("k\u{1}a\u{1}b").get("k"),
        Some("a\u{1}b")
    );
}

#[test]
fn empty_entries_are_written_like_java() {
    let mut p = Properties::new();
    p.insert("", "x");
    p.insert("k", "");
    let s = p.encode();
    assert!(s.contains("\u{1}x\u{2}") && s.contains("k\u{1}\u{2}"));
    assert!(Properties::decode(&s).is_empty());
}

#[test]
fn decoded_order_is_kept_and_new_keys_append() {
    let mut p = Properties::decode("z\u{1}1\u{2}a\u{1}2\u{2}");
    p.insert("m", "3");
    p.insert("z", "9");
    assert_eq!(p.encode(), "z\u{1}9\u{2}a\u{1}2\u{2}m\u{1}3\u{2}");
    assert_eq!(p.remove("a").as_deref(), Some("2"));
    assert_eq!(p, [("m", "3"), ("z", "9")].into_iter().collect());
}

#[test]
fn decode_shared_slices_the_record_and_replaces_bad_utf8() {
    let record = Bytes::from_static(b"xxUNIQ_KEY\x01AB12\x02TAGS\x01t\x02TAGS\x01u\x02yy");
    let mut p = Properties::decode_shared(record.slice(2..record.len() - 2));
    assert_eq!(p.len(), 2);
    assert_eq!(p.get("UNIQ_KEY"), Some("AB12"));
    assert_eq!(p.get("TAGS"), Some("u"));
    assert!(p.trailing_separator());
    assert!(p.entries.capacity() >= 2 + SPARE_ENTRIES);
    assert_eq!(p.encode(), "UNIQ_KEY\u{1}AB12\u{2}TAGS\u{1}u\u{2}");
    assert_eq!(p.encoded_len(), p.encode().len());

    // Replacing or removing a decoded value hands back its text.
    assert_eq!(p.insert("TAGS", "v").as_deref(), Some("u"));
    assert_eq!(p.remove("UNIQ_KEY").as_deref(), Some("AB12"));
    assert_eq!(p.encode(), "TAGS\u{1}v\u{2}");

    let bad = Properties::decode_shared(Bytes::from_static(b"k\x01a\xffb\x02\xfe\x01v"));
    assert_eq!(bad.get("k"), Some("a\u{FFFD}b"));
    assert_eq!(bad.get("\u{FFFD}"), Some("v"));
    assert!(!bad.trailing_separator());
    assert_eq!(bad, Properties::decode_bytes(b"k\x01a\xffb\x02\xfe\x01v"));
}

#[test]
fn insert_shared_adds_or_replaces() {
    let mut p = Properties::decode("MIN_OFFSET\u{1}5\u{2}TAGS\u{1}t\u{2}");
    let max: Arc<str> = "99".into();
    p.insert_shared("MIN_OFFSET", "0".into());
    p.insert_shared("MAX_OFFSET", max.clone());
    assert_eq!(p.get("MIN_OFFSET"), Some("0"));
    assert_eq!(p.get("MAX_OFFSET"), Some("99"));
    assert_eq!(
        p.encode(),
        "MIN_OFFSET\u{1}0\u{2}TAGS\u{1}t\u{2}MAX_OFFSET\u{1}99\u{2}"
    );
    let copy = p.clone();
    assert_eq!(copy, p);
    assert!(format!("{p:?}").contains("(\"MAX_OFFSET\", \"99\")"));
}

proptest::proptest! {
    /// The span decoder agrees with the plain string decoder (Java's algorithm written
    /// directly) on entries, order and form, for any bytes made of a few letters, the
    /// separators and invalid UTF-8.
    #[test]
    fn span_decoding_matches_string_decoding(
        raw in proptest::collection::vec(
            proptest::sample::select(vec![b'a', b'b', b'K', 1u8, 2u8, 0xff, 0xc3, 0xa9]),
            0..48,
        )
    ) {
        let fast = Properties::decode_shared(Bytes::from(raw.clone()));
        let slow = Properties::decode_owned(&String::from_utf8_lossy(&raw));
        let fast_entries: Vec<(&str, &str)> = fast.iter().collect();
        let slow_entries: Vec<(&str, &str)> = slow.iter().collect();
        proptest::prop_assert_eq!(fast_entries, slow_entries);
        proptest::prop_assert_eq!(fast.trailing_separator(), slow.trailing_separator());
        proptest::prop_assert_eq!(fast.encode(), slow.encode());
        proptest::prop_assert_eq!(fast.encoded_len(), slow.encode().len());
    }
}

/// The three-pass decoder this module had before the one-pass one (count of
/// \u{1}s, split on \u{2}, first \u{1} of each segment): the reference the one-pass
/// decoder is checked against.
fn decode_three_pass(raw: Bytes) -> Properties {
    let separators = raw.iter().filter(|&&b| b == 1).count();
    let capacity = separators.min(raw.len() / 4 + 1) + SPARE_ENTRIES;
    let mut props = Properties {
        entries: Vec::with_capacity(capacity),
        keep_order: true,
        no_trailing_separator: raw.last().is_some_and(|&b| b != PROPERTY_SEPARATOR as u8),
        raw: Bytes::new(),
    };
    let mut start = 0;
    for segment in raw.split(|&b| b == PROPERTY_SEPARATOR as u8) {
        let end = start + segment.len();
        if let Some(eq) = segment
            .iter()
            .position(|&b| b == NAME_VALUE_SEPARATOR as u8)
            && eq > 0
            && eq + 1 < segment.len()
        {
            let key = Text::Span(start as u32, (start + eq) as u32);
            let value = Text::Span((start + eq + 1) as u32, end as u32);
            let key_bytes = &segment[..eq];
            match props.entries.iter().position(|(k, _)| match k {
                Text::Span(s, e) => raw.get(*s as usize..*e as usize) == Some(key_bytes),
                _ => false,
            }) {
                Some(i) => props.entries[i].1 = value,
                None => props.entries.push((key, value)),
            }
        }
        start = end + 1;
    }
    props.raw = raw;
    props
}

/// Every entry as the byte spans it points at (decoded entries are all spans).
fn spans(p: &Properties) -> Vec<(u32, u32, u32, u32)> {
    p.entries
        .iter()
        .map(|(k, v)| match (k, v) {
            (Text::Span(a, b), Text::Span(c, d)) => (*a, *b, *c, *d),
            _ => (u32::MAX, 0, 0, 0),
        })
        .collect()
}

fn assert_same_as_three_pass(raw: &[u8]) -> Result<(), proptest::test_runner::TestCaseError> {
    let text = String::from_utf8_lossy(raw).into_owned().into_bytes();
    let one = Properties::decode_utf8(Bytes::from(text.clone()));
    let three = decode_three_pass(Bytes::from(text));
    proptest::prop_assert_eq!(spans(&one), spans(&three));
    proptest::prop_assert_eq!(one.trailing_separator(), three.trailing_separator());
    proptest::prop_assert_eq!(one.keep_order, three.keep_order);
    proptest::prop_assert_eq!(one.encode(), three.encode());
    proptest::prop_assert!(one.entries.capacity() >= one.len() + SPARE_ENTRIES);
    Ok(())
}

proptest::proptest! {
    /// The one-pass decoder gives exactly the entries (the same spans, in the same
    /// order), form and text of the three-pass one, on inputs dense in separators.
    #[test]
    fn one_pass_decoding_matches_three_pass_on_separator_soup(
        raw in proptest::collection::vec(
            proptest::sample::select(vec![b'a', b'b', b'K', 0u8, 1u8, 2u8, 3u8, 0xff, 0xc3, 0xa9]),
            0..96,
        )
    ) {
        assert_same_as_three_pass(&raw)?;
    }

    /// The same on arbitrary bytes.
    #[test]
    fn one_pass_decoding_matches_three_pass_on_any_bytes(
        raw in proptest::collection::vec(proptest::num::u8::ANY, 0..256)
    ) {
        assert_same_as_three_pass(&raw)?;
    }

    /// The same on well-formed property texts (many entries, repeated keys, both forms).
    #[test]
    fn one_pass_decoding_matches_three_pass_on_property_texts(
        entries in proptest::collection::vec(("[A-Ca-c_]{0,3}", "[a-z0-9\u{1}é]{0,4}"), 0..24),
        trailing in proptest::bool::ANY,
    ) {
        let text = property_text(&entries, trailing);
        assert_same_as_three_pass(text.as_bytes())?;
    }
}

#[test]
fn separator_word_test_is_exact() {
    // Every byte value in every position, the other bytes all at the worst neighbours.
    for fill in [0u8, 1, 2, 3, 4, 0x7f, 0x80, 0x83, 0xff] {
        for pos in 0..8 {
            for b in 0..=255u8 {
                let mut w = [fill; 8];
                w[pos] = b;
                let naive = w.iter().any(|&x| x < 3);
                assert_eq!(has_byte_below_3(u64::from_ne_bytes(w)), naive, "{w:?}");
            }
        }
    }
}

proptest::proptest! {
    #[test]
    fn separator_word_test_matches_a_byte_scan(w in proptest::num::u64::ANY) {
        let naive = w.to_ne_bytes().iter().any(|&x| x < 3);
        proptest::prop_assert_eq!(has_byte_below_3(w), naive);
    }
}

#[test]
fn capacity_growth() {
    assert_eq!(java_hash_map_capacity(0, 16), 16);
    assert_eq!(java_hash_map_capacity(12, 16), 16);
    assert_eq!(java_hash_map_capacity(13, 16), 32);
    assert_eq!(java_hash_map_capacity(25, 16), 64);
}

#[test]
fn static_inserts_equal_owned_inserts() {
    let mut owned =
        Properties::decode("UNIQ_KEY\u{1}A\u{2}TRACE_ON\u{1}false\u{2}").into_java_order();
    let mut fixed = owned.clone();
    for (k, v) in [("TRACE_ON", "true"), ("MSG_REGION", "DefaultRegion")] {
        owned.insert(k, v);
        fixed.insert_static(k, v);
    }
    assert_eq!(fixed.get("TRACE_ON"), Some("true"), "a replaced value");
    assert_eq!(fixed.get("MSG_REGION"), Some("DefaultRegion"));
    assert_eq!(fixed.encode(), owned.encode());
    assert_eq!(fixed, owned);
}

#[test]
fn encode_into_appends_what_encode_returns_in_java_order() {
    // Reference: a stable sort of the insertion order by Java bucket.
    let reference = |keys: &[String]| -> Vec<String> {
        let capacity = java_hash_map_capacity(keys.len(), 16);
        let mut sorted = keys.to_vec();
        sorted.sort_by_key(|k| java_bucket(k, capacity));
        sorted
    };
    // 10 entries are ordered on the stack, 40 in a Vec; "Aa"/"BB" collide.
    for n in [0usize, 10, 40] {
        let keys: Vec<String> = (0..n)
            .map(|i| match i % 7 {
                0 => format!("Aa{i}"),
                1 => format!("BB{i}"),
                _ => format!("key{i}"),
            })
            .collect();
        let mut p = Properties::new();
        for k in &keys {
            p.insert(k.as_str(), "v");
        }
        let order: Vec<&str> = p.iter().map(|(k, _)| k).collect();
        assert_eq!(order, reference(&keys), "{n} entries");
        for trailing in [true, false] {
            p.set_trailing_separator(trailing);
            let mut out = b"prefix".to_vec();
            p.encode_into(&mut out);
            assert_eq!(&out[..6], b"prefix");
            assert_eq!(&out[6..], p.encode().as_bytes(), "{n} entries");
            assert_eq!(out.len() - 6, p.encoded_len());
        }
    }
    // Decoded text keeps its order and its separator form.
    let decoded = Properties::decode("b\u{1}1\u{2}a\u{1}2");
    let mut out = Vec::new();
    decoded.encode_into(&mut out);
    assert_eq!(out, b"b\x011\x02a\x012");
}

#[test]
fn decode_string_equals_decode() {
    for text in [
        "",
        "a\u{1}1\u{2}b\u{1}2\u{2}",
        "k\u{1}v",
        "\u{2}\u{2}x\u{1}\u{2}y\u{1}z",
    ] {
        let owned = Properties::decode_string(text.to_owned());
        let copied = Properties::decode(text);
        assert_eq!(owned, copied, "{text:?}");
        assert_eq!(owned.encode(), copied.encode(), "{text:?}");
    }
}
