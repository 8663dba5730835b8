//! One module per subcommand.

pub mod analyze;
pub mod check;
pub mod experiment;
pub mod replay;
pub mod run;
pub mod shard;
pub mod slurm;
