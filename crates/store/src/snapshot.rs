//! Reading the whole registry of a region into memory, for the coverage audit (and exports):
//! one query per table, no per-row round trips.
use std::collections::HashSet;

use hongzhu_core::labels::*;
use hongzhu_core::registry::*;
use hongzhu_core::synth::Dataset;
use hongzhu_core::{IdNumber, InstitutionCode, OrgCode, Phone, RegionCode};
use sea_query::{Expr, ExprTrait, JoinType, Order, Query};

use crate::db::Store;
use crate::records::region_prefix;
use crate::{Result, StoreError};

fn corrupt(e: hongzhu_core::Invalid) -> StoreError {
    StoreError::Corrupt(e.code.to_string())
}

fn label<T: Labeled>(s: &str) -> Result<T> {
    T::from_code(s).ok_or_else(|| StoreError::Corrupt(format!("unknown code {s}")))
}

fn opt_label<T: Labeled>(s: Option<String>) -> Result<Option<T>> {
    s.map(|v| label(&v)).transpose()
}

fn id(s: &str) -> Result<IdNumber> {
    // Stored numbers were checked when written; the far date only skips the "not in the future" check.
    IdNumber::parse_on(s, chrono::NaiveDate::MAX).map_err(corrupt)
}

/// The person columns (`id_number`, `name`, `gender`, `phone`) of a row.
fn person_of(r: &dyn crate::db::Row, id_number: &IdNumber) -> Result<Person> {
    Ok(Person {
        id_number: id_number.clone(),
        name: r.text("name")?,
        gender: label(&r.text("gender")?)?,
        phone: r.sealed_opt("phone")?.map(|p| Phone::parse(&p)).transpose().map_err(corrupt)?,
    })
}

impl Store {
    /// The registry of a region (empty: everything) as it stands.
    pub async fn load_registry(&self, region: &str) -> Result<Dataset> {
        self.load_registry_with(region, true).await
    }

    /// The registry for the coverage audit, which needs no phone numbers: leaving them sealed
    /// saves opening a million of them at province scale (S13's cost where it is not needed).
    pub async fn load_registry_for_audit(&self, region: &str) -> Result<Dataset> {
        self.load_registry_with(region, false).await
    }

