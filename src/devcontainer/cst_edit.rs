//! The edit itself: the additions applied to the text through jsonc-parser's CST.

use jsonc_parser::cst::{CstInputValue, CstRootNode};

use super::additions::{Additions, EntryEdit};
use super::strict_parse::parse_options;

fn string_object(keys: &[(&str, &str)]) -> CstInputValue {
    CstInputValue::Object(
        keys.iter()
            .map(|(k, v)| ((*k).to_string(), CstInputValue::String((*v).to_string())))
            .collect(),
    )
}

/// Applies the additions with jsonc-parser's CST. Returns the new text and the
/// indentation the CST could see in the file (`None`: it indented with its default).
pub(super) fn edit_cst(text: &str, add: &Additions) -> Option<(String, Option<String>)> {
    // The root must outlive every node taken from it (the CST's parents are weak).
    let root = CstRootNode::parse(text, &parse_options()).ok()?;
    let cst_indent = root.single_indent_text().filter(|i| !i.is_empty());
    let top = root.object_value()?;
    if !add.ports.is_empty() {
        let numbers = || {
            add.ports
                .iter()
                .map(|p| CstInputValue::Number(p.to_string()))
        };
        if add.has_forward_ports {
            let list = top.array_value("forwardPorts")?;
            for n in numbers() {
                list.append(n);
            }
        } else {
            top.append("forwardPorts", CstInputValue::Array(numbers().collect()));
        }
    }
    if !add.entries.is_empty() {
        if add.has_ports_attributes {
            let attrs = top.object_value("portsAttributes")?;
            for edit in &add.entries {
                match edit {
                    EntryEdit::New(port, keys) => {
                        attrs.append(&port.to_string(), string_object(keys));
                    }
                    EntryEdit::AddKeys(port, keys) => {
                        let entry = attrs.object_value(&port.to_string())?;
                        for (k, v) in keys {
                            entry.append(k, CstInputValue::String((*v).to_string()));
                        }
                    }
                }
            }
        } else {
            let entries = add
                .entries
                .iter()
                .map(|edit| {
                    let (EntryEdit::New(port, keys) | EntryEdit::AddKeys(port, keys)) = edit;
                    (port.to_string(), string_object(keys))
                })
                .collect();
            top.append("portsAttributes", CstInputValue::Object(entries));
        }
    }
    Some((root.to_string(), cst_indent))
}
