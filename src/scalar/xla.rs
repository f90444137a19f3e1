//! XLA's CPU elementwise functions, bit for bit: the polynomial and rational approximations
//! XLA's CPU code generator emits instead of calling libm (jaxlib 0.10.2), with the FMA
//! contractions LLVM makes in them (`fmul` + `fadd` of one expression → one `fma`).
//!
//! Found by reading XLA's sources and confirmed against `jnp.exp` / `jnp.tanh` on 3000 random
//! points of each format (3000 of 3000 equal; without the contractions 2967 and 2991 of 3000
//! for `exp`, about 2000 for `tanh`):
//! * `tanh` (f32 and f64): `xla/service/llvm_ir/math_ops.cc`, `EmitFastTanh` /
//!   `EmitFastTanhF64` (Eigen's `ptanh_float` / `ptanh_double` rational interpolants): the
//!   input clamped, `x·P(x²)/Q(x²)` by Horner with fused steps; f32 returns `x` where
//!   `|x| < 0.0004`.
//! * `exp`, f64: `xla/codegen/intrinsic/exp.cc` (Cephes' `exp`, as Eigen's `pexp_double`):
//!   `n = ⌊x·log₂e + ½⌋`, `g = x − n·C1 − n·C2`, `e^g ≈ 1 + 2·P(g)/(Q(g) − P(g))`, times 2ⁿ.
//! * `exp`, f32: Cephes' `expf` polynomial (XLA's CPU `exp` of `float`): `n = ⌊x·log₂e + ½⌋`,
//!   `r = x − n·C1 − n·C2`, `e^r ≈ 1 + r + r²·P(r)`, times 2ⁿ.
//!
//! Arguments whose result is subnormal or overflows are outside what these were checked on.
//!
//! [`exp`] and [`tanh`] dispatch on the format: f32 and f64 (24 and 53 bits) get XLA's bits;
//! any other format (which has no XLA kernel) its own correctly rounded function.
#![allow(clippy::excessive_precision)]

use super::rules::bits_of;
use super::{Real, Scalar};

/// `x·2ⁿ` (exact while the result is normal).
fn ldexp64(x: f64, n: i32) -> f64 {
    let n = n.clamp(-2000, 2000);
    let (a, b) = (n / 2, n - n / 2);
    let p = |k: i32| f64::from_bits(((k + 1023) as u64) << 52);
    x * p(a) * p(b)
}

/// XLA's `exp` of a `double` (module docs).
pub fn exp_f64(x: f64) -> f64 {
    if x.is_nan() {
        return x;
    }
    let (hi, lo) = (709.782712893384, -708.3964185322641);
    if x > hi {
        return f64::INFINITY;
    }
    if x < lo {
        return 0.0;
    }
    let n = x.mul_add(1.4426950408889634073599, 0.5).floor();
    let g = (-n).mul_add(0.693145751953125, x);
    let g = (-n).mul_add(1.42860682030941723212e-6, g);
    let g2 = g * g;
    let p = 1.26177193074810590878e-4f64.mul_add(g2, 3.02994407707441961300e-2);
    let p = p.mul_add(g2, 9.99999999999999999910e-1) * g;
    let q = 3.00198505138664455042e-6f64.mul_add(g2, 2.52448340349684104192e-3);
    let q = q.mul_add(g2, 2.27265548208155028766e-1);
    let q = q.mul_add(g2, 2.0);
    let t = p / (q - p);
    ldexp64(t.mul_add(2.0, 1.0), n as i32)
}

/// XLA's `exp` of a `float` (module docs).
pub fn exp_f32(x: f32) -> f32 {
    if x.is_nan() {
        return x;
    }
    // the constants are `double`s rounded to `float` (`llvm::ConstantFP::get(type, double)`)
    let x = x.clamp(-88.3762626647949f64 as f32, 88.3762626647950f64 as f32);
    let n = x.mul_add(1.44269504088896341f64 as f32, 0.5).floor();
    let r = n.mul_add(-0.693359375, x);
    let r = n.mul_add(2.12194440e-4f64 as f32, r);
    let z = r * r;
    let mut y = 1.9875691500e-4f64 as f32;
    for c in [1.3981999507e-3f64, 8.3334519073e-3, 4.1665795894e-2, 1.6666665459e-1, 5.0000001201e-1] {
        y = y.mul_add(r, c as f32);
    }
    let y = y.mul_add(z, r) + 1.0;
    (f64::from(y) * ldexp64(1.0, n as i32)) as f32
}

