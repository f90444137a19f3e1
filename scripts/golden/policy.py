#!/usr/bin/env python3
"""Independent reference for Clairaut's precision-policy dot products (issue 13, point 6).

Written from the definition alone (POLICY-SPEC, issue 13; XLA's dot_algorithm_rewriter.cc for the
split passes), not from Clairaut's Rust code.  Pure Python 3 standard library: every value is exact
(fractions.Fraction), and every rounding is done by one explicit rule on that exact value.

Values: a finite non-zero value is a Fraction; +-0, +-inf and NaN are Python floats (so the sign of
zero is kept).  Formats, conversions, the policy dot and the preset table are below; `main` writes
the two golden files:

    python3 scripts/golden/policy.py --out-dir tests/data/golden

Conventions fixed here where the definition leaves room (the goldens avoid the undecided cases):
* `sat` applies to the `mul` conversions (the preset table marks it there); the `out` conversion is
  rne without saturation.  No golden case overflows in `out` with sat=on.
* Without `sat`, an infinite input converts to +-inf (NaN for e4m3, which has no infinities) in every
  mode, trunc included (it is not an overflow of a finite value).
* Overflow of a finite value: rne/rna -> +-inf (e4m3: NaN) when the magnitude rounded with unbounded
  exponent exceeds the format's max; trunc -> +-max; with `sat` -> +-max.
* The split passes mask the f32 bit pattern (as XLA does); NaN inputs in the goldens are only the
  quiet NaN 0x7fc00000 / 0xffc00000, which every reading of "truncate a NaN" leaves a NaN.
"""

import argparse
import json
import math
import random
import struct
import sys
from fractions import Fraction

NAN = float("nan")
INF = float("inf")


# ---------------------------------------------------------------------------------------------
# Formats

class Fmt:
    """A binary floating-point format: p significand bits (hidden bit included), emin, max."""

    def __init__(self, name, p, emin, emax, maxval, has_inf):
        self.name, self.p, self.emin, self.emax = name, p, emin, emax
        self.max = Fraction(maxval)
        self.has_inf = has_inf
        self.min_sub = Fraction(2) ** (emin - p + 1)
        self.min_normal = Fraction(2) ** emin


def _ieee_max(p, emax):
    return (2 - Fraction(2) ** (1 - p)) * Fraction(2) ** emax


FORMATS = {
    "f32": Fmt("f32", 24, -126, 127, _ieee_max(24, 127), True),
    "tf32": Fmt("tf32", 11, -126, 127, _ieee_max(11, 127), True),
    "bf16": Fmt("bf16", 8, -126, 127, _ieee_max(8, 127), True),
    "f16": Fmt("f16", 11, -14, 15, 65504, True),
    "e4m3": Fmt("e4m3", 4, -6, 8, 448, False),
    "e5m2": Fmt("e5m2", 3, -14, 15, 57344, True),
    "e8m13": Fmt("e8m13", 14, -126, 127, _ieee_max(14, 127), True),
}
MODES = ("rne", "rna", "trunc")


# ---------------------------------------------------------------------------------------------
# Exact values with IEEE specials

def is_nan(v):
    return isinstance(v, float) and v != v


def is_inf(v):
    return isinstance(v, float) and math.isinf(v)


def is_zero(v):
    return isinstance(v, float) and v == 0.0


def negative(v):
    """The sign bit of a non-NaN value."""
    if isinstance(v, Fraction):
        return v < 0
    return math.copysign(1.0, v) < 0


def from_float(x):
    """A Python float (exact binary64) to a value."""
    if math.isnan(x) or math.isinf(x) or x == 0.0:
        return x
    return Fraction(x)


def to_float(v):
    """A value known to be a binary64 number to a Python float (asserted exact)."""
    if isinstance(v, float):
        return v
    f = float(v)
    assert Fraction(f) == v, f"{v} is not a binary64 value"
    return f


def neg(v):
    return -v


