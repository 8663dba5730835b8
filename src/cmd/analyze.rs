//! `spikemc analyze`: statistics tables from a run directory.

use crate::cli::AnalyzeArgs;
use crate::failure::Failure;

pub fn analyze(args: AnalyzeArgs) -> Result<(), Failure> {
    Err(Failure::other(anyhow::anyhow!(
        "spikemc analyze {}: not implemented yet",
        args.out.display()
    )))
}
