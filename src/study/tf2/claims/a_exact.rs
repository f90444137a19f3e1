//! Claim (a): in exact arithmetic the Hessian is symmetric. Every exact mode at mp:256 on every
//! activation × loss must be symmetric to 2^-240 with a certified truth.

use std::fmt::Write as _;

use crate::error::Error;
use crate::study::tf2::table::sci;
use crate::study::tf2::{Figures, Study};
use crate::study::{Section, Verdict};

/// Claim (a)'s section.
pub fn section(study: &Study, fig: &mut Figures) -> Result<Section, Error> {
    let a = study.rows("claim-a-exact");
    fig.exact_max_asym = a.iter().map(|r| r.row.asym_rel_fro.to_f64()).fold(0.0, f64::max);
    let certified = a.iter().all(|r| r.row.certified);
    let verdict = if fig.exact_max_asym <= 2f64.powi(-240) && certified { Verdict::Supported } else { Verdict::Refuted };
    let mut body = String::new();
    let _ = writeln!(
        body,
        "Every exact mode (fwd-rev, rev-rev, fwd-fwd) at mp:256 on every activation × loss ({} Hessians, \
         `claim-a-exact.toml`): largest asymmetry ‖H−Hᵀ‖/‖H‖ = {} (≤ 2^-240 required), truth certified: {certified}. \
         Condition: C² activations — relu is C² away from its kink, and no pre-activation lies within \
         1e-9 of it here (the kink report would flag the undefined entries).\n",
        a.len(),
        sci(fig.exact_max_asym)
    );
    Ok(Section { title: "(a) In exact arithmetic the Hessian is symmetric".into(), verdict: Some(verdict), regenerate: vec!["claim-a-exact"], body })
}
