//! A validated container spec: what the user asked for, checked and normalised.
//!
//! `ContainerSpec::try_from(RawArgs)` applies docker run's value rules (the sub-grammars live in
//! `spec/*.rs`) and builds the create body exactly as the docker CLI would send it. Every field of
//! `RawArgs` is destructured here without `..`, so a flag cannot be added to `cli` and forgotten:
//! it is either honoured or refused by name. This module never talks to the engine; the only I/O it
//! does is what docker run itself does on the client side (reading `--env-file`/`--label-file`,
//! looking up `-e VAR` in the caller's environment, making a relative `-v` source absolute).

pub mod auto_update;
pub mod body;
pub mod devices;
pub mod env;
pub mod gpus;
pub mod health;
pub mod identity;
pub mod keys;
pub mod logging;
pub mod mounts;
pub mod network;
pub mod numbers;
pub mod ports;
pub mod resources;
pub mod restart;
pub mod security;
pub mod units;

use std::collections::BTreeMap;
use std::path::PathBuf;

use crate::cli::{RawArgs, Recreate};
use body::{CreateBody, HostConfig, NetworkingConfig};

/// Why a command line cannot become a container spec. Each variant names the flag at fault.
#[derive(Debug, thiserror::Error)]
pub enum SpecError {
    /// `--name` was not given.
    #[error("`--name` is required: dockrun finds the container by its name")]
    MissingName,
    /// The name breaks Docker's naming rule.
    #[error("invalid value `{0}` for `--name`: only [a-zA-Z0-9][a-zA-Z0-9_.-]+ are allowed")]
    InvalidName(String),
    /// No IMAGE positional.
    #[error("no image given: usage is `dockrun [OPTIONS] --name NAME IMAGE [COMMAND] [ARG...]`")]
    MissingImage,
    /// A flag's value breaks its grammar.
    #[error("invalid value `{value}` for `{flag}`: {reason}")]
    InvalidValue {
        /// The flag, spelled as its long form (`--publish`).
        flag: &'static str,
        /// The value as given.
        value: String,
        /// What is wrong with it.
        reason: String,
    },
    /// Two flags that cannot be combined.
    #[error("conflicting options: {0}")]
    Conflict(String),
    /// A docker run flag dockrun does not honour (yet): refused rather than ignored.
    #[error("`{flag}` is not supported by dockrun yet: {why}")]
    Unsupported {
        /// The flag, spelled as its long form.
        flag: &'static str,
        /// Why, or what to use instead.
        why: &'static str,
    },
    /// A file named by a flag could not be read.
    #[error("cannot read `{path}` given to `{flag}`")]
    File {
        /// The flag that named the file.
        flag: &'static str,
        /// The path as given.
        path: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
}

impl SpecError {
    /// Shorthand for [`SpecError::InvalidValue`].
    pub fn invalid(
        flag: &'static str,
        value: impl Into<String>,
        reason: impl Into<String>,
    ) -> Self {
        SpecError::InvalidValue {
            flag,
            value: value.into(),
            reason: reason.into(),
        }
    }
}

/// The label holding `--auto-update`'s policy: the one `dockrun.` label that is part of the
/// spec (changing the opt-in is drift like any other field).
pub const AUTO_UPDATE_LABEL: &str = "dockrun.auto-update";
/// The label naming the systemd unit whose dockrun created the container (`DOCKRUN_UNIT`); not
/// part of the spec (it says who runs the container, not what it does).
pub const UNIT_LABEL: &str = "dockrun.unit";

/// When to pull the image (`--pull`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PullPolicy {
    /// Pull only when the image is not present (docker run's default).
    Missing,
    /// Pull before every create.
    Always,
    /// Never pull; a missing image is an error.
    Never,
}

/// A flag that needs a newer Engine API than dockrun speaks by default: the engine's version is
/// checked (one `GET /version`) only when such a flag is used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ApiNeed {
    /// The flag, as docker names it in its refusal.
    pub flag: &'static str,
    /// The lowest API version that honours it, `(major, minor)`.
    pub version: (u32, u32),
}

