//! The library's error type. Every variant names what is at fault: the file, the field (with
//! its index) or the line and column, and the offending value, so the binary can print one line
//! and exit with status 2.
//!
//! Messages never carry a file's content beyond the value at fault, and that value only when it
//! is a short name or number ([`shown`]): an error about a data file named in a shared
//! experiment must not print the file. Paths and values are printed with control characters
//! escaped ([`one_line`]), so every message is one line.

use std::path::{Path, PathBuf};

/// An error caused by the user's input (files, names, sizes).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file could not be read or written.
    #[error("{}: {}", shown_path(path), one_line(message))]
    Io {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
    /// A file is not valid JSON.
    #[error("{}: malformed JSON: {}", shown_path(path), one_line(message))]
    Json {
        /// The file.
        path: PathBuf,
        /// The parser's message (with line and column).
        message: String,
    },
    /// A file's text is malformed at a line and column (TOML and JSON syntax, bad UTF-8).
    #[error("{}:{line}:{column}: {}", shown_path(path), one_line(message))]
    At {
        /// The file.
        path: PathBuf,
        /// The line, from 1.
        line: usize,
        /// The column, from 1, in characters.
        column: usize,
        /// What is wrong there.
        message: String,
    },
    /// A field of a file has a bad value.
    #[error("{}: field `{}`: {}", shown_path(path), one_line(field), one_line(message))]
    Field {
        /// The file.
        path: PathBuf,
        /// The field, with indices (`params[3]`, `x[0][1]`).
        field: String,
        /// What is wrong, quoting the value.
        message: String,
    },
    /// A command-line option has a bad value.
    #[error("option `{option}`: {}", one_line(message))]
    Option {
        /// The option (`--precision`).
        option: String,
        /// What is wrong, quoting the value.
        message: String,
    },
    /// The computation would not fit in memory.
    #[error("{}: {} (use --force to try anyway)", shown_path(path), one_line(message))]
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

    /// An error at byte `offset` of `text`, the content of the file at `path` ([`Error::At`]).
    pub fn at(path: &Path, text: &str, offset: usize, message: impl Into<String>) -> Error {
        let (line, column) = line_column(text, offset);
        Error::At { path: path.to_path_buf(), line, column, message: message.into() }
    }
}

/// The line and column (both from 1; the column in characters) of byte `offset` of `text`
/// (clamped to the text, and back to a character boundary).
pub fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.bytes().filter(|&b| b == b'\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

/// `s` with every control character escaped (`\n`, `\u{1b}`), so that it prints on one line.
pub fn one_line(s: &str) -> String {
    if !s.chars().any(char::is_control) {
        return s.to_string();
    }
    s.chars().map(|c| if c.is_control() { c.escape_default().to_string() } else { c.to_string() }).collect()
}

fn shown_path(path: &Path) -> String {
    one_line(&path.display().to_string())
}

/// A value read from a file, as an error message may show it: `` `s` `` when it is a short name
/// or number (at most 32 characters of ASCII letters, digits and `_ - + . :`), otherwise only
/// its length (`a text of 57 characters`), so that no message prints a file's content.
pub fn shown(s: &str) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || "_-+.:".contains(c);
    if !s.is_empty() && s.len() <= 32 && s.chars().all(plain) {
        format!("`{s}`")
    } else {
        format!("a text of {} characters", s.chars().count())
    }
}

/// A CBOR decoding error as one line of text (ciborium's `Display` prints its `Debug` form).
pub fn cbor_read<T>(e: &ciborium::de::Error<T>) -> String {
    use ciborium::de::Error as E;
    match e {
        E::Io(_) => "the file ends before the CBOR value does (truncated)".into(),
        E::Syntax(at) => format!("not valid CBOR at byte {at}"),
        E::Semantic(Some(at), m) => format!("{} (at byte {at})", one_line(m)),
        E::Semantic(None, m) => one_line(m),
        E::RecursionLimitExceeded => "nested too deeply".into(),
    }
}

/// A CBOR value that does not decode into its type, as one line of text.
pub fn cbor_value(e: &ciborium::value::Error) -> String {
    let ciborium::value::Error::Custom(m) = e;
    one_line(m)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_and_columns_count_from_one_in_characters() {
        let t = "ab\nπd\n";
        assert_eq!(line_column(t, 0), (1, 1));
        assert_eq!(line_column(t, 2), (1, 3));
        assert_eq!(line_column(t, 3), (2, 1));
        assert_eq!(line_column(t, 5), (2, 2)); // after the two bytes of π
        assert_eq!(line_column(t, 4), (2, 1)); // inside π: back to its start
        assert_eq!(line_column(t, 99), (3, 1));
    }

    #[test]
    fn messages_are_one_line_and_show_no_content() {
        let e = Error::field(Path::new("a\nb.toml"), "x", "bad\r\nvalue");
        assert_eq!(e.to_string(), "a\\nb.toml: field `x`: bad\\r\\nvalue");
        assert_eq!(shown("sigmod"), "`sigmod`");
        assert_eq!(shown("1e-3"), "`1e-3`");
        assert_eq!(shown("root:x:0:0:root:/root:/bin/bash"), "a text of 31 characters");
        assert_eq!(shown("two words"), "a text of 9 characters");
        assert_eq!(shown(""), "a text of 0 characters");
        let e: ciborium::de::Error<std::io::Error> = ciborium::de::Error::Semantic(Some(7), "invalid type".into());
        assert_eq!(cbor_read(&e), "invalid type (at byte 7)");
        assert!(!cbor_read(&ciborium::de::Error::<()>::Syntax(3)).contains("Syntax("));
    }
}
