//! Parsers for the test vectors shipped in Monocypher's tree, read at test time (nothing is copied
//! into this repository). Two sources:
//! - `tests/tis-ci-vectors.h`: C arrays `static const char *NAME_vectors[]={"hex", ...};` each
//!   followed by `static size_t nb_NAME_vectors=N;` (N counts strings, i.e. fields);
//! - `tests/gen/vectors/NAME`: the hand-picked official vectors, in the format upstream's
//!   `vector_to_header.c` reads: hex fields each ended by `:`, newlines and `#` comments between
//!   fields, nothing else.
//!
//! Both yield a flat list of fields per set; the replay groups them by the primitive's arity.

use std::collections::BTreeMap;
use std::path::Path;

use wasmtime::{bail, format_err, Result};

/// A vector set: its fields in order, hex-decoded.
pub type Fields = Vec<Vec<u8>>;

pub const TIS_CI_HEADER: &str = "tests/tis-ci-vectors.h";
pub const GEN_DIR: &str = "tests/gen/vectors";

/// Every set in `tests/tis-ci-vectors.h`, by name.
pub fn tis_ci_sets(source_dir: &Path) -> Result<BTreeMap<String, Fields>> {
    let path = source_dir.join(TIS_CI_HEADER);
    let text = read(&path)?;
    let mut sets = BTreeMap::new();
    let mut open: Option<(String, Fields)> = None;
    let mut unchecked: Option<(String, usize)> = None;
    for (index, line) in text.lines().enumerate() {
        let line = line.trim();
        let at = || format!("{}:{}", path.display(), index + 1);
        if let Some((name, fields)) = &mut open {
            if line == "};" {
                unchecked = Some((name.clone(), fields.len()));
                sets.insert(name.clone(), std::mem::take(fields));
                open = None;
            } else {
                let hex = line
                    .strip_prefix('"')
                    .and_then(|rest| rest.strip_suffix("\","))
                    .ok_or_else(|| {
                        format_err!("{}: expected a \"hex\", line, got {line:?}", at())
                    })?;
                fields.push(decode_hex(hex).map_err(|err| format_err!("{}: {err}", at()))?);
            }
        } else if let Some(rest) = line.strip_prefix("static const char *") {
            let name = rest
                .strip_suffix("_vectors[]={")
                .ok_or_else(|| format_err!("{}: unexpected array declaration {line:?}", at()))?;
            if let Some((pending, _)) = &unchecked {
                bail!("{}: set {pending} has no nb_{pending}_vectors count", at());
            }
            open = Some((name.to_owned(), Vec::new()));
        } else if let Some(rest) = line.strip_prefix("static size_t nb_") {
            let (name, count) = rest
                .strip_suffix(';')
                .and_then(|rest| rest.split_once("_vectors="))
                .ok_or_else(|| format_err!("{}: unexpected count line {line:?}", at()))?;
            let count: usize = count
                .parse()
                .map_err(|err| format_err!("{}: {err}", at()))?;
            match unchecked.take() {
                Some((pending, parsed)) if pending == name && parsed == count => {}
                Some((pending, parsed)) => bail!(
                    "{}: nb_{name}_vectors={count}, but set {pending} has {parsed} strings",
                    at()
                ),
                None => bail!("{}: count for {name} without its array", at()),
            }
        } else if line.starts_with("static") {
            bail!("{}: unexpected declaration {line:?}", at());
        }
    }
    if let Some((name, _)) = open {
        bail!("{}: set {name} is never closed", path.display());
    }
    if let Some((name, _)) = unchecked {
        bail!("{}: set {name} has no count", path.display());
    }
    Ok(sets)
}

/// Every file in `tests/gen/vectors/`, by name.
pub fn gen_sets(source_dir: &Path) -> Result<BTreeMap<String, Fields>> {
    let dir = source_dir.join(GEN_DIR);
    let mut sets = BTreeMap::new();
    for entry in std::fs::read_dir(&dir).map_err(|err| format_err!("{}: {err}", dir.display()))? {
        let path = entry?.path();
        let name = path
            .file_name()
            .and_then(|name| name.to_str())
            .ok_or_else(|| format_err!("{}: file name is not UTF-8", path.display()))?
            .to_owned();
        let fields =
            parse_gen(&read(&path)?).map_err(|err| format_err!("{}: {err}", path.display()))?;
        sets.insert(name, fields);
    }
    Ok(sets)
}

