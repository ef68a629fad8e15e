#!/bin/sh
# Makes a throwaway CA and the certificates of an AgentSnapshots cluster's mutual TLS (Orleans:Tls:*), once:
#   cluster-certificates.sh OUT_DIR [CA_KEY_DIR [CLIENT_DIR]]
# OUT_DIR gets ca.pem (the CA: Orleans:Tls:CaFile, the SDK's TlsCaFile) and silo.pem + silo.key (every silo's
# Orleans:Tls:CertificateFile / KeyFile: server and client authentication).
# CLIENT_DIR (default OUT_DIR) gets client.pem + client.key (the SDK's TlsCertificateFile / TlsKeyFile: client
# authentication only, so it opens the gateway but not the silo port) and a copy of ca.pem: what a .NET backend
# mounts, without the silo's key.
# CA_KEY_DIR (default OUT_DIR) gets ca.key, which issues more certificates: keep it away from the silos.
# When OUT_DIR/ca.pem exists nothing is made (compose runs this at every start); a client certificate an older run
# left in OUT_DIR moves to CLIENT_DIR. Needs openssl.
set -eu
out=${1:?usage: cluster-certificates.sh OUT_DIR [CA_KEY_DIR [CLIENT_DIR]]}
ca_keys=${2:-$out}
clients=${3:-$out}
days=${AGENTSNAPSHOTS_CERT_DAYS:-825}

if [ -f "$out/ca.pem" ]; then
  if [ "$clients" != "$out" ] && [ -f "$out/client.key" ] && [ ! -f "$clients/ca.pem" ]; then
    mkdir -p "$clients"
    cp "$out/client.pem" "$out/client.key" "$clients/"
    cp "$out/ca.pem" "$clients/ca.pem"
    chmod 644 "$clients/client.pem" "$clients/ca.pem"
    rm -f "$out/client.pem" "$out/client.key"
    echo "cluster certificates: $out/ca.pem exists, kept; client certificate moved to $clients"
    exit 0
  fi
  echo "cluster certificates: $out/ca.pem exists, kept"
  exit 0
fi

mkdir -p "$out" "$ca_keys" "$clients"
umask 077
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
  -keyout "$ca_keys/ca.key" -out "$work/ca.pem" -days "$days" -subj "/CN=AgentSnapshots cluster CA" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null

# issue NAME EXTENDED_KEY_USAGE DIR (the extension is always there: silos refuse a peer whose certificate lacks it)
issue() {
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$3/$1.key" -out "$work/$1.csr" -subj "/CN=agentsnapshots-$1" 2>/dev/null
  printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=%s\n' "$2" > "$work/$1.ext"
  openssl x509 -req -in "$work/$1.csr" -CA "$work/ca.pem" -CAkey "$ca_keys/ca.key" -set_serial "0x$(openssl rand -hex 16)" \
    -days "$days" -extfile "$work/$1.ext" -out "$3/$1.pem" 2>/dev/null
  chmod 644 "$3/$1.pem"
}
issue silo serverAuth,clientAuth "$out"
issue client clientAuth "$clients"

# Last: its presence means the set is complete.
chmod 644 "$work/ca.pem"
if [ "$clients" != "$out" ]; then
  cp "$work/ca.pem" "$clients/ca.pem"
  chmod 644 "$clients/ca.pem"
fi
mv "$work/ca.pem" "$out/ca.pem"
echo "cluster certificates: CA and silo certificate made in $out, client certificate in $clients (CA key in $ca_keys)"
