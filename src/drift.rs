//! Configuration drift: what a container was asked to be, recorded on it, and what differs.
//!
//! At create, dockrun records the *normalised* create body on the container as two labels:
//! `dockrun.spec` (the normalised body as compact JSON, so a later launch can name each field
//! that differs) and `dockrun.spec-hash` (SHA-256 of that JSON and the image ID the reference
//! resolved to). A later launch normalises its own body the same way and compares.
//!
//! Normalising is generic over the create body's JSON, so a flag added to `spec` is covered
//! without code here: fields that do not change the container's behaviour are dropped (attach
//! streams, console size, `--cidfile`, dockrun's own labels), values equal to the API's defaults
//! are dropped (`false`, `""`, `0`, empty lists and objects: the engine cannot tell them from an
//! absent field), lists that are sets are sorted and deduplicated, `Env` becomes a map (last
//! value wins, as in the engine), and the image reference gets docker's familiar form. What
//! remains is what the engine acts on, so the same spec spelled differently normalises to the
//! same value, and a changed value to a different one.
//!
//! A container dockrun did not create has no labels: it is compared against its inspect data,
//! where the engine's answer mixes in the image's defaults (env, labels, command…) and fills in
//! some host settings itself; those fields are compared only where the command line sets them.
//!
//! Nothing here does I/O or decides what to do about a difference (that is `plan`).

use std::fmt;

use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::spec::body::CreateBody;

/// Every label dockrun sets on its containers starts with this.
pub const LABEL_PREFIX: &str = "dockrun.";
/// The label holding the hash of the normalised spec and the image ID.
pub const HASH_LABEL: &str = "dockrun.spec-hash";
/// The label holding the normalised spec itself (compact JSON).
pub const SPEC_LABEL: &str = "dockrun.spec";
/// The label naming the format of the two above; absent on containers of format 1.
pub const FORMAT_LABEL: &str = "dockrun.spec-format";

/// The format of `dockrun.spec` and `dockrun.spec-hash` this dockrun writes. Every format a
/// dockrun has shipped is read by every later one (`upgrade` brings a recorded spec to this
/// format's shape before it is normalised again and compared), so an upgrade of dockrun alone
/// never shows as drift:
///
/// 1. no `dockrun.spec-format` label (dockrun 187f9b7 to 1ad0447): `dockrun.spec` is the
///    normalised create body as compact JSON with sorted keys, `dockrun.spec-hash` is
///    `sha256:` + hex SHA-256 of that JSON, a newline and the image ID;
/// 2. the same two labels, with `dockrun.spec-format: 2`.
pub const FORMAT: u32 = 2;

/// The format a `dockrun.spec-format` label names: 1 when absent (before formats were labelled),
/// `u32::MAX` when unreadable (newer than any this dockrun knows).
#[must_use]
pub fn format_of(label: Option<&str>) -> u32 {
    label.map_or(1, |f| f.parse().unwrap_or(u32::MAX))
}

/// A recorded spec of `format`, brought to the shape of [`FORMAT`] (then normalised by this
/// version's rules, which drops or orders what an older version kept or ordered differently).
/// A newer format than this dockrun knows is read as it is: best effort, its fields compared.
fn upgrade(format: u32, recorded: Value) -> Value {
    match format {
        // 1 → 2: only the format label was added; the spec's shape is the same.
        1 => upgrade(2, recorded),
        // This format, or one newer than this dockrun knows (read as it is, best effort).
        _ => recorded,
    }
}

/// The two `dockrun.` labels `spec` writes itself (defined there, so `spec` needs nothing of
/// `drift`).
pub use crate::spec::{AUTO_UPDATE_LABEL, UNIT_LABEL};

/// Fields that do not change what the container does: how one client attaches to it, the
/// client's terminal size, the client-side `--cidfile`.
const NOT_BEHAVIOUR: &[&str] = &[
    "AttachStdin",
    "AttachStdout",
    "AttachStderr",
    "StdinOnce",
    "HostConfig.ConsoleSize",
    "HostConfig.ContainerIDFile",
];

/// Objects whose keys are data (a map), not field names: their entries are kept even when the
/// value is empty (`-l k=`, `--tmpfs /t` are meaningful). Every `BTreeMap` in `spec::body`.
/// `*` stands for any map key, `[]` for any list element.
const MAPS: &[&str] = &[
    "ExposedPorts",
    "Volumes",
    "Labels",
    "Env",
    "HostConfig.PortBindings",
    "HostConfig.Annotations",
    "HostConfig.StorageOpt",
    "HostConfig.Tmpfs",
    "HostConfig.Sysctls",
    "HostConfig.LogConfig.Config",
    "HostConfig.Mounts[].VolumeOptions.Labels",
    "HostConfig.Mounts[].VolumeOptions.DriverConfig.Options",
    "HostConfig.DeviceRequests[].Options",
    "NetworkingConfig.EndpointsConfig",
    "NetworkingConfig.EndpointsConfig.*.DriverOpts",
];

