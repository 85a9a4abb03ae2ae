//! Socket options: libzmq 4.3's defaults, round trips, the values libzmq
//! refuses (`EINVAL`), the security options zactor lacks (`ENOTSUP`), and
//! the options whose effect a test can see (timeouts, routing id, conflate).
//!
//! Every test runs under [`bounded`], so a blocking bug fails the test
//! instead of hanging the suite.

use std::sync::mpsc::{self, RecvTimeoutError};
use std::thread;
use std::time::{Duration, Instant};

use zactor as zmq;
use zmq::{Context, Error, DEALER, PAIR, PUB, PULL, PUSH, REP, REQ, ROUTER, SUB, XPUB, XSUB};

/// Longest any test here may run.
const TEST_LIMIT: Duration = Duration::from_secs(20);

/// Timeout for receives that must succeed: generous, only there so that a
/// missing message fails the test rather than hanging it.
const PATIENCE_MS: i32 = 5_000;

/// Runs `test` on its own thread and fails if it takes over [`TEST_LIMIT`].
fn bounded(test: impl FnOnce() + Send + 'static) {
    let (done, finished) = mpsc::channel();
    let worker = thread::spawn(move || {
        test();
        let _ = done.send(());
    });
    match finished.recv_timeout(TEST_LIMIT) {
        Ok(()) => worker.join().unwrap(),
        Err(RecvTimeoutError::Disconnected) => {
            if let Err(panic) = worker.join() {
                std::panic::resume_unwind(panic);
            }
        }
        Err(RecvTimeoutError::Timeout) => panic!("test still running after {TEST_LIMIT:?}"),
    }
}

/// Sets each value, then checks the getter returns it.
macro_rules! assert_round_trip {
    ($socket:expr, $getter:ident, $setter:ident, [$($value:expr),+ $(,)?]) => {
        $(
            $socket.$setter($value).unwrap();
            assert_eq!($socket.$getter().unwrap(), $value, stringify!($setter));
        )+
    };
}

/// Checks each value is refused with `EINVAL` and leaves the option as it was.
macro_rules! assert_refused {
    ($socket:expr, $getter:ident, $setter:ident, [$($value:expr),+ $(,)?]) => {
        $(
            let before = $socket.$getter().unwrap();
            assert_eq!($socket.$setter($value), Err(Error::EINVAL), "{}({:?})", stringify!($setter), $value);
            assert_eq!($socket.$getter().unwrap(), before, stringify!($setter));
        )+
    };
}

#[test]
fn defaults_are_libzmqs() {
    bounded(|| {
        let ctx = Context::new();
        for kind in [
            PAIR, PUB, SUB, REQ, REP, DEALER, ROUTER, PULL, PUSH, XPUB, XSUB,
        ] {
            let s = ctx.socket(kind).unwrap();
            assert_eq!(s.get_sndhwm(), Ok(1000));
            assert_eq!(s.get_rcvhwm(), Ok(1000));
            assert_eq!(s.get_linger(), Ok(-1));
            assert_eq!(s.get_rcvtimeo(), Ok(-1));
            assert_eq!(s.get_sndtimeo(), Ok(-1));
            assert_eq!(s.get_maxmsgsize(), Ok(-1));
            assert_eq!(s.get_affinity(), Ok(0));
            assert_eq!(s.get_rate(), Ok(100));
            assert_eq!(s.get_recovery_ivl(), Ok(10_000));
            assert_eq!(s.get_sndbuf(), Ok(-1));
            assert_eq!(s.get_rcvbuf(), Ok(-1));
            assert_eq!(s.get_tos(), Ok(0));
            assert_eq!(s.get_reconnect_ivl(), Ok(100));
            assert_eq!(s.get_reconnect_ivl_max(), Ok(0));
            assert_eq!(s.get_backlog(), Ok(100));
            assert_eq!(s.get_multicast_hops(), Ok(1));
            assert_eq!(s.get_tcp_keepalive(), Ok(-1));
            assert_eq!(s.get_tcp_keepalive_cnt(), Ok(-1));
            assert_eq!(s.get_tcp_keepalive_idle(), Ok(-1));
            assert_eq!(s.get_tcp_keepalive_intvl(), Ok(-1));
            assert_eq!(s.get_handshake_ivl(), Ok(30_000));
            assert_eq!(s.get_heartbeat_ivl(), Ok(0));
            assert_eq!(s.get_heartbeat_ttl(), Ok(0));
            assert_eq!(s.get_heartbeat_timeout(), Ok(-1));
            assert_eq!(s.get_connect_timeout(), Ok(0));
            assert_eq!(s.is_ipv6(), Ok(false));
            assert_eq!(s.is_immediate(), Ok(false));
            assert_eq!(s.is_conflate(), Ok(false));
            assert_eq!(s.is_probe_router(), Ok(false));
            assert_eq!(s.is_router_mandatory(), Ok(false));
            assert_eq!(s.is_router_handover(), Ok(false));
            assert_eq!(s.get_identity(), Ok(Vec::new()));
            assert_eq!(s.get_zap_domain(), Ok(Ok(String::new())));
            assert_eq!(s.get_socks_proxy(), Ok(Ok(String::new())));
            assert_eq!(s.get_rcvmore(), Ok(false));
        }
    });
}

