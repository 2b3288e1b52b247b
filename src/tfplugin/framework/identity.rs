//! Resource identity (Terraform 1.12+, protocol 6.9): a small object that names the remote
//! object a resource instance manages (e.g. account, region, repository, tag), stored by
//! Terraform beside the state and used by `import { identity = { … } }` and by list resources.
//!
//! A resource type gets one by implementing [`ResourceIdentity`] on top of [`Resource`] and
//! registering with [`resource_with_identity`] instead of [`super::resource`]:
//!
//! - the identity's attributes are a model declared with [`crate::model!`]: `required()`
//!   members are required for import, `optional()` ones may be left out (the provider fills
//!   them in); each member's doc comment is its description;
//! - the resource reports the identity of the object it reads, plans or applies with
//!   [`Ctx::set_identity`]; where it does not, the framework answers with the identity
//!   Terraform sent (current, prior or planned), so an identity set once is kept in step;
//! - [`ResourceIdentity::import_identity`] turns an identity given to import into a state,
//!   as [`Resource::import`] does for an import ID.
//!
//! Terraform releases before 1.12 never ask for identities: the type works there unchanged.

use std::future::Future;
use std::sync::Arc;

use super::{AnyResource, ApplyError, BoxFuture, Change, Ctx, Plan, Resource};
use crate::tfplugin::diagnostics::{Diagnostic, Diagnostics};
use crate::tfplugin::model::{Model, Object};
use crate::tfplugin::schema::{Block, Presence, Schema};
use crate::tfplugin::value::{Type, Value, json};

/// One attribute of an identity.
#[derive(Debug, Clone, PartialEq)]
pub struct IdentityAttribute {
    /// The attribute name.
    pub name: String,
    /// Its type.
    pub ty: Type,
    /// Import needs it; otherwise the provider can fill it in.
    pub required_for_import: bool,
    /// What it is (Markdown).
    pub description: String,
}

/// The identity schema of a resource type: a version and attributes.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct IdentitySchema {
    pub(crate) version: i64,
    pub(crate) attributes: Vec<IdentityAttribute>,
    /// Members of the model that cannot be identity attributes (reported by [`Self::check`]).
    pub(crate) problems: Vec<String>,
}

impl IdentitySchema {
    /// The identity schema of model `I` at `version`: its `required()` members are required
    /// for import, its `optional()` members optional.
    pub fn of<I: Object>(version: i64) -> IdentitySchema {
        IdentitySchema::from_block(version, &I::block())
    }

    /// The identity schema of a block of attributes (see [`Self::of`]).
    pub fn from_block(version: i64, block: &Block) -> IdentitySchema {
        let mut schema = IdentitySchema {
            version,
            ..IdentitySchema::default()
        };
        for a in block.attributes() {
            let required_for_import = match a.presence() {
                Presence::Required => true,
                Presence::Optional => false,
                other => {
                    schema.problems.push(format!(
                        "identity attribute {:?} is {other:?}: identity attributes are required or optional for import",
                        a.name()
                    ));
                    continue;
                }
            };
            if a.nested_type().is_some() {
                schema.problems.push(format!(
                    "identity attribute {:?} is a nested attribute: identities hold plain values",
                    a.name()
                ));
                continue;
            }
            schema.attributes.push(IdentityAttribute {
                name: a.name().to_owned(),
                ty: a.ty().clone(),
                required_for_import,
                description: a.description_text().to_owned(),
            });
        }
        for b in block.blocks() {
            schema.problems.push(format!(
                "identity member {:?} is a block: identities hold attributes only",
                b.name()
            ));
        }
        schema
    }

    /// The identity schema version (bump it when stored identities need an upgrade).
    pub fn version(&self) -> i64 {
        self.version
    }

    /// The attributes, in declaration order.
    pub fn attributes(&self) -> &[IdentityAttribute] {
        &self.attributes
    }

    /// The object type of an identity value.
    pub fn implied_type(&self) -> Type {
        Type::Object(
            self.attributes
                .iter()
                .map(|a| (a.name.clone(), a.ty.clone()))
                .collect(),
        )
    }

