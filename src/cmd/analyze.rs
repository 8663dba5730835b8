//! `spikemc analyze`: the statistics tables (summary, ISI histogram, Fano, PSTH) from a
//! run directory's `trials/` and `spikes/`.
//!
//! `spikemc run` ends by calling [`analyze_dir`] on its own output, so the tables written
//! by a run and by a later `spikemc analyze` come from one code path and are identical.

use crate::cli::AnalyzeArgs;
use crate::failure::Failure;
use anyhow::anyhow;
use serde_json::json;
use spikemc_ensemble::{Assignment, ExperimentSpec, Plan};
use spikemc_store::{
    AnalysisTables, PointSpan, RunDir, analyze_run, stored_run_meta, write_analysis_tables,
};
use std::time::Instant;

/// Points listed in the printed summary; the rest are in summary.parquet.
const PRINTED_POINTS: usize = 20;

pub fn analyze(args: AnalyzeArgs) -> Result<(), Failure> {
    let dir = RunDir::open(&args.out)?;
    let mut run_json = dir.read_run_json()?;
    let sets = analysis_sets(&args.set)?;
    let plan = plan_of_run(&dir, &run_json, &sets)?;
    let missing = missing_chunks(&dir, &plan)?;
    if missing.is_empty() {
        // Every planned chunk is on disk (one process, or a full set of shards).
        run_json["complete"] = json!(true);
    } else {
        let list: Vec<String> = missing.iter().map(u32::to_string).collect();
        eprintln!(
            "warning: {} is incomplete: {} of {} chunk(s) missing: {} (a shard not run or still running, or a killed run: \
             run the missing shards or `spikemc run ... --resume`); analysing the chunks written so far",
            dir.root().display(),
            missing.len(),
            plan.chunks.len(),
            list.join(", ")
        );
    }
    let started = Instant::now();
    let tables = analyze_dir(&dir, &plan)?;
    let elapsed = started.elapsed().as_secs_f64();
    record(&mut run_json, &plan, "spikemc analyze", elapsed);
    dir.write_run_json(&run_json)?;
    println!(
        "wrote {}/{{summary,isi_hist,fano,psth}}.parquet: {} point(s), {} trial(s) in {:.2} s",
        dir.root().display(),
        plan.points.len(),
        tables
            .points
            .iter()
            .map(|p| p.summary.n_trials)
            .sum::<i64>(),
        elapsed
    );
    print_summary(&plan, &tables);
    Ok(())
}

/// Computes the statistics of `dir` (trials per point as planned by `plan`) and writes
/// the four tables, replacing earlier ones. The one code path of `run` and `analyze`.
pub(crate) fn analyze_dir(dir: &RunDir, plan: &Plan) -> Result<AnalysisTables, Failure> {
    let spans = plan
        .points
        .iter()
        .map(|p| PointSpan::new(p.analysis.clone(), 0.0, p.protocol.duration_ms()))
        .collect::<Result<Vec<_>, _>>()
        // The plan has validated these; an error here would still be a bad setting.
        .map_err(Failure::input)?;
    let tables = analyze_run(dir, &spans)?;
    write_analysis_tables(dir, &tables, &table_meta(dir, plan)?)?;
    for (j, p) in tables.points.iter().enumerate() {
        if p.summary.n_trials != plan.spec.trials as i64 {
            eprintln!(
                "warning: point {j} has {} of {} trials in {} (incomplete run or one shard only?)",
                p.summary.n_trials,
                plan.spec.trials,
                dir.root().display()
            );
        }
    }
    Ok(tables)
}

/// Records in `_run.json` which settings the current tables were computed with, by
/// which command, and how long it took.
pub(crate) fn record(run_json: &mut serde_json::Value, plan: &Plan, by: &str, seconds: f64) {
    run_json["analysis"] = json!({
        "settings": plan.spec.analysis,
        "by": by,
    });
    if !run_json["timings"].is_object() {
        run_json["timings"] = json!({});
    }
    run_json["timings"]["analyze_s"] = json!(seconds);
}

