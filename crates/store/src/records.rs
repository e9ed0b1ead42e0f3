//! Reading and writing the registry. Every write is versioned (S24), soft-deletes (S25), and
//! leaves a change-history row with who, when, before and after, in the same transaction.
use chrono::{DateTime, NaiveDate, Utc};
use hongzhu_core::labels::*;
use hongzhu_core::registry::*;
use hongzhu_core::{IdNumber, InstitutionCode, OrgCode, Phone, RegionCode};
use sea_query::{Cond, Expr, ExprTrait, LikeExpr, NullOrdering, Order, Query, SelectStatement, Value};
use serde::Serialize;

use crate::db::{Row, Store, Tx};
use crate::{Result, StoreError};

/// Bookkeeping every stored record carries.
#[derive(Debug, Clone, Serialize)]
pub struct Meta {
    pub id: i64,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

fn meta(r: &dyn Row, prefix: &str) -> Result<Meta> {
    Ok(Meta {
        id: r.int(&format!("{prefix}id"))?,
        version: r.int(&format!("{prefix}version"))?,
        created_at: r.time(&format!("{prefix}created_at"))?,
        updated_at: r.time(&format!("{prefix}updated_at"))?,
    })
}

/// Which records a reader may see (SECURITY S6), resolved by the caller from the user's role.
#[derive(Debug, Clone)]
pub enum Scope {
    All,
    /// A region: its code with trailing zero pairs stripped is a prefix of every code inside it.
    Region(String),
    /// A school secretary: these organizations and the institutions they cover.
    Within {
        orgs: Vec<i64>,
        institutions: Vec<i64>,
    },
    /// A member: only themselves.
    Person(i64),
}

/// `370000` → `37`, `370800` → `3708`, `370828` → `370828`, `370828101` → `370828101`.
pub fn region_prefix(code: &str) -> String {
    let mut s = code;
    while s.len() > 2 && s.len() <= 6 && s.ends_with("00") {
        s = &s[..s.len() - 2];
    }
    s.to_string()
}

#[derive(Debug, Clone, Serialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub total: i64,
    pub page: u64,
    pub page_size: u64,
}

impl<T> Page<T> {
    pub fn pages(&self) -> u64 {
        Ord::max((Ord::max(self.total, 0) as u64).div_ceil(Ord::max(self.page_size, 1)), 1)
    }
}

/// Page numbers from 1; sizes 10, 20, 50 or 100 (UI.md), anything else becomes 20.
pub fn page_bounds(page: Option<u64>, size: Option<u64>) -> (u64, u64) {
    let size = size.filter(|s| [10, 20, 50, 100].contains(s)).unwrap_or(20);
    (Ord::max(page.unwrap_or(1), 1), size)
}

fn escape_like(q: &str) -> String {
    q.chars().flat_map(|c| if matches!(c, '%' | '_' | '\\') { vec!['\\', c] } else { vec![c] }).collect()
}

/// `LIKE '%q%'` with the user's wildcards taken literally.
fn like(q: &str) -> LikeExpr {
    LikeExpr::new(format!("%{}%", escape_like(q))).escape('\\')
}

/// `LIKE 'q%'` with the user's wildcards taken literally.
pub(crate) fn like_prefix(q: &str) -> LikeExpr {
    LikeExpr::new(format!("{}%", escape_like(q))).escape('\\')
}

pub(crate) fn parse_label<T: Labeled>(s: &str) -> Result<T> {
    T::from_code(s).ok_or_else(|| StoreError::Corrupt(format!("unknown code {s}")))
}

pub(crate) fn parse_opt_label<T: Labeled>(s: Option<String>) -> Result<Option<T>> {
    s.map(|v| parse_label(&v)).transpose()
}

fn corrupt(e: hongzhu_core::Invalid) -> StoreError {
    StoreError::Corrupt(e.code.to_string())
}

// ---------------------------------------------------------------- regions

#[derive(Debug, Clone, Serialize)]
pub struct RegionRow {
    pub meta: Meta,
    #[serde(flatten)]
    pub record: Region,
}

fn region_row(r: &dyn Row) -> Result<RegionRow> {
    Ok(RegionRow {
        meta: meta(r, "")?,
        record: Region {
            code: RegionCode::parse(&r.text("code")?).map_err(corrupt)?,
            name: r.text("name")?,
            parent: r.text_opt("parent_code")?.map(|c| RegionCode::parse(&c)).transpose().map_err(corrupt)?,
            level: parse_label(&r.text("level")?)?,
        },
    })
}

const META_COLS: [&str; 4] = ["id", "version", "created_at", "updated_at"];

// ---------------------------------------------------------------- institutions

#[derive(Debug, Clone, Serialize)]
pub struct InstitutionRow {
    pub meta: Meta,
    #[serde(flatten)]
    pub record: Institution,
    pub town_name: String,
    pub parent_name: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum InstitutionSort {
    #[default]
    Code,
    Name,
    Kind,
    Town,
    Students,
}

impl InstitutionSort {
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "code" => Self::Code,
            "name" => Self::Name,
            "kind" => Self::Kind,
            "town" => Self::Town,
            "students" => Self::Students,
            _ => return None,
        })
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Code => "code",
            Self::Name => "name",
            Self::Kind => "kind",
            Self::Town => "town",
            Self::Students => "students",
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct InstitutionFilter {
    pub q: Option<String>,
    pub town: Option<String>,
    pub kind: Option<InstitutionKind>,
    pub ownership: Option<Ownership>,
    pub status: Option<InstitutionStatus>,
    pub sort: InstitutionSort,
    pub desc: bool,
    pub page: u64,
    pub page_size: u64,
}

fn institution_select() -> SelectStatement {
    let mut s = Query::select();
    s.columns(META_COLS.map(|c| ("i", c)))
        .columns(
            ["code", "name", "kind", "ownership", "status", "town_code", "longitude", "latitude", "students", "classes"].map(|c| ("i", c)),
        )
        .expr_as(Expr::col(("r", "name")), "town_name")
        .expr_as(Expr::col(("p", "code")), "parent_code")
        .expr_as(Expr::col(("p", "name")), "parent_name")
        .from_as("institutions", "i")
        .join_as(
            sea_query::JoinType::LeftJoin,
            "regions",
            "r",
            Expr::col(("r", "code")).equals(("i", "town_code")).and(Expr::col(("r", "deleted_at")).is_null()),
        )
        .join_as(sea_query::JoinType::LeftJoin, "institutions", "p", Expr::col(("p", "id")).equals(("i", "parent_id")))
        .and_where(Expr::col(("i", "deleted_at")).is_null());
    s
}

fn institution_row(r: &dyn Row) -> Result<InstitutionRow> {
    Ok(InstitutionRow {
        meta: meta(r, "")?,
        record: Institution {
            code: InstitutionCode::parse(&r.text("code")?).map_err(corrupt)?,
            name: r.text("name")?,
            kind: parse_label(&r.text("kind")?)?,
            ownership: parse_label(&r.text("ownership")?)?,
            status: parse_label(&r.text("status")?)?,
            town: RegionCode::parse(&r.text("town_code")?).map_err(corrupt)?,
            parent: r.text_opt("parent_code")?.map(|c| InstitutionCode::parse(&c)).transpose().map_err(corrupt)?,
            longitude: r.float_opt("longitude")?,
            latitude: r.float_opt("latitude")?,
            students: r.int_opt("students")?,
            classes: r.int_opt("classes")?,
        },
        town_name: r.text_opt("town_name")?.unwrap_or_default(),
        parent_name: r.text_opt("parent_name")?,
    })
}

