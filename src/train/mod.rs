//! Training: the train-step program (loss, gradients and an in-graph AdamW update with donated
//! state), byte-level data, the device-resident training loop, checkpoints, metrics, the loss
//! plot and sampling from a trained model.
//!
//! - [`step`]: [`build_train_step`]; [`layout`]: the state and signature, [`StepLayout`];
//!   [`options`]: AdamW, clipping and the defaults ([`TrainOverrides`]); [`schedule`]: the
//!   learning-rate [`Schedule`], one formula for the host and the graph; [`decay`]: which
//!   parameters are decayed.
//! - [`data`]: UTF-8 bytes, the 90/10 split, batches keyed by `(seed, step)`; [`eval`]:
//!   `flash eval`, scoring every token of a text once in the windows of [`scoring`].
//! - [`session`]: [`Trainer`], the compiled programs and the state kept on the device.
//! - [`run`]: [`run_training`], the whole run; [`checkpoint`], [`metrics`] and `plot` (with
//!   the `cli` feature): its files; [`folder`]: the run folder's lock, leftovers and the
//!   `--overwrite` replacement; [`data_id`]: the data a checkpoint was trained on; [`stop`]:
//!   stopping a run early (signals).
//! - [`sample`]: [`Generator`], full-recompute byte sampling (the oracle of `crate::decode`).

pub mod checkpoint;
pub mod data;
pub mod data_id;
pub mod decay;
pub mod error;
pub mod eval;
pub mod folder;
pub mod layout;
pub mod metrics;
pub mod options;
#[cfg(feature = "cli")]
pub mod plot;
pub mod remat;
pub mod run;
pub mod sample;
pub mod schedule;
pub mod scoring;
pub mod session;
pub mod step;
pub mod stop;

pub use checkpoint::{Checkpoint, CHECKPOINT_FILE};
pub use data::ValidationSet;
pub use decay::decays;
pub use error::TrainError;
pub use layout::StepLayout;
pub use options::{AdamW, TrainOptions, TrainOverrides};
pub use remat::Remat;
pub use run::{run_training, Observer, RunSettings, RunSpec, RunSummary, StepReport};
pub use sample::Generator;
pub use schedule::{Schedule, ScheduleKind};
pub use session::Trainer;
pub use step::{build_train_step, build_train_step_for};
pub use stop::StopRequest;
