//! Spike detection: upward threshold crossings with hysteresis.
//!
//! Under strong input V can re-cross the threshold inside one action
//! potential (an inhibitory kick on the upstroke pulls V below 0 mV, the
//! upstroke carries it back up). Counting every upward crossing then counts
//! one action potential two or three times. Here a crossing arms the
//! detector off, and it re-arms only once V has fallen below `rearm_mv`
//! (default −30 mV, far below any kick-induced dip on the upstroke and far
//! above the after-hyperpolarisation every real action potential reaches).

use crate::error::{ParamError, finite};
use serde::{Deserialize, Serialize};

/// Detector settings, `[detect]` in experiment files.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DetectParams {
    /// [mV] a spike is an upward crossing of this level (default 0).
    pub threshold_mv: f64,
    /// [mV] after a spike, detection re-arms only when V < rearm_mv
    /// (default −30); must be below the threshold.
    pub rearm_mv: f64,
}

impl Default for DetectParams {
    fn default() -> Self {
        Self {
            threshold_mv: 0.0,
            rearm_mv: -30.0,
        }
    }
}

impl DetectParams {
    /// Checks both levels; the re-arm level must lie below the threshold.
    pub fn validate(&self) -> Result<(), ParamError> {
        finite("detect.threshold_mv", self.threshold_mv, "mV")?;
        finite("detect.rearm_mv", self.rearm_mv, "mV")?;
        if self.rearm_mv >= self.threshold_mv {
            return Err(ParamError::new(
                "detect.rearm_mv",
                self.rearm_mv,
                "mV",
                "< detect.threshold_mv",
            ));
        }
        Ok(())
    }
}

/// Detector state for one trial.
#[derive(Debug, Clone, Copy)]
pub struct SpikeDetector {
    threshold: f64,
    rearm: f64,
    armed: bool,
}

impl SpikeDetector {
    /// A detector that is armed iff the initial voltage is below the
    /// threshold (a trial that starts above it has no crossing to count
    /// until V has fallen below the re-arm level).
    pub fn new(p: &DetectParams, v0: f64) -> Self {
        Self {
            threshold: p.threshold_mv,
            rearm: p.rearm_mv,
            armed: v0 < p.threshold_mv,
        }
    }

    /// Observes one step from `t0` to `t0 + dt`: V went smoothly from `v0` to
    /// `v_smooth`, then input made it jump to `v_end` at `t0 + dt`.
    /// Returns the spike time in ms, linearly interpolated inside the step
    /// (or `t0 + dt` if the jump itself crossed the threshold).
    #[inline(always)]
    pub fn observe(&mut self, t0: f64, dt: f64, v0: f64, v_smooth: f64, v_end: f64) -> Option<f64> {
        let mut spike = None;
        if self.armed {
            if v_smooth >= self.threshold {
                // v0 < threshold here, otherwise we would have fired before.
                let frac = (self.threshold - v0) / (v_smooth - v0);
                spike = Some(t0 + dt * frac.clamp(0.0, 1.0));
                self.armed = false;
            } else if v_end >= self.threshold {
                spike = Some(t0 + dt);
                self.armed = false;
            }
        }
        // Re-arming looks at both points of the step, so a dip below the
        // re-arm level that a jump undoes is still seen.
        if v_smooth.min(v_end) < self.rearm && v_end < self.threshold {
            self.armed = true;
        }
        spike
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crossing_time_is_interpolated() {
        let mut d = SpikeDetector::new(&DetectParams::default(), -65.0);
        assert_eq!(d.observe(0.0, 0.1, -10.0, -5.0, -5.0), None);
        let t = d.observe(0.1, 0.1, -5.0, 15.0, 15.0).unwrap();
        assert!((t - 0.125).abs() < 1e-12);
    }

    #[test]
    fn dip_above_rearm_level_does_not_count_twice() {
        let mut d = SpikeDetector::new(&DetectParams::default(), -65.0);
        assert!(d.observe(0.0, 0.01, -1.0, 1.0, 1.0).is_some());
        // An inhibitory kick drops V to −3 mV, then the upstroke re-crosses 0.
        assert_eq!(d.observe(0.01, 0.01, 1.0, 2.0, -3.0), None);
        assert_eq!(d.observe(0.02, 0.01, -3.0, 5.0, 5.0), None);
        // Repolarisation below −30 mV re-arms; the next crossing counts.
        assert_eq!(d.observe(0.03, 0.01, 5.0, -40.0, -40.0), None);
        assert!(d.observe(0.04, 0.01, -40.0, 3.0, 3.0).is_some());
    }

    #[test]
    fn a_jump_across_threshold_is_a_spike_at_step_end() {
        let mut d = SpikeDetector::new(&DetectParams::default(), -65.0);
        assert_eq!(d.observe(1.0, 0.01, -0.5, -0.4, 0.6), Some(1.01));
    }

    #[test]
    fn rearm_must_be_below_threshold() {
        let p = DetectParams {
            threshold_mv: 0.0,
            rearm_mv: 0.0,
        };
        assert!(
            p.validate()
                .unwrap_err()
                .to_string()
                .contains("detect.rearm_mv")
        );
    }
}
