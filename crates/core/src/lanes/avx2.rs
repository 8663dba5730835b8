//! The AVX2+FMA entry point: the generic block loop compiled with
//! `avx2,fma` enabled, so the inlined kernel loops become 4-wide FMA code.
//! Chosen at run time by [`super::Isa::detect`]; never called elsewhere.

use super::{Avx2Path, Kernel, block_impl};
use crate::trial::{Protocol, Recorder, TrialError, TrialOutput};
use rand_xoshiro::Xoshiro256PlusPlus;

/// # Safety
/// The CPU must support AVX2 and FMA.
#[target_feature(enable = "avx2,fma")]
pub(super) unsafe fn block<K: Kernel, const B: usize, R: Recorder, const FULL: bool>(
    kernel: &K,
    protocol: &Protocol,
    rngs: &mut [Xoshiro256PlusPlus],
    outs: &mut [TrialOutput],
    rec: &mut R,
    errors: &mut [Option<TrialError>],
) {
    block_impl::<K, B, R, Avx2Path, FULL>(kernel, protocol, rngs, outs, rec, errors)
}
