//! Helpers shared by the header tests.

use std::fmt::Debug;

use crate::protocol::{CommandHeader, ExtFields};

/// Writes `header`, reads it back (also from its entries reversed, with a key it does not
/// know added), asserts equality and returns the written map.
pub(crate) fn round_trip<H: CommandHeader + PartialEq + Debug>(header: &H) -> ExtFields {
    let mut ext = ExtFields::new();
    header.write_to(&mut ext);
    let back = H::read_from(&ext);
    assert!(back.is_ok(), "read back failed: {back:?} from {ext:?}");
    if let Ok(back) = back {
        assert_eq!(&back, header);
    }
    // Java writes the keys in its `HashMap`'s order, and a peer may add keys this header
    // does not know: the same entries reversed, behind an unknown key, read the same.
    let mut shuffled = ExtFields::new();
    shuffled.insert("someKeyNoHeaderHas", "x");
    let entries: Vec<(&str, &str)> = ext.iter().collect();
    for (key, value) in entries.into_iter().rev() {
        shuffled.insert(key, value);
    }
    let back = H::read_from(&shuffled);
    assert!(
        back.is_ok(),
        "reversed read failed: {back:?} from {shuffled:?}"
    );
    if let Ok(back) = back {
        assert_eq!(&back, header, "read from the reversed map");
    }
    ext
}

/// The keys of `ext`, sorted.
pub(crate) fn keys(ext: &ExtFields) -> Vec<&str> {
    let mut keys: Vec<&str> = ext.iter().map(|(k, _)| k).collect();
    keys.sort_unstable();
    keys
}

/// Asserts that removing each of `required` from the written map of `header` makes
/// reading fail with `MissingField` naming that key, and that removing any other key
/// still reads.
pub(crate) fn assert_required<H: CommandHeader + Debug>(header: &H, required: &[&str]) {
    let mut full = ExtFields::new();
    header.write_to(&mut full);
    for (key, _) in full.iter() {
        let mut ext = full.clone();
        ext.remove(key);
        let result = H::read_from(&ext);
        if required.contains(&key) {
            assert!(
                matches!(&result, Err(crate::Error::MissingField { field, .. }) if *field == key),
                "removing {key} should fail, got {result:?}"
            );
        } else {
            assert!(result.is_ok(), "removing optional {key} failed: {result:?}");
        }
    }
    for key in required {
        assert!(
            full.get(key).is_some(),
            "required key {key} was not written"
        );
    }
}
