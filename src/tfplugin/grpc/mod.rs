//! The gRPC services: `tfplugin6.Provider` over a [`Runtime`], and go-plugin's controller,
//! stdio and broker services. Handlers decode requests, call the runtime, encode responses;
//! every user-facing failure travels as diagnostics, never as a gRPC status.
//!
//! Each handler runs in a `tracing` span named after its RPC ([`span`]); go-plugin's own
//! services are in [`go_plugin`]. The families Terraform 1.12-1.14 added have their own files:
//! `identity.rs`, `action.rs` (the InvokeAction stream), `list.rs` (the ListResource stream).

mod action;
mod go_plugin;
mod identity;
mod list;
mod service;
mod span;

use std::sync::Arc;

use tonic::codegen::BoxStream;
use tonic::{Request, Response, Status};

pub(crate) use go_plugin::{Broker, Controller, Stdio};
use span::{Subject, Typed, traced};

use super::convert::{self, decode, encode};
use super::diagnostics::Diagnostics;
use super::framework::{ApplyRequest, ImportTarget, PlanRequest, Provider, Runtime};
use super::proto::tfplugin6 as pb;
use super::proto::tfplugin6::provider_server::Provider as ProviderRpc;
use super::schema::Schema;

/// `tfplugin6.Provider` backed by a runtime.
pub(crate) struct ProviderService<P: Provider> {
    runtime: Arc<Runtime<P>>,
}

type Rpc<T> = Result<Response<T>, Status>;

fn ok<T>(t: T) -> Rpc<T> {
    Ok(Response::new(t))
}

/// Collects a `Result<T, Diagnostics>` step into `diags`, yielding the value if any.
fn take<T>(result: Result<T, Diagnostics>, diags: &mut Diagnostics) -> Option<T> {
    match result {
        Ok(v) => Some(v),
        Err(d) => {
            diags.extend(d);
            None
        }
    }
}

#[tonic::async_trait]
impl<P: Provider> ProviderRpc for ProviderService<P> {
    async fn get_metadata(
        &self,
        _: Request<pb::get_metadata::Request>,
    ) -> Rpc<pb::get_metadata::Response> {
        traced("GetMetadata", Typed::Provider, async {
            let rt = &self.runtime;
            ok(pb::get_metadata::Response {
                server_capabilities: Some(Self::capabilities()),
                diagnostics: convert::diagnostics(rt.schema_diagnostics()),
                resources: rt
                    .resource_schemas()
                    .map(|(n, _)| pb::get_metadata::ResourceMetadata {
                        type_name: n.to_owned(),
                    })
                    .collect(),
                data_sources: rt
                    .data_source_schemas()
                    .map(|(n, _)| pb::get_metadata::DataSourceMetadata {
                        type_name: n.to_owned(),
                    })
                    .collect(),
                functions: rt
                    .functions()
                    .map(|(n, _)| pb::get_metadata::FunctionMetadata { name: n.to_owned() })
                    .collect(),
                list_resources: rt
                    .list_resource_schemas()
                    .map(|(n, _)| pb::get_metadata::ListResourceMetadata {
                        type_name: n.to_owned(),
                    })
                    .collect(),
                actions: rt
                    .action_schemas()
                    .map(|(n, _)| pb::get_metadata::ActionMetadata {
                        type_name: n.to_owned(),
                    })
                    .collect(),
                ..Default::default()
            })
        })
        .await
    }

    async fn get_provider_schema(
        &self,
        _: Request<pb::get_provider_schema::Request>,
    ) -> Rpc<pb::get_provider_schema::Response> {
        traced("GetProviderSchema", Typed::Provider, async {
            let rt = &self.runtime;
            let schemas = |iter: &mut dyn Iterator<Item = (&'static str, &Schema)>| {
                iter.map(|(n, s)| (n.to_owned(), convert::schema(s)))
                    .collect()
            };
            ok(pb::get_provider_schema::Response {
                provider: Some(convert::schema(rt.provider_schema())),
                resource_schemas: schemas(&mut rt.resource_schemas()),
                data_source_schemas: schemas(&mut rt.data_source_schemas()),
                functions: self.functions(),
                list_resource_schemas: schemas(&mut rt.list_resource_schemas()),
                // Terraform reads an action schema's block without checking it is there.
                action_schemas: rt
                    .action_schemas()
                    .map(|(n, s)| {
                        let schema = pb::ActionSchema {
                            schema: Some(convert::schema(s)),
                        };
                        (n.to_owned(), schema)
                    })
                    .collect(),
                diagnostics: convert::diagnostics(rt.schema_diagnostics()),
                server_capabilities: Some(Self::capabilities()),
                ..Default::default()
            })
        })
        .await
    }

