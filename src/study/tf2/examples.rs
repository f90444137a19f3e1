//! The article's three examples: what TensorFlow does with them as printed (from the recorded
//! cross-check), Clairaut's full Hessian on Example 1's configuration, Example 2's formula as
//! printed (`fd-loss-4pt-as-printed`, read from its result file) beside the schemes the text
//! intends, and Example 3; Examples 1 and 3 under the frameworks' derivative rules
//! (`example1-rules`: each rules' Hessian beside Clairaut's graph, their difference as the
//! graph part).

use std::fmt::Write as _;
use std::path::Path;

use ciborium::Value as Cbor;
use serde_json::Value as Json;

use super::table::{col, metric, sci, table};
use super::{Figures, Row, Study};
use crate::error::Error;
use crate::results::ResultFile;
use crate::study::Section;

/// The examples' section (no verdict).
pub fn section(study: &Study, fig: &mut Figures) -> Result<Section, Error> {
    let mut body = crosscheck(study.crosscheck.as_ref());
    example1(study, fig, &mut body);
    example2(study, fig, &mut body)?;
    let _ = writeln!(
        body,
        "\n**Example 3** calls `tape.hessian`, which `tf.GradientTape` does not have: `AttributeError`. The \
         corrected nested-tape Hessian agrees with Clairaut's rev-rev to the last few ulps (see `crosscheck-tf.md`).\n"
    );
    framework_rules(study, &mut body);
    Ok(Section { title: "The article's examples".into(), verdict: None, regenerate: vec!["example1", "example2", "example1-rules"], body })
}

/// The cross-check's observations of the examples run verbatim with TensorFlow.
fn crosscheck(cross: Option<&Json>) -> String {
    let mut md = String::new();
    if let Some(obs) = cross.and_then(|c| c["observations"].as_array()) {
        let _ = writeln!(md, "Run verbatim with TensorFlow (`crosscheck-tf.md`):\n");
        for o in obs.iter().filter_map(Json::as_str).filter(|o| o.starts_with("Example") || o.starts_with("TensorFlow")) {
            let _ = writeln!(md, "- {o}");
        }
        md.push('\n');
    } else {
        let _ = writeln!(md, "(The TensorFlow cross-check output `crosscheck-tf.json` is not present.)\n");
    }
    md
}

/// Example 1: which entries it computes, and Clairaut's full Hessian on its configuration.
fn example1(study: &Study, fig: &mut Figures, md: &mut String) {
    let ex1 = study.rows("example1");
    fig.example1_f64_symmetric = ex1.iter().filter(|r| r.row.precision == "f64" && r.row.method == "rev-rev").all(|r| r.row.asym_pairs_fraction == 0.0);
    let _ = writeln!(
        md,
        "**Example 1** computes `tape.jacobian(grad_weights, weights)` (the W–W block, 16 entries) and \
         `tape.jacobian(grad_bias, bias)` (the b–b block, 4 entries): 20 of the 36 entries of the 6×6 \
         Hessian; the 16 weight–bias cross entries are never computed. As printed, the gradients are \
         taken outside the tape's recording, so both jacobians are `None`. Clairaut's full Hessian \
         (rev-rev, as TensorFlow's nested tapes) on the same configuration:\n"
    );
    let view: Vec<&Row> = ex1.iter().filter(|r| r.row.order == "sequential").collect();
    md.push_str(&table(
        &view,
        &[
            ("method", col::method),
            ("precision", col::precision),
            ("fma", col::fma),
            ("error ‖H−T‖/‖T‖", col::error_rel_fro),
            ("asymmetry ‖H−Hᵀ‖/‖H‖", col::asym_rel_fro),
            ("pairs ≠ bitwise", col::asym_pairs_fraction),
            ("input quantization", col::input_total),
        ],
    ));
    let _ = writeln!(
        md,
        "\nAt float64, rev-rev on Example 1 is {} (every order and FMA policy).\n",
        if fig.example1_f64_symmetric { "**exactly symmetric**, bit for bit" } else { "asymmetric" }
    );
}

