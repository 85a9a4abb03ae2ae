//! The option accessors of [`Socket`]: the `get_*`/`is_*`/`set_*` methods of
//! the `zmq` crate 0.10, with its names and types, and libzmq 4.3's checks.
//!
//! Setters refuse with `EINVAL` exactly the values libzmq's `options.cpp`
//! (or the socket type's `xsetsockopt`) refuses, and every call returns
//! `ETERM` once the context is terminated, as `zmq_setsockopt` does.
//!
//! Network options the tcp/ipc transport does not apply yet (SOCKS proxy,
//! multicast …) are stored and read back; reconnect_ivl(_max),
//! handshake_ivl, connect_timeout, linger, the heartbeat options, tcp
//! keepalive, sndbuf, rcvbuf, tos, backlog, ipv6 and immediate are applied.
//!
//! Security: zactor has only the NULL mechanism. Getters answer where NULL
//! decides the answer (`get_mechanism` is `ZMQ_NULL`, `is_*_server` are
//! false, PLAIN credentials are empty); setters that leave the socket on
//! NULL succeed (`set_plain_server(false)`, `set_plain_username(None)` …);
//! anything that would select PLAIN, CURVE or GSSAPI, and the getters of
//! CURVE keys and GSSAPI principals, return `ENOTSUP`.
//!
//! Where libzmq has a setter and no getter (`ROUTER_MANDATORY`,
//! `ROUTER_HANDOVER`, `PROBE_ROUTER`: `zmq_getsockopt` says `EINVAL`), the
//! `zmq` crate's getter exists anyway; zactor answers it with the stored
//! value: no program that works over libzmq relies on that error.

use std::result;

use super::options::Options;
use super::Socket;
use crate::error::{Error, Result};
use crate::pattern::PatternOption;
use crate::socket_type::SocketType::{self, DEALER, PUB, REQ, ROUTER, XPUB};

/// A security mechanism (`ZMQ_MECHANISM`); zactor implements only `ZMQ_NULL`.
#[allow(non_camel_case_types)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mechanism {
    /// No security: the only mechanism zactor implements.
    ZMQ_NULL,
    /// User name and password in clear text (RFC 24).
    ZMQ_PLAIN,
    /// CurveZMQ encryption (RFC 26).
    ZMQ_CURVE,
    /// Kerberos through GSSAPI (RFC 38).
    ZMQ_GSSAPI,
}

/// libzmq's ceiling for routing ids, ZAP domains and PLAIN credentials.
const MAX_SHORT_STRING: usize = u8::MAX as usize;

/// libzmq keeps ZMQ_HEARTBEAT_TTL in deciseconds, in 16 bits.
const HEARTBEAT_TTL_UNIT_MS: i32 = 100;

/// `Ok` when `valid`, else `EINVAL`: how every setter reports a bad value.
fn check(valid: bool) -> Result<()> {
    if valid {
        Ok(())
    } else {
        Err(Error::EINVAL)
    }
}

/// `Ok` when a security setter leaves the socket on the NULL mechanism.
fn null_mechanism_only(stays_null: bool) -> Result<()> {
    if stays_null {
        Ok(())
    } else {
        Err(Error::ENOTSUP)
    }
}

impl Socket {
    /// `ETERM` once the context is terminated, as `zmq_setsockopt`.
    fn check_open(&self) -> Result<()> {
        if self.context().inner.is_terminated() {
            Err(Error::ETERM)
        } else {
            Ok(())
        }
    }

    /// Runs `f` on the options, or `ETERM` once the context is terminated.
    fn options<R>(&self, f: impl FnOnce(&mut Options) -> R) -> Result<R> {
        self.check_open()?;
        Ok(self.with_options(f))
    }

    /// `EINVAL` unless this socket is one of `types`: libzmq's per-type
    /// options are unknown to every other type.
    fn check_type(&self, types: &[SocketType]) -> Result<()> {
        check(types.contains(&self.get_socket_type()?))
    }
}

