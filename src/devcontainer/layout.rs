//! Keeping the file's layout through the CST edit: the blank lines the CST trims are
//! put back, inserted lines take the file's indentation, and the original text is
//! checked to be all there.

use similar::{capture_diff_slices, Algorithm, DiffOp};

use super::additions::{Additions, EntryEdit};
use super::strict_parse::Parsed;

/// Indentation for a file that shows none (an empty or one-line object, a new file).
const DEFAULT_INDENT: &str = "\t";
/// What the CST indents with when it cannot tell the file's indentation.
pub(super) const CST_DEFAULT_INDENT: &str = "  ";

/// The file's indentation unit: what the CST saw, else the first indented line's
/// leading whitespace, else a tab.
pub(super) fn indent_unit(cst_indent: Option<&str>, text: &str) -> String {
    if let Some(unit) = cst_indent {
        return unit.to_string();
    }
    text.split('\n')
        .map(|line| line.trim_end_matches('\r'))
        .find_map(|line| {
            let rest = line.trim_start_matches([' ', '\t']);
            let indent = &line[..line.len() - rest.len()];
            (!indent.is_empty() && !rest.is_empty()).then(|| indent.to_string())
        })
        .unwrap_or_else(|| DEFAULT_INDENT.to_string())
}

/// The paths of the existing containers the edit inserts into.
fn edited_containers(add: &Additions) -> Vec<Vec<String>> {
    let mut paths = vec![Vec::new()];
    if !add.ports.is_empty() && add.has_forward_ports {
        paths.push(vec!["forwardPorts".to_string()]);
    }
    if add.has_ports_attributes && !add.entries.is_empty() {
        paths.push(vec!["portsAttributes".to_string()]);
    }
    for edit in &add.entries {
        if let EntryEdit::AddKeys(port, _) = edit {
            paths.push(vec!["portsAttributes".to_string(), port.to_string()]);
        }
    }
    paths
}

/// What the CST removes from a container it inserts into: the blank lines after the
/// first line break inside the opening bracket (`lead`), and those before the line
/// of the closing bracket (`tail`), as text (mirrors jsonc-parser's
/// `trim_inner_start_and_end_blanklines`).
fn trimmed_blank_lines(inner: &str) -> (String, String) {
    #[derive(PartialEq)]
    enum Piece {
        Space,
        Newline,
        Other,
    }
    // (piece, start, end) over the inner text.
    let mut pieces = Vec::new();
    let bytes = inner.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let (piece, len) = match bytes[i] {
            b' ' | b'\t' => (
                Piece::Space,
                bytes[i..]
                    .iter()
                    .take_while(|b| **b == b' ' || **b == b'\t')
                    .count(),
            ),
            b'\n' => (Piece::Newline, 1),
            b'\r' if bytes.get(i + 1) == Some(&b'\n') => (Piece::Newline, 2),
            _ => (Piece::Other, 1),
        };
        pieces.push((piece, i, i + len));
        i += len;
    }

    // From the front: spaces, a line break, then (spaces, line break)* are removed.
    let mut lead = String::new();
    let mut consumed = pieces.len();
    let mut idx = 0;
    while idx < pieces.len() && pieces[idx].0 == Piece::Space {
        idx += 1;
    }
    if idx < pieces.len() && pieces[idx].0 == Piece::Newline {
        idx += 1;
        let removed_from = pieces.get(idx).map_or(inner.len(), |p| p.1);
        let mut removed_to = removed_from;
        let mut j = idx;
        loop {
            let mut k = j;
            while k < pieces.len() && pieces[k].0 == Piece::Space {
                k += 1;
            }
            match pieces.get(k) {
                Some((Piece::Newline, _, end)) => {
                    removed_to = *end;
                    j = k + 1;
                }
                Some(_) => {
                    // The first piece that is not a blank line ends the front pass.
                    consumed = k + 1;
                    break;
                }
                None => break,
            }
        }
        lead = inner
            .get(removed_from..removed_to)
            .unwrap_or_default()
            .to_string();
    } else if idx < pieces.len() {
        consumed = idx + 1;
    }

    // From the back, over what the front pass left: the same, mirrored.
    let rest = &pieces[consumed.min(pieces.len())..];
    let mut tail = String::new();
    let mut idx = rest.len();
    while idx > 0 && rest[idx - 1].0 == Piece::Space {
        idx -= 1;
    }
    if idx > 0 && rest[idx - 1].0 == Piece::Newline {
        idx -= 1;
        let removed_to = rest[idx].1;
        let mut removed_from = removed_to;
        let mut j = idx;
        loop {
            let mut k = j;
            while k > 0 && rest[k - 1].0 == Piece::Space {
                k -= 1;
            }
            if k > 0 && rest[k - 1].0 == Piece::Newline {
                removed_from = rest[k - 1].1;
                j = k - 1;
            } else {
                break;
            }
        }
        tail = inner
            .get(removed_from..removed_to)
            .unwrap_or_default()
            .to_string();
    }
    (lead, tail)
}

