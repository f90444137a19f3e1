//! A reverse-mode tape: every operation of the generic code is recorded as a node, and a
//! reverse sweep from one output node gives that output's gradient.
//!
//! `rev-rev` records the generic *gradient* code on [`TapeVar`]s, so each gradient component
//! gᵢ is a node; one reverse sweep per gᵢ yields the Hessian row i — exactly what TensorFlow's
//! `tape.jacobian(tape.gradient(loss, θ), θ)` does. [`Sweep`] is that sweep, the definition;
//! [`LaneSweep`](super::LaneSweep) runs K of them in one walk of the tape, each lane bit for bit
//! a [`Sweep`] (`rev-rev` uses it for the hardware and narrow formats).
//!
//! # Rounding in the reverse sweep
//! The adjoint of a node is the sum of the contributions of its consumers, accumulated in
//! reverse tape order (consumers recorded later contribute first). The first contribution
//! initializes the adjoint (as a framework's gradient aggregation does: no `0 +`), each later
//! one is added with one rounding. A contribution `w·p` (w the consumer's adjoint, p a partial
//! derivative) is rounded once and added (`no-fma`) or fused into the accumulation (`fma`).
//! Partials: `+`: 1; `−`: ±1 (negation is exact); `·`: the other operand's value;
//! `a/b`: `q = w/b` to `a` and `−(q·(a/b))` to `b`; `fma(a,b,c)`: b, a, 1; `f(a)`: f′(a) as
//! rounded when recorded; an exact dot product: the other operand of each pair; an exact sum: 1.
//! Nodes whose operands are all constants are constants themselves and receive nothing.
//!
//! # Framework rules
//! A [`RuleNode`] (recorded by `set_grad_kernel` / `set_fun_rule` under framework rules,
//! `crate::model::rules`) is differentiated by the framework's registered gradient instead:
//! its adjoints are computed as the framework's Python gradient function composes them (see
//! [`RuleNode`]), each added to its operand's adjoint as one contribution.

use std::cell::RefCell;

use crate::scalar::order::{PolicyDot, PolicyScratch, Strided};
use crate::scalar::rules::{self, GradKernel, Lane};
use crate::scalar::{Fun, Real, Scalar};

/// Index of a node on the tape.
pub type NodeId = u32;

/// One recorded operation.
#[derive(Clone, Copy, Debug)]
pub enum Op {
    /// A constant (inputs, targets, values computed from constants only).
    Const,
    /// An independent variable (a parameter θⱼ).
    Var,
    /// `a + b`
    Add(NodeId, NodeId),
    /// `a − b`
    Sub(NodeId, NodeId),
    /// `a · b`
    Mul(NodeId, NodeId),
    /// `a / b`
    Div(NodeId, NodeId),
    /// `a · b + c` fused
    MulAdd(NodeId, NodeId, NodeId),
    /// `−a`
    Neg(NodeId),
    /// `f(a)`; the derivative f′(a) is `Tape::partials[k]`
    Unary(NodeId, u32),
    /// Correctly rounded `Σ aᵢ·bᵢ`; pairs at `Tape::lists[start .. start + 2·len]`
    Dot(u32, u32),
    /// Correctly rounded `Σ aᵢ`; operands at `Tape::lists[start .. start + len]`
    Sum(u32, u32),
    /// A framework operation differentiated by the framework's registered gradient:
    /// `Tape::rules[k]` ([`RuleNode`]).
    Rule(u32),
}