def mul_exact(x, y):
    """IEEE multiplication without rounding."""
    if is_nan(x) or is_nan(y):
        return NAN
    sign = negative(x) != negative(y)
    if is_inf(x) or is_inf(y):
        if is_zero(x) or is_zero(y):
            return NAN
        return -INF if sign else INF
    if is_zero(x) or is_zero(y):
        return -0.0 if sign else 0.0
    return x * y


def add_exact(x, y):
    """IEEE addition without rounding; an exact zero sum of non-zeros is +0 (round to nearest)."""
    if is_nan(x) or is_nan(y):
        return NAN
    if is_inf(x) and is_inf(y):
        return x if negative(x) == negative(y) else NAN
    if is_inf(x):
        return x
    if is_inf(y):
        return y
    if is_zero(x) and is_zero(y):
        return -0.0 if (negative(x) and negative(y)) else 0.0
    if is_zero(x):
        return y
    if is_zero(y):
        return x
    s = x + y
    return s if s != 0 else 0.0


# ---------------------------------------------------------------------------------------------
# Conversion of an exact value to a format

def floor_log2(a):
    """floor(log2(a)) for a positive Fraction."""
    e = a.numerator.bit_length() - a.denominator.bit_length()
    while Fraction(2) ** e > a:
        e -= 1
    while Fraction(2) ** (e + 1) <= a:
        e += 1
    return e


def round_integer(m, mode):
    """Round a non-negative Fraction m to an integer by mode."""
    fl = m.numerator // m.denominator
    rem = m - fl
    half = Fraction(1, 2)
    if mode == "rne":
        up = rem > half or (rem == half and fl % 2 == 1)
    elif mode == "rna":
        up = rem >= half
    elif mode == "trunc":
        up = False
    else:
        raise ValueError(f"unknown mode {mode}")
    return fl + 1 if up else fl


def convert(v, fmt, mode="rne", sat=False):
    """The value v converted to format fmt (a name or Fmt) with mode; sat: saturating."""
    f = FORMATS[fmt] if isinstance(fmt, str) else fmt
    if is_nan(v) or is_zero(v):
        return v
    if is_inf(v):
        if sat:
            return -f.max if v < 0 else f.max
        return v if f.has_inf else NAN
    s, a = (v < 0), abs(v)
    e = max(floor_log2(a), f.emin)
    q = Fraction(2) ** (e - f.p + 1)
    r = round_integer(a / q, mode) * q
    if r > f.max:
        if sat or mode == "trunc":
            r = f.max
        elif f.has_inf:
            return -INF if s else INF
        else:
            return NAN
    if r == 0:
        return -0.0 if s else 0.0
    return -r if s else r


def round_f32(v):
    return convert(v, "f32", "rne", False)


# ---------------------------------------------------------------------------------------------
# f32 / f64 bit patterns

def f32_from_bits(u):
    return from_float(struct.unpack("<f", struct.pack("<I", u))[0])


def f32_bits(v):
    """Bit pattern of a value representable in f32 (asserted)."""
    if is_nan(v):
        return 0x7FC00000
    x = to_float(v)
    u = struct.unpack("<I", struct.pack("<f", x))[0]
    assert struct.unpack("<f", struct.pack("<I", u))[0] == x or math.isinf(x), f"{v} not an f32"
    assert from_float(struct.unpack("<f", struct.pack("<I", u))[0]) == v or is_inf(v)
    return u


def f64_from_bits(u):
    return from_float(struct.unpack("<d", struct.pack("<Q", u))[0])


def f64_bits(v):
    return struct.unpack("<Q", struct.pack("<d", to_float(v)))[0]


def hex32(u):
    return f"0x{u:08x}"


def hex64(u):
    return f"0x{u:016x}"


def mask_f32(v, low_bits):
    """Zero the low `low_bits` bits of the f32 pattern of v (XLA's truncation to bf16/tf32)."""
    if is_nan(v):
        return NAN
    u = f32_bits(v) & ~((1 << low_bits) - 1) & 0xFFFFFFFF
    return f32_from_bits(u)


# ---------------------------------------------------------------------------------------------
# Policies

