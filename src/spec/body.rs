//! The Docker Engine API's create body, as dockrun's own plain data.
//!
//! These types mirror `POST /containers/create` field for field (the API's PascalCase names), so
//! `spec` can build a body without depending on bollard; `engine` converts them into bollard's
//! models through serde (and a test there checks that no field is lost on the way). Maps are
//! `BTreeMap`s so that a body serialises the same way every time. Nothing here validates.
//!
//! One body is built per command line, in the shape docker/cli 28 writes for the newest API it
//! knows; [`CreateBody::for_api`] turns it into the body for the API version dockrun speaks, as
//! docker/cli's client does for the version it negotiated (`client/container_create.go`), and
//! refuses what that version cannot carry (`SINCE`: the engine would refuse it, or worse,
//! silently drop it: an engine reading a body at API 1.41 discards a per-network MAC address).

// Generated from bollard-stubs' models (field names and types), then kept by hand.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::ApiNeed;

/// An Engine API version, `(major, minor)`: `(1, 44)`.
pub type ApiVersion = (u32, u32);

/// A part of the body that an engine reads only from API `since` on, named by its flag.
struct Since {
    flag: &'static str,
    since: ApiVersion,
    used: Used,
}

/// Whether a body has a part: read off the whole body, or off its `HostConfig`.
enum Used {
    Body(fn(&CreateBody) -> bool),
    Host(fn(&HostConfig) -> bool),
}

impl Since {
    /// Whether `body` has this part.
    fn used(&self, body: &CreateBody) -> bool {
        match self.used {
            Used::Body(used) => used(body),
            Used::Host(used) => host(body).is_some_and(used),
        }
    }

    /// What a body with this part needs: this API version, for this flag.
    fn need(&self) -> ApiNeed {
        ApiNeed {
            flag: self.flag,
            version: self.since,
        }
    }
}

/// A row of `SINCE`: the part of the body `flag` writes is read from API `since` on.
const fn part(flag: &'static str, since: ApiVersion, used: Used) -> Since {
    Since { flag, since, used }
}

/// What needs a newer API than 1.41 (the oldest dockrun speaks by default), each from the
/// version on which the API reads it as docker/cli writes it: docker/cli refuses the flag below
/// (`--annotation`, `--health-start-interval`, a per-network MAC, `bind-recursive=readonly`) or
/// the engine does (several networks at create before 1.44, `VolumeOptions.Subpath` before 1.45).
/// Parts older engines read alike or ignore alike whatever the version (`GwPriority`, image
/// mounts: sent as docker/cli sends them) are not listed.
#[rustfmt::skip] // one row a line: a table
const SINCE: &[Since] = &[
    part("--gpus", (1, 40), Used::Host(|h| h.device_requests.is_some())),
    part("--cgroupns", (1, 41), Used::Host(|h| h.cgroupns_mode.is_some())),
    part("--annotation", (1, 43), Used::Host(|h| h.annotations.is_some())),
    part("--health-start-interval", (1, 44), Used::Body(health_start_interval)),
    part("--mac-address", (1, 44), Used::Body(network_mac)),
    part("--network (given several times)", (1, 44), Used::Body(|b| endpoints(b).count() > 1)),
    part("--mount bind-recursive=readonly", (1, 44), Used::Body(recursive_readonly_bind)),
    part("--mount volume-subpath", (1, 45), Used::Body(volume_subpath)),
];

/// The API version from which a read-only bind is recursively read-only (its submounts too)
/// where the engine can make it so: below it, Docker 25+ keeps the old, non-recursive meaning.
pub const RECURSIVE_READ_ONLY: ApiVersion = (1, 44);

/// A read-only bind that an engine makes recursively read-only from [`RECURSIVE_READ_ONLY`] on
/// (`-v /src:/dst:ro`, `--mount type=bind,…,readonly` without `bind-recursive=writable`).
fn read_only_bind(body: &CreateBody) -> bool {
    let bind_ro = |bind: &String| {
        let mut parts = bind.split(':');
        let source = parts.next().unwrap_or_default();
        let options = parts.nth(1).unwrap_or_default();
        source.starts_with('/') && options.split(',').any(|o| o == "ro")
    };
    let binds = host(body).and_then(|h| h.binds.as_ref());
    binds.into_iter().flatten().any(bind_ro)
        || mounts(body).any(|m| {
            m.typ.as_deref() == Some("bind")
                && m.read_only == Some(true)
                && m.bind_options
                    .as_ref()
                    .and_then(|o| o.read_only_non_recursive)
                    != Some(true)
        })
}