/// Puts back the blank lines the CST removed from the containers it inserted into:
/// `lead` after the first line break inside the opening bracket, `tail` before the
/// line break that starts the closing bracket's line.
pub(super) fn restore_trimmed(
    old: &str,
    before: &Parsed,
    edited: &str,
    after: &Parsed,
    add: &Additions,
) -> String {
    let mut inserts: Vec<(usize, String)> = Vec::new();
    for path in edited_containers(add) {
        let (Some(old_range), Some(new_range)) =
            (before.ranges.get(&path), after.ranges.get(&path))
        else {
            continue;
        };
        let (Some(old_inner), Some(new_inner)) = (
            old.get(old_range.start + 1..old_range.end.saturating_sub(1)),
            edited.get(new_range.start + 1..new_range.end.saturating_sub(1)),
        ) else {
            continue;
        };
        let (lead, tail) = trimmed_blank_lines(old_inner);
        let base = new_range.start + 1;
        if !lead.is_empty() {
            let spaces = new_inner.len() - new_inner.trim_start_matches([' ', '\t']).len();
            let after_spaces = &new_inner[spaces..];
            let newline = if after_spaces.starts_with("\r\n") {
                2
            } else if after_spaces.starts_with('\n') {
                1
            } else {
                0
            };
            if newline > 0 {
                inserts.push((base + spaces + newline, lead));
            }
        }
        if !tail.is_empty() {
            let without_indent = new_inner.trim_end_matches([' ', '\t']);
            let newline_start = if without_indent.ends_with("\r\n") {
                Some(without_indent.len() - 2)
            } else if without_indent.ends_with('\n') {
                Some(without_indent.len() - 1)
            } else {
                None
            };
            if let Some(at) = newline_start {
                inserts.push((base + at, tail));
            }
        }
    }
    inserts.sort_by_key(|insert| std::cmp::Reverse(insert.0));
    let mut out = edited.to_string();
    for (at, text) in inserts {
        if out.is_char_boundary(at) {
            out.insert_str(at, &text);
        }
    }
    out
}

/// Splits text for diffing: a line break with the indentation after it, a run of
/// spaces and tabs, or one other character.
fn diff_tokens(text: &str) -> Vec<&str> {
    let mut tokens = Vec::new();
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        let len = if rest.starts_with('\n') || rest.starts_with("\r\n") {
            let nl = if c == '\n' { 1 } else { 2 };
            nl + rest[nl..].len() - rest[nl..].trim_start_matches([' ', '\t']).len()
        } else if c == ' ' || c == '\t' {
            rest.len() - rest.trim_start_matches([' ', '\t']).len()
        } else {
            c.len_utf8()
        };
        tokens.push(&rest[..len]);
        rest = &rest[len..];
    }
    tokens
}

/// Re-indents the lines the edit inserted whose indentation is `from` repeated,
/// with `to` repeated as often. What was in `old` is never touched.
pub(super) fn reindent_inserted(old: &str, new: &str, from: &str, to: &str) -> String {
    let old_tokens = diff_tokens(old);
    let new_tokens = diff_tokens(new);
    let mut inserted = vec![false; new_tokens.len()];
    for op in capture_diff_slices(Algorithm::Myers, &old_tokens, &new_tokens) {
        match op {
            DiffOp::Insert {
                new_index, new_len, ..
            }
            | DiffOp::Replace {
                new_index, new_len, ..
            } => inserted[new_index..new_index + new_len].fill(true),
            DiffOp::Equal { .. } | DiffOp::Delete { .. } => {}
        }
    }
    let mut out = String::with_capacity(new.len());
    for (i, token) in new_tokens.iter().enumerate() {
        let indent = token.trim_start_matches(['\r', '\n']);
        let newline = &token[..token.len() - indent.len()];
        let blank_line = new_tokens
            .get(i + 1)
            .is_none_or(|next| next.starts_with(['\r', '\n']));
        let depth = indent.len() / from.len();
        if inserted[i]
            && !newline.is_empty()
            && !indent.is_empty()
            && !blank_line
            && indent == from.repeat(depth)
        {
            out.push_str(newline);
            out.push_str(&to.repeat(depth));
        } else {
            out.push_str(token);
        }
    }
    out
}

/// Whether every character of `old` but spaces and tabs appears in `new`, in order
/// (spaces inside a one-line object that is made multi-line may go).
pub(super) fn is_subsequence(old: &str, new: &str) -> bool {
    let mut new_chars = new.chars().filter(|c| *c != ' ' && *c != '\t');
    old.chars()
        .filter(|c| *c != ' ' && *c != '\t')
        .all(|c| new_chars.any(|n| n == c))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trimmed_blank_lines_mirror_the_cst() {
        assert_eq!(
            trimmed_blank_lines("\n\n\t\n\t\"a\": 1\n"),
            ("\n\t\n".to_string(), String::new())
        );
        assert_eq!(
            trimmed_blank_lines("\n\n\t\"a\": 1\n\t\n\n"),
            ("\n".to_string(), "\n\t\n".to_string())
        );
        assert_eq!(
            trimmed_blank_lines(" // c\n\n\t1\n"),
            (String::new(), String::new())
        );
        assert_eq!(
            trimmed_blank_lines("\r\n\r\n\t1\r\n\r\n"),
            ("\r\n".to_string(), "\r\n".to_string())
        );
        assert_eq!(
            trimmed_blank_lines("\n\n\n"),
            ("\n\n".to_string(), String::new())
        );
        assert_eq!(trimmed_blank_lines(""), (String::new(), String::new()));
    }

    #[test]
    fn reindent_touches_only_inserted_indentation() {
        let old = "{\n\"a\": {\n    \"b\": 1}}";
        let new = "{\n\"a\": {\n    \"b\": 1},\n  \"c\": [\n    2\n  ]}";
        assert_eq!(
            reindent_inserted(old, new, "  ", "\t"),
            "{\n\"a\": {\n    \"b\": 1},\n\t\"c\": [\n\t\t2\n\t]}"
        );
    }
}
