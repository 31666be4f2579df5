//! Segment documents: PutTraceSegments, and the checks X-Ray makes on each document
//! before storing it or refusing it as an `UnprocessedTraceSegment`.

use serde_json::{json, Map, Value};

use super::error::{ApiError, Res};
use super::validation::{list, required};
use super::RegionState;

/// The largest segment document X-Ray takes (the quota: 64 kB).
const SEGMENT_DOCUMENT_LIMIT: usize = 64 * 1024;

/// One segment (or independent subsegment) document X-Ray accepted.
#[derive(Debug, Clone)]
pub(super) struct Stored {
    pub(super) trace_id: String,
    pub(super) id: String,
    /// Set for segments called from a traced parent and for independent subsegments.
    pub(super) parent_id: Option<String>,
    /// An independent subsegment (`"type": "subsegment"`), not a segment.
    pub(super) subsegment: bool,
    pub(super) name: String,
    /// The segment's `origin` (`AWS::EC2::Instance`, ...), its service type.
    pub(super) origin: Option<String>,
    pub(super) start: f64,
    /// None while in progress.
    pub(super) end: Option<f64>,
    /// The document as parsed.
    pub(super) doc: Value,
    /// The document as sent.
    pub(super) document: String,
    /// When the emulator received it (epoch seconds).
    pub(super) received: f64,
}

/// Why a segment document was refused: an `UnprocessedTraceSegment`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Refusal {
    /// The document's `id`, when it has a string one.
    pub id: Option<String>,
    pub code: &'static str,
}

impl Refusal {
    fn to_json(&self) -> Value {
        let mut u = Map::new();
        if let Some(id) = &self.id {
            u.insert("Id".into(), json!(id));
        }
        u.insert("ErrorCode".into(), json!(self.code));
        u.insert(
            "Message".into(),
            json!(format!("Invalid segment. ErrorCode: {}", self.code)),
        );
        Value::Object(u)
    }
}

fn is_hex(s: &str, len: usize) -> bool {
    s.len() == len && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// `1-<8 hex digits>-<24 hex digits>`.
pub(crate) fn valid_trace_id(s: &str) -> bool {
    let mut parts = s.split('-');
    parts.next() == Some("1")
        && parts.next().is_some_and(|t| is_hex(t, 8))
        && parts.next().is_some_and(|r| is_hex(r, 24))
        && parts.next().is_none()
}

/// A segment name: 1 to 200 of Unicode letters, numbers, whitespace and `_ . : / % & # = + \ - @`.
pub(crate) fn valid_segment_name(s: &str) -> bool {
    let n = s.chars().count();
    (1..=200).contains(&n)
        && s.chars()
            .all(|c| c.is_alphanumeric() || c.is_whitespace() || "_.:/%&#=+\\-@".contains(c))
}

fn number(e: &Map<String, Value>, field: &str) -> Option<f64> {
    e.get(field)
        .and_then(Value::as_f64)
        .filter(|x| x.is_finite())
}

/// Checks the fields every segment and subsegment has: `name`, `id`, `start_time`,
/// and `end_time` (not before `start_time`) or `in_progress: true`; then, recursively,
/// the embedded `subsegments`. Segments take the stricter name rule.
fn check_entity(e: &Map<String, Value>, segment: bool) -> Result<(), &'static str> {
    let name_ok = match e.get("name").and_then(Value::as_str) {
        Some(name) if segment => valid_segment_name(name),
        Some(name) => (1..=250).contains(&name.chars().count()),
        None => false,
    };
    if !name_ok {
        return Err("InvalidName");
    }
    if !e
        .get("id")
        .and_then(Value::as_str)
        .is_some_and(|id| is_hex(id, 16))
    {
        return Err("InvalidSegmentId");
    }
    let Some(start) = number(e, "start_time").filter(|x| *x >= 0.0) else {
        return Err("InvalidStartTime");
    };
    let in_progress = match e.get("in_progress") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => return Err("InvalidInProgress"),
    };
    match e.get("end_time") {
        None | Some(Value::Null) if in_progress => {}
        None | Some(Value::Null) => return Err("MissingEndTime"),
        Some(_) => {
            if !number(e, "end_time").is_some_and(|end| end >= start) {
                return Err("InvalidEndTime");
            }
        }
    }
    if let Some(p) = e.get("parent_id") {
        if !p.as_str().is_some_and(|p| is_hex(p, 16)) {
            return Err("InvalidParentId");
        }
    }
    match e.get("subsegments") {
        None | Some(Value::Null) => Ok(()),
        Some(Value::Array(subs)) => subs.iter().try_for_each(|s| match s {
            Value::Object(s) => check_entity(s, false).map_err(|_| "InvalidSubsegment"),
            _ => Err("InvalidSubsegment"),
        }),
        Some(_) => Err("InvalidSubsegment"),
    }
}

