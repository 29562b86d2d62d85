//! mode: migrate — apply merged SQL migrations to production (issue 5).

use crate::error::{Error, Result};
use crate::host::Host;
use crate::inputs::Inputs;
use crate::runtime::Runtime;

pub async fn run<H: Host>(rt: &Runtime<H>) -> Result<()> {
    let inputs = Inputs::new(&rt.host);
    inputs.required(
        "database-url",
        "for mode: migrate: the production connection URL, from a secret (e.g. `${{ secrets.PROD_DATABASE_URL }}`)",
    )?;
    Err(Error::Failed(
        "mode: migrate is not available in this version of neon-gitops yet".into(),
    ))
}
