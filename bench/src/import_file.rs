//! `rapport-bench csv`: a file of new customers for the import benchmark, written with the
//! columns `POST /api/v1/imports` maps by default, and the table PostgreSQL's own `COPY` of the
//! same file goes into.

use std::io::Write;

use chrono::Utc;

use crate::CsvArgs;
use crate::data::Generator;

/// The file's columns, in order; `tags` lists a customer's tags joined with `|`.
pub const COLUMNS: &[&str] = &[
    "name",
    "kind",
    "email",
    "phone",
    "gender",
    "birthday",
    "address.country",
    "address.province",
    "address.city",
    "address.district",
    "address.street",
    "address.postal_code",
    "source",
    "lifecycle_stage",
    "tags",
    "external_id",
    "marketing_consent.opted_in",
    "marketing_consent.channel",
    "notes",
];

/// The source every imported customer comes from, so a benchmark can remove them afterwards.
pub const SOURCE: &str = "bench_import";

/// Writes `args.rows` customers numbered from `args.from` (numbers the seed did not use, so their
/// emails and phones are new), each from [`SOURCE`] with external id `BI-<number>`.
pub fn write(args: &CsvArgs) -> Result<(), String> {
    let file =
        std::fs::File::create(&args.out).map_err(|e| format!("{}: {e}", args.out.display()))?;
    let mut out = csv::Writer::from_writer(std::io::BufWriter::with_capacity(1 << 20, file));
    out.write_record(COLUMNS).map_err(|e| e.to_string())?;
    let mut generator = Generator::new(args.seed, Vec::new(), Utc::now(), args.rows, args.from);
    let text = |v: Option<&str>| v.unwrap_or_default().to_owned();
    for i in 0..args.rows {
        let c = generator.customer(i);
        let a = &c.address;
        let record = [
            c.name.clone(),
            c.kind.as_str().to_owned(),
            text(c.email.as_ref().map(|e| e.as_str())),
            text(c.phone.as_ref().map(|p| p.as_str())),
            text(c.gender.map(|g| g.as_str())),
            c.birthday.map(|d| d.to_string()).unwrap_or_default(),
            text(a.country.as_deref()),
            text(a.province.as_deref()),
            text(a.city.as_deref()),
            text(a.district.as_deref()),
            text(a.street.as_deref()),
            text(a.postal_code.as_deref()),
            SOURCE.to_owned(),
            c.lifecycle_stage.as_str().to_owned(),
            c.tags.join("|"),
            format!("BI-{:010}", args.from + i),
            c.marketing_consent.opted_in.to_string(),
            text(c.marketing_consent.channel.as_deref()),
            text(c.notes.as_deref()),
        ];
        out.write_record(&record).map_err(|e| e.to_string())?;
    }
    out.flush().map_err(|e| e.to_string())?;
    let written = out.into_inner().map_err(|e| e.to_string())?;
    written
        .into_inner()
        .map_err(|e| e.to_string())?
        .flush()
        .map_err(|e| e.to_string())?;
    eprintln!("wrote {} customers to {}", args.rows, args.out.display());
    Ok(())
}
