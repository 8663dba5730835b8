//! Figures of a run directory (`spikemc plot`), drawn with plotters as PNG or
//! SVG.
//!
//! Text is rendered with DejaVu Sans compiled into the binary
//! (`data/fonts/`, registered with plotters' `ab_glyph` backend), so neither
//! building nor running needs fontconfig, FreeType or any system font. SVG
//! files keep their text as `<text>` elements (font-family sans-serif).
//!
//! Every figure is a [`Figure`]: a size and a `draw` generic over the
//! backend, so one code path makes both formats.

pub mod data;
mod raster;
mod stats;
mod sweep;
mod trace;

pub use raster::{Raster, rate_caption as raster_caption};
pub use stats::{Fano, Isi, Psth};
pub use sweep::{Curve as SweepCurve, Sweep};
pub use trace::TraceFigure;

use crate::failure::Failure;
use anyhow::anyhow;
use plotters::coord::Shift;
use plotters::prelude::*;
use std::path::Path;
use std::sync::Once;

/// DejaVu Sans (Bitstream Vera licence, `data/fonts/LICENSE-DejaVu.txt`).
static FONT: &[u8] = include_bytes!("../../data/fonts/DejaVuSans.ttf");

/// The font family every figure uses.
pub const FAMILY: &str = "sans-serif";

fn register_font() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // The bytes are a valid TrueType file, checked by every plot test.
        if plotters::style::register_font(FAMILY, FontStyle::Normal, FONT).is_err() {
            panic!("the embedded font data/fonts/DejaVuSans.ttf is not a valid font");
        }
    });
}

/// Output format, from the file extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Png,
    Svg,
}

impl Format {
    /// `.png` or `.svg` (any case); anything else is bad input.
    pub fn of(path: &Path) -> Result<Self, Failure> {
        match path
            .extension()
            .map(|e| e.to_string_lossy().to_ascii_lowercase())
            .as_deref()
        {
            Some("png") => Ok(Format::Png),
            Some("svg") => Ok(Format::Svg),
            _ => Err(Failure::input(anyhow!(
                "cannot write {}: the file name must end in .png or .svg (e.g. -o raster.png)",
                path.display()
            ))),
        }
    }
}

/// A figure that can draw itself on any plotters backend.
pub trait Figure {
    /// \[px\] Width and height.
    fn size(&self) -> (u32, u32);
    /// Draws onto a white area of `size()`.
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> anyhow::Result<()>;
}

/// Renders `fig` into `path` (PNG or SVG by extension), atomically: the file
/// appears only complete. Both are rendered in memory first.
pub fn save(fig: &impl Figure, path: &Path) -> Result<(), Failure> {
    let format = Format::of(path)?;
    register_font();
    match format {
        Format::Png => {
            let (w, h) = fig.size();
            let mut rgb = vec![255u8; w as usize * h as usize * 3];
            {
                let root = BitMapBackend::with_buffer(&mut rgb, (w, h)).into_drawing_area();
                fig.draw(&root).map_err(Failure::other)?;
                root.present().drawn().map_err(Failure::other)?;
            }
            let png = encode_png(&rgb, w, h)
                .map_err(|e| Failure::other(anyhow!("cannot encode {}: {e}", path.display())))?;
            spikemc_store::write_bytes(path, &png)
                .map_err(|e| Failure::other(anyhow!("cannot write {}: {e}", path.display())))
        }
        Format::Svg => {
            let mut svg = String::new();
            {
                let root = SVGBackend::with_string(&mut svg, fig.size()).into_drawing_area();
                root.fill(&WHITE).drawn().map_err(Failure::other)?;
                fig.draw(&root).map_err(Failure::other)?;
                root.present().drawn().map_err(Failure::other)?;
            }
            spikemc_store::write_bytes(path, svg.as_bytes())
                .map_err(|e| Failure::other(anyhow!("cannot write {}: {e}", path.display())))
        }
    }
}

/// RGB pixels as PNG at the best zlib level with adaptive filtering: about
/// a quarter of the size plotters' own (fast) encoder writes.
fn encode_png(rgb: &[u8], w: u32, h: u32) -> Result<Vec<u8>, png::EncodingError> {
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, w, h);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        enc.set_compression(png::Compression::Best);
        enc.set_adaptive_filter(png::AdaptiveFilterType::Adaptive);
        let mut writer = enc.write_header()?;
        writer.write_image_data(rgb)?;
    }
    Ok(out)
}

/// Maps plotters' drawing errors into anyhow.
pub(crate) trait Drawn<T> {
    fn drawn(self) -> anyhow::Result<T>;
}

impl<T, E: std::error::Error + Send + Sync> Drawn<T> for Result<T, DrawingAreaErrorKind<E>> {
    fn drawn(self) -> anyhow::Result<T> {
        self.map_err(|e| anyhow!("drawing failed: {e}"))
    }
}

