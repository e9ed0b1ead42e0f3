//! 党建+ — pairing with left-behind children (R6.2; SECURITY S8, S9, S13, S14): the secretary adds a
//! child (a 16-year-old is refused, nothing written), pairs a member teaching there; the member
//! records visits on the phone (before the pairing: refused; for someone else's pairing: 404 and an
//! audit row); a county user not designated sees counts only and gets 404 with an audit row for a
//! record; the child's name is nowhere in the database files; an export needs a second, designated
//! person's approval and is taken once.
use hongzhu_store::{AuditFilter, PeopleFilter, Scope};
use serde_json::Value;

use crate::support::{self, Db};

fn today() -> chrono::NaiveDate {
    hongzhu_core::life::to_local(chrono::Utc::now()).date()
}

async fn audit_count(app: &support::App, event: &str, text: &str) -> usize {
    app.demo
        .store
        .audit_rows(&AuditFilter { event: Some(event.into()), text: Some(text.into()), page: 1, page_size: 1000, ..Default::default() })
        .await
        .unwrap()
        .items
        .len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn children_kept_sealed_scoped_and_audited() {
    let app = support::app(Db::Sqlite).await;
    let store = &app.demo.store;
    let base = &app.base;
    let sec = support::page_login(&app, "yizhong").await;
    let form = sec.get(format!("{base}/children/new")).send().await.unwrap().text().await.unwrap();
    assert!(form.contains("留守情形") && form.contains("3708280001"), "the form offers the secretary's schools");
    let csrf = support::csrf_in(&form);
    let t = today();
    let year = chrono::Datelike::year(&t);
    let sixteen = t.checked_sub_months(chrono::Months::new(16 * 12)).unwrap().to_string();
    let ten = t.checked_sub_months(chrono::Months::new(10 * 12 + 3)).unwrap().to_string();
    let post = |birth: String, school: &'static str| {
        let csrf = csrf.clone();
        let sec = sec.clone();
        async move {
            sec.post(format!("{base}/children/new"))
                .form(&[
                    ("_csrf", csrf.as_str()),
                    ("school", school),
                    ("name", "甄小蕾"),
                    ("gender", "女"),
                    ("birth_date", birth.as_str()),
                    ("class_name", "高一三班"),
                    ("situation", "both_away"),
                    ("guardian", "grandparents"),
                    ("note", "父母在外地务工"),
                ])
                .send()
                .await
                .unwrap()
        }
    };
    // Sixteen today: refused with the rule, nothing written.
    let r = post(sixteen, "3708280001").await;
    assert_eq!(r.status(), 422);
    let body = r.text().await.unwrap();
    assert!(body.contains("R6.2") && body.contains("不满 16 周岁"), "says why");
    assert!(store.care_counts(&Scope::All, year).await.unwrap().is_empty(), "nothing written");
    // A school outside the secretary's scope is not offered and not accepted.
    assert!(!support::between(&form, "name=\"school\"", "</select>").unwrap().contains("3708280002"), "not offered");
    let r = post(ten.clone(), "3708280002").await;
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("请选择本组织覆盖的学校"), "not accepted, and said why");
    let r = post(ten, "3708280001").await;
    assert_eq!(r.status(), 303, "{}", r.text().await.unwrap());
    let child: i64 = r.headers()["location"].to_str().unwrap().trim_start_matches("/children/").split('?').next().unwrap().parse().unwrap();

    // S13: the name is sealed: not in the SQLite file nor its WAL.
    let file = hongzhu_store::keys::sqlite_file(&app.demo._db.url).unwrap();
    let mut wal = file.clone().into_os_string();
    wal.push("-wal");
    let mut bytes = std::fs::read(&file).unwrap();
    bytes.extend(std::fs::read(std::path::PathBuf::from(wal)).unwrap_or_default());
    let name = "甄小蕾".as_bytes();
    assert!(!bytes.windows(name.len()).any(|w| w == name), "the child's name is in the database files");
    assert!(!bytes.windows("父母在外地务工".len()).any(|w| w == "父母在外地务工".as_bytes()));

    // Pair with the member teacher (chosen from those teaching at the school).
    let me = support::member_of(&app).await;
    let page = sec.get(format!("{base}/children/{child}")).send().await.unwrap();
    assert_eq!(page.headers()["cache-control"], "no-store");
    let page = page.text().await.unwrap();
    assert!(page.contains("甄小蕾") && page.contains(&me.person.name), "the detail offers the member");
    assert!(audit_count(&app, "view_sensitive", &format!("child {child}")).await >= 1, "the view is audited");
    let start = (t - chrono::Duration::days(30)).to_string();
    let me_id = me.meta.id.to_string();
    let elsewhere = store
        .members(&Scope::All, &PeopleFilter { institution: Some("3708280002".into()), page: 1, page_size: 1, ..Default::default() })
        .await
        .unwrap()
        .items[0]
        .meta
        .id
        .to_string();
    let r = sec
        .post(format!("{base}/children/{child}/pair"))
        .form(&[("_csrf", csrf.as_str()), ("member", elsewhere.as_str()), ("started_on", start.as_str()), ("help", "study")])
        .send()
        .await
        .unwrap();
    let shown = sec.get(format!("{base}{}", r.headers()["location"].to_str().unwrap())).send().await.unwrap().text().await.unwrap();
    assert!(shown.contains("请选择在该儿童学校任教的党员"), "a member of another school is refused");
    assert!(store.child(child, year).await.unwrap().unwrap().1.is_empty(), "nothing written");
    let r = sec
        .post(format!("{base}/children/{child}/pair"))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("member", me_id.as_str()),
            ("started_on", start.as_str()),
            ("help", "study"),
            ("help", "mental"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let (row, pairings, _) = store.child(child, year).await.unwrap().unwrap();
    assert_eq!(pairings.len(), 1);
    assert_eq!(row.pairing.as_ref().unwrap().member_id, me.meta.id);
    assert_eq!(pairings[0].help.len(), 2);

    // The member's phone page: a visit before the pairing is refused, a good one recorded.
    let phone = support::page_login(&app, "dangyuan").await;
    let mine = phone.get(format!("{base}/m/children")).send().await.unwrap().text().await.unwrap();
    assert!(mine.contains("甄小蕾"));
    let pcsrf = support::csrf_in(&mine);
    let pid = pairings[0].id.to_string();
    let visit = |on: String, pairing: String| {
        let phone = phone.clone();
        let pcsrf = pcsrf.clone();
        async move {
            phone
                .post(format!("{base}/m/children/visits"))
                .form(&[
                    ("_csrf", pcsrf.as_str()),
                    ("pairing", pairing.as_str()),
                    ("visited_on", on.as_str()),
                    ("help", "study"),
                    ("note", "辅导数学作业一小时"),
                ])
                .send()
                .await
                .unwrap()
        }
    };
    let r = visit((t - chrono::Duration::days(31)).to_string(), pid.clone()).await;
    let shown = phone.get(format!("{base}{}", r.headers()["location"].to_str().unwrap())).send().await.unwrap().text().await.unwrap();
    assert!(shown.contains("早于结对日期"), "the visit before the pairing is refused and says why");
    let r = visit(t.to_string(), pid.clone()).await;
    assert_eq!(r.status(), 303);
    let (_, _, visits) = store.child(child, year).await.unwrap().unwrap();
    assert_eq!(visits.len(), 1);
    assert_eq!(visits[0].note, "辅导数学作业一小时");

    // Someone else's pairing: 404 and an audit row, nothing written.
    let other_inst = store.institution(&Scope::All, "3708280002").await.unwrap().unwrap().meta.id;
    let input = hongzhu_core::care::ChildInput {
        name: "田小雨".into(),
        gender: "男".into(),
        birth_date: (t - chrono::Duration::days(365 * 9)).to_string(),
        class_name: String::new(),
        situation: "one_away".into(),
        guardian: "relative".into(),
        note: String::new(),
    };
    let other_child = store.add_child(other_inst, &hongzhu_core::care::check_child(&input, t).unwrap(), "test").await.unwrap();
    let someone = store
        .members(&Scope::All, &PeopleFilter { org: Some("JX-EZ-ZZ".into()), page: 1, page_size: 1, ..Default::default() })
        .await
        .unwrap()
        .items
        .remove(0);
    let other_pairing =
        store.pair_child(other_child, someone.meta.id, t, &[hongzhu_core::labels::HelpKind::Study], t, "test").await.unwrap();
    let denied_before = audit_count(&app, "access_denied", &format!("child {other_child}")).await;
    let r = visit(t.to_string(), other_pairing.to_string()).await;
    assert_eq!(r.status(), 404);
    assert_eq!(audit_count(&app, "access_denied", &format!("child {other_child}")).await, denied_before + 1);
    assert!(store.child(other_child, year).await.unwrap().unwrap().2.is_empty());
    // The secretary cannot open the other school's child either, nor change it: 404, audited.
    assert_eq!(sec.get(format!("{base}/children/{other_child}")).send().await.unwrap().status(), 404);
    let before = audit_count(&app, "access_denied", &format!("child {other_child}")).await;
    for path in [format!("/children/{other_child}/close"), format!("/children/pairings/{other_pairing}/end")] {
        let r = sec.post(format!("{base}{path}")).form(&[("_csrf", csrf.as_str()), ("ended_on", &t.to_string())]).send().await.unwrap();
        assert_eq!(r.status(), 404, "{path}");
    }
    assert_eq!(audit_count(&app, "access_denied", &format!("child {other_child}")).await, before + 2);
    let (row, pairings, _) = store.child(other_child, year).await.unwrap().unwrap();
    assert!(row.closed_on.is_none() && pairings[0].ended_on.is_none(), "nothing changed");
    // A name is searched by POST: the list filters, the URL keeps no name.
    let found =
        sec.post(format!("{base}/children")).form(&[("_csrf", csrf.as_str()), ("q", "甄小")]).send().await.unwrap().text().await.unwrap();
    let table = support::between(&found, "id=\"children\"", "</table>").unwrap();
    assert!(table.contains("甄小蕾"));
    let none =
        sec.post(format!("{base}/children")).form(&[("_csrf", csrf.as_str()), ("q", "无此人")]).send().await.unwrap().text().await.unwrap();
    assert!(!none.contains("id=\"children\"") && none.contains("没有符合条件的记录"));

    // County staff not designated: counts only; a record is 404 with an audit row.
    let county = support::page_login(&app, "county").await;
    let list = county.get(format!("{base}/children")).send().await.unwrap().text().await.unwrap();
    assert!(list.contains("care-counts") && !list.contains("甄小蕾") && list.contains("只能查看汇总数字"));
    let before = audit_count(&app, "access_denied", &format!("child {child}")).await;
    assert_eq!(county.get(format!("{base}/children/{child}")).send().await.unwrap().status(), 404);
    assert_eq!(audit_count(&app, "access_denied", &format!("child {child}")).await, before + 1);
    let (api, _) = support::api_login(&app, "county").await;
    let body: Value = api.get(format!("{base}/api/v1/children")).send().await.unwrap().json().await.unwrap();
    assert!(body["items"].is_null());
    assert_eq!(body["counts"].as_array().unwrap().len(), 2);

    // S14: an export needs a designated second person; taken once.
    assert_eq!(sec.get(format!("{base}/children/export.xlsx")).send().await.unwrap().status(), 403);
    let r = sec
        .post(format!("{base}/children/exports"))
        .form(&[("_csrf", csrf.as_str()), ("reason", "报送县妇联半年统计")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let req = store.export_requests("children", "", 10).await.unwrap().remove(0);
    let r = sec
        .post(format!("{base}/children/exports/{}", req.id))
        .form(&[("_csrf", csrf.as_str()), ("action", "approve")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403, "not by the one who asked");
    let ccsrf = support::csrf_in(&list);
    let r = county
        .post(format!("{base}/children/exports/{}", req.id))
        .form(&[("_csrf", ccsrf.as_str()), ("action", "approve")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403, "not by county staff who are not designated");
    // The security administrator designates county2.
    let county2 = store.user_by_username("county2").await.unwrap().unwrap();
    store
        .change_user(
            county2.id,
            &hongzhu_store::UserChange { can_children: Some(true), ..Default::default() },
            &hongzhu_store::AuditEntry {
                actor: hongzhu_store::Actor::cli("test"),
                event: "user_change",
                object: "user county2".into(),
                outcome: hongzhu_store::Outcome::Success,
                detail: "designated".into(),
            },
        )
        .await
        .unwrap();
    let c2 = support::page_login(&app, "county2").await;
    let list = c2.get(format!("{base}/children")).send().await.unwrap().text().await.unwrap();
    assert!(list.contains("甄小蕾") && list.contains("田小雨"), "designated county staff see the region's records");
    assert_eq!(c2.get(format!("{base}/children/{child}")).send().await.unwrap().status(), 200);
    let page = c2.get(format!("{base}/children/exports")).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("报送县妇联半年统计"), "the designated approver sees the request");
    let c2csrf = support::csrf_in(&page);
    // (Signing in counts as typing the password: the approval goes through within the S4 window.)
    let r = c2
        .post(format!("{base}/children/exports/{}", req.id))
        .form(&[("_csrf", c2csrf.as_str()), ("action", "approve")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["location"].to_str().unwrap().split('?').next().unwrap(), "/children/exports");
    assert_eq!(store.export_request(req.id).await.unwrap().unwrap().status, "approved");
    let r = sec.get(format!("{base}/children/export.xlsx?request={}", req.id)).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let bytes = r.bytes().await.unwrap().to_vec();
    let sheets = hongzhu_ledger::read::read(bytes, &Default::default()).unwrap();
    let text: Vec<String> = sheets[0].rows.iter().flat_map(|r| r.cells().map(str::to_string)).collect();
    assert!(text.iter().any(|c| c == "甄小蕾") && !text.iter().any(|c| c == "田小雨"), "the secretary's own school only");
    assert!(audit_count(&app, "export", "children").await >= 1, "the export is logged");
    let r = sec.get(format!("{base}/children/export.xlsx?request={}", req.id)).send().await.unwrap();
    assert_eq!(r.status(), 422, "taken once");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn closing_a_record_ends_the_pairing_and_retention_purges_it() {
    let app = support::app(Db::Sqlite).await;
    let store = &app.demo.store;
    let t = today();
    let year = chrono::Datelike::year(&t);
    let inst = store.institution(&Scope::All, "3708280001").await.unwrap().unwrap().meta.id;
    let input = hongzhu_core::care::ChildInput {
        name: "岳小宁".into(),
        gender: "男".into(),
        birth_date: (t - chrono::Duration::days(365 * 12)).to_string(),
        class_name: String::new(),
        situation: "both_away".into(),
        guardian: "grandparents".into(),
        note: String::new(),
    };
    let id = store.add_child(inst, &hongzhu_core::care::check_child(&input, t).unwrap(), "test").await.unwrap();
    let m = support::member_of(&app).await;
    let p =
        store.pair_child(id, m.meta.id, t - chrono::Duration::days(10), &[hongzhu_core::labels::HelpKind::Moral], t, "test").await.unwrap();
    // One pairing in force at a time.
    let again = store.pair_child(id, m.meta.id, t, &[hongzhu_core::labels::HelpKind::Moral], t, "test").await;
    assert!(matches!(again, Err(hongzhu_store::StoreError::Refused(ref e)) if e.code == "paired"), "{again:?}");
    store
        .record_visit(p, m.meta.id, t - chrono::Duration::days(5), hongzhu_core::labels::HelpKind::Moral, "一起读红色故事书", t, "test")
        .await
        .unwrap();
    store.close_child(id, t, "test").await.unwrap();
    let (row, pairings, _) = store.child(id, year).await.unwrap().unwrap();
    assert_eq!(row.closed_on, Some(t));
    assert_eq!(pairings[0].ended_on, Some(t), "the pairing ends with the record");
    // A closed record is not paired again.
    let again = store.pair_child(id, m.meta.id, t, &[hongzhu_core::labels::HelpKind::Moral], t, "test").await;
    assert!(matches!(again, Err(hongzhu_store::StoreError::Refused(ref e)) if e.code == "closed"), "{again:?}");
    // The pairing ended today: a visit on its last day still counts, none after.
    let too_late = store.record_visit(p, m.meta.id, t, hongzhu_core::labels::HelpKind::Moral, "一起读红色故事书", t, "test").await;
    assert!(too_late.is_ok(), "a visit on the last day still counts");
    let after = store
        .record_visit(
            p,
            m.meta.id,
            t + chrono::Duration::days(1),
            hongzhu_core::labels::HelpKind::Moral,
            "一起读红色故事书",
            t + chrono::Duration::days(1),
            "test",
        )
        .await;
    assert!(matches!(after, Err(hongzhu_store::StoreError::Refused(ref e)) if e.code == "after_pairing"), "{after:?}");
    // S15: purged when the retention ends, with pairings and visits.
    let actor = hongzhu_store::Actor::cli("test");
    let kept = store.purge_expired(chrono::Utc::now() - chrono::Duration::days(1), chrono::Utc::now(), false, &actor).await.unwrap();
    assert_eq!(kept.get("children").copied().unwrap_or(0), 0, "not yet");
    let purged = store.purge_expired(chrono::Utc::now() + chrono::Duration::days(2), chrono::Utc::now(), false, &actor).await.unwrap();
    assert_eq!(purged.get("children").copied(), Some(1));
    assert_eq!(purged.get("child_pairings").copied(), Some(1));
    assert_eq!(purged.get("child_visits").copied(), Some(2));
    assert!(store.child(id, year).await.unwrap().is_none());
}
