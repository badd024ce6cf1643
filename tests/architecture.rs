//! Architecture: what may import what inside `persistence` and `api`.
//!
//! The test reads every file under a crate's `src/` (it builds nothing) and checks its imports
//! against that crate's layers, which are plain data below (`PERSISTENCE`, `API`). Each file sits
//! in one tier:
//!
//! - the *root tier* (only `api` has one: `lib.rs`, `main.rs`, `startup.rs`, `routes.rs`,
//!   `openapi/`) wires everything together. It may import anything, and nothing outside it may
//!   import it.
//! - the *kernel* is the shared plumbing (database, errors, pages, extractors, ...). A kernel file
//!   may import other kernel files, never an area.
//! - the *areas* are the parts of the CRM, each a folder `src/<area>/` or a single file
//!   `src/<area>.rs`, each with a rank. An area may import the kernel, anything inside itself, and
//!   an area of strictly lower rank, and that only through its front door. The front door is the
//!   area's `mod.rs` (or its single file): what that file defines or re-exports with `pub use` or
//!   `pub(crate) use`. `crate::customers::create` goes through the front door;
//!   `crate::customers::queries::scoped` reaches past it into a file the area keeps to itself.
//!
//! Two more rules hold everywhere. No circles: when file A imports from file B, B must not import
//! from A, not even through other files (no strongly connected component of more than one file).
//! And every file is placed: a new file in no tier fails the test until it is added to the lists.
//!
//! What counts as an import: every `use` (groups, renames, globs and `self` expanded; those inside
//! functions and `#[cfg(test)]` modules too), every path in code that starts with `crate::`,
//! `super::`, `self::`, a child module or a name a `use` brought in, and `crate::` paths inside
//! attribute and macro arguments, `deserialize_with = "crate::extract::whole_number"` included.
//! Paths into other crates (`rapport_domain`, `sea_orm`, `std`) are not imports here.
//!
//! Where an import lands: `crate::a::b::c` is the file of its longest prefix that is a module
//! (`a/b.rs`, `a/b/mod.rs`, `a.rs`); `super::` and `self::` count from the module the path is
//! written in, inline modules (`mod tests { .. }`, `pub mod entity { .. }`) included, which live
//! in their file. For the tier rules the file a path lands in is what counts, so a name re-exported
//! by a front door is a front-door import. For circles, a re-exported name counts as an import of
//! the file that defines it (re-exports followed to the end), a module's `pub use` of its own
//! children is no import at all, and a file importing itself is ignored.
//!
//! Known limits: names that arrive through a glob (`use x::*`) are not followed, `#[path]` is not
//! read, and the same offence in one file against one target file is reported once, with its other
//! lines. The second test feeds the checker made-up files and proves that every rule bites.

use std::collections::hash_map::Entry;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};

use proc_macro2::{Ident, Span, TokenStream, TokenTree};
use syn::visit::{self, Visit};
use syn::{Lit, UseTree, Visibility};

/// `persistence/src`: entities, queries and use cases. No root tier: `lib.rs` is kernel.
const PERSISTENCE: Layers = Layers {
    root: &[],
    kernel: &[
        "lib.rs",         // the module list and the `Db`, `Error` re-exports
        "db.rs",          // connecting, migrating, SQLite's one writer, row locks
        "changes.rs",     // the access generation and `NOTIFY rapport_access`
        "events.rs",      // the outbox
        "audit.rs",       // the audit trail and its notices
        "page.rs",        // keyset pagination
        "filter.rs",      // the filter language compiled to one SQL condition
        "idempotency.rs", // idempotency records
        "error.rs",       // `Error` and the unique-constraint table
        "settings.rs",    // stored settings
        "batch.rs",       // batch modes, item outcomes and their errors
        "jobs.rs",        // the jobs table: claims, leases, retries
    ],
    areas: &[
        area("access", 0),        // users, roles, API keys, sessions
        area("custom_fields", 0), // definitions and their values as SQL
        area("catalogue", 1),     // categories, brands, products, stock
        area("customers", 1),     // customers, contacts, tags, merge, privacy
        area("segments", 2),      // saved filters and picked members
        area("imports", 2),       // import jobs, file pieces, refused rows
        area("marketing", 2),     // coupons, their wallets and their redemptions
        area("loyalty", 2),       // points accounts and their ledgers
        area("orders", 3),        // orders, their lines, refunds and shipments, and their actions
        area("rewards", 3),       // the rewards catalogue and exchanges of points for rewards
        area("housekeeping", 3),  // forgetting what outlived its retention, in every area
        area("pipelines", 0),     // pipelines and their stages
        area("deals", 2),         // deals and their stage history
        area("sla", 0),           // SLA policies, at most one active
        area("tickets", 4),       // tickets, their comments and their rating, their SLA clock
        area("leads", 3),         // leads and their conversion into customers and deals
        area("care", 5),          // care plans, their occasions and what came of each
        area("activities", 4),    // calls, visits and notes with customers
        area("tasks", 4),         // staff's tasks and their reminders
        area("conversations", 5), // live chat: conversations, their ordered messages, their tickets
        area("return_visits", 5), // calling customers back after tickets and deliveries, once each
        area("timeline", 6),      // a customer's activities and orders, newest first
    ],
};

