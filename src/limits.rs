//! The documented limits on sizes taken from untrusted input — files, options, experiment grids —
//! and the checked arithmetic that applies them. Every size is checked here *before* memory is
//! committed, so that input too large is refused with one line naming the value and the limit
//! (exit 2), never by an allocation failure or an overflow.
//!
//! | what | limit |
//! |---|---|
//! | an experiment file (TOML) | [`MAX_EXPERIMENT_BYTES`] |
//! | a problem file (JSON) | [`MAX_PROBLEM_BYTES`] |
//! | a data file (`csv:`, `npy:`) | [`MAX_DATA_BYTES`] |
//! | an external Hessian (`--external`, `externals`) for P parameters | [`max_external_bytes`]: P² `f64` and 1 MiB |
//! | the combinations of an experiment grid | [`MAX_CELLS`] |
//! | `--threads` (every command) | [`MAX_THREADS`] |
//! | `--check-extra` / `check_extra` | [`MAX_CHECK_EXTRA`] |
//!
//! Memory itself is checked against the estimates of [`crate::hessian::cost`] and the available
//! memory.

use std::io::Read;
use std::path::Path;

use crate::error::Error;

/// Largest experiment file read, in bytes (16 MiB).
pub const MAX_EXPERIMENT_BYTES: u64 = 16 << 20;
/// Largest problem file read, in bytes (256 MiB; parsing costs about 100 bytes of memory per
/// byte of JSON).
pub const MAX_PROBLEM_BYTES: u64 = 256 << 20;
/// Largest data file (`csv:`, `npy:`) read, in bytes (256 MiB).
pub const MAX_DATA_BYTES: u64 = 256 << 20;
/// Most combinations an experiment grid may have (the product of its swept keys' value counts,
/// before `exclude`): 10^7.
pub const MAX_CELLS: u64 = 10_000_000;
/// Most worker threads (`--threads`).
pub const MAX_THREADS: usize = 4096;
/// Most extra bits of the truth's certifying recomputation (`--check-extra`, `check_extra`).
pub const MAX_CHECK_EXTRA: u32 = 65536;

/// Reads the file at `path` when it has at most `limit` bytes; `what` names the kind of file in
/// the refusal ("problem file"). The size is checked before reading, and again while reading (a
/// file that grows, or a device, never fills memory).
pub fn read_limited(path: &Path, limit: u64, what: &str) -> Result<Vec<u8>, Error> {
    let io = |e: std::io::Error| Error::Io { path: path.to_path_buf(), message: e.to_string() };
    let too_large = |bytes: String| Error::Io {
        path: path.to_path_buf(),
        message: format!("{bytes} is larger than a {what} may be ({} bytes at most)", limit),
    };
    crate::input::ensure_regular(path)?;
    let file = std::fs::File::open(path).map_err(io)?;
    let len = file.metadata().map_err(io)?.len();
    if len > limit {
        return Err(too_large(format!("{len} bytes")));
    }
    let mut bytes = Vec::with_capacity(len as usize);
    file.take(limit.saturating_add(1)).read_to_end(&mut bytes).map_err(io)?;
    if bytes.len() as u64 > limit {
        return Err(too_large("the file".into()));
    }
    Ok(bytes)
}

/// [`read_limited`] as UTF-8 text.
pub fn read_text_limited(path: &Path, limit: u64, what: &str) -> Result<String, Error> {
    crate::input::utf8(path, read_limited(path, limit, what)?)
}

/// The number of parameters of an MLP of widths `layers` (P = Σ d_{l−1}·d_l + d_l), or `None`
/// when it overflows a `u64`.
pub fn checked_num_params(layers: &[usize]) -> Option<u64> {
    checked_num_params_with(layers, &[])
}

/// [`checked_num_params`] with a bias flag per layer (`bias[l − 1]` false: layer l has no bias
/// and counts `d_{l−1}·d_l`; a layer without a flag has a bias).
pub fn checked_num_params_with(layers: &[usize], bias: &[bool]) -> Option<u64> {
    layers.windows(2).enumerate().try_fold(0u64, |acc, (l, w)| {
        let (din, dout) = (w[0] as u64, w[1] as u64);
        let b = if bias.get(l).copied().unwrap_or(true) { dout } else { 0 };
        acc.checked_add(din.checked_mul(dout)?.checked_add(b)?)
    })
}

/// The product of `counts` (the combinations of a grid), or `None` when it overflows a `u64`.
pub fn checked_product(counts: impl IntoIterator<Item = usize>) -> Option<u64> {
    counts.into_iter().try_fold(1u64, |acc, c| acc.checked_mul(c as u64))
}

/// The number of values of an inclusive range `start..=stop` with `step` > 0, or `None` when it
/// does not fit a `u64` — computed without building the range.
pub fn range_len(start: i64, stop: i64, step: i64) -> Option<u64> {
    if step <= 0 || start > stop {
        return None;
    }
    let span = (stop as i128) - (start as i128);
    u64::try_from(span / step as i128 + 1).ok()
}