/// A node recorded under a framework's derivative rules ([`crate::scalar::rules`]): its
/// adjoints are the framework's registered gradients, not the derivatives of the operations
/// that computed its value.
#[derive(Clone, Copy, Debug)]
pub enum RuleNode {
    /// `y = f(a)` (an activation) whose adjoint is `ā += k(y, w)`: TensorFlow's `_SigmoidGrad`,
    /// `_TanhGrad` (`math_grad.py`) calling the `SigmoidGrad`/`TanhGrad` kernels.
    Act {
        /// The kernel.
        k: GradKernel,
        /// The operand.
        a: NodeId,
        /// Its position in the tensor of the forward pass.
        at: Lane,
    },
    /// `g = k(y, dy)` whose adjoints are the kernel's registered gradient (`math_grad.py`):
    /// `_SigmoidGradGrad`: `gb = w·dy`, `ȳ += gb − (2·gb)·y`, `d̄y += SigmoidGrad(y, w)`;
    /// `_TanhGradGrad`: `ȳ += ((w·−2)·dy)·y`, `d̄y += TanhGrad(y, w)`; PyTorch's backward
    /// kernels by their `derivatives.yaml` entries (`kernel_y_adjoint`, `rev-rev` =
    /// `torch.autograd.functional.hessian`).
    Kernel {
        /// The kernel.
        k: GradKernel,
        /// Its first input (the activation's output).
        y: NodeId,
        /// Its second input (the incoming gradient).
        dy: NodeId,
        /// Its position in the tensor of the first gradient.
        at: Lane,
    },
    /// `b = backprop_k` of TensorFlow's `SoftmaxCrossEntropyWithLogits` for class `k` of a row
    /// of `len` logits, the row's `backprop` nodes recorded one after another (this one at
    /// `me`, the first at `me − k`); its adjoints are `_SoftmaxCrossEntropyWithLogitsGrad`'s
    /// second-order term (`nn_grad.py`), per row, with `w` the row's `backprop` adjoints and
    /// `s` TensorFlow's `softmax(logits)`: `l̄_j += 0·b_j + (w_j − Σ_i w_i·s_i)·s_j` (the dot
    /// left to right; `0·b_j`: the zero adjoint of the op's `loss` output times `backprop`).
    /// The row is handled once, at its last-recorded node the sweep reaches.
    Xent {
        /// Its class.
        k: u32,
        /// The row's width.
        len: u32,
        /// The row's logits at `Tape::lists[logits .. logits + len]`.
        logits: u32,
        /// The row's softmax values at `Tape::partials[softmax .. softmax + len]`.
        softmax: u32,
    },
}

/// The recorded computation.
#[derive(Debug)]
pub struct Tape<R> {
    /// Operations, in recording order.
    pub ops: Vec<Op>,
    /// The value of every node.
    pub vals: Vec<R>,
    /// Derivatives of unary nodes.
    pub partials: Vec<R>,
    /// Operand lists of exact dots and sums.
    pub lists: Vec<NodeId>,
    /// Nodes under a framework's rules ([`Op::Rule`]).
    pub rules: Vec<RuleNode>,
}

impl<R> Default for Tape<R> {
    fn default() -> Self {
        Tape { ops: Vec::new(), vals: Vec::new(), partials: Vec::new(), lists: Vec::new(), rules: Vec::new() }
    }
}

/// Context of a tape scalar: the format's context and the tape being recorded.
#[derive(Debug)]
pub struct TapeCtx<R: Real> {
    /// The underlying format.
    pub real: R::RCtx,
    /// The tape (interior mutability: the generic code passes contexts by shared reference).
    pub tape: RefCell<Tape<R>>,
}

impl<R: Real> TapeCtx<R> {
    /// An empty tape over `real`.
    pub fn new(real: R::RCtx) -> Self {
        TapeCtx { real, tape: RefCell::new(Tape::default()) }
    }

    /// Records an independent variable with value `v`.
    pub fn var(&self, v: &R) -> TapeVar<R> {
        let idx = self.tape.borrow_mut().push(Op::Var, v);
        TapeVar { v: v.clone(), idx }
    }
}

impl<R: Real> Tape<R> {
    fn push(&mut self, op: Op, v: &R) -> NodeId {
        let id = NodeId::try_from(self.ops.len()).expect("tape longer than 2^32 nodes");
        self.ops.push(op);
        self.vals.push(v.clone());
        id
    }

    /// Whether node `id` is a constant (it receives no adjoint).
    pub(super) fn is_const(&self, id: NodeId) -> bool {
        matches!(self.ops[id as usize], Op::Const)
    }
}

