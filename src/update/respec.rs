//! A container's recorded spec (`dockrun.spec`, the normalised create body `drift` writes)
//! turned back into a `ContainerSpec`, so a container nothing supervises is replaced from what
//! it was asked to be, not from its inspect data (which mixes in the image's defaults and
//! loses what docker fills in: Watchtower's way, and how it lost settings). Pure.

use serde_json::Value;

use crate::cli::{RawArgs, Recreate};
use crate::drift::Normalised;
use crate::spec::body::CreateBody;
use crate::spec::ContainerSpec;

/// Why a container cannot be replaced from its record.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum RespecError {
    /// No `dockrun.spec` label, or one that is not a spec.
    #[error("it has no readable `dockrun.spec` label (not created by dockrun?): nothing to replace it from")]
    NoRecord,
    /// The recorded spec names no image.
    #[error("its recorded spec names no image")]
    NoImage,
    /// The recorded spec is not a create body.
    #[error("its recorded spec is not a create body: {0}")]
    Body(String),
}

/// The recorded spec of a container, and the image reference it names.
#[derive(Clone, Debug)]
pub struct Recorded {
    /// The normalised spec.
    pub spec: Normalised,
    /// Its image reference (docker's familiar form: `app:latest`, `reg:5000/app:1`).
    pub image: String,
}

impl Recorded {
    /// Read a `dockrun.spec` label recorded in `format` (`drift::format_of`).
    ///
    /// # Errors
    /// No label, or one without an image.
    pub fn from_label(label: Option<&str>, format: u32) -> Result<Self, RespecError> {
        let spec = label
            .and_then(|text| Normalised::from_label(text, format))
            .ok_or(RespecError::NoRecord)?;
        let image = spec
            .value()
            .get("Image")
            .and_then(Value::as_str)
            .ok_or(RespecError::NoImage)?
            .to_owned();
        Ok(Recorded { spec, image })
    }

    /// The spec a launch would have made this container from: `-d`, `--pull=never` (the
    /// update run has pulled already) and `--recreate changed` (the moved tag is the change).
    ///
    /// # Errors
    /// The record does not read back as a create body.
    pub fn to_spec(&self, name: &str) -> Result<ContainerSpec, RespecError> {
        let argv = [
            "dockrun",
            "-d",
            "--pull=never",
            "--recreate=changed",
            "--name",
            name,
            self.image.as_str(),
        ];
        let raw = RawArgs::parse_from_argv(argv).map_err(|e| RespecError::Body(e.to_string()))?;
        let mut spec =
            ContainerSpec::try_from(raw).map_err(|e| RespecError::Body(e.to_string()))?;
        spec.body = body_of(self.spec.value())?;
        spec.stop_timeout = spec.body.stop_timeout;
        spec.recreate = Recreate::Changed;
        Ok(spec)
    }
}

/// A normalised spec back into a create body: `Env` is a map there (`null` for `-e NAME`
/// without a value); everything else already has the API's shape, defaults left out.
fn body_of(normalised: &Value) -> Result<CreateBody, RespecError> {
    let mut value = normalised.clone();
    if let Some(Value::Object(env)) = value.get("Env") {
        let list: Vec<Value> = env
            .iter()
            .map(|(k, v)| match v {
                Value::String(v) => Value::String(format!("{k}={v}")),
                _ => Value::String(k.clone()),
            })
            .collect();
        value["Env"] = Value::Array(list);
    }
    serde_json::from_value(value).map_err(|e| RespecError::Body(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::drift::FORMAT;

    fn spec_of(args: &[&str]) -> ContainerSpec {
        let mut argv = vec!["dockrun", "-d", "--name", "web"];
        argv.extend_from_slice(args);
        ContainerSpec::try_from(RawArgs::parse_from_argv(argv).expect("parses")).expect("valid")
    }

    /// What a launch records comes back as a spec that records the same.
    #[test]
    fn a_record_round_trips() {
        let original = spec_of(&[
            "--auto-update=registry",
            "-e",
            "A=1",
            "-e",
            "UNSET_IN_TEST_ENV_16",
            "-v",
            "/data",
            "-p",
            "127.0.0.1:8080:80",
            "--link",
            "db:db",
            "--restart",
            "on-failure:3",
            "--stop-timeout",
            "4",
            "--health-cmd",
            "true",
            "-l",
            "k=",
            "--entrypoint",
            "",
            "reg:5000/app:1",
            "sh",
            "-c",
            "a  b",
        ]);
        let recorded = Normalised::from_body(&original.body);
        let back = Recorded::from_label(Some(&recorded.to_label()), FORMAT).expect("readable");
        assert_eq!(back.image, "reg:5000/app:1");
        let spec = back.to_spec("web").expect("a spec");
        assert_eq!(crate::unit::peers(&spec), ["db"]);
        assert_eq!(Normalised::from_body(&spec.body), recorded);
        assert_eq!(spec.image, "reg:5000/app:1");
        assert_eq!(spec.stop_timeout, Some(4));
        assert!(spec.detach);
        assert_eq!(spec.recreate, Recreate::Changed);
    }

    #[test]
    fn peers_and_refusals() {
        let shared = spec_of(&["--network", "container:vpn", "--link", "/db:/web/db", "img"]);
        let back = Recorded::from_label(
            Some(&Normalised::from_body(&shared.body).to_label()),
            FORMAT,
        )
        .expect("readable");
        assert_eq!(
            crate::unit::peers(&back.to_spec("web").expect("a spec")),
            ["db", "vpn"]
        );
        assert_eq!(back.image, "img:latest");
        assert_eq!(
            Recorded::from_label(None, FORMAT).map(|r| r.image),
            Err(RespecError::NoRecord)
        );
        assert_eq!(
            Recorded::from_label(Some("{}"), FORMAT).map(|r| r.image),
            Err(RespecError::NoImage)
        );
    }
}