    async fn get_resource_identity_schemas(
        &self,
        _: Request<pb::get_resource_identity_schemas::Request>,
    ) -> Rpc<pb::get_resource_identity_schemas::Response> {
        traced("GetResourceIdentitySchemas", Typed::Provider, async {
            ok(self.identity_schemas())
        })
        .await
    }

    async fn upgrade_resource_identity(
        &self,
        req: Request<pb::upgrade_resource_identity::Request>,
    ) -> Rpc<pb::upgrade_resource_identity::Response> {
        let req = req.into_inner();
        let subject = Typed::Resource(&req.type_name);
        traced("UpgradeResourceIdentity", subject, async {
            ok(self.upgrade_identity(&req))
        })
        .await
    }

    async fn get_functions(
        &self,
        _: Request<pb::get_functions::Request>,
    ) -> Rpc<pb::get_functions::Response> {
        traced("GetFunctions", Typed::Provider, async {
            ok(pb::get_functions::Response {
                functions: self.functions(),
                diagnostics: Vec::new(),
            })
        })
        .await
    }

    async fn validate_provider_config(
        &self,
        req: Request<pb::validate_provider_config::Request>,
    ) -> Rpc<pb::validate_provider_config::Response> {
        let req = req.into_inner();
        traced("ValidateProviderConfig", Typed::Provider, async {
            ok(pb::validate_provider_config::Response {
                diagnostics: self.validate_config(Typed::Provider, req.config.as_ref()),
            })
        })
        .await
    }

    async fn configure_provider(
        &self,
        req: Request<pb::configure_provider::Request>,
    ) -> Rpc<pb::configure_provider::Response> {
        let req = req.into_inner();
        traced("ConfigureProvider", Typed::Provider, async {
            let mut diags = Diagnostics::new();
            if let Some((_, config)) = self.decode_one(
                Typed::Provider,
                req.config.as_ref(),
                "provider configuration",
                &mut diags,
            ) {
                diags.extend(
                    self.runtime
                        .configure(&req.terraform_version, &config)
                        .await,
                );
            }
            ok(pb::configure_provider::Response {
                diagnostics: convert::diagnostics(diags),
            })
        })
        .await
    }

    async fn validate_resource_config(
        &self,
        req: Request<pb::validate_resource_config::Request>,
    ) -> Rpc<pb::validate_resource_config::Response> {
        let req = req.into_inner();
        let subject = Typed::Resource(&req.type_name);
        traced("ValidateResourceConfig", subject, async {
            ok(pb::validate_resource_config::Response {
                diagnostics: self.validate_config(subject, req.config.as_ref()),
            })
        })
        .await
    }

    async fn validate_data_resource_config(
        &self,
        req: Request<pb::validate_data_resource_config::Request>,
    ) -> Rpc<pb::validate_data_resource_config::Response> {
        let req = req.into_inner();
        let subject = Typed::DataSource(&req.type_name);
        traced("ValidateDataResourceConfig", subject, async {
            ok(pb::validate_data_resource_config::Response {
                diagnostics: self.validate_config(subject, req.config.as_ref()),
            })
        })
        .await
    }

