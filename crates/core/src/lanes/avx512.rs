//! The AVX-512 entry point: the generic block loop compiled with
//! `avx512f,avx512dq,avx512vl` (and `avx2,fma`, which they include) enabled,
//! so the inlined kernel loops become 8-wide FMA code. Chosen at run time by
//! [`super::Isa::detect`]; never called elsewhere. The pieces written with
//! AVX2 intrinsics (the table's cell reads) run as they are: every AVX-512
//! CPU has AVX2.

use super::{Avx512Path, Kernel, block_impl};
use crate::trial::{Protocol, Recorder, TrialError, TrialOutput};
use rand_xoshiro::Xoshiro256PlusPlus;

/// # Safety
/// The CPU must support AVX-512 F, DQ and VL, AVX2 and FMA.
#[target_feature(enable = "avx512f,avx512dq,avx512vl,avx2,fma")]
pub(super) unsafe fn block<K: Kernel, const B: usize, R: Recorder, const FULL: bool>(
    kernel: &K,
    protocol: &Protocol,
    rngs: &mut [Xoshiro256PlusPlus],
    outs: &mut [TrialOutput],
    rec: &mut R,
    errors: &mut [Option<TrialError>],
) {
    block_impl::<K, B, R, Avx512Path, FULL>(kernel, protocol, rngs, outs, rec, errors)
}
