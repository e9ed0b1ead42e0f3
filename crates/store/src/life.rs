//! Organizational life (DOMAIN §4): activities and their review flow, the roster due to attend
//! and attendance (check-in), the facts the compliance check needs, members' last attendance
//! (R3.5), study hours (R3.4), 民主评议 grades (R3.3), the county's monthly themes, and the bulk
//! load of a generated year.
use std::collections::HashMap;

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use hongzhu_core::codes::OrgCode;
use hongzhu_core::labels::{ActivityKind, ActivityStatus, AttendState, Grade, Labeled, MemberCategory, OrgKind, PartyPost};
use hongzhu_core::life::{self, Activity, HeldFact, OrgFacts, from_local, is_affairs_cadre, is_committee, to_local};
use hongzhu_core::registry::FieldError;
use hongzhu_core::synth_life::{GenActivity, GenGuide};
use sea_query::{Expr, ExprTrait, Func, Order, Query, SelectStatement, Value};
use serde::Serialize;

use crate::bulk::{insert_values, next_id};
use crate::db::{Backend, Row, Store, Tx};
use crate::records::{Page, Scope, like_prefix, log_change, now, parse_label, parse_opt_label, region_prefix, scope_orgs};
use crate::{Result, StoreError};

/// An activity as stored.
#[derive(Debug, Clone, Serialize)]
pub struct ActivityRow {
    pub id: i64,
    pub version: i64,
    pub org_id: i64,
    pub org_name: String,
    #[serde(flatten)]
    pub activity: Activity,
    pub status: ActivityStatus,
    pub return_reason: Option<String>,
    pub reviewed_by: Option<String>,
    pub reviewed_at: Option<DateTime<Utc>>,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl ActivityRow {
    pub fn local_date(&self) -> NaiveDate {
        to_local(self.activity.starts_at).date()
    }
    /// The kind as people call it: an `Other` activity by its own name.
    pub fn kind_label(&self, locale: &str) -> String {
        match (&self.activity.kind, &self.activity.kind_name) {
            (ActivityKind::Other, Some(n)) => n.clone(),
            (k, _) => k.label(locale).to_string(),
        }
    }
}

const ACTIVITY_COLS: [&str; 22] = [
    "id",
    "version",
    "org_id",
    "kind",
    "kind_name",
    "topic",
    "starts_at",
    "minutes",
    "place",
    "host",
    "recorder",
    "lecturer",
    "content",
    "decisions",
    "hours",
    "status",
    "return_reason",
    "reviewed_by",
    "reviewed_at",
    "created_by",
    "created_at",
    "updated_at",
];

fn activity_select() -> SelectStatement {
    let mut s = Query::select();
    s.columns(ACTIVITY_COLS.map(|c| ("a", c)))
        .expr_as(Expr::col(("o", "code")), "org_code")
        .expr_as(Expr::col(("o", "name")), "org_name")
        .from_as("activities", "a")
        .join_as(sea_query::JoinType::InnerJoin, "party_orgs", "o", Expr::col(("o", "id")).equals(("a", "org_id")))
        .and_where(Expr::col(("a", "deleted_at")).is_null());
    s
}

fn activity_row(r: &dyn Row) -> Result<ActivityRow> {
    let status: ActivityStatus = parse_label(&r.text("status")?)?;
    Ok(ActivityRow {
        id: r.int("id")?,
        version: r.int("version")?,
        org_id: r.int("org_id")?,
        org_name: r.text("org_name")?,
        activity: Activity {
            org: OrgCode::parse(&r.text("org_code")?).map_err(|e| StoreError::Corrupt(e.code.into()))?,
            kind: parse_label(&r.text("kind")?)?,
            kind_name: r.text_opt("kind_name")?,
            topic: r.text("topic")?,
            starts_at: r.time("starts_at")?,
            minutes: r.int("minutes")?,
            place: r.text("place")?,
            host: r.text("host")?,
            recorder: r.text("recorder")?,
            lecturer: r.text_opt("lecturer")?,
            content: r.text("content")?,
            decisions: r.text("decisions")?,
            hours: r.float_opt("hours")?.unwrap_or(0.0),
            held: status.held(),
        },
        status,
        return_reason: r.text_opt("return_reason")?,
        reviewed_by: r.text_opt("reviewed_by")?,
        reviewed_at: r.time_opt("reviewed_at")?,
        created_by: r.text("created_by")?,
        created_at: r.time("created_at")?,
        updated_at: r.time("updated_at")?,
    })
}

/// Which activities a list shows.
#[derive(Debug, Clone, Default)]
pub struct ActivityFilter {
    pub org: Option<String>,
    pub kind: Option<ActivityKind>,
    pub status: Option<ActivityStatus>,
    /// Local dates, inclusive.
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub q: Option<String>,
    pub page: u64,
    pub page_size: u64,
}

/// Attendance counts of one activity.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Turnout {
    pub due: i64,
    pub present: i64,
    pub leave: i64,
    pub absent: i64,
    /// Not yet checked in (nor marked).
    pub pending: i64,
}

/// One member due at an activity.
#[derive(Debug, Clone, Serialize)]
pub struct AttendanceRow {
    pub member_id: i64,
    pub person_id: i64,
    pub name: String,
    pub org_code: String,
    pub org_name: String,
    pub party_post: Option<PartyPost>,
    pub state: AttendState,
    pub reason: Option<String>,
    pub checked_in_at: Option<DateTime<Utc>>,
    pub by_phone: bool,
}

/// A member's last attendance, for R3.5.
#[derive(Debug, Clone, Serialize)]
pub struct PresenceRow {
    pub member_id: i64,
    pub name: String,
    pub org_code: String,
    pub org_name: String,
    pub admitted_on: NaiveDate,
    pub last_present: Option<NaiveDate>,
}

/// A county's monthly theme for 主题党日.
#[derive(Debug, Clone, Serialize)]
pub struct GuideRow {
    pub id: i64,
    pub version: i64,
    pub region: String,
    pub month: NaiveDate,
    pub topic: String,
    pub materials: String,
}

/// A member's grade for a year (R3.3).
#[derive(Debug, Clone, Serialize)]
pub struct EvaluationRow {
    pub member_id: i64,
    pub name: String,
    pub party_post: Option<PartyPost>,
    pub grade: Option<Grade>,
    pub note: Option<String>,
}

/// An attachment's description (its bytes are read on their own).
#[derive(Debug, Clone, Serialize)]
pub struct AttachmentRow {
    pub id: i64,
    pub activity_id: i64,
    pub name: String,
    pub mime: String,
    pub size: i64,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
}

impl AttachmentRow {
    pub fn is_image(&self) -> bool {
        self.mime.starts_with("image/")
    }
    pub fn size_label(&self) -> String {
        if self.size >= 1 << 20 { format!("{:.1} MB", self.size as f64 / 1048576.0) } else { format!("{} KB", (self.size + 1023) / 1024) }
    }
}

fn attachment_row(r: &dyn Row) -> Result<AttachmentRow> {
    Ok(AttachmentRow {
        id: r.int("id")?,
        activity_id: r.int("activity_id")?,
        name: r.text("name")?,
        mime: r.text("mime")?,
        size: r.int("size")?,
        created_by: r.text("created_by")?,
        created_at: r.time("created_at")?,
    })
}

const ATTACHMENT_COLS: [&str; 7] = ["id", "activity_id", "name", "mime", "size", "created_by", "created_at"];

/// A status change in the review flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Review {
    /// Draft or returned → submitted.
    Submit,
    /// Submitted → accepted (the higher organization).
    Accept,
    /// Submitted → returned, with a reason.
    Return,
}

fn refused(field: &'static str, code: &'static str, zh: impl Into<String>, en: impl Into<String>) -> StoreError {
    StoreError::Refused(FieldError::new(field, code, zh, en))
}

fn scope_activities(s: &mut SelectStatement, scope: &Scope) {
    match scope {
        Scope::All => {}
        Scope::Region(_) => scope_orgs(s, scope, "o"),
        Scope::Within { orgs, .. } => {
            s.and_where(Expr::col(("a", "org_id")).is_in(orgs.clone()).or(Expr::col(("a", "id")).in_subquery(
                Query::select().column("activity_id").from("activity_invites").and_where(Expr::col("org_id").is_in(orgs.clone())).take(),
            )));
        }
        Scope::Person(pid) => {
            s.and_where(
                Expr::col(("a", "id")).in_subquery(
                    Query::select()
                        .column(("t", "activity_id"))
                        .from_as("attendance", "t")
                        .join_as(sea_query::JoinType::InnerJoin, "members", "m", Expr::col(("m", "id")).equals(("t", "member_id")))
                        .and_where(Expr::col(("m", "person_id")).eq(*pid))
                        .take(),
                ),
            );
        }
    }
}

