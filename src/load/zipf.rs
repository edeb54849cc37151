//! Zipf-skewed ids: a few products are hot, most are cold, the traffic the
//! caching labs need. Implemented as a precomputed CDF searched with a binary
//! search (the same method as `bench/zipf_products.lua`), so drawing is
//! O(log n) with no floating-point powers per request, and one table is
//! shared by every worker behind an `Arc`.

use rand::Rng;

use super::LoadError;

/// The largest range a CDF is built for (8 bytes a rank: 80 MB at most).
pub const MAX_RANKS: u64 = 10_000_000;

/// A Zipf distribution over `lo..=hi`: `lo` is the most frequent value, the
/// probability of the k-th value is proportional to `1 / k^exponent`.
#[derive(Debug, Clone)]
pub struct Zipf {
    lo: u64,
    exponent: f64,
    cdf: Box<[f64]>,
}

impl Zipf {
    /// Builds the CDF. `exponent` 0 is uniform; 1 is the classic skew.
    pub fn new(lo: u64, hi: u64, exponent: f64) -> Result<Self, LoadError> {
        if hi < lo || hi - lo >= MAX_RANKS {
            return Err(LoadError::Invalid(format!(
                "Zipf range {lo}..={hi} must be non-empty and at most {MAX_RANKS} values"
            )));
        }
        if !exponent.is_finite() || exponent < 0.0 {
            return Err(LoadError::Invalid(format!(
                "Zipf exponent {exponent} must be a finite number ≥ 0"
            )));
        }
        let ranks = (hi - lo + 1) as usize;
        let mut cdf = Vec::with_capacity(ranks);
        let mut sum = 0.0;
        for k in 1..=ranks {
            sum += 1.0 / (k as f64).powf(exponent);
            cdf.push(sum);
        }
        for c in &mut cdf {
            *c /= sum;
        }
        Ok(Self {
            lo,
            exponent,
            cdf: cdf.into_boxed_slice(),
        })
    }

    /// The range drawn from, `lo..=hi`.
    pub fn range(&self) -> (u64, u64) {
        (self.lo, self.lo + self.cdf.len() as u64 - 1)
    }

    /// The skew: 0 is uniform, 1 the classic Zipf.
    pub fn exponent(&self) -> f64 {
        self.exponent
    }

    /// Draws one value.
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> u64 {
        let u: f64 = rng.random();
        // Rounding can leave the last entry a hair below 1.0: clamp.
        let rank = self.cdf.partition_point(|&c| c < u).min(self.cdf.len() - 1);
        self.lo + rank as u64
    }
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;
    use rand::rngs::SmallRng;

    use super::*;

    #[test]
    fn skewed_towards_the_low_end_and_within_range() {
        let zipf = Zipf::new(10, 1009, 1.0).unwrap();
        assert_eq!((zipf.range(), zipf.exponent()), ((10, 1009), 1.0));
        let mut rng = SmallRng::seed_from_u64(1);
        let mut counts = vec![0u32; 1000];
        for _ in 0..100_000 {
            let v = zipf.sample(&mut rng);
            assert!((10..=1009).contains(&v));
            counts[(v - 10) as usize] += 1;
        }
        // With s = 1 and n = 1000, rank 1 has p = 1/H(1000) ≈ 13 %.
        assert!((11_000..15_000).contains(&counts[0]), "{}", counts[0]);
        assert!(counts[0] > 5 * counts[9]);
    }

    #[test]
    fn exponent_zero_is_uniform() {
        let zipf = Zipf::new(1, 4, 0.0).unwrap();
        let mut rng = SmallRng::seed_from_u64(2);
        let mut counts = [0u32; 4];
        for _ in 0..40_000 {
            counts[(zipf.sample(&mut rng) - 1) as usize] += 1;
        }
        assert!(
            counts.iter().all(|&c| (9_000..11_000).contains(&c)),
            "{counts:?}"
        );
    }

    #[test]
    fn rejects_empty_ranges() {
        assert!(Zipf::new(5, 4, 1.0).is_err());
        assert!(Zipf::new(1, 4, f64::NAN).is_err());
    }
}
