//! Two-person approval of sensitive exports (SECURITY S14): a request names the region and the
//! reason; another account of the same level approves or refuses it; the requester then takes
//! the file once, within a day. Each step is written to the audit trail in its own transaction.
use chrono::{DateTime, Duration, Utc};
use hongzhu_core::registry::FieldError;
use sea_query::{Expr, ExprTrait, Order, Query};
use serde::Serialize;

use crate::db::{Row, Store};
use crate::trail::{AuditEntry, Outcome};
use crate::{Result, StoreError};

/// How long an approval can be used.
pub const APPROVAL_HOURS: i64 = 24;

#[derive(Debug, Clone, Serialize)]
pub struct ExportRequest {
    pub id: i64,
    /// "ledger_full": the ledger workbook with ID and phone numbers in full.
    pub kind: String,
    pub region: String,
    pub reason: String,
    pub requested_by: i64,
    pub requester: String,
    /// pending, approved, refused, used, expired.
    pub status: String,
    pub approver: Option<String>,
    pub decision_note: Option<String>,
    pub created_at: DateTime<Utc>,
    pub decided_at: Option<DateTime<Utc>>,
    pub expires_at: Option<DateTime<Utc>>,
    pub used_at: Option<DateTime<Utc>>,
}

impl ExportRequest {
    /// The status as it stands now (an approval past its day has expired).
    pub fn status_now(&self) -> &str {
        if self.status == "approved" && self.expires_at.is_some_and(|e| e <= Utc::now()) { "expired" } else { &self.status }
    }
    pub fn status_zh(&self) -> &'static str {
        match self.status_now() {
            "pending" => "待审批",
            "approved" => "已批准，可下载",
            "refused" => "未批准",
            "used" => "已下载",
            _ => "已过期",
        }
    }
    pub fn status_en(&self) -> &'static str {
        match self.status_now() {
            "pending" => "awaiting approval",
            "approved" => "approved: download",
            "refused" => "refused",
            "used" => "downloaded",
            _ => "expired",
        }
    }
}

const COLS: [&str; 13] = [
    "id",
    "kind",
    "region",
    "reason",
    "requested_by",
    "requester",
    "status",
    "approver",
    "decision_note",
    "created_at",
    "decided_at",
    "expires_at",
    "used_at",
];

fn request_row(r: &dyn Row) -> Result<ExportRequest> {
    Ok(ExportRequest {
        id: r.int("id")?,
        kind: r.text("kind")?,
        region: r.text("region")?,
        reason: r.text("reason")?,
        requested_by: r.int("requested_by")?,
        requester: r.text("requester")?,
        status: r.text("status")?,
        approver: r.text_opt("approver")?,
        decision_note: r.text_opt("decision_note")?,
        created_at: r.time("created_at")?,
        decided_at: r.time_opt("decided_at")?,
        expires_at: r.time_opt("expires_at")?,
        used_at: r.time_opt("used_at")?,
    })
}

fn refused(code: &'static str, zh: impl Into<String>, en: impl Into<String>) -> StoreError {
    StoreError::Refused(FieldError::new("request", code, zh, en))
}

impl Store {
    /// Ask for an export that needs approval.
    pub async fn request_export(&self, kind: &str, region: &str, reason: &str, audit: &AuditEntry) -> Result<i64> {
        let reason = reason.trim();
        if reason.chars().count() < 4 || reason.chars().count() > 200 {
            return Err(StoreError::Refused(FieldError::new(
                "reason",
                "reason_required",
                "请写明用途（4 至 200 字），审批人据此决定是否批准",
                "give the purpose (4–200 characters): the approver decides on it",
            )));
        }
        let user_id = audit.actor.user_id.ok_or_else(|| refused("no_user", "须由登录用户申请", "a signed-in user asks"))?;
        let mut tx = self.write().await?;
        let id = tx
            .insert_id(
                Query::insert()
                    .into_table("export_requests")
                    .columns(["kind", "region", "reason", "requested_by", "requester", "status", "created_at"])
                    .values_panic([
                        kind.into(),
                        region.into(),
                        reason.into(),
                        user_id.into(),
                        audit.actor.username.clone().into(),
                        "pending".into(),
                        Utc::now().into(),
                    ])
                    .returning_col("id"),
            )
            .await?;
        let mut entry = audit.clone();
        entry.object = format!("export request {id}");
        entry.detail = format!("{kind} region {region}: {reason}");
        self.audit_in(&mut tx, &entry).await?;
        tx.commit().await?;
        Ok(id)
    }

