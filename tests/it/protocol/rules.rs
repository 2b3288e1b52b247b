//! The framework's plan/apply rules over gRPC, in-process, with a tiny test resource whose
//! behaviour is chosen by its `name` attribute.

use std::sync::Arc;

use terraform_provider_tagdeploy::model;
use terraform_provider_tagdeploy::tfplugin::diagnostics::{Diagnostic, Diagnostics};
use terraform_provider_tagdeploy::tfplugin::framework::{
    AnyDataSource, AnyResource, ApplyError, Change, Ctx, Function, Plan, Provider, Resource,
    Runtime, resource,
};
use terraform_provider_tagdeploy::tfplugin::handshake::Listener;
use terraform_provider_tagdeploy::tfplugin::model::{
    Object, Tf, computed, optional, optional_computed, required,
};
use terraform_provider_tagdeploy::tfplugin::schema::{Attribute, Presence, Schema, validators};
use terraform_provider_tagdeploy::tfplugin::server;
use terraform_provider_tagdeploy::tfplugin::value::{Type, Value, msgpack};
use tokio_util::sync::CancellationToken;

use super::client::{self, ProviderClient, tfplugin6 as pb};
use super::nested::Release;

struct TestProvider;
struct Thing;

impl Provider for TestProvider {
    type Data = String;
    // The provider block stays untyped: `Value` is a model too.
    type Model = Value;
    fn type_name(&self) -> &'static str {
        "test"
    }
    fn schema(&self) -> Schema {
        Schema::new(0).attribute(Attribute::string("greeting", Presence::Optional))
    }
    async fn configure(&self, _: &mut Ctx<'_, ()>, config: Value) -> Result<String, Diagnostics> {
        Ok(config
            .attr("greeting")
            .as_str()
            .unwrap_or("hello")
            .to_owned())
    }
    fn resources(&self) -> Vec<Arc<dyn AnyResource<String>>> {
        vec![resource(Thing), resource(Release)]
    }
    fn data_sources(&self) -> Vec<Arc<dyn AnyDataSource<String>>> {
        vec![]
    }
    fn functions(&self) -> Vec<Arc<dyn Function>> {
        vec![]
    }
}

model! {
    /// The test resource; its behaviour is chosen by `name`.
    #[derive(Debug, Clone, PartialEq, Default)]
    struct ThingModel {
        /// Chooses the behaviour.
        name: Tf<String> => required().requires_replace().validate(validators::non_empty()),
        /// A note.
        note: Tf<String> => optional(),
        /// A defaulted tag.
        tag: Tf<String> => optional_computed().default(Value::string("prod")),
        /// Set once.
        id: Tf<String> => computed().keep_prior_when_unknown(),
        /// Decided at plan (`known`) or apply.
        digest: Tf<String> => computed(),
    }
}

