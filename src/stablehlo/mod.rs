//! The StableHLO emitter (placeholder).