/// The most bytes an external Hessian file (`analyze --external`) may have for P parameters:
/// P² `f64` values and 1 MiB of header (`None` when that overflows a `u64`). Checked before the
/// file is read, so a file far larger than its problem's Hessian is never read.
pub fn max_external_bytes(p: u64) -> Option<u64> {
    p.checked_mul(p)?.checked_mul(8)?.checked_add(1 << 20)
}

/// Checks a `--threads` value: 1 to [`MAX_THREADS`].
pub fn check_threads(option: &str, threads: usize) -> Result<usize, Error> {
    if (1..=MAX_THREADS).contains(&threads) {
        Ok(threads)
    } else {
        Err(Error::Option { option: option.into(), message: format!("`{threads}` is out of range: from 1 to {MAX_THREADS} threads") })
    }
}

/// Checks the extra bits of the truth's certifying recomputation: 0 to [`MAX_CHECK_EXTRA`]
/// (`analyze --check-extra` and an experiment's `check_extra` alike).
pub fn check_extra_bits(extra: u32) -> Result<u32, String> {
    if extra <= MAX_CHECK_EXTRA {
        Ok(extra)
    } else {
        Err(format!("`{extra}` is out of range: from 0 to {MAX_CHECK_EXTRA} bits"))
    }
}

/// Checks a kink tolerance: a finite number ≥ 0 (`analyze --kink-tol` and an experiment's
/// `kink_tol` alike).
pub fn check_kink_tol(tol: f64) -> Result<f64, String> {
    if tol.is_finite() && tol >= 0.0 {
        Ok(tol)
    } else {
        Err(format!("`{tol}` must be a finite number ≥ 0"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn params_are_counted_or_refused_on_overflow() {
        assert_eq!(checked_num_params(&[2, 3, 1]), Some(2 * 3 + 3 + 3 + 1));
        assert_eq!(checked_num_params(&[100_000, 100_000]), Some(10_000_100_000));
        assert_eq!(checked_num_params(&[usize::MAX, 2]), None);
        assert_eq!(checked_num_params(&[1 << 32, 1 << 32]), None);
        assert_eq!(checked_num_params(&[1 << 31, 1 << 31, 1 << 31]), Some(2 * ((1u64 << 62) + (1 << 31))));
        assert_eq!(checked_num_params(&[1 << 31; 4]), Some(3 * ((1u64 << 62) + (1 << 31))));
        assert_eq!(checked_num_params_with(&[2, 3, 1], &[false, true]), Some(2 * 3 + 3 + 1));
        assert_eq!(checked_num_params_with(&[2, 3, 1], &[true, false]), Some(2 * 3 + 3 + 3));
        assert_eq!(checked_num_params_with(&[1 << 32, 1 << 32], &[false]), None);
        assert_eq!(checked_num_params(&[1 << 31; 5]), None); // 4 · (2^62 + 2^31) ≥ 2^64
        assert_eq!(checked_num_params(&[5]), Some(0));
    }

    #[test]
    fn grid_products_and_ranges_never_wrap() {
        assert_eq!(checked_product([10, 100, 1000]), Some(1_000_000));
        assert_eq!(checked_product([]), Some(1));
        assert_eq!(checked_product([1 << 32, 1 << 32]), None);
        assert_eq!(checked_product([usize::MAX, 2]), None);
        assert_eq!(range_len(1, 10, 1), Some(10));
        assert_eq!(range_len(1, 10, 3), Some(4)); // 1, 4, 7, 10
        assert_eq!(range_len(8, 32, 8), Some(4));
        assert_eq!(range_len(i64::MIN, i64::MAX, 1), None); // 2^64 values
        assert_eq!(range_len(0, i64::MAX, 1), Some(1 << 63));
        assert_eq!(range_len(i64::MAX - 2, i64::MAX, 1), Some(3));
        assert_eq!(range_len(i64::MIN, i64::MAX, i64::MAX), Some(3));
        assert_eq!(range_len(3, 2, 1), None);
        assert_eq!(range_len(1, 2, 0), None);
    }

    #[test]
    fn threads_are_bounded() {
        assert_eq!(check_threads("--threads", 1).unwrap(), 1);
        assert_eq!(check_threads("--threads", MAX_THREADS).unwrap(), MAX_THREADS);
        for bad in [0, MAX_THREADS + 1, 100_000, usize::MAX] {
            let e = check_threads("--threads", bad).unwrap_err().to_string();
            assert!(e.contains(&format!("`{bad}`")) && e.contains("4096"), "{e}");
        }
    }

    #[test]
    fn files_over_the_limit_are_refused_before_reading() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("big.json");
        std::fs::File::create(&f).unwrap().set_len(1 << 40).unwrap(); // sparse: 1 TiB, nothing written
        let e = read_limited(&f, 1024, "problem file").unwrap_err().to_string();
        assert!(e.contains("1099511627776 bytes is larger than a problem file may be (1024 bytes at most)"), "{e}");
        std::fs::write(&f, b"abc").unwrap();
        assert_eq!(read_limited(&f, 3, "problem file").unwrap(), b"abc");
        assert!(read_limited(&f, 2, "problem file").is_err());
    }
}
