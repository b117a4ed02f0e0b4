//! `shutdown_signal` completes on SIGTERM and not before. Its own test
//! binary: the signal goes to this process only.

use std::time::Duration;

#[cfg(unix)]
#[tokio::test]
async fn shutdown_signal_completes_on_sigterm() {
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
}
