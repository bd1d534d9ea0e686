//! The systemd generator: podman's Quadlet `.container` files for Docker engines. At boot and on
//! every `systemctl daemon-reload`, systemd runs it (as `dockrun-generator`, or
//! `dockrun-user-generator` for user managers: symlinks to the dockrun binary, which looks at
//! the name it was started under) with its output directory; for each `*.container` file in
//! dockrun's directories, its drop-ins merged in (`NAME.container.d/*.conf` and the other
//! directories podman's quadlet reads, under every search directory: `dropin_files`), it writes
//! `NAME.service`, the unit `--print-unit` would write for the command line the keys make
//! (`unit::for_command_line`, the one unit writer), and the `[Install]` links `systemctl
//! enable` would make (generated units cannot be enabled).
//!
//! A file with a key that has no Docker meaning or a bad value (in it or in a drop-in) gets no
//! unit: one line naming the file (or the drop-in), line and key goes to the journal (its socket when journald runs, else `/dev/kmsg`, which
//! journald reads at boot, else stderr), every other file still gets its unit, and the generator
//! exits 1, as podman's does. `--dryrun` prints the units instead of writing them
//! (`---NAME.service---` then the text, podman's format) and logs to stderr.
//!
//! The pieces: `parser` (the unit-file syntax), `split` (words and quoting), `specifiers`
//! (`%n`, `%N`, …), `container` (the `[Container]` keys). This module reads and writes the files
//! and must not know any key.

pub mod container;
pub mod parser;
pub mod specifiers;
pub mod split;

use std::collections::{BTreeMap, BTreeSet};
use std::ffi::{OsStr, OsString};
use std::io::Write;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use crate::env_vars;
use crate::unit::{self, Layout, Peers, UnitError};
use container::{Origin, Refusal, Sibling};
use parser::Group;
use specifiers::Context;

/// The generator's name in systemd's system generator directory (a symlink to dockrun).
pub const SYSTEM_GENERATOR: &str = "dockrun-generator";
/// The generator's name in systemd's user generator directory (a symlink to dockrun).
pub const USER_GENERATOR: &str = "dockrun-user-generator";

/// The system's directories, in precedence order (a file name found in an earlier one hides
/// the same name in later ones): runtime, administrator, distribution.
pub const SYSTEM_DIRS: [&str; 3] = [
    "/run/dockrun/containers",
    "/etc/dockrun/containers",
    "/usr/share/dockrun/containers",
];

/// Whether dockrun was started as the generator (by the name it was started under).
#[must_use]
pub fn is_generator(program: Option<&OsString>) -> bool {
    program
        .and_then(|p| Path::new(p).file_name())
        .and_then(OsStr::to_str)
        .is_some_and(|name| name == SYSTEM_GENERATOR || name == USER_GENERATOR)
}

/// What a run produced: the text for stdout (the units of a dry run) and the exit status.
#[derive(Debug)]
pub struct Report {
    /// For stdout.
    pub stdout: String,
    /// 0 when every file got its unit, 1 otherwise (podman's quadlet does the same).
    pub exit: u8,
}

/// How the generator was asked to run.
#[derive(Debug, Default)]
struct Options {
    dry_run: bool,
    user: bool,
    no_kmsg: bool,
    output: Option<PathBuf>,
    dirs: Vec<PathBuf>,
}

