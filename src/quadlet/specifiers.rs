//! systemd's `%` specifiers (systemd.unit(5), "Specifiers") in `[Container]` values, resolved
//! when the unit is generated. podman's Quadlet leaves them in `ExecStart=` for systemd to
//! resolve; dockrun resolves them first, because it validates the command line (a container
//! name `systemd-%N` is no valid name until `%N` is known) and then writes every argument
//! literally (`%` doubled). The generator runs on every boot and `daemon-reload`, so boot- and
//! host-dependent values are as current as systemd's own. `[Unit]`, `[Service]` and `[Install]`
//! lines are passed through with their specifiers for systemd. A template (`app@.container` →
//! `app@.service`) has no instance until systemd starts one: its instance specifiers (`%i`,
//! `%I`, `%n`, `%N`, `%f`) resolve to stand-ins that make a valid command line for the checks,
//! and [`Context::for_systemd`] turns them back into `%i`/`%I` in the unit for systemd.

use std::path::Path;

/// What the specifiers of one generated unit resolve to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Context {
    /// The service's full name (`web.service`, `app@1.service`).
    pub unit: String,
    /// The generator's manager: the system's (`false`) or a user's (`true`).
    pub user: bool,
}

/// What `%i` stands for while a template's command line is checked (lower-case letters and
/// digits: valid in a container name, an image tag, a path).
const TEMPLATE_INSTANCE: &str = "x0dockrun0instance0x";

/// What `%I` (the unescaped instance) stands for in a template.
const TEMPLATE_INSTANCE_UNESCAPED: &str = "x0dockrun0uinstance0x";

/// Why a value cannot be resolved.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SpecifierError {
    /// `%X` with an `X` dockrun does not resolve.
    #[error("unknown or unsupported specifier `%{0}`")]
    Unknown(char),
    /// A `%` at the end of the value.
    #[error("a lone `%` at the end (write `%%` for a percent sign)")]
    Trailing,
    /// A value the machine does not provide.
    #[error("specifier `%{0}` cannot be resolved here: {1}")]
    Unavailable(char, String),
}

impl Context {
    /// `value` with every specifier replaced.
    ///
    /// # Errors
    /// [`SpecifierError`] for an unknown specifier or one the machine cannot resolve.
    pub fn resolve(&self, value: &str) -> Result<String, SpecifierError> {
        if !value.contains('%') {
            return Ok(value.to_owned());
        }
        let mut out = String::with_capacity(value.len());
        let mut chars = value.chars();
        while let Some(c) = chars.next() {
            if c != '%' {
                out.push(c);
                continue;
            }
            let spec = chars.next().ok_or(SpecifierError::Trailing)?;
            out.push_str(&self.one(spec)?);
        }
        Ok(out)
    }

    /// Whether the unit is a template (`app@.service`): its instance is systemd's to give.
    #[must_use]
    pub fn is_template(&self) -> bool {
        let (_, instance) = self.parts();
        self.stem().contains('@') && instance.is_empty()
    }

    /// Text with the instance stand-ins back as `%i`/`%I`, for systemd to resolve when it
    /// starts an instance (only a template's values hold them), and for messages.
    #[must_use]
    pub fn for_systemd(&self, text: &str) -> String {
        text.replace(TEMPLATE_INSTANCE_UNESCAPED, "%I")
            .replace(TEMPLATE_INSTANCE, "%i")
    }

    /// The unit a peer depends on: a template's instance of the same name (`db@%i.service`,
    /// through the stand-in), any other unit itself.
    #[must_use]
    pub fn instance_unit(&self) -> String {
        if !self.is_template() {
            return self.unit.clone();
        }
        let (prefix, _) = self.parts();
        let kind = self.unit.rsplit_once('.').map_or("service", |(_, k)| k);
        format!("{prefix}@{TEMPLATE_INSTANCE}.{kind}")
    }

    /// Whether `text` holds an instance stand-in (a template's value).
    #[must_use]
    pub fn has_stand_in(text: &str) -> bool {
        text.contains(TEMPLATE_INSTANCE) || text.contains(TEMPLATE_INSTANCE_UNESCAPED)
    }

    /// The unit name without its type suffix (`app@1`).
    fn stem(&self) -> &str {
        self.unit
            .rsplit_once('.')
            .map_or(self.unit.as_str(), |(stem, _)| stem)
    }

    /// Prefix and instance (`app`, `1` for `app@1.service`).
    fn parts(&self) -> (&str, &str) {
        self.stem().split_once('@').unwrap_or((self.stem(), ""))
    }

