//! `--generate KIND`: the man page (clap_mangen) or a shell completion script (clap_complete),
//! both generated from the one clap definition in `cli.rs`, so they never drift from the flags.
//! Returns the bytes; `main` prints them. Nothing here parses or validates arguments.

use clap::CommandFactory;
use clap_complete::Shell;

use crate::cli::{Generate, RawArgs};

/// The text of the man page or completion script `kind` names.
///
/// # Errors
/// Only if writing into memory fails (clap_mangen's writer is fallible).
pub fn render(kind: Generate) -> std::io::Result<Vec<u8>> {
    let mut command = RawArgs::command();
    let mut out = Vec::new();
    let shell = match kind {
        Generate::Man => {
            clap_mangen::Man::new(command).render(&mut out)?;
            return Ok(out);
        }
        Generate::Bash => Shell::Bash,
        Generate::Zsh => Shell::Zsh,
        Generate::Fish => Shell::Fish,
        Generate::Elvish => Shell::Elvish,
        Generate::Powershell => Shell::PowerShell,
    };
    clap_complete::generate(shell, &mut command, "dockrun", &mut out);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn man_page_lists_the_flags() {
        let man = String::from_utf8(render(Generate::Man).expect("renders")).expect("utf-8");
        assert!(man.starts_with(".ie"), "roff: {}", &man[..40]);
        assert!(man.contains("dockrun"));
        for flag in ["\\-\\-publish", "\\-\\-recreate", "\\-\\-format"] {
            assert!(man.contains(flag), "{flag}");
        }
        // Hidden flags stay out of the page.
        assert!(!man.contains("\\-\\-generate"));
    }

    #[test]
    fn completions_for_every_shell() {
        for (kind, marker) in [
            (Generate::Bash, "complete -F"),
            (Generate::Zsh, "#compdef dockrun"),
            (Generate::Fish, "complete -c dockrun"),
            (Generate::Elvish, "edit:completion"),
            (Generate::Powershell, "Register-ArgumentCompleter"),
        ] {
            let text = String::from_utf8(render(kind).expect("renders")).expect("utf-8");
            assert!(text.contains(marker), "{kind:?}");
            assert!(text.contains("publish-all"), "{kind:?}");
        }
    }
}
