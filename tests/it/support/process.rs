//! The provider processes Terraform starts, found and signalled from a test (Linux `/proc`).

use std::path::Path;

/// The provider processes Terraform started in `work_dir` (matched by their working directory,
/// so providers of tests running in parallel are left alone).
pub fn providers_in(work_dir: &Path) -> Vec<i32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    let mut pids = Vec::new();
    for entry in entries.flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<i32>() else {
            continue;
        };
        let cmdline = std::fs::read(entry.path().join("cmdline")).unwrap_or_default();
        let is_provider =
            String::from_utf8_lossy(&cmdline).contains("terraform-provider-tagdeploy");
        let cwd = std::fs::read_link(entry.path().join("cwd")).ok();
        // A zombie has no cwd link any more, so it is not matched.
        if is_provider && cwd.as_deref() == Some(work_dir) {
            pids.push(pid);
        }
    }
    pids
}

/// SIGKILLs the provider processes Terraform started in `work_dir`; returns how many.
pub fn kill_providers_in(work_dir: &Path) -> usize {
    providers_in(work_dir)
        .into_iter()
        .filter(|pid| signal(*pid, libc::SIGKILL))
        .count()
}

/// The parent process id of `pid` (from `/proc/PID/stat`).
pub fn parent_of(pid: i32) -> Option<i32> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name is in parentheses and may contain spaces: parse after the last ')'.
    let rest = &stat[stat.rfind(')')? + 2..];
    rest.split(' ').nth(1)?.parse().ok()
}

/// Sends `signal` to `pid`; true when it was delivered.
pub fn signal(pid: i32, signal: i32) -> bool {
    // SAFETY: kill(2) with a pid we found ourselves; no memory is shared.
    unsafe { libc::kill(pid, signal) == 0 }
}
