//! The run directory: creation (never silently over an existing one), the
//! `_run.json` file, and part-file names.

use crate::atomic::write_bytes;
use crate::error::StoreError;
use std::fs;
use std::path::{Path, PathBuf};

/// Name of the run description file (leading `_`: dataset readers skip it).
pub const RUN_JSON: &str = "_run.json";

/// A run directory on disk.
#[derive(Debug, Clone)]
pub struct RunDir {
    root: PathBuf,
}

impl RunDir {
    /// Creates `root` for a new run. An existing `root` is refused, unless
    /// `overwrite` and it holds a previous spikemc run (`_run.json`), which
    /// is then removed. Anything else is never deleted.
    pub fn create(root: &Path, overwrite: bool) -> Result<Self, StoreError> {
        if root.exists() {
            if !overwrite {
                return Err(StoreError::Exists(root.display().to_string()));
            }
            if !root.join(RUN_JSON).is_file() {
                return Err(StoreError::NotARun(root.display().to_string()));
            }
            fs::remove_dir_all(root).map_err(|e| StoreError::io(root, e))?;
        }
        for sub in ["", "trials", "spikes", "traces"] {
            let dir = root.join(sub);
            fs::create_dir_all(&dir).map_err(|e| StoreError::io(&dir, e))?;
        }
        Ok(Self {
            root: root.to_path_buf(),
        })
    }

    /// Creates `root` or joins it, for shards and resumed runs: whichever
    /// process comes first creates the directory and its `_run.json`
    /// (atomically, create-if-absent); every other process checks that the
    /// `_run.json` there describes the same experiment, and refuses with the
    /// first difference otherwise. Returns the directory and whether this
    /// call created `_run.json`.
    pub fn create_or_join(
        root: &Path,
        run_json: &serde_json::Value,
    ) -> Result<(Self, bool), StoreError> {
        for sub in ["", "trials", "spikes", "traces"] {
            let dir = root.join(sub);
            fs::create_dir_all(&dir).map_err(|e| StoreError::io(&dir, e))?;
        }
        let dir = Self {
            root: root.to_path_buf(),
        };
        let path = dir.run_json_path();
        let text = serde_json::to_string_pretty(run_json).expect("JSON values serialise");
        let tmp = crate::atomic::temp_path(&path);
        write_bytes(&tmp, text.as_bytes()).map_err(|e| StoreError::io(&tmp, e))?;
        // hard_link fails if the target exists: an atomic create-if-absent.
        let created = match fs::hard_link(&tmp, &path) {
            Ok(()) => true,
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => false,
            Err(e) => {
                let _ = fs::remove_file(&tmp);
                return Err(StoreError::io(&path, e));
            }
        };
        let _ = fs::remove_file(&tmp);
        if !created {
            let existing = dir.read_run_json()?;
            if let Some(detail) = first_difference(
                &existing["experiment"],
                &run_json["experiment"],
                "experiment",
            ) {
                return Err(StoreError::Mismatch {
                    dir: root.display().to_string(),
                    detail,
                });
            }
        }
        Ok((dir, created))
    }

    /// Ids of the chunks whose trials part exists. The trials part of a
    /// chunk is written last, so these chunks are complete.
    pub fn complete_chunks(&self) -> Result<std::collections::BTreeSet<(u32, u32)>, StoreError> {
        let mut done = std::collections::BTreeSet::new();
        for p in self.parts("trials")? {
            if let Some(id) = p
                .file_name()
                .and_then(|n| parse_part_name(&n.to_string_lossy()))
            {
                done.insert(id);
            }
        }
        Ok(done)
    }

    /// Opens an existing run directory (it must hold `_run.json`).
    pub fn open(root: &Path) -> Result<Self, StoreError> {
        if !root.join(RUN_JSON).is_file() {
            return Err(StoreError::NotARun(root.display().to_string()));
        }
        Ok(Self {
            root: root.to_path_buf(),
        })
    }

    /// The directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// `_run.json`'s path.
    pub fn run_json_path(&self) -> PathBuf {
        self.root.join(RUN_JSON)
    }

