"""The Python side of tests/interop.rs: FastStream and nats-py on the same nats-server
as a faststream-kv app.

    python3 peer.py serve URL   FastStream handlers for the Rust app to call; prints
                                "ready" once they consume, runs until stdin closes.
    python3 peer.py call URL    calls the Rust app's handlers with FastStream and
                                nats-py, prints one JSON object of what came back.
    python3 peer.py check       exits 1, saying what to install, without its packages.
"""

import asyncio
import json
import logging
import sys
from importlib.metadata import version

# What the peer is written against; `peer.py check` exits 1 without it.
FASTSTREAM = "0.7."
INSTALL = "python3 -m pip install 'faststream[nats]>=0.7,<0.8' 'nats-py>=2.9,<3'"

try:
    import nats
    from faststream.nats import JStream, KvWatch, NatsBroker
    from faststream.nats.annotations import NatsKvMessage, NatsMessage

    if not version("faststream").startswith(FASTSTREAM):
        raise ImportError(f"faststream {version('faststream')} is installed")
except ImportError as error:
    sys.exit(f"peer.py needs FastStream {FASTSTREAM}x and nats-py ({error}): {INSTALL}")

# Stdout carries what the Rust test reads; FastStream's logs go to stderr.
logging.basicConfig(stream=sys.stderr, level=logging.WARNING)
LOGGER = logging.getLogger("peer")

# What the Rust side's TraceContext must find in a request it handles.
TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


async def serve(url: str) -> None:
    broker = NatsBroker(url, logger=LOGGER)
    notes: list[str] = []
    events: list[dict] = []
    flags: dict[str, str] = {}

    @broker.subscriber("interop.py.greet")
    async def greet(body: dict) -> dict:
        return {"greeting": f"hello {body['name']}"}

    @broker.subscriber("interop.py.headers")
    async def headers(body: str, msg: NatsMessage) -> dict:
        return {
            "correlation_id": msg.correlation_id,
            "content_type": msg.content_type,
            "traceparent": msg.headers.get("traceparent"),
            "decoded": body,
            "raw": msg.body.decode(),
        }

    @broker.subscriber("interop.py.notes")
    async def note(body: str) -> None:
        notes.append(body)

    stream = JStream("INTEROP_PY", subjects=["interop.py.events.>", "interop.py.quotes.>"])

    @broker.subscriber("interop.py.quotes.*", stream=stream, durable="quotes", pull_sub=True)
    async def quote(body: dict, msg: NatsMessage) -> dict:
        return {"sku": msg.raw_message.subject.rsplit(".", 1)[1], "price": body["qty"] * 3}

    @broker.subscriber("interop.py.events.*", stream=stream, durable="python", pull_sub=True)
    async def event(body: dict, msg: NatsMessage) -> None:
        events.append({"subject": msg.raw_message.subject, "body": body})

    @broker.subscriber("flag.*", kv_watch=KvWatch("interop_py"))
    async def flag(body: str, msg: NatsKvMessage) -> None:
        flags[msg.raw_message.key] = body

    @broker.subscriber("interop.py.seen")
    async def seen(body: str) -> dict:
        return {"notes": notes, "events": events, "flags": flags}

    async with broker:
        await broker.start()
        # The server has every subscription once this round trip is back.
        await broker.config.connection_state.connection.flush()
        print("ready", flush=True)
        # Until the Rust test closes our stdin (or ends).
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)


async def call(url: str) -> None:
    seen: dict = {}
    async with NatsBroker(url, logger=LOGGER) as broker:
        await broker.connect()

        reply = await broker.request(
            {"id": 7, "qty": 3}, "interop.rs.orders.7", correlation_id="py-1", timeout=10
        )
        seen["order"] = {
            "body": await reply.decode(),
            "correlation_id": reply.correlation_id,
            "content_type": reply.content_type,
        }

        reply = await broker.request(
            "", "interop.rs.trace", headers={"traceparent": TRACEPARENT}, timeout=10
        )
        seen["trace_id"] = await reply.decode()

        reply = await broker.request({"id": 1, "qty": 1}, "interop.rs.fails", timeout=10)
        seen["failure"] = {
            "body": reply.body.decode(),
            "headers": {k: v for k, v in reply.headers.items() if k.startswith("Nats-")},
        }

        # FastStream's reply_to: the handler's result goes there, correlated.
        replies = await broker.config.connection_state.connection.subscribe("interop.py.replies")
        await broker.publish(
            {"id": 8, "qty": 1},
            "interop.rs.orders.8",
            reply_to="interop.py.replies",
            correlation_id="py-2",
        )
        reply = await replies.next_msg(timeout=10)
        seen["reply_to"] = {
            "body": json.loads(reply.data),
            "correlation_id": reply.headers.get("correlation_id"),
        }

        await broker.publish("note from python", "interop.rs.notes")
        ack = await broker.publish(
            {"region": "eu"}, "interop.rs.events.eu", stream="INTEROP_RS", timeout=10
        )
        seen["stream_ack"] = {"stream": ack.stream, "seq": ack.seq}

        # A request over JetStream: stored with a reply_to header the Rust stream
        # subscriber answers.
        reply = await broker.request(
            {"qty": 4}, "interop.rs.quotes.apple", stream="INTEROP_RS", timeout=10
        )
        seen["stream_request"] = await reply.decode()

        kv = await broker.key_value("interop_rs", declare=False)
        seen["from_rust"] = (await kv.get("from.rust")).value.decode()
        await kv.put("from.python", b"py-value")
        await kv.delete("from.python")

    # nats-py alone: no FastStream headers at all.
    nc = await nats.connect(url)
    try:
        reply = await nc.request("interop.rs.echo", b"raw bytes", timeout=10)
        seen["raw_echo"] = {"body": reply.data.decode(), "headers": reply.headers}
    finally:
        await nc.close()

    print(json.dumps(seen), flush=True)


if __name__ == "__main__":
    if sys.argv[1:] != ["check"]:
        mode, url = sys.argv[1], sys.argv[2]
        asyncio.run({"serve": serve, "call": call}[mode](url))
