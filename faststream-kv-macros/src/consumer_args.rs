//! A stream subscriber's consumer options: `deliver = "new"`, `start_sequence = N`,
//! `ack_wait = "30s"`, `max_deliver = N`, `max_ack_pending = N`, `backoff = ["1s",
//! "10s"]`, `inactive_threshold = "1h"`, `filter_subjects = ["orders.eu.*"]`, each
//! checked here as the server would check it, so that a consumer the server refuses
//! does not compile.

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::parse::ParseStream;
use syn::punctuated::Punctuated;
use syn::{Ident, LitInt, LitStr, Token, bracketed};

use crate::args::{at_least_one, set};
use faststream_kv_subject::{PatternSyntax, check_subscribe_subject, contains};

/// The deliver policies by name, as FastStream names them, and their variants.
const DELIVER_POLICIES: [(&str, &str); 4] = [
    ("all", "All"),
    ("last", "Last"),
    ("new", "New"),
    ("last_per_subject", "LastPerSubject"),
];

/// The keys this module parses.
pub(crate) const CONSUMER_KEYS: [&str; 8] = [
    "deliver",
    "start_sequence",
    "ack_wait",
    "max_deliver",
    "max_ack_pending",
    "backoff",
    "inactive_threshold",
    "filter_subjects",
];

/// A duration as written (`"250ms"`, `"1m30s"`) and its milliseconds.
#[derive(Clone)]
pub(crate) struct Millis {
    pub(crate) literal: LitStr,
    pub(crate) millis: u64,
}

