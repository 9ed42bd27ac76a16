#!/usr/bin/env bash
# DEMO MATERIAL ONLY. Regenerates the example PKI (valid for 50 years). Never use these keys for anything real.
set -euo pipefail
cd "$(dirname "$0")"
days=18262
ext() { printf '%s\n' "$@" > ext.cnf; }

openssl req -x509 -newkey rsa:2048 -nodes -keyout demo-root-ca.key -out demo-root-ca.crt -days $days -subj '/CN=gwctl Demo Root CA' \
  -addext 'basicConstraints=critical,CA:true' -addext 'keyUsage=critical,keyCertSign,cRLSign' 2>/dev/null

openssl req -newkey rsa:2048 -nodes -keyout demo-issuing-ca.key -out issuing.csr -subj '/CN=gwctl Demo Issuing CA' 2>/dev/null
ext 'basicConstraints=critical,CA:true,pathlen:0' 'keyUsage=critical,keyCertSign,cRLSign'
openssl x509 -req -in issuing.csr -CA demo-root-ca.crt -CAkey demo-root-ca.key -CAcreateserial -days $days -extfile ext.cnf -out demo-issuing-ca.crt 2>/dev/null

openssl req -newkey rsa:2048 -nodes -keyout orders-server.key -out orders.csr -subj '/CN=orders.internal' 2>/dev/null
ext 'basicConstraints=CA:false' 'keyUsage=critical,digitalSignature,keyEncipherment' 'extendedKeyUsage=serverAuth' 'subjectAltName=DNS:orders.internal'
openssl x509 -req -in orders.csr -CA demo-issuing-ca.crt -CAkey demo-issuing-ca.key -CAcreateserial -days $days -extfile ext.cnf -out orders-server.crt 2>/dev/null
cat orders-server.crt demo-issuing-ca.crt > orders-chain.crt

openssl req -newkey rsa:2048 -nodes -keyout gateway-client.key -out client.csr -subj '/CN=gateway.example.com' 2>/dev/null
ext 'basicConstraints=CA:false' 'keyUsage=critical,digitalSignature' 'extendedKeyUsage=clientAuth'
openssl x509 -req -in client.csr -CA demo-issuing-ca.crt -CAkey demo-issuing-ca.key -CAcreateserial -days $days -extfile ext.cnf -out gateway-client-leaf.crt 2>/dev/null
cat gateway-client-leaf.crt demo-issuing-ca.crt > gateway-client.crt

openssl req -x509 -newkey rsa:2048 -nodes -keyout gateway.key -out gateway.crt -days $days -subj '/CN=api.example.com' -addext 'subjectAltName=DNS:api.example.com' 2>/dev/null

rm -f ./*.csr ./*.srl ext.cnf gateway-client-leaf.crt demo-root-ca.key demo-issuing-ca.key
chmod 600 ./*.key