/// Maps whose entries with an empty value mean nothing: `EndpointsConfig` has `default: {}` when
/// no `--network` is given, which is the same as `--network default`.
const MAPS_DROPPING_EMPTY: &[&str] = &["NetworkingConfig.EndpointsConfig"];

/// Lists whose order matters. Every other list is a set (`-e`, `-v`, `-p`, `--cap-add`, …):
/// sorted and deduplicated, so the order flags were given in makes no difference.
const ORDERED: &[&str] = &[
    "Cmd",
    "Entrypoint",
    "Shell",
    "Healthcheck.Test",
    "HostConfig.Dns",
    "HostConfig.DnsSearch",
    "HostConfig.Mounts[].TmpfsOptions.Options",
];

/// Numbers for which `0` is not the default: `--stop-timeout 0` kills at once (absent: 10s);
/// `--memory-swappiness 0` disables swapping (absent: -1, the kernel's choice).
const ZERO_MEANS_SOMETHING: &[&str] = &["StopTimeout", "HostConfig.MemorySwappiness"];

/// Whether `value` at `path` is the engine's default written out: the same as leaving the
/// flag out (`--memory-swappiness -1`, `--pids-limit -1`, `--network default|bridge`,
/// `--restart no`).
fn is_written_out_default(path: &str, value: &Value) -> bool {
    match (path, value) {
        ("HostConfig.MemorySwappiness" | "HostConfig.PidsLimit", Value::Number(n)) => {
            n.as_i64() == Some(-1)
        }
        ("HostConfig.NetworkMode", Value::String(s)) => s == "default" || s == "bridge",
        ("HostConfig.RestartPolicy.Name", Value::String(s)) => s == "no",
        _ => false,
    }
}

/// Fields the engine fills from the image when the command line leaves them out (so an
/// unlabelled container's value may come from its image): compared only where the command line
/// sets them.
const FROM_IMAGE: &[&str] = &[
    "Cmd",
    "Entrypoint",
    "WorkingDir",
    "User",
    "StopSignal",
    "Healthcheck",
    "Shell",
    "OnBuild",
    "ArgsEscaped",
];

/// Maps the engine merges with the image's own: for an unlabelled container only the entries the
/// command line sets are compared.
const MERGED_WITH_IMAGE: &[&str] = &["Env", "Labels", "ExposedPorts", "Volumes"];

/// Fields the engine fills in itself when they are left out: compared (for an unlabelled
/// container) only where the command line sets them.
const FILLED_BY_ENGINE: &[&str] = &[
    "Hostname",
    "Domainname",
    "MacAddress",
    "HostConfig.LogConfig",
    "HostConfig.CgroupnsMode",
    "HostConfig.IpcMode",
    "HostConfig.ShmSize",
    "HostConfig.Runtime",
    "HostConfig.MaskedPaths",
    "HostConfig.ReadonlyPaths",
    "HostConfig.Isolation",
];

/// A create body reduced to what changes the container's behaviour, in a canonical form.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Normalised(Value);

impl Normalised {
    /// Normalise the body a command line produced.
    #[must_use]
    pub fn from_body(body: &CreateBody) -> Self {
        // A `CreateBody` is plain data with string keys: it always serialises.
        let value = serde_json::to_value(body).unwrap_or(Value::Null);
        Normalised(normalise(value))
    }

    /// Normalise a body in the API's JSON shape (an engine's inspect data, or a recorded label:
    /// normalising again applies this version's rules to what an older version recorded).
    #[must_use]
    pub fn from_value(value: Value) -> Self {
        Normalised(normalise(value))
    }

    /// Read a `dockrun.spec` label recorded in `format`; `None` when it is not JSON.
    #[must_use]
    pub fn from_label(text: &str, format: u32) -> Option<Self> {
        serde_json::from_str(text)
            .ok()
            .map(|recorded| Self::from_value(upgrade(format, recorded)))
    }

    /// The compact JSON recorded in `dockrun.spec` (keys sorted).
    #[must_use]
    pub fn to_label(&self) -> String {
        self.0.to_string()
    }

    /// The `dockrun.spec-hash` of this spec run from the image `image_id`.
    #[must_use]
    pub fn hash(&self, image_id: &str) -> String {
        let mut hasher = Sha256::new();
        hasher.update(self.to_label().as_bytes());
        hasher.update(b"\n");
        hasher.update(image_id.as_bytes());
        let digest = hasher.finalize();
        format!("sha256:{}", hex::encode(digest))
    }

    /// The normalised JSON.
    #[must_use]
    pub fn value(&self) -> &Value {
        &self.0
    }
}

/// What an existing container says about how it was made.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Record {
    /// dockrun created it: its `dockrun.spec-hash` and `dockrun.spec` labels.
    Labelled {
        /// `dockrun.spec-hash`.
        hash: String,
        /// `dockrun.spec`, if present.
        spec: Option<String>,
        /// `dockrun.spec-format` (1 when absent; `u32::MAX` when unreadable: newer than any).
        format: u32,
    },
    /// Something else created it: its inspect data in the create body's shape (`Config` with
    /// `HostConfig` inside).
    Foreign(Value),
}