/// Examples 1 and 3 (one network) under each framework's derivative rules: the Hessian's
/// error beside Clairaut's graph in the same cell, and their difference — the graph part — set
/// against the rounding part; every statement from the rows of `example1-rules`.
fn framework_rules(study: &Study, md: &mut String) {
    let rows: Vec<&Row> = study.rows("example1-rules").iter().collect();
    let rules = |r: &Row| r.row.rules.clone().unwrap_or_else(|| "clairaut".into());
    let _ = writeln!(
        md,
        "**Examples 1 and 3 under the frameworks' derivative rules.** Example 3's network is Example 1's. The \
         frameworks build its Hessian from their own formulas: TensorFlow's nested tapes and \
         `torch.autograd.functional.hessian` (`rules = tensorflow`, `rules = pytorch`, rev-rev), `jax.hessian` and \
         `torch.func.hessian` (`rules = jax`, `rules = pytorch`, fwd-rev: jacfwd of jacrev). Each framework-rules \
         row beside Clairaut's own (`clairaut`) in the same method and precision; the graph \
         part is ‖H(rules) − H(clairaut)‖/‖T‖, their whole difference:\n"
    );
    fn rules_col(r: &Row) -> String {
        r.row.rules.clone().unwrap_or_else(|| "clairaut".into())
    }
    fn graph_col(r: &Row) -> String {
        r.row.attribution.graph.as_ref().map_or_else(String::new, |g| metric(&g.total))
    }
    fn rounding_col(r: &Row) -> String {
        metric(&r.row.attribution.rounding.total)
    }
    md.push_str(&table(
        &rows,
        &[
            ("method", col::method),
            ("precision", col::precision),
            ("rules", rules_col),
            ("error ‖H−T‖/‖T‖", col::error_rel_fro),
            ("graph", graph_col),
            ("rounding", rounding_col),
            ("asymmetry ‖H−Hᵀ‖/‖H‖", col::asym_rel_fro),
        ],
    ));
    let framework: Vec<&&Row> = rows.iter().filter(|r| r.row.attribution.graph.is_some()).collect();
    let graph = |r: &Row| r.row.attribution.graph.as_ref().map_or(0.0, |g| g.total.to_f64());
    let differ = framework.iter().filter(|r| graph(r) > 0.0).count();
    let within = framework.iter().filter(|r| graph(r) <= r.row.attribution.rounding.total.to_f64()).count();
    let base = |r: &Row| rows.iter().find(|b| b.row.attribution.graph.is_none() && b.row.method == r.row.method && b.row.precision == r.row.precision);
    let better: Vec<String> = framework
        .iter()
        .filter(|r| base(r).is_some_and(|b| r.row.error_rel_fro.to_f64() < b.row.error_rel_fro.to_f64()))
        .map(|r| format!("{} {} {}", rules(r), r.row.method, r.row.precision))
        .collect();
    let _ = writeln!(
        md,
        "\n{differ} of the {} framework-rules rows differ from Clairaut's graph; in {within} of them the graph part is \
         at most the rounding part (the graph moves the Hessian within its own rounding error). Closer to the exact \
         Hessian than Clairaut's graph: {}. Whether each set of rules reproduces its framework's own Hessian bit for \
         bit is tested against committed framework outputs (`tests/data/frameworks/`, `tests/it/rules.rs`, \
         `tests/it/rules_torch.rs`, `tests/it/rules_torch_rr.rs`).\n",
        framework.len(),
        if better.is_empty() { "none".into() } else { better.join(", ") }
    );
}

