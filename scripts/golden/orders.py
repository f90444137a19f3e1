#!/usr/bin/env python3
"""Golden values for Clairaut's reduction-shape orders (lanes:<w>, blocked:<b>, splitk:<k>).

An independent definition, written from the order table of `src/scalar/order/mod.rs`, not from
the Rust code: binary32 and binary64 dot products and sums of seeded vectors, in each order, with
and without FMA. Every operation is computed exactly with `fractions.Fraction` and rounded once
to the format by `round_to` (round to nearest, ties to even, gradual underflow, signed zeros by
IEEE 754 rules) -- so an FMA really is one rounding of the exact a*b + c. Every no-FMA result is
checked against the same computation in hardware arithmetic (Python floats for binary64,
numpy.float32 for binary32: both IEEE 754, correctly rounded).

Writes tests/data/golden/orders.json (see tests/data/golden/README.md for the command):
  vectors: [{id, format, a: [bits], b: [bits]}]      (bits: hex of the IEEE encoding)
  results: [{vector, order, dot: [no-fma bits, fma bits], sum: bits}]   (sum: of a alone)
"""

import argparse
import json
import math
import random
import struct
import sys
from fractions import Fraction

import numpy as np

FORMATS = {
    # name: (precision bits, emin, emax)
    "f32": (24, -126, 127),
    "f64": (53, -1022, 1023),
}

ORDERS = (
    ["sequential"]
    + [f"lanes:{w}" for w in (1, 2, 3, 4, 5, 8, 16, 32)]
    + [f"blocked:{b}" for b in (1, 2, 3, 4, 8, 32, 128)]
    + [f"splitk:{k}" for k in (1, 2, 3, 4, 7, 16)]
)


# ---------------------------------------------------------------- exact arithmetic, one rounding

def signbit(x):
    return math.copysign(1.0, x) < 0


def round_to(fmt, q):
    """The value of fmt nearest to the nonzero Fraction q (ties to even), as a Python float."""
    p, emin, emax = FORMATS[fmt]
    neg = q < 0
    a = -q if neg else q
    # e = floor(log2(a)), from the bit lengths, then corrected
    e = a.numerator.bit_length() - a.denominator.bit_length()
    if Fraction(2) ** e > a:
        e -= 1
    if Fraction(2) ** (e + 1) <= a:
        e += 1
    assert Fraction(2) ** e <= a < Fraction(2) ** (e + 1)
    quantum = Fraction(2) ** (max(e, emin) - p + 1)
    m = a / quantum
    f = m.numerator // m.denominator
    rem = m - f
    if rem > Fraction(1, 2) or (rem == Fraction(1, 2) and f % 2 == 1):
        f += 1
    r = f * quantum
    if r >= Fraction(2) ** (emax + 1):
        v = math.inf
    else:
        v = float(r)  # exact: r is representable in binary64
        assert Fraction(v) == r
    return -v if neg else v  # a result rounded to zero keeps the sign of q


def add(fmt, x, y):
    q = Fraction(x) + Fraction(y)
    if q == 0:
        # exact zero: -0 only for (-0) + (-0); x + (-x) is +0 under round-to-nearest
        both_neg_zero = x == 0 and y == 0 and signbit(x) and signbit(y)
        return -0.0 if both_neg_zero else 0.0
    return round_to(fmt, q)


def mul(fmt, x, y):
    q = Fraction(x) * Fraction(y)
    if q == 0:
        return -0.0 if signbit(x) != signbit(y) else 0.0
    return round_to(fmt, q)


def fma(fmt, a, b, c):
    """a*b + c with one rounding."""
    prod = Fraction(a) * Fraction(b)
    q = prod + Fraction(c)
    if q == 0:
        if prod == 0 and c == 0:
            prod_neg = signbit(a) != signbit(b)
            return -0.0 if (prod_neg and signbit(c)) else 0.0
        return 0.0
    return round_to(fmt, q)


# ---------------------------------------------------------------- the orders, from their definitions

class Exact:
    """Operations of one format, exactly rounded."""

    def __init__(self, fmt):
        self.fmt = fmt

    def add(self, x, y):
        return add(self.fmt, x, y)

    def mul(self, x, y):
        return mul(self.fmt, x, y)

    def fma(self, a, b, c):
        return fma(self.fmt, a, b, c)


class Hardware:
    """The same operations in hardware IEEE arithmetic (no FMA): a cross-check."""

    def __init__(self, fmt):
        self.t = np.float32 if fmt == "f32" else float

    def add(self, x, y):
        return float(self.t(x) + self.t(y))

    def mul(self, x, y):
        return float(self.t(x) * self.t(y))


def seq_dot(ar, pairs, use_fma):
    """((a0*b0 + a1*b1) + ...): first product rounded, then per term fma or rounded product + add."""
    a0, b0 = pairs[0]
    acc = ar.mul(a0, b0)
    for a, b in pairs[1:]:
        acc = ar.fma(a, b, acc) if use_fma else ar.add(acc, ar.mul(a, b))
    return acc


def seq_sum(ar, xs):
    acc = xs[0]
    for x in xs[1:]:
        acc = ar.add(acc, x)
    return acc


