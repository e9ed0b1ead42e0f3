//! The JSON API under /api/v1: sessions, and list / get / create / update (If-Match) for
//! regions, institutions, organizations, staff and members. Personal numbers are masked (S12).
use axum::Json;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::Utc;
use hongzhu_core::labels::*;
use hongzhu_core::registry::*;
use hongzhu_store::*;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use std::result::Result;

use crate::AppState;
use crate::auth::{self, ApiUser, CurrentUser, PendingUser};
use crate::error::{ApiError, AppError};
use crate::security::{self, LoginRefusal, RequestCtx};

type ApiResult = Result<Response, ApiError>;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/session", axum::routing::post(login).delete(logout))
        .route("/api/v1/session/second-factor", axum::routing::post(second_factor))
        .route("/api/v1/session/reauth", axum::routing::post(reauth))
        .route("/api/v1/openapi.json", get(|| async { Json(crate::openapi::spec()) }))
        .route("/api/docs", get(crate::openapi::docs_page))
        .route("/api/v1/regions", get(regions))
        .route("/api/v1/institutions", get(list_institutions).post(create_institution))
        .route("/api/v1/institutions/{code}", get(get_institution).put(update_institution))
        .route("/api/v1/orgs", get(list_orgs).post(create_org))
        .route("/api/v1/orgs/{code}", get(get_org).put(update_org))
        .route("/api/v1/staff", get(list_staff).post(create_staff))
        .route("/api/v1/staff/{id}", get(get_staff).put(update_staff))
        .route("/api/v1/members", get(list_members).post(create_member))
        .route("/api/v1/members/{id}", get(get_member).put(update_member))
}

#[derive(Deserialize)]
struct Credentials {
    username: String,
    password: String,
}

async fn login(
    State(state): State<AppState>,
    ctx: RequestCtx,
    headers: HeaderMap,
    body: Result<Json<Credentials>, axum::extract::rejection::JsonRejection>,
) -> ApiResult {
    let Json(c) = body.map_err(|e| crate::error::json_rejection(e, "{\"username\", \"password\"}"))?;
    let user = match security::authenticate(&state, &ctx, &c.username, &c.password).await? {
        Ok(u) => u,
        Err(LoginRefusal::BadCredentials) => return Err(ApiError(AppError::BadCredentials)),
        Err(r @ (LoginRefusal::Locked(_) | LoginRefusal::Throttled(_))) => {
            let code = if matches!(r, LoginRefusal::Locked(_)) { "account_locked" } else { "too_many_attempts" };
            let status = if matches!(r, LoginRefusal::Locked(_)) { StatusCode::FORBIDDEN } else { StatusCode::TOO_MANY_REQUESTS };
            return Ok((status, Json(json!({"code": code, "message": r.message(false), "message_en": r.message(true)}))).into_response());
        }
    };
    if let Some(old) = auth::cookie(&headers, auth::cookie_name(state.secure_cookies)) {
        state.store.delete_session(&auth::token_hash(old)).await?;
    }
    let stage = auth::stage_after_password(&user, &state.security);
    let (token, csrf) = auth::start_session(&state, &user, stage).await?;
    security::audit(
        &state,
        ctx.for_user(&user),
        "login",
        format!("user {}", user.username),
        Outcome::Success,
        format!("api; stage {stage}"),
    )
    .await?;
    Ok((
        [(header::SET_COOKIE, auth::session_cookie(&token, state.secure_cookies))],
        Json(json!({"csrf_token": csrf, "user": user, "stage": stage})),
    )
        .into_response())
}

#[derive(Deserialize)]
struct CodeBody {
    code: String,
}

/// S5: the second step of an API login, for accounts with a second factor.
async fn second_factor(
    State(state): State<AppState>,
    PendingUser(u): PendingUser,
    headers: HeaderMap,
    body: Result<Json<CodeBody>, axum::extract::rejection::JsonRejection>,
) -> ApiResult {
    csrf(&u, &headers)?;
    let Json(b) = body.map_err(|e| crate::error::json_rejection(e, "{\"code\"}"))?;
    if u.stage != "second_factor" {
        return Err(ApiError(AppError::BadRequest("此会话不需要两步验证码 / this session does not need a code".into())));
    }
    let stage = match crate::account::second_step(&state, &u, &b.code, "api").await? {
        crate::account::SecondStep::Done(stage) => stage,
        crate::account::SecondStep::Wrong => return Err(ApiError(AppError::BadCredentials)),
        crate::account::SecondStep::Locked => {
            let r = security::LoginRefusal::Locked(state.security.lockout_minutes);
            return Ok((
                StatusCode::FORBIDDEN,
                Json(json!({"code": "account_locked", "message": r.message(false), "message_en": r.message(true)})),
            )
                .into_response());
        }
    };
    Ok(Json(json!({"stage": stage})).into_response())
}

