//! Per-statement parsing with sqlparser. A failure only means "not
//! analysed": sqlparser rejects much valid Postgres (and accepts some invalid
//! SQL), so Postgres stays the only judge of validity.

use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::parser::Parser;
use sqlparser::tokenizer::{Location, Span as PSpan, Token, TokenWithSpan};

use super::lexer::{Tok, TokKind};

/// Does sqlparser read the statement whose tokens (all of them, trivia included) these
/// are? Parsing runs last, after the rules that read the tokens, so it takes the tokens
/// instead of copying them: `toks` holds `Token::EOF` afterwards. Only the significant
/// tokens are given to the parser (no second tokenization), without the final `;`.
pub fn parses(toks: &mut [Tok]) -> bool {
    let mut tokens: Vec<TokenWithSpan> = toks
        .iter_mut()
        .filter(|t| t.kind == TokKind::Sql && !t.is_trivia())
        .map(|t| {
            TokenWithSpan::new(
                std::mem::replace(&mut t.token, Token::EOF),
                PSpan::new(
                    Location::new(t.line as u64, t.col as u64),
                    Location::new(t.end_line as u64, t.end_col as u64),
                ),
            )
        })
        .collect();
    if matches!(tokens.last().map(|t| &t.token), Some(Token::SemiColon)) {
        tokens.pop();
    }
    if tokens.is_empty() {
        return false;
    }
    let dialect = PostgreSqlDialect {};
    let mut p = Parser::new(&dialect).with_tokens_with_locations(tokens);
    // Trailing tokens the parser did not consume: it did not understand the whole
    // statement, so do not pretend it did.
    p.parse_statement().is_ok() && matches!(p.peek_token().token, Token::EOF)
}

#[cfg(test)]
mod tests {
    use super::super::lexer::lex;
    use super::*;

    fn p(sql: &str) -> Option<()> {
        let mut l = lex(sql, 0, sql.len(), 1);
        parses(&mut l.tokens).then_some(())
    }

    #[test]
    fn parses_or_declines() {
        assert!(p("ALTER TABLE t ADD COLUMN a int;").is_some());
        assert!(p("CREATE INDEX CONCURRENTLY i ON t (a);").is_some());
        assert!(p("select 1 garbage garbage;").is_none());
        assert!(p("DO $$ begin end $$;").is_none() || p("DO $$ begin end $$;").is_some());
    }
}