/// `api/src`: handlers and DTOs per area over a kernel of shared conventions.
const API: Layers = Layers {
    root: &[
        "lib.rs",     // the module list
        "main.rs",    // the `rapport` binary
        "startup.rs", // builds the server from every area
        "routes.rs",  // the route table
        "openapi/",   // the document, generated from every route
    ],
    kernel: &[
        "extract.rs",     // strict JSON, queries and headers
        "problem.rs",     // the error table and problem+json
        "envelope.rs",    // request ids, spans, problem rendering, security headers
        "respond.rs",     // pages, `ETag`, `Location`
        "search.rs",      // every `/search` body's filter and sort, and the filter-field list
        "state.rs",       // `AppState`
        "health.rs",      // health checks and the readiness gate
        "rate_limit.rs",  // requests per minute per caller
        "slow_bodies.rs", // the deadline for a request body
        "spreadsheet.rs", // spreadsheet-safe CSV cells
        "export.rs",      // streamed CSV and JSON-lines exports
        "batch.rs",       // batch modes and item results
        "config.rs",      // settings
        "clock.rs",       // the server's clock, fixed in tests
        "telemetry.rs",   // logs and traces
        "remembered.rs",  // custom field definitions held in memory
        "mirror.rs",      // wire enumerations converted to the domain's and back
        "auth/",          // tokens, passwords, the `Auth` extractor, the permission table
    ],
    areas: &[
        area("records", 0),       // the audit trail and the event feed
        area("users", 0),         // staff accounts and roles
        area("custom_fields", 0), // custom field definitions
        area("catalogue", 1),     // categories, brands, products, stock
        area("sessions", 1),      // sign-in and refresh
        area("api_keys", 1),      // API keys
        area("customers", 1),     // customers and everything done to them
        area("tags", 2),          // tags on customers
        area("imports", 3),       // CSV imports and their worker
        area("segments", 3),      // segments of customers
        area("orders", 2), // orders and their actions, shipped to a customer's kind of address
        area("coupons", 4), // coupons, issued into wallets, tried on draft orders
        area("loyalty", 1), // customers' points and the rules that earn them
        area("rewards", 1), // the rewards catalogue and exchanges of points for rewards
        area("promotions", 1), // promotions without codes, applied when orders are priced
        area("campaigns", 4), // campaigns, their frozen audiences, tracking and results
        area("settings", 0), // the business settings
        area("data_export", 5), // everything held about one customer, from every area
        area("jobs", 5),   // the scheduler, running every kind of job, and the jobs list
        area("activities", 1), // calls, visits and notes with customers
        area("pipelines", 0), // pipelines, their stages and what they hold
        area("deals", 1),  // deals, their stage history, and the filter language over them
        area("sla", 0),    // SLA policies
        area("tickets", 2), // tickets, their comments and their rating
        area("leads", 2),  // leads, converted into customers and deals
        area("care", 4),   // care plans, run daily or now, and what came of each occasion
        area("tasks", 1),  // staff's tasks, overdue and due today
        area("conversations", 3), // live chat, its stream of new messages, chats into tickets
        area("return_visits", 3), // the rules for calling customers back
        area("timeline", 5), // a customer's activities and orders, newest first
    ],
};

#[test]
fn persistence_keeps_its_layers() {
    assert_layered("persistence", &PERSISTENCE);
}

#[test]
fn api_keeps_its_layers() {
    assert_layered("api", &API);
}