/// A non-zero `--health-start-interval`.
fn health_start_interval(body: &CreateBody) -> bool {
    body.healthcheck
        .as_ref()
        .is_some_and(|h| h.start_interval.is_some_and(|n| n != 0))
}

/// A MAC address on a network's endpoint.
fn network_mac(body: &CreateBody) -> bool {
    endpoints(body).any(|e| e.mac_address.as_deref().is_some_and(|m| !m.is_empty()))
}

/// A bind mount read-only all the way down (`bind-recursive=readonly`).
fn recursive_readonly_bind(body: &CreateBody) -> bool {
    mounts(body).any(|m| {
        m.bind_options
            .as_ref()
            .is_some_and(|o| o.read_only_force_recursive == Some(true))
    })
}

/// A volume mount of a subpath of its volume.
fn volume_subpath(body: &CreateBody) -> bool {
    mounts(body).any(|m| {
        m.volume_options
            .as_ref()
            .and_then(|o| o.subpath.as_deref())
            .is_some_and(|p| !p.is_empty())
    })
}

fn host(body: &CreateBody) -> Option<&HostConfig> {
    body.host_config.as_ref()
}

fn endpoints(body: &CreateBody) -> impl Iterator<Item = &EndpointSettings> {
    body.networking_config
        .iter()
        .filter_map(|n| n.endpoints_config.as_ref())
        .flat_map(BTreeMap::values)
}

fn mounts(body: &CreateBody) -> impl Iterator<Item = &Mount> {
    host(body)
        .and_then(|h| h.mounts.as_ref())
        .into_iter()
        .flatten()
}

impl CreateBody {
    /// The parts of this body (`SINCE`, in its order) that an engine reads only from an API
    /// newer than `version` on.
    fn newer_than(&self, version: ApiVersion) -> impl Iterator<Item = &'static Since> + '_ {
        SINCE
            .iter()
            .filter(move |s| s.since > version && s.used(self))
    }

    /// The newest API version a part of this body needs (naming its flag), if it needs one newer
    /// than 1.41: what dockrun must speak to send it.
    #[must_use]
    pub fn api_need(&self) -> Option<ApiNeed> {
        self.newer_than((1, 41))
            .max_by_key(|s| s.since)
            .map(Since::need)
    }

    /// A newer API version than 1.41 that this body means what `docker run` means by it only
    /// at, on an engine that speaks it (no flag needs it: an older engine is spoken to as
    /// docker would be): [`RECURSIVE_READ_ONLY`] for a read-only bind.
    #[must_use]
    pub fn api_prefer(&self) -> Option<ApiVersion> {
        read_only_bind(self).then_some(RECURSIVE_READ_ONLY)
    }

    /// This body as docker/cli writes it for API `version`.
    ///
    /// Every part is written where that version reads it: a MAC address on its network's
    /// endpoint, never container-wide (docker/cli 28 clears `Config.MacAddress` from 1.44 on,
    /// and refuses a per-network MAC below, where the engine would drop it), several networks
    /// as several endpoints; the console size is `[0, 0]` (no terminal is measured; engines
    /// before 1.42 ignore it anyway).
    ///
    /// # Errors
    /// The first part (by `SINCE`'s order) that `version` cannot carry, with the version it needs.
    pub fn for_api(&self, version: ApiVersion) -> Result<CreateBody, ApiNeed> {
        if let Some(part) = self.newer_than(version).next() {
            return Err(part.need());
        }
        Ok(self.clone())
    }
}

/// An empty JSON object: the value type of `ExposedPorts` and `Volumes`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Empty {}

