//! Nested attributes over gRPC: a release of images keyed by name (a map nested attribute with
//! required, defaulted, optional and computed members), its schema on the wire, and the plan
//! and apply rules inside it. The resource's behaviour is chosen by `name`.

use std::collections::BTreeMap;

use terraform_provider_tagdeploy::model;
use terraform_provider_tagdeploy::tfplugin::diagnostics::{Diagnostic, Diagnostics};
use terraform_provider_tagdeploy::tfplugin::framework::{ApplyError, Change, Ctx, Plan, Resource};
use terraform_provider_tagdeploy::tfplugin::model::{
    Object, Tf, computed, optional, optional_computed, required,
};
use terraform_provider_tagdeploy::tfplugin::schema::{Schema, validators};
use terraform_provider_tagdeploy::tfplugin::value::{Value, msgpack};

use super::client::tfplugin6 as pb;
use super::rules::{Harness, errors, harness};

/// The test resource.
pub(super) struct Release;

model! {
    /// A release: images keyed by name.
    #[derive(Debug, Clone, PartialEq, Default)]
    pub(super) struct ReleaseModel {
        /// Chooses the behaviour.
        name: Tf<String> => required(),
        /// The images.
        images: Tf<BTreeMap<String, ImageModel>> => required(),
    }
}

model! {
    /// One image.
    #[derive(Debug, Clone, PartialEq, Default)]
    pub(super) struct ImageModel {
        /// Its repository; changing it replaces the release.
        repository: Tf<String> => required()
            .requires_replace()
            .validate(validators::non_empty()),
        /// Its environment tag.
        tag: Tf<String> => optional_computed().default(Value::string("prod")),
        /// A note.
        note: Tf<String> => optional(),
        /// Resolved at plan.
        digest: Tf<String> => computed(),
        /// Decided at apply.
        deployment: Tf<String> => computed(),
    }
}

impl Resource for Release {
    type Data = String;
    type Model = ReleaseModel;
    fn type_name(&self) -> &'static str {
        "test_release"
    }
    fn schema(&self) -> Schema {
        ReleaseModel::schema(0)
    }
    async fn plan(
        &self,
        _: &mut Ctx<'_, String>,
        plan: &mut Plan<ReleaseModel>,
    ) -> Result<(), Diagnostics> {
        let planned = plan.planned_mut();
        let rogue = planned.name.as_str() == Some("rogue-member");
        if let Tf::Known(images) = &mut planned.images {
            for image in images.values_mut() {
                if let (Some(repository), Some(tag)) =
                    (image.repository.as_str(), image.tag.as_str())
                {
                    image.digest = format!("sha256:{repository}-{tag}").into();
                }
                if rogue {
                    image.note = "not what you wrote".into();
                }
            }
        }
        Ok(())
    }
    async fn create(
        &self,
        _: &mut Ctx<'_, String>,
        change: Change<'_, ReleaseModel>,
    ) -> Result<ReleaseModel, ApplyError<ReleaseModel>> {
        let mut state = change.planned.clone();
        let drift = state.name.as_str() == Some("drift-member");
        if let Tf::Known(images) = &mut state.images {
            for (key, image) in images.iter_mut() {
                image.deployment = format!("ecs-svc/{key}").into();
                if drift {
                    image.digest = "sha256:something-else".into();
                }
            }
        }
        Ok(state)
    }
    async fn read(
        &self,
        _: &mut Ctx<'_, String>,
        state: ReleaseModel,
    ) -> Result<Option<ReleaseModel>, Diagnostics> {
        Ok(Some(state))
    }
    async fn update(
        &self,
        ctx: &mut Ctx<'_, String>,
        change: Change<'_, ReleaseModel>,
    ) -> Result<ReleaseModel, ApplyError<ReleaseModel>> {
        self.create(ctx, change).await
    }
    async fn delete(
        &self,
        _: &mut Ctx<'_, String>,
        _: &ReleaseModel,
    ) -> Result<(), ApplyError<ReleaseModel>> {
        Err(Diagnostic::error("Not Here", "deletes are not part of these tests").into())
    }
}

