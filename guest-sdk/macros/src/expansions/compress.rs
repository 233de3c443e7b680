/// Deflates `data`.
///
/// At "level" 0..=10.
pub fn compress(data: &[u8], level: u8) -> Result<Vec<u8>, DeflateError> {
    todo!()
}
#[cfg(target_arch = "wasm32")]
const _: () = {
    #[unsafe(export_name = "compress")]
    extern "C" fn __wasmext_export(
        data: u32,
        data_len: u32,
        level: i32,
        __out: u32,
    ) -> i32 {
        ::guest_sdk::abi::status(|| {
            let mut __args = ::guest_sdk::abi::Args::<_, 2usize>::wasm();
            __args.record(__out)?;
            let data = __args.slice::<u8>(0u32, data, data_len)?;
            let level = ::guest_sdk::abi::lift::<u8>(1u32, level)?;
            let data = __args.lend(data)?;
            let result = compress(data, level);
            Ok(__args.finish(result))
        })
    }
    #[unsafe(link_section = "wasmext.interface")]
    static INTERFACE: [u8; 182usize] = *b"{\"name\":\"compress\",\"doc\":\"Deflates `data`.\\n\\nAt \\\"level\\\" 0..=10.\",\"params\":[{\"name\":\"data\",\"type\":\"&[u8]\"},{\"name\":\"level\",\"type\":\"u8\"}],\"result\":\"Vec<u8>\",\"error\":\"DeflateError\"}\n";
};
