//! The network flags with a value grammar of their own: `--network` (plain or CSV) with the
//! first-network options (`--network-alias`, `--ip`, `--ip6`, `--link-local-ip`, `--mac-address`,
//! `--link`), `--dns`, `--dns-search` and `--add-host`.
//!
//! `--network` follows docker/cli `opts/network.go` and `parseNetworkOpts`: a value with
//! `word=word` anywhere is read as CSV (`name=…,alias=…,ip=…,driver-opt=k=v,…`) and each field is
//! lower-cased whole, values included, as docker does; the container-level options apply to the
//! first network only; a single network without endpoint options sends no endpoint at all; no
//! `--network` sends one empty endpoint keyed `default`.

use std::collections::BTreeMap;
use std::net::IpAddr;

use super::body::{EndpointSettings, IpamConfig};
use super::SpecError;

/// The network flags as typed.
#[derive(Debug, Default)]
pub struct NetworkFlags {
    /// `--network`, each occurrence.
    pub network: Vec<String>,
    /// `--network-alias`.
    pub aliases: Vec<String>,
    /// `--ip`.
    pub ip: Option<String>,
    /// `--ip6`.
    pub ip6: Option<String>,
    /// `--link-local-ip`.
    pub link_local_ips: Vec<String>,
    /// `--mac-address`.
    pub mac_address: Option<String>,
    /// `--link`, already checked by [`parse_links`].
    pub links: Vec<String>,
}

/// What the network flags turn into.
#[derive(Debug, PartialEq)]
pub struct Networking {
    /// `HostConfig.NetworkMode`: the first network, or `default`.
    pub mode: String,
    /// `NetworkingConfig.EndpointsConfig`.
    pub endpoints: BTreeMap<String, EndpointSettings>,
}

/// One `--network` attachment (docker's `NetworkAttachmentOpts`).
#[derive(Debug, Default)]
struct Attachment {
    target: String,
    aliases: Vec<String>,
    ipv4: String,
    ipv6: String,
    mac: String,
    link_local_ips: Vec<String>,
    links: Vec<String>,
    driver_opts: BTreeMap<String, String>,
    gw_priority: i64,
}

/// `\w+=\w+` anywhere (Go's ASCII `\w`): the test docker uses to pick the CSV syntax.
fn is_long_syntax(value: &str) -> bool {
    let word = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let bytes = value.as_bytes();
    (1..bytes.len().saturating_sub(1))
        .any(|i| bytes[i] == b'=' && word(bytes[i - 1]) && word(bytes[i + 1]))
}

/// Read one CSV record as Go's `encoding/csv` would (quotes protect commas).
///
/// # Errors
/// Malformed CSV or an empty value.
pub fn csv_fields(flag: &'static str, value: &str) -> Result<Vec<String>, SpecError> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(value.as_bytes());
    let mut record = csv::StringRecord::new();
    match reader.read_record(&mut record) {
        Ok(true) => Ok(record.iter().map(str::to_owned).collect()),
        Ok(false) => Err(SpecError::invalid(flag, value, "empty value")),
        Err(err) => Err(SpecError::invalid(flag, value, err.to_string())),
    }
}

/// Parse one `--network` value.
fn parse_attachment(value: &str) -> Result<Attachment, SpecError> {
    if !is_long_syntax(value) {
        return Ok(Attachment {
            target: value.to_owned(),
            ..Attachment::default()
        });
    }
    let bad = |why: String| SpecError::invalid("--network", value, why);
    let mut out = Attachment::default();
    for field in csv_fields("--network", value)? {
        let lower = field.to_lowercase();
        let Some((key, val)) = lower.split_once('=').filter(|(k, _)| !k.is_empty()) else {
            return Err(bad(format!("invalid field `{field}`")));
        };
        let (key, val) = (key.trim(), val.trim().to_owned());
        match key {
            "name" => out.target = val,
            "alias" => out.aliases.push(val),
            "ip" => out.ipv4 = val,
            "ip6" => out.ipv6 = val,
            "mac-address" => out.mac = val,
            "link-local-ip" => out.link_local_ips.push(val),
            "driver-opt" => {
                let Some((k, v)) = val.split_once('=').filter(|(k, _)| !k.is_empty()) else {
                    return Err(bad("invalid key value pair format in driver options".into()));
                };
                out.driver_opts
                    .insert(k.trim().to_owned(), v.trim().to_owned());
            }
            "gw-priority" => {
                out.gw_priority = val
                    .parse()
                    .map_err(|_| bad(format!("invalid gw-priority `{val}`")))?;
            }
            other => return Err(bad(format!("invalid field key `{other}`"))),
        }
    }
    if out.target.is_empty() {
        return Err(bad("network name not specified".into()));
    }
    Ok(out)
}

