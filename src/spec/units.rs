//! Byte sizes as docker reads them (`go-units` `RAMInBytes`), and nothing else.
//!
//! Used by every "bytes" flag (`-m`, `--memory-reservation`, `--memory-swap`, `--shm-size`,
//! `--kernel-memory`, `--io-maxbandwidth`) and by the `--device-{read,write}-bps` rates. The
//! grammar, reproduced from go-units v0.5 `parseSize`: the number is everything up to the last
//! digit, `.` or space (a space there is dropped), read by Go's `strconv.ParseFloat` (so `1.5`,
//! `1e3` and `0x1p10` are numbers); the rest is an optional unit `b`, or one of `k m g t p` (all
//! powers of 1024, any case) optionally followed by `b` or `ib`. Negative sizes are refused; the
//! product is truncated toward zero (`1.5g` = 1610612736). A size beyond int64 becomes
//! `i64::MIN`, which is what Go's float-to-int64 conversion yields on amd64 (where the docker CLI
//! runs): the daemon or the caller's own check then refuses it exactly as it refuses docker's.

use super::numbers::underscores_ok;

/// `units.RAMInBytes(size)`.
///
/// # Errors
/// `invalid size: '…'`, `invalid suffix: '…'` (go-units' words), or out of range.
pub fn ram_in_bytes(size: &str) -> Result<i64, String> {
    let invalid_size = || format!("invalid size: '{size}'");
    let sep = size
        .bytes()
        .rposition(|b| b.is_ascii_digit() || b == b'.' || b == b' ')
        .ok_or_else(invalid_size)?;
    // Every byte searched for is ASCII, so `sep` and `sep + 1` are char boundaries.
    let (number, suffix) = if size.as_bytes()[sep] == b' ' {
        (&size[..sep], &size[sep + 1..])
    } else {
        (&size[..=sep], &size[sep + 1..])
    };
    let value = go_parse_float(number).ok_or_else(invalid_size)?;
    if value < 0.0 {
        return Err(invalid_size());
    }
    let bad_suffix = |sfx: &str| format!("invalid suffix: '{sfx}'");
    let multiplier: f64 = if suffix.is_empty() {
        1.0
    } else {
        // Length is checked on the bytes as given, the rest on the lower-cased text (Go's
        // `strings.ToLower`, which also maps the Kelvin sign to `k`).
        if suffix.len() > 3 {
            return Err(bad_suffix(suffix));
        }
        let lower = suffix.to_lowercase();
        let bytes = lower.as_bytes();
        if bytes[0] == b'b' {
            if bytes.len() > 1 {
                return Err(bad_suffix(&lower));
            }
            1.0
        } else {
            let power = match bytes[0] {
                b'k' => 1,
                b'm' => 2,
                b'g' => 3,
                b't' => 4,
                b'p' => 5,
                _ => return Err(bad_suffix(&lower)),
            };
            let tail_ok = match bytes.len() {
                2 => bytes[1] == b'b',
                3 => &bytes[1..] == b"ib",
                _ => true,
            };
            if !tail_ok {
                return Err(bad_suffix(&lower));
            }
            1024f64.powi(power)
        }
    };
    let bytes = (value * multiplier).trunc();
    // 2^63 is exactly representable; at or above it, amd64's conversion gives the "integer
    // indefinite" value, i64::MIN (Rust's `as` would saturate to i64::MAX instead).
    if bytes >= 9_223_372_036_854_775_808.0 {
        return Ok(i64::MIN);
    }
    #[expect(clippy::cast_possible_truncation)]
    Ok(bytes as i64)
}

/// Go's `strconv.ParseFloat(s, 64)`, finite results only (Go reports ±Inf as a range error).
fn go_parse_float(s: &str) -> Option<f64> {
    let unsigned = s.strip_prefix(['+', '-']).unwrap_or(s);
    let negative = s.starts_with('-');
    let lower = unsigned.to_ascii_lowercase();
    let value = if let Some(hex) = lower.strip_prefix("0x") {
        parse_hex_float(hex)?
    } else {
        // Rust's grammar equals Go's for decimal text, except that Rust also accepts
        // `inf`/`nan` (impossible here: the number part ends in a digit, `.` or space) and Go
        // accepts `_` between digits (Go literal syntax), which Rust does not.
        if unsigned.contains('_') && !underscores_ok(unsigned) {
            return None;
        }
        unsigned
            .replace('_', "")
            .parse::<f64>()
            .ok()
            .filter(|v| v.is_finite())?
    };
    Some(if negative { -value } else { value })
}