/// Run the generator: `argv` is the whole command line, program name first.
#[must_use]
pub fn run(argv: &[OsString]) -> Report {
    let program = argv
        .first()
        .and_then(|p| Path::new(p).file_name())
        .map(|p| p.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut options = Options {
        user: program.contains("user"),
        ..Options::default()
    };
    let mut log = Log::default();
    for arg in argv.iter().skip(1) {
        match arg.to_str() {
            Some("--dryrun" | "-dryrun") => options.dry_run = true,
            Some("--user" | "-user") => options.user = true,
            Some("--no-kmsg-log" | "-no-kmsg-log") => options.no_kmsg = true,
            Some(flag) if flag.starts_with('-') => {
                log.no_kmsg = true;
                log.error(&format!(
                    "unknown option `{flag}` (usage: {program} [--dryrun] [--user] [--no-kmsg-log] OUTPUT-DIR [EARLY-DIR LATE-DIR])"
                ));
                return log.report(String::new());
            }
            // systemd passes the normal, early and late directories; units go to the normal one.
            _ if options.output.is_none() => options.output = Some(PathBuf::from(arg)),
            _ => {}
        }
    }
    log.no_kmsg = options.no_kmsg || options.dry_run;
    options.dirs = unit_dirs(options.user);
    if options.output.is_none() && !options.dry_run {
        log.error("missing the output directory argument (systemd passes it)");
        return log.report(String::new());
    }
    let stdout = generate(&options, &mut log);
    log.report(stdout)
}

/// The directories `.container` files are read from, in precedence order:
/// `DOCKRUN_QUADLET_UNIT_DIRS` (colon-separated) when set, else [`SYSTEM_DIRS`], or for a
/// user manager `$XDG_CONFIG_HOME/dockrun/containers` (`~/.config/…`), then
/// `/etc/dockrun/containers/users/UID` and `/etc/dockrun/containers/users`.
#[must_use]
pub fn unit_dirs(user: bool) -> Vec<PathBuf> {
    if let Some(dirs) = std::env::var_os(env_vars::DOCKRUN_QUADLET_UNIT_DIRS) {
        return std::env::split_paths(&dirs).collect();
    }
    if !user {
        return SYSTEM_DIRS.iter().map(PathBuf::from).collect();
    }
    use std::os::unix::fs::MetadataExt;
    let mut dirs = Vec::new();
    let config = std::env::var_os("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".config")));
    if let Some(config) = config {
        dirs.push(config.join("dockrun/containers"));
    }
    if let Ok(me) = std::fs::metadata("/proc/self") {
        dirs.push(PathBuf::from(format!(
            "/etc/dockrun/containers/users/{}",
            me.uid()
        )));
    }
    dirs.push(PathBuf::from("/etc/dockrun/containers/users"));
    dirs
}

/// One loaded `.container` file, its drop-ins merged in.
///
/// Its groups number the lines of all its files as one sequence: the main file's lines are
/// their own, each drop-in's come after the previous file's (its line `n` is `offset + n`), so
/// `parser` and `container` need not know there are several files; [`Source::locate`] maps a
/// line they name back to its file.
struct Source {
    path: PathBuf,
    file_name: String,
    groups: Vec<Group>,
    service: String,
    /// The files read, each with the offset of its lines: the main file (0), then its drop-ins
    /// in the order they were applied.
    files: Vec<(PathBuf, usize)>,
}

impl Source {
    /// The file and its own line for a line of the merged groups (0, the unit as a whole: the
    /// main file).
    fn locate(&self, line: usize) -> (&Path, usize) {
        self.files
            .iter()
            .rev()
            .find(|(_, offset)| line > *offset)
            .map_or((self.path.as_path(), 0), |(path, offset)| {
                (path.as_path(), line - offset)
            })
    }

    /// The drop-ins applied, in order.
    fn dropins(&self) -> impl Iterator<Item = &Path> {
        self.files.iter().skip(1).map(|(path, _)| path.as_path())
    }
}

/// Why a file (or one of its drop-ins) cannot be read as a unit file: where, and why.
struct Unreadable {
    path: PathBuf,
    line: usize,
    message: String,
}

/// A unit file's groups, and how many line numbers its text may use (the next file's offset).
fn read_unit(path: &Path) -> Result<(Vec<Group>, usize), Unreadable> {
    let unreadable = |line, message| Unreadable {
        path: path.to_owned(),
        line,
        message,
    };
    let text = std::fs::read_to_string(path)
        .map_err(|err| unreadable(0, format!("cannot read it: {err}")))?;
    let groups = parser::parse(&text).map_err(|err| unreadable(err.line, err.message))?;
    Ok((groups, text.split('\n').count()))
}

/// Read every `.container` file with its drop-ins: a name in an earlier directory hides the
/// same name in later ones (as podman's quadlet: only once it parsed).
fn load(dirs: &[PathBuf], log: &mut Log) -> Vec<Source> {
    let mut sources: Vec<Source> = Vec::new();
    let mut seen: BTreeSet<String> = BTreeSet::new();
    // Every file's name, read or not: their drop-in directories are no orphans.
    let mut found: BTreeSet<String> = BTreeSet::new();
    for dir in dirs {
        let mut names: Vec<String> = match std::fs::read_dir(dir) {
            Ok(entries) => entries
                .filter_map(Result::ok)
                .filter_map(|e| match e.file_name().into_string() {
                    Ok(name) => Some(name),
                    Err(name) => {
                        // No unit name can carry it: said, not passed over.
                        if name.as_encoded_bytes().ends_with(b".container") {
                            log.error(&format!(
                                "{}: the file name is not UTF-8, so no unit can be named after it; no unit",
                                e.path().display()
                            ));
                        }
                        None
                    }
                })
                .filter(|n| n.ends_with(".container") && n.len() > ".container".len())
                .collect(),
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => continue,
            Err(err) => {
                log.error(&format!("cannot read {}: {err}", dir.display()));
                continue;
            }
        };
        names.sort();
        found.extend(names.iter().cloned());
        for file_name in names {
            if seen.contains(&file_name) {
                continue;
            }
            let path = dir.join(&file_name);
            let (mut groups, lines) = match read_unit(&path) {
                Ok(read) => read,
                Err(err) => {
                    log.refused(&err.path, err.line, "", &err.message, &path);
                    continue;
                }
            };
            seen.insert(file_name.clone());
            let mut files = vec![(path.clone(), 0)];
            let mut next = lines;
            let merged = dropin_files(&file_name, dirs).and_then(|dropins| {
                for dropin in dropins {
                    let (dropin_groups, lines) = read_unit(&dropin)?;
                    merge(&mut groups, dropin_groups, next);
                    files.push((dropin, next));
                    next += lines;
                }
                Ok(())
            });
            // A drop-in that cannot be read or parsed fails its unit: without it, the unit would
            // run something else than its files say (podman's quadlet logs it and goes on).
            if let Err(err) = merged {
                log.refused(&err.path, err.line, "", &err.message, &path);
                continue;
            }
            let service = container::service_name(&groups, &file_name);
            sources.push(Source {
                path,
                file_name,
                groups,
                service,
                files,
            });
        }
    }
    warn_orphans(dirs, &found, log);
    sources
}

/// Warn of each drop-in directory no `.container` file reads (`tpyo.container.d`): podman's
/// quadlet and systemd pass over it without a word, and its drop-ins apply to nothing.
fn warn_orphans(dirs: &[PathBuf], names: &BTreeSet<String>, log: &mut Log) {
    let read: BTreeSet<String> = names.iter().flat_map(|name| dropin_dirs(name)).collect();
    for dir in dirs {
        let Ok(entries) = std::fs::read_dir(dir) else {
            // Said already, when the files were read.
            continue;
        };
        let mut orphans: Vec<String> = entries
            .filter_map(Result::ok)
            .filter_map(|e| e.file_name().into_string().ok())
            .filter(|n| n == "container.d" || n.ends_with(".container.d"))
            .filter(|n| !read.contains(n))
            .collect();
        orphans.sort();
        for orphan in orphans {
            log.warn(&format!(
                "{}: no `.container` file has these drop-ins; not read",
                dir.join(orphan).display()
            ));
        }
    }
}

/// The drop-in directories of a unit file, most specific first, as podman's quadlet names them
/// (`UnitFile.GetUnitDropinPaths`, pkg/systemd/parser/unitfile.go): `foo-bar@x.container.d`,
/// for an instance its template's `foo-bar@.container.d`, then the name truncated after each
/// dash, longest first (`foo-@.container.d` for a template, then `foo-.container.d`), and last
/// the type's own `container.d`.
fn dropin_dirs(file_name: &str) -> Vec<String> {
    let stem = file_name.strip_suffix(".container").unwrap_or(file_name);
    let (unit_name, instance) = match stem.split_once('@') {
        Some((unit, instance)) => (unit, Some(instance)),
        None => (stem, None),
    };
    // Built broad → specific, as podman builds it, then reversed.
    let mut dirs = vec!["container.d".to_owned()];
    let parts: Vec<&str> = unit_name.split('-').collect();
    for end in 1..parts.len() {
        let truncated = format!("{}-", parts[..end].join("-"));
        dirs.push(format!("{truncated}.container.d"));
        if instance.is_some() {
            dirs.push(format!("{truncated}@.container.d"));
        }
    }
    if instance.is_some_and(|i| !i.is_empty()) {
        dirs.push(format!("{unit_name}@.container.d"));
    }
    dirs.push(format!("{file_name}.d"));
    dirs.reverse();
    dirs
}

/// A unit file's drop-ins in the order they apply: every `*.conf` in its drop-in directories
/// ([`dropin_dirs`]) under every one of `dirs`; of several files of one name, the one in the
/// most specific directory (then the earliest of `dirs`) hides the others, podman's
/// `loadUnitDropins` (cmd/quadlet/main.go); merged in the byte order of their names, as its
/// `sort.Strings`.
fn dropin_files(file_name: &str, dirs: &[PathBuf]) -> Result<Vec<PathBuf>, Unreadable> {
    let mut chosen: BTreeMap<OsString, PathBuf> = BTreeMap::new();
    for sub in dropin_dirs(file_name) {
        for dir in dirs {
            let at = dir.join(&sub);
            let unreadable = |err: std::io::Error| Unreadable {
                path: at.clone(),
                line: 0,
                message: format!("cannot read this drop-in directory: {err}"),
            };
            let entries = match std::fs::read_dir(&at) {
                Ok(entries) => entries,
                Err(err) if err.kind() == std::io::ErrorKind::NotFound => continue,
                Err(err) => return Err(unreadable(err)),
            };
            for entry in entries {
                let name = entry.map_err(unreadable)?.file_name();
                // Only `*.conf` files are drop-ins; anything else in a `.d` directory (a
                // README, an editor's `10-x.conf~`, a package's `10-x.conf.dpkg-old`) is
                // ignored, as podman's quadlet and systemd ignore it.
                if !name.as_bytes().ends_with(b".conf") {
                    continue;
                }
                let path = at.join(&name);
                chosen.entry(name).or_insert(path);
            }
        }
    }
    // `OsString` orders by bytes, as Go's `sort.Strings`.
    Ok(chosen.into_values().collect())
}

/// Merge a drop-in's groups into the unit's, as podman's `UnitFile.Merge`: each group's
/// entries after the entries of the group of that name (a new group after the others), so a
/// later single-valued key wins and list keys add up (an empty `Key=` clears the list before
/// it, as in one file); the drop-in's lines are numbered from `offset` on.
fn merge(groups: &mut Vec<Group>, dropin: Vec<Group>, offset: usize) {
    for mut group in dropin {
        for entry in &mut group.entries {
            entry.line += offset;
        }
        match groups.iter_mut().find(|g| g.name == group.name) {
            Some(existing) => existing.entries.append(&mut group.entries),
            None => {
                group.line += offset;
                groups.push(group);
            }
        }
    }
}

/// Read every file, translate each, write (or, dry, print) the units.
fn generate(options: &Options, log: &mut Log) -> String {
    let sources = load(&options.dirs, log);

    let contexts: Vec<Context> = sources
        .iter()
        .map(|s| Context {
            unit: s.service.clone(),
            user: options.user,
        })
        .collect();
    let siblings: BTreeMap<String, Sibling> = sources
        .iter()
        .zip(&contexts)
        .filter_map(|(s, ctx)| {
            let name = container::container_name(&s.groups, &s.file_name, ctx).ok()?;
            Some((
                s.file_name.clone(),
                Sibling {
                    service: ctx.instance_unit(),
                    container: name,
                },
            ))
        })
        .collect();
    let peers: BTreeMap<String, String> = siblings
        .values()
        .map(|s| (s.container.clone(), s.service.clone()))
        .collect();
    let exe = match std::env::current_exe() {
        Ok(exe) => exe,
        Err(err) => {
            log.error(&format!(
                "cannot find the path of dockrun for `ExecStart=`: {err}"
            ));
            return String::new();
        }
    };
    let output = options.output.clone().unwrap_or_default();
    if !options.dry_run {
        if let Err(err) = std::fs::create_dir_all(&output) {
            log.error(&format!("cannot create {}: {err}", output.display()));
            return String::new();
        }
    }

    let mut stdout = String::new();
    for (source, ctx) in sources.iter().zip(&contexts) {
        let unit = match render(source, ctx, &siblings, &peers, &exe) {
            Ok(unit) => unit,
            Err(refusal) => {
                let (at, line) = source.locate(refusal.line);
                let mut message = ctx.for_systemd(&refusal.message);
                if Context::has_stand_in(&refusal.message)
                    && refusal.message.contains("cannot read")
                {
                    message.push_str(" (a template's instance specifiers are checked with a stand-in when the unit is generated: a file named after the instance cannot be read then; give each instance its own in `NAME@INSTANCE.container.d/`)");
                }
                log.refused(at, line, &refusal.key, &message, &source.path);
                continue;
            }
        };
        for warning in &unit.0.warnings {
            log.warn(&format!("{}: {warning}", source.path.display()));
        }
        if options.dry_run {
            stdout.push_str(&format!("---{}---\n{}\n", unit.0.file_name, unit.0.text));
            continue;
        }
        if let Err(err) = install(&output, &unit.0, &unit.1) {
            log.error(&format!(
                "cannot write {} for {}: {err}",
                output.join(&unit.0.file_name).display(),
                source.path.display()
            ));
        }
    }
    stdout
}

/// The unit for one file, and its `[Install]` lines.
fn render(
    source: &Source,
    ctx: &Context,
    siblings: &BTreeMap<String, Sibling>,
    peers: &BTreeMap<String, String>,
    exe: &Path,
) -> Result<(unit::Unit, Vec<String>), Refusal> {
    let translated = container::translate(&source.groups, &source.file_name, ctx, siblings)?;
    let mut unit_lines = vec![format!("SourcePath={}", source.path.display())];
    unit_lines.extend(translated.unit.iter().cloned());
    let mut header = Vec::new();
    if source.files.len() == 1 {
        header.push(format!(
            "From {}: edit that file, then `systemctl daemon-reload`.",
            source.path.display()
        ));
    } else {
        header.push(format!(
            "From {} and its drop-ins, in this order: edit those files, then `systemctl daemon-reload`.",
            source.path.display()
        ));
        header.extend(source.dropins().map(|p| format!("  {}", p.display())));
    }
    let layout = Layout {
        file_name: Some(source.service.clone()),
        header,
        generated_by: "dockrun's systemd generator".to_owned(),
        peers: Peers::Known(peers.clone()),
        unit: unit_lines,
        service: translated.service.clone(),
        install: translated.install.clone(),
    };
    let command: Vec<OsString> = translated.command.iter().map(OsString::from).collect();
    let dir = source.path.parent().unwrap_or(Path::new("/"));
    unit::for_command_line(&command, dir, exe, &layout)
        .map(|mut unit| {
            unit.text = ctx.for_systemd(&unit.text);
            (unit, translated.install.clone())
        })
        .map_err(|err| blame(&err, &translated.origins))
}

/// A refusal for dockrun's verdict on the command line, naming the key that made the flag it
/// names (the first quoted flag of the message, in backquotes as dockrun quotes or in single
/// quotes as clap does, that a key made); of several keys that made that flag (`PublishPort=`
/// in the file and in a drop-in), the one whose value the message quotes.
fn blame(err: &UnitError, origins: &[Origin]) -> Refusal {
    let mut message = err.to_string();
    let mut source = std::error::Error::source(err);
    while let Some(cause) = source {
        message.push_str(&format!(": {cause}"));
        source = cause.source();
    }
    let quoted: Vec<&str> = ['`', '\'']
        .iter()
        .flat_map(|quote| message.split(*quote).skip(1).step_by(2))
        .collect();
    let origin = quoted.iter().find_map(|flag| {
        let made: Vec<&Origin> = origins.iter().filter(|o| o.flag == *flag).collect();
        made.iter()
            .find(|o| {
                !o.value.is_empty()
                    && quoted
                        .iter()
                        .any(|q| *q == o.value || *q == format!("{}={}", o.flag, o.value))
            })
            .or(made.first())
            .copied()
    });
    match origin {
        Some(origin) => Refusal {
            line: origin.line,
            key: origin.key.clone(),
            message,
        },
        None => Refusal {
            line: 0,
            key: String::new(),
            message,
        },
    }
}

/// Write the unit into `output` and make its `[Install]` links (`WantedBy=` → `TARGET.wants/`,
/// `RequiredBy=` → `.requires/`, `UpheldBy=` → `.upholds/`, `Alias=`), as `systemctl enable`
/// would for a unit on disk.
fn install(output: &Path, unit: &unit::Unit, install: &[String]) -> std::io::Result<()> {
    let path = output.join(&unit.file_name);
    std::fs::write(&path, &unit.text)?;
    let mut links: Vec<PathBuf> = Vec::new();
    let mut target_name = unit.file_name.clone();
    // A template is linked only through an instance: `DefaultInstance=`.
    if let Some((prefix, suffix)) = unit.file_name.split_once("@.") {
        let default = install
            .iter()
            .rev()
            .find_map(|l| l.strip_prefix("DefaultInstance="));
        match default {
            Some(instance) => target_name = format!("{prefix}@{}.{suffix}", instance.trim()),
            None => return Ok(()),
        }
    }
    for line in install {
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        let dir = match key.trim() {
            "WantedBy" => "wants",
            "RequiredBy" => "requires",
            "UpheldBy" => "upholds",
            "Alias" => "",
            _ => continue,
        };
        for word in split::split(value, split::Mode::Strv).unwrap_or_default() {
            if word.contains('/') {
                continue;
            }
            links.push(if dir.is_empty() {
                PathBuf::from(word)
            } else {
                Path::new(&format!("{word}.{dir}")).join(&target_name)
            });
        }
    }
    for link in links {
        let at = output.join(&link);
        let target = if link.parent().is_some_and(|p| !p.as_os_str().is_empty()) {
            Path::new("..").join(&unit.file_name)
        } else {
            PathBuf::from(&unit.file_name)
        };
        if let Some(parent) = at.parent() {
            std::fs::create_dir_all(parent)?;
        }
        match std::fs::remove_file(&at) {
            Err(err) if err.kind() != std::io::ErrorKind::NotFound => return Err(err),
            _ => {}
        }
        std::os::unix::fs::symlink(target, at)?;
    }
    Ok(())
}

/// The generator's log: generators run before journald and their stderr reaches no journal
/// on many systemd versions, so each line goes to journald's socket when it listens, else to
/// `/dev/kmsg` (read into the journal at boot), else to stderr; a dry run logs to stderr.
#[derive(Debug, Default)]
struct Log {
    no_kmsg: bool,
    failed: bool,
    /// Tests: the lines, kept instead of written.
    captured: Option<Vec<String>>,
}

impl Log {
    /// `unit` gets no unit: `path` (the unit's file or one of its drop-ins) at `line` (0: the
    /// file as a whole) says why.
    fn refused(&mut self, path: &Path, line: usize, key: &str, message: &str, unit: &Path) {
        let at = if line == 0 {
            path.display().to_string()
        } else {
            format!("{}:{line}", path.display())
        };
        let key = if key.is_empty() || key.starts_with('[') {
            key.to_owned()
        } else {
            format!("`{key}=`")
        };
        let key = if key.is_empty() {
            String::new()
        } else {
            format!(" {key}:")
        };
        let unit = if unit == path {
            "it".to_owned()
        } else {
            unit.display().to_string()
        };
        self.error(&format!(
            "{at}:{key} {message}; no unit generated for {unit}"
        ));
    }

    fn error(&mut self, message: &str) {
        self.failed = true;
        self.write(3, message);
    }

    fn warn(&mut self, message: &str) {
        self.write(4, message);
    }

    fn write(&mut self, priority: u8, message: &str) {
        let message = message.replace('\n', " ");
        let line = format!("{SYSTEM_GENERATOR}[{}]: {message}", std::process::id());
        if let Some(lines) = &mut self.captured {
            lines.push(message);
            return;
        }
        if !self.no_kmsg && (to_journal(priority, &message) || to_kmsg(priority, &line)) {
            return;
        }
        // Nowhere else to say it; a failed write to stderr cannot be reported either.
        let _ = writeln!(std::io::stderr(), "{line}");
    }

    fn report(self, stdout: String) -> Report {
        Report {
            stdout,
            exit: u8::from(self.failed),
        }
    }
}

/// Send one entry to journald's native socket; `false` when it does not listen.
fn to_journal(priority: u8, message: &str) -> bool {
    let Ok(socket) = std::os::unix::net::UnixDatagram::unbound() else {
        return false;
    };
    let entry =
        format!("PRIORITY={priority}\nSYSLOG_IDENTIFIER={SYSTEM_GENERATOR}\nMESSAGE={message}\n");
    socket
        .send_to(entry.as_bytes(), "/run/systemd/journal/socket")
        .is_ok()
}

/// Write one line to the kernel log; `false` when there is none to write to.
fn to_kmsg(priority: u8, line: &str) -> bool {
    std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/kmsg")
        .and_then(|mut kmsg| kmsg.write_all(format!("<{priority}>{line}\n").as_bytes()))
        .is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A log that keeps its lines for the test.
    fn capturing() -> Log {
        Log {
            captured: Some(Vec::new()),
            ..Log::default()
        }
    }

    /// Generate from the directory `files` into `output`, no kernel log.
    fn into(files: &Path, output: &Path) -> Options {
        Options {
            output: Some(output.to_path_buf()),
            dirs: vec![files.to_path_buf()],
            no_kmsg: true,
            ..Options::default()
        }
    }

    #[test]
    fn started_as_the_generator_by_name() {
        let yes = |p: &str| is_generator(Some(&OsString::from(p)));
        assert!(yes("/usr/lib/systemd/system-generators/dockrun-generator"));
        assert!(yes("dockrun-user-generator"));
        assert!(!yes("/usr/bin/dockrun"));
        assert!(!yes("dockrun-generator-x"));
        assert!(!is_generator(None));
    }

    #[test]
    fn install_links_as_systemctl_enable() {
        let dir = tempfile::tempdir().expect("tmp");
        let unit = unit::Unit {
            file_name: "web.service".to_owned(),
            text: "[Service]\n".to_owned(),
            warnings: Vec::new(),
        };
        install(
            dir.path(),
            &unit,
            &[
                "WantedBy=multi-user.target default.target".to_owned(),
                "RequiredBy=app.service".to_owned(),
                "Alias=www.service".to_owned(),
            ],
        )
        .expect("installs");
        let link = |p: &str| std::fs::read_link(dir.path().join(p)).expect(p);
        assert_eq!(
            link("multi-user.target.wants/web.service"),
            Path::new("../web.service")
        );
        assert_eq!(
            link("default.target.wants/web.service"),
            Path::new("../web.service")
        );
        assert_eq!(
            link("app.service.requires/web.service"),
            Path::new("../web.service")
        );
        assert_eq!(link("www.service"), Path::new("web.service"));
        // Again: the links are replaced, not an error.
        install(
            dir.path(),
            &unit,
            &["WantedBy=multi-user.target".to_owned()],
        )
        .expect("again");
        let template = unit::Unit {
            file_name: "app@.service".to_owned(),
            ..unit
        };
        install(
            dir.path(),
            &template,
            &[
                "WantedBy=multi-user.target".to_owned(),
                "DefaultInstance=one".to_owned(),
            ],
        )
        .expect("template");
        assert_eq!(
            link("multi-user.target.wants/app@one.service"),
            Path::new("../app@.service")
        );
    }

    /// A directory of files, generated into another: one unit per good file with its links, the
    /// bad file named (line and key) and skipped, exit 1; the dry run prints the same units.
    #[test]
    fn generates_every_good_file_and_names_the_bad_one() {
        let dir = tempfile::tempdir().expect("tmp");
        let files = dir.path().join("containers");
        std::fs::create_dir(&files).expect("dir");
        let write = |name: &str, text: &str| std::fs::write(files.join(name), text).expect(name);
        write(
            "db.container",
            "[Container]\nImage=busybox\nExec=sleep 1000\nNotify=healthy\nHealthCmd=true\n",
        );
        write(
            "web.container",
            "[Unit]\nAfter=db.container\n[Container]\nImage=busybox\nNetwork=db.container\n\
             EnvironmentFile=web.env\nVolume=./data:/data\n[Install]\nWantedBy=multi-user.target\n",
        );
        std::fs::write(files.join("web.env"), "A=1\n").expect("env");
        write("bad.container", "[Container]\nImage=busybox\nPod=p.pod\n");
        write("not-a-container.txt", "[Container]\n");
        let output = dir.path().join("out");
        let mut options = into(&files, &output);
        let mut log = capturing();
        assert_eq!(generate(&options, &mut log), "");
        assert!(log.failed, "the bad file fails the run");
        assert_eq!(
            log.captured.as_deref(),
            Some(&[format!("{}/bad.container:3: `Pod=`: no Docker meaning: docker has no pods; no unit generated for it", files.display())][..])
        );
        let mut written: Vec<String> = std::fs::read_dir(&output)
            .expect("out")
            .map(|e| e.expect("entry").file_name().into_string().expect("utf-8"))
            .collect();
        written.sort();
        assert_eq!(
            written,
            ["db.service", "multi-user.target.wants", "web.service"]
        );
        let web = std::fs::read_to_string(output.join("web.service")).expect("web");
        let d = files.display();
        assert!(
            web.contains(&format!("SourcePath={d}/web.container\n")),
            "{web}"
        );
        assert!(web.contains("\nAfter=db.service\n"), "{web}");
        // The peer's container is found by name: its service comes first.
        assert!(web.contains("\nRequires=db.service\n"), "{web}");
        assert!(
            web.contains(&format!(
                "--name=systemd-web --network=container:systemd-db --volume={d}/data:/data --env-file={d}/web.env busybox\n"
            )),
            "{web}"
        );
        let db = std::fs::read_to_string(output.join("db.service")).expect("db");
        assert!(db.contains("--sdnotify=healthy"), "{db}");
        assert!(!db.contains("[Install]"), "{db}");
        assert_eq!(
            std::fs::read_link(output.join("multi-user.target.wants/web.service")).expect("link"),
            Path::new("../web.service")
        );

        options.dry_run = true;
        let mut log = capturing();
        let printed = generate(&options, &mut log);
        assert_eq!(
            printed,
            format!("---db.service---\n{db}\n---web.service---\n{web}\n")
        );
    }

    /// A template's peer is the same instance of the peer's template (`db@%i.service`), and a
    /// refusal names the specifier, not the stand-in it was checked with.
    #[test]
    fn templates_depend_on_their_peers_instance_and_refusals_name_the_specifier() {
        let dir = tempfile::tempdir().expect("tmp");
        let files = dir.path().join("containers");
        std::fs::create_dir(&files).expect("dir");
        let write = |name: &str, text: &str| std::fs::write(files.join(name), text).expect(name);
        write(
            "db@.container",
            "[Container]\nContainerName=db-%i\nImage=busybox\n",
        );
        write(
            "web@.container",
            "[Container]\nContainerName=web-%i\nImage=busybox\nNetwork=container:db-%i\n",
        );
        write(
            "env@.container",
            "[Container]\nImage=busybox\nEnvironmentFile=/nonexistent/%i.env\n",
        );
        let mut options = into(&files, &dir.path().join("out"));
        options.dry_run = true;
        let mut log = capturing();
        let printed = generate(&options, &mut log);
        assert!(printed.contains("\nRequires=db@%i.service\n"), "{printed}");
        assert!(
            printed.contains("--name=web-%i --network=container:db-%i busybox"),
            "{printed}"
        );
        let said = log.captured.expect("captured").join("\n");
        assert!(said.contains("`/nonexistent/%i.env`"), "{said}");
        assert!(!said.contains("x0dockrun"), "{said}");
    }

    /// A `.container` file whose name is not UTF-8 gets no unit (no unit name can carry it)
    /// and is named, not passed over; the others are generated.
    #[test]
    fn a_file_name_that_is_not_utf8_is_named() {
        use std::os::unix::ffi::OsStrExt;
        let dir = tempfile::tempdir().expect("tmp");
        let files = dir.path().join("containers");
        std::fs::create_dir(&files).expect("dir");
        let bad = files.join(std::ffi::OsStr::from_bytes(b"caf\xe9.container"));
        std::fs::write(&bad, "[Container]\nImage=busybox\n").expect("bad");
        std::fs::write(files.join("ok.container"), "[Container]\nImage=busybox\n").expect("ok");
        let options = into(&files, &dir.path().join("out"));
        let mut log = capturing();
        generate(&options, &mut log);
        assert!(log.failed);
        assert_eq!(
            log.captured.as_deref(),
            Some(
                &[format!(
                    "{}: the file name is not UTF-8, so no unit can be named after it; no unit",
                    bad.display()
                )][..]
            )
        );
        assert!(dir.path().join("out/ok.service").exists());
    }

    /// A file that parses but that dockrun refuses as a command line names the key behind the
    /// refused flag; podman's flags in `PodmanArgs=` are accepted only when docker run has them.
    #[test]
    fn a_refused_value_names_its_key() {
        let refuse = |text: &str| {
            let source = Source {
                path: PathBuf::from("/etc/dockrun/containers/web.container"),
                file_name: "web.container".to_owned(),
                groups: parser::parse(text).expect("parses"),
                service: "web.service".to_owned(),
                files: vec![(PathBuf::from("/etc/dockrun/containers/web.container"), 0)],
            };
            let ctx = Context {
                unit: "web.service".to_owned(),
                user: false,
            };
            let none = BTreeMap::new();
            render(&source, &ctx, &BTreeMap::new(), &none, Path::new("/d")).expect_err("refused")
        };
        for (text, line, key, says) in [
            (
                "[Container]\nImage=i\nPublishPort=nope\n",
                3,
                "PublishPort",
                "nope",
            ),
            (
                "[Container]\nImage=i\nPodmanArgs=--cpus=1\nPodmanArgs=--tz=local\n",
                4,
                "PodmanArgs",
                "--tz",
            ),
        ] {
            let refusal = refuse(text);
            assert_eq!(
                (refusal.line, refusal.key.as_str()),
                (line, key),
                "{refusal:?}"
            );
            assert!(refusal.message.contains(says), "{refusal:?}");
        }
    }

    /// Write `text` at `path`, making its directories.
    fn put(path: &Path, text: &str) {
        std::fs::create_dir_all(path.parent().expect("parent")).expect("dirs");
        std::fs::write(path, text).expect("write");
    }

    /// Dry-run the generator over `dirs` (in precedence order): each unit printed, by its file
    /// name, the lines logged, and whether the run failed.
    fn dry_run(dirs: &[PathBuf]) -> (BTreeMap<String, String>, Vec<String>, bool) {
        let options = Options {
            dry_run: true,
            no_kmsg: true,
            dirs: dirs.to_vec(),
            ..Options::default()
        };
        let mut log = capturing();
        let printed = generate(&options, &mut log);
        let units = printed
            .split("---")
            .skip(1)
            .collect::<Vec<_>>()
            .chunks(2)
            .map(|pair| (pair[0].to_owned(), pair[1].to_owned()))
            .collect();
        (units, log.captured.unwrap_or_default(), log.failed)
    }

    /// The `ExecStart=` command line of a unit, after the binary.
    fn exec_start(unit: &str) -> &str {
        let line = unit
            .lines()
            .find_map(|l| l.strip_prefix("ExecStart="))
            .expect("ExecStart=");
        line.split_once(' ').map_or("", |(_, args)| args)
    }

    /// The drop-in directories podman's `GetUnitDropinPaths` names (its own test's samples,
    /// pkg/systemd/parser/unitfile_test.go, with `.container` for `.service`).
    #[test]
    fn dropin_dirs_as_podman_names_them() {
        assert_eq!(
            dropin_dirs("web.container"),
            ["web.container.d", "container.d"]
        );
        assert_eq!(
            dropin_dirs("sample-unit.container"),
            [
                "sample-unit.container.d",
                "sample-.container.d",
                "container.d"
            ]
        );
        assert_eq!(
            dropin_dirs("sample-template-unit@.container"),
            [
                "sample-template-unit@.container.d",
                "sample-template-@.container.d",
                "sample-template-.container.d",
                "sample-@.container.d",
                "sample-.container.d",
                "container.d",
            ]
        );
        assert_eq!(
            dropin_dirs("sample-template-unit@base-instance.container"),
            [
                "sample-template-unit@base-instance.container.d",
                "sample-template-unit@.container.d",
                "sample-template-@.container.d",
                "sample-template-.container.d",
                "sample-@.container.d",
                "sample-.container.d",
                "container.d",
            ]
        );
    }

    /// `web.container.d/*.conf` merge after the file in the order of their names: a later
    /// single-valued key wins (the main file's and the earlier drop-in's), list keys add up in
    /// that order, `[Service]` lines pass through, a relative path is the file's directory's,
    /// files that are no `.conf` are not read (and drop-in directories no file reads are
    /// warned of); the unit's header names the drop-ins, `SourcePath=` stays the file.
    #[test]
    fn dropins_merge_after_the_file_in_name_order() {
        let dir = tempfile::tempdir().expect("tmp");
        let files = dir.path().join("containers");
        let d = files.display();
        put(
            &files.join("web.container"),
            "[Container]\nImage=busybox\nStopTimeout=10\nEnvironment=A=main\nPublishPort=8080:80\n",
        );
        // Written first, applied last: the name orders them.
        put(
            &files.join("web.container.d/20-late.conf"),
            "[Container]\nStopTimeout=30\nEnvironment=C=late\n",
        );
        put(
            &files.join("web.container.d/10-early.conf"),
            "# tuning\n[Container]\nStopTimeout=20\nEnvironment=B=early\nPublishPort=8443:443\n\
             Label=tier=front\nVolume=./data:/data\n[Service]\nTimeoutStartSec=90\n",
        );
        // Not drop-ins: neither read nor refused (they would not parse).
        put(&files.join("web.container.d/README"), "not a unit file\n");
        put(&files.join("web.container.d/10-early.conf~"), "junk\n");
        put(&files.join("web.container.d/30-x.conf.dpkg-old"), "junk\n");
        // Drop-ins for no file: said, not read.
        put(&files.join("wbe.container.d/10-typo.conf"), "junk\n");
        put(&files.join("web-.container.d/10-dash.conf"), "junk\n");
        let (units, log, failed) = dry_run(std::slice::from_ref(&files));
        assert!(!failed, "warnings do not fail the run");
        assert_eq!(
            log,
            [
                format!("{d}/wbe.container.d: no `.container` file has these drop-ins; not read"),
                format!("{d}/web-.container.d: no `.container` file has these drop-ins; not read"),
            ]
        );
        let web = &units["web.service"];
        assert_eq!(
            exec_start(web),
            // The drop-in's relative path is the file's directory's, as podman reads it.
            format!(
                "--name=systemd-web --stop-timeout=30 --publish=8080:80 --publish=8443:443 \
                 --volume={d}/data:/data --env=A=main --env=B=early --env=C=late \
                 --label=tier=front busybox"
            ),
            "{web}"
        );
        assert!(web.ends_with("\nTimeoutStartSec=90\n\n"), "{web}");
        assert!(
            web.contains(&format!(
                "# From {d}/web.container and its drop-ins, in this order: edit those files, \
                 then `systemctl daemon-reload`.\n#   {d}/web.container.d/10-early.conf\n\
                 #   {d}/web.container.d/20-late.conf\n"
            )),
            "{web}"
        );
        assert_eq!(
            web.matches("SourcePath=").collect::<Vec<_>>(),
            ["SourcePath="],
            "{web}"
        );
        assert!(
            web.contains(&format!("\nSourcePath={d}/web.container\n")),
            "{web}"
        );
    }

    /// The drop-in directories of every search directory apply, the most specific first: a
    /// `.conf` name in `NAME.container.d` hides the same name in the dash-truncated
    /// `foo-.container.d`, which hides it in the type's `container.d` (whatever search
    /// directory each is in: podman#26555), and among one kind of directory the earlier search
    /// directory's hides the later's. An empty `Environment=` in a drop-in clears the values
    /// before it, the main file's too.
    #[test]
    fn dropin_precedence_across_directories() {
        let dir = tempfile::tempdir().expect("tmp");
        let run = dir.path().join("run");
        let etc = dir.path().join("etc");
        let usr = dir.path().join("usr");
        put(
            &usr.join("foo-bar.container"),
            "[Container]\nImage=busybox\nEnvironment=MAIN=1\n",
        );
        put(&etc.join("other.container"), "[Container]\nImage=busybox\n");
        // The type's own directory, for every file: etc's hides usr's.
        put(
            &etc.join("container.d/10-all.conf"),
            "[Container]\nLabel=all=etc\nEnvironment=ALL=1\n",
        );
        put(
            &usr.join("container.d/10-all.conf"),
            "[Container]\nLabel=all=usr\n",
        );
        // The name truncated after its dash, for foo-* only: it hides run's container.d one.
        put(
            &usr.join("foo-.container.d/20-dash.conf"),
            "[Container]\nLabel=dash=foo\n",
        );
        put(
            &run.join("container.d/20-dash.conf"),
            "[Container]\nLabel=dash=any\n",
        );
        // The file's own, in the highest directory; an empty value clears the list.
        put(
            &run.join("foo-bar.container.d/30-own.conf"),
            "[Container]\nEnvironment=\nEnvironment=OWN=1\n",
        );
        put(
            &usr.join("foo-bar.container.d/30-own.conf"),
            "[Container]\nLabel=hidden=1\n",
        );
        let (units, log, failed) = dry_run(&[run.clone(), etc.clone(), usr.clone()]);
        assert!(!failed);
        assert_eq!(log, Vec::<String>::new());
        assert_eq!(
            exec_start(&units["foo-bar.service"]),
            "--name=systemd-foo-bar --env=OWN=1 --label=all=etc --label=dash=foo busybox"
        );
        assert_eq!(
            exec_start(&units["other.service"]),
            "--name=systemd-other --env=ALL=1 --label=all=etc --label=dash=any busybox"
        );
        let header = |unit: &str| -> Vec<String> {
            unit.lines()
                .filter_map(|l| l.strip_prefix("#   "))
                .map(str::to_owned)
                .collect()
        };
        let p = |at: &Path, rest: &str| at.join(rest).display().to_string();
        assert_eq!(
            header(&units["foo-bar.service"]),
            [
                p(&etc, "container.d/10-all.conf"),
                p(&usr, "foo-.container.d/20-dash.conf"),
                p(&run, "foo-bar.container.d/30-own.conf"),
            ]
        );
        assert_eq!(
            header(&units["other.service"]),
            [
                p(&etc, "container.d/10-all.conf"),
                p(&run, "container.d/20-dash.conf")
            ]
        );
    }

    /// A drop-in's bad key, bad value (one the unit writer refuses: the `PublishPort=` at fault
    /// of two), unknown group or unparsable line is named by the drop-in's path and its own
    /// line, and refuses the unit it belongs to (named too); the other files still get theirs.
    #[test]
    fn a_bad_dropin_is_named_and_refuses_its_unit() {
        let dir = tempfile::tempdir().expect("tmp");
        let files = dir.path().join("containers");
        let d = files.display();
        for name in ["db", "web", "app", "cache", "job"] {
            put(
                &files.join(format!("{name}.container")),
                "[Container]\nImage=busybox\nPublishPort=8080:80\n# padding\n\n",
            );
        }
        put(
            &files.join("web.container.d/10-ok.conf"),
            "[Container]\nLabel=a=1\n",
        );
        put(
            &files.join("web.container.d/20-bad.conf"),
            "[Container]\n# a pod is podman's\nPod=p.pod\n",
        );
        put(
            &files.join("app.container.d/10-x.conf"),
            "[Container]\njust words\n",
        );
        put(
            &files.join("cache.container.d/10-port.conf"),
            "[Service]\nTimeoutStartSec=5\n[Container]\nPublishPort=nope\n",
        );
        put(&files.join("job.container.d/10-pod.conf"), "\n[Pod]\n");
        let (units, log, failed) = dry_run(std::slice::from_ref(&files));
        assert!(failed);
        assert_eq!(units.keys().collect::<Vec<_>>(), ["db.service"]);
        assert_eq!(
            log,
            [
                format!(
                    "{d}/app.container.d/10-x.conf:2: `just words` is not a key-value pair, \
                     group, or comment; no unit generated for {d}/app.container"
                ),
                format!(
                    "{d}/cache.container.d/10-port.conf:4: `PublishPort=`: invalid value `nope` \
                     for `--publish`: invalid port `nope`; no unit generated for {d}/cache.container"
                ),
                format!(
                    "{d}/job.container.d/10-pod.conf:2: [Pod]: a `.container` file has no such \
                     group ([Unit], [Container], [Service], [Install], [Quadlet], or X-… for \
                     your own); no unit generated for {d}/job.container"
                ),
                format!(
                    "{d}/web.container.d/20-bad.conf:3: `Pod=`: no Docker meaning: docker has no \
                     pods; no unit generated for {d}/web.container"
                ),
            ]
        );
        // A drop-in that cannot be read (here a directory named like one) refuses its unit too.
        std::fs::remove_dir_all(files.join("web.container.d")).expect("rm");
        std::fs::create_dir_all(files.join("db.container.d/10-dir.conf")).expect("dir");
        let (units, log, failed) = dry_run(std::slice::from_ref(&files));
        assert!(failed);
        assert_eq!(units.keys().collect::<Vec<_>>(), ["web.service"]);
        assert_eq!(log.len(), 4, "{log:?}");
        assert!(
            log[1].starts_with(&format!("{d}/db.container.d/10-dir.conf: cannot read it: ")),
            "{log:?}"
        );
        assert!(log[1].ends_with(&format!("; no unit generated for {d}/db.container")));
    }
}
