//! `--device` and `--device-cgroup-rule`, checked and shaped as the docker CLI does for a Linux
//! daemon, and nothing else.
//!
//! `--device` is `host[:container][:perms]`: perms is a non-empty set of `r`, `w`, `m` with no
//! repeats (default `rwm`); with two parts the second is perms when it reads as perms, else the
//! container path; the container path must be absolute; more than two `:` is an error. Paths are
//! cleaned exactly where docker cleans them (the validated string is rebuilt with `path.Clean` on
//! one part, then split again). A CDI device name (`vendor.com/class=name`) is not a path: docker
//! turns those into one `DeviceRequests` entry with driver `cdi`.

use super::body::{DeviceMapping, DeviceRequest};

/// What the `--device` list becomes.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Devices {
    /// `HostConfig.Devices`, in the order given.
    pub mappings: Vec<DeviceMapping>,
    /// The CDI device request, when any CDI name was given.
    pub cdi: Option<DeviceRequest>,
}

/// Parse every `--device`.
///
/// # Errors
/// The reason for the first bad value, with that value.
pub fn parse_devices(values: &[String]) -> Result<Devices, (String, String)> {
    let mut out = Devices::default();
    let mut cdi_names = Vec::new();
    for value in values {
        match cdi_name(value) {
            Cdi::Qualified => {
                cdi_names.push(value.clone());
                continue;
            }
            Cdi::GoPanics => {
                return Err((
                    value.clone(),
                    "a one-character CDI vendor or class (the docker CLI crashes on it)".into(),
                ))
            }
            Cdi::Plain => {}
        }
        let validated = validate_linux_path(value).map_err(|reason| (value.clone(), reason))?;
        out.mappings.push(split_device(&validated));
    }
    if !cdi_names.is_empty() {
        out.cdi = Some(DeviceRequest {
            driver: Some("cdi".into()),
            device_ids: Some(cdi_names),
            ..DeviceRequest::default()
        });
    }
    Ok(out)
}

/// Whether a device string is a CDI qualified name (container-device-interface `parser`).
#[derive(Debug, PartialEq, Eq)]
enum Cdi {
    Qualified,
    Plain,
    /// A one-character vendor or class, which slices `name[1:0]` upstream and panics.
    GoPanics,
}

fn cdi_name(device: &str) -> Cdi {
    if device.is_empty() || device.starts_with('/') {
        return Cdi::Plain;
    }
    let Some((qualifier, name)) = device.split_once('=') else {
        return Cdi::Plain;
    };
    if qualifier.is_empty() || name.is_empty() {
        return Cdi::Plain;
    }
    let Some((vendor, class)) = qualifier.split_once('/') else {
        return Cdi::Plain;
    };
    if vendor.is_empty() || class.is_empty() {
        return Cdi::Plain;
    }
    for part in [vendor, class] {
        match vendor_or_class_ok(part) {
            Some(true) => {}
            Some(false) => return Cdi::Plain,
            None => return Cdi::GoPanics,
        }
    }
    if device_name_ok(name) {
        Cdi::Qualified
    } else {
        Cdi::Plain
    }
}

/// `validateVendorOrClassName`; `None` where Go panics (a name of one letter).
fn vendor_or_class_ok(name: &str) -> Option<bool> {
    let b = name.as_bytes();
    if !b[0].is_ascii_alphabetic() {
        return Some(false);
    }
    if b.len() == 1 {
        return None;
    }
    // Go ranges over the middle as runes: any non-ASCII byte makes an invalid character.
    let middle_ok = b[1..b.len() - 1]
        .iter()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'-' | b'.'));
    Some(middle_ok && b[b.len() - 1].is_ascii_alphanumeric())
}

/// `ValidateDeviceName`.
fn device_name_ok(name: &str) -> bool {
    let b = name.as_bytes();
    if !b[0].is_ascii_alphanumeric() {
        return false;
    }
    if b.len() == 1 {
        return true;
    }
    b[1..b.len() - 1]
        .iter()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'-' | b'.' | b':'))
        && b[b.len() - 1].is_ascii_alphanumeric()
}

