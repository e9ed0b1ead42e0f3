//! Time-based one-time passwords (RFC 6238 over RFC 4226: HMAC-SHA1, 30-second steps, 6 digits),
//! the second factor of SECURITY S5. Any authenticator app reads the `otpauth://` link.
use hmac::{KeyInit, Mac};

type HmacSha1 = hmac::Hmac<sha1::Sha1>;

const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
pub const STEP_SECONDS: u64 = 30;

/// A new 160-bit secret.
pub fn new_secret() -> Vec<u8> {
    let mut s = vec![0u8; 20];
    getrandom::fill(&mut s).expect("the OS has randomness");
    s
}

/// RFC 4648 base32 without padding, as authenticator apps take it.
pub fn base32(bytes: &[u8]) -> String {
    let mut out = String::new();
    let mut buf: u32 = 0;
    let mut bits = 0;
    for &b in bytes {
        buf = (buf << 8) | b as u32;
        bits += 8;
        while bits >= 5 {
            out.push(ALPHABET[((buf >> (bits - 5)) & 31) as usize] as char);
            bits -= 5;
        }
    }
    if bits > 0 {
        out.push(ALPHABET[((buf << (5 - bits)) & 31) as usize] as char);
    }
    out
}

pub fn from_base32(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let mut buf: u32 = 0;
    let mut bits = 0;
    for c in text.chars().filter(|c| !c.is_whitespace() && *c != '=') {
        let v = ALPHABET.iter().position(|a| *a as char == c.to_ascii_uppercase())? as u32;
        buf = (buf << 5) | v;
        bits += 5;
        if bits >= 8 {
            out.push((buf >> (bits - 8)) as u8);
            bits -= 8;
        }
    }
    Some(out)
}

/// The code for one time step (RFC 4226 dynamic truncation).
pub fn code_for_step(secret: &[u8], step: u64) -> u32 {
    let mut m = <HmacSha1 as KeyInit>::new_from_slice(secret).expect("HMAC takes any key length");
    m.update(&step.to_be_bytes());
    let h = m.finalize().into_bytes();
    let off = (h[h.len() - 1] & 0x0f) as usize;
    let bin = ((h[off] as u32 & 0x7f) << 24) | ((h[off + 1] as u32) << 16) | ((h[off + 2] as u32) << 8) | h[off + 3] as u32;
    bin % 1_000_000
}

pub fn code_at(secret: &[u8], unix_seconds: u64) -> String {
    format!("{:06}", code_for_step(secret, unix_seconds / STEP_SECONDS))
}

/// A code typed now: the current step or one either side (clock drift).
pub fn verify(secret: &[u8], typed: &str, unix_seconds: u64) -> bool {
    let typed: String = typed.chars().filter(|c| !c.is_whitespace()).collect();
    if typed.len() != 6 || !typed.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    let step = unix_seconds / STEP_SECONDS;
    [step.saturating_sub(1), step, step + 1].iter().any(|s| format!("{:06}", code_for_step(secret, *s)) == typed)
}

/// The link an authenticator app scans.
pub fn otpauth_uri(account: &str, secret: &[u8]) -> String {
    let enc = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>().replace('+', "%20");
    format!(
        "otpauth://totp/{}:{}?secret={}&issuer={}&algorithm=SHA1&digits=6&period=30",
        enc("红烛"),
        enc(account),
        base32(secret),
        enc("红烛")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc6238_sha1_vectors() {
        // RFC 6238 Appendix B, SHA-1 secret "12345678901234567890" (8-digit values, last 6 here).
        let secret = b"12345678901234567890";
        assert_eq!(code_at(secret, 59), "287082");
        assert_eq!(code_at(secret, 1111111109), "081804");
        assert_eq!(code_at(secret, 1234567890), "005924");
        assert_eq!(code_at(secret, 2000000000), "279037");
    }

    #[test]
    fn verify_accepts_one_step_of_drift_only() {
        let s = b"12345678901234567890";
        let now = 1_700_000_000;
        assert!(verify(s, &code_at(s, now), now));
        assert!(verify(s, &code_at(s, now - 30), now));
        assert!(verify(s, &code_at(s, now + 30), now));
        assert!(!verify(s, &code_at(s, now - 90), now));
        assert!(!verify(s, "12345", now));
        assert!(!verify(s, "abcdef", now));
    }

    #[test]
    fn base32_round_trips() {
        assert_eq!(base32(b"foobar"), "MZXW6YTBOI");
        for n in 0..25 {
            let bytes: Vec<u8> = (0..n).map(|i| (i * 37 + 11) as u8).collect();
            assert_eq!(from_base32(&base32(&bytes)).unwrap(), bytes);
        }
        assert!(from_base32("01").is_none());
    }
}
