//! `impl Engine for DockerEngine`: one method per kind of request, each turning bollard's
//! errors into the `EngineError` that names the container or image (404, 409 and 304 matched on
//! the status number). The version retry of a launch's first request is in `client`.

use std::collections::HashMap;
use std::time::Duration;

use bollard::query_parameters::{
    AttachContainerOptions, CreateContainerOptions, CreateImageOptions, InspectContainerOptions,
    KillContainerOptions, ListContainersOptions, LogsOptions, RemoveContainerOptions,
    RenameContainerOptions, ResizeContainerTTYOptions, StopContainerOptions, TagImageOptions,
    WaitContainerOptions,
};
use futures_util::StreamExt;
use tracing::{debug, info};

use super::client::FIRST_ANSWER;
use super::convert::{
    classify_start_failure, listed_of, observed_of, platform_of, pull_event, run_info_of,
    to_bollard_auth, to_bollard_body,
};
use super::{
    config, credentials, ApiError, AttachRequest, Attached, ContainerExit, DockerEngine, Engine,
    EngineError, Listed, LocalImage, PullEvent, RunInfo, Source, UpdateEngine, WaitCondition,
    Waiter,
};
use crate::spec::ContainerSpec;
use crate::state::{Leftover, Observed};

/// `docker pull` adds `:latest` to an untagged, undigested reference.
fn pull_reference(image: &str) -> String {
    let last = image.rsplit('/').next().unwrap_or(image);
    if image.contains('@') || last.contains(':') {
        image.to_owned()
    } else {
        format!("{image}:latest")
    }
}

/// `repository:tag` → (`repository`, `tag`); a reference without a tag is `latest`'s, as for
/// `docker tag`. A digest reference has no tag to move: `None`.
pub fn split_reference(reference: &str) -> Option<(&str, &str)> {
    if reference.contains('@') {
        return None;
    }
    let last_slash = reference.rfind('/').map_or(0, |i| i + 1);
    match reference[last_slash..].rfind(':') {
        Some(colon) => {
            let at = last_slash + colon;
            Some((&reference[..at], &reference[at + 1..]))
        }
        None => Some((reference, "latest")),
    }
}

/// Appended to a tag to name the image an update (`--update-images`) rejected: `app:1` → `app:1-dockrun-rejected`.
pub const REJECTED_SUFFIX: &str = "-dockrun-rejected";

/// The reference that records the rejected image of `image`'s tag; `None` for a digest
/// reference (pinned: nothing to update).
#[must_use]
pub fn rejected_reference(image: &str) -> Option<String> {
    let (repository, tag) = split_reference(image)?;
    // A tag has at most 128 characters: keep the suffix, shorten the tag.
    let room = 128 - REJECTED_SUFFIX.len();
    let tag: String = tag.chars().take(room).collect();
    Some(format!("{repository}:{tag}{REJECTED_SUFFIX}"))
}

/// What a pull of `image` sends: its full reference, its registry, and the credentials the
/// docker CLI would send for it (looked up only now: a helper may be slow or ask for a PIN).
async fn pull_credentials(
    image: &str,
) -> Result<(String, String, credentials::Lookup), EngineError> {
    let reference = pull_reference(image);
    let registry = credentials::registry_of(&reference);
    let auth = credentials::lookup(&config::ProcessEnv, &registry)
        .await
        .map_err(|source| EngineError::Credentials {
            image: reference.clone(),
            source,
        })?;
    Ok((reference, registry, auth))
}

impl UpdateEngine for DockerEngine {
    #[tracing::instrument(level = "debug", skip_all, fields(label = %key))]
    async fn list_labelled(&self, key: &str) -> Result<Vec<Listed>, EngineError> {
        let options = ListContainersOptions {
            all: true,
            filters: Some(HashMap::from([("label".to_owned(), vec![key.to_owned()])])),
            ..ListContainersOptions::default()
        };
        let listed = self
            .client()
            .list_containers(Some(options))
            .await
            .map_err(|err| {
                let source = ApiError::from(err);
                if source.status.is_none() {
                    EngineError::Unreachable {
                        address: self.endpoint().to_string(),
                        source,
                    }
                } else {
                    EngineError::List {
                        label: key.to_owned(),
                        source,
                    }
                }
            })?;
        let found = listed
            .into_iter()
            .map(listed_of)
            .collect::<Result<Vec<_>, _>>()?;
        debug!(count = found.len(), "listed");
        Ok(found)
    }

