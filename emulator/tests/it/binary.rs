//! The `tagdeploy-emulator` binary: the first stdout line, loopback only, `--faults`, the real
//! clock, clean exit on SIGTERM.

use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

use crate::support::{ECS, aws_call, workspace_root};

const BIN: &str = env!("CARGO_BIN_EXE_tagdeploy-emulator");

async fn start(args: &[&str]) -> (Child, std::net::SocketAddr) {
    let mut child = Command::new(BIN)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("binary starts");
    let stdout = child.stdout.take().unwrap();
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).await.unwrap();
    let url = line
        .strip_suffix('\n')
        .and_then(|l| l.strip_prefix("listening on http://"))
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"));
    (child, url.parse().expect("HOST:PORT"))
}

fn demo() -> String {
    workspace_root()
        .join("examples/demo/world.json")
        .display()
        .to_string()
}

async fn terminate(mut child: Child) {
    let pid = child.id().unwrap().to_string();
    let status = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    assert!(status.success());
    let exit = tokio::time::timeout(Duration::from_secs(20), child.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(exit.success(), "clean exit on SIGTERM: {exit:?}");
}

#[tokio::test]
async fn serves_on_loopback_and_exits_on_sigterm() {
    let (child, addr) = start(&[
        "--listen",
        "127.0.0.1:0",
        "--world",
        &demo(),
        "--manual-clock",
    ])
    .await;
    assert!(addr.ip().is_loopback() && addr.port() != 0);
    let r = aws_call(
        addr,
        &format!("{ECS}.ListServices"),
        r#"{"cluster": "example"}"#,
    )
    .await
    .unwrap();
    assert_eq!(r.status, 200);
    assert_eq!(
        r.json()["serviceArns"][0],
        "arn:aws:ecs:us-east-1:123456789012:service/example/example"
    );
    terminate(child).await;
}

#[tokio::test]
async fn refuses_non_loopback_addresses_and_bad_arguments() {
    for args in [
        vec!["--listen", "0.0.0.0:0", "--world", "x.json"],
        vec!["--listen", "127.0.0.1:0"],
        vec![
            "--listen",
            "127.0.0.1:0",
            "--world",
            "x.json",
            "--step-ms",
            "5",
            "--manual-clock",
        ],
        vec!["--frobnicate"],
        vec![
            "--listen",
            "127.0.0.1:0",
            "--world",
            "x.json",
            "--time-scale",
            "60",
            "--manual-clock",
        ],
        vec![
            "--listen",
            "127.0.0.1:0",
            "--world",
            "x.json",
            "--time-scale",
            "0",
        ],
    ] {
        let out = Command::new(BIN).args(&args).output().await.unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(out.stdout.is_empty());
        let err = String::from_utf8_lossy(&out.stderr);
        if args.get(1) == Some(&"0.0.0.0:0") {
            assert!(err.contains("not a loopback address"), "{err}");
        }
    }
    let out = Command::new(BIN)
        .args([
            "--listen",
            "127.0.0.1:0",
            "--world",
            "/nonexistent/world.json",
        ])
        .output()
        .await
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot read world file"));
}

#[tokio::test]
async fn faults_file_and_real_clock() {
    let dir = tempfile::tempdir().unwrap();
    let faults = dir.path().join("faults.json");
    std::fs::write(
        &faults,
        r#"{"rules": [{"operation": "ListTasks", "kind": "throttle", "max_faults": 1}]}"#,
    )
    .unwrap();
    let (child, addr) = start(&[
        "--listen",
        "127.0.0.1:0",
        "--world",
        &demo(),
        "--step-ms",
        "20",
        "--time-scale",
        "60",
        "--faults",
        &faults.display().to_string(),
    ])
    .await;
    let (status, state) = {
        let r = crate::support::raw(addr, "GET", "/_emulator/state", &[], b"")
            .await
            .unwrap()
            .unwrap();
        (r.status, r.json())
    };
    assert_eq!(status, 200);
    assert_eq!(state["clock"]["timeScale"], 60);
    let r = aws_call(
        addr,
        &format!("{ECS}.ListTasks"),
        r#"{"cluster": "example"}"#,
    )
    .await
    .unwrap();
    assert_eq!(r.json()["__type"], "ThrottlingException");
    let r = aws_call(
        addr,
        &format!("{ECS}.ListTasks"),
        r#"{"cluster": "example"}"#,
    )
    .await
    .unwrap();
    assert_eq!(r.status, 200);

    // On the real clock a forced deployment completes by itself.
    let r = aws_call(
        addr,
        &format!("{ECS}.UpdateService"),
        r#"{"cluster": "example", "service": "example", "forceNewDeployment": true}"#,
    )
    .await
    .unwrap();
    let new_id = r.json()["service"]["deployments"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    // Polled, bounded (20 s); no assumption about how many steps happen per poll.
    let mut completed = false;
    for _ in 0..1000 {
        let s = aws_call(
            addr,
            &format!("{ECS}.DescribeServices"),
            r#"{"cluster": "example", "services": ["example"]}"#,
        )
        .await
        .unwrap()
        .json();
        let deployments = s["services"][0]["deployments"].as_array().unwrap().clone();
        if deployments.len() == 1
            && deployments[0]["id"] == new_id.as_str()
            && deployments[0]["rolloutState"] == "COMPLETED"
        {
            completed = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(completed, "the real clock finished the rollout");
    terminate(child).await;
}
