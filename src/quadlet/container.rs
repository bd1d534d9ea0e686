//! One `.container` file's groups → the dockrun command line and the unit lines around it, with
//! podman-systemd.unit(5)'s spelling and semantics for every `[Container]` key that has a
//! `docker run` meaning, and a refusal naming the line and key for every one that has none.
//! Pure: groups in, words out (the generator reads and writes the files; `unit` writes the
//! unit and validates the command line as a launch would).

use std::collections::BTreeMap;
use std::path::Path;

use super::parser::{Entry, Group};
use super::specifiers::Context;
use super::split::{split, Mode};

/// Why a file gets no unit: the line and key at fault, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// The 1-based line, as the groups number it (0: the file as a whole; the generator maps
    /// a drop-in's line back to its file).
    pub line: usize,
    /// The key (or `[Group]`) at fault; empty for the file as a whole.
    pub key: String,
    /// What is wrong, or why it has no Docker meaning.
    pub message: String,
}

impl Refusal {
    fn at(entry: &Entry, message: impl Into<String>) -> Self {
        Refusal {
            line: entry.line,
            key: entry.key.clone(),
            message: message.into(),
        }
    }
}

/// Another `.container` file of the same run, by which its peers find it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sibling {
    /// Its service (`db.service`).
    pub service: String,
    /// Its container's name, specifiers resolved.
    pub container: String,
}

/// What a file becomes: the command line for `ExecStart=` (after the dockrun binary) and the
/// lines passed through into `[Unit]`, `[Service]` and `[Install]`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Translated {
    /// The dockrun command line.
    pub command: Vec<String>,
    /// `[Unit]` lines.
    pub unit: Vec<String>,
    /// `[Service]` lines.
    pub service: Vec<String>,
    /// `[Install]` lines.
    pub install: Vec<String>,
    /// Which key and line made each flag, to name the key when dockrun refuses the flag.
    pub origins: Vec<Origin>,
}

/// The key and line that made one flag of the command line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Origin {
    /// The flag (`--publish`).
    pub flag: String,
    /// Its value, when the key gave it as `--flag=VALUE` (empty otherwise): of several
    /// `--publish` flags, the one a refusal quotes is the one at fault.
    pub value: String,
    /// The key (`PublishPort`).
    pub key: String,
    /// The key's line.
    pub line: usize,
}

impl Origin {
    fn of(flag: &str, value: &str, entry: &Entry) -> Self {
        Origin {
            flag: flag.to_owned(),
            value: value.to_owned(),
            key: entry.key.clone(),
            line: entry.line,
        }
    }
}

/// The `[Container]` keys refused, each with why it has no Docker meaning.
const REFUSED: &[(&str, &str)] = &[
    ("Pod", "docker has no pods"),
    ("StartWithPod", "docker has no pods"),
    ("Rootfs", "docker runs images only: there is no `--rootfs`"),
    ("UIDMap", "docker has no per-container ID mappings (only the daemon's `userns-remap`)"),
    ("GIDMap", "docker has no per-container ID mappings (only the daemon's `userns-remap`)"),
    ("SubUIDMap", "docker has no per-container ID mappings (only the daemon's `userns-remap`)"),
    ("SubGIDMap", "docker has no per-container ID mappings (only the daemon's `userns-remap`)"),
    ("RemapUsers", "docker has no per-container ID mappings (only the daemon's `userns-remap`)"),
    ("RemapUid", "docker has no per-container ID mappings (only the daemon's `userns-remap`)"),
    ("RemapGid", "docker has no per-container ID mappings (only the daemon's `userns-remap`)"),
    ("RemapUidSize", "docker has no per-container ID mappings (only the daemon's `userns-remap`)"),
    ("GlobalArgs", "podman's global options; dockrun finds the engine by `DOCKER_HOST` or the docker context (set them with `Environment=` in `[Service]`)"),
    ("ContainersConfModule", "podman's containers.conf modules have no docker meaning"),
    ("CgroupsMode", "podman's conmon cgroup modes have no docker meaning"),
    ("Secret", "docker run has no secrets (they are swarm's)"),
    ("Mask", "docker has no per-path masks (`DockerArgs=--security-opt systempaths=unconfined` unmasks all)"),
    ("Unmask", "docker has no per-path masks (`DockerArgs=--security-opt systempaths=unconfined` unmasks all)"),
    ("SecurityLabelFileType", "docker's `--security-opt label=` has no file type"),
    ("SecurityLabelNested", "docker's `--security-opt label=` has no nested mode"),
    ("HealthStartupCmd", "podman's startup healthcheck has no docker equivalent"),
    ("HealthStartupInterval", "podman's startup healthcheck has no docker equivalent (docker's `--health-start-interval` is another thing: `DockerArgs=`)"),
    ("HealthStartupRetries", "podman's startup healthcheck has no docker equivalent"),
    ("HealthStartupSuccess", "podman's startup healthcheck has no docker equivalent"),
    ("HealthStartupTimeout", "podman's startup healthcheck has no docker equivalent"),
    ("HealthLogDestination", "docker keeps healthcheck logs in the container's state only"),
    ("HealthMaxLogCount", "docker keeps a fixed number of healthcheck results"),
    ("HealthMaxLogSize", "docker keeps healthcheck results of a fixed size"),
    ("ReloadCmd", "dockrun does not exec into the container (`ReloadSignal=` with a signal dockrun forwards works)"),
    ("Retry", "pull retries are podman's; systemd's `Restart=` retries the whole start"),
    ("RetryDelay", "pull retries are podman's; systemd's `Restart=` retries the whole start"),
];

