//! Reverse sweeps in lanes: `K` sweeps of one [`Tape`] run in one walk of it — lane `l` is the
//! sweep from its own output node — each lane bit for bit the [`Sweep`] from that output.
//!
//! [`Sweep`] is the definition: one walk per output, from the output down to the first node,
//! skipping the nodes the output does not depend on. A walk visits every node below the
//! output, so `K` walks cost `K` times the tape's traversal; here the `K` lanes share one. The
//! adjoints of a node are `K` contiguous values (`[R; K]`), and each node carries the mask of
//! the lanes that have reached it. A node is processed if any lane has reached it, for those
//! lanes only, and each of its contributions to an operand is, per lane, exactly the
//! definition's: a *set* where this is the lane's first contribution to the operand (no
//! `0 +`: signs of zeros, infinities and NaNs as the definition), else an addition (`mul_add`
//! under `fma`, as [`Sweep`]) — the per-lane operations and their order are the definition's,
//! lanes that have not reached a node send nothing from it, and an unreached adjoint reads as
//! zero. Where a contribution's lanes are all first or all later ones (almost always) it is one
//! loop over the `K` lanes, which the compiler vectorizes for `f32`/`f64`; on x86-64 with AVX
//! and FMA (checked at run time) the walk is compiled with those instructions enabled. That
//! changes no bit: Rust never contracts `a·b + c`, and `mul_add` is the correctly rounded fused
//! operation with or without the instruction.
//!
//! A rule node ([`RuleNode`]) runs the framework's kernel per lane, at lane `l`'s place in the
//! stacked tensors of the sweeps (sweep `row + l` of `rows`, as [`Sweep::run_row`]).
//!
//! Memory: `K` adjoints per node and worker. `rev-rev` runs the hardware and narrow formats in
//! lanes and the others (MPFR and its kin, whose arithmetic dwarfs the walk) one sweep at a
//! time (`hessian::rev_rev`); bit-identity to [`Sweep`] is tested for every format in
//! `tests/it/revrev_lanes.rs`.

use super::tape::{kernel_y_adjoint, NodeId, Op, RuleNode, Tape};
#[cfg(doc)]
use super::tape::Sweep;
use crate::scalar::rules::Lane;
use crate::scalar::Real;

/// Which lanes have reached a node in the current walk (`mask`, valid when `stamp` is the
/// walk's generation; zero otherwise).
#[derive(Clone, Copy, Default)]
struct Reach {
    stamp: u32,
    mask: u32,
}

/// Per-worker state of lane sweeps: `K` adjoints per node (`K` ≤ 32) and the lanes that reached it.
pub struct LaneSweep<R, const K: usize> {
    acc: LaneAcc<R, K>,
    /// The adjoints of the node being processed, swapped out of `acc.adj`.
    w: [R; K],
    /// `w / b` of a division; a rule node's kernel output.
    q: [R; K],
    /// A rule node's adjoint for its first operand.
    t1: [R; K],
    /// Scratch of the rule nodes (one lane at a time).
    t: [R; 2],
    /// Scratch of their kernels.
    ks: [R; 2],
}

/// Adjoints and reach masks.
struct LaneAcc<R, const K: usize> {
    adj: Vec<[R; K]>,
    reach: Vec<Reach>,
    generation: u32,
    tmp: [R; K],
    fma: bool,
}

/// The mask of all `K` lanes.
#[inline(always)]
const fn full<const K: usize>() -> u32 {
    if K >= 32 { u32::MAX } else { (1u32 << K) - 1 }
}

/// Runs `f` on every lane of `m`: one loop over all `K` lanes when `m` holds them all (the
/// loop that vectorizes), else lane by lane.
#[inline(always)]
fn each<const K: usize>(m: u32, mut f: impl FnMut(usize)) {
    if m == full::<K>() {
        for l in 0..K {
            f(l);
        }
    } else {
        let mut b = m;
        while b != 0 {
            f(b.trailing_zeros() as usize);
            b &= b - 1;
        }
    }
}

impl<R: Real, const K: usize> LaneSweep<R, K> {
    /// Buffers for lane sweeps over `tape`.
    pub fn new(tape: &Tape<R>, ctx: &R::RCtx) -> Self {
        assert!((1..=32).contains(&K), "1 to 32 lanes");
        let zero = &R::consts(ctx).zero;
        let lanes = || std::array::from_fn(|_| zero.clone());
        LaneSweep {
            acc: LaneAcc {
                adj: (0..tape.ops.len()).map(|_| lanes()).collect(),
                reach: vec![Reach::default(); tape.ops.len()],
                generation: 0,
                tmp: lanes(),
                fma: R::fma(ctx),
            },
            w: lanes(),
            q: lanes(),
            t1: lanes(),
            t: std::array::from_fn(|_| zero.clone()),
            ks: std::array::from_fn(|_| zero.clone()),
        }
    }

