//! Reading a workbook as people save it (.xlsx from Excel or WPS, .xls, .ods from LibreOffice),
//! with the limits of SECURITY S19 enforced while reading: file size, zip entries and
//! decompressed size, rows per sheet and the largest column (AZ).
use std::io::{Cursor, Read, Seek};

use calamine::{Data, DataRef, Reader, Xlsx};

/// Limits on what a workbook may hold (defaults from the ledger issue).
#[derive(Debug, Clone)]
pub struct Limits {
    pub max_bytes: usize,
    pub max_uncompressed: u64,
    pub max_zip_entries: usize,
    pub max_rows: u32,
    /// Zero-based index of the last column allowed (AZ = 51).
    pub max_col: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_bytes: 50 * 1024 * 1024,
            max_uncompressed: 500 * 1024 * 1024,
            max_zip_entries: 10_000,
            max_rows: 2_000_000,
            max_col: 51,
        }
    }
}

/// Why a file cannot be read at all; each says what is accepted.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ReadError {
    #[error("文件是空的（0 字节）。请上传 .xlsx、.xls 或 .ods 格式的台账。/ The file is empty.")]
    Empty,
    #[error("文件不是 Excel/WPS/LibreOffice 表格（支持 .xlsx、.xls、.ods）。/ Not a spreadsheet: .xlsx, .xls and .ods are accepted.")]
    NotSpreadsheet,
    #[error("文件 {size} 字节，超过上限 {limit} 字节。请拆分后分批导入。/ The file is larger than the limit.")]
    TooLarge { size: usize, limit: usize },
    #[error(
        "文件解压后超过 {limit} 字节（或含 {entries} 个压缩条目），可能是恶意构造的文件，已拒绝。/ Decompressed size or entry count over the limit."
    )]
    Decompression { limit: u64, entries: usize },
    #[error("工作表“{sheet}”超过 {limit} 行。请拆分后分批导入。/ Sheet {sheet} has more rows than allowed.")]
    TooManyRows { sheet: String, limit: u32 },
    #[error(
        "工作表“{sheet}”在单元格 {cell} 有内容，超出了 A–AZ 列的范围。请删除多余的列。/ Sheet {sheet} has a cell beyond column AZ ({cell})."
    )]
    BeyondColumns { sheet: String, cell: String },
    #[error("文件已损坏或无法读取：{0}。/ The file is damaged or unreadable.")]
    Damaged(String),
}

/// One non-empty row: the row number Excel shows, and its cells as text by column. The cells'
/// text is kept end to end in one string (a province's staff sheet is thirteen million cells:
/// one allocation a row, not one a cell).
#[derive(Debug, Clone, Default)]
pub struct RowData {
    pub row: u32,
    text: String,
    /// Where each column's text ends in `text`: column `i` is `ends[i - 1]..ends[i]`.
    ends: Vec<u32>,
    /// Columns whose cell held a number of 16 or more digits (an ID typed as a number loses digits).
    pub long_numbers: Vec<usize>,
}

impl RowData {
    /// The text of column `col` (zero-based); empty when the row has no such cell.
    pub fn get(&self, col: usize) -> &str {
        match self.ends.get(col) {
            Some(&end) => {
                let start = if col == 0 { 0 } else { self.ends[col - 1] as usize };
                &self.text[start..end as usize]
            }
            None => "",
        }
    }

    /// How many columns the row reaches (its last non-empty cell's column + 1).
    pub fn width(&self) -> usize {
        self.ends.len()
    }

    /// The cells, column by column (empty text where a cell is empty).
    pub fn cells(&self) -> impl Iterator<Item = &str> {
        (0..self.width()).map(|c| self.get(c))
    }

    /// Set column `col`. Cells come left to right as a sheet is read, which appends; a cell to
    /// the left of one already set (a file that lists them otherwise) rebuilds the row.
    fn set(&mut self, col: usize, value: &str) {
        if col >= self.ends.len() {
            let end = self.text.len() as u32;
            self.ends.resize(col, end);
            self.text.push_str(value);
            self.ends.push(self.text.len() as u32);
            return;
        }
        let cells: Vec<String> = self.cells().map(str::to_string).collect();
        self.text.clear();
        self.ends.clear();
        for (c, v) in cells.iter().enumerate() {
            self.text.push_str(if c == col { value } else { v });
            self.ends.push(self.text.len() as u32);
        }
    }

    fn into_cells(self) -> Vec<String> {
        self.cells().map(str::to_string).collect()
    }
}

