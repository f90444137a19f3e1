#!/usr/bin/env python3
"""A second, hardware-arithmetic check of the policy goldens written by policy.py.

policy.py computes with exact rationals.  This script recomputes every golden it can with a
different method: NumPy's IEEE float16/float32/float64 arithmetic, ml_dtypes' bfloat16 and OCP
float8 (e4m3fn, e5m2) casts, and the bit tricks of PTX cvt.rna.tf32 / truncation on f32 patterns.
A case it cannot do that way (round-to-nearest-away or truncation to f16/fp8, the e8m13 accumulator,
a sum that is not exact in float64) is skipped and counted.  It needs numpy and ml_dtypes, e.g. in a
venv outside the repository:

    python3 -m venv /tmp/v && /tmp/v/bin/pip install numpy ml_dtypes
    /tmp/v/bin/python scripts/golden/policy_crosscheck.py tests/data/golden
"""

import json
import os
import sys
from fractions import Fraction

import ml_dtypes
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from policy import parse_policy  # noqa: E402  (the preset table only, not the arithmetic)

F32, F64 = np.float32, np.float64
MAX = {"bf16": F32(ml_dtypes.finfo(ml_dtypes.bfloat16).max), "f16": F32(65504.0), "e4m3": F32(448.0),
       "e5m2": F32(57344.0), "tf32": np.uint32(0x7F7FE000).view(F32), "e8m13": np.uint32(0x7F7FFC00).view(F32),
       "f32": np.finfo(F32).max}
LOW_BITS = {"bf16": 16, "tf32": 13, "e8m13": 10}
CAST = {"f16": np.float16, "bf16": ml_dtypes.bfloat16, "e4m3": ml_dtypes.float8_e4m3fn, "e5m2": ml_dtypes.float8_e5m2}


class Skip(Exception):
    pass


def bits_round(x, k, mode):
    """Round an f32 to keep all but its k low bits, on the pattern (the tf32/bf16 hardware trick)."""
    if np.isnan(x):
        return x
    u = int(np.array(x, dtype=F32).view(np.uint32))
    half, mask = 1 << (k - 1), (1 << 32) - (1 << k)
    if mode == "rna":
        u += half
    elif mode == "rne":
        u += half - 1 + ((u >> k) & 1)
    return np.uint32(u & mask).view(F32)


def conv32(x, fmt, mode, sat):
    """An f32 converted to fmt, as a float64."""
    x = F32(x)
    if sat and not np.isnan(x):
        x = np.clip(x, -MAX[fmt], MAX[fmt])
    if fmt == "f32":
        return F64(x)
    if fmt in LOW_BITS:
        return F64(bits_round(x, LOW_BITS[fmt], mode))
    if mode != "rne":
        raise Skip
    return F64(np.array(x, dtype=F32).astype(CAST[fmt]).astype(F64))


def conv64(x, fmt, mode, sat):
    """A float64 converted to fmt (round to nearest even only), as a float64."""
    if mode != "rne" or fmt in ("tf32", "e8m13"):
        raise Skip
    x = F64(x)
    if sat and not np.isnan(x):
        x = np.clip(x, -F64(MAX[fmt]), F64(MAX[fmt]))
    if fmt == "f32":
        return F64(F32(x))
    return F64(np.array(x, dtype=F64).astype(CAST[fmt]).astype(F64))


def same(got, expected):
    if expected == "nan":
        return bool(np.isnan(got))
    return int(np.array(got, dtype=F64).view(np.uint64)) == int(expected, 16)


def check_conversions(path):
    g = json.load(open(path))
    ok = skipped = 0
    for grp in g["groups"]:
        for c in grp["cases"]:
            try:
                if "x" in c:
                    x = np.uint32(int(c["x"], 16)).view(F32)
                    got = conv32(x, grp["format"], grp["mode"], grp["sat"])
                else:
                    x = np.uint64(int(c["x64"], 16)).view(F64)
                    got = conv64(x, grp["format"], grp["mode"], grp["sat"])
            except Skip:
                skipped += 1
                continue
            assert same(got, c["expected"]), (grp["format"], grp["mode"], grp["sat"], c, got)
            ok += 1
    print(f"conversions: {ok} agree, {skipped} skipped")


