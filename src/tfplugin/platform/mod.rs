//! What differs between the operating systems Terraform runs on, behind one small interface,
//! so the handshake and the server stay the same everywhere.
//!
//! | concern | Linux and macOS (`unix.rs`) | Windows (`windows.rs`) |
//! | --- | --- | --- |
//! | listener | unix socket in a private directory, TCP fallback (`handshake`) | TCP on 127.0.0.1 in `PLUGIN_MIN_PORT..=PLUGIN_MAX_PORT`, as go-plugin does (`handshake`) |
//! | Ctrl-C | SIGINT ignored | Ctrl-C and Ctrl-Break ignored (console control handler) |
//! | polite termination | SIGTERM stops serving | none exists: Terraform ends a plugin with Shutdown or `TerminateProcess` |
//! | Terraform died | the parent process id changes (re-parenting, POSIX `getppid`) | a handle to the parent process is signalled |
//!
//! Ctrl-C reaches every process of the terminal (or console) at once; Terraform decides what
//! an interrupt means (StopProvider, then Shutdown), so the provider must not die of it halfway
//! through moving a tag.

#[cfg(unix)]
mod unix;
#[cfg(unix)]
pub use unix::{ParentProcess, ignore_interrupts, stop_on_terminate};

#[cfg(windows)]
mod windows;
#[cfg(windows)]
pub use windows::{ParentProcess, ignore_interrupts, stop_on_terminate};
