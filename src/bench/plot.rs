//! Step latency against context length as a PNG (the paper's Figures 5(a)/6(a)): one line
//! with markers per model, the length on a log2 axis, the median step time (seconds, or
//! milliseconds when every median is below one) from zero. Drawn with plotters' bitmap
//! backend and the training plot's font-free text backend
//! ([`crate::train::plot::text::TextBackend`]).

use super::decode::DecodeRecord;
use super::error::BenchError;
use super::record::{parse_records, table, Record};
use crate::atomic_write::WriteError;
use crate::train::plot::text::TextBackend;
use crate::train::plot::{describe, write_png};
use plotters::prelude::*;
use std::path::Path;

/// The line colours, cycled per model.
const COLOURS: [RGBColor; 5] = [
    RGBColor(31, 119, 180),
    RGBColor(230, 100, 20),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
];

/// One line: a model's `(log2 T, median time in the plot's unit)` points in record order.
struct Series {
    name: String,
    points: Vec<(f64, f64)>,
}

/// One measured point of a latency curve.
pub struct Point<'a> {
    /// The model (one line per model).
    pub model: &'a str,
    /// The context length.
    pub seq_len: usize,
    /// The median time, in seconds.
    pub median_s: f64,
}

/// Draws the median step time of each model of `records` against sequence length into a
/// PNG at `path`.
pub fn plot_latency(records: &[Record], path: &Path) -> Result<(), BenchError> {
    let Some(first) = records.first() else {
        return Err(BenchError::Plot("no records to plot".into()));
    };
    let title = format!(
        "{} step latency, {} tokens/batch, d={} ({})",
        first.workload,
        first.batch.saturating_mul(first.seq_len),
        first.width,
        first.platform
    );
    plot_curves(records, &title, "median step time", path)
}

/// `bench --from-json FILE [--plot OUT]`: the records of `text` (read from `path`, checked
/// by [`parse_records`]) as the table, drawn into `plot` if given. Returns the table.
pub fn replot(text: &str, path: &Path, plot: Option<&Path>) -> Result<String, BenchError> {
    let records = parse_records(text, path)?;
    if let Some(out) = plot {
        plot_latency(&records, out)?;
    }
    Ok(table(&records))
}

/// A record that is one point of a latency curve.
pub trait OnCurve {
    /// The point.
    fn point(&self) -> Point<'_>;
}

impl OnCurve for Record {
    fn point(&self) -> Point<'_> {
        Point {
            model: &self.model,
            seq_len: self.seq_len,
            median_s: self.median_s,
        }
    }
}

impl OnCurve for DecodeRecord {
    fn point(&self) -> Point<'_> {
        Point {
            model: &self.model,
            seq_len: self.seq_len,
            median_s: self.median_s,
        }
    }
}

/// Draws one line per model of `records` (time against context length, log2 axis) into a
/// PNG at `path`, with `title` and the y axis named `what`.
pub fn plot_curves<R: OnCurve>(
    records: &[R],
    title: &str,
    what: &str,
    path: &Path,
) -> Result<(), BenchError> {
    let points: Vec<Point<'_>> = records.iter().map(OnCurve::point).collect();
    if points.is_empty() {
        return Err(BenchError::Plot("no records to plot".into()));
    }
    write_png(path, |tmp| draw(&points, title, what, tmp)).map_err(|e| match e {
        WriteError::Fill(message) => BenchError::Plot(format!("{}: {message}", path.display())),
        WriteError::Io(source) => BenchError::Write {
            path: path.into(),
            source,
        },
    })
}

/// The time unit of the y axis: seconds when the slowest median is at least one, else
/// milliseconds. Returns (name, factor from seconds).
fn unit(points: &[Point<'_>]) -> (&'static str, f64) {
    if points.iter().any(|r| r.median_s >= 1.0) {
        ("s", 1.0)
    } else {
        ("ms", 1e3)
    }
}

/// Groups `points` by model, in first-seen order, times scaled by `factor`.
fn series(points: &[Point<'_>], factor: f64) -> Vec<Series> {
    let mut out: Vec<Series> = Vec::new();
    for r in points {
        let point = ((r.seq_len as f64).log2(), r.median_s * factor);
        match out.iter_mut().find(|s| s.name == r.model) {
            Some(s) => s.points.push(point),
            None => out.push(Series {
                name: r.model.to_string(),
                points: vec![point],
            }),
        }
    }
    out
}

/// The axes' ranges: log2 of the lengths (each at least 1, so within [0, 64]) and the times
/// from 0 (each finite and not negative); an error for points that cannot be drawn.
fn ranges(points: &[Point<'_>], factor: f64) -> Result<((f64, f64), f64), String> {
    if let Some(p) = points.iter().find(|p| {
        let y = p.median_s * factor * 1.08;
        p.seq_len == 0 || !(y.is_finite() && y >= 0.0)
    }) {
        return Err(format!(
            "{} at T = {} ({} s) cannot be drawn: a length is at least 1 and a time finite and \
             not negative",
            p.model, p.seq_len, p.median_s
        ));
    }
    let xs = points.iter().map(|r| (r.seq_len as f64).log2());
    let x = xs.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), x| {
        (lo.min(x), hi.max(x))
    });
    let y_hi = points
        .iter()
        .map(|r| r.median_s * factor)
        .fold(0.0, f64::max)
        .max(1e-3)
        * 1.08;
    Ok((x, y_hi))
}

fn draw(points: &[Point<'_>], title: &str, what: &str, file: &Path) -> Result<(), String> {
    let (unit, factor) = unit(points);
    let lines = series(points, factor);
    let ((x_lo, x_hi), y_hi) = ranges(points, factor)?;
    let root = TextBackend {
        inner: BitMapBackend::new(file, (900, 560)),
    }
    .into_drawing_area();
    let e = describe;
    root.fill(&WHITE).map_err(e)?;
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 20))
        .margin(16)
        .x_label_area_size(40)
        .y_label_area_size(64)
        .build_cartesian_2d((x_lo - 0.25)..(x_hi + 0.25), 0.0..y_hi)
        .map_err(e)?;
    chart
        .configure_mesh()
        .x_labels(((x_hi - x_lo) as usize).saturating_add(1).clamp(2, 66))
        .x_label_formatter(&|x| format!("{}", 2f64.powf(x.round()) as u64))
        .x_desc("context length (tokens)")
        .y_desc(format!("{what} ({unit})"))
        .y_label_formatter(&|y| format!("{y:.2}"))
        .draw()
        .map_err(e)?;
    for (i, s) in lines.iter().enumerate() {
        let colour = COLOURS[i % COLOURS.len()];
        chart
            .draw_series(LineSeries::new(s.points.clone(), colour.stroke_width(2)))
            .map_err(e)?;
        chart
            .draw_series(s.points.iter().map(|&p| Circle::new(p, 4, colour.filled())))
            .map_err(e)?
            .label(s.name.clone())
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 20, y)], colour.stroke_width(2))
            });
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .background_style(WHITE)
        .border_style(BLACK)
        .draw()
        .map_err(e)?;
    root.present().map_err(e)
}