/// Made-up files, one offence per rule, and some imports that are fine.
#[test]
fn the_checker_bites() {
    const FAKE: Layers = Layers {
        root: &["lib.rs", "startup.rs"],
        kernel: &["db.rs", "page.rs"],
        areas: &[area("customers", 0), area("segments", 1), area("tags", 1)],
    };
    let files = [
        fake(
            "lib.rs",
            &["mod customers;", "mod db;", "mod page;", "mod segments;"],
        ),
        fake("broken.rs", &["pub fn broken( {"]),
        fake("stray.rs", &["pub fn lost() {}"]),
        fake(
            "startup.rs",
            &["use crate::customers::queries::scoped;", "pub fn run() {}"],
        ),
        fake(
            "db.rs",
            &[
                "use crate::customers::queries::scoped;",
                "pub fn connect() {}",
            ],
        ),
        fake(
            "page.rs",
            &["pub fn next() {", "    crate::startup::run();", "}"],
        ),
        fake(
            "customers/mod.rs",
            &[
                "mod queries;",
                "mod wrong;",
                "pub use queries::scoped;",
                "pub const LIMIT: u32 = 50;",
            ],
        ),
        fake(
            "customers/queries.rs",
            &[
                "use crate::db::connect;",
                "use super::LIMIT;",
                "pub fn scoped() {}",
                "#[cfg(test)]",
                "mod tests {",
                "    use super::*;",
                "}",
            ],
        ),
        fake(
            "customers/wrong.rs",
            &["pub fn members(_: &crate::segments::Segment) {}"],
        ),
        fake(
            "segments.rs",
            &[
                "use crate::customers::scoped;",
                "use crate::customers::queries::{self as back};",
                "#[derive(serde::Deserialize)]",
                "pub struct Segment {",
                "    #[serde(deserialize_with = \"crate::customers::queries::scoped\")]",
                "    id: u32,",
                "}",
                "pub fn run() {",
                "    log!(crate::customers::queries::first);",
                "    back::scoped();",
                "}",
            ],
        ),
        fake("tags.rs", &["use crate::segments::{Segment, run};"]),
    ];
    let violations = check(&files, &FAKE);
    let shown = report(&violations);
    let expected = [
        (Rule::Unreadable, "broken.rs", None),
        (Rule::Unplaced, "stray.rs", None),
        (Rule::Unplaced, "broken.rs", None),
        (Rule::Circle, "db.rs", Some(1)),
        (Rule::Circle, "customers/queries.rs", Some(1)),
        (Rule::KernelReachesArea, "db.rs", Some(1)),
        (Rule::Root, "page.rs", Some(2)),
        (Rule::Rank, "customers/wrong.rs", Some(1)), // rank 0 reaching rank 1
        (Rule::Rank, "tags.rs", Some(1)),            // rank 1 reaching rank 1
        (Rule::BackDoor, "segments.rs", Some(2)),    // `use` of a private file, renamed
        (Rule::BackDoor, "segments.rs", Some(5)),    // an attribute's string
        (Rule::BackDoor, "segments.rs", Some(9)),    // a macro's tokens
        (Rule::BackDoor, "segments.rs", Some(10)),   // a path through the rename
    ];
    for (rule, file, line) in expected {
        assert!(
            flags(&violations, rule, file, line),
            "expected {rule:?} at {file}:{line:?}; the checker found:\n{shown}"
        );
    }
    // The front door, a module's re-export of its child (which would otherwise close the circle
    // customers/mod.rs -> queries.rs -> mod.rs), the tests' `use super::*`, an import of the
    // area's own front door and the root tier reaching anywhere are all fine.
    let fine = [
        ("segments.rs", 1),
        ("customers/mod.rs", 3),
        ("customers/queries.rs", 2),
        ("customers/queries.rs", 6),
        ("startup.rs", 1),
    ];
    for (file, line) in fine {
        assert!(
            !violations
                .iter()
                .any(|v| v.file == file && v.lines().contains(&line)),
            "nothing expected at {file}:{line}; the checker found:\n{shown}"
        );
    }
    let circle = violations.iter().filter(|v| v.rule == Rule::Circle).count();
    assert_eq!(circle, 2, "one circle of two imports expected:\n{shown}");
}

/// A made-up file: its path relative to `src/` and its lines.
fn fake(path: &str, lines: &[&str]) -> (PathBuf, String) {
    (PathBuf::from(path), lines.join("\n"))
}