PRESET_FIELDS = {
    # name: (mul, mul mode, acc, out, sat, promote, passes)
    "f32-f32-f32": ("f32", "rne", "f32", "f32", False, 0, "1"),
    "tf32-tf32-f32": ("tf32", "rna", "f32", "f32", False, 0, "1"),
    "tf32-tf32-f32-x3": ("tf32", "rna", "f32", "f32", False, 0, "x3"),
    "bf16-bf16-f32": ("bf16", "rne", "f32", "f32", False, 0, "1"),
    "bf16-bf16-f32-x3": ("bf16", "rne", "f32", "f32", False, 0, "x3"),
    "bf16-bf16-f32-x6": ("bf16", "rne", "f32", "f32", False, 0, "x6"),
    "f16-f16-f32": ("f16", "rne", "f32", "f32", False, 0, "1"),
    "f16-f16-f16": ("f16", "rne", "f16", "f16", False, 0, "1"),
    "bf16-bf16-bf16": ("bf16", "rne", "bf16", "bf16", False, 0, "1"),
    "e4m3-e4m3-f32": ("e4m3", "rne", "f32", "f32", True, 0, "1"),
    "e5m2-e5m2-f32": ("e5m2", "rne", "f32", "f32", True, 0, "1"),
    "torch-autocast-bf16": ("bf16", "rne", "f32", "bf16", False, 0, "1"),
    "fp8-e4m3-promote128": ("e4m3", "rne", "e8m13", "f32", True, 128, "1"),
}
PRESET_ALIASES = {
    "tf2-ampere": "tf32-tf32-f32",
    "jax-gpu-default": "tf32-tf32-f32",
    "jax-tpu-default": "bf16-bf16-f32",
    "torch-default": "f32-f32-f32",
}
PRESETS = list(PRESET_FIELDS) + list(PRESET_ALIASES)


def parse_policy(text):
    """'preset[,field=value]*' -> dict of fields."""
    parts = text.split(",")
    name = PRESET_ALIASES.get(parts[0], parts[0])
    if name not in PRESET_FIELDS:
        raise ValueError(f"unknown preset {parts[0]!r}")
    mul, mode, acc, out, sat, promote, passes = PRESET_FIELDS[name]
    pol = dict(mul=mul, mul_mode=mode, prod="exact", acc=acc, promote=promote, passes=passes,
               out=out, sat=sat, round="rne")
    for item in parts[1:]:
        key, _, val = item.partition("=")
        if key == "mul":
            f, _, m = val.partition(":")
            pol["mul"], pol["mul_mode"] = f, (m or "rne")
            assert f in FORMATS and pol["mul_mode"] in MODES, item
        elif key in ("acc", "out"):
            assert val in FORMATS, item
            pol[key] = val
        elif key == "prod":
            assert val in ("exact", "rounded"), item
            pol["prod"] = val
        elif key == "promote":
            pol["promote"] = int(val)
        elif key == "passes":
            assert val in ("1", "x3", "x6"), item
            pol["passes"] = val
        elif key == "sat":
            assert val in ("on", "off"), item
            pol["sat"] = val == "on"
        elif key == "round":
            assert val == "rne", "only rne is modelled here"
            pol["round"] = val
        else:
            raise ValueError(f"unknown field {key!r}")
    return pol


def accumulate(terms, acc):
    """acc = round(t0), then acc = round(acc + t) for each further term (one rounding each)."""
    s = convert(terms[0], acc)
    for t in terms[1:]:
        s = convert(add_exact(s, t), acc)
    return s


def one_pass(a, b, pol, reversed_order):
    """A full pass: mul conversion, products, accumulation (with promote) over all n terms."""
    conv = lambda x: convert(x, pol["mul"], pol["mul_mode"], pol["sat"])
    prods = [mul_exact(conv(x), conv(y)) for x, y in zip(a, b)]
    if pol["prod"] == "rounded":
        prods = [convert(p, pol["acc"]) for p in prods]
    if reversed_order:
        prods = prods[::-1]
    k = pol["promote"]
    if k == 0:
        return accumulate(prods, pol["acc"])
    groups = [prods[i:i + k] for i in range(0, len(prods), k)]
    master = round_f32(accumulate(groups[0], pol["acc"]))
    for g in groups[1:]:
        master = round_f32(add_exact(master, accumulate(g, pol["acc"])))
    return master


