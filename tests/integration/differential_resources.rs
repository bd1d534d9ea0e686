//! Issue 3, part B: the resource flags (memory, CPU, block IO, devices, GPUs, ulimits, pids, shm,
//! OOM), each proven against `docker run` with the harness in `differential.rs`.
//!
//! Three kinds of case:
//! - `d_res_*`: docker runs the set; dockrun must make the same container (`compare`).
//! - `d_res_start_*`: docker creates the container but the engine cannot start it (no GPU, no CDI
//!   registry, no real-time CPU budget in this engine's cgroup): dockrun must fail the same way,
//!   with the same exit code, leaving a created container whose `HostConfig` equals docker's.
//! - `d_refuses_res_*`: docker refuses the set (client or daemon, before creating anything):
//!   dockrun must exit 125 and create nothing, naming the flag (`refused`), or reporting the
//!   failed create when the engine is the one that refuses (`refused_by_engine`).
//!
//! Block IO throttles need a real block device of this host: [`block_device`] finds one.

use std::process::{Command, Stdio};

use serde_json::Value;

use crate::differential::{compare, refused, refused_by_engine};
use crate::support::image::test_image;
use crate::support::{dockrun_bin, unique, Cleanup};

const SLEEP: &[&str] = &["sleep", "600"];

/// The first whole disk listed in `/proc/partitions` that exists under `/dev` (e.g. `/dev/vda`).
fn block_device() -> String {
    let partitions = std::fs::read_to_string("/proc/partitions").expect("/proc/partitions");
    partitions
        .lines()
        .skip(2)
        .filter_map(|line| line.split_whitespace().nth(3))
        .filter(|name| !name.starts_with("loop") && !name.starts_with("ram"))
        .map(|name| format!("/dev/{name}"))
        .find(|path| std::path::Path::new(path).exists())
        .expect("a block device for the blkio cases")
}

fn flags_with(template: &[&str], device: &str) -> Vec<String> {
    template.iter().map(|f| f.replace("DEV", device)).collect()
}

// ---- memory ----

#[test]
fn d_res_memory_limits() {
    compare(
        &[
            "-m",
            "64m",
            "--memory-reservation",
            "32m",
            "--memory-swap",
            "128m",
        ],
        SLEEP,
    );
}

#[test]
fn d_res_memory_unlimited_swap_and_swappiness() {
    compare(
        &[
            "--memory=64M",
            "--memory-swap=-1",
            "--memory-swappiness",
            "50",
        ],
        SLEEP,
    );
}

#[test]
fn d_res_memory_size_spellings() {
    compare(
        &[
            "-m",
            "0.0625g",
            "--shm-size=65536KiB",
            "--memory-reservation",
            "33554432b",
        ],
        SLEEP,
    );
}

#[test]
fn d_res_oom() {
    compare(
        &["-m", "64m", "--oom-kill-disable", "--oom-score-adj", "500"],
        SLEEP,
    );
    compare(
        &["--oom-kill-disable=false", "--memory-swappiness=0"],
        SLEEP,
    );
}

// ---- CPU ----

#[test]
fn d_res_cpus_decimal_and_fraction() {
    compare(&["--cpus", "1.5"], SLEEP);
    compare(&["--cpus=1/2"], SLEEP);
}

#[test]
fn d_res_cpu_cfs_and_shares() {
    compare(
        &[
            "-c",
            "512",
            "--cpu-period",
            "100000",
            "--cpu-quota",
            "50000",
        ],
        SLEEP,
    );
    // pflag reads integers with Go's base prefixes: 0x400 is 1024.
    compare(&["--cpu-shares=0x400", "--cpu-quota=-1"], SLEEP);
}

#[test]
fn d_res_go_number_syntax() {
    // pflag integers take base prefixes and signs, sizes go through Go's ParseFloat (hex floats,
    // exponents, a space before the unit), --cpus through big.Rat: all as docker reads them.
    compare(
        &[
            "--shm-size",
            "64 m",
            "--cpus",
            "0x1p-1",
            "--memory-swappiness",
            "0x10",
            "--blkio-weight",
            "0x1f4",
            "--ulimit",
            "nofile=+512",
            "--pids-limit",
            "0b111_000",
            "-m",
            "0.5e2M",
        ],
        SLEEP,
    );
}

#[test]
fn d_res_cpusets() {
    compare(&["--cpuset-cpus", "0-1", "--cpuset-mems", "0"], SLEEP);
}

// ---- block IO ----

#[test]
fn d_res_blkio_weights() {
    let dev = block_device();
    let flags = flags_with(
        &["--blkio-weight", "500", "--blkio-weight-device", "DEV:300"],
        &dev,
    );
    let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
    compare(&flags, SLEEP);
}

