//! A leaf: error messages every edge module shares (no dependencies inside the crate).

/// The innermost message of an error's source chain (e.g. "Connection refused (os error 111)").
pub(crate) fn innermost_cause(err: &(dyn std::error::Error + 'static)) -> String {
    let mut message = err.to_string();
    let mut current = err.source();
    while let Some(e) = current {
        let text = e.to_string();
        if !text.trim().is_empty() {
            message = text;
        }
        current = e.source();
    }
    message
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("outer")]
    struct Outer(#[source] std::io::Error);

    #[test]
    fn innermost_cause_takes_the_innermost_message() {
        let err = Outer(std::io::Error::new(
            std::io::ErrorKind::ConnectionRefused,
            "refused",
        ));
        assert_eq!(innermost_cause(&err), "refused");
        assert_eq!(innermost_cause(&std::io::Error::other("plain")), "plain");
    }
}
