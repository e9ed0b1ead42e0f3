//! 党建+ — commitments (亮承诺): a member makes their own on the phone (a form naming someone
//! else still writes only their own), too short is refused, the branch reviews mid-year and
//! year-end, the board counts them; someone without a member record has no commitments page.
use hongzhu_store::commitments::Whose;
use hongzhu_store::{PeopleFilter, Scope};

use crate::support::{self, Db};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commitments_made_on_the_phone_and_reviewed() {
    let app = support::app(Db::Sqlite).await;
    let store = &app.demo.store;
    let base = &app.base;
    let me = support::member_of(&app).await;
    let other = store
        .members(&Scope::All, &PeopleFilter { org: Some("JX-YZ-ZB1".into()), page: 1, page_size: 5, ..Default::default() })
        .await
        .unwrap()
        .items
        .into_iter()
        .find(|m| m.meta.id != me.meta.id)
        .unwrap();
    let phone = support::page_login(&app, "dangyuan").await;
    let page = phone.get(format!("{base}/m/commitments")).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("教育质量向我看齐") && page.contains("我是共产党员"));
    let csrf = support::csrf_in(&page);
    let other_id = other.meta.id.to_string();
    let r = phone
        .post(format!("{base}/m/commitments"))
        .form(&[("_csrf", csrf.as_str()), ("dimension", "quality"), ("content", "认真备好每一节课"), ("member", other_id.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let year = chrono::Datelike::year(&hongzhu_core::life::to_local(chrono::Utc::now()).date());
    let mine = store.commitments(Whose::Member(me.meta.id), year).await.unwrap();
    assert_eq!(mine.len(), 1);
    assert!(store.commitments(Whose::Member(other.meta.id), year).await.unwrap().is_empty(), "only the signed-in member's");
    let r = phone
        .post(format!("{base}/m/commitments"))
        .form(&[("_csrf", csrf.as_str()), ("dimension", "care"), ("content", "好")])
        .send()
        .await
        .unwrap();
    let shown = phone.get(format!("{base}{}", r.headers()["location"].to_str().unwrap())).send().await.unwrap().text().await.unwrap();
    assert!(shown.contains("4–300"), "too short, and said why");
    // The county account has no member record: no commitments page.
    let county = support::page_login(&app, "county").await;
    assert_eq!(county.get(format!("{base}/m/commitments")).send().await.unwrap().status(), 404);
    // The secretary reviews; the board counts it.
    let sec = support::page_login(&app, "yizhong").await;
    let list = sec.get(format!("{base}/commitments?org=JX-YZ-ZB1")).send().await.unwrap().text().await.unwrap();
    assert!(list.contains("认真备好每一节课"));
    let token = support::csrf_in(&list);
    let r = sec
        .post(format!("{base}/commitments/{}/review", mine[0].id))
        .form(&[("_csrf", token.as_str()), ("org", "JX-YZ-ZB1"), ("which", "mid"), ("grade", "good")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let after = store.commitments(Whose::Member(me.meta.id), year).await.unwrap();
    assert_eq!(after[0].mid_grade, Some(hongzhu_core::labels::ReviewGrade::Good));
    let board = sec.get(format!("{base}/commitments/board")).send().await.unwrap().text().await.unwrap();
    assert!(board.contains("id=\"board\""));
    let api: serde_json::Value = support::api_login(&app, "yizhong")
        .await
        .0
        .get(format!("{base}/api/v1/commitments?org=JX-YZ-ZB1"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(api["total"], 1);
    // 先锋岗: designated by the branch, shown on the printable card and the member's phone badge;
    // a title too short is refused; a member outside the secretary's organizations is not found.
    let r = sec
        .post(format!("{base}/commitments/vanguard"))
        .form(&[("_csrf", token.as_str()), ("org", "JX-YZ-ZB1"), ("member", &me.meta.id.to_string()), ("kind", "pioneer"), ("title", "岗")])
        .send()
        .await
        .unwrap();
    let shown = sec.get(format!("{base}{}", r.headers()["location"].to_str().unwrap())).send().await.unwrap().text().await.unwrap();
    assert!(shown.contains("岗位名称应为 4–30 个字"));
    let r = sec
        .post(format!("{base}/commitments/vanguard"))
        .form(&[
            ("_csrf", token.as_str()),
            ("org", "JX-YZ-ZB1"),
            ("member", &me.meta.id.to_string()),
            ("kind", "pioneer"),
            ("title", "高一年级教学质量先锋岗"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let cards = sec.get(format!("{base}/commitments/cards?org=JX-YZ-ZB1")).send().await.unwrap().text().await.unwrap();
    let card = support::between(&cards, &me.person.name, "</section>").unwrap();
    assert!(card.contains("党员先锋岗") && card.contains("高一年级教学质量先锋岗") && card.contains("认真备好每一节课"));
    let badge = phone.get(format!("{base}/m/commitments")).send().await.unwrap().text().await.unwrap();
    assert!(badge.contains("高一年级教学质量先锋岗"));
    let outsider = store
        .members(&Scope::All, &PeopleFilter { org: Some("JX-EZ-ZZ".into()), page: 1, page_size: 1, ..Default::default() })
        .await
        .unwrap()
        .items
        .remove(0);
    let r = sec
        .post(format!("{base}/commitments/vanguard"))
        .form(&[
            ("_csrf", token.as_str()),
            ("org", "JX-EZ-ZZ"),
            ("member", &outsider.meta.id.to_string()),
            ("kind", "model"),
            ("title", "教学示范岗位"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    assert!(store.vanguard_posts(Whose::Member(outsider.meta.id), year).await.unwrap().is_empty());
}
