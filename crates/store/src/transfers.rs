//! 组织关系转接 and member status: the store side of `hongzhu_core::transfer`. Every change is one
//! transaction with its change-log row; the member is in one organization or visibly in transit.
use chrono::NaiveDate;
use hongzhu_core::labels::{Labeled, MemberStatus, TransferKind, TransferStatus};
use hongzhu_core::registry::{FieldError, Member};
use hongzhu_core::transfer::{self, Decision};
use sea_query::{Expr, ExprTrait, JoinType, Order, Query, SelectStatement};
use serde::Serialize;

use crate::db::{Row, Store, Tx};
use crate::records::{Scope, like_prefix, log_change, now, parse_label, region_prefix};
use crate::{Result, StoreError};

fn refused(field: &'static str, e: hongzhu_core::Invalid) -> StoreError {
    StoreError::Refused(FieldError::from_invalid(field, e))
}

fn refuse(field: &'static str, code: &'static str, zh: impl Into<String>, en: impl Into<String>) -> StoreError {
    StoreError::Refused(FieldError::new(field, code, zh, en))
}

#[derive(Debug, Clone, Serialize)]
pub struct OrgName {
    pub id: i64,
    pub code: String,
    pub name: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct TransferRow {
    pub id: i64,
    pub member_id: i64,
    pub person_name: String,
    pub kind: TransferKind,
    pub from_org: Option<OrgName>,
    pub to_org: Option<OrgName>,
    /// Destination (to outside) or origin (from outside), as written on the letter.
    pub outside: String,
    pub letter_no: String,
    pub status: TransferStatus,
    pub started_on: NaiveDate,
    pub decided_on: Option<NaiveDate>,
    pub reason: String,
    pub note: String,
    pub created_by: String,
    pub decided_by: Option<String>,
    pub version: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct StatusChange {
    pub from_status: MemberStatus,
    pub to_status: MemberStatus,
    pub changed_on: NaiveDate,
    pub reason: String,
    pub org_code: String,
    pub created_by: String,
}

/// A transfer as the sending side starts it.
#[derive(Debug, Clone)]
pub struct NewTransfer {
    pub kind: TransferKind,
    /// The receiving organization's code (within the system).
    pub to_org: Option<String>,
    /// The destination outside the system.
    pub outside: String,
    pub letter_no: String,
    pub started_on: NaiveDate,
    pub note: String,
}

#[derive(Debug, Clone, Default)]
pub struct TransferFilter {
    pub status: Option<TransferStatus>,
    pub kind: Option<TransferKind>,
    /// Name of the member.
    pub q: Option<String>,
}

fn transfer_select() -> SelectStatement {
    let mut q = Query::select();
    q.columns(
        [
            "id",
            "member_id",
            "kind",
            "outside",
            "letter_no",
            "status",
            "started_on",
            "decided_on",
            "reason",
            "note",
            "created_by",
            "decided_by",
            "version",
            "from_org_id",
            "to_org_id",
        ]
        .map(|c| ("t", c)),
    )
    .expr_as(Expr::col(("f", "code")), "from_code")
    .expr_as(Expr::col(("f", "name")), "from_name")
    .expr_as(Expr::col(("o", "code")), "to_code")
    .expr_as(Expr::col(("o", "name")), "to_name")
    .expr_as(Expr::col(("pp", "name")), "person_name")
    .from_as("transfers", "t")
    .join_as(JoinType::InnerJoin, "members", "m", Expr::col(("m", "id")).equals(("t", "member_id")))
    .join_as(JoinType::InnerJoin, "persons", "pp", Expr::col(("pp", "id")).equals(("m", "person_id")))
    .join_as(JoinType::LeftJoin, "party_orgs", "f", Expr::col(("f", "id")).equals(("t", "from_org_id")))
    .join_as(JoinType::LeftJoin, "party_orgs", "o", Expr::col(("o", "id")).equals(("t", "to_org_id")));
    q
}

fn transfer_row(r: &dyn Row) -> Result<TransferRow> {
    let org = |id: &str, code: &str, name: &str| -> Result<Option<OrgName>> {
        Ok(match (r.int_opt(id)?, r.text_opt(code)?, r.text_opt(name)?) {
            (Some(id), Some(code), Some(name)) => Some(OrgName { id, code, name }),
            _ => None,
        })
    };
    Ok(TransferRow {
        id: r.int("id")?,
        member_id: r.int("member_id")?,
        person_name: r.text("person_name")?,
        kind: parse_label(&r.text("kind")?)?,
        from_org: org("from_org_id", "from_code", "from_name")?,
        to_org: org("to_org_id", "to_code", "to_name")?,
        outside: r.text("outside")?,
        letter_no: r.text("letter_no")?,
        status: parse_label(&r.text("status")?)?,
        started_on: r.date("started_on")?,
        decided_on: r.date_opt("decided_on")?,
        reason: r.text("reason")?,
        note: r.text("note")?,
        created_by: r.text("created_by")?,
        decided_by: r.text_opt("decided_by")?,
        version: r.int("version")?,
    })
}

/// Transfers either side of which is in the scope.
fn scope_transfers(q: &mut SelectStatement, scope: &Scope) {
    match scope {
        Scope::All => {}
        Scope::Region(code) => {
            let p = like_prefix(&region_prefix(code));
            q.and_where(Expr::col(("f", "region_code")).like(p.clone()).or(Expr::col(("o", "region_code")).like(p)));
        }
        Scope::Within { orgs, .. } => {
            q.and_where(Expr::col(("t", "from_org_id")).is_in(orgs.clone()).or(Expr::col(("t", "to_org_id")).is_in(orgs.clone())));
        }
        Scope::Person(pid) => {
            q.and_where(Expr::col(("m", "person_id")).eq(*pid));
        }
    }
}

/// Is this organization one the scope may act for?
async fn acts_for(tx: &mut Tx, scope: &Scope, org_id: Option<i64>) -> Result<bool> {
    let Some(org_id) = org_id else { return Ok(matches!(scope, Scope::All | Scope::Region(_))) };
    Ok(match scope {
        Scope::All => true,
        Scope::Region(code) => {
            let region = tx
                .opt(Query::select().column("region_code").from("party_orgs").and_where(Expr::col("id").eq(org_id)), |r: &dyn Row| {
                    r.text("region_code")
                })
                .await?;
            region.is_some_and(|r| r.starts_with(&region_prefix(code)))
        }
        Scope::Within { orgs, .. } => orgs.contains(&org_id),
        Scope::Person(_) => false,
    })
}

struct MemberFacts {
    id: i64,
    org_id: i64,
    org_code: String,
    name: String,
    status: MemberStatus,
}

async fn member_facts(tx: &mut Tx, member_id: i64) -> Result<MemberFacts> {
    tx.opt(
        Query::select()
            .column(("m", "id"))
            .column(("m", "org_id"))
            .column(("m", "status"))
            .expr_as(Expr::col(("o", "code")), "org_code")
            .column(("pp", "name"))
            .from_as("members", "m")
            .join_as(JoinType::InnerJoin, "persons", "pp", Expr::col(("pp", "id")).equals(("m", "person_id")))
            .join_as(JoinType::InnerJoin, "party_orgs", "o", Expr::col(("o", "id")).equals(("m", "org_id")))
            .and_where(Expr::col(("m", "id")).eq(member_id))
            .and_where(Expr::col(("m", "deleted_at")).is_null()),
        |r: &dyn Row| {
            Ok(MemberFacts {
                id: r.int("id")?,
                org_id: r.int("org_id")?,
                org_code: r.text("org_code")?,
                name: r.text("name")?,
                status: parse_label(&r.text("status")?)?,
            })
        },
    )
    .await?
    .ok_or(StoreError::NotFound)
}

/// Write a status change and its history row; a status that ends the membership takes the record
/// off the roster.
async fn set_status(tx: &mut Tx, m: &MemberFacts, to: MemberStatus, on: NaiveDate, reason: &str, actor: &str) -> Result<()> {
    let at = now();
    let mut u = Query::update();
    u.table("members")
        .value("status", to.code())
        .value("updated_at", at)
        .value("version", Expr::col("version").add(1))
        .and_where(Expr::col("id").eq(m.id));
    if to.ends_membership() {
        u.value("deleted_at", at);
    }
    tx.exec(&u).await?;
    tx.exec(
        Query::insert()
            .into_table("member_status_changes")
            .columns([
                "member_id",
                "person_name",
                "org_code",
                "from_status",
                "to_status",
                "changed_on",
                "reason",
                "created_by",
                "created_at",
            ])
            .values_panic([
                m.id.into(),
                m.name.clone().into(),
                m.org_code.clone().into(),
                m.status.code().into(),
                to.code().into(),
                on.into(),
                reason.trim().into(),
                actor.into(),
                at.into(),
            ]),
    )
    .await?;
    log_change(
        tx,
        "members",
        m.id,
        "update",
        actor,
        Some(serde_json::json!({"status": m.status.code()})),
        Some(serde_json::json!({"status": to.code(), "on": on, "reason": reason.trim()})),
    )
    .await
}

impl Store {
    pub async fn transfers(&self, scope: &Scope, f: &TransferFilter) -> Result<Vec<TransferRow>> {
        let mut q = transfer_select();
        scope_transfers(&mut q, scope);
        if let Some(s) = f.status {
            q.and_where(Expr::col(("t", "status")).eq(s.code()));
        }
        if let Some(k) = f.kind {
            q.and_where(Expr::col(("t", "kind")).eq(k.code()));
        }
        if let Some(name) = f.q.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            q.and_where(Expr::col(("pp", "name")).like(format!("%{}%", name.replace(['%', '_'], ""))));
        }
        q.order_by(("t", "started_on"), Order::Desc).order_by(("t", "id"), Order::Desc);
        let mut tx = self.read().await?;
        let rows = tx.all(&q, transfer_row).await?;
        tx.commit().await?;
        Ok(rows)
    }

    pub async fn transfer(&self, scope: &Scope, id: i64) -> Result<Option<TransferRow>> {
        let mut q = transfer_select();
        q.and_where(Expr::col(("t", "id")).eq(id));
        scope_transfers(&mut q, scope);
        let mut tx = self.read().await?;
        let row = tx.opt(&q, transfer_row).await?;
        tx.commit().await?;
        Ok(row)
    }

    /// A member's transfers, newest first (the member page).
    pub async fn member_transfers(&self, member_id: i64) -> Result<Vec<TransferRow>> {
        let mut q = transfer_select();
        q.and_where(Expr::col(("t", "member_id")).eq(member_id)).order_by(("t", "id"), Order::Desc);
        let mut tx = self.read().await?;
        let rows = tx.all(&q, transfer_row).await?;
        tx.commit().await?;
        Ok(rows)
    }

    pub async fn status_history(&self, member_id: i64) -> Result<Vec<StatusChange>> {
        let mut tx = self.read().await?;
        let rows = tx
            .all(
                Query::select()
                    .columns(["from_status", "to_status", "changed_on", "reason", "org_code", "created_by"])
                    .from("member_status_changes")
                    .and_where(Expr::col("member_id").eq(member_id))
                    .order_by("changed_on", Order::Desc)
                    .order_by("id", Order::Desc),
                |r: &dyn Row| {
                    Ok(StatusChange {
                        from_status: parse_label(&r.text("from_status")?)?,
                        to_status: parse_label(&r.text("to_status")?)?,
                        changed_on: r.date("changed_on")?,
                        reason: r.text("reason")?,
                        org_code: r.text("org_code")?,
                        created_by: r.text("created_by")?,
                    })
                },
            )
            .await?;
        tx.commit().await?;
        Ok(rows)
    }

    /// The sending side starts a transfer: within the system (to an organization, which must
    /// accept) or to outside (a letter; completed when the receipt returns). The member stays in
    /// their organization, in transit, meanwhile. One open transfer per member.
    pub async fn start_transfer(
        &self,
        scope: &Scope,
        member_id: i64,
        t: &NewTransfer,
        today: NaiveDate,
        actor: &str,
    ) -> Result<TransferRow> {
        let mut tx = self.write().await?;
        let m = member_facts(&mut tx, member_id).await?;
        if !acts_for(&mut tx, scope, Some(m.org_id)).await? {
            return Err(StoreError::NotFound);
        }
        if m.status.ends_membership() {
            return Err(refuse("member", "ended", format!("{} 的党员关系已终止，不能转接", m.name), "the membership has ended"));
        }
        let open = tx
            .opt(
                Query::select()
                    .column("id")
                    .from("transfers")
                    .and_where(Expr::col("member_id").eq(member_id))
                    .and_where(Expr::col("status").eq(TransferStatus::Pending.code())),
                |r: &dyn Row| r.int("id"),
            )
            .await?;
        if open.is_some() {
            return Err(refuse(
                "member",
                "in_transit",
                format!("{} 已有一项待接收的转接：请先由接收方处理，或撤销后重新办理", m.name),
                "the member has an open transfer: let the receiving side decide, or cancel it first",
            ));
        }
        if t.started_on > today {
            return Err(refuse("started_on", "future", format!("日期 {} 晚于今天", t.started_on), "the date is in the future"));
        }
        let to_org = match t.kind {
            TransferKind::Within => {
                let code = t
                    .to_org
                    .as_deref()
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .ok_or_else(|| refuse("to_org", "required", "请选择接收的党组织", "choose the receiving organization"))?;
                let found = tx
                    .opt(
                        Query::select()
                            .columns(["id", "status"])
                            .from("party_orgs")
                            .and_where(Expr::col("code").eq(code))
                            .and_where(Expr::col("deleted_at").is_null()),
                        |r: &dyn Row| Ok((r.int("id")?, r.text("status")?)),
                    )
                    .await?;
                let Some((id, status)) = found else {
                    return Err(refuse("to_org", "unknown", format!("党组织代码“{code}”不存在"), format!("no organization {code}")));
                };
                if status != "active" {
                    return Err(refuse(
                        "to_org",
                        "dissolved",
                        "接收的党组织已撤销，请选择现有的党组织",
                        "the receiving organization is dissolved",
                    ));
                }
                if id == m.org_id {
                    return Err(refuse(
                        "to_org",
                        "same",
                        "接收的党组织就是现在的党组织，请选择另一个党组织",
                        "the member is in that organization already",
                    ));
                }
                Some(id)
            }
            TransferKind::Out => {
                if t.outside.trim().chars().count() < 2 {
                    return Err(refuse(
                        "outside",
                        "required",
                        "请填写转往的党组织（系统外，如“中共济宁市某某学校支部委员会”）",
                        "give the destination organization outside the system",
                    ));
                }
                None
            }
            TransferKind::In => {
                return Err(refuse(
                    "kind",
                    "kind",
                    "从系统外转入请用“转入登记”",
                    "a transfer from outside is recorded with the transfer-in form",
                ));
            }
        };
        let at = now();
        let id = tx
            .insert_id(
                Query::insert()
                    .into_table("transfers")
                    .columns([
                        "member_id",
                        "kind",
                        "from_org_id",
                        "to_org_id",
                        "outside",
                        "letter_no",
                        "status",
                        "started_on",
                        "note",
                        "created_by",
                        "created_at",
                        "updated_at",
                    ])
                    .values_panic([
                        member_id.into(),
                        t.kind.code().into(),
                        m.org_id.into(),
                        to_org.into(),
                        t.outside.trim().into(),
                        t.letter_no.trim().into(),
                        TransferStatus::Pending.code().into(),
                        t.started_on.into(),
                        t.note.trim().into(),
                        actor.into(),
                        at.into(),
                        at.into(),
                    ])
                    .returning_col("id"),
            )
            .await?;
        if t.letter_no.trim().is_empty() {
            // The letter's number when none was given: year and sequence.
            let no = format!("{}年第{id}号", t.started_on.format("%Y"));
            tx.exec(Query::update().table("transfers").value("letter_no", no).and_where(Expr::col("id").eq(id))).await?;
        }
        log_change(&mut tx, "transfers", id, "create", actor, None, Some(serde_json::json!({"member": member_id, "kind": t.kind.code()})))
            .await?;
        let row = tx.opt(transfer_select().and_where(Expr::col(("t", "id")).eq(id)), transfer_row).await?.expect("just written");
        tx.commit().await?;
        Ok(row)
    }

    /// Decide a pending transfer: the receiving side accepts (the member moves) or returns it;
    /// the sending side completes one to outside (the membership here ends) or cancels it.
    #[allow(clippy::too_many_arguments)]
    pub async fn decide_transfer(
        &self,
        scope: &Scope,
        id: i64,
        d: Decision,
        on: NaiveDate,
        reason: &str,
        today: NaiveDate,
        actor: &str,
    ) -> Result<TransferRow> {
        let mut tx = self.write().await?;
        let t = tx.opt(transfer_select().and_where(Expr::col(("t", "id")).eq(id)), transfer_row).await?.ok_or(StoreError::NotFound)?;
        let side = match d {
            Decision::Accept | Decision::Return => t.to_org.as_ref().map(|o| o.id),
            Decision::Complete | Decision::Cancel => t.from_org.as_ref().map(|o| o.id),
        };
        if !acts_for(&mut tx, scope, side).await? {
            let (zh, en) = match d {
                Decision::Accept | Decision::Return => ("接收或退回由接收方党组织办理", "the receiving organization accepts or returns"),
                _ => ("办结或撤销由转出方党组织办理", "the sending organization completes or cancels"),
            };
            return Err(refuse("decision", "side", zh, en));
        }
        transfer::check_decision(t.kind, t.status, t.started_on, d, on, today, reason).map_err(|e| refused("decision", e))?;
        let at = now();
        tx.exec(
            Query::update()
                .table("transfers")
                .values([
                    ("status", d.result().code().into()),
                    ("decided_on", on.into()),
                    ("reason", reason.trim().into()),
                    ("decided_by", actor.into()),
                    ("updated_at", at.into()),
                    ("version", Expr::col("version").add(1)),
                ])
                .and_where(Expr::col("id").eq(id))
                .and_where(Expr::col("status").eq(TransferStatus::Pending.code())),
        )
        .await?;
        let m = member_facts(&mut tx, t.member_id).await?;
        match d {
            Decision::Accept => {
                let to = t.to_org.as_ref().expect("within has a receiving organization");
                tx.exec(
                    Query::update()
                        .table("members")
                        .values([("org_id", to.id.into()), ("updated_at", at.into()), ("version", Expr::col("version").add(1))])
                        .and_where(Expr::col("id").eq(t.member_id)),
                )
                .await?;
                log_change(
                    &mut tx,
                    "members",
                    t.member_id,
                    "update",
                    actor,
                    Some(serde_json::json!({"org": m.org_code})),
                    Some(serde_json::json!({"org": to.code, "transfer": id})),
                )
                .await?;
            }
            Decision::Complete => {
                let why = format!("组织关系转出至{}（介绍信 {}）", t.outside, t.letter_no);
                set_status(&mut tx, &m, MemberStatus::TransferredOut, on, &why, actor).await?;
            }
            Decision::Return | Decision::Cancel => {}
        }
        log_change(&mut tx, "transfers", id, "update", actor, None, Some(serde_json::json!({"status": d.result().code(), "on": on})))
            .await?;
        let row = tx.opt(transfer_select().and_where(Expr::col(("t", "id")).eq(id)), transfer_row).await?.expect("exists");
        tx.commit().await?;
        Ok(row)
    }

    /// A member transferring in from outside the system: the member record and the completed
    /// transfer, in one transaction. The person must be registered (as staff of a school).
    pub async fn record_transfer_in(&self, m: &Member, origin: &str, letter_no: &str, on: NaiveDate, actor: &str) -> Result<i64> {
        if origin.trim().chars().count() < 2 {
            return Err(refuse("outside", "required", "请填写转出的党组织（系统外）", "give the organization the member comes from"));
        }
        let mut tx = self.write().await?;
        let values = Self::member_values(&mut tx, m).await?;
        let blind = tx.blind(m.id_number.as_str())?;
        let existing = tx
            .opt(
                Query::select()
                    .column(("m", "id"))
                    .from_as("members", "m")
                    .join_as(JoinType::InnerJoin, "persons", "pp", Expr::col(("pp", "id")).equals(("m", "person_id")))
                    .and_where(Expr::col(("pp", "id_hash")).eq(blind))
                    .and_where(Expr::col(("m", "deleted_at")).is_null()),
                |r: &dyn Row| r.int("id"),
            )
            .await?;
        if existing.is_some() {
            return Err(refuse("id_number", "member_exists", "此人已有党员记录，不能重复转入", "this person has a member record already"));
        }
        let member_id = crate::records::insert_record(&mut tx, "members", values).await?;
        let org = crate::records::id_by(&mut tx, "party_orgs", "code", m.org.as_str()).await?;
        let at = now();
        let id = tx
            .insert_id(
                Query::insert()
                    .into_table("transfers")
                    .columns([
                        "member_id",
                        "kind",
                        "to_org_id",
                        "outside",
                        "letter_no",
                        "status",
                        "started_on",
                        "decided_on",
                        "created_by",
                        "decided_by",
                        "created_at",
                        "updated_at",
                    ])
                    .values_panic([
                        member_id.into(),
                        TransferKind::In.code().into(),
                        org.into(),
                        origin.trim().into(),
                        letter_no.trim().into(),
                        TransferStatus::Completed.code().into(),
                        on.into(),
                        on.into(),
                        actor.into(),
                        actor.into(),
                        at.into(),
                        at.into(),
                    ])
                    .returning_col("id"),
            )
            .await?;
        log_change(
            &mut tx,
            "members",
            member_id,
            "create",
            actor,
            None,
            Some(serde_json::json!({"org": m.org.as_str(), "transfer_in": id})),
        )
        .await?;
        tx.commit().await?;
        Ok(member_id)
    }

    /// Change a member's status (流动党员, 失联, 停止党籍, 出党, 死亡 …), dated, with its reason.
    #[allow(clippy::too_many_arguments)]
    pub async fn change_member_status(
        &self,
        scope: &Scope,
        member_id: i64,
        to: MemberStatus,
        on: NaiveDate,
        reason: &str,
        today: NaiveDate,
        actor: &str,
    ) -> Result<()> {
        let mut tx = self.write().await?;
        let m = member_facts(&mut tx, member_id).await?;
        if !acts_for(&mut tx, scope, Some(m.org_id)).await? {
            return Err(StoreError::NotFound);
        }
        transfer::check_status(m.status, to, on, today, reason).map_err(|e| refused("status", e))?;
        if to.ends_membership() {
            tx.exec(
                Query::update()
                    .table("transfers")
                    .values([("status", TransferStatus::Cancelled.code().into()), ("decided_on", on.into()), ("decided_by", actor.into())])
                    .and_where(Expr::col("member_id").eq(member_id))
                    .and_where(Expr::col("status").eq(TransferStatus::Pending.code())),
            )
            .await?;
        }
        set_status(&mut tx, &m, to, on, reason, actor).await?;
        tx.commit().await
    }
}