    /// Writes `_run.json` atomically.
    pub fn write_run_json(&self, value: &serde_json::Value) -> Result<(), StoreError> {
        let path = self.run_json_path();
        let text = serde_json::to_string_pretty(value).expect("JSON values serialise");
        write_bytes(&path, text.as_bytes()).map_err(|e| StoreError::io(&path, e))
    }

    /// Reads `_run.json`.
    pub fn read_run_json(&self) -> Result<serde_json::Value, StoreError> {
        let path = self.run_json_path();
        let text = fs::read_to_string(&path).map_err(|e| StoreError::io(&path, e))?;
        serde_json::from_str(&text).map_err(|e| StoreError::format(&path, e))
    }

    /// Path of chunk `chunk` of point `point` in dataset `table`
    /// (`trials`, `spikes`, `traces`).
    pub fn part_path(&self, table: &str, point: u32, chunk: u32) -> PathBuf {
        self.root
            .join(table)
            .join(format!("part-p{point:05}-c{chunk:06}.parquet"))
    }

    /// The name of a part file, without directory.
    pub fn part_name(point: u32, chunk: u32) -> String {
        format!("part-p{point:05}-c{chunk:06}.parquet")
    }

    /// All complete part files of a dataset, sorted by name.
    pub fn parts(&self, table: &str) -> Result<Vec<PathBuf>, StoreError> {
        let dir = self.root.join(table);
        let mut out = Vec::new();
        let entries = match fs::read_dir(&dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(out),
            Err(e) => return Err(StoreError::io(&dir, e)),
        };
        for entry in entries {
            let entry = entry.map_err(|e| StoreError::io(&dir, e))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with("part-") && name.ends_with(".parquet") {
                out.push(entry.path());
            }
        }
        out.sort();
        Ok(out)
    }
}

/// (point, chunk) of a part file name `part-pPPPPP-cCCCCCC.parquet`.
pub fn parse_part_name(name: &str) -> Option<(u32, u32)> {
    let rest = name.strip_prefix("part-p")?.strip_suffix(".parquet")?;
    let (p, c) = rest.split_once("-c")?;
    Some((p.parse().ok()?, c.parse().ok()?))
}

/// The first path at which two JSON values differ, described for a user.
pub fn first_difference(
    a: &serde_json::Value,
    b: &serde_json::Value,
    path: &str,
) -> Option<String> {
    use serde_json::Value;
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            for k in x.keys().chain(y.keys()) {
                let sub = format!("{path}.{k}");
                match (x.get(k), y.get(k)) {
                    (Some(u), Some(v)) => {
                        if let Some(d) = first_difference(u, v, &sub) {
                            return Some(d);
                        }
                    }
                    (u, v) => {
                        return Some(format!(
                            "{sub}: {} there, {} here",
                            u.map_or("absent".into(), |u| u.to_string()),
                            v.map_or("absent".into(), |v| v.to_string())
                        ));
                    }
                }
            }
            None
        }
        _ if a == b => None,
        _ => Some(format!("{path}: {a} there, {b} here")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn part_names_round_trip() {
        assert_eq!(parse_part_name(&RunDir::part_name(3, 12)), Some((3, 12)));
        assert_eq!(parse_part_name(".part-p00001-c000002.parquet.1.tmp"), None);
    }

    #[test]
    fn join_accepts_the_same_experiment_and_names_a_difference() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().join("out");
        let a = json!({"experiment": {"trials": 10, "inputs": {"exc": {"rate_hz": 10.0}}}});
        let (_, created) = RunDir::create_or_join(&root, &a).unwrap();
        assert!(created);
        let (_, created) = RunDir::create_or_join(&root, &a).unwrap();
        assert!(!created);
        let b = json!({"experiment": {"trials": 10, "inputs": {"exc": {"rate_hz": 20.0}}}});
        let e = RunDir::create_or_join(&root, &b).unwrap_err().to_string();
        assert!(
            e.contains("experiment.inputs.exc.rate_hz: 10.0 there, 20.0 here"),
            "{e}"
        );
    }
}
