//! SECURITY S6, S7, S12, S16: the role × route × object matrix, generated from the router's own
//! list of routes. Every route must have a row here (a new route without one fails), every GET
//! route is requested by each of the six roles — with an object of the user's own scope and one of
//! another — and must answer as its row says; no answer to anyone shows an unmasked ID or mobile
//! number; every state-changing route refuses a request without the CSRF token.
use std::collections::HashMap;

use hongzhu_store::{ActivityFilter, PeopleFilter, Scope};

use crate::support::{self, Db};

/// The roles in the order of an expectation string.
const ROLES: [&str; 6] = ["county", "yizhong", "dangyuan", "sysadmin", "secadmin", "auditor"];

/// (method, route, variant, expectation per role). Variant "own" fills the path with objects the
/// secretary and the member may see; "other" with objects of another school. Expectation letters:
/// o = 200, r = a redirect, f = 403, n = 404, c = a state change (checked for CSRF only).
const MATRIX: &[(&str, &str, &str, &str)] = &[
    ("GET", "/login", "", "oooooo"),
    ("POST", "/login", "", "c"),
    ("POST", "/logout", "", "c"),
    ("GET", "/lang/{to}", "", "rrrrrr"),
    ("GET", "/login/second-factor", "", "rrrrrr"),
    ("POST", "/login/second-factor", "", "c"),
    ("GET", "/account", "", "oooooo"),
    ("GET", "/account/password", "", "oooooo"),
    ("POST", "/account/password", "", "c"),
    ("GET", "/account/second-factor", "", "oooooo"),
    ("POST", "/account/second-factor", "", "c"),
    ("GET", "/account/reauth", "", "oooooo"),
    ("POST", "/account/reauth", "", "c"),
    ("GET", "/admin/users", "", "ffffof"),
    ("POST", "/admin/users", "", "c"),
    ("GET", "/admin/users/{id}", "", "ffffof"),
    ("POST", "/admin/users/{id}", "", "c"),
    ("GET", "/admin/audit", "", "fffffo"),
    ("GET", "/admin/audit/export.csv", "", "fffffo"),
    ("POST", "/admin/audit/verify", "", "c"),
    ("GET", "/admin/system", "", "fffoff"),
    ("POST", "/admin/system/backup", "", "c"),
    ("GET", "/", "", "oorrrr"),
    ("GET", "/institutions", "", "ooofff"),
    ("GET", "/institutions/new", "", "offfff"),
    ("POST", "/institutions/new", "", "c"),
    ("GET", "/institutions/{code}", "own", "ooofff"),
    ("GET", "/institutions/{code}", "other", "onnfff"),
    ("GET", "/institutions/{code}/edit", "own", "ooffff"),
    ("GET", "/institutions/{code}/edit", "other", "onffff"),
    ("POST", "/institutions/{code}/edit", "", "c"),
    ("GET", "/orgs", "", "ooofff"),
    ("GET", "/orgs/new", "", "offfff"),
    ("POST", "/orgs/new", "", "c"),
    ("GET", "/orgs/{code}", "own", "oonfff"),
    ("GET", "/orgs/{code}", "other", "onnfff"),
    ("GET", "/orgs/{code}/edit", "own", "ooffff"),
    ("GET", "/orgs/{code}/edit", "other", "onffff"),
    ("POST", "/orgs/{code}/edit", "", "c"),
    ("GET", "/staff", "", "ooofff"),
    ("GET", "/staff/new", "", "ooffff"),
    ("POST", "/staff/new", "", "c"),
    ("GET", "/staff/{id}", "own", "ooofff"),
    ("GET", "/staff/{id}", "other", "onnfff"),
    ("POST", "/staff/{id}/unmask", "", "c"),
    ("GET", "/staff/{id}/edit", "own", "ooffff"),
    ("GET", "/staff/{id}/edit", "other", "onffff"),
    ("POST", "/staff/{id}/edit", "", "c"),
    ("GET", "/members", "", "ooofff"),
    ("GET", "/members/{id}", "own", "ooofff"),
    ("GET", "/members/{id}", "other", "onnfff"),
    ("POST", "/members/{id}/unmask", "", "c"),
    ("GET", "/members/{id}/edit", "own", "ooffff"),
    ("GET", "/members/{id}/edit", "other", "onffff"),
    ("POST", "/members/{id}/edit", "", "c"),
    ("GET", "/m", "", "ooofff"),
    ("GET", "/dues", "", "ooofff"),
    ("GET", "/development", "", "ooffff"),
    ("GET", "/dues/ledger", "", "ooffff"),
    ("GET", "/dues/ledger.xlsx", "", "ooffff"),
    ("GET", "/dues/bases", "", "ooffff"),
    ("POST", "/dues/bases", "", "c"),
    ("GET", "/dues/pay", "", "ooffff"),
    ("POST", "/dues/pay", "", "c"),
    ("GET", "/dues/reductions", "", "ooffff"),
    ("POST", "/dues/reductions", "", "c"),
    ("POST", "/dues/reductions/{id}", "", "c"),
    ("GET", "/dues/report", "", "ooffff"),
    ("GET", "/dues/publish", "", "ooffff"),
    ("GET", "/api/v1/dues/ledger", "", "ooffff"),
    ("PUT", "/api/v1/dues/bases", "", "c"),
    ("POST", "/api/v1/dues/payments", "", "c"),
    ("GET", "/api/v1/dues/report", "", "ooffff"),
    ("GET", "/development/people", "", "ooffff"),
    ("GET", "/development/people.xlsx", "", "ooffff"),
    ("GET", "/development/due", "", "ooffff"),
    ("GET", "/development/people/{id}", "own", "ooffff"),
    ("GET", "/development/people/{id}", "other", "onffff"),
    ("POST", "/development/people/{id}/steps", "", "c"),
    ("POST", "/development/people/{id}/withdraw", "", "c"),
    ("GET", "/api/v1/development/people", "", "ooffff"),
    ("GET", "/api/v1/development/people/{id}", "own", "ooffff"),
    ("GET", "/api/v1/development/people/{id}", "other", "onffff"),
    ("POST", "/api/v1/development/people/{id}/steps", "", "c"),
    ("GET", "/api/v1/development/due", "", "ooffff"),
    ("GET", "/m/commitments", "", "noofff"),
    ("POST", "/m/commitments", "", "c"),
    ("GET", "/commitments", "", "ooffff"),
    ("GET", "/commitments/board", "", "ooffff"),
    ("POST", "/commitments/{id}/review", "", "c"),
    ("POST", "/commitments/vanguard", "", "c"),
    ("GET", "/commitments/cards", "", "ooffff"),
    ("GET", "/api/v1/commitments", "", "ooffff"),
    ("GET", "/children", "", "oorfff"),
    ("POST", "/children", "", "c"),
    ("GET", "/children/new", "", "foffff"),
    ("POST", "/children/new", "", "c"),
    ("GET", "/children/exports", "", "foffff"),
    ("POST", "/children/exports", "", "c"),
    ("POST", "/children/exports/{id}", "", "c"),
    ("GET", "/children/export.xlsx", "", "ffffff"),
    ("POST", "/children/pairings/{id}/end", "", "c"),
    ("GET", "/children/{id}", "own", "norfff"),
    ("GET", "/children/{id}", "other", "nnrfff"),
    ("GET", "/children/{id}/edit", "own", "nonfff"),
    ("GET", "/children/{id}/edit", "other", "nnnfff"),
    ("POST", "/children/{id}/edit", "", "c"),
    ("POST", "/children/{id}/pair", "", "c"),
    ("POST", "/children/{id}/close", "", "c"),
    ("GET", "/m/children", "", "noofff"),
    ("POST", "/m/children/visits", "", "c"),
    ("GET", "/api/v1/children", "", "ooofff"),
    ("GET", "/m/service", "", "noofff"),
    ("POST", "/m/service/register", "", "c"),
    ("POST", "/m/service/records", "", "c"),
    ("GET", "/service", "", "ooffff"),
    ("GET", "/service.xlsx", "", "ooffff"),
    ("GET", "/service/stations", "", "ooffff"),
    ("POST", "/service/stations", "", "c"),
    ("GET", "/service/concerns", "", "ooffff"),
    ("POST", "/service/concerns", "", "c"),
    ("POST", "/service/concerns/{id}", "", "c"),
    ("GET", "/api/v1/service", "", "ooffff"),
    ("POST", "/api/v1/service/records", "", "c"),
    ("GET", "/school-work", "", "ooffff"),
    ("GET", "/school-work.xlsx", "", "ooffff"),
    ("GET", "/school-work/activities/new", "", "ooffff"),
    ("POST", "/school-work/activities/new", "", "c"),
    ("GET", "/teaching", "", "ooffff"),
    ("GET", "/teaching.xlsx", "", "ooffff"),
    ("POST", "/teaching/teams", "", "c"),
    ("GET", "/youth", "", "ooffff"),
    ("GET", "/youth.xlsx", "", "ooffff"),
    ("POST", "/youth/units", "", "c"),
    ("GET", "/api/v1/school-work", "", "ooffff"),
    ("POST", "/api/v1/school-work/activities", "", "c"),
    ("GET", "/api/v1/children/{id}", "own", "noofff"),
    ("GET", "/api/v1/children/{id}", "other", "nnnfff"),
    ("GET", "/campaigns", "", "ooffff"),
    ("POST", "/campaigns", "", "c"),
    ("GET", "/campaigns/{id}", "own", "ooffff"),
    ("GET", "/campaigns/{id}", "other", "ooffff"),
    ("POST", "/campaigns/{id}/apply", "", "c"),
    ("POST", "/campaigns/{id}/advance", "", "c"),
    ("GET", "/campaigns/{id}/entries/{entry}", "own", "ooffff"),
    ("GET", "/campaigns/{id}/entries/{entry}", "other", "onffff"),
    ("POST", "/campaigns/{id}/entries/{entry}", "", "c"),
    ("GET", "/api/v1/campaigns/{id}", "own", "ooffff"),
    ("GET", "/api/v1/campaigns/{id}", "other", "ooffff"),
    ("POST", "/api/v1/campaigns/{id}/entries/{entry}/scores", "", "c"),
    ("GET", "/honors", "", "ooffff"),
    ("GET", "/honors.xlsx", "", "ooffff"),
    ("GET", "/honors/new", "", "ooffff"),
    ("POST", "/honors/new", "", "c"),
    ("POST", "/honors/{id}/delete", "", "c"),
    ("GET", "/indicators", "", "ooffff"),
    ("GET", "/indicators.xlsx", "", "ooffff"),
    ("GET", "/indicators/{code}/{year}", "own", "ooffff"),
    ("GET", "/indicators/{code}/{year}", "other", "onffff"),
    ("POST", "/indicators/{code}/{year}", "", "c"),
    ("GET", "/scorecard", "", "ooffff"),
    ("GET", "/api/v1/scorecard", "", "ooffff"),
    ("GET", "/stats", "", "ooffff"),
    ("GET", "/stats.xlsx", "", "ooffff"),
    ("GET", "/api/v1/stats", "", "ooffff"),
    ("GET", "/api/v1/honors", "", "ooffff"),
    ("POST", "/api/v1/honors", "", "c"),
    ("GET", "/api/v1/indicators", "", "ooffff"),
    ("PUT", "/api/v1/indicators/{code}/{year}", "", "c"),
    ("GET", "/orgs/terms", "", "ooffff"),
    ("GET", "/orgs/terms.xlsx", "", "ooffff"),
    ("GET", "/orgs/{code}/elections", "own", "ooffff"),
    ("GET", "/orgs/{code}/elections", "other", "onffff"),
    ("POST", "/orgs/{code}/elections", "", "c"),
    ("GET", "/api/v1/terms", "", "ooffff"),
    ("POST", "/api/v1/orgs/{code}/elections", "", "c"),
    ("GET", "/members/transfers", "", "ooffff"),
    ("GET", "/members/transfers.xlsx", "", "ooffff"),
    ("GET", "/members/transfers/in", "", "ooffff"),
    ("POST", "/members/transfers/in", "", "c"),
    ("GET", "/members/transfers/{id}/letter", "own", "ooffff"),
    ("GET", "/members/transfers/{id}/letter", "other", "onffff"),
    ("POST", "/members/transfers/{id}/decision", "", "c"),
    ("GET", "/members/{id}/relations", "own", "ooffff"),
    ("GET", "/members/{id}/relations", "other", "onffff"),
    ("POST", "/members/{id}/transfer", "", "c"),
    ("POST", "/members/{id}/status", "", "c"),
    ("GET", "/api/v1/transfers", "", "ooffff"),
    ("POST", "/api/v1/transfers/{id}/decision", "", "c"),
    ("POST", "/api/v1/members/{id}/transfers", "", "c"),
    ("POST", "/api/v1/members/{id}/status", "", "c"),
    ("GET", "/coverage", "", "ooffff"),
    ("GET", "/coverage/print", "", "ooffff"),
    ("GET", "/coverage/export.xlsx", "", "ooffff"),
    ("POST", "/coverage/snapshots", "", "c"),
    ("GET", "/coverage/compare", "", "ooffff"),
    ("GET", "/coverage/tasks", "", "ooffff"),
    ("GET", "/coverage/tasks/new", "", "nnffff"),
    ("POST", "/coverage/tasks/new", "", "c"),
    ("POST", "/coverage/tasks/{id}", "", "c"),
    ("GET", "/api/v1/coverage", "", "ooffff"),
    ("GET", "/data", "", "offfff"),
    ("GET", "/data/template.xlsx", "", "offfff"),
    ("GET", "/data/export.xlsx", "", "offfff"),
    ("POST", "/data/import", "", "c"),
    ("GET", "/data/import/{token}", "", "nfffff"),
    ("POST", "/data/import/{token}", "", "c"),
    ("GET", "/data/import/{token}/errors.xlsx", "", "nfffff"),
    ("POST", "/api/v1/imports", "", "c"),
    ("GET", "/api/v1/exports", "", "offfff"),
    ("POST", "/data/export-requests", "", "c"),
    ("POST", "/data/export-requests/{id}", "", "c"),
    ("GET", "/api/v1/export-requests", "", "offfff"),
    ("POST", "/api/v1/export-requests", "", "c"),
    ("POST", "/api/v1/export-requests/{id}", "", "c"),
    ("GET", "/life", "", "oofff f"),
    ("GET", "/life/new", "", "ooffff"),
    ("POST", "/life/new", "", "c"),
    ("GET", "/life/compliance", "", "ooffff"),
    ("GET", "/life/compliance/{org}", "own", "ooffff"),
    ("GET", "/life/compliance/{org}", "other", "onffff"),
    ("POST", "/life/compliance/{org}/study", "", "c"),
    ("GET", "/life/absent", "", "ooffff"),
    ("GET", "/life/calendar", "", "ooffff"),
    ("GET", "/life/guides", "", "ooffff"),
    ("POST", "/life/guides", "", "c"),
    ("POST", "/life/kinds", "", "c"),
    ("POST", "/life/kinds/{id}/delete", "", "c"),
    ("GET", "/life/observation", "", "ooffff"),
    ("GET", "/life/evaluations", "", "ooffff"),
    ("POST", "/life/evaluations", "", "c"),
    ("GET", "/life/book", "", "ooffff"),
    ("GET", "/life/book.xlsx", "", "ooffff"),
    ("GET", "/life/{id}", "own", "oorfff"),
    ("GET", "/life/{id}", "other", "onrfff"),
    ("GET", "/life/{id}/edit", "own", "ooffff"),
    ("GET", "/life/{id}/edit", "other", "onnfff"),
    ("POST", "/life/{id}/edit", "", "c"),
    ("POST", "/life/{id}/review", "", "c"),
    ("POST", "/life/{id}/attendance", "", "c"),
    ("GET", "/life/{id}/qr.svg", "own", "ooffff"),
    ("GET", "/life/{id}/qr.svg", "other", "onffff"),
    ("POST", "/life/{id}/files", "", "c"),
    ("GET", "/life/files/{fid}", "", "nnffff"),
    ("POST", "/life/files/{fid}/delete", "", "c"),
    ("GET", "/m/checkin/{id}", "own", "fooff f"),
    ("GET", "/m/checkin/{id}", "other", "fnnfff"),
    ("POST", "/m/checkin/{id}", "", "c"),
    ("GET", "/api/v1/activities", "", "ooffff"),
    ("POST", "/api/v1/activities", "", "c"),
    ("GET", "/api/v1/activities/{id}", "own", "ooffff"),
    ("GET", "/api/v1/activities/{id}", "other", "onffff"),
    ("PUT", "/api/v1/activities/{id}", "", "c"),
    ("POST", "/api/v1/activities/{id}/review", "", "c"),
    ("GET", "/api/v1/activities/{id}/attendance", "own", "ooffff"),
    ("GET", "/api/v1/activities/{id}/attendance", "other", "onffff"),
    ("POST", "/api/v1/activities/{id}/checkin", "", "c"),
    ("GET", "/api/v1/activities/{id}/files", "own", "ooffff"),
    ("GET", "/api/v1/activities/{id}/files", "other", "onffff"),
    ("POST", "/api/v1/activities/{id}/files", "", "c"),
    ("GET", "/api/v1/life/compliance", "", "ooffff"),
    ("GET", "/api/v1/life/absent", "", "ooffff"),
    ("GET", "/api/v1/life/observation", "", "ooffff"),
    ("GET", "/api/v1/life/guides", "", "ooffff"),
    ("POST", "/api/v1/life/guides", "", "c"),
    ("GET", "/api/v1/life/evaluations", "", "ooffff"),
    ("PUT", "/api/v1/life/evaluations", "", "c"),
    ("POST", "/api/v1/life/study", "", "c"),
    ("GET", "/api/docs", "", "oooooo"),
    ("POST", "/api/v1/session", "", "c"),
    ("DELETE", "/api/v1/session", "", "c"),
    ("POST", "/api/v1/session/second-factor", "", "c"),
    ("POST", "/api/v1/session/reauth", "", "c"),
    ("GET", "/api/v1/openapi.json", "", "oooooo"),
    ("GET", "/api/v1/regions", "", "ooofff"),
    ("GET", "/api/v1/institutions", "", "ooofff"),
    ("POST", "/api/v1/institutions", "", "c"),
    ("GET", "/api/v1/institutions/{code}", "own", "ooofff"),
    ("GET", "/api/v1/institutions/{code}", "other", "onnfff"),
    ("PUT", "/api/v1/institutions/{code}", "", "c"),
    ("GET", "/api/v1/orgs", "", "ooofff"),
    ("POST", "/api/v1/orgs", "", "c"),
    ("GET", "/api/v1/orgs/{code}", "own", "oonfff"),
    ("GET", "/api/v1/orgs/{code}", "other", "onnfff"),
    ("PUT", "/api/v1/orgs/{code}", "", "c"),
    ("GET", "/api/v1/staff", "", "ooofff"),
    ("POST", "/api/v1/staff", "", "c"),
    ("GET", "/api/v1/staff/{id}", "own", "ooofff"),
    ("GET", "/api/v1/staff/{id}", "other", "onnfff"),
    ("PUT", "/api/v1/staff/{id}", "", "c"),
    ("GET", "/api/v1/members", "", "ooofff"),
    ("POST", "/api/v1/members", "", "c"),
    ("GET", "/api/v1/members/{id}", "own", "ooofff"),
    ("GET", "/api/v1/members/{id}", "other", "onnfff"),
    ("PUT", "/api/v1/members/{id}", "", "c"),
];

