//! 党建+ — members in school work (条块结合), teaching support (送教下乡、同课异构) and the Youth League
//! and Young Pioneers (带团建、带少建): the post counts agree with the staff register; an activity
//! without what its kind needs is refused with why and nothing written; the rural schools reached
//! are counted; a League unit and its activities are kept.
use hongzhu_core::labels::{Labeled, SchoolWorkKind};
use hongzhu_store::{PeopleFilter, Scope};
use serde_json::{Value, json};

use crate::support::{self, Db};

fn today() -> chrono::NaiveDate {
    hongzhu_core::life::to_local(chrono::Utc::now()).date()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn school_work_teaching_and_youth() {
    let app = support::app(Db::Sqlite).await;
    let store = &app.demo.store;
    let base = &app.base;
    let t = today();
    let year = chrono::Datelike::year(&t);

    // 条块结合: the counts agree with the staff register.
    let roles = store.school_roles(&Scope::All).await.unwrap();
    let yz = roles.iter().find(|r| r.code == "3708280001").unwrap();
    let staff = store
        .staff(&Scope::All, &PeopleFilter { institution: Some("3708280001".into()), page: 1, page_size: 2000, ..Default::default() })
        .await
        .unwrap()
        .items;
    assert_eq!(yz.staff as usize, staff.len());
    assert_eq!(yz.head_teachers as usize, staff.iter().filter(|s| s.head_teacher).count());
    assert_eq!(yz.head_teacher_members as usize, staff.iter().filter(|s| s.head_teacher && s.political_status.is_party_member()).count());
    assert!(yz.head_teachers > 0 && yz.head_teacher_members > 0, "the demo school has head teachers, some of them members");

    let here: Vec<String> = store
        .members(&Scope::All, &PeopleFilter { institution: Some("3708280001".into()), page: 1, page_size: 10, ..Default::default() })
        .await
        .unwrap()
        .items
        .iter()
        .map(|m| m.meta.id.to_string())
        .collect();
    let elsewhere = store
        .members(&Scope::All, &PeopleFilter { institution: Some("3708280002".into()), page: 1, page_size: 1, ..Default::default() })
        .await
        .unwrap()
        .items[0]
        .meta
        .id
        .to_string();
    let sec = support::page_login(&app, "yizhong").await;
    let form = sec.get(format!("{base}/school-work/activities/new?kind=teaching_trip")).send().await.unwrap().text().await.unwrap();
    assert!(form.contains("送教学校") && form.contains("授课节数"));
    let csrf = support::csrf_in(&form);
    let count = || async { store.school_activities(&Scope::All, SchoolWorkKind::ALL, year).await.unwrap().len() };
    let post = |fields: Vec<(&'static str, String)>| {
        let sec = sec.clone();
        let csrf = csrf.clone();
        async move {
            let mut f: Vec<(&str, String)> = vec![("_csrf", csrf), ("school", "3708280001".into()), ("held_on", today().to_string())];
            f.extend(fields);
            let r = sec.post(format!("{base}/school-work/activities/new")).form(&f).send().await.unwrap();
            let status = r.status().as_u16();
            (status, r.text().await.unwrap_or_default())
        }
    };
    let before = count().await;
    // A trip names the school reached and gives a lesson.
    let (s, body) = post(vec![("kind", "teaching_trip".into()), ("title", "《背影》".into()), ("members", here[0].clone())]).await;
    assert_eq!(s, 422);
    assert!(body.contains("送教下乡须选择送教的学校") && body.contains("至少 1 节"));
    // 同课异构 needs two teachers or more.
    let (s, body) = post(vec![("kind", "same_topic".into()), ("title", "分数的初步认识".into()), ("members", here[0].clone())]).await;
    assert_eq!(s, 422);
    assert!(body.contains("至少 2 名教师"));
    // Only members teaching at the school; not in the future.
    let (s, body) = post(vec![("kind", "safety_lesson".into()), ("title", "防溺水安全教育".into()), ("members", elsewhere.clone())]).await;
    assert_eq!(s, 422);
    assert!(body.contains("只能选择在本校任教的党员"));
    let tomorrow = (t + chrono::Duration::days(1)).to_string();
    let r = sec
        .post(format!("{base}/school-work/activities/new"))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("school", "3708280001"),
            ("held_on", tomorrow.as_str()),
            ("kind", "safety_lesson"),
            ("title", "防溺水安全教育"),
            ("members", here[0].as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("不能晚于今天"));
    assert_eq!(count().await, before, "nothing written");
    // Good ones: a trip to a rural school and a same-topic session.
    let (s, _) = post(vec![
        ("kind", "teaching_trip".into()),
        ("title", "《背影》".into()),
        ("target", "3708280150".into()),
        ("lessons", "3".into()),
        ("members", here[0].clone()),
    ])
    .await;
    assert_eq!(s, 303);
    let (s, _) = post(vec![
        ("kind", "same_topic".into()),
        ("title", "分数的初步认识".into()),
        ("lessons", "2".into()),
        ("members", here[0].clone()),
        ("members", here[1].clone()),
    ])
    .await;
    assert_eq!(s, 303);
    let page = sec.get(format!("{base}/teaching")).send().await.unwrap().text().await.unwrap();
    let reach = support::between(&page, "id=\"reach\"", "</table>").unwrap();
    let target = store.institution(&Scope::All, "3708280150").await.unwrap().unwrap();
    assert!(reach.contains(&target.record.name), "the school reached is counted");
    // A team's members belong to its organization (checked by the store).
    let yz_org = store.org_id("JX-YZ-ZB1").await.unwrap().unwrap();
    let outsider = store.members_of_org(store.org_id("JX-EZ-ZZ").await.unwrap().unwrap()).await.unwrap()[0].id;
    let own = store.members_of_org(yz_org).await.unwrap()[0].id;
    let refused = store.add_team(yz_org, "一中党员送教小分队", year, &[own, outsider], "test").await;
    assert!(matches!(refused, Err(hongzhu_store::StoreError::Refused(ref e)) if e.field == "members"), "{refused:?}");
    assert!(store.add_team(yz_org, "一中党员送教小分队", year, &[own, own], "test").await.is_ok(), "a member listed twice counts once");
    let acts = store.school_activities(&Scope::All, &[SchoolWorkKind::SameTopic], year).await.unwrap();
    assert_eq!(acts[0].members.len(), 2);

    // 带团建: a League branch guided by the school's committee; an activity needs its form.
    let r = sec
        .post(format!("{base}/youth/units"))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("school", "3708280001"),
            ("kind", "league_branch"),
            ("name", "共青团金乡县第一中学委员会"),
            ("leader", "王晓"),
            ("org", "JX-YZ-DW"),
            ("members", "420"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let units = store.youth_units(&Scope::All).await.unwrap();
    assert_eq!(units.len(), 1);
    assert!(units[0].guiding_org.as_deref().unwrap().contains("第一中学"));
    let (s, body) = post(vec![("kind", "league_activity".into()), ("title", "新团员入团仪式".into()), ("members", here[0].clone())]).await;
    assert_eq!(s, 422);
    assert!(body.contains("活动形式应为"));
    let (api, token) = support::api_login(&app, "yizhong").await;
    let r = api
        .post(format!("{base}/api/v1/school-work/activities"))
        .header("x-csrf-token", &token)
        .json(&json!({"school": "3708280001", "kind": "league_activity", "held_on": t.to_string(), "title": "新团员入团仪式", "form": "ceremony", "participants": 60, "members": [here[0].parse::<i64>().unwrap()]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    let body: Value = api.get(format!("{base}/api/v1/school-work")).send().await.unwrap().json().await.unwrap();
    assert!(body["activities"].as_array().unwrap().iter().any(|a| a["kind"] == "league_activity" && a["form"] == "ceremony"));
    assert!(body["pipeline"].as_array().unwrap().iter().any(|p| p["code"] == "3708280001"));
    // The exports carry what the pages show.
    let bytes = sec.get(format!("{base}/teaching.xlsx")).send().await.unwrap().bytes().await.unwrap().to_vec();
    let text: Vec<String> = hongzhu_ledger::read::read(bytes, &Default::default()).unwrap()[0]
        .rows
        .iter()
        .flat_map(|r| r.cells().map(str::to_string).collect::<Vec<_>>())
        .collect();
    assert!(text.iter().any(|c| c == &target.record.name) && text.iter().any(|c| c == "分数的初步认识"));
    let bytes = sec.get(format!("{base}/youth.xlsx")).send().await.unwrap().bytes().await.unwrap().to_vec();
    let text: Vec<String> = hongzhu_ledger::read::read(bytes, &Default::default()).unwrap()[0]
        .rows
        .iter()
        .flat_map(|r| r.cells().map(str::to_string).collect::<Vec<_>>())
        .collect();
    assert!(text.iter().any(|c| c == "共青团金乡县第一中学委员会") && text.iter().any(|c| c == "王晓"));
}
