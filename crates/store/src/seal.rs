//! Sealing fields with the data key (SECURITY S13): AES-256-GCM, a fresh 96-bit nonce per value,
//! the text `v1:<base64 of nonce, ciphertext and tag>`. Opening checks the tag, so a value changed
//! in the database is refused rather than misread. Base64 rather than hex: a sealed value never
//! looks like a run of digits (an ID or phone number) to someone scanning the database file.
//!
//! The blind index finds a person by ID number: a keyed hash (HMAC-SHA256 under the index key),
//! equal for equal numbers, useless without the key.
use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use hmac::Mac;

use crate::db::Store;
use crate::keys::Keys;
use crate::{Result, StoreError};

pub fn seal_with(key: &[u8; 32], plain: &[u8]) -> String {
    seal_in(&Aes256Gcm::new_from_slice(key).expect("a 32-byte key"), plain)
}

fn seal_in(cipher: &Aes256Gcm, plain: &[u8]) -> String {
    let nonce = fresh_nonce();
    let ct = cipher.encrypt(&Nonce::from(nonce), plain).expect("AES-GCM seals any length we store");
    let mut body = Vec::with_capacity(12 + ct.len());
    body.extend_from_slice(&nonce);
    body.extend_from_slice(&ct);
    format!("v1:{}", B64.encode(body))
}

/// Random bytes from the OS, taken a block at a time and each handed out once: a fresh nonce
/// per value without a system call per value (an import seals two million).
struct NoncePool {
    bytes: [u8; 12 * 256],
    at: usize,
}

thread_local! {
    static NONCES: std::cell::RefCell<NoncePool> = const { std::cell::RefCell::new(NoncePool { bytes: [0; 12 * 256], at: 12 * 256 }) };
}

fn fresh_nonce() -> [u8; 12] {
    NONCES.with(|pool| {
        let mut pool = pool.borrow_mut();
        if pool.at + 12 > pool.bytes.len() {
            getrandom::fill(&mut pool.bytes).expect("the OS has randomness");
            pool.at = 0;
        }
        let at = pool.at;
        let mut nonce = [0u8; 12];
        nonce.copy_from_slice(&pool.bytes[at..at + 12]);
        // Handed out: not kept where a later call could hand it out again.
        pool.bytes[at..at + 12].fill(0);
        pool.at = at + 12;
        nonce
    })
}

/// Sealing many values (an import; S13): the cipher's key schedule and the index key's HMAC
/// state made once, not once a value.
#[derive(Clone)]
pub struct Sealer {
    cipher: Aes256Gcm,
    index: hmac::Hmac<sha2::Sha256>,
}

impl Sealer {
    pub fn new(keys: &Keys) -> Sealer {
        Sealer { cipher: Aes256Gcm::new_from_slice(&keys.data).expect("a 32-byte key"), index: index_mac(&keys.index) }
    }

    /// As [`seal_with`] under the data key.
    pub fn seal(&self, plain: &[u8]) -> String {
        seal_in(&self.cipher, plain)
    }

    /// As [`blind_with`] under the index key.
    pub fn blind(&self, id_number: &str) -> String {
        blind_in(self.index.clone(), id_number)
    }
}

pub fn open_with(key: &[u8; 32], sealed: &str) -> Result<Vec<u8>> {
    let bad = || StoreError::Corrupt("a sealed value does not open with the data key".into());
    let body = sealed.strip_prefix("v1:").ok_or_else(bad)?;
    let bytes = B64.decode(body).map_err(|_| bad())?;
    if bytes.len() < 12 + 16 {
        return Err(bad());
    }
    let cipher = Aes256Gcm::new_from_slice(key).expect("a 32-byte key");
    let nonce: [u8; 12] = bytes[..12].try_into().map_err(|_| bad())?;
    cipher.decrypt(&Nonce::from(nonce), &bytes[12..]).map_err(|_| bad())
}

/// Open with the current data key, or the one before it while a rotation is under way.
pub fn open_keys(keys: &Keys, sealed: &str) -> Result<Vec<u8>> {
    open_with(&keys.data, sealed).or_else(|e| match &keys.data_previous {
        Some(prev) => open_with(prev, sealed),
        None => Err(e),
    })
}

