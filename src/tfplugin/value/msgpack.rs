//! The msgpack encoding of Terraform values (Terraform always sends this; we answer with it).
//!
//! The rules follow Terraform's `docs/plugin-protocol/object-wire-format.md` and cty's msgpack
//! codec, with these deliberate choices:
//! - **Unknowns**: every msgpack extension, of any type code and length, decodes to
//!   [`Value::Unknown`] at any depth. Refinements (ext 12) are skipped unread: the protocol says
//!   ignoring them is always safe, and a refinement we could not parse must not fail a plan.
//!   We always write the plain unknown `d4 00 00`.
//! - **Objects**: a missing attribute decodes as null (cty would refuse; Terraform always sends
//!   every attribute, so this only makes us robust), an attribute the type does not have is an
//!   error. We always write every attribute of the type.
//! - **Numbers**: any int/uint width, float32/float64, or a str/bin holding decimal text
//!   (including `inf`), as cty's decoder accepts. See [`Number`] for the canonical form.
//! - **Strings** may arrive as msgpack str or bin (cty's decoder takes both) but must be UTF-8.
//! - **Input limits**: nesting is capped at [`MAX_DEPTH`], and every length header is checked
//!   against the bytes that remain before anything is allocated.
//! - An empty input decodes to null, as Terraform treats an empty `DynamicValue`; bytes left over
//!   after the value are an error.

use std::collections::BTreeMap;

use rmp::Marker;

use super::number::{self, WireNumber};
use super::{CodecError, MAX_DEPTH, Number, Path, Type, Value};

/// The plain (unrefined) unknown value: fixext1, extension type 0, one zero byte.
pub const UNKNOWN: [u8; 3] = [0xd4, 0x00, 0x00];

/// Decodes `bytes` as a value of type `ty`.
pub fn decode(ty: &Type, bytes: &[u8]) -> Result<Value, CodecError> {
    if bytes.is_empty() {
        return Ok(Value::Null);
    }
    let mut decoder = Decoder {
        input: bytes,
        pos: 0,
        path: Path::default(),
    };
    let value = decoder.value(ty, 0)?;
    if decoder.pos != bytes.len() {
        return Err(decoder.path.error(format!(
            "{} unexpected bytes after the value",
            bytes.len() - decoder.pos
        )));
    }
    Ok(value)
}

/// Encodes `value` as type `ty`.
pub fn encode(ty: &Type, value: &Value) -> Result<Vec<u8>, CodecError> {
    let mut encoder = Encoder {
        out: Vec::new(),
        path: Path::default(),
    };
    encoder.value(ty, value, 0)?;
    Ok(encoder.out)
}

struct Decoder<'a> {
    input: &'a [u8],
    pos: usize,
    path: Path,
}

/// A word for error messages describing what was found instead.
fn describe(marker: Marker) -> &'static str {
    match marker {
        Marker::Null => "nil",
        Marker::True | Marker::False => "a bool",
        Marker::FixPos(_)
        | Marker::FixNeg(_)
        | Marker::U8
        | Marker::U16
        | Marker::U32
        | Marker::U64
        | Marker::I8
        | Marker::I16
        | Marker::I32
        | Marker::I64 => "an integer",
        Marker::F32 | Marker::F64 => "a float",
        Marker::FixStr(_) | Marker::Str8 | Marker::Str16 | Marker::Str32 => "a string",
        Marker::Bin8 | Marker::Bin16 | Marker::Bin32 => "binary data",
        Marker::FixArray(_) | Marker::Array16 | Marker::Array32 => "an array",
        Marker::FixMap(_) | Marker::Map16 | Marker::Map32 => "a map",
        Marker::FixExt1
        | Marker::FixExt2
        | Marker::FixExt4
        | Marker::FixExt8
        | Marker::FixExt16
        | Marker::Ext8
        | Marker::Ext16
        | Marker::Ext32 => "an extension",
        Marker::Reserved => "the reserved byte 0xc1",
    }
}

fn is_ext(marker: Marker) -> bool {
    matches!(
        marker,
        Marker::FixExt1
            | Marker::FixExt2
            | Marker::FixExt4
            | Marker::FixExt8
            | Marker::FixExt16
            | Marker::Ext8
            | Marker::Ext16
            | Marker::Ext32
    )
}

impl<'a> Decoder<'a> {
    fn remaining(&self) -> usize {
        self.input.len() - self.pos
    }

