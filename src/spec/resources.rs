//! The resource flags (memory, CPU, block IO, devices, GPUs, ulimits, pids, shm, OOM) turned into
//! the `HostConfig` fields the docker CLI sends, and nothing else.
//!
//! Numeric flags follow pflag's Go syntax (`numbers`), sizes go-units' (`units`), devices and
//! GPUs their own grammars (`devices`, `gpus`); the small list grammars (`--ulimit`,
//! `--blkio-weight-device`, `--device-{read,write}-{bps,iops}`) live here. Fields docker always
//! sends (`Devices`, `Ulimits`, the blkio lists as `[]`, `MemorySwappiness` -1, `PidsLimit` 0,
//! `OomKillDisable` false) are always set, so `docker inspect` matches field for field.
//! Refused on purpose: `--kernel-memory` (deprecated, and bollard 0.21's model has no
//! `KernelMemory`, so it could only be dropped silently) and the Windows-only `--cpu-count`,
//! `--cpu-percent`, `--io-maxbandwidth`, `--io-maxiops` (docker run refuses them on Linux).

use std::collections::BTreeMap;

use super::body::{HostConfig, ThrottleDevice, Ulimit, WeightDevice};
use super::numbers::{parse_int, parse_nano_cpus, parse_uint, Base};
use super::units::ram_in_bytes;
use super::{devices, gpus, SpecError};
use crate::cli::ResourceArgs;

/// Parse an optional flag value with `parse`, naming the flag in the error.
fn opt<T>(
    flag: &'static str,
    value: Option<&String>,
    parse: impl Fn(&str) -> Result<T, String>,
) -> Result<Option<T>, SpecError> {
    value
        .map(|v| parse(v).map_err(|reason| SpecError::invalid(flag, v.clone(), reason)))
        .transpose()
}

/// pflag's `Int64Var` (and `IntVar`: int is 64 bits on docker's platforms).
fn int64(s: &str) -> Result<i64, String> {
    parse_int(s, Base::Prefixed, 64)
}

