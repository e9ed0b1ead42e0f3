//! 党费 end to end on both databases: bases at the bracket edges and for every other category
//! (R4.2, R4.3), the R4.5 setting, payments with their refusals (nothing written), a back payment
//! over 6 months flagged (R4.4), a reduction through review and approval by the right level
//! (R4.4), the ledger's Excel and the publication.
use chrono::{Datelike, Utc};
use hongzhu_core::dues::Fen;
use hongzhu_store::dues::ReductionStep;
use hongzhu_store::{PeopleFilter, Scope};
use serde_json::{Value, json};

use crate::support::{self, Db};

async fn send(c: &reqwest::Client, csrf: &str, method: reqwest::Method, url: String, body: Value) -> (u16, Value) {
    let r = c.request(method, url).header("x-csrf-token", csrf).json(&body).send().await.unwrap();
    let s = r.status().as_u16();
    (s, r.json().await.unwrap_or(Value::Null))
}

async fn dues(db: Db) {
    let app = support::app(db).await;
    let store = &app.demo.store;
    let base = app.base.clone();
    let (county, csrf) = support::api_login(&app, "county").await;
    let today = hongzhu_core::life::to_local(Utc::now()).date();
    let year = today.year();
    let members = store
        .members(&Scope::All, &PeopleFilter { org: Some("JX-EZ-ZZ".into()), page: 1, page_size: 200, ..Default::default() })
        .await
        .unwrap()
        .items;
    // Members admitted before this year: every month of it is theirs.
    let old: Vec<i64> = members.iter().filter(|m| m.admitted_on.year() < year).map(|m| m.meta.id).collect();
    assert!(old.len() >= 12, "{}", old.len());

    // Bases at the edges of the brackets (R4.2) and each other category (R4.3).
    let cases = [
        ("in_service", "3000.00", "", "15.00"),
        ("in_service", "3000.01", "", "30.00"),
        ("in_service", "5000.00", "", "50.00"),
        ("in_service", "5000.01", "", "75.00"),
        ("in_service", "10000.00", "", "150.00"),
        ("in_service", "10000.01", "", "200.00"),
        ("retired", "5000.00", "", "25.00"),
        ("retired", "5000.01", "", "50.00"),
        ("farmer", "", "0.50", "0.50"),
        ("student", "", "", "0.20"),
        ("unemployed", "", "", "0.20"),
        ("subsistence", "", "", "0.20"),
    ];
    let bases: Vec<Value> =
        cases.iter().zip(&old).map(|((cat, b, farmer, _), m)| json!({"member": m, "category": cat, "base": b, "farmer": farmer})).collect();
    let url = format!("{base}/api/v1/dues/bases");
    let (s, e) = send(&county, &csrf, reqwest::Method::PUT, url.clone(), json!({"org": "JX-EZ-ZZ", "year": year, "bases": bases})).await;
    assert_eq!(s, 200, "{e}");
    let ledger: Value =
        county.get(format!("{base}/api/v1/dues/ledger?org=JX-EZ-ZZ&year={year}")).send().await.unwrap().json().await.unwrap();
    for ((cat, b, _, want), m) in cases.iter().zip(&old) {
        let line = ledger["members"].as_array().unwrap().iter().find(|x| x["member"] == *m).unwrap();
        assert_eq!(line["monthly"], *want, "{cat} {b}");
    }
    // R4.5 (fixed for the year by default): a base from July is refused; a farmer's 1.50 too.
    // Nothing of either request is written.
    for (body, word) in [
        (json!({"member": old[0], "category": "in_service", "base": "9000", "from_month": 7}), "R4.5"),
        (json!({"member": old[0], "category": "farmer", "farmer": "1.50"}), "0.20–1.00"),
        (json!({"member": old[0], "category": "in_service", "base": "30OO"}), "有效金额"),
    ] {
        let (s, e) =
            send(&county, &csrf, reqwest::Method::PUT, url.clone(), json!({"org": "JX-EZ-ZZ", "year": year, "bases": [body]})).await;
        assert_eq!(s, 422, "{e}");
        assert!(e.to_string().contains(word), "{word}: {e}");
    }
    let again: Value =
        county.get(format!("{base}/api/v1/dues/ledger?org=JX-EZ-ZZ&year={year}")).send().await.unwrap().json().await.unwrap();
    assert_eq!(again["members"], ledger["members"], "refused bases change nothing");

    // Payments: January for two members; the same month again, a month beyond this quarter, a
    // date in the future and another organization's member are refused with nothing written.
    let pay = format!("{base}/api/v1/dues/payments");
    let jan =
        |members: Value, paid_on: String| json!({"org": "JX-EZ-ZZ", "year": year, "month": 1, "paid_on": paid_on, "payments": members});
    let (s, e) = send(
        &county,
        &csrf,
        reqwest::Method::POST,
        pay.clone(),
        jan(
            json!([{"member": old[0], "amount": "15.00"}, {"member": old[1], "amount": "30.00", "proxy": "组织委员代缴"}]),
            format!("{year}-01-10"),
        ),
    )
    .await;
    assert_eq!(s, 201, "{e}");
    let other_org = store
        .members(&Scope::All, &PeopleFilter { org: Some("JX-SX-ZZ".into()), page: 1, page_size: 1, ..Default::default() })
        .await
        .unwrap()
        .items[0]
        .meta
        .id;
    let tomorrow = (today + chrono::Duration::days(1)).to_string();
    for (body, word) in [
        (jan(json!([{"member": old[2], "amount": "50.00"}, {"member": old[0], "amount": "15.00"}]), format!("{year}-01-10")), "已登记"),
        (jan(json!([{"member": old[2], "amount": "50.00"}]), tomorrow), "晚于今天"),
        (jan(json!([{"member": other_org, "amount": "50.00"}]), format!("{year}-01-10")), "不属于本组织"),
        (
            json!({"org": "JX-EZ-ZZ", "year": year + 1, "month": 6, "paid_on": today.to_string(), "payments": [{"member": old[2], "amount": "50.00"}]}),
            "R4.4",
        ),
    ] {
        let (s, e) = send(&county, &csrf, reqwest::Method::POST, pay.clone(), body).await;
        assert_eq!(s, 422, "{e}");
        assert!(e.to_string().contains(word), "{word}: {e}");
    }
    // A back payment of January in August: more than 6 months late, flagged (R4.4).
    if today.month() >= 8 {
        let (s, e) = send(
            &county,
            &csrf,
            reqwest::Method::POST,
            pay.clone(),
            jan(json!([{"member": old[2], "amount": "50.00"}]), format!("{year}-08-15")),
        )
        .await;
        assert_eq!(s, 201, "{e}");
    }
    let ledger: Value =
        county.get(format!("{base}/api/v1/dues/ledger?org=JX-EZ-ZZ&year={year}")).send().await.unwrap().json().await.unwrap();
    let line = |m: i64| ledger["members"].as_array().unwrap().iter().find(|x| x["member"] == m).unwrap().clone();
    assert_eq!(line(old[0])["paid"], "15.00");
    assert!(line(old[1])["months"][0].as_str().unwrap().contains('代'), "proxy shown");
    if today.month() >= 8 {
        assert_eq!(line(old[2])["late_over_6_months"], 1);
        assert!(line(old[2])["months"][0].as_str().unwrap().contains('补'));
    }
    // Months past with no payment are unpaid.
    let expected_unpaid = today.month().saturating_sub(2);
    assert_eq!(line(old[0])["unpaid_months"], expected_unpaid, "{}", line(old[0]));

    // A probationary member pays from the month of admission (R4.4).
    let late_joiner = store
        .members(&Scope::All, &PeopleFilter { page: 1, page_size: 500, ..Default::default() })
        .await
        .unwrap()
        .items
        .into_iter()
        .find(|m| m.admitted_on.year() == year && m.admitted_on.month() > 1 && m.admitted_on.month() <= today.month());
    if let Some(m) = late_joiner {
        let body = json!({"org": m.org.as_str(), "year": year, "month": 1, "paid_on": today.to_string(), "payments": [{"member": m.meta.id, "amount": "1.00"}]});
        let (s, e) = send(&county, &csrf, reqwest::Method::POST, pay.clone(), body).await;
        assert_eq!(s, 422);
        assert!(e.to_string().contains("入党之月"), "{e}");
    }

    // A reduction: approval before the branch's review is refused; the branch's own organization
    // cannot approve it; the county's committee can. Then the months are exempt.
    let ez = store.org_id("JX-EZ-ZZ").await.unwrap().unwrap();
    let id = store.apply_dues_reduction(ez, old[3], (year, 1), (year, 12), Fen(0), "生活困难", today, today, "test").await.unwrap();
    let e = store.decide_dues_reduction(id, ReductionStep::Approve, today, Some("JX-JYGW"), None, today, "test").await.unwrap_err();
    assert!(e.to_string().contains("R4.4") || format!("{e:?}").contains("R4.4"), "{e:?}");
    store.decide_dues_reduction(id, ReductionStep::Review, today, None, None, today, "test").await.unwrap();
    let e = store.decide_dues_reduction(id, ReductionStep::Approve, today, Some("JX-EZ-ZZ"), None, today, "test").await.unwrap_err();
    assert!(format!("{e:?}").contains("上级党委"), "{e:?}");
    store.decide_dues_reduction(id, ReductionStep::Approve, today, Some("JX-JYGW"), None, today, "test").await.unwrap();
    let ledger: Value =
        county.get(format!("{base}/api/v1/dues/ledger?org=JX-EZ-ZZ&year={year}")).send().await.unwrap().json().await.unwrap();
    let exempt = ledger["members"].as_array().unwrap().iter().find(|x| x["member"] == old[3]).unwrap();
    assert_eq!(exempt["months"][0], "免交", "{exempt}");
    assert_eq!(exempt["unpaid_months"], 0);

    // The Excel ledger and the publication.
    let page = support::page_login(&app, "county").await;
    let x = page.get(format!("{base}/dues/ledger.xlsx?org=JX-EZ-ZZ&year={year}")).send().await.unwrap();
    assert_eq!(x.status(), 200);
    let sheets = hongzhu_ledger::read::read(x.bytes().await.unwrap().to_vec(), &hongzhu_ledger::read::Limits::default()).unwrap();
    let cells: Vec<String> = sheets[0].rows.iter().flat_map(|r| r.cells().map(str::to_string)).collect();
    assert!(cells.iter().any(|c| c == "15.00") && cells.iter().any(|c| c == "免交"), "the workbook carries the ledger");
    let public = page.get(format!("{base}/dues/publish?org=JX-EZ-ZZ&year={year}")).send().await.unwrap().text().await.unwrap();
    assert!(public.contains("党费收缴情况公示") && public.contains(&members.iter().find(|m| m.meta.id == old[0]).unwrap().person.name));
    assert!(!public.contains("3000.00"), "the publication shows no pay base");
    let report: Value = county.get(format!("{base}/api/v1/dues/report?year={year}")).send().await.unwrap().json().await.unwrap();
    let ez_row = report["orgs"].as_array().unwrap().iter().find(|o| o["org"] == "JX-EZ-ZZ").unwrap();
    assert!(ez_row["members"].as_u64().unwrap() >= old.len() as u64);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dues_ledger_on_sqlite() {
    dues(Db::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dues_ledger_on_postgres() {
    if support::pg_url().is_none() {
        eprintln!("HONGZHU_TEST_PG not set: skipped");
        return;
    }
    dues(Db::Postgres).await;
}
