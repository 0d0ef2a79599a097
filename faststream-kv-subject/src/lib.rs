//! The NATS subject grammar shared by `faststream-kv` and its `#[subscriber]` macro, so
//! that a subject, pattern or key is judged the same at compile time, at run time and by
//! both backends. Plain Rust, no dependencies.
//!
//! A subject is a dot-separated list of non-empty tokens without whitespace. When
//! subscribing, a token may be `*` (exactly one token) or, last, `>` (one or more). A
//! subscriber pattern may also capture tokens: `{name}` like `*`, `{name...}` like `>`.
//! Key-Value keys are subjects with a narrower alphabet and no wildcards; key filters
//! allow them back.
//!
//! ```
//! use faststream_kv_subject::{check_publish_subject, matches, parse_pattern};
//!
//! assert!(check_publish_subject("orders.eu.created").is_ok());
//! assert!(check_publish_subject("orders.*").is_err());
//! let pattern = parse_pattern("orders.{region}.>")?;
//! assert_eq!(pattern.subject, "orders.*.>");
//! assert!(matches(&pattern.subject, "orders.eu.created.today"));
//! # Ok::<(), String>(())
//! ```

mod key;
mod matching;
mod pattern;
mod subject;
mod template;
mod token;
mod transform;

pub use key::{MAX_BUCKET_LEN, MAX_KEY_LEN, check_bucket, check_key, check_key_filter};
pub use matching::{contains, matches, overlaps};
pub use pattern::{CaptureSyntax, PatternSyntax, parse_pattern};
pub use subject::{check_publish_subject, check_queue_group, check_subscribe_subject};
pub use template::SubjectTemplate;
pub use token::{SEPARATOR, Token, tokens};
pub use transform::Transform;
