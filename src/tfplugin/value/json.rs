//! The JSON encoding of Terraform values (raw state in UpgradeResourceState; optional in replies).

use super::{CodecError, Type, Value};

/// Decodes `bytes` as a value of type `ty`.
pub fn decode(ty: &Type, bytes: &[u8]) -> Result<Value, CodecError> {
    let _ = (ty, bytes);
    todo!("json decode")
}

/// Encodes `value` (which must be wholly known) as type `ty`.
pub fn encode(ty: &Type, value: &Value) -> Result<Vec<u8>, CodecError> {
    let _ = (ty, value);
    todo!("json encode")
}
