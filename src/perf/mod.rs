//! Measurements of Clairaut's own speed, behind `clairaut bench`: nothing here computes a
//! number that lands in a result file, and nothing is asserted about a time.
//!
//! * [`ratio`]: the cost of a Hessian in gradients, `T_hessian / (P × T_gradient)`;
//! * [`scaling`]: the multi-core efficiency of a Hessian beside that of a tight MPFR loop;
//! * [`table`]: problems × precisions × methods beside the peers' times (JAX, TensorFlow,
//!   mpmath), with the MPFR efficiency and floor;
//! * [`kernel`]: `mp:<bits>` on MPFR beside the fixed-width limbs, same run, same bits;
//! * [`pricer`]: the one tight loop that prices MPFR operations, used by the last two.
//!
//! Every computation is timed by [`Timing`] (inputs rounded into the format first, sequential
//! order, no FMA), on a rayon pool of a given size ([`on_threads`]).

pub mod kernel;
pub mod pricer;
pub mod ratio;
pub mod scaling;
pub mod table;

use std::time::Instant;

use crate::error::Error;
use crate::hessian;
use crate::method::Method;
use crate::model::{InputMode, Problem};
use crate::order::{Eval, Order};
use crate::ad::{LaneDot, WithReal};

/// What [`Timing`] measures (sequential order): one gradient, repeated for at least `min_s`
/// seconds (the mean per call), or a Hessian by `method`, repeated until `min_s` seconds have
/// passed (at least once; the median run).
#[derive(Clone, Copy, Debug)]
pub enum Timed {
    /// `hessian::gradient`
    Gradient {
        /// Least total time of the repetitions.
        min_s: f64,
    },
    /// `hessian::compute`
    Hessian {
        /// The method.
        method: Method,
        /// Least total time of the repetitions (0: one run).
        min_s: f64,
    },
}

/// The time of a [`Timed`] computation: typical (the gradient's mean per call, the Hessian's
/// median run) and fastest (the least disturbed by other load; the gradient's mean again).
#[derive(Clone, Copy, Debug)]
pub struct Seconds {
    /// Mean or median.
    pub typical: f64,
    /// Fastest run.
    pub fastest: f64,
}

/// Seconds of a [`Timed`] computation on a problem (its inputs rounded into the format first,
/// outside the timing), run by [`crate::scalar::precision::Arith::dispatch`].
pub struct Timing<'a> {
    /// The problem.
    pub problem: &'a Problem,
    /// What to time.
    pub what: Timed,
}

impl WithReal for Timing<'_> {
    type Output = Result<Seconds, Error>;
    fn run<R: LaneDot>(self, ctx: R::RCtx) -> Self::Output {
        let pr = self.problem;
        let inputs = pr.inputs::<R>(InputMode::Decimal, &ctx)?;
        let eval = Eval::new(Order::Sequential, pr.spec.sum_lengths(pr.n));
        let t0 = Instant::now();
        Ok(match self.what {
            Timed::Gradient { min_s } => {
                let mut reps = 0u32;
                while reps < 3 || t0.elapsed().as_secs_f64() < min_s {
                    std::hint::black_box(hessian::gradient(&pr.spec, pr.n, &inputs, &eval, &ctx));
                    reps += 1;
                }
                let mean = t0.elapsed().as_secs_f64() / f64::from(reps);
                Seconds { typical: mean, fastest: mean }
            }
            Timed::Hessian { method, min_s } => {
                let mut runs = Vec::new();
                while runs.is_empty() || t0.elapsed().as_secs_f64() < min_s {
                    let t = Instant::now();
                    std::hint::black_box(hessian::compute(method, &pr.spec, pr.n, &inputs, &eval, &ctx));
                    runs.push(t.elapsed().as_secs_f64());
                }
                runs.sort_by(f64::total_cmp);
                Seconds { typical: runs[runs.len() / 2], fastest: runs[0] }
            }
        })
    }
}

/// Runs `f` on a rayon pool of `threads` (≥ 1) workers.
pub fn on_threads<T: Send>(threads: usize, f: impl FnOnce() -> T + Send) -> Result<T, Error> {
    if threads == 0 {
        return Err(Error::Option { option: "--threads".into(), message: "must be at least 1".into() });
    }
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|e| Error::Option { option: "--threads".into(), message: e.to_string() })?;
    Ok(pool.install(f))
}

/// The seconds of `what` on `problem` under `arith`, on `threads` workers.
pub fn time(problem: &Problem, arith: &crate::scalar::precision::Arith, threads: usize, what: Timed) -> Result<Seconds, Error> {
    on_threads(threads, || arith.dispatch(Timing { problem, what }))?
}
