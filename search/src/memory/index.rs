//! The entries of `search.entries` held in memory, with a posting list (a roaring bitmap of
//! slots) per gram code: what a search matches, filters, orders and counts, answered
//! without visiting a row in Postgres. Pure data, no I/O: [`super::MemoryBackend`] fills
//! it and reads the page's documents by id.
//!
//! It answers exactly as the SQL of [`crate::postgres`] does (the behaviour and
//! comparison suites run both): a document holds a word when it holds every code of the
//! word's grams, and a word of three or more characters is rechecked as a substring of
//! the case-folded title or text; orders and facet groups are those of the statements.

use crate::backend::MAX_SUGGESTIONS;
use crate::postgres::FacetRow;
use crate::query::{Filters, PriceBucket, SearchQuery, Sort};
use crate::text;
use chrono::{DateTime, Utc};
use roaring::RoaringBitmap;
use sea_orm::FromQueryResult;
use std::cmp::Ordering;
use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::Arc;
use uuid::Uuid;

/// One row of `search.entries`, as a full load or a change reads it.
#[derive(Debug, Clone, FromQueryResult)]
pub struct EntryRow {
    pub id: Uuid,
    pub title_folded: String,
    pub text_folded: String,
    pub vendor_id: Uuid,
    pub vendor_name: String,
    pub category_ids: Vec<Uuid>,
    pub certified: bool,
    pub certification_kinds: Vec<String>,
    pub campaign_ids: Vec<Uuid>,
    pub price: i64,
    pub in_stock: bool,
    pub popularity: i64,
    pub published_at: Option<DateTime<Utc>>,
}

/// A vendor as entries name it: what a vendor facet shows. Shared by its entries.
#[derive(Debug, PartialEq, Eq, Hash)]
struct Vendor {
    id: Uuid,
    name: String,
    kinds: Vec<String>,
}

/// A category's path (its ancestors, root first, then itself), shared by its entries.
#[derive(Debug, PartialEq, Eq, Hash)]
struct Category {
    path: Vec<Uuid>,
}

#[derive(Debug)]
struct Entry {
    id: Uuid,
    title: Box<str>,
    title_chars: u32,
    /// Tags and description, one per line (rechecks only).
    text: Box<str>,
    vendor: Arc<Vendor>,
    category: Arc<Category>,
    campaigns: Box<[Uuid]>,
    certified: bool,
    in_stock: bool,
    price: i64,
    popularity: i64,
    /// Microseconds since the epoch, as Postgres keeps a `timestamptz`.
    published: Option<i64>,
}

impl Entry {
    /// Its gram codes, computed from the folded text it keeps: the same codes when it is
    /// added and when it is taken out again.
    fn grams(&self) -> Vec<i32> {
        text::gram_codes([&*self.title, &*self.text])
    }

    fn holds(&self, word: &str) -> bool {
        self.title.contains(word) || self.text.contains(word)
    }

    fn passes(&self, f: &Filters) -> bool {
        f.category.is_none_or(|c| self.category.path.contains(&c))
            && f.vendor.is_none_or(|v| self.vendor.id == v)
            && f.certified.is_none_or(|c| self.certified == c)
            && f.min_price.is_none_or(|p| self.price >= p.get())
            && f.max_price.is_none_or(|p| self.price <= p.get())
            && f.campaign.is_none_or(|c| self.campaigns.contains(&c))
            && f.in_stock.is_none_or(|s| self.in_stock == s)
    }
}

/// `published_at DESC NULLS LAST`.
fn newest_first(a: Option<i64>, b: Option<i64>) -> Ordering {
    match (a, b) {
        (Some(a), Some(b)) => b.cmp(&a),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => Ordering::Equal,
    }
}

/// What a search found: the ids of the page (one more than asked when more follow),
/// the number of matches, and the facet groups when facets were asked for.
#[derive(Debug, Default)]
pub struct Found {
    pub page: Vec<Uuid>,
    pub total: u64,
    pub groups: Vec<FacetRow>,
}

