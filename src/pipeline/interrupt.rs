//! Ctrl-C and SIGTERM for the commands that talk to AWS.
//!
//! Before anything is written the command stops at once (exit 130). While
//! changes are applied, the first signal sets `cancel` (no new call
//! starts; the calls in flight finish and the lock is released) and the
//! second exits at once. The flags are process-wide because signals are.

use std::sync::atomic::{AtomicBool, Ordering};

/// The exit code of an interrupted run.
pub const EXIT_INTERRUPTED: u8 = 130;

/// Set by the first signal while changes are being applied: no new call
/// starts.
static CANCEL: AtomicBool = AtomicBool::new(false);
/// True once this run may write (it took the lock, or writes lock-free).
static APPLYING: AtomicBool = AtomicBool::new(false);

/// The flag apply checks before starting each action.
pub fn cancel_flag() -> &'static AtomicBool {
    &CANCEL
}

/// From now on an interrupt must not stop the process outright: it stops
/// new calls and lets the run finish what it started (and release the
/// lock).
pub fn writing() {
    APPLYING.store(true, Ordering::SeqCst);
}

/// Waits for the next Ctrl-C or SIGTERM.
pub async fn next_signal() {
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
    let sigterm = async {
        match term.as_mut() {
            Some(t) => {
                t.recv().await;
            }
            None => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = sigterm => {}
    }
}

/// Installs the handler on the current tokio runtime. `say` prints one
/// line to the user.
pub fn install(say: fn(&str)) {
    tokio::spawn(async move {
        loop {
            next_signal().await;
            if !APPLYING.load(Ordering::SeqCst) {
                say("interrupted: nothing was changed");
                std::process::exit(i32::from(EXIT_INTERRUPTED));
            }
            if CANCEL.swap(true, Ordering::SeqCst) {
                say("interrupted again: exiting now; run the command again to converge");
                std::process::exit(i32::from(EXIT_INTERRUPTED));
            }
            say(
                "interrupted: no new call will start; waiting for the calls in flight (Ctrl-C again to quit now)",
            );
        }
    });
}
