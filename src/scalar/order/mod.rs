//! Evaluation orders: how every sum and dot product of the model is evaluated.
//!
//! For a sum `s = Σ_{k<n} x_k` (or a dot product with `x_k = a_k·b_k`):
//!
//! | order | evaluation |
//! |---|---|
//! | `sequential` | `((x₀ + x₁) + x₂) + …` in index order |
//! | `reversed` | the same from the last index to the first |
//! | `shuffled:<seed>` | the same in a fixed pseudo-random permutation of the indices (see [`Eval`]) |
//! | `pairwise` | balanced tree: `S(lo,hi) = S(lo,mid) + S(mid,hi)`, `mid = lo + ⌊(hi−lo)/2⌋` |
//! | `kahan` | Neumaier's compensated sum: `s` with a running correction `c`, result `s + c` |
//! | `exact` | the correctly rounded value of the exact sum (MPFR `sum`/`dot`): one rounding |
//! | `lanes:<w>` | w interleaved accumulators, as SIMD lanes: lane j sums `x_j, x_{j+w}, x_{j+2w}, …` sequentially; then the lanes' horizontal sum, folded in halves (below) |
//! | `blocked:<b>` | contiguous blocks of b terms (the last one shorter), each summed sequentially; the block sums added sequentially in block order |
//! | `splitk:<k>` | `blocked:⌈n/k⌉`: k contiguous parts of ⌈n/k⌉ terms, the last shorter, as cuBLAS/CUTLASS split-K |
//!
//! **The reduction shapes** (`lanes`, `blocked`, `splitk`; parameter 1 ≤ w, b, k ≤
//! [`Order::MAX_PARAM`] = 2^16, written in decimal without leading zeros) model real kernels:
//! * `lanes:<w>` is a vectorized CPU reduction with w accumulators (Eigen's, or any
//!   auto-vectorized loop). The **horizontal sum** folds the vector in halves: with W lanes and
//!   `h = ⌈W/2⌉`, `lane[i] ← lane[i] + lane[i+h]` for `i < W − h`, then `W ← h`, until one lane
//!   is left. For W a power of two this is exactly Eigen's `predux` (`Eigen/src/Core/arch/SSE/
//!   PacketMath.h`: `predux<Packet4f>` adds `movehl(a)` — lanes 2,3 onto 0,1 — then lane 1 onto
//!   lane 0; `arch/AVX/PacketMath.h`: `predux<Packet8f>` first adds the upper 128 bits onto the
//!   lower), LLVM's "splitting" vector reduction and XLA GPU's warp shuffle-down tree: for w = 8,
//!   `((l₀+l₄) + (l₂+l₆)) + ((l₁+l₅) + (l₃+l₇))`. Every term goes to its lane (a kernel with a
//!   masked tail); real kernels that add the `n mod w` leftover terms after the horizontal sum
//!   are not modelled.
//! * `blocked:<b>`: partial sums of b terms promoted into a running total (FP8 recipes promote
//!   every 128 terms; cuBLAS/CUTLASS main loops over K tiles).
//! * `splitk:<k>`: CUTLASS sizes the K partitions `gemm_k_size = ceil_div(K, split_k_slices)`
//!   (`GemmUniversalBase::get_grid_shape_`, alignment one element here), the last partition
//!   takes the rest, and serial split-K adds the partitions' results in partition order.
//!
//! A lane, block or part with no terms is **absent**: it adds nothing (not `+0`, which would
//! turn a sum of `−0`s into `+0`). So `lanes:1`, `blocked:b` for b ≥ n and `splitk:1` are
//! `sequential`, bit for bit.
//!
//! **FMA policy** (dot products only; sums have no products): under `no-fma` every product is
//! rounded before it is added. Under `fma`:
//! * sequential / reversed / shuffled: `acc = fma(a_k, b_k, acc)` after `acc = a₀·b₀`;
//! * lanes / blocked / splitk: each lane, block or part as `sequential` (its first product
//!   rounded, then one FMA per term); the lanes', blocks' or parts' results are added with
//!   ordinary (rounded) additions;
//! * pairwise: a leaf pair `(k, k+1)` is `fma(a_k, b_k, a_{k+1}·b_{k+1})`;
//! * kahan: the product errors are recovered exactly with `fma(a_k, b_k, −p_k)` and added to the
//!   correction, which is Ogita–Rump–Oishi's `Dot2` (compensated dot, as if in twice the
//!   working precision);
//! * exact: no effect.
//!
//! Neumaier's algorithm is implemented with the branch-free TwoSum (Knuth), which yields the same
//! error term as Neumaier's branch (both are the exact rounding error), so lifted scalars
//! (`Dual`, `HyperDual`) get a compensated sum of *each component* independently.
//!
//! Orders are part of the arithmetic layer: a summation order is as much a rounding decision as
//! a format. This module names them ([`Order`], [`Eval`]); [`Strided`] views and
//! [`KernelScratch`] feed the kernels ([`dot`], [`sum`], [`dot_in_order`], [`dot_with_value`]);
//! the pairwise trees, the compensated (TwoSum) kernels and the reduction shapes (`shaped`)
//! have their own files.

