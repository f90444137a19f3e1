//! The kernels' inputs and memory: [`Strided`] read-only views (a row or a column of a
//! row-major matrix) and [`KernelScratch`], allocated once per worker.

use crate::scalar::Scalar;

/// A strided read-only view: element k is `data[start + k·stride]`, k < len.
pub struct Strided<'a, S> {
    data: &'a [S],
    start: usize,
    stride: usize,
    len: usize,
}

impl<S> Clone for Strided<'_, S> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<S> Copy for Strided<'_, S> {}

impl<'a, S> Strided<'a, S> {
    /// `len` elements from `start` with step `stride`.
    #[inline(always)]
    pub fn new(data: &'a [S], start: usize, stride: usize, len: usize) -> Self {
        debug_assert!(len == 0 || start + (len - 1) * stride < data.len());
        Strided { data, start, stride, len }
    }
    /// A contiguous slice.
    #[inline(always)]
    pub fn contiguous(data: &'a [S]) -> Self {
        Strided { data, start: 0, stride: 1, len: data.len() }
    }
    /// Element k.
    #[inline(always)]
    pub fn get(&self, k: usize) -> &'a S {
        &self.data[self.start + k * self.stride]
    }
    /// Number of elements.
    #[inline(always)]
    pub fn len(&self) -> usize {
        self.len
    }
    /// Whether empty.
    #[inline(always)]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
    /// The view of elements `first, first + step, first + 2·step, …` of this one, `len` of them
    /// (`first + (len − 1)·step < self.len()` when `len > 0`).
    #[inline(always)]
    pub(super) fn sub(&self, first: usize, step: usize, len: usize) -> Self {
        debug_assert!(len == 0 || first + (len - 1) * step < self.len);
        Strided { data: self.data, start: self.start + first * self.stride, stride: self.stride * step, len }
    }
    /// This view's identity: its data's address, start, stride and length (what the converted
    /// operands of a policy's matrix products are known by: [`super::operands`]).
    #[inline(always)]
    pub fn key(&self) -> super::OperandKey {
        super::OperandKey(self.data.as_ptr() as usize, self.start, self.stride, self.len)
    }
    /// The elements in index order.
    pub(super) fn iter(&self) -> impl Iterator<Item = &'a S> + Clone + 'a {
        let (data, start, stride) = (self.data, self.start, self.stride);
        (0..self.len).map(move |k| &data[start + k * stride])
    }
}

/// Scratch memory of the kernels (allocated once per worker).
#[derive(Clone, Debug)]
pub struct KernelScratch<S> {
    /// Scalar temporaries.
    pub(super) t: [S; 7],
    /// One value per term (the pairwise trees).
    pub(super) buf: Vec<S>,
    /// Buffers of precision-policy dot products.
    pub(super) policy: super::PolicyScratch,
}

impl<S: Scalar> KernelScratch<S> {
    /// Scratch for sums of length up to `max_len`, initialized from `zero`.
    pub fn new(zero: &S, max_len: usize) -> Self {
        KernelScratch { t: std::array::from_fn(|_| zero.clone()), buf: vec![zero.clone(); max_len], policy: Default::default() }
    }
}

impl<S> KernelScratch<S> {
    /// Opens a scope in which the operands of the matrix products run through this scratch
    /// keep their values: a policy's dots may then convert each operand (a row, a column) once
    /// for every dot that reads it ([`super::operands`]; the same bits). **The caller's
    /// promise:** no element such a product reads changes until this scope is reopened (which
    /// forgets every conversion) or closed ([`KernelScratch::release_operands`]).
    pub fn fix_operands(&mut self) {
        self.policy.operands.fix();
    }

    /// Closes the scope of [`KernelScratch::fix_operands`]: nothing is cached any more.
    pub fn release_operands(&mut self) {
        self.policy.operands.release();
    }
}