fn dv(v: &Value) -> Option<pb::DynamicValue> {
    Some(pb::DynamicValue {
        msgpack: msgpack::encode(&ReleaseModel::block().implied_type(), v).unwrap(),
        json: vec![],
    })
}

fn val(d: Option<pb::DynamicValue>) -> Value {
    msgpack::decode(&ReleaseModel::block().implied_type(), &d.unwrap().msgpack).unwrap()
}

/// A configured image: computed members null.
fn image(repository: &str, tag: Value) -> Value {
    Value::object([
        ("repository", Value::string(repository)),
        ("tag", tag),
        ("note", Value::Null),
        ("digest", Value::Null),
        ("deployment", Value::Null),
    ])
}

fn release(name: &str, images: Vec<(&str, Value)>) -> Value {
    Value::object([
        ("name", Value::string(name)),
        ("images", Value::object(images)),
    ])
}

/// A wire path as Terraform would print it: `images["api"].note`.
fn path(p: &pb::AttributePath) -> String {
    use pb::attribute_path::step::Selector;
    let mut out = String::new();
    for step in &p.steps {
        match &step.selector {
            Some(Selector::AttributeName(n)) if out.is_empty() => out.push_str(n),
            Some(Selector::AttributeName(n)) => out.push_str(&format!(".{n}")),
            Some(Selector::ElementKeyString(k)) => out.push_str(&format!("[{k:?}]")),
            Some(Selector::ElementKeyInt(i)) => out.push_str(&format!("[{i}]")),
            None => {}
        }
    }
    out
}

