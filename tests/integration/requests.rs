//! Issue 6, speed and footprint: what each launch path costs in Engine API requests, counted by
//! a proxy in front of the real engine. The no-op path (a running container, `-d`) must cost
//! exactly one request: one inspect, no version negotiation, no listing, no second look.

use crate::support::image::test_image;
use crate::support::proxy::CountingProxy;
use crate::support::{docker_ok, dockrun, dockrun_env, unique, Cleanup};

/// Run `dockrun ARGS` through a fresh counting proxy; assert success; return the request lines.
fn requests_of(args: &[&str]) -> Vec<String> {
    let proxy = CountingProxy::start();
    let host = proxy.docker_host();
    let run = dockrun_env(args, &[("DOCKER_HOST", &host)]);
    assert_eq!(run.code, Some(0), "dockrun {args:?} failed: {}", run.stderr);
    proxy.requests()
}

#[test]
fn r6_noop_launch_costs_exactly_one_request() {
    let mut guard = Cleanup::new();
    let name = guard.container(&unique("one"));
    let args = ["-d", "--name", &name, test_image(), "sleep", "600"];
    let first = dockrun(&args);
    assert_eq!(first.code, Some(0), "{}", first.stderr);

    let seen = requests_of(&args);
    assert_eq!(
        seen.len(),
        1,
        "a no-op launch must cost one API request, saw {seen:#?}"
    );
    assert!(
        seen[0].starts_with("GET /")
            && seen[0].ends_with(&format!("/containers/{name}/json HTTP/1.1")),
        "the one request must be the inspect by name, saw {seen:#?}"
    );
}

#[test]
fn r6_start_and_create_paths_cost_two_and_three_requests() {
    let mut guard = Cleanup::new();
    let name = guard.container(&unique("few"));
    let args = [
        "-d",
        "--pull=never",
        "--name",
        &name,
        test_image(),
        "sleep",
        "600",
    ];

    let created = requests_of(&args);
    let methods: Vec<&str> = created
        .iter()
        .map(|r| r.split(' ').next().unwrap())
        .collect();
    assert_eq!(
        methods,
        ["GET", "POST", "POST"],
        "create path: inspect, create, start; saw {created:#?}"
    );
    assert!(created[1].contains("/containers/create?"), "{created:#?}");
    assert!(created[2].contains("/start "), "{created:#?}");

    docker_ok(&["stop", "-t", "0", &name]);
    let started = requests_of(&args);
    assert_eq!(
        started.len(),
        2,
        "start path: inspect, start; saw {started:#?}"
    );
    assert!(started[1].contains("/start "), "{started:#?}");
}
