/// Why inflating failed.
#[derive(Debug)]
pub enum InflateError {
    /// Not a DEFLATE stream.
    Corrupt,
    /// Longer than `max_size`.
    TooBig,
}
impl ::guest_sdk::abi::GuestError for InflateError {
    fn code(&self) -> u8 {
        match self {
            Self::Corrupt => 0u8,
            Self::TooBig => 1u8,
        }
    }
}
#[cfg(target_arch = "wasm32")]
const _: () = {
    #[unsafe(link_section = "wasmext.interface")]
    static INTERFACE: [u8; 166usize] = *b"{\"name\":\"InflateError\",\"doc\":\"Why inflating failed.\",\"variants\":[{\"name\":\"Corrupt\",\"doc\":\"Not a DEFLATE stream.\"},{\"name\":\"TooBig\",\"doc\":\"Longer than `max_size`.\"}]}\n";
};
