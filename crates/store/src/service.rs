//! 在职党员到社区报到、课后服务、党员服务站、居民说事: the store side of `hongzhu_core::service`.
use std::collections::HashMap;

use chrono::NaiveDate;
use hongzhu_core::labels::{Labeled, ServiceKind};
use hongzhu_core::registry::FieldError;
use hongzhu_core::service::{self, ConcernState};
use sea_query::{Expr, ExprTrait, Func, JoinType, Order, Query};
use serde::Serialize;

use crate::db::{Row, Store};
use crate::records::{log_change, now, parse_label};
use crate::{Result, StoreError};

/// The advisory-lock class that serializes one member's service records on PostgreSQL.
const SERVICE_LOCK: i32 = 0x7365_7276;

fn refused(e: hongzhu_core::Invalid, field: &'static str) -> StoreError {
    StoreError::Refused(FieldError::from_invalid(field, e))
}

/// One member's year of service (R6.3).
#[derive(Debug, Clone, Serialize)]
pub struct ServiceLine {
    pub member_id: i64,
    pub name: String,
    pub org_id: i64,
    pub org_name: String,
    pub community: Option<String>,
    pub registered_on: Option<NaiveDate>,
    /// Community service and contact with residents, in tenths of an hour (what R6.3 counts).
    pub community_tenths: i64,
    /// After-school service, in tenths.
    pub after_school_tenths: i64,
    pub records: i64,
}

