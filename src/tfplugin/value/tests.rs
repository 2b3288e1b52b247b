//! Codec tests: hand-written wire bytes (what Terraform sends and what it must get back), round
//! trips, and property tests (random typed values round-trip; random or damaged bytes never
//! panic; oversized length headers fail without allocating).

use std::collections::BTreeMap;

use proptest::prelude::*;

use super::number::number_from_text;
use super::{CodecError, MAX_DEPTH, Number, Type, Value, json, msgpack};

// ---------------------------------------------------------------------------------------------
// Helpers

fn obj(attrs: &[(&str, Type)]) -> Type {
    Type::Object(
        attrs
            .iter()
            .map(|(k, t)| (k.to_string(), t.clone()))
            .collect(),
    )
}

fn list(t: Type) -> Type {
    Type::List(Box::new(t))
}

fn map(t: Type) -> Type {
    Type::Map(Box::new(t))
}

fn int(i: i64) -> Value {
    Value::Number(Number::Int(i))
}

fn dec(text: &str) -> Value {
    Value::Number(Number::Decimal(text.to_string()))
}

fn dynamic(t: Type, v: Value) -> Value {
    Value::Dynamic(t, Box::new(v))
}

/// msgpack str header + bytes (short strings only).
fn mp_str(s: &str) -> Vec<u8> {
    assert!(s.len() < 32);
    let mut out = vec![0xa0 | s.len() as u8];
    out.extend_from_slice(s.as_bytes());
    out
}

/// msgpack bin8 header + bytes.
fn mp_bin(s: &str) -> Vec<u8> {
    let mut out = vec![0xc4, s.len() as u8];
    out.extend_from_slice(s.as_bytes());
    out
}

fn cat(parts: &[&[u8]]) -> Vec<u8> {
    parts.concat()
}

fn mp_ok(ty: &Type, bytes: &[u8]) -> Value {
    match msgpack::decode(ty, bytes) {
        Ok(v) => v,
        Err(e) => panic!("decode {ty} from {bytes:02x?}: {e}"),
    }
}

fn mp_err(ty: &Type, bytes: &[u8]) -> CodecError {
    match msgpack::decode(ty, bytes) {
        Ok(v) => panic!("decode {ty} from {bytes:02x?} should fail, got {v:?}"),
        Err(e) => e,
    }
}

fn enc_ok(ty: &Type, v: &Value) -> Vec<u8> {
    match msgpack::encode(ty, v) {
        Ok(b) => b,
        Err(e) => panic!("encode {v:?} as {ty}: {e}"),
    }
}

fn enc_err(ty: &Type, v: &Value) -> CodecError {
    match msgpack::encode(ty, v) {
        Ok(b) => panic!("encode {v:?} as {ty} should fail, got {b:02x?}"),
        Err(e) => e,
    }
}

fn json_ok(ty: &Type, text: &str) -> Value {
    match json::decode(ty, text.as_bytes()) {
        Ok(v) => v,
        Err(e) => panic!("decode {ty} from {text}: {e}"),
    }
}

fn json_err(ty: &Type, text: &str) -> CodecError {
    match json::decode(ty, text.as_bytes()) {
        Ok(v) => panic!("decode {ty} from {text} should fail, got {v:?}"),
        Err(e) => e,
    }
}

fn json_enc(ty: &Type, v: &Value) -> String {
    match json::encode(ty, v) {
        Ok(b) => String::from_utf8(b).expect("JSON output is UTF-8"),
        Err(e) => panic!("encode {v:?} as {ty}: {e}"),
    }
}

// ---------------------------------------------------------------------------------------------
// Type JSON

#[test]
fn type_json_round_trips_every_kind() {
    let ty = obj(&[
        ("s", Type::String),
        ("n", Type::Number),
        ("b", Type::Bool),
        ("d", Type::Dynamic),
        ("l", list(Type::String)),
        ("set", Type::Set(Box::new(Type::Number))),
        ("m", map(Type::Bool)),
        ("t", Type::Tuple(vec![Type::String, Type::Number])),
        ("e", Type::Tuple(vec![])),
        ("o", obj(&[])),
        ("we\"ird", Type::String),
    ]);
    let text = ty.to_json();
    assert_eq!(
        text,
        r#"["object",{"b":"bool","d":"dynamic","e":["tuple",[]],"l":["list","string"],"m":["map","bool"],"n":"number","o":["object",{}],"s":"string","set":["set","number"],"t":["tuple",["string","number"]],"we\"ird":"string"}]"#
    );
    assert_eq!(Type::from_json(text.as_bytes()), Ok(ty));
}

