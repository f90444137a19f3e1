//! Hessian methods, each a composition of the generic model code with an AD scalar:
//!
//! | method | composition | unit of parallel work |
//! |---|---|---|
//! | `fwd-rev` | gradient code on [`Dual`](crate::ad::Dual), θ tangent = e_j → column j | a column |
//! | `rev-rev` | gradient code on [`TapeVar`](crate::ad::TapeVar), one reverse sweep per gᵢ → row i | a row |
//! | `fwd-fwd` | loss on [`HyperDual`](crate::ad::HyperDual), (ε₁, ε₂) = (e_i, e_j) → entry (i, j) | a row |
//! | `gauss-newton` | as `fwd-rev`, with the backward pass's Jacobian factors detached → `Jᵀ H_ℓ J e_j` | a column |
//! | `fd-grad-forward`, `fd-grad-central`, `fd-grad-central4` | differences of the exact gradient ([`fd`]) | a column |
//! | `fd-loss-4pt` | second differences of the loss ([`fd`]) | a row |
//! | `fd-loss-4pt-as-printed` | the TF2 article's Example 2 formula as printed ([`fd`]) | a row |
//!
//! The generalized Gauss–Newton matrix `G = Jᵀ H_ℓ J` (J = ∂a_L/∂θ, H_ℓ = ∂²L/∂a_L²) is the
//! Hessian without the terms that involve second derivatives of the network itself
//! (σ″ and the bilinear W·a coupling); it equals the Hessian when the network is linear in θ.
//! Column j is computed exactly as `fwd-rev` computes `H e_j`, except that in the backward pass
//! the cached `z`, `a` and θ are constants: only the loss gradient's tangent `H_ℓ J e_j` flows.
//!
//! Parallel work units are independent and results are placed by index, so the matrix is
//! bit-identical at any thread count.
//!
//! The method names and step rules are [`crate::method`]'s (re-exported here); a validated
//! request for one Hessian, computed in its format, is a [`Request`]; what a computation will
//! cost in memory before it runs is [`cost`].

pub mod cost;
pub mod fd;
mod fwd_fwd;
pub mod fwd_rev;
mod request;
pub mod rev_rev;

use std::borrow::Cow;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use rug::Float;

use crate::ad::LaneDot;
use crate::model::mlp::ActTable;
use crate::model::problem::Inputs;
use crate::model::Spec;
use crate::order::Eval;
use crate::packed::{PackedFloats, PackedMatrix};
use crate::scalar::fixed::{Fixed, FixedCtx};
use crate::scalar::precision::MpKernel;
use crate::scalar::{IeeeFormat, MpCtx, Precision, Real};

pub use crate::method::Method;
pub use request::{check_policy, check_rules, Computed, Request, Sink};

/// A P × P matrix of a format.
///
/// Values that own no heap memory (`f32`, `f64`, the f64-based `binary16`/`bfloat16`) are kept
/// as they are. MPFR numbers are kept **packed** ([`PackedMatrix`]: limbs, exponent and sign in
/// a flat buffer, no allocation per entry; 40 bytes per 256-bit entry instead of ~80) when the
/// matrix is built with [`Matrix::from_par_lines`], which packs each line as soon as the
/// worker that computed it returns it, so unpacked lines never coexist with the whole matrix.
/// [`Matrix::from_lines`] keeps what it is given as it is. Either way every entry reads back
/// bit for bit.
#[derive(Clone, Debug)]
pub struct Matrix<R: Real> {
    /// Dimension.
    pub p: usize,
    store: Store<R>,
}

#[derive(Clone, Debug)]
enum Store<R: Real> {
    /// Row-major, or column-major when `col_major`.
    Plain { data: Vec<R>, col_major: bool },
    /// Exact values, packed; `ctx` converts them back into the format.
    Packed { m: PackedMatrix, ctx: R::RCtx },
}

