//! `--link`, `--dns` and `--add-host`: the network flags with a value grammar of their own.

use std::net::IpAddr;

use super::SpecError;

/// Parse every `--link name[:alias]`; the legacy `/name:/parent/alias` form passes as-is.
///
/// # Errors
/// More than one `:`, or an empty name.
pub fn parse_links(specs: &[String]) -> Result<Vec<String>, SpecError> {
    specs
        .iter()
        .map(|spec| {
            let parts: Vec<&str> = spec.split(':').collect();
            if parts.len() > 2 || parts.iter().any(|p| p.is_empty()) {
                return Err(SpecError::invalid(
                    "--link",
                    spec,
                    "expected `name` or `name:alias`",
                ));
            }
            Ok(spec.clone())
        })
        .collect()
}

/// Parse every `--dns`: trimmed, must be an IP, sent in canonical form.
///
/// # Errors
/// A value that is not an IP address.
pub fn parse_dns(specs: &[String]) -> Result<Vec<String>, SpecError> {
    specs
        .iter()
        .map(|spec| {
            spec.trim()
                .parse::<IpAddr>()
                .map(|ip| ip.to_string())
                .map_err(|_| SpecError::invalid("--dns", spec, "not an IP address"))
        })
        .collect()
}

/// Parse every `--add-host host:ip` / `host=ip`, normalised to `host:ip` (brackets stripped).
///
/// # Errors
/// A missing host or an address that is neither an IP nor `host-gateway`.
pub fn parse_add_hosts(specs: &[String]) -> Result<Vec<String>, SpecError> {
    specs
        .iter()
        .map(|spec| {
            let (host, ip) = spec
                .split_once('=')
                .or_else(|| spec.split_once(':'))
                .ok_or_else(|| SpecError::invalid("--add-host", spec, "expected `host:ip`"))?;
            if host.is_empty() || host.contains(':') {
                return Err(SpecError::invalid("--add-host", spec, "invalid host name"));
            }
            let ip = ip
                .strip_prefix('[')
                .and_then(|i| i.strip_suffix(']'))
                .unwrap_or(ip);
            if ip != "host-gateway" && ip.parse::<IpAddr>().is_err() {
                return Err(SpecError::invalid(
                    "--add-host",
                    spec,
                    format!("invalid IP address `{ip}`"),
                ));
            }
            Ok(format!("{host}:{ip}"))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links() {
        assert_eq!(
            parse_links(&["db:mongo".into(), "db".into()]).expect("ok"),
            vec!["db:mongo", "db"]
        );
        assert!(parse_links(&["a:b:c".into()]).is_err());
        assert!(parse_links(&[":x".into()]).is_err());
    }

    #[test]
    fn dns() {
        assert_eq!(
            parse_dns(&[" 1.1.1.1 ".into(), "::0001".into()]).expect("ok"),
            vec!["1.1.1.1", "::1"]
        );
        assert!(parse_dns(&["dns.example".into()]).is_err());
    }

    #[test]
    fn add_host() {
        let h = parse_add_hosts(&[
            "a:1.2.3.4".into(),
            "b=::1".into(),
            "c:[::2]".into(),
            "d:host-gateway".into(),
        ])
        .expect("ok");
        assert_eq!(h, vec!["a:1.2.3.4", "b:::1", "c:::2", "d:host-gateway"]);
        assert!(parse_add_hosts(&["nohost".into()]).is_err());
        assert!(parse_add_hosts(&[":1.2.3.4".into()]).is_err());
        assert!(parse_add_hosts(&["a:notip".into()]).is_err());
    }
}
