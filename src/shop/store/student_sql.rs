//! The guard in front of the student's `indexes.sql`: the file is a contract,
//! not a shell. It is parsed with a real PostgreSQL grammar (sqlparser's
//! PostgreSQL dialect) and only what the labs teach gets through:
//!
//! - `CREATE [UNIQUE] INDEX [CONCURRENTLY] [IF NOT EXISTS] … ON <shop table> …`
//!   (any method, expressions, partial, `INCLUDE`, storage parameters);
//! - `DROP INDEX [CONCURRENTLY] [IF EXISTS] <the student's own index>`;
//! - `CREATE EXTENSION [IF NOT EXISTS] pg_trgm | btree_gin | btree_gist`;
//! - `ANALYZE [<shop table> [(columns)]]`; and comments.
//!
//! Anything else refuses the whole file before a statement runs, with the
//! line and column of the offending statement, its first words and why.
//! This module is pure (no database): the runner calls [`check`] before it
//! starts anything, and [`super::indexes::apply`] calls it again, then checks
//! what only the database knows (which index is whose) and runs the
//! statements it returns, one by one, each the exact text the student wrote.
//!
//! `CONCURRENTLY` is accepted and blanked out: PostgreSQL cannot run it in a
//! transaction, and perflab applies the file in one transaction before any
//! load runs, where nobody waits on the lock it avoids.

use serde::Serialize;
use sqlparser::ast::{self, ObjectName, ObjectNamePart, ObjectType};
use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::keywords::Keyword;
use sqlparser::parser::{Parser, ParserError};
use sqlparser::tokenizer::{Location, Token, TokenWithSpan, Tokenizer};

use super::indexes::SHOP_TABLES;

/// The extensions the labs use (trigram search, and GIN/GiST over plain columns).
pub const EXTENSIONS: [&str; 3] = ["pg_trgm", "btree_gin", "btree_gist"];

/// What indexes.sql may hold, as shown next to every refusal.
pub const ALLOWED: &str = "CREATE [UNIQUE] INDEX [CONCURRENTLY] [IF NOT EXISTS] name ON \
     categories | products | users | orders | order_items …; DROP INDEX [IF EXISTS] \
     <an index of yours>; CREATE EXTENSION [IF NOT EXISTS] pg_trgm | btree_gin | btree_gist; \
     ANALYZE [<a shop table>]; and comments";

/// A place in the student's file, as their editor counts: 1-based line and
/// column (in characters).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Position {
    pub line: u64,
    pub column: u64,
}

impl From<Location> for Position {
    fn from(location: Location) -> Self {
        Self {
            line: location.line,
            column: location.column,
        }
    }
}

/// The student's file was refused: where, which statement, and why. It names
/// no file, so the control API and the CLI can each say where it came from.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {}, column {}: {reason} (in `{statement}`)", position.line, position.column)]
pub struct Refused {
    pub position: Position,
    /// The offending statement's first words.
    pub statement: String,
    pub reason: Reason,
}

impl Refused {
    /// One line naming the file the way editors and compilers do
    /// (`path:line:column: …`), with what the file may hold.
    pub fn in_file(&self, file: &str) -> String {
        format!(
            "{file}:{}:{}: {} (in `{}`); it may hold only: {ALLOWED}",
            self.position.line, self.position.column, self.reason, self.statement
        )
    }
}

/// Why a statement was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Reason {
    /// A statement of a kind the labs do not teach (`ALTER DATABASE`, `COPY`…).
    #[error("{0} is not allowed in indexes.sql")]
    Statement(String),
    /// Not valid SQL for the allowed statements; the parser's own words.
    #[error("this is not valid SQL: {0}")]
    Syntax(String),
    /// An index or `ANALYZE` on something that is not one of the shop's tables.
    #[error(
        "`{0}` is not one of the shop's tables (categories, products, users, orders, order_items)"
    )]
    Table(String),
    /// An extension outside [`EXTENSIONS`].
    #[error("the extension `{0}` is not one the labs use (pg_trgm, btree_gin, btree_gist)")]
    Extension(String),
    /// A clause the labs do not use on an allowed statement (`CASCADE`, `WITH SCHEMA`…).
    #[error("{0} is not allowed here")]
    Clause(&'static str),
    /// `ANALYZE a, b`: the parser takes one table per statement.
    #[error("ANALYZE takes one table here: write one ANALYZE per table")]
    AnalyzeList,
    /// `DROP INDEX` of an index that is not the student's.
    #[error(
        "`{0}` is not one of your indexes: it belongs to the shop's schema or backs a constraint"
    )]
    NotYourIndex(String),
}

