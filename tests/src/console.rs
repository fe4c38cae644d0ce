//! Console test support: accounts with a known password (to sign in through the form), and
//! a cookie-keeping HTTP client that submits forms with their CSRF token, for the page
//! tests that need no browser.

use crate::TestApp;
use crate::fixtures::application;
use catalog::vendors;
use platform::accounts::input::{Email, NewPassword};
use platform::accounts::service::{self, NewAccount};
use platform::auth::Role;
use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};
use sea_orm::TransactionTrait;
use std::collections::BTreeMap;
use uuid::Uuid;

pub const PASSWORD: &str = "correct-horse-battery";

/// An account that can sign in to the console.
#[derive(Debug, Clone)]
pub struct Login {
    pub user_id: Uuid,
    pub email: String,
    pub password: String,
    /// The vendor a vendor account is bound to.
    pub vendor_id: Option<Uuid>,
}

impl TestApp {
    /// A staff or customer account with [`PASSWORD`].
    pub async fn login_account(&self, role: Role) -> Login {
        let email = format!("{role}-{}@console.jikgu.kr", Uuid::now_v7().simple());
        let u = service::create_account(
            &self.state.db,
            NewAccount {
                email: Email::parse(&email, "email").expect("valid email"),
                password: NewPassword::parse(PASSWORD.into(), "password").expect("valid"),
                display_name: format!("console {role}"),
                role,
                vendor_id: None,
            },
        )
        .await
        .expect("create account");
        Login {
            user_id: u.id,
            email,
            password: PASSWORD.into(),
            vendor_id: None,
        }
    }

    /// An approved vendor whose owner account signs in with [`PASSWORD`].
    pub async fn vendor_login(&self, trade_name: &str) -> Login {
        let owner = self.login_account(Role::Customer).await;
        let v = vendors::apply(
            &self.state.db,
            owner.user_id,
            application(trade_name, "23035"),
        )
        .await
        .expect("apply");
        let txn = self.state.db.begin().await.expect("begin");
        vendors::approve(&txn, v.id).await.expect("approve");
        txn.commit().await.expect("commit");
        Login {
            vendor_id: Some(v.id),
            ..owner
        }
    }

    /// A console client of this app, signed in as nobody yet.
    pub fn console(&self) -> ConsoleClient {
        ConsoleClient::new(format!("http://{}", self.addr))
    }

    /// A console client of this app, signed in as `login`.
    pub async fn console_as(&self, login: &Login) -> ConsoleClient {
        let mut c = self.console();
        c.sign_in(login).await;
        c
    }
}

/// A browser without a browser: keeps cookies, does not follow redirects, and puts the
/// page's CSRF token in every form it posts.
pub struct ConsoleClient {
    base: String,
    http: reqwest::Client,
    cookies: BTreeMap<String, String>,
    csrf: Option<String>,
}

#[derive(Debug)]
pub struct Page {
    pub status: u16,
    pub location: Option<String>,
    pub headers: reqwest::header::HeaderMap,
    pub body: String,
}

impl Page {
    /// The CSRF token the page put in its forms.
    pub fn csrf(&self) -> Option<String> {
        let at = self.body.find("name=\"_csrf\" value=\"")? + "name=\"_csrf\" value=\"".len();
        let end = self.body[at..].find('"')?;
        Some(self.body[at..at + end].to_owned())
    }

    /// Every form on the page that a browser sends as a POST carries the page's CSRF
    /// token: one without it would be refused when a user presses its button.
    #[track_caller]
    pub fn assert_post_forms_carry_the_token(&self, path: &str) {
        let token = self.csrf().unwrap_or_default();
        let field = format!("name=\"_csrf\" value=\"{token}\"");
        let mut rest = self.body.as_str();
        while let Some(at) = rest.find("<form method=\"post\"") {
            let form = &rest[at..];
            let end = form.find("</form>").unwrap_or(form.len());
            assert!(
                !token.is_empty() && form[..end].contains(&field),
                "{path}: a POST form without the page's token: {}",
                &form[..end]
            );
            rest = &form[end..];
        }
    }

    #[track_caller]
    pub fn assert_redirect_to(&self, prefix: &str) {
        assert!(
            (300..400).contains(&self.status),
            "expected a redirect, got {}: {}",
            self.status,
            self.body
        );
        let to = self.location.as_deref().unwrap_or("");
        assert!(to.starts_with(prefix), "redirect to {to}, not {prefix}");
    }
}

