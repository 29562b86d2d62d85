//! The boundary between the core and the machine it runs on.
//!
//! Everything that touches the outside world except HTTP (processes, files, the runner's
//! workflow commands, the clock) goes through [`Host`]. The wasm build implements it over
//! JS callbacks supplied by the shim (`js/host.js`); native tests implement it in Rust
//! (`host::testing`). HTTP goes through `reqwest`, which uses `fetch` on wasm.

#[cfg(any(test, not(target_arch = "wasm32")))]
pub mod testing;
#[cfg(target_arch = "wasm32")]
pub mod wasm;

use serde::{Deserialize, Serialize};

/// A process to start. Always an argument array: untrusted text (branch names, file names)
/// can never be interpreted by a shell because no shell is involved.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct Command {
    pub program: String,
    pub args: Vec<String>,
    /// Extra environment on top of the runner's own. Secrets (PGPASSWORD) travel here,
    /// never in `args`, where `ps` would show them.
    pub env: Vec<(String, String)>,
    /// Variables of the runner's environment NOT passed on. The runner hands the action
    /// its inputs as `INPUT_<NAME>`, secrets included, and no program we start (the
    /// user's `migrate-command`, psql, pg_dump, git) has any business seeing them, so
    /// every command starts with the secret inputs listed here: secure by default.
    pub env_remove: Vec<String>,
    pub cwd: Option<String>,
    /// Bytes fed to the process's stdin (then closed).
    pub stdin: Option<String>,
    /// Echo output to the job log while it runs (long migrations, migrate-command).
    pub stream: bool,
    /// [`Host::spawn`] only: write `stdin` but keep the pipe open, so the process keeps
    /// reading until it is killed or the action exits (a session held open on purpose).
    pub hold_stdin: bool,
}

impl Default for Command {
    fn default() -> Self {
        Command {
            program: String::new(),
            args: Vec::new(),
            env: Vec::new(),
            env_remove: crate::SECRET_INPUTS
                .iter()
                .map(|name| input_env_name(name))
                .collect(),
            cwd: None,
            stdin: None,
            stream: false,
            hold_stdin: false,
        }
    }
}

impl Command {
    pub fn new(program: impl Into<String>) -> Self {
        Command {
            program: program.into(),
            ..Default::default()
        }
    }
    pub fn arg(mut self, arg: impl Into<String>) -> Self {
        self.args.push(arg.into());
        self
    }
    pub fn args<I, S>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.args.extend(args.into_iter().map(Into::into));
        self
    }
    pub fn env(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.env.push((key.into(), value.into()));
        self
    }
    /// Do not pass `key` on from the runner's environment.
    pub fn env_remove(mut self, key: impl Into<String>) -> Self {
        self.env_remove.push(key.into());
        self
    }
    pub fn stdin(mut self, input: impl Into<String>) -> Self {
        self.stdin = Some(input.into());
        self
    }
    pub fn streamed(mut self) -> Self {
        self.stream = true;
        self
    }
    pub fn hold_stdin(mut self) -> Self {
        self.hold_stdin = true;
        self
    }
}

/// The variable the runner passes input `name` in: `INPUT_` + the name upper-cased, spaces
/// as `_`, hyphens kept (`neon-api-key` → `INPUT_NEON-API-KEY`).
pub fn input_env_name(name: &str) -> String {
    format!("INPUT_{}", name.replace(' ', "_").to_uppercase())
}

/// Where a background pipeline ([`Host::spawn`]) is: the output so far and, once every
/// process has ended, their exit codes.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct ProcessStatus {
    /// Every process of the pipeline has exited.
    pub done: bool,
    /// One per process, in pipeline order; `None` while running or when killed by a signal.
    pub codes: Vec<Option<i32>>,
    /// The last process's stdout so far (the earlier ones feed the next process).
    pub stdout: String,
    /// Each process's stderr so far.
    pub stderr: Vec<String>,
}

impl ProcessStatus {
    pub fn success(&self) -> bool {
        self.done && self.codes.iter().all(|c| *c == Some(0))
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct ProcessOutput {
    /// Exit code; `None` when the process was killed by a signal.
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl ProcessOutput {
    pub fn success(&self) -> bool {
        self.code == Some(0)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Debug,
    Info,
    Notice,
    Warning,
    Error,
}

/// A GitHub annotation (`::error file=…,line=…::message`).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Annotation {
    pub message: String,
    pub title: Option<String>,
    pub file: Option<String>,
    pub line: Option<u32>,
    pub col: Option<u32>,
    pub end_line: Option<u32>,
    pub end_col: Option<u32>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EntryKind {
    File,
    Dir,
    Symlink,
}

/// One entry of a recursive directory walk; `path` is relative to the walked root, with `/`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DirEntry {
    pub path: String,
    pub kind: EntryKind,
    pub size: u64,
    /// For symlinks: where the link resolves to (absolute), or None when it dangles or loops.
    pub target: Option<String>,
}

#[derive(Debug, Clone, thiserror::Error, PartialEq)]
pub enum HostError {
    #[error("{path}: {message}")]
    File { path: String, message: String },
    #[error("could not start `{program}`: {message}")]
    Spawn { program: String, message: String },
    #[error("{0}")]
    Other(String),
}

/// The machine, as the core sees it. Synchronous where the runner's toolkit is synchronous;
/// `sleep` and `run` are async because they wait on the JS event loop.
#[allow(async_fn_in_trait)]
pub trait Host {
    /// An action input as the runner passes it (`INPUT_<NAME>`), trimmed; "" when unset.
    fn input(&self, name: &str) -> String;
    fn env(&self, name: &str) -> Option<String>;
    fn set_output(&self, name: &str, value: &str);
    /// Register a secret with the runner (`::add-mask::`) so it is never shown in the log.
    fn mask(&self, secret: &str);
    fn log(&self, level: Level, message: &str);
    fn annotate(&self, level: Level, annotation: &Annotation);
    fn start_group(&self, name: &str);
    fn end_group(&self);
    fn append_summary(&self, markdown: &str);
    fn save_state(&self, name: &str, value: &str);
    fn state(&self, name: &str) -> String;
    fn read_file(&self, path: &str) -> Result<Vec<u8>, HostError>;
    fn write_file(&self, path: &str, contents: &[u8]) -> Result<(), HostError>;
    fn remove_file(&self, path: &str);
    /// Recursive walk below `root` (not following symlinks: they are reported as such).
    fn walk(&self, root: &str) -> Result<Vec<DirEntry>, HostError>;
    /// Milliseconds since the Unix epoch.
    fn now_ms(&self) -> f64;
    /// Uniform in [0, 1): retry jitter and unique names.
    fn random(&self) -> f64;
    async fn sleep(&self, ms: u64);
    async fn run(&self, command: &Command) -> Result<ProcessOutput, HostError>;
    /// Start processes in the background, each one's stdout joined to the next one's stdin
    /// by an OS pipe (`a | b` without a shell; one command is a pipeline of one). Returns a
    /// handle for `wait` and `kill`. The processes are killed if the action is terminated.
    fn spawn(&self, pipeline: &[Command]) -> Result<u32, HostError>;
    /// Wait until the pipeline has ended or `timeout_ms` has passed, whichever is first.
    async fn wait(&self, handle: u32, timeout_ms: u64) -> ProcessStatus;
    /// Terminate (SIGTERM) every process of the pipeline that is still running.
    fn kill(&self, handle: u32);
}
