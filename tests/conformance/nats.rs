//! The conformance suite on a real nats-server spawned per test.

use faststream_kv::Error;

use crate::support::{Backend, Env};

/// Runs a test body on this backend.
fn run(body: impl AsyncFnOnce(Env) -> Result<(), Error>) -> Result<(), Error> {
    crate::support::run(Backend::Nats, body)
}

areas!();