    #[tracing::instrument(level = "debug", skip_all, fields(image = %image))]
    async fn registry_digest(&self, image: &str) -> Result<String, EngineError> {
        let (reference, registry, auth) = pull_credentials(image).await?;
        let failed = |source: ApiError| EngineError::RegistryDigest {
            image: reference.clone(),
            registry: registry.clone(),
            credentials: auth.to_string(),
            source,
        };
        let answer = self
            .client()
            .inspect_registry_image(&reference, auth.credentials.clone().map(to_bollard_auth))
            .await
            .map_err(|err| failed(err.into()))?;
        answer.descriptor.digest.ok_or_else(|| {
            failed(ApiError {
                status: None,
                message: "the engine's answer has no `Descriptor.Digest`".into(),
            })
        })
    }

    #[tracing::instrument(level = "debug", skip_all, fields(image = %image))]
    async fn local_image(&self, image: &str) -> Result<Option<LocalImage>, EngineError> {
        let failed = |source| EngineError::InspectImage {
            image: image.to_owned(),
            source,
        };
        match self.client().inspect_image(image).await {
            Ok(found) => {
                let id = found.id.ok_or_else(|| {
                    failed(ApiError {
                        status: None,
                        message: "the engine's answer has no `Id`".into(),
                    })
                })?;
                let platform = platform_of(
                    found.os.as_deref(),
                    found.architecture.as_deref(),
                    found.variant.as_deref(),
                );
                Ok(Some(LocalImage {
                    id,
                    repo_digests: found.repo_digests.unwrap_or_default(),
                    platform,
                }))
            }
            Err(err) => {
                let err = ApiError::from(err);
                if err.status == Some(404) {
                    Ok(None)
                } else {
                    Err(failed(err))
                }
            }
        }
    }

    #[tracing::instrument(level = "debug", skip_all, fields(image = %id, to = %reference))]
    async fn tag(&self, id: &str, reference: &str) -> Result<(), EngineError> {
        let failed = |source| EngineError::Tag {
            image: id.to_owned(),
            to: reference.to_owned(),
            source,
        };
        let (repo, tag) = split_reference(reference).ok_or_else(|| {
            failed(ApiError {
                status: None,
                message: "a digest reference has no tag to move".into(),
            })
        })?;
        let options = TagImageOptions {
            repo: Some(repo.to_owned()),
            tag: Some(tag.to_owned()),
        };
        self.client()
            .tag_image(id, Some(options))
            .await
            .map_err(|err| failed(err.into()))
    }
}

impl DockerEngine {
    /// Inspect by name, then check the name really is `name` (the engine falls back to ID
    /// prefixes). `None` when no container has exactly this name.
    async fn inspect_exact(
        &self,
        name: &str,
    ) -> Result<Option<bollard::models::ContainerInspectResponse>, ApiError> {
        let docker = self.client();
        let found = match docker
            .inspect_container(name, None::<InspectContainerOptions>)
            .await
        {
            Ok(found) => found,
            Err(err) => {
                let err = ApiError::from(err);
                return if err.status == Some(404) {
                    Ok(None)
                } else {
                    Err(err)
                };
            }
        };
        if found.name.as_deref().map(|n| n.trim_start_matches('/')) == Some(name) {
            return Ok(Some(found));
        }
        // The engine resolved `name` as an ID (prefix) of another container. A container with
        // this exact name may still exist: find it with an anchored, escaped name filter.
        debug!(matched = ?found.name, "name resolved to another container's ID; listing by exact name");
        let pattern = format!("^/{}$", name.replace('.', "\\."));
        let options = ListContainersOptions {
            all: true,
            filters: Some(HashMap::from([("name".to_owned(), vec![pattern])])),
            ..ListContainersOptions::default()
        };
        let listed = docker.list_containers(Some(options)).await?;
        let Some(id) = listed
            .into_iter()
            .find(|c| {
                c.names
                    .iter()
                    .flatten()
                    .any(|n| n.trim_start_matches('/') == name)
            })
            .and_then(|c| c.id)
        else {
            return Ok(None);
        };
        match docker
            .inspect_container(&id, None::<InspectContainerOptions>)
            .await
        {
            Ok(found) => Ok(Some(found)),
            Err(err) => {
                let err = ApiError::from(err);
                if err.status == Some(404) {
                    Ok(None)
                } else {
                    Err(err)
                }
            }
        }
    }
}

