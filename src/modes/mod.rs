//! The modes. `run` reads `mode`, checks the inputs that mode requires (before any
//! network call), and hands over.

pub mod dev;
pub mod migrate;
pub mod preview;
pub mod sync;

use crate::error::{Error, Result};
use crate::host::Host;
use crate::inputs::Inputs;
use crate::runtime::Runtime;

pub const MODES: [&str; 4] = ["preview", "migrate", "sync", "dev"];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Preview,
    Migrate,
    Sync,
    Dev,
}

pub fn mode<H: Host>(host: &H) -> Result<Mode> {
    let raw = Inputs::new(host).get("mode");
    match raw.to_ascii_lowercase().as_str() {
        "preview" => Ok(Mode::Preview),
        "migrate" => Ok(Mode::Migrate),
        "sync" => Ok(Mode::Sync),
        "dev" => Ok(Mode::Dev),
        "" => Err(Error::input(
            "mode",
            format!("is required: set `mode:` to one of {}", MODES.join(", ")),
        )),
        _ => Err(Error::input(
            "mode",
            format!(
                "`{}` is not a mode of this action: use one of {}",
                raw.chars().take(60).collect::<String>(),
                MODES.join(", ")
            ),
        )),
    }
}

/// The main step.
pub async fn run<H: Host>(rt: &Runtime<H>) -> Result<()> {
    // Register every secret input before the first line is printed.
    for name in crate::SECRET_INPUTS {
        let value = rt.host.input(name);
        if name.ends_with("-url") {
            rt.secret_url(&value);
        } else {
            rt.secret(&value);
        }
        // The same secret under a Neon action's name for it (`api_key`).
        for (_, theirs) in crate::inputs::ALIASES
            .iter()
            .filter(|(ours, _)| *ours == name as &str)
        {
            rt.secret(&rt.host.input(theirs));
        }
    }
    crate::inputs::announce_aliases(rt);
    match mode(&rt.host)? {
        Mode::Preview => preview::run(rt).await,
        Mode::Migrate => migrate::run(rt).await,
        Mode::Sync => sync::run(rt).await,
        Mode::Dev => dev::run(rt).await,
    }
}

/// The `post:` step: clean-up after a cancelled or failed main step.
pub async fn post<H: Host>(rt: &Runtime<H>) -> Result<()> {
    for name in crate::SECRET_INPUTS {
        rt.secret(&rt.host.input(name));
    }
    match mode(&rt.host) {
        Ok(Mode::Sync) => sync::post(rt).await,
        _ => Ok(()),
    }
}
