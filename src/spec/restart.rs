//! `--restart` and `--pull`: small enumerated values, checked as docker run and the daemon do.

use super::body::RestartPolicy as RestartBody;
use super::{PullPolicy, SpecError};

/// A validated restart policy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RestartPolicy {
    /// `no`, `always`, `unless-stopped`, `on-failure` (or `""`, sent as given).
    pub name: String,
    /// Retries, only with `on-failure`.
    pub max_retries: i64,
}

impl RestartPolicy {
    /// Whether the policy never restarts (`no` or empty).
    #[must_use]
    pub fn is_no(&self) -> bool {
        self.name.is_empty() || self.name == "no"
    }

    /// The API form.
    #[must_use]
    pub fn into_body(self) -> RestartBody {
        RestartBody {
            name: Some(self.name),
            maximum_retry_count: Some(self.max_retries),
        }
    }
}

/// Parse `--restart policy[:N]` (default `no`).
///
/// # Errors
/// An unknown policy, a count on a policy other than `on-failure`, or a bad count.
pub fn parse_restart(value: Option<&str>) -> Result<RestartPolicy, SpecError> {
    let Some(value) = value else {
        return Ok(RestartPolicy {
            name: "no".into(),
            max_retries: 0,
        });
    };
    let bad = |reason: &str| SpecError::invalid("--restart", value, reason);
    let (name, count) = match value.split_once(':') {
        Some((name, count)) => (name, Some(count)),
        None => (value, None),
    };
    if count.is_some() && name.is_empty() {
        return Err(bad("no policy name before `:`"));
    }
    if !matches!(name, "" | "no" | "always" | "unless-stopped" | "on-failure") {
        return Err(bad(
            "valid policies are no, always, unless-stopped and on-failure[:max-retries]",
        ));
    }
    let max_retries = match count {
        None => 0,
        Some(count) => {
            let n: i64 = count
                .parse()
                .map_err(|_| bad("the retry count must be an integer"))?;
            if name != "on-failure" {
                return Err(bad(
                    "a maximum retry count can only be used with `on-failure`",
                ));
            }
            if n < 0 {
                return Err(bad("the retry count cannot be negative"));
            }
            n
        }
    };
    Ok(RestartPolicy {
        name: name.to_owned(),
        max_retries,
    })
}

/// Parse `--pull missing|always|never` (default `missing`; `""` behaves as `never`, as in docker).
///
/// # Errors
/// Any other value.
pub fn parse_pull(value: Option<&str>) -> Result<PullPolicy, SpecError> {
    match value {
        None | Some("missing") => Ok(PullPolicy::Missing),
        Some("always") => Ok(PullPolicy::Always),
        Some("never" | "") => Ok(PullPolicy::Never),
        Some(other) => Err(SpecError::invalid(
            "--pull",
            other,
            "valid values are missing, always and never",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn restart_policies() {
        assert_eq!(parse_restart(None).expect("ok").name, "no");
        assert_eq!(parse_restart(Some("always")).expect("ok").name, "always");
        assert_eq!(
            parse_restart(Some("on-failure:3")).expect("ok").max_retries,
            3
        );
        for bad in ["bogus", ":3", "always:3", "on-failure:x", "on-failure:-1"] {
            assert!(parse_restart(Some(bad)).is_err(), "{bad}");
        }
    }

    #[test]
    fn pull_policies() {
        assert_eq!(parse_pull(None).expect("ok"), PullPolicy::Missing);
        assert_eq!(parse_pull(Some("")).expect("ok"), PullPolicy::Never);
        assert!(parse_pull(Some("sometimes")).is_err());
    }
}
