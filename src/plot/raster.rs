//! `--what raster`: spike times of the first trials of a point, one row per
//! trial (silent trials keep their empty row).

use super::data::{RunInfo, fmt_f, fmt_sig};
use super::{Drawn, Figure, header, style_mesh};
use plotters::coord::Shift;
use plotters::prelude::*;
use std::collections::BTreeMap;

pub struct Raster {
    pub title: String,
    pub lines: Vec<String>,
    pub trains: BTreeMap<u32, Vec<f64>>,
    pub duration_ms: f64,
}

impl Raster {
    pub fn new(
        info: &RunInfo,
        point: u32,
        trains: BTreeMap<u32, Vec<f64>>,
        n_trials: u64,
        summary: Option<String>,
    ) -> Self {
        let (first, last) = (
            trains.keys().next().copied().unwrap_or(0),
            trains.keys().next_back().copied().unwrap_or(0),
        );
        let title = format!(
            "{}: spike raster of trials {first}–{last} ({} of {n_trials})",
            info.name(),
            trains.len()
        );
        let n_spikes: usize = trains.values().map(Vec::len).sum();
        let silent = trains.values().filter(|t| t.is_empty()).count();
        let mut third =
            format!("{n_spikes} spikes shown, {silent} silent trial(s) shown as empty rows");
        if let Some(s) = summary {
            third = format!("{third} · {s}");
        }
        let label = info.point_label(point);
        if !label.is_empty() {
            third = format!("{label} · {third}");
        }
        Self {
            title,
            lines: vec![info.describe(None), third],
            duration_ms: info.duration_ms(point),
            trains,
        }
    }
}

/// "rate 9.26 Hz [8.45, 10.07] (95% t-interval), Fano 0.88" from summary
/// columns, for captions.
pub fn rate_caption(rate: f64, lo: f64, hi: f64, conf: f64) -> String {
    format!(
        "all trials: rate {} Hz [{}, {}] ({}% CI)",
        fmt_sig(rate, 3),
        fmt_sig(lo, 3),
        fmt_sig(hi, 3),
        fmt_f(conf * 100.0)
    )
}

impl Figure for Raster {
    fn size(&self) -> (u32, u32) {
        (1100, 700)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> anyhow::Result<()> {
        let area = header(root, &self.title, &self.lines)?;
        let lo = self.trains.keys().next().copied().unwrap_or(0) as f64;
        let hi = self.trains.keys().next_back().copied().unwrap_or(0) as f64;
        let dur = if self.duration_ms.is_finite() && self.duration_ms > 0.0 {
            self.duration_ms
        } else {
            self.trains
                .values()
                .flat_map(|t| t.last())
                .fold(1.0, |a: f64, b| a.max(*b))
        };
        let mut chart = ChartBuilder::on(&area)
            .margin_left(10)
            .margin_right(20)
            .margin_top(6)
            .x_label_area_size(44)
            .y_label_area_size(70)
            .build_cartesian_2d(0.0..dur, (lo - 0.5)..(hi + 0.5))
            .drawn()?;
        let mut mesh = chart.configure_mesh();
        style_mesh(&mut mesh);
        mesh.x_desc("t (ms)")
            .y_desc("trial")
            .y_label_formatter(&|y| format!("{}", y.round() as i64))
            .disable_y_mesh();
        mesh.draw().drawn()?;
        let rows = self.trains.len().max(1) as f64;
        // Thicker ticks for few rows so that they stay visible.
        let width = if rows <= 60.0 { 2 } else { 1 };
        chart
            .draw_series(self.trains.iter().flat_map(|(&k, train)| {
                let y = k as f64;
                train.iter().map(move |&s| {
                    PathElement::new(vec![(s, y - 0.4), (s, y + 0.4)], BLACK.stroke_width(width))
                })
            }))
            .drawn()?;
        Ok(())
    }
}