#[derive(Default)]
pub struct Index {
    slots: Vec<Option<Entry>>,
    slot_of: HashMap<Uuid, u32>,
    free: Vec<u32>,
    live: RoaringBitmap,
    postings: HashMap<i32, RoaringBitmap>,
    vendors: HashSet<Arc<Vendor>>,
    categories: HashSet<Arc<Category>>,
}

/// One shared copy of an equal value (vendors and categories repeat on every entry).
fn interned<T: Eq + std::hash::Hash>(set: &mut HashSet<Arc<T>>, value: T) -> Arc<T> {
    if let Some(k) = set.get(&value) {
        return k.clone();
    }
    let k = Arc::new(value);
    set.insert(k.clone());
    k
}

impl Index {
    /// How many entries it holds.
    pub fn count(&self) -> usize {
        self.slot_of.len()
    }

    /// Add an entry, or replace the one with its id.
    pub fn upsert(&mut self, row: EntryRow) {
        self.remove(row.id);
        let vendor = interned(
            &mut self.vendors,
            Vendor {
                id: row.vendor_id,
                name: row.vendor_name,
                kinds: row.certification_kinds,
            },
        );
        let category = interned(
            &mut self.categories,
            Category {
                path: row.category_ids,
            },
        );
        let entry = Entry {
            id: row.id,
            title_chars: row.title_folded.chars().count() as u32,
            title: row.title_folded.into_boxed_str(),
            text: row.text_folded.into_boxed_str(),
            vendor,
            category,
            campaigns: row.campaign_ids.into_boxed_slice(),
            certified: row.certified,
            in_stock: row.in_stock,
            price: row.price,
            popularity: row.popularity,
            published: row.published_at.map(|t| t.timestamp_micros()),
        };
        let slot = self.free.pop().unwrap_or_else(|| {
            self.slots.push(None);
            (self.slots.len() - 1) as u32
        });
        for code in entry.grams() {
            self.postings.entry(code).or_default().insert(slot);
        }
        self.live.insert(slot);
        self.slot_of.insert(entry.id, slot);
        self.slots[slot as usize] = Some(entry);
    }

    /// Take an entry out; nothing happens for an id it does not hold.
    pub fn remove(&mut self, id: Uuid) {
        let Some(slot) = self.slot_of.remove(&id) else {
            return;
        };
        let Some(entry) = self.slots[slot as usize].take() else {
            return;
        };
        for code in entry.grams() {
            if let Some(list) = self.postings.get_mut(&code) {
                list.remove(slot);
                if list.is_empty() {
                    self.postings.remove(&code);
                }
            }
        }
        self.live.remove(slot);
        self.free.push(slot);
        // Vendors and categories nobody names any more are dropped with their last entry.
        if Arc::strong_count(&entry.vendor) == 2 {
            self.vendors.remove(&entry.vendor);
        }
        if Arc::strong_count(&entry.category) == 2 {
            self.categories.remove(&entry.category);
        }
    }

    /// The slots holding every code of these words (every live slot for no words).
    fn candidates(&self, terms: &[String]) -> RoaringBitmap {
        if terms.is_empty() {
            return self.live.clone();
        }
        let codes: BTreeSet<i32> = terms.iter().flat_map(|t| text::term_codes(t)).collect();
        let mut lists = Vec::with_capacity(codes.len());
        for code in codes {
            match self.postings.get(&code) {
                Some(list) => lists.push(list),
                None => return RoaringBitmap::new(),
            }
        }
        // The shortest list first: every later intersection is at most that long.
        lists.sort_by_key(|l| l.len());
        let mut found = lists[0].clone();
        for list in &lists[1..] {
            found &= *list;
        }
        found
    }

    fn entry(&self, slot: u32) -> &Entry {
        self.slots[slot as usize]
            .as_ref()
            .expect("a live slot holds an entry")
    }

