//! Driving a zactor socket from a mio event loop with `Socket::get_fd`.
//!
//! A worker thread pushes ten tasks and a final "END" over inproc; the
//! main thread waits in mio (epoll, edge-triggered) on the socket's
//! descriptor next to a mio `Waker`, and on each readiness receives with
//! `DONTWAIT` until `EAGAIN`, as with any edge-triggered source.
//!
//! Run: `cargo run --release --example mio_reader`

use std::sync::Arc;
use std::time::Duration;

use mio::unix::SourceFd;
use mio::{Events, Interest, Poll, Token, Waker};
use zactor as zmq;

const SOCKET: Token = Token(0);
const WAKER: Token = Token(1);

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let ctx = zmq::Context::new();
    let pull = ctx.socket(zmq::PULL)?;
    pull.bind("inproc://mio-reader")?;

    let mut poll = Poll::new()?;
    let fd = pull.get_fd()?;
    poll.registry()
        .register(&mut SourceFd(&fd), SOCKET, Interest::READABLE)?;
    // Another event source in the same loop: a waker the worker rings
    // when it is done.
    let waker = Arc::new(Waker::new(poll.registry(), WAKER)?);

    let worker = {
        let ctx = ctx.clone();
        let waker = waker.clone();
        std::thread::spawn(move || -> zmq::Result<()> {
            let push = ctx.socket(zmq::PUSH)?;
            push.connect("inproc://mio-reader")?;
            for task in 1..=10 {
                push.send(format!("task {task}").as_str(), 0)?;
            }
            push.send("END", 0)?;
            let _ = waker.wake();
            Ok(())
        })
    };

    let mut events = Events::with_capacity(16);
    let mut received = 0;
    let mut worker_done = false;
    let mut ended = false;
    while !(ended && worker_done) {
        poll.poll(&mut events, Some(Duration::from_secs(5)))?;
        if events.is_empty() {
            return Err("no event within 5 s".into());
        }
        for event in events.iter() {
            match event.token() {
                SOCKET => loop {
                    match pull.recv_string(zmq::DONTWAIT) {
                        Ok(Ok(text)) if text == "END" => ended = true,
                        Ok(Ok(text)) => {
                            received += 1;
                            println!("mio loop received: {text}");
                        }
                        Ok(Err(_)) => println!("mio loop received a binary message"),
                        Err(zmq::Error::EAGAIN) => break,
                        Err(e) => return Err(e.into()),
                    }
                },
                WAKER => {
                    worker_done = true;
                    println!("the worker says it is done");
                }
                _ => {}
            }
        }
    }
    worker.join().map_err(|_| "worker panicked")??;
    println!("{received} tasks received through mio");
    Ok(())
}
