//! `-p`/`--publish` and `--expose`: go-connections' `nat.ParsePortSpec` grammar.
//!
//! `[ip:][hostPort:]containerPort[/proto]`, split on `:` from the right; ports are `n` or `a-b`;
//! proto is tcp, udp or sctp (case-insensitive). Equal-size ranges pair up port by port, a single
//! container port with a host range keeps the range for the daemon to pick from. The long form
//! (`published=8080,target=80,protocol=udp`) is converted to the short one first.

use std::collections::BTreeMap;
use std::net::IpAddr;

use super::body::{Empty, PortBinding};
use super::SpecError;

/// Ports from `-p`: the bindings and the ports they expose.
#[derive(Debug, Default)]
pub struct Published {
    /// `HostConfig.PortBindings`.
    pub bindings: BTreeMap<String, Option<Vec<PortBinding>>>,
    /// `Config.ExposedPorts` entries.
    pub exposed: BTreeMap<String, Empty>,
}

/// Parse a port or port range `n` / `a-b` into its bounds.
fn parse_range(flag: &'static str, spec: &str, text: &str) -> Result<(u16, u16), SpecError> {
    let port = |p: &str| {
        p.parse::<u16>()
            .map_err(|_| SpecError::invalid(flag, spec, format!("invalid port `{p}`")))
    };
    match text.split_once('-') {
        Some((a, b)) => {
            let (a, b) = (port(a)?, port(b)?);
            if b < a {
                return Err(SpecError::invalid(
                    flag,
                    spec,
                    format!("invalid range `{text}`"),
                ));
            }
            Ok((a, b))
        }
        None => {
            let p = port(text)?;
            Ok((p, p))
        }
    }
}

/// Split `port/proto`, validating and lower-casing the protocol (default tcp).
fn split_proto<'a>(
    flag: &'static str,
    spec: &str,
    text: &'a str,
) -> Result<(&'a str, String), SpecError> {
    match text.split_once('/') {
        None => Ok((text, "tcp".to_owned())),
        Some((port, proto)) => {
            let proto = proto.to_ascii_lowercase();
            if !matches!(proto.as_str(), "tcp" | "udp" | "sctp") {
                return Err(SpecError::invalid(
                    flag,
                    spec,
                    format!("invalid protocol `{proto}`"),
                ));
            }
            Ok((port, proto))
        }
    }
}

/// Convert the long form `published=…,target=…,protocol=…` into the short one.
fn long_form(spec: &str) -> String {
    let (mut published, mut target, mut protocol) = ("", "", "tcp");
    for field in spec.split(',') {
        if let Some((k, v)) = field.split_once('=') {
            match k {
                "published" => published = v,
                "target" => target = v,
                "protocol" => protocol = v,
                _ => {}
            }
        }
    }
    if published.is_empty() {
        format!("{target}/{protocol}")
    } else {
        format!("{published}:{target}/{protocol}")
    }
}

/// Parse every `-p` value.
///
/// # Errors
/// A value that breaks the grammar, naming the value.
pub fn parse_publish(specs: &[String]) -> Result<Published, SpecError> {
    const FLAG: &str = "--publish";
    let mut out = Published::default();
    for original in specs {
        let spec = if original.contains('=') {
            long_form(original)
        } else {
            original.clone()
        };
        let (rest, proto) = split_proto(FLAG, original, &spec)?;
        let mut parts: Vec<&str> = rest.rsplitn(3, ':').collect();
        parts.reverse();
        let (ip, host, container) = match parts.as_slice() {
            [container] => ("", "", *container),
            [host, container] => ("", *host, *container),
            [ip, host, container] => (*ip, *host, *container),
            _ => {
                return Err(SpecError::invalid(
                    FLAG,
                    original,
                    "invalid port specification",
                ))
            }
        };
        let ip = ip
            .strip_prefix('[')
            .and_then(|i| i.strip_suffix(']'))
            .unwrap_or(ip);
        if !ip.is_empty() && ip.parse::<IpAddr>().is_err() {
            return Err(SpecError::invalid(
                FLAG,
                original,
                format!("invalid IP address `{ip}`"),
            ));
        }
        if container.is_empty() {
            return Err(SpecError::invalid(FLAG, original, "no container port"));
        }
        let (c_start, c_end) = parse_range(FLAG, original, container)?;
        let host_range = if host.is_empty() {
            None
        } else {
            Some(parse_range(FLAG, original, host)?)
        };
        let c_len = c_end - c_start;
        if let Some((h_start, h_end)) = host_range {
            if c_len != 0 && h_end - h_start != c_len {
                return Err(SpecError::invalid(
                    FLAG,
                    original,
                    "port ranges do not match",
                ));
            }
        }
        for offset in 0..=c_len {
            let port = c_start + offset;
            let host_port = match host_range {
                None => String::new(),
                Some((h_start, h_end)) if c_len == 0 && h_end != h_start => {
                    format!("{h_start}-{h_end}")
                }
                Some((h_start, _)) => (h_start + offset).to_string(),
            };
            let key = format!("{port}/{proto}");
            out.exposed.insert(key.clone(), Empty {});
            out.bindings
                .entry(key)
                .or_insert_with(|| Some(Vec::new()))
                .get_or_insert_with(Vec::new)
                .push(PortBinding {
                    host_ip: Some(ip.to_owned()),
                    host_port: Some(host_port),
                });
        }
    }
    Ok(out)
}

