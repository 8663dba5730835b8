//! `spikemc plot` and `spikemc example`: every figure renders as PNG and SVG
//! for the question experiment, bad requests exit 2 with the fix, every
//! shipped example passes `spikemc check`, and scripts/analyze.py redraws
//! its figures from a fresh run.

use crate::harness::{Dir, python, repo};
use std::path::Path;
use std::process::Command;

const KINDS: [&str; 5] = ["trace", "raster", "isi", "fano", "psth"];

/// A short run of the shipped question experiment (trial 0 recorded).
fn question_run(d: &Dir) {
    d.spikemc(&[
        "run",
        &repo("experiments/question-as-meant.toml"),
        "-o",
        "OUT",
        "-q",
        "--trials",
        "12",
        "--set",
        "duration_ms=300",
    ])
    .ok();
}

/// Width and height of a PNG, after checking its signature and IHDR chunk.
fn png_size(path: &Path) -> (u32, u32) {
    let b = std::fs::read(path).expect("read png");
    assert_eq!(
        &b[..8],
        b"\x89PNG\r\n\x1a\n",
        "{}: not a PNG",
        path.display()
    );
    assert_eq!(&b[12..16], b"IHDR", "{}: no IHDR first", path.display());
    let be = |i: usize| u32::from_be_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
    // A real figure, not an empty canvas: text, axes and data compress to
    // more than a few kB, and a full-size RGB frame would be far larger.
    assert!(
        (8_000..3_000_000).contains(&b.len()),
        "{}: implausible size {} bytes",
        path.display(),
        b.len()
    );
    assert_eq!(
        &b[b.len() - 8..b.len() - 4],
        b"IEND",
        "{}: truncated",
        path.display()
    );
    (be(16), be(20))
}

/// Checks an SVG is well-formed enough (balanced, closed root) and holds
/// the axis labels as text.
fn check_svg(path: &Path, must_contain: &[&str]) {
    let s = std::fs::read_to_string(path).expect("read svg");
    assert!(
        s.trim_start().starts_with("<svg") || s.contains("<svg "),
        "{}",
        path.display()
    );
    assert!(
        s.trim_end().ends_with("</svg>"),
        "{}: not closed",
        path.display()
    );
    assert_eq!(
        s.matches("<text").count(),
        s.matches("</text>").count(),
        "{}: unbalanced <text>",
        path.display()
    );
    assert!(
        s.matches("<text").count() >= 5,
        "{}: too little text",
        path.display()
    );
    for want in must_contain {
        assert!(s.contains(want), "{}: lacks {want:?}", path.display());
    }
}

fn labels(kind: &str) -> &'static [&'static str] {
    match kind {
        "trace" => &["V (mV)", "t (ms)", "gating value", "question-as-meant"],
        "raster" => &["trial", "t (ms)", "question-as-meant"],
        "isi" => &["interspike interval (ms)", "density"],
        "fano" => &["counting window (ms", "Fano factor"],
        "psth" => &["firing rate (Hz)", "t (ms)"],
        "sweep" => &["firing rate (Hz)", "inputs.exc.rate_hz", "Fano factor"],
        _ => &[],
    }
}

#[test]
fn every_plot_kind_renders_as_png_and_svg_for_the_question_experiment() {
    let d = Dir::new();
    question_run(&d);
    for kind in KINDS {
        let png = format!("{kind}.png");
        let svg = format!("{kind}.svg");
        d.spikemc(&["plot", "OUT", "--what", kind, "-o", &png]).ok();
        d.spikemc(&["plot", "OUT", "--what", kind, "-o", &svg]).ok();
        let (w, h) = png_size(&d.path(&png));
        assert!(
            (800..=2000).contains(&w) && (500..=1200).contains(&h),
            "{kind}: {w}x{h}"
        );
        check_svg(&d.path(&svg), labels(kind));
    }
}

