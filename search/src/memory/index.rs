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
use memchr::memmem::Finder;
use roaring::RoaringBitmap;
use sea_orm::FromQueryResult;
use std::cmp::Reverse;
use std::collections::{BTreeSet, BinaryHeap, HashMap};
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

/// A vendor as entries name it: what a vendor facet shows.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Vendor {
    id: Uuid,
    name: String,
    kinds: Vec<String>,
}

/// Values many entries share (vendors, category paths), each kept once under a small
/// number, so that an entry holds the number and facets count in a plain array.
struct Registry<T> {
    numbers: HashMap<T, u32>,
    /// By number: the value and how many entries name it (none once nobody does).
    values: Vec<Option<(T, u32)>>,
    free: Vec<u32>,
}

impl<T> Default for Registry<T> {
    fn default() -> Self {
        Registry {
            numbers: HashMap::new(),
            values: Vec::new(),
            free: Vec::new(),
        }
    }
}

impl<T: Clone + Eq + std::hash::Hash> Registry<T> {
    fn take(&mut self, value: T) -> u32 {
        if let Some(&n) = self.numbers.get(&value) {
            if let Some((_, users)) = &mut self.values[n as usize] {
                *users += 1;
            }
            return n;
        }
        let n = self.free.pop().unwrap_or_else(|| {
            self.values.push(None);
            (self.values.len() - 1) as u32
        });
        self.values[n as usize] = Some((value.clone(), 1));
        self.numbers.insert(value, n);
        n
    }

    fn give_back(&mut self, n: u32) {
        let slot = &mut self.values[n as usize];
        if let Some((value, users)) = slot {
            *users -= 1;
            if *users == 0 {
                self.numbers.remove(value);
                *slot = None;
                self.free.push(n);
            }
        }
    }

    fn get(&self, n: u32) -> &T {
        &self.values[n as usize]
            .as_ref()
            .expect("a number in use has its value")
            .0
    }

    fn len(&self) -> usize {
        self.values.len()
    }

    #[cfg(test)]
    fn in_use(&self) -> usize {
        self.numbers.len()
    }
}

/// An entry's texts and campaigns: what a scan reads only for a word it must recheck or
/// a campaign filter.
#[derive(Debug)]
struct Entry {
    title: Box<str>,
    /// Tags and description, one per line (rechecks only).
    text: Box<str>,
    campaigns: Box<[Uuid]>,
}

/// What every match of a search is counted and ordered by, kept by slot apart from the
/// texts: a scan over thousands of matches reads one cache line per match, in slot
/// order, instead of following each entry's pointers (it spent a third of a search's
/// time there).
#[derive(Debug, Clone, Copy)]
struct Facts {
    id: Uuid,
    price: i64,
    popularity: i64,
    /// Microseconds since the epoch, as Postgres keeps a `timestamptz`.
    published: Option<i64>,
    vendor: u32,
    /// The category's path.
    category: u32,
    title_chars: u32,
    certified: bool,
    in_stock: bool,
}

impl Entry {
    fn title_grams(&self) -> Vec<i32> {
        text::gram_codes([&*self.title])
    }

    /// Its gram codes, computed from the folded text it keeps: the same codes when it is
    /// added and when it is taken out again.
    fn grams(&self) -> Vec<i32> {
        text::gram_codes([&*self.title, &*self.text])
    }
}

/// A query word ready to be looked for in many texts.
struct Word<'a> {
    text: &'a str,
    /// Holding the word's grams proves nothing yet (three characters or more).
    recheck: bool,
    finder: Finder<'a>,
}

impl<'a> Word<'a> {
    fn new(text: &'a str) -> Word<'a> {
        Word {
            text,
            recheck: text::needs_recheck(text),
            finder: Finder::new(text.as_bytes()),
        }
    }

    fn is_in(&self, s: &str) -> bool {
        self.finder.find(s.as_bytes()).is_some()
    }
}

/// `published_at DESC NULLS LAST` as a key that sorts ascending.
fn newest_first(published: Option<i64>) -> (bool, Reverse<i64>) {
    (published.is_none(), Reverse(published.unwrap_or(0)))
}

/// What one search scans: its candidates and words.
struct Scan<'a> {
    q: &'a SearchQuery,
    candidates: RoaringBitmap,
    words: Vec<Word<'a>>,
    in_titles: Vec<RoaringBitmap>,
}

