//! `--platform`, `--isolation` and `--annotation`: what the container is, beyond its name.
//!
//! `--platform` is normalised as containerd's `platforms.Parse` + `Format` do before the docker
//! CLI sends it (`x86_64` → `linux/amd64`, `aarch64` → `linux/arm64`); `--isolation` is limited to
//! the values the API knows (a Linux engine accepts only `default`); `--annotation` is a map.

use std::collections::BTreeMap;

use super::SpecError;

/// Operating systems containerd knows by name.
const KNOWN_OS: &[&str] = &[
    "aix",
    "android",
    "darwin",
    "dragonfly",
    "freebsd",
    "hurd",
    "illumos",
    "ios",
    "js",
    "linux",
    "nacl",
    "netbsd",
    "openbsd",
    "plan9",
    "solaris",
    "windows",
    "zos",
];

/// containerd's architecture normalisation: `(arch, variant)`.
fn normalise_arch(arch: &str, variant: &str) -> (String, String) {
    let (a, v) = match (arch, variant) {
        ("i386" | "i686" | "x86" | "386", _) => ("386", ""),
        ("x86_64" | "x86-64" | "amd64", "v1") => ("amd64", ""),
        ("x86_64" | "x86-64" | "amd64", v) => ("amd64", v),
        ("aarch64" | "arm64", "8" | "v8") => ("arm64", ""),
        ("aarch64" | "arm64", v) => ("arm64", v),
        ("armhf", _) => ("arm", "v7"),
        ("armel", _) => ("arm", "v6"),
        ("arm", "" | "7") => ("arm", "v7"),
        ("arm", "5" | "6" | "8") => ("arm", ""),
        (a, v) => (a, v),
    };
    let v = match (a, variant) {
        ("arm", "5") => "v5",
        ("arm", "6") => "v6",
        ("arm", "8") => "v8",
        _ => v,
    };
    (a.to_owned(), v.to_owned())
}

/// Normalise a `--platform` value to `os/arch[/variant]`.
///
/// # Errors
/// An empty component, more than three components, or characters containerd refuses.
pub fn parse_platform(value: Option<String>) -> Result<Option<String>, SpecError> {
    let Some(value) = value.filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    let bad = |why: &str| SpecError::invalid("--platform", value.clone(), why.to_owned());
    let lower = value.to_lowercase();
    let parts: Vec<&str> = lower.split('/').collect();
    let component_ok = |p: &&str| {
        !p.is_empty()
            && p.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
    };
    if parts.len() > 3 || !parts.iter().all(component_ok) {
        return Err(bad("expected `os/arch[/variant]`"));
    }
    let (os, arch, variant) = match parts.as_slice() {
        [one] if KNOWN_OS.contains(one) => (
            (*one).to_owned(),
            std::env::consts::ARCH.to_owned(),
            String::new(),
        ),
        [one] => ("linux".to_owned(), (*one).to_owned(), String::new()),
        [os, arch] => ((*os).to_owned(), (*arch).to_owned(), String::new()),
        [os, arch, variant] => ((*os).to_owned(), (*arch).to_owned(), (*variant).to_owned()),
        _ => return Err(bad("expected `os/arch[/variant]`")),
    };
    let os = if os == "macos" {
        "darwin".to_owned()
    } else {
        os
    };
    let (arch, variant) = normalise_arch(&arch, &variant);
    Ok(Some(if variant.is_empty() {
        format!("{os}/{arch}")
    } else {
        format!("{os}/{arch}/{variant}")
    }))
}

/// `--isolation`: sent as given when the API has a name for it.
///
/// # Errors
/// A value outside `default`, `process`, `hyperv` (the engine would refuse it too).
pub fn parse_isolation(value: Option<String>) -> Result<Option<String>, SpecError> {
    match value.as_deref() {
        None | Some("") => Ok(None),
        Some("default" | "process" | "hyperv") => Ok(value),
        Some(other) => Err(SpecError::invalid(
            "--isolation",
            other,
            "the engine knows `default`, `process` and `hyperv` (Linux: `default` only)",
        )),
    }
}

/// `--annotation key[=value]`, folded into a map (last wins; `key` alone → `""`).
#[must_use]
pub fn parse_annotations(specs: &[String]) -> Option<BTreeMap<String, String>> {
    if specs.is_empty() {
        return None;
    }
    Some(
        specs
            .iter()
            .map(|s| {
                let (k, v) = s.split_once('=').unwrap_or((s.as_str(), ""));
                (k.to_owned(), v.to_owned())
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn platform(v: &str) -> Option<String> {
        parse_platform(Some(v.to_owned())).expect(v)
    }

    #[test]
    fn platforms() {
        assert_eq!(platform("linux/amd64").as_deref(), Some("linux/amd64"));
        assert_eq!(platform("Linux/X86_64").as_deref(), Some("linux/amd64"));
        assert_eq!(platform("aarch64").as_deref(), Some("linux/arm64"));
        assert_eq!(platform("linux/arm64/v8").as_deref(), Some("linux/arm64"));
        assert_eq!(platform("linux/arm").as_deref(), Some("linux/arm/v7"));
        assert_eq!(platform("linux/arm/6").as_deref(), Some("linux/arm/v6"));
        assert_eq!(platform("armhf").as_deref(), Some("linux/arm/v7"));
        assert_eq!(platform("linux/i686").as_deref(), Some("linux/386"));
        assert!(platform("linux").is_some_and(|p| p.starts_with("linux/")));
        assert_eq!(parse_platform(Some(String::new())).expect("ok"), None);
        for bad in ["linux//amd64", "a/b/c/d", "linux/am d64", "/"] {
            assert!(parse_platform(Some(bad.into())).is_err(), "{bad}");
        }
    }

    #[test]
    fn isolation_and_annotations() {
        assert_eq!(
            parse_isolation(Some("default".into()))
                .expect("ok")
                .as_deref(),
            Some("default")
        );
        assert_eq!(parse_isolation(Some(String::new())).expect("ok"), None);
        assert!(parse_isolation(Some("bogus".into())).is_err());
        let a = parse_annotations(&["a=1".into(), "b".into(), "a=2".into()]).expect("some");
        assert_eq!((a["a"].as_str(), a["b"].as_str()), ("2", ""));
        assert_eq!(parse_annotations(&[]), None);
    }
}