#[test]
fn integer_options_round_trip() {
    bounded(|| {
        let ctx = Context::new();
        let s = ctx.socket(DEALER).unwrap();
        assert_round_trip!(s, get_sndhwm, set_sndhwm, [0, 1, 50_000]);
        assert_round_trip!(s, get_rcvhwm, set_rcvhwm, [0, 1, 50_000]);
        assert_round_trip!(
            s,
            get_maxmsgsize,
            set_maxmsgsize,
            [-1, 0, i64::MAX, i64::MIN]
        );
        assert_round_trip!(s, get_affinity, set_affinity, [0, 3, u64::MAX]);
        assert_round_trip!(s, get_rate, set_rate, [1, 1_000]);
        assert_round_trip!(s, get_recovery_ivl, set_recovery_ivl, [0, 500]);
        assert_round_trip!(s, get_sndbuf, set_sndbuf, [-1, 0, 65_536]);
        assert_round_trip!(s, get_rcvbuf, set_rcvbuf, [-1, 0, 65_536]);
        assert_round_trip!(s, get_tos, set_tos, [0, 0x28]);
        assert_round_trip!(s, get_linger, set_linger, [-1, 0, 250]);
        assert_round_trip!(s, get_reconnect_ivl, set_reconnect_ivl, [-1, 0, 10]);
        assert_round_trip!(s, get_reconnect_ivl_max, set_reconnect_ivl_max, [0, 5_000]);
        assert_round_trip!(s, get_backlog, set_backlog, [0, 1_000]);
        assert_round_trip!(s, get_multicast_hops, set_multicast_hops, [1, 64]);
        assert_round_trip!(s, get_rcvtimeo, set_rcvtimeo, [-1, 0, 1_500]);
        assert_round_trip!(s, get_sndtimeo, set_sndtimeo, [-1, 0, 1_500]);
        assert_round_trip!(s, get_tcp_keepalive, set_tcp_keepalive, [-1, 0, 1]);
        assert_round_trip!(s, get_tcp_keepalive_cnt, set_tcp_keepalive_cnt, [-1, 0, 9]);
        assert_round_trip!(
            s,
            get_tcp_keepalive_idle,
            set_tcp_keepalive_idle,
            [-1, 0, 60]
        );
        assert_round_trip!(
            s,
            get_tcp_keepalive_intvl,
            set_tcp_keepalive_intvl,
            [-1, 0, 5]
        );
        assert_round_trip!(s, get_handshake_ivl, set_handshake_ivl, [0, 1_000]);
        assert_round_trip!(s, get_heartbeat_ivl, set_heartbeat_ivl, [0, 1_000]);
        assert_round_trip!(s, get_heartbeat_ttl, set_heartbeat_ttl, [0, 100, 6_553_500]);
        assert_round_trip!(s, get_heartbeat_timeout, set_heartbeat_timeout, [0, 3_000]);
        assert_round_trip!(s, get_connect_timeout, set_connect_timeout, [0, 2_000]);
    });
}

