//! Windows: the console control handler, and a process handle on the parent.
//!
//! Windows does not re-parent orphans and reuses process ids, so the parent's id alone says
//! nothing once it has exited; a handle opened while the parent still runs does: it is
//! signalled when that process exits, whatever the id becomes later.

use tokio_util::sync::CancellationToken;
use windows_sys::Win32::Foundation::{
    CloseHandle, FALSE, FILETIME, HANDLE, INVALID_HANDLE_VALUE, TRUE, WAIT_TIMEOUT,
};
use windows_sys::Win32::System::Console::{CTRL_BREAK_EVENT, CTRL_C_EVENT, SetConsoleCtrlHandler};
use windows_sys::Win32::System::Diagnostics::ToolHelp::{
    CreateToolhelp32Snapshot, PROCESSENTRY32W, Process32FirstW, Process32NextW, TH32CS_SNAPPROCESS,
};
use windows_sys::Win32::System::Threading::{
    GetCurrentProcess, GetCurrentProcessId, GetProcessTimes, OpenProcess,
    PROCESS_QUERY_LIMITED_INFORMATION, PROCESS_SYNCHRONIZE, WaitForSingleObject,
};
use windows_sys::core::BOOL;

/// Handles Ctrl-C and Ctrl-Break (what Go's `os.Interrupt` covers, which go-plugin servers
/// ignore); every other event (close, logoff, shutdown) goes on to the default handler.
unsafe extern "system" fn swallow_interrupts(event: u32) -> BOOL {
    if event == CTRL_C_EVENT || event == CTRL_BREAK_EVENT {
        TRUE
    } else {
        FALSE
    }
}

/// Ignores Ctrl-C and Ctrl-Break for the whole process: the console delivers them to Terraform
/// too, and Terraform then calls StopProvider itself.
pub fn ignore_interrupts() {
    // SAFETY: registers a handler that only compares its argument; no Rust state is touched.
    // Failure (no console) leaves nothing to ignore.
    unsafe {
        SetConsoleCtrlHandler(Some(swallow_interrupts), TRUE);
    }
}

/// Windows has no polite termination signal for a console program: Terraform ends a plugin
/// with Shutdown or, failing that, `TerminateProcess`, which no process can intercept.
pub fn stop_on_terminate(_shutdown: CancellationToken) {}

/// The process that started the provider (Terraform): an open handle to it.
#[derive(Debug)]
pub struct ParentProcess {
    id: u32,
    handle: HANDLE,
}

// SAFETY: a process handle is a kernel object reference usable from any thread; it is only
// waited on and closed.
unsafe impl Send for ParentProcess {}
// SAFETY: as above; `is_running` does not mutate.
unsafe impl Sync for ParentProcess {}

impl ParentProcess {
    /// Opens the parent process. `None` when there is no parent to watch: it is gone already,
    /// or not ours to open, or the program was started outside Windows' process tree (as a
    /// Wine process started from a Linux shell is).
    pub fn of_current() -> Option<Self> {
        // SAFETY: plain Win32 calls with valid out-pointers; every handle opened is closed on
        // each path (the snapshot in `parent_id_of`, this one in Drop or below).
        unsafe {
            let me = GetCurrentProcessId();
            let id = parent_id_of(me)?;
            let handle = OpenProcess(
                PROCESS_SYNCHRONIZE | PROCESS_QUERY_LIMITED_INFORMATION,
                FALSE,
                id,
            );
            if handle.is_null() {
                return None;
            }
            let parent = Self { id, handle };
            // A process id is reused once its process is gone: a "parent" created after us is
            // another program, and the real parent has exited already.
            match (created_at(handle), created_at(GetCurrentProcess())) {
                (Some(theirs), Some(ours)) if theirs <= ours => Some(parent),
                _ => None,
            }
        }
    }

    /// Its process id.
    pub fn id(&self) -> u32 {
        self.id
    }

    /// False once it has exited (its handle is signalled).
    pub fn is_running(&self) -> bool {
        // SAFETY: the handle is open for SYNCHRONIZE until Drop; a zero timeout never blocks.
        unsafe { WaitForSingleObject(self.handle, 0) == WAIT_TIMEOUT }
    }
}

impl Drop for ParentProcess {
    fn drop(&mut self) {
        // SAFETY: the handle was opened by `of_current` and is closed exactly once.
        unsafe {
            CloseHandle(self.handle);
        }
    }
}

/// The parent process id recorded for process `pid` (a process snapshot is the documented way
/// to read it without the native API).
unsafe fn parent_id_of(pid: u32) -> Option<u32> {
    // SAFETY (caller and here): the snapshot handle is checked and closed; the entry's size is
    // set as the API requires.
    unsafe {
        let snapshot = CreateToolhelp32Snapshot(TH32CS_SNAPPROCESS, 0);
        if snapshot == INVALID_HANDLE_VALUE {
            return None;
        }
        let mut entry = PROCESSENTRY32W {
            dwSize: size_of::<PROCESSENTRY32W>() as u32,
            ..PROCESSENTRY32W::default()
        };
        let mut found = None;
        let mut more = Process32FirstW(snapshot, &mut entry) != 0;
        while more {
            if entry.th32ProcessID == pid {
                found = Some(entry.th32ParentProcessID).filter(|&p| p != 0);
                break;
            }
            more = Process32NextW(snapshot, &mut entry) != 0;
        }
        CloseHandle(snapshot);
        found
    }
}

/// When process `handle` was created, in 100 ns ticks since 1601.
unsafe fn created_at(handle: HANDLE) -> Option<u64> {
    let mut created = FILETIME::default();
    let mut exited = FILETIME::default();
    let mut kernel = FILETIME::default();
    let mut user = FILETIME::default();
    // SAFETY: four valid out-pointers; the handle has PROCESS_QUERY_LIMITED_INFORMATION.
    let ok = unsafe { GetProcessTimes(handle, &mut created, &mut exited, &mut kernel, &mut user) };
    (ok != 0).then(|| (u64::from(created.dwHighDateTime) << 32) | u64::from(created.dwLowDateTime))
}
