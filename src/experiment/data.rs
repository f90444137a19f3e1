//! Data files of experiments: `csv:<path>`, `npy:<x.npy>,<y.npy>` and `npy:<path>`, read into
//! the exact decimal text that problems carry.
//!
//! - **CSV**: numbers separated by commas, one row per line; surrounding spaces and quotes are
//!   ignored. The first line is a header (skipped) when none of its fields is a number, so a
//!   header row is optional. Each field must be a finite decimal number (`-1.5`, `2e-3`, `+.5`);
//!   its digits are kept as written — `0.1` is 1/10 at MPFR precision and fl(0.1) in `f64`, as in
//!   problem files — after lossless tidying into JSON number syntax (`+.5` → `0.5`).
//! - **`.npy`**: little-endian `f64` (`<f8`) or `f32` (`<f4`), C or Fortran order, shape `(N, d)`
//!   or `(N,)` (one column). Each value becomes the exact decimal text of the stored float
//!   ([`crate::model::import::exact_decimal`]: `0.1f32` is `0.100000001490116119384765625`),
//!   so every precision that holds the stored value — and the truth — sees exactly it. (The
//!   shortest decimal that reads back to an `f32` is a different number at `f64` and at the
//!   truth: the input-quantization part would then be an artefact of how the file was read.)
//! - Columns: with two `.npy` files, x is the first and y the second. A CSV file or a single
//!   `.npy` array is split by `y_columns` (0-based; the other columns are inputs, in file order),
//!   by default the last d_L columns are the targets.
//!
//! Every error is one line naming the file, the line/column or field, and the value.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::error::Error;

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Whether `data` names a data file source (`csv:` or `npy:`).
pub fn is_file_source(data: &str) -> bool {
    data.starts_with("csv:") || data.starts_with("npy:")
}

pub use crate::input::{folder_of, Access};

/// The file `rel` of data source `source` (field `data` of the experiment file `exp_path`),
/// relative to the experiment's folder. [`Access::Confined`] refuses an absolute path, a path
/// whose `..` leave the folder, and a path that resolves (through symbolic links) outside it
/// ([`crate::input::confined`]).
pub fn data_path(exp_path: &Path, source: &str, rel: &str, access: Access) -> Result<PathBuf, Error> {
    crate::input::confined(exp_path, rel, access).map_err(|why| {
        let message = format!("\"{source}\" {why}, outside the experiment file's folder \"{}\" (pass --allow-outside to read it)", folder_of(exp_path).display());
        Error::field(exp_path, "data", message)
    })
}

/// The files of a `csv:` / `npy:` source, relative to the experiment file's folder and
/// confined to it by `access` ([`data_path`]); `None` for any other source.
pub fn files(data: &str, exp_path: &Path, access: Access) -> Result<Option<Vec<PathBuf>>, Error> {
    let list: Vec<&str> = if let Some(p) = data.strip_prefix("csv:") {
        vec![p.trim()]
    } else if let Some(p) = data.strip_prefix("npy:") {
        p.split(',').map(str::trim).collect()
    } else {
        return Ok(None);
    };
    if list.is_empty() || list.len() > 2 || list.iter().any(|p| p.is_empty()) || (data.starts_with("csv:") && list.len() != 1) {
        return Err(Error::field(exp_path, "data", format!("\"{data}\": expected csv:<path>, npy:<x.npy>,<y.npy> or npy:<path>")));
    }
    list.iter().map(|p| data_path(exp_path, data, p, access)).collect::<Result<Vec<_>, _>>().map(Some)
}

fn read(path: &Path) -> Result<Vec<u8>, Error> {
    crate::limits::read_limited(path, crate::limits::MAX_DATA_BYTES, "data file").map_err(|e| match e {
        // "the data file is a FIFO, …", "… larger than a data file may be", "cannot read the data file: …"
        Error::Io { path, message } if message.starts_with("is ") => Error::Io { path, message: format!("the data file {message}") },
        Error::Io { path, message } if message.contains("data file") => Error::Io { path, message },
        Error::Io { path, message } => Error::Io { path, message: format!("cannot read the data file: {message}") },
        other => other,
    })
}

