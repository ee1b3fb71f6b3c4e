//! Waiting on `PJRT_Event`s: block until ready, report the event's error, free the event.

use crate::api::Api;
use crate::error::Result;
use crate::ffi;

/// Waits for `event` (null is allowed and means "already done"), then destroys it. An error
/// carried by the event is reported as coming from `call`.
pub(crate) fn await_and_destroy(
    api: Api,
    event: *mut ffi::Event,
    call: &'static str,
) -> Result<()> {
    if event.is_null() {
        return Ok(());
    }
    let mut args = ffi::EventAwaitArgs {
        event,
        ..Default::default()
    };
    let waited = match pjrt_fn!(api, PJRT_Event_Await) {
        // SAFETY: `event` is a live event owned by us.
        Ok(f) => api.check(call, unsafe { f(&mut args) }),
        Err(e) => Err(e),
    };
    let destroyed = destroy(api, event);
    waited.and(destroyed)
}

/// Frees an event without waiting on it.
fn destroy(api: Api, event: *mut ffi::Event) -> Result<()> {
    let mut args = ffi::EventDestroyArgs {
        event,
        ..Default::default()
    };
    pjrt_call!(api, PJRT_Event_Destroy, &mut args)
}
