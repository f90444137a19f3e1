//! Atomic file writes: every file Clairaut writes (result files, matrix files, exports, the
//! report) goes to a temporary file in the same directory, is synced, then renamed over the
//! target, so a reader never sees a partial file. The temporary file is named
//! `.clairaut-tmp-<random>` ([`TEMP_PREFIX`]) and is removed when a write fails; one left behind
//! by a killed process is removed by the next sweep of that folder ([`remove_stale_temps`]).
//! On Unix the written file gets the permissions a plain `File::create` would give it
//! (`0o666` less the process umask, so `0o644` under umask 022), not the `0o600` of a temporary
//! file, so collaborators on a shared file system can read results.

use std::io::Write;
use std::path::Path;
use std::time::{Duration, SystemTime};

use crate::error::Error;

/// How the temporary files of [`write_atomic_with`] are named: this prefix and random characters.
pub const TEMP_PREFIX: &str = ".clairaut-tmp-";

/// Writes `contents` to `path` atomically.
pub fn write_atomic(path: &Path, contents: &[u8]) -> Result<(), Error> {
    write_atomic_with(path, |w| w.write_all(contents))
}

/// Writes what `fill` writes (buffered) to `path` atomically: to a temporary file in the same
/// directory, then renamed. On Unix the file's mode is `0o666` less the umask, as for
/// `File::create`.
pub fn write_atomic_with(path: &Path, fill: impl FnOnce(&mut dyn Write) -> std::io::Result<()>) -> Result<(), Error> {
    let io = |e: std::io::Error| Error::Io { path: path.to_path_buf(), message: e.to_string() };
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let mut builder = tempfile::Builder::new();
    builder.prefix(TEMP_PREFIX);
    #[cfg(unix)]
    {
        // the mode is passed to open(2), which applies the umask: exactly what File::create does
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(std::fs::Permissions::from_mode(0o666));
    }
    let tmp = builder.tempfile_in(dir).map_err(io)?;
    {
        let mut w = std::io::BufWriter::new(tmp.as_file());
        fill(&mut w).map_err(io)?;
        w.flush().map_err(io)?;
    }
    tmp.as_file().sync_all().map_err(io)?;
    tmp.persist(path).map_err(|e| io(e.error))?;
    Ok(())
}

/// Removes the temporary files of [`write_atomic_with`] (named [`TEMP_PREFIX`]…) in `dir` that
/// were last modified more than `older_than` ago: those of killed processes. A write in progress
/// keeps its file's modification time recent (it is written, synced and renamed at once), so
/// a concurrent writer's file is left alone. Returns how many were removed; files that vanish
/// meanwhile or cannot be removed are skipped.
pub fn remove_stale_temps(dir: &Path, older_than: Duration) -> Result<usize, Error> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(Error::Io { path: dir.to_path_buf(), message: e.to_string() }),
    };
    let now = SystemTime::now();
    let mut removed = 0;
    for entry in entries.flatten() {
        if !entry.file_name().to_string_lossy().starts_with(TEMP_PREFIX) {
            continue;
        }
        let Ok(meta) = entry.metadata() else { continue };
        let stale = meta.is_file() && meta.modified().is_ok_and(|m| now.duration_since(m).is_ok_and(|age| age > older_than));
        if stale && std::fs::remove_file(entry.path()).is_ok() {
            removed += 1;
        }
    }
    Ok(removed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
        v.sort();
        v
    }

    #[test]
    fn the_temporary_file_is_named_with_the_prefix_and_gone_after_success_or_failure() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("a.cbor");
        write_atomic_with(&target, |w| {
            let seen = names(dir.path());
            assert!(seen.len() == 1 && seen[0].starts_with(TEMP_PREFIX), "{seen:?}");
            w.write_all(b"abc")
        })
        .unwrap();
        assert_eq!(names(dir.path()), ["a.cbor"]);
        assert_eq!(std::fs::read(&target).unwrap(), b"abc");
        let failed = write_atomic_with(&dir.path().join("b.cbor"), |_| Err(std::io::Error::other("no")));
        assert!(failed.is_err());
        assert_eq!(names(dir.path()), ["a.cbor"]);
    }

    #[test]
    fn only_old_temporary_files_are_removed() {
        let dir = tempfile::tempdir().unwrap();
        let hour_ago = SystemTime::now() - Duration::from_secs(3600);
        for name in [".clairaut-tmp-old", ".tmpOLD123", "old.cbor"] {
            let f = std::fs::File::create(dir.path().join(name)).unwrap();
            f.set_modified(hour_ago).unwrap();
        }
        std::fs::write(dir.path().join(".clairaut-tmp-new"), b"").unwrap();
        assert_eq!(remove_stale_temps(dir.path(), Duration::from_secs(600)).unwrap(), 1);
        assert_eq!(names(dir.path()), [".clairaut-tmp-new", ".tmpOLD123", "old.cbor"]);
        assert_eq!(remove_stale_temps(&dir.path().join("absent"), Duration::from_secs(600)).unwrap(), 0);
    }
}
