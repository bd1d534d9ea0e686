//! Issue 17: Quadlet `.container` files under a real systemd (`support::systemd::Machine`):
//! dropped into `/etc/dockrun/containers`, turned into services by dockrun's generator on
//! `daemon-reload` and at boot, with the containers on the host engine. The generator is the
//! dockrun mounted into the machine, started through a `dockrun-generator` symlink, or the one the
//! Debian package installs.

use std::sync::OnceLock;

use crate::support::systemd::{healthy_image, Machine};
use crate::support::{exists, image::test_image, inspect, unique, Cleanup};

/// Where the system's `.container` files go.
const DIR: &str = "/etc/dockrun/containers";

/// A container command that serves until SIGTERM, then says so and exits 0.
const SERVE: &str =
    r#"sh -c "trap 'echo graceful; exit 0' TERM; echo serving; sleep 100000 & wait""#;

/// Install the mounted dockrun as the system generator, as `install.sh` does.
fn install_generator(machine: &Machine) {
    let out = machine.exec(&[
        "sh",
        "-c",
        "mkdir -p /etc/systemd/system-generators /etc/dockrun/containers && \
         ln -sfn /usr/local/bin/dockrun /etc/systemd/system-generators/dockrun-generator",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Drop `.container` files into the directory and `systemctl daemon-reload`.
fn drop_files(machine: &Machine, files: &[(&str, String)]) {
    for (name, text) in files {
        machine.write(&format!("{DIR}/{name}"), text);
    }
    machine.systemctl(&["daemon-reload"]);
}

/// A `.container` file for the test image, named `name`, running `exec`, plus `extra` lines in
/// `[Container]` and the groups after it.
fn container_file(name: &str, image: &str, exec: &str, extra: &str) -> String {
    format!("[Container]\nContainerName={name}\nImage={image}\nPull=never\nExec={exec}\n{extra}")
}

/// Files become services on `daemon-reload`; a service starts (active once the container runs),
/// restarts onto the same container, stops gracefully (the container's SIGTERM handler runs, the
/// unit ends inactive, not failed); the generated unit passes `systemd-analyze verify`, and the
/// generator's `--dryrun` prints exactly the unit it wrote.
#[test]
fn r17_container_files_become_services_that_start_restart_and_stop() {
    // Declared first, dropped last: the machine is gone before its containers are removed.
    let mut cleanup = Cleanup::new();
    let machine = Machine::boot();
    install_generator(&machine);
    let name = cleanup.container(&unique("q-web"));
    drop_files(
        &machine,
        &[(
            "web.container",
            format!(
                "[Unit]\nDescription=The web container\n\n{}\n[Service]\nTimeoutStopSec=25\n",
                container_file(
                    &name,
                    test_image(),
                    SERVE,
                    "Environment=GREETING=\"hello world\"\nLabel=app=web\n"
                )
            ),
        )],
    );
    assert_eq!(machine.show("web.service", "LoadState"), "loaded");
    assert_eq!(
        machine.show("web.service", "FragmentPath"),
        "/run/systemd/generator/web.service"
    );
    assert_eq!(
        machine.show("web.service", "Description"),
        "The web container"
    );
    assert_eq!(machine.show("web.service", "TimeoutStopUSec"), "25s");
    assert!(!exists(&name), "daemon-reload created the container");

    let verify = machine.exec(&[
        "systemd-analyze",
        "verify",
        "/run/systemd/generator/web.service",
    ]);
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&verify.stdout),
        String::from_utf8_lossy(&verify.stderr)
    );
    assert!(verify.status.success(), "systemd-analyze verify: {said}");
    assert!(
        !said.contains("web.service"),
        "systemd-analyze verify: {said}"
    );

    let dry = machine.exec(&[
        "/etc/systemd/system-generators/dockrun-generator",
        "--dryrun",
    ]);
    let written = machine.exec(&["cat", "/run/systemd/generator/web.service"]);
    assert_eq!(
        String::from_utf8_lossy(&dry.stdout),
        format!(
            "---web.service---\n{}\n",
            String::from_utf8_lossy(&written.stdout)
        )
    );
    assert_eq!(
        dry.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&dry.stderr)
    );

    machine.systemctl(&["start", "web.service"]);
    machine.assert_state("web.service", "active");
    assert_eq!(
        inspect(&name, "{{.State.Running}}").as_deref(),
        Some("true")
    );
    let config = inspect(
        &name,
        "{{.Config.Labels.app}}|{{range .Config.Env}}{{.}}|{{end}}",
    )
    .expect("inspect");
    assert!(config.starts_with("web|"), "{config}");
    assert!(config.contains("|GREETING=hello world|"), "{config}");
    let id = inspect(&name, "{{.Id}}").expect("created");
    let started = inspect(&name, "{{.State.StartedAt}}");

    machine.systemctl(&["restart", "web.service"]);
    machine.assert_state("web.service", "active");
    assert_eq!(
        inspect(&name, "{{.Id}}").as_deref(),
        Some(id.as_str()),
        "a new container"
    );
    assert_ne!(
        inspect(&name, "{{.State.StartedAt}}"),
        started,
        "not restarted"
    );

    machine.systemctl(&["stop", "web.service"]);
    machine.assert_state("web.service", "inactive");
    assert_eq!(
        inspect(&name, "{{.State.Running}} {{.State.ExitCode}}").as_deref(),
        Some("false 0")
    );
    assert!(machine.journal("web.service").contains("graceful"));
}