/// Whether the checker reported `rule` in `file` (at `line`, when given).
fn flags(violations: &[Violation], rule: Rule, file: &str, line: Option<usize>) -> bool {
    violations.iter().any(|v| {
        v.rule == rule && v.file == file && line.is_none_or(|line| v.lines().contains(&line))
    })
}

/// Checks the real `<crate>/src` of the workspace and prints every violation, grouped by rule.
fn assert_layered(krate: &str, layers: &Layers) {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the workspace root");
    let src = workspace.join(krate).join("src");
    let files = load(&src);
    assert!(!files.is_empty(), "no Rust files under {}", src.display());
    let violations = check(&files, layers);
    assert!(
        violations.is_empty(),
        "{krate}/src breaks its layers ({} findings):\n{}",
        violations.len(),
        report(&violations)
    );
}

/// Every `.rs` file under `src`, as (path relative to `src`, source), sorted by path.
fn load(src: &Path) -> Vec<(PathBuf, String)> {
    let mut files = Vec::new();
    let mut folders = vec![src.to_path_buf()];
    while let Some(folder) = folders.pop() {
        let entries = fs::read_dir(&folder)
            .unwrap_or_else(|e| panic!("cannot list {}: {e}", folder.display()));
        for entry in entries {
            let path = entry.expect("a directory entry").path();
            if path.is_dir() {
                folders.push(path);
            } else if path.extension().is_some_and(|x| x == "rs") {
                let source = fs::read_to_string(&path)
                    .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
                files.push((
                    path.strip_prefix(src).expect("under src").to_path_buf(),
                    source,
                ));
            }
        }
    }
    files.sort();
    files
}

/// One crate's tiers. Paths are relative to `src/`; one ending in `/` is a whole folder.
struct Layers {
    root: &'static [&'static str],
    kernel: &'static [&'static str],
    areas: &'static [Area],
}

/// An area: the folder `<name>/` or the file `<name>.rs`. Only lower ranks may be imported.
#[derive(PartialEq, Eq)]
struct Area {
    name: &'static str,
    rank: u8,
}

const fn area(name: &'static str, rank: u8) -> Area {
    Area { name, rank }
}

/// Where a file sits.
#[derive(Clone, Copy)]
enum Place {
    Root,
    Kernel,
    Area(&'static Area),
    Unplaced,
}

fn placement(layers: &Layers, rel: &str) -> Place {
    if listed(layers.root, rel) {
        return Place::Root;
    }
    if listed(layers.kernel, rel) {
        return Place::Kernel;
    }
    let areas: &'static [Area] = layers.areas;
    areas
        .iter()
        .find(|area| {
            rel.strip_prefix(area.name)
                .is_some_and(|rest| rest == ".rs" || rest.starts_with('/'))
        })
        .map_or(Place::Unplaced, Place::Area)
}

fn listed(entries: &[&str], rel: &str) -> bool {
    entries
        .iter()
        .any(|&entry| rel == entry || (entry.ends_with('/') && rel.starts_with(entry)))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum Rule {
    Unreadable,
    Unplaced,
    Circle,
    KernelReachesArea,
    BackDoor,
    Rank,
    Root,
}

impl Rule {
    fn title(self) -> &'static str {
        match self {
            Rule::Unreadable => "Files that do not parse",
            Rule::Unplaced => "Files in no tier (add each to the kernel, an area or the root tier)",
            Rule::Circle => "Import circles between files (each line is one import in a circle)",
            Rule::KernelReachesArea => "Kernel files importing an area",
            Rule::BackDoor => "Areas importing another area past its front door (its mod.rs)",
            Rule::Rank => "Areas importing an area of equal or higher rank",
            Rule::Root => "Imports of the root tier from outside it",
        }
    }
}

/// One finding: `file:line`, the import as written, and what is wrong with it. The same finding
/// in one file against one target file is kept once, with its other lines in `also`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Violation {
    rule: Rule,
    file: String,
    line: usize,
    import: String,
    target: String,
    detail: String,
    also: Vec<usize>,
}

impl Violation {
    fn new(
        rule: Rule,
        file: &str,
        line: usize,
        import: &str,
        target: &str,
        detail: String,
    ) -> Self {
        Self {
            rule,
            file: file.to_owned(),
            line,
            import: import.to_owned(),
            target: target.to_owned(),
            detail,
            also: Vec::new(),
        }
    }