/// The metadata of the statistics tables: that of the run's other tables (read from its
/// first `trials/` part), with `experiment.analysis` set to the settings actually used.
/// Without any part file, `_run.json` minus its bookkeeping stands in.
fn table_meta(dir: &RunDir, plan: &Plan) -> Result<String, Failure> {
    let mut meta = match stored_run_meta(dir)? {
        Some(text) => serde_json::from_str(&text).map_err(|e| {
            Failure::other(anyhow!(
                "{}/trials: the run metadata on its schema is not JSON: {e}",
                dir.root().display()
            ))
        })?,
        None => {
            let mut m = dir.read_run_json()?;
            if let Some(obj) = m.as_object_mut() {
                for key in ["plan", "complete", "timings", "analysis"] {
                    obj.remove(key);
                }
            }
            m
        }
    };
    if meta["experiment"].is_object() {
        meta["experiment"]["analysis"] = json!(plan.spec.analysis);
    } else {
        meta["experiment"] = plan.resolved_json();
    }
    Ok(meta.to_string())
}

/// The `--set` assignments of `analyze`: only `analysis.*` may change, since the stored
/// trials were simulated with everything else.
fn analysis_sets(raw: &[String]) -> Result<Vec<Assignment>, Failure> {
    raw.iter()
        .map(|s| {
            let a = Assignment::parse(s)?;
            if a.path.starts_with("analysis.") {
                Ok(a)
            } else {
                Err(Failure::input(anyhow!(
                    "--set {}: `spikemc analyze` can only change analysis.* settings (the stored trials were simulated with the rest); run the experiment again to change `{}`",
                    s,
                    a.path
                )))
            }
        })
        .collect()
}

/// The run's plan, re-created from the resolved experiment in `_run.json` with `sets`
/// applied, through the same validation as `spikemc run`.
fn plan_of_run(
    dir: &RunDir,
    run_json: &serde_json::Value,
    sets: &[Assignment],
) -> Result<Plan, Failure> {
    let origin = dir.run_json_path().display().to_string();
    let experiment = run_json
        .get("experiment")
        .ok_or_else(|| Failure::input(anyhow!("{origin}: no \"experiment\" key")))?;
    let spec: ExperimentSpec = serde_json::from_value(experiment.clone())
        .map_err(|e| Failure::input(anyhow!("{origin}: \"experiment\": {e}")))?;
    let text = toml::Table::try_from(&spec)
        .and_then(|t| toml::to_string(&t))
        .map_err(|e| Failure::other(anyhow!("{origin}: experiment as TOML: {e}")))?;
    Ok(Plan::from_toml(&text, &origin, sets)?)
}

/// A few lines per point on stdout: rate with its t interval, CV, main Fano factor.
pub(crate) fn print_summary(plan: &Plan, tables: &AnalysisTables) {
    for (j, (p, point)) in tables.points.iter().zip(&plan.points).enumerate() {
        if j == PRINTED_POINTS {
            println!(
                "... {} more point(s) in summary.parquet",
                tables.points.len() - j
            );
            break;
        }
        let s = &p.summary;
        let values: Vec<String> = point
            .values
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        let label = if values.is_empty() {
            format!("point {j}")
        } else {
            format!("point {j} ({})", values.join(", "))
        };
        let conf = point.analysis.confidence * 100.0;
        let half = (s.rate_t_ci_high_hz - s.rate_t_ci_low_hz) / 2.0;
        let rate = if half.is_finite() {
            format!("{:.3} ± {:.3} Hz ({conf}% CI)", s.rate_mean_hz, half)
        } else {
            format!("{} Hz", num(s.rate_mean_hz))
        };
        println!(
            "{label}: {} trials ({} silent), rate {rate}, ISI CV {}, Fano({} ms) {} [{}, {}]",
            s.n_trials,
            s.n_trials_silent,
            num(s.isi_cv_pooled),
            s.fano_main_window_ms,
            num(s.fano_main),
            num(s.fano_main_ci_low),
            num(s.fano_main_ci_high),
        );
    }
}

fn num(x: f64) -> String {
    if x.is_nan() {
        "n/a".to_string()
    } else {
        format!("{x:.3}")
    }
}

/// Planned chunks whose trials part (written last) is not on disk, by index.
fn missing_chunks(dir: &RunDir, plan: &Plan) -> Result<Vec<u32>, Failure> {
    let done = dir.complete_chunks()?;
    Ok(plan
        .chunks
        .iter()
        .filter(|c| !done.contains(&(c.point, c.index)))
        .map(|c| c.index)
        .collect())
}
