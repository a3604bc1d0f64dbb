#!/usr/bin/env bash
# Drop-in lines of issue 21's monitor/mdb/fdb-append part, for tests/dropin/compare:
#   tests/dropin/compare tests/dropin/scripts/monitor-mdb.sh
# Set-up goes through /usr/sbin/ip and /usr/sbin/bridge (the same in both runs); the lines under
# test use plain `ip` and `bridge` (the drop-in in the vnet run). A monitor runs until `timeout`
# ends it (124 for both tools): its exit code and whether it saw the changes are printed.
set -u
IP=/usr/sbin/ip BR=/usr/sbin/bridge
$IP netns add mon
$IP link add br0 type bridge mcast_snooping 1
$IP link add va type veth peer name vb
$IP link add vc type veth peer name vd
$IP link set va master br0; $IP link set vc master br0
for l in br0 va vb vc vd; do $IP link set $l up; done
$IP -n mon link add pa type veth peer name pb

# The monitors, each beside a change it must see.
changes() { sleep 0.5; $IP rule add from 10.9.0.0/16 lookup 109 pref 909; $IP rule del pref 909
  $IP netns set mon 9; $IP -n mon link set pa mtu 1400; $BR mdb add dev br0 port va grp 239.9.9.9 permanent
  $BR mdb del dev br0 port va grp 239.9.9.9; }
watch() { changes & timeout 2 "$@" >/tmp/mon.out 2>&1; echo "rc $? lines $(grep -c . /tmp/mon.out): $*"; wait; }
watch ip monitor rule
watch ip monitor link address route neigh rule nsid
watch ip monitor all label
watch ip mon r ru ns
watch ip -n mon monitor link dev pa
watch ip monitor nsid all-nsid
watch ip -4 monitor rule
watch ip -6 monitor address route
watch bridge monitor mdb
watch bridge monitor link fdb mdb
watch bridge monitor
ip monitor dev nosuch0
ip -n mon monitor dev nosuch0

# The multicast database.
bridge mdb add dev br0 port va grp 239.1.1.1 permanent
bridge mdb add dev br0 port va grp 239.1.1.2 temp vid 5
bridge mdb add dev br0 port vc grp 239.1.1.3 src 10.0.0.1
bridge mdb add dev br0 port vc grp ff0e::5
bridge mdb add dev br0 port br0 grp 01:00:5e:01:01:01 permanent
bridge mdb add dev br0 port va grp 239.1.1.1 permanent
bridge mdb show
bridge -j mdb show dev br0
bridge mdb show dev br0 vid 5
bridge mdb del dev br0 port va grp 239.1.1.1
bridge mdb del dev br0 port va grp 239.1.1.1
bridge mdb delete dev br0 port vc grp 239.1.1.3 src 10.0.0.1
bridge mdb add dev br0 port vb grp 239.1.1.4
bridge mdb add dev nosuch0 port va grp 239.1.1.4

# fdb append with dst on ports that are not VXLAN: the kernel decides.
bridge fdb append 00:00:00:00:00:00 dev va dst 192.0.2.3
bridge fdb append 02:00:00:00:00:05 dev va dst 192.0.2.3
bridge fdb append 02:00:00:00:00:05 dev va dst 192.0.2.3
bridge fdb append 02:00:00:00:00:07 dev vc master dst 192.0.2.3
bridge fdb append 02:00:00:00:00:08 dev vb self dst 2001:db8::3
bridge fdb append 02:00:00:00:00:09 dev va static dst 192.0.2.3
$IP link set br0 type bridge mcast_snooping 0
bridge mdb add dev br0 port va grp 239.1.1.7
$BR -j mdb show | tr -d '\n'; echo
$BR -j fdb show | tr -d '\n'; echo
