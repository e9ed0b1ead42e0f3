//! calamine reads an .xls eagerly, into dense ranges sized by the cell positions and the
//! DIMENSIONS records it meets: one damaged or hostile record can make it ask for tens of
//! gigabytes, and an allocation failure aborts the process — no `catch_unwind` stops it (S19).
//! Before calamine sees an .xls, the records it would size its ranges by are scanned here, the
//! same way it walks them (sheets from their BOUNDSHEET positions, nested substreams skipped),
//! and a file whose ranges would be too large is refused.
use std::io::{Cursor, Read};

use crate::read::{Limits, ReadError, cell_ref};

/// The most cells a dense range of one .xls sheet may span (65,536 rows × 52 columns fit).
const MAX_DENSE_CELLS: u64 = 4_000_000;

struct Records<'a> {
    data: &'a [u8],
    at: usize,
}

impl<'a> Iterator for Records<'a> {
    type Item = (u16, &'a [u8]);
    fn next(&mut self) -> Option<Self::Item> {
        let head = self.data.get(self.at..self.at + 4)?;
        let typ = u16::from_le_bytes([head[0], head[1]]);
        let len = u16::from_le_bytes([head[2], head[3]]) as usize;
        let body = self.data.get(self.at + 4..self.at + 4 + len)?;
        self.at += 4 + len;
        Some((typ, body))
    }
}

fn u16_at(d: &[u8], i: usize) -> Option<u32> {
    d.get(i..i + 2).map(|b| u16::from_le_bytes([b[0], b[1]]) as u32)
}

fn u32_at(d: &[u8], i: usize) -> Option<u32> {
    d.get(i..i + 4).map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
}

fn damaged(what: &str) -> ReadError {
    ReadError::Damaged(format!("xls 文件结构异常（{what}）/ damaged .xls structure ({what})"))
}

/// Refuse an .xls whose sheets calamine would read into ranges beyond the limits.
pub(crate) fn check(bytes: &[u8], limits: &Limits) -> Result<(), ReadError> {
    let mut comp = cfb::CompoundFile::open(Cursor::new(bytes)).map_err(|_| damaged("container"))?;
    let name = ["/Workbook", "/Book"].into_iter().find(|n| comp.is_stream(n)).ok_or_else(|| damaged("no Workbook stream"))?;
    let mut stream = Vec::new();
    comp.open_stream(name)
        .map_err(|_| damaged("Workbook stream"))?
        .take(limits.max_uncompressed)
        .read_to_end(&mut stream)
        .map_err(|_| damaged("Workbook stream"))?;
    // The globals substream names the sheets' positions.
    let mut sheets = Vec::new();
    for (typ, body) in (Records { data: &stream, at: 0 }) {
        match typ {
            0x0085 => sheets.push(u32_at(body, 0).ok_or_else(|| damaged("BoundSheet"))? as usize),
            0x000A => break,
            _ => {}
        }
    }
    for (i, pos) in sheets.into_iter().enumerate() {
        let sheet = format!("第{}个工作表 / sheet {}", i + 1, i + 1);
        let (mut rows, mut cols) = ((u32::MAX, 0u32), (u32::MAX, 0u32));
        let mut seen_bof = false;
        let mut depth = 0usize;
        let mut note = |row: u32, col: u32| -> Result<(), ReadError> {
            if col > limits.max_col {
                return Err(ReadError::BeyondColumns { sheet: sheet.clone(), cell: cell_ref(row, col) });
            }
            rows = (rows.0.min(row), rows.1.max(row));
            cols = (cols.0.min(col), cols.1.max(col));
            let span = u64::from(rows.1 - rows.0 + 1) * u64::from(cols.1 - cols.0 + 1);
            if span > MAX_DENSE_CELLS {
                return Err(damaged(&format!("{sheet} spans {span} cells")));
            }
            Ok(())
        };
        for (typ, body) in (Records { data: stream.get(pos..).unwrap_or(&[]), at: 0 }) {
            if depth > 0 {
                match typ {
                    0x0809 => depth += 1,
                    0x000A => depth -= 1,
                    _ => {}
                }
                continue;
            }
            match typ {
                0x0809 => {
                    if seen_bof {
                        depth += 1;
                    } else {
                        seen_bof = true;
                    }
                }
                // DIMENSIONS: calamine reserves rows × columns cells from it.
                0x0200 => {
                    let (r0, r1, c0, c1) = match body.len() {
                        10 => (u16_at(body, 0), u16_at(body, 2), u16_at(body, 4), u16_at(body, 6)),
                        14 | 16 => (u32_at(body, 0), u32_at(body, 4), u16_at(body, 8), u16_at(body, 10)),
                        _ => continue,
                    };
                    if let (Some(rf), Some(rl), Some(mut cf), Some(cl)) = (r0, r1, c0, c1) {
                        // As calamine's parse_dimensions reads it (columns past 0xFF start at 0),
                        // and as its u32 arithmetic sizes the reservation (wrapping in release).
                        if 0xFF < cf || cl < cf {
                            cf = 0;
                        }
                        let (start, end) = if rl >= 1 && cl >= 1 { ((rf, cf), (rl - 1, cl - 1)) } else { ((rf, cf), (rf, cf)) };
                        let rows = end.0.wrapping_sub(start.0).wrapping_add(1);
                        let cols = end.1.wrapping_sub(start.1).wrapping_add(1);
                        let area = u64::from(rows) * u64::from(cols);
                        if area > MAX_DENSE_CELLS {
                            return Err(damaged(&format!("{sheet} declares {area} cells")));
                        }
                    }
                }
                // Cells: row and column lead the record.
                0x0203 | 0x0204 | 0x00D6 | 0x0205 | 0x027E | 0x00FD | 0x0006 => {
                    if let (Some(r), Some(c)) = (u16_at(body, 0), u16_at(body, 2)) {
                        note(r, c)?;
                    }
                }
                // MulRk: row, first column, …, last column.
                0x00BD => {
                    if let (Some(r), Some(c0), Some(c1)) =
                        (u16_at(body, 0), u16_at(body, 2), body.len().checked_sub(2).and_then(|i| u16_at(body, i)))
                    {
                        note(r, c0)?;
                        note(r, c1.max(c0))?;
                    }
                }
                0x000A => break,
                _ => {}
            }
        }
    }
    Ok(())
}
