//! `tagdeploy-emulator --listen 127.0.0.1:0 --world FILE [--step-ms N [--time-scale N] | --manual-clock] [--faults FILE]`
//!
//! Prints `listening on http://HOST:PORT` as its first stdout line, then serves until SIGINT or
//! SIGTERM.

use std::io::Write;
use std::net::SocketAddr;
use std::process::ExitCode;

use tagdeploy_emulator::{ClockMode, FaultPlan, Options, World};

const USAGE: &str = "usage: tagdeploy-emulator --listen 127.0.0.1:PORT --world FILE [--step-ms N] [--time-scale N | --manual-clock] [--faults FILE]";

struct Args {
    listen: SocketAddr,
    world: String,
    clock: ClockMode,
    time_scale: u32,
    faults: Option<String>,
}

fn parse(args: &[String]) -> Result<Args, String> {
    let mut listen = None;
    let mut world = None;
    let mut step_ms = None;
    let mut manual = false;
    let mut time_scale = None;
    let mut faults = None;
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let mut value = |name: &str| {
            it.next()
                .cloned()
                .ok_or_else(|| format!("{name} needs a value"))
        };
        match arg.as_str() {
            "--listen" => listen = Some(value("--listen")?),
            "--world" => world = Some(value("--world")?),
            "--step-ms" => {
                let v = value("--step-ms")?;
                let n: u64 = v
                    .parse()
                    .map_err(|_| format!("--step-ms: '{v}' is not a number"))?;
                if n == 0 {
                    return Err("--step-ms must be at least 1".into());
                }
                step_ms = Some(n);
            }
            "--time-scale" => {
                let v = value("--time-scale")?;
                let n: u32 = v
                    .parse()
                    .map_err(|_| format!("--time-scale: '{v}' is not a whole number"))?;
                if n == 0 {
                    return Err("--time-scale must be at least 1".into());
                }
                time_scale = Some(n);
            }
            "--manual-clock" => manual = true,
            "--faults" => faults = Some(value("--faults")?),
            "-h" | "--help" => return Err(USAGE.into()),
            other => return Err(format!("unknown argument '{other}'\n{USAGE}")),
        }
    }
    if manual && step_ms.is_some() {
        return Err("--step-ms and --manual-clock exclude each other".into());
    }
    if manual && time_scale.is_some() {
        return Err(
            "--time-scale and --manual-clock exclude each other (on the manual clock every step is one emulated second)"
                .into(),
        );
    }
    let listen = listen.unwrap_or_else(|| "127.0.0.1:0".to_string());
    let listen: SocketAddr = listen
        .parse()
        .map_err(|_| format!("--listen: '{listen}' is not an IP:PORT address"))?;
    if !listen.ip().is_loopback() {
        return Err(format!(
            "--listen: {listen} is not a loopback address; the emulator has no authentication and only listens on loopback (127.0.0.1 or ::1)"
        ));
    }
    let world = world.ok_or_else(|| format!("--world FILE is required\n{USAGE}"))?;
    let clock = match (manual, step_ms) {
        (true, _) => ClockMode::Manual,
        (false, Some(step_ms)) => ClockMode::Real { step_ms },
        (false, None) => ClockMode::default(),
    };
    Ok(Args {
        listen,
        world,
        clock,
        time_scale: time_scale.unwrap_or(1),
        faults,
    })
}

async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match (
            signal(SignalKind::interrupt()),
            signal(SignalKind::terminate()),
        ) {
            (Ok(mut int), Ok(mut term)) => {
                tokio::select! {
                    _ = int.recv() => {}
                    _ = term.recv() => {}
                }
            }
            _ => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

async fn main_inner(args: Args) -> Result<(), String> {
    let world = World::from_file(&args.world).map_err(|e| e.to_string())?;
    let faults = match &args.faults {
        Some(path) => Some(FaultPlan::from_file(path).map_err(|e| e.to_string())?),
        None => None,
    };
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", args.listen))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    {
        let mut out = std::io::stdout().lock();
        writeln!(out, "listening on http://{addr}")
            .and_then(|()| out.flush())
            .map_err(|e| format!("cannot write to stdout: {e}"))?;
    }
    let options = Options {
        clock: args.clock,
        faults,
        time_scale: args.time_scale,
    };
    tagdeploy_emulator::run(listener, world, options, shutdown_signal())
        .await
        .map_err(|e| e.to_string())
}

fn main() -> ExitCode {
    let raw: Vec<String> = std::env::args().skip(1).collect();
    let args = match parse(&raw) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("tagdeploy-emulator: {e}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("tagdeploy-emulator: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(main_inner(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("tagdeploy-emulator: {e}");
            ExitCode::FAILURE
        }
    }
}
