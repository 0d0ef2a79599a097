//! Expansion of `#[subscriber]`: a unit struct named like the function that implements
//! `IntoSubscriber`; the function itself becomes its associated `call`, so a unit test
//! can call the handler's body directly (`on_order::call(Json(order), ...)`).

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{FnArg, ItemFn, ReturnType};

use crate::args::SubscriberArgs;
use crate::checks::{check_captures, check_signature};
use crate::publisher::take_publishers;
use faststream_kv_subject::parse_pattern;

pub(crate) fn expand(attr: TokenStream, item: TokenStream) -> syn::Result<TokenStream> {
    let args: SubscriberArgs = syn::parse2(attr)?;
    let mut function: ItemFn = syn::parse2(item)?;
    let stacked = take_publishers(&mut function)?;
    check_signature(&function)?;
    let pattern = parse_pattern(&args.pattern.value()).map_err(|reason| {
        syn::Error::new(
            args.pattern.span(),
            format!("invalid subscriber pattern: {reason}"),
        )
    })?;
    check_captures(&function, &pattern, &args.pattern)?;
    if let Some(stream) = &args.stream {
        stream.consumer.check(&pattern)?;
    }
    for publisher in args.publish.iter().chain(&stacked) {
        publisher.check_captures(&pattern)?;
    }

    let name = &function.sig.ident;
    let visibility = &function.vis;
    let docs = function
        .attrs
        .iter()
        .filter(|attr| attr.path().is_ident("doc"));
    let pattern_literal = &args.pattern;
    let handler_name = args
        .name
        .as_ref()
        .map_or_else(|| name.to_string(), syn::LitStr::value);
    let queue = args.queue.iter().map(|queue| quote!(.queue(#queue)));
    let publishers = args
        .publish
        .iter()
        .chain(&stacked)
        .map(crate::publisher::PublisherArgs::to_builder_call);
    // Spanned at the function's name, where the handler error points.
    let handler = quote_spanned!(name.span()=> #name::call);
    let constructor = match (&args.kv_watch, &args.stream) {
        (None, Some(stream)) => {
            let name = &stream.stream;
            let durable = stream
                .durable
                .iter()
                .map(|durable| quote!(.durable(#durable)));
            let ack = stream.ack_policy.iter().map(|(literal, variant)| {
                let variant: TokenStream = match &stream.nak_delay {
                    Some(delay) => {
                        let delay = delay.to_tokens();
                        quote!(NackOnError { delay: ::core::option::Option::Some(#delay) })
                    }
                    None => variant.parse().unwrap_or_default(),
                };
                quote_spanned!(literal.span()=> .ack_policy(::faststream_kv::jetstream::AckPolicy::#variant))
            });
            let consumer = stream.consumer.builder_calls();
            let declare = stream
                .declare
                .iter()
                .map(|declare| quote!(.declare(#declare)));
            let keep_alive = stream
                .keep_alive
                .iter()
                .filter(|keep_alive| keep_alive.value)
                .map(|keep_alive| quote_spanned!(keep_alive.span()=> .keep_alive()));
            let push = stream
                .push
                .iter()
                .filter(|push| push.value)
                .map(|push| quote_spanned!(push.span()=> .push()));
            let batch = stream.batch.iter().map(|batch| quote!(.batches(#batch)));
            quote! {
                ::faststream_kv::subscriber::Subscriber::stream(#name, #pattern_literal, #handler)
                    #(#durable)*
                    #consumer
                    #(#ack)*
                    #(#declare)*
                    #(#keep_alive)*
                    #(#push)*
                    #(#batch)*
            }
        }
        (None, None) => {
            quote!(::faststream_kv::subscriber::Subscriber::new(#pattern_literal, #handler))
        }
        (Some(bucket), _) => {
            let flags = &args.watch_flags;
            quote! {
                ::faststream_kv::subscriber::Subscriber::kv_watch(#bucket, #pattern_literal, #handler)
                    .watch_options(::faststream_kv::kv::WatchOptions {
                        #(#flags: true,)*
                        ..::core::default::Default::default()
                    })
            }
        }
    };
    let max_workers = args
        .max_workers
        .iter()
        .map(|workers| quote!(.max_workers(#workers)));
    let workers_by_key = match &args.workers_by_key {
        Some(key)
            if !pattern
                .captures
                .iter()
                .any(|capture| capture.name == key.value()) =>
        {
            return Err(syn::Error::new(
                key.span(),
                format!(
                    "`workers_by_key` names a capture: the pattern has no `{{{}}}`",
                    key.value()
                ),
            ));
        }
        Some(key) => Some(quote! {
            .workers_by_key(::faststream_kv::subscriber::OrderingKey::capture(#key))
        }),
        None => None,
    };
    let pending_limits =
        (args.pending_messages.is_some() || args.pending_bytes.is_some()).then(|| {
            let default = quote!(::faststream_kv::PendingLimits::DEFAULT);
            let messages = args
                .pending_messages
                .as_ref()
                .map_or_else(|| quote!(#default.messages()), |messages| quote!(#messages));
            let bytes = args
                .pending_bytes
                .as_ref()
                .map_or_else(|| quote!(#default.bytes()), |bytes| quote!(#bytes));
            quote!(.pending_limits(::faststream_kv::PendingLimits::new(#messages, #bytes)))
        });

    let typed: Vec<_> = function
        .sig
        .inputs
        .iter()
        .filter_map(|input| match input {
            FnArg::Typed(argument) => Some(argument),
            FnArg::Receiver(_) => None,
        })
        .collect();
    let labels = typed.iter().map(|argument| {
        let pat = &argument.pat;
        let ty = &argument.ty;
        normalize(&quote!(#pat: #ty).to_string())
    });
    let extractor_checks = typed.iter().map(|argument| {
        let ty = &argument.ty;
        quote_spanned! {ty.span()=>
            __assert_extractor::<#ty>();
        }
    });
    let reply_check = match &function.sig.output {
        ReturnType::Type(_, ty) if !matches!(**ty, syn::Type::ImplTrait(_)) => {
            quote_spanned! {ty.span()=>
                __assert_reply::<#ty>();
            }
        }
        _ => quote!(),
    };
    let probe_idents: Vec<_> = (0..typed.len())
        .map(|index| quote::format_ident!("__argument{}", index))
        .collect();
    let probe_types = typed.iter().map(|argument| &argument.ty);
    let send_check = quote_spanned! {function.sig.ident.span()=>
        #[allow(dead_code, clippy::too_many_arguments)]
        fn __assert_send_future(#(#probe_idents: #probe_types),*) {
            fn assert_send<T: ::core::marker::Send>(_: &T) {}
            let future = #name::call(#(#probe_idents),*);
            assert_send(&future);
        }
    };
    let description = doc_text(&function.attrs).map(|text| quote!(.description(#text)));
    let payload_probes = typed.iter().map(|argument| {
        let ty = &argument.ty;
        quote!(.or((&&__Probe::<#ty>::new()).describe()))
    });
    let reply_probe = match &function.sig.output {
        ReturnType::Type(_, ty) if !matches!(**ty, syn::Type::ImplTrait(_)) => {
            quote!(.or((&&__Probe::<#ty>::new()).describe()))
        }
        _ => quote!(),
    };
    let documented = quote! {
        .__documented(
            ::core::option::Option::<::faststream_kv::asyncapi::DescribePayload>::None
                #(#payload_probes)*,
            ::core::option::Option::<::faststream_kv::asyncapi::DescribePayload>::None
                #reply_probe,
        )
    };
    let mut call = function.clone();
    call.sig.ident = syn::Ident::new("call", function.sig.ident.span());
    call.attrs.retain(|attr| !attr.path().is_ident("doc"));
    let call_doc =
        format!(" The body of the `{name}` handler, callable directly (from a unit test, say).");

    Ok(quote! {
        #(#docs)*
        #[allow(non_camel_case_types)]
        #[derive(Clone, Copy, Debug)]
        #visibility struct #name;

        impl #name {
            #[doc = #call_doc]
            #[allow(clippy::too_many_arguments)]
            #call
        }

        impl ::faststream_kv::subscriber::IntoSubscriber for #name {
            fn into_subscriber(self) -> ::faststream_kv::subscriber::AnySubscriber {
                #[allow(dead_code)]
                fn __assert_extractor<T: ::faststream_kv::__private::FromMessage>() {}
                #[allow(dead_code)]
                fn __assert_reply<T: ::faststream_kv::__private::IntoReply>() {}
                #[allow(dead_code)]
                fn __checks() {
                    #(#extractor_checks)*
                    #reply_check
                }
                #send_check

                #[allow(unused_imports)]
                use ::faststream_kv::asyncapi::__probe::{
                    Described as _, Probe as __Probe, Undescribed as _,
                };
                let subscriber = #constructor
                    .name(#handler_name)
                    #description
                    #documented
                    .arguments(&[#(#labels),*])
                    #(#queue)*
                    #(#max_workers)*
                    #workers_by_key
                    #pending_limits
                    #(#publishers)*;
                ::faststream_kv::subscriber::IntoSubscriber::into_subscriber(subscriber)
            }
        }
    })
}

/// The doc comment's text, its lines' leading space removed; `None` without one.
fn doc_text(attrs: &[syn::Attribute]) -> Option<String> {
    let lines: Vec<String> = attrs
        .iter()
        .filter(|attr| attr.path().is_ident("doc"))
        .filter_map(|attr| match &attr.meta {
            syn::Meta::NameValue(syn::MetaNameValue {
                value:
                    syn::Expr::Lit(syn::ExprLit {
                        lit: syn::Lit::Str(text),
                        ..
                    }),
                ..
            }) => Some(text.value()),
            _ => None,
        })
        .map(|line| line.strip_prefix(' ').unwrap_or(&line).to_owned())
        .collect();
    let text = lines.join("\n").trim().to_owned();
    (!text.is_empty()).then_some(text)
}

/// `Ctx (stock) : Ctx < KeyValue >` (token spacing) -> `Ctx(stock): Ctx<KeyValue>`.
fn normalize(tokens: &str) -> String {
    let mut text = tokens.to_owned();
    for (from, to) in [
        (" (", "("),
        ("( ", "("),
        (" )", ")"),
        (" <", "<"),
        ("< ", "<"),
        (" >", ">"),
        (" :", ":"),
        (" ,", ","),
        ("& ", "&"),
        (" ::", "::"),
        (":: ", "::"),
    ] {
        text = text.replace(from, to);
    }
    text
}
