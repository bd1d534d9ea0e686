//! Issue 12: every engine a user has. The API version a launch speaks costs no round trip on the
//! hot path against an old engine (this machine's 20.10, API 1.41), a current one (Docker 29's
//! floor of 1.44, played by the counting proxy in front of the real engine) and podman's
//! docker-compatible socket; an engine that changed behind its address is followed within the
//! launch that meets it; `DOCKER_API_VERSION` that is no version is refused by name. A TLS
//! engine behind an OpenSSL terminator (socat, stunnel) works as with the docker CLI, and each
//! `-d` launch opens one connection.

use crate::support::image::{sleeper, test_image};
use crate::support::podman::{Podman, SANDBOX_FLAGS};
use crate::support::proxy::CountingProxy;
use crate::support::tls::{Pki, Terminator, TlsProxy};
use crate::support::{dockrun, dockrun_env, exists, unique, Cleanup, Run};

/// Launch `args` through `proxy` with the API version cache in `cache`; assert success; return
/// the request lines that launch sent (the proxy's log is cumulative).
fn launch(proxy: &CountingProxy, cache: &tempfile::TempDir, args: &[&str]) -> Vec<String> {
    let before = proxy.requests().len();
    let host = proxy.docker_host();
    let cache_dir = cache.path().display().to_string();
    let run = dockrun_env(
        args,
        &[("DOCKER_HOST", &host), ("DOCKRUN_CACHE_DIR", &cache_dir)],
    );
    assert_eq!(run.code, Some(0), "dockrun {args:?}: {}", run.stderr);
    proxy.requests()[before..].to_vec()
}

/// The API version in each request's path (`1.41`), `-` for none.
fn versions(seen: &[String]) -> Vec<String> {
    seen.iter()
        .map(|line| {
            let path = line.split(' ').nth(1).unwrap_or("");
            path.strip_prefix("/v")
                .and_then(|p| p.split('/').next())
                .unwrap_or("-")
                .to_owned()
        })
        .collect()
}

/// Old engine → Docker 29 → old engine again, at one address: each launch costs one request
/// except the one that meets the change, which costs one refused request more and then speaks
/// (and remembers) what the engine named.
#[test]
fn r12_noop_costs_one_request_old_engine_floor_engine_and_after_changes() {
    let mut guard = Cleanup::new();
    let name = guard.container(&unique("floor"));
    let args = ["-d", "--name", &name, test_image(), "sleep", "600"];
    let first = dockrun(&args);
    assert_eq!(first.code, Some(0), "{}", first.stderr);
    let cache = tempfile::tempdir().expect("tempdir");

    // Docker 20.10 (API 1.41 at most): one request at 1.41, nothing cached.
    let proxy = CountingProxy::start();
    assert_eq!(versions(&launch(&proxy, &cache, &args)), ["1.41"]);
    assert_eq!(versions(&launch(&proxy, &cache, &args)), ["1.41"]);
    assert_eq!(proxy.connections(), 2, "one connection per launch");
    assert_eq!(std::fs::read_dir(cache.path()).unwrap().count(), 0);

    // Upgraded to Docker 29 (floor 1.44): the first launch meets the refusal and speaks 1.44;
    // every launch after costs one request again.
    let proxy = proxy.switch(true);
    let met = launch(&proxy, &cache, &args);
    assert_eq!(versions(&met), ["1.41", "1.44"], "{met:#?}");
    let again = launch(&proxy, &cache, &args);
    assert_eq!(versions(&again), ["1.44"], "{again:#?}");
    assert!(
        again[0].ends_with(&format!("/containers/{name}/json HTTP/1.1")),
        "the one request is the inspect by name: {again:#?}"
    );
    assert_eq!(versions(&launch(&proxy, &cache, &args)), ["1.44"]);

    // Back to 20.10, which refuses 1.44 as too new: followed within the launch, forgotten.
    let proxy = proxy.switch(false);
    let met = launch(&proxy, &cache, &args);
    assert_eq!(versions(&met), ["1.44", "1.41"], "{met:#?}");
    assert_eq!(versions(&launch(&proxy, &cache, &args)), ["1.41"]);
    assert_eq!(std::fs::read_dir(cache.path()).unwrap().count(), 0);
}