impl ResourceArgs {
    /// Validate every resource flag and return a `HostConfig` holding only the resource fields
    /// (the caller fills in the rest with struct-update syntax).
    ///
    /// # Errors
    /// The first bad value, naming its flag, or a flag refused on purpose.
    pub fn into_host_config(self) -> Result<HostConfig, SpecError> {
        let memory = opt("--memory", self.memory.as_ref(), ram_in_bytes)?;
        let memory_reservation = opt(
            "--memory-reservation",
            self.memory_reservation.as_ref(),
            ram_in_bytes,
        )?;
        // `MemSwapBytes`: exactly `-1` means unlimited; anything else is a size.
        let memory_swap = opt("--memory-swap", self.memory_swap.as_ref(), |s| {
            if s == "-1" {
                Ok(-1)
            } else {
                ram_in_bytes(s)
            }
        })?;
        let swappiness = opt(
            "--memory-swappiness",
            self.memory_swappiness.as_ref(),
            |s| {
                let n = int64(s)?;
                if n == -1 || (0..=100).contains(&n) {
                    Ok(n)
                } else {
                    Err(format!(
                        "invalid value: {n}. Valid memory swappiness range is 0-100"
                    ))
                }
            },
        )?
        .unwrap_or(-1);
        if opt("--kernel-memory", self.kernel_memory.as_ref(), ram_in_bytes)?.is_some() {
            return Err(SpecError::Unsupported {
                flag: "--kernel-memory",
                why: "kernel memory limits are deprecated by docker and no longer supported by \
                      the kernel, and the Engine API model dockrun uses has no `KernelMemory` \
                      field, so the limit could only be dropped silently",
            });
        }
        let oom_score_adj = opt("--oom-score-adj", self.oom_score_adj.as_ref(), int64)?;
        let nano_cpus = opt("--cpus", self.cpus.as_ref(), parse_nano_cpus)?;
        let cpu_shares = opt("--cpu-shares", self.cpu_shares.as_ref(), int64)?;
        let cpu_period = opt("--cpu-period", self.cpu_period.as_ref(), int64)?;
        let cpu_quota = opt("--cpu-quota", self.cpu_quota.as_ref(), int64)?;
        let cpu_rt_period = opt("--cpu-rt-period", self.cpu_rt_period.as_ref(), int64)?;
        let cpu_rt_runtime = opt("--cpu-rt-runtime", self.cpu_rt_runtime.as_ref(), int64)?;
        let blkio_weight = opt("--blkio-weight", self.blkio_weight.as_ref(), |s| {
            parse_uint(s, Base::Prefixed, 16)
                .and_then(|w| u16::try_from(w).map_err(|_| "value out of range".to_owned()))
        })?;
        let pids_limit = opt("--pids-limit", self.pids_limit.as_ref(), int64)?.unwrap_or(0);
        let shm_size = opt("--shm-size", self.shm_size.as_ref(), ram_in_bytes)?;

        // Windows-only flags: their values are parsed first (a bad value is a parse error in
        // docker too), then the flag is refused as docker run refuses it against Linux.
        let windows_only = [
            (
                "--cpu-count",
                opt("--cpu-count", self.cpu_count.as_ref(), int64)?.is_some(),
            ),
            (
                "--cpu-percent",
                opt("--cpu-percent", self.cpu_percent.as_ref(), int64)?.is_some(),
            ),
            (
                "--io-maxbandwidth",
                opt(
                    "--io-maxbandwidth",
                    self.io_maxbandwidth.as_ref(),
                    ram_in_bytes,
                )?
                .is_some(),
            ),
            (
                "--io-maxiops",
                opt("--io-maxiops", self.io_maxiops.as_ref(), |s| {
                    parse_uint(s, Base::Prefixed, 64)
                })?
                .is_some(),
            ),
        ];
        if let Some((flag, _)) = windows_only.iter().find(|(_, given)| *given) {
            return Err(SpecError::Unsupported {
                flag,
                why: "it is only supported by a Docker daemon running on Windows \
                      (docker run refuses it against a Linux daemon)",
            });
        }

        let devices = devices::parse_devices(&self.device)
            .map_err(|(value, reason)| SpecError::invalid("--device", value, reason))?;
        let mut device_requests = self
            .gpus
            .iter()
            .map(|g| {
                gpus::parse_gpu_request(g)
                    .map_err(|reason| SpecError::invalid("--gpus", g.clone(), reason))
            })
            .collect::<Result<Vec<_>, _>>()?;
        device_requests.extend(devices.cdi);
        if let Some(bad) = self
            .device_cgroup_rule
            .iter()
            .find(|r| !devices::valid_cgroup_rule(r))
        {
            return Err(SpecError::invalid(
                "--device-cgroup-rule",
                bad.clone(),
                "the format is `type major:minor access` (e.g. `c 1:3 rwm`, `a *:* m`)",
            ));
        }

        Ok(HostConfig {
            memory,
            memory_reservation,
            memory_swap,
            memory_swappiness: Some(swappiness),
            oom_kill_disable: Some(self.oom_kill_disable.unwrap_or(false)),
            oom_score_adj,
            nano_cpus,
            cpu_shares,
            cpu_period,
            cpu_quota,
            cpu_realtime_period: cpu_rt_period,
            cpu_realtime_runtime: cpu_rt_runtime,
            cpuset_cpus: self.cpuset_cpus.filter(|s| !s.is_empty()),
            cpuset_mems: self.cpuset_mems.filter(|s| !s.is_empty()),
            blkio_weight,
            blkio_weight_device: Some(parse_weight_devices(&self.blkio_weight_device)?),
            blkio_device_read_bps: Some(parse_throttle(
                "--device-read-bps",
                &self.device_read_bps,
                Rate::Bytes,
            )?),
            blkio_device_write_bps: Some(parse_throttle(
                "--device-write-bps",
                &self.device_write_bps,
                Rate::Bytes,
            )?),
            blkio_device_read_iops: Some(parse_throttle(
                "--device-read-iops",
                &self.device_read_iops,
                Rate::Iops,
            )?),
            blkio_device_write_iops: Some(parse_throttle(
                "--device-write-iops",
                &self.device_write_iops,
                Rate::Iops,
            )?),
            pids_limit: Some(pids_limit),
            shm_size,
            ulimits: Some(parse_ulimits(&self.ulimit)?),
            cgroup_parent: self.cgroup_parent.filter(|s| !s.is_empty()),
            devices: Some(devices.mappings),
            device_cgroup_rules: if self.device_cgroup_rule.is_empty() {
                None
            } else {
                Some(self.device_cgroup_rule)
            },
            device_requests: if device_requests.is_empty() {
                None
            } else {
                Some(device_requests)
            },
            ..HostConfig::default()
        })
    }
}

/// The ulimit names go-units knows (`as` is left out there on purpose).
const ULIMIT_NAMES: [&str; 15] = [
    "core",
    "cpu",
    "data",
    "fsize",
    "locks",
    "memlock",
    "msgqueue",
    "nice",
    "nofile",
    "nproc",
    "rss",
    "rtprio",
    "rttime",
    "sigpending",
    "stack",
];

