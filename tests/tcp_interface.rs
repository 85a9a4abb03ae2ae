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

/// The port of a `tcp://host:port` endpoint.
fn port_of(endpoint: &str) -> u16 {
    endpoint.rsplit_once(':').unwrap().1.parse().unwrap()
}

#[test]
fn bind_takes_the_first_free_port_of_a_range() {
    let ctx = zmq::Context::new();
    let first = ctx.socket(zmq::PULL).unwrap();
    first.bind("tcp://127.0.0.1:*[50100-50199]").unwrap();
    let endpoint = first.get_last_endpoint().unwrap().unwrap();
    let port = port_of(&endpoint);
    assert!((50100..=50199).contains(&port), "{endpoint}");
    // The port is taken now: a range of just that port has nothing free.
    let second = ctx.socket(zmq::PULL).unwrap();
    assert_eq!(
        second.bind(&format!("tcp://127.0.0.1:*[{port}-{port}]")),
        Err(zmq::Error::EADDRINUSE)
    );
    // A wider range moves on to a later port.
    second
        .bind(&format!("tcp://127.0.0.1:*[{port}-50199]"))
        .unwrap();
    assert!(port_of(&second.get_last_endpoint().unwrap().unwrap()) > port);
    // And the bound endpoint works.
    let push = ctx.socket(zmq::PUSH).unwrap();
    push.connect(&endpoint).unwrap();
    push.send("ranged", 0).unwrap();
    first.set_rcvtimeo(10_000).unwrap();
    assert_eq!(first.recv_bytes(0).unwrap(), b"ranged");
}

#[test]
fn bind_to_a_random_dynamic_port_and_ranges_are_checked() {
    let ctx = zmq::Context::new();
    let socket = ctx.socket(zmq::REP).unwrap();
    socket.bind("tcp://127.0.0.1:!").unwrap();
    let port = port_of(&socket.get_last_endpoint().unwrap().unwrap());
    assert!(port >= 49152, "{port}");
    let other = ctx.socket(zmq::REP).unwrap();
    other.bind("tcp://127.0.0.1:![-50999]").unwrap();
    let port = port_of(&other.get_last_endpoint().unwrap().unwrap());
    assert!((49152..=50999).contains(&port), "{port}");
    for bad in ["*[x-]", "*[2-1]", "*[1-2", "![0-10]", "*[]"] {
        assert_eq!(
            other.bind(&format!("tcp://127.0.0.1:{bad}")),
            Err(zmq::Error::EINVAL),
            "{bad}"
        );
    }
    assert_eq!(
        other.connect("tcp://127.0.0.1:*[50000-50010]"),
        Err(zmq::Error::EINVAL),
        "a range is for bind only"
    );
}