pub(crate) fn scope_institutions(s: &mut SelectStatement, scope: &Scope, alias: &'static str) {
    match scope {
        Scope::All => {}
        Scope::Region(code) => {
            s.and_where(Expr::col((alias, "town_code")).like(like_prefix(&region_prefix(code))));
        }
        Scope::Within { institutions, .. } => {
            s.and_where(Expr::col((alias, "id")).is_in(institutions.clone()));
        }
        Scope::Person(pid) => {
            s.and_where(
                Expr::col((alias, "id")).in_subquery(
                    Query::select()
                        .column("institution_id")
                        .from("staff")
                        .and_where(Expr::col("person_id").eq(*pid))
                        .and_where(Expr::col("deleted_at").is_null())
                        .take(),
                ),
            );
        }
    }
}

/// The values written for an institution (codes resolved to ids by the caller).
fn institution_values(i: &Institution, parent_id: Option<i64>) -> Vec<(&'static str, Value)> {
    vec![
        ("code", i.code.as_str().into()),
        ("name", i.name.clone().into()),
        ("kind", i.kind.code().into()),
        ("ownership", i.ownership.code().into()),
        ("status", i.status.code().into()),
        ("town_code", i.town.as_str().into()),
        ("county_code", i.town.county().into()),
        ("parent_id", parent_id.into()),
        ("longitude", i.longitude.into()),
        ("latitude", i.latitude.into()),
        ("students", i.students.into()),
        ("classes", i.classes.into()),
    ]
}

// ---------------------------------------------------------------- organizations

#[derive(Debug, Clone, Serialize)]
pub struct OrgRow {
    pub meta: Meta,
    #[serde(flatten)]
    pub record: PartyOrg,
    pub parent_name: Option<String>,
    pub parent_id: Option<i64>,
    /// Members recorded directly in this organization.
    pub member_count: i64,
    pub full_member_count: i64,
}

fn org_select() -> SelectStatement {
    let mut s = Query::select();
    s.columns(META_COLS.map(|c| ("o", c)))
        .columns(["code", "name", "kind", "region_code", "founded_on", "term_start", "term_years", "status", "parent_id"].map(|c| ("o", c)))
        .expr_as(Expr::col(("p", "code")), "parent_code")
        .expr_as(Expr::col(("p", "name")), "parent_name")
        .from_as("party_orgs", "o")
        .join_as(sea_query::JoinType::LeftJoin, "party_orgs", "p", Expr::col(("p", "id")).equals(("o", "parent_id")))
        .and_where(Expr::col(("o", "deleted_at")).is_null());
    s
}

fn org_row(r: &dyn Row) -> Result<OrgRow> {
    Ok(OrgRow {
        meta: meta(r, "")?,
        record: PartyOrg {
            code: OrgCode::parse(&r.text("code")?).map_err(corrupt)?,
            name: r.text("name")?,
            kind: parse_label(&r.text("kind")?)?,
            parent: r.text_opt("parent_code")?.map(|c| OrgCode::parse(&c)).transpose().map_err(corrupt)?,
            region: RegionCode::parse(&r.text("region_code")?).map_err(corrupt)?,
            founded_on: r.date_opt("founded_on")?,
            term_start: r.date_opt("term_start")?,
            term_years: r.int_opt("term_years")?.map(|v| v as i32),
            status: parse_label(&r.text("status")?)?,
        },
        parent_name: r.text_opt("parent_name")?,
        parent_id: r.int_opt("parent_id")?,
        member_count: 0,
        full_member_count: 0,
    })
}

pub(crate) fn scope_orgs(s: &mut SelectStatement, scope: &Scope, alias: &'static str) {
    match scope {
        Scope::All => {}
        Scope::Region(code) => {
            s.and_where(Expr::col((alias, "region_code")).like(like_prefix(&region_prefix(code))));
        }
        Scope::Within { orgs, .. } => {
            s.and_where(Expr::col((alias, "id")).is_in(orgs.clone()));
        }
        Scope::Person(pid) => {
            s.and_where(
                Expr::col((alias, "id")).in_subquery(
                    Query::select()
                        .column("org_id")
                        .from("members")
                        .and_where(Expr::col("person_id").eq(*pid))
                        .and_where(Expr::col("deleted_at").is_null())
                        .take(),
                ),
            );
        }
    }
}

fn org_values(o: &PartyOrg, parent_id: Option<i64>) -> Vec<(&'static str, Value)> {
    vec![
        ("code", o.code.as_str().into()),
        ("name", o.name.clone().into()),
        ("kind", o.kind.code().into()),
        ("parent_id", parent_id.into()),
        ("region_code", o.region.as_str().into()),
        ("founded_on", o.founded_on.into()),
        ("term_start", o.term_start.into()),
        ("term_years", o.term_years.map(i64::from).into()),
        ("status", o.status.code().into()),
    ]
}

// ---------------------------------------------------------------- people, staff, members

#[derive(Debug, Clone, Serialize)]
pub struct PersonView {
    pub person_id: i64,
    pub name: String,
    pub id_number: IdNumber,
    pub gender: Gender,
    pub birth_date: NaiveDate,
    pub phone: Option<Phone>,
}

fn person_view(r: &dyn Row) -> Result<PersonView> {
    Ok(PersonView {
        person_id: r.int("person_id")?,
        name: r.text("person_name")?,
        id_number: IdNumber::parse_on(&r.sealed("id_number")?, NaiveDate::MAX).map_err(corrupt)?,
        gender: parse_label(&r.text("gender")?)?,
        birth_date: r.date("birth_date")?,
        phone: r.sealed_opt("phone")?.map(|p| Phone::parse(&p)).transpose().map_err(corrupt)?,
    })
}

fn person_columns(s: &mut SelectStatement, alias: &'static str) {
    s.expr_as(Expr::col((alias, "id")), "person_id")
        .expr_as(Expr::col((alias, "name")), "person_name")
        .columns(["id_number", "gender", "birth_date", "phone"].map(|c| (alias, c)));
}

#[derive(Debug, Clone, Serialize)]
pub struct StaffRow {
    pub meta: Meta,
    pub person: PersonView,
    pub institution: InstitutionCode,
    pub institution_name: String,
    pub post: Option<Post>,
    pub leadership_role: Option<LeadershipRole>,
    pub political_status: PoliticalStatus,
    pub development_stage: Option<DevelopmentStage>,
    pub backbone: bool,
    pub head_teacher: bool,
    pub mental_health: bool,
    pub work_start: Option<NaiveDate>,
}

fn staff_select() -> SelectStatement {
    let mut s = Query::select();
    s.columns(META_COLS.map(|c| ("s", c)))
        .columns(
            ["post", "leadership_role", "political_status", "development_stage", "backbone", "head_teacher", "mental_health", "work_start"]
                .map(|c| ("s", c)),
        )
        .expr_as(Expr::col(("i", "code")), "institution_code")
        .expr_as(Expr::col(("i", "name")), "institution_name")
        .from_as("staff", "s")
        .join_as(sea_query::JoinType::InnerJoin, "persons", "pp", Expr::col(("pp", "id")).equals(("s", "person_id")))
        .join_as(sea_query::JoinType::InnerJoin, "institutions", "i", Expr::col(("i", "id")).equals(("s", "institution_id")))
        .and_where(Expr::col(("s", "deleted_at")).is_null());
    person_columns(&mut s, "pp");
    s
}

fn staff_row(r: &dyn Row) -> Result<StaffRow> {
    Ok(StaffRow {
        meta: meta(r, "")?,
        person: person_view(r)?,
        institution: InstitutionCode::parse(&r.text("institution_code")?).map_err(corrupt)?,
        institution_name: r.text("institution_name")?,
        post: parse_opt_label(r.text_opt("post")?)?,
        leadership_role: parse_opt_label(r.text_opt("leadership_role")?)?,
        political_status: parse_label(&r.text("political_status")?)?,
        development_stage: parse_opt_label(r.text_opt("development_stage")?)?,
        backbone: r.boolean("backbone")?,
        head_teacher: r.boolean("head_teacher")?,
        mental_health: r.boolean("mental_health")?,
        work_start: r.date_opt("work_start")?,
    })
}

