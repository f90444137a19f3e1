//! The library's error type. Every variant names what is at fault: the file, the field (with
//! its index) and the offending value, so the binary can print one line and exit with status 2.

use std::path::{Path, PathBuf};

/// An error caused by the user's input (files, names, sizes).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file could not be read or written.
    #[error("{}: {message}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
    /// A file is not valid JSON.
    #[error("{}: malformed JSON: {message}", path.display())]
    Json {
        /// The file.
        path: PathBuf,
        /// The parser's message (with line and column).
        message: String,
    },
    /// A field of a file has a bad value.
    #[error("{}: field `{field}`: {message}", path.display())]
    Field {
        /// The file.
        path: PathBuf,
        /// The field, with indices (`params[3]`, `x[0][1]`).
        field: String,
        /// What is wrong, quoting the value.
        message: String,
    },
    /// A command-line option has a bad value.
    #[error("option `{option}`: {message}")]
    Option {
        /// The option (`--precision`).
        option: String,
        /// What is wrong, quoting the value.
        message: String,
    },
    /// The computation would not fit in memory.
    #[error("{}: {message} (use --force to try anyway)", path.display())]
    TooLarge {
        /// The problem file.
        path: PathBuf,
        /// The estimate.
        message: String,
    },
}

impl Error {
    /// A bad value of `field` in the file at `path` ([`Error::Field`]).
    pub fn field(path: &Path, field: impl Into<String>, message: impl Into<String>) -> Error {
        Error::Field { path: path.to_path_buf(), field: field.into(), message: message.into() }
    }
}