#[test]
fn d_res_device_throttles() {
    let dev = block_device();
    let flags = flags_with(
        &[
            "--device-read-bps",
            "DEV:1mb",
            "--device-write-bps=DEV:2m",
            "--device-read-iops",
            "DEV:200",
            "--device-write-iops",
            "DEV:100",
        ],
        &dev,
    );
    let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
    compare(&flags, SLEEP);
}

// ---- limits, cgroups, devices ----

#[test]
fn d_res_pids_and_shm() {
    compare(&["--pids-limit", "100", "--shm-size", "128m"], SLEEP);
    compare(&["--pids-limit=-1"], SLEEP);
}

#[test]
fn d_res_ulimits() {
    // Same name twice: the last wins; docker sends them sorted by name.
    compare(
        &[
            "--ulimit",
            "nofile=1024:2048",
            "--ulimit",
            "core=-1",
            "--ulimit=nproc=100:200",
            "--ulimit",
            "nofile=512",
        ],
        SLEEP,
    );
}

#[test]
fn d_res_cgroup_parent() {
    // `/docker` is where the cgroupfs driver puts containers anyway: nothing new is left behind.
    compare(&["--cgroup-parent", "/docker"], SLEEP);
}

#[test]
fn d_res_devices() {
    compare(
        &[
            "--device",
            "/dev/null:/dev/mynull:rw",
            "--device",
            "/dev/zero",
            "--device=/dev/full:r",
            "--device",
            "/dev//random:/dev/rand/",
        ],
        SLEEP,
    );
}

#[test]
fn d_res_device_cgroup_rules() {
    compare(
        &[
            "--device-cgroup-rule",
            "c 1:3 rwm",
            "--device-cgroup-rule=a *:* m",
        ],
        SLEEP,
    );
}

#[test]
fn d_res_everything_at_once() {
    let dev = block_device();
    let flags = flags_with(
        &[
            "-m",
            "96m",
            "--memory-swap",
            "192m",
            "--cpus",
            "0.5",
            "-c",
            "256",
            "--pids-limit",
            "64",
            "--ulimit",
            "nofile=256",
            "--device",
            "/dev/zero:/z",
            "--device-read-bps",
            "DEV:10mb",
            "--shm-size",
            "32m",
            "--oom-score-adj=10",
        ],
        &dev,
    );
    let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
    compare(&flags, SLEEP);
}

// ---- created, but the engine cannot start them ----

/// docker creates the container and fails to start it; dockrun must do the same: same exit code,
/// a container left in `created`, and the same `HostConfig`.
fn compare_failed_start(flags: &[&str]) {
    let mut guard = Cleanup::new();
    let a = guard.container(&unique("resA"));
    let b = guard.container(&unique("resB"));
    let run = |program: &str, name: &str| {
        let mut command = Command::new(program);
        if program == "docker" {
            command.arg("run");
        }
        command
            .args(["-d", "--name", name])
            .args(flags)
            .arg(test_image())
            .args(SLEEP)
            .stdin(Stdio::null())
            .output()
            .expect("the CLI runs")
    };
    let host_config = |name: &str| -> Value {
        let out = Command::new("docker")
            .args([
                "inspect",
                "--type",
                "container",
                "-f",
                "{{json .HostConfig}}",
                name,
            ])
            .output()
            .expect("docker inspect runs");
        assert!(out.status.success(), "`{name}` was not left behind");
        serde_json::from_slice(&out.stdout).expect("JSON")
    };
    let state = |name: &str| crate::support::inspect(name, "{{.State.Status}}");

    let docker = run("docker", &a);
    assert_ne!(docker.status.code(), Some(0), "docker started {flags:?}");
    assert_eq!(
        state(&a).as_deref(),
        Some("created"),
        "docker left no created container"
    );
    let dockrun = run(dockrun_bin(), &b);
    assert_eq!(
        dockrun.status.code(),
        docker.status.code(),
        "exit code for {flags:?}; docker said {:?}, dockrun said {:?}",
        String::from_utf8_lossy(&docker.stderr),
        String::from_utf8_lossy(&dockrun.stderr)
    );
    assert_eq!(state(&b).as_deref(), Some("created"));
    assert_eq!(host_config(&a), host_config(&b), "HostConfig for {flags:?}");
}

#[test]
fn d_res_start_gpus_all() {
    compare_failed_start(&["--gpus", "all"]);
}

#[test]
fn d_res_start_gpus_full_grammar() {
    compare_failed_start(&[
        "--gpus",
        "\"device=0,1\",capabilities=compute,driver=nvidia",
        "--gpus=count=2,\"options=a=1,b=2\"",
    ]);
}

#[test]
fn d_res_start_cdi_device() {
    compare_failed_start(&["--device", "vendor.com/class=dev0", "--device", "/dev/zero"]);
}

