#!/usr/bin/env Rscript
# Load a spikemc run directory with the arrow package and redraw two of its
# figures with base R graphics: a spike raster of the first trials and the
# Fano factor against the counting window (with its confidence band).
#
#   Rscript scripts/analyze.R OUT [DEST_DIR] [MAX_TRIALS]
#
# Writes DEST_DIR/raster-R.png and DEST_DIR/fano-R.png (DEST_DIR defaults to
# OUT) and prints one summary line per sweep point. Needs the arrow and
# jsonlite packages: install.packages(c("arrow", "jsonlite")).
# The same figures in Python: scripts/analyze.py; from spikemc itself:
# spikemc plot OUT --what raster|fano.

suppressPackageStartupMessages(library(arrow))

args <- commandArgs(trailingOnly = TRUE)
if (length(args) < 1) stop("usage: Rscript scripts/analyze.R OUT [DEST_DIR] [MAX_TRIALS]")
out <- args[1]
dest <- if (length(args) >= 2) args[2] else out
max_trials <- if (length(args) >= 3) as.integer(args[3]) else 50L
point_id <- 0L
dir.create(dest, showWarnings = FALSE, recursive = TRUE)

run <- jsonlite::fromJSON(file.path(out, "_run.json"))
exp <- run$experiment
what <- sprintf("%s: %d trials x %g ms", exp$name, exp$trials, exp$duration_ms)

# trials/ and spikes/ are datasets (directories of part files): open_dataset.
# trials/ has a row for every trial, silent ones too.
trials  <- as.data.frame(open_dataset(file.path(out, "trials"))$ToTable())
spikes  <- as.data.frame(open_dataset(file.path(out, "spikes"))$ToTable())
summary <- as.data.frame(read_parquet(file.path(out, "summary.parquet")))
fano    <- as.data.frame(read_parquet(file.path(out, "fano.parquet")))

for (i in seq_len(nrow(summary))) {
  s <- summary[i, ]
  cat(sprintf("point %d: %d trials, rate %.3f Hz [%.3f, %.3f], ISI CV %.3f, Fano %.3f\n",
              s$point, as.integer(s$n_trials), s$rate_mean_hz, s$rate_t_ci_low_hz,
              s$rate_t_ci_high_hz, s$isi_cv_pooled, s$fano_main))
}

# Raster: the lowest trial ids of the point, taken from trials/.
ids <- head(sort(trials$trial[trials$point == point_id]), max_trials)
s <- spikes[spikes$point == point_id & spikes$trial %in% ids, ]
png(file.path(dest, "raster-R.png"), width = 1000, height = 550)
plot(s$t_ms, s$trial, pch = "|", cex = 0.9,
     xlim = c(0, exp$duration_ms), ylim = c(min(ids) - 0.5, max(ids) + 0.5),
     xlab = "t (ms)", ylab = "trial",
     main = sprintf("spike raster, trials %d-%d\n%s", min(ids), max(ids), what))
invisible(dev.off())

# Fano factor vs counting window (log axis), band = confidence interval.
f <- fano[fano$point == point_id & !is.nan(fano$fano), ]
f <- f[order(f$window_ms), ]
png(file.path(dest, "fano-R.png"), width = 1000, height = 550)
plot(f$window_ms, f$fano, log = "x", type = "n",
     ylim = c(0, max(1.2, f$fano_ci_high, na.rm = TRUE)),
     xlab = "counting window (ms, log scale)", ylab = "Fano factor (var/mean of counts)",
     main = sprintf("Fano factor vs counting window\n%s", what))
polygon(c(f$window_ms, rev(f$window_ms)), c(f$fano_ci_low, rev(f$fano_ci_high)),
        col = adjustcolor("steelblue", alpha.f = 0.25), border = NA)
lines(f$window_ms, f$fano, type = "o", pch = 19, col = "steelblue", lwd = 2)
abline(h = 1, lty = 2, col = "grey40")
legend("topleft", bty = "n",
       legend = c("Fano factor", sprintf("%g%% confidence interval", 100 * summary$confidence[1]),
                  "Poisson process (F = 1)"),
       col = c("steelblue", adjustcolor("steelblue", alpha.f = 0.25), "grey40"),
       lty = c(1, NA, 2), pch = c(19, 15, NA), pt.cex = c(1, 2, NA))
invisible(dev.off())
cat(sprintf("wrote %s and %s\n", file.path(dest, "raster-R.png"), file.path(dest, "fano-R.png")))
