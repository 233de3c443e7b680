//! The macros of `guest_sdk`: `#[export]` turns a safe Rust function into a wasm export with the
//! ABI of docs/abi.md, and `#[derive(GuestError)]` makes a fieldless enum its error type. Both
//! record the interface (names, types, docs) in the custom section `wasmext.interface`, which
//! `cargo xtask build` reads into manifest.json and strips.
//!
//! The generated shims only call `guest_sdk::abi`, where the checks live and are tested.

use proc_macro::TokenStream;

mod error;
mod export;
mod record;
mod types;

#[cfg(test)]
mod tests;

/// Exports a function (or, on an enum, derives `GuestError`): see `guest_sdk::abi` and
/// docs/writing-a-guest.md.
#[proc_macro_attribute]
pub fn export(attr: TokenStream, item: TokenStream) -> TokenStream {
    export::expand(attr.into(), item.into())
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}

/// Makes a fieldless enum an error type of exported functions: variant `k` (declaration order)
/// becomes status `1 + k`, and the enum's docs go into the interface.
#[proc_macro_derive(GuestError)]
pub fn guest_error(item: TokenStream) -> TokenStream {
    syn::parse2(item.into())
        .and_then(|item| error::expand(&item))
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}
