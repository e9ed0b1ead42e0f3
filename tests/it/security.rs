//! SECURITY.md, item by item: each test is named after the item it proves.
use std::process::Command;

use chrono::Utc;
use hongzhu_store::{Actor, AuditEntry, AuditFilter, Outcome};
use serde_json::{Value, json};

use crate::on_both;
use crate::support::{self, Db, PASSWORD};

async fn events(app: &support::App, event: &str) -> Vec<hongzhu_store::AuditRow> {
    app.demo
        .store
        .audit_rows(&AuditFilter { event: Some(event.into()), page: 1, page_size: 1000, ..Default::default() })
        .await
        .unwrap()
        .items
}

fn entry(event: &'static str, object: &str) -> AuditEntry {
    AuditEntry {
        actor: Actor {
            user_id: None,
            username: "t".into(),
            role: "county_admin".into(),
            source: "127.0.0.1".into(),
            request_id: "r".into(),
        },
        event,
        object: object.into(),
        outcome: Outcome::Success,
        detail: String::new(),
    }
}

/// S2: five failures lock the account for the set time; the sixth try fails with the right
/// password; the lockout is audited; the security administrator unlocks it.
async fn s02_lockout(db: Db) {
    let app = support::app(db).await;
    let c = support::client();
    let login = |pw: &'static str| {
        let c = c.clone();
        let base = app.base.clone();
        async move { c.post(format!("{base}/login")).form(&[("username", "yizhong"), ("password", pw)]).send().await.unwrap() }
    };
    for _ in 0..5 {
        assert_eq!(login("wrong-Passw0rd").await.status(), 401);
    }
    let sixth = login(PASSWORD).await;
    assert_eq!(sixth.status(), 401, "locked: even the right password fails");
    let text = sixth.text().await.unwrap();
    assert!(text.contains("已锁定") && text.contains("15 分钟"), "the page says it is locked and for how long");
    assert_eq!(events(&app, "lockout").await.len(), 1, "the lockout is audited once");
    assert!(events(&app, "login_failed").await.len() >= 6);
    // The security administrator unlocks it.
    let (sec, _) = support::admin_login(&app, "secadmin").await;
    let id = app.demo.store.user_by_username("yizhong").await.unwrap().unwrap().id;
    let page = sec.get(format!("{}/admin/users/{id}", app.base)).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("解除锁定"));
    let r = sec
        .post(format!("{}/admin/users/{id}", app.base))
        .form(&[("_csrf", support::csrf_in(&page).as_str()), ("action", "unlock")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(login(PASSWORD).await.status(), 303, "unlocked");
}
on_both!(s02_lockout_and_unlock, s02_lockout);

/// S2: one address that keeps failing, whatever names it tries, must wait.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s02_throttling_per_address() {
    let settings = hongzhu_web::security::Settings { throttle_failures: 6, ..Default::default() };
    let app = support::app_with(Db::Sqlite, settings).await;
    let c = support::client();
    for i in 0..6 {
        let r = c
            .post(format!("{}/login", app.base))
            .form(&[("username", format!("nobody{i}")), ("password", "x".into())])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401);
    }
    let r = c.post(format!("{}/login", app.base)).form(&[("username", "county"), ("password", PASSWORD)]).send().await.unwrap();
    assert_eq!(r.status(), 429);
    assert!(r.text().await.unwrap().contains("此地址登录失败次数过多"));
    let api =
        c.post(format!("{}/api/v1/session", app.base)).json(&json!({"username": "county", "password": PASSWORD})).send().await.unwrap();
    assert_eq!(api.status(), 429);
    let body: Value = api.json().await.unwrap();
    assert_eq!(body["code"], "too_many_attempts");
    assert_eq!(events(&app, "throttled").await.len(), 2);
    // The account itself is not locked: failures went to unknown names.
    assert!(app.demo.store.user_by_username("county").await.unwrap().unwrap().locked_until.is_none());
}

/// S3: a new session id at every login, and logout ends the server-side session.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s03_new_session_at_login_and_logout_destroys_it() {
    let app = support::app(Db::Sqlite).await;
    let c = support::client();
    let cookie_of = |r: &reqwest::Response| {
        r.headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|v| v.starts_with("hongzhu_session="))
            .map(|v| v.to_string())
    };
    let r1 = c.post(format!("{}/login", app.base)).form(&[("username", "county"), ("password", PASSWORD)]).send().await.unwrap();
    let first = cookie_of(&r1).unwrap();
    let r2 = c.post(format!("{}/login", app.base)).form(&[("username", "county"), ("password", PASSWORD)]).send().await.unwrap();
    let second = cookie_of(&r2).unwrap();
    assert_ne!(first, second, "fixation-safe: a new id each login");
    assert!(second.contains("HttpOnly") && second.contains("SameSite=Lax"));
    // The first session was dropped when the second began in the same browser.
    let token = first.split(';').next().unwrap().to_string();
    let old = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let r = old.get(format!("{}/institutions", app.base)).header("cookie", &token).send().await.unwrap();
    assert_eq!(r.status(), 303, "a replayed old session cookie is refused");
    let home = c.get(format!("{}/", app.base)).send().await.unwrap().text().await.unwrap();
    let r = c.post(format!("{}/logout", app.base)).form(&[("_csrf", support::csrf_in(&home))]).send().await.unwrap();
    assert_eq!(r.status(), 303);
    let token2 = second.split(';').next().unwrap().to_string();
    let r = old.get(format!("{}/institutions", app.base)).header("cookie", &token2).send().await.unwrap();
    assert_eq!(r.status(), 303, "after logout the session is gone on the server");
    assert_eq!(events(&app, "logout").await.len(), 1);
}