#[test]
fn heartbeat_ttl_is_kept_in_hundreds_of_milliseconds() {
    bounded(|| {
        // libzmq stores deciseconds: 1 299 ms reads back as 1 200, and a
        // value that rounds to 0 (even a small negative one) is accepted.
        let ctx = Context::new();
        let s = ctx.socket(DEALER).unwrap();
        s.set_heartbeat_ttl(1_299).unwrap();
        assert_eq!(s.get_heartbeat_ttl(), Ok(1_200));
        s.set_heartbeat_ttl(-99).unwrap();
        assert_eq!(s.get_heartbeat_ttl(), Ok(0));
        assert_eq!(s.set_heartbeat_ttl(6_553_600), Err(Error::EINVAL));
        assert_eq!(s.set_heartbeat_ttl(-100), Err(Error::EINVAL));
    });
}

#[test]
fn boolean_options_round_trip() {
    bounded(|| {
        let ctx = Context::new();
        let s = ctx.socket(DEALER).unwrap();
        assert_round_trip!(s, is_ipv6, set_ipv6, [true, false]);
        assert_round_trip!(s, is_immediate, set_immediate, [true, false]);
        assert_round_trip!(s, is_conflate, set_conflate, [true, false]);
        assert_round_trip!(s, is_probe_router, set_probe_router, [true, false]);

        let router = ctx.socket(ROUTER).unwrap();
        assert_round_trip!(
            router,
            is_router_mandatory,
            set_router_mandatory,
            [true, false]
        );
        assert_round_trip!(
            router,
            is_router_handover,
            set_router_handover,
            [true, false]
        );
        assert_round_trip!(router, is_probe_router, set_probe_router, [true, false]);
    });
}

#[test]
fn per_type_options_are_einval_on_other_socket_types() {
    bounded(|| {
        // libzmq: these live in the socket type's xsetsockopt, which every
        // other type answers with EINVAL.
        let ctx = Context::new();
        let push = ctx.socket(PUSH).unwrap();
        assert_eq!(push.set_router_mandatory(true), Err(Error::EINVAL));
        assert_eq!(push.set_router_handover(true), Err(Error::EINVAL));
        assert_eq!(push.set_probe_router(true), Err(Error::EINVAL));
        assert_eq!(push.set_req_relaxed(true), Err(Error::EINVAL));
        assert_eq!(push.set_req_correlate(true), Err(Error::EINVAL));
        assert_eq!(push.set_xpub_verbose(true), Err(Error::EINVAL));
        assert_eq!(push.set_xpub_welcome_msg(Some("hi")), Err(Error::EINVAL));
        assert_eq!(push.set_subscribe(b"topic"), Err(Error::EINVAL));
        assert_eq!(push.set_unsubscribe(b"topic"), Err(Error::EINVAL));
        assert_eq!(push.is_router_mandatory(), Ok(false));

        let dealer = ctx.socket(DEALER).unwrap();
        assert_eq!(dealer.set_router_mandatory(true), Err(Error::EINVAL));
        dealer.set_probe_router(true).unwrap();

        let req = ctx.socket(REQ).unwrap();
        req.set_req_relaxed(true).unwrap();
        req.set_req_correlate(true).unwrap();
        req.set_probe_router(true).unwrap();

        // PUB is an XPUB underneath in libzmq and takes the XPUB options.
        for kind in [XPUB, PUB] {
            let publisher = ctx.socket(kind).unwrap();
            publisher.set_xpub_verbose(true).unwrap();
            publisher.set_xpub_verbose(false).unwrap();
            publisher.set_xpub_welcome_msg(Some("welcome")).unwrap();
            publisher.set_xpub_welcome_msg(Some("")).unwrap();
            publisher.set_xpub_welcome_msg(None).unwrap();
        }
    });
}

