#!/usr/bin/env python3
"""Op-by-op simulation of ``jax.hessian(loss)(params)`` (= ``jacfwd(jacrev(loss))``, jax 0.10.2,
XLA CPU) of a flax ``nn.Dense`` MLP, scalar by scalar, in the framework's own operation order --
the spec ``rules = jax`` follows in Rust.  Reads an export folder of ``jax_export.py``
(problem.json, model/batch safetensors), computes the full Hessian at float32 and float64 and
reports how many entries equal ``hessian-jax-f32.npy`` / ``-f64.npy`` bit for bit.

    python scripts/frameworks/jax_rules_sim.py tests/data/frameworks/jax-tiny-identity-ce [...]

Arithmetic: NumPy ``float32``/``float64`` scalars (each op correctly rounded, as XLA's CPU code);
``fma(a, b, c)`` exact (``fractions``) then rounded once (f32: mpmath at 24 bits).

How it was read: ``jax.make_jaxpr(jax.hessian(loss))`` (the primitive order, which products are
transposed to which operand, ``add_any`` order), the optimized HLO of every eager op
(``XLA_FLAGS=--xla_dump_to=DIR --xla_dump_hlo_as_text``: which ops share one XLA computation, so
that LLVM may contract ``a·b + c``), and the committed Hessians themselves (every FMA site below
was tested fused and unfused against them).

# The graph (jacfwd = one dual number per Hessian column: value v, tangent t; constants --
# x, y and literals -- have a *symbolic* zero tangent: no 0·g term is ever formed)

Parameters' tangents: one-hot columns of ``jacfwd``'s basis (``1`` and ``+0``).

Dense (flax ``nn.Dense``: ``lax.dot_general(x, kernel)`` then ``y + reshape(bias, (1, d))``):
* value ``z = dot(a, W)``: XLA's dot, ``a₀·W₀`` then ``fma(a_k, W_k, acc)`` (``scalar::xla::dot``);
  tangent ``dot(ȧ, W) + dot(a, Ẇ)`` (``dot_general``'s bilinear JVP, lhs term first, ``add_any``),
  each tangent dot unfused, sequential; layer 1: ``dot(x, Ẇ)`` only (x constant).
  Then ``+ b``, tangent ``+ ḃ``.
* transposes (jaxpr: ``dot_general(ct, a)`` and ``dot_general(ct, W)``): ``∂W_ik = dot_n(ct_nk,
  a_ni)``, tangent ``dot(ċt, a) + dot(ct, ȧ)`` where ``dot(ċt, a)`` (the batched tangent dot
  over the N rows) is *fused* like the value, ``ċt₀a₀`` then ``fma`` (found on
  jax-tiny-identity-ce-sum, N = 2: unfused 34/36 at f32, fused 36/36; N = 1 problems can't tell); ``∂a_ni = dot_k(ct_nk, W_ik)``, tangent
  ``dot(ċt, W) + dot(ct, Ẇ)``; ``∂b_k = ct_k`` for N = 1 (same shapes: no broadcast), else
  ``reduce_sum`` over rows from ``+0``, in order (value and tangent).

Losses (cotangent of the network's output, with its tangent):
* ``mse`` / ``mse:sum`` (``jnp.mean|sum(jnp.square(y - pred))``): ``c = 1 ⊘ M`` (mean, M = N·d)
  or ``1``; ``r = 2·(y − a)``; ``ct = −(c·r)``, tangent ``−(c·(2·(−ȧ)))`` (``square_p``'s
  ``mul(g, mul(2, x))`` transposed, ``sub``'s ``neg``).
* ``softmax_cross_entropy[:sum]``: the cotangent reaching ``jit(log_softmax)`` is the constant
  ``ct_k = y_k·(−(1 ⊘ N))`` (mean: ``div`` by N transposed, ``neg``, ``mul(y, ·)`` transposed)
  and, for ``:sum`` (``reduce_sum`` transposed = broadcast of 1): ``ct_k = y_k·(−1)`` = ``−y_k``
  (``−0`` where y_k = 0) -- read from the jaxpr (``mul eo en``, en = ``neg`` of the broadcast 1),
  the only difference.  Then (jax.rs docs, ``jit_log_softmax`` fusions): ``e_k = exp(o_k − m)``
  (XLA's exp, tangent ``ȯ_k·e_k``), ``S = 0 + Σe_k``, ``A = 0 + Σct_k``, ``c_S = (−A)/S``,
  ``ċ_S = (Ṡ·A)·(1/(S·S))``; ``g_k = fma(c_S, e_k, ct_k)``, tangent ``fma(ċ_S, e_k, c_S·ė_k)``.

Activations (value, tangent; cotangent transpose, tangent of the cotangent):
* ``relu`` (jax.rs): ``select(x > 0, ·, +0)`` for all four.
* ``leaky_relu`` (``jax/_src/nn/functions.py`` ``leaky_relu``: ``@jit``,
  ``jnp.where(x >= 0, x, negative_slope * x)``, slope ``0.01`` as a weak-typed literal: f32
  ``0.01f`` = 0.009999999776482582, f64 ``0.01``).  HLO ``jit_leaky_relu`` (forward:
  ``multiply_select_fusion``): value ``select(x ≥ 0, x, x·0.01)``, tangent
  ``select(x ≥ 0, ẋ, ẋ·0.01)``.  Transposed (``jit_leaky_relu`` ``multiply_add_fusion``: the
  transposes of ``select_n`` and of ``mul``, summed by ``add_any`` in the same kernel):
  ``select(x≥0, ct, +0) + select(x≥0, +0, ct)·0.01``, i.e. ``ct + (+0)`` where x ≥ 0 (a ``−0``
  cotangent becomes ``+0``) and ``(+0) + ct·0.01`` elsewhere; its tangent the same map applied
  to ``ċt`` (same fusion, batched).  Fused or not, the same bits (one product is ``±0·0.01``).
* ``gelu_tanh`` (``jax.nn.gelu(x, approximate=True)``, NOT jitted in 0.10.2 -- its ``@jit`` is
  commented out (``functions.py`` ``gelu``): each ``jnp`` op is its own XLA computation).
  ``cdf = 0.5 * (1.0 + jnp.tanh(c2 * (x + c1 * x**3)))``, ``out = x * cdf``;
  ``c1 = 0.044715`` (weak literal: f32-rounded at f32), ``c2 = np.sqrt(2/np.pi).astype(dtype)``.
  Forward (primal + tangent per ``jnp`` op):
  ``x3 = (x·x)·x`` (``integer_pow`` lowering), ``ẋ3 = ẋ·(3·(x·x))``;
  ``t = c1·x3``, ``ṫ = c1·ẋ3``; ``v = x + t``, ``v̇ = ẋ + ṫ``; ``w = c2·v``, ``ẇ = c2·v̇``;
  ``z = tanh(w)`` (XLA's tanh), ``ż = fma(ẇ, z, ẇ)·(1 − z)`` (``jit_tanh``, as ``TanhJvp``),
  residual ``1 − z`` with tangent ``−ż``; ``bi = 1 + z``; ``cdf = 0.5·bi``, ``ċdf = 0.5·ż``;
  ``out = x·cdf``, tangent ``ẋ·cdf + x·ċdf`` (``jit_multiply`` ``multiply_add_fusion``: see
  FUSE below).  Residuals for the transpose: ``r3 = 3·(x·x)`` with tangent ``3·(ẋ·(2·x))``.
  Transpose (the linear jaxpr, ``jnp`` ops inlined, executed op by op: no contraction unless
  FUSE says so), ``ct`` the cotangent of ``out``:
  ``g1 = ct·cdf`` (tangent ``ċt·cdf + ct·ċdf``); ``h = x·ct`` (tangent ``ẋ·ct + x·ċt``);
  ``q = 0.5·h``; ``u = q·(1 − z)`` (tangent ``q̇·(1 − z) + q·(−ż)``); ``p = u·z`` (tangent
  ``u̇·z + u·ż``); ``s = u + p``; ``k = c2·s``; ``g2 = g1 + k``; ``m = c1·k``; ``g = g2 + m·r3``
  (tangent of ``m·r3``: ``ṁ·r3 + m·ṙ3``), every tangent the sum of its two products in that
  order, each rounded, unless FUSE.

Dot orders (``TANGENT_FMA``, ``PAIRWISE_TANGENT_SUM4``; fitted on the committed exports, then
then checked on four fresh held-out exports, not committed -- ``jax_export.py --layers 2,3,2
--activations sigmoid,sigmoid --n 4 --seed 11``: 289/289 at f32 and f64; ``--layers 2,2,2
--activations leaky_relu,tanh --n 2 --seed 14``: 144/144, 144/144; ``--layers 2,2,3 --activations
gelu_tanh,identity --loss softmax_cross_entropy:sum --n 2 --seed 13``: 225/225, 223/225;
``--layers 2,3,4 --activations relu,identity --loss softmax_cross_entropy --n 1 --seed 12``:
587/625, 613/625 -- the 4-class cross-entropy's orders are not settled):
* value dots: ``a₀b₀`` then ``fma`` (f64: from 4 terms on unfused, ``scalar::xla::dot``);
* forward tangent dots ``dot(ȧ, W)``, ``dot(a, Ẇ)`` and ``dot(ct, Ẇ)``: sequential, unfused (only
  one nonzero term in every problem here but zero signs);
* ``dot(ċt, a)`` over the N rows (``∂W``'s first tangent term): fused (``ċt₀a₀`` then fma) for
  N = 2 at both formats, N = 4 at f64; pairwise ``(p₀ + p₁) + (p₂ + p₃)`` for N = 4 at f32;
* ``dot(ct, ȧ)`` over the N rows: fused (N = 4, both formats);
* ``dot(ċt, W)`` over the output units (``∂a``'s first tangent term): f64 fused where K ≥ 3 or
  N > 1, unfused for K = 2, N = 1; f32 pairwise for K = 4, unfused otherwise;
* log_softmax's ``Ṡ`` over 4 classes: pairwise ``(ė₀ + ė₁) + (ė₂ + ė₃)`` (value S sequential).
These look like the shapes' kernels (XLA's dot emitter for the unbatched value, the batched
tangent dots another path), not a rule derived from XLA's source: treat them as measurements.

FUSE (set ``SITES``): which ``add`` of two products is one FMA (first product fused).  Measured
on jax-tiny-gelu-tanh-sum (2→2→2 gelu_tanh/gelu_tanh, mse:sum, 144 entries; all 144 equal at f32
and f64 with the defaults), flipping one site at a time (f32, f64 bits): ``gelu_out`` fused (else
106, 126), ``gelu_g1`` unfused (fused 136, 128), ``gelu_h`` unfused (126, 144), ``gelu_u``
unfused (113, 138), ``gelu_p`` unfused (130, 132), ``gelu_pow`` unfused (140, 130); the forward
tanh tangent ``fma(ẇ, z, ẇ)`` (unfused: 68, 76).  So only the forward JVP of each ``jnp`` op
(one jitted XLA computation: ``jit_multiply``'s ``multiply_add_fusion``, ``jit_tanh``) is
contracted; the transposes run op by op.

Zero signs (jax-tiny-relu-identity, where ``rules = jax`` in Rust gets 69/100 bits): this
simulation gets 100/100; it drops to 76 when the tangent of ``y − pred`` is ``0 − ṗ`` instead of
``neg(ṗ)`` (``sub``'s JVP with a symbolic-zero ``ẏ``), and to 69 when, in addition, the input x
gets a ``+0`` tangent (``ẋ·W`` terms formed in the first layer's tangent dot) -- the two
differences from JAX's graph.
"""

