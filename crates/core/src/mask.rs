//! Masked display of personal numbers (DOMAIN R7.4, SECURITY S12).

/// `370828********123X`: the first 6 and last 4 characters stay.
pub fn mask_id(id: &str) -> String {
    let chars: Vec<char> = id.chars().collect();
    if chars.len() <= 10 {
        return "*".repeat(chars.len());
    }
    let head: String = chars[..6].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}{}{tail}", "*".repeat(chars.len() - 10))
}

/// `138****1234`: the first 3 and last 4 digits stay.
pub fn mask_phone(phone: &str) -> String {
    let chars: Vec<char> = phone.chars().collect();
    if chars.len() <= 7 {
        return "*".repeat(chars.len());
    }
    let head: String = chars[..3].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}{}{tail}", "*".repeat(chars.len() - 7))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_as_the_rule_shows() {
        assert_eq!(mask_id("37082819900101123X"), "370828********123X");
        assert_eq!(mask_phone("13812341234"), "138****1234");
        assert_eq!(mask_id("123"), "***");
    }

    proptest::proptest! {
        #[test]
        fn masked_id_never_holds_eight_consecutive_digits(id in "[0-9]{17}[0-9X]") {
            let m = mask_id(&id);
            let longest = m.split(|c: char| !c.is_ascii_digit()).map(str::len).max().unwrap_or(0);
            proptest::prop_assert!(longest <= 6);
            proptest::prop_assert_eq!(m.chars().count(), 18);
        }

        #[test]
        fn masked_phone_keeps_no_more_than_four_digits_together(p in "1[0-9]{10}") {
            let m = mask_phone(&p);
            let longest = m.split(|c: char| !c.is_ascii_digit()).map(str::len).max().unwrap_or(0);
            proptest::prop_assert!(longest <= 4);
        }
    }
}
