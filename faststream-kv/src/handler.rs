//! Handlers: async functions whose arguments are extractors, turned into
//! `tower::Service`s.

use std::future::Future;
use std::marker::PhantomData;
use std::sync::Arc;
use std::task::{Context as TaskContext, Poll};

use futures::future::BoxFuture;

use crate::error::{BoxError, Error};
use crate::extract::{FromMessage, Requirements, Scope};
use crate::message::Message;
use crate::response::{IntoReply, Reply};

/// An async function usable as a subscriber: up to 16 arguments that implement
/// [`FromMessage`], returning something that implements [`IntoReply`].
///
/// Implemented for every such `Fn`; `Args` is the tuple of argument types.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a valid subscriber handler",
    label = "not a handler",
    note = "a handler is an `async fn` whose arguments implement `FromMessage` (at most 16) and whose return type implements `IntoReply`",
    note = "with `#[subscriber]`, another error points at the argument or return type that is wrong"
)]
pub trait Handler<Args>: Clone + Send + Sync + Sized + 'static {
    /// Runs the handler on one message: extracts the arguments, calls the function, and
    /// builds the reply (only encoded when the message has a reply subject or the
    /// subscriber publishes its results). Errors are
    /// [`Error`]s, boxed as tower expects.
    ///
    /// Borrows the handler, the message and the scope, so a caller that awaits each
    /// message where it is (a consume loop with one worker) clones nothing per message
    /// and still has the message when the handler is done (or panicked).
    fn call_ref<'a>(
        &'a self,
        message: &'a Message,
        scope: &'a Scope,
    ) -> impl Future<Output = Result<Reply, BoxError>> + Send + 'a;

    /// [`call_ref`](Self::call_ref) on an owned handler and scope: a future that can be
    /// spawned or boxed.
    fn call(
        self,
        message: Message,
        scope: Arc<Scope>,
    ) -> impl Future<Output = Result<Reply, BoxError>> + Send + 'static {
        async move { self.call_ref(&message, &scope).await }
    }

    /// What the extractors need from the app, checked at startup.
    fn requirements(requirements: &mut Requirements);

    /// Whether the handler returns something a request gets as its reply (see
    /// [`IntoReply::REPLIES`]).
    fn replies() -> bool;
}

macro_rules! impl_handler {
    ($($arg:ident),*) => {
        #[allow(non_snake_case, unused_mut, unused_variables, unused_assignments)]
        impl<F, Fut, R, $($arg,)*> Handler<($($arg,)*)> for F
        where
            F: Fn($($arg,)*) -> Fut + Clone + Send + Sync + 'static,
            Fut: Future<Output = R> + Send,
            R: IntoReply,
            $($arg: FromMessage + 'static,)*
        {
            fn call_ref<'a>(
                &'a self,
                message: &'a Message,
                scope: &'a Scope,
            ) -> impl Future<Output = Result<Reply, BoxError>> + Send + 'a {
                async move {
                    $(
                        let $arg = match $arg::from_message(message, scope).await {
                            Ok(value) => value,
                            Err(rejection) => {
                                let error: Error = rejection.into();
                                return Err(error.into());
                            }
                        };
                    )*
                    let output = self($($arg,)*).await;
                    let reply = if message.reply().is_some() || scope.publishes() {
                        output.into_reply()
                    } else {
                        output.into_outcome().map(|()| Reply::empty())
                    };
                    reply.map_err(BoxError::from)
                }
            }

            fn requirements(requirements: &mut Requirements) {
                let mut index = 0;
                $(
                    requirements.set_argument::<$arg>(index);
                    $arg::requirements(requirements);
                    index += 1;
                )*
            }

            fn replies() -> bool {
                R::REPLIES
            }
        }
    };
}

impl_handler!();
impl_handler!(T1);
impl_handler!(T1, T2);
impl_handler!(T1, T2, T3);
impl_handler!(T1, T2, T3, T4);
impl_handler!(T1, T2, T3, T4, T5);
impl_handler!(T1, T2, T3, T4, T5, T6);
impl_handler!(T1, T2, T3, T4, T5, T6, T7);
impl_handler!(T1, T2, T3, T4, T5, T6, T7, T8);
impl_handler!(T1, T2, T3, T4, T5, T6, T7, T8, T9);
impl_handler!(T1, T2, T3, T4, T5, T6, T7, T8, T9, T10);
impl_handler!(T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11);
impl_handler!(T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12);
impl_handler!(T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13);
impl_handler!(T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13, T14);
impl_handler!(
    T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13, T14, T15
);
impl_handler!(
    T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13, T14, T15, T16
);

/// A [`Handler`] bound to its subscriber's [`Scope`]: a `tower::Service<Message>`.
///
/// Always ready; every call boxes one future. (A subscriber without layers does not
/// go through this `Service`: its consume loop awaits the handler's future unboxed.)
pub struct HandlerService<H, Args> {
    handler: H,
    scope: Arc<Scope>,
    _args: PhantomData<fn() -> Args>,
}

impl<H: Handler<Args>, Args> HandlerService<H, Args> {
    /// Binds `handler` to `scope`.
    pub fn new(handler: H, scope: Arc<Scope>) -> Self {
        Self {
            handler,
            scope,
            _args: PhantomData,
        }
    }

    /// The subscriber scope.
    pub fn scope(&self) -> &Scope {
        &self.scope
    }

    /// The handler's future for `message`, unboxed.
    pub(crate) fn handle(
        &self,
        message: Message,
    ) -> impl Future<Output = Result<Reply, BoxError>> + Send + 'static {
        self.handler.clone().call(message, Arc::clone(&self.scope))
    }

    /// The handler's future for `message`, borrowing the handler, the message and the
    /// scope.
    pub(crate) fn handle_ref<'a>(
        &'a self,
        message: &'a Message,
    ) -> impl Future<Output = Result<Reply, BoxError>> + Send + 'a {
        self.handler.call_ref(message, &self.scope)
    }
}

impl<H: Clone, Args> Clone for HandlerService<H, Args> {
    fn clone(&self) -> Self {
        Self {
            handler: self.handler.clone(),
            scope: Arc::clone(&self.scope),
            _args: PhantomData,
        }
    }
}

impl<H: Handler<Args>, Args> tower::Service<Message> for HandlerService<H, Args> {
    type Response = Reply;
    type Error = BoxError;
    type Future = BoxFuture<'static, Result<Reply, BoxError>>;

    fn poll_ready(&mut self, _cx: &mut TaskContext<'_>) -> Poll<Result<(), BoxError>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, message: Message) -> Self::Future {
        // One box around the handler's own future (which already yields `BoxError`):
        // no wrapper future that would copy it once more.
        Box::pin(self.handle(message))
    }
}
