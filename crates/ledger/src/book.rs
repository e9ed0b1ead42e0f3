//! 三会一课记录本: an organization's year of held activities as a workbook, made from the
//! records so nobody types the book again (issue: organizational life, "fill once").
use rust_xlsxwriter::{Color, Format, FormatAlign, FormatBorder, Workbook};

use crate::{LedgerError, neutralize};

/// One held activity as the book shows it.
#[derive(Debug, Clone, Default)]
pub struct BookRow {
    pub when: String,
    pub kind: String,
    pub topic: String,
    pub place: String,
    pub host: String,
    pub recorder: String,
    pub lecturer: String,
    pub due: i64,
    pub present: String,
    pub leave: String,
    pub absent: String,
    pub content: String,
    pub decisions: String,
    pub status: String,
}

const COLUMNS: [(&str, f64); 14] = [
    ("时间", 17.0),
    ("类型", 12.0),
    ("主题", 30.0),
    ("地点", 18.0),
    ("主持人", 9.0),
    ("记录人", 9.0),
    ("授课人", 9.0),
    ("应到", 6.0),
    ("出席", 30.0),
    ("请假（事由）", 24.0),
    ("缺席", 14.0),
    ("主要内容", 50.0),
    ("决定事项", 30.0),
    ("审核状态", 9.0),
];

/// The book as bytes: a title row, a header, one row per activity, wrapped text, printable on A4
/// landscape with the header repeated on every page.
pub fn record_book(org_name: &str, year: i32, rows: &[BookRow]) -> Result<Vec<u8>, LedgerError> {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet().set_name(format!("{year}年三会一课"))?;
    let title = Format::new().set_bold().set_font_size(15).set_align(FormatAlign::Center);
    let head = Format::new()
        .set_bold()
        .set_font_color(Color::White)
        .set_background_color(Color::RGB(0xC8161D))
        .set_border(FormatBorder::Thin)
        .set_align(FormatAlign::Center);
    let cell = Format::new().set_text_wrap().set_border(FormatBorder::Thin).set_align(FormatAlign::Top);
    ws.merge_range(0, 0, 0, COLUMNS.len() as u16 - 1, &format!("{org_name} {year}年“三会一课”记录"), &title)?;
    for (c, (t, w)) in COLUMNS.iter().enumerate() {
        ws.write_string_with_format(1, c as u16, *t, &head)?;
        ws.set_column_width(c as u16, *w)?;
    }
    ws.set_freeze_panes(2, 0)?;
    ws.set_landscape();
    ws.set_paper_size(9);
    ws.set_repeat_rows(1, 1)?;
    for (i, r) in rows.iter().enumerate() {
        let row = i as u32 + 2;
        let texts = [&r.when, &r.kind, &r.topic, &r.place, &r.host, &r.recorder, &r.lecturer];
        for (c, t) in texts.iter().enumerate() {
            ws.write_string_with_format(row, c as u16, neutralize(t), &cell)?;
        }
        ws.write_number_with_format(row, 7, r.due as f64, &cell)?;
        for (c, t) in [&r.present, &r.leave, &r.absent, &r.content, &r.decisions, &r.status].iter().enumerate() {
            ws.write_string_with_format(row, 8 + c as u16, neutralize(t), &cell)?;
        }
    }
    if rows.is_empty() {
        ws.write_string(2, 0, "本年度尚无已开展的活动记录")?;
    }
    Ok(wb.save_to_buffer()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_book_reads_back_with_its_rows() {
        let rows = vec![BookRow {
            when: "2026-03-10 15:30".into(),
            kind: "主题党日".into(),
            topic: "=学习".into(),
            due: 12,
            present: "王芳、李强".into(),
            ..Default::default()
        }];
        let bytes = record_book("金乡县第一中学党委", 2026, &rows).unwrap();
        let sheets = crate::read::read(bytes, &crate::read::Limits::default()).unwrap();
        let s = &sheets[0];
        assert_eq!(s.name, "2026年三会一课");
        // The title is the first non-empty row (read as headers); the column titles follow.
        assert!(s.headers.iter().any(|c| c.contains("金乡县第一中学党委 2026年")), "{:?}", s.headers);
        let cells: Vec<String> = s.rows.iter().flat_map(|r| r.cells().map(str::to_string)).collect();
        assert!(cells.iter().any(|c| c == "主要内容"));
        assert!(cells.iter().any(|c| c == "'=学习"), "formula-like text stays text (S20)");
        assert!(cells.iter().any(|c| c == "王芳、李强"));
    }
}
