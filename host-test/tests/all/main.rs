mod abi_probe;
mod arena;
mod deflate;
mod high_memory;
mod mixed_alloc;
mod monocypher;
mod support;
mod twosum;
