//! The tcp and ipc rows: PUSH→PULL 64 B and 64 KiB, REQ→REP round trip of
//! one byte, over loopback tcp and Unix domain sockets, for zactor, libzmq,
//! omq-tokio and zeromq (zmq.rs). The two ends of a workload are two
//! threads of this process pinned as the placement says; each end has its
//! own context or runtime, as two processes would. libzmq's and zactor's
//! I/O threads are theirs and unpinned; omq-tokio and zeromq run on a
//! current-thread tokio runtime per end, so their I/O runs on the pinned
//! thread itself.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use crate::{Body, Placement, RoundTrips};

/// A network transport of the comparison.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Transport {
    Tcp,
    Ipc,
}

impl Transport {
    pub const ALL: [Transport; 2] = [Transport::Tcp, Transport::Ipc];

    pub fn name(self) -> &'static str {
        match self {
            Transport::Tcp => "tcp",
            Transport::Ipc => "ipc",
        }
    }

    /// A fresh endpoint: a loopback port the kernel just handed out (bound
    /// and released; every implementation binds the same string), or a new
    /// path under the temp dir.
    pub fn endpoint(self) -> String {
        static SEQ: AtomicUsize = AtomicUsize::new(0);
        match self {
            Transport::Tcp => {
                let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
                format!("tcp://{}", listener.local_addr().expect("local_addr"))
            }
            Transport::Ipc => {
                let path = std::env::temp_dir().join(format!(
                    "zactor-compare-{}-{}.ipc",
                    std::process::id(),
                    SEQ.fetch_add(1, Ordering::Relaxed)
                ));
                format!("ipc://{}", path.display())
            }
        }
    }
}

/// Untimed round trips before the timed ones (the connection is made, the
/// caches warm).
const WARM_UP_ROUND_TRIPS: u32 = 100;

/// Round trips of `one`: `WARM_UP_ROUND_TRIPS` untimed, then timed ones
/// for `duration` from the end of the warm-up (a peer at milliseconds a
/// trip must not spend the window warming up).
fn time_round_trips(duration: Duration, mut one: impl FnMut()) -> RoundTrips {
    for _ in 0..WARM_UP_ROUND_TRIPS {
        one();
    }
    let mut samples = RoundTrips::with_capacity(1 << 14);
    let until = Instant::now() + duration;
    loop {
        let sent = Instant::now();
        one();
        let now = Instant::now();
        samples.push(now - sent);
        if now >= until {
            return samples;
        }
    }
}

pub type Thr = fn(&str, Body, u64, Placement) -> f64;
pub type Rtt = fn(&str, Duration, Placement) -> RoundTrips;

/// The network workloads of implementation `name` over `transport`; `None`
/// where it has none (the crossbeam floor).
pub fn workloads(name: &str, _transport: Transport) -> Option<(Thr, Rtt)> {
    match name {
        "zactor" => Some((zactor_net::push_pull, zactor_net::req_rep_round_trip)),
        "libzmq" => Some((libzmq_net::push_pull, libzmq_net::req_rep_round_trip)),
        "omq-tokio" => Some((omq_net::push_pull, omq_net::req_rep_round_trip)),
        "zeromq" => Some((zeromq_net::push_pull, zeromq_net::req_rep_round_trip)),
        _ => None,
    }
}

mod zactor_net {
    use zactor as zmq;
    include!("zmq_net.rs");
}

mod libzmq_net {
    use ::zmq;
    include!("zmq_net.rs");
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime")
}

