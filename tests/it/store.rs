//! The store on both backends: migrations, the schema comparison, versioned writes, soft delete,
//! history, scopes, and refusing what cannot be opened.
use chrono::NaiveDate;
use hongzhu_core::labels::*;
use hongzhu_core::registry::*;
use hongzhu_store::*;

use crate::on_both;
use crate::support::{self, Db, TestDb};

fn institution(code: &str, town: &str) -> Institution {
    InstitutionInput {
        code: code.into(),
        name: "测试小学".into(),
        kind: "小学".into(),
        ownership: "公办".into(),
        town: town.into(),
        longitude: "116.31".into(),
        latitude: "35.07".into(),
        ..Default::default()
    }
    .parse()
    .unwrap()
}

async fn migrations_are_idempotent(db: Db) {
    let t = TestDb::new(db).await.unwrap();
    let s = Store::open(&t.url).await.unwrap();
    let v = s.schema_version().await.unwrap();
    assert_eq!(v, MIGRATIONS.last().unwrap().0);
    s.migrate().await.unwrap();
    let again = Store::open(&t.url).await.unwrap();
    assert_eq!(again.schema_version().await.unwrap(), v);
}
on_both!(migrations_idempotent, migrations_are_idempotent);

/// Both backends end up with the same tables, columns, kinds, nullability and indexes.
#[tokio::test]
async fn sqlite_and_postgres_schemas_match() {
    let Some(_) = support::pg_url() else {
        eprintln!("HONGZHU_TEST_PG is not set: schema comparison not run");
        return;
    };
    let a = TestDb::new(Db::Sqlite).await.unwrap();
    let b = TestDb::new(Db::Postgres).await.unwrap();
    let sa = Store::open(&a.url).await.unwrap();
    let sb = Store::open(&b.url).await.unwrap();
    let ca = sa.describe_schema().await.unwrap();
    let cb = sb.describe_schema().await.unwrap();
    assert!(ca.len() > 50, "the schema has its tables");
    assert!(ca.iter().all(|c| !c.kind.starts_with("unknown")), "{:?}", ca.iter().find(|c| c.kind.starts_with("unknown")));
    let only_a: Vec<_> = ca.iter().filter(|c| !cb.contains(c)).collect();
    let only_b: Vec<_> = cb.iter().filter(|c| !ca.contains(c)).collect();
    assert!(only_a.is_empty() && only_b.is_empty(), "SQLite only: {only_a:?}\nPostgreSQL only: {only_b:?}");
    assert_eq!(sa.describe_indexes().await.unwrap(), sb.describe_indexes().await.unwrap());
}

async fn stale_writes_are_refused(db: Db) {
    let d = support::demo(db).await;
    let s = &d.store;
    let row = s.create_institution(&institution("TEST-0001", "370828103"), "alice").await.unwrap();
    assert_eq!(row.meta.version, 1);
    let mut changed = row.record.clone();
    changed.name = "测试小学（新）".into();
    let v2 = s.update_institution("TEST-0001", 1, &changed, "alice").await.unwrap();
    assert_eq!(v2.meta.version, 2);
    assert_eq!(v2.record.name, "测试小学（新）");
    // S24: bob read version 1 and saves late.
    let mut bobs = row.record.clone();
    bobs.name = "鲍勃的名字".into();
    match s.update_institution("TEST-0001", 1, &bobs, "bob").await {
        Err(StoreError::Stale { current }) => assert_eq!(current, 2),
        other => panic!("expected stale, got {other:?}"),
    }
    let now = s.institution(&Scope::All, "TEST-0001").await.unwrap().unwrap();
    assert_eq!(now.record.name, "测试小学（新）", "the stale write changed nothing");
}
on_both!(stale_writes, stale_writes_are_refused);

async fn deletes_are_soft_and_history_is_kept(db: Db) {
    let d = support::demo(db).await;
    let s = &d.store;
    let row = s.create_institution(&institution("TEST-0002", "370828103"), "alice").await.unwrap();
    let mut changed = row.record.clone();
    changed.students = Some(321);
    s.update_institution("TEST-0002", 1, &changed, "bob").await.unwrap();
    s.delete_institution("TEST-0002", 2, "carol").await.unwrap();
    assert!(s.institution(&Scope::All, "TEST-0002").await.unwrap().is_none());
    let h = s.history("institutions", row.meta.id).await.unwrap();
    let actions: Vec<_> = h.iter().map(|c| (c.action.as_str(), c.actor.as_str())).collect();
    assert_eq!(actions, vec![("delete", "carol"), ("update", "bob"), ("create", "alice")]);
    assert_eq!(h[1].before.as_ref().unwrap()["students"], serde_json::Value::Null);
    assert_eq!(h[1].after.as_ref().unwrap()["students"], 321);
    // The code is free again for a new record once the old one is deleted.
    s.create_institution(&institution("TEST-0002", "370828103"), "dave").await.unwrap();
}
on_both!(soft_delete, deletes_are_soft_and_history_is_kept);

