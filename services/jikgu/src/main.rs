//! `jikgu`: run the shop, one service of it, its migrations or its demo.

use clap::{Parser, Subcommand};
use jikgu::seed::{self, DEMO_LOGINS};
use jikgu::{Service, startup};
use platform::accounts::entity::user;
use platform::auth::Role;
use platform::config::{Config, SecretSource};
use sea_orm::{EntityTrait, PaginatorTrait};
use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;

// A request allocates many small, short-lived buffers (rows, JSON, headers): under checkout
// load glibc's malloc and free were an eighth of the server's CPU, about a third of that
// with mimalloc's thread-local free lists.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "jikgu",
    version,
    about = "Jikgu: the backend of a local direct-sales shop (인천직구-style).",
    long_about = "Jikgu: the backend of a local direct-sales shop (인천직구-style).\n\n\
        New here? Run `jikgu demo`: it migrates the database, seeds a demo Incheon shop and \
        serves every service on http://localhost:8080 (API docs at /docs).\n\n\
        Configuration comes from the environment: DATABASE_URL (default \
        postgres://postgres@127.0.0.1:5432/jikgu), REDIS_URL (default redis://127.0.0.1:6379), \
        JIKGU_JWT_SECRET (required by serve and worker; the demo makes a random one), and the \
        other JIKGU_* variables listed in the README."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the API: every service in one process (the default), or one service alone.
    Serve {
        /// Which service to serve.
        #[arg(value_enum, default_value = "all")]
        service: Service,
        /// Port to listen on (default: 8080 for all, 8081 catalog, 8082 orders, 8083
        /// promotions, 8084 settlements, 8085 reports).
        #[arg(long, short)]
        port: Option<u16>,
    },
    /// Apply every pending database migration.
    Migrate,
    /// Run the background workers without serving HTTP (outbox relay, event consumers).
    Worker,
    /// Rebuild the search index from Postgres (Meilisearch: into a new index, swapped in).
    Reindex,
    /// The 실적 rollups.
    Reports {
        #[command(subcommand)]
        command: ReportsCommand,
    },
    /// Manage accounts.
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
    /// Add a large synthetic catalog (on top of the demo shop) for benchmarks.
    Generate {
        /// How many products to add (two variants each).
        #[arg(long, default_value_t = 10_000)]
        products: u32,
        /// Over how many new vendors to spread them.
        #[arg(long, default_value_t = 50)]
        vendors: u32,
        /// Also add a paid order history of about this many order lines over the last
        /// year (on every listed product), rebuild the 실적 rollups from it and time the
        /// last quarter's report: the benchmark of the report's speed.
        #[arg(long)]
        orders: Option<u64>,
    },
    /// Migrate, seed a demo Incheon shop and serve everything. Safe to run again.
    Demo {
        /// Port to listen on.
        #[arg(long, short, default_value_t = 8080)]
        port: u16,
    },
}

#[derive(Subcommand)]
enum ReportsCommand {
    /// Throw the daily rollups away and build them again from every paid order (the
    /// numbers are the ones the live consumer keeps).
    Rebuild,
    /// Time the quarter's report (the whole shop's, with its comparisons, buyers, top
    /// products and campaign effects) against DATABASE_URL, grouped several ways: prints
    /// the fastest and the median of the repetitions for each grouping.
    Bench {
        /// The quarter, e.g. 2026Q3 (default: the last full quarter).
        #[arg(long)]
        quarter: Option<String>,
        /// Repetitions per grouping.
        #[arg(long, default_value_t = 5)]
        repeat: usize,
        /// A grouping as `by` takes it (repeatable; `""` for totals only). Default: totals,
        /// vendor, channel+district, month+category, top_category.
        #[arg(long)]
        by: Vec<String>,
    },
}

#[derive(Subcommand)]
enum AdminCommand {
    /// Create an account, typically the first admin:
    /// `JIKGU_ADMIN_PASSWORD=... jikgu admin create --email you@city.go.kr --role admin`
    Create {
        #[arg(long)]
        email: String,
        #[arg(long, value_parser = parse_role)]
        role: Role,
        /// The password; read from JIKGU_ADMIN_PASSWORD when not given (keeps it out of
        /// shell history).
        #[arg(long, env = "JIKGU_ADMIN_PASSWORD", hide_env_values = true)]
        password: String,
        /// Display name (defaults to the email).
        #[arg(long)]
        name: Option<String>,
        /// The vendor a vendor account is bound to.
        #[arg(long)]
        vendor_id: Option<uuid::Uuid>,
    },
}