/// `[Unit]` keys whose `NAME.container` words name another file's service.
const DEPENDENCY_KEYS: &[&str] = &[
    "After",
    "Before",
    "BindsTo",
    "Conflicts",
    "OnFailure",
    "OnSuccess",
    "PartOf",
    "PropagatesReloadTo",
    "PropagatesStopTo",
    "ReloadPropagatedFrom",
    "Requires",
    "Requisite",
    "StopPropagatedFrom",
    "Upholds",
    "Wants",
];

/// The signals dockrun forwards to the container, for `ReloadSignal=`.
const FORWARDED: &[&str] = &["HUP", "QUIT", "USR1", "USR2", "WINCH"];

/// The name of a file's container: `ContainerName=`, else podman's default `systemd-%N`
/// (`systemd-%p_%i` for a template), specifiers resolved.
///
/// # Errors
/// A specifier that cannot be resolved.
pub fn container_name(groups: &[Group], file_name: &str, ctx: &Context) -> Result<String, Refusal> {
    let container = group(groups, "Container");
    let given = container.and_then(|g| g.lookup("ContainerName"));
    let (name, entry) = match given {
        Some((name, entry)) if !name.is_empty() => (name, Some(entry)),
        _ if file_name.contains('@') => ("systemd-%p_%i".to_owned(), None),
        _ => ("systemd-%N".to_owned(), None),
    };
    ctx.resolve(&name).map_err(|e| Refusal {
        line: entry.map_or(0, |e| e.line),
        key: "ContainerName".to_owned(),
        message: e.to_string(),
    })
}

/// The service a file becomes: `ServiceName=` (podman's key) else the file's stem, `.service`.
#[must_use]
pub fn service_name(groups: &[Group], file_name: &str) -> String {
    let stem = file_name.strip_suffix(".container").unwrap_or(file_name);
    let named = group(groups, "Container")
        .and_then(|g| g.lookup("ServiceName"))
        .map(|(name, _)| name)
        .filter(|name| !name.is_empty());
    format!("{}.service", named.as_deref().unwrap_or(stem))
}

fn group<'a>(groups: &'a [Group], name: &str) -> Option<&'a Group> {
    groups.iter().find(|g| g.name == name)
}

/// The command line being built, with where each flag came from.
struct Command<'c> {
    ctx: &'c Context,
    out: Translated,
}

impl Command<'_> {
    /// `--flag=VALUE`, the value's specifiers resolved.
    fn flag(&mut self, flag: &str, value: &str, entry: &Entry) -> Result<(), Refusal> {
        let value = self.resolve(value, entry)?;
        self.out.command.push(format!("{flag}={value}"));
        self.out.origins.push(Origin::of(flag, &value, entry));
        Ok(())
    }

    fn resolve(&self, value: &str, entry: &Entry) -> Result<String, Refusal> {
        self.ctx
            .resolve(value)
            .map_err(|e| Refusal::at(entry, e.to_string()))
    }
}

/// A boolean as systemd spells it.
fn boolean(entry: &Entry, value: &str) -> Result<bool, Refusal> {
    match value.to_ascii_lowercase().as_str() {
        "1" | "yes" | "true" | "on" => Ok(true),
        "0" | "no" | "false" | "off" => Ok(false),
        _ => Err(Refusal::at(
            entry,
            format!("`{value}` is not a boolean (yes/no, true/false, on/off, 1/0)"),
        )),
    }
}

/// Every word of `key` in `mode`, each with its entry.
fn words<'g>(c: &'g Group, key: &str, mode: Mode) -> Result<Vec<(String, &'g Entry)>, Refusal> {
    c.all_words(key, mode)
        .map_err(|(entry, err)| Refusal::at(entry, err.to_string()))
}

