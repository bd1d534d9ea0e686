//! `--health-*` and `--no-healthcheck`: the container's healthcheck, with Go's duration grammar.
//!
//! As the docker CLI does, a `Healthcheck` is sent only when some health flag is non-zero (a
//! `--health-cmd ''` alone sends none); without `--health-cmd` its `Test` is null so the daemon
//! keeps the image's test; `--no-healthcheck` sends `Test: ["NONE"]` and conflicts with any
//! non-zero `--health-*` value.

use super::body::HealthConfig;
use super::SpecError;

/// The raw health flags, as typed.
#[derive(Debug, Default)]
pub struct HealthFlags {
    /// `--health-cmd`.
    pub cmd: Option<String>,
    /// `--health-interval`.
    pub interval: Option<String>,
    /// `--health-timeout`.
    pub timeout: Option<String>,
    /// `--health-start-period`.
    pub start_period: Option<String>,
    /// `--health-start-interval`.
    pub start_interval: Option<String>,
    /// `--health-retries`.
    pub retries: Option<String>,
    /// `--no-healthcheck`.
    pub none: bool,
}

/// Go's `time.ParseDuration`: `[-+]?(\d*(\.\d*)?unit)+` or `0`, in nanoseconds.
///
/// # Errors
/// A missing or unknown unit, no digits, or more than `i64` nanoseconds.
pub fn parse_go_duration(text: &str) -> Result<i64, String> {
    const LIMIT: u64 = 1 << 63;
    let invalid = || format!("invalid duration `{text}`");
    let (neg, mut rest) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    if rest == "0" {
        return Ok(0);
    }
    if rest.is_empty() {
        return Err(invalid());
    }
    let mut total: u64 = 0;
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        let mut whole: u64 = 0;
        for b in rest[..digits].bytes() {
            whole = whole
                .checked_mul(10)
                .and_then(|w| w.checked_add(u64::from(b - b'0')))
                .filter(|w| *w <= LIMIT)
                .ok_or_else(invalid)?;
        }
        rest = &rest[digits..];
        let (mut fraction, mut scale, mut post) = (0u64, 1f64, false);
        if let Some(after) = rest.strip_prefix('.') {
            let frac_digits = after.bytes().take_while(u8::is_ascii_digit).count();
            let mut overflow = false;
            for b in after[..frac_digits].bytes() {
                if overflow || fraction > (LIMIT - 1) / 10 {
                    overflow = true;
                    continue;
                }
                fraction = fraction * 10 + u64::from(b - b'0');
                scale *= 10.0;
            }
            post = frac_digits > 0;
            rest = &after[frac_digits..];
        }
        if digits == 0 && !post {
            return Err(invalid());
        }
        let unit_len = rest
            .find(|c: char| c == '.' || c.is_ascii_digit())
            .unwrap_or(rest.len());
        if unit_len == 0 {
            return Err(format!("missing unit in duration `{text}`"));
        }
        let unit: u64 = match &rest[..unit_len] {
            "ns" => 1,
            "us" | "\u{b5}s" | "\u{3bc}s" => 1_000,
            "ms" => 1_000_000,
            "s" => 1_000_000_000,
            "m" => 60_000_000_000,
            "h" => 3_600_000_000_000,
            other => return Err(format!("unknown unit `{other}` in duration `{text}`")),
        };
        rest = &rest[unit_len..];
        if whole > LIMIT / unit {
            return Err(invalid());
        }
        let mut value = whole * unit;
        if fraction > 0 {
            // Go adds the fraction through float64 too, so rounding matches.
            #[expect(
                clippy::cast_precision_loss,
                clippy::cast_possible_truncation,
                clippy::cast_sign_loss
            )]
            let extra = (fraction as f64 * (unit as f64 / scale)) as u64;
            value = value
                .checked_add(extra)
                .filter(|v| *v <= LIMIT)
                .ok_or_else(invalid)?;
        }
        total = total
            .checked_add(value)
            .filter(|t| *t <= LIMIT)
            .ok_or_else(invalid)?;
    }
    if neg {
        // -(1<<63) is representable.
        #[expect(clippy::cast_possible_wrap)]
        return Ok((total as i64).wrapping_neg());
    }
    i64::try_from(total).map_err(|_| invalid())
}

/// One duration flag: absent → 0; negative → the CLI's "cannot be negative".
fn duration(flag: &'static str, value: Option<&String>) -> Result<i64, SpecError> {
    let Some(value) = value else { return Ok(0) };
    let nanos = parse_go_duration(value).map_err(|e| SpecError::invalid(flag, value, e))?;
    if nanos < 0 {
        return Err(SpecError::invalid(flag, value, "cannot be negative"));
    }
    Ok(nanos)
}

