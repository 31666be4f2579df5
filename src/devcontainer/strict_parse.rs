//! The strict parse of devcontainer.json: its value with duplicate keys refused, where
//! the values reached by keys start and end, and its comments.

use std::collections::HashMap;

use jsonc_parser::ast::{self, ObjectPropName};
use jsonc_parser::common::Range;
use jsonc_parser::tokens::Token;
use jsonc_parser::{parse_to_ast, CollectOptions, CommentCollectionStrategy, ParseOptions};
use serde_json::{Map, Number, Value};

use super::DevcontainerError;

pub(super) fn parse_options() -> ParseOptions {
    ParseOptions {
        allow_comments: true,
        allow_trailing_commas: true,
        allow_loose_object_property_names: false,
        allow_missing_commas: false,
        allow_single_quoted_strings: false,
        allow_hexadecimal_numbers: false,
        allow_unary_plus_numbers: false,
        allow_bare_decimal_point_numbers: false,
        allow_non_finite_numbers: false,
        allow_extended_string_escapes: false,
    }
}

/// The parsed file.
pub(super) struct Parsed {
    pub(super) value: Option<Value>,
    /// Where the values reached by keys alone start and end (byte offsets), by path
    /// of keys, down to `portsAttributes.PORT.KEY`.
    pub(super) ranges: HashMap<Vec<String>, Range>,
    /// Every comment, as written, in order.
    pub(super) comments: Vec<String>,
}

pub(super) fn parse_strict(text: &str, file: &str) -> Result<Parsed, DevcontainerError> {
    let result = parse_to_ast(
        text,
        &CollectOptions {
            comments: CommentCollectionStrategy::AsTokens,
            tokens: true,
        },
        &parse_options(),
    )
    .map_err(|e| DevcontainerError::Parse {
        file: file.into(),
        line: e.line_display(),
        column: e.column_display(),
        message: e.kind().to_string(),
    })?;
    let mut ranges = HashMap::new();
    let value = match &result.value {
        Some(v) => Some(convert(v, text, file, Some(&mut Vec::new()), &mut ranges)?),
        None => None,
    };
    let comments = result
        .tokens
        .iter()
        .flatten()
        .filter(|t| matches!(t.token, Token::CommentLine(_) | Token::CommentBlock(_)))
        .map(|t| {
            text.get(t.range.start..t.range.end)
                .unwrap_or_default()
                .to_string()
        })
        .collect();
    Ok(Parsed {
        value,
        ranges,
        comments,
    })
}

/// Converts the AST to a value, refusing duplicate keys. Records where the values
/// reached by keys alone (`path`: `None` inside arrays) start, down to depth 3
/// (`portsAttributes.PORT.KEY`).
fn convert(
    value: &ast::Value,
    text: &str,
    file: &str,
    mut path: Option<&mut Vec<String>>,
    ranges: &mut HashMap<Vec<String>, Range>,
) -> Result<Value, DevcontainerError> {
    if let Some(path) = path.as_deref() {
        if path.len() <= 3 {
            ranges.insert(path.clone(), value_range(value));
        }
    }
    Ok(match value {
        ast::Value::StringLit(s) => Value::String(s.value.to_string()),
        ast::Value::NumberLit(n) => Value::Number(n.value.parse::<Number>().map_err(|_| {
            let (line, column) = line_column(text, n.range.start);
            DevcontainerError::Parse {
                file: file.into(),
                line,
                column,
                message: format!("the number {} is out of range", n.value),
            }
        })?),
        ast::Value::BooleanLit(b) => Value::Bool(b.value),
        ast::Value::NullKeyword(_) => Value::Null,
        ast::Value::Array(a) => {
            let mut items = Vec::with_capacity(a.elements.len());
            for element in &a.elements {
                items.push(convert(element, text, file, None, ranges)?);
            }
            Value::Array(items)
        }
        ast::Value::Object(o) => {
            let mut map = Map::new();
            let mut seen: HashMap<&str, usize> = HashMap::new();
            for prop in &o.properties {
                let (name, start) = match &prop.name {
                    ObjectPropName::String(s) => (s.value.as_ref(), s.range.start),
                    ObjectPropName::Word(w) => (w.value, w.range.start),
                };
                if let Some(&first) = seen.get(name) {
                    let (line, column) = line_column(text, start);
                    return Err(DevcontainerError::DuplicateKey {
                        file: file.into(),
                        line,
                        column,
                        key: name.to_string(),
                        first_line: line_column(text, first).0,
                    });
                }
                seen.insert(name, start);
                let item = match path.as_deref_mut() {
                    Some(path) => {
                        path.push(name.to_string());
                        let item = convert(&prop.value, text, file, Some(&mut *path), ranges);
                        path.pop();
                        item
                    }
                    None => convert(&prop.value, text, file, None, ranges),
                };
                map.insert(name.to_string(), item?);
            }
            Value::Object(map)
        }
    })
}

fn value_range(value: &ast::Value) -> Range {
    match value {
        ast::Value::StringLit(v) => v.range,
        ast::Value::NumberLit(v) => v.range,
        ast::Value::BooleanLit(v) => v.range,
        ast::Value::NullKeyword(v) => v.range,
        ast::Value::Array(v) => v.range,
        ast::Value::Object(v) => v.range,
    }
}

/// 1-based line and column (in characters) of a byte offset, counting line breaks
/// as jsonc-parser does (CRLF, LF, or a lone CR).
pub(super) fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let (mut line, mut column) = (1, 1);
    let bytes = text.as_bytes();
    for (i, c) in text.get(..offset).unwrap_or(text).char_indices() {
        if c == '\n' || (c == '\r' && bytes.get(i + 1) != Some(&b'\n')) {
            line += 1;
            column = 1;
        } else if c != '\r' {
            column += 1;
        }
    }
    (line, column)
}

pub(super) fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

pub(super) fn top_object<'a>(
    parsed: &'a Parsed,
    text: &str,
    file: &str,
) -> Result<&'a Map<String, Value>, DevcontainerError> {
    match &parsed.value {
        Some(Value::Object(map)) => Ok(map),
        other => {
            let start = parsed.ranges.get(&Vec::new()).map_or(0, |r| r.start);
            let (line, column) = line_column(text, start);
            Err(DevcontainerError::NotAnObject {
                file: file.into(),
                line,
                column,
                found: other.as_ref().map(kind).unwrap_or("empty"),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_and_column_count_characters_and_crlf() {
        let text = "{\r\n\t\"é\": 1,\r\n\t\"b\"";
        assert_eq!(line_column(text, 0), (1, 1));
        let b = text.find("\"b\"").unwrap();
        assert_eq!(line_column(text, b), (3, 2));
        let one = text.find('1').unwrap();
        assert_eq!(line_column(text, one), (2, 7));
    }
}
