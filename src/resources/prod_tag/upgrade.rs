//! State written with schema versions 0 and 1, read into the current model (version 2).
//!
//! - Version 0 recorded `deployments` as a list of objects (`service`, `service_arn`,
//!   `deployment_id`, `status`, `rollout_state`, `started`); version 1 keeps the deployment ids
//!   in the map `deployments` and the rest in the map `rollouts`, both keyed by service
//!   (`started` is gone).
//! - Version 1's `rollouts` held the `deployments[]` status of the deployment (`PRIMARY`, …) and
//!   its rollout state; version 2's hold its service deployment: `strategy`, `status` (the
//!   service deployment's, e.g. `SUCCESSFUL`), `lifecycle_stage`, `rollout_state` and
//!   `rfc_status`, and `deployments` holds service deployment ARNs. A version 1 state keeps its
//!   service ARNs, rollout states and deployment ids (which `tagdeploy_task_digests` still
//!   takes); what version 1 did not record is null until the next promotion. Version 2 also
//!   added `pause_hook_action` (default `WAIT`, what version 1 did).

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

model! {
    /// `tagdeploy_prod_tag` as schema version 1 stored it (only the shape matters here).
    #[derive(Debug, Clone, PartialEq, Default)]
    struct ProdTagV1 {
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
        /// Deployment ids by service.
        deployments: Tf<BTreeMap<String, Tf<String>>> => computed(),
        /// Rollouts by service.
        rollouts: Tf<BTreeMap<String, RolloutV1>> => computed(),
        /// Promotion time.
        promoted_at: Tf<String> => computed(),
        /// Timeouts.
        timeouts: Tf<Timeouts> => block(),
    }
}

model! {
    /// One element of version 1's `rollouts`.
    #[derive(Debug, Clone, PartialEq, Default)]
    struct RolloutV1 {
        /// Service ARN.
        service_arn: Tf<String> => computed(),
        /// The `deployments[]` status.
        status: Tf<String> => computed(),
        /// Rollout state.
        rollout_state: Tf<String> => computed(),
    }
}

/// Reads raw JSON state of schema version `version` into the current model.
pub(super) fn upgrade(version: i64, raw_json: &[u8]) -> Result<ProdTagModel, Diagnostics> {
    match version {
        0 => Ok(from_v1(from_v0(read::<ProdTagV0>(0, raw_json)?))),
        1 => Ok(from_v1(read::<ProdTagV1>(1, raw_json)?)),
        _ => Err(Diagnostic::error(
            "Unsupported State Version",
            format!("State of tagdeploy_prod_tag was written with schema version {version}, which this provider cannot upgrade."),
        )
        .into()),
    }
}

/// Raw JSON state of schema version `version`, in that version's model.
fn read<M: Model + Object>(version: i64, raw_json: &[u8]) -> Result<M, Diagnostics> {
    let value = json::decode_state(&M::block().implied_type(), raw_json).map_err(|e| {
        Diagnostics::from(Diagnostic::error(
            "Unreadable Resource State",
            format!("The stored state (schema version {version}) of this tagdeploy_prod_tag could not be decoded: {e}."),
        ))
    })?;
    M::decode(
        &value,
        &format!("the version {version} state of tagdeploy_prod_tag"),
    )
}

fn from_v0(old: ProdTagV0) -> ProdTagV1 {
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
            let rollout = RolloutV1 {
                service_arn: d.service_arn.clone().into(),
                status: non_empty(d.status.as_deref()),
                rollout_state: non_empty(d.rollout_state.as_deref()),
            };
            (service, rollout)
        })
        .collect();
    ProdTagV1 {
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

/// Version 1's deployment-level rollouts as version 2's service-deployment rollouts: what
/// version 1 did not record (strategy, service deployment status, stage, RFC status) is null.
fn from_v1(old: ProdTagV1) -> ProdTagModel {
    let rollouts = old.rollouts.map(|rollouts| {
        rollouts
            .into_iter()
            .map(|(service, r)| {
                let rollout = Rollout {
                    service_arn: r.service_arn,
                    rollout_state: r.rollout_state,
                    ..Rollout::default()
                };
                (service, rollout)
            })
            .collect()
    });
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
        pause_hook_action: Tf::Known("WAIT".to_owned()),
        triggers: old.triggers,
        description: old.description,
        previous_digest: old.previous_digest,
        image_tags: old.image_tags,
        image_uri: old.image_uri,
        deployments: old.deployments,
        rollouts,
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
                rollout_state: "COMPLETED".into(),
                ..Rollout::default()
            },
            "the deployments[] status is not a service deployment status: null"
        );
        assert_eq!(
            rollouts["worker"].rollout_state,
            Tf::Null,
            "\"\" becomes null"
        );
        assert_eq!(state.pause_hook_action.as_str(), Some("WAIT"));
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
    fn version_1_rollouts_keep_what_version_1_recorded() {
        let v1 = r#"{
            "id": "example:prod", "repository": "example", "tag": "prod", "release_tag": "hash_2",
            "cluster": "example", "services": ["api"], "wait_for_rollout": false,
            "rollback_on_failure": true, "image_tags": ["hash_2", "prod"],
            "deployments": {"api": "ecs-svc/111"},
            "rollouts": {"api": {"service_arn": "arn:aws:ecs:us-east-1:123456789012:service/example/api", "status": "PRIMARY", "rollout_state": "IN_PROGRESS"}},
            "promoted_at": "2026-12-01T14:20:12Z", "timeouts": {"create": "30m", "update": null}
        }"#;
        let state = upgrade(1, v1.as_bytes()).expect("upgrades");
        assert_eq!(
            state.deployments,
            Tf::Known(BTreeMap::from([(
                "api".to_owned(),
                Tf::Known("ecs-svc/111".to_owned())
            )])),
            "deployment ids stay: tagdeploy_task_digests still takes them"
        );
        let rollout = &state.rollouts.known().expect("rollouts")["api"];
        assert_eq!(
            rollout.rollout_state.as_str(),
            Some("IN_PROGRESS"),
            "the next apply with a wait adopts it"
        );
        assert_eq!(
            (
                &rollout.status,
                &rollout.strategy,
                &rollout.lifecycle_stage,
                &rollout.rfc_status
            ),
            (&Tf::Null, &Tf::Null, &Tf::Null, &Tf::Null)
        );
        assert_eq!(state.wait_for_rollout, Tf::Known(false));
        assert_eq!(state.pause_hook_action.as_str(), Some("WAIT"));
        assert_eq!(
            state.timeouts.known().and_then(|t| t.create.as_str()),
            Some("30m")
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
