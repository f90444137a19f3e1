//! Exports derived only from result files (nothing is recomputed).
//!
//! **Stable interface** for other tools: the tidy CSV (`results.csv`, one row per
//! cell × method × precision × order × fma, columns as in [`COLUMNS`]) and the JSON summary
//! (`results.json`, the same rows as objects). The Markdown and LaTeX tables are for reading and
//! may change layout.

use std::path::Path;

use serde_json::Value as Json;

use crate::error::Error;
use crate::results::{cbor_to_json, ResultFile};

/// Columns of the tidy CSV, in order.
pub const COLUMNS: [&str; 31] = [
    "cell",
    "experiment",
    "layers",
    "activations",
    "loss",
    "n",
    "p",
    "method",
    "precision",
    "order",
    "fma",
    "step",
    "error_rel_fro",
    "error_max_rel",
    "asym_rel_fro",
    "asym_max_abs",
    "asym_pairs_fraction",
    "sigbits_min",
    "sigbits_median",
    "rounding_total",
    "rounding_antisym",
    "approximation_total",
    "approximation_antisym",
    "order_total",
    "order_antisym",
    "input_total",
    "input_antisym",
    "residual",
    "asym_dominant",
    "certified",
    "truth_certified_bits_min",
];

/// Reads every result file in `dir` (sorted by name).
pub fn read_dir(dir: &Path) -> Result<Vec<ResultFile>, Error> {
    let files = crate::results::files_in(dir)?;
    if files.is_empty() {
        return Err(Error::Io { path: dir.to_path_buf(), message: "no result files (*.cbor)".into() });
    }
    files.iter().map(|f| ResultFile::read(f)).collect()
}

fn cell_str(v: &Json) -> String {
    match v {
        Json::Null => String::new(),
        Json::String(s) => s.clone(),
        Json::Number(n) => {
            let f = n.as_f64().unwrap_or(0.0);
            if n.is_i64() || n.is_u64() { n.to_string() } else { format!("{f:e}") }
        }
        other => other.to_string(),
    }
}

/// The tidy rows of all results, as JSON objects with the [`COLUMNS`] keys.
pub fn rows(results: &[ResultFile]) -> Vec<serde_json::Map<String, Json>> {
    let mut out = Vec::new();
    for r in results {
        let a = serde_json::to_value(&r.analysis).expect("a record is JSON");
        let c = &r.config;
        let layers = cbor_to_json(&r.problem)["layers"].clone();
        let acts = cbor_to_json(&r.problem)["activations"].clone();
        for row in a["rows"].as_array().into_iter().flatten() {
            let mut m = serde_json::Map::new();
            let mut put = |k: &str, v: Json| {
                m.insert(k.to_string(), v);
            };
            put("cell", Json::String(c.id()));
            put("experiment", Json::String(r.experiment.clone()));
            put("layers", Json::String(layers.as_array().map(|l| l.iter().map(|x| x.to_string()).collect::<Vec<_>>().join("-")).unwrap_or_default()));
            put("activations", Json::String(acts.as_array().map(|l| l.iter().filter_map(|x| x.as_str()).collect::<Vec<_>>().join("-")).unwrap_or_default()));
            put("loss", cbor_to_json(&r.problem)["loss"].clone());
            put("n", serde_json::json!(cbor_to_json(&r.problem)["x"].as_array().map(|x| x.len()).unwrap_or(0)));
            put("p", a["p"].clone());
            for k in ["method", "precision", "order", "fma", "step", "error_rel_fro", "error_max_rel", "asym_rel_fro", "asym_max_abs", "asym_pairs_fraction", "sigbits_min", "sigbits_median", "residual", "asym_dominant", "certified"] {
                put(k, row[k].clone());
            }
            for part in ["rounding", "approximation", "order", "input"] {
                put(&format!("{part}_total"), row["attribution"][part]["total"].clone());
                put(&format!("{part}_antisym"), row["attribution"][part]["antisym"].clone());
            }
            put("truth_certified_bits_min", a["truth"]["certified_bits_min"].clone());
            out.push(m);
        }
    }
    out
}

/// Tidy CSV.
pub fn csv(results: &[ResultFile]) -> String {
    let mut s = COLUMNS.join(",");
    s.push('\n');
    for row in rows(results) {
        let cells: Vec<String> = COLUMNS.iter().map(|k| {
            let v = cell_str(row.get(*k).unwrap_or(&Json::Null));
            if v.contains(',') { format!("\"{v}\"") } else { v }
        }).collect();
        s.push_str(&cells.join(","));
        s.push('\n');
    }
    s
}

