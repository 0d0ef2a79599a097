//! A W3C `traceparent`: its parsing, its text, and the span id of a new hop.

use std::fmt;
use std::future::poll_fn;
use std::pin::pin;

use super::Entered;
use crate::message::Message;
use crate::wire::TRACEPARENT;

/// A trace context as the W3C `traceparent` header carries it
/// (`00-<trace id>-<parent span id>-<flags>`), small enough to copy.
///
/// ```
/// use faststream_kv::trace::TraceContext;
///
/// let context = TraceContext::parse("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
///     .expect("a valid traceparent");
/// assert_eq!(context.trace_id(), 0x4bf92f3577b34da6a3ce929d0e0e4736);
/// assert!(context.is_sampled());
/// assert_eq!(
///     context.to_string(),
///     "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
/// );
/// assert!(TraceContext::parse("00-00000000000000000000000000000000-00f067aa0ba902b7-01").is_none());
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct TraceContext {
    trace_id: u128,
    span_id: u64,
    flags: u8,
}

/// The `sampled` bit of the trace flags.
const SAMPLED: u8 = 0x01;

impl TraceContext {
    /// A context of trace `trace_id` whose current span is `span_id`; `None` when either
    /// is zero (the W3C spec makes all-zero ids invalid).
    pub fn new(trace_id: u128, span_id: u64, sampled: bool) -> Option<Self> {
        (trace_id != 0 && span_id != 0).then_some(Self {
            trace_id,
            span_id,
            flags: if sampled { SAMPLED } else { 0 },
        })
    }

    /// Reads a `traceparent` header value; `None` for one the W3C spec says to ignore
    /// (bad length or separators, upper-case or non-hex digits, version `ff`, zero ids,
    /// or version `00` with anything after the flags). A later version's extra fields
    /// are skipped, as the spec asks.
    pub fn parse(traceparent: &str) -> Option<Self> {
        let text = traceparent.trim_matches([' ', '\t']).as_bytes();
        let (version, rest) = (text.get(..2)?, text.get(2..)?);
        let version = hex(version)? as u8;
        if version == 0xff || rest.len() < 53 {
            return None;
        }
        if (version == 0 && rest.len() != 53) || (rest.len() > 53 && rest[53] != b'-') {
            return None;
        }
        if rest[0] != b'-' || rest[33] != b'-' || rest[50] != b'-' {
            return None;
        }
        let trace_id = hex(&rest[1..33])?;
        let span_id = hex(&rest[34..50])? as u64;
        let flags = hex(&rest[51..53])? as u8;
        Self::new(trace_id, span_id, false).map(|context| Self { flags, ..context })
    }

    /// The `traceparent` of `message`, if it has a valid one.
    pub fn of(message: &Message) -> Option<Self> {
        Self::parse(message.header_if_set(TRACEPARENT)?)
    }

    /// The context of what runs now: the current OpenTelemetry span's (with the
    /// feature `opentelemetry` and its layer installed), else that of the message a
    /// handler is handling (its trace, this hop's span id); `None` outside any trace.
    pub fn current() -> Option<Self> {
        #[cfg(feature = "opentelemetry")]
        if let Some(context) = super::opentelemetry::current() {
            return Some(context);
        }
        super::scope::current()
    }

    /// The trace id.
    pub fn trace_id(&self) -> u128 {
        self.trace_id
    }

    /// The id of the span it names (the parent of what it is sent to).
    pub fn span_id(&self) -> u64 {
        self.span_id
    }

    /// Whether the sender recorded the trace (the `sampled` flag).
    pub fn is_sampled(&self) -> bool {
        self.flags & SAMPLED != 0
    }

    /// The same trace and flags with a new random span id: the context of the hop that
    /// received this one.
    pub(crate) fn child(self) -> Self {
        Self {
            span_id: new_span_id(),
            ..self
        }
    }

    /// The trace id as 32 lower-case hex digits, as OpenTelemetry prints it.
    pub(crate) fn trace_id_hex(&self) -> TraceIdHex {
        TraceIdHex(self.trace_id)
    }

    /// Runs `future` with this context current: for a task a handler spawns, which
    /// does not inherit the handler's.
    pub async fn scope<F: Future>(self, future: F) -> F::Output {
        let mut future = pin!(future);
        poll_fn(|cx| {
            let _entered = Entered::enter(Some(self));
            future.as_mut().poll(cx)
        })
        .await
    }
}

/// A trace id, printed as 32 lower-case hex digits.
pub(crate) struct TraceIdHex(u128);

impl fmt::Display for TraceIdHex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:032x}", self.0)
    }
}

/// The `traceparent` header value (version `00`).
impl fmt::Display for TraceContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "00-{:032x}-{:016x}-{:02x}",
            self.trace_id, self.span_id, self.flags
        )
    }
}

impl fmt::Debug for TraceContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TraceContext({self})")
    }
}

/// Lower-case hex digits (at most 32) as a number.
fn hex(digits: &[u8]) -> Option<u128> {
    digits.iter().try_fold(0u128, |value, &digit| {
        let nibble = match digit {
            b'0'..=b'9' => digit - b'0',
            b'a'..=b'f' => digit - b'a' + 10,
            _ => return None,
        };
        Some(value << 4 | u128::from(nibble))
    })
}

/// A random, non-zero span id from the thread-local generator behind correlation ids.
fn new_span_id() -> u64 {
    loop {
        // A v4 UUID fixes a few bits in each half; folding the halves leaves 64 random.
        let bits = uuid::Uuid::new_v4().as_u128();
        let id = (bits as u64) ^ ((bits >> 64) as u64);
        if id != 0 {
            return id;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXAMPLE: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

    #[test]
    fn parses_and_prints_the_spec_example() {
        let context = TraceContext::parse(EXAMPLE).expect("valid");
        assert_eq!(
            context.trace_id(),
            0x4bf9_2f35_77b3_4da6_a3ce_929d_0e0e_4736
        );
        assert_eq!(context.span_id(), 0x00f0_67aa_0ba9_02b7);
        assert!(context.is_sampled());
        assert_eq!(context.to_string(), EXAMPLE);
        assert_eq!(
            context.trace_id_hex().to_string(),
            "4bf92f3577b34da6a3ce929d0e0e4736"
        );
    }

    #[test]
    fn rejects_what_the_spec_says_to_ignore() {
        for invalid in [
            "",
            "00",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7",
            "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
            "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra",
            "00_4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "0g-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01x",
        ] {
            assert_eq!(TraceContext::parse(invalid), None, "{invalid:?}");
        }
    }

    #[test]
    fn a_later_version_is_read_without_its_extra_fields() {
        let context =
            TraceContext::parse("cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00-what")
                .expect("valid");
        assert!(!context.is_sampled());
        assert_eq!(
            context.to_string(),
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00"
        );
    }

    #[test]
    fn a_child_keeps_the_trace_and_flags_with_a_new_span() {
        let context = TraceContext::parse(EXAMPLE).expect("valid");
        let child = context.child();
        assert_eq!(
            (child.trace_id(), child.is_sampled()),
            (context.trace_id(), true)
        );
        assert_ne!(child.span_id(), context.span_id());
        assert_ne!(child.span_id(), context.child().span_id());
    }
}