#[test]
fn subscribe_and_unsubscribe_reach_a_sub_socket() {
    bounded(|| {
        let ctx = Context::new();
        let sub = ctx.socket(SUB).unwrap();
        sub.set_subscribe(b"").unwrap();
        sub.set_subscribe(b"weather").unwrap();
        sub.set_unsubscribe(b"weather").unwrap();
    });
}

#[test]
fn identity_round_trips_and_is_one_to_255_bytes() {
    bounded(|| {
        let ctx = Context::new();
        let s = ctx.socket(DEALER).unwrap();
        s.set_identity(b"alice").unwrap();
        assert_eq!(s.get_identity(), Ok(b"alice".to_vec()));
        let longest = vec![b'x'; 255];
        s.set_identity(&longest).unwrap();
        assert_eq!(s.get_identity(), Ok(longest.clone()));
        // libzmq 4.3 takes any 1..=255 bytes, a leading zero byte included.
        s.set_identity(&[0, 1, 2]).unwrap();
        assert_eq!(s.get_identity(), Ok(vec![0, 1, 2]));

        assert_eq!(s.set_identity(b""), Err(Error::EINVAL));
        assert_eq!(s.set_identity(&[b'x'; 256]), Err(Error::EINVAL));
        assert_eq!(s.get_identity(), Ok(vec![0, 1, 2]));
    });
}

#[test]
fn string_options_round_trip() {
    bounded(|| {
        let ctx = Context::new();
        let s = ctx.socket(DEALER).unwrap();
        s.set_zap_domain("global").unwrap();
        assert_eq!(s.get_zap_domain(), Ok(Ok("global".to_owned())));
        assert_eq!(s.set_zap_domain(""), Err(Error::EINVAL));
        assert_eq!(s.set_zap_domain(&"d".repeat(256)), Err(Error::EINVAL));
        assert_eq!(s.get_zap_domain(), Ok(Ok("global".to_owned())));

        s.set_socks_proxy(Some("127.0.0.1:1080")).unwrap();
        assert_eq!(s.get_socks_proxy(), Ok(Ok("127.0.0.1:1080".to_owned())));
        assert_eq!(s.set_socks_proxy(Some("")), Err(Error::EINVAL));
        s.set_socks_proxy(None).unwrap();
        assert_eq!(s.get_socks_proxy(), Ok(Ok(String::new())));
    });
}

#[test]
fn values_libzmq_refuses_are_einval() {
    bounded(|| {
        let ctx = Context::new();
        let s = ctx.socket(DEALER).unwrap();
        assert_refused!(s, get_sndhwm, set_sndhwm, [-1, i32::MIN]);
        assert_refused!(s, get_rcvhwm, set_rcvhwm, [-1]);
        assert_refused!(s, get_linger, set_linger, [-2, i32::MIN]);
        assert_refused!(s, get_rcvtimeo, set_rcvtimeo, [-2]);
        assert_refused!(s, get_sndtimeo, set_sndtimeo, [-2]);
        assert_refused!(s, get_rate, set_rate, [0, -1]);
        assert_refused!(s, get_recovery_ivl, set_recovery_ivl, [-1]);
        assert_refused!(s, get_sndbuf, set_sndbuf, [-2]);
        assert_refused!(s, get_rcvbuf, set_rcvbuf, [-2]);
        assert_refused!(s, get_tos, set_tos, [-1]);
        assert_refused!(s, get_reconnect_ivl, set_reconnect_ivl, [-2]);
        assert_refused!(s, get_reconnect_ivl_max, set_reconnect_ivl_max, [-1]);
        assert_refused!(s, get_backlog, set_backlog, [-1]);
        assert_refused!(s, get_multicast_hops, set_multicast_hops, [0, -1]);
        assert_refused!(s, get_tcp_keepalive, set_tcp_keepalive, [-2, 2]);
        assert_refused!(s, get_tcp_keepalive_cnt, set_tcp_keepalive_cnt, [-2]);
        assert_refused!(s, get_tcp_keepalive_idle, set_tcp_keepalive_idle, [-2]);
        assert_refused!(s, get_tcp_keepalive_intvl, set_tcp_keepalive_intvl, [-2]);
        assert_refused!(s, get_handshake_ivl, set_handshake_ivl, [-1]);
        assert_refused!(s, get_heartbeat_ivl, set_heartbeat_ivl, [-1]);
        assert_refused!(s, get_heartbeat_timeout, set_heartbeat_timeout, [-1]);
        assert_refused!(s, get_connect_timeout, set_connect_timeout, [-1]);
    });
}