/// A value recorded on a tape.
#[derive(Clone, Debug)]
pub struct TapeVar<R> {
    /// Value.
    pub v: R,
    /// Its node.
    pub idx: NodeId,
}

impl<R: Real> TapeVar<R> {
    /// Records `self.v` as the result of the rule node `node`.
    fn record_rule(&mut self, node: RuleNode, args: &[NodeId], ctx: &TapeCtx<R>) {
        let k = {
            let mut tape = ctx.tape.borrow_mut();
            tape.rules.push(node);
            (tape.rules.len() - 1) as u32
        };
        self.record(Op::Rule(k), args, ctx);
    }

    /// Records `self.v` as the result of `op` (a constant if every operand is one).
    fn record(&mut self, op: Op, args: &[NodeId], ctx: &TapeCtx<R>) {
        let mut tape = ctx.tape.borrow_mut();
        let op = if args.iter().all(|&a| tape.is_const(a)) { Op::Const } else { op };
        self.idx = tape.push(op, &self.v);
    }
}

impl<R: Real> Scalar for TapeVar<R> {
    type Real = R;
    type Ctx = TapeCtx<R>;

    fn real_ctx(ctx: &Self::Ctx) -> &R::RCtx {
        &ctx.real
    }
    fn constant(c: &R, ctx: &Self::Ctx) -> Self {
        let idx = ctx.tape.borrow_mut().push(Op::Const, c);
        TapeVar { v: c.clone(), idx }
    }
    fn value(&self) -> &R {
        &self.v
    }
    fn set(&mut self, a: &Self, ctx: &Self::Ctx) {
        self.v.set(&a.v, &ctx.real);
        self.idx = a.idx;
    }
    fn set_add(&mut self, a: &Self, b: &Self, ctx: &Self::Ctx) {
        self.v.set_add(&a.v, &b.v, &ctx.real);
        self.record(Op::Add(a.idx, b.idx), &[a.idx, b.idx], ctx);
    }
    fn set_sub(&mut self, a: &Self, b: &Self, ctx: &Self::Ctx) {
        self.v.set_sub(&a.v, &b.v, &ctx.real);
        self.record(Op::Sub(a.idx, b.idx), &[a.idx, b.idx], ctx);
    }
    fn set_mul(&mut self, a: &Self, b: &Self, ctx: &Self::Ctx) {
        self.v.set_mul(&a.v, &b.v, &ctx.real);
        self.record(Op::Mul(a.idx, b.idx), &[a.idx, b.idx], ctx);
    }
    fn set_div(&mut self, a: &Self, b: &Self, ctx: &Self::Ctx) {
        self.v.set_div(&a.v, &b.v, &ctx.real);
        self.record(Op::Div(a.idx, b.idx), &[a.idx, b.idx], ctx);
    }
    fn set_mul_add(&mut self, a: &Self, b: &Self, c: &Self, ctx: &Self::Ctx) {
        self.v.set_mul_add(&a.v, &b.v, &c.v, &ctx.real);
        self.record(Op::MulAdd(a.idx, b.idx, c.idx), &[a.idx, b.idx, c.idx], ctx);
    }
    fn set_neg(&mut self, a: &Self, ctx: &Self::Ctx) {
        self.v.set_neg(&a.v, &ctx.real);
        self.record(Op::Neg(a.idx), &[a.idx], ctx);
    }
    fn add_assign(&mut self, b: &Self, ctx: &Self::Ctx) {
        let a = self.idx;
        self.v.add_assign(&b.v, &ctx.real);
        self.record(Op::Add(a, b.idx), &[a, b.idx], ctx);
    }
    fn mul_add_assign(&mut self, a: &Self, b: &Self, ctx: &Self::Ctx) {
        let c = self.idx;
        self.v.mul_add_assign(&a.v, &b.v, &ctx.real);
        self.record(Op::MulAdd(a.idx, b.idx, c), &[a.idx, b.idx, c], ctx);
    }
    fn set_fun(&mut self, f: Fun, a: &Self, ctx: &Self::Ctx) {
        let (mut d0, mut d1) = (a.v.clone(), a.v.clone());
        d0.set_fun_deriv(f, 0, &a.v, &ctx.real);
        d1.set_fun_deriv(f, 1, &a.v, &ctx.real);
        self.set_fun_known(a, [&d0, &d1, &d1], ctx);
    }
    fn set_fun_known(&mut self, a: &Self, d: [&R; 3], ctx: &Self::Ctx) {
        self.v.set(d[0], &ctx.real);
        let k = {
            let mut tape = ctx.tape.borrow_mut();
            tape.partials.push(d[1].clone());
            (tape.partials.len() - 1) as u32
        };
        self.record(Op::Unary(a.idx, k), &[a.idx], ctx);
    }
    /// Records the policy's value as a dot node whose partials are the other operands (exact
    /// linearization): `rev-rev`'s reverse sweep would not follow the policy, so requests refuse
    /// `rev-rev` with a policy (see `hessian::request`); this keeps the type total.
    fn dot_policy(
        &mut self,
        a: Strided<'_, Self>,
        b: Strided<'_, Self>,
        pd: &PolicyDot<'_>,
        s: &mut PolicyScratch,
        value: Option<&R>,
        ctx: &Self::Ctx,
    ) {
        let n = a.len();
        let v = match value {
            Some(v) => v.clone(),
            None => pd.dot(n, |k| &a.get(k).v, |k| &b.get(k).v, s, &ctx.real),
        };
        self.set_dot_exact((0..n).map(|k| (a.get(k), b.get(k))), ctx);
        self.v = v;
    }
    fn set_dot_exact<'a, I>(&mut self, terms: I, ctx: &Self::Ctx)
    where
        Self: 'a,
        I: Iterator<Item = (&'a Self, &'a Self)> + Clone,
    {
        self.v.set_dot_exact(terms.clone().map(|(a, b)| (&a.v, &b.v)), &ctx.real);
        let args: Vec<NodeId> = terms.flat_map(|(a, b)| [a.idx, b.idx]).collect();
        let (start, len) = {
            let mut tape = ctx.tape.borrow_mut();
            let start = tape.lists.len() as u32;
            tape.lists.extend_from_slice(&args);
            (start, (args.len() / 2) as u32)
        };
        self.record(Op::Dot(start, len), &args, ctx);
    }
    fn set_sum_exact<'a, I>(&mut self, terms: I, ctx: &Self::Ctx)
    where
        Self: 'a,
        I: Iterator<Item = &'a Self> + Clone,
    {
        self.v.set_sum_exact(terms.clone().map(|a| &a.v), &ctx.real);
        let args: Vec<NodeId> = terms.map(|a| a.idx).collect();
        let start = {
            let mut tape = ctx.tape.borrow_mut();
            let start = tape.lists.len() as u32;
            tape.lists.extend_from_slice(&args);
            start
        };
        self.record(Op::Sum(start, args.len() as u32), &args, ctx);
    }
    fn detach(&mut self, ctx: &Self::Ctx) {
        self.idx = ctx.tape.borrow_mut().push(Op::Const, &self.v);
    }
    fn set_grad_kernel(&mut self, k: GradKernel, y: &Self, dy: &Self, at: Lane, ctx: &Self::Ctx) {
        let mut t = [self.v.clone(), self.v.clone()];
        k.eval(&mut self.v, &y.v, &dy.v, at, &mut t, &ctx.real);
        self.record_rule(RuleNode::Kernel { k, y: y.idx, dy: dy.idx, at }, &[y.idx, dy.idx], ctx);
    }
    fn set_fun_rule(&mut self, k: GradKernel, a: &Self, at: Lane, ctx: &Self::Ctx) {
        k.forward(&mut self.v, &a.v, &ctx.real);
        self.record_rule(RuleNode::Act { k, a: a.idx, at }, &[a.idx], ctx);
    }
    fn set_xent_backprop(&mut self, logits: &[Self], y: &Self, k: usize, ctx: &Self::Ctx) {
        let (d, rc) = (logits.len(), &ctx.real);
        rules::xent_backprop(&mut self.v, |j| &logits[j].v, d, k, &y.v, rc);
        let (start, sm) = {
            let mut tape = ctx.tape.borrow_mut();
            let (start, sm) = (tape.lists.len() as u32, tape.partials.len() as u32);
            tape.lists.extend(logits.iter().map(|l| l.idx));
            for j in 0..d {
                let mut s = self.v.clone();
                rules::softmax(&mut s, |i| &logits[i].v, d, j, rc);
                tape.partials.push(s);
            }
            (start, sm)
        };
        let args: Vec<NodeId> = logits.iter().map(|l| l.idx).collect();
        let node = RuleNode::Xent { k: k as u32, len: d as u32, logits: start, softmax: sm };
        self.record_rule(node, &args, ctx);
    }
}