/// Translate one file. `file_name` is its name (`web.container`), `dir` its directory (relative
/// paths in it are relative to the file, as podman reads them: the unit writer makes them
/// absolute against it), `siblings` every file of the run by name.
///
/// # Errors
/// [`Refusal`] for the first key that has no Docker meaning or a bad value.
#[allow(clippy::too_many_lines)]
pub fn translate(
    groups: &[Group],
    file_name: &str,
    ctx: &Context,
    siblings: &BTreeMap<String, Sibling>,
) -> Result<Translated, Refusal> {
    let whole = |message: String| Refusal {
        line: 0,
        key: String::new(),
        message,
    };
    for g in groups {
        if !matches!(
            g.name.as_str(),
            "Unit" | "Service" | "Install" | "Container" | "Quadlet"
        ) && !g.name.starts_with("X-")
        {
            return Err(Refusal {
                line: g.line,
                key: format!("[{}]", g.name),
                message: "a `.container` file has no such group ([Unit], [Container], [Service], [Install], [Quadlet], or X-… for your own)".to_owned(),
            });
        }
    }
    let c = group(groups, "Container").ok_or_else(|| whole("no [Container] group".to_owned()))?;
    let mut cmd = Command {
        ctx,
        out: Translated::default(),
    };

    for entry in c.keys() {
        let key = entry.key.as_str();
        if let Some((_, why)) = REFUSED.iter().find(|(k, _)| *k == key) {
            return Err(Refusal::at(entry, format!("no Docker meaning: {why}")));
        }
        if !KNOWN.contains(&key) {
            return Err(Refusal::at(entry, "unsupported key in [Container]"));
        }
    }

    let name = container_name(groups, file_name, ctx)?;
    cmd.out.command.push(format!("--name={name}"));

    // Single values: the last one counts (podman's `Lookup`).
    for (key, flag) in [
        ("PidsLimit", "--pids-limit"),
        ("ShmSize", "--shm-size"),
        ("WorkingDir", "--workdir"),
        ("IP", "--ip"),
        ("IP6", "--ip6"),
        ("HostName", "--hostname"),
        ("StopSignal", "--stop-signal"),
        ("StopTimeout", "--stop-timeout"),
        ("Pull", "--pull"),
        ("Memory", "--memory"),
        ("LogDriver", "--log-driver"),
        ("HealthInterval", "--health-interval"),
        ("HealthRetries", "--health-retries"),
        ("HealthStartPeriod", "--health-start-period"),
        ("HealthTimeout", "--health-timeout"),
        ("AutoUpdate", "--auto-update"),
    ] {
        if let Some((value, entry)) = c.lookup(key).filter(|(v, _)| !v.is_empty()) {
            cmd.flag(flag, &value, entry)?;
        }
    }
    if let Some((value, entry)) = c.lookup("HealthCmd").filter(|(v, _)| !v.is_empty()) {
        if value == "none" {
            cmd.out.command.push("--no-healthcheck".to_owned());
        } else {
            cmd.flag("--health-cmd", &value, entry)?;
        }
    }
    if let Some((value, entry)) = c.lookup("HealthOnFailure") {
        if value != "none" && !value.is_empty() {
            return Err(Refusal::at(
                entry,
                format!("no Docker meaning: docker takes no action on an unhealthy container (`{value}`); only `none` is accepted"),
            ));
        }
    }
    // An empty `Entrypoint=` clears the image's entrypoint, as `--entrypoint=""` does.
    if let Some((value, entry)) = c.lookup("Entrypoint") {
        cmd.flag("--entrypoint", &value, entry)?;
    }

    // Every value, raw (podman's `LookupAll`).
    for (key, flag) in [
        ("NetworkAlias", "--network-alias"),
        ("Ulimit", "--ulimit"),
        ("DNS", "--dns"),
        ("DNSOption", "--dns-option"),
        ("DNSSearch", "--dns-search"),
        ("GroupAdd", "--group-add"),
        ("AddHost", "--add-host"),
        ("Tmpfs", "--tmpfs"),
        ("PublishPort", "--publish"),
    ] {
        for entry in c.all(key) {
            cmd.flag(flag, entry.value.trim_end(), entry)?;
        }
    }
    for entry in c.all("ExposeHostPort") {
        let port = entry.value.trim();
        let (range, proto) = port
            .split_once('/')
            .map_or((port, None), |(r, p)| (r, Some(p)));
        let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        let range_ok = match range.split_once('-') {
            Some((a, b)) => digits(a) && digits(b),
            None => digits(range),
        };
        if !range_ok || !matches!(proto, None | Some("tcp" | "udp")) {
            return Err(Refusal::at(entry, format!("invalid port format `{port}`")));
        }
        cmd.flag("--expose", port, entry)?;
    }

    // Lists of words (podman's `LookupAllStrv`).
    for (key, flag) in [
        ("LogOpt", "--log-opt"),
        ("AddCapability", "--cap-add"),
        ("DropCapability", "--cap-drop"),
        ("Sysctl", "--sysctl"),
    ] {
        for (word, entry) in words(c, key, Mode::Strv)? {
            cmd.flag(flag, &word, entry)?;
        }
    }
    for (word, entry) in words(c, "AddDevice", Mode::Strv)? {
        // A leading `-`: add the device only if it exists.
        if let Some(optional) = word.strip_prefix('-') {
            let host = optional.split(':').next().unwrap_or(optional);
            if !Path::new(host).exists() {
                continue;
            }
            cmd.flag("--device", optional, entry)?;
        } else {
            cmd.flag("--device", &word, entry)?;
        }
    }

    // Booleans.
    let mut read_only = false;
    for (key, flag) in [("RunInit", "--init"), ("ReadOnly", "--read-only")] {
        if let Some((value, entry)) = c.lookup(key) {
            let on = boolean(entry, &value)?;
            read_only |= key == "ReadOnly" && on;
            cmd.flag(flag, if on { "true" } else { "false" }, entry)?;
        }
    }
    // podman's `--read-only-tmpfs` (on by default): a read-only container still gets
    // writable tmpfs on /run, /tmp and /var/tmp (docker gives /dev and /dev/shm already).
    let tmpfs = match c.lookup("ReadOnlyTmpfs") {
        Some((value, entry)) => boolean(entry, &value)?,
        None => true,
    };
    if read_only && tmpfs {
        let entry = c.last("ReadOnly").expect("ReadOnly was read");
        for dir in ["/run", "/tmp", "/var/tmp"] {
            cmd.flag("--tmpfs", dir, entry)?;
        }
    }
    if let Some((value, entry)) = c.lookup("VolatileTmp") {
        if boolean(entry, &value)? && !read_only {
            cmd.flag("--tmpfs", "/tmp:rw,size=512M,mode=1777", entry)?;
        }
    }
    for (key, option) in [
        ("NoNewPrivileges", "no-new-privileges"),
        ("SecurityLabelDisable", "label=disable"),
    ] {
        if let Some((value, entry)) = c.lookup(key) {
            if boolean(entry, &value)? {
                cmd.flag("--security-opt", option, entry)?;
            }
        }
    }
    for (key, why) in [
        ("EnvironmentHost", "docker run has no `--env-host`: name each variable with `Environment=NAME` (its value is then taken from the service's environment)"),
        ("HttpProxy", "docker run has no `--http-proxy`: set the proxy variables with `Environment=`"),
    ] {
        if let Some((value, entry)) = c.lookup(key) {
            if boolean(entry, &value)? {
                return Err(Refusal::at(entry, format!("no Docker meaning: {why}")));
            }
        }
    }
    for (key, option) in [
        ("SeccompProfile", "seccomp="),
        ("AppArmor", "apparmor="),
        ("SecurityLabelType", "label=type:"),
        ("SecurityLabelLevel", "label=level:"),
    ] {
        if let Some((value, entry)) = c.lookup(key).filter(|(v, _)| !v.is_empty()) {
            cmd.flag("--security-opt", &format!("{option}{value}"), entry)?;
        }
    }
    if let Some((value, entry)) = c.lookup("UserNS") {
        if value != "host" {
            return Err(Refusal::at(
                entry,
                format!("no Docker meaning: `UserNS={value}`: docker has only the daemon's user namespace (`userns-remap`) and `host`"),
            ));
        }
        cmd.flag("--userns", "host", entry)?;
    }
    match (c.lookup("User"), c.lookup("Group")) {
        (Some((user, entry)), group) if !user.is_empty() => match group {
            Some((group, _)) if !group.is_empty() => {
                cmd.flag("--user", &format!("{user}:{group}"), entry)?;
            }
            _ => cmd.flag("--user", &user, entry)?,
        },
        (_, Some((group, entry))) if !group.is_empty() => {
            return Err(Refusal::at(entry, "`Group=` without `User=`"));
        }
        _ => {}
    }
    if let Some((zone, entry)) = c.lookup("Timezone").filter(|(v, _)| !v.is_empty()) {
        if zone == "local" {
            cmd.flag("--volume", "/etc/localtime:/etc/localtime:ro", entry)?;
        } else {
            let file = format!("/usr/share/zoneinfo/{zone}");
            if zone.contains("..") || !Path::new(&file).is_file() {
                return Err(Refusal::at(
                    entry,
                    format!("unknown time zone `{zone}` (no {file} on this host)"),
                ));
            }
            cmd.flag("--volume", &format!("{file}:/etc/localtime:ro"), entry)?;
            cmd.flag("--env", &format!("TZ={zone}"), entry)?;
        }
    }
    if let Some((value, entry)) = c.lookup("Notify") {
        if value.eq_ignore_ascii_case("healthy") {
            cmd.flag("--sdnotify", "healthy", entry)?;
        } else if boolean(entry, &value)? {
            return Err(Refusal::at(
                entry,
                "no Docker meaning: the container's own sd_notify is not relayed; dockrun sends READY=1 once the container runs (`Notify=healthy`: once it is healthy)",
            ));
        }
    }

    networks(c, &mut cmd, siblings)?;
    volumes(c, &mut cmd)?;

    // KEY=VALUE lists (podman's `LookupAllKeyVal`): the last value of a key wins.
    for (key, flag) in [
        ("Environment", "--env"),
        ("Label", "--label"),
        ("Annotation", "--annotation"),
    ] {
        let mut pairs: Vec<(String, Option<String>, &Entry)> = Vec::new();
        for (word, entry) in words(c, key, Mode::Args)? {
            let (k, v) = match word.split_once('=') {
                Some((k, v)) => (k.to_owned(), Some(v.to_owned())),
                None => (word, None),
            };
            match pairs.iter_mut().find(|(pk, _, _)| *pk == k) {
                Some(pair) => *pair = (k, v, entry),
                None => pairs.push((k, v, entry)),
            }
        }
        for (k, v, entry) in pairs {
            let pair = v.map_or(k.clone(), |v| format!("{k}={v}"));
            cmd.flag(flag, &pair, entry)?;
        }
    }
    for (word, entry) in words(c, "EnvironmentFile", Mode::Args)? {
        cmd.flag("--env-file", &word, entry)?;
    }
    for (word, entry) in words(c, "Mount", Mode::Args)? {
        let source = word.split(',').find_map(|f| {
            let (k, v) = f.split_once('=')?;
            matches!(k, "source" | "src").then_some(v)
        });
        if let Some(unit) = source.filter(|s| is_podman_unit(s)) {
            return Err(Refusal::at(
                entry,
                format!("no Docker meaning: `{unit}` is a podman Quadlet unit; name a docker volume or a path"),
            ));
        }
        cmd.flag("--mount", &word, entry)?;
    }
    // The escape hatch: raw docker run flags, validated with the rest of the command line.
    for key in ["DockerArgs", "PodmanArgs"] {
        for (word, entry) in words(c, key, Mode::Args)? {
            let word = cmd.resolve(&word, entry)?;
            if word.starts_with('-') {
                let (flag, value) = word.split_once('=').unwrap_or((&word, ""));
                cmd.out.origins.push(Origin::of(flag, value, entry));
            }
            cmd.out.command.push(word);
        }
    }

    let (image, image_entry) = c
        .lookup("Image")
        .filter(|(v, _)| !v.is_empty())
        .ok_or_else(|| whole("no `Image=` in [Container]".to_owned()))?;
    if image.ends_with(".image") || image.ends_with(".build") {
        return Err(Refusal::at(
            image_entry,
            format!("no Docker meaning: `{image}` is a podman Quadlet unit; name an image"),
        ));
    }
    let image = cmd.resolve(&image, image_entry)?;
    cmd.out.command.push(image);
    if let Some(entry) = c.last("Exec") {
        let exec =
            split(&entry.value, Mode::Args).map_err(|e| Refusal::at(entry, e.to_string()))?;
        for word in exec {
            let word = cmd.resolve(&word, entry)?;
            cmd.out.command.push(word);
        }
    }

    if let Some((signal, entry)) = c.lookup("ReloadSignal").filter(|(v, _)| !v.is_empty()) {
        let bare = signal.trim_start_matches("SIG");
        if !FORWARDED.contains(&bare) {
            return Err(Refusal::at(
                entry,
                format!("dockrun forwards only SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2 and SIGWINCH to the container, not `{signal}`"),
            ));
        }
        // dockrun forwards the signal it gets to the container.
        cmd.out
            .service
            .push(format!("ExecReload=/bin/kill -s {bare} $MAINPID"));
    }

    passthrough(groups, &mut cmd.out, siblings, ctx)?;
    Ok(cmd.out)
}

