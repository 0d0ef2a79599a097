//! Procedural macros for faststream-kv. Use them through `faststream_kv`:
//! `use faststream_kv::prelude::*;` brings `#[subscriber]` into scope.

mod args;
mod checks;
mod consumer_args;
mod publisher;
mod subscriber;

use proc_macro::TokenStream;

/// Turns an `async fn` into a subscriber for `App::subscriber`.
///
/// ```ignore
/// #[subscriber("orders.{region}.created", queue = "billing", max_workers = 4)]
/// async fn on_order(Json(order): Json<Order>, Path(region): Path<String>) { /* ... */ }
///
/// // A Key-Value watch: every change of the keys of bucket `config` matching the key
/// // pattern, current values first; flags: ignore_deletes, include_history, meta_only,
/// // updates_only.
/// #[subscriber(kv_watch = "config", keys = "feature.{name}", ignore_deletes)]
/// async fn on_flag(entry: Entry, Path(name): Path<String>) { /* ... */ }
///
/// // A stream subscriber: the messages of stream `ORDERS` matching the pattern, through
/// // a (durable) pull consumer (`push = true`: a push consumer); ack_policy: ack_first,
/// // ack, reject_on_error (default), nack_on_error (with an optional `nak_delay`),
/// // manual. The stream is declared with the subject unless `declare = false`;
/// // `keep_alive = true` keeps long handlers' messages in progress; `batch = N` hands
/// // the handler a `Batch<T>` of up to N; `workers_by_key` handles each region's
/// // messages in order, regions at once.
/// #[subscriber("orders.{region}.created", stream = "ORDERS", durable = "billing",
///     ack_policy = "nack_on_error", max_workers = 8, workers_by_key = "region",
///     keep_alive = true)]
/// async fn bill(Json(order): Json<Order>, Path(region): Path<String>) { /* ... */ }
///
/// // The consumer's options: deliver = "all" (default) | "last" | "new" |
/// // "last_per_subject", or start_sequence = N; ack_wait, backoff (the delays before
/// // each redelivery), inactive_threshold and nak_delay as "500ms", "30s", "5m", "1h",
/// // "1m30s"; max_deliver; max_ack_pending; filter_subjects within the pattern.
/// #[subscriber("orders.{region}.created", stream = "ORDERS", durable = "shipping",
///     deliver = "new", backoff = ["1s", "10s", "1m"], max_deliver = 5,
///     max_ack_pending = 16, filter_subjects = ["orders.eu.created", "orders.us.created"])]
/// async fn ship(Json(order): Json<Order>, Path(region): Path<String>) { /* ... */ }
/// ```
///
/// Checked at compile time, with the error at the offending span: the pattern syntax,
/// that every `{capture}` is used by a `Path` argument (and a `Path` has captures to
/// take), that the function is `async` and not generic, that every argument is an
/// extractor and the return type a reply, and the consumer options the server would
/// refuse (`max_deliver` below the backoff steps, `ack_wait` with `backoff`, filters
/// outside the pattern or containing one another).
#[proc_macro_attribute]
pub fn subscriber(attr: TokenStream, item: TokenStream) -> TokenStream {
    subscriber::expand(attr.into(), item.into())
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}

/// Publishes the results of the `#[subscriber]` handler it is stacked with (several
/// allowed, in either order with `#[subscriber]`).
///
/// ```ignore
/// #[subscriber("orders.{region}.created")]
/// #[publisher("orders.billed")]                 // a core publish
/// #[publisher("invoices.{region}")]             // to the order's region
/// #[publisher("billing.done", expected_stream = "BILLING")] // stored by BILLING, acknowledged
/// async fn bill(Json(order): Json<Order>) -> Json<Bill> { /* ... */ }
/// ```
///
/// The subject is checked at compile time, and each `{capture}` it names must be one
/// of the subscriber's pattern: it is filled with what that capture matched in the
/// handled message's subject. `stream` alone publishes to whichever stream stores the
/// subject and waits for its acknowledgement; `expected_stream = "NAME"` also has the
/// server refuse the publish unless stream `NAME` stores it.
#[proc_macro_attribute]
pub fn publisher(attr: TokenStream, item: TokenStream) -> TokenStream {
    publisher::expand(attr.into(), item.into())
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}
