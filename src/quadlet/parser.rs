//! A `.container` file read as podman's Quadlet reads unit files: `[Group]` headers, `Key=Value`
//! lines (whitespace around `=` dropped), `#` and `;` comments, and a trailing `\` joining a
//! line with the next (each line trimmed, the backslash removed; a comment line inside a
//! continuation is skipped). A group given twice is one group. Every entry keeps the line it
//! started on, and every group the line of its first header, so a refusal can name them. Pure:
//! text in, groups out; it must not know any key (or file: the generator merges drop-ins).

use super::split::{split, Mode, SplitError};

/// One `Key=Value` line (continuations joined).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The key, as spelled.
    pub key: String,
    /// The value, continuations joined, leading whitespace removed.
    pub value: String,
    /// The 1-based line the entry starts on (the generator numbers a drop-in's lines after
    /// the main file's, and maps them back when it names one).
    pub line: usize,
}

/// One `[Group]`, with its entries in file order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Group {
    /// The name between the brackets.
    pub name: String,
    /// Its entries.
    pub entries: Vec<Entry>,
    /// The 1-based line of its first `[Group]` header.
    pub line: usize,
}

/// Why a file cannot be read as a unit file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct ParseError {
    /// The 1-based line.
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

/// Parse a unit file's text into its groups, in order of first appearance.
///
/// # Errors
/// [`ParseError`] for a line that is no group, key or comment, or a key before any group.
pub fn parse(text: &str) -> Result<Vec<Group>, ParseError> {
    let lines: Vec<&str> = text
        .strip_suffix('\n')
        .unwrap_or(text)
        .split('\n')
        .collect();
    let mut groups: Vec<Group> = Vec::new();
    let mut current: Option<usize> = None;
    let mut pending = String::new();
    let mut pending_start = 0;
    for (index, raw) in lines.iter().enumerate() {
        let number = index + 1;
        let mut line = raw.trim();
        if is_comment(line) {
            // A comment inside a continuation is skipped, as an empty or comment line alone.
            continue;
        }
        if pending.is_empty() {
            pending_start = number;
        }
        if let Some(stripped) = line.strip_suffix('\\') {
            if index + 1 != lines.len() {
                pending.push_str(stripped);
                continue;
            }
            line = stripped;
        }
        let joined = std::mem::take(&mut pending) + line;
        let start = pending_start;
        if let Some(name) = group_name(&joined) {
            if name.is_empty() || name.chars().any(|c| c == '[' || c.is_control()) {
                return Err(ParseError {
                    line: start,
                    message: format!("invalid group name `{name}`"),
                });
            }
            current = Some(match groups.iter().position(|g| g.name == name) {
                Some(at) => at,
                None => {
                    groups.push(Group {
                        name: name.to_owned(),
                        entries: Vec::new(),
                        line: start,
                    });
                    groups.len() - 1
                }
            });
            continue;
        }
        let Some((key, value)) = joined.split_once('=').filter(|(k, _)| !k.is_empty()) else {
            return Err(ParseError {
                line: start,
                message: format!("`{joined}` is not a key-value pair, group, or comment"),
            });
        };
        let Some(group) = current else {
            return Err(ParseError {
                line: start,
                message: "the file does not start with a group".to_owned(),
            });
        };
        let key = key.trim_end();
        if key.is_empty() || key.starts_with(' ') {
            return Err(ParseError {
                line: start,
                message: format!("invalid key name `{key}`"),
            });
        }
        groups[group].entries.push(Entry {
            key: key.to_owned(),
            value: value.trim_start().to_owned(),
            line: start,
        });
    }
    Ok(groups)
}

/// An empty line or a `#`/`;` comment.
fn is_comment(line: &str) -> bool {
    line.is_empty() || line.starts_with('#') || line.starts_with(';')
}

/// The name of a `[Group]` line (whitespace allowed after the `]`).
fn group_name(line: &str) -> Option<&str> {
    let rest = line.strip_prefix('[')?;
    let (name, after) = rest.split_once(']')?;
    after.chars().all(|c| c == ' ' || c == '\t').then_some(name)
}

