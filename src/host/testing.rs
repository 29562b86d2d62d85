//! A native [`Host`] for `cargo test`: records everything the core tells the runner, keeps
//! files in memory, and runs a virtual clock so retry schedules are asserted, not waited for.

use super::{
    Annotation, Command, DirEntry, EntryKind, Host, HostError, Level, ProcessOutput, ProcessStatus,
};
use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, HashMap};

#[derive(Default)]
pub struct TestHost {
    pub inputs: HashMap<String, String>,
    pub env: HashMap<String, String>,
    pub files: RefCell<BTreeMap<String, Vec<u8>>>,
    pub outputs: RefCell<Vec<(String, String)>>,
    pub masks: RefCell<Vec<String>>,
    pub logs: RefCell<Vec<(Level, String)>>,
    pub annotations: RefCell<Vec<(Level, Annotation)>>,
    pub summary: RefCell<String>,
    pub state: RefCell<HashMap<String, String>>,
    /// Virtual time in ms; `sleep` advances it instantly.
    pub clock: Cell<f64>,
    pub sleeps: RefCell<Vec<u64>>,
    pub commands: RefCell<Vec<Command>>,
    /// Canned process results, consumed in order; when empty, `run` starts the real process.
    pub scripted: RefCell<Vec<ProcessOutput>>,
    /// Pipelines given to `spawn`, in order; they run to completion at once (real
    /// processes, or the next `scripted_spawns` entry when there is one).
    pub spawned: RefCell<Vec<Vec<Command>>>,
    pub scripted_spawns: RefCell<Vec<ProcessStatus>>,
    finished: RefCell<Vec<ProcessStatus>>,
    random: Cell<u64>,
}

impl TestHost {
    pub fn new() -> Self {
        let host = TestHost::default();
        host.clock.set(1_700_000_000_000.0);
        host.random.set(0x2545_f491_4f6c_dd1d);
        host
    }
    pub fn with_input(mut self, name: &str, value: &str) -> Self {
        self.inputs.insert(name.to_string(), value.to_string());
        self
    }
    pub fn with_env(mut self, name: &str, value: &str) -> Self {
        self.env.insert(name.to_string(), value.to_string());
        self
    }
    pub fn with_file(self, path: &str, contents: &[u8]) -> Self {
        self.files
            .borrow_mut()
            .insert(path.to_string(), contents.to_vec());
        self
    }
    /// Everything a user could read in the job log, in order.
    pub fn log_text(&self) -> String {
        let mut text = String::new();
        for (_, line) in self.logs.borrow().iter() {
            text.push_str(line);
            text.push('\n');
        }
        for (_, a) in self.annotations.borrow().iter() {
            text.push_str(&a.message);
            text.push('\n');
        }
        text
    }
    pub fn output(&self, name: &str) -> Option<String> {
        self.outputs
            .borrow()
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
    }
}

impl Host for TestHost {
    fn input(&self, name: &str) -> String {
        self.inputs
            .get(name)
            .map(|v| v.trim().to_string())
            .unwrap_or_default()
    }
    fn env(&self, name: &str) -> Option<String> {
        self.env.get(name).cloned()
    }
    fn set_output(&self, name: &str, value: &str) {
        self.outputs
            .borrow_mut()
            .push((name.to_string(), value.to_string()));
    }
    fn mask(&self, secret: &str) {
        self.masks.borrow_mut().push(secret.to_string());
    }
    fn log(&self, level: Level, message: &str) {
        self.logs.borrow_mut().push((level, message.to_string()));
    }
    fn annotate(&self, level: Level, annotation: &Annotation) {
        self.annotations
            .borrow_mut()
            .push((level, annotation.clone()));
    }
    fn start_group(&self, name: &str) {
        self.log(Level::Info, &format!("::group::{name}"));
    }
    fn end_group(&self) {
        self.log(Level::Info, "::endgroup::");
    }
    fn append_summary(&self, markdown: &str) {
        self.summary.borrow_mut().push_str(markdown);
    }
    fn save_state(&self, name: &str, value: &str) {
        self.state
            .borrow_mut()
            .insert(name.to_string(), value.to_string());
    }
    fn state(&self, name: &str) -> String {
        self.state.borrow().get(name).cloned().unwrap_or_default()
    }
    fn read_file(&self, path: &str) -> Result<Vec<u8>, HostError> {
        self.files
            .borrow()
            .get(path)
            .cloned()
            .ok_or_else(|| HostError::File {
                path: path.to_string(),
                message: "no such file".to_string(),
            })
    }
    fn write_file(&self, path: &str, contents: &[u8]) -> Result<(), HostError> {
        self.files
            .borrow_mut()
            .insert(path.to_string(), contents.to_vec());
        Ok(())
    }
    fn remove_file(&self, path: &str) {
        self.files.borrow_mut().remove(path);
    }
    fn walk(&self, root: &str) -> Result<Vec<DirEntry>, HostError> {
        let prefix = format!("{}/", root.trim_end_matches('/'));
        let entries: Vec<DirEntry> = self
            .files
            .borrow()
            .iter()
            .filter_map(|(path, bytes)| {
                path.strip_prefix(&prefix).map(|rel| DirEntry {
                    path: rel.to_string(),
                    kind: EntryKind::File,
                    size: bytes.len() as u64,
                    target: None,
                })
            })
            .collect();
        if entries.is_empty() {
            return Err(HostError::File {
                path: root.to_string(),
                message: "no such directory".to_string(),
            });
        }
        Ok(entries)
    }
    fn now_ms(&self) -> f64 {
        self.clock.get()
    }
    fn random(&self) -> f64 {
        // xorshift: deterministic, so jitter in tests is reproducible.
        let mut x = self.random.get();
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.random.set(x);
        (x >> 11) as f64 / (1u64 << 53) as f64
    }
    async fn sleep(&self, ms: u64) {
        self.sleeps.borrow_mut().push(ms);
        self.clock.set(self.clock.get() + ms as f64);
    }
    async fn run(&self, command: &Command) -> Result<ProcessOutput, HostError> {
        self.commands.borrow_mut().push(command.clone());
        if !self.scripted.borrow().is_empty() {
            return Ok(self.scripted.borrow_mut().remove(0));
        }
        run_real(command)
    }
    fn spawn(&self, pipeline: &[Command]) -> Result<u32, HostError> {
        self.spawned.borrow_mut().push(pipeline.to_vec());
        let status = if self.scripted_spawns.borrow().is_empty() {
            run_pipeline_real(pipeline)?
        } else {
            self.scripted_spawns.borrow_mut().remove(0)
        };
        self.finished.borrow_mut().push(status);
        Ok(self.finished.borrow().len() as u32)
    }
    async fn wait(&self, handle: u32, _timeout_ms: u64) -> ProcessStatus {
        self.finished.borrow()[handle as usize - 1].clone()
    }
    fn kill(&self, _handle: u32) {}
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use crate::host::Host;

