//! Where a handled message's result goes: the log, and a request's reply.

use tokio_util::sync::ReusableBoxFuture;

use crate::broker::Broker;
use crate::error::{BoxError, Error};
use crate::message::Message;
use crate::response::Reply;

/// A failure already logged with what happens to its message (by a stream subscriber's
/// ack policy): the consume loop does not log it again.
#[derive(Debug, thiserror::Error)]
#[error(transparent)]
pub(crate) struct Reported(pub(crate) BoxError);

/// What the consume loop has of a message once its service is done with it: settles the
/// service's result.
pub(crate) trait Settle {
    /// Logs a failure; the reply to send, if the message was a request.
    fn settle(self, name: &str, result: Result<Reply, BoxError>) -> Option<PendingReply>;
}

/// The message itself, which a handler only borrowed: nothing was copied out of it
/// beforehand, and a handled message that is not a request is settled by dropping it.
impl Settle for Message {
    #[inline]
    fn settle(self, name: &str, result: Result<Reply, BoxError>) -> Option<PendingReply> {
        if result.is_ok() && self.reply_subject().is_none() {
            return None;
        }
        Outcome::of(&self).settle(name, result)
    }
}

/// What the consume loop keeps of a message that its service took (moved into a future
/// of its own): what the log and a request's reply need.
pub(crate) struct Outcome {
    /// The message's subject, for the log; kept only when failures are logged (a NATS
    /// subject's first clone allocates).
    subject: Option<async_nats::Subject>,
    /// Boxed: most messages are not requests, and the consume loop's state stays small.
    request: Option<Box<Request>>,
}

/// Where a request's reply goes.
struct Request {
    reply_to: async_nats::Subject,
    correlation_id: Option<String>,
}

impl Outcome {
    /// What `message`'s result will need, taken before a service takes the message.
    pub(crate) fn of(message: &Message) -> Self {
        let request = message.reply_subject().map(|reply_to| {
            Box::new(Request {
                reply_to: reply_to.clone(),
                correlation_id: message.correlation_id().map(str::to_owned),
            })
        });
        let logged = tracing::enabled!(tracing::Level::WARN);
        Self {
            subject: logged.then(|| message.subject_raw().clone()),
            request,
        }
    }

    /// Logs a failed message, saying what comes of it (a core NATS message is not
    /// delivered again); the error reply for it.
    #[cold]
    fn log_failure(&self, name: &str, error: &Error) -> Reply {
        let status = error.status_code();
        let subject = self.subject.as_deref();
        let next = if self.request.is_some() {
            "the requester gets an error reply"
        } else {
            "not delivered again"
        };
        if status < 500 {
            tracing::warn!(handler = %name, subject, status, %error, "message refused, {next}");
        } else {
            tracing::error!(handler = %name, subject, status, %error, "handler failed, {next}");
        }
        Reply::error(error)
    }
}

impl Settle for Outcome {
    /// The failure logging is kept out of line, so the common case (a handled message
    /// that is not a request: nothing to log, nothing to send) stays a few instructions.
    #[inline]
    fn settle(self, name: &str, result: Result<Reply, BoxError>) -> Option<PendingReply> {
        let reply = match result {
            Ok(reply) => reply,
            Err(error) => match error.downcast::<Reported>() {
                Ok(reported) => Reply::error(&Error::from_middleware(reported.0)),
                Err(error) => self.log_failure(name, &Error::from_middleware(error)),
            },
        };
        Some(PendingReply {
            request: self.request?,
            reply,
            subject: self.subject,
        })
    }
}

/// A reply on its way to a request's reply subject.
pub(crate) struct PendingReply {
    request: Box<Request>,
    reply: Reply,
    subject: Option<async_nats::Subject>,
}

impl PendingReply {
    /// Sends it (to be boxed: the future is large, and only requests need it).
    pub(crate) async fn send(self, broker: &Broker, name: &str) {
        let Request {
            reply_to,
            correlation_id,
        } = *self.request;
        let sent = broker.send_reply(reply_to, self.reply, correlation_id.as_deref());
        if let Err(error) = sent.await {
            tracing::error!(handler = %name, subject = self.subject.as_deref(), %error, "could not send the reply");
        }
    }
}

/// One box for the replies a consume loop sends one after another, allocated for the
/// first and reused for the others.
#[derive(Default)]
pub(crate) struct ReplySlot<'a>(Option<ReusableBoxFuture<'a, ()>>);

impl<'a> ReplySlot<'a> {
    /// Sends `reply` in the box.
    pub(crate) async fn send(&mut self, reply: PendingReply, broker: &'a Broker, name: &'a str) {
        let sending = reply.send(broker, name);
        let slot = match &mut self.0 {
            Some(slot) => {
                slot.set(sending);
                slot
            }
            None => self.0.insert(ReusableBoxFuture::new(sending)),
        };
        slot.await;
    }
}
