#!/usr/bin/env python3
"""Load a spikemc run directory with pandas and redraw two of its figures
with matplotlib: a spike raster of the first trials and the Fano factor
against the counting window (with its confidence band).

    python scripts/analyze.py OUT [--out-dir DIR] [--max-trials 50]

Writes DIR/raster.png and DIR/fano.png (DIR defaults to OUT) and prints a
one-line summary per sweep point. Needs pandas, pyarrow and matplotlib
(scripts/requirements-test.txt). Compare with `spikemc plot OUT --what raster`
and `--what fano`.
"""
import argparse
import json
import os
import sys

import matplotlib

matplotlib.use("Agg")  # files only, no display needed
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", help="run directory written by `spikemc run`")
    ap.add_argument("--out-dir", help="where to write the PNGs (default: OUT)")
    ap.add_argument("--max-trials", type=int, default=50)
    ap.add_argument("--point", type=int, default=0)
    args = ap.parse_args()
    out, dest = args.out, args.out_dir or args.out
    os.makedirs(dest, exist_ok=True)

    with open(os.path.join(out, "_run.json")) as f:
        run = json.load(f)
    exp = run["experiment"]
    inputs = ", ".join(
        f"{v['count']} {k} × {v['rate_hz']:g} Hz ({v['weight']:+g} mV)"
        for k, v in exp["inputs"].items()
    )
    what = f"{exp['name']}: {inputs}; {exp['trials']} trials × {exp['duration_ms']:g} ms"

    # trials/ has one row per trial, silent ones too; spikes/ one row per spike.
    trials = pd.read_parquet(os.path.join(out, "trials"))
    spikes = pd.read_parquet(os.path.join(out, "spikes"))
    summary = pd.read_parquet(os.path.join(out, "summary.parquet"))
    fano = pd.read_parquet(os.path.join(out, "fano.parquet"))

    for row in summary.itertuples():
        print(
            f"point {row.point}: {row.n_trials} trials, rate {row.rate_mean_hz:.3f} Hz "
            f"[{row.rate_t_ci_low_hz:.3f}, {row.rate_t_ci_high_hz:.3f}], "
            f"ISI CV {row.isi_cv_pooled:.3f}, Fano {row.fano_main:.3f}"
        )

    # Raster: the max_trials lowest trial ids of the point (from trials/, so
    # silent trials keep their row).
    ids = sorted(trials.loc[trials.point == args.point, "trial"])[: args.max_trials]
    s = spikes[(spikes.point == args.point) & spikes.trial.isin(ids)]
    fig, ax = plt.subplots(figsize=(10, 5.5))
    ax.scatter(s.t_ms, s.trial, marker="|", s=40, color="black", linewidths=1.2)
    ax.set_xlim(0, exp["duration_ms"])
    ax.set_ylim(min(ids) - 0.5, max(ids) + 0.5)
    ax.set_xlabel("t (ms)")
    ax.set_ylabel("trial")
    ax.set_title(f"spike raster, trials {min(ids)}–{max(ids)}\n{what}", fontsize=10)
    fig.tight_layout()
    fig.savefig(os.path.join(dest, "raster.png"), dpi=100)
    plt.close(fig)

    # Fano factor against the counting window, with its confidence band.
    f = fano[(fano.point == args.point) & fano.fano.notna()].sort_values("window_ms")
    fig, ax = plt.subplots(figsize=(10, 5.5))
    ax.fill_between(f.window_ms, f.fano_ci_low, f.fano_ci_high, alpha=0.25,
                    label=f"{summary.confidence.iloc[0]:.0%} confidence interval")
    ax.plot(f.window_ms, f.fano, "o-", label="Fano factor")
    ax.axhline(1.0, color="grey", ls="--", lw=1, label="Poisson process (F = 1)")
    ax.set_xscale("log")
    ax.set_xticks(f.window_ms, [f"{w:g}" for w in f.window_ms])
    ax.set_ylim(bottom=0)
    ax.set_xlabel("counting window (ms, log scale)")
    ax.set_ylabel("Fano factor (var/mean of counts)")
    ax.set_title(f"Fano factor vs counting window\n{what}", fontsize=10)
    ax.legend(loc="upper left")
    fig.tight_layout()
    fig.savefig(os.path.join(dest, "fano.png"), dpi=100)
    plt.close(fig)
    print(f"wrote {os.path.join(dest, 'raster.png')} and {os.path.join(dest, 'fano.png')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