/// Checks a top-level document: a segment, or an independent subsegment
/// (`"type": "subsegment"` with `trace_id` and `parent_id`).
fn check_document(e: &Map<String, Value>) -> Result<(), &'static str> {
    let subsegment = match e.get("type") {
        None | Some(Value::Null) => false,
        Some(t) if t == "subsegment" => true,
        Some(_) => return Err("InvalidType"),
    };
    check_entity(e, !subsegment)?;
    if !e
        .get("trace_id")
        .and_then(Value::as_str)
        .is_some_and(valid_trace_id)
    {
        return Err("InvalidTraceId");
    }
    if subsegment && e.get("parent_id").is_none() {
        return Err("InvalidParentId");
    }
    Ok(())
}

fn stored(e: &Map<String, Value>, document: &str, received: f64) -> Stored {
    let text = |field: &str| e.get(field).and_then(Value::as_str).map(str::to_string);
    Stored {
        trace_id: text("trace_id").unwrap_or_default(),
        id: text("id").unwrap_or_default(),
        parent_id: text("parent_id"),
        subsegment: e.get("type").is_some_and(|t| t == "subsegment"),
        name: text("name").unwrap_or_default(),
        origin: text("origin"),
        start: number(e, "start_time").unwrap_or_default(),
        end: number(e, "end_time").filter(|_| e.get("in_progress") != Some(&Value::Bool(true))),
        doc: Value::Object(e.clone()),
        document: document.to_string(),
        received,
    }
}

/// Parses and checks one `TraceSegmentDocuments` entry as X-Ray does: a JSON object
/// (a segment or an independent subsegment) or an array of independent subsegments,
/// at most 64 kB. What it holds, ready to store, or why it is refused.
fn parse_document(document: &str, received: f64) -> Result<Vec<Stored>, Refusal> {
    let value: Value = serde_json::from_str(document).map_err(|_| Refusal {
        id: None,
        code: "InvalidJson",
    })?;
    let id_of = |e: &Map<String, Value>| e.get("id").and_then(Value::as_str).map(str::to_string);
    let entities: Vec<&Map<String, Value>> = match &value {
        Value::Object(e) => vec![e],
        Value::Array(list) if !list.is_empty() => list
            .iter()
            .map(Value::as_object)
            .collect::<Option<Vec<_>>>()
            .ok_or(Refusal {
                id: None,
                code: "InvalidJson",
            })?,
        _ => {
            return Err(Refusal {
                id: None,
                code: "InvalidJson",
            })
        }
    };
    if document.len() > SEGMENT_DOCUMENT_LIMIT {
        return Err(Refusal {
            id: entities.first().and_then(|e| id_of(e)),
            code: "SegmentTooLarge",
        });
    }
    let array = value.is_array();
    let mut out = Vec::new();
    for e in entities {
        check_document(e)
            .and_then(|()| {
                if array && e.get("type").is_none_or(|t| t != "subsegment") {
                    Err("InvalidType")
                } else {
                    Ok(())
                }
            })
            .map_err(|code| Refusal { id: id_of(e), code })?;
        let text = if array {
            Value::Object(e.clone()).to_string()
        } else {
            document.to_string()
        };
        out.push(stored(e, &text, received));
    }
    Ok(out)
}

