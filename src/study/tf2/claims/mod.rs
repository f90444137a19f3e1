//! The article's claims (a)–(g), one file each: every claim reads its experiment's rows,
//! records the figures the tests check, computes its verdict and writes its section; and the
//! closing notes on what would change the verdicts.

use std::fmt::Write as _;

use super::{Figures, Study};
use crate::error::Error;
use crate::study::Section;

pub mod a_exact;
pub mod b_where;
pub mod c_size;
pub mod d_fd;
pub mod e_mathlib;
pub mod f_precision;
pub mod g_policy;

/// The closing section: what would change each verdict (no verdict of its own).
pub fn limits(_: &Study, _: &mut Figures) -> Result<Section, Error> {
    let mut body = String::new();
    let _ = writeln!(
        body,
        "(a) would fail at a relu kink (the Hessian is undefined there, reported by `analyze`); (b) depends on \
         the order and the FMA policy, listed above; (c) is measured up to P ≈ 500 and a few hundred \
         parameters per layer — larger networks may change ρ; (d) would flip for fd-loss-4pt only if its \
         loss values were not reused symmetrically; (e) would change with a math library whose errors are \
         large enough to dominate the sums (not the case for libm); (f) compares formats at equal order and method.\n"
    );
    Ok(Section { title: "What would change the verdicts".into(), verdict: None, regenerate: Vec::new(), body })
}
