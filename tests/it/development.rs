//! 发展党员 (DOMAIN §3) end to end: a teacher's 25 steps through the API on both databases, with
//! the rules refusing what is wrong (nothing written) and admission and full membership changing
//! the member register; the roster, the due lists and a refused step on the pages.
use chrono::{Duration, NaiveDate, Utc};
use hongzhu_core::labels::{MemberCategory, PoliticalStatus};
use hongzhu_store::{PeopleFilter, Scope};
use serde_json::{Value, json};

use crate::support::{self, Db};

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

/// A non-member teacher of 金乡县第一中学 old enough to have applied in 2021, not in development.
async fn a_teacher(app: &support::App) -> (i64, i64) {
    let staff = app
        .demo
        .store
        .staff(&Scope::All, &PeopleFilter { institution: Some("3708280001".into()), page: 1, page_size: 500, ..Default::default() })
        .await
        .unwrap();
    let s = staff
        .items
        .into_iter()
        .find(|s| s.political_status == PoliticalStatus::Masses && s.development_stage.is_none() && s.person.birth_date < d("1990-01-01"))
        .expect("a teacher who is not a member");
    (s.meta.id, s.person.person_id)
}

async fn step(c: &reqwest::Client, csrf: &str, base: &str, staff: i64, body: Value) -> (u16, Value) {
    let r =
        c.post(format!("{base}/api/v1/development/people/{staff}/steps")).header("x-csrf-token", csrf).json(&body).send().await.unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

async fn steps_recorded(c: &reqwest::Client, base: &str, staff: i64) -> usize {
    let v: Value = c.get(format!("{base}/api/v1/development/people/{staff}")).send().await.unwrap().json().await.unwrap();
    v["steps"].as_array().map(Vec::len).unwrap_or(0)
}

async fn whole_record(db: Db) {
    let app = support::app(db).await;
    let store = &app.demo.store;
    let base = app.base.clone();
    let (api, csrf) = support::api_login(&app, "county").await;
    let (staff, person) = a_teacher(&app).await;
    let full = store
        .members(
            &Scope::All,
            &PeopleFilter {
                org: Some("JX-YZ-ZB1".into()),
                category: Some(MemberCategory::Full),
                page: 1,
                page_size: 100,
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .items
        .into_iter()
        .filter(|m| m.full_on.is_some_and(|f| f < d("2020-01-01")))
        .collect::<Vec<_>>();
    let (i1, i2) = (full[0].meta.id, full[1].meta.id);
    let probationary = store
        .members(&Scope::All, &PeopleFilter { category: Some(MemberCategory::Probationary), page: 1, page_size: 1, ..Default::default() })
        .await
        .unwrap()
        .items
        .remove(0)
        .meta
        .id;
    let tomorrow = (hongzhu_core::life::to_local(Utc::now()).date() + Duration::days(1)).to_string();

    // Bad input: a date in the future, a step out of order — refused with the rule in words.
    let (s, e) = step(&api, &csrf, &base, staff, json!({"step": 1, "on": tomorrow})).await;
    assert_eq!(s, 422, "{e}");
    assert!(e.to_string().contains("晚于今天"), "{e}");
    let (s, e) = step(&api, &csrf, &base, staff, json!({"step": 3, "on": "2021-03-01"})).await;
    assert_eq!(s, 422);
    assert!(e.to_string().contains("第1步"), "says what comes next: {e}");
    assert_eq!(steps_recorded(&api, &base, staff).await, 0, "nothing written");

    for (n, on) in [(1, "2021-03-01"), (2, "2021-03-15"), (3, "2021-06-01"), (4, "2021-06-08")] {
        let (s, e) = step(&api, &csrf, &base, staff, json!({"step": n, "on": on})).await;
        assert_eq!(s, 201, "step {n}: {e}");
    }
    // Contacts must be full members (R2.5).
    let (s, e) = step(&api, &csrf, &base, staff, json!({"step": 5, "on": "2021-06-10", "people": [probationary]})).await;
    assert_eq!(s, 422);
    assert!(e.to_string().contains("预备党员"), "{e}");
    let (s, e) = step(&api, &csrf, &base, staff, json!({"step": 5, "on": "2021-06-10", "people": [i1]})).await;
    assert_eq!(s, 201, "{e}");
    let (s, _) = step(&api, &csrf, &base, staff, json!({"step": 6, "on": "2021-12-01", "note": "半年考察"})).await;
    assert_eq!(s, 201);
    // R2.4: 2021-06-01 + 364 days is refused, one year (365 days here) accepted.
    let (s, e) = step(&api, &csrf, &base, staff, json!({"step": 7, "on": "2022-05-31"})).await;
    assert_eq!(s, 422);
    assert!(e.to_string().contains("R2.4") && e.to_string().contains("2022-06-01"), "{e}");
    let (s, _) = step(&api, &csrf, &base, staff, json!({"step": 7, "on": "2022-06-01"})).await;
    assert_eq!(s, 201);
    let (s, _) = step(&api, &csrf, &base, staff, json!({"step": 8, "on": "2022-06-08"})).await;
    assert_eq!(s, 201);
    // Introducers: a probationary member is refused; two full members accepted.
    let (s, e) = step(&api, &csrf, &base, staff, json!({"step": 9, "on": "2022-06-15", "people": [i1, probationary]})).await;
    assert_eq!(s, 422);
    assert!(e.to_string().contains("正式党员"), "{e}");
    let (s, _) = step(&api, &csrf, &base, staff, json!({"step": 9, "on": "2022-06-15", "people": format!("{i1},{i2}")})).await;
    assert_eq!(s, 201);
    let (s, _) = step(&api, &csrf, &base, staff, json!({"step": 10, "on": "2022-07-01", "passed": true})).await;
    assert_eq!(s, 201);
    let (s, e) = step(&api, &csrf, &base, staff, json!({"step": 11, "on": "2022-07-20", "days": 2, "hours": 16})).await;
    assert_eq!(s, 422);
    assert!(e.to_string().contains("R2.6"), "{e}");
    let (s, _) = step(&api, &csrf, &base, staff, json!({"step": 11, "on": "2022-07-20", "hours": 24})).await;
    assert_eq!(s, 201);
    let (s, _) = step(&api, &csrf, &base, staff, json!({"step": 12, "on": "2022-08-01"})).await;
    assert_eq!(s, 201);
    let (s, _) = step(&api, &csrf, &base, staff, json!({"step": 13, "on": "2022-08-10", "approver": "JX-JYGW"})).await;
    assert_eq!(s, 201);
    let (s, _) = step(&api, &csrf, &base, staff, json!({"step": 14, "on": "2022-08-15"})).await;
    assert_eq!(s, 201);
    // R2.8: no quorum, then a vote that passes; R2.12: the notice before it.
    let vote = |present: i64, yes: i64| json!({"step": 15, "on": "2022-09-05", "notice_from": "2022-08-22", "notice_to": "2022-08-26", "due": 20, "present": present, "yes": yes});
    let (s, e) = step(&api, &csrf, &base, staff, vote(10, 10)).await;
    assert_eq!(s, 422);
    assert!(e.to_string().contains("R2.8"), "{e}");
    let (s, e) = step(&api, &csrf, &base, staff, vote(18, 10)).await;
    assert_eq!(s, 422, "{e}");
    let (s, _) = step(&api, &csrf, &base, staff, vote(18, 17)).await;
    assert_eq!(s, 201);
    let (s, _) = step(&api, &csrf, &base, staff, json!({"step": 16, "on": "2022-09-20"})).await;
    assert_eq!(s, 201);
    // R2.9: a 党总支 cannot approve — refused, and no member record is made.
    let before = steps_recorded(&api, &base, staff).await;
    let (s, e) = step(&api, &csrf, &base, staff, json!({"step": 17, "on": "2022-11-01", "approver": "JX-EZ-ZZ"})).await;
    assert_eq!(s, 422);
    assert!(e.to_string().contains("党总支") && e.to_string().contains("R2.9"), "{e}");
    assert_eq!(steps_recorded(&api, &base, staff).await, before);
    let id_number = store.staff_one(&Scope::All, staff).await.unwrap().unwrap().person.id_number.as_str().to_string();
    let members = |store: hongzhu_store::Store| {
        let q = id_number.clone();
        async move {
            store
                .members(&Scope::All, &PeopleFilter { q: Some(q), page: 1, page_size: 5, ..Default::default() })
                .await
                .unwrap()
                .items
                .into_iter()
                .find(|m| m.person.person_id == person)
        }
    };
    assert!(members(store.clone()).await.is_none());
    // Approved three months after the meeting to the day: on time, no reminder.
    let (s, e) = step(&api, &csrf, &base, staff, json!({"step": 17, "on": "2022-12-05", "approver": "JX-JYGW"})).await;
    assert_eq!(s, 201, "{e}");
    let m = members(store.clone()).await.expect("admission made the member record");
    assert_eq!(m.category, MemberCategory::Probationary);
    assert_eq!(m.admitted_on, d("2022-09-05"), "admitted on the branch meeting's day (R2.10)");
    let rec: Value = api.get(format!("{base}/api/v1/development/people/{staff}")).send().await.unwrap().json().await.unwrap();
    assert!(rec["flags"].as_array().unwrap().iter().all(|f| f["rule"] != "R2.9"), "{}", rec["flags"]);
    assert_eq!(rec["stage"], "probationary");
    for (n, on) in [(18, "2022-12-10"), (19, "2022-12-12"), (20, "2022-12-20"), (21, "2023-03-01"), (22, "2023-08-20")] {
        let (s, e) = step(&api, &csrf, &base, staff, json!({"step": n, "on": on})).await;
        assert_eq!(s, 201, "step {n}: {e}");
    }
    // R2.10: not before probation ends; an extension of 6–12 months, once.
    let meeting = |on: &str, outcome: &str, months: Option<i64>| json!({"step": 23, "on": on, "notice_from": "2023-08-21", "notice_to": "2023-08-25", "due": 20, "present": 19, "yes": 19, "outcome": outcome, "extend_months": months});
    let (s, e) = step(&api, &csrf, &base, staff, meeting("2023-09-04", "full", None)).await;
    assert_eq!(s, 422);
    assert!(e.to_string().contains("2023-09-05"), "{e}");
    let (s, e) = step(&api, &csrf, &base, staff, meeting("2023-09-05", "extend", Some(13))).await;
    assert_eq!(s, 422, "{e}");
    let (s, _) = step(&api, &csrf, &base, staff, meeting("2023-09-05", "extend", Some(6))).await;
    assert_eq!(s, 201);
    let (s, _) = step(&api, &csrf, &base, staff, json!({"step": 21, "on": "2023-12-01"})).await;
    assert_eq!(s, 201);
    let again = json!({"step": 23, "on": "2024-03-05", "notice_from": "2024-02-26", "notice_to": "2024-03-01", "due": 20, "present": 19, "yes": 19, "outcome": "extend", "extend_months": 6});
    let (s, e) = step(&api, &csrf, &base, staff, again).await;
    assert_eq!(s, 422, "a second extension: {e}");
    let full_meeting = json!({"step": 23, "on": "2024-03-05", "notice_from": "2024-02-26", "notice_to": "2024-03-01", "due": 20, "present": 19, "yes": 19, "outcome": "full"});
    let (s, e) = step(&api, &csrf, &base, staff, full_meeting).await;
    assert_eq!(s, 201, "{e}");
    let (s, _) = step(&api, &csrf, &base, staff, json!({"step": 24, "on": "2024-04-01", "approver": "JX-JYGW"})).await;
    assert_eq!(s, 201);
    let m = members(store.clone()).await.unwrap();
    assert_eq!(m.category, MemberCategory::Full);
    assert_eq!(m.full_on, Some(d("2024-03-05")), "Party standing from the end of the extended probation");
    let (s, _) = step(&api, &csrf, &base, staff, json!({"step": 25, "on": "2024-04-10"})).await;
    assert_eq!(s, 201);
    let (s, e) = step(&api, &csrf, &base, staff, json!({"step": 25, "on": "2024-04-11"})).await;
    assert_eq!(s, 422, "nothing after the last step: {e}");
    // The staff post shows the member status the record gave.
    let post = store.staff_one(&Scope::All, staff).await.unwrap().unwrap();
    assert_eq!(post.political_status, PoliticalStatus::Member);
    assert_eq!(post.development_stage, None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_25_steps_on_sqlite() {
    whole_record(Db::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_25_steps_on_postgres() {
    if support::pg_url().is_none() {
        eprintln!("HONGZHU_TEST_PG not set: skipped");
        return;
    }
    whole_record(Db::Postgres).await;
}

/// The roster, the due lists, the export and a refused step on the pages, as the school's secretary.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn roster_due_and_a_refused_step_on_the_pages() {
    let app = support::app(Db::Sqlite).await;
    let today = hongzhu_core::life::to_local(Utc::now()).date();
    let data = hongzhu_core::synth::demo_county(370828, Utc::now().date_naive());
    let recs = hongzhu_core::synth_dev::records_for(&data, 370828, today);
    let written = app.demo.store.load_development(&recs, "test").await.unwrap();
    assert!(written > 200, "{written}");
    let sec = support::page_login(&app, "yizhong").await;
    let base = &app.base;
    let roster = sec.get(format!("{base}/development/people")).send().await.unwrap().text().await.unwrap();
    assert!(roster.contains("发展党员台账") && roster.contains("/development/people/"), "roster");
    // The secretary sees their school only.
    let county = support::page_login(&app, "county").await;
    let all = county.get(format!("{base}/api/v1/development/people")).send().await.unwrap().json::<Value>().await.unwrap();
    let mine = sec.get(format!("{base}/api/v1/development/people")).send().await.unwrap().json::<Value>().await.unwrap();
    assert!(mine["total"].as_u64().unwrap() < all["total"].as_u64().unwrap());
    assert!(mine["items"].as_array().unwrap().iter().all(|x| x["institution"] == "3708280001"), "secretary's scope");
    // Every stage is on the roster: applicants, activists, candidates, probationary members.
    for stage in ["applicant", "activist", "candidate", "probationary"] {
        assert!(all["items"].as_array().unwrap().iter().any(|x| x["stage"] == stage), "{stage} in the demo");
    }
    let due = county.get(format!("{base}/development/due")).send().await.unwrap();
    assert_eq!(due.status(), 200);
    let due = due.text().await.unwrap();
    assert!(due.contains("可确定为发展对象") && due.contains("预备期满"));
    let x = county.get(format!("{base}/development/people.xlsx?stage=activist")).send().await.unwrap();
    assert_eq!(x.status(), 200);
    let bytes = x.bytes().await.unwrap().to_vec();
    let sheets = hongzhu_ledger::read::read(bytes, &hongzhu_ledger::read::Limits::default()).unwrap();
    let cells: Vec<String> = sheets[0].rows.iter().flat_map(|r| r.cells().map(str::to_string)).collect();
    assert!(cells.iter().any(|c| c == "入党积极分子"), "the export lists activists");
    assert!(!cells.iter().any(|c| c == "发展对象"), "and only them");

    // A refused step comes back with the rule, and with what was typed.
    let applicant = mine["items"].as_array().unwrap().iter().find(|x| x["last_step"] == 2).expect("an applicant who has had the talk");
    let id = applicant["staff_id"].as_i64().unwrap();
    let page = sec.get(format!("{base}/development/people/{id}")).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("第 3 步"), "the form for the next step");
    let csrf = support::csrf_in(&page);
    let tomorrow = (today + Duration::days(1)).to_string();
    let r = sec
        .post(format!("{base}/development/people/{id}/steps"))
        .form(&[("_csrf", csrf.as_str()), ("step", "3"), ("on", tomorrow.as_str()), ("note", "团组织推优")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let body = r.text().await.unwrap();
    assert!(body.contains("晚于今天") && body.contains(&tomorrow) && body.contains("团组织推优"), "message and the typed values");
    let r = sec
        .post(format!("{base}/development/people/{id}/steps"))
        .form(&[("_csrf", csrf.as_str()), ("step", "3"), ("on", today.to_string().as_str()), ("note", "团组织推优")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303, "recorded");
    let page = sec.get(format!("{base}/development/people/{id}")).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("团组织推优") && page.contains("推荐和确定入党积极分子"));
    // The last step can be withdrawn to correct a mistake.
    let rec: Value = sec.get(format!("{base}/api/v1/development/people/{id}")).send().await.unwrap().json().await.unwrap();
    let last = rec["steps"].as_array().unwrap().last().unwrap()["id"].as_i64().unwrap();
    let r = sec
        .post(format!("{base}/development/people/{id}/withdraw"))
        .form(&[("_csrf", csrf.as_str()), ("step_id", last.to_string().as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let rec: Value = sec.get(format!("{base}/api/v1/development/people/{id}")).send().await.unwrap().json().await.unwrap();
    assert_eq!(rec["last_step"], 2);
    assert_eq!(rec["stage"], "applicant", "the stage follows the record back");
    // Another school's person is not the secretary's.
    let other = all["items"].as_array().unwrap().iter().find(|x| x["institution"] != "3708280001").unwrap()["staff_id"].as_i64().unwrap();
    assert_eq!(sec.get(format!("{base}/development/people/{other}")).send().await.unwrap().status(), 404);
}
