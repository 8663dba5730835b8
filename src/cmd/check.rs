//! `spikemc check`: validate and print the plan.

use crate::cli::CheckArgs;
use crate::cmd::experiment;
use crate::failure::Failure;

pub fn check(args: CheckArgs) -> Result<(), Failure> {
    let plan = experiment::load(Some(&args.experiment), &args.experiment_args)?;
    let spec = &plan.spec;
    println!(
        "experiment {} ({}): ok",
        spec.name,
        args.experiment.display()
    );
    println!(
        "  {} point(s) x {} trial(s) of {} ms at dt = {} ms ({}), seed {}",
        plan.points.len(),
        spec.trials,
        spec.duration_ms,
        spec.dt_ms,
        spec.method.name(),
        spec.seed
    );
    for (name, input) in &spec.inputs {
        println!(
            "  input {name}: {} x {} Hz x p {} = {} transmitted events/s, {} mV each",
            input.count,
            input.rate_hz,
            input.p_transmit,
            input.total_rate_hz(),
            input.weight
        );
    }
    for p in &plan.points {
        if !p.values.is_empty() {
            let v: Vec<String> = p.values.iter().map(|(k, v)| format!("{k} = {v}")).collect();
            println!("  point {}: {}", p.index, v.join(", "));
        }
    }
    let steps = plan.neuron_steps();
    println!("  {} neuron-steps in {} chunk(s)", steps, plan.chunks.len());
    // ~25 ns per neuron-step per core is typical of the default method here.
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!(
        "  estimated time on {threads} core(s): ~{:.0} s (at ~40 M neuron-steps/s per core)",
        steps as f64 / (40e6 * threads as f64)
    );
    Ok(())
}
