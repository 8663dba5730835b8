//! Spike detection: upward threshold crossings with hysteresis.
//!
//! Under strong input V can re-cross the threshold inside one action
//! potential (an inhibitory kick on the upstroke pulls V below 0 mV, the
//! upstroke carries it back up). Counting every upward crossing then counts
//! one action potential two or three times. Here a crossing arms the
//! detector off, and it re-arms only once V has fallen below `rearm_mv`
//! (default −30 mV, far below any kick-induced dip on the upstroke and far
//! above the after-hyperpolarisation every real action potential reaches).
//!
//! A second rule, `pre-kick`, reproduces Brian2's
//! `threshold = 'v > θ', refractory = 'v > θ'` with `PoissonInput` on v: the
//! threshold is tested on V after the smooth update and *before* the step's
//! input is added (Brian2 runs thresholds before the `synapses` slot), a
//! kick across the threshold is not a spike until the next smooth update
//! stays above it, and detection re-arms when V ≤ `rearm_mv` at the end of a
//! step (Brian2: `not_refractory = not_refractory or not (v > θ)` at the
//! start of the next). With `rearm_mv = θ` it is Brian2's rule exactly; it
//! exists to compare statistics with Brian2 like for like.

use crate::error::{ParamError, finite};
use serde::{Deserialize, Serialize};

/// Detector settings, `[detect]` in experiment files.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DetectParams {
    /// \[mV\] a spike is an upward crossing of this level (default 0).
    pub threshold_mv: f64,
    /// \[mV\] after a spike, detection re-arms only when V < rearm_mv
    /// (default −30); must be below the threshold (`pre-kick`: V ≤ rearm_mv,
    /// at most the threshold).
    pub rearm_mv: f64,
    /// Which V a crossing is tested on (default `hysteresis`).
    pub rule: DetectRule,
}

/// How crossings are found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DetectRule {
    /// Upward crossing of the threshold by V anywhere in the step — by the
    /// smooth update or by the input jump at its end — with hysteresis.
    #[default]
    Hysteresis,
    /// Brian2's rule: V after the smooth update, before the step's input.
    PreKick,
}

impl DetectRule {
    /// The name used in experiment files.
    pub fn name(self) -> &'static str {
        match self {
            DetectRule::Hysteresis => "hysteresis",
            DetectRule::PreKick => "pre-kick",
        }
    }
}

impl Default for DetectParams {
    fn default() -> Self {
        Self {
            threshold_mv: 0.0,
            rearm_mv: -30.0,
            rule: DetectRule::Hysteresis,
        }
    }
}

impl DetectParams {
    /// Checks both levels; the re-arm level must lie below the threshold.
    pub fn validate(&self) -> Result<(), ParamError> {
        finite("detect.threshold_mv", self.threshold_mv, "mV")?;
        finite("detect.rearm_mv", self.rearm_mv, "mV")?;
        match self.rule {
            DetectRule::Hysteresis if self.rearm_mv >= self.threshold_mv => Err(ParamError::new(
                "detect.rearm_mv",
                self.rearm_mv,
                "mV",
                "< detect.threshold_mv",
            )),
            DetectRule::PreKick if self.rearm_mv > self.threshold_mv => Err(ParamError::new(
                "detect.rearm_mv",
                self.rearm_mv,
                "mV",
                "<= detect.threshold_mv (rule = \"pre-kick\")",
            )),
            _ => Ok(()),
        }
    }
}

/// Detector state for one trial.
///
/// Both rules are one branch-free set of comparisons with rule-specific
/// levels (fixed when the detector is made), so choosing the rule costs
/// nothing per step:
/// - spike if armed and `v_smooth ≥ cross_smooth` or `v_end ≥ cross_jump`;
/// - re-arm if `min(max(v_smooth, rearm_floor), v_end) < rearm_below` and
///   `v_end < rearm_cap`.
///
/// | level | hysteresis | pre-kick |
/// |---|---|---|
/// | cross_smooth | θ | next double above θ (V > θ) |
/// | cross_jump | θ | +∞ (a jump alone is never a spike) |
/// | rearm_floor | −∞ (min of both points) | +∞ (V at the step's end only) |
/// | rearm_below | rearm_mv | next double above rearm_mv (V ≤ rearm_mv) |
/// | rearm_cap | θ | +∞ |
#[derive(Debug, Clone, Copy)]
pub struct SpikeDetector {
    levels: Levels,
    armed: bool,
}

/// The comparison levels of a rule (see [`SpikeDetector`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Levels {
    pub threshold: f64,
    pub cross_smooth: f64,
    pub cross_jump: f64,
    pub rearm_floor: f64,
    pub rearm_below: f64,
    pub rearm_cap: f64,
}

impl Levels {
    pub(crate) fn new(p: &DetectParams) -> Self {
        let (t, r) = (p.threshold_mv, p.rearm_mv);
        match p.rule {
            DetectRule::Hysteresis => Self {
                threshold: t,
                cross_smooth: t,
                cross_jump: t,
                rearm_floor: f64::NEG_INFINITY,
                rearm_below: r,
                rearm_cap: t,
            },
            DetectRule::PreKick => Self {
                threshold: t,
                cross_smooth: t.next_up(),
                cross_jump: f64::INFINITY,
                rearm_floor: f64::INFINITY,
                rearm_below: r.next_up(),
                rearm_cap: f64::INFINITY,
            },
        }
    }

