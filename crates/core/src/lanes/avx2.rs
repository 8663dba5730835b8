//! The AVX2+FMA entry point: the generic block loop compiled with
//! `avx2,fma` enabled, so the inlined kernel loops become 4-wide FMA code.

simd_block_entry!(
    "avx2,fma",
    super::Avx2Path,
    "The CPU must support AVX2 and FMA."
);