    fn one(&self, spec: char) -> Result<String, SpecifierError> {
        let (prefix, instance) = self.parts();
        let (home, name, uid) = self.identity(spec)?;
        if self.is_template() {
            match spec {
                'i' => return Ok(TEMPLATE_INSTANCE.to_owned()),
                'I' => return Ok(TEMPLATE_INSTANCE_UNESCAPED.to_owned()),
                'f' => return Ok(format!("/{TEMPLATE_INSTANCE_UNESCAPED}")),
                'N' => return Ok(format!("{prefix}@{TEMPLATE_INSTANCE}")),
                'n' => {
                    let kind = self.unit.rsplit_once('.').map_or("service", |(_, k)| k);
                    return Ok(format!("{prefix}@{TEMPLATE_INSTANCE}.{kind}"));
                }
                _ => {}
            }
        }
        Ok(match spec {
            '%' => "%".to_owned(),
            'n' => self.unit.clone(),
            'N' => self.stem().to_owned(),
            'p' => prefix.to_owned(),
            'P' => unescape(prefix),
            'i' => instance.to_owned(),
            'I' => unescape(instance),
            'j' => prefix.rsplit('-').next().unwrap_or(prefix).to_owned(),
            'J' => unescape(prefix.rsplit('-').next().unwrap_or(prefix)),
            'f' => {
                let path = unescape(if instance.is_empty() {
                    prefix
                } else {
                    instance
                });
                if path.starts_with('/') {
                    path
                } else {
                    format!("/{path}")
                }
            }
            'H' => read_trimmed(spec, "/proc/sys/kernel/hostname")?,
            'l' => {
                let host = read_trimmed(spec, "/proc/sys/kernel/hostname")?;
                host.split('.').next().unwrap_or(&host).to_owned()
            }
            'm' => read_trimmed(spec, "/etc/machine-id")?,
            'b' => read_trimmed(spec, "/proc/sys/kernel/random/boot_id")?.replace('-', ""),
            'v' => read_trimmed(spec, "/proc/sys/kernel/osrelease")?,
            'o' | 'w' | 'W' | 'B' | 'M' | 'A' => os_release(spec)?,
            'u' | 'g' => name,
            'U' | 'G' => uid.to_string(),
            'h' => home,
            's' => "/bin/sh".to_owned(),
            't' => self.dir("XDG_RUNTIME_DIR", "/run", None),
            'S' => self.dir("XDG_STATE_HOME", "/var/lib", Some(".local/state")),
            'C' => self.dir("XDG_CACHE_HOME", "/var/cache", Some(".cache")),
            'L' => {
                let state = self.dir("XDG_STATE_HOME", "/var/log", Some(".local/state"));
                if self.user {
                    format!("{state}/log")
                } else {
                    state
                }
            }
            'E' => self.dir("XDG_CONFIG_HOME", "/etc", Some(".config")),
            'T' => std::env::var("TMPDIR").unwrap_or_else(|_| "/tmp".to_owned()),
            'V' => std::env::var("TMPDIR").unwrap_or_else(|_| "/var/tmp".to_owned()),
            other => return Err(SpecifierError::Unknown(other)),
        })
    }

    /// The manager's user (home, name, uid); root for the system manager. Looked up only for
    /// the specifiers that need it.
    fn identity(&self, spec: char) -> Result<(String, String, u32), SpecifierError> {
        if !matches!(spec, 'u' | 'g' | 'U' | 'G' | 'h') {
            return Ok((String::new(), String::new(), 0));
        }
        if !self.user {
            return Ok(("/root".to_owned(), "root".to_owned(), 0));
        }
        use std::os::unix::fs::MetadataExt;
        let uid = std::fs::metadata("/proc/self")
            .map_err(|e| SpecifierError::Unavailable(spec, e.to_string()))?
            .uid();
        let passwd = std::fs::read_to_string("/etc/passwd").unwrap_or_default();
        let entry = passwd
            .lines()
            .map(|l| l.split(':').collect::<Vec<_>>())
            .find(|f| f.get(2).and_then(|u| u.parse::<u32>().ok()) == Some(uid));
        let name = entry
            .as_ref()
            .and_then(|f| f.first())
            .map(|s| (*s).to_owned())
            .or_else(|| std::env::var("USER").ok())
            .ok_or_else(|| SpecifierError::Unavailable(spec, format!("no user {uid}")))?;
        let home = std::env::var("HOME")
            .ok()
            .or_else(|| {
                entry
                    .as_ref()
                    .and_then(|f| f.get(5))
                    .map(|s| (*s).to_owned())
            })
            .ok_or_else(|| SpecifierError::Unavailable(spec, "no home directory".into()))?;
        Ok((home, name, uid))
    }

