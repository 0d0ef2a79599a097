//! Where the server keeps a stream, and so a Key-Value bucket: a leaf that both
//! `jetstream` and `kv` name.

/// Where the server keeps a stream (or a bucket).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Storage {
    /// On disk (survives a server restart). The default.
    #[default]
    File,
    /// In the server's memory.
    Memory,
}
