//! The `Proxy` actor (CZMQ zproxy): configured by acknowledged commands,
//! forwarding whole messages, capture, pause and resume, errors that leave
//! it running, and an end on drop.

mod common;

use common::{bound, bounded, connected, endpoint, recv_str};
use zactor as zmq;

#[test]
fn forwards_whole_messages_and_captures_every_frame() {
    bounded(|| {
        let ctx = zmq::Context::new();
        let capture = bound(&ctx, zmq::PULL, &endpoint("zproxy-capture"));
        let proxy = zmq::Proxy::new(&ctx).unwrap();
        proxy
            .frontend(zmq::PULL, &endpoint("zproxy-front"))
            .unwrap();
        proxy
            .backend(zmq::PUSH, &format!("@{}", endpoint("zproxy-back")))
            .unwrap();
        proxy.capture(&endpoint("zproxy-capture")).unwrap();
        let client = connected(&ctx, zmq::PUSH, &endpoint("zproxy-front"));
        let worker = connected(&ctx, zmq::PULL, &endpoint("zproxy-back"));
        for i in 0..100 {
            client
                .send_multipart([format!("part-a-{i}"), format!("part-b-{i}")], 0)
                .unwrap();
        }
        for i in 0..100 {
            assert_eq!(
                worker.recv_multipart(0).unwrap(),
                vec![
                    format!("part-a-{i}").into_bytes(),
                    format!("part-b-{i}").into_bytes()
                ]
            );
            assert_eq!(
                capture.recv_multipart(0).unwrap(),
                vec![
                    format!("part-a-{i}").into_bytes(),
                    format!("part-b-{i}").into_bytes()
                ]
            );
        }
    });
}

#[test]
fn pause_holds_messages_and_resume_releases_them() {
    bounded(|| {
        let ctx = zmq::Context::new();
        let proxy = zmq::Proxy::new(&ctx).unwrap();
        proxy
            .frontend(zmq::PULL, &endpoint("zproxy-pause-front"))
            .unwrap();
        proxy
            .backend(zmq::PUSH, &endpoint("zproxy-pause-back"))
            .unwrap();
        let client = connected(&ctx, zmq::PUSH, &endpoint("zproxy-pause-front"));
        let worker = connected(&ctx, zmq::PULL, &endpoint("zproxy-pause-back"));
        client.send("before", 0).unwrap();
        assert_eq!(recv_str(&worker), "before");
        proxy.pause().unwrap();
        client.send("held", 0).unwrap();
        // Paused: the acknowledged PAUSE means the proxy no longer reads;
        // give it a generous window to misbehave.
        assert_eq!(worker.poll(zmq::POLLIN, 100).unwrap(), 0);
        proxy.resume().unwrap();
        assert_eq!(recv_str(&worker), "held");
    });
}

#[test]
fn a_bad_command_is_refused_and_the_proxy_keeps_running() {
    bounded(|| {
        let ctx = zmq::Context::new();
        let proxy = zmq::Proxy::new(&ctx).unwrap();
        assert_eq!(
            proxy.frontend(zmq::PULL, "bogus-endpoint"),
            Err(zmq::Error::EINVAL)
        );
        assert_eq!(
            proxy.frontend(zmq::PULL, "tcp-like://x"),
            Err(zmq::Error::EPROTONOSUPPORT)
        );
        proxy
            .actor()
            .send_multipart(["FRONTEND", "NOSUCHTYPE", "inproc://x"], 0)
            .unwrap();
        let reply = proxy.actor().recv_string(0).unwrap().unwrap();
        assert_eq!(reply, format!("$ERROR {}", zmq::Error::EINVAL.to_raw()));
        proxy
            .frontend(zmq::PULL, &endpoint("zproxy-bad-front"))
            .unwrap();
        proxy
            .backend(zmq::PUSH, &endpoint("zproxy-bad-back"))
            .unwrap();
        let client = connected(&ctx, zmq::PUSH, &endpoint("zproxy-bad-front"));
        let worker = connected(&ctx, zmq::PULL, &endpoint("zproxy-bad-back"));
        client.send("still works", 0).unwrap();
        assert_eq!(recv_str(&worker), "still works");
        drop(proxy);
        let mut ctx = ctx;
        drop((client, worker));
        ctx.destroy().unwrap();
    });
}
