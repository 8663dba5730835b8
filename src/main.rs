//! `spikemc`: the command line. Argument parsing, progress and exit codes;
//! the work is done by the spikemc-* crates.

mod cli;
mod cmd;
mod failure;
mod plot;

use clap::Parser;
use failure::Failure;

fn main() {
    let args = match cli::Cli::try_parse() {
        Ok(a) => a,
        Err(e) => {
            // clap prints help/version to stdout (exit 0) and usage errors
            // to stderr; usage errors are bad input: exit 2.
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            std::process::exit(code);
        }
    };
    let result = match args.command {
        cli::Command::Run(a) => cmd::run::run(a),
        cli::Command::Check(a) => cmd::check::check(a),
        cli::Command::Analyze(a) => cmd::analyze::analyze(a),
        cli::Command::Replay(a) => cmd::replay::replay(a),
        cli::Command::Slurm(a) => cmd::slurm::slurm(a),
        cli::Command::Plot(a) => cmd::plot::plot(a),
        cli::Command::Example(a) => cmd::example::example(a),
    };
    if let Err(Failure { code, error }) = result {
        eprintln!("error: {error:#}");
        std::process::exit(code);
    }
}
