//! Reading the files a user names: regular files only, checked before the first byte is read,
//! so that `/dev/zero`, a FIFO or a folder is refused with one line instead of being read until
//! memory runs out or waiting forever. Text must be UTF-8; a bad byte is named by line and
//! column, never shown.

use std::path::Path;

use crate::error::Error;

/// What kind of file system object `t` is, in words (for "not a regular file" messages).
fn kind(t: std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            return "a FIFO";
        }
        if t.is_char_device() {
            return "a character device";
        }
        if t.is_block_device() {
            return "a block device";
        }
        if t.is_socket() {
            return "a socket";
        }
    }
    if t.is_dir() {
        "a folder"
    } else {
        "not a regular file"
    }
}

fn not_regular(path: &Path, t: std::fs::FileType) -> Error {
    Error::Io { path: path.to_path_buf(), message: format!("is {}, not a regular file: not read", kind(t)) }
}

/// Refuses anything at `path` but a regular file (symbolic links followed), before it is opened.
pub fn ensure_regular(path: &Path) -> Result<(), Error> {
    let meta = std::fs::metadata(path).map_err(|e| Error::Io { path: path.to_path_buf(), message: format!("cannot read: {e}") })?;
    if meta.is_file() { Ok(()) } else { Err(not_regular(path, meta.file_type())) }
}

/// `bytes` of the file at `path` as UTF-8 text; a bad byte is named by line and column.
pub fn utf8(path: &Path, bytes: Vec<u8>) -> Result<String, Error> {
    String::from_utf8(bytes).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        let good = std::str::from_utf8(&e.as_bytes()[..at]).expect("valid up to here");
        Error::at(path, good, at, "not UTF-8 text (a byte that is not part of a UTF-8 character)")
    })
}

/// The bytes of the regular file at `path` (symbolic links followed). Anything else — a folder,
/// a FIFO, a device such as `/dev/zero` — is refused before it is opened.
pub fn read_regular(path: &Path) -> Result<Vec<u8>, Error> {
    use std::io::Read;
    let io = |e: std::io::Error| Error::Io { path: path.to_path_buf(), message: format!("cannot read: {e}") };
    let meta = std::fs::metadata(path).map_err(io)?;
    if !meta.is_file() {
        return Err(not_regular(path, meta.file_type()));
    }
    let mut file = std::fs::File::open(path).map_err(io)?;
    // the object opened may have replaced the one checked
    let opened = file.metadata().map_err(io)?;
    if !opened.is_file() {
        return Err(not_regular(path, opened.file_type()));
    }
    let mut bytes = Vec::with_capacity(usize::try_from(opened.len()).unwrap_or(0).min(1 << 30));
    file.read_to_end(&mut bytes).map_err(io)?;
    Ok(bytes)
}

/// The text of the regular file at `path` ([`read_regular`]), which must be UTF-8: the first
/// bad byte is reported by line and column.
pub fn read_text(path: &Path) -> Result<String, Error> {
    utf8(path, read_regular(path)?)
}

/// Whether the files a file names may lie outside its folder (`--allow-outside`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Access {
    /// Only files inside the naming file's folder, after following symbolic links (the default).
    #[default]
    Confined,
    /// Any file: absolute paths, `..`, links that leave the folder.
    AllowOutside,
}

/// The folder of the file `path` (`.` for a bare file name).
pub fn folder_of(path: &Path) -> std::path::PathBuf {
    match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => std::path::PathBuf::from("."),
    }
}

/// The file `rel` named by the file `base`, relative to `base`'s folder. [`Access::Confined`]
/// refuses an absolute path, a path whose `..` leave the folder, and a path that resolves
/// (through symbolic links) outside it; the `Err` says why (`"is an absolute path"`, …).
pub fn confined(base: &Path, rel: &str, access: Access) -> Result<std::path::PathBuf, String> {
    use std::path::Component;
    let dir = folder_of(base);
    let path = base.parent().map_or_else(|| std::path::PathBuf::from(rel), |d| d.join(rel));
    if access == Access::AllowOutside {
        return Ok(path);
    }
    let mut depth = 0i64;
    for c in Path::new(rel).components() {
        match c {
            Component::Prefix(_) | Component::RootDir => return Err("is an absolute path".into()),
            Component::ParentDir => depth -= 1,
            Component::Normal(_) => depth += 1,
            Component::CurDir => {}
        }
        if depth < 0 {
            return Err("leads through `..`".into());
        }
    }
    // links: the file (when it exists) must resolve inside the folder's own resolution
    if let (Ok(real_dir), Ok(real)) = (dir.canonicalize(), path.canonicalize()) {
        if !real.starts_with(&real_dir) {
            return Err(format!("resolves (through a symbolic link) to {}", real.display()));
        }
    }
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_regular_files_are_read() {
        let dir = tempfile::tempdir().unwrap();
        let e = read_regular(dir.path()).unwrap_err().to_string();
        assert!(e.contains("is a folder, not a regular file"), "{e}");
        #[cfg(unix)]
        {
            let e = read_regular(Path::new("/dev/zero")).unwrap_err().to_string();
            assert_eq!(e, "/dev/zero: is a character device, not a regular file: not read");
        }
        let f = dir.path().join("t.txt");
        std::fs::write(&f, b"ok\n\xff").unwrap();
        assert_eq!(read_regular(&f).unwrap(), b"ok\n\xff");
        let e = read_text(&f).unwrap_err().to_string();
        assert!(e.ends_with("t.txt:2:1: not UTF-8 text (a byte that is not part of a UTF-8 character)"), "{e}");
        let e = read_text(&dir.path().join("none")).unwrap_err().to_string();
        assert!(e.contains("none: cannot read: "), "{e}");
    }
}
