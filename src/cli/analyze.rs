//! `clairaut analyze`: every requested Hessian against the certified truth, with the attribution
//! of its error and asymmetry (see [`crate::analysis`]). Before the work, the estimated time on
//! stderr, then its progress ([`super::progress`]); after it, the table on stdout: by default
//! one that fits 120 columns (each part whole, two significant digits) with a legend under it,
//! with `--wide` every part whole and antisymmetric. Non-finite values (NaN, ±∞) in the truth or
//! in a row's H are reported, one line each, after the table.

use std::path::PathBuf;

use clap::builder::{PossibleValue, PossibleValuesParser, TypedValueParser};
use clap::{Args, ValueEnum};
use rug::Float;

use super::{parse_option, with_threads};
use crate::analysis::metrics::fmt_metric;
use crate::analysis::external::{self, External, ExternalSpec};
use crate::analysis::{self, truth, Analysis, Request};
use crate::error::Error;
use crate::hessian::fd::StepRule;
use crate::hessian::Method;
use crate::input::Access;
use crate::model::{InputMode, Problem};
use crate::order::Order;
use crate::scalar::matmul::PrecisionPolicy;
use crate::scalar::rules::Rules;
use crate::scalar::{FmaPolicy, MathLib, Precision};

/// Options of `clairaut analyze`.
#[derive(Debug, Args)]
pub struct AnalyzeArgs {
    /// Problem file (JSON).
    #[arg(long, value_name = "FILE")]
    pub problem: PathBuf,
    /// Comma-separated methods. The default takes seconds at P ≈ 300; fwd-fwd and fd-loss-4pt
    /// grow as P³ (cost: the time relative to fwd-rev's at P ≈ 300 and the truth's mp:256).
    #[arg(long, value_name = "M1,M2,..", value_parser = method_parser(), value_delimiter = ',', default_value = DEFAULT_METHODS)]
    pub methods: Vec<Method>,
    /// Comma-separated precisions.
    #[arg(long, value_name = "P1,P2,..", default_value = "f32,f64")]
    pub precisions: String,
    /// Comma-separated orders: sequential, reversed, pairwise, kahan, exact, shuffled:<seed>,
    /// lanes:<w>, blocked:<b>, splitk:<k> (1 ≤ w, b, k ≤ 65536).
    #[arg(long, value_name = "O1,O2,..", default_value = "sequential")]
    pub orders: String,
    /// Comma-separated FMA policies (no-fma, fma).
    #[arg(long = "fma-policies", value_name = "F1,F2", value_enum, value_delimiter = ',', default_value = "no-fma")]
    pub fma_policies: Vec<FmaPolicy>,
    /// Comma-separated precision policies of the matrix products: uniform, presets
    /// (tf32-tf32-f32, bf16-bf16-f32, tf2-ampere, torch-autocast-bf16, … — see the README);
    /// a field=value item overrides the policy before it: uniform,bf16-bf16-f32,round=sr:7.
    #[arg(long, value_name = "POL1,POL2,..", default_value = "uniform")]
    pub policies: String,
    /// Comma-separated derivative rules: clairaut (Clairaut's own graph), tensorflow
    /// (TensorFlow's registered gradients: rev-rev), jax (jax.hessian: fwd-rev), pytorch
    /// (torch.func.hessian: fwd-rev; torch.autograd.functional.hessian: rev-rev); framework
    /// rules run f32/f64, uniform, in any order. A row
    /// under framework rules gets a graph part: its H against Clairaut's rules' in the cell.
    #[arg(long = "rules", value_name = "R1,R2", value_enum, value_delimiter = ',', default_value = "clairaut")]
    pub rules: Vec<Rules>,
    /// Truth precision, mp:<bits> (default mp:256, raised to 2p+74 for the finest precision p).
    #[arg(long, value_name = "PREC")]
    pub truth: Option<String>,
    /// Extra bits of the certifying recomputation (0 to 65536).
    #[arg(long, value_name = "BITS", default_value_t = truth::DEFAULT_CHECK_EXTRA, value_parser = super::parse_check_extra)]
    pub check_extra: u32,
    /// How the truth is certified: point (two precisions agree: a heuristic) or ball (a proven
    /// enclosure in interval arithmetic; the two precisions kept as a cross-check).
    #[arg(long = "truth-mode", value_name = "MODE", value_enum, default_value = "point")]
    pub truth_mode: truth::TruthMode,
    /// Finite-difference step: optimal, fixed:<h> or relative:<h>.
    #[arg(long, value_name = "RULE", default_value = "optimal")]
    pub step: String,
    /// f32/f64 math library: core-math or libm.
    #[arg(long, value_name = "LIB", value_enum, default_value = "core-math")]
    pub math: MathLib,
    /// How the file's numbers become inputs — of the truth and of every cell: decimal (exact),
    /// binary64, binary32 (pinned to that format first) or as-stored (the exact stored values).
    #[arg(long, value_name = "MODE", value_enum, default_value = "decimal")]
    pub inputs: InputMode,
    /// Read tensor files the problem names outside its folder.
    #[arg(long)]
    pub allow_outside: bool,
    /// |z| at or below which a relu or leaky_relu pre-activation counts as a kink.
    #[arg(long, value_name = "TOL", default_value_t = 1e-9)]
    pub kink_tol: f64,
    /// Skip the eigenvalues of the symmetric parts.
    #[arg(long)]
    pub no_spectrum: bool,
    /// Write the analysis as JSON.
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    /// Worker threads (default: all cores).
    #[arg(long, value_name = "N", value_parser = super::parse_threads)]
    pub threads: Option<usize>,
    /// Run even if the memory estimate exceeds the available memory.
    #[arg(long)]
    pub force: bool,
    /// The full table: every part whole / antisymmetric, and the residual (over 200 columns).
    #[arg(long)]
    pub wide: bool,
    /// Omit the legend under the table.
    #[arg(long)]
    pub no_legend: bool,
    /// An external Hessian to analyze (repeatable): an .npy file (<f4 or <f8, shape (P, P), in
    /// Clairaut θ order) as a row of its own, with the nearest Clairaut configuration;
    /// precision defaults to the dtype; policy restricts the search to that precision policy.
    #[arg(long = "external", value_name = "NAME=H.npy[,precision=P][,policy=POL]")]
    pub externals: Vec<String>,
}