    fn lines(&self) -> Vec<usize> {
        std::iter::once(self.line)
            .chain(self.also.iter().copied())
            .collect()
    }
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.import.is_empty() {
            return write!(f, "  {}: {}", self.file, self.detail);
        }
        write!(
            f,
            "  {}:{}: `{}` {}",
            self.file, self.line, self.import, self.detail
        )?;
        if !self.also.is_empty() {
            let lines: Vec<String> = self.also.iter().map(ToString::to_string).collect();
            write!(f, " (also line {})", lines.join(", "))?;
        }
        Ok(())
    }
}

/// The findings, one per line under a heading per rule.
fn report(violations: &[Violation]) -> String {
    let mut out = String::new();
    let mut rule = None;
    for violation in violations {
        if rule != Some(violation.rule) {
            rule = Some(violation.rule);
            out.push_str(&format!("\n{}:\n", violation.rule.title()));
        }
        out.push_str(&format!("{violation}\n"));
    }
    out
}

/// A module's path from the crate root: `src/customers/queries.rs` is `["customers", "queries"]`.
type Module = Vec<String>;

/// A path a file names: a `use` leaf, a path in code, or one inside an attribute or a macro.
struct Mention {
    scope: Module,         // the module it is written in, inline modules included
    segments: Vec<String>, // as written: `super`, `dto`, `CustomerView`; a glob ends in `*`
    line: usize,
    kind: Kind,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Use,      // a private `use`
    ReExport, // `pub use`, `pub(crate) use`, `pub(super) use`
    Code,     // a path in code, an attribute or a macro
}

/// A name a `use` brings into a module: `use super::queries;` brings `queries`.
struct Alias {
    segments: Vec<String>,
    public: bool,
}

/// What one file mentions, gathered by walking its syntax tree.
#[derive(Default)]
struct Collector {
    scope: Module,
    mentions: Vec<Mention>,
    inline: Vec<Module>,
    aliases: Vec<(Module, String, Alias)>,
}

impl Collector {
    fn mention(&mut self, segments: Vec<String>, span: Span, kind: Kind) {
        let scope = self.scope.clone();
        let line = span.start().line;
        self.mentions.push(Mention {
            scope,
            segments,
            line,
            kind,
        });
    }

    /// Macro arguments and attribute arguments are tokens that syn leaves unparsed: find
    /// `crate::a::b` (or `super::`, `self::`) in them, and strings such as `"crate::a::b"`.
    fn scan(&mut self, tokens: TokenStream) {
        let trees: Vec<TokenTree> = tokens.into_iter().collect();
        let mut i = 0;
        while i < trees.len() {
            match &trees[i] {
                TokenTree::Group(group) => self.scan(group.stream()),
                TokenTree::Literal(literal) => {
                    if let Lit::Str(text) = Lit::new(literal.clone())
                        && text.value().starts_with("crate::")
                    {
                        let segments = text.value().split("::").map(str::to_owned).collect();
                        self.mention(segments, literal.span(), Kind::Code);
                    }
                }
                TokenTree::Ident(ident)
                    if ident == "crate" || ident == "super" || ident == "self" =>
                {
                    let mut segments = vec![ident.to_string()];
                    while let (
                        Some(TokenTree::Punct(first)),
                        Some(TokenTree::Punct(second)),
                        Some(TokenTree::Ident(next)),
                    ) = (trees.get(i + 1), trees.get(i + 2), trees.get(i + 3))
                    {
                        if first.as_char() != ':' || second.as_char() != ':' {
                            break;
                        }
                        segments.push(next.to_string());
                        i += 3;
                    }
                    if segments.len() > 1 {
                        self.mention(segments, ident.span(), Kind::Code);
                    }
                }
                _ => {}
            }
            i += 1;
        }
    }
}

impl<'ast> Visit<'ast> for Collector {
    fn visit_item_mod(&mut self, item: &'ast syn::ItemMod) {
        let inline = item.content.is_some();
        if inline {
            self.scope.push(item.ident.to_string());
            self.inline.push(self.scope.clone());
        }
        visit::visit_item_mod(self, item);
        if inline {
            self.scope.pop();
        }
    }