/// Declares the getter and setter of integer options; the setter refuses,
/// with `EINVAL`, what `valid` (libzmq's own check) refuses.
macro_rules! int_options {
    ($(
        $(#[$doc:meta])*
        ($getter:ident, $setter:ident) => $field:ident: $ty:ty, valid if $value:ident => $valid:expr;
    )*) => {
        impl Socket {
            $(
                $(#[$doc])*
                pub fn $getter(&self) -> Result<$ty> {
                    self.options(|o| o.$field)
                }

                $(#[$doc])*
                pub fn $setter(&self, value: $ty) -> Result<()> {
                    let $value = value;
                    check($valid)?;
                    self.options(|o| o.$field = value)
                }
            )*
        }
    };
}

int_options! {
    /// `ZMQ_SNDHWM`: messages queued per peer before send blocks or drops (0 = no limit).
    (get_sndhwm, set_sndhwm) => sndhwm: i32, valid if v => v >= 0;
    /// `ZMQ_RCVHWM`: messages queued per peer on the receiving side (0 = no limit).
    (get_rcvhwm, set_rcvhwm) => rcvhwm: i32, valid if v => v >= 0;
    /// `ZMQ_MAXMSGSIZE`: largest inbound message a transport accepts, in bytes (-1 = any).
    (get_maxmsgsize, set_maxmsgsize) => maxmsgsize: i64, valid if _v => true;
    /// `ZMQ_AFFINITY`: bitmap of I/O threads for new connections.
    (get_affinity, set_affinity) => affinity: u64, valid if _v => true;
    /// `ZMQ_RATE`: multicast data rate in kbit/s.
    (get_rate, set_rate) => rate: i32, valid if v => v > 0;
    /// `ZMQ_RECOVERY_IVL`: multicast recovery interval in milliseconds.
    (get_recovery_ivl, set_recovery_ivl) => recovery_ivl: i32, valid if v => v >= 0;
    /// `ZMQ_SNDBUF`: kernel send buffer size in bytes (-1 = the OS default
    /// over tcp, 1 MiB over ipc, whose Unix sockets do not autotune).
    (get_sndbuf, set_sndbuf) => sndbuf: i32, valid if v => v >= -1;
    /// `ZMQ_RCVBUF`: kernel receive buffer size in bytes (-1 = the OS default
    /// over tcp, 1 MiB over ipc).
    (get_rcvbuf, set_rcvbuf) => rcvbuf: i32, valid if v => v >= -1;
    /// `ZMQ_TOS`: IP type-of-service byte for tcp connections.
    (get_tos, set_tos) => tos: i32, valid if v => v >= 0;
    /// `ZMQ_LINGER`: how long unsent messages outlive close, in ms (-1 = forever).
    (get_linger, set_linger) => linger: i32, valid if v => v >= -1;
    /// `ZMQ_RECONNECT_IVL`: delay before reconnecting, in ms (-1 = never).
    (get_reconnect_ivl, set_reconnect_ivl) => reconnect_ivl: i32, valid if v => v >= -1;
    /// `ZMQ_RECONNECT_IVL_MAX`: ceiling of the reconnect back-off, in ms (0 = no back-off).
    (get_reconnect_ivl_max, set_reconnect_ivl_max) => reconnect_ivl_max: i32, valid if v => v >= 0;
    /// `ZMQ_BACKLOG`: queue length for pending incoming connections.
    (get_backlog, set_backlog) => backlog: i32, valid if v => v >= 0;
    /// `ZMQ_MULTICAST_HOPS`: time-to-live of multicast packets.
    (get_multicast_hops, set_multicast_hops) => multicast_hops: i32, valid if v => v > 0;
    /// `ZMQ_RCVTIMEO`: how long a receive blocks before `EAGAIN`, in ms (-1 = forever).
    (get_rcvtimeo, set_rcvtimeo) => rcvtimeo: i32, valid if v => v >= -1;
    /// `ZMQ_SNDTIMEO`: how long a send blocks before `EAGAIN`, in ms (-1 = forever).
    (get_sndtimeo, set_sndtimeo) => sndtimeo: i32, valid if v => v >= -1;
    /// `ZMQ_TCP_KEEPALIVE`: SO_KEEPALIVE on tcp (-1 = OS default, 0 = off, 1 = on).
    (get_tcp_keepalive, set_tcp_keepalive) => tcp_keepalive: i32, valid if v => (-1..=1).contains(&v);
    /// `ZMQ_TCP_KEEPALIVE_CNT`: unanswered probes before a tcp peer is dead (-1 = OS default).
    (get_tcp_keepalive_cnt, set_tcp_keepalive_cnt) => tcp_keepalive_cnt: i32, valid if v => v >= -1;
    /// `ZMQ_TCP_KEEPALIVE_IDLE`: idle seconds before the first tcp probe (-1 = OS default).
    (get_tcp_keepalive_idle, set_tcp_keepalive_idle) => tcp_keepalive_idle: i32, valid if v => v >= -1;
    /// `ZMQ_TCP_KEEPALIVE_INTVL`: seconds between tcp probes (-1 = OS default).
    (get_tcp_keepalive_intvl, set_tcp_keepalive_intvl) => tcp_keepalive_intvl: i32, valid if v => v >= -1;
    /// `ZMQ_HANDSHAKE_IVL`: longest a ZMTP handshake may take, in ms (0 = no limit).
    (get_handshake_ivl, set_handshake_ivl) => handshake_ivl: i32, valid if v => v >= 0;
    /// `ZMQ_HEARTBEAT_IVL`: interval between ZMTP PINGs, in ms (0 = none).
    (get_heartbeat_ivl, set_heartbeat_ivl) => heartbeat_ivl: i32, valid if v => v >= 0;
    /// `ZMQ_HEARTBEAT_TIMEOUT`: how long to wait for traffic after a PING, in ms (-1 = the interval).
    (get_heartbeat_timeout, set_heartbeat_timeout) => heartbeat_timeout: i32, valid if v => v >= 0;
    /// `ZMQ_CONNECT_TIMEOUT`: longest a tcp connect may take, in ms (0 = the OS's).
    (get_connect_timeout, set_connect_timeout) => connect_timeout: i32, valid if v => v >= 0;
}

/// Declares the getter and setter of boolean options; with `only for`, the
/// setter is `EINVAL` on other socket types, as libzmq's `xsetsockopt`.
macro_rules! bool_options {
    ($(
        $(#[$doc:meta])*
        ($getter:ident, $setter:ident) => $field:ident $(, only for $types:expr)?;
    )*) => {
        impl Socket {
            $(
                $(#[$doc])*
                pub fn $getter(&self) -> Result<bool> {
                    self.options(|o| o.$field)
                }

                $(#[$doc])*
                pub fn $setter(&self, value: bool) -> Result<()> {
                    $(self.check_type(&$types)?;)?
                    self.options(|o| o.$field = value)
                }
            )*
        }
    };
}

bool_options! {
    /// `ZMQ_IPV6`: whether tcp endpoints may use IPv6.
    (is_ipv6, set_ipv6) => ipv6;
    /// `ZMQ_IMMEDIATE`: queue messages only on completed connections.
    (is_immediate, set_immediate) => immediate;
    /// `ZMQ_CONFLATE`: keep only the newest message (PUSH, PULL, PUB, SUB, DEALER).
    (is_conflate, set_conflate) => conflate;
    /// `ZMQ_PROBE_ROUTER`: send an empty message to each new ROUTER peer.
    (is_probe_router, set_probe_router) => probe_router, only for [ROUTER, DEALER, REQ];
    /// `ZMQ_ROUTER_MANDATORY`: `EHOSTUNREACH` instead of dropping unroutable messages.
    (is_router_mandatory, set_router_mandatory) => router_mandatory, only for [ROUTER];
    /// `ZMQ_ROUTER_HANDOVER`: a new peer with a taken routing id takes it over.
    (is_router_handover, set_router_handover) => router_handover, only for [ROUTER];
}

impl Socket {
    /// `ZMQ_REQ_RELAXED`: let a REQ send again before the reply arrives.
    pub fn set_req_relaxed(&self, value: bool) -> Result<()> {
        self.check_type(&[REQ])?;
        self.options(|o| o.req_relaxed = value)
    }

    /// `ZMQ_REQ_CORRELATE`: prefix requests with an id and drop stale replies.
    pub fn set_req_correlate(&self, value: bool) -> Result<()> {
        self.check_type(&[REQ])?;
        self.options(|o| o.req_correlate = value)
    }

    /// `ZMQ_XPUB_VERBOSE`: pass every subscription upstream, not only new ones.
    pub fn set_xpub_verbose(&self, value: bool) -> Result<()> {
        self.check_type(&[XPUB, PUB])?;
        self.options(|o| o.xpub_verbose = value)
    }

    /// `ZMQ_XPUB_WELCOME_MSG`: message sent to each new subscriber (`None` or "" = none).
    pub fn set_xpub_welcome_msg(&self, value: Option<&str>) -> Result<()> {
        self.check_type(&[XPUB, PUB])?;
        let message = value
            .filter(|text| !text.is_empty())
            .map(|text| text.as_bytes().to_vec());
        self.options(|o| o.xpub_welcome_msg = message)
    }

    /// `ZMQ_ROUTING_ID`: this socket's routing id as its peers see it (empty = generated).
    pub fn get_identity(&self) -> Result<Vec<u8>> {
        self.options(|o| o.identity.clone())
    }

    /// `ZMQ_ROUTING_ID`: 1 to 255 bytes, used by connections made after the call.
    pub fn set_identity(&self, value: &[u8]) -> Result<()> {
        check((1..=MAX_SHORT_STRING).contains(&value.len()))?;
        self.options(|o| o.identity = value.to_vec())
    }

    /// `ZMQ_SUBSCRIBE`: receive messages starting with `value` (SUB, XSUB).
    pub fn set_subscribe(&self, value: &[u8]) -> Result<()> {
        self.set_pattern_option(PatternOption::Subscribe(value))
    }

    /// `ZMQ_UNSUBSCRIBE`: drop one earlier subscription to `value` (SUB, XSUB).
    pub fn set_unsubscribe(&self, value: &[u8]) -> Result<()> {
        self.set_pattern_option(PatternOption::Unsubscribe(value))
    }

    /// `ZMQ_HEARTBEAT_TTL`: how long a peer may wait for our traffic, in ms (kept in 100 ms units).
    pub fn get_heartbeat_ttl(&self) -> Result<i32> {
        self.options(|o| o.heartbeat_ttl)
    }

    /// `ZMQ_HEARTBEAT_TTL`: rounded down to 100 ms, at most 6 553 599 ms, as libzmq.
    pub fn set_heartbeat_ttl(&self, value: i32) -> Result<()> {
        // libzmq divides before checking, so -99..=-1 rounds to 0 and passes.
        let deciseconds = value / HEARTBEAT_TTL_UNIT_MS;
        check((0..=i32::from(u16::MAX)).contains(&deciseconds))?;
        self.options(|o| o.heartbeat_ttl = deciseconds * HEARTBEAT_TTL_UNIT_MS)
    }

    /// `ZMQ_ZAP_DOMAIN`: the ZAP authentication domain (empty = none).
    pub fn get_zap_domain(&self) -> Result<result::Result<String, Vec<u8>>> {
        self.options(|o| Ok(o.zap_domain.clone()))
    }

    /// `ZMQ_ZAP_DOMAIN`: 1 to 255 bytes (libzmq refuses the empty string).
    pub fn set_zap_domain(&self, value: &str) -> Result<()> {
        check((1..=MAX_SHORT_STRING).contains(&value.len()))?;
        self.options(|o| o.zap_domain = value.to_owned())
    }

    /// `ZMQ_SOCKS_PROXY`: `host:port` of the SOCKS5 proxy for tcp (empty = none).
    pub fn get_socks_proxy(&self) -> Result<result::Result<String, Vec<u8>>> {
        self.options(|o| Ok(o.socks_proxy.clone()))
    }

    /// `ZMQ_SOCKS_PROXY`: `None` clears it; `Some("")` is `EINVAL`, as libzmq.
    pub fn set_socks_proxy(&self, value: Option<&str>) -> Result<()> {
        check(value != Some(""))?;
        self.options(|o| o.socks_proxy = value.unwrap_or_default().to_owned())
    }

    /// `ZMQ_MECHANISM`: always `ZMQ_NULL`, the only mechanism zactor has.
    pub fn get_mechanism(&self) -> Result<Mechanism> {
        self.options(|_| Mechanism::ZMQ_NULL)
    }

    /// `ZMQ_PLAIN_SERVER`: always false (no PLAIN mechanism).
    pub fn is_plain_server(&self) -> Result<bool> {
        self.options(|_| false)
    }

    /// `ZMQ_PLAIN_SERVER`: `false` keeps NULL; `true` is `ENOTSUP`.
    pub fn set_plain_server(&self, value: bool) -> Result<()> {
        self.check_open()?;
        null_mechanism_only(!value)
    }

    /// `ZMQ_PLAIN_USERNAME`: always empty (no PLAIN mechanism).
    pub fn get_plain_username(&self) -> Result<result::Result<String, Vec<u8>>> {
        self.options(|_| Ok(String::new()))
    }

    /// `ZMQ_PLAIN_USERNAME`: `None` keeps NULL; a name is `ENOTSUP` (`EINVAL` if not 1..=255 bytes).
    pub fn set_plain_username(&self, value: Option<&str>) -> Result<()> {
        set_plain_credential(self, value)
    }

    /// `ZMQ_PLAIN_PASSWORD`: always empty (no PLAIN mechanism).
    pub fn get_plain_password(&self) -> Result<result::Result<String, Vec<u8>>> {
        self.options(|_| Ok(String::new()))
    }

    /// `ZMQ_PLAIN_PASSWORD`: `None` keeps NULL; a password is `ENOTSUP` (`EINVAL` if not 1..=255 bytes).
    pub fn set_plain_password(&self, value: Option<&str>) -> Result<()> {
        set_plain_credential(self, value)
    }

    /// `ZMQ_CURVE_SERVER`: always false (no CURVE mechanism).
    pub fn is_curve_server(&self) -> Result<bool> {
        self.options(|_| false)
    }

    /// `ZMQ_CURVE_SERVER`: `false` keeps NULL; `true` is `ENOTSUP`.
    pub fn set_curve_server(&self, value: bool) -> Result<()> {
        self.check_open()?;
        null_mechanism_only(!value)
    }

    /// `ZMQ_CURVE_PUBLICKEY`: `ENOTSUP` (no CURVE mechanism, so no key).
    pub fn get_curve_publickey(&self) -> Result<Vec<u8>> {
        self.check_open()?;
        Err(Error::ENOTSUP)
    }

    /// `ZMQ_CURVE_PUBLICKEY`: `ENOTSUP` (no CURVE mechanism).
    pub fn set_curve_publickey(&self, _value: &[u8]) -> Result<()> {
        self.check_open()?;
        Err(Error::ENOTSUP)
    }

    /// `ZMQ_CURVE_SECRETKEY`: `ENOTSUP` (no CURVE mechanism, so no key).
    pub fn get_curve_secretkey(&self) -> Result<Vec<u8>> {
        self.check_open()?;
        Err(Error::ENOTSUP)
    }

    /// `ZMQ_CURVE_SECRETKEY`: `ENOTSUP` (no CURVE mechanism).
    pub fn set_curve_secretkey(&self, _value: &[u8]) -> Result<()> {
        self.check_open()?;
        Err(Error::ENOTSUP)
    }

    /// `ZMQ_CURVE_SERVERKEY`: `ENOTSUP` (no CURVE mechanism, so no key).
    pub fn get_curve_serverkey(&self) -> Result<Vec<u8>> {
        self.check_open()?;
        Err(Error::ENOTSUP)
    }

    /// `ZMQ_CURVE_SERVERKEY`: `ENOTSUP` (no CURVE mechanism).
    pub fn set_curve_serverkey(&self, _value: &[u8]) -> Result<()> {
        self.check_open()?;
        Err(Error::ENOTSUP)
    }

    /// `ZMQ_GSSAPI_SERVER`: always false (no GSSAPI mechanism).
    pub fn is_gssapi_server(&self) -> Result<bool> {
        self.options(|_| false)
    }

    /// `ZMQ_GSSAPI_SERVER`: `ENOTSUP`; libzmq selects GSSAPI even for `false`.
    pub fn set_gssapi_server(&self, _value: bool) -> Result<()> {
        self.check_open()?;
        Err(Error::ENOTSUP)
    }

    /// `ZMQ_GSSAPI_PLAINTEXT`: always false (no GSSAPI mechanism).
    pub fn is_gssapi_plaintext(&self) -> Result<bool> {
        self.options(|_| false)
    }

    /// `ZMQ_GSSAPI_PLAINTEXT`: `false` changes nothing; `true` is `ENOTSUP`.
    pub fn set_gssapi_plaintext(&self, value: bool) -> Result<()> {
        self.check_open()?;
        null_mechanism_only(!value)
    }

    /// `ZMQ_GSSAPI_PRINCIPAL`: `ENOTSUP` (no GSSAPI mechanism).
    pub fn get_gssapi_principal(&self) -> Result<result::Result<String, Vec<u8>>> {
        self.check_open()?;
        Err(Error::ENOTSUP)
    }

    /// `ZMQ_GSSAPI_PRINCIPAL`: `ENOTSUP` (no GSSAPI mechanism).
    pub fn set_gssapi_principal(&self, _value: &str) -> Result<()> {
        self.check_open()?;
        Err(Error::ENOTSUP)
    }

    /// `ZMQ_GSSAPI_SERVICE_PRINCIPAL`: `ENOTSUP` (no GSSAPI mechanism).
    pub fn get_gssapi_service_principal(&self) -> Result<result::Result<String, Vec<u8>>> {
        self.check_open()?;
        Err(Error::ENOTSUP)
    }

    /// `ZMQ_GSSAPI_SERVICE_PRINCIPAL`: `ENOTSUP` (no GSSAPI mechanism).
    pub fn set_gssapi_service_principal(&self, _value: &str) -> Result<()> {
        self.check_open()?;
        Err(Error::ENOTSUP)
    }
}

/// ZMQ_PLAIN_USERNAME / ZMQ_PLAIN_PASSWORD: `None` selects NULL, which is
/// where the socket already is; a credential needs PLAIN.
fn set_plain_credential(socket: &Socket, value: Option<&str>) -> Result<()> {
    if let Some(credential) = value {
        check((1..=MAX_SHORT_STRING).contains(&credential.len()))?;
    }
    socket.check_open()?;
    null_mechanism_only(value.is_none())
}

#[cfg(test)]
mod tests {
    use crate::{Context, Error, PUSH, ROUTER};

    #[test]
    fn setters_check_values_as_libzmq_does() {
        let ctx = Context::new();
        let socket = ctx.socket(PUSH).unwrap();
        assert_eq!(socket.set_linger(-2), Err(Error::EINVAL));
        socket.set_linger(0).unwrap();
        assert_eq!(socket.get_linger(), Ok(0));
        assert_eq!(socket.set_router_mandatory(true), Err(Error::EINVAL));
        let router = ctx.socket(ROUTER).unwrap();
        router.set_router_mandatory(true).unwrap();
        assert_eq!(router.is_router_mandatory(), Ok(true));
    }

    #[test]
    fn heartbeat_ttl_is_kept_in_deciseconds() {
        let ctx = Context::new();
        let socket = ctx.socket(PUSH).unwrap();
        socket.set_heartbeat_ttl(1_299).unwrap();
        assert_eq!(socket.get_heartbeat_ttl(), Ok(1_200));
        assert_eq!(socket.set_heartbeat_ttl(6_553_600), Err(Error::EINVAL));
    }
}