impl Reason {
    /// A stable name for the reason (the message catalogue's key suffix, the
    /// control API's `reason` field).
    pub fn key(&self) -> &'static str {
        match self {
            Self::Statement(_) => "statement",
            Self::Syntax(_) => "syntax",
            Self::Table(_) => "table",
            Self::Extension(_) => "extension",
            Self::Clause(_) => "clause",
            Self::AnalyzeList => "analyze-list",
            Self::NotYourIndex(_) => "not-your-index",
        }
    }

    /// What the reason is about (the statement kind, table, extension,
    /// clause, index, or the parser's words), for the message catalogue.
    pub fn subject(&self) -> &str {
        match self {
            Self::Statement(s)
            | Self::Syntax(s)
            | Self::Table(s)
            | Self::Extension(s)
            | Self::NotYourIndex(s) => s,
            Self::Clause(s) => s,
            Self::AnalyzeList => "",
        }
    }
}

/// A table or index name as written, with PostgreSQL's folding applied
/// (unquoted names are lower-cased, quoted ones kept).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Name {
    pub schema: Option<String>,
    pub name: String,
    pub position: Position,
}

impl Name {
    /// The name quoted for PostgreSQL (`"public"."products"`), to resolve it
    /// exactly as the statement will (`to_regclass`).
    pub fn quoted(&self) -> String {
        let quote = super::indexes::quote_ident;
        match &self.schema {
            Some(schema) => format!("{}.{}", quote(schema), quote(&self.name)),
            None => quote(&self.name),
        }
    }

    /// As the student reads it back.
    pub fn display(&self) -> String {
        match &self.schema {
            Some(schema) => format!("{schema}.{}", self.name),
            None => self.name.clone(),
        }
    }
}

/// What an accepted statement does, with the names the database must still
/// vouch for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    CreateIndex { table: Name },
    DropIndex { names: Vec<Name> },
    CreateExtension,
    Analyze { table: Option<Name> },
}

/// One accepted statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    pub action: Action,
    /// The text to run: the student's own, `CONCURRENTLY` blanked out.
    pub sql: String,
    pub position: Position,
    /// Its first words, for messages.
    pub summary: String,
    /// Character offset of `sql` in the file: PostgreSQL's error positions
    /// are relative to the statement, the student's editor to the file.
    start_char: usize,
}

/// The accepted file: its statements in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StudentSql {
    pub statements: Vec<Statement>,
    /// The file as run (`CONCURRENTLY` blanked), for positions.
    text: String,
}

impl StudentSql {
    /// The file position of PostgreSQL's 1-based character `position` within
    /// `statement`.
    pub fn position_in(&self, statement: &Statement, position: usize) -> Position {
        let index = statement.start_char + position.saturating_sub(1);
        char_position(&self.text, index)
    }
}

impl Statement {
    /// A refusal of this statement at `position`.
    pub fn refuse(&self, position: Position, reason: Reason) -> Refused {
        Refused {
            position,
            statement: self.summary.clone(),
            reason,
        }
    }
}