/// Facet counts of one search, by registry number and price bucket.
struct Counts {
    categories: Vec<i64>,
    /// Per vendor: without and with a valid certification.
    vendors: Vec<[i64; 2]>,
    buckets: [i64; PriceBucket::ALL.len()],
}

/// The place of a price's bucket in [`PriceBucket::ALL`].
fn bucket_of(price: i64) -> usize {
    let bucket = PriceBucket::of(platform::money::Won(price));
    PriceBucket::ALL
        .iter()
        .position(|b| *b == bucket)
        .unwrap_or_default()
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
    /// By slot, beside `slots` (a free slot keeps its last entry's, unread).
    facts: Vec<Facts>,
    slot_of: HashMap<Uuid, u32>,
    free: Vec<u32>,
    live: RoaringBitmap,
    /// Slots by the codes of their grams (title, tags and description).
    postings: HashMap<i32, RoaringBitmap>,
    /// Slots by the codes of their titles' grams: relevance and suggestions.
    title_postings: HashMap<i32, RoaringBitmap>,
    vendors: Registry<Vendor>,
    categories: Registry<Vec<Uuid>>,
}

fn post(postings: &mut HashMap<i32, RoaringBitmap>, codes: Vec<i32>, slot: u32) {
    for code in codes {
        let list = postings.entry(code).or_default();
        // A load hands out slots in increasing order: appending is the common case, and
        // cheaper than an insertion that looks for its place.
        if !list.push(slot) {
            list.insert(slot);
        }
    }
}

fn unpost(postings: &mut HashMap<i32, RoaringBitmap>, codes: Vec<i32>, slot: u32) {
    for code in codes {
        if let Some(list) = postings.get_mut(&code) {
            list.remove(slot);
            if list.is_empty() {
                postings.remove(&code);
            }
        }
    }
}

/// The slots holding every code of these words in `postings`.
fn holding(postings: &HashMap<i32, RoaringBitmap>, words: &[&str]) -> RoaringBitmap {
    let codes: BTreeSet<i32> = words.iter().flat_map(|t| text::term_codes(t)).collect();
    let mut lists = Vec::with_capacity(codes.len());
    for code in codes {
        match postings.get(&code) {
            Some(list) => lists.push(list),
            None => return RoaringBitmap::new(),
        }
    }
    // The shortest list first: every later intersection is at most that long.
    lists.sort_by_key(|l| l.len());
    let Some((first, rest)) = lists.split_first() else {
        return RoaringBitmap::new();
    };
    let mut found = (*first).clone();
    for list in rest {
        found &= *list;
    }
    found
}

impl Index {
    /// How many entries it holds.
    pub fn count(&self) -> usize {
        self.slot_of.len()
    }

    /// Add an entry, or replace the one with its id.
    pub fn upsert(&mut self, row: EntryRow) {
        self.remove(row.id);
        let slot = self.place(row);
        let e = self.entry(slot);
        let (grams, title_grams) = (e.grams(), e.title_grams());
        post(&mut self.postings, grams, slot);
        post(&mut self.title_postings, title_grams, slot);
    }

    /// Keep an entry in a free slot; its posting lists are the caller's.
    fn place(&mut self, row: EntryRow) -> u32 {
        let vendor = self.vendors.take(Vendor {
            id: row.vendor_id,
            name: row.vendor_name,
            kinds: row.certification_kinds,
        });
        let category = self.categories.take(row.category_ids);
        let facts = Facts {
            id: row.id,
            price: row.price,
            popularity: row.popularity,
            published: row.published_at.map(|t| t.timestamp_micros()),
            vendor,
            category,
            title_chars: row.title_folded.chars().count() as u32,
            certified: row.certified,
            in_stock: row.in_stock,
        };
        let entry = Entry {
            title: row.title_folded.into_boxed_str(),
            text: row.text_folded.into_boxed_str(),
            campaigns: row.campaign_ids.into_boxed_slice(),
        };
        let slot = match self.free.pop() {
            Some(slot) => {
                self.facts[slot as usize] = facts;
                slot
            }
            None => {
                self.slots.push(None);
                self.facts.push(facts);
                (self.slots.len() - 1) as u32
            }
        };
        self.live.insert(slot);
        self.slot_of.insert(row.id, slot);
        self.slots[slot as usize] = Some(entry);
        slot
    }

