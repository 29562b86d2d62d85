//! `migrate-command` → argument array. Quote-aware like a POSIX shell's word splitting
//! (single quotes literal, double quotes with `\"`/`\\` escapes, backslash outside quotes),
//! but nothing else: no variables, globs, pipes or `;`: the command is never run by a
//! shell, so text from the repository cannot become a second command.

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ArgvError {
    UnclosedQuote(char),
    Empty,
    /// Shell syntax that would silently mean something else without a shell.
    ShellSyntax(String),
}

impl std::fmt::Display for ArgvError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ArgvError::UnclosedQuote(q) => write!(f, "has an unclosed {q} quote"),
            ArgvError::Empty => write!(f, "is empty"),
            ArgvError::ShellSyntax(s) => write!(
                f,
                "uses shell syntax `{s}`, but the command is not run by a shell; put the commands in a script (e.g. `./scripts/migrate.sh`) or a separate workflow step"
            ),
        }
    }
}

pub fn split(command: &str) -> Result<Vec<String>, ArgvError> {
    let mut args = Vec::new();
    let mut current = String::new();
    let mut in_word = false;
    let mut chars = command.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(ch) => current.push(ch),
                        None => return Err(ArgvError::UnclosedQuote('\'')),
                    }
                }
            }
            '"' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(e @ ('"' | '\\' | '$' | '`')) => current.push(e),
                            Some(other) => {
                                current.push('\\');
                                current.push(other);
                            }
                            None => return Err(ArgvError::UnclosedQuote('"')),
                        },
                        Some(ch) => current.push(ch),
                        None => return Err(ArgvError::UnclosedQuote('"')),
                    }
                }
            }
            '\\' => {
                in_word = true;
                match chars.next() {
                    Some('\n') => {}
                    Some(ch) => current.push(ch),
                    None => current.push('\\'),
                }
            }
            c if c.is_whitespace() => {
                if in_word {
                    args.push(std::mem::take(&mut current));
                    in_word = false;
                }
            }
            '|' | ';' | '&' | '<' | '>' | '`' => {
                let mut s = c.to_string();
                if let Some(&n) = chars.peek() {
                    if n == c {
                        s.push(n);
                    }
                }
                return Err(ArgvError::ShellSyntax(s));
            }
            '$' if matches!(chars.peek(), Some('(' | '{'))
                || chars
                    .peek()
                    .is_some_and(|n| n.is_ascii_alphabetic() || *n == '_') =>
            {
                return Err(ArgvError::ShellSyntax(format!(
                    "${}",
                    chars.peek().copied().unwrap_or(' ')
                )));
            }
            c => {
                in_word = true;
                current.push(c);
            }
        }
    }
    if in_word {
        args.push(current);
    }
    if args.is_empty() {
        return Err(ArgvError::Empty);
    }
    Ok(args)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_like_a_shell_without_one() {
        assert_eq!(
            split("npx prisma migrate deploy").unwrap(),
            ["npx", "prisma", "migrate", "deploy"]
        );
        assert_eq!(
            split(r#"dbmate --migrations-dir "db/my migrations" up"#).unwrap(),
            ["dbmate", "--migrations-dir", "db/my migrations", "up"]
        );
        assert_eq!(split(r"a 'it''s' b\ c").unwrap(), ["a", "its", "b c"]);
        assert_eq!(
            split(r#"x "say \"hi\"" ''"#).unwrap(),
            ["x", "say \"hi\"", ""]
        );
        assert_eq!(split("  tool\n  --flag  ").unwrap(), ["tool", "--flag"]);
    }

    #[test]
    fn refuses_what_only_a_shell_would_do() {
        assert_eq!(split("a 'b"), Err(ArgvError::UnclosedQuote('\'')));
        assert_eq!(split("a \"b"), Err(ArgvError::UnclosedQuote('"')));
        assert_eq!(split("   "), Err(ArgvError::Empty));
        assert!(matches!(split("a && b"), Err(ArgvError::ShellSyntax(s)) if s == "&&"));
        assert!(matches!(
            split("a; rm -rf /"),
            Err(ArgvError::ShellSyntax(_))
        ));
        assert!(matches!(
            split("echo $HOME"),
            Err(ArgvError::ShellSyntax(_))
        ));
        assert!(matches!(
            split("echo $(id)"),
            Err(ArgvError::ShellSyntax(_))
        ));
        // Quoted, they are plain text.
        assert_eq!(
            split("echo 'a && b' \"$\"").unwrap(),
            ["echo", "a && b", "$"]
        );
    }
}
