//! 党建+ — community service (R6.3) and residents' concerns: a member registers and records their own
//! hours on the phone (negative, zero, over 24 in a day: refused with why, nothing written; a form
//! naming someone else still writes only their own); the yearly target counts; a station's concern
//! goes raised → assigned → handled → answered and no step is skipped.
use hongzhu_store::{PeopleFilter, Scope};
use serde_json::{Value, json};

use crate::support::{self, Db};

fn today() -> chrono::NaiveDate {
    hongzhu_core::life::to_local(chrono::Utc::now()).date()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn service_hours_on_the_phone_and_concerns_handled() {
    let app = support::app(Db::Sqlite).await;
    let store = &app.demo.store;
    let base = &app.base;
    let t = today();
    let year = chrono::Datelike::year(&t);
    let me = support::member_of(&app).await;
    let other = store
        .members(&Scope::All, &PeopleFilter { org: Some("JX-YZ-ZB1".into()), page: 1, page_size: 5, ..Default::default() })
        .await
        .unwrap()
        .items
        .into_iter()
        .find(|m| m.meta.id != me.meta.id)
        .unwrap();
    let org = store.org_id(me.org.as_str()).await.unwrap().unwrap();
    let phone = support::page_login(&app, "dangyuan").await;
    let page = phone.get(format!("{base}/m/service")).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("尚未报到") && page.contains("R6.3"));
    let csrf = support::csrf_in(&page);
    let r = phone
        .post(format!("{base}/m/service/register"))
        .form(&[("_csrf", csrf.as_str()), ("community", "金乡街道奎星社区"), ("registered_on", &t.to_string())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let record = |hours: &'static str, on: chrono::NaiveDate, member: String| {
        let phone = phone.clone();
        let csrf = csrf.clone();
        async move {
            let r = phone
                .post(format!("{base}/m/service/records"))
                .form(&[
                    ("_csrf", csrf.as_str()),
                    ("served_on", &on.to_string()),
                    ("kind", "community"),
                    ("hours", hours),
                    ("content", "社区文明创建志愿服务"),
                    ("member", member.as_str()),
                ])
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 303);
            phone.get(format!("{base}{}", r.headers()["location"].to_str().unwrap())).send().await.unwrap().text().await.unwrap()
        }
    };
    let mine = me.meta.id.to_string();
    assert!(record("-2", t, String::new()).await.contains("大于 0"), "negative hours refused, and said why");
    assert!(record("0", t, String::new()).await.contains("大于 0"));
    assert!(record("25", t, String::new()).await.contains("24 小时"));
    // For someone else: refused, nothing written.
    assert!(record("2", t, other.meta.id.to_string()).await.contains("只能记录本人的服务"));
    assert!(record("20", t, mine.clone()).await.contains("已保存"), "naming oneself is fine");
    let shown = record("5", t, String::new()).await;
    assert!(
        shown.contains("当天已记录 20 小时"),
        "20 + 5 in a day refused: {}",
        support::between(&shown, "role=\"status\">", "<").unwrap_or("")
    );
    let lines = store.service_lines(&[org], year).await.unwrap();
    let mine = lines.iter().find(|l| l.member_id == me.meta.id).unwrap();
    assert_eq!(mine.community_tenths, 200, "only the good record, and only the member's own");
    assert_eq!(mine.records, 1);
    assert_eq!(mine.community.as_deref(), Some("金乡街道奎星社区"));
    assert!(mine.met(20.0) && !mine.met(20.5), "R6.3 target");
    assert_eq!(lines.iter().find(|l| l.member_id == other.meta.id).unwrap().records, 0, "nothing for the member the form named");
    // A county account has no member record: nothing to record for.
    let (county_api, ccsrf) = support::api_login(&app, "county").await;
    let r = county_api
        .post(format!("{base}/api/v1/service/records"))
        .header("x-csrf-token", &ccsrf)
        .json(&json!({"served_on": t.to_string(), "kind": "community", "hours": 2, "content": "社区志愿服务活动"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    // The member's API: a station by its id, another member refused.
    let (mapi, mcsrf) = support::api_login(&app, "dangyuan").await;
    let station0 = store.add_station(org, "一中党员服务站（测试）", "奎星社区", t, "test").await.unwrap();
    let r = mapi
        .post(format!("{base}/api/v1/service/records"))
        .header("x-csrf-token", &mcsrf)
        .json(&json!({"served_on": (t - chrono::Duration::days(1)).to_string(), "kind": "contact", "hours": 1.5, "content": "走访社区困难家庭", "station": station0}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    let r = mapi
        .post(format!("{base}/api/v1/service/records"))
        .header("x-csrf-token", &mcsrf)
        .json(
            &json!({"served_on": t.to_string(), "kind": "contact", "hours": 1, "content": "走访社区困难家庭", "member_id": other.meta.id}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let body: Value = county_api.get(format!("{base}/api/v1/service?org={}", me.org)).send().await.unwrap().json().await.unwrap();
    assert_eq!(body["target_hours"], 20.0);
    assert!(body["items"].as_array().unwrap().iter().any(|i| i["met"] == true && i["community_hours"] == 21.5));

    // Concerns: a station of the secretary's organization; no step skipped.
    let sec = support::page_login(&app, "yizhong").await;
    let page = sec.get(format!("{base}/service/stations")).send().await.unwrap().text().await.unwrap();
    let scsrf = support::csrf_in(&page);
    let r = sec
        .post(format!("{base}/service/stations"))
        .form(&[
            ("_csrf", scsrf.as_str()),
            ("org", me.org.as_str()),
            ("name", "一中党员服务站"),
            ("community", "奎星社区"),
            ("opened_on", &t.to_string()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let station = store.stations(None).await.unwrap().into_iter().find(|s| s.name == "一中党员服务站").unwrap();
    let r = sec
        .post(format!("{base}/service/concerns"))
        .form(&[
            ("_csrf", scsrf.as_str()),
            ("station", &station.id.to_string()),
            ("raised_on", &t.to_string()),
            ("content", "上下学时段校门口拥堵"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let id = store.concerns(&[station.id]).await.unwrap()[0].id;
    let step = |to: &'static str, member: String, text: &'static str| {
        let sec = sec.clone();
        let scsrf = scsrf.clone();
        async move {
            let r = sec
                .post(format!("{base}/service/concerns/{id}"))
                .form(&[("_csrf", scsrf.as_str()), ("to", to), ("member", member.as_str()), ("text", text)])
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 303);
            sec.get(format!("{base}{}", r.headers()["location"].to_str().unwrap())).send().await.unwrap().text().await.unwrap()
        }
    };
    assert!(step("handled", String::new(), "安排护学岗").await.contains("下一步应为“办理中”"), "no step skipped");
    let outsider = store
        .members(&Scope::All, &PeopleFilter { org: Some("JX-EZ-ZZ".into()), page: 1, page_size: 1, ..Default::default() })
        .await
        .unwrap()
        .items
        .remove(0);
    assert!(step("assigned", outsider.meta.id.to_string(), "").await.contains("服务站所属党组织的党员"));
    step("assigned", me.meta.id.to_string(), "").await;
    step("handled", String::new(), "已联系交警，上下学时段安排护学岗").await;
    step("answered", String::new(), "已电话答复群众").await;
    let c = &store.concerns(&[station.id]).await.unwrap()[0];
    assert_eq!(c.state, hongzhu_core::service::ConcernState::Answered);
    assert_eq!(c.member_id, Some(me.meta.id));
    assert_eq!(c.answer, "已电话答复群众");
    // The list shows it answered.
    let page = sec.get(format!("{base}/service/concerns")).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("上下学时段校门口拥堵") && page.contains("已回复"));
}
