//! bollard's models ↔ dockrun's: an inspect answer → `Observed` / `RunInfo`, the create body
//! and registry credentials → bollard's types, a pull message → `PullEvent`. Pure: no I/O.

use std::time::Duration;

use crate::drift::{format_of, Record, FORMAT_LABEL, HASH_LABEL, SPEC_LABEL};
use crate::state::{AnonymousVolume, ContainerState, Existing, Observed};

use super::{credentials, EngineError, Health, HealthSchedule, PullEvent, RunInfo, StartFailure};

/// Map the engine's state string to dockrun's own.
pub(super) fn state_of(
    status: bollard::models::ContainerStateStatusEnum,
) -> Option<ContainerState> {
    use bollard::models::ContainerStateStatusEnum as S;
    Some(match status {
        S::CREATED => ContainerState::Created,
        S::RUNNING => ContainerState::Running,
        S::PAUSED => ContainerState::Paused,
        S::RESTARTING => ContainerState::Restarting,
        S::REMOVING => ContainerState::Removing,
        S::EXITED => ContainerState::Exited,
        S::DEAD => ContainerState::Dead,
        // "stopping" is only reported by newer engines mid-stop; it is still running.
        S::STOPPING => ContainerState::Running,
        S::EMPTY => return None,
    })
}

/// The list endpoint's state word → dockrun's own (its enum is not the inspect one).
pub(super) fn listed_state(
    status: bollard::models::ContainerSummaryStateEnum,
) -> Option<ContainerState> {
    use bollard::models::ContainerSummaryStateEnum as S;
    Some(match status {
        S::CREATED => ContainerState::Created,
        // "stopping" is only reported by newer engines mid-stop; it is still running.
        S::RUNNING | S::STOPPING => ContainerState::Running,
        S::PAUSED => ContainerState::Paused,
        S::RESTARTING => ContainerState::Restarting,
        S::REMOVING => ContainerState::Removing,
        S::EXITED => ContainerState::Exited,
        S::DEAD => ContainerState::Dead,
        S::EMPTY => return None,
    })
}

/// One entry of a container listing → [`Listed`](super::Listed).
pub(super) fn listed_of(
    summary: bollard::models::ContainerSummary,
) -> Result<super::Listed, EngineError> {
    let malformed = |field| EngineError::Malformed {
        name: summary
            .id
            .clone()
            .unwrap_or_else(|| "(listed container)".to_owned()),
        field,
    };
    let id = summary.id.clone().ok_or_else(|| malformed("Id"))?;
    let name = summary
        .names
        .iter()
        .flatten()
        .next()
        .map(|n| n.trim_start_matches('/').to_owned())
        .ok_or_else(|| malformed("Names"))?;
    let state = summary
        .state
        .and_then(listed_state)
        .ok_or_else(|| malformed("State"))?;
    let image_id = summary
        .image_id
        .clone()
        .ok_or_else(|| malformed("ImageID"))?;
    let labels = summary
        .labels
        .clone()
        .unwrap_or_default()
        .into_iter()
        .collect();
    Ok(super::Listed {
        id,
        name,
        state,
        image_id,
        labels,
    })
}

/// docker run's exit-code rule for a failed start: a plain substring test on the daemon's message.
pub(super) fn classify_start_failure(message: &str) -> StartFailure {
    if [
        "executable file not found",
        "no such file or directory",
        "system cannot find the file specified",
    ]
    .iter()
    .any(|m| message.contains(m))
    {
        StartFailure::CommandNotFound
    } else if message.contains("permission denied") || message.contains("is a directory") {
        StartFailure::CannotInvoke
    } else {
        StartFailure::Other
    }
}

/// Credentials found for a registry → what bollard sends in `X-Registry-Auth`.
pub(super) fn to_bollard_auth(c: credentials::Credentials) -> bollard::auth::DockerCredentials {
    bollard::auth::DockerCredentials {
        username: c.username,
        password: c.password,
        identitytoken: c.identity_token,
        registrytoken: c.registry_token,
        serveraddress: Some(c.server),
        ..bollard::auth::DockerCredentials::default()
    }
}