/// Runs `unit(state, u)` for u = 0..`units` on the current rayon pool and returns the results
/// in the order of u. One `state` per worker (from `init`: a worker's buffers are allocated
/// once, not once per rayon split — at MPFR precisions a workspace is thousands of
/// allocations), and units are handed out one at a time from a shared counter, so the workers
/// stay balanced however unequal the units. Which worker runs a unit never changes its result:
/// the results are the same at any thread count.
fn per_worker<T, O, I, F>(units: usize, init: I, unit: F) -> Vec<O>
where
    O: Send,
    I: Fn() -> T + Sync,
    F: Fn(&mut T, usize) -> O + Sync,
{
    let next = AtomicUsize::new(0);
    let slots: Vec<Mutex<Option<O>>> = (0..units).map(|_| Mutex::new(None)).collect();
    rayon::scope(|s| {
        for _ in 0..rayon::current_num_threads().min(units) {
            s.spawn(|_| {
                let mut state = init();
                loop {
                    let u = next.fetch_add(1, Ordering::Relaxed);
                    if u >= units {
                        break;
                    }
                    let out = unit(&mut state, u);
                    *slots[u].lock().expect("each slot has one writer") = Some(out);
                }
            });
        }
    });
    slots.into_iter().map(|m| m.into_inner().ok().flatten().expect("every unit ran")).collect()
}

impl<R: Real> Matrix<R> {
    /// From P rows (or columns, if `col_major`), each of length P, kept as they are.
    pub fn from_lines(p: usize, lines: Vec<Vec<R>>, col_major: bool) -> Self {
        debug_assert!(lines.len() == p && lines.iter().all(|l| l.len() == p));
        let mut data = Vec::with_capacity(p * p);
        for line in lines {
            data.extend(line);
        }
        Matrix { p, store: Store::Plain { data, col_major } }
    }

    /// Computes the P lines (rows, or columns if `col_major`) in parallel on the current rayon
    /// pool: `unit(state, u)` returns lines `u·per_unit .. min((u+1)·per_unit, P)`, each of
    /// length P, with `state` from `init` (one per worker, see `per_worker`). Each
    /// unit's lines go into the matrix as soon as they are returned — packed for MPFR
    /// formats, in place otherwise — so the matrix is built without a second copy.
    ///
    /// # Panics
    /// If a unit returns the wrong number of lines or a line of the wrong length (a bug of the
    /// caller, not of its input).
    pub fn from_par_lines<T, I, F>(p: usize, col_major: bool, per_unit: usize, ctx: &R::RCtx, init: I, unit: F) -> Self
    where
        T: Send,
        I: Fn() -> T + Sync + Send,
        F: Fn(&mut T, usize) -> Vec<Vec<R>> + Sync + Send,
    {
        let per_unit = per_unit.max(1);
        let expect = |u: usize, lines: &[Vec<R>]| {
            let n = per_unit.min(p - u * per_unit);
            assert!(
                lines.len() == n && lines.iter().all(|l| l.len() == p),
                "work unit {u} returned {} lines for {n} of length {p}",
                lines.len()
            );
        };
        let units = p.div_ceil(per_unit);
        if (!std::mem::needs_drop::<R>() && std::mem::size_of::<R>() <= 16) || !R::EXACT_FLOAT {
            // plain hardware and narrow values, and intervals (which no MPFR number packs):
            // each unit writes its own slice of the matrix (MPFR numbers and their fixed-width
            // twins are packed: a third of the bytes)
            let mut data = vec![R::consts(ctx).zero.clone(); p * p];
            let slices: Vec<Mutex<&mut [R]>> = data.chunks_mut((per_unit * p).max(1)).map(Mutex::new).collect();
            per_worker(units, init, |state, u| {
                let lines = unit(state, u);
                expect(u, &lines);
                let mut out = slices[u].lock().expect("each slice has one writer");
                for (o, v) in out.iter_mut().zip(lines.into_iter().flatten()) {
                    *o = v;
                }
            });
            drop(slices);
            return Matrix { p, store: Store::Plain { data, col_major } };
        }
        let prec = R::consts(ctx).one.to_float().prec();
        let groups: Vec<PackedFloats> = per_worker(units, init, |state, u| {
            let lines = unit(state, u);
            expect(u, &lines);
            let mut g = PackedFloats::with_capacity(prec, lines.len() * p);
            for line in lines {
                for v in line {
                    g.push(&v.to_float());
                }
            }
            g
        });
        let m = PackedMatrix::from_groups(p, col_major, per_unit, groups).expect("P lines of P values, checked per unit");
        Matrix { p, store: Store::Packed { m, ctx: ctx.clone() } }
    }