/// The body of `POST /containers/create` (Docker API names).
#[allow(missing_docs)]
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CreateBody {
    #[serde(rename = "Hostname", skip_serializing_if = "Option::is_none")]
    pub hostname: Option<String>,
    #[serde(rename = "Domainname", skip_serializing_if = "Option::is_none")]
    pub domainname: Option<String>,
    #[serde(rename = "User", skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    #[serde(rename = "AttachStdin", skip_serializing_if = "Option::is_none")]
    pub attach_stdin: Option<bool>,
    #[serde(rename = "AttachStdout", skip_serializing_if = "Option::is_none")]
    pub attach_stdout: Option<bool>,
    #[serde(rename = "AttachStderr", skip_serializing_if = "Option::is_none")]
    pub attach_stderr: Option<bool>,
    #[serde(rename = "ExposedPorts", skip_serializing_if = "Option::is_none")]
    pub exposed_ports: Option<BTreeMap<String, Empty>>,
    #[serde(rename = "Tty", skip_serializing_if = "Option::is_none")]
    pub tty: Option<bool>,
    #[serde(rename = "OpenStdin", skip_serializing_if = "Option::is_none")]
    pub open_stdin: Option<bool>,
    #[serde(rename = "StdinOnce", skip_serializing_if = "Option::is_none")]
    pub stdin_once: Option<bool>,
    #[serde(rename = "Env", skip_serializing_if = "Option::is_none")]
    pub env: Option<Vec<String>>,
    #[serde(rename = "Cmd", skip_serializing_if = "Option::is_none")]
    pub cmd: Option<Vec<String>>,
    #[serde(rename = "Healthcheck", skip_serializing_if = "Option::is_none")]
    pub healthcheck: Option<HealthConfig>,
    #[serde(rename = "Image", skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    #[serde(rename = "Volumes", skip_serializing_if = "Option::is_none")]
    pub volumes: Option<BTreeMap<String, Empty>>,
    #[serde(rename = "WorkingDir", skip_serializing_if = "Option::is_none")]
    pub working_dir: Option<String>,
    #[serde(rename = "Entrypoint", skip_serializing_if = "Option::is_none")]
    pub entrypoint: Option<Vec<String>>,
    #[serde(rename = "Labels", skip_serializing_if = "Option::is_none")]
    pub labels: Option<BTreeMap<String, String>>,
    #[serde(rename = "StopSignal", skip_serializing_if = "Option::is_none")]
    pub stop_signal: Option<String>,
    #[serde(rename = "StopTimeout", skip_serializing_if = "Option::is_none")]
    pub stop_timeout: Option<i64>,
    #[serde(rename = "HostConfig", skip_serializing_if = "Option::is_none")]
    pub host_config: Option<HostConfig>,
    #[serde(rename = "NetworkingConfig", skip_serializing_if = "Option::is_none")]
    pub networking_config: Option<NetworkingConfig>,
}

