//! mode: preview — a Neon branch per pull request: found or created, reset on push,
//! waited for, migrated, linted, diffed, reported in one living PR comment, and deleted
//! when the PR closes.
//!
//! - `settings`   the inputs, validated before any network call
//! - `naming`     the branch name (hostile head refs made inert)
//! - `lifecycle`  find/create/reset/wait/delete on Neon
//! - `migrations` built-in runner or `migrate-command` on the direct URL
//! - `lint`       the PR's migration files through the SQL engine
//! - `comment`    pure rendering: marker, digest, escaping, size limit
//! - `upsert`     the comment on GitHub
//! - `argv`       `migrate-command` → argument array

pub mod argv;
pub mod comment;
pub mod lifecycle;
pub mod lint;
pub mod migrations;
pub mod naming;
pub mod schema_diff;
pub mod settings;
pub mod suggest;
pub mod upsert;

use crate::error::{Error, Result};
use crate::event::{Event, PullRequest};
use crate::github::GitHubClient;
use crate::host::Host;
use crate::neon::connect::branch_connection;
use crate::neon::NeonClient;
use crate::runtime::Runtime;
use comment::{BranchState, CommentData};
use settings::Settings;

/// Re-exported for callers that knew it here.
pub use crate::neon::connect::pooled_host;

pub async fn run<H: Host>(rt: &Runtime<H>) -> Result<()> {
    let mut settings = settings::read(&rt.host)?;
    let event = Event::load(&rt.host)?;
    if event.pull_request().is_none() && event.payload.get("pull_request").is_some() {
        return Err(Error::Event(
            "the `pull_request` event payload at GITHUB_EVENT_PATH has no pull request number; it is not what GitHub sends (was it edited or truncated?): re-run the workflow from a pull request".into(),
        ));
    }
    let pr = event.pull_request().ok_or_else(|| {
        Error::Event(format!(
            "mode: preview runs on `pull_request` events, but this run was triggered by `{}`; add `on: pull_request: types: [opened, reopened, synchronize, closed]` to the workflow",
            if event.name.is_empty() { "an unknown event" } else { &event.name }
        ))
    })?;
    if settings.api_key.is_empty() {
        let actor = rt.host.env("GITHUB_ACTOR").unwrap_or_default();
        if pr.from_fork || actor == "dependabot[bot]" {
            // Forks and Dependabot get no repository secrets: succeed without touching
            // anything rather than fail every contributor's PR.
            rt.notice("neon-gitops preview skipped: `neon-api-key` is empty because pull requests from forks (and Dependabot) do not receive repository secrets. No preview branch is created for this PR.");
            return Ok(());
        }
        return Err(Error::input(
            "neon-api-key",
            "is required for mode: preview: pass `${{ secrets.NEON_API_KEY }}` (Neon console → Account settings → API keys)",
        ));
    }
    if settings.project_id.is_empty() {
        return Err(Error::input(
            "neon-project-id",
            "is required for mode: preview (Neon console → Project settings → General → Project ID)",
        ));
    }
    if settings.repository.is_empty() {
        settings.repository = event.repository().unwrap_or_default();
    }
    let name = naming::branch_name(
        &settings.branch_template,
        pr.number,
        &pr.head_ref,
        &pr.head_sha,
    );
    rt.output("branch_name", &name);
    let neon = NeonClient::new(
        rt,
        &settings.api_host,
        &settings.api_key,
        &settings.project_id,
    );
    let gh = if settings.github_token.is_empty() || settings.repository.is_empty() {
        rt.warning("No `github-token` (or repository): the PR comment and the lint of the PR's files are skipped");
        None
    } else {
        Some(GitHubClient::new(
            rt,
            &settings.github_api_url,
            &settings.github_token,
            &settings.repository,
        ))
    };

    if pr.action == "closed" {
        return close(rt, &neon, gh.as_ref(), &settings, &pr, &name).await;
    }
    open(rt, &neon, gh.as_ref(), &settings, &pr, &name).await
}

