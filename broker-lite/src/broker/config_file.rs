//! The broker's JSON config files under `<store dir>/config/` (Java's
//! `ConfigManager`): written whole to a temporary file and renamed into place, so a crash
//! leaves either the old or the new file, never a torn one.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::Result;

/// `<root>/config/<name>`.
pub(crate) fn path(root: &Path, name: &str) -> PathBuf {
    root.join("config").join(name)
}

/// Reads a config file; `None` when it does not exist.
pub(crate) fn read(path: &Path) -> Result<Option<Vec<u8>>> {
    match fs::read(path) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// Replaces a config file with `bytes` (write, fsync, rename).
pub(crate) fn write(path: &Path, bytes: &[u8]) -> Result<()> {
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir)?;
    }
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    {
        let mut file = fs::File::create(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
    }
    fs::rename(&tmp, path)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn write_then_read_and_missing_file() {
        let dir = crate::store::test_dir::TestDir::new("config-file");
        let p = path(dir.path(), "x.json");
        assert_eq!(read(&p).unwrap(), None);
        write(&p, b"{\"a\":1}").unwrap();
        write(&p, b"{\"a\":2}").unwrap();
        assert_eq!(read(&p).unwrap().unwrap(), b"{\"a\":2}");
    }
}
