//! The attribute's arguments: `"pattern", queue = "...", max_workers = N, name = "..."`.

use syn::parse::{Parse, ParseStream};
use syn::{Ident, LitInt, LitStr, Token};

pub(crate) struct SubscriberArgs {
    pub(crate) pattern: LitStr,
    pub(crate) queue: Option<LitStr>,
    pub(crate) max_workers: Option<LitInt>,
    pub(crate) name: Option<LitStr>,
}

impl Parse for SubscriberArgs {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        if input.is_empty() {
            return Err(input.error(
                "#[subscriber] needs a subject pattern, e.g. #[subscriber(\"orders.{region}.created\")]",
            ));
        }
        let pattern: LitStr = input.parse()?;
        let mut args = SubscriberArgs {
            pattern,
            queue: None,
            max_workers: None,
            name: None,
        };
        while !input.is_empty() {
            input.parse::<Token![,]>()?;
            if input.is_empty() {
                break;
            }
            let key: Ident = input.parse()?;
            input.parse::<Token![=]>()?;
            match key.to_string().as_str() {
                "queue" => set(&mut args.queue, &key, input.parse()?)?,
                "name" => set(&mut args.name, &key, input.parse()?)?,
                "max_workers" => {
                    let workers: LitInt = input.parse()?;
                    if workers.base10_parse::<usize>()? == 0 {
                        return Err(syn::Error::new(
                            workers.span(),
                            "max_workers must be at least 1",
                        ));
                    }
                    set(&mut args.max_workers, &key, workers)?;
                }
                other => {
                    return Err(syn::Error::new(
                        key.span(),
                        format!(
                            "unknown #[subscriber] option `{other}`; expected `queue`, `max_workers` or `name`"
                        ),
                    ));
                }
            }
        }
        Ok(args)
    }
}

fn set<T>(slot: &mut Option<T>, key: &Ident, value: T) -> syn::Result<()> {
    if slot.is_some() {
        return Err(syn::Error::new(
            key.span(),
            format!("`{key}` is given twice"),
        ));
    }
    *slot = Some(value);
    Ok(())
}