#[test]
fn sweep_plot_renders_rate_and_fano_against_the_swept_key() {
    let d = Dir::new();
    d.spikemc(&[
        "run",
        &repo("experiments/sweep-rate.toml"),
        "-o",
        "OUT",
        "-q",
        "--trials",
        "6",
        "--set",
        "duration_ms=200",
    ])
    .ok();
    d.spikemc(&["plot", "OUT", "--what", "sweep", "-o", "s.png"])
        .ok();
    d.spikemc(&["plot", "OUT", "--what", "sweep", "-o", "s.svg"])
        .ok();
    png_size(&d.path("s.png"));
    check_svg(&d.path("s.svg"), labels("sweep"));
    // Traces are recorded at every point: --point selects one.
    d.spikemc(&[
        "plot", "OUT", "--what", "trace", "--point", "3", "-o", "t3.png",
    ])
    .ok();
}

#[test]
fn plot_defaults_to_out_plots_and_a_replay_draws_its_trace() {
    let d = Dir::new();
    question_run(&d);
    let r = d.spikemc(&["plot", "OUT"]).ok();
    assert!(r.stdout().contains("_plots"), "{}", r.stdout());
    png_size(&d.path("OUT/_plots/raster.png"));
    d.spikemc(&[
        "replay",
        &repo("experiments/question-as-meant.toml"),
        "--trial",
        "5",
        "--set",
        "duration_ms=300",
        "-o",
        "R",
    ])
    .ok();
    d.spikemc(&["plot", "R", "-o", "r.svg"]).ok();
    check_svg(&d.path("r.svg"), &["trial 5 (replayed alone)"]);
}

#[test]
fn plot_errors_exit_2_and_say_how_to_fix_them() {
    let d = Dir::new();
    question_run(&d);
    // A run without recorded trials has no traces.
    d.spikemc(&[
        "run",
        &repo("experiments/question-as-meant.toml"),
        "-o",
        "NOREC",
        "-q",
        "--trials",
        "2",
        "--set",
        "duration_ms=100",
        "--set",
        "record.trials=[]",
    ])
    .ok();
    let cases: &[(&[&str], &str)] = &[
        (
            &["plot", "NOREC", "--what", "trace", "-o", "a.png"],
            "record trials",
        ),
        (
            &[
                "plot", "OUT", "--what", "trace", "--trial", "7", "-o", "a.png",
            ],
            "spikemc replay",
        ),
        (
            &["plot", "OUT", "--what", "histogram", "-o", "a.png"],
            "possible values",
        ),
        (
            &["plot", "OUT", "--what", "fano", "-o", "a.pdf"],
            ".png or .svg",
        ),
        (
            &["plot", "OUT", "--what", "sweep", "-o", "a.png"],
            "spikemc example sweep-rate",
        ),
        (
            &[
                "plot", "OUT", "--what", "isi", "--point", "4", "-o", "a.png",
            ],
            "out of range",
        ),
        (
            &[
                "plot", "OUT", "--what", "fano", "--trial", "0", "-o", "a.png",
            ],
            "--what trace only",
        ),
        (&["plot", "MISSING", "-o", "a.png"], "not a directory"),
    ];
    for (args, hint) in cases {
        let r = d.spikemc(args).code_is(2);
        assert!(
            r.stderr().contains(hint),
            "{args:?}: want {hint:?} in\n{}",
            r.stderr()
        );
        assert!(
            !d.path("a.png").exists() && !d.path("a.pdf").exists(),
            "{args:?} wrote a file"
        );
    }
    // Statistics tables removed: the message names `spikemc analyze`.
    std::fs::remove_file(d.path("OUT/fano.parquet")).unwrap();
    let r = d
        .spikemc(&["plot", "OUT", "--what", "fano", "-o", "a.png"])
        .code_is(2);
    assert!(r.stderr().contains("spikemc analyze"), "{}", r.stderr());
}

