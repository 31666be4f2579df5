//! The filter expressions GetTraceSummaries understands here (`service(...)`), and
//! their parser.

use super::error::{ApiError, Res};

/// A filter expression the emulator understands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Filter {
    /// `service("NAME")`, `service(id(name: "NAME"))`, `service(id(name: "NAME", type: "TYPE"))`:
    /// traces through that service.
    Service { name: String, kind: Option<String> },
}

struct FilterParser<'a> {
    rest: &'a str,
}

impl FilterParser<'_> {
    fn ws(&mut self) {
        self.rest = self.rest.trim_start();
    }
    fn eat(&mut self, token: &str) -> Option<()> {
        self.ws();
        self.rest = self.rest.strip_prefix(token)?;
        Some(())
    }
    fn string(&mut self) -> Option<String> {
        self.eat("\"")?;
        let mut out = String::new();
        let mut chars = self.rest.char_indices();
        while let Some((i, c)) = chars.next() {
            match c {
                '"' => {
                    self.rest = &self.rest[i + 1..];
                    return Some(out);
                }
                '\\' => out.push(chars.next()?.1),
                c => out.push(c),
            }
        }
        None
    }
    fn service(&mut self) -> Option<Filter> {
        self.eat("service")?;
        self.eat("(")?;
        self.ws();
        let filter = if self.rest.starts_with('"') {
            Filter::Service {
                name: self.string()?,
                kind: None,
            }
        } else {
            self.eat("id")?;
            self.eat("(")?;
            let (mut name, mut kind) = (None, None);
            loop {
                self.ws();
                let key = if self.rest.starts_with("name") {
                    "name"
                } else if self.rest.starts_with("type") {
                    "type"
                } else {
                    return None;
                };
                self.eat(key)?;
                self.eat(":")?;
                let value = self.string()?;
                let slot = if key == "name" { &mut name } else { &mut kind };
                if slot.replace(value).is_some() {
                    return None;
                }
                if self.eat(",").is_none() {
                    break;
                }
            }
            self.eat(")")?;
            Filter::Service { name: name?, kind }
        };
        self.eat(")")?;
        self.ws();
        self.rest.is_empty().then_some(filter)
    }
}

/// Parses a `FilterExpression`: None for an empty one (every trace), else a
/// [`Filter`]; other X-Ray expressions are InvalidRequestException here.
pub(crate) fn parse_filter(expression: &str) -> Res<Option<Filter>> {
    if expression.trim().is_empty() {
        return Ok(None);
    }
    FilterParser { rest: expression }
        .service()
        .map(Some)
        .ok_or_else(|| {
            ApiError::invalid(format!(
                "FilterExpression '{expression}' is unsupported in this emulator: it takes \
                 service(\"NAME\") and service(id(name: \"NAME\"[, type: \"TYPE\"]))"
            ))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_parse_in_the_supported_forms_only() {
        let service = |name: &str, kind: Option<&str>| {
            Some(Filter::Service {
                name: name.into(),
                kind: kind.map(str::to_string),
            })
        };
        assert_eq!(
            parse_filter("service(\"backend-flask\")").unwrap(),
            service("backend-flask", None)
        );
        assert_eq!(
            parse_filter(" service( id( name : \"backend-flask\" ) ) ").unwrap(),
            service("backend-flask", None)
        );
        assert_eq!(
            parse_filter("service(id(name: \"a\\\"b\", type: \"AWS::EC2::Instance\"))").unwrap(),
            service("a\"b", Some("AWS::EC2::Instance"))
        );
        assert_eq!(parse_filter("  ").unwrap(), None);
        for bad in [
            "annotation.account = \"12345\"",
            "service(\"a\") AND service(\"b\")",
            "service(a)",
            "service(id(type: \"x\"))",
            "service(id(name: \"a\", name: \"b\"))",
            "service(\"a\"",
            "responsetime > 5",
        ] {
            let err = parse_filter(bad).unwrap_err();
            assert_eq!(err.code, "InvalidRequestException", "{bad}");
            assert!(
                err.message.contains("unsupported in this emulator"),
                "{bad}"
            );
        }
    }
}