impl Harness {
    async fn plan_release(
        &mut self,
        prior: &Value,
        proposed: &Value,
        config: &Value,
    ) -> pb::plan_resource_change::Response {
        self.client
            .plan_resource_change(pb::plan_resource_change::Request {
                type_name: "test_release".into(),
                prior_state: dv(prior),
                proposed_new_state: dv(proposed),
                config: dv(config),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner()
    }

    async fn apply_release(
        &mut self,
        prior: &Value,
        planned: &Value,
        config: &Value,
    ) -> pb::apply_resource_change::Response {
        self.client
            .apply_resource_change(pb::apply_resource_change::Request {
                type_name: "test_release".into(),
                prior_state: dv(prior),
                planned_state: dv(planned),
                config: dv(config),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner()
    }
}

#[tokio::test]
async fn the_schema_carries_the_nested_type_and_its_members() {
    let mut h = harness().await;
    let resp = h
        .client
        .get_provider_schema(pb::get_provider_schema::Request {})
        .await
        .unwrap()
        .into_inner();
    assert!(resp.diagnostics.is_empty(), "{:?}", resp.diagnostics);
    let block = resp.resource_schemas["test_release"]
        .block
        .as_ref()
        .expect("block");
    let images = block
        .attributes
        .iter()
        .find(|a| a.name == "images")
        .expect("images");
    assert!(images.r#type.is_empty() && images.required);
    let nested = images.nested_type.as_ref().expect("nested_type");
    assert_eq!(nested.nesting, pb::schema::object::NestingMode::Map as i32);
    let flags: Vec<(&str, bool, bool, bool)> = nested
        .attributes
        .iter()
        .map(|a| (a.name.as_str(), a.required, a.optional, a.computed))
        .collect();
    assert_eq!(
        flags,
        [
            ("repository", true, false, false),
            ("tag", false, true, true),
            ("note", false, true, false),
            ("digest", false, false, true),
            ("deployment", false, false, true),
        ]
    );
}

#[tokio::test]
async fn plan_fills_members_and_apply_keeps_them() {
    let mut h = harness().await;
    let cfg = release("plain", vec![("api", image("api", Value::Null))]);
    let plan = h.plan_release(&Value::Null, &cfg, &cfg).await;
    assert!(plan.diagnostics.is_empty(), "{:?}", plan.diagnostics);
    let planned = val(plan.planned_state);
    let api = planned.attr("images").attr("api");
    assert_eq!(api.attr("tag"), &Value::string("prod"), "member default");
    assert_eq!(api.attr("digest"), &Value::string("sha256:api-prod"));
    assert!(api.attr("deployment").is_unknown());

    let applied = h.apply_release(&Value::Null, &planned, &cfg).await;
    assert!(applied.diagnostics.is_empty(), "{:?}", applied.diagnostics);
    let state = val(applied.new_state);
    assert_eq!(
        state.attr("images").attr("api").attr("deployment"),
        &Value::string("ecs-svc/api")
    );

    // Another image joins; the first one is unchanged and keeps its computed members. The
    // repository of neither changed: no replacement.
    let cfg2 = release(
        "plain",
        vec![
            ("api", image("api", Value::Null)),
            ("web", image("web", Value::string("stage"))),
        ],
    );
    let proposed = release(
        "plain",
        vec![
            ("api", state.attr("images").attr("api").clone()),
            ("web", image("web", Value::string("stage"))),
        ],
    );
    let plan = h.plan_release(&state, &proposed, &cfg2).await;
    assert!(plan.diagnostics.is_empty(), "{:?}", plan.diagnostics);
    assert!(plan.requires_replace.is_empty());
    let planned = val(plan.planned_state);
    assert_eq!(
        planned.attr("images").attr("api"),
        state.attr("images").attr("api")
    );
    assert_eq!(
        planned.attr("images").attr("web").attr("digest"),
        &Value::string("sha256:web-stage")
    );
    assert!(
        planned
            .attr("images")
            .attr("web")
            .attr("deployment")
            .is_unknown()
    );
}

#[tokio::test]
async fn a_changed_member_declared_requires_replace_replaces_by_its_path() {
    let mut h = harness().await;
    let cfg = release("plain", vec![("api", image("api", Value::Null))]);
    let planned = val(h.plan_release(&Value::Null, &cfg, &cfg).await.planned_state);
    let state = val(h
        .apply_release(&Value::Null, &planned, &cfg)
        .await
        .new_state);
    let moved = release("plain", vec![("api", image("api-2", Value::Null))]);
    let plan = h.plan_release(&state, &moved, &moved).await;
    assert!(plan.diagnostics.is_empty(), "{:?}", plan.diagnostics);
    let paths: Vec<String> = plan.requires_replace.iter().map(path).collect();
    assert_eq!(paths, ["images[\"api\"].repository"]);
}

#[tokio::test]
async fn a_resource_changing_a_configured_member_is_refused_at_the_member() {
    let mut h = harness().await;
    let cfg = release("rogue-member", vec![("api", image("api", Value::Null))]);
    let plan = h.plan_release(&Value::Null, &cfg, &cfg).await;
    let errs = errors(&plan.diagnostics);
    assert_eq!(errs.len(), 1, "{:?}", plan.diagnostics);
    assert_eq!(errs[0].summary, "Provider Produced Invalid Plan");
    assert_eq!(
        errs[0].attribute.as_ref().map(path).as_deref(),
        Some("images[\"api\"].note")
    );
    assert!(plan.planned_state.is_none());
}

#[tokio::test]
async fn apply_must_keep_every_member_known_in_the_plan() {
    let mut h = harness().await;
    let cfg = release("drift-member", vec![("api", image("api", Value::Null))]);
    let planned = val(h.plan_release(&Value::Null, &cfg, &cfg).await.planned_state);
    let applied = h.apply_release(&Value::Null, &planned, &cfg).await;
    let errs = errors(&applied.diagnostics);
    assert_eq!(errs.len(), 1, "{:?}", applied.diagnostics);
    assert_eq!(errs[0].summary, "Provider Produced Inconsistent Result");
    assert_eq!(
        errs[0].attribute.as_ref().map(path).as_deref(),
        Some("images[\"api\"].digest")
    );
}

#[tokio::test]
async fn member_validators_point_at_the_member() {
    let mut h = harness().await;
    let resp = h
        .client
        .validate_resource_config(pb::validate_resource_config::Request {
            type_name: "test_release".into(),
            config: dv(&release("plain", vec![("api", image("", Value::Null))])),
            client_capabilities: None,
        })
        .await
        .unwrap()
        .into_inner();
    let errs = errors(&resp.diagnostics);
    assert_eq!(errs.len(), 1, "{:?}", resp.diagnostics);
    assert_eq!(
        errs[0].attribute.as_ref().map(path).as_deref(),
        Some("images[\"api\"].repository")
    );
}