/// Every `[Container]` key dockrun translates.
const KNOWN: &[&str] = &[
    "AddCapability",
    "AddDevice",
    "AddHost",
    "Annotation",
    "AppArmor",
    "AutoUpdate",
    "ContainerName",
    "DNS",
    "DNSOption",
    "DNSSearch",
    "DockerArgs",
    "DropCapability",
    "Entrypoint",
    "Environment",
    "EnvironmentFile",
    "EnvironmentHost",
    "Exec",
    "ExposeHostPort",
    "Group",
    "GroupAdd",
    "HealthCmd",
    "HealthInterval",
    "HealthOnFailure",
    "HealthRetries",
    "HealthStartPeriod",
    "HealthTimeout",
    "HostName",
    "HttpProxy",
    "IP",
    "IP6",
    "Image",
    "Label",
    "LogDriver",
    "LogOpt",
    "Memory",
    "Mount",
    "Network",
    "NetworkAlias",
    "NoNewPrivileges",
    "Notify",
    "PidsLimit",
    "PodmanArgs",
    "PublishPort",
    "Pull",
    "ReadOnly",
    "ReadOnlyTmpfs",
    "ReloadSignal",
    "RunInit",
    "SeccompProfile",
    "SecurityLabelDisable",
    "SecurityLabelLevel",
    "SecurityLabelType",
    "ServiceName",
    "ShmSize",
    "StopSignal",
    "StopTimeout",
    "Sysctl",
    "Timezone",
    "Tmpfs",
    "Ulimit",
    "User",
    "UserNS",
    "VolatileTmp",
    "Volume",
    "WorkingDir",
];