/// Per-worker state of reverse sweeps: adjoints and the sweep stamp of each node.
pub struct Sweep<R> {
    acc: Accumulator<R>,
    /// The adjoint of the node being processed, swapped out of `acc.adj`.
    w: R,
    /// `w / b` of a division.
    q: R,
    /// Scratch of the rule nodes.
    t: [R; 3],
    /// Scratch of their kernels.
    ks: [R; 2],
}

/// Adjoints, with a stamp per node telling whether this sweep has reached it yet.
struct Accumulator<R> {
    adj: Vec<R>,
    stamp: Vec<u32>,
    generation: u32,
    tmp: R,
    fma: bool,
}

impl<R: Real> Sweep<R> {
    /// Buffers for sweeps over `tape`.
    pub fn new(tape: &Tape<R>, ctx: &R::RCtx) -> Self {
        let zero = &R::consts(ctx).zero;
        Sweep {
            acc: Accumulator {
                adj: vec![zero.clone(); tape.ops.len()],
                stamp: vec![0; tape.ops.len()],
                generation: 0,
                tmp: zero.clone(),
                fma: R::fma(ctx),
            },
            w: zero.clone(),
            q: zero.clone(),
            t: std::array::from_fn(|_| zero.clone()),
            ks: std::array::from_fn(|_| zero.clone()),
        }
    }

