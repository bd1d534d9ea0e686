//! The systemd generator: podman's Quadlet `.container` files for Docker engines. At boot and on
//! every `systemctl daemon-reload`, systemd runs it (as `dockrun-generator`, or
//! `dockrun-user-generator` for user managers: symlinks to the dockrun binary, which looks at
//! the name it was started under) with its output directory; for each `*.container` file in
//! dockrun's directories it writes `NAME.service`, the unit `--print-unit` would write for the
//! command line the file's keys make (`unit::for_command_line`, the one unit writer), and the
//! `[Install]` links `systemctl enable` would make (generated units cannot be enabled).
//!
//! A file with a key that has no Docker meaning or a bad value gets no unit: one line naming the
//! file, line and key goes to the journal (its socket when journald runs, else `/dev/kmsg`, which
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

use std::collections::BTreeMap;
use std::ffi::{OsStr, OsString};
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::env_vars;
use crate::unit::{self, Layout, Peers, UnitError};
use container::{Refusal, Sibling};
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

/// One loaded `.container` file.
struct Source {
    path: PathBuf,
    file_name: String,
    groups: Vec<Group>,
    service: String,
}

/// Read every file, translate each, write (or, dry, print) the units.
fn generate(options: &Options, log: &mut Log) -> String {
    let mut sources: Vec<Source> = Vec::new();
    for dir in &options.dirs {
        let mut names: Vec<String> = match std::fs::read_dir(dir) {
            Ok(entries) => entries
                .filter_map(Result::ok)
                .filter_map(|e| e.file_name().into_string().ok())
                .filter(|n| n.ends_with(".container") && n.len() > ".container".len())
                .collect(),
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => continue,
            Err(err) => {
                log.error(&format!("cannot read {}: {err}", dir.display()));
                continue;
            }
        };
        names.sort();
        for file_name in names {
            if sources.iter().any(|s| s.file_name == file_name) {
                continue;
            }
            let path = dir.join(&file_name);
            let text = match std::fs::read_to_string(&path) {
                Ok(text) => text,
                Err(err) => {
                    log.refused(&path, 0, "", &format!("cannot read it: {err}"));
                    continue;
                }
            };
            match parser::parse(&text) {
                Ok(groups) => {
                    let service = container::service_name(&groups, &file_name);
                    sources.push(Source {
                        path,
                        file_name,
                        groups,
                        service,
                    });
                }
                Err(err) => log.refused(&path, err.line, "", &err.message),
            }
        }
    }

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
                    service: s.service.clone(),
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
                log.refused(&source.path, refusal.line, &refusal.key, &refusal.message);
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
    let layout = Layout {
        file_name: Some(source.service.clone()),
        header: vec![format!(
            "From {}: edit that file, then `systemctl daemon-reload`.",
            source.path.display()
        )],
        generated_by: "dockrun's systemd generator".to_owned(),
        peers: Peers::Known(peers.clone()),
        unit: unit_lines,
        service: translated.service.clone(),
        install: translated.install.clone(),
    };
    let command: Vec<OsString> = translated.command.iter().map(OsString::from).collect();
    let dir = source.path.parent().unwrap_or(Path::new("/"));
    unit::for_command_line(&command, dir, exe, &layout)
        .map(|unit| (unit, translated.install.clone()))
        .map_err(|err| blame(&err, &translated.origins))
}

/// A refusal for dockrun's verdict on the command line, naming the key that made the flag it
/// names (the first quoted flag of the message, in backquotes as dockrun quotes or in single
/// quotes as clap does, that a key made).
fn blame(err: &UnitError, origins: &[(String, String, usize)]) -> Refusal {
    let mut message = err.to_string();
    let mut source = std::error::Error::source(err);
    while let Some(cause) = source {
        message.push_str(&format!(": {cause}"));
        source = cause.source();
    }
    let origin = ['`', '\'']
        .iter()
        .flat_map(|quote| message.split(*quote).skip(1).step_by(2))
        .find_map(|quoted| origins.iter().find(|(flag, _, _)| flag == quoted));
    match origin {
        Some((_, key, line)) => Refusal {
            line: *line,
            key: key.clone(),
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
    fn refused(&mut self, path: &Path, line: usize, key: &str, message: &str) {
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
        self.error(&format!("{at}:{key} {message}; no unit generated for it"));
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
        let mut options = Options {
            output: Some(output.clone()),
            dirs: vec![files.clone()],
            no_kmsg: true,
            ..Options::default()
        };
        let mut log = Log {
            captured: Some(Vec::new()),
            ..Log::default()
        };
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
        let mut log = Log {
            captured: Some(Vec::new()),
            ..Log::default()
        };
        let printed = generate(&options, &mut log);
        assert_eq!(
            printed,
            format!("---db.service---\n{db}\n---web.service---\n{web}\n")
        );
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
}
