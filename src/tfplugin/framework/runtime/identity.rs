//! Resource identity in the [`Runtime`]: the rules an identity answer must follow (Terraform
//! refuses one with unknown values where it needs a known one, and one that does not match the
//! identity schema), UpgradeResourceIdentity, and the checks across the optional families
//! (identities, actions, list resources) made when the provider is registered.
//!
//! What Terraform 1.15 does with identities, which its documentation does not say: it sends the
//! identity it holds with ReadResource (`current_identity`), PlanResourceChange
//! (`prior_identity`) and ApplyResourceChange (`planned_identity`) and stores whatever comes
//! back, null included; it checks only that a non-null identity is wholly known (except when
//! planning a create or a replacement) and matches the schema; it never compares an identity
//! with the previous one; and it calls UpgradeResourceIdentity only when the stored identity's
//! version is below the schema's.

use super::Runtime;
use crate::tfplugin::diagnostics::{Diagnostic, Diagnostics};
use crate::tfplugin::framework::{IdentitySchema, Provider};
use crate::tfplugin::schema::{Attribute, Block, Presence};
use crate::tfplugin::value::Value;

/// How known an identity answer must be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Known {
    /// Wholly known (read, import, apply, an update in place): anything else is an error.
    Wholly,
    /// May hold unknown values (planning a create or a replacement).
    Partly,
    /// Wholly known, or quietly left out (a failed apply, which already reports its error).
    WhollyOrDropped,
}

/// The identity to send to Terraform: null for a type without identity; otherwise `answered`
/// (null, or an object of the schema as known as `known` requires). A bad answer becomes an
/// error diagnostic naming `what`, and null.
pub(super) fn settle_identity(
    schema: Option<&IdentitySchema>,
    answered: Value,
    known: Known,
    what: &str,
    diags: &mut Diagnostics,
) -> Value {
    let Some(schema) = schema else {
        return Value::Null;
    };
    if answered.is_null() {
        return Value::Null;
    }
    let problem = match known {
        Known::Wholly | Known::WhollyOrDropped => schema.check_known(&answered).err(),
        Known::Partly => shape_problem(schema, &answered),
    };
    match problem {
        None => answered,
        Some(_) if known == Known::WhollyOrDropped => Value::Null,
        Some(problem) => {
            diags.push(Diagnostic::error(
                "Provider Produced Invalid Identity",
                format!(
                    "The {what} identity is invalid: {problem}. This is a bug in the provider."
                ),
            ));
            Value::Null
        }
    }
}

/// Whether `value` is an identity object, unknown values allowed.
fn shape_problem(schema: &IdentitySchema, value: &Value) -> Option<String> {
    match value {
        Value::Unknown => None,
        Value::Map(fields) => {
            let names: Vec<&str> = schema
                .attributes()
                .iter()
                .map(|a| a.name.as_str())
                .collect();
            if fields.len() != names.len() || !names.iter().all(|n| fields.contains_key(*n)) {
                Some(format!(
                    "its attributes are {:?}, the schema's {names:?}",
                    fields.keys().collect::<Vec<_>>()
                ))
            } else {
                None
            }
        }
        other => Some(format!("it is {}, not an object", other.kind())),
    }
}

/// The identity's attributes as a block (required or optional), for the model check.
pub(super) fn identity_block(schema: &IdentitySchema) -> Block {
    schema.attributes().iter().fold(Block::new(), |block, a| {
        let presence = if a.required_for_import {
            Presence::Required
        } else {
            Presence::Optional
        };
        block.attribute(Attribute::new(a.name.clone(), a.ty.clone(), presence))
    })
}

impl<P: Provider> Runtime<P> {
    /// UpgradeResourceIdentity: raw JSON identity stored at `version` to a value of the
    /// current identity schema.
    pub fn upgrade_identity(
        &self,
        type_name: &str,
        version: i64,
        raw_json: &[u8],
    ) -> Result<Value, Diagnostics> {
        let schema = self.identity_schema(type_name)?;
        let current = schema.version();
        let value = if version == current {
            schema.decode_json(raw_json)?
        } else if version > current {
            return Err(Diagnostic::error(
                "Resource Identity From A Newer Provider",
                format!(
                    "The identity of this {type_name} was stored with identity version {version}, but this provider only knows versions up to {current}. Upgrade the provider."
                ),
            )
            .into());
        } else {
            let e = self
                .resources
                .get(type_name)
                .ok_or_else(|| super::unknown_type("resource", type_name))?;
            e.item.upgrade_identity(version, raw_json)?
        };
        schema.check_known(&value).map_err(|problem| {
            Diagnostic::error(
                "Provider Produced Invalid Identity",
                format!(
                    "The upgraded identity of {type_name} is invalid: {problem}. This is a bug in the provider."
                ),
            )
        })?;
        Ok(value)
    }

