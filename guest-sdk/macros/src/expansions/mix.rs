fn mix<'a>(
    flag: bool,
    small: i8,
    wide: u64,
    ratio: f32,
    precise: f64,
    words: &'a [u32],
    out: &mut [f64],
    key: &[u8; 32],
    name: &str,
) -> Option<i16> {
    None
}
#[cfg(target_arch = "wasm32")]
const _: () = {
    #[unsafe(export_name = "mix")]
    extern "C" fn __wasmext_export(
        flag: i32,
        small: i32,
        wide: i64,
        ratio: i32,
        precise: i64,
        words: u32,
        words_len: u32,
        out: u32,
        out_len: u32,
        key: u32,
        name: u32,
        name_len: u32,
        __out: u32,
    ) -> i32 {
        ::guest_sdk::abi::status(|| {
            let mut __args = ::guest_sdk::abi::Args::<_, 5usize>::wasm();
            __args.record(__out)?;
            let flag = ::guest_sdk::abi::lift::<bool>(0u32, flag)?;
            let small = ::guest_sdk::abi::lift::<i8>(1u32, small)?;
            let wide = ::guest_sdk::abi::lift::<u64>(2u32, wide)?;
            let ratio = ::guest_sdk::abi::lift::<f32>(3u32, ratio)?;
            let precise = ::guest_sdk::abi::lift::<f64>(4u32, precise)?;
            let words = __args.slice::<u32>(5u32, words, words_len)?;
            let out = __args.slice_mut::<f64>(6u32, out, out_len)?;
            let key = __args.array::<32usize>(7u32, key)?;
            let name = __args.str(8u32, name, name_len)?;
            let words = __args.lend(words)?;
            let out = __args.lend(out)?;
            let key = __args.lend(key)?;
            let name = __args.lend(name)?;
            let result = mix(flag, small, wide, ratio, precise, words, out, key, name);
            Ok(__args.finish(result))
        })
    }
    #[unsafe(link_section = "wasmext.interface")]
    static INTERFACE: [u8; 353usize] = *b"{\"name\":\"mix\",\"doc\":\"\",\"params\":[{\"name\":\"flag\",\"type\":\"bool\"},{\"name\":\"small\",\"type\":\"i8\"},{\"name\":\"wide\",\"type\":\"u64\"},{\"name\":\"ratio\",\"type\":\"f32\"},{\"name\":\"precise\",\"type\":\"f64\"},{\"name\":\"words\",\"type\":\"&[u32]\"},{\"name\":\"out\",\"type\":\"&mut [f64]\"},{\"name\":\"key\",\"type\":\"&[u8; 32]\"},{\"name\":\"name\",\"type\":\"&str\"}],\"result\":\"Option<i16>\",\"error\":null}\n";
};
