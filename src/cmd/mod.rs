//! One module per subcommand.

pub mod analyze;
pub mod check;
pub mod example;
pub mod experiment;
pub mod plot;
pub mod replay;
pub mod run;
pub mod shard;
pub mod slurm;