mod compensated;
mod kernels;
mod matmul;
mod operands;
mod pairwise;
mod shaped;
mod strided;

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;

use rand::RngCore;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use crate::scalar::matmul::{Fields, PrecisionPolicy};
use crate::scalar::rules::Rules;

pub use kernels::{dot, dot_in_order, dot_with_value, sum};
pub use matmul::{matmul, policy_accepts, PolicyDot, PolicyScratch};
pub use operands::OperandKey;
pub use strided::{KernelScratch, Strided};

/// A summation order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Order {
    /// Natural index order.
    Sequential,
    /// Reverse index order.
    Reversed,
    /// Balanced binary tree.
    Pairwise,
    /// Neumaier compensated summation (Dot2 under `fma`).
    Kahan,
    /// Correctly rounded.
    Exact,
    /// Sequential in a seeded pseudo-random permutation.
    Shuffled(u64),
    /// `lanes:<w>`: w interleaved accumulators, then their horizontal sum (folded in halves).
    Lanes(u32),
    /// `blocked:<b>`: sequential within blocks of b terms, block sums added sequentially.
    Blocked(u32),
    /// `splitk:<k>`: k contiguous parts of ⌈n/k⌉ terms, each sequential, then added in order.
    SplitK(u32),
}

impl Order {
    /// The orders without a parameter, plus `shuffled:0` as a representative.
    pub const ALL: [Order; 6] = [
        Order::Sequential,
        Order::Reversed,
        Order::Pairwise,
        Order::Kahan,
        Order::Exact,
        Order::Shuffled(0),
    ];

    /// The largest parameter of `lanes:<w>`, `blocked:<b>` and `splitk:<k>` (2^16).
    pub const MAX_PARAM: u32 = 1 << 16;
}

/// The parameter of `name:<count>` (`s` the whole order name): decimal digits without leading
/// zeros, 1 ≤ count ≤ [`Order::MAX_PARAM`].
fn parse_param(s: &str, name: &str, count: &str, what: &str) -> Result<u32, String> {
    let max = Order::MAX_PARAM;
    let range = || format!("the {what} of `{s}` must be an integer in 1..={max}");
    if count.is_empty() || !count.bytes().all(|c| c.is_ascii_digit()) {
        return Err(range());
    }
    let v: u32 = match count.parse() {
        Ok(v) if (1..=max).contains(&v) => v,
        _ => return Err(range()),
    };
    if count.starts_with('0') {
        return Err(format!("the {what} of `{s}` has leading zeros (write `{name}:{v}`)"));
    }
    Ok(v)
}

impl fmt::Display for Order {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Order::Sequential => f.write_str("sequential"),
            Order::Reversed => f.write_str("reversed"),
            Order::Pairwise => f.write_str("pairwise"),
            Order::Kahan => f.write_str("kahan"),
            Order::Exact => f.write_str("exact"),
            Order::Shuffled(seed) => write!(f, "shuffled:{seed}"),
            Order::Lanes(w) => write!(f, "lanes:{w}"),
            Order::Blocked(b) => write!(f, "blocked:{b}"),
            Order::SplitK(k) => write!(f, "splitk:{k}"),
        }
    }
}

impl FromStr for Order {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Ok(match s {
            "sequential" => Order::Sequential,
            "reversed" => Order::Reversed,
            "pairwise" => Order::Pairwise,
            "kahan" => Order::Kahan,
            "exact" => Order::Exact,
            _ => match s.split_once(':') {
                Some(("shuffled", seed)) => Order::Shuffled(seed.parse().map_err(|_| {
                    format!("the seed of `{s}` must be an integer in 0..2^64")
                })?),
                Some(("lanes", w)) => Order::Lanes(parse_param(s, "lanes", w, "lane count w")?),
                Some(("blocked", b)) => Order::Blocked(parse_param(s, "blocked", b, "block size b")?),
                Some(("splitk", k)) => Order::SplitK(parse_param(s, "splitk", k, "part count k")?),
                _ => {
                    return Err(format!(
                        "unknown order `{s}` (expected sequential, reversed, pairwise, kahan, \
                         exact, shuffled:<seed>, lanes:<w>, blocked:<b> or splitk:<k>)"
                    ))
                }
            },
        })
    }
}