impl Resource for Thing {
    type Data = String;
    type Model = ThingModel;
    fn type_name(&self) -> &'static str {
        "test_thing"
    }
    fn schema(&self) -> Schema {
        ThingModel::schema(1)
    }
    async fn plan(
        &self,
        ctx: &mut Ctx<'_, String>,
        plan: &mut Plan<ThingModel>,
    ) -> Result<(), Diagnostics> {
        let planned = plan.planned_mut();
        match planned.name.as_str() {
            Some("known") => planned.digest = format!("{}-digest", ctx.data()).into(),
            Some("rogue-plan") => planned.note = "not what you wrote".into(),
            Some("warn") => ctx.warn(Diagnostic::warning("Heads Up", "planned with a warning")),
            _ => {}
        }
        ctx.set_private(b"planned".to_vec());
        Ok(())
    }
    async fn create(
        &self,
        ctx: &mut Ctx<'_, String>,
        change: Change<'_, ThingModel>,
    ) -> Result<ThingModel, ApplyError<ThingModel>> {
        assert_eq!(ctx.private(), b"planned", "private bytes reach apply");
        let mut state = change.planned.clone();
        state.id = "id-1".into();
        if state.digest.is_unknown() {
            state.digest = "sha256:applied".into();
        }
        match change.planned.name.as_str() {
            Some("rogue-apply") => state.tag = "changed-behind-your-back".into(),
            Some("half-done") => {
                return Err(ApplyError::from(Diagnostic::error(
                    "Create Failed",
                    "the second step failed",
                ))
                .with_state(state));
            }
            Some("wait-for-stop") => {
                ctx.cancellation().cancelled().await;
                return Err(Diagnostic::error(
                    "Interrupted",
                    "Terraform asked the provider to stop",
                )
                .into());
            }
            Some("unknown-left") => state.digest = Tf::Unknown,
            _ => {}
        }
        Ok(state)
    }
    async fn read(
        &self,
        _: &mut Ctx<'_, String>,
        state: ThingModel,
    ) -> Result<Option<ThingModel>, Diagnostics> {
        Ok((state.name.as_str() != Some("gone")).then_some(state))
    }
    async fn update(
        &self,
        _: &mut Ctx<'_, String>,
        change: Change<'_, ThingModel>,
    ) -> Result<ThingModel, ApplyError<ThingModel>> {
        Ok(ThingModel {
            digest: "sha256:updated".into(),
            ..change.planned.clone()
        })
    }
    async fn delete(
        &self,
        _: &mut Ctx<'_, String>,
        _: &ThingModel,
    ) -> Result<(), ApplyError<ThingModel>> {
        Ok(())
    }
    fn upgrade_state(&self, version: i64, raw_json: &[u8]) -> Result<ThingModel, Diagnostics> {
        // Version 0 called the attribute "label".
        let old: serde_json::Value = serde_json::from_slice(raw_json)
            .map_err(|e| Diagnostics::from(Diagnostic::error("Bad State", e.to_string())))?;
        assert_eq!(version, 0);
        let s = |k: &str| -> Tf<String> {
            old.get(k)
                .and_then(|v| v.as_str())
                .map(str::to_owned)
                .into()
        };
        Ok(ThingModel {
            name: s("label"),
            note: Tf::Null,
            tag: s("tag"),
            id: s("id"),
            digest: s("digest"),
        })
    }
}

fn ty() -> Type {
    Resource::schema(&Thing).implied_type()
}

fn dv(v: &Value) -> Option<pb::DynamicValue> {
    Some(pb::DynamicValue {
        msgpack: msgpack::encode(&ty(), v).unwrap(),
        json: vec![],
    })
}

fn val(d: Option<pb::DynamicValue>) -> Value {
    msgpack::decode(&ty(), &d.unwrap().msgpack).unwrap()
}

fn config(name: &str, note: Value, tag: Value) -> Value {
    Value::object([
        ("name", Value::string(name)),
        ("note", note),
        ("tag", tag),
        ("id", Value::Null),
        ("digest", Value::Null),
    ])
}

fn paths(p: &[pb::AttributePath]) -> Vec<String> {
    use pb::attribute_path::step::Selector;
    p.iter()
        .map(|p| {
            p.steps
                .iter()
                .filter_map(|s| match &s.selector {
                    Some(Selector::AttributeName(n)) => Some(n.clone()),
                    _ => None,
                })
                .collect::<Vec<_>>()
                .join(".")
        })
        .collect()
}

pub(super) fn errors(diags: &[pb::Diagnostic]) -> Vec<&pb::Diagnostic> {
    diags
        .iter()
        .filter(|d| d.severity == pb::diagnostic::Severity::Error as i32)
        .collect()
}

pub(super) struct Harness {
    pub(super) client: ProviderClient,
    shutdown: CancellationToken,
    _dir: tempfile::TempDir,
}

