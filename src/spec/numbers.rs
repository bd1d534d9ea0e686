//! Go's number syntax, as the docker CLI reads numeric flag values, and nothing else.
//!
//! pflag's integer flags call `strconv.ParseInt(s, 0, bits)` / `ParseUint(s, 0, bits)`: an
//! optional sign, a base prefix (`0x`, `0o`, `0b`, or a bare leading `0` for octal) and `_`
//! between digits, so `--cpu-shares 0x400` is 1024 for docker and must be for dockrun too. A few
//! grammars use base 10 only (`--ulimit`, `--device-*-iops`). `--cpus` goes through
//! `big.Rat.SetString` and must be an exact number of nano-CPUs ([`parse_nano_cpus`]). This file
//! knows no flag names: callers wrap the reasons it returns into a `SpecError`.

/// Which integer syntax Go is asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Base {
    /// `base 0`: prefixes and `_` separators allowed.
    Prefixed,
    /// `base 10`: decimal digits only.
    Decimal,
}

/// Go's `underscoreOK`: `_` only between digits (a base prefix counts as a digit).
pub fn underscores_ok(s: &str) -> bool {
    let s = s.strip_prefix(['+', '-']).unwrap_or(s);
    let bytes = s.as_bytes();
    let mut saw = b'^';
    let mut i = 0;
    let mut hex = false;
    if bytes.len() >= 2
        && bytes[0] == b'0'
        && matches!(bytes[1].to_ascii_lowercase(), b'b' | b'o' | b'x')
    {
        i = 2;
        saw = b'0';
        hex = bytes[1].eq_ignore_ascii_case(&b'x');
    }
    for &c in &bytes[i..] {
        if c.is_ascii_digit() || (hex && c.is_ascii_hexdigit()) {
            saw = b'0';
        } else if c == b'_' {
            if saw != b'0' {
                return false;
            }
            saw = b'_';
        } else {
            if saw == b'_' {
                return false;
            }
            saw = b'!';
        }
    }
    saw != b'_'
}

/// Unsigned digits in `base` (prefix already removed), `_` skipped when allowed.
/// `Err(true)` is a syntax error, `Err(false)` an overflow of `max`.
fn digits(s: &str, base: u32, allow_underscore: bool, max: u128) -> Result<u128, bool> {
    if s.is_empty() {
        return Err(true);
    }
    let mut n: u128 = 0;
    for c in s.chars() {
        if c == '_' && allow_underscore {
            continue;
        }
        let d = c.to_digit(base).ok_or(true)?;
        n = n
            .checked_mul(u128::from(base))
            .and_then(|n| n.checked_add(u128::from(d)))
            .filter(|n| *n <= max)
            .ok_or(false)?;
    }
    Ok(n)
}

/// Split a base prefix off (Go's base-0 rules); returns the radix and the digits.
fn split_prefix(s: &str) -> (u32, &str) {
    let b = s.as_bytes();
    if b.first() == Some(&b'0') {
        if b.len() >= 3 {
            match b[1].to_ascii_lowercase() {
                b'b' => return (2, &s[2..]),
                b'o' => return (8, &s[2..]),
                b'x' => return (16, &s[2..]),
                _ => {}
            }
        }
        if b.len() > 1 {
            return (8, &s[1..]);
        }
    }
    (10, s)
}

/// The magnitude of an unsigned Go integer literal, at most `max`.
fn parse_magnitude(s: &str, base: Base, max: u128) -> Result<u128, String> {
    let syntax = || "invalid syntax".to_owned();
    let (radix, body, underscores) = match base {
        Base::Decimal => (10, s, false),
        Base::Prefixed => {
            let (radix, body) = split_prefix(s);
            (radix, body, true)
        }
    };
    if underscores && s.contains('_') && !underscores_ok(s) {
        return Err(syntax());
    }
    digits(body, radix, underscores, max).map_err(|syntax_error| {
        if syntax_error {
            syntax()
        } else {
            "value out of range".to_owned()
        }
    })
}

/// `strconv.ParseInt(s, base, bits)`.
///
/// # Errors
/// `invalid syntax` or `value out of range`, as Go words them.
pub fn parse_int(s: &str, base: Base, bits: u32) -> Result<i64, String> {
    let (negative, magnitude) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let cutoff = 1u128 << (bits - 1);
    let limit = if negative { cutoff } else { cutoff - 1 };
    let n = parse_magnitude(magnitude, base, limit)?;
    let n = i128::try_from(n).map_err(|_| "value out of range".to_owned())?;
    let n = if negative { -n } else { n };
    i64::try_from(n).map_err(|_| "value out of range".to_owned())
}

