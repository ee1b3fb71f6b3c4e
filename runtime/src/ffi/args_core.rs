//! Argument structs for errors, plugin set-up and events.

use super::{Error, Event, ExtensionBase, NamedValue};
use std::ffi::c_char;

pjrt_struct!(
    /// `PJRT_Error_Destroy_Args`.
    ErrorDestroyArgs {
        error: *mut Error,
    }
);

pjrt_struct!(
    /// `PJRT_Error_Message_Args`.
    ErrorMessageArgs {
        error: *const Error,
        message: *const c_char,
        message_size: usize,
    }
);

pjrt_struct!(
    /// `PJRT_Error_GetCode_Args`.
    ErrorGetCodeArgs {
        error: *const Error,
        code: i32,
    }
);

pjrt_struct!(
    /// `PJRT_Plugin_Initialize_Args`.
    PluginInitializeArgs {}
);

pjrt_struct!(
    /// `PJRT_Plugin_Attributes_Args`.
    PluginAttributesArgs {
        attributes: *const NamedValue,
        num_attributes: usize,
    }
);

pjrt_struct!(
    /// `PJRT_Event_Destroy_Args`.
    EventDestroyArgs {
        event: *mut Event,
    }
);

pjrt_struct!(
    /// `PJRT_Event_Error_Args`.
    EventErrorArgs {
        event: *mut Event,
    }
);

pjrt_struct!(
    /// `PJRT_Event_Await_Args`.
    EventAwaitArgs {
        event: *mut Event,
    }
);