async fn open<H: Host>(
    rt: &Runtime<H>,
    neon: &NeonClient<'_, H>,
    gh: Option<&GitHubClient<'_, H>>,
    settings: &Settings,
    pr: &PullRequest,
    name: &str,
) -> Result<()> {
    let reset = settings.reset_on_push.unwrap_or(pr.action == "synchronize");
    // The lint needs GitHub only, the branch Neon only: both at once.
    let (lint, ready) = futures_util::future::join(
        lint::collect(rt, gh, settings, pr),
        lifecycle::prepare(rt, neon, settings, pr, name, reset),
    )
    .await;
    let lint = lint?;
    let ready = match ready {
        Ok(r) => r,
        Err(e) => {
            // No branch to ask: the PR's files still get their annotations.
            if let Some(input) = lint {
                lint::judge(rt, settings, input, None);
            }
            return Err(e);
        }
    };
    rt.output("branch_id", &ready.branch.id);
    rt.output("created", if ready.created { "true" } else { "false" });
    let conn = match ready.conn.clone() {
        Some(conn) => conn,
        None => {
            branch_connection(
                neon,
                &ready.branch,
                Some(&ready.endpoint),
                &settings.role,
                &settings.database,
            )
            .await?
        }
    };
    rt.secret_output("password", &conn.password);
    let url = shape_url(&conn.url, &settings.ssl, settings.prisma, false);
    let url_pooled = shape_url(&conn.url_pooled, &settings.ssl, settings.prisma, true);
    rt.secret_url(&url);
    rt.secret_url(&url_pooled);
    // Our names, then create-branch-action v5's for the same values, so workflows that
    // read the old names keep working.
    rt.secret_output("db_url", &url);
    rt.secret_output("db_url_pooled", &url_pooled);
    rt.secret_output("db_url_with_pooler", &url_pooled);
    rt.output("db_host", &conn.host);
    rt.output("host", &conn.host);
    rt.output("db_host_pooled", &conn.pooled_host);
    rt.output("host_with_pooler", &conn.pooled_host);
    let console = format!(
        "https://console.neon.tech/app/projects/{}/branches/{}",
        settings.project_id, ready.branch.id
    );
    rt.output("branch_url", &console);
    rt.info(&format!("Neon console: {console}"));
    rt.info(&format!(
        "Preview branch {name} ({}) is {}; compute {} is {}",
        ready.branch.id,
        match &ready.state {
            BranchState::Created { .. } => "created",
            BranchState::Reset { .. } => "reset",
            _ => "reused",
        },
        ready.endpoint.id,
        ready.endpoint.current_state
    ));

    // The lint, judged with the branch's catalog as it is before the migrations (the
    // parent's: its tables' sizes, its functions' volatility).
    let catalog = match &lint {
        Some(_) => lint::branch_catalog(rt, settings, &conn.url).await,
        None => None,
    };
    let lint = lint.map(|input| lint::judge(rt, settings, input, catalog.as_ref()));

    // Independent of the migrations, asked meanwhile: the Neon Auth and Data API URLs, and
    // the PR's comments (to find ours).
    let listing = async {
        match gh {
            Some(gh) => gh.list_comments(pr.number).await.ok(),
            None => None,
        }
    };
    let (services, migration, listed) = futures_util::future::join3(
        service_urls(rt, neon, settings, &ready.branch.id, &conn.database),
        migrations::run(rt, settings, &conn.url),
        listing,
    )
    .await;
    services?;
    let migration = migration?;
    rt.output(
        "migrations_applied",
        &migrations::applied_json(migration.as_ref()),
    );

    let schema_diff = match &ready.parent {
        Some(parent) => match neon
            .compare_schema(&ready.branch.id, &parent.id, &conn.database)
            .await
        {
            // Without the tracking table (its rows differ on every preview branch), with
            // branch names in the header.
            Ok(diff) => Some(schema_diff::clean(
                &diff,
                &settings.apply.tracking.table,
                &[
                    (parent.id.as_str(), parent.name.as_str()),
                    (ready.branch.id.as_str(), name),
                ],
            )),
            Err(e) => {
                rt.warning(&format!(
                    "Could not compare the branch's schema with {} ({e}); the comment has no schema diff",
                    parent.name
                ));
                None
            }
        },
        None => None,
    };

    // The schema diff for later steps (without the tracking table, like the comment's);
    // cut well below what a step's outputs may hold.
    if let Some(d) = &schema_diff {
        const MAX_DIFF_OUTPUT: usize = 256 * 1024;
        let cut = d.floor_char_boundary(MAX_DIFF_OUTPUT.min(d.len()));
        rt.output("diff", &d[..cut]);
    }
    let data = CommentData {
        step_key: settings.step_key.clone(),
        project_id: settings.project_id.clone(),
        branch_name: name.to_string(),
        branch_id: Some(ready.branch.id.clone()),
        state: ready.state.clone(),
        compute: Some((
            ready.endpoint.current_state.clone(),
            ready.endpoint.host.clone(),
        )),
        migrations: migration.clone(),
        lint: lint.as_ref().map(|l| l.section.clone()),
        schema_diff,
        parent_name: ready.parent.as_ref().map(|p| p.name.clone()),
        commit: Some(pr.head_sha.clone()).filter(|s| !s.is_empty()),
        run_url: settings.run_url.clone(),
    };
    // A PR that touches no migration and changes no schema gets no new comment (an
    // existing one is still updated): docs-only PRs stay quiet.
    let worth_a_comment = settings.comment_always
        || lint.as_ref().is_some_and(|l| l.section.files > 0)
        || migration
            .as_ref()
            .is_some_and(|m| !m.applied.is_empty() || m.failure.is_some() || !m.edited.is_empty())
        || data
            .schema_diff
            .as_ref()
            .is_some_and(|d| !d.trim().is_empty());
    publish(rt, gh, settings, pr, &data, worth_a_comment, listed).await;
    if let (true, Some(gh), Some(lint)) = (settings.suggestions, gh, lint.as_ref()) {
        suggest::publish(rt, gh, settings, pr, lint).await;
    }
    rt.output(
        "lint_findings",
        &lint::findings_json(lint.as_ref().map(|l| &l.analysis)),
    );
    let trace = migration.as_ref().and_then(|m| m.trace.as_ref());
    if let Some(t) = trace {
        rt.output("trace", &crate::modes::migrate::trace::render::json(t));
    }

    // The verdict, after everything has been reported.
    if let Some(m) = &migration {
        if m.failure.is_some() {
            return Err(migrations::failure_error(rt, m, name));
        }
        if let Some(e) = migrations::edited_error(rt, m) {
            return Err(e);
        }
    }
    if let (Some(t), Some(max)) = (trace, settings.apply.max_blocking_ms) {
        if let Some(why) = crate::modes::migrate::trace::render::over_limit(
            t,
            max,
            &format!("preview branch {name}"),
        ) {
            crate::modes::migrate::trace::render::annotate_over(rt, t, max, "the preview branch");
            return Err(Error::Failed(why));
        }
    }
    if let Some(l) = &lint {
        if l.blocking > 0 {
            return Err(Error::Failed(format!(
                "{} lint finding(s) in the PR's migrations fail this step under `fail-on: {}` (see the annotations); the preview branch is ready",
                l.blocking,
                match settings.fail_on {
                    settings::FailOn::Error => "error",
                    settings::FailOn::Warning => "warning",
                    settings::FailOn::Never => "never",
                }
            )));
        }
    }
    Ok(())
}

