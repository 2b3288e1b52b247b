//! State written with schema version 0, read into the current model. Version 0 recorded
//! `deployments` as a list of objects (`service`, `service_arn`, `deployment_id`, `status`,
//! `rollout_state`, `started`); version 1 keeps the deployment ids in the map `deployments` and
//! the rest in the map `rollouts`, both keyed by service (`started` is gone).

use std::collections::BTreeMap;

use super::model::ProdTagModel;
use crate::model;
use crate::resources::promotion::Rollout;
use crate::resources::timeouts::Timeouts;
use crate::tfplugin::diagnostics::{Diagnostic, Diagnostics};
use crate::tfplugin::model::{Model, Object, Set, Tf, block, computed, optional};
use crate::tfplugin::value::json;

model! {
    /// `tagdeploy_prod_tag` as schema version 0 stored it (only the shape matters here).
    #[derive(Debug, Clone, PartialEq, Default)]
    struct ProdTagV0 {
        /// Import ID.
        id: Tf<String> => computed(),
        /// Repository.
        repository: Tf<String> => optional(),
        /// Registry.
        registry_id: Tf<String> => optional(),
        /// Environment tag.
        tag: Tf<String> => optional(),
        /// Release tag.
        release_tag: Tf<String> => optional(),
        /// Digest.
        image_digest: Tf<String> => optional(),
        /// Cluster.
        cluster: Tf<String> => optional(),
        /// Services.
        services: Tf<Set<String>> => optional(),
        /// Wait.
        wait_for_rollout: Tf<bool> => optional(),
        /// Roll back.
        rollback_on_failure: Tf<bool> => optional(),
        /// Triggers.
        triggers: Tf<BTreeMap<String, String>> => optional(),
        /// Description.
        description: Tf<String> => optional(),
        /// Previous digest.
        previous_digest: Tf<String> => computed(),
        /// Image tags.
        image_tags: Tf<Vec<String>> => computed(),
        /// Image URI.
        image_uri: Tf<String> => computed(),
        /// Deployments, one object per service.
        deployments: Option<Vec<DeploymentV0>> => computed(),
        /// Promotion time.
        promoted_at: Tf<String> => computed(),
        /// Timeouts.
        timeouts: Tf<Timeouts> => block(),
    }
}

model! {
    /// One element of version 0's `deployments`.
    #[derive(Debug, Clone, PartialEq, Default)]
    struct DeploymentV0 {
        /// Service as configured.
        service: Option<String> => computed(),
        /// Service ARN.
        service_arn: Option<String> => computed(),
        /// Deployment id.
        deployment_id: Option<String> => computed(),
        /// Status.
        status: Option<String> => computed(),
        /// Rollout state.
        rollout_state: Option<String> => computed(),
        /// Started or adopted.
        started: Option<bool> => computed(),
    }
}

/// Reads raw JSON state of schema version `version` into the current model.
pub(super) fn upgrade(version: i64, raw_json: &[u8]) -> Result<ProdTagModel, Diagnostics> {
    if version != 0 {
        return Err(Diagnostic::error(
            "Unsupported State Version",
            format!("State of tagdeploy_prod_tag was written with schema version {version}, which this provider cannot upgrade."),
        )
        .into());
    }
    let value = json::decode_state(&ProdTagV0::block().implied_type(), raw_json).map_err(|e| {
        Diagnostics::from(Diagnostic::error(
            "Unreadable Resource State",
            format!("The stored state (schema version 0) of this tagdeploy_prod_tag could not be decoded: {e}."),
        ))
    })?;
    let old = ProdTagV0::decode(&value, "the version 0 state of tagdeploy_prod_tag")?;
    Ok(from_v0(old))
}

fn from_v0(old: ProdTagV0) -> ProdTagModel {
    let recorded = old.deployments.unwrap_or_default();
    // Keyed by service; an element without a service name cannot be keyed and is dropped (the
    // next promotion records every service again).
    let keyed = || {
        recorded
            .iter()
            .filter_map(|d| d.service.clone().map(|service| (service, d)))
    };
    let deployments = keyed()
        .map(|(service, d)| (service, d.deployment_id.clone().into()))
        .collect();
    let rollouts = keyed()
        .map(|(service, d)| {
            let rollout = Rollout {
                service_arn: d.service_arn.clone().into(),
                status: non_empty(d.status.as_deref()),
                rollout_state: non_empty(d.rollout_state.as_deref()),
            };
            (service, rollout)
        })
        .collect();
    ProdTagModel {
        id: old.id,
        repository: old.repository,
        registry_id: old.registry_id,
        tag: old.tag,
        release_tag: old.release_tag,
        image_digest: old.image_digest,
        cluster: old.cluster,
        services: old.services,
        wait_for_rollout: old.wait_for_rollout,
        rollback_on_failure: old.rollback_on_failure,
        triggers: old.triggers,
        description: old.description,
        previous_digest: old.previous_digest,
        image_tags: old.image_tags,
        image_uri: old.image_uri,
        deployments: Tf::Known(deployments),
        rollouts: Tf::Known(rollouts),
        promoted_at: old.promoted_at,
        timeouts: old.timeouts,
    }
}

