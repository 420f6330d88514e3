#!/usr/bin/env bash
# Installs the Debian packages that Petrel's interoperability tests drive:
# real SMTP clients and peers. Idempotent; run as root (CI runs it first).
set -euo pipefail

packages=(
  swaks            # SMTP/LMTP/submission client
  libnet-ssleay-perl     # swaks: TLS
  libauthen-sasl-perl    # swaks: AUTH
  libio-socket-ssl-perl
  openssl          # s_client for TLS, SNI and STARTTLS checks
  postfix          # real MTA relaying into our MX and delivering to our LMTP; smtp-source for the benchmark
  postfix-lmdb
  python3          # Debian's python for smtplib-based tests
  procps           # ps/pkill used by the crash tests
  curl
  bind9            # named: a real authoritative DNS server for MX routing (and later DNSSEC/DANE) tests
  opendkim-tools   # opendkim-testmsg: OpenDKIM verifies the DKIM signatures Petrel makes
  iproute2         # ip: loopback up in the network namespaces some tests create (unshare, from util-linux)
  bind9-utils      # dnssec-keygen, dnssec-signzone: signed test zones for DANE (TLSA with the AD bit)
  bind9-dnsutils   # dig: checks that a test zone is served before a test relies on it
  python3-aiosmtpd # scripted misbehaving receiving MXs for the outbound queue tests
  pebble           # an ACME test CA (and pebble-challtestsrv) for certificate issuance tests
  spamassassin     # SpamAssassin's rules and Perl modules, for the external scorer tests
  spamd            # spamd: the external scorer the spam filter talks to
  clamav-daemon    # clamd: the virus scanner the clamd filter streams messages to (tests write its signatures)
  clamav-testfiles # ClamAV's harmless test samples (clam.exe and friends, also in archives)
  sieve-connect    # a real ManageSieve client (Perl) for the ManageSieve interop tests
  python3-sievelib # Python's ManageSieve client library, the other interop client
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done

if [ "${#missing[@]}" -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  # Postfix asks how to configure itself; tests write their own main.cf.
  echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# The distribution's own Postfix instance must not run: tests start private
# instances from their own configuration directories.
if command -v postfix >/dev/null 2>&1; then
  postfix stop >/dev/null 2>&1 || true
fi
echo "test dependencies installed: ${packages[*]}"
