//! Link settings of the artifact.

fn main() {
    // The search never touches the shadow stack, so 4 KiB is ample instead of rustc's 1 MiB: the
    // module then starts with one page of memory instead of seventeen, and its statics sit low
    // enough for two-byte addresses. The stack comes first in memory, so an overflow would trap
    // below address 0 rather than overwrite the statics.
    println!("cargo::rustc-link-arg-cdylib=-zstack-size=4096");
}
