//! Issue 16, points 3 and 4: exports that keep every swept key, exact text for values beyond
//! `f64`'s range, siunitx-shaped LaTeX; figures with one style per series, the legend on the
//! canvas, log ticks at powers of ten, zeros marked, PNG output.

use std::collections::BTreeSet;
use std::path::PathBuf;

use clairaut::export::figures::svg::{self, Figure, Series};
use clairaut::export::{self, tidy, Format};
use clairaut::results::record::Metric;
use clairaut::results::ResultFile;

fn results(name: &str) -> Vec<ResultFile> {
    export::read_dir(&PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("results").join(name)).unwrap()
}

fn text(format: Format, r: &[ResultFile]) -> String {
    String::from_utf8(format.exporter().export(r).unwrap().remove(0).bytes).unwrap()
}

/// Every key of a cell's canonical configuration reaches the CSV header — except the lists
/// each row expands and the keys a fixed column already shows — derived from the serialized
/// configuration, so a key added to `CellConfig` appears without a change to the exporter.
#[test]
fn csv_columns_hold_every_configuration_key() {
    let r = results("tf2-article/claim-e-mathlib");
    let csv = text(Format::Csv, &r);
    let header: BTreeSet<&str> = csv.lines().next().unwrap().split(',').collect();
    let config = serde_json::to_value(&r[0].config).unwrap();
    for key in config.as_object().unwrap().keys() {
        let expanded = tidy::EXPANDED.contains(&key.as_str());
        assert!(expanded || header.contains(key.as_str()), "configuration key `{key}` missing from {header:?}");
    }
    for key in ["math", "data", "weights", "step_rule", "step_h", "precision_bits", "loss", "n", "fma"] {
        assert!(header.contains(key), "`{key}` missing");
    }
    // the swept `math` reads back with both values, beside the fixed columns
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let math = reader.headers().unwrap().iter().position(|h| h == "math").unwrap();
    let values: BTreeSet<String> = reader.records().map(|r| r.unwrap()[math].to_string()).collect();
    assert_eq!(values, BTreeSet::from(["core-math".to_string(), "libm".to_string()]));
}

/// A key that exists only in some future configuration (`policy`) becomes a column, and the
/// reading tables show it as soon as it varies.
#[test]
fn a_future_configuration_key_appears_without_code_change() {
    let mut rows = tidy::rows(&results("precision-ladder")).unwrap();
    for (k, row) in rows.iter_mut().enumerate() {
        row.config.insert("policy".into(), serde_json::Value::from(if k % 2 == 0 { "a" } else { "b" }));
    }
    let csv = export::csv::write(&rows);
    assert!(csv.lines().next().unwrap().split(',').any(|h| h == "policy"));
    let md = export::markdown::write(&rows);
    assert!(md.lines().next().unwrap().contains("| policy |"), "{md}");
}

/// The CSV of a sweep over (method, precision, step rule) has one row per configuration: the
/// identity columns (every key that varies, and the cell) never repeat; the numeric step is a
/// number.
#[test]
fn every_csv_row_is_distinguishable() {
    let rows = tidy::rows(&results("tf2-article/claim-d-fd")).unwrap();
    let varying = tidy::varying(&rows);
    let names: Vec<String> = varying.iter().map(tidy::Column::name).collect();
    assert!(names.contains(&"step".to_string()) && names.contains(&"method".to_string()), "{names:?}");
    let ids: BTreeSet<String> = rows.iter().map(|r| format!("{} {:?}", r.cell, varying.iter().map(|c| c.get(r).full()).collect::<Vec<_>>())).collect();
    assert_eq!(ids.len(), rows.len());
    let fixed: Vec<f64> = rows.iter().filter(|r| r.step.as_deref() == Some("fixed:1e-6")).filter_map(|r| r.step_h).collect();
    assert!(!fixed.is_empty() && fixed.iter().all(|h| *h == 1e-6));
}

/// A value beyond `f64`'s range (mp:1024's 2.4e-639) is empty in its numeric column — so a
/// CSV reader never turns it into 0 — and round-trips as the exact stored text in the
/// `<column>_exact` column; in JSON it is that text, a string.
#[test]
fn values_beyond_f64_round_trip_as_exact_text() {
    let r = results("precision-ladder");
    let rows = tidy::rows(&r).unwrap();
    let csv = text(Format::Csv, &r);
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let headers: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    let col = |n: &str| headers.iter().position(|h| h == n).unwrap_or_else(|| panic!("no column {n}"));
    let (num, exact) = (col("approximation_antisym"), col("approximation_antisym_exact"));
    let records: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let mut seen = 0;
    for (rec, row) in records.iter().zip(&rows) {
        match &row.approximation_antisym {
            Metric::Text(t) => {
                seen += 1;
                assert_eq!(&rec[num], "");
                assert_eq!(&rec[exact], t.as_str());
                assert!(t.contains("e-6"), "{t}");
            }
            Metric::Value(v) => {
                assert_eq!(rec[num].parse::<f64>().unwrap(), *v);
                assert_eq!(&rec[exact], "");
            }
        }
    }
    assert!(seen >= 2, "mp:1024 rows hold values beyond f64's range");
    let json: serde_json::Value = serde_json::from_str(&text(Format::Json, &r)).unwrap();
    let texts: Vec<&str> = json.as_array().unwrap().iter().filter_map(|o| o["approximation_antisym"].as_str()).collect();
    assert_eq!(texts.len(), seen);
}

