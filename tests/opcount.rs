//! `scalar::opcount` counts every thread's MPFR operations while a `count_ops` call runs, so
//! its test lives alone in this process (the library's unit tests run MPFR work in parallel).

use clairaut::scalar::opcount::{count_ops, Op};
use clairaut::scalar::{MpCtx, Real, Scalar};
use rug::Float;

#[test]
fn counts_what_runs_and_nothing_outside() {
    let ctx = MpCtx::new(128, None, false);
    let (a, b) = (Float::with_val(128, 1.5), Float::with_val(128, 0.25));
    let mut c = Float::new(128);
    c.set_mul(&a, &b, &ctx); // not counted
    let ((), n) = count_ops(|| {
        for _ in 0..3 {
            c.set_add(&a, &b, &ctx);
        }
        c.set_mul(&a, &b, &ctx);
        c.set_mul(&a, &Float::new(128), &ctx);
        c.set_tanh(&a, &ctx);
        std::thread::scope(|s| {
            s.spawn(|| {
                let mut d = Float::new(128);
                d.set_div(&a, &b, &ctx);
            });
        });
    });
    assert_eq!(n[Op::AddSub as usize], 3);
    assert_eq!(n[Op::MulZero as usize], 1);
    assert_eq!(n[Op::Mul as usize], 1);
    assert_eq!(n[Op::Tanh as usize], 1);
    assert_eq!(n[Op::Div as usize], 1, "other threads count too");
    assert_eq!(n.iter().sum::<u64>(), 7);
}
