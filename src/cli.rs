//! The `docker run` argument grammar, and nothing more.
//!
//! `RawArgs` mirrors every flag of `docker run --help` (docker CLI 28.x) by name, with pflag's
//! rules: booleans take an optional `=VALUE` (`--rm=false`), value flags take the next argument
//! even when it starts with `-` (`--memory-swappiness -1`), scalar flags given twice keep the last
//! value, list flags append, and parsing stops at IMAGE: everything after it is the container's
//! command. This module must not validate values or decide anything; `spec` does that.

use std::ffi::OsString;

use clap::{ArgAction, Parser};

/// A pflag boolean: `--flag`, `--flag=true`, `--flag=false` (and Go's other spellings).
fn parse_bool(value: &str) -> Result<bool, String> {
    match value {
        "1" | "t" | "T" | "true" | "TRUE" | "True" => Ok(true),
        "0" | "f" | "F" | "false" | "FALSE" | "False" => Ok(false),
        other => Err(format!("invalid boolean value `{other}`")),
    }
}

/// How `dockrun` treats an existing container whose configuration differs from the command line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum, Default)]
pub enum Recreate {
    /// Keep the existing container (warn about any difference).
    #[default]
    Never,
    /// Replace the container when what was asked for differs from what exists.
    Changed,
    /// Replace the container on every launch.
    Always,
}

/// What dockrun prints on stdout for a launch (`--format`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum, Default)]
pub enum OutputFormat {
    /// The container's full ID (what `docker run -d` prints).
    #[default]
    Id,
    /// One JSON object: id, name, image and the action taken.
    Json,
}

/// What `--generate` prints (dockrun's own, hidden flag; docker run has no such flag).
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Generate {
    /// The man page, roff (`dockrun.1`).
    Man,
    /// bash completions.
    Bash,
    /// zsh completions.
    Zsh,
    /// fish completions.
    Fish,
    /// elvish completions.
    Elvish,
    /// `PowerShell` completions.
    Powershell,
}