/// `HostConfig` of the create body (resources flattened in, as the API does).
#[allow(missing_docs)]
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct HostConfig {
    #[serde(rename = "CpuShares", skip_serializing_if = "Option::is_none")]
    pub cpu_shares: Option<i64>,
    #[serde(rename = "Memory", skip_serializing_if = "Option::is_none")]
    pub memory: Option<i64>,
    #[serde(rename = "CgroupParent", skip_serializing_if = "Option::is_none")]
    pub cgroup_parent: Option<String>,
    #[serde(rename = "BlkioWeight", skip_serializing_if = "Option::is_none")]
    pub blkio_weight: Option<u16>,
    #[serde(rename = "BlkioWeightDevice", skip_serializing_if = "Option::is_none")]
    pub blkio_weight_device: Option<Vec<WeightDevice>>,
    #[serde(rename = "BlkioDeviceReadBps", skip_serializing_if = "Option::is_none")]
    pub blkio_device_read_bps: Option<Vec<ThrottleDevice>>,
    #[serde(
        rename = "BlkioDeviceWriteBps",
        skip_serializing_if = "Option::is_none"
    )]
    pub blkio_device_write_bps: Option<Vec<ThrottleDevice>>,
    #[serde(
        rename = "BlkioDeviceReadIOps",
        skip_serializing_if = "Option::is_none"
    )]
    pub blkio_device_read_iops: Option<Vec<ThrottleDevice>>,
    #[serde(
        rename = "BlkioDeviceWriteIOps",
        skip_serializing_if = "Option::is_none"
    )]
    pub blkio_device_write_iops: Option<Vec<ThrottleDevice>>,
    #[serde(rename = "CpuPeriod", skip_serializing_if = "Option::is_none")]
    pub cpu_period: Option<i64>,
    #[serde(rename = "CpuQuota", skip_serializing_if = "Option::is_none")]
    pub cpu_quota: Option<i64>,
    #[serde(rename = "CpuRealtimePeriod", skip_serializing_if = "Option::is_none")]
    pub cpu_realtime_period: Option<i64>,
    #[serde(rename = "CpuRealtimeRuntime", skip_serializing_if = "Option::is_none")]
    pub cpu_realtime_runtime: Option<i64>,
    #[serde(rename = "CpusetCpus", skip_serializing_if = "Option::is_none")]
    pub cpuset_cpus: Option<String>,
    #[serde(rename = "CpusetMems", skip_serializing_if = "Option::is_none")]
    pub cpuset_mems: Option<String>,
    #[serde(rename = "Devices", skip_serializing_if = "Option::is_none")]
    pub devices: Option<Vec<DeviceMapping>>,
    #[serde(rename = "DeviceCgroupRules", skip_serializing_if = "Option::is_none")]
    pub device_cgroup_rules: Option<Vec<String>>,
    #[serde(rename = "DeviceRequests", skip_serializing_if = "Option::is_none")]
    pub device_requests: Option<Vec<DeviceRequest>>,
    #[serde(rename = "MemoryReservation", skip_serializing_if = "Option::is_none")]
    pub memory_reservation: Option<i64>,
    #[serde(rename = "MemorySwap", skip_serializing_if = "Option::is_none")]
    pub memory_swap: Option<i64>,
    #[serde(rename = "MemorySwappiness", skip_serializing_if = "Option::is_none")]
    pub memory_swappiness: Option<i64>,
    #[serde(rename = "NanoCpus", skip_serializing_if = "Option::is_none")]
    pub nano_cpus: Option<i64>,
    #[serde(rename = "OomKillDisable", skip_serializing_if = "Option::is_none")]
    pub oom_kill_disable: Option<bool>,
    #[serde(rename = "Init", skip_serializing_if = "Option::is_none")]
    pub init: Option<bool>,
    #[serde(rename = "PidsLimit", skip_serializing_if = "Option::is_none")]
    pub pids_limit: Option<i64>,
    #[serde(rename = "Ulimits", skip_serializing_if = "Option::is_none")]
    pub ulimits: Option<Vec<Ulimit>>,
    #[serde(rename = "CpuCount", skip_serializing_if = "Option::is_none")]
    pub cpu_count: Option<i64>,
    #[serde(rename = "CpuPercent", skip_serializing_if = "Option::is_none")]
    pub cpu_percent: Option<i64>,
    #[serde(rename = "IOMaximumIOps", skip_serializing_if = "Option::is_none")]
    pub io_maximum_iops: Option<i64>,
    #[serde(rename = "IOMaximumBandwidth", skip_serializing_if = "Option::is_none")]
    pub io_maximum_bandwidth: Option<i64>,
    #[serde(rename = "Binds", skip_serializing_if = "Option::is_none")]
    pub binds: Option<Vec<String>>,
    #[serde(rename = "ContainerIDFile", skip_serializing_if = "Option::is_none")]
    pub container_id_file: Option<String>,
    #[serde(rename = "LogConfig", skip_serializing_if = "Option::is_none")]
    pub log_config: Option<LogConfig>,
    #[serde(rename = "NetworkMode", skip_serializing_if = "Option::is_none")]
    pub network_mode: Option<String>,
    #[serde(rename = "PortBindings", skip_serializing_if = "Option::is_none")]
    pub port_bindings: Option<BTreeMap<String, Option<Vec<PortBinding>>>>,
    #[serde(rename = "RestartPolicy", skip_serializing_if = "Option::is_none")]
    pub restart_policy: Option<RestartPolicy>,
    #[serde(rename = "AutoRemove", skip_serializing_if = "Option::is_none")]
    pub auto_remove: Option<bool>,
    #[serde(rename = "VolumeDriver", skip_serializing_if = "Option::is_none")]
    pub volume_driver: Option<String>,
    #[serde(rename = "VolumesFrom", skip_serializing_if = "Option::is_none")]
    pub volumes_from: Option<Vec<String>>,
    #[serde(rename = "Mounts", skip_serializing_if = "Option::is_none")]
    pub mounts: Option<Vec<Mount>>,
    #[serde(rename = "ConsoleSize", skip_serializing_if = "Option::is_none")]
    pub console_size: Option<Vec<u64>>,
    #[serde(rename = "Annotations", skip_serializing_if = "Option::is_none")]
    pub annotations: Option<BTreeMap<String, String>>,
    #[serde(rename = "CapAdd", skip_serializing_if = "Option::is_none")]
    pub cap_add: Option<Vec<String>>,
    #[serde(rename = "CapDrop", skip_serializing_if = "Option::is_none")]
    pub cap_drop: Option<Vec<String>>,
    #[serde(rename = "CgroupnsMode", skip_serializing_if = "Option::is_none")]
    pub cgroupns_mode: Option<String>,
    #[serde(rename = "Dns", skip_serializing_if = "Option::is_none")]
    pub dns: Option<Vec<String>>,
    #[serde(rename = "DnsOptions", skip_serializing_if = "Option::is_none")]
    pub dns_options: Option<Vec<String>>,
    #[serde(rename = "DnsSearch", skip_serializing_if = "Option::is_none")]
    pub dns_search: Option<Vec<String>>,
    #[serde(rename = "ExtraHosts", skip_serializing_if = "Option::is_none")]
    pub extra_hosts: Option<Vec<String>>,
    #[serde(rename = "GroupAdd", skip_serializing_if = "Option::is_none")]
    pub group_add: Option<Vec<String>>,
    #[serde(rename = "IpcMode", skip_serializing_if = "Option::is_none")]
    pub ipc_mode: Option<String>,
    #[serde(rename = "Cgroup", skip_serializing_if = "Option::is_none")]
    pub cgroup: Option<String>,
    #[serde(rename = "Links", skip_serializing_if = "Option::is_none")]
    pub links: Option<Vec<String>>,
    #[serde(rename = "OomScoreAdj", skip_serializing_if = "Option::is_none")]
    pub oom_score_adj: Option<i64>,
    #[serde(rename = "PidMode", skip_serializing_if = "Option::is_none")]
    pub pid_mode: Option<String>,
    #[serde(rename = "Privileged", skip_serializing_if = "Option::is_none")]
    pub privileged: Option<bool>,
    #[serde(rename = "PublishAllPorts", skip_serializing_if = "Option::is_none")]
    pub publish_all_ports: Option<bool>,
    #[serde(rename = "ReadonlyRootfs", skip_serializing_if = "Option::is_none")]
    pub readonly_rootfs: Option<bool>,
    #[serde(rename = "SecurityOpt", skip_serializing_if = "Option::is_none")]
    pub security_opt: Option<Vec<String>>,
    #[serde(rename = "StorageOpt", skip_serializing_if = "Option::is_none")]
    pub storage_opt: Option<BTreeMap<String, String>>,
    #[serde(rename = "Tmpfs", skip_serializing_if = "Option::is_none")]
    pub tmpfs: Option<BTreeMap<String, String>>,
    #[serde(rename = "UTSMode", skip_serializing_if = "Option::is_none")]
    pub uts_mode: Option<String>,
    #[serde(rename = "UsernsMode", skip_serializing_if = "Option::is_none")]
    pub userns_mode: Option<String>,
    #[serde(rename = "ShmSize", skip_serializing_if = "Option::is_none")]
    pub shm_size: Option<i64>,
    #[serde(rename = "Sysctls", skip_serializing_if = "Option::is_none")]
    pub sysctls: Option<BTreeMap<String, String>>,
    #[serde(rename = "Runtime", skip_serializing_if = "Option::is_none")]
    pub runtime: Option<String>,
    #[serde(rename = "Isolation", skip_serializing_if = "Option::is_none")]
    pub isolation: Option<String>,
    #[serde(rename = "MaskedPaths", skip_serializing_if = "Option::is_none")]
    pub masked_paths: Option<Vec<String>>,
    #[serde(rename = "ReadonlyPaths", skip_serializing_if = "Option::is_none")]
    pub readonly_paths: Option<Vec<String>>,
}