#[derive(Deserialize)]
struct PasswordBody {
    password: String,
}

/// S4: type the password again before a sensitive action (bulk export, unmasking, role changes).
async fn reauth(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    headers: HeaderMap,
    body: Result<Json<PasswordBody>, axum::extract::rejection::JsonRejection>,
) -> ApiResult {
    csrf(&u, &headers)?;
    let Json(b) = body.map_err(|e| crate::error::json_rejection(e, "{\"password\"}"))?;
    if !crate::account::reauthenticate(&state, &u, &b.password, "api").await? {
        return Err(ApiError(AppError::BadCredentials));
    }
    Ok(Json(json!({"reauthenticated": true, "valid_minutes": state.security.reauth_minutes})).into_response())
}

pub(crate) fn csrf(u: &CurrentUser, headers: &HeaderMap) -> Result<(), ApiError> {
    auth::check_csrf(u, headers.get("x-csrf-token").and_then(|v| v.to_str().ok())).map_err(ApiError)
}

async fn logout(State(state): State<AppState>, PendingUser(u): PendingUser, headers: HeaderMap) -> ApiResult {
    csrf(&u, &headers)?;
    security::audit(&state, u.actor.clone(), "logout", format!("user {}", u.user.username), Outcome::Success, "api").await?;
    state.store.delete_session(&u.session_hash).await?;
    Ok(([(header::SET_COOKIE, auth::clear_cookie(state.secure_cookies))], StatusCode::NO_CONTENT).into_response())
}

/// A JSON body of text fields: numbers and booleans are accepted and read as text, so
/// `"students": 300` and `"students": "300"` mean the same.
pub(crate) fn input<T: DeserializeOwned>(body: Result<Json<Value>, axum::extract::rejection::JsonRejection>) -> Result<T, ApiError> {
    let Json(v) = body.map_err(|e| crate::error::json_rejection(e, "对象"))?;
    let Value::Object(map) = v else {
        return Err(AppError::BadRequest("请求体应为 JSON 对象".into()).into());
    };
    let text: serde_json::Map<String, Value> = map
        .into_iter()
        .map(|(k, v)| {
            let s = match v {
                Value::String(s) => s,
                Value::Null => String::new(),
                Value::Bool(b) => {
                    if b {
                        "1".into()
                    } else {
                        String::new()
                    }
                }
                other => other.to_string(),
            };
            (k, Value::String(s))
        })
        .collect();
    serde_json::from_value(Value::Object(text)).map_err(|e| AppError::BadRequest(format!("请求体字段有误：{e}")).into())
}

/// S24: `If-Match` carries the version read; without it an update is refused (428).
pub(crate) fn if_match(headers: &HeaderMap) -> Result<i64, ApiError> {
    let v = headers.get(header::IF_MATCH).and_then(|v| v.to_str().ok()).ok_or(ApiError(AppError::PreconditionRequired))?;
    v.trim()
        .trim_start_matches("W/")
        .trim_matches('"')
        .parse()
        .map_err(|_| ApiError(AppError::BadRequest("If-Match 应为读取时的 ETag，例如 \"3\"".into())))
}

fn with_etag(version: i64, body: Value) -> Response {
    ([(header::ETAG, format!("\"{version}\""))], Json(body)).into_response()
}

fn created(version: i64, body: Value) -> Response {
    (StatusCode::CREATED, [(header::ETAG, format!("\"{version}\""))], Json(body)).into_response()
}

fn page_json<T>(p: &Page<T>, f: impl Fn(&T) -> Value) -> Value {
    json!({"items": p.items.iter().map(f).collect::<Vec<_>>(), "total": p.total, "page": p.page, "page_size": p.page_size})
}

fn meta_json(m: &Meta) -> Value {
    json!({"version": m.version, "created_at": m.created_at, "updated_at": m.updated_at})
}