#[test]
fn d_res_start_realtime_cpu() {
    compare_failed_start(&["--cpu-rt-period", "1000", "--cpu-rt-runtime", "500"]);
}

#[test]
fn d_res_start_cpus_below_daemon_minimum() {
    compare_failed_start(&["--cpus", "0.001"]);
}

// ---- refused by docker, so by dockrun ----

#[test]
fn d_refuses_res_bad_sizes() {
    refused(&["-m", "12q"], SLEEP); // unknown unit
    refused(&["-m", "1ki"], SLEEP); // `i` without `b`
    refused(&["-m=-1"], SLEEP); // negative
    refused(&["--memory-swap", "-2"], SLEEP); // only -1 is special
    refused(&["--shm-size", "1.2.3m"], SLEEP);
    refused_by_engine(&["-m", "1m"], SLEEP); // below the engine's 6 MB minimum
}

#[test]
fn d_refuses_res_swappiness_out_of_range() {
    refused(&["--memory-swappiness", "101"], SLEEP);
    refused(&["--memory-swappiness=-2"], SLEEP);
}

#[test]
fn d_refuses_res_bad_ulimits() {
    refused(&["--ulimit", "nofile=10:5"], SLEEP); // soft > hard
    refused(&["--ulimit", "nofile=-1:5"], SLEEP); // unlimited soft, finite hard
    refused(&["--ulimit", "nofile=1k"], SLEEP);
    refused(&["--ulimit", "bogus=1"], SLEEP);
    refused(&["--ulimit", "nofile=1:2:3"], SLEEP);
}

#[test]
fn d_refuses_res_bad_devices() {
    refused(&["--device", "/dev/null:rwx"], SLEEP); // bad permissions read as a relative path
    refused(&["--device", "/dev/null:/x:rwmr"], SLEEP);
    refused(&["--device", "/dev/null:x"], SLEEP);
    refused(&["--device", "/a:/b:r:w"], SLEEP);
    refused(&["--device", "a/b=c"], SLEEP); // docker crashes on a one-letter CDI vendor
    refused(&["--device-cgroup-rule", "c 1:3"], SLEEP);
}

#[test]
fn d_refuses_res_bad_cpus() {
    refused(&["--cpus", "1/3"], SLEEP); // too precise
    refused(&["--cpus", "abc"], SLEEP);
    refused_by_engine(&["--cpus", "64"], SLEEP); // more CPUs than the host has
    refused(&["--cpu-shares", "1k"], SLEEP);
    refused_by_engine(&["--cpus", "1", "--cpu-period", "100000"], SLEEP); // conflicting options
}

#[test]
fn d_refuses_res_bad_blkio() {
    let dev = block_device();
    for template in [
        ["--blkio-weight", "70000"],
        ["--blkio-weight-device", "DEV:5"],
        ["--blkio-weight-device", "sda:500"],
        ["--device-read-iops", "DEV:1k"],
        ["--device-write-bps", "DEV:-1"],
    ] {
        let flags = flags_with(&template, &dev);
        let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
        refused(&flags, SLEEP);
    }
}

#[test]
fn d_refuses_res_bad_gpus() {
    refused(&["--gpus", "count=2,count=3"], SLEEP);
    refused(&["--gpus", ""], SLEEP);
    refused(&["--gpus", "foo=bar"], SLEEP);
    refused(&["--gpus", "lots"], SLEEP);
}

#[test]
fn d_refuses_res_windows_only_flags() {
    refused(&["--cpu-count", "2"], SLEEP);
    refused(&["--cpu-percent", "50"], SLEEP);
    refused(&["--io-maxbandwidth", "1m"], SLEEP);
    refused(&["--io-maxiops", "100"], SLEEP);
}

#[test]
fn d_refuses_res_bad_integers() {
    refused(&["--pids-limit", "ten"], SLEEP);
    refused_by_engine(&["--oom-score-adj", "1001"], SLEEP); // outside -1000..1000
}

/// `--kernel-memory` is the one resource flag docker accepts and dockrun refuses on purpose:
/// the Engine API model dockrun builds on has no `KernelMemory`, and docker itself deprecates
/// the limit. dockrun says so, exits 125 and creates nothing.
#[test]
fn r3_kernel_memory_is_refused_naming_the_reason() {
    let mut guard = Cleanup::new();
    let name = guard.container(&unique("kmem"));
    let out = Command::new(dockrun_bin())
        .args(["-d", "--name", &name, "--kernel-memory", "10m"])
        .arg(test_image())
        .args(SLEEP)
        .output()
        .expect("dockrun runs");
    assert_eq!(out.status.code(), Some(125));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("`--kernel-memory`") && stderr.contains("KernelMemory"),
        "{stderr}"
    );
    assert!(!crate::support::exists(&name));
}
