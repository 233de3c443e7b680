mod arena;
mod article_twosum;
mod high_memory;
mod mixed_alloc;
mod monocypher;
mod support;
mod twosum;
