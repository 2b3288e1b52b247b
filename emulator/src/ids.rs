//! Deterministic identifiers (deployment ids, task ids, container ids) and the seeded PRNG the
//! fault injector also uses. SplitMix64: tiny, fast, and the same sequence on every platform.

/// A seeded 64-bit generator.
#[derive(Clone, Debug)]
pub struct SplitMix64 {
    state: u64,
}

impl SplitMix64 {
    /// A generator whose sequence depends only on `seed`.
    pub fn new(seed: u64) -> Self {
        SplitMix64 {
            state: seed ^ 0x5DEE_CE66_D1CE_4E5B,
        }
    }

    /// Next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A float in `[0, 1)`.
    pub fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// `ecs-svc/` followed by 19 digits, like ECS deployment ids.
    pub fn deployment_id(&mut self) -> String {
        let n = 1_000_000_000_000_000_000u64 + self.next_u64() % 9_000_000_000_000_000_000u64;
        format!("ecs-svc/{n}")
    }

    /// 32 lowercase hex characters, like ECS task ids.
    pub fn task_id(&mut self) -> String {
        format!("{:016x}{:016x}", self.next_u64(), self.next_u64())
    }

    /// `len` characters drawn from `alphabet` (service deployment ids, hook ids).
    pub fn token(&mut self, alphabet: &[u8], len: usize) -> String {
        (0..len)
            .map(|_| char::from(alphabet[(self.next_u64() % alphabet.len() as u64) as usize]))
            .collect()
    }

    /// A UUID-shaped string (container ids, event ids).
    pub fn uuid(&mut self) -> String {
        let a = self.next_u64();
        let b = self.next_u64();
        format!(
            "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
            a >> 32,
            (a >> 16) & 0xffff,
            a & 0x0fff,
            0x8000 | ((b >> 48) & 0x3fff),
            b & 0xffff_ffff_ffff
        )
    }
}

/// Letters and digits: the alphabet of service deployment ids (`ejGvqq2ilnbKT9qj0vLJe`).
pub const ALPHANUMERIC: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/// The URL-safe base64 alphabet: pause hook ids (`ecs-pause-e7tK9G_WRJqNF_…`).
pub const URL_SAFE: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// An id derived from `key` alone, without drawing from the world's generator: ids added to
/// the emulator later must not shift the ids (task ids, deployment ids) that existing worlds
/// produce.
pub fn derived_token(key: &str, alphabet: &[u8], len: usize) -> String {
    let seed = key.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    SplitMix64::new(seed).token(alphabet, len)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_have_aws_shapes_and_repeat() {
        let mut a = SplitMix64::new(7);
        let mut b = SplitMix64::new(7);
        let id = a.deployment_id();
        assert_eq!(id, b.deployment_id());
        assert_eq!(id.len(), "ecs-svc/".len() + 19);
        let t = a.task_id();
        assert_eq!(t.len(), 32);
        assert!(t.chars().all(|c| c.is_ascii_hexdigit()));
        assert_eq!(a.uuid().len(), 36);
        let f = a.next_f64();
        assert!((0.0..1.0).contains(&f));
        let t = derived_token("ecs-svc/1", ALPHANUMERIC, 21);
        assert_eq!(t, derived_token("ecs-svc/1", ALPHANUMERIC, 21));
        assert_ne!(t, derived_token("ecs-svc/2", ALPHANUMERIC, 21));
        assert!(t.len() == 21 && t.chars().all(|c| c.is_ascii_alphanumeric()));
    }
}
