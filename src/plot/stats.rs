//! `--what isi|fano|psth`: the statistics tables of one sweep point.

use super::data::{RunInfo, fmt_f, fmt_sig};
use super::{Drawn, Figure, GREY, PALETTE, bounds, font, header, style_mesh};
use plotters::coord::Shift;
use plotters::prelude::*;

fn caption_lines(info: &RunInfo, point: u32, third: String) -> Vec<String> {
    let label = info.point_label(point);
    let third = if label.is_empty() {
        third
    } else {
        format!("{label} · {third}")
    };
    vec![info.describe(None), third]
}

/// The pooled ISI histogram (`isi_hist.parquet`) as a density.
pub struct Isi {
    pub title: String,
    pub lines: Vec<String>,
    /// (left, right, density per ms) of the regular bins.
    pub bins: Vec<(f64, f64, f64)>,
}

impl Isi {
    /// `rows` = bin_left_ms, bin_right_ms, count, density_per_ms of one point.
    pub fn new(info: &RunInfo, point: u32, rows: &[Vec<f64>], cv_pooled: Option<f64>) -> Self {
        let mut bins = Vec::new();
        let (mut n, mut overflow, mut edge) = (0.0, 0.0, f64::NAN);
        let columns = rows[0].iter().zip(&rows[1]).zip(&rows[2]).zip(&rows[3]);
        for (((&l, &r), &c), &d) in columns {
            n += c;
            if r.is_finite() {
                bins.push((l, r, d));
            } else {
                overflow += c;
                edge = l;
            }
        }
        let mut third = format!("{} ISIs pooled over trials", n as u64);
        if overflow > 0.0 {
            third += &format!(
                ", {} longer than {} ms not shown",
                overflow as u64,
                fmt_f(edge)
            );
        }
        if let Some(cv) = cv_pooled {
            third += &format!(
                " · pooled ISI CV {} (1 for a Poisson process)",
                fmt_sig(cv, 3)
            );
        }
        Self {
            title: format!("{}: interspike-interval distribution", info.name()),
            lines: caption_lines(info, point, third),
            bins,
        }
    }
}

impl Figure for Isi {
    fn size(&self) -> (u32, u32) {
        (1000, 640)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> anyhow::Result<()> {
        let area = header(root, &self.title, &self.lines)?;
        // Up to the last non-empty bin (an empty tail is not informative).
        let last = self
            .bins
            .iter()
            .rposition(|b| b.2 > 0.0)
            .map_or(self.bins.len(), |i| i + 1);
        let shown = &self.bins[..last.max(1).min(self.bins.len())];
        let x1 = shown.last().map_or(1.0, |b| b.1);
        let x0 = shown.first().map_or(0.0, |b| b.0).min(0.0);
        let y1 = shown
            .iter()
            .map(|b| b.2)
            .filter(|d| d.is_finite())
            .fold(0.0, f64::max);
        let y1 = if y1 > 0.0 { y1 * 1.08 } else { 1.0 };
        let mut chart = ChartBuilder::on(&area)
            .margin_left(10)
            .margin_right(24)
            .margin_top(6)
            .x_label_area_size(44)
            .y_label_area_size(80)
            .build_cartesian_2d(x0..x1, 0.0..y1)
            .drawn()?;
        let mut mesh = chart.configure_mesh();
        style_mesh(&mut mesh);
        mesh.x_desc("interspike interval (ms)")
            .y_desc("probability density (1/ms)");
        mesh.draw().drawn()?;
        chart
            .draw_series(shown.iter().filter(|b| b.2.is_finite()).map(|&(l, r, d)| {
                Rectangle::new([(l, 0.0), (r, d)], PALETTE[0].mix(0.85).filled())
            }))
            .drawn()?;
        Ok(())
    }
}

/// The Fano factor against the counting window (`fano.parquet`), with its
/// confidence band.
pub struct Fano {
    pub title: String,
    pub lines: Vec<String>,
    /// (window, fano, ci low, ci high), finite Fano only.
    pub rows: Vec<(f64, f64, f64, f64)>,
    pub confidence: f64,
}

impl Fano {
    /// `rows` = window_ms, fano, fano_ci_low, fano_ci_high of one point.
    pub fn new(info: &RunInfo, point: u32, rows: &[Vec<f64>], confidence: f64) -> Self {
        let all: Vec<_> = (0..rows[0].len())
            .map(|i| (rows[0][i], rows[1][i], rows[2][i], rows[3][i]))
            .collect();
        let undefined = all.iter().filter(|r| !r.1.is_finite()).count();
        let rows: Vec<_> = all.into_iter().filter(|r| r.1.is_finite()).collect();
        let mut third = format!(
            "counts in consecutive windows of every trial (silent trials count as 0); band: {}% CI",
            fmt_f(confidence * 100.0)
        );
        if undefined > 0 {
            third += &format!("; {undefined} window(s) without spikes left out");
        }
        Self {
            title: format!(
                "{}: Fano factor of spike counts vs counting window",
                info.name()
            ),
            lines: caption_lines(info, point, third),
            rows,
            confidence,
        }
    }
}

impl Figure for Fano {
    fn size(&self) -> (u32, u32) {
        (1000, 640)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> anyhow::Result<()> {
        let area = header(root, &self.title, &self.lines)?;
        let (w0, w1) = bounds(self.rows.iter().map(|r| r.0), 0.0);
        let (w0, w1) = (w0.max(1e-6) / 1.4, w1.max(1e-6) * 1.4);
        let y1 = self
            .rows
            .iter()
            .flat_map(|r| [r.1, r.3])
            .filter(|v| v.is_finite())
            .fold(1.2_f64, f64::max)
            * 1.08;
        let mut chart = ChartBuilder::on(&area)
            .margin_left(10)
            .margin_right(24)
            .margin_top(6)
            .x_label_area_size(44)
            .y_label_area_size(70)
            .build_cartesian_2d(
                (w0..w1)
                    .log_scale()
                    .with_key_points(self.rows.iter().map(|r| r.0).collect()),
                0.0..y1,
            )
            .drawn()?;
        let mut mesh = chart.configure_mesh();
        style_mesh(&mut mesh);
        mesh.x_desc("counting window (ms, log scale)")
            .y_desc("Fano factor (var/mean of counts)");

        mesh.draw().drawn()?;
        chart
            .draw_series(DashedLineSeries::new(
                [(w0, 1.0), (w1, 1.0)],
                8,
                6,
                GREY.stroke_width(1),
            ))
            .drawn()?
            .label("Poisson process (F = 1)")
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], GREY.stroke_width(1)));
        let color = PALETTE[0];
        let band: Vec<(f64, f64)> = self
            .rows
            .iter()
            .filter(|r| r.2.is_finite() && r.3.is_finite())
            .map(|r| (r.0, r.2))
            .chain(
                self.rows
                    .iter()
                    .rev()
                    .filter(|r| r.2.is_finite() && r.3.is_finite())
                    .map(|r| (r.0, r.3)),
            )
            .collect();
        if band.len() >= 4 {
            chart
                .draw_series(std::iter::once(Polygon::new(band, color.mix(0.2).filled())))
                .drawn()?
                .label(format!(
                    "{}% confidence interval",
                    fmt_f(self.confidence * 100.0)
                ))
                .legend(move |(x, y)| {
                    Rectangle::new([(x, y - 5), (x + 18, y + 5)], color.mix(0.2).filled())
                });
        }
        chart
            .draw_series(LineSeries::new(
                self.rows.iter().map(|r| (r.0, r.1)),
                color.stroke_width(2),
            ))
            .drawn()?
            .label("Fano factor")
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 18, y)], color.stroke_width(2))
            });
        chart
            .draw_series(
                self.rows
                    .iter()
                    .map(|r| Circle::new((r.0, r.1), 4, color.filled())),
            )
            .drawn()?;
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperLeft)
            .label_font(font(14))
            .background_style(WHITE.mix(0.85))
            .border_style(RGBColor(200, 200, 200))
            .draw()
            .drawn()?;
        Ok(())
    }
}