/// One `--mount` (HostConfig.Mounts).
#[allow(missing_docs)]
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Mount {
    #[serde(rename = "Target", skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    #[serde(rename = "Source", skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    #[serde(rename = "Type", skip_serializing_if = "Option::is_none")]
    pub typ: Option<String>,
    #[serde(rename = "ReadOnly", skip_serializing_if = "Option::is_none")]
    pub read_only: Option<bool>,
    #[serde(rename = "Consistency", skip_serializing_if = "Option::is_none")]
    pub consistency: Option<String>,
    #[serde(rename = "BindOptions", skip_serializing_if = "Option::is_none")]
    pub bind_options: Option<BindOptions>,
    #[serde(rename = "VolumeOptions", skip_serializing_if = "Option::is_none")]
    pub volume_options: Option<VolumeOptions>,
    #[serde(rename = "ImageOptions", skip_serializing_if = "Option::is_none")]
    pub image_options: Option<ImageOptions>,
    #[serde(rename = "TmpfsOptions", skip_serializing_if = "Option::is_none")]
    pub tmpfs_options: Option<TmpfsOptions>,
}

/// Mount.BindOptions.
#[allow(missing_docs)]
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct BindOptions {
    #[serde(rename = "Propagation", skip_serializing_if = "Option::is_none")]
    pub propagation: Option<String>,
    #[serde(rename = "NonRecursive", skip_serializing_if = "Option::is_none")]
    pub non_recursive: Option<bool>,
    #[serde(rename = "CreateMountpoint", skip_serializing_if = "Option::is_none")]
    pub create_mountpoint: Option<bool>,
    #[serde(
        rename = "ReadOnlyNonRecursive",
        skip_serializing_if = "Option::is_none"
    )]
    pub read_only_non_recursive: Option<bool>,
    #[serde(
        rename = "ReadOnlyForceRecursive",
        skip_serializing_if = "Option::is_none"
    )]
    pub read_only_force_recursive: Option<bool>,
}