pub fn open_text(keys: &Keys, sealed: &str) -> Result<String> {
    String::from_utf8(open_keys(keys, sealed)?).map_err(|_| StoreError::Corrupt("a sealed value is not text".into()))
}

/// The blind index of an ID number.
pub fn blind_with(key: &[u8; 32], id_number: &str) -> String {
    blind_in(index_mac(key), id_number)
}

fn index_mac(key: &[u8; 32]) -> hmac::Hmac<sha2::Sha256> {
    <hmac::Hmac<sha2::Sha256> as hmac::KeyInit>::new_from_slice(key).expect("HMAC takes any key length")
}

fn blind_in(mut m: hmac::Hmac<sha2::Sha256>, id_number: &str) -> String {
    m.update(b"hongzhu-id-v1\x1f");
    m.update(id_number.trim().to_ascii_uppercase().as_bytes());
    B64.encode(m.finalize().into_bytes())
}

impl Store {
    /// S13 for a database made before sealing: every person without a blind index still holds
    /// plain numbers; seal them (in batches, each its own transaction). Returns how many.
    pub(crate) async fn seal_plain_people(&self) -> Result<u64> {
        use sea_query::{Expr, ExprTrait, Query};
        let mut done = 0;
        loop {
            let mut tx = self.write().await?;
            let batch = tx
                .all(
                    Query::select()
                        .columns(["id", "id_number", "phone"])
                        .from("persons")
                        .and_where(Expr::col("id_hash").is_null())
                        .limit(5000),
                    |r: &dyn crate::db::Row| Ok((r.int("id")?, r.text("id_number")?, r.text_opt("phone")?)),
                )
                .await?;
            if batch.is_empty() {
                tx.commit().await?;
                return Ok(done);
            }
            for (id, number, phone) in &batch {
                tx.exec(
                    Query::update()
                        .table("persons")
                        .value("id_number", tx.seal(number)?)
                        .value("id_hash", tx.blind(number)?)
                        .value("phone", phone.as_deref().map(|p| tx.seal(p)).transpose()?)
                        .and_where(Expr::col("id").eq(*id)),
                )
                .await?;
            }
            done += batch.len() as u64;
            tx.commit().await?;
        }
    }

    /// S13 key rotation: open every sealed value (with the current or the previous data key) and
    /// seal it again with the current one, in batches. Safe to run again after an interruption.
    pub async fn reseal_all(&self) -> Result<u64> {
        use sea_query::{Expr, ExprTrait, Order, Query};
        let keys = self.keys()?.clone();
        let mut done = 0;
        let mut after = 0i64;
        loop {
            let mut tx = self.write().await?;
            let batch = tx
                .all(
                    Query::select()
                        .columns(["id", "id_number", "phone"])
                        .from("persons")
                        .and_where(Expr::col("id").gt(after))
                        .order_by("id", Order::Asc)
                        .limit(5000),
                    |r: &dyn crate::db::Row| Ok((r.int("id")?, r.text("id_number")?, r.text_opt("phone")?)),
                )
                .await?;
            let Some(last) = batch.last().map(|b| b.0) else {
                tx.commit().await?;
                break;
            };
            after = last;
            for (id, number, phone) in &batch {
                let number = open_text(&keys, number)?;
                let phone = phone.as_deref().map(|p| open_text(&keys, p)).transpose()?;
                tx.exec(
                    Query::update()
                        .table("persons")
                        .value("id_number", seal_with(&keys.data, number.as_bytes()))
                        .value("phone", phone.map(|p| seal_with(&keys.data, p.as_bytes())))
                        .and_where(Expr::col("id").eq(*id)),
                )
                .await?;
            }
            done += batch.len() as u64;
            tx.commit().await?;
        }
        // Children's records, pairings and visits (R6.2): one sealed column each.
        for table in ["children", "child_pairings", "child_visits"] {
            let mut after = 0i64;
            loop {
                let mut tx = self.write().await?;
                let batch = tx
                    .all(
                        Query::select()
                            .columns(["id", "sealed"])
                            .from(table)
                            .and_where(Expr::col("id").gt(after))
                            .order_by("id", Order::Asc)
                            .limit(5000),
                        |r: &dyn crate::db::Row| Ok((r.int("id")?, r.text("sealed")?)),
                    )
                    .await?;
                let Some(last) = batch.last().map(|b| b.0) else {
                    tx.commit().await?;
                    break;
                };
                after = last;
                for (id, sealed) in &batch {
                    let plain = open_keys(&keys, sealed)?;
                    tx.exec(Query::update().table(table).value("sealed", seal_with(&keys.data, &plain)).and_where(Expr::col("id").eq(*id)))
                        .await?;
                }
                done += batch.len() as u64;
                tx.commit().await?;
            }
        }
        // The second factors' secrets.
        let mut tx = self.write().await?;
        let users = tx
            .all(
                Query::select().columns(["id", "totp_sealed"]).from("users").and_where(Expr::col("totp_sealed").is_not_null()),
                |r: &dyn crate::db::Row| Ok((r.int("id")?, r.text("totp_sealed")?)),
            )
            .await?;
        for (id, sealed) in &users {
            let secret = open_keys(&keys, sealed)?;
            tx.exec(Query::update().table("users").value("totp_sealed", seal_with(&keys.data, &secret)).and_where(Expr::col("id").eq(*id)))
                .await?;
        }
        tx.commit().await?;
        Ok(done + users.len() as u64)
    }