/// The LaTeX table: balanced braces, one column letter per cell, every number in `\num{…}`
/// (siunitx), numeric columns right-aligned and text ones left, rows by configuration (mp:1024
/// after f64, not by hash).
#[test]
fn latex_is_siunitx_shaped() {
    let tex = text(Format::Latex, &results("precision-ladder"));
    assert!(tex.contains("\\usepackage{siunitx}"));
    let mut depth = 0i64;
    let mut prev = ' ';
    for c in tex.chars() {
        if prev != '\\' {
            depth += match c {
                '{' => 1,
                '}' => -1,
                _ => 0,
            };
        }
        assert!(depth >= 0, "unbalanced: {tex}");
        prev = c;
    }
    assert_eq!(depth, 0);
    let spec = tex.lines().find(|l| l.starts_with("\\begin{tabular}")).unwrap();
    let spec = &spec["\\begin{tabular}{".len()..spec.len() - 1];
    assert!(spec.chars().all(|c| c == 'l' || c == 'r'), "{spec}");
    let body: Vec<&str> = tex.lines().skip_while(|l| *l != "\\midrule").skip(1).take_while(|l| *l != "\\bottomrule").collect();
    assert_eq!(body.len(), 16);
    for line in &body {
        let cells: Vec<&str> = line.trim_end_matches(" \\\\").split(" & ").collect();
        assert_eq!(cells.len(), spec.len(), "{line}");
        for (cell, kind) in cells.iter().zip(spec.chars()) {
            if kind == 'r' && !cell.is_empty() {
                assert!(cell.starts_with("\\num{") && cell.ends_with('}'), "`{cell}` in {line}");
            }
            assert!(!(kind == 'l' && cell.parse::<f64>().is_ok()), "number `{cell}` in a text column");
        }
    }
    let precision_order: Vec<&str> = body.iter().map(|l| l.split(" & ").nth(1).unwrap()).collect();
    let first = |p: &str| precision_order.iter().position(|x| *x == p).unwrap();
    assert!(first("bfloat16") < first("f32") && first("f32") < first("f64") && first("f64") < first("mp:64") && first("mp:256") < first("mp:1024"), "{precision_order:?}");
}

/// The Markdown table of a sweep over the math library shows it: rows differ in their shown keys.
#[test]
fn markdown_shows_every_varying_key() {
    let md = text(Format::Markdown, &results("tf2-article/claim-e-mathlib"));
    let header = md.lines().next().unwrap();
    for key in ["activations", "math", "method", "precision"] {
        assert!(header.contains(&format!("| {key} |")), "{header}");
    }
    let n_keys = 4;
    let ids: BTreeSet<String> = md.lines().skip(2).map(|l| l.split(" | ").take(n_keys).collect::<Vec<_>>().join("|")).collect();
    assert_eq!(ids.len(), md.lines().count() - 2, "rows that look identical");
}

/// The series of an SVG figure: (colour, marker, dash) of each `<g class="series">`.
fn styles(svg: &str) -> Vec<(String, String, String)> {
    let attr = |tag: &str, name: &str| {
        let k = tag.find(&format!("{name}=\"")).unwrap() + name.len() + 2;
        tag[k..k + tag[k..].find('"').unwrap()].to_string()
    };
    svg.lines().filter(|l| l.starts_with("<g class=\"series\"")).map(|l| (attr(l, "data-color"), attr(l, "data-marker"), attr(l, "data-dash"))).collect()
}

/// A number attribute of the first tag that contains `marker`.
fn num(svg: &str, marker: &str, name: &str) -> f64 {
    let tag = &svg[svg.find(marker).unwrap()..];
    let k = tag.find(&format!(" {name}=\"")).unwrap() + name.len() + 3;
    tag[k..k + tag[k..].find('"').unwrap()].parse().unwrap()
}

fn figure(n: usize) -> Figure {
    let series = (0..n)
        .map(|i| Series { name: format!("series number {i} with a fairly long label · order=shuffled:{i}"), points: vec![(8.0, 1e-3), (24.0, 1e-8 * (1.0 + i as f64)), (53.0, 0.0), (113.0, 1e-34)] })
        .collect();
    Figure { title: "t".into(), x_label: "significand bits".into(), y_label: "y".into(), log_x: true, series, markers: Vec::new() }
}