import json
import math
import os
import sys
from fractions import Fraction

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

import mpmath  # noqa: E402


# ------------------------------------------------------------------------------------------------
# arithmetic
# ------------------------------------------------------------------------------------------------

def fma(a, b, c):
    """a·b + c rounded once, in a's format (a, b, c NumPy scalars of one format)."""
    F = type(a)
    fa, fb, fc = float(a), float(b), float(c)
    if not (math.isfinite(fa) and math.isfinite(fb) and math.isfinite(fc)):
        return F(fa * fb + fc)
    p = Fraction(fa) * Fraction(fb)
    s = p + Fraction(fc)
    if s == 0:
        if p == 0 and fc == 0:
            pneg = math.copysign(1, fa) * math.copysign(1, fb) < 0
            return F(-0.0) if (pneg and math.copysign(1, fc) < 0) else F(0.0)
        return F(0.0)
    if F is np.float64:
        return F(float(s))
    r = mpmath.fdiv(s.numerator, s.denominator, prec=24, rounding="n")
    return F(float(r))


def exp_xla(x):
    """XLA's CPU exp (src/scalar/xla.rs exp_f32 / exp_f64)."""
    F = type(x)
    if F is np.float64:
        if x > 709.782712893384:
            return F(np.inf)
        if x < -708.3964185322641:
            return F(0.0)
        n = np.floor(fma(x, F(1.4426950408889634073599), F(0.5)))
        g = fma(-n, F(0.693145751953125), x)
        g = fma(-n, F(1.42860682030941723212e-6), g)
        g2 = g * g
        p = fma(F(1.26177193074810590878e-4), g2, F(3.02994407707441961300e-2))
        p = fma(p, g2, F(9.99999999999999999910e-1)) * g
        q = fma(F(3.00198505138664455042e-6), g2, F(2.52448340349684104192e-3))
        q = fma(q, g2, F(2.27265548208155028766e-1))
        q = fma(q, g2, F(2.0))
        t = p / (q - p)
        return F(math.ldexp(float(fma(t, F(2.0), F(1.0))), int(n)))
    f = np.float32
    x = min(max(x, f(-88.3762626647949)), f(88.3762626647950))
    n = np.floor(fma(x, f(1.44269504088896341), f(0.5)))
    r = fma(n, f(-0.693359375), x)
    r = fma(n, f(2.12194440e-4), r)
    z = r * r
    y = f(1.9875691500e-4)
    for c in (1.3981999507e-3, 8.3334519073e-3, 4.1665795894e-2, 1.6666665459e-1, 5.0000001201e-1):
        y = fma(y, r, f(c))
    y = fma(y, z, r) + f(1.0)
    return f(float(y) * math.ldexp(1.0, int(n)))


