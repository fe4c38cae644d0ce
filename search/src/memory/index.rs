//! The entries of `search.entries` held in memory with what their documents show in a
//! hit, and a posting list (a roaring bitmap of slots) per gram code: what a search
//! matches, filters, orders, counts and shows, answered without visiting a row in
//! Postgres. Pure data, no I/O: [`super::MemoryBackend`] fills it.
//!
//! It answers exactly as the SQL of [`crate::postgres`] does (the behaviour and
//! comparison suites run both): a document holds a word when it holds every code of the
//! word's grams, and a word of three or more characters is rechecked as a substring of
//! the case-folded title or text; orders and facet groups are those of the statements.

use crate::backend::MAX_SUGGESTIONS;
use crate::postgres::{FacetRow, SuggestRow};
use crate::query::{Filters, PriceBucket, SearchQuery, Sort, StoredHit};
use crate::text;
use chrono::{DateTime, Utc};
use memchr::memmem::Finder;
use roaring::RoaringBitmap;
use sea_orm::FromQueryResult;
use std::cmp::Reverse;
use std::collections::{BTreeSet, BinaryHeap, HashMap};
use uuid::Uuid;

/// One row of `search.entries` with what its document shows in a hit, as a full load or a
/// change reads it.
#[derive(Debug, Clone, FromQueryResult)]
pub struct EntryRow {
    pub id: Uuid,
    pub title: String,
    pub description: String,
    pub tags: Vec<String>,
    pub image: Option<String>,
    pub category_id: Uuid,
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

/// The folded texts of every slot in one buffer, in slot order after a load: a scan that
/// rechecks thousands of matches reads them front to back instead of following a pointer
/// per match to its own allocation.
#[derive(Default)]
struct Texts {
    bytes: String,
    /// By slot: where its text starts in `bytes`, and its length.
    at: Vec<(usize, u32)>,
    /// Bytes of texts taken out or replaced, reclaimed by [`Texts::compact`].
    garbage: usize,
}

impl Texts {
    fn put(&mut self, slot: u32, text: &str) {
        let at = (self.bytes.len(), text.len() as u32);
        self.bytes.push_str(text);
        match self.at.get_mut(slot as usize) {
            Some(place) => *place = at,
            None => self.at.push(at),
        }
    }

    fn get(&self, slot: u32) -> &str {
        let (start, len) = self.at[slot as usize];
        &self.bytes[start..start + len as usize]
    }

    fn take_out(&mut self, slot: u32) {
        self.garbage += self.at[slot as usize].1 as usize;
        self.at[slot as usize] = (0, 0);
    }

    fn shrink(&mut self) {
        self.bytes.shrink_to_fit();
        self.at.shrink_to_fit();
    }

