//! SVG (and PNG) figures derived from result files: line plots from the tidy rows, each drawn
//! only when the results vary along its x axis (error and asymmetry vs precision bits; the FD
//! error vs the step h, the V curve, with the theoretical optimum ε^(1/k) marked; asymmetry vs
//! network size P), and heat maps |H − Hᵀ| of stored matrices that are not symmetric, titled
//! with their configuration and with the layers of θ marked. [`svg`] draws them.
//!
//! One series per distinct configuration: a series is labelled by its method (and metric or
//! precision) and by every other key that varies between the rows ([`tidy::varying`]: order,
//! FMA, math, activations, …), so rows that differ in a key the figure does not plot are never
//! merged into one line.

pub mod svg;

use super::markdown::cell;
use super::npy::stored_matrices;
use super::tidy::{self, metric_f64, Column, TidyRow};
use super::{ExportFile, Exporter};
use crate::error::Error;
// The one place exports read method facts (canonical names, the FD optimal-step root).
use crate::method::{optimal_root, Method};
use crate::results::ResultFile;
use crate::scalar::Precision;
use svg::{Figure, Series};

/// The SVG exporter: the line figures, then the heat maps.
#[derive(Clone, Copy, Debug, Default)]
pub struct Svg;

impl Exporter for Svg {
    fn export(&self, results: &[ResultFile]) -> Result<Vec<ExportFile>, Error> {
        let mut out = line_figures(&tidy::rows(results)?);
        out.extend(heatmaps(results));
        Ok(out.into_iter().map(|(name, svg)| ExportFile::new(name, svg)).collect())
    }
}

/// The PNG exporter: every figure of [`Svg`], rasterized ([`svg::png`]), named `<figure>.png`.
#[derive(Clone, Copy, Debug, Default)]
pub struct Png;

impl Exporter for Png {
    fn export(&self, results: &[ResultFile]) -> Result<Vec<ExportFile>, Error> {
        let mut out = Vec::new();
        for f in Svg.export(results)? {
            let text = String::from_utf8(f.bytes).expect("SVG is UTF-8");
            let png = svg::png(&text).map_err(|message| Error::Io { path: f.name.clone().into(), message })?;
            out.push(ExportFile::new(f.name.replace(".svg", ".png"), png));
        }
        Ok(out)
    }
}

/// The keys of a series label besides the method, in [`tidy::varying`]'s order: each key that
/// still varies between rows agreeing on the method, the keys in `shown` (the x axis, or already
/// in the label) and the keys taken before it — so a key that only follows others (the
/// activations list growing with the depth, P with the layers) does not lengthen a label, and
/// a key that varies at one x always splits the series.
fn label_keys(rows: &[TidyRow], shown: &[&str]) -> Vec<Column> {
    let all = tidy::varying(rows);
    let mut fixed: Vec<Column> = all.iter().filter(|c| { let n = c.name(); n == "method" || shown.contains(&n.as_str()) }).cloned().collect();
    let mut keys = Vec::new();
    let candidates: Vec<Column> = all.into_iter().filter(|c| !fixed.contains(c)).collect();
    for c in candidates {
        let mut first: std::collections::HashMap<Vec<String>, String> = std::collections::HashMap::new();
        let splits = rows.iter().any(|r| {
            let v = c.get(r).full();
            let at: Vec<String> = fixed.iter().map(|f| f.get(r).full()).collect();
            first.entry(at).or_insert_with(|| v.clone()) != &v
        });
        if splits {
            fixed.push(c.clone());
            keys.push(c);
        }
    }
    keys
}

/// A row's label suffix over `keys` (a key without a value in this row, e.g. the step of an
/// exact method, is left out).
fn suffix(r: &TidyRow, keys: &[Column]) -> String {
    keys.iter().map(|c| cell(c.get(r))).zip(keys).filter(|(v, _)| !v.is_empty()).map(|(v, c)| format!(" · {}={v}", c.name())).collect()
}

/// Series keyed by name, in order of first appearance, points sorted by x (a point repeated
/// exactly is drawn once; distinct y at one x are all kept: nothing is merged).
fn series(points: Vec<(String, f64, f64)>) -> Vec<Series> {
    let mut names: Vec<String> = Vec::new();
    for (n, ..) in &points {
        if !names.contains(n) {
            names.push(n.clone());
        }
    }
    names
        .into_iter()
        .map(|name| {
            let mut p: Vec<(f64, f64)> = points.iter().filter(|(n, ..)| *n == name).map(|(_, x, y)| (*x, *y)).collect();
            p.sort_by(|a, b| a.0.total_cmp(&b.0).then(b.1.total_cmp(&a.1)));
            p.dedup_by(|a, b| a.0.total_cmp(&b.0).is_eq() && a.1.total_cmp(&b.1).is_eq());
            Series { name, points: p }
        })
        .collect()
}

/// Significand bits of a row's precision.
fn bits(r: &TidyRow) -> Option<u32> {
    r.precision.parse::<Precision>().ok().map(|p| p.bits())
}

/// The step h of a row run with a fixed step rule (`fixed:<h>`).
fn step_h(r: &TidyRow) -> Option<f64> {
    r.step.as_deref().and_then(|s| s.strip_prefix("fixed:")).and_then(|h| h.parse().ok())
}

/// Number of distinct values of `f` over the rows.
fn distinct(rows: &[TidyRow], f: impl Fn(&TidyRow) -> Option<f64>) -> usize {
    let mut v: Vec<f64> = rows.iter().filter_map(f).collect();
    v.sort_by(f64::total_cmp);
    v.dedup();
    v.len()
}