/// What a status means in the matrix.
fn letter(status: u16) -> char {
    match status {
        200..=299 => 'o',
        300..=399 => 'r',
        403 => 'f',
        404 => 'n',
        422 => 'u',
        s => char::from_digit((s / 100) as u32, 10).unwrap_or('?'),
    }
}

/// Numbers that must never reach a user without the unmask permission (S12): a word that is an
/// 18-digit ID (or 17 digits and X) or an 11-digit mobile number. Hex tokens are words with
/// letters, so they do not count.
fn unmasked_numbers(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| {
            let digits = w.trim_end_matches(['X', 'x']);
            let all = !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit());
            all && ((w.len() == 18 && digits.len() >= 17) || (w.len() == 11 && digits.len() == 11 && w.starts_with('1')))
        })
        .map(str::to_string)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s06_role_route_object_matrix() {
    let app = support::app(Db::Sqlite).await;
    support::load_life(&app).await;
    let store = &app.demo.store;
    // S6: every route the router serves has its row, and every row names a route.
    let rows: std::collections::HashSet<(&str, &str)> = MATRIX.iter().map(|r| (r.0, r.1)).collect();
    let missing: Vec<_> = hongzhu_web::ROUTES.iter().filter(|r| !rows.contains(&(r.0, r.1))).collect();
    assert!(missing.is_empty(), "routes without a row in the matrix (add one, with what each role may do): {missing:?}");
    let stale: Vec<_> = rows.iter().filter(|r| !hongzhu_web::ROUTES.contains(r)).collect();
    assert!(stale.is_empty(), "rows for routes that no longer exist: {stale:?}");
    for (m, p, variant, e) in MATRIX {
        let params = p.contains('{') && !p.contains("{to}") && !p.contains("{token}") && !p.contains("{fid}") && !p.starts_with("/admin/");
        if *m == "GET" && params {
            assert!(["own", "other"].contains(variant), "{m} {p}: object routes need an own and an other row");
        }
        if *e != "c" {
            assert_eq!(e.chars().filter(|c| !c.is_whitespace()).count(), 6, "{m} {p}: one letter per role");
        }
    }

    // Objects of the member's own school (seen by the secretary and the member) and of another.
    let own_member = store
        .members(&Scope::All, &PeopleFilter { q: None, org: Some("JX-YZ-ZB1".into()), page: 1, page_size: 100, ..Default::default() })
        .await
        .unwrap()
        .items
        .into_iter()
        .find(|m| m.person.person_id == app.member_person)
        .unwrap();
    let other_member = store
        .members(&Scope::All, &PeopleFilter { org: Some("JX-EZ-ZZ".into()), page: 1, page_size: 1, ..Default::default() })
        .await
        .unwrap()
        .items
        .remove(0);
    let own_staff = store
        .staff(
            &Scope::All,
            &PeopleFilter {
                q: Some(own_member.person.name.clone()),
                institution: Some("3708280001".into()),
                page: 1,
                page_size: 5,
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .items
        .into_iter()
        .find(|s| s.person.person_id == app.member_person)
        .unwrap();
    let other_staff = store
        .staff(&Scope::All, &PeopleFilter { institution: Some("3708280002".into()), page: 1, page_size: 1, ..Default::default() })
        .await
        .unwrap()
        .items
        .remove(0);
    let own_activity = store
        .activities(&Scope::All, &ActivityFilter { org: Some("JX-YZ-ZB1".into()), page: 1, page_size: 1, ..Default::default() })
        .await
        .unwrap()
        .items
        .remove(0);
    let other_activity = store
        .activities(&Scope::All, &ActivityFilter { org: Some("JX-EZ-ZZ".into()), page: 1, page_size: 1, ..Default::default() })
        .await
        .unwrap()
        .items
        .remove(0);
    // A transfer from the secretary's organization and one from another school's.
    let today = hongzhu_core::life::to_local(chrono::Utc::now()).date();
    let start = |member: i64, to: &'static str| {
        let store = store.clone();
        async move {
            let t = hongzhu_store::transfers::NewTransfer {
                kind: hongzhu_core::labels::TransferKind::Within,
                to_org: Some(to.to_string()),
                outside: String::new(),
                letter_no: String::new(),
                started_on: today,
                note: String::new(),
            };
            store.start_transfer(&Scope::All, member, &t, today, "test").await.unwrap().id
        }
    };
    let own_transfer = start(own_member.meta.id, "JX-EZ-ZZ").await;
    let other_transfer = start(other_member.meta.id, "JX-SX-ZZ").await;
    // A campaign the secretary's school and another school applied to.
    let campaign = store
        .create_campaign(
            "2019年市级党建示范校创建",
            2019,
            hongzhu_core::labels::HonorLevel::City,
            &hongzhu_core::campaign::five_goods(),
            "test",
        )
        .await
        .unwrap();
    let own_entry = store.apply_to_campaign(campaign, &Scope::All, "3708280001", today, "test").await.unwrap();
    let other_entry = store.apply_to_campaign(campaign, &Scope::All, "3708280002", today, "test").await.unwrap();
    // A left-behind child at the secretary's school paired with the member, and one elsewhere.
    let child = |inst: &'static str| {
        let store = store.clone();
        async move {
            let i = store.institution(&Scope::All, inst).await.unwrap().unwrap().meta.id;
            let input = hongzhu_core::care::ChildInput {
                name: "测试儿童".into(),
                gender: "女".into(),
                birth_date: (today - chrono::Duration::days(365 * 10)).to_string(),
                class_name: "四年级一班".into(),
                situation: "both_away".into(),
                guardian: "grandparents".into(),
                note: String::new(),
            };
            store.add_child(i, &hongzhu_core::care::check_child(&input, today).unwrap(), "test").await.unwrap()
        }
    };
    let own_child = child("3708280001").await;
    let other_child = child("3708280002").await;
    store.pair_child(own_child, own_member.meta.id, today, &[hongzhu_core::labels::HelpKind::Study], today, "test").await.unwrap();
    store.pair_child(other_child, other_member.meta.id, today, &[hongzhu_core::labels::HelpKind::Study], today, "test").await.unwrap();
    let user_id = store.user_by_username("yizhong").await.unwrap().unwrap().id;
    let fill = |p: &str, variant: &str| -> String {
        let own = variant != "other";
        let inst = if own { "3708280001" } else { "3708280002" };
        let org = if own { "JX-YZ-DW" } else { "JX-EZ-ZZ" };
        let staff_path = ["/staff", "/api/v1/staff", "/development", "/api/v1/development"].iter().any(|s| p.starts_with(s));
        let id = if staff_path {
            if own { own_staff.meta.id } else { other_staff.meta.id }
        } else if p.starts_with("/campaigns") || p.starts_with("/api/v1/campaigns") {
            campaign
        } else if p.starts_with("/children") || p.starts_with("/api/v1/children") {
            if own { own_child } else { other_child }
        } else if p.starts_with("/members/transfers") || p.starts_with("/api/v1/transfers") {
            if own { own_transfer } else { other_transfer }
        } else if p.starts_with("/members") || p.starts_with("/api/v1/members") {
            if own { own_member.meta.id } else { other_member.meta.id }
        } else if p.starts_with("/admin/users") {
            user_id
        } else if own {
            own_activity.id
        } else {
            other_activity.id
        };
        p.replace("{code}", if p.contains("/orgs") { org } else { inst })
            .replace("{org}", org)
            .replace("{id}", &id.to_string())
            .replace("{to}", "en")
            .replace("{token}", "no-such-job")
            .replace("{fid}", "999999")
            .replace("{year}", "2025")
            .replace("{entry}", &(if own { own_entry } else { other_entry }).to_string())
            + &match p {
                "/life/book" | "/life/book.xlsx" => format!("?org={org}"),
                "/api/v1/life/evaluations" => format!("?org={org}"),
                "/commitments/cards" => format!("?org={org}"),
                "/coverage/tasks/new" => format!("?institution={inst}"),
                _ => String::new(),
            }
    };

    let mut clients: HashMap<&str, reqwest::Client> = HashMap::new();
    for r in ROLES {
        let c = if ["sysadmin", "secadmin", "auditor"].contains(&r) {
            support::admin_login(&app, r).await.0
        } else {
            support::page_login(&app, r).await
        };
        clients.insert(r, c);
    }
    let mut wrong = vec![];
    let mut leaks = vec![];
    for (m, p, variant, expect) in MATRIX.iter().filter(|r| r.0 == "GET") {
        let path = fill(p, variant);
        let expect: Vec<char> = expect.chars().filter(|c| !c.is_whitespace()).collect();
        for (i, role) in ROLES.iter().enumerate() {
            let r = clients[role].get(format!("{}{path}", app.base)).send().await.unwrap();
            let got = letter(r.status().as_u16());
            let want = expect[i];
            if got != want {
                wrong.push(format!("{m} {path} as {role}: {} (want {want})", r.status()));
            }
            let textual = r
                .headers()
                .get("content-type")
                .and_then(|v| v.to_str().ok())
                .is_some_and(|t| t.contains("html") || t.contains("json") || t.contains("csv") || t.contains("svg"));
            if textual {
                let body = r.text().await.unwrap();
                let found = unmasked_numbers(&body);
                if !found.is_empty() {
                    leaks.push(format!("{path} as {role}: {found:?}"));
                }
            }
        }
    }
    assert!(wrong.is_empty(), "{} answers differ from the matrix:\n{}", wrong.len(), wrong.join("\n"));
    assert!(leaks.is_empty(), "unmasked numbers (S12):\n{}", leaks.join("\n"));

    // S16: every state-changing route refuses a request without the CSRF token, for every role,
    // and nothing is written.
    let version = store.data_version().await.unwrap();
    for (m, p, _, _) in MATRIX.iter().filter(|r| r.3 == "c") {
        if p.starts_with("/login") || *p == "/api/v1/session" && *m == "POST" {
            continue; // signing in has no session yet; it is guarded by the Origin check and SameSite
        }
        let path = fill(p, "own");
        for role in ROLES {
            let method = reqwest::Method::from_bytes(m.as_bytes()).unwrap();
            let r = clients[role].request(method, format!("{}{path}", app.base)).form(&[("x", "1")]).send().await.unwrap();
            let s = r.status().as_u16();
            // 403 (no token, or a role that may not), or 303 to the login for a session that
            // still owes a step; never a success.
            // Upload routes read the multipart body first: a form body is a bad request (400)
            // before the token is looked at. Either way nothing is done.
            let upload = p.ends_with("/import") || p.ends_with("/imports") || p.ends_with("/files");
            assert!(s == 403 || (upload && s == 400), "{m} {path} as {role} without a CSRF token: {s}");
        }
    }
    assert_eq!(store.data_version().await.unwrap(), version, "nothing was written");
}
