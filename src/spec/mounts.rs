//! `-v`/`--volume`, `--mount`, `--tmpfs` and `--storage-opt`: which storage the container gets.
//!
//! As the docker CLI does, a `-v` value with a source (`src:dst[:mode]`) goes to `Binds` verbatim,
//! except that a source starting with `.` is made absolute; one without (`/data`) is an anonymous
//! volume in `Config.Volumes`. The daemon decides bind (absolute source) vs named volume and checks
//! the mode, so dockrun does not second-guess it here.

use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};

use super::body::{
    BindOptions, DriverConfig, Empty, ImageOptions, Mount, TmpfsOptions, VolumeOptions,
};
use super::SpecError;

/// The storage asked for with `-v`.
#[derive(Debug, Default)]
pub struct Volumes {
    /// `HostConfig.Binds`, in the order given, duplicates removed.
    pub binds: Vec<String>,
    /// `Config.Volumes`: anonymous volumes by container path.
    pub anonymous: BTreeMap<String, Empty>,
}

/// `filepath.Abs`: join with the working directory and clean `.`/`..` lexically.
fn absolute(flag: &'static str, path: &str) -> Result<String, SpecError> {
    let cwd = std::env::current_dir().map_err(|source| SpecError::File {
        flag,
        path: ".".into(),
        source,
    })?;
    Ok(absolute_in(&cwd, path))
}

/// `filepath.Join(base, path)` for a relative `path` (an absolute one is only cleaned), with
/// `.`/`..` cleaned lexically, as `filepath.Abs` does against the working directory.
#[must_use]
pub fn absolute_in(base: &Path, path: &str) -> String {
    let mut out = PathBuf::new();
    for component in base.join(Path::new(path)).components() {
        match component {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other.as_os_str()),
        }
    }
    out.display().to_string()
}

/// Parse every `-v` value.
///
/// # Errors
/// An empty value, or a working directory that cannot be read for a relative source.
pub fn parse_volumes(specs: &[String]) -> Result<Volumes, SpecError> {
    let mut out = Volumes::default();
    for spec in specs {
        if spec.is_empty() {
            return Err(SpecError::invalid(
                "--volume",
                spec,
                "empty volume specification",
            ));
        }
        match spec.split_once(':') {
            None => {
                out.anonymous.insert(spec.clone(), Empty {});
            }
            Some((source, rest)) => {
                let bind = if source.starts_with('.') {
                    format!("{}:{rest}", absolute("--volume", source)?)
                } else {
                    spec.clone()
                };
                if !out.binds.contains(&bind) {
                    out.binds.push(bind);
                }
            }
        }
    }
    Ok(out)
}

/// Parse every `--tmpfs path[:opts]` (same path again: last wins).
///
/// # Errors
/// An empty path.
pub fn parse_tmpfs(specs: &[String]) -> Result<BTreeMap<String, String>, SpecError> {
    let mut out = BTreeMap::new();
    for spec in specs {
        let (path, opts) = spec.split_once(':').unwrap_or((spec.as_str(), ""));
        if path.is_empty() {
            return Err(SpecError::invalid("--tmpfs", spec, "no mount path"));
        }
        out.insert(path.to_owned(), opts.to_owned());
    }
    Ok(out)
}

