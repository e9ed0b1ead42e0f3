//! 创建评比 end to end: a campaign with the five-goods indicators; schools apply within their
//! scope; self-assessment while open; reviewers score independently in review (never their own
//! school, never out of range); the ranking combines them; publication closes scoring.
use hongzhu_store::{NewUser, PeopleFilter, Role, Scope};
use serde_json::{Value, json};

use crate::support::{self, Db};

async fn post(c: &reqwest::Client, csrf: &str, url: String, body: Value) -> (u16, Value) {
    let r = c.post(url).header("x-csrf-token", csrf).json(&body).send().await.unwrap();
    let s = r.status().as_u16();
    (s, r.json().await.unwrap_or(Value::Null))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_campaign_from_application_to_publication() {
    let app = support::app(Db::Sqlite).await;
    let store = &app.demo.store;
    let base = app.base.clone();
    // A reviewer who teaches at 金乡县第一中学.
    let teacher = store
        .staff(&Scope::All, &PeopleFilter { institution: Some("3708280001".into()), page: 1, page_size: 1, ..Default::default() })
        .await
        .unwrap()
        .items
        .remove(0);
    store
        .create_user(
            &NewUser {
                username: "pingwei".into(),
                password_hash: hongzhu_web::auth::hash_password(support::PASSWORD),
                display_name: "评委".into(),
                role: Role::CountyAdmin,
                region_code: Some("370828".into()),
                org_id: None,
                person_id: Some(teacher.person.person_id),
            },
            "test",
        )
        .await
        .unwrap();

    // The county makes the campaign on the page.
    let county_page = support::page_login(&app, "county").await;
    let list = county_page.get(format!("{base}/campaigns")).send().await.unwrap().text().await.unwrap();
    let token = support::csrf_in(&list);
    let r = county_page
        .post(format!("{base}/campaigns"))
        .form(&[("_csrf", token.as_str()), ("name", "2019年市级党建示范校创建"), ("year", "2019"), ("level", "city")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let id: i64 = r.headers()["location"].to_str().unwrap().rsplit('/').next().unwrap().parse().unwrap();

    // The secretary applies for their school, not for another.
    let (sec, sec_csrf) = support::api_login(&app, "yizhong").await;
    let sec_page = support::page_login(&app, "yizhong").await;
    let page = sec_page.get(format!("{base}/campaigns/{id}")).send().await.unwrap().text().await.unwrap();
    let token = support::csrf_in(&page);
    for (school, word) in [("3708280001", "已申报"), ("3708280002", "不在权限范围内"), ("3708280001", "已申报本次评比")] {
        let r = sec_page
            .post(format!("{base}/campaigns/{id}/apply"))
            .form(&[("_csrf", token.as_str()), ("institution", school)])
            .send()
            .await
            .unwrap();
        let to = r.headers()["location"].to_str().unwrap().to_string();
        let shown = sec_page.get(format!("{base}{to}")).send().await.unwrap().text().await.unwrap();
        assert!(shown.contains(word), "{school}: {word}");
    }
    let other = store.apply_to_campaign(id, &Scope::All, "3708280002", chrono::Utc::now().date_naive(), "test").await.unwrap();
    let camp: Value = sec.get(format!("{base}/api/v1/campaigns/{id}")).send().await.unwrap().json().await.unwrap();
    assert_eq!(camp["ranking"].as_array().unwrap().len(), 1, "the secretary sees their own school only");
    let mine = camp["ranking"][0]["entry"].as_i64().unwrap();
    let ind: Vec<i64> = camp["indicators"].as_array().unwrap().iter().map(|i| i["id"].as_i64().unwrap()).collect();
    assert_eq!(ind.len(), 10);
    let all = |v: f64| json!({"scores": ind.iter().map(|i| (i.to_string(), json!(v))).collect::<serde_json::Map<_, _>>()});

    // Self-assessment while open; out of range refused.
    let (s, e) = post(&sec, &sec_csrf, format!("{base}/api/v1/campaigns/{id}/entries/{mine}/scores"), all(10.5)).await;
    assert_eq!(s, 422);
    assert!(e.to_string().contains("0–10"), "{e}");
    let (s, e) = post(&sec, &sec_csrf, format!("{base}/api/v1/campaigns/{id}/entries/{mine}/scores"), all(9.5)).await;
    assert_eq!(s, 200, "{e}");
    // Reviewers wait for the review.
    let (county, csrf) = support::api_login(&app, "county").await;
    let (s, e) = post(&county, &csrf, format!("{base}/api/v1/campaigns/{id}/entries/{mine}/scores"), all(8.0)).await;
    assert_eq!(s, 422);
    assert!(e.to_string().contains("评审阶段"), "{e}");
    store.advance_campaign(id, "test").await.unwrap();
    let (s, _) = post(&sec, &sec_csrf, format!("{base}/api/v1/campaigns/{id}/entries/{mine}/scores"), all(10.0)).await;
    assert_eq!(s, 422, "self-assessment is over");
    // Two reviewers, independently; the one who teaches there stands aside.
    for (who, v) in [("county", 8.0), ("county2", 9.0)] {
        let (c, t) = support::api_login(&app, who).await;
        let (s, e) = post(&c, &t, format!("{base}/api/v1/campaigns/{id}/entries/{mine}/scores"), all(v)).await;
        assert_eq!(s, 200, "{who}: {e}");
        let (s, _) = post(&c, &t, format!("{base}/api/v1/campaigns/{id}/entries/{other}/scores"), all(v - 2.0)).await;
        assert_eq!(s, 200);
    }
    let (pw, pw_csrf) = support::api_login(&app, "pingwei").await;
    let (s, e) = post(&pw, &pw_csrf, format!("{base}/api/v1/campaigns/{id}/entries/{mine}/scores"), all(2.0)).await;
    assert_eq!(s, 422);
    assert!(e.to_string().contains("回避"), "{e}");
    let ranked: Value = county.get(format!("{base}/api/v1/campaigns/{id}")).send().await.unwrap().json().await.unwrap();
    let first = &ranked["ranking"][0];
    assert_eq!(first["institution"], "3708280001");
    assert_eq!(first["total"], 85.0, "the mean of 80 and 90");
    assert_eq!(first["self_total"], 95.0);
    assert_eq!(ranked["ranking"][1]["total"], 65.0);
    // Published: scoring is closed.
    store.advance_campaign(id, "test").await.unwrap();
    let (s, _) = post(&county, &csrf, format!("{base}/api/v1/campaigns/{id}/entries/{mine}/scores"), all(7.0)).await;
    assert_eq!(s, 422);
    let html = county_page.get(format!("{base}/campaigns/{id}")).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("已公布") && html.contains("id=\"ranking\"") && html.contains("三个全覆盖达标"));
    // Each default indicator's evidence is drawn from the records, agreeing with them.
    let page = county_page.get(format!("{base}/campaigns/{id}/entries/{mine}")).send().await.unwrap().text().await.unwrap();
    let teachers =
        store.members_at_school(store.institution(&Scope::All, "3708280001").await.unwrap().unwrap().meta.id).await.unwrap().len();
    assert!(page.contains(&format!("在校党员 {teachers} 名")), "members at the school, from the register");
    assert!(page.contains("党员全覆盖 ✓"), "coverage from the audit");
    assert!(page.contains("系统记录") && page.contains("组织生活记录") && page.contains("居民说事累计已答复"));
    // Organizational life counted as the compliance counts it: submitted or accepted, in the campaign's year.
    let year = store.campaign(id, &Scope::All).await.unwrap().0.year;
    let mut held = 0;
    for c in store.coverages_of_institution(store.institution(&Scope::All, "3708280001").await.unwrap().unwrap().meta.id).await.unwrap() {
        for status in [hongzhu_core::labels::ActivityStatus::Submitted, hongzhu_core::labels::ActivityStatus::Accepted] {
            let f = hongzhu_store::ActivityFilter {
                org: Some(c.org.to_string()),
                status: Some(status),
                from: chrono::NaiveDate::from_ymd_opt(year, 1, 1),
                to: chrono::NaiveDate::from_ymd_opt(year, 12, 31),
                page: 1,
                page_size: 1,
                ..Default::default()
            };
            held += store.activities(&Scope::All, &f).await.unwrap().total;
        }
    }
    assert!(page.contains(&format!("{year}年已提交或审核的组织生活记录 {held} 次")), "held {held}");
}