/// One `--ulimit name=soft[:hard]` (go-units `ParseUlimit` as vendored by docker 28).
///
/// # Errors
/// Unknown name, bad integer, too many values, or soft above hard.
pub fn parse_ulimit(value: &str) -> Result<Ulimit, String> {
    let (name, limits) = value
        .split_once('=')
        .ok_or_else(|| format!("invalid ulimit argument: {value}"))?;
    if !ULIMIT_NAMES.contains(&name) {
        return Err(format!("invalid ulimit type: {name}"));
    }
    let parts: Vec<&str> = limits.split(':').collect();
    let int = |s: &str| {
        parse_int(s, Base::Decimal, 64).map_err(|e| format!("strconv.ParseInt: parsing {s:?}: {e}"))
    };
    let (soft, hard) = match parts.as_slice() {
        [soft] => {
            let soft = int(soft)?;
            (soft, soft)
        }
        [soft, hard] => {
            let hard = int(hard)?;
            (int(soft)?, hard)
        }
        _ => {
            return Err(format!(
                "too many limit value arguments - {limits}, can only have up to two, `soft[:hard]`"
            ))
        }
    };
    if soft == -1 && hard != -1 {
        return Err(format!(
            "ulimit soft limit must be less than or equal to hard limit: soft: -1 (unlimited), hard: {hard}"
        ));
    }
    if hard != -1 && soft > hard {
        return Err(format!(
            "ulimit soft limit must be less than or equal to hard limit: {soft} > {hard}"
        ));
    }
    Ok(Ulimit {
        name: Some(name.to_owned()),
        soft: Some(soft),
        hard: Some(hard),
    })
}

/// Every `--ulimit`: the same name again replaces it; sorted by name, as docker sends them.
fn parse_ulimits(values: &[String]) -> Result<Vec<Ulimit>, SpecError> {
    let mut by_name = BTreeMap::new();
    for value in values {
        let ulimit = parse_ulimit(value)
            .map_err(|reason| SpecError::invalid("--ulimit", value.clone(), reason))?;
        by_name.insert(ulimit.name.clone().unwrap_or_default(), ulimit);
    }
    Ok(by_name.into_values().collect())
}

/// `path:rest` with a non-empty path under `/dev/` (docker checks this on the client).
fn device_and_value(value: &str) -> Result<(&str, &str), String> {
    let (path, rest) = value
        .split_once(':')
        .filter(|(path, _)| !path.is_empty())
        .ok_or_else(|| format!("bad format: {value}"))?;
    if !path.starts_with("/dev/") {
        return Err(format!("bad format for device path: {value}"));
    }
    Ok((path, rest))
}

/// One `--blkio-weight-device /dev/x:weight` (weight 0, or 10 to 1000).
///
/// # Errors
/// Bad format, a path outside `/dev/`, or a weight out of range.
pub fn parse_weight_device(value: &str) -> Result<WeightDevice, String> {
    let (path, weight) = device_and_value(value)?;
    let weight = parse_uint(weight, Base::Decimal, 16)
        .ok()
        .filter(|w| *w == 0 || (10..=1000).contains(w))
        .ok_or_else(|| format!("invalid weight for device: {value}"))?;
    Ok(WeightDevice {
        path: Some(path.to_owned()),
        weight: Some(weight),
    })
}

fn parse_weight_devices(values: &[String]) -> Result<Vec<WeightDevice>, SpecError> {
    values
        .iter()
        .map(|v| {
            parse_weight_device(v)
                .map_err(|reason| SpecError::invalid("--blkio-weight-device", v.clone(), reason))
        })
        .collect()
}

/// The unit of a throttle rate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rate {
    /// Bytes per second: a size (`1mb`).
    Bytes,
    /// IO per second: a plain decimal integer.
    Iops,
}

