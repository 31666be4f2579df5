//! The modeled error every operation can answer: an HTTP status, an
//! `x-amzn-ErrorType` code and a message.

/// A modeled error: HTTP status, `x-amzn-ErrorType` code, message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub status: u16,
    pub code: &'static str,
    pub message: String,
}

impl ApiError {
    pub fn new(status: u16, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code,
            message: message.into(),
        }
    }

    pub(super) fn invalid(message: impl Into<String>) -> ApiError {
        ApiError::new(400, "InvalidRequestException", message)
    }

    pub(super) fn serialization(message: impl Into<String>) -> ApiError {
        ApiError::new(400, "SerializationException", message)
    }
}

pub(super) type Res<T> = Result<T, ApiError>;
