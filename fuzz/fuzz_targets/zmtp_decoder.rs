//! Arbitrary bytes from a peer through a ZMTP connection: greeting, NULL
//! handshake, traffic. The input layout (a control octet, then the peer's
//! bytes) is described in `src/transport/zmtp/fuzz.rs`. Any panic, abort or
//! runaway allocation is a bug.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    zactor::__fuzz::zmtp(data);
});