#[derive(Debug, Clone, Default)]
pub struct PeopleFilter {
    /// Name or (exact) ID number.
    pub q: Option<String>,
    pub institution: Option<String>,
    pub org: Option<String>,
    pub political_status: Option<PoliticalStatus>,
    pub category: Option<MemberCategory>,
    pub leadership_only: bool,
    /// Members holding a Party post only (secretaries, committee members, affairs workers …).
    pub with_party_post: bool,
    pub page: u64,
    pub page_size: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct MemberRow {
    pub meta: Meta,
    pub person: PersonView,
    pub category: MemberCategory,
    pub admitted_on: NaiveDate,
    pub full_on: Option<NaiveDate>,
    pub org: OrgCode,
    pub org_name: String,
    pub work_institution: Option<InstitutionCode>,
    pub work_institution_name: Option<String>,
    pub party_post: Option<PartyPost>,
    /// 学历.
    pub education: Option<hongzhu_core::labels::Education>,
    /// 正常, 流动党员, 失联, 停止党籍 (a membership that ended is off the roster).
    pub status: hongzhu_core::labels::MemberStatus,
    /// A transfer is waiting for the receiving side: the member is in transit (still counted here).
    pub in_transit: bool,
}

fn member_select() -> SelectStatement {
    let mut s = Query::select();
    s.columns(META_COLS.map(|c| ("m", c)))
        .columns(["category", "admitted_on", "full_on", "party_post", "education", "status"].map(|c| ("m", c)))
        .expr_as(
            Expr::exists(
                Query::select()
                    .expr(Expr::val(1))
                    .from("transfers")
                    .and_where(Expr::col(("transfers", "member_id")).equals(("m", "id")))
                    .and_where(Expr::col(("transfers", "status")).eq("pending"))
                    .take(),
            ),
            "in_transit",
        )
        .expr_as(Expr::col(("o", "code")), "org_code")
        .expr_as(Expr::col(("o", "name")), "org_name")
        .expr_as(Expr::col(("i", "code")), "work_code")
        .expr_as(Expr::col(("i", "name")), "work_name")
        .from_as("members", "m")
        .join_as(sea_query::JoinType::InnerJoin, "persons", "pp", Expr::col(("pp", "id")).equals(("m", "person_id")))
        .join_as(sea_query::JoinType::InnerJoin, "party_orgs", "o", Expr::col(("o", "id")).equals(("m", "org_id")))
        .join_as(sea_query::JoinType::LeftJoin, "institutions", "i", Expr::col(("i", "id")).equals(("m", "work_institution_id")))
        .and_where(Expr::col(("m", "deleted_at")).is_null());
    person_columns(&mut s, "pp");
    s
}

fn member_row(r: &dyn Row) -> Result<MemberRow> {
    Ok(MemberRow {
        meta: meta(r, "")?,
        person: person_view(r)?,
        category: parse_label(&r.text("category")?)?,
        admitted_on: r.date("admitted_on")?,
        full_on: r.date_opt("full_on")?,
        org: OrgCode::parse(&r.text("org_code")?).map_err(corrupt)?,
        org_name: r.text("org_name")?,
        work_institution: r.text_opt("work_code")?.map(|c| InstitutionCode::parse(&c)).transpose().map_err(corrupt)?,
        work_institution_name: r.text_opt("work_name")?,
        party_post: parse_opt_label(r.text_opt("party_post")?)?,
        education: parse_opt_label(r.text_opt("education")?)?,
        status: parse_label(&r.text("status")?)?,
        in_transit: r.boolean("in_transit")?,
    })
}

#[derive(Debug, Clone, Serialize)]
pub struct CoverageRow {
    pub org: OrgCode,
    pub org_name: String,
    pub org_kind: OrgKind,
    pub institution: InstitutionCode,
    pub institution_name: String,
    pub mode: CoverageMode,
}

fn coverage_row(r: &dyn Row) -> Result<CoverageRow> {
    Ok(CoverageRow {
        org: OrgCode::parse(&r.text("org_code")?).map_err(corrupt)?,
        org_name: r.text("org_name")?,
        org_kind: parse_label(&r.text("org_kind")?)?,
        institution: InstitutionCode::parse(&r.text("inst_code")?).map_err(corrupt)?,
        institution_name: r.text("inst_name")?,
        mode: parse_label(&r.text("mode")?)?,
    })
}

fn coverage_select() -> SelectStatement {
    let mut s = Query::select();
    s.column(("c", "mode"))
        .expr_as(Expr::col(("o", "code")), "org_code")
        .expr_as(Expr::col(("o", "name")), "org_name")
        .expr_as(Expr::col(("o", "kind")), "org_kind")
        .expr_as(Expr::col(("i", "code")), "inst_code")
        .expr_as(Expr::col(("i", "name")), "inst_name")
        .from_as("coverages", "c")
        .join_as(sea_query::JoinType::InnerJoin, "party_orgs", "o", Expr::col(("o", "id")).equals(("c", "org_id")))
        .join_as(sea_query::JoinType::InnerJoin, "institutions", "i", Expr::col(("i", "id")).equals(("c", "institution_id")))
        .and_where(Expr::col(("c", "deleted_at")).is_null())
        .and_where(Expr::col(("o", "deleted_at")).is_null())
        .and_where(Expr::col(("i", "deleted_at")).is_null())
        .order_by(("i", "code"), Order::Asc);
    s
}

#[derive(Debug, Clone, Serialize)]
pub struct InstructorRow {
    pub person: PersonView,
    pub institution: InstitutionCode,
    pub institution_name: String,
    pub assigned_on: NaiveDate,
    pub status: InstructorStatus,
}

#[derive(Debug, Clone, Serialize)]
pub struct ChangeRow {
    pub action: String,
    pub actor: String,
    pub at: DateTime<Utc>,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
}

/// Counts shown on the home page.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Totals {
    pub institutions: i64,
    pub operating: i64,
    pub staff: i64,
    pub members: i64,
    pub full_members: i64,
    pub orgs: i64,
}

// ---------------------------------------------------------------- writes: shared helpers

/// An organization and every organization under it, within a transaction.
pub(crate) async fn subtree_in(tx: &mut Tx, root: i64) -> Result<Vec<i64>> {
    let all = tx
        .all(Query::select().columns(["id", "parent_id"]).from("party_orgs").and_where(Expr::col("deleted_at").is_null()), |r| {
            Ok((r.int("id")?, r.int_opt("parent_id")?))
        })
        .await?;
    let mut out = vec![root];
    let mut i = 0;
    while i < out.len() {
        let p = out[i];
        out.extend(all.iter().filter(|(_, parent)| *parent == Some(p)).map(|(id, _)| *id));
        i += 1;
    }
    Ok(out)
}

pub(crate) fn now() -> DateTime<Utc> {
    Utc::now()
}

pub(crate) async fn log_change(
    tx: &mut Tx,
    table: &'static str,
    record_id: i64,
    action: &'static str,
    actor: &str,
    before: Option<serde_json::Value>,
    after: Option<serde_json::Value>,
) -> Result<()> {
    tx.exec(
        Query::insert()
            .into_table("change_log")
            .columns(["table_name", "record_id", "action", "actor", "at", "before_json", "after_json"])
            .values_panic([
                table.into(),
                record_id.into(),
                action.into(),
                actor.into(),
                now().into(),
                before.map(|v| v.to_string()).into(),
                after.map(|v| v.to_string()).into(),
            ]),
    )
    .await?;
    Ok(())
}