/// `auth_url` and `data_api_url` when asked for (create-branch-action's `get_auth_url`,
/// `get_data_api_url`) and the branch has them; a branch without is not an error, as in
/// Neon's action.
async fn service_urls<H: Host>(
    rt: &Runtime<H>,
    neon: &NeonClient<'_, H>,
    settings: &Settings,
    branch_id: &str,
    database: &str,
) -> Result<()> {
    let auth = async {
        match settings.get_auth_url {
            true => neon.auth_url(branch_id).await,
            false => Ok(None),
        }
    };
    let data_api = async {
        match settings.get_data_api_url {
            true => neon.data_api_url(branch_id, database).await,
            false => Ok(None),
        }
    };
    let (auth, data_api) = futures_util::future::join(auth, data_api).await;
    for (output, asked, url, what) in [
        ("auth_url", settings.get_auth_url, auth?, "Neon Auth"),
        (
            "data_api_url",
            settings.get_data_api_url,
            data_api?,
            "a Data API",
        ),
    ] {
        match url {
            Some(url) => rt.output(output, &url),
            None if asked => rt.info(&format!(
                "`{output}` is not set: the branch has no {what} (enable it in the Neon console or on the parent branch)"
            )),
            None => {}
        }
    }
    Ok(())
}

/// A branch URL shaped as create-branch-action shapes it: `ssl` sets `sslmode` (`omit`
/// drops it), `prisma` adds `connect_timeout=30`, and on the pooled URL `pool_timeout=30`
/// and `pgbouncer=true`.
pub fn shape_url(url: &str, ssl: &str, prisma: bool, pooled: bool) -> String {
    let (base, _) = url.split_once('?').unwrap_or((url, ""));
    let mut params: Vec<String> = Vec::new();
    if prisma {
        params.push("connect_timeout=30".into());
        if pooled {
            params.push("pool_timeout=30".into());
            params.push("pgbouncer=true".into());
        }
    }
    if ssl != "omit" {
        params.push(format!("sslmode={ssl}"));
    }
    if params.is_empty() {
        base.to_string()
    } else {
        format!("{base}?{}", params.join("&"))
    }
}

