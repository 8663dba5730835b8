//! Spike-time refinement deferred and batched. A lane whose smooth part
//! crossed the threshold gets a placeholder in its spike train and a
//! pending entry here; when [`PENDING`] entries have gathered (and at the
//! end of the block) their times are computed together by
//! [`hermite_crossings`](crate::trial::hermite_crossings) — the same bits
//! as one [`hermite_crossing`](crate::trial::hermite_crossing) per spike,
//! which is what `run_trial` computes.
//!
//! Why: one crossing's bisection is a chain of dependent latencies (13
//! rounds of 16 points, ~600 cycles per spike on the AVX-512 machine:
//! 2 % of B5000's time at N = 100 000, where the neuron fires at
//! 103 spikes/s); 32 crossings' halvings in lock step fill the vector units
//! instead, for a fraction of the time per spike.

use crate::hh::{HhParams, HhState};
use crate::trial::TrialOutput;

/// Crossings refined together (four AVX-512 or eight AVX2 registers per
/// halving).
pub(crate) const PENDING: usize = 32;

/// The crossings of a block whose spike times are still placeholders, as
/// the columns [`crate::trial::hermite_crossings`] takes.
pub(crate) struct PendingCrossings<'p> {
    /// The block's neuron (for dV/dt at the crossing's ends), threshold
    /// \[mV\] and trial duration \[ms\].
    params: &'p HhParams,
    threshold: f64,
    duration: f64,
    len: usize,
    /// Lane of the crossing and index of its placeholder in that lane's
    /// spike train.
    lane: [usize; PENDING],
    index: [usize; PENDING],
    /// \[ms\] The step [t0, t1] the smooth part crossed in.
    t0: [f64; PENDING],
    t1: [f64; PENDING],
    /// The interpolant's end values (V − threshold) and end slopes (dV/dt
    /// per step) — the arguments of `hermite_crossing`.
    f0: [f64; PENDING],
    f1: [f64; PENDING],
    d0: [f64; PENDING],
    d1: [f64; PENDING],
}

impl<'p> PendingCrossings<'p> {
    pub fn new(params: &'p HhParams, threshold: f64, duration: f64) -> Self {
        // Unused entries hold a harmless crossing (the line from −1 to 1).
        Self {
            params,
            threshold,
            duration,
            len: 0,
            lane: [0; PENDING],
            index: [0; PENDING],
            t0: [0.0; PENDING],
            t1: [0.0; PENDING],
            f0: [-1.0; PENDING],
            f1: [1.0; PENDING],
            d0: [2.0; PENDING],
            d1: [2.0; PENDING],
        }
    }

    /// Records the crossing of `lane` on [t0, t1] from `start` to `end`
    /// (smooth part, before the step's jump) and pushes its placeholder
    /// (NaN) onto the lane's spike train; flushes when full. The end values
    /// and slopes are the same expressions `run_trial` passes to
    /// `hermite_crossing`.
    #[inline(always)]
    pub fn push<X: super::IsaPath>(
        &mut self,
        outs: &mut [TrialOutput],
        lane: usize,
        (t0, t1): (f64, f64),
        start: &HhState,
        end: &HhState,
    ) {
        let (p, threshold) = (self.params, self.threshold);
        let k = self.len;
        let spikes = &mut outs[lane].spikes_ms;
        (self.lane[k], self.index[k]) = (lane, spikes.len());
        spikes.push(f64::NAN);
        (self.t0[k], self.t1[k]) = (t0, t1);
        self.f0[k] = start.v - threshold;
        self.f1[k] = end.v - threshold;
        self.d0[k] = p.dv_dt(start) * (t1 - t0);
        self.d1[k] = p.dv_dt(end) * (t1 - t0);
        self.len += 1;
        if self.len == PENDING {
            self.flush::<X>(outs);
        }
    }

    /// The roots of all [`PENDING`] entries' interpolants in [0, 1] (unused
    /// entries included: harmless), by [`crate::trial::hermite_crossings`].
    #[inline(always)]
    pub fn roots(&self) -> [f64; PENDING] {
        crate::trial::hermite_crossings(&self.f0, &self.f1, &self.d0, &self.d1)
    }

