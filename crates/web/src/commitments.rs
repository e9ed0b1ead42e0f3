//! 亮身份、亮承诺、亮本领 (issue: 党建+, part 1): a member makes their yearly commitments on the
//! phone (for themselves only); the branch reviews them at mid-year and year-end; a board compares
//! the organizations with the figures behind each.
use std::collections::BTreeMap;

use askama::Template;
use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chrono::Datelike;
use hongzhu_core::commitment::Review;
use hongzhu_core::labels::{CommitmentDimension, Labeled, ReviewGrade, VanguardKind};
use hongzhu_store::commitments::{CommitmentRow, VanguardRow, Whose};
use hongzhu_store::{MemberRow, OrgRow, StoreError};
use serde::Deserialize;
use serde_json::json;

use crate::AppState;
use crate::auth::{self, ApiUser, CurrentUser, Lang, PageUser};
use crate::error::{ApiError, AppError};
use crate::i18n::Tr;
use crate::pages::{
    PageResult, acting_orgs, chrome, county_or_secretary as allowed, local_today as today, own_member, render, year_param, zh_en as l,
};
use crate::view::{Chrome, enc};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/m/commitments", get(phone_page).post(phone_save))
        .route("/commitments", get(list_page))
        .route("/commitments/board", get(board_page))
        .route("/commitments/{id}/review", post(review))
        .route("/commitments/vanguard", post(designate))
        .route("/commitments/cards", get(cards_page))
        .route("/api/v1/commitments", get(api_list))
}

// ------------------------------------------------------------------ the member's phone page