/// The methods `analyze` runs by default: those that build H a line at a time, so that P ≈ 300
/// takes seconds; `fwd-fwd` and `fd-loss-4pt` make P² evaluations (hundreds of times the
/// others' time at P ≈ 300) and are asked for by name.
pub const DEFAULT_METHODS: &str = "fwd-rev,rev-rev,gauss-newton,fd-grad-central";

/// What each method is, in a few words (for `--help`).
fn method_summary(m: Method) -> &'static str {
    match m {
        Method::FwdRev => "exact: Hessian-vector products, a column each",
        Method::RevRev => "exact: a reverse sweep per row",
        Method::FwdFwd => "exact: hyper-dual numbers, an evaluation per entry",
        Method::GaussNewton => "the Gauss–Newton matrix Jᵀ H_ℓ J (approximation)",
        Method::FdGradForward => "forward differences of the gradient",
        Method::FdGradCentral => "central differences of the gradient",
        Method::FdGradCentral4 => "4th-order central differences of the gradient",
        Method::FdLoss4pt => "4-point second differences of the loss",
        Method::FdLoss4ptAsPrinted => "the TF2 article's Example 2 formula as printed",
    }
}

/// A method's cost relative to `fwd-rev` at P ≈ 300 ([`crate::hessian::cost::relative_cost`]).
fn fmt_cost(m: Method) -> String {
    let c = crate::hessian::cost::relative_cost(m);
    if c < 10.0 { format!("{c:.1}×") } else { format!("{:.0}×", (c / 10.0).round() * 10.0) }
}

/// The accepted methods, every variant of [`Method`]'s `ValueEnum`, each with what it is and its
/// cost (`--method` of `hessian`, `--methods` of `analyze`).
pub fn method_parser() -> impl TypedValueParser<Value = Method> {
    let values: Vec<PossibleValue> = Method::value_variants()
        .iter()
        .filter_map(|m| m.to_possible_value().map(|v| v.help(format!("{}; cost {}", method_summary(*m), fmt_cost(*m)))))
        .collect();
    PossibleValuesParser::new(values).map(|s| s.parse::<Method>().expect("a possible value is a method"))
}

/// Estimated peak memory of an analysis, in bytes ([`crate::hessian::cost::analysis_memory`]).
pub fn memory_estimate(req: &Request, threads: usize) -> f64 {
    crate::hessian::cost::analysis_memory(&req.shape(), threads)
}