#[derive(Debug, Clone)]
pub struct SheetData {
    pub name: String,
    /// The first non-empty row, read as headers (with the row number Excel shows).
    pub header_row: u32,
    pub headers: Vec<String>,
    /// The non-empty rows below the headers, in sheet order.
    pub rows: Vec<RowData>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Xlsx,
    Xls,
    Ods,
}

/// A1-style reference of a zero-based cell.
pub fn cell_ref(row: u32, col: u32) -> String {
    let mut c = col + 1;
    let mut letters = Vec::new();
    while c > 0 {
        let r = ((c - 1) % 26) as u8;
        letters.push((b'A' + r) as char);
        c = (c - 1) / 26;
    }
    letters.reverse();
    format!("{}{}", letters.into_iter().collect::<String>(), row + 1)
}

/// Tell the format from the bytes, not the file name (S19: magic bytes).
pub fn detect(bytes: &[u8], limits: &Limits) -> Result<Format, ReadError> {
    if bytes.is_empty() {
        return Err(ReadError::Empty);
    }
    if bytes.len() > limits.max_bytes {
        return Err(ReadError::TooLarge { size: bytes.len(), limit: limits.max_bytes });
    }
    if bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]) {
        return Ok(Format::Xls);
    }
    if !bytes.starts_with(b"PK\x03\x04") {
        return Err(ReadError::NotSpreadsheet);
    }
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|_| ReadError::NotSpreadsheet)?;
    if zip.len() > limits.max_zip_entries {
        return Err(ReadError::Decompression { limit: limits.max_uncompressed, entries: zip.len() });
    }
    let mut total: u64 = 0;
    let mut names = Vec::new();
    for i in 0..zip.len() {
        let f = zip.by_index_raw(i).map_err(|e| ReadError::Damaged(e.to_string()))?;
        total = total.saturating_add(f.size());
        names.push(f.name().map(|n| n.to_string()).unwrap_or_default());
    }
    if total > limits.max_uncompressed {
        return Err(ReadError::Decompression { limit: limits.max_uncompressed, entries: zip.len() });
    }
    if names.iter().any(|n| n == "xl/workbook.xml") {
        return Ok(Format::Xlsx);
    }
    if names.iter().any(|n| n == "mimetype") {
        let mut m = String::new();
        if let Ok(mut f) = zip.by_name("mimetype") {
            let _ = f.by_ref().take(200).read_to_string(&mut m);
        }
        if m.trim() == "application/vnd.oasis.opendocument.spreadsheet" {
            return Ok(Format::Ods);
        }
    }
    Err(ReadError::NotSpreadsheet)
}

fn float_text(f: f64) -> String {
    if f.fract() == 0.0 && f.abs() < 1e15 { format!("{}", f as i64) } else { format!("{f}") }
}

fn date_text(d: &calamine::ExcelDateTime) -> String {
    match d.as_datetime() {
        Some(dt) if dt.time() == chrono::NaiveTime::MIN => dt.date().format("%Y-%m-%d").to_string(),
        Some(dt) => dt.format("%Y-%m-%d %H:%M:%S").to_string(),
        None => d.to_string(),
    }
}

fn data_text(d: &Data) -> (String, bool) {
    match d {
        Data::Empty => (String::new(), false),
        Data::String(s) => (s.clone(), false),
        Data::Float(f) => (float_text(*f), f.abs() >= 1e15),
        Data::Int(i) => (i.to_string(), i.unsigned_abs() >= 1_000_000_000_000_000),
        Data::Bool(b) => ((if *b { "是" } else { "否" }).to_string(), false),
        Data::DateTime(d) => (date_text(d), false),
        Data::DateTimeIso(s) => (s.chars().take(10).collect(), false),
        Data::DurationIso(s) => (s.clone(), false),
        Data::Error(e) => (format!("#{e:?}"), false),
    }
}

fn dataref_text(d: &DataRef) -> (String, bool) {
    match d {
        DataRef::Empty => (String::new(), false),
        DataRef::String(s) => (s.clone(), false),
        DataRef::SharedString(s) => (s.to_string(), false),
        DataRef::Float(f) => (float_text(*f), f.abs() >= 1e15),
        DataRef::Int(i) => (i.to_string(), i.unsigned_abs() >= 1_000_000_000_000_000),
        DataRef::Bool(b) => ((if *b { "是" } else { "否" }).to_string(), false),
        DataRef::DateTime(d) => (date_text(d), false),
        DataRef::DateTimeIso(s) => (s.chars().take(10).collect(), false),
        DataRef::DurationIso(s) => (s.clone(), false),
        DataRef::Error(e) => (format!("#{e:?}"), false),
    }
}

