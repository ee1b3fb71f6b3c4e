//! The IR text form: a deterministic printer and a parser that reads the same text back.