    fn visit_item_use(&mut self, item: &'ast syn::ItemUse) {
        if item.leading_colon.is_none() {
            let private = match &item.vis {
                Visibility::Inherited => true,
                Visibility::Restricted(restricted) => restricted.path.is_ident("self"),
                Visibility::Public(_) => false,
            };
            let kind = if private { Kind::Use } else { Kind::ReExport };
            let mut leaves = Vec::new();
            flatten(&item.tree, &mut Vec::new(), &mut leaves);
            for Leaf {
                segments,
                name,
                span,
            } in leaves
            {
                if let Some(name) = name {
                    let alias = Alias {
                        segments: segments.clone(),
                        public: !private,
                    };
                    self.aliases.push((self.scope.clone(), name, alias));
                }
                self.mention(segments, span, kind);
            }
        }
        visit::visit_item_use(self, item);
    }

    fn visit_path(&mut self, path: &'ast syn::Path) {
        if path.leading_colon.is_none() && path.segments.len() > 1 {
            let segments = path.segments.iter().map(|s| s.ident.to_string()).collect();
            self.mention(segments, path.segments[0].ident.span(), Kind::Code);
        }
        visit::visit_path(self, path);
    }

    /// `pub(in crate::a)` says who may see an item; it imports nothing.
    fn visit_visibility(&mut self, _: &'ast Visibility) {}

    fn visit_token_stream(&mut self, tokens: &'ast TokenStream) {
        self.scan(tokens.clone());
    }
}

/// One leaf of a `use` tree: its full path, the name it brings in (none for a glob), and where.
struct Leaf {
    segments: Vec<String>,
    name: Option<String>,
    span: Span,
}

fn flatten(tree: &UseTree, prefix: &mut Vec<String>, leaves: &mut Vec<Leaf>) {
    match tree {
        UseTree::Path(path) => {
            prefix.push(path.ident.to_string());
            flatten(&path.tree, prefix, leaves);
            prefix.pop();
        }
        UseTree::Name(name) => leaves.push(leaf(prefix, &name.ident, None)),
        UseTree::Rename(rename) => leaves.push(leaf(prefix, &rename.ident, Some(&rename.rename))),
        UseTree::Glob(glob) => {
            let mut segments = prefix.clone();
            segments.push("*".to_owned());
            leaves.push(Leaf {
                segments,
                name: None,
                span: glob.star_token.spans[0],
            });
        }
        UseTree::Group(group) => {
            for tree in &group.items {
                flatten(tree, prefix, leaves);
            }
        }
    }
}

/// `a::b::c` brings in `c`; `a::b::{self}` is `a::b` and brings in `b`; `as` renames either.
fn leaf(prefix: &[String], ident: &Ident, rename: Option<&Ident>) -> Leaf {
    let mut segments = prefix.to_vec();
    if ident != "self" {
        segments.push(ident.to_string());
    }
    let name = rename
        .map(ToString::to_string)
        .or_else(|| segments.last().cloned());
    Leaf {
        segments,
        name,
        span: ident.span(),
    }
}

/// One file of the crate.
struct Unit {
    rel: String, // relative to `src/`, with `/`
    module: Module,
    place: Place,
    mentions: Vec<Mention>,
}

/// The crate: its files, which file holds each module, and the names `use` brought into each.
#[derive(Default)]
struct Crate {
    units: Vec<Unit>,
    modules: HashMap<Module, usize>,
    aliases: HashMap<(usize, Module, String), Alias>,
}

impl Crate {
    /// The absolute module path (without `crate`) a path written in `scope` of `file` names, or
    /// `None` when it leads out of the crate or to a local name.
    fn absolute(
        &self,
        file: usize,
        scope: &[String],
        segments: &[String],
        depth: usize,
    ) -> Option<Module> {
        let (first, rest) = segments.split_first()?;
        if depth > 8 {
            return None;
        }
        match first.as_str() {
            "crate" => return Some(rest.to_vec()),
            "self" => return Some(joined(scope, rest)),
            "super" => {
                let ups = segments
                    .iter()
                    .take_while(|s| s.as_str() == "super")
                    .count();
                let kept = scope.len().checked_sub(ups)?;
                return Some(joined(&scope[..kept], &segments[ups..]));
            }
            _ => {}
        }
        // A child module, `queries::get` in `customers/mod.rs`, unless a `use` took the name.
        if self.alias(file, scope, first).is_none()
            && self.modules.contains_key(&joined(scope, &segments[..1]))
        {
            return Some(joined(scope, segments));
        }
        // A name a `use` brought into this module or, as `use super::*` hands them down, into an
        // enclosing module of the same file.
        let (end, alias) = (0..=scope.len()).rev().find_map(|end| {
            self.alias(file, &scope[..end], first)
                .map(|alias| (end, alias))
        })?;
        let target = self.absolute(file, &scope[..end], &alias.segments, depth + 1)?;
        Some(joined(&target, rest))
    }