/// `validDeviceMode`: non-empty, only `r`/`w`/`m`, each at most once.
fn valid_mode(mode: &str) -> bool {
    let mut seen = [false; 3];
    !mode.is_empty()
        && mode.chars().all(|c| {
            let i = match c {
                'r' => 0,
                'w' => 1,
                'm' => 2,
                _ => return false,
            };
            !std::mem::replace(&mut seen[i], true)
        })
}

/// `validateLinuxPath`: the device string, checked and partly cleaned.
fn validate_linux_path(value: &str) -> Result<String, String> {
    if value.matches(':').count() > 2 {
        return Err("bad format for path".into());
    }
    let parts: Vec<&str> = value.splitn(3, ':').collect();
    if parts[0].is_empty() {
        return Err("bad format for path".into());
    }
    let (container_path, validated) = match parts.as_slice() {
        [only] => (*only, clean(only)),
        [host, second] if valid_mode(second) => (*host, format!("{}:{second}", clean(host))),
        [host, second] => (*second, format!("{host}:{}", clean(second))),
        [host, container, mode] => {
            if !valid_mode(mode) {
                return Err(format!("bad mode specified: {mode}"));
            }
            (*container, format!("{host}:{container}:{mode}"))
        }
        _ => unreachable!("splitn(3) yields one to three parts"),
    };
    if !container_path.starts_with('/') {
        return Err(format!("{container_path} is not an absolute path"));
    }
    Ok(validated)
}

/// `parseLinuxDevice` on an already validated string.
fn split_device(validated: &str) -> DeviceMapping {
    let parts: Vec<&str> = validated.splitn(4, ':').collect();
    let mut permissions = "rwm";
    let mut dst = "";
    if parts.len() == 3 {
        permissions = parts[2];
    }
    if parts.len() >= 2 {
        if valid_mode(parts[1]) {
            permissions = parts[1];
        } else {
            dst = parts[1];
        }
    }
    let src = parts[0];
    if dst.is_empty() {
        dst = src;
    }
    DeviceMapping {
        path_on_host: Some(src.to_owned()),
        path_in_container: Some(dst.to_owned()),
        cgroup_permissions: Some(permissions.to_owned()),
    }
}

/// Go's `path.Clean`: lexical, slash-separated.
fn clean(path: &str) -> String {
    if path.is_empty() {
        return ".".into();
    }
    let rooted = path.starts_with('/');
    let mut out: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if out.last().is_some_and(|last| *last != "..") {
                    out.pop();
                } else if !rooted {
                    out.push("..");
                }
            }
            other => out.push(other),
        }
    }
    let joined = out.join("/");
    match (rooted, joined.is_empty()) {
        (true, _) => format!("/{joined}"),
        (false, true) => ".".into(),
        (false, false) => joined,
    }
}