impl Group {
    /// The last entry of `key`.
    #[must_use]
    pub fn last(&self, key: &str) -> Option<&Entry> {
        self.entries.iter().rev().find(|e| e.key == key)
    }

    /// The last value of `key`, trailing whitespace removed and one pair of surrounding double
    /// quotes stripped (podman's `Lookup`).
    #[must_use]
    pub fn lookup(&self, key: &str) -> Option<(String, &Entry)> {
        let entry = self.last(key)?;
        let value = entry.value.trim_end();
        let value = value
            .strip_prefix('"')
            .and_then(|v| v.strip_suffix('"'))
            .filter(|_| value.len() >= 2)
            .unwrap_or(value);
        Some((value.to_owned(), entry))
    }

    /// Every entry of `key` in order; an empty value clears the ones before it (systemd's
    /// list semantics).
    #[must_use]
    pub fn all(&self, key: &str) -> Vec<&Entry> {
        let mut out = Vec::new();
        for entry in self.entries.iter().filter(|e| e.key == key) {
            if entry.value.is_empty() {
                out.clear();
            } else {
                out.push(entry);
            }
        }
        out
    }

    /// Every entry of `key` split into words in `mode`, each word with its entry.
    ///
    /// # Errors
    /// The first entry that cannot be split, with why.
    pub fn all_words(
        &self,
        key: &str,
        mode: Mode,
    ) -> Result<Vec<(String, &Entry)>, (&Entry, SplitError)> {
        let mut out = Vec::new();
        for entry in self.all(key) {
            for word in split(&entry.value, mode).map_err(|e| (entry, e))? {
                out.push((word, entry));
            }
        }
        Ok(out)
    }

    /// The keys used, in order of first use.
    #[must_use]
    pub fn keys(&self) -> Vec<&Entry> {
        let mut seen: Vec<&Entry> = Vec::new();
        for entry in &self.entries {
            if !seen.iter().any(|e| e.key == entry.key) {
                seen.push(entry);
            }
        }
        seen
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_keys_comments_and_continuations() {
        let groups = parse(
            "# a comment\n\
             [Unit]\n\
             Description = web server  \n\
             \n\
             [Container]\n\
             ; another\n\
             Image=busybox\n\
             Exec=sh -c \\\n\
             # skipped inside the continuation\n\
             \t  'echo a'\n\
             [Unit]\n\
             After=db.service\n",
        )
        .expect("parses");
        assert_eq!(groups.len(), 2);
        assert_eq!(groups[0].name, "Unit");
        // A group's line is its first header's.
        assert_eq!((groups[0].line, groups[1].line), (2, 5));
        assert_eq!(
            groups[0]
                .entries
                .iter()
                .map(|e| (e.key.as_str(), e.value.as_str(), e.line))
                .collect::<Vec<_>>(),
            [
                ("Description", "web server", 3),
                ("After", "db.service", 12)
            ]
        );
        let container = &groups[1];
        assert_eq!(
            container.last("Exec").expect("exec").value,
            "sh -c 'echo a'"
        );
        assert_eq!(container.last("Exec").expect("exec").line, 8);
    }

    #[test]
    fn lookups() {
        let groups = parse(
            "[Container]\nLabel=a=1\nLabel=\nLabel=b=2\nLabel=c=3\nImage=\"quoted\" \nExec=\"a\" b\"\n",
        )
        .expect("parses");
        let c = &groups[0];
        let labels: Vec<&str> = c.all("Label").iter().map(|e| e.value.as_str()).collect();
        assert_eq!(labels, ["b=2", "c=3"]);
        assert_eq!(c.lookup("Image").expect("image").0, "quoted");
        assert_eq!(c.lookup("Exec").expect("exec").0, "a\" b");
        assert!(c.lookup("Nope").is_none());
    }

    #[test]
    fn refusals_name_the_line() {
        assert_eq!(parse("Image=x\n").expect_err("no group").line, 1);
        let err = parse("[Container]\nImage=x\njust words\n").expect_err("bad line");
        assert_eq!(err.line, 3);
        assert!(err.message.contains("not a key-value pair"), "{err}");
        assert_eq!(parse("[Container]\n=x\n").expect_err("empty key").line, 2);
        assert_eq!(parse("[]\n").expect_err("empty group").line, 1);
    }
}