/// When dockrun tells systemd it is ready (`--sdnotify`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum ReadyWhen {
    /// Once the container is running (and attached, in the foreground).
    #[default]
    Running,
    /// Once the container's healthcheck reports healthy.
    Healthy,
}

/// Which standard streams a foreground run attaches.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Streams {
    /// Forward dockrun's stdin to the container.
    pub stdin: bool,
    /// Copy the container's stdout to dockrun's stdout.
    pub stdout: bool,
    /// Copy the container's stderr to dockrun's stderr.
    pub stderr: bool,
}

/// Everything dockrun needs to make the container true, validated.
#[derive(Clone, Debug)]
pub struct ContainerSpec {
    /// The container's name, without a leading `/`.
    pub name: String,
    /// The image reference exactly as typed.
    pub image: String,
    /// The create body, as the docker CLI would send it.
    pub body: CreateBody,
    /// `--platform`, sent as the create query parameter and to the pull.
    pub platform: Option<String>,
    /// `--pull`.
    pub pull: PullPolicy,
    /// `--quiet`: no pull progress.
    pub quiet: bool,
    /// `-d`: print the ID and return once the container runs.
    pub detach: bool,
    /// `-a` / `-i`: the streams a foreground run attaches.
    pub streams: Streams,
    /// `-t`.
    pub tty: bool,
    /// `--sig-proxy` (default true).
    pub sig_proxy: bool,
    /// `--detach-keys`.
    pub detach_keys: Option<String>,
    /// `--rm`.
    pub auto_remove: bool,
    /// `--cidfile`.
    pub cidfile: Option<PathBuf>,
    /// `--stop-timeout`, when given.
    pub stop_timeout: Option<i64>,
    /// `--recreate`.
    pub recreate: Recreate,
    /// `--dry-run`.
    pub dry_run: bool,
    /// `--sdnotify`.
    pub ready_when: ReadyWhen,
    /// `--wait` (with `-d`).
    pub wait: bool,
    /// `--wait-timeout`, when given.
    pub wait_timeout: Option<std::time::Duration>,
    /// The newest API version a flag in use needs, if any.
    pub needs_api: Option<ApiNeed>,
    /// `--use-api-socket`: the engine's socket is bound in once the engine's address is known.
    pub use_api_socket: bool,
    /// `--auto-update`: how `dockrun --update-images` keeps the image current, if at all.
    pub auto_update: Option<auto_update::AutoUpdate>,
}

impl ContainerSpec {
    /// The engine restart policy's name as the create body carries it (`--restart`), `no` when
    /// there is none.
    #[must_use]
    pub fn restart_policy_name(&self) -> &str {
        self.body
            .host_config
            .as_ref()
            .and_then(|h| h.restart_policy.as_ref())
            .and_then(|p| p.name.as_deref())
            .unwrap_or("no")
    }

    /// Record the systemd unit that runs this dockrun (`DOCKRUN_UNIT`) as the `dockrun.unit`
    /// label, so `--update-images` restarts that unit rather than replace the container behind
    /// systemd's back. Not part of the spec: `drift` drops it with dockrun's other labels.
    pub fn record_unit(&mut self, unit: Option<String>) {
        if let Some(unit) = unit.filter(|u| !u.is_empty()) {
            self.body
                .labels
                .get_or_insert_with(std::collections::BTreeMap::new)
                .insert(UNIT_LABEL.to_owned(), unit);
        }
    }