/// `Notify=healthy`: the database's service turns active only once its healthcheck passes; the
/// app's `[Unit]` keys (`Requires=`/`After=db.container`, translated to `db.service`) order it
/// after, so the app is not even created before the database is ready.
#[test]
fn r17_notify_healthy_waits_and_unit_keys_order_the_services() {
    let mut cleanup = Cleanup::new();
    let machine = Machine::boot();
    install_generator(&machine);
    let db = cleanup.container(&unique("q-db"));
    let app = cleanup.container(&unique("q-app"));
    drop_files(
        &machine,
        &[
            (
                "db.container",
                container_file(
                    &db,
                    healthy_image(),
                    r#"sh -c "trap 'exit 0' TERM; sleep 3; touch /tmp/ready; sleep 100000 & wait""#,
                    "Notify=healthy\n",
                ),
            ),
            (
                "app.container",
                format!(
                    "[Unit]\nRequires=db.container\nAfter=db.container\n{}",
                    container_file(&app, test_image(), SERVE, "")
                ),
            ),
        ],
    );
    let requires = machine.show("app.service", "Requires");
    assert!(
        requires.split(' ').any(|u| u == "db.service"),
        "Requires={requires}"
    );
    machine.systemctl(&["start", "--no-block", "app.service"]);
    machine.wait_for("db.service", "ActiveState", |s| s == "activating");
    wait_running(&db);
    assert_eq!(machine.show("db.service", "ActiveState"), "activating");
    assert!(
        !exists(&app),
        "the app was created before the database was healthy"
    );
    machine.wait_for("app.service", "ActiveState", |s| s == "active");
    assert_eq!(
        inspect(&db, "{{.State.Health.Status}}").as_deref(),
        Some("healthy")
    );
    let db_active: u64 = machine
        .show("db.service", "ActiveEnterTimestampMonotonic")
        .parse()
        .expect("timestamp");
    let app_started: u64 = machine
        .show("app.service", "ExecMainStartTimestampMonotonic")
        .parse()
        .expect("timestamp");
    assert!(
        db_active > 0 && db_active <= app_started,
        "{db_active} > {app_started}"
    );
    machine.systemctl(&["stop", "app.service", "db.service"]);
    machine.assert_state("app.service", "inactive");
    machine.assert_state("db.service", "inactive");
}

