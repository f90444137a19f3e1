//! Dependency-free SVG drawing for the figures of [`super`]: line plots with logarithmic axes
//! ([`Figure`]) and heat maps ([`heatmap`]); [`png`] rasterizes either (resvg). The SVG is
//! deterministic text (fixed number formatting), so figures can be snapshot-tested and
//! regenerated bit for bit.
//!
//! What a reader can rely on in a line plot:
//! - every series has its own (colour, marker, dash) triple ([`style`]: 8 colours × 7 markers ×
//!   5 dashes, each cycling on its own, so the first 280 series never share a triple and
//!   neighbours differ in all three); markers are hollow, so series lying on top of each other
//!   stay visible one through the other;
//! - the legend sits right of the plot area, inside the canvas, which grows to fit the longest
//!   label and the number of series;
//! - log-axis ticks sit at powers of ten (and at 2 and 5 times them when an axis spans less
//!   than three decades);
//! - a value that a log axis cannot show is drawn, not dropped: an exact 0 as a hollow ▽ on
//!   the bottom axis, a NaN or ±∞ as a hollow △ on the top axis, each counted in a note under
//!   the figure.

use std::fmt::Write as _;

/// One series: a name and its (x, y) points.
#[derive(Clone, Debug)]
pub struct Series {
    /// Legend label.
    pub name: String,
    /// Points.
    pub points: Vec<(f64, f64)>,
}

/// A figure.
#[derive(Clone, Debug)]
pub struct Figure {
    /// Title.
    pub title: String,
    /// x-axis label.
    pub x_label: String,
    /// y-axis label.
    pub y_label: String,
    /// Logarithmic x axis.
    pub log_x: bool,
    /// Series.
    pub series: Vec<Series>,
    /// Vertical markers (x, label), e.g. a theoretical optimum.
    pub markers: Vec<(f64, String)>,
}

/// The colours (Okabe–Ito's colour-blind-safe set, yellow replaced by a darker brown and grey).
pub const COLORS: [&str; 8] = ["#0072b2", "#d55e00", "#009e73", "#cc79a7", "#e69f00", "#56b4e9", "#000000", "#8c564b"];
/// The marker shapes.
pub const MARKERS: [&str; 7] = ["circle", "square", "triangle", "diamond", "cross", "plus", "star"];
/// The dash patterns (`stroke-dasharray`; empty for a solid line).
pub const DASHES: [&str; 5] = ["", "7 3", "2 2", "9 3 2 3", "14 4"];

/// Series `i`'s (colour, marker, dash): indices into [`COLORS`], [`MARKERS`], [`DASHES`]. The
/// three lengths are coprime, so the triple repeats only after 8·7·5 = 280 series.
pub fn style(i: usize) -> (usize, usize, usize) {
    (i % COLORS.len(), i % MARKERS.len(), i % DASHES.len())
}

/// The plot area's size and the margins (pixels).
const PW: f64 = 560.0;
const PH: f64 = 360.0;
const L: f64 = 90.0;
const T: f64 = 44.0;
const B: f64 = 64.0;
/// Legend row height, and an upper bound of the width of one character at 12 px.
const ROW: f64 = 18.0;
const CHAR: f64 = 7.4;

fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// A tick label: plain decimal between 1e-3 and 1e5, else `<m>e<k>`.
fn tick_label(v: f64) -> String {
    if v == 0.0 {
        return "0".into();
    }
    let e = v.abs().log10().floor() as i32;
    if (-3..5).contains(&e) {
        let t = format!("{v:.3}");
        t.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        let m = (v / 10f64.powi(e)).round();
        format!("{m}e{e}")
    }
}

