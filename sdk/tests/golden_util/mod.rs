//! Shared by the golden-vector tests: finding and reading the manifests that the Java
//! generator (`interop/java/golden`) wrote under `sdk/tests/golden/<java-version>/`.

#![allow(dead_code)] // each test binary uses a different subset

use std::fs;
use std::path::{Path, PathBuf};

use serde_json::Value;

/// `sdk/tests/golden`.
pub(crate) fn golden_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden")
}

/// The version directories to check: 4.9.8 and every 5.x present. Fails the test when
/// either family is missing, so a lost fixture can never pass silently.
pub(crate) fn versions() -> Vec<String> {
    let root = golden_root();
    let mut versions: Vec<String> = fs::read_dir(&root)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", root.display()))
        .filter_map(|e| e.ok())
        .filter(|e| e.path().join("manifest.json").is_file())
        .filter_map(|e| e.file_name().into_string().ok())
        .collect();
    versions.sort();
    assert!(
        versions.iter().any(|v| v == "4.9.8"),
        "missing golden manifest for Java 4.9.8 in {}",
        root.display()
    );
    assert!(
        versions.iter().any(|v| v.starts_with("5.")),
        "missing golden manifest for Java 5.x in {}",
        root.display()
    );
    versions
}

/// The parsed `manifest.json` of one version.
pub(crate) fn manifest(version: &str) -> Value {
    let path = golden_root().join(version).join("manifest.json");
    let text = fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Standard or URL-safe base64, padding optional (the manifest's encoding for bytes).
pub(crate) fn base64(s: &str) -> Vec<u8> {
    let mut out = Vec::new();
    let mut acc = 0u32;
    let mut bits = 0;
    for c in s.bytes().filter(|c| *c != b'=') {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            _ => panic!("bad base64 {s:?}"),
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    out
}
