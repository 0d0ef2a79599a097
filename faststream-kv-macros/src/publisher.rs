//! `#[publisher("subject")]`, `#[publisher("subject", stream)]` and
//! `#[publisher("subject", expected_stream = "STREAM")]` stacked with `#[subscriber]`:
//! where the handler's results are published. The subject may name `{captures}` of the
//! subscriber's pattern, checked here. `#[subscriber]` takes them off the function (in
//! either order: one above it moves itself below), and `publish = "subject"` in
//! `#[subscriber]` is the short form of the first.

use proc_macro2::TokenStream;
use quote::quote;
use syn::parse::{Parse, ParseStream};
use syn::{Attribute, Ident, ItemFn, LitStr, Token};

use faststream_kv_subject::{PatternSyntax, SubjectTemplate};

/// One publisher of a subscriber's results.
pub(crate) struct PublisherArgs {
    subject: LitStr,
    /// `None`: a core publish; `Some(None)`: a stream publish; `Some(Some(name))`: one
    /// that stream `name` must store.
    stream: Option<Option<LitStr>>,
}

impl PublisherArgs {
    /// A core publisher of `subject`, checked.
    pub(crate) fn subject(subject: LitStr) -> syn::Result<Self> {
        check(&subject)?;
        Ok(Self {
            subject,
            stream: None,
        })
    }

    /// The builder call adding it to a subscriber.
    pub(crate) fn to_builder_call(&self) -> TokenStream {
        let subject = &self.subject;
        let publisher = quote!(::faststream_kv::publisher::Publisher);
        match &self.stream {
            None => quote!(.publisher(#publisher::subject(#subject))),
            Some(None) => quote!(.publisher(#publisher::stream(#subject))),
            Some(Some(name)) => {
                quote!(.publisher(#publisher::stream(#subject).expected_stream(#name)))
            }
        }
    }

    /// Checks that each `{capture}` its subject names is one of `pattern`'s.
    pub(crate) fn check_captures(&self, pattern: &PatternSyntax) -> syn::Result<()> {
        let template = parse(&self.subject)?;
        let missing = template
            .captures()
            .find(|name| !pattern.captures.iter().any(|capture| capture.name == *name));
        match missing {
            Some(name) => Err(syn::Error::new(
                self.subject.span(),
                format!(
                    "publisher subject names `{{{name}}}`, which the subscriber's pattern does not capture"
                ),
            )),
            None => Ok(()),
        }
    }
}

fn check(subject: &LitStr) -> syn::Result<()> {
    parse(subject).map(drop)
}

/// `subject` as a publisher subject: its `{capture}`s are filled from the handled
/// message, and a brace that makes none is an error rather than a character sent.
fn parse(subject: &LitStr) -> syn::Result<SubjectTemplate> {
    SubjectTemplate::parse(&subject.value()).map_err(|reason| {
        syn::Error::new(
            subject.span(),
            format!("invalid publisher subject: {reason}"),
        )
    })
}

impl Parse for PublisherArgs {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        if !input.peek(LitStr) {
            return Err(input.error(
                "#[publisher] needs the subject to publish to, e.g. #[publisher(\"orders.billed\")]",
            ));
        }
        let subject: LitStr = input.parse()?;
        check(&subject)?;
        let mut stream = None;
        while !input.is_empty() {
            input.parse::<Token![,]>()?;
            if input.is_empty() {
                break;
            }
            let key: Ident = input.parse()?;
            let expected = if key == "stream" {
                if input.peek(Token![=]) {
                    return Err(syn::Error::new(
                        key.span(),
                        "`stream = \"NAME\"` would read as where the results go, but the subject decides that: \
                         write `expected_stream = \"NAME\"` to have the publish refused unless stream NAME stores it",
                    ));
                }
                None
            } else if key == "expected_stream" {
                input.parse::<Token![=]>()?;
                Some(input.parse()?)
            } else {
                return Err(syn::Error::new(
                    key.span(),
                    format!(
                        "unknown #[publisher] option `{key}`; expected `stream` or `expected_stream = \"STREAM\"`"
                    ),
                ));
            };
            match (&stream, expected) {
                (Some(Some(_)), _) | (Some(None), None) => {
                    return Err(syn::Error::new(
                        key.span(),
                        format!("`{key}` is given twice"),
                    ));
                }
                (_, expected) => stream = Some(expected),
            }
        }
        Ok(Self { subject, stream })
    }
}

/// Whether `attribute` is `#[publisher(...)]` (by any path).
fn is_named(attribute: &Attribute, name: &str) -> bool {
    attribute
        .path()
        .segments
        .last()
        .is_some_and(|segment| segment.ident == name)
}

/// Takes the `#[publisher]` attributes off `function`, parsed, in their order.
pub(crate) fn take_publishers(function: &mut ItemFn) -> syn::Result<Vec<PublisherArgs>> {
    let mut publishers = Vec::new();
    let mut kept = Vec::with_capacity(function.attrs.len());
    for attribute in function.attrs.drain(..) {
        if is_named(&attribute, "publisher") {
            publishers.push(attribute.parse_args()?);
        } else {
            kept.push(attribute);
        }
    }
    function.attrs = kept;
    Ok(publishers)
}

/// `#[publisher]` itself: above a `#[subscriber]`, it moves below it (where the
/// subscriber takes it); on a function without one, an error.
pub(crate) fn expand(attr: TokenStream, item: TokenStream) -> syn::Result<TokenStream> {
    let _checked: PublisherArgs = syn::parse2(attr.clone())?;
    let mut function: ItemFn = syn::parse2(item)?;
    if !function
        .attrs
        .iter()
        .any(|attribute| is_named(attribute, "subscriber"))
    {
        return Err(syn::Error::new(
            function.sig.ident.span(),
            "#[publisher] publishes a subscriber's results: put it with #[subscriber(...)] on the handler",
        ));
    }
    function
        .attrs
        .push(syn::parse_quote!(#[::faststream_kv::publisher(#attr)]));
    Ok(quote!(#function))
}
