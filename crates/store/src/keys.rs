//! The keys kept outside the database (SECURITY S10, S13): one for the audit trail's HMAC chain,
//! one for sealing sensitive fields (and, during a rotation, the one before it), one for the blind
//! index that finds a person by ID number without storing it. Where they come from, first match
//! wins:
//! 1. `HONGZHU_AUDIT_KEY`, `HONGZHU_DATA_KEY` and `HONGZHU_INDEX_KEY` (64 hex digits each);
//! 2. the key file named by `HONGZHU_KEY_FILE` (created, mode 0600, when missing);
//! 3. for a SQLite file, `<database file>.keys` beside it (created when missing).
//!
//! PostgreSQL deployments must name their keys (1 or 2): a database server has no "beside".
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::{Result, StoreError};

#[derive(Clone)]
pub struct Keys {
    pub audit: [u8; 32],
    pub data: [u8; 32],
    /// The data key before a rotation still under way: sealed values open with either.
    pub data_previous: Option<[u8; 32]>,
    pub index: [u8; 32],
    /// Where they were read from, for messages (never the keys themselves).
    pub origin: String,
}

impl std::fmt::Debug for Keys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Keys({})", self.origin)
    }
}

fn key_error(reason: impl Into<String>) -> StoreError {
    StoreError::Keys(reason.into())
}

fn parse_hex32(s: &str) -> Option<[u8; 32]> {
    let s = s.trim();
    if s.len() != 64 || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, chunk) in s.as_bytes().chunks(2).enumerate() {
        out[i] = u8::from_str_radix(std::str::from_utf8(chunk).ok()?, 16).ok()?;
    }
    Some(out)
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn random32() -> [u8; 32] {
    let mut k = [0u8; 32];
    getrandom::fill(&mut k).expect("the OS has randomness");
    k
}

impl Keys {
    /// Fresh random keys (tests, and new key files).
    pub fn generate(origin: &str) -> Keys {
        Keys { audit: random32(), data: random32(), data_previous: None, index: random32(), origin: origin.to_string() }
    }

    /// The keys for the database at `url`, by the order in the module comment.
    pub fn resolve(url: &str) -> Result<Keys> {
        let env = |n: &str| std::env::var(n).ok().filter(|v| !v.trim().is_empty());
        if let (Some(a), Some(d)) = (env("HONGZHU_AUDIT_KEY"), env("HONGZHU_DATA_KEY")) {
            let audit = parse_hex32(&a).ok_or_else(|| key_error("HONGZHU_AUDIT_KEY must be 64 hex digits"))?;
            let data = parse_hex32(&d).ok_or_else(|| key_error("HONGZHU_DATA_KEY must be 64 hex digits"))?;
            let index = env("HONGZHU_INDEX_KEY")
                .and_then(|i| parse_hex32(&i))
                .ok_or_else(|| key_error("with HONGZHU_AUDIT_KEY and HONGZHU_DATA_KEY, set HONGZHU_INDEX_KEY too (64 hex digits)"))?;
            return Ok(Keys { audit, data, data_previous: None, index, origin: "environment".into() });
        }
        if let Some(path) = Keys::file_for(url) {
            return Keys::load_or_create(&path);
        }
        if url.starts_with("sqlite:") {
            // An in-memory database lives as long as the process: so may its keys.
            return Ok(Keys::generate("memory"));
        }
        Err(key_error(
            "密钥未配置：PostgreSQL 部署须设置 HONGZHU_KEY_FILE（不存在时自动创建）或 HONGZHU_AUDIT_KEY 与 HONGZHU_DATA_KEY / \
             keys not configured: with PostgreSQL set HONGZHU_KEY_FILE (created when missing) or HONGZHU_AUDIT_KEY and HONGZHU_DATA_KEY",
        ))
    }

    /// The key file the database at `url` uses, when its keys come from a file.
    pub fn file_for(url: &str) -> Option<PathBuf> {
        let env = |n: &str| std::env::var(n).ok().filter(|v| !v.trim().is_empty());
        if env("HONGZHU_AUDIT_KEY").is_some() && env("HONGZHU_DATA_KEY").is_some() {
            return None;
        }
        if let Some(f) = env("HONGZHU_KEY_FILE") {
            return Some(PathBuf::from(f));
        }
        let mut p = sqlite_file(url)?.into_os_string();
        p.push(".keys");
        Some(PathBuf::from(p))
    }