    /// The matches of a (normalised) query, its page of ids and its facet groups.
    pub fn search(&self, q: &SearchQuery) -> Found {
        let terms = q.terms();
        let recheck: Vec<&str> = terms
            .iter()
            .filter(|t| text::needs_recheck(t))
            .map(String::as_str)
            .collect();
        let mut matches: Vec<(u32, u32)> = self
            .candidates(&terms)
            .iter()
            .filter_map(|slot| {
                let e = self.entry(slot);
                let ok = recheck.iter().all(|w| e.holds(w)) && e.passes(&q.filters);
                // Relevance: how many of the words the title holds.
                ok.then(|| {
                    let in_title = terms.iter().filter(|t| e.title.contains(t.as_str()));
                    (slot, in_title.count() as u32)
                })
            })
            .collect();
        let total = matches.len() as u64;
        let groups = if q.facets.is_empty() {
            Vec::new()
        } else {
            self.groups(matches.iter().map(|(slot, _)| *slot))
        };
        let by_relevance = q.sort == Sort::Relevance && !terms.is_empty();
        let order = |a: &(u32, u32), b: &(u32, u32)| {
            let (x, y) = (self.entry(a.0), self.entry(b.0));
            match q.sort {
                Sort::Relevance if by_relevance => {
                    b.1.cmp(&a.1)
                        .then(x.title_chars.cmp(&y.title_chars))
                        .then(y.popularity.cmp(&x.popularity))
                        .then(x.id.cmp(&y.id))
                }
                Sort::Relevance | Sort::Popular => y
                    .popularity
                    .cmp(&x.popularity)
                    .then(newest_first(x.published, y.published))
                    .then(y.id.cmp(&x.id)),
                Sort::Newest => newest_first(x.published, y.published).then(y.id.cmp(&x.id)),
                Sort::PriceAsc => x.price.cmp(&y.price).then(x.id.cmp(&y.id)),
                Sort::PriceDesc => y.price.cmp(&x.price).then(y.id.cmp(&x.id)),
            }
        };
        let page = top(&mut matches, q.offset, q.limit + 1, order);
        Found {
            page: page.iter().map(|(slot, _)| self.entry(*slot).id).collect(),
            total,
            groups,
        }
    }

    /// Facet groups as the SQL's `GROUPING SETS` gives them: per category (with its path),
    /// per vendor and certification, per price bucket.
    fn groups(&self, slots: impl Iterator<Item = u32>) -> Vec<FacetRow> {
        let mut categories: HashMap<*const Category, (&Category, i64)> = HashMap::new();
        let mut vendors: HashMap<(*const Vendor, bool), (&Vendor, i64)> = HashMap::new();
        let mut buckets: HashMap<&'static str, i64> = HashMap::new();
        for slot in slots {
            let e = self.entry(slot);
            categories
                .entry(Arc::as_ptr(&e.category))
                .or_insert((&e.category, 0))
                .1 += 1;
            vendors
                .entry((Arc::as_ptr(&e.vendor), e.certified))
                .or_insert((&e.vendor, 0))
                .1 += 1;
            *buckets
                .entry(PriceBucket::of(platform::money::Won(e.price)).key())
                .or_default() += 1;
        }
        let empty = FacetRow {
            category_ids: None,
            vendor_id: None,
            vendor_name: None,
            certified: None,
            certification_kinds: None,
            bucket: None,
            n: 0,
        };
        let mut rows = Vec::new();
        for (c, n) in categories.into_values() {
            rows.push(FacetRow {
                category_ids: Some(c.path.clone()),
                n,
                ..empty.clone()
            });
        }
        for ((_, certified), (v, n)) in vendors {
            rows.push(FacetRow {
                vendor_id: Some(v.id),
                vendor_name: Some(v.name.clone()),
                certified: Some(certified),
                certification_kinds: Some(v.kinds.clone()),
                n,
                ..empty.clone()
            });
        }
        for (b, n) in buckets {
            rows.push(FacetRow {
                bucket: Some(b.to_owned()),
                n,
                ..empty.clone()
            });
        }
        rows
    }

