//! The provider built for the other platforms Terraform runs on (debug builds without debug
//! info, made by `scripts/cross-build.sh`, which `make test` runs before the tests):
//!
//! | platform | checked here |
//! | --- | --- |
//! | darwin_amd64, darwin_arm64 | format only: Mach-O for the right CPU, macOS 11 minimum, only system libraries, signed (arm64) |
//! | linux_arm64 | format (aarch64 ELF, glibc 2.17 at most), and run under qemu-user through the handshake and mTLS GetProviderSchema |
//! | windows_amd64 | format (PE32+ amd64 console program, only system DLLs), and run under Wine through the TCP handshake and mTLS GetProviderSchema, and stopping when the process that started it is killed |
//!
//! A binary that is not built, or an emulator that is not installed (`scripts/toolchain.sh
//! --emulators` installs them), makes its test say SKIPPED with the reason.

use std::path::{Path, PathBuf};
use std::time::Duration;

use tokio::process::Command;

use super::formats;
use crate::protocol::client::{ClientIdentity, ProviderClient, tfplugin6 as pb};
use crate::support::launch::{self, Address, PORTS};
use crate::support::{repo_root, wait_until};

const NAME: &str = "terraform-provider-tagdeploy";
/// Emulated start-up is slow (Wine starts its server on first use); a bound against hangs.
const EMULATED_STARTUP: Duration = Duration::from_secs(120);
const EMULATED_EXIT: Duration = Duration::from_secs(30);

/// The cross-built binary for `triple`, or None after printing why the test is skipped.
fn built(triple: &str, platform: &str) -> Option<PathBuf> {
    let exe = if triple.contains("windows") {
        format!("{NAME}.exe")
    } else {
        NAME.to_owned()
    };
    let path = repo_root()
        .join("target")
        .join(triple)
        .join("debug")
        .join(exe);
    if path.is_file() {
        Some(path)
    } else {
        eprintln!(
            "SKIPPED for {platform}: {} is not built (make test builds it: scripts/cross-build.sh {platform})",
            path.display()
        );
        None
    }
}

/// The emulator at `path`, or None after printing why the test is skipped.
fn emulator(path: &str, package: &str) -> Option<PathBuf> {
    let path = Path::new(path);
    if path.exists() {
        Some(path.to_path_buf())
    } else {
        eprintln!(
            "SKIPPED: {} is not installed (Debian package {package}; scripts/toolchain.sh --emulators installs it as root)",
            path.display()
        );
        None
    }
}

#[test]
fn darwin_binaries_are_mach_o_for_their_cpu_linking_only_system_libraries() {
    for (triple, platform, cpu) in [
        ("x86_64-apple-darwin", "darwin_amd64", 0x0100_0007),
        ("aarch64-apple-darwin", "darwin_arm64", 0x0100_000c),
    ] {
        let Some(path) = built(triple, platform) else {
            continue;
        };
        let m = formats::mach_o(&path);
        assert_eq!(m.cpu_type, cpu, "{platform}: CPU type {:#x}", m.cpu_type);
        assert_eq!(m.file_type, 2, "{platform}: not MH_EXECUTE");
        assert_eq!(m.min_os, Some((11, 0)), "{platform}: minimum macOS");
        assert!(
            m.dylibs.iter().any(|d| d == "/usr/lib/libSystem.B.dylib"),
            "{platform}: {:?}",
            m.dylibs
        );
        let foreign: Vec<&String> = m
            .dylibs
            .iter()
            .filter(|d| {
                !(d.starts_with("/usr/lib/") || d.starts_with("/System/Library/Frameworks/"))
            })
            .collect();
        assert!(
            foreign.is_empty(),
            "{platform} loads libraries a Mac does not have: {foreign:?}"
        );
        if platform == "darwin_arm64" {
            // Apple silicon kills unsigned code; the linker's ad-hoc signature is enough.
            assert!(m.code_signature, "darwin_arm64 without a code signature");
        }
        eprintln!("{platform}: Mach-O, macOS 11+, loads {:?}", m.dylibs);
    }
}