/// Parses `sql` and accepts it only if every statement is one the labs teach.
pub fn check(sql: &str) -> Result<StudentSql, Refused> {
    let dialect = PostgreSqlDialect {};
    let tokens = Tokenizer::new(&dialect, sql)
        .tokenize_with_location()
        .map_err(|e| Refused {
            position: e.location.into(),
            statement: summary_from(sql, e.location),
            reason: Reason::Syntax(e.message),
        })?;
    let (tokens, blanked) = without_concurrently(tokens);
    let text = blank(sql, &blanked);
    let lines = LineIndex::new(&text);
    let mut parser = Parser::new(&dialect).with_tokens_with_locations(tokens);
    let mut statements = Vec::new();
    loop {
        while parser.consume_token(&Token::SemiColon) {}
        let first = parser.peek_token();
        if first.token == Token::EOF {
            break;
        }
        let start = first.span.start;
        let summary = summary_from(&text, start);
        let refuse = |position: Position, reason| Refused {
            position,
            statement: summary.clone(),
            reason,
        };
        if let Some(kind) = refused_kind(&parser) {
            return Err(refuse(start.into(), Reason::Statement(kind)));
        }
        let parsed = parser
            .parse_statement()
            .map_err(|e| syntax_error(e, start, &summary))?;
        let end = parser.peek_token();
        let end_char = match end.token {
            Token::SemiColon => lines.char_index(end.span.start),
            Token::EOF => text.chars().count(),
            Token::Comma if matches!(parsed, ast::Statement::Analyze(_)) => {
                return Err(refuse(end.span.start.into(), Reason::AnalyzeList));
            }
            _ => {
                return Err(refuse(
                    end.span.start.into(),
                    Reason::Syntax(format!("expected `;` before {}", end.token)),
                ));
            }
        };
        let action = accept(parsed).map_err(|(reason, at)| {
            let position = at.filter(|p| p.line > 0).unwrap_or(start.into());
            refuse(position, reason)
        })?;
        let start_char = lines.char_index(start);
        let sql: String = text
            .chars()
            .skip(start_char)
            .take(end_char.saturating_sub(start_char))
            .collect();
        statements.push(Statement {
            action,
            sql: sql.trim_end().to_string(),
            position: start.into(),
            summary,
            start_char,
        });
    }
    Ok(StudentSql { statements, text })
}

/// The kind of a statement refused by its first words, before parsing: what
/// sqlparser cannot parse (`DO $$…$$`) is then refused as what it is, not as
/// a syntax error. `None` for the kinds that may be allowed.
fn refused_kind(parser: &Parser) -> Option<String> {
    let word = |n: usize| match parser.peek_nth_token(n).token {
        Token::Word(w) if w.quote_style.is_none() => Some((w.keyword, w.value.to_uppercase())),
        _ => None,
    };
    let Some((first, first_text)) = word(0) else {
        return Some("this statement".into());
    };
    let second = word(1);
    // `CREATE INDEKS`: a typo in an allowed statement is the parser's to
    // point at, not a statement kind of its own.
    let typo = matches!(second, None | Some((Keyword::NoKeyword, _)));
    let allowed = match first {
        Keyword::ANALYZE => true,
        Keyword::CREATE | Keyword::DROP if typo => true,
        Keyword::CREATE => matches!(
            (second.as_ref().map(|w| w.0), word(2).map(|w| w.0)),
            (Some(Keyword::INDEX | Keyword::EXTENSION), _)
                | (Some(Keyword::UNIQUE), Some(Keyword::INDEX))
        ),
        Keyword::DROP => matches!(second.as_ref().map(|w| w.0), Some(Keyword::INDEX)),
        _ => false,
    };
    if allowed {
        return None;
    }
    // Name it by its leading keywords: `ALTER DATABASE`, `CREATE TABLE`, `DO`.
    let mut kind = vec![first_text];
    for n in 1..4 {
        match word(n) {
            Some((keyword, text)) if keyword != Keyword::NoKeyword => kind.push(text),
            _ => break,
        }
        // `CREATE OR REPLACE FUNCTION` needs four words; others two.
        if !matches!(kind.last().map(String::as_str), Some("OR" | "REPLACE")) {
            break;
        }
    }
    Some(kind.join(" "))
}

/// Checks an allowed kind's clauses and names; returns what it does, or why
/// not with the position of the part at fault when the parser kept it.
fn accept(statement: ast::Statement) -> Result<Action, (Reason, Option<Position>)> {
    match statement {
        ast::Statement::CreateIndex(index) => {
            if !index.alter_options.is_empty() || index.r#async {
                return Err((Reason::Clause("this index option"), None));
            }
            let table = shop_table(&index.table_name)?;
            Ok(Action::CreateIndex { table })
        }
        ast::Statement::Drop {
            object_type: ObjectType::Index,
            names,
            cascade,
            purge,
            temporary,
            table,
            ..
        } => {
            if cascade {
                return Err((Reason::Clause("CASCADE"), None));
            }
            if purge || temporary || table.is_some() {
                return Err((Reason::Clause("this DROP INDEX option"), None));
            }
            let names = names
                .iter()
                .map(|name| {
                    name_of(name).ok_or((
                        Reason::Syntax(format!("`{name}` is not an index name")),
                        None,
                    ))
                })
                .collect::<Result<_, _>>()?;
            Ok(Action::DropIndex { names })
        }
        ast::Statement::CreateExtension(extension) => {
            let name = folded(&extension.name);
            if !EXTENSIONS.contains(&name.as_str()) {
                return Err((
                    Reason::Extension(name),
                    Some(extension.name.span.start.into()),
                ));
            }
            if extension.cascade {
                return Err((Reason::Clause("CASCADE"), None));
            }
            if extension.schema.is_some() {
                return Err((Reason::Clause("WITH SCHEMA"), None));
            }
            if extension.version.is_some() {
                return Err((Reason::Clause("VERSION"), None));
            }
            Ok(Action::CreateExtension)
        }
        ast::Statement::Analyze(analyze) => {
            if analyze.partitions.is_some()
                || analyze.for_columns
                || analyze.cache_metadata
                || analyze.noscan
                || analyze.compute_statistics
            {
                return Err((Reason::Clause("this ANALYZE option"), None));
            }
            let table = analyze.table_name.as_ref().map(shop_table).transpose()?;
            Ok(Action::Analyze { table })
        }
        // Parsed, but of a kind the first words did not give away (e.g.
        // `DROP TABLE` spelled so the parser saw something else).
        other => Err((Reason::Statement(first_words(&other.to_string(), 2)), None)),
    }
}

