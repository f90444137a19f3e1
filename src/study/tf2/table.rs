//! The report's number formatting and Markdown tables over typed rows.
//!
//! A table cell prints a metric as stored: a value in `f64`'s range as [`sci`] (three
//! significant digits), a value beyond it as its stored decimal text; a plain `f64` that is not
//! finite (stored as `null`) as an empty cell; integers, names and flags as they are.

use std::fmt::Write as _;

use super::Row;
use crate::results::record::Metric;

/// `x` with three significant digits in Rust's `e` notation (`1.08e-6`), `0` for zero.
pub fn sci(x: f64) -> String {
    if x == 0.0 {
        "0".into()
    } else {
        format!("{x:.2e}")
    }
}

/// A metric as stored: [`sci`] of its `f64`, or its decimal text beyond `f64`'s range.
pub fn metric(m: &Metric) -> String {
    match m {
        Metric::Value(v) => sci(*v),
        Metric::Text(t) => t.clone(),
    }
}

/// A plain `f64` field: [`sci`] when finite, empty otherwise (stored as `null`).
pub fn number(x: f64) -> String {
    if x.is_finite() {
        sci(x)
    } else {
        String::new()
    }
}

/// A table column: its header and how a row prints in it.
pub type Column = (&'static str, fn(&Row) -> String);

/// A Markdown table of `rows` with `cols`.
pub fn table(rows: &[&Row], cols: &[Column]) -> String {
    let mut t = format!("| {} |\n|{}\n", cols.iter().map(|c| c.0).collect::<Vec<_>>().join(" | "), "---|".repeat(cols.len()));
    for r in rows {
        let cells: Vec<String> = cols.iter().map(|(_, cell)| cell(r)).collect();
        let _ = writeln!(t, "| {} |", cells.join(" | "));
    }
    t
}

/// The cells of a row the report's tables print, one function per field.
pub mod col {
    use super::{metric, number, Row};

    /// Method.
    pub fn method(r: &Row) -> String {
        r.row.method.clone()
    }
    /// Precision.
    pub fn precision(r: &Row) -> String {
        r.row.precision.clone()
    }
    /// Summation order.
    pub fn order(r: &Row) -> String {
        r.row.order.clone()
    }
    /// FMA policy (`true` for `fma`).
    pub fn fma(r: &Row) -> String {
        r.row.fma.to_string()
    }
    /// Math library of the f32/f64 transcendentals (`core-math` or `libm`).
    pub fn math(r: &Row) -> String {
        r.config.math.clone()
    }
    /// Finite-difference step rule (empty for the other methods).
    pub fn step(r: &Row) -> String {
        r.row.step.clone().unwrap_or_default()
    }
    /// Widths, `d0-d1-…`.
    pub fn layers(r: &Row) -> String {
        r.shape.layers.iter().map(|d| d.to_string()).collect::<Vec<_>>().join("-")
    }
    /// Activations, `a1-a2-…`.
    pub fn activations(r: &Row) -> String {
        r.shape.activations.join("-")
    }
    /// Loss.
    pub fn loss(r: &Row) -> String {
        r.shape.loss.clone()
    }
    /// Number of parameters P.
    pub fn p(r: &Row) -> String {
        r.p.to_string()
    }
    /// ‖H − T‖_F / ‖T‖_F.
    pub fn error_rel_fro(r: &Row) -> String {
        metric(&r.row.error_rel_fro)
    }
    /// ‖H − Hᵀ‖_F / ‖H‖_F.
    pub fn asym_rel_fro(r: &Row) -> String {
        metric(&r.row.asym_rel_fro)
    }
    /// Fraction of pairs that differ bitwise.
    pub fn asym_pairs_fraction(r: &Row) -> String {
        number(r.row.asym_pairs_fraction)
    }
    /// Which cause dominates the asymmetry.
    pub fn asym_dominant(r: &Row) -> String {
        r.row.asym_dominant.clone()
    }
    /// Input quantization's share of the error.
    pub fn input_total(r: &Row) -> String {
        metric(&r.row.attribution.input.total)
    }
    /// The spread across evaluation orders.
    pub fn order_total(r: &Row) -> String {
        metric(&r.row.attribution.order.total)
    }
    /// Rounding's share of the asymmetry.
    pub fn rounding_antisym(r: &Row) -> String {
        metric(&r.row.attribution.rounding.antisym)
    }
    /// The approximation's share of the asymmetry.
    pub fn approximation_antisym(r: &Row) -> String {
        metric(&r.row.attribution.approximation.antisym)
    }
}