/// Everything on the command line, typed but not yet validated.
#[derive(Debug, Default, Parser)]
#[command(
    name = "dockrun",
    version,
    about = "An idempotent `docker run`: make the named container exist and run",
    override_usage = "dockrun [OPTIONS] --name NAME IMAGE [COMMAND] [ARG...]",
    disable_help_flag = true,
    disable_version_flag = true,
    args_override_self = true,
    max_term_width = 100
)]
pub struct RawArgs {
    // ---- dockrun's own flags (none collides with a docker run flag) ----
    /// What to do when the existing container differs from this command line
    #[arg(long, value_enum, default_value_t = Recreate::Never, help_heading = "dockrun")]
    pub recreate: Recreate,
    /// Print what would be done (create / start / nothing / recreate) and change nothing
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "true", value_parser = parse_bool, help_heading = "dockrun")]
    pub dry_run: Option<bool>,
    /// When to send READY=1 to systemd: once the container runs, or once it is healthy
    #[arg(
        long,
        value_name = "running|healthy",
        allow_hyphen_values = true,
        help_heading = "dockrun"
    )]
    pub sdnotify: Option<String>,
    /// With -d: return only once the container is healthy (without a healthcheck: still running 3s after it started); else exit non-zero with its last log lines
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "true", value_parser = parse_bool, help_heading = "dockrun")]
    pub wait: Option<bool>,
    /// How long --wait, --sdnotify=healthy and a replacement's health gate wait for healthy (default: start period + retries x (interval + timeout) + 10s); 0 turns the replacement's gate off and lets --sdnotify=healthy wait without a bound
    #[arg(
        long,
        value_name = "DURATION",
        allow_hyphen_values = true,
        help_heading = "dockrun"
    )]
    pub wait_timeout: Option<String>,
    /// Print a systemd unit (Type=notify) running the rest of this command line, and exit; must come first
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "true", value_parser = parse_bool, help_heading = "dockrun")]
    pub print_unit: Option<bool>,
    /// Update the images of the containers with --auto-update (or of the NAMEs given): pull, replace, roll back a failure; must come first
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "true", value_parser = parse_bool, help_heading = "dockrun")]
    pub update_images: Option<bool>,
    /// Keep this container's image current with `dockrun --update-images`: `registry` (the tag's digest in its registry changed) or `local` (the tag names another local image)
    #[arg(
        long,
        value_name = "registry|local",
        allow_hyphen_values = true,
        help_heading = "dockrun"
    )]
    pub auto_update: Option<String>,
    /// dockrun's own logs: off|error|warn|info|debug|trace, or targets with levels (dockrun=debug,warn); default: DOCKRUN_LOG, else info
    #[arg(
        long,
        value_name = "LEVEL",
        allow_hyphen_values = true,
        help_heading = "dockrun"
    )]
    pub log_level: Option<String>,
    /// Print `json` (one object: id, name, image, action) instead of the bare container ID
    #[arg(
        long,
        value_enum,
        value_name = "id|json",
        hide_possible_values = true,
        help_heading = "dockrun"
    )]
    pub format: Option<OutputFormat>,
    /// Print a man page or a shell completion script generated from these flags, and exit
    #[arg(
        long,
        value_enum,
        value_name = "KIND",
        hide = true,
        help_heading = "dockrun"
    )]
    pub generate: Option<Generate>,
    /// Print help
    #[arg(long, action = ArgAction::HelpShort, help_heading = "dockrun")]
    pub help: Option<bool>,
    /// Print version
    #[arg(long, action = ArgAction::Version, help_heading = "dockrun")]
    pub version: Option<bool>,

    // ---- identity and lifecycle ----
    /// Assign a name to the container (required)
    #[arg(
        help_heading = "Identity and lifecycle",
        long,
        allow_hyphen_values = true
    )]
    pub name: Option<String>,
    /// Run container in background and print container ID
    #[arg(help_heading = "Identity and lifecycle", short = 'd', long, num_args = 0..=1, require_equals = true, default_missing_value = "true", value_parser = parse_bool)]
    pub detach: Option<bool>,
    /// Automatically remove the container and its anonymous volumes when it exits
    #[arg(help_heading = "Identity and lifecycle", long, num_args = 0..=1, require_equals = true, default_missing_value = "true", value_parser = parse_bool)]
    pub rm: Option<bool>,
    /// Restart policy to apply when a container exits (default "no")
    #[arg(
        help_heading = "Identity and lifecycle",
        long,
        allow_hyphen_values = true
    )]
    pub restart: Option<String>,
    /// Write the container ID to the file
    #[arg(
        help_heading = "Identity and lifecycle",
        long,
        allow_hyphen_values = true
    )]
    pub cidfile: Option<String>,
    /// Set platform if server is multi-platform capable
    #[arg(
        help_heading = "Identity and lifecycle",
        long,
        allow_hyphen_values = true
    )]
    pub platform: Option<String>,
    /// Pull image before running ("always", "missing", "never") (default "missing")
    #[arg(
        help_heading = "Identity and lifecycle",
        long,
        allow_hyphen_values = true
    )]
    pub pull: Option<String>,
    /// Suppress the pull output
    #[arg(help_heading = "Identity and lifecycle", short = 'q', long, num_args = 0..=1, require_equals = true, default_missing_value = "true", value_parser = parse_bool)]
    pub quiet: Option<bool>,
    /// Skip image verification (default true)
    #[arg(help_heading = "Identity and lifecycle", long, num_args = 0..=1, require_equals = true, default_missing_value = "true", value_parser = parse_bool)]
    pub disable_content_trust: Option<bool>,
    /// Run an init inside the container that forwards signals and reaps processes
    #[arg(help_heading = "Identity and lifecycle", long, num_args = 0..=1, require_equals = true, default_missing_value = "true", value_parser = parse_bool)]
    pub init: Option<bool>,
    /// Signal to stop the container
    #[arg(
        help_heading = "Identity and lifecycle",
        long,
        allow_hyphen_values = true
    )]
    pub stop_signal: Option<String>,
    /// Timeout (in seconds) to stop a container
    #[arg(
        help_heading = "Identity and lifecycle",
        long,
        allow_hyphen_values = true
    )]
    pub stop_timeout: Option<String>,
    /// Runtime to use for this container
    #[arg(
        help_heading = "Identity and lifecycle",
        long,
        allow_hyphen_values = true
    )]
    pub runtime: Option<String>,
    /// Container isolation technology
    #[arg(
        help_heading = "Identity and lifecycle",
        long,
        allow_hyphen_values = true
    )]
    pub isolation: Option<String>,
    /// Add an annotation to the container (passed through to the OCI runtime)
    #[arg(help_heading = "Identity and lifecycle", long, action = ArgAction::Append, allow_hyphen_values = true)]
    pub annotation: Vec<String>,
    /// Bind mount Docker API socket and required auth
    #[arg(help_heading = "Identity and lifecycle", long, num_args = 0..=1, require_equals = true, default_missing_value = "true", value_parser = parse_bool)]
    pub use_api_socket: Option<bool>,

    // ---- process ----
    /// Overwrite the default ENTRYPOINT of the image
    #[arg(help_heading = "Process", long, allow_hyphen_values = true)]
    pub entrypoint: Option<String>,
    /// Working directory inside the container
    #[arg(
        help_heading = "Process",
        short = 'w',
        long,
        allow_hyphen_values = true
    )]
    pub workdir: Option<String>,
    /// Username or UID (format: <name|uid>[:<group|gid>])
    #[arg(
        help_heading = "Process",
        short = 'u',
        long,
        allow_hyphen_values = true
    )]
    pub user: Option<String>,
    /// Container host name
    #[arg(
        help_heading = "Process",
        short = 'h',
        long,
        allow_hyphen_values = true
    )]
    pub hostname: Option<String>,
    /// Container NIS domain name
    #[arg(help_heading = "Process", long, allow_hyphen_values = true)]
    pub domainname: Option<String>,

    // ---- environment and labels ----
    /// Set environment variables
    #[arg(help_heading = "Environment and labels", short = 'e', long, action = ArgAction::Append, allow_hyphen_values = true)]
    pub env: Vec<String>,
    /// Read in a file of environment variables
    #[arg(help_heading = "Environment and labels", long, action = ArgAction::Append, allow_hyphen_values = true)]
    pub env_file: Vec<String>,
    /// Set meta data on a container
    #[arg(help_heading = "Environment and labels", short = 'l', long, action = ArgAction::Append, allow_hyphen_values = true)]
    pub label: Vec<String>,
    /// Read in a line delimited file of labels
    #[arg(help_heading = "Environment and labels", long, action = ArgAction::Append, allow_hyphen_values = true)]
    pub label_file: Vec<String>,

    // ---- networking ----
    /// Connect a container to a network
    #[arg(help_heading = "Networking", long, visible_alias = "net", action = ArgAction::Append, allow_hyphen_values = true)]
    pub network: Vec<String>,
    /// Add network-scoped alias for the container
    #[arg(help_heading = "Networking", long, visible_alias = "net-alias", action = ArgAction::Append, allow_hyphen_values = true)]
    pub network_alias: Vec<String>,
    /// IPv4 address (e.g., 172.30.100.104)
    #[arg(help_heading = "Networking", long, allow_hyphen_values = true)]
    pub ip: Option<String>,
    /// IPv6 address (e.g., 2001:db8::33)
    #[arg(help_heading = "Networking", long, allow_hyphen_values = true)]
    pub ip6: Option<String>,
    /// Container IPv4/IPv6 link-local addresses
    #[arg(help_heading = "Networking", long, action = ArgAction::Append, allow_hyphen_values = true)]
    pub link_local_ip: Vec<String>,
    /// Container MAC address (e.g., 92:d0:c6:0a:29:33)
    #[arg(help_heading = "Networking", long, allow_hyphen_values = true)]
    pub mac_address: Option<String>,
    /// Add link to another container
    #[arg(help_heading = "Networking", long, action = ArgAction::Append, allow_hyphen_values = true)]
    pub link: Vec<String>,
    /// Publish a container's port(s) to the host
    #[arg(help_heading = "Networking", short = 'p', long, action = ArgAction::Append, allow_hyphen_values = true)]
    pub publish: Vec<String>,
    /// Publish all exposed ports to random ports
    #[arg(help_heading = "Networking", short = 'P', long, num_args = 0..=1, require_equals = true, default_missing_value = "true", value_parser = parse_bool)]
    pub publish_all: Option<bool>,
    /// Expose a port or a range of ports
    #[arg(help_heading = "Networking", long, action = ArgAction::Append, allow_hyphen_values = true)]
    pub expose: Vec<String>,
    /// Set custom DNS servers
    #[arg(help_heading = "Networking", long, action = ArgAction::Append, allow_hyphen_values = true)]
    pub dns: Vec<String>,
    /// Set DNS options
    #[arg(help_heading = "Networking", long, visible_alias = "dns-opt", action = ArgAction::Append, allow_hyphen_values = true)]
    pub dns_option: Vec<String>,
    /// Set custom DNS search domains
    #[arg(help_heading = "Networking", long, action = ArgAction::Append, allow_hyphen_values = true)]
    pub dns_search: Vec<String>,
    /// Add a custom host-to-IP mapping (host:ip)
    #[arg(help_heading = "Networking", long, action = ArgAction::Append, allow_hyphen_values = true)]
    pub add_host: Vec<String>,

    // ---- storage ----
    /// Bind mount a volume
    #[arg(help_heading = "Storage", short = 'v', long, action = ArgAction::Append, allow_hyphen_values = true)]
    pub volume: Vec<String>,
    /// Attach a filesystem mount to the container
    #[arg(help_heading = "Storage", long, action = ArgAction::Append, allow_hyphen_values = true)]
    pub mount: Vec<String>,
    /// Mount a tmpfs directory
    #[arg(help_heading = "Storage", long, action = ArgAction::Append, allow_hyphen_values = true)]
    pub tmpfs: Vec<String>,
    /// Mount volumes from the specified container(s)
    #[arg(help_heading = "Storage", long, action = ArgAction::Append, allow_hyphen_values = true)]
    pub volumes_from: Vec<String>,
    /// Optional volume driver for the container
    #[arg(help_heading = "Storage", long, allow_hyphen_values = true)]
    pub volume_driver: Option<String>,
    /// Mount the container's root filesystem as read only
    #[arg(help_heading = "Storage", long, num_args = 0..=1, require_equals = true, default_missing_value = "true", value_parser = parse_bool)]
    pub read_only: Option<bool>,
    /// Storage driver options for the container
    #[arg(help_heading = "Storage", long, action = ArgAction::Append, allow_hyphen_values = true)]
    pub storage_opt: Vec<String>,

    // ---- resources ----
    /// Memory, CPU, block IO, devices, GPUs, ulimits, pids, shm and OOM flags.
    #[command(flatten)]
    pub resources: ResourceArgs,

    // ---- security and namespaces ----
    /// Give extended privileges to this container
    #[arg(help_heading = "Security and namespaces", long, num_args = 0..=1, require_equals = true, default_missing_value = "true", value_parser = parse_bool)]
    pub privileged: Option<bool>,
    /// Add Linux capabilities
    #[arg(help_heading = "Security and namespaces", long, action = ArgAction::Append, allow_hyphen_values = true)]
    pub cap_add: Vec<String>,
    /// Drop Linux capabilities
    #[arg(help_heading = "Security and namespaces", long, action = ArgAction::Append, allow_hyphen_values = true)]
    pub cap_drop: Vec<String>,
    /// Security Options
    #[arg(help_heading = "Security and namespaces", long, action = ArgAction::Append, allow_hyphen_values = true)]
    pub security_opt: Vec<String>,
    /// User namespace to use
    #[arg(
        help_heading = "Security and namespaces",
        long,
        allow_hyphen_values = true
    )]
    pub userns: Option<String>,
    /// Cgroup namespace to use (host|private)
    #[arg(
        help_heading = "Security and namespaces",
        long,
        allow_hyphen_values = true
    )]
    pub cgroupns: Option<String>,
    /// IPC mode to use
    #[arg(
        help_heading = "Security and namespaces",
        long,
        allow_hyphen_values = true
    )]
    pub ipc: Option<String>,
    /// PID namespace to use
    #[arg(
        help_heading = "Security and namespaces",
        long,
        allow_hyphen_values = true
    )]
    pub pid: Option<String>,
    /// UTS namespace to use
    #[arg(
        help_heading = "Security and namespaces",
        long,
        allow_hyphen_values = true
    )]
    pub uts: Option<String>,
    /// Add additional groups to join
    #[arg(help_heading = "Security and namespaces", long, action = ArgAction::Append, allow_hyphen_values = true)]
    pub group_add: Vec<String>,
    /// Sysctl options
    #[arg(help_heading = "Security and namespaces", long, action = ArgAction::Append, allow_hyphen_values = true)]
    pub sysctl: Vec<String>,

    // ---- logging and health ----
    /// Logging driver for the container
    #[arg(help_heading = "Logging and health", long, allow_hyphen_values = true)]
    pub log_driver: Option<String>,
    /// Log driver options
    #[arg(help_heading = "Logging and health", long, action = ArgAction::Append, allow_hyphen_values = true)]
    pub log_opt: Vec<String>,
    /// Command to run to check health
    #[arg(help_heading = "Logging and health", long, allow_hyphen_values = true)]
    pub health_cmd: Option<String>,
    /// Time between running the check (ms|s|m|h) (default 0s)
    #[arg(help_heading = "Logging and health", long, allow_hyphen_values = true)]
    pub health_interval: Option<String>,
    /// Maximum time to allow one check to run (ms|s|m|h) (default 0s)
    #[arg(help_heading = "Logging and health", long, allow_hyphen_values = true)]
    pub health_timeout: Option<String>,
    /// Start period for the container to initialize before starting health-retries countdown
    #[arg(help_heading = "Logging and health", long, allow_hyphen_values = true)]
    pub health_start_period: Option<String>,
    /// Time between running the check during the start period (API 1.44+)
    #[arg(help_heading = "Logging and health", long, allow_hyphen_values = true)]
    pub health_start_interval: Option<String>,
    /// Consecutive failures needed to report unhealthy
    #[arg(help_heading = "Logging and health", long, allow_hyphen_values = true)]
    pub health_retries: Option<String>,
    /// Disable any container-specified HEALTHCHECK
    #[arg(help_heading = "Logging and health", long, num_args = 0..=1, require_equals = true, default_missing_value = "true", value_parser = parse_bool)]
    pub no_healthcheck: Option<bool>,

    // ---- attach, terminal, signals ----
    /// Attach to STDIN, STDOUT or STDERR
    #[arg(help_heading = "Attach, terminal and signals", short = 'a', long, action = ArgAction::Append, allow_hyphen_values = true)]
    pub attach: Vec<String>,
    /// Keep STDIN open even if not attached
    #[arg(help_heading = "Attach, terminal and signals", short = 'i', long, num_args = 0..=1, require_equals = true, default_missing_value = "true", value_parser = parse_bool)]
    pub interactive: Option<bool>,
    /// Allocate a pseudo-TTY
    #[arg(help_heading = "Attach, terminal and signals", short = 't', long, num_args = 0..=1, require_equals = true, default_missing_value = "true", value_parser = parse_bool)]
    pub tty: Option<bool>,
    /// Override the key sequence for detaching a container
    #[arg(
        help_heading = "Attach, terminal and signals",
        long,
        allow_hyphen_values = true
    )]
    pub detach_keys: Option<String>,
    /// Proxy received signals to the process (default true)
    #[arg(help_heading = "Attach, terminal and signals", long, num_args = 0..=1, require_equals = true, default_missing_value = "true", value_parser = parse_bool)]
    pub sig_proxy: Option<bool>,

    /// IMAGE, then the container's COMMAND and ARGs, taken verbatim
    #[arg(value_name = "IMAGE [COMMAND] [ARG...]", trailing_var_arg = true, num_args = 0..)]
    pub image_and_command: Vec<String>,

    /// The command line as typed, without the program name (for `--print-unit`, which writes
    /// it into a unit verbatim).
    #[arg(skip)]
    pub argv: Vec<OsString>,
}