/// A file with a key that has no Docker meaning gets no unit and is named, with its line and
/// key, in the journal; the other files still get theirs, and they work.
#[test]
fn r17_unsupported_key_is_named_in_the_journal_and_the_others_still_work() {
    let mut cleanup = Cleanup::new();
    let machine = Machine::boot();
    install_generator(&machine);
    let good = cleanup.container(&unique("q-good"));
    drop_files(
        &machine,
        &[
            (
                "bad.container",
                "[Container]\nImage=busybox\n# a pod is podman's\nPod=web.pod\n".to_owned(),
            ),
            (
                "good.container",
                container_file(&good, test_image(), SERVE, ""),
            ),
        ],
    );
    assert_eq!(machine.show("bad.service", "LoadState"), "not-found");
    let wanted = format!("{DIR}/bad.container:4: `Pod=`: no Docker meaning: docker has no pods");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let out = machine.exec(&[
            "journalctl",
            "--no-pager",
            "-o",
            "cat",
            "-t",
            "dockrun-generator",
        ]);
        let journal = String::from_utf8_lossy(&out.stdout).into_owned();
        if journal.contains(&wanted) {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the journal does not name the file, line and key:\n{journal}"
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    machine.systemctl(&["start", "good.service"]);
    machine.assert_state("good.service", "active");
    assert_eq!(
        inspect(&good, "{{.State.Running}}").as_deref(),
        Some("true")
    );
    machine.systemctl(&["stop", "good.service"]);
    machine.assert_state("good.service", "inactive");
}

/// Drop-ins, as podman's quadlet reads them: `web.container.d/*.conf` next to the file and the
/// type's `container.d/` in another search directory are merged in on `daemon-reload`; their
/// `[Container]` keys reach the container (a later-named drop-in's `Environment=` wins, list keys
/// add up) and their `[Service]` keys the service.
#[test]
fn r17_dropins_reach_the_container_and_the_service() {
    let mut cleanup = Cleanup::new();
    let machine = Machine::boot();
    install_generator(&machine);
    let name = cleanup.container(&unique("q-dropin"));
    machine.exec(&[
        "mkdir",
        "-p",
        &format!("{DIR}/web.container.d"),
        "/usr/share/dockrun/containers/container.d",
    ]);
    machine.write(
        &format!("{DIR}/web.container.d/10-env.conf"),
        "[Container]\nEnvironment=WHO=early\nEnvironment=TIER=front\n[Service]\nTimeoutStopSec=33\n",
    );
    machine.write(
        &format!("{DIR}/web.container.d/20-env.conf"),
        "[Container]\nEnvironment=WHO=late\n",
    );
    machine.write(
        "/usr/share/dockrun/containers/container.d/10-label.conf",
        "[Container]\nLabel=fleet=all\n",
    );
    drop_files(
        &machine,
        &[(
            "web.container",
            container_file(&name, test_image(), SERVE, "Environment=WHO=main\n"),
        )],
    );
    assert_eq!(machine.show("web.service", "TimeoutStopUSec"), "33s");
    machine.systemctl(&["start", "web.service"]);
    machine.assert_state("web.service", "active");
    let config = inspect(
        &name,
        "{{.Config.Labels.fleet}}|{{range .Config.Env}}{{.}}|{{end}}",
    )
    .expect("inspect");
    assert!(config.starts_with("all|"), "{config}");
    assert!(config.contains("|WHO=late|"), "{config}");
    assert!(config.contains("|TIER=front|"), "{config}");
    assert!(
        !config.contains("WHO=main") && !config.contains("WHO=early"),
        "{config}"
    );
    machine.systemctl(&["stop", "web.service"]);
    machine.assert_state("web.service", "inactive");
}

/// A template file (`app@.container`) gives `app@.service`, which runs one container per
/// instance (`%i` in its name); an instance file (`app@two.container`, a symlink to the template,
/// as podman's docs suggest) with its own drop-in directory gives `app@two.service`, with the
/// drop-in's keys for that instance only.
#[test]
fn r17_template_and_instance_files_run_one_container_per_instance() {
    let mut cleanup = Cleanup::new();
    let machine = Machine::boot();
    install_generator(&machine);
    let prefix = unique("q-inst");
    let (one, two) = (
        cleanup.container(&format!("{prefix}-one")),
        cleanup.container(&format!("{prefix}-two")),
    );
    machine.exec(&["mkdir", "-p", &format!("{DIR}/app@two.container.d")]);
    machine.write(
        &format!("{DIR}/app@two.container.d/10-who.conf"),
        "[Container]\nEnvironment=WHO=second\n",
    );
    machine.write(
        &format!("{DIR}/app@.container"),
        &container_file(
            &format!("{prefix}-%i"),
            test_image(),
            SERVE,
            "Environment=WHO=any\n",
        ),
    );
    let link = machine.exec(&[
        "ln",
        "-s",
        "app@.container",
        &format!("{DIR}/app@two.container"),
    ]);
    assert!(link.status.success());
    machine.systemctl(&["daemon-reload"]);
    assert_eq!(
        machine.show("app@one.service", "FragmentPath"),
        "/run/systemd/generator/app@.service"
    );
    assert_eq!(
        machine.show("app@two.service", "FragmentPath"),
        "/run/systemd/generator/app@two.service"
    );
    machine.systemctl(&["start", "app@one.service", "app@two.service"]);
    machine.assert_state("app@one.service", "active");
    machine.assert_state("app@two.service", "active");
    let env = |name: &str| inspect(name, "{{range .Config.Env}}{{.}}|{{end}}").expect(name);
    assert!(env(&one).contains("WHO=any|"), "{}", env(&one));
    assert!(env(&two).contains("WHO=second|"), "{}", env(&two));
    machine.systemctl(&["stop", "app@one.service", "app@two.service"]);
    machine.assert_state("app@one.service", "inactive");
    machine.assert_state("app@two.service", "inactive");
    for name in [&one, &two] {
        assert_eq!(
            inspect(name, "{{.State.Running}} {{.State.ExitCode}}").as_deref(),
            Some("false 0")
        );
    }
}

/// The Debian package `install.sh --deb` builds (once per test process), from the static debug
/// build.
fn deb() -> &'static str {
    static DEB: OnceLock<String> = OnceLock::new();
    DEB.get_or_init(|| {
        let root = env!("CARGO_MANIFEST_DIR");
        let out = std::process::Command::new(format!("{root}/install.sh"))
            .args(["--deb", "--debug"])
            .current_dir(root)
            .stderr(std::process::Stdio::inherit())
            .output()
            .expect("install.sh runs");
        assert!(
            out.status.success(),
            "install.sh --deb --debug failed (it needs cargo-deb: cargo install cargo-deb --locked)"
        );
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    })
}