/// Colour-blind-safe colours (Okabe & Ito 2008).
pub(crate) const PALETTE: [RGBColor; 7] = [
    RGBColor(0, 114, 178),
    RGBColor(213, 94, 0),
    RGBColor(0, 158, 115),
    RGBColor(204, 121, 167),
    RGBColor(230, 159, 0),
    RGBColor(86, 180, 233),
    RGBColor(0, 0, 0),
];

pub(crate) const GREY: RGBColor = RGBColor(90, 90, 90);

/// A text style of the embedded font.
pub(crate) fn font(size: u32) -> TextStyle<'static> {
    TextStyle::from((FAMILY, size).into_font())
}

/// Draws a title line and smaller caption lines at the top of `root`;
/// returns the rest of the area.
pub(crate) fn header<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    lines: &[String],
) -> anyhow::Result<DrawingArea<DB, Shift>> {
    let lines: Vec<&String> = lines.iter().filter(|l| !l.is_empty()).collect();
    let height = 44 + 20 * lines.len() as u32;
    let (top, rest) = root.split_vertically(height);
    top.draw_text(title, &font(22).color(&BLACK), (16, 12))
        .drawn()?;
    for (i, line) in lines.iter().enumerate() {
        top.draw_text(line, &font(14).color(&GREY), (16, 42 + 20 * i as i32))
            .drawn()?;
    }
    Ok(rest)
}

/// Applies the common mesh style: fonts, light grid, labels without
/// trailing zeros ("200", not "200.0").
pub(crate) fn style_mesh<DB, X, Y>(mesh: &mut plotters::chart::MeshStyle<'_, '_, X, Y, DB>)
where
    DB: DrawingBackend,
    X: plotters::coord::ranged1d::Ranged<ValueType = f64>,
    Y: plotters::coord::ranged1d::Ranged<ValueType = f64>,
{
    mesh.label_style(font(14))
        .axis_desc_style(font(16))
        .bold_line_style(RGBColor(225, 225, 225))
        .light_line_style(RGBColor(245, 245, 245))
        .x_label_formatter(&label)
        .y_label_formatter(&label);
}

fn label(x: &f64) -> String {
    data::fmt_f(*x)
}

/// Keeps the minimum and maximum of every run of samples that falls into one
/// of `bins` equal slices of the x range, in time order: a 1 s trace at 0.1 ms
/// becomes ~2 points per pixel column with every action potential's peak kept.
pub(crate) fn decimate(x: &[f64], y: &[f64], bins: usize) -> Vec<(f64, f64)> {
    if x.len() <= 2 * bins || bins == 0 {
        return x.iter().copied().zip(y.iter().copied()).collect();
    }
    let (x0, x1) = (x[0], x[x.len() - 1]);
    let width = (x1 - x0) / bins as f64;
    let mut out = Vec::with_capacity(2 * bins + 2);
    let mut i = 0;
    while i < x.len() {
        let b = ((x[i] - x0) / width).floor();
        let mut j = i;
        let (mut lo, mut hi) = (i, i);
        while j < x.len() && ((x[j] - x0) / width).floor() == b {
            if y[j] < y[lo] {
                lo = j;
            }
            if y[j] > y[hi] {
                hi = j;
            }
            j += 1;
        }
        let (a, c) = if lo <= hi { (lo, hi) } else { (hi, lo) };
        out.push((x[a], y[a]));
        if c != a {
            out.push((x[c], y[c]));
        }
        i = j;
    }
    out
}

/// `(lo, hi)` of the finite values, widened by `pad` of the span (and to a
/// unit span if all values are equal).
pub(crate) fn bounds(values: impl IntoIterator<Item = f64>, pad: f64) -> (f64, f64) {
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for v in values.into_iter().filter(|v| v.is_finite()) {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    if !lo.is_finite() {
        return (0.0, 1.0);
    }
    if hi - lo < 1e-12 {
        return (lo - 0.5, hi + 0.5);
    }
    let d = (hi - lo) * pad;
    (lo - d, hi + d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimate_keeps_extremes_in_order() {
        let x: Vec<f64> = (0..1000).map(|i| i as f64).collect();
        let mut y = vec![0.0; 1000];
        y[500] = 40.0;
        y[501] = -80.0;
        let d = decimate(&x, &y, 10);
        assert!(d.len() <= 22);
        assert!(d.contains(&(500.0, 40.0)) && d.contains(&(501.0, -80.0)));
        assert!(d.windows(2).all(|w| w[0].0 < w[1].0));
    }

    #[test]
    fn format_from_extension() {
        assert_eq!(Format::of(Path::new("a.PNG")).ok(), Some(Format::Png));
        assert_eq!(Format::of(Path::new("a.svg")).ok(), Some(Format::Svg));
        assert!(Format::of(Path::new("a.pdf")).is_err());
    }
}
