//! mode: dev's inputs, read and validated before any network call. Every problem names
//! the input as written in the workflow.

use crate::error::{Error, Result};
use crate::host::Host;
use crate::inputs::Inputs;

pub const DEFAULT_TEMPLATE: &str = "dev/{engineer}";
pub const DEFAULT_PATTERN: &str = "dev/*";
/// A compute used this recently is someone's working session: refresh leaves it alone.
pub const DEFAULT_SKIP_ACTIVE_MS: u64 = 15 * 60_000;
/// The parent a dev branch hangs below when the workflow names none and the project has it.
pub const DEFAULT_TWIN: &str = "twin";
/// More engineers than this in a roster is a mistake (a file of something else), not a team.
const MAX_ROSTER: usize = 500;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    Create,
    Reset,
    Delete,
    List,
    Refresh,
    Prune,
}

pub const COMMANDS: [&str; 6] = ["create", "reset", "delete", "list", "refresh", "prune"];

/// What `refresh` needs; shared with mode: sync's `refresh-dev-branches`.
#[derive(Debug, Clone)]
pub struct RefreshOptions {
    pub pattern: String,
    pub skip_active_ms: u64,
    pub force: bool,
}

#[derive(Debug, Clone)]
pub struct Settings {
    pub api_key: String,
    pub project_id: String,
    pub api_host: String,
    pub command: Command,
    /// The `engineer` input, else None (then the roster, else GITHUB_ACTOR).
    pub engineer: Option<String>,
    pub actor: Option<String>,
    pub template: String,
    pub parent: Option<String>,
    pub suspend_timeout: Option<i64>,
    pub refresh: RefreshOptions,
    pub idle_for_ms: Option<u64>,
    pub roster: Vec<String>,
    pub role: Option<String>,
    pub database: Option<String>,
    pub repository: String,
}

pub fn refresh_options<H: Host>(inputs: &Inputs<'_, H>, pattern: String) -> Result<RefreshOptions> {
    Ok(RefreshOptions {
        pattern,
        skip_active_ms: inputs.duration_ms(
            "skip-active",
            DEFAULT_SKIP_ACTIVE_MS,
            30 * 86_400_000,
        )?,
        force: inputs.bool("force", false)?,
    })
}

pub fn read<H: Host>(host: &H) -> Result<Settings> {
    let inputs = Inputs::new(host);
    let env = |k: &str| host.env(k).filter(|v| !v.is_empty());
    let command = match inputs
        .get("dev-command")
        .trim()
        .to_ascii_lowercase()
        .as_str()
    {
        "" if env("GITHUB_EVENT_NAME").as_deref() == Some("workflow_dispatch") => Command::Create,
        "" => {
            return Err(Error::input(
                "dev-command",
                format!(
                    "is required outside `workflow_dispatch` runs: set it to one of {}",
                    COMMANDS.join(", ")
                ),
            ))
        }
        "create" => Command::Create,
        "reset" => Command::Reset,
        "delete" => Command::Delete,
        "list" => Command::List,
        "refresh" => Command::Refresh,
        "prune" => Command::Prune,
        _ => {
            return Err(Error::input(
                "dev-command",
                format!(
                    "`{}` is not a dev command: use one of {}",
                    inputs
                        .get("dev-command")
                        .chars()
                        .take(40)
                        .collect::<String>(),
                    COMMANDS.join(", ")
                ),
            ))
        }
    };
    let why = "for mode: dev";
    let template = inputs
        .optional("dev-branch-name")
        .unwrap_or_else(|| DEFAULT_TEMPLATE.to_string());
    if !template.contains("{engineer}") {
        return Err(Error::input(
            "dev-branch-name",
            format!("`{template}` has no `{{engineer}}`: every engineer would get the same branch"),
        ));
    }
    let idle_for_ms = match inputs.optional("idle-for") {
        Some(_) => Some(inputs.duration_ms("idle-for", 0, 365 * 86_400_000)?),
        None if command == Command::Prune => {
            return Err(Error::input(
                "idle-for",
                "is required for `dev-command: prune`: how long a branch must be unused before it is deleted, e.g. 14d",
            ))
        }
        None => None,
    };
    let suspend_timeout = match inputs.optional("suspend-timeout") {
        Some(raw) => Some(crate::modes::preview::settings::suspend_seconds(&raw)?),
        None => None,
    };
    let workspace = env("GITHUB_WORKSPACE").unwrap_or_else(|| ".".into());
    Ok(Settings {
        api_key: inputs.required("neon-api-key", why)?,
        project_id: inputs.required("neon-project-id", why)?,
        api_host: inputs
            .optional("neon-api-host")
            .unwrap_or_else(|| crate::neon::DEFAULT_API_HOST.to_string()),
        command,
        engineer: inputs.optional("engineer"),
        actor: env("GITHUB_ACTOR"),
        template,
        parent: inputs.optional("parent"),
        suspend_timeout,
        refresh: refresh_options(
            &inputs,
            inputs
                .optional("dev-branches")
                .unwrap_or_else(|| DEFAULT_PATTERN.to_string()),
        )?,
        idle_for_ms,
        roster: roster(host, &workspace, &inputs.get("roster"))?,
        role: inputs.optional("role"),
        database: inputs.optional("database"),
        repository: env("GITHUB_REPOSITORY").unwrap_or_default(),
    })
}

