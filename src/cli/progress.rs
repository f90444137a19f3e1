//! Progress of the long commands (`analyze`, `rerun`, `bench`; `sweep` has its own per-cell
//! report in [`crate::sweep::Progress`]) on stderr, never on stdout: first the estimate
//! ([`estimate_analysis`], from the cost model of [`crate::hessian::cost`]), then an `indicatif`
//! bar with the ETA when stderr is a terminal, or plain lines otherwise — at most one every
//! [`crate::sweep::progress_every_s`] seconds (`CLAIRAUT_PROGRESS_EVERY`), none after the
//! last step.
//!
//! The bar advances by the *estimated* seconds of each finished step, so its ETA weighs a slow
//! method's cells as the estimate does and corrects the estimate's scale as the work goes.

use std::collections::HashMap;
use std::io::{IsTerminal, Write};
use std::sync::Mutex;
use std::time::Instant;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::analysis::{Request, Step};
use crate::error::Error;
use crate::hessian::cost::{self, fmt_seconds, AnalysisSeconds};
use crate::hessian::Method;
use crate::scalar::{MathLib, Precision};

/// How the progress is shown.
enum Kind {
    /// A bar over the estimated milliseconds of work.
    Bar(ProgressBar),
    /// Plain lines, written to the sink at most every `every_s` seconds.
    Lines { sink: Mutex<Box<dyn Write + Send>>, every_s: f64, last: Mutex<Instant> },
}

/// A progress report over work whose total is estimated in seconds.
pub struct Reporter {
    kind: Kind,
    what: String,
    total_s: f64,
    done_s: Mutex<f64>,
    start: Instant,
}

impl Reporter {
    /// A report of `what` (e.g. "analyze") over `total_s` estimated seconds on stderr: a bar on a
    /// terminal, plain lines otherwise.
    pub fn stderr(what: &str, total_s: f64) -> Reporter {
        if std::io::stderr().is_terminal() {
            let r = Reporter::bar(what, total_s, ProgressDrawTarget::stderr());
            if let Kind::Bar(bar) = &r.kind {
                // keep the elapsed time and the ETA moving while a long step runs
                bar.enable_steady_tick(std::time::Duration::from_millis(500));
            }
            r
        } else {
            Reporter::lines(what, total_s, Box::new(std::io::stderr()), crate::sweep::progress_every_s())
        }
    }

    /// A bar drawn on `target`.
    pub fn bar(what: &str, total_s: f64, target: ProgressDrawTarget) -> Reporter {
        let bar = ProgressBar::with_draw_target(Some(ms(total_s).max(1)), target);
        bar.set_style(
            ProgressStyle::with_template("{prefix} {percent:>3}% [{wide_bar}] {elapsed_precise}, ETA {eta_precise} {msg}")
                .expect("a valid template"),
        );
        bar.set_prefix(what.to_string());
        Reporter { kind: Kind::Bar(bar), what: what.into(), total_s, done_s: Mutex::new(0.0), start: Instant::now() }
    }

    /// Plain lines written to `sink`, at most one every `every_s` seconds.
    pub fn lines(what: &str, total_s: f64, sink: Box<dyn Write + Send>, every_s: f64) -> Reporter {
        let kind = Kind::Lines { sink: Mutex::new(sink), every_s, last: Mutex::new(Instant::now()) };
        Reporter { kind, what: what.into(), total_s, done_s: Mutex::new(0.0), start: Instant::now() }
    }

    /// A step estimated at `step_s` seconds finished; `label` names it.
    pub fn advance(&self, step_s: f64, label: &str) {
        let done = {
            let mut d = self.done_s.lock().expect("not poisoned");
            *d += step_s;
            *d
        };
        let fraction = if self.total_s > 0.0 { (done / self.total_s).min(1.0) } else { 1.0 };
        match &self.kind {
            Kind::Bar(bar) => {
                bar.set_position(ms(done).min(bar.length().unwrap_or(u64::MAX)));
                bar.set_message(label.to_string());
            }
            Kind::Lines { sink, every_s, last } => {
                let mut last = last.lock().expect("not poisoned");
                // the last step (its sum may round either side of the total) prints nothing
                if fraction >= 1.0 - 1e-9 || last.elapsed().as_secs_f64() < *every_s {
                    return;
                }
                let elapsed = self.start.elapsed().as_secs_f64();
                let eta = if fraction > 0.0 { elapsed * (1.0 - fraction) / fraction } else { f64::NAN };
                let mut w = sink.lock().expect("not poisoned");
                let line = format!(
                    "[{} {:.0}%] {label} done; elapsed {}, ETA {}",
                    self.what,
                    100.0 * fraction,
                    fmt_seconds(elapsed),
                    fmt_seconds(eta)
                );
                let _ = writeln!(w, "{line}");
                let _ = w.flush();
                *last = Instant::now();
            }
        }
    }

    /// Prints `line` on stdout without tearing the bar.
    pub fn println(&self, line: &str) {
        match &self.kind {
            Kind::Bar(bar) => bar.suspend(|| println!("{line}")),
            Kind::Lines { .. } => println!("{line}"),
        }
    }