fn list<T: std::str::FromStr<Err = String>>(option: &str, s: &str) -> Result<Vec<T>, Error> {
    let v: Vec<T> = s.split(',').map(|x| parse_option(option, x.trim())).collect::<Result<_, _>>()?;
    if v.is_empty() {
        return Err(Error::Option { option: option.into(), message: "empty list".into() });
    }
    Ok(v)
}

/// The policies of `--policies`: comma-separated, an item with `=` overriding a field of the
/// policy before it (`uniform,bf16-bf16-f32,round=sr:7` is two policies).
fn policy_list(s: &str) -> Result<Vec<PrecisionPolicy>, Error> {
    let mut texts: Vec<String> = Vec::new();
    for item in s.split(',').map(str::trim) {
        match texts.last_mut() {
            Some(last) if item.contains('=') => {
                last.push(',');
                last.push_str(item);
            }
            _ => texts.push(item.to_string()),
        }
    }
    texts.iter().map(|t| parse_option("--policies", t)).collect()
}

impl AnalyzeArgs {
    /// Validates every option before any work starts.
    pub fn validate(&self) -> Result<Request, Error> {
        let methods = self.methods.clone();
        let precisions: Vec<Precision> = list("--precisions", &self.precisions)?;
        let orders: Vec<Order> = list("--orders", &self.orders)?;
        let fmas: Vec<bool> = self.fma_policies.iter().map(|f| f.fused()).collect();
        let truth_bits = match &self.truth {
            None => None,
            Some(t) => match parse_option::<Precision>("--truth", t)? {
                Precision::Mp(b) => Some(b),
                other => {
                    return Err(Error::Option {
                        option: "--truth".into(),
                        message: format!("`{other}`: the truth must be an MPFR precision mp:<bits>"),
                    })
                }
            },
        };
        // the same checks as an experiment's check_extra and kink_tol (crate::experiment::check)
        crate::limits::check_kink_tol(self.kink_tol).map_err(|message| Error::Option { option: "--kink-tol".into(), message })?;
        crate::limits::check_extra_bits(self.check_extra).map_err(|message| Error::Option { option: "--check-extra".into(), message })?;
        let step: StepRule = parse_option("--step", &self.step)?;
        let policies = policy_list(&self.policies)?;
        let problem = Problem::load_with(&self.problem, if self.allow_outside { Access::AllowOutside } else { Access::Confined })?;
        let externals = externals(&self.externals, &problem)?;
        let req = Request {
            problem,
            methods,
            precisions,
            orders,
            fmas,
            policies,
            rules: self.rules.clone(),
            math: self.math,
            inputs: self.inputs,
            step,
            truth_bits,
            check_extra: self.check_extra,
            truth_mode: self.truth_mode,
            kink_tol: self.kink_tol,
            spectrum: !self.no_spectrum,
            keep_matrices: false,
            externals,
        };
        analysis::check_policies(&req.policies, &req.methods, &req.precisions, &req.orders).map_err(|message| Error::Option { option: "--policies".into(), message })?;
        analysis::check_rules(&req).map_err(|message| Error::Option { option: "--rules".into(), message })?;
        for e in &req.externals {
            let axes = external::SearchAxes::of(&req, e.policy);
            if axes.candidates(&req.problem.spec, e.precision).is_empty() {
                let message = format!("`{}`: no configuration of {} runs at {} (rev-rev runs only the uniform policy)", e.name, axes.describe(), e.precision);
                return Err(Error::Option { option: "--external".into(), message });
            }
        }
        Ok(req)
    }
}

/// The `--external` items, parsed and read (files relative to the working folder).
fn externals(items: &[String], problem: &Problem) -> Result<Vec<External>, Error> {
    let option = |message: String| Error::Option { option: "--external".into(), message };
    let specs = items.iter().map(|s| ExternalSpec::parse(s).map_err(option)).collect::<Result<Vec<_>, _>>()?;
    external::check_names(&specs).map_err(option)?;
    specs.iter().map(|s| External::load(s, std::path::Path::new(&s.file), &problem.spec.layers, &problem.spec.bias)).collect()
}

