//! The one tight loop that prices MPFR operations: 1,024 preallocated operand sets, one
//! operation of a kind ([`Op`]) per set, results into preallocated numbers — no allocation,
//! nothing but the operation itself.
//!
//! It answers two questions: what one operation costs at a precision ([`price_ns`], the price
//! the `bench table` charges the counted operations of a Hessian at), and how much MPFR work
//! the machine can do on several cores at once ([`parallel_seconds`], the reference the
//! `bench scaling` table sets the Hessian's efficiency beside).

use std::time::Instant;

use rand::{Rng, SeedableRng};
use rug::float::Round;
use rug::ops::AssignRound;
use rug::Float;

use crate::scalar::opcount::Op;

/// Operand sets per pass.
pub const LEN: usize = 1024;

/// The operands and results of the tight loop of one kind of operation at one precision.
pub struct Loop {
    op: Op,
    a: Vec<Float>,
    b: Vec<Float>,
    c: Vec<Float>,
    zeros: Vec<Float>,
    a_ln1p: Vec<Float>,
    out: Vec<Float>,
}

impl Loop {
    /// Operands for `op` at `prec` bits, drawn from a generator seeded with `seed`: values in
    /// [½, 2) with random signs; function arguments in [−4, 4], `ln`'s in (0, 8); every bit of
    /// each significand filled, as in the kernels' values.
    pub fn new(op: Op, prec: u32, seed: u64) -> Self {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        let mut draw = |lo: f64, hi: f64, signed: bool| -> Vec<Float> {
            (0..LEN)
                .map(|_| {
                    let v = rng.gen_range(lo..hi) * if signed && rng.gen_bool(0.5) { -1.0 } else { 1.0 };
                    // v·(1 + 1/k) with k odd has a non-terminating binary expansion (a short
                    // significand would let MPFR skip its zero limbs and price the operations
                    // too low)
                    let k = 2 * rng.gen_range(1u32..1000) + 1;
                    let dense = Float::with_val(prec, 1) + Float::with_val(prec, 1) / k;
                    Float::with_val(prec, v * dense)
                })
                .collect()
        };
        let (a, b, c) = match op {
            Op::Exp | Op::Tanh | Op::Erf | Op::Ln1p => (draw(-4.0, 4.0, false), draw(0.5, 2.0, true), draw(0.5, 2.0, true)),
            Op::Ln => (draw(0.01, 8.0, false), draw(0.5, 2.0, true), draw(0.5, 2.0, true)),
            _ => (draw(0.5, 2.0, true), draw(0.5, 2.0, true), draw(0.5, 2.0, true)),
        };
        let zeros: Vec<Float> = (0..LEN).map(|_| Float::new(prec)).collect();
        let a_ln1p: Vec<Float> = a.iter().map(|x| Float::with_val(prec, x / 4u32) * 0.9f64).collect();
        let out: Vec<Float> = (0..LEN).map(|_| Float::new(prec)).collect();
        Loop { op, a, b, c, zeros, a_ln1p, out }
    }

    /// One pass: the operation on each of the [`LEN`] operand sets.
    pub fn pass(&mut self) {
        let Loop { op, a, b, c, zeros, a_ln1p, out } = self;
        for (i, o) in out.iter_mut().enumerate() {
            let _ = match op {
                Op::AddSub => o.assign_round(&a[i] + &b[i], Round::Nearest),
                Op::Mul => o.assign_round(&a[i] * &b[i], Round::Nearest),
                Op::Fma => o.assign_round(&a[i] * &b[i] + &c[i], Round::Nearest),
                Op::Div => o.assign_round(&a[i] / &b[i], Round::Nearest),
                Op::Exp => o.assign_round(a[i].exp_ref(), Round::Nearest),
                Op::Ln => o.assign_round(a[i].ln_ref(), Round::Nearest),
                Op::Ln1p => o.assign_round(a_ln1p[i].ln_1p_ref(), Round::Nearest),
                Op::Tanh => o.assign_round(a[i].tanh_ref(), Round::Nearest),
                Op::Erf => o.assign_round(a[i].erf_ref(), Round::Nearest),
                // one correctly rounded dot product of 16 terms
                Op::Exact => o.assign_round(Float::dot(a.iter().zip(b.iter()).take(16)), Round::Nearest),
                Op::AddSubZero => o.assign_round(&zeros[i] + &b[i], Round::Nearest),
                Op::MulZero => o.assign_round(&a[i] * &zeros[i], Round::Nearest),
                Op::FmaZero => o.assign_round(&a[i] * &zeros[i] + &c[i], Round::Nearest),
                Op::DivZero => o.assign_round(&zeros[i] / &b[i], Round::Nearest),
            };
        }
        std::hint::black_box(&*out);
    }
}

/// Nanoseconds one `op` takes at `prec` bits in the tight loop (operands seeded with `prec`):
/// the fastest of ten blocks of at least `min_s / 10` seconds each (a short disturbance by
/// other load spoils few of them).
pub fn price_ns(op: Op, prec: u32, min_s: f64) -> f64 {
    const BLOCKS: u32 = 10;
    let mut l = Loop::new(op, prec, u64::from(prec));
    let mut best = f64::INFINITY;
    for _ in 0..BLOCKS {
        let start = Instant::now();
        let mut reps = 0u64;
        while reps < 3 || start.elapsed().as_secs_f64() < min_s / f64::from(BLOCKS) {
            l.pass();
            reps += 1;
        }
        best = best.min(start.elapsed().as_secs_f64() * 1e9 / (reps * LEN as u64) as f64);
    }
    best
}

/// Seconds for `threads` workers to each run `passes` passes of the tight loop of `op` at
/// `prec` bits on private operands (built before the clock starts): the same work per thread,
/// so on a machine whose cores do not slow each other down the time does not grow with
/// `threads` — the machine's own parallel limit for MPFR work.
pub fn parallel_seconds(op: Op, prec: u32, threads: usize, passes: u64) -> f64 {
    let loops: Vec<Loop> = (0..threads).map(|k| Loop::new(op, prec, u64::from(prec) + k as u64)).collect();
    let t0 = Instant::now();
    std::thread::scope(|s| {
        for mut l in loops {
            s.spawn(move || {
                for _ in 0..passes {
                    l.pass();
                }
            });
        }
    });
    t0.elapsed().as_secs_f64()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prices_are_positive_and_finite() {
        for op in [Op::Fma, Op::MulZero, Op::Exact] {
            let ns = price_ns(op, 128, 0.001);
            assert!(ns > 0.0 && ns.is_finite(), "{op:?}: {ns}");
        }
        let s = parallel_seconds(Op::Fma, 64, 2, 2);
        assert!(s > 0.0 && s.is_finite());
    }
}