/// Waits for `flag` while letting this thread's runtime run.
async fn until(flag: &std::sync::atomic::AtomicBool) {
    while !flag.load(Ordering::Acquire) {
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
}

/// omq-tokio 0.33 over tcp/ipc, as its inproc workloads in `main.rs`.
mod omq_net {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::{Arc, Barrier};
    use std::thread;
    use std::time::{Duration, Instant};

    use omq_tokio::{Message, Options, Socket, SocketType};

    use super::{runtime, until, WARM_UP_ROUND_TRIPS};
    use crate::{pin, Body, Placement, RoundTrips, PING, STOP};

    pub fn push_pull(endpoint: &str, body: Body, count: u64, placement: Placement) -> f64 {
        let bound = Arc::new(Barrier::new(2));
        let received = Arc::new(AtomicBool::new(false));
        let receiver = {
            let (endpoint, bound, received) =
                (endpoint.to_string(), bound.clone(), received.clone());
            thread::spawn(move || {
                pin(placement.core(false));
                runtime().block_on(async move {
                    let pull = Socket::new(SocketType::Pull, Options::default());
                    pull.bind(endpoint.as_str()).await.expect("bind");
                    bound.wait();
                    pull.recv().await.expect("recv");
                    let first = Instant::now();
                    for _ in 1..count {
                        pull.recv().await.expect("recv");
                    }
                    let rate = (count - 1) as f64 / first.elapsed().as_secs_f64();
                    received.store(true, Ordering::Release);
                    let _ = pull.close().await;
                    rate
                })
            })
        };
        let sender = {
            let endpoint = endpoint.to_string();
            thread::spawn(move || {
                pin(placement.core(true));
                runtime().block_on(async move {
                    bound.wait();
                    let push = Socket::new(SocketType::Push, Options::default());
                    push.connect(endpoint.as_str()).await.expect("connect");
                    match body {
                        Body::Small(size) => {
                            let body = vec![0u8; size];
                            for _ in 0..count {
                                push.send(Message::from_slice(&body)).await.expect("send");
                            }
                        }
                        Body::Moved(size) => {
                            for _ in 0..count {
                                push.send(Message::single(vec![0u8; size]))
                                    .await
                                    .expect("send");
                            }
                        }
                    }
                    until(&received).await;
                    let _ = push.close().await;
                })
            })
        };
        let rate = receiver.join().expect("receiver");
        sender.join().expect("sender");
        rate
    }

    pub fn req_rep_round_trip(
        endpoint: &str,
        duration: Duration,
        placement: Placement,
    ) -> RoundTrips {
        let bound = Arc::new(Barrier::new(2));
        let done = Arc::new(AtomicBool::new(false));
        let echo = {
            let (endpoint, bound, done) = (endpoint.to_string(), bound.clone(), done.clone());
            thread::spawn(move || {
                pin(placement.core(false));
                runtime().block_on(async move {
                    let rep = Socket::new(SocketType::Rep, Options::default());
                    rep.bind(endpoint.as_str()).await.expect("bind");
                    bound.wait();
                    loop {
                        let msg = rep.recv().await.expect("recv");
                        let stop = msg.part_slice(0).and_then(|p| p.first().copied()) == Some(STOP);
                        rep.send(msg).await.expect("send");
                        if stop {
                            break;
                        }
                    }
                    // The STOP echo must leave before the socket closes.
                    until(&done).await;
                    let _ = rep.close().await;
                })
            })
        };
        let client = {
            let endpoint = endpoint.to_string();
            thread::spawn(move || {
                pin(placement.core(true));
                runtime().block_on(async move {
                    bound.wait();
                    let req = Socket::new(SocketType::Req, Options::default());
                    req.connect(endpoint.as_str()).await.expect("connect");
                    for _ in 0..WARM_UP_ROUND_TRIPS {
                        req.send(Message::from_slice(&[PING])).await.expect("send");
                        req.recv().await.expect("recv");
                    }
                    let mut samples = RoundTrips::with_capacity(1 << 14);
                    let until_time = Instant::now() + duration;
                    loop {
                        let sent = Instant::now();
                        req.send(Message::from_slice(&[PING])).await.expect("send");
                        req.recv().await.expect("recv");
                        let now = Instant::now();
                        samples.push(now - sent);
                        if now >= until_time {
                            break;
                        }
                    }
                    req.send(Message::from_slice(&[STOP])).await.expect("send");
                    req.recv().await.expect("recv");
                    done.store(true, Ordering::Release);
                    let _ = req.close().await;
                    samples
                })
            })
        };
        let samples = client.join().expect("client");
        echo.join().expect("echo");
        samples
    }
}

/// zeromq (zmq.rs) 0.7 over tcp/ipc on its tokio runtime, a current-thread
/// runtime per end (its tasks are spawned on the runtime that runs them).
mod zeromq_net {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::{Arc, Barrier};
    use std::thread;
    use std::time::{Duration, Instant};

    use zeromq::{
        PullSocket, PushSocket, RepSocket, ReqSocket, Socket, SocketRecv, SocketSend, ZmqMessage,
    };

    use super::{runtime, until, WARM_UP_ROUND_TRIPS};
    use crate::{pin, Body, Placement, RoundTrips, PING, STOP};

    pub fn push_pull(endpoint: &str, body: Body, count: u64, placement: Placement) -> f64 {
        let bound = Arc::new(Barrier::new(2));
        let received = Arc::new(AtomicBool::new(false));
        let receiver = {
            let (endpoint, bound, received) =
                (endpoint.to_string(), bound.clone(), received.clone());
            thread::spawn(move || {
                pin(placement.core(false));
                runtime().block_on(async move {
                    let mut pull = PullSocket::new();
                    pull.bind(&endpoint).await.expect("bind");
                    bound.wait();
                    pull.recv().await.expect("recv");
                    let first = Instant::now();
                    for _ in 1..count {
                        pull.recv().await.expect("recv");
                    }
                    let rate = (count - 1) as f64 / first.elapsed().as_secs_f64();
                    received.store(true, Ordering::Release);
                    let _ = pull.close().await;
                    rate
                })
            })
        };
        let sender = {
            let endpoint = endpoint.to_string();
            thread::spawn(move || {
                pin(placement.core(true));
                runtime().block_on(async move {
                    bound.wait();
                    let mut push = PushSocket::new();
                    push.connect(&endpoint).await.expect("connect");
                    match body {
                        Body::Small(size) => {
                            let body = vec![0u8; size];
                            for _ in 0..count {
                                let msg = ZmqMessage::from(bytes::Bytes::copy_from_slice(&body));
                                push.send(msg).await.expect("send");
                            }
                        }
                        Body::Moved(size) => {
                            for _ in 0..count {
                                push.send(ZmqMessage::from(vec![0u8; size]))
                                    .await
                                    .expect("send");
                            }
                        }
                    }
                    until(&received).await;
                    let _ = push.close().await;
                })
            })
        };
        let rate = receiver.join().expect("receiver");
        sender.join().expect("sender");
        rate
    }

    pub fn req_rep_round_trip(
        endpoint: &str,
        duration: Duration,
        placement: Placement,
    ) -> RoundTrips {
        let bound = Arc::new(Barrier::new(2));
        let done = Arc::new(AtomicBool::new(false));
        let echo = {
            let (endpoint, bound, done) = (endpoint.to_string(), bound.clone(), done.clone());
            thread::spawn(move || {
                pin(placement.core(false));
                runtime().block_on(async move {
                    let mut rep = RepSocket::new();
                    rep.bind(&endpoint).await.expect("bind");
                    bound.wait();
                    loop {
                        let msg = rep.recv().await.expect("recv");
                        let stop = msg.get(0).and_then(|p| p.first().copied()) == Some(STOP);
                        rep.send(msg).await.expect("send");
                        if stop {
                            break;
                        }
                    }
                    // The STOP echo must leave before the socket closes.
                    until(&done).await;
                    let _ = rep.close().await;
                })
            })
        };
        let client = {
            let endpoint = endpoint.to_string();
            thread::spawn(move || {
                pin(placement.core(true));
                runtime().block_on(async move {
                    bound.wait();
                    let mut req = ReqSocket::new();
                    req.connect(&endpoint).await.expect("connect");
                    for _ in 0..WARM_UP_ROUND_TRIPS {
                        req.send(ZmqMessage::from(vec![PING])).await.expect("send");
                        req.recv().await.expect("recv");
                    }
                    let mut samples = RoundTrips::with_capacity(1 << 14);
                    let until_time = Instant::now() + duration;
                    loop {
                        let sent = Instant::now();
                        req.send(ZmqMessage::from(vec![PING])).await.expect("send");
                        req.recv().await.expect("recv");
                        let now = Instant::now();
                        samples.push(now - sent);
                        if now >= until_time {
                            break;
                        }
                    }
                    req.send(ZmqMessage::from(vec![STOP])).await.expect("send");
                    req.recv().await.expect("recv");
                    done.store(true, Ordering::Release);
                    let _ = req.close().await;
                    samples
                })
            })
        };
        let samples = client.join().expect("client");
        echo.join().expect("echo");
        samples
    }
}