    /// Copy the live texts into a new buffer, in slot order, once more than half of the
    /// buffer is texts taken out: the buffer stays within twice what it holds.
    fn compact(&mut self) {
        if self.garbage < 4096 || self.garbage * 2 < self.bytes.len() {
            return;
        }
        let mut bytes = String::with_capacity(self.bytes.len() - self.garbage);
        for at in &mut self.at {
            let (start, len) = *at;
            *at = (bytes.len(), len);
            bytes.push_str(&self.bytes[start..start + len as usize]);
        }
        self.bytes = bytes;
        self.garbage = 0;
    }
}

/// What a scan reads for every match, kept small and by slot (16 bytes, a hundred
/// thousand slots in 1.6 MB): the facet counts, and the part of the relevance key that
/// turns most matches away from a full page without reading their [`Facts`].
#[derive(Debug, Clone, Copy, Default)]
struct Cell {
    vendor: u32,
    /// The category's path.
    category: u32,
    title_chars: u32,
    /// The place of the price's bucket in [`PriceBucket::ALL`].
    bucket: u8,
    certified: bool,
    has_image: bool,
}

/// A live slot's campaigns, and what its hit shows that cannot be read back from the
/// folded texts and the facts: nothing, for the usual entry, whose title, tags and
/// description are as they are folded and whose category ends its path.
#[derive(Debug)]
struct Slot {
    campaigns: Box<[Uuid]>,
    originals: Option<Box<Originals>>,
}

#[derive(Debug, Default, PartialEq)]
struct Originals {
    title: Option<Box<str>>,
    description: Option<Box<str>>,
    tags: Option<Box<[String]>>,
    category: Option<Uuid>,
}

/// The tags line and the description in an entry's folded text: its first line is the
/// tags joined by spaces, the rest the description.
fn shown_text(text: &str) -> (&str, &str) {
    text.split_once('\n').unwrap_or((text, ""))
}

/// The tags a tags line reads back as: none for an empty line.
fn tags_in(line: &str) -> impl Iterator<Item = &str> {
    line.split(' ').filter(move |_| !line.is_empty())
}

/// The tags of a tags line.
fn tags_of(line: &str) -> Vec<String> {
    tags_in(line).map(str::to_owned).collect()
}

/// The rest of what a match is filtered and ordered by, kept by slot apart from the
/// texts: read for a match that passes the [`Cell`]'s tests, or for every match of a
/// filtered search.
#[derive(Debug, Clone, Copy)]
struct Facts {
    id: Uuid,
    price: i64,
    popularity: i64,
    /// Microseconds since the epoch, as Postgres keeps a `timestamptz`.
    published: Option<i64>,
    in_stock: bool,
}

/// Candidates a scan takes at a time: [`Index::touch`] reads their memory ahead.
const BATCH: usize = 32;

/// A set of slots as plain bits: a scan asks it once per match, where a roaring bitmap's
/// lookup (a binary search through an array container) cost a tenth of a search.
struct Bits(Vec<u64>);

impl Bits {
    fn of(set: &RoaringBitmap, slots: usize) -> Bits {
        let mut words = vec![0u64; slots.div_ceil(64)];
        for slot in set {
            words[slot as usize / 64] |= 1 << (slot % 64);
        }
        Bits(words)
    }

    fn contains(&self, slot: u32) -> bool {
        self.0
            .get(slot as usize / 64)
            .is_some_and(|w| (w >> (slot % 64)) & 1 == 1)
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
    in_titles: Vec<Bits>,
    /// Whether a word is looked for in titles (the scan then touches them ahead).
    rechecks: bool,
}

/// Facet counts of one search, by registry number and price bucket.
struct Counts {
    categories: Vec<i64>,
    /// Per vendor: without and with a valid certification.
    vendors: Vec<[i64; 2]>,
    buckets: [i64; PriceBucket::ALL.len()],
}

/// The place of a price's bucket in [`PriceBucket::ALL`].
fn bucket_of(price: i64) -> u8 {
    let bucket = PriceBucket::of(platform::money::Won(price));
    PriceBucket::ALL
        .iter()
        .position(|b| *b == bucket)
        .unwrap_or_default() as u8
}

/// What a search found: the hits of the page (one more than asked when more follow),
/// the number of matches, and the facet groups when facets were asked for.
#[derive(Debug, Default)]
pub struct Found {
    pub page: Vec<StoredHit>,
    pub total: u64,
    pub groups: Vec<FacetRow>,
}

#[derive(Default)]
pub struct Index {
    /// By slot, its entry's campaigns and originals, or `None` for a free slot.
    slots: Vec<Option<Slot>>,
    /// By slot, beside `slots` (a free slot keeps its last entry's, unread).
    cells: Vec<Cell>,
    facts: Vec<Facts>,
    /// Folded titles, and tags and descriptions (one per line), by slot: rechecks only.
    titles: Texts,
    texts: Texts,
    /// Image addresses by slot, for hits.
    images: Texts,
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

    /// Give back what growing while loading left unused: the buffers double as they grow,
    /// and a hundred thousand entries' texts left up to half of each unused.
    pub fn shrink(&mut self) {
        for texts in [&mut self.titles, &mut self.texts, &mut self.images] {
            texts.shrink();
        }
        self.slots.shrink_to_fit();
        self.cells.shrink_to_fit();
        self.facts.shrink_to_fit();
    }

    /// Add an entry, or replace the one with its id.
    pub fn upsert(&mut self, row: EntryRow) {
        self.remove(row.id);
        let slot = self.place(row);
        let (grams, title_grams) = (self.grams(slot), self.title_grams(slot));
        post(&mut self.postings, grams, slot);
        post(&mut self.title_postings, title_grams, slot);
    }