fn merge(mut a: Value, b: Value) -> Value {
    if let (Value::Object(a), Value::Object(b)) = (&mut a, b) {
        a.extend(b);
    }
    a
}

fn forbid_unless(ok: bool) -> Result<(), ApiError> {
    if ok { Ok(()) } else { Err(ApiError(AppError::Forbidden)) }
}

fn invalid(errors: Vec<FieldError>) -> ApiError {
    ApiError(AppError::Invalid(errors))
}

fn region_allows(u: &CurrentUser, code: &str) -> bool {
    match &u.scope {
        Scope::Region(r) => code.starts_with(&region_prefix(r)),
        Scope::All => true,
        _ => false,
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ListQuery {
    q: String,
    town: String,
    kind: String,
    ownership: String,
    status: String,
    sort: String,
    desc: Option<bool>,
    institution: String,
    org: String,
    political_status: String,
    category: String,
    page: Option<u64>,
    page_size: Option<u64>,
}

fn bounds(q: &ListQuery) -> (u64, u64) {
    (Ord::max(q.page.unwrap_or(1), 1), Ord::clamp(q.page_size.unwrap_or(20), 1, 500))
}

/// An enumerated filter: empty means no filter, an unknown value is an error naming the choices.
fn filter_label<T: Labeled>(field: &'static str, v: &str) -> Result<Option<T>, ApiError> {
    if v.is_empty() {
        return Ok(None);
    }
    T::parse(v).map(Some).ok_or_else(|| {
        invalid(vec![FieldError::new(
            field,
            "not_in_list",
            format!("{field} 可选：{}", T::ALL.iter().map(|x| x.code()).collect::<Vec<_>>().join(", ")),
            format!("{field} must be one of: {}", T::ALL.iter().map(|x| x.code()).collect::<Vec<_>>().join(", ")),
        )])
    })
}

// ------------------------------------------------------------------ regions

async fn regions(State(state): State<AppState>, ApiUser(u): ApiUser) -> ApiResult {
    let scope = match &u.scope {
        Scope::Region(r) => Scope::Region(r.clone()),
        _ => Scope::All,
    };
    let rows = state.store.regions(&scope).await?;
    let n = rows.len() as i64;
    let items: Vec<Value> = rows.iter().map(|r| merge(json!(r.record), meta_json(&r.meta))).collect();
    Ok(Json(json!({"items": items, "total": n, "page": 1, "page_size": n})).into_response())
}

// ------------------------------------------------------------------ institutions

fn institution_json(r: &InstitutionRow) -> Value {
    merge(merge(json!(r.record), json!({"town_name": r.town_name, "parent_name": r.parent_name})), meta_json(&r.meta))
}

async fn list_institutions(State(state): State<AppState>, ApiUser(u): ApiUser, Query(q): Query<ListQuery>) -> ApiResult {
    let (page, page_size) = bounds(&q);
    let sort = if q.sort.is_empty() {
        InstitutionSort::Code
    } else {
        InstitutionSort::parse(&q.sort).ok_or_else(|| {
            invalid(vec![FieldError::new(
                "sort",
                "not_in_list",
                "sort 可选：code, name, kind, town, students",
                "sort: code, name, kind, town, students",
            )])
        })?
    };
    let f = InstitutionFilter {
        q: Some(q.q.clone()),
        town: Some(q.town.clone()),
        kind: filter_label("kind", &q.kind)?,
        ownership: filter_label("ownership", &q.ownership)?,
        status: filter_label("status", &q.status)?,
        sort,
        desc: q.desc.unwrap_or(false),
        page,
        page_size,
    };
    let p = state.store.institutions(&u.scope, &f).await?;
    Ok(Json(page_json(&p, institution_json)).into_response())
}

async fn get_institution(State(state): State<AppState>, ApiUser(u): ApiUser, Path(code): Path<String>) -> ApiResult {
    let r = state.store.institution(&u.scope, &code).await?.ok_or(ApiError(AppError::NotFound))?;
    Ok(with_etag(r.meta.version, institution_json(&r)))
}

async fn create_institution(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    headers: HeaderMap,
    body: Result<Json<Value>, axum::extract::rejection::JsonRejection>,
) -> ApiResult {
    csrf(&u, &headers)?;
    forbid_unless(u.is_admin())?;
    let i = input::<InstitutionInput>(body)?.parse().map_err(invalid)?;
    if !region_allows(&u, i.town.as_str()) {
        return Err(invalid(vec![FieldError::new(
            "town",
            "out_of_scope",
            "该乡镇街道不在您管辖的区划内",
            "the town is outside your region",
        )]));
    }
    let r = state.store.create_institution(&i, &u.user.username).await?;
    Ok(created(r.meta.version, institution_json(&r)))
}

async fn update_institution(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    headers: HeaderMap,
    Path(code): Path<String>,
    body: Result<Json<Value>, axum::extract::rejection::JsonRejection>,
) -> ApiResult {
    csrf(&u, &headers)?;
    forbid_unless(u.can_edit())?;
    state.store.institution(&u.scope, &code).await?.ok_or(ApiError(AppError::NotFound))?;
    let version = if_match(&headers)?;
    let mut v: InstitutionInput = input(body)?;
    if v.code.is_empty() {
        v.code = code.clone();
    }
    if v.code != code {
        return Err(invalid(vec![FieldError::new("code", "code_immutable", "机构代码不能修改", "the code cannot change")]));
    }
    let i = v.parse().map_err(invalid)?;
    if u.is_admin() && !region_allows(&u, i.town.as_str()) {
        return Err(invalid(vec![FieldError::new(
            "town",
            "out_of_scope",
            "该乡镇街道不在您管辖的区划内",
            "the town is outside your region",
        )]));
    }
    let r = state.store.update_institution(&code, version, &i, &u.user.username).await?;
    Ok(with_etag(r.meta.version, institution_json(&r)))
}

// ------------------------------------------------------------------ organizations

fn org_json(r: &OrgRow) -> Value {
    merge(
        merge(
            json!(r.record),
            json!({"parent_name": r.parent_name, "term_end": r.record.term_end(), "member_count": r.member_count, "full_member_count": r.full_member_count}),
        ),
        meta_json(&r.meta),
    )
}

async fn list_orgs(State(state): State<AppState>, ApiUser(u): ApiUser, Query(q): Query<ListQuery>) -> ApiResult {
    let (page, page_size) = bounds(&q);
    let kind: Option<OrgKind> = filter_label("kind", &q.kind)?;
    let all: Vec<OrgRow> =
        state.store.orgs(&u.scope, Some(&q.q)).await?.into_iter().filter(|o| kind.is_none_or(|k| o.record.kind == k)).collect();
    let total = all.len() as i64;
    let items: Vec<OrgRow> = all.into_iter().skip(((page - 1) * page_size) as usize).take(page_size as usize).collect();
    Ok(Json(page_json(&Page { items, total, page, page_size }, org_json)).into_response())
}

async fn get_org(State(state): State<AppState>, ApiUser(u): ApiUser, Path(code): Path<String>) -> ApiResult {
    let r = state.store.org(&u.scope, &code).await?.ok_or(ApiError(AppError::NotFound))?;
    Ok(with_etag(r.meta.version, org_json(&r)))
}

async fn create_org(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    headers: HeaderMap,
    body: Result<Json<Value>, axum::extract::rejection::JsonRejection>,
) -> ApiResult {
    csrf(&u, &headers)?;
    forbid_unless(u.is_admin())?;
    let o = input::<OrgInput>(body)?.parse().map_err(invalid)?;
    if !region_allows(&u, o.region.as_str()) {
        return Err(invalid(vec![FieldError::new("region", "out_of_scope", "该区划不在您管辖的范围内", "the region is outside yours")]));
    }
    let r = state.store.create_org(&o, &u.user.username).await?;
    Ok(created(r.meta.version, org_json(&r)))
}

async fn update_org(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    headers: HeaderMap,
    Path(code): Path<String>,
    body: Result<Json<Value>, axum::extract::rejection::JsonRejection>,
) -> ApiResult {
    csrf(&u, &headers)?;
    forbid_unless(u.can_edit())?;
    let current = state.store.org(&u.scope, &code).await?.ok_or(ApiError(AppError::NotFound))?;
    let version = if_match(&headers)?;
    let mut v: OrgInput = input(body)?;
    if v.code.is_empty() {
        v.code = code.clone();
    }
    if v.code != code {
        return Err(invalid(vec![FieldError::new("code", "code_immutable", "组织代码不能修改", "the code cannot change")]));
    }
    if !u.is_admin() {
        v.parent = current.record.parent.as_ref().map(|p| p.to_string()).unwrap_or_default();
        v.region = current.record.region.to_string();
    }
    let o = v.parse().map_err(invalid)?;
    if u.is_admin() && !region_allows(&u, o.region.as_str()) {
        return Err(invalid(vec![FieldError::new("region", "out_of_scope", "该区划不在您管辖的范围内", "the region is outside yours")]));
    }
    let r = state.store.update_org(&code, version, &o, &u.user.username).await?;
    Ok(with_etag(r.meta.version, org_json(&r)))
}

// ------------------------------------------------------------------ staff and members

fn person_json(p: &PersonView) -> Value {
    json!({
        "person_id": p.person_id,
        "name": p.name,
        "gender": p.gender,
        "id_number": p.id_number.masked(),
        "phone": p.phone.as_ref().map(|x| x.masked()),
        "birth_year": p.birth_date.format("%Y").to_string(),
    })
}

fn staff_json(s: &StaffRow) -> Value {
    merge(
        merge(
            json!({"id": s.meta.id}),
            merge(
                person_json(&s.person),
                json!({
                    "institution": s.institution, "institution_name": s.institution_name, "post": s.post,
                    "leadership_role": s.leadership_role, "political_status": s.political_status,
                    "development_stage": s.development_stage, "backbone": s.backbone, "head_teacher": s.head_teacher,
                    "mental_health": s.mental_health, "work_start": s.work_start,
                }),
            ),
        ),
        meta_json(&s.meta),
    )
}

fn member_json(m: &MemberRow) -> Value {
    merge(
        merge(
            json!({"id": m.meta.id}),
            merge(
                person_json(&m.person),
                json!({
                    "category": m.category, "admitted_on": m.admitted_on, "full_on": m.full_on, "org": m.org,
                    "org_name": m.org_name, "work_institution": m.work_institution,
                    "work_institution_name": m.work_institution_name, "party_post": m.party_post, "education": m.education,
                }),
            ),
        ),
        meta_json(&m.meta),
    )
}

async fn list_staff(State(state): State<AppState>, ApiUser(u): ApiUser, Query(q): Query<ListQuery>) -> ApiResult {
    let (page, page_size) = bounds(&q);
    let f = PeopleFilter {
        q: Some(q.q.clone()),
        institution: Some(q.institution.trim().to_uppercase()),
        political_status: filter_label("political_status", &q.political_status)?,
        page,
        page_size,
        ..Default::default()
    };
    let p = state.store.staff(&u.scope, &f).await?;
    Ok(Json(page_json(&p, staff_json)).into_response())
}

async fn get_staff(State(state): State<AppState>, ApiUser(u): ApiUser, Path(id): Path<i64>) -> ApiResult {
    let r = state.store.staff_one(&u.scope, id).await?.ok_or(ApiError(AppError::NotFound))?;
    Ok(with_etag(r.meta.version, staff_json(&r)))
}

async fn check_institution_scope(state: &AppState, u: &CurrentUser, s: &Staff) -> Result<(), ApiError> {
    if state.store.institution(&u.scope, s.institution.as_str()).await?.is_none() {
        return Err(invalid(vec![FieldError::new(
            "institution",
            "out_of_scope",
            "该学校不存在或不在您的管理范围内",
            "no such school in your scope",
        )]));
    }
    Ok(())
}

async fn create_staff(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    headers: HeaderMap,
    body: Result<Json<Value>, axum::extract::rejection::JsonRejection>,
) -> ApiResult {
    csrf(&u, &headers)?;
    forbid_unless(u.can_edit())?;
    let (p, s) = input::<StaffInput>(body)?.parse(Utc::now().date_naive()).map_err(invalid)?;
    check_institution_scope(&state, &u, &s).await?;
    let r = state.store.create_staff(&p, &s, &u.user.username).await?;
    Ok(created(r.meta.version, staff_json(&r)))
}

async fn update_staff(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    headers: HeaderMap,
    Path(id): Path<i64>,
    body: Result<Json<Value>, axum::extract::rejection::JsonRejection>,
) -> ApiResult {
    csrf(&u, &headers)?;
    forbid_unless(u.can_edit())?;
    let current = state.store.staff_one(&u.scope, id).await?.ok_or(ApiError(AppError::NotFound))?;
    let version = if_match(&headers)?;
    let mut v: StaffInput = input(body)?;
    if v.id_number.is_empty() {
        v.id_number = current.person.id_number.as_str().to_string();
    }
    let (p, s) = v.parse(Utc::now().date_naive()).map_err(invalid)?;
    if p.id_number != current.person.id_number {
        return Err(invalid(vec![FieldError::new(
            "id_number",
            "id_immutable",
            "身份证号不能修改；如为另一人，请新增记录",
            "the ID number cannot change",
        )]));
    }
    check_institution_scope(&state, &u, &s).await?;
    let r = state.store.update_staff(id, version, &p, &s, &u.user.username).await?;
    Ok(with_etag(r.meta.version, staff_json(&r)))
}

async fn list_members(State(state): State<AppState>, ApiUser(u): ApiUser, Query(q): Query<ListQuery>) -> ApiResult {
    let (page, page_size) = bounds(&q);
    let f = PeopleFilter {
        q: Some(q.q.clone()),
        org: Some(q.org.trim().to_uppercase()),
        institution: Some(q.institution.trim().to_uppercase()),
        category: filter_label("category", &q.category)?,
        page,
        page_size,
        ..Default::default()
    };
    let p = state.store.members(&u.scope, &f).await?;
    Ok(Json(page_json(&p, member_json)).into_response())
}

async fn get_member(State(state): State<AppState>, ApiUser(u): ApiUser, Path(id): Path<i64>) -> ApiResult {
    let r = state.store.member(&u.scope, id).await?.ok_or(ApiError(AppError::NotFound))?;
    Ok(with_etag(r.meta.version, member_json(&r)))
}

async fn check_org_scope(state: &AppState, u: &CurrentUser, m: &Member) -> Result<(), ApiError> {
    if state.store.org(&u.scope, m.org.as_str()).await?.is_none() {
        return Err(invalid(vec![FieldError::new(
            "org",
            "out_of_scope",
            "该党组织不存在或不在您的管理范围内",
            "no such organization in your scope",
        )]));
    }
    Ok(())
}

async fn create_member(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    headers: HeaderMap,
    body: Result<Json<Value>, axum::extract::rejection::JsonRejection>,
) -> ApiResult {
    csrf(&u, &headers)?;
    forbid_unless(u.can_edit())?;
    let m = input::<MemberInput>(body)?.parse(Utc::now().date_naive()).map_err(invalid)?;
    check_org_scope(&state, &u, &m).await?;
    let r = state.store.create_member(&m, &u.user.username).await.map_err(|e| match e {
        StoreError::UnknownReference { field: "id_number", .. } => invalid(vec![FieldError::new(
            "id_number",
            "unknown_person",
            "该身份证号尚无人员记录，请先在教职工中登记此人",
            "no person with this ID number: add them as staff first",
        )]),
        other => other.into(),
    })?;
    Ok(created(r.meta.version, member_json(&r)))
}

async fn update_member(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    headers: HeaderMap,
    Path(id): Path<i64>,
    body: Result<Json<Value>, axum::extract::rejection::JsonRejection>,
) -> ApiResult {
    csrf(&u, &headers)?;
    forbid_unless(u.can_edit())?;
    let current = state.store.member(&u.scope, id).await?.ok_or(ApiError(AppError::NotFound))?;
    let version = if_match(&headers)?;
    let body = body.map_err(|e| ApiError(crate::error::json_rejection(e, "对象")))?;
    let has_education = body.0.get("education").is_some();
    let mut v: MemberInput = input(Ok(body))?;
    if v.id_number.is_empty() {
        v.id_number = current.person.id_number.as_str().to_string();
    }
    // 学历 is optional: a body without it keeps the stored one (null or "" clears it).
    if !has_education {
        v.education = current.education.map(|e| e.code().to_string()).unwrap_or_default();
    }
    let m = v.parse(Utc::now().date_naive()).map_err(invalid)?;
    if m.id_number != current.person.id_number {
        return Err(invalid(vec![FieldError::new("id_number", "id_immutable", "身份证号不能修改", "the ID number cannot change")]));
    }
    check_org_scope(&state, &u, &m).await?;
    let r = state.store.update_member(id, version, &m, &u.user.username).await?;
    Ok(with_etag(r.meta.version, member_json(&r)))
}
