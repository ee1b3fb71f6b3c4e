//! The target of a loaded plugin. [`Target`] itself (the kind of machine a program is
//! compiled for, and what the pipeline does differently for each) lives in the pass crate
//! ([`crate::passes::target`]) and is re-exported here; what needs the runtime is here:
//! [`TargetOf::of`] reads it from the PJRT plugin's platform name for the commands that run
//! programs (`flash train`, `flash bench`, `flash generate`). `flash compile` names it with
//! `--target`.

use crate::runtime::Client;

pub use crate::passes::target::{Target, UnknownTarget};

/// Detecting a [`Target`] from a PJRT client (`use flash::target::TargetOf` to call
/// `Target::of(&client)`).
pub trait TargetOf {
    /// The target of the machine `client` runs on ([`Target::from_platform`] of its
    /// platform name).
    fn of(client: &Client) -> Self;
}

impl TargetOf for Target {
    fn of(client: &Client) -> Target {
        Target::from_platform(client.platform_name())
    }
}
