//! `spikemc plot`: one figure of a run directory as PNG or SVG.

use crate::cli::{PlotArgs, PlotKind};
use crate::failure::Failure;
use crate::plot::data::{self, RunInfo, Table};
use crate::plot::{self, Fano, Isi, Psth, Raster, Sweep, TraceFigure};
use anyhow::anyhow;
use spikemc_store::{RunDir, StoredTrial, for_each_trial};

pub fn plot(args: PlotArgs) -> Result<(), Failure> {
    if !args.out.is_dir() {
        return Err(Failure::input(anyhow!(
            "{} is not a directory: give the OUT directory of `spikemc run` or `spikemc replay`",
            args.out.display()
        )));
    }
    let dir = RunDir::open(&args.out)?;
    let info = RunInfo::read(&dir)?;
    let kind = args.what.unwrap_or(if info.replay.is_some() {
        PlotKind::Trace
    } else {
        PlotKind::Raster
    });
    if args.trial.is_some() && kind != PlotKind::Trace {
        return Err(Failure::input(anyhow!(
            "--trial applies to --what trace only (for a raster, use --max-trials)"
        )));
    }
    if args.max_trials.is_some() && kind != PlotKind::Raster {
        return Err(Failure::input(anyhow!(
            "--max-trials applies to --what raster only"
        )));
    }
    if args.point.is_some() && kind == PlotKind::Sweep {
        return Err(Failure::input(anyhow!(
            "--point does not apply to --what sweep (it shows every point)"
        )));
    }
    let output = match &args.output {
        Some(p) => p.clone(),
        None => {
            let d = args.out.join("_plots");
            std::fs::create_dir_all(&d)
                .map_err(|e| Failure::other(anyhow!("cannot create {}: {e}", d.display())))?;
            d.join(format!("{}.png", kind.name()))
        }
    };
    plot::Format::of(&output)?;
    let point = args.point.or(info.replay.map(|(p, _)| p)).unwrap_or(0);
    info.check_point(point)?;
    match kind {
        PlotKind::Trace => {
            let (trial, trace) = data::read_trace(&dir, point, args.trial)?;
            let spikes = trial_spikes(&dir, point, trial)?;
            plot::save(
                &TraceFigure::new(&info, point, trial, trace, spikes),
                &output,
            )?;
        }
        PlotKind::Raster => {
            let max = args.max_trials.unwrap_or(50);
            if max == 0 {
                return Err(Failure::input(anyhow!("--max-trials must be at least 1")));
            }
            let (trains, n) = data::read_raster(&dir, point, max)?;
            let caption = summary_row(&dir, point)
                .map(|s| plot::raster_caption(s.rate, s.rate_lo, s.rate_hi, s.confidence));
            plot::save(&Raster::new(&info, point, trains, n, caption), &output)?;
        }
        PlotKind::Isi => {
            let t = Table::open(&dir, "isi_hist")?;
            let rows = t.point_rows(
                point,
                &["bin_left_ms", "bin_right_ms", "count", "density_per_ms"],
            )?;
            let cv = summary_row(&dir, point).map(|s| s.cv_pooled);
            plot::save(&Isi::new(&info, point, &rows, cv), &output)?;
        }
        PlotKind::Fano => {
            let t = Table::open(&dir, "fano")?;
            let rows =
                t.point_rows(point, &["window_ms", "fano", "fano_ci_low", "fano_ci_high"])?;
            let conf = summary_row(&dir, point).map_or(0.95, |s| s.confidence);
            plot::save(&Fano::new(&info, point, &rows, conf), &output)?;
        }
        PlotKind::Psth => {
            let t = Table::open(&dir, "psth")?;
            let rows = t.point_rows(point, &["bin_left_ms", "bin_right_ms", "rate_hz"])?;
            let s = summary_row(&dir, point);
            let fig = Psth::new(
                &info,
                point,
                &rows,
                s.as_ref().map(|s| s.n_trials),
                s.as_ref().map(|s| s.rate),
            );
            plot::save(&fig, &output)?;
        }
        PlotKind::Sweep => {
            let fig = sweep_figure(&dir, &info)?;
            plot::save(&fig, &output)?;
        }
    }
    println!("wrote {}", output.display());
    Ok(())
}