    /// Whether a step with these points re-arms the detector.
    #[inline(always)]
    pub(crate) fn rearms(&self, v_smooth: f64, v_end: f64) -> bool {
        (v_smooth.max(self.rearm_floor).min(v_end) < self.rearm_below) & (v_end < self.rearm_cap)
    }
}

impl SpikeDetector {
    /// A detector for one trial starting at `v0`. Hysteresis: armed iff
    /// `v0` is below the threshold (a trial that starts above it has no
    /// crossing to count until V has fallen below the re-arm level).
    /// Pre-kick: armed (Brian2 starts with `not_refractory = True`).
    pub fn new(p: &DetectParams, v0: f64) -> Self {
        Self {
            levels: Levels::new(p),
            armed: match p.rule {
                DetectRule::Hysteresis => v0 < p.threshold_mv,
                DetectRule::PreKick => true,
            },
        }
    }

    /// Whether the next crossing will count.
    #[inline(always)]
    pub fn is_armed(&self) -> bool {
        self.armed
    }

    /// Observes one step from `t0` to `t0 + dt`: V went smoothly from `v0` to
    /// `v_smooth`, then input made it jump to `v_end` at `t0 + dt`.
    /// Returns the spike time in ms, linearly interpolated inside the step
    /// when the smooth part crossed from below (`t0` if V was already above
    /// the threshold at the step's start: a pre-kick spike after a jump),
    /// or `t0 + dt` if the jump itself crossed the threshold.
    #[inline(always)]
    pub fn observe(&mut self, t0: f64, dt: f64, v0: f64, v_smooth: f64, v_end: f64) -> Option<f64> {
        let l = &self.levels;
        let mut spike = None;
        if self.armed {
            if v_smooth >= l.cross_smooth {
                let frac = (l.threshold - v0) / (v_smooth - v0);
                spike = Some(t0 + dt * frac.clamp(0.0, 1.0));
                self.armed = false;
            } else if v_end >= l.cross_jump {
                spike = Some(t0 + dt);
                self.armed = false;
            }
        }
        // Re-arming (hysteresis) looks at both points of the step, so a dip
        // below the re-arm level that a jump undoes is still seen.
        if l.rearms(v_smooth, v_end) {
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
            rule: DetectRule::Hysteresis,
        };
        assert!(
            p.validate()
                .unwrap_err()
                .to_string()
                .contains("detect.rearm_mv")
        );
        let pre = DetectParams {
            rule: DetectRule::PreKick,
            ..p
        };
        assert!(pre.validate().is_ok());
        let above = DetectParams {
            rearm_mv: 1.0,
            ..pre
        };
        assert!(
            above
                .validate()
                .unwrap_err()
                .to_string()
                .contains("pre-kick")
        );
    }

    fn brian2() -> SpikeDetector {
        let p = DetectParams {
            threshold_mv: 0.0,
            rearm_mv: 0.0,
            rule: DetectRule::PreKick,
        };
        SpikeDetector::new(&p, -65.0)
    }

    /// Brian2's order within a step: state update, threshold on that V,
    /// then the input. A kick across 0 mV is not a spike by itself.
    #[test]
    fn pre_kick_ignores_the_jump_and_fires_on_the_next_smooth_value() {
        let mut d = brian2();
        assert_eq!(d.observe(0.0, 0.01, -1.0, -0.5, 0.5), None);
        // V starts above 0 (after the kick) and stays above: spike at t0.
        assert_eq!(d.observe(0.01, 0.01, 0.5, 1.5, 1.5), Some(0.01));
        // Still above 0: refractory.
        assert_eq!(d.observe(0.02, 0.01, 1.5, 3.0, 3.0), None);
    }

    /// Re-arming at V ≤ θ, including exactly θ, and only at the step's end
    /// (Brian2 re-evaluates `not_refractory` on V after the input).
    #[test]
    fn pre_kick_rearms_at_or_below_threshold_after_the_input() {
        let mut d = brian2();
        assert!(d.observe(0.0, 0.01, -1.0, 1.0, 1.0).is_some());
        // Smooth V dips below 0 but a kick brings it back above: no re-arm.
        assert_eq!(d.observe(0.01, 0.01, 1.0, -0.2, 0.8), None);
        assert!(!d.is_armed());
        // An inhibitory kick to exactly 0 re-arms, the next smooth rise fires.
        assert_eq!(d.observe(0.02, 0.01, 0.8, 2.0, 0.0), None);
        assert!(d.is_armed());
        let t = d.observe(0.03, 0.01, 0.0, 1.0, 1.0).unwrap();
        assert!((t - 0.03).abs() < 1e-15);
        // Strictly above: V = θ after the smooth update is not a spike.
        let mut d = brian2();
        assert_eq!(d.observe(0.0, 0.01, -1.0, 0.0, 0.0), None);
        assert!(d.is_armed());
    }
}
