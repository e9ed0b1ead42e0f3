//! 党费 (DOMAIN §5): bases, payments and reductions, kept per member; the ledger and the yearly
//! report are computed from them by `hongzhu_core::dues`. Each write is one transaction.
use std::collections::HashMap;

use chrono::{Datelike, NaiveDate};
use hongzhu_core::Invalid;
use hongzhu_core::dues::{Base, BaseRule, DuesCategory, Fen, Reduction, check_base};
use hongzhu_core::labels::MemberCategory;
use hongzhu_core::registry::FieldError;
use sea_query::{Expr, ExprTrait, JoinType, Order, Query};
use serde::Serialize;

use crate::db::{Row, Store, Tx};
use crate::records::{log_change, now, parse_label};
use crate::{Result, StoreError};

fn refuse(field: &'static str, code: &'static str, zh: impl Into<String>, en: impl Into<String>) -> StoreError {
    StoreError::Refused(FieldError::new(field, code, zh, en))
}

fn refused(field: &'static str, e: Invalid) -> StoreError {
    StoreError::Refused(FieldError::from_invalid(field, e))
}

#[derive(Debug, Clone, Serialize)]
pub struct Payment {
    pub month: u32,
    pub amount_fen: i64,
    pub paid_on: NaiveDate,
    /// Who paid on the member's behalf (代缴), if anyone.
    pub proxy: String,
}

