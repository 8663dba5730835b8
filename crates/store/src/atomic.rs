//! Files that appear only complete: write to a hidden temporary name in the
//! same directory, flush to disk, then rename (atomic on POSIX filesystems).
//! Dataset readers skip names starting with `.`, so a crash leaves at most
//! an ignored `.tmp` file, never a truncated part.

use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// The hidden temporary name used while `path` is being written.
pub fn temp_path(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    path.with_file_name(format!(".{name}.{}.tmp", std::process::id()))
}

/// Writes a file through `write` and renames it into place.
pub fn write_atomically<E: From<io::Error>>(
    path: &Path,
    write: impl FnOnce(File) -> Result<File, E>,
) -> Result<(), E> {
    let tmp = temp_path(path);
    let result = (|| {
        let file = File::create(&tmp)?;
        let file = write(file)?;
        file.sync_all()?;
        drop(file);
        fs::rename(&tmp, path)?;
        Ok(())
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// Writes `bytes` to `path` atomically.
pub fn write_bytes(path: &Path, bytes: &[u8]) -> io::Result<()> {
    write_atomically(path, |mut f: File| {
        f.write_all(bytes)?;
        Ok::<_, io::Error>(f)
    })
}
