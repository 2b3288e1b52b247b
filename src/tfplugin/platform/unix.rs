//! Linux and macOS: signals and the parent process id (POSIX, nothing Linux-only).

use tokio_util::sync::CancellationToken;

/// Ignores SIGINT for the whole process: Ctrl-C reaches Terraform's process group, and
/// Terraform then calls StopProvider itself.
pub fn ignore_interrupts() {
    // SAFETY: installing SIG_IGN for SIGINT has no preconditions and touches no Rust state.
    unsafe {
        libc::signal(libc::SIGINT, libc::SIG_IGN);
    }
}

/// SIGTERM cancels `shutdown`, so serving stops like after Shutdown and the socket directory
/// is still removed.
pub fn stop_on_terminate(shutdown: CancellationToken) {
    if let Ok(mut term) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
    {
        tokio::spawn(async move {
            if term.recv().await.is_some() {
                shutdown.cancel();
            }
        });
    }
}

/// The process that started the provider (Terraform), as seen at start-up.
#[derive(Debug)]
pub struct ParentProcess {
    id: u32,
}

impl ParentProcess {
    /// The current parent. On unix there always is one (possibly init, if it is gone already).
    pub fn of_current() -> Option<Self> {
        Some(Self {
            id: std::os::unix::process::parent_id(),
        })
    }

    /// Its process id.
    pub fn id(&self) -> u32 {
        self.id
    }

    /// False once it has exited: the kernel then re-parents us (to init, launchd or a
    /// subreaper) and `getppid` changes. The same on Linux and macOS.
    pub fn is_running(&self) -> bool {
        std::os::unix::process::parent_id() == self.id
    }
}