pub(crate) async fn insert_record(tx: &mut Tx, table: &'static str, mut values: Vec<(&'static str, Value)>) -> Result<i64> {
    let t = now();
    values.push(("created_at", t.into()));
    values.push(("updated_at", t.into()));
    let (cols, vals): (Vec<&'static str>, Vec<Value>) = values.into_iter().unzip();
    tx.insert_id(Query::insert().into_table(table).columns(cols).values_panic(vals.into_iter().map(Expr::val)).returning_col("id")).await
}

/// S24: update only when the stored version is the one the caller read.
async fn update_record(tx: &mut Tx, table: &'static str, id: i64, expected: i64, values: Vec<(&'static str, Value)>) -> Result<i64> {
    let mut u = Query::update();
    u.table(table);
    for (c, v) in values {
        u.value(c, v);
    }
    u.value("version", Expr::col("version").add(1))
        .value("updated_at", now())
        .and_where(Expr::col("id").eq(id))
        .and_where(Expr::col("version").eq(expected))
        .and_where(Expr::col("deleted_at").is_null());
    if tx.exec(&u).await? == 1 {
        return Ok(expected + 1);
    }
    let current = tx
        .opt(
            Query::select().column("version").from(table).and_where(Expr::col("id").eq(id)).and_where(Expr::col("deleted_at").is_null()),
            |r: &dyn Row| r.int("version"),
        )
        .await?;
    Err(match current {
        Some(v) => StoreError::Stale { current: v },
        None => StoreError::NotFound,
    })
}

/// S25: mark deleted, keeping the row and its history.
async fn soft_delete(tx: &mut Tx, table: &'static str, id: i64, expected: i64) -> Result<()> {
    update_record(tx, table, id, expected, vec![("deleted_at", now().into())]).await.map(|_| ())
}

pub(crate) async fn id_by(tx: &mut Tx, table: &'static str, col: &'static str, value: &str) -> Result<Option<i64>> {
    tx.opt(
        Query::select().column("id").from(table).and_where(Expr::col(col).eq(value)).and_where(Expr::col("deleted_at").is_null()),
        |r: &dyn Row| r.int("id"),
    )
    .await
}

async fn require_id(tx: &mut Tx, table: &'static str, col: &'static str, field: &'static str, value: &str) -> Result<i64> {
    id_by(tx, table, col, value).await?.ok_or_else(|| StoreError::UnknownReference { field, value: value.to_string() })
}

fn json<T: Serialize>(v: &T) -> Option<serde_json::Value> {
    serde_json::to_value(v).ok()
}

// ---------------------------------------------------------------- the store's registry API

impl Store {
    pub async fn regions(&self, scope: &Scope) -> Result<Vec<RegionRow>> {
        let mut s = Query::select();
        s.columns(META_COLS).columns(["code", "name", "parent_code", "level"]).from("regions").and_where(Expr::col("deleted_at").is_null());
        if let Scope::Region(code) = scope {
            // A county user sees their county, its towns and the levels above it.
            let prefix = region_prefix(code);
            s.cond_where(Cond::any().add(Expr::col("code").like(like_prefix(&prefix))).add(Expr::col("level").is_in(["province", "city"])));
        }
        s.order_by("code", Order::Asc);
        let mut tx = self.read().await?;
        let rows = tx.all(&s, region_row).await?;
        tx.commit().await?;
        Ok(rows)
    }

    pub async fn region(&self, code: &str) -> Result<Option<RegionRow>> {
        let mut tx = self.read().await?;
        let r = tx
            .opt(
                Query::select()
                    .columns(META_COLS)
                    .columns(["code", "name", "parent_code", "level"])
                    .from("regions")
                    .and_where(Expr::col("code").eq(code))
                    .and_where(Expr::col("deleted_at").is_null()),
                region_row,
            )
            .await?;
        tx.commit().await?;
        Ok(r)
    }

    pub async fn create_region(&self, region: &Region, actor: &str) -> Result<i64> {
        let mut tx = self.write().await?;
        let id = insert_record(
            &mut tx,
            "regions",
            vec![
                ("code", region.code.as_str().into()),
                ("name", region.name.clone().into()),
                ("parent_code", region.parent.as_ref().map(|p| p.to_string()).into()),
                ("level", region.level.code().into()),
            ],
        )
        .await?;
        log_change(&mut tx, "regions", id, "create", actor, None, json(region)).await?;
        tx.commit().await?;
        Ok(id)
    }