    /// `--use-api-socket`, as docker run does it: bind the engine's unix socket at
    /// `/var/run/docker.sock` (appended to `HostConfig.Mounts`).
    ///
    /// # Errors
    /// The engine is not reached through a unix socket, or the docker configuration may hold
    /// registry credentials, which docker would copy into the container and dockrun does not.
    pub fn mount_api_socket(
        &mut self,
        engine_host: &str,
        credentials: bool,
    ) -> Result<(), SpecError> {
        let Some(socket) = engine_host.strip_prefix("unix://") else {
            return Err(SpecError::invalid(
                "--use-api-socket",
                engine_host,
                "can only be used with an engine reached through a unix socket",
            ));
        };
        if credentials {
            return Err(SpecError::Unsupported {
                flag: "--use-api-socket",
                why:
                    "the docker configuration holds registry credentials, which docker would copy \
                      into the container; dockrun does not forward credentials",
            });
        }
        let host_config = self
            .body
            .host_config
            .get_or_insert_with(HostConfig::default);
        host_config
            .mounts
            .get_or_insert_with(Vec::new)
            .push(body::Mount {
                typ: Some("bind".into()),
                source: Some(socket.to_owned()),
                target: Some("/var/run/docker.sock".into()),
                bind_options: Some(body::BindOptions::default()),
                ..body::Mount::default()
            });
        Ok(())
    }
}

/// Docker's container-name rule: `^/?[a-zA-Z0-9][a-zA-Z0-9_.-]+$`.
fn valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    let first_ok = chars.next().is_some_and(|c| c.is_ascii_alphanumeric());
    first_ok
        && name.len() >= 2
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
}

/// `Some(value)` unless empty, as the docker CLI leaves empty strings unset.
fn non_empty(value: Option<String>) -> Option<String> {
    value.filter(|v| !v.is_empty())
}

/// The command line's values, validated and typed: what the create body is assembled from
/// (`into_body`).
struct Validated {
    image: String,
    command: Vec<String>,
    entrypoint: Option<String>,
    hostname: Option<String>,
    domainname: Option<String>,
    user: Option<String>,
    workdir: Option<String>,
    streams: Streams,
    tty: bool,
    interactive: bool,
    env: Vec<String>,
    labels: BTreeMap<String, String>,
    ports: ports::Published,
    networking: network::Networking,
    links: Vec<String>,
    dns: Vec<String>,
    dns_option: Vec<String>,
    dns_search: Vec<String>,
    extra_hosts: Vec<String>,
    volumes: mounts::Volumes,
    tmpfs: BTreeMap<String, String>,
    mounts: Option<Vec<body::Mount>>,
    storage_opt: Option<BTreeMap<String, String>>,
    volume_driver: Option<String>,
    volumes_from: Vec<String>,
    read_only: bool,
    security: security::SecurityOpts,
    sysctls: Option<BTreeMap<String, String>>,
    /// `--userns`, `--cgroupns`, `--ipc`, `--pid`, `--uts`.
    namespaces: [Option<String>; 5],
    cap_add: Vec<String>,
    cap_drop: Vec<String>,
    group_add: Vec<String>,
    privileged: bool,
    log_config: body::LogConfig,
    healthcheck: Option<body::HealthConfig>,
    /// `--platform` (not part of the body: a create query parameter).
    platform: Option<String>,
    stop_signal: Option<String>,
    stop_timeout: Option<i64>,
    cidfile: Option<PathBuf>,
    restart_policy: restart::RestartPolicy,
    auto_remove: bool,
    publish_all: bool,
    isolation: Option<String>,
    annotations: Option<BTreeMap<String, String>>,
    runtime: Option<String>,
    init: Option<bool>,
    /// The resource flags' part of `HostConfig`.
    resources: HostConfig,
}

/// `--sdnotify`: when dockrun says READY=1.
fn parse_sdnotify(value: Option<&str>) -> Result<ReadyWhen, SpecError> {
    match value {
        None | Some("running") => Ok(ReadyWhen::Running),
        Some("healthy") => Ok(ReadyWhen::Healthy),
        Some(other) => Err(SpecError::invalid(
            "--sdnotify",
            other,
            "must be `running` or `healthy`",
        )),
    }
}

