//! The attribute's arguments: `"pattern", queue = "...", max_workers = N, name = "...",
//! workers_by_key = "capture", pending_messages = N, pending_bytes = N` for a subject
//! subscriber; `kv_watch = "bucket", keys = "...", ignore_deletes, ...` for a Key-Value
//! watch subscriber;
//! `"pattern", stream = "STREAM", durable = "...", ack_policy = "...", nak_delay = "5s",
//! declare = false, keep_alive = true, push = true, batch = N` and the consumer options
//! of [`ConsumerArgs`] for a stream subscriber; `publish = "subject"` (again for several)
//! on any.

use proc_macro2::Span;
use syn::parse::{Parse, ParseStream};
use syn::{Ident, LitBool, LitInt, LitStr, Token};

use crate::consumer_args::{CONSUMER_KEYS, ConsumerArgs, Millis};
use crate::publisher::PublisherArgs;

/// The ack policies by name, as FastStream names them, and their variants.
const ACK_POLICIES: [(&str, &str); 5] = [
    ("ack_first", "AckFirst"),
    ("ack", "Ack"),
    ("reject_on_error", "RejectOnError"),
    ("nack_on_error", "NackOnError { delay: None }"),
    ("manual", "Manual"),
];

/// The watch options that may be given as bare flags.
const WATCH_FLAGS: [&str; 4] = [
    "ignore_deletes",
    "include_history",
    "meta_only",
    "updates_only",
];

pub(crate) struct SubscriberArgs {
    /// The subject pattern, or for a `kv_watch` subscriber the key pattern.
    pub(crate) pattern: LitStr,
    /// `Some(bucket)` for a `kv_watch` subscriber.
    pub(crate) kv_watch: Option<LitStr>,
    /// Watch option flags (`ignore_deletes`, ...).
    pub(crate) watch_flags: Vec<Ident>,
    pub(crate) queue: Option<LitStr>,
    pub(crate) max_workers: Option<LitInt>,
    pub(crate) name: Option<LitStr>,
    pub(crate) pending_messages: Option<LitInt>,
    pub(crate) pending_bytes: Option<LitInt>,
    /// The capture whose value keeps messages in order among the workers.
    pub(crate) workers_by_key: Option<LitStr>,
    /// For a stream subscriber.
    pub(crate) stream: Option<StreamArgs>,
    /// `publish = "subject"` (several allowed).
    pub(crate) publish: Vec<PublisherArgs>,
}

/// A stream subscriber's options.
pub(crate) struct StreamArgs {
    pub(crate) stream: LitStr,
    pub(crate) durable: Option<LitStr>,
    /// The `AckPolicy` variant, as Rust.
    pub(crate) ack_policy: Option<(LitStr, &'static str)>,
    /// The delay of `ack_policy = "nack_on_error"`.
    pub(crate) nak_delay: Option<Millis>,
    pub(crate) consumer: ConsumerArgs,
    pub(crate) declare: Option<LitBool>,
    pub(crate) keep_alive: Option<LitBool>,
    pub(crate) push: Option<LitBool>,
    /// A batch handler's batch size.
    pub(crate) batch: Option<LitInt>,
}

#[derive(Default)]
struct Collected {
    pattern: Option<LitStr>,
    kv_watch: Option<LitStr>,
    keys: Option<LitStr>,
    watch_flags: Vec<Ident>,
    queue: Option<LitStr>,
    max_workers: Option<LitInt>,
    name: Option<LitStr>,
    pending_messages: Option<LitInt>,
    pending_bytes: Option<LitInt>,
    workers_by_key: Option<LitStr>,
    stream: Option<LitStr>,
    durable: Option<LitStr>,
    ack_policy: Option<LitStr>,
    nak_delay: Option<Millis>,
    consumer: ConsumerArgs,
    declare: Option<LitBool>,
    keep_alive: Option<LitBool>,
    push: Option<LitBool>,
    batch: Option<LitInt>,
    publish: Vec<PublisherArgs>,
}

impl Parse for SubscriberArgs {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        if input.is_empty() {
            return Err(input.error(
                "#[subscriber] needs a subject pattern, e.g. #[subscriber(\"orders.{region}.created\")], \
                 or a Key-Value watch, e.g. #[subscriber(kv_watch = \"config\", keys = \"feature.*\")]",
            ));
        }
        let mut args = Collected::default();
        if input.peek(LitStr) {
            args.pattern = Some(input.parse()?);
            if !input.is_empty() {
                input.parse::<Token![,]>()?;
            }
        }
        while !input.is_empty() {
            let key: Ident = input.parse()?;
            let flag = key.to_string();
            if WATCH_FLAGS.contains(&flag.as_str()) {
                if args.watch_flags.contains(&key) {
                    return Err(syn::Error::new(
                        key.span(),
                        format!("`{key}` is given twice"),
                    ));
                }
                args.watch_flags.push(key);
            } else {
                input.parse::<Token![=]>()?;
                args.option(&key, input)?;
            }
            if input.is_empty() {
                break;
            }
            input.parse::<Token![,]>()?;
        }
        args.finish()
    }
}

