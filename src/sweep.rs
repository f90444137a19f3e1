//! The sweep runner: cells in parallel, each written as soon as it finishes (atomically), and
//! skipped on the next run when its result file is complete and matches — so a sweep killed at
//! any point resumes without losing or corrupting a finished cell. A result file with a schema
//! newer than this Clairaut's is never overwritten ([`CellState::NewerSchema`]); a corrupt or
//! foreign one is moved aside, never deleted, and recomputed ([`CellState::Invalid`],
//! [`set_aside`]); temporary files left by killed writers are removed when a sweep starts
//! ([`STALE_TEMP_AGE`]). Every read verifies the file's digest ([`ResultFile::read`]).

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Instant, SystemTime};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use rayon::prelude::*;
use std::io::Write;

use crate::experiment::{request, resolve, Access, CellConfig, Experiment};
use crate::model::Problem;
use crate::error::Error;
use crate::packed::PackedMatrix;
use crate::results::{problem_to_cbor, provenance, Defect, ResultFile, SCHEMA};

/// A shard of the grid: cells with index ≡ `k` (mod `n`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    /// This shard (0-based).
    pub k: usize,
    /// Number of shards.
    pub n: usize,
}

impl Shard {
    /// Parses `K/N`, or `auto` from the environment: SLURM array (`SLURM_ARRAY_TASK_ID`,
    /// `SLURM_ARRAY_TASK_COUNT`), SLURM tasks (`SLURM_PROCID`, `SLURM_NTASKS`), Open MPI
    /// (`OMPI_COMM_WORLD_RANK`, `OMPI_COMM_WORLD_SIZE`) or PMI (`PMI_RANK`, `PMI_SIZE`).
    pub fn parse(s: &str) -> Result<Shard, Error> {
        let err = |m: String| Error::Option { option: "--shard".into(), message: m };
        if s == "auto" {
            let var = |k: &str| std::env::var(k).ok().and_then(|v| v.parse::<usize>().ok());
            for (rank, size) in [
                ("SLURM_ARRAY_TASK_ID", "SLURM_ARRAY_TASK_COUNT"),
                ("SLURM_PROCID", "SLURM_NTASKS"),
                ("OMPI_COMM_WORLD_RANK", "OMPI_COMM_WORLD_SIZE"),
                ("PMI_RANK", "PMI_SIZE"),
            ] {
                if let (Some(k), Some(n)) = (var(rank), var(size)) {
                    // SLURM arrays may start at 1 (--array=1-N): shift by SLURM_ARRAY_TASK_MIN
                    let min = if rank == "SLURM_ARRAY_TASK_ID" { var("SLURM_ARRAY_TASK_MIN").unwrap_or(0) } else { 0 };
                    let k = k.checked_sub(min).ok_or_else(|| err(format!("`auto`: {rank} = {k} is below SLURM_ARRAY_TASK_MIN = {min}")))?;
                    return Shard::new(k, n).map_err(err);
                }
            }
            return Err(err("`auto`: no SLURM array, SLURM task, Open MPI or PMI rank variables are set".into()));
        }
        let (k, n) = s.split_once('/').ok_or_else(|| err(format!("`{s}`: expected K/N or auto")))?;
        match (k.parse(), n.parse()) {
            (Ok(k), Ok(n)) => Shard::new(k, n).map_err(err),
            _ => Err(err(format!("`{s}`: expected K/N with integers"))),
        }
    }

    fn new(k: usize, n: usize) -> Result<Shard, String> {
        if n == 0 || k >= n {
            Err(format!("shard {k}/{n}: need 0 ≤ K < N"))
        } else {
            Ok(Shard { k, n })
        }
    }

    /// Whether cell `i` belongs to this shard.
    pub fn has(&self, i: usize) -> bool {
        i % self.n == self.k
    }
}