/// One field that differs: `env A: 1 → 2`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Difference {
    /// The field, named as the user knows it where possible (`env A`, `image`, `command`).
    pub field: String,
    /// What the container has (`None`: not set).
    pub old: Option<String>,
    /// What the command line asks for (`None`: not set).
    pub new: Option<String>,
}

impl fmt::Display for Difference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let show = |v: &Option<String>| v.clone().unwrap_or_else(|| "(unset)".to_owned());
        write!(
            f,
            "{}: {} → {}",
            self.field,
            show(&self.old),
            show(&self.new)
        )
    }
}

/// The outcome of comparing an existing container with the command line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Drift {
    /// It is what the command line asks for.
    Same,
    /// dockrun created it from a different spec: these fields differ (never empty).
    Changed(Vec<Difference>),
    /// dockrun did not create it: these differences were found among the fields its inspect
    /// data can show (maybe none; fields it inherits from its image cannot all be checked).
    UnknownOrigin(Vec<Difference>),
}

impl Drift {
    /// Whether a difference is known (what `--recreate changed` acts on).
    #[must_use]
    pub fn differs(&self) -> bool {
        match self {
            Drift::Same => false,
            Drift::Changed(found) | Drift::UnknownOrigin(found) => !found.is_empty(),
        }
    }

    /// The differences found.
    #[must_use]
    pub fn differences(&self) -> &[Difference] {
        match self {
            Drift::Same => &[],
            Drift::Changed(found) | Drift::UnknownOrigin(found) => found,
        }
    }
}

/// Compare a container with the command line.
///
/// `new_image` is the image ID the command line's reference resolves to now, when it was
/// resolved (it costs a request); `old_image` is the ID the container was created from.
#[must_use]
pub fn compare(
    desired: &Normalised,
    new_image: Option<&str>,
    record: &Record,
    old_image: &str,
) -> Drift {
    match record {
        Record::Labelled { hash, spec, format } => {
            // The fast path: same spec and same image give the same hash.
            if *hash == desired.hash(new_image.unwrap_or(old_image)) {
                return Drift::Same;
            }
            let recorded = spec
                .as_deref()
                .and_then(|s| Normalised::from_label(s, *format));
            let mut found = match recorded {
                Some(recorded) => differences(recorded.value(), desired.value()),
                None => vec![Difference {
                    field: "spec (its `dockrun.spec` label is missing or unreadable)".into(),
                    old: Some(hash.clone()),
                    new: Some(desired.hash(new_image.unwrap_or(old_image))),
                }],
            };
            add_image_id(&mut found, old_image, new_image);
            if found.is_empty() {
                // Recorded by a version that normalised differently, or the tag moved between
                // resolving and creating: the fields and the image agree, so nothing differs.
                Drift::Same
            } else {
                Drift::Changed(found)
            }
        }
        Record::Foreign(inspected) => {
            let observed = Normalised::from_value(inspected.clone());
            let (old, new) = comparable(observed.value(), desired.value());
            let mut found = differences(&old, &new);
            add_image_id(&mut found, old_image, new_image);
            Drift::UnknownOrigin(found)
        }
    }
}

/// `sha256:0123456789ab…`: enough of an image ID (or digest) to tell two apart.
#[must_use]
pub fn short_id(id: &str) -> String {
    let hex = id.strip_prefix("sha256:").unwrap_or(id);
    // Cut at the 13th character, not byte: the ID is the engine's text, not always hex.
    match hex.char_indices().nth(12) {
        Some((cut, _)) => format!("sha256:{}…", &hex[..cut]),
        None => id.to_owned(),
    }
}

/// Name a changed image ID: folded into the `image` difference when the reference changed too.
fn add_image_id(found: &mut Vec<Difference>, old_image: &str, new_image: Option<&str>) {
    let Some(new_image) = new_image else { return };
    if new_image == old_image {
        return;
    }
    if let Some(reference) = found.iter_mut().find(|d| d.field == "image") {
        let with_id = |r: &Option<String>, id: &str| {
            Some(format!(
                "{} ({})",
                r.as_deref().unwrap_or("(unset)"),
                short_id(id)
            ))
        };
        reference.old = with_id(&reference.old, old_image);
        reference.new = with_id(&reference.new, new_image);
    } else {
        found.insert(
            0,
            Difference {
                field: "image".into(),
                old: Some(short_id(old_image)),
                new: Some(short_id(new_image)),
            },
        );
    }
}

/// Restrict an unlabelled container's data and the desired spec to what can be compared.
fn comparable(observed: &Value, desired: &Value) -> (Value, Value) {
    let mut old = observed.clone();
    let mut new = desired.clone();
    // Inspect data has no `NetworkingConfig` (it reports networks differently).
    remove_path(&mut new, "NetworkingConfig");
    for path in FROM_IMAGE.iter().chain(FILLED_BY_ENGINE) {
        if get_path(&new, path).is_none() {
            remove_path(&mut old, path);
        }
    }
    for path in MERGED_WITH_IMAGE {
        let wanted: Vec<String> = get_path(&new, path)
            .and_then(Value::as_object)
            .map(|m| m.keys().cloned().collect())
            .unwrap_or_default();
        if let Some(Value::Object(map)) = get_path_mut(&mut old, path) {
            map.retain(|k, _| wanted.contains(k));
            if map.is_empty() {
                remove_path(&mut old, path);
            }
        }
    }
    (old, new)
}