/// One `--device-{read,write}-{bps,iops} /dev/x:rate`.
///
/// # Errors
/// Bad format, a path outside `/dev/`, or a bad rate.
pub fn parse_throttle_device(value: &str, unit: Rate) -> Result<ThrottleDevice, String> {
    let (path, rate) = device_and_value(value)?;
    let rate = match unit {
        // A size beyond int64 comes back as i64::MIN (as in Go), which docker refuses here.
        Rate::Bytes => ram_in_bytes(rate).ok().filter(|r| *r >= 0).ok_or_else(|| {
            format!(
                "invalid rate for device: {value}. The correct format is \
                 <device-path>:<number>[<unit>]. Number must be a positive integer. \
                 Unit is optional and can be kb, mb, or gb"
            )
        })?,
        Rate::Iops => {
            let iops = parse_uint(rate, Base::Decimal, 64).map_err(|_| {
                format!(
                    "invalid rate for device: {value}. The correct format is \
                     <device-path>:<number>. Number must be a positive integer"
                )
            })?;
            // docker accepts up to 2^64-1, but the Engine API model dockrun uses holds an int64.
            i64::try_from(iops).map_err(|_| {
                format!(
                    "a rate above {} cannot be sent through the Engine API model dockrun uses",
                    i64::MAX
                )
            })?
        }
    };
    Ok(ThrottleDevice {
        path: Some(path.to_owned()),
        rate: Some(rate),
    })
}

