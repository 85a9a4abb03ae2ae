//! Handling Ctrl-C cleanly (the guide's interrupt.c).
//!
//! A REP server bound on tcp://*:5555 polls its socket together with the
//! read end of a self-pipe; SIGINT and SIGTERM write a byte into the pipe
//! (through signal-hook's async-signal-safe pipe handler, the guide's
//! `s_signal_handler`). On that byte it prints
//! "W: interrupt received, killing server…", then "W: cleaning up", and
//! exits 0.
//!
//! With `--zactor-signal` it uses zactor's own signal module instead of a
//! self-pipe: `zactor::signal::install()`, then a plain blocking `recv`
//! returns `EINTR` when the signal arrives, and `zactor::signal::interrupted()`
//! says why: the same lines, with no descriptor to manage.
//!
//! An optional argument (other than the flag) overrides the endpoint (the integration
//! test binds inproc, so that parallel tests need no port). Once it is ready
//! it says so on stderr, so a test knows when to send the signal; stdout
//! carries exactly the guide's lines.

use std::io::Read;
use std::os::unix::io::AsRawFd;
use std::os::unix::net::UnixStream;

use zactor as zmq;

fn main() {
    if let Err(e) = run() {
        eprintln!("E: {e}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let mut zactor_signal = false;
    let mut endpoint = "tcp://*:5555".to_owned();
    for arg in std::env::args().skip(1) {
        if arg == "--zactor-signal" {
            zactor_signal = true;
        } else {
            endpoint = arg;
        }
    }
    let context = zmq::Context::new();
    let socket = context.socket(zmq::REP)?;
    socket.bind(&endpoint)?;
    if zactor_signal {
        return serve_with_zactor_signal(context, socket, &endpoint);
    }

    // The self-pipe; non-blocking reads, as the guide sets O_NONBLOCK.
    let (mut pipe_read, pipe_write) = UnixStream::pair()?;
    pipe_read.set_nonblocking(true)?;
    // s_catch_signals: SIGINT and SIGTERM write a byte into the pipe.
    signal_hook::low_level::pipe::register(signal_hook::consts::SIGINT, pipe_write.try_clone()?)?;
    signal_hook::low_level::pipe::register(signal_hook::consts::SIGTERM, pipe_write)?;
    eprintln!("I: ready on {endpoint}; press Ctrl-C to stop");

    loop {
        let mut items = [
            zmq::PollItem::from_fd(pipe_read.as_raw_fd(), zmq::POLLIN),
            socket.as_poll_item(zmq::POLLIN),
        ];
        match zmq::poll(&mut items, -1) {
            Ok(0) => continue,
            Ok(_) => {}
            Err(zmq::Error::EINTR) => continue,
            Err(e) => return Err(e.into()),
        }
        // Signal pipe FD
        if items[0].is_readable() {
            let mut buffer = [0u8; 1];
            let _ = pipe_read.read(&mut buffer); // clear notifying byte
            println!("W: interrupt received, killing server…");
            break;
        }
        // Read socket
        if items[1].is_readable() {
            let mut buffer = [0u8; 255];
            // Use non-blocking so we can continue to check self-pipe via zmq::poll
            match socket.recv_into(&mut buffer, zmq::DONTWAIT) {
                Ok(_) => {}
                Err(zmq::Error::EAGAIN) | Err(zmq::Error::EINTR) => continue,
                Err(e) => return Err(e.into()),
            }
            println!("W: recv");
            // Now send message back.
            socket.send("", 0)?;
        }
    }

    println!("W: cleaning up");
    drop(socket);
    drop(context);
    Ok(())
}

/// The same server on `zactor::signal`: a blocking receive, ended by EINTR.
fn serve_with_zactor_signal(
    context: zmq::Context,
    socket: zmq::Socket,
    endpoint: &str,
) -> Result<(), Box<dyn std::error::Error>> {
    zmq::signal::install()?;
    eprintln!("I: ready on {endpoint} (zactor::signal); press Ctrl-C to stop");
    loop {
        match socket.recv_msg(0) {
            Ok(_) => {
                println!("W: recv");
                socket.send("", 0)?;
            }
            Err(zmq::Error::EINTR) if zmq::signal::interrupted() => {
                println!("W: interrupt received, killing server…");
                break;
            }
            Err(zmq::Error::EINTR) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    println!("W: cleaning up");
    drop(socket);
    drop(context);
    Ok(())
}
