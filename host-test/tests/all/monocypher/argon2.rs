//! `crypto_argon2`'s by-pointer struct ABI, written byte by byte from the documented layouts and
//! checked against upstream's Argon2 vectors (RFC 9106's among them).

use wasmtime::{ensure, Result};

use super::api::{encode_pair, Argon2Config};
use super::vectors::{load, load32_le, Vector};
use super::Mono;
use crate::ensure_eq;

struct Call {
    hash: u32,
    hash_size: u32,
    work_area: u32,
    work_size: usize,
    structs: u32,
}

/// Lays out one vector's arguments. The three 16-byte structs go back to back at an address
/// that is 4 but not 8 aligned: the ABI promises them nothing more than 4-byte alignment.
fn prepare(mono: &mut Mono, vector: &Vector, extras_are_null: bool) -> Result<(Call, Vec<u8>)> {
    let [algorithm, nb_blocks, nb_passes, nb_lanes, pass, salt, key, ad] = vector.inputs()?;
    let config = Argon2Config {
        algorithm: load32_le(algorithm)?,
        nb_blocks: load32_le(nb_blocks)?,
        nb_passes: load32_le(nb_passes)?,
        nb_lanes: load32_le(nb_lanes)?,
    };
    let pass_ptr = mono.input(pass)?;
    let salt_ptr = mono.input(salt)?;
    let key_ptr = mono.input(key)?;
    let ad_ptr = mono.input(ad)?;
    let inputs = encode_pair(pass_ptr, salt_ptr, pass.len() as u32, salt.len() as u32);
    let extras = if extras_are_null {
        [0; 16]
    } else {
        encode_pair(key_ptr, ad_ptr, key.len() as u32, ad.len() as u32)
    };
    let bytes = [config.encode(), inputs, extras].concat();
    let structs = mono.buffer(4 + bytes.len())? + 4;
    mono.write(structs, &bytes)?;
    let work_size = config.nb_blocks as usize * 1024;
    let call = Call {
        hash: mono.buffer(vector.expected.len())?,
        hash_size: vector.expected.len() as u32,
        work_area: mono.buffer(work_size)?,
        work_size,
        structs,
    };
    Ok((call, bytes))
}

fn run(mono: &mut Mono, call: &Call) -> Result<Vec<u8>> {
    let Call {
        hash,
        hash_size,
        work_area,
        structs,
        ..
    } = *call;
    mono.call::<(u32, u32, u32, u32, u32, u32), ()>(
        "crypto_argon2",
        (
            hash,
            hash_size,
            work_area,
            structs,
            structs + 16,
            structs + 32,
        ),
    )?;
    mono.read(hash, hash_size as usize)
}

#[test]
fn argon2_structs_by_pointer() -> Result<()> {
    let vectors = load("argon2")?;
    let mut mono = Mono::new()?;
    for vector in &vectors {
        let (call, structs) = prepare(&mut mono, vector, false)?;
        vector.expect("hash", &run(&mut mono, &call)?)?;
        ensure_eq!(
            mono.read(call.structs, structs.len())?,
            structs,
            "crypto_argon2 changed the structs it was handed"
        );
        let work_area = mono.read(call.work_area, call.work_size)?;
        ensure!(
            work_area.iter().all(|&b| b == 0),
            "crypto_argon2 left its work area unwiped"
        );
        mono.reset()?;
    }
    Ok(())
}

/// `crypto_argon2_no_extras` is not exported; an all-zero extras struct stands for it.
#[test]
fn argon2_zeroed_extras_are_no_extras() -> Result<()> {
    let vectors = load("argon2")?;
    let without_extras: Vec<&Vector> = vectors
        .iter()
        .filter(|vector| {
            vector
                .inputs::<8>()
                .is_ok_and(|inputs| inputs[6].is_empty() && inputs[7].is_empty())
        })
        .collect();
    ensure!(
        !without_extras.is_empty(),
        "upstream has no Argon2 vector without key and ad"
    );
    let mut mono = Mono::new()?;
    for vector in without_extras {
        let (call, _) = prepare(&mut mono, vector, true)?;
        vector.expect("hash with null extras", &run(&mut mono, &call)?)?;
        mono.reset()?;
    }
    Ok(())
}
