//! `rapport`: serve the API (the default), run migrations, print the OpenAPI document, or manage
//! users from the command line.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use rapport_api::auth::password;
use rapport_api::config::Config;
use rapport_api::{startup, telemetry};
use rapport_domain::values::Email;
use rapport_persistence::access::users;
use rapport_persistence::audit::By;

#[derive(Parser)]
#[command(name = "rapport", version, about = "Rapport: a headless CRM REST API")]
struct Cli {
    /// A TOML settings file (default: ./rapport.toml when present); environment variables win.
    #[arg(long, global = true, env = "RAPPORT_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the API (the default).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Print the OpenAPI document.
    Openapi,
    /// Manage users.
    Admin {
        #[command(subcommand)]
        action: AdminAction,
    },
}

#[derive(Subcommand)]
enum AdminAction {
    /// Create a user.
    CreateUser {
        /// Sign-in email.
        #[arg(long)]
        email: String,
        /// Password (10 to 128 characters).
        #[arg(long, env = "RAPPORT_NEW_PASSWORD")]
        password: String,
        /// Role name.
        #[arg(long, default_value = "admin")]
        role: String,
        /// Display name.
        #[arg(long, default_value = "Administrator")]
        name: String,
    },
    /// Set a user's password and end their sessions.
    ResetPassword {
        /// Sign-in email.
        #[arg(long)]
        email: String,
        /// New password (10 to 128 characters).
        #[arg(long, env = "RAPPORT_NEW_PASSWORD")]
        password: String,
    },
}

/// mimalloc instead of the system allocator: reading and answering a page of customers makes
/// thousands of small short-lived allocations, where glibc's malloc and free took a fifth of the
/// server's time.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let config = match Config::load(cli.config.as_deref()) {
        Ok(config) => config,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    match run(cli.command.unwrap_or(Command::Serve), config).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn run(command: Command, config: Config) -> Result<(), String> {
    match command {
        Command::Openapi => {
            print!("{}", rapport_api::openapi::document_json());
            Ok(())
        }
        Command::Serve => {
            telemetry::init(config.log_format, &config.log_level);
            let app = startup::build(config.clone())
                .await
                .map_err(|e| e.to_string())?;
            if let Some(admin) = &app.first_admin {
                startup::announce(admin);
            }
            let host = config.bind.rsplit_once(':').map_or("127.0.0.1", |(h, _)| h);
            println!("Rapport is listening on http://{host}:{}", app.port());
            println!("Swagger UI: http://{host}:{}/swagger-ui/", app.port());
            app.run().await.map_err(|e| e.to_string())
        }
        Command::Migrate => {
            telemetry::init(config.log_format, &config.log_level);
            startup::connect(&config).await.map_err(|e| e.to_string())?;
            println!("Migrations applied.");
            Ok(())
        }
        Command::Admin { action } => {
            let db = startup::connect(&config).await.map_err(|e| e.to_string())?;
            match action {
                AdminAction::CreateUser {
                    email,
                    password: given,
                    role,
                    name,
                } => {
                    let email = Email::parse("email", &email).map_err(|e| e.message)?;
                    password::check_new("password", &given)
                        .map_err(|e| format!("password {}", e.message))?;
                    let password_hash = password::hash(&given)?;
                    let new = users::NewUser {
                        email,
                        display_name: name,
                        phone: None,
                        role,
                        password_hash,
                    };
                    let user = users::create(&db, By::System, new, None)
                        .await
                        .map_err(|e| e.to_string())?
                        .into_inner();
                    println!(
                        "Created user {} ({}) with role {}",
                        user.email, user.id, user.role
                    );
                }
                AdminAction::ResetPassword {
                    email,
                    password: given,
                } => {
                    let email = Email::parse("email", &email).map_err(|e| e.message)?;
                    password::check_new("password", &given)
                        .map_err(|e| format!("password {}", e.message))?;
                    let user = users::get_by_email(db.conn(), &email)
                        .await
                        .map_err(|_| format!("no user has the email {email}"))?;
                    users::set_password(&db, By::System, user.id, password::hash(&given)?)
                        .await
                        .map_err(|e| e.to_string())?;
                    println!(
                        "Password replaced for {}; their sessions have ended.",
                        user.email
                    );
                }
            }
            Ok(())
        }
    }
}
