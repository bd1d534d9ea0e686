//! The pipeline, wired once: argv → `cli` → `spec` → `ensure` (plan + engine) → with `-d`, the
//! ID to print; in the foreground, `supervise` until the container ends → how to exit; or, with
//! `--print-unit`, argv → `cli` → `spec` → `unit`. `main` only runs it; nothing here prints.

use clap::ValueEnum;
use tracing::{info, warn};

use crate::cidfile::Cidfile;
use crate::cli::{OutputFormat, RawArgs};
use crate::engine::{DockerEngine, Engine};
use crate::ensure::gate::{self, Verdict};
use crate::ensure::shield::Shield;
use crate::ensure::{ensure_with, preview, Ensured};
use crate::env_vars;
use crate::error::DockrunError;
use crate::exit::Exit;
use crate::notify::Notifier;
use crate::output;
use crate::plan::Action;
use crate::spec::ContainerSpec;
use crate::state::Observed;
use crate::supervise;
use crate::unit::{self, Layout, UnitError};
use crate::update;

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
    let print = raw.print_unit == Some(true);
    if raw.update_images == Some(true) {
        return update_images(&raw, print).await;
    }
    if print {
        return print_unit(raw);
    }
    let given_format = raw.format;
    let format = given_format.unwrap_or_default();
    let mut spec = ContainerSpec::try_from(raw)?;
    check_format(given_format, &spec)?;
    spec.record_unit(std::env::var(env_vars::DOCKRUN_UNIT).ok());
    // Everything that can be refused without the engine is refused first.
    supervise::check_terminal(&spec)?;
    let notifier = Notifier::from_env()?;
    let mut cidfile = Cidfile::open(spec.cidfile.as_deref())?;
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
            stdout: Some(output::preview_text(&preview)),
            exit: Exit::Success,
        });
    }
    if cidfile.has_prior() {
        let observed = engine.observe(&spec.name).await?;
        let leftovers = match observed {
            Observed::Missing => engine.leftovers(&spec.name).await?,
            Observed::Present(_) => Vec::new(),
        };
        cidfile.accept(&spec.name, &observed, &leftovers)?;
    }
    if !spec.detach {
        let exit = supervise::supervise(&engine, &spec, &notifier, &cidfile).await?;
        return Ok(Outcome { stdout: None, exit });
    }
    let (ensured, ()) = ensure_with(&engine, &spec, |id, _| {
        let (engine, spec, cidfile) = (&engine, &spec, &cidfile);
        async move { supervise::before_run(engine, spec, cidfile, &id).await }
    })
    .await?;
    if spec.wait {
        wait(&engine, &spec, &ensured).await?;
    }
    supervise::announce_ready(&engine, &spec, &ensured, &notifier).await?;
    Ok(Outcome {
        stdout: Some(output::launch_line(format, &spec, &ensured)),
        exit: Exit::Success,
    })
}

/// `--format` chooses the line a detached launch prints; where no such line is printed it
/// cannot be honoured, so it is refused by name rather than ignored: in the foreground stdout is
/// the container's, and `--dry-run` prints its plan as text.
fn check_format(given: Option<OutputFormat>, spec: &ContainerSpec) -> Result<(), DockrunError> {
    let Some(format) = given else {
        return Ok(());
    };
    let name = format
        .to_possible_value()
        .map_or_else(String::new, |v| v.get_name().to_owned());
    if spec.dry_run {
        return Err(DockrunError::Usage(format!(
            "`--format {name}` cannot be honoured with `--dry-run`, which prints the plan as text; drop `--format`"
        )));
    }
    if !spec.detach {
        return Err(DockrunError::Usage(format!(
            "`--format {name}` needs `-d`: in the foreground stdout carries the container's output, and no launch line is printed"
        )));
    }
    Ok(())
}

/// `-d --wait`: return once the container is up (the gate a replacement commits on); if it is
/// not, its last log lines go to stderr and the launch fails. A signal ends the wait (128+N)
/// and leaves the container as it is.
async fn wait(
    engine: &DockerEngine,
    spec: &ContainerSpec,
    ensured: &Ensured,
) -> Result<(), DockrunError> {
    let name = spec.name.as_str();
    let mut shield = Shield::raise();
    let since = if ensured.action == Action::AlreadyRunning {
        gate::Since::Found
    } else {
        gate::Since::Started
    };
    info!(container = %name, "waiting for it to come up (`--wait`)");
    let verdict = gate::watch(
        engine,
        name,
        &ensured.id,
        spec.wait_timeout,
        since,
        Some(&mut shield),
    )
    .await?;
    match verdict {
        Verdict::Passed => Ok(()),
        Verdict::Failed(failure) => {
            gate::log_tail(engine, name, &ensured.id, name).await;
            Err(DockrunError::Gate {
                name: name.to_owned(),
                failure,
            })
        }
        Verdict::Interrupted(signal) => Err(DockrunError::Interrupted {
            name: name.to_owned(),
            signal,
            outcome: "while waiting for it to come up; it is left as it is".to_owned(),
        }),
    }
}

/// `--print-unit`: the systemd unit for the rest of the command line, validated as a launch
/// would be, its relative paths made absolute against the working directory; the engine is not
/// touched.
fn print_unit(raw: RawArgs) -> Result<Outcome, DockrunError> {
    let command = match raw.argv.split_first() {
        Some((first, rest)) if unit::is_flag(first) => rest,
        _ => return Err(UnitError::NotFirst.into()),
    };
    let cwd = std::env::current_dir().map_err(UnitError::Cwd)?;
    let exe = std::env::current_exe().map_err(UnitError::Exe)?;
    let unit = unit::for_command_line(command, &cwd, &exe, &Layout::print_unit())?;
    for warning in &unit.warnings {
        warn!(unit = %unit.file_name, "{warning}");
    }
    Ok(Outcome {
        stdout: Some(unit.text.trim_end().to_owned()),
        exit: Exit::Success,
    })
}

/// `--update-images`: update the opted-in containers' images and report on each (stdout);
/// with `--print-unit` first, the service and timer that run it on a schedule instead.
async fn update_images(raw: &RawArgs, print_unit: bool) -> Result<Outcome, DockrunError> {
    let args = update::args::parse(raw, print_unit)
        .map_err(|err| DockrunError::UpdateArgs(Box::new(err)))?;
    if print_unit {
        let exe = std::env::current_exe().map_err(UnitError::Exe)?;
        return Ok(Outcome {
            stdout: Some(
                update::timer::render(&args.names, &exe)
                    .trim_end()
                    .to_owned(),
            ),
            exit: Exit::Success,
        });
    }
    let engine = DockerEngine::from_env()?;
    let finished = update::run(&engine, &args).await?;
    let entries = &finished.entries;
    let failed = entries.iter().any(|e| e.status.is_failure());
    let exit = match finished.signal {
        Some(signal) => {
            warn!(
                signal,
                "the update run was stopped by a signal; the other containers were not tried"
            );
            Exit::Signal(signal)
        }
        None if failed => Exit::Failure,
        None => Exit::Success,
    };
    Ok(Outcome {
        stdout: (!entries.is_empty()).then(|| update::report::render(entries, args.json)),
        exit,
    })
}