/// A podman Quadlet unit named where docker wants a resource.
fn is_podman_unit(name: &str) -> bool {
    [
        ".volume",
        ".network",
        ".image",
        ".build",
        ".artifact",
        ".pod",
        ".kube",
    ]
    .iter()
    .any(|ext| name.ends_with(ext))
}

/// `Network=`: `host`, `none`, `bridge`, a docker network, `container:NAME`, or another file
/// (`db.container`: its container's network, and its service first).
fn networks(
    c: &Group,
    cmd: &mut Command<'_>,
    siblings: &BTreeMap<String, Sibling>,
) -> Result<(), Refusal> {
    for entry in c.all("Network") {
        let value = entry.value.trim_end();
        let (head, options) = value
            .split_once(':')
            .map_or((value, None), |(h, o)| (h, Some(o)));
        if let Some(file) = head.strip_suffix(".container").map(|_| head) {
            let sibling = siblings.get(file).ok_or_else(|| {
                Refusal::at(entry, format!("`{file}` is not among the .container files"))
            })?;
            if options.is_some() {
                return Err(Refusal::at(
                    entry,
                    "extra options are not supported when joining another container's network",
                ));
            }
            cmd.flag(
                "--network",
                &format!("container:{}", sibling.container),
                entry,
            )?;
        } else if is_podman_unit(head) {
            return Err(Refusal::at(
                entry,
                format!(
                    "no Docker meaning: `{head}` is a podman Quadlet unit; name a docker network"
                ),
            ));
        } else {
            cmd.flag("--network", value, entry)?;
        }
    }
    Ok(())
}

