#!/usr/bin/env bash
# Proves the README's promises on a fresh Debian, without Docker:
#
#   test    a fresh Debian 12 with nothing but Rust runs the README's test
#           command, `./.ci/run`, as a user with sudo: it installs and starts
#           PostgreSQL, Redis, tmux and junitparser, then runs `cargo test`.
#   doctor  a second fresh Debian 12 (no PostgreSQL, no Redis) runs
#           `perflab doctor --fix --yes` as a user with sudo, then
#           `perflab doctor`, which must find both and exit 0.
#
# Each system is a debootstrap'ed chroot (minbase + ca-certificates + sudo:
# what a Rust image has besides Rust; the compiler is the host's rustup
# toolchain, bind-mounted read-only; crates come from crates.io) run in its
# own network, PID, IPC and mount namespaces: its PostgreSQL and Redis listen
# on 5432/6379 of a loopback of their own, never the host's, and reach
# Debian's mirror and crates.io through a veth pair with NAT. Everything the
# namespace started dies with it; the chroots live on a tmpfs of their own
# (a test build is ~4 GB) that is unmounted at the end.
#
# Usage: sudo ci/fresh-debian.sh [all|test|doctor|rerun] [--root] [--keep] [-- ARGS]
#   rerun    ./.ci/run again in the test system a `test --keep` left, with the
#            repository's files copied in again (its build kept): to retry
#            after a fix without a 40-minute build — no longer a fresh system
#   --root   run ./.ci/run as root (as CI containers do) instead of a sudo user
#   --keep   keep the chroots (a tmpfs at $PERFLAB_FRESH_DIR) to look inside
#   ARGS     passed to ./.ci/run, so to `cargo test` (`-- --help`: the
#            install-and-start half alone, in a minute)
# Needs root on a Linux host with debootstrap, iproute2, iptables, unshare
# (apt-get install -y debootstrap iptables). Touches on the host only what it
# makes: a netns, a veth pair, two iptables rules, ip_forward (restored), a
# tmpfs under $PERFLAB_FRESH_DIR — never the host's PostgreSQL or Redis.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SELF="$REPO/ci/fresh-debian.sh"
WORK=${PERFLAB_FRESH_DIR:-/var/tmp/perflab-fresh}
SIZE=${PERFLAB_FRESH_SIZE:-12G}
SUITE=${PERFLAB_FRESH_SUITE:-bookworm}
MIRROR=${PERFLAB_FRESH_MIRROR:-http://deb.debian.org/debian}
# The debootstrap download is cached on disk (~60 MB) between runs.
CACHE=${PERFLAB_FRESH_CACHE:-/var/cache/perflab-fresh}
RUSTUP_DIR=${RUSTUP_HOME:-$HOME/.rustup}
CARGO_BIN=${CARGO_HOME:-$HOME/.cargo}/bin
NS=perflab-fresh
VETH_HOST=pf-fresh0
VETH_NS=pf-fresh1
NET=10.213.77
USER_PATH=/opt/cargo/bin:/usr/local/bin:/usr/bin:/bin:/usr/local/sbin:/usr/sbin:/sbin

log() { printf '==> [%s] %s\n' "$(date +%T)" "$*" >&2; }
die() { printf 'fresh-debian: %s\n' "$*" >&2; exit 2; }

# ---------------------------------------------------------------------------
# Inside the namespaces (called by `enter` below through unshare): this bash
# is PID 1 of the new PID namespace. It mounts what a system needs under the
# chroot, runs the command in the chroot as USER and waits for it — as PID 1
# it also reaps every orphan the command leaves (daemons, killed shops). When
# it exits the kernel kills whatever is left in the namespace, and the mount
# namespace takes the mounts with it.
if [ "${1:-}" = __inside ]; then
  root=$2 user=$3 cmd=$4
  mount -t proc proc "$root/proc"
  mount --rbind /sys "$root/sys"
  mount -t tmpfs -o mode=755 dev "$root/dev"
  for node in null zero full random urandom tty; do
    touch "$root/dev/$node"
    mount --bind "/dev/$node" "$root/dev/$node"
  done
  mkdir -p "$root/dev/pts" "$root/dev/shm"
  mount -t devpts -o newinstance,ptmxmode=0666,mode=620,gid=5 devpts "$root/dev/pts"
  ln -s pts/ptmx "$root/dev/ptmx"
  mount -t tmpfs -o mode=1777 shm "$root/dev/shm"
  ln -s /proc/self/fd "$root/dev/fd"
  ln -s /proc/self/fd/0 "$root/dev/stdin"
  ln -s /proc/self/fd/1 "$root/dev/stdout"
  ln -s /proc/self/fd/2 "$root/dev/stderr"
  mkdir -p "$root/opt/rustup" "$root/opt/cargo/bin"
  mount --bind "$RUSTUP_DIR" "$root/opt/rustup"
  mount -o remount,bind,ro "$root/opt/rustup"
  mount --bind "$CARGO_BIN" "$root/opt/cargo/bin"
  mount -o remount,bind,ro "$root/opt/cargo/bin"
  hostname "perflab-fresh"
  home=$(chroot "$root" getent passwd "$user" | cut -d: -f6)
  chroot "$root" /usr/sbin/runuser -u "$user" -- /usr/bin/env -i \
    HOME="$home" USER="$user" LOGNAME="$user" SHELL=/bin/bash \
    PATH="$USER_PATH" RUSTUP_HOME=/opt/rustup TERM="${TERM:-xterm}" \
    LANG=C.UTF-8 CI=true CARGO_INCREMENTAL=0 CARGO_TERM_COLOR=never \
    /bin/bash -c "cd && $cmd" &
  wait $!
  exit $?
fi

[ "$(id -u)" = 0 ] || die "run as root: debootstrap, chroot and network namespaces need it (sudo $0)"
for tool in debootstrap ip iptables unshare chroot; do
  command -v "$tool" >/dev/null || die "$tool is missing: apt-get install -y debootstrap iproute2 iptables"
done
[ -x "$CARGO_BIN/cargo" ] || die "no Rust toolchain at $CARGO_BIN (rustup); set CARGO_HOME/RUSTUP_HOME"

what=all keep=false tester=dev ci_args=""
while [ $# -gt 0 ]; do
  case $1 in
    all | test | doctor | rerun) what=$1 ;;
    --keep) keep=true ;;
    --root) tester=root ;;
    --)
      shift
      ci_args=$(printf ' %q' "$@")
      break
      ;;
    *) die "unknown argument $1 (usage: $0 [all|test|doctor|rerun] [--root] [--keep] [-- ARGS])" ;;
  esac
  shift
