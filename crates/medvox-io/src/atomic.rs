//! Atomic file writes: a temporary file in the destination folder, renamed into
//! place only when complete, so a failed or interrupted write never leaves a
//! partial output.
//!
//! * Temporaries are named `.NAME.medvox-PID-XXXXXX.tmp`. Each is registered
//!   while the write is in flight ([`register_temp`]); after
//!   [`cleanup_on_signals`] (the CLI calls it first thing) SIGINT and SIGTERM
//!   remove every registered temporary file or folder and exit with status 130 / 143.
//! * A temporary left by a process killed harder (SIGKILL, power loss) is
//!   removed by the next write to the same folder: only names of that pattern,
//!   not modified since before the write started, whose process is gone.

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use crate::error::{Result, WithPath};

/// Marker in every temporary's name.
const MARK: &str = ".medvox-";

/// Temporaries being written, by registration id.
static IN_FLIGHT: Mutex<Vec<(u64, PathBuf)>> = Mutex::new(Vec::new());
static NEXT_ID: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// Keeps a temporary file or folder on the list that the signal handler removes;
/// dropping it takes the path off the list (it does not remove anything).
#[derive(Debug)]
pub struct TempGuard(u64);

impl Drop for TempGuard {
    fn drop(&mut self) {
        let mut l = IN_FLIGHT.lock().unwrap_or_else(|e| e.into_inner());
        l.retain(|(id, _)| *id != self.0);
    }
}

/// Registers a temporary file or folder of a write in progress: if SIGINT or
/// SIGTERM arrives before the guard is dropped (see [`cleanup_on_signals`]), it
/// is removed (a folder with its content) before the process exits.
pub fn register_temp(path: &Path) -> TempGuard {
    let id = NEXT_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let path = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    IN_FLIGHT
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .push((id, path));
    TempGuard(id)
}

/// Removes every registered temporary (called on SIGINT/SIGTERM). Holds the
/// list locked, so no new write registers meanwhile.
fn remove_in_flight() {
    let l = IN_FLIGHT.lock().unwrap_or_else(|e| e.into_inner());
    for (_, p) in l.iter() {
        for _ in 0..20 {
            let r = match std::fs::symlink_metadata(p) {
                Ok(m) if m.is_dir() => std::fs::remove_dir_all(p),
                Ok(_) => std::fs::remove_file(p),
                Err(_) => break,
            };
            if r.is_ok() {
                break;
            }
        }
    }
    // Stays locked until the process exits.
    std::mem::forget(l);
}

#[cfg(unix)]
mod signals {
    use std::sync::atomic::{AtomicI32, Ordering};

    static PIPE_WRITE: AtomicI32 = AtomicI32::new(-1);

    extern "C" fn on_signal(sig: libc::c_int) {
        let fd = PIPE_WRITE.load(Ordering::Relaxed);
        let b = sig as u8;
        // SAFETY: write(2) is async-signal-safe; one byte from a valid local.
        unsafe {
            libc::write(fd, &b as *const u8 as *const libc::c_void, 1);
        }
    }

    pub(super) fn install() -> std::io::Result<()> {
        if PIPE_WRITE.load(Ordering::Relaxed) >= 0 {
            return Ok(());
        }
        let mut fds = [0 as libc::c_int; 2];
        // SAFETY: pipe(2) fills two descriptors through a valid pointer.
        if unsafe { libc::pipe(fds.as_mut_ptr()) } != 0 {
            return Err(std::io::Error::last_os_error());
        }
        for fd in fds {
            // SAFETY: fcntl on descriptors just created.
            unsafe {
                libc::fcntl(fd, libc::F_SETFD, libc::FD_CLOEXEC);
            }
        }
        PIPE_WRITE.store(fds[1], Ordering::Relaxed);
        let read_fd = fds[0];
        std::thread::Builder::new()
            .name("medvox-signals".into())
            .spawn(move || loop {
                let mut b = 0u8;
                // SAFETY: read(2) of one byte into a valid local.
                let n = unsafe { libc::read(read_fd, &mut b as *mut u8 as *mut libc::c_void, 1) };
                if n == 1 {
                    super::remove_in_flight();
                    // SAFETY: _exit ends the process without running destructors
                    // that could race with the interrupted threads.
                    unsafe { libc::_exit(128 + b as libc::c_int) };
                }
                if n < 0
                    && std::io::Error::last_os_error().kind() != std::io::ErrorKind::Interrupted
                {
                    return;
                }
            })?;
        for sig in [libc::SIGINT, libc::SIGTERM] {
            // SAFETY: a zeroed sigaction with a handler that only calls write(2).
            unsafe {
                let mut sa: libc::sigaction = std::mem::zeroed();
                sa.sa_sigaction = on_signal as *const () as usize;
                sa.sa_flags = libc::SA_RESTART;
                libc::sigemptyset(&mut sa.sa_mask);
                if libc::sigaction(sig, &sa, std::ptr::null_mut()) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
            }
        }
        Ok(())
    }

    /// True when process `pid` exists (or cannot be signalled by us).
    pub(super) fn alive(pid: u32) -> bool {
        let Ok(pid) = libc::pid_t::try_from(pid) else {
            return false;
        };
        // SAFETY: kill with signal 0 only checks that the process exists.
        let r = unsafe { libc::kill(pid, 0) };
        r == 0 || std::io::Error::last_os_error().raw_os_error() != Some(libc::ESRCH)
    }
}

