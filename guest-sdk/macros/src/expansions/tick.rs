fn tick() {}
#[cfg(target_arch = "wasm32")]
const _: () = {
    #[unsafe(export_name = "tick")]
    extern "C" fn __wasmext_export(__out: u32) -> i32 {
        ::guest_sdk::abi::status(|| {
            let mut __args = ::guest_sdk::abi::Args::<_, 1usize>::wasm();
            __args.record(__out)?;
            let result = tick();
            Ok(__args.finish(result))
        })
    }
    #[unsafe(link_section = "wasmext.interface")]
    static INTERFACE: [u8; 64usize] = *b"{\"name\":\"tick\",\"doc\":\"\",\"params\":[],\"result\":\"()\",\"error\":null}\n";
};