/// The peri-stimulus time histogram (`psth.parquet`).
pub struct Psth {
    pub title: String,
    pub lines: Vec<String>,
    /// (left, right, rate Hz).
    pub bins: Vec<(f64, f64, f64)>,
    /// \[Hz\] Mean rate over the analysed span, drawn as a reference.
    pub mean_hz: Option<f64>,
}

impl Psth {
    /// `rows` = bin_left_ms, bin_right_ms, rate_hz of one point.
    pub fn new(
        info: &RunInfo,
        point: u32,
        rows: &[Vec<f64>],
        n_trials: Option<f64>,
        mean_hz: Option<f64>,
    ) -> Self {
        let bins: Vec<_> = (0..rows[0].len())
            .map(|i| (rows[0][i], rows[1][i], rows[2][i]))
            .collect();
        let width = bins.first().map_or(f64::NAN, |b| b.1 - b.0);
        let mut third = format!("{} ms bins, all trials pooled", fmt_f(width));
        if let Some(n) = n_trials {
            third = format!("{third} ({} trials)", n as u64);
        }
        if let Some(m) = mean_hz {
            third += &format!(" · mean rate {} Hz (dashed)", fmt_sig(m, 3));
        }
        Self {
            title: format!("{}: peri-stimulus time histogram", info.name()),
            lines: caption_lines(info, point, third),
            bins,
            mean_hz,
        }
    }
}

impl Figure for Psth {
    fn size(&self) -> (u32, u32) {
        (1000, 640)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> anyhow::Result<()> {
        let area = header(root, &self.title, &self.lines)?;
        let x0 = self.bins.first().map_or(0.0, |b| b.0);
        let x1 = self.bins.last().map_or(1.0, |b| b.1);
        let y1 = self
            .bins
            .iter()
            .map(|b| b.2)
            .chain(self.mean_hz)
            .filter(|v| v.is_finite())
            .fold(0.0, f64::max);
        let y1 = if y1 > 0.0 { y1 * 1.08 } else { 1.0 };
        let mut chart = ChartBuilder::on(&area)
            .margin_left(10)
            .margin_right(24)
            .margin_top(6)
            .x_label_area_size(44)
            .y_label_area_size(70)
            .build_cartesian_2d(x0..x1, 0.0..y1)
            .drawn()?;
        let mut mesh = chart.configure_mesh();
        style_mesh(&mut mesh);
        mesh.x_desc("t (ms)").y_desc("firing rate (Hz)");
        mesh.draw().drawn()?;
        chart
            .draw_series(
                self.bins
                    .iter()
                    .filter(|b| b.2.is_finite())
                    .map(|&(l, r, h)| {
                        Rectangle::new([(l, 0.0), (r, h)], PALETTE[0].mix(0.85).filled())
                    }),
            )
            .drawn()?;
        if let Some(m) = self.mean_hz.filter(|m| m.is_finite()) {
            chart
                .draw_series(DashedLineSeries::new(
                    [(x0, m), (x1, m)],
                    8,
                    6,
                    PALETTE[1].stroke_width(2),
                ))
                .drawn()?;
        }
        Ok(())
    }
}