/// What a container says about how it was made: dockrun's labels when it has them, else its
/// configuration in the create body's JSON shape (`Config` with `HostConfig` inside).
pub(super) fn record_of(found: &bollard::models::ContainerInspectResponse) -> Record {
    let labels = found.config.as_ref().and_then(|c| c.labels.as_ref());
    if let Some(hash) = labels.and_then(|l| l.get(HASH_LABEL)) {
        return Record::Labelled {
            hash: hash.clone(),
            spec: labels.and_then(|l| l.get(SPEC_LABEL)).cloned(),
            // Absent: format 1 (before formats were labelled); unreadable: newer than any.
            format: format_of(labels.and_then(|l| l.get(FORMAT_LABEL)).map(String::as_str)),
        };
    }
    // bollard's models serialise with the API's names; an unserialisable one compares as empty.
    let mut body = found
        .config
        .as_ref()
        .and_then(|c| serde_json::to_value(c).ok())
        .unwrap_or_else(|| serde_json::json!({}));
    if let (Some(map), Some(host)) = (
        body.as_object_mut(),
        found
            .host_config
            .as_ref()
            .and_then(|h| serde_json::to_value(h).ok()),
    ) {
        map.insert("HostConfig".to_owned(), host);
    }
    Record::Foreign(body)
}