done

old_forward=$(cat /proc/sys/net/ipv4/ip_forward)
mounted=false
cleanup() {
  set +e
  iptables -t nat -D POSTROUTING -s "$NET.0/30" ! -o "$VETH_HOST" -j MASQUERADE 2>/dev/null
  iptables -D FORWARD -i "$VETH_HOST" -j ACCEPT 2>/dev/null
  iptables -D FORWARD -o "$VETH_HOST" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT 2>/dev/null
  echo "$old_forward" >/proc/sys/net/ipv4/ip_forward
  ip link del "$VETH_HOST" 2>/dev/null
  ip netns del "$NS" 2>/dev/null
  if $mounted && ! $keep; then
    umount "$WORK" && rmdir "$WORK" && log "removed the chroots ($WORK)"
  elif $mounted; then
    log "kept the chroots in $WORK (a tmpfs): umount $WORK when done"
  fi
}
trap cleanup EXIT

# The network: a namespace with its own loopback, and a route out via NAT.
network() {
  ip netns del "$NS" 2>/dev/null || true
  ip link del "$VETH_HOST" 2>/dev/null || true
  ip netns add "$NS"
  ip link add "$VETH_HOST" type veth peer name "$VETH_NS"
  ip link set "$VETH_NS" netns "$NS"
  ip addr add "$NET.1/30" dev "$VETH_HOST"
  ip link set "$VETH_HOST" up
  ip netns exec "$NS" ip link set lo up
  ip netns exec "$NS" ip addr add "$NET.2/30" dev "$VETH_NS"
  ip netns exec "$NS" ip link set "$VETH_NS" up
  ip netns exec "$NS" ip route add default via "$NET.1"
  echo 1 >/proc/sys/net/ipv4/ip_forward
  iptables -t nat -A POSTROUTING -s "$NET.0/30" ! -o "$VETH_HOST" -j MASQUERADE
  iptables -A FORWARD -i "$VETH_HOST" -j ACCEPT
  iptables -A FORWARD -o "$VETH_HOST" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
}

# A minimal Debian (what `debian:bookworm` plus a Rust image's certificates
# hold), cached as debootstrap's tarball of packages.
base() {
  local dir=$WORK/base tarball=$CACHE/$SUITE-minbase.tgz
  [ -d "$dir" ] && return
  mkdir -p "$CACHE"
  local include=--include=ca-certificates,sudo
  if [ ! -f "$tarball" ]; then
    log "downloading Debian $SUITE (minbase) into $tarball"
    debootstrap --variant=minbase "$include" --make-tarball="$tarball" "$SUITE" "$WORK/tmp" "$MIRROR" >/dev/null
    rm -rf "$WORK/tmp"
  fi
  log "debootstrap $SUITE into $dir"
  debootstrap --variant=minbase "$include" --unpack-tarball="$tarball" "$SUITE" "$dir" "$MIRROR" >/dev/null
  # apt inside the chroot reads the sources debootstrap wrote; add updates
  # and security as a fresh install has them.
  cat >"$dir/etc/apt/sources.list" <<EOF
deb $MIRROR $SUITE main
deb $MIRROR $SUITE-updates main
deb http://deb.debian.org/debian-security $SUITE-security main
EOF
  rm -f "$dir/var/cache/apt/archives/"*.deb
}

