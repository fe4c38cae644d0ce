//! "A crate's SQL names only its own schema" (DESIGN.md, Data ownership): every other
//! crate reaches a schema through its owner's Rust API, so that the owner's rules (what
//! a shopper may see, what counts as certified, in stock) are written once.
//!
//! The check reads the sources as text: a table reference is `<schema>.<table>` right
//! after `FROM`, `JOIN`, `INTO`, `UPDATE` or `TABLE`, or a sea-orm entity declared with
//! `schema_name = "<schema>"`. Comments are skipped; event topics such as
//! `"catalog.product.updated"` are not table references and do not match. Migrations own
//! every schema and are not scanned.
//!
//! A query built with another crate's sea-orm entity is that crate's SQL written outside
//! it just the same: naming `<crate>::store::<table>::Entity` (or its `Column` or
//! `ActiveModel`, directly or through a `use` of the store module) counts as naming the
//! crate's schema. Its `Model`, a plain type the owner's API hands out, does not.

use std::path::{Path, PathBuf};

/// The crates whose SQL is checked, and the schemas each may name.
const OWNERS: &[(&str, &[&str])] = &[
    ("services/platform/src", &["accounts"]),
    ("services/catalog/src", &["catalog"]),
    ("services/promotions/src", &["promotions"]),
    ("services/orders/src", &["orders"]),
    ("services/settlements/src", &["settlements"]),
    ("services/reports/src", &["reports"]),
    ("services/console/src", &[]),
    ("services/jikgu/src", &[]),
    ("search/src", &["search"]),
];

/// Every schema in the database.
const SCHEMAS: &[&str] = &[
    "accounts",
    "catalog",
    "promotions",
    "orders",
    "search",
    "settlements",
    "reports",
];

/// References that could not be moved behind their owner's API yet: (file, schema).
/// Each entry is a debt, with the reason beside it; remove it once the file is fixed.
const ALLOWED: &[(&str, &str)] = &[];

const SQL_KEYWORDS: &[&str] = &["from", "join", "into", "update", "table"];

/// The crates whose sea-orm entities live in `<crate>::store`, each named as its schema.
const ENTITY_CRATES: &[&str] = &["catalog", "promotions", "orders", "settlements", "reports"];

/// The store modules `text` brings in by `use <crate>::store::{a, b}` (or `::a`), each
/// with its crate.
fn store_aliases(text: &str) -> Vec<(String, &'static str)> {
    let mut out = Vec::new();
    for krate in ENTITY_CRATES {
        let needle = format!("{krate}::store::");
        for line in text.lines() {
            let t = line.trim_start();
            if !t.starts_with("use ") {
                continue;
            }
            let Some(at) = t.find(&needle) else { continue };
            let before = &t[..at];
            if !(before.ends_with("use ") || before.ends_with("use ::")) {
                continue;
            }
            let rest = &t[at + needle.len()..];
            let names = rest.trim_start_matches('{');
            for name in names.split(|c: char| !c.is_ascii_alphanumeric() && c != '_') {
                if name.is_empty() || name == "self" {
                    continue;
                }
                out.push((name.to_owned(), *krate));
                if !rest.starts_with('{') {
                    break;
                }
            }
        }
    }
    out
}