def tanh_xla(x):
    """XLA's CPU tanh (src/scalar/xla.rs tanh_f32 / tanh_f64)."""
    F = type(x)
    if F is np.float64:
        P = [2.6158007860482230e-23, 7.6534862268749319e-19, 3.1309488231386680e-15, 4.2303918148209176e-12,
             2.4618379131293676e-09, 6.8644367682497074e-07, 9.3839087674268880e-05, 5.9809711724441161e-03,
             1.5184719640284322e-01, 1.0]
        Q = [6.463747022670968018e-21, 5.782506856739003571e-17, 1.293019623712687916e-13, 1.123643448069621992e-10,
             4.492975677839633985e-08, 8.785185266237658698e-06, 8.295161192716231542e-04, 3.437448108450402717e-02,
             4.851805297361760360e-01, 1.0]
        c = F(17.6610191624600077)
        xc = min(max(x, -c), c)
    else:
        P = [-2.76076847742355e-16, 2.00018790482477e-13, -8.60467152213735e-11, 5.12229709037114e-08,
             1.48572235717979e-05, 6.37261928875436e-04, 4.89352455891786e-03]
        Q = [1.19825839466702e-06, 1.18534705686654e-04, 2.26843463243900e-03, 4.89352518554385e-03]
        if abs(x) < F(0.0004):
            return x
        c = F(7.99881172180175781)
        xc = min(max(x, -c), c)
    x2 = xc * xc

    def horner(cs):
        acc = F(cs[0])
        for k in cs[1:]:
            acc = fma(x2, acc, F(k))
        return acc
    return xc * horner(P) / horner(Q)


