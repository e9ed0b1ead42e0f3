//! The validator on whatever the reader makes of any bytes, and on sheets built from them
//! directly: every problem becomes a report row, nothing panics.
#![no_main]
use hongzhu_ledger::read::{RowData, SheetData};
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
    let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 26).expect("a date");
    let empty = hongzhu_core::synth::Dataset::default();
    if let Ok(sheets) = hongzhu_ledger::read::read(data.to_vec(), &Default::default()) {
        let _ = hongzhu_ledger::validate::validate(&sheets, &empty, today);
    }
    // Text cells straight from the input: lines are rows, tabs are cells; the first byte picks
    // the sheet, the first line is the header row.
    let Some((&first, rest)) = data.split_first() else { return };
    let text = String::from_utf8_lossy(rest);
    let mut lines = text.lines();
    let headers: Vec<String> = lines.next().unwrap_or("").split('\t').map(str::to_string).collect();
    let rows: Vec<RowData> = lines
        .enumerate()
        .map(|(i, l)| RowData { row: i as u32 + 2, cells: l.split('\t').map(str::to_string).collect(), long_numbers: Vec::new() })
        .collect();
    let sheets = hongzhu_ledger::validate::SHEETS;
    let sheet = SheetData { name: sheets[first as usize % sheets.len()].0.to_string(), header_row: 1, headers, rows };
    let _ = hongzhu_ledger::validate::validate(&[sheet], &empty, today);
});
