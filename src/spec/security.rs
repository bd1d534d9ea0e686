//! `--security-opt`, the namespace modes (`--userns`, `--cgroupns`, `--ipc`, `--pid`, `--uts`)
//! and `--sysctl`: what the container may see and do, checked as the docker CLI checks them.
//!
//! As docker does on the client side, a `seccomp=FILE` option is replaced by the file's JSON,
//! compacted (whitespace outside strings removed, nothing reordered), and `systempaths=unconfined`
//! is taken out of the list and becomes empty `MaskedPaths`/`ReadonlyPaths`.

use std::collections::BTreeMap;

use super::SpecError;

/// What `--security-opt` turns into.
#[derive(Debug, Default, PartialEq)]
pub struct SecurityOpts {
    /// `HostConfig.SecurityOpt` (`None` when no option was given).
    pub opts: Option<Vec<String>>,
    /// `Some(empty)` with `systempaths=unconfined`: `MaskedPaths` and `ReadonlyPaths`.
    pub unmasked: bool,
}

/// Go's `json.Compact`: drop insignificant whitespace, keep everything else byte for byte.
fn compact_json(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut in_string = false;
    let mut escaped = false;
    for c in text.chars() {
        if in_string {
            out.push(c);
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
        } else if c == '"' {
            in_string = true;
            out.push(c);
        } else if !matches!(c, ' ' | '\t' | '\n' | '\r') {
            out.push(c);
        }
    }
    out
}

/// Parse every `--security-opt` (`k=v` or `k:v`; bare `no-new-privileges`).
///
/// # Errors
/// An option without a value, or a seccomp profile that cannot be read or is not JSON.
pub fn parse_security_opts(specs: &[String]) -> Result<SecurityOpts, SpecError> {
    let mut out = SecurityOpts::default();
    if specs.is_empty() {
        return Ok(out);
    }
    let mut opts = Vec::with_capacity(specs.len());
    for spec in specs {
        let (key, value) = match spec.split_once('=') {
            Some(kv) => Some(kv),
            None if spec == "no-new-privileges" => None,
            None => spec.split_once(':'),
        }
        .unwrap_or((spec.as_str(), ""));
        if value.is_empty() && key != "no-new-privileges" {
            return Err(SpecError::invalid(
                "--security-opt",
                spec,
                "expected `key=value` (or `no-new-privileges`)",
            ));
        }
        if spec == "systempaths=unconfined" {
            out.unmasked = true;
            continue;
        }
        if key == "seccomp" && value != "builtin" && value != "unconfined" {
            let text = std::fs::read_to_string(value).map_err(|source| SpecError::File {
                flag: "--security-opt",
                path: value.to_owned(),
                source,
            })?;
            if let Err(err) = serde_json::from_str::<serde::de::IgnoredAny>(&text) {
                return Err(SpecError::invalid(
                    "--security-opt",
                    spec,
                    format!("the seccomp profile is not valid JSON: {err}"),
                ));
            }
            opts.push(format!("seccomp={}", compact_json(&text)));
            continue;
        }
        opts.push(spec.clone());
    }
    out.opts = Some(opts);
    Ok(out)
}

/// A namespace flag's mode, checked against what the docker CLI allows for it.
///
/// `--userns` and `--uts`: `""`/`host`; `--cgroupns`: `""`/`host`/`private`; `--pid`: also
/// `container:NAME`. `--ipc` is not checked by the client (the daemon does), so it passes as is.
///
/// # Errors
/// A mode the CLI refuses for that flag.
pub fn parse_namespace(
    flag: &'static str,
    mode: Option<String>,
) -> Result<Option<String>, SpecError> {
    let Some(mode) = mode else {
        return Ok(None);
    };
    let ok = match flag {
        "--userns" | "--uts" => matches!(mode.as_str(), "" | "host"),
        "--cgroupns" => matches!(mode.as_str(), "" | "host" | "private"),
        "--pid" => {
            matches!(mode.as_str(), "" | "host")
                || mode
                    .strip_prefix("container:")
                    .is_some_and(|c| !c.is_empty())
        }
        _ => true,
    };
    if !ok {
        let what = match flag {
            "--userns" => "USER",
            "--uts" => "UTS",
            "--cgroupns" => "CGROUP",
            _ => "PID",
        };
        return Err(SpecError::invalid(
            flag,
            mode,
            format!("invalid {what} mode"),
        ));
    }
    Ok(Some(mode))
}

/// The sysctls docker run allows in a container's own namespaces.
const SYSCTLS: &[&str] = &[
    "kernel.msgmax",
    "kernel.msgmnb",
    "kernel.msgmni",
    "kernel.sem",
    "kernel.shmall",
    "kernel.shmmax",
    "kernel.shmmni",
    "kernel.shm_rmid_forced",
];

