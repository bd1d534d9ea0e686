//! Issue 16, image updates with rollback: the per-container opt-in (`--auto-update`), recorded
//! on the container as part of its spec, and the unit it runs under (`DOCKRUN_UNIT`); update
//! runs (`--update-images`) against a real registry on loopback. Every run names its test's
//! containers, so the other tests' opted-in containers on the shared engine are not touched.

use crate::support::image::test_image;
use crate::support::registry::Registry;
use crate::support::{docker, docker_ok, dockrun, dockrun_env, inspect, unique, Cleanup, Images};

/// `dockrun -d --stop-timeout 1 --name NAME FLAGS… IMAGE sleep 600`, which must succeed.
fn launch(name: &str, flags: &[&str], env: &[(&str, &str)]) -> crate::support::Run {
    let mut args = vec!["-d", "--stop-timeout", "1", "--name", name];
    args.extend_from_slice(flags);
    args.extend_from_slice(&[test_image(), "sleep", "600"]);
    let run = dockrun_env(&args, env);
    assert_eq!(run.code, Some(0), "dockrun {args:?}: {}", run.stderr);
    run
}

#[test]
fn r16_the_opt_in_is_a_label_and_changing_it_is_drift() {
    let mut guard = Cleanup::new();
    let name = guard.container(&unique("optin"));
    launch(
        &name,
        &["--auto-update=registry"],
        &[("DOCKRUN_UNIT", "container-web.service")],
    );
    let label = |key: &str| inspect(&name, &format!("{{{{index .Config.Labels \"{key}\"}}}}"));
    assert_eq!(label("dockrun.auto-update").as_deref(), Some("registry"));
    assert_eq!(
        label("dockrun.unit").as_deref(),
        Some("container-web.service")
    );

    // The unit is not part of the spec: the same command line outside the unit is the same.
    let same = dockrun(&[
        "--dry-run",
        "--stop-timeout",
        "1",
        "--name",
        &name,
        "--auto-update=registry",
        test_image(),
        "sleep",
        "600",
    ]);
    assert_eq!(same.code, Some(0), "{}", same.stderr);
    assert!(same.stdout.starts_with("nothing "), "{}", same.stdout);
    assert_eq!(same.stdout.lines().count(), 1, "{}", same.stdout);

    // Another policy, or none, is drift like any other field.
    for (flags, want) in [
        (
            &["--auto-update=local"][..],
            "label dockrun.auto-update: registry → local",
        ),
        (&[][..], "label dockrun.auto-update: registry → (unset)"),
    ] {
        let mut args = vec!["--dry-run", "--stop-timeout", "1", "--name", &name];
        args.extend_from_slice(flags);
        args.extend_from_slice(&[test_image(), "sleep", "600"]);
        let dry = dockrun(&args);
        assert_eq!(dry.code, Some(0), "{}", dry.stderr);
        assert!(dry.stdout.contains(want), "{want}: {}", dry.stdout);
    }

    // A bad policy is refused by name before the engine is touched.
    let other = unique("badpolicy");
    let run = dockrun(&["-d", "--name", &other, "--auto-update=always", test_image()]);
    assert_eq!(run.code, Some(125), "{}", run.stderr);
    assert!(run.stderr.contains("`--auto-update`"), "{}", run.stderr);
    assert!(inspect(&other, "{{.Id}}").is_none());
}

/// A version of the test image: `ENV VERSION=n`, plus `changes` (`HEALTHCHECK …`); its ID.
fn version(guard: &mut Cleanup, images: &mut Images, n: u32, changes: &[&str]) -> String {
    let scratch = guard.container(&unique("commit"));
    docker_ok(&[
        "create",
        "--label",
        "dockrun.test=image",
        "--name",
        &scratch,
        test_image(),
        "true",
    ]);
    let tag = format!("{}:v{n}", unique("version"));
    images.0.push(tag.clone());
    let env = format!("ENV VERSION={n}");
    let mut args = vec!["commit", "--change", &env];
    for change in changes {
        args.extend(["--change", change]);
    }
    args.extend([scratch.as_str(), tag.as_str()]);
    docker_ok(&args);
    docker_ok(&["rm", "-f", &scratch]);
    docker_ok(&["image", "inspect", "-f", "{{.Id}}", &tag])
}

