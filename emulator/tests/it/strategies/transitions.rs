//! Random sequences of clock steps, promotions, stops, hook answers and alarms on a blue/green and
//! a rolling service: every service deployment moves only along the API's transitions, a final
//! status never changes, and `deployments[]` always has exactly one PRIMARY.

use std::collections::HashMap;

use proptest::prelude::*;
use serde_json::{Value, json};

use super::*;
use crate::support::{ECS, aws_call, manual};

#[derive(Clone, Debug)]
enum Action {
    Steps(u64),
    Minutes(u64),
    Promote(&'static str),
    Stop(&'static str),
    Continue(&'static str),
    Alarm(bool),
}

fn action() -> impl Strategy<Value = Action> {
    prop_oneof![
        4 => (1u64..4).prop_map(Action::Steps),
        1 => (1u64..20).prop_map(Action::Minutes),
        2 => prop::sample::select(vec!["next", "good", "bad", "breach"]).prop_map(Action::Promote),
        1 => prop::sample::select(vec!["ROLLBACK", "ABORT"]).prop_map(Action::Stop),
        1 => prop::sample::select(vec!["CONTINUE", "ROLLBACK"]).prop_map(Action::Continue),
        1 => any::<bool>().prop_map(Action::Alarm),
    ]
}

/// Whether a service deployment may go from `a` to `b` between two looks one clock step (or
/// one call) apart.
fn next(a: &str, b: &str) -> bool {
    a == b
        || matches!(
            (a, b),
            (
                "PENDING",
                "IN_PROGRESS" | "ROLLBACK_REQUESTED" | "STOP_REQUESTED" | "STOPPED"
            ) | (
                "IN_PROGRESS",
                "SUCCESSFUL" | "ROLLBACK_REQUESTED" | "STOP_REQUESTED" | "STOPPED"
            ) | (
                "ROLLBACK_REQUESTED",
                "ROLLBACK_IN_PROGRESS" | "ROLLBACK_FAILED" | "STOPPED"
            ) | (
                "ROLLBACK_IN_PROGRESS",
                "ROLLBACK_SUCCESSFUL" | "ROLLBACK_FAILED" | "STOPPED"
            ) | ("STOP_REQUESTED", "STOPPED")
        )
}

const STATUSES: [&str; 9] = [
    "PENDING",
    "IN_PROGRESS",
    "SUCCESSFUL",
    "STOP_REQUESTED",
    "STOPPED",
    "ROLLBACK_REQUESTED",
    "ROLLBACK_IN_PROGRESS",
    "ROLLBACK_SUCCESSFUL",
    "ROLLBACK_FAILED",
];

/// Whether `b` can be reached from `a` through any number of single-step transitions.
fn reachable(a: &str, b: &str) -> bool {
    let mut seen = vec![a];
    let mut i = 0;
    while i < seen.len() {
        for s in STATUSES {
            if next(seen[i], s) && !seen.contains(&s) {
                seen.push(s);
            }
        }
        i += 1;
    }
    seen.contains(&b)
}

async fn ecs_call(emu: &tagdeploy_emulator::EmulatorHandle, op: &str, body: Value) -> Value {
    let r = aws_call(emu.addr(), &format!("{ECS}.{op}"), &body.to_string())
        .await
        .unwrap();
    r.json()
}

#[test]
fn service_deployments_move_only_along_the_api_transitions() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let config = ProptestConfig {
        cases: 24,
        failure_persistence: None,
        ..ProptestConfig::default()
    };
    let strategies = prop_oneof![
        Just(
            json!({"deploymentCircuitBreaker": {"enable": true, "rollback": true},
            "alarms": {"alarmNames": ["errors"], "enable": true, "rollback": false}})
        ),
        Just({
            let mut c = blue_green(2);
            c["lifecycleHooks"] = json!([pause("POST_SCALE_UP", 5, "CONTINUE"),
                {"hookTargetArn": LAMBDA_SLOW, "lifecycleStages": ["POST_TEST_TRAFFIC_SHIFT"],
                 "timeoutConfiguration": {"timeoutInMinutes": 3}}]);
            c["alarms"] = json!({"alarmNames": ["errors"], "enable": true, "rollback": true});
            c
        }),
    ];
    proptest!(config, |(dc in strategies, actions in prop::collection::vec(action(), 1..25))| {
        runtime.block_on(async {
            let emu = manual(world(dc)).await;
            let url = emu.url();
            let mut seen: HashMap<String, String> = HashMap::new();
            let mut current: Option<String> = None;
            for a in &actions {
                // Minutes pass many steps between two looks; everything else one at most.
                let mut looks = 1;
                let mut many = false;
                match a {
                    Action::Steps(n) => looks = *n,
                    Action::Minutes(m) => {
                        emu.advance_ms(m * 60_000);
                        many = true;
                    }
                    Action::Promote(tag) => current = Some(promote(&url, tag).await),
                    Action::Stop(kind) => if let Some(arn) = &current {
                        ecs_call(&emu, "StopServiceDeployment",
                            json!({"serviceDeploymentArn": arn, "stopType": kind})).await;
                    },
                    Action::Continue(action) => if let Some(arn) = &current {
                        let d = ecs_call(&emu, "DescribeServiceDeployments",
                            json!({"serviceDeploymentArns": [arn]})).await;
                        let hooks = d["serviceDeployments"][0]["lifecycleHookDetails"].clone();
                        if let Some(h) = hooks.as_array().and_then(|h| h.last()) {
                            ecs_call(&emu, "ContinueServiceDeployment", json!({
                                "serviceDeploymentArn": arn, "hookId": h["hookId"], "action": action,
                            })).await;
                        }
                    },
                    Action::Alarm(on) => emu.set_alarm(
                        "errors",
                        if *on { tagdeploy_emulator::AlarmState::Alarm } else { tagdeploy_emulator::AlarmState::Ok },
                    ),
                }
                for _ in 0..looks {
                    if let Action::Steps(_) = a {
                        emu.advance(1);
                    }
                    let listed = ecs_call(&emu, "ListServiceDeployments",
                        json!({"cluster": "c", "service": "svc", "maxResults": 100})).await;
                    for brief in listed["serviceDeployments"].as_array().unwrap() {
                        let arn = brief["serviceDeploymentArn"].as_str().unwrap().to_string();
                        let now = brief["status"].as_str().unwrap().to_string();
                        if let Some(before) = seen.get(&arn) {
                            let ok = if many { reachable(before, &now) } else { next(before, &now) };
                            assert!(ok, "{arn}: {before} → {now} after {a:?} in {actions:?}");
                        }
                        seen.insert(arn, now);
                    }
                    let s = ecs_call(&emu, "DescribeServices",
                        json!({"cluster": "c", "services": ["svc"]})).await;
                    let primaries = s["services"][0]["deployments"].as_array().unwrap()
                        .iter().filter(|d| d["status"] == "PRIMARY").count();
                    assert_eq!(primaries, 1, "after {a:?} in {actions:?}");
                }
            }
        });
    });
}
