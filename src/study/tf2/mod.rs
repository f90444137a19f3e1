//! The TF2 Hessian-symmetry article's study: a Markdown report generated from committed result
//! files only (plus the recorded TensorFlow cross-check), one [`Section`] per claim, each with a
//! verdict computed from the numbers — never written by hand.
//!
//! [`generate`] loads every experiment's result files ([`EXPERIMENTS`], typed rows:
//! [`Row`]), then runs the claims in order ([`examples`], then [`claims`] (a)–(g) and the closing
//! notes) and joins their sections; [`write()`] also writes each experiment's tables and figures.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::Value as Json;

use super::Section;
use crate::error::Error;
use crate::experiment::{CellConfig, Experiment};
use crate::sweep;
use crate::export::{self, Format};
use crate::results::record;
use crate::results::ResultFile;

pub mod claims;
pub mod examples;
pub mod table;

/// The study's experiments (`<name>.toml` in the experiments folder, results in
/// `<results>/<name>/`), in the order the report reads them.
pub const EXPERIMENTS: [&str; 11] = [
    "example1",
    "example1-rules",
    "example2",
    "example2-as-printed",
    "claim-a-exact",
    "claim-b-where",
    "claim-c-size",
    "claim-d-fd",
    "claim-e-mathlib",
    "claim-f-precision",
    "claim-g-policy",
];

/// The report's figures that tests check, beside the Markdown.
#[derive(Clone, Debug, Default)]
pub struct Figures {
    /// Largest asymmetry of an exact mode at mp:256 (claim a).
    pub exact_max_asym: f64,
    /// (method, precision) pairs of claim b with bitwise-asymmetric pairs, and without.
    pub asymmetric_combos: Vec<String>,
    /// Exactly symmetric combos.
    pub symmetric_combos: Vec<String>,
    /// Spearman ρ of P vs asymmetry, f32 and f64 (claim c).
    pub size_rho: (f64, f64),
    /// fd-loss-4pt's largest asymmetry (claim d): 0 expected.
    pub fd_loss_max_asym: f64,
    /// libm/core-math asymmetry ratios (geometric mean) at f32 and f64 (claim e).
    pub libm_ratio: (f64, f64),
    /// Precision with the smallest rev-rev asymmetry (claim f).
    pub best_precision: String,
    /// The smallest ratio, over cells and policies, of a policy's asymmetry to true f32's in
    /// the same cell (claim g).
    pub policy_ratio_min: f64,
    /// Example 2 as printed (`fd-loss-4pt-as-printed`, read from its result file): nonzero
    /// entries, max |entry|.
    pub example2: (usize, f64),
    /// Whether rev-rev at f64 on Example 1 is exactly symmetric.
    pub example1_f64_symmetric: bool,
}

/// The shape of a cell's resolved problem, as the report's tables print it.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct Shape {
    /// Widths d0..dL.
    pub layers: Vec<usize>,
    /// Activation of each layer.
    pub activations: Vec<String>,
    /// Loss.
    pub loss: String,
}

/// One analysis row of a result file, with the cell it belongs to.
#[derive(Clone, Debug)]
pub struct Row {
    /// The cell's configuration.
    pub config: CellConfig,
    /// The shape of the cell's resolved problem.
    pub shape: Shape,
    /// Number of parameters P.
    pub p: usize,
    /// The (method, precision, order, FMA) row of the cell's analysis.
    pub row: record::Row,
}

/// One experiment's result files (in grid order) and their rows (in file, then analysis order).
#[derive(Clone, Debug)]
pub struct Loaded {
    /// The result files.
    pub files: Vec<ResultFile>,
    /// Their analysis rows.
    pub rows: Vec<Row>,
}

/// What the claims read: every experiment's results and the TensorFlow cross-check.
#[derive(Clone, Debug)]
pub struct Study {
    /// The experiments folder, as given.
    pub exp_dir: PathBuf,
    /// The results folder, as given.
    pub results: PathBuf,
    /// Each of [`EXPERIMENTS`] with its results.
    pub experiments: Vec<(&'static str, Loaded)>,
    /// `crosscheck-tf.json`, when present and valid JSON.
    pub crosscheck: Option<Json>,
}

impl Study {
    /// Loads every experiment of [`EXPERIMENTS`], requiring every cell to be present, and the
    /// cross-check.
    pub fn load(exp_dir: &Path, results: &Path) -> Result<Study, Error> {
        let experiments = EXPERIMENTS.iter().map(|&name| Ok((name, load(exp_dir, results, name)?))).collect::<Result<_, Error>>()?;
        let crosscheck = std::fs::read_to_string(results.join("crosscheck-tf.json")).ok().and_then(|t| serde_json::from_str::<Json>(&t).ok());
        Ok(Study { exp_dir: exp_dir.to_path_buf(), results: results.to_path_buf(), experiments, crosscheck })
    }

