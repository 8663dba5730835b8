//! The AVX-512 entry point: the generic block loop compiled with
//! `avx512f,avx512dq,avx512vl` (and `avx2,fma`, which they include) enabled,
//! so the inlined kernel loops become 8-wide FMA code. The pieces written
//! with AVX2 intrinsics (the table's cell reads) run as they are: every
//! AVX-512 CPU has AVX2. One piece is AVX-512 by hand: the default method's
//! input draw (`streams::draw_avx512`).

simd_block_entry!(
    "avx512f,avx512dq,avx512vl,avx2,fma",
    super::Avx512Path,
    "The CPU must support AVX-512 F, DQ and VL, AVX2 and FMA."
);
