//! The shop's switches, read from its settings schema (`schemars` on
//! `ShopSettings`) rather than listed by hand: every enum becomes a choice,
//! every list of enum values a set of toggles, every integer a counter and
//! every duration a ladder — so a setting the shop gains later shows up on
//! the Settings screen without touching the TUI.
//!
//! What a switch means is the catalogue's (`labs/messages/*/settings.ftl`),
//! keyed by the switch's path — `cache.backend` → `setting-cache-backend`,
//! its value `redis` → `setting-cache-backend-redis` — not the schema's doc
//! comments, which are English and written for the shop's developers. A test
//! (`tests/tui_screens.rs`) fails when a switch or a value has no message in
//! either language, so a setting cannot ship without its help.

use serde_json::Value;

use crate::shop::settings::ShopSettings;

/// How a switch changes.
#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    /// One of these values.
    Choice(Vec<String>),
    /// `item` is in the list or not (one switch per possible item).
    Member { item: String },
    /// A whole number ≥ 1.
    Count,
    /// A duration ("60s", "5m"): halved or doubled.
    Duration,
    /// On or off (`true` / `false`).
    Toggle,
}

/// One switch: a dotted key (`cache.backend`) and how it changes.
#[derive(Debug, Clone, PartialEq)]
pub struct Switch {
    pub key: String,
    pub kind: Kind,
}

impl Switch {
    /// The catalogue's message that says what the switch does.
    pub fn help_key(&self) -> String {
        message_key(&self.key)
    }

    /// The catalogue's message that says what `value` of this switch means
    /// (a choice, or the item a member switch adds); `None` for numbers and
    /// durations, whose values speak for themselves.
    pub fn value_key(&self, value: &str) -> Option<String> {
        match &self.kind {
            Kind::Choice(_) | Kind::Member { .. } => {
                Some(format!("{}-{}", message_key(&self.key), fluent_id(value)))
            }
            Kind::Count | Kind::Duration | Kind::Toggle => None,
        }
    }

    /// The values whose meaning the catalogue holds: every choice, or the
    /// member's item.
    pub fn values(&self) -> Vec<&str> {
        match &self.kind {
            Kind::Choice(values) => values.iter().map(String::as_str).collect(),
            Kind::Member { item } => vec![item.as_str()],
            Kind::Count | Kind::Duration | Kind::Toggle => Vec::new(),
        }
    }
}

/// The prefix of every setting's message.
pub const MESSAGE_PREFIX: &str = "setting-";

/// `cache.key_scheme` → `setting-cache-key-scheme`.
pub fn message_key(path: &str) -> String {
    format!("{MESSAGE_PREFIX}{}", fluent_id(path))
}

/// A path or a value as part of a Fluent message id: Fluent allows `_`, but
/// the catalogue's ids are kebab-case, and `.` is not allowed at all.
fn fluent_id(text: &str) -> String {
    text.replace(['.', '_'], "-")
}

/// Every switch of the shop, in the schema's order.
pub fn all() -> Vec<Switch> {
    let schema = serde_json::to_value(schemars::schema_for!(ShopSettings)).unwrap_or_default();
    let mut switches = Vec::new();
    walk(&schema, &schema, "", &mut switches);
    switches
}

fn resolve<'a>(root: &'a Value, node: &'a Value) -> &'a Value {
    match node.get("$ref").and_then(Value::as_str) {
        Some(reference) => reference
            .strip_prefix("#/$defs/")
            .and_then(|name| root.get("$defs")?.get(name))
            .unwrap_or(node),
        None => node,
    }
}

/// The values an enum schema allows (`enum`, or `oneOf` of `const`s).
fn choices(node: &Value) -> Option<Vec<String>> {
    if let Some(values) = node.get("enum").and_then(Value::as_array) {
        return Some(
            values
                .iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect(),
        );
    }
    let variants = node
        .get("oneOf")
        .or_else(|| node.get("anyOf"))?
        .as_array()?;
    variants
        .iter()
        .map(|v| {
            v.get("const")
                .and_then(Value::as_str)
                .or_else(|| v.get("enum")?.as_array()?.first()?.as_str())
                .map(str::to_string)
        })
        .collect()
}

fn walk(root: &Value, node: &Value, prefix: &str, out: &mut Vec<Switch>) {
    let node = resolve(root, node);
    let Some(properties) = node.get("properties").and_then(Value::as_object) else {
        return;
    };
    for (name, field) in properties {
        let key = if prefix.is_empty() {
            name.clone()
        } else {
            format!("{prefix}.{name}")
        };
        let target = resolve(root, field);
        let kind_of = |t: &str| target.get("type").and_then(Value::as_str) == Some(t);
        if let Some(values) = choices(target) {
            out.push(Switch {
                key,
                kind: Kind::Choice(values),
            });
        } else if kind_of("object") {
            walk(root, target, &key, out);
        } else if kind_of("array") {
            let items = target.get("items").map(|i| resolve(root, i));
            for item in items.and_then(choices).unwrap_or_default() {
                out.push(Switch {
                    key: key.clone(),
                    kind: Kind::Member { item },
                });
            }
        } else if kind_of("boolean") {
            out.push(Switch {
                key,
                kind: Kind::Toggle,
            });
        } else if kind_of("integer") {
            out.push(Switch {
                key,
                kind: Kind::Count,
            });
        } else if kind_of("string") {
            out.push(Switch {
                key,
                kind: Kind::Duration,
            });
        }
    }
}

