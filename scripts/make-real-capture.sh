#!/usr/bin/env bash
# Makes fixtures/captures/real-http-udp.pcap: a real kernel capture of a client talking to a
# service address, both directions, IPv4 and IPv6, full-size TCP segments and UDP datagrams.
# Two network namespaces joined by a veth pair (client 203.0.113.7 / 2001:db8:c::7, server
# holding the LoadBalancer address 198.51.100.10 / 2001:db8:5::10); an HTTP server and a UDP
# echo in the server namespace; curl and socat in the client's; tcpdump on the client's veth.
# Offloads are off so every frame is wire-sized. Needs root, iproute2, ethtool, tcpdump, curl,
# socat and python3. Only addresses inside these namespaces are used.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-fixtures/captures/real-http-udp.pcap}
C=dsrlab-cap-client S=dsrlab-cap-server
cleanup() { ip netns del $C 2>/dev/null || true; ip netns del $S 2>/dev/null || true; }
trap cleanup EXIT
cleanup
ip netns add $C
ip netns add $S
ip link add dlc0 netns $C type veth peer name dls0 netns $S
for ns in $C $S; do ip -n $ns link set lo up; done
ip -n $C addr add 203.0.113.7/24 dev dlc0
ip -n $C addr add 2001:db8:c::7/64 dev dlc0 nodad
ip -n $S addr add 198.51.100.10/24 dev dls0
ip -n $S addr add 2001:db8:5::10/64 dev dls0 nodad
ip -n $C link set dlc0 address 02:00:cb:00:71:07 up
ip -n $S link set dls0 address 02:00:c0:a8:0a:0b up
ip -n $C route add 198.51.100.0/24 dev dlc0
ip -n $S route add 203.0.113.0/24 dev dls0
ip -n $C -6 route add 2001:db8:5::/64 dev dlc0
ip -n $S -6 route add 2001:db8:c::/64 dev dls0
for pair in "$C dlc0" "$S dls0"; do
  set -- $pair
  ip netns exec $1 ethtool -K $2 tso off gso off gro off tx off rx off >/dev/null 2>&1 || true
done
www=$(mktemp -d)
head -c 20000 /dev/zero | tr '\0' 'x' > "$www/index.html"
ip netns exec $S python3 -m http.server 80 --bind :: --directory "$www" >/dev/null 2>&1 &
ip netns exec $S socat -T2 UDP6-LISTEN:7777,fork,ipv6only=0 EXEC:cat >/dev/null 2>&1 &
sleep 1
ip netns exec $C tcpdump -i dlc0 -w "$out" -U -s 0 'tcp port 80 or udp port 7777' >/dev/null 2>&1 &
dump=$!
sleep 1
ip netns exec $C curl -s -o /dev/null http://198.51.100.10/
ip netns exec $C curl -s -o /dev/null 'http://[2001:db8:5::10]/'
python3 - <<'PY' > /tmp/dsrlab-udp-payloads
print("x" * 100)
PY
ip netns exec $C bash -c 'printf "hello over udp\n" | socat -T1 - UDP4:198.51.100.10:7777,sourceport=53000' >/dev/null
ip netns exec $C bash -c 'head -c 1400 /dev/zero | tr "\0" "u" | socat -T1 - UDP6:[2001:db8:5::10]:7777,sourceport=53001' >/dev/null
sleep 1
kill $dump
wait $dump 2>/dev/null || true
kill %1 %2 2>/dev/null || true
rm -rf "$www" /tmp/dsrlab-udp-payloads
echo "wrote $out"
