//! `spikemc example [NAME]`: the ready experiment files of `experiments/`,
//! compiled into the binary so they are at hand wherever spikemc is
//! installed.

use crate::cli::ExampleArgs;
use crate::failure::Failure;
use anyhow::anyhow;

/// (name, file text) of every shipped experiment, in the order a new user
/// meets them in docs/guide.md.
pub const EXAMPLES: [(&str, &str); 13] = [
    (
        "question-as-coded",
        include_str!("../../experiments/question-as-coded.toml"),
    ),
    (
        "question-as-meant",
        include_str!("../../experiments/question-as-meant.toml"),
    ),
    (
        "inputs-5000",
        include_str!("../../experiments/inputs-5000.toml"),
    ),
    (
        "sweep-rate",
        include_str!("../../experiments/sweep-rate.toml"),
    ),
    (
        "alpha-current-hh",
        include_str!("../../experiments/alpha-current-hh.toml"),
    ),
    (
        "campbell-conductance",
        include_str!("../../experiments/campbell-conductance.toml"),
    ),
    (
        "cobahh-traub",
        include_str!("../../experiments/cobahh-traub.toml"),
    ),
    (
        "lif-siegert",
        include_str!("../../experiments/lif-siegert.toml"),
    ),
    (
        "explicit-inputs",
        include_str!("../../experiments/explicit-inputs.toml"),
    ),
    (
        "inhomogeneous-sine",
        include_str!("../../experiments/inhomogeneous-sine.toml"),
    ),
    (
        "gamma-inputs",
        include_str!("../../experiments/gamma-inputs.toml"),
    ),
    (
        "mip-correlated",
        include_str!("../../experiments/mip-correlated.toml"),
    ),
    (
        "exact-timing-rk45",
        include_str!("../../experiments/exact-timing-rk45.toml"),
    ),
];

pub fn example(args: ExampleArgs) -> Result<(), Failure> {
    match args.name {
        None => {
            println!("Ready experiments (print one with `spikemc example NAME > NAME.toml`):");
            for (name, text) in EXAMPLES {
                println!("  {name:<18} {}", first_sentence(text));
            }
            Ok(())
        }
        Some(name) => {
            let name = name.trim_end_matches(".toml");
            match EXAMPLES.iter().find(|(n, _)| *n == name) {
                Some((_, text)) => {
                    print!("{text}");
                    Ok(())
                }
                None => {
                    let names: Vec<&str> = EXAMPLES.iter().map(|e| e.0).collect();
                    Err(Failure::input(anyhow!(
                        "no example named {name:?}: choose one of {}",
                        names.join(", ")
                    )))
                }
            }
        }
    }
}

/// The first sentence of the file's leading comment, on one line.
fn first_sentence(text: &str) -> String {
    let comment: Vec<&str> = text
        .lines()
        .take_while(|l| l.starts_with('#'))
        .map(|l| l.trim_start_matches('#').trim())
        .collect();
    let joined = comment.join(" ");
    match joined.find(". ") {
        Some(i) => joined[..=i].to_string(),
        None => joined,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_example_is_described_and_named_like_its_file() {
        for (name, text) in EXAMPLES {
            assert!(!first_sentence(text).is_empty(), "{name}");
            assert!(text.contains(&format!("name = \"{name}\"")), "{name}");
        }
    }
}