/// A shop table, as named (the database checks which schema it resolves to).
fn shop_table(name: &ObjectName) -> Result<Name, (Reason, Option<Position>)> {
    let resolved = name_of(name).ok_or((Reason::Table(name.to_string()), None))?;
    if !SHOP_TABLES.contains(&resolved.name.as_str()) {
        return Err((Reason::Table(resolved.display()), Some(resolved.position)));
    }
    Ok(resolved)
}

/// `[schema.]name` with PostgreSQL's folding; `None` for other shapes
/// (`db.schema.table`, dialect functions).
fn name_of(name: &ObjectName) -> Option<Name> {
    let parts: Vec<&ast::Ident> = name
        .0
        .iter()
        .map(|part| match part {
            ObjectNamePart::Identifier(ident) => Some(ident),
            ObjectNamePart::Function(_) => None,
        })
        .collect::<Option<_>>()?;
    let position = parts.first().map(|ident| ident.span.start.into())?;
    match parts.as_slice() {
        [name] => Some(Name {
            schema: None,
            name: folded(name),
            position,
        }),
        [schema, name] => Some(Name {
            schema: Some(folded(schema)),
            name: folded(name),
            position,
        }),
        _ => None,
    }
}

/// PostgreSQL folds unquoted identifiers to lower case.
fn folded(ident: &ast::Ident) -> String {
    match ident.quote_style {
        Some(_) => ident.value.clone(),
        None => ident.value.to_lowercase(),
    }
}

/// Removes the `CONCURRENTLY` of `CREATE [UNIQUE] INDEX CONCURRENTLY` and
/// `DROP INDEX CONCURRENTLY` (sqlparser rejects the latter), returning the
/// other tokens and the removed tokens' spans. Other tokens keep their spans,
/// so every position still points into the student's file.
fn without_concurrently(
    tokens: Vec<TokenWithSpan>,
) -> (Vec<TokenWithSpan>, Vec<(Location, Location)>) {
    let mut kept: Vec<TokenWithSpan> = Vec::with_capacity(tokens.len());
    let mut removed = Vec::new();
    // The keywords seen since the last `;`, whitespace skipped.
    let mut words: Vec<Keyword> = Vec::new();
    for token in tokens {
        let keyword = match &token.token {
            Token::Word(w) if w.quote_style.is_none() => Some(w.keyword),
            _ => None,
        };
        if let Token::Whitespace(_) = token.token {
            kept.push(token);
            continue;
        }
        let after_index = matches!(
            words.as_slice(),
            [Keyword::CREATE, Keyword::INDEX]
                | [Keyword::CREATE, Keyword::UNIQUE, Keyword::INDEX]
                | [Keyword::DROP, Keyword::INDEX]
        );
        if after_index && keyword == Some(Keyword::CONCURRENTLY) {
            removed.push((token.span.start, token.span.end));
            words.push(Keyword::CONCURRENTLY);
            continue;
        }
        match token.token {
            Token::SemiColon => words.clear(),
            _ => words.push(keyword.unwrap_or(Keyword::NoKeyword)),
        }
        kept.push(token);
    }
    (kept, removed)
}