    /// The codes of a slot's title grams: relevance and suggestions.
    fn title_grams(&self, slot: u32) -> Vec<i32> {
        text::gram_codes([self.titles.get(slot)])
    }

    /// The codes of a slot's grams, computed from the folded texts it keeps: the same
    /// codes when it is added and when it is taken out again.
    fn grams(&self, slot: u32) -> Vec<i32> {
        text::gram_codes([self.titles.get(slot), self.texts.get(slot)])
    }

    /// Keep an entry in a free slot; its posting lists are the caller's.
    fn place(&mut self, row: EntryRow) -> u32 {
        let vendor = self.vendors.take(Vendor {
            id: row.vendor_id,
            name: row.vendor_name,
            kinds: row.certification_kinds,
        });
        let category = self.categories.take(row.category_ids);
        let cell = Cell {
            vendor,
            category,
            title_chars: row.title_folded.chars().count() as u32,
            bucket: bucket_of(row.price),
            certified: row.certified,
            has_image: row.image.is_some(),
        };
        let facts = Facts {
            id: row.id,
            price: row.price,
            popularity: row.popularity,
            published: row.published_at.map(|t| t.timestamp_micros()),
            in_stock: row.in_stock,
        };
        let slot = match self.free.pop() {
            Some(slot) => {
                self.cells[slot as usize] = cell;
                self.facts[slot as usize] = facts;
                slot
            }
            None => {
                self.slots.push(None);
                self.cells.push(cell);
                self.facts.push(facts);
                (self.slots.len() - 1) as u32
            }
        };
        let (tags, description) = shown_text(&row.text_folded);
        let originals = Originals {
            title: (row.title != row.title_folded).then(|| row.title.into_boxed_str()),
            // Compared without building a vector: a load compares a hundred thousand.
            tags: (!tags_in(tags).eq(row.tags.iter().map(String::as_str)))
                .then(|| row.tags.into_boxed_slice()),
            description: (description != row.description).then(|| row.description.into_boxed_str()),
            category: (self.categories.get(category).last() != Some(&row.category_id))
                .then_some(row.category_id),
        };
        self.titles.put(slot, &row.title_folded);
        self.texts.put(slot, &row.text_folded);
        self.images
            .put(slot, row.image.as_deref().unwrap_or_default());
        self.live.insert(slot);
        self.slot_of.insert(row.id, slot);
        self.slots[slot as usize] = Some(Slot {
            campaigns: row.campaign_ids.into_boxed_slice(),
            originals: (originals != Originals::default()).then(|| Box::new(originals)),
        });
        slot
    }

    /// Take an entry out; nothing happens for an id it does not hold.
    pub fn remove(&mut self, id: Uuid) {
        let Some(slot) = self.slot_of.remove(&id) else {
            return;
        };
        if self.slots[slot as usize].take().is_none() {
            return;
        }
        let (grams, title_grams) = (self.grams(slot), self.title_grams(slot));
        unpost(&mut self.postings, grams, slot);
        unpost(&mut self.title_postings, title_grams, slot);
        for texts in [&mut self.titles, &mut self.texts, &mut self.images] {
            texts.take_out(slot);
            texts.compact();
        }
        self.live.remove(slot);
        self.free.push(slot);
        let cell = self.cells[slot as usize];
        self.vendors.give_back(cell.vendor);
        self.categories.give_back(cell.category);
    }

    fn slot(&self, slot: u32) -> &Slot {
        self.slots[slot as usize]
            .as_ref()
            .expect("a live slot holds an entry")
    }

    fn originals(&self, slot: u32) -> Option<&Originals> {
        self.slot(slot).originals.as_deref()
    }

    /// A live slot's title as its document holds it.
    fn shown_title(&self, slot: u32) -> &str {
        self.originals(slot)
            .and_then(|o| o.title.as_deref())
            .unwrap_or(self.titles.get(slot))
    }

