//! Issue 7, reach: the engine found as the docker CLI finds it (`DOCKER_HOST` with TLS, docker
//! contexts with TLS files), and pulls from a private registry with the credentials the CLI would
//! use (`auths`, `credsStore`, `credHelpers` through a helper speaking the real protocol).

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Stdio};

use crate::support::image::{sleeper, test_image};
use crate::support::podman::{Podman, SANDBOX_FLAGS};
use crate::support::registry::Registry;
use crate::support::ssh::{Ssh, HOST_ALIAS as SSH_HOST};
use crate::support::tls::{Pki, TlsProxy};
use crate::support::{
    docker, docker_ok, dockrun_bin, exists, finish, inspect, unique, Cleanup, Run,
};

/// Every variable that selects an engine or a config directory: removed so a test sees only its own.
const ENGINE_VARS: [&str; 5] = [
    "DOCKER_HOST",
    "DOCKER_CONTEXT",
    "DOCKER_TLS_VERIFY",
    "DOCKER_CERT_PATH",
    "DOCKER_CONFIG",
];

/// `cmd` with only `env` among the engine-selecting variables.
fn isolated(mut cmd: Command, env: &[(&str, &str)]) -> Command {
    cmd.stdin(Stdio::null());
    for var in ENGINE_VARS {
        cmd.env_remove(var);
    }
    cmd.envs(env.iter().copied());
    cmd
}

/// Run `dockrun ARGS` with only `env` among the engine-selecting variables.
fn dockrun_isolated(args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut cmd = Command::new(dockrun_bin());
    cmd.args(args);
    finish(isolated(cmd, env))
}

/// The docker CLI with the same isolation: the oracle for what a context or config means.
fn docker_isolated(args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
    let mut cmd = Command::new("docker");
    cmd.args(args);
    isolated(cmd, env).output().expect("the docker CLI runs")
}

/// A detached launch that must succeed; returns the ID.
fn launched(run: &Run) -> String {
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let id = run.stdout.trim().to_owned();
    assert_eq!(id.len(), 64, "a full ID on stdout: {:?}", run.stdout);
    id
}

/// The oracle first: the docker CLI reaches the engine with `env`. Then dockrun, with the same
/// variables, creates `name` and, launched again, finds it running. Returns the ID.
fn create_then_noop(name: &str, env: &[(&str, &str)]) -> String {
    let out = docker_isolated(&["version", "--format", "{{.Server.APIVersion}}"], env);
    assert!(
        out.status.success(),
        "the docker CLI: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let args = sleeper(name);
    let id = launched(&dockrun_isolated(&args, env));
    assert_eq!(inspect(name, "{{.Id}}").as_deref(), Some(id.as_str()));
    let again = dockrun_isolated(&args, env);
    assert_eq!(launched(&again), id);
    assert!(again.stderr.contains("already running"), "{}", again.stderr);
    id
}

#[test]
fn r7_docker_host_over_tls_with_cert_path() {
    let pki = Pki::generate();
    let proxy = TlsProxy::start(&pki);
    let mut guard = Cleanup::new();
    let name = guard.container(&unique("tls"));
    let cert_path = pki.dir().display().to_string();
    let env = [
        ("DOCKER_HOST", proxy.host.as_str()),
        ("DOCKER_TLS_VERIFY", "1"),
        ("DOCKER_CERT_PATH", cert_path.as_str()),
    ];
    create_then_noop(&name, &env);
}

#[test]
fn r7_tls_engine_with_an_untrusted_certificate_is_refused_by_name() {
    let pki = Pki::generate();
    let proxy = TlsProxy::start(&pki);
    let stranger = Pki::generate(); // another CA: the engine's certificate does not chain to it
    let name = unique("tlsbad");
    let cert_path = stranger.dir().display().to_string();
    let run = dockrun_isolated(
        &["-d", "--pull=never", "--name", &name, test_image()],
        &[
            ("DOCKER_HOST", proxy.host.as_str()),
            ("DOCKER_TLS_VERIFY", "1"),
            ("DOCKER_CERT_PATH", cert_path.as_str()),
        ],
    );
    assert_eq!(run.code, Some(125), "{}", run.stderr);
    let want = format!(
        "cannot reach the Docker engine at `{}` over TLS (from `DOCKER_HOST`)",
        proxy.host
    );
    assert!(run.stderr.contains(&want), "{}", run.stderr);
    assert!(
        run.stderr.to_lowercase().contains("certificate"),
        "the TLS reason is given: {}",
        run.stderr
    );
    assert!(!exists(&name));

    // TLS asked for, but no CA file where the certificates should be: named before connecting.
    let empty = tempfile::tempdir().unwrap();
    let empty_path = empty.path().display().to_string();
    let run = dockrun_isolated(
        &["-d", "--name", &name, test_image()],
        &[
            ("DOCKER_HOST", proxy.host.as_str()),
            ("DOCKER_TLS_VERIFY", "1"),
            ("DOCKER_CERT_PATH", empty_path.as_str()),
        ],
    );
    assert_eq!(run.code, Some(125), "{}", run.stderr);
    assert!(run.stderr.contains("ca.pem"), "{}", run.stderr);
    assert!(!exists(&name));
}

/// Write a docker context as `docker context create` would, with TLS files when `pki` is given.
fn write_context(config: &Path, name: &str, host: &str, pki: Option<&Pki>) {
    let id = context_id(name);
    let meta = config.join("contexts/meta").join(&id);
    std::fs::create_dir_all(&meta).unwrap();
    let json = serde_json::json!({
        "Name": name,
        "Metadata": {"Description": "dockrun test"},
        "Endpoints": {"docker": {"Host": host, "SkipTLSVerify": false}},
    });
    std::fs::write(meta.join("meta.json"), json.to_string()).unwrap();
    if let Some(pki) = pki {
        pki.copy_client_files(&config.join("contexts/tls").join(&id).join("docker"));
    }
}

/// The context store's directory name: sha256 of the name, via coreutils (independent of dockrun).
fn context_id(name: &str) -> String {
    let mut child = Command::new("sha256sum")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), name.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned()
}

