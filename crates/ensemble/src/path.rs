//! The dotted-path language shared by `--set PATH=VALUE` and `[sweep]`.
//!
//! A path names a key of the *resolved* experiment (the file with every
//! default filled in), e.g. `inputs.exc.rate_hz` or `neuron.g_na`. Setting a
//! path that does not exist is an error, except for a key that is absent
//! only because it is optional (`initial.m`), which the experiment's own
//! schema then accepts or rejects.

use crate::error::SpecError;
use toml::{Table, Value};

/// One `PATH=VALUE` assignment.
#[derive(Debug, Clone, PartialEq)]
pub struct Assignment {
    /// Dotted path, e.g. `inputs.exc.rate_hz`.
    pub path: String,
    /// The value, parsed as TOML (a bare word that is not TOML is a string).
    pub value: Value,
}

impl Assignment {
    /// Parses `PATH=VALUE`; VALUE is any TOML value (`1`, `2.5`, `"x"`,
    /// `[1, 2]`, `true`); a bare word such as `rk4` is taken as a string.
    pub fn parse(text: &str) -> Result<Self, SpecError> {
        let Some((path, raw)) = text.split_once('=') else {
            return Err(SpecError::invalid(
                "--set",
                format!("`{text}` is not PATH=VALUE (e.g. --set inputs.exc.rate_hz=20)"),
            ));
        };
        let path = path.trim();
        if path.is_empty() || path.split('.').any(|p| p.is_empty()) {
            return Err(SpecError::invalid(
                "--set",
                format!("`{path}` is not a dotted path"),
            ));
        }
        Ok(Self {
            path: path.to_string(),
            value: parse_value(raw.trim()),
        })
    }
}

/// Parses a command-line value as TOML, falling back to a plain string.
pub fn parse_value(raw: &str) -> Value {
    match toml::from_str::<Table>(&format!("v = {raw}")) {
        Ok(mut t) => t
            .remove("v")
            .unwrap_or_else(|| Value::String(raw.to_string())),
        Err(_) => Value::String(raw.to_string()),
    }
}

/// Sets `path` in `tree`. Every table on the way must exist; the final key
/// must exist too unless `allow_new_leaf` (then the schema decides).
pub fn set(tree: &mut Table, path: &str, value: Value, origin: &str) -> Result<(), SpecError> {
    let parts: Vec<&str> = path.split('.').collect();
    let (leaf, parents) = parts.split_last().expect("non-empty path");
    let mut table = tree;
    let mut walked = String::new();
    for part in parents {
        if !walked.is_empty() {
            walked.push('.');
        }
        walked.push_str(part);
        let known = keys(table);
        table = match table.get_mut(*part) {
            Some(Value::Table(t)) => t,
            Some(_) => {
                return Err(SpecError::invalid(
                    path,
                    format!("{origin}: `{walked}` is a value, not a section"),
                ));
            }
            None => {
                return Err(SpecError::invalid(
                    path,
                    format!("{origin}: no key `{walked}` in the experiment (known here: {known})"),
                ));
            }
        };
    }
    if !table.contains_key(*leaf) && !is_optional_leaf(path) {
        return Err(SpecError::invalid(
            path,
            format!(
                "{origin}: no key `{path}` in the experiment (known here: {})",
                keys(table)
            ),
        ));
    }
    table.insert((*leaf).to_string(), value);
    Ok(())
}

/// Keys that are absent from a resolved experiment when unset.
fn is_optional_leaf(path: &str) -> bool {
    let input_key = |p: &str| {
        let parts: Vec<&str> = p.split('.').collect();
        parts.len() == 3
            && parts[0] == "inputs"
            && matches!(
                parts[2],
                "process"
                    | "shape"
                    | "correlation"
                    | "amplitude_hz"
                    | "frequency_hz"
                    | "phase_rad"
                    | "profile_times_ms"
                    | "profile_rates_hz"
                    | "tau_ms"
                    | "record_sources"
                    | "reversal_mv"
            )
    };
    matches!(
        path,
        "initial.m" | "initial.h" | "initial.n" | "analysis.main_window_ms" | "description"
    ) || input_key(path)
}

fn keys(t: &Table) -> String {
    let names: Vec<&str> = t.keys().map(String::as_str).collect();
    if names.is_empty() {
        "none".into()
    } else {
        names.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_parse_as_toml_or_string() {
        assert_eq!(parse_value("3"), Value::Integer(3));
        assert_eq!(parse_value("2.5"), Value::Float(2.5));
        assert_eq!(parse_value("rk4"), Value::String("rk4".into()));
        assert_eq!(parse_value("\"rk4\""), Value::String("rk4".into()));
        assert_eq!(
            parse_value("[1, 2]"),
            Value::Array(vec![Value::Integer(1), Value::Integer(2)])
        );
    }

    #[test]
    fn unknown_paths_are_refused_with_the_known_keys() {
        let mut t: Table = toml::from_str("a = 1\n[b]\nc = 2\n").unwrap();
        set(&mut t, "b.c", Value::Integer(3), "--set").unwrap();
        assert_eq!(t["b"]["c"], Value::Integer(3));
        let e = set(&mut t, "b.d", Value::Integer(3), "--set")
            .unwrap_err()
            .to_string();
        assert!(e.contains("b.d") && e.contains("known here: c"), "{e}");
        let e = set(&mut t, "x.y", Value::Integer(3), "--set")
            .unwrap_err()
            .to_string();
        assert!(e.contains("`x`"), "{e}");
        let e = set(&mut t, "a.y", Value::Integer(3), "--set")
            .unwrap_err()
            .to_string();
        assert!(e.contains("not a section"), "{e}");
        assert!(Assignment::parse("novalue").is_err());
        assert!(Assignment::parse("a..b=1").is_err());
    }
}
