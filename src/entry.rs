//! The wasm entry points the shim calls. Errors come back as one already-scrubbed line.

use crate::host::wasm::JsHost;
use crate::runtime::Runtime;
use std::sync::{Mutex, Once};
use wasm_bindgen::prelude::*;

/// A panic aborts the wasm instance with a bare "unreachable" trap; the hook keeps the
/// message so the shim can print one meaningful line instead (credentials scrubbed).
static LAST_PANIC: Mutex<Option<String>> = Mutex::new(None);
static PANIC_HOOK: Once = Once::new();

fn install_panic_hook() {
    PANIC_HOOK.call_once(|| {
        std::panic::set_hook(Box::new(|info| {
            let text = crate::url::scrub_credentials(&info.to_string());
            if let Ok(mut last) = LAST_PANIC.lock() {
                *last = Some(text);
            }
        }));
    });
}

/// The message of the panic that aborted the last call, if any.
#[wasm_bindgen]
pub fn last_panic() -> Option<String> {
    LAST_PANIC.lock().ok().and_then(|last| last.clone())
}

/// The action's main step.
#[wasm_bindgen]
pub async fn run(host: JsHost) -> Result<(), JsValue> {
    install_panic_hook();
    let rt = Runtime::new(host);
    crate::modes::run(&rt)
        .await
        .map_err(|e| JsValue::from_str(&rt.scrub(&e.to_string())))
}

/// The action's `post:` step (runs even when the job was cancelled).
#[wasm_bindgen]
pub async fn post(host: JsHost) -> Result<(), JsValue> {
    install_panic_hook();
    let rt = Runtime::new(host);
    crate::modes::post(&rt)
        .await
        .map_err(|e| JsValue::from_str(&rt.scrub(&e.to_string())))
}

/// The SQL analysis engine for a list of files in one call (see `sql::api::analyze_json`):
/// a JSON request in, `{analysis, markdown, annotations, has_errors}` out.
#[wasm_bindgen]
pub fn analyze(request_json: &str) -> String {
    install_panic_hook();
    crate::sql::analyze_json(request_json)
}
