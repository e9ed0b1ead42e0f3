//! Honors and school indicators: the store side of `hongzhu_core::school`.
use hongzhu_core::labels::{HonorKind, HonorLevel, InstitutionKind, Labeled};
use hongzhu_core::registry::FieldError;
use hongzhu_core::school::{Honor, Indicators};
use sea_query::{Cond, Expr, ExprTrait, JoinType, Order, Query, SelectStatement};
use serde::Serialize;

use crate::db::{Row, Store};
use crate::records::{Scope, like_prefix, log_change, now, parse_label, region_prefix, scope_institutions};
use crate::{Result, StoreError};

#[derive(Debug, Clone, Serialize)]
pub struct HonorRow {
    pub id: i64,
    #[serde(flatten)]
    pub honor: Honor,
    pub holder_name: String,
}

#[derive(Debug, Clone, Default)]
pub struct HonorFilter {
    pub year: Option<i32>,
    pub level: Option<HonorLevel>,
    pub kind: Option<HonorKind>,
    /// The holder's name contains this.
    pub q: Option<String>,
}

/// A school and its figures for a year (none yet: `None`).
#[derive(Debug, Clone, Serialize)]
pub struct SchoolYear {
    pub code: String,
    pub name: String,
    pub town: String,
    pub kind: InstitutionKind,
    pub indicators: Option<Indicators>,
    pub version: Option<i64>,
}

fn scope_honors(q: &mut SelectStatement, scope: &Scope) {
    match scope {
        Scope::All => {}
        Scope::Region(code) => {
            let p = like_prefix(&region_prefix(code));
            q.and_where(Expr::col(("i", "town_code")).like(p.clone()).or(Expr::col(("o", "region_code")).like(p)));
        }
        Scope::Within { orgs, institutions } => {
            q.and_where(Expr::col(("h", "institution_id")).is_in(institutions.clone()).or(Expr::col(("h", "org_id")).is_in(orgs.clone())));
        }
        Scope::Person(_) => {
            q.and_where(Expr::val(1).eq(0));
        }
    }
}

/// The columns of `school_indicators` that hold a school's figures, in one place for the form,
/// the ledger import and export, and every reader.
pub(crate) const INDICATOR_COLS: [&str; 10] = [
    "students",
    "classes",
    "large_classes",
    "oversized_classes",
    "teachers",
    "building_m2",
    "admitted",
    "candidates",
    "poor_supported",
    "investment_yuan",
];

/// A row's figures (the columns of [`INDICATOR_COLS`]).
pub(crate) fn indicators_of(r: &dyn Row) -> Result<Indicators> {
    Ok(Indicators {
        students: r.int("students")?,
        classes: r.int("classes")?,
        large_classes: r.int("large_classes")?,
        oversized_classes: r.int("oversized_classes")?,
        teachers: r.int("teachers")?,
        building_m2: r.int("building_m2")?,
        admitted: r.int_opt("admitted")?,
        candidates: r.int_opt("candidates")?,
        poor_supported: r.int("poor_supported")?,
        investment_yuan: r.int("investment_yuan")?,
    })
}

/// The figures as column values (the columns of [`INDICATOR_COLS`]).
pub(crate) fn indicator_values(i: &Indicators) -> Vec<(&'static str, sea_query::Value)> {
    vec![
        ("students", i.students.into()),
        ("classes", i.classes.into()),
        ("large_classes", i.large_classes.into()),
        ("oversized_classes", i.oversized_classes.into()),
        ("teachers", i.teachers.into()),
        ("building_m2", i.building_m2.into()),
        ("admitted", i.admitted.into()),
        ("candidates", i.candidates.into()),
        ("poor_supported", i.poor_supported.into()),
        ("investment_yuan", i.investment_yuan.into()),
    ]
}