    /// The hit of a live slot, as its document in `search.documents` holds it.
    fn stored_hit(&self, slot: u32) -> StoredHit {
        let (c, e) = (&self.cells[slot as usize], &self.facts[slot as usize]);
        let originals = self.originals(slot);
        let (tags, description) = shown_text(self.texts.get(slot));
        let vendor = self.vendors.get(c.vendor);
        StoredHit {
            id: e.id,
            title: self.shown_title(slot).to_owned(),
            description: originals
                .and_then(|o| o.description.as_deref())
                .unwrap_or(description)
                .to_owned(),
            price: e.price,
            vendor_id: vendor.id,
            vendor_name: vendor.name.clone(),
            category_id: originals
                .and_then(|o| o.category)
                .or_else(|| self.categories.get(c.category).last().copied())
                .unwrap_or_default(),
            tags: match originals.and_then(|o| o.tags.as_deref()) {
                Some(original) => original.to_vec(),
                None => tags_of(tags),
            },
            certified: c.certified,
            in_stock: e.in_stock,
            image: c.has_image.then(|| self.images.get(slot).to_owned()),
            published_at: e.published.and_then(DateTime::from_timestamp_micros),
        }
    }

    fn passes(&self, slot: u32, c: &Cell, e: &Facts, f: &Filters) -> bool {
        f.category
            .is_none_or(|id| self.categories.get(c.category).contains(&id))
            && f.vendor.is_none_or(|v| self.vendors.get(c.vendor).id == v)
            && f.certified.is_none_or(|cert| c.certified == cert)
            && f.min_price.is_none_or(|p| e.price >= p.get())
            && f.max_price.is_none_or(|p| e.price <= p.get())
            && f.campaign
                .is_none_or(|id| self.slot(slot).campaigns.contains(&id))
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
                    .map(|w| Bits::of(&holding(&self.title_postings, &[w.text]), self.slots.len()))
                    .collect()
            } else {
                Vec::new()
            },
            rechecks: words.iter().any(|w| w.recheck),
            words,
        };
        // Each order is a key whose first part the match's cell gives: a match whose first
        // part is already worse than the page's worst is passed over without its facts.
        match q.sort {
            Sort::Relevance if by_relevance => self.scan(
                &scan,
                |c, hits| (Reverse(hits), c.title_chars),
                |e| (Reverse(e.popularity), e.id),
            ),
            Sort::Relevance | Sort::Popular => self.scan(
                &scan,
                |_, _| (),
                |e| {
                    (
                        Reverse(e.popularity),
                        newest_first(e.published),
                        Reverse(e.id),
                    )
                },
            ),
            Sort::Newest => self.scan(
                &scan,
                |_, _| (),
                |e| (newest_first(e.published), Reverse(e.id)),
            ),
            Sort::PriceAsc => self.scan(&scan, |_, _| (), |e| (e.price, e.id)),
            Sort::PriceDesc => self.scan(&scan, |_, _| (), |e| (Reverse(e.price), Reverse(e.id))),
        }
    }

    /// Whether the entry in `slot` holds every word (the posting lists proved the short
    /// ones), and in how many of them its title does.
    fn words_in(&self, s: &Scan<'_>, slot: u32) -> Option<u32> {
        // Without title postings no word is rechecked and relevance is not asked.
        let mut in_title = 0;
        for (w, titles) in s.words.iter().zip(&s.in_titles) {
            let titled = titles.contains(slot) && (!w.recheck || w.is_in(self.titles.get(slot)));
            if titled {
                in_title += 1;
            } else if w.recheck && !w.is_in(self.texts.get(slot)) {
                return None;
            }
        }
        Some(in_title)
    }

    /// Read, and throw away, the memory the scan is about to need for these slots: their
    /// cells and, when a word is rechecked, where their titles are and the titles' first
    /// bytes. Each pass's loads do not depend on one another, so the processor waits for
    /// them together instead of one match at a time; the matches are a sparse walk over
    /// a hundred thousand slots, and waiting for memory was most of a scan's time.
    fn touch(&self, slots: &[u32], titles: bool) {
        let mut sum = 0usize;
        for &slot in slots {
            sum = sum.wrapping_add(self.cells[slot as usize].vendor as usize);
        }
        if titles {
            for &slot in slots {
                sum = sum.wrapping_add(self.titles.at[slot as usize].0);
            }
            let bytes = self.titles.bytes.as_bytes();
            for &slot in slots {
                let start = self.titles.at[slot as usize].0;
                sum = sum.wrapping_add(usize::from(bytes.get(start).copied().unwrap_or(0)));
            }
        }
        std::hint::black_box(sum);
    }

