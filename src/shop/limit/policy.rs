//! Which budget a request spends: its endpoint class (the course's
//! multipliers), the caller's tier, and the budget and burst those give under
//! `settings.rate_limit`. Pure functions of the settings, used by every store.

use std::time::Duration;

use axum::http::Method;

use crate::shop::settings::RateLimitSettings;

/// The course's endpoint groups, each with its multiplier (and, with
/// `per_endpoint`, its own count).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Class {
    Default,
    Login,
    Search,
    Orders,
}

impl Class {
    pub const ALL: [Class; 4] = [Class::Default, Class::Login, Class::Search, Class::Orders];

    /// The class of a request: `POST /auth/login`, `/products/search`,
    /// `/orders` and `/orders/{id}`; everything else is `default`.
    pub fn of(method: &Method, path: &str) -> Self {
        let path = path
            .strip_suffix('/')
            .filter(|p| !p.is_empty())
            .unwrap_or(path);
        match path {
            "/auth/login" if method == Method::POST => Self::Login,
            "/products/search" => Self::Search,
            "/orders" => Self::Orders,
            _ => match path.strip_prefix("/orders/") {
                Some(id) if !id.contains('/') => Self::Orders,
                _ => Self::Default,
            },
        }
    }

    /// The name in keys and in the IETF headers' policy name.
    pub fn name(self) -> &'static str {
        match self {
            Self::Default => "default",
            Self::Login => "login",
            Self::Search => "search",
            Self::Orders => "orders",
        }
    }

    fn multiplier(self, settings: &RateLimitSettings) -> f64 {
        let m = &settings.multipliers;
        match self {
            Self::Default => 1.0,
            Self::Login => m.login,
            Self::Search => m.search,
            Self::Orders => m.orders,
        }
    }
}

/// The course's user tiers. Anonymous callers are guests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Tier {
    Guest,
    Basic,
    Premium,
    Admin,
}

impl Tier {
    pub const ALL: [Tier; 4] = [Tier::Guest, Tier::Basic, Tier::Premium, Tier::Admin];

    /// The tier a token names. An unknown name gets the smallest budget: a
    /// token must not buy more than it says.
    pub fn from_claim(tier: &str) -> Self {
        match tier {
            "basic" => Self::Basic,
            "premium" => Self::Premium,
            "admin" => Self::Admin,
            _ => Self::Guest,
        }
    }

    fn requests(self, settings: &RateLimitSettings) -> u32 {
        let t = &settings.tiers;
        match self {
            Self::Guest => t.guest,
            Self::Basic => t.basic,
            Self::Admin => t.admin,
            Self::Premium => t.premium,
        }
    }
}

/// The budget one (tier, class) pair gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    pub class: Class,
    pub tier: Tier,
    /// Requests per `period`.
    pub budget: u32,
    /// Requests at once (GCRA's burst).
    pub burst: u32,
    pub period: Duration,
}

impl Policy {
    /// The budget for `tier` on `class`. Without `per_tier` every tier has
    /// `requests`; without `per_endpoint` every class is `default` (one
    /// count for all endpoints), so the caller may pass any tier or class.
    pub fn new(settings: &RateLimitSettings, tier: Tier, class: Class) -> Self {
        let tier = if settings.per_tier { tier } else { Tier::Guest };
        let class = if settings.per_endpoint {
            class
        } else {
            Class::Default
        };
        let base = if settings.per_tier {
            tier.requests(settings)
        } else {
            settings.requests
        };
        // The course floors (`int(requests * multiplier)`); the epsilon keeps
        // 100 × 0.3 at 30 whatever the float's last bit, and a budget of 0
        // would lock the endpoint for good.
        let budget = (f64::from(base) * class.multiplier(settings) + 1e-9)
            .floor()
            .clamp(1.0, f64::from(u32::MAX)) as u32;
        let burst = (u64::from(settings.burst) * u64::from(budget) / u64::from(settings.requests))
            .clamp(1, u64::from(u32::MAX)) as u32;
        Self {
            class,
            tier,
            budget,
            burst,
            period: settings.period,
        }
    }

    /// GCRA's emission interval: one request back every `period / budget`.
    pub fn interval(&self) -> Duration {
        (self.period / self.budget).max(Duration::from_nanos(1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(per_tier: bool, per_endpoint: bool) -> RateLimitSettings {
        RateLimitSettings {
            per_tier,
            per_endpoint,
            ..RateLimitSettings::default()
        }
    }

    #[test]
    fn classes_follow_the_course_paths() {
        assert_eq!(Class::of(&Method::POST, "/auth/login"), Class::Login);
        assert_eq!(Class::of(&Method::GET, "/auth/login"), Class::Default);
        assert_eq!(Class::of(&Method::GET, "/products/search"), Class::Search);
        assert_eq!(Class::of(&Method::GET, "/orders"), Class::Orders);
        assert_eq!(Class::of(&Method::POST, "/orders/"), Class::Orders);
        assert_eq!(Class::of(&Method::GET, "/orders/42"), Class::Orders);
        assert_eq!(Class::of(&Method::GET, "/orders/42/x"), Class::Default);
        assert_eq!(Class::of(&Method::GET, "/products/42"), Class::Default);
        assert_eq!(Class::of(&Method::GET, "/ordersx"), Class::Default);
    }

    #[test]
    fn budgets_are_tier_times_multiplier_floored_and_burst_scales_alike() {
        let s = settings(true, true);
        // The defaults per minute: guest 20, basic 100, premium 400, admin 2000.
        let login = Policy::new(&s, Tier::Guest, Class::Login);
        assert_eq!((login.budget, login.burst), (2, 2));
        let orders = Policy::new(&s, Tier::Guest, Class::Orders);
        assert_eq!((orders.budget, orders.burst), (6, 6));
        let search = Policy::new(&s, Tier::Basic, Class::Search);
        assert_eq!((search.budget, search.burst), (50, 50));
        let orders = Policy::new(&s, Tier::Premium, Class::Orders);
        assert_eq!((orders.budget, orders.burst), (120, 120));
        assert_eq!(Policy::new(&s, Tier::Admin, Class::Default).budget, 2_000);
        assert_eq!(
            Policy::new(&s, Tier::Guest, Class::Login).interval(),
            Duration::from_secs(30)
        );
    }

    #[test]
    fn switches_off_collapse_tiers_and_classes() {
        let s = settings(false, false);
        let p = Policy::new(&s, Tier::Premium, Class::Login);
        assert_eq!(
            (p.budget, p.class, p.tier),
            (100, Class::Default, Tier::Guest)
        );
        let mut s = settings(false, true);
        s.burst = 20;
        let p = Policy::new(&s, Tier::Admin, Class::Login);
        assert_eq!((p.budget, p.burst), (10, 2));
        s.multipliers.login = 0.001;
        let p = Policy::new(&s, Tier::Admin, Class::Login);
        assert_eq!((p.budget, p.burst), (1, 1), "never 0");
    }

    #[test]
    fn unknown_tiers_are_guests() {
        assert_eq!(Tier::from_claim("gold"), Tier::Guest);
        assert_eq!(Tier::from_claim("premium"), Tier::Premium);
    }
}
