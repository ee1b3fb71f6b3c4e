//! The Rust DSL (placeholder).