impl ServiceLine {
    pub fn community_hours(&self) -> f64 {
        self.community_tenths as f64 / 10.0
    }
    pub fn after_school_hours(&self) -> f64 {
        self.after_school_tenths as f64 / 10.0
    }
    /// R6.3: registered and the yearly target reached.
    pub fn met(&self, target: f64) -> bool {
        self.community.is_some() && self.community_hours() + 1e-9 >= target
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct ServiceRecord {
    pub id: i64,
    pub member_id: i64,
    pub served_on: NaiveDate,
    pub kind: ServiceKind,
    pub hours_tenths: i64,
    pub content: String,
    pub station: Option<String>,
}

impl ServiceRecord {
    pub fn hours(&self) -> f64 {
        self.hours_tenths as f64 / 10.0
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Station {
    pub id: i64,
    pub org_id: i64,
    pub org_name: String,
    pub name: String,
    pub community: String,
    pub opened_on: NaiveDate,
    pub open_concerns: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Concern {
    pub id: i64,
    pub station_id: i64,
    pub station: String,
    pub org_id: i64,
    pub raised_on: NaiveDate,
    pub content: String,
    pub state: ConcernState,
    pub member_id: Option<i64>,
    pub member_name: Option<String>,
    pub handled_note: String,
    pub handled_on: Option<NaiveDate>,
    pub answer: String,
    pub answered_on: Option<NaiveDate>,
}

impl Store {
    /// A member's registration at the community where they live (made or changed by themselves).
    pub async fn register_service(&self, member_id: i64, community: &str, on: NaiveDate, today: NaiveDate, actor: &str) -> Result<()> {
        let community = service::check_text("community", "社区名称", community, 2, 40).map_err(|e| refused(e, "community"))?;
        if on > today {
            return Err(StoreError::Refused(FieldError::new(
                "registered_on",
                "future",
                "报到日期不能晚于今天",
                "the date cannot be after today",
            )));
        }
        let mut tx = self.write().await?;
        tx.exec(Query::delete().from_table("service_registrations").and_where(Expr::col("member_id").eq(member_id))).await?;
        tx.exec(
            Query::insert()
                .into_table("service_registrations")
                .columns(["member_id", "community", "registered_on", "updated_at"])
                .values_panic([member_id.into(), community.into(), on.into(), now().into()]),
        )
        .await?;
        log_change(&mut tx, "service_registrations", member_id, "update", actor, None, None).await?;
        tx.commit().await
    }

    /// A service record of the member's own (`member_id` is the signed-in member's). Hours over
    /// 0, at most 24 in a day with what is already recorded that day.
    #[allow(clippy::too_many_arguments)]
    pub async fn record_service(
        &self,
        member_id: i64,
        on: NaiveDate,
        kind: ServiceKind,
        hours: &str,
        content: &str,
        station: Option<i64>,
        today: NaiveDate,
        actor: &str,
    ) -> Result<i64> {
        service::check_served_on(on, today).map_err(|e| refused(e, "served_on"))?;
        let content = service::check_text("content", "服务内容", content, 4, 200).map_err(|e| refused(e, "content"))?;
        let mut tx = self.write().await?;
        if tx.backend() == crate::Backend::Postgres {
            // One member's records of a day are summed and added in turn (SQLite's writer lock
            // already makes them).
            tx.exec(
                Query::select()
                    .expr(Expr::cust_with_values("pg_advisory_xact_lock($1, $2)", [SERVICE_LOCK, (member_id & 0x7fff_ffff) as i32])),
            )
            .await?;
        }
        let already: i64 = tx
            .all(
                Query::select()
                    .column("hours_tenths")
                    .from("service_records")
                    .and_where(Expr::col("member_id").eq(member_id))
                    .and_where(Expr::col("served_on").eq(on)),
                |r: &dyn Row| r.int("hours_tenths"),
            )
            .await?
            .into_iter()
            .sum();
        let tenths = service::check_hours(hours, already).map_err(|e| refused(e, "hours"))?;
        if let Some(s) = station {
            let ok = tx
                .opt(Query::select().column("id").from("service_stations").and_where(Expr::col("id").eq(s)), |r: &dyn Row| r.int("id"))
                .await?;
            if ok.is_none() {
                return Err(StoreError::Refused(FieldError::new(
                    "station",
                    "station",
                    "服务站不存在，请从列表中选择服务站",
                    "no such station",
                )));
            }
        }
        let id = tx
            .insert_id(
                Query::insert()
                    .into_table("service_records")
                    .columns(["member_id", "served_on", "kind", "hours_tenths", "content", "station_id", "created_at"])
                    .values_panic([
                        member_id.into(),
                        on.into(),
                        kind.code().into(),
                        tenths.into(),
                        content.into(),
                        station.into(),
                        now().into(),
                    ])
                    .returning_col("id"),
            )
            .await?;
        log_change(&mut tx, "service_records", id, "create", actor, None, Some(serde_json::json!({"member": member_id, "tenths": tenths})))
            .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// A member's records, newest first.
    pub async fn service_records(&self, member_id: i64, year: i32) -> Result<Vec<ServiceRecord>> {
        let mut tx = self.read().await?;
        let rows = tx
            .all(
                Query::select()
                    .columns(["id", "member_id", "served_on", "kind", "hours_tenths", "content"].map(|c| ("r", c)))
                    .expr_as(Expr::col(("s", "name")), "station")
                    .from_as("service_records", "r")
                    .join_as(JoinType::LeftJoin, "service_stations", "s", Expr::col(("s", "id")).equals(("r", "station_id")))
                    .and_where(Expr::col(("r", "member_id")).eq(member_id))
                    .and_where(Expr::col(("r", "served_on")).gte(NaiveDate::from_ymd_opt(year, 1, 1).expect("valid")))
                    .and_where(Expr::col(("r", "served_on")).lte(NaiveDate::from_ymd_opt(year, 12, 31).expect("valid")))
                    .order_by(("r", "served_on"), Order::Desc)
                    .order_by(("r", "id"), Order::Desc),
                |r: &dyn Row| {
                    Ok(ServiceRecord {
                        id: r.int("id")?,
                        member_id: r.int("member_id")?,
                        served_on: r.date("served_on")?,
                        kind: parse_label(&r.text("kind")?)?,
                        hours_tenths: r.int("hours_tenths")?,
                        content: r.text("content")?,
                        station: r.text_opt("station")?,
                    })
                },
            )
            .await?;
        tx.commit().await?;
        Ok(rows)
    }

    /// The year's service of every member of some organizations.
    pub async fn service_lines(&self, orgs: &[i64], year: i32) -> Result<Vec<ServiceLine>> {
        if orgs.is_empty() {
            return Ok(vec![]);
        }
        let mut tx = self.read().await?;
        let mut lines = tx
            .all(
                Query::select()
                    .expr_as(Expr::col(("m", "id")), "member_id")
                    .expr_as(Expr::col(("p", "name")), "name")
                    .expr_as(Expr::col(("m", "org_id")), "org_id")
                    .expr_as(Expr::col(("o", "name")), "org_name")
                    .column(("g", "community"))
                    .column(("g", "registered_on"))
                    .from_as("members", "m")
                    .join_as(JoinType::InnerJoin, "persons", "p", Expr::col(("p", "id")).equals(("m", "person_id")))
                    .join_as(JoinType::InnerJoin, "party_orgs", "o", Expr::col(("o", "id")).equals(("m", "org_id")))
                    .join_as(JoinType::LeftJoin, "service_registrations", "g", Expr::col(("g", "member_id")).equals(("m", "id")))
                    .and_where(Expr::col(("m", "deleted_at")).is_null())
                    .and_where(Expr::col(("m", "org_id")).is_in(orgs.to_vec()))
                    .order_by(("o", "code"), Order::Asc)
                    .order_by(("m", "id"), Order::Asc),
                |r: &dyn Row| {
                    Ok(ServiceLine {
                        member_id: r.int("member_id")?,
                        name: r.text("name")?,
                        org_id: r.int("org_id")?,
                        org_name: r.text("org_name")?,
                        community: r.text_opt("community")?,
                        registered_on: r.date_opt("registered_on")?,
                        community_tenths: 0,
                        after_school_tenths: 0,
                        records: 0,
                    })
                },
            )
            .await?;
        let sums = tx
            .all(
                Query::select()
                    .column(("r", "member_id"))
                    .column(("r", "kind"))
                    .expr_as(Func::sum(Expr::col(("r", "hours_tenths"))), "n")
                    .expr_as(Func::count(Expr::col(("r", "id"))), "c")
                    .from_as("service_records", "r")
                    .join_as(JoinType::InnerJoin, "members", "m", Expr::col(("m", "id")).equals(("r", "member_id")))
                    .and_where(Expr::col(("m", "org_id")).is_in(orgs.to_vec()))
                    .and_where(Expr::col(("r", "served_on")).gte(NaiveDate::from_ymd_opt(year, 1, 1).expect("valid")))
                    .and_where(Expr::col(("r", "served_on")).lte(NaiveDate::from_ymd_opt(year, 12, 31).expect("valid")))
                    .group_by_col(("r", "member_id"))
                    .group_by_col(("r", "kind")),
                |r: &dyn Row| Ok((r.int("member_id")?, r.text("kind")?, r.int("n")?, r.int("c")?)),
            )
            .await?;
        tx.commit().await?;
        let pos: HashMap<i64, usize> = lines.iter().enumerate().map(|(i, l)| (l.member_id, i)).collect();
        for (m, kind, n, c) in sums {
            if let Some(&i) = pos.get(&m) {
                if kind == ServiceKind::AfterSchool.code() {
                    lines[i].after_school_tenths += n;
                } else {
                    lines[i].community_tenths += n;
                }
                lines[i].records += c;
            }
        }
        Ok(lines)
    }

    pub async fn add_station(&self, org_id: i64, name: &str, community: &str, opened_on: NaiveDate, actor: &str) -> Result<i64> {
        let name = service::check_text("name", "服务站名称", name, 4, 40).map_err(|e| refused(e, "name"))?;
        let community = service::check_text("community", "所在社区", community, 2, 40).map_err(|e| refused(e, "community"))?;
        let mut tx = self.write().await?;
        let id = tx
            .insert_id(
                Query::insert()
                    .into_table("service_stations")
                    .columns(["org_id", "name", "community", "opened_on", "created_at"])
                    .values_panic([org_id.into(), name.into(), community.into(), opened_on.into(), now().into()])
                    .returning_col("id"),
            )
            .await?;
        log_change(&mut tx, "service_stations", id, "create", actor, None, None).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// The stations of some organizations (`None`: all).
    pub async fn stations(&self, orgs: Option<&[i64]>) -> Result<Vec<Station>> {
        let mut q = Query::select();
        q.columns(["id", "org_id", "name", "community", "opened_on"].map(|c| ("s", c)))
            .expr_as(Expr::col(("o", "name")), "org_name")
            .from_as("service_stations", "s")
            .join_as(JoinType::InnerJoin, "party_orgs", "o", Expr::col(("o", "id")).equals(("s", "org_id")))
            .order_by(("o", "code"), Order::Asc)
            .order_by(("s", "id"), Order::Asc);
        if let Some(o) = orgs {
            q.and_where(Expr::col(("s", "org_id")).is_in(o.to_vec()));
        }
        let mut tx = self.read().await?;
        let mut rows = tx
            .all(&q, |r: &dyn Row| {
                Ok(Station {
                    id: r.int("id")?,
                    org_id: r.int("org_id")?,
                    org_name: r.text("org_name")?,
                    name: r.text("name")?,
                    community: r.text("community")?,
                    opened_on: r.date("opened_on")?,
                    open_concerns: 0,
                })
            })
            .await?;
        let open = tx
            .all(
                Query::select()
                    .column("station_id")
                    .expr_as(Func::count(Expr::col("id")), "n")
                    .from("concerns")
                    .and_where(Expr::col("state").ne(ConcernState::Answered.code()))
                    .group_by_col("station_id"),
                |r: &dyn Row| Ok((r.int("station_id")?, r.int("n")?)),
            )
            .await?;
        tx.commit().await?;
        for (s, n) in open {
            if let Some(st) = rows.iter_mut().find(|x| x.id == s) {
                st.open_concerns = n;
            }
        }
        Ok(rows)
    }

    /// The concerns raised at some stations, newest first.
    pub async fn concerns(&self, stations: &[i64]) -> Result<Vec<Concern>> {
        if stations.is_empty() {
            return Ok(vec![]);
        }
        let mut tx = self.read().await?;
        let rows = tx
            .all(
                Query::select()
                    .columns(
                        [
                            "id",
                            "station_id",
                            "raised_on",
                            "content",
                            "state",
                            "member_id",
                            "handled_note",
                            "handled_on",
                            "answer",
                            "answered_on",
                        ]
                        .map(|c| ("c", c)),
                    )
                    .expr_as(Expr::col(("s", "name")), "station")
                    .expr_as(Expr::col(("s", "org_id")), "org_id")
                    .expr_as(Expr::col(("p", "name")), "member_name")
                    .from_as("concerns", "c")
                    .join_as(JoinType::InnerJoin, "service_stations", "s", Expr::col(("s", "id")).equals(("c", "station_id")))
                    .join_as(JoinType::LeftJoin, "members", "m", Expr::col(("m", "id")).equals(("c", "member_id")))
                    .join_as(JoinType::LeftJoin, "persons", "p", Expr::col(("p", "id")).equals(("m", "person_id")))
                    .and_where(Expr::col(("c", "station_id")).is_in(stations.to_vec()))
                    .order_by(("c", "raised_on"), Order::Desc)
                    .order_by(("c", "id"), Order::Desc),
                |r: &dyn Row| {
                    Ok(Concern {
                        id: r.int("id")?,
                        station_id: r.int("station_id")?,
                        station: r.text("station")?,
                        org_id: r.int("org_id")?,
                        raised_on: r.date("raised_on")?,
                        content: r.text("content")?,
                        state: ConcernState::from_code(&r.text("state")?).ok_or_else(|| StoreError::Corrupt("concern state".into()))?,
                        member_id: r.int_opt("member_id")?,
                        member_name: r.text_opt("member_name")?,
                        handled_note: r.text("handled_note")?,
                        handled_on: r.date_opt("handled_on")?,
                        answer: r.text("answer")?,
                        answered_on: r.date_opt("answered_on")?,
                    })
                },
            )
            .await?;
        tx.commit().await?;
        Ok(rows)
    }

    /// 居民说事: a concern raised at a station (the resident is not named: only what they raised).
    pub async fn raise_concern(&self, station: i64, raised_on: NaiveDate, content: &str, today: NaiveDate, actor: &str) -> Result<i64> {
        let content = service::check_text("content", "群众诉求", content, 4, 300).map_err(|e| refused(e, "content"))?;
        if raised_on > today {
            return Err(StoreError::Refused(FieldError::new(
                "raised_on",
                "future",
                "反映日期不能晚于今天",
                "the date cannot be after today",
            )));
        }
        let at = now();
        let mut tx = self.write().await?;
        let id = tx
            .insert_id(
                Query::insert()
                    .into_table("concerns")
                    .columns(["station_id", "raised_on", "content", "state", "created_at", "updated_at"])
                    .values_panic([
                        station.into(),
                        raised_on.into(),
                        content.into(),
                        ConcernState::Raised.code().into(),
                        at.into(),
                        at.into(),
                    ])
                    .returning_col("id"),
            )
            .await?;
        log_change(&mut tx, "concerns", id, "create", actor, None, None).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// The next step of a concern: assign (a member), handle (what was done), answer (the reply).
    pub async fn step_concern(
        &self,
        id: i64,
        to: ConcernState,
        member: Option<i64>,
        text: &str,
        today: NaiveDate,
        actor: &str,
    ) -> Result<()> {
        let mut tx = self.write().await?;
        let from = tx
            .opt(Query::select().column("state").from("concerns").and_where(Expr::col("id").eq(id)), |r: &dyn Row| r.text("state"))
            .await?
            .and_then(|s| ConcernState::from_code(&s))
            .ok_or(StoreError::NotFound)?;
        service::check_step(from, to).map_err(|e| refused(e, "state"))?;
        let mut q = Query::update();
        q.table("concerns").value("state", to.code()).value("updated_at", now()).and_where(Expr::col("id").eq(id));
        match to {
            ConcernState::Assigned => {
                let Some(m) = member else {
                    return Err(StoreError::Refused(FieldError::new(
                        "member",
                        "member",
                        "请选择承办党员",
                        "choose the member who handles it",
                    )));
                };
                // The member belongs to the station's organization.
                let ok = tx
                    .opt(
                        Query::select()
                            .column(("m", "id"))
                            .from_as("concerns", "c")
                            .join_as(JoinType::InnerJoin, "service_stations", "s", Expr::col(("s", "id")).equals(("c", "station_id")))
                            .join_as(JoinType::InnerJoin, "members", "m", Expr::col(("m", "org_id")).equals(("s", "org_id")))
                            .and_where(Expr::col(("c", "id")).eq(id))
                            .and_where(Expr::col(("m", "id")).eq(m))
                            .and_where(Expr::col(("m", "deleted_at")).is_null()),
                        |r: &dyn Row| r.int("id"),
                    )
                    .await?;
                if ok.is_none() {
                    return Err(StoreError::Refused(FieldError::new(
                        "member",
                        "member",
                        "请选择服务站所属党组织的党员",
                        "choose a member of the station's organization",
                    )));
                }
                q.value("member_id", m);
            }
            ConcernState::Handled => {
                let t = service::check_text("note", "办理情况", text, 4, 300).map_err(|e| refused(e, "note"))?;
                q.value("handled_note", t).value("handled_on", today);
            }
            ConcernState::Answered => {
                let t = service::check_text("answer", "答复内容", text, 4, 300).map_err(|e| refused(e, "answer"))?;
                q.value("answer", t).value("answered_on", today);
            }
            ConcernState::Raised => {}
        }
        tx.exec(&q).await?;
        log_change(&mut tx, "concerns", id, "update", actor, None, Some(serde_json::json!({"state": to.code()}))).await?;
        tx.commit().await
    }
}
