//! `--auto-update`: the per-container opt-in to `dockrun --update-images`, with podman's names
//! for the two policies (`io.containers.autoupdate`, Quadlet's `AutoUpdate=`). Pure parsing.

use super::SpecError;

/// How an opted-in container's image is kept current.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AutoUpdate {
    /// Ask the registry for the tag's digest; pull and replace when it differs from the local
    /// image's.
    Registry,
    /// Replace when the tag names another local image (after a `docker pull` or a build).
    Local,
}

impl AutoUpdate {
    /// The policy's name, as given and as recorded in the `dockrun.auto-update` label.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            AutoUpdate::Registry => "registry",
            AutoUpdate::Local => "local",
        }
    }

    /// Read a policy name (the flag's value, or a recorded label).
    #[must_use]
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "registry" => Some(AutoUpdate::Registry),
            "local" => Some(AutoUpdate::Local),
            _ => None,
        }
    }
}

/// `--auto-update`: `registry`, `local`, or absent (not opted in).
///
/// # Errors
/// Any other value, empty included (podman's `disabled` is spelled by leaving the flag out).
pub fn parse_auto_update(value: Option<&str>) -> Result<Option<AutoUpdate>, SpecError> {
    value
        .map(|v| {
            AutoUpdate::from_name(v).ok_or_else(|| {
                SpecError::invalid(
                    "--auto-update",
                    v,
                    "valid policies are `registry` and `local` (leave the flag out to opt out)",
                )
            })
        })
        .transpose()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::RawArgs;
    use crate::drift::{Normalised, AUTO_UPDATE_LABEL, UNIT_LABEL};
    use crate::spec::ContainerSpec;

    fn spec(args: &[&str]) -> ContainerSpec {
        let mut argv = vec!["dockrun", "--name", "web"];
        argv.extend_from_slice(args);
        argv.push("img:1");
        ContainerSpec::try_from(RawArgs::parse_from_argv(argv).expect("parses")).expect("valid")
    }

    fn normalised(spec: &ContainerSpec) -> Normalised {
        Normalised::from_body(&spec.body)
    }

    #[test]
    fn the_opt_in_is_a_label_and_part_of_the_spec() {
        let plain = spec(&[]);
        let registry = spec(&["--auto-update=registry"]);
        let local = spec(&["--auto-update", "local"]);
        assert_eq!(registry.auto_update, Some(AutoUpdate::Registry));
        assert_eq!(
            registry.body.labels.as_ref().expect("labels")[AUTO_UPDATE_LABEL],
            "registry"
        );
        assert_ne!(normalised(&plain), normalised(&registry));
        assert_ne!(normalised(&registry), normalised(&local));
        // Written as a label by hand, it is the same spec.
        assert_eq!(
            normalised(&spec(&["-l", "dockrun.auto-update=registry"])),
            normalised(&registry)
        );
    }

    #[test]
    fn the_unit_label_is_recorded_but_not_part_of_the_spec() {
        let mut run_by_unit = spec(&["--auto-update=local"]);
        run_by_unit.record_unit(Some("container-web.service".into()));
        assert_eq!(
            run_by_unit.body.labels.as_ref().expect("labels")[UNIT_LABEL],
            "container-web.service"
        );
        assert_eq!(
            normalised(&run_by_unit),
            normalised(&spec(&["--auto-update=local"]))
        );
        let mut empty = spec(&[]);
        empty.record_unit(Some(String::new()));
        assert!(!empty.body.labels.expect("labels").contains_key(UNIT_LABEL));
    }

    #[test]
    fn policies() {
        assert_eq!(parse_auto_update(None).expect("ok"), None);
        assert_eq!(
            parse_auto_update(Some("registry")).expect("ok"),
            Some(AutoUpdate::Registry)
        );
        assert_eq!(
            parse_auto_update(Some("local")).expect("ok"),
            Some(AutoUpdate::Local)
        );
        for bad in ["", "Registry", "disabled", "image"] {
            let err = parse_auto_update(Some(bad)).expect_err(bad).to_string();
            assert!(err.contains("--auto-update"), "{err}");
        }
    }
}
