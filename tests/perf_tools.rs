//! The libzmq-style perf tools (`examples/local_thr.rs`, `remote_thr.rs`,
//! `local_lat.rs`, `remote_lat.rs`) run as child processes over tcp and ipc
//! with small counts; their output must be libzmq's lines, with numbers that
//! parse.
//!
//! The example binaries are built by `cargo build --example …` (the same
//! profile as this test) when they are not there yet: `cargo test --test
//! perf_tools` alone does not build examples.

use std::io::Read;
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Once;
use std::time::{Duration, Instant};

use zactor as zmq;

const TOOLS: [&str; 4] = ["local_thr", "remote_thr", "local_lat", "remote_lat"];
/// How long any one child may run.
const CHILD_LIMIT: Duration = Duration::from_secs(60);

/// `target/<profile>/examples/<name>`, next to this test's `deps/`.
fn example(name: &str) -> PathBuf {
    static BUILT: Once = Once::new();
    let exe = std::env::current_exe().expect("current_exe");
    let profile_dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("target/<profile>/deps");
    let path = profile_dir
        .join("examples")
        .join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    BUILT.call_once(|| {
        let mut cargo = Command::new(env!("CARGO"));
        cargo.current_dir(env!("CARGO_MANIFEST_DIR")).arg("build");
        if !cfg!(debug_assertions) {
            cargo.arg("--release");
        }
        for tool in TOOLS {
            cargo.args(["--example", tool]);
        }
        let status = cargo.status().expect("run cargo build");
        assert!(status.success(), "cargo build of the perf examples failed");
    });
    assert!(path.exists(), "{} was not built", path.display());
    path
}

fn spawn(name: &str, args: &[&str]) -> Child {
    Command::new(example(name))
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn example")
}

/// Waits for `child` within `CHILD_LIMIT`; kills it (and fails) past that.
fn finish(mut child: Child, what: &str) -> Output {
    let deadline = Instant::now() + CHILD_LIMIT;
    loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            let mut stdout = Vec::new();
            let mut stderr = Vec::new();
            child
                .stdout
                .take()
                .unwrap()
                .read_to_end(&mut stdout)
                .unwrap();
            child
                .stderr
                .take()
                .unwrap()
                .read_to_end(&mut stderr)
                .unwrap();
            return Output {
                status,
                stdout,
                stderr,
            };
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{what} still running after {CHILD_LIMIT:?}");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn stdout_of(output: &Output, what: &str) -> String {
    assert!(
        output.status.success(),
        "{what} failed: {:?}, stderr: {}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout.clone()).expect("UTF-8 output")
}

/// A free loopback tcp endpoint: bound with `:*`, read back, released.
fn tcp_endpoint() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    format!("tcp://{}", listener.local_addr().expect("local_addr"))
}

/// A fresh ipc path under the temp dir.
fn ipc_endpoint() -> String {
    static SEQ: AtomicUsize = AtomicUsize::new(0);
    let path = std::env::temp_dir().join(format!(
        "zactor-perf-{}-{}.ipc",
        std::process::id(),
        SEQ.fetch_add(1, Ordering::Relaxed)
    ));
    format!("ipc://{}", path.display())
}

/// The value of `line` (`"{label}: {value}"`), the unit stripped.
fn value<'a>(line: &'a str, label: &str, unit: &str) -> &'a str {
    let rest = line
        .strip_prefix(label)
        .and_then(|r| r.strip_prefix(": "))
        .unwrap_or_else(|| panic!("{line:?} is not {label:?}"));
    rest.strip_suffix(unit)
        .unwrap_or_else(|| panic!("{line:?} lacks {unit:?}"))
        .trim_end()
}

/// local_thr's four lines, checked against what was sent.
fn check_thr_output(out: &str, size: usize, count: usize) {
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 4, "{out}");
    assert_eq!(value(lines[0], "message size", "[B]"), size.to_string());
    assert_eq!(value(lines[1], "message count", ""), count.to_string());
    let rate: u64 = value(lines[2], "mean throughput", "[msg/s]")
        .parse()
        .expect("msg/s");
    assert!(rate > 0, "{out}");
    let megabits = value(lines[3], "mean throughput", "[Mb/s]");
    let (_, decimals) = megabits.split_once('.').expect("X.XXX");
    assert_eq!(decimals.len(), 3, "{out}");
    let megabits: f64 = megabits.parse().expect("Mb/s");
    let expected = rate as f64 * size as f64 * 8.0 / 1e6;
    // The printed msg/s is truncated; the megabits use the exact rate.
    assert!(
        megabits >= expected - 1e-3 && megabits <= expected * 1.01 + 1e-3,
        "{out}"
    );
}