    /// The work is over: the bar is cleared (the results follow on stdout).
    pub fn finish(&self) {
        if let Kind::Bar(bar) = &self.kind {
            bar.finish_and_clear();
        }
    }
}

/// Whole milliseconds of `s` seconds (the bar's unit).
fn ms(s: f64) -> u64 {
    (s * 1000.0).round().max(0.0) as u64
}

/// One gradient's seconds per precision of a problem, each measured once.
pub struct GradientPrices<'a> {
    problem: &'a crate::model::Problem,
    math: MathLib,
    seconds: HashMap<Precision, f64>,
}

impl<'a> GradientPrices<'a> {
    /// Measures `problem`'s gradient at every precision of `precisions`.
    pub fn measure(problem: &'a crate::model::Problem, math: MathLib, precisions: &[Precision]) -> Result<Self, Error> {
        let mut g = GradientPrices { problem, math, seconds: HashMap::new() };
        for &q in precisions {
            if !g.seconds.contains_key(&q) {
                // libm applies to f32/f64 only; the emulated formats and MPFR take core-math
                let math = if matches!(q, Precision::F32 | Precision::F64) { g.math } else { MathLib::CoreMath };
                g.seconds.insert(q, cost::gradient_seconds(g.problem, q, math)?);
            }
        }
        Ok(g)
    }

    /// The measured seconds at `q` (0 if not measured).
    pub fn at(&self, q: Precision) -> f64 {
        self.seconds.get(&q).copied().unwrap_or(0.0)
    }
}

/// The precisions an analysis computes at: the requested ones, the truth's and its check's.
fn analysis_precisions(req: &Request) -> (u32, Vec<Precision>) {
    let tbits = req.truth_bits();
    let mut all = req.precisions.clone();
    all.extend([Precision::Mp(tbits), Precision::Mp(tbits + req.check_extra)]);
    (tbits, all)
}

/// An analysis's estimate and the gradient prices it rests on.
pub struct AnalysisEstimate {
    /// Estimated seconds, by stage and method.
    pub seconds: AnalysisSeconds,
    /// Bits of the truth.
    pub truth_bits: u32,
    /// Worker threads.
    pub threads: usize,
    prices: HashMap<Precision, f64>,
}

impl AnalysisEstimate {
    /// Estimated seconds of `step` (as [`cost::analysis_seconds`] counts it).
    pub fn step_seconds(&self, req: &Request, step: Step) -> f64 {
        let p = req.problem.spec.num_params();
        let g = |q: Precision| self.prices.get(&q).copied().unwrap_or(0.0);
        let t = Precision::Mp(self.truth_bits);
        match step {
            Step::Truth => self.seconds.truth,
            Step::Quantized(_) => cost::hessian_seconds(Method::FwdRev, t, p, g(t), self.threads),
            Step::Cell(m, q, ..) => {
                let per_cell = (req.orders.len() * req.fmas.len()) as f64;
                let at = |q: Precision| cost::hessian_seconds(m, q, p, g(q), self.threads);
                let share: f64 = self.seconds.methods.iter().filter(|x| x.0 == m).map(|x| x.1).sum();
                // the cell's own share of its method's estimate (metrics included), its
                // policies' role runs at truth precision with it
                let (policies, roles) = (req.policies.len() as f64, cost::role_runs(&req.policies) as f64);
                let cell = |q: Precision| policies * (at(q) + at(t)) + roles * at(t);
                let mine = cell(q);
                let all: f64 = distinct(&req.precisions).iter().map(|&q| per_cell * cell(q)).sum();
                if all > 0.0 { share * mine / all } else { 0.0 }
            }
        }
    }

    /// The estimate as printed before the work (lines of at most 100 columns): the total, then
    /// the truth, T(q) and each method.
    pub fn lines(&self, p: usize) -> Vec<String> {
        let s = &self.seconds;
        let threads = format!("{} thread{}", self.threads, if self.threads == 1 { "" } else { "s" });
        let mut items = vec![format!("truth {}", fmt_seconds(s.truth)), format!("T(q) {}", fmt_seconds(s.quantized))];
        items.extend(s.methods.iter().map(|(m, x)| format!("{m} {}", fmt_seconds(*x))));
        let head = format!("estimate: {} on {threads} (P = {p}):", fmt_seconds(s.total()));
        wrap(&head, &items, 100)
    }
}

/// `head` followed by `items` separated by commas, in lines of at most `width` columns (the
/// continuation lines indented by two spaces).
pub fn wrap(head: &str, items: &[String], width: usize) -> Vec<String> {
    let mut lines = vec![head.to_string()];
    for (k, item) in items.iter().enumerate() {
        let piece = if k + 1 < items.len() { format!("{item},") } else { item.clone() };
        let last = lines.last_mut().expect("a line");
        if last.chars().count() + 1 + piece.chars().count() <= width {
            last.push(' ');
            last.push_str(&piece);
        } else {
            lines.push(format!("  {piece}"));
        }
    }
    lines
}

