//! The operands of a policy's matrix products, converted once per product rather than once per
//! dot product.
//!
//! A matrix product's dots read each row of one operand and each column of the other many
//! times (a row of activations once per output unit, a weight column once per sample). Under
//! an f32-chain policy ([`crate::scalar::matmul::chain`]) every dot converts its terms to the
//! policy's `mul` format; converting an operand once and reusing the pieces in every dot that
//! reads it gives the same bits (the conversion is a function of the value) at a fraction of
//! the cost.
//!
//! Reuse is only sound while the operands do not change, which only the caller knows: the
//! cache is used inside a *scope* that the caller opens ([`KernelScratch::fix_operands`]) when
//! it promises that no element a matrix product reads through this scratch changes until the
//! scope is closed or reopened (which forgets every conversion). Operands are known by their
//! identity as views ([`OperandKey`]: the data's address, start, stride and length): within a
//! scope the same view holds the same values. Outside a scope nothing is cached.
//!
//! [`KernelScratch::fix_operands`]: super::KernelScratch::fix_operands

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// A view's identity: its data's address, its start, stride and length.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct OperandKey(pub usize, pub usize, pub usize, pub usize);

/// One converted operand: piece `j` of the values in `v[j]`, of the tangent lanes in `t[j]`
/// (term-major), as [`crate::scalar::matmul::chain::convert_operand`] writes them; `ok`:
/// whether every input converted.
#[derive(Clone, Debug, Default)]
pub struct Converted {
    /// The values' pieces.
    pub v: [Vec<f32>; 3],
    /// The tangents' pieces, term-major.
    pub t: [Vec<f32>; 3],
    /// Whether every input converted (else the pieces are not to be used).
    pub ok: bool,
}

impl Converted {
    /// The number of `f32`s held.
    fn size(&self) -> usize {
        self.v.iter().chain(&self.t).map(Vec::len).sum()
    }
}

/// How many converted `f32`s one scope may hold (64 MiB per worker); operands beyond it are
/// not cached (their dots convert their terms themselves: the same bits).
const BUDGET: usize = 1 << 24;

/// The converted operands of the open scope (one per worker, in the policy scratch).
#[derive(Clone, Debug, Default)]
pub struct Operands {
    open: bool,
    index: HashMap<OperandKey, usize, BuildHasherDefault<KeyHasher>>,
    /// The conversions, the first `index.len()` in use (the rest keep their memory).
    pool: Vec<Converted>,
    /// `f32`s held by the conversions in use.
    held: usize,
    /// Per side of the dot (`a`, `b`), the last operand asked for and its index (a row of `a`
    /// is asked for by consecutive dots).
    last: [Option<(OperandKey, usize)>; 2],
}

impl Operands {
    /// Opens a new scope, forgetting every conversion.
    pub fn fix(&mut self) {
        self.index.clear();
        self.last = [None; 2];
        self.held = 0;
        self.open = true;
    }

    /// Closes the scope, forgetting every conversion.
    pub fn release(&mut self) {
        self.fix();
        self.open = false;
    }

    /// The index of operand `key`'s conversion (on `side` 0 or 1 of a dot), made by `convert`
    /// the first time it is asked for in this scope; `None` outside a scope or beyond the
    /// budget.
    pub fn get(&mut self, side: usize, key: OperandKey, convert: impl FnOnce(&mut Converted)) -> Option<usize> {
        if !self.open {
            return None;
        }
        if let Some((_, i)) = self.last[side].filter(|(k, _)| *k == key) {
            return Some(i);
        }
        if let Some(&i) = self.index.get(&key) {
            self.last[side] = Some((key, i));
            return Some(i);
        }
        if self.held >= BUDGET {
            return None;
        }
        let i = self.index.len();
        if i == self.pool.len() {
            self.pool.push(Converted::default());
        }
        convert(&mut self.pool[i]);
        self.held += self.pool[i].size();
        self.index.insert(key, i);
        self.last[side] = Some((key, i));
        Some(i)
    }

    /// The conversions at two indices given by [`Operands::get`].
    pub fn pair(&self, i: usize, j: usize) -> (&Converted, &Converted) {
        (&self.pool[i], &self.pool[j])
    }
}

/// A multiplicative hash of the keys' words (the keys are addresses and small integers; the
/// standard SipHash would cost as much as a short dot).
#[derive(Default)]
struct KeyHasher(u64);

impl Hasher for KeyHasher {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_usize(b as usize);
        }
    }
    #[inline]
    fn write_usize(&mut self, x: usize) {
        self.0 = (self.0.rotate_left(5) ^ x as u64).wrapping_mul(0x517c_c1b7_2722_0a95);
    }
    fn finish(&self) -> u64 {
        self.0
    }
}