/// The start and create paths against Docker 29 with the version known: no request refused.
#[test]
fn r12_create_and_start_on_a_floor_engine_refuse_nothing() {
    let mut guard = Cleanup::new();
    let name = guard.container(&unique("floorc"));
    let args = sleeper(&name);
    let cache = tempfile::tempdir().expect("tempdir");
    let proxy = CountingProxy::with_api_floor();
    let created = launch(&proxy, &cache, &args);
    assert_eq!(
        versions(&created),
        // inspect (refused at 1.41, again at 1.44), the leftovers list (issue 14), image,
        // create, start
        ["1.41", "1.44", "1.44", "1.44", "1.44", "1.44"],
        "{created:#?}"
    );
    crate::support::docker_ok(&["stop", "-t", "0", &name]);
    let started = launch(&proxy, &cache, &args);
    assert_eq!(versions(&started), ["1.44", "1.44", "1.44"], "{started:#?}");
}

/// The one-off version check of a flag that needs API 1.44 (`--health-start-interval`) is
/// itself negotiated: against Docker 29 with nothing cached it is refused at 1.41, sent again
/// at 1.44, and the launch goes on at 1.44.
#[test]
fn r12_version_check_for_newer_flags_is_negotiated_too() {
    let mut guard = Cleanup::new();
    let name = guard.container(&unique("floorv"));
    let args = [
        "-d",
        "--pull=never",
        "--name",
        &name,
        "--health-cmd",
        "true",
        "--health-start-interval",
        "1s",
        test_image(),
        "sleep",
        "600",
    ];
    let cache = tempfile::tempdir().expect("tempdir");
    let proxy = CountingProxy::with_api_floor();
    let seen = launch(&proxy, &cache, &args);
    assert!(seen[0].starts_with("GET /v1.41/version "), "{seen:#?}");
    assert!(seen[1].starts_with("GET /v1.44/version "), "{seen:#?}");
    assert!(
        versions(&seen[2..]).iter().all(|v| v == "1.44"),
        "after the check, every request at 1.44: {seen:#?}"
    );
    assert!(exists(&name));
    // Known now: the check costs its one request.
    let seen = launch(&proxy, &cache, &args);
    assert_eq!(versions(&seen), ["1.44", "1.44"], "{seen:#?}");
    assert!(seen[0].starts_with("GET /v1.44/version "), "{seen:#?}");
}

/// podman's docker-compatible service speaks 1.41: one request, no negotiation.
#[test]
fn r12_noop_costs_one_request_on_podman() {
    let podman = Podman::start(test_image());
    let name = unique("podmanv");
    let mut args = vec!["-d", "--pull=never"];
    args.extend(SANDBOX_FLAGS);
    args.extend(["--name", &name, test_image(), "sleep", "600"]);
    let cache = tempfile::tempdir().expect("tempdir");
    let proxy = CountingProxy::to(&podman.host);
    let created = launch(&proxy, &cache, &args);
    assert!(
        versions(&created).iter().all(|v| v == "1.41"),
        "{created:#?}"
    );
    let noop = launch(&proxy, &cache, &args);
    assert_eq!(versions(&noop), ["1.41"], "{noop:#?}");
    assert!(noop[0].contains(&format!("/containers/{name}/json")));
    assert_eq!(std::fs::read_dir(cache.path()).unwrap().count(), 0);
}

