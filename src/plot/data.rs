//! Reading what the figures need from a run directory: the statistics tables
//! as columns, the recorded traces of one trial, the spike trains of the
//! first trials of a point, and what `_run.json` says was run.

use crate::failure::Failure;
use anyhow::anyhow;
use arrow_array::cast::AsArray;
use arrow_array::types::{Float64Type, Int32Type, Int64Type};
use arrow_array::{Array, RecordBatch};
use arrow_schema::DataType;
use serde_json::Value;
use spikemc_store::{RunDir, StoredTrial, for_each_trial, read_batches};
use std::collections::BTreeMap;
use std::path::PathBuf;

/// One statistics table (`summary`, `fano`, ...) read whole: they are small.
pub struct Table {
    path: PathBuf,
    batches: Vec<RecordBatch>,
}

impl Table {
    /// Reads `OUT/<name>.parquet`; a missing file is bad input with the fix.
    pub fn open(dir: &RunDir, name: &str) -> Result<Self, Failure> {
        let path = dir.root().join(format!("{name}.parquet"));
        if !path.is_file() {
            return Err(Failure::input(anyhow!(
                "no {name}.parquet in {}: write the statistics tables with `spikemc analyze {}` \
                 (a `spikemc replay` directory has none: plot it with --what trace)",
                dir.root().display(),
                dir.root().display()
            )));
        }
        Ok(Self {
            batches: read_batches(&path)?,
            path,
        })
    }

    /// Names and types of the columns.
    pub fn columns(&self) -> Vec<(String, DataType)> {
        match self.batches.first() {
            Some(b) => b
                .schema()
                .fields()
                .iter()
                .map(|f| (f.name().clone(), f.data_type().clone()))
                .collect(),
            None => Vec::new(),
        }
    }

    /// A numeric column as f64 (nulls become NaN).
    pub fn f64(&self, name: &str) -> Result<Vec<f64>, Failure> {
        let mut out = Vec::new();
        for b in &self.batches {
            let col = b.column_by_name(name).ok_or_else(|| self.missing(name))?;
            match col.data_type() {
                DataType::Float64 => {
                    let a = col.as_primitive::<Float64Type>();
                    out.extend(
                        (0..a.len()).map(|i| if a.is_null(i) { f64::NAN } else { a.value(i) }),
                    );
                }
                DataType::Int64 => {
                    let a = col.as_primitive::<Int64Type>();
                    out.extend((0..a.len()).map(|i| {
                        if a.is_null(i) {
                            f64::NAN
                        } else {
                            a.value(i) as f64
                        }
                    }));
                }
                DataType::Int32 => {
                    let a = col.as_primitive::<Int32Type>();
                    out.extend((0..a.len()).map(|i| {
                        if a.is_null(i) {
                            f64::NAN
                        } else {
                            a.value(i) as f64
                        }
                    }));
                }
                other => {
                    return Err(Failure::input(anyhow!(
                        "column {name} of {} is {other}, not a number: only numeric sweep values can be plotted",
                        self.path.display()
                    )));
                }
            }
        }
        Ok(out)
    }

    /// The `point` column.
    pub fn points(&self) -> Result<Vec<u32>, Failure> {
        Ok(self.f64("point")?.into_iter().map(|p| p as u32).collect())
    }

    /// Rows of `point` only, of the given columns.
    pub fn point_rows(&self, point: u32, cols: &[&str]) -> Result<Vec<Vec<f64>>, Failure> {
        let p = self.points()?;
        cols.iter()
            .map(|c| {
                let v = self.f64(c)?;
                Ok(v.into_iter()
                    .zip(&p)
                    .filter(|(_, q)| **q == point)
                    .map(|(x, _)| x)
                    .collect())
            })
            .collect()
    }

    fn missing(&self, name: &str) -> Failure {
        Failure::other(anyhow!(
            "{} has no column {name}: was it written by an older spikemc? run `spikemc analyze` on the run again",
            self.path.display()
        ))
    }
}

/// What was run, from `_run.json`: for titles and captions.
pub struct RunInfo {
    /// The resolved experiment.
    pub experiment: Value,
    /// Per point: swept (path, value) pairs.
    pub points: Vec<Vec<(String, Value)>>,
    /// Set for a `spikemc replay` directory: (point, trial).
    pub replay: Option<(u32, u32)>,
}

impl RunInfo {
    pub fn read(dir: &RunDir) -> Result<Self, Failure> {
        let run = dir.read_run_json()?;
        let experiment = run["experiment"].clone();
        if !experiment.is_object() {
            return Err(Failure::input(anyhow!(
                "{} has no experiment: is it a spikemc run directory?",
                dir.run_json_path().display()
            )));
        }
        let points = match run["plan"]["points"].as_array() {
            Some(ps) => ps
                .iter()
                .map(|p| match p["values"].as_object() {
                    Some(m) => m.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
                    None => Vec::new(),
                })
                .collect(),
            None => vec![Vec::new()],
        };
        let replay = run
            .get("replay")
            .and_then(|r| Some((r["point"].as_u64()? as u32, r["trial"].as_u64()? as u32)));
        Ok(Self {
            experiment,
            points,
            replay,
        })
    }

