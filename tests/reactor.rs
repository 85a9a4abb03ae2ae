//! `zactor::Loop`, the reactor: readers on sockets and descriptors, timers
//! (counted, forever, cancelled from handlers, added from handlers, no
//! catch-up after a stall), tickets (reset, expiry, delete), and the ways
//! `run` ends (Stop, a handler's error, nothing left, ETERM).
//!
//! Cross-thread steps are handshakes (a channel, or the message itself); a
//! test that needs timers overdue waits on the clock before `run`, and a
//! stall is a handler that holds the loop on purpose.

mod common;

use std::cell::{Cell, RefCell};
use std::io::{Read, Write};
use std::os::unix::io::AsRawFd;
use std::os::unix::net::UnixStream;
use std::rc::Rc;
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use common::{bound, bounded, connected, endpoint};
use zactor::{self as zmq, Flow, Loop};

const MS: Duration = Duration::from_millis(1);

/// Holds the thread until `until` (a stall, or timers made overdue).
fn hold_until(until: Instant) {
    while Instant::now() < until {
        thread::sleep(until.saturating_duration_since(Instant::now()));
    }
}

#[test]
fn a_socket_reader_gets_every_message_then_stops_the_loop() {
    bounded(|| {
        const MESSAGES: u64 = 2000;
        let ctx = zmq::Context::new();
        let pull = bound(&ctx, zmq::PULL, &endpoint("reactor-socket-reader"));
        let push = connected(&ctx, zmq::PUSH, &endpoint("reactor-socket-reader"));
        let sender = thread::spawn(move || {
            for i in 0..MESSAGES {
                push.send(&i.to_le_bytes()[..], 0).unwrap();
            }
            push
        });
        let mut expected = 0u64;
        let mut reactor = Loop::new();
        reactor
            .add_reader(&pull, |_, socket| {
                let body = socket.recv_bytes(zmq::DONTWAIT)?;
                assert_eq!(body, expected.to_le_bytes());
                expected += 1;
                Ok(if expected == MESSAGES {
                    Flow::Stop
                } else {
                    Flow::Continue
                })
            })
            .unwrap();
        assert_eq!(reactor.run(), Ok(()));
        drop(reactor);
        assert_eq!(expected, MESSAGES);
        drop(sender.join().unwrap());
    });
}

#[test]
fn a_descriptor_reader_gets_the_bytes_and_the_hang_up() {
    bounded(|| {
        let (mut writer, mut reader) = UnixStream::pair().unwrap();
        let sender = thread::spawn(move || {
            for chunk in [b"one".as_slice(), b"two", b"three"] {
                writer.write_all(chunk).unwrap();
            }
            // Dropping the writer hangs up: the reader sees EOF.
        });
        let fd = reader.as_raw_fd();
        let received = RefCell::new(Vec::new());
        let received_ref = &received;
        let mut reactor = Loop::new();
        let id = Rc::new(Cell::new(None));
        let own_id = id.clone();
        id.set(Some(
            reactor
                .add_fd_reader(fd, move |reactor, ready_fd, events| {
                    assert_eq!(ready_fd, fd);
                    assert!(events.intersects(zmq::POLLIN | zmq::POLLERR));
                    let mut buffer = [0; 64];
                    let n = reader.read(&mut buffer).unwrap();
                    if n == 0 {
                        // EOF: the reader removes itself; nothing is left.
                        assert!(reactor.remove_reader(own_id.get().unwrap()));
                    }
                    received_ref.borrow_mut().extend_from_slice(&buffer[..n]);
                    Ok(Flow::Continue)
                })
                .unwrap(),
        ));
        assert_eq!(reactor.run(), Ok(()), "ends when no reader is left");
        sender.join().unwrap();
        assert!(!reactor.remove_reader(id.get().unwrap()), "removed already");
        drop(reactor);
        assert_eq!(received.into_inner(), b"onetwothree");
    });
}