/// `DOCKER_API_VERSION` that is no version is refused by name before the engine is asked.
#[test]
fn r12_garbage_docker_api_version_is_refused_by_name() {
    let name = unique("apiv");
    let proxy = CountingProxy::start();
    let host = proxy.docker_host();
    for value in ["garbage", "1", "1.4x", "v"] {
        let run: Run = dockrun_env(
            &["-d", "--name", &name, test_image(), "true"],
            &[("DOCKER_HOST", &host), ("DOCKER_API_VERSION", value)],
        );
        assert_eq!(run.code, Some(125), "{value}: {}", run.stderr);
        assert!(
            run.stderr.contains("`DOCKER_API_VERSION`") && run.stderr.contains(value),
            "{value}: {}",
            run.stderr
        );
    }
    assert_eq!(proxy.requests(), Vec::<String>::new());
    assert!(!exists(&name));
    // A version is spoken as given.
    let mut guard = Cleanup::new();
    guard.container(&name);
    let run = dockrun_env(
        &["-d", "--name", &name, test_image(), "sleep", "600"],
        &[("DOCKER_HOST", &host), ("DOCKER_API_VERSION", "1.40")],
    );
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert!(versions(&proxy.requests()).iter().all(|v| v == "1.40"));
}

/// `dockrun -d` through `terminator` (client certificate required) in front of a counting proxy
/// in front of the engine: create, no-op and start paths all work, and each launch opens one
/// connection (so one TLS handshake) for all its requests.
fn tls_through(terminator: Terminator, tls12_only: bool, tag: &str) {
    let pki = Pki::generate();
    let counting = CountingProxy::start();
    let tls = TlsProxy::speaking(terminator, &pki, &counting.socket(), tls12_only);
    let mut guard = Cleanup::new();
    let name = guard.container(&unique(tag));
    let args = sleeper(&name);
    let cert_path = pki.dir().display().to_string();
    let env = [
        ("DOCKER_HOST", tls.host.as_str()),
        ("DOCKER_TLS_VERIFY", "1"),
        ("DOCKER_CERT_PATH", cert_path.as_str()),
    ];
    // The oracle: the docker CLI talks to this terminator.
    let oracle = std::process::Command::new("docker")
        .args(["version", "--format", "{{.Server.APIVersion}}"])
        .envs(env)
        .output()
        .expect("docker runs");
    assert!(
        oracle.status.success(),
        "{terminator:?}: docker itself: {}",
        String::from_utf8_lossy(&oracle.stderr)
    );
    let launch = |path: &str, requests: usize| {
        let (opened, sent) = (counting.connections(), counting.requests().len());
        let run = dockrun_env(&args, &env);
        assert_eq!(
            run.code,
            Some(0),
            "{terminator:?}, {path} path: {}",
            run.stderr
        );
        let seen = counting.requests()[sent..].to_vec();
        assert_eq!(seen.len(), requests, "{path} path: {seen:#?}");
        assert_eq!(
            counting.connections() - opened,
            1,
            "{terminator:?}, {path} path: one connection for {seen:#?}"
        );
        run
    };
    let created = launch("create", 5);
    assert!(created.stderr.contains("created"), "{}", created.stderr);
    let again = launch("no-op", 1);
    assert!(again.stderr.contains("already running"), "{}", again.stderr);
    crate::support::docker_ok(&["stop", "-t", "0", &name]);
    launch("start", 3);

    // In the foreground the wait and the attachment hold connections of their own while the
    // start goes on another: several TLS connections in one launch, none of them resumed.
    let name = guard.container(&unique(tag));
    let opened = counting.connections();
    let run = dockrun_env(
        &[
            "--pull=never",
            "--name",
            &name,
            test_image(),
            "echo",
            "through-tls",
        ],
        &env,
    );
    assert_eq!(
        run.code,
        Some(0),
        "{terminator:?}, foreground: {}",
        run.stderr
    );
    assert_eq!(run.stdout, "through-tls\n");
    let connections = counting.connections() - opened;
    assert!(connections > 1, "the foreground path takes {connections}");
    eprintln!("{terminator:?}: the foreground launch opened {connections} connections");
}

#[test]
fn r12_tls_through_socat_openssl_listen_verify() {
    tls_through(Terminator::Socat, false, "socat");
}

#[test]
fn r12_tls_through_stunnel() {
    tls_through(Terminator::Stunnel, false, "stunnel");
}