    /// Computes the pending spike times and writes them over their
    /// placeholders — or removes the placeholder where the time is not
    /// before the trial's duration (as the undeferred path did not push it).
    #[inline(never)]
    pub fn flush<X: super::IsaPath>(&mut self, outs: &mut [TrialOutput]) {
        if self.len == 0 {
            return;
        }
        let x = X::hermite_crossings(self);
        // Newest first: a removal (possible only for a crossing in a
        // trial's last step, so its lane's last spike) then never moves a
        // placeholder still to be written.
        for k in (0..self.len).rev() {
            let (t0, t1) = (self.t0[k], self.t1[k]);
            let t = t0 + (t1 - t0) * x[k];
            let spikes = &mut outs[self.lane[k]].spikes_ms;
            if t < self.duration {
                spikes[self.index[k]] = t;
            } else {
                spikes.remove(self.index[k]);
            }
        }
        self.len = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lanes::PortablePath;
    use crate::trial::hermite_crossing;
    use rand::{Rng, SeedableRng};

    /// A crossing state near threshold with a random gating state.
    fn state(rng: &mut impl Rng, v: f64) -> HhState {
        let mut u = || (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
        HhState {
            v,
            m: u(),
            h: u(),
            n: u(),
        }
    }

    /// The time `run_trial` gives a crossing (undeferred, one at a time).
    fn reference(p: &HhParams, thr: f64, (t0, t1): (f64, f64), a: &HhState, b: &HhState) -> f64 {
        t0 + (t1 - t0)
            * hermite_crossing(
                a.v - thr,
                b.v - thr,
                p.dv_dt(a) * (t1 - t0),
                p.dv_dt(b) * (t1 - t0),
            )
    }

    /// 75 crossings over 3 lanes (two full flushes and a partial one) with
    /// spikes that need no refinement in between: every lane's train holds
    /// the reference times, in order, at their places.
    #[test]
    fn deferred_times_equal_one_at_a_time_in_place() {
        let p = HhParams::default();
        let (thr, dt, n_steps) = (0.0, 0.01, 100_000u64);
        let duration = n_steps as f64 * dt;
        let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(11);
        let mut outs = vec![TrialOutput::default(); 3];
        let mut want = vec![Vec::new(); 3];
        let mut pending = PendingCrossings::new(&p, thr, duration);
        for k in 0..75u64 {
            let lane = (k % 3) as usize;
            let step = 1000 * k + 7;
            let t = (step as f64 * dt, (step + 1) as f64 * dt);
            let below = -((rng.next_u64() % 1000) as f64) / 100.0 - 0.01;
            let above = (rng.next_u64() % 3000) as f64 / 100.0;
            let (a, b) = (state(&mut rng, below), state(&mut rng, above));
            pending.push::<PortablePath>(&mut outs, lane, t, &a, &b);
            want[lane].push(reference(&p, thr, t, &a, &b));
            if k % 4 == 0 {
                // A spike the detector timed itself, between two crossings.
                outs[lane].spikes_ms.push(t.1);
                want[lane].push(t.1);
            }
        }
        pending.flush::<PortablePath>(&mut outs);
        for (out, want) in outs.iter().zip(&want) {
            let same = out.spikes_ms.len() == want.len()
                && out
                    .spikes_ms
                    .iter()
                    .zip(want)
                    .all(|(a, b)| a.to_bits() == b.to_bits());
            assert!(same, "{:?} vs {want:?}", out.spikes_ms);
        }
    }

    /// A crossing in a trial's last step whose root is the step's end: its
    /// time rounds to the trial's duration and, as undeferred, it is not a
    /// spike — removed, with the lane's earlier spikes and the other lanes
    /// untouched.
    #[test]
    fn crossing_timed_at_the_end_of_the_trial_is_dropped() {
        let p = HhParams::default();
        let (thr, dt, n_steps) = (0.0, 0.01, 100_000u64);
        let duration = n_steps as f64 * dt;
        let last = ((n_steps - 1) as f64 * dt, n_steps as f64 * dt);
        let early = (5.0, 5.0 + dt);
        let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(12);
        let (a, b) = (state(&mut rng, -5.0), state(&mut rng, 20.0));
        // V reaches the threshold exactly at the step's end.
        let (a_end, b_end) = (state(&mut rng, -5.0), state(&mut rng, thr));
        assert!(reference(&p, thr, last, &a_end, &b_end) >= duration);
        let mut outs = vec![TrialOutput::default(); 2];
        let mut pending = PendingCrossings::new(&p, thr, duration);
        pending.push::<PortablePath>(&mut outs, 0, early, &a, &b);
        pending.push::<PortablePath>(&mut outs, 1, early, &a, &b);
        pending.push::<PortablePath>(&mut outs, 0, last, &a_end, &b_end);
        pending.flush::<PortablePath>(&mut outs);
        let t = reference(&p, thr, early, &a, &b);
        for out in &outs {
            assert_eq!(out.spikes_ms.len(), 1);
            assert_eq!(out.spikes_ms[0].to_bits(), t.to_bits());
        }
    }
}