fn digest_of(contents: &[Vec<u8>]) -> String {
    match contents {
        [one] => hex(&Sha256::digest(one)),
        many => {
            let mut h = Sha256::new();
            for c in many {
                h.update(Sha256::digest(c));
            }
            hex(&h.finalize())
        }
    }
}

/// SHA-256 (hex) of a `csv:`/`npy:` source's bytes — of the file, or of the two files' digests
/// — or `None` for other sources.
pub fn digest(data: &str, exp_path: &Path, access: Access) -> Result<Option<String>, Error> {
    let Some(paths) = files(data, exp_path, access)? else { return Ok(None) };
    let contents = paths.iter().map(|p| read(p)).collect::<Result<Vec<_>, _>>()?;
    Ok(Some(digest_of(&contents)))
}

/// `s` as a finite decimal number in JSON number syntax (the same value, digits as written), or
/// `None`. Accepts an optional sign, digits with an optional point (`.5`, `5.`), and an optional
/// exponent.
pub fn decimal(s: &str) -> Option<String> {
    let s = s.trim();
    let (neg, body) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let (mant, exp) = match body.find(['e', 'E']) {
        Some(i) => (&body[..i], Some(&body[i + 1..])),
        None => (body, None),
    };
    let (int, frac) = mant.split_once('.').unwrap_or((mant, ""));
    let digits = |t: &str| t.bytes().all(|b| b.is_ascii_digit());
    if (int.is_empty() && frac.is_empty()) || !digits(int) || !digits(frac) {
        return None;
    }
    let mut out = String::with_capacity(s.len() + 1);
    if neg {
        out.push('-');
    }
    let int = int.trim_start_matches('0');
    out.push_str(if int.is_empty() { "0" } else { int });
    if !frac.is_empty() {
        out.push('.');
        out.push_str(frac);
    }
    if let Some(e) = exp {
        let d = e.strip_prefix(['+', '-']).unwrap_or(e);
        if d.is_empty() || !digits(d) {
            return None;
        }
        out.push('e');
        out.push_str(e);
    }
    // the problem's readers (serde_json, MPFR, Rust's float parser) all take JSON numbers
    out.parse::<serde_json::Number>().ok().map(|_| out)
}

/// A CSV file as rows of decimal text (header skipped), all of one width.
pub fn csv_table(path: &Path, bytes: &[u8]) -> Result<Rows, Error> {
    let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).trim(csv::Trim::All).from_reader(bytes);
    let mut rows = Vec::new();
    let mut first: Option<(u64, usize)> = None;
    for (k, record) in reader.records().enumerate() {
        let record = record.map_err(|e| {
            let line = e.position().map(|p| p.line()).unwrap_or(k as u64 + 1);
            Error::field(path, format!("line {line}"), format!("not readable as CSV: {e}"))
        })?;
        let line = record.position().map(|p| p.line()).unwrap_or(k as u64 + 1);
        match first {
            None => first = Some((line, record.len())),
            Some((l0, w)) if record.len() != w => {
                return Err(Error::field(path, format!("line {line}"), format!("{} fields, but line {l0} has {w}", record.len())));
            }
            _ => {}
        }
        let values: Vec<Option<String>> = record.iter().map(decimal).collect();
        if k == 0 && values.iter().all(Option::is_none) {
            continue; // a header
        }
        let row = values
            .into_iter()
            .zip(record.iter())
            .enumerate()
            .map(|(j, (v, text))| {
                v.ok_or_else(|| Error::field(path, format!("line {line}, column {}", j + 1), bad_field(text)))
            })
            .collect::<Result<Vec<_>, _>>()?;
        rows.push(row);
    }
    if rows.is_empty() {
        return Err(Error::field(path, "rows", "no data rows"));
    }
    Ok(rows)
}