def split2(x, mul):
    """XLA's 2-piece split of an f32 value: (hi, lo)."""
    if mul == "bf16":
        hi = mask_f32(x, 16)
        return hi, convert(add_exact(x, neg(hi)), "bf16")
    assert mul == "tf32", mul
    hi = mask_f32(x, 13)
    return hi, add_exact(x, neg(hi))


def split3(x):
    """XLA's 3-piece bf16 split of an f32 value: (hi, mid, lo)."""
    hi = mask_f32(x, 16)
    m = add_exact(x, neg(hi))
    mid = mask_f32(m, 16)
    return hi, mid, convert(add_exact(m, neg(mid)), "bf16")


def nan_to_zero(v):
    return 0.0 if is_nan(v) else v


def policy_dot(a, b, pol, reversed_order=False):
    """The policy dot of two lists of f32 values; returns the exact result value (in `out`)."""
    d = lambda x, y: one_pass(x, y, pol, reversed_order)
    if pol["passes"] == "1":
        r = d(a, b)
    elif pol["passes"] == "x3":
        sa = [split2(x, pol["mul"]) for x in a]
        sb = [split2(x, pol["mul"]) for x in b]
        hi_a, lo_a = [s[0] for s in sa], [s[1] for s in sa]
        hi_b, lo_b = [s[0] for s in sb], [s[1] for s in sb]
        r = round_f32(add_exact(d(lo_a, hi_b), d(hi_a, lo_b)))
        r = round_f32(add_exact(nan_to_zero(r), d(hi_a, hi_b)))
    elif pol["passes"] == "x6":
        assert pol["mul"] == "bf16"
        sa = [split3(x) for x in a]
        sb = [split3(x) for x in b]
        hi_a, mid_a, lo_a = ([s[i] for s in sa] for i in range(3))
        hi_b, mid_b, lo_b = ([s[i] for s in sb] for i in range(3))
        r = round_f32(add_exact(d(mid_a, mid_b), d(hi_a, lo_b)))
        r = round_f32(add_exact(r, d(lo_a, hi_b)))
        r = round_f32(add_exact(r, d(hi_a, mid_b)))
        r = round_f32(add_exact(r, d(mid_a, hi_b)))
        r = round_f32(add_exact(nan_to_zero(r), d(hi_a, hi_b)))
    else:
        raise ValueError(pol["passes"])
    return convert(r, pol["out"], "rne", False)


# ---------------------------------------------------------------------------------------------
# Self-check of known values

