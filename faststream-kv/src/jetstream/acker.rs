//! `Acker`: settles one delivered message, from a handler or from the runtime, once.

use std::collections::HashSet;
use std::fmt;
use std::future::poll_fn;
use std::hash::{BuildHasherDefault, Hasher};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError};
use std::task::{Poll, Waker};
use std::time::Duration;

use futures::future::BoxFuture;
use futures::task::AtomicWaker;

use super::MessageInfo;
use super::store::{AckKind, AckSender, AckToken};
use crate::error::{Error, Result};
use crate::message::Message;

/// Settles a message a consumer delivered: `ack`, `nak`, `term` (once: a second
/// settlement is [`Error::AlreadySettled`], and not sent), or `in_progress` as often as
/// needed until then. Clones
/// share it. In a stream subscriber's handler it is an extractor, with which an
/// [`AckPolicy::Manual`](super::AckPolicy::Manual) handler settles its message (under
/// another policy, a handler that settled its message itself is left alone).
#[derive(Clone)]
pub struct Acker {
    inner: Arc<Inner>,
}

struct Inner {
    /// Its consumer's, shared by the consumer's deliveries.
    sender: Arc<dyn AckSender>,
    /// This delivery, as `sender` knows it.
    token: AckToken,
    /// Read from the sender when first asked for, unless given: most handlers never
    /// ask, and reading it (a NATS reply subject's tokens) costs on every message.
    info: OnceLock<MessageInfo>,
    settled: AtomicBool,
    /// A message the runtime took and nobody settled (its handler cut off at shutdown,
    /// or never started) is nak'd when the last clone goes, to be delivered again at
    /// once rather than after `ack_wait`.
    nak_when_dropped: bool,
    /// The runtime's count of the messages it handed out and still holds, which this
    /// one leaves when the last clone goes.
    handed_out: Option<Arc<HandedOut>>,
    /// The runtime's record of the stream sequences it holds, and this one's, which
    /// leaves it once settled (or when the last clone goes).
    held: Option<(Arc<HandedOut>, u64)>,
}

/// How many of a subscriber's messages are out with handlers (their `Acker` alive),
/// which stream sequences it holds (taken in and not settled), and who waits for a
/// message to come back.
#[derive(Default)]
pub(crate) struct HandedOut {
    count: AtomicUsize,
    returned: AtomicWaker,
    held: Mutex<HashSet<u64, BuildHasherDefault<SequenceHasher>>>,
}

impl HandedOut {
    pub(crate) fn count(&self) -> usize {
        self.count.load(Ordering::Acquire)
    }

    fn held(&self) -> MutexGuard<'_, HashSet<u64, BuildHasherDefault<SequenceHasher>>> {
        self.held.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Wakes `waker` when a message comes back (call, then look at the count again).
    pub(crate) fn wake_on_return(&self, waker: &Waker) {
        self.returned.register(waker);
    }
}

