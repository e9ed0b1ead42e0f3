//! `hongzhu audit`: the coverage audit from the command line, as JSON (spec/COVERAGE.md), a
//! table, or a workbook.
use std::io::Write;

use anyhow::{Context, Result, bail};
use chrono::NaiveDate;
use hongzhu_core::coverage::{AuditResult, AuditSettings, Names, audit};
use hongzhu_core::labels::Labeled;
use hongzhu_store::Store;

#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum Format {
    Json,
    Table,
    Xlsx,
}

/// Check the region and date, load the region and audit it.
pub async fn run_audit(
    store: &Store,
    region: Option<&str>,
    as_of: NaiveDate,
) -> Result<(AuditResult, hongzhu_core::synth::Dataset, String)> {
    let (region, region_name) = match region {
        Some(code) => {
            let r = store.region(code).await?.with_context(|| format!("区划 {code} 不存在 / no region {code} in the database"))?;
            (code.to_string(), r.record.name)
        }
        None => (String::new(), "全部区划".to_string()),
    };
    if let Some(first) = store.earliest_record_date(&region).await?
        && as_of < first
    {
        bail!("{as_of} 之前没有数据：最早的记录日期是 {first} / there is no data before {first}");
    }
    let data = store.load_registry_for_audit(&region).await?;
    if data.institutions.is_empty() {
        bail!("区划 {region} 中没有学校 / no institutions in region {region}");
    }
    let result = audit(&data, as_of, &region, &AuditSettings::default());
    Ok((result, data, region_name))
}

pub async fn command(
    store: &Store,
    region: Option<String>,
    as_of: Option<NaiveDate>,
    format: Format,
    output: Option<std::path::PathBuf>,
    save: bool,
) -> Result<()> {
    let as_of = as_of.unwrap_or_else(|| chrono::Utc::now().date_naive());
    let (result, data, region_name) = run_audit(store, region.as_deref(), as_of).await?;
    if save {
        store.save_snapshot(&result, "cli").await?;
        eprintln!("已保存核查快照 / snapshot saved: {} {}", result.region, result.as_of);
    }
    let names = Names::new(&data);
    let bytes: Vec<u8> = match format {
        Format::Json => {
            let mut s = serde_json::to_string_pretty(&result)?;
            s.push('\n');
            s.into_bytes()
        }
        Format::Table => table(&result, &names, &region_name).into_bytes(),
        Format::Xlsx => hongzhu_ledger::coverage::audit_workbook(&result, &names, &region_name)?,
    };
    match output {
        Some(path) => std::fs::write(&path, &bytes).with_context(|| format!("无法写入 / cannot write {}", path.display()))?,
        None if matches!(format, Format::Xlsx) => bail!("xlsx 需要 --output FILE / xlsx needs --output FILE"),
        None => std::io::stdout().write_all(&bytes)?,
    }
    Ok(())
}

fn table(a: &AuditResult, names: &Names, region_name: &str) -> String {
    let mut s = format!(
        "{region_name} 三个全覆盖核查 / coverage audit, as of {}\n在办 operating {} · 筹建 planned {}\n党员全覆盖 members {:.1}% · 班子 leadership {:.1}% · 党组织 organization {:.1}%\n\n",
        a.as_of,
        a.institutions.operating,
        a.institutions.planned,
        a.rates.members * 100.0,
        a.rates.leadership * 100.0,
        a.rates.organization * 100.0
    );
    for f in &a.findings {
        let kind = names.institution(&f.institution).map(|i| i.kind.zh()).unwrap_or("");
        s.push_str(&format!(
            "{}  {}（{}）\n    [{}] {} — {}\n    整改：{}\n",
            f.institution,
            names.institution_name(&f.institution),
            kind,
            f.rule,
            f.gap.code(),
            f.gap.zh(),
            names.remedy_zh(&f.institution, &f.remedy)
        ));
    }
    if !a.warnings.is_empty() {
        s.push_str("\n预警 / warnings\n");
        for w in &a.warnings {
            s.push_str(&format!(
                "  {} {} [{}] {}{}\n",
                w.org,
                names.org_name(&w.org),
                w.rule,
                hongzhu_core::coverage::warning_zh(w.code),
                w.ends_on.map(|d| format!("（{d}）")).unwrap_or_default()
            ));
        }
    }
    s
}
