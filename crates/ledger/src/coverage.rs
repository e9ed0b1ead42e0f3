//! The coverage audit as a workbook: a summary, one sheet per check, the plan and the warnings
//! (issue: coverage export).
use hongzhu_core::coverage::{AuditResult, Check, Names, RemedyKind, warning_zh};
use hongzhu_core::labels::Labeled;
use rust_xlsxwriter::{Color, Format, FormatAlign, FormatBorder, Workbook, Worksheet};

use crate::{LedgerError, neutralize};

fn header(ws: &mut Worksheet, titles: &[(&str, f64)]) -> Result<(), LedgerError> {
    let f = Format::new()
        .set_bold()
        .set_font_color(Color::White)
        .set_background_color(Color::RGB(0xC8161D))
        .set_border(FormatBorder::Thin)
        .set_align(FormatAlign::Center);
    for (c, (t, w)) in titles.iter().enumerate() {
        ws.write_string_with_format(0, c as u16, *t, &f)?;
        ws.set_column_width(c as u16, *w)?;
    }
    ws.set_freeze_panes(1, 0)?;
    Ok(())
}

fn text(ws: &mut Worksheet, r: u32, c: u16, s: &str) -> Result<(), LedgerError> {
    ws.write_string(r, c, neutralize(s))?;
    Ok(())
}

/// The workbook, as bytes.
pub fn audit_workbook(a: &AuditResult, names: &Names, region_name: &str) -> Result<Vec<u8>, LedgerError> {
    let mut wb = Workbook::new();
    let pct = Format::new().set_num_format("0.0%");
    let bold = Format::new().set_bold().set_font_size(14);

    let ws = wb.add_worksheet().set_name("汇总")?;
    ws.write_string_with_format(0, 0, format!("{region_name}中小学党建“三个全覆盖”核查"), &bold)?;
    ws.set_column_width(0, 24)?;
    ws.set_column_width(1, 18)?;
    let rows: [(&str, Option<f64>, Option<String>); 8] = [
        ("核查日期", None, Some(a.as_of.to_string())),
        ("区划代码", None, Some(a.region.clone())),
        ("在办学校", Some(a.institutions.operating as f64), None),
        ("筹建学校", Some(a.institutions.planned as f64), None),
        ("党员全覆盖率", Some(a.rates.members), None),
        ("班子党员全覆盖率", Some(a.rates.leadership), None),
        ("党组织全覆盖率", Some(a.rates.organization), None),
        ("问题数", Some(a.findings.len() as f64), None),
    ];
    for (i, (label, n, s)) in rows.iter().enumerate() {
        let r = i as u32 + 2;
        ws.write_string(r, 0, *label)?;
        match (n, s) {
            (Some(v), _) if label.ends_with('率') => {
                ws.write_number_with_format(r, 1, *v, &pct)?;
            }
            (Some(v), _) => {
                ws.write_number(r, 1, *v)?;
            }
            (None, Some(t)) => text(ws, r, 1, t)?,
            _ => {}
        }
    }

    for check in Check::ALL {
        let ws = wb.add_worksheet().set_name(check.zh())?;
        header(
            ws,
            &[
                ("机构代码", 14.0),
                ("名称", 30.0),
                ("类型", 14.0),
                ("办学性质", 10.0),
                ("问题代码", 22.0),
                ("问题", 46.0),
                ("依据", 8.0),
                ("整改建议", 70.0),
            ],
        )?;
        for (r, f) in (1u32..).zip(a.findings.iter().filter(|f| f.check == check)) {
            let inst = names.institution(&f.institution);
            text(ws, r, 0, &f.institution)?;
            text(ws, r, 1, &names.institution_name(&f.institution))?;
            text(ws, r, 2, inst.map(|i| i.kind.zh()).unwrap_or(""))?;
            text(ws, r, 3, inst.map(|i| i.ownership.zh()).unwrap_or(""))?;
            text(ws, r, 4, f.gap.code())?;
            text(ws, r, 5, f.gap.zh())?;
            text(ws, r, 6, f.rule)?;
            text(ws, r, 7, &names.remedy_zh(&f.institution, &f.remedy))?;
        }
    }

    let ws = wb.add_worksheet().set_name("整改方案")?;
    header(
        ws,
        &[
            ("机构代码", 14.0),
            ("名称", 30.0),
            ("问题", 22.0),
            ("方案", 12.0),
            ("挂靠学校", 30.0),
            ("距离（公里）", 12.0),
            ("联合组建方案", 12.0),
            ("联合组建成员", 60.0),
            ("说明", 60.0),
        ],
    )?;
    let planned =
        a.findings.iter().filter(|f| matches!(f.remedy.kind, RemedyKind::Attach | RemedyKind::JoinJoint | RemedyKind::Unresolved));
    for (r, f) in (1u32..).zip(planned) {
        text(ws, r, 0, &f.institution)?;
        text(ws, r, 1, &names.institution_name(&f.institution))?;
        text(ws, r, 2, f.gap.code())?;
        text(
            ws,
            r,
            3,
            match f.remedy.kind {
                RemedyKind::Attach => "就近挂靠",
                RemedyKind::JoinJoint => "联合组建",
                _ => "待研究",
            },
        )?;
        if let Some(t) = &f.remedy.target {
            text(ws, r, 4, &names.institution_name(t))?;
        }
        if let Some(d) = f.remedy.distance_km {
            ws.write_number(r, 5, d)?;
        }
        if let Some(g) = &f.remedy.group {
            text(ws, r, 6, g)?;
        }
        if let Some(m) = &f.remedy.members {
            text(ws, r, 7, &m.iter().map(|c| names.institution_name(c)).collect::<Vec<_>>().join("、"))?;
        }
        text(ws, r, 8, &names.remedy_zh(&f.institution, &f.remedy))?;
    }

    let ws = wb.add_worksheet().set_name("预警")?;
    header(ws, &[("组织代码", 16.0), ("组织名称", 40.0), ("预警", 24.0), ("说明", 50.0), ("依据", 8.0), ("任期届满", 14.0)])?;
    for (i, w) in a.warnings.iter().enumerate() {
        let r = i as u32 + 1;
        text(ws, r, 0, &w.org)?;
        text(ws, r, 1, &names.org_name(&w.org))?;
        text(ws, r, 2, w.code)?;
        text(ws, r, 3, warning_zh(w.code))?;
        text(ws, r, 4, w.rule)?;
        if let Some(e) = w.ends_on {
            text(ws, r, 5, &e.to_string())?;
        }
    }
    Ok(wb.save_to_buffer()?)
}