/// The resource flags of `docker run`, kept together so `spec::resources` takes them whole.
#[derive(Debug, Default, clap::Args)]
pub struct ResourceArgs {
    /// Memory limit
    #[arg(
        help_heading = "Resources",
        short = 'm',
        long,
        allow_hyphen_values = true
    )]
    pub memory: Option<String>,
    /// Memory soft limit
    #[arg(help_heading = "Resources", long, allow_hyphen_values = true)]
    pub memory_reservation: Option<String>,
    /// Swap limit equal to memory plus swap: '-1' to enable unlimited swap
    #[arg(help_heading = "Resources", long, allow_hyphen_values = true)]
    pub memory_swap: Option<String>,
    /// Tune container memory swappiness (0 to 100) (default -1)
    #[arg(help_heading = "Resources", long, allow_hyphen_values = true)]
    pub memory_swappiness: Option<String>,
    /// Kernel memory limit
    #[arg(help_heading = "Resources", long, allow_hyphen_values = true)]
    pub kernel_memory: Option<String>,
    /// Disable OOM Killer
    #[arg(help_heading = "Resources", long, num_args = 0..=1, require_equals = true, default_missing_value = "true", value_parser = parse_bool)]
    pub oom_kill_disable: Option<bool>,
    /// Tune host's OOM preferences (-1000 to 1000)
    #[arg(help_heading = "Resources", long, allow_hyphen_values = true)]
    pub oom_score_adj: Option<String>,
    /// Number of CPUs
    #[arg(help_heading = "Resources", long, allow_hyphen_values = true)]
    pub cpus: Option<String>,
    /// CPU shares (relative weight)
    #[arg(
        help_heading = "Resources",
        short = 'c',
        long,
        allow_hyphen_values = true
    )]
    pub cpu_shares: Option<String>,
    /// Limit CPU CFS (Completely Fair Scheduler) period
    #[arg(help_heading = "Resources", long, allow_hyphen_values = true)]
    pub cpu_period: Option<String>,
    /// Limit CPU CFS (Completely Fair Scheduler) quota
    #[arg(help_heading = "Resources", long, allow_hyphen_values = true)]
    pub cpu_quota: Option<String>,
    /// Limit CPU real-time period in microseconds
    #[arg(help_heading = "Resources", long, allow_hyphen_values = true)]
    pub cpu_rt_period: Option<String>,
    /// Limit CPU real-time runtime in microseconds
    #[arg(help_heading = "Resources", long, allow_hyphen_values = true)]
    pub cpu_rt_runtime: Option<String>,
    /// CPUs in which to allow execution (0-3, 0,1)
    #[arg(help_heading = "Resources", long, allow_hyphen_values = true)]
    pub cpuset_cpus: Option<String>,
    /// MEMs in which to allow execution (0-3, 0,1)
    #[arg(help_heading = "Resources", long, allow_hyphen_values = true)]
    pub cpuset_mems: Option<String>,
    /// CPU count (Windows daemons only)
    #[arg(
        help_heading = "Resources",
        long,
        hide = true,
        allow_hyphen_values = true
    )]
    pub cpu_count: Option<String>,
    /// CPU percent (Windows daemons only)
    #[arg(
        help_heading = "Resources",
        long,
        hide = true,
        allow_hyphen_values = true
    )]
    pub cpu_percent: Option<String>,
    /// Maximum IO bandwidth limit for the system drive (Windows daemons only)
    #[arg(
        help_heading = "Resources",
        long,
        hide = true,
        allow_hyphen_values = true
    )]
    pub io_maxbandwidth: Option<String>,
    /// Maximum IOps limit for the system drive (Windows daemons only)
    #[arg(
        help_heading = "Resources",
        long,
        hide = true,
        allow_hyphen_values = true
    )]
    pub io_maxiops: Option<String>,
    /// Block IO (relative weight), between 10 and 1000, or 0 to disable (default 0)
    #[arg(help_heading = "Resources", long, allow_hyphen_values = true)]
    pub blkio_weight: Option<String>,
    /// Block IO weight (relative device weight)
    #[arg(help_heading = "Resources", long, action = ArgAction::Append, allow_hyphen_values = true)]
    pub blkio_weight_device: Vec<String>,
    /// Limit read rate (bytes per second) from a device
    #[arg(help_heading = "Resources", long, action = ArgAction::Append, allow_hyphen_values = true)]
    pub device_read_bps: Vec<String>,
    /// Limit write rate (bytes per second) to a device
    #[arg(help_heading = "Resources", long, action = ArgAction::Append, allow_hyphen_values = true)]
    pub device_write_bps: Vec<String>,
    /// Limit read rate (IO per second) from a device
    #[arg(help_heading = "Resources", long, action = ArgAction::Append, allow_hyphen_values = true)]
    pub device_read_iops: Vec<String>,
    /// Limit write rate (IO per second) to a device
    #[arg(help_heading = "Resources", long, action = ArgAction::Append, allow_hyphen_values = true)]
    pub device_write_iops: Vec<String>,
    /// Tune container pids limit (set -1 for unlimited)
    #[arg(help_heading = "Resources", long, allow_hyphen_values = true)]
    pub pids_limit: Option<String>,
    /// Size of /dev/shm
    #[arg(help_heading = "Resources", long, allow_hyphen_values = true)]
    pub shm_size: Option<String>,
    /// Ulimit options
    #[arg(help_heading = "Resources", long, action = ArgAction::Append, allow_hyphen_values = true)]
    pub ulimit: Vec<String>,
    /// Optional parent cgroup for the container
    #[arg(help_heading = "Resources", long, allow_hyphen_values = true)]
    pub cgroup_parent: Option<String>,
    /// Add a host device to the container
    #[arg(help_heading = "Resources", long, action = ArgAction::Append, allow_hyphen_values = true)]
    pub device: Vec<String>,
    /// Add a rule to the cgroup allowed devices list
    #[arg(help_heading = "Resources", long, action = ArgAction::Append, allow_hyphen_values = true)]
    pub device_cgroup_rule: Vec<String>,
    /// GPU devices to add to the container ('all' to pass all GPUs)
    #[arg(help_heading = "Resources", long, action = ArgAction::Append, allow_hyphen_values = true)]
    pub gpus: Vec<String>,
}