/// Tick positions (log10 values) of a log axis from `lo` to `hi` (log10): every power of ten
/// (every k-th when there are more than 10), plus 2× and 5× when it spans under three decades,
/// and every whole multiple (3×, 4×, …) when that still leaves fewer than three ticks.
pub fn log_ticks(lo: f64, hi: f64) -> Vec<f64> {
    let (a, b) = (lo.ceil() as i64, hi.floor() as i64);
    let decades = (hi - lo).max(0.0);
    let step = ((b - a + 1) as f64 / 10.0).ceil().max(1.0) as i64;
    let mut t: Vec<f64> = (a..=b).filter(|e| (e - a) % step == 0).map(|e| e as f64).collect();
    if decades < 3.0 {
        // 1-2-5, or every whole multiple 1..9 of a power of ten when that still gives under 3
        for multiples in [&[2.0, 5.0][..], &[2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0][..]] {
            let mut more = t.clone();
            for e in (lo.floor() as i64)..=(hi.ceil() as i64) {
                for m in multiples {
                    let v = e as f64 + f64::log10(*m);
                    if v >= lo - 1e-9 && v <= hi + 1e-9 {
                        more.push(v);
                    }
                }
            }
            more.sort_by(f64::total_cmp);
            more.dedup();
            let enough = more.len() >= 3;
            t = more;
            if enough {
                break;
            }
        }
    }
    t
}

/// Ticks of a linear axis: 1-2-5 steps, about 6.
fn linear_ticks(lo: f64, hi: f64) -> Vec<f64> {
    let raw = (hi - lo) / 6.0;
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0].iter().map(|m| m * mag).find(|s| *s >= raw).unwrap_or(mag * 10.0);
    let mut t = Vec::new();
    let mut v = (lo / step).ceil() * step;
    while v <= hi + step * 1e-9 {
        t.push(v);
        v += step;
    }
    t
}

