//! Interface names in a tcp bind (`tcp://lo:*`), resolved with
//! getifaddrs(3) as libzmq does, and `ENODEV` for a name that is no
//! interface. Linux names its loopback interface `lo`.

mod common;

use common::{bounded, recv_str, socket};
use zactor as zmq;

#[cfg(target_os = "linux")]
#[test]
fn bind_to_the_loopback_interface_by_name() {
    bounded(|| {
        let ctx = zmq::Context::new();
        let pull = socket(&ctx, zmq::PULL);
        pull.bind("tcp://lo:*").expect("bind to lo");
        let endpoint = pull.get_last_endpoint().unwrap().unwrap();
        let port = endpoint
            .strip_prefix("tcp://127.0.0.1:")
            .unwrap_or_else(|| panic!("lo is 127.0.0.1: {endpoint}"));
        assert_ne!(port.parse::<u16>().unwrap(), 0);
        let push = socket(&ctx, zmq::PUSH);
        push.connect(&format!("tcp://127.0.0.1:{port}")).unwrap();
        push.send("through lo", 0).unwrap();
        assert_eq!(recv_str(&pull), "through lo");
        // Unbind takes the endpoint as bound.
        pull.unbind(&endpoint).unwrap();
    });
}

#[cfg(target_os = "linux")]
#[test]
fn bind_to_an_interface_name_and_a_fixed_port() {
    bounded(|| {
        let ctx = zmq::Context::new();
        // A free port: the kernel picks one, and the probe frees it at once.
        let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = probe.local_addr().unwrap().port();
        drop(probe);
        let rep = socket(&ctx, zmq::REP);
        rep.bind(&format!("tcp://lo:{port}")).expect("bind lo:port");
        assert_eq!(
            rep.get_last_endpoint().unwrap().unwrap(),
            format!("tcp://127.0.0.1:{port}")
        );
        let req = socket(&ctx, zmq::REQ);
        req.connect(&format!("tcp://127.0.0.1:{port}")).unwrap();
        req.send("hello", 0).unwrap();
        assert_eq!(recv_str(&rep), "hello");
        rep.send("world", 0).unwrap();
        assert_eq!(recv_str(&req), "world");
    });
}

#[test]
fn an_unknown_interface_name_is_enodev() {
    let ctx = zmq::Context::new();
    let pull = ctx.socket(zmq::PULL).unwrap();
    assert_eq!(
        pull.bind("tcp://zactor-no-such-if0:*"),
        Err(zmq::Error::ENODEV)
    );
    assert_eq!(
        pull.bind("tcp://zactor-no-such-if0:5555"),
        Err(zmq::Error::ENODEV)
    );
    // The socket is unharmed.
    pull.bind("tcp://127.0.0.1:*").unwrap();
}