/// A member with a year of dues records.
#[derive(Debug, Clone)]
pub struct DuesMember {
    pub member_id: i64,
    pub org_id: i64,
    pub name: String,
    pub category: MemberCategory,
    pub admitted_on: NaiveDate,
    pub bases: Vec<Base>,
    pub payments: Vec<Payment>,
    pub reductions: Vec<Reduction>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ReductionStatus {
    /// 党员申请.
    Applied,
    /// 支部审核.
    Reviewed,
    /// 上级党委批准.
    Approved,
    Rejected,
}

impl ReductionStatus {
    pub fn code(self) -> &'static str {
        match self {
            ReductionStatus::Applied => "applied",
            ReductionStatus::Reviewed => "reviewed",
            ReductionStatus::Approved => "approved",
            ReductionStatus::Rejected => "rejected",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        [ReductionStatus::Applied, ReductionStatus::Reviewed, ReductionStatus::Approved, ReductionStatus::Rejected]
            .into_iter()
            .find(|x| x.code() == s)
    }
    pub fn zh(self) -> &'static str {
        match self {
            ReductionStatus::Applied => "已申请，待支部审核",
            ReductionStatus::Reviewed => "支部已审核，待上级党委批准",
            ReductionStatus::Approved => "已批准",
            ReductionStatus::Rejected => "未批准",
        }
    }
    pub fn en(self) -> &'static str {
        match self {
            ReductionStatus::Applied => "applied; the branch reviews",
            ReductionStatus::Reviewed => "reviewed; the higher committee approves",
            ReductionStatus::Approved => "approved",
            ReductionStatus::Rejected => "not approved",
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct ReductionRow {
    pub id: i64,
    pub member_id: i64,
    pub name: String,
    pub org_id: i64,
    pub from: (i32, u32),
    pub to: (i32, u32),
    pub amount_fen: i64,
    pub reason: String,
    pub applied_on: NaiveDate,
    pub reviewed_on: Option<NaiveDate>,
    pub approved_on: Option<NaiveDate>,
    pub approver: Option<String>,
    pub status: ReductionStatus,
}

/// A reduction decision (R4.4): the branch reviews, the higher committee approves or refuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReductionStep {
    Review,
    Approve,
    Reject,
}

fn month_of(y: i64, m: i64) -> (i32, u32) {
    (y as i32, m as u32)
}

/// The organizations above `org` (its parent, the parent's parent …).
async fn ancestors(tx: &mut Tx, org: i64) -> Result<Vec<i64>> {
    let all: HashMap<i64, Option<i64>> = tx
        .all(Query::select().columns(["id", "parent_id"]).from("party_orgs").and_where(Expr::col("deleted_at").is_null()), |r: &dyn Row| {
            Ok((r.int("id")?, r.int_opt("parent_id")?))
        })
        .await?
        .into_iter()
        .collect();
    let mut out = Vec::new();
    let mut cur = all.get(&org).copied().flatten();
    while let Some(p) = cur {
        if out.contains(&p) {
            break;
        }
        out.push(p);
        cur = all.get(&p).copied().flatten();
    }
    Ok(out)
}

impl Store {
    /// The members of these organizations with their dues records for a year.
    pub async fn dues_members(&self, orgs: &[i64], year: i32) -> Result<Vec<DuesMember>> {
        let mut tx = self.read().await?;
        let mut members = tx
            .all(
                Query::select()
                    .expr_as(Expr::col(("m", "id")), "member_id")
                    .columns([("m", "org_id"), ("m", "category"), ("m", "admitted_on")])
                    .column(("pp", "name"))
                    .from_as("members", "m")
                    .join_as(JoinType::InnerJoin, "persons", "pp", Expr::col(("pp", "id")).equals(("m", "person_id")))
                    .and_where(Expr::col(("m", "org_id")).is_in(orgs.to_vec()))
                    .and_where(Expr::col(("m", "deleted_at")).is_null())
                    .order_by(("m", "org_id"), Order::Asc)
                    .order_by(("m", "id"), Order::Asc),
                |r: &dyn Row| {
                    Ok(DuesMember {
                        member_id: r.int("member_id")?,
                        org_id: r.int("org_id")?,
                        name: r.text("name")?,
                        category: parse_label(&r.text("category")?)?,
                        admitted_on: r.date("admitted_on")?,
                        bases: vec![],
                        payments: vec![],
                        reductions: vec![],
                    })
                },
            )
            .await?;
        let in_orgs = || {
            Query::select()
                .column("id")
                .from("members")
                .and_where(Expr::col("org_id").is_in(orgs.to_vec()))
                .and_where(Expr::col("deleted_at").is_null())
                .take()
        };
        let bases = tx
            .all(
                Query::select()
                    .columns(["member_id", "from_month", "category", "base_fen", "farmer_fen"])
                    .from("dues_bases")
                    .and_where(Expr::col("year").eq(i64::from(year)))
                    .and_where(Expr::col("member_id").in_subquery(in_orgs())),
                |r: &dyn Row| {
                    let category = DuesCategory::from_code(&r.text("category")?)
                        .ok_or_else(|| StoreError::Corrupt(format!("dues_bases.category {}", r.text("category").unwrap_or_default())))?;
                    Ok((
                        r.int("member_id")?,
                        Base {
                            from_month: r.int("from_month")? as u32,
                            category,
                            base: Fen(r.int("base_fen")?),
                            farmer_amount: r.int_opt("farmer_fen")?.map(Fen),
                        },
                    ))
                },
            )
            .await?;
        let payments = tx
            .all(
                Query::select()
                    .columns(["member_id", "month", "amount_fen", "paid_on", "proxy"])
                    .from("dues_payments")
                    .and_where(Expr::col("year").eq(i64::from(year)))
                    .and_where(Expr::col("member_id").in_subquery(in_orgs())),
                |r: &dyn Row| {
                    Ok((
                        r.int("member_id")?,
                        Payment {
                            month: r.int("month")? as u32,
                            amount_fen: r.int("amount_fen")?,
                            paid_on: r.date("paid_on")?,
                            proxy: r.text("proxy")?,
                        },
                    ))
                },
            )
            .await?;
        let reductions = tx
            .all(
                Query::select()
                    .columns(["member_id", "from_year", "from_month", "to_year", "to_month", "amount_fen"])
                    .from("dues_reductions")
                    .and_where(Expr::col("status").eq(ReductionStatus::Approved.code()))
                    .and_where(Expr::col("member_id").in_subquery(in_orgs())),
                |r: &dyn Row| {
                    Ok((
                        r.int("member_id")?,
                        Reduction {
                            from: month_of(r.int("from_year")?, r.int("from_month")?),
                            to: month_of(r.int("to_year")?, r.int("to_month")?),
                            amount: Fen(r.int("amount_fen")?),
                        },
                    ))
                },
            )
            .await?;
        tx.commit().await?;
        let index: HashMap<i64, usize> = members.iter().enumerate().map(|(i, m)| (m.member_id, i)).collect();
        for (id, b) in bases {
            if let Some(i) = index.get(&id) {
                members[*i].bases.push(b);
            }
        }
        for (id, p) in payments {
            if let Some(i) = index.get(&id) {
                members[*i].payments.push(p);
            }
        }
        for (id, r) in reductions {
            if let Some(i) = index.get(&id) {
                members[*i].reductions.push(r);
            }
        }
        Ok(members)
    }