/// `sql` with each span replaced by as many spaces: same length, same positions.
fn blank(sql: &str, spans: &[(Location, Location)]) -> String {
    if spans.is_empty() {
        return sql.to_string();
    }
    let lines = LineIndex::new(sql);
    let ranges: Vec<(usize, usize)> = spans
        .iter()
        .map(|(start, end)| (lines.char_index(*start), lines.char_index(*end)))
        .collect();
    sql.chars()
        .enumerate()
        .map(|(i, c)| {
            if ranges
                .iter()
                .any(|(start, end)| (*start..*end).contains(&i))
            {
                ' '
            } else {
                c
            }
        })
        .collect()
}

/// The parser's error at its own position, or at the statement's start when
/// it gives none (recursion limit).
fn syntax_error(error: ParserError, start: Location, summary: &str) -> Refused {
    let message = match error {
        ParserError::TokenizerError(m) | ParserError::ParserError(m) => m,
        ParserError::RecursionLimitExceeded => "expressions nested too deeply".to_string(),
    };
    // sqlparser appends " at Line: L, Column: C" to its messages.
    let (message, position) = match message.rsplit_once(" at Line: ") {
        Some((text, at)) => (text.to_string(), parse_line_column(at)),
        None => (message, None),
    };
    Refused {
        position: position.unwrap_or(start.into()),
        statement: summary.to_string(),
        reason: Reason::Syntax(message),
    }
}

/// `L, Column: C` → position.
fn parse_line_column(text: &str) -> Option<Position> {
    let (line, column) = text.split_once(", Column: ")?;
    Some(Position {
        line: line.trim().parse().ok()?,
        column: column.trim().parse().ok()?,
    })
}

/// A statement's first words from `location` on, for messages.
fn summary_from(text: &str, location: Location) -> String {
    let index = LineIndex::new(text).char_index(location);
    let rest: String = text.chars().skip(index).collect();
    let statement = rest.split(';').next().unwrap_or("");
    first_words(statement, 6)
}

/// Up to `n` whitespace-separated words, `…` when there were more.
fn first_words(text: &str, n: usize) -> String {
    let words: Vec<&str> = text.split_whitespace().collect();
    let mut summary: String = words.iter().take(n).copied().collect::<Vec<_>>().join(" ");
    if summary.chars().count() > 60 {
        summary = summary.chars().take(60).collect();
        summary.push('…');
    } else if words.len() > n {
        summary.push_str(" …");
    }
    summary
}

/// The character position of a 0-based character index.
fn char_position(text: &str, index: usize) -> Position {
    let before = text.chars().take(index);
    let (mut line, mut column) = (1, 1);
    for c in before {
        if c == '\n' {
            line += 1;
            column = 1;
        } else {
            column += 1;
        }
    }
    Position { line, column }
}

/// Line starts of a text, to turn the tokenizer's line/column (characters,
/// counting `\n` as the only line break, like the tokenizer) into character
/// indexes.
struct LineIndex {
    /// Character index at which each line starts.
    starts: Vec<usize>,
    chars: usize,
}

impl LineIndex {
    fn new(text: &str) -> Self {
        let mut starts = vec![0];
        let mut chars = 0;
        for c in text.chars() {
            chars += 1;
            if c == '\n' {
                starts.push(chars);
            }
        }
        Self { starts, chars }
    }