/// The Debian package installs into the machine's root with dpkg: the binary, the man page, the
/// completions and the generator in their system places; its generator makes the services; a
/// file's `[Install]` `WantedBy=multi-user.target` brings its service up at boot (and one without
/// `[Install]` stays down).
#[test]
fn r17_deb_installs_the_generator_and_install_keys_start_services_at_boot() {
    let deb = deb();
    let mut cleanup = Cleanup::new();
    let machine = Machine::boot();
    machine.copy_in(std::path::Path::new(deb), "/tmp/dockrun.deb");
    let out = machine.exec(&["dpkg", "-i", "/tmp/dockrun.deb"]);
    assert!(
        out.status.success(),
        "dpkg -i: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    for path in [
        "/usr/bin/dockrun",
        "/usr/share/bash-completion/completions/dockrun",
        "/usr/share/zsh/vendor-completions/_dockrun",
        "/usr/share/fish/vendor_completions.d/dockrun.fish",
    ] {
        let listed = machine.exec(&["dpkg", "-S", path]);
        assert!(listed.status.success(), "the package does not hold {path}");
    }
    let man = machine.exec(&[
        "sh",
        "-c",
        "dpkg -L dockrun | grep -q '^/usr/share/man/man1/dockrun.1'",
    ]);
    assert!(man.status.success(), "no man page in the package");
    for link in [
        "/usr/lib/systemd/system-generators/dockrun-generator",
        "/usr/lib/systemd/user-generators/dockrun-user-generator",
    ] {
        let target = machine.exec(&["readlink", "-f", link]);
        assert_eq!(
            String::from_utf8_lossy(&target.stdout).trim(),
            "/usr/bin/dockrun",
            "{link}"
        );
    }

    let boot = cleanup.container(&unique("q-boot"));
    let manual = cleanup.container(&unique("q-manual"));
    machine.exec(&["mkdir", "-p", DIR]);
    drop_files(
        &machine,
        &[
            (
                "boot.container",
                format!(
                    "{}\n[Install]\nWantedBy=multi-user.target\n",
                    container_file(&boot, test_image(), SERVE, "")
                ),
            ),
            (
                "manual.container",
                container_file(&manual, test_image(), SERVE, ""),
            ),
        ],
    );
    // The package's generator wrote it, so its ExecStart= is the package's binary.
    let exec = machine.show("boot.service", "ExecStart");
    assert!(exec.contains("path=/usr/bin/dockrun "), "{exec}");
    let link = machine.exec(&[
        "readlink",
        "/run/systemd/generator/multi-user.target.wants/boot.service",
    ]);
    assert_eq!(
        String::from_utf8_lossy(&link.stdout).trim(),
        "../boot.service"
    );
    assert!(!exists(&boot), "created before any start");

    machine.reboot();
    machine.wait_for("boot.service", "ActiveState", |s| s == "active");
    assert_eq!(
        inspect(&boot, "{{.State.Running}}").as_deref(),
        Some("true")
    );
    assert_eq!(machine.show("manual.service", "ActiveState"), "inactive");
    assert!(
        !exists(&manual),
        "a service without [Install] was started at boot"
    );
    machine.systemctl(&["stop", "boot.service"]);
    machine.assert_state("boot.service", "inactive");
}

/// Wait (up to 20 s) until the container runs.
fn wait_running(name: &str) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while inspect(name, "{{.State.Running}}").as_deref() != Some("true") {
        assert!(std::time::Instant::now() < deadline, "{name} never ran");
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}