/// Build `Config.Healthcheck` from the health flags, as the docker CLI does.
///
/// # Errors
/// A bad duration or count, a negative value, or `--no-healthcheck` with a health setting.
pub fn parse_health(flags: &HealthFlags) -> Result<Option<HealthConfig>, SpecError> {
    let interval = duration("--health-interval", flags.interval.as_ref())?;
    let timeout = duration("--health-timeout", flags.timeout.as_ref())?;
    let start_period = duration("--health-start-period", flags.start_period.as_ref())?;
    let start_interval = duration("--health-start-interval", flags.start_interval.as_ref())?;
    let retries = match &flags.retries {
        None => 0,
        // pflag's int: `strconv.ParseInt(s, 0, 64)`, so `0x10` and `1_000` count too.
        Some(r) => super::numbers::parse_int(r, super::numbers::Base::Prefixed, 64)
            .map_err(|e| SpecError::invalid("--health-retries", r, e))?,
    };
    if retries < 0 {
        return Err(SpecError::invalid(
            "--health-retries",
            retries.to_string(),
            "cannot be negative",
        ));
    }
    let cmd = flags.cmd.clone().filter(|c| !c.is_empty());
    let any = cmd.is_some()
        || interval != 0
        || timeout != 0
        || start_period != 0
        || start_interval != 0
        || retries != 0;
    if flags.none {
        if any {
            return Err(SpecError::Conflict(
                "`--no-healthcheck` conflicts with `--health-*` options".into(),
            ));
        }
        return Ok(Some(HealthConfig {
            test: Some(vec!["NONE".into()]),
            ..HealthConfig::default()
        }));
    }
    if !any {
        return Ok(None);
    }
    let nonzero = |v: i64| (v != 0).then_some(v);
    Ok(Some(HealthConfig {
        test: cmd.map(|c| vec!["CMD-SHELL".into(), c]),
        interval: nonzero(interval),
        timeout: nonzero(timeout),
        retries: nonzero(retries),
        start_period: nonzero(start_period),
        start_interval: nonzero(start_interval),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_durations() {
        let ok = |s: &str| parse_go_duration(s).expect(s);
        assert_eq!(ok("0"), 0);
        assert_eq!(ok("-0"), 0);
        assert_eq!(ok("500ms"), 500_000_000);
        assert_eq!(ok("1m30s"), 90_000_000_000);
        assert_eq!(ok("1.5h"), 5_400_000_000_000);
        assert_eq!(ok(".5s"), 500_000_000);
        assert_eq!(ok("1.s"), 1_000_000_000);
        assert_eq!(ok("3\u{b5}s"), 3_000);
        assert_eq!(ok("2us1ns"), 2_001);
        assert_eq!(ok("-1s"), -1_000_000_000);
        assert_eq!(ok("+2h"), 7_200_000_000_000);
        assert_eq!(ok("2562047h47m16.854775807s"), i64::MAX);
        for bad in [
            "",
            "1",
            "s",
            ".s",
            "1x",
            "1.2.3s",
            "-",
            "9223372036854775808ns",
            "3000000h",
        ] {
            assert!(parse_go_duration(bad).is_err(), "{bad}");
        }
        assert!(parse_go_duration("30")
            .expect_err("no unit")
            .contains("missing unit"));
    }

    fn flags(f: impl FnOnce(&mut HealthFlags)) -> HealthFlags {
        let mut h = HealthFlags::default();
        f(&mut h);
        h
    }

    #[test]
    fn healthcheck_built_as_docker_does() {
        assert_eq!(parse_health(&HealthFlags::default()).expect("ok"), None);
        assert_eq!(
            parse_health(&flags(|h| h.cmd = Some(String::new()))).expect("ok"),
            None
        );
        let h = parse_health(&flags(|h| {
            h.cmd = Some("true".into());
            h.interval = Some("2s".into());
            h.retries = Some("3".into());
        }))
        .expect("ok")
        .expect("some");
        assert_eq!(h.test, Some(vec!["CMD-SHELL".into(), "true".into()]));
        assert_eq!(
            (h.interval, h.retries, h.timeout),
            (Some(2_000_000_000), Some(3), None)
        );
        let h = parse_health(&flags(|h| h.timeout = Some("1s".into())))
            .expect("ok")
            .expect("some");
        assert_eq!(h.test, None);
        let h = parse_health(&flags(|h| h.none = true))
            .expect("ok")
            .expect("some");
        assert_eq!(h.test, Some(vec!["NONE".into()]));
    }

    #[test]
    fn health_refusals() {
        assert!(matches!(
            parse_health(&flags(|h| {
                h.none = true;
                h.cmd = Some("true".into());
            })),
            Err(SpecError::Conflict(_))
        ));
        // Zero values do not conflict with --no-healthcheck.
        assert!(parse_health(&flags(|h| {
            h.none = true;
            h.interval = Some("0s".into());
        }))
        .is_ok());
        assert!(parse_health(&flags(|h| h.interval = Some("-1s".into()))).is_err());
        assert!(parse_health(&flags(|h| h.timeout = Some("5".into()))).is_err());
        assert!(parse_health(&flags(|h| h.retries = Some("-1".into()))).is_err());
        assert!(parse_health(&flags(|h| h.retries = Some("x".into()))).is_err());
        let h = parse_health(&flags(|h| h.retries = Some("0x10".into())))
            .expect("ok")
            .expect("some");
        assert_eq!(h.retries, Some(16));
    }
}