/// `strconv.ParseUint(s, base, bits)`.
///
/// # Errors
/// `invalid syntax` (signs included) or `value out of range`.
pub fn parse_uint(s: &str, base: Base, bits: u32) -> Result<u64, String> {
    let max = if bits >= 64 {
        u128::from(u64::MAX)
    } else {
        (1u128 << bits) - 1
    };
    let n = parse_magnitude(s, base, max)?;
    u64::try_from(n).map_err(|_| "value out of range".to_owned())
}

/// The docker CLI's `ParseCPUs`: `value × 10⁹` must be an integer (`big.Rat.SetString` syntax:
/// `1.5`, `1/2`, `15e-1`, `0x1p-1`, signs allowed).
///
/// # Errors
/// Unparsable text, `value is too precise`, or a value beyond what an int64 holds.
pub fn parse_nano_cpus(s: &str) -> Result<i64, String> {
    let unparsable = || format!("failed to parse {s} as a rational number");
    let rational = parse_rational(s).ok_or_else(unparsable)?;
    rational.nanos()
}

/// A parsed rational: `sign × mantissa × 2^exp2 × 5^exp5`, or `numerator / denominator`.
enum Rational {
    Scaled {
        negative: bool,
        mantissa: u128,
        exp2: i64,
        exp5: i64,
    },
    Fraction {
        negative: bool,
        numerator: u128,
        denominator: u128,
    },
}

impl Rational {
    /// `self × 10⁹` as an int64, when it is an integer. Like Go's `big.Int.Int64`, a value beyond
    /// int64 keeps only its low 64 bits (the daemon then refuses the odd number it gets, as it
    /// does docker's).
    fn nanos(self) -> Result<i64, String> {
        let (negative, magnitude) = match self {
            Rational::Scaled {
                negative,
                mantissa,
                exp2,
                exp5,
            } => (negative, scale(mantissa, exp2 + 9, exp5 + 9)?),
            Rational::Fraction {
                negative,
                numerator,
                denominator,
            } => {
                let g = gcd(numerator, denominator);
                let (n, d) = (numerator / g, denominator / g);
                if 1_000_000_000 % d != 0 {
                    return Err("value is too precise".into());
                }
                (negative, n.wrapping_mul(1_000_000_000 / d))
            }
        };
        #[expect(clippy::cast_possible_truncation, clippy::cast_possible_wrap)]
        let low = magnitude as u64 as i64;
        Ok(if negative { low.wrapping_neg() } else { low })
    }
}

fn gcd(mut a: u128, mut b: u128) -> u128 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a.max(1)
}

/// `m × 2^e2 × 5^e5` modulo 2^128 (exact when it fits), or an error when not an integer.
fn scale(mut m: u128, mut e2: i64, mut e5: i64) -> Result<u128, String> {
    if m == 0 {
        return Ok(0);
    }
    for (exp, prime) in [(&mut e2, 2u128), (&mut e5, 5u128)] {
        while *exp < 0 {
            if m % prime != 0 {
                return Err("value is too precise".into());
            }
            m /= prime;
            *exp += 1;
        }
        // Exponents are bounded by the parser (at most ten million), so they fit a u32.
        let power = u32::try_from(*exp).unwrap_or(u32::MAX);
        m = m.wrapping_mul(prime.wrapping_pow(power));
    }
    Ok(m)
}

