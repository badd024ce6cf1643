//! The Rapport server as its own process, for tests that must stop it the hard way (a crash in
//! the middle of an import): configured from the environment like `rapport serve`.

#[tokio::main]
async fn main() {
    let config = rapport_api::config::Config::load(None).expect("configuration");
    let app = rapport_api::startup::build(config)
        .await
        .expect("server starts");
    println!("listening on {}", app.port());
    app.run().await.expect("server runs");
}