const TABLE: [(&str, &str); 11] = [
    ("layers", "layers"),
    ("activations", "activations"),
    ("method", "method"),
    ("precision", "precision"),
    ("order", "order"),
    ("error_rel_fro", "error"),
    ("asym_rel_fro", "asymmetry"),
    ("rounding_antisym", "rounding (antisym)"),
    ("approximation_antisym", "approx. (antisym)"),
    ("input_total", "input"),
    ("asym_dominant", "asym. from"),
];

fn short(v: &Json) -> String {
    match v {
        Json::Number(n) if !(n.is_i64() || n.is_u64()) => format!("{:.2e}", n.as_f64().unwrap_or(0.0)),
        other => cell_str(other),
    }
}

/// Markdown table.
pub fn markdown(results: &[ResultFile]) -> String {
    let mut s = format!("| {} |\n|{}\n", TABLE.map(|t| t.1).join(" | "), "---|".repeat(TABLE.len()));
    for row in rows(results) {
        let cells: Vec<String> = TABLE.iter().map(|(k, _)| short(row.get(*k).unwrap_or(&Json::Null))).collect();
        s.push_str(&format!("| {} |\n", cells.join(" | ")));
    }
    s
}

/// LaTeX (booktabs) table.
pub fn latex(results: &[ResultFile]) -> String {
    let esc = |s: String| s.replace('_', "\\_").replace('%', "\\%").replace('#', "\\#");
    let mut s = format!("\\begin{{tabular}}{{{}}}\n\\toprule\n", "l".repeat(TABLE.len()));
    s.push_str(&TABLE.map(|t| esc(t.1.to_string())).join(" & "));
    s.push_str(" \\\\\n\\midrule\n");
    for row in rows(results) {
        let cells: Vec<String> = TABLE.iter().map(|(k, _)| esc(short(row.get(*k).unwrap_or(&Json::Null)))).collect();
        s.push_str(&cells.join(" & "));
        s.push_str(" \\\\\n");
    }
    s.push_str("\\bottomrule\n\\end{tabular}\n");
    s
}

/// JSON summary.
pub fn json(results: &[ResultFile]) -> String {
    let v = Json::Array(rows(results).into_iter().map(Json::Object).collect());
    let mut s = serde_json::to_string_pretty(&v).expect("serializable");
    s.push('\n');
    s
}

/// A numeric field of a tidy row: a JSON number, or a decimal string (beyond f64's range).
pub fn num(v: Option<&Json>) -> Option<f64> {
    match v? {
        Json::Number(n) => n.as_f64(),
        Json::String(s) => s.parse().ok(),
        _ => None,
    }
}

/// Series keyed by name, points collected then sorted by x, one point per x (the largest y:
/// the worst case over cells).
fn series(points: Vec<(String, f64, f64)>) -> Vec<crate::plot::Series> {
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
            p.dedup_by(|a, b| a.0 == b.0);
            crate::plot::Series { name, points: p }
        })
        .collect()
}

