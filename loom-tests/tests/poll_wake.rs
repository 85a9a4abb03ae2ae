//! The poll wake-up handshake with the real `Signal` watchers and the real
//! `Poller` protocol: a message arriving while the poller goes to sleep is
//! never missed.
//!
//! The socket's readiness is a flag the notifier sets before notifying (as
//! a pipe's flush is published before its `ActivateRead` command; that part
//! is modelled in `queue.rs`). A lost wake-up leaves the poller parked
//! forever, which loom reports as a deadlock.
#![cfg(zactor_loom)]

use loom::sync::atomic::{AtomicBool, Ordering};
use loom::sync::Arc;
use loom::thread;
use zactor::__loom::{PollerModel, SocketSignal};
use zactor_loom_tests::check;

/// A poller that registers, then loops: pass, look, sleep. The notifier
/// makes the socket ready and notifies, concurrently with everything.
#[test]
fn a_notification_racing_with_registration_and_sleep_is_never_lost() {
    check(|| {
        let socket = SocketSignal::new();
        let ready = Arc::new(AtomicBool::new(false));
        let notifier = {
            let socket = socket.clone();
            let ready = ready.clone();
            thread::spawn(move || {
                // SeqCst keeps the model about the signal handshake, not
                // about the readiness flag's own ordering.
                ready.store(true, Ordering::SeqCst);
                socket.notify();
            })
        };
        let poller = PollerModel::add(&socket);
        let mut first = true;
        loop {
            let woken = poller.begin_pass();
            if first || !woken.is_empty() {
                if ready.load(Ordering::SeqCst) {
                    break;
                }
            }
            first = false;
            poller.sleep();
        }
        notifier.join().unwrap();
    });
}

/// Two notifications (two commands) while the poller checks: the member is
/// queued again after its check starts, so the second is not swallowed by
/// the `queued` flag of the first.
#[test]
fn a_second_notification_during_a_check_queues_the_member_again() {
    check(|| {
        let socket = SocketSignal::new();
        let stage = Arc::new(loom::sync::atomic::AtomicUsize::new(0));
        let notifier = {
            let socket = socket.clone();
            let stage = stage.clone();
            thread::spawn(move || {
                stage.store(1, Ordering::SeqCst);
                socket.notify();
                stage.store(2, Ordering::SeqCst);
                socket.notify();
            })
        };
        let poller = PollerModel::add(&socket);
        let mut first = true;
        loop {
            let woken = poller.begin_pass();
            if (first || !woken.is_empty()) && stage.load(Ordering::SeqCst) == 2 {
                break;
            }
            first = false;
            poller.sleep();
        }
        notifier.join().unwrap();
    });
}
