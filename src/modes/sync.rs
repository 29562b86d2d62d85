//! mode: sync — refresh the Neon Twin from production (issue 6).

use crate::error::{Error, Result};
use crate::host::Host;
use crate::inputs::Inputs;
use crate::runtime::Runtime;

pub async fn run<H: Host>(rt: &Runtime<H>) -> Result<()> {
    let inputs = Inputs::new(&rt.host);
    inputs.required(
        "source-url",
        "for mode: sync: the production connection URL to copy from, from a secret",
    )?;
    if inputs.optional("target-url").is_none() {
        inputs.required(
            "neon-api-key",
            "for mode: sync when no `target-url` is given (the twin is a Neon branch)",
        )?;
        inputs.required(
            "neon-project-id",
            "for mode: sync when no `target-url` is given (the twin is a Neon branch)",
        )?;
    }
    Err(Error::Failed(
        "mode: sync is not available in this version of neon-gitops yet".into(),
    ))
}

pub async fn post<H: Host>(_rt: &Runtime<H>) -> Result<()> {
    Ok(())
}