/// XLA's `tanh` of a `double` (module docs).
pub fn tanh_f64(x: f64) -> f64 {
    const P: [f64; 10] = [
        2.6158007860482230e-23, 7.6534862268749319e-19, 3.1309488231386680e-15, 4.2303918148209176e-12, 2.4618379131293676e-09,
        6.8644367682497074e-07, 9.3839087674268880e-05, 5.9809711724441161e-03, 1.5184719640284322e-01, 1.0,
    ];
    const Q: [f64; 10] = [
        6.463747022670968018e-21, 5.782506856739003571e-17, 1.293019623712687916e-13, 1.123643448069621992e-10, 4.492975677839633985e-08,
        8.785185266237658698e-06, 8.295161192716231542e-04, 3.437448108450402717e-02, 4.851805297361760360e-01, 1.0,
    ];
    let c = 17.6610191624600077;
    let x = x.clamp(-c, c);
    let x2 = x * x;
    let horner = |cs: &[f64]| cs[1..].iter().fold(cs[0], |acc, &k| x2.mul_add(acc, k));
    x * horner(&P) / horner(&Q)
}

/// XLA's `tanh` of a `float` (module docs).
pub fn tanh_f32(x: f32) -> f32 {
    const P: [f32; 7] = [
        -2.76076847742355e-16, 2.00018790482477e-13, -8.60467152213735e-11, 5.12229709037114e-08, 1.48572235717979e-05, 6.37261928875436e-04, 4.89352455891786e-03,
    ];
    const Q: [f32; 4] = [1.19825839466702e-06, 1.18534705686654e-04, 2.26843463243900e-03, 4.89352518554385e-03];
    if x.abs() < 0.0004 {
        return x;
    }
    let c = 7.99881172180175781f32;
    let xc = x.clamp(-c, c);
    let x2 = xc * xc;
    let horner = |cs: &[f32]| cs[1..].iter().fold(cs[0], |acc, &k| x2.mul_add(acc, k));
    xc * horner(&P) / horner(&Q)
}

/// `out = f(x)` with XLA's CPU function `f32`/`f64` where the format is one of those, else
/// `own` (the format's correctly rounded function).
fn dispatch<R: Real>(out: &mut R, x: &R, ctx: &R::RCtx, f32f: fn(f32) -> f32, f64f: fn(f64) -> f64, own: fn(&mut R, &R, &R::RCtx)) {
    match bits_of::<R>(ctx) {
        24 => *out = R::from_f64(f64::from(f32f(x.to_f64() as f32)), ctx),
        53 => *out = R::from_f64(f64f(x.to_f64()), ctx),
        _ => own(out, x, ctx),
    }
}

/// `out = exp(x)` as XLA's CPU code computes it (f32, f64; other formats: correctly rounded).
pub fn exp<R: Real>(out: &mut R, x: &R, ctx: &R::RCtx) {
    dispatch(out, x, ctx, exp_f32, exp_f64, |o, a, c| o.set_exp(a, c));
}