    /// Reverse sweep from `output` with seed 1; afterwards [`Sweep::adjoint`] gives ∂output/∂node.
    pub fn run(&mut self, tape: &Tape<R>, output: NodeId, ctx: &R::RCtx) {
        self.run_row(tape, output, 0, 1, ctx)
    }

    /// [`Sweep::run`] as sweep `row` of `rows` run together: a framework that vectorizes the
    /// sweeps (TensorFlow's `jacobian`, `pfor`) runs each rule node's kernel once over the
    /// sweeps' stacked tensors, so an element's position there is `row·len + index`.
    pub fn run_row(&mut self, tape: &Tape<R>, output: NodeId, row: usize, rows: usize, ctx: &R::RCtx) {
        let acc = &mut self.acc;
        acc.generation += 1;
        let g = acc.generation;
        acc.adj[output as usize].set(&R::consts(ctx).one, ctx);
        acc.stamp[output as usize] = g;
        let val = |i: NodeId| &tape.vals[i as usize];
        for k in (0..=output as usize).rev() {
            if acc.stamp[k] != g {
                continue;
            }
            // Operands precede their node, so node k's adjoint is final here.
            std::mem::swap(&mut self.w, &mut acc.adj[k]);
            let w = &self.w;
            match tape.ops[k] {
                Op::Const | Op::Var => {}
                Op::Add(a, b) => {
                    acc.add(tape, a, w, ctx);
                    acc.add(tape, b, w, ctx);
                }
                Op::Sub(a, b) => {
                    acc.add(tape, a, w, ctx);
                    acc.sub(tape, b, w, ctx);
                }
                Op::Mul(a, b) => {
                    acc.add_product(tape, a, w, val(b), ctx);
                    acc.add_product(tape, b, w, val(a), ctx);
                }
                Op::MulAdd(a, b, c) => {
                    acc.add_product(tape, a, w, val(b), ctx);
                    acc.add_product(tape, b, w, val(a), ctx);
                    acc.add(tape, c, w, ctx);
                }
                Op::Div(a, b) => {
                    self.q.set_div(w, val(b), ctx);
                    acc.add(tape, a, &self.q, ctx);
                    // −(q · (a/b))
                    acc.tmp.set_mul(&self.q, val(k as NodeId), ctx);
                    self.q.set_neg(&acc.tmp, ctx);
                    acc.add(tape, b, &self.q, ctx);
                }
                Op::Neg(a) => acc.sub(tape, a, w, ctx),
                Op::Unary(a, p) => acc.add_product(tape, a, w, &tape.partials[p as usize], ctx),
                Op::Dot(start, len) => {
                    let pairs = &tape.lists[start as usize..(start + 2 * len) as usize];
                    for ab in pairs.chunks_exact(2) {
                        acc.add_product(tape, ab[0], w, val(ab[1]), ctx);
                        acc.add_product(tape, ab[1], w, val(ab[0]), ctx);
                    }
                }
                Op::Sum(start, len) => {
                    for &a in &tape.lists[start as usize..(start + len) as usize] {
                        acc.add(tape, a, w, ctx);
                    }
                }
                Op::Rule(_) => {
                    let stack = |at: Lane| Lane::new(row * at.len + at.index, rows * at.len);
                    rule_adjoint(acc, tape, k as NodeId, w, stack, (&mut self.t, &mut self.ks), ctx)
                }
            }
            std::mem::swap(&mut self.w, &mut acc.adj[k]);
        }
    }

