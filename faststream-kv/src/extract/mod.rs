//! Extractors: how a handler asks for the parts of a message it needs.
//!
//! Every handler argument implements [`FromMessage`]. Each extractor is a small type in
//! its own file with its own rejection, which converts into [`Error`] (and from there
//! into an error reply), like axum's extractors.
//!
//! | extractor | gives | needs |
//! |---|---|---|
//! | [`Json<T>`] | the payload decoded with serde | `T: Deserialize` |
//! | [`Path<T>`] | `{name}` captures of the subject | captures in the pattern |
//! | [`Ctx<T>`] | a value from the [`Context`](crate::Context) | a `T` inserted at startup |
//! | [`Headers`] | the message headers | |
//! | [`Subject`] | the subject the message came on | |
//! | `Bytes`, `String` | the raw / UTF-8 payload | |
//! | [`Message`] | everything, raw | |
//! | [`Entry`](crate::kv::Entry) | the Key-Value change (`kv_watch` subscribers) | a `kv_watch` subscriber |
//! | [`Batch<T>`] | several stream messages at once, each decoded | a stream subscriber with `batches` |
//! | `Option<E>`, `Result<E, E::Rejection>` | an extractor that may fail | |

mod batch;
mod ctx;
mod entry;
mod headers;
mod json;
mod message;
mod optional;
mod path;
mod payload;
mod requirement;
mod scope;
mod stream;
mod subject;

use std::future::Future;

pub use batch::Batch;
pub use ctx::Ctx;
pub use headers::Headers;
pub use json::{Json, JsonRejection};
pub use path::{Path, PathRejection};
pub use payload::Utf8Rejection;
pub use requirement::{PathShape, Requirement, Requirements};
pub use scope::Scope;
pub use subject::Subject;

use crate::error::Error;
use crate::message::Message;

/// A handler argument that is built from the incoming message and the subscriber's
/// [`Scope`] (app context, pattern).
///
/// Implement it for your own extractors; declare in [`requirements`](Self::requirements)
/// what the extractor needs so the app can refuse to start when it is missing, instead of
/// failing messages later.
///
/// ```
/// use faststream_kv::extract::{FromMessage, Scope};
/// use faststream_kv::{Error, Message};
///
/// /// The `tenant` header, required.
/// struct Tenant(String);
///
/// impl FromMessage for Tenant {
///     type Rejection = Error;
///
///     async fn from_message(message: &Message, _scope: &Scope) -> Result<Self, Error> {
///         message
///             .header("tenant")
///             .map(|tenant| Tenant(tenant.to_owned()))
///             .ok_or_else(|| Error::msg("missing `tenant` header"))
///     }
/// }
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be extracted from a message",
    label = "not an extractor",
    note = "handler arguments must implement `FromMessage`: `Json<T>`, `Path<T>`, `Ctx<T>`, `Headers`, `Subject`, `Bytes`, `String`, `Message`, or your own"
)]
pub trait FromMessage: Sized + Send {
    /// Why extraction failed; becomes an [`Error`] and an error reply.
    type Rejection: Into<Error>;

    /// Extracts `Self` from the message.
    fn from_message(
        message: &Message,
        scope: &Scope,
    ) -> impl Future<Output = Result<Self, Self::Rejection>> + Send;

    /// Declares what this extractor needs from the app (checked at startup).
    fn requirements(requirements: &mut Requirements) {
        let _ = requirements;
    }
}
