//! `shutdown_signal` completes on SIGTERM and not before. The signal goes
//! to a process of its own: this test binary re-run with `--exact
//! cli_signal::sigterm_child` and an environment variable that switches
//! `sigterm_child` into child mode, so no other test of the binary sees it.

use std::time::Duration;

const CHILD_ENV: &str = "ISRWATCH_SIGNAL_CHILD";

#[cfg(unix)]
#[test]
fn shutdown_signal_completes_on_sigterm() {
    let out = std::process::Command::new(std::env::current_exe().expect("test binary"))
        .arg(crate::support::test_name(module_path!(), "sigterm_child"))
        .args(["--exact", "--nocapture", "--test-threads", "1"])
        .env(CHILD_ENV, "1")
        .output()
        .expect("run child");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains("SIGTERM HANDLED"),
        "child: {}\n{stdout}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Child mode: the test itself, in the child process.
#[cfg(unix)]
#[tokio::test]
async fn sigterm_child() {
    if std::env::var_os(CHILD_ENV).is_none() {
        return; // Only meaningful when started by the test above.
    }
    let waiter = tokio::spawn(isrwatch::cli::shutdown_signal());
    // Nothing happens without a signal.
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(!waiter.is_finished());
    // SAFETY: raise() only sends a signal to this process; the handler was
    // installed by the spawned task above (it has run during the sleep).
    let rc = unsafe { libc::raise(libc::SIGTERM) };
    assert_eq!(rc, 0);
    tokio::time::timeout(Duration::from_secs(5), waiter)
        .await
        .expect("shutdown_signal did not complete after SIGTERM")
        .expect("task panicked");
    println!("SIGTERM HANDLED");
}
