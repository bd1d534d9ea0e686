//! The test image: a root filesystem holding Debian's static busybox (package `busybox-static`)
//! with its applets linked into /bin, imported into the engine once and tagged by the hash of
//! what went into it. No registry is needed.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use super::{docker, require_engine};

/// Where Debian's `busybox-static` installs the static binary.
const BUSYBOX: &str = "/bin/busybox";

/// The test image reference, built on first use.
pub fn test_image() -> &'static str {
    static IMAGE: OnceLock<String> = OnceLock::new();
    IMAGE.get_or_init(build).as_str()
}

fn build() -> String {
    require_engine();
    let binary = std::fs::read(BUSYBOX).unwrap_or_else(|e| {
        panic!("{BUSYBOX} is missing ({e}): install Debian's `busybox-static`")
    });
    let mut hasher = DefaultHasher::new();
    binary.hash(&mut hasher);
    "v2".hash(&mut hasher); // bump when the recipe below changes
    let tag = format!("dockrun-test-busybox:{:016x}", hasher.finish());
    if docker(&["image", "inspect", &tag]).status.success() {
        return tag;
    }
    let root = tempfile::tempdir().expect("tempdir");
    let bin = root.path().join("bin");
    std::fs::create_dir_all(&bin).expect("mkdir bin");
    for dir in ["tmp", "etc", "proc", "sys", "dev", "data", "root"] {
        std::fs::create_dir_all(root.path().join(dir)).expect("mkdir");
    }
    std::fs::write(
        root.path().join("etc/passwd"),
        "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/sh\n",
    )
    .expect("passwd");
    std::fs::write(
        root.path().join("etc/group"),
        "root:x:0:\nnogroup:x:65534:\n",
    )
    .expect("group");
    std::fs::copy(BUSYBOX, bin.join("busybox")).expect("copy busybox");
    let list = Command::new(BUSYBOX)
        .arg("--list")
        .output()
        .expect("busybox --list");
    for applet in String::from_utf8_lossy(&list.stdout).lines() {
        if applet != "busybox" {
            std::os::unix::fs::symlink("busybox", bin.join(applet)).expect("symlink applet");
        }
    }
    import(root.path(), &tag);
    tag
}

fn import(root: &Path, tag: &str) {
    let mut tar = Command::new("tar")
        .args(["-C", &root.display().to_string(), "-c", "."])
        .stdout(Stdio::piped())
        .spawn()
        .expect("tar runs");
    let status = Command::new("docker")
        .args([
            "import",
            "-c",
            "CMD [\"/bin/sh\"]",
            "-c",
            "ENV PATH=/bin",
            "-",
            tag,
        ])
        .stdin(tar.stdout.take().expect("tar stdout"))
        .stdout(Stdio::null())
        .status()
        .expect("docker import runs");
    assert!(tar.wait().expect("tar ends").success(), "tar failed");
    assert!(status.success(), "docker import of the test image failed");
}