impl Engine for DockerEngine {
    #[tracing::instrument(level = "debug", skip_all, fields(container = %name))]
    async fn observe(&self, name: &str) -> Result<Observed, EngineError> {
        let attempt = self.negotiated(|| self.inspect_exact(name));
        let found = tokio::time::timeout(FIRST_ANSWER, attempt)
            .await
            .map_err(|_| EngineError::Unanswered {
                address: self.endpoint.to_string(),
                seconds: FIRST_ANSWER.as_secs(),
            })?
            .map_err(|e| self.inspect_error(name, e))?;
        let Some(found) = found else {
            debug!("no container by that name");
            return Ok(Observed::Missing);
        };
        observed_of(name, &found)
    }

    #[tracing::instrument(level = "debug", skip_all, fields(image = %image))]
    async fn image_id(&self, image: &str) -> Result<Option<String>, EngineError> {
        // The same `GET /images/{name}/json` an update run reads the digests from.
        Ok(self.local_image(image).await?.map(|found| found.id))
    }

    #[tracing::instrument(level = "debug", skip_all, fields(image = %image))]
    async fn pull(
        &self,
        image: &str,
        platform: Option<&str>,
        progress: &mut (dyn FnMut(PullEvent<'_>) + Send),
    ) -> Result<(), EngineError> {
        let (reference, registry, auth) = pull_credentials(image).await?;
        info!(image = %reference, %registry, "pulling image {auth}");
        let options = CreateImageOptions {
            from_image: Some(reference.clone()),
            platform: platform.unwrap_or_default().to_owned(),
            ..CreateImageOptions::default()
        };
        let mut stream = self.client().create_image(
            Some(options),
            None,
            auth.credentials.clone().map(to_bollard_auth),
        );
        while let Some(message) = stream.next().await {
            let message = message.map_err(|err| EngineError::Pull {
                image: reference.clone(),
                registry: registry.clone(),
                credentials: auth.to_string(),
                source: err.into(),
            })?;
            progress(pull_event(&message));
        }
        Ok(())
    }

    #[tracing::instrument(level = "debug", skip_all, fields(container = %spec.name))]
    async fn create(&self, spec: &ContainerSpec) -> Result<String, EngineError> {
        let create_error = |source: ApiError| EngineError::Create {
            name: spec.name.clone(),
            image: spec.image.clone(),
            source,
        };
        // The body for the API version this launch speaks now (it may have switched, here too:
        // a read-only bind means recursively read-only only from 1.44 on).
        if let Some(wanted) = spec.body.api_prefer() {
            self.prefer_api(wanted).await;
        }
        let docker = self.client();
        let speaking = self.version.get();
        let speaks = (u32::from(speaking.major), u32::from(speaking.minor));
        let body = spec
            .body
            .for_api(speaks)
            .map_err(|need| EngineError::ApiTooOld {
                flag: need.flag,
                needs: format!("{}.{}", need.version.0, need.version.1),
                has: speaking.to_string(),
            })?;
        let body = to_bollard_body(&body).map_err(|e| {
            create_error(ApiError {
                status: None,
                message: e.to_string(),
            })
        })?;
        let options = CreateContainerOptions {
            name: Some(spec.name.clone()),
            platform: spec.platform.clone().unwrap_or_default(),
        };
        match docker.create_container(Some(options), body).await {
            Ok(created) => {
                for warning in created.warnings.iter().filter(|w| !w.is_empty()) {
                    tracing::warn!(container = %spec.name, "engine: {warning}");
                }
                Ok(created.id)
            }
            Err(err) => {
                let err = ApiError::from(err);
                match err.status {
                    Some(409) => Err(EngineError::NameConflict {
                        name: spec.name.clone(),
                    }),
                    Some(404) if self.image_id(&spec.image).await?.is_none() => {
                        Err(EngineError::ImageMissing {
                            image: spec.image.clone(),
                            pull: spec.pull,
                        })
                    }
                    _ => Err(create_error(err)),
                }
            }
        }
    }

    #[tracing::instrument(level = "debug", skip_all, fields(container = %name))]
    async fn start(&self, name: &str, id: &str) -> Result<(), EngineError> {
        match self.client().start_container(id, None).await {
            Ok(()) => Ok(()),
            Err(err) => {
                let err = ApiError::from(err);
                // A 404 is the container gone only when it says so: engines from 25 on also
                // answer 404 for a missing path the start needs (`volume-subpath=` that is not in
                // the volume), and an auto-removed container is gone after that failure, which
                // is no race to retry but docker run's start failure.
                if err.status == Some(404)
                    && err
                        .message
                        .to_ascii_lowercase()
                        .contains("no such container")
                {
                    return Err(EngineError::Vanished {
                        name: name.to_owned(),
                    });
                }
                let failure = classify_start_failure(&err.message);
                Err(EngineError::Start {
                    name: name.to_owned(),
                    failure,
                    source: err,
                })
            }
        }
    }

    #[tracing::instrument(level = "debug", skip_all, fields(container = %name))]
    async fn unpause(&self, name: &str, id: &str) -> Result<(), EngineError> {
        self.client().unpause_container(id).await.map_err(|err| {
            let err = ApiError::from(err);
            if err.status == Some(404) {
                EngineError::Vanished {
                    name: name.to_owned(),
                }
            } else {
                EngineError::Unpause {
                    name: name.to_owned(),
                    source: err,
                }
            }
        })
    }

    #[tracing::instrument(level = "debug", skip_all, fields(container = %name))]
    async fn stop(&self, name: &str, id: &str, timeout: Option<i64>) -> Result<(), EngineError> {
        // No signal, and no `t` unless given: the engine uses the container's own `StopSignal`
        // and `StopTimeout`, as `docker stop` does. 304 (already stopped) is success.
        let options = StopContainerOptions {
            signal: None,
            t: timeout.map(|t| i32::try_from(t).unwrap_or(i32::MAX)),
        };
        match self.client().stop_container(id, Some(options)).await {
            Ok(()) => Ok(()),
            Err(err) => {
                let err = ApiError::from(err);
                match err.status {
                    Some(304) => Ok(()),
                    Some(404) => Err(EngineError::Vanished {
                        name: name.to_owned(),
                    }),
                    _ => Err(EngineError::Stop {
                        name: name.to_owned(),
                        source: err,
                    }),
                }
            }
        }
    }

    #[tracing::instrument(level = "debug", skip_all, fields(container = %name))]
    async fn rename(&self, name: &str, id: &str, to: &str) -> Result<(), EngineError> {
        let options = RenameContainerOptions {
            name: to.to_owned(),
        };
        self.client()
            .rename_container(id, options)
            .await
            .map_err(|err| EngineError::Rename {
                name: name.to_owned(),
                to: to.to_owned(),
                source: err.into(),
            })
    }

    #[tracing::instrument(level = "debug", skip_all, fields(container = %name))]
    async fn remove(&self, name: &str, id: &str, force: bool) -> Result<(), EngineError> {
        // `v: false`: the volumes stay, so whatever was carried over (or not) survives.
        self.remove_container(name, id, force, false).await
    }

    async fn discard(&self, name: &str, id: &str) -> Result<(), EngineError> {
        // `v: true` removes only the volumes the engine made for this container; one mounted
        // by name (`Spec.Source` set, moby's removeMountPoints) is never removed.
        self.remove_container(name, id, true, true).await
    }

    fn lock_scope(&self) -> Option<String> {
        Some(self.endpoint().to_string())
    }

    #[tracing::instrument(level = "debug", skip_all, fields(container = %name))]
    async fn leftovers(&self, name: &str) -> Result<Vec<Leftover>, EngineError> {
        // The list's `name` filter is a regular expression matched anywhere: anchored and
        // escaped it only narrows the candidates; `Leftover::role` decides exactly.
        let pattern = format!(
            "^/{}-dockrun-(old|new)-[0-9a-f]{{12}}$",
            name.replace('.', "\\.")
        );
        let options = ListContainersOptions {
            all: true,
            filters: Some(HashMap::from([("name".to_owned(), vec![pattern])])),
            ..ListContainersOptions::default()
        };
        let listed = self
            .client()
            .list_containers(Some(options))
            .await
            .map_err(|err| EngineError::Leftovers {
                name: name.to_owned(),
                source: err.into(),
            })?;
        let leftovers = listed
            .into_iter()
            .map(|summary| {
                listed_of(summary).map(|l| Leftover {
                    id: l.id,
                    name: l.name,
                    state: l.state,
                    labels: l.labels,
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        debug!(found = leftovers.len(), "leftovers of a replacement");
        Ok(leftovers)
    }

    #[tracing::instrument(level = "debug", skip_all, fields(container = %name))]
    async fn logs_tail(&self, name: &str, id: &str, lines: usize) -> Result<String, EngineError> {
        let options = LogsOptions {
            stdout: true,
            stderr: true,
            tail: lines.to_string(),
            ..LogsOptions::default()
        };
        let mut stream = self.client().logs(id, Some(options));
        let mut text = Vec::new();
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|err| EngineError::Logs {
                name: name.to_owned(),
                source: err.into(),
            })?;
            text.extend_from_slice(&chunk.into_bytes());
        }
        Ok(String::from_utf8_lossy(&text).into_owned())
    }

    #[tracing::instrument(level = "debug", skip_all, fields(container = %name))]
    async fn await_removal(
        &self,
        name: &str,
        id: &str,
        limit: Duration,
    ) -> Result<(), EngineError> {
        let docker = self.client();
        let poll = async {
            loop {
                match docker
                    .inspect_container(id, None::<InspectContainerOptions>)
                    .await
                {
                    Err(err) => {
                        let err = ApiError::from(err);
                        if err.status == Some(404) {
                            return Ok(());
                        }
                        return Err(self.inspect_error(name, err));
                    }
                    Ok(_) => tokio::time::sleep(Duration::from_millis(100)).await,
                }
            }
        };
        tokio::time::timeout(limit, poll)
            .await
            .map_err(|_| EngineError::RemovalTimeout {
                name: name.to_owned(),
                seconds: limit.as_secs(),
            })?
    }

    fn wait(&self, name: &str, id: &str, condition: WaitCondition) -> Waiter {
        let options = WaitContainerOptions {
            condition: match condition {
                WaitCondition::NextExit => "next-exit",
                WaitCondition::NotRunning => "not-running",
            }
            .to_owned(),
        };
        let mut stream = self.client().wait_container(id, Some(options));
        let owned = name.to_owned();
        debug!(container = %name, ?condition, "waiting");
        Waiter::spawn(name, async move {
            let wait_error = |source| EngineError::Wait {
                name: owned.clone(),
                source,
            };
            match stream.next().await {
                Some(Ok(response)) => Ok(ContainerExit {
                    code: response.status_code,
                }),
                // bollard reports a non-zero exit as an error: it is the container's code.
                Some(Err(bollard::errors::Error::DockerContainerWaitError { code, .. })) => {
                    Ok(ContainerExit { code })
                }
                Some(Err(err)) => Err(wait_error(err.into())),
                None => Err(wait_error(ApiError {
                    status: None,
                    message: "the engine closed the wait without an exit code".into(),
                })),
            }
        })
    }

    #[tracing::instrument(level = "debug", skip_all, fields(container = %name))]
    async fn attach(
        &self,
        name: &str,
        id: &str,
        attach: &AttachRequest,
    ) -> Result<Attached, EngineError> {
        let options = AttachContainerOptions {
            stdin: attach.streams.stdin,
            stdout: attach.streams.stdout,
            stderr: attach.streams.stderr,
            stream: true,
            logs: false,
            detach_keys: attach.detach_keys.clone(),
        };
        let attached = self
            .client()
            .attach_container(id, Some(options))
            .await
            .map_err(|err| self.op_error(name, err.into(), Op::Attach))?;
        let owned = name.to_owned();
        let output = attached
            .output
            .filter_map(move |item| {
                let item = match item {
                    Ok(
                        bollard::container::LogOutput::StdOut { message }
                        | bollard::container::LogOutput::Console { message },
                    ) => Some(Ok((Source::Stdout, message))),
                    Ok(bollard::container::LogOutput::StdErr { message }) => {
                        Some(Ok((Source::Stderr, message)))
                    }
                    // The engine never sends stdin back; nothing to copy.
                    Ok(bollard::container::LogOutput::StdIn { .. }) => None,
                    Err(err) => Some(Err(EngineError::Attach {
                        name: owned.clone(),
                        source: err.into(),
                    })),
                };
                std::future::ready(item)
            })
            .boxed();
        Ok(Attached {
            output,
            input: attached.input,
        })
    }

    #[tracing::instrument(level = "debug", skip_all, fields(container = %name))]
    async fn inspect_run(&self, name: &str, id: &str) -> Result<RunInfo, EngineError> {
        let found = self
            .client()
            .inspect_container(id, None::<InspectContainerOptions>)
            .await
            .map_err(|err| self.op_error(name, err.into(), Op::Inspect))?;
        run_info_of(name, found)
    }

    #[tracing::instrument(level = "debug", skip_all, fields(container = %name, signal = %signal))]
    async fn kill(&self, name: &str, id: &str, signal: &str) -> Result<(), EngineError> {
        let options = KillContainerOptions {
            signal: signal.to_owned(),
        };
        self.client()
            .kill_container(id, Some(options))
            .await
            .map_err(|err| self.op_error(name, err.into(), Op::Kill))
    }

    #[tracing::instrument(level = "trace", skip_all, fields(container = %name))]
    async fn resize(&self, name: &str, id: &str, rows: u16, cols: u16) -> Result<(), EngineError> {
        let options = ResizeContainerTTYOptions {
            h: i32::from(rows),
            w: i32::from(cols),
        };
        self.client()
            .resize_container_tty(id, options)
            .await
            .map_err(|err| self.op_error(name, err.into(), Op::Resize))
    }
}

/// The supervision operations, for [`DockerEngine::op_error`].
#[derive(Clone, Copy)]
enum Op {
    Attach,
    Inspect,
    Kill,
    Resize,
}

impl DockerEngine {
    /// `DELETE /containers/{id}`, by `force`, with the container's own anonymous `volumes`.
    async fn remove_container(
        &self,
        name: &str,
        id: &str,
        force: bool,
        volumes: bool,
    ) -> Result<(), EngineError> {
        let options = RemoveContainerOptions {
            v: volumes,
            force,
            link: false,
        };
        self.client()
            .remove_container(id, Some(options))
            .await
            .map_err(|err| EngineError::Remove {
                name: name.to_owned(),
                source: err.into(),
            })
    }

    /// A supervision call's failure, naming the operation and the container.
    fn op_error(&self, name: &str, err: ApiError, op: Op) -> EngineError {
        let name = name.to_owned();
        if err.status.is_none() && !matches!(op, Op::Attach) {
            return EngineError::Unreachable {
                address: self.endpoint.to_string(),
                source: err,
            };
        }
        match op {
            Op::Attach => EngineError::Attach { name, source: err },
            Op::Inspect => EngineError::Inspect { name, source: err },
            Op::Kill => EngineError::Kill { name, source: err },
            Op::Resize => EngineError::Resize { name, source: err },
        }
    }

    /// An inspect failure: unreachable when there was no answer at all.
    fn inspect_error(&self, name: &str, err: ApiError) -> EngineError {
        if err.status.is_none() {
            EngineError::Unreachable {
                address: self.endpoint.to_string(),
                source: err,
            }
        } else {
            EngineError::Inspect {
                name: name.to_owned(),
                source: err,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejected_references() {
        assert_eq!(
            rejected_reference("reg:5000/app:1").as_deref(),
            Some("reg:5000/app:1-dockrun-rejected")
        );
        assert_eq!(
            rejected_reference("app:latest").as_deref(),
            Some("app:latest-dockrun-rejected")
        );
        assert_eq!(rejected_reference("app@sha256:abc"), None);
        let long = format!("app:{}", "x".repeat(128));
        let tag = rejected_reference(&long).expect("a tag");
        assert_eq!(tag.len(), "app:".len() + 128);
    }

    #[test]
    fn references_split_at_the_tag() {
        assert_eq!(split_reference("app:1"), Some(("app", "1")));
        assert_eq!(split_reference("app"), Some(("app", "latest")));
        assert_eq!(
            split_reference("127.0.0.1:5000/team/app:v2"),
            Some(("127.0.0.1:5000/team/app", "v2"))
        );
        assert_eq!(
            split_reference("127.0.0.1:5000/app"),
            Some(("127.0.0.1:5000/app", "latest"))
        );
        assert_eq!(split_reference("app@sha256:abc"), None);
    }

    #[test]
    fn pull_references() {
        assert_eq!(pull_reference("busybox"), "busybox:latest");
        assert_eq!(pull_reference("busybox:1"), "busybox:1");
        assert_eq!(
            pull_reference("127.0.0.1:5000/x"),
            "127.0.0.1:5000/x:latest"
        );
        assert_eq!(pull_reference("127.0.0.1:5000/x:2"), "127.0.0.1:5000/x:2");
        assert_eq!(pull_reference("x@sha256:abc"), "x@sha256:abc");
    }
}
