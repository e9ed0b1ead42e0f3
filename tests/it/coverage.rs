//! The coverage audit on the web and in the API (the audit against the shared fixture is in
//! `ledger`, where the fixture is read the way users' files are).

/// A shared fixture: `../shared/fixtures/ledger/` beside the project's root.
pub fn fixture(name: &str) -> std::path::PathBuf {
    let p = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/fixtures/ledger").join(name);
    assert!(p.exists(), "fixture {} is missing: the tests expect shared/ beside the project's root", p.display());
    p
}

mod web {
    use chrono::Utc;
    use serde_json::Value;

    use crate::support::{self, Db};

    async fn coverage_api_and_pages(db: Db) {
        let app = support::app(db).await;
        let (c, _) = support::api_login(&app, "county").await;
        let today = Utc::now().date_naive();
        let r = c.get(format!("{}/api/v1/coverage?as_of={today}", app.base)).send().await.unwrap();
        assert_eq!(r.status(), 200);
        let a: Value = r.json().await.unwrap();
        let keys: Vec<&str> = a.as_object().unwrap().keys().map(|k| k.as_str()).collect();
        assert_eq!(keys, vec!["as_of", "findings", "institutions", "rates", "region", "warnings"]);
        assert_eq!(a["region"], "370828");
        assert_eq!(a["institutions"]["planned"], 2);
        let gaps: std::collections::HashSet<&str> = a["findings"].as_array().unwrap().iter().map(|f| f["gap"].as_str().unwrap()).collect();
        assert_eq!(gaps.len(), 12, "every gap code: {gaps:?}");
        // Bad input answers with the field and what is wrong.
        let r = c.get(format!("{}/api/v1/coverage?as_of=2026-02-30", app.base)).send().await.unwrap();
        assert_eq!(r.status(), 422);
        assert_eq!(r.json::<Value>().await.unwrap()["field"], "as_of");
        let r = c.get(format!("{}/api/v1/coverage?as_of=1950-01-01", app.base)).send().await.unwrap();
        assert_eq!(r.status(), 422);
        assert!(r.json::<Value>().await.unwrap()["message"].as_str().unwrap().contains("之前没有数据"));
        let r = c.get(format!("{}/api/v1/coverage?region=370828999", app.base)).send().await.unwrap();
        assert_eq!(r.status(), 422);
        assert_eq!(r.json::<Value>().await.unwrap()["field"], "region");
        let r = c.get(format!("{}/api/v1/coverage?region=370829", app.base)).send().await.unwrap();
        assert_eq!(r.status(), 404, "another county is out of scope");
        let town: Value = c.get(format!("{}/api/v1/coverage?region=370828105", app.base)).send().await.unwrap().json().await.unwrap();
        assert!(town["institutions"]["operating"].as_u64().unwrap() < 30);

        // The page, its print view and its workbook.
        let p = support::page_login(&app, "county").await;
        let html = p.get(format!("{}/coverage", app.base)).send().await.unwrap().text().await.unwrap();
        assert!(html.contains("党员全覆盖率") && html.contains("<svg") && html.contains("问题与整改建议") && html.contains("就近挂靠"));
        let drill = p.get(format!("{}/coverage?town=370828105&check=organization", app.base)).send().await.unwrap().text().await.unwrap();
        assert!(drill.contains("卜集镇") && !drill.contains("鸡黍镇中心小学</a> <span"));
        let bad = p.get(format!("{}/coverage?as_of=yesterday", app.base)).send().await.unwrap();
        assert_eq!(bad.status(), 422);
        assert!(bad.text().await.unwrap().contains("核查日期“yesterday”无效"));
        let print = p.get(format!("{}/coverage/print", app.base)).send().await.unwrap().text().await.unwrap();
        assert!(print.contains("问题清单与整改建议") && print.contains("print-table"));
        let x = p.get(format!("{}/coverage/export.xlsx", app.base)).send().await.unwrap();
        assert_eq!(x.headers()["content-type"], "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
        let bytes = x.bytes().await.unwrap();
        assert_eq!(&bytes[..2], b"PK");
        let tmp = support::TempDir::new();
        let path = tmp.0.join("c.xlsx");
        std::fs::write(&path, &bytes).unwrap();
        let mut wb: calamine::Xlsx<_> = calamine::open_workbook(&path).unwrap();
        use calamine::Reader;
        assert_eq!(wb.sheet_names(), vec!["汇总", "党员全覆盖", "班子党员全覆盖", "党组织全覆盖", "整改方案", "预警"]);
        let org = wb.worksheet_range("党组织全覆盖").unwrap();
        assert!(org.rows().count() > 5);
    }
    crate::on_both!(coverage_web, coverage_api_and_pages);

    async fn snapshots_and_rectification(db: Db) {
        let app = support::app(db).await;
        let p = support::page_login(&app, "county").await;
        let html = p.get(format!("{}/coverage", app.base)).send().await.unwrap().text().await.unwrap();
        let csrf = support::csrf_in(&html);
        // A task for 金乡县城东小学（筹建）'s planned_without_org finding.
        let (c, _) = support::api_login(&app, "county").await;
        let a: Value = c.get(format!("{}/api/v1/coverage", app.base)).send().await.unwrap().json().await.unwrap();
        let f = a["findings"].as_array().unwrap().iter().find(|f| f["gap"] == "planned_without_org").unwrap().clone();
        let inst = f["institution"].as_str().unwrap().to_string();
        let today = Utc::now().date_naive();
        let form = p
            .get(format!("{}/coverage/tasks/new?institution={inst}&gap=planned_without_org&as_of={today}", app.base))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(form.contains("与学校建设同步谋划党组织设置"));
        let r = p
            .post(format!("{}/coverage/tasks/new", app.base))
            .form(&[
                ("_csrf", csrf.as_str()),
                ("institution", &inst),
                ("gap", "planned_without_org"),
                ("as_of", &today.to_string()),
                ("responsible", ""),
                ("deadline", "2020-01-01"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 422);
        let t = r.text().await.unwrap();
        assert!(t.contains("请填写责任人") && t.contains("整改期限不能早于今天"));
        let deadline = (today + chrono::Duration::days(30)).to_string();
        let r = p
            .post(format!("{}/coverage/tasks/new", app.base))
            .form(&[
                ("_csrf", csrf.as_str()),
                ("institution", &inst),
                ("gap", "planned_without_org"),
                ("as_of", &today.to_string()),
                ("responsible", "县教育局基建科"),
                ("deadline", &deadline),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303);
        let list = p.get(format!("{}/coverage/tasks", app.base)).send().await.unwrap().text().await.unwrap();
        assert!(list.contains("县教育局基建科") && list.contains("筹建学校未同步谋划党组织"));
        // The same finding cannot get a second open task.
        let r = p
            .post(format!("{}/coverage/tasks/new", app.base))
            .form(&[
                ("_csrf", csrf.as_str()),
                ("institution", &inst),
                ("gap", "planned_without_org"),
                ("as_of", &today.to_string()),
                ("responsible", "x"),
                ("deadline", &deadline),
            ])
            .send()
            .await
            .unwrap();
        assert!(r.text().await.unwrap().contains("已有未验收的整改任务"));

        // The gap is closed: the school's organization is planned (a coverage row), then a snapshot.
        let store = &app.demo.store;
        let plan = hongzhu_core::registry::OrgInput {
            code: "JX-CD-ZB".into(),
            name: "中共金乡县城东小学支部委员会（筹）".into(),
            kind: "党支部".into(),
            region: "370828".into(),
            ..Default::default()
        }
        .parse()
        .unwrap();
        store.create_org(&plan, "t").await.unwrap();
        store.add_coverage("JX-CD-ZB", &inst, hongzhu_core::labels::CoverageMode::Own, "t").await.unwrap();
        let r = p
            .post(format!("{}/coverage/snapshots", app.base))
            .form(&[("_csrf", csrf.as_str()), ("as_of", &today.to_string())])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303);
        let tasks = store.tasks("370828", None).await.unwrap();
        assert_eq!(tasks.len(), 1);
        assert!(!tasks[0].gap_present, "the later audit marks the gap gone");
        assert_eq!(tasks[0].checked_on, Some(today));
        let snaps = store.snapshots("370828").await.unwrap();
        assert_eq!(snaps.len(), 1);
        // Status moves on, with the version read (a stale one is refused).
        let task = &tasks[0];
        let r = p
            .post(format!("{}/coverage/tasks/{}", app.base, task.id))
            .form(&[("_csrf", csrf.as_str()), ("_version", &task.version.to_string()), ("status", "verified"), ("note", "已验收")])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303);
        let r = p
            .post(format!("{}/coverage/tasks/{}", app.base, task.id))
            .form(&[("_csrf", csrf.as_str()), ("_version", &task.version.to_string()), ("status", "open"), ("note", "")])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 412);
        // Overdue: a task past its deadline with its gap still found is listed for the county.
        let f2 = a["findings"].as_array().unwrap().iter().find(|f| f["gap"] == "no_secretary").unwrap();
        store
            .create_task(
                &hongzhu_store::NewTask {
                    region: "370828".into(),
                    institution: f2["institution"].as_str().unwrap().into(),
                    check: "organization".into(),
                    gap: "no_secretary".into(),
                    rule: "R1.4".into(),
                    remedy: f2["remedy"].clone(),
                    responsible: "支部".into(),
                    deadline: today - chrono::Duration::days(1),
                    note: None,
                },
                "t",
            )
            .await
            .unwrap();
        let overdue = p.get(format!("{}/coverage/tasks?overdue=1", app.base)).send().await.unwrap().text().await.unwrap();
        assert!(overdue.contains("已逾期") && overdue.contains("党组织没有书记"));
        // Comparing two dates.
        let cmp = p
            .get(format!("{}/coverage/compare?a={}&b={today}", app.base, today - chrono::Duration::days(200)))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(cmp.contains("变化（百分点）") && cmp.contains("新增问题"));
    }
    crate::on_both!(coverage_tasks, snapshots_and_rectification);

    #[tokio::test]
    async fn roles_and_coverage() {
        let app = support::app(Db::Sqlite).await;
        let (c, _) = support::api_login(&app, "yizhong").await;
        let a: Value = c.get(format!("{}/api/v1/coverage", app.base)).send().await.unwrap().json().await.unwrap();
        assert_eq!(a["institutions"]["operating"], 1, "a secretary's audit covers their school");
        assert!(a["findings"].as_array().unwrap().iter().all(|f| f["institution"] == "3708280001"));
        let (m, _) = support::api_login(&app, "dangyuan").await;
        assert_eq!(m.get(format!("{}/api/v1/coverage", app.base)).send().await.unwrap().status(), 403);
    }
}
