//! `--shard I/N`: which chunks this process runs.

use crate::failure::Failure;
use anyhow::anyhow;
use spikemc_ensemble::Chunk;

/// Shard `index` of `count`: runs the chunks c with c mod count = index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    pub index: u32,
    pub count: u32,
}

impl Shard {
    /// Parses `I/N` with 0 <= I < N.
    pub fn parse(text: &str) -> Result<Self, Failure> {
        let bad = || {
            Failure::input(anyhow!(
                "--shard = {text:?} is not I/N with 0 <= I < N (e.g. --shard 0/3)"
            ))
        };
        let (i, n) = text.split_once('/').ok_or_else(bad)?;
        let index: u32 = i.trim().parse().map_err(|_| bad())?;
        let count: u32 = n.trim().parse().map_err(|_| bad())?;
        if count == 0 || index >= count {
            return Err(bad());
        }
        Ok(Self { index, count })
    }

    /// This shard's chunks.
    pub fn select(&self, chunks: &[Chunk]) -> Vec<Chunk> {
        chunks
            .iter()
            .filter(|c| c.index % self.count == self.index)
            .copied()
            .collect()
    }
}