/// The lines above the table: the truth and its certification, the kinks.
fn print_header(a: &Analysis) {
    let t = &a.truth;
    let verdict = if t.certified { "certified" } else { "NOT certified for every requested precision" };
    match t.cross_check {
        None => {
            println!("truth T: fwd-rev, exact order, {}, checked at {}: {verdict}", t.precision, t.check_precision);
            println!(
                "  agreeing bits of T and its check: min {} / median {} (certified needs {})",
                t.certified_bits_min, t.certified_bits_median, t.bits_needed
            );
        }
        Some((agreeing, outside)) => {
            println!("truth T: fwd-rev, exact order, {}, truth mode ball (proven enclosure), cross-checked at {}: {verdict}", t.precision, t.check_precision);
            println!(
                "  proven bits of T: min {} / median {} (certified needs {}); cross-check: agreeing bits min {}, T inside every enclosure, check outside {}",
                t.certified_bits_min, t.certified_bits_median, t.bits_needed, agreeing, outside
            );
        }
    }
    println!(
        "kinks (relu/leaky_relu, |z| ≤ {:e}): {} — {} Hessian entries undefined",
        a.kinks.tolerance,
        a.kinks.kinks.len(),
        a.kinks.flagged_entries
    );
}

/// A figure in two significant digits (`1.1e-6`, `0`), MPFR's notation outside f64's range.
fn short(x: &Float) -> String {
    let f = x.to_f64();
    if x.is_zero() {
        "0".into()
    } else if f != 0.0 && f.is_finite() {
        format!("{f:.1e}")
    } else {
        x.to_string_radix(10, Some(2))
    }
}

/// A table with left-aligned text columns and right-aligned figures, each column as wide as its
/// widest cell, separated by one space.
struct Table {
    headers: Vec<&'static str>,
    /// How many leading columns are text (left-aligned).
    text: usize,
    rows: Vec<Vec<String>>,
}

impl Table {
    fn lines(&self) -> Vec<String> {
        let widths: Vec<usize> = (0..self.headers.len())
            .map(|c| self.rows.iter().map(|r| r[c].chars().count()).chain([self.headers[c].chars().count()]).max().unwrap_or(0))
            .collect();
        let line = |cells: Vec<&str>| {
            let last = cells.len() - 1;
            let parts: Vec<String> = cells
                .iter()
                .enumerate()
                .map(|(c, x)| match (c < self.text || c == last, c == last) {
                    (_, true) => x.to_string(),
                    (true, _) => format!("{x:<w$}", w = widths[c]),
                    _ => format!("{x:>w$}", w = widths[c]),
                })
                .collect();
            parts.join(" ").trim_end().to_string()
        };
        let mut out = vec![line(self.headers.clone())];
        out.extend(self.rows.iter().map(|r| line(r.iter().map(String::as_str).collect())));
        out
    }
}

/// Every column of either table and what it means, in the order the wide table shows them.
pub const LEGEND: [(&str, &str); 14] = [
    ("method", "how H was computed (see --methods in `clairaut analyze --help`)"),
    ("precision", "the working format p, and its precision policy when not uniform (rules and graph part when not clairaut)"),
    ("sum order", "the summation order o of dot products and sums"),
    ("fma", "fma: fused multiply-adds; no: every product rounded first"),
    ("error", "‖H − T‖: H against the certified truth T at the exact inputs"),
    ("asym", "‖H − Hᵀ‖: H's asymmetry"),
    ("rounding", "‖H − H(t)‖: H against the same method at truth precision t, same inputs q"),
    ("approx", "‖H(t) − T(q)‖: the method's approximation (FD truncation, Gauss–Newton's terms)"),
    ("ord part", "max ‖H(o) − H(o′)‖ over the other requested sum orders o′ (0 with one order)"),
    ("input", "‖T(q) − T‖: the inputs' rounding into p"),
    ("sigbits", "bits of H's entries that agree with T: min/median, of p's (f32: 24, f64: 53)"),
    ("residual", "‖(H − T) − parts‖: what the parts leave, at the truth's rounding level"),
    ("asym from", "the part whose antisymmetric half is larger (none: H symmetric)"),
    ("*", "the truth is not certified for this precision"),
];

/// What an external row is, for the legend.
pub const EXTERNAL_LEGEND: [&str; 2] = [
    "an external Hessian (--external); (method), sum order, fma: its nearest configuration (below)",
    "rounding: H against that configuration at truth precision; approx: that method's",
];