fn local_day_start(d: NaiveDate) -> DateTime<Utc> {
    from_local(d.and_hms_opt(0, 0, 0).expect("valid"))
}

/// The roster due at an activity: the organization's members admitted by its date (its
/// committee for a 支委会, R1.4), or the Party-affairs cadres of the invited organizations at an
/// observation event.
async fn roster(tx: &mut Tx, org_id: i64, a: &Activity, invited: &[i64]) -> Result<Vec<i64>> {
    let mut s = Query::select();
    s.columns(["id", "party_post", "admitted_on"]).from("members").and_where(Expr::col("deleted_at").is_null());
    if a.kind == ActivityKind::Observation {
        s.and_where(Expr::col("org_id").is_in(invited.to_vec()));
    } else {
        s.and_where(Expr::col("org_id").eq(org_id));
    }
    let date = to_local(a.starts_at).date();
    let rows = tx.all(&s, |r| Ok((r.int("id")?, parse_opt_label::<PartyPost>(r.text_opt("party_post")?)?, r.date("admitted_on")?))).await?;
    Ok(rows
        .into_iter()
        .filter(|(_, post, admitted)| {
            *admitted <= date
                && match a.kind {
                    ActivityKind::Observation => is_affairs_cadre(*post),
                    k if k.committee_only() => is_committee(*post),
                    _ => true,
                }
        })
        .map(|(id, _, _)| id)
        .collect())
}

/// Recompute when these members last attended (R3.5), inside the transaction that changed
/// their attendance.
async fn refresh_last_present(tx: &mut Tx, members: &[i64]) -> Result<()> {
    for chunk in members.chunks(5000) {
        let last: HashMap<i64, DateTime<Utc>> = tx
            .all(
                Query::select()
                    .column(("t", "member_id"))
                    .expr_as(Func::max(Expr::col(("a", "starts_at"))), "last")
                    .from_as("attendance", "t")
                    .join_as(sea_query::JoinType::InnerJoin, "activities", "a", Expr::col(("a", "id")).equals(("t", "activity_id")))
                    .and_where(Expr::col(("t", "member_id")).is_in(chunk.to_vec()))
                    .and_where(Expr::col(("t", "state")).eq(AttendState::Present.code()))
                    .and_where(Expr::col(("a", "deleted_at")).is_null())
                    .group_by_col(("t", "member_id")),
                |r| Ok((r.int("member_id")?, r.time("last")?)),
            )
            .await?
            .into_iter()
            .collect();
        for m in chunk {
            tx.exec(Query::update().table("members").value("last_present_at", last.get(m).copied()).and_where(Expr::col("id").eq(*m)))
                .await?;
        }
    }
    Ok(())
}

/// The columns an activity's record writes, in the order of `activity_values`.
const ACTIVITY_FIELDS: [&str; 12] =
    ["kind", "kind_name", "topic", "starts_at", "minutes", "place", "host", "recorder", "lecturer", "content", "decisions", "hours"];

fn activity_values(a: &Activity) -> Vec<(&'static str, Value)> {
    let values: [Value; 12] = [
        a.kind.code().into(),
        a.kind_name.clone().into(),
        a.topic.clone().into(),
        a.starts_at.into(),
        a.minutes.into(),
        a.place.clone().into(),
        a.host.clone().into(),
        a.recorder.clone().into(),
        a.lecturer.clone().into(),
        a.content.clone().into(),
        a.decisions.clone().into(),
        a.hours.into(),
    ];
    ACTIVITY_FIELDS.into_iter().zip(values).collect()
}

impl Store {
    async fn org_id_in(tx: &mut Tx, code: &str) -> Result<i64> {
        tx.opt(
            Query::select()
                .column("id")
                .from("party_orgs")
                .and_where(Expr::col("code").eq(code))
                .and_where(Expr::col("deleted_at").is_null()),
            |r| r.int("id"),
        )
        .await?
        .ok_or_else(|| StoreError::UnknownReference { field: "org", value: code.to_string() })
    }

