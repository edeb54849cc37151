//! The catalogue read as data, for the checks that keep it honest: which
//! messages each file defines, the variables each uses and its text with the
//! variables left as `{ $name }`. The tests here, `tests/messages.rs` and
//! `perflab labs validate` (for a pack's own messages) use it.

use std::collections::{BTreeMap, BTreeSet};

use fluent_syntax::ast;

use super::{Lang, Source};

/// One message of one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub lang: Lang,
    pub file: String,
    /// 1-based line of its definition.
    pub line: usize,
    pub key: String,
    /// The variables it uses (`$name` → `name`), in any variant.
    pub variables: BTreeSet<String>,
    /// Its text, every variant, variables as `{ $name }`.
    pub text: String,
}

/// Every message of `sources`, in order. Files that do not parse are left
/// out: building the [`Catalogue`](super::Catalogue) reports them.
pub fn entries(sources: &[Source]) -> Vec<Entry> {
    let mut out = Vec::new();
    for source in sources {
        let Ok(resource) = fluent_syntax::parser::parse(source.text.as_str()) else {
            continue;
        };
        for entry in resource.body {
            let ast::Entry::Message(message) = entry else {
                continue;
            };
            let mut variables = BTreeSet::new();
            let mut text = String::new();
            if let Some(pattern) = &message.value {
                walk_pattern(pattern, &mut variables, &mut text);
            }
            for attribute in &message.attributes {
                walk_pattern(&attribute.value, &mut variables, &mut text);
            }
            let key = message.id.name.to_string();
            out.push(Entry {
                lang: source.lang,
                file: source.file.clone(),
                line: definition_line(&source.text, &key),
                key,
                variables,
                text,
            });
        }
    }
    out
}

/// Problems between the languages: a message in one and not the other, or
/// with other variables. One line each, naming the file.
pub fn language_mismatches(entries: &[Entry]) -> Vec<String> {
    let mut by_lang: BTreeMap<Lang, BTreeMap<&str, &Entry>> = BTreeMap::new();
    for entry in entries {
        // Later files override earlier ones, as in the catalogue.
        by_lang
            .entry(entry.lang)
            .or_default()
            .insert(&entry.key, entry);
    }
    let empty = BTreeMap::new();
    let es = by_lang.get(&Lang::Es).unwrap_or(&empty);
    let en = by_lang.get(&Lang::En).unwrap_or(&empty);
    let mut problems = Vec::new();
    for (key, entry) in es {
        match en.get(key) {
            None => problems.push(format!(
                "{}:{}: `{key}` has no English version",
                entry.file, entry.line
            )),
            Some(other) if other.variables != entry.variables => problems.push(format!(
                "{}:{}: `{key}` uses {:?} in Spanish but {:?} in English ({}:{})",
                entry.file, entry.line, entry.variables, other.variables, other.file, other.line
            )),
            Some(_) => {}
        }
    }
    for (key, entry) in en {
        if !es.contains_key(key) {
            problems.push(format!(
                "{}:{}: `{key}` has no Spanish version",
                entry.file, entry.line
            ));
        }
    }
    problems
}

/// Messages defined twice in one language across `entries` (an accident in
/// one pack: the later silently wins).
pub fn duplicates(entries: &[Entry]) -> Vec<String> {
    let mut seen: BTreeMap<(Lang, &str), &Entry> = BTreeMap::new();
    let mut problems = Vec::new();
    for entry in entries {
        if let Some(first) = seen.insert((entry.lang, &entry.key), entry) {
            problems.push(format!(
                "{}:{}: `{}` is already defined at {}:{}",
                entry.file, entry.line, entry.key, first.file, first.line
            ));
        }
    }
    problems
}

fn definition_line(text: &str, key: &str) -> usize {
    text.lines()
        .position(|line| {
            line.strip_prefix(key)
                .is_some_and(|rest| rest.trim_start().starts_with('='))
        })
        .map_or(0, |i| i + 1)
}

fn walk_pattern(pattern: &ast::Pattern<&str>, vars: &mut BTreeSet<String>, text: &mut String) {
    for element in &pattern.elements {
        match element {
            ast::PatternElement::TextElement { value } => text.push_str(value),
            ast::PatternElement::Placeable { expression } => {
                walk_expression(expression, vars, text)
            }
        }
    }
}

fn walk_expression(
    expression: &ast::Expression<&str>,
    vars: &mut BTreeSet<String>,
    text: &mut String,
) {
    match expression {
        ast::Expression::Select { selector, variants } => {
            walk_inline(selector, vars, &mut String::new());
            for variant in variants {
                text.push(' ');
                walk_pattern(&variant.value, vars, text);
            }
        }
        ast::Expression::Inline(inline) => walk_inline(inline, vars, text),
    }
}

fn walk_inline(
    inline: &ast::InlineExpression<&str>,
    vars: &mut BTreeSet<String>,
    text: &mut String,
) {
    match inline {
        ast::InlineExpression::VariableReference { id } => {
            vars.insert(id.name.to_string());
            text.push_str(&format!("{{ ${} }}", id.name));
        }
        ast::InlineExpression::StringLiteral { value } => text.push_str(value),
        ast::InlineExpression::NumberLiteral { value } => text.push_str(value),
        ast::InlineExpression::FunctionReference { arguments, .. } => {
            for argument in &arguments.positional {
                walk_inline(argument, vars, text);
            }
        }
        ast::InlineExpression::Placeable { expression } => walk_expression(expression, vars, text),
        ast::InlineExpression::MessageReference { id, .. } => {
            text.push_str(&format!("{{ {} }}", id.name));
        }
        ast::InlineExpression::TermReference { id, .. } => {
            text.push_str(&format!("{{ -{} }}", id.name));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source(lang: Lang, text: &str) -> Source {
        Source {
            lang,
            file: format!("{}/t.ftl", lang.code()),
            text: text.into(),
        }
    }

    #[test]
    fn variables_are_found_in_every_variant() {
        let found = entries(&[source(
            Lang::Es,
            "# c\n\nn = { $count ->\n    [one] uno de { $total }\n   *[other] { $count }\n}\n",
        )]);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].line, 3);
        let vars: Vec<_> = found[0].variables.iter().map(String::as_str).collect();
        assert_eq!(vars, ["count", "total"]);
    }

    #[test]
    fn a_message_missing_in_a_language_or_with_other_variables_is_named() {
        let found = entries(&[
            source(Lang::Es, "a = { $x }\nb = hola\n"),
            source(Lang::En, "a = { $y }\nc = hi\n"),
        ]);
        let problems = language_mismatches(&found).join("\n");
        assert!(problems.contains("`a` uses"), "{problems}");
        assert!(problems.contains("`b` has no English"), "{problems}");
        assert!(problems.contains("`c` has no Spanish"), "{problems}");
    }

    #[test]
    fn the_builtin_catalogue_has_every_message_in_both_languages() {
        let catalogue = super::super::Catalogue::builtin();
        let found = entries(catalogue.sources());
        assert!(!found.is_empty());
        let problems = language_mismatches(&found);
        assert!(problems.is_empty(), "{}", problems.join("\n"));
        let twice = duplicates(&found);
        assert!(twice.is_empty(), "{}", twice.join("\n"));
    }
}
