//! What stands between a failure and the user's terminal: every error and any
//! panic that escapes becomes one `medvox: error:` line (control characters
//! escaped, length cut) and exit status 1; SIGINT/SIGTERM remove the temporary
//! files of writes in progress (exit 130/143); `--max-memory` and
//! `--allow-outside-data` are applied for the whole process.

use std::process::ExitCode;

/// Global settings of the hardening flags.
pub fn apply(max_memory: Option<&str>, allow_outside_data: bool) -> anyhow::Result<()> {
    if let Some(m) = max_memory {
        let b = medvox::core::budget::parse_bytes(m).ok_or_else(|| {
            anyhow::anyhow!(
                "--max-memory {}: expected a byte count such as 4G, 512M or 1000000",
                medvox::core::text::printable(m, 40)
            )
        })?;
        medvox::core::budget::set_max_bytes(Some(b));
    }
    medvox::io::set_allow_outside_data(allow_outside_data);
    Ok(())
}

/// Runs `body` with a silent panic hook (a panic that the code catches, as
/// dicom-rs's codecs do, prints nothing; set `MEDVOX_PANIC_TRACE=1` to see
/// them) and turns its outcome into the exit status.
pub fn run(body: impl FnOnce() -> anyhow::Result<()>) -> ExitCode {
    if let Err(e) = medvox::io::atomic::cleanup_on_signals() {
        eprintln!("medvox: warning: cannot install signal handlers: {e}");
    }
    if std::env::var_os("MEDVOX_PANIC_TRACE").is_none() {
        std::panic::set_hook(Box::new(|_| {}));
    }
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(body)) {
        Ok(Ok(())) => ExitCode::SUCCESS,
        Ok(Err(e)) => {
            error_line(&format!("{e:#}"));
            ExitCode::FAILURE
        }
        Err(payload) => {
            let msg = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".into());
            error_line(&format!(
                "internal error (a bug in medvox, please report it): {msg}"
            ));
            ExitCode::FAILURE
        }
    }
}

/// Prints one `medvox: error:` line.
pub fn error_line(msg: &str) {
    eprintln!("medvox: error: {}", medvox::core::text::one_line(msg));
}