async fn close<H: Host>(
    rt: &Runtime<H>,
    neon: &NeonClient<'_, H>,
    gh: Option<&GitHubClient<'_, H>>,
    settings: &Settings,
    pr: &PullRequest,
    name: &str,
) -> Result<()> {
    let deleted = lifecycle::delete(rt, neon, name, pr.number, &settings.repository).await?;
    let commit = if pr.merged {
        pr.merge_commit_sha.clone()
    } else {
        None
    }
    .or_else(|| Some(pr.head_sha.clone()))
    .filter(|s| !s.is_empty());
    let data = CommentData {
        step_key: settings.step_key.clone(),
        project_id: settings.project_id.clone(),
        branch_name: name.to_string(),
        branch_id: None,
        state: BranchState::Deleted { merged: pr.merged },
        compute: None,
        migrations: None,
        lint: None,
        schema_diff: None,
        parent_name: None,
        commit,
        run_url: settings.run_url.clone(),
    };
    if let Some(id) = deleted {
        rt.output("branch_id", &id);
    }
    // Only update a comment that exists: a PR that never had a preview gets none on close.
    publish(rt, gh, settings, pr, &data, false, None).await;
    Ok(())
}

/// Job summary, then the PR comment. A comment that cannot be written is a warning (the
/// branch and the migrations are what the step is for).
async fn publish<H: Host>(
    rt: &Runtime<H>,
    gh: Option<&GitHubClient<'_, H>>,
    settings: &Settings,
    pr: &PullRequest,
    data: &CommentData,
    create: bool,
    listed: Option<Vec<crate::github::Comment>>,
) {
    let rendered = comment::render(data);
    rt.debug(&format!(
        "PR comment digest {} over:\n{}",
        rendered.digest, rendered.stable
    ));
    rt.summary(&rendered.summary);
    let Some(gh) = gh else { return };
    let marker = comment::marker(&settings.project_id, &data.branch_name, &data.step_key);
    let legacy = comment::marker(&settings.project_id, &data.branch_name, "");
    let written = if matches!(data.state, BranchState::Deleted { .. }) {
        upsert::update_all(
            gh,
            pr.number,
            &settings.project_id,
            &data.branch_name,
            &rendered,
        )
        .await
    } else {
        upsert::upsert(gh, pr.number, &marker, &legacy, &rendered, create, listed).await
    };
    match written {
        Ok(Some((c, outcome))) => {
            rt.info(&format!(
                "PR comment {}: {}",
                match outcome {
                    upsert::Outcome::Created => "created",
                    upsert::Outcome::Updated => "updated",
                    upsert::Outcome::Unchanged => "unchanged (same digest), not rewritten",
                },
                c.html_url
            ));
            rt.output("comment_url", &c.html_url);
        }
        Ok(None) => rt.info("No preview comment on this PR to update"),
        Err(e) => {
            let hint = match &e {
                Error::Http(h) if matches!(h.status(), Some(403 | 404)) => {
                    " Give the job `permissions: pull-requests: write` (and `contents: read`)."
                }
                _ => "",
            };
            rt.warning(&format!("Could not write the PR comment: {e}.{hint}"));
        }
    }
}