#[test]
fn security_is_null_mechanism_only() {
    bounded(|| {
        let ctx = Context::new();
        let s = ctx.socket(DEALER).unwrap();
        assert_eq!(format!("{:?}", s.get_mechanism().unwrap()), "ZMQ_NULL");

        // Getters NULL answers truthfully.
        assert_eq!(s.is_plain_server(), Ok(false));
        assert_eq!(s.is_curve_server(), Ok(false));
        assert_eq!(s.is_gssapi_server(), Ok(false));
        assert_eq!(s.is_gssapi_plaintext(), Ok(false));
        assert_eq!(s.get_plain_username(), Ok(Ok(String::new())));
        assert_eq!(s.get_plain_password(), Ok(Ok(String::new())));

        // Setters that leave the socket on NULL.
        s.set_plain_server(false).unwrap();
        s.set_plain_username(None).unwrap();
        s.set_plain_password(None).unwrap();
        s.set_curve_server(false).unwrap();
        s.set_gssapi_plaintext(false).unwrap();

        // Everything that needs PLAIN, CURVE or GSSAPI.
        assert_eq!(s.set_plain_server(true), Err(Error::ENOTSUP));
        assert_eq!(s.set_plain_username(Some("admin")), Err(Error::ENOTSUP));
        assert_eq!(s.set_plain_password(Some("secret")), Err(Error::ENOTSUP));
        assert_eq!(s.set_plain_username(Some("")), Err(Error::EINVAL));
        assert_eq!(s.set_curve_server(true), Err(Error::ENOTSUP));
        assert_eq!(s.set_curve_publickey(&[7; 32]), Err(Error::ENOTSUP));
        assert_eq!(s.set_curve_secretkey(&[7; 32]), Err(Error::ENOTSUP));
        assert_eq!(s.set_curve_serverkey(&[7; 32]), Err(Error::ENOTSUP));
        assert_eq!(s.get_curve_publickey(), Err(Error::ENOTSUP));
        assert_eq!(s.get_curve_secretkey(), Err(Error::ENOTSUP));
        assert_eq!(s.get_curve_serverkey(), Err(Error::ENOTSUP));
        assert_eq!(s.set_gssapi_server(true), Err(Error::ENOTSUP));
        assert_eq!(s.set_gssapi_server(false), Err(Error::ENOTSUP));
        assert_eq!(s.set_gssapi_plaintext(true), Err(Error::ENOTSUP));
        assert_eq!(s.set_gssapi_principal("host"), Err(Error::ENOTSUP));
        assert_eq!(s.set_gssapi_service_principal("svc"), Err(Error::ENOTSUP));
        assert_eq!(s.get_gssapi_principal(), Err(Error::ENOTSUP));
        assert_eq!(s.get_gssapi_service_principal(), Err(Error::ENOTSUP));

        assert_eq!(format!("{:?}", s.get_mechanism().unwrap()), "ZMQ_NULL");
    });
}

