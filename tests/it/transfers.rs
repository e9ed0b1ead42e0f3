//! 组织关系转接 and member status on both databases: a member is in one organization or visibly
//! in transit, never lost; a transfer nobody accepts stays on the list; the wrong side or a wrong
//! date is refused with nothing written; a transfer out ends with the receipt; status changes keep
//! their history.
use chrono::{Duration, Utc};
use hongzhu_store::{PeopleFilter, Scope};
use serde_json::{Value, json};

use crate::support::{self, Db};

async fn post(c: &reqwest::Client, csrf: &str, url: String, body: Value) -> (u16, Value) {
    let r = c.post(url).header("x-csrf-token", csrf).json(&body).send().await.unwrap();
    let s = r.status().as_u16();
    (s, r.json().await.unwrap_or(Value::Null))
}

async fn lifecycle(db: Db) {
    let app = support::app(db).await;
    let store = &app.demo.store;
    let base = app.base.clone();
    let (county, csrf) = support::api_login(&app, "county").await;
    let (sec, sec_csrf) = support::api_login(&app, "yizhong").await;
    let members = store
        .members(&Scope::All, &PeopleFilter { org: Some("JX-EZ-ZZ".into()), page: 1, page_size: 20, ..Default::default() })
        .await
        .unwrap()
        .items;
    let plain: Vec<i64> = members.iter().filter(|m| m.party_post.is_none()).map(|m| m.meta.id).collect();
    let today = hongzhu_core::life::to_local(Utc::now()).date();
    let forty_ago = (today - Duration::days(40)).to_string();

    // A transfer within the county, started 40 days ago and never accepted.
    let (s, t) = post(
        &county,
        &csrf,
        format!("{base}/api/v1/members/{}/transfers", plain[0]),
        json!({"kind": "within", "to_org": "JX-SX-ZZ", "started_on": forty_ago}),
    )
    .await;
    assert_eq!(s, 201, "{t}");
    let tid = t["id"].as_i64().unwrap();
    assert!(t["letter_no"].as_str().unwrap().contains('号'), "numbered: {t}");
    // Still in the sending organization, visibly in transit.
    let m = store.member(&Scope::All, plain[0]).await.unwrap().unwrap();
    assert_eq!(m.org.as_str(), "JX-EZ-ZZ");
    assert!(m.in_transit);
    let list: Value = county.get(format!("{base}/api/v1/transfers?status=pending")).send().await.unwrap().json().await.unwrap();
    let row = list["items"].as_array().unwrap().iter().find(|x| x["id"] == tid).expect("the open transfer is listed");
    assert!(row["days"].as_i64().unwrap() >= 40, "{row}");
    let page =
        support::page_login(&app, "county").await.get(format!("{base}/members/transfers")).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("待接收") && page.contains("已 40 天"), "the page shows how long it waits");
    // One open transfer per member.
    let (s, e) = post(
        &county,
        &csrf,
        format!("{base}/api/v1/members/{}/transfers", plain[0]),
        json!({"kind": "within", "to_org": "JX-YZ-ZB1", "started_on": today.to_string()}),
    )
    .await;
    assert_eq!(s, 422);
    assert!(e.to_string().contains("待接收"), "{e}");
    // The school secretary of another school is neither side: not found.
    let (s, _) =
        post(&sec, &sec_csrf, format!("{base}/api/v1/transfers/{tid}/decision"), json!({"decision": "accept", "on": today.to_string()}))
            .await;
    assert_eq!(s, 404);
    // Wrong decisions and dates are refused, nothing changes.
    for (body, word) in [
        (json!({"decision": "complete", "on": today.to_string()}), "接收"),
        (json!({"decision": "accept", "on": (today - Duration::days(41)).to_string()}), "早于"),
        (json!({"decision": "accept", "on": (today + Duration::days(1)).to_string()}), "晚于今天"),
        (json!({"decision": "return", "on": today.to_string(), "reason": ""}), "原因"),
    ] {
        let (s, e) = post(&county, &csrf, format!("{base}/api/v1/transfers/{tid}/decision"), body).await;
        assert_eq!(s, 422, "{e}");
        assert!(e.to_string().contains(word), "{word}: {e}");
    }
    assert!(store.member(&Scope::All, plain[0]).await.unwrap().unwrap().in_transit);
    // Accepted: the member is in the receiving organization, no longer in transit.
    let (s, e) =
        post(&county, &csrf, format!("{base}/api/v1/transfers/{tid}/decision"), json!({"decision": "accept", "on": today.to_string()}))
            .await;
    assert_eq!(s, 200, "{e}");
    let m = store.member(&Scope::All, plain[0]).await.unwrap().unwrap();
    assert_eq!(m.org.as_str(), "JX-SX-ZZ");
    assert!(!m.in_transit);

    // To outside: the destination is required; the letter prints with the ID masked; the receipt
    // completes it and the membership here ends.
    let (s, e) = post(
        &county,
        &csrf,
        format!("{base}/api/v1/members/{}/transfers", plain[1]),
        json!({"kind": "out", "started_on": today.to_string()}),
    )
    .await;
    assert_eq!(s, 422);
    assert!(e.to_string().contains("转往"), "{e}");
    let (s, t) = post(
        &county,
        &csrf,
        format!("{base}/api/v1/members/{}/transfers", plain[1]),
        json!({"kind": "out", "outside": "中共济宁市第一中学委员会", "started_on": today.to_string()}),
    )
    .await;
    assert_eq!(s, 201);
    let out = t["id"].as_i64().unwrap();
    let letter = county.get(format!("{base}/members/transfers/{out}/letter")).send().await.unwrap().text().await.unwrap();
    assert!(letter.contains("党员组织关系介绍信") && letter.contains("中共济宁市第一中学委员会") && letter.contains("回执"));
    assert!(support::digit_runs(&letter, 18).is_empty(), "no full ID number on the letter");
    let (s, _) =
        post(&county, &csrf, format!("{base}/api/v1/transfers/{out}/decision"), json!({"decision": "complete", "on": today.to_string()}))
            .await;
    assert_eq!(s, 200);
    assert!(store.member(&Scope::All, plain[1]).await.unwrap().is_none(), "off the roster");
    let history = store.status_history(plain[1]).await.unwrap();
    assert_eq!(history[0].to_status, hongzhu_core::labels::MemberStatus::TransferredOut);
    let done: Value = county.get(format!("{base}/api/v1/transfers?status=completed")).send().await.unwrap().json().await.unwrap();
    assert!(done["items"].as_array().unwrap().iter().any(|x| x["id"] == out), "the completed transfer stays listed");
    let x = support::page_login(&app, "county").await.get(format!("{base}/members/transfers.xlsx?kind=out")).send().await.unwrap();
    assert_eq!(x.status(), 200);
    let sheets = hongzhu_ledger::read::read(x.bytes().await.unwrap().to_vec(), &hongzhu_ledger::read::Limits::default()).unwrap();
    let cells: Vec<String> = sheets[0].rows.iter().flat_map(|r| r.cells().map(str::to_string)).collect();
    assert!(
        cells.iter().any(|c| c == "中共济宁市第一中学委员会") && !cells.iter().any(|c| c == "系统内转接"),
        "the filtered list as a workbook"
    );

    // Status: a reason is needed; a floating member stays on the roster; death ends it.
    let url = format!("{base}/api/v1/members/{}/status", plain[2]);
    let (s, e) = post(&county, &csrf, url.clone(), json!({"status": "floating", "on": today.to_string()})).await;
    assert_eq!(s, 422);
    assert!(e.to_string().contains("原因"), "{e}");
    let (s, _) = post(&county, &csrf, url.clone(), json!({"status": "floating", "on": today.to_string(), "reason": "外出务工"})).await;
    assert_eq!(s, 200);
    let m = store.member(&Scope::All, plain[2]).await.unwrap().unwrap();
    assert_eq!(m.status, hongzhu_core::labels::MemberStatus::Floating);
    let (s, e) = post(&county, &csrf, url.clone(), json!({"status": "transferred_out", "on": today.to_string(), "reason": "调走"})).await;
    assert_eq!(s, 422, "a transfer out goes through a transfer: {e}");
    let (s, _) = post(&county, &csrf, url.clone(), json!({"status": "deceased", "on": today.to_string(), "reason": "病故"})).await;
    assert_eq!(s, 200);
    assert!(store.member(&Scope::All, plain[2]).await.unwrap().is_none());
    let h = store.status_history(plain[2]).await.unwrap();
    assert_eq!(h.len(), 2, "both changes kept");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transfers_and_status_on_sqlite() {
    lifecycle(Db::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transfers_and_status_on_postgres() {
    if support::pg_url().is_none() {
        eprintln!("HONGZHU_TEST_PG not set: skipped");
        return;
    }
    lifecycle(Db::Postgres).await;
}