impl Store {
    pub async fn honors(&self, scope: &Scope, f: &HonorFilter) -> Result<Vec<HonorRow>> {
        let mut q = Query::select();
        q.columns(["id", "kind", "title", "level", "year", "issuer", "note"].map(|c| ("h", c)))
            .expr_as(Expr::col(("i", "code")), "institution_code")
            .expr_as(Expr::col(("i", "name")), "institution_name")
            .expr_as(Expr::col(("o", "code")), "org_code")
            .expr_as(Expr::col(("o", "name")), "org_name")
            .from_as("honors", "h")
            .join_as(JoinType::LeftJoin, "institutions", "i", Expr::col(("i", "id")).equals(("h", "institution_id")))
            .join_as(JoinType::LeftJoin, "party_orgs", "o", Expr::col(("o", "id")).equals(("h", "org_id")))
            .and_where(Expr::col(("h", "deleted_at")).is_null())
            .order_by(("h", "year"), Order::Desc)
            .order_by(("h", "id"), Order::Desc);
        scope_honors(&mut q, scope);
        if let Some(y) = f.year {
            q.and_where(Expr::col(("h", "year")).eq(i64::from(y)));
        }
        if let Some(l) = f.level {
            q.and_where(Expr::col(("h", "level")).eq(l.code()));
        }
        if let Some(k) = f.kind {
            q.and_where(Expr::col(("h", "kind")).eq(k.code()));
        }
        if let Some(name) = f.q.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            let like = format!("%{}%", name.replace(['%', '_'], ""));
            q.cond_where(Cond::any().add(Expr::col(("i", "name")).like(like.clone())).add(Expr::col(("o", "name")).like(like)));
        }
        let mut tx = self.read().await?;
        let rows = tx
            .all(&q, |r: &dyn Row| {
                let institution = r.text_opt("institution_code")?;
                let org = r.text_opt("org_code")?;
                Ok(HonorRow {
                    id: r.int("id")?,
                    holder_name: r.text_opt("institution_name")?.or(r.text_opt("org_name")?).unwrap_or_default(),
                    honor: Honor {
                        kind: parse_label(&r.text("kind")?)?,
                        title: r.text("title")?,
                        level: parse_label(&r.text("level")?)?,
                        year: r.int("year")? as i32,
                        issuer: r.text("issuer")?,
                        institution,
                        org,
                        note: r.text("note")?,
                    },
                })
            })
            .await?;
        tx.commit().await?;
        Ok(rows)
    }

    /// Add an honor; its holder must be in `scope` (a secretary records their own school's).
    pub async fn add_honor(&self, scope: &Scope, h: &Honor, actor: &str) -> Result<i64> {
        let mut tx = self.write().await?;
        let institution = match &h.institution {
            Some(code) => {
                let mut q = Query::select();
                q.column(("i", "id"))
                    .from_as("institutions", "i")
                    .and_where(Expr::col(("i", "code")).eq(code.as_str()))
                    .and_where(Expr::col(("i", "deleted_at")).is_null());
                scope_institutions(&mut q, scope, "i");
                Some(tx.opt(&q, |r: &dyn Row| r.int("id")).await?.ok_or_else(|| {
                    StoreError::Refused(FieldError::new(
                        "institution",
                        "unknown",
                        format!("学校代码“{code}”不存在或不在权限范围内"),
                        format!("no school {code} in scope"),
                    ))
                })?)
            }
            None => None,
        };
        let org = match &h.org {
            Some(code) => {
                let mut q = Query::select();
                q.column(("o", "id"))
                    .from_as("party_orgs", "o")
                    .and_where(Expr::col(("o", "code")).eq(code.as_str()))
                    .and_where(Expr::col(("o", "deleted_at")).is_null());
                crate::records::scope_orgs(&mut q, scope, "o");
                Some(tx.opt(&q, |r: &dyn Row| r.int("id")).await?.ok_or_else(|| {
                    StoreError::Refused(FieldError::new(
                        "org",
                        "unknown",
                        format!("党组织代码“{code}”不存在或不在权限范围内"),
                        format!("no organization {code} in scope"),
                    ))
                })?)
            }
            None => None,
        };
        let id = tx
            .insert_id(
                Query::insert()
                    .into_table("honors")
                    .columns(["kind", "title", "level", "year", "issuer", "institution_id", "org_id", "note", "created_by", "created_at"])
                    .values_panic([
                        h.kind.code().into(),
                        h.title.clone().into(),
                        h.level.code().into(),
                        i64::from(h.year).into(),
                        h.issuer.clone().into(),
                        institution.into(),
                        org.into(),
                        h.note.clone().into(),
                        actor.into(),
                        now().into(),
                    ])
                    .returning_col("id"),
            )
            .await?;
        log_change(&mut tx, "honors", id, "create", actor, None, serde_json::to_value(h).ok()).await?;
        tx.commit().await?;
        Ok(id)
    }

    pub async fn delete_honor(&self, scope: &Scope, id: i64, actor: &str) -> Result<()> {
        let visible = self.honors(scope, &HonorFilter::default()).await?.into_iter().any(|h| h.id == id);
        if !visible {
            return Err(StoreError::NotFound);
        }
        let mut tx = self.write().await?;
        tx.exec(
            Query::update()
                .table("honors")
                .value("deleted_at", now())
                .and_where(Expr::col("id").eq(id))
                .and_where(Expr::col("deleted_at").is_null()),
        )
        .await?;
        log_change(&mut tx, "honors", id, "delete", actor, None, None).await?;
        tx.commit().await
    }

    /// Every school in scope with its figures for `year`.
    pub async fn school_years(&self, scope: &Scope, year: i32) -> Result<Vec<SchoolYear>> {
        let mut q = Query::select();
        q.columns([("i", "code"), ("i", "name"), ("i", "town_code"), ("i", "kind")])
            .columns(INDICATOR_COLS.map(|c| ("s", c)))
            .column(("s", "version"))
            .from_as("institutions", "i")
            .join_as(
                JoinType::LeftJoin,
                "school_indicators",
                "s",
                Expr::col(("s", "institution_id")).equals(("i", "id")).and(Expr::col(("s", "year")).eq(i64::from(year))),
            )
            .and_where(Expr::col(("i", "deleted_at")).is_null())
            .and_where(Expr::col(("i", "status")).ne("closed"))
            .order_by(("i", "town_code"), Order::Asc)
            .order_by(("i", "code"), Order::Asc);
        scope_institutions(&mut q, scope, "i");
        let mut tx = self.read().await?;
        let rows = tx
            .all(&q, |r: &dyn Row| {
                let version = r.int_opt("version")?;
                let indicators = version.map(|_| indicators_of(r)).transpose()?;
                Ok(SchoolYear {
                    code: r.text("code")?,
                    name: r.text("name")?,
                    town: r.text("town_code")?,
                    kind: parse_label(&r.text("kind")?)?,
                    indicators,
                    version,
                })
            })
            .await?;
        tx.commit().await?;
        Ok(rows)
    }

    /// Save a school's figures for a year. `expected`: the version read (S24), `None` for new.
    pub async fn save_indicators(
        &self,
        scope: &Scope,
        code: &str,
        year: i32,
        i: &Indicators,
        expected: Option<i64>,
        actor: &str,
    ) -> Result<()> {
        let mut tx = self.write().await?;
        let mut q = Query::select();
        q.column(("i", "id"))
            .from_as("institutions", "i")
            .and_where(Expr::col(("i", "code")).eq(code))
            .and_where(Expr::col(("i", "deleted_at")).is_null());
        scope_institutions(&mut q, scope, "i");
        let inst = tx.opt(&q, |r: &dyn Row| r.int("id")).await?.ok_or(StoreError::NotFound)?;
        let current = tx
            .opt(
                Query::select()
                    .columns(["id", "version"])
                    .from("school_indicators")
                    .and_where(Expr::col("institution_id").eq(inst))
                    .and_where(Expr::col("year").eq(i64::from(year))),
                |r: &dyn Row| Ok((r.int("id")?, r.int("version")?)),
            )
            .await?;
        let values = indicator_values(i);
        let at = now();
        let id = match (current, expected) {
            (Some((_, v)), Some(e)) if v != e => return Err(StoreError::Stale { current: v }),
            (Some(_), None) => return Err(StoreError::Stale { current: current.map(|c| c.1).unwrap_or(0) }),
            (Some((id, _)), Some(_)) => {
                let mut u = Query::update();
                u.table("school_indicators").and_where(Expr::col("id").eq(id));
                for (c, v) in values {
                    u.value(c, v);
                }
                u.value("version", Expr::col("version").add(1)).value("updated_at", at);
                tx.exec(&u).await?;
                id
            }
            (None, _) => {
                let (cols, vals): (Vec<&str>, Vec<sea_query::Value>) = values.into_iter().unzip();
                let mut ins = Query::insert();
                ins.into_table("school_indicators")
                    .columns(["institution_id", "year", "created_at", "updated_at"].into_iter().chain(cols))
                    .values_panic([inst.into(), i64::from(year).into(), at.into(), at.into()].into_iter().chain(vals).map(Expr::val))
                    .returning_col("id");
                tx.insert_id(&ins).await?
            }
        };
        log_change(&mut tx, "school_indicators", id, "update", actor, None, serde_json::to_value(i).ok()).await?;
        tx.commit().await
    }
}

