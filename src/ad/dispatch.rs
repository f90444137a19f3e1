//! Dispatch from a run-time arithmetic ([`Arith`]: format, math library, FMA policy) to code
//! generic over the format.
//!
//! It lives here rather than beside [`Arith`] in the arithmetic layer because the generic code
//! may use what this layer adds to every format — the lane kernels ([`LaneDot`]) that `fwd-rev`
//! runs on — and the arithmetic layer knows nothing of it.

use rug::Float;

use super::LaneDot;
use crate::scalar::fixed::{Fixed, FixedCtx};
use crate::scalar::hw::HwCtx;
use crate::scalar::mpfr::{IeeeFormat, MpCtx};
use crate::scalar::narrow::{Bfloat16, Binary16, NarrowRCtx};
use crate::scalar::precision::{Arith, MpKernel, Precision};

/// Code generic over the format, called by [`Arith::dispatch`].
pub trait WithReal {
    /// What the code returns.
    type Output;
    /// Runs the code in format `R` with context `ctx`.
    fn run<R: LaneDot>(self, ctx: R::RCtx) -> Self::Output;
}

impl Arith {
    /// Runs `f` in this arithmetic, `mp:<bits>` on this process's [`MpKernel`] (the fixed-width
    /// limbs up to 320 bits unless `CLAIRAUT_MP_KERNEL=mpfr`; the same bits either way).
    pub fn dispatch<F: WithReal>(&self, f: F) -> F::Output {
        self.dispatch_on(MpKernel::current(), f)
    }

    /// [`Arith::dispatch`] with `mp:<bits>` on `kernel`.
    pub fn dispatch_on<F: WithReal>(&self, kernel: MpKernel, f: F) -> F::Output {
        match self.precision {
            Precision::F32 => f.run::<f32>(HwCtx::<f32>::new(self.math, self.fma)),
            Precision::F64 => f.run::<f64>(HwCtx::<f64>::new(self.math, self.fma)),
            Precision::Mp(bits) => match kernel.limbs(bits) {
                Some(4) => f.run::<Fixed<4>>(FixedCtx::new(bits, self.fma)),
                Some(_) => f.run::<Fixed<5>>(FixedCtx::new(bits, self.fma)),
                None => f.run::<Float>(MpCtx::new(bits, None, self.fma)),
            },
            // binary16 and bfloat16 in f64 (bit-identical to their MPFR emulation, tested)
            Precision::Ieee(fmt) if fmt == IeeeFormat::BINARY16 => f.run::<Binary16>(NarrowRCtx::new(fmt, self.fma)),
            Precision::Ieee(fmt) if fmt == IeeeFormat::BFLOAT16 => f.run::<Bfloat16>(NarrowRCtx::new(fmt, self.fma)),
            Precision::Ieee(fmt) => f.run::<Float>(MpCtx::new(fmt.prec, Some(fmt), self.fma)),
        }
    }
}