/// The precisions of `qs`, each once.
fn distinct(qs: &[Precision]) -> Vec<Precision> {
    let mut out: Vec<Precision> = Vec::new();
    for &q in qs {
        if !out.contains(&q) {
            out.push(q);
        }
    }
    out
}

/// The estimated time of `req` on `threads` workers: one gradient of the problem timed at every
/// precision the analysis computes at, then [`cost::analysis_seconds`].
pub fn estimate_analysis(req: &Request, threads: usize) -> Result<AnalysisEstimate, Error> {
    let (tbits, all) = analysis_precisions(req);
    let prices = GradientPrices::measure(&req.problem, req.math, &all)?;
    let shape = req.shape();
    let seconds = cost::analysis_seconds(&shape, &|q| prices.at(q), threads);
    Ok(AnalysisEstimate { seconds, truth_bits: tbits, threads, prices: prices.seconds })
}

/// The estimated seconds of several analyses run side by side on `threads` workers (a sweep's
/// cells, a rerun's files): each estimated on one worker, summed, and shared among the workers;
/// with the sum per method. A gradient is timed once per network, batch size and precision.
pub fn estimate_many(reqs: &[Request], threads: usize) -> Result<(f64, Vec<(Method, f64)>), Error> {
    let mut prices: HashMap<String, HashMap<Precision, f64>> = HashMap::new();
    let (mut total, mut methods): (f64, Vec<(Method, f64)>) = (0.0, Vec::new());
    for req in reqs {
        let key = format!("{:?} {} {:?}", req.problem.spec, req.problem.n, req.math);
        let (_, all) = analysis_precisions(req);
        let known = prices.entry(key).or_default();
        let missing: Vec<Precision> = all.iter().copied().filter(|q| !known.contains_key(q)).collect();
        known.extend(GradientPrices::measure(&req.problem, req.math, &missing)?.seconds);
        let shape = req.shape();
        let s = cost::analysis_seconds(&shape, &|q| known.get(&q).copied().unwrap_or(0.0), 1);
        let share = threads.max(1) as f64;
        total += s.total() / share;
        for (m, x) in s.methods {
            match methods.iter_mut().find(|e| e.0 == m) {
                Some(e) => e.1 += x / share,
                None => methods.push((m, x / share)),
            }
        }
    }
    Ok((total, methods))
}

/// The label of a finished step, for the progress line.
pub fn step_label(step: Step) -> String {
    match step {
        Step::Truth => "truth".into(),
        Step::Quantized(q) => format!("T(q) at {q}"),
        Step::Cell(m, q, o, fma) => format!("{m} {q} {o} {}", crate::scalar::FmaPolicy::from_fused(fma)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[derive(Clone, Default)]
    struct Sink(Arc<Mutex<Vec<u8>>>);
    impl Write for Sink {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn plain_lines_give_the_share_done_and_the_eta_and_stop_before_the_end() {
        let sink = Sink::default();
        let r = Reporter::lines("analyze", 4.0, Box::new(sink.clone()), 0.0);
        r.advance(1.0, "truth");
        r.advance(2.0, "fwd-rev f32 sequential no-fma");
        r.advance(1.0, "fwd-rev f64 sequential no-fma");
        let text = String::from_utf8(sink.0.lock().unwrap().clone()).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 2, "{text}");
        assert!(lines[0].starts_with("[analyze 25%] truth done; elapsed ") && lines[0].contains(", ETA "), "{text}");
        assert!(lines[1].starts_with("[analyze 75%] fwd-rev f32 sequential no-fma done;"), "{text}");
        // a long period: no line at all in a short run
        let sink = Sink::default();
        let r = Reporter::lines("analyze", 4.0, Box::new(sink.clone()), 60.0);
        r.advance(1.0, "truth");
        assert!(sink.0.lock().unwrap().is_empty());
    }

    #[test]
    fn estimates_wrap_at_the_width() {
        let items: Vec<String> = (0..12).map(|k| format!("fd-grad-central{k} 12 min 30 s")).collect();
        let lines = wrap("estimate: 1 h 02 min on 16 threads (P = 4810):", &items, 100);
        assert!(lines.len() > 2 && lines.iter().all(|l| l.chars().count() <= 100), "{lines:#?}");
        assert_eq!(lines.join(" ").matches("fd-grad-central").count(), 12);
        assert_eq!(wrap("a:", &["b 1 s".into(), "c 2 s".into()], 100), ["a: b 1 s, c 2 s"]);
    }

    #[test]
    fn the_bar_advances_by_estimated_seconds() {
        let r = Reporter::bar("analyze", 2.0, ProgressDrawTarget::hidden());
        r.advance(0.5, "truth");
        let Kind::Bar(bar) = &r.kind else { unreachable!() };
        assert_eq!((bar.position(), bar.length()), (500, Some(2000)));
        // an estimate below the truth never overflows the bar
        r.advance(5.0, "fwd-rev f64");
        assert_eq!(bar.position(), 2000);
        r.finish();
        assert!(bar.is_finished());
    }
}