    pub async fn export_request(&self, id: i64) -> Result<Option<ExportRequest>> {
        let mut tx = self.read().await?;
        let r = tx.opt(Query::select().columns(COLS).from("export_requests").and_where(Expr::col("id").eq(id)), request_row).await?;
        tx.commit().await?;
        Ok(r)
    }

    /// Requests of a kind for regions starting with `prefix` (all when empty), newest first.
    pub async fn export_requests(&self, kind: &str, prefix: &str, limit: u64) -> Result<Vec<ExportRequest>> {
        let mut tx = self.read().await?;
        let mut q = Query::select();
        q.columns(COLS).from("export_requests").and_where(Expr::col("kind").eq(kind)).order_by("id", Order::Desc).limit(limit);
        if !prefix.is_empty() {
            q.and_where(Expr::col("region").like(format!("{prefix}%")));
        }
        let r = tx.all(&q, request_row).await?;
        tx.commit().await?;
        Ok(r)
    }

    /// Approve or refuse a pending request; never one's own (S14).
    pub async fn decide_export(&self, id: i64, approve: bool, note: &str, audit: &AuditEntry) -> Result<ExportRequest> {
        let approver_id = audit.actor.user_id.ok_or_else(|| refused("no_user", "须由登录用户审批", "a signed-in user decides"))?;
        let mut tx = self.write().await?;
        let r = tx
            .opt(Query::select().columns(COLS).from("export_requests").and_where(Expr::col("id").eq(id)), request_row)
            .await?
            .ok_or(StoreError::NotFound)?;
        if r.requested_by == approver_id {
            return Err(refused(
                "own_request",
                "不能审批自己的申请：须由另一位管理员审批",
                "you cannot approve your own request: another administrator must",
            ));
        }
        if r.status != "pending" {
            return Err(refused(
                "decided",
                format!("该申请已处理（{}），不能再审批", r.status_zh()),
                format!("the request was already decided ({})", r.status_en()),
            ));
        }
        let now = Utc::now();
        let status = if approve { "approved" } else { "refused" };
        tx.exec(
            Query::update()
                .table("export_requests")
                .value("status", status)
                .value("approver_id", approver_id)
                .value("approver", audit.actor.username.clone())
                .value("decision_note", note.trim().chars().take(200).collect::<String>())
                .value("decided_at", now)
                .value("expires_at", if approve { Some(now + Duration::hours(APPROVAL_HOURS)) } else { None })
                .and_where(Expr::col("id").eq(id))
                .and_where(Expr::col("status").eq("pending")),
        )
        .await?;
        let mut entry = audit.clone();
        entry.object = format!("export request {id}");
        entry.outcome = if approve { Outcome::Success } else { Outcome::Denied };
        entry.detail = format!("{status} {} region {} for {}", r.kind, r.region, r.requester);
        self.audit_in(&mut tx, &entry).await?;
        tx.commit().await?;
        self.export_request(id).await?.ok_or(StoreError::NotFound)
    }

    /// The requester takes an approved export, once, within its day: the request becomes used.
    pub async fn take_export(&self, id: i64, user_id: i64, kind: &str, region: &str) -> Result<ExportRequest> {
        let mut tx = self.write().await?;
        let r = tx
            .opt(Query::select().columns(COLS).from("export_requests").and_where(Expr::col("id").eq(id)), request_row)
            .await?
            .ok_or(StoreError::NotFound)?;
        if r.requested_by != user_id {
            return Err(StoreError::NotFound);
        }
        if r.kind != kind || r.region != region {
            return Err(refused(
                "other_export",
                format!("该审批是导出区划 {} 的，与本次导出不符", r.region),
                format!("the approval is for region {}, not this export", r.region),
            ));
        }
        match r.status_now() {
            "approved" => {}
            "pending" => return Err(refused("pending", "申请尚待审批", "the request awaits approval")),
            "used" => {
                return Err(refused("used", "该审批已使用过一次；如需再次导出请重新申请", "the approval was used once already: ask again"));
            }
            "expired" => {
                return Err(refused(
                    "expired",
                    format!("审批已超过 {APPROVAL_HOURS} 小时有效期，请重新申请"),
                    "the approval expired: ask again",
                ));
            }
            _ => return Err(refused("refused", "申请未获批准", "the request was refused")),
        }
        tx.exec(
            Query::update()
                .table("export_requests")
                .value("status", "used")
                .value("used_at", Utc::now())
                .and_where(Expr::col("id").eq(id))
                .and_where(Expr::col("status").eq("approved")),
        )
        .await?;
        tx.commit().await?;
        self.export_request(id).await?.ok_or(StoreError::NotFound)
    }
}
