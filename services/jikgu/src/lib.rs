//! Jikgu as a library: which routers make up which service, how a process starts (pools,
//! background workers, server) and how it stops. The `jikgu` binary and the end-to-end
//! tests both start the shop through here.

pub mod seed;
pub mod startup;

use clap::ValueEnum;
use orders::context::OrdersContext;
use platform::AppState;
use platform::config::Config;
use promotions::storefront_prices::PromotionsLivePrices;
use std::future::Future;
use std::sync::Arc;
use tokio::net::TcpListener;
use utoipa_axum::router::OpenApiRouter;

/// Which service a process serves; `All` mounts every router in one process.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Service {
    All,
    Catalog,
    Orders,
    Promotions,
    Settlements,
    Reports,
    /// The back office in the browser (`/console`).
    Console,
}

impl Service {
    pub fn title(self) -> &'static str {
        match self {
            Service::All => "Jikgu API",
            Service::Catalog => "Jikgu catalog API",
            Service::Orders => "Jikgu orders API",
            Service::Promotions => "Jikgu promotions API",
            Service::Settlements => "Jikgu settlements API",
            Service::Reports => "Jikgu reports API",
            Service::Console => "Jikgu console",
        }
    }

    /// The port a service listens on by default, so that all three fit on one machine.
    pub fn default_port(self) -> u16 {
        match self {
            Service::All => 8080,
            Service::Catalog => 8081,
            Service::Orders => 8082,
            Service::Promotions => 8083,
            Service::Settlements => 8084,
            Service::Reports => 8085,
            Service::Console => 8086,
        }
    }
}

/// What a process needs beyond the shared state, built once at start from the
/// environment: the payment gateway and order settings, and the search backend.
#[derive(Clone)]
pub struct Runtime {
    pub orders: OrdersContext,
    pub search: Arc<dyn search::SearchBackend>,
    /// Where product images are stored (`JIKGU_MEDIA_*`, read into the config).
    pub media: catalog::media::Media,
    /// The campaign prices product pages and lists show, from this process's copy of
    /// what is on promotion.
    pub live_prices: Arc<PromotionsLivePrices>,
}

impl Runtime {
    pub async fn from_env(state: &AppState) -> anyhow::Result<Runtime> {
        let orders = OrdersContext::from_env().map_err(|e| anyhow::anyhow!("{e}"))?;
        let search = search::from_env(state)
            .await
            .map_err(|e| anyhow::anyhow!("search backend: {e}"))?;
        let media = catalog::media::Media::from_config(&state.config.media)?;
        Ok(Runtime::with(state, orders, search, media))
    }

    /// The runtime of `orders`, `search` and `media`, with one copy of what is on
    /// promotion per process, read by product pages and cart quotes alike.
    pub fn with(
        state: &AppState,
        mut orders: OrdersContext,
        search: Arc<dyn search::SearchBackend>,
        media: catalog::media::Media,
    ) -> Runtime {
        let held = Arc::new(promotions::live_set::LiveSet::new(state.redis.clone()));
        orders.promotions = Some(held.clone());
        Runtime {
            orders,
            search,
            media,
            live_prices: Arc::new(PromotionsLivePrices::sharing(held)),
        }
    }
}

/// The API routes of `service` (the console's pages ride along, outside the OpenAPI
/// document: [`app`] adds them). Accounts and search ride with the catalog, the
/// storefront's front door (nginx sends `/v1/auth`, `/v1/me` and `/v1/search` there).
pub fn api(service: Service, rt: &Runtime) -> OpenApiRouter<AppState> {
    match service {
        Service::All => api(Service::Catalog, rt)
            .merge(api(Service::Orders, rt))
            .merge(api(Service::Promotions, rt))
            .merge(api(Service::Settlements, rt))
            .merge(api(Service::Reports, rt)),
        // The catalog shows live campaign prices however it is served, alone or not.
        // Each handle rides only on the routes that use it: an extension layer is paid on
        // every request of the routes it wraps.
        Service::Catalog => catalog::router(rt.live_prices.clone(), rt.media.clone())
            .merge(platform::accounts::router())
            .merge(
                search::http::router()
                    .layer(axum::Extension(search::SearchHandle(rt.search.clone()))),
            ),
        // Buyer organisations ride with orders: members act for them there.
        Service::Orders => {
            orders::router(rt.orders.clone()).merge(platform::organisations::router())
        }
        Service::Promotions => promotions::router(),
        Service::Settlements => settlements::router(),
        Service::Reports => reports::router(),
        // Pages only, added by `app`; accounts come along so that `/v1/auth` works
        // against the same process the console signs in to.
        Service::Console => platform::accounts::router(),
    }
}