impl RegionState {
    /// PutTraceSegments: `TraceSegmentDocuments` (required, a list of strings). Each
    /// document is checked as X-Ray does (see [`parse_document`]); refused ones are
    /// answered in `UnprocessedTraceSegments`, the others stored with the time
    /// `received`. A document with the `id` of a stored one in the same trace replaces
    /// it (a complete segment overwrites the in-progress one).
    pub(super) fn put_trace_segments(&mut self, body: &Value, received: f64) -> Res<Value> {
        let documents = required(
            list(body, "TraceSegmentDocuments")?,
            "TraceSegmentDocuments",
        )?;
        let mut texts = Vec::with_capacity(documents.len());
        for d in documents {
            texts.push(d.as_str().ok_or_else(|| {
                ApiError::serialization("TraceSegmentDocuments members must be strings")
            })?);
        }
        let mut unprocessed = Vec::new();
        for text in texts {
            match parse_document(text, received) {
                Ok(stored) => {
                    for s in stored {
                        self.segments
                            .retain(|old| !(old.trace_id == s.trace_id && old.id == s.id));
                        self.segments.push(s);
                    }
                }
                Err(refusal) => unprocessed.push(refusal.to_json()),
            }
        }
        Ok(json!({"UnprocessedTraceSegments": unprocessed}))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::test_support::*;

    fn refusal(doc: &str) -> Refusal {
        parse_document(doc, 0.0).unwrap_err()
    }

    #[test]
    fn segment_documents_are_checked_field_by_field() {
        let t = trace_id(1);
        let good = segment(&t, "70de5b6f19ff9a0a", "backend-flask", 100.0, 100.5);
        assert_eq!(parse_document(&good.to_string(), 7.0).unwrap().len(), 1);
        let mut in_progress = good.clone();
        in_progress.as_object_mut().unwrap().remove("end_time");
        in_progress["in_progress"] = json!(true);
        assert!(parse_document(&in_progress.to_string(), 0.0).is_ok());
        // The documented name characters pass; others do not.
        let mut named = good.clone();
        named["name"] = json!("Ünïcode 9 _.:/%&#=+\\-@");
        assert!(parse_document(&named.to_string(), 0.0).is_ok());
        let cases: &[(&str, Value, &str)] = &[
            ("name", json!("bad!name"), "InvalidName"),
            ("name", json!("x".repeat(201)), "InvalidName"),
            ("name", json!(""), "InvalidName"),
            ("id", json!("70de5b6f19ff9a0"), "InvalidSegmentId"),
            ("id", json!("70de5b6f19ff9a0g"), "InvalidSegmentId"),
            (
                "trace_id",
                json!("1-581cf771-a006649127e371903a2de97"),
                "InvalidTraceId",
            ),
            (
                "trace_id",
                json!("2-581cf771-a006649127e371903a2de979"),
                "InvalidTraceId",
            ),
            (
                "trace_id",
                json!("581cf771a006649127e371903a2de979"),
                "InvalidTraceId",
            ),
            ("start_time", json!("100"), "InvalidStartTime"),
            ("end_time", json!(99.0), "InvalidEndTime"),
            ("end_time", json!("101"), "InvalidEndTime"),
            ("parent_id", json!("nope"), "InvalidParentId"),
            (
                "subsegments",
                json!([{"id": "53995c3f42cd8ad8", "name": "db"}]),
                "InvalidSubsegment",
            ),
        ];
        for (field, value, code) in cases {
            let mut doc = good.clone();
            doc[*field] = value.clone();
            let r = refusal(&doc.to_string());
            assert_eq!(r.code, *code, "{field} = {value}");
        }
        // A missing id is refused without an Id; a bad one is echoed.
        let mut no_id = good.clone();
        no_id.as_object_mut().unwrap().remove("id");
        assert_eq!(
            refusal(&no_id.to_string()),
            Refusal {
                id: None,
                code: "InvalidSegmentId"
            }
        );
        let mut no_end = good.clone();
        no_end.as_object_mut().unwrap().remove("end_time");
        assert_eq!(
            refusal(&no_end.to_string()),
            Refusal {
                id: Some("70de5b6f19ff9a0a".into()),
                code: "MissingEndTime"
            }
        );
        for bad in ["{not json", "[]", "42", "\"a\"", "[1]"] {
            assert_eq!(
                refusal(bad),
                Refusal {
                    id: None,
                    code: "InvalidJson"
                },
                "{bad}"
            );
        }
        let mut big = good.clone();
        big["metadata"] = json!({"x": "y".repeat(SEGMENT_DOCUMENT_LIMIT)});
        assert_eq!(refusal(&big.to_string()).code, "SegmentTooLarge");
        // Independent subsegments need their parent; arrays hold only subsegments.
        let mut sub = segment(&t, "53995c3f42cd8ad8", "api.example.com", 100.1, 100.2);
        sub["type"] = json!("subsegment");
        assert_eq!(refusal(&sub.to_string()).code, "InvalidParentId");
        sub["parent_id"] = json!("70de5b6f19ff9a0a");
        assert!(parse_document(&sub.to_string(), 0.0).is_ok());
        assert_eq!(
            parse_document(&json!([sub, sub]).to_string(), 0.0)
                .unwrap()
                .len(),
            2
        );
        assert_eq!(refusal(&json!([sub, good]).to_string()).code, "InvalidType");
    }

    #[test]
    fn put_trace_segments_stores_the_good_and_answers_the_bad() {
        let mut s = RegionState::new("us-east-1");
        let t = trace_id(2);
        let mut open = segment(&t, "70de5b6f19ff9a0a", "backend-flask", 100.0, 0.0);
        open.as_object_mut().unwrap().remove("end_time");
        open["in_progress"] = json!(true);
        let bad = json!({"trace_id": t, "id": "0123456789abcdef", "name": "x", "start_time": 5});
        let out = put(&mut s, &[open, bad]);
        assert_eq!(
            out,
            json!({"UnprocessedTraceSegments": [{"Id": "0123456789abcdef",
                "ErrorCode": "MissingEndTime", "Message": "Invalid segment. ErrorCode: MissingEndTime"}]})
        );
        assert_eq!(s.trace_documents(&t).len(), 1);
        // The complete segment overwrites the in-progress one.
        let done = segment(&t, "70de5b6f19ff9a0a", "backend-flask", 100.0, 100.25);
        assert_eq!(
            put(&mut s, std::slice::from_ref(&done)),
            json!({"UnprocessedTraceSegments": []})
        );
        assert_eq!(s.trace_documents(&t), [done.to_string()]);
        // The request itself is checked.
        let err = s.dispatch("PutTraceSegments", &json!({}), 10).unwrap_err();
        assert_eq!(err.message, "TraceSegmentDocuments is required");
        let err = s
            .dispatch(
                "PutTraceSegments",
                &json!({"TraceSegmentDocuments": [{}]}),
                10,
            )
            .unwrap_err();
        assert_eq!(err.code, "SerializationException");
    }
}