    #[tokio::test]
    async fn removed_variables_do_not_reach_the_process() {
        std::env::set_var("INPUT_NEON-API-KEY", "napi_inherited");
        let host = TestHost::new();
        let cmd = Command::new("/usr/bin/env").env("DATABASE_URL", "postgresql://x");
        assert!(cmd.env_remove.contains(&"INPUT_NEON-API-KEY".to_string()));
        let out = host.run(&cmd).await.unwrap();
        assert!(
            out.stdout.contains("DATABASE_URL=postgresql://x"),
            "{}",
            out.stdout
        );
        assert!(!out.stdout.contains("napi_inherited"), "{}", out.stdout);
    }
}

#[cfg(not(target_arch = "wasm32"))]
fn run_pipeline_real(pipeline: &[Command]) -> Result<ProcessStatus, HostError> {
    use std::process::Stdio;
    let mut children = Vec::new();
    let mut previous: Option<std::process::ChildStdout> = None;
    for (i, command) in pipeline.iter().enumerate() {
        let mut cmd = std::process::Command::new(&command.program);
        cmd.args(&command.args)
            .envs(command.env.iter().map(|(k, v)| (k, v)))
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for key in &command.env_remove {
            cmd.env_remove(key);
        }
        match previous.take() {
            Some(out) => cmd.stdin(Stdio::from(out)),
            None if command.stdin.is_some() => cmd.stdin(Stdio::piped()),
            None => cmd.stdin(Stdio::null()),
        };
        let mut child = cmd.spawn().map_err(|e| HostError::Spawn {
            program: command.program.clone(),
            message: e.to_string(),
        })?;
        if let (0, Some(input)) = (i, &command.stdin) {
            use std::io::Write;
            let mut stdin = child.stdin.take().expect("stdin is piped");
            let _ = stdin.write_all(input.as_bytes());
        }
        if i + 1 < pipeline.len() {
            previous = child.stdout.take();
        }
        children.push(child);
    }
    let mut status = ProcessStatus {
        done: true,
        ..Default::default()
    };
    for child in children {
        let out = child
            .wait_with_output()
            .map_err(|e| HostError::Other(e.to_string()))?;
        status.codes.push(out.status.code());
        status
            .stderr
            .push(String::from_utf8_lossy(&out.stderr).into_owned());
        status.stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    }
    Ok(status)
}

#[cfg(target_arch = "wasm32")]
fn run_pipeline_real(pipeline: &[Command]) -> Result<ProcessStatus, HostError> {
    Err(HostError::Spawn {
        program: pipeline
            .first()
            .map(|c| c.program.clone())
            .unwrap_or_default(),
        message: "the test host cannot start processes on wasm".into(),
    })
}

#[cfg(not(target_arch = "wasm32"))]
fn run_real(command: &Command) -> Result<ProcessOutput, HostError> {
    use std::io::Write;
    use std::process::Stdio;
    let mut cmd = std::process::Command::new(&command.program);
    cmd.args(&command.args)
        .envs(command.env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for key in &command.env_remove {
        cmd.env_remove(key);
    }
    if let Some(cwd) = &command.cwd {
        cmd.current_dir(cwd);
    }
    let mut child = cmd.spawn().map_err(|e| HostError::Spawn {
        program: command.program.clone(),
        message: e.to_string(),
    })?;
    if let Some(input) = &command.stdin {
        let _ = child
            .stdin
            .take()
            .expect("stdin is piped")
            .write_all(input.as_bytes());
    }
    drop(child.stdin.take());
    let out = child.wait_with_output().map_err(|e| HostError::Spawn {
        program: command.program.clone(),
        message: e.to_string(),
    })?;
    Ok(ProcessOutput {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    })
}

#[cfg(target_arch = "wasm32")]
fn run_real(command: &Command) -> Result<ProcessOutput, HostError> {
    Err(HostError::Spawn {
        program: command.program.clone(),
        message: "the test host cannot start processes on wasm".into(),
    })
}