    async fn upgrade_resource_state(
        &self,
        req: Request<pb::upgrade_resource_state::Request>,
    ) -> Rpc<pb::upgrade_resource_state::Response> {
        let req = req.into_inner();
        traced("UpgradeResourceState", Typed::Resource(&req.type_name), async {
            let mut diags = Diagnostics::new();
            let mut upgraded_state = None;
            if let Some(schema) = take(self.runtime.resource_schema(&req.type_name), &mut diags) {
                let raw = req.raw_state.clone().unwrap_or_default();
                if raw.json.is_empty() && !raw.flatmap.is_empty() {
                    diags.error(
                        "Unsupported State Format",
                        "This state was written in the pre-0.12 flatmap format, which this provider does not read.",
                    );
                } else if let Some(value) = take(
                    self.runtime
                        .upgrade_resource(&req.type_name, req.version, &raw.json),
                    &mut diags,
                ) {
                    upgraded_state = take(
                        encode(&schema.implied_type(), &value, "upgraded state"),
                        &mut diags,
                    );
                }
            }
            ok(pb::upgrade_resource_state::Response {
                upgraded_state,
                diagnostics: convert::diagnostics(diags),
            })
        })
        .await
    }

    async fn read_resource(
        &self,
        req: Request<pb::read_resource::Request>,
    ) -> Rpc<pb::read_resource::Response> {
        let req = req.into_inner();
        let subject = Typed::Resource(&req.type_name);
        traced("ReadResource", subject, async {
            let mut diags = Diagnostics::new();
            let mut response = pb::read_resource::Response {
                private: req.private.clone(),
                // Keep Terraform's state when we cannot even decode it.
                new_state: req.current_state.clone(),
                ..Default::default()
            };
            let identity =
                self.decode_identity(&req.type_name, req.current_identity.as_ref(), &mut diags);
            response.new_identity = req.current_identity.clone();
            if let Some((ty, state)) = self.decode_one(
                subject,
                req.current_state.as_ref(),
                "current state",
                &mut diags,
            ) {
                let outcome = self
                    .runtime
                    .read_resource(&req.type_name, state, req.private.clone(), identity)
                    .await;
                diags.extend(outcome.diagnostics);
                response.private = outcome.private;
                response.new_state = take(
                    encode(&ty, &outcome.new_state, "refreshed state"),
                    &mut diags,
                );
                response.new_identity =
                    self.encode_identity(&req.type_name, &outcome.new_identity, &mut diags);
            }
            response.diagnostics = convert::diagnostics(diags);
            ok(response)
        })
        .await
    }

    async fn plan_resource_change(
        &self,
        req: Request<pb::plan_resource_change::Request>,
    ) -> Rpc<pb::plan_resource_change::Response> {
        let req = req.into_inner();
        traced(
            "PlanResourceChange",
            Typed::Resource(&req.type_name),
            async {
                let mut diags = Diagnostics::new();
                let mut response = pb::plan_resource_change::Response {
                    planned_private: req.prior_private.clone(),
                    ..Default::default()
                };
                let decoded = self.decode_change(
                    &req.type_name,
                    [
                        (req.prior_state.as_ref(), "prior state"),
                        (req.proposed_new_state.as_ref(), "proposed new state"),
                        (req.config.as_ref(), "configuration"),
                    ],
                    &mut diags,
                );
                let prior_identity =
                    self.decode_identity(&req.type_name, req.prior_identity.as_ref(), &mut diags);
                if let Some((ty, [prior, proposed, config])) = decoded {
                    let outcome = self
                        .runtime
                        .plan_resource(PlanRequest {
                            type_name: req.type_name.clone(),
                            prior,
                            proposed,
                            config,
                            prior_private: req.prior_private.clone(),
                            prior_identity,
                        })
                        .await;
                    diags.extend(outcome.diagnostics);
                    response.planned_private = outcome.planned_private;
                    response.requires_replace = outcome
                        .requires_replace
                        .iter()
                        .map(convert::attribute_path)
                        .collect();
                    if !diags.has_errors() {
                        response.planned_state =
                            take(encode(&ty, &outcome.planned, "planned state"), &mut diags);
                        response.planned_identity = self.encode_identity(
                            &req.type_name,
                            &outcome.planned_identity,
                            &mut diags,
                        );
                    }
                }
                response.diagnostics = convert::diagnostics(diags);
                ok(response)
            },
        )
        .await
    }