    /// What Terraform would refuse or panic on: members that cannot be identity attributes,
    /// names outside `^[a-z0-9_]+$`, no attributes at all, no attribute required for import.
    pub fn check(&self) -> Result<(), Vec<String>> {
        let mut problems = self.problems.clone();
        if self.attributes.is_empty() && problems.is_empty() {
            problems.push("the identity has no attributes".to_owned());
        }
        for a in &self.attributes {
            if a.name.is_empty()
                || !a
                    .name
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
            {
                problems.push(format!("identity attribute name {:?} is invalid", a.name));
            }
        }
        if !self.attributes.is_empty() && !self.attributes.iter().any(|a| a.required_for_import) {
            problems.push(
                "no identity attribute is required for import, so an empty identity would import"
                    .to_owned(),
            );
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems)
        }
    }

    /// Checks that `value` is a wholly known identity object (what Terraform stores).
    pub(crate) fn check_known(&self, value: &Value) -> Result<(), String> {
        if !value.is_wholly_known() {
            return Err("the identity has unknown values".to_owned());
        }
        match value {
            Value::Map(fields) => {
                for a in &self.attributes {
                    if !fields.contains_key(&a.name) {
                        return Err(format!("the identity has no attribute {:?}", a.name));
                    }
                }
                if let Some(extra) = fields
                    .keys()
                    .find(|k| !self.attributes.iter().any(|a| &a.name == *k))
                {
                    return Err(format!(
                        "the identity has an attribute the schema does not: {extra:?}"
                    ));
                }
                Ok(())
            }
            _ => Err(format!("the identity is {}, not an object", value.kind())),
        }
    }

    /// Reads stored identity JSON (UpgradeResourceIdentity at the current version).
    pub(crate) fn decode_json(&self, raw_json: &[u8]) -> Result<Value, Diagnostics> {
        json::decode_state(&self.implied_type(), raw_json).map_err(|err| {
            Diagnostic::error(
                "Unreadable Resource Identity",
                format!("The stored identity could not be decoded: {err}."),
            )
            .into()
        })
    }
}

/// A managed resource type with an identity. Implement it beside [`Resource`] and register
/// the type with [`resource_with_identity`].
pub trait ResourceIdentity: Resource {
    /// The identity's attributes (a model declared with [`crate::model!`]).
    type Identity: Model + Object;

    /// The identity schema version: bump it when stored identities need
    /// [`ResourceIdentity::upgrade_identity`].
    const IDENTITY_VERSION: i64 = 0;

    /// Builds a state from an identity given to import (`import { identity = { … } }`);
    /// Terraform then calls `read`. Attributes left out are null in `identity`: fill them in
    /// (e.g. the provider's region) with [`Ctx::set_identity`], or `read` does.
    fn import_identity(
        &self,
        ctx: &mut Ctx<'_, Self::Data>,
        identity: Self::Identity,
    ) -> impl Future<Output = Result<Self::Model, Diagnostics>> + Send;

    /// Converts raw JSON identity stored with an older identity `version`. Only called when
    /// `version` is below [`ResourceIdentity::IDENTITY_VERSION`].
    fn upgrade_identity(
        &self,
        version: i64,
        raw_json: &[u8],
    ) -> Result<Self::Identity, Diagnostics> {
        let _ = raw_json;
        Err(Diagnostic::error(
            "Unsupported Identity Version",
            format!(
                "The identity of {} was stored with identity version {version}, which this provider cannot upgrade.",
                self.type_name()
            ),
        )
        .into())
    }
}

/// A [`ResourceIdentity`] erased into [`AnyResource`]: every resource operation is the
/// resource's own, plus the identity ones.
struct Identified<R>(R);

/// Registers a resource type with an identity: `vec![resource_with_identity(ProdTag)]`.
pub fn resource_with_identity<R: ResourceIdentity>(r: R) -> Arc<dyn AnyResource<R::Data>> {
    Arc::new(Identified(r))
}

