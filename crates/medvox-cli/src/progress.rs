//! Progress bars (indicatif) on stderr, shown only on a terminal and without `--quiet`.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};
use medvox::core::{NoProgress, Progress};

/// A bar for block runs, or a silent sink.
pub fn block_progress(chatty: bool) -> Arc<dyn Progress> {
    if chatty {
        Arc::new(Bar(Mutex::new(None)))
    } else {
        Arc::new(NoProgress)
    }
}

struct Bar(Mutex<Option<ProgressBar>>);

impl Progress for Bar {
    fn start(&self, total: u64, what: &str) {
        let pb = ProgressBar::new(total).with_style(
            ProgressStyle::with_template("{spinner} {msg} [{bar:30}] {pos}/{len} ({elapsed})")
                .expect("valid template")
                .progress_chars("=> "),
        );
        pb.set_message(what.to_string());
        if let Ok(mut g) = self.0.lock() {
            *g = Some(pb);
        }
    }
    fn inc(&self, n: u64) {
        if let Ok(g) = self.0.lock() {
            if let Some(pb) = g.as_ref() {
                pb.inc(n);
            }
        }
    }
    fn finish(&self) {
        if let Ok(mut g) = self.0.lock() {
            if let Some(pb) = g.take() {
                pb.finish_and_clear();
            }
        }
    }
}

/// Runs `f` with a spinner saying `msg` (for reads and writes, whose length is unknown).
pub fn spin<R>(chatty: bool, msg: String, f: impl FnOnce() -> R) -> R {
    if !chatty {
        return f();
    }
    let pb = ProgressBar::new_spinner().with_message(msg);
    pb.enable_steady_tick(Duration::from_millis(100));
    let r = f();
    pb.finish_and_clear();
    r
}