/// No two series share (colour, marker, dash), with 8, 12 and 40 series; the legend box lies
/// inside the canvas, right of the plot area.
#[test]
fn every_series_has_its_own_style_and_the_legend_fits() {
    for n in [8, 12, 40] {
        let svg = figure(n).to_svg();
        let st = styles(&svg);
        assert_eq!(st.len(), n);
        assert_eq!(st.iter().collect::<BTreeSet<_>>().len(), n, "a style is shared");
        let (w, h) = (num(&svg, "<svg", "width"), num(&svg, "<svg", "height"));
        let (x, y, lw, lh) = (num(&svg, "legend-box", "x"), num(&svg, "legend-box", "y"), num(&svg, "legend-box", "width"), num(&svg, "legend-box", "height"));
        let plot_right = num(&svg, "plot-area", "x") + num(&svg, "plot-area", "width");
        assert!(x > plot_right && x + lw <= w && y >= 0.0 && y + lh <= h, "legend ({x}, {y}, {lw}, {lh}) outside {w}×{h}");
        // the longest label fits its box at 7.4 px per character
        assert!(lw >= 7.4 * figure(n).series[n - 1].name.chars().count() as f64);
    }
}

/// Log ticks sit at powers of ten (or 2× and 5× them); zeros are drawn on the bottom axis and
/// counted in a note, not dropped.
#[test]
fn log_ticks_at_powers_of_ten_and_zeros_marked() {
    let svg = figure(3).to_svg();
    let labels: Vec<f64> = svg
        .lines()
        .filter(|l| l.starts_with("<g class=\"ytick\"") || l.starts_with("<g class=\"xtick\""))
        .map(|l| l[l.rfind("\">").unwrap() + 2..l.rfind("</text>").unwrap()].parse::<f64>().unwrap())
        .collect();
    assert!(labels.len() >= 6, "{labels:?}");
    for v in labels {
        let m = v / 10f64.powf(v.log10().floor());
        assert!([1.0, 2.0, 5.0].iter().any(|k| (m - k).abs() < 1e-9), "tick {v}");
    }
    for t in svg::log_ticks(-309.0, -1.0) {
        assert_eq!(t, t.round());
    }
    assert_eq!(svg.matches("<g class=\"zero\">").count(), 3);
    assert!(svg.contains("3 value(s) exactly 0"));
}

/// PNG output: a real PNG (signature, IHDR) of the SVG's size.
#[test]
fn png_is_written_and_decodes() {
    let r = results("precision-ladder");
    let svg = Format::Svg.exporter().export(&r).unwrap().remove(0);
    let png = Format::Png.exporter().export(&r).unwrap().remove(0);
    assert_eq!(png.name, svg.name.replace(".svg", ".png"));
    let b = &png.bytes;
    assert_eq!(&b[..8], b"\x89PNG\r\n\x1a\n");
    assert_eq!(&b[12..16], b"IHDR");
    let (w, h) = (u32::from_be_bytes(b[16..20].try_into().unwrap()), u32::from_be_bytes(b[20..24].try_into().unwrap()));
    let text = String::from_utf8(svg.bytes).unwrap();
    assert_eq!((f64::from(w), f64::from(h)), (num(&text, "<svg", "width"), num(&text, "<svg", "height")));
    assert!(b.len() > 5000, "a rendered figure, not an empty image");
}

/// A heat map is titled with its configuration and draws the layer boundaries of θ.
#[test]
fn heatmap_titled_by_configuration_with_layers() {
    let p = 6;
    let values: Vec<f64> = (0..p * p).map(|k| if k % 7 == 0 { 0.0 } else { 1e-16 * k as f64 }).collect();
    let s = svg::heatmap("|H − Hᵀ| of rev-rev at f32, order sequential, no-fma", "layers 2-2 (sigmoid), mse, n = 1", p, &values, &[(0, true), (4, false)]);
    assert!(s.contains("rev-rev at f32") && s.contains("layers 2-2"));
    assert_eq!(s.matches("class=\"bias\"").count(), 1);
}

/// Rows that differ only in a key the figure does not plot (the math library, the activation)
/// are never merged into one line: claim (e)'s figure has one series per method × metric ×
/// activation × math library; keys that only follow the x axis do not split series (width-depth:
/// the activation list grows with the depth, one series per method and precision).
#[test]
fn figures_never_merge_configurations() {
    let rows = tidy::rows(&results("tf2-article/claim-e-mathlib")).unwrap();
    let figs = export::figures::line_figures(&rows);
    let svg = &figs.iter().find(|(n, _)| n == "error-asymmetry-vs-precision.svg").unwrap().1;
    let st = styles(svg);
    assert_eq!(st.len(), 2 * 2 * 5 * 2);
    assert_eq!(st.iter().collect::<BTreeSet<_>>().len(), st.len());
    assert_eq!(svg.matches("math=libm</title>").count(), 20);
    let rows = tidy::rows(&results("width-depth")).unwrap();
    let figs = export::figures::line_figures(&rows);
    let svg = &figs.iter().find(|(n, _)| n == "asymmetry-vs-size.svg").unwrap().1;
    assert_eq!(styles(svg).len(), 4, "rev-rev/fwd-rev × f32/f64");
}