fn get_path<'a>(value: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.').try_fold(value, |v, key| v.get(key))
}

fn get_path_mut<'a>(value: &'a mut Value, path: &str) -> Option<&'a mut Value> {
    path.split('.').try_fold(value, |v, key| v.get_mut(key))
}

fn remove_path(value: &mut Value, path: &str) {
    let (parent, last) = match path.rsplit_once('.') {
        Some((parent, last)) => (get_path_mut(value, parent), last),
        None => (Some(value), path),
    };
    if let Some(Value::Object(map)) = parent {
        map.remove(last);
    }
}

/// The name a user knows a field by: `env A`, `label k`, `command`; otherwise the API's path
/// without `HostConfig.` (`Privileged`, `RestartPolicy.Name`).
fn field_name(path: &[String]) -> String {
    let Some((first, rest)) = path.split_first() else {
        return String::new();
    };
    let (head, rest) = match first.as_str() {
        "Env" => ("env", rest),
        "Labels" => ("label", rest),
        "Cmd" => ("command", rest),
        "Entrypoint" => ("entrypoint", rest),
        "Image" => ("image", rest),
        "Volumes" => ("volume", rest),
        "ExposedPorts" => ("expose", rest),
        "HostConfig" => match rest.split_first() {
            Some((second, rest)) => (second.as_str(), rest),
            None => ("HostConfig", rest),
        },
        other => (other, rest),
    };
    let mut name = head.to_owned();
    for part in rest {
        name.push(' ');
        name.push_str(part);
    }
    name
}

/// How a value reads in a difference: strings bare, anything else as compact JSON.
fn show(value: &Value) -> String {
    match value {
        Value::String(s) if !s.is_empty() => s.clone(),
        other => other.to_string(),
    }
}

/// Every leaf where `old` and `new` differ, objects compared key by key.
fn differences(old: &Value, new: &Value) -> Vec<Difference> {
    let mut found = Vec::new();
    walk(&mut Vec::new(), Some(old), Some(new), &mut found);
    found
}

fn walk(
    path: &mut Vec<String>,
    old: Option<&Value>,
    new: Option<&Value>,
    found: &mut Vec<Difference>,
) {
    let as_map = |v: Option<&Value>| match v {
        Some(Value::Object(m)) => Some(m.clone()),
        None => Some(Map::new()),
        Some(_) => None,
    };
    let either_is_map =
        matches!(old, Some(Value::Object(_))) || matches!(new, Some(Value::Object(_)));
    if either_is_map {
        if let (Some(old_map), Some(new_map)) = (as_map(old), as_map(new)) {
            let mut keys: Vec<&String> = old_map.keys().chain(new_map.keys()).collect();
            keys.sort();
            keys.dedup();
            for key in keys {
                path.push(key.clone());
                walk(path, old_map.get(key), new_map.get(key), found);
                path.pop();
            }
            return;
        }
    }
    if old != new {
        found.push(Difference {
            field: field_name(path),
            old: old.map(show),
            new: new.map(show),
        });
    }
}

/// docker's familiar form of an image reference: `docker.io/library/x` → `x:latest`.
fn familiar_image(image: &str) -> String {
    let mut name = image;
    for prefix in ["docker.io/", "index.docker.io/", "registry-1.docker.io/"] {
        if let Some(rest) = name.strip_prefix(prefix) {
            name = rest.strip_prefix("library/").unwrap_or(rest);
            break;
        }
    }
    let last = name.rsplit('/').next().unwrap_or(name);
    if name.contains('@') || last.contains(':') {
        name.to_owned()
    } else {
        format!("{name}:latest")
    }
}

/// The path pattern of a child: `parent.key`, `parent.*` inside a map, `parent[]` in a list.
fn child_path(parent: &str, key: &str) -> String {
    if parent.is_empty() {
        key.to_owned()
    } else {
        format!("{parent}.{key}")
    }
}

/// Normalise the API-shaped JSON of a create body (see the module comment).
fn normalise(mut value: Value) -> Value {
    for path in NOT_BEHAVIOUR {
        remove_path(&mut value, path);
    }
    if let Some(Value::Object(labels)) = get_path_mut(&mut value, "Labels") {
        labels.retain(|k, _| !k.starts_with(LABEL_PREFIX) || k == AUTO_UPDATE_LABEL);
    }
    if let Some(Value::String(image)) = get_path_mut(&mut value, "Image") {
        *image = familiar_image(image);
    }
    // `Env` is a list of `K=V`; the engine keeps the last value of each name.
    if let Some(env) = get_path_mut(&mut value, "Env") {
        if let Value::Array(items) = env {
            let mut map = Map::new();
            for item in items.iter().filter_map(Value::as_str) {
                match item.split_once('=') {
                    Some((k, v)) => map.insert(k.to_owned(), Value::String(v.to_owned())),
                    // `-e NAME` with NAME unset in the caller's environment: the engine
                    // removes NAME from the image's environment.
                    None => map.insert(item.to_owned(), Value::Null),
                };
            }
            *env = Value::Object(map);
        }
    }
    clean(value, "").unwrap_or(Value::Object(Map::new()))
}