/// S4: a bulk export asks for the password again once the last re-authentication is old.
async fn s04_reauth(db: Db) {
    let app = support::app(db).await;
    let c = support::page_login(&app, "county").await;
    // Signing in counts as re-authentication: the export goes.
    let r = c.get(format!("{}/data/export.xlsx?region=370828", app.base)).send().await.unwrap();
    assert_eq!(r.status(), 200);
    // Later (played by ageing the session), the same export asks again.
    support::raw_exec(&app.demo._db.url, "UPDATE sessions SET reauth_at = NULL").await.unwrap();
    let r = c.get(format!("{}/data/export.xlsx?region=370828", app.base)).send().await.unwrap();
    assert_eq!(r.status(), 303);
    let to = r.headers()["location"].to_str().unwrap().to_string();
    assert!(to.starts_with("/account/reauth?next=%2Fdata%2Fexport.xlsx"), "{to}");
    let page = c.get(format!("{}{to}", app.base)).send().await.unwrap().text().await.unwrap();
    let next = support::between(&page, "name=\"next\" value=\"", "\"").unwrap().replace("&amp;", "&");
    let wrong = c
        .post(format!("{}/account/reauth", app.base))
        .form(&[("_csrf", support::csrf_in(&page).as_str()), ("password", "nope"), ("next", next.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);
    let ok = c
        .post(format!("{}/account/reauth", app.base))
        .form(&[("_csrf", support::csrf_in(&page).as_str()), ("password", PASSWORD), ("next", next.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 303);
    let back = ok.headers()["location"].to_str().unwrap().to_string();
    assert!(back.starts_with("/data/export.xlsx"), "{back}");
    assert_eq!(c.get(format!("{}{back}", app.base)).send().await.unwrap().status(), 200);
    // The API says what to do.
    let (api, csrf) = support::api_login(&app, "county").await;
    support::raw_exec(&app.demo._db.url, "UPDATE sessions SET reauth_at = NULL").await.unwrap();
    let r = api.get(format!("{}/api/v1/exports?region=370828", app.base)).send().await.unwrap();
    assert_eq!(r.status(), 403);
    assert_eq!(r.json::<Value>().await.unwrap()["code"], "reauth_required");
    let r = api
        .post(format!("{}/api/v1/session/reauth", app.base))
        .header("x-csrf-token", &csrf)
        .json(&json!({"password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(api.get(format!("{}/api/v1/exports?region=370828", app.base)).send().await.unwrap().status(), 200);
    assert_eq!(events(&app, "reauth").await.len(), 3);
    assert!(events(&app, "export").await.len() >= 3, "every export is logged (S14)");
    assert!(events(&app, "export").await.iter().all(|e| e.detail.contains("sha256=")));
}
on_both!(s04_reauthentication, s04_reauth);

/// S5: administrators must set up a second factor; then each login asks for the code.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s05_second_factor() {
    let app = support::app(Db::Sqlite).await;
    let (c, secret) = support::admin_login(&app, "auditor").await;
    assert_eq!(c.get(format!("{}/admin/audit", app.base)).send().await.unwrap().status(), 200);
    let u = app.demo.store.user_by_username("auditor").await.unwrap().unwrap();
    let sealed = u.totp_sealed.clone().unwrap();
    assert!(sealed.starts_with("v1:") && !sealed.contains(&hongzhu_web::totp::base32(&secret)), "the secret is sealed, not stored");
    // A new login stops at the code.
    let c2 = support::client();
    let r = c2.post(format!("{}/login", app.base)).form(&[("username", "auditor"), ("password", PASSWORD)]).send().await.unwrap();
    assert_eq!(r.headers()["location"], "/login/second-factor");
    assert_eq!(c2.get(format!("{}/admin/audit", app.base)).send().await.unwrap().status(), 303, "nothing before the code");
    let page = c2.get(format!("{}/login/second-factor", app.base)).send().await.unwrap().text().await.unwrap();
    let csrf = support::csrf_in(&page);
    let r =
        c2.post(format!("{}/login/second-factor", app.base)).form(&[("_csrf", csrf.as_str()), ("code", "000000")]).send().await.unwrap();
    assert_eq!(r.status(), 401);
    let code = hongzhu_web::totp::code_at(&secret, Utc::now().timestamp() as u64);
    let r = c2
        .post(format!("{}/login/second-factor", app.base))
        .form(&[("_csrf", csrf.as_str()), ("code", code.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(c2.get(format!("{}/admin/audit", app.base)).send().await.unwrap().status(), 200);
    let sf = events(&app, "second_factor").await;
    assert!(sf.iter().any(|e| e.outcome == "failure") && sf.iter().filter(|e| e.outcome == "success").count() >= 2);
    // The API: the login says what is owed, and the code completes it.
    let api = support::client();
    let r =
        api.post(format!("{}/api/v1/session", app.base)).json(&json!({"username": "auditor", "password": PASSWORD})).send().await.unwrap();
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["stage"], "second_factor");
    let csrf = body["csrf_token"].as_str().unwrap().to_string();
    let r = api.get(format!("{}/api/v1/institutions", app.base)).send().await.unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(r.json::<Value>().await.unwrap()["code"], "login_incomplete");
    let code = hongzhu_web::totp::code_at(&secret, Utc::now().timestamp() as u64);
    let r = api
        .post(format!("{}/api/v1/session/second-factor", app.base))
        .header("x-csrf-token", &csrf)
        .json(&json!({"code": code}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.json::<Value>().await.unwrap()["stage"], "full");
    // S2 through the API too: wrong codes count toward the lockout.
    let guess = support::client();
    let r = guess
        .post(format!("{}/api/v1/session", app.base))
        .json(&json!({"username": "auditor", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    let csrf = r.json::<Value>().await.unwrap()["csrf_token"].as_str().unwrap().to_string();
    let mut last = 0;
    for _ in 0..5 {
        let r = guess
            .post(format!("{}/api/v1/session/second-factor", app.base))
            .header("x-csrf-token", &csrf)
            .json(&json!({"code": "000000"}))
            .send()
            .await
            .unwrap();
        last = r.status().as_u16();
    }
    assert_eq!(last, 403, "the fifth wrong code locks the account");
    assert!(app.demo.store.user_by_username("auditor").await.unwrap().unwrap().locked_until.is_some());
    assert_eq!(events(&app, "lockout").await.len(), 1);
}

/// S1 and S7: the security administrator alone makes accounts and grants roles; a new account's
/// password is temporary and must be changed at the first login.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s07_only_the_security_administrator_grants_roles() {
    let app = support::app(Db::Sqlite).await;
    // Business roles and the other administrators cannot reach the accounts page.
    let county = support::page_login(&app, "county").await;
    assert_eq!(county.get(format!("{}/admin/users", app.base)).send().await.unwrap().status(), 403);
    assert_eq!(county.get(format!("{}/admin/audit", app.base)).send().await.unwrap().status(), 403);
    let (audit, _) = support::admin_login(&app, "auditor").await;
    assert_eq!(audit.get(format!("{}/admin/users", app.base)).send().await.unwrap().status(), 403);
    assert_eq!(audit.get(format!("{}/institutions", app.base)).send().await.unwrap().status(), 403, "no business data");
    let (sys, _) = support::admin_login(&app, "sysadmin").await;
    assert_eq!(sys.get(format!("{}/members", app.base)).send().await.unwrap().status(), 403);
    assert_eq!(sys.get(format!("{}/admin/system", app.base)).send().await.unwrap().status(), 200);
    let (sec, _) = support::admin_login(&app, "secadmin").await;
    assert_eq!(sec.get(format!("{}/institutions", app.base)).send().await.unwrap().status(), 403);
    assert_eq!(sec.get(format!("{}/api/v1/members", app.base)).send().await.unwrap().status(), 403);
    // The security administrator creates a secretary; bad input is refused with what is wrong.
    let page = sec.get(format!("{}/admin/users", app.base)).send().await.unwrap().text().await.unwrap();
    let csrf = support::csrf_in(&page);
    let bad = sec
        .post(format!("{}/admin/users", app.base))
        .form(&[("_csrf", csrf.as_str()), ("username", "x"), ("display_name", "新书记"), ("role", "secretary"), ("org", "NO-SUCH")])
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 422);
    let text = bad.text().await.unwrap();
    assert!(text.contains("用户名：3 至 32 位") && text.contains("“NO-SUCH”不存在"), "both problems named");
    let before = app.demo.store.users().await.unwrap().len();
    let ok = sec
        .post(format!("{}/admin/users", app.base))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("username", "ezhong"),
            ("display_name", "二中书记"),
            ("role", "secretary"),
            ("org", "JX-EZ-ZZ"),
            ("region", "370828"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    let text = ok.text().await.unwrap();
    let temp = support::between(&text, "<strong class=\"mono\">", "</strong>").unwrap().to_string();
    assert_eq!(app.demo.store.users().await.unwrap().len(), before + 1);
    let created = events(&app, "user_create").await;
    assert_eq!(created.len(), 1);
    assert_eq!(created[0].username, "secadmin");
    // The new secretary must change the temporary password first.
    let c = support::client();
    let r = c.post(format!("{}/login", app.base)).form(&[("username", "ezhong"), ("password", temp.as_str())]).send().await.unwrap();
    assert_eq!(r.headers()["location"], "/account/password");
    assert_eq!(c.get(format!("{}/institutions", app.base)).send().await.unwrap().status(), 303);
    let page = c.get(format!("{}/account/password", app.base)).send().await.unwrap().text().await.unwrap();
    let csrf2 = support::csrf_in(&page);
    let weak = c
        .post(format!("{}/account/password", app.base))
        .form(&[("_csrf", csrf2.as_str()), ("current", temp.as_str()), ("new", "short"), ("repeat", "short")])
        .send()
        .await
        .unwrap();
    assert_eq!(weak.status(), 422);
    let r = c
        .post(format!("{}/account/password", app.base))
        .form(&[("_csrf", csrf2.as_str()), ("current", temp.as_str()), ("new", "New-Passw0rd"), ("repeat", "New-Passw0rd")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(c.get(format!("{}/institutions", app.base)).send().await.unwrap().status(), 200);
    // A role change by the security administrator ends the account's sessions.
    let id = app.demo.store.user_by_username("ezhong").await.unwrap().unwrap().id;
    let page = sec.get(format!("{}/admin/users/{id}", app.base)).send().await.unwrap().text().await.unwrap();
    let r = sec
        .post(format!("{}/admin/users/{id}", app.base))
        .form(&[
            ("_csrf", support::csrf_in(&page).as_str()),
            ("action", "role"),
            ("display_name", "二中书记"),
            ("role", "county_admin"),
            ("region", "370828"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(app.demo.store.user_by_username("ezhong").await.unwrap().unwrap().role, hongzhu_store::Role::CountyAdmin);
    assert_eq!(c.get(format!("{}/institutions", app.base)).send().await.unwrap().status(), 303, "signed out by the change");
    let changes = events(&app, "user_change").await;
    assert!(changes.iter().any(|e| e.detail.contains("secretary → county_admin")));
    // Refusals are audited with who asked (S9).
    let denied = events(&app, "access_denied").await;
    assert!(denied.iter().any(|e| e.username == "county" && e.object == "GET /admin/users"));
    assert!(denied.iter().any(|e| e.username == "auditor" && e.object == "GET /institutions"));
}

/// S9: sign-ins, failures, sign-outs, sensitive views, prints, exports and configuration
/// changes are recorded with time, user, role, address, object, outcome and request id — and
/// never a password or a full ID number.
async fn s09_events(db: Db) {
    let app = support::app(db).await;
    let bad = support::client()
        .post(format!("{}/login", app.base))
        .form(&[("username", "county"), ("password", "Wrong-Passw0rd")])
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 401);
    let c = support::page_login(&app, "county").await;
    let list: Value = support::api_login(&app, "county")
        .await
        .0
        .get(format!("{}/api/v1/members?page_size=1", app.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let member = list["items"][0]["id"].as_i64().unwrap();
    let r = c.get(format!("{}/members/{member}", app.base)).send().await.unwrap();
    let request_id = r.headers()["x-request-id"].to_str().unwrap().to_string();
    assert_eq!(r.status(), 200);
    assert_eq!(c.get(format!("{}/coverage/print", app.base)).send().await.unwrap().status(), 200);
    let rows = app.demo.store.audit_rows(&AuditFilter { page: 1, page_size: 1000, ..Default::default() }).await.unwrap().items;
    let view = rows.iter().find(|r| r.event == "view_sensitive").expect("the view is recorded");
    assert_eq!(view.object, format!("member {member}"));
    assert_eq!(view.request_id, request_id, "the request id ties the row to the request");
    assert_eq!(view.username, "county");
    assert_eq!(view.role, "county_admin");
    assert_eq!(view.source, "127.0.0.1");
    for e in ["login", "login_failed", "print"] {
        assert!(rows.iter().any(|r| r.event == e), "{e} recorded");
    }
    let failed = rows.iter().find(|r| r.event == "login_failed").unwrap();
    assert_eq!(failed.outcome, "failure");
    let all = serde_json::to_string(&rows).unwrap();
    assert!(!all.contains("Wrong-Passw0rd") && !all.contains(PASSWORD), "no passwords");
    assert!(support::digit_runs(&all, 17).is_empty(), "no full ID numbers");
    // The audit administrator's queries are recorded too.
    let (auditor, _) = support::admin_login(&app, "auditor").await;
    let page = auditor.get(format!("{}/admin/audit?event=view_sensitive", app.base)).send().await.unwrap().text().await.unwrap();
    assert!(page.contains(&format!("member {member}")));
    let csv = auditor.get(format!("{}/admin/audit/export.csv?user=county", app.base)).send().await.unwrap().text().await.unwrap();
    assert!(csv.starts_with('\u{feff}') && csv.contains("view_sensitive"));
    assert!(!events(&app, "audit_query").await.is_empty());
    assert_eq!(events(&app, "audit_export").await.len(), 1);
}
on_both!(s09_events_recorded, s09_events);

/// S10: append-only (the database refuses UPDATE and DELETE) and chained, so verify finds an
/// edited row, a removed row, and rows cut from the start; a retention purge keeps it verifiable.
async fn s10_chain(db: Db) {
    let d = support::demo(db).await;
    let store = &d.store;
    for i in 0..5 {
        store.audit(&entry("login", &format!("user u{i}"))).await.unwrap();
    }
    assert!(store.audit_verify().await.unwrap().ok());
    let url = &d._db.url;
    let upd = support::raw_exec(url, "UPDATE audit_log SET outcome = 'failure' WHERE id = 2").await;
    assert!(upd.unwrap_err().to_string().contains("append-only"), "UPDATE refused");
    let del = support::raw_exec(url, "DELETE FROM audit_log WHERE id = 3").await;
    assert!(del.unwrap_err().to_string().contains("append-only"), "DELETE refused");
    if url.starts_with("postgres") {
        assert!(support::raw_exec(url, "TRUNCATE audit_log").await.is_err(), "TRUNCATE refused");
    }
    // Someone with the database's owner rights switches the protection off and edits: found.
    let (off, on) = if url.starts_with("sqlite") {
        ("DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete;", "")
    } else {
        ("ALTER TABLE audit_log DISABLE TRIGGER USER;", "ALTER TABLE audit_log ENABLE TRIGGER USER;")
    };
    support::raw_exec(url, off).await.unwrap();
    support::raw_exec(url, "UPDATE audit_log SET outcome = 'failure' WHERE id = 2").await.unwrap();
    let r = store.audit_verify().await.unwrap();
    assert!(!r.ok() && r.problems.iter().any(|p| p.contains("row 2 was altered")), "{:?}", r.problems);
    support::raw_exec(url, "UPDATE audit_log SET outcome = 'success' WHERE id = 2").await.unwrap();
    assert!(store.audit_verify().await.unwrap().ok(), "restored to what it was: verifies again");
    support::raw_exec(url, "DELETE FROM audit_log WHERE id = 3").await.unwrap();
    let r = store.audit_verify().await.unwrap();
    assert!(r.problems.iter().any(|p| p.contains("rows missing between 2 and 4")), "{:?}", r.problems);
    support::raw_exec(url, "DELETE FROM audit_log WHERE id <= 2").await.unwrap();
    let r = store.audit_verify().await.unwrap();
    assert!(r.problems.iter().any(|p| p.contains("without a retention purge")), "{:?}", r.problems);
    if !on.is_empty() {
        support::raw_exec(url, on).await.unwrap();
    }
}
on_both!(s10_append_only_and_chained, s10_chain);

/// S11: the retention purge removes only old rows (never newer than the minimum) and leaves an
/// anchor so the rest still verifies.
async fn s11_retention(db: Db) {
    let d = support::demo(db).await;
    let store = &d.store;
    for i in 0..4 {
        store.audit(&entry("login", &format!("user u{i}"))).await.unwrap();
    }
    let op = Actor::cli("test");
    let refused = store.audit_purge(Utc::now(), 190, &op).await.unwrap_err();
    assert!(refused.to_string().contains("190"), "{refused}");
    // With no minimum (a test's privilege), everything so far is past a cut-off just ahead.
    let n = store.audit_purge(Utc::now() + chrono::Duration::seconds(1), -1, &op).await.unwrap();
    assert_eq!(n, 3, "the newest row always stays, so the chain goes on from it");
    store.audit(&entry("login", "user after")).await.unwrap();
    let r = store.audit_verify().await.unwrap();
    assert!(r.ok(), "{:?}", r.problems);
    assert_eq!(r.first_id, Some(4), "the kept row, the purge's own row and the new one");
    assert_eq!(r.rows, 3);
}
on_both!(s11_retention_purge, s11_retention);

/// S11: when the audit trail cannot be written, the operation is not done.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s11_fails_closed() {
    let app = support::app(Db::Sqlite).await;
    let c = support::page_login(&app, "county").await;
    let before = support::client();
    // The trail breaks (a full disk, a lost table …): played by a trigger refusing inserts.
    support::raw_exec(
        &app.demo._db.url,
        "CREATE TRIGGER audit_broken BEFORE INSERT ON audit_log BEGIN SELECT RAISE(ABORT, 'disk full'); END;",
    )
    .await
    .unwrap();
    let r = c.get(format!("{}/data/export.xlsx?region=370828", app.base)).send().await.unwrap();
    assert_eq!(r.status(), 503, "no record, no export");
    assert!(r.text().await.unwrap().contains("审计日志暂时无法写入"));
    let r = before.post(format!("{}/login", app.base)).form(&[("username", "county"), ("password", PASSWORD)]).send().await.unwrap();
    assert_eq!(r.status(), 503, "no record, no login");
    assert!(r.headers().get("set-cookie").is_none(), "and no session handed out");
    // Creating an account writes both or neither.
    let n = app.demo.store.users().await.unwrap().len();
    let e = app
        .demo
        .store
        .create_user_audited(
            &hongzhu_store::NewUser {
                username: "ghost".into(),
                password_hash: hongzhu_web::auth::hash_password(PASSWORD),
                display_name: "x".into(),
                role: hongzhu_store::Role::AuditAdmin,
                region_code: None,
                org_id: None,
                person_id: None,
            },
            &entry("user_create", "user ghost"),
            true,
        )
        .await;
    assert!(e.is_err());
    assert_eq!(app.demo.store.users().await.unwrap().len(), n, "the account is not there without its audit row");
    support::raw_exec(&app.demo._db.url, "DROP TRIGGER audit_broken").await.unwrap();
    assert_eq!(c.get(format!("{}/data/export.xlsx?region=370828", app.base)).send().await.unwrap().status(), 200);
}

fn hongzhu() -> Command {
    Command::new(env!("CARGO_BIN_EXE_hongzhu"))
}

fn run(args: &[&str]) -> (bool, String) {
    let out = hongzhu().args(args).output().unwrap();
    (out.status.success(), format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)))
}

/// S22: the restore drill — back up, change, restore, and find the data as it was and the audit
/// trail intact; on SQLite with `VACUUM INTO`, on PostgreSQL with pg_dump.
async fn s22_drill(db: Db) {
    let d = support::demo(db).await;
    let url = d._db.url.clone();
    d.store.audit(&entry("login", "user before-backup")).await.unwrap();
    let dir = support::TempDir::new();
    let file = dir.0.join("backup.dump");
    let f = file.to_str().unwrap();
    let (ok, out) = run(&["--database", &url, "backup", f]);
    assert!(ok, "{out}");
    let (ok, out) = run(&["--database", &url, "backup", f]);
    assert!(!ok && out.contains("已存在"), "an existing backup is never overwritten: {out}");
    // After the backup: a new account.
    let (ok, _) = run(&["--database", &url, "audit-log", "verify"]);
    assert!(ok);
    d.store
        .create_user(
            &hongzhu_store::NewUser {
                username: "after".into(),
                password_hash: "x".into(),
                display_name: "x".into(),
                role: hongzhu_store::Role::AuditAdmin,
                region_code: None,
                org_id: None,
                person_id: None,
            },
            "t",
        )
        .await
        .unwrap();
    let totals = d.store.totals(&hongzhu_store::Scope::All).await.unwrap();
    d.store.close().await;
    let (ok, out) = run(&["--database", &url, "restore", f]);
    assert!(!ok && out.contains("--yes"), "restore asks for confirmation: {out}");
    let (ok, out) = run(&["--database", &url, "restore", f, "--yes"]);
    assert!(ok, "{out}");
    let store = hongzhu_store::Store::open(&url).await.unwrap();
    assert!(store.user_by_username("after").await.unwrap().is_none(), "back to the backup");
    assert_eq!(store.totals(&hongzhu_store::Scope::All).await.unwrap().institutions, totals.institutions);
    let v = store.audit_verify().await.unwrap();
    assert!(v.ok(), "{:?}", v.problems);
    let rows = store.audit_rows(&AuditFilter { page: 1, page_size: 100, ..Default::default() }).await.unwrap().items;
    for e in ["backup", "restore"] {
        assert!(rows.iter().any(|r| r.event == e), "{e} in the trail");
    }
    // A damaged backup is refused and the database stays.
    if url.starts_with("sqlite") {
        let bad = dir.0.join("bad.db");
        std::fs::write(&bad, b"not a database at all").unwrap();
        let (ok, out) = run(&["--database", &url, "restore", bad.to_str().unwrap(), "--yes"]);
        assert!(!ok, "{out}");
        assert!(hongzhu_store::Store::open(&url).await.unwrap().totals(&hongzhu_store::Scope::All).await.unwrap().institutions > 0);
    }
}
on_both!(s22_restore_drill, s22_drill);

/// S18: SQL goes only through bound parameters: no statement text is built with `format!` and
/// handed to the database outside the reviewed places (migrations, test fixtures).
#[test]
fn s18_no_sql_built_with_format() {
    let mut offenders = vec![];
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut stack = vec![root.join("crates")];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "rs") {
                let text = std::fs::read_to_string(&p).unwrap();
                for (i, line) in text.lines().enumerate() {
                    let raw = line.contains("raw_sql(")
                        || line.contains("sqlx::query(")
                        || line.contains("query_scalar(")
                        || line.contains("query_as(");
                    if raw && (line.contains("format!") || line.contains("AssertSqlSafe(format")) {
                        offenders.push(format!("{}:{}: {}", p.display(), i + 1, line.trim()));
                    }
                    // sqlx takes non-constant SQL text only through AssertSqlSafe: the one place
                    // allowed is the store's executor, which runs sea-query's rendered statements
                    // with their values bound.
                    let executor = p.ends_with("crates/store/src/db.rs");
                    if line.contains("AssertSqlSafe(") && !executor {
                        offenders.push(format!("{}:{}: {}", p.display(), i + 1, line.trim()));
                    }
                    if line.contains("Expr::cust(") && line.contains("format!") {
                        offenders.push(format!("{}:{}: {}", p.display(), i + 1, line.trim()));
                    }
                }
            }
        }
    }
    assert!(offenders.is_empty(), "SQL built from text:\n{}", offenders.join("\n"));
}

/// S23: the server is killed (SIGKILL) again and again while it writes records and imports
/// workbooks; afterwards the database is intact, holds every write the server acknowledged, and
/// no import is half there. At least 50 kills, bounded to about two minutes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s23_crash_safety_under_sigkill() {
    use reqwest::multipart::{Form, Part};
    use std::collections::HashSet;
    use std::time::{Duration, Instant};
    let d = support::demo(Db::Sqlite).await;
    let url = d._db.url.clone();
    d.store
        .create_user(
            &hongzhu_store::NewUser {
                username: "root".into(),
                password_hash: hongzhu_web::auth::hash_password(PASSWORD),
                display_name: "province".into(),
                role: hongzhu_store::Role::CountyAdmin,
                region_code: None,
                org_id: None,
                person_id: None,
            },
            "t",
        )
        .await
        .unwrap();
    d.store.close().await;
    // Workbooks to import: each a county of its own (30 schools), so "half there" is countable.
    let today = Utc::now().date_naive();
    let books: Vec<(String, Vec<u8>, usize)> = (0..6u32)
        .map(|i| {
            let data = hongzhu_core::synth::synthetic_county(11, today, 40 + i, 30);
            let county = data.regions.iter().find(|r| r.level == hongzhu_core::labels::RegionLevel::County).unwrap().code.to_string();
            let n = data.institutions.len();
            (county, hongzhu_ledger::write::export(&data, false).unwrap(), n)
        })
        .collect();
    let started = Instant::now();
    let mut acknowledged: Vec<String> = vec![];
    let mut kills = 0;
    let mut next_code = 0u32;
    let mut rng = 0x2545F4914F6CDD1Du64;
    let mut rand = move |n: u64| {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng % n
    };
    while kills < 50 && started.elapsed() < Duration::from_secs(150) {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let base = format!("http://127.0.0.1:{port}");
        let mut child = hongzhu()
            .args(["--database", &url, "serve", "--listen", &format!("127.0.0.1:{port}")])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let c = support::client();
        let mut up = false;
        for _ in 0..200 {
            if c.get(format!("{base}/healthz")).send().await.is_ok() {
                up = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        assert!(up, "the server starts after kill {kills}");
        let r = c.post(format!("{base}/api/v1/session")).json(&json!({"username": "root", "password": PASSWORD})).send().await.unwrap();
        let csrf = r.json::<Value>().await.unwrap()["csrf_token"].as_str().unwrap().to_string();
        // Writes and an import run until the kill, at a random moment.
        let deadline = Instant::now() + Duration::from_millis(20 + rand(400));
        let book = &books[(kills as usize) % books.len()];
        let import = {
            let c = c.clone();
            let csrf = csrf.clone();
            let base = base.clone();
            let bytes = book.1.clone();
            tokio::spawn(async move {
                let form = Form::new().part("file", Part::bytes(bytes).file_name("county.xlsx"));
                c.post(format!("{base}/api/v1/imports")).header("X-CSRF-Token", csrf).multipart(form).send().await
            })
        };
        while Instant::now() < deadline {
            next_code += 1;
            let code = format!("CRASH{next_code:06}");
            let body = json!({"code": code, "name": format!("崩溃测试学校{next_code}"), "kind": "primary", "ownership": "公办", "town": "370828103"});
            let sent = tokio::time::timeout(
                deadline.saturating_duration_since(Instant::now()),
                c.post(format!("{base}/api/v1/institutions")).header("X-CSRF-Token", &csrf).json(&body).send(),
            )
            .await;
            match sent {
                Ok(Ok(r)) if r.status() == 201 => acknowledged.push(code),
                _ => break,
            }
        }
        // Every third round lets the import finish before the kill, so both outcomes occur.
        if kills % 3 == 0 {
            let done = tokio::time::timeout(Duration::from_secs(30), import).await;
            assert!(matches!(done, Ok(Ok(Ok(ref r))) if r.status() == 200), "an import finishes when not killed: {done:?}");
        }
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        kills += 1;
    }
    assert!(kills >= 50, "only {kills} kills in the time allowed");
    let store = hongzhu_store::Store::open(&url).await.unwrap();
    // Intact.
    let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
    let verdict: String = sqlx::query_scalar("PRAGMA integrity_check").fetch_one(&pool).await.unwrap();
    pool.close().await;
    assert_eq!(verdict, "ok", "SQLite's integrity check after the kills");
    // Every acknowledged write is there.
    let data = store.load_registry("").await.unwrap();
    let have: HashSet<String> = data.institutions.iter().map(|i| i.code.to_string()).collect();
    let missing: Vec<&String> = acknowledged.iter().filter(|c| !have.contains(*c)).collect();
    assert!(missing.is_empty(), "{} of {} acknowledged writes lost: {missing:?}", missing.len(), acknowledged.len());
    assert!(acknowledged.len() > 50, "writes happened: {}", acknowledged.len());
    // Each county's import is all there or not at all, and the ones that answered are there.
    let mut whole = 0;
    for (county, _, n) in &books {
        let prefix = hongzhu_store::region_prefix(county);
        let got = data.institutions.iter().filter(|i| i.town.as_str().starts_with(&prefix)).count();
        assert!(got == 0 || got == *n, "county {county}: {got} of {n} schools — a half import");
        whole += usize::from(got == *n);
    }
    // The audit trail survived too.
    let v = store.audit_verify().await.unwrap();
    assert!(v.ok(), "{:?}", v.problems);
    assert!(whole >= 1, "imports that finished are there");
    eprintln!(
        "S23: {kills} kills in {:.0} s, {} acknowledged writes all present, {whole} of {} imports whole, none half",
        started.elapsed().as_secs_f64(),
        acknowledged.len(),
        books.len()
    );
}

/// S14: an unmasked export needs a second person's approval, is taken once by the one who asked,
/// and every step is in the audit trail; masked exports go without.
async fn s14_approval(db: Db) {
    let app = support::app(db).await;
    let (a, csrf) = support::api_login(&app, "county").await;
    let r = a.get(format!("{}/api/v1/exports?region=370828&full=1", app.base)).send().await.unwrap();
    assert_eq!(r.status(), 403);
    assert_eq!(r.json::<Value>().await.unwrap()["code"], "approval_required");
    assert_eq!(a.get(format!("{}/api/v1/exports?region=370828", app.base)).send().await.unwrap().status(), 200, "masked: no approval");
    // A request without a purpose is refused with what to write.
    let r = a
        .post(format!("{}/api/v1/export-requests", app.base))
        .header("x-csrf-token", &csrf)
        .json(&json!({"region": "370828"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    assert!(r.json::<Value>().await.unwrap()["message"].as_str().unwrap().contains("用途"));
    let r = a
        .post(format!("{}/api/v1/export-requests", app.base))
        .header("x-csrf-token", &csrf)
        .json(&json!({"region": "370828", "reason": "核对党员名册"}))
        .send()
        .await
        .unwrap();
    let id = r.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    // Not yet approved; and not by oneself.
    let r = a.get(format!("{}/api/v1/exports?region=370828&full=1&request={id}", app.base)).send().await.unwrap();
    assert_eq!(r.status(), 422);
    assert!(r.json::<Value>().await.unwrap()["message"].as_str().unwrap().contains("尚待审批"));
    let r = a
        .post(format!("{}/api/v1/export-requests/{id}", app.base))
        .header("x-csrf-token", &csrf)
        .json(&json!({"action": "approve"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    assert!(r.json::<Value>().await.unwrap()["message"].as_str().unwrap().contains("不能审批自己的申请"));
    // A secretary cannot decide it; the second county administrator can.
    let (sec, csrf_s) = support::api_login(&app, "yizhong").await;
    let r = sec
        .post(format!("{}/api/v1/export-requests/{id}", app.base))
        .header("x-csrf-token", &csrf_s)
        .json(&json!({"action": "approve"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let (b, csrf_b) = support::api_login(&app, "county2").await;
    let r = b
        .post(format!("{}/api/v1/export-requests/{id}", app.base))
        .header("x-csrf-token", &csrf_b)
        .json(&json!({"action": "approve"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    // Only the requester takes it, once.
    let r = b.get(format!("{}/api/v1/exports?region=370828&full=1&request={id}", app.base)).send().await.unwrap();
    assert_eq!(r.status(), 404, "not the approver");
    let r = a.get(format!("{}/api/v1/exports?region=370828&full=1&request={id}", app.base)).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let bytes = r.bytes().await.unwrap().to_vec();
    let sheets = hongzhu_ledger::read::read(bytes, &Default::default()).unwrap();
    let text: String = sheets.iter().flat_map(|s| s.rows.iter().flat_map(|r| r.cells().map(str::to_string))).collect::<Vec<_>>().join(" ");
    assert!(!support::digit_runs(&text, 18).is_empty(), "the approved file has full numbers");
    let r = a.get(format!("{}/api/v1/exports?region=370828&full=1&request={id}", app.base)).send().await.unwrap();
    assert_eq!(r.status(), 422);
    assert!(r.json::<Value>().await.unwrap()["message"].as_str().unwrap().contains("已使用过"));
    // The trail: asked, approved, exported under the request.
    assert_eq!(events(&app, "export_request").await.len(), 1);
    let decided = events(&app, "export_decision").await;
    assert_eq!(decided.len(), 1);
    assert_eq!(decided[0].username, "county2");
    assert!(
        events(&app, "export")
            .await
            .iter()
            .any(|e| e.username == "county" && e.detail.contains(&format!("approved request {id}")) && e.detail.contains("in full"))
    );
    // The page shows the request with its state.
    let c = support::page_login(&app, "county").await;
    let page = c.get(format!("{}/data", app.base)).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("核对党员名册") && page.contains("已下载"));
}
on_both!(s14_two_person_approval, s14_approval);

/// The issue's bad input: a forged CSRF token, a replayed session cookie, another scope's id, an
/// oversized body and malformed JSON each get their refusal (403/401/404/413/400), nothing is
/// written, and the refusal of the forged token is in the audit trail.
async fn bad_input(db: Db) {
    let app = support::app(db).await;
    let store = &app.demo.store;
    let (c, csrf) = support::api_login(&app, "yizhong").await;
    let before = store.data_version().await.unwrap();
    let url = format!("{}/api/v1/institutions/3708280001", app.base);
    let current: Value = c.get(&url).send().await.unwrap().json().await.unwrap();
    let version = current["version"].as_i64().unwrap().to_string();
    let forged = c
        .put(&url)
        .header("x-csrf-token", "0".repeat(64))
        .header("if-match", format!("\"{version}\""))
        .json(&json!({"name": "改名"}))
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 403);
    assert_eq!(forged.json::<Value>().await.unwrap()["code"], "csrf");
    let other = c
        .put(format!("{}/api/v1/institutions/3708280002", app.base))
        .header("x-csrf-token", &csrf)
        .header("if-match", "\"1\"")
        .json(&json!({"name": "改名"}))
        .send()
        .await
        .unwrap();
    assert_eq!(other.status(), 404, "another scope's id");
    // Oversized: the server answers 413 before reading it all, so the body is written on a raw
    // connection while the answer is read (a client that waits to finish writing sees a reset).
    let status = {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let host = app.base.trim_start_matches("http://").to_string();
        let plain = reqwest::Client::new();
        let login = plain
            .post(format!("{}/api/v1/session", app.base))
            .json(&json!({"username": "yizhong", "password": PASSWORD}))
            .send()
            .await
            .unwrap();
        let cookie = login.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_string();
        let token = login.json::<Value>().await.unwrap()["csrf_token"].as_str().unwrap().to_string();
        let stream = tokio::net::TcpStream::connect(&host).await.unwrap();
        let (mut rd, mut wr) = stream.into_split();
        let body = format!("{{\"name\": \"{}\"}}", "x".repeat(3 * 1024 * 1024));
        let head = format!(
            "PUT /api/v1/institutions/3708280001 HTTP/1.1\r\nHost: {host}\r\nCookie: {cookie}\r\nX-CSRF-Token: {token}\r\nIf-Match: \"{version}\"\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        );
        let writer = tokio::spawn(async move {
            let _ = wr.write_all(head.as_bytes()).await;
            let _ = wr.write_all(body.as_bytes()).await;
        });
        let mut buf = vec![0u8; 64];
        let n = rd.read(&mut buf).await.unwrap();
        writer.abort();
        String::from_utf8_lossy(&buf[..n]).split(' ').nth(1).unwrap_or("").to_string()
    };
    assert_eq!(status, "413", "oversized body");
    let r = c
        .put(&url)
        .header("x-csrf-token", &csrf)
        .header("if-match", format!("\"{version}\""))
        .header("content-type", "application/json")
        .body("{\"name\": ")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400, "malformed JSON");
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["code"], "malformed");
    assert!(body["message"].as_str().unwrap().contains("请求体应为 JSON"));
    // A session cookie replayed after logout.
    let cookie_client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let login = cookie_client
        .post(format!("{}/api/v1/session", app.base))
        .json(&json!({"username": "yizhong", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    let cookie = login.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_string();
    let token = login.json::<Value>().await.unwrap()["csrf_token"].as_str().unwrap().to_string();
    let out = cookie_client
        .delete(format!("{}/api/v1/session", app.base))
        .header("cookie", &cookie)
        .header("x-csrf-token", &token)
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), 204);
    let replay = cookie_client.get(&url).header("cookie", &cookie).send().await.unwrap();
    assert_eq!(replay.status(), 401, "a replayed cookie after logout");
    assert_eq!(store.data_version().await.unwrap(), before, "nothing was written");
    let denied = events(&app, "access_denied").await;
    assert!(
        denied.iter().any(|e| e.username == "yizhong" && e.object == "PUT /api/v1/institutions/3708280001"),
        "the forged token is audited"
    );
}
on_both!(bad_input_is_refused, bad_input);

/// Every run of digits in some bytes that is `n` long (or `n - 1` and an X, for IDs).
fn number_runs(bytes: &[u8], n: usize) -> Vec<String> {
    let mut out = vec![];
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i].is_ascii_digit() {
            let start = i;
            while i < bytes.len() && bytes[i].is_ascii_digit() {
                i += 1;
            }
            let mut end = i;
            if end - start == n - 1 && i < bytes.len() && (bytes[i] == b'X' || bytes[i] == b'x') {
                end += 1;
            }
            if end - start == n {
                out.push(String::from_utf8_lossy(&bytes[start..end]).to_string());
            }
        } else {
            i += 1;
        }
    }
    out
}

/// S13: ID and phone numbers are sealed at rest: neither the SQLite file nor its WAL holds an
/// 18-digit ID or any of the county's phone numbers; a person is still found by ID number (the
/// blind index); and `hongzhu keys rotate` seals everything again under a new data key.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s13_sealed_at_rest_and_key_rotation() {
    let app = support::app(Db::Sqlite).await;
    let store = &app.demo.store;
    let data = store.load_registry("").await.unwrap();
    let phones: std::collections::HashSet<String> = data.persons.iter().filter_map(|p| p.phone.as_ref().map(|x| x.to_string())).collect();
    assert!(phones.len() > 1000, "the demo has phones to find: {}", phones.len());
    // A write through the API lands in the WAL.
    let (c, csrf) = support::api_login(&app, "county").await;
    let r = c
        .post(format!("{}/api/v1/staff", app.base))
        .header("x-csrf-token", &csrf)
        .json(&json!({"id_number": "370828199203154419", "name": "封存测试", "gender": "男", "phone": "13912345678", "institution": "3708280001", "post": "教师", "political_status": "群众"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    let file = hongzhu_store::keys::sqlite_file(&app.demo._db.url).unwrap();
    let mut wal = file.clone().into_os_string();
    wal.push("-wal");
    let mut bytes = std::fs::read(&file).unwrap();
    bytes.extend(std::fs::read(std::path::PathBuf::from(wal)).unwrap_or_default());
    // An ID number is 18 characters passing R7.1–R7.2 (a real birth date, the check character);
    // hex digests and tokens (sessions, the audit chain) can hold a run of 18 digits by chance,
    // so a run counts when it is a valid ID number or one of the county's.
    let known: std::collections::HashSet<String> = data.persons.iter().map(|p| p.id_number.as_str().to_string()).collect();
    assert!(known.len() > 6000, "the demo has ID numbers to find: {}", known.len());
    let ids: Vec<String> = number_runs(&bytes, 18)
        .into_iter()
        .filter(|r| known.contains(r) || r == "370828199203154419" || hongzhu_core::IdNumber::parse(r).is_ok())
        .collect();
    assert!(ids.is_empty(), "ID numbers in the database files: {:?}", &ids[..ids.len().min(5)]);
    let found_phones: Vec<String> = number_runs(&bytes, 11).into_iter().filter(|p| phones.contains(p) || p == "13912345678").collect();
    assert!(found_phones.is_empty(), "phone numbers in the database files: {:?}", &found_phones[..found_phones.len().min(5)]);
    // Found by ID number all the same.
    let hit: Value = c.get(format!("{}/api/v1/staff?q=370828199203154419", app.base)).send().await.unwrap().json().await.unwrap();
    assert_eq!(hit["total"], 1);
    assert_eq!(hit["items"][0]["name"], "封存测试");
    // Rotation: every value sealed again, still readable, not with the old key.
    let url = app.demo._db.url.clone();
    let key_file = hongzhu_store::Keys::file_for(&url).unwrap();
    let old = hongzhu_store::Keys::load_or_create(&key_file).unwrap();
    let before = store.load_registry("").await.unwrap();
    let (ok, out) = run(&["--database", &url, "keys", "rotate"]);
    assert!(ok, "{out}");
    let new = hongzhu_store::Keys::load_or_create(&key_file).unwrap();
    assert_ne!(new.data, old.data);
    assert!(new.data_previous.is_none(), "the old key left the file");
    assert_eq!(new.index, old.index, "the blind index stays");
    let reopened = hongzhu_store::Store::open_with_keys(&url, new.clone()).await.unwrap();
    let after = reopened.load_registry("").await.unwrap();
    assert_eq!(after.persons.len(), before.persons.len());
    let ids_before: Vec<String> = before.persons.iter().map(|p| p.id_number.as_str().to_string()).collect();
    let ids_after: Vec<String> = after.persons.iter().map(|p| p.id_number.as_str().to_string()).collect();
    assert_eq!(ids_before, ids_after, "every number reads back the same");
    let only_old = hongzhu_store::Keys { data_previous: None, ..old.clone() };
    let with_old = hongzhu_store::Store::open_with_keys(&url, only_old).await.unwrap();
    assert!(with_old.load_registry("").await.is_err(), "the old key no longer opens anything");
    assert!(
        reopened
            .audit_rows(&AuditFilter { event: Some("key_rotation".into()), page: 1, page_size: 5, ..Default::default() })
            .await
            .unwrap()
            .total
            == 1
    );
}

/// S15: a deleted record stays with its history until its retention ends; then `purge` removes
/// it, its history and what hangs on it (attendance), and the person nothing refers to any more;
/// a dry run removes nothing; records deleted lately stay.
async fn s15_retention(db: Db) {
    let app = support::app(db).await;
    support::load_life(&app).await;
    let store = &app.demo.store;
    let url = app.demo._db.url.clone();
    let members = store
        .members(
            &hongzhu_store::Scope::All,
            &hongzhu_store::PeopleFilter { org: Some("JX-EZ-ZZ".into()), page: 1, page_size: 50, ..Default::default() },
        )
        .await
        .unwrap()
        .items;
    let old = &members[0];
    let recent = &members[1];
    let (mid, pid) = (old.meta.id, old.person.person_id);
    let count = |sql: String| {
        let url = url.clone();
        async move {
            if url.starts_with("sqlite") {
                let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
                let n: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(sql)).fetch_one(&pool).await.unwrap();
                pool.close().await;
                n
            } else {
                let pool = sqlx::PgPool::connect(&url).await.unwrap();
                let n: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(sql)).fetch_one(&pool).await.unwrap();
                pool.close().await;
                n
            }
        }
    };
    assert!(count(format!("SELECT count(*) FROM attendance WHERE member_id = {mid}")).await > 0, "the member has attendance");
    // Deleted six years ago (the person's staff post too), and another member deleted last week.
    support::raw_exec(&url, &format!("UPDATE members SET deleted_at = '2020-01-01 00:00:00+00:00' WHERE id = {mid}")).await.unwrap();
    support::raw_exec(&url, &format!("UPDATE staff SET deleted_at = '2020-01-01 00:00:00+00:00' WHERE person_id = {pid}")).await.unwrap();
    let recent_at = (Utc::now() - chrono::Duration::days(7)).format("%Y-%m-%d %H:%M:%S+00:00");
    support::raw_exec(&url, &format!("UPDATE members SET deleted_at = '{recent_at}' WHERE id = {}", recent.meta.id)).await.unwrap();
    support::raw_exec(
        &url,
        &format!("INSERT INTO change_log (table_name, record_id, action, actor, at, before_json, after_json) VALUES ('members', {mid}, 'delete', 't', '2020-01-01 00:00:00+00:00', NULL, NULL)"),
    )
    .await
    .unwrap();
    let now = Utc::now();
    let cutoff = now - chrono::Duration::days(1825);
    let op = Actor::cli("test");
    let dry = store.purge_expired(cutoff, now - chrono::Duration::days(365), true, &op).await.unwrap();
    assert_eq!(dry.get("members"), Some(&1));
    assert!(dry.get("attendance").copied().unwrap_or(0) > 0);
    assert_eq!(dry.get("persons"), Some(&1), "the person goes with their last record");
    assert_eq!(count(format!("SELECT count(*) FROM members WHERE id = {mid}")).await, 1, "a dry run removes nothing");
    let done = store.purge_expired(cutoff, now - chrono::Duration::days(365), false, &op).await.unwrap();
    assert_eq!(done, dry, "the run removes what the dry run counted");
    assert_eq!(count(format!("SELECT count(*) FROM members WHERE id = {mid}")).await, 0);
    assert_eq!(count(format!("SELECT count(*) FROM attendance WHERE member_id = {mid}")).await, 0);
    assert_eq!(
        count(format!("SELECT count(*) FROM change_log WHERE table_name = 'members' AND record_id = {mid}")).await,
        0,
        "and its history"
    );
    assert_eq!(count(format!("SELECT count(*) FROM persons WHERE id = {pid}")).await, 0);
    assert_eq!(count(format!("SELECT count(*) FROM members WHERE id = {}", recent.meta.id)).await, 1, "deleted last week: kept");
    let e =
        store.audit_rows(&AuditFilter { event: Some("purge".into()), page: 1, page_size: 5, ..Default::default() }).await.unwrap().items;
    assert_eq!(e.len(), 1);
    assert!(e[0].detail.contains("members 1"), "{}", e[0].detail);
    // Nothing left to do the second time.
    assert!(store.purge_expired(cutoff, now - chrono::Duration::days(365), false, &op).await.unwrap().is_empty());
}
on_both!(s15_retention_and_purge, s15_retention);

/// S8: ID and phone numbers are labelled sensitive and shown masked; showing them in full needs
/// its own permission, granted by the security administrator, a recent re-authentication (S4),
/// and is audited (S9).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s08_unmasking_needs_its_own_permission() {
    let app = support::app(Db::Sqlite).await;
    let store = &app.demo.store;
    let member = store
        .members(
            &hongzhu_store::Scope::All,
            &hongzhu_store::PeopleFilter { org: Some("JX-YZ-ZB1".into()), page: 1, page_size: 1, ..Default::default() },
        )
        .await
        .unwrap()
        .items
        .remove(0);
    let full = member.person.id_number.as_str().to_string();
    let c = support::page_login(&app, "county").await;
    let page = c.get(format!("{}/members/{}", app.base, member.meta.id)).send().await.unwrap().text().await.unwrap();
    assert!(
        page.contains("敏感") && !page.contains(&full) && !page.contains("显示完整号码"),
        "masked, labelled, no button without the permission"
    );
    let r = c
        .post(format!("{}/members/{}/unmask", app.base, member.meta.id))
        .form(&[("_csrf", support::csrf_in(&page).as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403, "no permission");
    // The security administrator grants it (after typing the password again).
    let (sec, _) = support::admin_login(&app, "secadmin").await;
    let id = store.user_by_username("county").await.unwrap().unwrap().id;
    let admin_page = sec.get(format!("{}/admin/users/{id}", app.base)).send().await.unwrap().text().await.unwrap();
    let r = sec
        .post(format!("{}/admin/users/{id}", app.base))
        .form(&[("_csrf", support::csrf_in(&admin_page).as_str()), ("action", "grant_unmask")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert!(store.user_by_username("county").await.unwrap().unwrap().can_unmask);
    let page = c.get(format!("{}/members/{}", app.base, member.meta.id)).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("显示完整号码"));
    let r = c
        .post(format!("{}/members/{}/unmask", app.base, member.meta.id))
        .form(&[("_csrf", support::csrf_in(&page).as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains(&full), "the number in full");
    // Later, it asks for the password again.
    support::raw_exec(&app.demo._db.url, "UPDATE sessions SET reauth_at = NULL").await.unwrap();
    let r = c
        .post(format!("{}/members/{}/unmask", app.base, member.meta.id))
        .form(&[("_csrf", support::csrf_in(&page).as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert!(r.headers()["location"].to_str().unwrap().starts_with("/account/reauth"));
    let unmasks = events(&app, "unmask").await;
    assert_eq!(unmasks.len(), 1);
    assert_eq!(unmasks[0].object, format!("member {}", member.meta.id));
    assert!(events(&app, "user_change").await.iter().any(|e| e.detail.contains("in full")));
}