    fn alias(&self, file: usize, scope: &[String], name: &str) -> Option<&Alias> {
        self.aliases.get(&(file, scope.to_vec(), name.to_owned()))
    }

    /// The file an absolute path lands in, and how many of its segments name modules.
    fn land(&self, path: &[String]) -> Option<(usize, usize)> {
        (0..=path.len())
            .rev()
            .find_map(|k| self.modules.get(&path[..k]).map(|&file| (file, k)))
    }

    /// The file that defines what an absolute path names, following `pub use` re-exports.
    fn defining(&self, path: &[String]) -> Option<usize> {
        let mut path = path.to_vec();
        for _ in 0..16 {
            let (file, k) = self.land(&path)?;
            let Some(name) = path.get(k) else {
                return Some(file);
            };
            let Some(alias) = self
                .alias(file, &path[..k], name)
                .filter(|alias| alias.public)
            else {
                return Some(file);
            };
            let target = self.absolute(file, &path[..k], &alias.segments, 0)?;
            path = joined(&target, &path[k + 1..]);
        }
        None
    }
}

fn joined(head: &[String], tail: &[String]) -> Module {
    head.iter().chain(tail).cloned().collect()
}

fn parts(path: &Path) -> Vec<String> {
    path.components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect()
}

/// `lib.rs` and `main.rs` are the root `[]`; `a.rs` and `a/mod.rs` are `[a]`; `a/b.rs` is `[a, b]`.
fn module_of(path: &Path) -> Module {
    let mut module = parts(path);
    let file = module.pop().unwrap_or_default();
    let stem = file.strip_suffix(".rs").unwrap_or(&file);
    let crate_root = module.is_empty() && (stem == "lib" || stem == "main");
    if stem != "mod" && !crate_root {
        module.push(stem.to_owned());
    }
    module
}

/// Checks `files` (paths relative to `src/`, sources) against `layers`.
fn check(files: &[(PathBuf, String)], layers: &Layers) -> Vec<Violation> {
    let mut violations = Vec::new();
    let mut krate = Crate::default();
    let mut inline = Vec::new();
    for (path, source) in files {
        let file = krate.units.len();
        let rel = parts(path).join("/");
        let module = module_of(path);
        let mut collector = Collector {
            scope: module.clone(),
            ..Collector::default()
        };
        match syn::parse_file(source) {
            Ok(syntax) => collector.visit_file(&syntax),
            Err(error) => {
                let line = error.span().start().line;
                let detail = format!("does not parse (line {line}): {error}");
                violations.push(Violation::new(Rule::Unreadable, &rel, line, "", "", detail));
            }
        }
        let place = placement(layers, &rel);
        if matches!(place, Place::Unplaced) {
            let detail = "is in no tier: add it to the kernel, an area or the root tier".to_owned();
            violations.push(Violation::new(Rule::Unplaced, &rel, 0, "", "", detail));
        }
        // `crate::` in the library means `lib.rs`, whatever `main.rs` holds.
        if rel == "main.rs" {
            krate.modules.entry(module.clone()).or_insert(file);
        } else {
            krate.modules.insert(module.clone(), file);
        }
        inline.extend(collector.inline.into_iter().map(|module| (module, file)));
        for (scope, name, alias) in collector.aliases {
            krate.aliases.insert((file, scope, name), alias);
        }
        krate.units.push(Unit {
            rel,
            module,
            place,
            mentions: collector.mentions,
        });
    }
    for (module, file) in inline {
        krate.modules.entry(module).or_insert(file);
    }

    // The tier rules, on the file each path lands in; the graph, on the file that defines it.
    let mut edges: BTreeMap<(usize, usize), (usize, String)> = BTreeMap::new();
    for (from, unit) in krate.units.iter().enumerate() {
        for mention in &unit.mentions {
            let Some(path) = krate.absolute(from, &mention.scope, &mention.segments, 0) else {
                continue;
            };
            let Some((landing, _)) = krate.land(&path) else {
                continue;
            };
            let text = mention.segments.join("::");
            if landing != from {
                let to = &krate.units[landing];
                for (rule, detail) in judge(unit, to) {
                    let found =
                        Violation::new(rule, &unit.rel, mention.line, &text, &to.rel, detail);
                    violations.push(found);
                }
            }
            // A module's `pub use` of its own child opens a door; it is not a dependency.
            let opens_door = mention.kind == Kind::ReExport && path.starts_with(&mention.scope);
            if !opens_door
                && let Some(to) = krate.defining(&path)
                && to != from
            {
                edges.entry((from, to)).or_insert((mention.line, text));
            }
        }
    }

    let mut next = vec![Vec::new(); krate.units.len()];
    for &(from, to) in edges.keys() {
        next[from].push(to);
    }
    for circle in circles(&next) {
        let names: Vec<&str> = circle
            .iter()
            .map(|&i| krate.units[i].rel.as_str())
            .collect();
        let names = names.join(", ");
        for (&(from, to), (line, text)) in &edges {
            if circle.contains(&from) && circle.contains(&to) {
                let (file, target) = (&krate.units[from].rel, &krate.units[to].rel);
                let detail = format!("-> {target}, in the circle of {names}");
                violations.push(Violation::new(
                    Rule::Circle,
                    file,
                    *line,
                    text,
                    target,
                    detail,
                ));
            }
        }
    }
    merged(violations)
}

/// What is wrong with a file of `from` importing a file of `to`, if anything.
fn judge(from: &Unit, to: &Unit) -> Vec<(Rule, String)> {
    let target = &to.rel;
    match (from.place, to.place) {
        (Place::Unplaced, _) | (_, Place::Unplaced) | (Place::Root, _) => Vec::new(),
        (_, Place::Root) => {
            vec![(
                Rule::Root,
                format!("reaches the root tier ({target}), which only the root tier may"),
            )]
        }
        (Place::Kernel, Place::Area(theirs)) => {
            let detail = format!(
                "reaches into area `{}` ({target}); the kernel imports only the kernel",
                theirs.name
            );
            vec![(Rule::KernelReachesArea, detail)]
        }
        (Place::Area(mine), Place::Area(theirs)) if mine != theirs => {
            let mut found = Vec::new();
            if to.module != [theirs.name] {
                let detail = format!(
                    "goes past the front door of area `{}` into {target}",
                    theirs.name
                );
                found.push((Rule::BackDoor, detail));
            }
            if theirs.rank >= mine.rank {
                let detail = format!(
                    "reaches area `{}` of rank {}, not below its own rank {}",
                    theirs.name, theirs.rank, mine.rank
                );
                found.push((Rule::Rank, detail));
            }
            found
        }
        _ => Vec::new(),
    }
}

/// The strongly connected components of more than one file: files each reachable from the other.
fn circles(next: &[Vec<usize>]) -> Vec<BTreeSet<usize>> {
    let reach: Vec<Vec<bool>> = (0..next.len())
        .map(|start| reachable(start, next))
        .collect();
    let mut placed = BTreeSet::new();
    let mut found = Vec::new();
    for (a, from_a) in reach.iter().enumerate() {
        if placed.contains(&a) {
            continue;
        }
        let circle: BTreeSet<usize> = (0..next.len())
            .filter(|&b| from_a[b] && reach[b][a])
            .collect();
        placed.extend(circle.iter().copied());
        if circle.len() > 1 {
            found.push(circle);
        }
    }
    found
}

fn reachable(start: usize, next: &[Vec<usize>]) -> Vec<bool> {
    let mut seen = vec![false; next.len()];
    let mut todo = vec![start];
    while let Some(file) = todo.pop() {
        if !seen[file] {
            seen[file] = true;
            todo.extend(&next[file]);
        }
    }
    seen
}

/// Sorted by rule, file and line; one finding per rule, file and target file, with its other lines.
fn merged(mut violations: Vec<Violation>) -> Vec<Violation> {
    violations.sort();
    let mut kept: Vec<Violation> = Vec::new();
    let mut index: HashMap<(Rule, String, String), usize> = HashMap::new();
    for violation in violations {
        match index.entry((
            violation.rule,
            violation.file.clone(),
            violation.target.clone(),
        )) {
            Entry::Occupied(seen) => {
                let first = &mut kept[*seen.get()];
                if first.line != violation.line && !first.also.contains(&violation.line) {
                    first.also.push(violation.line);
                }
            }
            Entry::Vacant(slot) => {
                slot.insert(kept.len());
                kept.push(violation);
            }
        }
    }
    kept
}