    /// Record a planned or held activity and fill its roster. `invited`: organizations invited to
    /// an observation event.
    /// `hosts`: the schools hosting an observation event (institution codes).
    pub async fn create_activity(&self, a: &Activity, invited: &[String], hosts: &[String], actor: &str) -> Result<ActivityRow> {
        let mut tx = self.write().await?;
        let org_id = Self::org_id_in(&mut tx, a.org.as_str()).await?;
        let mut invited_ids = Vec::new();
        for code in invited {
            invited_ids.push(Self::org_id_in(&mut tx, code).await?);
        }
        let mut host_ids = Vec::new();
        for code in hosts {
            let id = tx
                .opt(
                    Query::select()
                        .column("id")
                        .from("institutions")
                        .and_where(Expr::col("code").eq(code.as_str()))
                        .and_where(Expr::col("deleted_at").is_null()),
                    |r| r.int("id"),
                )
                .await?
                .ok_or_else(|| StoreError::UnknownReference { field: "institution", value: code.clone() })?;
            host_ids.push(id);
        }
        if a.kind == ActivityKind::Observation && host_ids.is_empty() {
            return Err(refused(
                "hosts",
                "required",
                "观摩活动请选择承办学校（一所或多所）",
                "an observation event is hosted by at least one school",
            ));
        }
        if a.kind == ActivityKind::Observation && invited_ids.is_empty() {
            return Err(refused(
                "invited",
                "required",
                "观摩活动请选择受邀党组织",
                "an observation event invites at least one organization",
            ));
        }
        let status = if a.held { ActivityStatus::Draft } else { ActivityStatus::Planned };
        let at = now();
        let mut values = activity_values(a);
        values.extend([
            ("org_id", org_id.into()),
            ("status", status.code().into()),
            ("created_by", actor.into()),
            ("created_at", at.into()),
            ("updated_at", at.into()),
        ]);
        let (cols, vals): (Vec<&'static str>, Vec<Value>) = values.into_iter().unzip();
        let id = tx
            .insert_id(
                Query::insert().into_table("activities").columns(cols).values_panic(vals.into_iter().map(Expr::val)).returning_col("id"),
            )
            .await?;
        for o in &invited_ids {
            tx.exec(
                Query::insert().into_table("activity_invites").columns(["activity_id", "org_id"]).values_panic([id.into(), (*o).into()]),
            )
            .await?;
        }
        host_ids.sort_unstable();
        host_ids.dedup();
        for h in &host_ids {
            tx.exec(
                Query::insert()
                    .into_table("activity_hosts")
                    .columns(["activity_id", "institution_id"])
                    .values_panic([id.into(), (*h).into()]),
            )
            .await?;
        }
        let members = roster(&mut tx, org_id, a, &invited_ids).await?;
        // Until someone marks attendance, a held activity's roster reads 未签到 (due).
        let rows = members.iter().map(|m| vec![id.into(), (*m).into(), AttendState::Due.code().into(), at.into()]).collect();
        insert_many(&mut tx, "attendance", &["activity_id", "member_id", "state", "updated_at"], rows).await?;
        log_change(&mut tx, "activities", id, "create", actor, None, serde_json::to_value(a).ok()).await?;
        tx.commit().await?;
        self.activity(&Scope::All, id).await?.ok_or(StoreError::NotFound)
    }

    pub async fn activity(&self, scope: &Scope, id: i64) -> Result<Option<ActivityRow>> {
        let mut s = activity_select();
        scope_activities(&mut s, scope);
        s.and_where(Expr::col(("a", "id")).eq(id));
        let mut tx = self.read().await?;
        let r = tx.opt(&s, activity_row).await?;
        tx.commit().await?;
        Ok(r)
    }

    pub async fn activities(&self, scope: &Scope, f: &ActivityFilter) -> Result<Page<ActivityRow>> {
        let mut s = activity_select();
        scope_activities(&mut s, scope);
        if let Some(o) = f.org.as_deref().filter(|o| !o.is_empty()) {
            s.and_where(Expr::col(("o", "code")).eq(o));
        }
        if let Some(k) = f.kind {
            s.and_where(Expr::col(("a", "kind")).eq(k.code()));
        }
        if let Some(st) = f.status {
            s.and_where(Expr::col(("a", "status")).eq(st.code()));
        }
        if let Some(d) = f.from {
            s.and_where(Expr::col(("a", "starts_at")).gte(local_day_start(d)));
        }
        if let Some(d) = f.to {
            s.and_where(Expr::col(("a", "starts_at")).lt(local_day_start(d + chrono::Duration::days(1))));
        }
        if let Some(q) = f.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
            let pat =
                sea_query::LikeExpr::new(format!("%{}%", q.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_"))).escape('\\');
            s.and_where(Expr::col(("a", "topic")).like(pat.clone()).or(Expr::col(("o", "name")).like(pat)));
        }
        let mut count = s.clone();
        count.clear_selects().expr_as(Expr::col(("a", "id")).count(), "n");
        let (page, size) = (Ord::max(f.page, 1), Ord::clamp(f.page_size, 1, 1000));
        s.order_by(("a", "starts_at"), Order::Desc).order_by(("a", "id"), Order::Desc).limit(size).offset((page - 1) * size);
        let mut tx = self.read().await?;
        let total = tx.one(&count, |r| r.int("n")).await?;
        let items = tx.all(&s, activity_row).await?;
        tx.commit().await?;
        Ok(Page { items, total, page, page_size: size })
    }

    /// Change a record that is still editable (a plan, a draft, or a returned record), if still
    /// at `version` (S24). A plan becomes a draft when recorded as held.
    pub async fn update_activity(&self, id: i64, version: i64, a: &Activity, actor: &str) -> Result<ActivityRow> {
        let before = self.activity(&Scope::All, id).await?.ok_or(StoreError::NotFound)?;
        if !matches!(before.status, ActivityStatus::Planned | ActivityStatus::Draft | ActivityStatus::Returned) {
            return Err(refused(
                "status",
                "not_editable",
                format!("该活动记录{}，不能再修改；如需更正请联系上级党组织退回", before.status.zh()),
                format!("the record is {}: it can no longer be changed", before.status.en()),
            ));
        }
        if a.org != before.activity.org {
            return Err(refused(
                "org",
                "org_fixed",
                "活动所属党组织不能修改，请删除后重新登记",
                "an activity's organization cannot change",
            ));
        }
        if before.activity.held && !a.held {
            return Err(refused("held", "was_held", "已开展的活动不能改回计划", "a held activity cannot go back to being a plan"));
        }
        let status = if a.held && before.status == ActivityStatus::Planned { ActivityStatus::Draft } else { before.status };
        let mut tx = self.write().await?;
        let mut u = Query::update();
        u.table("activities");
        for (c, v) in activity_values(a) {
            u.value(c, v);
        }
        u.value("status", status.code())
            .value("version", Expr::col("version").add(1))
            .value("updated_at", now())
            .and_where(Expr::col("id").eq(id))
            .and_where(Expr::col("version").eq(version))
            .and_where(Expr::col("deleted_at").is_null());
        if tx.exec(&u).await? == 0 {
            return Err(StoreError::Stale { current: before.version });
        }
        log_change(&mut tx, "activities", id, "update", actor, serde_json::to_value(&before.activity).ok(), serde_json::to_value(a).ok())
            .await?;
        if a.starts_at != before.activity.starts_at {
            let present = tx
                .all(
                    Query::select()
                        .column("member_id")
                        .from("attendance")
                        .and_where(Expr::col("activity_id").eq(id))
                        .and_where(Expr::col("state").eq(AttendState::Present.code())),
                    |r| r.int("member_id"),
                )
                .await?;
            refresh_last_present(&mut tx, &present).await?;
        }
        tx.commit().await?;
        self.activity(&Scope::All, id).await?.ok_or(StoreError::NotFound)
    }

    /// Move a record through review: submit (by its organization), accept or return with a
    /// reason (by the higher organization).
    pub async fn review_activity(&self, id: i64, version: i64, step: Review, reason: Option<&str>, actor: &str) -> Result<ActivityRow> {
        let before = self.activity(&Scope::All, id).await?.ok_or(StoreError::NotFound)?;
        use ActivityStatus as S;
        let to = match (step, before.status) {
            (Review::Submit, S::Draft | S::Returned) => S::Submitted,
            (Review::Accept, S::Submitted) => S::Accepted,
            (Review::Return, S::Submitted) => S::Returned,
            (Review::Submit, S::Planned) => {
                return Err(refused(
                    "status",
                    "not_held",
                    "计划中的活动不能提交：请先填写开展情况",
                    "a plan cannot be submitted: record it as held first",
                ));
            }
            (_, from) => {
                let next = match from {
                    S::Draft | S::Returned => ("可以提交审核", "it can be submitted"),
                    S::Submitted => ("等待上级党组织审核通过或退回", "it awaits acceptance or return"),
                    S::Accepted => {
                        ("已审核的记录不再流转；如需更正请联系上级党组织", "an accepted record is final; ask the higher organization")
                    }
                    S::Planned => ("请先填写开展情况", "record it as held first"),
                };
                return Err(refused(
                    "status",
                    "bad_step",
                    format!("当前状态为“{}”，不能进行此操作：{}", from.zh(), next.0),
                    format!("the record is {}: {}", from.en(), next.1),
                ));
            }
        };
        let reason = reason.map(str::trim).filter(|r| !r.is_empty());
        if step == Review::Return && reason.is_none() {
            return Err(refused("reason", "required", "退回时请填写退回原因", "returning a record needs a reason"));
        }
        let mut tx = self.write().await?;
        let mut u = Query::update();
        u.table("activities")
            .value("status", to.code())
            .value("version", Expr::col("version").add(1))
            .value("updated_at", now())
            .and_where(Expr::col("id").eq(id))
            .and_where(Expr::col("version").eq(version))
            .and_where(Expr::col("deleted_at").is_null());
        if step != Review::Submit {
            u.value("reviewed_by", actor).value("reviewed_at", now()).value("return_reason", reason.map(str::to_string));
        }
        if tx.exec(&u).await? == 0 {
            return Err(StoreError::Stale { current: before.version });
        }
        log_change(
            &mut tx,
            "activities",
            id,
            "review",
            actor,
            Some(serde_json::json!({"status": before.status})),
            Some(serde_json::json!({"status": to, "reason": reason})),
        )
        .await?;
        tx.commit().await?;
        self.activity(&Scope::All, id).await?.ok_or(StoreError::NotFound)
    }

    /// Attach a photo or document to a record that can still change; its type is judged by its
    /// content and its size and the count per activity are limited.
    pub async fn add_attachment(&self, activity_id: i64, name: &str, bytes: &[u8], actor: &str) -> Result<AttachmentRow> {
        use sha2::Digest;
        let a = self.activity(&Scope::All, activity_id).await?.ok_or(StoreError::NotFound)?;
        if matches!(a.status, ActivityStatus::Submitted | ActivityStatus::Accepted) {
            return Err(refused("file", "not_editable", "记录已提交，不能再添加附件", "the record is submitted: attachments are fixed"));
        }
        let name: String = name.trim().chars().filter(|c| !c.is_control() && !matches!(c, '/' | '\\' | '"')).take(120).collect();
        let name = if name.is_empty() { "附件".to_string() } else { name };
        let mime = life::attachment_type(&name, bytes).map_err(StoreError::Refused)?;
        if self.attachments(activity_id).await?.len() >= life::ATTACHMENTS_PER_ACTIVITY {
            return Err(refused(
                "file",
                "too_many",
                format!("每次活动最多 {} 个附件", life::ATTACHMENTS_PER_ACTIVITY),
                format!("an activity holds at most {} attachments", life::ATTACHMENTS_PER_ACTIVITY),
            ));
        }
        let sha: String = sha2::Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect();
        let mut tx = self.write().await?;
        let id = tx
            .insert_id(
                Query::insert()
                    .into_table("activity_files")
                    .columns(["activity_id", "name", "mime", "size", "sha256", "data", "created_by", "created_at"])
                    .values_panic([
                        activity_id.into(),
                        name.clone().into(),
                        mime.into(),
                        (bytes.len() as i64).into(),
                        sha.clone().into(),
                        bytes.to_vec().into(),
                        actor.into(),
                        now().into(),
                    ])
                    .returning_col("id"),
            )
            .await?;
        log_change(
            &mut tx,
            "activity_files",
            id,
            "create",
            actor,
            None,
            Some(serde_json::json!({"activity": activity_id, "name": name, "size": bytes.len(), "sha256": sha})),
        )
        .await?;
        tx.commit().await?;
        self.attachment(id).await?.map(|x| x.0).ok_or(StoreError::NotFound)
    }

    pub async fn attachments(&self, activity_id: i64) -> Result<Vec<AttachmentRow>> {
        let mut tx = self.read().await?;
        let r = tx
            .all(
                Query::select()
                    .columns(ATTACHMENT_COLS)
                    .from("activity_files")
                    .and_where(Expr::col("activity_id").eq(activity_id))
                    .and_where(Expr::col("deleted_at").is_null())
                    .order_by("id", Order::Asc),
                attachment_row,
            )
            .await?;
        tx.commit().await?;
        Ok(r)
    }

    /// One attachment with its bytes.
    pub async fn attachment(&self, id: i64) -> Result<Option<(AttachmentRow, Vec<u8>)>> {
        let mut tx = self.read().await?;
        let r = tx
            .opt(
                Query::select()
                    .columns(ATTACHMENT_COLS)
                    .column("data")
                    .from("activity_files")
                    .and_where(Expr::col("id").eq(id))
                    .and_where(Expr::col("deleted_at").is_null()),
                |r| Ok((attachment_row(r)?, r.bytes("data")?)),
            )
            .await?;
        tx.commit().await?;
        Ok(r)
    }

    /// Remove an attachment from a record that can still change (kept in the database, S25).
    pub async fn delete_attachment(&self, id: i64, actor: &str) -> Result<i64> {
        let (f, _) = self.attachment(id).await?.ok_or(StoreError::NotFound)?;
        let a = self.activity(&Scope::All, f.activity_id).await?.ok_or(StoreError::NotFound)?;
        if matches!(a.status, ActivityStatus::Submitted | ActivityStatus::Accepted) {
            return Err(refused("file", "not_editable", "记录已提交，附件不能删除", "the record is submitted: attachments are fixed"));
        }
        let mut tx = self.write().await?;
        tx.exec(Query::update().table("activity_files").value("deleted_at", now()).and_where(Expr::col("id").eq(id))).await?;
        log_change(&mut tx, "activity_files", id, "delete", actor, Some(serde_json::json!({"name": f.name})), None).await?;
        tx.commit().await?;
        Ok(f.activity_id)
    }

    /// The schools hosting an observation event: (code, name).
    pub async fn activity_hosts(&self, activity_id: i64) -> Result<Vec<(String, String)>> {
        Ok(self.hosts_of(&[activity_id]).await?.remove(&activity_id).unwrap_or_default())
    }

    /// The host schools of several activities in one query, by activity.
    pub async fn hosts_of(&self, ids: &[i64]) -> Result<HashMap<i64, Vec<(String, String)>>> {
        let mut tx = self.read().await?;
        let rows = tx
            .all(
                Query::select()
                    .column(("h", "activity_id"))
                    .columns([("i", "code"), ("i", "name")])
                    .from_as("activity_hosts", "h")
                    .join_as(sea_query::JoinType::InnerJoin, "institutions", "i", Expr::col(("i", "id")).equals(("h", "institution_id")))
                    .and_where(Expr::col(("h", "activity_id")).is_in(ids.to_vec()))
                    .order_by(("i", "code"), Order::Asc),
                |r| Ok((r.int("activity_id")?, r.text("code")?, r.text("name")?)),
            )
            .await?;
        tx.commit().await?;
        let mut out: HashMap<i64, Vec<(String, String)>> = HashMap::new();
        for (a, code, name) in rows {
            out.entry(a).or_default().push((code, name));
        }
        Ok(out)
    }

    /// Organizations invited to an observation event.
    pub async fn invited_orgs(&self, activity_id: i64) -> Result<Vec<(String, String)>> {
        let mut tx = self.read().await?;
        let r = tx
            .all(
                Query::select()
                    .columns([("o", "code"), ("o", "name")])
                    .from_as("activity_invites", "v")
                    .join_as(sea_query::JoinType::InnerJoin, "party_orgs", "o", Expr::col(("o", "id")).equals(("v", "org_id")))
                    .and_where(Expr::col(("v", "activity_id")).eq(activity_id))
                    .order_by(("o", "code"), Order::Asc),
                |r| Ok((r.text("code")?, r.text("name")?)),
            )
            .await?;
        tx.commit().await?;
        Ok(r)
    }

    pub async fn attendance(&self, activity_id: i64) -> Result<Vec<AttendanceRow>> {
        Ok(self.attendance_of(&[activity_id]).await?.remove(&activity_id).unwrap_or_default())
    }

    /// The rosters of several activities in one query, by activity.
    pub async fn attendance_of(&self, ids: &[i64]) -> Result<HashMap<i64, Vec<AttendanceRow>>> {
        let mut out: HashMap<i64, Vec<AttendanceRow>> = HashMap::new();
        let mut tx = self.read().await?;
        for chunk in ids.chunks(5000) {
            let rows = tx
                .all(
                    Query::select()
                        .columns([
                            ("t", "activity_id"),
                            ("t", "member_id"),
                            ("t", "state"),
                            ("t", "reason"),
                            ("t", "checked_in_at"),
                            ("t", "by_phone"),
                        ])
                        .columns([("m", "person_id"), ("m", "party_post")])
                        .expr_as(Expr::col(("p", "name")), "name")
                        .expr_as(Expr::col(("o", "code")), "org_code")
                        .expr_as(Expr::col(("o", "name")), "org_name")
                        .from_as("attendance", "t")
                        .join_as(sea_query::JoinType::InnerJoin, "members", "m", Expr::col(("m", "id")).equals(("t", "member_id")))
                        .join_as(sea_query::JoinType::InnerJoin, "persons", "p", Expr::col(("p", "id")).equals(("m", "person_id")))
                        .join_as(sea_query::JoinType::InnerJoin, "party_orgs", "o", Expr::col(("o", "id")).equals(("m", "org_id")))
                        .and_where(Expr::col(("t", "activity_id")).is_in(chunk.to_vec()))
                        .order_by(("o", "code"), Order::Asc)
                        .order_by(("m", "id"), Order::Asc),
                    |r| {
                        Ok((
                            r.int("activity_id")?,
                            AttendanceRow {
                                member_id: r.int("member_id")?,
                                person_id: r.int("person_id")?,
                                name: r.text("name")?,
                                org_code: r.text("org_code")?,
                                org_name: r.text("org_name")?,
                                party_post: parse_opt_label(r.text_opt("party_post")?)?,
                                state: parse_label(&r.text("state")?)?,
                                reason: r.text_opt("reason")?,
                                checked_in_at: r.time_opt("checked_in_at")?,
                                by_phone: r.boolean("by_phone")?,
                            },
                        ))
                    },
                )
                .await?;
            for (a, row) in rows {
                out.entry(a).or_default().push(row);
            }
        }
        tx.commit().await?;
        Ok(out)
    }

    /// Attendance counts of several activities.
    pub async fn turnouts(&self, ids: &[i64]) -> Result<HashMap<i64, Turnout>> {
        let mut out: HashMap<i64, Turnout> = HashMap::new();
        if ids.is_empty() {
            return Ok(out);
        }
        let mut tx = self.read().await?;
        let rows = tx
            .all(
                Query::select()
                    .columns(["activity_id", "state"])
                    .expr_as(Expr::col("member_id").count(), "n")
                    .from("attendance")
                    .and_where(Expr::col("activity_id").is_in(ids.to_vec()))
                    .group_by_col("activity_id")
                    .group_by_col("state"),
                |r| Ok((r.int("activity_id")?, r.text("state")?, r.int("n")?)),
            )
            .await?;
        tx.commit().await?;
        for (id, state, n) in rows {
            let t = out.entry(id).or_default();
            t.due += n;
            match AttendState::from_code(&state) {
                Some(AttendState::Present) => t.present += n,
                Some(AttendState::Leave) => t.leave += n,
                Some(AttendState::Absent) => t.absent += n,
                _ => t.pending += n,
            }
        }
        Ok(out)
    }

    /// The secretary marks one member's attendance (present, leave with a reason, absent).
    pub async fn mark_attendance(
        &self,
        activity_id: i64,
        member_id: i64,
        state: AttendState,
        reason: Option<&str>,
        actor: &str,
    ) -> Result<()> {
        let a = self.activity(&Scope::All, activity_id).await?.ok_or(StoreError::NotFound)?;
        if !a.activity.held && state != AttendState::Leave {
            return Err(refused("state", "not_held", "活动尚未开展，只能登记请假", "before the activity only leave can be recorded"));
        }
        if matches!(a.status, ActivityStatus::Submitted | ActivityStatus::Accepted) {
            return Err(refused("state", "not_editable", "记录已提交，出勤不能再修改", "the record is submitted: attendance is fixed"));
        }
        let reason = reason.map(str::trim).filter(|r| !r.is_empty());
        if state == AttendState::Leave && reason.is_none() {
            return Err(refused("reason", "required", "请假须填写事由", "leave needs a reason"));
        }
        let mut tx = self.write().await?;
        let n = tx
            .exec(
                Query::update()
                    .table("attendance")
                    .value("state", state.code())
                    .value("reason", reason.map(str::to_string))
                    .value("updated_at", now())
                    .and_where(Expr::col("activity_id").eq(activity_id))
                    .and_where(Expr::col("member_id").eq(member_id)),
            )
            .await?;
        if n == 0 {
            return Err(StoreError::NotFound);
        }
        log_change(
            &mut tx,
            "attendance",
            activity_id,
            "mark",
            actor,
            None,
            Some(serde_json::json!({"member": member_id, "state": state, "reason": reason})),
        )
        .await?;
        refresh_last_present(&mut tx, &[member_id]).await?;
        tx.commit().await?;
        Ok(())
    }

    /// A member checks themselves in (or asks for leave) on their phone. Only a member on the
    /// roster, only for themselves, only once, and only within the window around the start.
    pub async fn check_in(
        &self,
        activity_id: i64,
        person_id: i64,
        leave_reason: Option<&str>,
        at: DateTime<Utc>,
        window_minutes: i64,
    ) -> Result<AttendState> {
        let a = self.activity(&Scope::All, activity_id).await?.ok_or(StoreError::NotFound)?;
        let mut tx = self.write().await?;
        let row = tx
            .opt(
                Query::select()
                    .columns([("t", "member_id"), ("t", "state")])
                    .from_as("attendance", "t")
                    .join_as(sea_query::JoinType::InnerJoin, "members", "m", Expr::col(("m", "id")).equals(("t", "member_id")))
                    .and_where(Expr::col(("t", "activity_id")).eq(activity_id))
                    .and_where(Expr::col(("m", "person_id")).eq(person_id))
                    .and_where(Expr::col(("m", "deleted_at")).is_null()),
                |r| Ok((r.int("member_id")?, r.text("state")?)),
            )
            .await?;
        let Some((member_id, state)) = row else {
            return Err(refused(
                "checkin",
                "not_on_roster",
                format!("您不在“{}”的应到名单中：只能为本人所在党组织的活动签到", a.activity.topic),
                "you are not due at this activity: members check in to their own organization's activities",
            ));
        };
        let state: AttendState = parse_label(&state)?;
        if state == AttendState::Present {
            return Err(refused("checkin", "already", "您已签到，无需重复签到", "you have already checked in"));
        }
        let (new_state, reason) = match leave_reason.map(str::trim) {
            Some("") => return Err(refused("reason", "required", "请假须填写事由", "leave needs a reason")),
            Some(r) => {
                if at > a.activity.starts_at {
                    return Err(refused(
                        "checkin",
                        "leave_late",
                        "活动已开始，不能在线请假，请直接向书记说明",
                        "leave is asked before the start",
                    ));
                }
                (AttendState::Leave, Some(r.to_string()))
            }
            None => {
                life::checkin_window(a.activity.starts_at, at, window_minutes).map_err(StoreError::Refused)?;
                (AttendState::Present, None)
            }
        };
        tx.exec(
            Query::update()
                .table("attendance")
                .value("state", new_state.code())
                .value("reason", reason.clone())
                .value("checked_in_at", if new_state == AttendState::Present { Some(at) } else { None })
                .value("by_phone", new_state == AttendState::Present)
                .value("updated_at", now())
                .and_where(Expr::col("activity_id").eq(activity_id))
                .and_where(Expr::col("member_id").eq(member_id)),
        )
        .await?;
        if new_state == AttendState::Present {
            tx.exec(
                Query::update()
                    .table("members")
                    .value("last_present_at", a.activity.starts_at)
                    .and_where(Expr::col("id").eq(member_id))
                    .and_where(Expr::col("last_present_at").is_null().or(Expr::col("last_present_at").lt(a.activity.starts_at))),
            )
            .await?;
        }
        log_change(
            &mut tx,
            "attendance",
            activity_id,
            "checkin",
            &format!("person:{person_id}"),
            None,
            Some(serde_json::json!({"member": member_id, "state": new_state, "reason": reason})),
        )
        .await?;
        // Checking in starts the record: a plan whose time has come is now held.
        if new_state == AttendState::Present && a.status == ActivityStatus::Planned {
            tx.exec(
                Query::update()
                    .table("activities")
                    .value("status", ActivityStatus::Draft.code())
                    .value("version", Expr::col("version").add(1))
                    .and_where(Expr::col("id").eq(activity_id))
                    .and_where(Expr::col("status").eq(ActivityStatus::Planned.code())),
            )
            .await?;
        }
        tx.commit().await?;
        Ok(new_state)
    }

    /// Organizations and their activities of a year, for the compliance check (R3.1–R3.3).
    /// Also returns each organization's id, name and county (region code) by code.
    pub async fn life_facts(
        &self,
        scope: &Scope,
        year: i32,
    ) -> Result<(Vec<OrgFacts>, Vec<HeldFact>, HashMap<String, (i64, String, String)>)> {
        let mut tx = self.read().await?;
        let mut s = Query::select();
        s.columns([("o", "id"), ("o", "code"), ("o", "name"), ("o", "kind"), ("o", "founded_on"), ("o", "region_code")])
            .from_as("party_orgs", "o")
            .and_where(Expr::col(("o", "deleted_at")).is_null())
            .and_where(Expr::col(("o", "status")).eq("active"))
            .order_by(("o", "code"), Order::Asc);
        scope_orgs(&mut s, scope, "o");
        let orgs = tx
            .all(&s, |r| {
                Ok((
                    r.int("id")?,
                    r.text("code")?,
                    r.text("name")?,
                    parse_label::<OrgKind>(&r.text("kind")?)?,
                    r.date_opt("founded_on")?,
                    r.text("region_code")?,
                ))
            })
            .await?;
        let counts = tx
            .all(
                Query::select()
                    .columns(["org_id", "category"])
                    .expr_as(Expr::col("id").count(), "n")
                    .from("members")
                    .and_where(Expr::col("deleted_at").is_null())
                    .group_by_col("org_id")
                    .group_by_col("category"),
                |r| Ok((r.int("org_id")?, r.text("category")?, r.int("n")?)),
            )
            .await?;
        let secretaries = tx
            .all(
                Query::select()
                    .column(("m", "org_id"))
                    .expr_as(Expr::col(("p", "name")), "name")
                    .from_as("members", "m")
                    .join_as(sea_query::JoinType::InnerJoin, "persons", "p", Expr::col(("p", "id")).equals(("m", "person_id")))
                    .and_where(Expr::col(("m", "deleted_at")).is_null())
                    .and_where(Expr::col(("m", "party_post")).eq(PartyPost::Secretary.code())),
                |r| Ok((r.int("org_id")?, r.text("name")?)),
            )
            .await?;
        let from = local_day_start(NaiveDate::from_ymd_opt(year, 1, 1).expect("valid"));
        let to = local_day_start(NaiveDate::from_ymd_opt(year + 1, 1, 1).expect("valid"));
        let mut s = Query::select();
        s.columns([("a", "org_id"), ("a", "kind"), ("a", "starts_at"), ("a", "status"), ("a", "lecturer")])
            .from_as("activities", "a")
            .join_as(sea_query::JoinType::InnerJoin, "party_orgs", "o", Expr::col(("o", "id")).equals(("a", "org_id")))
            .and_where(Expr::col(("a", "deleted_at")).is_null())
            .and_where(Expr::col(("a", "starts_at")).gte(from))
            .and_where(Expr::col(("a", "starts_at")).lt(to));
        scope_orgs(&mut s, scope, "o");
        let acts = tx
            .all(&s, |r| {
                Ok((
                    r.int("org_id")?,
                    parse_label::<ActivityKind>(&r.text("kind")?)?,
                    r.time("starts_at")?,
                    parse_label::<ActivityStatus>(&r.text("status")?)?,
                    r.text_opt("lecturer")?,
                ))
            })
            .await?;
        tx.commit().await?;
        let mut member_counts: HashMap<i64, (u32, u32)> = HashMap::new();
        for (org, cat, n) in counts {
            let e = member_counts.entry(org).or_default();
            e.0 += n as u32;
            if cat == MemberCategory::Full.code() {
                e.1 += n as u32;
            }
        }
        let sec: HashMap<i64, String> = secretaries.into_iter().collect();
        let code_of: HashMap<i64, &str> = orgs.iter().map(|o| (o.0, o.1.as_str())).collect();
        let held = acts
            .into_iter()
            .filter_map(|(org, kind, at, status, lecturer)| {
                Some(HeldFact { org: OrgCode::parse(code_of.get(&org)?).ok()?, kind, date: to_local(at).date(), status, lecturer })
            })
            .collect();
        let mut names = HashMap::new();
        let facts = orgs
            .into_iter()
            .filter_map(|(id, code, name, kind, founded_on, region)| {
                let (members, full) = member_counts.get(&id).copied().unwrap_or_default();
                names.insert(code.clone(), (id, name, region));
                Some(OrgFacts {
                    code: OrgCode::parse(&code).ok()?,
                    kind,
                    founded_on,
                    members,
                    full_members: full,
                    secretary: sec.get(&id).cloned(),
                })
            })
            .collect();
        Ok((facts, held, names))
    }

    /// The town of each organization: the town of the first institution it covers (by code).
    pub async fn org_towns(&self) -> Result<HashMap<String, String>> {
        let mut tx = self.read().await?;
        let rows = tx
            .all(
                Query::select()
                    .expr_as(Expr::col(("o", "code")), "org_code")
                    .expr_as(Func::min(Expr::col(("i", "town_code"))), "town")
                    .from_as("coverages", "c")
                    .join_as(sea_query::JoinType::InnerJoin, "party_orgs", "o", Expr::col(("o", "id")).equals(("c", "org_id")))
                    .join_as(sea_query::JoinType::InnerJoin, "institutions", "i", Expr::col(("i", "id")).equals(("c", "institution_id")))
                    .and_where(Expr::col(("c", "deleted_at")).is_null())
                    .group_by_col(("o", "code")),
                |r| Ok((r.text("org_code")?, r.text_opt("town")?.unwrap_or_default())),
            )
            .await?;
        // A branch inside a school's committee covers no school itself: it takes its parent's town.
        let parents = tx
            .all(
                Query::select()
                    .expr_as(Expr::col(("o", "code")), "code")
                    .expr_as(Expr::col(("p", "code")), "parent")
                    .from_as("party_orgs", "o")
                    .join_as(sea_query::JoinType::InnerJoin, "party_orgs", "p", Expr::col(("p", "id")).equals(("o", "parent_id")))
                    .and_where(Expr::col(("o", "deleted_at")).is_null()),
                |r| Ok((r.text("code")?, r.text("parent")?)),
            )
            .await?;
        tx.commit().await?;
        let mut towns: HashMap<String, String> = rows.into_iter().collect();
        let parent: HashMap<String, String> = parents.into_iter().collect();
        for code in parent.keys() {
            if towns.contains_key(code) {
                continue;
            }
            let mut at = code.as_str();
            for _ in 0..8 {
                let Some(p) = parent.get(at) else { break };
                if let Some(t) = towns.get(p).cloned() {
                    towns.insert(code.clone(), t);
                    break;
                }
                at = p;
            }
        }
        Ok(towns)
    }

    /// Every member in scope with their last attendance (R3.5).
    /// Read from each member's kept last attendance; `last_present` is None for a member not seen
    /// since `since`.
    pub async fn presence(&self, scope: &Scope, since: NaiveDate) -> Result<Vec<PresenceRow>> {
        let mut tx = self.read().await?;
        let mut s = Query::select();
        s.columns([("m", "id"), ("m", "admitted_on"), ("m", "last_present_at")])
            .expr_as(Expr::col(("p", "name")), "name")
            .expr_as(Expr::col(("o", "code")), "org_code")
            .expr_as(Expr::col(("o", "name")), "org_name")
            .from_as("members", "m")
            .join_as(sea_query::JoinType::InnerJoin, "persons", "p", Expr::col(("p", "id")).equals(("m", "person_id")))
            .join_as(sea_query::JoinType::InnerJoin, "party_orgs", "o", Expr::col(("o", "id")).equals(("m", "org_id")))
            .and_where(Expr::col(("m", "deleted_at")).is_null())
            .order_by(("o", "code"), Order::Asc)
            .order_by(("m", "id"), Order::Asc);
        scope_orgs(&mut s, scope, "o");
        if let Scope::Person(pid) = scope {
            s.and_where(Expr::col(("m", "person_id")).eq(*pid));
        }
        let members = tx
            .all(&s, |r| {
                Ok(PresenceRow {
                    member_id: r.int("id")?,
                    name: r.text("name")?,
                    org_code: r.text("org_code")?,
                    org_name: r.text("org_name")?,
                    admitted_on: r.date("admitted_on")?,
                    last_present: r.time_opt("last_present_at")?.map(|t| to_local(t).date()),
                })
            })
            .await?;
        tx.commit().await?;
        Ok(members
            .into_iter()
            .map(|mut m| {
                m.last_present = m.last_present.filter(|d| *d >= since);
                m
            })
            .collect())
    }

    /// The first day organizational life was recorded (absence counts from here, not from the
    /// admission of members whose earlier life is not in the system).
    pub async fn life_records_begin(&self) -> Result<Option<NaiveDate>> {
        let mut tx = self.read().await?;
        let first = tx
            .one(
                Query::select()
                    .expr_as(Func::min(Expr::col("starts_at")), "first")
                    .from("activities")
                    .and_where(Expr::col("deleted_at").is_null()),
                |r| r.time_opt("first"),
            )
            .await?;
        tx.commit().await?;
        Ok(first.map(|t| to_local(t).date()))
    }

    /// 学时 per member for a year (R3.4): attended activities' hours plus study records.
    pub async fn study_hours(&self, member_ids: &[i64], year: i32) -> Result<HashMap<i64, f64>> {
        let mut out: HashMap<i64, f64> = HashMap::new();
        if member_ids.is_empty() {
            return Ok(out);
        }
        let from = NaiveDate::from_ymd_opt(year, 1, 1).expect("valid");
        let to = NaiveDate::from_ymd_opt(year + 1, 1, 1).expect("valid");
        let mut tx = self.read().await?;
        for chunk in member_ids.chunks(5000) {
            let rows = tx
                .all(
                    Query::select()
                        .column(("t", "member_id"))
                        .expr_as(Func::sum(Expr::col(("a", "hours"))), "h")
                        .from_as("attendance", "t")
                        .join_as(sea_query::JoinType::InnerJoin, "activities", "a", Expr::col(("a", "id")).equals(("t", "activity_id")))
                        .and_where(Expr::col(("t", "member_id")).is_in(chunk.to_vec()))
                        .and_where(Expr::col(("t", "state")).eq(AttendState::Present.code()))
                        .and_where(Expr::col(("a", "deleted_at")).is_null())
                        .and_where(Expr::col(("a", "starts_at")).gte(local_day_start(from)))
                        .and_where(Expr::col(("a", "starts_at")).lt(local_day_start(to)))
                        .group_by_col(("t", "member_id")),
                    |r| Ok((r.int("member_id")?, r.float_opt("h")?.unwrap_or(0.0))),
                )
                .await?;
            for (m, h) in rows {
                *out.entry(m).or_default() += h;
            }
            let rows = tx
                .all(
                    Query::select()
                        .column("member_id")
                        .expr_as(Func::sum(Expr::col("hours")), "h")
                        .from("study_records")
                        .and_where(Expr::col("member_id").is_in(chunk.to_vec()))
                        .and_where(Expr::col("deleted_at").is_null())
                        .and_where(Expr::col("studied_on").gte(from))
                        .and_where(Expr::col("studied_on").lt(to))
                        .group_by_col("member_id"),
                    |r| Ok((r.int("member_id")?, r.float_opt("h")?.unwrap_or(0.0))),
                )
                .await?;
            for (m, h) in rows {
                *out.entry(m).or_default() += h;
            }
        }
        tx.commit().await?;
        Ok(out)
    }

    /// Record study outside activities (R3.4: 自学, 网络学习, 培训) for a member of `org_id`; the
    /// values come checked (`life::StudyInput`).
    pub async fn add_study_record(&self, org_id: i64, member_id: i64, on: NaiveDate, hours: f64, content: &str, actor: &str) -> Result<()> {
        let mut tx = self.write().await?;
        let in_org = tx
            .opt(
                Query::select()
                    .column("id")
                    .from("members")
                    .and_where(Expr::col("id").eq(member_id))
                    .and_where(Expr::col("org_id").eq(org_id))
                    .and_where(Expr::col("deleted_at").is_null()),
                |r| r.int("id"),
            )
            .await?;
        if in_org.is_none() {
            return Err(refused("member", "not_in_org", "该党员不属于本组织", "the member is not in this organization"));
        }
        let id = tx
            .insert_id(
                Query::insert()
                    .into_table("study_records")
                    .columns(["member_id", "studied_on", "hours", "content", "created_by", "created_at"])
                    .values_panic([member_id.into(), on.into(), hours.into(), content.into(), actor.into(), now().into()])
                    .returning_col("id"),
            )
            .await?;
        log_change(
            &mut tx,
            "study_records",
            id,
            "create",
            actor,
            None,
            Some(serde_json::json!({"member": member_id, "on": on, "hours": hours})),
        )
        .await?;
        tx.commit().await
    }

    // ------------------------------------------------------------ 民主评议 (R3.3)

    /// The members of an organization with their grade for a year (if given).
    pub async fn evaluations(&self, org_id: i64, year: i32) -> Result<Vec<EvaluationRow>> {
        let mut tx = self.read().await?;
        let members = tx
            .all(
                Query::select()
                    .columns([("m", "id"), ("m", "party_post")])
                    .expr_as(Expr::col(("p", "name")), "name")
                    .from_as("members", "m")
                    .join_as(sea_query::JoinType::InnerJoin, "persons", "p", Expr::col(("p", "id")).equals(("m", "person_id")))
                    .and_where(Expr::col(("m", "org_id")).eq(org_id))
                    .and_where(Expr::col(("m", "deleted_at")).is_null())
                    .order_by(("m", "id"), Order::Asc),
                |r| {
                    Ok(EvaluationRow {
                        member_id: r.int("id")?,
                        name: r.text("name")?,
                        party_post: parse_opt_label(r.text_opt("party_post")?)?,
                        grade: None,
                        note: None,
                    })
                },
            )
            .await?;
        let grades = tx
            .all(
                Query::select()
                    .columns(["member_id", "grade", "note"])
                    .from("evaluations")
                    .and_where(Expr::col("org_id").eq(org_id))
                    .and_where(Expr::col("year").eq(year)),
                |r| Ok((r.int("member_id")?, parse_label::<Grade>(&r.text("grade")?)?, r.text_opt("note")?)),
            )
            .await?;
        tx.commit().await?;
        let g: HashMap<i64, (Grade, Option<String>)> = grades.into_iter().map(|(m, g, n)| (m, (g, n))).collect();
        Ok(members
            .into_iter()
            .map(|mut e| {
                if let Some((grade, note)) = g.get(&e.member_id) {
                    e.grade = Some(*grade);
                    e.note = note.clone();
                }
                e
            })
            .collect())
    }

    /// Save an organization's grades for a year in one go, refusing more 优秀 than a third of its
    /// members (R3.3) and members of other organizations. Nothing is written when refused.
    pub async fn save_evaluations(&self, org_id: i64, year: i32, grades: &[(i64, Grade)], actor: &str) -> Result<()> {
        let current = self.evaluations(org_id, year).await?;
        let members: HashMap<i64, &EvaluationRow> = current.iter().map(|e| (e.member_id, e)).collect();
        if let Some((m, _)) = grades.iter().find(|(m, _)| !members.contains_key(m)) {
            return Err(refused(
                "member",
                "not_in_org",
                format!("党员（编号 {m}）不属于本组织"),
                format!("member {m} is not in this organization"),
            ));
        }
        // The limit applies to the grades after this save: new grades over the stored ones.
        let mut merged: HashMap<i64, Grade> = current.iter().filter_map(|e| e.grade.map(|g| (e.member_id, g))).collect();
        for (m, g) in grades {
            merged.insert(*m, *g);
        }
        life::check_grades(current.len(), &merged.values().copied().collect::<Vec<_>>()).map_err(StoreError::Refused)?;
        let mut tx = self.write().await?;
        let at = now();
        for (m, g) in grades {
            tx.exec(
                Query::delete().from_table("evaluations").and_where(Expr::col("year").eq(year)).and_where(Expr::col("member_id").eq(*m)),
            )
            .await?;
            tx.exec(
                Query::insert()
                    .into_table("evaluations")
                    .columns(["year", "member_id", "org_id", "grade", "created_by", "created_at", "updated_at"])
                    .values_panic([year.into(), (*m).into(), org_id.into(), g.code().into(), actor.into(), at.into(), at.into()]),
            )
            .await?;
        }
        log_change(&mut tx, "evaluations", org_id, "grade", actor, None, Some(serde_json::json!({"year": year, "grades": grades.len()})))
            .await?;
        tx.commit().await
    }

    // ------------------------------------------------------------ monthly themes

    pub async fn guides(&self, region: &str) -> Result<Vec<GuideRow>> {
        let mut tx = self.read().await?;
        let r = tx
            .all(
                Query::select()
                    .columns(["id", "version", "region_code", "month", "topic", "materials"])
                    .from("life_guides")
                    .and_where(Expr::col("deleted_at").is_null())
                    .and_where(Expr::col("region_code").like(like_prefix(&region_prefix(region))))
                    .order_by("month", Order::Desc),
                |r| {
                    Ok(GuideRow {
                        id: r.int("id")?,
                        version: r.int("version")?,
                        region: r.text("region_code")?,
                        month: r.date("month")?,
                        topic: r.text("topic")?,
                        materials: r.text("materials")?,
                    })
                },
            )
            .await?;
        tx.commit().await?;
        Ok(r)
    }

    /// Publish (or replace) a month's theme for a region.
    pub async fn publish_guide(&self, region: &str, month: NaiveDate, topic: &str, materials: &str, actor: &str) -> Result<()> {
        let month = month.with_day(1).expect("day 1");
        let mut tx = self.write().await?;
        tx.exec(
            Query::update()
                .table("life_guides")
                .value("deleted_at", now())
                .and_where(Expr::col("region_code").eq(region))
                .and_where(Expr::col("month").eq(month))
                .and_where(Expr::col("deleted_at").is_null()),
        )
        .await?;
        let at = now();
        let id = tx
            .insert_id(
                Query::insert()
                    .into_table("life_guides")
                    .columns(["region_code", "month", "topic", "materials", "created_by", "created_at", "updated_at"])
                    .values_panic([region.into(), month.into(), topic.into(), materials.into(), actor.into(), at.into(), at.into()])
                    .returning_col("id"),
            )
            .await?;
        log_change(&mut tx, "life_guides", id, "publish", actor, None, Some(serde_json::json!({"month": month, "topic": topic}))).await?;
        tx.commit().await
    }

    // ------------------------------------------------------------ the county's other kinds

    /// The county's configured kinds of activity (for "other"): (id, name).
    pub async fn activity_kinds(&self, region: &str) -> Result<Vec<(i64, String)>> {
        let mut tx = self.read().await?;
        let r = tx
            .all(
                Query::select()
                    .columns(["id", "name"])
                    .from("activity_kinds")
                    .and_where(Expr::col("region_code").eq(region))
                    .and_where(Expr::col("deleted_at").is_null())
                    .order_by("id", Order::Asc),
                |r| Ok((r.int("id")?, r.text("name")?)),
            )
            .await?;
        tx.commit().await?;
        Ok(r)
    }

    pub async fn add_activity_kind(&self, region: &str, name: &str, actor: &str) -> Result<()> {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 30 {
            return Err(refused("name", "required", "请填写活动类型名称（30字以内）", "a kind name of at most 30 characters"));
        }
        if ActivityKind::parse(name).is_some() {
            return Err(refused(
                "name",
                "builtin",
                format!("“{name}”已是系统内置的活动类型"),
                format!("{name} is already a built-in kind"),
            ));
        }
        let mut tx = self.write().await?;
        let id = tx
            .insert_id(
                Query::insert()
                    .into_table("activity_kinds")
                    .columns(["region_code", "name", "created_by", "created_at"])
                    .values_panic([region.into(), name.into(), actor.into(), now().into()])
                    .returning_col("id"),
            )
            .await
            .map_err(|e| match e {
                StoreError::Conflict { .. } => {
                    refused("name", "duplicate", format!("活动类型“{name}”已存在"), format!("{name} exists already"))
                }
                other => other,
            })?;
        log_change(&mut tx, "activity_kinds", id, "create", actor, None, Some(serde_json::json!({"name": name}))).await?;
        tx.commit().await
    }

    pub async fn remove_activity_kind(&self, region: &str, id: i64, actor: &str) -> Result<()> {
        let mut tx = self.write().await?;
        let n = tx
            .exec(
                Query::update()
                    .table("activity_kinds")
                    .value("deleted_at", now())
                    .and_where(Expr::col("id").eq(id))
                    .and_where(Expr::col("region_code").eq(region))
                    .and_where(Expr::col("deleted_at").is_null()),
            )
            .await?;
        if n == 0 {
            return Err(StoreError::NotFound);
        }
        log_change(&mut tx, "activity_kinds", id, "delete", actor, None, None).await?;
        tx.commit().await
    }

    // ------------------------------------------------------------ bulk

    /// Save a generated year of activities and monthly themes in one transaction.
    pub async fn load_life(&self, region: &str, acts: &[GenActivity], guides: &[GenGuide], actor: &str) -> Result<()> {
        let mut tx = self.write().await?;
        if tx.backend() == Backend::Postgres {
            tx.raw("LOCK TABLE activities, attendance, activity_invites IN EXCLUSIVE MODE").await?;
        }
        let orgs: HashMap<String, i64> = tx
            .all(Query::select().columns(["id", "code"]).from("party_orgs").and_where(Expr::col("deleted_at").is_null()), |r| {
                Ok((r.text("code")?, r.int("id")?))
            })
            .await?
            .into_iter()
            .collect();
        // The members of the organizations this load touches (a generated county at a time).
        let mut codes: Vec<String> = acts
            .iter()
            .map(|g| g.activity.org.to_string())
            .chain(acts.iter().flat_map(|g| g.invited.iter().map(|o| o.to_string())))
            .collect();
        codes.sort();
        codes.dedup();
        let ids: Vec<i64> = codes.iter().filter_map(|c| orgs.get(c).copied()).collect();
        let mut members: HashMap<String, i64> = HashMap::new();
        for chunk in ids.chunks(5000) {
            let rows = tx
                .all(
                    Query::select()
                        .expr_as(Expr::col(("m", "id")), "id")
                        .column(("p", "id_number"))
                        .from_as("members", "m")
                        .join_as(sea_query::JoinType::InnerJoin, "persons", "p", Expr::col(("p", "id")).equals(("m", "person_id")))
                        .and_where(Expr::col(("m", "deleted_at")).is_null())
                        .and_where(Expr::col(("m", "org_id")).is_in(chunk.to_vec())),
                    |r| Ok((r.sealed("id_number")?, r.int("id")?)),
                )
                .await?;
            members.extend(rows);
        }
        let at = now();
        let mut id = next_id(&mut tx, "activities").await?;
        // The columns: id and organization, the record's own (as `activity_values` lists them),
        // then the review and bookkeeping.
        let mut cols: Vec<&'static str> = vec!["id", "org_id"];
        cols.extend(ACTIVITY_FIELDS);
        cols.extend(["status", "return_reason", "reviewed_by", "reviewed_at", "created_by", "created_at", "updated_at"]);
        let mut last_present: HashMap<i64, DateTime<Utc>> = HashMap::new();
        let mut act_rows: Vec<Vec<Value>> = Vec::with_capacity(acts.len());
        let mut att_rows: Vec<Vec<Value>> = Vec::new();
        let mut invite_rows: Vec<Vec<Value>> = Vec::new();
        let mut host_rows: Vec<Vec<Value>> = Vec::new();
        let institutions: HashMap<String, i64> = if acts.iter().any(|g| !g.hosts.is_empty()) {
            tx.all(Query::select().columns(["id", "code"]).from("institutions").and_where(Expr::col("deleted_at").is_null()), |r| {
                Ok((r.text("code")?, r.int("id")?))
            })
            .await?
            .into_iter()
            .collect()
        } else {
            HashMap::new()
        };
        for g in acts {
            let a = &g.activity;
            let org = *orgs.get(a.org.as_str()).ok_or_else(|| StoreError::UnknownReference { field: "org", value: a.org.to_string() })?;
            let reviewed = matches!(g.status, ActivityStatus::Accepted | ActivityStatus::Returned);
            let mut row: Vec<Value> = vec![id.into(), org.into()];
            row.extend(activity_values(a).into_iter().map(|(_, v)| v));
            row.extend([
                g.status.code().into(),
                g.return_reason.clone().into(),
                reviewed.then(|| "county".to_string()).into(),
                reviewed.then(|| a.starts_at + chrono::Duration::days(7)).into(),
                actor.into(),
                at.into(),
                at.into(),
            ]);
            act_rows.push(row);
            for h in &g.hosts {
                if let Some(iid) = institutions.get(h.as_str()) {
                    host_rows.push(vec![id.into(), (*iid).into()]);
                }
            }
            for o in &g.invited {
                if let Some(oid) = orgs.get(o.as_str()) {
                    invite_rows.push(vec![id.into(), (*oid).into()]);
                }
            }
            for (idn, state, reason, phone) in &g.attendance {
                let Some(m) = members.get(idn.as_str()) else { continue };
                let checked = (*state == AttendState::Present).then(|| a.starts_at - chrono::Duration::minutes(5));
                if *state == AttendState::Present {
                    let e = last_present.entry(*m).or_insert(a.starts_at);
                    *e = Ord::max(*e, a.starts_at);
                }
                att_rows.push(vec![
                    id.into(),
                    (*m).into(),
                    state.code().into(),
                    reason.clone().into(),
                    checked.into(),
                    (*phone).into(),
                    at.into(),
                ]);
            }
            id += 1;
        }
        insert_many(&mut tx, "activities", &cols, act_rows).await?;
        insert_many(&mut tx, "activity_invites", &["activity_id", "org_id"], invite_rows).await?;
        insert_many(&mut tx, "activity_hosts", &["activity_id", "institution_id"], host_rows).await?;
        insert_many(
            &mut tx,
            "attendance",
            &["activity_id", "member_id", "state", "reason", "checked_in_at", "by_phone", "updated_at"],
            att_rows,
        )
        .await?;
        for (m, at) in &last_present {
            tx.exec(
                Query::update()
                    .table("members")
                    .value("last_present_at", *at)
                    .and_where(Expr::col("id").eq(*m))
                    .and_where(Expr::col("last_present_at").is_null().or(Expr::col("last_present_at").lt(*at))),
            )
            .await?;
        }
        let guide_rows = guides
            .iter()
            .map(|g| {
                vec![region.into(), g.month.into(), g.topic.clone().into(), g.materials.clone().into(), actor.into(), at.into(), at.into()]
            })
            .collect();
        insert_many(
            &mut tx,
            "life_guides",
            &["region_code", "month", "topic", "materials", "created_by", "created_at", "updated_at"],
            guide_rows,
        )
        .await?;
        if tx.backend() == Backend::Postgres {
            tx.raw("SELECT setval(pg_get_serial_sequence('activities', 'id'), (SELECT COALESCE(MAX(id), 0) + 1 FROM activities), false)")
                .await?;
        }
        tx.commit().await
    }
}

/// Multi-row inserts of at most ~30,000 bound values each.
async fn insert_many(tx: &mut Tx, table: &'static str, cols: &[&'static str], rows: Vec<Vec<Value>>) -> Result<()> {
    insert_values(tx, table, cols, rows, &mut |_: &str, _: u64, _: u64| {}).await
}