/// `vector_to_header.c`'s grammar: between fields, newlines and `#` comments (to end of line);
/// a field is hex digits ended by `:`.
fn parse_gen(text: &str) -> Result<Fields> {
    let mut fields = Vec::new();
    let mut line = 1;
    let mut chars = text.chars().peekable();
    loop {
        // Skip what may separate fields.
        loop {
            match chars.peek() {
                Some('\n') => {
                    line += 1;
                    chars.next();
                }
                Some('#') => while chars.next_if(|&c| c != '\n').is_some() {},
                _ => break,
            }
        }
        if chars.peek().is_none() {
            return Ok(fields);
        }
        let mut hex = String::new();
        loop {
            match chars.next() {
                Some(':') => break,
                Some(c) if c.is_ascii_hexdigit() => hex.push(c),
                Some(c) => bail!("line {line}: illegal character {c:?} in a field"),
                None => bail!("line {line}: last field has no closing ':'"),
            }
        }
        fields.push(decode_hex(&hex).map_err(|err| format_err!("line {line}: {err}"))?);
    }
}

/// The bytes of a `u8 NAME[32] = { 0x.., ... };` array in `tests/test.c` (upstream hard-codes a
/// few vectors there).
pub fn test_c_array(source_dir: &Path, name: &str) -> Result<Vec<u8>> {
    let path = source_dir.join("tests/test.c");
    let text = read(&path)?;
    let start = text
        .lines()
        .scan(0, |offset, line| {
            let here = *offset;
            *offset += line.len() + 1;
            Some((here, line))
        })
        .find(|(_, line)| {
            let mut words = line.split_whitespace();
            words.next() == Some("u8") && words.next() == Some(name) && line.contains("= {")
        })
        .map(|(offset, _)| offset)
        .ok_or_else(|| format_err!("{}: no `u8 {name}[..] = {{` array", path.display()))?;
    let body = &text[start..];
    let open = body.find('{').expect("the matched line has a brace") + 1;
    let close = body[open..]
        .find('}')
        .ok_or_else(|| format_err!("{}: array {name} is never closed", path.display()))?;
    body[open..open + close]
        .split(',')
        .map(str::trim)
        .filter(|token| !token.is_empty())
        .map(|token| {
            token
                .strip_prefix("0x")
                .and_then(|hex| u8::from_str_radix(hex, 16).ok())
                .ok_or_else(|| format_err!("{}: {name}: bad byte {token:?}", path.display()))
        })
        .collect()
}

pub fn decode_hex(hex: &str) -> Result<Vec<u8>> {
    let digits = hex
        .chars()
        .map(|c| {
            c.to_digit(16)
                .ok_or_else(|| format_err!("not a hex digit: {c:?}"))
        })
        .collect::<Result<Vec<u32>>>()?;
    if digits.len() % 2 != 0 {
        bail!("odd number of hex digits ({})", digits.len());
    }
    Ok(digits
        .chunks_exact(2)
        .map(|pair| (pair[0] * 16 + pair[1]) as u8)
        .collect())
}

fn read(path: &Path) -> Result<String> {
    std::fs::read_to_string(path)
        .map_err(|err| format_err!("cannot read {}: {err}", path.display()))
}

#[test]
fn gen_grammar_matches_vector_to_header() -> Result<()> {
    let fields = parse_gen("# comment\n\n00ff:\n:\n# another\nAbCd:\n")?;
    assert_eq!(fields, vec![vec![0x00, 0xff], vec![], vec![0xab, 0xcd]]);
    assert!(
        parse_gen("00 ff:").is_err(),
        "spaces are illegal inside fields"
    );
    assert!(parse_gen("0:").is_err(), "odd digit counts are rejected");
    assert!(parse_gen("00").is_err(), "a field needs its ':'");
    Ok(())
}