/// Terminators that speak TLS 1.2 at most (older ones, hardened configurations): the docker
/// CLI talks to them, so dockrun does too.
#[test]
fn r12_tls12_only_terminators() {
    tls_through(Terminator::Socat, true, "socat12");
    tls_through(Terminator::Stunnel, true, "stunnel12");
}

/// A credential helper that never answers is killed at its limit, and the error names the
/// helper, the registry and the limit; nothing is pulled or created.
#[test]
fn r12_credential_helper_that_never_answers_is_cut_off() {
    use std::os::unix::fs::PermissionsExt;
    let bin = tempfile::tempdir().expect("tempdir");
    let helper = bin.path().join("docker-credential-dockrunhang");
    std::fs::write(&helper, "#!/bin/sh\nexec sleep 600\n").expect("helper");
    std::fs::set_permissions(&helper, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let config = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        config.path().join("config.json"),
        r#"{"credsStore":"dockrunhang"}"#,
    )
    .expect("config.json");
    let path = format!(
        "{}:{}",
        bin.path().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let config_dir = config.path().display().to_string();
    let name = unique("credhang");
    let started = std::time::Instant::now();
    let run = dockrun_env(
        &["-d", "--name", &name, "127.0.0.1:1/dockrun-hang:1"],
        &[
            ("PATH", &path),
            ("DOCKER_CONFIG", &config_dir),
            ("DOCKRUN_CREDENTIAL_HELPER_TIMEOUT", "1"),
        ],
    );
    assert_eq!(run.code, Some(125), "{}", run.stderr);
    assert!(
        run.stderr.contains(
            "credential helper `docker-credential-dockrunhang` failed for registry `127.0.0.1:1`"
        ) && run.stderr.contains("did not answer within 1s"),
        "{}",
        run.stderr
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(30));
    assert!(!exists(&name));
}

/// A read-only bind is recursively read-only on an engine that makes it so (Docker 25+, API
/// 1.44: submounts of the source are read-only too), as `docker run` makes it there: dockrun,
/// which speaks 1.41 where nothing needs more, speaks 1.44 for such a container, or the engine
/// would keep the pre-1.44 meaning (the submounts writable). On this machine's 20.10 both are
/// non-recursive alike (the corpus checks that). Tested on engine2 (Debian 13's Docker 26.1),
/// with a tmpfs mounted under the bind source inside the engine's own mount namespace.
#[test]
fn r15_read_only_binds_are_recursive_where_docker_makes_them_so() {
    use crate::support::engine2::Engine2;
    let engine = Engine2::start();
    let source = engine.shared_dir().join("rro");
    std::fs::create_dir_all(source.join("sub")).expect("mkdir");
    let sub = source.join("sub").display().to_string();
    crate::support::docker_ok(&["exec", &engine.name, "mount", "-t", "tmpfs", "tmpfs", &sub]);
    let bind = format!("{}:/data:ro", source.display());
    let mount = format!("type=bind,src={},dst=/data,readonly", source.display());
    for flags in [["-v", bind.as_str()], ["--mount", mount.as_str()]] {
        let script = "touch /data/sub/x 2>/dev/null && echo writable || echo read-only";
        let mut args = vec!["--rm"];
        args.extend(flags);
        args.extend([test_image(), "sh", "-c", script]);
        let mut oracle = engine.docker();
        oracle.arg("run").args(&args);
        let docker = oracle.output().expect("docker runs");
        assert!(docker.status.success(), "{flags:?}: docker: {docker:?}");
        let docker = String::from_utf8_lossy(&docker.stdout).trim().to_owned();
        let name = unique("rro");
        let mut mine = vec!["--pull=never", "--name", name.as_str()];
        mine.extend(&args);
        let run = dockrun_env(&mine, &[("DOCKER_HOST", &engine.docker_host)]);
        assert_eq!(run.code, Some(0), "{flags:?}: {}", run.stderr);
        assert_eq!(
            (run.stdout.trim(), docker.as_str()),
            ("read-only", "read-only"),
            "{flags:?}: dockrun's submount, docker's submount"
        );
    }
}
