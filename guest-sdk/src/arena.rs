//! The guest's arena: the one [`Arena`] over the module's own memory, behind the
//! `bump_alloc`/`bump_reset` exports and the guest-side [`Scope`] API.
//!
//! The host allocates input with `bump_alloc`, calls the guest, and calls `bump_reset` when done.
//! Inside a call, the guest takes typed, zeroed scratch memory from a [`Scope`], which wipes and
//! rewinds it when its closure returns, so nothing the guest computed outlives the call.

use core::cell::UnsafeCell;
use core::marker::PhantomData;
use core::mem::{align_of, size_of};

use crate::bump::Arena;
use crate::memory::Wasm32;
use crate::Pod;

struct State {
    arena: Arena<Wasm32>,
    /// How many scopes are open; the innermost one, and only it, may allocate.
    scopes: u32,
}

struct Global(UnsafeCell<State>);

// SAFETY: a wasm32 module without the `atomics` feature (lib.rs refuses it) runs on one thread,
// so the state is never touched from two threads.
unsafe impl Sync for Global {}

static STATE: Global = Global(UnsafeCell::new(State {
    arena: Arena::new(Wasm32),
    scopes: 0,
}));

/// The arena's state.
///
/// # Safety
///
/// No other reference to the state may be live. Each caller takes one for a few lines that call
/// no other function of this module, on the only thread.
#[inline(always)]
unsafe fn state() -> &'static mut State {
    // SAFETY: exclusivity is the caller's promise.
    unsafe { &mut *STATE.0.get() }
}

/// `bump_alloc`: `size` zeroed bytes at a 16-aligned address, or 0 when the request can't be met
/// (memory can't grow that far). `alloc(0)` is a valid non-null address.
pub fn alloc(size: u32) -> u32 {
    // SAFETY: the only reference, for this line.
    unsafe { state() }.arena.alloc(size)
}

/// Whether the arena lent every byte of `bytes` since the last reset: memory the host may name
/// as an argument, which nothing but the host writes during a call.
#[inline(always)]
pub fn handed_out(bytes: core::ops::Range<u64>) -> bool {
    // SAFETY: the only reference, for this line.
    unsafe { state() }.arena.handed_out(bytes)
}

/// [`handed_out`] for the bytes `first..=last` (`first <= last`).
#[inline(always)]
pub fn lent(first: u32, last: u32) -> bool {
    // SAFETY: the only reference, for this line.
    unsafe { state() }.arena.lent(first, last)
}

/// `bump_reset`: zeroes every byte handed out since the last reset, then rewinds.
///
/// # Safety
///
/// No reference into arena memory may be live: in particular, no [`Scope`] is open. The host
/// calls it between guest calls, which is always fine: no scope outlives a call.
pub unsafe fn reset() {
    // SAFETY: the only reference to the state, for this line; the caller holds no reference
    // into the arena.
    unsafe { state().arena.reset() }
}

/// A stretch of arena time: scratch taken from it is zeroed, usable until the scope's closure
/// returns, and then wiped (zeroed) and rewound.
///
/// A scope lives in a closure ([`scope`], [`Scope::nested`]), so it can be neither leaked nor
/// outlived: `'s` is chosen by the callee, and nothing borrowing it escapes. Only the innermost
/// open scope allocates, so a scope never wipes memory that another still lends out.
pub struct Scope<'s> {
    depth: u32,
    _lifetime: PhantomData<&'s ()>,
    _single_threaded: PhantomData<*mut ()>,
}

/// Runs `f` in the outermost scope; `None` (without running `f`) if a scope is already open.
#[inline(always)]
pub fn scope<R>(f: impl for<'s> FnOnce(Scope<'s>) -> R) -> Option<R> {
    run(0, f)
}

/// Runs `f` in a scope nested in the one at `parent_depth`, if that is the innermost one.
#[inline(always)]
fn run<R>(parent_depth: u32, f: impl for<'s> FnOnce(Scope<'s>) -> R) -> Option<R> {
    let depth = parent_depth + 1;
    let mark = {
        // SAFETY: the only reference to the state, for these lines.
        let state = unsafe { state() };
        if state.scopes != parent_depth {
            return None;
        }
        state.scopes = depth;
        state.arena.mark()
    };
    let result = f(Scope {
        depth,
        _lifetime: PhantomData,
        _single_threaded: PhantomData,
    });
    // SAFETY: the only reference to the state, for these lines (`f` has returned).
    let state = unsafe { state() };
    // SAFETY: every scratch slice since the mark borrowed `'s` of this scope or of one nested in
    // it, and `f`, which those lifetimes can't outlive, has returned.
    unsafe { state.arena.rewind(mark) };
    state.scopes = parent_depth;
    Some(result)
}

impl<'s> Scope<'s> {
    /// Runs `f` in a scope nested in this one; `None` (without running `f`) unless this is the
    /// innermost open scope. This scope's scratch stays usable inside, but it can't allocate
    /// until `f` returns.
    #[inline(always)]
    pub fn nested<R>(&self, f: impl for<'i> FnOnce(Scope<'i>) -> R) -> Option<R> {
        run(self.depth, f)
    }

    /// `count` zeroed `T`s, valid until this scope's closure returns; `None` if the arena can't
    /// provide them or this isn't the innermost open scope.
    #[inline(always)]
    pub fn scratch<T: Pod>(&self, count: usize) -> Option<&'s mut [T]> {
        const { assert!(align_of::<T>() <= crate::bump::ALIGN as usize) };
        let bytes = u32::try_from(count.checked_mul(size_of::<T>())?).ok()?;
        // SAFETY: the only reference to the state, for these lines.
        let state = unsafe { state() };
        if state.scopes != self.depth {
            return None;
        }
        let addr = state.arena.alloc(bytes);
        if addr == 0 {
            return None;
        }
        // SAFETY: the arena just handed out `bytes` bytes at `addr` (16-aligned, enough for `T`),
        // to no one else; they are zero, a valid `[T]` for `T: Pod`; and they stay untouched until
        // this scope's closure returns (`'s`), as only the innermost scope allocates or rewinds.
        Some(unsafe { core::slice::from_raw_parts_mut(addr as usize as *mut T, count) })
    }
}