#[test]
fn sockets_and_descriptors_share_one_loop() {
    bounded(|| {
        let ctx = zmq::Context::new();
        let pull = bound(&ctx, zmq::PULL, &endpoint("reactor-mixed"));
        let push = connected(&ctx, zmq::PUSH, &endpoint("reactor-mixed"));
        let (mut writer, mut reader) = UnixStream::pair().unwrap();
        let seen = RefCell::new(Vec::new());
        let mut reactor = Loop::new();
        reactor
            .add_reader(&pull, |_, socket| {
                let text = socket.recv_string(zmq::DONTWAIT)?.unwrap();
                seen.borrow_mut().push(text);
                // The socket's message asks for the descriptor's next.
                writer.write_all(b"f").unwrap();
                Ok(Flow::Continue)
            })
            .unwrap();
        reactor
            .add_fd_reader(reader.as_raw_fd(), |_, _, _| {
                let mut byte = [0];
                reader.read_exact(&mut byte).unwrap();
                seen.borrow_mut().push("fd".to_owned());
                Ok(Flow::Stop)
            })
            .unwrap();
        push.send("socket", 0).unwrap();
        assert_eq!(reactor.run(), Ok(()));
        drop(reactor);
        assert_eq!(seen.into_inner(), ["socket", "fd"]);
    });
}

#[test]
fn a_timer_fires_its_count_then_the_loop_runs_out() {
    bounded(|| {
        let fired = Cell::new(0);
        let mut reactor = Loop::new();
        reactor.add_timer(MS, 5, |_, _| {
            fired.set(fired.get() + 1);
            Ok(Flow::Continue)
        });
        let start = Instant::now();
        assert_eq!(reactor.run(), Ok(()), "no timer left: run returns");
        assert_eq!(fired.get(), 5);
        assert!(start.elapsed() >= 5 * MS, "five 1 ms periods");
        let again = Instant::now();
        assert_eq!(reactor.run(), Ok(()), "nothing left: returns at once");
        assert!(again.elapsed() < Duration::from_secs(1));
    });
}

#[test]
fn a_forever_timer_cancelled_from_its_own_handler_and_from_another() {
    bounded(|| {
        let own = Cell::new(0);
        let other = Rc::new(Cell::new(0));
        let mut reactor = Loop::new();
        // Cancels itself on its third firing.
        reactor.add_timer(MS, 0, |reactor, id| {
            own.set(own.get() + 1);
            if own.get() == 3 {
                assert!(reactor.cancel_timer(id));
                assert!(!reactor.cancel_timer(id), "once");
            }
            Ok(Flow::Continue)
        });
        // Cancelled by a one-shot timer after its fourth firing.
        let counter = other.clone();
        let victim = reactor.add_timer(MS, 0, move |_, _| {
            counter.set(counter.get() + 1);
            Ok(Flow::Continue)
        });
        let watched = other.clone();
        let killer = Rc::new(Cell::new(None));
        let own_id = killer.clone();
        killer.set(Some(reactor.add_timer(MS, 0, move |reactor, id| {
            assert_eq!(Some(id), own_id.get());
            if watched.get() >= 4 {
                assert!(reactor.cancel_timer(victim));
                assert!(reactor.cancel_timer(id));
            }
            Ok(Flow::Continue)
        })));
        assert_eq!(reactor.run(), Ok(()), "every timer gone");
        assert_eq!(own.get(), 3);
        // The killer runs after the victim in each tick (due a little later):
        // the victim got its fourth firing, and one more at most if a stall
        // put the two timers a grid slot apart.
        assert!((4..=6).contains(&other.get()), "{}", other.get());
    });
}

#[test]
fn a_timer_handler_adds_a_timer() {
    bounded(|| {
        let order = Rc::new(RefCell::new(Vec::new()));
        let mut reactor = Loop::new();
        let log = order.clone();
        reactor.add_timer(MS, 1, move |reactor, _| {
            log.borrow_mut().push("outer");
            let log = log.clone();
            reactor.add_timer(MS, 2, move |_, _| {
                log.borrow_mut().push("inner");
                Ok(Flow::Continue)
            });
            Ok(Flow::Continue)
        });
        assert_eq!(reactor.run(), Ok(()));
        assert_eq!(*order.borrow(), ["outer", "inner", "inner"]);
    });
}

