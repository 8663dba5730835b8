//! `spikemc slurm`: write a Slurm job array (one task per shard) and a
//! dependent analyze job for an experiment.
//!
//! Everything goes into OUT/_slurm/ (names starting with `_` are invisible
//! to dataset readers): the resolved experiment frozen as TOML (so later
//! edits of the original file cannot mix two experiments in one OUT), the
//! array script, the analyze script, and submit.sh that submits both.

use crate::cli::SlurmArgs;
use crate::cmd::experiment;
use crate::failure::Failure;
use anyhow::{Context, anyhow};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

pub fn slurm(args: SlurmArgs) -> Result<(), Failure> {
    let plan = experiment::load(Some(&args.experiment), &args.experiment_args)?;
    if args.shards == 0 || args.shards > plan.chunks.len() as u64 {
        return Err(Failure::input(anyhow!(
            "--shards = {} is out of range: must be in 1..={} (the plan has {} chunk(s); lower run.chunk_trials for more)",
            args.shards,
            plan.chunks.len(),
            plan.chunks.len()
        )));
    }
    if args.cpus_per_task == 0 {
        return Err(Failure::input(anyhow!(
            "--cpus-per-task = 0 is out of range: must be >= 1"
        )));
    }
    if args.out.join(spikemc_store::RUN_JSON).exists() {
        return Err(Failure::input(anyhow!(
            "{} already holds a run: choose another -o (shards of one experiment share one OUT)",
            args.out.display()
        )));
    }
    let dir = args.out.join("_slurm");
    std::fs::create_dir_all(&dir)
        .with_context(|| format!("creating {}", dir.display()))
        .map_err(Failure::other)?;
    let out = absolute(&args.out)?;
    let dir = absolute(&dir)?;
    let exe = std::env::current_exe()
        .context("locating the spikemc binary")
        .map_err(Failure::other)?;

    let frozen = dir.join("experiment.toml");
    let text = format!(
        "# Resolved experiment written by `spikemc slurm` from {} (every default and --set applied).\n{}",
        args.experiment.display(),
        toml::to_string(&plan.spec)
            .context("serialising the experiment")
            .map_err(Failure::other)?
    );
    write(&frozen, &text)?;

    let n = args.shards;
    let mut header = String::new();
    let _ = writeln!(header, "#!/bin/bash");
    let _ = writeln!(header, "#SBATCH --job-name=spikemc-{}", plan.spec.name);
    if let Some(p) = &args.partition {
        let _ = writeln!(header, "#SBATCH --partition={p}");
    }
    if let Some(t) = &args.time {
        let _ = writeln!(header, "#SBATCH --time={t}");
    }
    let q = |p: &Path| shell_quote(&p.display().to_string());
    let array = format!(
        "{header}#SBATCH --array=0-{last}\n#SBATCH --cpus-per-task={cpus}\n#SBATCH --output={log}\n\
         set -euo pipefail\n\
         # Shard i of {n} runs the chunks c with c mod {n} = i and writes its part files into OUT.\n\
         SPIKEMC=\"${{SPIKEMC:-{exe}}}\"\n\
         exec \"$SPIKEMC\" run {exp} -o {out} --shard \"$SLURM_ARRAY_TASK_ID/{n}\" --threads \"${{SLURM_CPUS_PER_TASK:-1}}\" --quiet\n",
        last = n - 1,
        cpus = args.cpus_per_task,
        log = q(&dir.join("shard-%a.log")),
        exe = exe.display(),
        exp = q(&frozen),
        out = q(&out),
    );
    write(&dir.join("array.sbatch"), &array)?;
    let analyze = format!(
        "{header}#SBATCH --cpus-per-task=1\n#SBATCH --output={log}\n\
         set -euo pipefail\n\
         SPIKEMC=\"${{SPIKEMC:-{exe}}}\"\n\
         exec \"$SPIKEMC\" analyze {out}\n",
        log = q(&dir.join("analyze.log")),
        exe = exe.display(),
        out = q(&out),
    );
    write(&dir.join("analyze.sbatch"), &analyze)?;
    let submit = "#!/bin/bash\n\
         # Submits the shard array, then the analyze job once every shard succeeded.\n\
         # Extra arguments go to the analyze job's sbatch (e.g. --wait to block until done).\n\
         set -euo pipefail\n\
         cd \"$(dirname \"$0\")\"\n\
         array=$(sbatch --parsable array.sbatch)\n\
         array=${array%%;*}\n\
         echo \"submitted shard array $array\"\n\
         sbatch --parsable --dependency=afterok:$array \"$@\" analyze.sbatch\n";
    write(&dir.join("submit.sh"), submit)?;
    for f in ["array.sbatch", "analyze.sbatch", "submit.sh"] {
        make_executable(&dir.join(f))?;
    }
    println!(
        "wrote {}: {n} shard(s) over {} chunk(s); submit with: {}",
        dir.display(),
        plan.chunks.len(),
        dir.join("submit.sh").display()
    );
    Ok(())
}

fn absolute(p: &Path) -> Result<PathBuf, Failure> {
    std::path::absolute(p)
        .with_context(|| format!("resolving {}", p.display()))
        .map_err(Failure::other)
}

fn write(path: &Path, text: &str) -> Result<(), Failure> {
    spikemc_store::write_bytes(path, text.as_bytes())
        .with_context(|| format!("writing {}", path.display()))
        .map_err(Failure::other)
}

fn make_executable(path: &Path) -> Result<(), Failure> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755))
        .with_context(|| format!("chmod {}", path.display()))
        .map_err(Failure::other)
}

/// Single-quotes `s` for bash.
fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}