    fn truncated(&self) -> CodecError {
        self.path.error(format!(
            "input ends early (at byte {} of {})",
            self.pos,
            self.input.len()
        ))
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], CodecError> {
        if n > self.remaining() {
            return Err(self.truncated());
        }
        let bytes = &self.input[self.pos..self.pos + n];
        self.pos += n;
        Ok(bytes)
    }

    fn take_array<const N: usize>(&mut self) -> Result<[u8; N], CodecError> {
        let bytes = self.take(N)?;
        let mut out = [0u8; N];
        out.copy_from_slice(bytes);
        Ok(out)
    }

    fn u8(&mut self) -> Result<u8, CodecError> {
        Ok(self.take_array::<1>()?[0])
    }

    fn u16(&mut self) -> Result<u16, CodecError> {
        Ok(u16::from_be_bytes(self.take_array()?))
    }

    fn u32(&mut self) -> Result<u32, CodecError> {
        Ok(u32::from_be_bytes(self.take_array()?))
    }

    fn u64(&mut self) -> Result<u64, CodecError> {
        Ok(u64::from_be_bytes(self.take_array()?))
    }

    fn peek_marker(&self) -> Result<Marker, CodecError> {
        match self.input.get(self.pos) {
            Some(&b) => Ok(Marker::from_u8(b)),
            None => Err(self.truncated()),
        }
    }

    fn marker(&mut self) -> Result<Marker, CodecError> {
        self.u8().map(Marker::from_u8)
    }

    /// Enters one more level of nesting, or refuses.
    fn enter(&self, depth: usize) -> Result<usize, CodecError> {
        if depth >= MAX_DEPTH {
            return Err(self
                .path
                .error(format!("value nests deeper than {MAX_DEPTH} levels")));
        }
        Ok(depth + 1)
    }

    /// Skips an extension whose marker has been read (only its length matters).
    fn skip_ext(&mut self, marker: Marker) -> Result<(), CodecError> {
        let body = match marker {
            Marker::FixExt1 => 1,
            Marker::FixExt2 => 2,
            Marker::FixExt4 => 4,
            Marker::FixExt8 => 8,
            Marker::FixExt16 => 16,
            Marker::Ext8 => usize::from(self.u8()?),
            Marker::Ext16 => usize::from(self.u16()?),
            Marker::Ext32 => self.u32()? as usize,
            _ => return Err(self.path.error("an extension is required")),
        };
        // One byte of extension type code, then the body (saturating: a 4 GiB claim must not
        // wrap on 32-bit targets, it must fail as too long).
        self.take(body.saturating_add(1)).map(|_| ())
    }

    /// The length of a str or bin whose marker has been read, or `None` for other markers.
    fn bytes_len(&mut self, marker: Marker) -> Result<Option<usize>, CodecError> {
        Ok(Some(match marker {
            Marker::FixStr(n) => usize::from(n),
            Marker::Str8 | Marker::Bin8 => usize::from(self.u8()?),
            Marker::Str16 | Marker::Bin16 => usize::from(self.u16()?),
            Marker::Str32 | Marker::Bin32 => self.u32()? as usize,
            _ => return Ok(None),
        }))
    }

