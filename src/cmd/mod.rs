//! One module per subcommand.

pub mod check;
pub mod experiment;
pub mod run;