    /// Set the bases of members of an organization for a year (R4.1, R4.5): what is given
    /// replaces what was there for those members and that year. All or nothing.
    pub async fn set_dues_bases(&self, org_id: i64, year: i32, rows: &[(i64, Base)], rule: BaseRule, actor: &str) -> Result<usize> {
        let mut tx = self.write().await?;
        let in_org: Vec<i64> = tx
            .all(
                Query::select()
                    .column("id")
                    .from("members")
                    .and_where(Expr::col("org_id").eq(org_id))
                    .and_where(Expr::col("deleted_at").is_null()),
                |r: &dyn Row| r.int("id"),
            )
            .await?;
        for (member, b) in rows {
            if !in_org.contains(member) {
                return Err(refuse(
                    "member",
                    "not_in_org",
                    format!("党员（编号 {member}）不属于本组织，请在本组织党员中选择"),
                    "the member is not in this organization",
                ));
            }
            check_base(b, rule).map_err(|e| refused("base", e))?;
        }
        let members: Vec<i64> = {
            let mut m: Vec<i64> = rows.iter().map(|r| r.0).collect();
            m.sort_unstable();
            m.dedup();
            m
        };
        if members.is_empty() {
            return Ok(0);
        }
        tx.exec(
            Query::delete()
                .from_table("dues_bases")
                .and_where(Expr::col("year").eq(i64::from(year)))
                .and_where(Expr::col("member_id").is_in(members.clone())),
        )
        .await?;
        let at = now();
        for (member, b) in rows {
            tx.exec(
                Query::insert()
                    .into_table("dues_bases")
                    .columns(["member_id", "year", "from_month", "category", "base_fen", "farmer_fen", "created_by", "created_at"])
                    .values_panic([
                        (*member).into(),
                        i64::from(year).into(),
                        i64::from(b.from_month).into(),
                        b.category.code().into(),
                        b.base.0.into(),
                        b.farmer_amount.map(|f| f.0).into(),
                        actor.into(),
                        at.into(),
                    ]),
            )
            .await?;
        }
        log_change(&mut tx, "dues_bases", org_id, "update", actor, None, Some(serde_json::json!({"year": year, "members": members.len()})))
            .await?;
        tx.commit().await?;
        Ok(rows.len())
    }