#[test]
fn windows_binary_is_an_amd64_console_program_importing_only_system_dlls() {
    let Some(path) = built("x86_64-pc-windows-gnu", "windows_amd64") else {
        return;
    };
    let pe = formats::pe(&path);
    assert_eq!(pe.machine, 0x8664, "machine {:#x}", pe.machine);
    assert!(pe.executable, "not an executable image");
    assert_eq!(pe.subsystem, 3, "not a console program");
    // What Windows 10 and later ship; a MinGW runtime DLL (libgcc_s_seh-1.dll,
    // libwinpthread-1.dll) here would make the binary fail to start on a user's machine.
    let system = [
        "kernel32.dll",
        "ntdll.dll",
        "advapi32.dll",
        "bcrypt.dll",
        "bcryptprimitives.dll",
        "crypt32.dll",
        "ncrypt.dll",
        "secur32.dll",
        "userenv.dll",
        "ws2_32.dll",
    ];
    let foreign: Vec<&String> = pe
        .imports
        .iter()
        .filter(|d| {
            let d = d.to_ascii_lowercase();
            !(system.contains(&d.as_str()) || d.starts_with("api-ms-win-"))
        })
        .collect();
    assert!(
        foreign.is_empty(),
        "imports DLLs Windows does not ship: {foreign:?}"
    );
    assert!(
        pe.imports
            .iter()
            .any(|d| d.eq_ignore_ascii_case("kernel32.dll")),
        "{:?}",
        pe.imports
    );
}

#[test]
fn linux_arm64_binary_is_aarch64_elf_needing_glibc_2_17_at_most() {
    let Some(path) = built("aarch64-unknown-linux-gnu", "linux_arm64") else {
        return;
    };
    let elf = formats::elf(&path);
    assert_eq!(elf.machine, 183, "not EM_AARCH64");
    assert_eq!(
        elf.interpreter.as_deref(),
        Some("/lib/ld-linux-aarch64.so.1")
    );
    let allowed = [
        "libc.so.6",
        "libm.so.6",
        "libgcc_s.so.1",
        "libpthread.so.0",
        "libdl.so.2",
        "librt.so.1",
        "ld-linux-aarch64.so.1",
    ];
    for lib in &elf.needed {
        assert!(
            allowed.contains(&lib.as_str()),
            "needs {lib}: {:?}",
            elf.needed
        );
    }
    let newest = elf
        .versions
        .iter()
        .filter_map(|v| formats::glibc_version(v))
        .max()
        .expect("glibc symbol versions");
    assert!(
        newest <= (2, 17),
        "needs GLIBC_{}.{}: {:?}",
        newest.0,
        newest.1,
        elf.versions
    );
}

#[tokio::test]
async fn linux_arm64_binary_under_qemu_serves_the_schema_over_mtls() {
    let Some(binary) = built("aarch64-unknown-linux-gnu", "linux_arm64") else {
        return;
    };
    let Some(qemu) = emulator("/usr/bin/qemu-aarch64-static", "qemu-user-static") else {
        return;
    };
    let Some(_) = emulator(
        "/usr/aarch64-linux-gnu/lib/ld-linux-aarch64.so.1",
        "libc6-arm64-cross",
    ) else {
        return;
    };
    let sockets = tempfile::tempdir().unwrap();
    let identity = ClientIdentity::terraform_like();
    let mut cmd = Command::new(qemu);
    cmd.arg("-L")
        .arg("/usr/aarch64-linux-gnu")
        .arg(&binary)
        .env("PLUGIN_UNIX_SOCKET_DIR", sockets.path());
    let p = launch::launch(cmd, &identity, EMULATED_STARTUP).await;
    let Address::Unix(socket) = &p.address else {
        panic!("expected a unix socket on Linux: {}", p.line)
    };
    assert!(socket.starts_with(sockets.path()), "{}", p.line);
    launch::schema_refusal_and_shutdown(p, &identity, EMULATED_EXIT).await;
}

/// The Windows binary, Wine, the test's prepared Wine prefix, and an exclusive lock on that
/// prefix (one Wine test at a time, across test processes: each ends the prefix's Wine server
/// when it finishes); None after printing why the test is skipped.
fn wine_setup() -> Option<(PathBuf, PathBuf, PathBuf, std::fs::File)> {
    let binary = built("x86_64-pc-windows-gnu", "windows_amd64")?;
    let wine = emulator("/usr/lib/wine/wine64", "wine64")?;
    let prefix = repo_root().join("target/wine-prefix");
    let shim = prefix.join("drive_c/windows/system32/bcryptprimitives.dll");
    if !shim.is_file() {
        eprintln!(
            "SKIPPED: the Wine prefix {} is not prepared (scripts/toolchain.sh --emulators)",
            prefix.display()
        );
        return None;
    }
    let lock = std::fs::File::create(prefix.join(".tests.lock")).expect("create the lock file");
    lock.lock().expect("lock the Wine prefix");
    Some((binary, wine, prefix, lock))
}