/// SVG figures derived from the results, each only when the results vary along its x axis:
/// error and asymmetry vs precision bits, the FD error vs the step h (the V curve, with the
/// theoretical optimum ε^(1/k) marked), and asymmetry vs network size P.
pub fn figures(results: &[ResultFile]) -> Vec<(String, String)> {
    use crate::plot::Figure;
    let rows = rows(results);
    let bits = |r: &serde_json::Map<String, Json>| -> Option<u32> {
        r.get("precision").and_then(Json::as_str).and_then(|p| p.parse::<crate::scalar::Precision>().ok()).map(|p| p.bits())
    };
    let distinct = |f: &dyn Fn(&serde_json::Map<String, Json>) -> Option<f64>| {
        let mut v: Vec<f64> = rows.iter().filter_map(f).collect();
        v.sort_by(f64::total_cmp);
        v.dedup();
        v.len()
    };
    let mut out = Vec::new();
    if distinct(&|r| bits(r).map(f64::from)) >= 2 {
        let mut pts = Vec::new();
        for r in &rows {
            let (Some(b), Some(m)) = (bits(r), r.get("method").and_then(Json::as_str)) else { continue };
            for (metric, label) in [("error_rel_fro", "error"), ("asym_rel_fro", "asymmetry")] {
                if let Some(y) = num(r.get(metric)) {
                    pts.push((format!("{m} {label}"), f64::from(b), y));
                }
            }
        }
        let fig = Figure {
            title: "Error and asymmetry vs precision".into(),
            x_label: "significand bits".into(),
            y_label: "relative to ‖T‖ / ‖H‖".into(),
            log_x: true,
            series: series(pts),
            markers: Vec::new(),
        };
        out.push(("error-asymmetry-vs-precision.svg".to_string(), fig.to_svg()));
    }
    let step_h = |r: &serde_json::Map<String, Json>| -> Option<f64> {
        r.get("step").and_then(Json::as_str).and_then(|s| s.strip_prefix("fixed:")).and_then(|h| h.parse().ok())
    };
    if distinct(&step_h) >= 2 {
        let mut pts = Vec::new();
        let mut markers = Vec::new();
        for r in &rows {
            let (Some(h), Some(m), Some(b)) = (step_h(r), r.get("method").and_then(Json::as_str), bits(r)) else { continue };
            if let Some(y) = num(r.get("error_rel_fro")) {
                pts.push((format!("{m} {}", r["precision"].as_str().unwrap_or("")), h, y));
            }
            let k = m.parse::<crate::hessian::Method>().ok().and_then(crate::hessian::fd::optimal_root);
            if let Some(k) = k {
                let opt = 2f64.powf((1.0 - f64::from(b)) / f64::from(k));
                let label = format!("ε^(1/{k}) ({m})");
                if !markers.iter().any(|(_, l): &(f64, String)| *l == label) {
                    markers.push((opt, label));
                }
            }
        }
        let fig = Figure {
            title: "Finite-difference error vs step".into(),
            x_label: "step h".into(),
            y_label: "‖H − T‖ / ‖T‖".into(),
            log_x: true,
            series: series(pts),
            markers,
        };
        out.push(("fd-error-vs-step.svg".to_string(), fig.to_svg()));
    }
    if distinct(&|r| num(r.get("p"))) >= 2 {
        let mut pts = Vec::new();
        for r in &rows {
            let (Some(p), Some(y)) = (num(r.get("p")), num(r.get("asym_rel_fro"))) else { continue };
            pts.push((format!("{} {}", r["method"].as_str().unwrap_or(""), r["precision"].as_str().unwrap_or("")), p, y));
        }
        let fig = Figure {
            title: "Asymmetry vs network size".into(),
            x_label: "parameters P".into(),
            y_label: "‖H − Hᵀ‖ / ‖H‖".into(),
            log_x: true,
            series: series(pts),
            markers: Vec::new(),
        };
        out.push(("asymmetry-vs-size.svg".to_string(), fig.to_svg()));
    }
    out
}

/// The stored matrices of a result (when `store_matrices` was set): the truth (nearest f64)
/// and each row's H, as (name, row-major f64 values, P).
pub fn stored_matrices(r: &ResultFile) -> Vec<(String, Vec<f64>, usize)> {
    use crate::results::get;
    let Some(m) = &r.matrices else { return Vec::new() };
    let id = r.config.id();
    let mut out = Vec::new();
    let from_decimals = |v: &ciborium::Value| -> Vec<f64> {
        v.as_array().into_iter().flatten().filter_map(|x| x.as_text()).map(|t| t.parse::<f64>().unwrap_or(f64::NAN)).collect()
    };
    if let Some(t) = get(m, "truth").and_then(|t| get(t, "decimals")) {
        let v = from_decimals(t);
        let p = (v.len() as f64).sqrt().round() as usize;
        out.push((format!("{id}-truth"), v, p));
    }
    for row in get(m, "rows").and_then(|r| r.as_array()).into_iter().flatten() {
        let text = |k: &str| get(row, k).and_then(|v| v.as_text()).unwrap_or("").to_string();
        let fma = get(row, "fma").and_then(|v| v.as_bool()).unwrap_or(false);
        let name = format!("{id}-{}-{}-{}-{}", text("method"), text("precision").replace(':', "_"), text("order").replace(':', "_"), if fma { "fma" } else { "no-fma" });
        let v: Vec<f64> = match (get(row, "f64"), get(row, "decimals")) {
            (Some(ciborium::Value::Bytes(b)), _) => b.chunks_exact(8).map(|c| f64::from_le_bytes(c.try_into().expect("8 bytes"))).collect(),
            (_, Some(d)) => from_decimals(d),
            _ => continue,
        };
        let p = (v.len() as f64).sqrt().round() as usize;
        out.push((name, v, p));
    }
    out
}

/// Heat maps |H − Hᵀ| of the stored matrices that are not symmetric (one per result, the
/// first such row).
pub fn heatmaps(results: &[ResultFile]) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for r in results {
        for (name, v, p) in stored_matrices(r) {
            if name.ends_with("-truth") {
                continue;
            }
            let anti: Vec<f64> = (0..p * p).map(|k| (v[k] - v[(k % p) * p + k / p]).abs()).collect();
            if anti.iter().any(|x| *x > 0.0) {
                out.push((format!("heatmap-{name}.svg"), crate::plot::heatmap(&format!("|H − Hᵀ|: {name}"), p, &anti)));
                break;
            }
        }
    }
    out
}