    async fn apply_resource_change(
        &self,
        req: Request<pb::apply_resource_change::Request>,
    ) -> Rpc<pb::apply_resource_change::Response> {
        let req = req.into_inner();
        traced(
            "ApplyResourceChange",
            Typed::Resource(&req.type_name),
            async {
                let mut diags = Diagnostics::new();
                let mut response = pb::apply_resource_change::Response {
                    private: req.planned_private.clone(),
                    // Until we know better, the truth is the prior state.
                    new_state: req.prior_state.clone(),
                    ..Default::default()
                };
                let decoded = self.decode_change(
                    &req.type_name,
                    [
                        (req.prior_state.as_ref(), "prior state"),
                        (req.planned_state.as_ref(), "planned state"),
                        (req.config.as_ref(), "configuration"),
                    ],
                    &mut diags,
                );
                let planned_identity =
                    self.decode_identity(&req.type_name, req.planned_identity.as_ref(), &mut diags);
                if let Some((ty, [prior, planned, config])) = decoded {
                    let outcome = self
                        .runtime
                        .apply_resource(ApplyRequest {
                            type_name: req.type_name.clone(),
                            prior,
                            planned,
                            config,
                            planned_private: req.planned_private.clone(),
                            planned_identity,
                        })
                        .await;
                    diags.extend(outcome.diagnostics);
                    response.private = outcome.private;
                    response.new_identity =
                        self.encode_identity(&req.type_name, &outcome.new_identity, &mut diags);
                    if let Some(state) =
                        take(encode(&ty, &outcome.new_state, "new state"), &mut diags)
                    {
                        response.new_state = Some(state);
                    }
                }
                response.diagnostics = convert::diagnostics(diags);
                ok(response)
            },
        )
        .await
    }

    async fn import_resource_state(
        &self,
        req: Request<pb::import_resource_state::Request>,
    ) -> Rpc<pb::import_resource_state::Response> {
        let req = req.into_inner();
        traced(
            "ImportResourceState",
            Typed::Resource(&req.type_name),
            async {
                let mut diags = Diagnostics::new();
                let mut imported_resources = Vec::new();
                // Terraform sends an identity and no ID when the import block names an identity.
                let target = match &req.identity {
                    Some(data) if req.id.is_empty() => self
                        .runtime
                        .identity_schema(&req.type_name)
                        .and_then(|s| {
                            decode(
                                &s.implied_type(),
                                data.identity_data.as_ref(),
                                "identity to import",
                            )
                        })
                        .map(ImportTarget::Identity),
                    _ => Ok(ImportTarget::Id(req.id.clone())),
                };
                if let Some(target) = take(target, &mut diags)
                    && let Some(schema) =
                        take(self.runtime.resource_schema(&req.type_name), &mut diags)
                {
                    let outcome = self.runtime.import_resource(&req.type_name, target).await;
                    diags.extend(outcome.diagnostics);
                    if let Some(state) = outcome.state
                        && let Some(encoded) = take(
                            encode(&schema.implied_type(), &state, "imported state"),
                            &mut diags,
                        )
                    {
                        let identity =
                            self.encode_identity(&req.type_name, &outcome.identity, &mut diags);
                        imported_resources.push(pb::import_resource_state::ImportedResource {
                            type_name: req.type_name.clone(),
                            state: Some(encoded),
                            private: outcome.private,
                            identity,
                        });
                    }
                }
                ok(pb::import_resource_state::Response {
                    imported_resources,
                    diagnostics: convert::diagnostics(diags),
                    deferred: None,
                })
            },
        )
        .await
    }

    async fn read_data_source(
        &self,
        req: Request<pb::read_data_source::Request>,
    ) -> Rpc<pb::read_data_source::Response> {
        let req = req.into_inner();
        let subject = Typed::DataSource(&req.type_name);
        traced("ReadDataSource", subject, async {
            let mut diags = Diagnostics::new();
            let mut state = None;
            if let Some((ty, config)) =
                self.decode_one(subject, req.config.as_ref(), "configuration", &mut diags)
            {
                let (value, d) = self.runtime.read_data_source(&req.type_name, &config).await;
                diags.extend(d);
                if !diags.has_errors() {
                    state = take(encode(&ty, &value, "data source result"), &mut diags);
                }
            }
            ok(pb::read_data_source::Response {
                state,
                diagnostics: convert::diagnostics(diags),
                deferred: None,
            })
        })
        .await
    }

