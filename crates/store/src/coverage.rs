//! Audit snapshots (how the three rates moved) and rectification tasks (整改), with the later
//! audit marking which gaps are gone.
use chrono::{DateTime, NaiveDate, Utc};
use hongzhu_core::coverage::AuditResult;
use sea_query::{Expr, ExprTrait, Order, Query};
use serde::Serialize;

use crate::db::{Row, Store};
use crate::records::{log_change, now, region_prefix};
use crate::{Result, StoreError};

#[derive(Debug, Clone, Serialize)]
pub struct SnapshotRow {
    pub id: i64,
    pub region: String,
    pub as_of: NaiveDate,
    pub operating: i64,
    pub planned: i64,
    pub rates: [f64; 3],
    pub findings: i64,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
}

fn snapshot_row(r: &dyn Row) -> Result<SnapshotRow> {
    Ok(SnapshotRow {
        id: r.int("id")?,
        region: r.text("region_code")?,
        as_of: r.date("as_of")?,
        operating: r.int("operating")?,
        planned: r.int("planned")?,
        rates: [
            r.float_opt("rate_members")?.unwrap_or(0.0),
            r.float_opt("rate_leadership")?.unwrap_or(0.0),
            r.float_opt("rate_organization")?.unwrap_or(0.0),
        ],
        findings: r.int("findings")?,
        created_by: r.text("created_by")?,
        created_at: r.time("created_at")?,
    })
}