fn wine_command(wine: &Path, prefix: &Path) -> Command {
    let mut cmd = Command::new(wine);
    cmd.env("WINEPREFIX", prefix)
        .env("WINEDEBUG", "-all")
        .env("WINEDLLOVERRIDES", "mscoree,mshtml=");
    cmd
}

#[tokio::test]
async fn windows_binary_under_wine_serves_the_schema_over_tcp_and_mtls() {
    // Dropped in reverse order: the Wine server ends before the prefix is unlocked.
    let Some((binary, wine, prefix, _lock)) = wine_setup() else {
        return;
    };
    let _stop = WineServer(prefix.clone());
    let identity = ClientIdentity::terraform_like();
    let mut cmd = wine_command(&wine, &prefix);
    cmd.arg(&binary);
    let p = launch::launch(cmd, &identity, EMULATED_STARTUP).await;
    let Address::Tcp(address) = &p.address else {
        panic!("go-plugin on Windows expects TCP: {}", p.line)
    };
    assert!(address.ip().is_loopback(), "{}", p.line);
    assert!((PORTS.0..=PORTS.1).contains(&address.port()), "{}", p.line);
    launch::schema_refusal_and_shutdown(p, &identity, EMULATED_EXIT).await;
}

/// The Windows parent watch: started by cmd.exe (a Windows parent, as Terraform is), the provider
/// stops once cmd.exe is killed, like a provider whose Terraform was killed. (Started from Linux
/// directly, a Wine process has no Windows parent to watch.)
#[tokio::test]
async fn windows_binary_under_wine_stops_when_the_process_that_started_it_is_killed() {
    // Dropped in reverse order: the Wine server ends before the prefix is unlocked.
    let Some((binary, wine, prefix, _lock)) = wine_setup() else {
        return;
    };
    let _stop = WineServer(prefix.clone());
    let windows_path = format!("Z:{}", binary.display()).replace('/', "\\");
    let identity = ClientIdentity::terraform_like();
    let mut cmd = wine_command(&wine, &prefix);
    cmd.arg("C:\\windows\\system32\\cmd.exe")
        .arg("/c")
        .arg(&windows_path);
    let p = launch::launch(cmd, &identity, EMULATED_STARTUP).await;
    let channel = launch::channel(&p, Some(&identity))
        .await
        .expect("connect with mTLS");
    ProviderClient::new(channel)
        .max_decoding_message_size(256 * 1024 * 1024)
        .get_provider_schema(pb::get_provider_schema::Request {})
        .await
        .expect("serving before its parent dies");
    let running = || processes_running(&windows_path);
    assert!(!running().is_empty(), "the provider process is not found");

    let parent = i32::try_from(p.child.id().expect("cmd.exe's pid")).expect("pid");
    // SAFETY: SIGKILL to our own child process (cmd.exe under Wine).
    unsafe {
        libc::kill(parent, libc::SIGKILL);
    }
    let stopped = wait_until(Duration::from_secs(30), || running().is_empty());
    assert!(
        stopped,
        "the provider outlived the process that started it: {:?}",
        running()
    );
}

/// Processes whose command line holds `needle` (Wine shows a Windows program's path there).
fn processes_running(needle: &str) -> Vec<i32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|e| {
            let pid = e.file_name().to_string_lossy().parse::<i32>().ok()?;
            let cmdline = std::fs::read(e.path().join("cmdline")).ok()?;
            let status = std::fs::read_to_string(e.path().join("status")).unwrap_or_default();
            let zombie = status
                .lines()
                .any(|l| l.starts_with("State:") && l.contains('Z'));
            (!zombie && String::from_utf8_lossy(&cmdline).contains(needle)).then_some(pid)
        })
        .collect()
}

/// Ends the Wine server of the test's prefix when dropped: it would otherwise linger a few
/// seconds after the last Windows process, holding the test's output open.
struct WineServer(PathBuf);

impl Drop for WineServer {
    fn drop(&mut self) {
        let _ = std::process::Command::new("/usr/lib/wine/wineserver")
            .arg("-k")
            .env("WINEPREFIX", &self.0)
            .status();
    }
}
