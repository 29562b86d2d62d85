//! [`Host`] over the JS shim's callbacks (`js/host.js`). Structured values cross the boundary
//! as JSON strings: one tiny, stable calling convention instead of a binding per field.

use super::{Annotation, Command, DirEntry, Host, HostError, Level, ProcessOutput, ProcessStatus};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

#[wasm_bindgen]
extern "C" {
    /// The object `js/host.js` builds; each method is one line of @actions/core or node.
    pub type JsHost;
    #[wasm_bindgen(method)]
    fn input(this: &JsHost, name: &str) -> String;
    #[wasm_bindgen(method)]
    fn env(this: &JsHost, name: &str) -> Option<String>;
    #[wasm_bindgen(method, js_name = setOutput)]
    fn set_output(this: &JsHost, name: &str, value: &str);
    #[wasm_bindgen(method)]
    fn mask(this: &JsHost, secret: &str);
    #[wasm_bindgen(method)]
    fn log(this: &JsHost, level: &str, message: &str);
    #[wasm_bindgen(method)]
    fn annotate(this: &JsHost, level: &str, annotation_json: &str);
    #[wasm_bindgen(method, js_name = startGroup)]
    fn start_group(this: &JsHost, name: &str);
    #[wasm_bindgen(method, js_name = endGroup)]
    fn end_group(this: &JsHost);
    #[wasm_bindgen(method, js_name = appendSummary)]
    fn append_summary(this: &JsHost, markdown: &str);
    #[wasm_bindgen(method, js_name = saveState)]
    fn save_state(this: &JsHost, name: &str, value: &str);
    #[wasm_bindgen(method)]
    fn state(this: &JsHost, name: &str) -> String;
    #[wasm_bindgen(method, catch, js_name = readFile)]
    fn read_file(this: &JsHost, path: &str) -> Result<Vec<u8>, JsValue>;
    #[wasm_bindgen(method, catch, js_name = writeFile)]
    fn write_file(this: &JsHost, path: &str, contents: &[u8]) -> Result<(), JsValue>;
    #[wasm_bindgen(method, js_name = removeFile)]
    fn remove_file(this: &JsHost, path: &str);
    #[wasm_bindgen(method, catch)]
    fn walk(this: &JsHost, root: &str) -> Result<String, JsValue>;
    #[wasm_bindgen(method, js_name = nowMs)]
    fn now_ms(this: &JsHost) -> f64;
    #[wasm_bindgen(method)]
    fn random(this: &JsHost) -> f64;
    #[wasm_bindgen(method)]
    fn sleep(this: &JsHost, ms: f64) -> js_sys::Promise;
    #[wasm_bindgen(method)]
    fn run(this: &JsHost, command_json: &str) -> js_sys::Promise;
    #[wasm_bindgen(method, catch)]
    fn spawn(this: &JsHost, pipeline_json: &str) -> Result<u32, JsValue>;
    #[wasm_bindgen(method)]
    fn wait(this: &JsHost, handle: u32, timeout_ms: f64) -> js_sys::Promise;
    #[wasm_bindgen(method)]
    fn kill(this: &JsHost, handle: u32);
}

fn level_name(level: Level) -> &'static str {
    match level {
        Level::Debug => "debug",
        Level::Info => "info",
        Level::Notice => "notice",
        Level::Warning => "warning",
        Level::Error => "error",
    }
}

fn js_message(value: &JsValue) -> String {
    value
        .as_string()
        .or_else(|| {
            js_sys::Reflect::get(value, &JsValue::from_str("message"))
                .ok()
                .and_then(|m| m.as_string())
        })
        .unwrap_or_else(|| "unknown error".to_string())
}

impl Host for JsHost {
    fn input(&self, name: &str) -> String {
        JsHost::input(self, name)
    }
    fn env(&self, name: &str) -> Option<String> {
        JsHost::env(self, name)
    }
    fn set_output(&self, name: &str, value: &str) {
        JsHost::set_output(self, name, value)
    }
    fn mask(&self, secret: &str) {
        JsHost::mask(self, secret)
    }
    fn log(&self, level: Level, message: &str) {
        JsHost::log(self, level_name(level), message)
    }
    fn annotate(&self, level: Level, annotation: &Annotation) {
        let json = serde_json::to_string(annotation).unwrap_or_default();
        JsHost::annotate(self, level_name(level), &json)
    }
    fn start_group(&self, name: &str) {
        JsHost::start_group(self, name)
    }
    fn end_group(&self) {
        JsHost::end_group(self)
    }
    fn append_summary(&self, markdown: &str) {
        JsHost::append_summary(self, markdown)
    }
    fn save_state(&self, name: &str, value: &str) {
        JsHost::save_state(self, name, value)
    }
    fn state(&self, name: &str) -> String {
        JsHost::state(self, name)
    }
    fn read_file(&self, path: &str) -> Result<Vec<u8>, HostError> {
        JsHost::read_file(self, path).map_err(|e| HostError::File {
            path: path.to_string(),
            message: js_message(&e),
        })
    }
    fn write_file(&self, path: &str, contents: &[u8]) -> Result<(), HostError> {
        JsHost::write_file(self, path, contents).map_err(|e| HostError::File {
            path: path.to_string(),
            message: js_message(&e),
        })
    }
    fn remove_file(&self, path: &str) {
        JsHost::remove_file(self, path)
    }
    fn walk(&self, root: &str) -> Result<Vec<DirEntry>, HostError> {
        let json = JsHost::walk(self, root).map_err(|e| HostError::File {
            path: root.to_string(),
            message: js_message(&e),
        })?;
        serde_json::from_str(&json).map_err(|e| HostError::Other(e.to_string()))
    }
    fn now_ms(&self) -> f64 {
        JsHost::now_ms(self)
    }
    fn random(&self) -> f64 {
        JsHost::random(self)
    }
    async fn sleep(&self, ms: u64) {
        let _ = JsFuture::from(JsHost::sleep(self, ms as f64)).await;
    }
    async fn run(&self, command: &Command) -> Result<ProcessOutput, HostError> {
        let json = serde_json::to_string(command).map_err(|e| HostError::Other(e.to_string()))?;
        let result = JsFuture::from(JsHost::run(self, &json))
            .await
            .map_err(|e| HostError::Spawn {
                program: command.program.clone(),
                message: js_message(&e),
            })?;
        let text = result.as_string().unwrap_or_default();
        serde_json::from_str(&text).map_err(|e| HostError::Other(e.to_string()))
    }
    fn spawn(&self, pipeline: &[Command]) -> Result<u32, HostError> {
        let json = serde_json::to_string(pipeline).map_err(|e| HostError::Other(e.to_string()))?;
        JsHost::spawn(self, &json).map_err(|e| HostError::Spawn {
            program: pipeline
                .iter()
                .map(|c| c.program.as_str())
                .collect::<Vec<_>>()
                .join(" | "),
            message: js_message(&e),
        })
    }
    async fn wait(&self, handle: u32, timeout_ms: u64) -> ProcessStatus {
        let result = JsFuture::from(JsHost::wait(self, handle, timeout_ms as f64)).await;
        result
            .ok()
            .and_then(|v| v.as_string())
            .and_then(|text| serde_json::from_str(&text).ok())
            .unwrap_or_else(|| ProcessStatus {
                done: true,
                codes: vec![None],
                stdout: String::new(),
                stderr: vec!["the host lost track of this process".into()],
            })
    }
    fn kill(&self, handle: u32) {
        JsHost::kill(self, handle)
    }
}