async fn duplicates_and_unknown_references_are_named(db: Db) {
    let d = support::demo(db).await;
    let s = &d.store;
    match s.create_institution(&institution("3708280001", "370828103"), "x").await {
        Err(StoreError::Conflict { field }) => assert_eq!(field, "code"),
        other => panic!("{other:?}"),
    }
    match s.create_institution(&institution("TEST-0003", "370828999"), "x").await {
        Err(StoreError::UnknownReference { field, .. }) => assert_eq!(field, "town"),
        other => panic!("{other:?}"),
    }
    let mut with_parent = institution("TEST-0004", "370828103");
    with_parent.parent = Some(hongzhu_core::InstitutionCode::parse("NO-SUCH").unwrap());
    match s.create_institution(&with_parent, "x").await {
        Err(StoreError::UnknownReference { field, .. }) => assert_eq!(field, "parent"),
        other => panic!("{other:?}"),
    }
}
on_both!(conflicts, duplicates_and_unknown_references_are_named);

async fn the_demo_county_is_whole(db: Db) {
    let d = support::demo(db).await;
    let s = &d.store;
    let t = s.totals(&Scope::All).await.unwrap();
    assert!(t.institutions >= 200 && t.staff >= 6000 && t.members >= 1900 && t.orgs >= 120, "{t:?}");
    let towns = s.regions(&Scope::All).await.unwrap().into_iter().filter(|r| r.record.level == RegionLevel::Town).count();
    assert_eq!(towns, 13);
    // Filters, sorting and paging.
    let f = InstitutionFilter { kind: Some(InstitutionKind::TeachingPoint), page: 1, page_size: 10, ..Default::default() };
    let tp = s.institutions(&Scope::All, &f).await.unwrap();
    assert_eq!(tp.total, 26);
    assert!(tp.items.iter().all(|i| i.record.kind == InstitutionKind::TeachingPoint && i.record.parent.is_some()));
    let by_name = InstitutionFilter { q: Some("卜集镇中心小学".into()), page: 1, page_size: 10, ..Default::default() };
    assert_eq!(s.institutions(&Scope::All, &by_name).await.unwrap().total, 1);
    let desc = InstitutionFilter { sort: InstitutionSort::Students, desc: true, page: 1, page_size: 3, ..Default::default() };
    let top = s.institutions(&Scope::All, &desc).await.unwrap().items;
    assert!(top[0].record.students >= top[1].record.students && top[1].record.students >= top[2].record.students);
    let page2 = InstitutionFilter { page: 2, page_size: 20, ..Default::default() };
    let p2 = s.institutions(&Scope::All, &page2).await.unwrap();
    assert_eq!(p2.items.len(), 20);
    assert_eq!(p2.items[0].record.code.as_str(), "3708280021");
    // A literal % in a search is not a wildcard.
    let pct = InstitutionFilter { q: Some("%".into()), page: 1, page_size: 10, ..Default::default() };
    assert_eq!(s.institutions(&Scope::All, &pct).await.unwrap().total, 0);
}
on_both!(demo_county, the_demo_county_is_whole);

async fn scopes_limit_what_is_seen(db: Db) {
    let d = support::demo(db).await;
    let s = &d.store;
    let all = s.institutions(&Scope::All, &InstitutionFilter { page: 1, page_size: 10, ..Default::default() }).await.unwrap().total;
    let county = s
        .institutions(&Scope::Region("370828".into()), &InstitutionFilter { page: 1, page_size: 10, ..Default::default() })
        .await
        .unwrap()
        .total;
    assert_eq!(all, county);
    let other = s
        .institutions(&Scope::Region("370829".into()), &InstitutionFilter { page: 1, page_size: 10, ..Default::default() })
        .await
        .unwrap()
        .total;
    assert_eq!(other, 0);
    let town = s
        .institutions(&Scope::Region("370828105".into()), &InstitutionFilter { page: 1, page_size: 100, ..Default::default() })
        .await
        .unwrap();
    assert!(town.total > 5 && town.items.iter().all(|i| i.record.town.as_str() == "370828105"));
    // A secretary: their committee's subtree and the institutions it covers.
    let org = s.org_id("JX-YZ-DW").await.unwrap().unwrap();
    let orgs = s.org_subtree(org).await.unwrap();
    assert_eq!(orgs.len(), 5, "the committee and its four branches");
    let institutions = s.covered_institution_ids(&orgs).await.unwrap();
    let within = Scope::Within { orgs, institutions };
    let seen = s.institutions(&within, &InstitutionFilter { page: 1, page_size: 10, ..Default::default() }).await.unwrap();
    assert_eq!(seen.total, 1);
    assert_eq!(seen.items[0].record.name, "金乡县第一中学");
    assert!(s.institution(&within, "3708280002").await.unwrap().is_none(), "another school is out of scope");
    let members = s.members(&within, &PeopleFilter { page: 1, page_size: 10, ..Default::default() }).await.unwrap();
    assert!(members.total > 100 && members.items.iter().all(|m| m.org.as_str().starts_with("JX-YZ")));
}
on_both!(scopes, scopes_limit_what_is_seen);