def self_check():
    F, one = Fraction, Fraction(1)
    p2 = lambda e: F(2) ** e
    assert convert(one + p2(-11), "tf32", "rna") == one + p2(-10)
    assert convert(one + p2(-11), "tf32", "rne") == one
    assert convert(one + p2(-11), "tf32", "trunc") == one
    assert convert(one + 3 * p2(-11), "tf32", "rne") == one + p2(-9)  # tie, odd below -> up
    assert FORMATS["e4m3"].max == 448 and FORMATS["e5m2"].max == 57344 and FORMATS["f16"].max == 65504
    assert convert(F(448), "e4m3") == 448
    assert is_nan(convert(F(480), "e4m3")) and convert(F(480), "e4m3", sat=True) == 448
    assert convert(F(464), "e4m3") == 448  # tie between 448 and 480 -> even (448)
    assert is_nan(convert(F(464), "e4m3", "rna"))
    assert convert(F(480), "e4m3", "trunc") == 448 and is_nan(convert(INF, "e4m3"))
    assert convert(-INF, "e4m3", sat=True) == -448
    assert convert(F(57344), "e5m2") == 57344 and convert(F(61439), "e5m2") == 57344
    assert convert(F(61440), "e5m2") == INF and convert(F(61440), "e5m2", sat=True) == 57344
    assert convert(F(65504), "f16") == 65504 and convert(F(65519), "f16") == 65504
    assert convert(F(65520), "f16") == INF and convert(F(65520), "f16", "trunc") == 65504
    assert convert(one + p2(-8), "bf16") == one and convert(one + p2(-8), "bf16", "rna") == one + p2(-7)
    assert convert(p2(-25), "f16") == 0.0 and convert(p2(-25), "f16", "rna") == p2(-24)
    assert convert(3 * p2(-25), "f16") == p2(-23)  # 1.5 quanta -> 2 (even)
    assert convert(-p2(-25), "f16") == 0.0 and negative(convert(-p2(-25), "f16"))
    assert FORMATS["e4m3"].min_sub == p2(-9)
    assert convert(p2(-10), "e4m3") == 0.0 and convert(p2(-10), "e4m3", "rna") == p2(-9)
    assert convert(p2(-10), "e4m3", "trunc") == 0.0 and convert(p2(-11), "e4m3", "rna") == 0.0
    assert convert(F(3, 2) * p2(-9), "e4m3") == p2(-8)  # subnormal tie 1.5 quanta -> 2
    assert convert(p2(128), "f32") == INF and convert(p2(128), "f32", "trunc") == FORMATS["f32"].max
    assert convert(one + p2(-14), "e8m13") == one and convert(one + 3 * p2(-14), "e8m13") == one + p2(-12)
    assert f32_bits(mask_f32(f32_from_bits(0x3F812345), 16)) == 0x3F810000
    hi, lo = split2(f32_from_bits(0x3F812345), "tf32")
    assert f32_bits(hi) == 0x3F812000 and hi + lo == f32_from_bits(0x3F812345)
    # a dot: f32-f32-f32 is an FMA chain: 1 + 2^-24 + 2^-24 -> (1 + 2^-24 -> 1) + 2^-24 -> 1
    pol = parse_policy("f32-f32-f32")
    assert policy_dot([one, p2(-24), p2(-24)], [one, one, one], pol) == one
    assert policy_dot([p2(-24), p2(-24), one], [one, one, one], pol) == one + p2(-23)
    assert policy_dot([p2(-24), p2(-24), one], [one, one, one], pol, True) == one
    pol = parse_policy("bf16-bf16-f32-x3")
    assert policy_dot([INF], [one], pol) == INF  # lo = inf - inf = NaN, NaN -> 0 in the small passes
    assert is_nan(policy_dot([INF], [0.0], parse_policy("bf16-bf16-f32-x3")))
    assert negative(policy_dot([-0.0, -0.0], [one, one], parse_policy("f32-f32-f32")))
    assert not negative(policy_dot([-0.0, 0.0], [one, one], parse_policy("f32-f32-f32")))
    print("self-check ok", file=sys.stderr)


# ---------------------------------------------------------------------------------------------
# Golden inputs for conversions

def f32_next(v, up):
    """The f32 neighbour of a finite f32 value, toward +inf (up) or -inf."""
    u = f32_bits(v)
    if is_zero(v):
        u = 0x00000001 if up else 0x80000001
    elif negative(v) != up:
        u += 1
    else:
        u -= 1
    return f32_from_bits(u)


def representable_f32(v):
    return (not isinstance(v, Fraction)) or convert(v, "f32") == v


def representable_f64(v):
    if not isinstance(v, Fraction):
        return True
    try:
        return Fraction(float(v)) == v
    except OverflowError:
        return False


def tie(f, e, m):
    """The midpoint above significand m (integer) at exponent e of format f (quantum 2^(e-p+1))."""
    return (Fraction(m) + Fraction(1, 2)) * Fraction(2) ** (e - f.p + 1)