/// Installs SIGINT and SIGTERM handlers that remove the temporaries of writes in
/// progress and exit with status 130 (SIGINT) or 143 (SIGTERM). For programs
/// (the CLI), not libraries: it replaces the handlers of the process. Once per
/// process; later calls do nothing.
pub fn cleanup_on_signals() -> std::io::Result<()> {
    #[cfg(unix)]
    {
        static ONCE: Mutex<bool> = Mutex::new(false);
        let mut done = ONCE.lock().unwrap_or_else(|e| e.into_inner());
        if !*done {
            signals::install()?;
            *done = true;
        }
    }
    Ok(())
}

/// Removes stale temporaries of earlier, killed medvox processes from `dir`:
/// names `.*.medvox-PID-XXXXXX.tmp` (files) or `.*.medvox-tmp-PID-N` (folders of
/// DICOM exports), modified before `before`, whose PID is not a running process.
pub fn remove_stale_temps(dir: &Path, before: std::time::SystemTime) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name();
        let Some(name) = name.to_str() else { continue };
        let Some(pid) = stale_pid(name) else { continue };
        if pid == std::process::id() || pid_alive(pid) {
            continue;
        }
        let Ok(meta) = e.path().symlink_metadata() else {
            continue;
        };
        if meta.modified().map_or(true, |m| m >= before) {
            continue;
        }
        let _ = if meta.is_dir() {
            std::fs::remove_dir_all(e.path())
        } else {
            std::fs::remove_file(e.path())
        };
    }
}

/// The PID in a medvox temporary's name, if it is one.
fn stale_pid(name: &str) -> Option<u32> {
    if !name.starts_with('.') {
        return None;
    }
    let at = name.rfind(MARK)?;
    let rest = &name[at + MARK.len()..];
    // Files: `PID-XXXXXX.tmp`; DICOM folders: `tmp-PID-N`.
    let (pid, tail) = match rest.strip_prefix("tmp-") {
        Some(r) => r.split_once('-')?,
        None => {
            let r = rest.strip_suffix(".tmp")?;
            r.split_once('-')?
        }
    };
    if tail.is_empty() || !tail.chars().all(|c| c.is_ascii_alphanumeric()) {
        return None;
    }
    pid.parse().ok()
}

fn pid_alive(pid: u32) -> bool {
    #[cfg(unix)]
    {
        signals::alive(pid)
    }
    #[cfg(not(unix))]
    {
        let _ = pid;
        true
    }
}

/// Writes `path` atomically: `fill` writes the content into a buffered temporary
/// file in the same folder, which is flushed, synced and renamed over `path`.
/// If `fill` fails the temporary file is removed and `path` is untouched.
pub fn write_atomic(path: &Path, fill: impl FnOnce(&mut dyn Write) -> Result<()>) -> Result<()> {
    let started = std::time::SystemTime::now();
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    remove_stale_temps(dir, started);
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut builder = tempfile::Builder::new();
    let prefix = format!(".{name}{MARK}{}-", std::process::id());
    builder.prefix(&prefix).suffix(".tmp");
    #[cfg(unix)]
    {
        // Like a plain `File::create`: 0666 minus the umask (tempfile's default is 0600).
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(std::fs::Permissions::from_mode(0o666));
    }
    let tmp = builder.tempfile_in(dir).at(path)?;
    let _guard = register_temp(tmp.path());
    {
        let mut w = BufWriter::with_capacity(1 << 20, tmp.as_file());
        fill(&mut w)?;
        w.flush().at(path)?;
    }
    tmp.persist(path).map_err(|e| e.error).at(path)?;
    Ok(())
}

/// Writes bytes atomically.
pub fn write_bytes_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    write_atomic(path, |w| w.write_all(bytes).at(path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failure_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("out.nii");
        let r = write_atomic(&p, |w| {
            w.write_all(b"partial").unwrap();
            Err(crate::IoError::Data {
                path: p.clone(),
                reason: "boom".into(),
            })
        });
        assert!(r.is_err());
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
        write_bytes_atomic(&p, b"ok").unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"ok");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn stale_temporaries_of_dead_processes_are_removed() {
        assert_eq!(stale_pid(".a.nii.gz.medvox-123-AbC9xY.tmp"), Some(123));
        assert_eq!(stale_pid(".a.dcm.medvox-tmp-77-0"), Some(77));
        assert_eq!(stale_pid("a.nii.gz.medvox-123-AbC9xY.tmp"), None);
        assert_eq!(stale_pid(".a.nii.gz.XyZ123.tmp"), None);
        assert_eq!(stale_pid(".a.medvox-12-x y.tmp"), None);
        let dir = tempfile::tempdir().unwrap();
        // A PID above the kernel's maximum is never alive.
        let dead = dir.path().join(".x.nii.medvox-2147483000-abcdef.tmp");
        let mine = dir
            .path()
            .join(format!(".x.nii.medvox-{}-abcdef.tmp", std::process::id()));
        let other = dir.path().join(".notes.tmp");
        for p in [&dead, &mine, &other] {
            std::fs::write(p, b"x").unwrap();
        }
        let later = std::time::SystemTime::now() + std::time::Duration::from_secs(5);
        remove_stale_temps(dir.path(), std::time::SystemTime::UNIX_EPOCH);
        assert!(dead.exists(), "newer than the write: kept");
        remove_stale_temps(dir.path(), later);
        assert!(!dead.exists() && mine.exists() && other.exists());
    }
}