/// `Volume=[SOURCE:]DEST[:OPTIONS]`: a source starting with `.` is relative to the file; an
/// absolute one is a bind, whose mount the unit requires (`RequiresMountsFor=`).
fn volumes(c: &Group, cmd: &mut Command<'_>) -> Result<(), Refusal> {
    for entry in c.all("Volume") {
        let value = cmd.resolve(entry.value.trim_end(), entry)?;
        let source = value.split_once(':').map(|(s, _)| s);
        if let Some(source) = source {
            if is_podman_unit(source) {
                return Err(Refusal::at(
                    entry,
                    format!("no Docker meaning: `{source}` is a podman Quadlet unit; name a docker volume or a path"),
                ));
            }
            if source.starts_with('/')
                && !source.contains(|c: char| c.is_whitespace() || c == '$' || c == '%')
            {
                cmd.out.unit.push(format!("RequiresMountsFor={source}"));
            }
        }
        cmd.out.command.push(format!("--volume={value}"));
        cmd.out.origins.push(Origin::of("--volume", &value, entry));
    }
    Ok(())
}

/// `[Unit]`, `[Service]` and `[Install]` pass through (specifiers left for systemd); in
/// `[Unit]`'s dependency keys a `NAME.container` becomes that file's service. `[Quadlet]`'s
/// `DefaultDependencies=` (default on, as podman's) orders the system's units after
/// `network-online.target`.
fn passthrough(
    groups: &[Group],
    out: &mut Translated,
    siblings: &BTreeMap<String, Sibling>,
    ctx: &Context,
) -> Result<(), Refusal> {
    let mut default_dependencies = true;
    if let Some(q) = group(groups, "Quadlet") {
        for entry in &q.entries {
            if entry.key != "DefaultDependencies" {
                return Err(Refusal::at(entry, "unsupported key in [Quadlet]"));
            }
            default_dependencies = boolean(entry, entry.value.trim_end())?;
        }
    }
    if default_dependencies && !ctx.user {
        // Prepended, so the file's own lines come after (and win where they can).
        out.unit.splice(
            0..0,
            [
                "Wants=network-online.target".to_owned(),
                "After=network-online.target".to_owned(),
            ],
        );
    }
    if let Some(u) = group(groups, "Unit") {
        for entry in &u.entries {
            let mut value = entry.value.clone();
            if DEPENDENCY_KEYS.contains(&entry.key.as_str()) && value.contains(".container") {
                let names =
                    split(&value, Mode::Strv).map_err(|e| Refusal::at(entry, e.to_string()))?;
                let mut mapped = Vec::with_capacity(names.len());
                for name in names {
                    if name.ends_with(".container") {
                        let sibling = siblings.get(&name).ok_or_else(|| {
                            Refusal::at(
                                entry,
                                format!("`{name}` is not among the .container files"),
                            )
                        })?;
                        mapped.push(sibling.service.clone());
                    } else {
                        mapped.push(name);
                    }
                }
                value = mapped.join(" ");
            }
            out.unit.push(format!("{}={value}", entry.key));
        }
    }
    if let Some(s) = group(groups, "Service") {
        for entry in &s.entries {
            if entry.key == "Type" && !matches!(entry.value.trim(), "notify" | "oneshot") {
                return Err(Refusal::at(
                    entry,
                    format!(
                        "dockrun is the service: `Type=notify` (or `oneshot`), not `{}`",
                        entry.value.trim()
                    ),
                ));
            }
            out.service.push(format!("{}={}", entry.key, entry.value));
        }
    }
    if let Some(i) = group(groups, "Install") {
        for entry in &i.entries {
            out.install.push(format!("{}={}", entry.key, entry.value));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::parser::parse;
    use super::*;

    fn ctx() -> Context {
        Context {
            unit: "web.service".to_owned(),
            user: false,
        }
    }

    fn run(text: &str) -> Result<Translated, Refusal> {
        let groups = parse(text).expect("parses");
        let mut siblings = BTreeMap::new();
        siblings.insert(
            "db.container".to_owned(),
            Sibling {
                service: "db.service".to_owned(),
                container: "systemd-db".to_owned(),
            },
        );
        translate(&groups, "web.container", &ctx(), &siblings)
    }

    fn command(text: &str) -> Vec<String> {
        run(text).expect("translates").command
    }

    fn refusal(text: &str) -> Refusal {
        run(text).expect_err("refused")
    }

    #[test]
    fn minimal_file_defaults_the_name() {
        assert_eq!(
            command("[Container]\nImage=busybox\n"),
            ["--name=systemd-web", "busybox"]
        );
        let groups = parse("[Container]\nImage=i\n").expect("parses");
        let t = Context {
            unit: "app@1.service".to_owned(),
            user: false,
        };
        assert_eq!(
            container_name(&groups, "app@.container", &t).expect("name"),
            "systemd-app_1"
        );
        assert_eq!(service_name(&groups, "web.container"), "web.service");
        let named = parse("[Container]\nImage=i\nServiceName=front\n").expect("parses");
        assert_eq!(service_name(&named, "web.container"), "front.service");
    }

    #[test]
    fn image_name_and_exec() {
        assert_eq!(
            command(
                "[Container]\nImage=reg:5000/app:%N\nContainerName=my-%p\nExec=sh -c \"echo a  b\" 'x y' 100%%\n"
            ),
            ["--name=my-web", "reg:5000/app:web", "sh", "-c", "echo a  b", "x y", "100%"]
        );
        // The last Exec= counts; Entrypoint= may be empty.
        assert_eq!(
            command("[Container]\nImage=i\nEntrypoint=\nExec=a\nExec=b c\n"),
            ["--name=systemd-web", "--entrypoint=", "i", "b", "c"]
        );
    }

    #[test]
    fn environment_quoting_and_last_wins() {
        assert_eq!(
            command(
                "[Container]\nImage=i\nEnvironment=A=1 \"B=two words\" C\nEnvironment=A=3 D=\\x41\nLabel=l=v\nAnnotation=x=y\n"
            ),
            [
                "--name=systemd-web",
                "--env=A=3",
                "--env=B=two words",
                "--env=C",
                "--env=D=A",
                "--label=l=v",
                "--annotation=x=y",
                "i"
            ]
        );
    }

    #[test]
    fn ports_volumes_mounts_tmpfs() {
        let t = run(
            "[Container]\nImage=i\nPublishPort=8080:80\nPublishPort=127.0.0.1:53:53/udp\nExposeHostPort=9000-9001/tcp\n\
             Volume=./data:/data:Z\nVolume=/srv/x:/x\nVolume=named:/n\nVolume=/anon\n\
             Mount=type=bind,source=./conf,target=/conf \"type=tmpfs,destination=/t\"\nTmpfs=/run:size=1m\n",
        )
        .expect("translates");
        assert_eq!(
            t.command,
            [
                "--name=systemd-web",
                "--tmpfs=/run:size=1m",
                "--publish=8080:80",
                "--publish=127.0.0.1:53:53/udp",
                "--expose=9000-9001/tcp",
                "--volume=./data:/data:Z",
                "--volume=/srv/x:/x",
                "--volume=named:/n",
                "--volume=/anon",
                "--mount=type=bind,source=./conf,target=/conf",
                "--mount=type=tmpfs,destination=/t",
                "i"
            ]
        );
        assert!(
            t.unit.contains(&"RequiresMountsFor=/srv/x".to_owned()),
            "{:?}",
            t.unit
        );
        assert_eq!(
            refusal("[Container]\nImage=i\nExposeHostPort=80:80\n").key,
            "ExposeHostPort"
        );
        let r = refusal("[Container]\nImage=i\nVolume=data.volume:/d\n");
        assert!(r.message.contains("podman Quadlet unit"), "{r:?}");
    }

    #[test]
    fn networks_including_another_file() {
        assert_eq!(
            command("[Container]\nImage=i\nNetwork=host\nNetworkAlias=web\nIP=10.0.0.2\nDNS=1.1.1.1\nDNSSearch=example.com\nDNSOption=ndots:2\nAddHost=h:1.2.3.4\nHostName=web1\n"),
            [
                "--name=systemd-web",
                "--ip=10.0.0.2",
                "--hostname=web1",
                "--network-alias=web",
                "--dns=1.1.1.1",
                "--dns-option=ndots:2",
                "--dns-search=example.com",
                "--add-host=h:1.2.3.4",
                "--network=host",
                "i"
            ]
        );
        assert_eq!(
            command("[Container]\nImage=i\nNetwork=db.container\n"),
            ["--name=systemd-web", "--network=container:systemd-db", "i"]
        );
        assert_eq!(
            command("[Container]\nImage=i\nNetwork=container:other\n"),
            ["--name=systemd-web", "--network=container:other", "i"]
        );
        assert_eq!(
            refusal("[Container]\nImage=i\nNetwork=nope.container\n").line,
            3
        );
        assert!(refusal("[Container]\nImage=i\nNetwork=n.network\n")
            .message
            .contains("podman Quadlet unit"));
    }

    #[test]
    fn identity_security_resources_health() {
        assert_eq!(
            command(
                "[Container]\nImage=i\nUser=app\nGroup=staff\nGroupAdd=audio\nWorkingDir=/w\n\
                 AddCapability=NET_ADMIN SYS_TIME\nDropCapability=ALL\nNoNewPrivileges=yes\nReadOnly=true\n\
                 SeccompProfile=prof.json\nSecurityLabelDisable=true\nSysctl=net.ipv4.ip_forward=1\n\
                 Ulimit=nofile=1024:2048\nShmSize=64m\nMemory=1g\nPidsLimit=100\nStopSignal=SIGINT\nStopTimeout=20\n\
                 RunInit=on\nHealthCmd=test -f /ok\nHealthInterval=5s\nHealthRetries=3\nHealthStartPeriod=1s\nHealthTimeout=2s\n\
                 Notify=healthy\nPull=never\nLogDriver=journald\nLogOpt=tag=web\nAutoUpdate=registry\n"
            ),
            [
                "--name=systemd-web",
                "--pids-limit=100",
                "--shm-size=64m",
                "--workdir=/w",
                "--stop-signal=SIGINT",
                "--stop-timeout=20",
                "--pull=never",
                "--memory=1g",
                "--log-driver=journald",
                "--health-interval=5s",
                "--health-retries=3",
                "--health-start-period=1s",
                "--health-timeout=2s",
                "--auto-update=registry",
                "--health-cmd=test -f /ok",
                "--ulimit=nofile=1024:2048",
                "--group-add=audio",
                "--log-opt=tag=web",
                "--cap-add=NET_ADMIN",
                "--cap-add=SYS_TIME",
                "--cap-drop=ALL",
                "--sysctl=net.ipv4.ip_forward=1",
                "--init=true",
                "--read-only=true",
                "--tmpfs=/run",
                "--tmpfs=/tmp",
                "--tmpfs=/var/tmp",
                "--security-opt=no-new-privileges",
                "--security-opt=label=disable",
                "--security-opt=seccomp=prof.json",
                "--user=app:staff",
                "--sdnotify=healthy",
                "i"
            ]
        );
        assert_eq!(
            command("[Container]\nImage=i\nHealthCmd=none\nReadOnly=yes\nReadOnlyTmpfs=no\n"),
            [
                "--name=systemd-web",
                "--no-healthcheck",
                "--read-only=true",
                "i"
            ]
        );
        assert_eq!(refusal("[Container]\nImage=i\nGroup=staff\n").key, "Group");
        assert_eq!(
            refusal("[Container]\nImage=i\nReadOnly=maybe\n").key,
            "ReadOnly"
        );
        assert_eq!(refusal("[Container]\nImage=i\nNotify=yes\n").key, "Notify");
    }

    #[test]
    fn escape_hatch_and_devices() {
        assert_eq!(
            command("[Container]\nImage=i\nDockerArgs=--cpus 1.5 --restart=no\nPodmanArgs=--memory-swap \"2g\"\nAddDevice=/dev/null:/dev/n -/dev/does-not-exist\n"),
            [
                "--name=systemd-web",
                "--device=/dev/null:/dev/n",
                "--cpus",
                "1.5",
                "--restart=no",
                "--memory-swap",
                "2g",
                "i"
            ]
        );
    }

    #[test]
    fn refused_keys_name_line_and_key() {
        for (text, key, says) in [
            (
                "[Container]\nImage=i\nPod=p.pod\n",
                "Pod",
                "docker has no pods",
            ),
            ("[Container]\nRootfs=/r\n", "Rootfs", "--rootfs"),
            (
                "[Container]\nImage=i\nUserNS=keep-id\n",
                "UserNS",
                "keep-id",
            ),
            ("[Container]\nImage=i\nSecret=s\n", "Secret", "swarm"),
            (
                "[Container]\nImage=i\nEnvironmentHost=true\n",
                "EnvironmentHost",
                "--env-host",
            ),
            (
                "[Container]\nImage=i\nBogus=1\n",
                "Bogus",
                "unsupported key",
            ),
            (
                "[Container]\nImage=i\nReloadSignal=SIGTERM\n",
                "ReloadSignal",
                "forwards only",
            ),
            (
                "[Container]\nImage=i\nTimezone=Nowhere/Atlantis\n",
                "Timezone",
                "unknown time zone",
            ),
            (
                "[Container]\nImage=i\nExec=a\\q\n",
                "Exec",
                "unsupported escape",
            ),
            (
                "[Container]\nImage=i\nContainerName=%Z\n",
                "ContainerName",
                "specifier",
            ),
        ] {
            let r = refusal(text);
            assert_eq!(r.key, key, "{text}");
            assert_eq!(r.line, 3.min(text.lines().count()), "{text}");
            assert!(r.message.contains(says), "{text}: {r:?}");
        }
        assert!(refusal("[Container]\nExec=x\n")
            .message
            .contains("no `Image=`"));
        assert!(refusal("[Unit]\nDescription=x\n")
            .message
            .contains("no [Container]"));
        assert_eq!(
            refusal("[Container]\nImage=i\n[Socket]\nListenStream=1\n").key,
            "[Socket]"
        );
        assert_eq!(
            refusal("[Container]\nImage=i\n[Service]\nType=forking\n").key,
            "Type"
        );
    }

    #[test]
    fn passthrough_groups_and_dependencies() {
        let t = run(
            "[Unit]\nDescription=Web\nRequires=db.container network.target\nAfter=db.container\n\
             [Container]\nImage=i\nUserNS=host\nReloadSignal=SIGHUP\nUser=1000\n\
             [Service]\nRestart=always\nEnvironment=DOCKER_HOST=unix:///d.sock\n\
             [Install]\nWantedBy=multi-user.target\n[X-Mine]\nA=b\n",
        )
        .expect("translates");
        assert_eq!(
            t.command,
            ["--name=systemd-web", "--userns=host", "--user=1000", "i"]
        );
        assert_eq!(
            t.unit,
            [
                "Wants=network-online.target",
                "After=network-online.target",
                "Description=Web",
                "Requires=db.service network.target",
                "After=db.service"
            ]
        );
        assert_eq!(
            t.service,
            [
                "ExecReload=/bin/kill -s HUP $MAINPID",
                "Restart=always",
                "Environment=DOCKER_HOST=unix:///d.sock"
            ]
        );
        assert_eq!(t.install, ["WantedBy=multi-user.target"]);
        let quiet =
            run("[Quadlet]\nDefaultDependencies=false\n[Container]\nImage=i\n").expect("ok");
        assert!(quiet.unit.is_empty());
    }
}