def conversion_values(f, rng):
    """Exact values (not yet checked for f32/f64) probing format f: boundaries, ties, random."""
    q_top = Fraction(2) ** (f.emax - f.p + 1)
    vals = [f.max, f.max + q_top / 2, f.max + q_top, 2 * f.max, f.max - q_top / 2, f.max - q_top,
            f.min_normal, f.min_normal - f.min_sub, f.min_normal - f.min_sub / 2, f.min_sub,
            f.min_sub / 2, f.min_sub * 3 / 2, f.min_sub / 4, f.min_sub * 3 / 4, f.min_sub * 5 / 2,
            Fraction(1), Fraction(3, 2), Fraction(1) + Fraction(2) ** (1 - f.p) / 2,
            Fraction(1) + 3 * Fraction(2) ** (1 - f.p) / 2]
    if f.name == "e4m3":
        vals += [Fraction(464), Fraction(465), Fraction(463), Fraction(480), Fraction(496), Fraction(512)]
    for _ in range(24):  # normal ties, both parities of the significand below
        e = rng.randint(f.emin, f.emax)
        m = rng.randint(2 ** (f.p - 1), 2 ** f.p - 1)
        vals.append(tie(f, e, m))
    for _ in range(10):  # subnormal ties
        vals.append(tie(f, f.emin, rng.randint(0, 2 ** (f.p - 1) - 1)))
    for _ in range(6):  # ties at the top binade
        vals.append(tie(f, f.emax, rng.randint(2 ** (f.p - 1), 2 ** f.p - 2)))
    vals = [v for v in vals if v != 0]
    return [(-v if rng.random() < 0.3 else v) for v in vals] + [-f.max, -(f.max + q_top / 2), -f.min_sub / 2]


def conversion_inputs(f, rng):
    """(kind, bits) pairs: kind "x" for f32 patterns, "x64" for f64 patterns."""
    out = [("x", u) for u in (0x00000000, 0x80000000, 0x7F800000, 0xFF800000, 0x7FC00000, 0xFFC00000,
                              0x00000001, 0x80000001, 0x00800000, 0x7F7FFFFF, 0xFF7FFFFF, 0x3F800000)]
    for v in conversion_values(f, rng):
        if representable_f32(v) and abs(v) <= FORMATS["f32"].max:
            out.append(("x", f32_bits(v)))
            for up in (False, True):  # the f32 neighbours of a tie or boundary
                w = f32_next(v, up)
                if not is_inf(w):
                    out.append(("x", f32_bits(w)))
        elif representable_f64(v):
            out.append(("x64", f64_bits(v)))
            u = f64_bits(v)
            out += [("x64", u - 1), ("x64", u + 1)]
    for _ in range(40):  # random f32 around the format's range
        e = rng.randint(f.emin - f.p - 3, f.emax + 2)
        v = convert((1 + Fraction(rng.getrandbits(23), 2 ** 23)) * Fraction(2) ** e, "f32")
        out.append(("x", f32_bits(-v if rng.random() < 0.5 else v)))
    for _ in range(12):  # random f32 over the whole range (no NaN payloads)
        u = rng.getrandbits(32)
        if (u >> 23) & 0xFF != 0xFF:
            out.append(("x", u))
    for _ in range(16):  # random f64 around the format's range (f32 conversions need them)
        e = rng.randint(f.emin - f.p - 3, min(f.emax + 2, 1023))
        v = (1 + Fraction(rng.getrandbits(52), 2 ** 52)) * Fraction(2) ** e
        out.append(("x64", f64_bits(-v if rng.random() < 0.5 else v)))
    seen, uniq = set(), []
    for item in out:
        if item not in seen:
            seen.add(item)
            uniq.append(item)
    return uniq


def expected_hex(v):
    return "nan" if is_nan(v) else hex64(f64_bits(v))


def convert_goldens(seed):
    groups = []
    for name, f in FORMATS.items():
        rng = random.Random(seed * 1000 + list(FORMATS).index(name))
        inputs = conversion_inputs(f, rng)
        for mode in MODES:
            for sat in (False, True):
                cases = []
                for kind, u in inputs:
                    x = f32_from_bits(u) if kind == "x" else f64_from_bits(u)
                    key = hex32(u) if kind == "x" else hex64(u)
                    cases.append({kind: key, "expected": expected_hex(convert(x, f, mode, sat))})
                groups.append({"format": name, "mode": mode, "sat": sat, "cases": cases})
    return groups


