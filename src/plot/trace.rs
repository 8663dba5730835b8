//! `--what trace`: the question's three-panel figure of one recorded trial —
//! V; I_Na, I_K, I_L; m, h, n — against time.

use super::data::{RunInfo, Trace};
use super::{Drawn, Figure, PALETTE, bounds, decimate, font, header, style_mesh};
use plotters::coord::Shift;
use plotters::prelude::*;

pub struct TraceFigure {
    pub title: String,
    pub lines: Vec<String>,
    pub trace: Trace,
    /// \[ms\] Spike times of the trial (marked on the V panel), if known.
    pub spikes_ms: Vec<f64>,
}

impl TraceFigure {
    pub fn new(info: &RunInfo, point: u32, trial: u32, trace: Trace, spikes_ms: Vec<f64>) -> Self {
        let what = match info.replay {
            Some(_) => format!("trial {trial} (replayed alone)"),
            None => format!("trial {trial} of {}", info.trials()),
        };
        let title = format!("{}: V, ionic currents and gating of {what}", info.name());
        let trials_text = match info.replay {
            Some(_) => "1 trial".to_string(),
            None => format!("{} trials", info.trials()),
        };
        let interval = trace
            .t_ms
            .get(1)
            .zip(trace.t_ms.first())
            .map(|(b, a)| b - a)
            .unwrap_or(f64::NAN);
        let mut lines = vec![info.describe(Some(&trials_text))];
        let mut third = format!(
            "{} spike(s) in this trial; sampled every {} ms",
            spikes_ms.len(),
            super::data::fmt_f(interval)
        );
        let label = info.point_label(point);
        if !label.is_empty() {
            third = format!("{label} · {third}");
        }
        lines.push(third);
        Self {
            title,
            lines,
            trace,
            spikes_ms,
        }
    }
}

impl Figure for TraceFigure {
    fn size(&self) -> (u32, u32) {
        (1100, 920)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> anyhow::Result<()> {
        let area = header(root, &self.title, &self.lines)?;
        let panels = area.split_evenly((3, 1));
        let t = &self.trace.t_ms;
        let c = &self.trace.cols;
        let x = (
            t.first().copied().unwrap_or(0.0),
            t.last().copied().unwrap_or(1.0).max(1e-9),
        );
        let bins = 1000;
        // TRACE_COLUMNS: v_mv, m, h, n, i_na, i_k, i_l, i_syn.
        let v = PanelData {
            y_desc: "V (mV)",
            series: vec![("V", BLACK, decimate(t, &c[0], bins))],
            y_range: bounds(c[0].iter().copied(), 0.05),
            x_desc: None,
        };
        let currents = PanelData {
            y_desc: "current (µA/cm²)",
            // Models without gates (LIF, passive) have NaN I_Na, I_K and
            // gates: those series are left out.
            series: [
                ("I_Na", PALETTE[5], 4),
                ("I_K", PALETTE[4], 5),
                ("I_L", PALETTE[3], 6),
            ]
            .into_iter()
            .filter(|&(_, _, i)| c[i].iter().any(|y| y.is_finite()))
            .map(|(name, colour, i)| (name, colour, decimate(t, &c[i], bins)))
            .collect(),
            y_range: bounds(
                c[4].iter()
                    .chain(&c[5])
                    .chain(&c[6])
                    .copied()
                    .filter(|y| y.is_finite()),
                0.05,
            ),
            x_desc: None,
        };
        let gating = PanelData {
            y_desc: "gating value",
            series: [
                ("m", PALETTE[1], 1),
                ("h", PALETTE[2], 2),
                ("n", PALETTE[0], 3),
            ]
            .into_iter()
            .filter(|&(_, _, i)| c[i].iter().any(|y| y.is_finite()))
            .map(|(name, colour, i)| (name, colour, decimate(t, &c[i], bins)))
            .collect(),
            y_range: (0.0, 1.0),
            x_desc: Some("t (ms)"),
        };
        draw_panel(&panels[0], x, &v, &self.spikes_ms)?;
        draw_panel(&panels[1], x, &currents, &[])?;
        draw_panel(&panels[2], x, &gating, &[])?;
        Ok(())
    }
}

/// One line of a panel: label, colour, (t, y) points.
type Series = (&'static str, RGBColor, Vec<(f64, f64)>);

struct PanelData {
    y_desc: &'static str,
    series: Vec<Series>,
    y_range: (f64, f64),
    x_desc: Option<&'static str>,
}

fn draw_panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    x: (f64, f64),
    p: &PanelData,
    spikes_ms: &[f64],
) -> anyhow::Result<()> {
    let mut chart = ChartBuilder::on(area)
        .margin_left(10)
        .margin_right(20)
        .margin_top(6)
        .x_label_area_size(if p.x_desc.is_some() { 44 } else { 26 })
        .y_label_area_size(80)
        .build_cartesian_2d(x.0..x.1, p.y_range.0..p.y_range.1)
        .drawn()?;
    let mut mesh = chart.configure_mesh();
    style_mesh(&mut mesh);
    mesh.y_desc(p.y_desc);
    if let Some(d) = p.x_desc {
        mesh.x_desc(d);
    }
    mesh.draw().drawn()?;
    // Spike times as ticks along the top of the V panel.
    let top = p.y_range.1;
    let tick = (p.y_range.1 - p.y_range.0) * 0.04;
    chart
        .draw_series(spikes_ms.iter().map(|&s| {
            PathElement::new(vec![(s, top), (s, top - tick)], PALETTE[1].stroke_width(2))
        }))
        .drawn()?;
    for (label, color, pts) in &p.series {
        let color = *color;
        chart
            .draw_series(LineSeries::new(pts.iter().copied(), color.stroke_width(1)))
            .drawn()?
            .label(*label)
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 18, y)], color.stroke_width(2))
            });
    }
    if p.series.len() > 1 {
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperRight)
            .label_font(font(14))
            .background_style(WHITE.mix(0.85))
            .border_style(RGBColor(200, 200, 200))
            .draw()
            .drawn()?;
    }
    Ok(())
}
