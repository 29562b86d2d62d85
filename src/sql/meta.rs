//! psql meta-commands a migration may contain. psql runs them on the machine it runs on
//! (the GitHub runner, next to the action's secrets), not in the database: `\!` and
//! backticks start a shell, `\o |cmd`, `\g |cmd` and `\copy … program` pipe to one, `\i`,
//! `\w`, `\o file`, `\copy … 'file'` read or write the runner's files, `\getenv` reads
//! its environment, `\c` and `\q` leave the action's session (and its lock and tracking).
//! A migration is SQL, so only what stays inside psql's own session is accepted: setting
//! and testing variables, printing, formatting, describing, `\gset`/`\gexec`, and
//! `\copy … from stdin` (data inline, like COPY FROM STDIN).

/// Meta-commands that neither reach the runner's shell, files or environment nor leave
/// the session.
const ALLOWED: &[&str] = &[
    "set",
    "unset",
    "echo",
    "qecho",
    "warn",
    "if",
    "elif",
    "else",
    "endif",
    "gset",
    "gexec",
    "timing",
    "pset",
    "x",
    "a",
    "t",
    "f",
    "C",
    "H",
    "T",
    "encoding",
    "conninfo",
    "errverbose",
    "l",
    "list",
    "sf",
    "sv",
    "g",
    "gx",
    "gdesc",
];

/// Why the meta-command token `text` (from its backslash to the end of the line, maybe
/// several commands) must not run, or `None`.
pub fn refused(text: &str) -> Option<String> {
    if text.contains('`') {
        return Some(format!(
            "psql meta-command `{}` contains backticks, which psql runs as a shell command on the runner; a migration must not run commands (use SQL)",
            shorten(text)
        ));
    }
    for (name, args) in commands(text) {
        let shown = format!("\\{name}");
        let allowed = ALLOWED.contains(&name.as_str())
            || (name.starts_with('d')
                && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '+'));
        if name == "copy" {
            if copy_is_inline(&args) {
                continue;
            }
            return Some(format!(
                "psql meta-command `{}` reads or writes a file (or runs a program) on the runner; use `\\copy … from stdin` with the data inline, or COPY in SQL",
                shorten(text)
            ));
        }
        if (name == "g" || name == "gx") && !args.trim().is_empty() && !args.trim().starts_with('(')
        {
            return Some(format!(
                "psql meta-command `{}` sends the query's output to a file or a shell command on the runner; end the statement with `;` instead",
                shorten(text)
            ));
        }
        if !allowed {
            let why = match name.as_str() {
                "!" => "runs a shell command on the runner",
                "o" | "out" | "w" | "write" | "s" | "lo_export" => "writes a file (or pipes to a shell command) on the runner",
                "i" | "include" | "ir" | "include_relative" | "lo_import" => "reads a file on the runner, outside what is tracked and checksummed; put the SQL in the migration itself",
                "c" | "connect" | "q" | "quit" => "leaves the action's session, which holds the migration lock and records what was applied",
                "setenv" | "getenv" | "cd" => "reads or changes the runner's environment",
                _ => "is not one of the meta-commands a migration may use (\\set, \\echo, \\if, \\gset, \\gexec, \\copy … from stdin, …)",
            };
            return Some(format!(
                "psql meta-command `{shown}` {why}; a migration must be SQL that runs in the database"
            ));
        }
    }
    None
}

/// The commands of one meta-command line: psql ends a command's arguments at an unquoted
/// backslash, which starts the next command (`\echo a \! b` runs both).
fn commands(text: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    let mut chars = text.chars().peekable();
    let mut quote: Option<char> = None;
    let mut current: Option<(String, String)> = None;
    while let Some(c) = chars.next() {
        match quote {
            Some(q) => {
                if c == q {
                    quote = None;
                }
                if let Some((_, args)) = current.as_mut() {
                    args.push(c);
                }
            }
            None if c == '\\' => {
                if let Some(cmd) = current.take() {
                    out.push(cmd);
                }
                // `\\` separates commands from SQL on the same line.
                if chars.peek() == Some(&'\\') {
                    chars.next();
                    continue;
                }
                let mut name = String::new();
                while let Some(&n) = chars.peek() {
                    // psql reads the command name up to whitespace or the next backslash;
                    // `\!` is a name of its own.
                    if n.is_whitespace() || n == '\\' || (n == '!' && !name.is_empty()) {
                        break;
                    }
                    name.push(n);
                    chars.next();
                    if name == "!" {
                        break;
                    }
                }
                current = Some((name, String::new()));
            }
            None => {
                if c == '\'' || c == '"' {
                    quote = Some(c);
                }
                if let Some((_, args)) = current.as_mut() {
                    args.push(c);
                }
            }
        }
    }
    out.extend(current);
    out
}

/// `\copy t from stdin` / `to stdout` (and psql's `pstdin`/`pstdout`): data inline or to
/// the log, no file or program on the runner.
fn copy_is_inline(args: &str) -> bool {
    let lower = args.to_ascii_lowercase();
    let words: Vec<&str> = lower.split_whitespace().collect();
    if words.contains(&"program") {
        return false;
    }
    words.windows(2).any(|w| {
        matches!(
            (w[0], w[1].trim_end_matches(';')),
            ("from", "stdin" | "pstdin") | ("to", "stdout" | "pstdout")
        )
    })
}

fn shorten(text: &str) -> String {
    let line = text.lines().next().unwrap_or("").trim();
    let mut out: String = line.chars().take(80).collect();
    if line.chars().count() > 80 {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_only_commands_pass() {
        for ok in [
            "\\set ON_ERROR_STOP 1",
            "\\echo it's fine",
            "\\if :is_prod",
            "\\endif",
            "\\gset",
            "\\gexec",
            "\\timing on",
            "\\dt+ public.*",
            "\\copy users (id, email) from stdin",
            "\\copy (select 1) to stdout with csv",
            "\\set x 'a \\\\ b'",
            "\\g",
        ] {
            assert_eq!(refused(ok), None, "{ok}");
        }
    }

    #[test]
    fn anything_that_reaches_the_runner_is_refused() {
        for (bad, says) in [
            ("\\! touch pwned", "runs a shell command"),
            ("\\!touch pwned", "runs a shell command"),
            ("\\o |touch pwned", "writes a file"),
            ("\\o /tmp/out", "writes a file"),
            ("\\w /tmp/x", "writes a file"),
            ("\\g |touch pwned", "shell command"),
            ("\\gx /tmp/x", "shell command"),
            ("\\copy users to program 'touch pwned'", "runs a program"),
            ("\\copy users from '/etc/passwd'", "reads or writes a file"),
            ("\\i /etc/passwd", "reads a file"),
            ("\\ir other.sql", "reads a file"),
            ("\\set x `touch pwned`", "backticks"),
            ("\\echo hi \\! touch pwned", "runs a shell command"),
            ("\\getenv k INPUT_NEON-API-KEY", "environment"),
            ("\\c otherdb", "leaves the action's session"),
            ("\\q", "leaves the action's session"),
            ("\\prompt x", "not one of"),
            ("\\ef my_function", "not one of"),
        ] {
            let why = refused(bad).unwrap_or_else(|| panic!("{bad} was accepted"));
            assert!(why.contains(says), "{bad}: {why}");
        }
    }
}