# ---------------------------------------------------------------------------------------------
# Golden dot cases

NS = (1, 2, 3, 5, 8, 17, 64, 130, 300)
KINDS = ("normal", "mixed", "cancel", "zeros", "short", "normal", "cancel", "special")

OVERRIDES = [
    "tf32-tf32-f32,mul=tf32:rne", "tf32-tf32-f32,mul=tf32:rna", "tf32-tf32-f32,mul=tf32:trunc",
    "tf32-tf32-f32-x3,mul=tf32:trunc", "bf16-bf16-f32,mul=bf16:rna", "f16-f16-f32,mul=f16:trunc",
    "f32-f32-f32,promote=2", "bf16-bf16-f32,promote=3", "tf32-tf32-f32,promote=128",
    "f16-f16-f16,promote=3", "bf16-bf16-bf16,promote=128", "fp8-e4m3-promote128,promote=2",
    "fp8-e4m3-promote128,promote=0", "bf16-bf16-f32-x6,promote=2", "tf32-tf32-f32-x3,promote=3",
    "f32-f32-f32,prod=rounded", "f16-f16-f16,prod=rounded", "bf16-bf16-bf16,prod=rounded",
    "bf16-bf16-f32,out=bf16", "f32-f32-f32,out=f16", "f32-f32-f32,out=bf16", "tf32-tf32-f32,out=bf16",
    "e4m3-e4m3-f32,sat=off", "e5m2-e5m2-f32,sat=off", "e4m3-e4m3-f32,sat=on",
    "e5m2-e5m2-f32,mul=e5m2:trunc,sat=on", "e4m3-e4m3-f32,mul=e4m3:rna,sat=off",
]


def exponent_range(pol):
    """Input exponents that mostly stay in the mul format's normal range."""
    return {"f16": (-6, 6), "e4m3": (-5, 6), "e5m2": (-9, 9)}.get(pol["mul"], (-10, 10))


def rand_f32(rng, elo, ehi, mant_bits=23):
    e = rng.randint(elo, ehi)
    m = Fraction(rng.getrandbits(mant_bits), 2 ** mant_bits) if mant_bits else Fraction(0)
    v = convert((1 + m) * Fraction(2) ** e, "f32")
    return -v if rng.random() < 0.5 else v


