//! The pipeline, wired once: argv → `cli` → `spec` → `ensure` (plan + engine) → what to print
//! and how to exit; or, with `--print-unit`, argv → `cli` → `spec` → `unit`. `main` only runs
//! it; nothing here prints.

use tracing::warn;

use crate::cli::RawArgs;
use crate::engine::DockerEngine;
use crate::ensure::{ensure, preview};
use crate::error::DockrunError;
use crate::exit::Exit;
use crate::output;
use crate::spec::ContainerSpec;
use crate::unit::{self, UnitError};

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
    if raw.print_unit == Some(true) {
        return print_unit(raw);
    }
    let format = raw.format.unwrap_or_default();
    let mut spec = ContainerSpec::try_from(raw)?;
    let engine = DockerEngine::from_env()?;
    if spec.use_api_socket {
        let (host, credentials) = engine.api_socket(&spec.image)?;
        spec.mount_api_socket(&host, credentials)?;
    }
    if let Some(need) = spec.needs_api {
        engine.require_api(need).await?;
    }
    if spec.dry_run {
        // The plan is what a dry run is for: it goes to stdout, for scripts to read.
        let preview = preview(&engine, &spec).await?;
        return Ok(Outcome {
            stdout: Some(preview.text()),
            exit: Exit::Success,
        });
    }
    let ensured = ensure(&engine, &spec).await?;
    if !spec.detach {
        warn!("foreground supervision is not implemented yet: behaving as `-d`");
    }
    Ok(Outcome {
        stdout: Some(output::launch_line(format, &spec, &ensured)),
        exit: Exit::Success,
    })
}

/// `--print-unit`: the systemd unit for the rest of the command line, validated as a launch
/// would be; the engine is not touched.
fn print_unit(raw: RawArgs) -> Result<Outcome, DockrunError> {
    let typed = raw.argv.clone();
    let spec = ContainerSpec::try_from(raw)?;
    let exe = std::env::current_exe().map_err(UnitError::Exe)?;
    let unit = unit::render(&spec, &typed, &exe)?;
    for warning in &unit.warnings {
        warn!(unit = %unit.file_name, "{warning}");
    }
    Ok(Outcome {
        stdout: Some(unit.text.trim_end().to_owned()),
        exit: Exit::Success,
    })
}
