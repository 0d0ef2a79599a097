//! Every call through a NATS connection is bounded in time, so that none outlasts its
//! deadline whatever the connection's state (time spent queued in the client counts).

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::time::Sleep;

use crate::error::{Error, NatsOperation, Result};

/// `work`, or [`Error::Unavailable`] once `after` has passed. Work that is done when
/// first polled (a publish with room in the client's queue) reads no clock and starts
/// no timer. A future of its own rather than an `async fn`: it holds `work` once, where
/// an `async fn` around a timeout held it twice and moved it on every call (one of
/// these runs for every acknowledgement).
pub(crate) fn bounded<F>(
    operation: NatsOperation,
    after: Duration,
    may_have_landed: bool,
    work: F,
) -> Bounded<F> {
    Bounded {
        work,
        deadline: None,
        operation,
        after,
        may_have_landed,
    }
}

pin_project_lite::pin_project! {
    /// The future of [`bounded`].
    pub(crate) struct Bounded<F> {
        #[pin]
        work: F,
        // Started at the first poll that finds the work not done.
        deadline: Option<Pin<Box<Sleep>>>,
        operation: NatsOperation,
        after: Duration,
        may_have_landed: bool,
    }
}

impl<F, T> Future for Bounded<F>
where
    F: Future<Output = Result<T>>,
{
    type Output = Result<T>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<T>> {
        let this = self.project();
        if let Poll::Ready(done) = this.work.poll(cx) {
            return Poll::Ready(done);
        }
        let after = *this.after;
        let deadline = this
            .deadline
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(after)));
        match deadline.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Err(Error::Unavailable {
                operation: *this.operation,
                after,
                may_have_landed: *this.may_have_landed,
            })),
            Poll::Pending => Poll::Pending,
        }
    }
}