/// Version 0 wrote "" for a state ECS had not reported; version 1 writes null.
fn non_empty(value: Option<&str>) -> Tf<String> {
    value.filter(|v| !v.is_empty()).map(str::to_owned).into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tfplugin::value::Value;

    /// A state file's `attributes` as version 0 of the provider wrote them after a promotion
    /// of two services, one started and one adopted.
    const V0_STATE: &str = r#"{
        "id": "example:prod",
        "repository": "example",
        "registry_id": null,
        "tag": "prod",
        "release_tag": "hash_2",
        "image_digest": "sha256:67a62cdd1570cdd0aec812ded50e47891f570087e3436e85b7a1eda81d9f5a82",
        "cluster": "example",
        "services": ["api", "worker"],
        "wait_for_rollout": true,
        "rollback_on_failure": true,
        "triggers": null,
        "description": "RFC 013 demo release",
        "previous_digest": "sha256:8fa54704327f748bf4b9fdc4af113c941227bc299d7b2a77fb37e8672aabd15d",
        "image_tags": ["hash_2", "prod"],
        "image_uri": "123456789012.dkr.ecr.us-east-1.amazonaws.com/example@sha256:67a62cdd1570cdd0aec812ded50e47891f570087e3436e85b7a1eda81d9f5a82",
        "deployments": [
            {"service": "api", "service_arn": "arn:aws:ecs:us-east-1:123456789012:service/example/api", "deployment_id": "ecs-svc/111", "status": "PRIMARY", "rollout_state": "COMPLETED", "started": true},
            {"service": "worker", "service_arn": "arn:aws:ecs:us-east-1:123456789012:service/example/worker", "deployment_id": "ecs-svc/222", "status": "", "rollout_state": "", "started": false}
        ],
        "promoted_at": "2026-12-01T14:20:12Z",
        "timeouts": null
    }"#;

    #[test]
    fn version_0_deployments_become_maps_keyed_by_service() {
        let state = upgrade(0, V0_STATE.as_bytes()).expect("upgrades");
        assert_eq!(state.repository.as_str(), Some("example"));
        assert_eq!(state.release_tag.as_str(), Some("hash_2"));
        assert_eq!(
            state.deployments,
            Tf::Known(BTreeMap::from([
                ("api".to_owned(), Tf::Known("ecs-svc/111".to_owned())),
                ("worker".to_owned(), Tf::Known("ecs-svc/222".to_owned())),
            ]))
        );
        let rollouts = state.rollouts.known().expect("rollouts");
        assert_eq!(
            rollouts["api"],
            Rollout {
                service_arn: "arn:aws:ecs:us-east-1:123456789012:service/example/api".into(),
                status: "PRIMARY".into(),
                rollout_state: "COMPLETED".into(),
            }
        );
        assert_eq!(rollouts["worker"].status, Tf::Null, "\"\" becomes null");
        // Every other attribute carries over unchanged.
        let value = state.to_value();
        let old: serde_json::Value = serde_json::from_str(V0_STATE).expect("json");
        for name in ["image_uri", "previous_digest", "promoted_at", "description"] {
            assert_eq!(value.attr(name).as_str(), old[name].as_str(), "{name}");
        }
        assert_eq!(
            value.attr("services"),
            &Value::List(vec![Value::string("api"), Value::string("worker")])
        );
    }

    #[test]
    fn a_state_imported_by_version_0_upgrades_with_empty_maps() {
        let imported = r#"{"id":"example:prod","repository":"example","tag":"prod","wait_for_rollout":true,"rollback_on_failure":true,"image_tags":[],"deployments":[]}"#;
        let state = upgrade(0, imported.as_bytes()).expect("upgrades");
        assert_eq!(state.deployments, Tf::Known(BTreeMap::new()));
        assert_eq!(state.rollouts, Tf::Known(BTreeMap::new()));
        assert!(state.release_tag.is_null());
    }

    #[test]
    fn unknown_versions_and_unreadable_state_are_errors() {
        assert!(upgrade(7, b"{}").is_err());
        let err = upgrade(0, br#"{"deployments": "not a list"}"#).expect_err("bad state");
        assert!(err.to_string().contains("version 0"), "{err}");
    }
}
