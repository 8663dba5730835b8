//! Golden spike trains: a fixed seed gives fixed spike times, bit for bit,
//! for every method — the reproducibility promise of docs/numerics.md
//! ("Seeding"). The digests below were produced by the engine as it was
//! when they were recorded; a change to the seeding derivation, the order
//! of random draws, the Poisson sampler or any method's arithmetic changes
//! them, and is then a breaking change to be noted in CHANGELOG.md (and
//! these values re-recorded with `GOLDEN_PRINT=1 cargo test --test golden
//! -- --nocapture`).
//!
//! Each trial is run two ways — alone (`simulate_trial`, as `replay` does)
//! and inside the ensemble's blocks (`simulate_chunk`) — and both must give
//! the pinned digest.

use spikemc_core::TrialOutput;
use spikemc_ensemble::{Assignment, Plan, simulate_chunk, simulate_trial};

const EXPERIMENT: &str = include_str!("../../../experiments/inputs-5000.toml");
const TRIALS: u32 = 6;

/// (method, per-trial digests). A digest folds the spike count, every spike
/// time's bits and the input counts with FNV-1a.
/// Recorded with spikemc 0.1.0 (before the vectorized input draw, which
/// must not change a bit); `rush-larsen-table` re-recorded when its linear
/// 1/32 mV table became a cubic 1 mV one (an intended change of its
/// results; see CHANGELOG), after which nothing may change a bit.
const GOLDEN: &[(&str, [u64; TRIALS as usize])] = &[
    (
        "rush-larsen-table",
        [
            10768923451462583569,
            4312400635219923040,
            16661338892604057614,
            17620248743320720456,
            4062802873328676141,
            5184935537771197326,
        ],
    ),
    (
        "rush-larsen",
        [
            6428476529736278257,
            12635694762051167515,
            13878008147412335796,
            1352629283909601501,
            9423788301562026364,
            3664387813622336566,
        ],
    ),
    (
        "rush-larsen-reference",
        [
            17914716980946335167,
            15172341782440484151,
            8713405859522345755,
            4895730313604894773,
            9519369496325170954,
            13202588522947068690,
        ],
    ),
    (
        "euler",
        [
            3961103765957309225,
            14953323549671120346,
            15545157891930400775,
            2630265241124338373,
            14901462482169958556,
            10013629645394080560,
        ],
    ),
    (
        "rk4",
        [
            3985750784427414727,
            12625347849838498186,
            15339864764089562067,
            16369067297766313668,
            7490269900738016467,
            5485423192292121063,
        ],
    ),
    (
        "rush-larsen pre-kick",
        [
            5276893249695302067,
            15542405113161856246,
            17335792609792377725,
            8588907773934784371,
            9423788301562026364,
            11811055134399231967,
        ],
    ),
    (
        "rush-larsen-reference pre-kick",
        [
            10799007351199984427,
            12747753301957533058,
            9816117548771934420,
            12563162511884358248,
            9519369496325170954,
            15979232220782998456,
        ],
    ),
];

fn plan(method: &str, extra: &[&str]) -> Plan {
    let sets: Vec<Assignment> = [
        format!("method=\"{method}\""),
        format!("trials={TRIALS}"),
        "duration_ms=200".to_string(),
        "record.trials=[]".to_string(),
    ]
    .iter()
    .map(String::as_str)
    .chain(extra.iter().copied())
    .map(|s| Assignment::parse(s).expect("valid --set"))
    .collect();
    Plan::from_toml(EXPERIMENT, "inputs-5000.toml", &sets).expect("valid experiment")
}

fn fnv(h: u64, x: u64) -> u64 {
    x.to_le_bytes().iter().fold(h, |h, &b| {
        (h ^ b as u64).wrapping_mul(0x0000_0100_0000_01B3)
    })
}

fn digest(spikes: &[f64], counts: &[u64]) -> u64 {
    let mut h = fnv(0xCBF2_9CE4_8422_2325, spikes.len() as u64);
    for t in spikes {
        h = fnv(h, t.to_bits());
    }
    for &c in counts {
        h = fnv(h, c);
    }
    h
}

#[test]
fn fixed_seed_gives_pinned_spike_times_for_every_method() {
    let print = std::env::var_os("GOLDEN_PRINT").is_some();
    let pre_kick = ["detect.rule=\"pre-kick\"", "detect.rearm_mv=0"];
    let cases: [(&str, &str, &[&str]); 7] = [
        ("rush-larsen-table", "rush-larsen-table", &[]),
        ("rush-larsen", "rush-larsen", &[]),
        ("rush-larsen-reference", "rush-larsen-reference", &[]),
        ("euler", "euler", &[]),
        ("rk4", "rk4", &[]),
        ("rush-larsen pre-kick", "rush-larsen", &pre_kick),
        (
            "rush-larsen-reference pre-kick",
            "rush-larsen-reference",
            &pre_kick,
        ),
    ];
    for (case, method, extra) in cases {
        let plan = plan(method, extra);
        let mut out = TrialOutput::default();
        let alone: Vec<u64> = (0..TRIALS)
            .map(|k| {
                let r = simulate_trial(&plan, 0, k, false, &mut out).expect("trial runs");
                digest(&r.spikes_ms, &r.input_counts)
            })
            .collect();
        let chunk = simulate_chunk(&plan, &plan.chunks[0], &|| {}).expect("chunk runs");
        let blocks: Vec<u64> = chunk
            .trials
            .iter()
            .map(|r| digest(&r.spikes_ms, &r.input_counts))
            .collect();
        assert_eq!(alone, blocks, "{case}: alone vs in blocks");
        if print {
            println!("(\"{case}\", {alone:?}),");
            continue;
        }
        let want = GOLDEN
            .iter()
            .find(|(m, _)| *m == case)
            .unwrap_or_else(|| panic!("no golden digests for {case}"));
        assert_eq!(alone[..], want.1[..], "{case}: digests changed");
    }
}
