//! The test image: a root filesystem holding Debian's static busybox (package `busybox-static`)
//! with its applets linked into /bin, imported into the engine once and tagged by the hash of
//! what went into it. No registry is needed. The recipe is `image.sh` beside this file, shared
//! with the benchmark (`bench/run.sh`), so both measure and test the same image.

use std::process::{Command, Stdio};
use std::sync::OnceLock;

use super::require_engine;

/// The recipe, run with bash; it prints the tag.
const RECIPE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/integration/support/image.sh"
);

/// The test image reference, built on first use.
pub fn test_image() -> &'static str {
    static IMAGE: OnceLock<String> = OnceLock::new();
    IMAGE.get_or_init(build).as_str()
}

fn build() -> String {
    require_engine();
    let out = Command::new("bash")
        .arg(RECIPE)
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .expect("bash runs");
    assert!(
        out.status.success(),
        "building the test image with {RECIPE} failed (see its stderr above)"
    );
    let tag = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    assert!(!tag.is_empty(), "{RECIPE} printed no tag");
    tag
}

/// A detached launch of a long sleep from the local test image, named `name`.
pub fn sleeper(name: &str) -> [&str; 7] {
    [
        "-d",
        "--pull=never",
        "--name",
        name,
        test_image(),
        "sleep",
        "600",
    ]
}
