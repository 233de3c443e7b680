//! A linear memory for native tests: a page filled with one byte costs nothing, so a test can
//! reach 4 GiB of address space while materialising a few pages.

use std::boxed::Box;
use std::ops::Range;
use std::vec::Vec;

use crate::memory::{LinearMemory, MEMORY_LIMIT, PAGE};

/// A page's contents.
enum Page {
    /// Every byte is this one (fresh pages are `Uniform(0)`).
    Uniform(u8),
    Bytes(Box<[u8]>),
}

pub struct FakeMemory {
    /// One entry per page of the current size.
    pages: Vec<Page>,
    max_pages: u64,
    heap_base: u64,
    heap_end: u64,
    /// Every `zero` call, in order.
    pub zeroed: Vec<Range<u64>>,
    /// How many times `grow` succeeded.
    pub grows: usize,
}

impl FakeMemory {
    /// A module whose heap starts at `heap_base` with `initial_pages` of memory, growable to
    /// `max_pages`.
    pub fn new(heap_base: u64, initial_pages: u64, max_pages: u64) -> Self {
        assert!(heap_base <= initial_pages * PAGE && initial_pages <= max_pages);
        assert!(max_pages * PAGE <= MEMORY_LIMIT);
        let mut pages = Vec::new();
        pages.resize_with(initial_pages as usize, || Page::Uniform(0));
        let heap_end = initial_pages * PAGE;
        Self {
            pages,
            max_pages,
            heap_base,
            heap_end,
            zeroed: Vec::new(),
            grows: 0,
        }
    }

    pub fn size(&self) -> u64 {
        self.pages.len() as u64 * PAGE
    }

    pub fn set_max_pages(&mut self, max_pages: u64) {
        self.max_pages = max_pages;
    }

    /// Someone else (dlmalloc, the host) grows memory and writes `byte` all over the new pages.
    pub fn grow_foreign(&mut self, pages: u64, byte: u8) -> Range<u64> {
        let start = self.size();
        self.pages
            .resize_with((self.pages.len() as u64 + pages) as usize, || {
                Page::Uniform(0)
            });
        self.fill(start..self.size(), byte);
        start..self.size()
    }

    /// Writes `byte` over `range`, as a user of the memory would.
    pub fn fill(&mut self, range: Range<u64>, byte: u8) {
        assert!(
            range.end <= self.size(),
            "write past the end of memory: {range:?}"
        );
        for (page, span) in spans(range) {
            match &mut self.pages[page] {
                whole if span.len() == PAGE as usize => *whole = Page::Uniform(byte),
                Page::Bytes(bytes) => bytes[span].fill(byte),
                Page::Uniform(old) => {
                    let mut bytes = std::vec![*old; PAGE as usize].into_boxed_slice();
                    bytes[span].fill(byte);
                    self.pages[page] = Page::Bytes(bytes);
                }
            }
        }
    }

    /// Whether every byte of `range` equals `byte`.
    pub fn all(&self, range: Range<u64>, byte: u8) -> bool {
        assert!(
            range.end <= self.size(),
            "read past the end of memory: {range:?}"
        );
        spans(range).all(|(page, span)| match &self.pages[page] {
            Page::Bytes(bytes) => bytes[span].iter().all(|&b| b == byte),
            Page::Uniform(uniform) => *uniform == byte,
        })
    }
}

/// `range` cut at page boundaries: (page index, byte span within the page).
fn spans(range: Range<u64>) -> impl Iterator<Item = (usize, Range<usize>)> {
    let mut at = range.start;
    std::iter::from_fn(move || {
        if at >= range.end {
            return None;
        }
        let page = at / PAGE;
        let end = range.end.min((page + 1) * PAGE);
        let span = (at % PAGE) as usize..(end - page * PAGE) as usize;
        at = end;
        Some((page as usize, span))
    })
}

impl LinearMemory for FakeMemory {
    fn heap_base(&self) -> u64 {
        self.heap_base
    }

    fn heap_end(&self) -> u64 {
        self.heap_end
    }

    fn pages(&self) -> u64 {
        self.pages.len() as u64
    }

    fn grow(&mut self, delta: u32) -> Option<u64> {
        let previous = self.pages();
        let new = previous
            .checked_add(delta.into())
            .filter(|&pages| pages <= self.max_pages)?;
        self.pages.resize_with(new as usize, || Page::Uniform(0));
        self.grows += 1;
        Some(previous)
    }

    unsafe fn zero(&mut self, addr: u64, len: u64) {
        let range = addr..addr + len;
        assert!(!range.is_empty(), "zeroing nothing at {addr:#x}");
        self.fill(range.clone(), 0);
        self.zeroed.push(range);
    }
}
