//! The conformance suite on the embedded memory broker.

use faststream_kv::Error;

use crate::support::{Backend, Env};

/// Runs a test body on this backend.
fn run(body: impl AsyncFnOnce(Env) -> Result<(), Error>) -> Result<(), Error> {
    crate::support::run(Backend::Memory, body)
}

areas!();
