//! The function prototypes of Monocypher's public headers, parsed at test time, and the wasm
//! signature clang's wasm32 C ABI gives each one.

use std::path::Path;

use wasmtime::{bail, format_err, Result};

/// The two public headers, relative to the `Monocypher/` directory.
pub const HEADERS: [&str; 2] = ["src/monocypher.h", "src/optional/monocypher-ed25519.h"];

#[derive(Debug)]
pub struct Prototype {
    pub name: String,
    /// The wasm signature, e.g. `(i32, i32, i64) -> i64`.
    pub wasm: String,
}

/// Every function declared in the public headers.
pub fn public_functions(source_dir: &Path) -> Result<Vec<Prototype>> {
    let mut all = Vec::new();
    for header in HEADERS {
        let path = source_dir.join(header);
        let text = std::fs::read_to_string(&path)
            .map_err(|err| format_err!("cannot read {}: {err}", path.display()))?;
        all.extend(prototypes(&text).map_err(|err| err.context(path.display().to_string()))?);
    }
    Ok(all)
}

/// The prototypes among a header's top-level declarations, as a C (not C++) compiler sees them.
fn prototypes(header: &str) -> Result<Vec<Prototype>> {
    let code = active_lines(&strip_comments(header))?;
    let mut prototypes = Vec::new();
    for statement in top_level_statements(&code) {
        let statement = statement.split_whitespace().collect::<Vec<_>>().join(" ");
        // Type definitions, and `extern const crypto_argon2_extras crypto_argon2_no_extras`.
        if statement.is_empty()
            || statement.starts_with("typedef")
            || statement.starts_with("extern")
        {
            continue;
        }
        prototypes.push(parse_prototype(&statement)?);
    }
    Ok(prototypes)
}

fn strip_comments(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix("//") {
            rest = after.find('\n').map_or("", |end| &after[end..]);
        } else if let Some(after) = rest.strip_prefix("/*") {
            rest = after.find("*/").map_or("", |end| &after[end + 2..]);
            out.push(' ');
        } else {
            let c = rest.chars().next().expect("rest is not empty");
            out.push(c);
            rest = &rest[c.len_utf8()..];
        }
    }
    out
}

/// Drops preprocessor lines and the branches a C compiler skips: nothing is predefined (no
/// `__cplusplus`, no `MONOCYPHER_CPP_NAMESPACE`), and `#ifndef` only guards includes.
fn active_lines(text: &str) -> Result<String> {
    // Per open conditional: (this branch is active, some branch was already taken).
    let mut stack: Vec<(bool, bool)> = Vec::new();
    let mut out = String::new();
    for line in text.lines() {
        let trimmed = line.trim_start();
        let Some(directive) = trimmed.strip_prefix('#') else {
            if stack.iter().all(|&(active, _)| active) {
                out.push_str(line);
                out.push('\n');
            }
            continue;
        };
        let mut words = directive.split_whitespace();
        match words.next() {
            Some("ifndef") => stack.push((true, true)),
            Some("ifdef") => stack.push((false, false)),
            Some("elif") => {
                let top = stack
                    .last_mut()
                    .ok_or_else(|| format_err!("#elif without #if"))?;
                if !directive.contains("defined(") {
                    bail!("unsupported conditional `#{directive}`");
                }
                top.0 = false;
            }
            Some("else") => {
                let top = stack
                    .last_mut()
                    .ok_or_else(|| format_err!("#else without #if"))?;
                *top = (!top.1, true);
            }
            Some("endif") => {
                stack
                    .pop()
                    .ok_or_else(|| format_err!("#endif without #if"))?;
            }
            Some("define" | "include") => {}
            _ => bail!("unsupported preprocessor line `{trimmed}`"),
        }
    }
    if !stack.is_empty() {
        bail!("unterminated conditional");
    }
    Ok(out)
}

/// Splits on `;` outside braces, so a `typedef struct {...} name;` stays one statement.
fn top_level_statements(code: &str) -> Vec<&str> {
    let mut statements = Vec::new();
    let (mut depth, mut start) = (0usize, 0);
    for (index, c) in code.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth = depth.saturating_sub(1),
            ';' if depth == 0 => {
                statements.push(&code[start..index]);
                start = index + 1;
            }
            _ => {}
        }
    }
    statements
}

fn parse_prototype(statement: &str) -> Result<Prototype> {
    let bad = || format_err!("not a function prototype: `{statement}`");
    let (head, rest) = statement.split_once('(').ok_or_else(bad)?;
    let params = rest.trim_end().strip_suffix(')').ok_or_else(bad)?;
    if params.contains('(') {
        bail!("function pointer parameters are not expected: `{statement}`");
    }
    let (result, name) = head.trim().rsplit_once(' ').ok_or_else(bad)?;
    let params: Vec<&str> = params.split(',').map(str::trim).collect();
    let wasm_params = if params == ["void"] {
        Vec::new()
    } else {
        params
            .iter()
            .map(|param| param_type(param))
            .collect::<Result<Vec<_>>>()?
    };
    let wasm_result = match result.trim() {
        "void" => "",
        "int" | "uint32_t" => "i32",
        "uint64_t" => "i64",
        other => bail!("{name}: unexpected result type `{other}`"),
    };
    Ok(Prototype {
        name: name.trim().to_owned(),
        wasm: signature(&wasm_params, wasm_result),
    })
}

/// The wasm type of one C parameter on wasm32.
fn param_type(param: &str) -> Result<&'static str> {
    if param.contains('*') || param.contains('[') {
        return Ok("i32");
    }
    let words: Vec<&str> = param
        .split_whitespace()
        .filter(|&word| word != "const")
        .collect();
    let [ty, _name] = words.as_slice() else {
        bail!("unexpected parameter `{param}`");
    };
    Ok(match *ty {
        "size_t" | "uint32_t" | "uint8_t" | "int" => "i32",
        "uint64_t" => "i64",
        // Structs of several fields passed by value travel as a pointer to a copy.
        "crypto_argon2_config" | "crypto_argon2_inputs" | "crypto_argon2_extras" => "i32",
        other => bail!("unexpected parameter type `{other}` in `{param}`"),
    })
}

pub fn signature(params: &[&str], result: &str) -> String {
    format!("({}) -> ({result})", params.join(", "))
}

#[test]
fn prototypes_follow_c_rules() -> Result<()> {
    let header = "#ifndef G\n#define G\n#ifdef __cplusplus\nextern \"C\" {\n#endif\n\
        // int ignored(void);\n typedef struct { int a; } s;\n\
        uint64_t f(uint8_t *out, const uint8_t k[32], size_t n, uint64_t c);\n\
        void g(crypto_argon2_config config);\n#ifdef __cplusplus\n}\n#endif\n#endif\n";
    let found = prototypes(header)?;
    let found: Vec<(&str, &str)> = found
        .iter()
        .map(|p| (p.name.as_str(), p.wasm.as_str()))
        .collect();
    assert_eq!(
        found,
        [("f", "(i32, i32, i32, i64) -> (i64)"), ("g", "(i32) -> ()")]
    );
    Ok(())
}
