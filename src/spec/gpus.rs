//! `--gpus`, read as the docker CLI's `GpuOpts` does, and nothing else.
//!
//! A value is one CSV record (Go's `encoding/csv`: `"…"` quotes a field, `""` is a quote inside
//! one, the record ends at the first newline outside quotes): `all` or `N` (a count), or
//! `key=value` fields among `driver`, `count` (`all` or an integer), `device` (comma list, so the
//! field must be quoted: `'"device=0,1"'`), `capabilities` (comma list; `gpu` is always
//! appended) and `options` (a nested CSV of `k=v`). Each key at most once; a bare count counts as
//! `count`. Defaults: count 1 unless a count or devices were given, capabilities `[["gpu"]]`,
//! options `{}`. Each `--gpus` becomes one `HostConfig.DeviceRequests` entry.

use std::collections::BTreeMap;

use super::body::DeviceRequest;
use super::numbers::{parse_int, Base};

/// Parse one `--gpus` value.
///
/// # Errors
/// The reason, worded after the docker CLI's.
pub fn parse_gpu_request(value: &str) -> Result<DeviceRequest, String> {
    let fields = read_csv_record(value)?;
    let mut driver = String::new();
    let mut count: Option<i64> = None;
    let mut device_ids: Option<Vec<String>> = None;
    let mut capabilities: Option<Vec<Vec<String>>> = None;
    let mut options: Option<BTreeMap<String, String>> = None;
    let mut seen: Vec<String> = Vec::new();
    for field in &fields {
        let (key, val) = match field.split_once('=') {
            Some((k, v)) => (k, Some(v)),
            None => (field.as_str(), None),
        };
        if seen.iter().any(|s| s == key) {
            return Err(format!(
                "gpu request key '{key}' can be specified only once"
            ));
        }
        seen.push(key.to_owned());
        let Some(val) = val else {
            seen.push("count".to_owned());
            count = Some(parse_count(key)?);
            continue;
        };
        match key {
            "driver" => val.clone_into(&mut driver),
            "count" => count = Some(parse_count(val)?),
            "device" => device_ids = Some(val.split(',').map(str::to_owned).collect()),
            "capabilities" => {
                let mut caps: Vec<String> = val.split(',').map(str::to_owned).collect();
                caps.push("gpu".to_owned());
                capabilities = Some(vec![caps]);
            }
            "options" => {
                let pairs =
                    read_csv_record(val).map_err(|e| format!("failed to read gpu options: {e}"))?;
                options = Some(
                    pairs
                        .into_iter()
                        .map(|kv| match kv.split_once('=') {
                            Some((k, v)) => (k.to_owned(), v.to_owned()),
                            None => (kv, String::new()),
                        })
                        .collect(),
                );
            }
            _ => return Err(format!("unexpected key '{key}' in '{field}'")),
        }
    }
    let count = match count {
        Some(n) => n,
        None if device_ids.is_none() => 1,
        None => 0,
    };
    Ok(DeviceRequest {
        driver: Some(driver),
        count: Some(count),
        device_ids,
        capabilities: Some(capabilities.unwrap_or_else(|| vec![vec!["gpu".to_owned()]])),
        options: Some(options.unwrap_or_default()),
    })
}

/// `parseCount`: `all` is -1, else a decimal integer (Go's `strconv.Atoi`).
fn parse_count(s: &str) -> Result<i64, String> {
    if s == "all" {
        return Ok(-1);
    }
    parse_int(s, Base::Decimal, 64).map_err(|e| {
        format!("invalid count ({s}): value must be either \"all\" or an integer: {e}")
    })
}

