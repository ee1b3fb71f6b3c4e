//! The op implementations, one module per op family. Each function takes its operands (whose
//! types the verifier has already checked) and returns the result, rounded to its dtype.

pub mod attention;
pub mod dot;
pub mod elementwise;
pub mod gather;
pub mod layout;
pub mod reduce;
pub mod source;