    /// Record payments for a month (R4.4): members of the organization, a month they were members
    /// in and not already paid, paid on a day not in the future, no later than the current
    /// quarter's last month (quarterly payment). All or nothing.
    pub async fn record_dues_payments(
        &self,
        org_id: i64,
        year: i32,
        month: u32,
        rows: &[(i64, Fen, NaiveDate, String)],
        today: NaiveDate,
        actor: &str,
    ) -> Result<usize> {
        if !(1..=12).contains(&month) {
            return Err(refuse("month", "month", format!("月份 {month} 无效：应为 1–12"), "the month is 1–12"));
        }
        let quarter_end = (today.year(), (today.month0() / 3 + 1) * 3);
        if (year, month) > quarter_end {
            return Err(refuse(
                "month",
                "ahead",
                format!("{year}年{month}月尚未到：党费按月交纳，经支部同意可按季度交纳（R4.4），最多登记到本季度末"),
                "dues are paid monthly, or quarterly with the branch's consent (R4.4): at most to the end of this quarter",
            ));
        }
        let mut tx = self.write().await?;
        let members: HashMap<i64, (String, NaiveDate)> = tx
            .all(
                Query::select()
                    .column(("m", "id"))
                    .column(("m", "admitted_on"))
                    .column(("pp", "name"))
                    .from_as("members", "m")
                    .join_as(JoinType::InnerJoin, "persons", "pp", Expr::col(("pp", "id")).equals(("m", "person_id")))
                    .and_where(Expr::col(("m", "org_id")).eq(org_id))
                    .and_where(Expr::col(("m", "deleted_at")).is_null()),
                |r: &dyn Row| Ok((r.int("id")?, (r.text("name")?, r.date("admitted_on")?))),
            )
            .await?
            .into_iter()
            .collect();
        let paid: Vec<i64> = tx
            .all(
                Query::select()
                    .column("member_id")
                    .from("dues_payments")
                    .and_where(Expr::col("year").eq(i64::from(year)))
                    .and_where(Expr::col("month").eq(i64::from(month))),
                |r: &dyn Row| r.int("member_id"),
            )
            .await?;
        let at = now();
        for (member, amount, paid_on, proxy) in rows {
            let Some((name, admitted)) = members.get(member) else {
                return Err(refuse(
                    "member",
                    "not_in_org",
                    format!("党员（编号 {member}）不属于本组织，请在本组织党员中选择"),
                    "the member is not in this organization",
                ));
            };
            // R4.4: probationary members pay from the month of admission.
            if (year, month) < (admitted.year(), admitted.month()) {
                return Err(refuse(
                    "month",
                    "before_admission",
                    format!("{name} {admitted} 入党，{year}年{month}月尚不是党员：预备党员自入党之月起交纳党费（R4.4）"),
                    format!("{name} was admitted on {admitted}: dues start from the month of admission (R4.4)"),
                ));
            }
            if paid.contains(member) {
                return Err(refuse(
                    "member",
                    "paid",
                    format!("{name} {year}年{month}月的党费已登记"),
                    format!("{name} has paid for {year}-{month:02}"),
                ));
            }
            if *paid_on > today {
                return Err(refuse(
                    "paid_on",
                    "future",
                    format!("{name} 的交纳日期 {paid_on} 晚于今天"),
                    "the payment date is in the future",
                ));
            }
            if amount.0 <= 0 {
                return Err(refuse("amount", "amount", format!("{name} 的金额应大于 0"), "the amount is more than 0"));
            }
            tx.exec(
                Query::insert()
                    .into_table("dues_payments")
                    .columns(["member_id", "year", "month", "amount_fen", "paid_on", "proxy", "created_by", "created_at"])
                    .values_panic([
                        (*member).into(),
                        i64::from(year).into(),
                        i64::from(month).into(),
                        amount.0.into(),
                        (*paid_on).into(),
                        proxy.trim().into(),
                        actor.into(),
                        at.into(),
                    ]),
            )
            .await?;
        }
        log_change(
            &mut tx,
            "dues_payments",
            org_id,
            "create",
            actor,
            None,
            Some(serde_json::json!({"year": year, "month": month, "payments": rows.len()})),
        )
        .await?;
        tx.commit().await?;
        Ok(rows.len())
    }

    /// Reductions of members of these organizations, newest first.
    pub async fn dues_reductions(&self, orgs: &[i64]) -> Result<Vec<ReductionRow>> {
        let mut tx = self.read().await?;
        let rows = tx
            .all(
                Query::select()
                    .columns(
                        [
                            "id",
                            "member_id",
                            "from_year",
                            "from_month",
                            "to_year",
                            "to_month",
                            "amount_fen",
                            "reason",
                            "applied_on",
                            "reviewed_on",
                            "approved_on",
                            "status",
                        ]
                        .map(|c| ("d", c)),
                    )
                    .column(("m", "org_id"))
                    .column(("pp", "name"))
                    .expr_as(Expr::col(("o", "name")), "approver")
                    .from_as("dues_reductions", "d")
                    .join_as(JoinType::InnerJoin, "members", "m", Expr::col(("m", "id")).equals(("d", "member_id")))
                    .join_as(JoinType::InnerJoin, "persons", "pp", Expr::col(("pp", "id")).equals(("m", "person_id")))
                    .join_as(JoinType::LeftJoin, "party_orgs", "o", Expr::col(("o", "id")).equals(("d", "approver_org_id")))
                    .and_where(Expr::col(("m", "org_id")).is_in(orgs.to_vec()))
                    .order_by(("d", "id"), Order::Desc),
                |r: &dyn Row| {
                    Ok(ReductionRow {
                        id: r.int("id")?,
                        member_id: r.int("member_id")?,
                        name: r.text("name")?,
                        org_id: r.int("org_id")?,
                        from: month_of(r.int("from_year")?, r.int("from_month")?),
                        to: month_of(r.int("to_year")?, r.int("to_month")?),
                        amount_fen: r.int("amount_fen")?,
                        reason: r.text("reason")?,
                        applied_on: r.date("applied_on")?,
                        reviewed_on: r.date_opt("reviewed_on")?,
                        approved_on: r.date_opt("approved_on")?,
                        approver: r.text_opt("approver")?,
                        status: ReductionStatus::parse(&r.text("status")?)
                            .ok_or_else(|| StoreError::Corrupt("dues_reductions.status".into()))?,
                    })
                },
            )
            .await?;
        tx.commit().await?;
        Ok(rows)
    }

