//! Arbitrary targets and bodies never panic the request handling: every request gets a well-formed
//! AWS answer (200 or a typed 400), and the server keeps serving.

use proptest::prelude::*;
use serde_json::Value;

use crate::support::{ECR, ECS, demo_world, manual, raw};

const OPERATIONS: &[&str] = &[
    "BatchGetImage",
    "PutImage",
    "DescribeImages",
    "ListImages",
    "DescribeRepositories",
    "CreateRepository",
    "BatchDeleteImage",
    "PutImageTagMutability",
    "CreateCluster",
    "DescribeClusters",
    "RegisterTaskDefinition",
    "DescribeTaskDefinition",
    "CreateService",
    "UpdateService",
    "DescribeServices",
    "ListServices",
    "ListTasks",
    "DescribeTasks",
    "ListServiceDeployments",
    "DescribeServiceDeployments",
    "DescribeServiceRevisions",
    "StopServiceDeployment",
    "ContinueServiceDeployment",
];

const MEMBERS: &[&str] = &[
    "repositoryName",
    "imageIds",
    "imageTag",
    "imageDigest",
    "imageManifest",
    "imageManifestMediaType",
    "registryId",
    "maxResults",
    "nextToken",
    "filter",
    "imageTagMutability",
    "imageTagMutabilityExclusionFilters",
    "cluster",
    "clusterName",
    "clusters",
    "family",
    "containerDefinitions",
    "taskDefinition",
    "serviceName",
    "service",
    "services",
    "desiredCount",
    "deploymentConfiguration",
    "forceNewDeployment",
    "tasks",
    "desiredStatus",
    "startedBy",
    "serviceDeploymentArn",
    "serviceDeploymentArns",
    "serviceRevisionArns",
    "hookId",
    "action",
    "stopType",
    "status",
    "createdAt",
    "loadBalancers",
    "strategy",
    "bakeTimeInMinutes",
    "lifecycleHooks",
    "lifecycleStages",
    "targetType",
    "timeoutConfiguration",
    "alarms",
    "alarmNames",
    "linearConfiguration",
    "canaryConfiguration",
    "deploymentCircuitBreaker",
];

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        "[ -~]{0,20}".prop_map(Value::String),
        prop::sample::select(vec![
            "example",
            "prod",
            "hash_1",
            "MUTABLE_WITH_EXCLUSION",
            "sha256:00",
            "STOPPED",
            "BLUE_GREEN",
            "PAUSE",
            "ROLLBACK",
            "PRE_SCALE_UP"
        ])
        .prop_map(|s| Value::String(s.to_string())),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((prop::sample::select(MEMBERS.to_vec()), inner), 0..6).prop_map(
                |kv| Value::Object(kv.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
            ),
        ]
    })
}

fn body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..64),
        json_value().prop_map(|v| v.to_string().into_bytes()),
        prop::collection::vec((prop::sample::select(MEMBERS.to_vec()), json_value()), 0..8)
            .prop_map(|kv| {
                let map: serde_json::Map<String, Value> =
                    kv.into_iter().map(|(k, v)| (k.to_string(), v)).collect();
                Value::Object(map).to_string().into_bytes()
            }),
    ]
}

fn target() -> impl Strategy<Value = String> {
    prop_oneof![
        (
            prop::sample::select(vec![ECR, ECS]),
            prop::sample::select(OPERATIONS.to_vec())
        )
            .prop_map(|(p, o)| format!("{p}.{o}")),
        "[!-~]{0,40}",
    ]
}

#[test]
fn arbitrary_requests_get_well_formed_answers() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let emu = runtime.block_on(manual(demo_world()));
    let addr = emu.addr();
    let config = ProptestConfig {
        cases: 300,
        failure_persistence: None,
        ..ProptestConfig::default()
    };
    proptest!(config, |(target in target(), body in body(), steps in 0u64..2)| {
        emu.advance(steps);
        let answer = runtime
            .block_on(raw(addr, "POST", "/", &[("X-Amz-Target", &target)], &body))
            .expect("connection works");
        let answer = answer.expect("an answer, not a dropped connection");
        prop_assert!(answer.status == 200 || answer.status == 400, "status {} for {target}: {}", answer.status, answer.body);
        let parsed: Value = serde_json::from_str(&answer.body).expect("JSON body");
        if answer.status == 400 {
            prop_assert!(parsed["__type"].is_string());
            prop_assert_eq!(answer.header("x-amzn-ErrorType"), parsed["__type"].as_str());
        }
    });
    // Still serving.
    let ok = runtime
        .block_on(crate::support::aws_call(
            addr,
            &format!("{ECS}.ListClusters"),
            "{}",
        ))
        .unwrap();
    assert_eq!(
        ok.status, 400,
        "ListClusters is not emulated: UnknownOperationException"
    );
    drop(emu);
}