/// `--wait-timeout`: a Go duration, not negative.
fn parse_wait_timeout(text: &str) -> Result<std::time::Duration, SpecError> {
    let nanos = health::parse_go_duration(text)
        .map_err(|reason| SpecError::invalid("--wait-timeout", text, &reason))?;
    let nanos = u64::try_from(nanos)
        .map_err(|_| SpecError::invalid("--wait-timeout", text, "must not be negative"))?;
    Ok(std::time::Duration::from_nanos(nanos))
}

/// `--stop-timeout`: whole seconds.
fn parse_stop_timeout(value: &str) -> Result<i64, SpecError> {
    value.trim().parse::<i64>().map_err(|_| {
        SpecError::invalid(
            "--stop-timeout",
            value,
            "must be an integer number of seconds",
        )
    })
}

/// `-a`, `-i` and `-d` → the streams a foreground run attaches (docker/cli's `parse`).
fn attach_streams(
    detach: bool,
    attach: &[String],
    interactive: bool,
) -> Result<Streams, SpecError> {
    if detach && !attach.is_empty() {
        return Err(SpecError::Conflict(
            "cannot specify both `--attach` and `--detach`".into(),
        ));
    }
    let mut streams = Streams {
        stdin: false,
        stdout: attach.is_empty(),
        stderr: attach.is_empty(),
    };
    for stream in attach {
        match stream.to_ascii_lowercase().as_str() {
            "stdin" => streams.stdin = true,
            "stdout" => streams.stdout = true,
            "stderr" => streams.stderr = true,
            _ => {
                return Err(SpecError::invalid(
                    "--attach",
                    stream,
                    "valid streams are STDIN, STDOUT and STDERR",
                ))
            }
        }
    }
    streams.stdin |= interactive;
    if detach {
        streams = Streams::default();
    }
    Ok(streams)
}

/// `--cap-add`/`--cap-drop` as the docker CLI sends them: upper case, `CAP_` prefixed (but
/// `ALL`), sorted, without duplicates; `None` when none is given.
fn capabilities(list: &[String]) -> Option<Vec<String>> {
    if list.is_empty() {
        return None;
    }
    let mut out: Vec<String> = list
        .iter()
        .map(|c| {
            let upper = c.to_ascii_uppercase();
            if upper == "ALL" || upper.starts_with("CAP_") {
                upper
            } else {
                format!("CAP_{upper}")
            }
        })
        .collect();
    out.sort();
    out.dedup();
    Some(out)
}

/// `Some(list)` unless empty.
fn non_empty_vec<T>(list: Vec<T>) -> Option<Vec<T>> {
    (!list.is_empty()).then_some(list)
}

