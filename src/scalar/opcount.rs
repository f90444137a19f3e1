//! Counts of the MPFR operations the numeric kernels perform, for `clairaut bench`'s **MPFR
//! efficiency**: the time the counted operations take in a tight, allocation-free loop at the
//! same precision, divided by the measured time.
//!
//! Counting is off unless a [`count_ops`] call is running (one relaxed load and an untaken
//! branch per operation otherwise). While on, each thread bumps its own counters (a plain
//! load/store of a relaxed atomic it alone writes: no locked instruction), and the totals are
//! summed over every thread that ever counted — process-wide: unrelated MPFR work running on
//! other threads during a [`count_ops`] call is counted too.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex};

/// A kind of MPFR operation (each one correctly rounded primitive of [`super::Real`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Op {
    /// `a + b`, `a − b`
    AddSub,
    /// `a · b`
    Mul,
    /// `a · b + c` fused
    Fma,
    /// `a / b`
    Div,
    /// `exp`
    Exp,
    /// `ln`
    Ln,
    /// `ln(1 + x)`
    Ln1p,
    /// `tanh`
    Tanh,
    /// `erf`
    Erf,
    /// A correctly rounded sum or dot product (the `exact` order), counted once per call.
    Exact,
    /// `a ± b` with a zero operand (MPFR copies or rounds the other: much cheaper)
    AddSubZero,
    /// `a · b` with a zero factor
    MulZero,
    /// `a · b + c` with a zero factor
    FmaZero,
    /// `0 / b`
    DivZero,
}

impl Op {
    /// Every kind, in counter order.
    pub const ALL: [Op; N] = [
        Op::AddSub,
        Op::Mul,
        Op::Fma,
        Op::Div,
        Op::Exp,
        Op::Ln,
        Op::Ln1p,
        Op::Tanh,
        Op::Erf,
        Op::Exact,
        Op::AddSubZero,
        Op::MulZero,
        Op::FmaZero,
        Op::DivZero,
    ];

    /// The kind of a binary operation `self` on `a` and `b` (`Zero` variants when one of the
    /// operands that makes it trivial is zero: either for ± and ·, the first for /).
    #[inline]
    pub fn of(self, a: &rug::Float, b: &rug::Float) -> Op {
        match self {
            Op::AddSub if a.is_zero() || b.is_zero() => Op::AddSubZero,
            Op::Mul if a.is_zero() || b.is_zero() => Op::MulZero,
            Op::Fma if a.is_zero() || b.is_zero() => Op::FmaZero,
            Op::Div if a.is_zero() => Op::DivZero,
            op => op,
        }
    }

    /// Whether this kind is an operation with a zero operand (MPFR settles it without
    /// arithmetic on the limbs).
    pub fn has_zero_operand(self) -> bool {
        matches!(self, Op::AddSubZero | Op::MulZero | Op::FmaZero | Op::DivZero)
    }

    /// Short name.
    pub fn name(self) -> &'static str {
        match self {
            Op::AddSub => "add/sub",
            Op::Mul => "mul",
            Op::Fma => "fma",
            Op::Div => "div",
            Op::Exp => "exp",
            Op::Ln => "ln",
            Op::Ln1p => "ln_1p",
            Op::Tanh => "tanh",
            Op::Erf => "erf",
            Op::Exact => "exact sum/dot",
            Op::AddSubZero => "add/sub 0",
            Op::MulZero => "mul 0",
            Op::FmaZero => "fma 0",
            Op::DivZero => "div 0",
        }
    }
}

/// Number of kinds.
pub const N: usize = 14;

/// Operation counts, indexed like [`Op::ALL`].
pub type Counts = [u64; N];

static ENABLED: AtomicBool = AtomicBool::new(false);
static REGISTRY: Mutex<Vec<Arc<[AtomicU64; N]>>> = Mutex::new(Vec::new());
/// Serializes [`count_ops`] calls.
static SESSION: Mutex<()> = Mutex::new(());

thread_local! {
    static LOCAL: Arc<[AtomicU64; N]> = {
        let c = Arc::new(Default::default());
        REGISTRY.lock().unwrap_or_else(|e| e.into_inner()).push(Arc::clone(&c));
        c
    };
}