#[test]
fn every_example_round_trips_through_check() {
    let d = Dir::new();
    let list = d.spikemc(&["example"]).ok().stdout();
    let names: Vec<String> = list
        .lines()
        .skip(1)
        .filter_map(|l| l.split_whitespace().next().map(str::to_string))
        .collect();
    for want in [
        "question-as-coded",
        "question-as-meant",
        "inputs-5000",
        "sweep-rate",
        "alpha-current-hh",
        "campbell-conductance",
        "cobahh-traub",
        "lif-siegert",
        "explicit-inputs",
        "inhomogeneous-sine",
        "gamma-inputs",
        "mip-correlated",
        "exact-timing-rk45",
    ] {
        assert!(
            names.iter().any(|n| n == want),
            "{want} not listed:\n{list}"
        );
    }
    for name in &names {
        let text = d.spikemc(&["example", name]).ok().stdout();
        // Printed exactly as shipped.
        let shipped = std::fs::read_to_string(repo(&format!("experiments/{name}.toml"))).unwrap();
        assert_eq!(text, shipped, "{name}");
        let file = d.write(&format!("{name}.toml"), &text);
        let r = d.spikemc(&["check", file.to_str().unwrap()]).ok();
        assert!(r.stdout().contains("estimated output"), "{}", r.stdout());
    }
    let r = d.spikemc(&["example", "nope"]).code_is(2);
    assert!(r.stderr().contains("sweep-rate"), "{}", r.stderr());
}

#[test]
fn check_bounds_the_output_size_of_a_real_run() {
    // The printed "total up to" must not be below what a run writes.
    let d = Dir::new();
    let exp = repo("experiments/question-as-meant.toml");
    let args = ["--trials", "40", "--set", "duration_ms=500"];
    let check = d
        .spikemc(&[&["check", exp.as_str()][..], &args[..]].concat())
        .ok()
        .stdout();
    d.spikemc(&[&["run", exp.as_str(), "-o", "OUT", "-q"][..], &args[..]].concat())
        .ok();
    let line = check
        .lines()
        .find(|l| l.contains("total up to"))
        .expect(&check);
    let words: Vec<&str> = line.split_whitespace().collect();
    let i = words.iter().position(|w| *w == "to").unwrap();
    let value: f64 = words[i + 1].parse().unwrap();
    let scale = match words[i + 2] {
        "B" => 1.0,
        "kB" => 1e3,
        "MB" => 1e6,
        "GB" => 1e9,
        u => panic!("unit {u}"),
    };
    let mut written = 0u64;
    for table in ["trials", "spikes", "traces"] {
        for e in std::fs::read_dir(d.path("OUT").join(table)).unwrap() {
            written += e.unwrap().metadata().unwrap().len();
        }
    }
    assert!(
        value * scale >= written as f64,
        "{line}: wrote {written} bytes"
    );
}

#[test]
fn analyze_py_redraws_raster_and_fano_from_a_fresh_run() {
    let d = Dir::new();
    question_run(&d);
    let out = Command::new(python())
        .arg(repo("scripts/analyze.py"))
        .arg(d.path("OUT"))
        .arg("--out-dir")
        .arg(d.path("figs"))
        .env("MPLBACKEND", "Agg")
        .env("MPLCONFIGDIR", d.path("mpl"))
        .output()
        .expect("spawn python");
    assert!(
        out.status.success(),
        "analyze.py failed\n--- stdout\n{}\n--- stderr\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("point 0: 12 trials"), "{stdout}");
    for f in ["raster.png", "fano.png"] {
        png_size(&d.path("figs").join(f));
    }
}

#[test]
fn plot_and_example_help_show_examples() {
    let d = Dir::new();
    for cmd in [["plot", "--help"], ["example", "--help"]] {
        let r = d.spikemc(&cmd).ok();
        assert!(r.stdout().contains("Examples:"), "{cmd:?}\n{}", r.stdout());
    }
}