# ------------------------------------------------------------------------------------------------
# dual numbers: value v, tangent t (None = JAX's symbolic zero: no term formed)
# ------------------------------------------------------------------------------------------------

class D:
    __slots__ = ("v", "t")

    def __init__(self, v, t=None):
        self.v, self.t = v, t


def tadd(*ts):
    """add_any of tangents in order, symbolic zeros skipped."""
    ts = [t for t in ts if t is not None]
    if not ts:
        return None
    acc = ts[0]
    for t in ts[1:]:
        acc = acc + t
    return acc


def mul(a, b, fuse=False):
    """mul's bilinear JVP: ȧ·b + a·ḃ (lhs term first); fuse: fma(ȧ, b, a·ḃ)."""
    v = a.v * b.v
    if a.t is not None and b.t is not None and fuse:
        return D(v, fma(a.t, b.v, a.v * b.t))
    return D(v, tadd(None if a.t is None else a.t * b.v, None if b.t is None else a.v * b.t))


def cmul(c, a):
    """constant · dual."""
    return D(c * a.v, None if a.t is None else c * a.t)


def add(a, b):
    return D(a.v + b.v, tadd(a.t, b.t))


def neg(a):
    return D(-a.v, None if a.t is None else -a.t)


# Which batched tangent dots are fused (``ȧ₀b₀`` then ``fma``, like the value) rather than a
# sequential sum of rounded products, per format and per dot: ``gW1`` = dot(ċt, a) and ``gW2`` =
# dot(ct, ȧ) (the weight gradient's, contracting the N rows), ``ga1`` = dot(ċt, W) (the input
# gradient's, contracting the output units).  Measured (module docs).
TANGENT_FMA = {np.float32: lambda K, N: {"gW1": "pair4" if K == 4 else True, "gW2": True, "ga1": "pair4"},
               np.float64: lambda K, N: {"gW1": True, "gW2": True, "ga1": K >= 3 or N > 1}}
