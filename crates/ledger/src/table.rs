//! A plain list as a workbook: a title row, a coloured header, one row per record, printable on
//! A4 landscape with the header repeated — for the registers that are lists (the development
//! roster, the dues ledger …).
use rust_xlsxwriter::{Color, Format, FormatAlign, FormatBorder, Workbook};

use crate::{LedgerError, neutralize};

/// A cell: text (neutralized, S20) or a number.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    Number(f64),
}

impl From<&str> for Cell {
    fn from(s: &str) -> Self {
        Cell::Text(s.to_string())
    }
}

impl From<String> for Cell {
    fn from(s: String) -> Self {
        Cell::Text(s)
    }
}

/// `columns`: header and width. Every row has one cell per column.
pub fn table(title: &str, sheet: &str, columns: &[(&str, f64)], rows: &[Vec<Cell>]) -> Result<Vec<u8>, LedgerError> {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet().set_name(sheet)?;
    let title_f = Format::new().set_bold().set_font_size(15).set_align(FormatAlign::Center);
    let head = Format::new()
        .set_bold()
        .set_font_color(Color::White)
        .set_background_color(Color::RGB(0xC8161D))
        .set_border(FormatBorder::Thin)
        .set_align(FormatAlign::Center);
    let cell = Format::new().set_text_wrap().set_border(FormatBorder::Thin).set_align(FormatAlign::Top);
    let last = columns.len().saturating_sub(1) as u16;
    if last > 0 {
        ws.merge_range(0, 0, 0, last, title, &title_f)?;
    } else {
        ws.write_string_with_format(0, 0, title, &title_f)?;
    }
    for (c, (t, w)) in columns.iter().enumerate() {
        ws.write_string_with_format(1, c as u16, *t, &head)?;
        ws.set_column_width(c as u16, *w)?;
    }
    ws.set_freeze_panes(2, 0)?;
    ws.set_landscape();
    ws.set_paper_size(9);
    ws.set_repeat_rows(1, 1)?;
    for (i, r) in rows.iter().enumerate() {
        let row = i as u32 + 2;
        for (c, v) in r.iter().enumerate() {
            match v {
                Cell::Text(t) => ws.write_string_with_format(row, c as u16, neutralize(t), &cell)?,
                Cell::Number(n) => ws.write_number_with_format(row, c as u16, *n, &cell)?,
            };
        }
    }
    if rows.is_empty() {
        ws.write_string(2, 0, "（无记录）")?;
    }
    Ok(wb.save_to_buffer()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_table_reads_back() {
        let rows = vec![vec![Cell::from("王芳"), Cell::Number(7.0), Cell::from("=1+1")]];
        let bytes = table("发展党员台账", "台账", &[("姓名", 8.0), ("步骤", 6.0), ("备注", 20.0)], &rows).unwrap();
        let sheets = crate::read::read(bytes, &crate::read::Limits::default()).unwrap();
        let cells: Vec<String> = sheets[0].rows.iter().flat_map(|r| r.cells().map(str::to_string)).collect();
        assert!(cells.iter().any(|c| c == "王芳"));
        assert!(cells.iter().any(|c| c == "7"), "{cells:?}");
        assert!(cells.iter().any(|c| c == "'=1+1"));
    }
}