/// Push image `id` to `reference`, then point the local tag back at `keep` (if any), so only
/// the registry has moved on, as when someone else pushed.
fn push_as(id: &str, reference: &str, keep: Option<&str>) {
    docker_ok(&["tag", id, reference]);
    docker_ok(&["push", reference]);
    if let Some(keep) = keep {
        docker_ok(&["tag", keep, reference]);
    }
}

/// The ID of the image `reference` names locally.
fn image_of(reference: &str) -> Option<String> {
    let out = docker(&["image", "inspect", "-f", "{{.Id}}", reference]);
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

/// `dockrun --update-images --format json ARGS…`: its exit code and one object per container.
fn update(args: &[&str], env: &[(&str, &str)]) -> (Option<i32>, Vec<serde_json::Value>, String) {
    let mut all = vec!["--update-images", "--format", "json"];
    all.extend_from_slice(args);
    let run = dockrun_env(&all, env);
    let objects = run
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}\n{}", run.stderr)))
        .collect();
    (run.code, objects, run.stderr)
}

/// The registry requests made since the first `before`: `(manifest requests, layer requests)`,
/// where a layer is any blob but the image configs named in `configs` (the engine reads the
/// small config blob to tell the manifest's platform).
fn counted(before: usize, registry: &Registry, configs: &[&str]) -> (Vec<String>, Vec<String>) {
    let all = registry.requests();
    let new = &all[before.min(all.len())..];
    let manifests = new
        .iter()
        .filter(|r| r.contains("/manifests/"))
        .cloned()
        .collect();
    let layers = new
        .iter()
        .filter(|r| r.contains("/blobs/") && !configs.iter().any(|c| r.contains(c)))
        .cloned()
        .collect();
    (manifests, layers)
}

