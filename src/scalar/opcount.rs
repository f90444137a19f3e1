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
        self.with_zeros(a.is_zero(), b.is_zero())
    }

    /// [`Op::of`] from whether each operand is zero.
    #[inline(always)]
    pub fn with_zeros(self, a_zero: bool, b_zero: bool) -> Op {
        match self {
            Op::AddSub if a_zero || b_zero => Op::AddSubZero,
            Op::Mul if a_zero || b_zero => Op::MulZero,
            Op::Fma if a_zero || b_zero => Op::FmaZero,
            Op::Div if a_zero => Op::DivZero,
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