    /// This matrix with its upper triangle mirrored into the lower one (entry (i, j), j < i,
    /// becomes entry (j, i)), for a method whose entries (i, j) and (j, i) are the same
    /// operations on the same values (`fd-loss-4pt`): only the upper triangle has to be
    /// computed. Plain values are copied in place; packed ones go into a new packed matrix.
    pub(super) fn mirror_upper(self, ctx: &R::RCtx) -> Self {
        let p = self.p;
        if self.is_packed() {
            return Matrix::from_par_lines(p, false, 1, ctx, || (), |_, i| {
                vec![(0..p).map(|j| if j < i { self.get(j, i) } else { self.get(i, j) }.into_owned()).collect()]
            });
        }
        let Store::Plain { mut data, col_major } = self.store else { unreachable!("not packed") };
        for i in 0..p {
            for j in 0..i {
                data[Self::index(p, col_major, i, j)] = data[Self::index(p, col_major, j, i)].clone();
            }
        }
        Matrix { p, store: Store::Plain { data, col_major } }
    }

    /// Entry (i, j): borrowed when the matrix keeps the values as they are, rebuilt from the
    /// packed value (exactly) otherwise.
    #[inline]
    pub fn get(&self, i: usize, j: usize) -> Cow<'_, R> {
        match &self.store {
            Store::Plain { data, col_major } => Cow::Borrowed(&data[Self::index(self.p, *col_major, i, j)]),
            Store::Packed { m, ctx } => Cow::Owned(R::from_float(&m.get(i, j), ctx)),
        }
    }

    #[inline]
    fn index(p: usize, col_major: bool, i: usize, j: usize) -> usize {
        if col_major {
            j * p + i
        } else {
            i * p + j
        }
    }

    /// Entry (i, j) exactly, as an MPFR number (as [`Real::to_float`] gives it), into `out`.
    /// Packed entries are read without allocating once `out` has their precision.
    #[inline]
    pub fn float_into(&self, i: usize, j: usize, out: &mut Float) {
        match &self.store {
            Store::Plain { data, col_major } => *out = data[Self::index(self.p, *col_major, i, j)].to_float(),
            Store::Packed { m, .. } => m.get_into(i, j, out),
        }
    }

    /// Entry (i, j) exactly, as an MPFR number.
    pub fn float(&self, i: usize, j: usize) -> Float {
        let mut x = Float::new(64);
        self.float_into(i, j, &mut x);
        x
    }

    /// Entries (i, j) and (j, i) into `a` and `b` ([`Matrix::float_into`]), and whether they
    /// are bitwise equal in the format ([`Real::bits_eq`]).
    pub fn pair_into(&self, i: usize, j: usize, a: &mut Float, b: &mut Float) -> bool {
        self.float_into(i, j, a);
        self.float_into(j, i, b);
        match &self.store {
            Store::Plain { data, col_major } => {
                let at = |i, j| &data[Self::index(self.p, *col_major, i, j)];
                at(i, j).bits_eq(at(j, i))
            }
            // MPFR numbers: the same value with the same sign (of zero, of NaN)
            Store::Packed { .. } => a.bits_eq(b),
        }
    }

    /// Whether every entry is bitwise equal to `other`'s.
    pub fn bits_eq(&self, other: &Matrix<R>) -> bool {
        self.p == other.p
            && (0..self.p).all(|i| (0..self.p).all(|j| self.get(i, j).bits_eq(&other.get(i, j))))
    }

    /// The entries in storage order (rows, or columns when column-major), when they are kept as
    /// they are (not packed).
    pub fn plain_values(&self) -> Option<&[R]> {
        match &self.store {
            Store::Plain { data, .. } => Some(data),
            Store::Packed { .. } => None,
        }
    }

    /// Whether the entries are kept packed.
    pub fn is_packed(&self) -> bool {
        matches!(self.store, Store::Packed { .. })
    }

    /// Heap bytes of the entries (their own heap blocks included for MPFR numbers kept as they
    /// are: limbs plus an allocator header of 16 bytes, an estimate).
    pub fn heap_bytes(&self) -> usize {
        match &self.store {
            Store::Plain { data, .. } => {
                let own = if std::mem::needs_drop::<R>() {
                    data.first().map_or(0, |x| 8 * (x.to_float().prec() as usize).div_ceil(64) + 16)
                } else {
                    0
                };
                data.capacity() * std::mem::size_of::<R>() + data.len() * own
            }
            Store::Packed { m, .. } => m.heap_bytes(),
        }
    }

    /// The same exact values in format `S` (context `ctx`), which holds them: a packed matrix
    /// is kept as it is (only the context changes), plain values are converted one by one.
    pub fn recast<S: Real>(self, ctx: &S::RCtx) -> Matrix<S> {
        let p = self.p;
        match self.store {
            Store::Packed { m, .. } => Matrix { p, store: Store::Packed { m, ctx: ctx.clone() } },
            Store::Plain { data, col_major } => {
                Matrix { p, store: Store::Plain { data: data.iter().map(|v| S::from_float(&v.to_float(), ctx)).collect(), col_major } }
            }
        }
    }

    /// The exact values, packed ([`PackedMatrix`]; entries of MPFR formats at the format's
    /// precision). A matrix kept as it was given is packed line by line, from the last line,
    /// each freed as soon as it is packed.
    pub fn into_packed(self) -> PackedMatrix {
        match self.store {
            Store::Packed { m, .. } => m,
            Store::Plain { mut data, col_major } => {
                let p = self.p;
                let mut groups = Vec::with_capacity(p);
                for line in (0..p).rev() {
                    let mut g = PackedFloats::with_capacity(data[line * p].to_float().prec(), p);
                    for v in &data[line * p..] {
                        g.push(&v.to_float());
                    }
                    data.truncate(line * p);
                    groups.push(g);
                }
                groups.reverse();
                PackedMatrix::from_groups(p, col_major, 1, groups).expect("P lines of P values")
            }
        }
    }
}

