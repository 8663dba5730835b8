//! Cost of one trial: 100 ms of the HH neuron at dt = 0.01 ms (10 000 steps)
//! driven by N Poisson inputs (80 % excitatory, 20 % inhibitory, 10 Hz,
//! p = 0.5), for every integration method and N ∈ {100, 5000, 100 000}.
//!
//! Throughput is reported in elements = integration steps, so criterion's
//! "elem/s" reads as neuron-steps per second. The superposed input is one
//! Poisson draw per population and step, so the cost should not grow with N.
//!
//! Weights: the question's intended +1 mV / −4 mV up to N = 5000. Beyond that
//! they are scaled by √(5000/N), which keeps the voltage variance rate of the
//! N = 5000 case (4000·5 Hz·1² + 1000·5 Hz·4² = 100 mV²/ms) — unscaled, at
//! N = 100 000 (2000 mV²/ms) forward Euler and RK4 diverge at dt = 0.01 ms in
//! most trials, which would benchmark an error path instead of a trial.
//!
//! The group `hh/<method>/N=…` times one trial through `run_trial` (for
//! `rush-larsen` that is a 1-lane block of the lanes engine: no vector
//! parallelism, but the shared and polynomial exponentials with hardware
//! FMA). The group `hh/rush-larsen-lanes/N=…` times a full block of
//! [`LANES`] trials through `lanes::run_trials`, the way the ensemble runs
//! untraced trials, `hh/rush-larsen-table-lanes/N=…` the same for the
//! opt-in `rush-larsen-table` method, and `hh/rush-larsen-lanes-portable/N=5000`
//! the default block on the portable (non-AVX2) code path; on a CPU with
//! AVX-512 (which the other cases then use), `…-avx2/N=5000` run both methods
//! on the AVX2 path beside them. Throughput counts every trial's steps.
//!
//! Run: `cargo bench --bench trial` (add `-- --quick` for a fast look).

use std::hint::black_box;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use spikemc_core::{
    DetectParams, HhParams, HhState, Method, PoissonInput, Protocol, ProtocolSpec, TrialOutput,
    lanes::{self, Isa, LANES},
    run_trial,
};
use spikemc_ensemble::seeding::{input_purpose, stream};

const DURATION_MS: f64 = 100.0;
const DT_MS: f64 = 0.01;
const SIZES: [u32; 3] = [100, 5000, 100_000];

fn inputs(n: u32) -> [PoissonInput; 2] {
    let scale = (5000.0 / n as f64).sqrt().min(1.0);
    let population = |count, weight| PoissonInput {
        count,
        rate_hz: 10.0,
        p_transmit: 0.5,
        weight,
    };
    [
        population(n * 4 / 5, 1.0 * scale),
        population(n / 5, -4.0 * scale),
    ]
}

fn protocol(method: Method, n: u32) -> Protocol {
    let pops = inputs(n);
    Protocol::new(ProtocolSpec {
        params: HhParams::default(),
        method,
        duration_ms: DURATION_MS,
        dt_ms: DT_MS,
        detect: DetectParams::default(),
        initial: HhState::at_rest(-65.0),
        inputs: vec![("exc", &pops[0]), ("inh", &pops[1])],
    })
    .expect("valid benchmark protocol")
}

fn bench_lanes(c: &mut Criterion) {
    let mut group = c.benchmark_group("hh");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4));
    let mut cases: Vec<(&str, Method, Isa, u32)> = Vec::new();
    for n in SIZES {
        cases.push(("rush-larsen-lanes", Method::RushLarsen, Isa::detect(), n));
        cases.push((
            "rush-larsen-table-lanes",
            Method::RushLarsenTable,
            Isa::detect(),
            n,
        ));
    }
    // The AVX2 path beside the AVX-512 one, where `detect` picks the latter.
    if Isa::detect() == Isa::Avx512 {
        cases.push((
            "rush-larsen-lanes-avx2",
            Method::RushLarsen,
            Isa::Avx2Fma,
            5000,
        ));
        cases.push((
            "rush-larsen-table-lanes-avx2",
            Method::RushLarsenTable,
            Isa::Avx2Fma,
            5000,
        ));
    }
    cases.push((
        "rush-larsen-lanes-portable",
        Method::RushLarsen,
        Isa::Portable,
        5000,
    ));
    for (name, method, isa, n) in cases {
        let protocol = protocol(method, n);
        group.throughput(Throughput::Elements(protocol.n_steps() * LANES as u64));
        let mut rngs: Vec<_> = (0..LANES as u32)
            .flat_map(|k| {
                [
                    stream(1, Some(0), k, input_purpose("exc")),
                    stream(1, Some(0), k, input_purpose("inh")),
                ]
            })
            .collect();
        let mut outs = vec![TrialOutput::default(); LANES];
        group.bench_function(BenchmarkId::new(name, format!("N={n}")), |b| {
            b.iter(|| {
                let res = lanes::run_trials_isa(isa, black_box(&protocol), &mut rngs, &mut outs);
                assert!(
                    res.iter().all(|r| r.is_ok()),
                    "benchmark trials must not diverge"
                );
                black_box(outs[0].spikes_ms.len())
            })
        });
    }
    group.finish();
}

fn bench_trial(c: &mut Criterion) {
    let mut group = c.benchmark_group("hh");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    for method in Method::ALL {
        for n in SIZES {
            let pops = inputs(n);
            let protocol = Protocol::new(ProtocolSpec {
                params: HhParams::default(),
                method,
                duration_ms: DURATION_MS,
                dt_ms: DT_MS,
                detect: DetectParams::default(),
                initial: HhState::at_rest(-65.0),
                inputs: vec![("exc", &pops[0]), ("inh", &pops[1])],
            })
            .expect("valid benchmark protocol");
            group.throughput(Throughput::Elements(protocol.n_steps()));
            // The streams run on across iterations, so every iteration is a
            // fresh trial with the same statistics.
            let mut rngs = [
                stream(1, Some(0), n, input_purpose("exc")),
                stream(1, Some(0), n, input_purpose("inh")),
            ];
            let mut out = TrialOutput::default();
            group.bench_function(BenchmarkId::new(method.name(), format!("N={n}")), |b| {
                b.iter(|| {
                    run_trial(black_box(&protocol), &mut rngs, &mut out, None)
                        .expect("benchmark trial must not diverge");
                    black_box(out.spikes_ms.len())
                })
            });
        }
    }
    group.finish();
}

criterion_group!(benches, bench_lanes, bench_trial);
criterion_main!(benches);