    /// Reads a str or bin as UTF-8 text; `what` names the expectation for the error.
    fn text(&mut self, what: &str) -> Result<&'a str, CodecError> {
        let marker = self.marker()?;
        let Some(len) = self.bytes_len(marker)? else {
            return Err(self
                .path
                .error(format!("{what} is required, found {}", describe(marker))));
        };
        let bytes = self.take(len)?;
        std::str::from_utf8(bytes)
            .map_err(|e| self.path.error(format!("{what} is not valid UTF-8: {e}")))
    }

    /// The element count of an array (or `None` for other markers), checked against the input
    /// left: every element takes at least one byte.
    fn array_len(&mut self, marker: Marker) -> Result<Option<usize>, CodecError> {
        let len = match marker {
            Marker::FixArray(n) => usize::from(n),
            Marker::Array16 => usize::from(self.u16()?),
            Marker::Array32 => self.u32()? as usize,
            _ => return Ok(None),
        };
        if len > self.remaining() {
            return Err(self.path.error(format!(
                "array claims {len} elements but only {} bytes remain",
                self.remaining()
            )));
        }
        Ok(Some(len))
    }

    /// The entry count of a map (or `None`), checked like [`Self::array_len`]: each entry takes
    /// at least two bytes.
    fn map_len(&mut self, marker: Marker) -> Result<Option<usize>, CodecError> {
        let len = match marker {
            Marker::FixMap(n) => usize::from(n),
            Marker::Map16 => usize::from(self.u16()?),
            Marker::Map32 => self.u32()? as usize,
            _ => return Ok(None),
        };
        if len.saturating_mul(2) > self.remaining() {
            return Err(self.path.error(format!(
                "map claims {len} entries but only {} bytes remain",
                self.remaining()
            )));
        }
        Ok(Some(len))
    }

    fn value(&mut self, ty: &Type, depth: usize) -> Result<Value, CodecError> {
        let marker = self.peek_marker()?;
        if is_ext(marker) {
            self.pos += 1;
            self.skip_ext(marker)?;
            return Ok(Value::Unknown);
        }
        if marker == Marker::Null {
            self.pos += 1;
            return Ok(Value::Null);
        }
        match ty {
            Type::String => self.text("a string").map(Value::string),
            Type::Bool => match self.marker()? {
                Marker::True => Ok(Value::Bool(true)),
                Marker::False => Ok(Value::Bool(false)),
                other => Err(self
                    .path
                    .error(format!("a bool is required, found {}", describe(other)))),
            },
            Type::Number => self.number().map(Value::Number),
            Type::List(elem) | Type::Set(elem) => {
                let depth = self.enter(depth)?;
                let marker = self.marker()?;
                let Some(len) = self.array_len(marker)? else {
                    return Err(self.path.error(format!(
                        "a {} is required, found {}",
                        if matches!(ty, Type::Set(_)) {
                            "set"
                        } else {
                            "list"
                        },
                        describe(marker)
                    )));
                };
                let mut items = Vec::with_capacity(len);
                for i in 0..len {
                    let mark = self.path.push_index(i);
                    items.push(self.value(elem, depth)?);
                    self.path.truncate(mark);
                }
                Ok(Value::List(items))
            }
            Type::Tuple(elems) => {
                let depth = self.enter(depth)?;
                let marker = self.marker()?;
                let Some(len) = self.array_len(marker)? else {
                    return Err(self
                        .path
                        .error(format!("a tuple is required, found {}", describe(marker))));
                };
                if len != elems.len() {
                    return Err(self.path.error(format!(
                        "a tuple of {} elements is required, found {len}",
                        elems.len()
                    )));
                }
                let mut items = Vec::with_capacity(len);
                for (i, elem) in elems.iter().enumerate() {
                    let mark = self.path.push_index(i);
                    items.push(self.value(elem, depth)?);
                    self.path.truncate(mark);
                }
                Ok(Value::List(items))
            }
            Type::Map(elem) => {
                let depth = self.enter(depth)?;
                let marker = self.marker()?;
                let Some(len) = self.map_len(marker)? else {
                    return Err(self
                        .path
                        .error(format!("a map is required, found {}", describe(marker))));
                };
                let mut entries = BTreeMap::new();
                for _ in 0..len {
                    let key = self.text("a map key")?;
                    let mark = self.path.push_key(key);
                    let value = self.value(elem, depth)?;
                    self.path.truncate(mark);
                    entries.insert(key.to_string(), value);
                }
                Ok(Value::Map(entries))
            }
            Type::Object(attrs) => {
                let depth = self.enter(depth)?;
                let marker = self.marker()?;
                let Some(len) = self.map_len(marker)? else {
                    return Err(self
                        .path
                        .error(format!("an object is required, found {}", describe(marker))));
                };
                let mut entries = BTreeMap::new();
                for _ in 0..len {
                    let name = self.text("an attribute name")?;
                    let mark = self.path.push_attr(name);
                    let Some(attr_ty) = attrs.get(name) else {
                        return Err(self.path.error("unsupported attribute"));
                    };
                    let value = self.value(attr_ty, depth)?;
                    self.path.truncate(mark);
                    entries.insert(name.to_string(), value);
                }
                // Terraform always sends every attribute; be lenient and treat absence as null.
                for name in attrs.keys() {
                    if !entries.contains_key(name) {
                        entries.insert(name.clone(), Value::Null);
                    }
                }
                Ok(Value::Map(entries))
            }
            Type::Dynamic => {
                let depth = self.enter(depth)?;
                let marker = self.marker()?;
                match self.array_len(marker)? {
                    Some(2) => {}
                    Some(n) => {
                        return Err(self.path.error(format!(
                            "a dynamic value must be a [type, value] array, found {n} elements"
                        )));
                    }
                    None => {
                        return Err(self.path.error(format!(
                            "a dynamic value must be a [type, value] array, found {}",
                            describe(marker)
                        )));
                    }
                }
                let type_json = self.text("the type of a dynamic value")?;
                let concrete = Type::from_json(type_json.as_bytes())
                    .map_err(|e| self.path.error(e.message))?;
                let inner = self.value(&concrete, depth)?;
                Ok(Value::Dynamic(concrete, Box::new(inner)))
            }
        }
    }

    fn number(&mut self) -> Result<Number, CodecError> {
        let marker = self.marker()?;
        let n = match marker {
            Marker::FixPos(n) => Number::Int(i64::from(n)),
            Marker::FixNeg(n) => Number::Int(i64::from(n)),
            Marker::U8 => Number::Int(i64::from(self.u8()?)),
            Marker::U16 => Number::Int(i64::from(self.u16()?)),
            Marker::U32 => Number::Int(i64::from(self.u32()?)),
            Marker::U64 => {
                let u = self.u64()?;
                match i64::try_from(u) {
                    Ok(i) => Number::Int(i),
                    Err(_) => Number::UInt(u),
                }
            }
            // The signed forms are two's complement: reinterpret the bits, then widen.
            Marker::I8 => Number::Int(i64::from(self.u8()? as i8)),
            Marker::I16 => Number::Int(i64::from(self.u16()? as i16)),
            Marker::I32 => Number::Int(i64::from(self.u32()? as i32)),
            Marker::I64 => Number::Int(self.u64()? as i64),
            Marker::F32 => {
                let f = f32::from_bits(self.u32()?);
                number::number_from_f64(f64::from(f)).map_err(|e| self.path.error(e))?
            }
            Marker::F64 => {
                let f = f64::from_bits(self.u64()?);
                number::number_from_f64(f).map_err(|e| self.path.error(e))?
            }
            other => {
                // cty also accepts numbers as decimal text (used when an int or float64 would
                // lose precision), in a str or a bin.
                let Some(len) = self.bytes_len(other)? else {
                    return Err(self
                        .path
                        .error(format!("a number is required, found {}", describe(other))));
                };
                let text = std::str::from_utf8(self.take(len)?).map_err(|_| {
                    self.path
                        .error("a number is required, found non-UTF-8 text")
                })?;
                number::number_from_text(text)
                    .map_err(|e| self.path.error(format!("a number is required: {e}")))?
            }
        };
        Ok(n)
    }
}

