// A socket belongs to one thread at a time: it may move to another thread
// (Send) but not be shared by two (not Sync). Two scoped threads borrowing
// the same socket must not compile.

use zactor as zmq;

fn main() {
    let ctx = zmq::Context::new();
    let socket = ctx.socket(zmq::PAIR).unwrap();
    let shared = &socket;
    std::thread::scope(|scope| {
        scope.spawn(move || shared.send("from one thread", 0));
        scope.spawn(move || shared.recv_bytes(0));
    });
}
