//! The JSON API: sessions, lists, items, If-Match, errors, CSRF and scopes.
use serde_json::{Value, json};

use crate::on_both;
use crate::support::{self, Db};

async fn sessions_and_lists(db: Db) {
    let app = support::app(db).await;
    let anon = support::client();
    let r = anon.get(format!("{}/api/v1/institutions", app.base)).send().await.unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(r.json::<Value>().await.unwrap()["code"], "unauthorized");
    let bad =
        anon.post(format!("{}/api/v1/session", app.base)).json(&json!({"username": "county", "password": "wrong"})).send().await.unwrap();
    assert_eq!(bad.status(), 401);
    assert_eq!(bad.json::<Value>().await.unwrap()["code"], "bad_credentials");

    let (c, csrf) = support::api_login(&app, "county").await;
    let list: Value =
        c.get(format!("{}/api/v1/institutions?page_size=10&kind=teaching_point", app.base)).send().await.unwrap().json().await.unwrap();
    assert_eq!(list["total"], 26);
    assert_eq!(list["page_size"], 10);
    assert_eq!(list["items"].as_array().unwrap().len(), 10);
    assert!(list["items"][0]["version"].is_i64());
    let q: Value = c
        .get(format!("{}/api/v1/institutions?q=%E5%8D%9C%E9%9B%86%E9%95%87%E4%B8%AD%E5%BF%83%E5%B0%8F%E5%AD%A6", app.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(q["total"], 1);
    let one = c.get(format!("{}/api/v1/institutions/3708280001", app.base)).send().await.unwrap();
    assert_eq!(one.headers()["etag"], "\"1\"");
    let one: Value = one.json().await.unwrap();
    assert_eq!(one["name"], "金乡县第一中学");
    let regions: Value = c.get(format!("{}/api/v1/regions", app.base)).send().await.unwrap().json().await.unwrap();
    assert_eq!(regions["total"], 16, "province, city, county and 13 towns");
    let orgs: Value = c.get(format!("{}/api/v1/orgs?kind=branch&page_size=5", app.base)).send().await.unwrap().json().await.unwrap();
    assert!(orgs["total"].as_i64().unwrap() > 50);
    let staff: Value =
        c.get(format!("{}/api/v1/staff?institution=3708280001&page_size=5", app.base)).send().await.unwrap().json().await.unwrap();
    assert_eq!(staff["total"], 300);
    // S12: masked in the API too.
    let id = staff["items"][0]["id_number"].as_str().unwrap();
    assert!(id.contains("********"), "{id}");
    let members: Value =
        c.get(format!("{}/api/v1/members?org=JX-YZ-ZB1&category=full", app.base)).send().await.unwrap().json().await.unwrap();
    assert!(members["total"].as_i64().unwrap() > 20);
    // An unknown filter value is an error that lists the accepted ones.
    let r = c.get(format!("{}/api/v1/institutions?kind=school", app.base)).send().await.unwrap();
    assert_eq!(r.status(), 422);
    let e: Value = r.json().await.unwrap();
    assert_eq!(e["field"], "kind");
    assert!(e["message"].as_str().unwrap().contains("teaching_point"));
    // Unknown API routes answer JSON.
    let r = c.get(format!("{}/api/v1/nothing", app.base)).send().await.unwrap();
    assert_eq!(r.status(), 404);
    assert_eq!(r.json::<Value>().await.unwrap()["code"], "not_found");
    // Logout ends the session.
    let r = c.delete(format!("{}/api/v1/session", app.base)).header("X-CSRF-Token", &csrf).send().await.unwrap();
    assert_eq!(r.status(), 204);
    assert_eq!(c.get(format!("{}/api/v1/institutions", app.base)).send().await.unwrap().status(), 401);
}
on_both!(api_sessions_and_lists, sessions_and_lists);

async fn create_and_update_with_if_match(db: Db) {
    let app = support::app(db).await;
    let (c, csrf) = support::api_login(&app, "county").await;
    let url = format!("{}/api/v1/institutions", app.base);
    let body = json!({"code": "3708289001", "name": "金乡县鸡黍镇新建小学", "kind": "primary", "ownership": "公办", "town": "370828103", "longitude": 116.41, "latitude": 35.13, "students": 300});
    // Without the CSRF token: refused.
    let r = c.post(&url).json(&body).send().await.unwrap();
    assert_eq!(r.status(), 403);
    assert_eq!(r.json::<Value>().await.unwrap()["code"], "csrf");
    let r = c.post(&url).header("X-CSRF-Token", &csrf).json(&body).send().await.unwrap();
    assert_eq!(r.status(), 201);
    let created: Value = r.json().await.unwrap();
    assert_eq!(created["students"], 300);
    assert_eq!(created["version"], 1);
    // The same code again: a conflict naming the field.
    let r = c.post(&url).header("X-CSRF-Token", &csrf).json(&body).send().await.unwrap();
    assert_eq!(r.status(), 409);
    assert_eq!(r.json::<Value>().await.unwrap()["field"], "code");
    // Bad values: each named with what is accepted.
    let bad = json!({"code": "1", "name": "", "kind": "学校", "ownership": "公办", "town": "370828103", "latitude": "95"});
    let r = c.post(&url).header("X-CSRF-Token", &csrf).json(&bad).send().await.unwrap();
    assert_eq!(r.status(), 422);
    let e: Value = r.json().await.unwrap();
    assert_eq!(e["field"], "code");
    let fields: Vec<&str> = e["errors"].as_array().unwrap().iter().map(|x| x["field"].as_str().unwrap()).collect();
    for f in ["code", "name", "kind", "latitude"] {
        assert!(fields.contains(&f), "{f} in {fields:?}");
    }
    let r = c.post(&url).header("X-CSRF-Token", &csrf).header("content-type", "application/json").body("{not json").send().await.unwrap();
    assert_eq!(r.status(), 400, "malformed JSON is a bad request");
    assert_eq!(r.json::<Value>().await.unwrap()["code"], "malformed");

    let item = format!("{url}/3708289001");
    let mut changed = body.clone();
    changed["name"] = json!("金乡县鸡黍镇实验小学");
    // No If-Match: 428.
    let r = c.put(&item).header("X-CSRF-Token", &csrf).json(&changed).send().await.unwrap();
    assert_eq!(r.status(), 428);
    let r = c.put(&item).header("X-CSRF-Token", &csrf).header("If-Match", "\"1\"").json(&changed).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["etag"], "\"2\"");
    // Stale: 412 and nothing changed.
    changed["name"] = json!("过期的修改");
    let r = c.put(&item).header("X-CSRF-Token", &csrf).header("If-Match", "\"1\"").json(&changed).send().await.unwrap();
    assert_eq!(r.status(), 412);
    assert_eq!(r.json::<Value>().await.unwrap()["code"], "stale");
    let now: Value = c.get(&item).send().await.unwrap().json().await.unwrap();
    assert_eq!(now["name"], "金乡县鸡黍镇实验小学");

    // Organizations and people.
    let org = json!({"code": "JX-103-SY", "name": "中共金乡县鸡黍镇实验小学支部委员会", "kind": "党支部", "parent": "JX-103-ZZ", "region": "370828", "term_start": "2025-09-01"});
    let r = c.post(format!("{}/api/v1/orgs", app.base)).header("X-CSRF-Token", &csrf).json(&org).send().await.unwrap();
    assert_eq!(r.status(), 201);
    assert_eq!(r.json::<Value>().await.unwrap()["term_end"], "2028-09-01");
    let staff = json!({"id_number": "370828199001011233", "name": "李强", "institution": "3708289001", "political_status": "中共党员", "phone": "13800001111", "backbone": true});
    let r = c.post(format!("{}/api/v1/staff", app.base)).header("X-CSRF-Token", &csrf).json(&staff).send().await.unwrap();
    let status = r.status();
    let s: Value = r.json().await.unwrap();
    assert_eq!(status, 201, "{s}");
    assert_eq!(s["phone"], "138****1111");
    let bad_id = json!({"id_number": "370828199001011238", "name": "李强", "institution": "3708289001", "political_status": "群众"});
    let r = c.post(format!("{}/api/v1/staff", app.base)).header("X-CSRF-Token", &csrf).json(&bad_id).send().await.unwrap();
    assert_eq!(r.status(), 422);
    let e: Value = r.json().await.unwrap();
    assert_eq!((e["field"].as_str(), e["code"].as_str()), (Some("id_number"), Some("id_checksum")));
    let member = json!({"id_number": "370828199001011233", "category": "正式党员", "admitted_on": "2015-07-01", "full_on": "2016-07-01", "org": "JX-103-SY", "work_institution": "3708289001", "party_post": "书记"});
    let r = c.post(format!("{}/api/v1/members", app.base)).header("X-CSRF-Token", &csrf).json(&member).send().await.unwrap();
    assert_eq!(r.status(), 201);
}
on_both!(api_writes, create_and_update_with_if_match);

async fn roles_see_only_their_scope(db: Db) {
    let app = support::app(db).await;
    // A secretary: their school, not another (S6: another scope's id answers 404).
    let (c, csrf) = support::api_login(&app, "yizhong").await;
    let list: Value = c.get(format!("{}/api/v1/institutions", app.base)).send().await.unwrap().json().await.unwrap();
    assert_eq!(list["total"], 1);
    assert_eq!(c.get(format!("{}/api/v1/institutions/3708280001", app.base)).send().await.unwrap().status(), 200);
    assert_eq!(c.get(format!("{}/api/v1/institutions/3708280002", app.base)).send().await.unwrap().status(), 404);
    assert_eq!(c.get(format!("{}/api/v1/orgs/JX-EZ-ZZ", app.base)).send().await.unwrap().status(), 404);
    assert_eq!(c.get(format!("{}/api/v1/orgs/JX-YZ-ZB3", app.base)).send().await.unwrap().status(), 200);
    // Creating institutions is the county's work.
    let r = c
        .post(format!("{}/api/v1/institutions", app.base))
        .header("X-CSRF-Token", &csrf)
        .json(&json!({"code": "X-0001"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    // Staff of another school cannot be read or written.
    let county = support::api_login(&app, "county").await.0;
    let other: Value =
        county.get(format!("{}/api/v1/staff?institution=3708280002&page_size=1", app.base)).send().await.unwrap().json().await.unwrap();
    let other_id = other["items"][0]["id"].as_i64().unwrap();
    assert_eq!(c.get(format!("{}/api/v1/staff/{other_id}", app.base)).send().await.unwrap().status(), 404);
    let r = c
        .put(format!("{}/api/v1/staff/{other_id}", app.base))
        .header("X-CSRF-Token", &csrf)
        .header("If-Match", "\"1\"")
        .json(&json!({"name": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);

    // A member: only themselves.
    let (m, _) = support::api_login(&app, "dangyuan").await;
    let mine: Value = m.get(format!("{}/api/v1/members", app.base)).send().await.unwrap().json().await.unwrap();
    assert_eq!(mine["total"], 1);
    assert_eq!(mine["items"][0]["person_id"], app.member_person);
    let staff: Value = m.get(format!("{}/api/v1/staff", app.base)).send().await.unwrap().json().await.unwrap();
    assert_eq!(staff["total"], 1);
    let inst: Value = m.get(format!("{}/api/v1/institutions", app.base)).send().await.unwrap().json().await.unwrap();
    assert_eq!(inst["total"], 1, "their own school only");
    assert_eq!(m.get(format!("{}/api/v1/orgs/JX-JYGW", app.base)).send().await.unwrap().status(), 404);
}
on_both!(api_scopes, roles_see_only_their_scope);

/// S16: a state-changing request from another origin is refused even with a valid token.
#[tokio::test]
async fn cross_origin_writes_are_refused() {
    let app = support::app(Db::Sqlite).await;
    let (c, csrf) = support::api_login(&app, "county").await;
    let r = c
        .post(format!("{}/api/v1/orgs", app.base))
        .header("X-CSRF-Token", &csrf)
        .header("Origin", "http://evil.example")
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert_eq!(r.json::<Value>().await.unwrap()["code"], "csrf");
}

#[tokio::test]
async fn openapi_is_served_and_browsable() {
    let app = support::app(Db::Sqlite).await;
    let c = support::client();
    let spec: Value = c.get(format!("{}/api/v1/openapi.json", app.base)).send().await.unwrap().json().await.unwrap();
    assert_eq!(spec["openapi"], "3.1.0");
    assert!(spec["paths"]["/api/v1/institutions/{code}"]["put"].is_object());
    let docs = c.get(format!("{}/api/docs", app.base)).send().await.unwrap().text().await.unwrap();
    assert!(docs.contains("/api/v1/members/{id}") && !docs.contains("<script"), "offline and script-free");
}
