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