    /// Titles holding every word, those starting with the words first, then the most
    /// popular, the shorter, by id: the ids of at most `limit` of them.
    pub fn suggest(&self, terms: &[String], limit: usize) -> Vec<Uuid> {
        let starts = terms.join(" ");
        let mut found: Vec<(u32, bool)> = self
            .candidates(terms)
            .iter()
            .filter_map(|slot| {
                let e = self.entry(slot);
                terms
                    .iter()
                    .all(|t| e.title.contains(t.as_str()))
                    .then(|| (slot, e.title.starts_with(&starts)))
            })
            .collect();
        let order = |a: &(u32, bool), b: &(u32, bool)| {
            let (x, y) = (self.entry(a.0), self.entry(b.0));
            b.1.cmp(&a.1)
                .then(y.popularity.cmp(&x.popularity))
                .then(x.title_chars.cmp(&y.title_chars))
                .then(x.id.cmp(&y.id))
        };
        top(&mut found, 0, limit.clamp(1, MAX_SUGGESTIONS), order)
            .iter()
            .map(|(slot, _)| self.entry(*slot).id)
            .collect()
    }
}

/// `items[offset .. offset + n]` in `order`, sorting only as much as that needs.
fn top<T>(items: &mut [T], offset: usize, n: usize, order: impl Fn(&T, &T) -> Ordering) -> &[T] {
    let end = offset.saturating_add(n).min(items.len());
    if end == 0 || offset >= items.len() {
        return &[];
    }
    if end < items.len() {
        items.select_nth_unstable_by(end - 1, &order);
    }
    let head = &mut items[..end];
    head.sort_unstable_by(&order);
    &head[offset..]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(title: &str, price: i64) -> EntryRow {
        EntryRow {
            id: Uuid::now_v7(),
            title_folded: text::folded(title),
            text_folded: String::new(),
            vendor_id: Uuid::nil(),
            vendor_name: "v".into(),
            category_ids: vec![Uuid::nil()],
            certified: false,
            certification_kinds: vec![],
            campaign_ids: vec![],
            price,
            in_stock: true,
            popularity: 0,
            published_at: None,
        }
    }

    fn ids(index: &Index, text: &str, sort: Sort) -> Vec<Uuid> {
        let q = SearchQuery {
            sort,
            ..SearchQuery::text(text)
        };
        index.search(&q.normalized().unwrap()).page
    }

    #[test]
    fn words_inside_compounds_and_rechecked_order() {
        let mut index = Index::default();
        let kimchi = row("강화순무김치", 10_000);
        let apart = row("치김 김 치", 5_000); // holds 김 and 치, not 김치
        let reverse = row("순무 김치", 8_000);
        let (k, r) = (kimchi.id, reverse.id);
        index.upsert(kimchi);
        index.upsert(apart);
        index.upsert(reverse);
        assert_eq!(ids(&index, "김치", Sort::PriceAsc), [r, k]);
        // Three characters: the grams 순무 and 무김 are both in "순무 김치" but not in a row.
        assert_eq!(ids(&index, "순무김", Sort::PriceAsc), [k]);
    }

    #[test]
    fn a_replaced_or_removed_entry_leaves_no_posting_behind() {
        let mut index = Index::default();
        let mut first = row("꽃게", 1);
        let id = first.id;
        index.upsert(first.clone());
        first.title_folded = "인삼".into();
        index.upsert(first);
        assert!(ids(&index, "꽃게", Sort::PriceAsc).is_empty());
        assert_eq!(ids(&index, "인삼", Sort::PriceAsc), [id]);
        index.remove(id);
        assert_eq!(index.count(), 0);
        assert!(index.postings.is_empty(), "{:?}", index.postings.keys());
        assert!(index.vendors.is_empty() && index.categories.is_empty());
    }

    #[test]
    fn pages_cut_after_ordering_all_matches() {
        let mut index = Index::default();
        let mut rows: Vec<EntryRow> = (0..50).map(|i| row("꿀", (i * 37) % 50)).collect();
        for r in &rows {
            index.upsert(r.clone());
        }
        rows.sort_by_key(|r| (r.price, r.id));
        let q = SearchQuery {
            sort: Sort::PriceAsc,
            limit: 7,
            offset: 14,
            ..SearchQuery::text("꿀")
        };
        let found = index.search(&q.normalized().unwrap());
        let want: Vec<Uuid> = rows[14..22].iter().map(|r| r.id).collect();
        assert_eq!(found.page, want);
        assert_eq!(found.total, 50);
    }
}