impl ConsoleClient {
    pub fn new(base: String) -> ConsoleClient {
        ConsoleClient {
            base,
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("client"),
            cookies: BTreeMap::new(),
            csrf: None,
        }
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    async fn keep(&mut self, resp: reqwest::Response) -> Page {
        for v in resp.headers().get_all(SET_COOKIE) {
            let Ok(s) = v.to_str() else { continue };
            let pair = s.split(';').next().unwrap_or("");
            if let Some((k, val)) = pair.split_once('=') {
                if val.is_empty() || s.contains("Max-Age=0") {
                    self.cookies.remove(k);
                } else {
                    self.cookies.insert(k.to_owned(), val.to_owned());
                }
            }
        }
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let location = headers
            .get(LOCATION)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let body = resp.text().await.unwrap_or_default();
        let page = Page {
            status,
            location,
            headers,
            body,
        };
        if let Some(t) = page.csrf() {
            self.csrf = Some(t);
        }
        page
    }

    pub async fn get(&mut self, path: &str) -> Page {
        let resp = self
            .http
            .get(format!("{}{path}", self.base))
            .header(COOKIE, self.cookie_header())
            .send()
            .await
            .expect("GET");
        self.keep(resp).await
    }

    /// Post a form with the token of the last page seen (fetching the login page first
    /// when no page was seen yet).
    pub async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Page {
        if self.csrf.is_none() {
            self.get("/console/login").await;
        }
        let token = self.csrf.clone().unwrap_or_default();
        let mut all: Vec<(&str, &str)> = vec![("_csrf", token.as_str())];
        all.extend_from_slice(fields);
        self.post_raw(path, &all).await
    }

    /// Post exactly these fields (no token added).
    pub async fn post_raw(&mut self, path: &str, fields: &[(&str, &str)]) -> Page {
        let resp = self
            .http
            .post(format!("{}{path}", self.base))
            .header(COOKIE, self.cookie_header())
            .header(
                reqwest::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            )
            .body(serde_urlencoded_pairs(fields))
            .send()
            .await
            .expect("POST");
        self.keep(resp).await
    }

    /// Post a multipart form exactly as given.
    pub async fn post_multipart(&mut self, path: &str, form: reqwest::multipart::Form) -> Page {
        let resp = self
            .http
            .post(format!("{}{path}", self.base))
            .header(COOKIE, self.cookie_header())
            .multipart(form)
            .send()
            .await
            .expect("POST");
        self.keep(resp).await
    }

    /// Sign in through the login form; panics unless it succeeds.
    pub async fn sign_in(&mut self, login: &Login) -> Page {
        self.get("/console/login").await;
        let page = self
            .post(
                "/console/login",
                &[("email", &login.email), ("password", &login.password)],
            )
            .await;
        page.assert_redirect_to("/console");
        page
    }

    pub fn has_cookie(&self, name: &str) -> bool {
        self.cookies.contains_key(name)
    }
}

fn serde_urlencoded_pairs(fields: &[(&str, &str)]) -> String {
    reqwest::Url::parse_with_params("http://x/", fields)
        .ok()
        .and_then(|u| u.query().map(str::to_owned))
        .unwrap_or_default()
}

impl TestApp {
    /// An active product of the vendor `login` with one variant; returns (product,
    /// variant).
    pub async fn vendor_product(
        &self,
        login: &Login,
        category: Uuid,
        title: &str,
        sku: &str,
        price: i64,
        stock: i32,
    ) -> (Uuid, Uuid) {
        use catalog::products::{self, NewProduct, NewVariant};
        let vendor_id = login.vendor_id.expect("a vendor login");
        let txn = self.state.db.begin().await.expect("begin");
        let p = products::create(
            &txn,
            vendor_id,
            NewProduct {
                title: title.into(),
                description: String::new(),
                images: Vec::new(),
                category_id: category,
                tags: Vec::new(),
                origin: "국내산".into(),
                notice: BTreeMap::new(),
                withdrawal_restricted: false,
                taxable: true,
                max_per_order: None,
                variants: vec![NewVariant {
                    sku: sku.into(),
                    name: sku.into(),
                    options: BTreeMap::new(),
                    price,
                    compare_at_price: None,
                    stock,
                }],
            },
        )
        .await
        .expect("create product");
        products::publish(&txn, vendor_id, p.id)
            .await
            .expect("publish");
        let variant = products::variants_of(&txn, p.id).await.expect("variants")[0].id;
        txn.commit().await.expect("commit");
        (p.id, variant)
    }

    /// A customer buys `quantity` of `variant` and pays (test gateway); returns the
    /// order's number, as the vendor's order list shows it.
    pub async fn paid_order(&self, variant: Uuid, quantity: i32) -> String {
        let (c, _) = crate::fixtures::token_customer(self);
        let cart = c
            .put(
                &format!("/v1/carts/current/lines/{variant}"),
                &serde_json::json!({"quantity": quantity}),
            )
            .await;
        assert_eq!(cart.status, 200, "{}", cart.body);
        let total = cart.json["quote"]["totals"]["grand_total"].clone();
        let placed = crate::Client::send(
            c.request(reqwest::Method::POST, "/v1/checkout")
                .header("idempotency-key", Uuid::now_v7().to_string())
                .json(&serde_json::json!({
                    "address": crate::fixtures::address("21554"),
                    "expected_total": total,
                })),
        )
        .await;
        assert_eq!(placed.status, 201, "{}", placed.body);
        let order_id = placed.json["order_id"].as_str().expect("order").to_owned();
        let paid = c
            .post(
                &format!("/v1/payments/test/orders/{order_id}/pay"),
                &serde_json::json!({}),
            )
            .await;
        assert_eq!(paid.status, 200, "{}", paid.body);
        paid.json["number"]
            .as_str()
            .map(str::to_owned)
            .unwrap_or_else(|| {
                placed.json["number"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned()
            })
    }
}