/// A marker of `shape` at (x, y), hollow, in colour `c`.
pub fn marker(shape: &str, x: f64, y: f64, c: &str) -> String {
    let r = 3.5;
    let st = format!(r#"fill="none" stroke="{c}" stroke-width="1.4""#);
    match shape {
        "circle" => format!(r#"<circle cx="{x:.1}" cy="{y:.1}" r="{r}" {st}/>"#),
        "square" => format!(r#"<rect x="{:.1}" y="{:.1}" width="{:.1}" height="{:.1}" {st}/>"#, x - r, y - r, 2.0 * r, 2.0 * r),
        "triangle" => format!(r#"<path d="M{x:.1},{:.1}L{:.1},{:.1}L{:.1},{:.1}Z" {st}/>"#, y - r - 0.5, x + r, y + r - 0.5, x - r, y + r - 0.5),
        "diamond" => format!(r#"<path d="M{x:.1},{:.1}L{:.1},{y:.1}L{x:.1},{:.1}L{:.1},{y:.1}Z" {st}/>"#, y - r - 0.8, x + r + 0.8, y + r + 0.8, x - r - 0.8),
        "cross" => format!(r#"<path d="M{:.1},{:.1}L{:.1},{:.1}M{:.1},{:.1}L{:.1},{:.1}" {st}/>"#, x - r, y - r, x + r, y + r, x - r, y + r, x + r, y - r),
        "plus" => format!(r#"<path d="M{:.1},{y:.1}L{:.1},{y:.1}M{x:.1},{:.1}L{x:.1},{:.1}" {st}/>"#, x - r - 0.8, x + r + 0.8, y - r - 0.8, y + r + 0.8),
        "down" => format!(r#"<path d="M{x:.1},{:.1}L{:.1},{:.1}L{:.1},{:.1}Z" {st}/>"#, y + r + 0.5, x + r, y - r + 0.5, x - r, y - r + 0.5),
        _ => {
            // a five-pointed star
            let pts: Vec<String> = (0..10)
                .map(|k| {
                    let (rad, a) = (if k % 2 == 0 { r + 1.0 } else { r * 0.45 }, std::f64::consts::PI * (k as f64 / 5.0 - 0.5));
                    format!("{:.1},{:.1}", x + rad * a.cos(), y + rad * a.sin())
                })
                .collect();
            format!(r#"<polygon points="{}" {st}/>"#, pts.join(" "))
        }
    }
}

/// The plot area's data ranges (x as plotted, log10 y) and their map to pixels.
struct Frame {
    x0: f64,
    x1: f64,
    y0: f64,
    y1: f64,
}

impl Frame {
    fn px(&self, x: f64) -> f64 {
        L + (x - self.x0) / (self.x1 - self.x0) * PW
    }
    fn py(&self, y: f64) -> f64 {
        T + PH - (y - self.y0) / (self.y1 - self.y0) * PH
    }
}

/// How a point shows on the figure.
#[derive(Clone, Copy, PartialEq)]
enum Kind {
    /// At its place.
    Drawn,
    /// y = 0: on the bottom axis.
    Zero,
    /// y NaN or ±∞: on the top axis.
    NonFinite,
    /// Not shown (x not positive on a log axis, or y negative): counted in a note.
    Omitted,
}

impl Figure {
    fn tx(&self, x: f64) -> f64 {
        if self.log_x {
            x.log10()
        } else {
            x
        }
    }

    fn kind(&self, (x, y): (f64, f64)) -> Kind {
        if !x.is_finite() || (self.log_x && x <= 0.0) {
            Kind::Omitted
        } else if y > 0.0 && y.is_finite() {
            Kind::Drawn
        } else if y == 0.0 {
            Kind::Zero
        } else if !y.is_finite() {
            Kind::NonFinite
        } else {
            Kind::Omitted
        }
    }

    /// The ranges: x of every shown point (5% margin), y of the drawn points in whole decades.
    fn frame(&self) -> Frame {
        let pts = self.series.iter().flat_map(|s| s.points.iter().copied());
        let (mut x0, mut x1, mut y0, mut y1) = (f64::INFINITY, f64::NEG_INFINITY, f64::INFINITY, f64::NEG_INFINITY);
        for p in pts {
            match self.kind(p) {
                Kind::Omitted => {}
                k => {
                    let x = self.tx(p.0);
                    (x0, x1) = (x0.min(x), x1.max(x));
                    if k == Kind::Drawn {
                        (y0, y1) = (y0.min(p.1.log10()), y1.max(p.1.log10()));
                    }
                }
            }
        }
        if !x0.is_finite() {
            (x0, x1) = (0.0, 1.0);
        }
        if !y0.is_finite() {
            (y0, y1) = (0.0, 1.0);
        }
        let pad = ((x1 - x0) * 0.05).max(if self.log_x { 0.05 } else { 0.5 });
        Frame { x0: x0 - pad, x1: x1 + pad, y0: y0.floor(), y1: y1.ceil().max(y0.floor() + 1.0) }
    }

    /// The notes under the figure: how many values of each kind a log axis cannot place.
    fn notes(&self) -> Vec<String> {
        let count = |k: Kind| self.series.iter().flat_map(|s| s.points.iter()).filter(|&&p| self.kind(p) == k).count();
        let mut notes = Vec::new();
        let (z, n, o) = (count(Kind::Zero), count(Kind::NonFinite), count(Kind::Omitted));
        if z > 0 {
            notes.push(format!("▽ on the bottom axis: {z} value(s) exactly 0 (no place on a log axis)"));
        }
        if n > 0 {
            notes.push(format!("△ on the top axis: {n} value(s) NaN or ±∞"));
        }
        if o > 0 {
            notes.push(format!("{o} point(s) not shown (negative, or x ≤ 0 on a log axis)"));
        }
        notes
    }

    /// The legend's width: the longest label, its sample line and margins.
    fn legend_width(&self) -> f64 {
        let longest = self.series.iter().map(|s| s.name.chars().count()).max().unwrap_or(0);
        56.0 + CHAR * longest as f64
    }

    /// The canvas size (width, height): plot, legend and notes all inside.
    pub fn size(&self) -> (f64, f64) {
        let w = L + PW + 24.0 + self.legend_width() + 12.0;
        let notes = self.notes().len() as f64 * 16.0;
        let h = (T + PH + B + notes + 8.0).max(T + 12.0 + ROW * self.series.len() as f64 + 12.0);
        (w.ceil(), h.ceil())
    }

    /// The SVG document.
    pub fn to_svg(&self) -> String {
        let f = self.frame();
        let (w, h) = self.size();
        let mut s = String::new();
        let _ = writeln!(s, r#"<?xml version="1.0" encoding="UTF-8"?>"#);
        let _ = writeln!(s, r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" font-family="DejaVu Sans, sans-serif" font-size="12">"#);
        let _ = writeln!(s, r#"<rect x="0" y="0" width="{w}" height="{h}" fill="white"/>"#);
        let _ = writeln!(s, r#"<text x="{:.1}" y="26" font-size="15" text-anchor="middle">{}</text>"#, L + PW / 2.0, esc(&self.title));
        self.axes(&mut s, &f);
        self.markers(&mut s, &f);
        self.series(&mut s, &f);
        self.legend(&mut s);
        for (k, note) in self.notes().iter().enumerate() {
            let _ = writeln!(s, r##"<text class="note" x="{L}" y="{:.1}" fill="#444">{}</text>"##, T + PH + B + 4.0 + 16.0 * k as f64, esc(note));
        }
        s.push_str("</svg>\n");
        s
    }

    /// Frame, grid and tick labels, axis labels.
    fn axes(&self, s: &mut String, f: &Frame) {
        let _ = writeln!(s, r#"<rect class="plot-area" x="{L}" y="{T}" width="{PW}" height="{PH}" fill="none" stroke="black"/>"#);
        for e in log_ticks(f.y0, f.y1) {
            let y = f.py(e);
            let _ = writeln!(s, r##"<g class="ytick"><line x1="{L}" y1="{y:.1}" x2="{:.1}" y2="{y:.1}" stroke="#ddd"/><text x="{:.1}" y="{:.1}" text-anchor="end">{}</text></g>"##, L + PW, L - 6.0, y + 4.0, tick_label(10f64.powf(e)));
        }
        let xt = if self.log_x { log_ticks(f.x0, f.x1) } else { linear_ticks(f.x0, f.x1) };
        for xv in xt {
            let x = f.px(xv);
            let v = if self.log_x { 10f64.powf(xv) } else { xv };
            let _ = writeln!(s, r##"<g class="xtick"><line x1="{x:.1}" y1="{T}" x2="{x:.1}" y2="{:.1}" stroke="#eee"/><text x="{x:.1}" y="{:.1}" text-anchor="middle">{}</text></g>"##, T + PH, T + PH + 18.0, tick_label(v));
        }
        let _ = writeln!(s, r#"<text x="{:.1}" y="{:.1}" text-anchor="middle">{}</text>"#, L + PW / 2.0, T + PH + 40.0, esc(&self.x_label));
        let my = T + PH / 2.0;
        let _ = writeln!(s, r#"<text x="20" y="{my:.1}" text-anchor="middle" transform="rotate(-90 20 {my:.1})">{}</text>"#, esc(&self.y_label));
    }

    /// Vertical dashed markers, labels staggered downwards so neighbouring markers stay readable.
    fn markers(&self, s: &mut String, f: &Frame) {
        for (m, (xm, label)) in self.markers.iter().enumerate() {
            if self.log_x && *xm <= 0.0 {
                continue;
            }
            let x = f.px(self.tx(*xm));
            let ly = T + 14.0 + 14.0 * m as f64;
            let _ = writeln!(s, r##"<g class="marker"><title>{}</title><line x1="{x:.1}" y1="{T}" x2="{x:.1}" y2="{:.1}" stroke="#999" stroke-dasharray="4 3"/><text x="{:.1}" y="{ly:.1}" fill="#666">{}</text></g>"##, esc(label), T + PH, x + 3.0, esc(label));
        }
    }

    /// Each series: its line (split where a point cannot be placed) and its markers.
    fn series(&self, s: &mut String, f: &Frame) {
        for (i, ser) in self.series.iter().enumerate() {
            let (c, m, d) = style(i);
            let (c, m, d) = (COLORS[c], MARKERS[m], DASHES[d]);
            let _ = writeln!(s, r#"<g class="series" data-color="{c}" data-marker="{m}" data-dash="{d}"><title>{}</title>"#, esc(&ser.name));
            let dash = if d.is_empty() { String::new() } else { format!(r#" stroke-dasharray="{d}""#) };
            let mut run: Vec<String> = Vec::new();
            let flush = |run: &mut Vec<String>, s: &mut String| {
                if run.len() > 1 {
                    let _ = writeln!(s, r#"<polyline fill="none" stroke="{c}" stroke-width="1.5"{dash} points="{}"/>"#, run.join(" "));
                }
                run.clear();
            };
            for &p in &ser.points {
                let x = f.px(self.tx(p.0));
                match self.kind(p) {
                    Kind::Drawn => {
                        let y = f.py(p.1.log10());
                        run.push(format!("{x:.1},{y:.1}"));
                        s.push_str(&marker(m, x, y, c));
                        s.push('\n');
                    }
                    Kind::Zero => {
                        flush(&mut run, s);
                        let _ = writeln!(s, r#"<g class="zero">{}</g>"#, marker("down", x, T + PH - 5.0, c));
                    }
                    Kind::NonFinite => {
                        flush(&mut run, s);
                        let _ = writeln!(s, r#"<g class="nonfinite">{}</g>"#, marker("triangle", x, T + 5.0, c));
                    }
                    Kind::Omitted => flush(&mut run, s),
                }
            }
            flush(&mut run, s);
            s.push_str("</g>\n");
        }
    }

    /// The legend, right of the plot area: a box, one row per series (line sample with its
    /// dash and marker, then the label).
    fn legend(&self, s: &mut String) {
        if self.series.is_empty() {
            return;
        }
        let (x0, y0) = (L + PW + 24.0, T);
        let (w, h) = (self.legend_width(), 8.0 + ROW * self.series.len() as f64);
        let _ = writeln!(s, r##"<g class="legend"><rect class="legend-box" x="{x0:.1}" y="{y0:.1}" width="{w:.1}" height="{h:.1}" fill="white" stroke="#999"/>"##);
        for (i, ser) in self.series.iter().enumerate() {
            let (c, m, d) = style(i);
            let (c, m, d) = (COLORS[c], MARKERS[m], DASHES[d]);
            let y = y0 + 4.0 + ROW * (i as f64 + 0.5);
            let dash = if d.is_empty() { String::new() } else { format!(r#" stroke-dasharray="{d}""#) };
            let _ = writeln!(s, r#"<g class="legend-entry"><line x1="{:.1}" y1="{y:.1}" x2="{:.1}" y2="{y:.1}" stroke="{c}" stroke-width="1.5"{dash}/>{}<text x="{:.1}" y="{:.1}">{}</text></g>"#, x0 + 8.0, x0 + 40.0, marker(m, x0 + 24.0, y, c), x0 + 48.0, y + 4.0, esc(&ser.name));
        }
        s.push_str("</g>\n");
    }
}

/// A P × P heat map of non-negative values on a log colour scale (zeros white), e.g. |H − Hᵀ|,
/// titled `title` with a second line `subtitle` (the configuration), with the blocks of θ
/// marked: `blocks` holds (first index, is a new layer) of each block — a solid line where a
/// layer starts, a dashed one between a layer's weights and its biases.
pub fn heatmap(title: &str, subtitle: &str, p: usize, values: &[f64], blocks: &[(usize, bool)]) -> String {
    let size = 480.0;
    let (ox, oy) = (60.0, 70.0);
    let cell = size / p.max(1) as f64;
    let logs: Vec<f64> = values.iter().filter(|v| **v > 0.0 && v.is_finite()).map(|v| v.log10()).collect();
    let (lo, hi) = logs.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |a, &x| (a.0.min(x), a.1.max(x)));
    let (lo, hi) = if lo.is_finite() { (lo.floor(), hi.ceil().max(lo.floor() + 1.0)) } else { (0.0, 1.0) };
    // light yellow → dark blue
    let color = |v: f64| -> String {
        if !(v > 0.0 && v.is_finite()) {
            return "#ffffff".into();
        }
        let t = ((v.log10() - lo) / (hi - lo)).clamp(0.0, 1.0);
        let mix = |a: f64, b: f64| (a + (b - a) * t).round() as u8;
        format!("#{:02x}{:02x}{:02x}", mix(255.0, 8.0), mix(247.0, 48.0), mix(188.0, 107.0))
    };
    let longest = title.chars().count().max(subtitle.chars().count()) as f64 * CHAR;
    let (w, h) = ((size + 200.0).max(longest + 40.0).ceil(), size + oy + 60.0);
    let mut s = String::new();
    let _ = writeln!(s, r#"<?xml version="1.0" encoding="UTF-8"?>"#);
    let _ = writeln!(s, r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" font-family="DejaVu Sans, sans-serif" font-size="12">"#);
    let _ = writeln!(s, r#"<rect x="0" y="0" width="{w}" height="{h}" fill="white"/>"#);
    let _ = writeln!(s, r#"<text x="20" y="24" font-size="15">{}</text>"#, esc(title));
    let _ = writeln!(s, r##"<text class="subtitle" x="20" y="44" fill="#333">{}</text>"##, esc(subtitle));
    let _ = writeln!(s, r#"<g class="cells" shape-rendering="crispEdges">"#);
    for i in 0..p {
        for j in 0..p {
            let _ = writeln!(s, r#"<rect x="{:.2}" y="{:.2}" width="{:.2}" height="{:.2}" fill="{}"/>"#, ox + j as f64 * cell, oy + i as f64 * cell, cell, cell, color(values[i * p + j]));
        }
    }
    let _ = writeln!(s, "</g>");
    let _ = writeln!(s, r#"<g class="blocks">"#);
    for &(k, layer) in blocks.iter().filter(|(k, _)| *k > 0 && *k < p) {
        let at = k as f64 * cell;
        let st = if layer { r#"stroke="black" stroke-width="1.5""# } else { r##"stroke="#555" stroke-width="1" stroke-dasharray="4 3""## };
        let _ = writeln!(s, r#"<line class="{}" x1="{:.2}" y1="{oy}" x2="{:.2}" y2="{:.2}" {st}/><line x1="{ox}" y1="{:.2}" x2="{:.2}" y2="{:.2}" {st}/>"#, if layer { "layer" } else { "bias" }, ox + at, ox + at, oy + size, oy + at, ox + size, oy + at);
    }
    let _ = writeln!(s, "</g>");
    let _ = writeln!(s, r#"<rect x="{ox}" y="{oy}" width="{size}" height="{size}" fill="none" stroke="black"/>"#);
    // colour bar, labelled at whole decades
    let bx = ox + size + 20.0;
    for k in 0..20 {
        let mid = lo + (hi - lo) * (k as f64 + 0.5) / 20.0;
        let _ = writeln!(s, r#"<rect x="{bx:.1}" y="{:.1}" width="20" height="{:.1}" fill="{}"/>"#, oy + size - size * (k as f64 + 1.0) / 20.0, size / 20.0, color(10f64.powf(mid)));
    }
    for e in log_ticks(lo, hi) {
        let y = oy + size - size * (e - lo) / (hi - lo);
        let _ = writeln!(s, r#"<text x="{:.1}" y="{:.1}">{}</text>"#, bx + 26.0, y + 4.0, tick_label(10f64.powf(e)));
    }
    let _ = writeln!(
        s,
        r#"<text x="{ox}" y="{:.1}">entry (i, j) of θ; white = exactly 0; solid lines: layers, dashed: weights | biases</text>"#,
        oy + size + 24.0
    );
    s.push_str("</svg>\n");
    s
}

/// The PNG image of an SVG document (rendered by resvg at its own size, with the system's fonts).
pub fn png(svg: &str) -> Result<Vec<u8>, String> {
    use std::sync::{Arc, OnceLock};
    static FONTS: OnceLock<Arc<resvg::usvg::fontdb::Database>> = OnceLock::new();
    let fonts = FONTS.get_or_init(|| {
        let mut db = resvg::usvg::fontdb::Database::new();
        db.load_system_fonts();
        Arc::new(db)
    });
    let opt = resvg::usvg::Options { fontdb: fonts.clone(), ..Default::default() };
    let tree = resvg::usvg::Tree::from_str(svg, &opt).map_err(|e| format!("SVG not readable: {e}"))?;
    let size = tree.size().to_int_size();
    let mut pixmap = resvg::tiny_skia::Pixmap::new(size.width(), size.height()).ok_or("empty figure")?;
    resvg::render(&tree, resvg::tiny_skia::Transform::identity(), &mut pixmap.as_mut());
    pixmap.encode_png().map_err(|e| format!("PNG encoding: {e}"))
}
