//! Compile-time proof that zactor keeps the signatures of the `zmq` crate
//! 0.10 (rust-zmq `src/lib.rs` and `src/message.rs`): each line coerces a
//! zactor item to the exact type zmq 0.10 gives it, so a changed parameter,
//! return type or receiver fails to build. The runtime assertions only keep
//! the values honest.
//!
//! zmq 0.10 items zactor does not have yet, and so are not listed:
//! `CurveKeyPair`, `z85_encode`/`z85_decode`, and the raw-pointer
//! escapes (`Socket::into_raw`/`from_raw`/`as_mut_ptr`,
//! `Message::with_capacity_unallocated`).
#![allow(deprecated)] // the deprecated zmq 0.10 methods are part of the API

use std::result;

use zactor as zmq;

type StrResult = result::Result<String, Vec<u8>>;

fn assert_send<T: Send>() {}
fn assert_sync<T: Sync>() {}
fn assert_clone<T: Clone>() {}
fn assert_default<T: Default>() {}
fn assert_copy_eq_debug<T: Copy + Eq + std::fmt::Debug>() {}
fn assert_error<
    T: std::error::Error + std::fmt::Display + std::fmt::Debug + Send + Sync + 'static,
>() {
}

#[test]
fn free_functions_and_constants() {
    let _: fn() -> (i32, i32, i32) = zmq::version;
    let _: fn(&str) -> Option<bool> = zmq::has;
    let _: i32 = zmq::DONTWAIT;
    let _: i32 = zmq::SNDMORE;
    let _: zmq::PollEvents = zmq::POLLIN;
    let _: zmq::PollEvents = zmq::POLLOUT;
    let _: zmq::PollEvents = zmq::POLLERR;
    let _: zmq::Result<()> = Ok(());

    let (major, minor, _) = zmq::version();
    assert_eq!((major, minor), (4, 3));
    assert_eq!(zmq::has("curve"), Some(false), "no security mechanism yet");
    assert_eq!(zmq::has("ipc"), Some(true), "Unix domain sockets");
    assert_eq!(zmq::has("pgm"), Some(false));
    assert_ne!(zmq::DONTWAIT, zmq::SNDMORE);
}

#[test]
fn socket_types_are_reexported() {
    let all: [zmq::SocketType; 12] = [
        zmq::PAIR,
        zmq::PUB,
        zmq::SUB,
        zmq::REQ,
        zmq::REP,
        zmq::DEALER,
        zmq::ROUTER,
        zmq::PULL,
        zmq::PUSH,
        zmq::XPUB,
        zmq::XSUB,
        zmq::STREAM,
    ];
    assert_copy_eq_debug::<zmq::SocketType>();
    assert_eq!(all[7], zmq::SocketType::PULL);
    for (i, a) in all.iter().enumerate() {
        for b in &all[i + 1..] {
            assert_ne!(a, b);
        }
    }
}

#[test]
fn context_signatures() {
    let _: fn() -> zmq::Context = zmq::Context::new;
    let _: fn(&zmq::Context, zmq::SocketType) -> zmq::Result<zmq::Socket> = zmq::Context::socket;
    let _: fn(&mut zmq::Context) -> zmq::Result<()> = zmq::Context::destroy;
    let _: fn(&zmq::Context) -> zmq::Result<i32> = zmq::Context::get_io_threads;
    let _: fn(&zmq::Context, i32) -> zmq::Result<()> = zmq::Context::set_io_threads;
    assert_clone::<zmq::Context>();
    assert_default::<zmq::Context>();
    assert_send::<zmq::Context>();
    assert_sync::<zmq::Context>();

    let ctx = zmq::Context::default();
    ctx.set_io_threads(2).unwrap();
    assert_eq!(ctx.get_io_threads(), Ok(2));
}