    /// Take an entry out; nothing happens for an id it does not hold.
    pub fn remove(&mut self, id: Uuid) {
        let Some(slot) = self.slot_of.remove(&id) else {
            return;
        };
        let Some(entry) = self.slots[slot as usize].take() else {
            return;
        };
        unpost(&mut self.postings, entry.grams(), slot);
        unpost(&mut self.title_postings, entry.title_grams(), slot);
        self.live.remove(slot);
        self.free.push(slot);
        let facts = self.facts[slot as usize];
        self.vendors.give_back(facts.vendor);
        self.categories.give_back(facts.category);
    }

    fn entry(&self, slot: u32) -> &Entry {
        self.slots[slot as usize]
            .as_ref()
            .expect("a live slot holds an entry")
    }

    fn passes(&self, slot: u32, e: &Facts, f: &Filters) -> bool {
        f.category
            .is_none_or(|c| self.categories.get(e.category).contains(&c))
            && f.vendor.is_none_or(|v| self.vendors.get(e.vendor).id == v)
            && f.certified.is_none_or(|c| e.certified == c)
            && f.min_price.is_none_or(|p| e.price >= p.get())
            && f.max_price.is_none_or(|p| e.price <= p.get())
            && f.campaign
                .is_none_or(|c| self.entry(slot).campaigns.contains(&c))
            && f.in_stock.is_none_or(|s| e.in_stock == s)
    }

    /// The matches of a (normalised) query, its page of ids and its facet groups.
    pub fn search(&self, q: &SearchQuery) -> Found {
        let terms = q.terms();
        let words: Vec<Word<'_>> = terms.iter().map(|t| Word::new(t)).collect();
        let by_relevance = q.sort == Sort::Relevance && !words.is_empty();
        let scan = Scan {
            q,
            candidates: if words.is_empty() {
                self.live.clone()
            } else {
                let all: Vec<&str> = terms.iter().map(String::as_str).collect();
                holding(&self.postings, &all)
            },
            // Per word, the slots whose title holds its grams (exactly the word, for a
            // short one): relevance counts the words in a title, and a word to recheck is
            // looked for in a title only where its grams are.
            in_titles: if by_relevance || words.iter().any(|w| w.recheck) {
                words
                    .iter()
                    .map(|w| holding(&self.title_postings, &[w.text]))
                    .collect()
            } else {
                Vec::new()
            },
            words,
        };
        match q.sort {
            Sort::Relevance if by_relevance => self.scan(&scan, |e, hits| {
                (Reverse(hits), e.title_chars, Reverse(e.popularity), e.id)
            }),
            Sort::Relevance | Sort::Popular => self.scan(&scan, |e, _| {
                (
                    Reverse(e.popularity),
                    newest_first(e.published),
                    Reverse(e.id),
                )
            }),
            Sort::Newest => self.scan(&scan, |e, _| (newest_first(e.published), Reverse(e.id))),
            Sort::PriceAsc => self.scan(&scan, |e, _| (e.price, e.id)),
            Sort::PriceDesc => self.scan(&scan, |e, _| (Reverse(e.price), Reverse(e.id))),
        }
    }

    /// Whether the entry in `slot` holds every word (the posting lists proved the short
    /// ones), and in how many of them its title does.
    fn words_in(&self, s: &Scan<'_>, slot: u32) -> Option<u32> {
        // Without title postings no word is rechecked and relevance is not asked.
        let mut in_title = 0;
        for (w, titles) in s.words.iter().zip(&s.in_titles) {
            let titled = titles.contains(slot) && (!w.recheck || w.is_in(&self.entry(slot).title));
            if titled {
                in_title += 1;
            } else if w.recheck && !w.is_in(&self.entry(slot).text) {
                return None;
            }
        }
        Some(in_title)
    }

