//! Fuzz engine data: arbitrary bytes as a container's inspect answer (JSON, as the engine sends
//! it) go through `engine::observed_from_json` (the conversion `observe` uses) and, when they
//! describe a container, through `drift::compare` against a command line, with and without
//! dockrun's labels and a resolved image ID, and the differences are formatted as the warnings
//! are. Malformed answers are refused; a panic is a bug (nothing from the engine may panic).

#![no_main]

use std::sync::OnceLock;

use dockrun::drift::{self, Normalised};
use dockrun::state::Observed;
use libfuzzer_sys::fuzz_target;

/// The command line the container is compared with (built once).
fn desired() -> &'static Normalised {
    static DESIRED: OnceLock<Normalised> = OnceLock::new();
    DESIRED.get_or_init(|| {
        let raw = dockrun::cli::RawArgs::parse_from_argv([
            "dockrun", "-d", "--name", "web", "-e", "A=1", "-p", "8080:80", "-v", "/data",
            "-l", "k=v", "--restart", "always", "img:1", "sleep", "5",
        ])
        .expect("the fixed command line parses");
        let spec = dockrun::spec::ContainerSpec::try_from(raw).expect("and is valid");
        Normalised::from_body(&spec.body)
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(Observed::Present(existing)) = dockrun::engine::observed_from_json("web", data) else {
        return;
    };
    for new_image in [None, Some("sha256:0123456789abcdef"), Some(existing.image_id.as_str())] {
        let found = drift::compare(desired(), new_image, &existing.record, &existing.image_id);
        for difference in found.differences() {
            let _ = difference.to_string();
        }
        let _ = found.differs();
    }
});