/// A hexadecimal float after `0x`: hex digits with an optional `.`, then a mandatory `p` exponent.
fn parse_hex_float(s: &str) -> Option<f64> {
    if s.contains('_') && !underscores_ok(&format!("0x{s}")) {
        return None;
    }
    let s = s.replace('_', "");
    let (mantissa, exponent) = s.split_once('p')?;
    let mut m: u128 = 0;
    let mut fraction_digits: i32 = 0;
    let mut seen_point = false;
    let mut digits = 0;
    for c in mantissa.chars() {
        match c {
            '.' if !seen_point => {
                seen_point = true;
            }
            _ => {
                let d = c.to_digit(16)?;
                m = m.checked_mul(16)?.checked_add(u128::from(d))?;
                digits += 1;
                if seen_point {
                    fraction_digits += 1;
                }
            }
        }
    }
    if digits == 0 {
        return None;
    }
    let (sign, e) = match exponent.as_bytes().first() {
        Some(b'-') => (-1, &exponent[1..]),
        Some(b'+') => (1, &exponent[1..]),
        _ => (1, exponent),
    };
    if e.is_empty() || !e.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let e: i32 = e.parse().ok().filter(|e: &i32| *e < 100_000)?;
    #[expect(clippy::cast_precision_loss)]
    let value = (m as f64) * 2f64.powi(sign * e - 4 * fraction_digits);
    value.is_finite().then_some(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_docker_accepts() {
        for (text, want) in [
            ("0", 0),
            ("1", 1),
            ("32", 32),
            ("32b", 32),
            ("32B", 32),
            ("1k", 1024),
            ("1K", 1024),
            ("1kb", 1024),
            ("1KiB", 1024),
            ("1kib", 1024),
            ("64m", 67_108_864),
            ("64MB", 67_108_864),
            ("1g", 1_073_741_824),
            ("1.5g", 1_610_612_736),
            ("0.5k", 512),
            (".5k", 512),
            ("2.k", 2048),
            ("1t", 1 << 40),
            ("1p", 1 << 50),
            ("1 k", 1024),
            ("1 ", 1),
            ("32.3", 32),
            ("0.3m", 314_572),
            ("1e3", 1000),
            ("1E3k", 1_024_000),
            ("+5", 5),
            ("0x1p10", 1024),
            ("0x10p0", 16),
            ("1\u{212A}", 1024), // KELVIN SIGN lower-cases to `k`, as in Go
            ("1_000", 1000),
            ("1_0.5_0k", 10752),
            ("0x1_0p0", 16),
            ("1e30", i64::MIN), // Go's float→int64 on amd64
        ] {
            assert_eq!(ram_in_bytes(text), Ok(want), "{text}");
        }
    }

    #[test]
    fn sizes_docker_refuses() {
        for (text, want) in [
            ("", "invalid size: ''"),
            ("k", "invalid size: 'k'"),
            ("-1", "invalid size: '-1'"),
            ("-1k", "invalid size: '-1k'"),
            ("1x", "invalid suffix: 'x'"),
            ("1ki", "invalid suffix: 'ki'"),
            ("1kbb", "invalid suffix: 'kbb'"),
            ("1bb", "invalid suffix: 'bb'"),
            ("1mx", "invalid suffix: 'mx'"),
            ("1kibb", "invalid suffix: 'kibb'"),
            ("1.2.3m", "invalid size: '1.2.3m'"),
            (" 1", "invalid size: ' 1'"),
            ("1  k", "invalid size: '1  k'"),
            ("1__000", "invalid size: '1__000'"),
            ("1_.5", "invalid size: '1_.5'"),
            ("0x10", "invalid size: '0x10'"),
            ("1e999", "invalid size: '1e999'"),
            (".", "invalid size: '.'"),
            ("inf", "invalid size: 'inf'"),
        ] {
            assert_eq!(ram_in_bytes(text), Err(want.to_owned()), "{text}");
        }
        assert!(ram_in_bytes("8e18").is_ok_and(|n| n > 0));
        assert_eq!(ram_in_bytes("1e19"), Ok(i64::MIN));
        assert_eq!(ram_in_bytes("8e15p"), Ok(i64::MIN));
        assert!(ram_in_bytes("1é").is_err());
    }
}
