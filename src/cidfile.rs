//! `--cidfile`: write the container's ID to a file, as docker run does, but safe to run again.
//!
//! docker run refuses any existing file ("container ID file found"), so a unit re-launched with
//! the same `--cidfile` would fail every time after the first. dockrun keeps the protection and
//! drops the trap: an existing file is accepted only when it holds the ID of the very container
//! named by `--name` (or of what an interrupted replacement of it left); anything else is refused
//! before the engine is changed. The file is written once the container exists and before it is
//! started (as docker does after create); when `--recreate` replaces the container the file held,
//! it is rewritten (atomically) with the new one's ID once the replacement has committed.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::state::{Leftover, Observed};

/// Why the ID file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum CidfileError {
    /// The file exists and does not name this container.
    #[error("container ID file `{path}` found and it does not hold the ID of container `{name}`: make sure the other container isn't running or delete the file (`--cidfile`)")]
    Foreign {
        /// The file.
        path: String,
        /// The container's name.
        name: String,
    },
    /// Reading or writing the file failed.
    #[error("cannot {action} the container ID file `{path}` (`--cidfile`)")]
    Io {
        /// `read` or `write`.
        action: &'static str,
        /// The file.
        path: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
}

/// The `--cidfile` of a launch (or none), with what it held before dockrun ran.
#[derive(Debug, Default)]
pub struct Cidfile {
    path: Option<PathBuf>,
    prior: Option<String>,
    /// The prior ID is this launch's container's (see [`Cidfile::accept`]).
    accepted: bool,
}

impl Cidfile {
    /// Look at the file named by `--cidfile`, if any.
    ///
    /// # Errors
    /// The file exists but cannot be read.
    pub fn open(path: Option<&Path>) -> Result<Self, CidfileError> {
        let Some(path) = path else {
            return Ok(Cidfile::default());
        };
        let prior = match std::fs::read_to_string(path) {
            Ok(text) => Some(text.trim().to_owned()),
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => None,
            Err(source) => {
                return Err(CidfileError::Io {
                    action: "read",
                    path: path.display().to_string(),
                    source,
                })
            }
        };
        Ok(Cidfile {
            path: Some(path.to_owned()),
            prior,
            accepted: false,
        })
    }

    /// Whether an existing file must be matched against the container (see [`Cidfile::accept`]).
    #[must_use]
    pub fn has_prior(&self) -> bool {
        self.prior.is_some()
    }

    /// Accept an existing file only if it holds the ID of what exists under `name`, or, when
    /// the name is missing, of a container an interrupted replacement of it left (`leftovers`,
    /// which the launch repairs first).
    ///
    /// # Errors
    /// The file holds anything else (or the name is free).
    pub fn accept(
        &mut self,
        name: &str,
        observed: &Observed,
        leftovers: &[Leftover],
    ) -> Result<(), CidfileError> {
        let Some(prior) = &self.prior else {
            return Ok(());
        };
        let ours = match observed {
            Observed::Present(existing) => *prior == existing.id,
            Observed::Missing => leftovers
                .iter()
                .any(|l| l.id == *prior && l.role(name).is_some()),
        };
        if !ours {
            return Err(self.foreign(name));
        }
        self.accepted = true;
        Ok(())
    }

    /// Record the container's ID (nothing to do when the file already holds it).
    ///
    /// # Errors
    /// The file holds another ID, appeared meanwhile, or cannot be written.
    pub fn record(&self, name: &str, id: &str) -> Result<(), CidfileError> {
        let Some(path) = &self.path else {
            return Ok(());
        };
        let io = |source| CidfileError::Io {
            action: "write",
            path: path.display().to_string(),
            source,
        };
        match &self.prior {
            Some(prior) if prior == id => return Ok(()),
            Some(_) if self.accepted => {
                // The container it named was replaced: the file follows the name, written
                // aside and renamed over, so it never holds half an ID.
                let aside = path.with_extension("dockrun-new");
                std::fs::write(&aside, id).map_err(io)?;
                return std::fs::rename(&aside, path).map_err(io);
            }
            Some(_) => return Err(self.foreign(name)),
            None => {}
        }
        // create_new: a file that appeared since `open` belongs to someone else.
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(path)
            .map_err(|err| {
                if err.kind() == std::io::ErrorKind::AlreadyExists {
                    self.foreign(name)
                } else {
                    io(err)
                }
            })?;
        file.write_all(id.as_bytes()).map_err(io)
    }

    fn foreign(&self, name: &str) -> CidfileError {
        CidfileError::Foreign {
            path: self
                .path
                .as_deref()
                .map(|p| p.display().to_string())
                .unwrap_or_default(),
            name: name.to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::{ContainerState, Existing};

    #[test]
    fn new_file_is_written_same_id_accepted_other_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("cid");
        let cid = Cidfile::open(Some(&path)).expect("open");
        assert!(!cid.has_prior());
        cid.record("web", "abc").expect("written");
        assert_eq!(std::fs::read_to_string(&path).expect("read"), "abc");

        let mut again = Cidfile::open(Some(&path)).expect("open");
        let present = |id: &str| {
            Observed::Present(Existing {
                id: id.into(),
                state: ContainerState::Running,
                image_id: String::new(),
                record: crate::drift::Record::Labelled {
                    hash: String::new(),
                    spec: None,
                    format: crate::drift::FORMAT,
                },
                anonymous_volumes: Vec::new(),
                auto_remove: false,
            })
        };
        let mut other = Cidfile::open(Some(&path)).expect("open");
        assert!(other.accept("web", &present("def"), &[]).is_err());
        assert!(other.accept("web", &Observed::Missing, &[]).is_err());
        let err = other.record("web", "def").expect_err("foreign");
        assert!(err.to_string().contains("--cidfile"), "{err}");

        again
            .accept("web", &present("abc"), &[])
            .expect("same container");
        again.record("web", "abc").expect("nothing to write");
        // Replaced (`--recreate`): the file follows the name.
        again.record("web", "def").expect("rewritten");
        assert_eq!(std::fs::read_to_string(&path).expect("read"), "def");
    }
}