    /// The adjoint of `node` after the last sweep (zero if the sweep never reached it).
    pub fn adjoint(&self, node: NodeId, ctx: &R::RCtx) -> R {
        let acc = &self.acc;
        if acc.stamp[node as usize] == acc.generation {
            acc.adj[node as usize].clone()
        } else {
            R::consts(ctx).zero.clone()
        }
    }
}

/// The adjoints of a rule node with adjoint `w` ([`RuleNode`]); `stack` places an element of
/// a kernel's tensor in the sweeps' stacked tensor.
fn rule_adjoint<R: Real>(
    acc: &mut Accumulator<R>,
    tape: &Tape<R>,
    me: NodeId,
    w: &R,
    stack: impl Fn(Lane) -> Lane,
    (t, ks): (&mut [R; 3], &mut [R; 2]),
    ctx: &R::RCtx,
) {
    let val = |i: NodeId| &tape.vals[i as usize];
    let Op::Rule(r) = tape.ops[me as usize] else { unreachable!("a rule node") };
    let [t0, t1, out] = t;
    match tape.rules[r as usize] {
        RuleNode::Act { k, a, at } => {
            // ā += k(y, w), y this node's value (or its operand's, `GradKernel::reads_input`)
            // (`outer`: the kernel PyTorch's outer pass runs with `GradMode` off)
            k.outer().eval(out, k.operand(val(a), val(me)), w, stack(at), ks, ctx);
            acc.add(tape, a, out, ctx);
        }
        RuleNode::Kernel { k, y, dy, at } => {
            let (yv, dyv) = (val(y), val(dy));
            kernel_y_adjoint(k, w, yv, dyv, [t0, t1, out], ctx);
            acc.add(tape, y, t1, ctx);
            k.eval(out, yv, w, stack(at), ks, ctx);
            acc.add(tape, dy, out, ctx);
        }
        RuleNode::Xent { k, len, logits, softmax } => xent_adjoint(acc, tape, me, w, (k, len, logits, softmax), (t0, t1, out), ctx),
    }
}

