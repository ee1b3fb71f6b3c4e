//! The crate's error type. Errors are data first: paths, versions and XLA's own messages,
//! rendered by `Display` into one clear sentence.

use std::path::PathBuf;

/// Shorthand for `Result<T, RuntimeError>`.
pub type Result<T, E = RuntimeError> = std::result::Result<T, E>;

/// Everything that can go wrong while finding, loading or driving a PJRT plugin.
#[derive(Debug, thiserror::Error)]
pub enum RuntimeError {
    /// A PJRT call returned an error; `message` is XLA's text, verbatim.
    #[error("XLA error in {call}: {message}")]
    Xla {
        /// The PJRT C API function that failed, e.g. `PJRT_Client_Compile`.
        call: &'static str,
        /// XLA's message, unchanged (MLIR diagnostics included).
        message: String,
    },
    /// The plugin's API table does not reach this function (an older plugin).
    #[error("the PJRT plugin does not provide {call}")]
    Unsupported {
        /// The missing PJRT C API function.
        call: &'static str,
    },
    /// No file exists at the plugin path.
    #[error("PJRT plugin not found: {path} does not exist")]
    PluginNotFound {
        /// The path that was tried.
        path: PathBuf,
    },
    /// The plugin file is not what its wheel installed (truncated, or its bytes differ from
    /// the RECORD's hash): loading it could end in SIGBUS.
    #[error("the PJRT plugin {path} is damaged: {reason}; repair it with `flash setup cpu --force` (or reinstall its pip package)")]
    PluginDamaged {
        /// The plugin path.
        path: PathBuf,
        /// What does not match.
        reason: String,
    },
    /// The file exists but the dynamic loader refused it.
    #[error("{path} is not a loadable shared library: {reason}")]
    NotASharedLibrary {
        /// The plugin path.
        path: PathBuf,
        /// The dynamic loader's message.
        reason: String,
    },
    /// The library loaded but exports no `GetPjrtApi`.
    #[error("{path} is not a PJRT plugin: it exports no GetPjrtApi symbol ({reason})")]
    MissingGetPjrtApi {
        /// The plugin path.
        path: PathBuf,
        /// The dynamic loader's message.
        reason: String,
    },
    /// `GetPjrtApi` returned a null pointer.
    #[error("{path}: GetPjrtApi returned no API table")]
    NullApi {
        /// The plugin path.
        path: PathBuf,
    },
    /// The plugin speaks another major version of the PJRT C API.
    #[error(
        "{path} implements PJRT C API {plugin_major}.{plugin_minor}, but flash was built \
         for major version {ours_major} (header {ours_major}.{ours_minor}); use a plugin \
         with API major version {ours_major}"
    )]
    ApiVersionMismatch {
        /// The plugin path.
        path: PathBuf,
        /// The plugin's major version.
        plugin_major: i32,
        /// The plugin's minor version.
        plugin_minor: i32,
        /// The major version these bindings target.
        ours_major: i32,
        /// The minor version of the header these bindings follow.
        ours_minor: i32,
    },
    /// The client reports no addressable device.
    #[error("the PJRT client has no addressable device")]
    NoDevice,
    /// A CPU client did not make the number of devices its options asked for.
    #[error(
        "the CPU client was asked for {requested} devices (create option cpu_device_count) \
         but has {created}; ask for at least 1 device"
    )]
    CpuDeviceCount {
        /// The requested count.
        requested: usize,
        /// The devices the plugin made.
        created: usize,
    },
    /// A device of another client was passed in.
    #[error("device {id} belongs to another PJRT client")]
    ForeignDevice {
        /// The device's id.
        id: i32,
    },
    /// A buffer of another client was passed to an executable.
    #[error("argument {index} of device list {position} is a buffer of another PJRT client")]
    ForeignBuffer {
        /// Position of the device list (0 for a one-device call).
        position: usize,
        /// Position of the argument in its list.
        index: usize,
    },
    /// A program was given another number of argument lists than it has devices.
    #[error(
        "the program runs on {devices} devices, so it needs {devices} argument lists (one \
         per device, in the order of LoadedExecutable::devices), got {lists}"
    )]
    DeviceListCount {
        /// Devices of the program.
        devices: usize,
        /// Argument lists given.
        lists: usize,
    },
    /// The argument lists of the devices differ in length.
    #[error(
        "argument list {position} has {len} buffers but list 0 has {first}; every device \
         takes the same arguments"
    )]
    ArgumentListLength {
        /// Position of the offending list.
        position: usize,
        /// Its length.
        len: usize,
        /// The length of list 0.
        first: usize,
    },
    /// A buffer is not on the device whose argument list holds it.
    #[error(
        "argument {index} of device list {position} is on device {}, but list {position} \
         is for device {expected}; upload it to that device",
        fmt_device(actual)
    )]
    WrongDevice {
        /// Position of the device list.
        position: usize,
        /// Position of the argument in its list.
        index: usize,
        /// The id of the list's device.
        expected: i32,
        /// The id of the buffer's device, when it could be read.
        actual: Option<i32>,
    },
    /// A host array's byte length does not match its element type and dimensions.
    #[error("host data has {actual} bytes, but {dims:?} elements of {ty:?} need {expected}")]
    HostDataSize {
        /// The element type.
        ty: crate::ElementType,
        /// The dimensions.
        dims: Vec<i64>,
        /// Bytes needed.
        expected: usize,
        /// Bytes given.
        actual: usize,
    },
    /// Negative dimensions, or an element count that overflows.
    #[error("invalid dimensions {dims:?}")]
    InvalidDims {
        /// The dimensions.
        dims: Vec<i64>,
    },
    /// A buffer holds an element type this crate does not transfer.
    #[error("unsupported PJRT element type {raw}")]
    UnsupportedElementType {
        /// The `PJRT_Buffer_Type` value.
        raw: i32,
    },
    /// Compile options that would abort the plugin.
    #[error(
        "invalid compile options: num_replicas = {num_replicas}, num_partitions = \
         {num_partitions} (both must be at least 1)"
    )]
    InvalidCompileOptions {
        /// The requested replica count.
        num_replicas: i64,
        /// The requested partition count.
        num_partitions: i64,
    },
    /// A device assignment whose id list does not have one id per replica and partition.
    #[error(
        "a device assignment of {replicas} replicas x {partitions} partitions needs {} \
         device ids, got {ids}", replicas * partitions
    )]
    DeviceAssignmentSize {
        /// Replicas.
        replicas: usize,
        /// Partitions.
        partitions: usize,
        /// Ids given.
        ids: usize,
    },
    /// A device id that is negative or listed twice in a device assignment.
    #[error(
        "device id {id} in the device assignment {device_ids:?} is negative or repeated; \
         each (replica, partition) needs its own device"
    )]
    BadDeviceId {
        /// The offending id.
        id: i64,
        /// The whole list.
        device_ids: Vec<i64>,
    },
    /// A device assignment made for other replica or partition counts than the options.
    #[error(
        "the device assignment is {replicas} replicas x {partitions} partitions, but the \
         compile options say num_replicas = {num_replicas}, num_partitions = \
         {num_partitions}"
    )]
    DeviceAssignmentCounts {
        /// Replicas of the assignment.
        replicas: usize,
        /// Partitions of the assignment.
        partitions: usize,
        /// The options' replica count.
        num_replicas: i64,
        /// The options' partition count.
        num_partitions: i64,
    },
    /// The plugin returned the optimized program in a format this crate does not read.
    #[error(
        "the optimized program came back as {format:?}, not a serialized HloModuleProto (\"hlo\")"
    )]
    UnexpectedProgramFormat {
        /// The format the plugin named.
        format: String,
    },
    /// The optimized program's bytes are not a well-formed protobuf message.
    #[error("the optimized program (HloModuleProto) is malformed at byte {offset}")]
    MalformedHlo {
        /// Where reading failed.
        offset: usize,
    },
    /// Host data was read as another element type than it holds.
    #[error("host data holds {actual:?}, not {expected:?}")]
    ElementTypeMismatch {
        /// The type asked for.
        expected: crate::ElementType,
        /// The type held.
        actual: crate::ElementType,
    },
    /// The text of a plugin spec is empty.
    #[error("empty PJRT plugin spec: use cpu, cuda, tpu or a path to a plugin .so")]
    EmptySpec,
    /// `FLASH_PJRT_PLUGIN` is set but empty (refused as `--plugin ""` is).
    #[error(
        "FLASH_PJRT_PLUGIN is set but empty: set it to cpu, cuda, tpu or a path to a plugin \
         .so, or unset it"
    )]
    EmptyEnvSpec,
    /// An environment variable holds a value it does not take.
    #[error("{name}={value:?} is not a value {name} takes: it takes {takes}")]
    BadEnv {
        /// The variable.
        name: &'static str,
        /// Its value.
        value: String,
        /// The values it takes.
        takes: String,
    },
    /// `XLA_FLAGS` is not a list of flags (XLA would end the process on it).
    #[error("XLA_FLAGS={value:?}: {why}")]
    BadXlaFlags {
        /// The variable's value.
        value: String,
        /// The word at fault and what the variable takes.
        why: String,
    },
    /// `FLASH_XLA_LOG` is none of the values it takes.
    #[error(
        "{env}={value:?} is not a log setting: use 0 (quiet, the default), error, warning \
         or info (or 1), or unset it",
        env = crate::xla_log::XLA_LOG_ENV
    )]
    BadXlaLogEnv {
        /// The variable's value.
        value: String,
    },
    /// A platform plugin was not found in any searched place.
    #[error(
        "the {platform} PJRT plugin is missing; looked in:\n{}\n{hint}",
        list_paths(searched)
    )]
    PluginMissing {
        /// `cpu`, `cuda` or `tpu`.
        platform: &'static str,
        /// Every file path that was checked.
        searched: Vec<PathBuf>,
        /// How to get it.
        hint: String,
    },
    /// Installing a plugin with pip failed (or was forbidden).
    #[error("installing the PJRT plugin failed: {message}")]
    Install {
        /// What went wrong, with pip's output where there is some.
        message: String,
    },
    /// The plugin loaded but could not create a client (e.g. the CUDA plugin without a GPU).
    #[error("{path} could not create a PJRT client: {message}{hint}")]
    ClientCreate {
        /// The plugin path.
        path: PathBuf,
        /// XLA's message.
        message: String,
        /// What to do about it (empty when there is nothing to say).
        hint: String,
    },
    /// No per-user cache directory could be chosen.
    #[error("no cache directory: set FLASH_CACHE_DIR, XDG_CACHE_HOME or HOME")]
    NoCacheDir,
    /// A file-system operation failed.
    #[error("{context}: {source}")]
    Io {
        /// What was being done, with the path.
        context: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
}

/// A device id for messages, `?` when unknown.
fn fmt_device(id: &Option<i32>) -> String {
    id.map_or_else(|| "?".to_string(), |id| id.to_string())
}

/// Renders paths one per line, indented, for error messages.
fn list_paths(paths: &[PathBuf]) -> String {
    let lines: Vec<String> = paths.iter().map(|p| format!("  {}", p.display())).collect();
    lines.join("\n")
}

impl RuntimeError {
    /// Wraps an I/O error with what was being done.
    pub(crate) fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        RuntimeError::Io {
            context: context.into(),
            source,
        }
    }
}