NROWS = [1]  # the batch rows N of the problem being simulated
# The tangent of a 4-element reduce_sum (log_softmax's Ṡ with 4 classes): pairwise
# (ė₀ + ė₁) + (ė₂ + ė₃) (measured at f64); the value sequential from +0.
PAIRWISE_TANGENT_SUM4 = True


def _tdot(pairs, fused):
    if fused == "pair4" and len(pairs) == 4:
        p = [x * y for x, y in pairs]
        return (p[0] + p[1]) + (p[2] + p[3])
    if fused == "pair4f" and len(pairs) == 4:
        (a0, b0), (a1, b1), (a2, b2), (a3, b3) = pairs
        return fma(a1, b1, a0 * b0) + fma(a3, b3, a2 * b2)
    fused = fused is True
    acc = None
    for x, y in pairs:
        if acc is None:
            acc = x * y
        else:
            acc = fma(x, y, acc) if fused else acc + x * y
    return acc


def dot(a, b, t1_site=None, t2_site=None):
    """XLA's dot of two dual vectors: value a₀b₀ then fma; tangent dot(ȧ, b) + dot(a, ḃ), each
    fused or not as ``TANGENT_FMA`` says for its site (unfused by default)."""
    F = type(a[0].v)
    v = a[0].v * b[0].v
    vf = F is np.float32 or len(a) <= 3  # xla.rs `dot`: at f64 from four terms on, unfused
    for k in range(1, len(a)):
        v = fma(a[k].v, b[k].v, v) if vf else v + a[k].v * b[k].v
    cfg = TANGENT_FMA[F]
    if callable(cfg):
        cfg = cfg(len(a), NROWS[0])
    t1 = _tdot([(ak.t, bk.v) for ak, bk in zip(a, b)], cfg.get(t1_site, False)) \
        if all(ak.t is not None for ak in a) else None
    t2 = _tdot([(ak.v, bk.t) for ak, bk in zip(a, b)], cfg.get(t2_site, False)) \
        if all(bk.t is not None for bk in b) else None
    return D(v, tadd(t1, t2))


