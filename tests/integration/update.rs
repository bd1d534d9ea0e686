//! Issue 16, image updates with rollback: the per-container opt-in (`--auto-update`), recorded
//! on the container as part of its spec, and the unit it runs under (`DOCKRUN_UNIT`); update
//! runs (`--update-images`) against a real registry on loopback. Every run names its test's
//! containers, so the other tests' opted-in containers on the shared engine are not touched.

use crate::support::image::test_image;
use crate::support::registry::Registry;
use crate::support::systemd::Machine;
use crate::support::{docker, docker_ok, dockrun, dockrun_env, inspect, unique, Cleanup, Images};

/// `dockrun -d --stop-timeout 1 --name NAME FLAGS… TEST-IMAGE sleep 600`, which must succeed.
fn launch(name: &str, flags: &[&str], env: &[(&str, &str)]) -> crate::support::Run {
    launch_image(name, flags, test_image(), env)
}

/// [`launch`] with another image.
fn launch_image(
    name: &str,
    flags: &[&str],
    image: &str,
    env: &[(&str, &str)],
) -> crate::support::Run {
    let mut args = vec!["-d", "--stop-timeout", "1", "--name", name];
    args.extend_from_slice(flags);
    args.extend_from_slice(&[image, "sleep", "600"]);
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

/// A healthcheck that fails at once and soon: unhealthy after 2 tries a second apart, so the
/// health gate's bound (retries × (interval + timeout) + its margin) is 14 s.
const UNHEALTHY: &str = "HEALTHCHECK --interval=1s --timeout=1s --retries=2 CMD false";

/// Push image `id` to `reference`, then point the local tag back at `keep` (if any), so only
/// the registry has moved on, as when someone else pushed.
fn push_as(id: &str, reference: &str, keep: Option<&str>) {
    push_with(id, reference, keep, None);
}

/// [`push_as`] with the docker CLI's config directory `config` (a `docker login`'s).
fn push_with(id: &str, reference: &str, keep: Option<&str>, config: Option<&std::path::Path>) {
    docker_ok(&["tag", id, reference]);
    let mut push = std::process::Command::new("docker");
    push.args(["push", reference]);
    if let Some(config) = config {
        push.env("DOCKER_CONFIG", config);
    }
    let out = push.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
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
    // v3 starts and runs its command, but its healthcheck fails: the health gate rejects it.
    let v3 = version(&mut guard, &mut images, 3, &[UNHEALTHY]);
    let reference = format!("{}/{}:1", registry.address, unique("app"));
    let rejected = format!("{reference}-dockrun-rejected");
    images.0.extend([reference.clone(), rejected.clone()]);
    push_as(&v1, &reference, None);

    let name = guard.container(&unique("web"));
    launch_image(
        &name,
        &["--auto-update=registry", "-v", "/data"],
        &reference,
        &[],
    );
    docker_ok(&[
        "exec",
        &name,
        "sh",
        "-c",
        "echo written-under-v1 > /data/keep",
    ]);
    let id1 = inspect(&name, "{{.Id}}").unwrap();

    // Nothing changed: current, no blob requested, and the registry saw the engine's `/v2/`
    // ping and the pull's `HEAD` of the tag, which names the digest. The first check after the
    // push also `GET`s that manifest (pushing did not keep it in the engine's content store;
    // a pull does); from then on the `HEAD` is the one manifest request.
    let repository = reference
        .strip_prefix(&format!("{}/", registry.address))
        .and_then(|r| r.strip_suffix(":1"))
        .unwrap();
    let head = format!("HEAD /v2/{repository}/manifests/1 200");
    let digest1 = docker_ok(&["image", "inspect", "-f", "{{index .RepoDigests 0}}", &v1]);
    let digest1 = digest1.rsplit_once('@').unwrap().1;
    for want in [
        vec![
            "GET /v2/ 200".to_owned(),
            head.clone(),
            format!("GET /v2/{repository}/manifests/{digest1} 200"),
        ],
        vec!["GET /v2/ 200".to_owned(), head.clone()],
    ] {
        let before = registry.requests().len();
        let (code, report, stderr) = update(&[&name], &[]);
        assert_eq!(code, Some(0), "{stderr}");
        assert_eq!(report.len(), 1, "{report:?}");
        assert_eq!(report[0]["status"], "current", "{report:?}");
        assert_eq!(registry.requests()[before..], want, "no blob");
    }
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
    let digest2 = report[0]["new_digest"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(digest2.starts_with("sha256:"), "{report:?}");
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

    // v3 runs its command but never gets healthy: the gate fails it, the old container runs
    // again (same ID, the volume's file), the tag is back on v2, v3 is kept as rejected, and
    // the run exits non-zero naming the container, both digests and why.
    push_as(&v3, &reference, Some(&v2));
    docker_ok(&["rmi", "-f", &v3]);
    let (code, report, stderr) = update(&[&name], &[]);
    assert_eq!(code, Some(125), "{report:?}\n{stderr}");
    let entry = &report[0];
    assert_eq!(entry["status"], "rolled-back", "{report:?}\n{stderr}");
    assert_eq!(entry["old_image"], v2.as_str());
    assert_eq!(entry["new_image"], v3.as_str());
    assert_eq!(entry["old_digest"], digest2.as_str(), "{entry}");
    let digest3 = entry["new_digest"].as_str().unwrap_or_default().to_owned();
    assert!(
        digest3.starts_with("sha256:") && digest3 != digest2,
        "{entry}"
    );
    let reason = entry["reason"].as_str().unwrap_or_default();
    assert!(reason.contains("unhealthy"), "the gate's reason: {entry}");
    let short = |digest: &str| digest[..19].to_owned(); // `sha256:` + 12 hex digits
    for needle in [
        name.clone(),
        short(&digest2),
        short(&digest3),
        "unhealthy".to_owned(),
    ] {
        assert!(stderr.contains(&needle), "stderr names {needle}: {stderr}");
    }
    assert_eq!(
        inspect(&name, "{{.Id}}").unwrap(),
        id2,
        "the old container runs again"
    );
    assert_eq!(inspect(&name, "{{.State.Running}}").unwrap(), "true");
    assert_eq!(
        docker_ok(&["exec", &name, "cat", "/data/keep"]),
        "written-under-v1",
        "with its volume"
    );
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
    assert_eq!(report[0]["rejected"], digest3.as_str(), "{report:?}");
    // It asks without pulling (`/distribution`: a pull would move the tag onto v3 first):
    // the tag's `HEAD`, v3's manifest by digest and its config, no layer.
    let (manifests, layers) = counted(before, &registry, &[&v3]);
    assert_eq!(layers, Vec::<String>::new(), "nothing pulled");
    assert_eq!(
        manifests,
        [
            format!("HEAD /v2/{repository}/manifests/1 200"),
            format!("GET /v2/{repository}/manifests/{digest3} 200")
        ],
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

/// `docker login` into a config directory of its own (never the user's).
fn login(registry: &Registry, user: &str, password: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let mut child = std::process::Command::new("docker")
        .args(["login", "-u", user, "--password-stdin", &registry.address])
        .env("DOCKER_CONFIG", dir.path())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), password.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "docker login: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    dir
}

/// A private registry: without credentials the check is refused and that container left as
/// it was while a `local` one is still updated; with the credentials `docker login` wrote,
/// the same run updates it.
#[test]
fn r16_credentials_refused_is_reported_the_others_still_update_and_local_follows_the_tag() {
    const USER: &str = "dockrun";
    const PASSWORD: &str = "s3cret:pw";
    let registry = Registry::start_with_auth(USER, PASSWORD);
    let config = login(&registry, USER, PASSWORD);
    let config_path = config.path().display().to_string();
    let with_login = [("DOCKER_CONFIG", config_path.as_str())];
    let empty = tempfile::tempdir().unwrap();
    let empty_path = empty.path().display().to_string();
    let without = [("DOCKER_CONFIG", empty_path.as_str())];

    let mut images = Images::default();
    let mut guard = Cleanup::new();
    let v1 = version(&mut guard, &mut images, 1, &[]);
    let v2 = version(&mut guard, &mut images, 2, &[]);
    let private = format!("{}/{}:1", registry.address, unique("private"));
    let local = format!("{}:1", unique("local"));
    images.0.extend([private.clone(), local.clone()]);
    push_with(&v1, &private, None, Some(config.path()));
    docker_ok(&["tag", &v1, &local]);

    let web = guard.container(&unique("web"));
    let tool = guard.container(&unique("tool"));
    for (name, policy, image) in [(&web, "registry", &private), (&tool, "local", &local)] {
        launch_image(name, &["--auto-update", policy], image, &[]);
    }
    let web_id = inspect(&web, "{{.Id}}").unwrap();

    // v2 reaches the registry (pushed with the login) and the local tag (a build, say).
    push_with(&v2, &private, Some(&v1), Some(config.path()));
    docker_ok(&["tag", &v2, &local]);

    let (code, report, stderr) = update(&[&web, &tool], &without);
    assert_eq!(code, Some(125), "{report:?}\n{stderr}");
    let refused = by_name_in(&report, &web);
    assert_eq!(refused["status"], "failed", "{report:?}");
    let reason = refused["reason"].as_str().unwrap_or_default();
    assert!(reason.contains("without credentials"), "{reason}");
    assert!(reason.contains(&registry.address), "{reason}");
    assert_eq!(inspect(&web, "{{.Id}}").unwrap(), web_id, "left as it was");
    assert_eq!(
        image_of(&private).as_deref(),
        Some(v1.as_str()),
        "nothing pulled"
    );
    assert_eq!(
        by_name_in(&report, &tool)["status"],
        "updated",
        "{report:?}"
    );
    assert_eq!(
        inspect(&tool, "{{.Image}}").unwrap(),
        v2,
        "local follows the tag"
    );

    let (code, report, stderr) = update(&[&web, &tool], &with_login);
    assert_eq!(code, Some(0), "{report:?}\n{stderr}");
    assert_eq!(by_name_in(&report, &web)["status"], "updated", "{report:?}");
    assert_eq!(
        by_name_in(&report, &tool)["status"],
        "current",
        "{report:?}"
    );
    assert_eq!(inspect(&web, "{{.Image}}").unwrap(), v2);
}

/// The report entry for `name`.
fn by_name_in(report: &[serde_json::Value], name: &str) -> serde_json::Value {
    report
        .iter()
        .find(|e| e["name"] == name)
        .unwrap_or_else(|| panic!("{name} in {report:?}"))
        .clone()
}

/// A long-running container command that ends at once on SIGTERM, as separate words.
const SERVE: [&str; 3] = ["sh", "-c", "trap 'exit 0' TERM; sleep 100000 & wait"];

/// The files of `dockrun --print-unit --update-images` output, split at each
/// `# NAME: generated by` line: `(file name, contents)`.
fn unit_files(text: &str) -> Vec<(String, String)> {
    let mut files: Vec<(String, String)> = Vec::new();
    for line in text.lines() {
        if let Some((file, _)) = line
            .strip_prefix("# ")
            .and_then(|l| l.split_once(": generated by "))
        {
            files.push((file.to_owned(), String::new()));
        }
        let (_, contents) = files.last_mut().expect("starts with a file's first line");
        contents.push_str(line);
        contents.push('\n');
    }
    files
}

/// Under a real systemd: a `Type=notify` foreground unit (written by `--print-unit`) and a
/// `-d` oneshot unit, both opted in, are updated by restarting their units (the units' own
/// dockrun replaces the containers: new IDs, the new image, the units active); then the
/// service and timer `--print-unit --update-images` prints load, the timer is enabled, and
/// starting the service runs an update; last, an image whose healthcheck fails fails the
/// unit's restart (its dockrun's health gate) and is rolled back: tag back, image rejected,
/// the old container running again.
#[test]
fn r16_units_are_updated_by_restarting_them_and_the_timer_pair_runs() {
    let mut images = Images::default();
    let mut cleanup = Cleanup::new();
    let machine = Machine::boot();
    let v1 = version(&mut cleanup, &mut images, 1, &[]);
    let v2 = version(&mut cleanup, &mut images, 2, &[]);
    let v3 = version(&mut cleanup, &mut images, 3, &[]);
    let v4 = version(&mut cleanup, &mut images, 4, &[UNHEALTHY]);
    let tag = format!("{}:1", unique("unitapp"));
    let rejected = format!("{tag}-dockrun-rejected");
    images.0.extend([tag.clone(), rejected.clone()]);
    docker_ok(&["tag", &v1, &tag]);
    let notify = cleanup.container(&unique("notify"));
    let oneshot = cleanup.container(&unique("oneshot"));

    let mut args = vec![
        "--name",
        notify.as_str(),
        "--auto-update=local",
        tag.as_str(),
    ];
    args.extend(SERVE);
    let (notify_unit, notify_text) = machine.print_unit(&args);
    assert!(
        notify_text.contains("Environment=DOCKRUN_UNIT=%n"),
        "{notify_text}"
    );
    let oneshot_unit = format!("{oneshot}.service");
    let oneshot_text = format!(
        "[Unit]\nDescription=oneshot\n\n[Service]\nType=oneshot\nRemainAfterExit=yes\n\
         Environment=DOCKRUN_UNIT=%n\n\
         ExecStart=/usr/local/bin/dockrun -d --name {oneshot} --auto-update=local {tag} {} {} \"{}\"\n\
         ExecStop=/usr/bin/docker stop {oneshot}\n",
        SERVE[0], SERVE[1], SERVE[2]
    );
    machine.install(&[(&notify_unit, &notify_text), (&oneshot_unit, &oneshot_text)]);
    machine.systemctl(&["start", &notify_unit, &oneshot_unit]);
    let ids: Vec<String> = [&notify, &oneshot]
        .iter()
        .map(|c| inspect(c, "{{.Id}}").expect("created by its unit"))
        .collect();
    for (container, unit) in [(&notify, &notify_unit), (&oneshot, &oneshot_unit)] {
        assert_eq!(
            inspect(container, "{{index .Config.Labels \"dockrun.unit\"}}").as_deref(),
            Some(unit.as_str()),
            "the unit is recorded"
        );
        assert_eq!(
            inspect(container, "{{.Image}}").as_deref(),
            Some(v1.as_str())
        );
    }

    // The tag moves (a build, a pull); an update run in the machine restarts both units.
    docker_ok(&["tag", &v2, &tag]);
    let out = machine.exec(&[
        "dockrun",
        "--update-images",
        "--format",
        "json",
        &notify,
        &oneshot,
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    for line in stdout.lines() {
        let entry: serde_json::Value = serde_json::from_str(line).unwrap();
        assert_eq!(entry["status"], "updated", "{stdout}\n{stderr}");
        assert!(entry["unit"].as_str().is_some(), "{entry}");
    }
    assert_eq!(stdout.lines().count(), 2, "{stdout}");
    for ((container, unit), old) in [(&notify, &notify_unit), (&oneshot, &oneshot_unit)]
        .into_iter()
        .zip(&ids)
    {
        machine.assert_state(unit, "active");
        assert_eq!(
            inspect(container, "{{.Image}}").as_deref(),
            Some(v2.as_str())
        );
        assert_ne!(
            &inspect(container, "{{.Id}}").unwrap(),
            old,
            "replaced by the unit"
        );
        assert!(
            machine.journal(unit).contains("follows it"),
            "the unit's dockrun did the replacement:\n{}",
            machine.journal(unit)
        );
    }

    // The scheduled pair: both files load, the timer is enabled, the service runs an update.
    let out = machine.exec(&[
        "dockrun",
        "--print-unit",
        "--update-images",
        &notify,
        &oneshot,
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let files = unit_files(&String::from_utf8_lossy(&out.stdout));
    let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "dockrun-update-images.service",
            "dockrun-update-images.timer"
        ]
    );
    let installed: Vec<(&str, &str)> = files
        .iter()
        .map(|(n, t)| (n.as_str(), t.as_str()))
        .collect();
    machine.install(&installed);
    machine.systemctl(&["enable", "--now", "dockrun-update-images.timer"]);
    machine.assert_state("dockrun-update-images.timer", "active");
    assert!(
        !machine
            .show("dockrun-update-images.timer", "NextElapseUSecRealtime")
            .is_empty(),
        "the timer is scheduled"
    );
    docker_ok(&["tag", &v3, &tag]);
    machine.systemctl(&["start", "dockrun-update-images.service"]);
    machine.assert_state("dockrun-update-images.service", "inactive");
    for (container, unit) in [(&notify, &notify_unit), (&oneshot, &oneshot_unit)] {
        assert_eq!(
            inspect(container, "{{.Image}}").as_deref(),
            Some(v3.as_str()),
            "{}",
            machine.journal("dockrun-update-images.service")
        );
        machine.assert_state(unit, "active");
    }

    // An unhealthy image under a unit: the unit's dockrun fails its gate and puts the old
    // container back, the unit's restart fails, the run moves the tag back, records
    // v4 as rejected and restarts the unit on the old image: the old container runs again.
    let before = inspect(&notify, "{{.Id}}").unwrap();
    docker_ok(&["tag", &v4, &tag]);
    let out = machine.exec(&["dockrun", "--update-images", "--format", "json", &notify]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(125),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let entry: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
    assert_eq!(entry["status"], "rolled-back", "{entry}");
    assert!(
        entry["reason"]
            .as_str()
            .is_some_and(|r| r.contains(&notify_unit)),
        "{entry}"
    );
    assert!(
        machine.journal(&notify_unit).contains("unhealthy"),
        "the unit's dockrun failed v4 at the health gate:\n{}",
        machine.journal(&notify_unit)
    );
    machine.assert_state(&notify_unit, "active");
    assert_eq!(
        inspect(&notify, "{{.Id}}").unwrap(),
        before,
        "the old container runs again"
    );
    assert_eq!(inspect(&notify, "{{.Image}}").as_deref(), Some(v3.as_str()));
    assert_eq!(
        image_of(&tag).as_deref(),
        Some(v3.as_str()),
        "the tag is back on v3"
    );
    assert_eq!(image_of(&rejected).as_deref(), Some(v4.as_str()));
}

/// Image `id` again as an `architecture` image: `docker save`, the config's `architecture`
/// rewritten, `docker load` under a new tag (its busybox still runs here: the platform is
/// what the config says); its ID.
fn as_architecture(images: &mut Images, id: &str, architecture: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let tar = dir.path().join("image.tar");
    let root = dir.path().join("image");
    std::fs::create_dir(&root).unwrap();
    docker_ok(&["save", "-o", &tar.display().to_string(), id]);
    let untar = std::process::Command::new("tar")
        .arg("-C")
        .arg(&root)
        .arg("-xf")
        .arg(&tar)
        .status()
        .unwrap();
    assert!(untar.success());
    let manifest_path = root.join("manifest.json");
    let mut manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&manifest_path).unwrap()).unwrap();
    let config_path = root.join(manifest[0]["Config"].as_str().unwrap());
    let mut config: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&config_path).unwrap()).unwrap();
    config["architecture"] = architecture.into();
    std::fs::write(&config_path, serde_json::to_vec(&config).unwrap()).unwrap();
    let tag = format!("{}:{architecture}", unique("foreign"));
    images.0.push(tag.clone());
    manifest[0]["RepoTags"] = serde_json::json!([tag]);
    std::fs::write(&manifest_path, serde_json::to_vec(&manifest).unwrap()).unwrap();
    let retar = std::process::Command::new("tar")
        .arg("-C")
        .arg(&root)
        .arg("-cf")
        .arg(&tar)
        .arg(".")
        .status()
        .unwrap();
    assert!(retar.success());
    docker_ok(&["load", "-q", "-i", &tar.display().to_string()]);
    docker_ok(&["image", "inspect", "-f", "{{.Id}}", &tag])
}

/// Push a multi-platform tag `reference`: `amd64` and `arm64` (each pushed under
/// `reference`-`ARCH` first), as `docker manifest` makes one (its own config directory).
fn push_list(images: &mut Images, reference: &str, amd64: &str, arm64: &str) {
    let config = tempfile::tempdir().unwrap();
    let mut entries = Vec::new();
    for (id, arch) in [(amd64, "amd64"), (arm64, "arm64")] {
        let entry = format!("{reference}-{arch}");
        images.0.push(entry.clone());
        push_as(id, &entry, None);
        entries.push(entry);
    }
    for args in [
        vec![
            "manifest",
            "create",
            "--insecure",
            reference,
            &entries[0],
            &entries[1],
        ],
        vec!["manifest", "push", "--insecure", "--purge", reference],
    ] {
        let out = std::process::Command::new("docker")
            .args(&args)
            .env("DOCKER_CONFIG", config.path())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "docker {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// A `--platform linux/arm64` container on this amd64 machine, from a multi-platform tag:
/// a check with nothing new leaves it alone (the pull asks for its image's platform, not the
/// machine's), and an update brings the new arm64 image, created for that platform.
#[test]
fn r16_a_platform_container_is_updated_within_its_platform() {
    let registry = Registry::start();
    let mut images = Images::default();
    let mut guard = Cleanup::new();
    let mut variants = Vec::new();
    for n in [1, 2] {
        let amd = version(&mut guard, &mut images, n, &["ENV FLAVOUR=amd64"]);
        let arm = version(&mut guard, &mut images, n, &["ENV FLAVOUR=arm64"]);
        variants.push((amd, as_architecture(&mut images, &arm, "arm64")));
    }
    let reference = format!("{}/{}:1", registry.address, unique("multi"));
    images.0.push(reference.clone());
    push_list(&mut images, &reference, &variants[0].0, &variants[0].1);

    let name = guard.container(&unique("arm"));
    launch_image(
        &name,
        &["--platform", "linux/arm64", "--auto-update=registry"],
        &reference,
        &[],
    );
    let flavour = || docker_ok(&["exec", &name, "sh", "-c", "echo $FLAVOUR $VERSION"]);
    assert_eq!(flavour(), "arm64 1");
    let id = inspect(&name, "{{.Id}}").unwrap();

    let (code, report, stderr) = update(&[&name], &[]);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(report[0]["status"], "current", "{report:?}\n{stderr}");
    assert_eq!(inspect(&name, "{{.Id}}").unwrap(), id, "left alone");
    assert_eq!(
        image_of(&reference).as_deref(),
        Some(variants[0].1.as_str())
    );

    push_list(&mut images, &reference, &variants[1].0, &variants[1].1);
    let (code, report, stderr) = update(&[&name], &[]);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(report[0]["status"], "updated", "{report:?}\n{stderr}");
    assert_eq!(inspect(&name, "{{.Image}}").unwrap(), variants[1].1);
    assert_eq!(flavour(), "arm64 2");
}

/// Two containers on one tag, and a new image that fails the health gate: the first one tried
/// is rolled back, and the other is not tried on the image just rejected (reported `current`,
/// the digest as `rejected`, untouched), as a later run would not try it either.
#[test]
fn r16_an_image_rejected_for_one_container_is_not_tried_on_the_next_of_its_tag() {
    let registry = Registry::start();
    let mut images = Images::default();
    let mut guard = Cleanup::new();
    let v1 = version(&mut guard, &mut images, 1, &[]);
    let bad = version(&mut guard, &mut images, 2, &[UNHEALTHY]);
    let reference = format!("{}/{}:1", registry.address, unique("shared"));
    images
        .0
        .extend([reference.clone(), format!("{reference}-dockrun-rejected")]);
    push_as(&v1, &reference, None);
    let names = [guard.container(&unique("a")), guard.container(&unique("b"))];
    let mut ids = Vec::new();
    for name in &names {
        launch_image(name, &["--auto-update=registry"], &reference, &[]);
        ids.push(inspect(name, "{{.Id}}").unwrap());
    }
    push_as(&bad, &reference, Some(&v1));
    docker_ok(&["rmi", "-f", &bad]);
    let (code, report, stderr) = update(&[&names[0], &names[1]], &[]);
    assert_eq!(code, Some(125), "{stderr}");
    let status: Vec<&str> = report
        .iter()
        .map(|e| e["status"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(status, ["rolled-back", "current"], "{report:#?}\n{stderr}");
    assert_eq!(report[0]["name"], names[0].as_str());
    assert!(
        report[1]["rejected"]
            .as_str()
            .is_some_and(|d| d.starts_with("sha256:")),
        "{report:#?}"
    );
    for (name, id) in names.iter().zip(&ids) {
        assert_eq!(
            inspect(name, "{{.Id}}").as_ref(),
            Some(id),
            "{name} untouched"
        );
        assert_eq!(inspect(name, "{{.Image}}").as_deref(), Some(v1.as_str()));
    }
    assert_eq!(
        image_of(&reference).as_deref(),
        Some(v1.as_str()),
        "the tag back on v1"
    );
}

/// A container of a `local` tag that moved onto an image whose healthcheck fails, `-v /data`
/// holding a file; the tag is back on v1 and nothing is rejected yet. Its name.
fn bad_update_ready(guard: &mut Cleanup, tag: &str, v1: &str, bad: &str) -> String {
    docker_ok(&["tag", v1, tag]);
    let _ = docker(&["rmi", &format!("{tag}-dockrun-rejected")]);
    let name = guard.container(&unique("killupd"));
    launch_image(&name, &["--auto-update=local", "-v", "/data"], tag, &[]);
    docker_ok(&["exec", &name, "sh", "-c", "echo kept > /data/f"]);
    docker_ok(&["tag", bad, tag]);
    name
}

/// A tag moved back onto a rejected image (a `docker pull` of a registry that still serves it,
/// or a rollback killed between its two re-tags) is not followed by the service's next launch:
/// it starts the container it has, on the old image; the next update run moves the tag back.
#[test]
fn r16_a_launch_does_not_follow_the_tag_onto_a_rejected_image() {
    let mut images = Images::default();
    let mut guard = Cleanup::new();
    let v1 = version(&mut guard, &mut images, 1, &[]);
    let bad = version(&mut guard, &mut images, 2, &[UNHEALTHY]);
    let tag = format!("{}:1", unique("rejapp"));
    let rejected = format!("{tag}-dockrun-rejected");
    images.0.extend([tag.clone(), rejected.clone()]);
    let name = bad_update_ready(&mut guard, &tag, &v1, &bad);
    let id = inspect(&name, "{{.Id}}").expect("launched");
    let (code, _, stderr) = update(&[&name], &[]);
    assert_eq!(code, Some(125), "{stderr}");
    assert_eq!(image_of(&rejected).as_deref(), Some(bad.as_str()));
    assert_eq!(image_of(&tag).as_deref(), Some(v1.as_str()), "rolled back");

    docker_ok(&["tag", &bad, &tag]);
    docker_ok(&["stop", "-t", "1", &name]);
    let again = launch_image(&name, &["--auto-update=local", "-v", "/data"], &tag, &[]);
    assert!(
        again.stderr.contains("an image an update rejected"),
        "{}",
        again.stderr
    );
    assert_eq!(
        inspect(&name, "{{.Id}} {{.State.Running}} {{.Image}}"),
        Some(format!("{id} true {v1}")),
        "the same container, started on the old image"
    );
    assert_eq!(docker(&["exec", &name, "cat", "/data/f"]).stdout, b"kept\n");

    let (code, objects, stderr) = update(&[&name], &[]);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(objects[0]["status"], "current", "{objects:?}");
    assert_eq!(
        image_of(&tag).as_deref(),
        Some(v1.as_str()),
        "the tag moved back"
    );
}

/// Kill an update run that rolls back, right after each engine request it makes (the
/// transaction's and the re-tagging's), then launch the container again (the next unit start,
/// which repairs a half-done replacement) and run the update again: one container under the
/// name, running v1 with its volume's file, the tag back on v1, the bad image rejected.
#[test]
fn r16_every_kill_point_of_a_rolled_back_update_converges_after_a_launch() {
    rolled_back_update_killed_at_every_point(true);
}

/// The same kill points, then only another update run (a container nothing supervises, which
/// nothing else launches again): the run repairs the half-done replacement itself first.
#[test]
fn r16_every_kill_point_of_a_rolled_back_update_converges_by_the_next_run_alone() {
    rolled_back_update_killed_at_every_point(false);
}

/// The kill-point table of an update run that rolls back; `launch`: the service is launched
/// (`-d`, its command line) between the killed run and the next one.
fn rolled_back_update_killed_at_every_point(launch: bool) {
    use crate::replace::{kill_points, named_like, shape, signalled_at};
    let mut images = Images::default();
    let mut guard = Cleanup::new();
    let v1 = version(&mut guard, &mut images, 1, &[]);
    let bad = version(&mut guard, &mut images, 2, &[UNHEALTHY]);
    let tag = format!("{}:1", unique("killapp"));
    let rejected = format!("{tag}-dockrun-rejected");
    images.0.extend([tag.clone(), rejected.clone()]);
    let update_args = |name: &str| vec!["--update-images".to_owned(), name.to_owned()];

    // The requests of one whole run (KILL never sent: the hook's k is past the end).
    let name = bad_update_ready(&mut guard, &tag, &v1, &bad);
    let (whole, seen) = signalled_at(usize::MAX - 1, "KILL", &update_args(&name));
    assert_eq!(whole.code, Some(125), "{}", whole.stderr);
    let shapes: Vec<String> = seen
        .iter()
        .map(|l| shape(l).replace(&name, "NAME"))
        .collect();
    let points = kill_points(&shapes);
    let then = if launch {
        "then launched, then updated"
    } else {
        "then updated"
    };
    let mut table = vec![format!("kill after request k | {then}")];
    let mut failures = Vec::new();
    for &k in &points {
        let name = bad_update_ready(&mut guard, &tag, &v1, &bad);
        let (killed, seen) = signalled_at(k, "KILL", &update_args(&name));
        if seen.len() > k {
            assert_eq!(killed.code, None, "killed at {k}: {}", killed.stderr);
        }
        if launch {
            // The next start of the service (its unit's `dockrun`): it repairs what the kill
            // left; it may itself try the tag's image and roll back (exit 125).
            let args = [
                "-d",
                "--stop-timeout",
                "1",
                "--name",
                &name,
                "--auto-update=local",
            ];
            let mut launch = args.to_vec();
            launch.extend(["-v", "/data", &tag, "sleep", "600"]);
            let again = dockrun(&launch);
            assert!(
                matches!(again.code, Some(0 | 125)),
                "launch after a kill at {k}: {}",
                again.stderr
            );
        }
        let (code, _, stderr) = update(&[&name], &[]);
        assert!(
            matches!(code, Some(0 | 125)),
            "update after a kill at {k}: {stderr}"
        );
        let context = format!("killed after request {k} ({})", shapes[k - 1]);
        let state = (
            named_like(&name),
            inspect(&name, "{{.State.Running}} {{.Image}}"),
            docker(&["exec", &name, "cat", "/data/f"]).stdout,
            image_of(&tag),
            image_of(&rejected),
        );
        let converged = (
            vec![name.clone()],
            Some(format!("true {v1}")),
            b"kept\n".to_vec(),
            Some(v1.clone()),
            Some(bad.clone()),
        );
        if state == converged {
            table.push(format!("{k:>2} {:<32} | converged", shapes[k - 1]));
        } else {
            table.push(format!(
                "{k:>2} {:<32} | NOT converged: {:?}",
                shapes[k - 1],
                (
                    &state.0,
                    &state.1,
                    state.3 == converged.3,
                    state.4 == converged.4
                )
            ));
            failures.push(context);
        }
    }
    eprintln!("{}", table.join("\n"));
    assert!(failures.is_empty(), "{failures:#?}");
}

/// On the containerd image store (Docker 29's default for new installs; here Docker 26.1 with
/// the `containerd-snapshotter` feature, on a second engine), where an image's ID is the digest
/// of its manifest: a `local` update to an image that fails its healthcheck is rolled back (the
/// tag back on v1, the image kept as rejected, the same container running with its data), and a
/// good one is taken, the data carried. The same with `registry`, from a registry the engine
/// reaches on its loopback: current, rolled back and not retried, updated.
#[test]
fn r16_updates_and_rollbacks_on_the_containerd_image_store() {
    use crate::support::engine2::Engine2;
    let engine = Engine2::start_containerd_store();
    let e2 = |args: &[&str]| -> String {
        let out = engine.docker().args(args).output().expect("docker runs");
        assert!(
            out.status.success(),
            "docker {args:?} on engine2: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    };
    assert!(
        e2(&["info", "-f", "{{.DriverStatus}}"]).contains("io.containerd.snapshotter.v1"),
        "the containerd image store is on"
    );
    let version = |n: u32, changes: &[&str]| -> String {
        let scratch = format!("scratch-{n}");
        e2(&["create", "--name", &scratch, test_image(), "true"]);
        let (env, tag) = (format!("ENV VERSION={n}"), format!("app:v{n}"));
        let mut args = vec!["commit", "--change", &env];
        for change in changes {
            args.extend(["--change", change]);
        }
        args.extend([scratch.as_str(), tag.as_str()]);
        e2(&args);
        e2(&["rm", &scratch]);
        e2(&["image", "inspect", "-f", "{{.Id}}", &tag])
    };
    let (v1, bad, v3) = (version(1, &[]), version(2, &[UNHEALTHY]), version(3, &[]));
    let (tag, rejected) = ("app:1", "app:1-dockrun-rejected");
    e2(&["tag", &v1, tag]);
    let env = [("DOCKER_HOST", engine.docker_host.as_str())];
    launch_image("web", &["--auto-update=local", "-v", "/data"], tag, &env);
    let id = e2(&["inspect", "-f", "{{.Id}}", "web"]);
    e2(&["exec", "web", "sh", "-c", "echo kept > /data/f"]);
    let state = || {
        (
            e2(&[
                "inspect",
                "-f",
                "{{.Id}} {{.State.Running}} {{.Image}}",
                "web",
            ]),
            e2(&["exec", "web", "cat", "/data/f"]),
            e2(&["image", "inspect", "-f", "{{.Id}}", tag]),
        )
    };

    e2(&["tag", &bad, tag]);
    let (code, objects, stderr) = update(&["web"], &env);
    assert_eq!(code, Some(125), "{stderr}");
    assert_eq!(objects[0]["status"], "rolled-back", "{objects:?}");
    assert_eq!(
        state(),
        (format!("{id} true {v1}"), "kept".to_owned(), v1.clone())
    );
    assert_eq!(e2(&["image", "inspect", "-f", "{{.Id}}", rejected]), bad);

    e2(&["tag", &v3, tag]);
    let (code, objects, stderr) = update(&["web"], &env);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(objects[0]["status"], "updated", "{objects:?}");
    let (now, data, tagged) = state();
    assert!(now.ends_with(&format!(" true {v3}")), "{now}");
    assert_eq!((data.as_str(), tagged.as_str()), ("kept", v3.as_str()));

    // `registry`: a registry in the engine's own network namespace (Debian's docker-registry,
    // copied in, on that namespace's loopback), so the engine's pulls and pushes reach it.
    let shared = engine.shared_dir();
    let config = shared.join("registry.yml");
    std::fs::write(
        &config,
        format!(
            "version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: {}\nhttp:\n  addr: 127.0.0.1:5000\n",
            shared.join("registry").display()
        ),
    )
    .expect("registry config");
    docker_ok(&[
        "cp",
        "/usr/bin/docker-registry",
        &format!("{}:/usr/local/bin/docker-registry", engine.name),
    ]);
    docker_ok(&[
        "exec",
        "-d",
        &engine.name,
        "docker-registry",
        "serve",
        &config.display().to_string(),
    ]);
    let reference = "127.0.0.1:5000/api:1";
    let push = |id: &str, keep: Option<&str>| {
        e2(&["tag", id, reference]);
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
        loop {
            let out = engine
                .docker()
                .args(["push", "-q", reference])
                .output()
                .expect("push");
            if out.status.success() {
                break;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "push: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            std::thread::sleep(std::time::Duration::from_millis(200));
        }
        if let Some(keep) = keep {
            e2(&["tag", keep, reference]);
        }
    };
    push(&v1, None);
    launch_image(
        "api",
        &["--auto-update=registry", "-v", "/data"],
        reference,
        &env,
    );
    let api = e2(&["inspect", "-f", "{{.Id}}", "api"]);
    e2(&["exec", "api", "sh", "-c", "echo kept > /data/f"]);
    let running = || {
        e2(&[
            "inspect",
            "-f",
            "{{.Id}} {{.State.Running}} {{.Image}}",
            "api",
        ])
    };
    let (code, objects, stderr) = update(&["api"], &env);
    assert_eq!(
        (code, &objects[0]["status"]),
        (Some(0), &"current".into()),
        "{stderr}"
    );

    push(&bad, Some(&v1));
    let (code, objects, stderr) = update(&["api"], &env);
    assert_eq!(code, Some(125), "{stderr}");
    assert_eq!(objects[0]["status"], "rolled-back", "{objects:?}");
    assert_eq!(running(), format!("{api} true {v1}"));
    assert_eq!(e2(&["image", "inspect", "-f", "{{.Id}}", reference]), v1);
    let (code, objects, stderr) = update(&["api"], &env);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(
        objects[0]["status"], "current",
        "not tried again: {objects:?}"
    );
    assert!(objects[0]["rejected"].is_string(), "{objects:?}");
    assert_eq!(running(), format!("{api} true {v1}"));

    push(&v3, Some(&v1));
    let (code, objects, stderr) = update(&["api"], &env);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(objects[0]["status"], "updated", "{objects:?}");
    assert!(running().ends_with(&format!(" true {v3}")), "{}", running());
    assert_eq!(e2(&["exec", "api", "cat", "/data/f"]), "kept");
}

/// SIGTERM stops an update run between containers: the one at hand (here in its gate) rolls
/// back and runs its old image again, the other is not tried, the tags are left for the next
/// run, and the run exits 143; the next run updates both.
#[test]
fn r16_a_signal_stops_the_run_between_containers() {
    use crate::replace::{shape, signalled_at};
    let mut images = Images::default();
    let mut guard = Cleanup::new();
    let v1 = version(&mut guard, &mut images, 1, &[]);
    let v2 = version(&mut guard, &mut images, 2, &[]);
    let tag = format!("{}:1", unique("sigapp"));
    images.0.push(tag.clone());
    let pair = |guard: &mut Cleanup| -> Vec<String> {
        docker_ok(&["tag", &v1, &tag]);
        let names: Vec<String> = (0..2).map(|_| guard.container(&unique("sigupd"))).collect();
        for name in &names {
            launch_image(name, &["--auto-update=local"], &tag, &[]);
        }
        docker_ok(&["tag", &v2, &tag]);
        names
    };
    let args = |names: &[String]| {
        let mut args = vec!["--update-images".to_owned()];
        args.extend(names.iter().cloned());
        args
    };
    // Where the first container's new one starts, in a whole run.
    let names = pair(&mut guard);
    let (whole, seen) = signalled_at(usize::MAX - 1, "TERM", &args(&names));
    assert_eq!(whole.code, Some(0), "{}", whole.stderr);
    let start = seen
        .iter()
        .position(|l| shape(l) == "POST /containers/ID/start")
        .expect("a start")
        + 1;

    let names = pair(&mut guard);
    let ids: Vec<Option<String>> = names.iter().map(|n| inspect(n, "{{.Id}}")).collect();
    let (stopped, _) = signalled_at(start, "TERM", &args(&names));
    assert_eq!(stopped.code, Some(143), "{}", stopped.stderr);
    assert!(
        stopped
            .stdout
            .contains("not tried: the run was stopped by signal 15"),
        "the other one is reported: {}",
        stopped.stdout
    );
    for (name, id) in names.iter().zip(&ids) {
        assert_eq!(
            inspect(name, "{{.Id}} {{.State.Running}} {{.Image}}"),
            Some(format!("{} true {v1}", id.as_deref().unwrap_or_default())),
            "{name}: its old container runs: {}",
            stopped.stderr
        );
    }
    assert_eq!(
        image_of(&tag).as_deref(),
        Some(v2.as_str()),
        "the tag is left"
    );
    let (code, objects, stderr) =
        update(&names.iter().map(String::as_str).collect::<Vec<_>>(), &[]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(
        objects.iter().all(|o| o["status"] == "updated"),
        "{objects:?}"
    );
}
