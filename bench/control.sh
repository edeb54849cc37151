# Sourced by the bench scripts: a running shop's control API, read from the
# endpoint file `perflab serve` writes in its state directory.

# Sets $token and $control for the shop on PORT whose state is in STATE.
control_of() {
  local endpoint=$1/shops/$2.json
  token=$(sed -n 's/.*"control_token": "\(.*\)".*/\1/p' "$endpoint")
  control=$(sed -n 's/.*"control_url": "\(.*\)".*/\1/p' "$endpoint")
}

# PATCHes the shop's cache settings with the JSON object CACHE.
patch_cache() {
  curl -fs -X PATCH -H "Authorization: Bearer $token" -H 'content-type: application/json' \
    -d "{\"cache\":$1}" "$control/settings" >/dev/null
}
