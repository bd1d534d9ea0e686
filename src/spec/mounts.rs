//! `-v`/`--volume` and `--tmpfs`: which storage the container gets.
//!
//! As the docker CLI does, a `-v` value with a source (`src:dst[:mode]`) goes to `Binds` verbatim,
//! except that a source starting with `.` is made absolute; one without (`/data`) is an anonymous
//! volume in `Config.Volumes`. The daemon decides bind (absolute source) vs named volume and checks
//! the mode, so dockrun does not second-guess it here.

use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};

use super::body::Empty;
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
fn absolute(path: &str) -> Result<String, SpecError> {
    let cwd = std::env::current_dir().map_err(|source| SpecError::File {
        flag: "--volume",
        path: ".".into(),
        source,
    })?;
    let mut out = PathBuf::new();
    for component in cwd.join(Path::new(path)).components() {
        match component {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other.as_os_str()),
        }
    }
    Ok(out.display().to_string())
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
                    format!("{}:{rest}", absolute(source)?)
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
}
