//! The error reply of a failed request, as NATS micro services send it (ADR-32): the
//! description and status code in `Nats-Service-Error` / `Nats-Service-Error-Code`
//! headers, the full text in the body.

use async_nats::HeaderMap;
use bytes::Bytes;

use super::{CONTENT_TYPE, SERVICE_ERROR, SERVICE_ERROR_CODE, TEXT_PLAIN};
use crate::error::Error;

/// The body and headers of an error reply for `error`.
pub(crate) fn error_reply(error: &Error) -> (Bytes, HeaderMap) {
    let description = error.to_string();
    // A header value cannot span lines; the body keeps the full text.
    let first_line = description.lines().next().unwrap_or_default().to_owned();
    let mut headers = HeaderMap::new();
    headers.insert(CONTENT_TYPE, TEXT_PLAIN);
    headers.insert(SERVICE_ERROR, first_line);
    headers.insert(SERVICE_ERROR_CODE, error.status_code().to_string());
    (Bytes::from(description), headers)
}

/// The error a reply carries, if it is an error reply: [`Error::Service`] with its code
/// (500 when the code does not parse) and its description (the body, or the header when
/// the body is empty).
pub(crate) fn service_error(headers: Option<&HeaderMap>, payload: &[u8]) -> Option<Error> {
    let headers = headers?;
    let code = headers.get(SERVICE_ERROR_CODE)?.as_str();
    let description = match std::str::from_utf8(payload) {
        Ok(body) if !body.is_empty() => body.to_owned(),
        _ => headers
            .get(SERVICE_ERROR)
            .map(|value| value.as_str().to_owned())
            .unwrap_or_default(),
    };
    Some(Error::Service {
        code: code.trim().parse().unwrap_or(500),
        description,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_error_reply_reads_back_as_the_same_service_error() {
        let (body, headers) = error_reply(&Error::msg("out of stock"));
        assert_eq!(
            headers.get(SERVICE_ERROR_CODE).map(|v| v.as_str()),
            Some("500")
        );
        assert_eq!(
            headers.get(SERVICE_ERROR).map(|v| v.as_str()),
            Some("handler failed: out of stock")
        );
        match service_error(Some(&headers), &body) {
            Some(Error::Service { code, description }) => {
                assert_eq!(
                    (code, description.as_str()),
                    (500, "handler failed: out of stock")
                );
            }
            other => panic!("expected a service error, got {other:?}"),
        }
    }

    #[test]
    fn a_reply_without_the_code_header_is_no_error() {
        let mut headers = HeaderMap::new();
        headers.insert(SERVICE_ERROR, "looks like one");
        assert!(service_error(Some(&headers), b"").is_none());
        assert!(service_error(None, b"body").is_none());
    }
}