#[test]
fn cancelling_a_timer_due_in_the_same_pass_keeps_it_from_firing() {
    bounded(|| {
        let fired = Rc::new(RefCell::new(Vec::new()));
        let mut reactor = Loop::new();
        let victim_id = Rc::new(Cell::new(None));
        let (log, victim) = (fired.clone(), victim_id.clone());
        reactor.add_timer(MS, 1, move |reactor, _| {
            log.borrow_mut().push("first");
            assert!(reactor.cancel_timer(victim.get().unwrap()));
            Ok(Flow::Continue)
        });
        let log = fired.clone();
        victim_id.set(Some(reactor.add_timer(MS, 1, move |_, _| {
            log.borrow_mut().push("victim");
            Ok(Flow::Continue)
        })));
        let log = fired.clone();
        reactor.add_timer(MS, 1, move |_, _| {
            log.borrow_mut().push("third");
            Ok(Flow::Continue)
        });
        // All three overdue before the loop starts: one pass fires them.
        hold_until(Instant::now() + 3 * MS);
        assert_eq!(reactor.run(), Ok(()));
        assert_eq!(*fired.borrow(), ["first", "third"]);
    });
}

#[test]
fn a_repeating_timer_does_not_catch_up_after_stalling_its_loop() {
    bounded(|| {
        const PERIOD: Duration = Duration::from_millis(20);
        let firings = RefCell::new(Vec::new());
        let mut reactor = Loop::new();
        reactor.add_timer(PERIOD, 8, |_, _| {
            let now = Instant::now();
            let count = {
                let mut firings = firings.borrow_mut();
                firings.push(now);
                firings.len()
            };
            if count == 2 {
                // Stall the loop for five periods.
                hold_until(now + 5 * PERIOD);
            }
            Ok(Flow::Continue)
        });
        assert_eq!(reactor.run(), Ok(()));
        drop(reactor);
        let firings = firings.into_inner();
        assert_eq!(firings.len(), 8);
        // The stall held the loop through five ticks: none is fired late
        // in a burst (CZMQ's zloop fires them back to back). Each firing
        // reschedules to a grid point after it ended, so any three firings
        // in a row span more than a period, however late each one ran.
        assert!(firings[2] - firings[1] >= 5 * PERIOD);
        for (i, run) in firings.windows(3).enumerate() {
            let span = run[2] - run[0];
            assert!(span > PERIOD, "firings {i}..{} within {span:?}", i + 2);
        }
    });
}

#[test]
fn a_stall_in_another_handler_costs_one_late_tick_not_a_burst() {
    bounded(|| {
        const PERIOD: Duration = Duration::from_millis(10);
        let ticks = RefCell::new(Vec::new());
        let stall_end = Cell::new(None);
        let mut reactor = Loop::new();
        reactor.add_timer(PERIOD, 0, |_, _| {
            ticks.borrow_mut().push(Instant::now());
            Ok(Flow::Continue)
        });
        // After a few ticks, stall for five periods.
        reactor.add_timer(PERIOD * 3 + PERIOD / 2, 1, |_, _| {
            hold_until(Instant::now() + 5 * PERIOD);
            stall_end.set(Some(Instant::now()));
            Ok(Flow::Continue)
        });
        // Stop a while after.
        reactor.add_timer(PERIOD * 14, 1, |_, _| Ok(Flow::Stop));
        assert_eq!(reactor.run(), Ok(()));
        drop(reactor);
        let end = stall_end.get().unwrap();
        let ticks = ticks.into_inner();
        let soon_after = ticks
            .iter()
            .filter(|&&t| t >= end && t < end + PERIOD)
            .count();
        // The late tick, and perhaps the next grid tick: never the five
        // missed ones.
        assert!(
            soon_after <= 2,
            "{soon_after} ticks within a period of the stall"
        );
        assert!(ticks.iter().any(|&t| t >= end), "ticking resumed");
        for run in ticks.windows(3) {
            assert!(run[2] - run[0] > PERIOD, "three ticks within a period");
        }
        // 13 periods with 5 skipped: about 9 ticks (14 with catch-up).
        assert!(ticks.len() <= 11, "{} ticks", ticks.len());
    });
}

