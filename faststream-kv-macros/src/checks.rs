//! Compile-time checks of a handler against its pattern, each error at its span.

use syn::spanned::Spanned;
use syn::{FnArg, GenericArgument, ItemFn, LitStr, PathArguments, Type};

use crate::pattern_syntax::PatternSyntax;

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
            FnArg::Typed(argument) if last_segment_is(&argument.ty, "Path") => Some(&*argument.ty),
            _ => None,
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
        if let Some(Type::Tuple(tuple)) = path_target(path)
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

fn last_segment_is(ty: &Type, name: &str) -> bool {
    matches!(ty, Type::Path(path) if path.path.segments.last().is_some_and(|segment| segment.ident == name))
}

/// `T` in `Path<T>`.
fn path_target(ty: &Type) -> Option<&Type> {
    let Type::Path(path) = ty else { return None };
    let PathArguments::AngleBracketed(arguments) = &path.path.segments.last()?.arguments else {
        return None;
    };
    match arguments.args.first()? {
        GenericArgument::Type(target) => Some(target),
        _ => None,
    }
}
