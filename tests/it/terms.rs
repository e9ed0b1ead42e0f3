//! 任期与换届 (R1.4–R1.7) on both databases: the terms list puts ended terms first; an election
//! is refused (nothing written) without four fifths present, without a majority, with a
//! probationary member elected, or with posts R1.4 does not give the branch; a valid one starts
//! the next term and fills the posts.
use chrono::Utc;
use hongzhu_core::labels::{MemberCategory, OrgKind, PartyPost};
use hongzhu_store::{PeopleFilter, Scope};
use serde_json::{Value, json};

use crate::support::{self, Db};

async fn post(c: &reqwest::Client, csrf: &str, url: String, body: Value) -> (u16, Value) {
    let r = c.post(url).header("x-csrf-token", csrf).json(&body).send().await.unwrap();
    let s = r.status().as_u16();
    (s, r.json().await.unwrap_or(Value::Null))
}

async fn terms(db: Db) {
    let app = support::app(db).await;
    let store = &app.demo.store;
    let base = app.base.clone();
    let (county, csrf) = support::api_login(&app, "county").await;
    let today = hongzhu_core::life::to_local(Utc::now()).date();

    let list: Value = county.get(format!("{base}/api/v1/terms")).send().await.unwrap().json().await.unwrap();
    let states: Vec<&str> = list["items"].as_array().unwrap().iter().map(|x| x["state"].as_str().unwrap()).collect();
    assert!(states.contains(&"expired"), "the demo has an ended term: {states:?}");
    let first_other = states.iter().position(|s| *s != "expired").unwrap();
    assert!(states[first_other..].iter().all(|s| *s != "expired"), "ended terms first");

    // 金乡县第二中学's 党总支: its members.
    let members = store
        .members(&Scope::All, &PeopleFilter { org: Some("JX-EZ-ZZ".into()), page: 1, page_size: 100, ..Default::default() })
        .await
        .unwrap()
        .items;
    let full: Vec<i64> = members.iter().filter(|m| m.category == MemberCategory::Full).map(|m| m.meta.id).collect();
    let probationary = members.iter().find(|m| m.category == MemberCategory::Probationary).map(|m| m.meta.id);
    let old_secretary = members.iter().find(|m| m.party_post == Some(PartyPost::Secretary)).map(|m| m.meta.id);
    let url = format!("{base}/api/v1/orgs/JX-EZ-ZZ/elections");
    let on = today.to_string();
    let body = |present: i64, votes: i64, results: Vec<(i64, &str)>| json!({"held_on": on, "due": 20, "present": present, "results": results.iter().map(|(m, p)| json!({"member": m, "post": p, "votes": votes})).collect::<Vec<_>>()});
    let slate = vec![(full[0], "secretary"), (full[1], "organization"), (full[2], "propaganda")];
    for (b, word) in [
        (body(16, 16, slate.clone()), "五分之四"),
        (body(18, 9, slate.clone()), "半数"),
        (body(18, 18, vec![(full[0], "secretary"), (full[1], "organization")]), "R1.4"),
    ] {
        let (s, e) = post(&county, &csrf, url.clone(), b).await;
        assert_eq!(s, 422, "{e}");
        assert!(e.to_string().contains(word), "{word}: {e}");
    }
    if let Some(p) = probationary {
        let (s, e) =
            post(&county, &csrf, url.clone(), body(18, 18, vec![(full[0], "secretary"), (full[1], "organization"), (p, "propaganda")]))
                .await;
        assert_eq!(s, 422);
        assert!(e.to_string().contains("被选举权"), "{e}");
    }
    let (s, e) = post(
        &county,
        &csrf,
        url.clone(),
        json!({"held_on": (today + chrono::Duration::days(1)).to_string(), "due": 20, "present": 18, "results": []}),
    )
    .await;
    assert_eq!(s, 422, "{e}");
    // The test app has the registry only, so any election here would be one of the refused.
    let ez_id = store.org_id("JX-EZ-ZZ").await.unwrap().unwrap();
    assert!(store.elections(ez_id).await.unwrap().is_empty(), "refusals write nothing");

    // A valid election: the new term from today, the new posts, the old secretary's cleared.
    let (s, e) = post(&county, &csrf, url.clone(), body(17, 17, slate.clone())).await;
    assert_eq!(s, 201, "{e}");
    assert_eq!(e["term_start"], on);
    let after = |id: i64| {
        let store = store.clone();
        async move { store.member(&Scope::All, id).await.unwrap().unwrap().party_post }
    };
    assert_eq!(after(full[0]).await, Some(PartyPost::Secretary));
    assert_eq!(after(full[1]).await, Some(PartyPost::OrganizationCommissioner));
    if let Some(old) = old_secretary.filter(|o| !slate.iter().any(|(m, _)| m == o)) {
        assert_eq!(after(old).await, None, "the last term's secretary steps down");
    }
    let list: Value = county.get(format!("{base}/api/v1/terms")).send().await.unwrap().json().await.unwrap();
    let ez = list["items"].as_array().unwrap().iter().find(|x| x["org"] == "JX-EZ-ZZ").unwrap();
    assert_eq!(ez["state"], "current");
    assert_eq!(ez["last_election"], on);

    // A branch with fewer than 7 full members elects a secretary only (R1.4), on the page.
    let small = store
        .orgs(&Scope::All, None)
        .await
        .unwrap()
        .into_iter()
        .find(|o| o.record.kind == OrgKind::Branch && (1..7).contains(&o.full_member_count))
        .expect("a small branch");
    let m = store
        .members(
            &Scope::All,
            &PeopleFilter {
                org: Some(small.record.code.to_string()),
                category: Some(MemberCategory::Full),
                page: 1,
                page_size: 10,
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .items;
    let page = support::page_login(&app, "county").await;
    let form = page.get(format!("{base}/orgs/{}/elections", small.record.code)).send().await.unwrap().text().await.unwrap();
    let token = support::csrf_in(&form);
    let due = small.full_member_count.to_string();
    let mut fields = vec![
        ("_csrf".to_string(), token.clone()),
        ("held_on".into(), on.clone()),
        ("due".into(), due.clone()),
        ("present".into(), due.clone()),
        (format!("post_{}", m[0].meta.id), "secretary".into()),
        (format!("votes_{}", m[0].meta.id), due.clone()),
    ];
    if m.len() > 1 {
        fields.push((format!("post_{}", m[1].meta.id), "discipline".into()));
        fields.push((format!("votes_{}", m[1].meta.id), due.clone()));
        let r = page.post(format!("{base}/orgs/{}/elections", small.record.code)).form(&fields).send().await.unwrap();
        assert_eq!(r.status(), 422);
        let html = r.text().await.unwrap();
        assert!(html.contains("不足 7 人") && html.contains("R1.4"), "the rule in words");
        fields.truncate(6);
    }
    let r = page.post(format!("{base}/orgs/{}/elections", small.record.code)).form(&fields).send().await.unwrap();
    assert_eq!(r.status(), 303);
    let o = store.org(&Scope::All, small.record.code.as_str()).await.unwrap().unwrap();
    assert_eq!(o.record.term_start, Some(today));
    // The list as a workbook.
    let x = page.get(format!("{base}/orgs/terms.xlsx")).send().await.unwrap();
    assert_eq!(x.status(), 200);
    let sheets = hongzhu_ledger::read::read(x.bytes().await.unwrap().to_vec(), &hongzhu_ledger::read::Limits::default()).unwrap();
    let cells: Vec<String> = sheets[0].rows.iter().flat_map(|r| r.cells().map(str::to_string)).collect();
    assert!(cells.iter().any(|c| c == small.record.name.as_str()) && cells.iter().any(|c| c.starts_with("已届满")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn terms_and_elections_on_sqlite() {
    terms(Db::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn terms_and_elections_on_postgres() {
    if support::pg_url().is_none() {
        eprintln!("HONGZHU_TEST_PG not set: skipped");
        return;
    }
    terms(Db::Postgres).await;
}