impl RawArgs {
    /// Parse `argv` (including the program name) with docker run's grammar.
    ///
    /// # Errors
    /// Returns clap's error for an unknown flag or a malformed value; `--help` and `--version`
    /// also arrive as errors of their kind, as clap reports them.
    pub fn parse_from_argv<I, T>(argv: I) -> Result<Self, clap::Error>
    where
        I: IntoIterator<Item = T>,
        T: Into<OsString> + Clone,
    {
        let argv: Vec<OsString> = argv.into_iter().map(Into::into).collect();
        let mut raw = Self::try_parse_from(&argv)?;
        raw.argv = argv.into_iter().skip(1).collect();
        Ok(raw)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    fn parse(args: &[&str]) -> RawArgs {
        let mut argv = vec!["dockrun"];
        argv.extend_from_slice(args);
        RawArgs::parse_from_argv(argv).expect("parses")
    }

    #[test]
    fn verify_command() {
        RawArgs::command().debug_assert();
    }

    /// A command line's meaning (the parsed arguments, without the argv they came from) and
    /// clap's matches, parsed with `command` (built once: building it is the slow part).
    fn parsed(command: &mut clap::Command, args: &[String]) -> (String, clap::ArgMatches) {
        use clap::FromArgMatches;
        let argv = std::iter::once("dockrun".to_owned()).chain(args.iter().cloned());
        let matches = command
            .try_get_matches_from_mut(argv)
            .unwrap_or_else(|err| panic!("{args:?} does not parse: {err}"));
        let raw = RawArgs::from_arg_matches(&matches).expect("matches are RawArgs");
        (format!("{raw:?}"), matches)
    }

    /// The values clap holds for the argument `id`.
    fn values_of(matches: &clap::ArgMatches, id: &str) -> Vec<String> {
        matches
            .get_raw(id)
            .map(|values| values.map(|v| v.to_string_lossy().into_owned()).collect())
            .unwrap_or_default()
    }

    fn strings(args: &[&str]) -> Vec<String> {
        args.iter().map(|&a| a.to_owned()).collect()
    }

    /// A pflag boolean: an optional value, given only after `=`.
    fn is_bool(arg: &clap::Arg) -> bool {
        arg.is_require_equals_set() && arg.get_num_args().is_some_and(|n| n.min_values() == 0)
    }

    /// The flags a spelling test covers: all but the positional and `--help`/`--version`.
    fn flags(command: &clap::Command) -> Vec<&clap::Arg> {
        command
            .get_arguments()
            .filter(|arg| !arg.is_positional())
            .filter(|arg| !matches!(arg.get_action(), ArgAction::HelpShort | ArgAction::Version))
            .collect()
    }

    /// Every spelling of every flag, driven by clap's own definition (ripgrep's
    /// `test_after_context`, generalised to all flags): `--flag v`, `--flag=v`, each visible
    /// alias, `-f v`, `-fv`, `-f=v`, short booleans bundled before a short value flag (`-df v`,
    /// `-dfv`); booleans bare, `=true`, `=false` and never taking the next argument; the last
    /// value wins for scalars and every value is kept for lists. Each spelling must mean what
    /// `--flag v` means (the same parsed arguments) and clap must hold the expected values.
    #[test]
    fn every_spelling_of_every_flag() {
        let command = RawArgs::command();
        let flags = flags(&command);
        let bool_shorts: Vec<char> = flags
            .iter()
            .filter(|arg| is_bool(arg))
            .filter_map(|arg| arg.get_short())
            .collect();
        assert!(bool_shorts.len() >= 5, "{bool_shorts:?}");
        let mut spellings = 0;
        let mut parser = RawArgs::command();
        let mut check =
            |spelled: Vec<String>, canonical: &[String], id: &str, expected: &[&str]| {
                let (meaning, matches) = parsed(&mut parser, &spelled);
                assert_eq!(
                    meaning,
                    parsed(&mut parser, canonical).0,
                    "{spelled:?} vs {canonical:?}"
                );
                assert_eq!(values_of(&matches, id), expected, "{spelled:?}");
                spellings += 1;
            };
        for arg in &flags {
            let id = arg.get_id().as_str();
            let long = arg
                .get_long()
                .unwrap_or_else(|| panic!("{id} has no long name"));
            let mut longs = vec![long];
            longs.extend(arg.get_visible_aliases().unwrap_or_default());
            let short = arg.get_short();
            let image = "img".to_owned();
            if is_bool(arg) {
                let canonical = vec![format!("--{long}"), image.clone()];
                for name in &longs {
                    check(
                        vec![format!("--{name}"), image.clone()],
                        &canonical,
                        id,
                        &["true"],
                    );
                    check(
                        vec![format!("--{name}=true"), image.clone()],
                        &canonical,
                        id,
                        &["true"],
                    );
                    let off = vec![format!("--{long}=false"), image.clone()];
                    check(
                        vec![format!("--{name}=false"), image.clone()],
                        &off,
                        id,
                        &["false"],
                    );
                    // Last wins.
                    check(
                        vec![
                            format!("--{name}=false"),
                            format!("--{name}"),
                            image.clone(),
                        ],
                        &canonical,
                        id,
                        &["true"],
                    );
                }
                if let Some(c) = short {
                    check(
                        vec![format!("-{c}"), image.clone()],
                        &canonical,
                        id,
                        &["true"],
                    );
                    let off = vec![format!("--{long}=false"), image.clone()];
                    check(
                        vec![format!("-{c}=false"), image.clone()],
                        &off,
                        id,
                        &["false"],
                    );
                }
                // A bare boolean never takes the next argument as its value.
                let raw = {
                    let mut argv = vec!["dockrun".to_owned(), format!("--{long}"), "false".into()];
                    argv.push("x".into());
                    RawArgs::parse_from_argv(argv).expect("parses")
                };
                assert_eq!(raw.image_and_command, ["false", "x"], "--{long} false");
                continue;
            }
            let possible = arg.get_possible_values();
            let (v1, v2) = match possible.as_slice() {
                [first, second, ..] => (first.get_name().to_owned(), second.get_name().to_owned()),
                [] => ("v1".to_owned(), "-v2".to_owned()),
                [_] => panic!("{id}: one possible value"),
            };
            let canonical = vec![format!("--{long}"), v1.clone(), image.clone()];
            let mut forms: Vec<Vec<String>> = Vec::new();
            for name in &longs {
                forms.push(vec![format!("--{name}"), v1.clone()]);
                forms.push(vec![format!("--{name}={v1}")]);
            }
            if let Some(c) = short {
                forms.push(vec![format!("-{c}"), v1.clone()]);
                forms.push(vec![format!("-{c}{v1}")]);
                forms.push(vec![format!("-{c}={v1}")]);
            }
            for mut form in forms {
                form.push(image.clone());
                check(form, &canonical, id, &[&v1]);
            }
            // Short booleans bundled in front of a short value flag.
            if let Some(c) = short {
                let bundle: String = bool_shorts.iter().collect();
                let mut canonical = vec![format!("-{bundle}")];
                canonical.extend([format!("--{long}"), v1.clone(), image.clone()]);
                check(
                    vec![format!("-{bundle}{c}"), v1.clone(), image.clone()],
                    &canonical,
                    id,
                    &[&v1],
                );
                check(
                    vec![format!("-{bundle}{c}{v1}"), image.clone()],
                    &canonical,
                    id,
                    &[&v1],
                );
            }
            // Given twice: a list keeps both in order, a scalar keeps the last.
            let list = matches!(arg.get_action(), ArgAction::Append);
            let last = longs.last().expect("a long name");
            let twice = strings(&[&format!("--{long}"), &v1, &format!("--{last}={v2}"), "img"]);
            if list {
                let canonical =
                    strings(&[&format!("--{long}"), &v1, &format!("--{long}"), &v2, "img"]);
                check(twice, &canonical, id, &[&v1, &v2]);
            } else {
                let canonical = strings(&[&format!("--{long}"), &v2, "img"]);
                check(twice, &canonical, id, &[&v2]);
            }
        }
        // Every short boolean bundled means each given alone.
        let bundle: String = bool_shorts.iter().collect();
        let alone: Vec<String> = bool_shorts
            .iter()
            .map(|c| format!("-{c}"))
            .chain(["img".to_owned()])
            .collect();
        let mut parser = RawArgs::command();
        assert_eq!(
            parsed(&mut parser, &strings(&[&format!("-{bundle}"), "img"])).0,
            parsed(&mut parser, &alone).0
        );
        // At 0a85a88: 111 flags, 415 spellings; every flag has at least three.
        assert!(flags.len() >= 111, "{} flags", flags.len());
        assert!(spellings >= 3 * flags.len(), "{spellings} spellings");
    }

    #[test]
    fn name_spellings() {
        assert_eq!(parse(&["--name", "x", "img"]).name.as_deref(), Some("x"));
        assert_eq!(parse(&["--name=x", "img"]).name.as_deref(), Some("x"));
        assert_eq!(
            parse(&["--name=a", "--name", "b", "img"]).name.as_deref(),
            Some("b")
        );
    }

    #[test]
    fn env_spellings() {
        for args in [
            &["-e", "A=1", "img"][..],
            &["-eA=1", "img"],
            &["-e=A=1", "img"],
            &["--env=A=1", "img"],
            &["--env", "A=1", "img"],
        ] {
            assert_eq!(parse(args).env, vec!["A=1"], "{args:?}");
        }
        assert_eq!(
            parse(&["-e", "A=1", "-eB=2", "img"]).env,
            vec!["A=1", "B=2"]
        );
    }

    #[test]
    fn parsing_stops_at_image() {
        let raw = parse(&[
            "-d", "--name", "x", "img", "-e", "X", "--rm", "sh", "-c", "a  b",
        ]);
        assert_eq!(
            raw.image_and_command,
            vec!["img", "-e", "X", "--rm", "sh", "-c", "a  b"]
        );
        assert!(raw.env.is_empty());
        assert_eq!(raw.rm, None);
    }

    #[test]
    fn double_dash_ends_flags() {
        let raw = parse(&["--name", "x", "--", "img", "--rm"]);
        assert_eq!(raw.image_and_command, vec!["img", "--rm"]);
    }

    #[test]
    fn booleans_take_optional_equals_value() {
        assert_eq!(parse(&["--rm", "img"]).rm, Some(true));
        assert_eq!(parse(&["--rm=false", "img"]).rm, Some(false));
        assert_eq!(parse(&["-d=false", "img"]).detach, Some(false));
        // A bare boolean never takes the next argument as its value.
        let raw = parse(&["--rm", "false"]);
        assert_eq!(raw.rm, Some(true));
        assert_eq!(raw.image_and_command, vec!["false"]);
    }

    #[test]
    fn combined_short_booleans() {
        let raw = parse(&["-dit", "img"]);
        assert_eq!(
            (raw.detach, raw.interactive, raw.tty),
            (Some(true), Some(true), Some(true))
        );
        let raw = parse(&["-itd", "-p80:80", "img"]);
        assert_eq!(raw.publish, vec!["80:80"]);
    }

    #[test]
    fn values_may_start_with_a_hyphen() {
        assert_eq!(
            parse(&["--memory-swappiness", "-1", "img"])
                .resources
                .memory_swappiness
                .as_deref(),
            Some("-1")
        );
        assert_eq!(
            parse(&["--entrypoint", "-x", "img"]).entrypoint.as_deref(),
            Some("-x")
        );
    }

    #[test]
    fn dash_h_is_hostname() {
        assert_eq!(
            parse(&["-h", "box", "img"]).hostname.as_deref(),
            Some("box")
        );
    }

    #[test]
    fn unknown_flag_is_an_error() {
        assert!(RawArgs::parse_from_argv(["dockrun", "--bogus", "img"]).is_err());
        assert!(RawArgs::parse_from_argv(["dockrun", "-Z", "img"]).is_err());
    }

    #[test]
    fn long_flags_are_not_abbreviated() {
        assert!(RawArgs::parse_from_argv(["dockrun", "--nam", "x", "img"]).is_err());
    }
}
