//! Words of a unit-file value, as systemd (and so podman's Quadlet) splits them: whitespace
//! separates words, `'…'` and `"…"` quote (the quotes are removed and may stand mid-word), and,
//! for exec-like keys, C escapes (`\n`, `\x41`, `\u00e9`, `\s`, octal) are decoded. Pure text
//! in, words out; it must not know any key.

/// How a value is split.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Exec-like (`Exec=`, `PodmanArgs=`, `EnvironmentFile=`, `Environment=`…): C escapes are
    /// decoded; an unbalanced quote ends the word at the end of the value and a trailing
    /// backslash is dropped (systemd's "relaxed" splitting).
    Args,
    /// List-like (`AddCapability=`, `Sysctl=`, `WantedBy=`…): a backslash is an ordinary
    /// character; an unbalanced quote is an error.
    Strv,
}

/// Why a value cannot be split.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SplitError {
    /// A quote is never closed (in [`Mode::Strv`]).
    #[error("unbalanced quotes")]
    UnbalancedQuotes,
    /// A backslash escape systemd does not know (in [`Mode::Args`]).
    #[error("unsupported escape `\\{0}`")]
    Escape(String),
}

/// Split `value` into words.
///
/// # Errors
/// [`SplitError`] for an unknown escape or (in [`Mode::Strv`]) an unbalanced quote.
pub fn split(value: &str, mode: Mode) -> Result<Vec<String>, SplitError> {
    let chars: Vec<char> = value.chars().collect();
    let mut words = Vec::new();
    let mut i = 0;
    loop {
        while i < chars.len() && is_separator(chars[i]) {
            i += 1;
        }
        if i >= chars.len() {
            return Ok(words);
        }
        let mut word = String::new();
        let mut quote: Option<char> = None;
        while i < chars.len() {
            let c = chars[i];
            match (quote, c) {
                (_, '\\') if mode == Mode::Args => {
                    let Some(&next) = chars.get(i + 1) else {
                        // A trailing backslash is dropped (relaxed).
                        i += 1;
                        break;
                    };
                    let (decoded, used) = unescape(&chars[i + 1..])
                        .ok_or_else(|| SplitError::Escape(next.to_string()))?;
                    word.push(decoded);
                    i += 1 + used;
                    continue;
                }
                (None, '\'' | '"') => quote = Some(c),
                (Some(q), c) if c == q => quote = None,
                (None, c) if is_separator(c) => break,
                (_, c) => word.push(c),
            }
            i += 1;
        }
        if quote.is_some() && mode == Mode::Strv {
            return Err(SplitError::UnbalancedQuotes);
        }
        words.push(word);
    }
}

/// systemd's separators for these values.
fn is_separator(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\r')
}

/// Decode the escape after a backslash: the character and how many input characters it used.
fn unescape(rest: &[char]) -> Option<(char, usize)> {
    let hex = |n: usize| -> Option<u32> {
        let digits = rest.get(1..=n)?;
        digits
            .iter()
            .try_fold(0u32, |acc, d| Some(acc * 16 + d.to_digit(16)?))
    };
    let simple = match rest.first()? {
        'a' => '\u{7}',
        'b' => '\u{8}',
        'f' => '\u{c}',
        'n' => '\n',
        'r' => '\r',
        't' => '\t',
        'v' => '\u{b}',
        's' => ' ',
        '\\' => '\\',
        '"' => '"',
        '\'' => '\'',
        'x' => {
            let code = hex(2).filter(|&c| c != 0)?;
            return Some((char::from_u32(code)?, 3));
        }
        'u' => {
            let code = hex(4).filter(|&c| c != 0)?;
            return Some((char::from_u32(code)?, 5));
        }
        'U' => {
            let code = hex(8).filter(|&c| c != 0)?;
            return Some((char::from_u32(code)?, 9));
        }
        '0'..='7' => {
            let digits = rest.get(..3)?;
            let code = digits
                .iter()
                .try_fold(0u32, |acc, d| Some(acc * 8 + d.to_digit(8)?))
                .filter(|&c| c != 0 && c <= 255)?;
            return Some((char::from_u32(code)?, 3));
        }
        _ => return None,
    };
    Some((simple, 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(value: &str) -> Vec<String> {
        split(value, Mode::Args).expect("splits")
    }

    #[test]
    fn words_and_quotes() {
        assert_eq!(args("  a  b\tc "), ["a", "b", "c"]);
        assert_eq!(
            args(r#"sh -c "echo a  b" 'x y'"#),
            ["sh", "-c", "echo a  b", "x y"]
        );
        assert_eq!(args(r#"a"b c"d"#), ["ab cd"]);
        assert_eq!(args(r#"it"'"s"#), ["it's"]);
        assert_eq!(args(r#"x "" y"#), ["x", "", "y"]);
        assert_eq!(args(""), Vec::<String>::new());
        // Relaxed: an unbalanced quote runs to the end, a trailing backslash is dropped.
        assert_eq!(args(r#"a "b c"#), ["a", "b c"]);
        assert_eq!(args(r"a b\"), ["a", "b"]);
    }

    #[test]
    fn c_escapes() {
        assert_eq!(args(r"a\sb \x41\u00e9 \101 \t"), ["a b", "Aé", "A", "\t"]);
        assert_eq!(args(r#""q\"uote" \\"#), ["q\"uote", "\\"]);
        assert_eq!(
            split(r"a\qb", Mode::Args),
            Err(SplitError::Escape("q".into()))
        );
        assert!(split(r"\x00", Mode::Args).is_err());
    }

    #[test]
    fn strv_keeps_backslashes_and_refuses_open_quotes() {
        assert_eq!(
            split(r#"CAP_A "cap b" c\d"#, Mode::Strv).expect("splits"),
            ["CAP_A", "cap b", r"c\d"]
        );
        assert_eq!(
            split(r#"a "b"#, Mode::Strv),
            Err(SplitError::UnbalancedQuotes)
        );
    }
}
