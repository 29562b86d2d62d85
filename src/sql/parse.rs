//! Per-statement parsing with sqlparser. A failure only means "not
//! analysed": sqlparser rejects much valid Postgres (and accepts some invalid
//! SQL), so Postgres stays the only judge of validity.

use sqlparser::ast::Statement as Ast;
use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::parser::Parser;
use sqlparser::tokenizer::Token;

use super::words::View;

/// Parse one statement from its already-lexed significant tokens (no second
/// tokenization). `None` when sqlparser cannot read it.
pub fn parse(view: &View) -> Option<Ast> {
    if view.is_empty() {
        return None;
    }
    let tokens = view.toks.iter().map(|t| t.to_parser_token()).collect();
    let dialect = PostgreSqlDialect {};
    let mut p = Parser::new(&dialect).with_tokens_with_locations(tokens);
    let ast = p.parse_statement().ok()?;
    // Trailing tokens the parser did not consume: it did not understand the
    // whole statement, so do not pretend it did.
    matches!(p.peek_token().token, Token::EOF).then_some(ast)
}

#[cfg(test)]
mod tests {
    use super::super::lexer::lex;
    use super::*;

    fn p(sql: &str) -> Option<Ast> {
        let l = lex(sql, 0, sql.len(), 1);
        parse(&View::new(&l.tokens))
    }

    #[test]
    fn parses_or_declines() {
        assert!(p("ALTER TABLE t ADD COLUMN a int;").is_some());
        assert!(p("CREATE INDEX CONCURRENTLY i ON t (a);").is_some());
        assert!(p("select 1 garbage garbage;").is_none());
        assert!(p("DO $$ begin end $$;").is_none() || p("DO $$ begin end $$;").is_some());
    }
}
