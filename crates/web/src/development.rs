//! 党员发展 › 双培养: per school, the young and backbone teachers not yet members and where they are
//! in the development pipeline (DOMAIN §3) — schools without members first, since developing
//! members there is the coverage audit's first remedy.
use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::routing::get;
use chrono::{Datelike, Utc};
use hongzhu_store::Role;
use hongzhu_store::development::PipelineRow;

use crate::AppState;
use crate::auth::{Lang, PageUser};
use crate::error::AppError;
use crate::pages::{PageResult, chrome, render};
use crate::view::Chrome;

pub fn routes() -> Router<AppState> {
    Router::new().route("/development", get(pipeline))
}

#[derive(Template)]
#[template(path = "development.html")]
struct PipelinePage {
    c: Chrome,
    rows: Vec<PipelineRow>,
    total: PipelineRow,
    without_members: usize,
}

async fn pipeline(State(state): State<AppState>, Lang(t): Lang, PageUser(u): PageUser) -> PageResult {
    if !matches!(u.role(), Role::CountyAdmin | Role::Secretary) {
        return Err(AppError::Forbidden);
    }
    let today = hongzhu_core::life::to_local(Utc::now()).date();
    // 35 or younger: born after this day 36 years ago.
    let born_after = today.with_year(today.year() - 36).unwrap_or_else(|| today - chrono::Duration::days(36 * 365 + 9));
    let mut rows = state.store.dual_training(&u.scope, born_after).await?;
    rows.sort_by_key(|r| (r.members > 0, r.town.clone(), r.institution.clone()));
    let mut total = PipelineRow::default();
    for r in &rows {
        total.members += r.members;
        total.young += r.young;
        total.backbone += r.backbone;
        total.applicants += r.applicants;
        total.activists += r.activists;
        total.candidates += r.candidates;
    }
    let without_members = rows.iter().filter(|r| r.members == 0).count();
    let title = if t.is_en() { "Developing members (双培养)" } else { "党员发展 · 双培养" };
    let c = chrome(&state, t, &u, "development", title).await.crumb(title, "/development");
    render(PipelinePage { c, rows, total, without_members })
}
