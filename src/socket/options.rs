//! Socket options: the values, with libzmq's defaults. The public
//! `get_*`/`set_*` accessors live in [`accessors`](super::accessors).
//!
//! Options that only a transport not built yet would use (tcp keepalive,
//! reconnect intervals, heartbeats …) are stored and read back, so a program
//! that sets them behaves the same once that transport exists.

use crate::config::DEFAULT_HWM;

/// Every option value a socket keeps.
#[derive(Debug, Clone)]
pub(crate) struct Options {
    pub(crate) sndhwm: i32,
    pub(crate) rcvhwm: i32,
    pub(crate) linger: i32,
    pub(crate) identity: Vec<u8>,
    pub(crate) rcvtimeo: i32,
    pub(crate) sndtimeo: i32,
    pub(crate) maxmsgsize: i64,
    pub(crate) immediate: bool,
    pub(crate) conflate: bool,
    pub(crate) router_mandatory: bool,
    pub(crate) router_handover: bool,
    pub(crate) probe_router: bool,
    pub(crate) req_relaxed: bool,
    pub(crate) req_correlate: bool,
    pub(crate) xpub_verbose: bool,
    pub(crate) xpub_welcome_msg: Option<Vec<u8>>,
    pub(crate) reconnect_ivl: i32,
    pub(crate) reconnect_ivl_max: i32,
    pub(crate) backlog: i32,
    pub(crate) sndbuf: i32,
    pub(crate) rcvbuf: i32,
    pub(crate) tcp_keepalive: i32,
    pub(crate) tcp_keepalive_cnt: i32,
    pub(crate) tcp_keepalive_idle: i32,
    pub(crate) tcp_keepalive_intvl: i32,
    pub(crate) handshake_ivl: i32,
    pub(crate) heartbeat_ivl: i32,
    /// Milliseconds, a multiple of 100: libzmq keeps deciseconds.
    pub(crate) heartbeat_ttl: i32,
    pub(crate) heartbeat_timeout: i32,
    pub(crate) connect_timeout: i32,
    pub(crate) ipv6: bool,
    pub(crate) affinity: u64,
    pub(crate) tos: i32,
    pub(crate) rate: i32,
    pub(crate) recovery_ivl: i32,
    pub(crate) multicast_hops: i32,
    pub(crate) zap_domain: String,
    /// ZMQ_SOCKS_PROXY: `host:port` of a SOCKS5 proxy for tcp; empty = none.
    pub(crate) socks_proxy: String,
}

impl Default for Options {
    fn default() -> Self {
        // libzmq 4.3's defaults (zmq_setsockopt(3)).
        Options {
            sndhwm: DEFAULT_HWM,
            rcvhwm: DEFAULT_HWM,
            linger: -1,
            identity: Vec::new(),
            rcvtimeo: -1,
            sndtimeo: -1,
            maxmsgsize: -1,
            immediate: false,
            conflate: false,
            router_mandatory: false,
            router_handover: false,
            probe_router: false,
            req_relaxed: false,
            req_correlate: false,
            xpub_verbose: false,
            xpub_welcome_msg: None,
            reconnect_ivl: 100,
            reconnect_ivl_max: 0,
            backlog: 100,
            sndbuf: -1,
            rcvbuf: -1,
            tcp_keepalive: -1,
            tcp_keepalive_cnt: -1,
            tcp_keepalive_idle: -1,
            tcp_keepalive_intvl: -1,
            handshake_ivl: 30_000,
            heartbeat_ivl: 0,
            heartbeat_ttl: 0,
            heartbeat_timeout: -1,
            connect_timeout: 0,
            ipv6: false,
            affinity: 0,
            tos: 0,
            rate: 100,
            recovery_ivl: 10_000,
            multicast_hops: 1,
            zap_domain: String::new(),
            socks_proxy: String::new(),
        }
    }
}

impl Options {
    /// Capacity of a pipe from a socket with these options to one with
    /// `peer`'s: sender's SNDHWM + receiver's RCVHWM, 0 (no limit) when
    /// either is 0, as libzmq computes it for inproc. CONFLATE lifts the
    /// limit: the receiver keeps only the newest message anyway.
    pub(crate) fn pipe_hwm(&self, peer: &Options) -> u64 {
        if self.sndhwm <= 0 || peer.rcvhwm <= 0 || self.conflate || peer.conflate {
            0
        } else {
            self.sndhwm as u64 + peer.rcvhwm as u64
        }
    }
}
