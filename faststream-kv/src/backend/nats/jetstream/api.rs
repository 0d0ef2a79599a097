//! How one connection reaches JetStream: through the API prefix its options chose (the
//! account's own `$JS.API`, a domain's or an imported one), every call within a bound.

use std::time::Duration;

use async_nats::jetstream::{self, context::ContextBuilder};

use crate::backend::nats::sessions::Sessions;

/// The account's own JetStream API.
pub(crate) const LOCAL_PREFIX: &str = "$JS.API";

/// A connection's way to JetStream.
pub(crate) struct JetStream {
    /// On the API prefix; its acknowledgements and API calls time out at `bound`.
    context: jetstream::Context,
    prefix: String,
    bound: Duration,
    sessions: Sessions,
}

impl JetStream {
    pub(crate) fn new(
        client: async_nats::Client,
        prefix: &str,
        bound: Duration,
        sessions: Sessions,
    ) -> Self {
        Self {
            context: ContextBuilder::new()
                .api_prefix(prefix)
                .timeout(bound)
                .build(client),
            prefix: prefix.to_owned(),
            bound,
            sessions,
        }
    }

    pub(crate) fn context(&self) -> &jetstream::Context {
        &self.context
    }

    pub(crate) fn client(&self) -> async_nats::Client {
        self.context.client()
    }

    /// The API prefix (`$JS.API` or a domain's or an imported one).
    pub(crate) fn prefix(&self) -> &str {
        &self.prefix
    }

    /// How long one call may take.
    pub(crate) fn bound(&self) -> Duration {
        self.bound
    }

    /// The connection's sessions, which tell a delivery from before a reconnect.
    pub(crate) fn sessions(&self) -> &Sessions {
        &self.sessions
    }

    /// What a write to a bucket reached through this API is prefixed with (nats.go's
    /// `useJSPfx`): nothing on the account's own API; the API prefix otherwise, which
    /// the server maps to the bucket's subjects in that domain or account.
    pub(crate) fn write_prefix(&self) -> Option<&str> {
        (self.prefix != LOCAL_PREFIX).then_some(self.prefix.as_str())
    }
}
