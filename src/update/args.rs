//! The update run's command line: `dockrun --update-images [--dry-run] [--format json]
//! [--log-level LEVEL] [NAME...]`, read from what `cli` parsed and from the words as typed.
//!
//! Why `--update-images` and why first: docker run has no flag by that name, and its first
//! position cuts it off the rest as `--print-unit` is (a subcommand would be read as an image
//! name: `dockrun update` runs the image `update`). It is not `--update` (that reads as
//! `docker update`, which changes a running container's resources) nor `--auto-update` (the
//! per-container opt-in). Pure: nothing here talks to the engine.

use std::ffi::OsString;

use crate::cli::{OutputFormat, RawArgs};

/// The flag, as typed.
pub const FLAG: &str = "--update-images";

/// What an update run was asked to do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UpdateArgs {
    /// `--dry-run`: say what would be updated; pull nothing, change nothing.
    pub dry_run: bool,
    /// `--format json`: one JSON object per container instead of a line of text.
    pub json: bool,
    /// Only these containers (all opted-in containers when empty).
    pub names: Vec<String>,
}

/// Why the command line is not an update run dockrun can do.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ArgsError {
    /// `--update-images` is not the first argument.
    #[error("`{FLAG}` must be the first argument (or follow `--print-unit`)")]
    NotFirst,
    /// A launch's flag.
    #[error("`{0}` is a launch's flag: `{FLAG}` takes only `--dry-run`, `--format json`, `--log-level` and container names")]
    LaunchFlag(String),
    /// `--format id`: an update run prints no container ID.
    #[error("`--format id` is a launch's: `{FLAG}` prints text, or `json` with `--format json`")]
    FormatId,
    /// Not a container name.
    #[error("invalid container name `{0}`: only [a-zA-Z0-9][a-zA-Z0-9_.-]+ are allowed")]
    Name(String),
}

/// Whether an argument is the `--update-images` flag (`--update-images[=VALUE]`).
#[must_use]
pub fn is_flag(arg: &OsString) -> bool {
    let arg = arg.as_encoded_bytes();
    arg == FLAG.as_bytes()
        || arg
            .strip_prefix(FLAG.as_bytes())
            .is_some_and(|rest| rest.starts_with(b"="))
}

/// Read an update run's arguments from `raw`, whose `argv` starts with `--update-images`
/// (after `--print-unit` when `print_unit`).
///
/// # Errors
/// The flag is not first, a launch's flag is given, `--format id`, or a bad name.
pub fn parse(raw: &RawArgs, print_unit: bool) -> Result<UpdateArgs, ArgsError> {
    let skip = usize::from(print_unit);
    let rest = match raw.argv.get(skip..).and_then(<[OsString]>::split_first) {
        Some((first, rest)) if is_flag(first) => rest,
        _ => return Err(ArgsError::NotFirst),
    };
    if raw.format == Some(OutputFormat::Id) {
        return Err(ArgsError::FormatId);
    }
    let mut names = Vec::new();
    let mut words = rest.iter().map(|w| w.to_string_lossy().into_owned());
    let mut only_names = false;
    while let Some(word) = words.next() {
        if only_names || !word.starts_with('-') {
            if !valid_name(&word) {
                return Err(ArgsError::Name(word));
            }
            names.push(word);
            continue;
        }
        match word.as_str() {
            "--" => only_names = true,
            "--dry-run" => {}
            // Their values were read (and checked) by `cli`.
            "--format" | "--log-level" => {
                words.next();
            }
            w if w.starts_with("--dry-run=")
                || w.starts_with("--format=")
                || w.starts_with("--log-level=") => {}
            _ => {
                let flag = word.split('=').next().unwrap_or(&word).to_owned();
                return Err(ArgsError::LaunchFlag(flag));
            }
        }
    }
    Ok(UpdateArgs {
        dry_run: raw.dry_run == Some(true),
        json: raw.format == Some(OutputFormat::Json),
        names,
    })
}

/// Docker's container-name rule: `[a-zA-Z0-9][a-zA-Z0-9_.-]+`.
fn valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphanumeric())
        && name.len() >= 2
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(words: &[&str]) -> Result<UpdateArgs, ArgsError> {
        let mut argv = vec!["dockrun"];
        argv.extend_from_slice(words);
        let raw = RawArgs::parse_from_argv(argv).expect("parses");
        let print_unit = raw.print_unit == Some(true);
        parse(&raw, print_unit)
    }

    #[test]
    fn spellings() {
        let all = UpdateArgs {
            dry_run: false,
            json: false,
            names: vec![],
        };
        assert_eq!(args(&["--update-images"]), Ok(all.clone()));
        assert_eq!(args(&["--update-images=true"]), Ok(all.clone()));
        let want = UpdateArgs {
            dry_run: true,
            json: true,
            names: vec!["web".into(), "db.1".into()],
        };
        for words in [
            &[
                "--update-images",
                "--dry-run",
                "--format",
                "json",
                "web",
                "db.1",
            ][..],
            &[
                "--update-images",
                "--dry-run=true",
                "--format=json",
                "web",
                "db.1",
            ],
            &[
                "--update-images",
                "--format",
                "json",
                "--log-level",
                "debug",
                "--dry-run",
                "--",
                "web",
                "db.1",
            ],
        ] {
            assert_eq!(args(words), Ok(want.clone()), "{words:?}");
        }
        assert_eq!(
            args(&["--print-unit", "--update-images", "web"]).map(|a| a.names),
            Ok(vec!["web".to_owned()])
        );
    }

    #[test]
    fn refusals() {
        assert_eq!(
            args(&["--dry-run", "--update-images"]),
            Err(ArgsError::NotFirst)
        );
        assert_eq!(
            args(&["--update-images", "-e", "A=1"]),
            Err(ArgsError::LaunchFlag("-e".into()))
        );
        assert_eq!(
            args(&["--update-images", "--recreate=always"]),
            Err(ArgsError::LaunchFlag("--recreate".into()))
        );
        assert_eq!(
            args(&["--update-images", "--format", "id"]),
            Err(ArgsError::FormatId)
        );
        // After a name, cli stops parsing flags: `-e` arrives as a word and is refused.
        assert_eq!(
            args(&["--update-images", "web", "-e"]),
            Err(ArgsError::LaunchFlag("-e".into()))
        );
        assert_eq!(
            args(&["--update-images", "--", "-x"]),
            Err(ArgsError::Name("-x".into()))
        );
    }
}
