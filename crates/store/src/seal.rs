//! Sealing fields with the data key (SECURITY S13): AES-256-GCM, a fresh 96-bit nonce per value,
//! the text `v1:<nonce hex><ciphertext and tag hex>`. Opening checks the tag, so a value changed
//! in the database is refused rather than misread.
use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce};

use crate::db::Store;
use crate::keys::hex;
use crate::{Result, StoreError};

pub fn seal_with(key: &[u8; 32], plain: &[u8]) -> String {
    let cipher = Aes256Gcm::new_from_slice(key).expect("a 32-byte key");
    let mut nonce = [0u8; 12];
    getrandom::fill(&mut nonce).expect("the OS has randomness");
    let ct = cipher.encrypt(&Nonce::from(nonce), plain).expect("AES-GCM seals any length we store");
    format!("v1:{}{}", hex(&nonce), hex(&ct))
}

pub fn open_with(key: &[u8; 32], sealed: &str) -> Result<Vec<u8>> {
    let bad = || StoreError::Corrupt("a sealed value does not open with this data key".into());
    let body = sealed.strip_prefix("v1:").ok_or_else(bad)?;
    if body.len() < 24 + 32 || body.len() % 2 != 0 || !body.is_ascii() {
        return Err(bad());
    }
    let bytes: Vec<u8> = (0..body.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&body[i..i + 2], 16))
        .collect::<std::result::Result<_, _>>()
        .map_err(|_| bad())?;
    let cipher = Aes256Gcm::new_from_slice(key).expect("a 32-byte key");
    let nonce: [u8; 12] = bytes[..12].try_into().map_err(|_| bad())?;
    cipher.decrypt(&Nonce::from(nonce), &bytes[12..]).map_err(|_| bad())
}

impl Store {
    pub fn seal(&self, plain: &[u8]) -> Result<String> {
        Ok(seal_with(&self.keys()?.data, plain))
    }

    pub fn unseal(&self, sealed: &str) -> Result<Vec<u8>> {
        open_with(&self.keys()?.data, sealed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seals_open_only_with_their_key_and_unchanged() {
        let k = [3u8; 32];
        let s = seal_with(&k, b"JBSWY3DPEHPK3PXP");
        assert_ne!(s, seal_with(&k, b"JBSWY3DPEHPK3PXP"), "a fresh nonce each time");
        assert_eq!(open_with(&k, &s).unwrap(), b"JBSWY3DPEHPK3PXP");
        assert!(open_with(&[4u8; 32], &s).is_err());
        let mut t = s.clone().into_bytes();
        let last = t.len() - 1;
        t[last] = if t[last] == b'0' { b'1' } else { b'0' };
        assert!(open_with(&k, std::str::from_utf8(&t).unwrap()).is_err());
        assert!(open_with(&k, "v1:zz").is_err());
    }
}