/// A member as the dashboard and the statistics count them.
#[derive(Debug, Clone, Serialize)]
pub struct MemberProfile {
    pub birth_date: chrono::NaiveDate,
    pub gender: hongzhu_core::labels::Gender,
    pub category: hongzhu_core::labels::MemberCategory,
    pub admitted_on: chrono::NaiveDate,
    pub town: Option<String>,
    pub education: Option<hongzhu_core::labels::Education>,
}

impl Store {
    /// Every member in scope: age, gender, category, admission, and the town of their school.
    pub async fn member_profiles(&self, scope: &Scope) -> Result<Vec<MemberProfile>> {
        let mut q = Query::select();
        q.columns([("pp", "birth_date"), ("pp", "gender")])
            .columns([("m", "category"), ("m", "admitted_on"), ("m", "education")])
            .column(("i", "town_code"))
            .from_as("members", "m")
            .join_as(JoinType::InnerJoin, "persons", "pp", Expr::col(("pp", "id")).equals(("m", "person_id")))
            .join_as(JoinType::LeftJoin, "institutions", "i", Expr::col(("i", "id")).equals(("m", "work_institution_id")))
            .join_as(JoinType::InnerJoin, "party_orgs", "o", Expr::col(("o", "id")).equals(("m", "org_id")))
            .and_where(Expr::col(("m", "deleted_at")).is_null());
        crate::records::scope_orgs(&mut q, scope, "o");
        let mut tx = self.read().await?;
        let rows = tx
            .all(&q, |r: &dyn Row| {
                Ok(MemberProfile {
                    birth_date: r.date("birth_date")?,
                    gender: parse_label(&r.text("gender")?)?,
                    category: parse_label(&r.text("category")?)?,
                    admitted_on: r.date("admitted_on")?,
                    town: r.text_opt("town_code")?,
                    education: crate::records::parse_opt_label(r.text_opt("education")?)?,
                })
            })
            .await?;
        tx.commit().await?;
        Ok(rows)
    }
}

