//! Organizational life (DOMAIN §4): records and their roster, the review flow, check-in and its
//! refusals, 民主评议's limit, compliance facts, and the pages and API over the demo year.
use chrono::{Duration, Utc};
use hongzhu_core::labels::*;
use hongzhu_core::life::{Activity, ActivityInput, to_local};
use hongzhu_store::*;

use crate::on_both;
use crate::support::{self, Db};

fn activity(org: &str, kind: ActivityKind, starts: chrono::DateTime<Utc>, held: bool) -> Activity {
    let local = to_local(starts);
    ActivityInput {
        org: org.into(),
        kind: kind.code().into(),
        topic: "学习党的二十届四中全会精神".into(),
        date: local.date().to_string(),
        time: local.format("%H:%M").to_string(),
        place: "党员活动室".into(),
        host: "王芳".into(),
        recorder: "李强".into(),
        lecturer: "王芳".into(),
        content: if held { "集中学习，交流发言".into() } else { String::new() },
        held: if held { "1".into() } else { String::new() },
        ..Default::default()
    }
    .parse(Utc::now() + Duration::minutes(1))
    .expect("a valid activity")
}

fn refused_code(e: StoreError) -> &'static str {
    match e {
        StoreError::Refused(f) => f.code,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

async fn records_roster_checkin_and_review(db: Db) {
    let d = support::demo(db).await;
    let s = &d.store;
    let members = s
        .members(&Scope::All, &PeopleFilter { org: Some("JX-YZ-ZB1".into()), page: 1, page_size: 100, ..Default::default() })
        .await
        .unwrap();
    let start = Utc::now() + Duration::minutes(10);
    let a = s.create_activity(&activity("JX-YZ-ZB1", ActivityKind::ThemeDay, start, false), &[], &[], "t").await.unwrap();
    assert_eq!(a.status, ActivityStatus::Planned);
    let roster = s.attendance(a.id).await.unwrap();
    let due = members.items.iter().filter(|m| m.admitted_on <= to_local(start).date()).count();
    assert_eq!(roster.len(), due, "the roster is the branch's members");
    assert!(roster.iter().all(|r| r.state == AttendState::Due));

    // A committee meeting is due for the committee only (R1.4).
    let committee = s.create_activity(&activity("JX-YZ-ZB1", ActivityKind::CommitteeMeeting, start, false), &[], &[], "t").await.unwrap();
    let croster = s.attendance(committee.id).await.unwrap();
    assert!(croster.len() < roster.len());
    assert!(croster.iter().all(|r| hongzhu_core::life::is_committee(r.party_post)));

    // Check-in: on the roster, in the window, once.
    let p1 = roster[0].person_id;
    let p2 = roster[1].person_id;
    assert_eq!(s.check_in(a.id, p1, None, start - Duration::minutes(5), 30).await.unwrap(), AttendState::Present);
    assert_eq!(refused_code(s.check_in(a.id, p1, None, start, 30).await.unwrap_err()), "already");
    assert_eq!(refused_code(s.check_in(a.id, p2, None, start - Duration::minutes(31), 30).await.unwrap_err()), "not_open");
    assert_eq!(refused_code(s.check_in(a.id, p2, None, start + Duration::minutes(31), 30).await.unwrap_err()), "closed");
    let stranger =
        s.members(&Scope::All, &PeopleFilter { org: Some("JX-YZ-ZB2".into()), page: 1, page_size: 1, ..Default::default() }).await.unwrap();
    let stranger = stranger.items[0].person.person_id;
    assert_eq!(refused_code(s.check_in(a.id, stranger, None, start, 30).await.unwrap_err()), "not_on_roster");
    assert_eq!(refused_code(s.check_in(a.id, p2, Some(" "), start - Duration::minutes(40), 30).await.unwrap_err()), "required");
    assert_eq!(refused_code(s.check_in(a.id, p2, Some("外出培训"), start + Duration::minutes(1), 30).await.unwrap_err()), "leave_late");
    assert_eq!(s.check_in(a.id, p2, Some("外出培训"), start - Duration::minutes(40), 30).await.unwrap(), AttendState::Leave);
    let after = s.attendance(a.id).await.unwrap();
    assert_eq!(after.iter().find(|r| r.person_id == p1).unwrap().state, AttendState::Present);
    assert_eq!(after.iter().find(|r| r.person_id == p2).unwrap().reason.as_deref(), Some("外出培训"));
    assert_eq!(after.iter().filter(|r| r.state == AttendState::Present).count(), 1, "nothing else changed");
    // The member's last attendance is kept for R3.5.
    let presence = s.presence(&Scope::All, to_local(start).date() - Duration::days(30)).await.unwrap();
    let me = presence.iter().find(|p| p.member_id == after.iter().find(|r| r.person_id == p1).unwrap().member_id).unwrap();
    assert_eq!(me.last_present, Some(to_local(start).date()));
    // Checking in started the record.
    let a = s.activity(&Scope::All, a.id).await.unwrap().unwrap();
    assert_eq!(a.status, ActivityStatus::Draft);

    // Review: a plan cannot be submitted; a draft is submitted, then returned (with a reason) or accepted.
    assert_eq!(refused_code(s.review_activity(committee.id, committee.version, Review::Submit, None, "t").await.unwrap_err()), "not_held");
    let sub = s.review_activity(a.id, a.version, Review::Submit, None, "t").await.unwrap();
    assert_eq!(sub.status, ActivityStatus::Submitted);
    let mut changed = sub.activity.clone();
    changed.topic = "改过的主题".into();
    assert_eq!(refused_code(s.update_activity(a.id, sub.version, &changed, "t").await.unwrap_err()), "not_editable");
    assert!(matches!(s.review_activity(a.id, a.version, Review::Accept, None, "t").await, Err(StoreError::Stale { .. })));
    assert_eq!(refused_code(s.review_activity(a.id, sub.version, Review::Return, Some(""), "t").await.unwrap_err()), "required");
    let ret = s.review_activity(a.id, sub.version, Review::Return, Some("缺少讨论情况"), "county").await.unwrap();
    assert_eq!(ret.status, ActivityStatus::Returned);
    assert_eq!(ret.return_reason.as_deref(), Some("缺少讨论情况"));
    let fixed = s.update_activity(a.id, ret.version, &changed, "t").await.unwrap();
    assert_eq!(fixed.activity.topic, "改过的主题");
    let sub = s.review_activity(a.id, fixed.version, Review::Submit, None, "t").await.unwrap();
    let acc = s.review_activity(a.id, sub.version, Review::Accept, None, "county").await.unwrap();
    assert_eq!(acc.status, ActivityStatus::Accepted);
    assert_eq!(acc.reviewed_by.as_deref(), Some("county"));
    assert_eq!(refused_code(s.review_activity(a.id, acc.version, Review::Return, Some("x"), "t").await.unwrap_err()), "bad_step");
    assert!(s.history("activities", a.id).await.unwrap().len() >= 6, "every step is in the change history (S25)");

    // The compliance facts see the held theme day.
    let (facts, held, _) = s.life_facts(&Scope::All, to_local(start).date().format("%Y").to_string().parse().unwrap()).await.unwrap();
    assert!(facts.iter().any(|f| f.code.as_str() == "JX-YZ-ZB1" && f.members as usize >= due));
    assert!(held.iter().any(|h| h.org.as_str() == "JX-YZ-ZB1" && h.kind == ActivityKind::ThemeDay && h.status == ActivityStatus::Accepted));
}
on_both!(life_records_roster_checkin_and_review, records_roster_checkin_and_review);

async fn excellent_limit_writes_nothing(db: Db) {
    let d = support::demo(db).await;
    let s = &d.store;
    let org = s.org_id("JX-YZ-ZB1").await.unwrap().unwrap();
    let list = s.evaluations(org, 2026).await.unwrap();
    let n = list.len();
    assert!(n >= 4);
    let limit = n / 3;
    // Within the limit: saved.
    let ok: Vec<(i64, Grade)> =
        list.iter().enumerate().map(|(i, e)| (e.member_id, if i < limit { Grade::Excellent } else { Grade::Qualified })).collect();
    s.save_evaluations(org, 2026, &ok, "t").await.unwrap();
    // One more 优秀: refused, and nothing of this save is written.
    let mut too_many = ok.clone();
    too_many[limit].1 = Grade::Excellent;
    too_many[n - 1].1 = Grade::Basic;
    let e = s.save_evaluations(org, 2026, &too_many, "t").await.unwrap_err();
    match e {
        StoreError::Refused(f) => {
            assert_eq!(f.code, "excellent_limit");
            assert!(f.message_zh.contains(&format!("最多 {limit} 名")), "{}", f.message_zh);
        }
        other => panic!("{other:?}"),
    }
    let now = s.evaluations(org, 2026).await.unwrap();
    assert_eq!(now.iter().filter(|e| e.grade == Some(Grade::Excellent)).count(), limit);
    assert_eq!(now[n - 1].grade, Some(Grade::Qualified), "the refused save changed nothing");
    // A member of another organization is refused.
    let other =
        s.members(&Scope::All, &PeopleFilter { org: Some("JX-YZ-ZB2".into()), page: 1, page_size: 1, ..Default::default() }).await.unwrap();
    assert_eq!(
        refused_code(s.save_evaluations(org, 2026, &[(other.items[0].meta.id, Grade::Qualified)], "t").await.unwrap_err()),
        "not_in_org"
    );
}
on_both!(life_excellent_limit, excellent_limit_writes_nothing);

/// The demo year through the pages and the API, as the county, a secretary and a member.
#[tokio::test]
async fn life_pages_and_api_over_the_demo_year() {
    let app = support::app(Db::Sqlite).await;
    support::load_life(&app).await;
    let county = support::page_login(&app, "county").await;
    let r = county.get(format!("{}/life/compliance", app.base)).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let html = r.text().await.unwrap();
    assert!(html.contains("id=\"compliance\"") && html.contains("金乡街道"), "towns and organizations are listed");
    assert!(html.contains("R3.5"), "absent members are summarized");
    for path in [
        "/life",
        "/life/calendar",
        "/life/absent",
        "/life/observation",
        "/life/guides",
        "/life/evaluations?org=JX-YZ-ZB1",
        "/life/compliance/JX-YZ-ZB1",
    ] {
        let r = county.get(format!("{}{path}", app.base)).send().await.unwrap();
        assert_eq!(r.status(), 200, "{path}");
    }
    let absent = county.get(format!("{}/life/absent", app.base)).send().await.unwrap().text().await.unwrap();
    assert!(absent.contains("连续6个月未参加组织生活"), "the demo has members away 6 months (R3.5)");
    // One activity: its page, QR code, the record book.
    let (api, csrf) = support::api_login(&app, "county").await;
    let list: serde_json::Value =
        api.get(format!("{}/api/v1/activities?org=JX-YZ-ZB1&kind=theme_day", app.base)).send().await.unwrap().json().await.unwrap();
    let first = &list["items"][0];
    let id = first["id"].as_i64().unwrap();
    assert!(first["turnout"]["due"].as_i64().unwrap() > 0);
    let page = county.get(format!("{}/life/{id}", app.base)).send().await.unwrap().text().await.unwrap();
    assert!(page.contains(&format!("/life/{id}/qr.svg")) && page.contains("/m/checkin/"));
    let svg = county.get(format!("{}/life/{id}/qr.svg", app.base)).send().await.unwrap();
    assert_eq!(svg.headers()["content-type"], "image/svg+xml");
    assert!(svg.text().await.unwrap().starts_with("<?xml"));
    let book =
        county.get(format!("{}/life/book.xlsx?org=JX-YZ-ZB1&year={}", app.base, to_local(Utc::now()).format("%Y"))).send().await.unwrap();
    assert_eq!(book.status(), 200);
    let sheets = hongzhu_ledger::read::read(book.bytes().await.unwrap().to_vec(), &Default::default()).unwrap();
    assert!(sheets[0].rows.len() > 10, "a year of the branch's activities is in the book");

    // API: a held activity in the future is refused and nothing is written.
    let before = list["total"].as_i64().unwrap();
    let tomorrow = to_local(Utc::now() + Duration::days(1)).date().to_string();
    let body = serde_json::json!({"org": "JX-YZ-ZB1", "kind": "主题党日", "topic": "明天的活动", "date": tomorrow, "time": "15:00", "place": "会议室", "host": "王芳", "recorder": "李强", "content": "x", "held": true});
    let r = api.post(format!("{}/api/v1/activities", app.base)).header("x-csrf-token", &csrf).json(&body).send().await.unwrap();
    assert_eq!(r.status(), 422);
    let e: serde_json::Value = r.json().await.unwrap();
    assert_eq!(e["code"], "held_in_future");
    let again: serde_json::Value =
        api.get(format!("{}/api/v1/activities?org=JX-YZ-ZB1&kind=theme_day", app.base)).send().await.unwrap().json().await.unwrap();
    assert_eq!(again["total"].as_i64().unwrap(), before);
    // Without the CSRF token: 403.
    let r = api.post(format!("{}/api/v1/activities", app.base)).json(&body).send().await.unwrap();
    assert_eq!(r.status(), 403);

    // The secretary plans a theme day starting now; the member checks in on the phone.
    let (sec, sec_csrf) = support::api_login(&app, "yizhong").await;
    let now = to_local(Utc::now() + Duration::minutes(5));
    let plan = serde_json::json!({"org": "JX-YZ-ZB1", "kind": "theme_day", "topic": "现在的主题党日", "date": now.date().to_string(), "time": now.format("%H:%M").to_string(), "place": "会议室"});
    let r = sec.post(format!("{}/api/v1/activities", app.base)).header("x-csrf-token", &sec_csrf).json(&plan).send().await.unwrap();
    assert_eq!(r.status(), 201);
    let created: serde_json::Value = r.json().await.unwrap();
    let aid = created["id"].as_i64().unwrap();
    // Another organization's activity is not the secretary's: outside scope.
    let outside = serde_json::json!({"org": "JX-EZ-ZZ", "kind": "theme_day", "topic": "x", "date": now.date().to_string(), "place": "x"});
    let r = sec.post(format!("{}/api/v1/activities", app.base)).header("x-csrf-token", &sec_csrf).json(&outside).send().await.unwrap();
    assert_eq!(r.status(), 422);
    let member = support::page_login(&app, "dangyuan").await;
    let r = member.get(format!("{}/life", app.base)).send().await.unwrap();
    assert_eq!(r.status(), 403, "members have no activity list");
    let phone = member.get(format!("{}/m/checkin/{aid}", app.base)).send().await.unwrap().text().await.unwrap();
    let token = support::csrf_in(&phone);
    let r = member
        .post(format!("{}/m/checkin/{aid}", app.base))
        .form(&[("_csrf", token.as_str()), ("action", "checkin")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains("签到成功"));
    let r = member
        .post(format!("{}/m/checkin/{aid}", app.base))
        .form(&[("_csrf", token.as_str()), ("action", "checkin")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("无需重复签到"));
    let att: serde_json::Value =
        sec.get(format!("{}/api/v1/activities/{aid}/attendance", app.base)).send().await.unwrap().json().await.unwrap();
    assert_eq!(att["turnout"]["present"], 1, "the secretary sees the check-in");
    // The member's phone page lists the activity.
    let me = member.get(format!("{}/m", app.base)).send().await.unwrap().text().await.unwrap();
    assert!(me.contains("现在的主题党日"));
    // The secretary's home page has the to-do list.
    let sec_page = support::page_login(&app, "yizhong").await;
    let home = sec_page.get(format!("{}/", app.base)).send().await.unwrap().text().await.unwrap();
    assert!(home.contains("待办：组织生活"));
}

/// Photos and documents on a record: accepted by content, refused by type and size with nothing
/// written, fixed once submitted; study outside activities counts toward the 32 hours (R3.4).
#[tokio::test]
async fn life_attachments_and_study_records() {
    let app = support::app(Db::Sqlite).await;
    let (sec, csrf) = support::api_login(&app, "yizhong").await;
    let yesterday = to_local(Utc::now() - Duration::days(1)).date().to_string();
    let body = serde_json::json!({"org": "JX-YZ-ZB1", "kind": "党课", "topic": "党课：弘扬教育家精神", "date": yesterday, "time": "15:30", "place": "报告厅", "host": "王芳", "recorder": "李强", "lecturer": "王芳", "content": "讲授党课", "held": "1"});
    let r = sec.post(format!("{}/api/v1/activities", app.base)).header("x-csrf-token", &csrf).json(&body).send().await.unwrap();
    assert_eq!(r.status(), 201);
    let a: serde_json::Value = r.json().await.unwrap();
    let id = a["id"].as_i64().unwrap();
    assert_eq!(a["status"], "draft");
    let page = support::page_login(&app, "yizhong").await;
    let html = page.get(format!("{}/life/{id}", app.base)).send().await.unwrap().text().await.unwrap();
    let token = support::csrf_in(&html);
    let png = [b"\x89PNG\r\n\x1a\n".as_slice(), &[0u8; 64]].concat();
    let form = |name: &str, bytes: Vec<u8>| {
        reqwest::multipart::Form::new()
            .text("_csrf", token.clone())
            .part("file", reqwest::multipart::Part::bytes(bytes).file_name(name.to_string()))
    };
    let r = page.post(format!("{}/life/{id}/files", app.base)).multipart(form("现场照片.png", png.clone())).send().await.unwrap();
    assert_eq!(r.status(), 303, "uploaded, back to the record");
    // A program renamed .jpg: refused, with what is accepted.
    let r =
        page.post(format!("{}/life/{id}/files", app.base)).multipart(form("照片.jpg", b"MZ\x90\x00\x03".to_vec())).send().await.unwrap();
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("只接受 JPG、PNG 照片"));
    // Over 10 MB: refused before it is read whole.
    let big = [b"\xFF\xD8\xFF".as_slice(), &vec![0u8; 11 << 20]].concat();
    let r = page.post(format!("{}/life/{id}/files", app.base)).multipart(form("大照片.jpg", big)).send().await.unwrap();
    assert_eq!(r.status(), 413);
    assert!(r.text().await.unwrap().contains("10 MB"));
    let files: serde_json::Value =
        sec.get(format!("{}/api/v1/activities/{id}/files", app.base)).send().await.unwrap().json().await.unwrap();
    assert_eq!(files.as_array().unwrap().len(), 1, "only the photo was written");
    assert_eq!(files[0]["mime"], "image/png");
    let fid = files[0]["id"].as_i64().unwrap();
    let r = page.get(format!("{}/life/files/{fid}", app.base)).send().await.unwrap();
    assert_eq!(r.headers()["content-type"], "image/png");
    assert_eq!(r.bytes().await.unwrap().to_vec(), png);
    // A member of the organization cannot fetch files through the staff pages.
    let member = support::page_login(&app, "dangyuan").await;
    assert_eq!(member.get(format!("{}/life/files/{fid}", app.base)).send().await.unwrap().status(), 403);
    // Submitted: attachments are fixed.
    let r = sec
        .post(format!("{}/api/v1/activities/{id}/review", app.base))
        .header("x-csrf-token", &csrf)
        .json(&serde_json::json!({"step": "submit", "version": a["version"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let part = reqwest::multipart::Part::bytes(png.clone()).file_name("再一张.png");
    let r = sec
        .post(format!("{}/api/v1/activities/{id}/files", app.base))
        .header("x-csrf-token", &csrf)
        .multipart(reqwest::multipart::Form::new().part("file", part))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let e: serde_json::Value = r.json().await.unwrap();
    assert_eq!(e["code"], "not_editable");

    // Study records (R3.4): a future date is refused; a valid one counts.
    let m = app
        .demo
        .store
        .members(&Scope::All, &PeopleFilter { org: Some("JX-YZ-ZB1".into()), page: 1, page_size: 1, ..Default::default() })
        .await
        .unwrap();
    let mid = m.items[0].meta.id;
    let year: i32 = to_local(Utc::now()).format("%Y").to_string().parse().unwrap();
    let before = app.demo.store.study_hours(&[mid], year).await.unwrap().get(&mid).copied().unwrap_or(0.0);
    let tomorrow = to_local(Utc::now() + Duration::days(1)).date().to_string();
    let org_page = page.get(format!("{}/life/compliance/JX-YZ-ZB1", app.base)).send().await.unwrap().text().await.unwrap();
    let token = support::csrf_in(&org_page);
    let mid_s = mid.to_string();
    let r = page
        .post(format!("{}/life/compliance/JX-YZ-ZB1/study", app.base))
        .form(&[
            ("_csrf", token.as_str()),
            ("member", mid_s.as_str()),
            ("studied_on", tomorrow.as_str()),
            ("hours", "2"),
            ("content", "网络学习"),
        ])
        .send()
        .await
        .unwrap();
    let to = r.headers()["location"].to_str().unwrap().to_string();
    assert!(to.contains("study=") && !to.contains("saved"), "{to}");
    let shown = page.get(format!("{}{to}", app.base)).send().await.unwrap().text().await.unwrap();
    assert!(shown.contains("学习日期不能晚于今天"));
    let r = page
        .post(format!("{}/life/compliance/JX-YZ-ZB1/study", app.base))
        .form(&[
            ("_csrf", token.as_str()),
            ("member", mid_s.as_str()),
            ("studied_on", yesterday.as_str()),
            ("hours", "2.5"),
            ("content", "网络学习"),
        ])
        .send()
        .await
        .unwrap();
    assert!(r.headers()["location"].to_str().unwrap().contains("study=saved"));
    let after = app.demo.store.study_hours(&[mid], year).await.unwrap()[&mid];
    assert!((after - before - 2.5).abs() < 1e-9, "{before} → {after}");
}

/// "Other" activities take their names from the county's list once it keeps one.
#[tokio::test]
async fn life_other_kinds_come_from_the_county_list() {
    let app = support::app(Db::Sqlite).await;
    let (api, csrf) = support::api_login(&app, "county").await;
    let yesterday = to_local(Utc::now() - Duration::days(1)).date().to_string();
    let body = |name: &str| serde_json::json!({"org": "JX-YZ-ZB1", "kind": "其他", "kind_name": name, "topic": "进社区", "date": yesterday, "place": "社区", "host": "王芳", "recorder": "李强", "content": "服务", "held": "1"});
    // No list yet: any name.
    let r = api.post(format!("{}/api/v1/activities", app.base)).header("x-csrf-token", &csrf).json(&body("读书会")).send().await.unwrap();
    assert_eq!(r.status(), 201);
    let page = support::page_login(&app, "county").await;
    let html = page.get(format!("{}/life/guides", app.base)).send().await.unwrap().text().await.unwrap();
    let token = support::csrf_in(&html);
    let r =
        page.post(format!("{}/life/kinds", app.base)).form(&[("_csrf", token.as_str()), ("name", "党员志愿服务")]).send().await.unwrap();
    assert_eq!(r.status(), 303);
    let r = page.post(format!("{}/life/kinds", app.base)).form(&[("_csrf", token.as_str()), ("name", "主题党日")]).send().await.unwrap();
    assert!(r.text().await.unwrap().contains("已是系统内置的活动类型"));
    let r = api.post(format!("{}/api/v1/activities", app.base)).header("x-csrf-token", &csrf).json(&body("读书会")).send().await.unwrap();
    assert_eq!(r.status(), 422);
    let e: serde_json::Value = r.json().await.unwrap();
    assert_eq!(e["field"], "kind_name");
    assert!(e["message"].as_str().unwrap().contains("党员志愿服务"));
    let r =
        api.post(format!("{}/api/v1/activities", app.base)).header("x-csrf-token", &csrf).json(&body("党员志愿服务")).send().await.unwrap();
    assert_eq!(r.status(), 201);
    let a: serde_json::Value = r.json().await.unwrap();
    assert_eq!(a["kind_name"], "党员志愿服务");
}

/// The API beside the pages: themes, democratic review with its limit, observation coverage and
/// study records.
#[tokio::test]
async fn life_api_for_themes_grades_observation_and_study() {
    let app = support::app(Db::Sqlite).await;
    support::load_life(&app).await;
    let (api, csrf) = support::api_login(&app, "county").await;
    let base = &app.base;
    let r = api
        .post(format!("{base}/api/v1/life/guides"))
        .header("x-csrf-token", &csrf)
        .json(&serde_json::json!({"month": "2027-01", "topic": "新年第一课", "materials": "学习提纲"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let g: serde_json::Value = api.get(format!("{base}/api/v1/life/guides")).send().await.unwrap().json().await.unwrap();
    assert_eq!(g["guides"][0]["topic"], "新年第一课");
    let r = api
        .post(format!("{base}/api/v1/life/guides"))
        .header("x-csrf-token", &csrf)
        .json(&serde_json::json!({"month": "2027-13", "topic": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);

    let obs: serde_json::Value = api.get(format!("{base}/api/v1/life/observation")).send().await.unwrap().json().await.unwrap();
    let cadres = obs["cadres"].as_u64().unwrap();
    assert!(cadres > 100 && obs["reached"].as_u64().unwrap() + obs["not_reached"].as_array().unwrap().len() as u64 == cadres);

    let ev: serde_json::Value =
        api.get(format!("{base}/api/v1/life/evaluations?org=JX-YZ-ZB1&year=2026")).send().await.unwrap().json().await.unwrap();
    let limit = ev["limit_excellent"].as_u64().unwrap() as usize;
    let ids: Vec<i64> = ev["members"].as_array().unwrap().iter().map(|m| m["member_id"].as_i64().unwrap()).collect();
    let too_many: serde_json::Map<String, serde_json::Value> =
        ids.iter().take(limit + 1).map(|i| (i.to_string(), serde_json::json!("优秀"))).collect();
    let r = api
        .put(format!("{base}/api/v1/life/evaluations"))
        .header("x-csrf-token", &csrf)
        .json(&serde_json::json!({"org": "JX-YZ-ZB1", "year": 2026, "grades": too_many}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let e: serde_json::Value = r.json().await.unwrap();
    assert_eq!(e["code"], "excellent_limit");
    let after: serde_json::Value =
        api.get(format!("{base}/api/v1/life/evaluations?org=JX-YZ-ZB1&year=2026")).send().await.unwrap().json().await.unwrap();
    assert!(after["members"].as_array().unwrap().iter().all(|m| m["grade"].is_null()), "nothing was written");
    let ok: serde_json::Map<String, serde_json::Value> =
        ids.iter().take(limit).map(|i| (i.to_string(), serde_json::json!("excellent"))).collect();
    let r = api
        .put(format!("{base}/api/v1/life/evaluations"))
        .header("x-csrf-token", &csrf)
        .json(&serde_json::json!({"org": "JX-YZ-ZB1", "year": 2026, "grades": ok}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);

    let member = ids[0];
    let on = to_local(Utc::now() - Duration::days(2)).date().to_string();
    let r = api
        .post(format!("{base}/api/v1/life/study"))
        .header("x-csrf-token", &csrf)
        .json(&serde_json::json!({"org": "JX-YZ-ZB1", "member": member, "studied_on": on, "hours": 3, "content": "网络培训"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let b: serde_json::Value = r.json().await.unwrap();
    assert!(b["hours"].as_f64().unwrap() >= 3.0);
    let r = api
        .post(format!("{base}/api/v1/life/study"))
        .header("x-csrf-token", &csrf)
        .json(&serde_json::json!({"org": "JX-YZ-ZB1", "member": member, "studied_on": on, "hours": 30, "content": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
}

/// An observation event is hosted by one or more schools and invites organizations; without a
/// host it is refused.
#[tokio::test]
async fn life_observation_events_have_host_schools() {
    let app = support::app(Db::Sqlite).await;
    let (api, csrf) = support::api_login(&app, "county").await;
    let when = to_local(Utc::now() + Duration::days(3));
    let body = |hosts: serde_json::Value| serde_json::json!({"org": "JX-JYGW", "kind": "observation", "topic": "党建与教学融合观摩", "date": when.date().to_string(), "time": "09:00", "place": "报告厅", "invited": ["JX-YZ-ZB1", "JX-YZ-ZB2"], "hosts": hosts});
    let r = api
        .post(format!("{}/api/v1/activities", app.base))
        .header("x-csrf-token", &csrf)
        .json(&body(serde_json::json!([])))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let e: serde_json::Value = r.json().await.unwrap();
    assert_eq!(e["field"], "hosts");
    let school = app
        .demo
        .store
        .institutions(&Scope::All, &InstitutionFilter { page: 1, page_size: 1, q: Some("金乡县第一中学".into()), ..Default::default() })
        .await
        .unwrap();
    let code = school.items[0].record.code.to_string();
    let r = api
        .post(format!("{}/api/v1/activities", app.base))
        .header("x-csrf-token", &csrf)
        .json(&body(serde_json::json!([code])))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let a: serde_json::Value = r.json().await.unwrap();
    let id = a["id"].as_i64().unwrap();
    let page = support::page_login(&app, "county").await;
    let html = page.get(format!("{}/life/{id}", app.base)).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("承办学校") && html.contains(&format!("/institutions/{code}")));
    // The roster is the invited organizations' Party-affairs cadres.
    let att: serde_json::Value =
        api.get(format!("{}/api/v1/activities/{id}/attendance", app.base)).send().await.unwrap().json().await.unwrap();
    let roster = att["attendance"].as_array().unwrap();
    assert!(!roster.is_empty());
    assert!(roster.iter().all(|r| r["party_post"].is_string()));
}