/// An `.npy` array (`<f8` or `<f4`, 1 or 2 dimensions) as rows of decimal text.
pub fn npy_table(path: &Path, bytes: &[u8]) -> Result<Rows, Error> {
    let file = npyz::NpyFile::new(bytes).map_err(|e| Error::field(path, "header", npy_header_error(&e)))?;
    let dtype = match file.dtype() {
        npyz::DType::Plain(t) => t.to_string(),
        other => other.descr(),
    };
    let shape = file.shape().to_vec();
    let (rows, cols) = match shape[..] {
        [r] => (r, 1),
        [r, c] => (r, c),
        _ => return Err(Error::field(path, "shape", format!("{shape:?}: expected (N, d) or (N,)"))),
    };
    if rows == 0 || cols == 0 {
        return Err(Error::field(path, "shape", format!("{shape:?}: no data")));
    }
    // the shape is the header's claim: checked against the bytes before anything is allocated
    let item = if dtype == "<f4" { 4 } else { 8 };
    let count = rows.checked_mul(cols);
    if count.and_then(|n| n.checked_mul(item)).is_none_or(|b| b > bytes.len() as u64) {
        let count = count.map_or("more than 2^64".into(), |n| n.to_string());
        return Err(Error::field(path, "data", format!("{count} values of {dtype} expected by the shape {shape:?}, but the file has {} bytes", bytes.len())));
    }
    let fortran = file.order() == npyz::Order::Fortran;
    let truncated = |e: std::io::Error| Error::field(path, "data", format!("{} values of {dtype} expected: {e}", rows * cols));
    let values: Vec<f64> = match dtype.as_str() {
        "<f8" => file.into_vec::<f64>().map_err(truncated)?.into_iter().map(f64::from).collect(),
        "<f4" => file.into_vec::<f32>().map_err(truncated)?.into_iter().map(f64::from).collect(),
        _ => return Err(Error::field(path, "dtype", format!("`{dtype}`: expected little-endian f64 (`<f8`) or f32 (`<f4`)"))),
    };
    let (rows, cols) = (rows as usize, cols as usize);
    (0..rows)
        .map(|i| {
            (0..cols)
                .map(|j| {
                    let v = values[if fortran { j * rows + i } else { i * cols + j }];
                    if v.is_finite() {
                        Ok(crate::model::import::exact_decimal(v))
                    } else {
                        Err(Error::field(path, format!("[{i}][{j}]"), format!("value {v} is not finite")))
                    }
                })
                .collect()
        })
        .collect()
}

/// A CSV field that is not a finite decimal, as a message may show it: only when it looks like
/// a number (`nan`, `inf`, `0x1p3`, `1e`), never other text — data files named in a shared
/// experiment must not be printed.
fn bad_field(text: &str) -> String {
    let numberish = text.len() <= 24 && text.chars().all(|c| c.is_ascii_digit() || "+-.eExXpP".contains(c))
        || ["nan", "+nan", "-nan", "inf", "+inf", "-inf", "infinity", "+infinity", "-infinity"].contains(&text.to_ascii_lowercase().as_str());
    if numberish {
        format!("`{text}` is not a finite decimal number")
    } else {
        format!("not a finite decimal number (a text of {} characters, not shown)", text.chars().count())
    }
}

/// The message of an `.npy` header that cannot be read: npyz's own when it names the defect
/// without quoting the header, else a general one.
fn npy_header_error(e: &std::io::Error) -> String {
    let m = e.to_string();
    let safe = ["magic not found", "unsupported version", "dict is missing key", "could not parse utf-8", "dimension", "failed to fill whole buffer"];
    if safe.iter().any(|s| m.starts_with(s)) {
        format!("not a readable .npy file: {m}")
    } else {
        "not a readable .npy file: its header is not a NumPy header dict".into()
    }
}

/// Rows of decimal text.
pub type Rows = Vec<Vec<String>>;

