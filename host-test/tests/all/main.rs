mod arena;
mod high_memory;
mod mixed_alloc;
mod monocypher;
mod support;
mod twosum;