/// The header and rows of the default table (≤ 120 columns): each part whole.
fn narrow_table(a: &Analysis) -> Table {
    let rows = labelled(a)
        .into_iter()
        .map(|(label, r)| {
            let mut cells = vec![label, precision_cell(r), r.order.to_string(), fma(r.fma).into()];
            cells.extend([&r.error_rel_fro, &r.asym.rel_fro, &r.rounding.total, &r.approximation.total, &r.order_spread.total, &r.input.total].map(short));
            cells.push(format!("{}/{}", r.sigbits_min, r.sigbits_median));
            cells.push(format!("{}{}", r.asym_dominant, if r.certified { "" } else { " *" }));
            cells
        })
        .collect();
    let headers = vec!["method", "precision", "sum order", "fma", "error", "asym", "rounding", "approx", "ord part", "input", "sigbits", "asym from"];
    Table { headers, text: 4, rows }
}

/// The header and rows of the wide table: each part whole / antisymmetric, and the residual.
fn wide_table(a: &Analysis) -> Table {
    let pair = |p: &analysis::Part| format!("{} / {}", fmt_metric(&p.total), fmt_metric(&p.antisym));
    let rows = labelled(a)
        .into_iter()
        .map(|(label, r)| {
            let mut cells = vec![label, precision_cell(r), r.order.to_string(), fma(r.fma).into()];
            cells.extend([fmt_metric(&r.error_rel_fro), fmt_metric(&r.asym.rel_fro)]);
            cells.extend([&r.rounding, &r.approximation, &r.order_spread, &r.input].map(pair));
            cells.push(format!("{}/{}", r.sigbits_min, r.sigbits_median));
            cells.push(fmt_metric(&r.residual));
            cells.push(format!("{}{}", r.asym_dominant, if r.certified { "" } else { " *" }));
            cells
        })
        .collect();
    let headers =
        vec!["method", "precision", "sum order", "fma", "error", "asym", "rounding", "approx", "ord part", "input", "sigbits", "residual", "asym from"];
    Table { headers, text: 4, rows }
}

/// Every row of the table with its first column: the method of a computed row; `ext:NAME
/// (METHOD)` for an external Hessian (METHOD and its other columns those of its nearest
/// configuration).
fn labelled(a: &Analysis) -> Vec<(String, &analysis::Row)> {
    let computed = a.rows.iter().map(|r| (r.method.name().to_string(), r));
    computed.chain(a.externals.iter().map(|e| (format!("ext:{} ({})", e.name, e.row.method.name()), &e.row))).collect()
}

/// Under the table, for the rows under a precision policy: each row's rounding part split by
/// role (whole / antisymmetric), the residual, and the roles that dominate the error and the
/// asymmetry ([`analysis::roles`]); nothing when no row has a policy.
fn role_lines(a: &Analysis) -> Vec<String> {
    let rows: Vec<&analysis::Row> = a.rows.iter().filter(|r| r.roles.is_some()).collect();
    if rows.is_empty() {
        return Vec::new();
    }
    let mut out = vec!["rounding by role (runs at truth precision degrade mul, acc, out, elementwise in turn; whole / antisym):".to_string()];
    for r in rows {
        let Some(roles) = &r.roles else { continue };
        let parts: Vec<String> = crate::scalar::matmul::ROLES.iter().zip(roles.parts()).map(|(name, p)| format!("{name} {}/{}", short(&p.total), short(&p.antisym))).collect();
        out.push(format!("  {} {} {} {}: {}, residual {}", r.method.name(), precision_cell(r), r.order, fma(r.fma), parts.join(", "), short(&roles.residual)));
        out.push(format!("    error from {}, asym from {}", roles.dominant, roles.asym_dominant));
    }
    out
}

