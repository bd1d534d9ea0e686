//! `-e`/`--env`, `--env-file`, `-l`/`--label` and `--label-file`: docker run's kv grammar.
//!
//! Files follow docker/cli's kv-file rules: UTF-8, a BOM stripped from line 1, leading whitespace
//! trimmed, blank lines and `#` comments skipped, `KEY=VALUE` taken verbatim (quotes and trailing
//! spaces kept). A bare `KEY` is looked up in dockrun's own environment: `-e KEY` keeps the bare
//! key when unset (as docker does), an env-file line is dropped when unset, a label-file line is
//! always dropped. This module must not touch the engine.

use std::collections::BTreeMap;

use super::SpecError;

/// Whether `key` contains whitespace (space or tab), which docker refuses in a variable name.
fn has_whitespace(key: &str) -> bool {
    key.contains([' ', '\t'])
}

/// Read a kv file into its meaningful lines, `(line)` each, with the kv-file rules above.
fn read_kv_file(flag: &'static str, path: &str) -> Result<Vec<String>, SpecError> {
    let bytes = std::fs::read(path).map_err(|source| SpecError::File {
        flag,
        path: path.to_owned(),
        source,
    })?;
    let text = String::from_utf8(bytes)
        .map_err(|_| SpecError::invalid(flag, path, "the file is not valid UTF-8"))?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let mut lines = Vec::new();
    for line in text.lines() {
        let line = line.trim_start();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let key = line.split_once('=').map_or(line, |(k, _)| k);
        if key.is_empty() {
            return Err(SpecError::invalid(
                flag,
                path,
                format!("no variable name on line `{line}`"),
            ));
        }
        if has_whitespace(key) {
            return Err(SpecError::invalid(
                flag,
                path,
                format!("variable `{key}` contains whitespaces"),
            ));
        }
        lines.push(line.to_owned());
    }
    Ok(lines)
}

/// `--env-file` files in order, their lines in order (not de-duplicated, as docker does).
///
/// # Errors
/// A file that cannot be read or breaks the grammar.
pub fn read_env_files(files: &[String]) -> Result<Vec<String>, SpecError> {
    let mut env = Vec::new();
    for path in files {
        for line in read_kv_file("--env-file", path)? {
            if line.contains('=') {
                env.push(line);
            } else if let Ok(value) = std::env::var(&line) {
                env.push(format!("{line}={value}"));
            }
        }
    }
    Ok(env)
}

/// `-e` entries: `K=V` verbatim, bare `K` filled from dockrun's environment when set. A repeated
/// key keeps its last value (docker folds them through a map).
///
/// # Errors
/// An entry with an empty key.
pub fn parse_env_flags(entries: &[String]) -> Result<Vec<String>, SpecError> {
    let mut out: Vec<String> = Vec::new();
    for entry in entries {
        let (key, resolved) = match entry.split_once('=') {
            Some((key, _)) => (key, entry.clone()),
            None => (
                entry.as_str(),
                std::env::var(entry).map_or_else(|_| entry.clone(), |v| format!("{entry}={v}")),
            ),
        };
        if key.is_empty() {
            return Err(SpecError::invalid("--env", entry, "variable name is empty"));
        }
        out.retain(|e| e.split_once('=').map_or(e.as_str(), |(k, _)| k) != key);
        out.push(resolved);
    }
    Ok(out)
}

/// `--label-file` files, then `-l` entries, folded into a map (last wins). `k` alone is `k=""`.
///
/// # Errors
/// An empty key, a key with whitespace, or an unreadable file.
pub fn parse_labels(
    files: &[String],
    entries: &[String],
) -> Result<BTreeMap<String, String>, SpecError> {
    let mut labels = BTreeMap::new();
    for path in files {
        for line in read_kv_file("--label-file", path)? {
            if let Some((k, v)) = line.split_once('=') {
                labels.insert(k.to_owned(), v.to_owned());
            }
        }
    }
    for entry in entries {
        let (key, value) = entry.split_once('=').unwrap_or((entry.as_str(), ""));
        // docker checks the key with leading whitespace removed, but keeps it in the label.
        let checked = key.trim_start();
        if checked.is_empty() {
            return Err(SpecError::invalid("--label", entry, "label name is empty"));
        }
        if has_whitespace(checked) {
            return Err(SpecError::invalid(
                "--label",
                entry,
                "label name contains whitespaces",
            ));
        }
        labels.insert(key.to_owned(), value.to_owned());
    }
    Ok(labels)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn env_flags() {
        let env = parse_env_flags(&["A=1".into(), "B= x  y ".into(), "A=2".into(), "C=".into()])
            .expect("ok");
        assert_eq!(env, vec!["B= x  y ", "A=2", "C="]);
        assert!(parse_env_flags(&["=x".into()]).is_err());
        let env = parse_env_flags(&["DOCKRUN_SURELY_UNSET_VAR".into()]).expect("ok");
        assert_eq!(env, vec!["DOCKRUN_SURELY_UNSET_VAR"]);
        let env = parse_env_flags(&["PATH".into()]).expect("ok");
        assert!(env[0].starts_with("PATH=/"), "{env:?}");
    }

    #[test]
    fn env_file_grammar() {
        let mut file = tempfile::NamedTempFile::new().expect("tmp");
        write!(
            file,
            "\u{feff}A=1\n  # comment\n\nB=\"quoted\"  \n  C=x=y\nDOCKRUN_SURELY_UNSET_VAR\nPATH\n"
        )
        .expect("write");
        let path = file.path().display().to_string();
        let env = read_env_files(std::slice::from_ref(&path)).expect("ok");
        assert_eq!(&env[..3], ["A=1", "B=\"quoted\"  ", "C=x=y"]);
        assert_eq!(env.len(), 4);
        assert!(env[3].starts_with("PATH="));
        let mut bad = tempfile::NamedTempFile::new().expect("tmp");
        writeln!(bad, "bad key=1").expect("write");
        assert!(read_env_files(&[bad.path().display().to_string()]).is_err());
        assert!(matches!(
            read_env_files(&["/nonexistent/env".into()]),
            Err(SpecError::File { .. })
        ));
    }

    #[test]
    fn labels() {
        let labels = parse_labels(
            &[],
            &["a=1".into(), "b".into(), "a=2".into(), " d=e".into()],
        )
        .expect("ok");
        assert_eq!(labels.get("a").map(String::as_str), Some("2"));
        assert_eq!(labels.get("b").map(String::as_str), Some(""));
        assert_eq!(labels.get(" d").map(String::as_str), Some("e"));
        assert!(parse_labels(&[], &["=x".into()]).is_err());
        assert!(parse_labels(&[], &["a b=x".into()]).is_err());
    }
}