def vectors(kind, n, pol, rng):
    """Two f32 vectors of length n of the given kind."""
    elo, ehi = exponent_range(pol)
    r = lambda: rand_f32(rng, elo, ehi)
    if kind == "mixed":
        a = [rand_f32(rng, -30, 30) for _ in range(n)]
        b = [rand_f32(rng, -30, 30) for _ in range(n)]
    elif kind == "short":
        a = [rand_f32(rng, elo, ehi, rng.randint(0, 6)) for _ in range(n)]
        b = [rand_f32(rng, elo, ehi, rng.randint(0, 6)) for _ in range(n)]
    elif kind == "cancel":
        h = n // 2
        a = [r() for _ in range(n - h)]
        b = [r() for _ in range(n - h)]
        for j in range(h):  # the negated partner, a few f32 ulps off
            x = neg(a[j])
            for _ in range(rng.randint(0, 3)):
                x = f32_next(x, rng.random() < 0.5)
            a.append(x)
            b.append(b[j])
        perm = list(range(n))
        rng.shuffle(perm)
        a, b = [a[i] for i in perm], [b[i] for i in perm]
    elif kind == "zeros":
        z = lambda: -0.0 if rng.random() < 0.5 else 0.0
        a = [z() if rng.random() < 0.6 else r() for _ in range(n)]
        b = [z() if rng.random() < 0.6 else r() for _ in range(n)]
        if rng.random() < 0.5:  # all products zero: the sign of the zero result matters
            a = [z() for _ in range(n)]
    elif kind == "special":
        a = [r() for _ in range(n)]
        b = [r() for _ in range(n)]
        pick = rng.choice(["inf", "-inf", "nan", "huge", "tiny", "fp8over", "infpair"])
        i = rng.randrange(n)
        if pick in ("inf", "-inf"):
            a[i] = INF if pick == "inf" else -INF
        elif pick == "nan":
            b[i] = NAN
        elif pick == "huge":
            for j in rng.sample(range(n), max(1, n // 3)):
                a[j] = rand_f32(rng, 100, 127)
        elif pick == "tiny":
            for j in rng.sample(range(n), max(1, n // 2)):
                a[j] = rand_f32(rng, -149, -120)
        elif pick == "fp8over":
            for j in rng.sample(range(n), max(1, n // 3)):
                a[j] = rand_f32(rng, 8, 17)
        else:
            a[i], b[i] = INF, Fraction(1)
            j = (i + 1) % n
            a[j], b[j] = (INF, Fraction(-1)) if n > 1 else (a[j], b[j])
    else:
        a = [r() for _ in range(n)]
        b = [r() for _ in range(n)]
    return a, b


def dot_case(policy, order, a, b, kind):
    pol = parse_policy(policy)
    v = policy_dot(a, b, pol, order == "reversed")
    if not is_nan(v):
        assert representable_f32(v), (policy, v)
    return {"policy": policy, "order": order, "kind": kind, "n": len(a),
            "a": [hex32(f32_bits(x)) for x in a], "b": [hex32(f32_bits(x)) for x in b],
            "expected": "nan" if is_nan(v) else hex32(f32_bits(v))}


def dot_goldens(seed):
    cases = []
    policies = PRESETS + OVERRIDES
    for pi, policy in enumerate(policies):
        rng = random.Random(seed * 1000 + pi)
        pol = parse_policy(policy)
        plan = [(n, KINDS[(i + pi) % len(KINDS)]) for i, n in enumerate(NS)]
        plan += [(rng.choice(NS[:5]), k) for k in ("special", "special", "zeros", "cancel")]
        if "promote" in policy:
            plan += [(n, "normal") for n in (4, 6, 127, 128, 129, 256, 257)]
        if "sat" in policy or pol["mul"] in ("e4m3", "e5m2"):
            plan += [(n, "special") for n in (2, 3, 5, 8)]
        for i, (n, kind) in enumerate(plan):
            a, b = vectors(kind, n, pol, rng)
            if kind == "special" and pol["mul"] in ("e4m3", "e5m2") and i % 2 == 0:
                a[rng.randrange(n)] = rand_f32(rng, 8, 17)  # overflows the fp8 format
            orders = ("sequential", "reversed") if n in (5, 17, 130) else (("sequential", "reversed")[i % 2],)
            for order in orders:
                cases.append(dot_case(policy, order, a, b, kind))
    return cases


# ---------------------------------------------------------------------------------------------

def write_json(path, obj, list_key):
    """One case per line: readable diffs, modest size."""
    items = obj.pop(list_key)
    head = json.dumps(obj, indent=1)[:-2]
    body = ",\n".join(json.dumps(c, separators=(",", ":")) for c in items)
    with open(path, "w") as fh:
        fh.write(f'{head},\n "{list_key}": [\n{body}\n]\n}}\n')


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out-dir", default="tests/data/golden")
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--self-check", action="store_true", help="only assert the known values")
    args = ap.parse_args()
    self_check()
    if args.self_check:
        return
    command = "python3 scripts/golden/policy.py " + " ".join(sys.argv[1:])
    meta = {"generator": "scripts/golden/policy.py", "command": command.strip(),
            "python": sys.version.split()[0], "seed": args.seed}
    groups = convert_goldens(args.seed)
    write_json(f"{args.out_dir}/policy_convert.json", dict(meta, groups=groups), "groups")
    cases = dot_goldens(args.seed)
    write_json(f"{args.out_dir}/policy_dots.json", dict(meta, cases=cases), "cases")
    print(f"{sum(len(g['cases']) for g in groups)} conversions in {len(groups)} groups, "
          f"{len(cases)} dot cases", file=sys.stderr)


if __name__ == "__main__":
    main()