def rsum(xs, F):
    """reduce_sum from +0, in order (value and tangent)."""
    v = F(0.0)
    t = None
    for x in xs:
        v = v + x.v
        if x.t is not None:
            t = (F(0.0) if t is None else t) + x.t
    return D(v, t)


# ------------------------------------------------------------------------------------------------
# activations: forward(z) -> (a, state); transpose(ct, state) -> ct_z
# ------------------------------------------------------------------------------------------------

SITES = {"gelu_out": True, "gelu_g1": False, "gelu_h": False, "gelu_u": False, "gelu_p": False,
         "gelu_pow": False}


def act_forward(name, z, F):
    if name == "identity":
        return z, None
    if name == "relu":
        pos = z.v > 0
        return (z if pos else D(F(0.0), None if z.t is None else F(0.0))), pos
    if name in ("sigmoid", "silu"):
        # logistic_impl 1/(1 + exp(−x)), XLA's exp; tangent ẋ·r, r = s·(1 − s) (jax.rs docs)
        sv = F(1.0) / (F(1.0) + exp_xla(-z.v))
        om = F(1.0) - sv
        r = sv * om
        sd = None if z.t is None else z.t * r
        rd = None if sd is None else fma(sd, om, sv * (-sd))
        sg = D(sv, sd)
        if name == "sigmoid":
            return sg, (sg, D(r, rd))
        # silu: x·s, tangent fma(ẋ, s, x·ṡ) (jit_silu)
        return mul(z, sg, fuse=True), (z, sg, D(r, rd))
    if name == "tanh":
        zt = tanh_xla(z.v)
        om = F(1.0) - zt
        zd = None if z.t is None else fma(z.t, zt, z.t) * om
        return D(zt, zd), (D(zt, zd), D(om, None if zd is None else -zd))
    if name == "leaky_relu":
        s = F(0.01)
        ge = z.v >= 0
        a = D(z.v if ge else z.v * s, None if z.t is None else (z.t if ge else z.t * s))
        return a, ge
    if name == "gelu_tanh":
        c1, c2 = F(0.044715), F(np.sqrt(2 / np.pi).astype(F))
        x = z
        xx = x.v * x.v
        x3 = D(xx * x.v, None if x.t is None else x.t * (F(3.0) * xx))
        r3 = D(F(3.0) * xx, None if x.t is None else F(3.0) * (x.t * (F(2.0) * x.v)))
        t = cmul(c1, x3)
        v = add(x, t)
        w = cmul(c2, v)
        zt = tanh_xla(w.v)
        om = F(1.0) - zt
        zd = None if w.t is None else fma(w.t, zt, w.t) * om
        zz = D(zt, zd)
        omd = D(om, None if zd is None else -zd)
        bi = D(F(1.0) + zt, zd)
        cdf = cmul(F(0.5), bi)
        out = mul(x, cdf, fuse=SITES["gelu_out"])
        return out, (x, cdf, zz, omd, r3, c1, c2)
    raise SystemExit(f"error: activation {name!r} not simulated")