# A copy of the base with a user NAME who may use sudo without a password.
system() {
  local dir=$WORK/$1 user=$2
  rm -rf --one-file-system "$dir"
  cp -a "$WORK/base" "$dir"
  cp /etc/resolv.conf "$dir/etc/resolv.conf"
  echo "perflab-fresh" >"$dir/etc/hostname"
  # debootstrap writes no /etc/hosts; an installed Debian (or a container
  # runtime) has these lines, and servers listening on "localhost" need them.
  printf '127.0.0.1\tlocalhost\n127.0.1.1\tperflab-fresh\n::1\tlocalhost ip6-localhost ip6-loopback\n' \
    >"$dir/etc/hosts"
  # The host's own certificate authorities (a TLS-intercepting proxy's, as on
  # an organisation's machine) or crates.io's certificate does not verify.
  if compgen -G '/usr/local/share/ca-certificates/*.crt' >/dev/null; then
    cp /usr/local/share/ca-certificates/*.crt "$dir/usr/local/share/ca-certificates/"
    chroot "$dir" update-ca-certificates >/dev/null 2>&1
  fi
  chroot "$dir" useradd --create-home --shell /bin/bash "$user"
  echo "$user ALL=(ALL) NOPASSWD:ALL" >"$dir/etc/sudoers.d/$user"
  chmod 440 "$dir/etc/sudoers.d/$user"
}

# Runs CMD as USER in the chroot DIR, in the namespaces.
enter() {
  local dir=$1 user=$2 cmd=$3
  ip netns exec "$NS" unshare --pid --fork --mount --ipc --uts --propagation private \
    env RUSTUP_DIR="$RUSTUP_DIR" CARGO_BIN="$CARGO_BIN" USER_PATH="$USER_PATH" \
    bash "$SELF" __inside "$dir" "$user" "$cmd"
}

timed() {
  local label=$1 start=$SECONDS status=0
  shift
  "$@" || status=$?
  log "$label: exit $status after $((SECONDS - start)) s"
  return $status
}

run_test() {
  local again=${1:-false} home=/home/dev
  [ "$tester" = root ] && home=/root
  if $again; then
    [ -d "$WORK/test$home/perflab" ] || die "no test system to rerun in: run \`$0 test --keep\` first"
  else
    system test dev
  fi
  log "copying the repository's files (tracked and new, no target/) to $home/perflab"
  mkdir -p "$WORK/test$home/perflab"
  git -C "$REPO" ls-files -z --cached --others --exclude-standard |
    tar -C "$REPO" --null -T - -cf - | tar -C "$WORK/test$home/perflab" -xf -
  chroot "$WORK/test" chown -R "$tester:$tester" "$home/perflab"
  log "test: ./.ci/run$ci_args as $tester on $($again && echo "the same" || echo "a fresh") Debian $SUITE"
  timed "./.ci/run$ci_args" enter "$WORK/test" "$tester" "cd perflab && ./.ci/run$ci_args"
}

run_doctor() {
  system doctor student
  local bin
  bin=$(ls "$WORK"/test/{home/dev,root}/perflab/target/debug/perflab 2>/dev/null | head -n 1)
  if [ -z "$bin" ]; then
    log "building perflab on the host (same Debian release) for the doctor system"
    (cd "$REPO" && "$CARGO_BIN/cargo" build --quiet --bin perflab)
    bin=$REPO/target/debug/perflab
  fi
  install -m 755 "$bin" "$WORK/doctor/usr/local/bin/perflab"
  log "doctor: perflab doctor --fix --yes, then perflab doctor, as student (sudo)"
  timed "doctor --fix --yes; doctor" enter "$WORK/doctor" student \
    'perflab doctor; echo "doctor before: exit $?"; perflab doctor --fix --yes </dev/null && perflab doctor'
}

mkdir -p "$WORK"
if ! mountpoint -q "$WORK"; then
  # A tmpfs of our own: exec and suid allowed (sudo in the chroot), and no
  # 4 GB of build on the host's disk.
  mount -t tmpfs -o "size=$SIZE,mode=755" perflab-fresh "$WORK"
fi
mounted=true
network
timed "debootstrap" base
status=0
case $what in
  test) run_test || status=$? ;;
  rerun) run_test true || status=$? ;;
  doctor) run_doctor || status=$? ;;
  all)
    run_test || status=$?
    run_doctor || status=$?
    ;;
esac
exit $status