/// Parse every `--sysctl key=value` against docker's allow-list (last value of a key wins).
///
/// # Errors
/// No `=`, an empty key, or a key outside the allow-list (`net.*`, `fs.mqueue.*` and the
/// IPC `kernel.*` keys).
pub fn parse_sysctls(specs: &[String]) -> Result<Option<BTreeMap<String, String>>, SpecError> {
    if specs.is_empty() {
        return Ok(None);
    }
    let mut out = BTreeMap::new();
    for spec in specs {
        let allowed = spec.split_once('=').filter(|(k, _)| {
            !k.is_empty()
                && (SYSCTLS.contains(k) || k.starts_with("net.") || k.starts_with("fs.mqueue."))
        });
        let Some((key, value)) = allowed else {
            return Err(SpecError::invalid(
                "--sysctl",
                spec,
                "sysctl is not allowed (only namespaced ones: net.*, fs.mqueue.*, kernel IPC keys)",
            ));
        };
        out.insert(key.to_owned(), value.to_owned());
    }
    Ok(Some(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts(list: &[&str]) -> Result<SecurityOpts, SpecError> {
        parse_security_opts(&list.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>())
    }

    #[test]
    fn security_opt_forms() {
        let o = opts(&["no-new-privileges", "label:disable", "apparmor=unconfined"]).expect("ok");
        assert_eq!(
            o.opts,
            Some(vec![
                "no-new-privileges".into(),
                "label:disable".into(),
                "apparmor=unconfined".into()
            ])
        );
        assert!(!o.unmasked);
        assert_eq!(opts(&[]).expect("ok"), SecurityOpts::default());
        for bad in ["label", "label=", "apparmor:"] {
            assert!(opts(&[bad]).is_err(), "{bad}");
        }
        // Any spelling of `no-new-privileges` passes through as written, value or not.
        for nnp in [
            "no-new-privileges=true",
            "no-new-privileges:",
            "no-new-privileges=",
        ] {
            assert!(opts(&[nnp]).is_ok(), "{nnp}");
        }
    }

    #[test]
    fn systempaths_unconfined_becomes_empty_paths() {
        let o = opts(&["systempaths=unconfined", "label=disable"]).expect("ok");
        assert!(o.unmasked);
        assert_eq!(o.opts, Some(vec!["label=disable".into()]));
        let o = opts(&["systempaths=unconfined"]).expect("ok");
        assert_eq!(o.opts, Some(vec![]));
    }

    #[test]
    fn seccomp_file_is_inlined_compacted() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("p.json");
        std::fs::write(&file, "{\n  \"defaultAction\": \"SCMP_ACT_ALLOW\",\n  \"z\": \"a b\\\" c\" , \"a\": [ 1 ]\n}\n")
            .expect("write");
        let spec = format!("seccomp={}", file.display());
        let o = opts(&[&spec]).expect("ok");
        assert_eq!(
            o.opts,
            Some(vec![
                "seccomp={\"defaultAction\":\"SCMP_ACT_ALLOW\",\"z\":\"a b\\\" c\",\"a\":[1]}"
                    .into()
            ])
        );
        let colon = format!("seccomp:{}", file.display());
        assert_eq!(opts(&[&colon]).expect("ok").opts, o.opts);
        assert_eq!(
            opts(&["seccomp=unconfined"]).expect("ok").opts,
            Some(vec!["seccomp=unconfined".into()])
        );
        std::fs::write(&file, "{not json").expect("write");
        assert!(opts(&[&spec]).is_err());
        assert!(opts(&["seccomp=/nonexistent/profile.json"]).is_err());
    }

    #[test]
    fn namespaces() {
        let ok = |flag, mode: &str| parse_namespace(flag, Some(mode.to_owned())).is_ok();
        assert!(ok("--userns", "host") && ok("--userns", "") && !ok("--userns", "private"));
        assert!(ok("--uts", "host") && !ok("--uts", "container:x"));
        assert!(ok("--cgroupns", "private") && !ok("--cgroupns", "bogus"));
        assert!(ok("--pid", "container:web") && !ok("--pid", "container:") && !ok("--pid", "x"));
        assert!(ok("--ipc", "anything-the-daemon-judges"));
        assert_eq!(parse_namespace("--pid", None).expect("ok"), None);
    }

    #[test]
    fn sysctls() {
        let s = parse_sysctls(&[
            "net.ipv4.ip_forward=1".into(),
            "kernel.shmmax=100".into(),
            "fs.mqueue.msg_max=20".into(),
            "net.ipv4.ip_forward=0".into(),
            "net.a=b=c".into(),
        ])
        .expect("ok")
        .expect("some");
        assert_eq!(s["net.ipv4.ip_forward"], "0");
        assert_eq!(s["net.a"], "b=c");
        assert_eq!(s.len(), 4);
        for bad in [
            "kernel.hostname=x",
            "net.ipv4.ip_forward",
            "=1",
            "vm.swappiness=1",
        ] {
            assert!(parse_sysctls(&[bad.into()]).is_err(), "{bad}");
        }
        assert_eq!(parse_sysctls(&[]).expect("ok"), None);
    }
}
