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

/// Each request reduced to its method and what it acts on, with the container ID shown as `ID`.
fn shapes(seen: &[String], name: &str) -> Vec<String> {
    seen.iter()
        .map(|line| {
            let mut words = line.split(' ');
            let (method, path) = (words.next().unwrap(), words.next().unwrap());
            // Any API version prefix and the query are not what is counted.
            let path = path.split('?').next().unwrap();
            let path = path.find("/containers/").map_or(path, |i| &path[i..]);
            let path = path.find("/images/").map_or(path, |i| &path[i..]);
            let parts: Vec<&str> = path.split('/').collect();
            let path = match parts.as_slice() {
                ["", "containers", id, rest] if *id != name && id.len() == 64 => {
                    format!("/containers/ID/{rest}")
                }
                _ => path.to_owned(),
            };
            format!("{method} {path}")
        })
        .collect()
}

/// The start and create paths: the container inspect, the image ID (it goes into the
/// `dockrun.spec-hash` label, see `ensure.rs`), then the engine work itself. A missing name
/// costs one list more (issue 14): what an interrupted replacement may have left under
/// `NAME-dockrun-…` is repaired before anything is created, so its data is never stranded; a
/// present name never needs it (a replacement frees the name until it commits). Update this
/// test when a request is added or removed on purpose.
#[test]
fn r6_start_and_create_paths_cost_three_and_five_requests() {
    let mut guard = Cleanup::new();
    let name = guard.container(&unique("few"));
    let image = test_image();
    let args = ["-d", "--pull=never", "--name", &name, image, "sleep", "600"];
    let inspect = format!("GET /containers/{name}/json");
    let image_lookup = format!("GET /images/{image}/json");

    let created = requests_of(&args);
    assert_eq!(
        shapes(&created, &name),
        [
            inspect.as_str(),
            "GET /containers/json",
            &image_lookup,
            "POST /containers/create",
            "POST /containers/ID/start"
        ],
        "create path; saw {created:#?}"
    );

    docker_ok(&["stop", "-t", "0", &name]);
    let started = requests_of(&args);
    assert_eq!(
        shapes(&started, &name),
        [inspect.as_str(), &image_lookup, "POST /containers/ID/start"],
        "start path; saw {started:#?}"
    );
}