/// Bytes per entry of a Hessian at one precision, for memory estimates.
///
/// A value held as it is costs `size_of` (4 for `f32`, 8 for `f64` and the f64-based
/// `binary16`/`bfloat16`) or, for MPFR numbers, the 32-byte `mpfr_t` plus its limbs in their own
/// heap block with ~16 bytes of allocator header. Packed ([`PackedFloats`]), a value of at
/// most 53 bits costs 8 bytes (`mp:≤53` 16, in case its exponent leaves f64's range) and a
/// wider one 8·(1 + ⌈bits/64⌉).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct EntryBytes {
    /// Held by the built matrix — also the peak while it is built: every method's lines go
    /// into their place or are packed as soon as they are computed
    /// ([`Matrix::from_par_lines`]), so lines and matrix never coexist.
    pub built: f64,
    /// Held once packed ([`Matrix::into_packed`]).
    pub packed: f64,
    /// Whether the built matrix is already packed.
    pub packed_when_built: bool,
}

impl EntryBytes {
    /// For a Hessian at `precision` (every method builds its matrix the same way).
    pub fn of(precision: Precision) -> Self {
        let limbs = |b: u32| 8.0 * f64::from(b.div_ceil(64));
        let (plain, mpfr) = match precision {
            Precision::F32 => (4.0, false),
            Precision::F64 => (8.0, false),
            // binary16 and bfloat16 run on f64 (see `Arith::dispatch`)
            Precision::Ieee(f) if f == IeeeFormat::BINARY16 || f == IeeeFormat::BFLOAT16 => (8.0, false),
            Precision::Ieee(f) => (32.0 + limbs(f.prec) + 16.0, true),
            Precision::Mp(b) => (32.0 + limbs(b) + 16.0, true),
        };
        let packed = match precision {
            Precision::Mp(b) if b <= 53 => 16.0,
            Precision::Mp(b) => 8.0 + limbs(b),
            _ => 8.0,
        };
        EntryBytes { built: if mpfr { packed } else { plain }, packed, packed_when_built: mpfr }
    }

    /// Peak of building the matrix and then packing it ([`Matrix::into_packed`]).
    pub fn packing(&self) -> f64 {
        if self.packed_when_built {
            self.built
        } else {
            self.built + self.packed
        }
    }
}

/// Computes the Hessian of `problem` (in format `R`) with `method`, in parallel on the current
/// rayon pool.
pub fn compute<R: LaneDot>(
    method: Method,
    spec: &Spec,
    n: usize,
    inputs: &Inputs<R>,
    eval: &Eval,
    ctx: &R::RCtx,
) -> Matrix<R> {
    compute_with(method, spec, n, inputs, eval, ctx, &Options::default())
}

