//! `dockrun`: parse, log, run the pipeline on a current-thread runtime, print, exit.

use std::process::ExitCode;

use clap::error::ErrorKind;
use dockrun::error::{report, DockrunError};
use dockrun::exit::Exit;
use dockrun::{app, cli, logging};

#[allow(clippy::print_stdout, clippy::print_stderr)]
fn main() -> ExitCode {
    let raw = match cli::RawArgs::parse_from_argv(std::env::args_os()) {
        Ok(raw) => raw,
        Err(err)
            if matches!(
                err.kind(),
                ErrorKind::DisplayHelp | ErrorKind::DisplayVersion
            ) =>
        {
            print!("{err}");
            return ExitCode::SUCCESS;
        }
        Err(err) => {
            let text = err.to_string();
            let first = text
                .lines()
                .next()
                .unwrap_or_default()
                .trim_start_matches("error: ");
            eprintln!("{}", report(&DockrunError::Usage(first.to_owned())));
            return Exit::Failure.into();
        }
    };
    logging::init();
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("dockrun: error: cannot start the async runtime: {err}");
            return Exit::Failure.into();
        }
    };
    match runtime.block_on(app::launch(raw)) {
        Ok(outcome) => {
            if let Some(line) = outcome.stdout {
                println!("{line}");
            }
            outcome.exit.into()
        }
        Err(err) => {
            eprintln!("{}", report(&err));
            err.exit().into()
        }
    }
}