/// `NetworkMode.IsUserDefined()`.
fn user_defined(target: &str) -> bool {
    !matches!(target, "default" | "bridge" | "host" | "none") && !target.starts_with("container:")
}

/// docker's `applyContainerOptions`: the container-level flags go to the first network.
fn apply_container_options(att: &mut Attachment, flags: &NetworkFlags) -> Result<(), SpecError> {
    let conflict = |what: &str| {
        Err(SpecError::Conflict(format!(
            "cannot specify both `{what}` and its per-network form in `--network`"
        )))
    };
    if !att.aliases.is_empty() && !flags.aliases.is_empty() {
        return conflict("--network-alias");
    }
    if !att.ipv4.is_empty() && flags.ip.is_some() {
        return conflict("--ip");
    }
    if !att.ipv6.is_empty() && flags.ip6.is_some() {
        return conflict("--ip6");
    }
    if !att.mac.is_empty() && flags.mac_address.is_some() {
        return conflict("--mac-address");
    }
    if !att.link_local_ips.is_empty() && !flags.link_local_ips.is_empty() {
        return conflict("--link-local-ip");
    }
    if !flags.aliases.is_empty() {
        att.aliases.clone_from(&flags.aliases);
    }
    if user_defined(&att.target) && !flags.links.is_empty() {
        att.links.clone_from(&flags.links);
    }
    let non_empty = |v: &Option<String>| v.clone().filter(|v| !v.is_empty());
    if let Some(ip) = non_empty(&flags.ip) {
        att.ipv4 = ip;
    }
    if let Some(ip6) = non_empty(&flags.ip6) {
        att.ipv6 = ip6;
    }
    if let Some(mac) = non_empty(&flags.mac_address) {
        att.mac = mac;
    }
    if !flags.link_local_ips.is_empty() {
        att.link_local_ips.clone_from(&flags.link_local_ips);
    }
    Ok(())
}

/// docker's `parseNetworkAttachmentOpt`: one attachment → its endpoint settings.
fn endpoint(att: Attachment) -> Result<EndpointSettings, SpecError> {
    if att.target.trim().is_empty() {
        return Err(SpecError::invalid(
            "--network",
            att.target,
            "no name set for network",
        ));
    }
    if !user_defined(&att.target) {
        if !att.aliases.is_empty() {
            return Err(SpecError::invalid(
                "--network-alias",
                att.aliases.join(","),
                "network-scoped aliases are only supported for user-defined networks",
            ));
        }
        if !att.links.is_empty() {
            return Err(SpecError::invalid(
                "--link",
                att.links.join(","),
                "links are only supported for user-defined networks",
            ));
        }
    }
    let ipam = (!att.ipv4.is_empty() || !att.ipv6.is_empty() || !att.link_local_ips.is_empty())
        .then(|| IpamConfig {
            ipv4_address: Some(att.ipv4.clone()).filter(|v| !v.is_empty()),
            ipv6_address: Some(att.ipv6.clone()).filter(|v| !v.is_empty()),
            link_local_ips: Some(att.link_local_ips.clone()).filter(|v| !v.is_empty()),
        });
    if !att.mac.is_empty() && !valid_mac(att.mac.trim()) {
        return Err(SpecError::invalid(
            "--mac-address",
            att.mac,
            "not a valid MAC address",
        ));
    }
    Ok(EndpointSettings {
        ipam_config: ipam,
        links: Some(att.links).filter(|l| !l.is_empty()),
        mac_address: Some(att.mac).filter(|m| !m.is_empty()),
        aliases: Some(att.aliases).filter(|a| !a.is_empty()),
        driver_opts: Some(att.driver_opts).filter(|d| !d.is_empty()),
        gw_priority: Some(att.gw_priority).filter(|p| *p != 0),
    })
}