def reduce_in(order, ar, terms, seq):
    """`terms` (pairs or numbers) reduced in `order`; `seq` sums one non-empty run sequentially."""
    n = len(terms)
    name, _, param = order.partition(":")
    if name == "sequential":
        return seq(terms)
    k = int(param)
    if name == "lanes":
        # lane j: terms j, j+w, j+2w, ... ; an empty lane is absent (None)
        lanes = [seq(terms[j::k]) if terms[j::k] else None for j in range(k)]
        width = k
        while width > 1:
            half = -(-width // 2)  # ceil
            for i in range(width - half):
                if lanes[i + half] is not None:
                    lanes[i] = ar.add(lanes[i], lanes[i + half])
            width = half
        return lanes[0]
    if name == "blocked":
        parts = [terms[s:s + k] for s in range(0, n, k)]
    elif name == "splitk":
        size = -(-n // k)  # ceil(n/k) terms per part, the last shorter, empty parts absent
        parts = [terms[i * size:(i + 1) * size] for i in range(k)]
        parts = [p for p in parts if p]
    else:
        raise ValueError(order)
    acc = seq(parts[0])
    for p in parts[1:]:
        acc = ar.add(acc, seq(p))
    return acc


def dot(order, ar, a, b, use_fma):
    return reduce_in(order, ar, list(zip(a, b)), lambda run: seq_dot(ar, run, use_fma))


def total(order, ar, a):
    return reduce_in(order, ar, list(a), lambda run: seq_sum(ar, run))


# ---------------------------------------------------------------- vectors

def bits(fmt, x):
    if fmt == "f32":
        return "0x%08x" % struct.unpack("<I", struct.pack("<f", x))[0]
    return "0x%016x" % struct.unpack("<Q", struct.pack("<d", x))[0]


def draw(rng, fmt, spread):
    """A random number of fmt: sign, 1..2 significand, exponent in [-spread, spread]."""
    x = rng.uniform(1.0, 2.0) * 2.0 ** rng.randint(-spread, spread)
    x = -x if rng.random() < 0.5 else x
    return round_to(fmt, Fraction(x))


def vectors(fmt, rng):
    """(a, b) pairs: random lengths, uneven splits, cancellation, signed zeros."""
    out = []
    for n in (1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 33, 64, 100, 129):
        spread = 4 if n % 2 else 24
        out.append(([draw(rng, fmt, spread) for _ in range(n)], [draw(rng, fmt, spread) for _ in range(n)]))
    for n in (6, 13, 40, 97):
        # cancellation: big terms that cancel in pairs far apart, small terms between
        a, b = [], []
        for k in range(n):
            if k % 3 == 0:
                a.append(draw(rng, fmt, 2) * 2.0 ** 20)
            else:
                a.append(draw(rng, fmt, 2))
            b.append(draw(rng, fmt, 1))
        for k in range(0, n // 2, 3):
            j = n - 1 - k
            a[j], b[j] = -a[k], b[k]  # a_j*b_j = -(a_k*b_k) exactly
        out.append((a, b))
    # signed zeros
    out.append(([-0.0] * 5, [1.0] * 5))
    out.append(([-0.0, 0.0, -0.0, -0.0], [1.0, 1.0, 1.0, 1.0]))
    out.append(([-0.0] * 3, [-0.0, 0.0, 2.0]))
    out.append(([1.0, -1.0, 2.0, -2.0, -0.0, 3.0, -3.0], [1.0] * 7))
    out.append(([0.0, -0.0, -0.0, -0.0, -0.0, -0.0, -0.0, -0.0, -0.0], [-1.0] * 9))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--out", default="tests/data/golden/orders.json")
    args = ap.parse_args()
    rng = random.Random(args.seed)
    doc = {
        "generator": "scripts/golden/orders.py",
        "command": f"python scripts/golden/orders.py --seed {args.seed} --out {args.out}",
        "python": sys.version.split()[0],
        "numpy": np.__version__,
        "orders": ORDERS,
        "vectors": [],
        "results": [],
    }
    checked = 0
    for fmt in ("f32", "f64"):
        exact, hw = Exact(fmt), Hardware(fmt)
        for a, b in vectors(fmt, rng):
            vid = len(doc["vectors"])
            doc["vectors"].append({"id": vid, "format": fmt, "a": [bits(fmt, x) for x in a], "b": [bits(fmt, x) for x in b]})
            for order in ORDERS:
                d0, d1 = dot(order, exact, a, b, False), dot(order, exact, a, b, True)
                s = total(order, exact, a)
                # the hardware cross-check (bit patterns, so that signed zeros count)
                assert bits(fmt, d0) == bits(fmt, dot(order, hw, a, b, False)), (fmt, vid, order)
                assert bits(fmt, s) == bits(fmt, total(order, hw, a)), (fmt, vid, order)
                checked += 2
                doc["results"].append({"vector": vid, "order": order, "dot": [bits(fmt, d0), bits(fmt, d1)], "sum": bits(fmt, s)})
    with open(args.out, "w") as f:
        # one vector or result per line
        head = {k: v for k, v in doc.items() if k not in ("vectors", "results")}
        f.write(json.dumps(head, indent=1)[:-2] + ",\n")
        for key in ("vectors", "results"):
            rows = ",\n".join("  " + json.dumps(r, separators=(",", ":")) for r in doc[key])
            f.write(f' "{key}": [\n{rows}\n ]' + (",\n" if key == "vectors" else "\n}\n"))
    print(f"{len(doc['vectors'])} vectors x {len(ORDERS)} orders -> {args.out} ({checked} no-FMA values cross-checked in hardware)")


if __name__ == "__main__":
    main()
