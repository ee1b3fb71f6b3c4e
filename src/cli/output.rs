//! The CLI's one writer to standard output, and its notes to standard error.
//!
//! Every command prints its results through `outln!` (lines) or [`write_bytes`] (raw
//! bytes, flushed at once so they stream). A closed reader (`flash params | head -1`) gives
//! [`OutputError::Closed`], which `main` turns into a quiet exit with status 0, as Unix tools
//! do; any other failure (`> /dev/full`) is an error message and a non-zero exit. Notes and
//! progress go to standard error through `note!`, which never fails: a closed or full
//! standard error loses the note, not the run.

use std::fmt;
use std::io::{self, Write};
use thiserror::Error;

/// Standard output could not take what a command printed.
#[derive(Debug, Error)]
pub enum OutputError {
    /// The reader went away (a broken pipe): the command stops quietly.
    #[error("standard output was closed by its reader")]
    Closed,
    /// Any other write failure, e.g. a full device.
    #[error("cannot write to standard output: {0}")]
    Write(io::Error),
}

impl From<io::Error> for OutputError {
    fn from(e: io::Error) -> OutputError {
        if e.kind() == io::ErrorKind::BrokenPipe {
            OutputError::Closed
        } else {
            OutputError::Write(e)
        }
    }
}

impl From<OutputError> for io::Error {
    /// Back to an I/O error (for APIs that carry one), keeping a closed reader a broken pipe.
    fn from(e: OutputError) -> io::Error {
        match e {
            OutputError::Closed => io::ErrorKind::BrokenPipe.into(),
            OutputError::Write(e) => e,
        }
    }
}

/// Writes one formatted line to standard output and flushes it.
pub fn line(args: fmt::Arguments<'_>) -> Result<(), OutputError> {
    let mut out = io::stdout().lock();
    out.write_fmt(args)?;
    out.write_all(b"\n")?;
    Ok(out.flush()?)
}

/// Writes text that already ends its lines (a table) to standard output and flushes it.
pub fn text(text: &str) -> Result<(), OutputError> {
    write_bytes(text.as_bytes())
}

/// Writes raw bytes to standard output and flushes them (generated text streams this way).
pub fn write_bytes(bytes: &[u8]) -> Result<(), OutputError> {
    let mut out = io::stdout().lock();
    out.write_all(bytes)?;
    Ok(out.flush()?)
}

/// Writes one formatted line to standard error, ignoring failures (see the module doc).
pub fn note_line(args: fmt::Arguments<'_>) {
    let mut err = io::stderr().lock();
    let _ = err.write_fmt(args).and_then(|()| err.write_all(b"\n"));
}

/// True if `e` says standard output was closed by its reader.
pub fn is_closed_output(e: &anyhow::Error) -> bool {
    e.chain()
        .any(|c| matches!(c.downcast_ref(), Some(OutputError::Closed)))
}

/// `outln!(...)`: [`line`] with `format!` arguments, returning its error to the caller (`?`).
macro_rules! outln {
    ($($arg:tt)*) => {
        $crate::cli::output::line(format_args!($($arg)*))?
    };
}

/// `note!(...)`: [`note_line`] with `format!` arguments.
macro_rules! note {
    ($($arg:tt)*) => {
        $crate::cli::output::note_line(format_args!($($arg)*))
    };
}

pub(crate) use {note, outln};