/// The adjoints of [`RuleNode::Xent`] node `me` (class `k` of a row of `len`) with adjoint
/// `w`: the whole row's, unless a later node of the row was reached (it did them).
fn xent_adjoint<R: Real>(
    acc: &mut Accumulator<R>,
    tape: &Tape<R>,
    me: NodeId,
    w: &R,
    (k, len, logits, softmax): (u32, u32, u32, u32),
    (u, t, out): (&mut R, &mut R, &mut R),
    ctx: &R::RCtx,
) {
    let first = me - k;
    if (k + 1..len).any(|j| acc.reached(first + j)) {
        return;
    }
    let zero = &R::consts(ctx).zero;
    let s = |j: u32| &tape.partials[(softmax + j) as usize];
    // u = squeeze(matmul(expand_dims(grad_grad, 1), expand_dims(softmax, 2)))
    for j in 0..len {
        let wj = acc.row_adjoint(first, k, j, w, zero);
        if j == 0 {
            u.set_mul(wj, s(0), ctx);
        } else {
            t.set_mul(wj, s(j), ctx);
            u.add_assign(t, ctx);
        }
    }
    for j in 0..len {
        // (grad_grad − u) * softmax, added to 0 · backprop
        t.set_sub(acc.row_adjoint(first, k, j, w, zero), u, ctx);
        out.set_mul(t, s(j), ctx);
        t.set_mul(zero, &tape.vals[(first + j) as usize], ctx);
        t.add_assign(out, ctx);
        acc.add(tape, tape.lists[(logits + j) as usize], t, ctx);
    }
}

/// The adjoint a framework's registered gradient of kernel `k` (a [`RuleNode::Kernel`] with
/// inputs `y`, `dy`) gives its first input `y` for the node's adjoint `w`: left in `t1`
/// (`t0` and `out` are scratch). The reverse sweeps with one and with several lanes
/// (`ad::sweep_lanes`) share it.
pub(super) fn kernel_y_adjoint<R: Real>(k: GradKernel, w: &R, yv: &R, dyv: &R, [t0, t1, out]: [&mut R; 3], ctx: &R::RCtx) {
    match k {
        // (JAX's rule: the same derivative; JAX rules do not run on a tape)
        GradKernel::SigmoidGrad | GradKernel::LogisticJvp => {
            // gb = grad * b; gb - 2.0 * gb * a
            t0.set_mul(w, dyv, ctx);
            t1.set_mul(&R::consts(ctx).two, t0, ctx);
            out.set_mul(t1, yv, ctx);
            t1.set_sub(t0, out, ctx);
        }
        GradKernel::TanhGrad | GradKernel::TanhJvp => {
            // grad * -2.0 * b * a
            out.set_mul(w, &R::consts(ctx).two, ctx);
            t0.set_neg(out, ctx);
            out.set_mul(t0, dyv, ctx);
            t1.set_mul(out, yv, ctx);
        }
        // PyTorch (`derivatives.yaml`, `output:`): grad * grad_output * (-2 * output + 1)
        GradKernel::SigmoidBackward => {
            out.set_mul(yv, &R::consts(ctx).two, ctx);
            t0.set_neg(out, ctx);
            out.set_add(t0, &R::consts(ctx).one, ctx);
            t0.set_mul(w, dyv, ctx);
            t1.set_mul(t0, out, ctx);
        }
        // grad * (-2 * output * grad_output)
        GradKernel::TanhBackward => {
            out.set_mul(yv, &R::consts(ctx).two, ctx);
            t0.set_neg(out, ctx);
            out.set_mul(t0, dyv, ctx);
            t1.set_mul(w, out, ctx);
        }
        // PyTorch (`derivatives.yaml`, `mse_loss_backward`, `self:`):
        // mse_loss_double_backward(grad * grad_output, self) = 2 * g, then div_(numel) (mean)
        GradKernel::MseBackward { numel } => {
            t0.set_mul(w, dyv, ctx);
            if numel == 0 {
                t1.set_mul(t0, &R::consts(ctx).two, ctx);
            } else {
                out.set_mul(t0, &R::consts(ctx).two, ctx);
                t1.set_div(out, &R::from_f64(f64::from(numel), ctx), ctx);
            }
        }
        // activations' gradients only (`RuleNode::Act`), never recorded as kernels
        GradKernel::ErfcGrad | GradKernel::SwishGrad => unreachable!("{k:?} as a kernel node"),
        // PyTorch's `silu` gradient is recorded op by op (`model::rules::pytorch`)
        GradKernel::SiluTorch | GradKernel::SiluBackward => unreachable!("{k:?} as a kernel node"),
        // PyTorch (`derivatives.yaml`, `gelu_backward`, `self:`): gelu_double_backward(grad,
        // grad_output, self) = (grad·grad_output)·(pdf·2 − sq·pdf)
        GradKernel::GeluTorch => rules::gelu_double_backward(t1, w, dyv, yv, ctx),
        // PyTorch (`threshold_backward`, `self:`): zeros_like(grad)
        GradKernel::ThresholdBackward => t1.set(&R::consts(ctx).zero, ctx),
        // PyTorch (`leaky_relu_backward`, `self:`): zeros_like(grad)
        GradKernel::LeakyReluBackward(_) => t1.set(&R::consts(ctx).zero, ctx),
        // PyTorch (`softplus_backward`, `self:`): softplus_double_backward(grad * grad_output, self)
        GradKernel::SoftplusBackward => {
            t0.set_mul(w, dyv, ctx);
            rules::softplus_double_backward(t1, t0, yv, ctx);
        }
        // TensorFlow (`nn_grad.py`, `_ReluGradGrad`, `_LeakyReluGradGrad`): zeros_like(x)
        GradKernel::ReluGrad | GradKernel::LeakyReluGrad { .. } => t1.set(&R::consts(ctx).zero, ctx),
        // TensorFlow's softplus gradient is recorded op by op (`model::rules::tensorflow`)
        GradKernel::SoftplusTf => unreachable!("{k:?} as a kernel node"),
    }
}

