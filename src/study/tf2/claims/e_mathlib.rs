//! Claim (e): numerically approximated activations make it worse. The geometric mean of
//! asymmetry(libm) / asymmetry(core-math) over the activations, at f32 and f64.

use std::fmt::Write as _;

use crate::error::Error;
use crate::study::tf2::table::{col, table};
use crate::study::tf2::{Figures, Row, Study};
use crate::study::{Section, Verdict};

/// Geometric mean of asymmetry(libm) / asymmetry(core-math) at `prec` (1 when no pair has
/// both asymmetries positive). The cells are ordered activation-major with math innermost
/// (core-math, libm), each holding 4 rows (rev-rev, fwd-rev) × (f32, f64): they pair up.
fn libm_ratio(e: &[Row], prec: &str) -> f64 {
    let asym = |r: &Row| r.row.asym_rel_fro.to_f64();
    let mut logs = Vec::new();
    let cells: Vec<&[Row]> = e.chunks(4).collect();
    for pair in cells.chunks(2) {
        if let [core, lib] = pair {
            for (x, y) in core.iter().zip(lib.iter()) {
                if x.row.precision == prec && asym(x) > 0.0 && asym(y) > 0.0 {
                    logs.push((asym(y) / asym(x)).ln());
                }
            }
        }
    }
    if logs.is_empty() {
        1.0
    } else {
        (logs.iter().sum::<f64>() / logs.len() as f64).exp()
    }
}

/// Claim (e)'s section.
pub fn section(study: &Study, fig: &mut Figures) -> Result<Section, Error> {
    let e = study.rows("claim-e-mathlib");
    fig.libm_ratio = (libm_ratio(e, "f32"), libm_ratio(e, "f64"));
    let verdict = Verdict::at_both(fig.libm_ratio, |ratio| ratio > 1.5, |ratio| ratio < 1.5);
    let mut body = String::new();
    let _ = writeln!(
        body,
        "`claim-e-mathlib.toml`: sigmoid, tanh, softplus, gelu, silu with correctly rounded transcendentals \
         (core-math) and with an ordinary math library (libm). Geometric mean of asymmetry(libm) / \
         asymmetry(core-math): {:.2} at f32, {:.2} at f64 (supported needs > 1.5 at both). An activation \
         is evaluated once per pre-activation and shared by H_ij and H_ji, so its error moves both \
         entries alike; the asymmetry comes from the order of the sums, not from the activation.\n",
        fig.libm_ratio.0, fig.libm_ratio.1
    );
    let ev: Vec<&Row> = e.iter().collect();
    body.push_str(&table(
        &ev,
        &[
            ("activations", col::activations),
            ("math library", col::math),
            ("method", col::method),
            ("precision", col::precision),
            ("asymmetry", col::asym_rel_fro),
            ("error", col::error_rel_fro),
        ],
    ));
    body.push('\n');
    Ok(Section { title: "(e) Numerically approximated activations make it worse".into(), verdict: Some(verdict), regenerate: vec!["claim-e-mathlib"], body })
}
