//! `rapport-bench`: loads benchmark data into a Rapport database and picks ids for the load scripts.
//!
//! ```sh
//! rapport-bench seed --database-url postgres://postgres@127.0.0.1/rapport_bench \
//!     --customers 1000000 --owners 50 --seed 1 --ids-out bench/results/ids.txt
//! rapport-bench ids --database-url sqlite://bench.db --count 10000 --out bench/results/ids.txt
//! rapport-bench csv --rows 1000000 --out /tmp/rapport-import.csv
//! rapport-bench limits --url http://127.0.0.1:8080 --admin-password …
//! rapport-bench chat --password … --pid "$(pgrep -f target/release/rapport)"
//! ```

mod chat;
mod data;
mod import_file;
mod jsonb;
mod limits;
mod load;

use std::path::PathBuf;
use std::process::ExitCode;

use chrono::NaiveDate;
use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "rapport-bench",
    version,
    about = "Loads benchmark data into a Rapport database"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Applies the migrations, creates the owners, then loads customers as the application stores
    /// them (COPY on PostgreSQL, multi-row INSERTs in large transactions on SQLite); prints rows/s.
    Seed(SeedArgs),
    /// Writes the ids of a random sample of the customers already in the database, one per line.
    Ids(IdsArgs),
    /// Writes a CSV file of new customers for the import benchmark.
    Csv(CsvArgs),
    /// Sends a body at each documented input limit and one just over it to a running server;
    /// prints how long each answer took.
    Limits(limits::LimitsArgs),
    /// Holds `--streams` chat streams open on a running server, posts `--messages` messages and
    /// times each one's arrival on every stream; prints the server's RSS per stream and the
    /// fan-out latency against the POST's own.
    Chat(chat::ChatArgs),
}

/// What `csv` writes.
#[derive(Debug, clap::Args)]
pub struct CsvArgs {
    /// How many customers.
    #[arg(long, default_value_t = 1_000_000)]
    pub rows: u64,
    /// The first customer's number: past those seeded, so emails and phones are new.
    #[arg(long, default_value_t = 10_000_000)]
    pub from: u64,
    /// The random seed (the one the database was seeded with keeps numbers apart).
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// The file to write.
    #[arg(long)]
    pub out: PathBuf,
}

/// What `seed` loads.
#[derive(Debug, clap::Args)]
pub struct SeedArgs {
    /// `postgres://…` or `sqlite://…?mode=rwc`.
    #[arg(long, env = "DATABASE_URL")]
    pub database_url: String,
    /// How many customers to load.
    #[arg(long, default_value_t = 1_000_000)]
    pub customers: u64,
    /// How many `sales` users own them (created when absent; `sales001@bench.example.cn`, …).
    #[arg(long, default_value_t = 50)]
    pub owners: u32,
    /// The random seed: the same seed, `--until` and sizes give the same data.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// The newest creation time is before this day (UTC); creation times spread over the two
    /// years before it. Defaults to today.
    #[arg(long)]
    pub until: Option<NaiveDate>,
    /// Also write the ids of a random sample of the new customers here, one per line.
    #[arg(long)]
    pub ids_out: Option<PathBuf>,
    /// How many ids `--ids-out` writes.
    #[arg(long, default_value_t = 10_000)]
    pub sample: usize,
    /// Customers per COPY (PostgreSQL) or per transaction (SQLite).
    #[arg(long, default_value_t = 10_000)]
    pub chunk: usize,
    /// Concurrent COPY streams on PostgreSQL (SQLite has one writer).
    #[arg(long, default_value_t = 2)]
    pub jobs: usize,
    /// Also write each customer's `customer.created` audit event and outbox event, as the API
    /// does when it creates one (about triples the data written).
    #[arg(long)]
    pub history: bool,
    /// Add to customers already present instead of refusing a non-empty table.
    #[arg(long)]
    pub append: bool,
    /// The first administrator's email, created when the database has no user yet.
    #[arg(
        long,
        env = "RAPPORT_ADMIN_EMAIL",
        default_value = "admin@rapport.localhost"
    )]
    pub admin_email: String,
    /// The first administrator's password (10–128 characters); needed on a database without users.
    #[arg(long, env = "RAPPORT_ADMIN_PASSWORD", hide_env_values = true)]
    pub admin_password: Option<String>,
    /// The owners' password, so the load scripts can sign in as them.
    #[arg(long, default_value = "bench-owner-password")]
    pub owner_password: String,
}

/// What `ids` writes.
#[derive(Debug, clap::Args)]
pub struct IdsArgs {
    /// `postgres://…` or `sqlite://…`.
    #[arg(long, env = "DATABASE_URL")]
    pub database_url: String,
    /// How many ids.
    #[arg(long, default_value_t = 10_000)]
    pub count: usize,
    /// The random seed of the sample.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// The file to write.
    #[arg(long)]
    pub out: PathBuf,
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Seed(args) => load::seed(args).await,
        Command::Ids(args) => load::ids(args).await,
        Command::Csv(args) => import_file::write(&args),
        Command::Limits(args) => limits::run(args).await,
        Command::Chat(args) => chat::run(args).await,
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("rapport-bench: {message}");
            ExitCode::FAILURE
        }
    }
}