struct Encoder {
    out: Vec<u8>,
    path: Path,
}

/// rmp reports errors from the writer; writing into a `Vec` never fails, but keep the error
/// path honest instead of unwrapping.
fn write_failed(path: &Path, e: impl std::fmt::Display) -> CodecError {
    path.error(format!("msgpack write failed: {e}"))
}

impl Encoder {
    fn enter(&self, depth: usize) -> Result<usize, CodecError> {
        if depth >= MAX_DEPTH {
            return Err(self
                .path
                .error(format!("value nests deeper than {MAX_DEPTH} levels")));
        }
        Ok(depth + 1)
    }

    fn len_u32(&self, len: usize) -> Result<u32, CodecError> {
        u32::try_from(len).map_err(|_| self.path.error(format!("{len} elements is too many")))
    }

    fn array_len(&mut self, len: usize) -> Result<(), CodecError> {
        let len = self.len_u32(len)?;
        rmp::encode::write_array_len(&mut self.out, len)
            .map(|_| ())
            .map_err(|e| write_failed(&self.path, e))
    }

    fn map_len(&mut self, len: usize) -> Result<(), CodecError> {
        let len = self.len_u32(len)?;
        rmp::encode::write_map_len(&mut self.out, len)
            .map(|_| ())
            .map_err(|e| write_failed(&self.path, e))
    }

    fn str(&mut self, s: &str) -> Result<(), CodecError> {
        self.len_u32(s.len())?;
        rmp::encode::write_str(&mut self.out, s).map_err(|e| write_failed(&self.path, e))
    }