/// Go's `net.ParseMAC`: 6, 8 or 20 octets as `xx:xx…`, `xx-xx…` or `xxxx.xxxx…`.
pub fn valid_mac(text: &str) -> bool {
    let octets_ok = |n: usize| matches!(n, 6 | 8 | 20);
    let hex = |s: &str, len: usize| s.len() == len && s.bytes().all(|b| b.is_ascii_hexdigit());
    for sep in [':', '-'] {
        let parts: Vec<&str> = text.split(sep).collect();
        if parts.len() > 1 && octets_ok(parts.len()) && parts.iter().all(|p| hex(p, 2)) {
            return true;
        }
    }
    let parts: Vec<&str> = text.split('.').collect();
    parts.len() > 1 && octets_ok(parts.len() * 2) && parts.iter().all(|p| hex(p, 4))
}

/// Build `NetworkMode` and `EndpointsConfig` from the network flags, as docker's
/// `parseNetworkOpts` does.
///
/// # Errors
/// A bad `--network` value, a network named twice, user-defined networks mixed with
/// `host`/`bridge`/`none`/`container:`, first-network options that conflict or do not apply.
pub fn parse_networks(flags: &NetworkFlags) -> Result<Networking, SpecError> {
    let mut endpoints = BTreeMap::new();
    let attachments = flags
        .network
        .iter()
        .map(|n| parse_attachment(n))
        .collect::<Result<Vec<_>, _>>()?;
    let mode = attachments
        .first()
        .map_or_else(|| "default".to_owned(), |a| a.target.clone());
    if attachments.is_empty() {
        let mut att = Attachment {
            target: "default".into(),
            ..Attachment::default()
        };
        apply_container_options(&mut att, flags)?;
        endpoints.insert("default".to_owned(), endpoint(att)?);
    }
    let single = attachments.len() == 1;
    let (mut has_user, mut has_other) = (false, false);
    for (i, mut att) in attachments.into_iter().enumerate() {
        if user_defined(&att.target) {
            has_user = true;
        } else {
            has_other = true;
        }
        if i == 0 {
            apply_container_options(&mut att, flags)?;
        }
        let target = att.target.clone();
        let ep = endpoint(att)?;
        if endpoints.contains_key(&target) {
            return Err(SpecError::invalid(
                "--network",
                target,
                "network is specified multiple times",
            ));
        }
        if single && ep == EndpointSettings::default() {
            continue;
        }
        endpoints.insert(target, ep);
    }
    if has_user && has_other {
        return Err(SpecError::Conflict(
            "cannot attach both user-defined and non-user-defined network modes (`--network`)"
                .into(),
        ));
    }
    Ok(Networking { mode, endpoints })
}

/// `--dns-search`: trimmed; `.` or a domain name (docker's `ValidateDNSSearch`), sent without a
/// trailing dot.
///
/// # Errors
/// A value that is not a domain name.
pub fn parse_dns_search(specs: &[String]) -> Result<Vec<String>, SpecError> {
    specs
        .iter()
        .map(|spec| {
            let value = spec.trim_matches(' ');
            if value == "." {
                return Ok(value.to_owned());
            }
            let bad = || SpecError::invalid("--dns-search", spec, "not a valid domain");
            if !value.bytes().any(|b| b.is_ascii_alphabetic()) {
                return Err(bad());
            }
            let name = docker_domain(value).ok_or_else(bad)?;
            if name.len() >= 255 {
                return Err(bad());
            }
            Ok(name.to_owned())
        })
        .collect()
}