/// The crates whose entities `line` builds a query with: `<x>::Entity`, `<x>::Column` or
/// `<x>::ActiveModel` where `<x>` is `<crate>::store::<table>` or a store module of
/// `aliases`.
fn entity_crates_named(line: &str, aliases: &[(String, &'static str)]) -> Vec<&'static str> {
    if line.trim_start().starts_with("//") {
        return Vec::new();
    }
    let mut found = Vec::new();
    for kind in ["::Entity", "::Column", "::ActiveModel"] {
        let mut from = 0;
        while let Some(at) = line[from..].find(kind) {
            let end = from + at;
            from = end + kind.len();
            if line[from..]
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
            {
                continue;
            }
            let path: &str = line[..end]
                .rsplit(|c: char| !c.is_ascii_alphanumeric() && c != '_' && c != ':')
                .next()
                .unwrap_or("");
            let segments: Vec<&str> = path.split("::").filter(|s| !s.is_empty()).collect();
            let krate = match segments.as_slice() {
                [.., k, "store", _] => ENTITY_CRATES.iter().find(|c| *c == k).copied(),
                [.., table] => aliases.iter().find(|(a, _)| a == table).map(|(_, k)| *k),
                [] => None,
            };
            if let Some(k) = krate.filter(|k| !found.contains(k)) {
                found.push(k);
            }
        }
    }
    found
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the tests crate sits in the workspace")
        .to_path_buf()
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The schemas `line` names as tables (or entity schemas).
fn schemas_named(line: &str) -> Vec<&'static str> {
    let trimmed = line.trim_start();
    if trimmed.starts_with("//") {
        return Vec::new();
    }
    let lower = line.to_ascii_lowercase();
    let mut found = Vec::new();
    for schema in SCHEMAS {
        if lower.contains(&format!("schema_name = \"{schema}\"")) {
            found.push(*schema);
            continue;
        }
        let needle = format!("{schema}.");
        let mut from = 0;
        while let Some(at) = lower[from..].find(&needle) {
            let start = from + at;
            from = start + needle.len();
            let table_starts = lower[from..]
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_lowercase() || c == '_');
            let before = &lower[..start];
            let spaced = before.ends_with(char::is_whitespace);
            let word = before
                .trim_end()
                .rsplit(|c: char| !c.is_ascii_alphanumeric() && c != '_')
                .next()
                .unwrap_or("");
            if table_starts && spaced && SQL_KEYWORDS.contains(&word) {
                found.push(*schema);
                break;
            }
        }
    }
    found
}

/// (file, line number, schema) of every reference a crate makes to a schema it does not
/// own, allowances left out.
fn foreign_references() -> Vec<(String, usize, &'static str)> {
    let root = workspace_root();
    let mut out = Vec::new();
    for (dir, owned) in OWNERS {
        let mut files = Vec::new();
        rust_files(&root.join(dir), &mut files);
        files.sort();
        for file in files {
            let rel = file
                .strip_prefix(&root)
                .expect("under the root")
                .to_string_lossy()
                .replace('\\', "/");
            let text = std::fs::read_to_string(&file).expect("read a source file");
            let aliases = store_aliases(&text);
            for (n, line) in text.lines().enumerate() {
                let mut named = schemas_named(line);
                named.extend(entity_crates_named(line, &aliases));
                for schema in named {
                    if owned.contains(&schema) || ALLOWED.contains(&(rel.as_str(), schema)) {
                        continue;
                    }
                    out.push((rel.clone(), n + 1, schema));
                }
            }
        }
    }
    out
}

#[test]
fn no_crate_names_another_crates_schema_in_sql() {
    let found = foreign_references();
    assert!(
        found.is_empty(),
        "SQL naming a schema its crate does not own (call the owner's Rust API instead):\n{}",
        found
            .iter()
            .map(|(f, n, s)| format!("  {f}:{n} names {s}"))
            .collect::<Vec<_>>()
            .join("\n")
    );
}

#[test]
fn the_scan_sees_table_references_and_not_topics() {
    assert_eq!(
        schemas_named("  \"SELECT 1 FROM catalog.products p \\"),
        ["catalog"]
    );
    assert_eq!(
        schemas_named("JOIN promotions.campaigns c ON c.id = p.campaign_id"),
        ["promotions"]
    );
    assert_eq!(
        schemas_named("\"insert into orders.orders (id)"),
        ["orders"]
    );
    assert_eq!(
        schemas_named("#[sea_orm(schema_name = \"catalog\", table_name = \"vendors\")]"),
        ["catalog"]
    );
    assert!(schemas_named("\"catalog.product.updated\" => {}").is_empty());
    assert!(schemas_named("// read FROM catalog.products").is_empty());
    assert!(schemas_named("'promotions.price:' || $1::text").is_empty());
    assert!(schemas_named("SELECT p.id FROM products p").is_empty());
    assert!(schemas_named("x.datafrom catalog.products").is_empty());
}

#[test]
fn every_allowance_is_still_needed() {
    let root = workspace_root();
    for (file, schema) in ALLOWED {
        let text = std::fs::read_to_string(root.join(file)).expect("an allowed file exists");
        let aliases = store_aliases(&text);
        assert!(
            text.lines().any(|l| schemas_named(l).contains(schema)
                || entity_crates_named(l, &aliases).contains(schema)),
            "{file} no longer names {schema}: remove its allowance"
        );
    }
}

#[test]
fn the_scan_sees_queries_built_with_another_crates_entities() {
    let aliases =
        store_aliases("use catalog::store::{product, variant};\nuse crate::store::coupon;");
    assert_eq!(
        aliases,
        [
            ("product".to_owned(), "catalog"),
            ("variant".to_owned(), "catalog")
        ]
    );
    assert_eq!(
        entity_crates_named("    let v = variant::Entity::find_by_id(id)", &aliases),
        ["catalog"]
    );
    assert_eq!(
        entity_crates_named(".filter(product::Column::Status.eq(x))", &aliases),
        ["catalog"]
    );
    assert_eq!(
        entity_crates_named("match catalog::store::vendor::Entity::find_by_id(id)", &[]),
        ["catalog"]
    );
    assert_eq!(
        store_aliases("    use ::catalog::store::category;"),
        [("category".to_owned(), "catalog")]
    );
    // A type the owner's API returns, and the crate's own entities, are not queries.
    assert!(entity_crates_named("fn f(v: variant::Model) {}", &aliases).is_empty());
    assert!(entity_crates_named("coupon::Entity::find()", &aliases).is_empty());
    assert!(entity_crates_named("// variant::Entity::find()", &aliases).is_empty());
}