/// Whether a volume name is one the engine made up for an anonymous volume: 64 hex digits.
fn is_generated_name(name: &str) -> bool {
    name.len() == 64 && name.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The container's anonymous volumes: volume mounts not named by a bind or mount of its own,
/// and those named by one with a name the engine made up (a replacement mounts the old
/// container's anonymous volumes by name: they stay anonymous, and are carried over again by
/// the next replacement).
pub(super) fn anonymous_volumes(
    found: &bollard::models::ContainerInspectResponse,
) -> Vec<AnonymousVolume> {
    let host = found.host_config.as_ref();
    let named_in_binds = host
        .and_then(|h| h.binds.as_ref())
        .into_iter()
        .flatten()
        .filter_map(|b| b.split(':').next().map(str::to_owned));
    let named_in_mounts = host
        .and_then(|h| h.mounts.as_ref())
        .into_iter()
        .flatten()
        .filter_map(|m| m.source.clone());
    let named: Vec<String> = named_in_binds.chain(named_in_mounts).collect();
    found
        .mounts
        .iter()
        .flatten()
        .filter(|m| m.typ.as_deref() == Some("volume"))
        .filter_map(|m| {
            let name = m.name.clone()?;
            if named.contains(&name) && !is_generated_name(&name) {
                return None;
            }
            Some(AnonymousVolume {
                name,
                destination: m.destination.clone()?,
                writable: m.rw.unwrap_or(true),
            })
        })
        .collect()
}

/// dockrun's create body → bollard's model, through their shared JSON form.
pub(super) fn to_bollard_body(
    body: &crate::spec::body::CreateBody,
) -> serde_json::Result<bollard::models::ContainerCreateBody> {
    serde_json::from_value(serde_json::to_value(body)?)
}

/// An inspect answer's JSON, as the engine sends it, → what `observe` makes of it: the way in
/// for the fuzz target over engine data (`fuzz/fuzz_targets/inspect_drift.rs`).
///
/// # Errors
/// JSON that is no inspect answer, or one without a field dockrun needs.
pub fn observed_from_json(name: &str, json: &[u8]) -> Result<Observed, EngineError> {
    let found: bollard::models::ContainerInspectResponse =
        serde_json::from_slice(json).map_err(|_| EngineError::Malformed {
            name: name.to_owned(),
            field: "(the whole answer)",
        })?;
    observed_of(name, &found)
}

/// An inspect answer for the container looked up as `name` → what dockrun knows of it.
pub(super) fn observed_of(
    name: &str,
    found: &bollard::models::ContainerInspectResponse,
) -> Result<Observed, EngineError> {
    let malformed = |field| EngineError::Malformed {
        name: name.to_owned(),
        field,
    };
    let id = found.id.clone().ok_or_else(|| malformed("Id"))?;
    let status = found
        .state
        .as_ref()
        .and_then(|s| s.status)
        .ok_or_else(|| malformed("State.Status"))?;
    let state = state_of(status).ok_or_else(|| malformed("State.Status"))?;
    let image_id = found.image.clone().ok_or_else(|| malformed("Image"))?;
    let record = record_of(found);
    let anonymous_volumes = anonymous_volumes(found);
    let auto_remove = found
        .host_config
        .as_ref()
        .and_then(|h| h.auto_remove)
        .unwrap_or(false);
    tracing::debug!(%id, %state, "found");
    Ok(Observed::Present(Existing {
        id,
        state,
        image_id,
        record,
        anonymous_volumes,
        auto_remove,
    }))
}

/// An inspect answer → what supervision reads from it.
pub(super) fn run_info_of(
    name: &str,
    found: bollard::models::ContainerInspectResponse,
) -> Result<RunInfo, EngineError> {
    let malformed = |field| EngineError::Malformed {
        name: name.to_owned(),
        field,
    };
    let state = found.state.ok_or_else(|| malformed("State"))?;
    let running = state.running.ok_or_else(|| malformed("State.Running"))?;
    let exit_code = state.exit_code.ok_or_else(|| malformed("State.ExitCode"))?;
    // The engine merges the image's HEALTHCHECK into the container's config at create;
    // `["NONE"]` is `--no-healthcheck` (or `HEALTHCHECK NONE`).
    let healthcheck = found.config.and_then(|c| c.healthcheck);
    let has_healthcheck = healthcheck
        .as_ref()
        .and_then(|h| h.test.as_ref())
        .is_some_and(|test| test.first().is_some_and(|t| t != "NONE"));
    let schedule = healthcheck
        .filter(|_| has_healthcheck)
        .map(|h| schedule_of(&h));
    let restart_count = found
        .restart_count
        .ok_or_else(|| malformed("RestartCount"))?;
    use bollard::models::HealthStatusEnum as H;
    let health = match state.health.and_then(|h| h.status) {
        None | Some(H::EMPTY | H::NONE) => Health::None,
        Some(H::STARTING) => Health::Starting,
        Some(H::HEALTHY) => Health::Healthy,
        Some(H::UNHEALTHY) => Health::Unhealthy,
    };
    let auto_remove = found
        .host_config
        .and_then(|h| h.auto_remove)
        .ok_or_else(|| malformed("HostConfig.AutoRemove"))?;
    Ok(RunInfo {
        running,
        exit_code,
        has_healthcheck,
        health,
        auto_remove,
        restart_count,
        schedule,
    })
}

/// A healthcheck's schedule with the engine's defaults for what is unset or zero.
fn schedule_of(h: &bollard::models::HealthConfig) -> HealthSchedule {
    let duration =
        |nanos: Option<i64>, default: u64| match nanos.and_then(|n| u64::try_from(n).ok()) {
            Some(n) if n > 0 => Duration::from_nanos(n),
            _ => Duration::from_secs(default),
        };
    HealthSchedule {
        interval: duration(h.interval, 30),
        timeout: duration(h.timeout, 30),
        start_period: duration(h.start_period, 0),
        retries: h
            .retries
            .and_then(|r| u32::try_from(r).ok())
            .filter(|r| *r > 0)
            .unwrap_or(3),
    }
}

/// One of the engine's pull messages → dockrun's progress event.
pub(super) fn pull_event(message: &bollard::models::CreateImageInfo) -> PullEvent<'_> {
    let detail = message.progress_detail.as_ref();
    // The engine counts in i64; a negative count means "unknown", as does none.
    let bytes = |n: Option<i64>| n.and_then(|n| u64::try_from(n).ok());
    PullEvent {
        layer: message.id.as_deref(),
        status: message.status.as_deref().unwrap_or_default(),
        current: bytes(detail.and_then(|d| d.current)),
        total: bytes(detail.and_then(|d| d.total)),
    }
}