fn parse_role(s: &str) -> Result<Role, String> {
    s.parse()
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    // Logging first, so that whatever reading the configuration has to say is seen.
    platform::telemetry::init_tracing(std::env::var("JIKGU_LOG_FORMAT").is_ok_and(|f| f == "json"));
    let config = match Config::from_env() {
        Ok(c) => Arc::new(c),
        Err(e) => {
            eprintln!("jikgu: configuration error: {e}");
            return ExitCode::from(2);
        }
    };
    // A process that serves other people's tokens must not make up its key: tokens it
    // signed would die with it, and the other processes would refuse them.
    if matches!(cli.command, Command::Serve { .. } | Command::Worker)
        && let Err(e) = config.require_own_jwt_secret()
    {
        eprintln!("jikgu: configuration error: {e}");
        return ExitCode::from(2);
    }
    match run(cli.command, config).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("jikgu: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(command: Command, config: Arc<Config>) -> anyhow::Result<()> {
    match command {
        Command::Serve { service, port } => {
            let port = port.unwrap_or(service.default_port());
            let state = startup::connect(config).await?;
            let listener = bind(port).await?;
            tracing::info!(?service, port, "serving");
            jikgu::serve_with_state(
                state,
                listener,
                service,
                platform::server::shutdown_signal(),
            )
            .await
        }
        Command::Reindex => {
            let state = startup::connect(config).await?;
            startup::migrate(&state).await?;
            let backend = search::from_env(&state)
                .await
                .map_err(|e| anyhow::anyhow!("search backend: {e}"))?;
            let started = std::time::Instant::now();
            let n = search::reindex(&state, backend.as_ref(), true)
                .await
                .map_err(|e| anyhow::anyhow!("reindex failed: {e}"))?;
            println!(
                "indexed {n} products into {} in {:.1}s",
                backend.name(),
                started.elapsed().as_secs_f64()
            );
            Ok(())
        }
        Command::Migrate => {
            let state = startup::connect(config).await?;
            startup::migrate(&state).await?;
            println!("migrations applied");
            Ok(())
        }
        Command::Worker => {
            let state = startup::connect(config).await?;
            let (tx, rx) = tokio::sync::watch::channel(false);
            let rt = jikgu::Runtime::from_env(&state).await?;
            let workers = jikgu::spawn_workers(&state, Service::All, &rt, rx);
            platform::server::shutdown_signal().await;
            let _ = tx.send(true);
            for w in workers {
                w.await?;
            }
            Ok(())
        }
        Command::Admin {
            command:
                AdminCommand::Create {
                    email,
                    role,
                    password,
                    name,
                    vendor_id,
                },
        } => {
            let state = startup::connect(config).await?;
            startup::migrate(&state).await?;
            let email = platform::accounts::input::Email::parse(&email, "email")
                .map_err(|e| anyhow::anyhow!("--email {}", e.message))?;
            let password = platform::accounts::input::NewPassword::parse(password, "password")
                .map_err(|e| anyhow::anyhow!("password {}", e.message))?;
            let display_name = name.unwrap_or_else(|| email.as_str().to_owned());
            let account = platform::accounts::service::create_account(
                &state.db,
                platform::accounts::service::NewAccount {
                    email,
                    password,
                    display_name,
                    role,
                    vendor_id,
                },
            )
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
            println!(
                "created {} account {} ({})",
                role, account.email, account.id
            );
            Ok(())
        }
        Command::Reports {
            command:
                ReportsCommand::Bench {
                    quarter,
                    repeat,
                    by,
                },
        } => {
            let state = startup::connect(config).await?;
            startup::migrate(&state).await?;
            let quarter = match quarter {
                Some(q) => Some(
                    reports::period::Quarter::parse(&q)
                        .ok_or_else(|| anyhow::anyhow!("--quarter {q}: expected e.g. 2026Q3"))?,
                ),
                None => None,
            };
            bench_report(&state, quarter, repeat.max(1), &by).await
        }
        Command::Reports {
            command: ReportsCommand::Rebuild,
        } => {
            let state = startup::connect(config).await?;
            startup::migrate(&state).await?;
            let started = std::time::Instant::now();
            let n = reports::rollup::rebuild(&state.db)
                .await
                .map_err(|e| anyhow::anyhow!("rebuild failed: {e}"))?;
            println!(
                "rebuilt the rollups from {n} paid orders in {:.1}s",
                started.elapsed().as_secs_f64()
            );
            Ok(())
        }
        Command::Generate {
            products,
            vendors,
            orders,
        } => {
            let state = startup::connect(config).await?;
            startup::migrate(&state).await?;
            seed::seed_demo(&state)
                .await
                .map_err(|e| anyhow::anyhow!("seeding failed: {e}"))?;
            let started = std::time::Instant::now();
            let created = seed::generate(&state, vendors, products)
                .await
                .map_err(|e| anyhow::anyhow!("generating failed: {e}"))?;
            println!(
                "generated {created} products from {vendors} vendors in {:.1}s",
                started.elapsed().as_secs_f64()
            );
            if let Some(lines) = orders {
                let started = std::time::Instant::now();
                let n = seed::history::generate_orders(&state, lines)
                    .await
                    .map_err(|e| anyhow::anyhow!("generating orders failed: {e}"))?;
                println!(
                    "generated {n} orders (about {lines} lines) and rebuilt the rollups in {:.1}s",
                    started.elapsed().as_secs_f64()
                );
                bench_report(&state, None, 1, &[]).await?;
            }
            Ok(())
        }
        Command::Demo { port } => {
            let state = startup::connect(config.clone()).await?;
            startup::migrate(&state).await?;
            let seeded = seed::seed_demo(&state)
                .await
                .map_err(|e| anyhow::anyhow!("seeding failed: {e}"))?;
            if seeded.vendors > 0 {
                println!(
                    "seeded {} vendors and {} products",
                    seeded.vendors, seeded.products
                );
            }
            let accounts = user::Entity::find().count(&state.db).await?;
            let listener = bind(port).await?;
            print_welcome(port, accounts, &config);
            jikgu::serve_with_state(
                state,
                listener,
                Service::All,
                platform::server::shutdown_signal(),
            )
            .await
        }
    }
}

/// Time `quarter`'s report (default: the last full quarter) `repeat` times for each
/// grouping of `by` (default: those the task force reads), from the rollups.
async fn bench_report(
    state: &platform::AppState,
    quarter: Option<reports::period::Quarter>,
    repeat: usize,
    by: &[String],
) -> anyhow::Result<()> {
    use reports::performance::{self, Scope};
    let q = quarter.unwrap_or_else(|| {
        reports::period::quarter_of(promotions::seoul::day(chrono::Utc::now())).previous()
    });
    let period = q
        .period()
        .ok_or_else(|| anyhow::anyhow!("{} has no dates", q.label()))?;
    let defaults = [
        "",
        "vendor",
        "channel,district",
        "month,category",
        "top_category",
    ];
    let groupings: Vec<&str> = if by.is_empty() {
        defaults.to_vec()
    } else {
        by.iter().map(String::as_str).collect()
    };
    for words in groupings {
        let dims =
            performance::parse_by(Some(words)).map_err(|e| anyhow::anyhow!("--by {words}: {e}"))?;
        let mut times = Vec::with_capacity(repeat);
        let mut rows = 0;
        for _ in 0..repeat {
            let started = std::time::Instant::now();
            let r = performance::report(&state.db, period, Scope::Shop, &dims)
                .await
                .map_err(|e| anyhow::anyhow!("report failed: {e}"))?;
            times.push(started.elapsed().as_secs_f64() * 1000.0);
            rows = r.rows.len();
        }
        times.sort_by(f64::total_cmp);
        println!(
            "report {} by [{words}]: {rows} rows, min {:.0} ms, median {:.0} ms ({repeat} runs)",
            q.label(),
            times[0],
            times[times.len() / 2],
        );
    }
    Ok(())
}

async fn bind(port: u16) -> anyhow::Result<tokio::net::TcpListener> {
    let addr = SocketAddr::from(([0, 0, 0, 0], port));
    tokio::net::TcpListener::bind(addr).await.map_err(|e| {
        anyhow::anyhow!("cannot listen on port {port} ({e}); pick another with --port")
    })
}

fn print_welcome(port: u16, accounts: u64, config: &Config) {
    let base = format!("http://localhost:{port}");
    println!();
    println!("  Jikgu demo shop is up ({accounts} accounts).");
    println!();
    println!(
        "  Console    {base}/console   (sign in with a vendor, marketer or admin login below)"
    );
    println!("  API        {base}/v1/");
    println!("  Docs       {base}/docs   (OpenAPI: {base}/openapi.json)");
    println!("  Health     {base}/healthz  {base}/readyz  {base}/metrics");
    println!();
    println!("  Demo logins (the console's login form, or POST {base}/v1/auth/login):");
    for l in &DEMO_LOGINS {
        println!("    {:<9} {:<26} {}", l.role.as_str(), l.email, l.password);
    }
    println!("  Buyer organisations (act under {base}/v1/organisations/{{org_id}}/...):");
    for (who, email, password) in seed::organisations::ORG_LOGINS {
        println!("    {email:<26} {password}  ({who})");
    }
    if config.jwt_secret_source == SecretSource::Generated {
        println!();
        println!("  Tokens are signed with a random key made for this run (JIKGU_JWT_SECRET");
        println!("  is unset): they stop working when the demo stops.");
    }
    println!();
    println!("  Ctrl-C stops it.");
}
