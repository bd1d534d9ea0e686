//! `--detach-keys`: docker's key-sequence grammar (moby/term `ToBytes`): comma-separated keys,
//! each a single character, `ctrl-@`, `ctrl-a` … `ctrl-z`, `ctrl-[`, `ctrl-\`, `ctrl-]`,
//! `ctrl-^`, `ctrl-_`, or `DEL`.

use super::SpecError;

/// The sequence the engine and the docker CLI use when none is given.
pub const DEFAULT_DETACH_KEYS: &str = "ctrl-p,ctrl-q";

/// The control-key names in code order (`ctrl-@` is 0, `ctrl-_` is 31).
const CONTROL: [&str; 32] = [
    "ctrl-@", "ctrl-a", "ctrl-b", "ctrl-c", "ctrl-d", "ctrl-e", "ctrl-f", "ctrl-g", "ctrl-h",
    "ctrl-i", "ctrl-j", "ctrl-k", "ctrl-l", "ctrl-m", "ctrl-n", "ctrl-o", "ctrl-p", "ctrl-q",
    "ctrl-r", "ctrl-s", "ctrl-t", "ctrl-u", "ctrl-v", "ctrl-w", "ctrl-x", "ctrl-y", "ctrl-z",
    "ctrl-[", "ctrl-\\", "ctrl-]", "ctrl-^", "ctrl-_",
];

/// The bytes a `--detach-keys` value stands for.
///
/// # Errors
/// An empty value or a key outside the grammar, naming the flag.
pub fn parse_detach_keys(text: &str) -> Result<Vec<u8>, SpecError> {
    let invalid = |reason: String| SpecError::invalid("--detach-keys", text, reason);
    if text.is_empty() {
        return Err(invalid("give keys such as `ctrl-p,ctrl-q`".into()));
    }
    text.split(',')
        .map(|key| {
            if key.len() == 1 {
                return Ok(key.as_bytes()[0]);
            }
            if key == "DEL" {
                return Ok(127);
            }
            CONTROL
                .iter()
                .position(|c| *c == key)
                .and_then(|code| u8::try_from(code).ok())
                .ok_or_else(|| {
                    invalid(format!(
                        "unknown key `{key}`: use a single character, `ctrl-a`…`ctrl-z`, `ctrl-@`, `ctrl-[`, `ctrl-\\`, `ctrl-]`, `ctrl-^`, `ctrl-_` or `DEL`"
                    ))
                })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn docker_key_grammar() {
        assert_eq!(
            parse_detach_keys(DEFAULT_DETACH_KEYS).expect("ok"),
            [16, 17]
        );
        assert_eq!(
            parse_detach_keys("a,ctrl-@,ctrl-_,DEL").expect("ok"),
            [b'a', 0, 31, 127]
        );
        for bad in ["", "ctrl-", "ctrl-A", "ab", "ctrl-p,", "shift-a"] {
            let err = parse_detach_keys(bad).expect_err(bad);
            assert!(err.to_string().contains("--detach-keys"), "{err}");
        }
    }
}
