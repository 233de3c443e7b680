//! A guest's interface: its functions' names, typed parameters, results and docs, and its error
//! enums (docs/abi.md). `#[guest_sdk::export]` records them in the custom section
//! `wasmext.interface` (one JSON object per line); a C guest declares the same records in its
//! Cargo.toml. The build checks them against the wasm exports' types and writes them into
//! manifest.json.

use std::collections::BTreeSet;

use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};
use wasmparser::{Parser, Payload};

use crate::exports::ExportInfo;

/// The custom section the macro writes; the build strips it from the shipped artifact.
pub const SECTION: &str = "wasmext.interface";

const SCALARS: &[&str] = &[
    "bool", "u8", "u16", "u32", "u64", "i8", "i16", "i32", "i64", "f32", "f64",
];
const ELEMENTS: &[&str] = &["u8", "i32", "u32", "i64", "u64", "f32", "f64"];

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Interface {
    pub functions: Vec<Function>,
    pub errors: Vec<ErrorEnum>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Function {
    pub name: String,
    #[serde(default)]
    pub doc: String,
    #[serde(default)]
    pub params: Vec<Param>,
    pub result: String,
    /// The error enum of a `Result<T, E>`, by name; `null` in JSON, left out in TOML.
    #[serde(default)]
    pub error: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Param {
    pub name: String,
    #[serde(rename = "type")]
    pub ty: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ErrorEnum {
    pub name: String,
    #[serde(default)]
    pub doc: String,
    pub variants: Vec<Variant>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Variant {
    pub name: String,
    #[serde(default)]
    pub doc: String,
}

/// The records in `wasm`'s `wasmext.interface` sections (none: an empty interface).
pub fn read(wasm: &[u8]) -> Result<Interface> {
    let mut text = Vec::new();
    for payload in Parser::new(0).parse_all(wasm) {
        if let Payload::CustomSection(section) = payload? {
            if section.name() == SECTION {
                text.extend_from_slice(section.data());
            }
        }
    }
    parse_section(&text)
}

/// The section's text: one JSON object per line, a function or (with `variants`) an error enum.
pub fn parse_section(text: &[u8]) -> Result<Interface> {
    let text = std::str::from_utf8(text).context("the interface section is not UTF-8")?;
    let mut interface = Interface::default();
    for line in text.lines().filter(|line| !line.trim().is_empty()) {
        let value: serde_json::Value = serde_json::from_str(line)
            .with_context(|| format!("an interface record is not JSON: {line}"))?;
        let name = value
            .get("name")
            .and_then(|n| n.as_str())
            .unwrap_or("<unnamed>")
            .to_owned();
        if value.get("variants").is_some() {
            let error = serde_json::from_value(value)
                .with_context(|| format!("the interface record of error enum `{name}`"))?;
            interface.errors.push(error);
        } else {
            let function = serde_json::from_value(value)
                .with_context(|| format!("the interface record of function `{name}`"))?;
            interface.functions.push(function);
        }
    }
    Ok(interface)
}

impl Interface {
    pub fn is_empty(&self) -> bool {
        self.functions.is_empty() && self.errors.is_empty()
    }

    /// Both interfaces' records (a guest may both declare and embed some).
    pub fn merged(mut self, other: Interface) -> Self {
        self.functions.extend(other.functions);
        self.errors.extend(other.errors);
        self
    }

    /// Checks every record: names, type spellings, and errors that name a declared enum.
    pub fn validate(&self) -> Result<()> {
        let mut errors = BTreeSet::new();
        for error in &self.errors {
            let what = || format!("error enum `{}`", error.name);
            check_identifier(&error.name).with_context(what)?;
            if !errors.insert(error.name.as_str()) {
                bail!("{} is declared twice", what());
            }
            if error.variants.is_empty() || error.variants.len() > 255 {
                bail!("{} needs 1 to 255 variants", what());
            }
            let mut variants = BTreeSet::new();
            for variant in &error.variants {
                check_identifier(&variant.name).with_context(what)?;
                if !variants.insert(&variant.name) {
                    bail!("{}: variant `{}` appears twice", what(), variant.name);
                }
            }
        }
        let mut functions = BTreeSet::new();
        for function in &self.functions {
            let what = || format!("function `{}`", function.name);
            check_identifier(&function.name).with_context(what)?;
            if !functions.insert(function.name.as_str()) {
                bail!("{} is declared twice", what());
            }
            if ["memory", "bump_alloc", "bump_reset"].contains(&function.name.as_str()) {
                bail!("{}: the name is the arena's", what());
            }
            let mut params = BTreeSet::new();
            for param in &function.params {
                check_identifier(&param.name).with_context(what)?;
                if !params.insert(&param.name) {
                    bail!("{}: parameter `{}` appears twice", what(), param.name);
                }
                if lowering(&param.ty).is_none() {
                    bail!(
                        "{}: parameter `{}` has the unknown type `{}`",
                        what(),
                        param.name,
                        param.ty
                    );
                }
            }
            if !is_result(&function.result) {
                bail!("{}: unknown result type `{}`", what(), function.result);
            }
            if let Some(error) = &function.error {
                if !errors.contains(error.as_str()) {
                    bail!("{}: its error `{error}` is not an error enum of the guest (#[derive(GuestError)])", what());
                }
            }
        }
        Ok(())
    }

    /// Checks each function against the export of its name: the wasm type must be its
    /// parameters' lowering, then the result record's pointer, returning the i32 status.
    pub fn check_exports(&self, exports: &[ExportInfo]) -> Result<()> {
        for function in &self.functions {
            let expected = signature(function)?;
            let Some(export) = exports.iter().find(|e| e.name == function.name) else {
                bail!("function `{}` is not exported", function.name);
            };
            if export.kind != "func" || export.signature != expected {
                bail!(
                    "function `{}`: the interface says the export's type is {expected}, but it is {}",
                    function.name,
                    export.signature
                );
            }
        }
        Ok(())
    }
}

/// The wasm type a function's record implies, spelled as `ExportInfo::signature`.
pub fn signature(function: &Function) -> Result<String> {
    let mut values = Vec::new();
    for param in &function.params {
        values.extend_from_slice(lowering(&param.ty).with_context(|| {
            format!(
                "function `{}`: parameter `{}` has the unknown type `{}`",
                function.name, param.name, param.ty
            )
        })?);
    }
    values.push("i32");
    Ok(format!("({}) -> i32", values.join(", ")))
}

/// The wasm values that carry a parameter of type `ty` (docs/abi.md), if `ty` is one.
fn lowering(ty: &str) -> Option<&'static [&'static str]> {
    const ONE_I32: &[&str] = &["i32"];
    const ONE_I64: &[&str] = &["i64"];
    const POINTER_AND_LEN: &[&str] = &["i32", "i32"];
    match ty {
        "u64" | "i64" | "f64" => return Some(ONE_I64),
        "&str" => return Some(POINTER_AND_LEN),
        _ if SCALARS.contains(&ty) => return Some(ONE_I32),
        _ => {}
    }
    if let Some(len) = ty
        .strip_prefix("&[u8; ")
        .and_then(|rest| rest.strip_suffix(']'))
    {
        let decimal = !len.is_empty() && len.bytes().all(|b| b.is_ascii_digit());
        return (decimal && !len.starts_with('0')).then_some(ONE_I32);
    }
    let element = ty
        .strip_prefix("&mut [")
        .or_else(|| ty.strip_prefix("&["))
        .and_then(|rest| rest.strip_suffix(']'))?;
    ELEMENTS.contains(&element).then_some(POINTER_AND_LEN)
}

fn is_result(ty: &str) -> bool {
    let inside = |prefix: &str| {
        ty.strip_prefix(prefix)
            .and_then(|rest| rest.strip_suffix('>'))
    };
    ty == "()"
        || ty == "String"
        || SCALARS.contains(&ty)
        || inside("Option<").is_some_and(|s| SCALARS.contains(&s))
        || inside("Vec<").is_some_and(|e| ELEMENTS.contains(&e))
}

/// Names become Python attributes and exception classes: ASCII identifiers.
fn check_identifier(name: &str) -> Result<()> {
    let mut chars = name.chars();
    let first = chars.next();
    let ok = first.is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !ok {
        bail!("`{name}` is not an identifier");
    }
    Ok(())
}

#[cfg(test)]
mod tests;