/// [`compute`] at `mp:<ctx.prec>` on MPFR values, run on `kernel` ([`MpKernel`]): on the
/// fixed-width limbs when the precision fits them and every input is already a
/// `ctx.prec`-bit number (so the limbs hold it exactly), else on MPFR — the same bits either
/// way (`tests/it/mp_routing.rs`). An emulated IEEE format (`ctx.format`) runs on MPFR.
pub fn compute_mp(method: Method, spec: &Spec, n: usize, inputs: &Inputs<Float>, eval: &Eval, ctx: &MpCtx, kernel: MpKernel) -> Matrix<Float> {
    let exact = || [&inputs.x, &inputs.y, &inputs.theta].iter().all(|v| v.iter().all(|x| ctx.round(x).total_cmp(x).is_eq()));
    match kernel.limbs(ctx.prec) {
        Some(l) if ctx.format.is_none() && exact() => match l {
            4 => on_fixed::<4>(method, spec, n, inputs, eval, ctx),
            _ => on_fixed::<5>(method, spec, n, inputs, eval, ctx),
        },
        _ => compute(method, spec, n, inputs, eval, ctx),
    }
}

/// [`compute_mp`] on `L` limbs (the inputs exact at `ctx.prec` bits).
fn on_fixed<const L: usize>(method: Method, spec: &Spec, n: usize, inputs: &Inputs<Float>, eval: &Eval, ctx: &MpCtx) -> Matrix<Float> {
    let fctx = FixedCtx::<L>::new(ctx.prec, ctx.fma);
    let conv = |v: &[Float]| v.iter().map(|x| Fixed::<L>::from_float(x, &fctx)).collect::<Vec<_>>();
    let inputs = Inputs { x: conv(&inputs.x), y: conv(&inputs.y), theta: conv(&inputs.theta) };
    compute(method, spec, n, &inputs, eval, &fctx).recast(ctx)
}

/// Options of a Hessian computation.
#[derive(Clone, Debug)]
pub struct Options {
    /// Finite-difference step rule (ignored by the other methods).
    pub step: fd::StepRule,
    /// Tabulate the primal's activation derivatives once ([`ActTable`]) instead of recomputing
    /// them in every column/row/entry. Both give the same bits (tested); `false` is the
    /// straightforward path kept as the reference.
    pub reuse_primal: bool,
    /// `fwd-rev`/`gauss-newton`: process [`fwd_rev::LANES`] (`f32`: [`fwd_rev::WIDE_LANES`])
    /// columns per pass with vector tangents (bit-identical to one column per pass, tested;
    /// `false` is the reference path); `rev-rev` in hardware and narrow formats: run
    /// [`rev_rev::LANES`] (`f32`: [`rev_rev::WIDE_LANES`]) reverse sweeps per walk of the tape
    /// (bit-identical to one sweep per walk, tested; `false` is the reference path).
    pub vector_lanes: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options { step: fd::StepRule::Optimal, reuse_primal: true, vector_lanes: true }
    }
}

/// [`compute`] with explicit [`Options`].
pub fn compute_with<R: LaneDot>(
    method: Method,
    spec: &Spec,
    n: usize,
    inputs: &Inputs<R>,
    eval: &Eval,
    ctx: &R::RCtx,
    opts: &Options,
) -> Matrix<R> {
    if method.is_finite_difference() {
        let bits = R::consts(ctx).one.to_float().prec();
        let h = fd::steps(method, &opts.step, &inputs.theta, bits, ctx);
        return fd::hessian_with_steps(method, spec, n, inputs, eval, ctx, &h, opts.reuse_primal);
    }
    let table = opts
        .reuse_primal
        .then(|| {
            // the dot products' values serve only the passes at the primal's point
            let record_dots = matches!(method, Method::FwdRev | Method::GaussNewton);
            Arc::new(ActTable::compute(spec, n, &inputs.x, &inputs.theta, &inputs.y, eval, ctx, record_dots))
        });
    match method {
        Method::FwdRev => fwd_rev::hessian(spec, n, inputs, eval, ctx, false, table, opts.vector_lanes),
        Method::GaussNewton => fwd_rev::hessian(spec, n, inputs, eval, ctx, true, table, opts.vector_lanes),
        Method::RevRev => rev_rev::hessian(spec, n, inputs, eval, ctx, table, opts.vector_lanes),
        Method::FwdFwd => fwd_fwd::hessian(spec, n, inputs, eval, ctx, table),
        _ => unreachable!("finite differences handled above"),
    }
}