impl Millis {
    pub(crate) fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let literal: LitStr = input.parse()?;
        let millis = parse_duration(&literal.value())
            .map_err(|reason| syn::Error::new(literal.span(), reason))?;
        Ok(Self { literal, millis })
    }

    /// The `Duration` expression, spanned at the literal.
    pub(crate) fn to_tokens(&self) -> TokenStream {
        let millis = self.millis;
        quote_spanned!(self.literal.span()=> ::core::time::Duration::from_millis(#millis))
    }
}

/// A list of string literals in brackets, and where it starts.
struct Listed<T> {
    span: Span,
    items: Vec<T>,
}

#[derive(Default)]
pub(crate) struct ConsumerArgs {
    deliver: Option<LitStr>,
    start_sequence: Option<LitInt>,
    ack_wait: Option<Millis>,
    max_deliver: Option<LitInt>,
    max_ack_pending: Option<LitInt>,
    backoff: Option<Listed<Millis>>,
    inactive_threshold: Option<Millis>,
    filter_subjects: Option<Listed<LitStr>>,
}

impl ConsumerArgs {
    /// Parses the value of option `key`, one of [`CONSUMER_KEYS`].
    pub(crate) fn option(&mut self, key: &Ident, input: ParseStream<'_>) -> syn::Result<()> {
        match key.to_string().as_str() {
            "deliver" => set(&mut self.deliver, key, input.parse()?),
            "start_sequence" => set(
                &mut self.start_sequence,
                key,
                at_least_one::<u64>(key, input)?,
            ),
            "ack_wait" => set(&mut self.ack_wait, key, Millis::parse(input)?),
            "max_deliver" => set(&mut self.max_deliver, key, at_least_one::<u64>(key, input)?),
            "max_ack_pending" => set(
                &mut self.max_ack_pending,
                key,
                at_least_one::<u64>(key, input)?,
            ),
            "backoff" => set(&mut self.backoff, key, listed(input, Millis::parse)?),
            "inactive_threshold" => set(&mut self.inactive_threshold, key, Millis::parse(input)?),
            "filter_subjects" => set(
                &mut self.filter_subjects,
                key,
                listed(input, |input| input.parse::<LitStr>())?,
            ),
            other => unreachable!("`{other}` is not a consumer option"),
        }
    }

    /// Where the first option given is, if any.
    pub(crate) fn first_span(&self) -> Option<Span> {
        [
            self.deliver.as_ref().map(LitStr::span),
            self.start_sequence.as_ref().map(LitInt::span),
            self.ack_wait.as_ref().map(|wait| wait.literal.span()),
            self.max_deliver.as_ref().map(LitInt::span),
            self.max_ack_pending.as_ref().map(LitInt::span),
            self.backoff.as_ref().map(|backoff| backoff.span),
            self.inactive_threshold
                .as_ref()
                .map(|threshold| threshold.literal.span()),
            self.filter_subjects.as_ref().map(|filters| filters.span),
        ]
        .into_iter()
        .flatten()
        .next()
    }

    /// Refuses what nats-server would refuse the consumer for, and filters the
    /// pattern does not cover.
    pub(crate) fn check(&self, pattern: &PatternSyntax) -> syn::Result<()> {
        if let Some(deliver) = &self.deliver
            && !DELIVER_POLICIES
                .iter()
                .any(|(name, _)| *name == deliver.value())
        {
            let known: Vec<&str> = DELIVER_POLICIES.iter().map(|(name, _)| *name).collect();
            return Err(syn::Error::new(
                deliver.span(),
                format!(
                    "unknown deliver policy; expected one of {}, or `start_sequence = N`",
                    known.join(", ")
                ),
            ));
        }
        if let (Some(deliver), Some(_)) = (&self.deliver, &self.start_sequence) {
            return Err(syn::Error::new(
                deliver.span(),
                "`start_sequence` is a deliver policy of its own: give one of `deliver` and `start_sequence`",
            ));
        }
        if let Some(backoff) = &self.backoff {
            if backoff.items.is_empty() {
                return Err(syn::Error::new(
                    backoff.span,
                    "`backoff` needs at least one step",
                ));
            }
            if let Some(ack_wait) = &self.ack_wait {
                return Err(syn::Error::new(
                    ack_wait.literal.span(),
                    "with `backoff`, the server waits the first step for an acknowledgement: leave out `ack_wait`",
                ));
            }
            if let Some(max_deliver) = &self.max_deliver
                && max_deliver.base10_parse::<usize>()? < backoff.items.len()
            {
                return Err(syn::Error::new(
                    max_deliver.span(),
                    format!(
                        "`max_deliver` must be at least the number of `backoff` steps ({}): the server refuses the consumer otherwise",
                        backoff.items.len()
                    ),
                ));
            }
            if let Some(zero) = backoff.items.iter().find(|step| step.millis == 0) {
                return Err(syn::Error::new(
                    zero.literal.span(),
                    "a backoff step must be longer than zero",
                ));
            }
        }
        if let Some(wait) = (self.ack_wait.iter())
            .chain(&self.inactive_threshold)
            .find(|wait| wait.millis == 0)
        {
            return Err(syn::Error::new(
                wait.literal.span(),
                "must be longer than zero",
            ));
        }
        if let Some(filters) = &self.filter_subjects {
            self.check_filters(filters, pattern)?;
        }
        Ok(())
    }

    fn check_filters(&self, filters: &Listed<LitStr>, pattern: &PatternSyntax) -> syn::Result<()> {
        if filters.items.is_empty() {
            return Err(syn::Error::new(
                filters.span,
                "`filter_subjects` needs at least one subject; leave it out to consume the pattern's",
            ));
        }
        for (index, filter) in filters.items.iter().enumerate() {
            let subject = filter.value();
            check_subscribe_subject(&subject).map_err(|reason| {
                syn::Error::new(filter.span(), format!("invalid filter subject: {reason}"))
            })?;
            if !contains(&pattern.subject, &subject) {
                return Err(syn::Error::new(
                    filter.span(),
                    format!(
                        "filter subject {subject:?} is not within the pattern's subject {:?}: \
                         every message consumed must match the pattern",
                        pattern.subject
                    ),
                ));
            }
            if let Some(other) = filters.items[..index].iter().find(|other| {
                contains(&other.value(), &subject) || contains(&subject, &other.value())
            }) {
                return Err(syn::Error::new(
                    filter.span(),
                    format!(
                        "filter subject {subject:?} overlaps {:?}: the server refuses filters that contain one another",
                        other.value()
                    ),
                ));
            }
        }
        Ok(())
    }

    /// The builder calls setting the options given.
    pub(crate) fn builder_calls(&self) -> TokenStream {
        let policy = quote!(::faststream_kv::jetstream::DeliverPolicy);
        let deliver = self.deliver.iter().map(|deliver| {
            let variant = DELIVER_POLICIES
                .iter()
                .find(|(name, _)| *name == deliver.value())
                .map_or("All", |(_, variant)| variant);
            let variant = Ident::new(variant, deliver.span());
            quote_spanned!(deliver.span()=> .deliver(#policy::#variant))
        });
        let start = (self.start_sequence.iter())
            .map(|start| quote!(.deliver(#policy::ByStartSequence(#start))));
        let ack_wait = self.ack_wait.iter().map(|wait| {
            let wait = wait.to_tokens();
            quote!(.ack_wait(#wait))
        });
        let max_deliver = (self.max_deliver.iter()).map(|max| quote!(.max_deliver(#max)));
        let max_ack_pending =
            (self.max_ack_pending.iter()).map(|max| quote!(.max_ack_pending(#max)));
        let backoff = self.backoff.iter().map(|backoff| {
            let steps = backoff.items.iter().map(Millis::to_tokens);
            quote!(.backoff([#(#steps),*]))
        });
        let inactive = self.inactive_threshold.iter().map(|threshold| {
            let threshold = threshold.to_tokens();
            quote!(.inactive_threshold(#threshold))
        });
        let filters = self.filter_subjects.iter().map(|filters| {
            let subjects = &filters.items;
            quote!(.filter_subjects([#(#subjects),*]))
        });
        quote! {
            #(#deliver)* #(#start)* #(#ack_wait)* #(#max_deliver)* #(#max_ack_pending)*
            #(#backoff)* #(#inactive)* #(#filters)*
        }
    }
}

/// `[item, item, ...]`.
fn listed<T>(
    input: ParseStream<'_>,
    item: fn(ParseStream<'_>) -> syn::Result<T>,
) -> syn::Result<Listed<T>> {
    let span = input.span();
    let content;
    bracketed!(content in input);
    let items = Punctuated::<T, Token![,]>::parse_terminated_with(&content, item)?;
    Ok(Listed {
        span,
        items: items.into_iter().collect(),
    })
}

/// `"1m30s"` -> 90 000: whole numbers each followed by `ms`, `s`, `m` or `h`.
fn parse_duration(text: &str) -> Result<u64, String> {
    let invalid = || {
        format!(
            "invalid duration {text:?}: write e.g. \"500ms\", \"30s\", \"5m\", \"1h\" or \"1m30s\""
        )
    };
    let mut rest = text.trim();
    if rest.is_empty() {
        return Err(invalid());
    }
    let mut total: u64 = 0;
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !c.is_ascii_digit())
            .ok_or_else(invalid)?;
        let number: u64 = rest[..digits].parse().map_err(|_| invalid())?;
        rest = &rest[digits..];
        let unit = rest
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(rest.len());
        let scale = match &rest[..unit] {
            "ms" => 1,
            "s" => 1_000,
            "m" => 60_000,
            "h" => 3_600_000,
            _ => return Err(invalid()),
        };
        rest = &rest[unit..];
        total = number
            .checked_mul(scale)
            .and_then(|millis| total.checked_add(millis))
            .ok_or_else(|| format!("duration {text:?} is too long"))?;
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::parse_duration;

    #[test]
    fn durations_read_as_written() {
        assert_eq!(parse_duration("250ms"), Ok(250));
        assert_eq!(parse_duration("30s"), Ok(30_000));
        assert_eq!(parse_duration("1m30s"), Ok(90_000));
        assert_eq!(parse_duration("2h"), Ok(7_200_000));
        for invalid in ["", "30", "s", "1.5s", "10 s", "3d", "-1s"] {
            assert!(parse_duration(invalid).is_err(), "{invalid:?}");
        }
    }
}
