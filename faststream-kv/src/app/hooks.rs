//! Lifecycle hooks: stored boxed, run in the order they were added.

use std::future::Future;

use futures::future::BoxFuture;

use super::Lifecycle;
use crate::error::{BoxError, Error, HookStage, Result};

pub(super) type Hook = Box<dyn FnMut(Lifecycle) -> BoxFuture<'static, Result<(), BoxError>> + Send>;

#[derive(Default)]
pub(super) struct Hooks {
    pub(super) on_startup: Vec<Hook>,
    pub(super) after_startup: Vec<Hook>,
    pub(super) on_shutdown: Vec<Hook>,
    pub(super) after_shutdown: Vec<Hook>,
}

pub(super) fn boxed_hook<F, Fut, E>(mut hook: F) -> Hook
where
    F: FnMut(Lifecycle) -> Fut + Send + 'static,
    Fut: Future<Output = Result<(), E>> + Send + 'static,
    E: Into<BoxError>,
{
    Box::new(move |context| {
        let future = hook(context);
        Box::pin(async move { future.await.map_err(Into::into) })
    })
}

pub(super) async fn run_hooks(
    stage: HookStage,
    hooks: &mut [Hook],
    context: &Lifecycle,
) -> Result<()> {
    for (index, hook) in hooks.iter_mut().enumerate() {
        hook(context.clone()).await.map_err(|source| Error::Hook {
            stage,
            index: index + 1,
            source: Box::new(Error::from_boxed(source)),
        })?;
    }
    Ok(())
}