    pub fn name(&self) -> &str {
        self.experiment["name"].as_str().unwrap_or("unnamed")
    }

    pub fn trials(&self) -> u64 {
        self.experiment["trials"].as_u64().unwrap_or(0)
    }

    /// Checks that `point` exists.
    pub fn check_point(&self, point: u32) -> Result<(), Failure> {
        if point as usize >= self.points.len() {
            return Err(Failure::input(anyhow!(
                "--point {point} is out of range: the run has points 0..={}",
                self.points.len().saturating_sub(1)
            )));
        }
        Ok(())
    }

    /// Whether a dotted path is swept.
    fn swept(&self, path: &str) -> bool {
        self.points
            .first()
            .is_some_and(|p| p.iter().any(|(k, _)| k == path))
    }

    /// A value at `point`: the swept value if the path is swept, else the experiment's.
    pub fn value(&self, point: u32, path: &str) -> Option<Value> {
        if let Some(v) = self
            .points
            .get(point as usize)
            .and_then(|p| p.iter().find(|(k, _)| k == path))
        {
            return Some(v.1.clone());
        }
        let mut v = &self.experiment;
        for part in path.split('.') {
            v = v.get(part)?;
        }
        Some(v.clone())
    }

    /// \[ms\] Trial duration at `point`.
    pub fn duration_ms(&self, point: u32) -> f64 {
        self.value(point, "duration_ms")
            .and_then(|v| v.as_f64())
            .unwrap_or(f64::NAN)
    }

    /// "inputs.exc.rate_hz = 20" for a swept point, "" otherwise.
    pub fn point_label(&self, point: u32) -> String {
        match self.points.get(point as usize) {
            Some(vals) if !vals.is_empty() => {
                let v: Vec<String> = vals
                    .iter()
                    .map(|(k, v)| format!("{k} = {}", num(v)))
                    .collect();
                format!("point {point}: {}", v.join(", "))
            }
            _ => String::new(),
        }
    }

    /// One line on what was run: inputs, trials, duration, method. A swept
    /// value shows as `*` and the line names the swept keys.
    pub fn describe(&self, trials_text: Option<&str>) -> String {
        let e = &self.experiment;
        let unit = match e["synapse"]["kind"].as_str().unwrap_or("delta") {
            "delta" => "mV",
            k if k.contains("cond") => "mS/cm²",
            _ => "µA/cm²",
        };
        let field = |input: &str, key: &str| -> String {
            if self.swept(&format!("inputs.{input}.{key}")) {
                "*".into()
            } else {
                num(&e["inputs"][input][key])
            }
        };
        let mut parts = Vec::new();
        if let Some(inputs) = e["inputs"].as_object() {
            let desc: Vec<String> = inputs
                .keys()
                .map(|n| {
                    let w = field(n, "weight");
                    let w = if w.starts_with('-') || w == "*" {
                        w
                    } else {
                        format!("+{w}")
                    };
                    format!(
                        "{} {n} × {} Hz × p {}, {w} {unit}",
                        field(n, "count"),
                        field(n, "rate_hz"),
                        field(n, "p_transmit"),
                    )
                })
                .collect();
            parts.push(format!("inputs: {}", desc.join("; ")));
        }
        let trials = match trials_text {
            Some(t) => t.to_string(),
            None => format!("{} trials", self.trials()),
        };
        let dur = if self.swept("duration_ms") {
            "*".into()
        } else {
            num(&e["duration_ms"])
        };
        parts.push(format!("{trials} × {dur} ms"));
        parts.push(format!(
            "{}, dt {} ms",
            e["method"].as_str().unwrap_or("?"),
            num(&e["dt_ms"])
        ));
        let swept: Vec<&str> = self
            .points
            .first()
            .map(|p| p.iter().map(|(k, _)| k.as_str()).collect())
            .unwrap_or_default();
        if !swept.is_empty() {
            parts.push(format!("* swept: {}", swept.join(", ")));
        }
        parts.join(" · ")
    }
}

/// A JSON number or string as a user reads it.
pub fn num(v: &Value) -> String {
    match v {
        Value::Number(n) => match (n.as_i64(), n.as_f64()) {
            (Some(i), _) => i.to_string(),
            (None, Some(f)) => fmt_f(f),
            _ => n.to_string(),
        },
        Value::String(s) => s.clone(),
        Value::Null => "?".into(),
        other => other.to_string(),
    }
}