    /// Lane `l` (`l` < `outputs.len()` ≤ `K`) runs [`Sweep::run_row`] from `outputs[l]` as
    /// sweep `row + l` of `rows`; afterwards [`LaneSweep::adjoint`] gives each lane's adjoints.
    pub fn run_rows(&mut self, tape: &Tape<R>, outputs: &[NodeId], row: usize, rows: usize, ctx: &R::RCtx) {
        assert!(!outputs.is_empty() && outputs.len() <= K, "1 to {K} outputs");
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx") && std::arch::is_x86_feature_detected!("fma") {
            // SAFETY: the CPU has AVX and FMA (checked above).
            unsafe { self.run_avx(tape, outputs, row, rows, ctx) };
            return;
        }
        self.run(tape, outputs, row, rows, ctx)
    }

    /// [`LaneSweep::run`] compiled with AVX and FMA enabled (the same operations, bit for bit).
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx,fma")]
    unsafe fn run_avx(&mut self, tape: &Tape<R>, outputs: &[NodeId], row: usize, rows: usize, ctx: &R::RCtx) {
        self.run(tape, outputs, row, rows, ctx)
    }

    /// The walk: seeds each lane's output with 1, then processes every node some lane reached,
    /// from the highest output down.
    #[inline(always)]
    fn run(&mut self, tape: &Tape<R>, outputs: &[NodeId], row: usize, rows: usize, ctx: &R::RCtx) {
        let acc = &mut self.acc;
        acc.generation += 1;
        let g = acc.generation;
        for (l, &o) in outputs.iter().enumerate() {
            let r = &mut acc.reach[o as usize];
            if r.stamp != g {
                *r = Reach { stamp: g, mask: 0 };
            }
            r.mask |= 1 << l;
            acc.adj[o as usize][l].set(&R::consts(ctx).one, ctx);
        }
        let top = *outputs.iter().max().expect("an output") as usize;
        for k in (0..=top).rev() {
            let r = self.acc.reach[k];
            if r.stamp != g {
                continue;
            }
            // Operands precede their node, so node k's adjoints are final here.
            std::mem::swap(&mut self.w, &mut self.acc.adj[k]);
            self.node(tape, k, r.mask, row, rows, ctx);
            std::mem::swap(&mut self.w, &mut self.acc.adj[k]);
        }
    }

    /// Node `k`'s contributions to its operands, for the lanes `m` (its adjoints in `self.w`).
    #[inline(always)]
    fn node(&mut self, tape: &Tape<R>, k: usize, m: u32, row: usize, rows: usize, ctx: &R::RCtx) {
        let val = |i: NodeId| &tape.vals[i as usize];
        let (acc, w, q) = (&mut self.acc, &self.w, &mut self.q);
        match tape.ops[k] {
            Op::Const | Op::Var => {}
            Op::Add(a, b) => {
                acc.add(tape, a, w, m, ctx);
                acc.add(tape, b, w, m, ctx);
            }
            Op::Sub(a, b) => {
                acc.add(tape, a, w, m, ctx);
                acc.sub(tape, b, w, m, ctx);
            }
            Op::Mul(a, b) => {
                acc.add_product(tape, a, w, val(b), m, ctx);
                acc.add_product(tape, b, w, val(a), m, ctx);
            }
            Op::MulAdd(a, b, c) => {
                acc.add_product(tape, a, w, val(b), m, ctx);
                acc.add_product(tape, b, w, val(a), m, ctx);
                acc.add(tape, c, w, m, ctx);
            }
            Op::Div(a, b) => {
                let (vb, vk) = (val(b), val(k as NodeId));
                each::<K>(m, |l| q[l].set_div(&w[l], vb, ctx));
                acc.add(tape, a, q, m, ctx);
                // −(q · (a/b))
                let tmp = &mut acc.tmp;
                each::<K>(m, |l| {
                    tmp[l].set_mul(&q[l], vk, ctx);
                    q[l].set_neg(&tmp[l], ctx);
                });
                acc.add(tape, b, q, m, ctx);
            }
            Op::Neg(a) => acc.sub(tape, a, w, m, ctx),
            Op::Unary(a, p) => acc.add_product(tape, a, w, &tape.partials[p as usize], m, ctx),
            Op::Dot(start, len) => {
                let pairs = &tape.lists[start as usize..(start + 2 * len) as usize];
                for ab in pairs.chunks_exact(2) {
                    acc.add_product(tape, ab[0], w, val(ab[1]), m, ctx);
                    acc.add_product(tape, ab[1], w, val(ab[0]), m, ctx);
                }
            }
            Op::Sum(start, len) => {
                for &a in &tape.lists[start as usize..(start + len) as usize] {
                    acc.add(tape, a, w, m, ctx);
                }
            }
            Op::Rule(r) => self.rule(tape, k as NodeId, tape.rules[r as usize], m, (row, rows), ctx),
        }
    }

    /// The adjoints of rule node `me` ([`RuleNode`], as the definition's `rule_adjoint`), lane
    /// by lane: lane `l` is sweep `row + l` of `rows`.
    #[inline(always)]
    fn rule(&mut self, tape: &Tape<R>, me: NodeId, node: RuleNode, m: u32, (row, rows): (usize, usize), ctx: &R::RCtx) {
        let val = |i: NodeId| &tape.vals[i as usize];
        let stack = |at: Lane, l: usize| Lane::new((row + l) * at.len + at.index, rows * at.len);
        let (acc, w, out, t1, ks) = (&mut self.acc, &self.w, &mut self.q, &mut self.t1, &mut self.ks);
        let [t0, scratch] = &mut self.t;
        match node {
            RuleNode::Act { k, a, at } => {
                // ā += k(y, w), y this node's value (or its operand's, `GradKernel::reads_input`)
                each::<K>(m, |l| k.outer().eval(&mut out[l], k.operand(val(a), val(me)), &w[l], stack(at, l), ks, ctx));
                acc.add(tape, a, out, m, ctx);
            }
            RuleNode::Kernel { k, y, dy, at } => {
                let (yv, dyv) = (val(y), val(dy));
                each::<K>(m, |l| kernel_y_adjoint(k, &w[l], yv, dyv, [&mut *t0, &mut t1[l], &mut *scratch], ctx));
                acc.add(tape, y, t1, m, ctx);
                each::<K>(m, |l| k.eval(&mut out[l], yv, &w[l], stack(at, l), ks, ctx));
                acc.add(tape, dy, out, m, ctx);
            }
            // a row's cross-entropy node reads which of the row's nodes its sweep has reached:
            // tapes with them run on the one-row sweep (`hessian::rev_rev`)
            RuleNode::Xent { .. } => unreachable!("a cross-entropy node in a lane sweep"),
        }
    }

    /// Lane `lane`'s adjoint of `node` after the last walk (zero if that lane never reached it).
    pub fn adjoint(&self, node: NodeId, lane: usize, ctx: &R::RCtx) -> R {
        let r = self.acc.reach[node as usize];
        if r.stamp == self.acc.generation && r.mask >> lane & 1 == 1 {
            self.acc.adj[node as usize][lane].clone()
        } else {
            R::consts(ctx).zero.clone()
        }
    }
}

