//! 组织关系转接 and member status (issue: member lifecycle, part 3): the list of transfers with
//! what each side may do, starting a transfer from a member's page, the printable introduction
//! letter, a transfer in from outside, status changes with their history, and the API.
use askama::Template;
use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chrono::NaiveDate;
use hongzhu_core::labels::{Labeled, MemberStatus, OrgStatus, TransferKind, TransferStatus};
use hongzhu_core::registry::{Checker, FieldError, MemberInput};
use hongzhu_core::transfer::Decision;
use hongzhu_store::transfers::{NewTransfer, StatusChange, TransferFilter, TransferRow};
use hongzhu_store::{MemberRow, Role, Scope, StoreError};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::AppState;
use crate::auth::{self, ApiUser, CurrentUser, Lang, PageUser};
use crate::error::{ApiError, AppError};
use crate::i18n::Tr;
use crate::pages::{PageResult, chrome, county_or_secretary as allowed, local_today as today, render, zh_en as l};
use crate::view::{Chrome, enc};

type ApiResult = Result<Response, ApiError>;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/members/transfers", get(list_page))
        .route("/members/transfers.xlsx", get(list_xlsx))
        .route("/members/transfers/in", get(in_form).post(in_submit))
        .route("/members/transfers/{id}/letter", get(letter))
        .route("/members/transfers/{id}/decision", post(decide))
        .route("/members/{id}/relations", get(relations_page))
        .route("/members/{id}/transfer", post(start))
        .route("/members/{id}/status", post(status_submit))
        .route("/api/v1/transfers", get(api_list))
        .route("/api/v1/transfers/{id}/decision", post(api_decide))
        .route("/api/v1/members/{id}/transfers", post(api_start))
        .route("/api/v1/members/{id}/status", post(api_status))
}

/// Does the user act for this organization (a side of a transfer)?
fn acts_for(u: &CurrentUser, org: Option<i64>) -> bool {
    match (&u.scope, org) {
        (Scope::All | Scope::Region(_), _) => u.role() == Role::CountyAdmin,
        (Scope::Within { orgs, .. }, Some(o)) => orgs.contains(&o),
        _ => false,
    }
}

fn parse_date(field: &'static str, label: &str, v: &str) -> Result<NaiveDate, Vec<FieldError>> {
    let mut c = Checker::default();
    let d = c.required_date(field, label, v);
    c.finish(d)
}

fn messages(t: Tr, e: &[FieldError]) -> String {
    e.iter().map(|e| e.message(t.lang()).to_string()).collect::<Vec<_>>().join("；")
}

/// Refusals become messages; other errors stay errors.
fn refusal<T>(r: Result<T, StoreError>) -> Result<Result<T, Vec<FieldError>>, AppError> {
    match r {
        Ok(v) => Ok(Ok(v)),
        Err(StoreError::Refused(e)) => Ok(Err(vec![e])),
        Err(e) => Err(e.into()),
    }
}

// ------------------------------------------------------------------ the list

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct ListQuery {
    q: String,
    status: String,
    kind: String,
    msg: String,
}

fn filter_of(q: &ListQuery) -> TransferFilter {
    TransferFilter {
        status: TransferStatus::from_code(q.status.trim()),
        kind: TransferKind::from_code(q.kind.trim()),
        q: Some(q.q.clone()).filter(|s| !s.trim().is_empty()),
    }
}

struct Line {
    t: TransferRow,
    days: i64,
    can_receive: bool,
    can_send: bool,
}

#[derive(Template)]
#[template(path = "transfers.html")]
struct ListPage {
    c: Chrome,
    q: ListQuery,
    statuses: Vec<(&'static str, &'static str, bool)>,
    kinds: Vec<(&'static str, &'static str, bool)>,
    rows: Vec<Line>,
    pending: usize,
    today: String,
    export_query: String,
}

