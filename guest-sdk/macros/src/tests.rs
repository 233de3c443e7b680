//! The macros' expansions, pretty-printed and compared with files under `src/expansions/`
//! (written by hand once, then reviewed on every change), and the errors for what they refuse.

use proc_macro2::TokenStream;
use quote::quote;

fn pretty(tokens: TokenStream) -> String {
    let file = syn::parse2::<syn::File>(tokens).expect("the expansion parses as items");
    prettyplease::unparse(&file)
}

fn export(item: TokenStream) -> syn::Result<String> {
    crate::export::expand(TokenStream::new(), item).map(pretty)
}

fn refusal(item: TokenStream) -> String {
    match crate::export::expand(TokenStream::new(), item) {
        Ok(tokens) => panic!("expected an error, got:\n{}", pretty(tokens)),
        Err(err) => err.to_string(),
    }
}

/// Compares with the expected file; `WASMEXT_BLESS=1` rewrites it instead.
fn expect(file: &str, actual: &str) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("src/expansions")
        .join(file);
    if std::env::var_os("WASMEXT_BLESS").is_some() {
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        expected == actual,
        "{} differs (WASMEXT_BLESS=1 rewrites it)\n--- expected\n{expected}\n--- actual\n{actual}",
        path.display()
    );
}

#[test]
fn slices_scalars_and_a_result_with_an_error() {
    let expansion = export(quote! {
        /// Deflates `data`.
        ///
        /// At "level" 0..=10.
        pub fn compress(data: &[u8], level: u8) -> Result<Vec<u8>, DeflateError> {
            todo!()
        }
    })
    .unwrap();
    expect("compress.rs", &expansion);
}

#[test]
fn every_parameter_kind() {
    let expansion = export(quote! {
        fn mix<'a>(
            flag: bool, small: i8, wide: u64, ratio: f32, precise: f64,
            words: &'a [u32], out: &mut [f64], key: &[u8; 32], name: &str,
        ) -> Option<i16> {
            None
        }
    })
    .unwrap();
    expect("mix.rs", &expansion);
}

#[test]
fn no_parameters_and_no_result() {
    expect(
        "tick.rs",
        &export(quote! {
            fn tick() {}
        })
        .unwrap(),
    );
}

#[test]
fn an_error_enum() {
    let expansion = export(quote! {
        /// Why inflating failed.
        #[derive(Debug)]
        pub enum InflateError {
            /// Not a DEFLATE stream.
            Corrupt,
            /// Longer than `max_size`.
            TooBig,
        }
    })
    .unwrap();
    expect("inflate_error.rs", &expansion);
}