    fn value(&mut self, ty: &Type, value: &Value, depth: usize) -> Result<(), CodecError> {
        match value {
            Value::Unknown => {
                self.out.extend_from_slice(&UNKNOWN);
                return Ok(());
            }
            Value::Null => {
                self.out.push(0xc0);
                return Ok(());
            }
            Value::Dynamic(concrete, inner) if *ty != Type::Dynamic => {
                // A dynamic wrapper where a concrete type is expected is fine when it carries
                // exactly that type.
                if concrete != ty {
                    return Err(self.path.error(format!(
                        "value of type {concrete} where type {ty} is required"
                    )));
                }
                return self.value(ty, inner, depth);
            }
            _ => {}
        }
        match (ty, value) {
            (Type::Dynamic, _) => {
                let depth = self.enter(depth)?;
                let (concrete, inner) = match value {
                    Value::Dynamic(concrete, inner) => (concrete.clone(), inner.as_ref()),
                    // Primitives carry their type; collections are ambiguous (list or set? map
                    // or object?) and need an explicit `Value::Dynamic`.
                    Value::String(_) => (Type::String, value),
                    Value::Number(_) => (Type::Number, value),
                    Value::Bool(_) => (Type::Bool, value),
                    _ => {
                        return Err(self.path.error(
                            "a collection in a dynamic attribute needs its type (Value::Dynamic)",
                        ));
                    }
                };
                self.array_len(2)?;
                let type_json = concrete.to_json();
                self.len_u32(type_json.len())?;
                rmp::encode::write_bin(&mut self.out, type_json.as_bytes())
                    .map_err(|e| write_failed(&self.path, e))?;
                self.value(&concrete, inner, depth)
            }
            (Type::String, Value::String(s)) => self.str(s),
            (Type::Bool, Value::Bool(b)) => {
                rmp::encode::write_bool(&mut self.out, *b).map_err(|e| write_failed(&self.path, e))
            }
            (Type::Number, Value::Number(n)) => {
                match number::wire_number(n).map_err(|e| self.path.error(e))? {
                    WireNumber::Int(i) => rmp::encode::write_sint(&mut self.out, i)
                        .map(|_| ())
                        .map_err(|e| write_failed(&self.path, e)),
                    WireNumber::UInt(u) => rmp::encode::write_uint(&mut self.out, u)
                        .map(|_| ())
                        .map_err(|e| write_failed(&self.path, e)),
                    WireNumber::Float(f) => rmp::encode::write_f64(&mut self.out, f)
                        .map_err(|e| write_failed(&self.path, e)),
                    WireNumber::Text(text) => self.str(&text),
                }
            }
            (Type::List(elem) | Type::Set(elem), Value::List(items)) => {
                let depth = self.enter(depth)?;
                self.array_len(items.len())?;
                for (i, item) in items.iter().enumerate() {
                    let mark = self.path.push_index(i);
                    self.value(elem, item, depth)?;
                    self.path.truncate(mark);
                }
                Ok(())
            }
            (Type::Tuple(elems), Value::List(items)) => {
                let depth = self.enter(depth)?;
                if items.len() != elems.len() {
                    return Err(self.path.error(format!(
                        "a tuple of {} elements is required, found {}",
                        elems.len(),
                        items.len()
                    )));
                }
                self.array_len(items.len())?;
                for (i, (elem, item)) in elems.iter().zip(items).enumerate() {
                    let mark = self.path.push_index(i);
                    self.value(elem, item, depth)?;
                    self.path.truncate(mark);
                }
                Ok(())
            }
            (Type::Map(elem), Value::Map(entries)) => {
                let depth = self.enter(depth)?;
                self.map_len(entries.len())?;
                // BTreeMap iterates in key order, so output is deterministic.
                for (key, item) in entries {
                    let mark = self.path.push_key(key);
                    self.str(key)?;
                    self.value(elem, item, depth)?;
                    self.path.truncate(mark);
                }
                Ok(())
            }
            (Type::Object(attrs), Value::Map(entries)) => {
                let depth = self.enter(depth)?;
                if let Some(extra) = entries.keys().find(|k| !attrs.contains_key(*k)) {
                    let mark = self.path.push_attr(extra);
                    let err = self
                        .path
                        .error(format!("unsupported attribute: type {ty} has no {extra:?}"));
                    self.path.truncate(mark);
                    return Err(err);
                }
                // Every attribute, always: Terraform's decoder rejects objects with missing ones.
                self.map_len(attrs.len())?;
                for (name, attr_ty) in attrs {
                    let mark = self.path.push_attr(name);
                    self.str(name)?;
                    self.value(attr_ty, entries.get(name).unwrap_or(&Value::Null), depth)?;
                    self.path.truncate(mark);
                }
                Ok(())
            }
            _ => Err(self.path.error(format!(
                "value does not fit type {ty}: found {}",
                value.kind()
            ))),
        }
    }
}
