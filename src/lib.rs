//! dockrun as a library: the pipeline's modules, used by the `dockrun` binary (`main.rs`) and by
//! the fuzz targets. They are listed in the order data flows through them (DEVELOPERS.md draws
//! the graph): the command line, the spec and its record, what exists and what to do about it,
//! the engine, the foreground's parts, the exit and its errors, acting, the foreground, the
//! wiring. A module uses only modules above it (`tests::imports_follow_the_flow` checks it).

// ---- the command line ----
pub mod cli;
pub mod env_vars;
pub mod generate;
pub mod logging;

// ---- the spec and its record (blank lines keep rustfmt from sorting these) ----
pub mod spec;

pub mod drift;
pub mod unit;

// ---- what exists, and what to do about it ----
pub mod state;

pub mod plan;

// ---- the engine, and what its answers feed ----
pub mod engine;
pub mod progress;

pub mod cidfile;
pub mod notify;
pub mod terminal;

// ---- the exit, and every error that leads to one ----
pub mod exit;

pub mod error;

// ---- acting: make it run, say so, carry it in the foreground ----
pub mod ensure;
pub mod output;
pub mod supervise;

// ---- the other modes: `--update-images`, the systemd generator ----
pub mod update;

pub mod quadlet;

// ---- the wiring ----
pub mod app;

#[cfg(test)]
mod scripted;

#[cfg(test)]
mod tests {
    /// The modules in the order `lib.rs` declares them.
    fn declared() -> Vec<&'static str> {
        include_str!("lib.rs")
            .lines()
            .filter_map(|line| line.strip_prefix("pub mod "))
            .map(|line| line.trim_end_matches(';'))
            .collect()
    }

    /// The code of a module's files, without comments and without its unit tests.
    fn code_of(module: &str) -> String {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut files = vec![root.join(format!("{module}.rs"))];
        let dir = root.join(module);
        let mut stack = vec![dir];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    stack.push(path);
                } else if path.extension().is_some_and(|e| e == "rs") {
                    files.push(path);
                }
            }
        }
        let mut code = String::new();
        for file in files {
            let text = std::fs::read_to_string(&file).unwrap_or_default();
            let text = text
                .split("#[cfg(test)]\nmod tests")
                .next()
                .unwrap_or_default();
            for line in text.lines().filter(|l| !l.trim_start().starts_with("//")) {
                code.push_str(line);
                code.push('\n');
            }
        }
        code
    }

    /// No import against the flow: every `crate::m` a module's code names is declared above
    /// it in `lib.rs` (the graph in DEVELOPERS.md). Prints the edges with `--nocapture`.
    #[test]
    #[allow(clippy::print_stdout)] // the edges, for `--nocapture`
    fn imports_follow_the_flow() {
        let order = declared();
        assert!(order.len() >= 20, "{order:?}");
        let mut against = Vec::new();
        for (at, module) in order.iter().enumerate() {
            let code = code_of(module);
            let mut uses: Vec<&str> = order
                .iter()
                .copied()
                .filter(|other| other != module)
                .filter(|other| {
                    code.contains(&format!("crate::{other}::"))
                        || code.contains(&format!("crate::{other};"))
                        || code.contains(&format!("crate::{other}}}"))
                        || code.contains(&format!("crate::{other},"))
                })
                .collect();
            uses.sort_unstable();
            println!("{module} -> {}", uses.join(", "));
            for used in uses {
                let used_at = order.iter().position(|m| *m == used).expect("declared");
                if used_at > at {
                    against.push(format!("{module} -> {used}"));
                }
            }
        }
        assert!(against.is_empty(), "imports against the flow: {against:?}");
    }
}