/// Counts one operation (when counting is on).
#[inline(always)]
pub fn count(op: Op) {
    if ENABLED.load(Relaxed) {
        record(op);
    }
}

/// Counts one binary operation on `a` and `b`, as [`Op::of`] classifies it (when counting is
/// on; the operands are not looked at otherwise).
#[inline(always)]
pub fn count2(op: Op, a: &rug::Float, b: &rug::Float) {
    if ENABLED.load(Relaxed) {
        record(op.of(a, b));
    }
}

#[inline(never)]
fn record(op: Op) {
    LOCAL.with(|c| {
        let x = &c[op as usize];
        x.store(x.load(Relaxed) + 1, Relaxed);
    });
}

fn totals() -> Counts {
    let reg = REGISTRY.lock().unwrap_or_else(|e| e.into_inner());
    let mut t = [0u64; N];
    for c in reg.iter() {
        for (k, x) in c.iter().enumerate() {
            t[k] += x.load(Relaxed);
        }
    }
    t
}

/// Runs `f` with counting on and returns its result and the MPFR operations it performed (on
/// every thread; `f` must not leave work running when it returns).
pub fn count_ops<T>(f: impl FnOnce() -> T) -> (T, Counts) {
    let _one_at_a_time = SESSION.lock().unwrap_or_else(|e| e.into_inner());
    let before = totals();
    ENABLED.store(true, Relaxed);
    let out = f();
    ENABLED.store(false, Relaxed);
    let after = totals();
    (out, std::array::from_fn(|k| after[k] - before[k]))
}

/// Nanoseconds one `op` takes at `prec` bits in a tight, allocation-free loop: 1,024
/// preallocated operands (values in [½, 2) with random signs; function arguments in [−4, 4],
/// `ln`'s in (0, 8)), results into preallocated numbers; the fastest of ten blocks of at
/// least `min_s / 10` seconds each (a short disturbance by other load spoils few of them).
/// The price [`count_ops`]' counts are charged at for the MPFR efficiency.
pub fn tight_loop_ns(op: Op, prec: u32, min_s: f64) -> f64 {
    use rand::{Rng, SeedableRng};
    use rug::float::Round;
    use rug::ops::AssignRound;
    use rug::Float;

    const LEN: usize = 1024;
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(u64::from(prec));
    let mut draw = |lo: f64, hi: f64, signed: bool| -> Vec<Float> {
        (0..LEN)
            .map(|_| {
                let v = rng.gen_range(lo..hi) * if signed && rng.gen_bool(0.5) { -1.0 } else { 1.0 };
                // every bit of the significand filled, as in the kernels' values: v·(1 + 1/k)
                // with k odd has a non-terminating binary expansion (a short significand would
                // let MPFR skip its zero limbs and price the operations too low)
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
    let mut out: Vec<Float> = (0..LEN).map(|_| Float::new(prec)).collect();
    // the fastest of ten timed blocks of at least min_s/10 each (others' load only slows)
    const BLOCKS: u32 = 10;
    let mut best = f64::INFINITY;
    for _ in 0..BLOCKS {
        let start = std::time::Instant::now();
        let mut reps = 0u64;
        while reps < 3 || start.elapsed().as_secs_f64() < min_s / f64::from(BLOCKS) {
            for i in 0..LEN {
                let o = &mut out[i];
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
                    Op::Exact => o.assign_round(Float::dot(a.iter().zip(&b).take(16)), Round::Nearest),
                    Op::AddSubZero => o.assign_round(&zeros[i] + &b[i], Round::Nearest),
                    Op::MulZero => o.assign_round(&a[i] * &zeros[i], Round::Nearest),
                    Op::FmaZero => o.assign_round(&a[i] * &zeros[i] + &c[i], Round::Nearest),
                    Op::DivZero => o.assign_round(&zeros[i] / &b[i], Round::Nearest),
                };
            }
            std::hint::black_box(&out);
            reps += 1;
        }
        best = best.min(start.elapsed().as_secs_f64() * 1e9 / (reps * LEN as u64) as f64);
    }
    best
}