async fn staff_and_members_round_trip(db: Db) {
    let d = support::demo(db).await;
    let s = &d.store;
    let today = NaiveDate::from_ymd_opt(2026, 11, 26).unwrap();
    let input = StaffInput {
        id_number: "11010519491231002x".into(),
        name: "王芳".into(),
        phone: "13912345678".into(),
        institution: "3708280001".into(),
        political_status: "中共党员".into(),
        backbone: "是".into(),
        work_start: "1970年9月1日".into(),
        ..Default::default()
    };
    let (p, st) = input.parse(today).unwrap();
    let row = s.create_staff(&p, &st, "t").await.unwrap();
    assert_eq!(row.person.id_number.as_str(), "11010519491231002X");
    assert!(row.backbone);
    let m = MemberInput {
        id_number: "11010519491231002X".into(),
        category: "正式党员".into(),
        admitted_on: "1975-07-01".into(),
        full_on: "1976-07-01".into(),
        org: "JX-YZ-ZB2".into(),
        work_institution: "3708280001".into(),
        party_post: "委员".into(),
        education: "大学本科".into(),
    }
    .parse(today)
    .unwrap();
    let mr = s.create_member(&m, "t").await.unwrap();
    assert_eq!(mr.org.as_str(), "JX-YZ-ZB2");
    assert_eq!(mr.education, Some(hongzhu_core::labels::Education::Bachelor), "学历 kept");
    assert_eq!(mr.party_post, Some(PartyPost::CommitteeMember));
    // A member record for someone with no person record is refused.
    let mut ghost = m.clone();
    ghost.id_number = hongzhu_core::IdNumber::parse_on("370828900101123", today).unwrap();
    assert!(matches!(s.create_member(&ghost, "t").await, Err(StoreError::UnknownReference { field: "id_number", .. })));
    // History never holds the full ID number.
    let h = s.history("members", mr.meta.id).await.unwrap();
    let text = serde_json::to_string(&h[0].after).unwrap();
    assert!(!text.contains("11010519491231002X") && text.contains("110105********002X"), "{text}");
    // Updating the member with the version read.
    let mut m2 = m.clone();
    m2.party_post = Some(PartyPost::Secretary);
    let updated = s.update_member(mr.meta.id, mr.meta.version, &m2, "t").await.unwrap();
    assert_eq!(updated.meta.version, 2);
    assert!(matches!(s.update_member(mr.meta.id, 1, &m2, "t").await, Err(StoreError::Stale { current: 2 })));
}
on_both!(people, staff_and_members_round_trip);

#[tokio::test]
async fn unopenable_databases_say_which_and_why() {
    let e = Store::open("sqlite:///nonexistent-dir/x/hongzhu.db").await.err().expect("cannot open");
    let msg = e.to_string();
    assert!(msg.contains("/nonexistent-dir/x/hongzhu.db"), "{msg}");
    let e = Store::open("mysql://x@y/z").await.err().expect("unsupported");
    assert!(e.to_string().contains("unsupported"), "{e}");
    let e = Store::open("postgres://nobody:secret@127.0.0.1:1/none").await.err().expect("cannot connect");
    assert!(!e.to_string().contains("secret"), "the password is not shown: {e}");
}

/// A database migrated by a newer build is refused, not downgraded or half-migrated.
#[tokio::test]
async fn newer_databases_are_refused() {
    let t = TestDb::new(Db::Sqlite).await.unwrap();
    Store::open(&t.url).await.unwrap();
    let pool = sqlx::SqlitePool::connect(&t.url).await.unwrap();
    sqlx::query("INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES (999, 'future', 'x', '2030-01-01T00:00:00Z')")
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;
    let e = Store::open(&t.url).await.err().expect("refused");
    assert!(e.to_string().contains("newer"), "{e}");
}

/// S18: no SQL text is built from strings in product code.
#[test]
fn no_sql_is_built_with_format() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../");
    let mut offenders = Vec::new();
    for dir in ["core/src", "store/src", "web/src", "ledger/src", "app/src"] {
        let mut stack = vec![std::path::PathBuf::from(root).join(dir)];
        while let Some(p) = stack.pop() {
            for e in std::fs::read_dir(&p).unwrap() {
                let path = e.unwrap().path();
                if path.is_dir() {
                    stack.push(path);
                } else if path.extension().is_some_and(|x| x == "rs") {
                    let text = std::fs::read_to_string(&path).unwrap();
                    for (n, line) in text.lines().enumerate() {
                        let upper = line.to_uppercase();
                        let sql = ["SELECT ", "INSERT ", "UPDATE ", "DELETE FROM", " WHERE "].iter().any(|k| upper.contains(k));
                        if sql && (line.contains("format!(") || line.contains("push_str(")) {
                            offenders.push(format!("{}:{}: {}", path.display(), n + 1, line.trim()));
                        }
                    }
                }
            }
        }
    }
    assert!(offenders.is_empty(), "SQL built from strings:\n{}", offenders.join("\n"));
}