/// `out = tanh(x)` as XLA's CPU code computes it (f32, f64; other formats: correctly rounded).
pub fn tanh<R: Real>(out: &mut R, x: &R, ctx: &R::RCtx) {
    dispatch(out, x, ctx, tanh_f32, tanh_f64, |o, a, c| o.set_tanh(a, c));
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Bit patterns of `jnp.tanh` / `jnp.exp` (jax 0.10.2, jaxlib CPU, `jax_enable_x64`) at
    /// six points (the f32 points, widened exactly for f64) — XLA's own output, an independent
    /// source; several differ from the correctly rounded value.
    #[test]
    fn equal_jax_bits() {
        let xs = [0.3f32, -0.7, 1.234, 2.5, 0.01, -3.3];
        let tanh32 = [1049962221u32, 3206199257, 1062731536, 1065128642, 1008981411, 3212791279];
        let exp32 = [1068288044u32, 1056850030, 1079760406, 1094904703, 1065437523, 1024922318];
        let tanh64 = [4598919441605971328u64, 13826990917323536765, 4605774914692404620, 4607061851116302785, 4576918037029353272, 13830529982732692358];
        let exp64 = [4608758042867918975u64, 4602617305580997428, 4614917219991387852, 4623047752462491835, 4607227680727735929, 4585476245896116614];
        for (i, &x) in xs.iter().enumerate() {
            assert_eq!(tanh_f32(x).to_bits(), tanh32[i], "tanh f32 {x}");
            assert_eq!(exp_f32(x).to_bits(), exp32[i], "exp f32 {x}");
            assert_eq!(tanh_f64(f64::from(x)).to_bits(), tanh64[i], "tanh f64 {x}");
            assert_eq!(exp_f64(f64::from(x)).to_bits(), exp64[i], "exp f64 {x}");
        }
        // and some differ from the correctly rounded values (else this test would prove little)
        let cr = xs.iter().filter(|&&x| tanh_f64(f64::from(x)) != f64::from(x).tanh()).count();
        assert!(cr > 0);
    }
}

/// XLA's CPU `dot` (the dot emitter's loop, jaxlib 0.10.2) as `jax.hessian` computes a matrix
/// product's dot product: the primal value `a₀·b₀`, then `acc = fma(a_k, b_k, acc)` for
/// `k = 1, 2, …` — sequential with every further term fused (at f64 only for up to three
/// terms; from four terms on every product rounded, `sequential` without FMA); the
/// derivative parts (which `jacfwd` computes as separate, batched dot products of the
/// tangents) in Clairaut's `sequential` order under the context's FMA policy. `value`, when
/// given, is the primal's value of the same dot (the model's table of a primal pass that ran
/// this function). Measured with `lax.dot_general` of one-hot-like operands that tell a fused
/// from a rounded product at each position: fused from the second term on for every `(M, K,
/// N)` with `M = N ∈ {1, 2, 3}`, `K ∈ {2, 3, 4}`, each contraction layout (`x·W`, `aᵀ·G`,
/// `G·Wᵀ`), and for `(1, 2, 1)`, `(1, 2, 2)`, `(1, 2, 4)`, `(2, 2, 2)`, `(4, 2, 3)`, `(4, 3, 3)`;
/// not so (another order) for `(1, 3, 2)` at both formats and `(4, 4, 3)` at f64.
pub fn dot<S: Scalar>(
    out: &mut S,
    a: super::order::Strided<'_, S>,
    b: super::order::Strided<'_, S>,
    tmp: &mut S,
    value: Option<&S::Real>,
    ctx: &S::Ctx,
) {
    match value {
        Some(v) => out.dot_tangents_in_order(a, b, |k| k, tmp, v, ctx),
        None => out.dot_in_order(a, b, |k| k, tmp, ctx),
    }
    let rctx = S::real_ctx(ctx);
    let v = match value {
        Some(v) => v.clone(),
        None => {
            let fused = bits_of::<S::Real>(rctx) != 53 || a.len() <= 3;
            let mut v = a.get(0).value().clone();
            let mut t = v.clone();
            v.set_mul(a.get(0).value(), b.get(0).value(), rctx);
            for k in 1..a.len() {
                if fused {
                    v.mul_add_assign(a.get(k).value(), b.get(k).value(), rctx);
                } else {
                    t.set_mul(a.get(k).value(), b.get(k).value(), rctx);
                    v.add_assign(&t, rctx);
                }
            }
            v
        }
    };
    // the value replaced, the derivative parts kept (times 1: exact)
    let c = S::Real::consts(rctx);
    let z = out.clone();
    out.set_fun_known(&z, [&v, &c.one, &c.zero], ctx);
}