/// `big.Rat.SetString` grammar; `None` when Go would fail to parse.
fn parse_rational(s: &str) -> Option<Rational> {
    if s.is_empty() {
        return None;
    }
    if let Some((a, b)) = s.split_once('/') {
        // Dividend: a signed base-0 integer; divisor: unsigned base-0, non-zero.
        let (negative, a) = match a.as_bytes().first() {
            Some(b'-') => (true, &a[1..]),
            Some(b'+') => (false, &a[1..]),
            _ => (false, a),
        };
        let numerator = parse_magnitude(a, Base::Prefixed, u128::MAX).ok()?;
        let denominator = parse_magnitude(b, Base::Prefixed, u128::MAX).ok()?;
        if denominator == 0 {
            return None;
        }
        return Some(Rational::Fraction {
            negative,
            numerator,
            denominator,
        });
    }
    let (negative, rest) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    // Mantissa: a `0b`/`0o`/`0x` prefix selects the base; a bare leading 0 stays decimal.
    let lower = rest.to_ascii_lowercase();
    let (radix, bits_per_digit, body) = if lower.starts_with("0x") {
        (16u32, 4i64, &rest[2..])
    } else if lower.starts_with("0o") {
        (8, 3, &rest[2..])
    } else if lower.starts_with("0b") {
        (2, 1, &rest[2..])
    } else {
        (10, 0, rest)
    };
    let mut mantissa: u128 = 0;
    let mut digits_seen = 0usize;
    let mut fraction_digits: i64 = 0;
    let mut in_fraction = false;
    let mut chars = body.char_indices().peekable();
    let mut exponent_at = body.len();
    let mut prev_digit = radix != 10; // a prefix counts as a digit for `_`
    while let Some(&(i, c)) = chars.peek() {
        if c == '.' && !in_fraction {
            if body[..i].ends_with('_') {
                return None;
            }
            in_fraction = true;
            prev_digit = false;
        } else if c == '_' {
            if !prev_digit {
                return None;
            }
            prev_digit = false;
        } else if let Some(d) = c.to_digit(radix) {
            mantissa = mantissa
                .checked_mul(u128::from(radix))?
                .checked_add(u128::from(d))?;
            digits_seen += 1;
            if in_fraction {
                fraction_digits += 1;
            }
            prev_digit = true;
        } else {
            exponent_at = i;
            break;
        }
        chars.next();
    }
    if digits_seen == 0 || body[..exponent_at].ends_with('_') {
        return None;
    }
    let (mut exp2, mut exp5) = if radix == 10 {
        (-fraction_digits, -fraction_digits)
    } else {
        (-fraction_digits * bits_per_digit, 0)
    };
    let exponent = &body[exponent_at..];
    if !exponent.is_empty() {
        let marker = exponent.as_bytes()[0].to_ascii_lowercase();
        // Hexadecimal mantissas take only a binary exponent (`e` is a hex digit there).
        let decimal = match marker {
            b'e' if radix != 16 => true,
            b'p' => false,
            _ => return None,
        };
        let value = &exponent[1..];
        let (sign, digits_part) = match value.as_bytes().first() {
            Some(b'-') => (-1i64, &value[1..]),
            Some(b'+') => (1, &value[1..]),
            _ => (1, value),
        };
        if digits_part.is_empty()
            || digits_part.starts_with('_')
            || digits_part.ends_with('_')
            || digits_part.contains("__")
            || !digits_part.bytes().all(|b| b.is_ascii_digit() || b == b'_')
        {
            return None;
        }
        // An exponent that overflows int64 fails in Go too.
        let e: i64 = digits_part
            .bytes()
            .filter(u8::is_ascii_digit)
            .try_fold(0i64, |acc, b| {
                acc.checked_mul(10)?.checked_add(i64::from(b - b'0'))
            })?;
        exp2 = exp2.saturating_add(sign * e);
        if decimal {
            exp5 = exp5.saturating_add(sign * e);
        }
    }
    // Go's limits on a non-zero value (`ratconv.go`): |exp5| ≤ 10⁶ and |exp2| ≤ 10⁷.
    if mantissa != 0 && (exp5.unsigned_abs() > 1_000_000 || exp2.unsigned_abs() > 10_000_000) {
        return None;
    }
    Some(Rational::Scaled {
        negative,
        mantissa,
        exp2,
        exp5,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_integers_base_zero() {
        for (text, want) in [
            ("0", 0),
            ("1024", 1024),
            ("+7", 7),
            ("-1", -1),
            ("0x400", 1024),
            ("0X1f", 31),
            ("0o17", 15),
            ("017", 15),
            ("0b101", 5),
            ("1_000", 1000),
            ("0x_10", 16),
            ("-9223372036854775808", i64::MIN),
            ("9223372036854775807", i64::MAX),
        ] {
            assert_eq!(parse_int(text, Base::Prefixed, 64), Ok(want), "{text}");
        }
        for bad in [
            "", "-", "+", "1k", "08", "0x", "1__0", "_1", "1_", "--1", " 1", "1 ", "1.0", "0b2",
        ] {
            assert_eq!(
                parse_int(bad, Base::Prefixed, 64),
                Err("invalid syntax".into()),
                "{bad}"
            );
        }
        for big in [
            "9223372036854775808",
            "-9223372036854775809",
            "0xffffffffffffffffff",
        ] {
            assert_eq!(
                parse_int(big, Base::Prefixed, 64),
                Err("value out of range".into()),
                "{big}"
            );
        }
    }

    #[test]
    fn go_integers_base_ten() {
        assert_eq!(parse_int("-1", Base::Decimal, 64), Ok(-1));
        assert_eq!(parse_int("010", Base::Decimal, 64), Ok(10));
        assert!(parse_int("0x10", Base::Decimal, 64).is_err());
        assert!(parse_int("1_0", Base::Decimal, 64).is_err());
        assert_eq!(parse_uint("1000", Base::Decimal, 64), Ok(1000));
        assert!(parse_uint("-1", Base::Decimal, 64).is_err());
        assert!(parse_uint("+1", Base::Decimal, 64).is_err());
    }

    #[test]
    fn unsigned_widths() {
        assert_eq!(parse_uint("65535", Base::Prefixed, 16), Ok(65535));
        assert_eq!(
            parse_uint("65536", Base::Prefixed, 16),
            Err("value out of range".into())
        );
        assert_eq!(parse_uint("0x3e8", Base::Prefixed, 16), Ok(1000));
        assert_eq!(
            parse_uint("18446744073709551615", Base::Prefixed, 64),
            Ok(u64::MAX)
        );
    }

    #[test]
    fn cpus_exact_rationals() {
        for (text, want) in [
            ("1", 1_000_000_000),
            ("1.5", 1_500_000_000),
            ("0.5", 500_000_000),
            (".5", 500_000_000),
            ("2.", 2_000_000_000),
            ("1/2", 500_000_000),
            ("3/4", 750_000_000),
            ("4/2", 2_000_000_000),
            ("15e-1", 1_500_000_000),
            ("1E2", 100_000_000_000),
            ("0.000000001", 1),
            ("0x1p-1", 500_000_000),
            ("0b11", 3_000_000_000),
            ("-1", -1_000_000_000),
            ("+0.25", 250_000_000),
            ("0", 0),
            ("0.000", 0),
            ("0e99999", 0),
            ("1_000", 1_000_000_000_000),
            ("0x10/0b10", 8_000_000_000),
            ("-3/2", -1_500_000_000),
            ("0x1e2", 482_000_000_000),
        ] {
            assert_eq!(parse_nano_cpus(text), Ok(want), "{text}");
        }
        for precise in ["1/3", "0.0000000001", "1e-10", "0x1p-30", "2/7"] {
            assert_eq!(
                parse_nano_cpus(precise),
                Err("value is too precise".into()),
                "{precise}"
            );
        }
        for bad in [
            "", "abc", "1.2.3", "1/0", "1/-2", "1/", "/2", "1e", "1ee2", "0x1p", "1_", "_1",
            "1__0", "1 ", " 1", ".", "e5", "1e2_", "0x", "1.5/2", "1_.5", "1._5",
        ] {
            let err = parse_nano_cpus(bad).expect_err(bad);
            assert!(err.starts_with("failed to parse"), "{bad}: {err}");
        }
        // Beyond int64, Go's big.Int.Int64 keeps the low 64 bits; so does dockrun.
        #[expect(clippy::cast_possible_truncation)]
        let wrapped = 10_000_000_000_000_000_000u128 as i64;
        assert_eq!(parse_nano_cpus("1e10"), Ok(wrapped));
        assert_eq!(parse_nano_cpus("18446744073.709551617"), Ok(1));
        assert_eq!(parse_nano_cpus("-18446744073.709551617"), Ok(-1));
        // Go's exponent limits: 10^6 for powers of ten (so 2^1000009 × 5^1000009 wraps to 0).
        assert_eq!(parse_nano_cpus("1e1000000"), Ok(0));
        assert_eq!(parse_nano_cpus("0e99999999999"), Ok(0));
        assert!(parse_nano_cpus("1e1000001").is_err());
        assert!(parse_nano_cpus("1p10000001").is_err());
        assert!(parse_nano_cpus("9999999999999999999999999999999999999999999").is_err());
    }
}
