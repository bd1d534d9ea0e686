//! Issue 16, image updates with rollback: the per-container opt-in (`--auto-update`), recorded
//! on the container as part of its spec, and the unit it runs under (`DOCKRUN_UNIT`).

use crate::support::image::test_image;
use crate::support::{dockrun, dockrun_env, inspect, unique, Cleanup};

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
