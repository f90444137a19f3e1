//! Minimal, dependency-free SVG drawing for the figures of [`super`]: line plots with
//! logarithmic axes ([`Figure`]) and heat maps ([`heatmap`]). Output is deterministic text
//! (fixed number formatting), so figures can be snapshot-tested and regenerated bit for bit.

use std::fmt::Write as _;

/// One series: a name and its (x, y) points (non-positive values are skipped on log axes).
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

const W: f64 = 720.0;
const H: f64 = 480.0;
const L: f64 = 80.0;
const R: f64 = 200.0;
const T: f64 = 40.0;
const B: f64 = 60.0;
const COLORS: [&str; 8] = ["#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02", "#a6761d", "#666666"];

fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// The plot area's data ranges (log10 y; log10 x on a log axis) and their map to pixels.
struct Frame {
    x0: f64,
    x1: f64,
    y0: f64,
    y1: f64,
}

impl Frame {
    /// Pixel x of a (transformed) data x.
    fn px(&self, x: f64) -> f64 {
        L + (x - self.x0) / (self.x1 - self.x0) * (W - L - R)
    }

    /// Pixel y of a log10 data y.
    fn py(&self, y: f64) -> f64 {
        H - B - (y - self.y0) / (self.y1 - self.y0) * (H - T - B)
    }
}

impl Figure {
    /// x as plotted: log10 on a log axis.
    fn tx(&self, x: f64) -> f64 {
        if self.log_x {
            x.log10()
        } else {
            x
        }
    }

    /// Whether a point can be drawn (positive finite y; positive x on a log axis).
    fn drawable(&self, (x, y): (f64, f64)) -> bool {
        y > 0.0 && y.is_finite() && (!self.log_x || x > 0.0)
    }

    /// The ranges of the drawable points: x as plotted, y in whole decades.
    fn frame(&self) -> Frame {
        let pts: Vec<(f64, f64)> =
            self.series.iter().flat_map(|s| s.points.iter().copied()).filter(|&p| self.drawable(p)).map(|(x, y)| (self.tx(x), y.log10())).collect();
        let (mut x0, mut x1, mut y0, mut y1) = pts.iter().fold((f64::INFINITY, f64::NEG_INFINITY, f64::INFINITY, f64::NEG_INFINITY), |a, &(x, y)| {
            (a.0.min(x), a.1.max(x), a.2.min(y), a.3.max(y))
        });
        if !x0.is_finite() {
            (x0, x1, y0, y1) = (0.0, 1.0, 0.0, 1.0);
        }
        if x1 - x0 < 1e-12 {
            x1 = x0 + 1.0;
        }
        y0 = y0.floor();
        y1 = y1.ceil().max(y0 + 1.0);
        Frame { x0, x1, y0, y1 }
    }

