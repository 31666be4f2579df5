//! Paging a list answer: where a `NextToken` starts, and the token for the next page.

use serde_json::{json, Value};

use super::error::{ApiError, Res};

pub(super) fn page<T: Clone>(
    items: &[T],
    body: &Value,
    page_size: usize,
) -> Res<(Vec<T>, Option<String>)> {
    let start = match body.get("NextToken").and_then(Value::as_str) {
        None => 0,
        Some(token) => token
            .strip_prefix("page-")
            .and_then(|n| n.parse::<usize>().ok())
            .filter(|n| *n <= items.len())
            .ok_or_else(|| ApiError::invalid("Invalid NextToken"))?,
    };
    let end = (start + page_size.max(1)).min(items.len());
    let next = (end < items.len()).then(|| format!("page-{end}"));
    Ok((items[start..end].to_vec(), next))
}

pub(super) fn with_token(mut v: Value, next: Option<String>) -> Value {
    if let Some(token) = next {
        v["NextToken"] = json!(token);
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::RegionState;

    #[test]
    fn pagination_walks_every_item_once() {
        let mut s = RegionState::new("us-east-1");
        for i in 0..7 {
            s.dispatch("CreateGroup", &json!({"GroupName": format!("g{i}")}), 3)
                .unwrap();
        }
        let mut names = Vec::new();
        let mut body = json!({});
        loop {
            let page = s.dispatch("GetGroups", &body, 3).unwrap();
            for g in page["Groups"].as_array().unwrap() {
                names.push(g["GroupName"].as_str().unwrap().to_string());
            }
            match page.get("NextToken") {
                Some(t) => body = json!({"NextToken": t}),
                None => break,
            }
        }
        assert_eq!(names, ["Default", "g0", "g1", "g2", "g3", "g4", "g5", "g6"]);
    }
}