impl<R: Real> Accumulator<R> {
    /// Whether this sweep has reached node `i`.
    fn reached(&self, i: NodeId) -> bool {
        self.stamp[i as usize] == self.generation
    }

    /// The adjoint of node `first + j` of a row whose node `first + k` is being processed (its
    /// adjoint `w`, swapped out); `zero` where the sweep has not reached the node.
    fn row_adjoint<'a>(&'a self, first: NodeId, k: u32, j: u32, w: &'a R, zero: &'a R) -> &'a R {
        match j {
            _ if j == k => w,
            _ if self.reached(first + j) => &self.adj[(first + j) as usize],
            _ => zero,
        }
    }

    /// Marks node `i` reached; `None` for constants (they need no adjoint), else whether this
    /// is its first contribution.
    fn touch(&mut self, tape: &Tape<R>, i: NodeId) -> Option<bool> {
        if tape.is_const(i) {
            return None;
        }
        let first = self.stamp[i as usize] != self.generation;
        self.stamp[i as usize] = self.generation;
        Some(first)
    }

    /// `adj[i] += c`
    fn add(&mut self, tape: &Tape<R>, i: NodeId, c: &R, ctx: &R::RCtx) {
        match self.touch(tape, i) {
            None => {}
            Some(true) => self.adj[i as usize].set(c, ctx),
            Some(false) => self.adj[i as usize].add_assign(c, ctx),
        }
    }

    /// `adj[i] += −c` (negation exact)
    fn sub(&mut self, tape: &Tape<R>, i: NodeId, c: &R, ctx: &R::RCtx) {
        match self.touch(tape, i) {
            None => {}
            Some(true) => self.adj[i as usize].set_neg(c, ctx),
            Some(false) => {
                self.tmp.set_neg(c, ctx);
                self.adj[i as usize].add_assign(&self.tmp, ctx);
            }
        }
    }

    /// `adj[i] += w·p` (fused under `fma`)
    fn add_product(&mut self, tape: &Tape<R>, i: NodeId, w: &R, p: &R, ctx: &R::RCtx) {
        match self.touch(tape, i) {
            None => {}
            Some(true) => self.adj[i as usize].set_mul(w, p, ctx),
            Some(false) if self.fma => self.adj[i as usize].mul_add_assign(w, p, ctx),
            Some(false) => {
                self.tmp.set_mul(w, p, ctx);
                self.adj[i as usize].add_assign(&self.tmp, ctx);
            }
        }
    }
}
