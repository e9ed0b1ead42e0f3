//! A real browser (Debian's chromium through chromedriver) logs in, searches institutions and
//! opens one.
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{ClientBuilder, Locator};

use crate::support::{self, Db};

struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_browser_logs_in_searches_and_opens_a_school() {
    let app = support::app(Db::Sqlite).await;
    let port = free_port();
    let driver = Driver(
        Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver is installed (.ci/run installs Debian's chromium-driver)"),
    );
    let profile = support::TempDir::new();
    let caps: serde_json::Map<String, serde_json::Value> = serde_json::from_value(serde_json::json!({
        "goog:chromeOptions": {
            "binary": "/usr/bin/chromium",
            "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                     "--disable-background-networking", "--disable-component-update", "--disable-sync",
                     "--window-size=1366,900", format!("--user-data-dir={}", profile.0.display())]
        }
    }))
    .unwrap();
    let mut client = None;
    for _ in 0..50 {
        match ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(caps.clone())
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
        {
            Ok(c) => {
                client = Some(c);
                break;
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
        }
    }
    let c = client.expect("a browser session");
    let result = async {
        c.goto(&format!("{}/institutions", app.base)).await?;
        // Sent to the login page first.
        assert!(c.current_url().await?.path().ends_with("/login"));
        c.find(Locator::Id("username")).await?.send_keys("county").await?;
        c.find(Locator::Id("password")).await?.send_keys(support::PASSWORD).await?;
        c.find(Locator::Css("button[type=submit]")).await?.click().await?;
        c.wait().for_element(Locator::Css(".cards")).await?;
        c.find(Locator::LinkText("学校")).await?.click().await?;
        c.wait().for_element(Locator::Id("institutions")).await?;
        c.find(Locator::Css("input[name=q]")).await?.send_keys("卜集镇中心小学").await?;
        c.find(Locator::Css("form.search button[type=submit]")).await?.click().await?;
        c.wait().for_element(Locator::LinkText("卜集镇中心小学")).await?;
        let rows = c.find_all(Locator::Css("#institutions tbody tr")).await?;
        assert_eq!(rows.len(), 1);
        c.find(Locator::LinkText("卜集镇中心小学")).await?.click().await?;
        c.wait().for_element(Locator::Css(".header-card h1")).await?;
        let title = c.find(Locator::Css(".header-card h1")).await?.text().await?;
        assert_eq!(title, "卜集镇中心小学");
        let body = c.find(Locator::Css("main")).await?.text().await?;
        assert!(body.contains("领导班子") && body.contains("教学点"), "{body}");
        Ok::<_, fantoccini::error::CmdError>(())
    }
    .await;
    let _ = c.close().await;
    drop(driver);
    result.expect("the browser run");
}