impl Collected {
    fn option(&mut self, key: &Ident, input: ParseStream<'_>) -> syn::Result<()> {
        let name = key.to_string();
        if CONSUMER_KEYS.contains(&name.as_str()) {
            return self.consumer.option(key, input);
        }
        match name.as_str() {
            "queue" => set(&mut self.queue, key, input.parse()?),
            "name" => set(&mut self.name, key, input.parse()?),
            "kv_watch" => set(&mut self.kv_watch, key, input.parse()?),
            "keys" => set(&mut self.keys, key, input.parse()?),
            "stream" => set(&mut self.stream, key, input.parse()?),
            "durable" => set(&mut self.durable, key, input.parse()?),
            "ack_policy" => set(&mut self.ack_policy, key, input.parse()?),
            "nak_delay" => set(&mut self.nak_delay, key, Millis::parse(input)?),
            "declare" => set(&mut self.declare, key, input.parse()?),
            "workers_by_key" => set(&mut self.workers_by_key, key, input.parse()?),
            "keep_alive" => set(&mut self.keep_alive, key, input.parse()?),
            "push" => set(&mut self.push, key, input.parse()?),
            "batch" => set(&mut self.batch, key, at_least_one::<usize>(key, input)?),
            "publish" => {
                self.publish.push(PublisherArgs::subject(input.parse()?)?);
                Ok(())
            }
            "max_workers" => set(
                &mut self.max_workers,
                key,
                at_least_one::<usize>(key, input)?,
            ),
            "pending_messages" => set(
                &mut self.pending_messages,
                key,
                at_least_one::<u64>(key, input)?,
            ),
            "pending_bytes" => set(
                &mut self.pending_bytes,
                key,
                at_least_one::<u64>(key, input)?,
            ),
            other => Err(syn::Error::new(
                key.span(),
                format!(
                    "unknown #[subscriber] option `{other}`; expected `queue`, `max_workers`, \
                     `name`, `workers_by_key`, `pending_messages`, `pending_bytes`, `kv_watch`, \
                     `keys`, `stream`, `durable`, `ack_policy`, `nak_delay`, `declare`, `keep_alive`, \
                     `push`, `batch`, `publish`, a consumer option ({}) or a watch flag ({})",
                    CONSUMER_KEYS.join(", "),
                    WATCH_FLAGS.join(", ")
                ),
            )),
        }
    }

    fn finish(mut self) -> syn::Result<SubscriberArgs> {
        let stream = self.stream_args()?;
        let pattern = match (&self.kv_watch, self.pattern, self.keys) {
            (None, Some(pattern), None) => pattern,
            (None, None, _) => {
                return Err(syn::Error::new(
                    Span::call_site(),
                    "#[subscriber] needs a subject pattern as its first argument, or `kv_watch = \"bucket\"`",
                ));
            }
            (None, Some(_), Some(keys)) => {
                return Err(syn::Error::new(
                    keys.span(),
                    "`keys` filters a Key-Value watch: add `kv_watch = \"bucket\"`",
                ));
            }
            (Some(_), Some(pattern), _) => {
                return Err(syn::Error::new(
                    pattern.span(),
                    "a kv_watch subscriber takes its key pattern as `keys = \"...\"`, not a subject",
                ));
            }
            (Some(bucket), None, keys) => keys.unwrap_or_else(|| LitStr::new(">", bucket.span())),
        };
        if self.kv_watch.is_none()
            && let Some(flag) = self.watch_flags.first()
        {
            return Err(syn::Error::new(
                flag.span(),
                format!("`{flag}` is a Key-Value watch option: add `kv_watch = \"bucket\"`"),
            ));
        }
        if let Some(key) = &self.workers_by_key
            && self.max_workers.is_none()
        {
            return Err(syn::Error::new(
                key.span(),
                "`workers_by_key` orders messages among several workers: add `max_workers = N`",
            ));
        }
        if let (Some(_), Some(queue)) = (&self.kv_watch, &self.queue) {
            return Err(syn::Error::new(
                queue.span(),
                "a kv_watch subscriber cannot join a queue group",
            ));
        }
        if let (Some(_), Some(limit)) = (
            &self.kv_watch,
            self.pending_messages
                .as_ref()
                .or(self.pending_bytes.as_ref()),
        ) {
            return Err(syn::Error::new(
                limit.span(),
                "a kv_watch subscriber has no pending limits: the watch is flow-controlled",
            ));
        }
        Ok(SubscriberArgs {
            pattern,
            kv_watch: self.kv_watch,
            watch_flags: self.watch_flags,
            queue: self.queue,
            max_workers: self.max_workers,
            name: self.name,
            pending_messages: self.pending_messages,
            pending_bytes: self.pending_bytes,
            workers_by_key: self.workers_by_key,
            stream,
            publish: self.publish,
        })
    }

