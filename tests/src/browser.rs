//! A real browser for the console's tests: Debian's headless Chromium driven through
//! chromedriver (started here on a free port, with a fresh profile), against a test app.
//!
//! `Browser::start` answers `None`, after printing why, only when Chromium or
//! chromedriver is not installed (`infra/services.sh` installs both; CI runs it). Run a
//! test's steps through [`Browser::run`]: when they panic a screenshot of the page is
//! saved and its path printed before the panic goes on.

use fantoccini::{ClientBuilder, Locator};
use futures::FutureExt;
use hyper_util::client::legacy::connect::HttpConnector;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;
use tokio::process::{Child, Command};

pub use fantoccini::Client as WebDriver;
pub use fantoccini::elements::Element;

/// How long a step waits for what the user would see before the test gives up: 60 s in
/// all. Every wait ends as soon as the page shows it, so the budget only decides how long
/// a failing test takes; it is generous because six builds on two cores render slowly.
const STEP: Duration = Duration::from_millis(50);
const WAIT_STEPS: usize = 1200;

pub struct Browser {
    pub driver: WebDriver,
    base: String,
    chromedriver: Child,
    profile: PathBuf,
}

fn find_program(names: &[&str]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    names.iter().find_map(|name| {
        std::env::split_paths(&path)
            .map(|dir| dir.join(name))
            .find(|p| p.is_file())
    })
}

fn free_port() -> Option<u16> {
    std::net::TcpListener::bind("127.0.0.1:0")
        .ok()?
        .local_addr()
        .ok()
        .map(|a| a.port())
}

/// Where failure screenshots go: the target dir when known, else the temp dir.
fn screenshot_dir() -> PathBuf {
    let base = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(std::env::temp_dir);
    base.join("console-screenshots")
}

