// A PollItem borrows its socket: it cannot outlive it (zmq 0.10's lifetime).
use zactor as zmq;

fn main() {
    let ctx = zmq::Context::new();
    let item = {
        let socket = ctx.socket(zmq::PULL).unwrap();
        socket.as_poll_item(zmq::POLLIN)
    };
    let mut items = [item];
    let _ = zmq::poll(&mut items, 0);
}