#[test]
fn r16_registry_update_keeps_the_volume_rolls_back_a_failing_image_and_does_not_retry_it() {
    let mut registry = Registry::start();
    let mut images = Images::default();
    let mut guard = Cleanup::new();
    let v1 = version(&mut guard, &mut images, 1, &[]);
    let v2 = version(&mut guard, &mut images, 2, &[]);
    let v3 = version(
        &mut guard,
        &mut images,
        3,
        // Until the replacement is health-gated: a v3 that cannot start.
        &[r#"ENTRYPOINT ["/nonexistent"]"#],
    );
    let reference = format!("{}/{}:1", registry.address, unique("app"));
    let rejected = format!("{reference}-dockrun-rejected");
    images.0.extend([reference.clone(), rejected.clone()]);
    push_as(&v1, &reference, None);

    let name = guard.container(&unique("web"));
    let run = dockrun(&[
        "-d",
        "--stop-timeout",
        "1",
        "--name",
        &name,
        "--auto-update=registry",
        "-v",
        "/data",
        &reference,
        "sleep",
        "600",
    ]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    docker_ok(&[
        "exec",
        &name,
        "sh",
        "-c",
        "echo written-under-v1 > /data/keep",
    ]);
    let id1 = inspect(&name, "{{.Id}}").unwrap();

    // Nothing changed: current, the registry asked for the manifest only, nothing pulled.
    let before = registry.requests().len();
    let (code, report, stderr) = update(&[&name], &[]);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(report.len(), 1, "{report:?}");
    assert_eq!(report[0]["status"], "current", "{report:?}");
    let (manifests, layers) = counted(before, &registry, &[&v1]);
    assert_eq!(layers, Vec::<String>::new(), "no layer downloaded");
    assert!(
        !manifests.is_empty()
            && manifests
                .iter()
                .all(|m| m.starts_with("HEAD ") || m.contains("/manifests/sha256:")),
        "only the engine's manifest look-up, no pull: {manifests:?}"
    );
    eprintln!("registry requests of a current container's check: {manifests:?}");
    assert_eq!(inspect(&name, "{{.Id}}").unwrap(), id1);

    // v2 pushed: dry run names it and pulls nothing; the run updates, the volume's file stays.
    push_as(&v2, &reference, Some(&v1));
    docker_ok(&["rmi", "-f", &v2]);
    let (code, report, stderr) = update(&["--dry-run", &name], &[]);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(report[0]["status"], "would-update", "{report:?}");
    assert_eq!(report[0]["pull"], true, "{report:?}");
    assert_eq!(
        image_of(&reference).as_deref(),
        Some(v1.as_str()),
        "a dry run pulls nothing"
    );
    let (code, report, stderr) = update(&[&name], &[]);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(report[0]["status"], "updated", "{report:?}\n{stderr}");
    assert_eq!(report[0]["old_image"], v1.as_str());
    assert_eq!(report[0]["new_image"], v2.as_str());
    assert_eq!(inspect(&name, "{{.Image}}").unwrap(), v2);
    assert_eq!(
        docker_ok(&["exec", &name, "sh", "-c", "echo $VERSION"]),
        "2"
    );
    assert_eq!(
        docker_ok(&["exec", &name, "cat", "/data/keep"]),
        "written-under-v1",
        "the anonymous volume came along"
    );
    let id2 = inspect(&name, "{{.Id}}").unwrap();

    // v3 fails: rolled back to v2, the tag back on v2, v3 kept as rejected.
    push_as(&v3, &reference, Some(&v2));
    docker_ok(&["rmi", "-f", &v3]);
    let (code, report, stderr) = update(&[&name], &[]);
    assert_eq!(code, Some(125), "{report:?}\n{stderr}");
    assert_eq!(report[0]["status"], "rolled-back", "{report:?}\n{stderr}");
    assert_eq!(report[0]["old_image"], v2.as_str());
    assert_eq!(report[0]["new_image"], v3.as_str());
    assert!(report[0]["new_digest"]
        .as_str()
        .is_some_and(|d| d.starts_with("sha256:")));
    assert!(
        stderr.contains(&name),
        "stderr names the container: {stderr}"
    );
    assert_eq!(
        inspect(&name, "{{.Id}}").unwrap(),
        id2,
        "the old container runs again"
    );
    assert_eq!(inspect(&name, "{{.State.Running}}").unwrap(), "true");
    assert_eq!(
        image_of(&reference).as_deref(),
        Some(v2.as_str()),
        "the tag is back on v2"
    );
    assert_eq!(
        image_of(&rejected).as_deref(),
        Some(v3.as_str()),
        "v3 kept, as rejected"
    );

    // A second run does not try v3 again: no pull, nothing touched.
    let before = registry.requests().len();
    let (code, report, stderr) = update(&[&name], &[]);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(report[0]["status"], "current", "{report:?}");
    assert!(
        report[0]["rejected"]
            .as_str()
            .is_some_and(|d| d.starts_with("sha256:")),
        "{report:?}"
    );
    let (manifests, layers) = counted(before, &registry, &[&v2, &v3]);
    assert_eq!(layers, Vec::<String>::new(), "nothing pulled");
    assert!(
        manifests
            .iter()
            .all(|m| !m.starts_with("GET ") || m.contains("/manifests/sha256:")),
        "{manifests:?}"
    );
    assert_eq!(inspect(&name, "{{.Id}}").unwrap(), id2);

    // The registry stopped: reported, nothing touched, non-zero.
    registry.stop();
    let (code, report, stderr) = update(&[&name], &[]);
    assert_eq!(code, Some(125), "{stderr}");
    assert_eq!(report[0]["status"], "failed", "{report:?}");
    assert!(
        report[0]["reason"]
            .as_str()
            .is_some_and(|r| r.contains(&registry.address)),
        "names the registry: {report:?}"
    );
    assert_eq!(inspect(&name, "{{.Id}}").unwrap(), id2);
    assert_eq!(image_of(&reference).as_deref(), Some(v2.as_str()));
}