    /// An experiment's results.
    ///
    /// # Panics
    /// If `name` is not one of [`EXPERIMENTS`] (a bug of the claim that asks).
    pub fn experiment(&self, name: &str) -> &Loaded {
        self.experiments.iter().find(|(n, _)| *n == name).map(|(_, l)| l).unwrap_or_else(|| panic!("`{name}` is not an experiment of the study"))
    }

    /// An experiment's rows.
    pub fn rows(&self, name: &str) -> &[Row] {
        &self.experiment(name).rows
    }

    /// The command that recomputes one experiment's results, as a Markdown paragraph.
    pub fn regenerate_line(&self, name: &str) -> String {
        format!(
            "*Regenerate:* `clairaut sweep {}/{name}.toml --out {}/{name}`, then the report command above.\n\n",
            self.exp_dir.display(),
            self.results.display()
        )
    }
}

/// Loads an experiment's result files from `results/<name>` (only this experiment's cells, in
/// grid order), requiring every cell to be present, and reads their typed rows.
fn load(exp_dir: &Path, results: &Path, name: &str) -> Result<Loaded, Error> {
    let exp = Experiment::load(&exp_dir.join(format!("{name}.toml")), &[])?;
    let dir = results.join(&exp.name);
    let missing = sweep::missing(&exp, &dir)?;
    if !missing.is_empty() {
        let message = format!(
            "{} of {} cells missing: run `clairaut sweep {} --out {}` first",
            missing.len(),
            exp.cells.len(),
            exp.path.display(),
            dir.display()
        );
        return Err(Error::Io { path: dir, message });
    }
    let mut all = export::read_dir(&dir)?;
    let mut files = Vec::new();
    for c in exp.cells.iter() {
        if let Some(k) = all.iter().position(|r| r.config_hash == c.hash()) {
            files.push(all.swap_remove(k));
        }
    }
    let mut rows = Vec::new();
    for file in &files {
        let bad = |field: &str, message: String| Error::Field { path: sweep::cell_path(&dir, &file.config), field: field.into(), message };
        let analysis = file.analysis.clone();
        let shape: Shape = file.problem.deserialized().map_err(|e| bad("problem", crate::error::cbor_value(&e)))?;
        for row in analysis.rows {
            rows.push(Row { config: file.config.clone(), shape: shape.clone(), p: analysis.p, row });
        }
    }
    Ok(Loaded { files, rows })
}

/// A part of the report: reads the loaded results, records the figures it computes, returns
/// its section.
pub type Claim = fn(&Study, &mut Figures) -> Result<Section, Error>;

/// The report's sections, in order.
pub const CLAIMS: [Claim; 9] = [
    examples::section,
    claims::a_exact::section,
    claims::b_where::section,
    claims::c_size::section,
    claims::d_fd::section,
    claims::e_mathlib::section,
    claims::f_precision::section,
    claims::g_policy::section,
    claims::limits,
];

/// The article the study judges, as its kept copy's front matter gives it (no author is named
/// there, and it names no canonical URL).
pub mod article {
    /// Title.
    pub const TITLE: &str = "Is the Hessian matrix of an MLP's parameters with respect to a loss function symmetric in TensorFlow 2.0?";
    /// Publication date.
    pub const DATE: &str = "2025-01-30";
    /// The article's identifier (its slug).
    pub const ID: &str = "is-the-hessian-matrix-of-an-mlps-parameters";
    /// Where the full text is kept: the project's shared reference folder, outside this repository.
    pub const COPY: &str = "shared/reference/tf2-hessian-symmetry-article.md";
    /// The file in this repository that holds the article's three code blocks verbatim.
    pub const CODE_IN_REPO: &str = "scripts/peers/crosscheck-tf.py";
}

/// The report's title and preamble, with the citation of the article.
fn preamble(exp_dir: &Path, results: &Path) -> String {
    let mut md = String::new();
    let report_cmd = format!("clairaut report {} --out {}", exp_dir.display(), results.display());
    let _ = writeln!(md, "# Is the MLP Hessian symmetric in TensorFlow 2? — the article's claims, tested\n");
    let _ = writeln!(
        md,
        "**The article judged:** *{}* (dated {}, identifier `{}`; no author is named in it). Its full text \
         is not part of this repository: the copy this study read is `{}` in the project's shared reference \
         folder. Its three code examples are kept verbatim in `{}` (checked against that copy: `verbatim_check` \
         in `crosscheck-tf.json`).\n",
        article::TITLE,
        article::DATE,
        article::ID,
        article::COPY,
        article::CODE_IN_REPO
    );
    let _ = writeln!(
        md,
        "Generated by `{report_cmd}` from the committed result files under `{}` (each reruns bit for bit: \
         `clairaut rerun {}/<experiment>`) and the recorded TensorFlow cross-check \
         (`scripts/peers/crosscheck-tf.py`, output in `crosscheck-tf.md`). Every number below is read from \
         those files; every verdict is computed from them.\n",
        results.display(),
        results.display()
    );
    let _ = writeln!(md, "Verdicts: **supported**, **refuted**, or **nuanced** (true under conditions stated with it).\n");
    md
}

/// Generates `report.md` from the experiments in `exp_dir` and their results in `results`.
pub fn generate(exp_dir: &Path, results: &Path) -> Result<(String, Figures), Error> {
    let study = Study::load(exp_dir, results)?;
    let mut md = preamble(exp_dir, results);
    let mut fig = Figures::default();
    for claim in CLAIMS {
        let section = claim(&study, &mut fig)?;
        md.push_str(&section.to_markdown(|name| study.regenerate_line(name)));
        for name in &section.regenerate {
            md.push_str(&figure_links(&study, name)?);
        }
    }
    Ok((md, fig))
}

/// A one-line caption of each line figure ([`export::figures::line_figures`]) by file name.
fn caption(figure: &str) -> &'static str {
    match figure {
        "error-asymmetry-vs-precision.svg" => "relative error and asymmetry against the precision's significand bits (log–log), one line per method and swept key",
        "fd-error-vs-step.svg" => "finite-difference error against the fixed step h, with each scheme's optimal step ε^(1/k) marked",
        "asymmetry-vs-size.svg" => "relative asymmetry against the number of parameters P, one line per method, precision and swept key",
        _ => "figure",
    }
}