#[derive(Template)]
#[template(path = "commitments_phone.html")]
struct PhonePage {
    t: Tr,
    csrf: String,
    m: MemberRow,
    post: Option<VanguardRow>,
    year: i32,
    rows: Vec<(CommitmentDimension, Option<CommitmentRow>)>,
    msg: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct MsgQuery {
    msg: String,
    org: String,
    year: String,
}

async fn phone_page(State(state): State<AppState>, Lang(t): Lang, PageUser(u): PageUser, Query(q): Query<MsgQuery>) -> PageResult {
    let m = own_member(&state, &u).await?;
    let year = today().year();
    let mine = state.store.commitments(Whose::Member(m.meta.id), year).await?;
    let rows = CommitmentDimension::ALL.iter().map(|d| (*d, mine.iter().find(|c| c.dimension == *d).cloned())).collect();
    let post = state.store.vanguard_posts(Whose::Member(m.meta.id), year).await?.into_iter().next();
    render(PhonePage { t, csrf: u.csrf.clone(), m, post, year, rows, msg: q.msg })
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct SaveForm {
    #[serde(rename = "_csrf")]
    csrf: String,
    dimension: String,
    content: String,
}

/// A member records for themselves: the form names no member, the record is the signed-in one's.
async fn phone_save(State(state): State<AppState>, Lang(t): Lang, PageUser(u): PageUser, Form(f): Form<SaveForm>) -> PageResult {
    auth::check_csrf(&u, Some(&f.csrf))?;
    let m = own_member(&state, &u).await?;
    let back = |msg: &str| Redirect::to(&format!("/m/commitments?msg={}", enc(msg))).into_response();
    let Some(d) = CommitmentDimension::parse(&f.dimension) else {
        return Ok(back(l(t, "承诺类别无效", "not a commitment dimension")));
    };
    match state.store.save_commitment(m.meta.id, today().year(), d, &f.content, &u.user.username).await {
        Ok(()) => Ok(back(l(t, "已保存", "saved"))),
        Err(StoreError::Refused(e)) => Ok(back(e.message(t.lang()))),
        Err(e) => Err(e.into()),
    }
}

// ------------------------------------------------------------------ the branch's list and reviews

#[derive(Template)]
#[template(path = "commitments.html")]
struct ListPage {
    c: Chrome,
    org: OrgRow,
    orgs: Vec<(String, String)>,
    year: i32,
    members: Vec<(i64, String, Vec<Option<CommitmentRow>>)>,
    posts: Vec<VanguardRow>,
    vanguard: Vec<(&'static str, &'static str)>,
    dimensions: Vec<&'static str>,
    grades: Vec<(&'static str, &'static str)>,
    msg: String,
}

impl ListPage {
    fn post_of(&self, member: &i64) -> Option<&VanguardRow> {
        self.posts.iter().find(|p| p.member_id == *member)
    }
}

async fn list_page(State(state): State<AppState>, Lang(t): Lang, PageUser(u): PageUser, Query(q): Query<MsgQuery>) -> PageResult {
    allowed(&u)?;
    let year = year_param(&q.year);
    let orgs: Vec<OrgRow> = state.store.orgs(&u.scope, None).await?.into_iter().filter(|o| o.member_count > 0).collect();
    let org = match q.org.trim() {
        "" => orgs.iter().find(|o| Some(o.meta.id) == u.user.org_id).or(orgs.first()).cloned().ok_or(AppError::NotFound)?,
        code => state.store.org(&u.scope, code).await?.ok_or(AppError::NotFound)?,
    };
    // Every member of the organization (in the user's scope, as the organization is), not a page of them.
    let roster = state.store.members_of_org(org.meta.id).await?;
    let rows = state.store.commitments(Whose::Orgs(&[org.meta.id]), year).await?;
    let members = roster
        .into_iter()
        .map(|m| {
            let cs =
                CommitmentDimension::ALL.iter().map(|d| rows.iter().find(|c| c.member_id == m.id && c.dimension == *d).cloned()).collect();
            (m.id, m.name, cs)
        })
        .collect();
    let title = l(t, "党员承诺", "Commitments");
    let c = chrome(&state, t, &u, "commitments", title).await.crumb(t.t("menu_plus"), "/commitments").crumb(title, "/commitments");
    let dimensions = CommitmentDimension::ALL.iter().map(|d| d.label(t.lang())).collect();
    let grades = ReviewGrade::ALL.iter().map(|g| (g.code(), g.label(t.lang()))).collect();
    let orgs = orgs.into_iter().map(|o| (o.record.code.to_string(), o.record.name)).collect();
    let posts = state.store.vanguard_posts(Whose::Orgs(&[org.meta.id]), year).await?;
    let vanguard = VanguardKind::ALL.iter().map(|k| (k.code(), k.label(t.lang()))).collect();
    render(ListPage { c, org, orgs, year, members, posts, vanguard, dimensions, grades, msg: q.msg })
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct ReviewForm {
    #[serde(rename = "_csrf")]
    csrf: String,
    org: String,
    which: String,
    grade: String,
    note: String,
}

async fn review(
    State(state): State<AppState>,
    Lang(t): Lang,
    PageUser(u): PageUser,
    Path(id): Path<i64>,
    Form(f): Form<ReviewForm>,
) -> PageResult {
    auth::check_csrf(&u, Some(&f.csrf))?;
    allowed(&u)?;
    let back = |msg: &str| Redirect::to(&format!("/commitments?org={}&msg={}", enc(&f.org), enc(msg))).into_response();
    let (Some(which), Some(grade)) = (Review::parse(&f.which), ReviewGrade::parse(&f.grade)) else {
        return Ok(back(l(t, "请选择年中或年终评价，以及评价等次", "choose mid-year or year-end and a grade")));
    };
    // The organizations the user acts for (a region's county user: the region's).
    let acting = acting_orgs(&state, &u).await?;
    match state.store.review_commitment(id, which, grade, &f.note, acting.as_deref(), today(), &u.user.username).await {
        Ok(()) => Ok(back(l(t, "已评价", "reviewed"))),
        Err(StoreError::Refused(e)) => Ok(back(e.message(t.lang()))),
        Err(e) => Err(e.into()),
    }
}

// ------------------------------------------------------------------ the board: 比作风、比创新、比业绩

struct BoardLine {
    code: String,
    name: String,
    members: i64,
    committed: usize,
    reviewed: usize,
    good: usize,
    posts: usize,
}

#[derive(Template)]
#[template(path = "commitments_board.html")]
struct BoardPage {
    c: Chrome,
    year: i32,
    lines: Vec<BoardLine>,
}

async fn board_lines(state: &AppState, u: &CurrentUser, year: i32) -> Result<Vec<BoardLine>, AppError> {
    let orgs: Vec<OrgRow> = state.store.orgs(&u.scope, None).await?.into_iter().filter(|o| o.member_count > 0).collect();
    let ids: Vec<i64> = orgs.iter().map(|o| o.meta.id).collect();
    let rows = state.store.commitments(Whose::Orgs(&ids), year).await?;
    let posts = state.store.vanguard_posts(Whose::Orgs(&ids), year).await?;
    let mut by: BTreeMap<i64, (std::collections::BTreeSet<i64>, usize, usize)> = BTreeMap::new();
    for c in &rows {
        let e = by.entry(c.org_id).or_default();
        e.0.insert(c.member_id);
        let grade = c.end_grade.or(c.mid_grade);
        e.1 += usize::from(grade.is_some());
        e.2 += usize::from(grade == Some(ReviewGrade::Good));
    }
    let mut lines: Vec<BoardLine> = orgs
        .into_iter()
        .map(|o| {
            let (who, reviewed, good) = by.remove(&o.meta.id).unwrap_or_default();
            BoardLine {
                code: o.record.code.to_string(),
                name: o.record.name,
                members: o.member_count,
                committed: who.len(),
                reviewed,
                good,
                posts: posts.iter().filter(|p| p.org_id == o.meta.id).count(),
            }
        })
        .collect();
    lines.sort_by(|a, b| {
        (b.committed as f64 / b.members.max(1) as f64).total_cmp(&(a.committed as f64 / a.members.max(1) as f64)).then(a.code.cmp(&b.code))
    });
    Ok(lines)
}

async fn board_page(State(state): State<AppState>, Lang(t): Lang, PageUser(u): PageUser, Query(q): Query<MsgQuery>) -> PageResult {
    allowed(&u)?;
    let year = year_param(&q.year);
    let lines = board_lines(&state, &u, year).await?;
    let title = l(t, "承诺践诺比一比", "Commitments compared");
    let c = chrome(&state, t, &u, "commitments", title).await.crumb(t.t("menu_plus"), "/commitments").crumb(title, "/commitments/board");
    render(BoardPage { c, year, lines })
}

async fn api_list(State(state): State<AppState>, ApiUser(u): ApiUser, Query(q): Query<MsgQuery>) -> Result<Response, ApiError> {
    allowed(&u)?;
    let year = year_param(&q.year);
    let ids: Vec<i64> = match q.org.trim() {
        "" => state.store.orgs(&u.scope, None).await?.into_iter().map(|o| o.meta.id).collect(),
        code => vec![state.store.org(&u.scope, code).await?.ok_or(AppError::NotFound)?.meta.id],
    };
    let rows = state.store.commitments(Whose::Orgs(&ids), year).await?;
    Ok(axum::Json(json!({"year": year, "items": rows, "total": rows.len()})).into_response())
}

// ------------------------------------------------------------------ 先锋岗、示范岗 and the cards

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct VanguardForm {
    #[serde(rename = "_csrf")]
    csrf: String,
    org: String,
    member: String,
    kind: String,
    title: String,
}

async fn designate(State(state): State<AppState>, Lang(t): Lang, PageUser(u): PageUser, Form(f): Form<VanguardForm>) -> PageResult {
    auth::check_csrf(&u, Some(&f.csrf))?;
    allowed(&u)?;
    let back = |msg: &str| Redirect::to(&format!("/commitments?org={}&msg={}", enc(&f.org), enc(msg))).into_response();
    let (Ok(member), Some(kind)) = (f.member.trim().parse::<i64>(), VanguardKind::parse(&f.kind)) else {
        return Ok(back(l(t, "请选择党员先锋岗或党员示范岗", "choose a vanguard or a model post")));
    };
    // The organizations the user acts for (a region's county user: the region's).
    let acting = acting_orgs(&state, &u).await?;
    match state.store.designate_vanguard(member, today().year(), kind, &f.title, today(), acting.as_deref(), &u.user.username).await {
        Ok(()) => Ok(back(l(t, "已设岗", "designated"))),
        Err(StoreError::Refused(e)) => Ok(back(e.message(t.lang()))),
        Err(e) => Err(e.into()),
    }
}

/// One member's public card (亮身份、亮承诺、亮本领).
struct Card {
    name: String,
    post: Option<VanguardRow>,
    commitments: Vec<(&'static str, String)>,
}

#[derive(Template)]
#[template(path = "commitments_cards.html")]
struct CardsPage {
    c: Chrome,
    org: OrgRow,
    year: i32,
    cards: Vec<Card>,
}

async fn cards_page(State(state): State<AppState>, Lang(t): Lang, PageUser(u): PageUser, Query(q): Query<MsgQuery>) -> PageResult {
    allowed(&u)?;
    let year = year_param(&q.year);
    let org = state.store.org(&u.scope, q.org.trim()).await?.ok_or(AppError::NotFound)?;
    // Every member of the organization (in the user's scope, as the organization is), not a page of them.
    let roster = state.store.members_of_org(org.meta.id).await?;
    let rows = state.store.commitments(Whose::Orgs(&[org.meta.id]), year).await?;
    let posts = state.store.vanguard_posts(Whose::Orgs(&[org.meta.id]), year).await?;
    let cards = roster
        .into_iter()
        .map(|m| Card {
            post: posts.iter().find(|p| p.member_id == m.id).cloned(),
            commitments: CommitmentDimension::ALL
                .iter()
                .filter_map(|d| {
                    rows.iter().find(|c| c.member_id == m.id && c.dimension == *d).map(|c| (d.label(t.lang()), c.content.clone()))
                })
                .collect(),
            name: m.name,
        })
        .collect();
    let title = l(t, "党员公示卡", "Members' public cards");
    let c = chrome(&state, t, &u, "commitments", title)
        .await
        .crumb(t.t("menu_plus"), "/commitments")
        .crumb(l(t, "党员承诺", "Commitments"), format!("/commitments?org={}", org.record.code))
        .crumb(title, "/commitments/cards");
    render(CardsPage { c, org, year, cards })
}