fn options<T: Labeled>(t: Tr, selected: &str) -> Vec<(&'static str, &'static str, bool)> {
    T::ALL.iter().map(|v| (v.code(), v.label(t.lang()), v.code() == selected)).collect()
}

async fn list_page(State(state): State<AppState>, Lang(t): Lang, PageUser(u): PageUser, Query(q): Query<ListQuery>) -> PageResult {
    allowed(&u)?;
    let f = filter_of(&q);
    let today = today();
    let mut rows: Vec<Line> = state
        .store
        .transfers(&u.scope, &f)
        .await?
        .into_iter()
        .map(|tr| Line {
            days: (tr.decided_on.unwrap_or(today) - tr.started_on).num_days(),
            can_receive: tr.status.is_open() && tr.kind == TransferKind::Within && acts_for(&u, tr.to_org.as_ref().map(|o| o.id)),
            can_send: tr.status.is_open() && acts_for(&u, tr.from_org.as_ref().map(|o| o.id)),
            t: tr,
        })
        .collect();
    // Open transfers first, the longest waiting at the top: none is forgotten.
    rows.sort_by_key(|x| (!x.t.status.is_open(), if x.t.status.is_open() { -x.days } else { 0 }));
    let pending = rows.iter().filter(|x| x.t.status.is_open()).count();
    let title = l(t, "组织关系转接", "Transfers");
    let c = chrome(&state, t, &u, "members", title).await.crumb(t.t("menu_members"), "/members").crumb(title, "/members/transfers");
    let statuses = options::<TransferStatus>(t, &q.status);
    let kinds = options::<TransferKind>(t, &q.kind);
    let export_query = format!("q={}&status={}&kind={}", enc(&q.q), enc(&q.status), enc(&q.kind));
    render(ListPage { c, q, statuses, kinds, rows, pending, today: today.to_string(), export_query })
}

async fn list_xlsx(State(state): State<AppState>, PageUser(u): PageUser, Query(q): Query<ListQuery>) -> PageResult {
    allowed(&u)?;
    let f = filter_of(&q);
    let rows = state.store.transfers(&u.scope, &f).await?;
    crate::security::audit(
        &state,
        u.actor.clone(),
        "export",
        "transfers".to_string(),
        hongzhu_store::Outcome::Success,
        format!("{} transfers; xlsx", rows.len()),
    )
    .await?;
    use hongzhu_ledger::table::Cell;
    let today = today();
    let cells: Vec<Vec<Cell>> = rows
        .iter()
        .map(|t| {
            let side =
                |o: &Option<hongzhu_store::transfers::OrgName>| o.as_ref().map(|o| o.name.clone()).unwrap_or_else(|| t.outside.clone());
            vec![
                Cell::from(t.person_name.clone()),
                Cell::from(t.kind.zh()),
                Cell::from(side(&t.from_org)),
                Cell::from(side(&t.to_org)),
                Cell::from(t.letter_no.clone()),
                Cell::from(t.started_on.to_string()),
                Cell::from(t.decided_on.map(|d| d.to_string()).unwrap_or_default()),
                Cell::from(t.status.zh()),
                Cell::Number((t.decided_on.unwrap_or(today) - t.started_on).num_days() as f64),
                Cell::from(t.reason.clone()),
            ]
        })
        .collect();
    let columns = [
        ("党员", 9.0),
        ("类型", 12.0),
        ("转出", 30.0),
        ("转入／去向", 30.0),
        ("介绍信", 14.0),
        ("开具日期", 12.0),
        ("办理日期", 12.0),
        ("状态", 9.0),
        ("天数", 6.0),
        ("原因", 24.0),
    ];
    let bytes = hongzhu_ledger::table::table(&format!("党员组织关系转接台账（{today}）"), "组织关系转接", &columns, &cells)
        .map_err(|e| AppError::Internal(e.to_string()))?;
    crate::view::xlsx_response(bytes, "transfers.xlsx", &format!("组织关系转接-{today}.xlsx"))
}

