//! The msgpack encoding of Terraform values (Terraform always sends this; we answer with it).

use super::{CodecError, Type, Value};

/// Decodes `bytes` as a value of type `ty`.
pub fn decode(ty: &Type, bytes: &[u8]) -> Result<Value, CodecError> {
    let _ = (ty, bytes);
    todo!("msgpack decode")
}

/// Encodes `value` as type `ty`.
pub fn encode(ty: &Type, value: &Value) -> Result<Vec<u8>, CodecError> {
    let _ = (ty, value);
    todo!("msgpack encode")
}
