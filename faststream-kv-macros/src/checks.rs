//! Compile-time checks of a handler against its pattern, each error at its span.

use syn::spanned::Spanned;
use syn::{FnArg, GenericArgument, ItemFn, LitStr, PathArguments, Type};

use faststream_kv_subject::PatternSyntax;

/// The function must be a plain `async fn` with owned extractor arguments.
pub(crate) fn check_signature(function: &ItemFn) -> syn::Result<()> {
    let signature = &function.sig;
    if signature.asyncness.is_none() {
        return Err(syn::Error::new(
            signature.fn_token.span(),
            "#[subscriber] handlers must be `async fn`",
        ));
    }
    if !signature.generics.params.is_empty() || signature.generics.where_clause.is_some() {
        return Err(syn::Error::new(
            signature.generics.span(),
            "#[subscriber] handlers cannot be generic; write one handler per concrete type",
        ));
    }
    for input in &signature.inputs {
        match input {
            FnArg::Receiver(receiver) => {
                return Err(syn::Error::new(
                    receiver.span(),
                    "#[subscriber] handlers are free functions; they cannot take `self`",
                ));
            }
            FnArg::Typed(argument) => match &*argument.ty {
                Type::Reference(reference) => {
                    return Err(syn::Error::new(
                        reference.span(),
                        "handler arguments must be owned extractors (e.g. `String`, not `&str`): the message outlives no borrow",
                    ));
                }
                Type::ImplTrait(impl_trait) => {
                    return Err(syn::Error::new(
                        impl_trait.span(),
                        "handler arguments cannot be `impl Trait`; name the extractor type",
                    ));
                }
                _ => {}
            },
        }
    }
    Ok(())
}

/// Every capture must be taken by a `Path` argument, and a `Path` needs captures.
pub(crate) fn check_captures(
    function: &ItemFn,
    pattern: &PatternSyntax,
    literal: &LitStr,
) -> syn::Result<()> {
    let paths: Vec<&Type> = function
        .sig
        .inputs
        .iter()
        .filter_map(|input| match input {
            FnArg::Typed(argument) => path_argument(&argument.ty),
            FnArg::Receiver(_) => None,
        })
        .collect();
    let captures = pattern.captures.len();
    if paths.is_empty() {
        if let Some(capture) = pattern.captures.first() {
            return Err(syn::Error::new(
                literal.span(),
                format!(
                    "capture `{{{}}}` is not used: add an argument like `Path({}): Path<String>`",
                    capture.name, capture.name
                ),
            ));
        }
        return Ok(());
    }
    for path in paths {
        if captures == 0 {
            return Err(syn::Error::new(
                path.span(),
                "`Path` takes `{name}` captures, but the pattern has none",
            ));
        }
        if let Some(Type::Tuple(tuple)) = first_type_argument(path)
            && tuple.elems.len() != captures
        {
            return Err(syn::Error::new(
                tuple.span(),
                format!(
                    "this `Path` takes {} values, but the pattern has {captures} capture(s)",
                    tuple.elems.len()
                ),
            ));
        }
    }
    Ok(())
}

/// The `Path<T>` an argument extracts: the argument itself, or the extractor inside an
/// `Option<Path<T>>` or `Result<Path<T>, _>` (which still take the captures).
fn path_argument(ty: &Type) -> Option<&Type> {
    match last_segment(ty)?.ident.to_string().as_str() {
        "Path" => Some(ty),
        "Option" | "Result" => path_argument(first_type_argument(ty)?),
        _ => None,
    }
}

fn last_segment(ty: &Type) -> Option<&syn::PathSegment> {
    let Type::Path(path) = ty else { return None };
    path.path.segments.last()
}

/// `T` in `Path<T>` (or the first type argument of any generic type).
fn first_type_argument(ty: &Type) -> Option<&Type> {
    let PathArguments::AngleBracketed(arguments) = &last_segment(ty)?.arguments else {
        return None;
    };
    match arguments.args.first()? {
        GenericArgument::Type(target) => Some(target),
        _ => None,
    }
}