    async fn call_function(
        &self,
        req: Request<pb::call_function::Request>,
    ) -> Rpc<pb::call_function::Response> {
        let req = req.into_inner();
        traced("CallFunction", Subject::Function(&req.name), async {
            let fail = |text: String, argument: Option<usize>| {
                ok(pb::call_function::Response {
                    result: None,
                    error: Some(pb::FunctionError {
                        text,
                        function_argument: argument.map(|i| i64::try_from(i).unwrap_or(i64::MAX)),
                    }),
                })
            };
            let Some(function) = self.runtime.function(&req.name) else {
                return fail(
                    format!("This provider has no function named {:?}.", req.name),
                    None,
                );
            };
            let sig = function.signature();
            let mut args = Vec::with_capacity(req.arguments.len());
            for (i, arg) in req.arguments.iter().enumerate() {
                let Some(param) = sig.parameters.get(i).or(sig.variadic.as_ref()) else {
                    return fail(
                        format!(
                            "Too many arguments: {} takes {}.",
                            req.name,
                            sig.parameters.len()
                        ),
                        Some(i),
                    );
                };
                match decode(&param.ty, Some(arg), "function argument") {
                    Ok(v) => args.push(v),
                    Err(d) => return fail(d.to_string(), Some(i)),
                }
            }
            match self.runtime.call_function(&req.name, &args) {
                Ok(value) => match encode(&sig.returns, &value, "function result") {
                    Ok(result) => ok(pb::call_function::Response {
                        result: Some(result),
                        error: None,
                    }),
                    Err(d) => fail(d.to_string(), None),
                },
                Err(e) => fail(e.text, e.argument),
            }
        })
        .await
    }

    async fn validate_action_config(
        &self,
        req: Request<pb::validate_action_config::Request>,
    ) -> Rpc<pb::validate_action_config::Response> {
        let req = req.into_inner();
        let subject = Typed::Action(&req.type_name);
        traced("ValidateActionConfig", subject, async {
            ok(pb::validate_action_config::Response {
                diagnostics: self.validate_config(subject, req.config.as_ref()),
            })
        })
        .await
    }

    async fn plan_action(
        &self,
        req: Request<pb::plan_action::Request>,
    ) -> Rpc<pb::plan_action::Response> {
        let req = req.into_inner();
        traced("PlanAction", Typed::Action(&req.action_type), async {
            ok(self.plan_action_response(&req).await)
        })
        .await
    }

    async fn invoke_action(
        &self,
        req: Request<pb::invoke_action::Request>,
    ) -> Rpc<BoxStream<pb::invoke_action::Event>> {
        let req = req.into_inner();
        let name = req.action_type.clone();
        traced("InvokeAction", Typed::Action(&name), async {
            ok(self.invoke_action_stream(req))
        })
        .await
    }

    async fn validate_list_resource_config(
        &self,
        req: Request<pb::validate_list_resource_config::Request>,
    ) -> Rpc<pb::validate_list_resource_config::Response> {
        let req = req.into_inner();
        let subject = Typed::ListResource(&req.type_name);
        traced("ValidateListResourceConfig", subject, async {
            ok(self.validate_list_response(&req))
        })
        .await
    }

    async fn list_resource(
        &self,
        req: Request<pb::list_resource::Request>,
    ) -> Rpc<BoxStream<pb::list_resource::Event>> {
        let req = req.into_inner();
        let name = req.type_name.clone();
        traced("ListResource", Typed::ListResource(&name), async {
            ok(self.list_stream(req))
        })
        .await
    }

    async fn stop_provider(
        &self,
        _: Request<pb::stop_provider::Request>,
    ) -> Rpc<pb::stop_provider::Response> {
        tracing::info!(
            tf_rpc = "StopProvider",
            "StopProvider: cancelling in-flight operations"
        );
        self.runtime.stop();
        ok(pb::stop_provider::Response {
            error: String::new(),
        })
    }
}