    /// One pass over the candidates: each match is rechecked, filtered, counted for the
    /// facets and offered to the page with its sort key (`first` from its cell, then `rest`
    /// from its facts, which ends in the id, so the order is total); only the keys that
    /// can still reach the page are kept.
    fn scan<P: Ord, R: Ord>(
        &self,
        s: &Scan<'_>,
        first: impl Fn(&Cell, u32) -> P,
        rest: impl Fn(&Facts) -> R,
    ) -> Found {
        let facets = !s.q.facets.is_empty();
        let filtered = s.q.filters != Filters::default();
        let mut counts = Counts {
            categories: vec![0; if facets { self.categories.len() } else { 0 }],
            vendors: vec![[0; 2]; if facets { self.vendors.len() } else { 0 }],
            buckets: [0; PriceBucket::ALL.len()],
        };
        let mut best = Best::new(s.q.offset.saturating_add(s.q.limit + 1));
        let mut total = 0;
        let mut batch = [0u32; BATCH];
        let mut candidates = s.candidates.iter();
        loop {
            let mut n = 0;
            for (place, slot) in batch.iter_mut().zip(candidates.by_ref()) {
                *place = slot;
                n += 1;
            }
            if n == 0 {
                break;
            }
            self.touch(&batch[..n], s.rechecks);
            for &slot in &batch[..n] {
                let Some(in_title) = self.words_in(s, slot) else {
                    continue;
                };
                let c = &self.cells[slot as usize];
                if filtered && !self.passes(slot, c, &self.facts[slot as usize], &s.q.filters) {
                    continue;
                }
                total += 1;
                if facets {
                    counts.categories[c.category as usize] += 1;
                    counts.vendors[c.vendor as usize][usize::from(c.certified)] += 1;
                    counts.buckets[usize::from(c.bucket)] += 1;
                }
                best.offer(
                    first(c, in_title),
                    || rest(&self.facts[slot as usize]),
                    slot,
                );
            }
        }
        Found {
            page: best
                .from(s.q.offset)
                .map(|slot| self.stored_hit(slot))
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
    /// popular, the shorter, by id: at most `limit` of them, with their titles.
    pub fn suggest(&self, terms: &[String], limit: usize) -> Vec<SuggestRow> {
        let starts = terms.join(" ");
        let words: Vec<Word<'_>> = terms.iter().map(|t| Word::new(t)).collect();
        let all: Vec<&str> = terms.iter().map(String::as_str).collect();
        let mut best = Best::new(limit.clamp(1, MAX_SUGGESTIONS));
        for slot in &holding(&self.title_postings, &all) {
            let title = self.titles.get(slot);
            if !words.iter().all(|w| !w.recheck || w.is_in(title)) {
                continue;
            }
            let e = &self.facts[slot as usize];
            let key = (
                !title.starts_with(&starts),
                Reverse(e.popularity),
                self.cells[slot as usize].title_chars,
                e.id,
            );
            best.offer(key, || (), slot);
        }
        best.from(0)
            .map(|slot| SuggestRow {
                id: self.facts[slot as usize].id,
                title: self.shown_title(slot).to_owned(),
            })
            .collect()
    }
}

/// The `n` least keys offered, in a max-heap: a scan keeps what can still reach the page,
/// not a key for every match (whose vector and partial sort cost time, and memory that
/// stayed with the allocator, in proportion to the matches).
struct Best<P, R> {
    n: usize,
    heap: BinaryHeap<((P, R), u32)>,
}

impl<P: Ord, R: Ord> Best<P, R> {
    fn new(n: usize) -> Best<P, R> {
        Best {
            n,
            heap: BinaryHeap::with_capacity(n.min(1024)),
        }
    }

    /// Offer the key `(first, rest())`: `rest` is asked only when `first` alone does not
    /// already put the key behind every key kept.
    fn offer(&mut self, first: P, rest: impl FnOnce() -> R, slot: u32) {
        if self.heap.len() < self.n {
            self.heap.push(((first, rest()), slot));
        } else if let Some(mut worst) = self.heap.peek_mut()
            && first <= worst.0.0
        {
            let key = (first, rest());
            if key < worst.0 {
                *worst = (key, slot);
            }
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
            title: title.into(),
            description: String::new(),
            tags: vec![],
            image: None,
            category_id: Uuid::nil(),
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

    fn hits(index: &Index, text: &str, sort: Sort) -> Vec<StoredHit> {
        let q = SearchQuery {
            sort,
            ..SearchQuery::text(text)
        };
        index.search(&q.normalized().unwrap()).page
    }

    fn ids(index: &Index, text: &str, sort: Sort) -> Vec<Uuid> {
        hits(index, text, sort).iter().map(|h| h.id).collect()
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
    fn texts_replaced_many_times_stay_readable_and_their_space_is_reclaimed() {
        let mut index = Index::default();
        let long = "강화 순무 ".repeat(300);
        let mut rows: Vec<EntryRow> = (0..40)
            .map(|i| EntryRow {
                text_folded: format!("{long}{i}"),
                ..row("꿀", i)
            })
            .collect();
        for round in 0..12 {
            for r in &mut rows[round..] {
                r.title_folded = format!("꿀 {round}");
                index.upsert(r.clone());
            }
            index.remove(rows[round].id);
        }
        let live: usize = rows[12..].iter().map(|r| r.text_folded.len()).sum();
        for r in &rows[12..] {
            let slot = index.slot_of[&r.id];
            assert_eq!(index.titles.get(slot), "꿀 11");
            assert_eq!(index.texts.get(slot), r.text_folded);
        }
        let bytes = index.texts.bytes.len();
        assert!(bytes <= 2 * live + 4096, "{bytes} bytes held for {live}");
        assert_eq!(ids(&index, "꿀", Sort::PriceAsc).len(), 21);
    }

    #[test]
    fn hits_read_back_as_their_documents_hold_them() {
        let mut index = Index::default();
        let plain = EntryRow {
            tags: vec!["강화".into(), "순무".into()],
            description: "강화에서 만든 순무김치".into(),
            text_folded: "강화 순무\n강화에서 만든 순무김치".into(),
            image: Some("https://img.jikgu.kr/a.jpg".into()),
            category_ids: vec![Uuid::from_u128(1), Uuid::from_u128(2)],
            category_id: Uuid::from_u128(2),
            published_at: DateTime::from_timestamp_micros(1_764_000_000_123_456),
            ..row("순무김치 1kg", 9_000)
        };
        // Folding changes its title, tags and description, and its category is not the
        // last of its path: each is kept as it was.
        let (title, tags, description) = ("순무김치 1KG", vec!["Kimchi Box".to_owned()], "A\nB");
        let odd = EntryRow {
            title: title.into(),
            tags: tags.clone(),
            description: description.into(),
            text_folded: text::folded(&format!("{}\n{description}", tags.join(" "))),
            category_id: Uuid::from_u128(7),
            ..row(title, 8_000)
        };
        for r in [&plain, &odd] {
            index.upsert(r.clone());
        }
        let found = hits(&index, "순무김치", Sort::PriceAsc);
        let want = |r: &EntryRow| StoredHit {
            id: r.id,
            title: r.title.clone(),
            description: r.description.clone(),
            price: r.price,
            vendor_id: r.vendor_id,
            vendor_name: r.vendor_name.clone(),
            category_id: r.category_id,
            tags: r.tags.clone(),
            certified: r.certified,
            in_stock: r.in_stock,
            image: r.image.clone(),
            published_at: r.published_at,
        };
        assert_eq!(found, [want(&odd), want(&plain)]);
        assert!(index.slot(index.slot_of[&plain.id]).originals.is_none());
    }

    #[test]
    fn tags_read_back_exactly_even_none_or_an_empty_one() {
        let mut index = Index::default();
        let cases = [
            vec![],
            vec![String::new()],
            vec!["꿀".to_owned(), "벌집".to_owned()],
        ];
        for (i, tags) in cases.iter().enumerate() {
            index.upsert(EntryRow {
                text_folded: tags.join(" "),
                tags: tags.clone(),
                ..row("꿀", i as i64)
            });
        }
        let tags: Vec<Vec<String>> = hits(&index, "꿀", Sort::PriceAsc)
            .into_iter()
            .map(|h| h.tags)
            .collect();
        assert_eq!(tags, cases);
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
        let page: Vec<Uuid> = found.page.iter().map(|h| h.id).collect();
        assert_eq!(page, want);
        assert_eq!(found.total, 50);
    }
}