    pub fn seal(&self, plain: &[u8]) -> Result<String> {
        Ok(seal_with(&self.keys()?.data, plain))
    }

    pub fn unseal(&self, sealed: &str) -> Result<Vec<u8>> {
        open_keys(self.keys()?, sealed)
    }

    /// The blind index of an ID number (S13).
    pub fn blind(&self, id_number: &str) -> Result<String> {
        Ok(blind_with(&self.keys()?.index, id_number))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seals_open_only_with_their_key_and_unchanged() {
        let k = [3u8; 32];
        let s = seal_with(&k, b"37082819900101123X");
        assert_ne!(s, seal_with(&k, b"37082819900101123X"), "a fresh nonce each time");
        assert_eq!(open_with(&k, &s).unwrap(), b"37082819900101123X");
        assert!(open_with(&[4u8; 32], &s).is_err());
        let mut t = s.clone().into_bytes();
        let last = t.len() - 1;
        t[last] = if t[last] == b'A' { b'B' } else { b'A' };
        assert!(open_with(&k, std::str::from_utf8(&t).unwrap()).is_err());
        assert!(open_with(&k, "v1:zz").is_err());
    }

    #[test]
    fn a_rotation_opens_with_either_key() {
        let old = Keys::generate("old");
        let sealed = seal_with(&old.data, b"13812341234");
        let mut new = Keys::generate("new");
        assert!(open_keys(&new, &sealed).is_err());
        new.data_previous = Some(old.data);
        assert_eq!(open_text(&new, &sealed).unwrap(), "13812341234");
    }

    #[test]
    fn a_sealer_seals_and_blinds_as_the_functions_do_with_a_fresh_nonce_each_time() {
        let keys = Keys::generate("k");
        let sealer = Sealer::new(&keys);
        let mut nonces = std::collections::HashSet::new();
        // More than one block of the nonce pool.
        for i in 0..1000 {
            let plain = format!("3708281990010{i:04}X");
            let sealed = sealer.seal(plain.as_bytes());
            assert_eq!(open_with(&keys.data, &sealed).unwrap(), plain.as_bytes());
            let body = B64.decode(sealed.strip_prefix("v1:").unwrap()).unwrap();
            assert!(nonces.insert(body[..12].to_vec()), "nonce reused at {i}");
            assert_eq!(sealer.blind(&plain), blind_with(&keys.index, &plain));
        }
        assert!(!nonces.contains(&vec![0u8; 12]));
    }

    #[test]
    fn the_blind_index_is_keyed_and_ignores_case() {
        let a = blind_with(&[1u8; 32], "37082819900101123x");
        assert_eq!(a, blind_with(&[1u8; 32], "37082819900101123X"));
        assert_ne!(a, blind_with(&[2u8; 32], "37082819900101123X"));
        assert!(!a.contains("370828"));
    }
}
