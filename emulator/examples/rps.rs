//! Measures how many AWS calls per second the emulator serves on this machine.
//!
//! `cargo run --release -p tagdeploy-emulator --example rps -- [CONNECTIONS] [REQUESTS_PER_CONNECTION]`
//!
//! Starts the emulator in-process on 127.0.0.1 with the RFC demo world, then sends
//! `DescribeServices` (the call rollout pollers make most) over keep-alive HTTP/1.1 connections
//! and prints the rate. Bounded: CONNECTIONS × REQUESTS calls, then it exits.

use std::time::Instant;

use tagdeploy_emulator::{ClockMode, Options, World};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

async fn client(addr: std::net::SocketAddr, requests: usize) -> std::io::Result<usize> {
    let stream = TcpStream::connect(addr).await?;
    stream.set_nodelay(true)?;
    let (read, mut write) = stream.into_split();
    let mut read = BufReader::new(read);
    let body = r#"{"cluster":"example","services":["example"]}"#;
    let request = format!(
        "POST / HTTP/1.1\r\nHost: {addr}\r\nX-Amz-Target: AmazonEC2ContainerServiceV20141113.DescribeServices\r\nContent-Type: application/x-amz-json-1.1\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    let mut ok = 0;
    let mut line = String::new();
    let mut buf = Vec::new();
    for _ in 0..requests {
        write.write_all(request.as_bytes()).await?;
        let mut length = 0usize;
        let mut status_ok = false;
        loop {
            line.clear();
            read.read_line(&mut line).await?;
            if line.starts_with("HTTP/1.1 ") {
                status_ok = line.starts_with("HTTP/1.1 200");
            } else if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                length = v.trim().parse().unwrap_or(0);
            } else if line == "\r\n" || line.is_empty() {
                break;
            }
        }
        buf.resize(length, 0);
        read.read_exact(&mut buf).await?;
        ok += usize::from(status_ok);
    }
    Ok(ok)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let connections: usize = args.next().map_or(Ok(4), |a| a.parse())?;
    let per_connection: usize = args.next().map_or(Ok(5000), |a| a.parse())?;
    let world_path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/demo/world.json");
    let world = World::from_file(world_path)?;
    let emulator = tagdeploy_emulator::spawn(
        world,
        Options {
            clock: ClockMode::Manual,
            ..Options::default()
        },
    )
    .await?;
    let addr = emulator.addr();
    // Warm-up, so connection setup and first allocations are not measured.
    client(addr, 200).await?;
    emulator.clear_requests();
    let start = Instant::now();
    let handles: Vec<_> = (0..connections)
        .map(|_| tokio::spawn(client(addr, per_connection)))
        .collect();
    let mut ok = 0;
    for h in handles {
        ok += h.await??;
    }
    let elapsed = start.elapsed();
    let served = emulator.requests().len();
    println!(
        "{ok} DescribeServices calls OK ({served} logged) over {connections} keep-alive connections in {:.3} s: {:.0} requests/s",
        elapsed.as_secs_f64(),
        ok as f64 / elapsed.as_secs_f64()
    );
    Ok(())
}