/// Mount.VolumeOptions.
#[allow(missing_docs)]
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct VolumeOptions {
    #[serde(rename = "NoCopy", skip_serializing_if = "Option::is_none")]
    pub no_copy: Option<bool>,
    #[serde(rename = "Labels", skip_serializing_if = "Option::is_none")]
    pub labels: Option<BTreeMap<String, String>>,
    #[serde(rename = "DriverConfig", skip_serializing_if = "Option::is_none")]
    pub driver_config: Option<DriverConfig>,
    #[serde(rename = "Subpath", skip_serializing_if = "Option::is_none")]
    pub subpath: Option<String>,
}

/// Mount.VolumeOptions.DriverConfig.
#[allow(missing_docs)]
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct DriverConfig {
    #[serde(rename = "Name", skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(rename = "Options", skip_serializing_if = "Option::is_none")]
    pub options: Option<BTreeMap<String, String>>,
}

/// Mount.ImageOptions.
#[allow(missing_docs)]
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ImageOptions {
    #[serde(rename = "Subpath", skip_serializing_if = "Option::is_none")]
    pub subpath: Option<String>,
}

/// Mount.TmpfsOptions.
#[allow(missing_docs)]
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TmpfsOptions {
    #[serde(rename = "SizeBytes", skip_serializing_if = "Option::is_none")]
    pub size_bytes: Option<i64>,
    #[serde(rename = "Mode", skip_serializing_if = "Option::is_none")]
    pub mode: Option<i64>,
    #[serde(rename = "Options", skip_serializing_if = "Option::is_none")]
    pub options: Option<Vec<Vec<String>>>,
}

/// Config.Healthcheck; durations in nanoseconds.
#[allow(missing_docs)]
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct HealthConfig {
    #[serde(rename = "Test", skip_serializing_if = "Option::is_none")]
    pub test: Option<Vec<String>>,
    #[serde(rename = "Interval", skip_serializing_if = "Option::is_none")]
    pub interval: Option<i64>,
    #[serde(rename = "Timeout", skip_serializing_if = "Option::is_none")]
    pub timeout: Option<i64>,
    #[serde(rename = "Retries", skip_serializing_if = "Option::is_none")]
    pub retries: Option<i64>,
    #[serde(rename = "StartPeriod", skip_serializing_if = "Option::is_none")]
    pub start_period: Option<i64>,
    #[serde(rename = "StartInterval", skip_serializing_if = "Option::is_none")]
    pub start_interval: Option<i64>,
}

/// One entry of NetworkingConfig.EndpointsConfig.
#[allow(missing_docs)]
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct EndpointSettings {
    #[serde(rename = "IPAMConfig", skip_serializing_if = "Option::is_none")]
    pub ipam_config: Option<IpamConfig>,
    #[serde(rename = "Links", skip_serializing_if = "Option::is_none")]
    pub links: Option<Vec<String>>,
    #[serde(rename = "MacAddress", skip_serializing_if = "Option::is_none")]
    pub mac_address: Option<String>,
    #[serde(rename = "Aliases", skip_serializing_if = "Option::is_none")]
    pub aliases: Option<Vec<String>>,
    #[serde(rename = "DriverOpts", skip_serializing_if = "Option::is_none")]
    pub driver_opts: Option<BTreeMap<String, String>>,
    #[serde(rename = "GwPriority", skip_serializing_if = "Option::is_none")]
    pub gw_priority: Option<i64>,
}

/// EndpointSettings.IPAMConfig.
#[allow(missing_docs)]
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct IpamConfig {
    #[serde(rename = "IPv4Address", skip_serializing_if = "Option::is_none")]
    pub ipv4_address: Option<String>,
    #[serde(rename = "IPv6Address", skip_serializing_if = "Option::is_none")]
    pub ipv6_address: Option<String>,
    #[serde(rename = "LinkLocalIPs", skip_serializing_if = "Option::is_none")]
    pub link_local_ips: Option<Vec<String>>,
}

