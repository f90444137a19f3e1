//! Claim (b): numerical asymmetry appears. Which (method, precision) pairs have bitwise
//! asymmetric pairs in some order and FMA policy, and which are exactly symmetric in all.

use std::fmt::Write as _;

use crate::error::Error;
use crate::study::tf2::table::{col, table};
use crate::study::tf2::{Figures, Row, Study};
use crate::study::{Section, Verdict};

/// Claim (b)'s section.
pub fn section(study: &Study, fig: &mut Figures) -> Result<Section, Error> {
    let b = study.rows("claim-b-where");
    let mut combos: Vec<(String, bool)> = Vec::new();
    for r in b {
        let key = format!("{} at {}", r.row.method, r.row.precision);
        let asym = r.row.asym_pairs_fraction > 0.0;
        match combos.iter_mut().find(|(k, _)| *k == key) {
            Some(c) => c.1 |= asym,
            None => combos.push((key, asym)),
        }
    }
    fig.asymmetric_combos = combos.iter().filter(|c| c.1).map(|c| c.0.clone()).collect();
    fig.symmetric_combos = combos.iter().filter(|c| !c.1).map(|c| c.0.clone()).collect();
    let verdict = match (fig.asymmetric_combos.is_empty(), fig.symmetric_combos.is_empty()) {
        (true, _) => Verdict::Refuted,
        (false, true) => Verdict::Supported,
        (false, false) => Verdict::Nuanced,
    };
    let list = |v: &[String]| if v.is_empty() { "none".into() } else { v.join(", ") };
    let mut body = String::new();
    let _ = writeln!(
        body,
        "`claim-b-where.toml`: a tanh network (P = {}), softmax cross-entropy, 3 exact modes × 4 formats × 6 \
         orders × 2 FMA policies. Asymmetric (some pair differs bitwise in some order): {}. Exactly symmetric in \
         every order and FMA policy: {}. Where it appears it is all rounding (the antisymmetric approximation \
         part of an exact mode is at the truth's level), and its size depends on the order:\n",
        b.first().map_or(0, |r| r.p),
        list(&fig.asymmetric_combos),
        list(&fig.symmetric_combos)
    );
    if fig.symmetric_combos.iter().any(|c| c.starts_with("fwd-fwd")) {
        let _ = writeln!(
            body,
            "Why fwd-fwd stays symmetric: entry (j, i) swaps the roles of ε₁ and ε₂, which exchanges the \
             two cross terms a.e1·b.e2 and a.e2·b.e1 of every hyper-dual product. In an MLP one of the two \
             is always an exact zero (a weight's own tangent meets an activation's tangent from another \
             layer), and adding zero is exact — so the swap never changes a rounding.\n"
        );
    }
    let bv: Vec<&Row> = b.iter().filter(|r| r.row.method == "rev-rev" && r.row.precision == "f32").collect();
    body.push_str(&table(
        &bv,
        &[
            ("method", col::method),
            ("precision", col::precision),
            ("order", col::order),
            ("fma", col::fma),
            ("asymmetry", col::asym_rel_fro),
            ("pairs ≠", col::asym_pairs_fraction),
            ("order spread", col::order_total),
            ("rounding (antisym)", col::rounding_antisym),
        ],
    ));
    body.push('\n');
    Ok(Section { title: "(b) Numerical asymmetry appears".into(), verdict: Some(verdict), regenerate: vec!["claim-b-where"], body })
}