/// The line figures of tidy rows, each only when the rows vary along its x axis, as (file
/// name, SVG).
pub fn line_figures(rows: &[TidyRow]) -> Vec<(String, String)> {
    let mut out = Vec::new();
    if distinct(rows, |r| bits(r).map(f64::from)) >= 2 {
        out.push(("error-asymmetry-vs-precision.svg".to_string(), vs_precision(rows).to_svg()));
    }
    if distinct(rows, step_h) >= 2 {
        out.push(("fd-error-vs-step.svg".to_string(), vs_step(rows).to_svg()));
    }
    if distinct(rows, |r| Some(r.p as f64)) >= 2 {
        out.push(("asymmetry-vs-size.svg".to_string(), vs_size(rows).to_svg()));
    }
    out
}

/// Error and asymmetry vs significand bits, one series per method and metric.
fn vs_precision(rows: &[TidyRow]) -> Figure {
    let mut pts = Vec::new();
    let keys = label_keys(rows, &["precision"]);
    for r in rows {
        let Some(b) = bits(r) else { continue };
        for (metric, label) in [(&r.error_rel_fro, "error"), (&r.asym_rel_fro, "asymmetry")] {
            if let Some(y) = metric_f64(metric) {
                pts.push((format!("{} {label}{}", r.method, suffix(r, &keys)), f64::from(b), y));
            }
        }
    }
    Figure {
        title: "Error and asymmetry vs precision".into(),
        x_label: "significand bits".into(),
        y_label: "error ‖H − T‖/‖T‖, asymmetry ‖H − Hᵀ‖/‖H‖".into(),
        log_x: true,
        series: series(pts),
        markers: Vec::new(),
    }
}

/// The FD error vs the fixed step h, one series per method and precision, with the optimum
/// h = ε^(1/k) of each method marked.
fn vs_step(rows: &[TidyRow]) -> Figure {
    let mut pts = Vec::new();
    let mut markers: Vec<(f64, String)> = Vec::new();
    let keys = label_keys(rows, &["precision", "step"]);
    for r in rows {
        let (Some(h), Some(b)) = (step_h(r), bits(r)) else { continue };
        let m = &r.method;
        if let Some(y) = metric_f64(&r.error_rel_fro) {
            pts.push((format!("{m} {}{}", r.precision, suffix(r, &keys)), h, y));
        }
        if let Some(k) = m.parse::<Method>().ok().and_then(optimal_root) {
            let opt = 2f64.powf((1.0 - f64::from(b)) / f64::from(k));
            let label = format!("ε^(1/{k}) ({m})");
            if !markers.iter().any(|(_, l)| *l == label) {
                markers.push((opt, label));
            }
        }
    }
    Figure {
        title: "Finite-difference error vs step".into(),
        x_label: "step h (fixed, absolute)".into(),
        y_label: "error ‖H − T‖ / ‖T‖".into(),
        log_x: true,
        series: series(pts),
        markers,
    }
}

/// Asymmetry vs the number of parameters P, one series per method and precision.
fn vs_size(rows: &[TidyRow]) -> Figure {
    let mut pts = Vec::new();
    let keys = label_keys(rows, &["precision", "p", "layers"]);
    for r in rows {
        let Some(y) = metric_f64(&r.asym_rel_fro) else { continue };
        pts.push((format!("{} {}{}", r.method, r.precision, suffix(r, &keys)), r.p as f64, y));
    }
    Figure {
        title: "Asymmetry vs network size".into(),
        x_label: "number of parameters P".into(),
        y_label: "asymmetry ‖H − Hᵀ‖ / ‖H‖".into(),
        log_x: true,
        series: series(pts),
        markers: Vec::new(),
    }
}

/// Heat maps |H − Hᵀ| of the stored matrices that are not symmetric (one per result, the
/// first such row), as (file name, SVG): titled with the row's configuration (method,
/// precision, order, FMA, network, loss, n), with the layers of θ marked.
pub fn heatmaps(results: &[ResultFile]) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for r in results {
        let rows = tidy::rows_of(r).unwrap_or_default();
        for m in stored_matrices(r).into_iter().filter(|m| !m.name.ends_with("-truth")) {
            let named = |row: &&TidyRow| {
                let fma = crate::scalar::FmaPolicy::from_fused(row.fma);
                m.name == format!("{}-{}-{}-{}-{fma}", row.cell, row.method, row.precision.replace(':', "_"), row.order.replace(':', "_"))
            };
            let Some(row) = rows.iter().find(named) else { continue };
            let (v, p) = (&m.values, m.p);
            let anti: Vec<f64> = (0..p * p).map(|k| (v[k] - v[(k % p) * p + k / p]).abs()).collect();
            if anti.iter().any(|x| *x > 0.0) {
                let title = format!("|H − Hᵀ| of {} at {}, order {}, {}", row.method, row.precision, row.order, if row.fma { "fma" } else { "no-fma" });
                let step = row.step.as_deref().map(|s| format!(", step {s}")).unwrap_or_default();
                let subtitle = format!("layers {} ({}), {}, n = {}, P = {p}{step} — cell {}", row.layers, row.activations, row.loss, row.n, row.cell);
                out.push((format!("heatmap-{}.svg", m.name), svg::heatmap(&title, &subtitle, p, &anti, &blocks(&row.layers))));
                break;
            }
        }
    }
    out
}

/// The blocks of θ for layer widths `d0-d1-…`: (first index, starts a layer) for each layer's
/// weights (a new layer) and biases.
fn blocks(layers: &str) -> Vec<(usize, bool)> {
    let d: Vec<usize> = layers.split('-').filter_map(|w| w.parse().ok()).collect();
    let mut out = Vec::new();
    let mut at = 0;
    for w in d.windows(2) {
        out.push((at, true));
        out.push((at + w[0] * w[1], false));
        at += w[0] * w[1] + w[1];
    }
    out
}