impl<R: Real, const K: usize> LaneAcc<R, K> {
    /// Marks node `i` reached by the lanes `m`; `None` for constants (they need no adjoint),
    /// else the lanes for which this is the first contribution and those for which it is a later one.
    #[inline(always)]
    fn touch(&mut self, tape: &Tape<R>, i: NodeId, m: u32) -> Option<(u32, u32)> {
        if tape.is_const(i) {
            return None;
        }
        let r = &mut self.reach[i as usize];
        let had = if r.stamp == self.generation { r.mask } else { 0 };
        *r = Reach { stamp: self.generation, mask: had | m };
        Some((m & !had, m & had))
    }

    /// `adj[i] += c` in the lanes `m`
    #[inline(always)]
    fn add(&mut self, tape: &Tape<R>, i: NodeId, c: &[R; K], m: u32, ctx: &R::RCtx) {
        let Some((first, later)) = self.touch(tape, i, m) else { return };
        let a = &mut self.adj[i as usize];
        each::<K>(first, |l| a[l].set(&c[l], ctx));
        each::<K>(later, |l| a[l].add_assign(&c[l], ctx));
    }

    /// `adj[i] += −c` in the lanes `m` (negation exact)
    #[inline(always)]
    fn sub(&mut self, tape: &Tape<R>, i: NodeId, c: &[R; K], m: u32, ctx: &R::RCtx) {
        let Some((first, later)) = self.touch(tape, i, m) else { return };
        let (a, tmp) = (&mut self.adj[i as usize], &mut self.tmp);
        each::<K>(first, |l| a[l].set_neg(&c[l], ctx));
        each::<K>(later, |l| {
            tmp[l].set_neg(&c[l], ctx);
            a[l].add_assign(&tmp[l], ctx);
        });
    }

    /// `adj[i] += w·p` in the lanes `m` (fused under `fma`)
    #[inline(always)]
    fn add_product(&mut self, tape: &Tape<R>, i: NodeId, w: &[R; K], p: &R, m: u32, ctx: &R::RCtx) {
        let Some((first, later)) = self.touch(tape, i, m) else { return };
        let (a, tmp) = (&mut self.adj[i as usize], &mut self.tmp);
        each::<K>(first, |l| a[l].set_mul(&w[l], p, ctx));
        if self.fma {
            each::<K>(later, |l| a[l].mul_add_assign(&w[l], p, ctx));
        } else {
            each::<K>(later, |l| {
                tmp[l].set_mul(&w[l], p, ctx);
                a[l].add_assign(&tmp[l], ctx);
            });
        }
    }
}