def act_transpose(name, ct, st, F):
    if name == "identity":
        return ct
    if name == "relu":
        return ct if st else D(F(0.0), None if ct.t is None else F(0.0))
    if name == "sigmoid":
        return mul(ct, st[1])
    if name == "tanh":
        zz, omd = st
        u = mul(ct, omd)
        return add(u, mul(u, zz))
    if name == "silu":
        # fma(ct, s, (x·ct)·r); tangent fma(ċt, s, ct·ṡ) + fma(u̇, r, u·ṙ), u = x·ct (jit_silu)
        x, sg, r = st
        u = mul(x, ct, fuse=True)
        w = mul(u, r, fuse=True)
        a = mul(ct, sg, fuse=True)
        return D(fma(ct.v, sg.v, w.v), tadd(a.t, w.t))
    if name == "leaky_relu":
        s, z0 = F(0.01), F(0.0)

        def tr(c):
            return c + z0 if st else z0 + c * s
        return D(tr(ct.v), None if ct.t is None else tr(ct.t))
    if name == "gelu_tanh":
        x, cdf, zz, omd, r3, c1, c2 = st
        g1 = mul(ct, cdf, fuse=SITES["gelu_g1"])
        h = mul(x, ct, fuse=SITES["gelu_h"])
        q = cmul(F(0.5), h)
        u = mul(q, omd, fuse=SITES["gelu_u"])
        p = mul(u, zz, fuse=SITES["gelu_p"])
        s = add(u, p)
        k = cmul(c2, s)
        g2 = add(g1, k)
        m = cmul(c1, k)
        return add(g2, mul(m, r3, fuse=SITES["gelu_pow"]))
    raise SystemExit(f"error: activation {name!r} not simulated")


# ------------------------------------------------------------------------------------------------
# losses: cotangent of the output rows (list of lists of duals)
# ------------------------------------------------------------------------------------------------

def loss_ct(loss, out, y, F):
    N, d = len(out), len(out[0])
    if loss in ("mse", "mse:sum"):
        c = F(1.0) / F(N * d) if loss == "mse" else F(1.0)
        res = []
        for n in range(N):
            row = []
            for k in range(d):
                a = out[n][k]
                cn = y[n][k] - a.v
                r = F(2.0) * cn
                rd = None if a.t is None else F(2.0) * (-a.t)
                row.append(D(-(c * r), None if rd is None else -(c * rd)))
            res.append(row)
        return res
    if loss in ("softmax_cross_entropy", "softmax_cross_entropy:sum"):
        mc = -(F(1.0) / F(N)) if loss == "softmax_cross_entropy" else -F(1.0)
        res = []
        for n in range(N):
            row = out[n]
            m = max(a.v for a in row)
            es = []
            for a in row:
                sh = a.v - m
                e = exp_xla(sh)
                es.append(D(e, None if a.t is None else a.t * e))
            S = rsum(es, F)
            if PAIRWISE_TANGENT_SUM4 and d == 4 and S.t is not None:
                S = D(S.v, (es[0].t + es[1].t) + (es[2].t + es[3].t))
            cts = [y[n][k] * mc for k in range(d)]
            A = F(0.0)
            for c in cts:
                A = A + c
            cS = (-A) / S.v
            cSd = None if S.t is None else (S.t * A) * (F(1.0) / (S.v * S.v))
            g = []
            for k in range(d):
                v = fma(cS, es[k].v, cts[k])
                t = None
                if cSd is not None:
                    t = fma(cSd, es[k].v, cS * es[k].t)
                g.append(D(v, t))
            res.append(g)
        return res
    raise SystemExit(f"error: loss {loss!r} not simulated")


# ------------------------------------------------------------------------------------------------
# the Hessian
# ------------------------------------------------------------------------------------------------

