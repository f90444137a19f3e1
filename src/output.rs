//! Matrix files written by `clairaut hessian --out FILE`, chosen by extension:
//!
//! * `.json` — `{"method", "precision", "order", "fma", "p", "hessian": [[...]]}`; each entry is
//!   a decimal **string** that reads back to exactly the computed value: the shortest such
//!   string for `f32`, `f64` and the emulated formats, and `1 + ⌈bits·log10 2⌉` significant digits
//!   at `mp:<bits>`.
//! * `.npy` — `f64`, shape (P, P), C order (MPFR values rounded to nearest `f64`).
//! * `.csv` — P lines of P decimal strings as in `.json`.
//!
//! Files are written atomically: to a temporary file in the same directory, then renamed.

use std::io::Write;
use std::path::Path;

use crate::error::Error;
use crate::hessian::Matrix;
use crate::scalar::Real;

/// What a matrix file says about how its matrix was computed.
#[derive(Clone, Debug)]
pub struct MatrixMeta {
    /// Method name.
    pub method: String,
    /// Precision name.
    pub precision: String,
    /// Order name.
    pub order: String,
    /// FMA policy.
    pub fma: bool,
}

/// Writes `contents` to `path` atomically.
pub fn write_atomic(path: &Path, contents: &[u8]) -> Result<(), Error> {
    let io = |e: std::io::Error| Error::Io { path: path.to_path_buf(), message: e.to_string() };
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(io)?;
    tmp.write_all(contents).map_err(io)?;
    tmp.as_file().sync_all().map_err(io)?;
    tmp.persist(path).map_err(|e| io(e.error))?;
    Ok(())
}

/// Writes `h` to `path` in the format its extension names.
pub fn write_matrix<R: Real>(path: &Path, h: &Matrix<R>, meta: &MatrixMeta, ctx: &R::RCtx) -> Result<(), Error> {
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
    let p = h.p;
    let bytes = match ext {
        "json" => {
            let rows: Vec<Vec<String>> =
                (0..p).map(|i| (0..p).map(|j| h.get(i, j).to_decimal(ctx)).collect()).collect();
            let doc = serde_json::json!({
                "method": meta.method,
                "precision": meta.precision,
                "order": meta.order,
                "fma": meta.fma,
                "p": p,
                "hessian": rows,
            });
            let mut s = serde_json::to_vec_pretty(&doc).expect("serializable");
            s.push(b'\n');
            s
        }
        "csv" => {
            let mut s = String::new();
            for i in 0..p {
                let row: Vec<String> = (0..p).map(|j| h.get(i, j).to_decimal(ctx)).collect();
                s.push_str(&row.join(","));
                s.push('\n');
            }
            s.into_bytes()
        }
        "npy" => {
            let data: Vec<f64> = (0..p).flat_map(|i| (0..p).map(move |j| (i, j))).map(|(i, j)| h.get(i, j).to_f64()).collect();
            npy_bytes(&data, &[p as u64, p as u64])
        }
        _ => {
            return Err(Error::Option {
                option: "--out".into(),
                message: format!(
                    "`{}`: unknown extension `{ext}` (expected .json, .npy or .csv)",
                    path.display()
                ),
            })
        }
    };
    write_atomic(path, &bytes)
}

/// An `.npy` file of `f64` in C order.
pub fn npy_bytes(data: &[f64], shape: &[u64]) -> Vec<u8> {
    let mut out = Vec::new();
    {
        use npyz::WriterBuilder;
        let mut w = npyz::WriteOptions::<f64>::new()
            .default_dtype()
            .shape(shape)
            .writer(&mut out)
            .begin_nd()
            .expect("in-memory npy header");
        w.extend(data.iter().copied()).expect("in-memory npy data");
        w.finish().expect("in-memory npy");
    }
    out
}