/// The result file of a cell in `dir`.
pub fn cell_path(dir: &Path, cell: &CellConfig) -> PathBuf {
    dir.join(format!("{}.cbor", cell.id()))
}

/// Whether `path` holds a complete, valid result of `cell` in experiment `experiment`.
pub fn is_complete(path: &Path, cell: &CellConfig, experiment: &str) -> bool {
    cell_state(path, cell, experiment) == CellState::Complete
}

/// What the result file of a cell holds, as a sweep sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CellState {
    /// A complete, valid result of the cell: skipped.
    Complete,
    /// A result file written by a newer Clairaut (its schema version, above [`SCHEMA`]): this
    /// one cannot read it, and a sweep never overwrites it.
    NewerSchema(u64),
    /// A file that is not a valid result of the cell (corrupt, unreadable, of an older schema,
    /// another cell's or another experiment's): a sweep moves it aside ([`set_aside`]) and
    /// computes the cell.
    Invalid(Defect),
    /// No result file: computed by a sweep.
    Missing,
}

/// The state of the result file `path` of `cell` of experiment `experiment`.
pub fn cell_state(path: &Path, cell: &CellConfig, experiment: &str) -> CellState {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return CellState::Missing,
        Err(e) => return CellState::Invalid(Defect::corrupt("(file)", format!("unreadable: {e}"))),
    };
    let checked = ResultFile::from_bytes(&bytes).and_then(|f| f.check_identity(path, Some(experiment)).map(|()| f));
    match checked {
        Ok(f) if f.config_hash == cell.hash() => CellState::Complete,
        Ok(_) => CellState::Invalid(Defect::Foreign { field: "config".into(), reason: "the result of another configuration".into() }),
        Err(Defect::NewerSchema(v)) => CellState::NewerSchema(v),
        Err(d) => CellState::Invalid(d),
    }
}

/// The schema version of the file at `path` when it is a CBOR map whose `schema` is a version
/// newer than [`SCHEMA`].
pub fn newer_schema(path: &Path) -> Option<u64> {
    let bytes = crate::input::read_regular(path).ok()?;
    let raw: ciborium::Value = ciborium::from_reader(&bytes[..]).ok()?;
    let schema = raw.as_map()?.iter().find(|(k, _)| k.as_text() == Some("schema"))?.1.as_integer()?;
    u64::try_from(schema).ok().filter(|&s| s > u64::from(SCHEMA))
}

/// Moves an invalid result file aside, never deleting it: `<name>.corrupt-<n>` in the same
/// folder (`<name>.schema<v>-<n>` for an older schema's file), with the smallest `n` ≥ 1 not
/// taken. Returns the new path.
pub fn set_aside(path: &Path, defect: &Defect) -> Result<PathBuf, Error> {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let tag = match defect {
        Defect::OldSchema(v) => format!("schema{v}"),
        _ => "corrupt".into(),
    };
    let io = |e: std::io::Error| Error::Io { path: path.to_path_buf(), message: format!("cannot move it aside: {e}") };
    for n in 1u32.. {
        let to = path.with_file_name(format!("{name}.{tag}-{n}"));
        if std::fs::symlink_metadata(&to).is_err() {
            std::fs::rename(path, &to).map_err(io)?;
            return Ok(to);
        }
    }
    unreachable!("fewer than 2^32 files beside it")
}

/// Temporary files of atomic writes ([`crate::results::atomic::TEMP_PREFIX`]) older than this
/// in a sweep's output folder are left by killed processes, and removed when a sweep starts.
/// Sweeps take no lock on their folder: a write in progress (possibly another sweep's) writes,
/// syncs and renames its temporary file at once, so its modification time is never this old.
pub const STALE_TEMP_AGE: std::time::Duration = std::time::Duration::from_secs(600);