#[test]
fn a_reset_ticket_does_not_fire_and_an_idle_one_does() {
    bounded(|| {
        const DELAY: Duration = Duration::from_millis(30);
        let mut reactor = Loop::new();
        assert_eq!(
            reactor.add_ticket(|_, _| Ok(Flow::Continue)).err(),
            Some(zmq::Error::EINVAL),
            "no delay set"
        );
        assert_eq!(
            reactor.set_ticket_delay(Duration::ZERO),
            Err(zmq::Error::EINVAL)
        );
        reactor.set_ticket_delay(DELAY).unwrap();
        assert_eq!(reactor.ticket_delay(), DELAY);

        let last_reset = Rc::new(Cell::new(Instant::now()));
        let expired_at = Rc::new(Cell::new(None));
        let expired = expired_at.clone();
        let ticket = reactor
            .add_ticket(move |_, _| {
                expired.set(Some(Instant::now()));
                Ok(Flow::Stop)
            })
            .unwrap();
        // Reset every 5 ms for 100 ms (over three delays), then let it be.
        // (Timers run before tickets in a pass, so even a stalled loop
        // resets the ticket before it could count as expired.)
        let resets = Rc::new(Cell::new(0));
        let (reset_at, reset_count) = (last_reset.clone(), resets.clone());
        reactor.add_timer(5 * MS, 20, move |reactor, _| {
            assert!(reactor.reset_ticket(ticket), "expired while being reset");
            reset_at.set(Instant::now());
            reset_count.set(reset_count.get() + 1);
            Ok(Flow::Continue)
        });
        assert_eq!(reactor.run(), Ok(()));
        assert_eq!(resets.get(), 20, "every reset came before the expiry");
        let expired = expired_at.get().expect("the ticket expired");
        assert!(
            expired >= last_reset.get() + DELAY,
            "fired {:?} after the last reset",
            expired - last_reset.get()
        );
        assert!(!reactor.reset_ticket(ticket), "a fired ticket is gone");
        assert!(!reactor.delete_ticket(ticket));
    });
}

#[test]
fn many_tickets_expire_once_each_and_a_deleted_one_never() {
    bounded(|| {
        let mut reactor = Loop::new();
        reactor.set_ticket_delay(5 * MS).unwrap();
        let fired = Rc::new(RefCell::new(Vec::new()));
        let mut ids = Vec::new();
        for peer in 0..100 {
            let fired = fired.clone();
            ids.push(
                reactor
                    .add_ticket(move |_, _| {
                        fired.borrow_mut().push(peer);
                        Ok(Flow::Continue)
                    })
                    .unwrap(),
            );
        }
        // Delete peer 7 at once, and peer 42 from a timer before expiry.
        assert!(reactor.delete_ticket(ids[7]));
        assert!(!reactor.delete_ticket(ids[7]));
        let late_victim = ids[42];
        reactor.add_timer(MS, 1, move |reactor, _| {
            assert!(reactor.delete_ticket(late_victim));
            Ok(Flow::Continue)
        });
        assert_eq!(reactor.run(), Ok(()), "ends when every ticket is gone");
        let fired = fired.borrow();
        let expected: Vec<i32> = (0..100).filter(|&p| p != 7 && p != 42).collect();
        assert_eq!(*fired, expected, "in arming order, once each");
    });
}

#[test]
fn a_ticket_handler_can_rearm_itself() {
    bounded(|| {
        let expiries = Cell::new(0);
        let mut reactor = Loop::new();
        reactor.set_ticket_delay(2 * MS).unwrap();
        reactor
            .add_ticket(|reactor, id| {
                expiries.set(expiries.get() + 1);
                if expiries.get() < 3 {
                    assert!(reactor.reset_ticket(id));
                }
                Ok(Flow::Continue)
            })
            .unwrap();
        assert_eq!(reactor.run(), Ok(()));
        assert_eq!(expiries.get(), 3);
    });
}

