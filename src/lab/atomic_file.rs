//! Whole-file writes that are never seen half done: the one file writer of the
//! `lab` module (progress and workspace files alike).
//!
//! rustlings writes its progress in place, so a crash or a full disk mid-write
//! leaves a truncated file and the student's day is gone. Here every write goes
//! to a temporary file in the *same directory* (a rename is only atomic within
//! one filesystem), is flushed to disk with `fsync`, then renamed over the
//! target; finally the directory is fsynced so the rename itself survives a
//! power cut. A reader sees the old file or the new one, never a mix. If any
//! step fails the temporary file is removed and the target is untouched.

use std::ffi::OsString;
use std::fs::{File, Permissions};
use std::io::{self, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use tempfile::{NamedTempFile, TempPath};

/// Replaces `path` with `bytes` atomically (creating it if missing).
pub fn atomic_write(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let temp = write_temp(path, bytes)?;
    temp.persist(path).map_err(|e| e.error)?;
    sync_dir(path)
}

/// Creates `path` with `bytes` atomically unless it already exists; returns
/// whether it was created. An existing file is never touched, even one that
/// appears between our check and our rename (the rename itself refuses).
pub fn atomic_create(path: &Path, bytes: &[u8]) -> io::Result<bool> {
    if path.symlink_metadata().is_ok() {
        return Ok(false);
    }
    let temp = write_temp(path, bytes)?;
    match temp.persist_noclobber(path) {
        Ok(_) => sync_dir(path).map(|()| true),
        Err(e) if e.error.kind() == io::ErrorKind::AlreadyExists => Ok(false),
        Err(e) => Err(e.error),
    }
}

/// Renames `from` to `to` unless `to` exists (`AlreadyExists` then), so moving
/// a file aside can never clobber an earlier one.
pub fn rename_noclobber(from: &Path, to: &Path) -> io::Result<()> {
    let mut source = TempPath::try_from_path(from)?;
    // `TempPath` deletes its file when dropped; this one is the student's file,
    // which must survive a failed rename, so cleanup is off before anything else.
    source.disable_cleanup(true);
    source.persist_noclobber(to).map_err(|e| e.error)?;
    sync_dir(to)
}

/// Writes `bytes` to a new temporary file beside `path`, flushed to disk.
fn write_temp(path: &Path, bytes: &[u8]) -> io::Result<NamedTempFile> {
    let mut temp = tempfile::Builder::new()
        // Named after the target so a leftover from a killed process is
        // recognisable (and obviously safe to delete) in the student's folder.
        .prefix(&temp_prefix(path))
        .suffix(".tmp")
        // What `File::create` would give: 0666 minus the umask (tempfile's
        // default 0600 would make `shop.toml` unreadable to a grader's account).
        .permissions(Permissions::from_mode(0o666))
        .tempfile_in(dir_of(path))?;
    temp.write_all(bytes)?;
    temp.as_file().sync_all()?;
    Ok(temp)
}

/// `.progress.json.` for `…/progress.json`.
fn temp_prefix(path: &Path) -> OsString {
    let mut prefix = OsString::from(".");
    prefix.push(path.file_name().unwrap_or_default());
    prefix.push(".");
    prefix
}

/// The directory holding `path` (`.` for a bare file name).
fn dir_of(path: &Path) -> &Path {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    }
}

/// Makes the directory entry of `path` (a create or a rename) durable.
fn sync_dir(path: &Path) -> io::Result<()> {
    match File::open(dir_of(path))?.sync_all() {
        // Some filesystems (certain FUSE and network mounts) cannot fsync a
        // directory at all; the rename has happened, which is all they offer.
        Err(e) if e.kind() == io::ErrorKind::InvalidInput => Ok(()),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entries(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn write_replaces_and_leaves_no_temp_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("progress.json");
        atomic_write(&path, b"one").unwrap();
        atomic_write(&path, b"two").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"two");
        assert_eq!(entries(dir.path()), ["progress.json"]);
    }

    #[test]
    fn create_keeps_an_existing_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("shop.toml");
        assert!(atomic_create(&path, b"first").unwrap());
        assert!(!atomic_create(&path, b"second").unwrap());
        assert_eq!(std::fs::read(&path).unwrap(), b"first");
        assert_eq!(entries(dir.path()), ["shop.toml"]);
    }

    #[test]
    fn write_fails_cleanly_when_the_parent_is_a_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("not-a-dir");
        std::fs::write(&file, b"keep").unwrap();
        assert!(atomic_write(&file.join("progress.json"), b"x").is_err());
        assert_eq!(std::fs::read(&file).unwrap(), b"keep");
    }

    #[test]
    fn write_over_a_directory_fails_and_leaves_no_temp_file() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("progress.json")).unwrap();
        assert!(atomic_write(&dir.path().join("progress.json"), b"x").is_err());
        assert_eq!(entries(dir.path()), ["progress.json"]);
    }

    #[test]
    fn rename_noclobber_refuses_an_existing_target_and_keeps_both() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (dir.path().join("a"), dir.path().join("b"));
        std::fs::write(&a, b"a").unwrap();
        std::fs::write(&b, b"b").unwrap();
        let err = rename_noclobber(&a, &b).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::AlreadyExists);
        assert_eq!(std::fs::read(&a).unwrap(), b"a");
        assert_eq!(std::fs::read(&b).unwrap(), b"b");
        rename_noclobber(&a, &dir.path().join("c")).unwrap();
        assert_eq!(entries(dir.path()), ["b", "c"]);
    }
}