/// Spike times of one trial (for the marks on the trace).
fn trial_spikes(dir: &RunDir, point: u32, trial: u32) -> Result<Vec<f64>, Failure> {
    let mut out = Vec::new();
    for_each_trial(dir, |t: StoredTrial<'_>| {
        if t.point == point && t.trial == trial {
            out = t.spikes_ms.to_vec();
        }
        Ok(())
    })?;
    Ok(out)
}

/// The summary numbers a caption quotes.
struct SummaryRow {
    n_trials: f64,
    rate: f64,
    rate_lo: f64,
    rate_hi: f64,
    cv_pooled: f64,
    confidence: f64,
}

/// The summary row of `point`, if `summary.parquet` exists (captions only).
fn summary_row(dir: &RunDir, point: u32) -> Option<SummaryRow> {
    let t = Table::open(dir, "summary").ok()?;
    let cols = [
        "n_trials",
        "rate_mean_hz",
        "rate_t_ci_low_hz",
        "rate_t_ci_high_hz",
        "isi_cv_pooled",
        "confidence",
    ];
    let r = t.point_rows(point, &cols).ok()?;
    let v = |i: usize| r[i].first().copied();
    Some(SummaryRow {
        n_trials: v(0)?,
        rate: v(1)?,
        rate_lo: v(2)?,
        rate_hi: v(3)?,
        cv_pooled: v(4)?,
        confidence: v(5)?,
    })
}

/// points.parquet joined with summary.parquet on `point`.
fn sweep_figure(dir: &RunDir, info: &RunInfo) -> Result<Sweep, Failure> {
    let points = Table::open(dir, "points")?;
    let keys: Vec<String> = points
        .columns()
        .into_iter()
        .map(|c| c.0)
        .filter(|c| c != "point")
        .collect();
    let Some(x_key) = keys.last().cloned() else {
        return Err(Failure::input(anyhow!(
            "{} has no [sweep]: --what sweep needs a run over a grid of values, e.g. \
             `spikemc example sweep-rate > sweep.toml && spikemc run sweep.toml -o OUT`; \
             for a single point use --what raster|isi|fano|psth",
            dir.root().display()
        )));
    };
    let x = points.f64(&x_key)?;
    let ids = points.points()?;
    // The other swept keys label the curves.
    let others: Vec<(String, Vec<String>)> = keys[..keys.len() - 1]
        .iter()
        .map(|k| {
            let vals = ids
                .iter()
                .map(|&p| info.value(p, k).map_or("?".into(), |v| data::num(&v)))
                .collect();
            (k.clone(), vals)
        })
        .collect();
    let summary = Table::open(dir, "summary")?;
    let cols = [
        "rate_mean_hz",
        "rate_t_ci_low_hz",
        "rate_t_ci_high_hz",
        "fano_main",
        "fano_main_ci_low",
        "fano_main_ci_high",
        "fano_main_window_ms",
        "confidence",
    ];
    let s_points = summary.points()?;
    let s_cols: Vec<Vec<f64>> = cols
        .iter()
        .map(|c| summary.f64(c))
        .collect::<Result<_, _>>()?;
    let mut curves: Vec<plot::SweepCurve> = Vec::new();
    for (row, &p) in ids.iter().enumerate() {
        let Some(i) = s_points.iter().position(|&q| q == p) else {
            continue; // a point without trials yet (an incomplete sharded run)
        };
        let label: Vec<String> = others
            .iter()
            .map(|(k, vals)| format!("{k} = {}", vals[row]))
            .collect();
        let label = label.join(", ");
        let r = [
            x[row],
            s_cols[0][i],
            s_cols[1][i],
            s_cols[2][i],
            s_cols[3][i],
            s_cols[4][i],
            s_cols[5][i],
        ];
        match curves.iter_mut().find(|c| c.0 == label) {
            Some(c) => c.1.push(r),
            None => curves.push((label, vec![r])),
        }
    }
    for c in &mut curves {
        c.1.sort_by(|a, b| a[0].total_cmp(&b[0]));
    }
    let window = s_cols[6].first().copied().unwrap_or(f64::NAN);
    let conf = s_cols[7].first().copied().unwrap_or(0.95);
    Ok(Sweep::new(info, x_key, curves, window, conf))
}

impl PlotKind {
    fn name(self) -> &'static str {
        match self {
            PlotKind::Trace => "trace",
            PlotKind::Raster => "raster",
            PlotKind::Isi => "isi",
            PlotKind::Fano => "fano",
            PlotKind::Psth => "psth",
            PlotKind::Sweep => "sweep",
        }
    }
}
