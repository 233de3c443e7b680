//! What makes a linker output a shippable artifact: exactly the declared exports, no custom
//! sections, and a validation that proves the ABI promises (no imports, no start function).

use std::collections::BTreeSet;
use std::fmt::Write as _;

use anyhow::{bail, Context, Result};
use wasmparser::{ExternalKind, Parser, Payload, ValType, Validator};

use crate::exports::ExportInfo;
use crate::guests::Guest;

/// Exports `wasm-ld` adds on its own; nobody declared them and no host should rely on them.
const LINKER_EXPORTS: &[&str] = &["__heap_base", "__data_end", "__indirect_function_table"];

/// Keeps the declared exports (and `memory`), drops the linker's, refuses anything else.
pub fn keep_declared_exports(wasm: &[u8], guest: &Guest) -> Result<Vec<u8>> {
    let mut found = BTreeSet::new();
    let mut undeclared = Vec::new();
    let mut exports = wasm_encoder::ExportSection::new();
    for payload in Parser::new(0).parse_all(wasm) {
        if let Payload::ExportSection(reader) = payload? {
            for export in reader {
                let export = export?;
                let declared =
                    export.name == "memory" || guest.exports.iter().any(|e| e == export.name);
                if declared {
                    found.insert(export.name.to_owned());
                    exports.export(export.name, encoder_kind(export.kind)?, export.index);
                } else if !LINKER_EXPORTS.contains(&export.name) {
                    undeclared.push(export.name.to_owned());
                }
            }
        }
    }
    if !undeclared.is_empty() {
        bail!(
            "guest `{}` exports {}, which its [package.metadata.wasmext] exports do not declare",
            guest.name,
            undeclared.join(", ")
        );
    }
    let missing: Vec<_> = guest
        .exports
        .iter()
        .filter(|e| !found.contains(*e))
        .cloned()
        .collect();
    if !missing.is_empty() {
        bail!(
            "guest `{}` declares exports that the linked module lacks: {} \
             (a Rust export needs `#[no_mangle] pub extern \"C\"`; a C one a `--export` link arg)",
            guest.name,
            missing.join(", ")
        );
    }
    rewrite(wasm, |id| match id {
        EXPORT_SECTION => Section::Replace(&exports),
        _ => Section::Keep,
    })
}

/// Drops every custom section (names, producers, target features, debug info): they only
/// cost bytes and leak build details.
pub fn strip_custom_sections(wasm: &[u8]) -> Result<Vec<u8>> {
    rewrite(wasm, |id| {
        if id == CUSTOM_SECTION {
            Section::Drop
        } else {
            Section::Keep
        }
    })
}

/// Validates the module and checks the ABI promises; returns the exports with signatures.
pub fn validate(wasm: &[u8], guest: &Guest) -> Result<Vec<ExportInfo>> {
    Validator::new()
        .validate_all(wasm)
        .with_context(|| format!("guest `{}` is not a valid WebAssembly module", guest.name))?;

    let mut func_types = Vec::new();
    let mut funcs = Vec::new();
    let mut memories = Vec::new();
    let mut exports = Vec::new();
    for payload in Parser::new(0).parse_all(wasm) {
        match payload? {
            Payload::ImportSection(reader) => {
                let imports: Vec<String> = reader
                    .into_imports()
                    .map(|import| import.map(|i| format!("{}::{}", i.module, i.name)))
                    .collect::<Result<_, _>>()?;
                if !imports.is_empty() {
                    bail!(
                        "guest `{}` imports {}: artifacts must import nothing \
                         (an unresolved C library call or a std dependency?)",
                        guest.name,
                        imports.join(", ")
                    );
                }
            }
            Payload::TypeSection(reader) => {
                for ty in reader.into_iter_err_on_gc_types() {
                    func_types.push(ty?);
                }
            }
            Payload::FunctionSection(reader) => {
                for ty in reader {
                    funcs.push(ty?);
                }
            }
            Payload::MemorySection(reader) => {
                for memory in reader {
                    memories.push(memory?);
                }
            }
            Payload::ExportSection(reader) => {
                for export in reader {
                    let export = export?;
                    exports.push((export.name.to_owned(), export.kind, export.index));
                }
            }
            Payload::StartSection { .. } => {
                bail!(
                    "guest `{}` has a start function: instantiation must run no code",
                    guest.name
                )
            }
            _ => {}
        }
    }

    let declared: BTreeSet<&str> = guest
        .exports
        .iter()
        .map(String::as_str)
        .chain(["memory"])
        .collect();
    let actual: BTreeSet<&str> = exports.iter().map(|(name, ..)| name.as_str()).collect();
    if declared != actual {
        bail!(
            "guest `{}` exports {actual:?}, expected exactly {declared:?}",
            guest.name
        );
    }

    exports
        .into_iter()
        .map(|(name, kind, index)| {
            let (kind, signature) = match kind {
                ExternalKind::Func => {
                    let ty = funcs
                        .get(index as usize)
                        .and_then(|t| func_types.get(*t as usize));
                    let ty = ty.context("export refers to a missing function type")?;
                    (
                        "func",
                        format!("({}) -> {}", types(ty.params()), results(ty.results())),
                    )
                }
                ExternalKind::Memory if name == "memory" => {
                    let memory = memories.get(index as usize).context("no such memory")?;
                    if memory.memory64 || memory.shared {
                        bail!(
                            "guest `{}`: `memory` must be a plain 32-bit memory",
                            guest.name
                        );
                    }
                    ("memory", format!("{} pages", memory.initial))
                }
                _ => bail!(
                    "guest `{}`: export `{name}` has an unexpected kind {kind:?}",
                    guest.name
                ),
            };
            Ok(ExportInfo {
                name,
                kind: kind.to_owned(),
                signature,
            })
        })
        .collect()
}