/// NetworkingConfig of the create body.
#[allow(missing_docs)]
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct NetworkingConfig {
    #[serde(rename = "EndpointsConfig", skip_serializing_if = "Option::is_none")]
    pub endpoints_config: Option<BTreeMap<String, EndpointSettings>>,
}

/// HostConfig.RestartPolicy.
#[allow(missing_docs)]
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RestartPolicy {
    #[serde(rename = "Name", skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(rename = "MaximumRetryCount", skip_serializing_if = "Option::is_none")]
    pub maximum_retry_count: Option<i64>,
}

/// HostConfig.LogConfig.
#[allow(missing_docs)]
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct LogConfig {
    #[serde(rename = "Type", skip_serializing_if = "Option::is_none")]
    pub typ: Option<String>,
    #[serde(rename = "Config", skip_serializing_if = "Option::is_none")]
    pub config: Option<BTreeMap<String, String>>,
}

/// One `--device`.
#[allow(missing_docs)]
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct DeviceMapping {
    #[serde(rename = "PathOnHost", skip_serializing_if = "Option::is_none")]
    pub path_on_host: Option<String>,
    #[serde(rename = "PathInContainer", skip_serializing_if = "Option::is_none")]
    pub path_in_container: Option<String>,
    #[serde(rename = "CgroupPermissions", skip_serializing_if = "Option::is_none")]
    pub cgroup_permissions: Option<String>,
}

/// One `--gpus` or CDI device request.
#[allow(missing_docs)]
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct DeviceRequest {
    #[serde(rename = "Driver", skip_serializing_if = "Option::is_none")]
    pub driver: Option<String>,
    #[serde(rename = "Count", skip_serializing_if = "Option::is_none")]
    pub count: Option<i64>,
    #[serde(rename = "DeviceIDs", skip_serializing_if = "Option::is_none")]
    pub device_ids: Option<Vec<String>>,
    #[serde(rename = "Capabilities", skip_serializing_if = "Option::is_none")]
    pub capabilities: Option<Vec<Vec<String>>>,
    #[serde(rename = "Options", skip_serializing_if = "Option::is_none")]
    pub options: Option<BTreeMap<String, String>>,
}

/// One `--ulimit`.
#[allow(missing_docs)]
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Ulimit {
    #[serde(rename = "Name", skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(rename = "Soft", skip_serializing_if = "Option::is_none")]
    pub soft: Option<i64>,
    #[serde(rename = "Hard", skip_serializing_if = "Option::is_none")]
    pub hard: Option<i64>,
}

/// One `--blkio-weight-device`.
#[allow(missing_docs)]
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct WeightDevice {
    #[serde(rename = "Path", skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    #[serde(rename = "Weight", skip_serializing_if = "Option::is_none")]
    pub weight: Option<u64>,
}

/// One `--device-{read,write}-{bps,iops}`.
#[allow(missing_docs)]
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ThrottleDevice {
    #[serde(rename = "Path", skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    #[serde(rename = "Rate", skip_serializing_if = "Option::is_none")]
    pub rate: Option<i64>,
}

/// One host binding of a published port.
#[allow(missing_docs)]
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PortBinding {
    #[serde(rename = "HostIp", skip_serializing_if = "Option::is_none")]
    pub host_ip: Option<String>,
    #[serde(rename = "HostPort", skip_serializing_if = "Option::is_none")]
    pub host_port: Option<String>,
}

#[cfg(test)]
mod tests {
    use crate::cli::RawArgs;
    use crate::spec::ContainerSpec;

    fn body(args: &[&str]) -> super::CreateBody {
        let mut argv = vec!["dockrun", "--name", "xy"];
        argv.extend_from_slice(args);
        argv.push("img");
        ContainerSpec::try_from(RawArgs::parse_from_argv(argv).expect("parses"))
            .expect("a spec")
            .body
    }

    /// `for_api`'s refusal at `version`, as (flag, needed version).
    fn refused_at(args: &[&str], version: super::ApiVersion) -> Option<(&'static str, (u32, u32))> {
        body(args)
            .for_api(version)
            .err()
            .map(|need| (need.flag, need.version))
    }

