//! `Dispatch`: how the consume loop calls a subscriber's service. A bare handler is
//! called directly: its future lives in the consume loop instead of a box, and borrows
//! the message the loop keeps. A handler with layers goes through its type-erased
//! [`Route`], which takes the message.

use std::future::Future;
use std::task::{Context, Poll};

use futures::future::BoxFuture;
use tower::Service;

use super::Route;
use super::outcome::{Outcome, PendingReply, Settle};
use crate::error::BoxError;
use crate::handler::{Handler, HandlerService};
use crate::message::Message;
use crate::response::Reply;

/// A subscriber's service as the consume loop drives it: `tower::Service` without a
/// nameable future type, and with a way to handle a message the loop keeps.
pub(crate) trait Dispatch: Send + 'static {
    /// A message while the service handles it in place: what the service's future
    /// borrows, and then settles the result.
    type InPlace: Settle + Send;

    /// Whether the service takes a message now (tower's `poll_ready`).
    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>>;

    /// Handles one message, in a future that can be spawned.
    fn call(
        &mut self,
        message: Message,
    ) -> impl Future<Output = Result<Reply, BoxError>> + Send + 'static;

    /// Starts handling one message in place, for a caller that awaits
    /// [`call_in_place`](Self::call_in_place) before it takes the next one.
    fn begin(&mut self, message: Message) -> Self::InPlace;

    /// The future handling `in_place`, borrowing the service (nothing cloned per
    /// message).
    fn call_in_place<'a>(
        &'a mut self,
        in_place: &'a mut Self::InPlace,
    ) -> impl Future<Output = Result<Reply, BoxError>> + Send + 'a;
}

impl Dispatch for Route {
    type InPlace = Called;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        Service::poll_ready(self, cx)
    }

    fn call(
        &mut self,
        message: Message,
    ) -> impl Future<Output = Result<Reply, BoxError>> + Send + 'static {
        Service::call(self, message)
    }

    fn begin(&mut self, message: Message) -> Called {
        Called {
            outcome: Outcome::of(&message),
            future: Service::call(self, message),
        }
    }

    fn call_in_place<'a>(
        &'a mut self,
        in_place: &'a mut Called,
    ) -> impl Future<Output = Result<Reply, BoxError>> + Send + 'a {
        in_place.future.as_mut()
    }
}

/// A message a [`Route`] took: its future, and what its result needs.
pub(crate) struct Called {
    outcome: Outcome,
    future: BoxFuture<'static, Result<Reply, BoxError>>,
}

impl Settle for Called {
    #[inline]
    fn settle(self, name: &str, result: Result<Reply, BoxError>) -> Option<PendingReply> {
        self.outcome.settle(name, result)
    }
}

impl<H: Handler<Args>, Args: 'static> Dispatch for HandlerService<H, Args> {
    type InPlace = Message;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        Poll::Ready(Ok(()))
    }

    fn call(
        &mut self,
        message: Message,
    ) -> impl Future<Output = Result<Reply, BoxError>> + Send + 'static {
        self.handle(message)
    }

    fn begin(&mut self, message: Message) -> Message {
        message
    }

    fn call_in_place<'a>(
        &'a mut self,
        in_place: &'a mut Message,
    ) -> impl Future<Output = Result<Reply, BoxError>> + Send + 'a {
        self.handle_ref(in_place)
    }
}
