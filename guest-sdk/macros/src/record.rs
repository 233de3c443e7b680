//! The interface records: one JSON object per function or error enum, each followed by "\n", in
//! a `wasmext.interface` custom section (docs/abi.md has the format).

use proc_macro2::{Literal, TokenStream};
use quote::quote;
use syn::{Attribute, Expr, ExprLit, Lit, Meta};

/// A doc comment's text: its lines joined with "\n", one leading space stripped from each.
pub fn docs(attrs: &[Attribute]) -> String {
    let lines: Vec<String> = attrs
        .iter()
        .filter(|attr| attr.path().is_ident("doc"))
        .filter_map(|attr| match &attr.meta {
            Meta::NameValue(nv) => match &nv.value {
                Expr::Lit(ExprLit {
                    lit: Lit::Str(text),
                    ..
                }) => Some(text.value()),
                _ => None,
            },
            _ => None,
        })
        .flat_map(|text| {
            // `split`, not `lines`: an empty `///` line is an empty line of the text.
            text.split('\n')
                .map(|line| line.strip_prefix(' ').unwrap_or(line).to_owned())
                .collect::<Vec<_>>()
        })
        .collect();
    lines.join("\n")
}

/// A JSON string literal.
pub fn string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A JSON list of `{"name": ..., <key>: ...}` objects.
pub fn named_list<'a>(key: &str, items: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    let items: Vec<String> = items
        .into_iter()
        .map(|(name, value)| format!("{{\"name\":{},\"{key}\":{}}}", string(name), string(value)))
        .collect();
    format!("[{}]", items.join(","))
}

/// The static that puts `record` (one JSON object) into the section, on wasm32 only. In a
/// `const _` block: it needs no name the guest could collide with.
///
/// Not `#[used]`: on wasm32 rustc copies a `link_section` static's bytes into the custom section
/// whether or not the static survives, and `#[used]` would also keep the static itself, a second
/// copy of the record in the shipped data segment.
pub fn section(record: &str) -> TokenStream {
    let bytes = format!("{record}\n");
    let len = bytes.len();
    let literal = Literal::byte_string(bytes.as_bytes());
    quote! {
        #[unsafe(link_section = "wasmext.interface")]
        static INTERFACE: [u8; #len] = *#literal;
    }
}