#[test]
fn a_handler_error_ends_the_loop_with_it_and_the_loop_can_run_again() {
    bounded(|| {
        let again = Cell::new(false);
        let mut reactor = Loop::new();
        reactor.add_timer(MS, 1, |_, _| Err(zmq::Error::EPROTO));
        reactor.add_timer(3 * MS, 1, |_, _| {
            again.set(true);
            Ok(Flow::Stop)
        });
        assert_eq!(reactor.run(), Err(zmq::Error::EPROTO));
        assert!(!again.get());
        assert_eq!(reactor.run(), Ok(()));
        assert!(again.get());
    });
}

#[test]
fn run_from_a_handler_is_refused() {
    bounded(|| {
        let mut reactor = Loop::new();
        reactor.add_timer(Duration::ZERO, 1, |reactor, _| {
            assert_eq!(reactor.run(), Err(zmq::Error::EINVAL));
            Ok(Flow::Stop)
        });
        assert_eq!(reactor.run(), Ok(()));
        let empty_runs_out = Instant::now();
        assert_eq!(
            Loop::new().run(),
            Ok(()),
            "an empty loop has nothing to wait for"
        );
        assert!(empty_runs_out.elapsed() < Duration::from_secs(1));
    });
}

#[test]
fn eterm_ends_the_loop() {
    bounded(|| {
        let mut ctx = zmq::Context::new();
        let pull = bound(&ctx, zmq::PULL, &endpoint("reactor-eterm"));
        let (about_to_run, running) = mpsc::channel();
        let runner = thread::spawn(move || {
            let mut reactor = Loop::new();
            reactor
                .add_reader(&pull, |_, _| panic!("nothing to read"))
                .unwrap();
            // A timer that never fires keeps the loop from running out.
            reactor.add_timer(Duration::from_secs(3600), 1, |_, _| Ok(Flow::Stop));
            about_to_run.send(()).unwrap();
            let result = reactor.run();
            drop(reactor);
            drop(pull);
            result
        });
        running.recv().unwrap();
        ctx.destroy().unwrap();
        assert_eq!(runner.join().unwrap(), Err(zmq::Error::ETERM));
    });
}

#[test]
fn a_handler_adds_and_removes_readers() {
    bounded(|| {
        let ctx = zmq::Context::new();
        let first = bound(&ctx, zmq::PULL, &endpoint("reactor-add-first"));
        let second = bound(&ctx, zmq::PULL, &endpoint("reactor-add-second"));
        let to_first = connected(&ctx, zmq::PUSH, &endpoint("reactor-add-first"));
        let to_second = connected(&ctx, zmq::PUSH, &endpoint("reactor-add-second"));
        let second = &second;
        let log = Rc::new(RefCell::new(Vec::new()));
        let mut reactor = Loop::new();
        let first_log = log.clone();
        let first_id = Rc::new(Cell::new(None));
        let own_id = first_id.clone();
        first_id.set(Some(
            reactor
                .add_reader(&first, move |reactor, socket| {
                    first_log
                        .borrow_mut()
                        .push(socket.recv_string(zmq::DONTWAIT)?.unwrap());
                    // Hand over to a reader on the second socket, and leave.
                    assert!(reactor.remove_reader(own_id.get().unwrap()));
                    let second_log = first_log.clone();
                    reactor.add_reader(second, move |_, socket| {
                        second_log
                            .borrow_mut()
                            .push(socket.recv_string(zmq::DONTWAIT)?.unwrap());
                        Ok(Flow::Stop)
                    })?;
                    // Adding the same socket twice is refused.
                    assert_eq!(
                        reactor.add_reader(second, |_, _| Ok(Flow::Stop)).err(),
                        Some(zmq::Error::EINVAL)
                    );
                    to_second.send("to second", 0)?;
                    Ok(Flow::Continue)
                })
                .unwrap(),
        ));
        to_first.send("to first", 0).unwrap();
        // Another message on the first socket, after its reader left: never
        // handled.
        to_first.send("ignored", 0).unwrap();
        assert_eq!(reactor.run(), Ok(()));
        drop(reactor);
        assert_eq!(*log.borrow(), ["to first", "to second"]);
        assert!(!format!("{:?}", Loop::new()).is_empty());
    });
}
