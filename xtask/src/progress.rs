//! The section headers long tasks print, so a failure's output says which step it belongs to.

pub fn step(title: &str) {
    eprintln!("\n==> {title}");
}