#[derive(Deserialize)]
struct DecisionForm {
    #[serde(rename = "_csrf", default)]
    csrf: String,
    #[serde(default)]
    decision: String,
    #[serde(default)]
    on: String,
    #[serde(default)]
    reason: String,
}

async fn do_decide(state: &AppState, u: &CurrentUser, id: i64, f: &DecisionForm) -> Result<Result<TransferRow, Vec<FieldError>>, AppError> {
    let Some(d) = Decision::parse(&f.decision) else {
        return Ok(Err(vec![FieldError::new(
            "decision",
            "decision",
            "处理方式应为：接收、退回、办结、撤销",
            "decision is accept, return, complete or cancel",
        )]));
    };
    let on = match parse_date("on", "日期", &f.on) {
        Ok(d) => d,
        Err(e) => return Ok(Err(e)),
    };
    refusal(state.store.decide_transfer(&u.scope, id, d, on, &f.reason, today(), &u.user.username).await)
}

async fn decide(
    State(state): State<AppState>,
    Lang(t): Lang,
    PageUser(u): PageUser,
    Path(id): Path<i64>,
    Form(f): Form<DecisionForm>,
) -> PageResult {
    auth::check_csrf(&u, Some(&f.csrf))?;
    allowed(&u)?;
    state.store.transfer(&u.scope, id).await?.ok_or(AppError::NotFound)?;
    let msg = match do_decide(&state, &u, id, &f).await? {
        Ok(_) => "saved".to_string(),
        Err(e) => messages(t, &e),
    };
    Ok(Redirect::to(&format!("/members/transfers?msg={}", enc(&msg))).into_response())
}

// ------------------------------------------------------------------ the letter

#[derive(Template)]
#[template(path = "transfer_letter.html")]
struct LetterPage {
    tr: TransferRow,
    m: Option<MemberRow>,
    to: String,
    printed_on: String,
}

async fn letter(State(state): State<AppState>, PageUser(u): PageUser, Path(id): Path<i64>) -> PageResult {
    allowed(&u)?;
    let tr = state.store.transfer(&u.scope, id).await?.ok_or(AppError::NotFound)?;
    if tr.kind == TransferKind::In {
        return Err(AppError::NotFound);
    }
    // The member may have left the roster (transferred out): the letter still prints from the
    // transfer's own record.
    let m = state.store.member(&Scope::All, tr.member_id).await?;
    crate::security::audit(&state, u.actor.clone(), "print", format!("transfer letter {id}"), hongzhu_store::Outcome::Success, "").await?;
    let to = tr.to_org.as_ref().map(|o| o.name.clone()).unwrap_or_else(|| tr.outside.clone());
    render(LetterPage { tr, m, to, printed_on: today().to_string() })
}

// ------------------------------------------------------------------ a member's relations

