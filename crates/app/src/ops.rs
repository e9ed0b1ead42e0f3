//! Operator commands: verify and purge the audit trail (S10, S11), back up and restore the
//! database (S22). Each is itself written to the audit trail.
use std::path::Path;
use std::process::Command;

use anyhow::{Context, Result, bail};
use hongzhu_store::{Actor, AuditEntry, Outcome, Store};

async fn record(store: &Store, command: &str, event: &'static str, object: String, outcome: Outcome, detail: String) -> Result<()> {
    store
        .audit(&AuditEntry { actor: Actor::cli(command), event, object, outcome, detail })
        .await
        .context("审计日志无法写入 / the audit trail cannot be written")?;
    Ok(())
}

pub async fn audit_verify(store: &Store, expect_head: Option<&str>) -> Result<()> {
    let mut report = store.audit_verify().await?;
    if let Some(head) = expect_head {
        let (id, mac) = head.split_once(':').context("--expect-head 应写作 编号:校验码 / write --expect-head as ID:MAC")?;
        let id: i64 = id.trim().parse().context("--expect-head 的编号应为数字 / the ID of --expect-head is a number")?;
        match store.audit_row(id).await? {
            Some(r) if r.mac == mac.trim() => {}
            Some(_) => report.problems.push(format!("第 {id} 行的校验码与记下的不同 / row {id} differs from the head noted")),
            None => report
                .problems
                .push(format!("记下的末条第 {id} 行已不存在（末尾被截断）/ the noted head row {id} is gone: rows were cut off the end")),
        }
    }
    let outcome = if report.ok() { Outcome::Success } else { Outcome::Failure };
    record(
        store,
        "audit-log verify",
        "audit_verify",
        "audit_log".into(),
        outcome,
        format!("rows={} problems={}", report.rows, report.problems.len()),
    )
    .await?;
    if report.ok() {
        println!("审计日志校验通过 / the audit trail verifies: {} rows", report.rows);
        if let (Some(id), Some(mac)) = (report.last_id, &report.head_mac) {
            println!("末条（请另行记下，下次用 --expect-head 校验）/ head (note it; check later with --expect-head): {id}:{mac}");
        }
        Ok(())
    } else {
        for p in &report.problems {
            eprintln!("  ✕ {p}");
        }
        bail!("审计日志校验未通过：{} 处问题 / the audit trail does NOT verify: {} problems", report.problems.len(), report.problems.len())
    }
}

pub async fn audit_purge(store: &Store, days: i64) -> Result<()> {
    if days < hongzhu_web::security::MIN_AUDIT_RETENTION_DAYS {
        bail!(
            "保留天数至少 {} 天 / keep at least {} days",
            hongzhu_web::security::MIN_AUDIT_RETENTION_DAYS,
            hongzhu_web::security::MIN_AUDIT_RETENTION_DAYS
        );
    }
    let cutoff = chrono::Utc::now() - chrono::Duration::days(days);
    let n = store.audit_purge(cutoff, hongzhu_web::security::MIN_AUDIT_RETENTION_DAYS, &Actor::cli("audit-log purge")).await?;
    println!("已删除 {n} 条超过 {days} 天的审计记录 / removed {n} audit rows older than {days} days");
    Ok(())
}

fn is_sqlite(url: &str) -> bool {
    url.starts_with("sqlite:")
}

pub async fn backup(url: &str, file: &Path) -> Result<()> {
    if file.exists() {
        bail!("{} 已存在，请换一个文件名 / {} exists: choose a new name", file.display(), file.display());
    }
    let store = Store::open(url).await.context("无法打开数据库 / cannot open the database")?;
    let name = file.display().to_string();
    // Recorded before the copy is taken, so the backup holds its own record (and with no record,
    // no backup: S11).
    record(&store, "backup", "backup", name.clone(), Outcome::Success, "started".into()).await?;
    let result: Result<u64> = if is_sqlite(url) { store.backup_sqlite(file).await.map_err(Into::into) } else { pg_dump(url, file) };
    match result {
        Ok(bytes) => {
            println!("备份完成并已检查 / backup written and checked: {name} ({bytes} bytes)");
            println!("请将备份与密钥文件分开保存 / keep the backup apart from the key file");
            Ok(())
        }
        Err(e) => {
            record(&store, "backup", "backup", name, Outcome::Failure, format!("{e:#}")).await?;
            Err(e)
        }
    }
}

