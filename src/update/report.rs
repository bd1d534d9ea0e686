//! What an update run did to each container, as scripts read it on stdout: one line of text,
//! or one JSON object (`--format json`), per container. Pure: it renders, never prints.

use std::fmt::Write as _;

use serde::Serialize;

use crate::drift::short_id as short;

/// What became of one container.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// It runs the new image.
    Updated,
    /// Its image is current (or the newer one was rejected earlier).
    Current,
    /// The new image failed; the old container runs again and the tag names the old image.
    RolledBack,
    /// It could not be checked or updated; it was left as it was.
    Failed,
    /// `--dry-run`: it would be updated.
    WouldUpdate,
}

impl Status {
    /// The word printed for it.
    #[must_use]
    pub fn word(self) -> &'static str {
        match self {
            Status::Updated => "updated",
            Status::Current => "current",
            Status::RolledBack => "rolled-back",
            Status::Failed => "failed",
            Status::WouldUpdate => "would-update",
        }
    }

    /// Whether the run must exit non-zero because of it.
    #[must_use]
    pub fn is_failure(self) -> bool {
        matches!(self, Status::RolledBack | Status::Failed)
    }
}

/// One container's line of the report.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Entry {
    /// The container's name.
    pub name: String,
    /// What became of it.
    pub status: Status,
    /// The image reference it runs (its tag).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    /// Its `--auto-update` policy.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy: Option<&'static str>,
    /// The systemd unit that runs it, when one does.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
    /// The ID of the image it ran before the run.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub old_image: Option<String>,
    /// That image's registry digest, when it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub old_digest: Option<String>,
    /// The ID of the image it was (or would be) updated to, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub new_image: Option<String>,
    /// The registry digest of the new image.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub new_digest: Option<String>,
    /// A digest (or image ID) rejected by an earlier failed update, not tried again.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rejected: Option<String>,
    /// `--dry-run`: the image would be pulled first.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub pull: bool,
    /// Why it failed or was rolled back.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

impl Entry {
    /// An entry with only a name and a status.
    #[must_use]
    pub fn new(name: &str, status: Status) -> Self {
        Entry {
            name: name.to_owned(),
            status,
            image: None,
            policy: None,
            unit: None,
            old_image: None,
            old_digest: None,
            new_image: None,
            new_digest: None,
            rejected: None,
            pull: false,
            reason: None,
        }
    }

    /// A failure that left the container as it was.
    #[must_use]
    pub fn failed(name: &str, reason: impl Into<String>) -> Self {
        Entry {
            reason: Some(reason.into()),
            ..Entry::new(name, Status::Failed)
        }
    }

    /// `STATUS NAME IMAGE OLD → NEW (…)`, one line.
    #[must_use]
    pub fn text(&self) -> String {
        let mut line = format!("{} {}", self.status.word(), self.name);
        if let Some(image) = &self.image {
            let _ = write!(line, " {image}");
        }
        let old = self.old_digest.as_ref().or(self.old_image.as_ref());
        let new = self.new_digest.as_ref().or(self.new_image.as_ref());
        match (old, new) {
            (Some(old), Some(new)) => {
                let _ = write!(line, " {} → {}", short(old), short(new));
            }
            (Some(one), None) | (None, Some(one)) => {
                let _ = write!(line, " {}", short(one));
            }
            (None, None) => {}
        }
        if let Some(unit) = &self.unit {
            let _ = write!(line, " (unit {unit})");
        }
        if self.pull {
            line.push_str(" (pull first)");
        }
        if let Some(rejected) = &self.rejected {
            let _ = write!(line, " (rejected earlier: {})", short(rejected));
        }
        if let Some(reason) = &self.reason {
            let _ = write!(line, ": {reason}");
        }
        line
    }

    /// The entry as one compact JSON object.
    #[must_use]
    pub fn json(&self) -> String {
        // Plain strings, bools and a unit enum: it always serialises.
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// The whole report: one line (or JSON object) per entry.
#[must_use]
pub fn render(entries: &[Entry], json: bool) -> String {
    entries
        .iter()
        .map(|e| if json { e.json() } else { e.text() })
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    const OLD: &str = "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    const NEW: &str = "sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";

    #[test]
    fn lines_and_objects() {
        let entry = Entry {
            image: Some("reg:5000/app:1".into()),
            policy: Some("registry"),
            old_digest: Some(OLD.into()),
            new_digest: Some(NEW.into()),
            reason: Some("its healthcheck reported unhealthy".into()),
            ..Entry::new("web", Status::RolledBack)
        };
        assert_eq!(
            entry.text(),
            "rolled-back web reg:5000/app:1 sha256:aaaaaaaaaaaa… → sha256:bbbbbbbbbbbb…: its healthcheck reported unhealthy"
        );
        let json: serde_json::Value = serde_json::from_str(&entry.json()).expect("json");
        assert_eq!(json["status"], "rolled-back");
        assert_eq!(json["old_digest"], OLD);
        assert_eq!(json["new_digest"], NEW);
        assert!(json.get("unit").is_none());
        assert!(json.get("pull").is_none());
        let dry = Entry {
            pull: true,
            ..Entry::new("db", Status::WouldUpdate)
        };
        assert_eq!(
            render(std::slice::from_ref(&dry), false),
            "would-update db (pull first)"
        );
        assert!(render(&[dry], true).contains(r#""status":"would-update""#));
        assert_eq!(
            Entry::failed("x1", "no such manifest").text(),
            "failed x1: no such manifest"
        );
    }
}