/// `--device-cgroup-rule`: `^[acb] ([0-9]+|\*):([0-9]+|\*) [rwm]{1,3}$`.
#[must_use]
pub fn valid_cgroup_rule(rule: &str) -> bool {
    let Some((kind, rest)) = rule.split_once(' ') else {
        return false;
    };
    let Some((numbers, access)) = rest.split_once(' ') else {
        return false;
    };
    let Some((major, minor)) = numbers.split_once(':') else {
        return false;
    };
    let number = |n: &str| n == "*" || (!n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
    matches!(kind, "a" | "b" | "c")
        && number(major)
        && number(minor)
        && (1..=3).contains(&access.len())
        && access.bytes().all(|b| matches!(b, b'r' | b'w' | b'm'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(value: &str) -> DeviceMapping {
        let devices = parse_devices(&[value.to_owned()]).expect(value);
        assert!(devices.cdi.is_none());
        devices.mappings.into_iter().next().expect("one mapping")
    }

    fn mapping(host: &str, container: &str, perms: &str) -> DeviceMapping {
        DeviceMapping {
            path_on_host: Some(host.into()),
            path_in_container: Some(container.into()),
            cgroup_permissions: Some(perms.into()),
        }
    }

    #[test]
    fn device_forms() {
        assert_eq!(one("/dev/null"), mapping("/dev/null", "/dev/null", "rwm"));
        assert_eq!(one("/dev//null/"), mapping("/dev/null", "/dev/null", "rwm"));
        assert_eq!(one("/dev/null:r"), mapping("/dev/null", "/dev/null", "r"));
        assert_eq!(one("/dev/null:mw"), mapping("/dev/null", "/dev/null", "mw"));
        assert_eq!(one("/dev/null:/x"), mapping("/dev/null", "/x", "rwm"));
        assert_eq!(one("/dev/null:/x/../y/"), mapping("/dev/null", "/y", "rwm"));
        assert_eq!(
            one("/dev/null:/dev/zz:rw"),
            mapping("/dev/null", "/dev/zz", "rw")
        );
        // Three parts are not cleaned, as in docker.
        assert_eq!(one("/dev/null:/a//b:r"), mapping("/dev/null", "/a//b", "r"));
        // A relative host path is passed on; only the container path must be absolute.
        assert_eq!(one("null:/dev/n"), mapping("null", "/dev/n", "rwm"));
    }

    #[test]
    fn device_errors() {
        for (value, reason) in [
            ("", "bad format for path"),
            (":/x", "bad format for path"),
            ("/a:/b:r:x", "bad format for path"),
            ("/dev/null:rwx", "rwx is not an absolute path"),
            ("/dev/null:rr", "rr is not an absolute path"),
            ("/dev/null:/x:", "bad mode specified: "),
            ("/dev/null:/x:rwmr", "bad mode specified: rwmr"),
            ("/dev/null:x:r", "x is not an absolute path"),
            ("null", "null is not an absolute path"),
            ("/dev/null:", " is not an absolute path"),
            (
                "a/b=c",
                "a one-character CDI vendor or class (the docker CLI crashes on it)",
            ),
            (
                "ab/c=d",
                "a one-character CDI vendor or class (the docker CLI crashes on it)",
            ),
        ] {
            assert_eq!(
                parse_devices(&[value.to_owned()]),
                Err((value.to_owned(), reason.to_owned())),
                "{value}"
            );
        }
    }

    #[test]
    fn cdi_names_become_one_request() {
        let devices = parse_devices(&[
            "vendor.com/class=dev0".to_owned(),
            "/dev/null".to_owned(),
            "nvidia.com/gpu=all".to_owned(),
        ])
        .expect("ok");
        assert_eq!(devices.mappings.len(), 1);
        assert_eq!(
            devices.cdi,
            Some(DeviceRequest {
                driver: Some("cdi".into()),
                device_ids: Some(vec![
                    "vendor.com/class=dev0".into(),
                    "nvidia.com/gpu=all".into()
                ]),
                ..DeviceRequest::default()
            })
        );
        for not_cdi in [
            "v.com/cl=-x",
            "1v/cl=x",
            "v_/cl=x",
            "v/cl=",
            "=x",
            "v/=x",
            "/v/c=x",
        ] {
            assert_eq!(cdi_name(not_cdi), Cdi::Plain, "{not_cdi}");
        }
        assert_eq!(cdi_name("vé.com/class=x"), Cdi::Plain);
        assert_eq!(cdi_name("aé/class=x"), Cdi::Plain);
        assert_eq!(cdi_name("ab/class=xé"), Cdi::Plain);
        assert_eq!(cdi_name("v.com/class=x:1.y"), Cdi::Qualified);
        assert_eq!(cdi_name("v.com/class=7"), Cdi::Qualified);
    }

    #[test]
    fn path_clean() {
        for (input, want) in [
            ("", "."),
            ("/", "/"),
            ("//", "/"),
            ("/..", "/"),
            ("/a/../..", "/"),
            ("a/..", "."),
            ("../a", "../a"),
            ("a/../../b", "../b"),
            ("/a/./b/", "/a/b"),
        ] {
            assert_eq!(clean(input), want, "{input}");
        }
    }

    #[test]
    fn cgroup_rules() {
        for ok in [
            "c 1:3 mr",
            "a *:* rwm",
            "b 8:0 r",
            "c 1:3 rrr",
            "c 10:200 rwm",
        ] {
            assert!(valid_cgroup_rule(ok), "{ok}");
        }
        for bad in [
            "",
            "c 1:3",
            "x 1:3 r",
            "c 1:3 rwmr",
            "c 1:3 ",
            "c  1:3 r",
            "c a:3 r",
            "c 1: r",
            "c 1:3 r\n",
            "c 1:3 x",
            "c **:1 r",
            "c 1:3 r ",
        ] {
            assert!(!valid_cgroup_rule(bad), "{bad:?}");
        }
    }
}