/// One line per external Hessian under the table: its file, its nearest configuration (how
/// near, among how many), and that configuration's own error and rounding.
fn external_lines(a: &Analysis) -> Vec<String> {
    let mut out = Vec::new();
    for e in &a.externals {
        let n = &e.nearest;
        let c = &n.closeness;
        let ulp = c.max_ulp.map_or("∞ (NaN against a number)".into(), |u| u.to_string());
        out.push(format!("ext:{} = {} ({})", e.name, e.file, e.row.precision));
        out.push(format!("  nearest of {} configurations ({}): {}", n.candidates, n.search, external::key_label(&n.key)));
        let (equal, distance) = (100.0 * c.fraction(), short(&n.distance.total));
        out.push(format!("  {}/{} entries bitwise equal ({equal:.1}%), max {ulp} ulp; ‖H − H_nearest‖/‖T‖ = {distance}", c.equal, c.entries));
        if !n.equally_near.is_empty() {
            let others: Vec<String> = n.equally_near.iter().map(external::key_label).collect();
            let more = if n.ties > others.len() { format!(", and {} more", n.ties - others.len()) } else { String::new() };
            out.push(format!("  equally near ({}):", n.ties));
            for chunk in others.chunks(3) {
                out.push(format!("    {}", chunk.join("; ")));
            }
            if !more.is_empty() {
                out.push(format!("    {}", &more[2..]));
            }
        }
        let r = &n.row;
        out.push(format!("  that configuration computed here: error {}, asym {}, rounding {}", short(&r.error_rel_fro), short(&r.asym.rel_fro), short(&r.rounding.total)));
        if e.row.error_rel_fro > 0.5 && c.fraction() < 0.5 {
            out.push("  the error is of the size of H itself: is the file in Clairaut θ order (each layer's W as".into());
            out.push("  (in, out) row-major, then its b)? A PyTorch weight is (out, in).".into());
        }
    }
    out
}

/// The precision, followed by the row's precision policy when it is not `uniform` and by its
/// rules and graph part (`rules=tensorflow graph=1.2e-16`) when they are not Clairaut's.
fn precision_cell(r: &analysis::Row) -> String {
    let cell = match r.policy.is_uniform() {
        true => r.precision.to_string(),
        false => format!("{} {}", r.precision, r.policy),
    };
    match &r.graph {
        Some(g) if !r.rules.is_clairaut() => format!("{cell} rules={} graph={}", r.rules, short(&g.total)),
        _ => cell,
    }
}

fn fma(fused: bool) -> &'static str {
    if fused { "fma" } else { "no" }
}

/// The legend of the columns of `headers` (and of `*` when a row is marked with it).
pub fn legend(headers: &[&str], starred: bool) -> Vec<String> {
    let mut out = vec!["columns (each figure ‖·‖_F relative to ‖T‖_F; H(t): H at truth precision t):".to_string()];
    for (name, text) in LEGEND {
        if headers.contains(&name) || (name == "*" && starred) {
            out.push(format!("  {name:<9}  {text}"));
        }
    }
    out
}

/// Prints the attribution table: by default ≤ 120 columns, `wide` the full one; with `legend`,
/// what each column means under it.
pub fn print_table(a: &Analysis, wide: bool, with_legend: bool) {
    print_header(a);
    let table = if wide { wide_table(a) } else { narrow_table(a) };
    for line in table.lines() {
        println!("{line}");
    }
    if !wide {
        let largest = labelled(a).into_iter().map(|(_, r)| &r.residual).max_by(|x, y| x.partial_cmp(y).unwrap_or(std::cmp::Ordering::Equal));
        if let Some(res) = largest {
            println!("residual ‖(H − T) − parts‖/‖T‖, largest over the rows: {} (--wide: per row)", fmt_metric(res));
        }
    }
    for line in role_lines(a) {
        println!("{line}");
    }
    for line in external_lines(a) {
        println!("{line}");
    }
    if with_legend {
        for line in legend(&table.headers, labelled(a).iter().any(|(_, r)| !r.certified)) {
            println!("{line}");
        }
        if !a.externals.is_empty() {
            println!("  {:<9}  {}", "ext:NAME", EXTERNAL_LEGEND[0]);
            println!("  {:<9}  {}", "", EXTERNAL_LEGEND[1]);
        }
    }
    print_nonfinite(a);
    let tm = &a.timings;
    println!(
        "time: truth {:.2} s, quantized truths {:.2} s, cells {:.2} s, metrics {:.2} s",
        tm.truth_s, tm.quantized_truths_s, tm.cells_s, tm.metrics_s
    );
}

/// One line for a truth with non-finite entries, one for each row whose H has some (a row
/// whose only non-finite values are in the truth or in its parts is marked in the table).
fn print_nonfinite(a: &Analysis) {
    if !a.truth.nonfinite.is_empty() {
        println!("non-finite truth (not certified): {}", a.truth.nonfinite);
    }
    for r in a.rows.iter().filter(|r| !r.nonfinite.is_empty()) {
        let fma = crate::scalar::FmaPolicy::from_fused(r.fma);
        println!("non-finite H: {} {} {} {fma}: {}", r.method.name(), r.precision, r.order, r.nonfinite);
    }
    for e in a.externals.iter().filter(|e| !e.row.nonfinite.is_empty()) {
        println!("non-finite H: ext:{} ({}): {}", e.name, e.file, e.row.nonfinite);
    }
}

