"""The pyzmq side of tests/pyzmq.rs: one mode per test, run as
`python3 peer.py MODE [ENDPOINT]`. A mode that binds prints its endpoint on
the first line of stdout; every mode prints "OK" last when its checks
passed, and exits nonzero (with the reason on stderr) when they did not.
Every receive has a 10 s timeout, so nothing hangs."""
import sys
import zmq

TIMEOUT_MS = 10_000


def sock(ctx, kind):
    s = ctx.socket(kind)
    s.setsockopt(zmq.RCVTIMEO, TIMEOUT_MS)
    s.setsockopt(zmq.SNDTIMEO, TIMEOUT_MS)
    s.setsockopt(zmq.LINGER, 2000)
    return s


def bind(s):
    s.bind("tcp://127.0.0.1:*")
    print(s.getsockopt(zmq.LAST_ENDPOINT).decode(), flush=True)


def main():
    mode = sys.argv[1]
    ctx = zmq.Context()
    if mode == "rep-bind":
        # REP bound here; the zactor REQ sends ten requests.
        s = sock(ctx, zmq.REP)
        bind(s)
        for i in range(10):
            assert s.recv() == b"Hello %d" % i
            s.send(b"World %d" % i)
    elif mode == "req-connect":
        s = sock(ctx, zmq.REQ)
        s.connect(sys.argv[2])
        for i in range(10):
            s.send(b"Hello %d" % i)
            assert s.recv() == b"World %d" % i
    elif mode == "sub-connect":
        # SUB with a filter behind a zactor XPUB, which publishes once it
        # has seen the subscription: both directions of propagation.
        s = sock(ctx, zmq.SUB)
        s.setsockopt(zmq.SUBSCRIBE, b"10001 ")
        s.connect(sys.argv[2])
        for i in range(5):
            assert s.recv() == b"10001 update %d" % i
    elif mode == "dealer-connect":
        s = sock(ctx, zmq.DEALER)
        s.setsockopt(zmq.IDENTITY, b"py-dealer")
        s.connect(sys.argv[2])
        s.send_multipart([b"", b"request"])
        assert s.recv_multipart() == [b"", b"reply"]
    elif mode == "push-bind":
        # Multipart, an empty body and a 16 MiB body to a zactor PULL.
        s = sock(ctx, zmq.PUSH)
        bind(s)
        s.send_multipart([b"a", b"", b"c"])
        s.send(b"")
        s.send(b"x" * (16 << 20))
        s.send(b"END")
    elif mode == "pull-bind":
        s = sock(ctx, zmq.PULL)
        bind(s)
        assert s.recv_multipart() == [b"a", b"", b"c"]
        assert s.recv() == b""
        big = s.recv()
        assert len(big) == 16 << 20 and big == b"y" * (16 << 20)
    elif mode == "pair-bind":
        s = sock(ctx, zmq.PAIR)
        bind(s)
        for _ in range(100):
            s.send(s.recv())
    else:
        raise SystemExit("unknown mode " + mode)
    print("OK", flush=True)
    s.close()
    ctx.term()


if __name__ == "__main__":
    main()