impl Acker {
    pub(crate) fn new(
        sender: Arc<dyn AckSender>,
        token: AckToken,
        info: Option<MessageInfo>,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                sender,
                token,
                info: info.map_or_else(OnceLock::new, OnceLock::from),
                settled: AtomicBool::new(false),
                nak_when_dropped: false,
                handed_out: None,
                held: None,
            }),
        }
    }

    /// The runtime takes the message in (before anyone else has a clone): its stream
    /// sequence is held in `handed_out` until it is settled. `false`, and nothing
    /// changed, if that sequence is held already: this is a redelivery of a message
    /// the runtime still has.
    pub(crate) fn hold(&mut self, handed_out: &Arc<HandedOut>) -> bool {
        let sequence = self.stream_sequence();
        // 0 is no stream's sequence: a delivery whose sequence could not be read.
        let Some(inner) = Arc::get_mut(&mut self.inner).filter(|_| sequence != 0) else {
            return true;
        };
        if !handed_out.held().insert(sequence) {
            return false;
        }
        inner.held = Some((Arc::clone(handed_out), sequence));
        true
    }

    /// The message's stream sequence, read alone when the rest of its info is not.
    fn stream_sequence(&self) -> u64 {
        match self.inner.info.get() {
            Some(info) => info.stream_sequence,
            None => self.inner.sender.stream_sequence(&self.inner.token),
        }
    }

    /// The runtime takes the message (before anyone else has a clone): it counts in
    /// `handed_out` (if given) while a clone lives, and is nak'd then if it is still
    /// unsettled and `nak_when_dropped`.
    pub(crate) fn hand_out(&mut self, handed_out: Option<&Arc<HandedOut>>, nak_when_dropped: bool) {
        if let Some(inner) = Arc::get_mut(&mut self.inner) {
            if let Some(handed_out) = handed_out {
                handed_out.count.fetch_add(1, Ordering::AcqRel);
                inner.handed_out = Some(Arc::clone(handed_out));
            }
            inner.nak_when_dropped = nak_when_dropped;
        }
    }

    /// Attaches it to the message it settles, for the ack policy and the extractors.
    pub(crate) fn attach_to(self, message: &mut Message) {
        message.extensions_mut().set_delivery(self.inner);
    }

    /// The acker attached to `message`, if it is a stream message.
    pub(crate) fn of(message: &Message) -> Option<Self> {
        let delivery = Arc::clone(message.extensions().delivery()?);
        let inner = delivery.downcast::<Inner>().ok()?;
        Some(Self { inner })
    }

    /// Where the message stands in its stream and consumer.
    pub fn info(&self) -> &MessageInfo {
        let inner = &*self.inner;
        inner.info.get_or_init(|| inner.sender.info(&inner.token))
    }

    /// Whether it was acknowledged, nak'd or terminated already.
    pub fn is_settled(&self) -> bool {
        self.inner.settled.load(Ordering::Acquire)
    }

    /// Handled: it is not delivered again.
    ///
    /// # Errors
    ///
    /// [`Error::AlreadySettled`] when it was settled before;
    /// [`Error::Nats`](crate::Error::Nats) / [`Error::Closed`](crate::Error::Closed)
    /// when the acknowledgement cannot be sent.
    pub async fn ack(&self) -> Result<()> {
        self.settle(AckKind::Ack).await
    }

    /// Handled, and waits until the server confirms it took the acknowledgement (a
    /// "double ack"): once this returns, the message is not delivered again even if
    /// the connection drops now.
    ///
    /// # Errors
    ///
    /// [`Error::Unavailable`](crate::Error::Unavailable) when no confirmation came in
    /// time; as [`ack`](Self::ack).
    pub async fn ack_sync(&self) -> Result<()> {
        self.settling()?;
        self.inner.sender.ack_sync(&self.inner.token).await
    }

    /// Not handled now: delivered again, after `delay` if given.
    ///
    /// # Errors
    ///
    /// As [`ack`](Self::ack).
    pub async fn nak(&self, delay: Option<Duration>) -> Result<()> {
        self.settle(AckKind::Nak(delay)).await
    }

    /// Never to be handled: not delivered again, not acknowledged either.
    ///
    /// # Errors
    ///
    /// As [`ack`](Self::ack).
    pub async fn term(&self) -> Result<()> {
        self.settle(AckKind::Term).await
    }

    /// Work goes on: the consumer's `ack_wait` starts again for it. Once it is
    /// settled, this sends nothing.
    ///
    /// # Errors
    ///
    /// [`Error::Nats`](crate::Error::Nats) / [`Error::Closed`](crate::Error::Closed)
    /// when it cannot be sent.
    pub async fn in_progress(&self) -> Result<()> {
        if self.is_settled() {
            return Ok(());
        }
        self.send(AckKind::Progress).await
    }

    /// Settles it as `kind` says (`ack`, `nak` and `term` in one call, for the runtime):
    /// marked settled when first polled, then sent.
    pub(crate) fn settle(&self, kind: AckKind) -> impl Future<Output = Result<()>> + '_ {
        let mut sending = None;
        poll_fn(move |cx| {
            if sending.is_none()
                && let Err(error) = self.settling()
            {
                return Poll::Ready(Err(error));
            }
            Pin::new(sending.get_or_insert_with(|| self.send(kind))).poll(cx)
        })
    }

    /// Sends `kind` at once if the sender can (no boxed future), else through `ack`.
    /// Poll functions rather than `async fn`s: every stream message is settled, and a
    /// state machine of its own costs each of them its setup.
    fn send(&self, kind: AckKind) -> impl Future<Output = Result<()>> + Unpin + '_ {
        let Inner { sender, token, .. } = &*self.inner;
        let mut waiting: Option<BoxFuture<'_, Result<()>>> = None;
        poll_fn(move |cx| {
            if waiting.is_none()
                && let Poll::Ready(done) = sender.try_ack(token, kind, cx)
            {
                return Poll::Ready(done);
            }
            waiting
                .get_or_insert_with(|| sender.ack(token, kind))
                .as_mut()
                .poll(cx)
        })
    }

    /// Marks it settled, and lets its sequence go: a redelivery is handled again.
    fn settling(&self) -> Result<()> {
        if self.inner.settled.swap(true, Ordering::AcqRel) {
            return Err(Error::AlreadySettled {
                stream_sequence: self.info().stream_sequence,
            });
        }
        self.inner.release();
        Ok(())
    }
}

impl Inner {
    fn release(&self) {
        if let Some((handed_out, sequence)) = &self.held {
            handed_out.held().remove(sequence);
        }
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        if let Some(handed_out) = &self.handed_out {
            handed_out.count.fetch_sub(1, Ordering::AcqRel);
            handed_out.returned.wake();
        }
        if *self.settled.get_mut() {
            return;
        }
        self.release();
        if !self.nak_when_dropped {
            return;
        }
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let (sender, token) = (Arc::clone(&self.sender), self.token.clone());
        runtime.spawn(async move {
            if let Err(error) = sender.ack(&token, AckKind::Nak(None)).await {
                tracing::debug!(%error, "could not nak a message left unhandled");
            }
        });
    }
}

impl fmt::Debug for Acker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Acker")
            .field("info", self.info())
            .field("settled", &self.is_settled())
            .finish_non_exhaustive()
    }
}

/// Hashes a stream sequence by one multiplication: sequences are not chosen by an
/// attacker, and this set is touched twice per message.
#[derive(Default)]
struct SequenceHasher(u64);

impl Hasher for SequenceHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for byte in bytes {
            self.0 = (self.0 ^ u64::from(*byte)).wrapping_mul(0x0100_0000_01b3);
        }
    }

    fn write_u64(&mut self, sequence: u64) {
        self.0 = sequence.wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }
}