impl Browser {
    /// A headless Chromium on the app at `base` (`http://127.0.0.1:port`).
    pub async fn start(base: &str) -> Option<Browser> {
        let Some(chromium) = find_program(&["chromium", "chromium-browser", "google-chrome"])
        else {
            eprintln!(
                "SKIPPED: no chromium on PATH; `bash infra/services.sh` installs Debian's \
                 chromium and chromium-driver"
            );
            return None;
        };
        let Some(driver_bin) = find_program(&["chromedriver"]) else {
            eprintln!("SKIPPED: no chromedriver on PATH; `bash infra/services.sh` installs it");
            return None;
        };
        let port = free_port().expect("a free port for chromedriver");
        let chromedriver = Command::new(driver_bin)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("chromedriver starts");
        let url = format!("http://127.0.0.1:{port}");
        let http = reqwest::Client::new();
        let mut ready = false;
        for _ in 0..100 {
            if http
                .get(format!("{url}/status"))
                .send()
                .await
                .is_ok_and(|r| r.status().is_success())
            {
                ready = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert!(ready, "chromedriver did not answer on port {port}");
        let profile = std::env::temp_dir().join(format!("jikgu-chrome-{}", uuid::Uuid::now_v7()));
        let args = [
            "--headless".to_owned(),
            "--no-sandbox".to_owned(),
            "--disable-gpu".to_owned(),
            "--disable-quic".to_owned(),
            "--no-first-run".to_owned(),
            "--disable-background-networking".to_owned(),
            "--disable-component-update".to_owned(),
            "--disable-sync".to_owned(),
            "--disable-dev-shm-usage".to_owned(),
            "--window-size=1200,900".to_owned(),
            format!("--user-data-dir={}", profile.display()),
        ];
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".into(),
            serde_json::json!({ "binary": chromium.to_string_lossy(), "args": args }),
        );
        let driver = ClientBuilder::new(HttpConnector::new())
            .capabilities(caps)
            .connect(&url)
            .await
            .expect("chromedriver opens a Chromium session");
        Some(Browser {
            driver,
            base: base.trim_end_matches('/').to_owned(),
            chromedriver,
            profile,
        })
    }

    /// Open `path` of the app.
    pub async fn open(&self, path: &str) {
        self.driver
            .goto(&format!("{}{path}", self.base))
            .await
            .unwrap_or_else(|e| panic!("open {path}: {e}"));
    }

    pub async fn find(&self, css: &str) -> Element {
        // Pages are server-rendered, so an element is there once the page has loaded; a
        // short wait covers htmx swaps.
        let mut last = None;
        for _ in 0..WAIT_STEPS {
            match self.driver.find(Locator::Css(css)).await {
                Ok(e) => return e,
                Err(e) => last = Some(e),
            }
            tokio::time::sleep(STEP).await;
        }
        panic!("no element {css}: {last:?}");
    }

    /// The text of the element at `css`.
    pub async fn text(&self, css: &str) -> String {
        self.find(css).await.text().await.unwrap_or_default()
    }

    /// Type `text` into the input at `css`, replacing what was there.
    pub async fn fill(&self, css: &str, text: &str) {
        let e = self.find(css).await;
        e.clear().await.expect("clear");
        e.send_keys(text).await.expect("type");
    }

    pub async fn click(&self, css: &str) {
        self.find(css).await.click().await.expect("click");
    }

    /// Wait until the page's main part says `needle` (a click's page may still be loading).
    pub async fn wait_for_text(&self, needle: &str) {
        let mut text = String::new();
        for _ in 0..WAIT_STEPS {
            text = self.main_text().await;
            if text.contains(needle) {
                return;
            }
            tokio::time::sleep(STEP).await;
        }
        panic!("the page never said {needle:?}; it says: {text}");
    }

    /// Wait until the element at `css` reads exactly `want`.
    pub async fn wait_for_text_of(&self, css: &str, want: &str) {
        let mut text = String::new();
        for _ in 0..WAIT_STEPS {
            text = match self.driver.find(Locator::Css(css)).await {
                Ok(e) => e.text().await.unwrap_or_default(),
                Err(_) => String::new(),
            };
            if text == want {
                return;
            }
            tokio::time::sleep(STEP).await;
        }
        panic!("{css} never read {want:?}; it reads {text:?}");
    }

    /// The visible text of the page's main part.
    pub async fn main_text(&self) -> String {
        match self.driver.find(Locator::Css("main")).await {
            Ok(e) => e.text().await.unwrap_or_default(),
            Err(_) => String::new(),
        }
    }

    pub async fn path(&self) -> String {
        self.driver
            .current_url()
            .await
            .map(|u| u.path().to_owned())
            .unwrap_or_default()
    }

    /// Sign in through the login form, and wait until the browser shows the signed-in
    /// page (its header names the role). Without that wait the next `open` may start
    /// while the login POST is still in flight on a loaded machine: the navigation
    /// cancels it, no session cookie is set, and the next page is the login form again.
    pub async fn sign_in(&self, email: &str, password: &str) {
        self.open("/console/login").await;
        self.fill("#f-email", email).await;
        self.fill("#f-password", password).await;
        self.click("form[action='/console/login'] button[type=submit]")
            .await;
        for _ in 0..WAIT_STEPS {
            if self.driver.find(Locator::Css("header .who")).await.is_ok()
                && self.path().await != "/console/login"
            {
                return;
            }
            tokio::time::sleep(STEP).await;
        }
        panic!(
            "signing in as {email} never landed; the page says: {}",
            self.main_text().await
        );
    }

    /// A PNG of the window at `path`; whether it was written.
    pub async fn screenshot(&self, path: &Path) -> bool {
        if let Some(dir) = path.parent() {
            let _ = std::fs::create_dir_all(dir);
        }
        match self.driver.screenshot().await {
            Ok(png) => std::fs::write(path, png).is_ok(),
            Err(_) => false,
        }
    }

    /// Resize the window (a phone is 390 × 844).
    pub async fn resize(&self, width: u32, height: u32) {
        self.driver
            .set_window_rect(0, 0, width, height)
            .await
            .expect("resize the window");
    }

    /// Run `steps`; if they panic, save a screenshot named after `name`, print its path
    /// and let the panic go on.
    pub async fn run<F, Fut>(&self, name: &str, steps: F)
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = ()>,
    {
        let outcome = std::panic::AssertUnwindSafe(steps()).catch_unwind().await;
        if let Err(panic) = outcome {
            let path = screenshot_dir().join(format!("{name}.png"));
            if self.screenshot(&path).await {
                eprintln!("screenshot of the failed page: {}", path.display());
            }
            std::panic::resume_unwind(panic);
        }
    }

    /// Close the browser and chromedriver.
    pub async fn quit(self) {
        let Browser {
            driver,
            mut chromedriver,
            profile,
            ..
        } = self;
        let _ = driver.close().await;
        let _ = chromedriver.kill().await;
        let _ = std::fs::remove_dir_all(&profile);
    }
}
