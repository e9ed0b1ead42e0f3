//! `hongzhu template`, `hongzhu import` and `hongzhu export`: the ledger workbook (spec/LEDGER.md).
use std::io::Write;
use std::path::Path;

use anyhow::{Context, Result, bail};
use hongzhu_ledger::validate::Severity;
use hongzhu_store::Store;

#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum ReportFormat {
    Table,
    Json,
}

pub fn template(file: &Path) -> Result<()> {
    let bytes = hongzhu_ledger::write::template()?;
    std::fs::write(file, bytes).with_context(|| format!("无法写入 / cannot write {}", file.display()))?;
    println!("已生成台账模板 / template written: {}", file.display());
    Ok(())
}

#[allow(clippy::too_many_arguments)]
pub async fn import(
    store: &Store,
    file: &Path,
    dry_run: bool,
    partial: bool,
    format: ReportFormat,
    errors_file: Option<&Path>,
    replace_region: Option<&str>,
    yes: bool,
) -> Result<()> {
    if let Some(r) = replace_region
        && store.region(r).await?.is_none()
    {
        bail!("区划 {r} 不存在 / no region {r}");
    }
    // Replace mode shows what it would remove and asks for --yes before it removes anything.
    let dry_run = dry_run || (replace_region.is_some() && !yes);
    let bytes = std::fs::read(file).with_context(|| format!("无法读取 / cannot read {}", file.display()))?;
    let (report, sheets) = hongzhu_web::imports::run_import_mode(
        store,
        bytes,
        hongzhu_web::imports::Mode { dry_run, partial, replace: replace_region },
        &hongzhu_store::Actor::cli("import"),
        None,
    )
    .await?;
    if let Some(path) = errors_file
        && !report.problems.is_empty()
        && !sheets.is_empty()
    {
        std::fs::write(path, hongzhu_ledger::write::error_workbook(&sheets, &report.problems)?)?;
        eprintln!("错误说明工作簿 / error workbook: {}", path.display());
    }
    let mut out = std::io::stdout();
    match format {
        ReportFormat::Json => writeln!(out, "{}", serde_json::to_string_pretty(&report.json())?)?,
        ReportFormat::Table => {
            for p in &report.problems {
                writeln!(
                    out,
                    "{} {}{}{} [{}] {}{}",
                    if p.severity == Severity::Error { "✕" } else { "!" },
                    p.sheet,
                    if p.row > 0 { format!(" 第{}行", p.row) } else { String::new() },
                    if p.header.is_empty() { String::new() } else { format!(" {}", p.header) },
                    p.code,
                    p.message,
                    if p.value.is_empty() { String::new() } else { format!("（值：{}）", p.value) }
                )?;
            }
            for (sheet, _) in hongzhu_ledger::validate::SHEETS {
                let Some(c) = report.counts.get(*sheet) else { continue };
                writeln!(out, "{sheet}: 新增 {} · 更新 {} · 未变 {} · 拒绝 {}", c.created, c.updated, c.unchanged, c.rejected)?;
            }
            for (sheet, gone) in &report.removed {
                writeln!(
                    out,
                    "{sheet}: {}删除 {} 条：{}{}",
                    if dry_run { "将" } else { "已" },
                    gone.len(),
                    gone.iter().take(10).cloned().collect::<Vec<_>>().join("、"),
                    if gone.len() > 10 { "……" } else { "" }
                )?;
            }
            if replace_region.is_some() && !yes {
                writeln!(out, "替换模式：以上为将删除的记录，确认无误后加 --yes 执行 / replace mode: add --yes to remove them")?;
            }
            let verdict = match (report.ok, report.written, dry_run) {
                (_, _, true) => "试导入：未写入任何数据 / dry run: nothing written",
                (true, true, _) => "导入完成 / imported",
                (false, true, _) => "已导入无误的行，有错误的行未导入 / valid rows imported, rows with errors left out",
                (_, false, _) => "有错误，未写入任何数据；改正后重新导入，或用 --partial 只导入无误的行 / errors: nothing written",
            };
            writeln!(out, "{verdict}")?;
        }
    }
    if !report.ok && !report.written && !dry_run {
        std::process::exit(1);
    }
    Ok(())
}

pub async fn export(store: &Store, region: Option<&str>, file: &Path, masked: bool) -> Result<()> {
    let region = region.unwrap_or("");
    if !region.is_empty() && store.region(region).await?.is_none() {
        bail!("区划 {region} 不存在 / no region {region}");
    }
    let started = std::time::Instant::now();
    let data = store.load_registry(region).await?;
    let bytes = hongzhu_ledger::write::export(&data, masked)?;
    // S9, S14: logged, with the file's hash, before the file is written (S11: no record, no file).
    let digest = hongzhu_web::auth::token_hash_bytes(&bytes);
    store
        .audit(&hongzhu_store::AuditEntry {
            actor: hongzhu_store::Actor::cli("export"),
            event: "export",
            object: format!("ledger region {}", if region.is_empty() { "all" } else { region }),
            outcome: hongzhu_store::Outcome::Success,
            detail: format!(
                "{}; {}; {} bytes; sha256={digest}",
                file.display(),
                if masked { "ID and phone numbers masked" } else { "ID and phone numbers in full" },
                bytes.len()
            ),
        })
        .await
        .context("审计日志无法写入，未导出 / the audit trail cannot be written: nothing exported")?;
    std::fs::write(file, &bytes).with_context(|| format!("无法写入 / cannot write {}", file.display()))?;
    println!(
        "已导出 / exported {} institutions, {} staff, {} members, {} organizations to {} in {:.1} s",
        data.institutions.len(),
        data.staff.len(),
        data.members.len(),
        data.orgs.len(),
        file.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