/// Inline links to an experiment's figures (as [`write()`] names them, `figures/<name>-<figure>`,
/// relative to `report.md`), each with its caption; empty when it has none.
fn figure_links(study: &Study, name: &str) -> Result<String, Error> {
    let rows = export::tidy::rows(&study.experiment(name).files)?;
    let mut md = String::new();
    for (figure, _) in export::figures::line_figures(&rows) {
        let text = caption(&figure);
        let _ = writeln!(md, "![{name}: {text}](figures/{name}-{figure})\n\n*Figure `{name}-{figure}`:* {text}.\n");
    }
    Ok(md)
}

/// Writes `report.md` into `out`, with every experiment's tables (`tables/<name>.csv`,
/// `tables/<name>.tex`) and figures (`figures/<name>-<figure>.svg`), all from result files.
pub fn write(exp_dir: &Path, out: &Path) -> Result<(PathBuf, Figures), Error> {
    let (md, fig) = generate(exp_dir, out)?;
    let path = out.join("report.md");
    crate::results::write_atomic(&path, md.as_bytes())?;
    let io = |p: &Path, e: std::io::Error| Error::Io { path: p.to_path_buf(), message: e.to_string() };
    let (tables, figures) = (out.join("tables"), out.join("figures"));
    std::fs::create_dir_all(&tables).map_err(|e| io(&tables, e))?;
    std::fs::create_dir_all(&figures).map_err(|e| io(&figures, e))?;
    let mut files: Vec<PathBuf> = std::fs::read_dir(exp_dir)
        .map_err(|e| io(exp_dir, e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    for f in files {
        let exp = Experiment::load(&f, &[])?;
        let results = export::read_dir(&out.join(&exp.name))?;
        let results: Vec<_> = results.into_iter().filter(|r| exp.cells.iter().any(|c| c.hash() == r.config_hash)).collect();
        for (format, ext) in [(Format::Csv, "csv"), (Format::Latex, "tex")] {
            for file in format.exporter().export(&results)? {
                crate::results::write_atomic(&tables.join(format!("{}.{ext}", exp.name)), &file.bytes)?;
            }
        }
        // the line figures only (heat maps of stored matrices are `clairaut export --format svg`'s)
        for (name, svg) in export::figures::line_figures(&export::tidy::rows(&results)?) {
            crate::results::write_atomic(&figures.join(format!("{}-{name}", exp.name)), svg.as_bytes())?;
        }
    }
    Ok((path, fig))
}