/// docker's domain regexp, `^(:?LABEL(:?\.LABEL)*)\.?$` with
/// `LABEL = (:?[a-zA-Z0-9]|(:?[a-zA-Z0-9][a-zA-Z0-9\-]*[a-zA-Z0-9]))`, matched by hand (the
/// `(:?` are typos for `(?:` that make a colon optional, kept as docker has them): the name
/// without its trailing dot (the regexp's first group), or `None`. A label is an optional colon
/// and a run of letters, digits and hyphens that starts and ends with a letter or digit; no
/// continuation can start with a hyphen, so the run is taken whole. The unit test checks it
/// against the regexp itself on every string of up to six characters over `aZ0-.:`.
fn docker_domain(value: &str) -> Option<&str> {
    fn label(b: &[u8], mut i: usize) -> Option<usize> {
        if b.get(i) == Some(&b':') {
            i += 1;
        }
        let start = i;
        while b
            .get(i)
            .is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'-')
        {
            i += 1;
        }
        let edge = |at: usize| b.get(at).is_some_and(u8::is_ascii_alphanumeric);
        (i > start && edge(start) && edge(i - 1)).then_some(i)
    }
    let b = value.as_bytes();
    let mut end = label(b, usize::from(b.first() == Some(&b':')))?;
    loop {
        let dot = end + usize::from(b.get(end) == Some(&b':'));
        if b.get(dot) != Some(&b'.') {
            break;
        }
        match label(b, dot + 1) {
            Some(next) => end = next,
            None => break,
        }
    }
    matches!(&b[end..], [] | [b'.']).then(|| &value[..end])
}

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

    fn flags(f: impl FnOnce(&mut NetworkFlags)) -> NetworkFlags {
        let mut n = NetworkFlags::default();
        f(&mut n);
        n
    }

    #[test]
    fn no_network_is_one_default_endpoint() {
        let n = parse_networks(&NetworkFlags::default()).expect("ok");
        assert_eq!(n.mode, "default");
        assert_eq!(n.endpoints.len(), 1);
        assert_eq!(n.endpoints["default"], EndpointSettings::default());
        // --ip applies to the default endpoint too (the daemon judges it).
        let n = parse_networks(&flags(|f| f.ip = Some("10.0.0.2".into()))).expect("ok");
        assert_eq!(
            n.endpoints["default"]
                .ipam_config
                .as_ref()
                .and_then(|i| i.ipv4_address.clone()),
            Some("10.0.0.2".into())
        );
        assert!(parse_networks(&flags(|f| f.aliases = vec!["a".into()])).is_err());
    }

    #[test]
    fn single_network_without_options_sends_no_endpoint() {
        let n = parse_networks(&flags(|f| f.network = vec!["host".into()])).expect("ok");
        assert_eq!((n.mode.as_str(), n.endpoints.len()), ("host", 0));
        let n = parse_networks(&flags(|f| f.network = vec!["name=MyNet".into()])).expect("ok");
        assert_eq!((n.mode.as_str(), n.endpoints.len()), ("mynet", 0));
    }

    #[test]
    fn csv_syntax_lowercases_and_collects() {
        let n = parse_networks(&flags(|f| {
            f.network = vec![
                "name=Net1,alias=WebA,alias=b,ip=10.1.0.5,\"driver-opt=com.K=V\",link-local-ip=169.254.1.1".into(),
                "other".into(),
            ];
        }))
        .expect("ok");
        assert_eq!(n.mode, "net1");
        let ep = &n.endpoints["net1"];
        assert_eq!(ep.aliases, Some(vec!["weba".into(), "b".into()]));
        assert_eq!(
            ep.driver_opts.as_ref().map(|d| d["com.k"].clone()),
            Some("v".into())
        );
        let ipam = ep.ipam_config.as_ref().expect("ipam");
        assert_eq!(ipam.ipv4_address.as_deref(), Some("10.1.0.5"));
        assert_eq!(ipam.link_local_ips, Some(vec!["169.254.1.1".into()]));
        assert_eq!(n.endpoints["other"], EndpointSettings::default());
        for bad in [
            "name=x,bogus=1",
            "alias=a",
            "name=x,gw-priority=z",
            "name=x,=y",
        ] {
            assert!(
                parse_networks(&flags(|f| f.network = vec![bad.into()])).is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn first_network_gets_the_container_options() {
        let n = parse_networks(&flags(|f| {
            f.network = vec!["a".into(), "b".into()];
            f.aliases = vec!["x".into()];
            f.links = vec!["db:d".into()];
            f.mac_address = Some("02:42:ac:11:00:99".into());
        }))
        .expect("ok");
        assert_eq!(n.endpoints["a"].aliases, Some(vec!["x".into()]));
        assert_eq!(n.endpoints["a"].links, Some(vec!["db:d".into()]));
        assert_eq!(n.endpoints["b"], EndpointSettings::default());
        assert_eq!(
            n.endpoints["a"].mac_address.as_deref(),
            Some("02:42:ac:11:00:99")
        );
    }

    #[test]
    fn network_refusals() {
        let refuse = |f: NetworkFlags| parse_networks(&f).is_err();
        assert!(refuse(flags(|f| f.network = vec!["a".into(), "a".into()])));
        assert!(refuse(flags(
            |f| f.network = vec!["a".into(), "host".into()]
        )));
        assert!(refuse(flags(|f| {
            f.network = vec!["name=a,alias=x".into()];
            f.aliases = vec!["y".into()];
        })));
        assert!(refuse(flags(|f| {
            f.network = vec!["bridge".into()];
            f.aliases = vec!["y".into()];
        })));
        assert!(refuse(flags(|f| {
            f.network = vec!["a".into()];
            f.mac_address = Some("nope".into());
        })));
    }

    #[test]
    fn macs_and_long_syntax_detection() {
        assert!(valid_mac("02:42:ac:11:00:02") && valid_mac("02-42-AC-11-00-02"));
        assert!(valid_mac("0242.ac11.0002") && !valid_mac("02:42:ac:11:00") && !valid_mac(""));
        assert!(is_long_syntax("name=a") && is_long_syntax("x,a=b"));
        assert!(!is_long_syntax("container:a") && !is_long_syntax("=a") && !is_long_syntax("a="));
    }

    #[test]
    fn dns_search() {
        let ok =
            parse_dns_search(&[" example.com. ".into(), ".".into(), "a-b.c".into()]).expect("ok");
        assert_eq!(ok, vec!["example.com", ".", "a-b.c"]);
        for bad in ["123", "-a.com", "a..b", "a_b.com", ""] {
            assert!(parse_dns_search(&[bad.into()]).is_err(), "{bad}");
        }
    }

    #[test]
    fn domain_matcher_is_dockers_regexp() {
        let label = r"(:?[a-zA-Z0-9]|(:?[a-zA-Z0-9][a-zA-Z0-9\-]*[a-zA-Z0-9]))";
        let regexp =
            regex::Regex::new(&format!(r"^(:?{label}(:?\.{label})*)\.?$")).expect("regexp");
        let alphabet = ['a', 'Z', '0', '-', '.', ':'];
        let mut words = vec![String::new()];
        let (mut checked, mut matched) = (0, 0);
        for _ in 0..6 {
            let mut longer = Vec::with_capacity(words.len() * alphabet.len());
            for word in &words {
                for c in alphabet {
                    let candidate = format!("{word}{c}");
                    let want = regexp
                        .captures(&candidate)
                        .map(|c| c.get(1).map_or("", |m| m.as_str()));
                    assert_eq!(docker_domain(&candidate), want, "{candidate:?}");
                    checked += 1;
                    matched += usize::from(want.is_some());
                    longer.push(candidate);
                }
            }
            words = longer;
        }
        assert_eq!(checked, 55_986);
        assert!(matched > 5_000, "only {matched} of the words are domains");
        for long in [
            "example.com",
            "a-b.c.",
            "::x.y",
            "x:.y",
            "x.:y",
            "x-.y",
            "x.y:",
        ] {
            assert_eq!(
                docker_domain(long),
                regexp
                    .captures(long)
                    .map(|c| c.get(1).map_or("", |m| m.as_str())),
                "{long}"
            );
        }
    }

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
