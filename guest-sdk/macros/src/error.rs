//! `#[derive(GuestError)]`: a fieldless enum's variants become statuses `1 + k`.

use proc_macro2::TokenStream;
use quote::quote;
use syn::{Data, DeriveInput, Fields};

use crate::record;

/// At most this many variants: status `1 + k` must fit the `u8` code.
const MAX_VARIANTS: usize = 255;

pub fn expand(item: &DeriveInput) -> syn::Result<TokenStream> {
    let name = &item.ident;
    let Data::Enum(data) = &item.data else {
        return Err(syn::Error::new_spanned(
            name,
            "GuestError needs a fieldless enum",
        ));
    };
    if !item.generics.params.is_empty() {
        return Err(syn::Error::new_spanned(
            &item.generics,
            "an error enum takes no generic parameters",
        ));
    }
    if data.variants.is_empty() || data.variants.len() > MAX_VARIANTS {
        return Err(syn::Error::new_spanned(
            name,
            format!("an error enum needs 1 to {MAX_VARIANTS} variants"),
        ));
    }
    if let Some(variant) = data
        .variants
        .iter()
        .find(|v| !matches!(v.fields, Fields::Unit))
    {
        return Err(syn::Error::new_spanned(
            variant,
            format!(
                "variant `{}` has fields: error variants carry no data",
                variant.ident
            ),
        ));
    }
    let arms = data.variants.iter().enumerate().map(|(code, variant)| {
        let ident = &variant.ident;
        let code = code as u8;
        quote! { Self::#ident => #code }
    });
    let docs: Vec<(String, String)> = data
        .variants
        .iter()
        .map(|v| (v.ident.to_string(), record::docs(&v.attrs)))
        .collect();
    let json = format!(
        "{{\"name\":{},\"doc\":{},\"variants\":{}}}",
        record::string(&name.to_string()),
        record::string(&record::docs(&item.attrs)),
        record::named_list("doc", docs.iter().map(|(n, d)| (n.as_str(), d.as_str())))
    );
    let section = record::section(&json);
    Ok(quote! {
        impl ::guest_sdk::abi::GuestError for #name {
            fn code(&self) -> u8 {
                match self {
                    #(#arms,)*
                }
            }
        }

        #[cfg(target_arch = "wasm32")]
        const _: () = {
            #section
        };
    })
}
