//! The types an exported function may take and return, read from its signature: how each is
//! passed (docs/abi.md) and its spelling in the interface.

use syn::spanned::Spanned;
use syn::{GenericArgument, PathArguments, ReturnType, Type};

/// Scalars: passed as one wasm value, returned in the record's slot.
pub const SCALARS: &[&str] = &[
    "bool", "u8", "u16", "u32", "u64", "i8", "i16", "i32", "i64", "f32", "f64",
];

/// Slice elements: the host's typed buffers.
pub const ELEMENTS: &[&str] = &["u8", "i32", "u32", "i64", "u64", "f32", "f64"];

/// How a parameter crosses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Param {
    /// One wasm value (`i32` or `i64`).
    Scalar(String),
    /// `&[T]` or `&mut [T]`: pointer and length in elements.
    Slice { element: String, writable: bool },
    /// `&[u8; N]`: a pointer.
    Array(usize),
    /// `&str`: pointer and length in bytes.
    Str,
}

impl Param {
    pub fn parse(ty: &Type) -> syn::Result<Self> {
        match ty {
            Type::Path(_) => {
                let name = plain_name(ty).filter(|n| SCALARS.contains(&n.as_str()));
                name.map(Param::Scalar).ok_or_else(|| unsupported(ty))
            }
            Type::Reference(reference) => {
                let writable = reference.mutability.is_some();
                match &*reference.elem {
                    Type::Slice(slice) => match plain_name(&slice.elem) {
                        Some(element) if ELEMENTS.contains(&element.as_str()) => {
                            Ok(Param::Slice { element, writable })
                        }
                        _ => Err(unsupported(ty)),
                    },
                    Type::Array(array) if !writable => {
                        let bytes = plain_name(&array.elem).is_some_and(|e| e == "u8");
                        let len = match &array.len {
                            syn::Expr::Lit(syn::ExprLit {
                                lit: syn::Lit::Int(len),
                                ..
                            }) => len.base10_parse::<usize>().ok(),
                            _ => None,
                        };
                        match len {
                            Some(len) if bytes && len > 0 => Ok(Param::Array(len)),
                            _ => Err(unsupported(ty)),
                        }
                    }
                    elem if !writable && plain_name(elem).is_some_and(|n| n == "str") => {
                        Ok(Param::Str)
                    }
                    _ => Err(unsupported(ty)),
                }
            }
            _ => Err(unsupported(ty)),
        }
    }

    /// The interface's spelling.
    pub fn spelling(&self) -> String {
        match self {
            Param::Scalar(name) => name.clone(),
            Param::Slice { element, writable } => {
                format!("&{}[{element}]", if *writable { "mut " } else { "" })
            }
            Param::Array(len) => format!("&[u8; {len}]"),
            Param::Str => "&str".into(),
        }
    }

    /// Whether it is passed as a pointer (it takes a place in `Args`).
    pub fn is_pointer(&self) -> bool {
        !matches!(self, Param::Scalar(_))
    }
}

/// A function's result: the value's spelling, and the error enum's name if it returns
/// `Result<T, E>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Output {
    pub value: String,
    pub error: Option<String>,
}

impl Output {
    pub fn parse(output: &ReturnType) -> syn::Result<Self> {
        let ty = match output {
            ReturnType::Default => {
                return Ok(Output {
                    value: "()".into(),
                    error: None,
                })
            }
            ReturnType::Type(_, ty) => &**ty,
        };
        if let Some([ok, err]) = generic_args("Result", ty).as_deref() {
            let error = plain_name(err).ok_or_else(|| {
                syn::Error::new(
                    err.span(),
                    "the error of `Result<T, E>` must be an enum's name",
                )
            })?;
            return Ok(Output {
                value: value(ok)?,
                error: Some(error),
            });
        }
        Ok(Output {
            value: value(ty)?,
            error: None,
        })
    }
}

/// The spelling of a result that is not a `Result`.
fn value(ty: &Type) -> syn::Result<String> {
    let scalar = |ty: &Type| plain_name(ty).filter(|n| SCALARS.contains(&n.as_str()));
    if let Type::Tuple(tuple) = ty {
        if tuple.elems.is_empty() {
            return Ok("()".into());
        }
    }
    if let Some(name) = scalar(ty) {
        return Ok(name);
    }
    if plain_name(ty).is_some_and(|n| n == "String") {
        return Ok("String".into());
    }
    if let Some([inner]) = generic_args("Option", ty).as_deref() {
        if let Some(name) = scalar(inner) {
            return Ok(format!("Option<{name}>"));
        }
    }
    if let Some([inner]) = generic_args("Vec", ty).as_deref() {
        if let Some(name) = plain_name(inner).filter(|n| ELEMENTS.contains(&n.as_str())) {
            return Ok(format!("Vec<{name}>"));
        }
    }
    Err(syn::Error::new(
        ty.span(),
        format!(
            "unsupported result type `{}`: use (), a scalar ({}), Option<scalar>, Vec<T> (T one of {}), \
             String, or Result<one of those, E> with E a #[derive(GuestError)] enum",
            text(ty),
            SCALARS.join(" "),
            ELEMENTS.join(" ")
        ),
    ))
}

/// The last segment's name of a path type without generic arguments (`u8`, `core::primitive::u8`).
fn plain_name(ty: &Type) -> Option<String> {
    let Type::Path(path) = ty else { return None };
    let last = path.path.segments.last()?;
    (path.qself.is_none() && last.arguments.is_none()).then(|| last.ident.to_string())
}

/// The type arguments of `Name<...>` (by the path's last segment).
fn generic_args<'a>(name: &str, ty: &'a Type) -> Option<Vec<&'a Type>> {
    let Type::Path(path) = ty else { return None };
    let last = path.path.segments.last()?;
    if last.ident != name || path.qself.is_some() {
        return None;
    }
    let PathArguments::AngleBracketed(args) = &last.arguments else {
        return None;
    };
    args.args
        .iter()
        .map(|arg| match arg {
            GenericArgument::Type(ty) => Some(ty),
            _ => None,
        })
        .collect()
}

fn unsupported(ty: &Type) -> syn::Error {
    syn::Error::new(
        ty.span(),
        format!(
            "unsupported type `{}`: use a scalar ({}), &[T] or &mut [T] (T one of {}), &[u8; N] or &str",
            text(ty),
            SCALARS.join(" "),
            ELEMENTS.join(" ")
        ),
    )
}

/// The type as written, without the token spacing of `to_string`.
pub fn text(ty: &Type) -> String {
    quote::ToTokens::to_token_stream(ty)
        .to_string()
        .replace(" < ", "<")
        .replace(" >", ">")
        .replace("& ", "&")
        .replace(" ;", ";")
        .replace("[ ", "[")
        .replace(" ]", "]")
}