/// Computes one cell (on the current rayon pool). With `problem`, that problem is used instead
/// of resolving the cell's data and weights again (reruns of `problem:<path>` cells); `access`
/// says whether data files outside the experiment's folder may be read.
pub fn compute_cell(exp_name: &str, exp_path: &Path, access: Access, cell: &CellConfig, problem: Option<Problem>) -> Result<ResultFile, Error> {
    let start = SystemTime::now();
    let (problem, req) = match problem {
        Some(p) => {
            let mut req = request(cell, p.clone(), exp_path)?;
            req.externals = crate::experiment::externals(cell, exp_path, access, &p)?;
            (p, req)
        }
        None => resolve(cell, exp_path, &cell.id(), access)?,
    };
    let analysis = crate::analysis::analyze(&req)?;
    let mut record = crate::results::record::Analysis::of(&analysis, &problem);
    // the problem's source names the experiment file as given on the command line: keep the
    // file name only, so the result does not depend on the working directory
    record.problem = format!("{}#{}", exp_name, cell.id());
    let timings = record.take_timings();
    Ok(ResultFile {
        schema: SCHEMA,
        kind: "clairaut-cell".into(),
        experiment: exp_name.to_string(),
        config: cell.clone(),
        config_hash: cell.hash(),
        problem: problem_to_cbor(&problem),
        analysis: record,
        provenance: provenance(start, SystemTime::now(), timings),
        matrices: analysis.matrices.as_ref().map(|(t, hs)| matrices_cbor(&analysis, t, hs)),
    })
}

/// The `matrices` entry of a result file (see [`ResultFile::matrices`]).
fn matrices_cbor(a: &crate::analysis::Analysis, truth: &PackedMatrix, hs: &[PackedMatrix]) -> ciborium::Value {
    use ciborium::Value as C;
    let text = |k: &str| C::Text(k.to_string());
    let tbits = a.truth.precision.bits();
    let digits = |bits: u32| Some(crate::scalar::mpfr::round_trip_digits(bits));
    let decimals = |v: &PackedMatrix, bits: u32| C::Array(v.row_major().map(|x| C::Text(x.to_string_radix(10, digits(bits)))).collect());
    let rows = a
        .rows
        .iter()
        .zip(hs)
        .map(|(r, h)| {
            let bits = r.precision.bits();
            let data = if bits <= 53 {
                // exact: every value of a ≤ 53-bit format (with its exponent range) is an f64
                (text("f64"), C::Bytes(h.row_major().flat_map(|x| x.to_f64().to_le_bytes()).collect()))
            } else {
                (text("decimals"), decimals(h, bits))
            };
            C::Map(vec![
                (text("method"), text(r.method.name())),
                (text("precision"), C::Text(r.precision.to_string())),
                (text("order"), C::Text(r.order.to_string())),
                (text("fma"), C::Bool(r.fma)),
                (text("p"), C::Integer((a.p as u64).into())),
                data,
            ])
        })
        .collect();
    C::Map(vec![
        (text("truth"), C::Map(vec![(text("bits"), C::Integer(u64::from(tbits).into())), (text("decimals"), decimals(truth, tbits))])),
        (text("rows"), C::Array(rows)),
    ])
}

/// The environment variable that sets the seconds between two plain progress lines (when stderr
/// is not a terminal) of every long command — `sweep`, `analyze`, `rerun`, `bench`; default
/// [`DEFAULT_PROGRESS_EVERY_S`], 0 for a line at every step.
pub const PROGRESS_EVERY_VAR: &str = "CLAIRAUT_PROGRESS_EVERY";

/// Seconds between two plain progress lines unless [`PROGRESS_EVERY_VAR`] says otherwise.
pub const DEFAULT_PROGRESS_EVERY_S: f64 = 5.0;

/// Seconds between two plain progress lines: [`PROGRESS_EVERY_VAR`] when it is a number ≥ 0,
/// else [`DEFAULT_PROGRESS_EVERY_S`].
pub fn progress_every_s() -> f64 {
    std::env::var(PROGRESS_EVERY_VAR).ok().and_then(|v| v.trim().parse::<f64>().ok()).filter(|s| *s >= 0.0).unwrap_or(DEFAULT_PROGRESS_EVERY_S)
}

