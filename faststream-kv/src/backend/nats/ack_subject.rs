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
        let numbers = Numbers::of(reply)?;
        let mut parsed = [0_u64; 5];
        for (index, slot) in parsed.iter_mut().enumerate() {
            *slot = numbers.get(index).parse().ok()?;
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
    Numbers::of(reply)?.get(1).parse().ok()
}

/// Where the five numbers of a reply subject are: after the stream's and the
/// consumer's names, which the new form has the domain and the account hash before.
struct Numbers<'a> {
    /// The subject after `$JS.ACK.`.
    rest: &'a str,
    /// Where each of its first ten tokens starts.
    starts: [usize; 11],
    /// How many tokens it has.
    count: usize,
    /// The token of the first number.
    first: usize,
}

impl<'a> Numbers<'a> {
    /// Finds the tokens of `reply`, if it is a JetStream reply subject. This runs for
    /// every message a subscriber takes, so the dots are looked for eight bytes at a
    /// time.
    fn of(reply: &'a str) -> Option<Self> {
        let rest = reply.strip_prefix("$JS.ACK.")?;
        let mut starts = [0_usize; 11];
        let mut count = 1;
        let mut dot_at = |index: usize| {
            if let Some(start) = starts.get_mut(count) {
                *start = index + 1;
            }
            count += 1;
        };
        let (words, tail) = rest.as_bytes().as_chunks::<8>();
        for (word_index, word) in words.iter().enumerate() {
            let mut dots = dots_in(u64::from_le_bytes(*word));
            while dots != 0 {
                dot_at(word_index * 8 + dots.trailing_zeros() as usize / 8);
                dots &= dots - 1;
            }
        }
        let tail_start = words.len() * 8;
        for (index, &byte) in tail.iter().enumerate() {
            if byte == b'.' {
                dot_at(tail_start + index);
            }
        }
        let first = match count {
            7 => 2,
            9.. => 4,
            _ => return None,
        };
        Some(Self {
            rest,
            starts,
            count,
            first,
        })
    }

    /// The `index`-th number (0 to 4), as text.
    fn get(&self, index: usize) -> &'a str {
        let token = self.first + index;
        let end = if token + 1 < self.count {
            self.starts[token + 1] - 1
        } else {
            self.rest.len()
        };
        &self.rest[self.starts[token]..end]
    }
}

/// The high bit of each byte of `word` that is a dot, and no other bit: the exact form
/// of the zero-byte test, applied to `word` with the dots turned to zeros.
#[inline]
fn dots_in(word: u64) -> u64 {
    const LOW_SEVEN: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    let zeroed = word ^ 0x2e2e_2e2e_2e2e_2e2e;
    !(((zeroed & LOW_SEVEN) + LOW_SEVEN) | zeroed | LOW_SEVEN)
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
    fn finds_every_dot_whatever_its_place_in_a_word() {
        // Names of every length up to five eight-byte words move the dots across each
        // place of a word and across word boundaries.
        for stream_len in 1..=40 {
            for consumer_len in [1, 15, 16, 17, 33] {
                // Bytes past ASCII (here `é`, 0xc3 0xa9) are never taken for dots.
                let stream = format!("é{}", "S".repeat(stream_len));
                let consumer = "c".repeat(consumer_len);
                for reply in [
                    format!("$JS.ACK.{stream}.{consumer}.3.1234.56.1700000000123456789.7"),
                    format!(
                        "$JS.ACK.hub.ACC.{stream}.{consumer}.3.1234.56.1700000000123456789.7.x"
                    ),
                ] {
                    let expected: Vec<&str> = reply.rsplit('.').collect();
                    let skip = usize::from(reply.ends_with(".x"));
                    let numbers = Numbers::of(&reply).expect("a JetStream reply");
                    let mut numbers: Vec<&str> = (0..5).map(|index| numbers.get(index)).collect();
                    numbers.reverse();
                    assert_eq!(numbers, expected[skip..skip + 5], "{reply}");
                }
            }
        }
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
