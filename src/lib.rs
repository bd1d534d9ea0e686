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

    /// Each declared module with the modules its code names (`crate::m`), in declared order.
    fn edges() -> Vec<(&'static str, Vec<&'static str>)> {
        let order = declared();
        order
            .iter()
            .map(|module| {
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
                (*module, uses)
            })
            .collect()
    }

    /// No import against the flow: every `crate::m` a module's code names is declared above
    /// it in `lib.rs` (the graph in DEVELOPERS.md). Prints the edges with `--nocapture`.
    #[test]
    #[allow(clippy::print_stdout)] // the edges, for `--nocapture`
    fn imports_follow_the_flow() {
        let order = declared();
        assert!(order.len() >= 20, "{order:?}");
        let mut against = Vec::new();
        for (at, (module, uses)) in edges().into_iter().enumerate() {
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

    const DEVELOPERS_MD: &str = include_str!("../DEVELOPERS.md");

    /// The modules `main.rs` names (`use dockrun::m…`, `use dockrun::{m, …}`, `dockrun::m::`).
    fn used_by_main() -> Vec<&'static str> {
        let main = include_str!("main.rs");
        let mut named = Vec::new();
        for line in main.lines() {
            let Some(rest) = line.trim().strip_prefix("use dockrun::") else {
                continue;
            };
            let rest = rest.trim_end_matches(';');
            match rest.strip_prefix('{') {
                Some(group) => named.extend(
                    group
                        .trim_end_matches('}')
                        .split(',')
                        .map(|item| item.trim().split("::").next().unwrap_or_default()),
                ),
                None => named.push(rest.split("::").next().unwrap_or_default()),
            }
        }
        let mut uses: Vec<&str> = declared()
            .into_iter()
            .filter(|m| named.contains(m) || main.contains(&format!("dockrun::{m}::")))
            .collect();
        uses.sort_unstable();
        uses
    }

    /// The module graph DEVELOPERS.md draws: each line of the block under "The module graph"
    /// is `[group words] module [→ used, used…]`.
    fn drawn() -> Vec<(&'static str, Vec<&'static str>)> {
        let after = DEVELOPERS_MD
            .split_once("## The module graph")
            .expect("DEVELOPERS.md has a section `## The module graph`")
            .1;
        let block = after
            .split_once("```\n")
            .expect("the graph is a fenced block")
            .1
            .split_once("```")
            .expect("the graph's block ends")
            .0;
        block
            .lines()
            .filter(|line| !line.trim().is_empty())
            .map(|line| {
                let (left, right) = line.split_once('→').unwrap_or((line, ""));
                let module = left
                    .split_whitespace()
                    .last()
                    .expect("a module on every line");
                let uses = right
                    .split(',')
                    .map(str::trim)
                    .filter(|u| !u.is_empty())
                    .collect();
                (module, uses)
            })
            .collect()
    }

    /// DEVELOPERS.md's module graph is the code's: every declared module, then `main`, with
    /// exactly the modules it uses, in `lib.rs`'s order.
    #[test]
    fn developers_md_draws_the_module_graph() {
        let mut code = edges();
        code.push(("main", used_by_main()));
        assert!(code.last().is_some_and(|(_, uses)| uses.contains(&"app")));
        let drawn = drawn();
        let show = |edges: &[(&str, Vec<&str>)]| -> Vec<String> {
            edges
                .iter()
                .map(|(module, uses)| format!("{module} → {}", uses.join(", ")))
                .collect()
        };
        assert_eq!(
            show(&drawn),
            show(&code),
            "DEVELOPERS.md's module graph (left) is not the code's (right)"
        );
    }

    /// Every file below `dir` (relative to the crate root), recursively, as `dir/…` paths.
    fn files_below(dir: &str) -> Vec<String> {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut files = Vec::new();
        let mut stack = vec![root.join(dir)];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).expect("a directory").flatten() {
                let path = entry.path();
                if path.is_dir() {
                    stack.push(path);
                } else {
                    let relative = path.strip_prefix(root).expect("below the root");
                    files.push(relative.to_string_lossy().into_owned());
                }
            }
        }
        files.sort();
        files
    }

    /// DEVELOPERS.md's table of files and jobs is true: every file of `src/` and `bench/`, and
    /// the named build, test and CI files, have a row; every support file of the engine tests
    /// is named; every row's file exists.
    #[test]
    fn developers_md_has_a_row_for_every_file() {
        let row = |path: &str| DEVELOPERS_MD.contains(&format!("\n| `{path}` |"));
        let mut wanted: Vec<String> = files_below("src");
        wanted.extend(files_below("bench"));
        wanted.extend(
            [
                "clippy.toml",
                "fuzz/",
                "tests/integration/main.rs",
                "tests/integration/support/",
                "tests/debootstrap.sh",
                "tests/systemd/build-image.sh",
                "tests/engine2/build-image.sh",
                "tests/upgrade/",
                "tests/corpus/",
                ".ci/run",
                "test.sh",
                "install.sh",
            ]
            .map(String::from),
        );
        let missing: Vec<&String> = wanted.iter().filter(|path| !row(path)).collect();
        assert!(
            missing.is_empty(),
            "no row in DEVELOPERS.md for {missing:?}"
        );

        let unnamed: Vec<String> = files_below("tests/integration/support")
            .into_iter()
            .filter_map(|path| path.rsplit('/').next().map(String::from))
            .filter(|name| !DEVELOPERS_MD.contains(&format!("`{name}`")))
            .collect();
        assert!(
            unnamed.is_empty(),
            "support files DEVELOPERS.md does not name: {unnamed:?}"
        );

        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let gone: Vec<&str> = DEVELOPERS_MD
            .lines()
            .filter_map(|line| line.strip_prefix("| `"))
            .filter_map(|line| line.split_once('`').map(|(path, _)| path))
            .filter(|path| !root.join(path).exists())
            .collect();
        assert!(
            gone.is_empty(),
            "rows in DEVELOPERS.md for files that are gone: {gone:?}"
        );
    }
}