/// Example 2: its formula as printed (nonzero entries and max |entry| of the stored f64 matrix
/// of `fd-loss-4pt-as-printed`), and the finite-difference schemes with the same ε.
fn example2(study: &Study, fig: &mut Figures, md: &mut String) -> Result<(), Error> {
    let printed = study.experiment("example2-as-printed");
    let dir = study.results.join("example2-as-printed");
    let (h, p) = match (printed.files.first(), printed.rows.first()) {
        (Some(file), Some(row)) => (stored_f64(file, "fd-loss-4pt-as-printed", &dir)?, row.p),
        _ => return Err(Error::Io { path: dir, message: "no result file".into() }),
    };
    let nz = h.iter().filter(|x| **x != 0.0).count();
    let max = h.iter().fold(0.0f64, |m, x| m.max(x.abs()));
    fig.example2 = (nz, max);
    let _ = writeln!(
        md,
        "**Example 2** as printed raises `TypeError` (the loss is called with three arguments). Its \
         formula as printed evaluates `loss_p_i_m_j` at the point of `loss_p_i_p_j` and `loss_m_i_p_j` at \
         the point of `loss_m_i_m_j`, so the numerator is `(A + B) − A − B`: zero in exact arithmetic. \
         Evaluated in float64 on the full θ (P = {p}) with ε = 1e-6 it yields {nz} nonzero entries of {} \
         (pure rounding residue of the cancellation), max |entry| = {}. The scheme the text intends \
         (four-point second differences), and the gradient schemes, with the same ε:\n",
        p * p,
        sci(max)
    );
    let ex2: Vec<&Row> = study.rows("example2").iter().collect();
    md.push_str(&table(
        &ex2,
        &[
            ("method", col::method),
            ("precision", col::precision),
            ("step", col::step),
            ("error", col::error_rel_fro),
            ("asymmetry", col::asym_rel_fro),
            ("rounding (antisym)", col::rounding_antisym),
            ("approximation (antisym)", col::approximation_antisym),
        ],
    ));
    md.push_str(&two_counts(study.crosscheck.as_ref(), (nz, max), p));
    Ok(())
}

/// Why TensorFlow's run of Example 2's formula (the cross-check) and Clairaut's leave different
/// numbers of nonzero entries: both are float64 rounding residues of the same size — a multiple
/// of one unit in the last place of A + B, divided by 4ε² — and which pairs leave one depends on
/// the last bit of each loss value. Empty without the cross-check.
fn two_counts(cross: Option<&Json>, (nz, max): (usize, f64), p: usize) -> String {
    let diag = cross.map(|c| &c["diagnostics"]["Example 2 approx_hessian with a recording loss function"]);
    let (Some(tf_nz), Some(tf_max)) = (diag.and_then(|d| d["result_nonzero_entries"].as_u64()), diag.and_then(|d| d["result_max_abs"].as_f64())) else {
        return String::new();
    };
    let eps = 1e-6f64;
    let unit = max * 4.0 * eps * eps;
    let k = unit.log2().round();
    let exact = ((unit - 2f64.powf(k)) / unit).abs() < 1e-6;
    let ulp = if exact { format!(" = 2^{k}/(4ε²), 2^{k} being one unit in the last place of A + B") } else { String::new() };
    format!(
        "\nThe TensorFlow run of the same formula (the cross-check above) leaves {tf_nz} nonzero entries of {}, \
         Clairaut's {nz}. Both are float64 (the article's code declares its tensors float64) and their residues have \
         the same size (max |entry| {} and {}{ulp}); which pairs (i, j) leave a residue depends on the last bit of \
         each loss value A and B, and TensorFlow's kernels (its sigmoid, matmul and reduce_mean) round differently \
         from Clairaut's (core-math, sequential order, no FMA). The two counts are rounding noise, not a property \
         of the Hessian: exactly, every entry is 0.\n",
        p * p,
        sci(tf_max),
        sci(max)
    )
}

/// The stored f64 matrix (row-major, bit-exact) of a result file's row of `method`
/// (`matrices.rows[k].f64`: P² little-endian f64).
fn stored_f64(file: &ResultFile, method: &str, dir: &Path) -> Result<Vec<f64>, Error> {
    fn get<'a>(v: &'a Cbor, key: &str) -> Option<&'a Cbor> {
        v.as_map()?.iter().find(|(k, _)| k.as_text() == Some(key)).map(|(_, v)| v)
    }
    let bytes = file
        .matrices
        .as_ref()
        .and_then(|m| get(m, "rows")?.as_array())
        .into_iter()
        .flatten()
        .find(|r| get(r, "method").and_then(Cbor::as_text) == Some(method))
        .and_then(|r| get(r, "f64")?.as_bytes());
    let bytes = bytes.ok_or_else(|| Error::Field {
        path: crate::sweep::cell_path(dir, &file.config),
        field: "matrices".into(),
        message: format!("no stored f64 matrix of {method} (run the experiment with store_matrices = true at f64)"),
    })?;
    Ok(bytes.chunks_exact(8).map(|c| f64::from_le_bytes(c.try_into().expect("8 bytes"))).collect())
}