pub(super) async fn harness() -> Harness {
    let dir = tempfile::tempdir().unwrap();
    let listener = Listener::bind_unix(dir.path()).unwrap();
    let (_, socket) = listener.address().unwrap();
    let shutdown = CancellationToken::new();
    tokio::spawn(server::serve(
        Arc::new(Runtime::new(TestProvider)),
        listener,
        None,
        shutdown.clone(),
    ));
    let channel = client::connect(socket.into(), None).await.unwrap();
    let mut client = ProviderClient::new(channel);
    let configure = client
        .configure_provider(pb::configure_provider::Request {
            terraform_version: "1.15.0".into(),
            config: Some(pb::DynamicValue {
                msgpack: msgpack::encode(
                    &TestProvider.schema().implied_type(),
                    &Value::object([("greeting", Value::string("hi"))]),
                )
                .unwrap(),
                json: vec![],
            }),
            client_capabilities: None,
        })
        .await
        .unwrap()
        .into_inner();
    assert!(configure.diagnostics.is_empty());
    Harness {
        client,
        shutdown,
        _dir: dir,
    }
}

impl Harness {
    async fn plan(
        &mut self,
        prior: &Value,
        proposed: &Value,
        config: &Value,
    ) -> pb::plan_resource_change::Response {
        self.client
            .plan_resource_change(pb::plan_resource_change::Request {
                type_name: "test_thing".into(),
                prior_state: dv(prior),
                proposed_new_state: dv(proposed),
                config: dv(config),
                prior_private: b"prior".to_vec(),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner()
    }

    async fn apply(
        &mut self,
        prior: &Value,
        planned: &Value,
        config: &Value,
    ) -> pb::apply_resource_change::Response {
        self.client
            .apply_resource_change(pb::apply_resource_change::Request {
                type_name: "test_thing".into(),
                prior_state: dv(prior),
                planned_state: dv(planned),
                config: dv(config),
                planned_private: b"planned".to_vec(),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner()
    }
}

impl Drop for Harness {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

#[tokio::test]
async fn create_plan_then_apply_round_trip() {
    let mut h = harness().await;
    let cfg = config("plain", Value::Null, Value::Null);
    let plan = h.plan(&Value::Null, &cfg, &cfg).await;
    assert!(plan.diagnostics.is_empty(), "{:?}", plan.diagnostics);
    assert!(plan.requires_replace.is_empty(), "never on create");
    assert_eq!(plan.planned_private, b"planned");
    let planned = val(plan.planned_state);
    assert_eq!(
        planned.attr("tag"),
        &Value::string("prod"),
        "default applied"
    );
    assert!(planned.attr("id").is_unknown() && planned.attr("digest").is_unknown());

    let applied = h.apply(&Value::Null, &planned, &cfg).await;
    assert!(applied.diagnostics.is_empty(), "{:?}", applied.diagnostics);
    let state = val(applied.new_state);
    assert_eq!(state.attr("id"), &Value::string("id-1"));
    assert_eq!(state.attr("digest"), &Value::string("sha256:applied"));
    assert_eq!(applied.private, b"planned", "private round-trips");
}

#[tokio::test]
async fn resource_fills_values_known_at_plan_time_from_provider_data() {
    let mut h = harness().await;
    let cfg = config("known", Value::Null, Value::Null);
    let plan = h.plan(&Value::Null, &cfg, &cfg).await;
    assert!(plan.diagnostics.is_empty());
    assert_eq!(
        val(plan.planned_state).attr("digest"),
        &Value::string("hi-digest")
    );
}

#[tokio::test]
async fn changing_a_configured_value_in_plan_is_an_error_naming_the_attribute() {
    let mut h = harness().await;
    let cfg = config("rogue-plan", Value::string("mine"), Value::Null);
    let plan = h.plan(&Value::Null, &cfg, &cfg).await;
    let errs = errors(&plan.diagnostics);
    assert_eq!(errs.len(), 1, "{:?}", plan.diagnostics);
    assert_eq!(errs[0].summary, "Provider Produced Invalid Plan");
    assert_eq!(
        paths(&errs[0].attribute.iter().cloned().collect::<Vec<_>>()),
        ["note"]
    );
    assert!(
        plan.planned_state.is_none(),
        "no plan is returned with the error"
    );
}

#[tokio::test]
async fn update_keeps_declared_prior_values_and_replaces_on_declared_changes() {
    let mut h = harness().await;
    let prior = Value::object([
        ("name", Value::string("plain")),
        ("note", Value::Null),
        ("tag", Value::string("prod")),
        ("id", Value::string("id-1")),
        ("digest", Value::string("sha256:applied")),
    ]);
    // No change: the plan equals the prior state.
    let cfg = config("plain", Value::Null, Value::Null);
    let plan = h.plan(&prior, &prior, &cfg).await;
    assert_eq!(val(plan.planned_state), prior);
    assert!(plan.requires_replace.is_empty());

    // A change of `note`: digest becomes unknown, id is kept; no replacement.
    let cfg = config("plain", Value::string("n"), Value::Null);
    let mut proposed = prior.clone();
    if let Value::Map(f) = &mut proposed {
        f.insert("note".into(), Value::string("n"));
    }
    let plan = h.plan(&prior, &proposed, &cfg).await;
    let planned = val(plan.planned_state);
    assert_eq!(planned.attr("id"), &Value::string("id-1"));
    assert!(planned.attr("digest").is_unknown());
    assert!(plan.requires_replace.is_empty());
    let applied = h.apply(&prior, &planned, &cfg).await;
    assert!(applied.diagnostics.is_empty(), "{:?}", applied.diagnostics);
    assert_eq!(
        val(applied.new_state).attr("digest"),
        &Value::string("sha256:updated")
    );

    // A change of `name` (requires_replace).
    let cfg = config("renamed", Value::Null, Value::Null);
    let mut proposed = prior.clone();
    if let Value::Map(f) = &mut proposed {
        f.insert("name".into(), Value::string("renamed"));
    }
    let plan = h.plan(&prior, &proposed, &cfg).await;
    assert_eq!(paths(&plan.requires_replace), ["name"]);
}

#[tokio::test]
async fn apply_result_must_match_the_plan_and_be_wholly_known() {
    let mut h = harness().await;
    for (name, attribute) in [("rogue-apply", "tag"), ("unknown-left", "digest")] {
        let cfg = config(name, Value::Null, Value::Null);
        let planned = val(h.plan(&Value::Null, &cfg, &cfg).await.planned_state);
        let applied = h.apply(&Value::Null, &planned, &cfg).await;
        let errs = errors(&applied.diagnostics);
        assert_eq!(errs.len(), 1, "{name}: {:?}", applied.diagnostics);
        assert_eq!(errs[0].summary, "Provider Produced Inconsistent Result");
        assert_eq!(
            paths(&errs[0].attribute.iter().cloned().collect::<Vec<_>>()),
            [attribute]
        );
        assert!(
            val(applied.new_state).is_wholly_known(),
            "unknowns never reach Terraform's state"
        );
    }
}

#[tokio::test]
async fn failed_apply_returns_the_partial_state() {
    let mut h = harness().await;
    let cfg = config("half-done", Value::Null, Value::Null);
    let planned = val(h.plan(&Value::Null, &cfg, &cfg).await.planned_state);
    let applied = h.apply(&Value::Null, &planned, &cfg).await;
    assert_eq!(errors(&applied.diagnostics)[0].summary, "Create Failed");
    let state = val(applied.new_state);
    assert_eq!(
        state.attr("id"),
        &Value::string("id-1"),
        "the object exists: Terraform must save it"
    );
    assert!(state.is_wholly_known());
}

#[tokio::test]
async fn destroy_is_planned_and_applied_as_null() {
    let mut h = harness().await;
    let prior = Value::object([
        ("name", Value::string("plain")),
        ("note", Value::Null),
        ("tag", Value::string("prod")),
        ("id", Value::string("id-1")),
        ("digest", Value::string("d")),
    ]);
    let plan = h.plan(&prior, &Value::Null, &Value::Null).await;
    assert!(plan.diagnostics.is_empty());
    assert!(val(plan.planned_state).is_null());
    let applied = h.apply(&prior, &Value::Null, &Value::Null).await;
    assert!(applied.diagnostics.is_empty());
    assert!(val(applied.new_state).is_null());
}

#[tokio::test]
async fn read_returning_none_means_gone_and_warnings_pass_through() {
    let mut h = harness().await;
    let state = Value::object([
        ("name", Value::string("gone")),
        ("note", Value::Null),
        ("tag", Value::string("prod")),
        ("id", Value::string("id-1")),
        ("digest", Value::string("d")),
    ]);
    let read = h
        .client
        .read_resource(pb::read_resource::Request {
            type_name: "test_thing".into(),
            current_state: dv(&state),
            private: b"keep".to_vec(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert!(read.diagnostics.is_empty());
    assert!(val(read.new_state).is_null());
    assert_eq!(read.private, b"keep");

    let cfg = config("warn", Value::Null, Value::Null);
    let plan = h.plan(&Value::Null, &cfg, &cfg).await;
    assert_eq!(plan.diagnostics.len(), 1);
    assert_eq!(
        plan.diagnostics[0].severity,
        pb::diagnostic::Severity::Warning as i32
    );
    assert!(
        plan.planned_state.is_some(),
        "a warning does not stop the plan"
    );
}

#[tokio::test]
async fn validation_reports_on_the_attribute_path() {
    let mut h = harness().await;
    let resp = h
        .client
        .validate_resource_config(pb::validate_resource_config::Request {
            type_name: "test_thing".into(),
            config: dv(&config("", Value::Null, Value::Null)),
            client_capabilities: None,
        })
        .await
        .unwrap()
        .into_inner();
    let errs = errors(&resp.diagnostics);
    assert_eq!(
        paths(&errs[0].attribute.iter().cloned().collect::<Vec<_>>()),
        ["name"]
    );
}

#[tokio::test]
async fn state_upgrade_uses_the_hook_and_current_state_decodes_json() {
    let mut h = harness().await;
    let upgrade = |version: i64, json: &str| pb::upgrade_resource_state::Request {
        type_name: "test_thing".into(),
        version,
        raw_state: Some(pb::RawState {
            json: json.as_bytes().to_vec(),
            flatmap: Default::default(),
        }),
    };
    let old = h
        .client
        .upgrade_resource_state(upgrade(
            0,
            r#"{"label":"a","tag":"prod","id":"i","digest":"d"}"#,
        ))
        .await
        .unwrap()
        .into_inner();
    assert!(old.diagnostics.is_empty(), "{:?}", old.diagnostics);
    assert_eq!(val(old.upgraded_state).attr("name"), &Value::string("a"));

    // Current version, an attribute missing from the stored JSON: decoded as null.
    let cur = h
        .client
        .upgrade_resource_state(upgrade(
            1,
            r#"{"name":"a","tag":"prod","id":"i","digest":"d"}"#,
        ))
        .await
        .unwrap()
        .into_inner();
    assert!(cur.diagnostics.is_empty(), "{:?}", cur.diagnostics);
    assert!(val(cur.upgraded_state).attr("note").is_null());

    let newer = h
        .client
        .upgrade_resource_state(upgrade(7, "{}"))
        .await
        .unwrap()
        .into_inner();
    assert!(errors(&newer.diagnostics)[0].detail.contains("version 7"));
}

#[tokio::test]
async fn stop_provider_cancels_in_flight_work() {
    let mut h = harness().await;
    let cfg = config("wait-for-stop", Value::Null, Value::Null);
    let planned = val(h.plan(&Value::Null, &cfg, &cfg).await.planned_state);
    let mut other = h.client.clone();
    let (p, c) = (planned.clone(), cfg.clone());
    let in_flight = tokio::spawn(async move {
        other
            .apply_resource_change(pb::apply_resource_change::Request {
                type_name: "test_thing".into(),
                prior_state: dv(&Value::Null),
                planned_state: dv(&p),
                config: dv(&c),
                planned_private: b"planned".to_vec(),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner()
    });
    // Let the apply start waiting, then interrupt it.
    tokio::task::yield_now().await;
    let stop = h
        .client
        .stop_provider(pb::stop_provider::Request {})
        .await
        .unwrap()
        .into_inner();
    assert_eq!(stop.error, "");
    let applied = tokio::time::timeout(std::time::Duration::from_secs(20), in_flight)
        .await
        .expect("apply returned")
        .unwrap();
    assert_eq!(errors(&applied.diagnostics)[0].summary, "Interrupted");
}
