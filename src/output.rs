//! What a launch prints on stdout (`--format`): the container's full ID, as `docker run -d`
//! prints it, or one JSON object per launch for scripts and CI:
//! `{"id":"…","name":"web","image":"nginx:1.27","action":"created"}`.
//!
//! `action` is one word: `created`, `started`, `unpaused`, `recreated` (replaced because the
//! command line changed) or `running` (nothing was done). With `--dry-run`, the plan instead:
//! `VERB NAME [ID]`, then one indented line per difference. This module only formats; `app`
//! decides when it is printed and `main` prints it.

use crate::cli::OutputFormat;
use crate::drift::Drift;
use crate::ensure::{Ensured, Preview};
use crate::plan::{Action, Plan, Repair};
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

/// The plan a dry run prints: `VERB NAME [ID]`, then one indented line per difference.
#[must_use]
pub fn preview_text(preview: &Preview) -> String {
    let plan = &preview.decision.plan;
    let mut text = format!("{} {}", plan.verb(), preview.name);
    match plan {
        Plan::Create => {}
        Plan::Start(id) | Plan::Unpause(id) | Plan::Nothing(id) | Plan::AwaitRemoval(id) => {
            text.push(' ');
            text.push_str(id);
        }
        Plan::Recreate(old) => {
            text.push(' ');
            text.push_str(&old.id);
        }
        Plan::Repair(Repair::PutBack { old, discard }) => {
            text.push_str(
                "\n  an earlier replacement was interrupted before its new container ran",
            );
            for new in discard {
                text.push_str(&format!("\n  remove {} (never started)", new.name));
            }
            text.push_str(&format!("\n  put {} back under the name", old.name));
        }
        Plan::Repair(Repair::Prove { new, old }) => {
            text.push_str(
                "\n  an earlier replacement was interrupted after its new container started, before it proved itself",
            );
            text.push_str(&format!(
                "\n  watch {} until it is up (healthy, or still running after {}s)",
                new.name,
                crate::ensure::gate::SETTLE.as_secs()
            ));
            text.push_str(&format!(
                "\n  up: remove {} (replaced; its volumes are kept) and give the name to {}",
                old.name, new.name
            ));
            text.push_str(&format!(
                "\n  not up: remove {} and put {} back under the name, running",
                new.name, old.name
            ));
        }
        Plan::Repair(Repair::Finish { new }) => {
            text.push_str(
                "\n  an earlier replacement was interrupted while it committed (the old container is removed)",
            );
            text.push_str(&format!("\n  give the name to {}", new.name));
        }
    }
    if preview.pull {
        text.push_str("\n  pull the image first");
    }
    if let Drift::UnknownOrigin(_) = preview.decision.drift {
        text.push_str("\n  not created by dockrun: compared with what the engine reports");
    }
    for difference in preview.decision.drift.differences() {
        text.push_str("\n  ");
        text.push_str(&difference.to_string());
    }
    text
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