    pub async fn institutions(&self, scope: &Scope, f: &InstitutionFilter) -> Result<Page<InstitutionRow>> {
        let mut s = institution_select();
        scope_institutions(&mut s, scope, "i");
        if let Some(q) = f.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
            s.cond_where(
                Cond::any()
                    .add(Expr::col(("i", "name")).like(like(q)))
                    .add(Expr::col(("i", "code")).like(like_prefix(&q.to_ascii_uppercase()))),
            );
        }
        if let Some(t) = f.town.as_deref().filter(|t| !t.is_empty()) {
            s.and_where(Expr::col(("i", "town_code")).eq(t));
        }
        if let Some(k) = f.kind {
            s.and_where(Expr::col(("i", "kind")).eq(k.code()));
        }
        if let Some(o) = f.ownership {
            s.and_where(Expr::col(("i", "ownership")).eq(o.code()));
        }
        if let Some(st) = f.status {
            s.and_where(Expr::col(("i", "status")).eq(st.code()));
        }
        let mut count = s.clone();
        count.clear_selects().expr_as(Expr::col(("i", "id")).count(), "n");
        let order = if f.desc { Order::Desc } else { Order::Asc };
        match f.sort {
            InstitutionSort::Code => s.order_by(("i", "code"), order),
            InstitutionSort::Name => s.order_by(("i", "name"), order).order_by(("i", "code"), Order::Asc),
            InstitutionSort::Kind => s.order_by(("i", "kind"), order).order_by(("i", "code"), Order::Asc),
            InstitutionSort::Town => s.order_by(("i", "town_code"), order).order_by(("i", "code"), Order::Asc),
            // Institutions without a student count go last in either direction, on both backends.
            InstitutionSort::Students => {
                s.order_by_with_nulls(("i", "students"), order, NullOrdering::Last).order_by(("i", "code"), Order::Asc)
            }
        };
        let (page, size) = (Ord::max(f.page, 1), Ord::clamp(f.page_size, 1, 500));
        s.limit(size).offset((page - 1) * size);
        let mut tx = self.read().await?;
        let total = tx.one(&count, |r| r.int("n")).await?;
        let items = tx.all(&s, institution_row).await?;
        tx.commit().await?;
        Ok(Page { items, total, page, page_size: size })
    }

    pub async fn institution(&self, scope: &Scope, code: &str) -> Result<Option<InstitutionRow>> {
        let mut s = institution_select();
        scope_institutions(&mut s, scope, "i");
        s.and_where(Expr::col(("i", "code")).eq(code));
        let mut tx = self.read().await?;
        let r = tx.opt(&s, institution_row).await?;
        tx.commit().await?;
        Ok(r)
    }

    /// Teaching points and other institutions whose parent is this one.
    pub async fn child_institutions(&self, id: i64) -> Result<Vec<InstitutionRow>> {
        let mut s = institution_select();
        s.and_where(Expr::col(("i", "parent_id")).eq(id)).order_by(("i", "code"), Order::Asc);
        let mut tx = self.read().await?;
        let r = tx.all(&s, institution_row).await?;
        tx.commit().await?;
        Ok(r)
    }

    async fn check_town(tx: &mut Tx, town: &RegionCode) -> Result<()> {
        require_id(tx, "regions", "code", "town", town.as_str()).await.map(|_| ())
    }

    pub async fn create_institution(&self, i: &Institution, actor: &str) -> Result<InstitutionRow> {
        let mut tx = self.write().await?;
        Self::check_town(&mut tx, &i.town).await?;
        let parent_id = match &i.parent {
            Some(p) => Some(require_id(&mut tx, "institutions", "code", "parent", p.as_str()).await?),
            None => None,
        };
        let id = insert_record(&mut tx, "institutions", institution_values(i, parent_id)).await?;
        log_change(&mut tx, "institutions", id, "create", actor, None, json(i)).await?;
        tx.commit().await?;
        self.institution(&Scope::All, i.code.as_str()).await?.ok_or(StoreError::NotFound)
    }

    /// Update the institution now at `code`, if it is still at `version`.
    pub async fn update_institution(&self, code: &str, version: i64, i: &Institution, actor: &str) -> Result<InstitutionRow> {
        let before = self.institution(&Scope::All, code).await?.ok_or(StoreError::NotFound)?;
        let mut tx = self.write().await?;
        Self::check_town(&mut tx, &i.town).await?;
        let parent_id = match &i.parent {
            Some(p) => Some(require_id(&mut tx, "institutions", "code", "parent", p.as_str()).await?),
            None => None,
        };
        if parent_id == Some(before.meta.id) {
            return Err(StoreError::UnknownReference { field: "parent", value: code.to_string() });
        }
        update_record(&mut tx, "institutions", before.meta.id, version, institution_values(i, parent_id)).await?;
        log_change(&mut tx, "institutions", before.meta.id, "update", actor, json(&before.record), json(i)).await?;
        tx.commit().await?;
        self.institution(&Scope::All, i.code.as_str()).await?.ok_or(StoreError::NotFound)
    }

    pub async fn delete_institution(&self, code: &str, version: i64, actor: &str) -> Result<()> {
        let before = self.institution(&Scope::All, code).await?.ok_or(StoreError::NotFound)?;
        let mut tx = self.write().await?;
        soft_delete(&mut tx, "institutions", before.meta.id, version).await?;
        log_change(&mut tx, "institutions", before.meta.id, "delete", actor, json(&before.record), None).await?;
        tx.commit().await
    }

    /// Staff and member counts per institution id, for list pages.
    pub async fn institution_counts(&self, ids: &[i64]) -> Result<Vec<(i64, i64, i64)>> {
        if ids.is_empty() {
            return Ok(vec![]);
        }
        let mut tx = self.read().await?;
        let staff = tx
            .all(
                Query::select()
                    .column("institution_id")
                    .expr_as(Expr::col("id").count(), "n")
                    .from("staff")
                    .and_where(Expr::col("institution_id").is_in(ids.to_vec()))
                    .and_where(Expr::col("deleted_at").is_null())
                    .group_by_col("institution_id"),
                |r| Ok((r.int("institution_id")?, r.int("n")?)),
            )
            .await?;
        let members = tx
            .all(
                Query::select()
                    .column("work_institution_id")
                    .expr_as(Expr::col("id").count(), "n")
                    .from("members")
                    .and_where(Expr::col("work_institution_id").is_in(ids.to_vec()))
                    .and_where(Expr::col("deleted_at").is_null())
                    .group_by_col("work_institution_id"),
                |r| Ok((r.int("work_institution_id")?, r.int("n")?)),
            )
            .await?;
        tx.commit().await?;
        Ok(ids
            .iter()
            .map(|id| {
                let s = staff.iter().find(|(i, _)| i == id).map(|x| x.1).unwrap_or(0);
                let m = members.iter().find(|(i, _)| i == id).map(|x| x.1).unwrap_or(0);
                (*id, s, m)
            })
            .collect())
    }

    // ------------------------------------------------------------ organizations

    pub async fn orgs(&self, scope: &Scope, q: Option<&str>) -> Result<Vec<OrgRow>> {
        let mut s = org_select();
        scope_orgs(&mut s, scope, "o");
        if let Some(q) = q.map(str::trim).filter(|q| !q.is_empty()) {
            s.cond_where(
                Cond::any()
                    .add(Expr::col(("o", "name")).like(like(q)))
                    .add(Expr::col(("o", "code")).like(like_prefix(&q.to_ascii_uppercase()))),
            );
        }
        s.order_by(("o", "code"), Order::Asc);
        let mut tx = self.read().await?;
        let mut rows = tx.all(&s, org_row).await?;
        let counts = tx
            .all(
                Query::select()
                    .column("org_id")
                    .column("category")
                    .expr_as(Expr::col("id").count(), "n")
                    .from("members")
                    .and_where(Expr::col("deleted_at").is_null())
                    .group_by_col("org_id")
                    .group_by_col("category"),
                |r| Ok((r.int("org_id")?, r.text("category")?, r.int("n")?)),
            )
            .await?;
        tx.commit().await?;
        let mut by_org: std::collections::HashMap<i64, (i64, i64)> = Default::default();
        for (org, cat, n) in counts {
            let e = by_org.entry(org).or_default();
            e.0 += n;
            if cat == MemberCategory::Full.code() {
                e.1 += n;
            }
        }
        for r in &mut rows {
            if let Some((all, full)) = by_org.get(&r.meta.id) {
                r.member_count = *all;
                r.full_member_count = *full;
            }
        }
        Ok(rows)
    }

    pub async fn org(&self, scope: &Scope, code: &str) -> Result<Option<OrgRow>> {
        let mut s = org_select();
        scope_orgs(&mut s, scope, "o");
        s.and_where(Expr::col(("o", "code")).eq(code));
        let mut tx = self.read().await?;
        let r = tx.opt(&s, org_row).await?;
        let r = match r {
            Some(mut row) => {
                let counts = tx
                    .all(
                        Query::select()
                            .column("category")
                            .expr_as(Expr::col("id").count(), "n")
                            .from("members")
                            .and_where(Expr::col("org_id").eq(row.meta.id))
                            .and_where(Expr::col("deleted_at").is_null())
                            .group_by_col("category"),
                        |r| Ok((r.text("category")?, r.int("n")?)),
                    )
                    .await?;
                row.member_count = counts.iter().map(|c| c.1).sum();
                row.full_member_count = counts.iter().filter(|c| c.0 == MemberCategory::Full.code()).map(|c| c.1).sum();
                Some(row)
            }
            None => None,
        };
        tx.commit().await?;
        Ok(r)
    }

    /// The organization and every organization below it.
    pub async fn org_subtree(&self, root: i64) -> Result<Vec<i64>> {
        let mut tx = self.read().await?;
        let out = subtree_in(&mut tx, root).await?;
        tx.commit().await?;
        Ok(out)
    }

    /// Institutions covered by any of these organizations.
    pub async fn covered_institution_ids(&self, orgs: &[i64]) -> Result<Vec<i64>> {
        let mut tx = self.read().await?;
        let r = tx
            .all(
                Query::select()
                    .distinct()
                    .column("institution_id")
                    .from("coverages")
                    .and_where(Expr::col("org_id").is_in(orgs.to_vec()))
                    .and_where(Expr::col("deleted_at").is_null()),
                |r| r.int("institution_id"),
            )
            .await?;
        tx.commit().await?;
        Ok(r)
    }

    pub async fn create_org(&self, o: &PartyOrg, actor: &str) -> Result<OrgRow> {
        let mut tx = self.write().await?;
        let parent_id = match &o.parent {
            Some(p) => Some(require_id(&mut tx, "party_orgs", "code", "parent", p.as_str()).await?),
            None => None,
        };
        require_id(&mut tx, "regions", "code", "region", o.region.as_str()).await?;
        let id = insert_record(&mut tx, "party_orgs", org_values(o, parent_id)).await?;
        log_change(&mut tx, "party_orgs", id, "create", actor, None, json(o)).await?;
        tx.commit().await?;
        self.org(&Scope::All, o.code.as_str()).await?.ok_or(StoreError::NotFound)
    }

    pub async fn update_org(&self, code: &str, version: i64, o: &PartyOrg, actor: &str) -> Result<OrgRow> {
        let before = self.org(&Scope::All, code).await?.ok_or(StoreError::NotFound)?;
        let parent_id = match &o.parent {
            Some(p) => {
                let mut tx = self.read().await?;
                let id = require_id(&mut tx, "party_orgs", "code", "parent", p.as_str()).await?;
                tx.commit().await?;
                // The tree has no cycle: the new parent may not sit below this organization.
                if self.org_subtree(before.meta.id).await?.contains(&id) {
                    return Err(StoreError::UnknownReference { field: "parent", value: p.to_string() });
                }
                Some(id)
            }
            None => None,
        };
        let mut tx = self.write().await?;
        require_id(&mut tx, "regions", "code", "region", o.region.as_str()).await?;
        update_record(&mut tx, "party_orgs", before.meta.id, version, org_values(o, parent_id)).await?;
        log_change(&mut tx, "party_orgs", before.meta.id, "update", actor, json(&before.record), json(o)).await?;
        tx.commit().await?;
        self.org(&Scope::All, o.code.as_str()).await?.ok_or(StoreError::NotFound)
    }

    pub async fn coverages_of_institution(&self, institution_id: i64) -> Result<Vec<CoverageRow>> {
        let mut s = coverage_select();
        s.and_where(Expr::col(("c", "institution_id")).eq(institution_id));
        let mut tx = self.read().await?;
        let r = tx.all(&s, coverage_row).await?;
        tx.commit().await?;
        Ok(r)
    }

    pub async fn coverages_of_org(&self, org_id: i64) -> Result<Vec<CoverageRow>> {
        let mut s = coverage_select();
        s.and_where(Expr::col(("c", "org_id")).eq(org_id));
        let mut tx = self.read().await?;
        let r = tx.all(&s, coverage_row).await?;
        tx.commit().await?;
        Ok(r)
    }

    pub async fn instructors_of_institution(&self, institution_id: i64) -> Result<Vec<InstructorRow>> {
        let mut s = Query::select();
        s.columns(["assigned_on", "status"].map(|c| ("n", c)))
            .expr_as(Expr::col(("i", "code")), "inst_code")
            .expr_as(Expr::col(("i", "name")), "inst_name")
            .from_as("instructors", "n")
            .join_as(sea_query::JoinType::InnerJoin, "persons", "pp", Expr::col(("pp", "id")).equals(("n", "person_id")))
            .join_as(sea_query::JoinType::InnerJoin, "institutions", "i", Expr::col(("i", "id")).equals(("n", "institution_id")))
            .and_where(Expr::col(("n", "institution_id")).eq(institution_id))
            .and_where(Expr::col(("n", "deleted_at")).is_null());
        person_columns(&mut s, "pp");
        let mut tx = self.read().await?;
        let r = tx
            .all(&s, |r| {
                Ok(InstructorRow {
                    person: person_view(r)?,
                    institution: InstitutionCode::parse(&r.text("inst_code")?).map_err(corrupt)?,
                    institution_name: r.text("inst_name")?,
                    assigned_on: r.date("assigned_on")?,
                    status: parse_label(&r.text("status")?)?,
                })
            })
            .await?;
        tx.commit().await?;
        Ok(r)
    }

    // ------------------------------------------------------------ staff

    fn people_query(&self, s: &mut SelectStatement, f: &PeopleFilter) -> Result<()> {
        if let Some(q) = f.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
            // An ID number is matched exactly, through its blind index (S13); never by pattern:
            // S12 keeps partial numbers out of searches that could enumerate them.
            match IdNumber::parse(q) {
                Ok(id) => s.and_where(Expr::col(("pp", "id_hash")).eq(self.blind(id.as_str())?)),
                Err(_) => s.and_where(Expr::col(("pp", "name")).like(like(q))),
            };
        }
        Ok(())
    }

    pub async fn staff(&self, scope: &Scope, f: &PeopleFilter) -> Result<Page<StaffRow>> {
        let mut s = staff_select();
        scope_institutions(&mut s, scope, "i");
        if let Scope::Person(pid) = scope {
            s.and_where(Expr::col(("s", "person_id")).eq(*pid));
        }
        self.people_query(&mut s, f)?;
        if let Some(i) = f.institution.as_deref().filter(|i| !i.is_empty()) {
            s.and_where(Expr::col(("i", "code")).eq(i));
        }
        if let Some(p) = f.political_status {
            s.and_where(Expr::col(("s", "political_status")).eq(p.code()));
        }
        if f.leadership_only {
            s.and_where(Expr::col(("s", "leadership_role")).is_not_null());
        }
        let mut count = s.clone();
        count.clear_selects().expr_as(Expr::col(("s", "id")).count(), "n");
        let (page, size) = (Ord::max(f.page, 1), Ord::clamp(f.page_size, 1, 500));
        s.order_by(("i", "code"), Order::Asc).order_by(("s", "id"), Order::Asc).limit(size).offset((page - 1) * size);
        let mut tx = self.read().await?;
        let total = tx.one(&count, |r| r.int("n")).await?;
        let items = tx.all(&s, staff_row).await?;
        tx.commit().await?;
        Ok(Page { items, total, page, page_size: size })
    }

    pub async fn staff_one(&self, scope: &Scope, id: i64) -> Result<Option<StaffRow>> {
        let mut s = staff_select();
        scope_institutions(&mut s, scope, "i");
        if let Scope::Person(pid) = scope {
            s.and_where(Expr::col(("s", "person_id")).eq(*pid));
        }
        s.and_where(Expr::col(("s", "id")).eq(id));
        let mut tx = self.read().await?;
        let r = tx.opt(&s, staff_row).await?;
        tx.commit().await?;
        Ok(r)
    }

    /// Find or create the person by ID number; update name and phone when they changed.
    async fn upsert_person(tx: &mut Tx, p: &Person, actor: &str) -> Result<i64> {
        let existing = tx
            .opt(
                Query::select()
                    .columns(["id", "version", "name", "phone"])
                    .from("persons")
                    .and_where(Expr::col("id_hash").eq(tx.blind(p.id_number.as_str())?))
                    .and_where(Expr::col("deleted_at").is_null()),
                |r| Ok((r.int("id")?, r.int("version")?, r.text("name")?, r.sealed_opt("phone")?)),
            )
            .await?;
        let phone = p.phone.as_ref().map(|x| x.to_string());
        match existing {
            Some((id, version, name, old_phone)) => {
                if name != p.name || old_phone != phone {
                    let sealed = phone.as_deref().map(|ph| tx.seal(ph)).transpose()?;
                    update_record(tx, "persons", id, version, vec![("name", p.name.clone().into()), ("phone", sealed.into())]).await?;
                    let mask = |ph: &Option<String>| ph.as_deref().map(hongzhu_core::mask::mask_phone);
                    log_change(
                        tx,
                        "persons",
                        id,
                        "update",
                        actor,
                        Some(serde_json::json!({"name": name, "phone": mask(&old_phone)})),
                        Some(serde_json::json!({"name": p.name, "phone": mask(&phone)})),
                    )
                    .await?;
                }
                Ok(id)
            }
            None => {
                let id = insert_record(
                    tx,
                    "persons",
                    vec![
                        ("id_number", tx.seal(p.id_number.as_str())?.into()),
                        ("id_hash", tx.blind(p.id_number.as_str())?.into()),
                        ("name", p.name.clone().into()),
                        ("gender", p.gender.code().into()),
                        ("birth_date", p.id_number.birth_date().into()),
                        ("phone", phone.as_deref().map(|ph| tx.seal(ph)).transpose()?.into()),
                    ],
                )
                .await?;
                // History never holds a full ID number or phone (S9, S12).
                log_change(
                    tx,
                    "persons",
                    id,
                    "create",
                    actor,
                    None,
                    Some(serde_json::json!({"name": p.name, "id_number": p.id_number.masked()})),
                )
                .await?;
                Ok(id)
            }
        }
    }

    pub(crate) fn staff_values(s: &Staff, person_id: i64, institution_id: i64) -> Vec<(&'static str, Value)> {
        vec![
            ("person_id", person_id.into()),
            ("institution_id", institution_id.into()),
            ("post", s.post.map(|v| v.code()).into()),
            ("leadership_role", s.leadership_role.map(|v| v.code()).into()),
            ("political_status", s.political_status.code().into()),
            ("development_stage", s.development_stage.map(|v| v.code()).into()),
            ("backbone", s.backbone.into()),
            ("head_teacher", s.head_teacher.into()),
            ("mental_health", s.mental_health.into()),
            ("work_start", s.work_start.into()),
        ]
    }

    fn staff_json(s: &Staff) -> Option<serde_json::Value> {
        let mut v = json(s)?;
        v["id_number"] = serde_json::Value::String(s.id_number.masked());
        Some(v)
    }

    pub async fn create_staff(&self, p: &Person, s: &Staff, actor: &str) -> Result<StaffRow> {
        let mut tx = self.write().await?;
        let inst = require_id(&mut tx, "institutions", "code", "institution", s.institution.as_str()).await?;
        let pid = Self::upsert_person(&mut tx, p, actor).await?;
        let id = insert_record(&mut tx, "staff", Self::staff_values(s, pid, inst)).await?;
        log_change(&mut tx, "staff", id, "create", actor, None, Self::staff_json(s)).await?;
        tx.commit().await?;
        self.staff_one(&Scope::All, id).await?.ok_or(StoreError::NotFound)
    }

    pub async fn update_staff(&self, id: i64, version: i64, p: &Person, s: &Staff, actor: &str) -> Result<StaffRow> {
        let before = self.staff_one(&Scope::All, id).await?.ok_or(StoreError::NotFound)?;
        if before.person.id_number != p.id_number {
            // The ID number is the person's natural key; changing it means another person.
            return Err(StoreError::Conflict { field: "id_number" });
        }
        let mut tx = self.write().await?;
        let inst = require_id(&mut tx, "institutions", "code", "institution", s.institution.as_str()).await?;
        let pid = Self::upsert_person(&mut tx, p, actor).await?;
        update_record(&mut tx, "staff", id, version, Self::staff_values(s, pid, inst)).await?;
        let before_json = serde_json::json!({
            "institution": before.institution, "post": before.post, "leadership_role": before.leadership_role,
            "political_status": before.political_status, "development_stage": before.development_stage,
            "backbone": before.backbone, "head_teacher": before.head_teacher, "mental_health": before.mental_health,
            "work_start": before.work_start,
        });
        log_change(&mut tx, "staff", id, "update", actor, Some(before_json), Self::staff_json(s)).await?;
        tx.commit().await?;
        self.staff_one(&Scope::All, id).await?.ok_or(StoreError::NotFound)
    }

    // ------------------------------------------------------------ members

    pub async fn members(&self, scope: &Scope, f: &PeopleFilter) -> Result<Page<MemberRow>> {
        let mut s = member_select();
        scope_orgs(&mut s, scope, "o");
        if let Scope::Person(pid) = scope {
            s.and_where(Expr::col(("m", "person_id")).eq(*pid));
        }
        self.people_query(&mut s, f)?;
        if let Some(o) = f.org.as_deref().filter(|o| !o.is_empty()) {
            s.and_where(Expr::col(("o", "code")).eq(o));
        }
        if let Some(i) = f.institution.as_deref().filter(|i| !i.is_empty()) {
            s.and_where(Expr::col(("i", "code")).eq(i));
        }
        if let Some(c) = f.category {
            s.and_where(Expr::col(("m", "category")).eq(c.code()));
        }
        if f.with_party_post {
            s.and_where(Expr::col(("m", "party_post")).is_not_null());
        }
        let mut count = s.clone();
        count.clear_selects().expr_as(Expr::col(("m", "id")).count(), "n");
        let (page, size) = (Ord::max(f.page, 1), Ord::clamp(f.page_size, 1, 500));
        s.order_by(("o", "code"), Order::Asc).order_by(("m", "id"), Order::Asc).limit(size).offset((page - 1) * size);
        let mut tx = self.read().await?;
        let total = tx.one(&count, |r| r.int("n")).await?;
        let items = tx.all(&s, member_row).await?;
        tx.commit().await?;
        Ok(Page { items, total, page, page_size: size })
    }

    pub async fn member(&self, scope: &Scope, id: i64) -> Result<Option<MemberRow>> {
        let mut s = member_select();
        scope_orgs(&mut s, scope, "o");
        if let Scope::Person(pid) = scope {
            s.and_where(Expr::col(("m", "person_id")).eq(*pid));
        }
        s.and_where(Expr::col(("m", "id")).eq(id));
        let mut tx = self.read().await?;
        let r = tx.opt(&s, member_row).await?;
        tx.commit().await?;
        Ok(r)
    }

    pub(crate) async fn member_values(tx: &mut Tx, m: &Member) -> Result<Vec<(&'static str, Value)>> {
        let blind = tx.blind(m.id_number.as_str())?;
        let person = id_by(tx, "persons", "id_hash", &blind)
            .await?
            .ok_or_else(|| StoreError::UnknownReference { field: "id_number", value: m.id_number.masked() })?;
        let org = require_id(tx, "party_orgs", "code", "org", m.org.as_str()).await?;
        let work = match &m.work_institution {
            Some(c) => Some(require_id(tx, "institutions", "code", "work_institution", c.as_str()).await?),
            None => None,
        };
        Ok(Self::member_columns(m, person, org, work))
    }

    /// A member's columns, given the ids its references resolved to.
    pub(crate) fn member_columns(m: &Member, person: i64, org: i64, work: Option<i64>) -> Vec<(&'static str, Value)> {
        vec![
            ("person_id", person.into()),
            ("category", m.category.code().into()),
            ("admitted_on", m.admitted_on.into()),
            ("full_on", m.full_on.into()),
            ("org_id", org.into()),
            ("work_institution_id", work.into()),
            ("party_post", m.party_post.map(|p| p.code()).into()),
            ("education", m.education.map(|e| e.code()).into()),
        ]
    }

    fn member_json(m: &Member) -> Option<serde_json::Value> {
        let mut v = json(m)?;
        v["id_number"] = serde_json::Value::String(m.id_number.masked());
        Some(v)
    }

    pub async fn create_member(&self, m: &Member, actor: &str) -> Result<MemberRow> {
        let mut tx = self.write().await?;
        let values = Self::member_values(&mut tx, m).await?;
        let id = insert_record(&mut tx, "members", values).await?;
        log_change(&mut tx, "members", id, "create", actor, None, Self::member_json(m)).await?;
        tx.commit().await?;
        self.member(&Scope::All, id).await?.ok_or(StoreError::NotFound)
    }

    pub async fn update_member(&self, id: i64, version: i64, m: &Member, actor: &str) -> Result<MemberRow> {
        let before = self.member(&Scope::All, id).await?.ok_or(StoreError::NotFound)?;
        if before.person.id_number != m.id_number {
            return Err(StoreError::Conflict { field: "id_number" });
        }
        let mut tx = self.write().await?;
        let values = Self::member_values(&mut tx, m).await?;
        update_record(&mut tx, "members", id, version, values).await?;
        let before_json = serde_json::json!({
            "category": before.category, "admitted_on": before.admitted_on, "full_on": before.full_on,
            "org": before.org, "work_institution": before.work_institution, "party_post": before.party_post,
        });
        log_change(&mut tx, "members", id, "update", actor, Some(before_json), Self::member_json(m)).await?;
        tx.commit().await?;
        self.member(&Scope::All, id).await?.ok_or(StoreError::NotFound)
    }

    // ------------------------------------------------------------ history and totals

    /// A record's history (S25), newest first: its own rows, and the row of the import that created
    /// it with others (a range of ids, migration 0018). A range row counts only if its instant is the
    /// record's `created_at`, so a record that later takes a purged record's id does not inherit
    /// the purged one's creation.
    pub async fn history(&self, table: &'static str, record_id: i64) -> Result<Vec<ChangeRow>> {
        let mut tx = self.read().await?;
        let read: crate::db::Decode<(i64, ChangeRow)> = |r| {
            Ok((
                r.int("id")?,
                ChangeRow {
                    action: r.text("action")?,
                    actor: r.text("actor")?,
                    at: r.time("at")?,
                    before: r.text_opt("before_json")?.and_then(|s| serde_json::from_str(&s).ok()),
                    after: r.text_opt("after_json")?.and_then(|s| serde_json::from_str(&s).ok()),
                },
            ))
        };
        let columns = ["id", "action", "actor", "at", "before_json", "after_json"];
        let mut rows = tx
            .all(
                Query::select()
                    .columns(columns)
                    .from("change_log")
                    .and_where(Expr::col("table_name").eq(table))
                    .and_where(Expr::col("record_id").eq(record_id))
                    .and_where(Expr::col("record_id_last").is_null()),
                read,
            )
            .await?;
        let created = Query::select().column("created_at").from(table).and_where(Expr::col("id").eq(record_id)).to_owned();
        let ranges = tx
            .all(
                Query::select()
                    .columns(columns)
                    .from("change_log")
                    .and_where(Expr::col("table_name").eq(table))
                    .and_where(Expr::col("record_id_last").is_not_null())
                    .and_where(Expr::col("record_id").lte(record_id))
                    .and_where(Expr::col("record_id_last").gte(record_id))
                    .and_where(Expr::col("at").in_subquery(created)),
                read,
            )
            .await?;
        tx.commit().await?;
        rows.extend(ranges);
        rows.sort_by_key(|(id, _)| std::cmp::Reverse(*id));
        Ok(rows.into_iter().map(|(_, r)| r).collect())
    }

    pub async fn totals(&self, scope: &Scope) -> Result<Totals> {
        let mut inst = Query::select();
        inst.column(("i", "status"))
            .expr_as(Expr::col(("i", "id")).count(), "n")
            .from_as("institutions", "i")
            .and_where(Expr::col(("i", "deleted_at")).is_null())
            .group_by_col(("i", "status"));
        scope_institutions(&mut inst, scope, "i");
        let mut staff = Query::select();
        staff
            .expr_as(Expr::col(("s", "id")).count(), "n")
            .from_as("staff", "s")
            .join_as(sea_query::JoinType::InnerJoin, "institutions", "i", Expr::col(("i", "id")).equals(("s", "institution_id")))
            .and_where(Expr::col(("s", "deleted_at")).is_null());
        scope_institutions(&mut staff, scope, "i");
        let mut members = Query::select();
        members
            .column(("m", "category"))
            .expr_as(Expr::col(("m", "id")).count(), "n")
            .from_as("members", "m")
            .join_as(sea_query::JoinType::InnerJoin, "party_orgs", "o", Expr::col(("o", "id")).equals(("m", "org_id")))
            .and_where(Expr::col(("m", "deleted_at")).is_null())
            .group_by_col(("m", "category"));
        scope_orgs(&mut members, scope, "o");
        let mut orgs = Query::select();
        orgs.expr_as(Expr::col(("o", "id")).count(), "n").from_as("party_orgs", "o").and_where(Expr::col(("o", "deleted_at")).is_null());
        scope_orgs(&mut orgs, scope, "o");
        let mut tx = self.read().await?;
        let by_status = tx.all(&inst, |r| Ok((r.text("status")?, r.int("n")?))).await?;
        let staff_n = tx.one(&staff, |r| r.int("n")).await?;
        let by_cat = tx.all(&members, |r| Ok((r.text("category")?, r.int("n")?))).await?;
        let orgs_n = tx.one(&orgs, |r| r.int("n")).await?;
        tx.commit().await?;
        Ok(Totals {
            institutions: by_status.iter().map(|x| x.1).sum(),
            operating: by_status.iter().filter(|x| x.0 == "operating").map(|x| x.1).sum(),
            staff: staff_n,
            members: by_cat.iter().map(|x| x.1).sum(),
            full_members: by_cat.iter().filter(|x| x.0 == "full").map(|x| x.1).sum(),
            orgs: orgs_n,
        })
    }

    /// A person's id by ID number.
    pub async fn person_id(&self, id_number: &IdNumber) -> Result<Option<i64>> {
        let mut tx = self.read().await?;
        let blind = tx.blind(id_number.as_str())?;
        let r = id_by(&mut tx, "persons", "id_hash", &blind).await?;
        tx.commit().await?;
        Ok(r)
    }

    pub async fn org_code(&self, id: i64) -> Result<Option<String>> {
        let mut tx = self.read().await?;
        let r = tx.opt(Query::select().column("code").from("party_orgs").and_where(Expr::col("id").eq(id)), |r| r.text("code")).await?;
        tx.commit().await?;
        Ok(r)
    }

    pub async fn org_id(&self, code: &str) -> Result<Option<i64>> {
        let mut tx = self.read().await?;
        let r = id_by(&mut tx, "party_orgs", "code", code).await?;
        tx.commit().await?;
        Ok(r)
    }
}