/// `roster:` is a list (lines or commas, `#` comments) or one path to such a file in the
/// repository. A path must stay inside the checkout: the input may come from a fork's
/// workflow edit, and the action reads no file outside the repository for it.
fn roster<H: Host>(host: &H, workspace: &str, raw: &str) -> Result<Vec<String>> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(Vec::new());
    }
    let single = !raw.contains(['\n', ',']);
    let looks_like_path = single && (raw.contains('/') || raw.contains('.'));
    let text = if looks_like_path {
        if raw.starts_with('/') || raw.split('/').any(|s| s == "..") {
            return Err(Error::input(
                "roster",
                format!("`{raw}` is outside the repository: give a path relative to the checkout"),
            ));
        }
        let bytes = host
            .read_file(&format!("{workspace}/{}", raw.trim_start_matches("./")))
            .map_err(|e| Error::input("roster", format!("cannot read `{raw}`: {e}")))?;
        String::from_utf8_lossy(&bytes).into_owned()
    } else {
        raw.to_string()
    };
    let mut names: Vec<String> = Vec::new();
    for line in text.lines() {
        let line = line.split('#').next().unwrap_or("");
        for item in line.split(',') {
            let item = item.trim().trim_start_matches("- ").trim();
            if !item.is_empty() && !names.iter().any(|n| n.eq_ignore_ascii_case(item)) {
                names.push(item.to_string());
            }
        }
    }
    if names.len() > MAX_ROSTER {
        return Err(Error::input(
            "roster",
            format!(
                "has {} entries; at most {MAX_ROSTER} engineers are supported",
                names.len()
            ),
        ));
    }
    Ok(names)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::host::testing::TestHost;

    fn base() -> TestHost {
        TestHost::new()
            .with_input("neon-api-key", "k")
            .with_input("neon-project-id", "p")
    }

    #[test]
    fn create_is_the_default_on_dispatch_only() {
        let s = read(&base().with_env("GITHUB_EVENT_NAME", "workflow_dispatch")).unwrap();
        assert_eq!(s.command, Command::Create);
        assert_eq!(s.refresh.pattern, "dev/*");
        assert_eq!(s.refresh.skip_active_ms, 15 * 60_000);
        let e = read(&base().with_env("GITHUB_EVENT_NAME", "schedule"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("`dev-command`"), "{e}");
        let e = read(&base().with_input("dev-command", "explode"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("not a dev command"), "{e}");
    }

    #[test]
    fn prune_needs_idle_for_and_templates_need_the_engineer() {
        let e = read(&base().with_input("dev-command", "prune"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("`idle-for`"), "{e}");
        let s = read(
            &base()
                .with_input("dev-command", "prune")
                .with_input("idle-for", "14d"),
        )
        .unwrap();
        assert_eq!(s.idle_for_ms, Some(14 * 86_400_000));
        let e = read(
            &base()
                .with_input("dev-command", "list")
                .with_input("dev-branch-name", "dev/shared"),
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("{engineer}"), "{e}");
    }

    #[test]
    fn rosters_are_lists_or_files_inside_the_checkout() {
        let h = base().with_input("dev-command", "list");
        assert_eq!(
            roster(
                &h,
                ".",
                "alice, bob\n# comment\ncarol # lead\n- dave\nAlice"
            )
            .unwrap(),
            ["alice", "bob", "carol", "dave"]
        );
        assert_eq!(roster(&h, ".", "alice").unwrap(), ["alice"]);
        for bad in ["/etc/passwd", "../secrets.txt", "team/../../x.txt"] {
            let e = roster(&h, ".", bad).unwrap_err().to_string();
            assert!(e.contains("outside the repository"), "{bad}: {e}");
        }
    }
}