/// An image's `Os`, `Architecture` and `Variant` → its platform as `--platform` spells it
/// (`linux/arm64`, `linux/arm/v7`); `None` without an OS or an architecture.
pub(super) fn platform_of(
    os: Option<&str>,
    architecture: Option<&str>,
    variant: Option<&str>,
) -> Option<String> {
    let os = os.filter(|o| !o.is_empty())?;
    let architecture = architecture.filter(|a| !a.is_empty())?;
    Some(match variant.filter(|v| !v.is_empty()) {
        Some(variant) => format!("{os}/{architecture}/{variant}"),
        None => format!("{os}/{architecture}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::RawArgs;
    use crate::spec::ContainerSpec;

    /// The fuzz target `inspect_drift`'s path, without the fuzzer: its seeds (real inspect
    /// answers, `fuzz/seeds/inspect_drift/`), every prefix of them and each with one byte
    /// changed at a stride, through `observed_from_json` and `drift::compare`; none may panic.
    #[test]
    fn inspect_answers_cut_or_damaged_never_panic() {
        let desired = crate::drift::Normalised::from_body(
            &ContainerSpec::try_from(
                RawArgs::parse_from_argv([
                    "dockrun", "-d", "--name", "web", "-e", "A=1", "-v", "/data", "img:1",
                ])
                .expect("parses"),
            )
            .expect("a spec")
            .body,
        );
        let seeds = [
            include_bytes!("../../fuzz/seeds/inspect_drift/web.json").as_slice(),
            include_bytes!("../../fuzz/seeds/inspect_drift/full.json"),
            include_bytes!("../../fuzz/seeds/inspect_drift/foreign.json"),
            include_bytes!("../../fuzz/seeds/inspect_drift/exited.json"),
        ];
        let mut read = 0;
        for seed in seeds {
            let mut inputs: Vec<Vec<u8>> = (0..=seed.len())
                .step_by(7)
                .map(|n| seed[..n].to_vec())
                .collect();
            for at in (0..seed.len()).step_by(41) {
                for byte in [b'"', b'{', b'}', b':', b'0', 0xff] {
                    let mut damaged = seed.to_vec();
                    damaged[at] = byte;
                    inputs.push(damaged);
                }
            }
            for input in inputs {
                if let Ok(Observed::Present(existing)) = observed_from_json("web", &input) {
                    read += 1;
                    for image in [None, Some(existing.image_id.as_str())] {
                        let found = crate::drift::compare(
                            &desired,
                            image,
                            &existing.record,
                            &existing.image_id,
                        );
                        for difference in found.differences() {
                            let _ = difference.to_string();
                        }
                    }
                }
            }
        }
        assert!(read > 100, "{read} answers read");
    }

    /// An inspect answer shaped like Docker 20.10's for `docker create -v /anon -v vol:/named
    /// -e A=1 img sleep 5` (trimmed).
    fn inspected(labels: &str) -> bollard::models::ContainerInspectResponse {
        serde_json::from_str(&format!(
            r#"{{"Id": "abc", "Image": "sha256:c06d",
            "Config": {{"Hostname": "9f79", "Env": ["A=1", "PATH=/bin"], "Cmd": ["sleep", "5"],
                "Image": "img", "Volumes": {{"/anon": {{}}}}, "Labels": {labels}}},
            "HostConfig": {{"Binds": ["vol:/named"], "NetworkMode": "default",
                "ShmSize": 67108864, "AutoRemove": false}},
            "Mounts": [
                {{"Type": "volume", "Name": "vol", "Destination": "/named", "RW": true}},
                {{"Type": "volume", "Name": "f137", "Destination": "/anon", "RW": true}},
                {{"Type": "bind", "Source": "/h", "Destination": "/b", "RW": false}}]}}"#
        ))
        .expect("an inspect answer")
    }

    #[test]
    fn anonymous_volumes_are_the_unnamed_volume_mounts() {
        assert_eq!(
            anonymous_volumes(&inspected("{}")),
            [AnonymousVolume {
                name: "f137".into(),
                destination: "/anon".into(),
                writable: true
            }]
        );
        // A replacement's container mounts the old one's anonymous volume by its made-up name:
        // still anonymous, so the next replacement carries it over again.
        let carried = "d613a483d98f75db9353636fb17f3b92cec6401709ad182eee5786d31ff2b174";
        let found: bollard::models::ContainerInspectResponse = serde_json::from_str(&format!(
            r#"{{"Id": "abc", "Config": {{"Image": "img"}},
            "HostConfig": {{"Binds": ["{carried}:/data", "vol:/named"]}},
            "Mounts": [
                {{"Type": "volume", "Name": "{carried}", "Destination": "/data", "RW": true}},
                {{"Type": "volume", "Name": "vol", "Destination": "/named", "RW": true}}]}}"#
        ))
        .expect("an inspect answer");
        assert_eq!(
            anonymous_volumes(&found),
            [AnonymousVolume {
                name: carried.into(),
                destination: "/data".into(),
                writable: true
            }]
        );
    }

    #[test]
    fn records_are_labels_or_inspect_data() {
        let labelled = record_of(&inspected(
            r#"{"dockrun.spec-hash": "sha256:1", "dockrun.spec": "{}", "other": "x"}"#,
        ));
        assert_eq!(
            labelled,
            Record::Labelled {
                hash: "sha256:1".into(),
                spec: Some("{}".into()),
                format: 1,
            }
        );
        let Record::Foreign(body) = record_of(&inspected("{}")) else {
            panic!("no labels: foreign")
        };
        assert_eq!(body["Env"][0], "A=1");
        assert_eq!(body["HostConfig"]["Binds"][0], "vol:/named");
    }

    /// Engine data reaches the drift comparison's texts: an image ID that is not hex (here with
    /// a multi-byte character where a byte-index cut fell) must not panic.
    #[test]
    fn odd_image_ids_from_the_engine_do_not_panic() {
        let json = r#"{"Id": "abc", "Image": "sha256:0123456789aé€bcdef", "Name": "/web",
            "State": {"Status": "running"}, "Config": {"Labels": {"dockrun.spec-hash": "x"}}}"#;
        let Ok(Observed::Present(existing)) = observed_from_json("web", json.as_bytes()) else {
            panic!("a container")
        };
        let spec = ContainerSpec::try_from(
            RawArgs::parse_from_argv(["dockrun", "--name", "web", "img"]).expect("parses"),
        )
        .expect("valid");
        let desired = crate::drift::Normalised::from_body(&spec.body);
        let drift = crate::drift::compare(
            &desired,
            Some("sha256:fedcba9876543210"),
            &existing.record,
            &existing.image_id,
        );
        assert!(drift.differs());
        assert!(observed_from_json("web", b"{").is_err());
    }

    #[test]
    fn start_failures() {
        assert_eq!(
            classify_start_failure("exec: \"nope\": executable file not found in $PATH"),
            StartFailure::CommandNotFound
        );
        assert_eq!(
            classify_start_failure("exec: \"/etc\": is a directory"),
            StartFailure::CannotInvoke
        );
        assert_eq!(
            classify_start_failure("port is already allocated"),
            StartFailure::Other
        );
    }

    /// Every field dockrun can put in a create body survives the trip into bollard's model.
    #[test]
    fn body_survives_conversion() {
        let raw = RawArgs::parse_from_argv([
            "dockrun",
            "--name",
            "xy",
            "-p",
            "127.0.0.1:80:80/udp",
            "--expose",
            "90",
            "-e",
            "A=1",
            "-v",
            "/a",
            "-v",
            "/h:/c:ro",
            "--tmpfs",
            "/t:size=1m",
            "--link",
            "db:db",
            "--restart",
            "on-failure:2",
            "-w",
            "/w",
            "-u",
            "1:2",
            "--entrypoint",
            "sh",
            "-l",
            "k=v",
            "-i",
            "-t",
            "-h",
            "host",
            "--dns",
            "1.1.1.1",
            "--add-host",
            "a:1.2.3.4",
            "--cap-add",
            "net_admin",
            "--init",
            "--stop-signal",
            "SIGINT",
            "--stop-timeout",
            "3",
            "--privileged",
            "--read-only",
            "-P",
            "--group-add",
            "10",
            "img",
            "cmd",
        ])
        .expect("parses");
        let spec = ContainerSpec::try_from(raw).expect("valid");
        let ours = serde_json::to_value(&spec.body).expect("json");
        let theirs =
            serde_json::to_value(to_bollard_body(&spec.body).expect("converts")).expect("json");
        assert_eq!(ours, theirs);
    }

    #[test]
    fn platforms_of_images() {
        assert_eq!(
            platform_of(Some("linux"), Some("amd64"), None).as_deref(),
            Some("linux/amd64")
        );
        assert_eq!(
            platform_of(Some("linux"), Some("arm"), Some("v7")).as_deref(),
            Some("linux/arm/v7")
        );
        assert_eq!(
            platform_of(Some("linux"), Some("arm64"), Some("")).as_deref(),
            Some("linux/arm64")
        );
        assert_eq!(platform_of(Some("linux"), None, None), None);
        assert_eq!(platform_of(Some(""), Some("amd64"), None), None);
    }
}
