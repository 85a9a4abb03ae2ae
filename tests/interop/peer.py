"""The pyzmq side of tests/pyzmq.rs, run as
`python3 peer.py ROLE bind|connect ENDPOINT [ARG...]`: a socket playing ROLE
binds or connects to ENDPOINT (a bound one prints its real endpoint, e.g.
the port of `tcp://127.0.0.1:*`, on the first line of stdout). Every role
prints "OK" last when its checks passed, and exits nonzero (with the reason
on stderr) when they did not. Every receive has a 10 s timeout, so nothing
hangs; the test kills the roles that never end on their own."""
import os
import signal
import sys
import time

import zmq
from zmq.utils.monitor import recv_monitor_message

TIMEOUT_MS = 10_000
BIG = 16 << 20


def sock(ctx, kind):
    s = ctx.socket(kind)
    s.setsockopt(zmq.RCVTIMEO, TIMEOUT_MS)
    s.setsockopt(zmq.SNDTIMEO, TIMEOUT_MS)
    s.setsockopt(zmq.LINGER, 2000)
    return s


def attach(s, how, endpoint):
    if how == "bind":
        s.bind(endpoint)
        print(s.getsockopt(zmq.LAST_ENDPOINT).decode(), flush=True)
    elif how == "connect":
        s.connect(endpoint)
    else:
        raise SystemExit("bind or connect, not " + how)


def connection_events(monitor):
    """(handshakes, disconnects) seen so far on a monitor socket."""
    handshakes = disconnects = 0
    while monitor.poll(100):
        event = recv_monitor_message(monitor)["event"]
        if event == zmq.EVENT_HANDSHAKE_SUCCEEDED:
            handshakes += 1
        elif event == zmq.EVENT_DISCONNECTED:
            disconnects += 1
    return handshakes, disconnects


def main():
    role, how, endpoint = sys.argv[1:4]
    args = sys.argv[4:]
    ctx = zmq.Context()
    kinds = {
        "rep": zmq.REP, "req": zmq.REQ, "sub": zmq.SUB, "xpub": zmq.XPUB,
        "xsub": zmq.XSUB, "dealer": zmq.DEALER, "router": zmq.ROUTER,
        "push": zmq.PUSH, "pull": zmq.PULL, "pair": zmq.PAIR,
        "hb-router": zmq.ROUTER, "hb-dealer": zmq.DEALER,
        "sleeper": zmq.DEALER, "echo": zmq.REP, "rrclient": zmq.REQ,
        "syncsub": zmq.SUB,
    }
    s = sock(ctx, kinds[role])
    monitor = None
    if role == "sub":
        s.setsockopt(zmq.SUBSCRIBE, b"10001 ")
    elif role == "dealer":
        s.setsockopt(zmq.IDENTITY, b"py-dealer")
    elif role == "sleeper":
        s.setsockopt(zmq.IDENTITY, b"sleeper")
    elif role == "hb-dealer":
        # libzmq sends the PINGs; zactor must answer them.
        s.setsockopt(zmq.HEARTBEAT_IVL, 50)
        s.setsockopt(zmq.HEARTBEAT_TIMEOUT, 150)
    elif role == "syncsub":
        s.setsockopt(zmq.RCVHWM, 0)
        s.setsockopt(zmq.SUBSCRIBE, b"")
    if role in ("hb-router", "hb-dealer"):
        monitor = s.get_monitor_socket()
    attach(s, how, endpoint)

    if role == "rep":
        for i in range(10):
            assert s.recv() == b"Hello %d" % i
            s.send(b"World %d" % i)
    elif role == "req":
        for i in range(10):
            s.send(b"Hello %d" % i)
            assert s.recv() == b"World %d" % i
    elif role == "sub":
        # Behind a zactor XPUB, which publishes once it has seen the
        # subscription: only the matching updates arrive.
        for i in range(5):
            assert s.recv() == b"10001 update %d" % i
    elif role == "xpub":
        # The zactor SUB's subscription arrives, then its unsubscription.
        assert s.recv() == b"\x01A"
        for i in range(5):
            s.send(b"B not wanted %d" % i)
            s.send(b"A wanted %d" % i)
        assert s.recv() == b"\x00A"
    elif role == "xsub":
        # Subscribes by sending the frame; the zactor XPUB publishes.
        s.send(b"\x01A")
        for i in range(5):
            assert s.recv() == b"A wanted %d" % i
        s.send(b"\x00A")
    elif role == "dealer":
        s.send_multipart([b"", b"request"])
        assert s.recv_multipart() == [b"", b"reply"]
    elif role == "router":
        assert s.recv_multipart() == [b"zactor-dealer", b"", b"request"]
        s.send_multipart([b"zactor-dealer", b"", b"reply"])
    elif role == "push":
        # Multipart, an empty body and a 16 MiB body.
        s.send_multipart([b"a", b"", b"c"])
        s.send(b"")
        s.send(b"x" * BIG)
        s.send(b"END")
    elif role == "pull":
        assert s.recv_multipart() == [b"a", b"", b"c"]
        assert s.recv() == b""
        big = s.recv()
        assert len(big) == BIG and big == b"y" * BIG
    elif role == "pair":
        for _ in range(100):
            s.send(s.recv())
    elif role == "hb-router":
        # A zactor DEALER with heartbeats: the connection must outlive an
        # idle second, many of its heartbeat timeouts (libzmq PONGs).
        first = s.recv_multipart()
        second = s.recv_multipart()
        assert first[1:] == [b"first"] and second[1:] == [b"second"], (first, second)
        events = connection_events(monitor)
        assert events == (1, 0), "handshakes, disconnects: %s" % (events,)
        s.send_multipart([first[0], b"done"])
    elif role == "hb-dealer":
        # libzmq PINGs zactor across an idle second: zactor's PONGs keep
        # the connection up (else libzmq would drop it after 150 ms).
        s.send(b"first")
        time.sleep(1.0)
        s.send(b"second")
        assert s.recv() == b"done"
        events = connection_events(monitor)
        assert events == (1, 0), "handshakes, disconnects: %s" % (events,)
    elif role == "sleeper":
        # Says hello, then stops dead (SIGSTOP): its kernel keeps the TCP
        # connection up, so only heartbeats can tell it is gone.
        s.send(b"hello")
        assert s.recv() == b"go to sleep"
        print("sleeping", flush=True)
        os.kill(os.getpid(), signal.SIGSTOP)
    elif role == "echo":
        # Echoes until killed (or idle for 10 s).
        while True:
            try:
                request = s.recv()
            except zmq.Again:
                break
            s.send(request)
            print("echoed", request.decode(), flush=True)
    elif role == "rrclient":
        # The guide's rrclient/hwclient: ten Hellos, ten Worlds.
        for _ in range(10):
            s.send(b"Hello")
            assert s.recv() == b"World"
    elif role == "syncsub":
        # The guide's syncsub against zactor's syncpub (args: the sync
        # endpoint): wait for Hello, synchronise, count until END.
        s.recv()
        sync = sock(ctx, zmq.REQ)
        sync.connect(args[0])
        sync.send(b"")
        sync.recv()
        updates = 0
        while True:
            message = s.recv()
            if message == b"END":
                break
            if message != b"Hello":
                updates += 1
        print("Received %d updates" % updates, flush=True)
        sync.close()
    else:
        raise SystemExit("unknown role " + role)
    print("OK", flush=True)
    if monitor is not None:
        s.disable_monitor()
        monitor.close()
    s.close()
    ctx.term()


if __name__ == "__main__":
    main()