    /// A member's application for a reduction (R4.4), recorded by their branch.
    #[allow(clippy::too_many_arguments)]
    pub async fn apply_dues_reduction(
        &self,
        org_id: i64,
        member_id: i64,
        from: (i32, u32),
        to: (i32, u32),
        amount: Fen,
        reason: &str,
        applied_on: NaiveDate,
        today: NaiveDate,
        actor: &str,
    ) -> Result<i64> {
        if !(1..=12).contains(&from.1) || !(1..=12).contains(&to.1) || to < from {
            return Err(refuse("to", "months", "减免期间无效：结束月份不能早于开始月份", "the period ends before it starts"));
        }
        if applied_on > today {
            return Err(refuse("applied_on", "future", format!("申请日期 {applied_on} 晚于今天"), "the date is in the future"));
        }
        if reason.trim().chars().count() < 2 {
            return Err(refuse("reason", "reason", "请写明减免理由（如生活困难的情况）", "give the reason"));
        }
        let mut tx = self.write().await?;
        let in_org = tx
            .opt(
                Query::select()
                    .column("id")
                    .from("members")
                    .and_where(Expr::col("id").eq(member_id))
                    .and_where(Expr::col("org_id").eq(org_id))
                    .and_where(Expr::col("deleted_at").is_null()),
                |r: &dyn Row| r.int("id"),
            )
            .await?;
        if in_org.is_none() {
            return Err(refuse("member", "not_in_org", "该党员不属于本组织", "the member is not in this organization"));
        }
        let id = tx
            .insert_id(
                Query::insert()
                    .into_table("dues_reductions")
                    .columns([
                        "member_id",
                        "from_year",
                        "from_month",
                        "to_year",
                        "to_month",
                        "amount_fen",
                        "reason",
                        "applied_on",
                        "status",
                        "created_by",
                        "created_at",
                    ])
                    .values_panic([
                        member_id.into(),
                        i64::from(from.0).into(),
                        i64::from(from.1).into(),
                        i64::from(to.0).into(),
                        i64::from(to.1).into(),
                        amount.0.into(),
                        reason.trim().into(),
                        applied_on.into(),
                        ReductionStatus::Applied.code().into(),
                        actor.into(),
                        now().into(),
                    ])
                    .returning_col("id"),
            )
            .await?;
        log_change(
            &mut tx,
            "dues_reductions",
            id,
            "create",
            actor,
            None,
            Some(serde_json::json!({"member": member_id, "amount_fen": amount.0})),
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// The branch reviews; a higher organization approves or refuses (R4.4). `acting` are the
    /// organizations the user acts for (`None`: the county, for all).
    #[allow(clippy::too_many_arguments)]
    pub async fn decide_dues_reduction(
        &self,
        id: i64,
        step: ReductionStep,
        on: NaiveDate,
        approver: Option<&str>,
        acting: Option<&[i64]>,
        today: NaiveDate,
        actor: &str,
    ) -> Result<()> {
        if on > today {
            return Err(refuse("on", "future", format!("日期 {on} 晚于今天"), "the date is in the future"));
        }
        let mut tx = self.write().await?;
        let (status, org, applied) = tx
            .opt(
                Query::select()
                    .column(("d", "status"))
                    .column(("d", "applied_on"))
                    .column(("m", "org_id"))
                    .from_as("dues_reductions", "d")
                    .join_as(JoinType::InnerJoin, "members", "m", Expr::col(("m", "id")).equals(("d", "member_id")))
                    .and_where(Expr::col(("d", "id")).eq(id)),
                |r: &dyn Row| Ok((r.text("status")?, r.int("org_id")?, r.date("applied_on")?)),
            )
            .await?
            .ok_or(StoreError::NotFound)?;
        if on < applied {
            return Err(refuse("on", "before", format!("日期 {on} 早于申请日期 {applied}"), "the date is before the application"));
        }
        let acts = |o: i64| acting.is_none_or(|a| a.contains(&o));
        let mut values: Vec<(&str, sea_query::SimpleExpr)> = Vec::new();
        match step {
            ReductionStep::Review => {
                if status != "applied" {
                    return Err(refuse("step", "order", "只能审核刚提出的申请", "only a new application is reviewed"));
                }
                if !acts(org) {
                    return Err(refuse("step", "side", "由党员所在支部审核", "the member's branch reviews"));
                }
                values.push(("status", ReductionStatus::Reviewed.code().into()));
                values.push(("reviewed_on", on.into()));
            }
            ReductionStep::Approve | ReductionStep::Reject => {
                if status != "reviewed" {
                    return Err(refuse(
                        "step",
                        "order",
                        "须先经支部审核，再报上级党委审批（R4.4：党员申请、支部审核、上一级党委批准）",
                        "the branch reviews first, then the higher committee decides (R4.4)",
                    ));
                }
                let code = approver
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .ok_or_else(|| refuse("approver", "required", "请选择批准的上级党委", "choose the approving higher committee"))?;
                let approver_id = crate::records::id_by(&mut tx, "party_orgs", "code", code)
                    .await?
                    .ok_or_else(|| refuse("approver", "unknown", format!("党组织代码“{code}”不存在"), format!("no organization {code}")))?;
                if !ancestors(&mut tx, org).await?.contains(&approver_id) {
                    return Err(refuse(
                        "approver",
                        "level",
                        "减免须由党员所在党组织的上级党委批准（R4.4），本组织或不相隶属的组织不能批准",
                        "a reduction is approved by a higher organization of the member's (R4.4)",
                    ));
                }
                if !acts(approver_id) {
                    return Err(refuse("approver", "side", "只能以本人所在的上级党组织批准", "approve as your own organization"));
                }
                let s = if step == ReductionStep::Approve { ReductionStatus::Approved } else { ReductionStatus::Rejected };
                values.push(("status", s.code().into()));
                values.push(("approved_on", on.into()));
                values.push(("approver_org_id", approver_id.into()));
            }
        }
        let mut u = Query::update();
        u.table("dues_reductions").and_where(Expr::col("id").eq(id));
        for (c, v) in values {
            u.value(c, v);
        }
        tx.exec(&u).await?;
        log_change(&mut tx, "dues_reductions", id, "update", actor, None, Some(serde_json::json!({"step": format!("{step:?}"), "on": on})))
            .await?;
        tx.commit().await
    }

    /// Load a generated year of dues (the demo): bases and payments, in one transaction.
    pub async fn load_dues(
        &self,
        bases: &[(i64, i32, Base)],
        payments: &[(i64, i32, u32, Fen, NaiveDate, String)],
        actor: &str,
    ) -> Result<()> {
        let mut tx = self.write().await?;
        let at = now();
        let base_rows: Vec<Vec<sea_query::Value>> = bases
            .iter()
            .map(|(m, y, b)| {
                vec![
                    (*m).into(),
                    i64::from(*y).into(),
                    i64::from(b.from_month).into(),
                    b.category.code().into(),
                    b.base.0.into(),
                    b.farmer_amount.map(|f| f.0).into(),
                    actor.into(),
                    at.into(),
                ]
            })
            .collect();
        crate::bulk::insert_values(
            &mut tx,
            "dues_bases",
            &["member_id", "year", "from_month", "category", "base_fen", "farmer_fen", "created_by", "created_at"],
            base_rows,
            &mut |_: &str, _: u64, _: u64| {},
        )
        .await?;
        let pay_rows: Vec<Vec<sea_query::Value>> = payments
            .iter()
            .map(|(m, y, mo, a, on, proxy)| {
                vec![
                    (*m).into(),
                    i64::from(*y).into(),
                    i64::from(*mo).into(),
                    a.0.into(),
                    (*on).into(),
                    proxy.clone().into(),
                    actor.into(),
                    at.into(),
                ]
            })
            .collect();
        crate::bulk::insert_values(
            &mut tx,
            "dues_payments",
            &["member_id", "year", "month", "amount_fen", "paid_on", "proxy", "created_by", "created_at"],
            pay_rows,
            &mut |_: &str, _: u64, _: u64| {},
        )
        .await?;
        tx.commit().await
    }
}
