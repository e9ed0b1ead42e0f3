//! The `hongzhu` command line.
use std::io::Write;
use std::process::{Command, Stdio};

use crate::support::{Db, TestDb};

fn hongzhu() -> Command {
    Command::new(env!("CARGO_BIN_EXE_hongzhu"))
}

#[test]
fn help_and_version_in_both_languages() {
    let out = hongzhu().arg("--help").output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("教育系统党建工作平台") && text.contains("Party-building platform"));
    for cmd in ["serve", "demo", "migrate", "user", "generate", "bench"] {
        assert!(text.contains(cmd), "{cmd}");
    }
    let out = hongzhu().arg("--version").output().unwrap();
    assert!(String::from_utf8(out.stdout).unwrap().starts_with("hongzhu "));
}

#[tokio::test]
async fn migrate_and_create_admin() {
    let t = TestDb::new(Db::Sqlite).await.unwrap();
    let out = hongzhu().args(["--database", &t.url, "migrate"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let create = |pw: &str| {
        let mut child = hongzhu()
            .args(["--database", &t.url, "user", "create-admin", "--username", "admin", "--password-stdin"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(pw.as_bytes()).unwrap();
        child.wait_with_output().unwrap()
    };
    let weak = create("short\n");
    assert!(!weak.status.success());
    assert!(String::from_utf8_lossy(&weak.stderr).contains("至少8位"));
    let ok = create("Str0ng-Passw0rd\n");
    assert!(ok.status.success(), "{}", String::from_utf8_lossy(&ok.stderr));
    let store = hongzhu_store::Store::open(&t.url).await.unwrap();
    let u = store.user_by_username("admin").await.unwrap().unwrap();
    assert!(hongzhu_web::auth::verify_password("Str0ng-Passw0rd", &u.password_hash));
    assert!(u.password_hash.starts_with("$argon2id$"));
    let again = create("Str0ng-Passw0rd\n");
    assert!(!again.status.success(), "the same name twice is refused");
}

#[test]
fn an_unopenable_database_stops_with_a_reason() {
    let out = hongzhu().args(["--database", "sqlite:///no-such-dir/a/b.db", "migrate"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("/no-such-dir/a/b.db") && err.contains("无法打开数据库"), "{err}");
}

#[tokio::test]
async fn generate_fills_a_region_in_proportion() {
    let t = TestDb::new(Db::Sqlite).await.unwrap();
    let out = hongzhu().args(["--database", &t.url, "generate", "--institutions", "300", "--seed", "5"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let store = hongzhu_store::Store::open(&t.url).await.unwrap();
    let totals = store.totals(&hongzhu_store::Scope::All).await.unwrap();
    assert_eq!(totals.institutions, 300);
    let per = |n: i64| n as f64 / 300.0;
    assert!((45.0..55.0).contains(&per(totals.staff)), "{totals:?}");
    assert!((11.0..14.0).contains(&per(totals.members)), "{totals:?}");
    assert!((0.65..0.85).contains(&per(totals.orgs)), "{totals:?}");
}