    async fn load_registry_with(&self, region: &str, phones: bool) -> Result<Dataset> {
        let phone_col = || if phones { Expr::col(("pp", "phone")) } else { Expr::cust("NULL") };
        let prefix = region_prefix(region);
        let county: String = prefix.chars().take(6).collect();
        let town_like = format!("{prefix}%");
        let county_like = format!("{county}%");
        let mut tx = self.read().await?;
        let regions = tx
            .all(
                Query::select()
                    .columns(["code", "name", "parent_code", "level"])
                    .from("regions")
                    .and_where(Expr::col("deleted_at").is_null())
                    .order_by("code", Order::Asc),
                |r| {
                    Ok(Region {
                        code: RegionCode::parse(&r.text("code")?).map_err(corrupt)?,
                        name: r.text("name")?,
                        parent: r.text_opt("parent_code")?.map(|c| RegionCode::parse(&c)).transpose().map_err(corrupt)?,
                        level: label(&r.text("level")?)?,
                    })
                },
            )
            .await?;
        let mut d = Dataset { regions, ..Default::default() };

        d.institutions = tx
            .all(
                Query::select()
                    .columns(
                        ["code", "name", "kind", "ownership", "status", "town_code", "longitude", "latitude", "students", "classes"]
                            .map(|c| ("i", c)),
                    )
                    .expr_as(Expr::col(("p", "code")), "parent_code")
                    .from_as("institutions", "i")
                    .join_as(JoinType::LeftJoin, "institutions", "p", Expr::col(("p", "id")).equals(("i", "parent_id")))
                    .and_where(Expr::col(("i", "deleted_at")).is_null())
                    .and_where(Expr::col(("i", "town_code")).like(town_like.clone()))
                    .order_by(("i", "code"), Order::Asc),
                |r| {
                    Ok(Institution {
                        code: InstitutionCode::parse(&r.text("code")?).map_err(corrupt)?,
                        name: r.text("name")?,
                        kind: label(&r.text("kind")?)?,
                        ownership: label(&r.text("ownership")?)?,
                        status: label(&r.text("status")?)?,
                        town: RegionCode::parse(&r.text("town_code")?).map_err(corrupt)?,
                        parent: r.text_opt("parent_code")?.map(|c| InstitutionCode::parse(&c)).transpose().map_err(corrupt)?,
                        longitude: r.float_opt("longitude")?,
                        latitude: r.float_opt("latitude")?,
                        students: r.int_opt("students")?,
                        classes: r.int_opt("classes")?,
                    })
                },
            )
            .await?;

        let staff_rows = tx
            .all(
                Query::select()
                    .columns(
                        [
                            "post",
                            "leadership_role",
                            "political_status",
                            "development_stage",
                            "backbone",
                            "head_teacher",
                            "mental_health",
                            "work_start",
                        ]
                        .map(|c| ("s", c)),
                    )
                    .columns(["id_number", "name", "gender"].map(|c| ("pp", c)))
                    .expr_as(phone_col(), "phone")
                    .expr_as(Expr::col(("i", "code")), "institution_code")
                    .from_as("staff", "s")
                    .join_as(JoinType::InnerJoin, "persons", "pp", Expr::col(("pp", "id")).equals(("s", "person_id")))
                    .join_as(JoinType::InnerJoin, "institutions", "i", Expr::col(("i", "id")).equals(("s", "institution_id")))
                    .and_where(Expr::col(("s", "deleted_at")).is_null())
                    .and_where(Expr::col(("i", "deleted_at")).is_null())
                    .and_where(Expr::col(("i", "town_code")).like(town_like.clone()))
                    .order_by(("s", "id"), Order::Asc),
                |r| {
                    let id_number = id(&r.sealed("id_number")?)?;
                    let person = person_of(r, &id_number)?;
                    let staff = Staff {
                        id_number,
                        institution: InstitutionCode::parse(&r.text("institution_code")?).map_err(corrupt)?,
                        post: opt_label(r.text_opt("post")?)?,
                        leadership_role: opt_label(r.text_opt("leadership_role")?)?,
                        political_status: label(&r.text("political_status")?)?,
                        development_stage: opt_label(r.text_opt("development_stage")?)?,
                        backbone: r.boolean("backbone")?,
                        head_teacher: r.boolean("head_teacher")?,
                        mental_health: r.boolean("mental_health")?,
                        work_start: r.date_opt("work_start")?,
                    };
                    Ok((person, staff))
                },
            )
            .await?;
        let mut seen: HashSet<IdNumber> = HashSet::with_capacity(staff_rows.len());
        for (p, s) in staff_rows {
            if seen.insert(p.id_number.clone()) {
                d.persons.push(p);
            }
            d.staff.push(s);
        }

        d.orgs = tx
            .all(
                Query::select()
                    .columns(["code", "name", "kind", "region_code", "founded_on", "term_start", "term_years", "status"].map(|c| ("o", c)))
                    .expr_as(Expr::col(("p", "code")), "parent_code")
                    .from_as("party_orgs", "o")
                    .join_as(JoinType::LeftJoin, "party_orgs", "p", Expr::col(("p", "id")).equals(("o", "parent_id")))
                    .and_where(Expr::col(("o", "deleted_at")).is_null())
                    .and_where(Expr::col(("o", "region_code")).like(county_like.clone()))
                    .order_by(("o", "code"), Order::Asc),
                |r| {
                    Ok(PartyOrg {
                        code: OrgCode::parse(&r.text("code")?).map_err(corrupt)?,
                        name: r.text("name")?,
                        kind: label(&r.text("kind")?)?,
                        parent: r.text_opt("parent_code")?.map(|c| OrgCode::parse(&c)).transpose().map_err(corrupt)?,
                        region: RegionCode::parse(&r.text("region_code")?).map_err(corrupt)?,
                        founded_on: r.date_opt("founded_on")?,
                        term_start: r.date_opt("term_start")?,
                        term_years: r.int_opt("term_years")?.map(|v| v as i32),
                        status: label(&r.text("status")?)?,
                    })
                },
            )
            .await?;

        d.coverages = tx
            .all(
                Query::select()
                    .column(("c", "mode"))
                    .expr_as(Expr::col(("o", "code")), "org_code")
                    .expr_as(Expr::col(("i", "code")), "inst_code")
                    .from_as("coverages", "c")
                    .join_as(JoinType::InnerJoin, "party_orgs", "o", Expr::col(("o", "id")).equals(("c", "org_id")))
                    .join_as(JoinType::InnerJoin, "institutions", "i", Expr::col(("i", "id")).equals(("c", "institution_id")))
                    .and_where(Expr::col(("c", "deleted_at")).is_null())
                    .and_where(Expr::col(("o", "deleted_at")).is_null())
                    .and_where(Expr::col(("i", "deleted_at")).is_null())
                    .and_where(Expr::col(("i", "town_code")).like(town_like.clone()))
                    .order_by(("c", "id"), Order::Asc),
                |r| {
                    Ok(Coverage {
                        org: OrgCode::parse(&r.text("org_code")?).map_err(corrupt)?,
                        institution: InstitutionCode::parse(&r.text("inst_code")?).map_err(corrupt)?,
                        mode: label(&r.text("mode")?)?,
                    })
                },
            )
            .await?;

        let member_rows = tx
            .all(
                Query::select()
                    .columns(["category", "admitted_on", "full_on", "party_post", "education"].map(|c| ("m", c)))
                    .columns(["id_number", "name", "gender"].map(|c| ("pp", c)))
                    .expr_as(phone_col(), "phone")
                    .expr_as(Expr::col(("o", "code")), "org_code")
                    .expr_as(Expr::col(("i", "code")), "work_code")
                    .from_as("members", "m")
                    .join_as(JoinType::InnerJoin, "persons", "pp", Expr::col(("pp", "id")).equals(("m", "person_id")))
                    .join_as(JoinType::InnerJoin, "party_orgs", "o", Expr::col(("o", "id")).equals(("m", "org_id")))
                    .join_as(JoinType::LeftJoin, "institutions", "i", Expr::col(("i", "id")).equals(("m", "work_institution_id")))
                    .and_where(Expr::col(("m", "deleted_at")).is_null())
                    .and_where(Expr::col(("o", "region_code")).like(county_like.clone()))
                    .order_by(("m", "id"), Order::Asc),
                |r| {
                    let id_number = id(&r.sealed("id_number")?)?;
                    let person = person_of(r, &id_number)?;
                    let member = Member {
                        id_number,
                        category: label(&r.text("category")?)?,
                        admitted_on: r.date("admitted_on")?,
                        full_on: r.date_opt("full_on")?,
                        org: OrgCode::parse(&r.text("org_code")?).map_err(corrupt)?,
                        work_institution: r.text_opt("work_code")?.map(|c| InstitutionCode::parse(&c)).transpose().map_err(corrupt)?,
                        party_post: opt_label(r.text_opt("party_post")?)?,
                        education: opt_label(r.text_opt("education")?)?,
                    };
                    Ok((person, member))
                },
            )
            .await?;
        for (p, m) in member_rows {
            if seen.insert(p.id_number.clone()) {
                d.persons.push(p);
            }
            d.members.push(m);
        }

        let instructor_rows = tx
            .all(
                Query::select()
                    .columns(["assigned_on", "status"].map(|c| ("n", c)))
                    .columns(["id_number", "name", "gender"].map(|c| ("pp", c)))
                    .expr_as(phone_col(), "phone")
                    .expr_as(Expr::col(("i", "code")), "inst_code")
                    .from_as("instructors", "n")
                    .join_as(JoinType::InnerJoin, "persons", "pp", Expr::col(("pp", "id")).equals(("n", "person_id")))
                    .join_as(JoinType::InnerJoin, "institutions", "i", Expr::col(("i", "id")).equals(("n", "institution_id")))
                    .and_where(Expr::col(("n", "deleted_at")).is_null())
                    .and_where(Expr::col(("i", "town_code")).like(town_like))
                    .order_by(("n", "id"), Order::Asc),
                |r| {
                    let id_number = id(&r.sealed("id_number")?)?;
                    let person = person_of(r, &id_number)?;
                    let n = Instructor {
                        id_number,
                        institution: InstitutionCode::parse(&r.text("inst_code")?).map_err(corrupt)?,
                        assigned_on: r.date("assigned_on")?,
                        status: label(&r.text("status")?)?,
                    };
                    Ok((person, n))
                },
            )
            .await?;
        for (p, n) in instructor_rows {
            if seen.insert(p.id_number.clone()) {
                d.persons.push(p);
            }
            d.instructors.push(n);
        }
        // The schools' figures per year (only with the full registry: exports and imports).
        if phones {
            d.indicators = tx
                .all(
                    Query::select()
                        .column(("x", "year"))
                        .columns(crate::school::INDICATOR_COLS.map(|c| ("x", c)))
                        .expr_as(Expr::col(("i", "code")), "inst_code")
                        .from_as("school_indicators", "x")
                        .join_as(JoinType::InnerJoin, "institutions", "i", Expr::col(("i", "id")).equals(("x", "institution_id")))
                        .and_where(Expr::col(("i", "deleted_at")).is_null())
                        .and_where(Expr::col(("i", "town_code")).like(format!("{prefix}%")))
                        .order_by(("i", "code"), Order::Asc)
                        .order_by(("x", "year"), Order::Asc),
                    |r| {
                        Ok(hongzhu_core::school::SchoolIndicators {
                            institution: InstitutionCode::parse(&r.text("inst_code")?).map_err(corrupt)?,
                            year: r.int("year")? as i32,
                            values: crate::school::indicators_of(r)?,
                        })
                    },
                )
                .await?;
        }
        tx.commit().await?;
        Ok(d)
    }
}

