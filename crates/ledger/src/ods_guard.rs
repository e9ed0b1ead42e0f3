//! calamine reads an .ods into dense ranges too, expanding `number-rows-repeated` and
//! `number-columns-repeated`: a 20 KB file that repeats a filled cell across columns and a
//! million rows makes it allocate gigabytes and abort (S19). Before calamine sees an .ods, its
//! content is walked here as a stream, every filled cell placed with its repeats, and a sheet
//! that reaches past column AZ, past the row limit, or over a dense-range budget is refused.
use std::io::{BufReader, Cursor, Read};

use quick_xml::events::{BytesStart, Event};

use crate::read::{Limits, ReadError, cell_ref};

/// The most cells a dense range of one .ods sheet may span (160,000 rows × 50 columns); larger
/// ledgers go in .xlsx, which is read as a stream.
const MAX_DENSE_CELLS: u64 = 8_000_000;

fn repeats(e: &BytesStart, key: &str) -> u64 {
    e.attributes().flatten().find(|a| a.key.as_ref() == key).and_then(|a| a.value.trim().parse::<u64>().ok()).unwrap_or(1).max(1)
}

fn has_value(e: &BytesStart) -> bool {
    e.attributes().flatten().any(|a| a.key.as_ref() == "office:value-type")
}

fn table_name(e: &BytesStart, n: usize) -> String {
    e.attributes()
        .flatten()
        .find(|a| a.key.as_ref() == "table:name")
        .map(|a| a.value.to_string())
        .unwrap_or_else(|| format!("第{n}个工作表 / sheet {n}"))
}

struct Sheet {
    name: String,
    rows: (u64, u64),
    cols: (u64, u64),
    filled: bool,
}

impl Sheet {
    fn note(&mut self, r0: u64, c0: u64, r1: u64, c1: u64, limits: &Limits) -> Result<(), ReadError> {
        if c1 > u64::from(limits.max_col) {
            return Err(ReadError::BeyondColumns {
                sheet: self.name.clone(),
                cell: cell_ref(r0.min(u64::from(u32::MAX)) as u32, c1.min(16_383) as u32),
            });
        }
        if r1 > u64::from(limits.max_rows) {
            return Err(ReadError::TooManyRows { sheet: self.name.clone(), limit: limits.max_rows });
        }
        if self.filled {
            self.rows = (self.rows.0.min(r0), self.rows.1.max(r1));
            self.cols = (self.cols.0.min(c0), self.cols.1.max(c1));
        } else {
            (self.rows, self.cols, self.filled) = ((r0, r1), (c0, c1), true);
        }
        let span = (self.rows.1 - self.rows.0 + 1).saturating_mul(self.cols.1 - self.cols.0 + 1);
        if span > MAX_DENSE_CELLS {
            return Err(ReadError::Damaged(format!(
                "工作表“{}”的 .ods 数据区域达 {span} 个单元格，超过 {MAX_DENSE_CELLS} 的上限，请另存为 .xlsx 后导入 / the sheet spans {span} cells: save it as .xlsx",
                self.name
            )));
        }
        Ok(())
    }
}

/// Refuse an .ods whose sheets calamine would expand beyond the limits.
pub(crate) fn check(bytes: &[u8], limits: &Limits) -> Result<(), ReadError> {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| ReadError::Damaged(e.to_string()))?;
    let content = zip.by_name("content.xml").map_err(|_| ReadError::Damaged("content.xml".into()))?;
    let mut xml = quick_xml::Reader::from_reader(BufReader::new(content.take(limits.max_uncompressed)));
    let mut buf = Vec::new();
    let mut sheets = 0usize;
    let mut sheet: Option<Sheet> = None;
    let (mut row, mut col, mut row_repeat) = (0u64, 0u64, 1u64);
    loop {
        let event = xml.read_event_into(&mut buf).map_err(|e| ReadError::Damaged(format!("content.xml: {e}")))?;
        match event {
            Event::Start(ref e) | Event::Empty(ref e) => {
                let empty = matches!(event, Event::Empty(_));
                match e.name().as_ref() {
                    "table:table" => {
                        sheets += 1;
                        sheet = Some(Sheet { name: table_name(e, sheets), rows: (0, 0), cols: (0, 0), filled: false });
                        row = 0;
                    }
                    "table:table-row" => {
                        row_repeat = repeats(e, "table:number-rows-repeated");
                        col = 0;
                        if empty {
                            row = row.saturating_add(row_repeat);
                        }
                    }
                    "table:table-cell" | "table:covered-table-cell" => {
                        let n = repeats(e, "table:number-columns-repeated");
                        // A cell with content (children) or a typed value is filled.
                        if (!empty || has_value(e))
                            && let Some(s) = sheet.as_mut()
                        {
                            s.note(row, col, row.saturating_add(row_repeat - 1), col.saturating_add(n - 1), limits)?;
                        }
                        col = col.saturating_add(n);
                    }
                    _ => {}
                }
            }
            Event::End(ref e) => match e.name().as_ref() {
                "table:table-row" => row = row.saturating_add(row_repeat),
                "table:table" => sheet = None,
                _ => {}
            },
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    Ok(())
}