/// The rows of a `csv:`/`npy:` source as (inputs, targets), each row of d0 and dL decimals.
/// `pinned`, when given, is the SHA-256 the data must still have (see [`digest`]).
pub fn load(
    data: &str,
    exp_path: &Path,
    y_columns: Option<&[usize]>,
    layers: &[usize],
    pinned: Option<&str>,
    access: Access,
) -> Result<(Rows, Rows), Error> {
    let paths = files(data, exp_path, access)?.expect("a data file source");
    let contents = paths.iter().map(|p| read(p)).collect::<Result<Vec<_>, _>>()?;
    if let Some(pin) = pinned {
        let now = digest_of(&contents);
        if now != pin {
            return Err(Error::field(&paths[0], "data_sha256", format!("the data changed since the experiment was read (SHA-256 {now}, expected {pin})")));
        }
    }
    let table = |i: usize| if data.starts_with("csv:") { csv_table(&paths[i], &contents[i]) } else { npy_table(&paths[i], &contents[i]) };
    let tables = (0..paths.len()).map(table).collect::<Result<Vec<_>, _>>()?;
    // the digest is not needed here (a pinned one was checked above)
    let shape = Shape { digest: String::new(), paths, tables: tables.iter().map(|t| (t.len(), t[0].len())).collect() };
    match shape.columns(exp_path, y_columns, layers)? {
        None => {
            let mut t = tables.into_iter();
            Ok((t.next().expect("x"), t.next().expect("y")))
        }
        Some((xcols, ycols)) => {
            let pick = |row: &Vec<String>, cols: &[usize]| cols.iter().map(|&c| row[c].clone()).collect::<Vec<_>>();
            let t = &tables[0];
            Ok((t.iter().map(|r| pick(r, &xcols)).collect(), t.iter().map(|r| pick(r, &ycols)).collect()))
        }
    }
}

/// The shape of a `csv:`/`npy:` source — (rows, columns) of each of its one or two tables —
/// read once when an experiment is loaded, so that every cell's `layers`, `y_columns` and `n`
/// are checked against its data before any cell runs.
#[derive(Clone, Debug)]
pub struct Shape {
    /// The source's SHA-256 (as [`digest`] gives it), from the same read.
    pub digest: String,
    paths: Vec<PathBuf>,
    tables: Vec<(usize, usize)>,
}

/// Reads and parses a `csv:`/`npy:` source (every value checked as [`load`] checks it) for its
/// [`Shape`]; `None` for other sources.
pub fn shape(data: &str, exp_path: &Path, access: Access) -> Result<Option<Shape>, Error> {
    let Some(paths) = files(data, exp_path, access)? else { return Ok(None) };
    let contents = paths.iter().map(|p| read(p)).collect::<Result<Vec<_>, _>>()?;
    let mut tables = Vec::new();
    for (p, bytes) in paths.iter().zip(&contents) {
        let t = if data.starts_with("csv:") { csv_table(p, bytes)? } else { npy_table(p, bytes)? };
        tables.push((t.len(), t[0].len()));
    }
    Ok(Some(Shape { digest: digest_of(&contents), paths, tables }))
}

impl Shape {
    /// The number of data rows.
    pub fn rows(&self) -> usize {
        self.tables[0].0
    }

