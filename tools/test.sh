#!/usr/bin/env bash
# The whole test suite: host tier, the codec under ASan/UBSan, and the VM tier.
# Usage: tools/test.sh [--no-vm] [--no-asan] [pytest args for the host tier]
set -uo pipefail
cd "$(dirname "$0")/.."
vm=1 asan=1
while [ $# -gt 0 ]; do
  case "$1" in
    --no-vm) vm=0; shift ;;
    --no-asan) asan=0; shift ;;
    *) break ;;
  esac
done
# test tools: the extras, and the independent oracles (ip, nft)
PYNETLINK_EXTRAS="[test]" bash tools/install.sh || exit 1
missing=()
command -v ip >/dev/null || missing+=(iproute2)
command -v nft >/dev/null || missing+=(nftables)
# CNI: the reference plugins, and podman / containerd as real clients (tests/cni/realclient.py)
[ -x /usr/lib/cni/bridge ] || missing+=(containernetworking-plugins)
command -v podman >/dev/null || missing+=(podman)
command -v containerd >/dev/null || missing+=(containerd)
command -v iptables >/dev/null || missing+=(iptables)
[ -x /bin/busybox ] || missing+=(busybox-static)
# oracles of the shaping/sysctl tests, and node for pyright (tests/test_typing.py)
command -v sysctl >/dev/null || missing+=(procps)
command -v node >/dev/null || missing+=(nodejs)
if ((${#missing[@]})); then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" || exit 1
fi
py=.venv/bin/python
status=0

echo "== host tier: python -m pytest -m 'not vm'"
$py -m pytest -m "not vm" -q -rs "$@"
rc=$?; [ $rc -eq 0 ] || status=$rc

if [ $asan -eq 1 ] && [ -x tools/asan-tests ]; then
  echo "== codec under AddressSanitizer + UBSan"
  PYTHON=$py tools/asan-tests
  rc=$?; [ $rc -eq 0 ] || status=$rc
fi

if [ $vm -eq 1 ] && [ -x tools/vm-tier ]; then
  echo "== VM tier: a full Debian kernel under qemu, python -m pytest -m vm"
  tools/vm-tier --timeout 2400 -- $py -m pytest -m vm -q -rs -p no:cacheprovider
  rc=$?
  if [ $rc -eq 5 ]; then echo "VM tier: no test selected"; rc=1; fi
  [ $rc -eq 0 ] || status=$rc
fi
exit $status