const CUSTOM_SECTION: u8 = 0;
const EXPORT_SECTION: u8 = 7;

enum Section<'a> {
    Keep,
    Drop,
    Replace(&'a wasm_encoder::ExportSection),
}

/// Re-emits the module section by section, copying the ones kept byte for byte.
fn rewrite<'a>(wasm: &[u8], decide: impl Fn(u8) -> Section<'a>) -> Result<Vec<u8>> {
    let mut module = wasm_encoder::Module::new();
    for payload in Parser::new(0).parse_all(wasm) {
        let payload = payload?;
        if let Payload::Version {
            encoding: wasmparser::Encoding::Component,
            ..
        } = payload
        {
            bail!("a component, not a core module");
        }
        let Some((id, range)) = payload.as_section() else {
            continue;
        };
        match decide(id) {
            Section::Keep => {
                module.section(&wasm_encoder::RawSection {
                    id,
                    data: &wasm[range],
                });
            }
            Section::Drop => {}
            Section::Replace(section) => {
                module.section(section);
            }
        }
    }
    Ok(module.finish())
}

fn encoder_kind(kind: ExternalKind) -> Result<wasm_encoder::ExportKind> {
    Ok(match kind {
        ExternalKind::Func | ExternalKind::FuncExact => wasm_encoder::ExportKind::Func,
        ExternalKind::Table => wasm_encoder::ExportKind::Table,
        ExternalKind::Memory => wasm_encoder::ExportKind::Memory,
        ExternalKind::Global => wasm_encoder::ExportKind::Global,
        ExternalKind::Tag => wasm_encoder::ExportKind::Tag,
    })
}

fn types(list: &[ValType]) -> String {
    let mut out = String::new();
    for (i, ty) in list.iter().enumerate() {
        let sep = if i == 0 { "" } else { ", " };
        let _ = write!(out, "{sep}{ty}");
    }
    out
}

fn results(list: &[ValType]) -> String {
    match list {
        [] => "()".to_owned(),
        [one] => one.to_string(),
        many => format!("({})", types(many)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn guest(exports: &[&str]) -> Guest {
        Guest {
            name: "t".into(),
            lib_name: "t".into(),
            exports: exports.iter().map(|e| e.to_string()).collect(),
            declared: Default::default(),
            ship: true,
            profile: crate::guests::Profile::DEFAULT,
        }
    }

    fn module(extra_section: bool) -> Vec<u8> {
        use wasm_encoder::*;
        let mut m = Module::new();
        let mut types = TypeSection::new();
        types
            .ty()
            .function([ValType::I32, ValType::I64], [ValType::I64]);
        m.section(&types);
        let mut funcs = FunctionSection::new();
        funcs.function(0);
        m.section(&funcs);
        let mut memory = MemorySection::new();
        memory.memory(MemoryType {
            minimum: 17,
            maximum: None,
            memory64: false,
            shared: false,
            page_size_log2: None,
        });
        m.section(&memory);
        let mut globals = GlobalSection::new();
        globals.global(
            GlobalType {
                val_type: ValType::I32,
                mutable: false,
                shared: false,
            },
            &ConstExpr::i32_const(1 << 20),
        );
        m.section(&globals);
        let mut exports = ExportSection::new();
        exports.export("f", ExportKind::Func, 0);
        exports.export("memory", ExportKind::Memory, 0);
        exports.export("__heap_base", ExportKind::Global, 0);
        m.section(&exports);
        let mut code = CodeSection::new();
        let mut f = Function::new([]);
        f.instructions().local_get(1).end();
        code.function(&f);
        m.section(&code);
        if extra_section {
            m.section(&CustomSection {
                name: "producers".into(),
                data: b"x"[..].into(),
            });
        }
        m.finish()
    }

    #[test]
    fn declared_exports_survive_and_linker_ones_go() -> Result<()> {
        let out = strip_custom_sections(&keep_declared_exports(&module(true), &guest(&["f"]))?)?;
        let exports = validate(&out, &guest(&["f"]))?;
        let names: Vec<_> = exports
            .iter()
            .map(|e| (e.name.as_str(), e.signature.as_str()))
            .collect();
        assert_eq!(names, [("f", "(i32, i64) -> i64"), ("memory", "17 pages")]);
        assert!(!String::from_utf8_lossy(&out).contains("producers"));
        Ok(())
    }

    #[test]
    fn undeclared_and_missing_exports_are_named() {
        let err = keep_declared_exports(&module(false), &guest(&[])).unwrap_err();
        assert!(err.to_string().contains("exports f,"), "{err}");
        let err = keep_declared_exports(&module(false), &guest(&["f", "g"])).unwrap_err();
        assert!(err.to_string().contains("lacks: g"), "{err}");
    }

    #[test]
    fn invalid_bytes_are_refused() {
        let err = validate(b"\0asm\x01\0\0\0\x01", &guest(&["f"])).unwrap_err();
        assert!(
            err.to_string().contains("not a valid WebAssembly module"),
            "{err}"
        );
    }
}