    /// Checks the tables against `layers` and `y_columns`: two tables must be N × d0 and N × dL;
    /// one table is split into its input and target columns, returned as (inputs, targets)
    /// (`None` for two tables).
    pub fn columns(&self, exp_path: &Path, y_columns: Option<&[usize]>, layers: &[usize]) -> Result<Option<(Vec<usize>, Vec<usize>)>, Error> {
        let (d0, dl) = (layers[0], layers[layers.len() - 1]);
        let paths = &self.paths;
        if let [x, y] = self.tables[..] {
            if y_columns.is_some() {
                return Err(Error::field(exp_path, "y_columns", "applies to a CSV file or a single .npy array, not to separate x and y arrays"));
            }
            for (p, (rows, width), d, what) in [(&paths[0], x, d0, "inputs"), (&paths[1], y, dl, "targets")] {
                if width != d {
                    return Err(Error::field(p, "shape", format!("{rows} × {width}: layers {layers:?} need {d} {what} per row")));
                }
            }
            if x.0 != y.0 {
                return Err(Error::field(&paths[1], "shape", format!("{} rows, but {} has {}", y.0, paths[0].display(), x.0)));
            }
            return Ok(None);
        }
        let width = self.tables[0].1;
        let ycols: Vec<usize> = match y_columns {
            Some(c) => c.to_vec(),
            None => (width.saturating_sub(dl)..width).collect(),
        };
        for (k, &c) in ycols.iter().enumerate() {
            if c >= width {
                return Err(Error::field(exp_path, format!("y_columns[{k}]"), format!("{c} is not a column of {} ({width} columns, numbered from 0)", paths[0].display())));
            }
            if ycols[..k].contains(&c) {
                return Err(Error::field(exp_path, format!("y_columns[{k}]"), format!("column {c} is listed twice")));
            }
        }
        let xcols: Vec<usize> = (0..width).filter(|c| !ycols.contains(c)).collect();
        if xcols.len() != d0 || ycols.len() != dl {
            return Err(Error::field(
                &paths[0],
                "columns",
                format!("{width} columns: {} inputs and {} targets (y_columns {ycols:?}), but layers {layers:?} need d0 = {d0} and dL = {dl}", xcols.len(), ycols.len()),
            ));
        }
        Ok(Some((xcols, ycols)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An `.npy` file of `f64` in C order (written with `npyz`, independently of the result
    /// files' matrix writer).
    fn npy_bytes(data: &[f64], shape: &[u64]) -> Vec<u8> {
        use npyz::WriterBuilder;
        let mut out = Vec::new();
        let mut npy = npyz::WriteOptions::<f64>::new().default_dtype().shape(shape).writer(&mut out).begin_nd().unwrap();
        npy.extend(data.iter().copied()).unwrap();
        npy.finish().unwrap();
        out
    }

    #[test]
    fn data_paths_stay_in_the_experiment_folder() {
        let root = tempfile::tempdir().unwrap();
        let exp_dir = root.path().join("exp");
        std::fs::create_dir_all(exp_dir.join("sub")).unwrap();
        std::fs::write(root.path().join("outside.csv"), "1\n").unwrap();
        std::fs::write(exp_dir.join("in.csv"), "1\n").unwrap();
        std::os::unix::fs::symlink(root.path().join("outside.csv"), exp_dir.join("out.csv")).unwrap();
        std::os::unix::fs::symlink("in.csv", exp_dir.join("link.csv")).unwrap();
        let exp = exp_dir.join("e.toml");
        let ok = |rel: &str| data_path(&exp, "csv:x", rel, Access::Confined).map(|p| p.strip_prefix(&exp_dir).unwrap().to_path_buf());
        assert_eq!(ok("in.csv").unwrap(), Path::new("in.csv"));
        assert_eq!(ok("sub/../in.csv").unwrap(), Path::new("sub/../in.csv"));
        assert_eq!(ok("./link.csv").unwrap(), Path::new("link.csv"));
        assert_eq!(ok("missing.csv").unwrap(), Path::new("missing.csv"));
        for (rel, why) in [("../outside.csv", "leads through `..`"), ("sub/../../outside.csv", "leads through `..`"), ("/etc/passwd", "is an absolute path"), ("out.csv", "resolves (through a symbolic link) to")] {
            let e = ok(rel).unwrap_err().to_string();
            assert!(e.contains("e.toml: field `data`: \"csv:x\"") && e.contains(why) && e.contains("--allow-outside"), "{rel}: {e}");
            assert!(data_path(&exp, "csv:x", rel, Access::AllowOutside).is_ok());
        }
        // a bare file name: the folder is `.`, the path as written
        assert_eq!(data_path(Path::new("e.toml"), "csv:d.csv", "d.csv", Access::Confined).unwrap(), Path::new("d.csv"));
    }

    #[test]
    fn decimals_keep_their_digits() {
        for (s, want) in [
            ("0.1", Some("0.1")),
            (" -1.50 ", Some("-1.50")),
            ("+.5", Some("0.5")),
            ("5.", Some("5")),
            ("007", Some("7")),
            ("-0", Some("-0")),
            ("1E+05", Some("1e+05")),
            ("2.5e-3", Some("2.5e-3")),
            ("", None),
            (".", None),
            ("abc", None),
            ("1e", None),
            ("nan", None),
            ("inf", None),
            ("0x10", None),
            ("1,5", None),
            ("--1", None),
        ] {
            assert_eq!(decimal(s).as_deref(), want, "{s:?}");
        }
    }

    #[test]
    fn csv_header_is_optional_and_rows_must_agree() {
        let p = Path::new("t.csv");
        let with = csv_table(p, b"a,b,\"c\"\n1,2,3\n4.5, 5 ,-6e1\n").unwrap();
        let without = csv_table(p, b"1,2,3\n4.5,5,-6e1\n").unwrap();
        assert_eq!(with, without);
        assert_eq!(with[1], ["4.5", "5", "-6e1"]);
        let e = csv_table(p, b"1,2,3\n4,5\n").unwrap_err().to_string();
        assert!(e.contains("t.csv") && e.contains("line 2") && e.contains("2 fields, but line 1 has 3"), "{e}");
        let e = csv_table(p, b"x,y\n1,2\n3,oops\n").unwrap_err().to_string();
        assert!(e.contains("line 3, column 2") && e.contains("a text of 4 characters, not shown") && !e.contains("oops"), "{e}");
        let e = csv_table(p, b"1,2\n3,inf\n").unwrap_err().to_string();
        assert!(e.contains("line 2, column 2") && e.contains("`inf` is not a finite decimal number"), "{e}");
        let e = csv_table(p, b"x,y\n").unwrap_err().to_string();
        assert!(e.contains("no data rows"), "{e}");
    }

    #[test]
    fn npy_in_either_order_and_width() {
        let p = Path::new("t.npy");
        let c = npy_bytes(&[0.1, 2.0, -3.5, 1e-300, 5.0, 6.0], &[3, 2]);
        let t = npy_table(p, &c).unwrap();
        // the exact values stored (Python: format(decimal.Decimal(0.1), 'f'))
        assert_eq!(t[0], ["0.1000000000000000055511151231257827021181583404541015625", "2"]);
        assert_eq!(t[1][0], "-3.5");
        assert!(t[1][1].starts_with("0.000") && t[1][1].parse::<f64>().unwrap() == 1e-300, "{}", t[1][1]);
        assert_eq!(t[2], ["5", "6"]);
        let col = npy_table(p, &npy_bytes(&[1.0, 2.0], &[2])).unwrap();
        assert_eq!(col, [["1"], ["2"]]);
        let e = npy_table(p, &npy_bytes(&[1.0; 8], &[2, 2, 2])).unwrap_err().to_string();
        assert!(e.contains("t.npy") && e.contains("shape") && e.contains("[2, 2, 2]"), "{e}");
        let e = npy_table(p, &npy_bytes(&[1.0, f64::NAN], &[1, 2])).unwrap_err().to_string();
        assert!(e.contains("[0][1]") && e.contains("NaN"), "{e}");
        // f32 in Fortran order: the exact value of each f32 (not its shortest decimal, which is
        // another number at f64), rows as in C order
        let mut f = Vec::new();
        {
            use npyz::WriterBuilder;
            let mut w = npyz::WriteOptions::<f32>::new().default_dtype().shape(&[2, 2]).order(npyz::Order::Fortran).writer(&mut f).begin_nd().unwrap();
            w.extend([0.1f32, 0.3, 0.2, 0.4]).unwrap();
            w.finish().unwrap();
        }
        assert_eq!(
            npy_table(p, &f).unwrap(),
            [["0.100000001490116119384765625", "0.20000000298023223876953125"], ["0.300000011920928955078125", "0.4000000059604644775390625"]]
        );
        let mut i = Vec::new();
        {
            use npyz::WriterBuilder;
            let mut w = npyz::WriteOptions::<i64>::new().default_dtype().shape(&[2]).writer(&mut i).begin_nd().unwrap();
            w.extend([1i64, 2]).unwrap();
            w.finish().unwrap();
        }
        let e = npy_table(p, &i).unwrap_err().to_string();
        assert!(e.contains("`dtype`") && e.contains("`<i8`"), "{e}");
        let e = npy_table(p, &c[..c.len() - 4]).unwrap_err().to_string();
        assert!(e.contains("`data`"), "{e}");
        let e = npy_table(p, b"not an npy file").unwrap_err().to_string();
        assert!(e.contains("`header`"), "{e}");
    }
}