impl<R: ResourceIdentity> AnyResource<R::Data> for Identified<R> {
    fn type_name(&self) -> &'static str {
        AnyResource::type_name(&self.0)
    }
    fn schema(&self) -> Schema {
        AnyResource::schema(&self.0)
    }
    fn round_trip(&self, value: &Value) -> Result<Value, Diagnostics> {
        AnyResource::round_trip(&self.0, value)
    }
    fn validate(&self, config: &Value) -> Diagnostics {
        AnyResource::validate(&self.0, config)
    }
    fn plan<'a>(
        &'a self,
        ctx: &'a mut Ctx<'_, R::Data>,
        plan: &'a mut Plan,
    ) -> BoxFuture<'a, Result<(), Diagnostics>> {
        AnyResource::plan(&self.0, ctx, plan)
    }
    fn plan_destroy(&self, ctx: &mut Ctx<'_, R::Data>, prior: &Value) -> Result<(), Diagnostics> {
        AnyResource::plan_destroy(&self.0, ctx, prior)
    }
    fn create<'a>(
        &'a self,
        ctx: &'a mut Ctx<'_, R::Data>,
        change: Change<'a>,
    ) -> BoxFuture<'a, Result<Value, ApplyError>> {
        AnyResource::create(&self.0, ctx, change)
    }
    fn read<'a>(
        &'a self,
        ctx: &'a mut Ctx<'_, R::Data>,
        state: &'a Value,
    ) -> BoxFuture<'a, Result<Option<Value>, Diagnostics>> {
        AnyResource::read(&self.0, ctx, state)
    }
    fn update<'a>(
        &'a self,
        ctx: &'a mut Ctx<'_, R::Data>,
        change: Change<'a>,
    ) -> BoxFuture<'a, Result<Value, ApplyError>> {
        AnyResource::update(&self.0, ctx, change)
    }
    fn delete<'a>(
        &'a self,
        ctx: &'a mut Ctx<'_, R::Data>,
        prior: &'a Value,
    ) -> BoxFuture<'a, Result<(), ApplyError>> {
        AnyResource::delete(&self.0, ctx, prior)
    }
    fn import<'a>(
        &'a self,
        ctx: &'a mut Ctx<'_, R::Data>,
        id: &'a str,
    ) -> BoxFuture<'a, Result<Value, Diagnostics>> {
        AnyResource::import(&self.0, ctx, id)
    }
    fn upgrade_state(&self, version: i64, raw_json: &[u8]) -> Result<Value, Diagnostics> {
        AnyResource::upgrade_state(&self.0, version, raw_json)
    }

    fn identity_schema(&self) -> Option<IdentitySchema> {
        Some(IdentitySchema::of::<R::Identity>(R::IDENTITY_VERSION))
    }
    fn identity_round_trip(&self, value: &Value) -> Result<Value, Diagnostics> {
        let name = Resource::type_name(&self.0);
        R::Identity::decode(value, &format!("an identity of {name}")).map(|i| i.to_value())
    }
    fn import_identity<'a>(
        &'a self,
        ctx: &'a mut Ctx<'_, R::Data>,
        identity: &'a Value,
    ) -> BoxFuture<'a, Result<Value, Diagnostics>> {
        Box::pin(async move {
            let name = Resource::type_name(&self.0);
            let identity =
                R::Identity::decode(identity, &format!("the identity to import as {name}"))?;
            Ok(ResourceIdentity::import_identity(&self.0, ctx, identity)
                .await?
                .to_value())
        })
    }
    fn upgrade_identity(&self, version: i64, raw_json: &[u8]) -> Result<Value, Diagnostics> {
        ResourceIdentity::upgrade_identity(&self.0, version, raw_json).map(|i| i.to_value())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model;
    use crate::tfplugin::model::{Tf, computed, optional, required};

    model! {
        /// An identity for the tests.
        #[derive(Debug, Clone, PartialEq, Default)]
        struct Id {
            /// The name.
            name: Tf<String> => required(),
            /// The region.
            region: Tf<String> => optional(),
        }
    }

    model! {
        /// Not an identity: a computed member.
        #[derive(Debug, Clone, PartialEq, Default)]
        struct NotId {
            /// The region.
            region: Tf<String> => optional(),
            /// Computed.
            arn: Tf<String> => computed(),
        }
    }

    #[test]
    fn a_models_required_members_are_required_for_import() {
        let schema = IdentitySchema::of::<Id>(2);
        assert_eq!(schema.check(), Ok(()));
        assert_eq!(schema.version(), 2);
        let flags: Vec<(&str, bool, &str)> = schema
            .attributes()
            .iter()
            .map(|a| {
                (
                    a.name.as_str(),
                    a.required_for_import,
                    a.description.as_str(),
                )
            })
            .collect();
        assert_eq!(
            flags,
            [
                ("name", true, "The name."),
                ("region", false, "The region.")
            ]
        );
        assert_eq!(
            schema.implied_type().to_json(),
            r#"["object",{"name":"string","region":"string"}]"#
        );
    }

    #[test]
    fn computed_members_and_identities_without_a_required_member_are_refused() {
        let problems = IdentitySchema::of::<NotId>(0).check().expect_err("refused");
        assert!(
            problems.iter().any(|p| p.contains("\"arn\"")),
            "{problems:?}"
        );
        assert!(
            problems.iter().any(|p| p.contains("required for import")),
            "{problems:?}"
        );
    }

    #[test]
    fn known_identities_have_exactly_the_schemas_attributes() {
        let schema = IdentitySchema::of::<Id>(0);
        let ok = Value::object([("name", Value::string("a")), ("region", Value::Null)]);
        assert_eq!(schema.check_known(&ok), Ok(()));
        let unknown = Value::object([("name", Value::Unknown), ("region", Value::Null)]);
        assert!(schema.check_known(&unknown).is_err());
        let missing = Value::object([("name", Value::string("a"))]);
        assert!(schema.check_known(&missing).is_err());
        let decoded = schema
            .decode_json(br#"{"name":"a"}"#)
            .expect("missing attributes are null");
        assert_eq!(decoded, ok);
    }
}
