//! What a launch prints on stdout (`--format`): the container's full ID, as `docker run -d`
//! prints it, or one JSON object per launch for scripts and CI:
//! `{"id":"…","name":"web","image":"nginx:1.27","action":"created"}`.
//!
//! `action` is one word: `created`, `started`, `unpaused`, `recreated` (replaced because the
//! command line changed) or `running` (nothing was done). This
//! module only formats; `app` decides when it is printed and `main` prints it.

use crate::cli::OutputFormat;
use crate::ensure::Ensured;
use crate::plan::Action;
use crate::spec::ContainerSpec;

/// The single word the JSON output uses for what dockrun did.
#[must_use]
pub fn action_word(action: Action) -> &'static str {
    match action {
        Action::Created => "created",
        Action::Started => "started",
        Action::Unpaused => "unpaused",
        Action::AlreadyRunning => "running",
        Action::Recreated => "recreated",
    }
}

/// The stdout line for a launch that ended with `ensured`.
#[must_use]
pub fn launch_line(format: OutputFormat, spec: &ContainerSpec, ensured: &Ensured) -> String {
    match format {
        OutputFormat::Id => ensured.id.clone(),
        OutputFormat::Json => serde_json::json!({
            "id": ensured.id,
            "name": spec.name,
            "image": spec.image,
            "action": action_word(ensured.action),
        })
        .to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::RawArgs;

    #[test]
    fn json_is_one_object_on_one_line() {
        let raw = RawArgs::parse_from_argv(["dockrun", "-d", "--name", "web", "nginx:1", "sh"])
            .expect("parses");
        let spec = ContainerSpec::try_from(raw).expect("valid");
        let ensured = Ensured {
            id: "abc".into(),
            action: Action::AlreadyRunning,
        };
        let line = launch_line(OutputFormat::Json, &spec, &ensured);
        assert!(!line.contains('\n'));
        let value: serde_json::Value = serde_json::from_str(&line).expect("json");
        assert_eq!(
            value,
            serde_json::json!({"id": "abc", "name": "web", "image": "nginx:1", "action": "running"})
        );
        assert_eq!(launch_line(OutputFormat::Id, &spec, &ensured), "abc");
    }
}