    /// A directory: the system's, or the user's from `XDG_*` else under `$HOME`.
    fn dir(&self, var: &str, system: &str, under_home: Option<&str>) -> String {
        if !self.user {
            return system.to_owned();
        }
        if let Ok(dir) = std::env::var(var) {
            return dir;
        }
        let home = std::env::var("HOME").unwrap_or_default();
        match under_home {
            Some(rel) => format!("{home}/{rel}"),
            None => format!("/run/user/{}", self.identity('U').map_or(0, |i| i.2)),
        }
    }
}

/// A file's first line, trimmed.
fn read_trimmed(spec: char, path: &str) -> Result<String, SpecifierError> {
    std::fs::read_to_string(Path::new(path))
        .map(|t| t.trim().to_owned())
        .map_err(|e| SpecifierError::Unavailable(spec, format!("{path}: {e}")))
}

/// A field of `/etc/os-release` (empty when it is not set there, as systemd does).
fn os_release(spec: char) -> Result<String, SpecifierError> {
    let field = match spec {
        'o' => "ID",
        'w' => "VERSION_ID",
        'W' => "VARIANT_ID",
        'B' => "BUILD_ID",
        'M' => "IMAGE_ID",
        _ => "IMAGE_VERSION",
    };
    let text = std::fs::read_to_string("/etc/os-release")
        .or_else(|_| std::fs::read_to_string("/usr/lib/os-release"))
        .map_err(|e| SpecifierError::Unavailable(spec, e.to_string()))?;
    Ok(text
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix('='))
        .map(|v| v.trim_matches(['"', '\'']).to_owned())
        .unwrap_or_default())
}

/// systemd's unit-name unescaping: `-` is `/`, `\xNN` a byte.
fn unescape(text: &str) -> String {
    let mut out = Vec::with_capacity(text.len());
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'-' => out.push(b'/'),
            b'\\' if bytes.get(i + 1) == Some(&b'x') => {
                if let Some(byte) = text
                    .get(i + 2..i + 4)
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                {
                    out.push(byte);
                    i += 4;
                    continue;
                }
                out.push(b'\\');
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx(unit: &str) -> Context {
        Context {
            unit: unit.to_owned(),
            user: false,
        }
    }

    /// A template's instance specifiers stand in for the check and go back to systemd's.
    #[test]
    fn a_templates_instance_is_left_to_systemd() {
        let template = ctx("app@.service");
        assert!(template.is_template() && !ctx("app@1.service").is_template());
        assert!(!ctx("web.service").is_template());
        let resolved = template
            .resolve("pre-%i %I %N %n %p %%i")
            .expect("resolves");
        assert_eq!(
            template.for_systemd(&resolved),
            "pre-%i %I app@%i app@%i.service app %i"
        );
        let instance = ctx("app@one.service");
        assert_eq!(instance.resolve("pre-%i").expect("resolves"), "pre-one");
        assert_eq!(instance.for_systemd("pre-one"), "pre-one");
        assert_eq!(
            template.for_systemd(&template.instance_unit()),
            "app@%i.service"
        );
        assert_eq!(instance.instance_unit(), "app@one.service");
    }

    #[test]
    fn unit_name_specifiers() {
        let c = ctx("web.service");
        assert_eq!(c.resolve("systemd-%N").expect("ok"), "systemd-web");
        assert_eq!(
            c.resolve("%n %p [%i] 100%%").expect("ok"),
            "web.service web [] 100%"
        );
        let t = ctx("app-db@srv-data.service");
        assert_eq!(t.resolve("%p_%i").expect("ok"), "app-db_srv-data");
        assert_eq!(t.resolve("%I|%j|%f").expect("ok"), "srv/data|db|/srv/data");
        assert_eq!(ctx("a\\x2db.service").resolve("%P").expect("ok"), "a-b");
    }

    #[test]
    fn system_identity_and_directories() {
        let c = ctx("web.service");
        assert_eq!(
            c.resolve("%u:%U:%h:%t:%S").expect("ok"),
            "root:0:/root:/run:/var/lib"
        );
        assert!(!c.resolve("%H").expect("hostname").is_empty());
    }

    #[test]
    fn refusals() {
        let c = ctx("web.service");
        assert_eq!(c.resolve("50%"), Err(SpecifierError::Trailing));
        assert_eq!(c.resolve("%Z"), Err(SpecifierError::Unknown('Z')));
        assert_eq!(c.resolve("%y"), Err(SpecifierError::Unknown('y')));
    }
}