/// A float with at most 4 significant decimals and no trailing zeros.
pub fn fmt_f(x: f64) -> String {
    if !x.is_finite() {
        return "n/a".into();
    }
    if x != 0.0 && (x.abs() >= 1e6 || x.abs() < 1e-3) {
        return format!("{x:.3e}");
    }
    let s = format!("{x:.4}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" { "0".into() } else { s.into() }
}

/// A float to `sig` significant digits, for captions ("9.26", "0.907").
pub fn fmt_sig(x: f64, sig: i32) -> String {
    if !x.is_finite() {
        return "n/a".into();
    }
    if x == 0.0 {
        return "0".into();
    }
    let decimals = (sig - 1 - x.abs().log10().floor() as i32).max(0) as usize;
    fmt_f(format!("{x:.decimals$}").parse().unwrap_or(x))
}

/// The sampled state of one recorded trial.
pub struct Trace {
    pub t_ms: Vec<f64>,
    /// One column per `spikemc_store::TRACE_COLUMNS` entry, in that order.
    pub cols: Vec<Vec<f64>>,
}

/// The recorded trial (point, trial) from `traces/`; `trial = None` takes the
/// first recorded trial of `point`. Returns the trial id and its trace.
pub fn read_trace(dir: &RunDir, point: u32, trial: Option<u32>) -> Result<(u32, Trace), Failure> {
    let parts = dir.parts("traces")?;
    let out = dir.root().display();
    let mut recorded = std::collections::BTreeSet::new();
    let mut batches = Vec::new();
    for path in &parts {
        for b in read_batches(path)? {
            let p = b
                .column_by_name("point")
                .map(|c| c.as_primitive::<Int32Type>().clone());
            let t = b
                .column_by_name("trial")
                .map(|c| c.as_primitive::<Int32Type>().clone());
            let (Some(p), Some(t)) = (p, t) else {
                return Err(Failure::other(anyhow!(
                    "{}: not a spikemc traces file (no point/trial columns)",
                    path.display()
                )));
            };
            for i in 0..b.num_rows() {
                recorded.insert((p.value(i) as u32, t.value(i) as u32));
            }
            batches.push((p, t, b));
        }
    }
    if recorded.is_empty() {
        return Err(Failure::input(anyhow!(
            "no traces in {out}: record trials with [record] trials = [0] in the experiment \
             (or --set 'record.trials=[0]'), or use `spikemc replay EXPERIMENT.toml --trial K -o DIR`"
        )));
    }
    let trial = match trial {
        Some(k) => k,
        None => match recorded.iter().find(|(p, _)| *p == point) {
            Some(&(_, k)) => k,
            None => {
                return Err(Failure::input(anyhow!(
                    "no traces of point {point} in {out}: recorded are {}",
                    list(&recorded)
                )));
            }
        },
    };
    if !recorded.contains(&(point, trial)) {
        return Err(Failure::input(anyhow!(
            "trial {trial} of point {point} has no traces in {out} (recorded: {}): \
             replay it with `spikemc replay EXPERIMENT.toml --point {point} --trial {trial} -o DIR`",
            list(&recorded)
        )));
    }
    let mut rows: Vec<(f64, Vec<f64>)> = Vec::new();
    for (p, t, b) in &batches {
        let cols: Vec<_> = std::iter::once("t_ms")
            .chain(spikemc_store::TRACE_COLUMNS)
            .map(|c| {
                b.column_by_name(c)
                    .map(|a| a.as_primitive::<Float64Type>().clone())
                    .ok_or_else(|| Failure::other(anyhow!("traces file lacks column {c}")))
            })
            .collect::<Result<_, _>>()?;
        for i in 0..b.num_rows() {
            if p.value(i) as u32 == point && t.value(i) as u32 == trial {
                rows.push((
                    cols[0].value(i),
                    cols[1..].iter().map(|c| c.value(i)).collect(),
                ));
            }
        }
    }
    rows.sort_by(|a, b| a.0.total_cmp(&b.0));
    let ncol = spikemc_store::TRACE_COLUMNS.len();
    let mut trace = Trace {
        t_ms: Vec::with_capacity(rows.len()),
        cols: vec![Vec::with_capacity(rows.len()); ncol],
    };
    for (t, vals) in rows {
        trace.t_ms.push(t);
        for (c, v) in trace.cols.iter_mut().zip(vals) {
            c.push(v);
        }
    }
    Ok((trial, trace))
}

fn list(set: &std::collections::BTreeSet<(u32, u32)>) -> String {
    let v: Vec<String> = set
        .iter()
        .take(10)
        .map(|(p, t)| format!("point {p} trial {t}"))
        .collect();
    let more = if set.len() > 10 { ", ..." } else { "" };
    format!("{}{more}", v.join(", "))
}

/// Spike trains of the `max_trials` lowest trial ids of `point` (silent
/// trials included, as empty trains), and the number of trials of the point.
pub fn read_raster(
    dir: &RunDir,
    point: u32,
    max_trials: usize,
) -> Result<(BTreeMap<u32, Vec<f64>>, u64), Failure> {
    let mut trains: BTreeMap<u32, Vec<f64>> = BTreeMap::new();
    let mut n = 0u64;
    for_each_trial(dir, |t: StoredTrial<'_>| {
        if t.point == point {
            n += 1;
            trains.insert(t.trial, t.spikes_ms.to_vec());
            if trains.len() > max_trials {
                trains.pop_last();
            }
        }
        Ok(())
    })?;
    if n == 0 {
        return Err(Failure::input(anyhow!(
            "no trials of point {point} in {}: is the run complete? (`spikemc run ... --resume`)",
            dir.root().display()
        )));
    }
    Ok((trains, n))
}