#[derive(Template)]
#[template(path = "member_relations.html")]
struct RelationsPage {
    c: Chrome,
    m: MemberRow,
    transfers: Vec<TransferRow>,
    history: Vec<StatusChange>,
    orgs: Vec<(String, String)>,
    statuses: Vec<(&'static str, &'static str)>,
    error: Option<String>,
    saved: bool,
    today: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RelationsQuery {
    saved: String,
}

async fn relations_page(
    State(state): State<AppState>,
    Lang(t): Lang,
    PageUser(u): PageUser,
    Path(id): Path<i64>,
    Query(q): Query<RelationsQuery>,
) -> PageResult {
    allowed(&u)?;
    relations_render(&state, t, &u, id, None, q.saved == "1").await
}

async fn relations_render(state: &AppState, t: Tr, u: &CurrentUser, id: i64, error: Option<String>, saved: bool) -> PageResult {
    let m = state.store.member(&u.scope, id).await?.ok_or(AppError::NotFound)?;
    let transfers = state.store.member_transfers(id).await?;
    let history = state.store.status_history(id).await?;
    // Receiving organizations: every active one in the user's county (a member may move anywhere
    // in it), not every organization the database holds.
    let county = u.user.region_code.clone().map(Scope::Region).unwrap_or(Scope::All);
    let orgs = state
        .store
        .orgs(&county, None)
        .await?
        .into_iter()
        .filter(|o| o.record.code != m.org && o.record.status == OrgStatus::Active)
        .map(|o| (o.record.code.to_string(), o.record.name))
        .collect();
    let statuses = MemberStatus::ALL
        .iter()
        .filter(|s| **s != MemberStatus::TransferredOut && **s != m.status)
        .map(|s| (s.code(), s.label(t.lang())))
        .collect();
    let title = format!("{} · {}", m.person.name, l(t, "组织关系", "membership"));
    let c = chrome(state, t, u, "members", title)
        .await
        .crumb(t.t("menu_members"), "/members")
        .crumb(m.person.name.clone(), format!("/members/{id}"))
        .crumb(l(t, "组织关系转接与状态", "Transfers and status"), format!("/members/{id}/relations"));
    render(RelationsPage { c, m, transfers, history, orgs, statuses, error, saved, today: today().to_string() })
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct StartForm {
    #[serde(rename = "_csrf")]
    csrf: String,
    kind: String,
    to_org: String,
    outside: String,
    letter_no: String,
    started_on: String,
    note: String,
}

fn new_transfer(f: &StartForm) -> Result<NewTransfer, Vec<FieldError>> {
    let mut c = Checker::default();
    let kind = match f.kind.trim() {
        "within" | "系统内转接" => Some(TransferKind::Within),
        "out" | "转出系统外" => Some(TransferKind::Out),
        other => {
            c.errors.push(FieldError::new(
                "kind",
                "kind",
                format!("转接类型“{other}”无效，可选：系统内转接、转出系统外"),
                "kind is within or out",
            ));
            None
        }
    };
    let on = c.required_date("started_on", "开具日期", &f.started_on);
    let t = match (kind, on) {
        (Some(kind), Some(started_on)) => Some(NewTransfer {
            kind,
            to_org: Some(f.to_org.trim().to_string()).filter(|s| !s.is_empty()),
            outside: f.outside.trim().to_string(),
            letter_no: f.letter_no.trim().to_string(),
            started_on,
            note: f.note.trim().to_string(),
        }),
        _ => None,
    };
    c.finish(t)
}

async fn start(
    State(state): State<AppState>,
    Lang(t): Lang,
    PageUser(u): PageUser,
    Path(id): Path<i64>,
    Form(f): Form<StartForm>,
) -> PageResult {
    auth::check_csrf(&u, Some(&f.csrf))?;
    allowed(&u)?;
    state.store.member(&u.scope, id).await?.ok_or(AppError::NotFound)?;
    let result = match new_transfer(&f) {
        Ok(nt) => refusal(state.store.start_transfer(&u.scope, id, &nt, today(), &u.user.username).await)?,
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => Ok(Redirect::to(&format!("/members/{id}/relations?saved=1")).into_response()),
        Err(e) => {
            let mut page = relations_render(&state, t, &u, id, Some(messages(t, &e)), false).await?;
            *page.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            Ok(page)
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct StatusForm {
    #[serde(rename = "_csrf")]
    csrf: String,
    status: String,
    on: String,
    reason: String,
}

async fn do_status(state: &AppState, u: &CurrentUser, id: i64, f: &StatusForm) -> Result<Result<(), Vec<FieldError>>, AppError> {
    let Some(to) = MemberStatus::parse(&f.status) else {
        return Ok(Err(vec![FieldError::new(
            "status",
            "status",
            format!("状态“{}”无效，可选：{}", f.status, MemberStatus::accepted_zh()),
            "status is one of the member statuses",
        )]));
    };
    let on = match parse_date("on", "日期", &f.on) {
        Ok(d) => d,
        Err(e) => return Ok(Err(e)),
    };
    refusal(state.store.change_member_status(&u.scope, id, to, on, &f.reason, today(), &u.user.username).await)
}

async fn status_submit(
    State(state): State<AppState>,
    Lang(t): Lang,
    PageUser(u): PageUser,
    Path(id): Path<i64>,
    Form(f): Form<StatusForm>,
) -> PageResult {
    auth::check_csrf(&u, Some(&f.csrf))?;
    allowed(&u)?;
    state.store.member(&u.scope, id).await?.ok_or(AppError::NotFound)?;
    match do_status(&state, &u, id, &f).await? {
        // A membership that ended leaves the roster: back to the list of members.
        Ok(()) => match state.store.member(&u.scope, id).await? {
            Some(_) => Ok(Redirect::to(&format!("/members/{id}/relations?saved=1")).into_response()),
            None => Ok(Redirect::to("/members").into_response()),
        },
        Err(e) => {
            let mut page = relations_render(&state, t, &u, id, Some(messages(t, &e)), false).await?;
            *page.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            Ok(page)
        }
    }
}

// ------------------------------------------------------------------ transfer in from outside

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct InForm {
    #[serde(rename = "_csrf")]
    csrf: String,
    id_number: String,
    category: String,
    admitted_on: String,
    full_on: String,
    org: String,
    work_institution: String,
    origin: String,
    letter_no: String,
    on: String,
}

#[derive(Template)]
#[template(path = "transfer_in.html")]
struct InPage {
    c: Chrome,
    f: InForm,
    orgs: Vec<(String, String)>,
    errors: Vec<String>,
}

async fn in_render(state: &AppState, t: Tr, u: &CurrentUser, f: InForm, errors: Vec<String>) -> PageResult {
    let orgs = state.store.orgs(&u.scope, None).await?.into_iter().map(|o| (o.record.code.to_string(), o.record.name)).collect();
    let title = l(t, "从系统外转入", "Transfer in from outside");
    let c = chrome(state, t, u, "members", title)
        .await
        .crumb(t.t("menu_members"), "/members")
        .crumb(l(t, "组织关系转接", "Transfers"), "/members/transfers")
        .crumb(title, "/members/transfers/in");
    render(InPage { c, f, orgs, errors })
}

async fn in_form(State(state): State<AppState>, Lang(t): Lang, PageUser(u): PageUser) -> PageResult {
    allowed(&u)?;
    let f = InForm { on: today().to_string(), category: "full".into(), ..Default::default() };
    in_render(&state, t, &u, f, Vec::new()).await
}

async fn do_in(state: &AppState, u: &CurrentUser, f: &InForm) -> Result<Result<i64, Vec<FieldError>>, AppError> {
    let input = MemberInput {
        id_number: f.id_number.clone(),
        category: f.category.clone(),
        admitted_on: f.admitted_on.clone(),
        full_on: f.full_on.clone(),
        org: f.org.clone(),
        work_institution: f.work_institution.clone(),
        party_post: String::new(),
        education: String::new(),
    };
    let (m, on) = match (input.parse(today()), parse_date("on", "转入日期", &f.on)) {
        (Ok(m), Ok(on)) => (m, on),
        (a, b) => return Ok(Err(a.err().unwrap_or_default().into_iter().chain(b.err().unwrap_or_default()).collect())),
    };
    if on > today() {
        return Ok(Err(vec![FieldError::new("on", "future", format!("转入日期 {on} 晚于今天"), "the date is in the future")]));
    }
    // The receiving organization must be the user's own (or the county's).
    let org = state.store.org(&u.scope, m.org.as_str()).await?;
    if org.is_none() {
        return Ok(Err(vec![FieldError::new("org", "scope", "只能转入本组织（或本县）的党组织", "only into an organization of your own")]));
    }
    match state.store.record_transfer_in(&m, &f.origin, &f.letter_no, on, &u.user.username).await {
        Ok(id) => Ok(Ok(id)),
        Err(StoreError::Refused(e)) => Ok(Err(vec![e])),
        Err(StoreError::UnknownReference { field, value }) => Ok(Err(vec![FieldError::new(
            field,
            "unknown",
            format!("{value} 尚未登记：请先在教职工中登记此人，再办理转入"),
            format!("{value} is not registered: register the person as staff first"),
        )])),
        Err(e) => Err(e.into()),
    }
}

async fn in_submit(State(state): State<AppState>, Lang(t): Lang, PageUser(u): PageUser, Form(f): Form<InForm>) -> PageResult {
    auth::check_csrf(&u, Some(&f.csrf))?;
    allowed(&u)?;
    match do_in(&state, &u, &f).await? {
        Ok(id) => Ok(Redirect::to(&format!("/members/{id}")).into_response()),
        Err(e) => {
            let errors = e.iter().map(|e| e.message(t.lang()).to_string()).collect();
            let mut page = in_render(&state, t, &u, f, errors).await?;
            *page.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            Ok(page)
        }
    }
}

// ------------------------------------------------------------------ API

async fn api_list(State(state): State<AppState>, ApiUser(u): ApiUser, Query(q): Query<ListQuery>) -> ApiResult {
    allowed(&u)?;
    let f = filter_of(&q);
    let today = today();
    let items: Vec<Value> = state
        .store
        .transfers(&u.scope, &f)
        .await?
        .into_iter()
        .map(|t| {
            let days = (t.decided_on.unwrap_or(today) - t.started_on).num_days();
            let mut v = serde_json::to_value(&t).unwrap_or(Value::Null);
            v["days"] = json!(days);
            v
        })
        .collect();
    Ok(axum::Json(json!({"items": items, "total": items.len()})).into_response())
}

type JsonBody = Result<axum::Json<Value>, axum::extract::rejection::JsonRejection>;

async fn api_decide(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    headers: HeaderMap,
    Path(id): Path<i64>,
    body: JsonBody,
) -> ApiResult {
    crate::api::csrf(&u, &headers)?;
    allowed(&u)?;
    #[derive(Deserialize)]
    struct B {
        #[serde(default)]
        decision: String,
        #[serde(default)]
        on: String,
        #[serde(default)]
        reason: String,
    }
    let b: B = crate::api::input(body)?;
    state.store.transfer(&u.scope, id).await?.ok_or(AppError::NotFound)?;
    let f = DecisionForm { csrf: String::new(), decision: b.decision, on: b.on, reason: b.reason };
    match do_decide(&state, &u, id, &f).await? {
        Ok(row) => Ok(axum::Json(row).into_response()),
        Err(e) => Err(AppError::Invalid(e).into()),
    }
}

async fn api_start(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    headers: HeaderMap,
    Path(id): Path<i64>,
    body: JsonBody,
) -> ApiResult {
    crate::api::csrf(&u, &headers)?;
    allowed(&u)?;
    let f: StartForm = crate::api::input(body)?;
    state.store.member(&u.scope, id).await?.ok_or(AppError::NotFound)?;
    let nt = new_transfer(&f).map_err(AppError::Invalid)?;
    match refusal(state.store.start_transfer(&u.scope, id, &nt, today(), &u.user.username).await)? {
        Ok(row) => Ok((StatusCode::CREATED, axum::Json(row)).into_response()),
        Err(e) => Err(AppError::Invalid(e).into()),
    }
}

async fn api_status(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    headers: HeaderMap,
    Path(id): Path<i64>,
    body: JsonBody,
) -> ApiResult {
    crate::api::csrf(&u, &headers)?;
    allowed(&u)?;
    let f: StatusForm = crate::api::input(body)?;
    state.store.member(&u.scope, id).await?.ok_or(AppError::NotFound)?;
    match do_status(&state, &u, id, &f).await? {
        Ok(()) => {
            Ok(axum::Json(json!({"member": id, "status": f.status, "history": state.store.status_history(id).await?})).into_response())
        }
        Err(e) => Err(AppError::Invalid(e).into()),
    }
}