/// Runs `clairaut analyze`.
pub fn run(args: AnalyzeArgs) -> anyhow::Result<()> {
    let req = args.validate()?;
    let p = req.problem.spec.num_params();
    if !args.force {
        let what = format!("P = {p}: this analysis (fewer methods, precisions or orders would need less) needs");
        let threads = args.threads.unwrap_or_else(rayon::current_num_threads);
        crate::hessian::cost::refuse_if_too_large(&req.problem.source, memory_estimate(&req, threads), &what)?;
    }
    println!("problem: {} (P = {p}, N = {})", req.problem.source.display(), req.problem.n);
    if req.inputs != InputMode::Decimal {
        println!("inputs: {} (of the truth and of every cell)", req.inputs.name());
    }
    if let Some(r) = &req.problem.reference_loss {
        println!("{}", r.line());
    }
    let threads = args.threads.unwrap_or_else(rayon::current_num_threads);
    let estimate = super::progress::estimate_analysis(&req, threads)?;
    for line in estimate.lines(p) {
        eprintln!("{line}");
    }
    let report = super::progress::Reporter::stderr("analyze", estimate.seconds.total());
    let observe = |step| report.advance(estimate.step_seconds(&req, step), &super::progress::step_label(step));
    let analysis = with_threads(args.threads, || analysis::analyze_observed(&req, &observe));
    report.finish();
    let analysis = analysis??;
    print_table(&analysis, args.wide, !args.no_legend);
    if let Some(path) = &args.json {
        let mut text = serde_json::to_vec_pretty(&crate::results::record::Analysis::of(&analysis, &req.problem)).expect("serializable");
        text.push(b'\n');
        crate::results::write_atomic(path, &text)?;
        println!("wrote {}", path.display());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The typical request at P = 4810 (issue #5: a full run at P ≈ 5,000 must fit in 24 GiB).
    #[test]
    fn an_analysis_at_p_5000_is_estimated_within_24_gib() {
        let args = AnalyzeArgs {
            problem: PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("experiments/bench/p5000-tanh-ce.json"),
            methods: vec![Method::FwdRev, Method::RevRev, Method::GaussNewton, Method::FdGradCentral],
            precisions: "binary16,bfloat16,f32,f64".into(),
            orders: "sequential,pairwise".into(),
            fma_policies: vec![FmaPolicy::NoFma],
            policies: "uniform".into(),
            rules: vec![Rules::Clairaut],
            truth: None,
            check_extra: truth::DEFAULT_CHECK_EXTRA,
            truth_mode: truth::TruthMode::Point,
            step: "optimal".into(),
            math: MathLib::CoreMath,
            inputs: InputMode::Decimal,
            allow_outside: false,
            kink_tol: 1e-9,
            no_spectrum: false,
            json: None,
            threads: None,
            force: false,
            wide: false,
            no_legend: false,
            externals: Vec::new(),
        };
        let req = args.validate().unwrap();
        assert_eq!(req.problem.spec.num_params(), 4810);
        let gib = |b: f64| b / (1u64 << 30) as f64;
        let need = memory_estimate(&req, 16);
        assert!(gib(need) < 24.0, "estimated {:.1} GiB", gib(need));
        assert!(gib(need) > 2.0, "estimated {:.1} GiB: at least T, T(q) and H at mp:256 are held", gib(need));
        eprintln!("P = 4810, typical analyze: {:.2} GiB", gib(need));
        let h = crate::hessian::cost::memory_estimate(&req.problem, Method::FwdRev, Precision::Mp(256), 16);
        assert!(gib(h) < 24.0);
        eprintln!("P = 4810, hessian fwd-rev mp:256: {:.2} GiB", gib(h));
        // every precision policy adds cells: kept matrices and time grow with their number
        let mut kept = req.clone();
        kept.keep_matrices = true;
        let mut two = kept.clone();
        two.policies.push("bf16-bf16-f32".parse().unwrap());
        assert!(memory_estimate(&two, 16) > memory_estimate(&kept, 16));
    }
}