/// local_thr with a PUSH in this process, which keeps its context until
/// local_thr has exited (it has then received every message).
fn local_thr_receives_from(endpoint: &str, size: usize, count: usize) {
    let local = spawn(
        "local_thr",
        &[endpoint, &size.to_string(), &count.to_string()],
    );
    let ctx = zmq::Context::new();
    let push = ctx.socket(zmq::PUSH).unwrap();
    push.set_sndtimeo(CHILD_LIMIT.as_millis() as i32).unwrap();
    push.connect(endpoint).unwrap();
    for _ in 0..count {
        push.send(zmq::Message::with_size(size), 0).unwrap();
    }
    let out = stdout_of(&finish(local, "local_thr"), "local_thr");
    check_thr_output(&out, size, count);
}

/// local_thr and remote_thr, both children.
fn thr_pair(endpoint: &str, size: usize, count: usize) {
    let args = [endpoint.to_string(), size.to_string(), count.to_string()];
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let local = spawn("local_thr", &args);
    let remote = spawn("remote_thr", &args);
    let remote_out = stdout_of(&finish(remote, "remote_thr"), "remote_thr");
    assert_eq!(remote_out, "", "remote_thr prints nothing");
    let out = stdout_of(&finish(local, "local_thr"), "local_thr");
    check_thr_output(&out, size, count);
}

/// local_lat and remote_lat, both children; remote_lat's three lines.
fn lat_pair(endpoint: &str, size: usize, count: usize) {
    let args = [endpoint.to_string(), size.to_string(), count.to_string()];
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let local = spawn("local_lat", &args);
    let remote = spawn("remote_lat", &args);
    let out = stdout_of(&finish(remote, "remote_lat"), "remote_lat");
    let local_out = stdout_of(&finish(local, "local_lat"), "local_lat");
    assert_eq!(local_out, "", "local_lat prints nothing");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 3, "{out}");
    assert_eq!(value(lines[0], "message size", "[B]"), size.to_string());
    assert_eq!(value(lines[1], "roundtrip count", ""), count.to_string());
    let latency = value(lines[2], "average latency", "[us]");
    let (_, decimals) = latency.split_once('.').expect("X.XXX");
    assert_eq!(decimals.len(), 3, "{out}");
    let latency: f64 = latency.parse().expect("us");
    assert!(latency > 0.0, "{out}");
}

#[test]
fn local_thr_over_tcp() {
    local_thr_receives_from(&tcp_endpoint(), 64, 10_000);
    local_thr_receives_from(&tcp_endpoint(), 64 * 1024, 200);
}

#[test]
fn local_thr_over_ipc() {
    local_thr_receives_from(&ipc_endpoint(), 64, 10_000);
    local_thr_receives_from(&ipc_endpoint(), 64 * 1024, 200);
}

#[test]
fn local_thr_and_remote_thr_over_tcp() {
    thr_pair(&tcp_endpoint(), 64, 10_000);
    thr_pair(&tcp_endpoint(), 64 * 1024, 200);
}

#[test]
fn local_thr_and_remote_thr_over_ipc() {
    thr_pair(&ipc_endpoint(), 64, 10_000);
    thr_pair(&ipc_endpoint(), 64 * 1024, 200);
}

#[test]
fn local_lat_and_remote_lat_over_tcp() {
    lat_pair(&tcp_endpoint(), 1, 1000);
}

#[test]
fn local_lat_and_remote_lat_over_ipc() {
    lat_pair(&ipc_endpoint(), 1, 1000);
}

#[test]
fn a_bad_command_line_prints_libzmqs_usage() {
    for (tool, what) in [
        ("local_thr", "<bind-to> <message-size> <message-count>"),
        ("remote_thr", "<connect-to> <message-size> <message-count>"),
        ("local_lat", "<bind-to> <message-size> <roundtrip-count>"),
        (
            "remote_lat",
            "<connect-to> <message-size> <roundtrip-count>",
        ),
    ] {
        let output = finish(spawn(tool, &["tcp://127.0.0.1:1", "x"]), tool);
        assert!(
            !output.status.success(),
            "{tool} accepted a bad command line"
        );
        assert_eq!(
            String::from_utf8_lossy(&output.stdout),
            format!("usage: {tool} {what}\n")
        );
    }
}