/// How a sweep reports progress on stderr: an `indicatif` bar (done/total cells, elapsed, ETA)
/// when stderr is a terminal, plain log lines otherwise (`[k/total] cell … done in …, elapsed …,
/// ETA …`, at most one every [`progress_every_s`] s, and always the last). Neither touches a
/// result file.
pub enum Progress {
    /// A progress bar.
    Bar(ProgressBar),
    /// Periodic plain lines, written to the sink.
    Lines {
        /// Where the lines go (stderr in a sweep).
        sink: Mutex<Box<dyn std::io::Write + Send>>,
        /// When the last line was written (at first: when the sweep started).
        last: Mutex<Instant>,
    },
}

impl Progress {
    /// A bar over `total` cells drawn on `target` (stderr in a sweep; any target in tests).
    pub fn bar(total: usize, target: ProgressDrawTarget) -> Progress {
        let bar = ProgressBar::with_draw_target(Some(total as u64), target);
        bar.set_style(
            // one line that fits the terminal: the bar takes the width left
            ProgressStyle::with_template("{pos}/{len} cells [{wide_bar}] elapsed {elapsed_precise}, ETA {eta_precise}")
                .expect("a valid template"),
        );
        Progress::Bar(bar)
    }

    /// Plain lines written to `sink`.
    pub fn lines(sink: Box<dyn std::io::Write + Send>) -> Progress {
        Progress::Lines { sink: Mutex::new(sink), last: Mutex::new(Instant::now()) }
    }

    /// Cell `id` (the `k`-th of `total`) finished in `secs`, `elapsed` s into the sweep.
    pub fn cell_done(&self, k: usize, total: usize, id: &str, secs: f64, elapsed: f64) {
        match self {
            Progress::Bar(bar) => bar.set_position(k as u64),
            Progress::Lines { sink, last } => {
                let mut last = last.lock().expect("not poisoned");
                // at most one line every few seconds (logs), and always the last
                if k == total || last.elapsed().as_secs_f64() >= progress_every_s() {
                    let eta = elapsed / k as f64 * (total - k) as f64;
                    let mut w = sink.lock().expect("not poisoned");
                    let _ = writeln!(w, "[{k}/{total}] cell {id} done in {secs:.2} s, elapsed {elapsed:.1} s, ETA {eta:.1} s");
                    let _ = w.flush();
                    *last = Instant::now();
                }
            }
        }
    }

    /// A warning line, above the bar or among the plain lines.
    pub fn warn(&self, line: &str) {
        match self {
            Progress::Bar(bar) => bar.suspend(|| eprintln!("{line}")),
            Progress::Lines { sink, .. } => {
                let mut w = sink.lock().expect("not poisoned");
                let _ = writeln!(w, "{line}");
                let _ = w.flush();
            }
        }
    }

    /// The sweep ended: the bar stays with its final count after success, and is cleared after
    /// an error so that the error is the only line left.
    pub fn finish(&self, ok: bool) {
        if let Progress::Bar(bar) = self {
            if ok {
                bar.finish();
            } else {
                bar.finish_and_clear();
            }
        }
    }
}

