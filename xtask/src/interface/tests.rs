use super::*;

const COMPRESS: &str = r#"{"name":"compress","doc":"Deflates.","params":[{"name":"data","type":"&[u8]"},{"name":"level","type":"u8"}],"result":"Vec<u8>","error":"DeflateError"}"#;
const ERROR: &str =
    r#"{"name":"DeflateError","doc":"","variants":[{"name":"BadLevel","doc":"Above 10."}]}"#;

fn section(lines: &[&str]) -> Vec<u8> {
    lines
        .iter()
        .flat_map(|l| format!("{l}\n").into_bytes())
        .collect()
}

fn export(name: &str, signature: &str) -> ExportInfo {
    ExportInfo {
        name: name.into(),
        kind: "func".into(),
        signature: signature.into(),
    }
}

fn function(params: &[(&str, &str)], result: &str) -> Function {
    Function {
        name: "f".into(),
        doc: String::new(),
        params: params
            .iter()
            .map(|(name, ty)| Param {
                name: (*name).into(),
                ty: (*ty).into(),
            })
            .collect(),
        result: result.into(),
        error: None,
    }
}

#[test]
fn records_become_functions_and_errors() -> Result<()> {
    let interface = parse_section(&section(&[COMPRESS, ERROR]))?;
    interface.validate()?;
    assert_eq!(interface.functions.len(), 1);
    assert_eq!(interface.functions[0].params[1].ty, "u8");
    assert_eq!(
        interface.functions[0].error.as_deref(),
        Some("DeflateError")
    );
    assert_eq!(interface.errors[0].variants[0].doc, "Above 10.");
    // The manifest's form: functions and errors, `error` null when there is none.
    let json = serde_json::to_value(&interface)?;
    assert_eq!(json["functions"][0]["params"][0]["type"], "&[u8]");
    let plain = Interface {
        functions: vec![function(&[], "()")],
        errors: vec![],
    };
    assert!(serde_json::to_value(&plain)?["functions"][0]["error"].is_null());
    Ok(())
}

#[test]
fn every_type_lowers_as_the_abi_says() -> Result<()> {
    let all = function(
        &[
            ("a", "bool"),
            ("b", "u8"),
            ("c", "i16"),
            ("d", "u32"),
            ("e", "u64"),
            ("f", "i64"),
            ("g", "f32"),
            ("h", "f64"),
            ("i", "&[u8]"),
            ("j", "&mut [f64]"),
            ("k", "&[u8; 32]"),
            ("l", "&str"),
        ],
        "Option<u64>",
    );
    assert_eq!(
        signature(&all)?,
        "(i32, i32, i32, i32, i64, i64, i32, i64, i32, i32, i32, i32, i32, i32, i32, i32) -> i32"
    );
    assert_eq!(signature(&function(&[], "()"))?, "(i32) -> i32");
    for bad in [
        "usize",
        "&[u16]",
        "&mut [u8; 4]",
        "&[u8; 0]",
        "&[u8; x]",
        "&mut str",
        "Vec<u8>",
    ] {
        let err = signature(&function(&[("p", bad)], "()")).unwrap_err();
        assert!(
            err.to_string()
                .contains(&format!("parameter `p` has the unknown type `{bad}`")),
            "{bad}: {err}"
        );
    }
    Ok(())
}

#[test]
fn malformed_records_are_named() {
    let cases = [
        (
            r#"{"name":"f","params":[],"result":"Vec<u16>","error":null}"#,
            "function `f`: unknown result type `Vec<u16>`",
        ),
        (
            r#"{"name":"f","params":[{"name":"x","type":"char"}],"result":"()"}"#,
            "function `f`: parameter `x` has the unknown type `char`",
        ),
        (
            r#"{"name":"f","params":[],"result":"()","error":"Nope"}"#,
            "function `f`: its error `Nope`",
        ),
        (
            r#"{"name":"f","params":"x","result":"()"}"#,
            "the interface record of function `f`",
        ),
        (
            r#"{"name":"f","params":[],"result":"()","extra":1}"#,
            "the interface record of function `f`",
        ),
        (
            r#"{"name":"f-g","params":[],"result":"()"}"#,
            "function `f-g`",
        ),
        (
            r#"{"name":"bump_alloc","params":[],"result":"()"}"#,
            "the name is the arena's",
        ),
        (
            r#"{"name":"E","variants":[]}"#,
            "error enum `E` needs 1 to 255 variants",
        ),
        (
            r#"{"name":"f","params":[{"name":"x","type":"u8"},{"name":"x","type":"u8"}],"result":"()"}"#,
            "parameter `x` appears twice",
        ),
        ("not json", "not JSON"),
    ];
    for (line, message) in cases {
        let err = parse_section(&section(&[line])).and_then(|i| i.validate());
        let err = format!("{:#}", err.unwrap_err());
        assert!(err.contains(message), "{line}: {err:?} lacks {message:?}");
    }
    let twice = parse_section(&section(&[COMPRESS, ERROR, COMPRESS])).unwrap();
    let err = twice.validate().unwrap_err().to_string();
    assert!(
        err.contains("function `compress` is declared twice"),
        "{err}"
    );
}

#[test]
fn a_mismatched_export_type_names_the_function() -> Result<()> {
    let interface = parse_section(&section(&[COMPRESS, ERROR]))?;
    interface.check_exports(&[export("compress", "(i32, i32, i32, i32) -> i32")])?;
    for (exports, message) in [
        (vec![export("compress", "(i32, i32, i32) -> i32")], "function `compress`: the interface says the export's type is (i32, i32, i32, i32) -> i32, but it is (i32, i32, i32) -> i32"),
        (vec![export("compress", "(i32, i32, i64, i32) -> i32")], "function `compress`"),
        (vec![], "function `compress` is not exported"),
    ] {
        let err = interface.check_exports(&exports).unwrap_err().to_string();
        assert!(err.contains(message), "{err}");
    }
    Ok(())
}

#[test]
fn the_section_is_read_from_a_module() -> Result<()> {
    let mut module = wasm_encoder::Module::new();
    for part in [COMPRESS, ERROR] {
        module.section(&wasm_encoder::CustomSection {
            name: SECTION.into(),
            data: format!("{part}\n").into_bytes().into(),
        });
    }
    module.section(&wasm_encoder::CustomSection {
        name: "producers".into(),
        data: b"x"[..].into(),
    });
    let interface = read(&module.finish())?;
    assert_eq!(interface.functions[0].name, "compress");
    assert_eq!(interface.errors[0].name, "DeflateError");
    assert!(read(&wasm_encoder::Module::new().finish())?.is_empty());
    Ok(())
}