#[test]
fn type_json_accepts_whitespace_and_optional_attribute_list() {
    assert_eq!(
        Type::from_json(br#" [ "object" , { "a" : "string", "b": ["list","number"] }, ["b"] ] "#),
        Ok(obj(&[("a", Type::String), ("b", list(Type::Number))]))
    );
}

#[test]
fn type_json_rejects_malformed_types() {
    for bad in [
        r#""str""#,
        r#"["list"]"#,
        r#"["list","string","x"]"#,
        r#"["set",["map"]]"#,
        r#"["object",["a"]]"#,
        r#"["object",{"a":"string"},[],1]"#,
        r#"["tuple","string"]"#,
        r#"["frob","string"]"#,
        r#"[]"#,
        r#"{"a":"string"}"#,
        r#"["object",{"a":"string","a":"number"}]"#,
        r#"7"#,
        r#""string" x"#,
    ] {
        assert!(Type::from_json(bad.as_bytes()).is_err(), "{bad} accepted");
    }
}

// ---------------------------------------------------------------------------------------------
// msgpack decode: unknowns

#[test]
fn plain_unknown_at_root_of_every_type() {
    for ty in [
        Type::String,
        Type::Number,
        Type::Bool,
        Type::Dynamic,
        list(Type::String),
        map(Type::Number),
        obj(&[("a", Type::String)]),
        Type::Tuple(vec![Type::Bool]),
    ] {
        assert_eq!(mp_ok(&ty, &msgpack::UNKNOWN), Value::Unknown, "{ty}");
    }
}

#[test]
fn refined_unknown_at_root() {
    // ext8, len 7, type 12, body {1: false, 2: "ab"}: not null, prefix "ab".
    let refined_string = [0xc7, 0x07, 0x0c, 0x82, 0x01, 0xc2, 0x02, 0xa2, b'a', b'b'];
    assert_eq!(mp_ok(&Type::String, &refined_string), Value::Unknown);
    // ext8, len 5, type 12, body {5: 1, 6: 3}: a list of 1 to 3 elements.
    let refined_list = [0xc7, 0x05, 0x0c, 0x82, 0x05, 0x01, 0x06, 0x03];
    assert_eq!(mp_ok(&list(Type::String), &refined_list), Value::Unknown);
    // fixext4, type 12, body {5: 1} and one byte of padding (cty ignores trailing body bytes).
    let padded = [0xd6, 0x0c, 0x81, 0x05, 0x01, 0x00];
    assert_eq!(mp_ok(&map(Type::String), &padded), Value::Unknown);
}

#[test]
fn refinements_never_fail_decoding() {
    // A prefix refinement on a number (cty would refuse), garbage bodies, an oversized body,
    // other extension codes: all are simply unknown.
    let odd: Vec<Vec<u8>> = vec![
        vec![0xc7, 0x04, 0x0c, 0x81, 0x02, 0xa1, b'x'],
        vec![0xc7, 0x03, 0x0c, 0xff, 0xff, 0xff],
        vec![0xd4, 0x0c, 0xc1],
        [&[0xc8, 0x08, 0x00, 0x0c][..], &[0x90; 2048]].concat(),
        vec![0xd5, 0x05, 0x01, 0x02],
        vec![0xd8, 0x7f, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
        vec![0xc7, 0x00, 0x0c],
        vec![0xc9, 0x00, 0x00, 0x00, 0x01, 0x80, 0x00],
    ];
    for bytes in odd {
        assert_eq!(mp_ok(&Type::Number, &bytes), Value::Unknown, "{bytes:02x?}");
    }
}

#[test]
fn unknowns_nested_in_every_container() {
    let ty = obj(&[
        ("l", list(Type::Number)),
        ("m", map(Type::String)),
        ("o", obj(&[("x", Type::Bool)])),
        ("t", Type::Tuple(vec![Type::String, Type::Number])),
        ("d", Type::Dynamic),
        ("dd", Type::Dynamic),
    ]);
    // Number bound refinement {3: [0, true]} in an ext8.
    let refined_number: &[u8] = &[0xc7, 0x05, 0x0c, 0x81, 0x03, 0x92, 0x00, 0xc3];
    let bytes = cat(&[
        &[0x86],
        &mp_str("d"),
        &msgpack::UNKNOWN,
        &mp_str("dd"),
        // A dynamic value whose concrete type is known but whose value is unknown.
        &[0x92],
        &mp_bin("\"string\""),
        &msgpack::UNKNOWN,
        &mp_str("l"),
        &[0x93, 0x01],
        &msgpack::UNKNOWN,
        refined_number,
        &mp_str("m"),
        &[0x81],
        &mp_str("k"),
        &[0xd4, 0x00, 0x00],
        &mp_str("o"),
        &[0x81],
        &mp_str("x"),
        &[0xd4, 0x03, 0x00],
        &mp_str("t"),
        &[0x92],
        &msgpack::UNKNOWN,
        &[0x07],
    ]);
    let v = mp_ok(&ty, &bytes);
    assert_eq!(
        v,
        Value::object([
            ("d", Value::Unknown),
            ("dd", dynamic(Type::String, Value::Unknown)),
            (
                "l",
                Value::List(vec![int(1), Value::Unknown, Value::Unknown])
            ),
            ("m", Value::object([("k", Value::Unknown)])),
            ("o", Value::object([("x", Value::Unknown)])),
            ("t", Value::List(vec![Value::Unknown, int(7)])),
        ])
    );
    assert!(!v.is_wholly_known());
}

// ---------------------------------------------------------------------------------------------
// msgpack decode: numbers and strings

#[test]
fn every_integer_width() {
    let cases: Vec<(Vec<u8>, Number)> = vec![
        (vec![0x05], Number::Int(5)),
        (vec![0x7f], Number::Int(127)),
        (vec![0xff], Number::Int(-1)),
        (vec![0xe0], Number::Int(-32)),
        (vec![0xcc, 0xff], Number::Int(255)),
        (vec![0xcd, 0x01, 0x00], Number::Int(256)),
        (vec![0xce, 0x00, 0x01, 0x00, 0x00], Number::Int(65536)),
        (vec![0xcf, 0, 0, 0, 0, 0, 0, 0, 5], Number::Int(5)),
        (
            vec![0xcf, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
            Number::Int(i64::MAX),
        ),
        (vec![0xcf, 0x80, 0, 0, 0, 0, 0, 0, 0], Number::UInt(1 << 63)),
        (
            vec![0xcf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
            Number::UInt(u64::MAX),
        ),
        (vec![0xd0, 0x80], Number::Int(-128)),
        (vec![0xd0, 0x05], Number::Int(5)),
        (vec![0xd1, 0x80, 0x00], Number::Int(-32768)),
        (
            vec![0xd2, 0x80, 0x00, 0x00, 0x00],
            Number::Int(i64::from(i32::MIN)),
        ),
        (vec![0xd3, 0x80, 0, 0, 0, 0, 0, 0, 0], Number::Int(i64::MIN)),
        (
            vec![0xd3, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe],
            Number::Int(-2),
        ),
    ];
    for (bytes, want) in cases {
        assert_eq!(
            mp_ok(&Type::Number, &bytes),
            Value::Number(want),
            "{bytes:02x?}"
        );
    }
}

#[test]
fn floats_32_and_64() {
    let f32_bytes = |f: f32| cat(&[&[0xca], &f.to_be_bytes()]);
    let f64_bytes = |f: f64| cat(&[&[0xcb], &f.to_be_bytes()]);
    assert_eq!(
        mp_ok(&Type::Number, &f32_bytes(1.5)),
        Value::Number(Number::Float(1.5))
    );
    // Whole floats are exact integers.
    assert_eq!(mp_ok(&Type::Number, &f32_bytes(3.0)), int(3));
    assert_eq!(mp_ok(&Type::Number, &f64_bytes(-42.0)), int(-42));
    assert_eq!(
        mp_ok(&Type::Number, &f64_bytes(0.1)),
        Value::Number(Number::Float(0.1))
    );
    assert_eq!(
        mp_ok(&Type::Number, &f64_bytes(f64::INFINITY)),
        Value::Number(Number::Float(f64::INFINITY))
    );
    assert_eq!(
        mp_ok(&Type::Number, &f32_bytes(f32::NEG_INFINITY)),
        Value::Number(Number::Float(f64::NEG_INFINITY))
    );
    let err = mp_err(&Type::Number, &f64_bytes(f64::NAN));
    assert!(err.message.contains("NaN"), "{err}");
}

#[test]
fn numbers_as_decimal_strings() {
    assert_eq!(mp_ok(&Type::Number, &mp_str("0.1")), dec("0.1"));
    assert_eq!(mp_ok(&Type::Number, &mp_str("123")), int(123));
    assert_eq!(mp_ok(&Type::Number, &mp_str("-1e3")), int(-1000));
    assert_eq!(
        mp_ok(&Type::Number, &mp_str("18446744073709551616")),
        dec("18446744073709551616")
    );
    assert_eq!(
        mp_ok(&Type::Number, &mp_str("-inf")),
        Value::Number(Number::Float(f64::NEG_INFINITY))
    );
    assert_eq!(mp_ok(&Type::Number, &mp_bin("1.5")), dec("1.5"));
    let long = "3.14159265358979323846264338327950288";
    let bytes = cat(&[&[0xd9, long.len() as u8], long.as_bytes()]);
    assert_eq!(mp_ok(&Type::Number, &bytes), dec(long));
    for bad in ["abc", "", "1.2.3", "0x1f", "NaN"] {
        let err = mp_err(&Type::Number, &mp_str(bad));
        assert!(err.message.contains("number is required"), "{bad}: {err}");
    }
    let err = mp_err(&Type::Number, &[0xc3]);
    assert_eq!(err.message, "a number is required, found a bool");
}

#[test]
fn strings_str_bin_and_utf8() {
    assert_eq!(
        mp_ok(&Type::String, &mp_str("héllo")),
        Value::string("héllo")
    );
    assert_eq!(mp_ok(&Type::String, &mp_bin("raw")), Value::string("raw"));
    let str8 = cat(&[&[0xd9, 40], "x".repeat(40).as_bytes()]);
    assert_eq!(mp_ok(&Type::String, &str8), Value::string("x".repeat(40)));
    let str16 = cat(&[&[0xda, 0x01, 0x00], "y".repeat(256).as_bytes()]);
    assert_eq!(mp_ok(&Type::String, &str16), Value::string("y".repeat(256)));
    let str32 = cat(&[&[0xdb, 0, 0, 0, 2], b"zz"]);
    assert_eq!(mp_ok(&Type::String, &str32), Value::string("zz"));
    let err = mp_err(&Type::String, &[0xa2, 0xff, 0xfe]);
    assert!(err.message.contains("UTF-8"), "{err}");
    let err = mp_err(&Type::String, &[0x05]);
    assert_eq!(err.message, "a string is required, found an integer");
    assert_eq!(mp_ok(&Type::Bool, &[0xc3]), Value::Bool(true));
    assert_eq!(mp_ok(&Type::Bool, &[0xc2]), Value::Bool(false));
    assert_eq!(mp_ok(&Type::Bool, &[0xc0]), Value::Null);
}

// ---------------------------------------------------------------------------------------------
// msgpack decode: collections, objects, dynamic, errors with paths

#[test]
fn collections_and_null() {
    let ty = obj(&[
        ("l", list(Type::String)),
        ("s", Type::Set(Box::new(Type::Number))),
        ("m", map(Type::Bool)),
        ("t", Type::Tuple(vec![Type::String, Type::Bool])),
        ("n", list(Type::String)),
    ]);
    let bytes = cat(&[
        &[0x85],
        &mp_str("l"),
        &[0x92],
        &mp_str("a"),
        &[0xc0],
        &mp_str("m"),
        &[0x82],
        &mp_str("y"),
        &[0xc2],
        &mp_str("x"),
        &[0xc3],
        &mp_str("n"),
        &[0xc0],
        &mp_str("s"),
        &[0xdc, 0x00, 0x02, 0x02, 0x01],
        &mp_str("t"),
        &[0x92],
        &mp_str("q"),
        &[0xc3],
    ]);
    assert_eq!(
        mp_ok(&ty, &bytes),
        Value::object([
            ("l", Value::List(vec![Value::string("a"), Value::Null])),
            (
                "m",
                Value::object([("x", Value::Bool(true)), ("y", Value::Bool(false))])
            ),
            ("n", Value::Null),
            ("s", Value::List(vec![int(2), int(1)])),
            (
                "t",
                Value::List(vec![Value::string("q"), Value::Bool(true)])
            ),
        ])
    );
    assert_eq!(mp_ok(&ty, &[0xc0]), Value::Null);
    assert_eq!(mp_ok(&ty, &[]), Value::Null);
}

#[test]
fn missing_attributes_are_null_and_extra_attributes_fail_with_path() {
    let ty = obj(&[("a", Type::String), ("b", Type::Number)]);
    let bytes = cat(&[&[0x81], &mp_str("a"), &mp_str("x")]);
    assert_eq!(
        mp_ok(&ty, &bytes),
        Value::object([("a", Value::string("x")), ("b", Value::Null)])
    );
    assert_eq!(
        mp_ok(&ty, &[0x80]),
        Value::object([("a", Value::Null), ("b", Value::Null)])
    );

    let ty = obj(&[("services", list(obj(&[("name", Type::String)])))]);
    let svc = |extra: bool| {
        let mut b = if extra { vec![0x82] } else { vec![0x81] };
        b.extend(mp_str("name"));
        b.extend(mp_str("s"));
        if extra {
            b.extend(mp_str("zzz"));
            b.push(0x01);
        }
        b
    };
    let bytes = cat(&[
        &[0x81],
        &mp_str("services"),
        &[0x93],
        &svc(false),
        &svc(false),
        &svc(true),
    ]);
    let err = mp_err(&ty, &bytes);
    assert_eq!(err.path, ".services[2].zzz");
    assert_eq!(err.message, "unsupported attribute");
}

#[test]
fn errors_carry_paths() {
    let ty = obj(&[("tags", map(Type::Number))]);
    let bytes = cat(&[
        &[0x81],
        &mp_str("tags"),
        &[0x81],
        &mp_str("x"),
        &mp_str("nope"),
    ]);
    let err = mp_err(&ty, &bytes);
    assert_eq!(err.path, r#".tags["x"]"#);
    assert_eq!(err.to_string(), format!("{}: {}", err.path, err.message));

    let ty = Type::Tuple(vec![Type::String, Type::String]);
    let err = mp_err(&ty, &cat(&[&[0x91], &mp_str("a")]));
    assert_eq!(err.message, "a tuple of 2 elements is required, found 1");

    let err = mp_err(&list(Type::String), &[0x81, 0xa1, b'a', 0x01]);
    assert_eq!(err.message, "a list is required, found a map");

    let err = mp_err(&map(Type::String), &[0x81, 0x01, 0xa1, b'a']);
    assert_eq!(err.message, "a map key is required, found an integer");

    let err = mp_err(&Type::String, &[0xa1, b'a', 0xc0]);
    assert!(err.message.contains("unexpected bytes"), "{err}");
    assert_eq!(err.path, "");
    assert_eq!(err.to_string(), err.message, "no path prefix at the root");

    let err = mp_err(&Type::String, &[0xc1]);
    assert!(err.message.contains("reserved"), "{err}");

    let err = mp_err(&list(Type::String), &[0x92, 0xa1, b'a']);
    assert!(err.message.contains("ends early"), "{err}");
    assert_eq!(err.path, "[1]");
}

#[test]
fn dynamic_values() {
    // Type JSON as bin (what cty writes) and as str (also accepted).
    let bytes = cat(&[&[0x92], &mp_bin("\"string\""), &mp_str("hi")]);
    assert_eq!(
        mp_ok(&Type::Dynamic, &bytes),
        dynamic(Type::String, Value::string("hi"))
    );
    let bytes = cat(&[
        &[0x92],
        &mp_str("[\"list\",\"number\"]"),
        &[0x92, 0x01, 0x02],
    ]);
    assert_eq!(
        mp_ok(&Type::Dynamic, &bytes),
        dynamic(list(Type::Number), Value::List(vec![int(1), int(2)]))
    );
    // A typed null inside a dynamic, and the plain null and unknown dynamic values.
    let bytes = cat(&[&[0x92], &mp_bin("\"bool\""), &[0xc0]]);
    assert_eq!(
        mp_ok(&Type::Dynamic, &bytes),
        dynamic(Type::Bool, Value::Null)
    );
    assert_eq!(mp_ok(&Type::Dynamic, &[0xc0]), Value::Null);
    assert_eq!(mp_ok(&Type::Dynamic, &msgpack::UNKNOWN), Value::Unknown);

    // Nested: a dynamic object whose attribute is itself dynamic.
    let ty = obj(&[("a", Type::Dynamic)]);
    let inner_ty = obj(&[("b", Type::Dynamic)]);
    let bytes = cat(&[
        &[0x81],
        &mp_str("a"),
        &[0x92],
        &mp_bin(r#"["object",{"b":"dynamic"}]"#),
        &[0x81],
        &mp_str("b"),
        &[0x92],
        &mp_bin("\"number\""),
        &[0x05],
    ]);
    let want = Value::object([(
        "a",
        dynamic(
            inner_ty.clone(),
            Value::object([("b", dynamic(Type::Number, int(5)))]),
        ),
    )]);
    assert_eq!(mp_ok(&ty, &bytes), want);
    assert_eq!(enc_ok(&ty, &want), bytes);

    let err = mp_err(&Type::Dynamic, &[0x93, 0xc0, 0xc0, 0xc0]);
    assert!(err.message.contains("[type, value]"), "{err}");
    let err = mp_err(&Type::Dynamic, &mp_str("x"));
    assert!(err.message.contains("[type, value]"), "{err}");
    let err = mp_err(
        &Type::Dynamic,
        &cat(&[&[0x92], &mp_bin("\"strang\""), &[0xc0]]),
    );
    assert!(err.message.contains("unknown primitive type"), "{err}");
}

#[test]
fn nesting_depth_is_capped() {
    let mut ty = Type::String;
    for _ in 0..MAX_DEPTH {
        ty = list(ty);
    }
    let mut bytes = vec![0x91; MAX_DEPTH];
    bytes.extend(mp_str("x"));
    assert!(msgpack::decode(&ty, &bytes).is_ok());
    let deeper = list(ty);
    let mut bytes = vec![0x91; MAX_DEPTH + 1];
    bytes.extend(mp_str("x"));
    let err = mp_err(&deeper, &bytes);
    assert!(err.message.contains("deeper"), "{err}");

    // Dynamic values nest through their embedded types too.
    let mut bytes = Vec::new();
    for _ in 0..200 {
        bytes.extend([0x92]);
        bytes.extend(mp_bin("\"dynamic\""));
    }
    bytes.push(0xc0);
    let err = mp_err(&Type::Dynamic, &bytes);
    assert!(err.message.contains("deeper"), "{err}");

    // And the encoder refuses the same.
    let mut v = dynamic(Type::String, Value::string("x"));
    for _ in 0..200 {
        v = dynamic(Type::Dynamic, v);
    }
    assert!(enc_err(&Type::Dynamic, &v).message.contains("deeper"));
    assert!(json::encode(&Type::Dynamic, &v).is_err());
}

#[test]
fn oversized_length_headers_fail_fast() {
    let huge: Vec<(Type, Vec<u8>)> = vec![
        (list(Type::String), vec![0xdd, 0xff, 0xff, 0xff, 0xff]),
        (list(Type::String), vec![0xdd, 0xff, 0xff, 0xff, 0xff, 0xc0]),
        (list(Type::String), vec![0xdc, 0xff, 0xff, 0xc0]),
        (
            map(Type::String),
            vec![0xdf, 0xff, 0xff, 0xff, 0xff, 0xc0, 0xc0],
        ),
        (obj(&[("a", Type::String)]), vec![0xdf, 0x80, 0, 0, 0]),
        (Type::String, vec![0xdb, 0xff, 0xff, 0xff, 0xff, b'a']),
        (Type::String, vec![0xc6, 0xff, 0xff, 0xff, 0xff, b'a']),
        (Type::Number, vec![0xc9, 0xff, 0xff, 0xff, 0xff, 0x00]),
        (Type::Number, vec![0xc8, 0xff, 0xff, 0x0c]),
        (Type::Dynamic, vec![0xdd, 0xff, 0xff, 0xff, 0xff]),
    ];
    for (ty, bytes) in huge {
        let err = mp_err(&ty, &bytes);
        assert!(
            err.message.contains("claims") || err.message.contains("ends early"),
            "{bytes:02x?}: {err}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// msgpack encode

#[test]
fn encodes_scalars_compactly() {
    let n = |v: Number| enc_ok(&Type::Number, &Value::Number(v));
    assert_eq!(n(Number::Int(0)), [0x00]);
    assert_eq!(n(Number::Int(127)), [0x7f]);
    assert_eq!(n(Number::Int(-1)), [0xff]);
    assert_eq!(n(Number::Int(-33)), [0xd0, 0xdf]);
    assert_eq!(n(Number::Int(200)), [0xcc, 200]);
    assert_eq!(n(Number::Int(-200)), [0xd1, 0xff, 0x38]);
    assert_eq!(n(Number::Int(70_000)), [0xce, 0x00, 0x01, 0x11, 0x70]);
    assert_eq!(n(Number::Int(i64::MIN)), [0xd3, 0x80, 0, 0, 0, 0, 0, 0, 0]);
    assert_eq!(n(Number::UInt(7)), [0x07]);
    assert_eq!(
        n(Number::UInt(u64::MAX)),
        [0xcf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]
    );
    assert_eq!(
        n(Number::Float(0.5)),
        cat(&[&[0xcb], &0.5f64.to_be_bytes()])
    );
    assert_eq!(n(Number::Float(3.0)), [0x03]);
    assert_eq!(
        n(Number::Float(f64::INFINITY)),
        cat(&[&[0xcb], &f64::INFINITY.to_be_bytes()])
    );
    assert_eq!(n(Number::Decimal("0.1".into())), mp_str("0.1"));
    assert_eq!(n(Number::Decimal("5.0".into())), [0x05]);
    assert_eq!(
        n(Number::Decimal("18446744073709551616".into())),
        cat(&[&[0xb4], b"18446744073709551616"])
    );
    assert_eq!(enc_ok(&Type::String, &Value::string("hi")), mp_str("hi"));
    assert_eq!(enc_ok(&Type::Bool, &Value::Bool(true)), [0xc3]);
    assert_eq!(enc_ok(&Type::Bool, &Value::Null), [0xc0]);
    assert_eq!(enc_ok(&Type::Bool, &Value::Unknown), [0xd4, 0x00, 0x00]);
    assert_eq!(enc_ok(&obj(&[]), &Value::Unknown), msgpack::UNKNOWN);
}

#[test]
fn encodes_every_object_attribute_sorted() {
    let ty = obj(&[
        ("b", Type::String),
        ("a", Type::Number),
        ("c", list(Type::Bool)),
    ]);
    let v = Value::object([("a", int(1))]);
    assert_eq!(
        enc_ok(&ty, &v),
        cat(&[
            &[0x83],
            &mp_str("a"),
            &[0x01],
            &mp_str("b"),
            &[0xc0],
            &mp_str("c"),
            &[0xc0]
        ])
    );
    let m = Value::object([("z", Value::string("1")), ("a", Value::string("2"))]);
    assert_eq!(
        enc_ok(&map(Type::String), &m),
        cat(&[
            &[0x82],
            &mp_str("a"),
            &mp_str("2"),
            &mp_str("z"),
            &mp_str("1")
        ])
    );
}

#[test]
fn encodes_dynamic_with_type_json_as_bin() {
    let v = dynamic(Type::String, Value::string("hi"));
    let want = cat(&[&[0x92], &mp_bin("\"string\""), &mp_str("hi")]);
    assert_eq!(enc_ok(&Type::Dynamic, &v), want);
    // A bare primitive in a dynamic slot carries its own type.
    assert_eq!(enc_ok(&Type::Dynamic, &Value::string("hi")), want);
    assert_eq!(enc_ok(&Type::Dynamic, &Value::Unknown), msgpack::UNKNOWN);
    assert_eq!(enc_ok(&Type::Dynamic, &Value::Null), [0xc0]);
    // A dynamic wrapper carrying exactly the expected concrete type is unwrapped.
    assert_eq!(enc_ok(&Type::String, &v), mp_str("hi"));
    let err = enc_err(&Type::Dynamic, &Value::List(vec![]));
    assert!(err.message.contains("needs its type"), "{err}");
}

#[test]
fn encode_rejects_values_that_do_not_fit() {
    let ty = obj(&[
        ("flag", Type::Bool),
        ("svc", list(obj(&[("n", Type::String)]))),
    ]);
    let err = enc_err(&ty, &Value::object([("flag", Value::string("yes"))]));
    assert_eq!(err.path, ".flag");
    assert_eq!(
        err.message,
        "value does not fit type \"bool\": found a string"
    );

    let bad_svc = Value::object([(
        "svc",
        Value::List(vec![
            Value::object([("n", Value::string("a"))]),
            Value::object([("n", Value::string("b")), ("oops", Value::Null)]),
        ]),
    )]);
    let err = enc_err(&ty, &bad_svc);
    assert_eq!(err.path, ".svc[1].oops");
    assert!(err.message.starts_with("unsupported attribute"), "{err}");

    let tuple = Type::Tuple(vec![Type::String]);
    let err = enc_err(&tuple, &Value::List(vec![]));
    assert_eq!(err.message, "a tuple of 1 elements is required, found 0");

    let err = enc_err(&map(Type::Number), &Value::object([("k", dec("x1"))]));
    assert_eq!(err.path, r#"["k"]"#);
    let err = enc_err(&Type::Number, &Value::Number(Number::Float(f64::NAN)));
    assert!(err.message.contains("NaN"), "{err}");
    let err = enc_err(&Type::String, &dynamic(Type::Number, int(1)));
    assert!(err.message.contains("where type"), "{err}");
    enc_err(&list(Type::String), &Value::Map(BTreeMap::new()));
    enc_err(&obj(&[]), &Value::List(vec![]));
}

#[test]
fn msgpack_round_trip_of_a_realistic_resource() {
    let ty = obj(&[
        ("id", Type::String),
        ("repository", Type::String),
        ("source_tag", Type::String),
        ("target_tag", Type::String),
        ("digest", Type::String),
        ("wait", Type::Bool),
        ("timeout_seconds", Type::Number),
        ("labels", map(Type::String)),
        (
            "services",
            list(obj(&[
                ("cluster", Type::String),
                ("service", Type::String),
                ("desired_count", Type::Number),
            ])),
        ),
        ("extra", Type::Dynamic),
    ]);
    let v = Value::object([
        ("id", Value::Unknown),
        ("repository", Value::string("app")),
        ("source_tag", Value::string("staging")),
        ("target_tag", Value::string("prod")),
        ("digest", Value::Unknown),
        ("wait", Value::Bool(true)),
        ("timeout_seconds", int(600)),
        ("labels", Value::object([("team", Value::string("core"))])),
        (
            "services",
            Value::List(vec![Value::object([
                ("cluster", Value::string("main")),
                ("service", Value::string("web")),
                ("desired_count", Value::Null),
            ])]),
        ),
        (
            "extra",
            dynamic(list(Type::String), Value::List(vec![Value::string("x")])),
        ),
    ]);
    let bytes = enc_ok(&ty, &v);
    assert_eq!(mp_ok(&ty, &bytes), v);
    assert_eq!(
        v.attr("services").elements()[0].attr("service").as_str(),
        Some("web")
    );
}

// ---------------------------------------------------------------------------------------------
// JSON

fn state_type() -> Type {
    obj(&[
        ("id", Type::String),
        ("repository", Type::String),
        ("digest", Type::String),
        ("wait", Type::Bool),
        ("timeout_seconds", Type::Number),
        ("ratio", Type::Number),
        ("big", Type::Number),
        ("labels", map(Type::String)),
        ("note", Type::String),
        (
            "services",
            list(obj(&[
                ("cluster", Type::String),
                ("service", Type::String),
                ("desired_count", Type::Number),
            ])),
        ),
        ("ports", Type::Set(Box::new(Type::Number))),
        ("pair", Type::Tuple(vec![Type::String, Type::Number])),
        ("meta", Type::Dynamic),
    ])
}

#[test]
fn decodes_realistic_state_json() {
    let text = r#"{
        "id": "app:prod",
        "repository": "app",
        "digest": "sha256:0123456789abcdef",
        "wait": true,
        "timeout_seconds": 600,
        "ratio": 0.25,
        "big": 123456789012345678901234567890,
        "labels": {"team": "core", "tier": "web"},
        "services": [
            {"cluster": "main", "service": "web", "desired_count": 3},
            {"cluster": "main", "service": "worker", "desired_count": null}
        ],
        "ports": [443, 80],
        "pair": ["a", -1.5e3],
        "meta": {"type": ["map", "number"], "value": {"x": 1.0}}
    }"#;
    let v = json_ok(&state_type(), text);
    assert_eq!(
        v,
        Value::object([
            ("id", Value::string("app:prod")),
            ("repository", Value::string("app")),
            ("digest", Value::string("sha256:0123456789abcdef")),
            ("wait", Value::Bool(true)),
            ("timeout_seconds", int(600)),
            ("ratio", dec("0.25")),
            ("big", dec("123456789012345678901234567890")),
            (
                "labels",
                Value::object([
                    ("team", Value::string("core")),
                    ("tier", Value::string("web"))
                ])
            ),
            // Absent from the JSON: null.
            ("note", Value::Null),
            (
                "services",
                Value::List(vec![
                    Value::object([
                        ("cluster", Value::string("main")),
                        ("service", Value::string("web")),
                        ("desired_count", int(3)),
                    ]),
                    Value::object([
                        ("cluster", Value::string("main")),
                        ("service", Value::string("worker")),
                        ("desired_count", Value::Null),
                    ]),
                ])
            ),
            ("ports", Value::List(vec![int(443), int(80)])),
            ("pair", Value::List(vec![Value::string("a"), int(-1500)])),
            (
                "meta",
                dynamic(map(Type::Number), Value::object([("x", int(1))]))
            ),
        ])
    );
    // Encoding writes every attribute in sorted order, numbers exact.
    let out = json_enc(&state_type(), &v);
    assert_eq!(
        out,
        r#"{"big":123456789012345678901234567890,"digest":"sha256:0123456789abcdef","id":"app:prod","labels":{"team":"core","tier":"web"},"meta":{"value":{"x":1},"type":["map","number"]},"note":null,"pair":["a",-1500],"ports":[443,80],"ratio":0.25,"repository":"app","services":[{"cluster":"main","desired_count":3,"service":"web"},{"cluster":"main","desired_count":null,"service":"worker"}],"timeout_seconds":600,"wait":true}"#
    );
    assert_eq!(json_ok(&state_type(), &out), v);
}

#[test]
fn json_decoding_is_lenient_like_cty() {
    let ty = obj(&[("n", Type::Number), ("b", Type::Bool), ("s", Type::String)]);
    assert_eq!(
        json_ok(&ty, r#"{"n": "42", "b": "true", "s": 12.50}"#),
        Value::object([
            ("n", int(42)),
            ("b", Value::Bool(true)),
            ("s", Value::string("12.50"))
        ])
    );
    assert_eq!(
        json_ok(&ty, r#"{"n": "0.1", "b": "0", "s": false}"#),
        Value::object([
            ("n", dec("0.1")),
            ("b", Value::Bool(false)),
            ("s", Value::string("false"))
        ])
    );
    // Duplicate keys: the last one wins, as in cty.
    assert_eq!(
        json_ok(&map(Type::Number), r#"{"a":1,"a":2}"#),
        Value::object([("a", int(2))])
    );
    assert_eq!(json_ok(&ty, ""), Value::Null);
    assert_eq!(json_ok(&ty, " null "), Value::Null);
    assert_eq!(json_ok(&Type::Dynamic, "null"), Value::Null);
}

#[test]
fn json_errors_carry_paths() {
    let err = json_err(
        &state_type(),
        r#"{"services":[{"cluster":"a"},{"bogus":1}]}"#,
    );
    assert_eq!(err.path, ".services[1].bogus");
    assert_eq!(err.message, "unsupported attribute");
    let err = json_err(&state_type(), r#"{"labels":{"x":[1]}}"#);
    assert_eq!(err.path, r#".labels["x"]"#);
    assert_eq!(err.message, "a string is required, found an array");
    let err = json_err(&state_type(), r#"{"wait":"maybe"}"#);
    assert_eq!(err.path, ".wait");
    let err = json_err(&state_type(), r#"{"pair":["a"]}"#);
    assert_eq!(err.message, "a tuple of 2 elements is required, found 1");
    let err = json_err(&state_type(), r#"{"meta":{"value":1}}"#);
    assert!(err.message.contains("no \"type\""), "{err}");
    let err = json_err(&state_type(), r#"{"meta":{"type":"number"}}"#);
    assert!(err.message.contains("no \"value\""), "{err}");
    let err = json_err(
        &state_type(),
        r#"{"meta":{"type":"number","value":1,"x":2}}"#,
    );
    assert!(err.message.contains("unexpected key"), "{err}");
    let err = json_err(&state_type(), r#"{"id": "a",}"#);
    assert!(err.message.contains("invalid JSON"), "{err}");
    json_err(&Type::Number, r#""twelve""#);
    json_err(&Type::Number, "true");
}

#[test]
fn json_encode_refuses_unknown_and_bad_numbers() {
    let ty = obj(&[("a", list(Type::String))]);
    let err = json::encode(
        &ty,
        &Value::object([("a", Value::List(vec![Value::Unknown]))]),
    )
    .unwrap_err();
    assert_eq!(err.path, ".a[0]");
    assert!(err.message.contains("unknown"), "{err}");
    assert!(json::encode(&Type::Number, &Value::Number(Number::Float(f64::INFINITY))).is_err());
    assert!(json::encode(&Type::Number, &dec("1.2.3")).is_err());
}

#[test]
fn json_encodes_strings_and_numbers_exactly() {
    assert_eq!(
        json_enc(&Type::String, &Value::string("a\"b\\c\n\u{1}é")),
        r#""a\"b\\c\n\u0001é""#
    );
    assert_eq!(
        json_enc(&Type::Number, &Value::Number(Number::Float(0.1))),
        "0.1"
    );
    assert_eq!(
        json_enc(&Type::Number, &Value::Number(Number::Float(2.0))),
        "2"
    );
    assert_eq!(
        json_enc(&Type::Number, &Value::Number(Number::Float(1e300))),
        "1e300"
    );
    assert_eq!(
        json_enc(&Type::Number, &Value::Number(Number::UInt(u64::MAX))),
        "18446744073709551615"
    );
    assert_eq!(json_enc(&Type::Number, &dec("0001.500")), "1.5");
    assert_eq!(
        json_enc(&Type::Dynamic, &Value::Bool(true)),
        r#"{"value":true,"type":"bool"}"#
    );
    assert_eq!(json_enc(&Type::Dynamic, &Value::Null), "null");
}

// ---------------------------------------------------------------------------------------------
// Property tests

fn arb_type() -> impl Strategy<Value = Type> {
    let leaf = prop_oneof![
        Just(Type::String),
        Just(Type::Number),
        Just(Type::Bool),
        Just(Type::Dynamic),
    ];
    leaf.prop_recursive(4, 24, 4, |inner| {
        prop_oneof![
            inner.clone().prop_map(|t| Type::List(Box::new(t))),
            inner.clone().prop_map(|t| Type::Set(Box::new(t))),
            inner.clone().prop_map(|t| Type::Map(Box::new(t))),
            prop::collection::btree_map("[a-z_][a-z0-9_]{0,5}", inner.clone(), 0..4)
                .prop_map(Type::Object),
            prop::collection::vec(inner, 0..3).prop_map(Type::Tuple),
        ]
    })
}

/// A concrete type for inside a dynamic value: never `dynamic` itself at the top.
fn arb_concrete_type() -> impl Strategy<Value = Type> {
    arb_type().prop_filter("concrete", |t| *t != Type::Dynamic)
}

fn arb_number(with_infinities: bool) -> BoxedStrategy<Number> {
    let decimal_text = "-?(0|[1-9][0-9]{0,30})(\\.[0-9]{1,25})?([eE]-?[0-9]{1,3})?"
        .prop_filter_map("valid number text", |t| number_from_text(&t).ok());
    let mut choices = vec![
        any::<i64>().prop_map(Number::Int).boxed(),
        ((1u64 << 63)..=u64::MAX).prop_map(Number::UInt).boxed(),
        any::<f64>()
            .prop_filter("finite non-whole", |f| f.is_finite() && f.fract() != 0.0)
            .prop_map(Number::Float)
            .boxed(),
        decimal_text.boxed(),
    ];
    if with_infinities {
        choices.push(
            prop_oneof![Just(f64::INFINITY), Just(f64::NEG_INFINITY)]
                .prop_map(Number::Float)
                .boxed(),
        );
    }
    proptest::strategy::Union::new(choices).boxed()
}

/// A value of type `ty`; `budget` bounds how many dynamic values may nest.
fn arb_value(ty: &Type, unknowns: bool, budget: u32) -> BoxedStrategy<Value> {
    let known: BoxedStrategy<Value> = match ty {
        Type::String => any::<String>().prop_map(Value::String).boxed(),
        Type::Bool => any::<bool>().prop_map(Value::Bool).boxed(),
        Type::Number => arb_number(unknowns).prop_map(Value::Number).boxed(),
        Type::List(elem) | Type::Set(elem) => {
            prop::collection::vec(arb_value(elem, unknowns, budget), 0..4)
                .prop_map(Value::List)
                .boxed()
        }
        Type::Map(elem) => {
            prop::collection::btree_map(any::<String>(), arb_value(elem, unknowns, budget), 0..4)
                .prop_map(Value::Map)
                .boxed()
        }
        Type::Object(attrs) => {
            let parts: Vec<_> = attrs
                .iter()
                .map(|(name, t)| {
                    let name = name.clone();
                    arb_value(t, unknowns, budget).prop_map(move |v| (name.clone(), v))
                })
                .collect();
            parts
                .prop_map(|pairs| Value::Map(pairs.into_iter().collect()))
                .boxed()
        }
        Type::Tuple(elems) => {
            let parts: Vec<_> = elems
                .iter()
                .map(|t| arb_value(t, unknowns, budget))
                .collect();
            parts.prop_map(Value::List).boxed()
        }
        Type::Dynamic => {
            if budget == 0 {
                any::<String>()
                    .prop_map(|s| Value::Dynamic(Type::String, Box::new(Value::String(s))))
                    .boxed()
            } else {
                arb_concrete_type()
                    .prop_flat_map(move |t| {
                        arb_value(&t, unknowns, budget - 1)
                            .prop_map(move |v| Value::Dynamic(t.clone(), Box::new(v)))
                    })
                    .boxed()
            }
        }
    };
    if unknowns {
        prop_oneof![1 => Just(Value::Null), 1 => Just(Value::Unknown), 6 => known].boxed()
    } else {
        prop_oneof![1 => Just(Value::Null), 7 => known].boxed()
    }
}

fn arb_typed_value(unknowns: bool) -> impl Strategy<Value = (Type, Value)> {
    arb_type().prop_flat_map(move |t| {
        let values = arb_value(&t, unknowns, 2);
        (Just(t), values)
    })
}

/// What JSON makes of a value: floats travel as their shortest decimal text and come back as
/// exact decimals (that is what cty does too).
fn json_normal(v: &Value) -> Value {
    match v {
        Value::Number(Number::Float(f)) if f.is_finite() => {
            let text = super::number::f64_text(*f).expect("finite float");
            Value::Number(number_from_text(&text).expect("valid text"))
        }
        Value::List(items) => Value::List(items.iter().map(json_normal).collect()),
        Value::Map(entries) => Value::Map(
            entries
                .iter()
                .map(|(k, v)| (k.clone(), json_normal(v)))
                .collect(),
        ),
        Value::Dynamic(t, inner) => Value::Dynamic(t.clone(), Box::new(json_normal(inner))),
        other => other.clone(),
    }
}

/// A type exercising every decoder path, for the byte-level tests.
fn rich_type() -> Type {
    obj(&[
        ("s", Type::String),
        ("n", Type::Number),
        ("b", Type::Bool),
        ("l", list(map(Type::Number))),
        ("t", Type::Tuple(vec![Type::String, Type::Dynamic])),
        ("o", obj(&[("x", Type::Set(Box::new(Type::String)))])),
        ("d", Type::Dynamic),
    ])
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn prop_msgpack_round_trips((ty, value) in arb_typed_value(true)) {
        let bytes = msgpack::encode(&ty, &value).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let back = msgpack::decode(&ty, &bytes).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(back, value);
    }

    #[test]
    fn prop_json_round_trips((ty, value) in arb_typed_value(false)) {
        let bytes = json::encode(&ty, &value).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let back = json::decode(&ty, &bytes).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(back, json_normal(&value));
    }

    #[test]
    fn prop_type_json_round_trips(ty in arb_type()) {
        prop_assert_eq!(Type::from_json(ty.to_json().as_bytes()), Ok(ty));
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn prop_random_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..96)) {
        for ty in [rich_type(), Type::Dynamic, Type::Number, list(Type::String)] {
            let _ = msgpack::decode(&ty, &bytes);
            let _ = json::decode(&ty, &bytes);
        }
        let _ = Type::from_json(&bytes);
    }

    #[test]
    fn prop_damaged_encodings_never_panic(
        value in arb_value(&rich_type(), true, 1),
        edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..4),
        cut in any::<prop::sample::Index>(),
    ) {
        let ty = rich_type();
        let mut bytes = msgpack::encode(&ty, &value).map_err(|e| TestCaseError::fail(e.to_string()))?;
        for (at, byte) in &edits {
            let i = at.index(bytes.len());
            bytes[i] = *byte;
        }
        let _ = msgpack::decode(&ty, &bytes);
        let _ = msgpack::decode(&ty, &bytes[..cut.index(bytes.len() + 1)]);

        // JSON cannot hold unknowns or infinities; damage whatever it can hold.
        if let Ok(mut text) = json::encode(&ty, &value) {
            for (at, byte) in &edits {
                let i = at.index(text.len());
                text[i] = *byte;
            }
            let _ = json::decode(&ty, &text);
            let _ = json::decode(&ty, &text[..cut.index(text.len() + 1)]);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    #[test]
    fn prop_oversized_headers_fail_fast(
        marker in prop::sample::select(vec![0xdcu8, 0xdd, 0xde, 0xdf, 0xd9, 0xda, 0xdb, 0xc4, 0xc5, 0xc6, 0xc7, 0xc8, 0xc9]),
        claimed in 17u32..=u32::MAX,
        tail in prop::collection::vec(any::<u8>(), 0..16),
    ) {
        // The header claims more elements/bytes than the (at most 16) bytes that follow.
        let mut bytes = vec![marker];
        match marker {
            0xd9 | 0xc4 | 0xc7 => bytes.push(u8::try_from(claimed.min(255)).unwrap_or(255)),
            0xdc | 0xde | 0xda | 0xc5 | 0xc8 => {
                bytes.extend(u16::try_from(claimed.min(65535)).unwrap_or(u16::MAX).to_be_bytes())
            }
            _ => bytes.extend(claimed.to_be_bytes()),
        }
        if matches!(marker, 0xc7..=0xc9) {
            bytes.push(0x0c); // extension type code
        }
        bytes.extend(&tail);
        for ty in [list(Type::String), map(Type::String), Type::String, Type::Number, Type::Dynamic, obj(&[("a", Type::String)])] {
            let result = msgpack::decode(&ty, &bytes);
            prop_assert!(result.is_err(), "{:02x?} as {} decoded to {:?}", bytes, ty, result);
        }
    }
}