/// What a sweep did.
#[derive(Clone, Debug, Default)]
pub struct SweepSummary {
    /// Cells in this shard.
    pub cells: usize,
    /// Already complete (skipped).
    pub skipped: usize,
    /// Computed now.
    pub computed: usize,
    /// Seconds spent computing cells (sum over cells).
    pub compute_s: f64,
    /// Wall-clock seconds of the whole sweep.
    pub wall_s: f64,
    /// Result files with a newer schema, left untouched (their path and schema version): the
    /// sweep is incomplete.
    pub newer_schema: Vec<(PathBuf, u64)>,
    /// Stale temporary files of killed writers removed at the start ([`STALE_TEMP_AGE`]).
    pub stale_temps_removed: usize,
    /// Invalid result files moved aside before their cells were computed again ([`set_aside`]):
    /// (the path, where it went, the defect's [`Defect::label`], its reason).
    pub set_aside: Vec<(PathBuf, PathBuf, &'static str, String)>,
}

/// Runs (or resumes) the sweep, writing `<out>/<cell id>.cbor` for every cell of `shard`. First
/// removes stale temporary files in `out` ([`STALE_TEMP_AGE`]); a cell whose file has a newer
/// schema is left untouched and listed in [`SweepSummary::newer_schema`] (the caller reports it);
/// an invalid file is moved aside ([`set_aside`], reported on the progress output and listed in
/// [`SweepSummary::set_aside`]) and its cell computed.
pub fn run(exp: &Experiment, out: &Path, shard: Option<Shard>) -> Result<SweepSummary, Error> {
    let wall = Instant::now();
    std::fs::create_dir_all(out).map_err(|e| Error::Io { path: out.to_path_buf(), message: e.to_string() })?;
    let stale_temps_removed = crate::results::atomic::remove_stale_temps(out, STALE_TEMP_AGE)?;
    // the cells are built as they are reached, never all at once: a first pass counts them and
    // notes the positions of those to compute, the second computes them
    let mine = || exp.cells.iter().enumerate().filter(move |(i, _)| shard.is_none_or(|s| s.has(*i)));
    let (mut cells, mut pending) = (0usize, Vec::new());
    let mut newer_schema: Vec<(PathBuf, u64)> = Vec::new();
    let mut invalid: Vec<(PathBuf, Defect)> = Vec::new();
    for (i, c) in mine() {
        cells += 1;
        match cell_state(&cell_path(out, &c), &c, &exp.name) {
            CellState::Missing => pending.push(i),
            CellState::Invalid(d) => {
                pending.push(i);
                invalid.push((cell_path(out, &c), d));
            }
            CellState::NewerSchema(v) => newer_schema.push((cell_path(out, &c), v)),
            CellState::Complete => {}
        }
    }
    let total = pending.len();
    let done = AtomicUsize::new(0);
    let compute_s = Mutex::new(0.0f64);
    let progress = if std::io::stderr().is_terminal() && total > 0 {
        let p = Progress::bar(total, ProgressDrawTarget::stderr());
        if let Progress::Bar(bar) = &p {
            // keep the elapsed time moving while long cells run
            bar.enable_steady_tick(std::time::Duration::from_millis(500));
        }
        p
    } else {
        Progress::lines(Box::new(std::io::stderr()))
    };
    let mut set_aside_files = Vec::new();
    for (path, d) in invalid {
        let to = set_aside(&path, &d)?;
        progress.warn(&format!("{}: {}: {}; moved to {} and recomputed", d.label(), path.display(), d.reason(), to.display()));
        set_aside_files.push((path, to, d.label(), d.reason()));
    }
    let exp_name = exp.name.clone();
    let mut todo = pending.iter().copied().peekable();
    let pending_cells = mine().filter(move |(i, _)| todo.next_if_eq(i).is_some()).map(|(_, c)| c);
    let outcome = pending_cells.par_bridge().try_for_each(|cell| -> Result<(), Error> {
        let t = Instant::now();
        let result = compute_cell(&exp_name, &exp.path, exp.access, &cell, None)?;
        // compute time only: writing, hashing and logging count as the sweep's overhead
        let secs = t.elapsed().as_secs_f64();
        result.write(&cell_path(out, &cell))?;
        let nonfinite = result.analysis.rows.iter().filter(|r| r.asym_dominant == crate::analysis::NON_FINITE).count();
        if nonfinite > 0 {
            let rows = result.analysis.rows.len();
            progress.warn(&format!("warning: cell {}: {nonfinite} of {rows} rows non-finite (NaN or ±∞ in H or the truth), written all the same", cell.id()));
        }
        *compute_s.lock().expect("not poisoned") += secs;
        let k = done.fetch_add(1, Ordering::SeqCst) + 1;
        progress.cell_done(k, total, &cell.id(), secs, wall.elapsed().as_secs_f64());
        Ok(())
    });
    progress.finish(outcome.is_ok());
    outcome?;
    Ok(SweepSummary {
        cells,
        skipped: cells - total - newer_schema.len(),
        computed: total,
        compute_s: compute_s.into_inner().expect("not poisoned"),
        wall_s: wall.elapsed().as_secs_f64(),
        newer_schema,
        stale_temps_removed,
        set_aside: set_aside_files,
    })
}

/// Cells of `exp` without a result file in `dir`; an error names the first file that is not a
/// valid result of its cell (corrupt, foreign, of another schema).
pub fn missing(exp: &Experiment, dir: &Path) -> Result<Vec<CellConfig>, Error> {
    let mut out = Vec::new();
    for (c, state) in states(exp, dir) {
        let path = cell_path(dir, &c);
        match state {
            CellState::Complete => {}
            CellState::Missing => out.push(c),
            CellState::NewerSchema(v) => return Err(Defect::NewerSchema(v).at(&path)),
            CellState::Invalid(d) => return Err(d.at(&path)),
        }
    }
    Ok(out)
}

/// Every cell of `exp` with the state of its result file in `dir`, in grid order (each cell
/// built as it is reached: the grid is never held whole).
pub fn states<'a>(exp: &'a Experiment, dir: &'a Path) -> impl Iterator<Item = (CellConfig, CellState)> + 'a {
    exp.cells.iter().map(move |c| {
        let state = cell_state(&cell_path(dir, &c), &c, &exp.name);
        (c, state)
    })
}

/// Reads a folder's result files for a merge: each verified, named by its configuration's id and
/// of `experiment` (the first file's, when still `None`).
fn read_for_merge(dir: &Path, experiment: &mut Option<String>) -> Result<Vec<(PathBuf, ResultFile)>, Error> {
    let mut out = Vec::new();
    for f in crate::results::files_in(dir)? {
        let r = ResultFile::read(&f)?;
        let e = experiment.get_or_insert_with(|| r.experiment.clone()).clone();
        r.check_identity(&f, Some(&e)).map_err(|d| d.at(&f))?;
        out.push((f, r));
    }
    Ok(out)
}

/// Copies every result file of `shards` into `out` (a cell present in several shards, or
/// already in `out`, must be byte-identical apart from provenance). Everything is read and
/// checked first — each file verified, named by its configuration's id, all of one experiment,
/// no two differing results of a cell — and only then is anything written: a refused merge
/// leaves `out` as it was (not even created). Returns the number of cells written.
pub fn merge(out: &Path, shards: &[PathBuf]) -> Result<usize, Error> {
    let mut experiment = None;
    let mut plan: std::collections::BTreeMap<std::ffi::OsString, (PathBuf, ResultFile)> = Default::default();
    let conflict = |f: &Path, other: &Path| Error::Field {
        path: f.to_path_buf(),
        field: "analysis".into(),
        message: format!("differs from {} for the same configuration; nothing merged", other.display()),
    };
    for dir in shards {
        for (f, r) in read_for_merge(dir, &mut experiment)? {
            let name = f.file_name().expect("a file").to_os_string();
            match plan.get(&name) {
                Some((g, q)) if q.deterministic_bytes() != r.deterministic_bytes() => return Err(conflict(&f, g)),
                Some(_) => {}
                None => {
                    plan.insert(name, (f, r));
                }
            }
        }
    }
    if plan.is_empty() {
        let names = shards.iter().map(|d| d.display().to_string()).collect::<Vec<_>>().join(", ");
        return Err(Error::Io { path: out.to_path_buf(), message: format!("nothing to merge: no result files (*.cbor) in {names}") });
    }
    if out.is_dir() {
        for (f, r) in read_for_merge(out, &mut experiment)? {
            if let Some((g, q)) = plan.remove(f.file_name().expect("a file")) {
                if q.deterministic_bytes() != r.deterministic_bytes() {
                    return Err(conflict(&g, &f));
                }
            }
        }
    }
    std::fs::create_dir_all(out).map_err(|e| Error::Io { path: out.to_path_buf(), message: e.to_string() })?;
    for (name, (_, r)) in &plan {
        r.write(&out.join(name))?;
    }
    Ok(plan.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    /// A terminal that records what is drawn on it.
    #[derive(Debug, Default, Clone)]
    struct Screen(Arc<Mutex<String>>);

    impl indicatif::TermLike for Screen {
        fn width(&self) -> u16 {
            100
        }
        fn move_cursor_up(&self, _: usize) -> std::io::Result<()> {
            Ok(())
        }
        fn move_cursor_down(&self, _: usize) -> std::io::Result<()> {
            Ok(())
        }
        fn move_cursor_right(&self, _: usize) -> std::io::Result<()> {
            Ok(())
        }
        fn move_cursor_left(&self, _: usize) -> std::io::Result<()> {
            Ok(())
        }
        fn write_line(&self, s: &str) -> std::io::Result<()> {
            let mut t = self.0.lock().unwrap();
            t.push_str(s);
            t.push('\n');
            Ok(())
        }
        fn write_str(&self, s: &str) -> std::io::Result<()> {
            self.0.lock().unwrap().push_str(s);
            Ok(())
        }
        fn clear_line(&self) -> std::io::Result<()> {
            self.0.lock().unwrap().push_str("<clear>");
            Ok(())
        }
        fn flush(&self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn the_bar_shows_done_of_total_elapsed_and_eta() {
        let screen = Screen::default();
        let p = Progress::bar(3, ProgressDrawTarget::term_like(Box::new(screen.clone())));
        p.cell_done(1, 3, "00aa", 0.5, 0.5);
        p.cell_done(2, 3, "00bb", 0.5, 1.0);
        let drawn = screen.0.lock().unwrap().clone();
        assert!(drawn.contains("2/3 cells ["), "{drawn}");
        assert!(drawn.contains("] elapsed 00:00:0") && drawn.contains(", ETA 00:"), "{drawn}");
        // one line of the terminal's width
        let last = drawn.rsplit("<clear>").next().unwrap();
        assert_eq!(last.chars().count(), 100, "{last:?}");
        p.cell_done(3, 3, "00cc", 0.5, 1.5);
        p.finish(true);
        let Progress::Bar(bar) = &p else { unreachable!() };
        assert!(bar.is_finished());
        assert!(screen.0.lock().unwrap().contains("3/3 cells"));
        // after an error the bar is cleared, leaving the error line alone
        let screen = Screen::default();
        let p = Progress::bar(2, ProgressDrawTarget::term_like(Box::new(screen.clone())));
        p.cell_done(1, 2, "00aa", 0.5, 0.5);
        p.finish(false);
        assert!(screen.0.lock().unwrap().ends_with("<clear>"), "{}", screen.0.lock().unwrap());
    }

    #[derive(Clone, Default)]
    struct Sink(Arc<Mutex<Vec<u8>>>);
    impl std::io::Write for Sink {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn plain_lines_at_most_every_5_s_and_always_the_last() {
        let sink = Sink::default();
        let p = Progress::lines(Box::new(sink.clone()));
        for k in 1..=4 {
            p.cell_done(k, 4, "00aa", 0.25, k as f64);
        }
        p.finish(true);
        let text = String::from_utf8(sink.0.lock().unwrap().clone()).unwrap();
        assert_eq!(text, "[4/4] cell 00aa done in 0.25 s, elapsed 4.0 s, ETA 0.0 s\n");
    }
}