    /// What Terraform would refuse across the optional families: a list resource whose
    /// managed resource type is missing or has no identity (Terraform needs both), and action
    /// attributes that are computed (an action's configuration is all there is).
    pub(super) fn family_problems(&self) -> Vec<(&'static str, String)> {
        let mut problems = Vec::new();
        for name in self.lists.keys() {
            if !self.resources.contains_key(name) {
                problems.push((
                    *name,
                    "a list resource needs a managed resource type of the same name".to_owned(),
                ));
            } else if !self.identities.contains_key(name) {
                problems.push((
                    *name,
                    "a list resource needs its managed resource type to have an identity"
                        .to_owned(),
                ));
            }
        }
        for (name, e) in &self.actions {
            for a in e.schema.root().attributes() {
                if a.presence().is_computed() {
                    problems.push((
                        *name,
                        format!(
                            "action attribute {:?} is computed: action attributes are required or optional",
                            a.name()
                        ),
                    ));
                }
            }
        }
        problems
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tfplugin::framework::IdentityAttribute;
    use crate::tfplugin::value::Type;

    fn schema() -> IdentitySchema {
        IdentitySchema {
            version: 0,
            attributes: vec![
                IdentityAttribute {
                    name: "name".into(),
                    ty: Type::String,
                    required_for_import: true,
                    description: "The name.".into(),
                },
                IdentityAttribute {
                    name: "region".into(),
                    ty: Type::String,
                    required_for_import: false,
                    description: "The region.".into(),
                },
            ],
            ..IdentitySchema::default()
        }
    }

    #[test]
    fn unknown_identities_are_refused_where_terraform_needs_them_known() {
        let partly = Value::object([("name", Value::string("a")), ("region", Value::Unknown)]);
        let mut diags = Diagnostics::new();
        assert_eq!(
            settle_identity(
                Some(&schema()),
                partly.clone(),
                Known::Partly,
                "x",
                &mut diags
            ),
            partly
        );
        assert!(diags.is_empty());
        assert_eq!(
            settle_identity(
                Some(&schema()),
                partly.clone(),
                Known::Wholly,
                "x",
                &mut diags
            ),
            Value::Null
        );
        assert_eq!(diags.iter().count(), 1, "{diags}");
        let mut quiet = Diagnostics::new();
        assert_eq!(
            settle_identity(
                Some(&schema()),
                partly,
                Known::WhollyOrDropped,
                "x",
                &mut quiet
            ),
            Value::Null
        );
        assert!(quiet.is_empty());
    }

    #[test]
    fn a_type_without_identity_never_answers_one() {
        let mut diags = Diagnostics::new();
        let any = Value::object([("name", Value::string("a"))]);
        assert_eq!(
            settle_identity(None, any, Known::Wholly, "x", &mut diags),
            Value::Null
        );
        assert!(diags.is_empty());
    }

    #[test]
    fn identities_of_the_wrong_shape_are_refused_even_when_partly_known() {
        let mut diags = Diagnostics::new();
        let wrong = Value::object([("name", Value::Unknown)]);
        assert_eq!(
            settle_identity(Some(&schema()), wrong, Known::Partly, "x", &mut diags),
            Value::Null
        );
        assert!(diags.has_errors());
    }

    #[test]
    fn the_identity_block_keeps_required_and_optional() {
        let block = identity_block(&schema());
        let presences: Vec<(&str, Presence)> = block
            .attributes()
            .iter()
            .map(|a| (a.name(), a.presence()))
            .collect();
        assert_eq!(
            presences,
            [("name", Presence::Required), ("region", Presence::Optional)]
        );
    }
}