const SNAPSHOT_COLS: [&str; 12] = [
    "id",
    "region_code",
    "as_of",
    "operating",
    "planned",
    "rate_members",
    "rate_leadership",
    "rate_organization",
    "findings",
    "result_json",
    "created_by",
    "created_at",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskStatus {
    Open,
    Done,
    Verified,
}

impl TaskStatus {
    pub const ALL: [TaskStatus; 3] = [TaskStatus::Open, TaskStatus::Done, TaskStatus::Verified];
    pub fn code(self) -> &'static str {
        match self {
            TaskStatus::Open => "open",
            TaskStatus::Done => "done",
            TaskStatus::Verified => "verified",
        }
    }
    pub fn from_code(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|x| x.code() == s)
    }
    pub fn zh(self) -> &'static str {
        match self {
            TaskStatus::Open => "整改中",
            TaskStatus::Done => "已完成",
            TaskStatus::Verified => "已验收",
        }
    }
    pub fn en(self) -> &'static str {
        match self {
            TaskStatus::Open => "Open",
            TaskStatus::Done => "Done",
            TaskStatus::Verified => "Verified",
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct TaskRow {
    pub id: i64,
    pub version: i64,
    pub region: String,
    pub institution: String,
    pub check: String,
    pub gap: String,
    pub rule: String,
    pub remedy: serde_json::Value,
    pub responsible: String,
    pub deadline: NaiveDate,
    pub note: Option<String>,
    pub status: TaskStatus,
    /// False once an audit after the task was made no longer finds the gap.
    pub gap_present: bool,
    pub checked_on: Option<NaiveDate>,
    pub gap_closed_on: Option<NaiveDate>,
    pub created_at: DateTime<Utc>,
}

impl TaskRow {
    /// Overdue: past its deadline, not verified, and its gap still there.
    pub fn overdue(&self, today: NaiveDate) -> bool {
        self.deadline < today && self.status != TaskStatus::Verified && self.gap_present
    }
}

const TASK_COLS: [&str; 16] = [
    "id",
    "version",
    "region_code",
    "institution_code",
    "check_code",
    "gap",
    "rule",
    "remedy_json",
    "responsible",
    "deadline",
    "note",
    "status",
    "gap_present",
    "checked_on",
    "gap_closed_on",
    "created_at",
];

fn task_row(r: &dyn Row) -> Result<TaskRow> {
    Ok(TaskRow {
        id: r.int("id")?,
        version: r.int("version")?,
        region: r.text("region_code")?,
        institution: r.text("institution_code")?,
        check: r.text("check_code")?,
        gap: r.text("gap")?,
        rule: r.text("rule")?,
        remedy: serde_json::from_str(&r.text("remedy_json")?).unwrap_or(serde_json::Value::Null),
        responsible: r.text("responsible")?,
        deadline: r.date("deadline")?,
        note: r.text_opt("note")?,
        status: TaskStatus::from_code(&r.text("status")?).ok_or_else(|| StoreError::Corrupt("task status".into()))?,
        gap_present: r.boolean("gap_present")?,
        checked_on: r.date_opt("checked_on")?,
        gap_closed_on: r.date_opt("gap_closed_on")?,
        created_at: r.time("created_at")?,
    })
}

/// A new task from a finding.
#[derive(Debug, Clone)]
pub struct NewTask {
    pub region: String,
    pub institution: String,
    pub check: String,
    pub gap: String,
    pub rule: String,
    pub remedy: serde_json::Value,
    pub responsible: String,
    pub deadline: NaiveDate,
    pub note: Option<String>,
}

impl Store {
    /// Store an audit as the snapshot of its region and date (replacing one of the same date),
    /// and mark every open task of the region by whether its gap is still found.
    pub async fn save_snapshot(&self, a: &AuditResult, actor: &str) -> Result<i64> {
        let mut tx = self.write().await?;
        tx.exec(
            Query::delete()
                .from_table("audit_snapshots")
                .and_where(Expr::col("region_code").eq(a.region.as_str()))
                .and_where(Expr::col("as_of").eq(a.as_of)),
        )
        .await?;
        let json = serde_json::to_string(a).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let id = tx
            .insert_id(
                Query::insert()
                    .into_table("audit_snapshots")
                    .columns(SNAPSHOT_COLS[1..].to_vec())
                    .values_panic([
                        a.region.as_str().into(),
                        a.as_of.into(),
                        (a.institutions.operating as i64).into(),
                        (a.institutions.planned as i64).into(),
                        a.rates.members.into(),
                        a.rates.leadership.into(),
                        a.rates.organization.into(),
                        (a.findings.len() as i64).into(),
                        json.into(),
                        actor.into(),
                        now().into(),
                    ])
                    .returning_col("id"),
            )
            .await?;
        let prefix = region_prefix(&a.region);
        let tasks = tx
            .all(
                Query::select()
                    .columns(TASK_COLS)
                    .from("rectification_tasks")
                    .and_where(Expr::col("deleted_at").is_null())
                    .and_where(Expr::col("status").ne(TaskStatus::Verified.code()))
                    .and_where(Expr::col("institution_code").like(format!("{prefix}%")))
                    .and_where(
                        Expr::col("created_at")
                            .lte(DateTime::<Utc>::from_naive_utc_and_offset(a.as_of.and_hms_opt(23, 59, 59).expect("valid"), Utc)),
                    ),
                task_row,
            )
            .await?;
        for t in tasks {
            let present = a.findings.iter().any(|f| f.institution == t.institution && f.gap.code() == t.gap);
            let closed = if present { None } else { t.gap_closed_on.or(Some(a.as_of)) };
            tx.exec(
                Query::update()
                    .table("rectification_tasks")
                    .value("gap_present", present)
                    .value("checked_on", a.as_of)
                    .value("gap_closed_on", closed)
                    .and_where(Expr::col("id").eq(t.id)),
            )
            .await?;
        }
        tx.commit().await?;
        Ok(id)
    }

    pub async fn snapshots(&self, region: &str) -> Result<Vec<SnapshotRow>> {
        let mut tx = self.read().await?;
        let r = tx
            .all(
                Query::select()
                    .columns(SNAPSHOT_COLS)
                    .from("audit_snapshots")
                    .and_where(Expr::col("region_code").eq(region))
                    .order_by("as_of", Order::Asc),
                snapshot_row,
            )
            .await?;
        tx.commit().await?;
        Ok(r)
    }

    pub async fn create_task(&self, t: &NewTask, actor: &str) -> Result<TaskRow> {
        let mut tx = self.write().await?;
        let at = now();
        let id = tx
            .insert_id(
                Query::insert()
                    .into_table("rectification_tasks")
                    .columns([
                        "region_code",
                        "institution_code",
                        "check_code",
                        "gap",
                        "rule",
                        "remedy_json",
                        "responsible",
                        "deadline",
                        "note",
                        "status",
                        "gap_present",
                        "created_at",
                        "updated_at",
                    ])
                    .values_panic([
                        t.region.as_str().into(),
                        t.institution.as_str().into(),
                        t.check.as_str().into(),
                        t.gap.as_str().into(),
                        t.rule.as_str().into(),
                        t.remedy.to_string().into(),
                        t.responsible.as_str().into(),
                        t.deadline.into(),
                        t.note.clone().into(),
                        TaskStatus::Open.code().into(),
                        true.into(),
                        at.into(),
                        at.into(),
                    ])
                    .returning_col("id"),
            )
            .await?;
        let after = serde_json::json!({"institution": t.institution, "gap": t.gap, "responsible": t.responsible, "deadline": t.deadline});
        log_change(&mut tx, "rectification_tasks", id, "create", actor, None, Some(after)).await?;
        tx.commit().await?;
        self.task(id).await?.ok_or(StoreError::NotFound)
    }

    pub async fn task(&self, id: i64) -> Result<Option<TaskRow>> {
        let mut tx = self.read().await?;
        let r = tx
            .opt(
                Query::select()
                    .columns(TASK_COLS)
                    .from("rectification_tasks")
                    .and_where(Expr::col("id").eq(id))
                    .and_where(Expr::col("deleted_at").is_null()),
                task_row,
            )
            .await?;
        tx.commit().await?;
        Ok(r)
    }

    /// Tasks of institutions whose code starts with the region's prefix (institution codes begin
    /// with their county's code where they are 学校标识码) — or of these institutions.
    pub async fn tasks(&self, region: &str, institutions: Option<&[String]>) -> Result<Vec<TaskRow>> {
        let mut s = Query::select();
        s.columns(TASK_COLS).from("rectification_tasks").and_where(Expr::col("deleted_at").is_null());
        match institutions {
            Some(codes) => {
                s.and_where(Expr::col("institution_code").is_in(codes.to_vec()));
            }
            None => {
                s.and_where(Expr::col("region_code").like(format!("{}%", region_prefix(region))));
            }
        }
        s.order_by("deadline", Order::Asc).order_by("id", Order::Asc);
        let mut tx = self.read().await?;
        let r = tx.all(&s, task_row).await?;
        tx.commit().await?;
        Ok(r)
    }

    /// Move a task on (open › done › verified) or change its note, if still at `version` (S24).
    pub async fn update_task(&self, id: i64, version: i64, status: TaskStatus, note: Option<String>, actor: &str) -> Result<TaskRow> {
        let before = self.task(id).await?.ok_or(StoreError::NotFound)?;
        let mut tx = self.write().await?;
        let n = tx
            .exec(
                Query::update()
                    .table("rectification_tasks")
                    .value("status", status.code())
                    .value("note", note.clone())
                    .value("version", Expr::col("version").add(1))
                    .value("updated_at", now())
                    .and_where(Expr::col("id").eq(id))
                    .and_where(Expr::col("version").eq(version))
                    .and_where(Expr::col("deleted_at").is_null()),
            )
            .await?;
        if n == 0 {
            return Err(StoreError::Stale { current: before.version });
        }
        log_change(
            &mut tx,
            "rectification_tasks",
            id,
            "update",
            actor,
            Some(serde_json::json!({"status": before.status, "note": before.note})),
            Some(serde_json::json!({"status": status, "note": note})),
        )
        .await?;
        tx.commit().await?;
        self.task(id).await?.ok_or(StoreError::NotFound)
    }
}