impl Store {
    /// A number that grows with every change (the change history's last id): caches keyed on it
    /// are fresh while it stays the same.
    pub async fn data_version(&self) -> Result<i64> {
        let mut tx = self.read().await?;
        let v = tx.one(Query::select().expr_as(sea_query::Func::max(Expr::col("id")), "v").from("change_log"), |r| r.int_opt("v")).await?;
        tx.commit().await?;
        Ok(v.unwrap_or(0))
    }
}

impl Store {
    /// Record that an organization covers an institution.
    pub async fn add_coverage(&self, org: &str, institution: &str, mode: hongzhu_core::labels::CoverageMode, actor: &str) -> Result<()> {
        let mut tx = self.write().await?;
        let org_id = require_id(&mut tx, "party_orgs", "code", "org", org).await?;
        let inst_id = require_id(&mut tx, "institutions", "code", "institution", institution).await?;
        let id = insert_record(
            &mut tx,
            "coverages",
            vec![("org_id", org_id.into()), ("institution_id", inst_id.into()), ("mode", mode.code().into())],
        )
        .await?;
        log_change(
            &mut tx,
            "coverages",
            id,
            "create",
            actor,
            None,
            Some(serde_json::json!({"org": org, "institution": institution, "mode": mode.code()})),
        )
        .await?;
        tx.commit().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes() {
        assert_eq!(region_prefix("370000"), "37");
        assert_eq!(region_prefix("370800"), "3708");
        assert_eq!(region_prefix("370828"), "370828");
        assert_eq!(region_prefix("370828101"), "370828101");
    }

    #[test]
    fn like_patterns_escape_wildcards() {
        assert_eq!(escape_like("50%_a"), "50\\%\\_a");
    }

    #[test]
    fn page_sizes() {
        assert_eq!(page_bounds(None, None), (1, 20));
        assert_eq!(page_bounds(Some(0), Some(50)), (1, 50));
        assert_eq!(page_bounds(Some(3), Some(33)), (3, 20));
    }
}