#[test]
fn socket_core_signatures() {
    type Endpoint = fn(&zmq::Socket, &str) -> zmq::Result<()>;
    let _: Endpoint = zmq::Socket::bind;
    let _: Endpoint = zmq::Socket::unbind;
    let _: Endpoint = zmq::Socket::connect;
    let _: Endpoint = zmq::Socket::disconnect;

    // Generic methods are checked at one instantiation; a borrowed type
    // argument needs a named lifetime (see `send_signatures`).
    let _: fn(&zmq::Socket, Vec<u8>, i32) -> zmq::Result<()> = zmq::Socket::send::<Vec<u8>>;
    let _: fn(&zmq::Socket, zmq::Message, i32) -> zmq::Result<()> =
        zmq::Socket::send::<zmq::Message>;
    let _: fn(&zmq::Socket, zmq::Message, i32) -> zmq::Result<()> = zmq::Socket::send_msg;
    let _: fn(&zmq::Socket, &str, i32) -> zmq::Result<()> = zmq::Socket::send_str;
    let _: fn(&zmq::Socket, Vec<Vec<u8>>, i32) -> zmq::Result<()> =
        zmq::Socket::send_multipart::<Vec<Vec<u8>>, Vec<u8>>;
    send_signatures();

    let _: fn(&zmq::Socket, &mut zmq::Message, i32) -> zmq::Result<()> = zmq::Socket::recv;
    let _: fn(&zmq::Socket, &mut [u8], i32) -> zmq::Result<usize> = zmq::Socket::recv_into;
    let _: fn(&zmq::Socket, i32) -> zmq::Result<zmq::Message> = zmq::Socket::recv_msg;
    let _: fn(&zmq::Socket, i32) -> zmq::Result<Vec<u8>> = zmq::Socket::recv_bytes;
    let _: fn(&zmq::Socket, i32) -> zmq::Result<StrResult> = zmq::Socket::recv_string;
    let _: fn(&zmq::Socket, i32) -> zmq::Result<Vec<Vec<u8>>> = zmq::Socket::recv_multipart;

    let _: fn(&zmq::Socket) -> zmq::Result<zmq::SocketType> = zmq::Socket::get_socket_type;
    let _: fn(&zmq::Socket) -> zmq::Result<bool> = zmq::Socket::get_rcvmore;
    let _: fn(&zmq::Socket) -> zmq::Result<StrResult> = zmq::Socket::get_last_endpoint;
    let _: fn(&zmq::Socket) -> zmq::Result<zmq::PollEvents> = zmq::Socket::get_events;
    let _: fn(&zmq::Socket, &str, i32) -> zmq::Result<()> = zmq::Socket::monitor;
    let _: fn(&zmq::Socket, zmq::PollEvents, i64) -> zmq::Result<i32> = zmq::Socket::poll;
    let _: fn(&mut [zmq::PollItem], i64) -> zmq::Result<i32> = zmq::poll;
    let _: fn(&zmq::Socket) -> zmq::Result<std::os::unix::io::RawFd> = zmq::Socket::get_fd;
    let _: fn(&zmq::Socket, &zmq::Socket) -> zmq::Result<()> = zmq::proxy;
    type Proxy3 = fn(&mut zmq::Socket, &mut zmq::Socket, &mut zmq::Socket) -> zmq::Result<()>;
    let _: Proxy3 = zmq::proxy_with_capture;
    let _: Proxy3 = zmq::proxy_steerable;
    let _: fn(
        &mut zmq::Socket,
        &mut zmq::Socket,
        &mut zmq::Socket,
        &mut zmq::Socket,
    ) -> zmq::Result<()> = zmq::proxy_steerable_with_capture;
    let _: fn(zmq::SocketEvent) -> u16 = zmq::SocketEvent::to_raw;
    let _: fn(u16) -> zmq::SocketEvent = zmq::SocketEvent::from_raw;
    assert_copy_eq_debug::<zmq::SocketEvent>();
    assert_eq!(zmq::SocketEvent::ALL as i32, 0xFFFF);

    assert_send::<zmq::Socket>();

    // The Sendable trait, as zmq 0.10 declares it.
    fn send_via_trait<T: zmq::Sendable>(data: T, socket: &zmq::Socket) -> zmq::Result<()> {
        zmq::Sendable::send(data, socket, zmq::DONTWAIT)
    }
    let ctx = zmq::Context::new();
    let socket = ctx.socket(zmq::PAIR).unwrap();
    assert_eq!(socket.get_socket_type(), Ok(zmq::PAIR));
    assert_eq!(send_via_trait("no peer", &socket), Err(zmq::Error::EAGAIN));
}