    /// Read a key file, or write a new one (mode 0600) when there is none.
    pub fn load_or_create(path: &Path) -> Result<Keys> {
        match std::fs::read_to_string(path) {
            Ok(text) => Keys::parse(&text, &path.display().to_string()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let keys = Keys::generate(&path.display().to_string());
                keys.write_file(path)?;
                Ok(keys)
            }
            Err(e) => Err(key_error(format!("cannot read the key file {}: {e}", path.display()))),
        }
    }

    pub fn parse(text: &str, origin: &str) -> Result<Keys> {
        let mut audit = None;
        let mut data = None;
        let mut data_previous = None;
        let mut index = None;
        for line in text.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')) {
            let (k, v) = line.split_once('=').ok_or_else(|| key_error(format!("{origin}: a line is not `name = hex`")))?;
            let slot = match k.trim() {
                "audit" => &mut audit,
                "data" => &mut data,
                "data_previous" => &mut data_previous,
                "index" => &mut index,
                other => return Err(key_error(format!("{origin}: unknown key `{other}` (accepted: audit, data, data_previous, index)"))),
            };
            *slot = Some(parse_hex32(v).ok_or_else(|| key_error(format!("{origin}: `{}` must be 64 hex digits", k.trim())))?);
        }
        match (audit, data, index) {
            (Some(audit), Some(data), Some(index)) => Ok(Keys { audit, data, data_previous, index, origin: origin.to_string() }),
            _ => Err(key_error(format!("{origin}: needs `audit = …`, `data = …` and `index = …` (64 hex digits each)"))),
        }
    }

    /// The file's text.
    pub fn render(&self) -> String {
        let mut text = format!(
            "# Hongzhu keys (SECURITY S10, S13). Keep apart from the database and its backups.\naudit = {}\ndata = {}\nindex = {}\n",
            hex(&self.audit),
            hex(&self.data),
            hex(&self.index)
        );
        if let Some(p) = &self.data_previous {
            text.push_str(&format!("# the data key before the rotation under way (hongzhu keys rotate)\ndata_previous = {}\n", hex(p)));
        }
        text
    }

    /// Write atomically: a temporary file with mode 0600, synced, then renamed.
    pub fn write_file(&self, path: &Path) -> Result<()> {
        let tmp = path.with_extension("keys.tmp");
        let write = || -> std::io::Result<()> {
            let mut opts = std::fs::OpenOptions::new();
            opts.write(true).create(true).truncate(true);
            #[cfg(unix)]
            {
                use std::os::unix::fs::OpenOptionsExt;
                opts.mode(0o600);
            }
            let mut f = opts.open(&tmp)?;
            f.write_all(self.render().as_bytes())?;
            f.sync_all()?;
            std::fs::rename(&tmp, path)
        };
        write().map_err(|e| key_error(format!("cannot write the key file {}: {e}", path.display())))
    }
}

/// The file behind a `sqlite://PATH` URL, if it names one.
pub fn sqlite_file(url: &str) -> Option<PathBuf> {
    let rest = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next()?;
    if path.is_empty() || path == ":memory:" || path.starts_with(":memory") {
        return None;
    }
    Some(PathBuf::from(path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_round_trip_and_bad_files_say_why() {
        let k = Keys::generate("t");
        let back = Keys::parse(&k.render(), "t").unwrap();
        assert_eq!(back.audit, k.audit);
        assert_eq!(back.data, k.data);
        assert!(Keys::parse("audit = 12\n", "f").unwrap_err().to_string().contains("64 hex"));
        assert!(Keys::parse(&format!("audit = {}\n", hex(&k.audit)), "f").unwrap_err().to_string().contains("index"));
        assert!(Keys::parse("colour = red", "f").unwrap_err().to_string().contains("unknown key"));
    }

    #[test]
    fn sqlite_urls_name_their_files() {
        assert_eq!(sqlite_file("sqlite:///tmp/a.db"), Some(PathBuf::from("/tmp/a.db")));
        assert_eq!(sqlite_file("sqlite://data/a.db?mode=rwc"), Some(PathBuf::from("data/a.db")));
        assert_eq!(sqlite_file("sqlite::memory:"), None);
        assert_eq!(sqlite_file("postgres://x/y"), None);
    }
}