/// An evaluation order with the permutations it needs, shared read-only by all workers.
///
/// `shuffled:<seed>` permutes each sum of length n by the permutation drawn for `(seed, n)`:
/// a Fisher–Yates shuffle driven by ChaCha8 keyed with `seed` and `n` (little-endian) and
/// unbiased integers by rejection — this crate's own transform, so the permutations never change
/// with a `rand` upgrade. All sums of the same length use the same permutation.
#[derive(Clone, Debug)]
pub struct Eval {
    /// The order.
    pub order: Order,
    /// The precision policy of the matmul-shaped dot products ([`matmul`]); `None`: uniform.
    pub policy: Option<Fields>,
    /// Whose derivative rules build the graph ([`Rules`]; default: Clairaut's own).
    pub rules: Rules,
    perms: HashMap<usize, Vec<u32>>,
}

impl Eval {
    /// The order, with permutations for every sum length in `lengths` (`shuffled` only).
    pub fn new(order: Order, lengths: impl IntoIterator<Item = usize>) -> Self {
        let mut perms = HashMap::new();
        if let Order::Shuffled(seed) = order {
            for n in lengths {
                perms.entry(n).or_insert_with(|| permutation(seed, n));
            }
        }
        Eval { order, policy: None, rules: Rules::Clairaut, perms }
    }

    /// This order with the precision policy `p` for the matmul-shaped dot products.
    pub fn with_policy(mut self, p: &PrecisionPolicy) -> Self {
        self.policy = p.fields().copied();
        self
    }

    /// This evaluation under the derivative rules `r`.
    pub fn with_rules(mut self, r: Rules) -> Self {
        self.rules = r;
        self
    }

    #[inline(always)]
    pub(super) fn index(&self, perm: Option<&[u32]>, n: usize, k: usize) -> usize {
        match self.order {
            Order::Reversed => n - 1 - k,
            Order::Shuffled(_) => perm.expect("permutation prepared")[k] as usize,
            _ => k,
        }
    }

    pub(super) fn perm(&self, n: usize) -> Option<&[u32]> {
        match self.order {
            Order::Shuffled(_) => Some(
                self.perms
                    .get(&n)
                    .unwrap_or_else(|| panic!("no permutation prepared for sums of length {n}")),
            ),
            _ => None,
        }
    }
}

/// The permutation of `0..n` used by `shuffled:<seed>`.
pub fn permutation(seed: u64, n: usize) -> Vec<u32> {
    let mut key = [0u8; 32];
    key[..8].copy_from_slice(&seed.to_le_bytes());
    key[8..16].copy_from_slice(&(n as u64).to_le_bytes());
    let mut rng = ChaCha8Rng::from_seed(key);
    let mut p: Vec<u32> = (0..n as u32).collect();
    for i in (1..n).rev() {
        let bound = (i + 1) as u64;
        let zone = u64::MAX - (u64::MAX % bound);
        let j = loop {
            let r = rng.next_u64();
            if r < zone {
                break (r % bound) as usize;
            }
        };
        p.swap(i, j);
    }
    p
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permutations_are_permutations_and_stable() {
        for n in [1, 2, 7, 100] {
            let mut p = permutation(42, n);
            p.sort();
            assert_eq!(p, (0..n as u32).collect::<Vec<_>>());
        }
        // Different lengths and seeds give different permutations.
        assert_ne!(permutation(1, 10), permutation(2, 10));
    }

    #[test]
    fn order_names_round_trip() {
        for o in Order::ALL.into_iter().chain([Order::Shuffled(u64::MAX)]) {
            assert_eq!(o.to_string().parse::<Order>().unwrap(), o);
        }
        assert!("shuffled:x".parse::<Order>().is_err());
        assert!("random".parse::<Order>().is_err());
        for o in [Order::Lanes(1), Order::Lanes(8), Order::Blocked(3), Order::SplitK(Order::MAX_PARAM)] {
            assert_eq!(o.to_string().parse::<Order>().unwrap(), o);
        }
        assert_eq!("lanes:8".parse::<Order>().unwrap(), Order::Lanes(8));
        for bad in ["lanes:0", "lanes:08", "lanes:+8", "lanes:", "blocked:65537", "splitk:-2", "splitk:1e3"] {
            let e = bad.parse::<Order>().unwrap_err();
            assert!(e.contains(&format!("`{bad}`")), "{bad}: {e}");
        }
    }
}