    /// One pass over the candidates: each match is rechecked, filtered, counted for the
    /// facets and offered to the page with its sort key (which ends in the id, so the
    /// order is total); only the keys that can still reach the page are kept.
    fn scan<K: Ord>(&self, s: &Scan<'_>, key: impl Fn(&Facts, u32) -> K) -> Found {
        let facets = !s.q.facets.is_empty();
        let mut counts = Counts {
            categories: vec![0; if facets { self.categories.len() } else { 0 }],
            vendors: vec![[0; 2]; if facets { self.vendors.len() } else { 0 }],
            buckets: [0; PriceBucket::ALL.len()],
        };
        let mut best = Best::new(s.q.offset.saturating_add(s.q.limit + 1));
        let mut total = 0;
        for slot in &s.candidates {
            let Some(in_title) = self.words_in(s, slot) else {
                continue;
            };
            let e = &self.facts[slot as usize];
            if !self.passes(slot, e, &s.q.filters) {
                continue;
            }
            total += 1;
            if facets {
                counts.categories[e.category as usize] += 1;
                counts.vendors[e.vendor as usize][usize::from(e.certified)] += 1;
                counts.buckets[bucket_of(e.price)] += 1;
            }
            best.offer(key(e, in_title), slot);
        }
        Found {
            page: best
                .from(s.q.offset)
                .map(|slot| self.facts[slot as usize].id)
                .collect(),
            total,
            groups: if facets {
                self.groups(counts)
            } else {
                Vec::new()
            },
        }
    }

    /// Facet groups as the SQL's `GROUPING SETS` gives them: per category (with its path),
    /// per vendor and certification, per price bucket.
    fn groups(&self, counts: Counts) -> Vec<FacetRow> {
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
        for (c, n) in counts.categories.into_iter().enumerate() {
            if n > 0 {
                rows.push(FacetRow {
                    category_ids: Some(self.categories.get(c as u32).clone()),
                    n,
                    ..empty.clone()
                });
            }
        }
        for (v, by_certified) in counts.vendors.into_iter().enumerate() {
            for (certified, n) in [(false, by_certified[0]), (true, by_certified[1])] {
                if n == 0 {
                    continue;
                }
                let vendor = self.vendors.get(v as u32);
                rows.push(FacetRow {
                    vendor_id: Some(vendor.id),
                    vendor_name: Some(vendor.name.clone()),
                    certified: Some(certified),
                    certification_kinds: Some(vendor.kinds.clone()),
                    n,
                    ..empty.clone()
                });
            }
        }
        for (b, n) in PriceBucket::ALL.into_iter().zip(counts.buckets) {
            if n > 0 {
                rows.push(FacetRow {
                    bucket: Some(b.key().to_owned()),
                    n,
                    ..empty.clone()
                });
            }
        }
        rows
    }

    /// Titles holding every word, those starting with the words first, then the most
    /// popular, the shorter, by id: the ids of at most `limit` of them.
    pub fn suggest(&self, terms: &[String], limit: usize) -> Vec<Uuid> {
        let starts = terms.join(" ");
        let words: Vec<Word<'_>> = terms.iter().map(|t| Word::new(t)).collect();
        let all: Vec<&str> = terms.iter().map(String::as_str).collect();
        let mut best = Best::new(limit.clamp(1, MAX_SUGGESTIONS));
        for slot in &holding(&self.title_postings, &all) {
            let title = &self.entry(slot).title;
            if !words.iter().all(|w| !w.recheck || w.is_in(title)) {
                continue;
            }
            let e = &self.facts[slot as usize];
            let key = (
                !title.starts_with(&starts),
                Reverse(e.popularity),
                e.title_chars,
                e.id,
            );
            best.offer(key, slot);
        }
        best.from(0)
            .map(|slot| self.facts[slot as usize].id)
            .collect()
    }
}

/// The `n` least keys offered, in a max-heap: a scan keeps what can still reach the page,
/// not a key for every match (whose vector and partial sort cost time, and memory that
/// stayed with the allocator, in proportion to the matches).
struct Best<K> {
    n: usize,
    heap: BinaryHeap<(K, u32)>,
}

impl<K: Ord> Best<K> {
    fn new(n: usize) -> Best<K> {
        Best {
            n,
            heap: BinaryHeap::with_capacity(n.min(1024)),
        }
    }

    fn offer(&mut self, key: K, slot: u32) {
        if self.heap.len() < self.n {
            self.heap.push((key, slot));
        } else if let Some(mut worst) = self.heap.peek_mut()
            && key < worst.0
        {
            *worst = (key, slot);
        }
    }

    /// The slots kept, in order, from the `offset`-th on.
    fn from(self, offset: usize) -> impl Iterator<Item = u32> {
        self.heap
            .into_sorted_vec()
            .into_iter()
            .skip(offset)
            .map(|(_, slot)| slot)
    }
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
        assert_eq!((index.vendors.in_use(), index.categories.in_use()), (0, 0));
        assert!(index.title_postings.is_empty());
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