#[test]
fn r7_current_context_with_tls_files_and_docker_context_override() {
    let pki = Pki::generate();
    let proxy = TlsProxy::start(&pki);
    let config = tempfile::tempdir().unwrap();
    let config_path = config.path().display().to_string();
    write_context(config.path(), "dockrun-tls", &proxy.host, Some(&pki));
    write_context(config.path(), "dockrun-dead", "tcp://127.0.0.1:1", None);
    std::fs::write(
        config.path().join("config.json"),
        r#"{"currentContext":"dockrun-tls"}"#,
    )
    .unwrap();
    let env = [("DOCKER_CONFIG", config_path.as_str())];
    // The oracle: the docker CLI accepts this context store and reaches the engine through it.
    let out = docker_isolated(&["context", "inspect", "--format", "{{.Name}}"], &env);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "dockrun-tls",
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = docker_isolated(&["version", "--format", "{{.Server.APIVersion}}"], &env);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let mut guard = Cleanup::new();
    let name = guard.container(&unique("ctx"));
    let args = sleeper(&name);
    let id = launched(&dockrun_isolated(&args, &env));
    assert_eq!(inspect(&name, "{{.Id}}").as_deref(), Some(id.as_str()));

    // DOCKER_CONTEXT overrides currentContext: the dead one is named in the failure; and a
    // context that does not exist is an error, as in the CLI, not a silent fallback.
    for (context, want) in [
        (
            "dockrun-dead",
            "`tcp://127.0.0.1:1` (context `dockrun-dead` from `DOCKER_CONTEXT`)",
        ),
        (
            "dockrun-nowhere",
            "context `dockrun-nowhere` (from `DOCKER_CONTEXT`) not found",
        ),
    ] {
        let env = [
            ("DOCKER_CONFIG", config_path.as_str()),
            ("DOCKER_CONTEXT", context),
        ];
        let run = dockrun_isolated(&args, &env);
        assert_eq!(run.code, Some(125), "{}", run.stderr);
        assert!(run.stderr.contains(want), "{}", run.stderr);
    }

    // DOCKER_HOST beats every context.
    let run = dockrun_isolated(
        &args,
        &[
            ("DOCKER_CONFIG", config_path.as_str()),
            ("DOCKER_CONTEXT", "dockrun-dead"),
            ("DOCKER_HOST", "unix:///var/run/docker.sock"),
        ],
    );
    assert_eq!(launched(&run), id);
}