/// Go's `strconv.ParseBool`.
fn go_bool(text: &str) -> Option<bool> {
    match text {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Some(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Some(false),
        _ => None,
    }
}

/// docker creates the volume options with empty labels and an empty driver config at once.
fn volume_options(v: &mut Option<VolumeOptions>) -> &mut VolumeOptions {
    v.get_or_insert_with(|| VolumeOptions {
        labels: Some(BTreeMap::new()),
        driver_config: Some(DriverConfig::default()),
        ..VolumeOptions::default()
    })
}

/// Parse one `--mount` value (docker/cli `opts/mount.go`).
fn parse_mount(value: &str) -> Result<Mount, SpecError> {
    let bad = |why: String| SpecError::invalid("--mount", value, why);
    let mut mount = Mount {
        typ: Some("volume".into()),
        ..Mount::default()
    };
    let mut bind: Option<BindOptions> = None;
    let mut volume: Option<VolumeOptions> = None;
    let mut image: Option<ImageOptions> = None;
    let mut tmpfs: Option<TmpfsOptions> = None;
    let bool_of = |key: &str, val: &str| {
        go_bool(val).ok_or_else(|| bad(format!("invalid value for {key}: {val}")))
    };
    let set_on_map = |map: &mut Option<BTreeMap<String, String>>, val: &str| {
        let (k, v) = val.split_once('=').unwrap_or((val, ""));
        if !k.is_empty() {
            map.get_or_insert_with(BTreeMap::new)
                .insert(k.to_owned(), v.to_owned());
        }
    };
    for field in super::network::csv_fields("--mount", value)? {
        let (key, val) = match field.split_once('=') {
            Some((k, v)) => (k.to_lowercase(), Some(v)),
            None => (field.to_lowercase(), None),
        };
        let Some(val) = val else {
            match key.as_str() {
                "readonly" | "ro" => mount.read_only = Some(true),
                "volume-nocopy" => volume_options(&mut volume).no_copy = Some(true),
                "bind-nonrecursive" => {
                    bind.get_or_insert_with(BindOptions::default).non_recursive = Some(true);
                }
                _ => {
                    return Err(bad(format!(
                        "invalid field `{field}`: must be a key=value pair"
                    )))
                }
            }
            continue;
        };
        match key.as_str() {
            "type" => mount.typ = Some(val.to_lowercase()),
            "source" | "src" => {
                mount.source = Some(if val.starts_with('.') {
                    absolute("--mount", val)?
                } else {
                    val.to_owned()
                });
            }
            "target" | "dst" | "destination" => mount.target = Some(val.to_owned()),
            "readonly" | "ro" => mount.read_only = Some(bool_of(&key, val)?),
            "consistency" => mount.consistency = Some(val.to_lowercase()),
            "bind-propagation" => {
                bind.get_or_insert_with(BindOptions::default).propagation =
                    Some(val.to_lowercase());
            }
            "bind-nonrecursive" => {
                bind.get_or_insert_with(BindOptions::default).non_recursive =
                    Some(bool_of(&key, val)?);
            }
            "bind-recursive" => {
                // `enabled` is the default: docker sets nothing, not even empty bind options.
                match val {
                    "enabled" => {}
                    "disabled" => {
                        bind.get_or_insert_with(BindOptions::default).non_recursive = Some(true);
                    }
                    "writable" => {
                        bind.get_or_insert_with(BindOptions::default)
                            .read_only_non_recursive = Some(true);
                    }
                    "readonly" => {
                        bind.get_or_insert_with(BindOptions::default)
                            .read_only_force_recursive = Some(true);
                    }
                    _ => {
                        return Err(bad(format!(
                            "invalid value for bind-recursive: {val} (must be \"enabled\", \"disabled\", \"writable\", or \"readonly\")"
                        )))
                    }
                }
            }
            "volume-subpath" => volume_options(&mut volume).subpath = Some(val.to_owned()),
            "volume-nocopy" => volume_options(&mut volume).no_copy = Some(bool_of(&key, val)?),
            "volume-label" => set_on_map(&mut volume_options(&mut volume).labels, val),
            "volume-driver" => {
                volume_options(&mut volume)
                    .driver_config
                    .get_or_insert_with(DriverConfig::default)
                    .name = Some(val.to_owned());
            }
            "volume-opt" => {
                let driver = volume_options(&mut volume)
                    .driver_config
                    .get_or_insert_with(DriverConfig::default);
                set_on_map(&mut driver.options, val);
            }
            "image-subpath" => {
                image.get_or_insert_with(ImageOptions::default).subpath = Some(val.to_owned());
            }
            "tmpfs-size" => {
                let size = super::units::ram_in_bytes(val)
                    .map_err(|e| bad(format!("invalid value for tmpfs-size: {e}")))?;
                tmpfs.get_or_insert_with(TmpfsOptions::default).size_bytes = Some(size);
            }
            "tmpfs-mode" => {
                let mode = u32::from_str_radix(val, 8)
                    .map_err(|_| bad(format!("invalid value for tmpfs-mode: {val}")))?;
                tmpfs.get_or_insert_with(TmpfsOptions::default).mode = Some(i64::from(mode));
            }
            _ => return Err(bad(format!("unexpected key `{key}` in `{field}`"))),
        }
    }
    let typ = mount.typ.clone().unwrap_or_default();
    if typ.is_empty() {
        return Err(bad("type is required".into()));
    }
    if mount.target.as_deref().unwrap_or_default().is_empty() {
        return Err(bad("target is required".into()));
    }
    for (present, kind, keys) in [
        (volume.is_some(), "volume", "volume-*"),
        (image.is_some(), "image", "image-*"),
        (bind.is_some(), "bind", "bind-*"),
        (tmpfs.is_some(), "tmpfs", "tmpfs-*"),
    ] {
        if present && typ != kind {
            return Err(bad(format!(
                "cannot mix `{keys}` options with mount type `{typ}`"
            )));
        }
    }
    if let Some(b) = &bind {
        let read_only = mount.read_only == Some(true);
        if b.read_only_non_recursive == Some(true) && !read_only {
            return Err(bad(
                "option `bind-recursive=writable` requires `readonly` to be specified in conjunction".into(),
            ));
        }
        if b.read_only_force_recursive == Some(true) {
            if !read_only {
                return Err(bad("option `bind-recursive=readonly` requires `readonly` to be specified in conjunction".into()));
            }
            if b.propagation.as_deref() != Some("rprivate") {
                return Err(bad("option `bind-recursive=readonly` requires `bind-propagation=rprivate` to be specified in conjunction".into()));
            }
        }
    }
    mount.bind_options = bind;
    mount.volume_options = volume;
    mount.image_options = image;
    mount.tmpfs_options = tmpfs;
    Ok(mount)
}

/// Parse every `--mount` value, in order.
///
/// # Errors
/// Bad CSV, an unknown key, a missing target, options of another mount type, a bad value.
pub fn parse_mounts(specs: &[String]) -> Result<Option<Vec<Mount>>, SpecError> {
    if specs.is_empty() {
        return Ok(None);
    }
    specs
        .iter()
        .map(|s| parse_mount(s))
        .collect::<Result<_, _>>()
        .map(Some)
}

/// Parse every `--storage-opt key=value` (last value of a key wins).
///
/// # Errors
/// A value without `=`.
pub fn parse_storage_opts(specs: &[String]) -> Result<Option<BTreeMap<String, String>>, SpecError> {
    if specs.is_empty() {
        return Ok(None);
    }
    let mut out = BTreeMap::new();
    for spec in specs {
        let (k, v) = spec.split_once('=').ok_or_else(|| {
            SpecError::invalid(
                "--storage-opt",
                spec,
                "invalid storage option: expected `key=value`",
            )
        })?;
        out.insert(k.to_owned(), v.to_owned());
    }
    Ok(Some(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn volumes() {
        let v = parse_volumes(&[
            "/anon".into(),
            "named:/data".into(),
            "/host:/c:ro".into(),
            "named:/data".into(),
        ])
        .expect("ok");
        assert_eq!(v.binds, vec!["named:/data", "/host:/c:ro"]);
        assert!(v.anonymous.contains_key("/anon"));
        let v = parse_volumes(&["./x/../y:/c".into()]).expect("ok");
        let cwd = std::env::current_dir().expect("cwd");
        assert_eq!(v.binds, vec![format!("{}/y:/c", cwd.display())]);
        assert!(parse_volumes(&[String::new()]).is_err());
    }

    #[test]
    fn tmpfs() {
        let t = parse_tmpfs(&["/run:size=1m".into(), "/tmp".into(), "/run:size=2m".into()])
            .expect("ok");
        assert_eq!(t.get("/run").map(String::as_str), Some("size=2m"));
        assert_eq!(t.get("/tmp").map(String::as_str), Some(""));
    }

    fn one(value: &str) -> Result<Mount, SpecError> {
        parse_mount(value)
    }

    #[test]
    fn mount_defaults_and_aliases() {
        let m = one("TYPE=BIND,SRC=/a,DST=/b,ro").expect("ok");
        assert_eq!(m.typ.as_deref(), Some("bind"));
        assert_eq!(
            (m.source.as_deref(), m.target.as_deref()),
            (Some("/a"), Some("/b"))
        );
        assert_eq!(m.read_only, Some(true));
        let m = one("destination=/d").expect("ok");
        assert_eq!(m.typ.as_deref(), Some("volume"));
        assert_eq!(m.source, None);
        let m = one("type=bind,source=./x,target=/x,readonly=false").expect("ok");
        let cwd = std::env::current_dir().expect("cwd");
        assert_eq!(m.source, Some(format!("{}/x", cwd.display())));
        assert_eq!(m.read_only, Some(false));
    }

    #[test]
    fn mount_csv_quotes_protect_commas() {
        let m = one("type=bind,\"src=/a,b\",dst=/c").expect("ok");
        assert_eq!(m.source.as_deref(), Some("/a,b"));
        let m = one("type=volume,dst=/v,\"volume-opt=o=addr=1,rw\",volume-label=k=v,volume-nocopy")
            .expect("ok");
        let v = m.volume_options.expect("volume options");
        assert_eq!(v.no_copy, Some(true));
        assert_eq!(v.labels.expect("labels")["k"], "v");
        assert_eq!(
            v.driver_config.expect("driver").options.expect("opts")["o"],
            "addr=1,rw"
        );
    }

    #[test]
    fn mount_options_by_type() {
        let m = one("type=tmpfs,dst=/t,tmpfs-size=64m,tmpfs-mode=1770").expect("ok");
        let t = m.tmpfs_options.expect("tmpfs");
        assert_eq!((t.size_bytes, t.mode), (Some(64 << 20), Some(1016)));
        let m = one("type=bind,src=/a,dst=/b,bind-propagation=RSHARED,bind-recursive=disabled")
            .expect("ok");
        let b = m.bind_options.expect("bind");
        assert_eq!(b.propagation.as_deref(), Some("rshared"));
        assert_eq!(b.non_recursive, Some(true));
        let m = one("type=volume,dst=/v,volume-driver=local,volume-subpath=sub").expect("ok");
        let v = m.volume_options.expect("volume");
        assert_eq!(v.subpath.as_deref(), Some("sub"));
        assert_eq!(
            v.driver_config.expect("driver").name.as_deref(),
            Some("local")
        );
        let m = one("type=bind,src=/a,dst=/b,ro,bind-recursive=readonly,bind-propagation=rprivate")
            .expect("ok");
        assert_eq!(
            m.bind_options.expect("bind").read_only_force_recursive,
            Some(true)
        );
        let m = one("type=volume,dst=/v,bind-recursive=enabled").expect("ok");
        assert_eq!(m.bind_options, None);
    }

    #[test]
    fn mount_refusals() {
        for bad in [
            "",
            "src=/a",
            "type=,dst=/a",
            "type=bind,dst=/a,bogus=1",
            "type=bind,dst=/a,nokey",
            "type=bind,dst=/a,ro=",
            "type=bind,dst=/a,readonly=yes",
            "type=volume,dst=/a,bind-propagation=shared",
            "type=bind,dst=/a,volume-nocopy",
            "type=bind,dst=/a,tmpfs-size=1m",
            "type=tmpfs,dst=/a,tmpfs-size=1q",
            "type=tmpfs,dst=/a,tmpfs-mode=9",
            "type=bind,src=/a,dst=/b,bind-recursive=writable",
            "type=bind,src=/a,dst=/b,ro,bind-recursive=readonly",
            "type=bind,src=/a,dst=/b,bind-recursive=sometimes",
        ] {
            assert!(one(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn storage_opts() {
        let s = parse_storage_opts(&["size=1G".into(), "size=2G".into()])
            .expect("ok")
            .expect("some");
        assert_eq!(s["size"], "2G");
        assert!(parse_storage_opts(&["size".into()]).is_err());
        assert_eq!(parse_storage_opts(&[]).expect("ok"), None);
    }
}
