//! The MLP, its loss and its parameter layout θ.
//!
//! `a₀ = x` (N rows); for l = 1..L: `z_l = a_{l−1}·W_l + b_l` with `W_l` of shape
//! `(d_{l−1}, d_l)`, `a_l = σ_l(z_l)`. θ is the concatenation over l of `[W_l row-major, b_l]`,
//! P = Σ (d_{l−1}·d_l + d_l). Each `z` entry is the dot product of an input row and a weight
//! column (in the evaluation order under study) plus the bias, added last with one rounding
//! (as `matmul` followed by `BiasAdd` does).

pub mod import;
pub mod loss;
pub mod mlp;
pub mod problem;
pub mod rules;

/// The activation functions and their per-format rounding live in the arithmetic layer
/// ([`crate::scalar::elementary`]); re-exported under their old name.
pub use crate::scalar::elementary as activation;
pub use crate::scalar::elementary::Activation;
pub use loss::Loss;
pub use problem::{InputMode, Problem};

/// The architecture: widths, activations and loss.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Spec {
    /// `[d₀, d₁, …, d_L]`
    pub layers: Vec<usize>,
    /// One activation per layer (L of them).
    pub activations: Vec<Activation>,
    /// The loss.
    pub loss: Loss,
}

impl Spec {
    /// Number of layers L.
    pub fn depth(&self) -> usize {
        self.layers.len() - 1
    }

    /// Offset of `W_l` (l ≥ 1) in θ.
    pub fn w_offset(&self, l: usize) -> usize {
        (1..l).map(|k| self.layers[k - 1] * self.layers[k] + self.layers[k]).sum()
    }

    /// Offset of `b_l` in θ.
    pub fn b_offset(&self, l: usize) -> usize {
        self.w_offset(l) + self.layers[l - 1] * self.layers[l]
    }

    /// Number of parameters P.
    pub fn num_params(&self) -> usize {
        self.w_offset(self.layers.len())
    }

    /// The layer (1-based) that holds θ_j.
    pub fn layer_of(&self, j: usize) -> usize {
        (1..self.layers.len()).find(|&l| j < self.w_offset(l + 1)).expect("index within θ")
    }

    /// The unit `(layer, k)` whose pre-activation θ_j feeds (`W_l[i, k]` and `b_l[k]` feed
    /// `z_l[·, k]`): the one unit of its layer that a change of θ_j alone changes.
    pub fn unit_of(&self, j: usize) -> (usize, usize) {
        let l = self.layer_of(j);
        let off = j - self.w_offset(l);
        let (din, dout) = (self.layers[l - 1], self.layers[l]);
        (l, if off < din * dout { off % dout } else { off - din * dout })
    }

    /// A short human-readable name of θ_j: `W1[0,1]` or `b2[3]`.
    pub fn param_name(&self, j: usize) -> String {
        let l = self.layer_of(j);
        let off = j - self.w_offset(l);
        let (din, dout) = (self.layers[l - 1], self.layers[l]);
        if off < din * dout {
            format!("W{l}[{},{}]", off / dout, off % dout)
        } else {
            format!("b{l}[{}]", off - din * dout)
        }
    }

    /// Every sum length the model evaluates with a batch of `n` rows (for `shuffled`).
    pub fn sum_lengths(&self, n: usize) -> Vec<usize> {
        let mut v = vec![n, n * self.layers[self.depth()]];
        v.extend(self.layers.iter().copied());
        v.sort_unstable();
        v.dedup();
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout() {
        let s = Spec {
            layers: vec![2, 3, 1],
            activations: vec![Activation::Tanh, Activation::Identity],
            loss: Loss::Mse,
        };
        assert_eq!(s.num_params(), 2 * 3 + 3 + 3 + 1);
        assert_eq!(s.w_offset(2), 9);
        assert_eq!(s.b_offset(2), 12);
        assert_eq!(s.param_name(1), "W1[0,1]");
        assert_eq!(s.param_name(6), "b1[0]");
        assert_eq!(s.param_name(12), "b2[0]");
        assert_eq!(s.layer_of(8), 1);
        assert_eq!(s.layer_of(9), 2);
    }
}