// ---- private registries ----

const USER: &str = "dockrun";
const PASSWORD: &str = "s3cret:pw";

/// Removes images on drop.
struct Images(Vec<String>);

impl Drop for Images {
    fn drop(&mut self) {
        for image in &self.0 {
            let _ = docker(&["rmi", "-f", image]);
        }
    }
}

/// Push the test image to `registry` as a fresh repository, logging in with `docker login` in a
/// config directory of its own (never the user's); returns the reference and that directory.
fn push_private(registry: &Registry, images: &mut Images) -> (String, tempfile::TempDir) {
    let login = tempfile::tempdir().unwrap();
    let login_path = login.path().display().to_string();
    let env = [("DOCKER_CONFIG", login_path.as_str())];
    let remote = format!("{}/{}:1", registry.address, unique("private"));
    images.0.push(remote.clone());
    docker_ok(&["tag", test_image(), &remote]);
    let mut child = Command::new("docker")
        .args(["login", "-u", USER, "--password-stdin", &registry.address])
        .env("DOCKER_CONFIG", &login_path)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), PASSWORD.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "docker login: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = docker_isolated(&["push", &remote], &env);
    assert!(
        out.status.success(),
        "docker push: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    docker_ok(&["rmi", &remote]);
    (remote, login)
}

/// A `docker-credential-dockruntest` on a PATH directory of its own, speaking the helper
/// protocol: `get` reads the server address on stdin, logs it, and answers `user`/`secret` for
/// `server` only ("credentials not found" otherwise).
fn credential_helper(server: &str, user: &str, secret: &str) -> (tempfile::TempDir, String) {
    let bin = tempfile::tempdir().unwrap();
    let log = bin.path().join("asked");
    let script = bin.path().join("docker-credential-dockruntest");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\n\
             [ \"$1\" = get ] || {{ echo \"unsupported: $1\"; exit 1; }}\n\
             server=$(cat)\n\
             printf '%s\\n' \"$server\" >> '{log}'\n\
             if [ \"$server\" = '{server}' ]; then\n\
               printf '{{\"ServerURL\":\"%s\",\"Username\":\"{user}\",\"Secret\":\"{secret}\"}}\\n' \"$server\"\n\
             else\n\
               echo 'credentials not found in native keychain'; exit 1\n\
             fi\n",
            log = log.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    let path = format!(
        "{}:{}",
        bin.path().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    (bin, path)
}

/// A config directory holding just `config.json` with `json`.
fn config_with(json: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("config.json"), json).unwrap();
    dir
}

#[test]
fn r7_pull_with_auths_written_by_docker_login() {
    let registry = Registry::start_with_auth(USER, PASSWORD);
    let mut images = Images(Vec::new());
    let (remote, login) = push_private(&registry, &mut images);
    let mut guard = Cleanup::new();
    let name = guard.container(&unique("auths"));
    let config = login.path().display().to_string();
    let run = dockrun_isolated(
        &["-d", "--name", &name, &remote, "sleep", "600"],
        &[("DOCKER_CONFIG", config.as_str())],
    );
    launched(&run);
    assert!(
        run.stderr
            .contains(&format!("as `{USER}` (from `auths` in")),
        "says whose credentials: {}",
        run.stderr
    );
    assert!(!run.stderr.contains(PASSWORD), "never prints the secret");
}

#[test]
fn r7_pull_with_creds_store_and_cred_helpers() {
    let registry = Registry::start_with_auth(USER, PASSWORD);
    let mut images = Images(Vec::new());
    let (remote, _login) = push_private(&registry, &mut images);
    let (bin, path) = credential_helper(&registry.address, USER, PASSWORD);
    let mut guard = Cleanup::new();
    for (tag, json) in [
        ("store", r#"{"credsStore":"dockruntest"}"#.to_owned()),
        (
            "helpers",
            format!(
                r#"{{"credsStore":"dockrun-absent","credHelpers":{{"{}":"dockruntest"}}}}"#,
                registry.address
            ),
        ),
    ] {
        let config = config_with(&json);
        let config_path = config.path().display().to_string();
        let name = guard.container(&unique(tag));
        let run = dockrun_isolated(
            &["-d", "--name", &name, &remote, "sleep", "600"],
            &[
                ("DOCKER_CONFIG", config_path.as_str()),
                ("PATH", path.as_str()),
            ],
        );
        launched(&run);
        assert!(
            run.stderr.contains(&format!(
                "as `{USER}` (from `docker-credential-dockruntest`)"
            )),
            "{tag}: {}",
            run.stderr
        );
        docker_ok(&["rm", "-f", &name]);
        docker_ok(&["rmi", &remote]);
    }
    let asked = std::fs::read_to_string(bin.path().join("asked")).unwrap();
    assert_eq!(
        asked.lines().collect::<Vec<_>>(),
        vec![registry.address.as_str(); 2],
        "the helper got the registry's address on stdin, once per pull"
    );
}

#[test]
fn r7_refused_pull_names_the_registry_and_why() {
    let registry = Registry::start_with_auth(USER, PASSWORD);
    let mut images = Images(Vec::new());
    let (remote, _login) = push_private(&registry, &mut images);

    // No credentials at all.
    let empty = config_with("{}");
    let empty_path = empty.path().display().to_string();
    let name = unique("refused");
    let run = dockrun_isolated(
        &["-d", "--name", &name, &remote],
        &[("DOCKER_CONFIG", empty_path.as_str())],
    );
    assert_eq!(run.code, Some(125), "{}", run.stderr);
    let want = format!(
        "failed to pull image `{remote}` from registry `{}` without credentials (none for it in `{}`)",
        registry.address,
        empty.path().join("config.json").display()
    );
    assert!(run.stderr.contains(&want), "{}", run.stderr);
    assert!(
        run.stderr.contains("no basic auth credentials") || run.stderr.contains("unauthorized"),
        "the registry's reason follows: {}",
        run.stderr
    );
    assert!(!exists(&name));

    // A helper with the wrong password: who was tried, and the registry's refusal.
    let (_bin, path) = credential_helper(&registry.address, USER, "wrong");
    let store = config_with(r#"{"credsStore":"dockruntest"}"#);
    let store_path = store.path().display().to_string();
    let run = dockrun_isolated(
        &["-d", "--name", &name, &remote],
        &[
            ("DOCKER_CONFIG", store_path.as_str()),
            ("PATH", path.as_str()),
        ],
    );
    assert_eq!(run.code, Some(125), "{}", run.stderr);
    assert!(
        run.stderr.contains(&format!(
            "from registry `{}` as `{USER}` (from `docker-credential-dockruntest`)",
            registry.address
        )),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("unauthorized"), "{}", run.stderr);

    // A helper that is not installed: named, and no pull is attempted.
    let missing = config_with(r#"{"credsStore":"dockrun-absent"}"#);
    let missing_path = missing.path().display().to_string();
    let run = dockrun_isolated(
        &["-d", "--name", &name, &remote],
        &[("DOCKER_CONFIG", missing_path.as_str())],
    );
    assert_eq!(run.code, Some(125), "{}", run.stderr);
    assert!(
        run.stderr
            .contains("credential helper `docker-credential-dockrun-absent` failed for registry"),
        "{}",
        run.stderr
    );
    assert!(!exists(&name));
}

// ---- polish ----

#[test]
fn r7_help_version_and_generated_docs() {
    let run = dockrun_isolated(&["--help"], &[]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    // Grouped like docker run's reference, dockrun's own flags first.
    let headings: Vec<&str> = run
        .stdout
        .lines()
        .filter(|l| !l.starts_with(' ') && l.ends_with(':'))
        .collect();
    assert_eq!(
        headings,
        [
            "Arguments:",
            "dockrun:",
            "Identity and lifecycle:",
            "Process:",
            "Environment and labels:",
            "Networking:",
            "Storage:",
            "Resources:",
            "Security and namespaces:",
            "Logging and health:",
            "Attach, terminal and signals:",
        ]
    );
    assert!(
        !run.stdout.contains("--generate"),
        "hidden flag stays hidden"
    );

    let run = dockrun_isolated(&["--version"], &[]);
    assert_eq!(
        run.stdout.trim(),
        format!("dockrun {}", env!("CARGO_PKG_VERSION"))
    );

    let run = dockrun_isolated(&["--generate", "man"], &[]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert!(
        run.stdout.contains(".TH dockrun 1"),
        "{}",
        &run.stdout[..200]
    );
    // The page is valid roff: man renders it without complaint, when man is installed.
    let run = dockrun_isolated(&["--generate", "bash"], &[]);
    assert!(run.stdout.contains("complete -F"), "{}", run.stdout);
    let out = Command::new("bash")
        .args(["-n", "-c", &run.stdout])
        .output()
        .unwrap();
    assert!(out.status.success(), "bash parses the completion script");

    let run = dockrun_isolated(&["--generate", "nroff"], &[]);
    assert_eq!(run.code, Some(125), "{}", run.stderr);
    assert!(run.stderr.contains("--generate"), "{}", run.stderr);
}

#[test]
fn r7_log_level_flag_and_dockrun_log() {
    let mut guard = Cleanup::new();
    let name = guard.container(&unique("log"));
    let args = sleeper(&name);
    let with_flag = |level: &'static str| {
        let mut all = vec!["--log-level", level];
        all.extend_from_slice(&args);
        dockrun_isolated(&all, &[])
    };
    let run = with_flag("debug");
    launched(&run);
    assert!(run.stderr.contains("DEBUG"), "{}", run.stderr);
    let run = with_flag("warn");
    launched(&run);
    assert_eq!(run.stderr, "", "warn hides the info line");
    // DOCKRUN_LOG does the same; the flag wins over it.
    let run = dockrun_isolated(&args, &[("DOCKRUN_LOG", "error")]);
    launched(&run);
    assert_eq!(run.stderr, "");
    let mut all = vec!["--log-level", "info"];
    all.extend_from_slice(&args);
    let run = dockrun_isolated(&all, &[("DOCKRUN_LOG", "error")]);
    assert!(run.stderr.contains("already running"), "{}", run.stderr);
    // A filter that is not one is a usage error naming the flag; nothing is touched.
    let run = with_flag("dockrun=loud");
    assert_eq!(run.code, Some(125), "{}", run.stderr);
    assert!(
        run.stderr
            .starts_with("dockrun: error: invalid value `dockrun=loud` for `--log-level`"),
        "{}",
        run.stderr
    );
}

#[test]
fn r7_format_json_one_object_per_launch() {
    let mut guard = Cleanup::new();
    let name = guard.container(&unique("json"));
    let mut args = vec!["--format", "json"];
    args.extend_from_slice(&sleeper(&name));
    let object = |run: Run| -> serde_json::Value {
        assert_eq!(run.code, Some(0), "{}", run.stderr);
        assert_eq!(run.stdout.lines().count(), 1, "one line: {}", run.stdout);
        serde_json::from_str(&run.stdout).expect("stdout is one JSON object")
    };
    let first = object(dockrun_isolated(&args, &[]));
    let id = inspect(&name, "{{.Id}}").unwrap();
    assert_eq!(
        first,
        serde_json::json!({"id": id, "name": name, "image": test_image(), "action": "created"})
    );
    let again = object(dockrun_isolated(&args, &[]));
    assert_eq!(again["action"], "running");
    assert_eq!(again["id"], first["id"]);
    docker_ok(&["stop", "-t", "0", &name]);
    assert_eq!(object(dockrun_isolated(&args, &[]))["action"], "started");
}

#[test]
fn r7_pull_progress_live_on_a_terminal_plain_lines_otherwise() {
    let registry = Registry::start();
    let mut images = Images(Vec::new());
    let remote = format!("{}/{}:1", registry.address, unique("progress"));
    images.0.push(remote.clone());
    let mut guard = Cleanup::new();
    // A layer of its own (the test image plus 4 MiB of noise), so the pull really downloads.
    let builder = guard.container(&unique("layer"));
    docker_ok(&["create", "--name", &builder, test_image()]);
    let blob = tempfile::NamedTempFile::new().unwrap();
    let noise: Vec<u8> = (0..4u32 << 20)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13).to_le_bytes()[0])
        .collect();
    std::fs::write(blob.path(), noise).unwrap();
    docker_ok(&[
        "cp",
        &blob.path().display().to_string(),
        &format!("{builder}:/noise"),
    ]);
    docker_ok(&["commit", &builder, &remote]);
    docker_ok(&["push", &remote]);

    // Not a terminal: plain tracing lines, one per layer status, no bars.
    docker_ok(&["rmi", &remote]);
    let name = guard.container(&unique("plain"));
    let run = dockrun_isolated(&["-d", "--name", &name, &remote, "sleep", "600"], &[]);
    launched(&run);
    assert!(run.stderr.contains(": Pull complete"), "{}", run.stderr);
    assert!(
        !run.stderr.contains("[="),
        "no bars in a log: {}",
        run.stderr
    );

    // A terminal (util-linux `script` gives dockrun a pty): live bars, redrawn in place.
    docker_ok(&["rm", "-f", &name]);
    docker_ok(&["rmi", &remote]);
    let name = guard.container(&unique("live"));
    let line = format!("{} -d --name {name} {remote} sleep 600", dockrun_bin());
    let mut cmd = Command::new("script");
    cmd.args(["-q", "-e", "-c", &line, "/dev/null"]);
    let out = isolated(cmd, &[("TERM", "xterm"), ("NO_COLOR", "1")])
        .output()
        .unwrap();
    let screen = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{screen}");
    assert!(screen.contains("Pull complete"), "{screen}");
    assert!(
        screen.contains("\u{1b}["),
        "the display moves the cursor to redraw: {screen:?}"
    );
    assert!(
        !screen
            .lines()
            .any(|l| l.contains("INFO") && l.contains(": Pull complete")),
        "layers are bars, not log lines: {screen}"
    );
    assert!(exists(&name));
}

#[test]
fn r7_podman_docker_compatible_socket() {
    let podman = Podman::start(test_image());
    let name = unique("podman");
    let mut args = vec!["-d", "--format", "json", "--pull=never"];
    args.extend(SANDBOX_FLAGS);
    args.extend(["--name", &name, test_image(), "sleep", "600"]);
    let env = [("DOCKER_HOST", podman.host.as_str())];
    let action = |run: Run| -> (String, String) {
        assert_eq!(run.code, Some(0), "{}", run.stderr);
        let v: serde_json::Value = serde_json::from_str(&run.stdout).expect("json");
        (
            v["action"].as_str().unwrap().to_owned(),
            v["id"].as_str().unwrap().to_owned(),
        )
    };
    let (first, id) = action(dockrun_isolated(&args, &env));
    assert_eq!(first, "created");
    let out = podman.cli(&["inspect", "--format", "{{.Id}} {{.State.Running}}", &name]);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        format!("{id} true")
    );
    assert_eq!(
        action(dockrun_isolated(&args, &env)),
        ("running".to_owned(), id.clone())
    );
    let out = podman.cli(&["stop", "-t", "0", &name]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        action(dockrun_isolated(&args, &env)),
        ("started".to_owned(), id)
    );
    assert!(
        !exists(&name),
        "the container lives in podman, not in docker"
    );
}

#[test]
fn r7_ssh_engine_through_docker_system_dial_stdio() {
    let ssh = Ssh::start();
    let mut guard = Cleanup::new();
    let name = guard.container(&unique("ssh"));
    let host = format!("ssh://{SSH_HOST}");
    let state = ssh.dir.path().join("state").display().to_string();
    let env = [
        ("DOCKER_HOST", host.as_str()),
        ("PATH", ssh.path.as_str()),
        // ssh's control sockets go here, not into ~/.local/state.
        ("XDG_STATE_HOME", state.as_str()),
    ];
    create_then_noop(&name, &env);

    // A port in the address is refused by name (bollard's ssh transport cannot pass it on).
    let run = dockrun_isolated(
        &sleeper(&name),
        &[("DOCKER_HOST", "ssh://root@127.0.0.1:22")],
    );
    assert_eq!(run.code, Some(125), "{}", run.stderr);
    assert!(run.stderr.contains("has an ssh port"), "{}", run.stderr);
}