/// The first record of `input` under Go's `encoding/csv` defaults.
///
/// Written out rather than taken from the `csv` crate (which `network.rs` uses): that crate
/// accepts a bare `"` inside an unquoted field, which Go refuses, so `--gpus 'driver=a"b'` would
/// pass dockrun and fail docker.
fn read_csv_record(input: &str) -> Result<Vec<String>, String> {
    // Empty lines before the record are skipped; no record at all is io.EOF.
    let mut rest = input;
    loop {
        if let Some(r) = rest.strip_prefix("\r\n") {
            rest = r;
        } else if let Some(r) = rest.strip_prefix('\n') {
            rest = r;
        } else {
            break;
        }
    }
    if rest.is_empty() {
        return Err("EOF".into());
    }
    let mut fields = Vec::new();
    let mut chars = rest.chars().peekable();
    loop {
        let mut field = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            loop {
                match chars.next() {
                    None => return Err("extraneous or missing \" in quoted-field".into()),
                    Some('"') => match chars.peek() {
                        Some('"') => {
                            chars.next();
                            field.push('"');
                        }
                        Some(',') => {
                            chars.next();
                            fields.push(field);
                            break;
                        }
                        None | Some('\n') => {
                            fields.push(field);
                            return Ok(fields);
                        }
                        Some('\r') => {
                            chars.next();
                            if matches!(chars.peek(), None | Some('\n')) {
                                fields.push(field);
                                return Ok(fields);
                            }
                            return Err("extraneous or missing \" in quoted-field".into());
                        }
                        Some(_) => return Err("extraneous or missing \" in quoted-field".into()),
                    },
                    Some('\r') if chars.peek() == Some(&'\n') => {}
                    Some(c) => field.push(c),
                }
            }
        } else {
            loop {
                match chars.next() {
                    None | Some('\n') => {
                        fields.push(field);
                        return Ok(fields);
                    }
                    Some('\r') if matches!(chars.peek(), None | Some('\n')) => {
                        fields.push(field);
                        return Ok(fields);
                    }
                    Some(',') => {
                        fields.push(field);
                        break;
                    }
                    Some('"') => return Err("bare \" in non-quoted-field".into()),
                    Some(c) => field.push(c),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(
        driver: &str,
        count: i64,
        ids: Option<&[&str]>,
        caps: &[&str],
        options: &[(&str, &str)],
    ) -> DeviceRequest {
        DeviceRequest {
            driver: Some(driver.into()),
            count: Some(count),
            device_ids: ids.map(|ids| ids.iter().map(|s| (*s).to_owned()).collect()),
            capabilities: Some(vec![caps.iter().map(|s| (*s).to_owned()).collect()]),
            options: Some(
                options
                    .iter()
                    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                    .collect(),
            ),
        }
    }

    #[test]
    fn gpu_requests() {
        assert_eq!(
            parse_gpu_request("all"),
            Ok(request("", -1, None, &["gpu"], &[]))
        );
        assert_eq!(
            parse_gpu_request("2"),
            Ok(request("", 2, None, &["gpu"], &[]))
        );
        assert_eq!(
            parse_gpu_request("count=all"),
            Ok(request("", -1, None, &["gpu"], &[]))
        );
        assert_eq!(
            parse_gpu_request("driver=nvidia"),
            Ok(request("nvidia", 1, None, &["gpu"], &[]))
        );
        assert_eq!(
            parse_gpu_request("\"device=0,1\",capabilities=compute"),
            Ok(request("", 0, Some(&["0", "1"]), &["compute", "gpu"], &[]))
        );
        assert_eq!(
            parse_gpu_request("device=GPU-3a23c669"),
            Ok(request("", 0, Some(&["GPU-3a23c669"]), &["gpu"], &[]))
        );
        assert_eq!(
            parse_gpu_request("\"options=a=1,b\",count=-3"),
            Ok(request("", -3, None, &["gpu"], &[("a", "1"), ("b", "")]))
        );
        assert_eq!(
            parse_gpu_request("\ncount=+2\nignored"),
            Ok(request("", 2, None, &["gpu"], &[]))
        );
        assert_eq!(
            parse_gpu_request("\"2\""),
            Ok(request("", 2, None, &["gpu"], &[]))
        );
    }

    #[test]
    fn gpu_refusals() {
        for (value, reason) in [
            ("", "EOF"),
            ("\n", "EOF"),
            (
                "count=2,count=3",
                "gpu request key 'count' can be specified only once",
            ),
            (
                "2,count=3",
                "gpu request key 'count' can be specified only once",
            ),
            (
                "all,all",
                "gpu request key 'all' can be specified only once",
            ),
            (
                "foo",
                "invalid count (foo): value must be either \"all\" or an integer: invalid syntax",
            ),
            (
                "count=1k",
                "invalid count (1k): value must be either \"all\" or an integer: invalid syntax",
            ),
            ("driver=x,foo=bar", "unexpected key 'foo' in 'foo=bar'"),
            ("a\"b", "bare \" in non-quoted-field"),
            ("\"ab", "extraneous or missing \" in quoted-field"),
            ("\"a\"b", "extraneous or missing \" in quoted-field"),
            ("options=\"x", "bare \" in non-quoted-field"),
            (
                "\"options=\"\"x\"",
                "failed to read gpu options: extraneous or missing \" in quoted-field",
            ),
        ] {
            assert_eq!(
                parse_gpu_request(value),
                Err(reason.to_owned()),
                "{value:?}"
            );
        }
    }

    #[test]
    fn csv_records() {
        assert_eq!(read_csv_record("a,b"), Ok(vec!["a".into(), "b".into()]));
        assert_eq!(read_csv_record("a,"), Ok(vec!["a".into(), String::new()]));
        assert_eq!(
            read_csv_record(" a , b"),
            Ok(vec![" a ".into(), " b".into()])
        );
        assert_eq!(
            read_csv_record("\"a\"\"b\",c"),
            Ok(vec!["a\"b".into(), "c".into()])
        );
        assert_eq!(
            read_csv_record("\"a\nb\",c\nd"),
            Ok(vec!["a\nb".into(), "c".into()])
        );
        assert_eq!(read_csv_record("a\r\nb"), Ok(vec!["a".into()]));
    }
}