impl Store {
    /// The earliest date any record of the region speaks of (an organization founded, a term
    /// begun, a member admitted): an audit before it would see nothing.
    pub async fn earliest_record_date(&self, region: &str) -> Result<Option<chrono::NaiveDate>> {
        let county: String = region_prefix(region).chars().take(6).collect();
        let like = format!("{county}%");
        let mut tx = self.read().await?;
        let founded = tx
            .one(
                Query::select()
                    .expr_as(sea_query::Func::min(Expr::col("founded_on")), "a")
                    .expr_as(sea_query::Func::min(Expr::col("term_start")), "b")
                    .from("party_orgs")
                    .and_where(Expr::col("deleted_at").is_null())
                    .and_where(Expr::col("region_code").like(like.clone())),
                |r| Ok((r.date_opt("a")?, r.date_opt("b")?)),
            )
            .await?;
        let admitted = tx
            .one(
                Query::select()
                    .expr_as(sea_query::Func::min(Expr::col(("m", "admitted_on"))), "a")
                    .from_as("members", "m")
                    .join_as(JoinType::InnerJoin, "party_orgs", "o", Expr::col(("o", "id")).equals(("m", "org_id")))
                    .and_where(Expr::col(("m", "deleted_at")).is_null())
                    .and_where(Expr::col(("o", "region_code")).like(like)),
                |r| r.date_opt("a"),
            )
            .await?;
        tx.commit().await?;
        Ok([founded.0, founded.1, admitted].into_iter().flatten().min())
    }
}
