//! What the orders service needs beyond the shared state: its settings, the payment
//! gateway in use and the remote-area table it quotes with. Handlers get it as an axum `Extension`.

use crate::payments::PaymentGateway;
use crate::payments::stripe::StripeGateway;
use crate::payments::test_gateway::TestGateway;
use crate::payments::toss::TossGateway;
use crate::payments::toss::config::TossConfig;
use crate::quoting::Kept;
use crate::remote_areas::RemoteAreas;
use promotions::live_set::LiveSet;
use secrecy::SecretString;
use std::sync::Arc;
use std::time::Duration;

#[derive(Clone)]
pub struct OrdersContext {
    pub gateway: Arc<dyn PaymentGateway>,
    /// How long an unpaid order holds its stock.
    pub reservation_ttl: Duration,
    /// Days after delivery when a purchase confirms itself.
    pub auto_confirm_days: i64,
    /// The remote-area table quotes use, kept between reads.
    pub remote_areas: Arc<RemoteAreas>,
    /// The same gateway as `gateway` when it is Toss, for its confirm/fetch/webhook flow.
    pub toss: Option<Arc<TossGateway>>,
    /// This process's copy of what is on promotion, for the quotes of cart pages and
    /// checkouts (set by the process, which holds Redis; none reads promotions for every
    /// quote).
    pub promotions: Option<Arc<LiveSet>>,
}

impl OrdersContext {
    pub fn with_gateway(gateway: Arc<dyn PaymentGateway>) -> Self {
        OrdersContext {
            gateway,
            reservation_ttl: Duration::from_secs(15 * 60),
            auto_confirm_days: 8,
            remote_areas: Arc::default(),
            toss: None,
            promotions: None,
        }
    }

    /// What a quote (a cart page's, or checkout's) keeps between reads.
    pub fn kept(&self) -> Kept<'_> {
        Kept {
            remote_areas: &self.remote_areas,
            promotions: self.promotions.as_deref(),
        }
    }

    /// Toss as the gateway.
    pub fn with_toss(toss: Arc<TossGateway>) -> Self {
        let mut ctx = Self::with_gateway(toss.clone());
        ctx.toss = Some(toss);
        ctx
    }

    /// From the environment: `PAYMENT_GATEWAY` (`test`, the default, `stripe` with
    /// `STRIPE_SECRET_KEY` and `STRIPE_WEBHOOK_SECRET`, or `toss` with the `TOSS_*`
    /// settings of [`TossConfig::from_env`]), and
    /// `JIKGU_RESERVATION_MINUTES` (15), `JIKGU_AUTO_CONFIRM_DAYS` (8).
    pub fn from_env() -> Result<Self, String> {
        let mut toss = None;
        let gateway: Arc<dyn PaymentGateway> = match std::env::var("PAYMENT_GATEWAY").as_deref() {
            Ok("test") | Err(_) => Arc::new(TestGateway),
            Ok("stripe") => {
                // Both keys are secrets from the moment they are read: never printed or logged.
                let key = std::env::var("STRIPE_SECRET_KEY")
                    .map(SecretString::from)
                    .map_err(|_| "PAYMENT_GATEWAY=stripe needs STRIPE_SECRET_KEY".to_string())?;
                let webhook = std::env::var("STRIPE_WEBHOOK_SECRET")
                    .map(SecretString::from)
                    .map_err(|_| {
                        "PAYMENT_GATEWAY=stripe needs STRIPE_WEBHOOK_SECRET".to_string()
                    })?;
                // STRIPE_API_BASE points the client at a local fake Stripe (tests, demos).
                let base = std::env::var("STRIPE_API_BASE").ok();
                Arc::new(StripeGateway::new(key, webhook, base).map_err(|e| e.to_string())?)
            }
            Ok("toss") => {
                let gw =
                    Arc::new(TossGateway::new(TossConfig::from_env()?).map_err(|e| e.to_string())?);
                toss = Some(gw.clone());
                gw
            }
            Ok(other) => {
                return Err(format!(
                    "PAYMENT_GATEWAY={other} is unknown (test, stripe or toss)"
                ));
            }
        };
        let mut ctx = Self::with_gateway(gateway);
        ctx.toss = toss;
        if let Ok(m) = std::env::var("JIKGU_RESERVATION_MINUTES") {
            let m: u64 = m
                .parse()
                .map_err(|_| "JIKGU_RESERVATION_MINUTES must be a number".to_string())?;
            ctx.reservation_ttl = Duration::from_secs(m.max(1) * 60);
        }
        if let Ok(d) = std::env::var("JIKGU_AUTO_CONFIRM_DAYS") {
            ctx.auto_confirm_days = d
                .parse()
                .map_err(|_| "JIKGU_AUTO_CONFIRM_DAYS must be a number".to_string())?;
        }
        Ok(ctx)
    }
}