def gradient(net, Ws, bs, Wt, bt, F):
    """(dW, db) as duals for one tangent direction (Wt, bt)."""
    x = [[D(F(v)) for v in row] for row in net.x.astype(F)]
    y = [[F(v) for v in row] for row in net.y.astype(F)]
    N = len(x)
    NROWS[0] = N
    L = len(Ws)
    acts, states = [x], []
    a = x
    for l in range(L):
        W = [[D(F(Ws[l][i, k]), F(Wt[l][i, k])) for k in range(Ws[l].shape[1])] for i in range(Ws[l].shape[0])]
        z = []
        for n in range(N):
            row = []
            for k in range(Ws[l].shape[1]):
                zk = dot(a[n], [W[i][k] for i in range(len(W))])
                if bs[l] is not None:
                    zk = add(zk, D(F(bs[l][k]), F(bt[l][k])))
                row.append(zk)
            z.append(row)
        pairs = [[act_forward(net.activations[l], zk, F) for zk in row] for row in z]
        a = [[p[0] for p in row] for row in pairs]
        states.append([[p[1] for p in row] for row in pairs])
        acts.append(a)
    ct = loss_ct(net.loss, a, y, F)
    dWs, dbs = [None] * L, [None] * L
    for l in range(L - 1, -1, -1):
        W = [[D(F(Ws[l][i, k]), F(Wt[l][i, k])) for k in range(Ws[l].shape[1])] for i in range(Ws[l].shape[0])]
        ctz = [[act_transpose(net.activations[l], ct[n][k], states[l][n][k], F) for k in range(len(ct[n]))]
               for n in range(N)]
        ap = acts[l]
        din, dout = Ws[l].shape
        dWs[l] = [[dot([ctz[n][k] for n in range(N)], [ap[n][i] for n in range(N)], "gW1", "gW2") for k in range(dout)]
                  for i in range(din)]
        if bs[l] is not None:
            dbs[l] = [ctz[0][k] if N == 1 else rsum([ctz[n][k] for n in range(N)], F) for k in range(dout)]
        if l > 0:
            ct = [[dot(ctz[n], W[i], "ga1") for i in range(din)] for n in range(N)]
    return dWs, dbs


def hessian(net, F):
    Ws = [np.asarray(W, F) for W in net.Ws]
    bs = [None if b is None else np.asarray(b, F) for b in net.bs]
    P = net.P
    H = np.zeros((P, P), F)
    for j in range(P):
        e = np.zeros(P, F)
        e[j] = 1
        Wt, bt = common.split_theta(e, net.layers, net.bias)
        dWs, dbs = gradient(net, Ws, bs, Wt, bt, F)
        col = []
        for l in range(len(Ws)):
            col += [dWs[l][i][k].t for i in range(len(dWs[l])) for k in range(len(dWs[l][0]))]
            if dbs[l] is not None:
                col += [d.t for d in dbs[l]]
        H[:, j] = [F(0.0) if t is None else t for t in col]
    return H


def bits_equal(a, b):
    a, b = np.asarray(a), np.asarray(b)
    return int(np.sum(a.view(np.uint32 if a.dtype == np.float32 else np.uint64)
                      == b.view(np.uint32 if b.dtype == np.float32 else np.uint64)))


def run(folder, verbose=False):
    net = common.load_net(folder)
    out = {}
    for F, tag in ((np.float32, "f32"), (np.float64, "f64")):
        H = hessian(net, F)
        ref = np.load(os.path.join(folder, f"hessian-jax-{tag}.npy"))
        eq = bits_equal(H, ref.astype(F))
        vals = int(np.sum(H == ref))
        out[tag] = (eq, vals, H.size)
        if verbose and eq < H.size:
            for i, j in zip(*np.nonzero(H.view(np.uint32 if F is np.float32 else np.uint64)
                                       != ref.astype(F).view(np.uint32 if F is np.float32 else np.uint64))):
                print(f"  {tag} H[{i},{j}] sim {H[i, j]!r} jax {ref[i, j]!r}")
    return out


def main():
    verbose = "-v" in sys.argv
    for folder in [a for a in sys.argv[1:] if a != "-v"]:
        r = run(folder, verbose)
        print(f"{os.path.basename(folder.rstrip('/'))}: f32 {r['f32'][0]}/{r['f32'][2]} bits "
              f"({r['f32'][1]} values), f64 {r['f64'][0]}/{r['f64'][2]} bits ({r['f64'][1]} values)")


if __name__ == "__main__":
    main()
