//! Worlds of services on every ECS deployment strategy (ROLLING, BLUE_GREEN, LINEAR, CANARY),
//! each service with an environment tag of its own, and the clock that drives them: a manual
//! clock stepped in the background that passes a bake time in one call when a deployment
//! reaches it.

use std::collections::{BTreeSet, HashMap};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value as Json, json};
use tagdeploy_emulator::EmulatorHandle;

/// The repository of a strategies world.
pub const REPOSITORY: &str = "app";
/// Its cluster.
pub const CLUSTER: &str = "strategies";
/// The alarm the `noisy` release trips while its tasks run.
pub const ALARM: &str = "app-5xx";
/// The bake time of a service with `bake`: an hour, far more than the background steps pass
/// while a test looks at the bake.
pub const BAKE_MINUTES: u64 = 60;

/// An ECS deployment strategy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Strategy {
    /// ROLLING.
    Rolling,
    /// BLUE_GREEN.
    BlueGreen,
    /// LINEAR (50 % steps).
    Linear,
    /// CANARY (10 % first).
    Canary,
}

/// Every strategy.
pub const STRATEGIES: [Strategy; 4] = [
    Strategy::Rolling,
    Strategy::BlueGreen,
    Strategy::Linear,
    Strategy::Canary,
];

impl Strategy {
    /// As ECS spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Strategy::Rolling => "ROLLING",
            Strategy::BlueGreen => "BLUE_GREEN",
            Strategy::Linear => "LINEAR",
            Strategy::Canary => "CANARY",
        }
    }

    /// For names: `rolling`, `blue-green`, …
    pub fn slug(self) -> String {
        self.as_str().to_lowercase().replace('_', "-")
    }
}

/// One service of a strategies world.
#[derive(Debug, Clone)]
pub struct ServiceSpec {
    /// Its name, which is also its environment tag and its task definition's family.
    pub name: String,
    /// Its strategy.
    pub strategy: Strategy,
    /// A bake time of [`BAKE_MINUTES`] (else none).
    pub bake: bool,
    /// A PAUSE lifecycle hook: after the scale-up (ROLLING) or after test traffic moved.
    pub pause_hook: bool,
    /// Watch [`ALARM`], rolling back when it fires.
    pub alarms: bool,
}

impl ServiceSpec {
    /// A plain service of `strategy` named `name`.
    pub fn new(name: impl Into<String>, strategy: Strategy) -> ServiceSpec {
        ServiceSpec {
            name: name.into(),
            strategy,
            bake: false,
            pause_hook: false,
            alarms: false,
        }
    }
}

/// The image URI a service's task definition names: `<repository uri>:<its tag>`.
pub fn image(tag: &str) -> String {
    format!("123456789012.dkr.ecr.us-east-1.amazonaws.com/{REPOSITORY}:{tag}")
}

/// A world with `services` (one task each), on the circuit breaker with rollback, whose tags
/// all point at `hash_1`; `hash_2` is the next release, `broken` one whose tasks fail to start,
/// `noisy` one that trips [`ALARM`].
pub fn strategies_world(services: &[ServiceSpec]) -> Json {
    let mut first_tags: Vec<String> = vec!["hash_1".into()];
    first_tags.extend(services.iter().map(|s| s.name.clone()));
    json!({
        "accountId": "123456789012",
        "region": "us-east-1",
        "startTime": 1767225600,
        "repositories": [{
            "name": REPOSITORY,
            "images": [
                { "tags": first_tags },
                { "tags": ["hash_2"] },
                { "tags": ["broken"], "healthy": false },
                { "tags": ["noisy"], "triggersAlarms": [ALARM] },
            ],
        }],
        "clusters": [{ "name": CLUSTER }],
        "alarms": [{ "alarmName": ALARM, "state": "OK" }],
        "taskDefinitions": services.iter().map(|s| json!({
            "family": s.name,
            "containerDefinitions": [{ "name": "app", "image": image(&s.name) }],
        })).collect::<Vec<_>>(),
        "services": services.iter().map(service).collect::<Vec<_>>(),
    })
}

