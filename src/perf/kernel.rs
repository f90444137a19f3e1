//! `clairaut bench mp-kernel`: an `mp:<bits>` Hessian on MPFR ([`rug::Float`]) and on the
//! fixed-width limbs ([`crate::scalar::fixed`]) in the same run — the speed-up, and a check that
//! both gave the same bits. The `sequential` order is what `mp:<bits>` cells run; the `exact`
//! order is the truth's.

use std::time::Instant;

use rug::Float;

use crate::ad::LaneDot;
use crate::error::Error;
use crate::hessian::{self, Matrix};
use crate::method::Method;
use crate::model::{InputMode, Problem};
use crate::order::{Eval, Order};
use crate::scalar::fixed::{self, Fixed, FixedCtx};
use crate::scalar::MpCtx;

/// One order's figures: median seconds on MPFR and on the fixed-width limbs, and whether the
/// two Hessians are the same bit for bit.
#[derive(Clone, Copy, Debug)]
pub struct KernelTimes {
    /// The order.
    pub order: Order,
    /// MPFR, median run.
    pub mpfr_s: f64,
    /// Fixed-width limbs, median run.
    pub fixed_s: f64,
    /// Every entry bitwise equal.
    pub same_bits: bool,
}

/// The median seconds of `method` on `problem` in `order` (repeated until `min_s` seconds have
/// passed, at least 3 runs), and the last Hessian's entries.
fn median<R: LaneDot>(problem: &Problem, method: Method, order: Order, ctx: &R::RCtx, min_s: f64) -> Result<(f64, Vec<Float>), Error> {
    let inputs = problem.inputs::<R>(InputMode::Decimal, ctx)?;
    let eval = Eval::new(order, problem.spec.sum_lengths(problem.n));
    let (t0, mut runs) = (Instant::now(), Vec::new());
    let mut last: Option<Matrix<R>> = None;
    while runs.len() < 3 || t0.elapsed().as_secs_f64() < min_s {
        let t = Instant::now();
        last = Some(hessian::compute(method, &problem.spec, problem.n, &inputs, &eval, ctx));
        runs.push(t.elapsed().as_secs_f64());
    }
    runs.sort_by(f64::total_cmp);
    let h = last.expect("at least one run");
    let p = h.p;
    Ok((runs[runs.len() / 2], (0..p * p).map(|k| h.float(k / p, k % p)).collect()))
}

/// MPFR and the fixed-width limbs on `problem` at `bits` (2 … 320) for `method`, in each of
/// `orders`, on the current rayon pool.
pub fn measure(problem: &Problem, method: Method, bits: u32, orders: &[Order], min_s: f64) -> Result<Vec<KernelTimes>, Error> {
    if !fixed::fits(bits) {
        return Err(Error::Option { option: "--bits".into(), message: format!("{bits}: the fixed-width limbs hold 2 … 320 bits") });
    }
    let mp = MpCtx::new(bits, None, false);
    orders
        .iter()
        .map(|&order| {
            let (mpfr_s, a) = median::<Float>(problem, method, order, &mp, min_s)?;
            let (fixed_s, b) = if bits <= 256 {
                median::<Fixed<4>>(problem, method, order, &FixedCtx::new(bits, false), min_s)?
            } else {
                median::<Fixed<5>>(problem, method, order, &FixedCtx::new(bits, false), min_s)?
            };
            let same_bits = a.iter().zip(&b).all(|(x, y)| x.total_cmp(y).is_eq() && x.is_sign_negative() == y.is_sign_negative());
            Ok(KernelTimes { order, mpfr_s, fixed_s, same_bits })
        })
        .collect()
}