/// The current value of `key` in `settings`, as TOML.
pub fn value(settings: &ShopSettings, key: &str) -> Option<toml::Value> {
    let mut node = toml::Value::try_from(settings).ok()?;
    for part in key.split('.') {
        node = node.get(part)?.clone();
    }
    Some(node)
}

/// The value of `key` as shop.toml spells it: `redis`, `60s`, `5`.
pub fn spelled(settings: &ShopSettings, key: &str) -> String {
    match value(settings, key) {
        Some(toml::Value::String(s)) => s,
        Some(other) => other.to_string(),
        None => "?".into(),
    }
}

/// What the switch shows: `redis`, `[x] search`, `5`, `60s`.
pub fn shown(switch: &Switch, settings: &ShopSettings) -> String {
    match (&switch.kind, value(settings, &switch.key)) {
        (Kind::Member { item }, Some(toml::Value::Array(items))) => {
            let on = items.iter().any(|v| v.as_str() == Some(item));
            format!("[{}] {item}", if on { "x" } else { " " })
        }
        _ => spelled(settings, &switch.key),
    }
}

/// The patch that moves the switch one step (`forward` or back), as a
/// partial settings table for `shop.toml` and the control API.
pub fn step(switch: &Switch, settings: &ShopSettings, forward: bool) -> Option<toml::Table> {
    let current = value(settings, &switch.key)?;
    let next = match &switch.kind {
        Kind::Choice(values) => {
            let at = values
                .iter()
                .position(|v| Some(v.as_str()) == current.as_str())?;
            let n = values.len();
            let to = if forward {
                (at + 1) % n
            } else {
                (at + n - 1) % n
            };
            toml::Value::String(values[to].clone())
        }
        Kind::Member { item } => {
            let mut items: Vec<toml::Value> = current.as_array()?.clone();
            match items.iter().position(|v| v.as_str() == Some(item)) {
                Some(at) => {
                    items.remove(at);
                }
                None => items.push(toml::Value::String(item.clone())),
            }
            toml::Value::Array(items)
        }
        Kind::Toggle => toml::Value::Boolean(!current.as_bool()?),
        Kind::Count => {
            let n = current.as_integer()?;
            toml::Value::Integer(if forward { n + 1 } else { (n - 1).max(1) })
        }
        Kind::Duration => {
            let d = humantime::parse_duration(current.as_str()?).ok()?;
            let next = if forward {
                d * 2
            } else {
                (d / 2).max(std::time::Duration::from_secs(1))
            };
            toml::Value::String(humantime::format_duration(next).to_string())
        }
    };
    let mut parts: Vec<&str> = switch.key.split('.').collect();
    let leaf = parts.pop()?;
    let mut table = toml::Table::new();
    table.insert(leaf.to_string(), next);
    for part in parts.into_iter().rev() {
        let mut outer = toml::Table::new();
        outer.insert(part.to_string(), toml::Value::Table(table));
        table = outer;
    }
    Some(table)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_schema_gives_every_switch_of_the_shop() {
        let switches = all();
        let keys: Vec<&str> = switches.iter().map(|s| s.key.as_str()).collect();
        for key in [
            "cache.backend",
            "cache.strategy",
            "cache.ttl",
            "cache.endpoints",
            "cache.invalidation",
            "cache.key_scheme",
            "cache.fallback",
            "database.pool_size",
            "database.acquire_timeout",
            "database.loading",
            "export.mode",
        ] {
            assert!(keys.contains(&key), "{key} missing from {keys:?}");
        }
        let backend = switches.iter().find(|s| s.key == "cache.backend").unwrap();
        assert_eq!(
            backend.kind,
            Kind::Choice(vec!["off".into(), "memory".into(), "redis".into()])
        );
        assert_eq!(keys.iter().filter(|k| **k == "cache.endpoints").count(), 4);
    }

    #[test]
    fn message_keys_follow_the_path() {
        let switches = all();
        let find = |key: &str| switches.iter().find(|s| s.key == key).unwrap();
        let backend = find("cache.backend");
        assert_eq!(backend.help_key(), "setting-cache-backend");
        assert_eq!(
            backend.value_key("redis").as_deref(),
            Some("setting-cache-backend-redis")
        );
        assert_eq!(
            find("cache.key_scheme").help_key(),
            "setting-cache-key-scheme"
        );
        assert_eq!(find("database.pool_size").value_key("5"), None);
        let detail = switches
            .iter()
            .find(|s| s.values() == ["product_detail"])
            .unwrap();
        assert_eq!(
            detail.value_key("product_detail").as_deref(),
            Some("setting-cache-endpoints-product-detail")
        );
    }

    #[test]
    fn steps_make_valid_patches() {
        let settings = ShopSettings::default();
        let switches = all();
        for switch in &switches {
            let patch = step(switch, &settings, true).unwrap_or_else(|| panic!("{}", switch.key));
            let merged = crate::lab::catalog::merged(settings.clone(), &patch);
            // Write-through with ttl-only is refused by design; everything else applies.
            assert!(
                merged.is_ok() || switch.key == "cache.invalidation",
                "{}: {merged:?}",
                switch.key
            );
        }
        let ttl = switches.iter().find(|s| s.key == "cache.ttl").unwrap();
        let doubled =
            crate::lab::catalog::merged(settings.clone(), &step(ttl, &settings, true).unwrap())
                .unwrap();
        assert_eq!(doubled.cache.ttl, settings.cache.ttl * 2);
    }
}