/// Serve `service` on `listener` until `shutdown` resolves, with the background workers
/// that belong in every process (the outbox relay).
pub async fn run(
    config: Arc<Config>,
    listener: TcpListener,
    service: Service,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let state = startup::connect(config.clone()).await?;
    serve_with_state(state, listener, service, shutdown).await
}

pub async fn serve_with_state(
    state: AppState,
    listener: TcpListener,
    service: Service,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let rt = Runtime::from_env(&state).await?;
    serve_with_runtime(state, listener, service, rt, shutdown).await
}

/// [`serve_with_state`] with a runtime built by the caller (a test's payment gateway).
pub async fn serve_with_runtime(
    state: AppState,
    listener: TcpListener,
    service: Service,
    rt: Runtime,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    if matches!(service, Service::All | Service::Catalog) {
        // This process answers /v1/search: load an in-process index now rather than
        // on the first search (commands and other services never load it).
        let search = rt.search.clone();
        tokio::spawn(async move {
            if let Err(err) = search.warm().await {
                tracing::warn!(error = %err, "search index not loaded at start; the first search loads it");
            }
        });
    }
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let workers = spawn_workers(&state, service, &rt, stop_rx);
    let grace = state.config.shutdown_grace;
    let app = app(state, service, &rt);
    let served = platform::server::serve(listener, app, shutdown, grace).await;
    let _ = stop_tx.send(true);
    for w in workers {
        let _ = w.await;
    }
    served.map_err(Into::into)
}

/// The HTTP app of `service`, without its background workers.
pub fn app(state: AppState, service: Service, rt: &Runtime) -> axum::Router {
    let mut routes = api(service, rt);
    if matches!(service, Service::All | Service::Console) {
        routes = routes.merge(OpenApiRouter::from(
            console::router(state.clone(), rt.orders.clone())
                .layer(axum::Extension(rt.media.clone())),
        ));
    }
    platform::server::app(state, routes, service.title())
}

/// The background work a process of `service` runs beside its HTTP server: the outbox
/// relay everywhere, and each service's event consumers.
pub fn spawn_workers(
    state: &AppState,
    service: Service,
    rt: &Runtime,
    stop: tokio::sync::watch::Receiver<bool>,
) -> Vec<tokio::task::JoinHandle<()>> {
    let mut workers = vec![tokio::spawn(platform::outbox::run_relay(
        state.db.clone(),
        state.redis.clone(),
        state.config.outbox_vacuum_every,
        stop.clone(),
    ))];
    if matches!(service, Service::All | Service::Catalog) {
        workers.push(tokio::spawn(catalog::invalidation::run(
            state.clone(),
            stop.clone(),
        )));
        workers.push(tokio::spawn(search::indexer::run(
            state.clone(),
            rt.search.clone(),
            stop.clone(),
        )));
    }
    if matches!(service, Service::All | Service::Promotions) {
        workers.push(tokio::spawn(promotions::run_workers(
            state.clone(),
            stop.clone(),
        )));
    }
    if matches!(service, Service::All | Service::Settlements) {
        workers.push(tokio::spawn(settlements::run_workers(
            state.clone(),
            stop.clone(),
        )));
    }
    if matches!(service, Service::All | Service::Reports) {
        workers.push(tokio::spawn(reports::run_workers(
            state.clone(),
            stop.clone(),
        )));
    }
    if matches!(service, Service::All | Service::Orders) {
        workers.push(tokio::spawn(orders::jobs::run(
            state.clone(),
            rt.orders.clone(),
            stop,
        )));
    }
    workers
}
