#!/usr/bin/env bash
# Installs the Debian packages the test suite drives as real peers, when missing.
# Needs root (apt-get). Not root? Run: sudo bash scripts/install-test-peers.sh
set -euo pipefail

# command-or-file that proves the package is present -> Debian package
declare -A PEERS=(
  [socat]=socat
  [mbpoll]=mbpoll
  [snmpwalk]=snmp
  [snmptrapd]=snmptrapd
  [snmpd]=snmpd
  [smilint]=smitools
  [rsyslogd]=rsyslog
  [/usr/lib/x86_64-linux-gnu/rsyslog/lmnsd_gtls.so]=rsyslog-gnutls
  [freeradius]=freeradius
  [radclient]=freeradius-utils
  [slapd]=slapd
  [ldapsearch]=ldap-utils
  [ssh]=openssh-client
  [sshpass]=sshpass
  [expect]=expect
  [telnet]=telnet
  [nmap]=nmap
  # ss shows a socket's kernel receive buffer (test/bacnet/device.test.ts)
  [ss]=iproute2
  [certtool]=gnutls-bin
  [openssl]=openssl
  [chromium]=chromium
  [/usr/lib/python3/dist-packages/pymodbus/__init__.py]=python3-pymodbus
  # pymodbus' server imports pyserial and serial_asyncio, which the Debian package does not depend on
  [/usr/lib/python3/dist-packages/serial/__init__.py]=python3-serial
  [/usr/lib/python3/dist-packages/serial_asyncio/__init__.py]=python3-serial-asyncio
)

missing=()
for probe in "${!PEERS[@]}"; do
  if [[ "$probe" == /* ]]; then [[ -e "$probe" ]] && continue
  else command -v "$probe" >/dev/null 2>&1 && continue; fi
  missing+=("${PEERS[$probe]}")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

if [[ $(id -u) -ne 0 ]]; then
  echo "Missing test peers: ${missing[*]}" >&2
  echo "Install them as root: sudo bash scripts/install-test-peers.sh" >&2
  exit 1
fi

echo "Installing test peers: ${missing[*]}"
# Keep apt from starting the daemons it installs (slapd, freeradius, rsyslog, snmpd):
# tests start their own instances on loopback.
policy=/usr/sbin/policy-rc.d
created_policy=0
if [[ ! -e $policy ]]; then
  printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod +x "$policy" && created_policy=1
fi
trap '[[ $created_policy -eq 1 ]] && rm -f "$policy"' EXIT
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
