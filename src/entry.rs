//! The wasm entry points the shim calls. Errors come back as one already-scrubbed line.

use crate::host::wasm::JsHost;
use crate::runtime::Runtime;
use wasm_bindgen::prelude::*;

/// The action's main step.
#[wasm_bindgen]
pub async fn run(host: JsHost) -> Result<(), JsValue> {
    let rt = Runtime::new(host);
    crate::modes::run(&rt)
        .await
        .map_err(|e| JsValue::from_str(&rt.scrub(&e.to_string())))
}

/// The action's `post:` step (runs even when the job was cancelled).
#[wasm_bindgen]
pub async fn post(host: JsHost) -> Result<(), JsValue> {
    let rt = Runtime::new(host);
    crate::modes::post(&rt)
        .await
        .map_err(|e| JsValue::from_str(&rt.scrub(&e.to_string())))
}

/// The SQL analysis engine for a list of files in one call (see `sql::api::analyze_json`):
/// a JSON request in, `{analysis, markdown, annotations, has_errors}` out.
#[wasm_bindgen]
pub fn analyze(request_json: &str) -> String {
    crate::sql::analyze_json(request_json)
}