/// Collects cells into rows, enforcing the row and column limits as they come. Rows are kept in
/// sheet order (they come in order from every reader; one out of order is put in its place).
struct Collector<'a> {
    sheet: &'a str,
    limits: &'a Limits,
    rows: Vec<RowData>,
}

impl Collector<'_> {
    fn cell(&mut self, row: u32, col: u32, text: String, long: bool) -> Result<(), ReadError> {
        if text.trim().is_empty() {
            return Ok(());
        }
        if col > self.limits.max_col {
            return Err(ReadError::BeyondColumns { sheet: self.sheet.to_string(), cell: cell_ref(row, col) });
        }
        if row >= self.limits.max_rows.saturating_add(1) {
            return Err(ReadError::TooManyRows { sheet: self.sheet.to_string(), limit: self.limits.max_rows });
        }
        let number = row + 1;
        let at = match self.rows.last() {
            Some(last) if last.row == number => self.rows.len() - 1,
            Some(last) if last.row > number => match self.rows.binary_search_by_key(&number, |r| r.row) {
                Ok(i) => i,
                Err(i) => {
                    self.rows.insert(i, RowData { row: number, ..RowData::default() });
                    i
                }
            },
            _ => {
                self.rows.push(RowData { row: number, ..RowData::default() });
                self.rows.len() - 1
            }
        };
        let r = &mut self.rows[at];
        let c = col as usize;
        r.set(c, &text);
        if long {
            r.long_numbers.push(c);
        }
        Ok(())
    }

    fn finish(self) -> SheetData {
        let mut rows = self.rows.into_iter();
        match rows.next() {
            None => SheetData { name: self.sheet.to_string(), header_row: 1, headers: vec![], rows: vec![] },
            Some(h) => SheetData { name: self.sheet.to_string(), header_row: h.row, headers: h.into_cells(), rows: rows.collect() },
        }
    }
}

fn read_sheet<RS: Read + Seek>(wb: &mut Xlsx<RS>, name: &str, limits: &Limits) -> Result<SheetData, ReadError> {
    let mut c = Collector { sheet: name, limits, rows: Vec::new() };
    let mut reader = wb.worksheet_cells_reader(name).map_err(|e| ReadError::Damaged(e.to_string()))?;
    while let Some(cell) = reader.next_cell().map_err(|e| ReadError::Damaged(e.to_string()))? {
        let (row, col) = cell.get_position();
        let (text, long) = dataref_text(cell.get_value());
        c.cell(row, col, text, long)?;
    }
    drop(reader);
    Ok(c.finish())
}

/// Every sheet of an .xlsx, in the workbook's order. calamine parses a sheet on one thread, so
/// with two cores two readers (each opening the workbook on its own) take the sheets in turn:
/// a province's staff sheet, three quarters of the file, is read while the other reader reads
/// the rest. A sheet that cannot be read stops both, and is the error (the first such sheet in
/// the workbook's order, of those read).
fn read_xlsx(bytes: &[u8], limits: &Limits) -> Result<Vec<SheetData>, ReadError> {
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    let open = || Xlsx::new(Cursor::new(bytes)).map_err(|e| ReadError::Damaged(e.to_string()));
    let mut first = open()?;
    let names = first.sheet_names();
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    if cores < 2 || names.len() < 2 {
        return names.iter().map(|n| read_sheet(&mut first, n, limits)).collect();
    }
    let second = open()?;
    let next = AtomicUsize::new(0);
    let failed = AtomicBool::new(false);
    // Each reader's sheets, by index; a failure stops both.
    let work = |mut wb: Xlsx<Cursor<&[u8]>>| {
        let mut read = Vec::new();
        while !failed.load(Ordering::Relaxed) {
            let i = next.fetch_add(1, Ordering::Relaxed);
            let Some(name) = names.get(i) else { break };
            let r = read_sheet(&mut wb, name, limits);
            failed.fetch_or(r.is_err(), Ordering::Relaxed);
            read.push((i, r));
        }
        read
    };
    let mut read = std::thread::scope(|s| {
        let other = s.spawn(|| work(second));
        let mut mine = work(first);
        // A panic in the other reader goes on to `read`'s catch_unwind, which reports damage.
        mine.extend(other.join().unwrap_or_else(|p| std::panic::resume_unwind(p)));
        mine
    });
    read.sort_by_key(|(i, _)| *i);
    read.into_iter().map(|(_, r)| r).collect()
}

