//! A consumer handle's fetches: pull requests answered on one inbox per handle,
//! subscribed once: a subscription per request (as async-nats's `fetch` makes) costs
//! the server a subscribe, an unsubscribe and its subject cache for every batch.

use std::time::Duration;

use async_nats::jetstream::consumer::PullConsumer;
use async_nats::jetstream::consumer::pull::BatchConfig;
use async_nats::{StatusCode, Subject, Subscriber};
use futures::StreamExt;
use tokio::sync::Mutex;

use crate::error::BoxError;

/// A consumer's pulls; one at a time (a pull reads the inbox until it is answered).
pub(super) struct Puller {
    consumer: PullConsumer,
    client: async_nats::Client,
    inbox: Mutex<Option<Inbox>>,
}

struct Inbox {
    subject: Subject,
    subscription: Subscriber,
}

/// What one pull got.
pub(super) enum PullOutcome {
    /// The messages delivered (fewer than asked when the server ended the request).
    Messages(Vec<async_nats::Message>),
    /// The server says the consumer was deleted.
    ConsumerDeleted,
}

impl Puller {
    pub(super) fn new(consumer: PullConsumer, client: async_nats::Client) -> Self {
        Self {
            consumer,
            client,
            inbox: Mutex::new(None),
        }
    }

    pub(super) fn client(&self) -> async_nats::Client {
        self.client.clone()
    }

    /// One pull request for up to `batch` messages, expiring after `expires`: one
    /// that `waits` for its batch, or a no-wait one, which the server ends once it
    /// delivered what there is. Any status but a heartbeat ends it (the server's 404
    /// "no messages", 408 "request timeout", a 409); a status left over from an
    /// abandoned request may end one early, which costs a pull, not a message.
    pub(super) async fn pull(
        &self,
        batch: usize,
        expires: Duration,
        waits: bool,
    ) -> Result<PullOutcome, BoxError> {
        let mut inbox = self.inbox.lock().await;
        let inbox = match &mut *inbox {
            Some(inbox) => inbox,
            empty => {
                let subject = self.client.new_inbox();
                let subscription = self.client.subscribe(subject.clone()).await?;
                empty.insert(Inbox {
                    subject: subject.into(),
                    subscription,
                })
            }
        };
        let request = BatchConfig {
            batch,
            expires: Some(expires),
            no_wait: !waits,
            ..BatchConfig::default()
        };
        self.consumer
            .request_batch(request, inbox.subject.clone())
            .await?;
        let mut messages = Vec::with_capacity(batch);
        while messages.len() < batch {
            let Some(message) = inbox.subscription.next().await else {
                break;
            };
            match message.status {
                None | Some(StatusCode::OK) => messages.push(message),
                Some(StatusCode::IDLE_HEARTBEAT) => {}
                Some(StatusCode::REQUEST_TERMINATED)
                    if message.description.as_deref() == Some("Consumer Deleted") =>
                {
                    return Ok(PullOutcome::ConsumerDeleted);
                }
                Some(_) => break,
            }
        }
        Ok(PullOutcome::Messages(messages))
    }
}