/// The loss and its gradient in format `R` (the primal computation every method builds on).
pub fn gradient<R: Real>(
    spec: &Spec,
    n: usize,
    inputs: &Inputs<R>,
    eval: &Eval,
    ctx: &R::RCtx,
) -> (R, Vec<R>) {
    let mut ws = crate::model::mlp::Workspace::new(spec, n, &inputs.x, ctx);
    crate::model::mlp::gradient(spec, n, &inputs.theta, &inputs.y, eval, &mut ws, ctx);
    (ws.loss, ws.grad)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scalar::hw::HwCtx;
    use crate::scalar::{MathLib, MpCtx};
    use rug::float::Special;

    /// Line `l` of a test matrix: ordinary values, and ±0, ±∞, NaN on the first line.
    fn line(l: usize, p: usize, prec: u32) -> Vec<Float> {
        (0..p)
            .map(|k| match (l, k) {
                (0, 0) => Float::with_val(prec, Special::NegZero),
                (0, 1) => Float::with_val(prec, Special::Infinity),
                (0, 2) => Float::with_val(prec, Special::Nan),
                _ => (Float::with_val(prec, (l * p + k) as f64 - 7.5) / 3u32) >> (l as i32 * 40),
            })
            .collect()
    }

    #[test]
    fn lines_built_in_parallel_equal_the_joined_lines() {
        let p = 11;
        for prec in [24, 53, 113, 256] {
            let ctx = MpCtx::new(prec, None, false);
            for (col_major, per_unit) in [(true, 1), (false, 3), (true, 8)] {
                let joined = Matrix::from_lines(p, (0..p).map(|l| line(l, p, prec)).collect(), col_major);
                let packed = Matrix::<Float>::from_par_lines(p, col_major, per_unit, &ctx, || (), |_, u| {
                    (u * per_unit..((u + 1) * per_unit).min(p)).map(|l| line(l, p, prec)).collect()
                });
                assert!(packed.is_packed() && !joined.is_packed());
                assert!(packed.bits_eq(&joined) && joined.bits_eq(&packed));
                let (mut a, mut b, mut c, mut d) = (Float::new(2), Float::new(2), Float::new(2), Float::new(2));
                for i in 0..p {
                    for j in 0..p {
                        assert!(packed.get(i, j).bits_eq(&joined.get(i, j)));
                        let same = packed.pair_into(i, j, &mut a, &mut b);
                        assert_eq!(same, joined.pair_into(i, j, &mut c, &mut d));
                        assert!(a.bits_eq(&c) && b.bits_eq(&d) && a.prec() == prec);
                    }
                }
                // one header word and the limbs per entry (one f64 word up to 53 bits)
                let words = if prec <= 53 { 1 } else { 1 + prec.div_ceil(64) as usize };
                let extra = p.div_ceil(per_unit) * std::mem::size_of::<PackedFloats>();
                assert_eq!(packed.heap_bytes(), p * p * words * 8 + extra);
                let (x, y) = (packed.clone().into_packed(), joined.into_packed());
                assert!(x.row_major().zip(y.row_major()).all(|(x, y)| x.bits_eq(&y) && x.prec() == y.prec()));
            }
        }
    }

    #[test]
    fn plain_values_are_placed_in_parallel_too() {
        let ctx = HwCtx::<f64>::new(MathLib::CoreMath, false);
        let p = 7;
        let f = |l: usize| (0..p).map(|k| (l * p + k) as f64 / 3.0 - 1.0).collect::<Vec<f64>>();
        let joined = Matrix::from_lines(p, (0..p).map(f).collect(), true);
        let placed = Matrix::<f64>::from_par_lines(p, true, 2, &ctx, || (), |_, u| (2 * u..(2 * u + 2).min(p)).map(f).collect());
        assert!(!placed.is_packed() && placed.bits_eq(&joined));
        assert_eq!(placed.heap_bytes(), p * p * 8);
        let packed = placed.into_packed();
        for i in 0..p {
            for j in 0..p {
                assert_eq!(packed.get(i, j), *joined.get(i, j));
            }
        }
    }
}