fn read_ranges<R: Reader<Cursor<Vec<u8>>>>(mut wb: R, limits: &Limits) -> Result<Vec<SheetData>, ReadError>
where
    R::Error: std::fmt::Display,
{
    let names = wb.sheet_names();
    let mut out = Vec::new();
    for name in names {
        let range = wb.worksheet_range(&name).map_err(|e| ReadError::Damaged(e.to_string()))?;
        let mut c = Collector { sheet: &name, limits, rows: Vec::new() };
        if let Some((r0, c0)) = range.start() {
            for (i, row) in range.rows().enumerate() {
                for (j, cell) in row.iter().enumerate() {
                    let (text, long) = data_text(cell);
                    c.cell(r0 + i as u32, c0 + j as u32, text, long)?;
                }
            }
        }
        out.push(c.finish());
    }
    Ok(out)
}

/// Read every sheet of a workbook. A damaged file is an error, never a crash: should the
/// underlying reader panic on some malformed structure, that is reported as damage too.
pub fn read(bytes: Vec<u8>, limits: &Limits) -> Result<Vec<SheetData>, ReadError> {
    let format = detect(&bytes, limits)?;
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| read_format(format, bytes, limits)))
        .unwrap_or_else(|_| Err(ReadError::Damaged("无法解析的文件结构".to_string())))
}

fn read_format(format: Format, bytes: Vec<u8>, limits: &Limits) -> Result<Vec<SheetData>, ReadError> {
    let cursor = Cursor::new(bytes);
    match format {
        Format::Xlsx => read_xlsx(cursor.get_ref(), limits),
        Format::Xls => {
            crate::xls_guard::check(cursor.get_ref(), limits)?;
            read_ranges(calamine::Xls::new(cursor).map_err(|e| ReadError::Damaged(e.to_string()))?, limits)
        }
        Format::Ods => {
            crate::ods_guard::check(cursor.get_ref(), limits)?;
            read_ranges(calamine::Ods::new(cursor).map_err(|e| ReadError::Damaged(e.to_string()))?, limits)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_row_keeps_its_cells_by_column_whatever_order_they_come_in() {
        let mut r = RowData { row: 2, ..RowData::default() };
        r.set(0, "甲");
        r.set(3, "丁");
        assert_eq!((r.get(0), r.get(1), r.get(2), r.get(3), r.get(9)), ("甲", "", "", "丁", ""));
        assert_eq!(r.width(), 4);
        r.set(1, "乙");
        r.set(3, "戊");
        assert_eq!(r.cells().collect::<Vec<_>>(), vec!["甲", "乙", "", "戊"]);
        // Rows out of order are put in their place.
        let limits = Limits::default();
        let mut c = Collector { sheet: "s", limits: &limits, rows: Vec::new() };
        for (row, col, v) in [(0, 0, "h"), (4, 1, "e"), (2, 0, "c"), (4, 0, "d"), (2, 1, "x")] {
            c.cell(row, col, v.to_string(), false).unwrap();
        }
        let s = c.finish();
        assert_eq!(s.headers, vec!["h"]);
        let rows: Vec<(u32, Vec<&str>)> = s.rows.iter().map(|r| (r.row, r.cells().collect())).collect();
        assert_eq!(rows, vec![(3, vec!["c", "x"]), (5, vec!["d", "e"])]);
    }

    #[test]
    fn cell_references() {
        assert_eq!(cell_ref(0, 0), "A1");
        assert_eq!(cell_ref(0, 25), "Z1");
        assert_eq!(cell_ref(0, 26), "AA1");
        assert_eq!(cell_ref(0, 51), "AZ1");
        assert_eq!(cell_ref(1048575, 16383), "XFD1048576");
    }

    #[test]
    fn refusals_say_what_is_accepted() {
        let l = Limits::default();
        assert_eq!(detect(b"", &l), Err(ReadError::Empty));
        assert_eq!(detect(b"%PDF-1.7 not a sheet", &l), Err(ReadError::NotSpreadsheet));
        assert!(ReadError::NotSpreadsheet.to_string().contains(".xlsx、.xls、.ods"));
        let small = Limits { max_bytes: 4, ..Limits::default() };
        assert!(matches!(detect(b"PK\x03\x04zzzz", &small), Err(ReadError::TooLarge { .. })));
    }
}