    /// A stream subscriber's options, checked against the others.
    fn stream_args(&mut self) -> syn::Result<Option<StreamArgs>> {
        let Some(stream) = &self.stream else {
            let option = (self.durable.as_ref().or(self.ack_policy.as_ref()))
                .map(LitStr::span)
                .or(self.declare.as_ref().map(LitBool::span))
                .or(self.keep_alive.as_ref().map(LitBool::span))
                .or(self.push.as_ref().map(LitBool::span))
                .or(self.batch.as_ref().map(LitInt::span))
                .or(self.nak_delay.as_ref().map(|delay| delay.literal.span()))
                .or(self.consumer.first_span());
            if let Some(span) = option {
                return Err(syn::Error::new(
                    span,
                    "`durable`, `ack_policy`, `nak_delay`, `declare`, `keep_alive`, `push`, `batch` and the \
                     consumer options configure a stream subscriber: add `stream = \"STREAM\"`",
                ));
            }
            return Ok(None);
        };
        if self.kv_watch.is_some() {
            return Err(syn::Error::new(
                stream.span(),
                "a subscriber consumes a stream or watches a bucket, not both",
            ));
        }
        if let Some(queue) = &self.queue {
            return Err(syn::Error::new(
                queue.span(),
                "a stream subscriber shares its messages through a durable consumer, not a queue group",
            ));
        }
        if let Some(limit) = self
            .pending_messages
            .as_ref()
            .or(self.pending_bytes.as_ref())
        {
            return Err(syn::Error::new(
                limit.span(),
                "a stream subscriber has no pending limits: it fetches what its workers can take",
            ));
        }
        let ack_policy = match &self.ack_policy {
            None => None,
            Some(name) => match ACK_POLICIES
                .iter()
                .find(|(known, _)| *known == name.value())
            {
                Some((_, variant)) => Some((name.clone(), *variant)),
                None => {
                    let known: Vec<&str> = ACK_POLICIES.iter().map(|(known, _)| *known).collect();
                    return Err(syn::Error::new(
                        name.span(),
                        format!("unknown ack policy; expected one of {}", known.join(", ")),
                    ));
                }
            },
        };
        if let Some(delay) = &self.nak_delay
            && !matches!(&ack_policy, Some((_, variant)) if variant.starts_with("NackOnError"))
        {
            return Err(syn::Error::new(
                delay.literal.span(),
                "`nak_delay` is how long `ack_policy = \"nack_on_error\"` waits: add it",
            ));
        }
        Ok(Some(StreamArgs {
            stream: stream.clone(),
            durable: self.durable.clone(),
            ack_policy,
            nak_delay: self.nak_delay.clone(),
            consumer: std::mem::take(&mut self.consumer),
            declare: self.declare.clone(),
            keep_alive: self.keep_alive.clone(),
            push: self.push.clone(),
            batch: self.batch.clone(),
        }))
    }
}

/// An integer option that must be at least 1.
pub(crate) fn at_least_one<N>(key: &Ident, input: ParseStream<'_>) -> syn::Result<LitInt>
where
    N: std::str::FromStr + PartialEq + From<u8>,
    N::Err: std::fmt::Display,
{
    let value: LitInt = input.parse()?;
    if value.base10_parse::<N>()? == N::from(0) {
        return Err(syn::Error::new(
            value.span(),
            format!("{key} must be at least 1"),
        ));
    }
    Ok(value)
}

pub(crate) fn set<T>(slot: &mut Option<T>, key: &Ident, value: T) -> syn::Result<()> {
    if slot.is_some() {
        return Err(syn::Error::new(
            key.span(),
            format!("`{key}` is given twice"),
        ));
    }
    *slot = Some(value);
    Ok(())
}
