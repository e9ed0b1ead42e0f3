//! The Excel side of Hongzhu: workbooks people open in Excel, WPS and LibreOffice.
#![forbid(unsafe_code)]

pub mod book;
pub mod coverage;
mod ods_guard;
pub mod read;
pub mod table;
pub mod validate;
pub mod write;
mod xls_guard;

pub use book::{BookRow, record_book};

/// S20: text that a spreadsheet could take for a formula (starting with `= + - @`, a tab or a CR)
/// is prefixed with an apostrophe, so it stays text when the cell is edited or saved as CSV.
pub fn neutralize(text: &str) -> String {
    match text.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{text}"),
        _ => text.to_string(),
    }
}

#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    #[error("cannot write the workbook: {0}")]
    Write(#[from] rust_xlsxwriter::XlsxError),
}

#[cfg(test)]
mod tests {
    #[test]
    fn formula_like_text_is_neutralized() {
        assert_eq!(super::neutralize("=SUM(A1)"), "'=SUM(A1)");
        assert_eq!(super::neutralize("+86"), "'+86");
        assert_eq!(super::neutralize("金乡县"), "金乡县");
    }
}
