//! What JetStream tells about a message it delivers, in the message's reply subject
//! (ADR-15): `$JS.ACK.<stream>.<consumer>.<delivered>.<stream seq>.<consumer seq>.
//! <timestamp>.<pending>`, or the newer form with the domain and account hash after
//! `$JS.ACK.` and possibly more tokens at the end.

use std::time::{Duration, SystemTime};

/// The metadata of one delivered message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Delivered {
    /// How many times the consumer delivered this message.
    pub(crate) delivery_count: u64,
    /// The message's sequence in its stream.
    pub(crate) stream_sequence: u64,
    /// The delivery's sequence in its consumer.
    pub(crate) consumer_sequence: u64,
    /// When the stream stored the message.
    pub(crate) published: SystemTime,
    /// How many more messages the consumer has for its subscriber.
    pub(crate) pending: u64,
}

impl Delivered {
    /// Reads `reply`, the reply subject of a delivered message; `None` if it is not
    /// JetStream's.
    pub(crate) fn parse(reply: &str) -> Option<Self> {
        let numbers = numbers(reply)?;
        let mut parsed = [0_u64; 5];
        for (slot, token) in parsed.iter_mut().zip(numbers) {
            *slot = token.parse().ok()?;
        }
        let [
            delivery_count,
            stream_sequence,
            consumer_sequence,
            nanos,
            pending,
        ] = parsed;
        Some(Delivered {
            delivery_count,
            stream_sequence,
            consumer_sequence,
            published: SystemTime::UNIX_EPOCH + Duration::from_nanos(nanos),
            pending,
        })
    }
}

/// The stream sequence alone of the message delivered with `reply`.
pub(crate) fn stream_sequence(reply: &str) -> Option<u64> {
    numbers(reply)?[1].parse().ok()
}

/// The five numbers of `reply`, as text: after the stream's and the consumer's names,
/// which the new form has the domain and the account hash before. One pass over the
/// bytes: this runs for every message a subscriber takes.
fn numbers(reply: &str) -> Option<[&str; 5]> {
    let rest = reply.strip_prefix("$JS.ACK.")?;
    // Where each of the first ten tokens starts, and how many there are.
    let mut starts = [0_usize; 11];
    let mut count = 1;
    for (index, byte) in rest.bytes().enumerate() {
        if byte == b'.' {
            if let Some(start) = starts.get_mut(count) {
                *start = index + 1;
            }
            count += 1;
        }
    }
    let first = match count {
        7 => 2,
        9.. => 4,
        _ => return None,
    };
    let token = |index: usize| {
        let end = if index + 1 < count {
            starts[index + 1] - 1
        } else {
            rest.len()
        };
        &rest[starts[index]..end]
    };
    Some(std::array::from_fn(|offset| token(first + offset)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(nanos: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_nanos(nanos)
    }

    #[test]
    fn reads_the_original_form() {
        let delivered = Delivered::parse("$JS.ACK.KV_b.c1.2.41.7.1700000000123456789.3");
        assert_eq!(
            delivered,
            Some(Delivered {
                delivery_count: 2,
                stream_sequence: 41,
                consumer_sequence: 7,
                published: at(1_700_000_000_123_456_789),
                pending: 3,
            })
        );
    }

    #[test]
    fn reads_the_form_with_domain_and_account() {
        let delivered =
            Delivered::parse("$JS.ACK.hub.ACCHASH.KV_b.c1.1.41.7.1700000000123456789.0.xyz");
        assert_eq!(
            delivered,
            Some(Delivered {
                delivery_count: 1,
                stream_sequence: 41,
                consumer_sequence: 7,
                published: at(1_700_000_000_123_456_789),
                pending: 0,
            })
        );
        let without_token =
            Delivered::parse("$JS.ACK._.ACCHASH.KV_b.c1.1.41.7.1700000000123456789.0");
        assert_eq!(without_token.map(|d| d.stream_sequence), Some(41));
        assert_eq!(
            stream_sequence("$JS.ACK._.ACCHASH.KV_b.c1.1.41.7.1700000000123456789.0"),
            Some(41)
        );
    }

    #[test]
    fn refuses_other_subjects() {
        for reply in [
            "_INBOX.abc",
            "$JS.ACK.KV_b.c1.2.41",
            "$JS.ACK.KV_b.c1.x.41.7.1.3",
            "$JS.ACK.KV_b.c1.2.41.7.1.-3",
        ] {
            assert_eq!(Delivered::parse(reply), None, "{reply}");
        }
    }
}