#[test]
fn every_result_kind_is_spelled_for_the_interface() {
    for (ty, spelling) in [
        (quote!(()), "\\\"result\\\":\\\"()\\\""),
        (quote!(u64), "\\\"result\\\":\\\"u64\\\""),
        (quote!(Option<bool>), "\\\"result\\\":\\\"Option<bool>\\\""),
        (
            quote!(alloc::vec::Vec<i64>),
            "\\\"result\\\":\\\"Vec<i64>\\\"",
        ),
        (quote!(String), "\\\"result\\\":\\\"String\\\""),
        (
            quote!(Result<f32, Bad>),
            "\\\"result\\\":\\\"f32\\\",\\\"error\\\":\\\"Bad\\\"",
        ),
        (
            quote!(Result<(), Bad>),
            "\\\"result\\\":\\\"()\\\",\\\"error\\\":\\\"Bad\\\"",
        ),
    ] {
        let expansion = export(quote!(fn f() -> #ty { todo!() })).unwrap();
        assert!(
            expansion.contains(spelling),
            "{ty}: no {spelling} in\n{expansion}"
        );
    }
}

#[test]
fn docs_and_names_are_escaped_into_json() {
    let expansion = export(quote! {
        #[doc = " Quote \" backslash \\ tab \t"]
        #[doc = "no leading space"]
        fn f() {}
    })
    .unwrap();
    let expected = r#"\"doc\":\"Quote \\\" backslash \\\\ tab \\t\\nno leading space\""#;
    assert!(
        expansion.contains(expected),
        "no {expected} in\n{expansion}"
    );
}

#[test]
fn unsupported_parameters_are_named() {
    for (param, message) in [
        (
            quote!(data: Vec<u8>),
            "parameter `data`: unsupported type `Vec<u8>`",
        ),
        (quote!(n: usize), "parameter `n`: unsupported type `usize`"),
        (
            quote!(values: &[i16]),
            "parameter `values`: unsupported type `&[i16]`",
        ),
        (
            quote!(key: &mut [u8; 32]),
            "parameter `key`: unsupported type `&mut [u8; 32]`",
        ),
        (
            quote!(text: &mut str),
            "parameter `text`: unsupported type `&mut str`",
        ),
        (
            quote!(nums: &[u32; 4]),
            "parameter `nums`: unsupported type `&[u32; 4]`",
        ),
        (quote!(pair: (u8, u8)), "parameter `pair`: unsupported type"),
        (
            quote!(__hidden: u8),
            "parameter `__hidden`: use a plain name not starting with `__`",
        ),
        (quote!((a, b): (u8, u8)), "must be a plain name"),
    ] {
        let err = refusal(quote!(fn f(#param) {}));
        assert!(err.contains(message), "{param}: {err:?} lacks {message:?}");
    }
}

#[test]
fn unsupported_results_and_signatures_are_refused() {
    for (item, message) in [
        (
            quote!(
                fn f() -> Vec<u16> {
                    todo!()
                }
            ),
            "unsupported result type `Vec<u16>`",
        ),
        (
            quote!(
                fn f() -> Option<Vec<u8>> {
                    todo!()
                }
            ),
            "unsupported result type `Option<Vec<u8>>`",
        ),
        (
            quote!(
                fn f() -> &'static [u8] {
                    todo!()
                }
            ),
            "unsupported result type",
        ),
        (
            quote!(
                fn f() -> Result<u8, Box<str>> {
                    todo!()
                }
            ),
            "must be an enum's name",
        ),
        (
            quote!(
                unsafe fn f() {}
            ),
            "fn `f`: an exported function must be safe",
        ),
        (
            quote!(
                async fn f() {}
            ),
            "can't be async",
        ),
        (
            quote!(
                fn f<T>(x: u8) {}
            ),
            "can't be generic",
        ),
        (
            quote!(
                extern "C" fn f() {}
            ),
            "leave out `extern`",
        ),
        (
            quote!(
                struct S;
            ),
            "goes on a free function",
        ),
        (
            quote!(
                enum E {
                    A(u8),
                }
            ),
            "variant `A` has fields",
        ),
        (
            quote!(
                enum E {}
            ),
            "1 to 255 variants",
        ),
    ] {
        let err = refusal(item.clone());
        assert!(err.contains(message), "{item}: {err:?} lacks {message:?}");
    }
    let err = crate::export::expand(
        quote!(name = "x"),
        quote!(
            fn f() {}
        ),
    )
    .unwrap_err();
    assert!(err.to_string().contains("takes no arguments"), "{err}");
}

#[test]
fn a_type_error_points_at_the_parameter() {
    let item: syn::ItemFn = syn::parse2(quote!(
        fn f(good: u8, bad: char) {}
    ))
    .unwrap();
    let syn::FnArg::Typed(bad) = &item.sig.inputs[1] else {
        unreachable!()
    };
    let err = crate::export::expand(TokenStream::new(), quote!(#item)).unwrap_err();
    // Off a real compiler spans carry no positions; the message must still name the parameter.
    assert!(err.to_string().starts_with("parameter `bad`"), "{err}");
    let _ = bad;
}

#[test]
fn an_enum_with_too_many_variants_is_refused() {
    let variants = (0..256).map(|k| quote::format_ident!("V{k}"));
    let err = refusal(quote!(enum Big { #(#variants),* }));
    assert!(err.contains("1 to 255 variants"), "{err}");
}