    /// The SVG document.
    pub fn to_svg(&self) -> String {
        let f = self.frame();
        let mut s = String::new();
        let _ = writeln!(s, r#"<?xml version="1.0" encoding="UTF-8"?>"#);
        let _ = writeln!(s, r#"<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" viewBox="0 0 {W} {H}" font-family="sans-serif" font-size="12">"#);
        let _ = writeln!(s, r#"<rect x="0" y="0" width="{W}" height="{H}" fill="white"/>"#);
        let _ = writeln!(s, r#"<text x="{}" y="24" font-size="15" text-anchor="middle">{}</text>"#, (L + W - R) / 2.0, esc(&self.title));
        self.axes(&mut s, &f);
        self.markers(&mut s, &f);
        self.series(&mut s, &f);
        s.push_str("</svg>\n");
        s
    }

    /// Frame, grid and labels: decades on y; 6 ticks on x.
    fn axes(&self, s: &mut String, f: &Frame) {
        let _ = writeln!(s, r#"<g stroke="black" fill="none"><rect x="{L}" y="{T}" width="{:.1}" height="{:.1}"/></g>"#, W - L - R, H - T - B);
        let mut e = f.y0 as i64;
        let step = (((f.y1 - f.y0) / 8.0).ceil() as i64).max(1);
        while (e as f64) <= f.y1 {
            let y = f.py(e as f64);
            let _ = writeln!(s, r##"<line x1="{L}" y1="{y:.1}" x2="{:.1}" y2="{y:.1}" stroke="#ddd"/><text x="{:.1}" y="{:.1}" text-anchor="end">1e{e}</text>"##, W - R, L - 6.0, y + 4.0);
            e += step;
        }
        for k in 0..=5 {
            let xv = f.x0 + (f.x1 - f.x0) * k as f64 / 5.0;
            let label = if self.log_x {
                let v = 10f64.powf(xv);
                if (0.01..1e5).contains(&v) {
                    let t = format!("{v:.2}");
                    t.trim_end_matches('0').trim_end_matches('.').to_string()
                } else {
                    format!("{v:.1e}")
                }
            } else {
                format!("{xv:.0}")
            };
            let _ = writeln!(s, r#"<text x="{:.1}" y="{:.1}" text-anchor="middle">{label}</text>"#, f.px(xv), H - B + 18.0);
        }
        let _ = writeln!(s, r#"<text x="{:.1}" y="{:.1}" text-anchor="middle">{}</text>"#, (L + W - R) / 2.0, H - 16.0, esc(&self.x_label));
        let _ = writeln!(s, r#"<text x="18" y="{:.1}" text-anchor="middle" transform="rotate(-90 18 {:.1})">{}</text>"#, (T + H - B) / 2.0, (T + H - B) / 2.0, esc(&self.y_label));
    }

    /// Vertical dashed markers, labels staggered downwards so neighbouring markers stay readable.
    fn markers(&self, s: &mut String, f: &Frame) {
        for (m, (xm, label)) in self.markers.iter().enumerate() {
            if self.log_x && *xm <= 0.0 {
                continue;
            }
            let x = f.px(self.tx(*xm));
            let ly = H - B - 8.0 - 14.0 * m as f64;
            let _ = writeln!(s, r##"<g class="marker"><title>{}</title><line x1="{x:.1}" y1="{T}" x2="{x:.1}" y2="{:.1}" stroke="#999" stroke-dasharray="4 3"/><text x="{:.1}" y="{ly:.1}" fill="#666">{}</text></g>"##, esc(label), H - B, x + 3.0, esc(label));
        }
    }

    /// Each series: polyline, points and legend entry.
    fn series(&self, s: &mut String, f: &Frame) {
        for (i, ser) in self.series.iter().enumerate() {
            let c = COLORS[i % COLORS.len()];
            let p: Vec<String> =
                ser.points.iter().filter(|&&p| self.drawable(p)).map(|&(x, y)| format!("{:.1},{:.1}", f.px(self.tx(x)), f.py(y.log10()))).collect();
            let _ = writeln!(s, r#"<g class="series"><title>{}</title>"#, esc(&ser.name));
            if p.len() > 1 {
                let _ = writeln!(s, r#"<polyline fill="none" stroke="{c}" stroke-width="1.5" points="{}"/>"#, p.join(" "));
            }
            for q in &p {
                let (a, b) = q.split_once(',').expect("x,y");
                let _ = writeln!(s, r#"<circle cx="{a}" cy="{b}" r="2.5" fill="{c}"/>"#);
            }
            let ly = T + 14.0 + 18.0 * i as f64;
            let _ = writeln!(s, r#"<line x1="{:.1}" y1="{ly:.1}" x2="{:.1}" y2="{ly:.1}" stroke="{c}" stroke-width="2"/><text x="{:.1}" y="{:.1}">{}</text></g>"#, W - R + 12.0, W - R + 32.0, W - R + 38.0, ly + 4.0, esc(&ser.name));
        }
    }
}

/// A P × P heat map of non-negative values on a log color scale (zeros white), e.g. |H − Hᵀ|.
pub fn heatmap(title: &str, p: usize, values: &[f64]) -> String {
    let size = 480.0;
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
    let mut s = String::new();
    let (w, h) = (size + 180.0, size + 80.0);
    let _ = writeln!(s, r#"<?xml version="1.0" encoding="UTF-8"?>"#);
    let _ = writeln!(s, r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" font-family="sans-serif" font-size="12">"#);
    let _ = writeln!(s, r#"<rect x="0" y="0" width="{w}" height="{h}" fill="white"/>"#);
    let _ = writeln!(s, r#"<text x="{:.1}" y="24" font-size="15" text-anchor="middle">{}</text>"#, 40.0 + size / 2.0, esc(title));
    let _ = writeln!(s, r#"<g class="cells" shape-rendering="crispEdges">"#);
    for i in 0..p {
        for j in 0..p {
            let _ = writeln!(s, r#"<rect x="{:.2}" y="{:.2}" width="{:.2}" height="{:.2}" fill="{}"/>"#, 40.0 + j as f64 * cell, 40.0 + i as f64 * cell, cell, cell, color(values[i * p + j]));
        }
    }
    let _ = writeln!(s, "</g>");
    let _ = writeln!(s, r#"<rect x="40" y="40" width="{size}" height="{size}" fill="none" stroke="black"/>"#);
    // color bar
    for k in 0..=10 {
        let e = lo + (hi - lo) * k as f64 / 10.0;
        let y = 40.0 + size - size * k as f64 / 10.0;
        if k < 10 {
            let mid = lo + (hi - lo) * (k as f64 + 0.5) / 10.0;
            let _ = writeln!(s, r#"<rect x="{:.1}" y="{:.1}" width="20" height="{:.1}" fill="{}"/>"#, size + 60.0, y - size / 10.0, size / 10.0, color(10f64.powf(mid)));
        }
        let _ = writeln!(s, r#"<text x="{:.1}" y="{:.1}">1e{e:.1}</text>"#, size + 86.0, y + 4.0);
    }
    let _ = writeln!(s, r#"<text x="{:.1}" y="{:.1}" text-anchor="middle">entry (i, j) of θ; white = exactly 0</text>"#, 40.0 + size / 2.0, size + 64.0);
    s.push_str("</svg>\n");
    s
}