impl Validated {
    /// The create body, as the docker CLI would send it.
    fn into_body(self) -> CreateBody {
        let open_stdin = self.interactive;
        let [userns, cgroupns, ipc, pid, uts] = self.namespaces;
        CreateBody {
            hostname: Some(self.hostname.unwrap_or_default()),
            domainname: Some(self.domainname.unwrap_or_default()),
            user: Some(self.user.unwrap_or_default()),
            attach_stdin: Some(self.streams.stdin),
            attach_stdout: Some(self.streams.stdout),
            attach_stderr: Some(self.streams.stderr),
            exposed_ports: (!self.ports.exposed.is_empty()).then_some(self.ports.exposed),
            tty: Some(self.tty),
            open_stdin: Some(open_stdin),
            stdin_once: Some(open_stdin && self.streams.stdin),
            env: non_empty_vec(self.env),
            cmd: non_empty_vec(self.command),
            healthcheck: self.healthcheck,
            image: Some(self.image),
            volumes: Some(self.volumes.anonymous),
            working_dir: Some(self.workdir.unwrap_or_default()),
            entrypoint: self.entrypoint.map(|e| vec![e]),
            labels: Some(self.labels),
            stop_signal: non_empty(self.stop_signal),
            stop_timeout: self.stop_timeout,
            host_config: Some(HostConfig {
                binds: non_empty_vec(self.volumes.binds),
                container_id_file: self.cidfile.as_ref().map(|c| c.display().to_string()),
                log_config: Some(self.log_config),
                network_mode: Some(self.networking.mode),
                port_bindings: Some(self.ports.bindings),
                restart_policy: Some(self.restart_policy.into_body()),
                auto_remove: Some(self.auto_remove),
                console_size: Some(vec![0, 0]),
                cap_add: capabilities(&self.cap_add),
                cap_drop: capabilities(&self.cap_drop),
                dns: Some(self.dns),
                dns_options: Some(self.dns_option),
                dns_search: Some(self.dns_search),
                volume_driver: non_empty(self.volume_driver),
                volumes_from: non_empty_vec(self.volumes_from),
                mounts: self.mounts,
                storage_opt: self.storage_opt,
                security_opt: self.security.opts,
                masked_paths: self.security.unmasked.then(Vec::new),
                readonly_paths: self.security.unmasked.then(Vec::new),
                sysctls: self.sysctls,
                userns_mode: userns,
                cgroupns_mode: cgroupns,
                ipc_mode: ipc,
                pid_mode: pid,
                uts_mode: uts,
                isolation: self.isolation,
                annotations: self.annotations,
                extra_hosts: non_empty_vec(self.extra_hosts),
                group_add: non_empty_vec(self.group_add),
                links: non_empty_vec(self.links),
                privileged: Some(self.privileged),
                publish_all_ports: Some(self.publish_all),
                readonly_rootfs: Some(self.read_only),
                tmpfs: (!self.tmpfs.is_empty()).then_some(self.tmpfs),
                runtime: non_empty(self.runtime),
                init: self.init,
                ..self.resources
            }),
            networking_config: Some(NetworkingConfig {
                endpoints_config: Some(self.networking.endpoints),
            }),
        }
    }
}

impl TryFrom<RawArgs> for ContainerSpec {
    type Error = SpecError;