    fn char_index(&self, location: Location) -> usize {
        let line = usize::try_from(location.line).unwrap_or(usize::MAX);
        let column = usize::try_from(location.column).unwrap_or(usize::MAX);
        match line.checked_sub(1).and_then(|l| self.starts.get(l)) {
            Some(start) => (start + column.saturating_sub(1)).min(self.chars),
            None => self.chars,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(sql: &str) -> Refused {
        match check(sql) {
            Ok(accepted) => panic!("accepted {sql:?}: {accepted:?}"),
            Err(refused) => refused,
        }
    }

    fn at(sql: &str) -> (u64, u64) {
        let r = refused(sql);
        (r.position.line, r.position.column)
    }

    #[test]
    fn the_forms_the_labs_teach_are_accepted() {
        let sql = "-- lab 2.1\n\
            CREATE INDEX idx_a ON products (category_id, price);\n\
            create unique index if not exists idx_b on Products using btree (lower(name) text_pattern_ops DESC NULLS LAST) include (price) where stock > 0;\n\
            CREATE EXTENSION IF NOT EXISTS pg_trgm;\n\
            CREATE EXTENSION btree_gin; CREATE EXTENSION btree_gist;\n\
            CREATE INDEX idx_c ON products USING gin (name gin_trgm_ops);\n\
            CREATE INDEX CONCURRENTLY idx_d ON public.order_items (order_id) WITH (fillfactor = 90);\n\
            /* block */ DROP INDEX IF EXISTS idx_a;\n\
            DROP INDEX CONCURRENTLY idx_d, idx_c;\n\
            ANALYZE; ANALYZE products; ANALYZE orders (user_id, created_at);\n";
        let accepted = check(sql).expect("accepted");
        let kinds: Vec<&Action> = accepted.statements.iter().map(|s| &s.action).collect();
        assert_eq!(kinds.len(), 12, "{kinds:?}");
        assert!(matches!(&kinds[1], Action::CreateIndex { table } if table.name == "products"));
        assert!(
            matches!(&kinds[6], Action::CreateIndex { table } if table.schema.as_deref() == Some("public"))
        );
        assert!(matches!(&kinds[8], Action::DropIndex { names } if names.len() == 2));
        assert!(matches!(&kinds[9], Action::Analyze { table: None }));
        // What runs is the student's text, without CONCURRENTLY and `;`.
        assert_eq!(
            accepted.statements[0].sql,
            "CREATE INDEX idx_a ON products (category_id, price)"
        );
        assert_eq!(
            accepted.statements[6].sql,
            "CREATE INDEX              idx_d ON public.order_items (order_id) WITH (fillfactor = 90)"
        );
        assert_eq!(
            accepted.statements[8].sql,
            "DROP INDEX              idx_d, idx_c"
        );
        assert_eq!(
            accepted.statements[1].position,
            Position { line: 3, column: 1 }
        );
        assert_eq!(
            accepted.statements[7].position,
            Position {
                line: 8,
                column: 13
            }
        );
    }

    #[test]
    fn comments_and_blank_files_hold_no_statements() {
        assert!(check("").expect("empty").statements.is_empty());
        assert!(
            check("-- nothing\n/* here */\n;\n")
                .expect("comments")
                .statements
                .is_empty()
        );
    }

    #[test]
    fn every_form_outside_the_labs_is_refused_by_name() {
        let cases = [
            (
                "ALTER DATABASE perflab SET enable_seqscan = off",
                "ALTER DATABASE",
            ),
            (
                "ALTER TABLE order_items ADD CONSTRAINT h UNIQUE (order_id, id)",
                "ALTER TABLE",
            ),
            ("COPY products TO PROGRAM 'id'", "COPY"),
            ("CREATE TABLE t (x int)", "CREATE TABLE"),
            ("SET enable_seqscan = off", "SET"),
            ("SET LOCAL enable_seqscan = off", "SET LOCAL"),
            ("RESET ALL", "RESET ALL"),
            ("DROP TABLE products CASCADE", "DROP TABLE"),
            ("DO $$ BEGIN PERFORM 1; END $$", "DO"),
            ("SELECT pg_sleep(10)", "SELECT"),
            ("COMMIT", "COMMIT"),
            ("BEGIN", "BEGIN"),
            (
                "CREATE FUNCTION f() RETURNS int AS 'select 1' LANGUAGE sql",
                "CREATE FUNCTION",
            ),
            (
                "CREATE OR REPLACE FUNCTION f() RETURNS int AS 'select 1' LANGUAGE sql",
                "CREATE OR REPLACE FUNCTION",
            ),
            ("VACUUM products", "VACUUM"),
            ("TRUNCATE products", "TRUNCATE"),
            ("DELETE FROM products", "DELETE FROM"),
            ("CREATE SCHEMA s", "CREATE SCHEMA"),
            ("DROP EXTENSION pg_trgm", "DROP EXTENSION"),
            ("GRANT ALL ON products TO public", "GRANT ALL"),
            (
                "CREATE RULE r AS ON INSERT TO products DO NOTHING",
                "CREATE RULE",
            ),
            ("\"select\" 1", "this statement"),
        ];
        for (sql, kind) in cases {
            let r = refused(sql);
            assert_eq!(r.reason, Reason::Statement(kind.into()), "{sql}");
            assert_eq!((r.position.line, r.position.column), (1, 1), "{sql}");
            assert!(r.to_string().contains("not allowed"), "{r}");
        }
    }

    #[test]
    fn allowed_kinds_with_disallowed_parts_are_refused() {
        let cases = [
            (
                "CREATE EXTENSION dblink",
                Reason::Extension("dblink".into()),
            ),
            (
                "CREATE EXTENSION IF NOT EXISTS \"PG_TRGM\"",
                Reason::Extension("PG_TRGM".into()),
            ),
            (
                "CREATE EXTENSION pg_trgm CASCADE",
                Reason::Clause("CASCADE"),
            ),
            (
                "CREATE EXTENSION pg_trgm WITH SCHEMA s",
                Reason::Clause("WITH SCHEMA"),
            ),
            (
                "CREATE INDEX i ON pg_class (relname)",
                Reason::Table("pg_class".into()),
            ),
            (
                "CREATE INDEX i ON pg_catalog.pg_class (relname)",
                Reason::Table("pg_catalog.pg_class".into()),
            ),
            (
                "CREATE INDEX i ON perflab_meta (key)",
                Reason::Table("perflab_meta".into()),
            ),
            (
                "CREATE INDEX i ON \"Products\" (name)",
                Reason::Table("Products".into()),
            ),
            ("DROP INDEX i CASCADE", Reason::Clause("CASCADE")),
            ("ANALYZE pg_class", Reason::Table("pg_class".into())),
            ("ANALYZE products, orders", Reason::AnalyzeList),
        ];
        for (sql, reason) in cases {
            assert_eq!(refused(sql).reason, reason, "{sql}");
        }
    }

    #[test]
    fn one_bad_statement_refuses_the_whole_file() {
        let sql = "CREATE INDEX leak ON products (stock);\nCOMMIT;\nDROP TABLE users;";
        let r = refused(sql);
        assert_eq!(r.reason, Reason::Statement("COMMIT".into()));
        assert_eq!((r.position.line, r.position.column), (2, 1));
        assert_eq!(r.statement, "COMMIT");
    }

    #[test]
    fn positions_count_blank_lines_comments_and_statements_on_one_line() {
        assert_eq!(at("\n\n-- a comment\n   /* more */ SET x = 1;"), (4, 15));
        assert_eq!(
            at("CREATE INDEX a ON products (x); ALTER TABLE products ADD c int;"),
            (1, 33)
        );
        // The table's own position, not the statement's.
        assert_eq!(at("CREATE INDEX a\n  ON   pg_class (x)"), (2, 8));
        // The parser's position for a syntax error.
        assert_eq!(at("-- x\nCREATE INDEKS b"), (2, 8));
        assert_eq!(at("CREATE INDEX a ON products (x) TABLESPACE t"), (1, 32));
        // Multi-byte characters count once.
        assert_eq!(
            at("-- índice ñ\nCREATE INDEX \"í\" ON pg_class (x)"),
            (2, 21)
        );
    }

    #[test]
    fn syntax_errors_say_what_the_parser_expected() {
        let r = refused("CREATE INDEX a ON products (");
        assert!(matches!(r.reason, Reason::Syntax(_)), "{r:?}");
        let r = refused("CREATE INDEX a ON products (x) garbage");
        assert!(matches!(r.reason, Reason::Syntax(_)), "{r:?}");
        let r = refused("CREATE INDEX a ON products ('unterminated");
        assert!(matches!(r.reason, Reason::Syntax(_)), "{r:?}");
        let deep = format!(
            "CREATE INDEX a ON products ({}x{})",
            "(".repeat(500),
            ")".repeat(500)
        );
        assert!(matches!(refused(&deep).reason, Reason::Syntax(_)));
    }

    #[test]
    fn postgres_positions_map_back_into_the_file() {
        let sql = "-- one\nCREATE INDEX a ON products (x);  CREATE INDEX b ON products (nope);";
        let accepted = check(sql).expect("accepted");
        let second = &accepted.statements[1];
        // PostgreSQL would point at `nope`: character 29 of the statement.
        assert_eq!(&second.sql[28..32], "nope");
        assert_eq!(
            accepted.position_in(second, 29),
            Position {
                line: 2,
                column: 62
            }
        );
    }

    #[test]
    fn summaries_are_short() {
        assert_eq!(
            first_words("ALTER  DATABASE\n perflab", 6),
            "ALTER DATABASE perflab"
        );
        assert_eq!(first_words("a b c d e f g", 3), "a b c …");
        assert!(first_words(&"x".repeat(100), 6).ends_with('…'));
    }
}
