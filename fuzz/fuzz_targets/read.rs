//! The workbook reader on any bytes (SECURITY S19): it answers with sheets or a refusal, within
//! its limits, and never panics or runs away.
#![no_main]
use libfuzzer_sys::fuzz_target;

/// calamine panics on some malformed structures; `read` catches them (`catch_unwind`) and reports
/// damage, as it does in the server. libFuzzer's hook would abort on the caught panic, so it is
/// replaced: what remains to find are aborts, runaway memory, hangs and panics not caught.
fn quiet_panics() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| std::panic::set_hook(Box::new(|_| {})));
}

fuzz_target!(|data: &[u8]| {
    quiet_panics();
    let limits = hongzhu_ledger::read::Limits::default();
    let _ = hongzhu_ledger::read::read(data.to_vec(), &limits);
});