fn service(spec: &ServiceSpec) -> Json {
    let mut config = json!({
        "strategy": spec.strategy.as_str(),
        "deploymentCircuitBreaker": { "enable": true, "rollback": true },
    });
    if spec.bake {
        config["bakeTimeInMinutes"] = json!(BAKE_MINUTES);
    } else if spec.strategy != Strategy::Rolling {
        config["bakeTimeInMinutes"] = json!(0);
    }
    match spec.strategy {
        Strategy::Linear => {
            config["linearConfiguration"] =
                json!({ "stepPercent": 50, "stepBakeTimeInMinutes": 0 });
        }
        Strategy::Canary => {
            config["canaryConfiguration"] =
                json!({ "canaryPercent": 10, "canaryBakeTimeInMinutes": 0 });
        }
        Strategy::Rolling | Strategy::BlueGreen => {}
    }
    if spec.pause_hook {
        // ROLLING moves no traffic, so its gate is after the scale-up.
        let stage = match spec.strategy {
            Strategy::Rolling => "POST_SCALE_UP",
            _ => "POST_TEST_TRAFFIC_SHIFT",
        };
        config["lifecycleHooks"] = json!([{ "targetType": "PAUSE", "lifecycleStages": [stage] }]);
    }
    if spec.alarms {
        config["alarms"] = json!({ "alarmNames": [ALARM], "enable": true, "rollback": true });
    }
    let mut service = json!({
        "cluster": CLUSTER,
        "serviceName": spec.name,
        "taskDefinition": spec.name,
        "desiredCount": 1,
        "deploymentConfiguration": config,
    });
    if spec.strategy != Strategy::Rolling {
        service["loadBalancers"] = json!([{
            "targetGroupArn": "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/blue/1",
            "containerName": "app",
            "containerPort": 80,
            "advancedConfiguration": {
                "alternateTargetGroupArn": "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/green/2",
                "productionListenerRule": "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener-rule/app/lb/1/2/3",
                "roleArn": "arn:aws:iam::123456789012:role/ecs-blue-green",
            },
        }]);
    }
    service
}

/// The service deployments of `service` in the emulator's state, oldest first (the last one is
/// the current one).
pub fn service_deployments(handle: &EmulatorHandle, service: &str) -> Vec<Json> {
    handle.state()["clusters"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|c| c["services"].as_array().cloned().unwrap_or_default())
        .find(|s| s["name"] == service)
        .and_then(|s| s["serviceDeployments"].as_array().cloned())
        .unwrap_or_default()
}

/// A manual clock stepped every `every` in the background (one emulated second a step). When a
/// service deployment reaches BAKE_TIME, its bake time passes in one call (`advance_ms`) once
/// `hold` of wall time has passed: longer than the provider's longest pause between polls, so
/// the provider sees the bake time before it ends. Stops when dropped.
pub struct BakingClock {
    stop: Arc<AtomicBool>,
    baked: Arc<Mutex<BTreeSet<String>>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl BakingClock {
    /// Starts stepping `handle`'s manual clock.
    pub fn start(handle: Arc<EmulatorHandle>, every: Duration, hold: Duration) -> BakingClock {
        let stop = Arc::new(AtomicBool::new(false));
        let baked = Arc::new(Mutex::new(BTreeSet::new()));
        let (flag, done) = (Arc::clone(&stop), Arc::clone(&baked));
        let thread = std::thread::spawn(move || {
            // Service deployment id → (service, when it was first seen baking).
            let mut seen: HashMap<String, (String, Instant)> = HashMap::new();
            while !flag.load(Ordering::Relaxed) {
                std::thread::sleep(every);
                handle.advance(1);
                for (service, id) in baking(&handle) {
                    seen.entry(id).or_insert((service, Instant::now()));
                }
                let due: Vec<String> = seen
                    .iter()
                    .filter(|(_, (_, since))| since.elapsed() >= hold)
                    .map(|(id, _)| id.clone())
                    .collect();
                if due.is_empty() {
                    continue;
                }
                handle.advance_ms(BAKE_MINUTES * 60_000);
                let mut done = done.lock().expect("baked services");
                for id in due {
                    if let Some((service, _)) = seen.remove(&id) {
                        done.insert(service);
                    }
                }
                // Whatever else was baking passed its bake time too.
                for (_, (service, _)) in seen.drain() {
                    done.insert(service);
                }
            }
        });
        BakingClock {
            stop,
            baked,
            thread: Some(thread),
        }
    }

    /// Whether the clock passed the bake time of a deployment of `service` in one call.
    pub fn baked(&self, service: &str) -> bool {
        self.baked.lock().expect("baked services").contains(service)
    }
}

impl Drop for BakingClock {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// `(service, service deployment id)` of every deployment in BAKE_TIME now.
fn baking(handle: &EmulatorHandle) -> Vec<(String, String)> {
    let state = handle.state();
    let mut found = Vec::new();
    for cluster in state["clusters"].as_array().into_iter().flatten() {
        for service in cluster["services"].as_array().into_iter().flatten() {
            for sd in service["serviceDeployments"]
                .as_array()
                .into_iter()
                .flatten()
            {
                if sd["lifecycleStage"] == "BAKE_TIME" && sd["status"] == "IN_PROGRESS" {
                    found.push((
                        service["name"].as_str().unwrap_or_default().to_owned(),
                        sd["id"].as_str().unwrap_or_default().to_owned(),
                    ));
                }
            }
        }
    }
    found
}
