//! Claim (c): the magnitude grows with network size and loss complexity. Spearman rank
//! correlation of P with the relative asymmetry at f32 and f64, and median asymmetry per loss.

use std::fmt::Write as _;

use crate::error::Error;
use crate::study::tf2::table::{col, sci, table};
use crate::study::tf2::{Figures, Row, Study};
use crate::study::{Section, Verdict};

/// Spearman rank correlation (ties get their mean rank; 0 when either side is constant).
pub fn spearman(x: &[f64], y: &[f64]) -> f64 {
    fn ranks(v: &[f64]) -> Vec<f64> {
        let mut idx: Vec<usize> = (0..v.len()).collect();
        idx.sort_by(|&a, &b| v[a].total_cmp(&v[b]));
        let mut r = vec![0.0; v.len()];
        let mut i = 0;
        while i < idx.len() {
            let mut j = i;
            while j + 1 < idx.len() && v[idx[j + 1]] == v[idx[i]] {
                j += 1;
            }
            for k in i..=j {
                r[idx[k]] = (i + j) as f64 / 2.0;
            }
            i = j + 1;
        }
        r
    }
    let (rx, ry) = (ranks(x), ranks(y));
    let n = x.len() as f64;
    let (mx, my) = (rx.iter().sum::<f64>() / n, ry.iter().sum::<f64>() / n);
    let cov: f64 = rx.iter().zip(&ry).map(|(a, b)| (a - mx) * (b - my)).sum();
    let (vx, vy): (f64, f64) = (rx.iter().map(|a| (a - mx).powi(2)).sum(), ry.iter().map(|b| (b - my).powi(2)).sum());
    if vx == 0.0 || vy == 0.0 {
        0.0
    } else {
        cov / (vx * vy).sqrt()
    }
}

/// Claim (c)'s section.
pub fn section(study: &Study, fig: &mut Figures) -> Result<Section, Error> {
    let c = study.rows("claim-c-size");
    let asym = |r: &Row| r.row.asym_rel_fro.to_f64();
    let rho = |prec: &str| {
        let v: Vec<&Row> = c.iter().filter(|r| r.row.precision == prec).collect();
        spearman(&v.iter().map(|r| r.p as f64).collect::<Vec<_>>(), &v.iter().map(|r| asym(r)).collect::<Vec<_>>())
    };
    fig.size_rho = (rho("f32"), rho("f64"));
    let med = |loss: &str, prec: &str| {
        let mut v: Vec<f64> = c.iter().filter(|r| r.shape.loss == loss && r.row.precision == prec).map(asym).collect();
        v.sort_by(f64::total_cmp);
        v.get(v.len() / 2).copied().unwrap_or(f64::NAN)
    };
    let verdict = Verdict::at_both(fig.size_rho, |rho| rho > 0.7, |rho| rho < 0.0);
    let mut body = String::new();
    let _ = writeln!(
        body,
        "`claim-c-size.toml`: rev-rev on tanh MLPs of 8 widths/depths × 2 losses. Spearman rank correlation \
         of P with the relative asymmetry: ρ = {:.2} at f32, {:.2} at f64 (supported needs ρ > 0.7 at both). \
         Median asymmetry, mse vs softmax cross-entropy: {} vs {} (f32), {} vs {} (f64). The relative \
         asymmetry is a rounding quantity of order ε·(condition of the sums); its growth with P is that of \
         the sums' lengths, not a law.\n",
        fig.size_rho.0,
        fig.size_rho.1,
        sci(med("mse", "f32")),
        sci(med("softmax_cross_entropy", "f32")),
        sci(med("mse", "f64")),
        sci(med("softmax_cross_entropy", "f64"))
    );
    let cv: Vec<&Row> = c.iter().filter(|r| r.row.precision == "f64").collect();
    body.push_str(&table(
        &cv,
        &[
            ("layers", col::layers),
            ("loss", col::loss),
            ("P", col::p),
            ("asymmetry (f64)", col::asym_rel_fro),
            ("pairs ≠", col::asym_pairs_fraction),
            ("error", col::error_rel_fro),
        ],
    ));
    body.push('\n');
    Ok(Section { title: "(c) The magnitude grows with network size and loss complexity".into(), verdict: Some(verdict), regenerate: vec!["claim-c-size"], body })
}
