//! MLIR source locations: node call sites become `#locN` aliases printed after the module.
//!
//! A node at `src/nn/gau.rs:42:13` gets `loc(#loc1)` with `#loc1 = loc("src/nn/gau.rs":42:13)`.
//! A node with a scope gets a name location wrapping its file location,
//! `#loc2 = loc("layers.0.attn"(#loc1))`, so XLA's profiles and errors show the scope.
//! Aliases are deduplicated and numbered from 1 in order of first use; a file location is
//! always numbered before the name location that refers to it. A node with neither a known
//! call site nor a scope prints `loc(unknown)`.

use std::collections::HashMap;

use flash_ir::Location;

use super::syntax::quote;

/// The location aliases of one module, in first-use order.
#[derive(Debug, Default)]
pub struct LocTable {
    /// Alias bodies (`loc(...)`); `#loc{i + 1}` is `defs[i]`.
    defs: Vec<String>,
    /// Alias number of each body already defined.
    numbers: HashMap<String, usize>,
}

impl LocTable {
    /// An empty table.
    pub fn new() -> Self {
        LocTable::default()
    }

    /// The location reference for a node at `loc` in `scope`: `loc(#locN)` or `loc(unknown)`.
    pub fn reference(&mut self, loc: &Location, scope: &str) -> String {
        let file = if loc.is_unknown() {
            None
        } else {
            Some(self.alias(format!(
                "loc({}:{}:{})",
                quote(&loc.file),
                loc.line,
                loc.col
            )))
        };
        let number = match (scope.is_empty(), file) {
            (true, None) => return "loc(unknown)".into(),
            (true, Some(n)) => n,
            (false, None) => self.alias(format!("loc({})", quote(scope))),
            (false, Some(n)) => self.alias(format!("loc({}(#loc{n}))", quote(scope))),
        };
        format!("loc(#loc{number})")
    }

    /// The number of the alias with body `body`, defining it on first use.
    fn alias(&mut self, body: String) -> usize {
        if let Some(&n) = self.numbers.get(&body) {
            return n;
        }
        self.defs.push(body.clone());
        let n = self.defs.len();
        self.numbers.insert(body, n);
        n
    }

    /// The alias definitions, one `#locN = loc(...)` line each, in number order.
    pub fn definitions(&self) -> String {
        let mut out = String::new();
        for (i, body) in self.defs.iter().enumerate() {
            out.push_str(&format!("#loc{} = {body}\n", i + 1));
        }
        out
    }
}