    /// The jobs, one after the other: validate every value (here, with the `spec/*` grammars),
    /// normalise the capabilities and assemble the create body (`Validated::into_body`), then
    /// read what the body needs of the API off the body itself (`body::SINCE`, the same table
    /// the engine applies to the version it speaks).
    fn try_from(raw: RawArgs) -> Result<Self, SpecError> {
        let RawArgs {
            recreate,
            dry_run,
            sdnotify,
            auto_update,
            wait,
            wait_timeout,
            // `--print-unit` and the typed command line are `unit`'s, `--update-images`
            // is `update`'s, wired in `app`.
            print_unit: _,
            update_images: _,
            argv: _,
            // Output and logging are dockrun's own business: `app` and `main` read them first.
            log_level: _,
            format: _,
            generate: _,
            help: _,
            version: _,
            name,
            detach,
            rm,
            restart,
            cidfile,
            platform,
            pull,
            quiet,
            disable_content_trust,
            init,
            stop_signal,
            stop_timeout,
            runtime,
            isolation,
            annotation,
            use_api_socket,
            entrypoint,
            workdir,
            user,
            hostname,
            domainname,
            env,
            env_file,
            label,
            label_file,
            network,
            network_alias,
            ip,
            ip6,
            link_local_ip,
            mac_address,
            link,
            publish,
            publish_all,
            expose,
            dns,
            dns_option,
            dns_search,
            add_host,
            volume,
            mount,
            tmpfs,
            volumes_from,
            volume_driver,
            read_only,
            storage_opt,
            resources: resource_args,
            privileged,
            cap_add,
            cap_drop,
            security_opt,
            userns,
            cgroupns,
            ipc,
            pid,
            uts,
            group_add,
            sysctl,
            log_driver,
            log_opt,
            health_cmd,
            health_interval,
            health_timeout,
            health_start_period,
            health_start_interval,
            health_retries,
            no_healthcheck,
            attach,
            interactive,
            tty,
            detach_keys,
            sig_proxy,
            image_and_command,
        } = raw;

        // ---- identity: checked first, so a bad name never reaches the engine ----
        let name = name
            .filter(|n| !n.is_empty())
            .ok_or(SpecError::MissingName)?;
        let name = name.strip_prefix('/').unwrap_or(&name).to_owned();
        if !valid_name(&name) {
            return Err(SpecError::InvalidName(name));
        }
        let mut positional = image_and_command.into_iter();
        let image = positional
            .next()
            .filter(|i| !i.is_empty())
            .ok_or(SpecError::MissingImage)?;
        let command: Vec<String> = positional.collect();

        // ---- flags not honoured yet: refused by name, never ignored ----
        if disable_content_trust == Some(false) {
            return Err(SpecError::Unsupported {
                flag: "--disable-content-trust",
                why: "content trust (Notary) is not implemented; images are used as tagged",
            });
        }
        let ready_when = parse_sdnotify(sdnotify.as_deref())?;
        let wait = wait.unwrap_or(false);
        if wait && detach != Some(true) {
            return Err(SpecError::Conflict(
                "`--wait` needs `-d` (in the foreground, `--sdnotify=healthy` tells systemd when the container is healthy)".into(),
            ));
        }
        let wait_timeout = wait_timeout
            .as_deref()
            .map(parse_wait_timeout)
            .transpose()?;
        if let Some(keys) = &detach_keys {
            keys::parse_detach_keys(keys)?;
        }

        // ---- resources (spec/resources.rs) ----
        let resources = resource_args.into_host_config()?;

        // ---- lifecycle ----
        let detach = detach.unwrap_or(false);
        let auto_remove = rm.unwrap_or(false);
        let restart_policy = restart::parse_restart(restart.as_deref())?;
        if auto_remove && !restart_policy.is_no() {
            return Err(SpecError::Conflict(
                "cannot specify both `--restart` and `--rm`".into(),
            ));
        }
        let pull = restart::parse_pull(pull.as_deref())?;
        let stop_timeout = stop_timeout
            .as_deref()
            .map(parse_stop_timeout)
            .transpose()?;
        let cidfile = cidfile.filter(|c| !c.is_empty()).map(PathBuf::from);

        // ---- attach matrix ----
        let interactive = interactive.unwrap_or(false);
        let tty = tty.unwrap_or(false);
        let streams = attach_streams(detach, &attach, interactive)?;

        // ---- environment and labels ----
        let mut env_list = env::read_env_files(&env_file)?;
        env_list.extend(env::parse_env_flags(&env)?);
        let mut labels = env::parse_labels(&label_file, &label)?;
        // The opt-in is a label, so it is part of the recorded spec: changing it is drift.
        let auto_update = auto_update::parse_auto_update(auto_update.as_deref())?;
        if let Some(policy) = auto_update {
            labels.insert(AUTO_UPDATE_LABEL.to_owned(), policy.as_str().to_owned());
        }

        // ---- networking ----
        let mut ports = ports::parse_publish(&publish)?;
        ports.exposed.extend(ports::parse_expose(&expose)?);
        let links = network::parse_links(&link)?;
        let networking = network::parse_networks(&network::NetworkFlags {
            network,
            aliases: network_alias,
            ip,
            ip6,
            link_local_ips: link_local_ip,
            mac_address,
            links: links.clone(),
        })?;

        // ---- the rest, each flag through its grammar ----
        let values = Validated {
            image: image.clone(),
            command,
            entrypoint,
            hostname,
            domainname,
            user,
            workdir,
            streams,
            tty,
            interactive,
            env: env_list,
            labels,
            ports,
            networking,
            links,
            dns: network::parse_dns(&dns)?,
            dns_option,
            dns_search: network::parse_dns_search(&dns_search)?,
            extra_hosts: network::parse_add_hosts(&add_host)?,
            volumes: mounts::parse_volumes(&volume)?,
            tmpfs: mounts::parse_tmpfs(&tmpfs)?,
            mounts: mounts::parse_mounts(&mount)?,
            storage_opt: mounts::parse_storage_opts(&storage_opt)?,
            volume_driver,
            volumes_from,
            read_only: read_only.unwrap_or(false),
            security: security::parse_security_opts(&security_opt)?,
            sysctls: security::parse_sysctls(&sysctl)?,
            namespaces: [
                security::parse_namespace("--userns", userns)?,
                security::parse_namespace("--cgroupns", cgroupns)?,
                security::parse_namespace("--ipc", ipc)?,
                security::parse_namespace("--pid", pid)?,
                security::parse_namespace("--uts", uts)?,
            ],
            cap_add,
            cap_drop,
            group_add,
            privileged: privileged.unwrap_or(false),
            log_config: logging::parse_logging(log_driver, &log_opt)?,
            healthcheck: health::parse_health(&health::HealthFlags {
                cmd: health_cmd,
                interval: health_interval,
                timeout: health_timeout,
                start_period: health_start_period,
                start_interval: health_start_interval,
                retries: health_retries,
                none: no_healthcheck.unwrap_or(false),
            })?,
            platform: identity::parse_platform(platform)?,
            stop_signal,
            stop_timeout,
            cidfile: cidfile.clone(),
            restart_policy,
            auto_remove,
            publish_all: publish_all.unwrap_or(false),
            isolation: identity::parse_isolation(isolation)?,
            annotations: identity::parse_annotations(&annotation),
            runtime,
            init,
            resources,
        };
        let platform = values.platform.clone();
        let body = values.into_body();
        Ok(ContainerSpec {
            name,
            image,
            needs_api: body.api_need(),
            platform,
            body,
            pull,
            quiet: quiet.unwrap_or(false),
            detach,
            streams,
            tty,
            sig_proxy: sig_proxy.unwrap_or(true),
            detach_keys,
            auto_remove,
            cidfile,
            stop_timeout,
            recreate,
            dry_run: dry_run.unwrap_or(false),
            ready_when,
            wait,
            wait_timeout,
            use_api_socket: use_api_socket.unwrap_or(false),
            auto_update,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(args: &[&str]) -> Result<ContainerSpec, SpecError> {
        let mut argv = vec!["dockrun"];
        argv.extend_from_slice(args);
        ContainerSpec::try_from(RawArgs::parse_from_argv(argv).expect("parses"))
    }

    #[test]
    fn names() {
        assert_eq!(spec(&["--name", "web", "img"]).expect("ok").name, "web");
        assert_eq!(spec(&["--name=/web", "img"]).expect("ok").name, "web");
        assert!(matches!(spec(&["img"]), Err(SpecError::MissingName)));
        assert!(matches!(
            spec(&["--name=", "img"]),
            Err(SpecError::MissingName)
        ));
        for bad in ["w", "-web", "we b", "web/x", "_web", "wéb"] {
            assert!(
                matches!(
                    spec(&["--name", bad, "img"]),
                    Err(SpecError::InvalidName(_))
                ),
                "{bad}"
            );
        }
    }

    #[test]
    fn image_and_command_kept_verbatim() {
        let s = spec(&["--name", "xy", "img", "sh", "-c", "echo  'a   b'"]).expect("ok");
        assert_eq!(s.image, "img");
        assert_eq!(
            s.body.cmd,
            Some(vec!["sh".into(), "-c".into(), "echo  'a   b'".into()])
        );
        assert!(matches!(
            spec(&["--name", "xy"]),
            Err(SpecError::MissingImage)
        ));
    }

    #[test]
    fn unsupported_flags_are_named() {
        let err = spec(&["--name", "xy", "--kernel-memory", "1g", "img"]).expect_err("refused");
        assert!(err.to_string().contains("`--kernel-memory`"), "{err}");
    }

    #[test]
    fn api_socket_is_bound_only_from_a_unix_socket_without_credentials() {
        let mut s = spec(&["--name", "xy", "--use-api-socket", "img"]).expect("ok");
        assert!(s.use_api_socket);
        s.mount_api_socket("unix:///run/docker.sock", false)
            .expect("ok");
        let mounts = s.body.host_config.as_ref().and_then(|h| h.mounts.clone());
        let mount = &mounts.expect("mounts")[0];
        assert_eq!(mount.source.as_deref(), Some("/run/docker.sock"));
        assert_eq!(mount.target.as_deref(), Some("/var/run/docker.sock"));
        assert!(s.mount_api_socket("tcp://h:2375", false).is_err());
        assert!(s.mount_api_socket("unix:///run/docker.sock", true).is_err());
    }

    #[test]
    fn flags_needing_a_newer_api_are_recorded() {
        let need = |args: &[&str]| {
            let mut argv = vec!["--name", "xy"];
            argv.extend_from_slice(args);
            argv.push("img");
            spec(&argv)
                .expect("ok")
                .needs_api
                .map(|n| (n.flag, n.version))
        };
        assert_eq!(need(&[]), None);
        assert_eq!(
            need(&["--annotation", "a=b"]),
            Some(("--annotation", (1, 43)))
        );
        assert_eq!(
            need(&["--annotation", "a", "--health-start-interval", "1s"]),
            Some(("--health-start-interval", (1, 44)))
        );
        assert_eq!(
            need(&["--network", "n", "--mac-address", "02:42:ac:11:00:02"]).map(|n| n.1),
            Some((1, 44))
        );
    }

    #[test]
    fn sdnotify_and_detach_keys() {
        assert_eq!(
            spec(&["--name", "xy", "img"]).expect("ok").ready_when,
            ReadyWhen::Running
        );
        assert_eq!(
            spec(&["--name", "xy", "--sdnotify=healthy", "img"])
                .expect("ok")
                .ready_when,
            ReadyWhen::Healthy
        );
        let err = spec(&["--name", "xy", "--sdnotify", "up", "img"]).expect_err("refused");
        assert!(err.to_string().contains("`--sdnotify`"), "{err}");
        let s = spec(&["--name", "xy", "--detach-keys", "ctrl-a,x", "img"]).expect("ok");
        assert_eq!(s.detach_keys.as_deref(), Some("ctrl-a,x"));
        assert!(spec(&["--name", "xy", "--detach-keys", "ctrl-", "img"]).is_err());
    }

    #[test]
    fn rm_conflicts_with_restart() {
        assert!(matches!(
            spec(&["--name", "xy", "--rm", "--restart", "always", "img"]),
            Err(SpecError::Conflict(_))
        ));
        assert!(spec(&["--name", "xy", "--rm", "--restart", "no", "img"]).is_ok());
    }

    #[test]
    fn attach_matrix() {
        let s = spec(&["--name", "xy", "-i", "img"]).expect("ok");
        assert_eq!(
            s.streams,
            Streams {
                stdin: true,
                stdout: true,
                stderr: true
            }
        );
        assert_eq!(s.body.stdin_once, Some(true));
        let s = spec(&["--name", "xy", "-dit", "img"]).expect("ok");
        assert_eq!(s.streams, Streams::default());
        assert_eq!(
            (s.body.open_stdin, s.body.tty, s.body.stdin_once),
            (Some(true), Some(true), Some(false))
        );
        assert!(matches!(
            spec(&["--name", "xy", "-d", "-a", "stdout", "img"]),
            Err(SpecError::Conflict(_))
        ));
    }

    #[test]
    fn capabilities_normalised() {
        let s = spec(&[
            "--name",
            "xy",
            "--cap-add",
            "net_admin",
            "--cap-add=CAP_SYS_TIME",
            "--cap-add",
            "NET_ADMIN",
            "img",
        ])
        .expect("ok");
        let hc = s.body.host_config.expect("host config");
        assert_eq!(
            hc.cap_add,
            Some(vec!["CAP_NET_ADMIN".into(), "CAP_SYS_TIME".into()])
        );
    }
}
