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
//!
//! **FMA policy** (dot products only; sums have no products): under `no-fma` every product is
//! rounded before it is added. Under `fma`:
//! * sequential / reversed / shuffled: `acc = fma(a_k, b_k, acc)` after `acc = a₀·b₀`;
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
//! the pairwise trees and the compensated (TwoSum) kernels have their own files.

mod compensated;
mod kernels;
mod matmul;
mod pairwise;
mod strided;

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;

use rand::RngCore;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use crate::scalar::matmul::{Fields, PrecisionPolicy};

pub use kernels::{dot, dot_in_order, dot_with_value, sum};
pub use matmul::{matmul, policy_accepts, PolicyDot, PolicyScratch};
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
            _ => match s.strip_prefix("shuffled:") {
                Some(seed) => Order::Shuffled(seed.parse().map_err(|_| {
                    format!("the seed of `{s}` must be an integer in 0..2^64")
                })?),
                None => {
                    return Err(format!(
                        "unknown order `{s}` (expected sequential, reversed, pairwise, kahan, \
                         exact or shuffled:<seed>)"
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
        Eval { order, policy: None, perms }
    }

    /// This order with the precision policy `p` for the matmul-shaped dot products.
    pub fn with_policy(mut self, p: &PrecisionPolicy) -> Self {
        self.policy = p.fields().copied();
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
    }
}
