//! Fuzz the argument parser: arbitrary bytes become an argv (split on NUL), which goes through
//! `cli::RawArgs::parse_from_argv` and then `spec::ContainerSpec::try_from`, the whole path from
//! the command line to a validated create body. Errors are expected; a panic is a bug.

#![no_main]

use std::ffi::OsString;
use std::os::unix::ffi::OsStringExt;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let argv = std::iter::once(OsString::from("dockrun")).chain(
        data.split(|b| *b == 0)
            .map(|arg| OsString::from_vec(arg.to_vec())),
    );
    if let Ok(raw) = dockrun::cli::RawArgs::parse_from_argv(argv) {
        // Refusals are fine; only a panic fails the target.
        let _ = dockrun::spec::ContainerSpec::try_from(raw);
    }
});