/// pg_dump in its custom format to a temporary file, read back with pg_restore --list, then
/// renamed into place.
fn pg_dump(url: &str, file: &Path) -> Result<u64> {
    let tmp = file.with_extension("partial");
    let st = Command::new("pg_dump")
        .args(["--format=custom", "--no-owner", "--file"])
        .arg(&tmp)
        .arg(url)
        .status()
        .context("无法运行 pg_dump（请安装 postgresql-client）/ cannot run pg_dump (install postgresql-client)")?;
    if !st.success() {
        let _ = std::fs::remove_file(&tmp);
        bail!("pg_dump 失败 / pg_dump failed ({st})");
    }
    let list = Command::new("pg_restore").arg("--list").arg(&tmp).output().context("无法运行 pg_restore / cannot run pg_restore")?;
    if !list.status.success() || !String::from_utf8_lossy(&list.stdout).contains("audit_log") {
        let _ = std::fs::remove_file(&tmp);
        bail!("备份文件读不回来 / the dump does not read back");
    }
    std::fs::File::open(&tmp)?.sync_all()?;
    std::fs::rename(&tmp, file)?;
    Ok(std::fs::metadata(file)?.len())
}

pub async fn restore(url: &str, file: &Path, yes: bool) -> Result<()> {
    if !file.exists() {
        bail!("备份文件 {} 不存在 / no backup file {}", file.display(), file.display());
    }
    if !yes {
        bail!(
            "恢复将用 {} 替换当前数据库 {}：请先停止服务，确认后加 --yes 重新运行 / restoring replaces the database {} with {}: stop the server, then run again with --yes",
            file.display(),
            hongzhu_store::redact(url),
            hongzhu_store::redact(url),
            file.display()
        );
    }
    if is_sqlite(url) {
        let db = hongzhu_store::keys::sqlite_file(url).context("数据库地址不是文件 / the database URL names no file")?;
        hongzhu_store::backup::restore_sqlite(file, &db).await?;
    } else {
        let st = Command::new("pg_restore")
            .args(["--clean", "--if-exists", "--no-owner", "--single-transaction", "--exit-on-error", "--dbname"])
            .arg(url)
            .arg(file)
            .status()
            .context("无法运行 pg_restore / cannot run pg_restore")?;
        if !st.success() {
            bail!("pg_restore 失败，数据库未改变 / pg_restore failed; the database is unchanged ({st})");
        }
    }
    let store = Store::open(url).await.context("恢复后无法打开数据库 / cannot open the restored database")?;
    let report = store.audit_verify().await?;
    record(
        &store,
        "restore",
        "restore",
        file.display().to_string(),
        Outcome::Success,
        format!("audit rows={} verifies={}", report.rows, report.ok()),
    )
    .await?;
    println!("已从 {} 恢复 / restored from {}", file.display(), file.display());
    if !report.ok() {
        eprintln!("注意：恢复的审计日志校验未通过 / note: the restored audit trail does not verify");
    }
    Ok(())
}

/// S13: a new data key. The key file first holds the new key and the one before it (so every
/// value opens whichever key sealed it), then every value is sealed again with the new key, then
/// the old key leaves the file. An interrupted rotation resumes when run again.
pub async fn rotate_keys(url: &str) -> Result<()> {
    let Some(path) = hongzhu_store::Keys::file_for(url) else {
        bail!(
            "密钥来自环境变量：请手工更换 HONGZHU_DATA_KEY，或改用 HONGZHU_KEY_FILE / the keys come from the environment: use a key file to rotate"
        );
    };
    let mut keys = hongzhu_store::Keys::load_or_create(&path)?;
    let resumed = keys.data_previous.is_some();
    if !resumed {
        let fresh = hongzhu_store::Keys::generate("rotation");
        keys.data_previous = Some(keys.data);
        keys.data = fresh.data;
        keys.write_file(&path)?;
    }
    let store = Store::open_with_keys(url, keys.clone()).await.context("无法打开数据库 / cannot open the database")?;
    let n = store.reseal_all().await?;
    keys.data_previous = None;
    keys.write_file(&path)?;
    record(
        &store,
        "keys rotate",
        "key_rotation",
        path.display().to_string(),
        Outcome::Success,
        format!("{n} values sealed again{}", if resumed { " (resumed)" } else { "" }),
    )
    .await?;
    println!("数据密钥已更换，{n} 项重新加密 / the data key is new; {n} values sealed again ({})", path.display());
    Ok(())
}

/// S15: what is past its retention goes, with its history.
pub async fn purge(store: &Store, s: &hongzhu_web::security::Settings, dry_run: bool) -> Result<()> {
    let now = chrono::Utc::now();
    let out = store
        .purge_expired(
            now - chrono::Duration::days(s.deleted_retention_days),
            now - chrono::Duration::days(s.request_retention_days),
            dry_run,
            &Actor::cli("purge"),
        )
        .await?;
    let verb = if dry_run { "将删除 / would remove" } else { "已删除 / removed" };
    if out.is_empty() {
        println!(
            "没有超过保留期的数据 / nothing is past its retention (deleted records: {} days; export requests: {} days)",
            s.deleted_retention_days, s.request_retention_days
        );
    }
    for (table, n) in &out {
        println!("  {verb} {table}: {n}");
    }
    Ok(())
}
