//! `DIR/loss.png`: the training and validation loss curves of a run, both in bits per byte of
//! text (metrics files written before `train_bpb` was recorded: training loss / ln 2, which is
//! bits per byte for byte-level models), drawn with plotters' bitmap backend. No system fonts are needed:
//! text comes from a built-in bitmap font ([`text::TextBackend`]). The file is written to a
//! temporary sibling and moved into place by [`crate::atomic_write`].

pub mod text;

use super::error::TrainError;
use super::metrics::Record;
use crate::atomic_write::{write_through_temp, WriteError};
use plotters::drawing::DrawingAreaErrorKind;
use plotters::prelude::*;
use plotters_backend::DrawingErrorKind;
use plotters_bitmap::BitMapBackendError;
use std::path::Path;
use text::TextBackend;

pub use super::folder::PLOT_FILE;

/// Draws the curves of `records` to `path` (nothing when there are no records).
pub fn plot_losses(records: &[Record], path: &Path) -> Result<(), TrainError> {
    if records.is_empty() {
        return Ok(());
    }
    write_png(path, |tmp| draw(records, tmp)).map_err(|e| match e {
        WriteError::Fill(message) => TrainError::Plot {
            path: path.into(),
            message,
        },
        WriteError::Io(source) => TrainError::Io {
            path: path.into(),
            source,
        },
    })
}

/// Lets `draw` render a PNG at a temporary path, then moves it to `path` the way every
/// output file is written ([`crate::atomic_write`]); shared by every plot.
pub fn write_png(
    path: &Path,
    draw: impl FnOnce(&Path) -> Result<(), String>,
) -> Result<(), WriteError<String>> {
    write_through_temp(path, ".png", draw)
}

/// What went wrong in plotters, in words (its bitmap errors print as Rust debug text).
pub fn describe(e: DrawingAreaErrorKind<BitMapBackendError>) -> String {
    let backend = |e: BitMapBackendError| match e {
        BitMapBackendError::IOError(io) => io.to_string(),
        BitMapBackendError::ImageError(image) => image.to_string(),
        BitMapBackendError::InvalidBuffer => "the pixel buffer has the wrong size".into(),
    };
    match e {
        DrawingAreaErrorKind::BackendError(DrawingErrorKind::DrawingError(e)) => backend(e),
        DrawingAreaErrorKind::BackendError(DrawingErrorKind::FontError(e)) => {
            format!("font: {e}")
        }
        other => other.to_string(),
    }
}

/// Points of one curve: `(step, bits per byte)`.
type Curve = Vec<(f64, f64)>;

/// The two curves: `(step, train bits per byte)` and `(step, validation bits per byte)`.
fn series(records: &[Record]) -> (Curve, Curve) {
    let train = records
        .iter()
        .map(|r| {
            let bpb = r.train_bpb.unwrap_or(r.train_loss / std::f64::consts::LN_2);
            (r.step as f64, bpb)
        })
        .filter(|p| p.1.is_finite());
    let val = records
        .iter()
        .filter_map(|r| r.val_bpb.map(|v| (r.step as f64, v)))
        .filter(|p| p.1.is_finite());
    (train.collect(), val.collect())
}

/// The y range covering every point with a margin.
fn y_range(points: impl Iterator<Item = f64>) -> std::ops::Range<f64> {
    let (lo, hi) = points.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), y| {
        (lo.min(y), hi.max(y))
    });
    if !lo.is_finite() {
        return 0.0..1.0;
    }
    let pad = ((hi - lo) * 0.05).max(1e-3);
    (lo - pad).max(0.0)..hi + pad
}

fn draw(records: &[Record], file: &Path) -> Result<(), String> {
    let (train, val) = series(records);
    let x_max = records.iter().map(|r| r.step).max().unwrap_or(1).max(1) as f64;
    let ys = y_range(train.iter().chain(&val).map(|p| p.1));
    let root = TextBackend {
        inner: BitMapBackend::new(file, (900, 540)),
    }
    .into_drawing_area();
    let e = describe;
    root.fill(&WHITE).map_err(e)?;
    let mut chart = ChartBuilder::on(&root)
        .caption("loss (bits per byte)", ("sans-serif", 20))
        .margin(16)
        .x_label_area_size(36)
        .y_label_area_size(56)
        .build_cartesian_2d(0.0..x_max, ys)
        .map_err(e)?;
    chart
        .configure_mesh()
        .light_line_style(RGBColor(238, 238, 238))
        .x_desc("step")
        .y_desc("bits per byte")
        .draw()
        .map_err(e)?;
    let blue = RGBColor(31, 119, 180);
    let orange = RGBColor(230, 100, 20);
    chart
        .draw_series(LineSeries::new(train, blue.stroke_width(2)))
        .map_err(e)?
        .label("train")
        .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], blue.stroke_width(2)));
    chart
        .draw_series(LineSeries::new(val.clone(), orange.stroke_width(2)))
        .map_err(e)?;
    chart
        .draw_series(val.iter().map(|&p| Circle::new(p, 3, orange.filled())))
        .map_err(e)?
        .label("validation")
        .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], orange.stroke_width(2)));
    chart
        .configure_series_labels()
        .background_style(WHITE)
        .border_style(BLACK)
        .draw()
        .map_err(e)?;
    root.present().map_err(e)
}
