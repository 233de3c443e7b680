//! `#[export]` on a function: the function stays as written (an ordinary function off wasm32,
//! tested natively), and on wasm32 a shim exports it under its own name with the ABI of
//! docs/abi.md, plus its interface record. On an enum it derives `GuestError`.

use proc_macro2::{Ident, TokenStream};
use quote::{format_ident, quote};
use syn::spanned::Spanned;
use syn::{FnArg, GenericParam, Item, ItemFn, Pat};

use crate::record;
use crate::types::{Output, Param};

pub fn expand(attr: TokenStream, item: TokenStream) -> syn::Result<TokenStream> {
    if !attr.is_empty() {
        return Err(syn::Error::new(
            attr.span(),
            "#[export] takes no arguments: the export is named after the function",
        ));
    }
    match syn::parse2::<Item>(item)? {
        Item::Fn(function) => function_export(&function),
        Item::Enum(item) => {
            let derived = crate::error::expand(&item.clone().into())?;
            Ok(quote! { #item #derived })
        }
        other => Err(syn::Error::new(
            other.span(),
            "#[export] goes on a free function (or on an error enum)",
        )),
    }
}

/// A parameter of the exported function.
struct Argument {
    name: Ident,
    param: Param,
}

fn function_export(function: &ItemFn) -> syn::Result<TokenStream> {
    let sig = &function.sig;
    let name = &sig.ident;
    check_signature(function)?;
    let arguments = sig
        .inputs
        .iter()
        .map(argument)
        .collect::<syn::Result<Vec<_>>>()?;
    let output = Output::parse(&sig.output)?;

    let mut wasm_params = Vec::new();
    let mut checks = Vec::new();
    let mut lends = Vec::new();
    for (index, Argument { name, param }) in arguments.iter().enumerate() {
        let index = index as u32;
        let len = format_ident!("{name}_len");
        match param {
            Param::Scalar(ty) => {
                let ty = format_ident!("{ty}");
                let wasm = if matches!(ty.to_string().as_str(), "u64" | "i64" | "f64") {
                    quote!(i64)
                } else {
                    quote!(i32)
                };
                wasm_params.push(quote!(#name: #wasm));
                checks.push(quote! { let #name = ::guest_sdk::abi::lift::<#ty>(#index, #name)?; });
            }
            Param::Slice { element, writable } => {
                let element = format_ident!("{element}");
                let method = if *writable {
                    quote!(slice_mut)
                } else {
                    quote!(slice)
                };
                wasm_params.push(quote!(#name: u32, #len: u32));
                checks
                    .push(quote! { let #name = __args.#method::<#element>(#index, #name, #len)?; });
                lends.push(quote! { let #name = __args.lend(#name)?; });
            }
            Param::Array(size) => {
                wasm_params.push(quote!(#name: u32));
                checks.push(quote! { let #name = __args.array::<#size>(#index, #name)?; });
                lends.push(quote! { let #name = __args.lend(#name)?; });
            }
            Param::Str => {
                wasm_params.push(quote!(#name: u32, #len: u32));
                checks.push(quote! { let #name = __args.str(#index, #name, #len)?; });
                lends.push(quote! { let #name = __args.lend(#name)?; });
            }
        }
    }
    // One place per pointer parameter, and one for the result record.
    let places = 1 + arguments.iter().filter(|a| a.param.is_pointer()).count();
    let names = arguments.iter().map(|a| &a.name);
    let export_name = name.to_string();
    let section = record::section(&interface(function, &arguments, &output));

    Ok(quote! {
        #function

        #[cfg(target_arch = "wasm32")]
        const _: () = {
            #[unsafe(export_name = #export_name)]
            extern "C" fn __wasmext_export(#(#wasm_params,)* __out: u32) -> i32 {
                ::guest_sdk::abi::status(|| {
                    let mut __args = ::guest_sdk::abi::Args::<_, #places>::wasm();
                    __args.record(__out)?;
                    #(#checks)*
                    #(#lends)*
                    let result = #name(#(#names),*);
                    Ok(__args.finish(result))
                })
            }

            #section
        };
    })
}

/// Refuses what has no meaning across the ABI, naming it.
fn check_signature(function: &ItemFn) -> syn::Result<()> {
    let sig = &function.sig;
    let refuse = |span: proc_macro2::Span, what: &str| {
        Err(syn::Error::new(
            span,
            format!("#[export] fn `{}`: {what}", sig.ident),
        ))
    };
    if let Some(token) = &sig.unsafety {
        return refuse(
            token.span(),
            "an exported function must be safe: the shim checks every argument instead",
        );
    }
    if let Some(token) = &sig.asyncness {
        return refuse(token.span(), "an exported function can't be async");
    }
    if let Some(token) = &sig.constness {
        return refuse(token.span(), "an exported function can't be const");
    }
    if let Some(abi) = &sig.abi {
        return refuse(abi.span(), "leave out `extern`: the macro writes the shim");
    }
    if let Some(variadic) = &sig.variadic {
        return refuse(variadic.span(), "an exported function can't be variadic");
    }
    if let Some(param) = sig
        .generics
        .params
        .iter()
        .find(|p| !matches!(p, GenericParam::Lifetime(_)))
    {
        return refuse(
            param.span(),
            "an exported function can't be generic (lifetimes are fine)",
        );
    }
    if let Some(clause) = &sig.generics.where_clause {
        return refuse(clause.span(), "an exported function takes no where clause");
    }
    Ok(())
}

fn argument(input: &FnArg) -> syn::Result<Argument> {
    let FnArg::Typed(typed) = input else {
        return Err(syn::Error::new(
            input.span(),
            "#[export] goes on a free function: no `self`",
        ));
    };
    let Pat::Ident(pat) = &*typed.pat else {
        return Err(syn::Error::new(
            typed.pat.span(),
            "a parameter of an exported function must be a plain name: it is the interface's name",
        ));
    };
    let name = pat.ident.clone();
    if pat.by_ref.is_some() || pat.subpat.is_some() || name.to_string().starts_with("__") {
        return Err(syn::Error::new(
            pat.span(),
            format!("parameter `{name}`: use a plain name not starting with `__`"),
        ));
    }
    let param = Param::parse(&typed.ty)
        .map_err(|err| syn::Error::new(err.span(), format!("parameter `{name}`: {err}")))?;
    Ok(Argument { name, param })
}

/// The function's interface record.
fn interface(function: &ItemFn, arguments: &[Argument], output: &Output) -> String {
    let params: Vec<(String, String)> = arguments
        .iter()
        .map(|a| (a.name.to_string(), a.param.spelling()))
        .collect();
    format!(
        "{{\"name\":{},\"doc\":{},\"params\":{},\"result\":{},\"error\":{}}}",
        record::string(&function.sig.ident.to_string()),
        record::string(&record::docs(&function.attrs)),
        record::named_list("type", params.iter().map(|(n, t)| (n.as_str(), t.as_str()))),
        record::string(&output.value),
        output
            .error
            .as_deref()
            .map_or_else(|| "null".to_owned(), record::string),
    )
}
