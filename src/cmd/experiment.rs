//! Reading an experiment file plus command-line assignments into a plan.

use crate::cli::ExperimentArgs;
use crate::failure::Failure;
use anyhow::anyhow;
use spikemc_ensemble::{Assignment, Plan, QUESTION_AS_MEANT};
use std::path::Path;

/// Loads `file` (or the built-in question experiment) and applies
/// `--trials`, `--seed` and every `--set`, in that order.
pub fn load(file: Option<&Path>, args: &ExperimentArgs) -> Result<Plan, Failure> {
    let (text, origin) = match file {
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|e| {
                Failure::input(anyhow!(
                    "cannot read experiment file {}: {e}",
                    path.display()
                ))
            })?;
            (text, path.display().to_string())
        }
        None => (
            QUESTION_AS_MEANT.to_string(),
            "built-in question-as-meant".to_string(),
        ),
    };
    let mut sets = Vec::new();
    if let Some(n) = args.trials {
        sets.push(Assignment {
            path: "trials".into(),
            value: toml_int(n, "--trials")?,
        });
    }
    if let Some(s) = args.seed {
        sets.push(Assignment {
            path: "seed".into(),
            value: toml_int(s, "--seed")?,
        });
    }
    for s in &args.set {
        sets.push(Assignment::parse(s)?);
    }
    Ok(Plan::from_toml(&text, &origin, &sets)?)
}

fn toml_int(v: u64, flag: &str) -> Result<toml::Value, Failure> {
    i64::try_from(v).map(toml::Value::Integer).map_err(|_| {
        Failure::input(anyhow!(
            "{flag} = {v} is out of range: must be <= {}",
            i64::MAX
        ))
    })
}
