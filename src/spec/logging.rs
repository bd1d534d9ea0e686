//! `--log-driver` and `--log-opt`: `HostConfig.LogConfig`.
//!
//! The daemon checks the driver and its option keys; on the client side docker only folds the
//! options into a map (`k` alone → `""`, a repeated key keeps its last value) and refuses any
//! option for the `none` driver.

use std::collections::BTreeMap;

use super::body::LogConfig;
use super::SpecError;

/// Build `HostConfig.LogConfig` (always sent: `{Type: "", Config: {}}` when no flag is given).
///
/// # Errors
/// `--log-opt` given with `--log-driver none`.
pub fn parse_logging(driver: Option<String>, opts: &[String]) -> Result<LogConfig, SpecError> {
    let driver = driver.unwrap_or_default();
    if driver == "none" && !opts.is_empty() {
        return Err(SpecError::invalid(
            "--log-opt",
            opts.join(","),
            "the `none` log driver takes no options",
        ));
    }
    let config: BTreeMap<String, String> = opts
        .iter()
        .map(|o| {
            let (k, v) = o.split_once('=').unwrap_or((o.as_str(), ""));
            (k.to_owned(), v.to_owned())
        })
        .collect();
    Ok(LogConfig {
        typ: Some(driver),
        config: Some(config),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_config() {
        let c = parse_logging(
            Some("json-file".into()),
            &[
                "max-size=1m".into(),
                "bare".into(),
                "max-size=2m".into(),
                "k=a=b".into(),
            ],
        )
        .expect("ok");
        assert_eq!(c.typ.as_deref(), Some("json-file"));
        let m = c.config.expect("map");
        assert_eq!(m["max-size"], "2m");
        assert_eq!(m["bare"], "");
        assert_eq!(m["k"], "a=b");
        let empty = parse_logging(None, &[]).expect("ok");
        assert_eq!(empty.typ.as_deref(), Some(""));
        assert!(parse_logging(Some("none".into()), &["a=b".into()]).is_err());
        assert!(parse_logging(Some("none".into()), &[]).is_ok());
    }
}