#[test]
fn options_are_eterm_once_the_context_is_terminated() {
    bounded(|| {
        let ctx = Context::new();
        let s = ctx.socket(DEALER).unwrap();
        let mut terminator = ctx.clone();
        // destroy() waits for every socket to close, so it runs aside.
        let destroyer = thread::spawn(move || terminator.destroy());
        let give_up = Instant::now() + Duration::from_secs(5);
        while s.set_linger(0) != Err(Error::ETERM) {
            assert!(Instant::now() < give_up, "context never terminated");
            thread::yield_now();
        }
        assert_eq!(s.get_sndhwm(), Err(Error::ETERM));
        assert_eq!(s.set_identity(b"late"), Err(Error::ETERM));
        assert_eq!(s.set_curve_server(true), Err(Error::ETERM));
        drop(s);
        destroyer.join().unwrap().unwrap();
    });
}

#[test]
fn rcvtimeo_bounds_a_receive_on_an_idle_socket() {
    bounded(|| {
        let ctx = Context::new();
        let pull = ctx.socket(PULL).unwrap();
        pull.bind("inproc://options-rcvtimeo").unwrap();
        pull.set_rcvtimeo(50).unwrap();
        let started = Instant::now();
        assert_eq!(pull.recv_bytes(0), Err(Error::EAGAIN));
        let waited = started.elapsed();
        assert!(
            waited >= Duration::from_millis(40),
            "gave up after {waited:?}"
        );
        assert!(waited < Duration::from_secs(5), "waited {waited:?}");

        pull.set_rcvtimeo(0).unwrap();
        assert_eq!(pull.recv_bytes(0), Err(Error::EAGAIN));
    });
}

#[test]
fn sndtimeo_bounds_a_send_with_no_peer() {
    bounded(|| {
        let ctx = Context::new();
        let push = ctx.socket(PUSH).unwrap();
        push.set_sndtimeo(50).unwrap();
        let started = Instant::now();
        assert_eq!(push.send("nobody listens", 0), Err(Error::EAGAIN));
        let waited = started.elapsed();
        assert!(
            waited >= Duration::from_millis(40),
            "gave up after {waited:?}"
        );
        assert!(waited < Duration::from_secs(5), "waited {waited:?}");

        push.set_sndtimeo(0).unwrap();
        assert_eq!(push.send("nobody listens", 0), Err(Error::EAGAIN));
    });
}

#[test]
fn identity_is_the_routing_id_a_router_sees() {
    bounded(|| {
        let ctx = Context::new();
        let router = ctx.socket(ROUTER).unwrap();
        router.set_rcvtimeo(PATIENCE_MS).unwrap();
        router.bind("inproc://options-identity").unwrap();
        let dealer = ctx.socket(DEALER).unwrap();
        dealer.set_identity(b"alice").unwrap();
        dealer.connect("inproc://options-identity").unwrap();
        dealer.send("hello", 0).unwrap();
        assert_eq!(
            router.recv_multipart(0).unwrap(),
            vec![b"alice".to_vec(), b"hello".to_vec()]
        );
    });
}

#[test]
fn conflate_keeps_only_the_newest_message() {
    bounded(|| {
        // The conflating PULL connects, so the pipe is conflating under
        // libzmq's rule too (an inproc pipe takes the connecter's options).
        let ctx = Context::new();
        let push = ctx.socket(PUSH).unwrap();
        push.bind("inproc://options-conflate").unwrap();
        let pull = ctx.socket(PULL).unwrap();
        pull.set_conflate(true).unwrap();
        pull.set_rcvtimeo(PATIENCE_MS).unwrap();
        pull.connect("inproc://options-conflate").unwrap();

        // send() returns once the message is in the pipe: all ten are
        // queued before the first receive.
        for n in 0..10 {
            push.send(format!("update {n}").as_str(), 0).unwrap();
        }
        assert_eq!(pull.recv_string(0).unwrap().unwrap(), "update 9");
        assert_eq!(pull.recv_bytes(zmq::DONTWAIT), Err(Error::EAGAIN));
    });
}

#[test]
fn immediate_is_stored() {
    bounded(|| {
        let ctx = Context::new();
        let push = ctx.socket(PUSH).unwrap();
        push.set_immediate(true).unwrap();
        push.connect("inproc://options-immediate").unwrap();
        assert_eq!(push.is_immediate(), Ok(true));
    });
}