/// Drop defaults, sort sets, recursively; `None` when nothing meaningful is left.
fn clean(value: Value, path: &str) -> Option<Value> {
    if is_written_out_default(path, &value) {
        return None;
    }
    match value {
        Value::Null => None,
        Value::Bool(b) => b.then_some(Value::Bool(true)),
        Value::String(s) => (!s.is_empty()).then_some(Value::String(s)),
        Value::Number(n) => {
            let zero = n.as_f64() == Some(0.0);
            (!zero || ZERO_MEANS_SOMETHING.contains(&path)).then_some(Value::Number(n))
        }
        Value::Array(items) => {
            let element_path = format!("{path}[]");
            // A list's scalar elements are data (`--entrypoint ""` sends `[""]`); only
            // structures in it (mounts, devices…) have defaults to drop.
            let mut items: Vec<Value> = items
                .into_iter()
                .filter_map(|item| match item {
                    Value::Object(_) | Value::Array(_) => clean(item, &element_path),
                    scalar => Some(scalar),
                })
                .collect();
            if !ORDERED.contains(&path) {
                items.sort_by_cached_key(Value::to_string);
                items.dedup();
            }
            (!items.is_empty()).then_some(Value::Array(items))
        }
        Value::Object(map) => {
            let is_map = MAPS.contains(&path);
            let drop_empty = !is_map || MAPS_DROPPING_EMPTY.contains(&path);
            let mut entries: Vec<(String, Value)> = map.into_iter().collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            let mut out = Map::new();
            for (key, child) in entries {
                let child_pattern = if is_map {
                    child_path(path, "*")
                } else {
                    child_path(path, &key)
                };
                let kept = if is_map && !matches!(child, Value::Object(_) | Value::Array(_)) {
                    // A map's scalar values are data: `-l k=` and `-e A=` mean something.
                    Some(child)
                } else {
                    let cleaned = clean(child, &child_pattern);
                    match cleaned {
                        None if is_map && !drop_empty => Some(Value::Object(Map::new())),
                        other => other,
                    }
                };
                if let Some(kept) = kept {
                    out.insert(key, kept);
                }
            }
            (!out.is_empty()).then_some(Value::Object(out))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::RawArgs;
    use crate::spec::ContainerSpec;

    fn body(args: &[&str]) -> CreateBody {
        let mut argv = vec!["dockrun"];
        argv.extend_from_slice(args);
        ContainerSpec::try_from(RawArgs::parse_from_argv(argv).expect("parses"))
            .expect("valid")
            .body
    }

    fn norm(args: &[&str]) -> Normalised {
        Normalised::from_body(&body(args))
    }

    const ID_A: &str = "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    const ID_B: &str = "sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";

    fn labelled(spec: &Normalised, image: &str) -> Record {
        Record::Labelled {
            hash: spec.hash(image),
            spec: Some(spec.to_label()),
            format: FORMAT,
        }
    }

    /// A command line written as one string (no argument holds a space).
    fn words(line: &str) -> Normalised {
        norm(&line.split_whitespace().collect::<Vec<_>>())
    }

    /// Each difference as the line a user reads.
    fn lines(drift: &Drift) -> Vec<String> {
        drift
            .differences()
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    #[test]
    fn equivalent_spellings_normalise_the_same() {
        let base = words("-d --name web -e A=1 -e B=2 -l x=1 -l y=2 -p 8080:80 -v /anon -v vol:/data img sleep 60");
        let spellings = [
            // flag order, `--name=x`, env and label order, attached spellings
            "-l y=2 --name=web -eB=2 --env=A=1 -d --label=x=1 -v vol:/data --publish 8080:80 -v /anon img sleep 60",
            // defaults written out
            "-d --name web -e A=1 -e B=2 -l x=1 -l y=2 -p 8080:80 -v /anon -v vol:/data --restart no \
             --privileged=false --network default --read-only=false --tty=false --pull missing \
             --init=false docker.io/library/img:latest sleep 60",
            // foreground instead of -d: only the attach fields differ
            "--name web -e A=1 -e B=2 -l x=1 -l y=2 -p 8080:80 -v /anon -v vol:/data img sleep 60",
            // the same env var given twice: the last value wins, as in the engine
            "-d --name web -e A=0 -e A=1 -e B=2 -l x=1 -l y=2 -p 8080:80 -v /anon -v vol:/data img sleep 60",
        ];
        for line in spellings {
            let other = words(line);
            assert_eq!(
                other.value(),
                base.value(),
                "{line}: {:?}",
                differences(base.value(), other.value())
            );
            assert_eq!(other.hash(ID_A), base.hash(ID_A));
            assert_eq!(
                compare(&other, Some(ID_A), &labelled(&base, ID_A), ID_A),
                Drift::Same
            );
        }
    }

    /// Pairs of spellings of one spec, flag by flag. Each side must parse and validate: a pair
    /// `spec` refuses fails here rather than being skipped (a skipped pair proves nothing).
    #[test]
    fn flag_spellings_are_equivalent() {
        let pairs = [
            ("--memory 1g", "--memory 1024m"),
            ("--cpus 1", "--cpus 1.0"),
            ("--memory-swappiness -1", ""),
            ("--pids-limit -1", ""),
            ("--pids-limit 0", ""),
            ("--oom-kill-disable=false", ""),
            ("--shm-size 64m", "--shm-size 67108864"),
            (
                "--cap-add NET_ADMIN --cap-add SYS_TIME",
                "--cap-add sys_time --cap-add net_admin",
            ),
            (
                "--dns-option x --dns-option y",
                "--dns-option y --dns-option x",
            ),
            (
                "--add-host a:1.2.3.4 --add-host b:1.2.3.5",
                "--add-host b:1.2.3.5 --add-host a:1.2.3.4",
            ),
            ("-p 80:80 -p 81:81", "-p 81:81 -p 80:80"),
            ("-p 80:80", "-p 80:80/tcp"),
            ("--expose 80", "--expose 80/tcp"),
            ("--restart no", ""),
            ("--restart on-failure:0", "--restart on-failure"),
            (
                "--security-opt no-new-privileges --security-opt label=disable",
                "--security-opt label=disable --security-opt no-new-privileges",
            ),
            (
                "--sysctl net.ipv4.ip_forward=1 --sysctl net.core.somaxconn=1024",
                "--sysctl net.core.somaxconn=1024 --sysctl net.ipv4.ip_forward=1",
            ),
            (
                "--health-cmd true --health-interval 30s",
                "--health-cmd true --health-interval 30000ms",
            ),
            (
                "--mount type=volume,dst=/x",
                "--mount type=volume,target=/x",
            ),
            ("-v /a -v /b", "-v /b -v /a"),
            (
                "--group-add 10 --group-add 20",
                "--group-add 20 --group-add 10",
            ),
            ("--network host", "--net host"),
            ("--hostname h", "-h h"),
            ("--workdir /w", "-w /w"),
            (
                "--ulimit nofile=10:20 --ulimit nproc=5",
                "--ulimit nproc=5 --ulimit nofile=10:20",
            ),
            (
                "--device /dev/null --device /dev/zero",
                "--device /dev/zero --device /dev/null",
            ),
            ("--label-file /dev/null", ""),
        ];
        let parse = |flags: &str| {
            let mut argv = vec!["dockrun", "--name", "web"];
            argv.extend(flags.split_whitespace());
            argv.push("img");
            let raw = RawArgs::parse_from_argv(argv)
                .unwrap_or_else(|err| panic!("`{flags}` does not parse: {err}"));
            let spec = ContainerSpec::try_from(raw)
                .unwrap_or_else(|err| panic!("`{flags}` is refused: {err}"));
            Normalised::from_body(&spec.body)
        };
        for (a, b) in pairs {
            let (left, right) = (parse(a), parse(b));
            assert_eq!(
                left.value(),
                right.value(),
                "`{a}` vs `{b}`: {:?}",
                differences(left.value(), right.value())
            );
        }
    }

    #[test]
    fn behaviour_changes_are_named_old_to_new() {
        let old = words("-d --name web -e A=1 -l k= img sleep 60");
        let new = words("-d --name web -e A=2 -e B= --privileged img:2 sleep 61");
        let drift = compare(&new, None, &labelled(&old, ID_A), ID_A);
        assert_eq!(
            lines(&drift),
            [
                "command: [\"sleep\",\"60\"] → [\"sleep\",\"61\"]",
                "env A: 1 → 2",
                "env B: (unset) → \"\"",
                "Privileged: (unset) → true",
                "image: img:latest → img:2",
                "label k: \"\" → (unset)",
            ]
        );
        assert!(matches!(drift, Drift::Changed(_)));
    }

    #[test]
    fn zero_defaults_and_meaningful_zeros() {
        assert_ne!(
            norm(&["--name", "web", "--stop-timeout", "0", "img"]),
            norm(&["--name", "web", "img"])
        );
        assert_ne!(
            norm(&["--name", "web", "--tmpfs", "/t", "img"]),
            norm(&["--name", "web", "img"])
        );
        assert_ne!(
            norm(&["--name", "web", "-e", "A=", "img"]),
            norm(&["--name", "web", "img"])
        );
        assert_ne!(
            norm(&["--name", "web", "--entrypoint", "", "img"]).value(),
            norm(&["--name", "web", "img"]).value(),
            "an empty entrypoint resets the image's"
        );
        assert_ne!(
            norm(&["--name", "web", "img", "a", "b"]),
            norm(&["--name", "web", "img", "b", "a"]),
            "the command's order matters"
        );
        assert_ne!(
            norm(&["--name", "web", "--dns", "1.1.1.1", "--dns", "8.8.8.8", "img"]),
            norm(&["--name", "web", "--dns", "8.8.8.8", "--dns", "1.1.1.1", "img"]),
            "resolvers are tried in order"
        );
    }

    #[test]
    fn every_map_in_the_body_keeps_empty_values() {
        // A JSON body with every map of `spec::body` holding `"k": ""`: none of them may lose
        // the entry (a map added to `body.rs` must be added to `MAPS`).
        let text = r#"{
            "ExposedPorts": {"80/tcp": {}}, "Volumes": {"/v": {}}, "Labels": {"k": ""},
            "HostConfig": {
                "PortBindings": {"80/tcp": null}, "Annotations": {"k": ""},
                "StorageOpt": {"k": ""}, "Tmpfs": {"/t": ""}, "Sysctls": {"k": ""},
                "LogConfig": {"Config": {"k": ""}},
                "Mounts": [{"VolumeOptions": {"Labels": {"k": ""},
                            "DriverConfig": {"Options": {"k": ""}}}}],
                "DeviceRequests": [{"Options": {"k": ""}}]
            },
            "NetworkingConfig": {"EndpointsConfig": {"n": {"DriverOpts": {"k": ""}}}}
        }"#;
        let value: Value = serde_json::from_str(text).expect("json");
        let kept = Normalised::from_value(value.clone());
        // Round-trip through `CreateBody`: every map is a real field of the body.
        let typed: CreateBody = serde_json::from_value(value.clone()).expect("a body");
        assert_eq!(Normalised::from_body(&typed), kept);
        // Nothing lost: the input was already normal.
        assert_eq!(kept.value(), &value);
    }

    #[test]
    fn dockrun_labels_are_not_part_of_the_spec() {
        let mut b = body(&["--name", "web", "-l", "a=1", "img"]);
        let plain = Normalised::from_body(&b);
        b.labels
            .get_or_insert_with(Default::default)
            .insert(HASH_LABEL.into(), "x".into());
        assert_eq!(Normalised::from_body(&b), plain);
    }

    #[test]
    fn label_round_trip_and_hash_covers_the_image() {
        let spec = norm(&["--name", "web", "-e", "A=1", "img"]);
        assert_eq!(
            Normalised::from_label(&spec.to_label(), FORMAT),
            Some(spec.clone())
        );
        assert_ne!(spec.hash(ID_A), spec.hash(ID_B));
        assert!(spec.hash(ID_A).starts_with("sha256:") && spec.hash(ID_A).len() == 71);
    }

    #[test]
    fn a_moved_tag_is_drift_only_when_resolved() {
        let spec = norm(&["--name", "web", "img"]);
        let record = labelled(&spec, ID_A);
        assert_eq!(compare(&spec, None, &record, ID_A), Drift::Same);
        assert_eq!(compare(&spec, Some(ID_A), &record, ID_A), Drift::Same);
        let drift = compare(&spec, Some(ID_B), &record, ID_A);
        assert_eq!(
            drift.differences()[0].to_string(),
            "image: sha256:aaaaaaaaaaaa… → sha256:bbbbbbbbbbbb…"
        );
        // A new reference and a new ID read as one difference.
        let moved = norm(&["--name", "web", "img:2"]);
        let drift = compare(&moved, Some(ID_B), &record, ID_A);
        assert_eq!(
            lines(&drift),
            ["image: img:latest (sha256:aaaaaaaaaaaa…) → img:2 (sha256:bbbbbbbbbbbb…)"]
        );
    }

    #[test]
    fn every_shipped_format_is_read_like_this_one() {
        let spec = words("--name web -e A=1 -p 80:80 --restart always img sleep 60");
        for format in 1..=FORMAT {
            let recorded = |image: &str| Record::Labelled {
                hash: spec.hash(image),
                spec: Some(spec.to_label()),
                format,
            };
            // The same spec and image: the hash alone says so.
            assert_eq!(
                compare(&spec, Some(ID_A), &recorded(ID_A), ID_A),
                Drift::Same
            );
            // Hashed with another image than the container's (a tag moved between resolving and
            // creating): the fields agree, so nothing differs.
            assert_eq!(compare(&spec, None, &recorded(ID_B), ID_A), Drift::Same);
            let changed = words("--name web -e A=2 -p 80:80 --restart always img sleep 60");
            assert_eq!(
                lines(&compare(&changed, None, &recorded(ID_A), ID_A)),
                ["env A: 1 → 2"],
                "format {format}"
            );
        }
        // A format newer than this dockrun knows is read as it is, its fields compared.
        let newer = Record::Labelled {
            hash: "sha256:from-a-newer-dockrun".into(),
            spec: Some(spec.to_label()),
            format: u32::MAX,
        };
        assert_eq!(compare(&spec, None, &newer, ID_A), Drift::Same);
    }

    /// The labels dockrun 1ad0447 (format 1) put on the containers of the upgrade fixture's
    /// corpus lines (`tests/upgrade/`, recorded by that build): this version reads the same spec
    /// from the same command line, to the byte, so even the hash is the same.
    #[test]
    fn containers_of_dockrun_1ad0447_are_the_same_spec() {
        let fixture: Value =
            serde_json::from_str(include_str!("../tests/upgrade/labels-1ad0447.json"))
                .expect("fixture");
        let image = fixture["image"].as_str().expect("image");
        let image_id = fixture["image_id"].as_str().expect("image_id");
        let cmd: Vec<&str> = fixture["cmd"]
            .as_array()
            .expect("cmd")
            .iter()
            .filter_map(Value::as_str)
            .collect();
        let containers = fixture["containers"].as_array().expect("containers");
        assert!(containers.len() > 100, "{} containers", containers.len());
        for entry in containers {
            let labels = &entry["labels"];
            let recorded = labels[SPEC_LABEL].as_str().expect("spec label");
            let recorded_env =
                serde_json::from_str::<Value>(recorded).expect("spec JSON")["Env"].clone();
            // `-e NAME` takes NAME's value from the environment dockrun runs in: the fixture's
            // recorder's (its PATH, its TERM), not this test's. Give it the recorded value.
            let given: Vec<&str> = entry["argv"]
                .as_array()
                .expect("argv")
                .iter()
                .filter_map(Value::as_str)
                .collect();
            let argv: Vec<String> = given
                .iter()
                .enumerate()
                .map(|(i, &arg)| {
                    let after_env = i > 0 && matches!(given[i - 1], "-e" | "--env");
                    match recorded_env.get(arg).and_then(Value::as_str) {
                        Some(value) if after_env => format!("{arg}={value}"),
                        _ => arg.to_owned(),
                    }
                })
                .collect();
            let mut args = vec!["--name", "upgraded"];
            args.extend(argv.iter().map(String::as_str));
            args.push(image);
            args.extend(&cmd);
            let desired = norm(&args);
            assert!(
                labels.get(FORMAT_LABEL).is_none(),
                "format 1 has no format label"
            );
            let record = Record::Labelled {
                hash: labels[HASH_LABEL].as_str().expect("hash label").to_owned(),
                spec: Some(recorded.to_owned()),
                format: 1,
            };
            let line = entry["line"].as_str().unwrap_or_default();
            assert_eq!(desired.to_label(), recorded, "{line}: the spec changed");
            assert_eq!(
                compare(&desired, Some(image_id), &record, image_id),
                Drift::Same,
                "{line}"
            );
        }
    }

    #[test]
    fn unreadable_record_still_reports_a_difference() {
        let spec = norm(&["--name", "web", "img"]);
        let record = Record::Labelled {
            hash: "sha256:00".into(),
            spec: None,
            format: FORMAT,
        };
        assert!(compare(&spec, None, &record, ID_A).differs());
    }

    #[test]
    fn foreign_containers_are_compared_where_inspect_data_allows() {
        // Roughly what the engine reports for `docker run -d --name web -e A=1 img sleep 60`:
        // the image's PATH merged into Env, engine-filled host settings.
        let inspected: Value = serde_json::from_str(
            r#"{"Hostname": "9f7993609da1", "AttachStdout": true, "Env": ["A=1", "PATH=/bin"],
                "Cmd": ["sleep", "60"], "Image": "img", "Labels": {"from.image": "x"},
                "WorkingDir": "/w",
                "HostConfig": {"LogConfig": {"Type": "json-file", "Config": {}},
                  "NetworkMode": "default", "PortBindings": {},
                  "RestartPolicy": {"Name": "no", "MaximumRetryCount": 0},
                  "CgroupnsMode": "host", "IpcMode": "private", "ShmSize": 67108864,
                  "Runtime": "runc", "ConsoleSize": [0, 0], "MemorySwappiness": null,
                  "PidsLimit": null, "MaskedPaths": ["/proc/acpi"], "Privileged": false}}"#,
        )
        .expect("json");
        let record = Record::Foreign(inspected);
        let same = norm(&["-d", "--name", "web", "-e", "A=1", "img", "sleep", "60"]);
        assert_eq!(
            compare(&same, None, &record, ID_A),
            Drift::UnknownOrigin(vec![])
        );
        assert!(!compare(&same, None, &record, ID_A).differs());
        let changed = words("-d --name web -e A=2 --privileged img sleep 60");
        let drift = compare(&changed, None, &record, ID_A);
        assert_eq!(
            lines(&drift),
            ["env A: 1 → 2", "Privileged: (unset) → true"]
        );
    }

    #[test]
    fn familiar_image_forms() {
        assert_eq!(familiar_image("busybox"), "busybox:latest");
        assert_eq!(
            familiar_image("docker.io/library/busybox"),
            "busybox:latest"
        );
        assert_eq!(familiar_image("docker.io/me/app:1"), "me/app:1");
        assert_eq!(
            familiar_image("127.0.0.1:5000/x"),
            "127.0.0.1:5000/x:latest"
        );
        assert_eq!(familiar_image("x@sha256:abc"), "x@sha256:abc");
    }
}