def round_sum(acc, p, fmt):
    """round_fmt(acc + p) with one rounding, when acc + p is exact in float64."""
    s = F64(acc) + F64(p)
    if np.isfinite(s) and Fraction(float(s)) != Fraction(float(acc)) + Fraction(float(p)):
        raise Skip
    if fmt == "f32":
        return F64(F32(s))
    if fmt not in CAST:
        raise Skip
    return F64(np.array(s, dtype=F64).astype(CAST[fmt]).astype(F64))


def one_pass(a, b, pol, rev):
    prods = [conv32(x, pol["mul"], pol["mul_mode"], pol["sat"]) * conv32(y, pol["mul"], pol["mul_mode"], pol["sat"])
             for x, y in zip(a, b)]  # exact in float64: at most 48 significant bits
    if pol["prod"] == "rounded":
        prods = [round_sum(F64(0.0), p, pol["acc"]) if p != 0 else p for p in prods]
    prods = prods[::-1] if rev else prods
    k = pol["promote"] or len(prods)
    master = None
    for i in range(0, len(prods), k):
        g = prods[i:i + k]
        s = round_sum(F64(-0.0), g[0], pol["acc"])  # -0 + p = p exactly, then one rounding
        for p in g[1:]:
            s = round_sum(s, p, pol["acc"])
        master = s if master is None else F64(F32(master) + F32(s))
    return master


def split(x, mul, pieces):
    x = F32(x)
    hi = bits_round(x, 16 if mul == "bf16" else 13, "trunc")
    m = F32(x - hi)
    if mul == "tf32":
        return hi, m
    if pieces == 2:
        return hi, F32(np.array(m).astype(ml_dtypes.bfloat16))
    mid = bits_round(m, 16, "trunc")
    return hi, mid, F32(np.array(F32(m - mid)).astype(ml_dtypes.bfloat16))


def policy_dot(a, b, pol, rev):
    d = lambda x, y: F32(one_pass(x, y, pol, rev))
    z = lambda r: F32(0.0) if np.isnan(r) else r
    if pol["passes"] == "1":
        r = d(a, b)
    elif pol["passes"] == "x3":
        (ha, la), (hb, lb) = zip(*[split(x, pol["mul"], 2) for x in a]), zip(*[split(x, pol["mul"], 2) for x in b])
        r = F32(z(F32(d(la, hb) + d(ha, lb))) + d(ha, hb))
    else:
        (ha, ma, la), (hb, mb, lb) = zip(*[split(x, "bf16", 3) for x in a]), zip(*[split(x, "bf16", 3) for x in b])
        r = F32(d(ma, mb) + d(ha, lb))
        r = F32(F32(F32(r + d(la, hb)) + d(ha, mb)) + d(ma, hb))
        r = F32(z(r) + d(ha, hb))
    out = F64(r) if pol["out"] in ("f32", pol["acc"]) and pol["acc"] == "f32" else conv32(r, pol["out"], "rne", False)
    return F32(out)


def check_dots(path):
    g = json.load(open(path))
    ok = skipped = 0
    with np.errstate(all="ignore"):
        for i, c in enumerate(g["cases"]):
            pol = parse_policy(c["policy"])
            a = [np.uint32(int(h, 16)).view(F32) for h in c["a"]]
            b = [np.uint32(int(h, 16)).view(F32) for h in c["b"]]
            try:
                got = policy_dot(a, b, pol, c["order"] == "reversed")
            except Skip:
                skipped += 1
                continue
            if c["expected"] == "nan":
                assert np.isnan(got), (i, c["policy"], got)
            else:
                assert int(np.array(got).view(np.uint32)) == int(c["expected"], 16), (i, c["policy"], c["order"], c["n"], c["expected"], hex(int(np.array(got).view(np.uint32))))
            ok += 1
    print(f"dots: {ok} agree, {skipped} skipped")


if __name__ == "__main__":
    d = sys.argv[1] if len(sys.argv) > 1 else "tests/data/golden"
    with np.errstate(all="ignore"):
        check_conversions(os.path.join(d, "policy_convert.json"))
    check_dots(os.path.join(d, "policy_dots.json"))