// The lifetime names the borrows inside the checked types.
#[allow(clippy::extra_unused_lifetimes)]
fn send_signatures<'a>() {
    let _: fn(&zmq::Socket, &'a str, i32) -> zmq::Result<()> = zmq::Socket::send::<&'a str>;
    let _: fn(&zmq::Socket, &'a [u8], i32) -> zmq::Result<()> = zmq::Socket::send::<&'a [u8]>;
    let _: fn(&zmq::Socket, &'a zmq::Message, i32) -> zmq::Result<()> =
        zmq::Socket::send::<&'a zmq::Message>;
    let _: fn(&zmq::Socket, [&'a str; 2], i32) -> zmq::Result<()> =
        zmq::Socket::send_multipart::<[&'a str; 2], &'a str>;
}

#[test]
fn socket_option_signatures() {
    type GetI32 = fn(&zmq::Socket) -> zmq::Result<i32>;
    type SetI32 = fn(&zmq::Socket, i32) -> zmq::Result<()>;
    type GetBool = fn(&zmq::Socket) -> zmq::Result<bool>;
    type SetBool = fn(&zmq::Socket, bool) -> zmq::Result<()>;
    type SetBytes = fn(&zmq::Socket, &[u8]) -> zmq::Result<()>;
    type SetStr = fn(&zmq::Socket, &str) -> zmq::Result<()>;
    type SetOptStr = fn(&zmq::Socket, Option<&str>) -> zmq::Result<()>;
    type GetStr = fn(&zmq::Socket) -> zmq::Result<StrResult>;
    type GetBytes = fn(&zmq::Socket) -> zmq::Result<Vec<u8>>;

    let _: (GetBool, SetBool) = (zmq::Socket::is_ipv6, zmq::Socket::set_ipv6);
    let _: (GetBool, SetBool) = (zmq::Socket::is_immediate, zmq::Socket::set_immediate);
    let _: (GetBool, SetBool) = (zmq::Socket::is_plain_server, zmq::Socket::set_plain_server);
    let _: (GetBool, SetBool) = (zmq::Socket::is_conflate, zmq::Socket::set_conflate);
    let _: (GetBool, SetBool) = (zmq::Socket::is_probe_router, zmq::Socket::set_probe_router);
    let _: (GetBool, SetBool) = (
        zmq::Socket::is_router_mandatory,
        zmq::Socket::set_router_mandatory,
    );
    let _: (GetBool, SetBool) = (
        zmq::Socket::is_router_handover,
        zmq::Socket::set_router_handover,
    );
    let _: (GetBool, SetBool) = (zmq::Socket::is_curve_server, zmq::Socket::set_curve_server);
    let _: (GetBool, SetBool) = (
        zmq::Socket::is_gssapi_server,
        zmq::Socket::set_gssapi_server,
    );
    let _: (GetBool, SetBool) = (
        zmq::Socket::is_gssapi_plaintext,
        zmq::Socket::set_gssapi_plaintext,
    );
    let _: SetBool = zmq::Socket::set_req_relaxed;
    let _: SetBool = zmq::Socket::set_req_correlate;
    let _: SetBool = zmq::Socket::set_xpub_verbose;

    type GetI64 = fn(&zmq::Socket) -> zmq::Result<i64>;
    type SetI64 = fn(&zmq::Socket, i64) -> zmq::Result<()>;
    type GetU64 = fn(&zmq::Socket) -> zmq::Result<u64>;
    type SetU64 = fn(&zmq::Socket, u64) -> zmq::Result<()>;
    let _: (GetI64, SetI64) = (zmq::Socket::get_maxmsgsize, zmq::Socket::set_maxmsgsize);
    let _: (GetU64, SetU64) = (zmq::Socket::get_affinity, zmq::Socket::set_affinity);
    const HEARTBEAT_TIMEOUT: usize = 21;
    let int_options: [(GetI32, SetI32); 23] = [
        (zmq::Socket::get_sndhwm, zmq::Socket::set_sndhwm),
        (zmq::Socket::get_rcvhwm, zmq::Socket::set_rcvhwm),
        (zmq::Socket::get_rate, zmq::Socket::set_rate),
        (zmq::Socket::get_recovery_ivl, zmq::Socket::set_recovery_ivl),
        (zmq::Socket::get_sndbuf, zmq::Socket::set_sndbuf),
        (zmq::Socket::get_rcvbuf, zmq::Socket::set_rcvbuf),
        (zmq::Socket::get_tos, zmq::Socket::set_tos),
        (zmq::Socket::get_linger, zmq::Socket::set_linger),
        (
            zmq::Socket::get_reconnect_ivl,
            zmq::Socket::set_reconnect_ivl,
        ),
        (
            zmq::Socket::get_reconnect_ivl_max,
            zmq::Socket::set_reconnect_ivl_max,
        ),
        (zmq::Socket::get_backlog, zmq::Socket::set_backlog),
        (
            zmq::Socket::get_multicast_hops,
            zmq::Socket::set_multicast_hops,
        ),
        (zmq::Socket::get_rcvtimeo, zmq::Socket::set_rcvtimeo),
        (zmq::Socket::get_sndtimeo, zmq::Socket::set_sndtimeo),
        (
            zmq::Socket::get_tcp_keepalive,
            zmq::Socket::set_tcp_keepalive,
        ),
        (
            zmq::Socket::get_tcp_keepalive_cnt,
            zmq::Socket::set_tcp_keepalive_cnt,
        ),
        (
            zmq::Socket::get_tcp_keepalive_idle,
            zmq::Socket::set_tcp_keepalive_idle,
        ),
        (
            zmq::Socket::get_tcp_keepalive_intvl,
            zmq::Socket::set_tcp_keepalive_intvl,
        ),
        (
            zmq::Socket::get_handshake_ivl,
            zmq::Socket::set_handshake_ivl,
        ),
        (
            zmq::Socket::get_heartbeat_ivl,
            zmq::Socket::set_heartbeat_ivl,
        ),
        (
            zmq::Socket::get_heartbeat_ttl,
            zmq::Socket::set_heartbeat_ttl,
        ),
        (
            zmq::Socket::get_heartbeat_timeout,
            zmq::Socket::set_heartbeat_timeout,
        ),
        (
            zmq::Socket::get_connect_timeout,
            zmq::Socket::set_connect_timeout,
        ),
    ];

    let _: (GetBytes, SetBytes) = (zmq::Socket::get_identity, zmq::Socket::set_identity);
    let _: SetBytes = zmq::Socket::set_subscribe;
    let _: SetBytes = zmq::Socket::set_unsubscribe;
    let _: (GetStr, SetOptStr) = (zmq::Socket::get_socks_proxy, zmq::Socket::set_socks_proxy);
    let _: (GetStr, SetOptStr) = (
        zmq::Socket::get_plain_username,
        zmq::Socket::set_plain_username,
    );
    let _: (GetStr, SetOptStr) = (
        zmq::Socket::get_plain_password,
        zmq::Socket::set_plain_password,
    );
    let _: (GetStr, SetStr) = (zmq::Socket::get_zap_domain, zmq::Socket::set_zap_domain);
    let _: SetOptStr = zmq::Socket::set_xpub_welcome_msg;
    let _: (GetBytes, SetBytes) = (
        zmq::Socket::get_curve_publickey,
        zmq::Socket::set_curve_publickey,
    );
    let _: (GetBytes, SetBytes) = (
        zmq::Socket::get_curve_secretkey,
        zmq::Socket::set_curve_secretkey,
    );
    let _: (GetBytes, SetBytes) = (
        zmq::Socket::get_curve_serverkey,
        zmq::Socket::set_curve_serverkey,
    );
    let _: (GetStr, SetStr) = (
        zmq::Socket::get_gssapi_principal,
        zmq::Socket::set_gssapi_principal,
    );
    let _: (GetStr, SetStr) = (
        zmq::Socket::get_gssapi_service_principal,
        zmq::Socket::set_gssapi_service_principal,
    );
    let _: fn(&zmq::Socket) -> zmq::Result<zmq::Mechanism> = zmq::Socket::get_mechanism;

    assert_copy_eq_debug::<zmq::Mechanism>();
    let _ = [
        zmq::Mechanism::ZMQ_NULL,
        zmq::Mechanism::ZMQ_PLAIN,
        zmq::Mechanism::ZMQ_CURVE,
        zmq::Mechanism::ZMQ_GSSAPI,
    ];

    // Every i32 option reads back what it was set to.
    let ctx = zmq::Context::new();
    let socket = ctx.socket(zmq::DEALER).unwrap();
    assert_eq!(socket.get_mechanism(), Ok(zmq::Mechanism::ZMQ_NULL));
    for (index, (get, set)) in int_options.into_iter().enumerate() {
        let value = get(&socket).unwrap();
        if index == HEARTBEAT_TIMEOUT {
            // libzmq's default is -1 ("the interval"), which its own
            // setter refuses.
            assert_eq!((value, set(&socket, value)), (-1, Err(zmq::Error::EINVAL)));
            continue;
        }
        set(&socket, value).unwrap_or_else(|e| panic!("option {index} = {value}: {e}"));
        assert_eq!(get(&socket), Ok(value));
    }
}

#[test]
fn error_signatures() {
    let _: fn(zmq::Error) -> i32 = zmq::Error::to_raw;
    let _: fn(i32) -> zmq::Error = zmq::Error::from_raw;
    let _: fn(zmq::Error) -> &'static str = zmq::Error::message;
    assert_copy_eq_debug::<zmq::Error>();
    assert_error::<zmq::Error>();
    let _: std::io::Error = zmq::Error::EAGAIN.into();

    // Every zmq 0.10 variant exists and round-trips through its raw code.
    let all = [
        zmq::Error::EACCES,
        zmq::Error::EADDRINUSE,
        zmq::Error::EAGAIN,
        zmq::Error::EBUSY,
        zmq::Error::ECONNREFUSED,
        zmq::Error::EFAULT,
        zmq::Error::EINTR,
        zmq::Error::EHOSTUNREACH,
        zmq::Error::EINPROGRESS,
        zmq::Error::EINVAL,
        zmq::Error::EMFILE,
        zmq::Error::EMSGSIZE,
        zmq::Error::ENAMETOOLONG,
        zmq::Error::ENODEV,
        zmq::Error::ENOENT,
        zmq::Error::ENOMEM,
        zmq::Error::ENOTCONN,
        zmq::Error::ENOTSOCK,
        zmq::Error::EPROTO,
        zmq::Error::EPROTONOSUPPORT,
        zmq::Error::ENOTSUP,
        zmq::Error::ENOBUFS,
        zmq::Error::ENETDOWN,
        zmq::Error::EADDRNOTAVAIL,
        zmq::Error::EFSM,
        zmq::Error::ENOCOMPATPROTO,
        zmq::Error::ETERM,
        zmq::Error::EMTHREAD,
    ];
    for error in all {
        assert_eq!(zmq::Error::from_raw(error.to_raw()), error);
        assert_eq!(error.to_string(), error.message());
    }
    assert_eq!(zmq::Error::ETERM.to_raw(), 156_384_765);
}

#[test]
fn message_signatures() {
    let _: fn() -> zmq::Message = zmq::Message::new;
    let _: fn(usize) -> zmq::Message = zmq::Message::with_size;
    let _: fn(usize) -> zmq::Message = zmq::Message::with_capacity;
    let _: fn(&[u8]) -> zmq::Message = zmq::Message::from_slice;
    let _: for<'a> fn(&'a zmq::Message) -> Option<&'a str> = zmq::Message::as_str;
    let _: fn(&zmq::Message) -> bool = zmq::Message::get_more;
    let _: for<'a> fn(&'a mut zmq::Message, &str) -> Option<&'a str> = zmq::Message::gets;

    let _: fn(Vec<u8>) -> zmq::Message = <zmq::Message as From<Vec<u8>>>::from;
    let _: fn(Box<[u8]>) -> zmq::Message = <zmq::Message as From<Box<[u8]>>>::from;
    message_from_borrowed();

    fn message_traits<T>()
    where
        T: std::ops::Deref<Target = [u8]>
            + std::ops::DerefMut
            + PartialEq
            + Eq
            + std::fmt::Debug
            + Send,
    {
    }
    message_traits::<zmq::Message>();

    let mut msg = zmq::Message::from(&b"abc"[..]);
    msg[0] = b'x';
    assert_eq!(msg.as_str(), Some("xbc"));
}

/// The borrowed `From` impls (a named lifetime, as for `send_signatures`).
#[allow(clippy::extra_unused_lifetimes)]
fn message_from_borrowed<'a>() {
    let _: fn(&'a [u8]) -> zmq::Message = <zmq::Message as From<&'a [u8]>>::from;
    let _: fn(&'a str) -> zmq::Message = <zmq::Message as From<&'a str>>::from;
    let _: fn(&'a String) -> zmq::Message = <zmq::Message as From<&'a String>>::from;
    let _: fn(&'a Vec<u8>) -> zmq::Message = <zmq::Message as From<&'a Vec<u8>>>::from;
}

#[test]
fn poll_events_signatures() {
    // zmq 0.10's PollEvents is a bitflags 1 type whose methods take `&self`;
    // zactor's take `self`. Both are Copy, so method calls (what programs
    // write) mean the same; only these are checked.
    let mut events: zmq::PollEvents = zmq::POLLIN | zmq::POLLOUT;
    assert!(events.contains(zmq::POLLIN));
    assert!(!events.contains(zmq::POLLERR));
    let bits: i16 = events.bits();
    assert_eq!(bits, 3);
    assert!(!events.is_empty());
    events.remove(zmq::POLLIN);
    events.insert(zmq::POLLERR);
    assert_eq!(events, zmq::POLLOUT | zmq::POLLERR);
    assert_eq!(events & zmq::POLLOUT, zmq::POLLOUT);
    events |= zmq::POLLIN;
    let _: Option<zmq::PollEvents> = zmq::PollEvents::from_bits(1);
    let _: zmq::PollEvents = zmq::PollEvents::from_bits_truncate(1);
    let _: zmq::PollEvents = zmq::PollEvents::empty();
    let _: zmq::PollEvents = zmq::PollEvents::all();
    assert!(zmq::PollEvents::empty().is_empty());
    assert_eq!(zmq::PollEvents::POLLIN, zmq::POLLIN);
    assert_eq!(zmq::PollEvents::POLLOUT, zmq::POLLOUT);
    assert_eq!(zmq::PollEvents::POLLERR, zmq::POLLERR);
}