fn parse_throttle(
    flag: &'static str,
    values: &[String],
    unit: Rate,
) -> Result<Vec<ThrottleDevice>, SpecError> {
    values
        .iter()
        .map(|v| {
            parse_throttle_device(v, unit)
                .map_err(|reason| SpecError::invalid(flag, v.clone(), reason))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flags(f: impl FnOnce(&mut ResourceArgs)) -> Result<HostConfig, SpecError> {
        let mut flags = ResourceArgs::default();
        f(&mut flags);
        flags.into_host_config()
    }

    fn s(v: &str) -> Option<String> {
        Some(v.to_owned())
    }

    #[test]
    fn defaults_match_what_docker_always_sends() {
        let hc = flags(|_| {}).expect("ok");
        assert_eq!(hc.memory_swappiness, Some(-1));
        assert_eq!(hc.pids_limit, Some(0));
        assert_eq!(hc.oom_kill_disable, Some(false));
        assert_eq!(hc.devices, Some(vec![]));
        assert_eq!(hc.ulimits, Some(vec![]));
        assert_eq!(hc.blkio_weight_device, Some(vec![]));
        assert_eq!(hc.blkio_device_write_iops, Some(vec![]));
        assert_eq!(hc.device_requests, None);
        assert_eq!(hc.memory, None);
    }

    #[test]
    fn memory_and_cpu_values() {
        let hc = flags(|f| {
            f.memory = s("64m");
            f.memory_reservation = s("32M");
            f.memory_swap = s("-1");
            f.memory_swappiness = s("0");
            f.oom_kill_disable = Some(true);
            f.oom_score_adj = s("-500");
            f.cpus = s("1.5");
            f.cpu_shares = s("0x200");
            f.cpu_period = s("100000");
            f.cpu_quota = s("-1");
            f.cpuset_cpus = s("0-1");
            f.pids_limit = s("-1");
            f.shm_size = s("1g");
            f.blkio_weight = s("500");
            f.cgroup_parent = s("/mine");
        })
        .expect("ok");
        assert_eq!(hc.memory, Some(64 << 20));
        assert_eq!(hc.memory_reservation, Some(32 << 20));
        assert_eq!(hc.memory_swap, Some(-1));
        assert_eq!(hc.memory_swappiness, Some(0));
        assert_eq!(hc.oom_kill_disable, Some(true));
        assert_eq!(hc.oom_score_adj, Some(-500));
        assert_eq!(hc.nano_cpus, Some(1_500_000_000));
        assert_eq!(hc.cpu_shares, Some(512));
        assert_eq!(hc.cpu_quota, Some(-1));
        assert_eq!(hc.cpuset_cpus.as_deref(), Some("0-1"));
        assert_eq!(hc.pids_limit, Some(-1));
        assert_eq!(hc.shm_size, Some(1 << 30));
        assert_eq!(hc.blkio_weight, Some(500));
        assert_eq!(hc.cgroup_parent.as_deref(), Some("/mine"));
    }

    #[test]
    fn refusals_name_the_flag() {
        type Setter = fn(&mut ResourceArgs);
        let cases: [(&str, Setter); 11] = [
            ("--memory", |f| f.memory = s("-1")),
            ("--memory", |f| f.memory = s("1x")),
            ("--memory-swap", |f| f.memory_swap = s("-2")),
            ("--memory-swappiness", |f| f.memory_swappiness = s("101")),
            ("--memory-swappiness", |f| f.memory_swappiness = s("-2")),
            ("--cpus", |f| f.cpus = s("1/3")),
            ("--blkio-weight", |f| f.blkio_weight = s("70000")),
            ("--pids-limit", |f| f.pids_limit = s("1k")),
            ("--kernel-memory", |f| f.kernel_memory = s("10m")),
            ("--cpu-count", |f| f.cpu_count = s("2")),
            ("--io-maxiops", |f| f.io_maxiops = s("2")),
        ];
        for (flag, set) in cases {
            let err = flags(set).expect_err(flag);
            assert!(err.to_string().contains(&format!("`{flag}`")), "{err}");
        }
        // A bad value is reported as such even on a refused flag.
        let err = flags(|f| f.kernel_memory = s("1x")).expect_err("bad");
        assert!(matches!(err, SpecError::InvalidValue { .. }), "{err}");
        let err = flags(|f| f.device_cgroup_rule = vec!["c 1:3".into()]).expect_err("bad");
        assert!(err.to_string().contains("`--device-cgroup-rule`"), "{err}");
        let err = flags(|f| f.gpus = vec![String::new()]).expect_err("bad");
        assert!(err.to_string().contains("`--gpus`"), "{err}");
    }

    #[test]
    fn ulimits() {
        let u = |n: &str, soft, hard| Ulimit {
            name: Some(n.into()),
            soft: Some(soft),
            hard: Some(hard),
        };
        assert_eq!(parse_ulimit("nofile=1024"), Ok(u("nofile", 1024, 1024)));
        assert_eq!(
            parse_ulimit("nofile=1024:2048"),
            Ok(u("nofile", 1024, 2048))
        );
        assert_eq!(parse_ulimit("core=-1"), Ok(u("core", -1, -1)));
        assert_eq!(parse_ulimit("core=5:-1"), Ok(u("core", 5, -1)));
        assert_eq!(parse_ulimit("nice=-5:-3"), Ok(u("nice", -5, -3)));
        assert_eq!(parse_ulimit("nproc=+7"), Ok(u("nproc", 7, 7)));
        for bad in [
            "nofile",
            "foo=1",
            "NOFILE=1",
            "as=1",
            "nofile=",
            "nofile=1k",
            "nofile=0x10",
            "nofile=1:2:3",
            "nofile=10:5",
            "nofile=-1:5",
            "nofile=1:",
            "=1",
        ] {
            assert!(parse_ulimit(bad).is_err(), "{bad}");
        }
        let hc = flags(|f| {
            f.ulimit = vec!["nproc=5".into(), "core=1".into(), "nproc=9:10".into()];
        })
        .expect("ok");
        assert_eq!(hc.ulimits, Some(vec![u("core", 1, 1), u("nproc", 9, 10)]));
    }

    #[test]
    fn weight_devices() {
        assert_eq!(
            parse_weight_device("/dev/sda:500"),
            Ok(WeightDevice {
                path: Some("/dev/sda".into()),
                weight: Some(500)
            })
        );
        assert!(parse_weight_device("/dev/sda:0").is_ok());
        assert!(parse_weight_device("/dev/sda:10").is_ok());
        assert!(parse_weight_device("/dev/sda:1000").is_ok());
        for bad in [
            "/dev/sda",
            "/dev/sda:9",
            "/dev/sda:1001",
            "/dev/sda:-1",
            "/dev/sda:0x10",
            ":10",
            "sda:10",
            "/de/sda:10",
            "/dev/sda:",
            "/dev/sda:70000",
        ] {
            assert!(parse_weight_device(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn throttle_devices() {
        let t = |p: &str, r| ThrottleDevice {
            path: Some(p.into()),
            rate: Some(r),
        };
        assert_eq!(
            parse_throttle_device("/dev/sda:1mb", Rate::Bytes),
            Ok(t("/dev/sda", 1 << 20))
        );
        assert_eq!(
            parse_throttle_device("/dev/sda:1:2k", Rate::Bytes),
            Err("invalid rate for device: /dev/sda:1:2k. The correct format is <device-path>:<number>[<unit>]. Number must be a positive integer. Unit is optional and can be kb, mb, or gb".into())
        );
        assert_eq!(
            parse_throttle_device("/dev/sda:1000", Rate::Iops),
            Ok(t("/dev/sda", 1000))
        );
        for bad in [
            "/dev/sda:1k",
            "/dev/sda:-1",
            "/dev/sda:",
            "/dev/sda:18446744073709551615",
        ] {
            assert!(parse_throttle_device(bad, Rate::Iops).is_err(), "{bad}");
        }
        for bad in [
            "/dev/sda:-1",
            "/dev/sda:1x",
            "sda:1",
            "/dev/sda",
            "/dev/sda:1e30",
        ] {
            assert!(parse_throttle_device(bad, Rate::Bytes).is_err(), "{bad}");
        }
    }
}
