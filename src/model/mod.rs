//! The MLP, its loss and its parameter layout θ.
//!
//! `a₀ = x` (N rows); for l = 1..L: `z_l = a_{l−1}·W_l + b_l` with `W_l` of shape
//! `(d_{l−1}, d_l)`, `a_l = σ_l(z_l)`. θ is the concatenation over l of `[W_l row-major, b_l]`,
//! P = Σ (d_{l−1}·d_l + d_l). Each `z` entry is the dot product of an input row and a weight
//! column (in the evaluation order under study) plus the bias, added last with one rounding
//! (as `matmul` followed by `BiasAdd` does).
//!
//! A layer may have no bias ([`Spec::bias`]; `nn.Linear(bias=False)`, Keras/flax
//! `use_bias=False`): its `z_l = a_{l−1}·W_l` is the dot product alone — no addition, no
//! rounding for it, as a framework's matmul without `BiasAdd` — θ holds only its `W_l`, P counts
//! `d_{l−1}·d_l` for it, and the backward pass has no bias sum for it. With every layer biased
//! (the default) nothing differs from the layout above.

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

/// The architecture: widths, activations, loss and which layers have a bias.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Spec {
    /// `[d₀, d₁, …, d_L]`
    pub layers: Vec<usize>,
    /// One activation per layer (L of them).
    pub activations: Vec<Activation>,
    /// The loss.
    pub loss: Loss,
    /// One flag per layer (L of them): whether layer l has a bias `b_l` (see the module docs).
    /// All true ([`Spec::new`]) is the classic MLP.
    pub bias: Vec<bool>,
}

impl Spec {
    /// A network whose every layer has a bias.
    pub fn new(layers: Vec<usize>, activations: Vec<Activation>, loss: Loss) -> Spec {
        let bias = vec![true; layers.len().saturating_sub(1)];
        Spec { layers, activations, loss, bias }
    }

    /// The same network with the bias flags `bias` (one per layer).
    pub fn with_bias(self, bias: Vec<bool>) -> Spec {
        Spec { bias, ..self }
    }

    /// Number of layers L.
    pub fn depth(&self) -> usize {
        self.layers.len() - 1
    }

    /// Whether layer l (1-based) has a bias (a layer without a flag has one).
    pub fn has_bias(&self, l: usize) -> bool {
        self.bias.get(l - 1).copied().unwrap_or(true)
    }

    /// Whether every layer has a bias (then the bias flags are not written anywhere).
    pub fn all_bias(&self) -> bool {
        self.bias.iter().all(|&b| b)
    }

    /// Number of parameters of layer l: `d_{l−1}·d_l`, plus `d_l` with a bias.
    fn layer_params(&self, l: usize) -> usize {
        self.layers[l - 1] * self.layers[l] + if self.has_bias(l) { self.layers[l] } else { 0 }
    }

    /// Offset of `W_l` (l ≥ 1) in θ.
    pub fn w_offset(&self, l: usize) -> usize {
        (1..l).map(|k| self.layer_params(k)).sum()
    }

    /// Offset of `b_l` in θ (`None`: layer l has no bias).
    pub fn b_offset(&self, l: usize) -> Option<usize> {
        self.has_bias(l).then(|| self.w_offset(l) + self.layers[l - 1] * self.layers[l])
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
        let s = Spec::new(vec![2, 3, 1], vec![Activation::Tanh, Activation::Identity], Loss::Mse);
        assert_eq!(s.bias, vec![true, true]);
        assert!(s.all_bias());
        assert_eq!(s.num_params(), 2 * 3 + 3 + 3 + 1);
        assert_eq!(s.w_offset(2), 9);
        assert_eq!(s.b_offset(2), Some(12));
        assert_eq!(s.param_name(1), "W1[0,1]");
        assert_eq!(s.param_name(6), "b1[0]");
        assert_eq!(s.param_name(12), "b2[0]");
        assert_eq!(s.layer_of(8), 1);
        assert_eq!(s.layer_of(9), 2);
    }

    #[test]
    fn layout_without_biases() {
        let acts = vec![Activation::Tanh, Activation::Sigmoid, Activation::Identity];
        // layer 1 bias-free: θ = [W1 (2×3), W2 (3×2), b2 (2), W3 (2×1), b3 (1)]
        let s = Spec::new(vec![2, 3, 2, 1], acts.clone(), Loss::Mse).with_bias(vec![false, true, true]);
        assert!(!s.all_bias() && !s.has_bias(1) && s.has_bias(2) && s.has_bias(3));
        assert_eq!(s.num_params(), 6 + 6 + 2 + 2 + 1);
        assert_eq!((s.w_offset(1), s.w_offset(2), s.w_offset(3)), (0, 6, 14));
        assert_eq!((s.b_offset(1), s.b_offset(2), s.b_offset(3)), (None, Some(12), Some(16)));
        let names: Vec<String> = (0..s.num_params()).map(|j| s.param_name(j)).collect();
        assert_eq!(names[5], "W1[1,2]");
        assert_eq!(names[6], "W2[0,0]");
        assert_eq!(names[11], "W2[2,1]");
        assert_eq!(names[12..14], ["b2[0]", "b2[1]"]);
        assert_eq!(names[14..], ["W3[0,0]", "W3[1,0]", "b3[0]"]);
        assert_eq!(s.unit_of(5), (1, 2));
        assert_eq!(s.unit_of(13), (2, 1));
        assert_eq!(s.unit_of(15), (3, 0));
        assert_eq!((s.layer_of(5), s.layer_of(6), s.layer_of(13), s.layer_of(14)), (1, 2, 2, 3));
        // the last layer bias-free, the first biased
        let t = Spec::new(vec![2, 3, 2], acts[..2].to_vec(), Loss::Mse).with_bias(vec![true, false]);
        assert_eq!(t.num_params(), 6 + 3 + 6);
        assert_eq!((t.b_offset(1), t.b_offset(2), t.w_offset(2)), (Some(6), None, 9));
        assert_eq!(t.param_name(8), "b1[2]");
        assert_eq!(t.param_name(14), "W2[2,1]");
        assert_eq!(t.unit_of(14), (2, 1));
        assert_eq!(t.layer_of(14), 2);
        // no bias anywhere
        let u = Spec::new(vec![3, 2], vec![Activation::Tanh], Loss::Mse).with_bias(vec![false]);
        assert_eq!(u.num_params(), 6);
        assert_eq!(u.param_name(5), "W1[2,1]");
        assert_eq!(u.unit_of(4), (1, 0));
    }
}
