//! Resource identity on the wire (protocol 6.9): GetResourceIdentitySchemas,
//! UpgradeResourceIdentity, and the identity values that ride along ReadResource,
//! PlanResourceChange, ApplyResourceChange and ImportResourceState.

use super::{ProviderService, take};
use crate::tfplugin::convert::{self, decode, encode};
use crate::tfplugin::diagnostics::Diagnostics;
use crate::tfplugin::framework::{IdentitySchema, Provider};
use crate::tfplugin::proto::tfplugin6 as pb;
use crate::tfplugin::value::Value;

/// An identity schema for the wire.
fn identity_schema(schema: &IdentitySchema) -> pb::ResourceIdentitySchema {
    pb::ResourceIdentitySchema {
        version: schema.version(),
        identity_attributes: schema
            .attributes()
            .iter()
            .map(|a| pb::resource_identity_schema::IdentityAttribute {
                name: a.name.clone(),
                r#type: a.ty.to_json().into_bytes(),
                required_for_import: a.required_for_import,
                optional_for_import: !a.required_for_import,
                description: a.description.clone(),
            })
            .collect(),
    }
}

impl<P: Provider> ProviderService<P> {
    /// The identity Terraform sent for an object of `type_name`: null when it sent none or
    /// the type has no identity (Terraform sends identities only for types that declare one).
    pub(super) fn decode_identity(
        &self,
        type_name: &str,
        data: Option<&pb::ResourceIdentityData>,
        diags: &mut Diagnostics,
    ) -> Value {
        let Some(value) = data.and_then(|d| d.identity_data.as_ref()) else {
            return Value::Null;
        };
        let Ok(schema) = self.runtime.identity_schema(type_name) else {
            return Value::Null;
        };
        take(
            decode(&schema.implied_type(), Some(value), "identity"),
            diags,
        )
        .unwrap_or_default()
    }

    /// An identity for the wire: absent when null (a type without identity never answers
    /// one, so Terraform before 1.12, which does not know the field, never sees one either).
    pub(super) fn encode_identity(
        &self,
        type_name: &str,
        identity: &Value,
        diags: &mut Diagnostics,
    ) -> Option<pb::ResourceIdentityData> {
        if identity.is_null() {
            return None;
        }
        let schema = self.runtime.identity_schema(type_name).ok()?;
        let encoded = take(encode(&schema.implied_type(), identity, "identity"), diags)?;
        Some(pb::ResourceIdentityData {
            identity_data: Some(encoded),
        })
    }

    /// GetResourceIdentitySchemas: one entry per type that has an identity.
    pub(super) fn identity_schemas(&self) -> pb::get_resource_identity_schemas::Response {
        pb::get_resource_identity_schemas::Response {
            identity_schemas: self
                .runtime
                .identity_schemas()
                .map(|(name, schema)| (name.to_owned(), identity_schema(schema)))
                .collect(),
            diagnostics: Vec::new(),
        }
    }

    /// UpgradeResourceIdentity.
    pub(super) fn upgrade_identity(
        &self,
        req: &pb::upgrade_resource_identity::Request,
    ) -> pb::upgrade_resource_identity::Response {
        let mut diags = Diagnostics::new();
        let raw = req.raw_identity.clone().unwrap_or_default();
        let upgraded = take(
            self.runtime
                .upgrade_identity(&req.type_name, req.version, &raw.json),
            &mut diags,
        );
        let upgraded_identity =
            upgraded.and_then(|value| self.encode_identity(&req.type_name, &value, &mut diags));
        pb::upgrade_resource_identity::Response {
            upgraded_identity,
            diagnostics: convert::diagnostics(diags),
        }
    }
}