    #[test]
    fn read_only_binds_prefer_the_api_that_makes_them_recursive() {
        let prefers = |args: &[&str]| body(args).api_prefer();
        let rro = Some(super::RECURSIVE_READ_ONLY);
        assert_eq!(prefers(&["-v", "/src:/dst:ro"]), rro);
        assert_eq!(prefers(&["-v", "/src:/dst:ro,rshared"]), rro);
        assert_eq!(
            prefers(&["--mount", "type=bind,src=/s,dst=/d,readonly"]),
            rro
        );
        assert_eq!(
            prefers(&["--mount", "type=bind,src=/s,dst=/d,ro=true"]),
            rro
        );
        for plain in [
            &["-v", "/src:/dst"][..],
            &["-v", "/src:/dst:rw"],
            &["-v", "named:/dst:ro"],
            &["-v", "/dst"],
            &["--mount", "type=bind,src=/s,dst=/d"],
            &[
                "--mount",
                "type=bind,src=/s,dst=/d,readonly,bind-recursive=writable",
            ],
            &["--mount", "type=volume,src=v,dst=/d,readonly"],
        ] {
            assert_eq!(prefers(plain), None, "{plain:?}");
        }
    }

    #[test]
    fn each_part_needs_its_api_version() {
        let cases: &[(&[&str], &str, (u32, u32))] = &[
            (&["--annotation", "a=b"], "--annotation", (1, 43)),
            (
                &["--health-cmd", "true", "--health-start-interval", "1s"],
                "--health-start-interval",
                (1, 44),
            ),
            (
                &["--mac-address", "02:42:ac:11:00:02"],
                "--mac-address",
                (1, 44),
            ),
            (
                &["--network", "name=n,mac-address=02:42:ac:11:00:02"],
                "--mac-address",
                (1, 44),
            ),
            (
                &["--network", "a", "--network", "b"],
                "--network (given several times)",
                (1, 44),
            ),
            (
                &[
                    "--mount",
                    "type=bind,src=/a,dst=/b,ro,bind-recursive=readonly,bind-propagation=rprivate",
                ],
                "--mount bind-recursive=readonly",
                (1, 44),
            ),
            (
                &["--mount", "type=volume,src=v,dst=/v,volume-subpath=sub"],
                "--mount volume-subpath",
                (1, 45),
            ),
        ];
        for (args, flag, since) in cases {
            let below = (since.0, since.1 - 1);
            assert_eq!(
                refused_at(args, below),
                Some((*flag, *since)),
                "{args:?} at {below:?}"
            );
            assert_eq!(refused_at(args, *since), None, "{args:?} at {since:?}");
            let need = body(args).api_need().expect("a need");
            assert_eq!((need.flag, need.version), (*flag, *since), "{args:?}");
        }
    }

    #[test]
    fn the_newest_need_wins_and_plain_bodies_need_nothing() {
        let both = [
            "--annotation",
            "a=b",
            "--mount",
            "type=volume,src=v,dst=/v,volume-subpath=s",
        ];
        let need = body(&both).api_need().expect("a need");
        assert_eq!(
            (need.flag, need.version),
            ("--mount volume-subpath", (1, 45))
        );
        // At 1.44 the subpath is the one part it cannot carry.
        assert_eq!(
            refused_at(&both, (1, 44)),
            Some(("--mount volume-subpath", (1, 45)))
        );
        for plain in [
            &[][..],
            &["-v", "/a:/b:ro", "--network", "n", "--ip", "10.0.0.2"][..],
            &["--cgroupns", "host", "--network", "name=n,gw-priority=5"][..],
            &["--mount", "type=image,src=img,dst=/i"][..],
        ] {
            assert_eq!(body(plain).api_need(), None, "{plain:?}");
            assert_eq!(body(plain).for_api((1, 41)), Ok(body(plain)), "{plain:?}");
        }
        // Below dockrun's default, what docker/cli refuses there (DOCKER_API_VERSION=1.40).
        assert_eq!(
            refused_at(&["--cgroupns", "host"], (1, 40)),
            Some(("--cgroupns", (1, 41)))
        );
    }

    #[test]
    fn bodies_are_the_same_at_every_version_that_carries_them() {
        let args = [
            "--network",
            "name=n,mac-address=02:42:ac:11:00:02,alias=a",
            "--health-cmd",
            "true",
            "--health-start-interval",
            "2s",
        ];
        let at_44 = body(&args).for_api((1, 44)).expect("carried");
        assert_eq!(at_44, body(&args).for_api((1, 45)).expect("carried"));
        assert_eq!(at_44, body(&args));
        let json = serde_json::to_value(&at_44).expect("json");
        // The MAC rides on its endpoint; no container-wide `MacAddress` is ever written.
        assert_eq!(
            json["NetworkingConfig"]["EndpointsConfig"]["n"]["MacAddress"],
            "02:42:ac:11:00:02"
        );
        assert!(json.get("MacAddress").is_none());
    }
}
