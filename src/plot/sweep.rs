//! `--what sweep`: firing rate (with its Student-t interval) and the main
//! Fano factor (with its interval) against a swept parameter, from
//! `points.parquet` joined with `summary.parquet` on `point`.
//!
//! The x axis is the last swept key (the fastest in the grid); with several
//! swept keys, each combination of the others is its own curve.

use super::data::{RunInfo, fmt_f};
use super::{Drawn, Figure, GREY, PALETTE, font, header, style_mesh};
use plotters::coord::Shift;
use plotters::coord::ranged1d::{AsRangedCoord, Ranged, ValueFormatter};
use plotters::prelude::*;

/// One curve: a label and its points (x, rate, rate lo, rate hi, fano, fano lo, fano hi).
pub type Curve = (String, Vec<[f64; 7]>);

pub struct Sweep {
    pub title: String,
    pub lines: Vec<String>,
    pub x_key: String,
    pub curves: Vec<Curve>,
    pub fano_window: String,
}

impl Sweep {
    pub fn new(
        info: &RunInfo,
        x_key: String,
        curves: Vec<Curve>,
        fano_window_ms: f64,
        confidence: f64,
    ) -> Self {
        let fano_window = if fano_window_ms.is_finite() {
            format!("{} ms", fmt_f(fano_window_ms))
        } else {
            "whole trial".into()
        };
        let third = format!(
            "bars: {}% intervals (rate: Student t over trials; Fano: χ² law); Fano window {fano_window}",
            fmt_f(confidence * 100.0)
        );
        Self {
            title: format!("{}: firing rate and Fano factor vs {x_key}", info.name()),
            lines: vec![info.describe(None), third],
            x_key,
            curves,
            fano_window,
        }
    }
}

impl Figure for Sweep {
    fn size(&self) -> (u32, u32) {
        (1000, 860)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> anyhow::Result<()> {
        let area = header(root, &self.title, &self.lines)?;
        let panels = area.split_evenly((2, 1));
        let xs: Vec<f64> = self
            .curves
            .iter()
            .flat_map(|c| c.1.iter().map(|r| r[0]))
            .filter(|x| x.is_finite())
            .collect();
        let lo = xs.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = xs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let (lo, hi) = if lo.is_finite() { (lo, hi) } else { (0.0, 1.0) };
        // A log axis when the values are positive and span a factor >= 4
        // (doubling grids, counts 80..4000).
        let log = lo > 0.0 && hi / lo >= 4.0;
        let x_desc = format!("{}{}", self.x_key, if log { " (log scale)" } else { "" });
        for (i, panel) in panels.iter().enumerate() {
            let which = if i == 0 { Which::Rate } else { Which::Fano };
            if log {
                // Ticks at the swept values themselves.
                let mut ticks = xs.clone();
                ticks.sort_by(f64::total_cmp);
                ticks.dedup();
                let spec = (lo / 1.25..hi * 1.25).log_scale().with_key_points(ticks);
                panel_on(panel, spec, self, which, &x_desc)?;
            } else {
                let pad = if hi > lo { (hi - lo) * 0.06 } else { 0.5 };
                panel_on(panel, (lo - pad)..(hi + pad), self, which, &x_desc)?;
            }
        }
        Ok(())
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Which {
    Rate,
    Fano,
}

fn panel_on<DB, XS>(
    area: &DrawingArea<DB, Shift>,
    x_spec: XS,
    fig: &Sweep,
    which: Which,
    x_desc: &str,
) -> anyhow::Result<()>
where
    DB: DrawingBackend,
    XS: AsRangedCoord<Value = f64>,
    XS::CoordDescType: Ranged<ValueType = f64> + ValueFormatter<f64>,
{
    let k = if which == Which::Rate { 1 } else { 4 };
    let y1 = fig
        .curves
        .iter()
        .flat_map(|c| c.1.iter().flat_map(|r| [r[k], r[k + 2]]))
        .filter(|v| v.is_finite())
        .fold(if which == Which::Fano { 1.2 } else { 0.0 }, f64::max);
    let y1 = if y1 > 0.0 { y1 * 1.1 } else { 1.0 };
    let mut chart = ChartBuilder::on(area)
        .margin_left(10)
        .margin_right(24)
        .margin_top(8)
        .x_label_area_size(44)
        .y_label_area_size(70)
        .build_cartesian_2d(x_spec, 0.0..y1)
        .drawn()?;
    let y_desc = match which {
        Which::Rate => "firing rate (Hz)".to_string(),
        Which::Fano => format!("Fano factor ({})", fig.fano_window),
    };
    let mut mesh = chart.configure_mesh();
    style_mesh(&mut mesh);
    mesh.x_desc(x_desc).y_desc(y_desc);
    mesh.draw().drawn()?;
    if which == Which::Fano {
        let r = chart.x_range();
        let (a, b) = (r.start, r.end);
        chart
            .draw_series(DashedLineSeries::new(
                [(a, 1.0), (b, 1.0)],
                8,
                6,
                GREY.stroke_width(1),
            ))
            .drawn()?
            .label("Poisson process (F = 1)")
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], GREY.stroke_width(1)));
    }
    for (i, (label, rows)) in fig.curves.iter().enumerate() {
        let color = PALETTE[i % PALETTE.len()];
        let finite: Vec<&[f64; 7]> = rows.iter().filter(|r| r[k].is_finite()).collect();
        let series = chart
            .draw_series(LineSeries::new(
                finite.iter().map(|r| (r[0], r[k])),
                color.stroke_width(2),
            ))
            .drawn()?;
        let name = match (label.is_empty(), which) {
            (true, Which::Rate) => "mean rate".to_string(),
            (true, Which::Fano) => "Fano factor".to_string(),
            (false, _) => label.clone(),
        };
        series.label(name).legend(move |(x, y)| {
            PathElement::new(vec![(x, y), (x + 18, y)], color.stroke_width(2))
        });
        chart
            .draw_series(
                finite
                    .iter()
                    .filter(|r| r[k + 1].is_finite() && r[k + 2].is_finite())
                    .map(|r| {
                        PathElement::new(
                            vec![(r[0], r[k + 1]), (r[0], r[k + 2])],
                            color.stroke_width(2),
                        )
                    }),
            )
            .drawn()?;
        chart
            .draw_series(
                finite
                    .iter()
                    .map(|r| Circle::new((r[0], r[k]), 4, color.filled())),
            )
            .drawn()?;
    }
    chart
        .configure_series_labels()
        .position(if which == Which::Rate {
            SeriesLabelPosition::UpperLeft
        } else {
            SeriesLabelPosition::UpperRight
        })
        .label_font(font(14))
        .background_style(WHITE.mix(0.85))
        .border_style(RGBColor(200, 200, 200))
        .draw()
        .drawn()?;
    Ok(())
}