impl Store {
    /// What the year-end statistics read (`hongzhu_core::stats`): every member record in scope,
    /// those that left too (until their retention ends), the organizations with their founding
    /// day, and the status changes and transfers across the boundary of the system.
    pub async fn stats_facts(
        &self,
        scope: &Scope,
    ) -> Result<(
        Vec<hongzhu_core::stats::MemberFact>,
        Vec<(hongzhu_core::labels::OrgKind, Option<chrono::NaiveDate>)>,
        Vec<hongzhu_core::stats::ChangeFact>,
    )> {
        use hongzhu_core::stats::{Change, ChangeFact, MemberFact};
        let mut q = Query::select();
        q.columns([("pp", "birth_date"), ("pp", "gender")])
            .columns([("m", "category"), ("m", "admitted_on"), ("m", "full_on"), ("m", "deleted_at"), ("m", "education")])
            .from_as("members", "m")
            .join_as(JoinType::InnerJoin, "persons", "pp", Expr::col(("pp", "id")).equals(("m", "person_id")))
            .join_as(JoinType::InnerJoin, "party_orgs", "o", Expr::col(("o", "id")).equals(("m", "org_id")));
        crate::records::scope_orgs(&mut q, scope, "o");
        let mut tx = self.read().await?;
        let members = tx
            .all(&q, |r: &dyn Row| {
                Ok(MemberFact {
                    birth_date: r.date("birth_date")?,
                    gender: parse_label(&r.text("gender")?)?,
                    admitted_on: r.date("admitted_on")?,
                    full_on: r.date_opt("full_on")?,
                    category: parse_label(&r.text("category")?)?,
                    gone_on: r.time_opt("deleted_at")?.map(|t| hongzhu_core::life::to_local(t).date()),
                    education: crate::records::parse_opt_label(r.text_opt("education")?)?,
                })
            })
            .await?;
        let mut oq = Query::select();
        oq.columns([("o", "kind"), ("o", "founded_on")])
            .from_as("party_orgs", "o")
            .and_where(Expr::col(("o", "deleted_at")).is_null())
            .and_where(Expr::col(("o", "status")).eq("active"));
        crate::records::scope_orgs(&mut oq, scope, "o");
        let orgs = tx.all(&oq, |r: &dyn Row| Ok((parse_label(&r.text("kind")?)?, r.date_opt("founded_on")?))).await?;
        let mut sq = Query::select();
        sq.columns([("c", "to_status"), ("c", "changed_on")]).from_as("member_status_changes", "c").join_as(
            JoinType::InnerJoin,
            "party_orgs",
            "o",
            Expr::col(("o", "code")).equals(("c", "org_code")),
        );
        crate::records::scope_orgs(&mut sq, scope, "o");
        let mut changes: Vec<ChangeFact> = tx
            .all(&sq, |r: &dyn Row| {
                let to: hongzhu_core::labels::MemberStatus = parse_label(&r.text("to_status")?)?;
                Ok(ChangeFact {
                    on: r.date("changed_on")?,
                    what: if to == hongzhu_core::labels::MemberStatus::TransferredOut { Change::Out } else { Change::Status(to) },
                })
            })
            .await?;
        let mut tq = Query::select();
        tq.column(("t", "decided_on"))
            .from_as("transfers", "t")
            .join_as(JoinType::InnerJoin, "party_orgs", "o", Expr::col(("o", "id")).equals(("t", "to_org_id")))
            .and_where(Expr::col(("t", "kind")).eq("in"))
            .and_where(Expr::col(("t", "status")).eq("completed"));
        crate::records::scope_orgs(&mut tq, scope, "o");
        let ins = tx.all(&tq, |r: &dyn Row| r.date_opt("decided_on")).await?;
        changes.extend(ins.into_iter().flatten().map(|on| ChangeFact { on, what: Change::In }));
        tx.commit().await?;
        Ok((members, orgs, changes))
    }
}