/// Parse every `--expose` value: `port[-end][/proto]`, expanded port by port.
///
/// # Errors
/// A value with `:` or a bad port.
pub fn parse_expose(specs: &[String]) -> Result<BTreeMap<String, Empty>, SpecError> {
    const FLAG: &str = "--expose";
    let mut out = BTreeMap::new();
    for spec in specs {
        if spec.contains(':') {
            return Err(SpecError::invalid(
                FLAG,
                spec,
                "`--expose` takes no host part; use `--publish`",
            ));
        }
        // docker does not validate the protocol of an exposed port; neither do we.
        let (port, proto) = spec.split_once('/').unwrap_or((spec.as_str(), "tcp"));
        let (start, end) = parse_range(FLAG, spec, port)?;
        for p in start..=end {
            out.insert(format!("{p}/{proto}"), Empty {});
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bindings(spec: &str) -> Vec<(String, String, String)> {
        let p = parse_publish(&[spec.to_owned()]).expect(spec);
        p.bindings
            .into_iter()
            .flat_map(|(k, v)| {
                v.unwrap_or_default().into_iter().map(move |b| {
                    (
                        k.clone(),
                        b.host_ip.unwrap_or_default(),
                        b.host_port.unwrap_or_default(),
                    )
                })
            })
            .collect()
    }

    fn t(k: &str, ip: &str, port: &str) -> (String, String, String) {
        (k.into(), ip.into(), port.into())
    }

    #[test]
    fn publish_forms() {
        assert_eq!(bindings("80"), vec![t("80/tcp", "", "")]);
        assert_eq!(bindings("8080:80"), vec![t("80/tcp", "", "8080")]);
        assert_eq!(
            bindings("127.0.0.1:8080:80/UDP"),
            vec![t("80/udp", "127.0.0.1", "8080")]
        );
        assert_eq!(
            bindings("127.0.0.1::80"),
            vec![t("80/tcp", "127.0.0.1", "")]
        );
        assert_eq!(bindings("::1:8080:80"), vec![t("80/tcp", "::1", "8080")]);
        assert_eq!(bindings("[::1]:8080:80"), vec![t("80/tcp", "::1", "8080")]);
        assert_eq!(
            bindings("8000-8001:80-81"),
            vec![t("80/tcp", "", "8000"), t("81/tcp", "", "8001")]
        );
        assert_eq!(bindings("8000-8010:80"), vec![t("80/tcp", "", "8000-8010")]);
        assert_eq!(
            bindings("published=8080,target=80,protocol=udp"),
            vec![t("80/udp", "", "8080")]
        );
        assert_eq!(bindings("target=80"), vec![t("80/tcp", "", "")]);
    }

    #[test]
    fn publish_errors() {
        for bad in [
            "",
            "x",
            "70000",
            "80/icmp",
            "1.2.3:80:80",
            "8000-8002:80-81",
            "90-80",
            "a:b:80:80",
        ] {
            assert!(parse_publish(&[bad.to_owned()]).is_err(), "{bad}");
        }
    }

    #[test]
    fn repeated_publish_appends() {
        let p = parse_publish(&["80".into(), "80".into()]).expect("ok");
        assert_eq!(p.bindings["80/tcp"].as_ref().map(Vec::len), Some(2));
    }

    #[test]
    fn expose() {
        let e = parse_expose(&["80".into(), "90-91/udp".into()]).expect("ok");
        assert_eq!(e.keys().collect::<Vec<_>>(), ["80/tcp", "90/udp", "91/udp"]);
        assert!(parse_expose(&["80:80".into()]).is_err());
        assert!(parse_expose(&["x".into()]).is_err());
    }
}
