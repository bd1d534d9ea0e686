//! The pipeline, wired once: argv → `cli` → `spec` → `ensure` (plan + engine) → what to print
//! and how to exit. `main` only runs it; nothing here prints.

use tracing::warn;

use crate::cli::RawArgs;
use crate::engine::DockerEngine;
use crate::ensure::ensure;
use crate::error::DockrunError;
use crate::exit::Exit;
use crate::spec::ContainerSpec;

/// The result of a launch: the line for stdout, if any, and the exit status.
#[derive(Debug)]
pub struct Outcome {
    /// What scripts read on stdout (the container ID with `-d`).
    pub stdout: Option<String>,
    /// How dockrun exits.
    pub exit: Exit,
}

/// Launch the container the command line describes.
///
/// # Errors
/// Any failure of the pipeline, each carrying the flag, name or image at fault.
pub async fn launch(raw: RawArgs) -> Result<Outcome, DockrunError> {
    let spec = ContainerSpec::try_from(raw)?;
    let engine = DockerEngine::from_env()?;
    let ensured = ensure(&engine, &spec).await?;
    if !spec.detach {
        warn!("foreground supervision is not implemented yet: behaving as `-d`");
    }
    Ok(Outcome {
        stdout: Some(ensured.id),
        exit: Exit::Success,
    })
}
