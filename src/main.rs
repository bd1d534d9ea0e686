//! `dockrun`: parse, log, run the pipeline on a current-thread runtime, print, exit.

use std::process::ExitCode;

use clap::error::ErrorKind;
use dockrun::error::{report, DockrunError};
use dockrun::exit::Exit;
use dockrun::{app, cli, generate, logging, quadlet, terminal};

#[allow(clippy::print_stdout, clippy::print_stderr)]
fn main() -> ExitCode {
    let argv: Vec<std::ffi::OsString> = std::env::args_os().collect();
    // Started through the generator's symlink: systemd's generator protocol, not docker run's.
    if quadlet::is_generator(argv.first()) {
        let report = quadlet::run(&argv);
        // A dry run's units; a closed stdout changes nothing about the generator's own status.
        let _ = emit(report.stdout.as_bytes());
        return ExitCode::from(report.exit);
    }
    install_panic_hook();
    let raw = match cli::RawArgs::parse_from_argv(argv) {
        Ok(raw) => raw,
        Err(err)
            if matches!(
                err.kind(),
                ErrorKind::DisplayHelp | ErrorKind::DisplayVersion
            ) =>
        {
            return emit(err.to_string().as_bytes());
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
    if let Some(kind) = raw.generate {
        return match generate::render(kind) {
            Ok(text) => emit(&text),
            Err(err) => {
                eprintln!("dockrun: error: cannot generate {kind:?}: {err}");
                Exit::Failure.into()
            }
        };
    }
    if let Err(message) = logging::init(raw.log_level.as_deref()) {
        eprintln!("{}", report(&DockrunError::Usage(message)));
        return Exit::Failure.into();
    }
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

/// A panic is a bug in dockrun, and in the release build (`panic = "abort"`) nothing unwinds:
/// the hook puts a raw terminal back first, then says what happened, and ends dockrun with 125
/// (dockrun's own failure, as `docker run`), not the abort's 134.
fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        terminal::restore_after_panic();
        #[allow(clippy::print_stderr)]
        {
            eprintln!(
                "dockrun: error: internal error (a bug in dockrun; please report it): {info}"
            );
        }
        // Why exit here: with `panic = "abort"` the hook is the last code that runs, and a
        // panicking thread's unwind (debug builds) must not leave the launch half done either.
        #[allow(clippy::exit)]
        std::process::exit(125);
    }));
}

/// Write help, version or generated text to stdout; a closed pipe (`dockrun --help | head`) is
/// not an error.
fn emit(bytes: &[u8]) -> ExitCode {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(bytes).and_then(|()| stdout.flush()) {
        Err(err) if err.kind() != std::io::ErrorKind::BrokenPipe => Exit::Failure.into(),
        _ => ExitCode::SUCCESS,
    }
}
