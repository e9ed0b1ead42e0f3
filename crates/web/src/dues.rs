//! 党费: the dues calculator (DOMAIN §5, R4.2–R4.3) — what a member pays a month for a base and
//! a category, with the rule that decides it. The monthly ledger builds on the same rules.
use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::routing::get;
use hongzhu_core::dues::{DUES_CATEGORIES, Dues, DuesCategory, Fen, monthly_dues};
use serde::Deserialize;

use crate::AppState;
use crate::auth::{Lang, PageUser};
use crate::pages::{PageResult, chrome, render};
use crate::view::Chrome;

pub fn routes() -> Router<AppState> {
    Router::new().route("/dues", get(calculator))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct DuesQuery {
    base: String,
    category: String,
}

#[derive(Template)]
#[template(path = "dues.html")]
struct DuesPage {
    c: Chrome,
    base: String,
    category: &'static str,
    categories: Vec<(&'static str, &'static str)>,
    result: Option<Dues>,
    error: Option<String>,
}

async fn calculator(State(state): State<AppState>, Lang(t): Lang, PageUser(u): PageUser, Query(q): Query<DuesQuery>) -> PageResult {
    let en = t.is_en();
    let category = DuesCategory::from_code(&q.category).unwrap_or(DuesCategory::InService);
    let mut error = None;
    let result = if q.base.trim().is_empty() && category.uses_base() {
        None
    } else if category.uses_base() {
        match Fen::parse_yuan(&q.base) {
            Ok(base) => Some(monthly_dues(category, base)),
            Err(e) => {
                error = Some(if en { e.message_en } else { e.message_zh });
                None
            }
        }
    } else {
        Some(monthly_dues(category, Fen(0)))
    };
    let title = if en { "Dues" } else { "党费计算" };
    let c = chrome(&state, t, &u, "dues", title).await.crumb(title, "/dues");
    let categories = DUES_CATEGORIES.iter().map(|c| (c.code(), if en { c.en() } else { c.zh() })).collect();
    let failed = error.is_some();
    let mut res = render(DuesPage { c, base: q.base, category: category.code(), categories, result, error })?;
    if failed {
        *res.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(res)
}
